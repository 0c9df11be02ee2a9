#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: vpc_flow_log
version_added: 0.1.0
short_description: Create, replace, tag and delete VPC flow logs of a VPC, subnet or network interface
description:
  - Manages one flow log of a VPC, subnet or elastic network interface, delivered to an S3 bucket (optionally under a
    key prefix) or to a CloudWatch Logs log group.
  - A flow log is identified by its natural key, the resource (O(resource_id)), the destination (O(log_destination)
    or O(log_group_name)) and O(traffic_type); AWS itself refuses a second flow log with the same key
    (C(FlowLogAlreadyExists)). The module looks the flow log up by that key, so it never creates a duplicate.
  - AWS cannot modify a flow log; only its tags can change. When a flow log with the key exists but with other
    settings (O(log_format), O(max_aggregation_interval), O(destination_options), O(deliver_logs_permission_arn)),
    the module fails naming each difference, unless O(replace=true), in which case it deletes and re-creates it.
  - The create request carries a C(ClientToken) derived from the natural key and every setting, so a create retried
    after a timeout, a server error or a crash returns the flow log already made instead of a second one.
  - C(CreateFlowLogs) and C(DeleteFlowLogs) report per-resource failures in C(Unsuccessful) with HTTP 200; the module
    treats any such entry as a failure with its code and message.
  - All options are checked before any AWS write (ARN and bucket name rules, resource ID prefix, CloudWatch Logs
    requirements); every problem is reported at once with the option, the bad value and the fix.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  state:
    description:
      - V(present) creates the flow log, or updates its tags, or replaces it (see O(replace)).
      - V(absent) deletes it, found by O(flow_log_id) or by its natural key.
    type: str
    choices: [present, absent]
    default: present
  flow_log_id:
    description:
      - The ID of the flow log to delete, for example V(fl-0123456789abcdef0).
      - Only with O(state=absent); mutually exclusive with O(resource_id).
    type: str
  resource_id:
    description:
      - The ID of the VPC (V(vpc-...)), subnet (V(subnet-...)) or network interface (V(eni-...)) to log.
      - Required with O(state=present). Part of the natural key.
    type: str
  resource_type:
    description:
      - The type of O(resource_id). When omitted, it follows from the ID prefix; when given, it must match it.
    type: str
    choices: [VPC, Subnet, NetworkInterface]
  traffic_type:
    description:
      - The traffic to log. Part of the natural key.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  log_destination_type:
    description:
      - Where the records are delivered.
    type: str
    choices: [s3, cloud-watch-logs]
    default: cloud-watch-logs
  log_destination:
    description:
      - With O(log_destination_type=s3), required, the bucket ARN, optionally with a key prefix, for example
        V(arn:aws:s3:::my-flow-logs) or V(arn:aws:s3:::my-flow-logs/vpc/). V(AWSLogs) cannot be the prefix (AWS
        reserves it). The bucket must exist and its policy must let C(delivery.logs.amazonaws.com) write.
      - With O(log_destination_type=cloud-watch-logs), the log group ARN, for example
        V(arn:aws:logs:us-west-2:123456789012:log-group:/nova/vpc-flow-logs); or use O(log_group_name) instead.
      - Part of the natural key, compared as given.
    type: str
  log_group_name:
    description:
      - The CloudWatch Logs log group, with O(log_destination_type=cloud-watch-logs), when O(log_destination) is not
        given. AWS does not check that it exists; delivery fails later when it does not (see
        RV(flow_log.deliver_logs_status)).
      - Part of the natural key.
    type: str
  deliver_logs_permission_arn:
    description:
      - The ARN of the IAM role that C(vpc-flow-logs.amazonaws.com) assumes to write to CloudWatch Logs.
      - Required with O(log_destination_type=cloud-watch-logs) and O(state=present); not allowed with
        O(log_destination_type=s3). Cannot be changed on an existing flow log (see O(replace)).
    type: str
  log_format:
    description:
      - The fields of each record, as C(${field}) separated by single spaces, for example
        V(${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action}).
      - Only the record fields of flow log versions 2 to 8 are accepted (AWS refuses others).
      - When omitted, the AWS default format (the version 2 fields). An existing flow log with another format is a
        difference (see O(replace)).
    type: str
  max_aggregation_interval:
    description:
      - The longest time in seconds over which a flow is captured into one record.
      - Cannot be changed on an existing flow log (see O(replace)).
    type: int
    choices: [60, 600]
    default: 600
  destination_options:
    description:
      - How records are written to S3. Only with O(log_destination_type=s3); when omitted, the AWS defaults (the
        values below).
      - Cannot be changed on an existing flow log (see O(replace)).
    type: dict
    suboptions:
      file_format:
        description: The format of the log files.
        type: str
        choices: [plain-text, parquet]
        default: plain-text
      hive_compatible_partitions:
        description: Whether to use Hive-compatible prefixes (C(key=value)) in the S3 keys.
        type: bool
        default: false
      per_hour_partition:
        description: Whether to partition the files per hour rather than per day.
        type: bool
        default: false
  replace:
    description:
      - What to do when the flow log exists with other immutable settings than requested.
      - V(false) (the default) fails, listing each difference, and changes nothing, because replacing loses the
        records of the seconds in between and the flow log gets a new ID.
      - V(true) deletes the flow log and creates it with the requested settings, keeping its tags unless O(tags)
        says otherwise.
    type: bool
    default: false
