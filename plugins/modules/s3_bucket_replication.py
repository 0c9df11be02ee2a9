#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_bucket_replication
version_added: 0.1.0
short_description: Manage the replication configuration of an S3 bucket
description:
  - Puts, updates or deletes the replication configuration of an S3 bucket (C(PutBucketReplication),
    C(DeleteBucketReplication)), idempotently, and always returns the configuration in place.
  - The configuration is written in the V2 schema (rules with a priority and a C(Filter)). The desired and the current
    configuration are compared in that schema with defaults filled in, so an unchanged configuration is not rewritten.
  - With O(state=present) and no O(rules), the module only reads and returns the current configuration.
  - "Before any write, all of these are checked and every problem is reported at once, naming the option, the value
    and the fix: the source bucket exists and has versioning C(Enabled); each destination bucket exists and has
    versioning C(Enabled) (read in its own region, see O(destination_region); a destination the caller may not read,
    for example in another account, is only a warning); O(role) is an IAM role ARN; rule ids and priorities are unique;
    storage classes, account IDs and the Replication Time Control threshold are valid; delete marker replication is not
    combined with a tag filter; SSE-KMS replication has a replica KMS key."
  - AWS does not check that O(role) exists or may be assumed by S3 when the configuration is put; replication of
    objects then fails silently. Create the role with a trust policy for C(s3.amazonaws.com) first.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  bucket:
    description:
      - The name of the source bucket, whose replication configuration is managed.
    type: str
    required: true
    aliases: [name]
  state:
    description:
      - V(present) puts the configuration described by O(role) and O(rules) (or only reads it when O(rules) is omitted).
      - V(absent) deletes the whole replication configuration of the bucket; O(role) and O(rules) are then ignored.
    type: str
    choices: [present, absent]
    default: present
  role:
    description:
      - The ARN of the IAM role S3 assumes to replicate objects, for example
        V(arn:aws:iam::123456789012:role/s3-replication).
      - Required with O(rules).
    type: str
  rules:
    description:
      - The replication rules.
      - Omit to only read the current configuration.
      - Rules are matched to the current ones by O(rules[].id).
    type: list
    elements: dict
    suboptions:
      id:
        description:
          - The unique name of the rule, 1 to 255 characters.
        type: str
        required: true
      priority:
        description:
          - The priority of the rule, unique within the configuration. Where rules overlap for the same destination,
            the one with the highest number wins.
        type: int
        required: true
      status:
        description:
          - Whether the rule is applied.
        type: str
        choices: [Enabled, Disabled]
        default: Enabled
      prefix:
        description:
          - Replicate only the objects whose key starts with this prefix. A shorthand for O(rules[].filter.prefix),
            written as a V2 C(Filter).
          - Mutually exclusive with O(rules[].filter). Without either, the rule applies to the whole bucket.
        type: str
      filter:
        description:
          - Replicate only the objects matching a prefix and/or tags (all of them).
        type: dict
        suboptions:
          prefix:
            description:
              - The key prefix objects must start with.
            type: str
          tags:
            description:
              - Tags objects must all carry, as a dictionary.
            type: dict
      destination:
        description:
          - Where and how objects are replicated.
        type: dict
        required: true
        suboptions:
          bucket:
            description:
              - The destination bucket, as a name or as an ARN (V(arn:aws:s3:::name)). It must exist and have
                versioning enabled.
            type: str
            required: true
          storage_class:
            description:
              - The storage class of the replicas. When omitted, replicas keep the storage class of the source object.
              - One of V(STANDARD), V(REDUCED_REDUNDANCY), V(STANDARD_IA), V(ONEZONE_IA), V(INTELLIGENT_TIERING),
                V(GLACIER), V(GLACIER_IR), V(DEEP_ARCHIVE).
            type: str
          account:
            description:
              - The 12-digit ID of the account owning the destination bucket, for cross-account replication.
            type: str
          owner_override:
            description:
              - Whether the replicas are owned by O(rules[].destination.account) rather than by the source bucket's
                owner (C(AccessControlTranslation)). Requires O(rules[].destination.account).
            type: bool
            default: false
          replication_time:
            description:
              - Turns on S3 Replication Time Control with this threshold in minutes (only V(15) exists), together with
                replication metrics for the same threshold, as AWS requires.
            type: int
          encryption_kms_key_id:
            description:
              - The KMS key (ARN recommended) S3 encrypts the replicas with. Required with
                O(rules[].source_selection_criteria.sse_kms=true).
            type: str
      delete_marker_replication:
        description:
          - Whether delete markers are replicated. Not possible on rules that filter by tags.
        type: bool
        default: false
      source_selection_criteria:
        description:
          - Which objects beyond the default ones are replicated.
        type: dict
        suboptions:
          sse_kms:
            description:
              - Whether objects encrypted with SSE-KMS are replicated too.
            type: bool
            default: false
          replica_modifications:
            description:
              - Whether metadata changes made on replicas are replicated back (for two-way replication).
            type: bool
            default: false
  purge_rules:
    description:
      - Whether current rules not listed in O(rules) are removed.
      - With V(false) they are kept unchanged (their priorities must still be unique).
    type: bool
    default: true
  destination_region:
    description:
      - The region of the destination buckets, used to read them before the configuration is put.
      - When omitted, each destination's region is read with C(GetBucketLocation).
    type: str
  versioned_buckets:
    description:
      - Buckets (the source, destinations) that the caller has already read or set with versioning C(Enabled) in the
        same run, for example from the results of nova.infra.s3_bucket or nova.infra.s3_bucket_drift. Their existence
        and versioning are not read again (one C(GetBucketVersioning) fewer each); the other buckets are read.
      - Name a bucket here only on such a read. If its versioning is in fact not enabled, the problem is not reported
        before any write but by C(PutBucketReplication), which then fails (C(InvalidRequest)) and writes nothing.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
