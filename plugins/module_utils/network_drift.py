# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network as planned versus the network as it is, from one read of the whole network.

The network_drift module makes ten read-only EC2 calls (the VPC, its two DNS attributes, its subnets, internet gateways,
NAT gateways, route tables, default security group, and the stack's NAT Elastic IPs). ``compare`` then lists every
difference from the plan as a drift record ``{resource, id, setting, desired, actual}``; an empty list means that
every amazon.aws task of the network role would change nothing, so the role can skip them (about 25 module runs and
~95 AWS requests on a converged stack).

The comparison is deliberately at least as strict as the modules it stands in for: it looks at every setting those
tasks manage (tags exactly where the module purges them, routes and subnet associations exactly, DNS attributes,
public-IP mapping, NAT state and Elastic IP) and treats anything it cannot account for (a second VPC with the
stack's name, a NAT gateway still pending, a blackhole route) as drift. A false "drift" only costs the full run,
whose modules then change nothing; a false "in sync" would hide a change, so doubt always counts as drift.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from typing import Sequence

from ansible_collections.nova.infra.plugins.module_utils import drift as shared_drift
from ansible_collections.nova.infra.plugins.module_utils.audit import NAME_PREFIX

# A drift record's summary line (module_utils/drift.py, shared by every read-and-compare module).
summary = shared_drift.summary

# Tags AWS manages itself (aws:cloudformation:*, aws:ec2launchtemplate:*): amazon.aws never purges them.
AWS_TAG_PREFIX = "aws:"

ROUTE_TARGET_KEYS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "InstanceId",
    "EgressOnlyInternetGatewayId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
)


TIERS = ("public", "private")

NAT_MODES = ("per_az", "single")

# Endpoint states that still hold the endpoint's routes, interfaces and quota (AWS lists deleted ones for a while).
ENDPOINT_GONE_STATES = ("deleted", "deleting", "rejected", "failed", "expired")

# AWS's own policy of an endpoint created without one (full access to the service).
FULL_ACCESS_POLICY = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


def nat_azs(azs: Sequence[str], nat_mode: str) -> list[str]:
    """The AZs that get a NAT gateway: every AZ (per_az), or the first one (single)."""
    return list(azs) if nat_mode != "single" else list(azs)[:1]


def nat_az_for(az: str, azs: Sequence[str], nat_mode: str) -> str:
    """The AZ whose NAT gateway the private subnet of ``az`` routes through."""
    return az if nat_mode != "single" else list(azs)[0]


def s3_endpoint_policy(buckets: Sequence[str], partition: str = "aws") -> dict[str, Any]:
    """The S3 gateway endpoint's policy: full access, or only these buckets (names; * wildcards allowed) and their
    objects. A narrowed policy also stops instances reaching any other bucket in the region through the endpoint."""
    if not buckets:
        return FULL_ACCESS_POLICY
    resources = []
    for bucket in sorted(set(buckets)):
        resources += [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "StackBucketsOnly", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": resources}
        ],
    }


def _normal(value: Any) -> Any:
    """A policy as AWS may hand it back: one-element lists as their element, lists in any order."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normal(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def same_policy(wanted: dict[str, Any], actual: Any) -> bool:
    if isinstance(actual, str):
        try:
            actual = json.loads(actual)
        except ValueError:
            return False
    return _normal(wanted) == _normal(actual)


def endpoint_plan(
    region: str, s3_gateway: bool, s3_policy: dict[str, Any] | None, interface_services: Sequence[str]
) -> dict[str, Any]:
    """What the network role builds of VPC endpoints: ``{"gateway": {service: policy}, "interface": [service]}``
    with AWS service names (com.amazonaws.<region>.<short name>)."""
    return {
        "gateway": {f"com.amazonaws.{region}.s3": s3_policy or FULL_ACCESS_POLICY} if s3_gateway else {},
        "interface": [f"com.amazonaws.{region}.{name}" for name in dict.fromkeys(interface_services)],
    }


def endpoint_name(prefix: str, service: str) -> str:
    """The Name tag of the stack's endpoint of ``service`` (com.amazonaws.us-west-2.s3 -> <prefix>-vpce-s3)."""
    return f"{prefix}-vpce-{service.split('.', 3)[-1]}"


