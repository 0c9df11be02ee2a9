"""Pre-flight checks what the network settings will build: their AZs, and one new Elastic IP per AZ.

The network role makes one NAT gateway with its own Elastic IP per AZ (network_azs, otherwise network_az_count),
so playbooks/preflight.yml and the pre-flight of playbooks/dr-failover.yml must check that many against the EIP quota
(L-0263D0A3, which the sandbox answers with AWS's default of 5) and the named AZs against the region, before any write.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import aws
from helpers import inventory_snapshot
from helpers import run_playbook

pytestmark = pytest.mark.integration

READ_ONLY = ("Describe", "Get", "List", "Head")
DR_PREFLIGHT_TASK = "Pre-flight in the DR region (credentials, AZs, quotas, CIDR conflicts, permissions)"
# The tags the network role gives its NAT Elastic IPs with the sandbox inventory (nova_common_tags + Name).
STACK_TAGS = {"Project": "nova", "Environment": "production", "ManagedBy": "ansible", "Stack": "nova-production"}


class RequestLog:
    """The sandbox's requests.jsonl from now on: the calls that could have changed something."""

    def __init__(self, sandbox):
        self.path = Path(sandbox.state_dir) / "requests.jsonl"
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def writes(self) -> list[str]:
        with self.path.open(encoding="utf-8") as log:
            log.seek(self.offset)
            records = [json.loads(line) for line in log if line.strip()]
        # sts reads only; 412 is DryRunOperation (pre-flight's permission probes change nothing).
        return [
            f"{r['service']}:{r['action']}"
            for r in records
            if r["service"] != "sts" and not str(r["action"]).startswith(READ_ONLY) and r.get("status") != 412
        ]


def allocate_eips(port: int, region: str, count: int, names: tuple[str, ...] = ()) -> None:
    """Elastic IPs of someone else, or the stack's own NAT EIPs when names are given (tagged as the role tags them)."""
    ec2 = aws(port, "ec2", region)
    for number in range(count):
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        if names:
            tags = {**STACK_TAGS, "Name": names[number]}
            ec2.create_tags(Resources=[allocation], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def preflight_checks(run, task: str) -> dict[str, dict]:
    """The checks of the pre-flight report that task returned (also when it failed), by name."""
    for play in run.results.get("plays", []):
        for entry in play.get("tasks", []):
            if entry["task"]["name"] == task:
                report = entry["hosts"]["localhost"].get("report", {})
                return {c["name"]: c for c in report.get("checks", [])}
    raise AssertionError(f"task {task!r} did not run: {run.failure_messages() or run.stderr[-2000:]}")


def assert_failed_before_writes(run, log: RequestLog, port: int, region: str, before: dict) -> str:
    assert run.returncode != 0, "pre-flight passed"
    assert log.writes() == []
    assert inventory_snapshot(aws(port, "ec2", region)) == before
    return "\n".join(run.failure_messages())


def test_three_azs_need_three_eips_and_the_defaults_still_fit(empty_sandbox, port):
    """3 EIPs in use of 5: network_az_count=3 (3 NAT EIPs) fails before any write; the default 2 AZs fit exactly."""
    allocate_eips(port, "us-west-2", 3)
    log, before = RequestLog(empty_sandbox), inventory_snapshot(aws(port, "ec2"))

    run = run_playbook(port, "preflight.yml", "-e", "network_az_count=3")

    message = assert_failed_before_writes(run, log, port, "us-west-2", before)
    assert "[quota_eips] 3 Elastic IP(s) in use in us-west-2 (0 of them this stack's own) + 3 to create" in message
    assert "quota 5" in message and "AddressLimitExceeded" in message, message
    assert "Fix: release Elastic IPs" in message and "--quota-code L-0263D0A3 --desired-value 6" in message, message

    run = run_playbook(port, "preflight.yml")

    assert run.returncode == 0, run.failure_messages()
    checks = preflight_checks(run, "Check the account and region")
    assert checks["quota_eips"]["status"] == "pass"
    assert "+ 2 to create, quota 5" in checks["quota_eips"]["detail"]


def test_a_rerun_does_not_count_the_stacks_own_eips_again(empty_sandbox, port):
    """5 EIPs in use of 5, 2 of them the stack's NAT EIPs: a rerun with 2 AZs needs none; a third AZ needs one."""
    allocate_eips(port, "us-west-2", 3)
    allocate_eips(port, "us-west-2", 2, ("nova-production-nat-eip-us-west-2a", "nova-production-nat-eip-us-west-2b"))

    run = run_playbook(port, "preflight.yml")

    assert run.returncode == 0, run.failure_messages()
    detail = preflight_checks(run, "Check the account and region")["quota_eips"]["detail"]
    assert "5 Elastic IP(s) in use in us-west-2 (2 of them this stack's own) + 0 to create" in detail


def test_named_azs_the_region_lacks_fail_preflight(empty_sandbox, port):
    log, before = RequestLog(empty_sandbox), inventory_snapshot(aws(port, "ec2"))

    run = run_playbook(port, "preflight.yml", "-e", json.dumps({"network_azs": ["us-west-2a", "us-west-2z"]}))

    message = assert_failed_before_writes(run, log, port, "us-west-2", before)
    assert "[required_azs] us-west-2z is not an AZ of us-west-2" in message, message
    assert "Fix: choose network_azs from the available AZs of us-west-2: us-west-2a" in message, message


def test_dr_preflight_checks_the_az_settings_and_the_dr_policy(empty_sandbox, port):
    """The DR redeploy needs as many EIPs in the DR region; its pre-flight stops before the first write."""
    allocate_eips(port, "us-east-1", 3)
    log, before = RequestLog(empty_sandbox), inventory_snapshot(aws(port, "ec2", "us-east-1"))

    run = run_playbook(port, "dr-failover.yml", "-e", "network_az_count=3")

    message = assert_failed_before_writes(run, log, port, "us-east-1", before)
    assert "[quota_eips] 3 Elastic IP(s) in use in us-east-1 (0 of them this stack's own) + 3 to create" in message
    checks = preflight_checks(run, DR_PREFLIGHT_TASK)
    # docs/iam/dr-failover.json reached the module; the sandbox's identity cannot be simulated, so it is a warning.
    assert checks["iam_permissions"]["status"] == "warn", checks["iam_permissions"]
    assert [name for name, c in checks.items() if c["status"] == "fail"] == ["quota_eips"]