notes:
  - Supports check mode (returns just before any write, with RV(diff) and what would be created) and diff mode.
  - Tags are updated in place (C(CreateTags), C(DeleteTags) on the flow log ID); a new flow log is tagged on creation.
  - "The IAM actions used are C(ec2:DescribeFlowLogs), C(ec2:CreateFlowLogs), C(ec2:DeleteFlowLogs),
    C(ec2:CreateTags) and C(ec2:DeleteTags); for CloudWatch Logs also C(iam:PassRole) on
    O(deliver_logs_permission_arn); for S3, C(s3:GetBucketPolicy) and C(s3:PutBucketPolicy) when AWS has to add the
    delivery statement to the bucket policy."
  - A client token stays reserved by AWS for a while after its flow log is deleted. When re-creating an identical
    flow log gets the deleted flow log back, the module notices it (the ID never shows up) and creates it again with
    a token derived from the stale ID.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Log all traffic of the VPC to S3 under the vpc/ prefix, in Parquet with hourly partitions
  nova.infra.vpc_flow_log:
    resource_id: "{{ vpc.vpc.id }}"
    log_destination_type: s3
    log_destination: arn:aws:s3:::nova-prod-flow-logs/vpc/
    max_aggregation_interval: 60
    destination_options:
      file_format: parquet
      per_hour_partition: true
    tags:
      Name: nova-prod-vpc
      Stack: nova-prod
  register: vpc_flow_log

- name: Log rejected traffic of a subnet to CloudWatch Logs
  nova.infra.vpc_flow_log:
    resource_type: Subnet
    resource_id: subnet-0123456789abcdef0
    traffic_type: REJECT
    log_group_name: /nova-prod/flow-logs/rejected
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/nova-flow-logs
    log_format: "${version} ${vpc-id} ${subnet-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action}"

- name: Move an existing flow log to a one-minute interval (deletes and re-creates it)
  nova.infra.vpc_flow_log:
    resource_id: "{{ vpc.vpc.id }}"
    log_destination_type: s3
    log_destination: arn:aws:s3:::nova-prod-flow-logs/vpc/
    max_aggregation_interval: 60
    replace: true

- name: Delete a flow log by its natural key
  nova.infra.vpc_flow_log:
    state: absent
    resource_id: "{{ vpc.vpc.id }}"
    log_destination_type: s3
    log_destination: arn:aws:s3:::nova-prod-flow-logs/vpc/

- name: Delete a flow log by its ID
  nova.infra.vpc_flow_log:
    state: absent
    flow_log_id: "{{ vpc_flow_log.flow_log.flow_log_id }}"
