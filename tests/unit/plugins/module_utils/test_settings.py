# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' settings checks: problem records as the modules return them. Every variable of every role with wrong
values is exercised end to end (a playbook per role) by tests/integration/test_bad_input_matrix.py."""

import pytest

from ansible_collections.nova.infra.plugins.module_utils import settings
from ansible_collections.nova.infra.plugins.module_utils.problems import format_problems

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINKw5aSvC83Fgb2u1hx6MHT79FPdVsJGboSv6nM9lONa nova"

GOOD = {
    "network": {"network_name_prefix": "nova-production", "network_wait_timeout": 900, "network_tags": {"Stack": "x"}},
    "bastion": {
        "bastion_ssh_cidrs": ["203.0.113.0/24"], "bastion_i_accept_ssh_open_to_the_world": False,
        "bastion_name_prefix": "nova-production", "bastion_asg_min_size": 1, "bastion_asg_desired_capacity": 1,
        "bastion_asg_max_size": 2, "bastion_instance_type": "t3.micro", "bastion_ami_id": "",
        "bastion_ami_name_pattern": "al2023-ami-2023.*-x86_64", "bastion_public_key_path": "", "bastion_key_dir": ".secrets",
        "bastion_root_volume_type": "gp3", "bastion_root_volume_size": 8, "bastion_wait_timeout": 600, "bastion_tags": {},
    },
    "storage": {
        "storage_region": "us-west-2", "storage_replica_region": "us-east-1", "storage_replication": True,
        "storage_replication_time_control": True, "storage_buckets": [{"name": "app-logs"}, {"name": "backup"}],
        "storage_log_transition_days": 30, "storage_log_expiration_days": 365,
        "storage_noncurrent_version_expiration_days": 90, "storage_abort_incomplete_upload_days": 7,
        "storage_log_delivery_prefix": "vpc-flow-logs/", "storage_tags": {},
    },
    "monitoring": {
        "monitoring_region": "us-west-2", "monitoring_name_prefix": "nova-production", "monitoring_flow_log_bucket": "",
        "monitoring_flow_log_prefix": "vpc-flow-logs/", "monitoring_alarm_topic": "nova-production-alarms",
        "monitoring_alarm_emails": ["ops@example.com"], "monitoring_alarm_prefix": "nova-production",
        "monitoring_nat_bytes_threshold": 1000000000, "monitoring_bastion_cpu_threshold": 80,
        "monitoring_nat_bytes_period": 300, "monitoring_bastion_cpu_period": 300,
        "monitoring_replication_region": "us-east-1", "monitoring_replication_alarm_topic": "nova-production-alarms-replication",
        "monitoring_replication_buckets": ["app-logs", "backup"], "monitoring_replication_latency_threshold": 3600,
        "monitoring_replication_period": 300, "monitoring_nat_bytes_evaluation_periods": 1,
        "monitoring_bastion_cpu_evaluation_periods": 1, "monitoring_replication_evaluation_periods": 1,
        "monitoring_tags": {"Stack": "nova-production"},
    },
}


@pytest.mark.parametrize("role", sorted(GOOD))
def test_the_design_settings_have_no_problem(role):
    assert settings.check(role, GOOD[role]) == []


@pytest.mark.parametrize("role, changes, field, value", [
    ("network", {"network_name_prefix": "-bad"}, "network_name_prefix", "-bad"),
    ("network", {"network_wait_timeout": "soon"}, "network_wait_timeout", "soon"),
    ("network", {"network_tags": {"aws:owner": "x"}}, "network_tags", "aws:owner"),
    ("network", {"network_nat_mode": "one"}, "network_nat_mode", "one"),
    ("network", {"network_interface_endpoints": ["com.amazonaws.us-west-2.ssm"]}, "network_interface_endpoints[0]",
     "com.amazonaws.us-west-2.ssm"),
    ("network", {"network_interface_endpoints": ["s3"]}, "network_interface_endpoints[0]", "s3"),
    ("network", {"network_interface_endpoints": ["ssm", "ssm"]}, "network_interface_endpoints", ["ssm"]),
    ("network", {"network_s3_endpoint_buckets": ["Bad_Bucket"]}, "network_s3_endpoint_buckets[0]", "Bad_Bucket"),
    ("bastion", {"bastion_ssh_cidrs": ["0.0.0.0/0"]}, "bastion_ssh_cidrs[0]", "0.0.0.0/0"),
    ("bastion", {"bastion_ssh_cidrs": ["0.0.0.0/1", "128.0.0.0/1"]}, "bastion_ssh_cidrs", ["0.0.0.0/1", "128.0.0.0/1"]),
    ("bastion", {"bastion_ssh_cidrs": ["203.0.113.0/24", "::/1", "8000::/1"]}, "bastion_ssh_cidrs", ["::/1", "8000::/1"]),
    ("bastion", {"bastion_asg_min_size": 2, "bastion_asg_max_size": 1}, "bastion_asg_min_size/desired_capacity/max_size", "2/1/1"),
    ("bastion", {"bastion_instance_type": "t3 micro"}, "bastion_instance_type", "t3 micro"),
    ("bastion", {"bastion_ami_id": "ami-xyz"}, "bastion_ami_id", "ami-xyz"),
    ("bastion", {"bastion_ami_name_pattern": ""}, "bastion_ami_name_pattern", ""),
    ("bastion", {"bastion_key_dir": ""}, "bastion_key_dir", ""),
    ("bastion", {"bastion_root_volume_size": 4}, "bastion_root_volume_size", "4 GiB"),
    ("storage", {"storage_region": "us-west"}, "storage_region", "us-west"),
    ("storage", {"storage_replica_region": "us-west-2"}, "storage_replica_region", "us-west-2"),
    ("storage", {"storage_buckets": [{"name": "a"}, {"name": "a"}]}, "storage_buckets", "a"),
    ("storage", {"storage_log_transition_days": 10}, "storage_log_transition_days", 10),
    ("storage", {"storage_log_expiration_days": 30}, "storage_log_expiration_days", 30),
    ("storage", {"storage_region": "us-gov-west-1", "storage_replica_region": "us-gov-east-1"},
     "storage_replication_time_control", True),
    ("monitoring", {"monitoring_alarm_emails": ["ops"]}, "monitoring_alarm_emails[0]", "ops"),
    ("monitoring", {"monitoring_bastion_cpu_threshold": 120}, "monitoring_bastion_cpu_threshold", 120),
    ("monitoring", {"monitoring_nat_bytes_period": 45}, "monitoring_nat_bytes_period", 45),
    ("monitoring", {"monitoring_replication_period": 30}, "monitoring_replication_period", 30),
    ("monitoring", {"monitoring_replication_buckets": ["App_Logs"]}, "monitoring_replication_buckets[0]", "App_Logs"),
    ("monitoring", {"monitoring_flow_log_bucket": "s3://logs"}, "monitoring_flow_log_bucket", "s3://logs"),
])
def test_a_wrong_value_is_one_record_naming_the_variable_the_value_and_the_fix(role, changes, field, value):
    records = settings.check(role, dict(GOOD[role], **changes))
    assert records and records[0]["field"] == field, records
    if value is not None:
        assert records[0]["value"] == value
    assert set(records[0]) == {"field", "value", "problem", "fix"} and records[0]["fix"]
    message = format_problems(records, role, "created")
    assert message.startswith(f"{len(records)} problem") and f"({len(records)}) {field}: " in message


@pytest.mark.parametrize("text, problem", [
    ("", "does not exist or is empty"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n", "is a private key"),
    ("not a key", "is not an OpenSSH public key"),
    (KEY, None),
])
def test_the_public_key_file_is_judged_and_its_content_never_shown(text, problem):
    records = settings.check("bastion", dict(GOOD["bastion"], bastion_public_key_path="keys/bastion.pub"),
                             read_key=lambda path: text)
    if problem is None:
        assert records == []
        return
    assert records == [dict(records[0], field="bastion_public_key_path", value="keys/bastion.pub")]
    assert problem in records[0]["problem"] and "secret" not in repr(records)


def test_a_missing_variable_is_named():
    with pytest.raises(KeyError, match="network_tags"):
        settings.check("network", {"network_name_prefix": "nova", "network_wait_timeout": 1})


def test_interface_endpoints_and_a_narrowed_s3_endpoint_are_good_settings():
    good = dict(GOOD["network"], network_nat_mode="single", network_interface_endpoints=["ssm", "ecr.api", "logs"],
                network_s3_endpoint_buckets=["nova-production-*", "al2023-repos-*"])
    assert settings.check("network", good) == []
    assert settings.check("network", dict(good, network_s3_endpoint=False, network_interface_endpoints=["s3"])) == []
