"""Bad input stops site.yml before any AWS write, with a message that names the variable."""

from __future__ import annotations

import json

import pytest
import yaml

from helpers import REPO
from helpers import aws
from helpers import inventory_snapshot
from helpers import role_play
from helpers import run_playbook
from helpers import sandbox_play
from helpers import stack_vpcs

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
    # The storage role's argument spec (its types) also holds for the entry points site.yml checks it through.
    "wrong type in storage": ({"storage_replication": "maybe"}, ["storage_replication"]),
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
    assert "Pre-flight" in message and foreign in message and "Fix:" in message, message
    assert inventory_snapshot(ec2) == before


def test_missing_credentials_stop_the_build_in_preflight(empty_sandbox, port, tmp_path):
    """No credentials anywhere: pre-flight names the cause and the design's resolutions; nothing is created."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text((REPO / "inventories" / "sandbox" / "hosts.yml").read_text())
    group_vars = yaml.safe_load((REPO / "inventories" / "sandbox" / "group_vars" / "all.yml").read_text())
    for name in ("nova_aws_access_key", "nova_aws_secret_key"):
        group_vars.pop(name)
    (inventory / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars))
    ec2 = aws(port, "ec2")
    before = inventory_snapshot(ec2)
    run = run_playbook(
        port,
        "site.yml",
        "-i",
        str(inventory),
        env_overrides={
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
            "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
            # Never ask an instance metadata service: there is none here.
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    assert run.returncode != 0
    message = "\n".join(run.failure_messages())
    assert "credentials" in message.lower(), message
    assert "aws configure" in message and "sts get-caller-identity" in message, message
    assert inventory_snapshot(ec2) == before


def test_check_mode_on_an_empty_account_says_what_would_be_built_and_writes_nothing(empty_sandbox, port):
    """--check compares a built stack with the design: with no VPC of the stack there is nothing to compare, and the
    tasks after the VPC's would need IDs only the build makes. The run ends without an error, naming the plan; a
    drift job (nova_fail_on_drift=true) fails on the missing stack. Nothing is written either way."""
    from sandbox import sandboxctl

    ec2 = aws(port, "ec2")
    before = inventory_snapshot(ec2)
    url = sandboxctl.endpoint(port)
    sandboxctl.stats(url, reset=True)
    run = run_playbook(port, "site.yml", "--check")
    counted = sandboxctl.stats(url)
    assert run.returncode == 0, run.failure_messages()
    assert "No VPC nova-production-vpc in us-west-2 to compare with the design" in run.stdout
    assert "10.0.0.0/16" in run.stdout and "10.0.3.0/24" in run.stdout
    reads = ("Describe", "Get", "List")
    writes = {action: n - counted.get("dry_runs", {}).get(action, 0) for action, n in counted["by_action"].items()
              if not action.split(":", 1)[1].startswith(reads)}
    assert {action: n for action, n in writes.items() if n} == {}
    assert inventory_snapshot(ec2) == before

    drift_job = run_playbook(port, "site.yml", "--check", "-e", "nova_fail_on_drift=true")
    assert drift_job.returncode != 0
    assert "The stack does not exist" in "\n".join(drift_job.failure_messages())
    assert inventory_snapshot(ec2) == before and stack_vpcs(ec2) == []


def test_check_mode_on_a_network_a_killed_run_left_without_subnets_names_what_is_missing(empty_sandbox, port, tmp_path):
    """A run killed after the VPC's creation: --check cannot look past the subnets it would create (their IDs feed
    every later task), so it names them and ends; the drift job fails on the incomplete stack."""
    play = tmp_path / "vpc-only.yml"
    play.write_text(sandbox_play("The VPC a killed run left") + """  tasks:
    - name: The stack's VPC, and nothing else
      nova.infra.ec2_vpc_net:
        name: nova-production-vpc
        cidr_block: 10.0.0.0/16
        dns_support: true
        dns_hostnames: true
        tags: "{{ 'nova-production' | nova.infra.stack_tags }}"
""")
    assert run_playbook(port, str(play)).returncode == 0
    ec2 = aws(port, "ec2")
    before = inventory_snapshot(ec2)
    run = run_playbook(port, "site.yml", "--check")
    assert run.returncode == 0, run.failure_messages()
    assert "lacks public subnet 10.0.0.0/24, public subnet 10.0.1.0/24" in run.stdout
    assert "--check ends here" in run.stdout
    drift_job = run_playbook(port, "site.yml", "--check", "-e", "nova_fail_on_drift=true")
    assert drift_job.returncode != 0
    assert "The stack is incomplete: its network lacks public subnet" in "\n".join(drift_job.failure_messages())
    assert inventory_snapshot(ec2) == before


def test_the_storage_role_in_check_mode_on_an_empty_account_names_what_it_would_create(empty_sandbox, port, tmp_path):
    """Check mode creates nothing, so the replication role's policy and the replication of buckets that do not exist
    yet cannot be checked: they are skipped (before, the policy's read failed on the missing role) and the buckets'
    read names them as missing. Nothing is written."""
    from sandbox import sandboxctl

    play = tmp_path / "storage.yml"
    play.write_text(role_play("storage", "The storage role alone, in check mode"))
    url = sandboxctl.endpoint(port)
    sandboxctl.stats(url, reset=True)
    run = run_playbook(port, str(play), "--check")
    counted = sandboxctl.stats(url)["by_action"]
    assert run.returncode == 0, run.failure_messages()
    tasks = {task["task"]["name"]: task["hosts"]["localhost"] for task in run.results["plays"][0]["tasks"]}
    found = tasks["nova.infra.storage : Compare each bucket with its settings (six reads a bucket)"]["results"]
    assert [item["drift"][0]["setting"] for item in found] == ["exists"] * len(found) and len(found) == 4
    assert tasks["nova.infra.storage : Scope the replication role to the stack's buckets"].get("skipped") is True
    replication = tasks["nova.infra.storage : Replicate each bucket to its replica with storage class STANDARD_IA"]
    assert all(item.get("skipped") for item in replication["results"])
    assert not [action for action in counted if action.split(":", 1)[1].startswith(("Create", "Put", "Delete"))]
