"""The bastion's Auto Scaling group cannot launch its instance: the run stops at once and says why.

AWS creates the group and records the failed launch as a scaling activity; the API call succeeds. Here the
instance type is one the region offers, but in neither zone of the stack's public subnets (AWS: Unsupported), as
the sandbox records it (docs/sandbox.md, AWS-alignment patches). The role must fail with the activity's status
message, the EC2 error code, its cause and fix, without waiting bastion_wait_timeout (600 s by default); the fix it
names must then work.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import CATALOGUE

from helpers import aws
from helpers import role_play
from helpers import run_playbook
from helpers import tags_of

pytestmark = pytest.mark.integration

PREFIX = "nova-lf"
GROUP = f"{PREFIX}-bastion-asg"
ZONES = ["us-west-2a", "us-west-2b"]
WAIT_TASK = (
    "nova.infra.bastion : Wait until the bastion is in service, or stop with the AWS error if the group cannot "
    "launch it"
)

BASTION_ONLY = role_play("bastion", "Build the bastion on the network the test made")


def public_network(ec2):
    """What the network role leaves for the bastion: the VPC and one public subnet per zone, found by tag."""
    vpc = ec2.create_vpc(
        CidrBlock="10.77.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"{PREFIX}-vpc"}]}],
    )["Vpc"]["VpcId"]
    for number, zone in enumerate(ZONES):
        subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.77.{number}.0/24",
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Type", "Value": "Public"}]}],
        )["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})


def type_offered_elsewhere(ec2):
    """An instance type the region offers, in none of the stack's zones (asked as an operator would)."""
    zones_of = {}
    for page in ec2.get_paginator("describe_instance_type_offerings").paginate(LocationType="availability-zone"):
        for offering in page["InstanceTypeOfferings"]:
            zones_of.setdefault(offering["InstanceType"], set()).add(offering["Location"])
    return sorted(name for name, zones in zones_of.items() if not zones & set(ZONES))[0]


def playbook(tmp_path):
    path = tmp_path / "bastion.yml"
    path.write_text(BASTION_ONLY)
    return str(path)


def test_a_group_that_cannot_launch_fails_at_once_with_the_aws_error_and_the_fix_works(empty_sandbox, port, tmp_path):
    ec2, autoscaling = aws(port, "ec2"), aws(port, "autoscaling")
    public_network(ec2)
    instance_type = type_offered_elsewhere(ec2)
    args = ("-e", f"nova_name_prefix={PREFIX}", "-e", f"nova_secrets_dir={tmp_path / 'secrets'}")

    # bastion_wait_timeout stays at its 600 s default; the timeout only keeps a regression from hanging the suite.
    run = run_playbook(port, playbook(tmp_path), *args, "-e", f"bastion_instance_type={instance_type}", timeout=300)

    assert run.returncode == 2, run.stderr
    failed_tasks = [
        task["task"]["name"]
        for play in run.results["plays"]
        for task in play["tasks"]
        if any(result.get("failed") for result in task["hosts"].values())
    ]
    assert failed_tasks == [WAIT_TASK]
    (message,) = run.failure_messages()

    # What AWS recorded, read back independently: the group exists, nothing launched, both zones failed.
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"]
    assert group["Instances"] == [] and group["DesiredCapacity"] == 1
    activities = autoscaling.describe_scaling_activities(AutoScalingGroupName=GROUP)["Activities"]
    assert {json.loads(a["Details"])["Availability Zone"] for a in activities} == set(ZONES)
    assert {a["StatusCode"] for a in activities} == {"Failed"}
    newest = activities[0]

    # The message: why it stopped, the activity quoted, the code, the cause and every fix step.
    assert message.startswith(
        f"The Auto Scaling group {GROUP} cannot launch its instances (0 of 1 healthy and in service): its launches "
        "failed in every availability zone of the group (us-west-2a, us-west-2b)."
    ), message
    assert f"Last failed scaling activity {newest['ActivityId']}" in message
    assert f'StatusCode Failed, StatusMessage "{newest["StatusMessage"]}"' in message
    assert f"Unsupported - Your requested instance type ({instance_type}) is not supported" in message
    assert "AWS error Unsupported." in message
    assert f"Cause: {CATALOGUE['Unsupported']['cause']}" in message
    for number, step in enumerate(CATALOGUE["Unsupported"]["fix"], 1):
        assert f"({number}) {step}" in message
    assert "Waited" not in message
    # The callback prints the same guidance under the task, from the module's `troubleshooting`.
    printed = run.stdout.partition("{")[0]
    assert f"AWS error Unsupported (localhost, task: {WAIT_TASK})" in printed
    assert f"  Cause: {CATALOGUE['Unsupported']['cause']}" in printed

    # The fix the message names: an instance type offered in the stack's zones. The same group launches it.
    run = run_playbook(port, playbook(tmp_path), *args, "-e", "bastion_instance_type=t3.micro", timeout=300)
    assert run.returncode == 0, run.failure_messages() or run.stderr
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"]
    assert [(i["LifecycleState"], i["HealthStatus"]) for i in group["Instances"]] == [("InService", "Healthy")]
    (instance,) = ec2.describe_instances(InstanceIds=[group["Instances"][0]["InstanceId"]])["Reservations"][0][
        "Instances"
    ]
    assert instance["InstanceType"] == "t3.micro" and instance["Placement"]["AvailabilityZone"] in ZONES
    assert tags_of(instance)["Name"] == f"{PREFIX}-bastion"
    newest = autoscaling.describe_scaling_activities(AutoScalingGroupName=GROUP)["Activities"][0]
    assert (newest["StatusCode"], newest["Description"]) == (
        "Successful", f"Launching a new EC2 instance: {instance['InstanceId']}"
    )
    assert (tmp_path / "secrets" / "ssh_config").read_text().count(instance["PublicIpAddress"]) == 1

    # And a converged bastion stays as it is.
    run = run_playbook(port, playbook(tmp_path), *args, "-e", "bastion_instance_type=t3.micro", timeout=300)
    assert run.returncode == 0 and run.changed == 0, run.changed_tasks()
