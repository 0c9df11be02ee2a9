# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filters that let roles validate network input before any AWS write."""

from ansible_collections.nova.infra.plugins.module_utils import network_drift
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


def s3_endpoint_policy(buckets, region="us-west-2"):
    """The S3 gateway endpoint's policy (a dict): full access, or only these buckets and their objects."""
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return network_drift.s3_endpoint_policy(list(buckets or []), partition)


def stale_endpoints(endpoints, prefix, region, s3_endpoint, s3_policy, interface_services, route_table_ids,
                    subnet_ids, security_group_id=None):
    """IDs of the stack's VPC endpoints to delete (no longer planned, or planned with other settings)."""
    plan = network_drift.endpoint_plan(region, s3_endpoint, s3_policy, list(interface_services or []))
    return network_drift.stale_endpoints(
        endpoints, prefix, plan, list(route_table_ids), list(subnet_ids), security_group_id
    )


class FilterModule:
    def filters(self):
        return {
            "ingress_cidr_errors": ingress_cidr_errors,
            "asg_tags": asg_tags,
            "s3_endpoint_policy": s3_endpoint_policy,
            "stale_endpoints": stale_endpoints,
        }
