"""The network of the design, built by site.yml in the sandbox and read back independently with boto3."""

from __future__ import annotations

import ipaddress

import pytest

from helpers import aws, inventory_snapshot, run_playbook, stack_vpcs, tags_of

pytestmark = pytest.mark.integration

COMMON_TAGS = {"Project": "nova", "Environment": "production", "ManagedBy": "ansible", "Stack": "nova-production"}


@pytest.fixture(scope="module")
def converged(sandbox, port):
    """site.yml run once on an empty sandbox."""
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    run = run_playbook(port)
    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:] or run.stdout[-3000:]
    return run


@pytest.fixture(scope="module")
def ec2(port):
    return aws(port, "ec2")


def _has_common_tags(resource: dict) -> bool:
    tags = tags_of(resource)
    return all(tags.get(key) == value for key, value in COMMON_TAGS.items()) and "Name" in tags


def test_one_vpc_with_the_design_cidr(converged, ec2):
    vpcs = stack_vpcs(ec2)
    assert [vpc["CidrBlock"] for vpc in vpcs] == ["10.0.0.0/16"]
    assert _has_common_tags(vpcs[0])
    assert tags_of(vpcs[0])["Name"] == "nova-production-vpc"


def test_four_subnets_over_two_available_azs(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert len(subnets) == 4
    available = {
        az["ZoneName"] for az in ec2.describe_availability_zones()["AvailabilityZones"] if az["State"] == "available"
    }
    by_type = {"Public": [], "Private": []}
    for subnet in subnets:
        assert _has_common_tags(subnet)
        assert subnet["AvailabilityZone"] in available
        assert ipaddress.ip_network(subnet["CidrBlock"]).subnet_of(ipaddress.ip_network("10.0.0.0/16"))
        by_type[tags_of(subnet)["Type"]].append(subnet)
    for tier, expect_public_ip in (("Public", True), ("Private", False)):
        assert len(by_type[tier]) == 2
        assert len({s["AvailabilityZone"] for s in by_type[tier]}) == 2
        assert all(s["MapPublicIpOnLaunch"] is expect_public_ip for s in by_type[tier])
    networks = [ipaddress.ip_network(s["CidrBlock"]) for s in subnets]
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])


def test_internet_gateway_attached(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"
    ]
    assert len(igws) == 1
    assert _has_common_tags(igws[0])


def test_one_nat_gateway_per_az_each_with_its_own_eip(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    public_subnets = {
        s["SubnetId"]: s["AvailabilityZone"]
        for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Public"]}]
        )["Subnets"]
    }
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]
    assert len(nats) == 2
    assert {n["SubnetId"] for n in nats} == set(public_subnets)
    assert all(n["State"] == "available" and _has_common_tags(n) for n in nats)
    allocation_ids = [n["NatGatewayAddresses"][0]["AllocationId"] for n in nats]
    assert len(set(allocation_ids)) == 2

    addresses = ec2.describe_addresses()["Addresses"]
    assert sorted(a["AllocationId"] for a in addresses) == sorted(allocation_ids), "an EIP is allocated but unused"
    assert all(_has_common_tags(a) for a in addresses)


def test_private_route_tables_use_their_own_az_nat_never_the_igw(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    subnet_az = {s["SubnetId"]: s["AvailabilityZone"] for s in ec2.describe_subnets()["Subnets"]}
    nat_az = {
        n["NatGatewayId"]: subnet_az[n["SubnetId"]]
        for n in ec2.describe_nat_gateways()["NatGateways"]
        if n["State"] == "available"
    }
    private_rts = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Private"]}]
    )["RouteTables"]
    assert len(private_rts) == 2
    private_subnets = {
        s["SubnetId"]
        for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Private"]}]
        )["Subnets"]
    }
    associated = set()
    for table in private_rts:
        assert _has_common_tags(table)
        subnets = [a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")]
        assert len(subnets) == 1
        associated.update(subnets)
        assert not [r for r in table["Routes"] if r.get("GatewayId", "").startswith("igw-")]
        default = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(default) == 1
        assert nat_az[default[0]["NatGatewayId"]] == subnet_az[subnets[0]], "routes through another AZ's NAT"
    assert associated == private_subnets


def test_public_route_table_routes_to_the_igw(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Public"]}]
    )["RouteTables"]
    assert len(tables) == 1
    default = [r for r in tables[0]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert default and default[0]["GatewayId"].startswith("igw-")
    assert len([a for a in tables[0]["Associations"] if a.get("SubnetId")]) == 2


def test_default_security_group_has_no_rules(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    (group,) = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert group["IpPermissions"] == []
    assert group["IpPermissionsEgress"] == []


def test_second_run_changes_nothing(converged, port, ec2):
    before = inventory_snapshot(ec2)
    run = run_playbook(port)
    assert run.returncode == 0, run.failure_messages()
    assert run.changed == 0, run.changed_tasks()
    assert inventory_snapshot(ec2) == before


def test_check_mode_on_a_converged_stack_reports_no_change(converged, port):
    run = run_playbook(port, "site.yml", "--check", "--diff")
    assert run.returncode == 0, run.failure_messages()
    assert run.changed == 0, run.changed_tasks()


def test_teardown_removes_everything_and_a_second_teardown_is_a_noop(converged, port, ec2):
    run = run_playbook(port, "site.yml", "-e", "network_state=absent")
    assert run.returncode == 0, run.failure_messages()
    assert stack_vpcs(ec2) == []
    assert ec2.describe_addresses()["Addresses"] == []
    assert [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] not in ("deleted", "deleting")] == []
    again = run_playbook(port, "site.yml", "-e", "network_state=absent")
    assert again.returncode == 0, again.failure_messages()
    assert again.changed == 0, again.changed_tasks()
