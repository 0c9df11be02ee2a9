# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova.infra.s3_sync against the sandbox: full and incremental sync across regions, multipart sources,
deletes, check/diff mode, injected throttling and a sync killed mid-run."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import subprocess
import time

import pytest

from ansible_collections.nova.infra.plugins.modules import s3_sync
from sandbox import sandboxctl

from helpers import BIN
from helpers import aws

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
SOURCE = "nova-production-backup-123456789012-us-west-2"
SMALL = 300
WRITES = {"CopyObject", "PutObject", "CreateMultipartUpload", "UploadPartCopy", "CompleteMultipartUpload",
          "DeleteObject", "DeleteObjects", "PutObjectTagging"}


def small_key(i):
    return f"db/part-{i:04d}.bin"


def put_small(client, i):
    client.put_object(
        Bucket=SOURCE, Key=small_key(i), Body=os.urandom(100 + i), ContentType=f"application/x-nova-{i % 3}",
        CacheControl="max-age=60", Metadata={"index": str(i)}, Tagging=f"Backup=db&Index={i}",
    )


def put_multipart(client, key, part_sizes, **extra):
    upload = client.create_multipart_upload(Bucket=SOURCE, Key=key, **extra)
    parts = []
    for number, size in enumerate(part_sizes, 1):
        answer = client.upload_part(Bucket=SOURCE, Key=key, UploadId=upload["UploadId"], PartNumber=number,
                                    Body=os.urandom(size))
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    client.complete_multipart_upload(Bucket=SOURCE, Key=key, UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": parts})


@pytest.fixture(scope="module")
def source(sandbox):
    """A us-west-2 source bucket: SMALL small objects, two multipart uploads, one single-part 6 MiB object."""
    url = sandboxctl.endpoint(sandbox.port)
    sandboxctl.reset(url)
    sandboxctl.configure(url, latency_ms=0, fault_rate=0)
    s3 = aws(sandbox.port, "s3", "us-west-2")
    s3.create_bucket(Bucket=SOURCE, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: put_small(s3, i), range(SMALL)))
    put_multipart(s3, "db/full.dump", [5 * MIB, 5 * MIB, 1000], ContentType="application/x-dump",
                  ContentDisposition="attachment", Metadata={"db": "main"}, Tagging="Backup=full")
    put_multipart(s3, "db/wal.dump", [6 * MIB, 123], ContentType="application/x-wal", Tagging="Backup=wal")
    s3.put_object(Bucket=SOURCE, Key="db/large-single.bin", Body=os.urandom(6 * MIB), ContentType="application/x-big",
                  Metadata={"kind": "single"})
    return url


@pytest.fixture
def run_sync(sandbox, run_module):
    """Run the module in-process against the sandbox (tests/conftest.py's run_module); return its result (failed
    results included)."""

    def run(dest, check=False, diff=False, **args):
        module_args = dict(
            source_bucket=SOURCE, source_region="us-west-2", dest_bucket=dest, dest_region="us-east-1",
            multipart_threshold=5 * MIB, part_size=5 * MIB, workers=8,
            endpoint_url=sandboxctl.endpoint(sandbox.port), region="us-west-2", access_key="testing", secret_key="testing",
            _ansible_check_mode=check, _ansible_diff=diff,
        )
        module_args.update(args)
        return run_module(s3_sync, module_args)

    return run


def make_dest(port, name):
    s3 = aws(port, "s3", "us-east-1")
    s3.create_bucket(Bucket=name)
    return s3


def listing(client, bucket, prefix=""):
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: o for page in pages for o in page.get("Contents", [])}


def actions(url):
    return {k.split(":", 1)[1]: v for k, v in sandboxctl.stats(url)["by_action"].items()}