notes:
  - Supports check mode and diff mode. In check mode nothing is written and RV(replication_configuration) is the
    configuration that would be put.
  - Existing object replication (C(ExistingObjectReplication)) is only enabled by AWS support. It is not an option; a
    listed rule keeps the setting its current namesake has.
  - Settings this module does not manage (for example a C(Not) filter, metrics without Replication Time Control) are
    removed from listed rules when they are rewritten.
  - "IAM permissions: C(s3:GetReplicationConfiguration), C(s3:PutReplicationConfiguration),
    C(s3:GetBucketVersioning) on the source bucket; C(s3:GetBucketLocation) and C(s3:GetBucketVersioning) on the
    destination buckets; C(iam:PassRole) on O(role)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Replicate the whole bucket to a versioned bucket in another region
  nova.infra.s3_bucket_replication:
    region: us-west-2
    bucket: nova-prod-artifacts
    role: arn:aws:iam::123456789012:role/nova-s3-replication
    rules:
      - id: all-to-dr
        priority: 1
        destination:
          bucket: nova-prod-artifacts-dr

- name: Replicate logs with Replication Time Control and SSE-KMS objects to another account
  nova.infra.s3_bucket_replication:
    region: us-west-2
    bucket: nova-prod-logs
    role: arn:aws:iam::123456789012:role/nova-s3-replication
    destination_region: us-east-1
    rules:
      - id: logs-to-archive
        priority: 10
        prefix: logs/
        delete_marker_replication: true
        source_selection_criteria:
          sse_kms: true
        destination:
          bucket: arn:aws:s3:::nova-archive-logs
          account: "210987654321"
          owner_override: true
          storage_class: STANDARD_IA
          replication_time: 15
          encryption_kms_key_id: arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab
      - id: tagged-audit
        priority: 20
        filter:
          prefix: audit/
          tags:
            Retention: long
        destination:
          bucket: nova-archive-logs
          storage_class: GLACIER_IR

- name: Add a rule and keep the rules other plays manage
  nova.infra.s3_bucket_replication:
    region: us-west-2
    bucket: nova-prod-artifacts
    role: arn:aws:iam::123456789012:role/nova-s3-replication
    purge_rules: false
    rules:
      - id: releases-to-eu
        priority: 5
        prefix: releases/
        destination:
          bucket: nova-prod-artifacts-eu

