# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""run_lock against the embedded sandbox: one run at a time per account and region, in a DynamoDB item."""

import json
import threading
import time

import pytest

from ansible_collections.nova.infra.plugins.modules import run_lock
from sandbox import sandboxctl

REGION = "us-west-2"
TABLE = "nova-infra-locks"
NAME = "nova.infra"


@pytest.fixture(scope="module")
def sandbox(start_sandbox):
    return start_sandbox()


@pytest.fixture
def url(clean_sandbox_url):
    return clean_sandbox_url


@pytest.fixture
def dynamodb(sandbox_client):
    return sandbox_client("dynamodb", REGION)


@pytest.fixture
def run_module(url, run_module):
    """Run main() in-process against the sandbox (tests/conftest.py); return the result (with `failed` when it
    failed)."""

    def run(args, check_mode=False):
        connection = {"endpoint_url": url, "region": REGION, "access_key": "testing", "secret_key": "testing"}
        return run_module(run_lock, {**connection, "_ansible_check_mode": check_mode, "name": NAME, **args})

    return run


def stored(dynamodb, name=NAME):
    """The lock item read back (plain values), or None."""
    try:
        item = dynamodb.get_item(TableName=TABLE, Key={"lock": {"S": name}}, ConsistentRead=True).get("Item")
    except dynamodb.exceptions.ResourceNotFoundException:
        return None
    return {k: v.get("S", v.get("N")) for k, v in item.items()} if item else None


def warnings(result):
    # ansible-core 2.19 sends warnings as structured summaries, older cores as strings: match the text either way.
    return json.dumps(result.get("warnings", []))


def actions(url):
    return sandboxctl.stats(url)["by_action"]


