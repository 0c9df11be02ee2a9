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


def compare(
    found: dict[str, Any], prefix: str, vpc_cidr: str, subnets: Sequence[dict[str, str]], tags: dict[str, str]
) -> dict[str, Any]:
    """Drift records and, when there are none, the IDs the network role publishes (network_outputs)."""
    drift = _Drift()
    azs = list(dict.fromkeys(s["az"] for s in subnets))
    names = desired_names(prefix, azs)
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
        named = [e for e in eips if tag_dict(e).get("Name") == names["eip"][az]]
        if len(named) != 1:
            drift.add(f"Elastic IP {names['eip'][az]}", None, "count", 1, len(named))
        else:
            eip_by_az[az] = named[0]
        public_id = subnet_by["public"].get(az)
        in_subnet = [n for n in nats if public_id and n.get("SubnetId") == public_id]
        label = f"NAT gateway in {az}"
        if len(in_subnet) != 1:
            drift.add(label, None, "count", 1, len(in_subnet))
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
        if az in nat_by_az:
            _route_table_drift(
                drift,
                names["private_rt"][az],
                private_tables[0],
                vpc_cidr,
                nat_by_az[az]["NatGatewayId"],
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
    default_sgs = found.get("default_sgs", [])
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
            "nat_gateway_ids": [nat_by_az[az]["NatGatewayId"] for az in azs],
            "nat_public_ips": [eip_by_az[az].get("PublicIp") for az in azs],
            "public_route_table_id": public_rt_id,
            "private_route_table_ids": private_rt_ids,
            "default_security_group_id": default_sg_id,
        }
    return result
