# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit's building blocks: severities, the snapshot's shape, the helpers every rule uses, and ``check``, the
decorator that declares a rule's catalogue entry (id, title, severity, fix, reference, CIS control) beside the rule.

The rules live by area in audit_network.py, audit_security_groups.py, audit_s3.py, audit_monitoring.py and
audit_bastion.py; audit.py puts them together, checks the settings and writes the reports."""

import ipaddress
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.nova.infra.plugins.module_utils import stack

SEVERITIES = ("critical", "high", "medium", "low", "info")
FAIL_ON_CHOICES = SEVERITIES + ("none",)
STATUSES = ("pass", "fail", "skip")

CIS_BENCHMARK = "CIS AWS Foundations Benchmark"
CIS_VERSION = "3.0.0"

# Remote server administration ports of CIS 5.2/5.3 (SSH and RDP).
ADMIN_PORTS = (22, 3389)
SSH_PORT = 22
WORLD_V4 = ipaddress.ip_network("0.0.0.0/0")
WORLD_V6 = ipaddress.ip_network("::/0")
# Protocols a rule for a TCP/UDP port can be written with ("-1" is all traffic).
PORT_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}
# AWS reserves 5 addresses in every subnet.
RESERVED_PER_SUBNET = 5
BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
DESIGN = "docs/design.md"
# The roles' rule for nova_name_prefix: every name of the stack starts with it.
NAME_PREFIX = stack.NAME_PREFIX

DEFAULT_REQUIRED_TAGS = stack.required_tags(stack.design("name_prefix"))


class NotApplicable(Exception):
    """The snapshot has nothing this check applies to; the message says why (the check is skipped)."""


def cis(control: str, title: str) -> Dict[str, str]:
    return {"benchmark": CIS_BENCHMARK, "version": CIS_VERSION, "control": control, "title": title}


def empty_snapshot(region: str = stack.DESIGN["region"], name_prefix: str = stack.DESIGN["name_prefix"]) -> Dict[str, Any]:
    """The snapshot's shape, with nothing found. ``tags`` are always plain dicts."""
    return {
        "region": region,
        "name_prefix": name_prefix,
        # {id, cidr, tags}; None when no VPC carries the Name tag <prefix>-vpc
        "vpc": None,
        # ids of further VPCs with the same Name tag
        "duplicate_vpcs": [],
        # {id, az, cidr, type (the Type tag), available_ips, map_public_ip, tags}
        "subnets": [],
        # {id, attached (to the VPC), tags}
        "internet_gateways": [],
        # {id, subnet_id, state, allocation_ids, tags}; deleted ones left out
        "nat_gateways": [],
        # {allocation_id, public_ip, tags}: the NAT gateways' Elastic IPs
        "eips": [],
        # {id, main, subnet_ids, tags, routes: [{destination, target, target_type, state}]}
        "route_tables": [],
        # {id, name, is_default, tags, ingress: [IpPermissions as AWS returns them], egress: [...]}
        "security_groups": [],
        # {id, status, traffic_type, deliver_status, destination, tags}
        "flow_logs": [],
        # {id, type (gateway|interface), service, state, route_table_ids, subnet_ids, group_ids, private_dns, tags}
        "vpc_endpoints": [],
        # {name, subnet_ids, min_size, max_size, desired, instances: [{id, lifecycle_state, health}], tags} or None
        "asg": None,
        # {id, state, subnet_id, az, http_tokens, public_ip, tags}: instances of the ASG
        "instances": [],
        # {id, name, http_tokens, instance_profile (ARN or name; of the default version), tags} or None
        "launch_template": None,
        # {name, arn, roles: [{name, policies: [attached managed policy ARNs]}]}: the launch template's instance
        # profile, read only when the audit's bastion_access is ssm or both; None otherwise or when it is missing
        "instance_profile": None,
        # {name, expected_region, exists, region, public_access_block: {flag: bool} | None,
        #  encryption: [algorithm] | None, versioning: "Enabled"|"Suspended"|None, tags}
        "buckets": [],
        # {source, destination, destination_region, rules: [AWS replication rules] | None,
        #  destination_exists, destination_actual_region, destination_versioning}
        "replication": [],
        # {account_id, configured, flags: {flag: bool}, unreadable: why | None}; None when NOVA-S3-006 is skipped
        # {name, namespace, metric, dimensions: {name: value}, statistic, period, evaluation_periods, threshold,
        #  comparison, actions_enabled, actions: [arn]}: the stack's alarms
        "alarms": [],
        # {name, arn, exists, confirmed: [protocol:endpoint], pending: [protocol:endpoint], tags}; None when not read
        "alarm_topic": None,
        # {name, id, tags} of the bastion's key pair <prefix>-bastion-key, or None
        "key_pair": None,
        # {id, name, vpc_id, ingress, tags}: the region's security groups outside the stack's VPC with an inbound rule
        # from 0.0.0.0/0 or ::/0 (NOVA-SG-008)
        "region_security_groups": [],
        # {name, tags} of the IAM role S3 replicates as, <prefix>-s3-replication; None when absent or not read
        "replication_role": None,
        "account_public_access_block": None,
    }


