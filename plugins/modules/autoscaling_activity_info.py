#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: autoscaling_activity_info
version_added: 0.1.0
short_description: Read an Auto Scaling group's scaling activities, and say why it cannot launch
description:
  - Reads one Auto Scaling group's capacity (C(DescribeAutoScalingGroups)) and its newest scaling activities
    (C(DescribeScalingActivities)).
  - An Auto Scaling group launches its instances on its own, after the call that created or resized it has
    returned. A launch that fails (a key pair or image that does not exist, an instance type the zone does not
    offer, no capacity, the vCPU quota, a subnet without free addresses) therefore never fails that call; AWS
    records it as a C(Failed) scaling activity whose status message holds the EC2 error. This module names the
    EC2 error code of each failed activity and, for the failure that still stands (RV(launch_failure)), adds the
    cause and the fix from the nova.infra troubleshooting catalogue (docs/troubleshooting.md).
  - With O(wait=true) it waits until the group has its desired number of healthy C(InService) instances, and
    fails as soon as the failed activities show that the group cannot launch, or at O(wait_timeout); the message
    quotes the failed activity and gives the error code, cause and fix.
  - It never changes the group.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  name:
    description:
      - Name of the Auto Scaling group (1 to 255 printable ASCII characters, no spaces or colons).
    type: str
    required: true
  max_items:
    description:
      - How many of the newest scaling activities to read and return (1 to 100).
    type: int
    default: 20
  since:
    description:
      - Only failed activities that started at or after this time make up RV(launch_failure); older ones are
        history. Typically the time just before the task that created or resized the group.
      - An ISO 8601 date and time, such as V(2026-01-31T12:00:00Z); without a time zone it is taken as UTC.
      - Omitted, every failed activity newer than the group's newest activity of another status counts.
      - The time is compared with AWS's clock; a local clock that runs ahead makes the first failures look older,
        so the wait goes on until the group's next attempt fails (or O(wait_timeout), whose message still quotes
        the newest failure).
    type: str
  wait:
    description:
      - Wait until the group has as many healthy C(InService) instances as its desired capacity.
      - Fails as soon as the group cannot launch, without waiting for O(wait_timeout). That is, the failures
        counted in RV(launch_failure) include one that is not confined to one availability zone (for example
        C(InvalidKeyPair.NotFound), C(VcpuLimitExceeded)), or failures confined to a zone (C(Unsupported),
        C(InsufficientInstanceCapacity), C(InsufficientFreeAddressesInSubnet), or an unknown error) in every
        zone of the group. A group tries its other zones by itself, so one such failure is not the end.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true), at least 1. The group is read every 10 seconds.
    type: int
    default: 600
notes:
  - Supports check mode; it only reads, so it does the same in check mode.
  - "IAM permissions: C(autoscaling:DescribeAutoScalingGroups) and C(autoscaling:DescribeScalingActivities)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.
- name: Read the bastion group's scaling activities
  nova.infra.autoscaling_activity_info:
    name: nova-production-bastion-asg
  register: bastion_activities

- name: Show why the group is short of instances
  ansible.builtin.debug:
    msg: "{{ bastion_activities.launch_failure.status_message }} ({{ bastion_activities.launch_failure.error_code }})"
  when: bastion_activities.launch_failure | length > 0

- name: Note when the launch starts
  ansible.builtin.set_fact:
    launch_started: "{{ now(utc=true).strftime('%Y-%m-%dT%H:%M:%SZ') }}"

- name: Create the group without waiting in the module that creates it
  amazon.aws.autoscaling_group:
    name: nova-production-bastion-asg
    launch_template:
      launch_template_name: nova-production-bastion-lt
    min_size: 1
    max_size: 2
    desired_capacity: 1
    vpc_zone_identifier: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
    wait_for_instances: false

- name: Wait for the instance, and fail at once with the AWS error when the group cannot launch it
  nova.infra.autoscaling_activity_info:
    name: nova-production-bastion-asg
    since: "{{ launch_started }}"
    wait: true
    wait_timeout: 600
