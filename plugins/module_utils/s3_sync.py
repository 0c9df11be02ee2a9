# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of nova.infra.s3_sync: input checks, the sync plan, multipart part ranges, verification and RPO.

No AWS calls. Listings are lists of dicts as ListObjectsV2 describes objects, with keys relative to the
synced prefix: {key, size, etag, last_modified} (etag without quotes), plus for destination objects an
optional source_etag: the source ETag recorded on the copy, present once it has been read (None when
the object carries none).
"""

from __future__ import annotations

import math
from datetime import datetime
from urllib.parse import quote

from ansible_collections.nova.infra.plugins.module_utils import problems as problems_module
from ansible_collections.nova.infra.plugins.module_utils import s3_replication

MIB = 1024**2
GIB = 1024**3
MIN_PART_SIZE = 5 * MIB  # S3's smallest part, except the last one
MAX_PART_SIZE = 5 * GIB
MAX_PARTS = 10000
MAX_COPY_OBJECT_SIZE = 5 * GIB  # CopyObject refuses larger sources

# User metadata key (x-amz-meta-nova-source-etag) holding the source ETag on copies whose own ETag differs.
SOURCE_ETAG_KEY = "nova-source-etag"

# HeadObject answer fields carried over to a copy made with MetadataDirective=REPLACE or a multipart copy,
# named as CopyObject / CreateMultipartUpload take them.
KEPT_HEADERS = ("ContentType", "ContentEncoding", "ContentDisposition", "CacheControl", "ContentLanguage", "Expires")

STORAGE_CLASSES = (
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
    "REDUCED_REDUNDANCY",
)


def _size(n):
    return f"{n // MIB} MiB" if n % MIB == 0 else f"{n} bytes"


def validate(params, source_empty=None, dest_count=0):
    """Problems with the options, as problem records (module_utils/problems.py: field, value, problem, fix); empty
    when they are usable.

    With source_empty (known only after listing) also refuses delete=true against an empty source,
    which would empty the destination: the typical cause is a wrong bucket or prefix.
    """
    problems = []

    def problem(option, value, text, fix):
        problems.append(problems_module.problem(option, value, text, fix))

    for option in ("source_bucket", "dest_bucket"):
        for record in s3_replication.bucket_name_problems(option, params[option]):
            problem(option, record["value"], record["problem"], record["fix"])
    for option in ("source_region", "dest_region"):
        for record in s3_replication.region_problems(option, params.get(option)):
            problem(option, record["value"], record["problem"], record["fix"])
    if params["workers"] < 1 or params["workers"] > 256:
        problem("workers", params["workers"], "must be between 1 and 256", "use 16-256 for S3 (default 128)")
    part_size = params["part_size"]
    if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
        problem(
            "part_size",
            part_size,
            "S3 accepts parts of 5 MiB to 5 GiB (InvalidArgument / EntityTooSmall otherwise)",
            f"set it between {MIN_PART_SIZE} and {MAX_PART_SIZE} bytes, for example {64 * MIB} (64 MiB)",
        )
    threshold = params["multipart_threshold"]
    if not MIN_PART_SIZE <= threshold <= MAX_COPY_OBJECT_SIZE:
        problem(
            "multipart_threshold",
            threshold,
            "must be between 5 MiB (a smaller multipart copy is a single part) and 5 GiB (the CopyObject limit)",
            f"set it between {MIN_PART_SIZE} and {MAX_COPY_OBJECT_SIZE} bytes, for example {64 * MIB} (64 MiB)",
        )
    if params["report_keys"] < 0:
        problem("report_keys", params["report_keys"], "must not be negative", "use 0 to report counts only")
    src_prefix, dest_prefix = params["source_prefix"], params["dest_prefix"]
    if params["source_bucket"] == params["dest_bucket"] and (
        src_prefix.startswith(dest_prefix) or dest_prefix.startswith(src_prefix)
    ):
        problem(
            "dest_prefix",
            dest_prefix,
            f"overlaps source_prefix {src_prefix!r} in the same bucket {params['source_bucket']}: the sync would "
            "copy its own copies (and with delete: true remove source objects)",
            "sync to another bucket, or use prefixes where neither starts with the other",
        )
    if source_empty and params["delete"] and dest_count:
        problem(
            "delete",
            True,
            f"the source s3://{params['source_bucket']}/{src_prefix} is empty, so delete: true would remove all "
            f"{dest_count} objects of the destination",
            "check source_bucket, source_prefix and source_region; to empty the destination on purpose delete its "
            "objects explicitly",
        )
    return problems


def format_problems(problems):
    return problems_module.format_problems(problems, "s3_sync", "copied")


def relative_key(key, prefix):
    return key[len(prefix):]


def is_multipart_etag(etag):
    """True for the ETag of a multipart upload ("<md5 of part md5s>-<part count>")."""
    return "-" in etag


def compare(src, dst):
    """"same", "copy", or "check" when only the destination's recorded source ETag can tell (not read yet)."""
    if dst is None or src["size"] != dst["size"]:
        return "copy"
    if src["etag"] == dst["etag"]:
        return "same"
    if "source_etag" not in dst:
        return "check"
    return "same" if dst["source_etag"] == src["etag"] else "copy"


