"""Bad-input matrix: every user-facing variable of every role, playbook and module gets wrong values.

Each case must fail with a message that names the variable and says how to fix it, before any AWS write.
Roles and playbook-level variables: ONE generated playbook runs every case in block/rescue (the same gates
site.yml runs before its first write) and records the message. Modules: main() in-process against the sandbox.
The sandbox's request log must show no mutating call and its state must be unchanged.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
import yaml

from helpers import REPO
from helpers import aws
from helpers import inventory_snapshot
from helpers import run_playbook

pytestmark = pytest.mark.integration

READ_ONLY = ("Describe", "Get", "List", "Head")
BASE = {"region": "us-west-2", "access_key": "testing", "secret_key": "testing"}


def case(target, variables, *fragments):
    """target: a role (its validate gate; the network role runs whole, its CIDR checks precede its first write)
    or "site" (the four gates in site.yml's order). fragments: what the message must contain, case-insensitive;
    the first is the variable, the last a hint of the fix."""
    return {"target": target, "vars": variables, "expect": list(fragments)}


ROLE_CASES = {
    # network: CIDRs, AZs and subnets are checked by cidr_validate against the region's AZs (two module runs per
    # case, so further wrong values of these variables run in-process below: cidr_validate with the role's labels).
    "network_vpc_cidr malformed": case(
        "network", {"network_vpc_cidr": "ten.0.0.0/16"}, "network_vpc_cidr", "ten.0.0.0/16", "fix"
    ),
    "network_vpc_cidr prefix /33": case(
        "network", {"network_vpc_cidr": "10.0.0.0/33"}, "network_vpc_cidr", "10.0.0.0/33", "fix"
    ),
    "network_az_count one AZ": case("network", {"network_az_count": 1}, "network_az_count", "fix"),
    "network_az_count wrong type": case("network", {"network_az_count": "two"}, "network_az_count", "int"),
    "network_azs unknown AZ": case(
        "network", {"network_azs": ["us-west-2a", "us-west-2z"]}, "network_azs", "us-west-2z", "fix"
    ),
    "network_azs zone without the bastion's instance type": case(
        "network",
        {"network_azs": ["us-west-2a", "us-west-2c"], "bastion_instance_type": "p5e.48xlarge"},
        "network_azs[0]",
        "us-west-2a",
        "p5e.48xlarge",
        "bastion_instance_type",
        "offer p5e.48xlarge: us-west-2c",
    ),
    "network_subnet_prefix too small": case(
        "network", {"network_subnet_prefix": 29}, "network_subnet_prefix", "29", "fix"
    ),
    "network_public_subnet_cidrs overlap": case(
        "network",
        {
            "network_public_subnet_cidrs": ["10.0.0.0/24", "10.0.0.128/25"],
            "network_private_subnet_cidrs": ["10.0.2.0/24", "10.0.3.0/24"],
        },
        "network_public_subnet_cidrs",
        "10.0.0.128/25",
        "overlap",
    ),
    "network_private_subnet_cidrs outside the VPC": case(
        "network",
        {
            "network_public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
            "network_private_subnet_cidrs": ["10.1.2.0/24", "10.0.3.0/24"],
        },
        "network_private_subnet_cidrs",
        "10.1.2.0/24",
        "fix",
    ),
    "network_check_cidr_conflicts wrong type": case(
        "network", {"network_check_cidr_conflicts": "maybe"}, "network_check_cidr_conflicts", "bool"
    ),
    "network_state unknown": case("network", {"network_state": "destroyed"}, "network_state", "destroyed", "one of"),
    "network_name_prefix with a space": case(
        "network", {"network_name_prefix": "nova prod"}, "network_name_prefix", "nova prod", "fix"
    ),
    "network_tags aws: key": case("network", {"network_tags": {"aws:owner": "me"}}, "network_tags", "aws:owner", "fix"),
    "network_tags wrong type": case("network", {"network_tags": "production"}, "network_tags", "dict"),
    "network_wait_timeout negative": case("network", {"network_wait_timeout": -5}, "network_wait_timeout", "-5", "fix"),
    # bastion
    "bastion_ssh_cidrs world-open": case(
        "bastion",
        {"bastion_ssh_cidrs": ["0.0.0.0/0"]},
        "bastion_ssh_cidrs[0]",
        "0.0.0.0/0",
        "bastion_i_accept_ssh_open_to_the_world",
    ),
    "bastion_ssh_cidrs the world in two halves": case(
        "bastion",
        {"bastion_ssh_cidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
        "bastion_ssh_cidrs",
        "the internet in all but name",
        "bastion_i_accept_ssh_open_to_the_world",
    ),
    "bastion_ssh_cidrs IPv6 world": case(
        "bastion", {"bastion_ssh_cidrs": ["203.0.113.0/24", "::/0"]}, "bastion_ssh_cidrs[1]", "::/0", "fix"
    ),
    "bastion_ssh_cidrs malformed": case(
        "bastion", {"bastion_ssh_cidrs": ["203.0.113.0/33"]}, "bastion_ssh_cidrs[0]", "203.0.113.0/33", "fix"
    ),
    "bastion_ssh_cidrs not a CIDR": case(
        "bastion", {"bastion_ssh_cidrs": ["office"]}, "bastion_ssh_cidrs[0]", "office", "fix"
    ),
    "bastion_ssh_cidrs empty": case("bastion", {"bastion_ssh_cidrs": []}, "bastion_ssh_cidrs", "fix"),
    "bastion_ssh_cidrs world as a string": case(
        "bastion", {"bastion_ssh_cidrs": "0.0.0.0/0"}, "bastion_ssh_cidrs", "0.0.0.0/0", "fix"
    ),
    "bastion_i_accept_ssh_open_to_the_world wrong type": case(
        "bastion",
        {"bastion_i_accept_ssh_open_to_the_world": "yes please"},
        "bastion_i_accept_ssh_open_to_the_world",
        "bool",
    ),
    "bastion_access unknown": case(
        "bastion", {"bastion_access": "session-manager"}, "bastion_access", "session-manager", "one of"
    ),
    "bastion_private_egress bad CIDR": case(
        "bastion",
        {"bastion_private_egress": [{"proto": "tcp", "ports": [443], "cidr_ip": "0.0.0.0/33"}]},
        "bastion_private_egress[0].cidr_ip",
        "0.0.0.0/33",
        "fix",
    ),
    "bastion_private_egress port out of range": case(
        "bastion",
        {"bastion_private_egress": [{"proto": "tcp", "ports": [70000], "cidr_ip": "0.0.0.0/0"}]},
        "bastion_private_egress[0].ports",
        "70000",
        "fix",
    ),
    "bastion_instance_type malformed": case(
        "bastion", {"bastion_instance_type": "t3 micro"}, "bastion_instance_type", "t3 micro", "t3.micro"
    ),
    "bastion_ami_id malformed": case("bastion", {"bastion_ami_id": "ami-123"}, "bastion_ami_id", "ami-123", "fix"),
    "bastion_ami_name_pattern empty": case(
        "bastion", {"bastion_ami_name_pattern": ""}, "bastion_ami_name_pattern", "fix"
    ),
    "bastion_public_key_path missing": case(
        "bastion",
        {"bastion_public_key_path": "/nonexistent/id_ed25519.pub"},
        "bastion_public_key_path",
        "/nonexistent/id_ed25519.pub",
        "fix",
    ),
    "bastion_public_key_path empty file": case(
        "bastion", {"bastion_public_key_path": "@KEYS@/empty.pub"}, "bastion_public_key_path", "empty.pub", "fix"
    ),
    "bastion_public_key_path malformed key": case(
        "bastion",
        {"bastion_public_key_path": "@KEYS@/malformed.pub"},
        "bastion_public_key_path",
        "malformed.pub",
        "not an OpenSSH public key",
    ),
    "bastion_public_key_path private key": case(
        "bastion", {"bastion_public_key_path": "@KEYS@/id_private"}, "bastion_public_key_path", "private key", "fix"
    ),
    "bastion_key_dir empty": case("bastion", {"bastion_key_dir": ""}, "bastion_key_dir", "fix"),
    "bastion_rotate_key wrong type": case("bastion", {"bastion_rotate_key": "sometimes"}, "bastion_rotate_key", "bool"),
    "bastion_asg_min_size above max": case(
        "bastion", {"bastion_asg_min_size": 2, "bastion_asg_max_size": 1}, "bastion_asg_min_size", "fix"
    ),
    "bastion_asg_min_size zero": case("bastion", {"bastion_asg_min_size": 0}, "bastion_asg_min_size", "fix"),
    "bastion_asg_desired_capacity above max": case(
        "bastion", {"bastion_asg_desired_capacity": 5}, "desired_capacity", "fix"
    ),
    "bastion_asg_max_size wrong type": case("bastion", {"bastion_asg_max_size": "two"}, "bastion_asg_max_size", "int"),
    "bastion_root_volume_size zero": case(
        "bastion", {"bastion_root_volume_size": 0}, "bastion_root_volume_size", "fix"
    ),
    "bastion_root_volume_size too large": case(
        "bastion", {"bastion_root_volume_size": 20000}, "bastion_root_volume_size", "20000", "fix"
    ),
    "bastion_root_volume_type unknown": case(
        "bastion", {"bastion_root_volume_type": "gp9"}, "bastion_root_volume_type", "gp9", "one of"
    ),
    "bastion_tags aws: key": case("bastion", {"bastion_tags": {"aws:team": "x"}}, "bastion_tags", "aws:team", "fix"),
    "bastion_tags value too long": case(
        "bastion", {"bastion_tags": {"Owner": "x" * 300}}, "bastion_tags", "Owner", "fix"
    ),
    "bastion_wait_timeout zero": case("bastion", {"bastion_wait_timeout": 0}, "bastion_wait_timeout", "fix"),
    "bastion_name_prefix with a space": case(
        "bastion", {"bastion_name_prefix": "nova prod"}, "bastion_name_prefix", "nova prod", "fix"
    ),
    "bastion_state unknown": case("bastion", {"bastion_state": "gone"}, "bastion_state", "gone", "one of"),
    # storage
    "storage_name_prefix invalid bucket names": case(
        "storage", {"storage_name_prefix": "Nova_Prod"}, "storage_name_prefix", "Nova_Prod-backup", "fix"
    ),
    "storage_name_prefix too long": case(
        "storage", {"storage_name_prefix": "nova-" + "x" * 50}, "storage_name_prefix", "fix"
    ),
    "storage_region unknown": case("storage", {"storage_region": "moon-1"}, "storage_region", "moon-1", "fix"),
    "storage_replica_region same region": case(
        "storage", {"storage_replica_region": "us-west-2"}, "storage_replica_region", "us-west-2", "nova_dr_region"
    ),
    "storage_replica_region malformed": case(
        "storage", {"storage_replica_region": "US-EAST-1"}, "storage_replica_region", "US-EAST-1", "fix"
    ),
    "storage_buckets invalid name": case(
        "storage", {"storage_buckets": [{"name": "Backup!"}]}, "storage_buckets", "Backup!", "fix"
    ),
    "storage_buckets missing name": case(
        "storage", {"storage_buckets": [{"lifecycle": True}]}, "storage_buckets", "name"
    ),
    "storage_buckets duplicate": case(
        "storage", {"storage_buckets": [{"name": "backup"}, {"name": "backup"}]}, "storage_buckets", "backup", "fix"
    ),
    "storage_buckets wrong type": case("storage", {"storage_buckets": "app-logs"}, "storage_buckets", "dict"),
    "storage_buckets lifecycle wrong type": case(
        "storage", {"storage_buckets": [{"name": "logs", "lifecycle": "often"}]}, "lifecycle", "bool"
    ),
    "storage_replication wrong type": case(
        "storage", {"storage_replication": "perhaps"}, "storage_replication", "bool"
    ),
    "storage_replica_storage_class unknown": case(
        "storage", {"storage_replica_storage_class": "REDUCED"}, "storage_replica_storage_class", "REDUCED", "one of"
    ),
    "storage_replication_time_control wrong type": case(
        "storage", {"storage_replication_time_control": "sometimes"}, "storage_replication_time_control", "bool"
    ),
    "storage_replication_time_control in GovCloud": case(
        "storage",
        {"storage_region": "us-gov-west-1", "storage_replica_region": "us-gov-east-1"},
        "storage_replication_time_control",
        "us-gov-west-1",
        "fix",
    ),
    "storage_log_transition_days below 30": case(
        "storage", {"storage_log_transition_days": 10}, "storage_log_transition_days", "10", "fix"
    ),
    "storage_log_expiration_days before transition": case(
        "storage", {"storage_log_expiration_days": 20}, "storage_log_expiration_days", "20", "fix"
    ),
    "storage_noncurrent_version_expiration_days zero": case(
        "storage",
        {"storage_noncurrent_version_expiration_days": 0},
        "storage_noncurrent_version_expiration_days",
        "fix",
    ),
    "storage_abort_incomplete_upload_days negative": case(
        "storage", {"storage_abort_incomplete_upload_days": -1}, "storage_abort_incomplete_upload_days", "-1", "fix"
    ),
    "storage_log_delivery_prefix leading slash": case(
        "storage", {"storage_log_delivery_prefix": "/flow"}, "storage_log_delivery_prefix", "/flow", "fix"
    ),
    "storage_force_delete wrong type": case(
        "storage", {"storage_force_delete": "kinda"}, "storage_force_delete", "bool"
    ),
    "storage_tags aws: key": case("storage", {"storage_tags": {"aws:x": "y"}}, "storage_tags", "aws:x", "fix"),
    "storage_state unknown": case("storage", {"storage_state": "on"}, "storage_state", "one of"),
    # monitoring
    "monitoring_region unknown": case(
        "monitoring", {"monitoring_region": "moon-1"}, "monitoring_region", "moon-1", "fix"
    ),
    "monitoring_name_prefix with a space": case(
        "monitoring", {"monitoring_name_prefix": "nova prod"}, "monitoring_name_prefix", "fix"
    ),
    "monitoring_flow_logs wrong type": case(
        "monitoring", {"monitoring_flow_logs": "yes please"}, "monitoring_flow_logs", "bool"
    ),
    "monitoring_flow_log_traffic_type unknown": case(
        "monitoring", {"monitoring_flow_log_traffic_type": "SOME"}, "monitoring_flow_log_traffic_type", "SOME", "one of"
    ),
    "monitoring_flow_log_bucket URL": case(
        "monitoring", {"monitoring_flow_log_bucket": "s3://logs"}, "monitoring_flow_log_bucket", "s3://logs", "fix"
    ),
    "monitoring_flow_log_prefix leading slash": case(
        "monitoring", {"monitoring_flow_log_prefix": "/logs/"}, "monitoring_flow_log_prefix", "/logs/", "fix"
    ),
    "monitoring_flow_log_aggregation_interval unknown": case(
        "monitoring",
        {"monitoring_flow_log_aggregation_interval": 120},
        "monitoring_flow_log_aggregation_interval",
        "120",
        "one of",
    ),
    "monitoring_alarm_topic invalid": case(
        "monitoring", {"monitoring_alarm_topic": "alarms topic!"}, "monitoring_alarm_topic", "alarms topic!", "fix"
    ),
    "monitoring_alarm_emails malformed": case(
        "monitoring",
        {"monitoring_alarm_emails": ["ops-at-example.com"]},
        "monitoring_alarm_emails[0]",
        "ops-at-example.com",
        "fix",
    ),
    "monitoring_alarm_prefix empty": case(
        "monitoring", {"monitoring_alarm_prefix": ""}, "monitoring_alarm_prefix", "fix"
    ),
    "monitoring_nat_bytes_threshold negative": case(
        "monitoring", {"monitoring_nat_bytes_threshold": -1}, "monitoring_nat_bytes_threshold", "-1", "fix"
    ),
    "monitoring_nat_bytes_threshold wrong type": case(
        "monitoring", {"monitoring_nat_bytes_threshold": "lots"}, "monitoring_nat_bytes_threshold", "float"
    ),
    "monitoring_nat_bytes_period not a period": case(
        "monitoring", {"monitoring_nat_bytes_period": 45}, "monitoring_nat_bytes_period", "45", "fix"
    ),
    "monitoring_nat_bytes_evaluation_periods zero": case(
        "monitoring", {"monitoring_nat_bytes_evaluation_periods": 0}, "monitoring_nat_bytes_evaluation_periods", "fix"
    ),
    "monitoring_bastion_cpu_threshold over 100": case(
        "monitoring", {"monitoring_bastion_cpu_threshold": 150}, "monitoring_bastion_cpu_threshold", "150", "fix"
    ),
    "monitoring_bastion_cpu_threshold negative": case(
        "monitoring", {"monitoring_bastion_cpu_threshold": -5}, "monitoring_bastion_cpu_threshold", "fix"
    ),
    "monitoring_bastion_cpu_period zero": case(
        "monitoring", {"monitoring_bastion_cpu_period": 0}, "monitoring_bastion_cpu_period", "fix"
    ),
    "monitoring_bastion_cpu_evaluation_periods negative": case(
        "monitoring",
        {"monitoring_bastion_cpu_evaluation_periods": -2},
        "monitoring_bastion_cpu_evaluation_periods",
        "fix",
    ),
    "monitoring_replication_alarms wrong type": case(
        "monitoring", {"monitoring_replication_alarms": "often"}, "monitoring_replication_alarms", "bool"
    ),
    "monitoring_replication_region unknown": case(
        "monitoring", {"monitoring_replication_region": "moon-1"}, "monitoring_replication_region", "moon-1", "fix"
    ),
    "monitoring_replication_buckets invalid name": case(
        "monitoring",
        {"monitoring_replication_buckets": ["app-logs", "App Logs"]},
        "monitoring_replication_buckets[1]",
        "App Logs",
        "fix",
    ),
    "monitoring_replication_latency_threshold zero": case(
        "monitoring",
        {"monitoring_replication_latency_threshold": 0},
        "monitoring_replication_latency_threshold",
        "0",
        "fix",
    ),
    "monitoring_replication_latency_threshold wrong type": case(
        "monitoring",
        {"monitoring_replication_latency_threshold": "an hour"},
        "monitoring_replication_latency_threshold",
        "float",
    ),
    "monitoring_replication_period not whole minutes": case(
        "monitoring", {"monitoring_replication_period": 90}, "monitoring_replication_period", "90", "fix"
    ),
    "monitoring_replication_evaluation_periods zero": case(
        "monitoring",
        {"monitoring_replication_evaluation_periods": 0},
        "monitoring_replication_evaluation_periods",
        "fix",
    ),
    "monitoring_replication_alarm_topic invalid": case(
        "monitoring",
        {"monitoring_replication_alarm_topic": "dr alarms!"},
        "monitoring_replication_alarm_topic",
        "dr alarms!",
        "fix",
    ),
    "monitoring_tags value too long": case(
        "monitoring", {"monitoring_tags": {"Owner": "x" * 300}}, "monitoring_tags", "Owner", "fix"
    ),
    "monitoring_state unknown": case("monitoring", {"monitoring_state": "up"}, "monitoring_state", "one of"),
    # playbook-level variables, through site.yml's gates in its order
    "nova_region unknown": case("site", {"nova_region": "moon-1"}, "nova_region", "moon-1", "fix"),
    "nova_region upper case": case("site", {"nova_region": "US-WEST-2"}, "nova_region", "US-WEST-2", "fix"),
    "nova_dr_region same as nova_region": case(
        "site", {"nova_dr_region": "us-west-2"}, "nova_dr_region", "us-west-2", "fix"
    ),
    "nova_dr_region malformed": case("site", {"nova_dr_region": "east"}, "nova_dr_region", "east", "fix"),
    "nova_name_prefix with a space": case(
        "site", {"nova_name_prefix": "Nova Prod"}, "nova_name_prefix", "Nova Prod", "fix"
    ),
    "nova_name_prefix too long": case("site", {"nova_name_prefix": "nova-" + "p" * 60}, "nova_name_prefix", "fix"),
    "nova_name_prefix upper case": case(
        "site", {"nova_name_prefix": "Nova-Prod"}, "nova_name_prefix", "Nova-Prod", "fix"
    ),
    "nova_common_tags aws: key": case(
        "site",
        {"nova_common_tags": {"aws:cloudformation:stack-name": "x"}},
        "nova_common_tags",
        "aws:cloudformation:stack-name",
        "fix",
    ),
    "nova_common_tags wrong type": case("site", {"nova_common_tags": "production"}, "_tags", "dict"),
    "nova_environment too long": case("site", {"nova_environment": "e" * 300}, "nova_common_tags", "fix"),
    "nova_state unknown": case("site", {"nova_state": "destroy"}, "_state", "destroy", "one of"),
    "nova_secrets_dir empty": case("site", {"nova_secrets_dir": ""}, "nova_secrets_dir", "fix"),
}

# Variables whose checks live in a playbook's first task (no AWS call before it): one run each.
PLAYBOOK_CASES = {
    "nova_audit_fail_on unknown": (
        "playbooks/validate.yml",
        {"nova_audit_fail_on": "urgent"},
        ["nova_audit_fail_on", "urgent", "fix"],
    ),
    # teardown.yml's first task: the run lock's settings (site.yml checks them after its pre-flight, the same task).
    "nova_lock_wait negative": ("teardown.yml", {"nova_lock_wait": -5}, ["nova_lock_wait=-5", "fix", "0 to 86400"]),
    "nova_lock_ttl zero": ("teardown.yml", {"nova_lock_ttl": 0}, ["nova_lock_ttl=0", "fix", "1 to 604800"]),
    "nova_break_lock not a boolean": ("teardown.yml", {"nova_break_lock": "maybe"}, ["nova_break_lock=maybe", "fix"]),
    "dr_mode unknown": ("dr-failover.yml", {"dr_mode": "panic"}, ["dr_mode=panic", "fix", "drill or failover"]),
    "nova_dr_region same as source for the failover": (
        "dr-failover.yml",
        {"nova_dr_region": "us-west-2"},
        ["dr_region=us-west-2", "nova_dr_region", "fix"],
    ),
}


def _is_write(record: dict) -> bool:
    # 412 is DryRunOperation: pre-flight's permission probes (DryRun=true) change nothing.
    return (
        record.get("service") != "sts"
        and not str(record.get("action", "")).startswith(READ_ONLY)
        and record.get("status") != 412
    )


class RequestLog:
    """The sandbox's requests.jsonl from a remembered offset: what a step asked AWS to do."""

    def __init__(self, sandbox):
        self.path = Path(sandbox.state_dir) / "requests.jsonl"
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def writes(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as log:
            log.seek(self.offset)
            records = [json.loads(line) for line in log if line.strip()]
        return [f"{r['service']}:{r['action']}" for r in records if _is_write(r)]


def snapshot(port: int) -> dict:
    """What a failed run must not have changed, in both regions of the stack."""
    state = {region: inventory_snapshot(aws(port, "ec2", region)) for region in ("us-west-2", "us-east-1")}
    state["buckets"] = sorted(b["Name"] for b in aws(port, "s3").list_buckets().get("Buckets", []))
    state["iam_roles"] = sorted(r["RoleName"] for r in aws(port, "iam").list_roles()["Roles"])
    state["key_pairs"] = sorted(k["KeyName"] for k in aws(port, "ec2").describe_key_pairs()["KeyPairs"])
    state["topics"] = sorted(t["TopicArn"] for t in aws(port, "sns").list_topics()["Topics"])
    return state


def _gate_tasks(target: str, variables: dict) -> list[dict]:
    if target == "network":
        # The whole role: its CIDR, subnet and AZ checks come after a read of the AZs and before its first write.
        return [
            {
                "name": "Run the network role",
                "ansible.builtin.include_role": {"name": "nova.infra.network"},
                "vars": variables,
            }
        ]
    roles = ["network", "bastion", "storage", "monitoring"] if target == "site" else [target]
    return [
        {
            "name": f"Check the {role} settings",
            "ansible.builtin.include_role": {"name": f"nova.infra.{role}", "tasks_from": "validate"},
            "vars": variables,
        }
        for role in roles
    ]


def matrix_playbook(cases: dict, results: Path) -> list[dict]:
    tasks = [{"name": "Start with no results", "ansible.builtin.set_fact": {"matrix": {}}}]
    for index, (case_id, spec) in enumerate(cases.items()):
        record = "{{ matrix | combine({%r: %s}) }}"
        tasks.append(
            {
                "name": f"Case {index}",
                "block": _gate_tasks(spec["target"], spec["vars"])
                + [{"name": "Not caught", "ansible.builtin.set_fact": {"matrix": record % (case_id, "'NOT CAUGHT'")}}],
                "rescue": [
                    {
                        "name": "Record the message",
                        "ansible.builtin.set_fact": {
                            "matrix": record
                            % (case_id, "ansible_failed_result.msg | default(ansible_failed_result | string)")
                        },
                    }
                ],
            }
        )
    tasks.append(
        {
            "name": "Write the results",
            "ansible.builtin.copy": {"dest": str(results), "content": "{{ matrix | to_json }}", "mode": "0600"},
        }
    )
    aws_defaults = {
        "region": "{{ nova_region | default('us-west-2') }}",
        "endpoint_url": "{{ nova_aws_endpoint_url | default(omit) }}",
        "access_key": "{{ nova_aws_access_key | default(omit) }}",
        "secret_key": "{{ nova_aws_secret_key | default(omit) }}",
    }
    return [
        {
            "name": "Bad-input matrix",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "module_defaults": {"group/nova.infra.aws": aws_defaults},
            "tasks": tasks,
        }
    ]


def key_files(directory: Path) -> Path:
    directory.mkdir()
    (directory / "empty.pub").write_text("")
    (directory / "malformed.pub").write_text("ssh-ed25519 not-base64!!\n")
    (directory / "id_private").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    return directory


@pytest.fixture(scope="module")
def role_matrix(sandbox, port, tmp_path_factory):
    """Runs every role and playbook-level case in one playbook; returns (messages, writes, before, after)."""
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    work = tmp_path_factory.mktemp("matrix")
    keys = key_files(work / "keys")
    cases = json.loads(json.dumps(ROLE_CASES).replace("@KEYS@", str(keys)))
    playbook = work / "matrix.yml"
    results = work / "results.json"
    playbook.write_text(yaml.safe_dump(matrix_playbook(cases, results), sort_keys=False, width=200))
    before = snapshot(port)
    log = RequestLog(sandbox)
    # Pipelining saves a temporary file per module run.
    run = run_playbook(port, str(playbook), env_overrides={"ANSIBLE_PIPELINING": "1"})
    assert run.returncode == 0 and results.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(results.read_text()), log.writes(), before, snapshot(port)


@pytest.mark.parametrize("case_id", ROLE_CASES)
def test_role_and_playbook_variables(role_matrix, case_id):
    messages = role_matrix[0]
    message = messages[case_id]
    assert message != "NOT CAUGHT", f"{case_id}: accepted {ROLE_CASES[case_id]['vars']}"
    for fragment in ROLE_CASES[case_id]["expect"]:
        assert fragment.lower() in message.lower(), f"{case_id}: {fragment!r} not in {message!r}"


def test_the_role_matrix_wrote_nothing(role_matrix):
    _unused, writes, before, after = role_matrix
    assert writes == []
    assert after == before


def _public_key_file(directory: Path, name: str) -> Path:
    """A new ed25519 public key, as ssh-keygen writes it (the private half is not kept)."""
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # pylint: disable=import-outside-toplevel

    key = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    path = directory / f"{name}.pub"
    path.write_bytes(key + f" {name}@example\n".encode())
    return path


def test_an_existing_key_pair_with_another_key_stops_site_before_any_write(empty_sandbox, port, tmp_path):
    """FAILURE_ANALYSIS 'SSH Key Pair Issues' (an incorrect key): the bastion role keeps an existing key pair, so one
    that holds another key than bastion_public_key_path's would lock the operator out of the bastion. The pre-flight
    compares them (in its one DescribeKeyPairs) and stops site.yml before any write; the key pair's own key, or
    bastion_rotate_key=true (the role replaces it), passes."""
    ours, theirs = _public_key_file(tmp_path, "ours"), _public_key_file(tmp_path, "theirs")
    ec2 = aws(port, "ec2")
    ec2.import_key_pair(KeyName="nova-production-bastion-key", PublicKeyMaterial=theirs.read_bytes())
    try:
        log = RequestLog(empty_sandbox)
        run = run_playbook(port, "site.yml", "-e", f"bastion_public_key_path={ours}")
        assert run.returncode != 0
        message = "\n".join(run.failure_messages())
        assert "[key_pair] key pair nova-production-bastion-key in us-west-2 holds another public key" in message
        assert "bastion_rotate_key=true" in message and "Permission denied (publickey)" in message
        assert log.writes() == []

        for extra in ((f"bastion_public_key_path={theirs}",), (f"bastion_public_key_path={ours}", "bastion_rotate_key=true")):
            run = run_playbook(port, "playbooks/preflight.yml", *(arg for value in extra for arg in ("-e", value)))
            assert run.returncode == 0, run.failure_messages()
    finally:
        ec2.delete_key_pair(KeyName="nova-production-bastion-key")


@pytest.mark.parametrize("case_id", PLAYBOOK_CASES)
def test_playbook_first_checks(sandbox, port, case_id):
    playbook, variables, expect = PLAYBOOK_CASES[case_id]
    log = RequestLog(sandbox)
    run = run_playbook(port, playbook, "-e", json.dumps(variables))
    assert run.returncode != 0
    message = "\n".join(run.failure_messages())
    for fragment in expect:
        assert fragment.lower() in message.lower(), f"{fragment!r} not in {message!r}"
    assert log.writes() == []


# Modules: every option of every module with a wrong value (in-process, against the sandbox).
NETWORK_LABELS = {
    "vpc_cidr": "network_vpc_cidr",
    "availability_zones": "network_azs",
    "az_count": "network_az_count",
    "subnet_prefix": "network_subnet_prefix",
    "public_subnet_cidrs": "network_public_subnet_cidrs",
    "private_subnet_cidrs": "network_private_subnet_cidrs",
}
RULE = {"id": "r1", "priority": 1, "destination": {"bucket": "arn:aws:s3:::dest"}}
ROLE_ARN = "arn:aws:iam::123456789012:role/replication"
MODULE_CASES = {
    "autoscaling_activity_info": {
        "base": {"name": "nova-production-bastion-asg"},
        "cases": {
            "name": ({"name": "bastion asg"}, "name", "bastion asg", "fix"),
            "max_items": ({"max_items": 0}, "max_items", "0", "fix"),
            "since": ({"since": "yesterday"}, "since", "yesterday", "fix"),
            "wait": ({"wait": "sometimes"}, "wait", "bool"),
            "wait_timeout": ({"wait": True, "wait_timeout": -5}, "wait_timeout", "-5", "fix"),
        },
    },
    "cidr_validate": {
        "base": {
            "vpc_cidr": "10.0.0.0/16",
            "az_count": 2,
            "available_zones": ["us-west-2a", "us-west-2b"],
            "labels": NETWORK_LABELS,
        },
        "cases": {
            # The network role's gate (roles/network/tasks/present.yml passes these labels).
            "vpc_cidr (larger than /16)": ({"vpc_cidr": "10.0.0.0/8"}, "network_vpc_cidr", "10.0.0.0/8", "/16"),
            "vpc_cidr (host bits)": ({"vpc_cidr": "10.0.0.1/16"}, "network_vpc_cidr", "10.0.0.1/16", "fix"),
            "az_count (negative)": ({"az_count": -2}, "network_az_count", "-2", "fix"),
            "availability_zones (one AZ)": (
                {"az_count": None, "availability_zones": ["us-west-2a"]},
                "network_azs",
                "fix",
            ),
            "subnet_prefix (too large)": ({"subnet_prefix": 8}, "network_subnet_prefix", "fix"),
            "public_subnet_cidrs (one for two AZs)": (
                {"public_subnet_cidrs": ["10.0.0.0/24"], "private_subnet_cidrs": ["10.0.2.0/24", "10.0.3.0/24"]},
                "network_public_subnet_cidrs",
                "fix",
            ),
            "private_subnet_cidrs (malformed)": (
                {
                    "public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
                    "private_subnet_cidrs": ["10.0.2.0/24", "10.0.3.300/24"],
                },
                "network_private_subnet_cidrs",
                "10.0.3.300/24",
                "fix",
            ),
            "vpc_cidr": ({"vpc_cidr": "10.0.0.0/33"}, "vpc_cidr", "10.0.0.0/33", "fix"),
            "availability_zones": (
                {"az_count": None, "availability_zones": ["us-west-2a", "us-west-2z"]},
                "network_azs",
                "us-west-2z",
                "fix",
            ),
            "az_count": ({"az_count": 1}, "az_count", "fix"),
            "instance_type": ({"instance_type": "t3 micro"}, "instance_type", "t3 micro", "t3.micro"),
            "instance_type (not offered in a named zone)": (
                {
                    "az_count": None,
                    "availability_zones": ["us-west-2a", "us-west-2b"],
                    "available_zones": ["us-west-2a", "us-west-2b", "us-west-2c"],
                    "instance_type": "p5e.48xlarge",
                    "labels": {**NETWORK_LABELS, "instance_type": "bastion_instance_type"},
                },
                "network_azs[0]",
                "p5e.48xlarge",
                "bastion_instance_type",
                "us-west-2c",
            ),
            # Zones handed over by the pre-flight, without the type they were read for.
            "offered_zones": ({"offered_zones": ["us-west-2a"]}, "offered_zones", "instance_type"),
            "offered_zones (named zone not among them)": (
                {
                    "az_count": None,
                    "availability_zones": ["us-west-2a", "us-west-2b"],
                    "instance_type": "t3.micro",
                    "offered_zones": ["us-west-2a"],
                },
                "network_azs[1]",
                "us-west-2b",
                "t3.micro",
            ),
            "available_zones": ({"available_zones": ["us-west-2a"]}, "az_count", "fix"),
            # Values below 1 (0) count as 1 by design, so the wrong value is of the wrong type.
            "min_azs": ({"min_azs": "two"}, "min_azs", "int"),
            "public_subnet_cidrs": (
                {
                    "public_subnet_cidrs": ["10.0.0.0/24", "10.0.0.0/24"],
                    "private_subnet_cidrs": ["10.0.2.0/24", "10.0.3.0/24"],
                },
                "public_subnet_cidrs",
                "fix",
            ),
            "private_subnet_cidrs": (
                {
                    "public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
                    "private_subnet_cidrs": ["10.9.2.0/24", "10.0.3.0/24"],
                },
                "private_subnet_cidrs",
                "10.9.2.0/24",
                "fix",
            ),
            "subnet_prefix": ({"subnet_prefix": 29}, "subnet_prefix", "fix"),
            "min_usable_addresses": ({"min_usable_addresses": "many"}, "min_usable_addresses", "int"),
            "check_existing_vpcs": ({"check_existing_vpcs": "perhaps"}, "check_existing_vpcs", "bool"),
            "conflict_regions": (
                {"check_existing_vpcs": True, "conflict_regions": ["moon-1"]},
                "conflict_regions",
                "moon-1",
                "fix",
            ),
            "own_vpc_tags": ({"own_vpc_tags": "prod"}, "own_vpc_tags", "dict"),
            "labels": ({"labels": "network_vpc_cidr"}, "labels", "dict"),
        },
    },
    "preflight": {
        "base": {"vpc_cidr": "10.0.0.0/16"},
        "cases": {
            "vpc_cidr": (
                {"vpc_cidr": "10.0.0.0/33", "labels": {"vpc_cidr": "network_vpc_cidr"}},
                "network_vpc_cidr",
                "10.0.0.0/33",
                "fix",
            ),
            "labels": ({"labels": ["network_vpc_cidr"]}, "labels", "dict"),
            "min_azs": ({"min_azs": 0}, "min_azs", "fix"),
            "required_azs": ({"required_azs": "us-west-2z"}, "required_azs", "us-west-2z", "fix"),
            "vpcs_to_create": ({"vpcs_to_create": -1}, "vpcs_to_create", "fix"),
            "gateway_endpoints": ({"gateway_endpoints": -1}, "gateway_endpoints", "-1", "fix"),
            "interface_endpoints": ({"interface_endpoints": -3}, "interface_endpoints", "-3", "fix"),
            "eips_to_allocate": ({"eips_to_allocate": -2}, "eips_to_allocate", "fix"),
            "nat_gateways_per_az": ({"nat_gateways_per_az": -1}, "nat_gateways_per_az", "fix"),
            "instance_type": ({"instance_type": "t3 micro"}, "instance_type", "t3 micro", "t3.micro"),
            "max_instances": ({"max_instances": 2}, "max_instances", "instance_type"),
            "check_cidr_conflicts": ({"check_cidr_conflicts": "sure"}, "check_cidr_conflicts", "bool"),
            "own_vpc_tags": ({"own_vpc_tags": "prod"}, "own_vpc_tags", "dict"),
            "key_name": ({"key_name": "", "key_must_exist": True}, "key_name", "fix"),
            "key_must_exist": ({"key_must_exist": True}, "key_name", "key_must_exist"),
            "public_key": ({"key_name": "k", "public_key": "ssh-ed25519 not-base64!!"}, "public_key", "OpenSSH", "give"),
            "replace_key": ({"replace_key": "perhaps"}, "replace_key", "bool"),
            "permission_checks": (
                {"permission_checks": ["ec2:LaunchRockets"]},
                "permission_checks",
                "ec2:LaunchRockets",
                "use any of",
            ),
            "quota_defaults": (
                {"quota_defaults": {"vpcs_per_region": -5}},
                "quota_defaults",
                "-5",
                "positive whole number",
            ),
            "fail_on_problems": ({"fail_on_problems": "never"}, "fail_on_problems", "bool"),
            "iam_policy": ({"iam_policy": {"Version": "2012-10-17"}}, "iam_policy", "Statement", "fix"),
        },
    },
    "s3_bucket_replication": {
        "base": {"bucket": "nova-production-backup-123456789012-us-west-2", "role": ROLE_ARN, "rules": [RULE]},
        "cases": {
            "bucket": ({"bucket": "Bad_Bucket"}, "bucket", "Bad_Bucket", "fix"),
            "state": ({"state": "paused"}, "state", "paused", "one of"),
            "role": ({"role": "replication"}, "role", "replication", "fix"),
            "rules": (
                {"rules": [{"id": "r1", "priority": -1, "destination": {"bucket": "arn:aws:s3:::dest"}}]},
                "priority",
                "-1",
                "fix",
            ),
            "rules.id": (
                {"rules": [{"priority": 1, "destination": {"bucket": "arn:aws:s3:::dest"}}]},
                "id",
                "required",
            ),
            "rules.status": ({"rules": [dict(RULE, status="On")]}, "status", "On", "one of"),
            "rules.destination.bucket": (
                {"rules": [dict(RULE, destination={"bucket": "dest bucket"})]},
                "bucket",
                "dest bucket",
                "fix",
            ),
            "rules.destination.storage_class": (
                {"rules": [dict(RULE, destination={"bucket": "arn:aws:s3:::dest", "storage_class": "CHEAP"})]},
                "storage_class",
                "CHEAP",
                "fix",
            ),
            "rules.destination.replication_time": (
                {"rules": [dict(RULE, destination={"bucket": "arn:aws:s3:::dest", "replication_time": 5})]},
                "replication_time",
                "5",
                "fix",
            ),
            "purge_rules": ({"purge_rules": "kinda"}, "purge_rules", "bool"),
            "destination_region": ({"destination_region": "moon-1"}, "destination_region", "moon-1", "fix"),
            "versioned_buckets": ({"versioned_buckets": ["Bad_Bucket"]}, "versioned_buckets", "Bad_Bucket", "fix"),
        },
    },
    "s3_sync": {
        "base": {
            "source_bucket": "nova-production-backup-123456789012-us-west-2",
            "dest_bucket": "nova-production-backup-123456789012-us-east-1",
            "source_region": "us-west-2",
            "dest_region": "us-east-1",
        },
        "cases": {
            "source_bucket": ({"source_bucket": "Not A Bucket"}, "source_bucket", "Not A Bucket", "fix"),
            "source_region": ({"source_region": "moon-1"}, "source_region", "moon-1", "fix"),
            "source_prefix": (
                {
                    "dest_bucket": "nova-production-backup-123456789012-us-west-2",
                    "source_prefix": "a/b/",
                    "dest_prefix": "a/",
                },
                "source_prefix",
                "a/b/",
                "fix",
            ),
            "dest_bucket": ({"dest_bucket": "s3://dest"}, "dest_bucket", "s3://dest", "fix"),
            "dest_region": ({"dest_region": "US-EAST-1"}, "dest_region", "US-EAST-1", "fix"),
            "dest_prefix": (
                {
                    "dest_bucket": "nova-production-backup-123456789012-us-west-2",
                    "source_prefix": "a/",
                    "dest_prefix": "a/b/",
                },
                "dest_prefix",
                "fix",
            ),
            "storage_class": ({"storage_class": "CHEAP"}, "storage_class", "CHEAP", "one of"),
            "delete": ({"delete": "maybe"}, "delete", "bool"),
            "workers": ({"workers": 0}, "workers", "fix"),
            "multipart_threshold": ({"multipart_threshold": 1}, "multipart_threshold", "fix"),
            "part_size": ({"part_size": 1024}, "part_size", "1024", "fix"),
            "verify": ({"verify": "often"}, "verify", "bool"),
            "allow_missing_source": ({"allow_missing_source": "if-needed"}, "allow_missing_source", "bool"),
            "report_keys": ({"report_keys": -1}, "report_keys", "fix"),
            "source_available": ({"source_available": "unknown"}, "source_available", "bool"),
        },
    },
    "cloudwatch_alarm_tags": {
        "base": {"alarm_arn": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:nova-production-bastion-cpu",
                 "tags": {"Project": "nova"}},
        "cases": {
            "alarm_arn": ({"alarm_arn": "nova-production-bastion-cpu"}, "alarm_arn", "not a CloudWatch alarm ARN", "fix"),
            "tags": ({"tags": {"aws:owner": "me"}}, "tags.aws:owner", "aws:", "fix"),
            "purge_tags": ({"purge_tags": "sometimes"}, "purge_tags", "bool"),
            "current_tags": ({"current_tags": "none"}, "current_tags", "dict"),
        },
    },
    # amazon.aws's module but for the options its copy adds (docs/upstream-patches.md); upstream's own are not cased.
    "cloudwatch_metric_alarm": {
        "base": {"name": "nova-production-bastion-cpu", "namespace": "AWS/EC2", "metric_name": "CPUUtilization",
                 "statistic": "Average", "comparison": "GreaterThanThreshold", "threshold": 80.0, "period": 300,
                 "evaluation_periods": 1, "tags": {"Project": "nova"}},
        "cases": {
            "tags": ({"tags": "production"}, "tags", "dict"),
            "purge_tags": ({"purge_tags": "sometimes"}, "purge_tags", "bool"),
            "known_absent": ({"known_absent": "perhaps"}, "known_absent", "bool"),
        },
    },
    "network_drift": {
        "base": {
            "vpc_cidr": "10.0.0.0/16",
            "subnets": [
                {"tier": "public", "az": "us-west-2a", "cidr": "10.0.0.0/24"},
                {"tier": "private", "az": "us-west-2a", "cidr": "10.0.2.0/24"},
            ],
        },
        "cases": {
            "name_prefix": ({"name_prefix": "nova production"}, "name_prefix", "nova production", "fix"),
            "vpc_cidr": ({"vpc_cidr": "10.0.0.0/33"}, "vpc_cidr", "10.0.0.0/33", "fix"),
            "nat_mode": ({"nat_mode": "two"}, "nat_mode", "per_az", "single"),
            "s3_endpoint": ({"s3_endpoint": "sometimes"}, "s3_endpoint", "bool"),
            "s3_endpoint_policy": ({"s3_endpoint_policy": "allow all"}, "s3_endpoint_policy", "dict"),
            "interface_endpoints": ({"interface_endpoints": {"ssm": True}}, "interface_endpoints", "list"),
            "region_lists": ({"region_lists": "the pre-flight's"}, "region_lists", "dict"),
            "subnets": ({"subnets": [{"cidr": "10.0.0.0/24", "az": "us-west-2a"}]}, "subnets[0]", "tier", "fix"),
            "subnets.tier": (
                {"subnets": [{"cidr": "10.0.0.0/24", "az": "us-west-2a", "tier": "dmz"}]},
                "subnets[0].tier",
                "dmz",
                "fix",
            ),
            "subnets.cidr": (
                {"subnets": [{"cidr": "192.168.0.0/24", "az": "us-west-2a", "tier": "public"}]},
                "subnets[0].cidr",
                "outside vpc_cidr",
                "fix",
            ),
            "tags": ({"tags": {"Project": ["nova"]}}, "tags.Project", "fix"),
        },
    },
    "s3_bucket_drift": {
        "base": {"name": "nova-production-backup-123456789012-us-west-2"},
        "cases": {
            "name": ({"name": "Nova_Backup"}, "name", "Nova_Backup", "fix"),
            "versioning": ({"versioning": "sometimes"}, "versioning", "bool"),
            "encryption": ({"encryption": "rot13"}, "encryption", "rot13", "fix"),
            "encryption_key_id": (
                {"encryption": "AES256", "encryption_key_id": "alias/nova"},
                "encryption_key_id",
                "AES256",
                "fix",
            ),
            "public_access": ({"public_access": {"block_public_acls": "maybe"}}, "block_public_acls", "bool"),
            "object_ownership": ({"object_ownership": "Everyone"}, "object_ownership", "Everyone"),
            "policy": ({"policy": "{not json"}, "policy", "fix"),
            "tags": ({"tags": "Project"}, "tags", "dict"),
            "purge_tags": ({"purge_tags": "sometimes"}, "purge_tags", "bool"),
        },
    },
    "sns_topic_drift": {
        "base": {"name": "nova-production-alarms"},
        "cases": {
            "name": ({"name": "arn:aws:sns:us-west-2:123456789012:x"}, "name", "fix"),
            "display_name": ({"display_name": "n" * 101}, "display_name", "100", "fix"),
            "subscriptions": ({"subscriptions": [{"protocol": "email"}]}, "subscriptions[0]", "endpoint", "fix"),
            "purge_subscriptions": ({"purge_subscriptions": "sometimes"}, "purge_subscriptions", "bool"),
            "tags": ({"tags": "Project"}, "tags", "dict"),
            "purge_tags": ({"purge_tags": "sometimes"}, "purge_tags", "bool"),
        },
    },
    "stack_audit": {
        "base": {},
        "cases": {
            "name_prefix": ({"name_prefix": ""}, "name_prefix", "fix"),
            "vpc_cidr": ({"vpc_cidr": "10.0.0.0/33"}, "vpc_cidr", "10.0.0.0/33", "fix"),
            "allowed_ssh_cidrs": (
                {"allowed_ssh_cidrs": ["203.0.113.0/33"]},
                "allowed_ssh_cidrs",
                "203.0.113.0/33",
                "fix",
            ),
            "expected_az_count": ({"expected_az_count": 0}, "expected_az_count", "fix"),
            "nat_mode": ({"nat_mode": "two"}, "nat_mode", "per_az", "single"),
            "nat_single_accepted": ({"nat_single_accepted": "perhaps"}, "nat_single_accepted", "bool"),
            "s3_endpoint": ({"s3_endpoint": "sometimes"}, "s3_endpoint", "bool"),
            "interface_endpoints": ({"interface_endpoints": {"ssm": True}}, "interface_endpoints", "list"),
            "min_free_ip_percent": ({"min_free_ip_percent": 150}, "min_free_ip_percent", "150", "fix"),
            "required_tags": ({"required_tags": "Project"}, "required_tags", "dict"),
            "buckets": ({"buckets": [{"region": "us-west-2"}]}, "name", "required"),
            "buckets.name": ({"buckets": [{"name": "Bad Bucket"}]}, "buckets", "Bad Bucket", "fix"),
            "buckets.region": ({"buckets": [{"name": "logs", "region": "moon-1"}]}, "region", "moon-1", "fix"),
            "replicated_buckets": ({"replicated_buckets": [{"source": "a-bucket"}]}, "destination", "required"),
            "replicated_buckets.destination_region": (
                {"replicated_buckets": [{"source": "abc", "destination": "def", "destination_region": "moon-1"}]},
                "destination_region",
                "moon-1",
                "fix",
            ),
            "replication_storage_class": (
                {"replication_storage_class": "CHEAP"},
                "replication_storage_class",
                "CHEAP",
                "fix",
            ),
            "nat_alarm.period": ({"nat_alarm": {"period": 45}}, "nat_alarm.period", "45", "fix"),
            "nat_alarm.statistic": ({"nat_alarm": {"statistic": "Median"}}, "statistic", "Median", "one of"),
            "bastion_cpu_alarm.evaluation_periods": (
                {"bastion_cpu_alarm": {"evaluation_periods": 0}},
                "bastion_cpu_alarm.evaluation_periods",
                "fix",
            ),
            "bastion_cpu_alarm.threshold": ({"bastion_cpu_alarm": {"threshold": "high"}}, "threshold", "float"),
            "bastion_asg": (
                {"bastion_asg": {"min_size": 2, "desired_capacity": 1, "max_size": 2}},
                "bastion_asg",
                "min_size 2",
                "fix",
            ),
            "replication_time_control": ({"replication_time_control": "sometimes"}, "replication_time_control", "bool"),
            "flow_log_traffic_type": ({"flow_log_traffic_type": "EVERYTHING"}, "flow_log_traffic_type", "one of"),
            "flow_log_bucket": ({"flow_log_bucket": "s3://logs"}, "flow_log_bucket", "s3://logs", "fix"),
            "flow_log_prefix": ({"flow_log_prefix": "/logs"}, "flow_log_prefix", "/logs", "fix"),
            "expect_bastion": ({"expect_bastion": "mostly"}, "expect_bastion", "bool"),
            "bastion_access": ({"bastion_access": "session-manager"}, "bastion_access", "session-manager", "one of"),
            "private_egress": (
                {"private_egress": [{"proto": "tcp", "ports": [443], "cidr_ip": "0.0.0.0/33"}]},
                "private_egress[0]",
                "0.0.0.0/33",
                "fix",
            ),
            "fail_on": ({"fail_on": "urgent"}, "fail_on", "urgent", "one of"),
            "skip_checks": ({"skip_checks": ["no-such-check"]}, "skip_checks", "no-such-check", "fix"),
            "account_id": ({"account_id": "12345"}, "account_id", "12345", "12-digit", "fix"),
            "alarm_prefix": ({"alarm_prefix": ""}, "alarm_prefix", "fix"),
            "alarm_topic": ({"alarm_topic": "ops alarms"}, "alarm_topic", "ops alarms", "fix"),
            "s3control_aws_config": (
                {"s3control_aws_config": {"proxy": "http://proxy.example:3128"}},
                "s3control_aws_config",
                "proxy",
                "fix",
            ),
        },
    },
    "vpc_flow_log": {
        "base": {
            "resource_id": "vpc-0123456789abcdef0",
            "log_destination_type": "s3",
            "log_destination": "arn:aws:s3:::logs/flow/",
        },
        "cases": {
            "state": ({"state": "paused"}, "state", "paused", "one of"),
            "flow_log_id": (
                {"state": "absent", "resource_id": None, "flow_log_id": "flow-1"},
                "flow_log_id",
                "flow-1",
                "fix",
            ),
            "resource_id": ({"resource_id": "vpc 1"}, "resource_id", "vpc 1", "fix"),
            "resource_type": ({"resource_type": "Bucket"}, "resource_type", "Bucket", "one of"),
            "traffic_type": ({"traffic_type": "SOME"}, "traffic_type", "SOME", "one of"),
            "log_destination_type": ({"log_destination_type": "kinesis"}, "log_destination_type", "kinesis", "one of"),
            "log_destination": ({"log_destination": "s3://logs"}, "log_destination", "s3://logs", "fix"),
            "log_group_name": (
                {
                    "log_destination_type": "cloud-watch-logs",
                    "log_destination": None,
                    "log_group_name": "flow logs!",
                    "deliver_logs_permission_arn": ROLE_ARN,
                },
                "log_group_name",
                "fix",
            ),
            "deliver_logs_permission_arn": (
                {
                    "log_destination_type": "cloud-watch-logs",
                    "log_destination": None,
                    "log_group_name": "flow",
                    "deliver_logs_permission_arn": "flow-logs-role",
                },
                "deliver_logs_permission_arn",
                "flow-logs-role",
                "fix",
            ),
            "log_format": ({"log_format": "${no-such-field}"}, "log_format", "no-such-field", "fix"),
            "max_aggregation_interval": (
                {"max_aggregation_interval": 120},
                "max_aggregation_interval",
                "120",
                "one of",
            ),
            "destination_options": ({"destination_options": {"file_format": "csv"}}, "file_format", "csv", "one of"),
            "replace": ({"replace": "yes please"}, "replace", "bool"),
            "tags": ({"tags": {"aws:x": "y"}}, "tags", "aws:x", "fix"),
            "purge_tags": ({"purge_tags": "sometimes"}, "purge_tags", "bool"),
        },
    },
    "fis_experiment_template": {
        "base": {
            "name": "nova-production-az-loss-us-west-2a",
            "role_arn": "arn:aws:iam::123456789012:role/nova-production-az-drill-fis",
            "targets": {"zone-instances": {"resourceType": "aws:ec2:instance", "resourceTags": {"Stack": "nova"},
                                           "selectionMode": "ALL"}},
            "actions": {"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "zone-instances"}}},
        },
        "cases": {
            "name": ({"name": "n" * 129}, "name", "fix"),
            "state": ({"state": "running"}, "state", "running", "one of"),
            "description": ({"description": ""}, "description", "fix"),
            "role_arn": ({"role_arn": "fis-role"}, "role_arn", "fis-role", "fix"),
            "role_arn (missing)": ({"role_arn": None}, "role_arn", "required", "fix"),
            "targets": ({"targets": {"zone-instances": {"resourceType": "aws:ec2:instance"}}}, "targets.zone-instances",
                        "selects nothing", "fix"),
            "actions": ({"actions": {"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "x"}}}},
                        "actions.stop.targets.Instances", "x", "fix"),
            "actions (missing)": ({"actions": {}}, "actions", "required", "fix"),
            "stop_conditions": ({"stop_conditions": [{"alarm": "x"}]}, "stop_conditions[0]", "fix"),
            "experiment_id": ({"state": "stopped"}, "experiment_id", "required", "fix"),
            "experiment_id (malformed)": ({"state": "stopped", "experiment_id": "EXP 1"}, "experiment_id", "EXP 1", "fix"),
            "tags": ({"tags": {"aws:x": "y"}}, "tags", "aws:x", "fix"),
        },
    },
    "run_lock": {
        "base": {"name": "nova.infra", "playbook": "site.yml"},
        "cases": {
            "name": ({"name": "nova lock"}, "name", "nova lock", "fix"),
            "state": ({"state": "locked"}, "state", "locked", "one of"),
            "table": ({"table": "my locks"}, "table", "my locks", "fix"),
            "create_table": ({"create_table": "maybe"}, "create_table", "bool"),
            "ttl": ({"ttl": 0}, "ttl", "0", "fix"),
            "wait_timeout": ({"wait_timeout": -5}, "wait_timeout", "-5", "fix"),
            "run_id": ({"state": "released"}, "run_id", "required", "fix"),
            "run_id (malformed)": ({"run_id": "run 1"}, "run_id", "run 1", "fix"),
            "playbook": ({"playbook": ""}, "playbook", "fix"),
            "user": ({"user": " "}, "user", "fix"),
        },
    },
    "s3_account_public_access_block": {
        "base": {},
        "cases": {
            "account_id": ({"account_id": "12345"}, "account_id", "12345", "fix"),
            "state": ({"state": "off"}, "state", "off", "one of"),
            "on_access_denied": ({"on_access_denied": "ignore"}, "on_access_denied", "ignore", "one of"),
            "block_public_acls": ({"block_public_acls": "strict"}, "block_public_acls", "bool"),
            "ignore_public_acls": ({"ignore_public_acls": "strict"}, "ignore_public_acls", "bool"),
            "block_public_policy": ({"block_public_policy": "strict"}, "block_public_policy", "bool"),
            "restrict_public_buckets": ({"restrict_public_buckets": "strict"}, "restrict_public_buckets", "bool"),
        },
    },
    # Writes a local file only; "nothing written" is checked on the file system as well.
    "stack_diagram": {
        "base": {
            "snapshot": {
                "region": "us-west-2",
                "name_prefix": "nova-production",
                "vpc": None,
                "subnets": [],
                "nat_gateways": [],
                "route_tables": [],
                "buckets": [],
            },
            "dest": "@DEST@/stack.html",
        },
        "cases": {
            "snapshot": ({"snapshot": {"vpc": {}}}, "snapshot", "missing", "fix"),
            "findings": ({"findings": [{"id": "x"}]}, "findings[0]", "fix"),
            "dest": ({"dest": "/nonexistent-dir/stack.html"}, "dest", "/nonexistent-dir", "fix"),
            "state": ({"state": "drawn"}, "state", "drawn", "one of"),
        },
    },
}
LOCAL_MODULES = {"stack_diagram"}
# Free text without a wrong value; file attributes (mode, owner, ...) are ansible.builtin's own.
NO_BAD_VALUE = {
    "stack_diagram": {
        "title",
        "generated_at",
        "mode",
        "owner",
        "group",
        "seuser",
        "serole",
        "selevel",
        "setype",
        "unsafe_writes",
        "attributes",
    }
}
# Not caught (or not named) by the module today: each owner's to fix; strict, so a fix shows up as XPASS here and
# the entry is then removed.
KNOWN_GAPS = {}
MODULE_CASE_IDS = [
    (
        pytest.param(case_id, marks=pytest.mark.xfail(reason=KNOWN_GAPS[case_id], strict=True))
        if case_id in KNOWN_GAPS
        else case_id
    )
    for case_id in (f"{module}:{option}" for module, spec in MODULE_CASES.items() for option in spec["cases"])
]


# Action plugins have no main() to run in-process: their bad-input cases run through ansible-playbook there.
ACTION_PLUGIN_CASES = {
    # tests/unit/plugins/action/test_validate_settings.py (CASES); the roles' variables it judges are ROLE_CASES above.
    "validate_settings": {"role", "settings"},
}


def test_every_module_option_has_a_case():
    """A new module or option without a bad-input case fails here (the AWS connection options are shared)."""
    missing = {}
    for path in sorted((REPO / "plugins" / "modules").glob("*.py")):
        if re.search(r"^# nova\.infra: a copy of (amazon|community)\.aws ", path.read_text(), re.MULTILINE):
            # amazon.aws's or community.aws's own module and argument spec (docs/upstream-patches.md): only the options
            # a copy adds (the alarm copy's tags and purge_tags), the argument-spec lines of its recorded diff, need cases.
            diff = (REPO / "docs" / "upstream-patches" / f"{path.stem}.diff").read_text()
            documented = set(re.findall(r"^\+\s+(\w+)=dict\(", diff, re.MULTILINE))
        else:
            source = importlib.import_module(f"ansible_collections.nova.infra.plugins.modules.{path.stem}")
            documented = set(yaml.safe_load(source.DOCUMENTATION)["options"])
        spec = MODULE_CASES.get(path.stem, {"cases": {}})
        covered = {option.split(" ")[0].split(".")[0] for option in spec["cases"]} | NO_BAD_VALUE.get(path.stem, set())
        covered |= ACTION_PLUGIN_CASES.get(path.stem, set())
        if documented - covered:
            missing[path.stem] = sorted(documented - covered)
    assert missing == {}


@pytest.fixture
def run_module(run_module, port, tmp_path):
    """The module named, in-process against the sandbox (tests/conftest.py): the result it prints, its exit status
    not compared."""

    def run(module: str, args: dict) -> dict:
        code = importlib.import_module(f"ansible_collections.nova.infra.plugins.modules.{module}")
        args = json.loads(json.dumps(args).replace("@DEST@", str(tmp_path)))
        connection = {} if module in LOCAL_MODULES else {**BASE, "endpoint_url": f"http://127.0.0.1:{port}"}
        args = {k: v for k, v in {**connection, **args}.items() if v is not None}
        return run_module(code, args, check_exit=False)

    return run


@pytest.mark.parametrize("case_id", MODULE_CASE_IDS)
def test_module_options(sandbox, run_module, tmp_path, case_id):
    module, option = case_id.split(":", 1)
    spec = MODULE_CASES[module]
    bad, *expect = spec["cases"][option]
    log = RequestLog(sandbox)
    result = run_module(module, {**spec["base"], **bad})
    assert result.get("failed"), f"{case_id}: accepted {bad}: {result}"
    message = str(result.get("msg"))
    for fragment in expect:
        assert fragment.lower() in message.lower(), f"{case_id}: {fragment!r} not in {message!r}"
    assert log.writes() == []
    assert list(tmp_path.iterdir()) == []
