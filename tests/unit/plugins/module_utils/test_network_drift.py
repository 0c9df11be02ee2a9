# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_drift.compare: an exact network is in sync; every change the network role's modules would repair is drift."""

import copy

import pytest

from ansible_collections.nova.infra.plugins.module_utils import network_drift

PREFIX = "nova-production"
CIDR = "10.0.0.0/16"
TAGS = {"Project": "nova", "Environment": "production", "ManagedBy": "ansible"}
AZS = ["us-west-2a", "us-west-2b"]
PLAN = [
    {"tier": "public", "az": "us-west-2a", "cidr": "10.0.0.0/24"},
    {"tier": "public", "az": "us-west-2b", "cidr": "10.0.1.0/24"},
    {"tier": "private", "az": "us-west-2a", "cidr": "10.0.2.0/24", "usable": 251},
    {"tier": "private", "az": "us-west-2b", "cidr": "10.0.3.0/24"},
]


def tags(**extra):
    return [{"Key": k, "Value": v} for k, v in dict(TAGS, **extra).items()]


def table(table_id, name, kind, target_key, target, subnet_ids):
    return {
        "RouteTableId": table_id,
        "Tags": tags(Name=name, Type=kind),
        "Routes": [
            {"DestinationCidrBlock": CIDR, "GatewayId": "local", "State": "active", "Origin": "CreateRouteTable"},
            {"DestinationCidrBlock": "0.0.0.0/0", target_key: target, "State": "active", "Origin": "CreateRoute"},
        ],
        "Associations": [{"SubnetId": s, "Main": False} for s in subnet_ids],
    }


def converged():
    """A network exactly as the role builds it, as EC2 describes it."""
    subnets = []
    for n, planned in enumerate(PLAN):
        subnets.append(
            {
                "SubnetId": f"subnet-{n}",
                "CidrBlock": planned["cidr"],
                "AvailabilityZone": planned["az"],
                "State": "available",
                "MapPublicIpOnLaunch": planned["tier"] == "public",
                "AssignIpv6AddressOnCreation": False,
                "Tags": tags(Name=f"{PREFIX}-{planned['tier']}-{planned['az']}", Type=planned["tier"].capitalize()),
            }
        )
    return {
        "vpcs": [
            {
                "VpcId": "vpc-1",
                "CidrBlock": CIDR,
                "State": "available",
                "Tags": tags(Name=f"{PREFIX}-vpc"),
                # As EC2 returns them: the primary block, a secondary one, and one being removed.
                "CidrBlockAssociationSet": [
                    {"CidrBlock": CIDR, "CidrBlockState": {"State": "associated"}},
                    {"CidrBlock": "100.64.0.0/16", "CidrBlockState": {"State": "associated"}},
                    {"CidrBlock": "10.9.0.0/16", "CidrBlockState": {"State": "disassociating"}},
                ],
            }
        ],
        "dns_support": True,
        "dns_hostnames": True,
        "subnets": subnets,
        "igws": [
            {
                "InternetGatewayId": "igw-1",
                "Attachments": [{"VpcId": "vpc-1", "State": "available"}],
                "Tags": tags(Name=f"{PREFIX}-igw"),
            }
        ],
        "eips": [
            {
                "AllocationId": f"eipalloc-{az}",
                "PublicIp": f"198.51.100.{n}",
                "Tags": tags(Name=f"{PREFIX}-nat-eip-{az}"),
            }
            for n, az in enumerate(AZS)
        ],
        "nats": [
            {
                "NatGatewayId": f"nat-{az}",
                "SubnetId": f"subnet-{n}",
                "State": "available",
                "NatGatewayAddresses": [{"AllocationId": f"eipalloc-{az}"}],
                "Tags": tags(Name=f"{PREFIX}-nat-{az}"),
            }
            for n, az in enumerate(AZS)
        ]
        + [{"NatGatewayId": "nat-old", "SubnetId": "subnet-0", "State": "deleted", "NatGatewayAddresses": []}],
        "route_tables": [
            table("rtb-public", f"{PREFIX}-public-rt", "Public", "GatewayId", "igw-1", ["subnet-0", "subnet-1"]),
            table(
                "rtb-a", f"{PREFIX}-private-rt-us-west-2a", "Private", "NatGatewayId", "nat-us-west-2a", ["subnet-2"]
            ),
            table(
                "rtb-b", f"{PREFIX}-private-rt-us-west-2b", "Private", "NatGatewayId", "nat-us-west-2b", ["subnet-3"]
            ),
            {
                "RouteTableId": "rtb-main",
                "Tags": tags(Name=f"{PREFIX}-main-rt", Extra="kept"),
                "Routes": [{"DestinationCidrBlock": CIDR, "GatewayId": "local", "State": "active"}],
                "Associations": [{"Main": True}],
            },
        ],
        "default_sgs": [
            {
                "GroupId": "sg-default",
                "IpPermissions": [],
                "IpPermissionsEgress": [],
                "Tags": tags(Name=f"{PREFIX}-default-sg"),
            }
        ],
    }


