#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_alarm_tags
version_added: 0.1.0
short_description: Tag a CloudWatch alarm
description:
  - Sets the tags of one CloudWatch alarm, idempotently (C(ListTagsForResource) unless O(current_tags) is given, then
    C(TagResource) and with O(purge_tags=true) C(UntagResource) only for what differs), and returns the alarm's tags.
  - M(amazon.aws.cloudwatch_metric_alarm) has no tags option; this module tags an alarm it created or changed.
    M(nova.infra.cloudwatch_metric_alarm), its copy with O(nova.infra.cloudwatch_metric_alarm#module:tags), tags a
    new alarm in the call that creates it (one request less per alarm); the monitoring role uses that copy.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  alarm_arn:
    description:
      - The ARN of the alarm (RV(amazon.aws.cloudwatch_metric_alarm#module:alarm_arn)).
    type: str
    required: true
  tags:
    description:
      - The tags the alarm must carry.
    type: dict
    required: true
  purge_tags:
    description:
      - Remove the alarm's other tags.
    type: bool
    default: false
  current_tags:
    description:
      - The tags the alarm carries now, when the caller knows them; the module then does not read them
        (no C(ListTagsForResource)).
      - V({}) for an alarm that the task before has just created with M(amazon.aws.cloudwatch_metric_alarm), which
        creates alarms without tags.
      - Unset (the default), the module reads the alarm's tags.
    type: dict
notes:
  - Supports check mode and diff mode.
  - "IAM permissions: C(cloudwatch:ListTagsForResource), C(cloudwatch:TagResource), and C(cloudwatch:UntagResource)
    with O(purge_tags=true)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create an alarm
  amazon.aws.cloudwatch_metric_alarm:
    name: nova-production-bastion-cpu
    namespace: AWS/EC2
    metric_name: CPUUtilization
    statistic: Average
    comparison: GreaterThanThreshold
    threshold: 80
    period: 300
    evaluation_periods: 1
  register: alarm

- name: Tag it
  nova.infra.cloudwatch_alarm_tags:
    alarm_arn: "{{ alarm.alarm_arn }}"
    tags:
      Project: nova
      Name: nova-production-bastion-cpu
"""

RETURN = r"""
tags:
  description: The alarm's tags after the task (in check mode, the tags it would have).
  type: dict
  returned: always
  sample: {"Project": "nova", "Name": "nova-production-bastion-cpu"}
diff:
  description: The tags before and after.
  type: dict
  returned: in diff mode (--diff), when the tags changed or would change
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import problems as records
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures

ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:.+$")


def option_problems(arn, tags):
    """Every bad option at once, before any AWS call: an alarm ARN, and tags CloudWatch accepts."""
    found = []
    if not ALARM_ARN.match(arn or ""):
        found.append(records.problem(
            "alarm_arn", arn, "is not a CloudWatch alarm ARN",
            "pass the alarm_arn that amazon.aws.cloudwatch_metric_alarm returns "
            "(arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME)",
        ))
    for key, value in tags.items():
        key, value = str(key), "" if value is None else str(value)
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            found.append(records.problem(
                f"tags.{key}", key, "is not a tag key CloudWatch accepts (1-128 characters, not starting with aws:)",
                "use a shorter key without the reserved aws: prefix",
            ))
        if len(value) > 256:
            found.append(records.problem(
                f"tags.{key}", value[:40] + "...", "is longer than the 256 characters CloudWatch accepts in a tag value",
                "shorten the value",
            ))
    return found


def desired_tags(current, wanted, purge):
    """The tags the alarm must end with, the tags to set and the keys to remove."""
    wanted = {str(key): str(value) for key, value in wanted.items()}
    to_set = {key: value for key, value in wanted.items() if current.get(key) != value}
    to_remove = sorted(key for key in current if key not in wanted) if purge else []
    after = {key: value for key, value in current.items() if key not in to_remove}
    after.update(wanted)
    return after, to_set, to_remove


def main():
    argument_spec = dict(
        alarm_arn=dict(type="str", required=True),
        tags=dict(type="dict", required=True),
        purge_tags=dict(type="bool", default=False),
        current_tags=dict(type="dict"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    arn = module.params["alarm_arn"]
    found = option_problems(arn, module.params["tags"])
    if found:
        module.fail_json(msg=records.format_problems(found, "alarm tag", "read or changed"), problems=found)
    with aws_failures(module):
        client = aws_calls.connect(module, "cloudwatch")
        known = module.params["current_tags"]
        if known is None:
            current = boto3_tag_list_to_ansible_dict(aws_calls.list_alarm_tags(client, arn))
        else:
            current = {str(key): "" if value is None else str(value) for key, value in known.items()}
        after, to_set, to_remove = desired_tags(current, module.params["tags"], module.params["purge_tags"])
        changed = bool(to_set or to_remove)
        if changed and not module.check_mode:
            if to_set:
                aws_calls.tag_alarm(client, arn, ansible_dict_to_boto3_tag_list(to_set))
            if to_remove:
                aws_calls.untag_alarm(client, arn, to_remove)
    result = dict(changed=changed, tags=after)
    if changed and module._diff:
        result["diff"] = dict(before=current, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
