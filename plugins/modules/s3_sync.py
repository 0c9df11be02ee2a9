#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_sync
version_added: 0.1.0
short_description: Copy the objects of an S3 bucket (prefix) to a bucket in another region, incrementally and verified
description:
  - Server-side, bucket-to-bucket sync for disaster recovery, for example from the C(us-west-2) backup bucket to its
    C(us-east-1) replica. No object data passes through the machine running Ansible.
  - Lists both sides (C(ListObjectsV2)), copies every source object that is missing in the destination or differs in
    size or ETag, with a pool of O(workers) parallel C(CopyObject) requests (metadata, content headers and tags
    kept, O(storage_class) set), and C(UploadPartCopy) multipart copies for multipart sources and objects of
    O(multipart_threshold) bytes or more.
  - The copies of each page of the source listing (1,000 objects) start as soon as the page is read, while the next
    page is listed; the destination is listed first, and the options and the listings are checked before the first
    copy. In check mode nothing is copied.
  - "ETags: an ETag is the content MD5 only for single-part uploads without SSE-KMS. Multipart sources are copied
    with their own part layout (read with C(HeadObject) C(PartNumber=1)), which gives the copy the same ETag. Where
    the copy's ETag still differs (SSE-KMS, a single-part source copied in parts, an irregular part layout), the
    source ETag is recorded on the copy as user metadata C(nova-source-etag) (C(x-amz-meta-nova-source-etag)) and
    later runs compare against it, reading it with one C(HeadObject) per such object."
  - Each copy is conditional on the source ETag seen in the listing (C(x-amz-copy-source-if-match)), so a source
    object overwritten during the run is reported in RV(failed_objects) rather than copied half old, half new.
  - A no-change run makes only C(ListObjectsV2) calls (plus the C(HeadObject) calls above).
  - Never deletes unless O(delete=true).
  - Throttling (C(SlowDown)), server errors and connection errors are retried by botocore alone, within the budget of
    O(aws_config) C(retries) (default here C(standard) mode, C(max_attempts) 10), so a dead region fails a call after those
    attempts rather than after botocore's attempts times a second retry layer. Objects that still fail are reported by
    key in RV(failed_objects) and fail the module, after all other objects were copied. Re-running resumes, copying
    only what is still missing.
  - After copying, O(verify=true) lists the destination again and compares it with the source listing the plan was
    made from (counts, bytes, sizes and source ETags). Past one page, that listing is read as ranges of keys in
    parallel (C(StartAfter) the source's every 1,000th key), not page after page.
  - Returns recovery point data (RV(rpo_seconds)) for the DR runbook, and with O(allow_missing_source=true) reports an
    unreachable source region instead of failing.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  source_bucket:
    description: The bucket to copy from.
    type: str
    required: true
  source_region:
    description: The region of O(source_bucket). Defaults to the module's O(region).
    type: str
  source_prefix:
    description:
      - Only objects whose key starts with this are synced. Their key relative to it is appended to O(dest_prefix).
      - Give a trailing C(/) for a folder, for example V(db/); V(db) also matches C(db2/...).
    type: str
    default: ""
  dest_bucket:
    description: The bucket to copy to. It must exist (and should be versioned for DR).
    type: str
    required: true
  dest_region:
    description: The region of O(dest_bucket). Defaults to the module's O(region).
    type: str
  dest_prefix:
    description: Key prefix of the copies in O(dest_bucket); with O(delete=true) only keys under it are deleted.
    type: str
    default: ""
  storage_class:
    description: The storage class of the copies, for example V(STANDARD_IA) for a DR replica.
    type: str
    choices: [STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE, REDUCED_REDUNDANCY]
    default: STANDARD
  delete:
    description:
      - Whether to delete destination objects (under O(dest_prefix)) that are absent from the source.
      - Refused when the source listing is empty and the destination is not, since that usually means a wrong bucket,
        prefix or region.
    type: bool
    default: false
  workers:
    description:
      - The number of copy requests in flight. Each request to S3 takes tens of milliseconds or more (a cross-region
        C(CopyObject) 100 ms and up), so throughput grows with this up to S3's per-prefix request rates (3,500 writes/s).
      - The default was 64 before version 0.2.0.
    type: int
    default: 128
  multipart_threshold:
    description:
      - Single-part source objects of this size in bytes or more are copied in parts of O(part_size) in parallel
        (C(UploadPartCopy)); smaller ones with one C(CopyObject). Between 5 MiB and 5 GiB (the CopyObject limit).
      - Multipart sources are always copied in parts, with the source's own part size (see the description).
    type: int
    default: 67108864
  part_size:
    description:
      - Part size in bytes for multipart copies, between 5 MiB and 5 GiB. It is raised where an object would need more
        than 10,000 parts.
    type: int
    default: 67108864
  verify:
    description: Whether to list both sides again after copying and fail unless they match (see RV(verification)).
    type: bool
    default: true
  allow_missing_source:
    description:
      - When listing the source fails with a connection error or with server errors (5xx) that outlast every retry
        (its region unreachable or impaired, as in a regional outage), do not fail but report
        RV(source_unavailable=true), copy nothing more, and check that the destination holds objects. When the source
        is lost after its first pages were read, their copies are finished and counted in RV(copied).
      - Without it such an error fails the module.
      - Such a failure takes the full retry budget of O(aws_config) (about a minute with C(max_attempts) 10). Where the source
        region's state is known beforehand, for example from a probe at the start of a failover, give
        O(source_available=false) instead.
    type: bool
    default: false
  source_available:
    description:
      - V(false) declares the source region unavailable (as a failover playbook decides with one bounded probe of it);
        the source is not contacted at all, nothing is copied, and the destination is reported as with
        O(allow_missing_source=true) (RV(source_unavailable=true)); the module fails when the destination is empty.
    type: bool
    default: true
  report_keys:
    description: At most this many keys are listed in RV(plan), RV(verification.mismatches) and the diff.
    type: int
    default: 100
notes:
  - Supports check mode (returns the plan, reads only, including the C(HeadObject) calls that decide ETag-differing
    objects) and diff mode (the affected keys before and after).
  - Needs C(s3:ListBucket) on both buckets, C(s3:GetObject) and C(s3:GetObjectTagging) on the source objects,
    C(s3:PutObject), C(s3:PutObjectTagging) and C(s3:GetObject) on the destination, and C(s3:DeleteObject) with
    O(delete=true).
  - Only the current version of each object is copied. ACLs are not copied (the destination bucket's owner owns the
    copies; buckets with ObjectOwnership C(BucketOwnerEnforced) ignore ACLs anyway). The destination's default
    encryption applies to the copies.
  - Changing O(storage_class) does not re-copy objects already in sync.
  - An interrupted multipart copy leaves an incomplete multipart upload in the destination; give the bucket a lifecycle
    rule with C(AbortIncompleteMultipartUpload).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Copy the backup bucket to its DR replica in us-east-1 as STANDARD_IA
  nova.infra.s3_sync:
    source_bucket: "nova-production-backup-{{ account_id }}-us-west-2"
    source_region: us-west-2
    dest_bucket: "nova-production-backup-{{ account_id }}-us-east-1"
    dest_region: us-east-1
    storage_class: STANDARD_IA
  register: backup_sync

- name: Show the recovery point
  ansible.builtin.debug:
    msg: "Copied {{ backup_sync.copied }} objects; the DR copy was {{ backup_sync.rpo_seconds }} s behind"

- name: During a regional outage, check what the DR region holds without failing on the lost source
  nova.infra.s3_sync:
    source_bucket: "nova-production-backup-{{ account_id }}-us-west-2"
    source_region: us-west-2
    dest_bucket: "nova-production-backup-{{ account_id }}-us-east-1"
    dest_region: us-east-1
    allow_missing_source: true
  register: backup_sync

- name: Mirror one prefix exactly, removing copies of deleted source objects
  nova.infra.s3_sync:
    source_bucket: "nova-production-app-logs-{{ account_id }}-us-west-2"
    source_prefix: vpc-flow-logs/
    source_region: us-west-2
    dest_bucket: "nova-production-app-logs-{{ account_id }}-us-east-1"
    dest_prefix: vpc-flow-logs/
    dest_region: us-east-1
    delete: true
"""

RETURN = r"""
problems:
  description:
    - On bad options (or C(delete=true) against an empty source), one record per problem, as every nova.infra
      module returns them; nothing was copied or deleted.
  type: list
  elements: dict
  returned: failure
  contains:
    field:
      description: The option.
      type: str
      sample: workers
    value:
      description: Its value.
      type: raw
      sample: 0
    problem:
      description: What is wrong with it.
      type: str
      sample: must be between 1 and 256
    fix:
      description: How to fix it.
      type: str
      sample: use 16-128 for S3 (default 64)
copied:
  description: The number of objects copied by this run.
  type: int
  returned: always
  sample: 1000
copied_bytes:
  description: Their total size in bytes.
  type: int
  returned: always
  sample: 4718592
unchanged:
  description:
    - The number of source objects already in sync, not copied.
    - Named so because C(skipped) is reserved by Ansible (a true value marks the task skipped).
  type: int
  returned: always
  sample: 0
deleted:
  description: The number of destination objects deleted (only with O(delete=true)).
  type: int
  returned: always
  sample: 0
failed_objects:
  description:
    - The objects that could not be copied or deleted after retries; the module fails when this is not empty.
    - Named so because C(failed) is reserved by Ansible for the task's own status.
  type: list
  elements: dict
  returned: always
  contains:
    key:
      description: The source key (the destination key for failed deletions).
      type: str
    code:
      description: The AWS error code, or the exception name for errors without one.
      type: str
    message:
      description: The error message.
      type: str
  sample: [{key: db/2025-01-01.dump, code: SlowDown, message: Please reduce your request rate.}]
plan:
  description: What the run found to do, from the listings at its start.
  type: dict
  returned: always
  contains:
    to_copy:
      description: Source objects missing from the destination or differing in size or (source) ETag.
      type: int
    to_delete:
      description: Destination objects absent from the source (counted only with O(delete=true)).
      type: int
    unchanged:
      description: Source objects already in sync.
      type: int
    bytes_to_copy:
      description: Total size of the objects to copy.
      type: int
    to_copy_keys:
      description: The first O(report_keys) keys to copy, relative to O(source_prefix).
      type: list
      elements: str
    to_delete_keys:
      description: The first O(report_keys) keys to delete, relative to O(dest_prefix).
      type: list
      elements: str
  sample: {to_copy: 2, to_delete: 0, unchanged: 998, bytes_to_copy: 8192, to_copy_keys: [a.txt, b.txt], to_delete_keys: []}
verification:
  description:
    - The comparison of the destination, listed again after the copy, with the source listing of the plan; V(null)
      in check mode, with O(verify=false) or when
      nothing was to be done.
    - With RV(source_unavailable=true), only the destination's RV(verification.objects_dest) and
      RV(verification.bytes_dest).
  type: dict
  returned: always
  contains:
    objects_source:
      description: Source objects (under O(source_prefix)).
      type: int
    objects_dest:
      description: Destination objects (under O(dest_prefix)).
      type: int
    bytes_source:
      description: Their total size.
      type: int
    bytes_dest:
      description: Their total size.
      type: int
    mismatch_count:
      description: The number of mismatching keys.
      type: int
    mismatches:
      description: The first O(report_keys) mismatches, each {key, problem}.
      type: list
      elements: dict
    ok:
      description: Whether every source object is in the destination with equal size and (source) ETag, and with
        O(delete=true) nothing else is. The module fails when false.
      type: bool
  sample: {objects_source: 1000, objects_dest: 1000, bytes_source: 4718592, bytes_dest: 4718592, mismatch_count: 0,
           mismatches: [], ok: true}
newest_source_object:
  description: The most recently modified source object, V(null) when the source is empty or unavailable.
  type: dict
  returned: always
  contains:
    key:
      description: Its key, relative to O(source_prefix).
      type: str
    last_modified:
      description: Its LastModified time (ISO 8601, UTC).
      type: str
  sample: {key: db/2025-01-01.dump, last_modified: "2025-01-01T03:00:00Z"}
newest_dest_object:
  description:
    - The most recently modified destination object before the run, V(null) when there is none.
    - With RV(source_unavailable=true), the freshest data the destination region has.
  type: dict
  returned: always
  contains:
    key:
      description: Its key, relative to O(dest_prefix).
      type: str
    last_modified:
      description: Its LastModified time (ISO 8601, UTC).
      type: str
  sample: {key: db/2024-12-31.dump, last_modified: "2024-12-31T03:00:05Z"}
oldest_missing_at_start:
  description: LastModified (ISO 8601, UTC) of the oldest source object that was missing or different in the
    destination when the run began; V(null) when the destination was in sync or the source is unavailable.
  type: str
  returned: always
  sample: "2025-01-01T02:10:00Z"
rpo_seconds:
  description:
    - The recovery point at the start of the run, in seconds - RV(started) minus RV(oldest_missing_at_start), V(0)
      when the destination was already in sync. It is how much recent data the destination region would have lacked
      had the source region been lost when the run began.
    - With RV(source_unavailable=true), the age of the newest destination object at the start of the run (the last
      replication or sync; an upper bound of the data lost, see RV(rpo_explanation)).
  type: float
  returned: always
  sample: 3000.0
rpo_explanation:
  description: How to read RV(rpo_seconds).
  type: str
  returned: always
source_unavailable:
  description: Whether the source could not be reached and O(allow_missing_source=true) turned that into a report.
  type: bool
  returned: always
  sample: false
started:
  description: When the run began (ISO 8601, UTC).
  type: str
  returned: always
  sample: "2025-01-01T03:00:00.123456Z"
finished:
  description: When it ended (ISO 8601, UTC).
  type: str
  returned: always
  sample: "2025-01-01T03:00:07.654321Z"
"""

import concurrent.futures
import datetime

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import botocore_share
from ansible_collections.nova.infra.plugins.module_utils import s3_sync
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import error_code

# Retries follow the call layer's rule (module_utils/aws_calls.py): SlowDown, 500/503, RequestTimeout and connection
# errors are botocore's to retry; the object calls add OperationAborted (409), which botocore does not retry.

RPO_UNAVAILABLE = (
    "The source could not be reached, so nothing was copied: the destination is as fresh as the last replication "
    "or sync. rpo_seconds is the age, at the start of this run, of the newest destination object "
    "(newest_dest_object): everything written to the source after it is lost. It is an upper bound when the "
    "source had no writes for a while before the outage."
)
RPO_MEASURED = (
    "Seconds between the start of this run and the oldest source change the destination lacked then; "
    "0 means the destination was already in sync."
)


# The objects of a ListObjectsV2 page (MaxKeys; S3's default and maximum).
PAGE = 1000


def now():
    return datetime.datetime.now(datetime.timezone.utc)


class S3Sync:
    def __init__(self, module):
        self.module = module
        params = module.params
        self.params = params
        # botocore keeps 10 connections per client by default, which would cap the worker pool.
        pool = params["workers"] + 4
        # Listings parse a LastModified per object: read with the standard library rather than dateutil (~30x).
        with botocore_share.fast_timestamps():
            self.source = aws_calls.connect(module, "s3", region=params["source_region"], max_pool_connections=pool)
            self.dest = aws_calls.connect(module, "s3", region=params["dest_region"], max_pool_connections=pool)
        self.started = now()
        self.result = dict(
            changed=False,
            copied=0,
            copied_bytes=0,
            unchanged=0,
            deleted=0,
            failed_objects=[],
            verification=None,
            newest_source_object=None,
            newest_dest_object=None,
            oldest_missing_at_start=None,
            rpo_seconds=0,
            rpo_explanation=RPO_MEASURED,
            source_unavailable=False,
            started=s3_sync.iso(self.started),
        )
        # Relative key -> nova-source-etag of the destination object, as read or written by this run, for the verification.
        self.recorded = {}
        # The copies submitted and not yet waited for: future -> source entry, and (source entry, upload id, part futures).
        self.copying, self.multipart = {}, []

    # -- reading ---------------------------------------------------------------------------------------------

    def pages(self, client, bucket, prefix, start_after=None):
        """The objects under prefix as s3_sync listing entries (keys relative to prefix), one list per page."""
        token = None
        while True:
            where = {"ContinuationToken": token} if token else {"StartAfter": start_after} if start_after else {}
            page = aws_calls.list_objects_v2(client, bucket, Prefix=prefix, MaxKeys=PAGE, **where)
            yield [
                {
                    "key": s3_sync.relative_key(obj["Key"], prefix),
                    "size": obj["Size"],
                    "etag": obj["ETag"].strip('"'),
                    "last_modified": obj["LastModified"],
                }
                for obj in page.get("Contents", [])
            ]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    def list_objects(self, client, bucket, prefix):
        """The objects under prefix as s3_sync listing entries (keys relative to prefix)."""
        return [entry for page in self.pages(client, bucket, prefix) for entry in page]

    def list_dest(self):
        return self.list_objects(self.dest, self.params["dest_bucket"], self.params["dest_prefix"])

    def list_dest_in_ranges(self, pool, source):
        """The destination listing, read as ranges of keys in parallel instead of page after page: the source's
        every 1,000th key (a page's worth) splits the key space, and each range is listed from its start
        (C(StartAfter)) until a key past its end. The same entries as list_dest, in the same order: ListObjectsV2 lists
        in UTF-8 byte order, which is the order of Python's str comparison."""
        ends = sorted(o["key"] for o in source)[PAGE - 1:-1:PAGE]
        if not ends:
            return self.list_dest()

        def one_range(start, end):
            entries = []
            for page in self.pages(self.dest, self.params["dest_bucket"], self.params["dest_prefix"], start_after=start):
                entries += [o for o in page if end is None or o["key"] <= end]
                if end is not None and page and page[-1]["key"] >= end:
                    break
            return entries

        starts = [None] + [self.params["dest_prefix"] + key for key in ends]
        ranges = pool.map(one_range, starts, ends + [None])
        return [entry for entries in ranges for entry in entries]

    def read_listings(self, pool):
        """(source, dest) listings; source None when unreachable and allow_missing_source.

        The destination is listed beside the source's first page. Outside check mode, each source page's copies
        start as soon as the page is read, while the next page is listed: the plan of a key depends only on that
        key's two entries, so the copies are those the whole plan holds. The listings are checked (an empty source
        with delete=true) before the first copy."""
        params = self.params
        dest = pool.submit(self.list_dest)
        source, dest_by_key = [], None
        try:
            for page in self.pages(self.source, params["source_bucket"], params["source_prefix"]):
                if dest_by_key is None:
                    dest_by_key = {d["key"]: d for d in dest.result()}
                    self.refuse_problems(source_empty=not page, dest_count=len(dest_by_key))
                source += page
                if not self.module.check_mode:
                    self.start_copies(pool, page, dest_by_key)
        except AnsibleAWSError as error:
            if not (params["allow_missing_source"] and self.outage(error.exception)):
                raise
            copying = "nothing more copied" if self.copying or self.multipart else "nothing copied"
            self.module.warn(f"Source bucket {params['source_bucket']} unavailable ({error.exception}): {copying}")
            return None, dest.result()
        return source, dest.result()

    @staticmethod
    def outage(exception):
        """Whether the error is one of a region that cannot be reached: no connection, or 5xx answers (a regional
        outage) that outlasted every retry."""
        if isinstance(exception, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
            return True
        if isinstance(exception, botocore.exceptions.ClientError):
            return exception.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
        return False

    def recorded_source_etag(self, dst):
        """Fill dst["source_etag"] from the destination object's nova-source-etag metadata (None if absent)."""
        head = aws_calls.head_object_if_present(self.dest, self.params["dest_bucket"], self.params["dest_prefix"] + dst["key"])
        if head is None:
            dst["source_etag"] = None  # deleted since the listing: copying it again is right
            return
        dst["source_etag"] = head.get("Metadata", {}).get(s3_sync.SOURCE_ETAG_KEY)
        self.recorded[dst["key"]] = dst["source_etag"]

    # -- writing ---------------------------------------------------------------------------------------------

    def copy_source(self, src):
        return {"Bucket": self.params["source_bucket"], "Key": self.params["source_prefix"] + src["key"]}

    def head_source(self, src, **params):
        """HeadObject of the source object as listed (IfMatch its ETag: a changed object fails, not copied)."""
        return aws_calls.head_object(
            self.source, self.params["source_bucket"], self.params["source_prefix"] + src["key"], **params
        )

    def copy_single(self, src):
        """One CopyObject keeping metadata and tags; when the copy's ETag differs, copy again recording it."""
        params = self.params
        common = dict(
            CopySource=self.copy_source(src),
            CopySourceIfMatch=f'"{src["etag"]}"',
            TaggingDirective="COPY",
        )
        bucket, key = params["dest_bucket"], params["dest_prefix"] + src["key"]
        answer = aws_calls.copy_object(
            self.dest, bucket, key, MetadataDirective="COPY", StorageClass=params["storage_class"], **common
        )
        if answer["CopyObjectResult"]["ETag"].strip('"') != src["etag"]:
            # SSE-KMS: the copy's ETag is not the source's, so later runs need the source ETag on the copy.
            head = self.head_source(src, IfMatch=f'"{src["etag"]}"')
            args = s3_sync.replace_args(head, src["etag"], params["storage_class"])
            aws_calls.copy_object(self.dest, bucket, key, MetadataDirective="REPLACE", **common, **args)
            self.recorded[src["key"]] = src["etag"]

    def start_multipart(self, src):
        """HeadObject(s), GetObjectTagging and CreateMultipartUpload: (upload_id, part ranges)."""
        params = self.params
        head = self.head_source(src, IfMatch=f'"{src["etag"]}"')
        part_size = params["part_size"]
        if s3_sync.is_multipart_etag(src["etag"]):
            # Part 1's size and the part count give the source's layout; its metadata comes from the plain
            # HeadObject above (moto answers a PartNumber HeadObject with the part's own headers).
            part = self.head_source(src, PartNumber=1)
            part_size = s3_sync.mirrored_part_size(src["size"], part["ContentLength"], part.get("PartsCount")) or part_size
        tags = aws_calls.get_object_tagging(self.source, params["source_bucket"], params["source_prefix"] + src["key"])
        args = s3_sync.replace_args(head, src["etag"], params["storage_class"])
        if tags:
            args["Tagging"] = s3_sync.tagging(tags)
        upload_id = aws_calls.create_multipart_upload(self.dest, params["dest_bucket"], params["dest_prefix"] + src["key"], **args)
        return upload_id, s3_sync.part_ranges(src["size"], part_size)

    def copy_part(self, src, upload_id, number, byte_range):
        params = self.params
        args = {"CopySourceRange": byte_range} if byte_range else {}
        answer = aws_calls.upload_part_copy(
            self.dest,
            params["dest_bucket"],
            params["dest_prefix"] + src["key"],
            upload_id,
            number,
            CopySource=self.copy_source(src),
            CopySourceIfMatch=f'"{src["etag"]}"',
            **args,
        )
        return {"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]}

    def finish_multipart(self, src, upload_id, part_futures):
        params = self.params
        key = params["dest_prefix"] + src["key"]
        try:
            parts = [future.result() for future in part_futures]
            aws_calls.complete_multipart_upload(self.dest, params["dest_bucket"], key, upload_id, parts)
        except Exception:
            try:
                aws_calls.abort_multipart_upload(self.dest, params["dest_bucket"], key, upload_id)
            except AnsibleAWSError as e:
                self.module.warn(f"Could not abort multipart upload {upload_id} of {key}: {e}")
            raise
        self.recorded[src["key"]] = src["etag"]

    def failure(self, key, error):
        """Record the call layer's error for the key: the AWS code (or botocore's exception class) and message."""
        exception = error.exception
        code = error_code(exception) or type(exception).__name__
        self.result["failed_objects"].append({"key": key, "code": code, "message": str(exception)})

    def start_copies(self, pool, page, dest_by_key):
        """Plan one page of the source listing against the destination and submit its copies to the pool."""
        listed = [dest_by_key[o["key"]] for o in page if o["key"] in dest_by_key]
        page_plan = s3_sync.plan(page, listed, False)
        if page_plan["check"]:
            list(pool.map(self.recorded_source_etag, [dest_by_key[o["key"]] for o in page_plan["check"]]))
            page_plan = s3_sync.plan(page, listed, False)
        self.submit_copies(pool, page_plan["copy"])

    def submit_copies(self, pool, to_copy):
        """Start copying objects, the parts of multipart copies in the same worker pool."""
        threshold = self.params["multipart_threshold"]
        for src in to_copy:
            if s3_sync.copy_method(src, threshold) == "single":
                self.copying[pool.submit(self.copy_single, src)] = src
                continue
            try:
                upload_id, ranges = self.start_multipart(src)
            except AnsibleAWSError as e:
                self.failure(src["key"], e)
                continue
            futures = [pool.submit(self.copy_part, src, upload_id, n, r) for n, r in ranges]
            self.multipart.append((src, upload_id, futures))

    def finish_copies(self):
        """Wait for every copy submitted; record failures by key."""
        done = []
        for src, upload_id, futures in self.multipart:
            try:
                self.finish_multipart(src, upload_id, futures)
                done.append(src)
            except AnsibleAWSError as e:
                self.failure(src["key"], e)
        for future in concurrent.futures.as_completed(self.copying):
            try:
                future.result()
                done.append(self.copying[future])
            except AnsibleAWSError as e:
                self.failure(self.copying[future]["key"], e)
        self.multipart, self.copying = [], {}
        self.result["copied"] = len(done)
        self.result["copied_bytes"] = sum(o["size"] for o in done)

    def delete_all(self, to_delete):
        params = self.params
        keys = [params["dest_prefix"] + o["key"] for o in to_delete]
        for start in range(0, len(keys), 1000):
            batch = keys[start:start + 1000]
            try:
                errors = aws_calls.delete_objects(self.dest, params["dest_bucket"], batch)
            except AnsibleAWSError as e:
                for key in batch:
                    self.failure(key, e)
                continue
            self.result["failed_objects"] += [{"key": e["Key"], "code": e.get("Code"), "message": e.get("Message")} for e in errors]
            self.result["deleted"] += len(batch) - len(errors)

    # -- the run ---------------------------------------------------------------------------------------------

    def exit(self, **extra):
        self.result.update(extra, finished=s3_sync.iso(now()))
        if self.result["failed_objects"]:
            self.module.fail_json(
                msg=f"{len(self.result['failed_objects'])} objects could not be synced (see failed_objects); re-run to retry them",
                **self.result,
            )
        if self.result["verification"] and not self.result["verification"]["ok"]:
            self.module.fail_json(
                msg=f"Verification failed: {self.result['verification']['mismatch_count']} keys differ after the sync",
                **self.result,
            )
        self.module.exit_json(**self.result)

    def report_unavailable_source(self, dest):
        if not dest:
            self.module.fail_json(
                msg=f"The source is unreachable and the destination s3://{self.params['dest_bucket']}/"
                f"{self.params['dest_prefix']} holds no objects: there is nothing to recover from",
                **self.result,
            )
        self.exit(
            source_unavailable=True,
            rpo_seconds=s3_sync.age(self.started, dest),
            rpo_explanation=RPO_UNAVAILABLE,
            newest_dest_object=s3_sync.newest(dest),
            plan=s3_sync.summary({"copy": [], "delete": [], "unchanged": []}, 0),
            verification={"objects_dest": len(dest), "bytes_dest": sum(o["size"] for o in dest), "ok": True},
        )

    def refuse_problems(self, source_empty, dest_count):
        problems = s3_sync.validate(self.params, source_empty=source_empty, dest_count=dest_count)
        if problems:
            self.module.fail_json(msg=s3_sync.format_problems(problems), problems=problems, **self.result)

    def sync(self):
        params = self.params
        if not params["source_available"]:
            self.module.warn(f"Source bucket {params['source_bucket']} declared unavailable: not contacted, nothing copied")
            self.report_unavailable_source(self.list_dest())
        # The pool outlives every exit below: leaving the block waits for the copies submitted.
        with concurrent.futures.ThreadPoolExecutor(params["workers"]) as pool:
            source, dest = self.read_listings(pool)
            if source is None:
                self.finish_copies()
                self.report_unavailable_source(dest)
            self.finish(pool, source, dest)

    def finish(self, pool, source, dest):
        """The plan of the whole listings (its copies already started outside check mode), then deletions and
        the verification."""
        params, limit = self.params, self.params["report_keys"]
        the_plan = s3_sync.plan(source, dest, params["delete"])
        if the_plan["check"]:
            dest_by_key = {d["key"]: d for d in dest}
            list(pool.map(self.recorded_source_etag, [dest_by_key[o["key"]] for o in the_plan["check"]]))
            the_plan = s3_sync.plan(source, dest, params["delete"])

        oldest, rpo_seconds = s3_sync.rpo(self.started, the_plan["copy"])
        self.result.update(
            plan=s3_sync.summary(the_plan, limit),
            unchanged=len(the_plan["unchanged"]),
            newest_source_object=s3_sync.newest(source),
            newest_dest_object=s3_sync.newest(dest),
            oldest_missing_at_start=oldest,
            rpo_seconds=rpo_seconds,
        )
        if not the_plan["copy"] and not the_plan["delete"]:
            self.exit()
        self.result["changed"] = True
        if self.module._diff:
            self.result["diff"] = s3_sync.diff(the_plan, dest, limit)
        if self.module.check_mode:
            self.exit()

        self.finish_copies()
        self.delete_all(the_plan["delete"])
        self.result["changed"] = bool(self.result["copied"] or self.result["deleted"])
        if params["verify"]:
            # Against the source as planned: objects written to it during the run are the next run's work.
            dest = self.list_dest_in_ranges(pool, source)
            for dst in dest:
                if dst["key"] in self.recorded:
                    dst["source_etag"] = self.recorded[dst["key"]]
            self.result["verification"] = s3_sync.verify(source, dest, params["delete"], limit)
        self.exit()


def main():
    argument_spec = dict(
        source_bucket=dict(type="str", required=True),
        source_region=dict(type="str"),
        source_prefix=dict(type="str", default=""),
        dest_bucket=dict(type="str", required=True),
        dest_region=dict(type="str"),
        dest_prefix=dict(type="str", default=""),
        storage_class=dict(type="str", choices=list(s3_sync.STORAGE_CLASSES), default="STANDARD"),
        delete=dict(type="bool", default=False),
        workers=dict(type="int", default=128),
        multipart_threshold=dict(type="int", default=64 * s3_sync.MIB),
        part_size=dict(type="int", default=64 * s3_sync.MIB),
        verify=dict(type="bool", default=True),
        allow_missing_source=dict(type="bool", default=False),
        source_available=dict(type="bool", default=True),
        report_keys=dict(type="int", default=100, no_log=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = s3_sync.validate(module.params)
    if problems:
        module.fail_json(msg=s3_sync.format_problems(problems), problems=problems)
    with aws_failures(module):
        S3Sync(module).sync()


if __name__ == "__main__":
    main()
