# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import datetime
import json

import botocore.client
import pytest

from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import CATALOGUE
from ansible_collections.nova.infra.plugins.modules import autoscaling_activity_info
from ansible_collections.nova.infra.plugins.modules.autoscaling_activity_info import launch_failure
from ansible_collections.nova.infra.plugins.modules.autoscaling_activity_info import parse_time

GROUP = "nova-production-bastion-asg"
ZONES = ["us-west-2a", "us-west-2b"]
T0 = datetime.datetime(2026, 1, 31, 12, 0, 0, tzinfo=datetime.UTC)
UNSUPPORTED = (
    "Could not launch On-Demand Instances. Unsupported - Your requested instance type (p5e.48xlarge) is not supported "
    "in your requested Availability Zone ({zone}). Please retry your request by not specifying an Availability Zone "
    "or choosing us-west-2c. Launching EC2 instance failed."
)
KEY_PAIR = "The key pair 'nova-production-bastion-key' does not exist. Launching EC2 instance failed."


def activity(status, seconds, zone="us-west-2a", message=None, activity_id=None):
    """A DescribeScalingActivities element as botocore parses it."""
    raw = {
        "ActivityId": activity_id or f"{status.lower()}-{zone}-{seconds}",
        "AutoScalingGroupName": GROUP,
        "Description": "Launching a new EC2 instance" + (f".  Status Reason: {message}" if message else ": i-0abc"),
        "Cause": "At 2026-01-31T12:00:00Z an instance was started in response to a difference between desired and "
        "actual capacity, increasing the capacity from 0 to 1.",
        "StartTime": T0 + datetime.timedelta(seconds=seconds),
        "EndTime": T0 + datetime.timedelta(seconds=seconds),
        "StatusCode": status,
        "Progress": 100,
        "Details": json.dumps({"Subnet ID": "subnet-0123456789abcdef0", "Availability Zone": zone}),
    }
    if message:
        raw["StatusMessage"] = message
    return raw


def failed(seconds, zone, message=None):
    return activity("Failed", seconds, zone, message or UNSUPPORTED.format(zone=zone))


def group(desired=1, in_service=0):
    instances = [
        {"InstanceId": f"i-{n:017x}", "AvailabilityZone": "us-west-2a", "LifecycleState": "InService",
         "HealthStatus": "Healthy"}
        for n in range(in_service)
    ]
    return {"AutoScalingGroupName": GROUP, "DesiredCapacity": desired, "AvailabilityZones": ZONES,
            "Instances": instances}


class FakeAutoScaling:
    """Answers DescribeAutoScalingGroups / DescribeScalingActivities with one (group, activities) state per poll;
    the last state repeats. Records the calls."""

    def __init__(self, *states):
        self.states = list(states)
        self.calls = []

    def __call__(self, client, operation, params):
        self.calls.append(operation)
        groups, activities = self.states[0]
        if operation == "DescribeAutoScalingGroups":
            return {"AutoScalingGroups": [groups] if groups else []}
        if operation == "DescribeScalingActivities":
            if len(self.states) > 1:
                self.states.pop(0)
            return {"Activities": list(reversed(activities))[: params["MaxRecords"]]}
        raise AssertionError(f"unexpected call {operation}")


