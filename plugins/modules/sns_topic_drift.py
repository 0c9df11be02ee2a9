#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: sns_topic_drift
version_added: 0.2.0
short_description: Say whether community.aws.sns_topic would change a standard topic, in four reads
description:
  - Finds an SNS topic of the account by name (C(ListTopics)), reads its attributes, subscriptions and tags, and
    compares them with the options given, which are community.aws.sns_topic's, by that module's own rules (the
    display name when given; the subscriptions, missing ones and with O(purge_subscriptions) confirmed ones not
    wanted; the tags, exactly with O(purge_tags)). Returns each difference as a drift record (resource, ID, setting,
    desired and actual value).
  - None means that community.aws.sns_topic with the same options would change nothing; the monitoring role then
    skips it (sns_topic lists every topic of the account twice and reads the subscriptions twice on every run).
  - A topic that does not exist is drift, found without reading anything else.
  - It never changes anything.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  name:
    description: Name of the topic (1 to 256 letters, digits, hyphens and underscores).
    type: str
    required: true
  display_name:
    description: Display name the topic should have (at most 100 characters); left out, not compared.
    type: str
  subscriptions:
    description: The subscriptions the topic should have, each with C(protocol) and C(endpoint).
    type: list
    elements: dict
    default: []
  purge_subscriptions:
    description: Confirmed subscriptions not in O(subscriptions) count as drift.
    type: bool
    default: true
  tags:
    description: The topic's tags; left out, not compared.
    type: dict
  purge_tags:
    description: Tags not in O(tags) count as drift.
    type: bool
    default: true
notes:
  - Supports check mode; it only reads, so it does the same in check mode.
  - Policy, delivery policy and FIFO settings are not compared (the role sets none of them).
  - "IAM permissions: C(sns:ListTopics), C(sns:GetTopicAttributes), C(sns:ListSubscriptionsByTopic),
    C(sns:ListTagsForResource)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.
- name: Compare the alarm topic with its settings
  nova.infra.sns_topic_drift:
    name: nova-production-alarms
    display_name: nova alarms
    subscriptions:
      - {protocol: email, endpoint: ops@example.com}
    tags: {Project: nova}
  register: topic

- name: Apply the settings only where they differ
  community.aws.sns_topic:
    name: nova-production-alarms
    display_name: nova alarms
    subscriptions:
      - {protocol: email, endpoint: ops@example.com}
    tags: {Project: nova}
  when: not topic.in_sync
"""

RETURN = r"""
in_sync:
  description: Whether community.aws.sns_topic with the same options would change nothing.
  type: bool
  returned: always
  sample: true
sns_arn:
  description: ARN of the topic, when it exists.
  type: str
  returned: always
  sample: arn:aws:sns:us-west-2:123456789012:nova-production-alarms
drift:
  description: One record per setting that differs; empty when RV(in_sync).
  type: list
  elements: dict
  returned: always
  contains:
    resource:
      description: V(SNS topic <name>).
      type: str
    id:
      description: The topic's ARN, or null when it does not exist.
      type: str
    setting:
      description: V(exists), V(display_name), V(subscriptions) or V(tags).
      type: str
    desired:
      description: What the options say.
      type: raw
    actual:
      description: What SNS has.
      type: raw
summary:
  description: One line per drift record.
  type: list
  elements: str
  returned: always
"""


from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import drift
from ansible_collections.nova.infra.plugins.module_utils import stack
from ansible_collections.nova.infra.plugins.module_utils import topic_drift
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures

TOPIC_NAME = stack.SNS_TOPIC_NAME


class TopicReader:
    def __init__(self, module):
        self.sns = aws_calls.connect(module, "sns")

    def read(self, name):
        topics = aws_calls.list_topics(self.sns)
        arn = next((t["TopicArn"] for t in topics if t["TopicArn"].endswith(f":{name}")), None)
        if arn is None:
            return {"exists": False, "arn": None}
        attributes = aws_calls.get_topic_attributes(self.sns, arn) or {}
        return {
            "exists": True,
            "arn": arn,
            "display_name": attributes.get("DisplayName", ""),
            "subscriptions": aws_calls.list_subscriptions_by_topic(self.sns, arn),
            "tags": boto3_tag_list_to_ansible_dict(aws_calls.list_topic_tags(self.sns, arn)),
        }


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        display_name=dict(type="str"),
        subscriptions=dict(type="list", elements="dict", default=[]),
        purge_subscriptions=dict(type="bool", default=True),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    wanted = module.params
    problems = topic_drift.problems(wanted["name"], wanted["subscriptions"], TOPIC_NAME)
    if wanted["display_name"] is not None and len(wanted["display_name"]) > 100:
        problems.append(
            f"display_name: {len(wanted['display_name'])} characters; SNS allows 100. Fix: shorten it"
        )
    if problems:
        module.fail_json(msg=drift.refusal(problems))
    with aws_failures(module, f"Failed to read SNS topic {wanted['name']}"):
        found = TopicReader(module).read(wanted["name"])
    records = topic_drift.compare(found, wanted)
    module.exit_json(**drift.report(records, sns_arn=found["arn"]))


if __name__ == "__main__":
    main()
