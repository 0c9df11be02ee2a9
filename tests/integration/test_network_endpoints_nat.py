"""VPC endpoints and NAT modes of the network role (#18), against the strict sandbox.

- the S3 gateway endpoint (default on) is associated with every private route table: each has the endpoint's route
  (the S3 prefix list to vpce-...); interface endpoints sit in the private subnets with their own security group
  (HTTPS from the VPC's CIDR only) and private DNS; a rerun changes nothing; dropping them removes them;
- network_nat_mode single <-> per_az both ways: the NAT gateways and Elastic IPs that are no longer wanted are
  deleted and released (none leaked), the routes follow, and the rerun changes nothing;
- teardown leaves nothing (no live endpoint, NAT gateway, Elastic IP, security group or VPC);
- the strict sandbox refuses DeleteVpc while an endpoint exists, and DeleteSecurityGroup while an interface
  endpoint uses the group, as AWS does (DependencyViolation).
"""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from helpers import aws
from helpers import role_play
from helpers import run_playbook
from helpers import tags_of

pytestmark = pytest.mark.integration

PREFIX = "nova-vpce"
CIDR = "10.62.0.0/16"
REGION = "us-west-2"

NETWORK = role_play("network", "The network role alone")


def network(tmp_path, port, state="present", **variables):
    playbook = tmp_path / "network.yml"
    playbook.write_text(NETWORK)
    settings = {"nova_name_prefix": PREFIX, "network_vpc_cidr": CIDR, "network_state": state, **variables}
    run = run_playbook(port, str(playbook), "-e", json.dumps(settings), timeout=600)
    assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
    return run