def live_endpoints(endpoints: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in endpoints if str(e.get("State", "")).lower() not in ENDPOINT_GONE_STATES]


def stale_endpoints(
    endpoints: Sequence[dict[str, Any]],
    prefix: str,
    plan: dict[str, Any],
    private_route_table_ids: Sequence[str],
    private_subnet_ids: Sequence[str],
    security_group_id: str | None,
) -> list[str]:
    """IDs of the stack's endpoints (Name <prefix>-vpce-*) that the role must delete: no longer planned, or planned
    with other settings (amazon.aws.ec2_vpc_endpoint cannot modify an endpoint, so it is deleted and created again).
    ``endpoints`` as DescribeVpcEndpoints returns them (CamelCase) or as ec2_vpc_endpoint_info does (snake_case)."""
    stale = []
    for endpoint in live_endpoints([_camel_endpoint(e) for e in endpoints]):
        if not tag_dict(endpoint).get("Name", "").startswith(f"{prefix}-vpce-"):
            continue
        service = endpoint.get("ServiceName")
        if not _endpoint_problems(endpoint, service, plan, private_route_table_ids, private_subnet_ids,
                                  security_group_id):
            continue
        stale.append(endpoint["VpcEndpointId"])
    return stale


def _camel_endpoint(endpoint: dict[str, Any]) -> dict[str, Any]:
    if "VpcEndpointId" in endpoint:
        return endpoint
    keys = {
        "vpc_endpoint_id": "VpcEndpointId",
        "vpc_endpoint_type": "VpcEndpointType",
        "service_name": "ServiceName",
        "state": "State",
        "policy_document": "PolicyDocument",
        "route_table_ids": "RouteTableIds",
        "subnet_ids": "SubnetIds",
        "private_dns_enabled": "PrivateDnsEnabled",
    }
    camel = {keys[k]: v for k, v in endpoint.items() if k in keys}
    camel["Groups"] = [{"GroupId": g.get("group_id")} for g in endpoint.get("groups") or []]
    tags = endpoint.get("tags") or {}
    if isinstance(tags, dict):
        camel["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    else:  # ec2_vpc_endpoint_info: [{key, value}]
        camel["Tags"] = [{"Key": t.get("key", t.get("Key")), "Value": t.get("value", t.get("Value"))} for t in tags]
    return camel


def _endpoint_problems(
    endpoint: dict[str, Any],
    service: str,
    plan: dict[str, Any],
    private_route_table_ids: Sequence[str],
    private_subnet_ids: Sequence[str],
    security_group_id: str | None,
) -> list[tuple[str, Any, Any]]:
    """(setting, desired, actual) for each way ``endpoint`` differs from the plan of ``service``."""
    kind = str(endpoint.get("VpcEndpointType", "")).lower()
    if service in plan["gateway"]:
        found = []
        if kind != "gateway":
            found.append(("type", "Gateway", endpoint.get("VpcEndpointType")))
        routes = sorted(endpoint.get("RouteTableIds") or [])
        if routes != sorted(private_route_table_ids):
            found.append(("route_table_ids", sorted(private_route_table_ids), routes))
        if not same_policy(plan["gateway"][service], endpoint.get("PolicyDocument")):
            found.append(("policy", plan["gateway"][service], endpoint.get("PolicyDocument")))
        return found
    if service in plan["interface"]:
        found = []
        if kind != "interface":
            found.append(("type", "Interface", endpoint.get("VpcEndpointType")))
        subnets = sorted(endpoint.get("SubnetIds") or [])
        if subnets != sorted(private_subnet_ids):
            found.append(("subnet_ids", sorted(private_subnet_ids), subnets))
        groups = sorted(g.get("GroupId") for g in endpoint.get("Groups") or [])
        if groups != ([security_group_id] if security_group_id else ["(the endpoints' security group)"]):
            found.append(("security_groups", [security_group_id], groups))
        if endpoint.get("PrivateDnsEnabled") is not True:
            found.append(("private_dns_enabled", True, endpoint.get("PrivateDnsEnabled")))
        return found
    return [("planned", False, True)]


def endpoint_sg_rules_ok(group: dict[str, Any], vpc_cidr: str) -> bool:
    """The interface endpoints' security group allows HTTPS from the VPC's CIDR and nothing else, in or out."""
    wanted = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "cidrs": [vpc_cidr]}]
    ingress = [
        {
            "IpProtocol": p.get("IpProtocol"),
            "FromPort": p.get("FromPort"),
            "ToPort": p.get("ToPort"),
            "cidrs": sorted(r.get("CidrIp") for r in p.get("IpRanges", [])),
        }
        for p in group.get("IpPermissions", [])
    ]
    others = [
        p for p in group.get("IpPermissions", []) if p.get("Ipv6Ranges") or p.get("UserIdGroupPairs") or p.get(
            "PrefixListIds")
    ]
    return ingress == wanted and not others and not group.get("IpPermissionsEgress")