def assert_intact(port, dest, prefix=""):
    """Every source object is in dest with the same size and (recorded) source ETag, metadata and tags."""
    src_client, dst_client = aws(port, "s3", "us-west-2"), aws(port, "s3", "us-east-1")
    src, dst = listing(src_client, SOURCE), listing(dst_client, dest, prefix)
    assert sorted(prefix + k for k in src) == sorted(dst)
    for key, obj in src.items():
        copy = dst[prefix + key]
        assert copy["Size"] == obj["Size"], key
        if copy["ETag"] != obj["ETag"]:
            head = dst_client.head_object(Bucket=dest, Key=prefix + key)
            assert head["Metadata"]["nova-source-etag"] == obj["ETag"].strip('"'), key
    # Content, headers, metadata and tags of the multipart sources, the large single-part one and a sample.
    for key in ("db/full.dump", "db/wal.dump", "db/large-single.bin", small_key(0), small_key(SMALL - 1)):
        a = src_client.get_object(Bucket=SOURCE, Key=key)
        b = dst_client.get_object(Bucket=dest, Key=prefix + key)
        assert hashlib.md5(a["Body"].read()).digest() == hashlib.md5(b["Body"].read()).digest(), key
        for header in ("ContentType", "ContentDisposition", "CacheControl"):
            assert a.get(header) == b.get(header), (key, header)
        assert {k: v for k, v in b["Metadata"].items() if k != "nova-source-etag"} == a["Metadata"], key
        tags = [src_client.get_object_tagging(Bucket=SOURCE, Key=key)["TagSet"],
                dst_client.get_object_tagging(Bucket=dest, Key=prefix + key)["TagSet"]]
        assert sorted(map(tuple, (t.items() for t in tags[0]))) == sorted(map(tuple, (t.items() for t in tags[1])))


def test_full_sync_then_incremental_then_noop(source, sandbox, run_sync):
    dest = "nova-production-backup-123456789012-us-east-1"
    dst_client = make_dest(sandbox.port, dest)
    total = SMALL + 3

    sandboxctl.stats(source, reset=True)
    result = run_sync(dest, storage_class="STANDARD_IA")
    assert result["changed"] is True
    assert (result["copied"], result["unchanged"], result["deleted"], result["failed_objects"]) == (total, 0, 0, [])
    assert result["plan"]["to_copy"] == total
    assert result["verification"]["ok"] is True
    assert result["verification"]["objects_source"] == result["verification"]["objects_dest"] == total
    assert result["rpo_seconds"] > 0 and result["oldest_missing_at_start"]
    assert_intact(sandbox.port, dest)
    assert {o["StorageClass"] for o in listing(dst_client, dest).values()} == {"STANDARD_IA"}
    # Multipart sources were copied with their own layout, so their copies carry the same ETag.
    src_listing = listing(aws(sandbox.port, "s3", "us-west-2"), SOURCE)
    for key in ("db/full.dump", "db/wal.dump"):
        assert listing(dst_client, dest)[key]["ETag"] == src_listing[key]["ETag"]
    used = actions(source)
    assert used["CopyObject"] == SMALL  # one request per small object: no HeadObject before each copy
    assert used["CreateMultipartUpload"] == 3

    # No change: nothing copied, only listings (and one HeadObject for the copy whose ETag differs by design).
    sandboxctl.stats(source, reset=True)
    result = run_sync(dest, storage_class="STANDARD_IA")
    assert result["changed"] is False
    assert (result["copied"], result["unchanged"], result["rpo_seconds"]) == (0, total, 0)
    assert result["verification"] is None
    assert actions(source) == {"ListObjectsV2": 2, "HeadObject": 1}

    # One changed object: check mode plans it without writing, with a diff; then it alone is copied.
    src_client = aws(sandbox.port, "s3", "us-west-2")
    src_client.put_object(Bucket=SOURCE, Key=small_key(7), Body=b"changed")
    sandboxctl.stats(source, reset=True)
    result = run_sync(dest, check=True, diff=True)
    assert result["changed"] is True and result["copied"] == 0
    assert result["plan"]["to_copy_keys"] == [small_key(7)]
    assert result["diff"]["before"]["keys"][0].startswith(f"{small_key(7)} ({100 + 7} bytes")
    assert result["diff"]["after"]["keys"][0].startswith(f"{small_key(7)} (7 bytes")
    assert not WRITES & set(actions(source))
    assert listing(dst_client, dest)[small_key(7)]["Size"] == 107

    result = run_sync(dest)
    assert (result["changed"], result["copied"], result["copied_bytes"]) == (True, 1, 7)
    assert result["verification"]["ok"] is True
    assert dst_client.get_object(Bucket=dest, Key=small_key(7))["Body"].read() == b"changed"


