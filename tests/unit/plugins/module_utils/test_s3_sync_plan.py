# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from ansible_collections.nova.infra.plugins.module_utils import s3_sync

MIB = s3_sync.MIB
T0 = datetime(2025, 1, 1, 3, 0, tzinfo=UTC)


def obj(key, size=10, etag="a" * 32, age=0, **extra):
    return dict(key=key, size=size, etag=etag, last_modified=T0 - timedelta(seconds=age), **extra)


def params(**overrides):
    base = dict(
        source_bucket="src", dest_bucket="dst", source_prefix="", dest_prefix="", workers=32, part_size=64 * MIB,
        multipart_threshold=64 * MIB, report_keys=100, delete=False,
    )
    return dict(base, **overrides)


# (case id, source listing, destination listing, delete, expected {action: [keys]})
PLAN_CASES = [
    ("empty both", [], [], False, {}),
    ("missing copied", [obj("a")], [], False, {"copy": ["a"]}),
    ("equal skipped", [obj("a")], [obj("a")], False, {"unchanged": ["a"]}),
    ("size differs", [obj("a", size=11)], [obj("a")], False, {"copy": ["a"]}),
    ("etag differs, nothing recorded yet: read it", [obj("a", etag="b" * 32)], [obj("a")], False, {"check": ["a"]}),
    ("multipart source copied whole: recorded etag matches", [obj("a", etag="m-3")],
     [obj("a", source_etag="m-3")], False, {"unchanged": ["a"]}),
    ("recorded etag is of an older source version", [obj("a", etag="m-3")],
     [obj("a", etag="c" * 32, source_etag="m-2")], False, {"copy": ["a"]}),
    ("no recorded etag on a differing copy", [obj("a", etag="m-3")], [obj("a", source_etag=None)], False,
     {"copy": ["a"]}),
    ("mirrored multipart copy: same etag", [obj("a", etag="m-3")], [obj("a", etag="m-3")], False,
     {"unchanged": ["a"]}),
    ("extra destination object kept without delete", [obj("a")], [obj("a"), obj("z")], False, {"unchanged": ["a"]}),
    ("extra destination object deleted with delete", [obj("a")], [obj("a"), obj("z")], True,
     {"unchanged": ["a"], "delete": ["z"]}),
    ("sorted by key", [obj("b"), obj("a")], [], False, {"copy": ["a", "b"]}),
]


@pytest.mark.parametrize("source,dest,delete,expected", [c[1:] for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES])
def test_plan(source, dest, delete, expected):
    result = s3_sync.plan(source, dest, delete)
    assert {action: [o["key"] for o in objs] for action, objs in result.items() if objs} == expected


def test_summary_counts_and_truncates_keys():
    the_plan = s3_sync.plan([obj(f"k{i}", size=2) for i in range(5)], [obj("x")], True)
    assert s3_sync.summary(the_plan, 2) == {
        "to_copy": 5, "to_delete": 1, "unchanged": 0, "bytes_to_copy": 10,
        "to_copy_keys": ["k0", "k1"], "to_delete_keys": ["x"],
    }


def test_diff_lists_affected_keys_before_and_after():
    dest = [obj("a", size=1), obj("b"), obj("gone")]
    the_plan = s3_sync.plan([obj("a", size=2), obj("b"), obj("new")], dest, True)
    result = s3_sync.diff(the_plan, dest, 10)
    assert result["before"] == {
        "objects": 3,
        "keys": [f"a (1 bytes, etag {'a' * 32})", f"gone (10 bytes, etag {'a' * 32})"],
        "truncated": False,
    }
    assert result["after"]["objects"] == 3
    assert result["after"]["keys"] == [f"a (2 bytes, etag {'a' * 32})", f"new (10 bytes, etag {'a' * 32})"]
    assert s3_sync.diff(the_plan, dest, 1)["before"]["truncated"] is True


@pytest.mark.parametrize(
    "etag,size,method",
    [("a" * 32, 1, "single"), ("a" * 32, 64 * MIB - 1, "single"), ("a" * 32, 64 * MIB, "multipart"),
     ("m-2", 6 * MIB, "multipart")],
)
def test_copy_method(etag, size, method):
    assert s3_sync.copy_method(obj("k", size=size, etag=etag), 64 * MIB) == method


@pytest.mark.parametrize(
    "size,first,count,expected",
    [
        (10 * MIB, 5 * MIB, 2, 5 * MIB),  # two full parts
        (11 * MIB, 5 * MIB, 3, 5 * MIB),  # short last part
        (5 * MIB, 5 * MIB, 1, 5 * MIB),
        (3, 3, 1, 3),  # a single small part is a valid upload
        (11 * MIB, 5 * MIB, 2, None),  # parts of unequal size: layout not reproducible
        (10 * MIB, 10 * MIB, 2, None),  # first part answered with the whole size
        (8 * MIB, 4 * MIB, 2, None),  # below S3's part minimum
        (10 * MIB, 5 * MIB, None, None),  # no part count: not a multipart object
    ],
)
def test_mirrored_part_size(size, first, count, expected):
    assert s3_sync.mirrored_part_size(size, first, count) == expected


@pytest.mark.parametrize(
    "size,part_size,expected",
    [
        (10, 5 * MIB, [(1, "bytes=0-9")]),
        (10 * MIB, 5 * MIB, [(1, f"bytes=0-{5 * MIB - 1}"), (2, f"bytes={5 * MIB}-{10 * MIB - 1}")]),
        (5 * MIB + 1, 5 * MIB, [(1, f"bytes=0-{5 * MIB - 1}"), (2, f"bytes={5 * MIB}-{5 * MIB}")]),
        (0, 5 * MIB, [(1, None)]),
    ],
)
def test_part_ranges(size, part_size, expected):
    assert s3_sync.part_ranges(size, part_size) == expected