def compare(found):
    return network_drift.compare(found, PREFIX, CIDR, PLAN, TAGS)


def test_converged_network_is_in_sync_and_gives_the_role_outputs():
    result = compare(converged())
    assert result["drift"] == []
    assert result["outputs"] == {
        "vpc_id": "vpc-1",
        "vpc_cidrs": [CIDR, "100.64.0.0/16"],
        "public_subnet_ids": ["subnet-0", "subnet-1"],
        "private_subnet_ids": ["subnet-2", "subnet-3"],
        "igw_id": "igw-1",
        "nat_gateway_ids": ["nat-us-west-2a", "nat-us-west-2b"],
        "nat_public_ips": ["198.51.100.0", "198.51.100.1"],
        "public_route_table_id": "rtb-public",
        "private_route_table_ids": ["rtb-a", "rtb-b"],
        "default_security_group_id": "sg-default",
    }


def test_aws_managed_tags_are_not_drift():
    found = converged()
    found["vpcs"][0]["Tags"].append({"Key": "aws:cloudformation:stack-name", "Value": "x"})
    assert compare(found)["drift"] == []


def rt(found, table_id):
    return next(t for t in found["route_tables"] if t["RouteTableId"] == table_id)


def subnet(found, subnet_id):
    return next(s for s in found["subnets"] if s["SubnetId"] == subnet_id)


def drop_route(found, table_id):
    rt(found, table_id)["Routes"].pop()


def set_tag(item, key, value):
    item["Tags"] = [t for t in item["Tags"] if t["Key"] != key] + [{"Key": key, "Value": value}]


