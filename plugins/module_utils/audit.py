# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure rules of the nova stack audit: a snapshot of the stack in, findings out.

No AWS calls here. The stack_audit module reads AWS into a plain "snapshot" dict
(see ``empty_snapshot()`` for its shape), and every rule below is a function of that
snapshot and the audit settings, so each one can be unit-tested with a small
fabricated snapshot.

A check is a named rule with a fixed severity, the CIS AWS Foundations Benchmark
control it implements (or ``None`` where no CIS control fits; ``reference`` then
names the design document's checklist line) and a default fix. A rule returns
``(resource, detail)`` pairs, or ``(resource, detail, fix)`` where the fix depends on
what it found, and raises ``NotApplicable`` when the snapshot lacks what it checks.

The checks are declared beside their rules, by area (audit_network.py, audit_security_groups.py, audit_s3.py,
audit_monitoring.py, audit_bastion.py, on the building blocks of audit_core.py); this module puts them together in
the report's order, checks the settings, evaluates a snapshot and writes the reports."""

import ipaddress
import sys
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence

from ansible_collections.nova.infra.plugins.module_utils import audit_bastion
from ansible_collections.nova.infra.plugins.module_utils import audit_monitoring
from ansible_collections.nova.infra.plugins.module_utils import audit_network
from ansible_collections.nova.infra.plugins.module_utils import audit_s3
from ansible_collections.nova.infra.plugins.module_utils import audit_security_groups
from ansible_collections.nova.infra.plugins.module_utils import s3_replication
from ansible_collections.nova.infra.plugins.module_utils import stack

# Re-exported (unused-import below): other modules and the tests read them as audit.NAME.
from ansible_collections.nova.infra.plugins.module_utils.audit_core import BPA_FLAGS  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.nova.infra.plugins.module_utils.audit_core import DEFAULT_REQUIRED_TAGS
from ansible_collections.nova.infra.plugins.module_utils.audit_core import FAIL_ON_CHOICES  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.nova.infra.plugins.module_utils.audit_core import NAME_PREFIX
from ansible_collections.nova.infra.plugins.module_utils.audit_core import REGISTRY
from ansible_collections.nova.infra.plugins.module_utils.audit_core import RESERVED_PER_SUBNET  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.nova.infra.plugins.module_utils.audit_core import SEVERITIES
from ansible_collections.nova.infra.plugins.module_utils.audit_core import STATUSES
from ansible_collections.nova.infra.plugins.module_utils.audit_core import NotApplicable
from ansible_collections.nova.infra.plugins.module_utils.audit_core import cis  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.nova.infra.plugins.module_utils.audit_core import empty_snapshot  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.nova.infra.plugins.module_utils.audit_core import label  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.nova.infra.plugins.module_utils.audit_core import usable_addresses  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.nova.infra.plugins.module_utils.problems import format_problem

# The report's order: network, security groups, S3, monitoring, tags and bastion.
AREAS = (audit_network, audit_security_groups, audit_s3, audit_monitoring, audit_bastion)
CHECKS: List[Dict[str, Any]] = sorted(REGISTRY, key=lambda c: AREAS.index(sys.modules[c["rule"].__module__]))

CHECK_IDS = tuple(c["id"] for c in CHECKS)


# ---------------------------------------------------------------- settings


def default_settings() -> Dict[str, Any]:
    return {
        "vpc_cidr": stack.design("vpc_cidr"),
        "allowed_ssh_cidrs": stack.design("ssh_cidrs"),
        "expected_az_count": stack.design("az_count"),
        "min_free_ip_percent": 20,
        "required_tags": dict(DEFAULT_REQUIRED_TAGS),
        "replication_storage_class": stack.design("replication_storage_class"),
        "replication_time_control": stack.design("replication_time_control"),
        "flow_log_traffic_type": stack.design("flow_log_traffic_type"),
        # The flow log's S3 ARN with its key prefix; None skips NOVA-LOG-002. The module makes it from flow_log_bucket
        # and flow_log_prefix (the account's log-delivery bucket by default).
        "flow_log_destination": None,
        "nat_alarm": stack.design("nat_alarm"),
        "bastion_cpu_alarm": stack.design("bastion_cpu_alarm"),
        "bastion_asg": stack.design("bastion_asg"),
        "expect_bastion": True,
        "nat_mode": "per_az",
        "nat_single_accepted": False,
        "s3_endpoint": True,
        "interface_endpoints": [],
        "bastion_access": stack.design("bastion_access"),
        "private_egress": stack.design("private_egress"),
        "skip_checks": [],
    }


def validate_settings(settings: Dict[str, Any]) -> List[str]:
    """Problems with the options, each naming the option, the bad value and the fix."""
    problems = []
    for index, value in enumerate(settings.get("allowed_ssh_cidrs") or []):
        try:
            ipaddress.ip_network(value)
        except ValueError as e:
            hint = ""
            try:
                hint = f" (did you mean {ipaddress.ip_network(value, strict=False)}?)"
            except ValueError:
                pass
            problems.append(
                f"allowed_ssh_cidrs[{index}]: {value!r} is not a CIDR block ({e}). "
                f"Fix: write it as network/prefix, e.g. 203.0.113.0/24{hint}"
            )
    if not settings.get("allowed_ssh_cidrs"):
        problems.append(
            "allowed_ssh_cidrs: [] is empty. Fix: list the CIDR blocks SSH may come from, e.g. [203.0.113.0/24]"
        )
    try:
        ipaddress.ip_network(settings.get("vpc_cidr", ""))
    except ValueError as e:
        problems.append(f"vpc_cidr: {settings.get('vpc_cidr')!r} is not a CIDR block ({e}). Fix: e.g. 10.0.0.0/16")
    if settings.get("expected_az_count", 0) < 1:
        problems.append(
            f"expected_az_count: {settings.get('expected_az_count')} is below 1. "
            "Fix: set the number of AZs the stack spans, e.g. 2"
        )
    percent = settings.get("min_free_ip_percent", 0)
    if not 0 <= percent <= 100:
        problems.append(f"min_free_ip_percent: {percent} is not between 0 and 100. Fix: e.g. 20")
    for key, value in (settings.get("required_tags") or {}).items():
        if not isinstance(value, str):
            problems.append(
                f"required_tags.{key}: {value!r} is not a string. Fix: quote the value, tag values are strings"
            )
    for index, value in enumerate(settings.get("skip_checks") or []):
        if value not in CHECK_IDS:
            problems.append(
                f"skip_checks[{index}]: {value!r} is not a check id. Fix: use one of {', '.join(CHECK_IDS)}"
            )
    for key in ("nat_alarm", "bastion_cpu_alarm"):
        alarm = settings.get(key) or {}
        period = alarm.get("period")
        if period is not None and not (period in (10, 30) or (period >= 60 and period % 60 == 0)):
            problems.append(
                f"{key}.period: {period} is not a CloudWatch period (10, 30 or a multiple of 60 seconds). Fix: e.g. 300"
            )
        if alarm.get("evaluation_periods") is not None and alarm["evaluation_periods"] < 1:
            problems.append(f"{key}.evaluation_periods: {alarm['evaluation_periods']} is below 1. Fix: e.g. 1")
    sizes = settings.get("bastion_asg") or {}
    low, desired, high = (sizes.get(k) for k in ("min_size", "desired_capacity", "max_size"))
    if None not in (low, desired, high) and not 0 <= low <= desired <= high:
        problems.append(
            f"bastion_asg: min_size {low}, desired_capacity {desired}, max_size {high} is not "
            "0 <= min_size <= desired_capacity <= max_size. Fix: give the bastion role's bastion_asg_min_size, "
            "bastion_asg_desired_capacity and bastion_asg_max_size, e.g. 1, 1, 2"
        )
    problems += validate_access(settings)
    storage_class = settings.get("replication_storage_class")
    if storage_class not in s3_replication.STORAGE_CLASSES:
        hint = ""
        if str(storage_class).upper() in s3_replication.STORAGE_CLASSES:
            hint = f"{str(storage_class).upper()} (the names are upper case), or one of "
        problems.append(
            f"replication_storage_class: {storage_class!r} is not a storage class S3 replication can write. "
            f"Fix: use {hint or 'one of '}{', '.join(s3_replication.STORAGE_CLASSES)}"
        )
    return problems


def validate_access(settings: Dict[str, Any]) -> List[str]:
    """Problems with bastion_access and private_egress (the bastion role's bastion_access, bastion_private_egress)."""
    problems = []
    mode = settings.get("bastion_access", stack.design("bastion_access"))
    if mode not in stack.BASTION_ACCESS_MODES:
        problems.append(
            f"bastion_access: {mode!r} is not an access mode. Fix: use one of {', '.join(stack.BASTION_ACCESS_MODES)}"
        )
    for index, rule in enumerate(settings.get("private_egress") or []):
        try:
            ipaddress.IPv4Network(str(rule.get("cidr_ip")))
            ports = [int(port) for port in rule.get("ports") or []]
            if not ports or not all(1 <= port <= 65535 for port in ports) or rule.get("proto") not in ("tcp", "udp"):
                raise ValueError("proto must be tcp or udp, ports a non-empty list of 1-65535")
        except (TypeError, ValueError) as e:
            problems.append(
                f"private_egress[{index}]: {rule!r} is not an egress rule ({e}). Fix: give proto (tcp or udp), ports "
                "and an IPv4 cidr_ip, e.g. {proto: tcp, ports: [443], cidr_ip: 0.0.0.0/0}"
            )
    return problems


def validate_targets(
    name_prefix: str, buckets: Sequence[Dict[str, Any]], replicated_buckets: Sequence[Dict[str, Any]]
) -> List[str]:
    """Problems with what the audit reads (the name prefix, bucket names and regions), before any AWS call."""
    problems = []
    if not NAME_PREFIX.match(name_prefix or ""):
        problems.append(
            f"name_prefix: {name_prefix!r} is not 1-40 letters, digits and inner hyphens (every name of the stack "
            "starts with it). Fix: set it to the stack's nova_name_prefix, e.g. nova-production"
        )
    records = []
    for index, bucket in enumerate(buckets or []):
        records += s3_replication.bucket_name_problems(f"buckets[{index}].name", bucket["name"])
        records += s3_replication.region_problems(f"buckets[{index}].region", bucket.get("region"))
    for index, pair in enumerate(replicated_buckets or []):
        field = f"replicated_buckets[{index}]"
        records += s3_replication.bucket_name_problems(f"{field}.source", pair["source"])
        records += s3_replication.bucket_name_problems(f"{field}.destination", pair["destination"])
        records += s3_replication.region_problems(f"{field}.destination_region", pair.get("destination_region"))
    return problems + [format_problem(r) for r in records]


def validate_account(account_id: Optional[str]) -> List[str]:
    """Problems with the account-level check's account_id, before any AWS call."""
    if account_id is None or (len(account_id) == 12 and account_id.isdigit()):
        return []
    return [
        f"account_id: {account_id!r} is not a 12-digit AWS account ID. Fix: give it as a quoted string of "
        '12 digits (e.g. "012345678901"), or omit it for the caller\'s account'
    ]


SNS_TOPIC_NAME = stack.SNS_TOPIC_NAME


def validate_flow_log(bucket: Optional[str], prefix: str) -> List[str]:
    """Problems with the expected flow log destination (options flow_log_bucket, flow_log_prefix), before any AWS
    call."""
    problems = []
    if bucket is not None:
        problem = stack.bucket_name_problem(bucket)
        if problem:
            problems.append(
                f"flow_log_bucket: {bucket!r} is not a bucket name ({problem}). Fix: give the bucket name only (no "
                "arn:aws:s3::: or s3://), or omit it for the stack's log-delivery bucket"
            )
    if prefix and not stack.is_s3_key_prefix(prefix):
        problems.append(
            f"flow_log_prefix: {prefix!r} is not a key prefix (no leading /, safe characters only, ending in /). "
            "Fix: set it to the monitoring role's monitoring_flow_log_prefix, e.g. vpc-flow-logs/"
        )
    return problems


def validate_monitoring(alarm_prefix: Optional[str], alarm_topic: Optional[str]) -> List[str]:
    """Problems with the alarm options, before any AWS call."""
    problems = []
    if alarm_prefix is not None and not 1 <= len(alarm_prefix) <= 200:
        problems.append(
            f"alarm_prefix: {alarm_prefix!r} is not 1-200 characters (alarm names are at most 255). Fix: set it to "
            "the monitoring role's monitoring_alarm_prefix, or omit it for name_prefix"
        )
    if alarm_topic is not None and not SNS_TOPIC_NAME.match(alarm_topic):
        problems.append(
            f"alarm_topic: {alarm_topic!r} is not an SNS topic name (1-256 letters, digits, hyphens and underscores). "
            "Fix: set it to the monitoring role's monitoring_alarm_topic, or omit it for <name_prefix>-alarms"
        )
    return problems


# ---------------------------------------------------------------- evaluation and reports


def evaluate(snapshot: Dict[str, Any], settings: Dict[str, Any]) -> Dict[str, Any]:
    """Run every check: {'findings', 'checks', 'summary' (without fail_on counts)}."""
    settings = {**default_settings(), **settings}
    skip = set(settings["skip_checks"])
    findings, checks = [], []
    for spec in CHECKS:
        public = {k: spec[k] for k in ("id", "title", "severity", "cis", "reference")}
        if spec["id"] in skip:
            checks.append({**public, "status": "skip", "reason": "listed in skip_checks", "findings": 0})
            continue
        try:
            results = spec["rule"](snapshot, settings)
        except NotApplicable as e:
            checks.append({**public, "status": "skip", "reason": str(e), "findings": 0})
            continue
        for result in results:
            resource, detail = result[0], result[1]
            fix = result[2] if len(result) > 2 else spec["fix"]
            findings.append(
                {
                    "id": spec["id"],
                    "title": spec["title"],
                    "severity": spec["severity"],
                    "cis": spec["cis"],
                    "reference": spec["reference"],
                    "resource": resource,
                    "detail": detail,
                    "fix": fix,
                }
            )
        checks.append({**public, "status": "fail" if results else "pass", "reason": None, "findings": len(results)})
    findings.sort(key=lambda f: SEVERITIES.index(f["severity"]))
    return {"findings": findings, "checks": checks, "summary": summarize(findings, checks)}


def summarize(findings: Sequence[Dict[str, Any]], checks: Sequence[Dict[str, Any]], fail_on: str = "none"):
    return {
        "findings": len(findings),
        "by_severity": {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES},
        "by_status": {s: sum(1 for c in checks if c["status"] == s) for s in STATUSES},
        "fail_on": fail_on,
        "at_or_above_fail_on": len(at_or_above(findings, fail_on)),
    }


def at_or_above(findings: Sequence[Dict[str, Any]], threshold: str) -> List[Dict[str, Any]]:
    if threshold == "none":
        return []
    limit = SEVERITIES.index(threshold)
    return [f for f in findings if SEVERITIES.index(f["severity"]) <= limit]


def format_finding(finding: Dict[str, Any]) -> str:
    return f"{finding['id']} [{finding['severity']}] {finding['resource']}: {finding['detail']}. Fix: {finding['fix']}"


def failure_message(findings: Sequence[Dict[str, Any]], threshold: str) -> str:
    head = f"Stack audit: {len(findings)} finding(s) at or above fail_on={threshold}:"
    return " ".join([head] + [f"({i}) {format_finding(f)}" for i, f in enumerate(findings, 1)])


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def cis_text(control: Optional[Dict[str, str]]) -> str:
    if not control:
        return "none"
    return f"{control['benchmark']} v{control['version']} {control['control']} {control['title']}"


def render_markdown(report: Dict[str, Any], region: str, name_prefix: str) -> str:
    """The audit report as Markdown: summary, findings by severity, then every check."""
    summary = report["summary"]
    lines = [
        f"# Stack audit: {name_prefix} in {region}",
        "",
        f"{summary['findings']} finding(s); checks: {summary['by_status']['pass']} pass, "
        f"{summary['by_status']['fail']} fail, {summary['by_status']['skip']} skip. "
        f"fail_on: {summary['fail_on']} ({summary['at_or_above_fail_on']} at or above).",
        "",
        "| Severity | Findings |",
        "|---|---|",
    ]
    lines += [f"| {s} | {summary['by_severity'][s]} |" for s in SEVERITIES]
    lines += ["", "## Findings", ""]
    if not report["findings"]:
        lines += ["None.", ""]
    for severity in SEVERITIES:
        group = [f for f in report["findings"] if f["severity"] == severity]
        if not group:
            continue
        lines += [f"### {severity.capitalize()}", ""]
        for f in group:
            lines += [
                f"- **{f['id']}** {_cell(f['title'])}",
                f"  - Resource: `{_cell(f['resource'])}`",
                f"  - Detail: {_cell(f['detail'])}",
                f"  - Fix: {_cell(f['fix'])}",
                f"  - CIS: {_cell(cis_text(f['cis']))}",
                f"  - Reference: {_cell(f['reference'])}",
            ]
        lines.append("")
    lines += ["## Checks", "", "| Id | Check | Severity | Status | CIS | Note |", "|---|---|---|---|---|---|"]
    for c in report["checks"]:
        control = f"v{c['cis']['version']} {c['cis']['control']}" if c["cis"] else "none"
        note = c["reason"] or (f"{c['findings']} finding(s)" if c["findings"] else "")
        lines.append(
            f"| {c['id']} | {_cell(c['title'])} | {c['severity']} | {c['status'].upper()} | {control} | {_cell(note)} |"
        )
    return "\n".join(lines) + "\n"