"""

RETURN = r"""
flow_log:
  description:
    - The flow log as DescribeFlowLogs reports it, snake_cased, with RV(flow_log.tags) as a dict.
    - In check mode, when the flow log would be created or replaced, the requested settings instead (without
      RV(flow_log.flow_log_id), RV(flow_log.creation_time) and the statuses).
    - An empty dict with O(state=absent).
  type: dict
  returned: always
  contains:
    flow_log_id:
      description: The ID of the flow log.
      type: str
      sample: fl-0123456789abcdef0
    resource_id:
      description: The ID of the logged VPC, subnet or network interface.
      type: str
      sample: vpc-0123456789abcdef0
    traffic_type:
      description: The traffic logged.
      type: str
      sample: ALL
    log_destination_type:
      description: V(s3) or V(cloud-watch-logs).
      type: str
      sample: s3
    log_destination:
      description: The destination ARN, as given at creation for S3.
      type: str
      sample: arn:aws:s3:::nova-prod-flow-logs/vpc/
    log_group_name:
      description: The log group, for CloudWatch Logs.
      type: str
      returned: for CloudWatch Logs
      sample: /nova-prod/flow-logs/rejected
    deliver_logs_permission_arn:
      description: The IAM role that delivers to CloudWatch Logs.
      type: str
      returned: for CloudWatch Logs
      sample: arn:aws:iam::123456789012:role/nova-flow-logs
    log_format:
      description: The record format.
      type: str
      sample: >-
        ${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets}
        ${bytes} ${start} ${end} ${action} ${log-status}
    max_aggregation_interval:
      description: The aggregation interval in seconds.
      type: int
      sample: 600
    destination_options:
      description: The S3 file options (C(file_format), C(hive_compatible_partitions), C(per_hour_partition)).
      type: dict
      returned: for S3, when AWS reports them
      sample: {file_format: parquet, hive_compatible_partitions: false, per_hour_partition: true}
    flow_log_status:
      description: The status of the flow log.
      type: str
      sample: ACTIVE
    deliver_logs_status:
      description: Whether delivery works, V(SUCCESS) or V(FAILED) (for example a missing log group or role permission).
      type: str
      sample: SUCCESS
    deliver_logs_error_message:
      description: Why delivery fails, when it does.
      type: str
      returned: when delivery fails
      sample: Access error
    creation_time:
      description: When the flow log was created.
      type: str
      sample: "2025-01-01T12:00:00+00:00"
    tags:
      description: The tags of the flow log.
      type: dict
      sample: {Name: nova-prod-vpc, Stack: nova-prod}
diff:
  description:
    - The flow log before and after, in one flat shape (the natural key, the immutable settings with AWS defaults
      filled in, and the tags); V({}) for a flow log that does not exist (before a create, after a delete).
  type: dict
  returned: in diff mode (--diff), when something changed or would change
  sample:
    before: {}
    after:
      resource_type: VPC
      resource_id: vpc-0123456789abcdef0
      traffic_type: ALL
      log_destination_type: s3
      log_destination: arn:aws:s3:::nova-prod-flow-logs/vpc/
      log_group_name: null
      deliver_logs_permission_arn: null
      log_format: >-
        ${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets}
        ${bytes} ${start} ${end} ${action} ${log-status}
      max_aggregation_interval: 600
      destination_options: {file_format: plain-text, hive_compatible_partitions: false, per_hour_partition: false}
      tags: {Name: nova-prod-vpc}
drift:
  description: On failure because the existing flow log differs (see O(replace)), each immutable setting that differs.
  type: list
  elements: dict
  returned: when the flow log differs and O(replace=false)
  sample: [{field: max_aggregation_interval, current: 600, desired: 60}]
problems:
  description: On failure because of bad options, one record per problem (C(field), C(value), C(problem), C(fix)).
  type: list
  elements: dict
  returned: when an option is invalid
  sample:
    - field: log_destination
      value: arn:aws:s3:::My_Bucket
      problem: >-
        S3 bucket names have only lowercase letters, digits, dots and hyphens, and start and end with a letter or digit
      fix: >-
        use the bucket ARN, optionally with a key prefix, e.g. arn:aws:s3:::my-flow-logs or
        arn:aws:s3:::my-flow-logs/vpc/
unsuccessful:
  description: On failure because CreateFlowLogs or DeleteFlowLogs returned C(Unsuccessful) entries, those entries.
  type: list
  elements: dict
  returned: when AWS reported a per-resource failure
  sample: [{resource_id: vpc-0123456789abcdef0, code: AccessDenied, message: Access Denied for LogDestination}]
