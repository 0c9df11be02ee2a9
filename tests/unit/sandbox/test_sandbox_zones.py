"""The sandbox's AZ impairment (sandbox/zones.py), the AZ-loss drill's fault injector: what AWS shows when a zone is
lost - the zone impaired, its NAT gateway failed with its address freed, its instances stopped, an Auto Scaling group
replacing its instance in a healthy zone - and the zone restored."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config

from sandbox import sandboxctl

REGION = "us-west-2"


@pytest.fixture(scope="module")
def sandbox(start_sandbox):
    return start_sandbox(strict=True)


@pytest.fixture
def url(sandbox):
    url = sandboxctl.endpoint(sandbox)
    sandboxctl.reset(url)
    sandboxctl.configure(url, nat_pending_seconds=0)
    return url


def client(url, service):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))


def zone_states(ec2):
    return {z["ZoneName"]: (z["State"], [m["Message"] for m in z.get("Messages", [])])
            for z in ec2.describe_availability_zones()["AvailabilityZones"]}


def test_an_impaired_zone_fails_its_nat_gateway_stops_its_instances_and_the_group_relaunches_elsewhere(url):
    ec2, autoscaling = client(url, "ec2"), client(url, "autoscaling")
    vpc = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    subnets = {zone: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for zone, cidr in [("us-west-2a", "10.31.0.0/24"), ("us-west-2b", "10.31.1.0/24")]}
    eips = {zone: ec2.allocate_address(Domain="vpc")["AllocationId"] for zone in subnets}
    nats = {zone: ec2.create_nat_gateway(SubnetId=subnets[zone], AllocationId=eips[zone])["NatGateway"]["NatGatewayId"]
            for zone in subnets}
    image = sandboxctl.amazon_linux_image_id(ec2)
    ec2.create_launch_template(LaunchTemplateName="bastion-lt",
                               LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="bastion", LaunchTemplate={"LaunchTemplateName": "bastion-lt", "Version": "$Latest"},
        MinSize=1, MaxSize=2, DesiredCapacity=1, VPCZoneIdentifier=f"{subnets['us-west-2a']},{subnets['us-west-2b']}",
    )
    (first,) = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"]
    assert first["AvailabilityZone"] == "us-west-2a"

    done = sandboxctl.zone(url, "us-west-2a", "impaired")
    assert done["nat_gateways_failed"] == [nats["us-west-2a"]]
    assert done["instances_stopped"] == done["instances_replaced"] == [first["InstanceId"]]

    states = zone_states(ec2)
    assert states["us-west-2a"][0] == "impaired" and states["us-west-2a"][1]
    assert states["us-west-2b"] == ("available", [])
    available = ec2.describe_availability_zones(Filters=[{"Name": "state", "Values": ["available"]}])
    assert "us-west-2a" not in [z["ZoneName"] for z in available["AvailabilityZones"]]

    by_id = {n["NatGatewayId"]: n for n in ec2.describe_nat_gateways()["NatGateways"]}
    assert by_id[nats["us-west-2a"]]["State"] == "failed"
    assert by_id[nats["us-west-2a"]]["FailureMessage"]
    assert by_id[nats["us-west-2b"]]["State"] == "available"
    # As on AWS, the failed NAT gateway's address is free for a replacement.
    (address,) = ec2.describe_addresses(AllocationIds=[eips["us-west-2a"]])["Addresses"]
    assert "AssociationId" not in address

    (old,) = ec2.describe_instances(InstanceIds=[first["InstanceId"]])["Reservations"][0]["Instances"]
    assert old["State"]["Name"] == "terminated"
    (group,) = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert [(i["AvailabilityZone"], i["LifecycleState"], i["HealthStatus"]) for i in group["Instances"]] == [
        ("us-west-2b", "InService", "Healthy")
    ]
    activities = autoscaling.describe_scaling_activities(AutoScalingGroupName="bastion")["Activities"]
    assert [(a["StatusCode"], json.loads(a["Details"])["Availability Zone"]) for a in activities[:3]] == [
        ("Successful", "us-west-2b"), ("Failed", "us-west-2a"), ("Successful", "us-west-2a")
    ]
    assert activities[2]["Description"] == f"Terminating EC2 instance: {first['InstanceId']}"
    assert "InsufficientInstanceCapacity" in activities[1]["StatusMessage"]

    assert sandboxctl.zone(url, "us-west-2a", "available")["state"] == "available"
    assert zone_states(ec2)["us-west-2a"] == ("available", [])
    # The failed NAT gateway stays failed (AWS removes it later); it no longer blocks the subnet (strict mode).
    assert ec2.describe_nat_gateways(NatGatewayIds=[nats["us-west-2a"]])["NatGateways"][0]["State"] == "failed"


def test_a_restored_zone_starts_the_instances_the_impairment_stopped(url):
    ec2 = client(url, "ec2")
    image = sandboxctl.amazon_linux_image_id(ec2)
    (instance,) = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                    Placement={"AvailabilityZone": "us-west-2b"})["Instances"]
    assert sandboxctl.zone(url, "us-west-2b", "impaired")["instances_stopped"] == [instance["InstanceId"]]
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert described["State"]["Name"] == "stopped"
    assert sandboxctl.zone(url, "us-west-2b", "available")["instances_started"] == [instance["InstanceId"]]
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert described["State"]["Name"] == "running"


def test_a_reset_ends_every_impairment_and_bad_requests_are_refused(url):
    sandboxctl.zone(url, "us-west-2c", "impaired")
    sandboxctl.reset(url)
    assert zone_states(client(url, "ec2"))["us-west-2c"] == ("available", [])
    for bad in ({"zone": "us-west-2z", "state": "impaired"}, {"zone": "us-west-2a", "state": "down"}, {"x": 1}):
        with pytest.raises(sandboxctl.SandboxError, match="HTTP 400"):
            sandboxctl._request(f"{url}/_nova/zones", "POST", bad)
