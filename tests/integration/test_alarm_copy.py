"""nova.infra.cloudwatch_metric_alarm (amazon.aws 10.1.2's cloudwatch_metric_alarm with the options tags and
purge_tags, docs/upstream-patches.md) against what the monitoring role ran before it, amazon.aws.cloudwatch_metric_alarm
and then nova.infra.cloudwatch_alarm_tags, on twin alarms in the sandbox: the same result (but the copy's `tags`), the
same alarm, the same tags, one request fewer for a new alarm (its tags go in PutMetricAlarm), no more for an existing
one, check mode writing nothing and the same idempotent rerun."""

from __future__ import annotations

import json

import pytest

from helpers import aws
from helpers import run_tasks_counted
from helpers import sandbox_play

pytestmark = pytest.mark.integration

UPSTREAM, COPY = "copy-test-upstream", "copy-test-copy"
TAGS = {"Project": "nova", "Stack": "nova-production"}

# The options the monitoring role passes (its bastion CPU alarm), with the alarm's Name tag added to TAGS.
ALARM = """        name: {name}
        description: twin alarms of the copy test
        namespace: AWS/EC2
        metric_name: CPUUtilization
        dimensions: {{"AutoScalingGroupName": "copy-test-asg"}}
        statistic: Average
        period: 300
        evaluation_periods: 1
        threshold: {threshold}
        comparison: GreaterThanThreshold
        unit: Percent
        treat_missing_data: missing
        alarm_actions: []
"""

# The copy, in one task.
COPY_TASKS = """    - name: The alarm
      nova.infra.cloudwatch_metric_alarm:
{alarm}        tags: {tags}
        purge_tags: {purge}
      check_mode: {check}
      register: alarm
"""

# What the role ran before the copy: upstream's module, then the alarm's tags by its ARN (current_tags {} for an alarm
# the task has just created, which upstream creates untagged: no read).
UPSTREAM_TASKS = """    - name: The alarm
      amazon.aws.cloudwatch_metric_alarm:
{alarm}      check_mode: {check}
      register: alarm
    - name: Its tags
      nova.infra.cloudwatch_alarm_tags:
        alarm_arn: "{{{{ alarm.alarm_arn }}}}"
        tags: {tags}
        purge_tags: {purge}
        current_tags: "{{{{ {{}} if {created} else omit }}}}"
      check_mode: {check}
      when: alarm.alarm_arn is not none
"""


def _step(name, threshold=80.0, purge=False, check=False, created=False):
    """A step of run_tasks_counted: the copy's task on COPY, or upstream's and the tagging task on UPSTREAM."""
    tags = json.dumps({**TAGS, "Name": name})
    alarm = ALARM.format(name=name, threshold=threshold)
    template = COPY_TASKS if name == COPY else UPSTREAM_TASKS
    return "The alarm", template.format(alarm=alarm, tags=tags, purge=str(purge).lower(), check=str(check).lower(),
                                        created=str(created).lower())


def _apply(port, tmp_path, *steps):
    """Runs the steps (each a name and _step's options) in one ansible-playbook run: for each, the result of "The
    alarm" (name and configuration time masked) and the sandbox's requests during the step."""
    counted = run_tasks_counted(port, tmp_path, sandbox_play("Twin alarms"),
                                [_step(name, **options) for name, options in steps])
    applied = []
    for (name, _options), (result, requests) in zip(steps, counted, strict=True):
        masked = json.loads(json.dumps(result).replace(name, "NAME"))
        if masked.get("last_updated"):
            masked["last_updated"] = "TIME"
        applied.append((masked, requests))
    return applied


def _alarm(cloudwatch, name):
    """The alarm as DescribeAlarms returns it (timestamps left out) and its tags, the name masked, or None."""
    found = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    if not found:
        return None
    (alarm,) = found
    tags = {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]}
    settings = {key: value for key, value in alarm.items() if "Timestamp" not in key}
    return json.loads(json.dumps([settings, tags], default=str).replace(name, "NAME"))


def _existing(cloudwatch, name, threshold, tags):
    """An alarm as an operator might leave it: the design's settings but the threshold, these tags."""
    cloudwatch.put_metric_alarm(
        AlarmName=name, AlarmDescription="twin alarms of the copy test", Namespace="AWS/EC2",
        MetricName="CPUUtilization", Dimensions=[{"Name": "AutoScalingGroupName", "Value": "copy-test-asg"}],
        Statistic="Average", Period=300, EvaluationPeriods=1, Threshold=threshold,
        ComparisonOperator="GreaterThanThreshold", Unit="Percent", TreatMissingData="missing", AlarmActions=[],
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )


def _without_tags(result):
    return {key: value for key, value in result.items() if key != "tags"}


