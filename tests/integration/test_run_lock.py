"""The run lock in the playbooks (#16): one site.yml, teardown.yml or dr-failover.yml at a time per account and region.

A run that finds the lock held stops before its first write naming the holder (the sandbox's request log shows the
refused PutItem of the lock and nothing after it); a failed run releases its lock; a SIGKILLed run's lock is taken
over once it has expired; two site.yml started together build one stack, one of them refused.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from resilience import assert_no_duplicates
from resilience import kill_after
from test_bad_input_matrix import RequestLog
from test_bad_input_matrix import snapshot

from ansible_collections.nova.infra.plugins.modules import run_lock

from helpers import aws
from helpers import run_playbook
from helpers import stack_vpcs

pytestmark = pytest.mark.integration

TABLE = "nova-infra-locks"
LOCK_TASK = "Take the run lock of this account and region (one run at a time)"


@pytest.fixture
def hold(port, run_module):
    """Another run's lock in `region`, taken as the playbooks take it (nova.infra.run_lock in-process)."""

    def take(playbook: str, user: str, region: str = "us-west-2", ttl: int = 3600) -> dict:
        connection = {
            "endpoint_url": f"http://127.0.0.1:{port}",
            "region": region,
            "access_key": "testing",
            "secret_key": "testing",
        }
        args = {**connection, "name": "nova.infra", "playbook": playbook, "user": user, "ttl": ttl}
        return run_module(run_lock, args)

    return take


def lock_item(port: int, region: str = "us-west-2") -> dict | None:
    dynamodb = aws(port, "dynamodb", region)
    try:
        item = dynamodb.get_item(TableName=TABLE, Key={"lock": {"S": "nova.infra"}}, ConsistentRead=True).get("Item")
    except dynamodb.exceptions.ResourceNotFoundException:
        return None
    return {k: v.get("S", v.get("N")) for k, v in item.items()} if item else None


def lock_results(run) -> list[dict]:
    """The results of the playbook's lock-taking task (one per play that ran it)."""
    return [
        result
        for play in run.results.get("plays", [])
        for task in play.get("tasks", [])
        if task["task"]["name"] == LOCK_TASK
        for result in task["hosts"].values()
    ]


@pytest.mark.parametrize(
    "playbook, holder, region",
    [
        ("site.yml", "teardown.yml", "us-west-2"),
        ("teardown.yml", "site.yml", "us-west-2"),
        ("dr-failover.yml", "site.yml", "us-east-1"),
    ],
)
def test_a_held_lock_stops_the_run_before_any_write_naming_the_holder(empty_sandbox, port, hold, playbook, holder, region):
    held = hold(holder, "bob", region)
    log, before = RequestLog(empty_sandbox), snapshot(port)

    run = run_playbook(port, playbook)

    assert run.returncode == 2, run.stderr[-2000:]
    message = "\n".join(run.failure_messages())
    for fragment in (f"held by {holder}", "run by bob", held["run_id"], held["lock"]["started"], "state=broken"):
        assert fragment in message, (fragment, message)
    assert f"region={region}" in message
    # The refused take of the lock is the run's only write; nothing in AWS changed, the holder keeps its lock.
    assert log.writes() == ["dynamodb:PutItem"]
    assert snapshot(port) == before
    assert lock_item(port, region)["run_id"] == held["run_id"]


def test_a_run_that_fails_releases_its_lock(empty_sandbox, port):
    """The bastion cannot launch an instance type none of the stack's zones offers (test_bastion_launch_failure.py):
    site.yml fails after the network is built, and its lock goes with the failure. The network's zones are chosen
    for t3.micro (network_instance_type), or the network role would refuse the type first, before any write; the
    type is offered in two other zones, or the pre-flight would refuse it (fewer zones offer it than the stack
    needs)."""
    zones_of = {}
    for page in aws(port, "ec2").get_paginator("describe_instance_type_offerings").paginate(LocationType="availability-zone"):
        for offering in page["InstanceTypeOfferings"]:
            zones_of.setdefault(offering["InstanceType"], set()).add(offering["Location"])
    elsewhere = sorted(
        name for name, zones in zones_of.items() if not zones & {"us-west-2a", "us-west-2b"} and len(zones) >= 2
    )[0]

    run = run_playbook(port, "site.yml", "-e", f"bastion_instance_type={elsewhere}", "-e", "network_instance_type=t3.micro",
                       "-e", "bastion_wait_timeout=60")

    assert run.returncode == 2
    assert "cannot launch" in "\n".join(run.failure_messages())
    assert lock_results(run)[0]["acquired"] is True
    assert len(stack_vpcs(aws(port, "ec2"))) == 1
    assert lock_item(port) is None


