# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""network_drift against the embedded sandbox: the region-wide lists the pre-flight of the same run read
(region_lists) stand for its own reads of the VPCs, Elastic IPs, NAT gateways and VPC endpoints, with the same
result; without them, or with another region's, it reads them itself. Its Elastic IPs are ec2_eip_info's,
its VPC endpoints ec2_vpc_endpoint_info's."""

import pytest

from ansible_collections.amazon.aws.plugins.modules import ec2_eip_info
from ansible_collections.amazon.aws.plugins.modules import ec2_vpc_endpoint_info

from ansible_collections.nova.infra.plugins.modules import network_drift
from ansible_collections.nova.infra.plugins.modules import preflight
from sandbox import sandboxctl

REGION = "us-west-2"
PREFIX = "nova-test"
TAGS = {"Project": "nova", "Stack": PREFIX}
SUBNETS = [
    {"tier": "public", "az": "us-west-2a", "cidr": "10.0.0.0/24"},
    {"tier": "private", "az": "us-west-2a", "cidr": "10.0.10.0/24"},
]
# The reads region_lists stand for.
COVERED = {"ec2:DescribeVpcs", "ec2:DescribeAddresses", "ec2:DescribeNatGateways", "ec2:DescribeVpcEndpoints"}


@pytest.fixture(scope="module")
def sandbox(start_sandbox):
    # Not strict: its NAT gateways would turn available between two reads of a test.
    return start_sandbox(strict=False)


@pytest.fixture
def url(clean_sandbox_url):
    return clean_sandbox_url


@pytest.fixture
def ec2(sandbox_client):
    return sandbox_client("ec2", REGION)


def tagged(resource_type, tags):
    return [{"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


@pytest.fixture
def network(url, ec2):
    """Part of the stack's network (VPC, public subnet, NAT gateway with its named Elastic IP, S3 endpoint) beside a
    foreign VPC and Elastic IP, which the filters must leave out."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tagged("vpc", {**TAGS, "Name": f"{PREFIX}-vpc"}))
    vpc_id = vpc["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24", AvailabilityZone="us-west-2a")["Subnet"][
        "SubnetId"]
    eip = ec2.allocate_address(
        Domain="vpc", TagSpecifications=tagged("elastic-ip", {**TAGS, "Name": f"{PREFIX}-nat-eip-us-west-2a"}))
    ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=eip["AllocationId"],
                           TagSpecifications=tagged("natgateway", {**TAGS, "Name": f"{PREFIX}-nat-us-west-2a"}))
    ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway")
    other_vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16", TagSpecifications=tagged("vpc", {"Name": "other-vpc"}))
    ec2.create_vpc_endpoint(VpcId=other_vpc["Vpc"]["VpcId"], ServiceName=f"com.amazonaws.{REGION}.s3",
                            VpcEndpointType="Gateway")
    ec2.allocate_address(Domain="vpc", TagSpecifications=tagged("elastic-ip", {"Name": "other-eip"}))
    return vpc_id


@pytest.fixture
def run(url, run_module):
    """Runs a module's main() in-process against the sandbox; returns its result and the EC2 actions it called."""

    def run_it(module, args):
        sandboxctl.stats(url, reset=True)
        connection = {"endpoint_url": url, "region": REGION, "access_key": "testing", "secret_key": "testing"}
        result = run_module(module, {**connection, **args})
        result.pop("invocation", None)
        return result, sandboxctl.stats(url)["by_action"]

    return run_it


DRIFT_ARGS = {"name_prefix": PREFIX, "vpc_cidr": "10.0.0.0/16", "subnets": SUBNETS, "tags": TAGS,
              "s3_endpoint": True}


def preflight_lists(run):
    args = {"permission_checks": [], "nat_gateways_per_az": 1, "gateway_endpoints": 1, "min_azs": 1,
            "fail_on_problems": False}
    return run(preflight, args)[0]["region_lists"]


def test_the_preflights_lists_stand_for_the_four_reads_with_the_same_result(run, network):
    lists = preflight_lists(run)
    assert set(lists) == {"region", "vpcs", "addresses", "nat_gateways", "vpc_endpoints"}
    assert lists["region"] == REGION
    # As EC2 answered: the pre-flight's own bookkeeping (an endpoint's tags as a dict) is not in them.
    assert all("tags" not in endpoint for endpoint in lists["vpc_endpoints"])

    handed_over, handed_over_calls = run(network_drift, {**DRIFT_ARGS, "region_lists": lists})
    alone, alone_calls = run(network_drift, DRIFT_ARGS)

    assert not handed_over.get("failed"), handed_over
    assert handed_over == alone
    assert handed_over["vpc_id"] == network and handed_over["drift"], "a network with drift, and the same drift"
    assert {action: alone_calls[action] for action in COVERED} == dict.fromkeys(COVERED, 1)
    assert not COVERED & set(handed_over_calls)
    assert {a: n for a, n in alone_calls.items() if a not in COVERED} == handed_over_calls
    # The foreign VPC and Elastic IP are filtered out as EC2's filters leave them out.
    assert [e["tags"]["Name"] for e in handed_over["elastic_ips"]] == [f"{PREFIX}-nat-eip-us-west-2a"]


def test_lists_of_another_region_or_none_are_not_used(run, network):
    lists = preflight_lists(run)

    calls = run(network_drift, {**DRIFT_ARGS, "region_lists": {**lists, "region": "us-east-1"}})[1]
    assert {action: calls.get(action) for action in COVERED} == dict.fromkeys(COVERED, 1)

    # A list left out (its read failed in the pre-flight, or its check did not run) is read.
    partial = {key: value for key, value in lists.items() if key != "nat_gateways"}
    calls = run(network_drift, {**DRIFT_ARGS, "region_lists": partial})[1]
    assert set(calls) & COVERED == {"ec2:DescribeNatGateways"}


def test_the_elastic_ips_are_ec2_eip_infos(run, network):
    found = run(network_drift, DRIFT_ARGS)[0]
    info = run(ec2_eip_info, {"filters": {"tag:Name": [f"{PREFIX}-nat-eip-us-west-2a", f"{PREFIX}-nat-eip-us-west-2b"]}})[0]

    assert found["elastic_ips"] == info["addresses"]
    assert found["elastic_ips"][0]["association_id"]


def test_the_vpc_endpoints_are_ec2_vpc_endpoint_infos_of_its_vpc_only(run, network):
    """The network role deletes stale endpoints from this list instead of reading them again: it must be what
    ec2_vpc_endpoint_info answers for the VPC, read or taken from the pre-flight's lists, and the VPC's only."""
    alone = run(network_drift, DRIFT_ARGS)[0]
    handed_over = run(network_drift, {**DRIFT_ARGS, "region_lists": preflight_lists(run)})[0]
    info = run(ec2_vpc_endpoint_info, {"filters": {"vpc-id": network}})[0]

    assert len(info["vpc_endpoints"]) == 1 and info["vpc_endpoints"][0]["vpc_id"] == network
    assert alone["vpc_endpoints"] == info["vpc_endpoints"]
    assert handed_over["vpc_endpoints"] == info["vpc_endpoints"]


def test_without_its_vpc_it_returns_no_vpc_endpoints(run, url):
    found = run(network_drift, DRIFT_ARGS)[0]
    assert found["vpc_id"] is None and "vpc" in found["missing"]
    assert found["vpc_endpoints"] == []