# Each case: a change someone could make by hand (or a run stopped half-way), and the drift record it must produce.
CASES = {
    "no VPC": (lambda f: f.update(vpcs=[]), ("vpc", "count")),
    "two VPCs with the stack's name": (lambda f: f["vpcs"].append(dict(f["vpcs"][0], VpcId="vpc-2")), ("vpc", "count")),
    "VPC CIDR": (lambda f: f["vpcs"][0].update(CidrBlock="10.1.0.0/16"), ("vpc", "cidr_block")),
    "DNS hostnames off": (lambda f: f.update(dns_hostnames=False), ("vpc", "dns_hostnames")),
    "DNS support off": (lambda f: f.update(dns_support=False), ("vpc", "dns_support")),
    "VPC tag changed": (lambda f: set_tag(f["vpcs"][0], "Environment", "dev"), ("vpc", "tags")),
    "VPC tag added": (lambda f: set_tag(f["vpcs"][0], "Owner", "me"), ("vpc", "tags")),
    "subnet missing": (lambda f: f["subnets"].pop(3), ("private subnet 10.0.3.0/24", "exists")),
    "private subnet maps public IPs": (
        lambda f: subnet(f, "subnet-2").update(MapPublicIpOnLaunch=True),
        ("private subnet 10.0.2.0/24", "map_public_ip_on_launch"),
    ),
    "public subnet stopped mapping public IPs": (
        lambda f: subnet(f, "subnet-0").update(MapPublicIpOnLaunch=False),
        ("public subnet 10.0.0.0/24", "map_public_ip_on_launch"),
    ),
    "subnet Type tag": (
        lambda f: set_tag(subnet(f, "subnet-2"), "Type", "Public"),
        ("private subnet 10.0.2.0/24", "tags"),
    ),
    "subnet pending": (lambda f: subnet(f, "subnet-1").update(State="pending"), ("public subnet 10.0.1.0/24", "state")),
    "internet gateway detached": (lambda f: f.update(igws=[]), ("internet gateway", "attached")),
    "internet gateway tags": (lambda f: set_tag(f["igws"][0], "Name", "other"), ("internet gateway", "tags")),
    "Elastic IP missing": (lambda f: f["eips"].pop(0), ("Elastic IP nova-production-nat-eip-us-west-2a", "count")),
    "Elastic IP doubled": (
        lambda f: f["eips"].append(dict(f["eips"][0], AllocationId="eipalloc-spare")),
        ("Elastic IP nova-production-nat-eip-us-west-2a", "count"),
    ),
    "NAT gateway missing": (lambda f: f["nats"].pop(1), ("NAT gateway in us-west-2b", "count")),
    "NAT gateway pending": (lambda f: f["nats"][0].update(State="pending"), ("NAT gateway in us-west-2a", "state")),
    "NAT gateway with another Elastic IP": (
        lambda f: f["nats"][0].update(NatGatewayAddresses=[{"AllocationId": "eipalloc-us-west-2b"}]),
        ("NAT gateway in us-west-2a", "allocation_id"),
    ),
    "NAT gateway tags": (lambda f: set_tag(f["nats"][1], "ManagedBy", "hand"), ("NAT gateway in us-west-2b", "tags")),
    "private default route to the internet gateway": (
        lambda f: rt(f, "rtb-a")["Routes"][1].update(NatGatewayId=None, GatewayId="igw-1"),
        ("route table nova-production-private-rt-us-west-2a", "routes"),
    ),
    "private default route through the other AZ's NAT": (
        lambda f: rt(f, "rtb-b")["Routes"][1].update(NatGatewayId="nat-us-west-2a"),
        ("route table nova-production-private-rt-us-west-2b", "routes"),
    ),
    "private default route missing": (
        lambda f: drop_route(f, "rtb-a"),
        ("route table nova-production-private-rt-us-west-2a", "routes"),
    ),
    "blackhole default route": (
        lambda f: rt(f, "rtb-public")["Routes"][1].update(State="blackhole"),
        ("route table nova-production-public-rt", "routes"),
    ),
    "extra route": (
        lambda f: rt(f, "rtb-public")["Routes"].append(
            {"DestinationCidrBlock": "192.0.2.0/24", "GatewayId": "igw-1", "State": "active", "Origin": "CreateRoute"}
        ),
        ("route table nova-production-public-rt", "routes"),
    ),
    "private subnet moved to the public table": (
        lambda f: (
            rt(f, "rtb-a").update(Associations=[]),
            rt(f, "rtb-public")["Associations"].append({"SubnetId": "subnet-2", "Main": False}),
        ),
        ("route table nova-production-public-rt", "subnets"),
    ),
    "route table tag": (
        lambda f: set_tag(rt(f, "rtb-b"), "Project", "other"),
        ("route table nova-production-private-rt-us-west-2b", "count"),
    ),
    "route table extra tag": (
        lambda f: set_tag(rt(f, "rtb-b"), "Owner", "me"),
        ("route table nova-production-private-rt-us-west-2b", "tags"),
    ),
    "main route table lost its Name": (
        lambda f: set_tag(rt(f, "rtb-main"), "Name", "x"),
        ("main route table", "tags"),
    ),
    "default security group got a rule": (
        lambda f: f["default_sgs"][0].update(IpPermissions=[{"IpProtocol": "-1"}]),
        ("default security group", "ingress rules"),
    ),
    "default security group egress restored": (
        lambda f: f["default_sgs"][0].update(IpPermissionsEgress=[{"IpProtocol": "-1"}]),
        ("default security group", "egress rules"),
    ),
}


@pytest.mark.parametrize("change", sorted(CASES))
def test_each_change_is_drift_and_withholds_the_outputs(change):
    found = copy.deepcopy(converged())
    mutate, (resource, setting) = CASES[change]
    mutate(found)
    result = compare(found)
    assert (resource, setting) in [(r["resource"], r["setting"]) for r in result["drift"]], result["drift"]
    assert result["outputs"] == {}


def test_a_spare_elastic_ip_no_nat_holds_is_drift():
    found = converged()
    found["eips"].append({"AllocationId": "eipalloc-spare", "Tags": tags(Name="nova-production-nat-eip-us-west-2c")})
    records = compare(found)["drift"]
    assert [(r["id"], r["setting"]) for r in records] == [("eipalloc-spare", "held by a NAT gateway")]


def test_summary_names_resource_setting_and_both_values():
    found = converged()
    found["dns_hostnames"] = False
    (record,) = compare(found)["drift"]
    assert network_drift.summary(record) == "vpc (vpc-1): dns_hostnames is False, the plan says True"


def test_a_failed_nat_gateway_beside_its_replacement_is_not_drift_and_alone_it_is_missing():
    """A failed NAT gateway (its AZ was lost) carries no traffic; AWS removes it later. The replacement is the AZ's."""
    found = converged()
    failed = {"NatGatewayId": "nat-failed", "SubnetId": "subnet-0", "State": "failed",
              "NatGatewayAddresses": [{"AllocationId": "eipalloc-us-west-2a"}]}
    found["nats"].append(failed)
    assert compare(found)["drift"] == []
    found["nats"] = [n for n in found["nats"] if n["NatGatewayId"] != "nat-us-west-2a"]
    records = compare(found)["drift"]
    assert ("NAT gateway in us-west-2a", "count") in [(r["resource"], r["setting"]) for r in records]
