# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova.infra.s3_sync paths the sandbox cannot produce: an unreachable source region, objects failing for good, and
listings of many pages (a page of a few objects here). The full sync is tested against the sandbox in
tests/integration/test_s3_sync.py."""


import concurrent.futures

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
    real = s3_sync.S3Sync.pages

    def pages(self, client, bucket, prefix, start_after=None):
        if bucket == SOURCE:
            # What the call layer (module_utils/aws_calls.py) raises for botocore's error.
            cause = botocore.exceptions.EndpointConnectionError(endpoint_url="https://s3.us-west-2.amazonaws.com/")
            raise AnsibleAWSError(message=f"Failed to list the objects of bucket {bucket}", exception=cause)
        return real(self, client, bucket, prefix, start_after)

    monkeypatch.setattr(s3_sync.S3Sync, "pages", pages)


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
    real = s3_sync.S3Sync.pages

    def pages(self, client, bucket, prefix, start_after=None):
        calls.append(bucket)
        return real(self, client, bucket, prefix, start_after)

    monkeypatch.setattr(s3_sync.S3Sync, "pages", pages)
    result = run_module(source_available=False)
    assert calls == [DEST]
    assert (result["changed"], result["copied"], result["source_unavailable"]) == (False, 0, True)
    assert result["newest_dest_object"]["key"] == "db/1.dump" and result["rpo_seconds"] >= 0
    assert keys(dst, DEST) == ["db/1.dump"]


@pytest.fixture
def small_pages(monkeypatch):
    """ListObjectsV2 pages of 3 objects, so a handful of objects makes several pages."""
    monkeypatch.setattr(s3_sync, "PAGE", 3)


def test_each_source_page_is_copied_while_the_next_is_listed(buckets, run_module, monkeypatch, small_pages):
    src, dst = buckets
    for n in range(7):
        src.put_object(Bucket=SOURCE, Key=f"k{n}", Body=b"x" * n)
    src.put_object(Bucket=SOURCE, Key="k2", Body=b"changed")  # same key, same size as none in the destination
    dst.put_object(Bucket=DEST, Key="k1", Body=b"x")  # already there: not copied
    events = []
    real_list, real_submit = s3_sync.aws_calls.list_objects_v2, s3_sync.S3Sync.submit_copies

    def list_objects_v2(client, bucket, **params):
        events.append(("list", bucket))
        return real_list(client, bucket, **params)

    def submit_copies(self, pool, to_copy):
        events.append(("copy", [o["key"] for o in to_copy]))
        return real_submit(self, pool, to_copy)

    monkeypatch.setattr(s3_sync.aws_calls, "list_objects_v2", list_objects_v2)
    monkeypatch.setattr(s3_sync.S3Sync, "submit_copies", submit_copies)
    result = run_module()
    assert (result["copied"], result["unchanged"], result["verification"]["ok"]) == (6, 1, True)
    assert keys(dst, DEST) == [f"k{n}" for n in range(7)]
    before_verification = events[:events.index(("copy", ["k6"])) + 1]
    copied_by_page = [e[1] for e in before_verification if e[0] == "copy"]
    assert copied_by_page == [["k0", "k2"], ["k3", "k4", "k5"], ["k6"]]
    # Each page's copies went out before the next source page was listed.
    source_lists = [i for i, e in enumerate(before_verification) if e == ("list", SOURCE)]
    copies = [i for i, e in enumerate(before_verification) if e[0] == "copy"]
    assert len(source_lists) == 3 and all(copies[n] < source_lists[n + 1] for n in range(2))


def test_the_verification_lists_key_ranges_and_sees_what_a_page_by_page_listing_sees(buckets, run_module, small_pages):
    src, dst = buckets
    for n in range(8):
        src.put_object(Bucket=SOURCE, Key=f"k{n}", Body=b"x")
    # Objects only in the destination, between and after the source's keys: delete=false keeps them.
    for key in ("k0a", "k0b", "k3a", "k5a", "k5b", "k5c", "k5d", "z"):
        dst.put_object(Bucket=DEST, Key=key, Body=b"extra")
    result = run_module()
    assert result["copied"] == 8
    assert result["verification"] == {
        "objects_source": 8, "objects_dest": 16, "bytes_source": 8, "bytes_dest": 48, "mismatch_count": 0,
        "mismatches": [], "ok": True,
    }
    module = type("Module", (), {"params": {"dest_bucket": DEST, "dest_prefix": ""}})()
    sync = s3_sync.S3Sync.__new__(s3_sync.S3Sync)
    sync.module, sync.params, sync.dest = module, module.params, dst
    source = sync.list_objects(src, SOURCE, "")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert sync.list_dest_in_ranges(pool, source) == sync.list_dest()
    assert len(sync.list_dest()) == 16


def test_a_source_lost_after_its_first_page_is_reported_with_the_copies_made(buckets, run_module, monkeypatch, small_pages):
    src, dst = buckets
    for n in range(7):
        src.put_object(Bucket=SOURCE, Key=f"k{n}", Body=b"x")
    dst.put_object(Bucket=DEST, Key="old", Body=b"12345")
    real = s3_sync.aws_calls.list_objects_v2

    def list_objects_v2(client, bucket, **params):
        if bucket == SOURCE and "ContinuationToken" in params:
            cause = botocore.exceptions.EndpointConnectionError(endpoint_url="https://s3.us-west-2.amazonaws.com/")
            raise AnsibleAWSError(message=f"Failed to list the objects of bucket {bucket}", exception=cause)
        return real(client, bucket, **params)

    monkeypatch.setattr(s3_sync.aws_calls, "list_objects_v2", list_objects_v2)
    result = run_module(allow_missing_source=True)
    assert (result["source_unavailable"], result["copied"]) == (True, 3)
    assert keys(dst, DEST) == ["k0", "k1", "k2", "old"]
    assert run_module()["failed"] is True