def plan(source, dest, delete):
    """What the sync does: {copy, delete, unchanged, check}, lists of listing entries sorted by key.

    copy: source objects missing from the destination or differing in size or ETag; delete (only with
    delete=true): destination objects absent from the source; check: equal size but different ETag, to be
    decided by the destination's recorded source ETag (then plan again with it in the destination entry).
    """
    by_key = {d["key"]: d for d in dest}
    result = {"copy": [], "delete": [], "unchanged": [], "check": []}
    for src in sorted(source, key=lambda o: o["key"]):
        verdict = compare(src, by_key.get(src["key"]))
        result["unchanged" if verdict == "same" else verdict].append(src)
    if delete:
        source_keys = {s["key"] for s in source}
        result["delete"] = sorted((d for d in dest if d["key"] not in source_keys), key=lambda o: o["key"])
    return result


def summary(the_plan, limit):
    """Counts of a plan and the first `limit` keys of each action, as returned to the user."""
    return {
        "to_copy": len(the_plan["copy"]),
        "to_delete": len(the_plan["delete"]),
        "unchanged": len(the_plan["unchanged"]),
        "bytes_to_copy": sum(o["size"] for o in the_plan["copy"]),
        "to_copy_keys": [o["key"] for o in the_plan["copy"][:limit]],
        "to_delete_keys": [o["key"] for o in the_plan["delete"][:limit]],
    }


def diff(the_plan, dest, limit):
    """Dry-run diff of the destination: the affected keys before and after (at most `limit` of them)."""
    dest_by_key = {d["key"]: d for d in dest}
    copies = {o["key"]: o for o in the_plan["copy"]}
    affected = sorted(set(copies) | {o["key"] for o in the_plan["delete"]})

    def line(obj):
        return f"{obj['key']} ({obj['size']} bytes, etag {obj['etag']})"

    shown = affected[:limit]
    truncated = len(affected) > limit
    return {
        "before": {
            "objects": len(dest),
            "keys": [line(dest_by_key[k]) for k in shown if k in dest_by_key],
            "truncated": truncated,
        },
        "after": {
            "objects": len(dest) + len(set(copies) - set(dest_by_key)) - len(the_plan["delete"]),
            "keys": [line(copies[k]) for k in shown if k in copies],
            "truncated": truncated,
        },
    }


def copy_method(src, threshold):
    """"multipart" for multipart sources (so the copy can keep their ETag) and large ones, else "single"."""
    return "multipart" if is_multipart_etag(src["etag"]) or src["size"] >= threshold else "single"