def problems(name_prefix: str, vpc_cidr: str, subnets: Sequence[Any], tags: dict[str, Any]) -> list[str]:
    """What is wrong with the module's options, each with its fix; checked before any AWS call."""
    found = []
    if not NAME_PREFIX.match(name_prefix or ""):
        found.append(
            f"name_prefix: {name_prefix!r} is not 1-40 letters, digits and inner hyphens. Fix: set it to the stack's "
            "network_name_prefix, e.g. nova-production"
        )
    vpc = None
    try:
        vpc = ipaddress.IPv4Network(vpc_cidr)
    except ValueError as e:
        found.append(f"vpc_cidr: {vpc_cidr!r} is not an IPv4 network ({e}). Fix: give the VPC's CIDR, e.g. 10.0.0.0/16")
    for index, subnet in enumerate(subnets):
        field = f"subnets[{index}]"
        if not isinstance(subnet, dict) or not all(subnet.get(key) for key in ("cidr", "az", "tier")):
            found.append(
                f"{field}: {subnet!r} lacks cidr, az or tier. Fix: pass the subnets nova.infra.cidr_validate returns"
            )
            continue
        if subnet["tier"] not in TIERS:
            found.append(f"{field}.tier: {subnet['tier']!r} is not public or private. Fix: use public or private")
        try:
            network = ipaddress.IPv4Network(subnet["cidr"])
        except ValueError as e:
            found.append(f"{field}.cidr: {subnet['cidr']!r} is not an IPv4 network ({e}). Fix: e.g. 10.0.0.0/24")
            continue
        if vpc is not None and not network.subnet_of(vpc):
            found.append(f"{field}.cidr: {subnet['cidr']} is outside vpc_cidr {vpc_cidr}. Fix: plan it inside the VPC")
    for key, value in tags.items():
        if not isinstance(value, (str, int, float, bool)) or str(key).startswith(AWS_TAG_PREFIX):
            found.append(
                f"tags.{key}: {value!r} cannot be a tag (values are strings; keys starting aws: are AWS's). "
                "Fix: give network_tags as a flat map of strings"
            )
    return found


def tag_dict(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in item.get("Tags") or [] if not t["Key"].startswith(AWS_TAG_PREFIX)}