def test_deletes_only_with_delete_true_and_only_under_the_prefix(source, sandbox, run_sync):
    dest = "nova-sync-delete"
    dst_client = make_dest(sandbox.port, dest)
    dst_client.put_object(Bucket=dest, Key="copy/stale.bin", Body=b"x")
    dst_client.put_object(Bucket=dest, Key="other/keep.bin", Body=b"x")

    result = run_sync(dest, dest_prefix="copy/", verify=True)
    assert result["deleted"] == 0 and result["verification"]["ok"] is True
    assert "copy/stale.bin" in listing(dst_client, dest)

    result = run_sync(dest, dest_prefix="copy/", delete=True)
    assert (result["changed"], result["copied"], result["deleted"]) == (True, 0, 1)
    assert result["plan"]["to_delete_keys"] == ["stale.bin"]
    keys = listing(dst_client, dest)
    assert "copy/stale.bin" not in keys and "other/keep.bin" in keys
    assert_intact(sandbox.port, dest, prefix="copy/")


def test_delete_from_an_empty_source_prefix_is_refused(source, sandbox, run_sync):
    dest = "nova-sync-guard"
    dst_client = make_dest(sandbox.port, dest)
    dst_client.put_object(Bucket=dest, Key="keep.bin", Body=b"x")
    sandboxctl.stats(source, reset=True)
    result = run_sync(dest, source_prefix="no-such-prefix/", delete=True)
    assert result["failed"] is True
    assert "delete: True" in result["msg"] and "Fix:" in result["msg"]
    assert "keep.bin" in listing(dst_client, dest)
    assert not WRITES & set(actions(source))


def test_injected_throttling_is_retried_and_every_object_arrives(source, sandbox, run_sync):
    dest = "nova-sync-throttled"
    make_dest(sandbox.port, dest)
    # Faults on a call's first three attempts only (docs/sandbox.md): no object fails by chance alone.
    sandboxctl.configure(source, fault_rate=0.3, fault_kinds="throttle,5xx", seed=11, fault_max_attempt=3)
    try:
        result = run_sync(dest, workers=16)
        faults = sandboxctl.stats(source)["faults_injected"]
    finally:
        sandboxctl.configure(source, fault_rate=0, fault_max_attempt=0)
    assert faults > 50
    assert result["failed_objects"] == [] and result["copied"] == SMALL + 3, result["failed_objects"]
    assert result["verification"]["ok"] is True
    assert_intact(sandbox.port, dest)


def test_a_sync_killed_mid_run_resumes_and_completes(source, sandbox, run_sync, tmp_path):
    dest = "nova-sync-killed"
    dst_client = make_dest(sandbox.port, dest)
    sandboxctl.configure(source, latency_ms=40)
    # The module process alone (ansible would run it in a session of its own, out of reach of the kill).
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(
        source_bucket=SOURCE, source_region="us-west-2", dest_bucket=dest, dest_region="us-east-1", workers=2,
        endpoint_url=source, region="us-west-2", access_key="testing", secret_key="testing",
    )}))
    proc = subprocess.Popen(
        [str(BIN / "python"), "-m", "ansible_collections.nova.infra.plugins.modules.s3_sync", str(args_file)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(listing(dst_client, dest)) < 30 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
    finally:
        proc.kill()
        proc.wait()
        sandboxctl.configure(source, latency_ms=0)
    done = len(listing(dst_client, dest))
    assert 30 <= done < SMALL + 3, "the sync was not interrupted mid-run"

    result = run_sync(dest)
    # Copies in flight at the kill may still land (the server had them), so the re-run finds at least `done`.
    assert result["copied"] + result["unchanged"] == SMALL + 3
    assert done <= result["unchanged"] <= done + 2 and result["copied"] > 0
    assert result["verification"]["ok"] is True
    assert_intact(sandbox.port, dest)