def test_a_killed_holders_lock_refuses_teardown_then_is_taken_over_when_it_expires(empty_sandbox, port):
    kill_after(empty_sandbox, "site.yml", "ec2:CreateVpc", args=("-e", "nova_lock_ttl=30"), break_lock=False)
    killed = lock_item(port)
    assert killed is not None and killed["playbook"] == "site.yml"

    # The half-built stack is left alone: teardown.yml is refused before its first write.
    log = RequestLog(empty_sandbox)
    refused = run_playbook(port, "teardown.yml")
    assert refused.returncode == 2 and killed["run_id"] in "\n".join(refused.failure_messages())
    assert log.writes() == ["dynamodb:PutItem"]
    assert len(stack_vpcs(aws(port, "ec2"))) == 1

    time.sleep(max(0.0, float(killed["expires_epoch"]) - time.time() + 0.5))
    run = run_playbook(port, "site.yml")

    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:]
    (taken,) = lock_results(run)
    assert taken["taken_over"]["run_id"] == killed["run_id"] and taken["taken_over"]["expired"] is True
    assert "Took over the expired run lock" in str(taken.get("warnings"))
    # The killed run may have written after this run's pre-flight read the region: the network role reads it again.
    assert taken["free_at_first_ask"] is False
    reads = [host for play in run.results["plays"] for task in play["tasks"]
             if task["task"]["name"].endswith("Compare the network with the plan in one read")
             for host in task["hosts"].values()]
    assert len(reads) == 1 and reads[0]["invocation"]["module_args"]["region_lists"] is None, reads
    assert lock_item(port) is None
    assert_no_duplicates(port)


@pytest.fixture(scope="module")
def raced_sites(sandbox, port):
    """Two site.yml started together on an empty sandbox: one builds the stack, the other is refused. The next test
    starts from the stack they built, as it would from any built stack (one build fewer for the file)."""
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda _unused: run_playbook(port, "site.yml"), range(2)))


def test_two_site_runs_started_together_build_one_stack(raced_sites, port):
    runs = raced_sites

    assert sorted(run.returncode for run in runs) == [0, 2], [r.failure_messages() for r in runs]
    refused = next(run for run in runs if run.returncode == 2)
    assert "held by site.yml" in "\n".join(refused.failure_messages())
    assert_no_duplicates(port)
    assert len(stack_vpcs(aws(port, "ec2"))) == 1
    assert lock_item(port) is None


def test_site_and_teardown_started_together_one_refuses_and_nothing_is_half_done(raced_sites, port):
    built = next((run for run in raced_sites if run.returncode == 0), raced_sites[0])
    assert built.returncode == 0, built.failure_messages()
    with ThreadPoolExecutor(max_workers=2) as pool:
        site, teardown = pool.map(lambda playbook: run_playbook(port, playbook), ["site.yml", "teardown.yml"])

    assert sorted([site.returncode, teardown.returncode]) == [0, 2], (site.failure_messages(), teardown.failure_messages())
    refused, other = (site, "teardown.yml") if site.returncode else (teardown, "site.yml")
    assert f"held by {other}" in "\n".join(refused.failure_messages())
    vpcs = stack_vpcs(aws(port, "ec2"))
    if teardown.returncode == 0:
        assert vpcs == []  # torn down whole; the build never started
    else:
        assert len(vpcs) == 1
        assert_no_duplicates(port)
    assert lock_item(port) is None