def test_acquire_creates_the_table_takes_the_lock_and_names_the_holder(run_module, dynamodb, url):
    taken = run_module({"playbook": "site.yml", "user": "alice", "ttl": 600})
    assert taken["changed"] and taken["acquired"] and not taken["taken_over"]
    assert taken["free_at_first_ask"] is True  # creating the table first is no contention
    lock = taken["lock"]
    assert (lock["name"], lock["playbook"], lock["user"]) == (NAME, "site.yml", "alice")
    assert lock["run_id"] == taken["run_id"]
    assert lock["host"] and lock["started"].endswith("Z") and not lock["expired"]
    assert 590 < lock["expires_epoch"] - time.time() <= 600
    item = stored(dynamodb)
    assert item["run_id"] == taken["run_id"] and item["playbook"] == "site.yml" and item["user"] == "alice"
    assert dynamodb.describe_table(TableName=TABLE)["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    # With the table there, taking a lock is one request.
    released = run_module({"state": "released", "run_id": taken["run_id"]})
    assert released["changed"] and released["lock"]["run_id"] == taken["run_id"]
    sandboxctl.stats(url, reset=True)
    again = run_module({"playbook": "site.yml"})
    assert again["acquired"] and actions(url) == {"dynamodb:PutItem": 1}


def test_a_second_run_is_refused_naming_the_holder_and_changes_nothing(run_module, dynamodb):
    first = run_module({"playbook": "site.yml", "user": "alice"})
    refused = run_module({"playbook": "teardown.yml", "user": "bob"})
    assert refused["failed"] and not refused["acquired"] and refused["free_at_first_ask"] is False
    message = refused["msg"]
    holder = first["lock"]
    for fragment in ("site.yml", "alice", first["run_id"], holder["started"], holder["expires"], "state=broken"):
        assert fragment in message, (fragment, message)
    assert refused["held_by"]["run_id"] == first["run_id"]
    assert refused["troubleshooting"]["code"] == "RunLockHeld"
    assert stored(dynamodb)["run_id"] == first["run_id"]


def test_the_same_run_renews_its_lock_without_a_change(run_module, dynamodb):
    first = run_module({"ttl": 60})
    renewed = run_module({"ttl": 600, "run_id": first["run_id"]})
    assert renewed["acquired"] and not renewed["changed"]
    assert float(stored(dynamodb)["expires_epoch"]) - time.time() > 590


def test_release_removes_only_the_lock_this_run_holds(run_module, dynamodb):
    holder = run_module({"playbook": "site.yml"})
    other = run_module({"state": "released", "run_id": "someone-else"})
    assert not other["changed"] and other["held_by"]["run_id"] == holder["run_id"]
    assert "left in place" in warnings(other)
    assert stored(dynamodb)["run_id"] == holder["run_id"]

    mine = run_module({"state": "released", "run_id": holder["run_id"]})
    assert mine["changed"] and stored(dynamodb) is None
    twice = run_module({"state": "released", "run_id": holder["run_id"]})
    assert not twice["changed"] and not twice.get("failed")


def test_releasing_without_a_table_changes_nothing(run_module, url):
    released = run_module({"state": "released", "run_id": "abc"})
    assert not released["changed"] and actions(url) == {"dynamodb:DeleteItem": 1}


def test_an_expired_lock_is_taken_over_and_its_holder_named(run_module, dynamodb):
    dead = run_module({"playbook": "site.yml", "user": "alice", "ttl": 1})
    time.sleep(1.2)
    taker = run_module({"playbook": "teardown.yml", "user": "bob"})
    assert taker["changed"] and taker["acquired"] and taker["free_at_first_ask"] is False
    assert taker["taken_over"]["run_id"] == dead["run_id"] and taker["taken_over"]["playbook"] == "site.yml"
    assert "Took over the expired run lock" in warnings(taker)
    assert stored(dynamodb)["run_id"] == taker["run_id"]
    # The dead run's release, should it come back, leaves the new holder's lock alone.
    late = run_module({"state": "released", "run_id": dead["run_id"]})
    assert not late["changed"] and stored(dynamodb)["run_id"] == taker["run_id"]


def test_two_takers_of_an_expired_lock_one_wins(run_module, dynamodb):
    run_module({"ttl": 1})
    time.sleep(1.2)
    # The same request two takers send at once, with the same view of the clock: DynamoDB applies one of them.
    item = {"lock": {"S": NAME}, "run_id": {"S": "taker-a"}, "expires_epoch": {"N": str(time.time() + 60)}}
    values = {":now": {"N": f"{time.time():.3f}"}, ":run": {"S": "taker-a"}}
    condition = dict(ConditionExpression=run_lock.TAKE, ExpressionAttributeNames=run_lock.NAMES)
    dynamodb.put_item(TableName=TABLE, Item=item, ExpressionAttributeValues=values, **condition)
    second = dict(item, run_id={"S": "taker-b"})
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        dynamodb.put_item(
            TableName=TABLE, Item=second, ExpressionAttributeValues={**values, ":run": {"S": "taker-b"}}, **condition
        )
    assert stored(dynamodb)["run_id"] == "taker-a"
    assert run_module({"run_id": "taker-b"})["failed"]


def test_wait_takes_the_lock_once_it_is_released(run_module, dynamodb):
    holder = run_module({"playbook": "site.yml"})
    releaser = threading.Timer(1.0, lambda: dynamodb.delete_item(TableName=TABLE, Key={"lock": {"S": NAME}}))
    releaser.start()
    try:
        waited = run_module({"playbook": "teardown.yml", "wait_timeout": 20})
    finally:
        releaser.join()
    assert waited["acquired"] and waited["changed"] and not waited["taken_over"]
    assert waited["free_at_first_ask"] is False  # another run's lock was in the way: it may have written meanwhile
    assert 0.9 <= waited["waited"] < 10 and waited["run_id"] != holder["run_id"]


def test_with_a_wait_allowed_a_free_lock_is_taken_at_the_first_ask(run_module):
    taken = run_module({"playbook": "site.yml", "wait_timeout": 600})
    assert taken["acquired"] and taken["free_at_first_ask"] is True and taken["waited"] < 5
    renewed = run_module({"run_id": taken["run_id"], "wait_timeout": 600})
    assert renewed["acquired"] and not renewed["changed"] and renewed["free_at_first_ask"] is True


def test_wait_gives_up_after_the_timeout_naming_the_holder(run_module):
    holder = run_module({"playbook": "site.yml"})
    started = time.monotonic()
    refused = run_module({"wait_timeout": 2})
    assert refused["failed"] and refused["held_by"]["run_id"] == holder["run_id"]
    assert "after waiting 2 s" in refused["msg"] and 2 <= time.monotonic() - started < 8


def test_wait_takes_over_a_lock_as_soon_as_it_expires(run_module):
    dead = run_module({"ttl": 2})
    taker = run_module({"wait_timeout": 30})
    assert taker["acquired"] and taker["taken_over"]["run_id"] == dead["run_id"] and taker["waited"] < 5
    assert taker["free_at_first_ask"] is False


def test_break_removes_whoever_holds_it(run_module, dynamodb):
    holder = run_module({"playbook": "site.yml", "user": "alice"})
    broken = run_module({"state": "broken"})
    assert broken["changed"] and broken["lock"]["run_id"] == holder["run_id"] and stored(dynamodb) is None
    assert f"Broke run lock {NAME}" in warnings(broken) and "alice" in warnings(broken)
    assert not run_module({"state": "broken"})["changed"]
    # With a run ID: only that run's lock.
    holder = run_module({})
    assert not run_module({"state": "broken", "run_id": "another"})["changed"]
    assert run_module({"state": "broken", "run_id": holder["run_id"]})["changed"] and stored(dynamodb) is None


def test_check_mode_reads_and_writes_nothing(run_module, dynamodb, url):
    planned = run_module({}, check_mode=True)
    assert planned["changed"] and planned["acquired"] and actions(url) == {"dynamodb:GetItem": 1}
    assert planned["free_at_first_ask"] is True
    assert stored(dynamodb) is None

    holder = run_module({"playbook": "site.yml"})
    sandboxctl.stats(url, reset=True)
    held = run_module({}, check_mode=True)
    assert not held.get("failed")
    assert not held["changed"] and not held["acquired"] and held["held_by"]["run_id"] == holder["run_id"]
    assert "held by" in warnings(held)
    release = run_module({"state": "released", "run_id": holder["run_id"]}, check_mode=True)
    broken = run_module({"state": "broken"}, check_mode=True)
    assert release["changed"] and broken["changed"] and broken["lock"]["run_id"] == holder["run_id"]
    assert set(actions(url)) == {"dynamodb:GetItem"} and stored(dynamodb)["run_id"] == holder["run_id"]


def test_without_create_table_a_missing_table_fails_with_the_fix(run_module, url):
    refused = run_module({"create_table": False})
    assert refused["failed"] and "create_table" in refused["msg"] and "aws dynamodb create-table" in refused["msg"]
    assert actions(url) == {"dynamodb:PutItem": 1}


@pytest.mark.parametrize(
    "args, field",
    [
        ({"name": "nova lock"}, "name"),
        ({"table": "t"}, "table"),
        ({"ttl": 0}, "ttl"),
        ({"wait_timeout": -1}, "wait_timeout"),
        ({"state": "released"}, "run_id"),
        ({"run_id": "a b"}, "run_id"),
        ({"playbook": " "}, "playbook"),
        ({"user": ""}, "user"),
    ],
)
def test_bad_options_fail_before_any_call(run_module, url, args, field):
    result = run_module(args)
    assert result["failed"] and f"{field}:" in result["msg"] and "Fix:" in result["msg"]
    assert actions(url) == {}
