"""Bad input stops site.yml before any AWS write, with a message that names the variable."""

from __future__ import annotations

import json

import pytest

from helpers import aws, inventory_snapshot, run_playbook, stack_vpcs

pytestmark = pytest.mark.integration

CASES = {
    "prefix out of range": ({"network_vpc_cidr": "10.0.0.0/33"}, ["network_vpc_cidr", "10.0.0.0/33"]),
    "not a CIDR": ({"network_vpc_cidr": "ten.0.0.0/16"}, ["network_vpc_cidr"]),
    "overlapping subnets": (
        {
            "network_public_subnet_cidrs": ["10.0.0.0/24", "10.0.0.128/25"],
            "network_private_subnet_cidrs": ["10.0.2.0/24", "10.0.3.0/24"],
        },
        ["network_public_subnet_cidrs", "10.0.0.128/25", "overlap"],
    ),
    "subnet outside the VPC": (
        {
            "network_public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
            "network_private_subnet_cidrs": ["10.1.2.0/24", "10.0.3.0/24"],
        },
        ["network_private_subnet_cidrs", "10.1.2.0/24"],
    ),
    "one AZ": ({"network_az_count": 1}, ["network_az_count"]),
    "unknown AZ": ({"network_azs": ["us-west-2a", "us-west-2z"]}, ["network_azs", "us-west-2z"]),
    "SSH open to the world": (
        {"bastion_ssh_cidrs": ["0.0.0.0/0"]},
        ["bastion_ssh_cidrs[0]", "0.0.0.0/0", "bastion_i_accept_ssh_open_to_the_world"],
    ),
    "SSH from IPv6 world": ({"bastion_ssh_cidrs": ["203.0.113.0/24", "::/0"]}, ["bastion_ssh_cidrs[1]", "::/0"]),
    "malformed SSH source": ({"bastion_ssh_cidrs": ["203.0.113.0/33"]}, ["bastion_ssh_cidrs[0]", "203.0.113.0/33"]),
    "no SSH source": ({"bastion_ssh_cidrs": []}, ["bastion_ssh_cidrs"]),
    "ASG sizes": ({"bastion_asg_min_size": 2, "bastion_asg_max_size": 1}, ["bastion_asg_min_size"]),
    "invalid bucket names": ({"storage_name_prefix": "Nova_Prod"}, ["storage_name_prefix", "Nova_Prod-backup"]),
    "replica in the same region": ({"storage_replica_region": "us-west-2"}, ["storage_replica_region"]),
    "negative NAT threshold": ({"monitoring_nat_bytes_threshold": -1}, ["monitoring_nat_bytes_threshold", "-1"]),
    "CPU threshold over 100": ({"monitoring_bastion_cpu_threshold": 150}, ["monitoring_bastion_cpu_threshold"]),
    "wrong type": ({"bastion_asg_max_size": "two"}, ["bastion_asg_max_size"]),
}


@pytest.mark.parametrize("extra_vars, expected", CASES.values(), ids=CASES.keys())
def test_bad_input_fails_before_any_write(empty_sandbox, port, extra_vars, expected):
    ec2 = aws(port, "ec2")
    before = inventory_snapshot(ec2)
    run = run_playbook(port, "site.yml", "-e", json.dumps(extra_vars))
    assert run.returncode != 0
    message = "\n".join(run.failure_messages())
    for fragment in expected:
        assert fragment in message, message
    assert inventory_snapshot(ec2) == before
    assert stack_vpcs(ec2) == []


def test_conflicting_vpc_stops_the_build(empty_sandbox, port):
    ec2 = aws(port, "ec2")
    foreign = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    before = inventory_snapshot(ec2)
    run = run_playbook(port)
    assert run.returncode != 0
    message = "\n".join(run.failure_messages())
    assert foreign in message and "network_vpc_cidr" in message, message
    assert inventory_snapshot(ec2) == before
