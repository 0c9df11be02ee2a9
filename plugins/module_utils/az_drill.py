# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the AZ-loss drill (playbooks/az-loss-drill.yml) judges, from what amazon.aws's info modules read: whether
each private route table still routes 0.0.0.0/0 through an available NAT gateway while one zone is lost.

A private route table is judged by the NAT gateway its default route names, wherever that gateway is. In the design
(one NAT gateway per AZ) each table routes through its own zone's gateway: the lost zone's table loses its egress (the
expected loss), every other one must hold. Where tables share one NAT gateway (a single-NAT layout), the tables of the
healthy zones lose their egress too when that gateway is in the lost zone: the drill reports it as the layout's
expected loss, not as a failure of the design. No AWS calls here."""

DEFAULT_ROUTE = "0.0.0.0/0"


def _zones_of(table, zone_by_subnet):
    subnets = [a.get("subnet_id") for a in table.get("associations", []) if a.get("subnet_id")]
    return sorted({zone_by_subnet[s] for s in subnets if s in zone_by_subnet})


def private_routes(route_tables, nat_gateways, subnets, lost_zone):
    """One verdict per private route table, sorted by zone and table: its zones, the NAT gateway of its default
    route (id, zone, state), ``status`` (``held``, ``lost``: the lost zone's own table, ``lost-shared``: a healthy
    zone's table routed through a NAT gateway of the lost zone, ``failed``: a healthy zone's table without an
    available NAT gateway) and a sentence saying why."""
    zone_by_subnet = {s["id"]: s["availability_zone"] for s in subnets}
    nat_by_id = {n["nat_gateway_id"]: n for n in nat_gateways}
    verdicts = []
    for table in route_tables:
        zones = _zones_of(table, zone_by_subnet)
        routes = [r for r in table.get("routes", []) if r.get("destination_cidr_block") == DEFAULT_ROUTE]
        nat_id = next((r.get("nat_gateway_id") for r in routes if r.get("nat_gateway_id")), None)
        nat = nat_by_id.get(nat_id, {})
        nat_zone = zone_by_subnet.get(nat.get("subnet_id"))
        nat_state = nat.get("state")
        in_lost_zone = lost_zone in zones
        if in_lost_zone:
            status = "lost"
            reason = f"the private subnet is in the lost zone {lost_zone}: its egress goes with it (expected)"
        elif nat_state == "available":
            status = "held"
            where = "its own zone's" if nat_zone in zones else f"{nat_zone}'s"
            reason = f"0.0.0.0/0 goes through {where} NAT gateway {nat_id}, which is available"
        elif nat_zone == lost_zone:
            status = "lost-shared"
            reason = (f"0.0.0.0/0 goes through NAT gateway {nat_id} of the lost zone {lost_zone} ({nat_state}): a"
                      " layout with one NAT gateway for several zones loses their egress with that zone (expected)")
        else:
            status = "failed"
            reason = (f"0.0.0.0/0 goes through {nat_id or 'no NAT gateway'}"
                      f"{' (' + str(nat_state) + ')' if nat_id else ''}, in a zone that was not lost")
        verdicts.append({
            "route_table_id": table.get("id") or table.get("route_table_id"),
            "name": (table.get("tags") or {}).get("Name"),
            "zones": zones,
            "nat_gateway_id": nat_id,
            "nat_gateway_zone": nat_zone,
            "nat_gateway_state": nat_state,
            "status": status,
            "reason": reason,
        })
    return sorted(verdicts, key=lambda v: (v["zones"], v["route_table_id"] or ""))