# ---------------------------------------------------------------- helpers


def label(resource_id: str, tags: Optional[Dict[str, str]] = None) -> str:
    name = (tags or {}).get("Name")
    return f"{resource_id} ({name})" if name else resource_id


def usable_addresses(cidr: str) -> int:
    return max(ipaddress.ip_network(cidr, strict=False).num_addresses - RESERVED_PER_SUBNET, 0)


def _subnets_by_id(snapshot):
    return {s["id"]: s for s in snapshot["subnets"]}


def _typed_subnets(snapshot, kind):
    return [s for s in snapshot["subnets"] if (s.get("type") or "").lower() == kind]


def _require_vpc(snapshot):
    if snapshot["vpc"] is None:
        raise NotApplicable(f"no VPC named {snapshot['name_prefix']}-vpc (see NOVA-NET-001)")


def _find_sg(snapshot, name):
    for group in snapshot["security_groups"]:
        if group.get("name") == name or group.get("tags", {}).get("Name") == name:
            return group
    return None


def _rules_covering_port(permissions, port):
    """The permissions that let traffic reach port (TCP or UDP), all-traffic rules included."""
    covering = []
    for perm in permissions:
        protocol = str(perm.get("IpProtocol", "")).lower()
        if protocol == "-1":
            covering.append(perm)
        elif protocol in PORT_PROTOCOLS:
            low, high = perm.get("FromPort"), perm.get("ToPort")
            # A port rule without a range covers every port of its protocol.
            if low is None or high is None or low == -1 or low <= port <= high:
                covering.append(perm)
    return covering


def _describe_rule(perm):
    protocol = str(perm.get("IpProtocol"))
    if protocol == "-1":
        return "all traffic"
    low, high = perm.get("FromPort"), perm.get("ToPort")
    ports = f"{low}" if low == high else f"{low}-{high}"
    return f"{PORT_PROTOCOLS.get(protocol.lower(), protocol)}/{ports}"


def _sources(perm):
    """Every source of a permission as (kind, value): cidr, cidr6, group or prefix-list."""
    for r in perm.get("IpRanges", []):
        yield "cidr", r["CidrIp"]
    for r in perm.get("Ipv6Ranges", []):
        yield "cidr6", r["CidrIpv6"]
    for r in perm.get("UserIdGroupPairs", []):
        yield "group", r["GroupId"]
    for r in perm.get("PrefixListIds", []):
        yield "prefix-list", r["PrefixListId"]


def _within(cidr, allowed):
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return any(network.version == a.version and network.subnet_of(a) for a in allowed)


def _nat_az(snapshot, nat):
    subnet = _subnets_by_id(snapshot).get(nat.get("subnet_id"))
    return subnet["az"] if subnet else None


def _route_table_of(snapshot, subnet_id):
    """The route table a subnet uses: its explicit association, else the VPC's main table."""
    main = None
    for table in snapshot["route_tables"]:
        if subnet_id in table.get("subnet_ids", []):
            return table
        if table.get("main"):
            main = table
    return main


def _default_route(snapshot, subnet_id):
    """(the subnet's route table or None, its 0.0.0.0/0 route or None)."""
    table = _route_table_of(snapshot, subnet_id)
    routes = table.get("routes", []) if table is not None else []
    return table, next((r for r in routes if r.get("destination") == "0.0.0.0/0"), None)


# ---------------------------------------------------------------- the check catalogue

# Every check, in the order the area modules declare them (audit.py imports the areas in the report's order).
REGISTRY: List[Dict[str, Any]] = []


def check(
    check_id: str, title: str, severity: str, fix: str, reference: str, cis_control: Optional[Dict[str, str]] = None
) -> Callable[[Callable], Callable]:
    """Declares the decorated rule a check of the audit, with its catalogue entry."""

    def declare(rule: Callable) -> Callable:
        REGISTRY.append(
            {
                "id": check_id,
                "title": title,
                "severity": severity,
                "cis": cis_control,
                "reference": reference,
                "fix": fix,
                "rule": rule,
            }
        )
        return rule

    return declare
