"""nova.infra.sns_topic (community.aws 10.0.0's sns_topic without the reads whose answer it already holds,
docs/upstream-patches.md) against community.aws.sns_topic itself, on twin topics in the sandbox: the same result, the
same topic afterwards (attributes, subscriptions, tags), the same idempotent rerun, 8 requests fewer per new topic
(the display name goes with CreateTopic: one write fewer), and fewer requests than upstream on a topic that exists, in
check mode and on deletion."""

from __future__ import annotations

import json
import re

import pytest

from helpers import aws
from helpers import run_tasks_counted
from helpers import sandbox_play

pytestmark = pytest.mark.integration

UPSTREAM = "community.aws.sns_topic"
COPY = "nova.infra.sns_topic"
TWINS = {UPSTREAM: "nova-twin-upstream", COPY: "nova-twin-copy"}
EMAILS = ["ops@example.com", "oncall@example.com"]

# The options the monitoring role passes (roles/monitoring/tasks/present.yml). ignore_errors: a failure is a result
# to compare too (check mode on a topic that does not exist yet fails upstream).
TASKS = """    - name: The topic
      {module}:
        name: {topic}
        state: {state}
        display_name: nova alarms
        subscriptions:
          - endpoint: ops@example.com
            protocol: email
          - endpoint: oncall@example.com
            protocol: email
        purge_subscriptions: true
        tags:
          Project: nova
          Name: {topic}{extra}
      check_mode: {check}
      ignore_errors: true
      register: topic
"""

# A subscription's ARN ends in an identifier of AWS's choosing.
SUBSCRIPTION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
WRITES = ("Create", "Set", "Subscribe", "Unsubscribe", "Tag", "Untag", "Delete")


def _masked(value, topic: str):
    return json.loads(SUBSCRIPTION_ID.sub("ID", json.dumps(value).replace(topic, "TOPIC")))


def _step(module: str, state: str = "present", check: bool = False, extra: str = "") -> tuple[str, str]:
    """A step of run_tasks_counted: `module` on its twin topic (`extra`: more options, {topic} its name)."""
    topic = TWINS[module]
    return "The topic", TASKS.format(module=module, topic=topic, state=state, check=str(check).lower(),
                                     extra=extra.replace("{topic}", topic))


def _apply(port: int, tmp_path, *modules: str, **options) -> list[tuple[dict, dict]]:
    """Runs each of `modules` on its twin topic with _step's `options`, in this order in one ansible-playbook run: for
    each, its result (topic name and subscription ids masked) and the sandbox's request counts by action."""
    counted = run_tasks_counted(port, tmp_path, sandbox_play("Twin topics"),
                                [_step(module, **options) for module in modules])
    applied = []
    for module, (result, requests) in zip(modules, counted, strict=True):
        masked = _masked(result, TWINS[module])
        # The modules subscribe in the order of a Python set (string hashes differ from run to run), and the sandbox
        # lists subscriptions in the order they were made: not compared.
        if "subscriptions" in masked.get("sns_topic", {}):
            masked["sns_topic"]["subscriptions"].sort(key=lambda sub: json.dumps(sub, sort_keys=True))
        applied.append((masked, requests))
    return applied


def _both(port: int, tmp_path, **options) -> tuple[dict, dict, dict, dict]:
    (upstream, upstream_requests), (copy, copy_requests) = _apply(port, tmp_path, UPSTREAM, COPY, **options)
    return upstream, upstream_requests, copy, copy_requests


def _writes(requests: dict) -> dict:
    return {action: n for action, n in requests.items() if action.split(":")[1].startswith(WRITES)}


def _total(requests: dict) -> int:
    return sum(requests.values())


def _arn(sns, topic: str) -> str | None:
    return next((t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{topic}")), None)


def _topic_state(sns, topic: str) -> dict | None:
    arn = _arn(sns, topic)
    if arn is None:
        return None
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    return _masked({
        "attributes": sns.get_topic_attributes(TopicArn=arn)["Attributes"],
        "subscriptions": sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions),
        "tags": sorted((t["Key"], t["Value"]) for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]),
    }, topic)


def _states(sns) -> tuple[dict | None, dict | None]:
    return _topic_state(sns, TWINS[UPSTREAM]), _topic_state(sns, TWINS[COPY])


def _make_twins(sns, display_name: str, emails: list[str], tags: dict) -> None:
    """Both twins as they are before the modules run (some setting differing from the task's options)."""
    for topic in TWINS.values():
        arn = sns.create_topic(Name=topic, Attributes={"DisplayName": display_name},
                               Tags=[{"Key": k, "Value": v.replace("TOPIC", topic)} for k, v in tags.items()])["TopicArn"]
        for email in emails:
            sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=email)


