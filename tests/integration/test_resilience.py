"""Resilience: site.yml and teardown.yml killed (SIGKILL) mid-run, then run again.

1. site.yml is killed right after the VPC, the Elastic IPs, the first NAT gateway and the bastion's Auto
   Scaling group (the sandbox's request log tells which AWS call the playbook has just made; its whole process
   tree is killed), each run resuming what the previous one left; then a full run. The no-duplicate
   invariants are checked after every kill and every run.
2. teardown.yml is killed after its first DeleteNatGateway, then run again: nothing is left.

Runs under 30 % throttling and 5xx errors: test_resilience_faults.py (a sandbox of its own, so the two run side by
side).
"""

from __future__ import annotations

import pytest
from resilience import PREFIX
from resilience import assert_converged
from resilience import assert_no_duplicates
from resilience import assert_nothing_left
from resilience import kill_after

from helpers import aws
from helpers import run_playbook
from helpers import stack_vpcs

pytestmark = pytest.mark.integration

KILL_POINTS = [
    ("ec2:CreateVpc", 1),
    ("ec2:AllocateAddress", 2),
    ("ec2:CreateNatGateway", 1),
    ("autoscaling:CreateAutoScalingGroup", 1),
]


@pytest.fixture(scope="module")
def killed_chain(stack_sandbox):
    """site.yml killed at each point in turn (each run resuming what the previous one left).

    First, what a run killed between creating the internet gateway and attaching it leaves (ec2_vpc_igw makes
    two calls; the gap is too short to hit with a kill reliably): a detached gateway with the stack's Name.
    """
    port, snapshots = stack_sandbox.port, []
    leftover = aws(port, "ec2").create_internet_gateway(
        TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": f"{PREFIX}-igw"}]}]
    )["InternetGateway"]["InternetGatewayId"]
    for action, nth in KILL_POINTS:
        kill_after(stack_sandbox, "site.yml", action, nth)
        snapshots.append((action, _counts(port)))
    return leftover, snapshots


def _counts(port: int) -> dict:
    ec2 = aws(port, "ec2")
    return {
        "vpcs": len(stack_vpcs(ec2)),
        "igws": sorted((i["InternetGatewayId"], bool(i["Attachments"])) for i in ec2.describe_internet_gateways()["InternetGateways"]),
        "eips": len(ec2.describe_addresses()["Addresses"]),
        "nats": len([n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]),
        "asgs": len(aws(port, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]),
    }


def test_each_kill_lands_where_intended_and_leaves_no_duplicate(killed_chain, stack_sandbox):
    # The kill points are reached in order, so what exists grows by exactly the resource just made; the
    # detached gateway left before is adopted (attached), never doubled.
    leftover, snapshots = killed_chain
    detached, attached = [(leftover, False)], [(leftover, True)]
    expected = [
        {"vpcs": 1, "igws": detached, "eips": 0, "nats": 0, "asgs": 0},
        {"vpcs": 1, "igws": attached, "eips": 2, "nats": 0, "asgs": 0},
        {"vpcs": 1, "igws": attached, "eips": 2, "nats": 1, "asgs": 0},
        {"vpcs": 1, "igws": attached, "eips": 2, "nats": 2, "asgs": 1},
    ]
    assert [counts for _unused, counts in snapshots] == expected
    assert_no_duplicates(stack_sandbox.port)


@pytest.fixture(scope="module")
def site_rerun(killed_chain, stack_sandbox):
    run = run_playbook(stack_sandbox.port)
    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:]
    return run


def test_site_rerun_after_the_kills_leaves_exactly_one_of_each_and_no_free_eip(site_rerun, stack_sandbox):
    assert_no_duplicates(stack_sandbox.port)
    assert_converged(stack_sandbox.port)


@pytest.fixture(scope="module")
def teardown_rerun(site_rerun, stack_sandbox):
    """teardown.yml killed right after its first DeleteNatGateway, then run again."""
    kill_after(stack_sandbox, "teardown.yml", "ec2:DeleteNatGateway", 1)
    assert len(stack_vpcs(aws(stack_sandbox.port, "ec2"))) == 1, "the kill came after the VPC was gone"
    run = run_playbook(stack_sandbox.port, "teardown.yml")
    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:]
    return run


def test_teardown_killed_halfway_then_rerun_leaves_nothing(teardown_rerun, stack_sandbox):
    assert_nothing_left(stack_sandbox.port)
