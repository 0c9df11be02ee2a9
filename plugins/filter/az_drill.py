# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filters of the AZ-loss drill (module_utils/az_drill.py)."""

from ansible_collections.nova.infra.plugins.module_utils.az_drill import private_routes


def az_drill_routes(route_tables, nat_gateways, subnets, lost_zone):
    """One verdict per private route table while ``lost_zone`` is lost."""
    return private_routes(route_tables or [], nat_gateways or [], subnets or [], lost_zone)


class FilterModule:
    def filters(self):
        return {"az_drill_routes": az_drill_routes}
