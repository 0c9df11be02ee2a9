#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_bucket_drift
version_added: 0.2.0
short_description: Say whether amazon.aws.s3_bucket would change a bucket, in six reads
description:
  - Reads six settings of one S3 bucket (versioning, default encryption, Block Public Access, object ownership,
    policy, tags) and compares them with the options given, which are amazon.aws.s3_bucket's, by that module's own
    rules. Returns each difference as a drift record (resource, ID, setting, desired and actual value).
  - None means that amazon.aws.s3_bucket with the same options would change nothing; the storage role then skips it
    (s3_bucket reads fourteen settings of every bucket on every run).
  - An option left out is not compared, as with s3_bucket. A bucket that does not exist is drift.
  - It never changes anything.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  name:
    description:
      - Name of the bucket (3 to 63 lowercase letters, digits, dots and hyphens), in the module's O(region).
    type: str
    required: true
  versioning:
    description: Versioning should be enabled (V(true)) or not enabled (V(false)).
    type: bool
  encryption:
    description: Default encryption algorithm (V(AES256), V(aws:kms), V(aws:kms:dsse)), or V(none) for none.
    type: str
  encryption_key_id:
    description: KMS key of V(aws:kms) encryption.
    type: str
  public_access:
    description: The four Block Public Access flags; a flag left out is V(false), as with s3_bucket.
    type: dict
    suboptions:
      block_public_acls:
        description: Block public ACLs.
        type: bool
        default: false
      ignore_public_acls:
        description: Ignore public ACLs.
        type: bool
        default: false
      block_public_policy:
        description: Block public bucket policies.
        type: bool
        default: false
      restrict_public_buckets:
        description: Restrict access to buckets with public policies.
        type: bool
        default: false
  object_ownership:
    description: Object ownership setting.
    type: str
    choices: [BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter]
  policy:
    description: The bucket policy (a JSON document); an empty one means no policy.
    type: json
  tags:
    description: The bucket's tags.
    type: dict
  purge_tags:
    description: Tags not in O(tags) count as drift.
    type: bool
    default: true
notes:
  - Supports check mode; it only reads, so it does the same in check mode.
  - "IAM permissions: C(s3:GetBucketVersioning), C(s3:GetEncryptionConfiguration), C(s3:GetBucketPublicAccessBlock),
    C(s3:GetBucketOwnershipControls), C(s3:GetBucketPolicy), C(s3:GetBucketTagging)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.
- name: Compare a bucket with its settings
  nova.infra.s3_bucket_drift:
    name: nova-production-backup-123456789012-us-west-2
    versioning: true
    encryption: AES256
    public_access:
      block_public_acls: true
      ignore_public_acls: true
      block_public_policy: true
      restrict_public_buckets: true
    object_ownership: BucketOwnerEnforced
    tags: {Project: nova}
  register: backup_bucket

- name: Apply the settings only where they differ
  amazon.aws.s3_bucket:
    name: nova-production-backup-123456789012-us-west-2
    versioning: true
    encryption: AES256
    object_ownership: BucketOwnerEnforced
    tags: {Project: nova}
  when: not backup_bucket.in_sync
"""

RETURN = r"""
in_sync:
  description: Whether amazon.aws.s3_bucket with the same options would change nothing.
  type: bool
  returned: always
  sample: true
drift:
  description: One record per setting that differs; empty when RV(in_sync).
  type: list
  elements: dict
  returned: always
  contains:
    resource:
      description: V(bucket <name>).
      type: str
    id:
      description: The bucket's name.
      type: str
    setting:
      description: V(exists), V(versioning), V(encryption), V(public_access), V(object_ownership), V(policy) or V(tags).
      type: str
    desired:
      description: What the options say.
      type: raw
    actual:
      description: What S3 has.
      type: raw
summary:
  description: One line per drift record.
  type: list
  elements: str
  returned: always
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import bucket_drift
from ansible_collections.nova.infra.plugins.module_utils import drift
from ansible_collections.nova.infra.plugins.module_utils.problems import format_problem
from ansible_collections.nova.infra.plugins.module_utils.s3_replication import bucket_name_problems
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures


class BucketReader:
    def __init__(self, module):
        self.s3 = aws_calls.connect(module, "s3")

    def read(self, name):
        versioning = aws_calls.get_bucket_versioning(self.s3, name)
        if versioning is None:
            return {"exists": False}
        encryption = aws_calls.get_bucket_encryption(self.s3, name)
        rules = (encryption or {}).get("Rules", [])
        ownership = aws_calls.get_bucket_ownership_controls(self.s3, name)
        ownership_rules = (ownership or {}).get("Rules", [])
        policy = aws_calls.get_bucket_policy(self.s3, name)
        return {
            "exists": True,
            "versioning": versioning.get("Status"),
            "encryption": rules[0].get("ApplyServerSideEncryptionByDefault") if rules else None,
            "public_access": aws_calls.get_public_access_block(self.s3, name),
            "object_ownership": ownership_rules[0].get("ObjectOwnership") if ownership_rules else None,
            "policy": json.loads(policy) if policy else None,
            "tags": boto3_tag_list_to_ansible_dict(aws_calls.get_bucket_tagging(self.s3, name) or []),
        }


def main():
    flag = dict(type="bool", default=False)
    argument_spec = dict(
        name=dict(type="str", required=True),
        versioning=dict(type="bool"),
        encryption=dict(type="str"),
        encryption_key_id=dict(type="str"),
        public_access=dict(
            type="dict",
            options=dict(
                block_public_acls=flag, ignore_public_acls=flag, block_public_policy=flag, restrict_public_buckets=flag
            ),
        ),
        object_ownership=dict(type="str", choices=["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]),
        policy=dict(type="json"),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    wanted = dict(module.params)
    problems = [format_problem(record) for record in bucket_name_problems("name", wanted["name"])]
    if wanted["encryption"] not in (None, "none", "AES256", "aws:kms", "aws:kms:dsse"):
        problems.append(
            f"encryption: {wanted['encryption']!r} is not AES256, aws:kms, aws:kms:dsse or none. Fix: use one of them"
        )
    if wanted["encryption_key_id"] is not None and wanted["encryption"] not in ("aws:kms", "aws:kms:dsse"):
        problems.append(
            "encryption_key_id: a KMS key goes with encryption aws:kms or aws:kms:dsse, not "
            f"{wanted['encryption']!r}. Fix: set encryption to aws:kms, or leave the key out"
        )
    if wanted["policy"] is not None:
        try:
            wanted["policy"] = json.loads(wanted["policy"]) if wanted["policy"].strip() else {}
        except ValueError as e:
            problems.append(f"policy: not a JSON document ({e}). Fix: give the policy as JSON")
    if problems:
        module.fail_json(msg=drift.refusal(problems))
    with aws_failures(module, f"Failed to read bucket {wanted['name']}"):
        found = BucketReader(module).read(wanted["name"])
    records = bucket_drift.compare(found, wanted, compare_policies)
    module.exit_json(**drift.report(records))


if __name__ == "__main__":
    main()
