"""Strict mode of the AWS sandbox: AWS's refusals for resources in use, and NAT gateway phases.

Each refusal is checked for AWS's error code and message, and then checked to succeed once the
dependency is gone. One sandbox per module, started with ``strict=True``; NAT phases are shortened
to keep the module fast.
"""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox import sandboxctl

REGION = "us-west-2"
PHASE_S = 1.0
# One of moto's bundled AMIs (the sandbox validates ImageId); DescribeImages would take ~3 s per call.
IMAGE_ID = "ami-03cf127a"


@pytest.fixture(scope="module")
def sandbox(start_sandbox):
    return start_sandbox(strict=True)


@pytest.fixture
def url(sandbox):
    url = sandboxctl.endpoint(sandbox)
    sandboxctl.configure(url, strict=True, nat_pending_seconds=PHASE_S, nat_deleting_seconds=PHASE_S)
    sandboxctl.reset(url)
    return url


@pytest.fixture
def ec2(url):
    return boto3.client(
        "ec2",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.fixture
def vpc(ec2):
    """A VPC with one subnet and an attached internet gateway: ids by name."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    return {"vpc": vpc_id, "subnet": subnet_id, "igw": igw_id}


def refused(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def nat_state(ec2, nat_id) -> str:
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]


def run_instance(ec2, **kwargs) -> str:
    # t3.micro is offered in every us-west-2 zone; the default type (m1.small) is not, and a subnet made without a
    # zone lands in any of them, where the sandbox (as AWS) refuses a type the zone does not offer.
    request = {"ImageId": IMAGE_ID, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro", **kwargs}
    return ec2.run_instances(**request)["Instances"][0]["InstanceId"]


def mapped_message(vpc_id) -> str:
    return (f"Network {vpc_id} has some mapped public address(es). "
            "Please unmap those public address(es) before detaching the gateway.")


# ------------------------------------------------------------------ switching


def test_strict_mode_is_reported_and_switchable_at_run_time(url):
    assert sandboxctl.health(url)["strict"] is True
    assert sandboxctl.configure(url, strict=False)["strict"] is False
    assert sandboxctl.configure(url, strict="1", nat_pending_seconds=3)["strict"] is True
    assert sandboxctl.health(url)["nat_pending_seconds"] == 3.0
    for bad in ({"strict": "maybe"}, {"nat_pending_seconds": -1}, {"nat_deleting_seconds": "soon"}):
        with pytest.raises(sandboxctl.SandboxError, match="HTTP 400"):
            sandboxctl.configure(url, **bad)
    assert sandboxctl.health(url)["nat_pending_seconds"] == 3.0


def test_start_switches_a_running_sandbox_and_env_sets_the_default(sandbox, url):
    sandboxctl.start(port=sandbox.port, state_dir=sandbox.state_dir, strict=False)
    assert sandboxctl.health(url)["strict"] is False
    sandboxctl.start(port=sandbox.port, state_dir=sandbox.state_dir, strict=True)
    assert sandboxctl.health(url)["strict"] is True
    from sandbox import server

    assert server.Settings.from_env({}).strict is False
    settings = server.Settings.from_env({"NOVA_SANDBOX_STRICT": "1", "NOVA_SANDBOX_NAT_DELETING_SECONDS": "5"})
    assert (settings.strict, settings.nat_pending_seconds, settings.nat_deleting_seconds) == (True, 2.0, 5.0)


def test_strict_off_lets_through_what_moto_lets_through(url, ec2, vpc):
    sandboxctl.configure(url, strict=False)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=vpc["subnet"], AllocationId=allocation)["NatGateway"]
    assert nat["State"] == "available"
    ec2.detach_internet_gateway(InternetGatewayId=vpc["igw"], VpcId=vpc["vpc"])
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert nat_state(ec2, nat["NatGatewayId"]) == "deleted"


# ------------------------------------------------------------------ NAT gateway phases


def test_nat_gateway_is_pending_then_available_and_the_waiter_really_waits(ec2, vpc):
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat_id = ec2.create_nat_gateway(SubnetId=vpc["subnet"], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    assert nat_state(ec2, nat_id) == "pending"
    # While pending the Elastic IP is already associated with the gateway's interface.
    address = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert address["AssociationId"] and address["NetworkInterfaceId"]
    assert ec2.describe_nat_gateways(Filters=[{"Name": "state", "Values": ["pending"]}])["NatGateways"]

    started = time.monotonic()
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat_id], WaiterConfig={"Delay": 0.25})
    assert time.monotonic() - started >= PHASE_S * 0.5
    assert nat_state(ec2, nat_id) == "available"


def test_nat_gateway_deleting_holds_its_eip_and_subnet_until_deleted(ec2, vpc):
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat_id = ec2.create_nat_gateway(SubnetId=vpc["subnet"], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat_id], WaiterConfig={"Delay": 0.25})

    assert refused(ec2.release_address, AllocationId=allocation) == (
        "AuthFailure", "You do not have permission to access the specified resource.")
    assert refused(ec2.detach_internet_gateway, InternetGatewayId=vpc["igw"], VpcId=vpc["vpc"]) == (
        "DependencyViolation", mapped_message(vpc["vpc"]))

    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    assert nat_state(ec2, nat_id) == "deleting"
    assert refused(ec2.release_address, AllocationId=allocation)[0] == "AuthFailure"
    assert refused(ec2.delete_subnet, SubnetId=vpc["subnet"]) == (
        "DependencyViolation", f"The subnet '{vpc['subnet']}' has dependencies and cannot be deleted.")

    started = time.monotonic()
    ec2.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[nat_id], WaiterConfig={"Delay": 0.25})
    assert time.monotonic() - started >= PHASE_S * 0.5
    # Deleted: the Elastic IP is free and the gateway's interface is gone, as on AWS.
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    ec2.release_address(AllocationId=allocation)
    ec2.detach_internet_gateway(InternetGatewayId=vpc["igw"], VpcId=vpc["vpc"])
    ec2.delete_subnet(SubnetId=vpc["subnet"])
    assert ec2.describe_addresses()["Addresses"] == []


# ------------------------------------------------------------------ refusals


def test_release_of_an_eip_associated_with_an_instance_is_in_use(ec2, vpc):
    instance_id = run_instance(ec2, SubnetId=vpc["subnet"])
    eip = ec2.allocate_address(Domain="vpc")
    association = ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=instance_id)["AssociationId"]
    assert refused(ec2.release_address, AllocationId=eip["AllocationId"]) == (
        "InvalidIPAddress.InUse", f"Address {eip['PublicIp']} is in use.")
    ec2.disassociate_address(AssociationId=association)
    ec2.release_address(AllocationId=eip["AllocationId"])
    assert ec2.describe_addresses()["Addresses"] == []


def test_detach_igw_is_refused_while_an_instance_has_a_public_ip(ec2, vpc):
    instance_id = run_instance(
        ec2, NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": vpc["subnet"], "AssociatePublicIpAddress": True}])
    assert refused(ec2.detach_internet_gateway, InternetGatewayId=vpc["igw"], VpcId=vpc["vpc"]) == (
        "DependencyViolation", mapped_message(vpc["vpc"]))
    ec2.terminate_instances(InstanceIds=[instance_id])
    ec2.detach_internet_gateway(InternetGatewayId=vpc["igw"], VpcId=vpc["vpc"])
    ec2.delete_internet_gateway(InternetGatewayId=vpc["igw"])
    assert ec2.describe_internet_gateways()["InternetGateways"] == []


def test_security_group_in_use_by_an_instance_or_a_rule_cannot_be_deleted(ec2, vpc):
    used = ec2.create_security_group(GroupName="used", Description="used", VpcId=vpc["vpc"])["GroupId"]
    referring = ec2.create_security_group(GroupName="referring", Description="r", VpcId=vpc["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=referring, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": used}]}])
    # A rule of a group that refers to the group itself does not keep it.
    ec2.authorize_security_group_ingress(GroupId=referring, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": referring}]}])
    instance_id = run_instance(ec2, SubnetId=vpc["subnet"], SecurityGroupIds=[used])
    message = ("DependencyViolation", f"resource {used} has a dependent object")

    assert refused(ec2.delete_security_group, GroupId=used) == message
    ec2.delete_security_group(GroupId=referring)
    assert refused(ec2.delete_security_group, GroupId=used) == message
    ec2.terminate_instances(InstanceIds=[instance_id])
    ec2.delete_security_group(GroupId=used)
    remaining = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc"]]}])
    assert [g["GroupName"] for g in remaining["SecurityGroups"]] == ["default"]


def test_security_group_and_subnet_of_a_network_interface_cannot_be_deleted(ec2, vpc):
    group = ec2.create_security_group(GroupName="eni", Description="eni", VpcId=vpc["vpc"])["GroupId"]
    eni = ec2.create_network_interface(SubnetId=vpc["subnet"], Groups=[group])["NetworkInterface"]
    assert refused(ec2.delete_security_group, GroupId=group)[0] == "DependencyViolation"
    assert refused(ec2.delete_subnet, SubnetId=vpc["subnet"])[0] == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_security_group(GroupId=group)
    ec2.delete_subnet(SubnetId=vpc["subnet"])
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc"]]}])["Subnets"] == []


def test_subnet_with_a_live_instance_cannot_be_deleted_and_termination_frees_it(ec2, vpc):
    instance_id = run_instance(ec2, SubnetId=vpc["subnet"])
    assert refused(ec2.delete_subnet, SubnetId=vpc["subnet"]) == (
        "DependencyViolation", f"The subnet '{vpc['subnet']}' has dependencies and cannot be deleted.")
    ec2.terminate_instances(InstanceIds=[instance_id])
    # The interface created at launch goes with the instance (DeleteOnTermination), as on AWS.
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    ec2.terminate_instances(InstanceIds=[instance_id])  # terminating again is accepted, as on AWS
    ec2.delete_subnet(SubnetId=vpc["subnet"])


def test_vpc_with_an_attached_igw_or_a_security_group_cannot_be_deleted(ec2, vpc):
    ec2.delete_subnet(SubnetId=vpc["subnet"])
    group = ec2.create_security_group(GroupName="left", Description="left", VpcId=vpc["vpc"])["GroupId"]
    message = ("DependencyViolation", f"The vpc '{vpc['vpc']}' has dependencies and cannot be deleted.")
    assert refused(ec2.delete_vpc, VpcId=vpc["vpc"]) == message
    ec2.detach_internet_gateway(InternetGatewayId=vpc["igw"], VpcId=vpc["vpc"])
    assert refused(ec2.delete_vpc, VpcId=vpc["vpc"]) == message
    ec2.delete_security_group(GroupId=group)
    ec2.delete_vpc(VpcId=vpc["vpc"])
    assert vpc["vpc"] not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
