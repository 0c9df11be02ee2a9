"""nova.infra.s3_bucket (amazon.aws 10.1.2's s3_bucket without the reads of a bucket it has just created,
docs/upstream-patches.md) against amazon.aws.s3_bucket itself, on twin buckets in the sandbox: the same result, the
same bucket afterwards, the same idempotent rerun, and 13 requests fewer per new bucket (11 reads, the bucket_exists
waiter's HeadBucket, and the ownership write that CreateBucket carries)."""

from __future__ import annotations

import json

import pytest

from helpers import aws
from helpers import run_tasks_counted
from helpers import sandbox_play

pytestmark = pytest.mark.integration

# The options the storage role passes, with the policy naming its own bucket.
TASKS = """    - name: The bucket
      {module}:
        name: {bucket}
        versioning: true
        encryption: AES256
        public_access:
          block_public_acls: true
          ignore_public_acls: true
          block_public_policy: true
          restrict_public_buckets: true
        object_ownership: BucketOwnerEnforced
        policy: {policy}
        tags:
          Project: nova
          Name: {bucket}
      register: bucket
    - name: Its result
      ansible.builtin.debug:
        var: bucket
"""


def _policy(bucket: str) -> str:
    return json.dumps(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))


TWINS = (("amazon.aws.s3_bucket", "nova-copy-test-upstream"), ("nova.infra.s3_bucket", "nova-copy-test-copy"))


def _apply(port: int, tmp_path) -> list[tuple[dict, dict]]:
    """Runs upstream's module on its bucket, then the copy on its own, in one ansible-playbook run: for each, its
    result (bucket name masked) and the sandbox's request counts."""
    steps = [("The bucket", TASKS.format(module=module, bucket=bucket, policy=_policy(bucket))) for module, bucket in TWINS]
    counted = run_tasks_counted(port, tmp_path, sandbox_play("Twin buckets"), steps)
    return [(_without_response_metadata(json.loads(json.dumps(result).replace(bucket, "BUCKET"))), requests)
            for (_module, bucket), (result, requests) in zip(TWINS, counted, strict=True)]


def _without_response_metadata(value):
    """Both modules pass GetBucketVersioning's response_metadata (request id, date) through in `versioning`."""
    if isinstance(value, dict):
        return {key: _without_response_metadata(item) for key, item in value.items() if key != "response_metadata"}
    return value


def _bucket_state(s3, bucket: str) -> dict:
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    return json.loads(json.dumps({
        "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
        "encryption": s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"],
        "public_access": s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
        "ownership": s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"],
        "policy": policy,
        "tags": sorted((tag["Key"], tag["Value"]) for tag in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]),
        "acl": s3.get_bucket_acl(Bucket=bucket)["Grants"],
        "request_payment": s3.get_bucket_request_payment(Bucket=bucket).get("Payer"),
    }).replace(bucket, "BUCKET"))


def test_the_copy_builds_and_reports_a_new_bucket_as_upstream_does_with_twelve_reads_and_a_write_fewer(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    s3 = aws(port, "s3")
    (upstream, upstream_requests), (copy, copy_requests) = _apply(port, tmp_path)

    assert copy["changed"] is True and upstream["changed"] is True
    assert copy == upstream
    assert _bucket_state(s3, "nova-copy-test-copy") == _bucket_state(s3, "nova-copy-test-upstream")

    # The same writes but PutBucketOwnershipControls, whose setting the copy's CreateBucket carries; the reads the copy
    # leaves out are the ten of a bucket it has just created, the versioning read after the wait that read it, and the
    # HeadBucket of the bucket_exists waiter after CreateBucket (every later call retries NoSuchBucket instead).
    def writes(requests: dict) -> dict:
        return {action: n for action, n in requests.items() if ":Put" in action or ":Create" in action}

    assert writes(copy_requests) == {
        action: n for action, n in writes(upstream_requests).items() if action != "s3:PutBucketOwnershipControls"}
    assert upstream_requests["s3:PutBucketOwnershipControls"] == 1
    assert upstream_requests["s3:HeadBucket"] - copy_requests["s3:HeadBucket"] == 1, (upstream_requests, copy_requests)
    assert sum(upstream_requests.values()) - sum(copy_requests.values()) == 13, (upstream_requests, copy_requests)

    # An existing bucket is read as upstream reads it: the rerun changes nothing and reports the same.
    (upstream_again, upstream_again_requests), (copy_again, copy_again_requests) = _apply(port, tmp_path)
    assert copy_again["changed"] is False and upstream_again["changed"] is False
    assert copy_again == upstream_again == {**upstream, "changed": False}
    assert copy_again_requests == upstream_again_requests