"""

RETURN = r"""
auto_scaling_group_name:
  description: Name of the group.
  type: str
  returned: always
  sample: nova-production-bastion-asg
desired_capacity:
  description: The group's desired capacity.
  type: int
  returned: always
  sample: 1
availability_zones:
  description: The group's availability zones.
  type: list
  elements: str
  returned: always
  sample: [us-west-2a, us-west-2b]
instances:
  description: IDs of the group's instances, in any state (as amazon.aws.autoscaling_group returns them).
  type: list
  elements: str
  returned: always
  sample: [i-0123456789abcdef0]
viable_instances:
  description: How many of the group's instances are healthy and C(InService).
  type: int
  returned: always
  sample: 1
activities:
  description: The newest scaling activities, newest first, at most O(max_items).
  type: list
  elements: dict
  returned: always
  contains:
    activity_id:
      description: ID of the activity.
      type: str
    description:
      description: "What the activity did, e.g. C(Launching a new EC2 instance: i-0123456789abcdef0)."
      type: str
    cause:
      description: Why it was started.
      type: str
    start_time:
      description: When it started (ISO 8601).
      type: str
    end_time:
      description: When it ended (ISO 8601), if it has.
      type: str
    status_code:
      description: C(Successful), C(Failed), C(Cancelled), C(InProgress) and so on.
      type: str
    status_message:
      description: Why the activity is in its state; for a failed launch, the EC2 error.
      type: str
    progress:
      description: Progress in percent.
      type: int
    details:
      description: The activity's details, such as C(Subnet ID) and C(Availability Zone).
      type: dict
    error_code:
      description: The EC2 error code found in the status message of a C(Failed) activity; null otherwise, or when
        the message names none that is known.
      type: str
  sample:
    - activity_id: 4f3c7e0e-2b36-4f3c-9f1a-0b7e3c1d2a10
      description: "Launching a new EC2 instance.  Status Reason: Could not launch On-Demand Instances. ..."
      cause: "At 2026-01-31T12:00:01Z an instance was started in response to a difference between desired and ..."
      start_time: "2026-01-31T12:00:01.123000+00:00"
      end_time: "2026-01-31T12:00:01+00:00"
      status_code: Failed
      status_message: "Could not launch On-Demand Instances. Unsupported - Your requested instance type ..."
      progress: 100
      details: {"Subnet ID": "subnet-0123456789abcdef0", "Availability Zone": "us-west-2a"}
      error_code: Unsupported
launch_failure:
  description:
    - The newest failed activity of the failure that still stands (see O(since)), with the zones it failed in and
      the catalogue's guidance; empty when there is none.
  type: dict
  returned: always
  contains:
    activity_id:
      description: ID of the failed activity (and the other keys of an RV(activities) element).
      type: str
    error_code:
      description: The EC2 error code, or null when the message names none that is known.
      type: str
    failed_zones:
      description: The availability zones these failures happened in.
      type: list
      elements: str
    cannot_launch:
      description: Whether the group cannot launch without a change (see O(wait)).
      type: bool
    troubleshooting:
      description: The error code with its cause and fix steps (C(code), C(known), C(cause), C(fix)).
      type: dict
troubleshooting:
  description: The error code of the launch failure, its cause and fix steps (C(code), C(known), C(cause), C(fix)).
  type: dict
  returned: when O(wait=true) failed because of a launch failure with a known error code