def read(ec2):
    """The stack as AWS has it, read independently of the code under test."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"]
    found = {"vpc": vpcs[0]["VpcId"] if vpcs else None}
    in_vpc = [{"Name": "vpc-id", "Values": [found["vpc"] or "vpc-none"]}]
    found["endpoints"] = [
        e for e in ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"] if e["State"].lower() != "deleted"
    ]
    found["nats"] = [
        n for n in ec2.describe_nat_gateways(Filter=in_vpc)["NatGateways"] if n["State"] not in ("deleted", "deleting")
    ]
    found["eips"] = ec2.describe_addresses(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-nat-eip-*"]}])[
        "Addresses"
    ]
    found["subnets"] = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    found["tables"] = ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
    found["groups"] = ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    return found


def private(found, kind="tables"):
    return [t for t in found[kind] if tags_of(t).get("Type") == "Private"]


def default_route(table):
    return next(r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0")


def test_endpoints_on_every_private_route_table_and_subnet_then_removed(empty_sandbox, port, tmp_path):
    ec2 = aws(port, "ec2", REGION)
    network(tmp_path, port, network_interface_endpoints=["ssm", "logs"])
    found = read(ec2)
    tables = private(found)
    assert len(tables) == 2
    (s3,) = [e for e in found["endpoints"] if e["ServiceName"] == f"com.amazonaws.{REGION}.s3"]
    assert s3["VpcEndpointType"] == "Gateway"
    assert sorted(s3["RouteTableIds"]) == sorted(t["RouteTableId"] for t in tables)
    assert tags_of(s3)["Name"] == f"{PREFIX}-vpce-s3"
    for table in tables:
        endpoint_routes = [r for r in table["Routes"] if r.get("GatewayId") == s3["VpcEndpointId"]]
        assert len(endpoint_routes) == 1 and endpoint_routes[0]["DestinationPrefixListId"].startswith("pl-")
        assert default_route(table).get("NatGatewayId", "").startswith("nat-")
    public = [t for t in found["tables"] if tags_of(t).get("Type") == "Public"]
    assert all(r.get("GatewayId") != s3["VpcEndpointId"] for t in public for r in t["Routes"])
    (group,) = [g for g in found["groups"] if g["GroupName"] == f"{PREFIX}-endpoints-sg"]
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], [r["CidrIp"] for r in p["IpRanges"]])
            for p in group["IpPermissions"]] == [("tcp", 443, 443, [CIDR])]
    assert group["IpPermissionsEgress"] == []
    private_subnets = sorted(s["SubnetId"] for s in private(found, "subnets"))
    interface = {e["ServiceName"]: e for e in found["endpoints"] if e["VpcEndpointType"] == "Interface"}
    assert sorted(interface) == [f"com.amazonaws.{REGION}.logs", f"com.amazonaws.{REGION}.ssm"]
    for endpoint in interface.values():
        assert sorted(endpoint["SubnetIds"]) == private_subnets
        assert [g["GroupId"] for g in endpoint["Groups"]] == [group["GroupId"]]
        assert endpoint["PrivateDnsEnabled"] is True

    again = network(tmp_path, port, network_interface_endpoints=["ssm", "logs"])
    assert again.changed == 0, again.changed_tasks()
    # Every amazon.aws task run too (not only the drift read): they find it all as it is.
    full = network(tmp_path, port, network_interface_endpoints=["ssm", "logs"], network_skip_in_sync=False)
    assert full.changed == 0, full.changed_tasks()

    # Narrowing the S3 policy replaces the gateway endpoint; dropping the interface endpoints removes them and
    # their group; the rerun changes nothing.
    network(tmp_path, port, network_s3_endpoint_buckets=["nova-vpce-*"])
    found = read(ec2)
    (s3,) = found["endpoints"]
    assert "arn:aws:s3:::nova-vpce-*/*" in json.dumps(json.loads(s3["PolicyDocument"]))
    assert sorted(s3["RouteTableIds"]) == sorted(t["RouteTableId"] for t in private(found))
    for table in private(found):
        assert [r["GatewayId"] for r in table["Routes"] if r.get("DestinationPrefixListId")] == [s3["VpcEndpointId"]]
    assert not [g for g in found["groups"] if g["GroupName"] == f"{PREFIX}-endpoints-sg"]
    again = network(tmp_path, port, network_s3_endpoint_buckets=["nova-vpce-*"])
    assert again.changed == 0, again.changed_tasks()

    network(tmp_path, port, state="absent")
    gone = read(ec2)
    assert gone["vpc"] is None and gone["eips"] == []
    assert [e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"].lower() != "deleted"] == []


def test_nat_mode_switch_both_ways_leaks_nothing_and_reruns_change_nothing(empty_sandbox, port, tmp_path):
    ec2 = aws(port, "ec2", REGION)
    network(tmp_path, port)
    per_az = read(ec2)
    assert len(per_az["nats"]) == 2 and len(per_az["eips"]) == 2

    network(tmp_path, port, network_nat_mode="single")
    single = read(ec2)
    assert len(single["nats"]) == 1, single["nats"]
    (nat,) = single["nats"]
    assert nat["NatGatewayId"] in {n["NatGatewayId"] for n in per_az["nats"]}, "the first AZ's NAT gateway is kept"
    assert [a["AllocationId"] for a in single["eips"]] == [nat["NatGatewayAddresses"][0]["AllocationId"]]
    assert ec2.describe_addresses()["Addresses"] == single["eips"], "no Elastic IP left allocated"
    first_az = sorted(s["AvailabilityZone"] for s in private(single, "subnets"))[0]
    assert {s["SubnetId"]: s["AvailabilityZone"] for s in single["subnets"]}[nat["SubnetId"]] == first_az
    assert [default_route(t)["NatGatewayId"] for t in private(single)] == [nat["NatGatewayId"]] * 2
    again = network(tmp_path, port, network_nat_mode="single")
    assert again.changed == 0, again.changed_tasks()
    full = network(tmp_path, port, network_nat_mode="single", network_skip_in_sync=False)
    assert full.changed == 0, full.changed_tasks()

    network(tmp_path, port, network_nat_mode="per_az")
    back = read(ec2)
    assert len(back["nats"]) == 2 and len(back["eips"]) == 2
    assert len(ec2.describe_addresses()["Addresses"]) == 2
    zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in back["subnets"]}
    nat_zone = {n["NatGatewayId"]: zone_of[n["SubnetId"]] for n in back["nats"]}
    for table in private(back):
        (subnet,) = [a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")]
        assert nat_zone[default_route(table)["NatGatewayId"]] == zone_of[subnet]
    again = network(tmp_path, port, network_nat_mode="per_az")
    assert again.changed == 0, again.changed_tasks()

    network(tmp_path, port, state="absent")
    gone = read(ec2)
    assert gone["vpc"] is None and ec2.describe_addresses()["Addresses"] == []
    assert [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"] == []


def test_strict_sandbox_refuses_to_delete_a_vpc_or_group_an_endpoint_still_uses(empty_sandbox, port):
    ec2 = aws(port, "ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.63.0.0/16")["Vpc"]["VpcId"]
    # The main route table goes with the VPC: the endpoint is the only thing left in the way.
    (table,) = [t["RouteTableId"] for t in ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.63.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(VpcId=vpc, GroupName="endpoints", Description="x")["GroupId"]
    gateway = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway", RouteTableIds=[table]
    )["VpcEndpoint"]["VpcEndpointId"]
    interface = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.ssm", VpcEndpointType="Interface", SubnetIds=[subnet],
        SecurityGroupIds=[group],
    )["VpcEndpoint"]["VpcEndpointId"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        ec2.delete_security_group(GroupId=group)
    assert refused.value.response["Error"]["Code"] == "DependencyViolation"
    ec2.delete_vpc_endpoints(VpcEndpointIds=[interface])
    ec2.delete_security_group(GroupId=group)
    ec2.delete_subnet(SubnetId=subnet)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        ec2.delete_vpc(VpcId=vpc)
    assert refused.value.response["Error"]["Code"] == "DependencyViolation"
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
    ec2.delete_vpc_endpoints(VpcEndpointIds=[gateway])
    (deleted,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[gateway])["VpcEndpoints"]
    assert deleted["State"].lower() == "deleted" and not deleted.get("RouteTableIds")
    ec2.delete_vpc(VpcId=vpc)