def test_part_ranges_stay_within_ten_thousand_parts():
    size = 5 * 1024 * s3_sync.GIB  # 5 TiB, the S3 object maximum
    ranges = s3_sync.part_ranges(size, 5 * MIB)
    assert len(ranges) <= s3_sync.MAX_PARTS
    assert ranges[-1][1].endswith(f"-{size - 1}")


def test_replace_args_keep_metadata_headers_and_record_source_etag():
    head = {"ContentType": "text/csv", "CacheControl": "no-cache", "ContentEncoding": None, "Metadata": {"a": "1"},
            "ContentLength": 5, "ETag": '"x"'}
    assert s3_sync.replace_args(head, "m-2", "STANDARD_IA") == {
        "ContentType": "text/csv", "CacheControl": "no-cache",
        "Metadata": {"a": "1", "nova-source-etag": "m-2"}, "StorageClass": "STANDARD_IA",
    }


def test_tagging_is_url_encoded():
    assert s3_sync.tagging([{"Key": "a b", "Value": "x&y=z"}, {"Key": "k", "Value": ""}]) == "a%20b=x%26y%3Dz&k="


VERIFY_CASES = [
    ("in sync", [obj("a")], [obj("a")], False, []),
    ("missing", [obj("a")], [], False, [("a", "missing in the destination")]),
    ("size", [obj("a", size=2)], [obj("a")], False, [("a", "size 10 in the destination, 2 in the source")]),
    ("recorded etag accepted", [obj("a", etag="m-2")], [obj("a", source_etag="m-2")], False, []),
    ("etag unknown", [obj("a", etag="m-2")], [obj("a")], False,
     [("a", f"ETag {'a' * 32} (source ETag None) in the destination, m-2 in the source")]),
    ("extra ignored without delete", [obj("a")], [obj("a"), obj("b")], False, []),
    ("extra reported with delete", [obj("a")], [obj("a"), obj("b")], True, [("b", "not in the source")]),
]


@pytest.mark.parametrize("source,dest,delete,expected", [c[1:] for c in VERIFY_CASES], ids=[c[0] for c in VERIFY_CASES])
def test_verify(source, dest, delete, expected):
    result = s3_sync.verify(source, dest, delete, 100)
    assert [(m["key"], m["problem"]) for m in result["mismatches"]] == expected
    assert result["ok"] is (not expected)
    assert result["objects_source"] == len(source) and result["objects_dest"] == len(dest)
    assert result["bytes_source"] == sum(o["size"] for o in source)


def test_rpo_is_the_age_of_the_oldest_missing_change():
    assert s3_sync.rpo(T0, [obj("a", age=60), obj("b", age=3600)]) == ("2025-01-01T02:00:00Z", 3600)
    assert s3_sync.rpo(T0, []) == (None, 0)


def test_age_is_that_of_the_newest_object():
    assert s3_sync.age(T0, [obj("a", age=60), obj("b", age=3600)]) == 60
    assert s3_sync.age(T0, []) is None


def test_newest():
    assert s3_sync.newest([obj("old", age=9), obj("new", age=1)]) == {"key": "new", "last_modified": "2025-01-01T02:59:59Z"}
    assert s3_sync.newest([]) is None


VALIDATE_CASES = [
    ("defaults", {}, None, 0, []),
    ("workers", {"workers": 0}, None, 0, ["workers"]),
    ("part size too small", {"part_size": MIB}, None, 0, ["part_size"]),
    ("threshold above CopyObject limit", {"multipart_threshold": 6 * s3_sync.GIB}, None, 0, ["multipart_threshold"]),
    ("report_keys", {"report_keys": -1}, None, 0, ["report_keys"]),
    ("same bucket, nested prefixes", {"dest_bucket": "src", "source_prefix": "a/", "dest_prefix": "a/b/"}, None, 0,
     ["dest_prefix"]),
    ("same bucket, disjoint prefixes", {"dest_bucket": "src", "source_prefix": "a/", "dest_prefix": "b/"}, None, 0, []),
    ("delete from an empty source", {"delete": True}, True, 5, ["delete"]),
    ("delete from an empty source into an empty destination", {"delete": True}, True, 0, []),
    ("empty source without delete", {}, True, 5, []),
    ("bucket names", {"source_bucket": "Not A Bucket", "dest_bucket": "s3://dest"}, None, 0,
     ["source_bucket", "dest_bucket"]),
    ("region names", {"source_region": "moon-1", "dest_region": "US-EAST-1"}, None, 0, ["source_region", "dest_region"]),
    ("good region names", {"source_region": "us-west-2", "dest_region": "us-east-1"}, None, 0, []),
]


@pytest.mark.parametrize("overrides,source_empty,dest_count,options", [c[1:] for c in VALIDATE_CASES],
                         ids=[c[0] for c in VALIDATE_CASES])
def test_validate(overrides, source_empty, dest_count, options):
    problems = s3_sync.validate(params(**overrides), source_empty=source_empty, dest_count=dest_count)
    assert [p["field"] for p in problems] == options
    message = s3_sync.format_problems(problems)
    for p in problems:
        assert f"{p['field']}: {p['value'] if p['value'] not in ('', None) else '(empty)'} \u2014" in message
        assert "Fix:" in message
