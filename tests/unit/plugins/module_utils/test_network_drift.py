# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_drift.compare: an exact network is in sync; every change the network role's modules would repair is drift."""

import copy
import json

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
                "GroupName": "default",
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
        "endpoint_ids": {},
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


# ---------------------------------------------------------------- NAT mode single, VPC endpoints

REGION = "us-west-2"
S3 = f"com.amazonaws.{REGION}.s3"
SSM = f"com.amazonaws.{REGION}.ssm"


def single_nat(found):
    """The converged network of nat_mode=single: one NAT gateway (in the first AZ) for both private subnets."""
    found["eips"] = [e for e in found["eips"] if e["AllocationId"] == "eipalloc-us-west-2a"]
    found["nats"] = [n for n in found["nats"] if n["NatGatewayId"] != "nat-us-west-2b"]
    route = next(r for r in rt(found, "rtb-b")["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0")
    route["NatGatewayId"] = "nat-us-west-2a"
    return found


def with_endpoints(found, interface=()):
    found["endpoints"] = [
        {
            "VpcEndpointId": "vpce-s3",
            "VpcEndpointType": "Gateway",
            "ServiceName": S3,
            "State": "available",
            "RouteTableIds": ["rtb-b", "rtb-a"],
            "PolicyDocument": '{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
            '"Action": "*", "Resource": "*"}]}',
            "Tags": tags(Name=f"{PREFIX}-vpce-s3"),
        }
    ]
    for name in interface:
        found["endpoints"].append(
            {
                "VpcEndpointId": f"vpce-{name}",
                "VpcEndpointType": "Interface",
                "ServiceName": f"com.amazonaws.{REGION}.{name}",
                "State": "available",
                "SubnetIds": ["subnet-3", "subnet-2"],
                "Groups": [{"GroupId": "sg-endpoints", "GroupName": f"{PREFIX}-endpoints-sg"}],
                "PrivateDnsEnabled": True,
                "Tags": tags(Name=f"{PREFIX}-vpce-{name}"),
            }
        )
    if interface:
        found["default_sgs"].append(
            {
                "GroupId": "sg-endpoints",
                "GroupName": f"{PREFIX}-endpoints-sg",
                "IpPermissions": [
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": CIDR}]}
                ],
                "IpPermissionsEgress": [],
                "Tags": tags(Name=f"{PREFIX}-endpoints-sg"),
            }
        )
    return found


def plan(interface=(), buckets=()):
    policy = network_drift.s3_endpoint_policy(list(buckets))
    return network_drift.endpoint_plan(REGION, True, policy, list(interface))


def test_single_nat_mode_is_in_sync_with_one_nat_gateway_for_every_private_subnet():
    result = network_drift.compare(single_nat(converged()), PREFIX, CIDR, PLAN, TAGS, "single")
    assert result["drift"] == []
    assert result["outputs"]["nat_gateway_ids"] == ["nat-us-west-2a"]


def test_per_az_network_is_drift_for_single_mode_and_back():
    to_single = network_drift.compare(converged(), PREFIX, CIDR, PLAN, TAGS, "single")["drift"]
    seen = [(r["resource"], r["setting"], r["desired"], r["actual"]) for r in to_single]
    assert ("Elastic IP nova-production-nat-eip-us-west-2b", "count", 0, 1) in seen
    assert ("NAT gateway in us-west-2b", "count", 0, 1) in seen
    to_per_az = network_drift.compare(single_nat(converged()), PREFIX, CIDR, PLAN, TAGS, "per_az")["drift"]
    assert ("NAT gateway in us-west-2b", "count", 1, 0) in [
        (r["resource"], r["setting"], r["desired"], r["actual"]) for r in to_per_az
    ]


def test_endpoints_as_planned_are_in_sync_and_their_ids_published():
    found = with_endpoints(converged(), interface=["ssm"])
    result = network_drift.compare(found, PREFIX, CIDR, PLAN, TAGS, endpoints=plan(["ssm"]))
    assert result["drift"] == []
    assert result["outputs"]["endpoint_ids"] == {S3: "vpce-s3", SSM: "vpce-ssm"}


@pytest.mark.parametrize(
    "change, setting",
    [
        (lambda f: f.update(endpoints=[]), "count"),
        (lambda f: f["endpoints"][0].update(RouteTableIds=["rtb-a"]), "route_table_ids"),
        (lambda f: f["endpoints"][0].update(State="pending"), "state"),
        (lambda f: f["endpoints"][0].update(PolicyDocument='{"Statement": []}'), "policy"),
        (lambda f: f["endpoints"][1].update(SubnetIds=["subnet-2"]), "subnet_ids"),
        (lambda f: f["endpoints"][1].update(PrivateDnsEnabled=False), "private_dns_enabled"),
        (lambda f: f["endpoints"][1].update(Groups=[{"GroupId": "sg-default"}]), "security_groups"),
        (lambda f: f["default_sgs"][1]["IpPermissions"][0].update(IpRanges=[{"CidrIp": "0.0.0.0/0"}]), "rules"),
        (lambda f: f["default_sgs"][1].update(IpPermissionsEgress=[{"IpProtocol": "-1"}]), "rules"),
    ],
)
def test_each_endpoint_change_is_drift(change, setting):
    found = with_endpoints(converged(), interface=["ssm"])
    change(found)
    records = network_drift.compare(found, PREFIX, CIDR, PLAN, TAGS, endpoints=plan(["ssm"]))["drift"]
    assert setting in [r["setting"] for r in records]


def test_a_stack_endpoint_no_longer_planned_and_its_group_are_drift():
    found = with_endpoints(converged(), interface=["ssm"])
    records = network_drift.compare(found, PREFIX, CIDR, PLAN, TAGS, endpoints=plan())["drift"]
    assert {(r["id"], r["setting"]) for r in records} == {("vpce-ssm", "planned"), ("sg-endpoints", "count")}
    stale = network_drift.stale_endpoints(found["endpoints"], PREFIX, plan(), ["rtb-a", "rtb-b"], [], None)
    assert stale == ["vpce-ssm"]


def test_deleted_endpoints_are_history_and_foreign_ones_are_left_alone():
    found = with_endpoints(converged())
    found["endpoints"].append(dict(found["endpoints"][0], VpcEndpointId="vpce-old", State="deleted"))
    found["endpoints"].append(dict(found["endpoints"][0], VpcEndpointId="vpce-x", ServiceName="x", Tags=[]))
    assert network_drift.compare(found, PREFIX, CIDR, PLAN, TAGS, endpoints=plan())["drift"] == []


def test_a_narrowed_policy_names_the_buckets_and_their_objects_and_compares_as_aws_returns_it():
    policy = network_drift.s3_endpoint_policy(["b2", "b1"])
    assert policy["Statement"][0]["Resource"] == ["arn:aws:s3:::b1", "arn:aws:s3:::b1/*", "arn:aws:s3:::b2",
                                                  "arn:aws:s3:::b2/*"]
    returned = {"Version": "2012-10-17", "Statement": [dict(policy["Statement"][0], Action=["s3:*"],
                                                            Resource=list(reversed(policy["Statement"][0]["Resource"])))]}
    assert network_drift.same_policy(policy, json.dumps(returned))
    assert not network_drift.same_policy(policy, network_drift.FULL_ACCESS_POLICY)
    stale = network_drift.stale_endpoints(with_endpoints(converged())["endpoints"], PREFIX, plan(buckets=["b1"]),
                                          ["rtb-a", "rtb-b"], [], None)
    assert stale == ["vpce-s3"]


# ---------------------------------------------------------------- what --check cannot look past


def test_nothing_is_missing_from_a_converged_network_nor_from_one_that_only_differs():
    assert network_drift.missing_structure(compare(converged())["drift"]) == []
    found = converged()
    found["dns_hostnames"] = False
    found["eips"].append({"AllocationId": "eipalloc-spare", "Tags": tags(Name="nova-production-nat-eip-us-west-2c")})
    # More than planned (a spare address, the second AZ's NAT gateway in single mode) is drift, not missing.
    assert network_drift.missing_structure(compare(found)["drift"]) == []
    per_az = network_drift.compare(converged(), PREFIX, CIDR, PLAN, TAGS, "single")["drift"]
    assert network_drift.missing_structure(per_az) == []


def test_the_missing_vpc_subnet_gateway_address_and_nat_gateway_are_named():
    assert network_drift.missing_structure(compare({**converged(), "vpcs": []})["drift"]) == ["vpc"]
    found = converged()
    found["subnets"] = [s for s in found["subnets"] if s["SubnetId"] != "subnet-3"]
    found["igws"] = []
    found["eips"] = [e for e in found["eips"] if e["AllocationId"] != "eipalloc-us-west-2a"]
    found["nats"] = [n for n in found["nats"] if n["NatGatewayId"] != "nat-us-west-2b"]
    missing = network_drift.missing_structure(compare(found)["drift"])
    assert sorted(missing) == sorted([
        "private subnet 10.0.3.0/24", "internet gateway", "Elastic IP nova-production-nat-eip-us-west-2a",
        "NAT gateway in us-west-2b",
    ])
