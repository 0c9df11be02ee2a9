# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filters that let roles validate network input before any AWS write."""

from ansible_collections.nova.infra.plugins.module_utils.cidr import format_problem
from ansible_collections.nova.infra.plugins.module_utils.cidr import ingress_cidr_problems


def ingress_cidr_errors(cidrs, field, allow_world=False, override_name="the override"):
    """Readable problems with inbound source CIDRs; an empty list when they are fine."""
    return [format_problem(p) for p in ingress_cidr_problems(field, cidrs, allow_world, override_name)]


def asg_tags(tags, propagate_at_launch=True):
    """A tag dict as autoscaling_group wants it: one {key: value, propagate_at_launch} per tag, sorted by key.

    Sorted because autoscaling_group compares the list in order and would report a change on every run.
    """
    return [{key: tags[key], "propagate_at_launch": propagate_at_launch} for key in sorted(tags)]


class FilterModule:
    def filters(self):
        return {"ingress_cidr_errors": ingress_cidr_errors, "asg_tags": asg_tags}