def named(resources: Sequence[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    """Those whose Name tag is one of ``names``: what EC2's ``tag:Name`` filter (``tag_filter``) selects, applied to a
    region-wide list read earlier in the run (nova.infra.preflight's region_lists) instead of a read of its own."""
    return [r for r in resources if tag_dict(r).get("Name") in names]


def in_vpc(resources: Sequence[dict[str, Any]], vpc_id: str) -> list[dict[str, Any]]:
    """Those of the VPC: what EC2's ``vpc-id`` filter selects, applied to a region-wide list as ``named`` is."""
    return [r for r in resources if r.get("VpcId") == vpc_id]


def eip_name(prefix: str, az: str) -> str:
    return f"{prefix}-nat-eip-{az}"


def desired_names(prefix: str, azs: Sequence[str]) -> dict[str, Any]:
    """The Name tag of every resource of the network role (roles/network/tasks/converge.yml sets the same)."""
    return {
        "vpc": f"{prefix}-vpc",
        "igw": f"{prefix}-igw",
        "public_rt": f"{prefix}-public-rt",
        "private_rt": {az: f"{prefix}-private-rt-{az}" for az in azs},
        "nat": {az: f"{prefix}-nat-{az}" for az in azs},
        "eip": {az: eip_name(prefix, az) for az in azs},
        "default_sg": f"{prefix}-default-sg",
        "main_rt": f"{prefix}-main-rt",
        "endpoints_sg": f"{prefix}-endpoints-sg",
    }


def tag_filter(key: str, *values: str) -> dict[str, Any]:
    return {"Name": f"tag:{key}", "Values": list(values)}


class _Drift:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def add(self, resource: str, resource_id: str | None, setting: str, desired: Any, actual: Any) -> None:
        self.records.append(shared_drift.record(resource, resource_id, setting, desired, actual))

    def tags(
        self, resource: str, resource_id: str, desired: dict[str, str], actual: dict[str, str], purge: bool = True
    ) -> None:
        wrong = {k: v for k, v in desired.items() if actual.get(k) != v}
        extra = sorted(set(actual) - set(desired)) if purge else []
        if wrong or extra:
            self.add(
                resource,
                resource_id,
                "tags",
                desired,
                {k: actual[k] for k in sorted(set(wrong) | set(extra)) if k in actual} or actual,
            )


def _route_target(route: dict[str, Any]) -> str | None:
    return next((route[k] for k in ROUTE_TARGET_KEYS if route.get(k)), None)


def _route_table_drift(
    drift: _Drift,
    name: str,
    table: dict[str, Any],
    vpc_cidr: str,
    target: str,
    subnet_ids: Sequence[str],
    tags: dict[str, str],
) -> None:
    table_id = table["RouteTableId"]
    drift.tags("route table " + name, table_id, tags, tag_dict(table))
    # ec2_vpc_route_table (purge_routes) manages the IPv4 routes it did not get from the VPC (local) or a virtual
    # gateway; the VPC's local route must be there too.
    routes = sorted(
        (r.get("DestinationCidrBlock"), _route_target(r), r.get("State"))
        for r in table.get("Routes", [])
        if r.get("DestinationCidrBlock") and _route_target(r) != "local"
    )
    wanted = [("0.0.0.0/0", target, "active")]
    if routes != wanted:
        drift.add("route table " + name, table_id, "routes", [list(r) for r in wanted], [list(r) for r in routes])
    local = [
        r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == vpc_cidr and _route_target(r) == "local"
    ]
    if not local:
        drift.add("route table " + name, table_id, "local route", vpc_cidr, None)
    associations = table.get("Associations", [])
    associated = sorted(a["SubnetId"] for a in associations if a.get("SubnetId"))
    others = [a for a in associations if not a.get("SubnetId") and not a.get("Main")]
    if associated != sorted(subnet_ids) or others:
        drift.add("route table " + name, table_id, "subnets", sorted(subnet_ids), associated)
    if any(a.get("Main") for a in associations):
        drift.add("route table " + name, table_id, "main", False, True)


# The resources whose IDs the network role's later tasks take from the task that makes them (subnets from the VPC's,
# route tables from the subnets', gateways' and NAT gateways'...): a drift record saying one of them is missing.
STRUCTURAL_SETTINGS = ("exists", "count", "attached")


def missing_structure(records: Sequence[dict[str, Any]]) -> list[str]:
    """The planned VPC, subnets, internet gateway, Elastic IPs and NAT gateways that do not exist (fewer than
    planned): --check cannot look past them, as check mode makes no ID for what it would create."""
    return [
        r["resource"]
        for r in records
        if r["id"] is None and r["setting"] in STRUCTURAL_SETTINGS and isinstance(r["actual"], (bool, int))
        and r["actual"] < r["desired"]
    ]


def compare(
    found: dict[str, Any],
    prefix: str,
    vpc_cidr: str,
    subnets: Sequence[dict[str, str]],
    tags: dict[str, str],
    nat_mode: str = "per_az",
    endpoints: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Drift records and, when there are none, the IDs the network role publishes (network_outputs).

    ``nat_mode``: per_az (a NAT gateway in each AZ) or single (one, in the first AZ, for every private subnet).
    ``endpoints``: the VPC endpoints planned (``endpoint_plan``); None or empty plans none, and then any endpoint of
    the stack found is drift."""
    drift = _Drift()
    azs = list(dict.fromkeys(s["az"] for s in subnets))
    names = desired_names(prefix, azs)
    with_nat = nat_azs(azs, nat_mode)
    plan = endpoints or {"gateway": {}, "interface": []}
    result: dict[str, Any] = {"drift": drift.records, "outputs": {}, "vpc_id": None}

    vpcs = found.get("vpcs", [])
    if len(vpcs) != 1:
        drift.add("vpc", None, "count", 1, len(vpcs))
        return result
    vpc = vpcs[0]
    vpc_id = vpc["VpcId"]
    result["vpc_id"] = vpc_id
    if vpc.get("CidrBlock") != vpc_cidr:
        drift.add("vpc", vpc_id, "cidr_block", vpc_cidr, vpc.get("CidrBlock"))
    if vpc.get("State") != "available":
        drift.add("vpc", vpc_id, "state", "available", vpc.get("State"))
    drift.tags("vpc", vpc_id, dict(tags, Name=names["vpc"]), tag_dict(vpc))
    for setting in ("dns_support", "dns_hostnames"):
        if found.get(setting) is not True:
            drift.add("vpc", vpc_id, setting, True, found.get(setting))

    # Subnets, by CIDR (ec2_vpc_subnet finds them so).
    by_cidr = {s["CidrBlock"]: s for s in found.get("subnets", [])}
    subnet_by = {"public": {}, "private": {}}
    for planned in subnets:
        tier, az, cidr = planned["tier"], planned["az"], planned["cidr"]
        label = f"{tier} subnet {cidr}"
        subnet = by_cidr.get(cidr)
        if subnet is None:
            drift.add(label, None, "exists", True, False)
            continue
        subnet_id = subnet["SubnetId"]
        subnet_by[tier][az] = subnet_id
        if subnet.get("AvailabilityZone") != az:
            drift.add(label, subnet_id, "availability_zone", az, subnet.get("AvailabilityZone"))
        if subnet.get("State") != "available":
            drift.add(label, subnet_id, "state", "available", subnet.get("State"))
        if bool(subnet.get("MapPublicIpOnLaunch")) != (tier == "public"):
            drift.add(label, subnet_id, "map_public_ip_on_launch", tier == "public", subnet.get("MapPublicIpOnLaunch"))
        if subnet.get("AssignIpv6AddressOnCreation"):
            drift.add(label, subnet_id, "assign_ipv6_address_on_creation", False, True)
        drift.tags(label, subnet_id, dict(tags, Name=f"{prefix}-{tier}-{az}", Type=tier.capitalize()), tag_dict(subnet))

    # The internet gateway attached to the VPC (ec2_vpc_igw finds it by its attachment).
    igws = found.get("igws", [])
    igw_id = None
    if len(igws) != 1:
        drift.add("internet gateway", None, "attached", 1, len(igws))
    else:
        igw = igws[0]
        igw_id = igw["InternetGatewayId"]
        states = [a.get("State") for a in igw.get("Attachments", []) if a.get("VpcId") == vpc_id]
        if states not in (["available"], ["attached"]):
            drift.add("internet gateway", igw_id, "attachment", "available", states)
        drift.tags("internet gateway", igw_id, dict(tags, Name=names["igw"]), tag_dict(igw))

    # The Elastic IPs with the stack's NAT names, and the NAT gateway of each AZ's public subnet.
    eips = found.get("eips", [])
    # A failed NAT gateway (one that could not start, or whose AZ was lost) carries no traffic and holds no address:
    # AWS removes it after about an hour. Like a deleted one it is not the AZ's NAT gateway; the role makes another.
    nats = [n for n in found.get("nats", []) if n.get("State") not in ("deleted", "failed")]
    nat_by_az: dict[str, dict[str, Any]] = {}
    eip_by_az: dict[str, dict[str, Any]] = {}
    for az in azs:
        wanted = 1 if az in with_nat else 0
        named = [e for e in eips if tag_dict(e).get("Name") == names["eip"][az]]
        if len(named) != wanted:
            drift.add(f"Elastic IP {names['eip'][az]}", None, "count", wanted, len(named))
        elif wanted:
            eip_by_az[az] = named[0]
        public_id = subnet_by["public"].get(az)
        in_subnet = [n for n in nats if public_id and n.get("SubnetId") == public_id]
        label = f"NAT gateway in {az}"
        if len(in_subnet) != wanted:
            drift.add(label, None, "count", wanted, len(in_subnet))
            continue
        if not wanted:
            continue
        nat = in_subnet[0]
        nat_by_az[az] = nat
        if nat.get("State") != "available":
            drift.add(label, nat["NatGatewayId"], "state", "available", nat.get("State"))
        allocations = [a.get("AllocationId") for a in nat.get("NatGatewayAddresses", [])]
        if az in eip_by_az and allocations != [eip_by_az[az].get("AllocationId")]:
            drift.add(label, nat["NatGatewayId"], "allocation_id", eip_by_az[az].get("AllocationId"), allocations)
        drift.tags(label, nat["NatGatewayId"], dict(tags, Name=names["nat"][az]), tag_dict(nat))
    held = {a.get("AllocationId") for n in nats for a in n.get("NatGatewayAddresses", [])}
    for eip in eips:
        if eip.get("AllocationId") not in held:
            drift.add(
                f"Elastic IP {tag_dict(eip).get('Name')}", eip.get("AllocationId"), "held by a NAT gateway", True, False
            )

    # Route tables, found by their tags as ec2_vpc_route_table's lookup=tag does (every given tag must match).
    tables = found.get("route_tables", [])

    def tagged(wanted: dict[str, str]) -> list[dict[str, Any]]:
        return [t for t in tables if all(tag_dict(t).get(k) == v for k, v in wanted.items())]

    public_tags = dict(tags, Name=names["public_rt"], Type="Public")
    public_tables = tagged(public_tags)
    public_rt_id = None
    if len(public_tables) != 1:
        drift.add("route table " + names["public_rt"], None, "count", 1, len(public_tables))
    elif igw_id:
        public_rt_id = public_tables[0]["RouteTableId"]
        _route_table_drift(
            drift,
            names["public_rt"],
            public_tables[0],
            vpc_cidr,
            igw_id,
            [subnet_by["public"].get(az) for az in azs],
            public_tags,
        )
    private_rt_ids = []
    for az in azs:
        private_tags = dict(tags, Name=names["private_rt"][az], Type="Private")
        private_tables = tagged(private_tags)
        if len(private_tables) != 1:
            drift.add("route table " + names["private_rt"][az], None, "count", 1, len(private_tables))
            continue
        private_rt_ids.append(private_tables[0]["RouteTableId"])
        via = nat_az_for(az, azs, nat_mode)
        if via in nat_by_az:
            _route_table_drift(
                drift,
                names["private_rt"][az],
                private_tables[0],
                vpc_cidr,
                nat_by_az[via]["NatGatewayId"],
                [subnet_by["private"].get(az)],
                private_tags,
            )
    main_tables = [t for t in tables if any(a.get("Main") for a in t.get("Associations", []))]
    for table in main_tables:
        # ec2_tag adds the tags and removes none.
        drift.tags(
            "main route table", table["RouteTableId"], dict(tags, Name=names["main_rt"]), tag_dict(table), purge=False
        )

    # The default security group: no rules at all, the stack's tags.
    default_sgs = [g for g in found.get("default_sgs", []) if g.get("GroupName") == "default"]
    default_sg_id = None
    if len(default_sgs) != 1:
        drift.add("default security group", None, "count", 1, len(default_sgs))
    else:
        group = default_sgs[0]
        default_sg_id = group["GroupId"]
        for setting, key in (("ingress rules", "IpPermissions"), ("egress rules", "IpPermissionsEgress")):
            if group.get(key):
                drift.add("default security group", default_sg_id, setting, [], group[key])
        drift.tags("default security group", default_sg_id, dict(tags, Name=names["default_sg"]), tag_dict(group))

    endpoint_ids = _endpoints_drift(
        drift, found, names, tags, vpc_cidr, plan, private_rt_ids, [subnet_by["private"].get(az) for az in azs]
    )

    if not drift.records:
        result["outputs"] = {
            "vpc_id": vpc_id,
            "vpc_cidrs": [
                block["CidrBlock"]
                for block in vpc.get("CidrBlockAssociationSet") or []
                if (block.get("CidrBlockState") or {}).get("State") == "associated"
            ],
            "public_subnet_ids": [subnet_by["public"][az] for az in azs],
            "private_subnet_ids": [subnet_by["private"][az] for az in azs],
            "igw_id": igw_id,
            "nat_gateway_ids": [nat_by_az[az]["NatGatewayId"] for az in with_nat],
            "nat_public_ips": [eip_by_az[az].get("PublicIp") for az in with_nat],
            "public_route_table_id": public_rt_id,
            "private_route_table_ids": private_rt_ids,
            "default_security_group_id": default_sg_id,
            "endpoint_ids": endpoint_ids,
        }
    return result


def _endpoints_drift(
    drift: _Drift,
    found: dict[str, Any],
    names: dict[str, Any],
    tags: dict[str, str],
    vpc_cidr: str,
    plan: dict[str, Any],
    private_rt_ids: Sequence[str],
    private_subnet_ids: Sequence[Any],
) -> dict[str, str]:
    """The VPC endpoints (and the interface endpoints' security group) against the plan; their IDs by service."""
    prefix = names["vpc"][: -len("-vpc")]
    groups = [g for g in found.get("default_sgs", []) if g.get("GroupName") == names["endpoints_sg"]]
    sg_id = None
    if plan["interface"]:
        if len(groups) != 1:
            drift.add("security group " + names["endpoints_sg"], None, "count", 1, len(groups))
        else:
            sg_id = groups[0]["GroupId"]
            if not endpoint_sg_rules_ok(groups[0], vpc_cidr):
                drift.add(
                    "security group " + names["endpoints_sg"],
                    sg_id,
                    "rules",
                    f"tcp/443 from {vpc_cidr} only, no egress",
                    {"ingress": groups[0].get("IpPermissions"), "egress": groups[0].get("IpPermissionsEgress")},
                )
            drift.tags("security group " + names["endpoints_sg"], sg_id, dict(tags, Name=names["endpoints_sg"]),
                       tag_dict(groups[0]))
    elif groups:
        drift.add("security group " + names["endpoints_sg"], groups[0]["GroupId"], "count", 0, len(groups))
    endpoints = live_endpoints(found.get("endpoints", []))
    ids = {}
    for service in list(plan["gateway"]) + list(plan["interface"]):
        label = f"VPC endpoint {service}"
        mine = [e for e in endpoints if e.get("ServiceName") == service]
        if len(mine) != 1:
            drift.add(label, None, "count", 1, len(mine))
            continue
        endpoint = mine[0]
        endpoint_id = endpoint["VpcEndpointId"]
        ids[service] = endpoint_id
        if str(endpoint.get("State", "")).lower() != "available":
            drift.add(label, endpoint_id, "state", "available", endpoint.get("State"))
        for setting, desired, actual in _endpoint_problems(
            endpoint, service, plan, private_rt_ids, private_subnet_ids, sg_id
        ):
            drift.add(label, endpoint_id, setting, desired, actual)
        drift.tags(label, endpoint_id, dict(tags, Name=endpoint_name(prefix, service)), tag_dict(endpoint))
    planned = set(plan["gateway"]) | set(plan["interface"])
    for endpoint in endpoints:
        if endpoint.get("ServiceName") not in planned and tag_dict(endpoint).get("Name", "").startswith(
            f"{prefix}-vpce-"
        ):
            drift.add(f"VPC endpoint {endpoint.get('ServiceName')}", endpoint["VpcEndpointId"], "planned", False, True)
    return ids