- name: Read the replication configuration
  nova.infra.s3_bucket_replication:
    region: us-west-2
    bucket: nova-prod-artifacts
  register: replication

- name: Remove the replication configuration
  nova.infra.s3_bucket_replication:
    region: us-west-2
    bucket: nova-prod-artifacts
    state: absent
"""

RETURN = r"""
replication_configuration:
  description:
    - The replication configuration of the bucket, as C(GetBucketReplication) returns it, with only the top-level keys
      in snake case; rules keep the AWS key names.
    - After a change (or in check mode, the change that would be made) the configuration put, in the form AWS returns
      it. An empty dictionary when the bucket has no replication configuration.
  type: dict
  returned: always
  contains:
    role:
      description: The ARN of the IAM role S3 assumes.
      type: str
      sample: arn:aws:iam::123456789012:role/nova-s3-replication
    rules:
      description:
        - The rules, with the AWS keys C(ID), C(Priority), C(Status), C(Filter), C(DeleteMarkerReplication),
          C(Destination) and, when set, C(SourceSelectionCriteria) and C(ExistingObjectReplication).
      type: list
      elements: dict
  sample:
    role: arn:aws:iam::123456789012:role/nova-s3-replication
    rules:
      - ID: all-to-dr
        Priority: 1
        Status: Enabled
        Filter: {Prefix: ""}
        DeleteMarkerReplication: {Status: Disabled}
        Destination: {Bucket: "arn:aws:s3:::nova-prod-artifacts-dr", StorageClass: STANDARD_IA}
diff:
  description: The configuration before and after, in the same form as RV(replication_configuration).
  type: dict
  returned: in diff mode (--diff), when the configuration changed or would change
  contains:
    before:
      description: The configuration before, V({}) when there was none.
      type: dict
    after:
      description: The configuration after, V({}) when it is deleted.
      type: dict
problems:
  description: One record per problem found in the options or the buckets; the module fails when there is any.
  type: list
  elements: dict
  returned: failure
  contains:
    field:
      description: The option, with the list index for rules, e.g. C(rules[1].destination.storage_class).
      type: str
    value:
      description: The bad value.
      type: raw
    problem:
      description: What is wrong.
      type: str
    fix:
      description: How to fix it.
      type: str
  sample:
    - field: rules[0].destination.storage_class
      value: standard_ia
      problem: is not a storage class S3 replication can write to
      fix: did you mean STANDARD_IA? use one of STANDARD, ...
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import s3_replication
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import error_code

# A bucket in another account (or locked by policy) cannot be read; that is no reason to refuse the rule.
UNREADABLE = ("AccessDenied", "AllAccessDisabled", "Forbidden", "403")

RULE_OPTIONS = dict(
    id=dict(type="str", required=True),
    priority=dict(type="int", required=True),
    status=dict(type="str", choices=["Enabled", "Disabled"], default="Enabled"),
    prefix=dict(type="str"),
    filter=dict(type="dict", options=dict(prefix=dict(type="str"), tags=dict(type="dict"))),
    destination=dict(
        type="dict",
        required=True,
        options=dict(
            bucket=dict(type="str", required=True),
            storage_class=dict(type="str"),
            account=dict(type="str"),
            owner_override=dict(type="bool", default=False),
            replication_time=dict(type="int"),
            encryption_kms_key_id=dict(type="str"),
        ),
    ),
    delete_marker_replication=dict(type="bool", default=False),
    source_selection_criteria=dict(
        type="dict",
        options=dict(
            sse_kms=dict(type="bool", default=False),
            replica_modifications=dict(type="bool", default=False),
        ),
    ),
)


