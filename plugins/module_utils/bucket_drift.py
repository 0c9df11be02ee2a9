# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bucket's settings as amazon.aws.s3_bucket manages them, against the ones wanted.

The s3_bucket_drift module reads six settings of one bucket (versioning, default encryption, Block Public Access,
object ownership, policy, tags) and ``compare`` lists each one that s3_bucket would change, by s3_bucket's own rules:
a setting not wanted (None) is not compared; Block Public Access must equal the four flags; the policy is compared
with amazon.aws's compare_policies; tags exactly when purge_tags; KMS encryption also by its key.
"""

from __future__ import annotations

from typing import Any
from typing import Callable

from ansible_collections.nova.infra.plugins.module_utils import drift

PUBLIC_ACCESS_FLAGS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}


def compare(found: dict[str, Any], wanted: dict[str, Any], policies_differ: Callable[[Any, Any], bool]) -> list:
    """Drift records ``{resource, id, setting, desired, actual}`` for one bucket; empty when s3_bucket would change
    nothing. ``found``: ``exists`` and the settings as S3 returns them (None where not configured)."""
    name = wanted["name"]
    records = []

    def add(setting, desired, actual):
        records.append(drift.record(f"bucket {name}", name, setting, desired, actual))

    if not found.get("exists"):
        add("exists", True, False)
        return records
    if wanted.get("versioning") is not None:
        status = found.get("versioning")
        if wanted["versioning"] and status != "Enabled":
            add("versioning", "Enabled", status)
        if not wanted["versioning"] and status == "Enabled":
            add("versioning", "Suspended", status)
    if wanted.get("encryption") is not None:
        current = found.get("encryption") or {}
        algorithm = current.get("SSEAlgorithm")
        if wanted["encryption"] == "none":
            if algorithm is not None:
                add("encryption", None, algorithm)
        elif algorithm != wanted["encryption"] or (
            algorithm == "aws:kms" and current.get("KMSMasterKeyID") != wanted.get("encryption_key_id")
        ):
            add("encryption", wanted["encryption"], algorithm)
    if wanted.get("public_access") is not None:
        desired = {PUBLIC_ACCESS_FLAGS[k]: bool(v) for k, v in wanted["public_access"].items()}
        desired = {flag: desired.get(flag, False) for flag in PUBLIC_ACCESS_FLAGS.values()}
        if found.get("public_access") != desired:
            add("public_access", desired, found.get("public_access"))
    if wanted.get("object_ownership") is not None and found.get("object_ownership") != wanted["object_ownership"]:
        add("object_ownership", wanted["object_ownership"], found.get("object_ownership"))
    policy = wanted.get("policy")
    if policy is not None:
        current = found.get("policy")
        if not policy:
            if current:
                add("policy", None, current)
        elif policies_differ(current, policy):
            add("policy", policy, current)
    if wanted.get("tags") is not None:
        current = dict(found.get("tags") or {})
        desired = {str(k): str(v) for k, v in wanted["tags"].items()}
        expected = desired if wanted.get("purge_tags", True) else dict(current, **desired)
        if current != expected:
            add("tags", expected, current)
    return records
