# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lines nova.infra.cloudwatch_metric_alarm adds to amazon.aws's module (docs/upstream-patches.md): the tags and
purge_tags options. A new alarm is tagged by the PutMetricAlarm that creates it, an existing one read and corrected
only where its tags differ; without tags the module calls AWS as upstream does. tests/integration/test_alarm_copy.py
compares it with upstream in the sandbox."""

import boto3
import pytest
from moto import mock_aws

from ansible_collections.nova.infra.plugins.modules import cloudwatch_metric_alarm

REGION = "us-west-2"
NAME = "nova-production-bastion-cpu"
TAGS = {"Project": "nova", "Name": NAME}
ALARM = {
    "name": NAME,
    "namespace": "AWS/EC2",
    "metric_name": "CPUUtilization",
    "statistic": "Average",
    "comparison": "GreaterThanThreshold",
    "threshold": 80.0,
    "period": 300,
    "evaluation_periods": 1,
    "dimensions": {"AutoScalingGroupName": "nova-production-bastion-asg"},
}


@pytest.fixture
def cloudwatch(monkeypatch):
    """The emulator's CloudWatch, and the API calls the module makes (operation names, in order)."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    calls = []
    with mock_aws():
        client = boto3.client("cloudwatch", region_name=REGION)
        original = cloudwatch_metric_alarm.AnsibleAWSModule.client

        def recording_client(module, service, *args, **kwargs):
            connection = original(module, service, *args, **kwargs)
            connection.meta.events.register(
                "before-call.*.*", lambda model, **_: calls.append(model.name)
            )
            return connection

        monkeypatch.setattr(cloudwatch_metric_alarm.AnsibleAWSModule, "client", recording_client)
        yield client, calls


@pytest.fixture
def run_module(run_module, cloudwatch):
    calls = cloudwatch[1]

    def run(args, check=False):
        calls.clear()
        return run_module(cloudwatch_metric_alarm, {"region": REGION, **ALARM, **args, "_ansible_check_mode": check})

    return run


def tags_of(client, name=NAME):
    (alarm,) = client.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]}


def test_a_new_alarm_is_tagged_by_the_call_that_creates_it(cloudwatch, run_module):
    client, calls = cloudwatch
    result = run_module({"tags": TAGS})
    assert result["changed"] is True and result["tags"] == TAGS
    assert calls == ["DescribeAlarms", "PutMetricAlarm", "DescribeAlarms"]
    assert tags_of(client) == TAGS
    again = run_module({"tags": TAGS})
    assert again["changed"] is False and again["tags"] == TAGS
    assert calls == ["DescribeAlarms", "DescribeAlarms", "ListTagsForResource"]


def test_without_tags_the_calls_and_result_are_upstreams(cloudwatch, run_module):
    client, calls = cloudwatch
    result = run_module({})
    assert "tags" not in result
    assert calls == ["DescribeAlarms", "PutMetricAlarm", "DescribeAlarms"]
    assert tags_of(client) == {}
    run_module({"tags": TAGS})
    again = run_module({"purge_tags": True})
    assert again["changed"] is False and "tags" not in again
    assert calls == ["DescribeAlarms", "DescribeAlarms"]
    assert tags_of(client) == TAGS


@pytest.mark.parametrize("purge, expected", [(True, TAGS), (False, {**TAGS, "Owner": "ops"})], ids=["purge", "keep"])
def test_an_existing_alarms_tags_are_corrected(cloudwatch, run_module, purge, expected):
    client, calls = cloudwatch
    run_module({"tags": {"Project": "other", "Owner": "ops"}})
    result = run_module({"tags": TAGS, "purge_tags": purge})
    assert result["changed"] is True and result["tags"] == expected
    assert tags_of(client) == expected
    writes = ["TagResource", "UntagResource"] if purge else ["TagResource"]
    assert calls == ["DescribeAlarms", "DescribeAlarms", "ListTagsForResource", *writes]


def test_an_alarm_that_differs_gets_its_settings_and_tags_with_no_tags_in_the_update(cloudwatch, run_module):
    """AWS ignores PutMetricAlarm's Tags when the call updates an alarm: the copy tags an existing alarm itself."""
    client, calls = cloudwatch
    run_module({})
    result = run_module({"threshold": 90.0, "tags": TAGS})
    assert result["changed"] is True and result["threshold"] == 90.0 and result["tags"] == TAGS
    assert calls == ["DescribeAlarms", "PutMetricAlarm", "DescribeAlarms", "ListTagsForResource", "TagResource"]
    assert tags_of(client) == TAGS


def test_check_mode_writes_nothing(cloudwatch, run_module):
    client, calls = cloudwatch
    new = run_module({"tags": TAGS}, check=True)
    assert new["changed"] is True and new["tags"] == TAGS
    assert calls == ["DescribeAlarms", "DescribeAlarms"]
    assert client.describe_alarms()["MetricAlarms"] == []
    run_module({"tags": {"Owner": "ops"}})
    existing = run_module({"tags": TAGS}, check=True)
    assert existing["changed"] is True and existing["tags"] == TAGS
    assert calls == ["DescribeAlarms", "DescribeAlarms", "ListTagsForResource"]
    assert tags_of(client) == {"Owner": "ops"}


def test_an_alarm_known_absent_is_created_without_a_read_first(cloudwatch, run_module):
    client, calls = cloudwatch
    result = run_module({"tags": TAGS, "known_absent": True})
    assert result["changed"] is True and result["threshold"] == 80.0 and result["tags"] == TAGS
    assert calls == ["PutMetricAlarm", "DescribeAlarms"]
    assert tags_of(client) == TAGS
    check = run_module({"name": "nova-production-nat-bytes-out", "known_absent": True}, check=True)
    assert check["changed"] is True and calls == ["DescribeAlarms"]
    assert [a["AlarmName"] for a in client.describe_alarms()["MetricAlarms"]] == [NAME]


def test_an_alarm_wrongly_known_absent_gets_the_tasks_settings(cloudwatch, run_module):
    """PutMetricAlarm replaces an alarm that exists after all; AWS ignores the tags of that call (the option's doc)."""
    client = cloudwatch[0]
    run_module({"tags": {"Owner": "ops"}})
    result = run_module({"threshold": 90.0, "tags": TAGS, "known_absent": True})
    assert result["changed"] is True
    (alarm,) = client.describe_alarms(AlarmNames=[NAME])["MetricAlarms"]
    assert alarm["Threshold"] == 90.0


def test_tag_values_are_strings_as_aws_stores_them(cloudwatch, run_module):
    client = cloudwatch[0]
    result = run_module({"tags": {"CostCentre": 42}})
    assert result["tags"] == {"CostCentre": "42"} == tags_of(client)
    assert run_module({"tags": {"CostCentre": 42}})["changed"] is False