@pytest.fixture
def aws(fake_clock, monkeypatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clock = fake_clock
    monkeypatch.setattr(autoscaling_activity_info.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(autoscaling_activity_info.time, "sleep", clock.sleep)

    def install(*states):
        fake = FakeAutoScaling(*states)

        def make_api_call(client, operation, params):
            return fake(client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
        return fake

    install.clock = clock
    return install


@pytest.fixture
def run_module(run_module):
    """main() with args in-process (tests/conftest.py): the result it prints."""

    def run(args, check=False):
        args = {"region": "us-west-2", "name": GROUP, **args, "_ansible_check_mode": check}
        return run_module(autoscaling_activity_info, args)

    return run


def guidance_in(message, code):
    entry = CATALOGUE[code]
    return f"AWS error {code}." in message and entry["cause"] in message and all(s in message for s in entry["fix"])


# ---- reading ------------------------------------------------------------------------------------------------


def test_reads_the_group_and_its_activities_newest_first(aws, run_module):
    fake = aws((group(in_service=1), [failed(0, "us-west-2a"), activity("Successful", 20)]))
    result = run_module({}, check=True)
    assert not result["changed"]
    assert result["auto_scaling_group_name"] == GROUP and result["desired_capacity"] == 1
    assert result["availability_zones"] == ZONES
    assert result["instances"] == ["i-00000000000000000"] and result["viable_instances"] == 1
    assert [a["status_code"] for a in result["activities"]] == ["Successful", "Failed"]
    newest, older = result["activities"]
    assert newest["error_code"] is None and newest["start_time"] == "2026-01-31T12:00:20+00:00"
    assert older["error_code"] == "Unsupported"
    assert older["details"] == {"Subnet ID": "subnet-0123456789abcdef0", "Availability Zone": "us-west-2a"}
    assert older["status_message"] == UNSUPPORTED.format(zone="us-west-2a")
    # A launch succeeded after the failure: nothing stands.
    assert result["launch_failure"] == {}
    assert fake.calls == ["DescribeAutoScalingGroups", "DescribeScalingActivities"]


def test_max_items_is_passed_on(aws, run_module):
    aws((group(), [failed(n, "us-west-2a") for n in range(5)]))
    assert len(run_module({"max_items": 2})["activities"]) == 2


def test_launch_failure_carries_the_code_zones_and_guidance(aws, run_module):
    aws((group(), [failed(0, "us-west-2a"), failed(5, "us-west-2b")]))
    failure = run_module({})["launch_failure"]
    assert failure["activity_id"] == "failed-us-west-2b-5"
    assert failure["error_code"] == "Unsupported" and failure["failed_zones"] == ZONES
    assert failure["cannot_launch"] is True
    assert failure["troubleshooting"]["cause"] == CATALOGUE["Unsupported"]["cause"]


def test_a_missing_group_fails_with_the_fix(aws, run_module):
    aws((None, []))
    result = run_module({})
    assert "No Auto Scaling group named nova-production-bastion-asg in us-west-2" in result["msg"]
    assert "Fix:" in result["msg"]


BAD_INPUT = {
    "name with a space": ({"name": "bastion asg"}, "name", "bastion asg"),
    "name that is an ARN": ({"name": "arn:aws:autoscaling:us-west-2:123456789012:autoScalingGroup:x"}, "name", "ARN"),
    "max_items zero": ({"max_items": 0}, "max_items", "1-100"),
    "max_items too many": ({"max_items": 500}, "max_items", "500"),
    "since not a time": ({"since": "yesterday"}, "since", "yesterday"),
    "wait_timeout zero": ({"wait": True, "wait_timeout": 0}, "wait_timeout", "positive"),
}


@pytest.mark.parametrize("args, field, fragment", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_fails_before_any_call(aws, run_module, args, field, fragment):
    fake = aws((group(), []))
    result = run_module(args)
    assert result["msg"].startswith("1 problem in the scaling activity settings")
    assert f"{field}:" in result["msg"] and fragment in result["msg"] and "Fix:" in result["msg"]
    assert fake.calls == []


# ---- waiting ------------------------------------------------------------------------------------------------


def test_wait_returns_at_once_when_the_group_is_in_service(aws, run_module):
    aws((group(in_service=1), [activity("Successful", 0)]))
    result = run_module({"wait": True})
    assert result["viable_instances"] == 1 and result["instances"] == ["i-00000000000000000"]
    assert aws.clock.slept == []


def test_wait_fails_at_once_on_an_error_no_zone_avoids(aws, run_module):
    aws((group(), [failed(0, "us-west-2a", KEY_PAIR)]))
    result = run_module({"wait": True, "since": "2026-01-31T12:00:00Z"})
    message = result["msg"]
    assert message.startswith(f"The Auto Scaling group {GROUP} cannot launch its instances (0 of 1 healthy and in "
                              "service): its launches failed with an error no other availability zone avoids.")
    assert 'StatusCode Failed, StatusMessage "' + KEY_PAIR + '"' in message
    assert guidance_in(message, "InvalidKeyPair.NotFound"), message
    assert result["troubleshooting"]["code"] == "InvalidKeyPair.NotFound"
    assert aws.clock.slept == []


def test_wait_goes_on_while_another_zone_may_launch_then_succeeds(aws, run_module):
    aws(
        (group(), [failed(0, "us-west-2a")]),
        (group(in_service=1), [failed(0, "us-west-2a"), activity("Successful", 12, "us-west-2b")]),
    )
    result = run_module({"wait": True, "since": "2026-01-31T12:00:00Z"})
    assert result["viable_instances"] == 1 and not result.get("failed")
    assert aws.clock.slept == [10]


def test_wait_fails_once_every_zone_failed(aws, run_module):
    aws(
        (group(), [failed(0, "us-west-2a")]),
        (group(), [failed(0, "us-west-2a"), failed(11, "us-west-2b")]),
    )
    result = run_module({"wait": True, "since": "2026-01-31T12:00:00Z"})
    assert "its launches failed in every availability zone of the group (us-west-2a, us-west-2b)" in result["msg"]
    assert UNSUPPORTED.format(zone="us-west-2b") in result["msg"]
    assert guidance_in(result["msg"], "Unsupported")
    assert result["launch_failure"]["failed_zones"] == ZONES
    assert aws.clock.slept == [10]


def test_failures_before_since_are_history(aws, run_module):
    aws((group(), [failed(0, "us-west-2a", KEY_PAIR)]))
    result = run_module({"wait": True, "since": "2026-01-31T12:01:00Z", "wait_timeout": 30})
    # Not stopped by the old failure; at the timeout it is still named as the likeliest reason.
    assert aws.clock.slept == [10, 10, 10]
    assert result["msg"].startswith(f"Waited 30 s for the Auto Scaling group {GROUP} to have 1 healthy instance(s) "
                                    "in service; it has 0.")
    assert guidance_in(result["msg"], "InvalidKeyPair.NotFound")


def test_timeout_without_a_failure_says_so(aws, run_module):
    aws((group(), [activity("InProgress", 0)]))
    result = run_module({"wait": True, "wait_timeout": 15})
    assert "No scaling activity failed" in result["msg"] and "raise wait_timeout" in result["msg"]
    assert "troubleshooting" not in result
    assert aws.clock.slept == [10, 5]


# ---- the rules, without AWS ---------------------------------------------------------------------------------


def described(*raws):
    return sorted((autoscaling_activity_info.describe_activity(raw) for raw in raws),
                  key=lambda a: a["start_time"], reverse=True)


RULES = {
    "nothing failed": ([activity("Successful", 0)], None, None),
    "one zone of two": ([failed(0, "us-west-2a")], None, False),
    "both zones": ([failed(0, "us-west-2a"), failed(1, "us-west-2b")], None, True),
    "a zone twice is still one zone": ([failed(0, "us-west-2a"), failed(1, "us-west-2a")], None, False),
    "error no zone avoids": ([failed(0, "us-west-2a", KEY_PAIR)], None, True),
    "unknown wording waits for every zone": (
        [failed(0, "us-west-2a", "Client.InternalError: Client error on launch.")], None, False),
    "a launch since ends the streak": ([failed(0, "us-west-2a", KEY_PAIR), activity("Successful", 1)], None, None),
    "before since": ([failed(0, "us-west-2a", KEY_PAIR)], "2026-01-31T12:00:01Z", None),
    "since without a zone (naive, UTC)": ([failed(0, "us-west-2a", KEY_PAIR)], "2026-01-31T12:00:00", True),
}


@pytest.mark.parametrize("raws, since, cannot_launch", RULES.values(), ids=RULES.keys())
def test_launch_failure_rules(raws, since, cannot_launch):
    failure = launch_failure(described(*raws), ZONES, parse_time(since) if since else None)
    assert failure.get("cannot_launch") is cannot_launch


def test_failures_without_zone_details_count_per_attempt():
    one, two = (dict(failed(n, "us-west-2a"), Details="{}") for n in (0, 1))
    assert launch_failure(described(one), ZONES)["cannot_launch"] is False
    assert launch_failure(described(one, two), ZONES)["cannot_launch"] is True
    assert launch_failure(described(dict(one, Details="not json")), ZONES)["failed_zones"] == []
