# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova.infra.s3_sync paths the sandbox cannot produce: an unreachable source region, and objects failing
for good. The full sync is tested against the sandbox in tests/integration/test_s3_sync.py."""


import boto3
import botocore
import pytest
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.nova.infra.plugins.modules import s3_sync

SOURCE, DEST = "nova-production-backup-123456789012-us-west-2", "nova-production-backup-123456789012-us-east-1"


@pytest.fixture
def run_module(run_module):
    """main() with args in-process (tests/conftest.py): the result it prints."""

    def run(**args):
        module_args = dict(source_bucket=SOURCE, source_region="us-west-2", dest_bucket=DEST, dest_region="us-east-1")
        module_args.update(args)
        return run_module(s3_sync, module_args)

    return run


@pytest.fixture
def buckets(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    with mock_aws():
        src = boto3.client("s3", region_name="us-west-2")
        dst = boto3.client("s3", region_name="us-east-1")
        src.create_bucket(Bucket=SOURCE, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        dst.create_bucket(Bucket=DEST)
        yield src, dst


def keys(client, bucket):
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


@pytest.mark.parametrize(
    "args,option",
    [
        ({"workers": 0}, "workers"),
        ({"part_size": 1024}, "part_size"),
        ({"multipart_threshold": 6 * 1024**3}, "multipart_threshold"),
        ({"dest_bucket": SOURCE, "dest_prefix": ""}, "dest_prefix"),
    ],
)
def test_bad_input_fails_before_any_write(buckets, run_module, args, option):
    src, dst = buckets
    src.put_object(Bucket=SOURCE, Key="a", Body=b"a")
    result = run_module(**args)
    assert result["failed"] is True
    assert result["problems"][0]["field"] == option
    assert f"(1) {option}: " in result["msg"] and "Fix:" in result["msg"]
    assert keys(dst, DEST) == [] and keys(src, SOURCE) == ["a"]


def unreachable_source(monkeypatch):
    real = s3_sync.S3Sync.list_objects

    def list_objects(self, client, bucket, prefix):
        if bucket == SOURCE:
            # What the call layer (module_utils/aws_calls.py) raises for botocore's error.
            cause = botocore.exceptions.EndpointConnectionError(endpoint_url="https://s3.us-west-2.amazonaws.com/")
            raise AnsibleAWSError(message=f"Failed to list the objects of bucket {bucket}", exception=cause)
        return real(self, client, bucket, prefix)

    monkeypatch.setattr(s3_sync.S3Sync, "list_objects", list_objects)


def test_unreachable_source_is_reported_with_allow_missing_source(buckets, run_module, monkeypatch):
    _unused, dst = buckets
    dst.put_object(Bucket=DEST, Key="db/1.dump", Body=b"12345")
    unreachable_source(monkeypatch)

    result = run_module(allow_missing_source=True)
    assert result["changed"] is False and result["source_unavailable"] is True
    assert 0 <= result["rpo_seconds"] < 60 and "as fresh as the last replication" in result["rpo_explanation"]
    assert result["newest_dest_object"]["key"] == "db/1.dump"
    assert result["verification"] == {"objects_dest": 1, "bytes_dest": 5, "ok": True}
    assert keys(dst, DEST) == ["db/1.dump"]


def test_unreachable_source_fails_without_allow_missing_source(buckets, run_module, monkeypatch):
    unreachable_source(monkeypatch)
    result = run_module()
    assert result["failed"] is True
    assert result["troubleshooting"]["code"] == "EndpointConnectionError"


def test_unreachable_source_and_empty_destination_fails(buckets, run_module, monkeypatch):
    unreachable_source(monkeypatch)
    result = run_module(allow_missing_source=True)
    assert result["failed"] is True and "nothing to recover from" in result["msg"]


def test_objects_failing_for_good_are_reported_by_key_after_the_others_are_copied(buckets, run_module, monkeypatch):
    src, dst = buckets
    for key in ("a", "bad", "c"):
        src.put_object(Bucket=SOURCE, Key=key, Body=key.encode())
    real = s3_sync.S3Sync.copy_single

    def copy_single(self, obj):
        if obj["key"] == "bad":
            cause = botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "CopyObject"
            )
            raise AnsibleAWSError(message="Failed to copy an object to s3://bucket/bad", exception=cause)
        return real(self, obj)

    monkeypatch.setattr(s3_sync.S3Sync, "copy_single", copy_single)
    result = run_module()
    assert result["failed"] is True and "failed_objects" in result["msg"]
    assert result["failed_objects"] == [
        {"key": "bad", "code": "AccessDenied", "message": "An error occurred (AccessDenied) when calling the "
         "CopyObject operation: Access Denied"}
    ]
    assert result["copied"] == 2 and keys(dst, DEST) == ["a", "c"]


def test_source_declared_unavailable_is_not_contacted(buckets, run_module, monkeypatch):
    src, dst = buckets
    src.put_object(Bucket=SOURCE, Key="newer", Body=b"x")
    dst.put_object(Bucket=DEST, Key="db/1.dump", Body=b"12345")
    calls = []
    real = s3_sync.S3Sync.list_objects

    def list_objects(self, client, bucket, prefix):
        calls.append(bucket)
        return real(self, client, bucket, prefix)

    monkeypatch.setattr(s3_sync.S3Sync, "list_objects", list_objects)
    result = run_module(source_available=False)
    assert calls == [DEST]
    assert (result["changed"], result["copied"], result["source_unavailable"]) == (False, 0, True)
    assert result["newest_dest_object"]["key"] == "db/1.dump" and result["rpo_seconds"] >= 0
    assert keys(dst, DEST) == ["db/1.dump"]