class ReplicationManager:
    def __init__(self, module):
        self.module = module
        self.bucket = module.params["bucket"]
        self.client = aws_calls.connect(module, "s3")
        self.raw = None
        self.current = {}

    def unreadable(self, error, what):
        """None, with a warning, when AWS refuses to let the caller read a bucket; else the error is raised on."""
        if error_code(error.exception) not in UNREADABLE:
            raise error
        self.module.warn(what)
        return None

    def read(self):
        """Load the current configuration (None when the bucket has none or does not exist)."""
        self.raw = aws_calls.get_bucket_replication(self.client, self.bucket)
        self.current = s3_replication.normalize_configuration(self.raw)

    def versioning(self, client, name):
        """The bucket's versioning status for bucket_problems(): "missing", the status, or None if unreadable;
        "Enabled" without a read for a bucket the caller has read or set so (versioned_buckets)."""
        if name in self.module.params["versioned_buckets"]:
            return "Enabled"
        try:
            answer = aws_calls.get_bucket_versioning(client, name)
        except AnsibleAWSError as error:
            return self.unreadable(
                error, f"Cannot read bucket {name} (access denied): its existence and versioning are not checked"
            )
        return "missing" if answer is None else answer.get("Status", "")

    def destination_state(self, name):
        region = self.module.params["destination_region"]
        if name in self.module.params["versioned_buckets"]:
            return "Enabled"  # as the caller read or set it in this run: neither its region nor its versioning is read
        if not region:
            try:
                answer = aws_calls.get_bucket_location(self.client, name)
            except AnsibleAWSError as error:
                return self.unreadable(error, f"Cannot read the region of destination bucket {name} (access denied): not checked")
            if answer is None:
                return "missing"
            region = s3_replication.location_region(answer.get("LocationConstraint"))
        return self.versioning(aws_calls.connect(self.module, "s3", region=region), name)

    def exit(self, config, changed=False):
        result = dict(changed=changed, replication_configuration=s3_replication.to_result(config))
        if changed and self.module._diff:
            result["diff"] = dict(
                before=s3_replication.to_result(self.current), after=s3_replication.to_result(config)
            )
        self.module.exit_json(**result)

    def ensure_present(self):
        params = self.module.params
        rules = params["rules"]
        # Versioning first: it also says whether the bucket exists, which the replication read does not.
        state = self.versioning(self.client, self.bucket)
        if state != "missing":
            self.read()
            if rules is None:
                self.exit(self.raw or {})
        problems = s3_replication.bucket_problems("bucket", self.bucket, state, "source")
        if rules is None:
            self.module.fail_json(msg=s3_replication.format_problems(problems), problems=problems)
        problems += s3_replication.validate(self.bucket, params["role"], rules)
        for field, name in s3_replication.destination_buckets(rules):
            problems += s3_replication.bucket_problems(field, name, self.destination_state(name), "destination")
        desired, plan_problems = s3_replication.plan(params["role"], rules, self.current, params["purge_rules"])
        problems += plan_problems
        if problems:
            self.module.fail_json(
                msg=s3_replication.format_problems(problems),
                problems=problems,
                replication_configuration=s3_replication.to_result(self.raw or {}),
            )
        if desired == self.current:
            self.exit(self.raw)
        if not self.module.check_mode:
            aws_calls.put_bucket_replication(self.client, self.bucket, desired)
        self.exit(desired, changed=True)

    def ensure_absent(self):
        self.read()
        if not self.raw:
            self.exit({})
        if not self.module.check_mode:
            aws_calls.delete_bucket_replication(self.client, self.bucket)
        self.exit({}, changed=True)


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True, aliases=["name"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        role=dict(type="str"),
        rules=dict(type="list", elements="dict", options=RULE_OPTIONS),
        purge_rules=dict(type="bool", default=True),
        destination_region=dict(type="str"),
        versioned_buckets=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec, required_together=[("role", "rules")], supports_check_mode=True
    )
    problems = s3_replication.option_problems(
        module.params["bucket"], module.params["destination_region"], module.params["versioned_buckets"]
    )
    if problems:
        module.fail_json(msg=s3_replication.format_problems(problems), problems=problems)
    manager = ReplicationManager(module)
    with aws_failures(module):
        if module.params["state"] == "absent":
            manager.ensure_absent()
        manager.ensure_present()


if __name__ == "__main__":
    main()
