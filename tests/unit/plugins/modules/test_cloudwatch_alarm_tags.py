# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import boto3
import pytest
from moto import mock_aws

from ansible_collections.nova.infra.plugins.modules import cloudwatch_alarm_tags

REGION = "us-west-2"
TAGS = {"Project": "nova", "Stack": "nova-production", "Name": "nova-production-bastion-cpu"}


@pytest.fixture
def run_module(run_module):
    def run(args, check=False, diff=True):
        args = {"region": REGION, **args, "_ansible_check_mode": check, "_ansible_diff": diff}
        return run_module(cloudwatch_alarm_tags, args)

    return run


@pytest.fixture
def alarm(monkeypatch):
    """The ARN of an untagged alarm in the emulator, and its client."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("cloudwatch", region_name=REGION)
        client.put_metric_alarm(
            AlarmName="nova-production-bastion-cpu", Namespace="AWS/EC2", MetricName="CPUUtilization",
            Statistic="Average", Period=300, EvaluationPeriods=1, Threshold=80.0,
            ComparisonOperator="GreaterThanThreshold", Tags=[{"Key": "Owner", "Value": "ops"}],
        )
        (found,) = client.describe_alarms()["MetricAlarms"]
        yield found["AlarmArn"], client


def tags(client, arn):
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def test_tags_the_alarm_then_changes_nothing(alarm, run_module):
    arn, client = alarm
    result = run_module({"alarm_arn": arn, "tags": TAGS})
    assert result["changed"] is True
    assert tags(client, arn) == {"Owner": "ops", **TAGS} == result["tags"]
    assert result["diff"] == {"before": {"Owner": "ops"}, "after": {"Owner": "ops", **TAGS}}
    again = run_module({"alarm_arn": arn, "tags": TAGS})
    assert again["changed"] is False


def test_check_mode_changes_nothing(alarm, run_module):
    arn, client = alarm
    result = run_module({"alarm_arn": arn, "tags": TAGS}, check=True)
    assert result["changed"] is True and result["tags"] == {"Owner": "ops", **TAGS}
    assert tags(client, arn) == {"Owner": "ops"}


def test_purge_removes_the_other_tags(alarm, run_module):
    arn, client = alarm
    result = run_module({"alarm_arn": arn, "tags": TAGS, "purge_tags": True})
    assert result["changed"] is True
    assert tags(client, arn) == TAGS


def test_a_missing_alarm_fails_with_the_aws_error(alarm, run_module):
    arn = alarm[0]
    result = run_module({"alarm_arn": arn.replace("bastion-cpu", "gone"), "tags": TAGS})
    assert result.get("failed") is True
    assert "CloudWatch alarm" in result["msg"]


def test_known_current_tags_are_not_read(alarm, run_module, monkeypatch):
    """current_tags: the caller's knowledge stands for the read (no ListTagsForResource); the writes are the same."""
    arn, client = alarm
    client.untag_resource(ResourceARN=arn, TagKeys=["Owner"])

    def no_read(*args, **kwargs):
        raise AssertionError("ListTagsForResource was called although current_tags was given")

    monkeypatch.setattr(cloudwatch_alarm_tags.aws_calls, "list_alarm_tags", no_read)
    result = run_module({"alarm_arn": arn, "tags": TAGS, "current_tags": {}})
    assert result["changed"] is True and result["tags"] == TAGS
    assert result["diff"] == {"before": {}, "after": TAGS}
    assert tags(client, arn) == TAGS
    again = run_module({"alarm_arn": arn, "tags": TAGS, "current_tags": TAGS})
    assert again["changed"] is False and again["tags"] == TAGS