def test_a_new_alarm_is_built_as_upstream_builds_it_and_tagged_with_one_request_fewer(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    cloudwatch = aws(port, "cloudwatch")
    # Built, then rerun, in one ansible-playbook run (the rerun writes nothing: asserted below).
    (upstream, upstream_requests), (copy, copy_requests), (upstream_again, upstream_again_requests), \
        (copy_again, copy_again_requests) = _apply(port, tmp_path, (UPSTREAM, {"created": True}), (COPY, {}),
                                                   (UPSTREAM, {}), (COPY, {}))

    assert copy["changed"] is True and upstream["changed"] is True
    assert _without_tags(copy) == upstream
    assert copy["tags"] == {**TAGS, "Name": "NAME"}
    assert _alarm(cloudwatch, COPY) == _alarm(cloudwatch, UPSTREAM)
    assert _alarm(cloudwatch, COPY)[1] == {**TAGS, "Name": "NAME"}
    # The tags go in the PutMetricAlarm that creates the alarm: upstream's three requests, no TagResource.
    assert copy_requests == {"monitoring:DescribeAlarms": 2, "monitoring:PutMetricAlarm": 1}
    assert upstream_requests == {**copy_requests, "monitoring:TagResource": 1}

    # The rerun: nothing to change; the copy reads the tags it is given, as the tagging task did.
    assert copy_again["changed"] is False and upstream_again["changed"] is False
    assert _without_tags(copy_again) == upstream_again == {**upstream, "changed": False}
    assert copy_again["tags"] == copy["tags"]
    assert copy_again_requests == upstream_again_requests == {
        "monitoring:DescribeAlarms": 2, "monitoring:ListTagsForResource": 1,
    }


@pytest.mark.parametrize("purge", [False, True], ids=["keep-other-tags", "purge-tags"])
def test_an_alarm_that_differs_is_corrected_with_its_tags_in_as_many_requests(empty_sandbox, tmp_path, purge):
    """A wrong threshold, the Name tag removed, a wrong Stack tag and a tag of someone else's."""
    port = empty_sandbox.port
    cloudwatch = aws(port, "cloudwatch")
    found = {"Project": "nova", "Stack": "other", "Owner": "ops"}
    for name in (UPSTREAM, COPY):
        _existing(cloudwatch, name, 99.0, found)
    # Corrected, then the copy rerun, in one ansible-playbook run (the rerun writes nothing: asserted below).
    (upstream, upstream_requests), (copy, copy_requests), (copy_again, copy_again_requests) = _apply(
        port, tmp_path, (UPSTREAM, {"purge": purge}), (COPY, {"purge": purge}), (COPY, {"purge": purge}))

    assert copy["changed"] is True and upstream["changed"] is True and copy["threshold"] == 80.0
    assert _without_tags(copy) == upstream
    wanted = {**TAGS, "Name": "NAME"} if purge else {**TAGS, "Name": "NAME", "Owner": "ops"}
    assert _alarm(cloudwatch, COPY) == _alarm(cloudwatch, UPSTREAM)
    assert _alarm(cloudwatch, COPY)[1] == wanted
    assert copy["tags"] == wanted
    assert copy_requests == upstream_requests == {
        "monitoring:DescribeAlarms": 2, "monitoring:PutMetricAlarm": 1, "monitoring:ListTagsForResource": 1,
        "monitoring:TagResource": 1, **({"monitoring:UntagResource": 1} if purge else {}),
    }

    assert copy_again["changed"] is False and _without_tags(copy_again) == {**upstream, "changed": False}
    assert copy_again["tags"] == wanted
    assert copy_again_requests == {"monitoring:DescribeAlarms": 2, "monitoring:ListTagsForResource": 1}


def test_an_alarm_in_sync_with_a_tag_missing_gets_only_its_tag(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    cloudwatch = aws(port, "cloudwatch")
    for name in (UPSTREAM, COPY):
        _existing(cloudwatch, name, 80.0, {"Project": "nova", "Name": name})
    (upstream, upstream_requests), (copy, copy_requests) = _apply(port, tmp_path, (UPSTREAM, {}), (COPY, {}))
    # Upstream's task changes nothing (the tagging task after it does); the copy's one task reports the change.
    assert upstream["changed"] is False and copy["changed"] is True
    assert _without_tags(copy) == {**upstream, "changed": True}
    assert _alarm(cloudwatch, COPY) == _alarm(cloudwatch, UPSTREAM)
    assert _alarm(cloudwatch, COPY)[1] == {**TAGS, "Name": "NAME"}
    assert copy_requests == upstream_requests == {
        "monitoring:DescribeAlarms": 2, "monitoring:ListTagsForResource": 1, "monitoring:TagResource": 1,
    }


def test_check_mode_writes_nothing(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    cloudwatch = aws(port, "cloudwatch")
    # A new alarm: reported with the tags it would have, nothing created, no tag request.
    (upstream, upstream_requests), (copy, copy_requests) = _apply(
        port, tmp_path, (UPSTREAM, {"check": True, "created": True}), (COPY, {"check": True}))
    assert copy["changed"] is True and _without_tags(copy) == upstream
    assert copy["tags"] == {**TAGS, "Name": "NAME"}
    assert copy_requests == upstream_requests == {"monitoring:DescribeAlarms": 2}
    assert _alarm(cloudwatch, COPY) is None

    # An existing alarm that differs in its settings and tags: read, reported, left as it was.
    found = {"Project": "other", "Owner": "ops"}
    for name in (UPSTREAM, COPY):
        _existing(cloudwatch, name, 99.0, found)
    before = _alarm(cloudwatch, COPY)
    (upstream, upstream_requests), (copy, copy_requests) = _apply(
        port, tmp_path, (UPSTREAM, {"purge": True, "check": True}), (COPY, {"purge": True, "check": True}))
    assert copy["changed"] is True and _without_tags(copy) == upstream
    assert copy["tags"] == {**TAGS, "Name": "NAME"}
    assert copy_requests == upstream_requests == {"monitoring:DescribeAlarms": 2, "monitoring:ListTagsForResource": 1}
    assert _alarm(cloudwatch, COPY) == before
