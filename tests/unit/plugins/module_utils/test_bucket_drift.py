# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bucket_drift.compare: a bucket as s3_bucket left it is in sync; each setting s3_bucket would change is drift."""

import copy

import pytest

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.nova.infra.plugins.module_utils import bucket_drift

NAME = "nova-production-backup-123456789012-us-west-2"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{NAME}", f"arn:aws:s3:::{NAME}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
FLAGS = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
WANTED = {
    "name": NAME,
    "versioning": True,
    "encryption": "AES256",
    "encryption_key_id": None,
    "public_access": {
        "block_public_acls": True,
        "ignore_public_acls": True,
        "block_public_policy": True,
        "restrict_public_buckets": True,
    },
    "object_ownership": "BucketOwnerEnforced",
    "policy": POLICY,
    "tags": {"Project": "nova", "Name": NAME},
    "purge_tags": True,
}


def found():
    return {
        "exists": True,
        "versioning": "Enabled",
        "encryption": {"SSEAlgorithm": "AES256"},
        "public_access": dict(FLAGS),
        "object_ownership": "BucketOwnerEnforced",
        # S3 returns the policy as stored: same statements, keys in another order.
        "policy": {"Statement": list(reversed([dict(reversed(list(POLICY["Statement"][0].items())))])),
                   "Version": "2012-10-17"},
        "tags": {"Name": NAME, "Project": "nova"},
    }


def compare(current, wanted=None):
    return bucket_drift.compare(current, wanted or WANTED, compare_policies)


def test_a_bucket_as_s3_bucket_left_it_is_in_sync():
    assert compare(found()) == []


def test_a_missing_bucket_is_drift():
    assert [(r["setting"], r["actual"]) for r in compare({"exists": False})] == [("exists", False)]


CHANGES = {
    "versioning suspended": ("versioning", lambda f: f.update(versioning="Suspended")),
    "versioning never enabled": ("versioning", lambda f: f.update(versioning=None)),
    "encryption removed": ("encryption", lambda f: f.update(encryption=None)),
    "encryption to KMS": ("encryption", lambda f: f.update(encryption={"SSEAlgorithm": "aws:kms"})),
    "a public access flag off": ("public_access", lambda f: f["public_access"].update(BlockPublicPolicy=False)),
    "public access block deleted": ("public_access", lambda f: f.update(public_access=None)),
    "ownership to ObjectWriter": ("object_ownership", lambda f: f.update(object_ownership="ObjectWriter")),
    "policy deleted": ("policy", lambda f: f.update(policy=None)),
    "policy statement added": (
        "policy",
        lambda f: f["policy"]["Statement"].append({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}),
    ),
    "tag changed": ("tags", lambda f: f["tags"].update(Project="other")),
    "tag added": ("tags", lambda f: f["tags"].update(Owner="me")),
    "tags deleted": ("tags", lambda f: f.update(tags={})),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_change_s3_bucket_would_undo_is_drift(change):
    setting, mutate = CHANGES[change]
    current = copy.deepcopy(found())
    mutate(current)
    assert [r["setting"] for r in compare(current)] == [setting]


def test_settings_not_wanted_are_not_compared():
    current = dict(found(), versioning="Suspended", policy=None, tags={"Other": "x"})
    wanted = dict(WANTED, versioning=None, policy=None, tags=None)
    assert compare(current, wanted) == []


def test_tags_without_purge_only_need_the_wanted_ones():
    current = found()
    current["tags"]["Owner"] = "me"
    assert compare(current, dict(WANTED, purge_tags=False)) == []


def test_kms_encryption_compares_the_key_too():
    wanted = dict(WANTED, encryption="aws:kms", encryption_key_id="arn:aws:kms:us-west-2:123456789012:key/a")
    current = dict(found(), encryption={"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:us-west-2:123456789012:key/b"})
    assert [r["setting"] for r in compare(current, wanted)] == ["encryption"]