"""

import time

try:
    import botocore
    from botocore.waiter import WaiterModel
    from botocore.waiter import create_waiter_with_client
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import ensure_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import flow_logs
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import error_code
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import explain
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import fail_aws

# A waiter gives up on any error without an acceptor; these are transient.
_THROTTLED = ("RequestLimitExceeded", "Throttling", "ServiceUnavailable", "InternalError")
# DescribeFlowLogs is eventually consistent: a new flow log can be missing, a deleted one still listed, for a moment.
WAITER_CONFIG = {
    "version": 2,
    "waiters": {
        name: {
            "operation": "DescribeFlowLogs",
            "delay": 2,
            "maxAttempts": 15,
            "acceptors": [
                {"matcher": "path", "argument": "length(FlowLogs) > `0`", "expected": exists, "state": "success"},
                *({"matcher": "error", "expected": code, "state": "retry"} for code in _THROTTLED),
            ],
        }
        for name, exists in (("FlowLogExists", True), ("FlowLogDeleted", False))
    },
}


def by_id(flow_log_id):
    return [{"Name": "flow-log-id", "Values": [flow_log_id]}]


def returned(entry):
    """A DescribeFlowLogs entry as the module returns it: snake_cased, tags as a dict."""
    result = camel_dict_to_snake_dict({k: v for k, v in entry.items() if k != "Tags"})
    result["tags"] = boto3_tag_list_to_ansible_dict(entry.get("Tags", []))
    return result


class FlowLogManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = aws_calls.connect(module, "ec2")
        self.result = dict(changed=False, flow_log={})

    def wait(self, name, flow_log_id):
        """Run the named waiter on one flow log; False when it gave up."""
        try:
            create_waiter_with_client(name, WaiterModel(WAITER_CONFIG), self.client).wait(Filters=by_id(flow_log_id))
        except botocore.exceptions.WaiterError as e:
            error = (e.last_response or {}).get("Error")
            if error:
                self.module.fail_json(
                    msg=f"Failed to describe flow log {flow_log_id}: {error.get('Code')}: {error.get('Message')}",
                    troubleshooting=explain(error.get("Code")),
                )
            return False
        return True

    def changing(self, before, after):
        """Record the change; True when the caller must stop here (check mode)."""
        self.result["changed"] = True
        if self.module._diff:
            self.result["diff"] = dict(before=before, after=after)
        return self.module.check_mode

    def find(self, want):
        """The one existing flow log with want's natural key, or None."""
        entries = aws_calls.describe_flow_logs(
            self.client, Filters=[{"Name": "resource-id", "Values": [want["resource_id"]]}]
        )
        matches = flow_logs.find(entries, want)
        if len(matches) > 1:
            ids = ", ".join(m["FlowLogId"] for m in matches)
            self.module.fail_json(
                msg=f"Several flow logs of {want['resource_id']} match the same destination and traffic type ({ids}). "
                "Fix: delete the extra ones with state: absent and flow_log_id, then run again.",
                flow_logs=[returned(m) for m in matches],
            )
        return matches[0] if matches else None

    def ensure_present(self):
        want = flow_logs.desired(self.params)
        entry = self.find(want)
        if entry is None:
            self.create(want, {}, flow_logs.tags_after({}, self.params["tags"] or {}, purge=True))
            return
        current = flow_logs.view(entry)
        changes = flow_logs.drift(current, want)
        if changes and not self.params["replace"]:
            self.module.fail_json(
                msg=flow_logs.format_drift(entry["FlowLogId"], changes), drift=changes, flow_log=returned(entry)
            )
        if changes:
            self.replace(current, want)
        else:
            self.update_tags(entry, current)

    def create(self, want, before, tags, salt=""):
        if self.changing(before, {**want, "tags": tags}):
            self.result["flow_log"] = {**want, "tags": tags}
            return
        request = flow_logs.create_request(want, tags)
        flow_log_id = self.create_once(request, salt)
        entry = self.wait_listed(flow_log_id)
        if entry is None:
            # The token was still mapped to an identical flow log deleted since: AWS answered with its ID.
            flow_log_id = self.create_once(request, salt + flow_log_id)
            entry = self.wait_listed(flow_log_id)
            if entry is None:
                self.module.fail_json(msg=f"Flow log {flow_log_id} was created but never showed up in DescribeFlowLogs")
        self.result["flow_log"] = returned(entry)

    def wait_listed(self, flow_log_id):
        """The new flow log as DescribeFlowLogs lists it, read at once and then as the FlowLogExists waiter would
        (its delay and attempts) while it is not listed yet; None when it never is. The read that ends the wait is
        the module's result (a waiter would need one more read)."""
        waiter = WAITER_CONFIG["waiters"]["FlowLogExists"]
        for attempt in range(waiter["maxAttempts"]):
            if attempt:
                time.sleep(waiter["delay"])
            entries = aws_calls.describe_flow_logs(self.client, Filters=by_id(flow_log_id))
            if entries:
                return entries[0]
        return None

    def create_once(self, request, salt):
        try:
            response = aws_calls.create_flow_logs(
                self.client, ClientToken=flow_logs.client_token(request, salt), **request
            )
        except AnsibleAWSError as error:
            if error_code(error.exception) != "FlowLogAlreadyExists":
                raise
            fail_aws(
                self.module,
                error.exception,
                f"Failed to create the flow log of {request['ResourceIds'][0]}. AWS has a flow log of this resource to "
                f"this destination that does not match traffic_type {request['TrafficType']}. Fix: list them with "
                f"`aws ec2 describe-flow-logs --filter Name=resource-id,Values={request['ResourceIds'][0]}`, "
                "then delete that one or use its traffic_type",
            )
        self.fail_on_unsuccessful("CreateFlowLogs", response)
        return response["FlowLogIds"][0]

    def replace(self, current, want):
        tags = flow_logs.tags_after(current["tags"], self.params["tags"], self.params["purge_tags"])
        tags = flow_logs.user_tags(tags)
        if not self.module.check_mode:
            self.delete(current["flow_log_id"])
            # AWS refuses the new flow log (FlowLogAlreadyExists) while it still lists the old one.
            if not self.wait("FlowLogDeleted", current["flow_log_id"]):
                self.module.fail_json(msg=f"Flow log {current['flow_log_id']} was deleted but is still listed")
        self.create(want, current, tags, salt=current["flow_log_id"])

    def update_tags(self, entry, current):
        self.result["flow_log"] = returned(entry)
        tags = flow_logs.tags_after(current["tags"], self.params["tags"], self.params["purge_tags"])
        if tags == current["tags"]:
            return
        if self.changing(current, {**current, "tags": tags}):
            self.result["flow_log"]["tags"] = tags
            return
        flow_log_id = current["flow_log_id"]
        # amazon.aws's own tag update (reads the tags, then removes and adds what differs; fails with the AWS error).
        ensure_ec2_tags(
            self.client, self.module, flow_log_id, tags=self.params["tags"], purge_tags=self.params["purge_tags"]
        )
        self.result["flow_log"] = self.read(flow_log_id)

    def read(self, flow_log_id):
        entries = aws_calls.describe_flow_logs(self.client, Filters=by_id(flow_log_id))
        return returned(entries[0])

    def ensure_absent(self):
        if self.params["flow_log_id"]:
            entries = aws_calls.describe_flow_logs(self.client, Filters=by_id(self.params["flow_log_id"]))
            entry = entries[0] if entries else None
        else:
            entry = self.find(flow_logs.desired(self.params))
        if entry is None or self.changing(flow_logs.view(entry), {}):
            return
        self.delete(entry["FlowLogId"])

    def delete(self, flow_log_id):
        response = aws_calls.delete_flow_logs(self.client, [flow_log_id])
        if response is False:
            return  # deleted by someone else since we read it: the goal is met
        self.fail_on_unsuccessful("DeleteFlowLogs", response, ignore_codes=[flow_logs.NOT_FOUND_CODE])

    def fail_on_unsuccessful(self, action, response, ignore_codes=()):
        failures = flow_logs.failed_entries(response.get("Unsuccessful"), ignore_codes)
        if failures:
            self.module.fail_json(
                msg=flow_logs.format_failures(action, failures),
                unsuccessful=failures,
                troubleshooting=explain(failures[0]["code"]),
            )


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        flow_log_id=dict(type="str"),
        resource_id=dict(type="str"),
        resource_type=dict(type="str", choices=list(flow_logs.RESOURCE_PREFIXES)),
        traffic_type=dict(type="str", choices=["ACCEPT", "REJECT", "ALL"], default="ALL"),
        log_destination_type=dict(type="str", choices=["s3", "cloud-watch-logs"], default="cloud-watch-logs"),
        log_destination=dict(type="str"),
        log_group_name=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str"),
        log_format=dict(type="str"),
        max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
        destination_options=dict(
            type="dict",
            options=dict(
                file_format=dict(type="str", choices=["plain-text", "parquet"], default="plain-text"),
                hive_compatible_partitions=dict(type="bool", default=False),
                per_hour_partition=dict(type="bool", default=False),
            ),
        ),
        replace=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ("resource_id",))],
        required_one_of=[("flow_log_id", "resource_id")],
        mutually_exclusive=[("flow_log_id", "resource_id")],
        supports_check_mode=True,
    )
    problems = flow_logs.validate(module.params)
    if problems:
        module.fail_json(msg=flow_logs.format_problems(problems), problems=problems)

    manager = FlowLogManager(module)
    with aws_failures(module):
        if module.params["state"] == "present":
            manager.ensure_present()
        else:
            manager.ensure_absent()
    module.exit_json(**manager.result)


if __name__ == "__main__":
    main()