"""

import datetime
import json
import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils.problems import format_problems
from ansible_collections.nova.infra.plugins.module_utils.problems import problem
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import ZONAL_LAUNCH_ERRORS
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import code_from_activity
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import explain

# Auto Scaling only: two reads per poll, and the activity part (failure since a time, zones covered) is more
# than a botocore waiter's acceptors can express, so the wait polls, as amazon.aws.autoscaling_group does.
POLL_SECONDS = 10
GROUP_NAME = re.compile(r"^[!-9;-~]{1,255}$")  # ASCII 33-126 without the colon


def input_problems(params):
    problems = []
    if not GROUP_NAME.match(params["name"]):
        problems.append(problem(
            "name", params["name"], "is not an Auto Scaling group name (1-255 printable ASCII characters, no spaces "
            "or colons)", "give the group's name, e.g. nova-production-bastion-asg (not its ARN)"))
    if not 1 <= params["max_items"] <= 100:
        problems.append(problem("max_items", params["max_items"], "is outside 1-100", "e.g. 20"))
    if params["since"] is not None and parse_time(params["since"]) is None:
        problems.append(problem(
            "since", params["since"], "is not an ISO 8601 date and time", "give e.g. 2026-01-31T12:00:00Z (in a play: "
            "now(utc=true) formatted with strftime, noted before the group is created or resized)"))
    if params["wait_timeout"] < 1:
        problems.append(problem("wait_timeout", params["wait_timeout"], "is not a positive number of seconds",
                                "e.g. 600"))
    return problems


def parse_time(text):
    """An aware datetime from ISO 8601 text (UTC when no zone is given), or None."""
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def as_utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def describe_activity(raw):
    """An activity as returned: snake_case keys, ISO times, details parsed, the EC2 error code of a failure."""
    try:
        details = json.loads(raw.get("Details") or "{}")
    except ValueError:
        details = {}
    failed = raw.get("StatusCode") == "Failed"
    return {
        "activity_id": raw.get("ActivityId"),
        "description": raw.get("Description"),
        "cause": raw.get("Cause"),
        "start_time": as_utc(raw["StartTime"]).isoformat() if raw.get("StartTime") else None,
        "end_time": as_utc(raw["EndTime"]).isoformat() if raw.get("EndTime") else None,
        "status_code": raw.get("StatusCode"),
        "status_message": raw.get("StatusMessage"),
        "progress": raw.get("Progress"),
        "details": details if isinstance(details, dict) else {},
        "error_code": code_from_activity(raw.get("StatusMessage")) if failed else None,
    }


def standing_failures(activities, since=None):
    """The failed activities that still stand: from the newest, up to the first of another status (a launch or
    anything else the group did since) and not older than since."""
    failures = []
    for activity in activities:
        if activity["status_code"] != "Failed":
            break
        if since is not None and (not activity["start_time"] or parse_time(activity["start_time"]) < since):
            break
        failures.append(activity)
    return failures


def launch_failure(activities, zones, since=None):
    """The newest standing failure with the zones the failures cover and whether the group is stuck; {} if none."""
    failures = standing_failures(activities, since)
    if not failures:
        return {}
    failed_zones = sorted({f["details"].get("Availability Zone") for f in failures} - {None})
    account_wide = any(f["error_code"] and f["error_code"] not in ZONAL_LAUNCH_ERRORS for f in failures)
    if failed_zones:
        every_zone = set(zones) <= set(failed_zones)
    else:
        every_zone = len(failures) >= max(len(zones), 1)
    newest = failures[0]
    failure = dict(newest, failed_zones=failed_zones, cannot_launch=account_wide or every_zone)
    if newest["error_code"]:
        failure["troubleshooting"] = explain(newest["error_code"])
    return failure


def explain_failure(failure):
    """One paragraph: the failed activity quoted, then the AWS error code, cause and fix."""
    where = ", ".join(failure["failed_zones"]) or "unknown zone"
    text = (
        f"Last failed scaling activity {failure['activity_id']} ({failure['start_time']}, {where}): "
        f"StatusCode {failure['status_code']}, StatusMessage \"{failure['status_message']}\"."
    )
    guidance = failure.get("troubleshooting")
    if not guidance:
        return text + " The message names no known AWS error code: the fix follows from its text."
    steps = " ".join(f"({number}) {step}" for number, step in enumerate(guidance["fix"], 1))
    return f"{text} AWS error {guidance['code']}. Cause: {guidance['cause']} Fix: {steps}"


class ActivityReader:
    def __init__(self, module):
        self.module = module
        self.name = module.params["name"]
        self.client = aws_calls.connect(module, "autoscaling")
        since = module.params["since"]
        self.since = parse_time(since) if since is not None else None

    def read(self):
        groups = aws_calls.describe_auto_scaling_groups(self.client, AutoScalingGroupNames=[self.name])
        raw_activities = aws_calls.describe_scaling_activities(self.client, self.name, self.module.params["max_items"])
        if not groups:
            self.module.fail_json(
                msg=f"No Auto Scaling group named {self.name} in {self.module.region}. Fix: check the name and the "
                "region: `aws autoscaling describe-auto-scaling-groups "
                "--query 'AutoScalingGroups[].AutoScalingGroupName'`."
            )
        group = groups[0]
        instances = group.get("Instances", [])
        activities = [describe_activity(raw) for raw in raw_activities]
        activities.sort(key=lambda activity: activity["start_time"] or "", reverse=True)
        zones = sorted(group.get("AvailabilityZones", []))
        return dict(
            auto_scaling_group_name=group["AutoScalingGroupName"],
            desired_capacity=group.get("DesiredCapacity", 0),
            availability_zones=zones,
            instances=[i["InstanceId"] for i in instances],
            viable_instances=sum(
                1 for i in instances if i.get("HealthStatus") == "Healthy" and i.get("LifecycleState") == "InService"
            ),
            activities=activities,
            launch_failure=launch_failure(activities, zones, self.since),
        )

    def wait(self):
        timeout = self.module.params["wait_timeout"]
        deadline = time.monotonic() + timeout
        while True:
            state = self.read()
            if state["viable_instances"] >= state["desired_capacity"]:
                return state
            failure = state["launch_failure"]
            if failure.get("cannot_launch"):
                self.fail(state, f"The Auto Scaling group {self.name} cannot launch its instances "
                          f"({state['viable_instances']} of {state['desired_capacity']} healthy and in service): "
                          f"its launches failed {self.coverage(state)}.")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out(state, timeout)
            time.sleep(min(POLL_SECONDS, remaining))

    @staticmethod
    def coverage(state):
        failure = state["launch_failure"]
        if failure.get("error_code") and failure["error_code"] not in ZONAL_LAUNCH_ERRORS:
            return "with an error no other availability zone avoids"
        return f"in every availability zone of the group ({', '.join(state['availability_zones'])})"

    def timed_out(self, state, timeout):
        head = (f"Waited {timeout} s for the Auto Scaling group {self.name} to have {state['desired_capacity']} "
                f"healthy instance(s) in service; it has {state['viable_instances']}.")
        # The standing failure, else the newest failed activity at all: the likeliest reason either way.
        failure = state["launch_failure"] or launch_failure(
            [a for a in state["activities"] if a["status_code"] == "Failed"][:1], state["availability_zones"])
        if failure:
            self.fail(dict(state, launch_failure=failure), head)
        self.module.fail_json(
            msg=f"{head} No scaling activity failed: the instances may still be launching or failing their health "
            f"checks. Fix: look at `aws autoscaling describe-scaling-activities --auto-scaling-group-name {self.name}` "
            "and the instances' system log, or raise wait_timeout.",
            **state,
        )

    def fail(self, state, head):
        failure = state["launch_failure"]
        extra = {"troubleshooting": failure["troubleshooting"]} if failure.get("troubleshooting") else {}
        self.module.fail_json(msg=f"{head} {explain_failure(failure)}", **state, **extra)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        max_items=dict(type="int", default=20),
        since=dict(type="str"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = input_problems(module.params)
    if problems:
        module.fail_json(msg=format_problems(problems, "scaling activity", "read"), problems=problems)
    reader = ActivityReader(module)
    with aws_failures(module):
        state = reader.wait() if module.params["wait"] else reader.read()
    module.exit_json(changed=False, **state)


if __name__ == "__main__":
    main()
