"""bench/requests_by_task.py's matching of the sandbox's request log to the tasks that made the requests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("requests_by_task", REPO / "bench" / "requests_by_task.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_request_belongs_to_the_last_task_started_before_it_most_requests_first():
    starts = [
        {"ts": 10.0, "task": "Check the account", "path": "/x/preflight.yml:59"},
        {"ts": 12.0, "task": "Create the VPC", "path": "/x/converge.yml:8"},
        {"ts": 15.0, "task": "Say what differs", "path": "/x/present.yml:90"},
    ]
    requests = [
        {"ts": 9.5, "service": "sts", "action": "GetCallerIdentity"},
        {"ts": 10.1, "service": "ec2", "action": "DescribeVpcs"},
        {"ts": 12.0, "service": "ec2", "action": "DescribeVpcs"},
        {"ts": 12.2, "service": "ec2", "action": "CreateVpc"},
        {"ts": 13.0, "service": "ec2", "action": "DescribeVpcs"},
    ]
    rows = _tool().by_task(starts, requests)
    assert [(row["task"], row["requests"]) for row in rows] == [
        ("Create the VPC", 3), ("(before the first task)", 1), ("Check the account", 1),
    ]
    assert rows[0]["by_action"] == {"ec2:DescribeVpcs": 2, "ec2:CreateVpc": 1}
    assert rows[0]["path"] == "/x/converge.yml:8"
