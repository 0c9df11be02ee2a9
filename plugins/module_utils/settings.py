# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' settings checks: each role's variables judged without AWS, as problem records (module_utils/problems.py:
field, value, problem, fix) - the records the modules return for bad input, formatted by the same function.

The ``nova.infra.validate_settings`` action runs them (roles/*/tasks/validate.yml): site.yml runs every role's
before its first AWS call. The rules on names, regions, prefixes, keys and tags are module_utils/stack.py's, which
the Jinja tests (plugins/test/stack.py) and the modules use too. A key file's content is never put in a record.
"""

import ipaddress
import re
from typing import Any
from typing import Callable
from typing import Dict
from typing import List

from ansible_collections.nova.infra.plugins.module_utils import cidr
from ansible_collections.nova.infra.plugins.module_utils import stack
from ansible_collections.nova.infra.plugins.module_utils.cidr import ingress_cidr_problems
from ansible_collections.nova.infra.plugins.module_utils.problems import problem

Records = List[Dict[str, Any]]

PREFIX_PROBLEM = "is not 1-40 letters, digits and inner hyphens"
TAG_PROBLEM = "is not a tag AWS accepts (keys 1-128 characters, not starting with aws:; values up to 256)"
KEY_PREFIX_PROBLEM = "is not a key prefix (no leading /, safe characters only, ending in /)"
SNS_PROBLEM = "is not an SNS topic name (1-256 letters, digits, hyphens, underscores)"
INSTANCE_TYPE = cidr.INSTANCE_TYPE
AMI_ID = re.compile(r"^(ami-([0-9a-f]{8}|[0-9a-f]{17}))?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ALARM_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
SHORT_BUCKET = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
GOVCLOUD = re.compile(r"^[a-z]{2}-gov-[a-z]+-[0-9]+$")


def as_int(value: Any) -> int:
    """Jinja's ``int`` filter: the number, or 0 for what is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def name_prefix(field: str, value: Any, role: str) -> Records:
    if stack.is_name_prefix(value):
        return []
    return [problem(field, value, PREFIX_PROBLEM, f"set nova_name_prefix (or {role}_name_prefix) to e.g. nova-production")]


def tags(field: str, value: Any) -> Records:
    return [
        problem(field, key, TAG_PROBLEM, f"rename or shorten it in nova_common_tags (or {field})")
        for key, tag_value in (value or {}).items()
        if not stack.is_aws_tag((key, tag_value))
    ]


def positive_seconds(field: str, value: Any, example: int) -> Records:
    if as_int(value) >= 1:
        return []
    return [problem(field, value, "is not a positive number of seconds", f"e.g. {example}")]


def region(field: str, value: Any, source: str, example: str = "us-west-2") -> Records:
    if stack.is_region(value):
        return []
    return [problem(field, value, "is not an AWS region name", f"set {source} (or {field}) to a region such as {example}")]


# ---------------------------------------------------------------- network


ENDPOINT_SERVICE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


def network(s: Dict[str, Any]) -> Records:
    """The CIDRs, the subnet plan and the AZs need the region's AZs: nova.infra.cidr_validate checks them.
    The NAT mode and the VPC endpoints are optional here (they have defaults), so older callers need not give them."""
    return (
        name_prefix("network_name_prefix", s["network_name_prefix"], "network")
        + positive_seconds("network_wait_timeout", s["network_wait_timeout"], 900)
        + tags("network_tags", s.get("network_tags"))
        + endpoints(s)
    )


def endpoints(s: Dict[str, Any]) -> Records:
    records = []
    mode = s.get("network_nat_mode", "per_az")
    if mode not in ("per_az", "single"):
        records.append(problem("network_nat_mode", mode, "is not per_az or single", "per_az (production) or single"))
    services = s.get("network_interface_endpoints") or []
    for index, name in enumerate(services):
        field = f"network_interface_endpoints[{index}]"
        if not isinstance(name, str) or not ENDPOINT_SERVICE.match(name) or name.startswith("com.amazonaws."):
            records.append(
                problem(field, name, "is not the short name of an AWS service (the part after com.amazonaws.<region>.)",
                        "e.g. ssm, ssmmessages, ec2messages or logs")
            )
        elif name == "s3" and as_bool(s.get("network_s3_endpoint", True)):
            records.append(
                problem(field, name, "would be a second S3 endpoint beside the gateway endpoint network_s3_endpoint",
                        "drop s3 from the list (the gateway endpoint is free), or set network_s3_endpoint to false")
            )
    duplicates = sorted({n for n in services if isinstance(n, str) and services.count(n) > 1})
    if duplicates:
        records.append(problem("network_interface_endpoints", duplicates, "lists a service twice", "list each once"))
    for index, name in enumerate(s.get("network_s3_endpoint_buckets") or []):
        if not isinstance(name, str) or not re.match(r"^[a-z0-9*?][a-z0-9.*?-]{0,62}$", name):
            records.append(
                problem(f"network_s3_endpoint_buckets[{index}]", name, "is not a bucket name (wildcards * allowed)",
                        "e.g. nova-production-backup-* or the names in storage_bucket_plan")
            )
    return records


# ---------------------------------------------------------------- bastion


def bastion_key(s: Dict[str, Any], read_key: Callable[[str], str]) -> Records:
    path = s.get("bastion_public_key_path") or ""
    if not path:
        if s.get("bastion_key_dir"):
            return []
        return [
            problem(
                "bastion_key_dir",
                "",
                "is empty, so a generated key pair has nowhere to go",
                "set nova_secrets_dir (or bastion_key_dir) to a git-ignored directory such as .secrets",
            )
        ]
    key = (read_key(path) or "").strip()
    if not key:
        what, fix = "does not exist or is empty", "point it at the .pub file written by ssh-keygen, or leave it empty to generate a key pair"
    elif "PRIVATE KEY" in key:
        what, fix = "is a private key (it must never leave this machine)", "point it at the matching .pub file"
    elif not stack.is_ssh_public_key(key):
        what = "is not an OpenSSH public key (ssh-rsa, ssh-ed25519 or ecdsa)"
        fix = "point it at the .pub file written by ssh-keygen, or leave it empty to generate one"
    else:
        return []
    return [problem("bastion_public_key_path", path, what, fix)]


def egress_rules(field: str, rules: Any) -> Records:
    """Problems with egress rules ({proto, ports, cidr_ip, rule_desc}, as the bastion role's bastion_private_egress)."""
    if not isinstance(rules, (list, tuple)):
        return [problem(field, rules, "is not a list of rules", "e.g. [{proto: tcp, ports: [443], cidr_ip: 0.0.0.0/0}]")]
    records = []
    for index, rule in enumerate(rules):
        name = f"{field}[{index}]"
        if not isinstance(rule, dict):
            records.append(problem(name, rule, "is not a rule", "give proto, ports and cidr_ip"))
            continue
        if rule.get("proto") not in ("tcp", "udp"):
            records.append(problem(f"{name}.proto", rule.get("proto"), "is not tcp or udp", "e.g. tcp"))
        ports = rule.get("ports")
        if not isinstance(ports, (list, tuple)) or not ports or not all(1 <= as_int(p) <= 65535 for p in ports):
            records.append(problem(f"{name}.ports", ports, "is not a non-empty list of ports 1-65535", "e.g. [443]"))
        try:
            ipaddress.IPv4Network(str(rule.get("cidr_ip")))
        except ValueError as exc:
            records.append(problem(f"{name}.cidr_ip", rule.get("cidr_ip"), f"is not an IPv4 CIDR block ({exc})",
                                   "write it as address/prefix, e.g. 0.0.0.0/0 or 10.0.0.0/16"))
    return records


def bastion_access(s: Dict[str, Any]) -> Records:
    """The access mode and the private group's egress (optional settings: absent means the design's)."""
    records = []
    mode = s.get("bastion_access", stack.design("bastion_access"))
    if mode not in stack.BASTION_ACCESS_MODES:
        records.append(problem("bastion_access", mode, "is not an access mode",
                               f"use one of {', '.join(stack.BASTION_ACCESS_MODES)} (docs/access.md)"))
    if "bastion_private_egress" in s:
        records += egress_rules("bastion_private_egress", s["bastion_private_egress"])
    return records


def bastion(s: Dict[str, Any], read_key: Callable[[str], str]) -> Records:
    """``read_key(path)``: the text of the public key file ('' when it cannot be read)."""
    records = []
    # Session Manager only: no SSH ingress, so no SSH source to check.
    if s.get("bastion_access") != "ssm":
        records += [
            problem(r["field"], r["value"], r["problem"], r["fix"])
            for r in ingress_cidr_problems(
                "bastion_ssh_cidrs",
                s["bastion_ssh_cidrs"],
                as_bool(s.get("bastion_i_accept_ssh_open_to_the_world")),
                "bastion_i_accept_ssh_open_to_the_world",
            )
        ]
    records += bastion_access(s)
    records += name_prefix("bastion_name_prefix", s["bastion_name_prefix"], "bastion")
    sizes = [s["bastion_asg_min_size"], s["bastion_asg_desired_capacity"], s["bastion_asg_max_size"]]
    low, desired, high = (as_int(v) for v in sizes)
    if not 1 <= low <= desired <= high:
        records.append(
            problem(
                "bastion_asg_min_size/desired_capacity/max_size",
                "/".join(str(v) for v in sizes),
                "is not 1 <= min <= desired <= max",
                "e.g. 1/1/2",
            )
        )
    if not INSTANCE_TYPE.match(str(s["bastion_instance_type"])):
        records.append(
            problem("bastion_instance_type", s["bastion_instance_type"], "is not an EC2 instance type",
                    "use a family.size name such as t3.micro")
        )
    ami = s.get("bastion_ami_id") or ""
    if not AMI_ID.match(str(ami)):
        records.append(
            problem("bastion_ami_id", ami, "is not an image id",
                    "use ami- followed by 8 or 17 hex digits, or leave it empty to resolve bastion_ami_name_pattern")
        )
    if not ami and not s.get("bastion_ami_name_pattern"):
        records.append(
            problem("bastion_ami_name_pattern", "", "is empty while bastion_ami_id is empty too",
                    "set a name pattern such as al2023-ami-2023.*-x86_64, or pin bastion_ami_id")
        )
    records += bastion_key(s, read_key)
    volume_type = s["bastion_root_volume_type"]
    volume_max = 1024 if volume_type == "standard" else 16384
    if not 8 <= as_int(s["bastion_root_volume_size"]) <= volume_max:
        records.append(
            problem("bastion_root_volume_size", f"{s['bastion_root_volume_size']} GiB",
                    f"is outside 8-{volume_max} for {volume_type} (8 GiB is the image snapshot size)", "e.g. 8")
        )
    records += positive_seconds("bastion_wait_timeout", s["bastion_wait_timeout"], 600)
    return records + tags("bastion_tags", s.get("bastion_tags"))


# ---------------------------------------------------------------- storage


def storage(s: Dict[str, Any]) -> Records:
    # Checked before the first AWS call: a call in a region that does not exist would only time out.
    records = region("storage_region", s["storage_region"], "nova_region", "us-west-2 or us-east-1")
    records += region("storage_replica_region", s["storage_replica_region"], "nova_dr_region", "us-west-2 or us-east-1")
    if s["storage_replica_region"] == s["storage_region"]:
        records.append(
            problem("storage_replica_region", s["storage_replica_region"],
                    "is the same as storage_region; cross-region replication needs another region",
                    "set nova_dr_region (e.g. us-east-1) to a region other than nova_region")
        )
    if as_bool(s["storage_replication"]) and as_bool(s["storage_replication_time_control"]):
        for field in ("storage_region", "storage_replica_region"):
            if GOVCLOUD.match(str(s[field])):
                records.append(
                    problem("storage_replication_time_control", True,
                            f"but {field} is {s[field]} and S3 Replication Time Control is not offered in the AWS "
                            "GovCloud (US) Regions",
                            "set storage_replication_time_control: false (replication then runs without its 15-minute "
                            "SLA and without the metrics the replication alarms need)")
                )
    names = [b.get("name") if isinstance(b, dict) else b for b in s["storage_buckets"]]
    for name in sorted({n for n in names if names.count(n) > 1}, key=str):
        records.append(problem("storage_buckets", name, "is listed more than once", "give each bucket its own name"))
    for field, minimum, example in (
        ("storage_log_transition_days", 30, 30),
        ("storage_log_expiration_days", 1, 365),
        ("storage_noncurrent_version_expiration_days", 1, 90),
        ("storage_abort_incomplete_upload_days", 1, 7),
    ):
        if as_int(s[field]) < minimum:
            why = " (S3 moves objects to STANDARD_IA after 30 days at the earliest)" if minimum == 30 else ""
            records.append(problem(field, s[field], f"is below {minimum}{why}", f"e.g. {example}"))
    if as_int(s["storage_log_expiration_days"]) <= as_int(s["storage_log_transition_days"]):
        records.append(
            problem("storage_log_expiration_days", s["storage_log_expiration_days"],
                    f"is not after storage_log_transition_days ({s['storage_log_transition_days']}), so the logs "
                    "would expire before they move", "e.g. 365 and 30")
        )
    if not stack.is_s3_key_prefix(s["storage_log_delivery_prefix"]):
        records.append(problem("storage_log_delivery_prefix", s["storage_log_delivery_prefix"], KEY_PREFIX_PROBLEM,
                               "e.g. vpc-flow-logs/"))
    return records + tags("storage_tags", s.get("storage_tags"))


# ---------------------------------------------------------------- monitoring


def cloudwatch_period(field: str, value: Any) -> Records:
    seconds = as_int(value)
    if seconds in (10, 30) or (seconds >= 60 and seconds % 60 == 0):
        return []
    return [problem(field, value, "is not a CloudWatch period (10, 30 or a multiple of 60 seconds)", "e.g. 300")]


def monitoring(s: Dict[str, Any]) -> Records:
    records = region("monitoring_region", s["monitoring_region"], "nova_region")
    records += name_prefix("monitoring_name_prefix", s["monitoring_name_prefix"], "monitoring")
    bucket = s.get("monitoring_flow_log_bucket") or ""
    if bucket and not stack.is_s3_bucket_name(bucket):
        records.append(
            problem("monitoring_flow_log_bucket", bucket, "is not an S3 bucket name",
                    "give the bucket name only (3-63 lowercase letters, digits, hyphens, no s3://), or leave it empty "
                    "for the storage role's app-logs bucket")
        )
    prefix = s.get("monitoring_flow_log_prefix") or ""
    if prefix and not stack.is_s3_key_prefix(prefix):
        records.append(problem("monitoring_flow_log_prefix", prefix, KEY_PREFIX_PROBLEM, "e.g. vpc-flow-logs/"))
    if not stack.is_sns_topic_name(s["monitoring_alarm_topic"]):
        records.append(problem("monitoring_alarm_topic", s["monitoring_alarm_topic"], SNS_PROBLEM,
                               "e.g. nova-production-alarms"))
    for index, address in enumerate(s.get("monitoring_alarm_emails") or []):
        if not EMAIL.match(str(address)):
            records.append(problem(f"monitoring_alarm_emails[{index}]", address, "is not an e-mail address",
                                   "e.g. ops@example.com"))
    if not ALARM_PREFIX.match(str(s["monitoring_alarm_prefix"])):
        records.append(
            problem("monitoring_alarm_prefix", s["monitoring_alarm_prefix"],
                    "is not 1-200 letters, digits, dots, hyphens or underscores", "e.g. nova-production")
        )
    if not as_float(s["monitoring_nat_bytes_threshold"]) > 0:
        records.append(problem("monitoring_nat_bytes_threshold", s["monitoring_nat_bytes_threshold"],
                               "is not a positive number of bytes", "e.g. 1000000000"))
    if not 0 < as_float(s["monitoring_bastion_cpu_threshold"]) <= 100:
        records.append(problem("monitoring_bastion_cpu_threshold", s["monitoring_bastion_cpu_threshold"],
                               "is not a percentage in (0, 100]", "e.g. 80"))
    records += cloudwatch_period("monitoring_nat_bytes_period", s["monitoring_nat_bytes_period"])
    records += cloudwatch_period("monitoring_bastion_cpu_period", s["monitoring_bastion_cpu_period"])
    records += region("monitoring_replication_region", s["monitoring_replication_region"], "nova_dr_region",
                      "us-east-1 (the DR region)")
    if not stack.is_sns_topic_name(s["monitoring_replication_alarm_topic"]):
        records.append(problem("monitoring_replication_alarm_topic", s["monitoring_replication_alarm_topic"],
                               SNS_PROBLEM, "e.g. nova-production-alarms-replication"))
    for index, bucket in enumerate(s.get("monitoring_replication_buckets") or []):
        if not isinstance(bucket, str) or not SHORT_BUCKET.match(bucket):
            records.append(
                problem(f"monitoring_replication_buckets[{index}]", bucket,
                        "is not a short bucket name as in storage_buckets (lowercase letters, digits, dots, hyphens)",
                        "e.g. app-logs")
            )
    if not as_float(s["monitoring_replication_latency_threshold"]) > 0:
        records.append(problem("monitoring_replication_latency_threshold", s["monitoring_replication_latency_threshold"],
                               "is not a positive number of seconds", "the RPO in seconds, e.g. 3600"))
    period = as_int(s["monitoring_replication_period"])
    if not (period >= 60 and period % 60 == 0):
        records.append(problem("monitoring_replication_period", s["monitoring_replication_period"],
                               "is not a multiple of 60 seconds (S3 publishes replication metrics per minute)",
                               "e.g. 300"))
    for field in (
        "monitoring_nat_bytes_evaluation_periods",
        "monitoring_bastion_cpu_evaluation_periods",
        "monitoring_replication_evaluation_periods",
    ):
        if as_int(s[field]) < 1:
            records.append(problem(field, s[field], "is below 1", "e.g. 1"))
    return records + tags("monitoring_tags", s.get("monitoring_tags"))


# The variables each role's check reads, in the order of its records.
ROLE_SETTINGS = {
    "network": ("network_name_prefix", "network_wait_timeout", "network_tags"),
    "bastion": (
        "bastion_ssh_cidrs", "bastion_i_accept_ssh_open_to_the_world", "bastion_name_prefix", "bastion_asg_min_size",
        "bastion_asg_desired_capacity", "bastion_asg_max_size", "bastion_instance_type", "bastion_ami_id",
        "bastion_ami_name_pattern", "bastion_public_key_path", "bastion_key_dir", "bastion_root_volume_type",
        "bastion_root_volume_size", "bastion_wait_timeout", "bastion_tags",
    ),
    "storage": (
        "storage_region", "storage_replica_region", "storage_replication", "storage_replication_time_control",
        "storage_buckets", "storage_log_transition_days", "storage_log_expiration_days",
        "storage_noncurrent_version_expiration_days", "storage_abort_incomplete_upload_days",
        "storage_log_delivery_prefix", "storage_tags",
    ),
    "monitoring": (
        "monitoring_region", "monitoring_name_prefix", "monitoring_flow_log_bucket", "monitoring_flow_log_prefix",
        "monitoring_alarm_topic", "monitoring_alarm_emails", "monitoring_alarm_prefix",
        "monitoring_nat_bytes_threshold", "monitoring_bastion_cpu_threshold", "monitoring_nat_bytes_period",
        "monitoring_bastion_cpu_period", "monitoring_replication_region", "monitoring_replication_alarm_topic",
        "monitoring_replication_buckets", "monitoring_replication_latency_threshold", "monitoring_replication_period",
        "monitoring_nat_bytes_evaluation_periods", "monitoring_bastion_cpu_evaluation_periods",
        "monitoring_replication_evaluation_periods", "monitoring_tags",
    ),
}


def check(role: str, settings: Dict[str, Any], read_key: Callable[[str], str] = lambda path: "") -> Records:
    """The problem records of ``role``'s settings (every variable of ROLE_SETTINGS[role] given)."""
    missing = [name for name in ROLE_SETTINGS[role] if name not in settings]
    if missing:
        raise KeyError(f"the {role} check needs {', '.join(missing)}")
    if role == "bastion":
        return bastion(settings, read_key)
    return {"network": network, "storage": storage, "monitoring": monitoring}[role](settings)
