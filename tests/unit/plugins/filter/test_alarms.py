# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""alarms_differing: an alarm as cloudwatch_metric_alarm put it is in sync; any setting the module compares differs."""

import copy

import pytest

from ansible_collections.nova.infra.plugins.filter.alarms import alarm_drift
from ansible_collections.nova.infra.plugins.filter.alarms import alarms_differing
from ansible_collections.nova.infra.plugins.filter.alarms import alarms_missing

TOPIC = "arn:aws:sns:us-west-2:123456789012:nova-production-alarms"
WANTED = {
    "name": "nova-production-bastion-cpu",
    "region": "us-west-2",
    "description": "Bastion host CPU usage",
    "namespace": "AWS/EC2",
    "metric_name": "CPUUtilization",
    "dimensions": {"AutoScalingGroupName": "nova-production-bastion-asg"},
    "statistic": "Average",
    "period": 300,
    "evaluation_periods": 1,
    "threshold": 80.0,
    "comparison": "GreaterThanThreshold",
    "unit": "Percent",
    "treat_missing_data": "missing",
    "alarm_actions": [TOPIC],
}


def described():
    """The alarm as cloudwatch_metric_alarm_info returns it after the module put WANTED (snake_cased DescribeAlarms)."""
    return {
        "alarm_name": "nova-production-bastion-cpu",
        "alarm_arn": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:nova-production-bastion-cpu",
        "alarm_description": "Bastion host CPU usage",
        "alarm_configuration_updated_timestamp": "2026-12-02T22:00:00+00:00",
        "actions_enabled": True,
        "ok_actions": [],
        "alarm_actions": [TOPIC],
        "insufficient_data_actions": [],
        "state_value": "INSUFFICIENT_DATA",
        "state_reason": "Unchecked: Initial alarm creation",
        "state_updated_timestamp": "2026-12-02T22:00:00+00:00",
        "metric_name": "CPUUtilization",
        "namespace": "AWS/EC2",
        "statistic": "Average",
        "dimensions": [{"name": "AutoScalingGroupName", "value": "nova-production-bastion-asg"}],
        "period": 300,
        "unit": "Percent",
        "evaluation_periods": 1,
        "threshold": 80.0,
        "comparison_operator": "GreaterThanThreshold",
        "treat_missing_data": "missing",
    }


def found(*alarms, region="us-west-2"):
    return {"results": [{"item": region, "metric_alarms": list(alarms)}]}


def test_an_alarm_as_put_is_in_sync():
    assert alarms_differing([WANTED], found(described())) == []


def test_templated_numbers_compare_as_the_module_converts_them():
    wanted = dict(WANTED, period="300", evaluation_periods="1", threshold="80")
    assert alarms_differing([wanted], found(described())) == []


def test_missing_alarm_and_alarm_of_another_region_differ():
    assert alarms_differing([WANTED], found()) == [WANTED]
    assert alarms_differing([WANTED], found(described(), region="us-east-1")) == [WANTED]


def test_no_treat_missing_data_in_aws_reads_as_missing():
    alarm = described()
    del alarm["treat_missing_data"]
    assert alarms_differing([WANTED], found(alarm)) == []


@pytest.mark.parametrize(
    "setting, value",
    [
        ("threshold", 95.0),
        ("period", 60),
        ("evaluation_periods", 3),
        ("statistic", "Maximum"),
        ("comparison_operator", "GreaterThanOrEqualToThreshold"),
        ("unit", "Count"),
        ("alarm_description", "changed by hand"),
        ("dimensions", [{"name": "AutoScalingGroupName", "value": "other"}]),
        ("dimensions", []),
        ("alarm_actions", []),
        ("ok_actions", [TOPIC]),
        ("treat_missing_data", "breaching"),
        ("metric_name", "NetworkIn"),
        ("datapoints_to_alarm", 1),
    ],
)
def test_each_setting_the_module_compares_differs(setting, value):
    alarm = copy.deepcopy(described())
    alarm[setting] = value
    assert alarms_differing([WANTED], found(alarm)) == [WANTED]


def test_state_timestamps_and_actions_enabled_do_not_count():
    alarm = dict(described(), state_value="ALARM", actions_enabled=False, state_reason="Threshold Crossed")
    assert alarms_differing([WANTED], found(alarm)) == []


def test_only_the_differing_alarms_are_returned_in_order():
    other = dict(WANTED, name="nova-production-nat-bytes-out-us-west-2a", region="us-east-1")
    assert alarms_differing([WANTED, other], found(described())) == [other]


def test_only_the_alarms_not_found_in_their_region_are_missing():
    """A differing alarm is not missing (the module reads and corrects it); one found in another region is."""
    changed = dict(described(), threshold=99.0)
    elsewhere = dict(WANTED, name="nova-production-nat-bytes-out-us-west-2a")
    other_region = dict(WANTED, region="us-east-1")
    assert alarms_missing([WANTED, elsewhere, other_region], found(changed)) == [elsewhere, other_region]
    assert alarms_missing([dict(WANTED, region=None)], found(described(), region=None)) == []


def test_alarms_without_a_region_live_in_the_play_region():
    wanted = dict(WANTED, region=None)
    assert alarms_differing([wanted], found(described(), region=None)) == []
    assert alarms_differing([wanted], found(described(), region="us-east-1")) == [wanted]


def test_alarm_drift_names_each_differing_setting_with_desired_and_actual():
    changed = described()
    changed.update(threshold=99.0, period=60)
    records = alarm_drift([WANTED], found(changed))
    assert [(r["setting"], r["desired"], r["actual"]) for r in records] == [("period", 300, 60), ("threshold", 80.0, 99.0)]
    assert {r["resource"] for r in records} == {"CloudWatch alarm nova-production-bastion-cpu (us-west-2)"}


def test_alarm_drift_says_a_missing_alarm_is_missing_and_an_alarm_in_sync_has_none():
    assert alarm_drift([WANTED], found()) == [
        {"resource": "CloudWatch alarm nova-production-bastion-cpu (us-west-2)", "id": None, "setting": "alarm",
         "desired": "present", "actual": "missing"}
    ]
    assert alarm_drift([WANTED], found(described())) == []