def mirrored_part_size(size, first_part_size, parts_count):
    """The part size that reproduces a multipart source's layout, or None when it cannot be reproduced.

    Copying with the source's own part boundaries gives the copy the source's ETag (MD5 of the part MD5s),
    so later runs compare plain listings. That holds when all parts but the last have the size of part 1,
    as every common uploader (AWS CLI, SDKs, s3transfer) makes them.
    """
    if not parts_count or not first_part_size or parts_count > MAX_PARTS:
        return None
    if parts_count > 1 and first_part_size < MIN_PART_SIZE:
        return None
    if math.ceil(size / first_part_size) != parts_count:
        return None
    return first_part_size


def part_ranges(size, part_size):
    """[(part_number, "bytes=first-last"), ...] covering size bytes; the part size grows to stay within 10,000 parts."""
    if size == 0:
        return [(1, None)]
    part_size = max(part_size, math.ceil(size / MAX_PARTS))
    count = math.ceil(size / part_size)
    return [(n + 1, f"bytes={n * part_size}-{min(size, (n + 1) * part_size) - 1}") for n in range(count)]


def replace_args(head, source_etag, storage_class):
    """CopyObject (MetadataDirective=REPLACE) / CreateMultipartUpload arguments keeping the source's metadata
    and content headers, plus the recorded source ETag."""
    args = {name: head[name] for name in KEPT_HEADERS if head.get(name) is not None}
    args["Metadata"] = dict(head.get("Metadata") or {}, **{SOURCE_ETAG_KEY: source_etag})
    args["StorageClass"] = storage_class
    return args


def tagging(tag_set):
    """A GetObjectTagging TagSet as the URL-encoded Tagging argument of CreateMultipartUpload."""
    return "&".join(f"{quote(t['Key'], safe='')}={quote(t['Value'], safe='')}" for t in tag_set)


def verify(source, dest, delete, limit):
    """Compare the listings after the sync: counts, bytes, and per key size and (source) ETag.

    Destination entries carry source_etag where it is known (recorded by this run). Extra destination
    objects are mismatches only with delete=true.
    """
    the_plan = plan(source, dest, delete)
    by_key = {d["key"]: d for d in dest}
    mismatches = []
    for src in the_plan["copy"] + the_plan["check"]:
        dst = by_key.get(src["key"])
        if dst is None:
            problem = "missing in the destination"
        elif dst["size"] != src["size"]:
            problem = f"size {dst['size']} in the destination, {src['size']} in the source"
        else:
            problem = f"ETag {dst['etag']} (source ETag {dst.get('source_etag')}) in the destination, {src['etag']} in the source"
        mismatches.append({"key": src["key"], "problem": problem})
    mismatches += [{"key": d["key"], "problem": "not in the source"} for d in the_plan["delete"]]
    mismatches.sort(key=lambda m: m["key"])
    return {
        "objects_source": len(source),
        "objects_dest": len(dest),
        "bytes_source": sum(o["size"] for o in source),
        "bytes_dest": sum(o["size"] for o in dest),
        "mismatch_count": len(mismatches),
        "mismatches": mismatches[:limit],
        "ok": not mismatches,
    }


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def newest(listing):
    """{key, last_modified} of the most recently modified object, None for an empty listing."""
    if not listing:
        return None
    obj = max(listing, key=lambda o: o["last_modified"])
    return {"key": obj["key"], "last_modified": iso(obj["last_modified"])}


def age(started: datetime, listing):
    """Seconds from the newest object's LastModified to `started` (the age of the last copy), None when empty."""
    if not listing:
        return None
    return max(0, round((started - max(o["last_modified"] for o in listing)).total_seconds(), 3))


def rpo(started: datetime, to_copy):
    """(oldest_missing_at_start, rpo_seconds) from the objects the destination lacked when the run began.

    The RPO is how much source data the destination region would have lost had the source region gone at
    `started`: the age of the oldest source change not yet in the destination; 0 when it was in sync.
    """
    if not to_copy:
        return None, 0
    oldest = min(o["last_modified"] for o in to_copy)
    return iso(oldest), max(0, round((started - oldest).total_seconds(), 3))