def test_a_new_topic_is_built_and_reported_as_upstream_does_with_eight_requests_fewer(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    sns = aws(port, "sns")
    # Built, then rerun, in one ansible-playbook run (the rerun writes nothing: asserted below).
    (upstream, upstream_requests), (copy, copy_requests), (upstream_again, upstream_again_requests), \
        (copy_again, copy_again_requests) = _apply(port, tmp_path, UPSTREAM, COPY, UPSTREAM, COPY)

    assert copy["changed"] is True and upstream["changed"] is True and not copy.get("failed")
    assert copy == upstream
    assert _states(sns)[1] == _states(sns)[0]
    assert _states(sns)[1]["subscriptions"] == sorted(["email", email] for email in EMAILS)

    # The copy gives CreateTopic the display name upstream sets with SetTopicAttributes right after; the other writes
    # are the same.
    assert _writes(upstream_requests) == {**_writes(copy_requests), "sns:SetTopicAttributes": 1}
    assert copy_requests == {"sns:ListTopics": 1, "sns:CreateTopic": 1, "sns:Subscribe": 2,
                             "sns:GetTopicAttributes": 1, "sns:ListSubscriptionsByTopic": 1,
                             "sns:ListTagsForResource": 1}, copy_requests
    assert _total(upstream_requests) - _total(copy_requests) == 8, (upstream_requests, copy_requests)

    # The rerun finds the topic as asked: nothing changes, both report the same, the copy with fewer reads.
    assert copy_again["changed"] is False and upstream_again["changed"] is False
    assert copy_again == upstream_again
    assert _writes(copy_again_requests) == _writes(upstream_again_requests) == {}
    # The list of topics, the attributes and the subscriptions read once (the result reuses them: nothing was
    # written), the tags read to compare and again for the result, as upstream does.
    assert copy_again_requests == {"sns:ListTopics": 1, "sns:GetTopicAttributes": 1, "sns:ListSubscriptionsByTopic": 1,
                                   "sns:ListTagsForResource": 2}, copy_again_requests
    assert _total(copy_again_requests) < _total(upstream_again_requests), (upstream_again_requests, copy_again_requests)
    assert _states(sns)[1] == _states(sns)[0]


def test_a_new_topic_with_a_policy_is_read_and_set_as_upstream_does(empty_sandbox, tmp_path):
    """With a policy (not the stack's case) the new topic is read, to compare the policy with AWS's default, and the
    policy set as upstream does; only the display name goes with CreateTopic."""
    port = empty_sandbox.port
    sns = aws(port, "sns")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "CloudWatchAlarms", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish", "Resource": "arn:aws:sns:us-west-2:123456789012:{topic}"}]})
    upstream, upstream_requests, copy, copy_requests = _both(port, tmp_path, extra="\n        policy: " + policy)

    assert copy["changed"] is True and not copy.get("failed") and copy == upstream
    assert _states(sns)[1] == _states(sns)[0]
    assert json.loads(_states(sns)[1]["attributes"]["Policy"])["Statement"][0]["Sid"] == "CloudWatchAlarms"
    assert _writes(upstream_requests) == {**_writes(copy_requests), "sns:SetTopicAttributes": 2}
    assert _writes(copy_requests)["sns:SetTopicAttributes"] == 1
    assert _total(upstream_requests) - _total(copy_requests) == 7, (upstream_requests, copy_requests)


@pytest.mark.parametrize("display_name, emails, tags", [
    pytest.param("nova alarms", EMAILS, {"Project": "nova"}, id="a tag missing"),
    pytest.param("nova alarms", EMAILS[:1], {"Project": "nova", "Name": "TOPIC"}, id="a subscription missing"),
    pytest.param("old name", [EMAILS[0], "gone@example.com"], {"Project": "nova", "Name": "TOPIC", "Old": "x"},
                 id="display name, subscriptions and tags differ"),
])
def test_a_topic_that_differs_is_corrected_as_upstream_does_with_no_more_requests(
        empty_sandbox, tmp_path, display_name, emails, tags):
    port = empty_sandbox.port
    sns = aws(port, "sns")
    _make_twins(sns, display_name, emails, tags)
    upstream, upstream_requests, copy, copy_requests = _both(port, tmp_path)

    assert copy["changed"] is True and upstream["changed"] is True and not copy.get("failed")
    assert copy == upstream
    assert _states(sns)[1] == _states(sns)[0]
    assert _writes(copy_requests) == _writes(upstream_requests)
    assert _total(copy_requests) < _total(upstream_requests), (upstream_requests, copy_requests)


def test_check_mode_reports_a_topic_to_create_and_one_that_differs_and_writes_nothing(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    sns = aws(port, "sns")

    # A topic that does not exist yet: community.aws 10.0.0 fails in check mode (it cannot set a display name on a
    # topic it does not find in the account, and its reads need an ARN); the copy reports the topic it would create
    # (the behaviour meant to differ: site.yml --check goes on past a deleted topic), without creating anything.
    upstream, upstream_requests, copy, copy_requests = _both(port, tmp_path, check=True)
    assert upstream["failed"] is True
    assert copy["changed"] is True and not copy.get("failed")
    assert copy["sns_arn"] is None and copy["sns_topic"]["subscriptions"] == []
    assert copy["sns_topic"]["tags"] == {"Project": "nova", "Name": "TOPIC"}
    assert _writes(copy_requests) == _writes(upstream_requests) == {}
    assert _total(copy_requests) <= _total(upstream_requests)
    assert _states(sns) == (None, None)

    # A topic that differs: changed, nothing written, the topic as it was.
    _make_twins(sns, "old name", [EMAILS[0], "gone@example.com"], {"Project": "nova"})
    before = _states(sns)
    upstream, upstream_requests, copy, copy_requests = _both(port, tmp_path, check=True)
    assert copy["changed"] is True and not copy.get("failed") and copy == upstream
    assert _writes(copy_requests) == _writes(upstream_requests) == {}
    assert _total(copy_requests) < _total(upstream_requests), (upstream_requests, copy_requests)
    assert _states(sns) == before


def test_deletion_is_upstreams_with_one_list_of_topics_fewer(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    sns = aws(port, "sns")
    _make_twins(sns, "nova alarms", EMAILS, {"Project": "nova"})
    upstream, upstream_requests, copy, copy_requests = _both(port, tmp_path, state="absent")

    assert copy["changed"] is True and not copy.get("failed") and copy == upstream
    assert _states(sns) == (None, None)
    assert _writes(copy_requests) == _writes(upstream_requests)
    assert _total(upstream_requests) - _total(copy_requests) == 1, (upstream_requests, copy_requests)
