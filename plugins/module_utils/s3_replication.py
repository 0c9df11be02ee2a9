# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of the S3 bucket replication module: validation, normalisation, planning.

No AWS calls here: the module feeds in what it read from AWS (bucket states, the current
configuration), so every rule can be unit-tested with plain data.

Both the desired configuration (built from the module's options) and the current one (as
GetBucketReplication returns it) are brought into one canonical form: the V2 schema that AWS
returns (``Filter`` rather than the legacy top-level ``Prefix``, ``DeleteMarkerReplication``
always present, settings with status ``Disabled`` dropped, rules sorted by priority), so that
equal configurations compare equal and a second run reports no change.

Problems are records ``{"field", "value", "problem", "fix"}``, collected rather than raised,
because the caller must see all of its mistakes in one run.
"""

import re
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence
from typing import Tuple

from ansible_collections.nova.infra.plugins.module_utils import problems as _problems
from ansible_collections.nova.infra.plugins.module_utils import stack

# Storage classes S3 replication can write to (Destination.StorageClass); the API enum also lists
# classes of other products (SNOW, FSX_*, EXPRESS_ONEZONE...) that a replication rule cannot use.
STORAGE_CLASSES = (
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "GLACIER_IR",
    "DEEP_ARCHIVE",
)

# S3 Replication Time Control only offers a 15 minute threshold.
REPLICATION_TIME_MINUTES = (15,)

MAX_RULE_ID_LENGTH = 255

# IAM role names: 1-64 of [A-Za-z0-9+=,.@_-], optionally under a path of the same characters.
ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
BUCKET_ARN = re.compile(r"^arn:(aws[a-z-]*):s3:::([^/]+)$")
# The bucket-name and region rules are the stack's (module_utils/stack.py), shared with the roles and the audit.
BUCKET_NAME = stack.BUCKET_NAME
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION_NAME = stack.REGION_NAME
REGION_FIX = stack.REGION_FIX
bucket_name_problem = stack.bucket_name_problem
BUCKET_NAME_FIX = (
    "give the bucket's name only (no s3:// or ARN): 3-63 lowercase letters, digits, dots and hyphens, "
    "starting and ending with a letter or digit, e.g. nova-production-backup-123456789012-us-west-2"
)

ENABLED = {"Status": "Enabled"}


problem = _problems.problem
format_problem = _problems.format_problem


def format_problems(records: Sequence[Dict[str, Any]]) -> str:
    return _problems.format_problems(records, "replication", "changed")


def bucket_name_problems(field: str, bucket: Optional[str]) -> List[Dict[str, Any]]:
    """A problem record when bucket (if given) is not a valid S3 bucket name."""
    what = None if bucket is None else bucket_name_problem(bucket)
    return [problem(field, bucket, what, BUCKET_NAME_FIX)] if what else []


def region_problems(field: str, region: Optional[str]) -> List[Dict[str, Any]]:
    """A problem record when region (if given) is not shaped like an AWS region name."""
    if region is None or REGION_NAME.match(region):
        return []
    if REGION_NAME.match(region.lower()):
        return [problem(field, region, "is not an AWS region name (they are lower case)", f"use {region.lower()}")]
    return [problem(field, region, "is not an AWS region name", REGION_FIX)]


def option_problems(bucket: str, destination_region: Optional[str], versioned_buckets: Sequence[str] = ()) -> List[Dict[str, Any]]:
    """Problems of the options that are read before any AWS call."""
    problems = bucket_name_problems("bucket", bucket) + region_problems("destination_region", destination_region)
    for name in versioned_buckets:
        problems += bucket_name_problems("versioned_buckets", name)
    return problems


def role_partition(role: Optional[str]) -> str:
    """The partition of the role ARN; replication never crosses partitions, so bucket ARNs share it."""
    match = ROLE_ARN.match(role or "")
    return match.group(1) if match else "aws"


def bucket_arn(bucket: str, partition: str = "aws") -> str:
    """A destination bucket as the ARN AWS stores, from a name or an ARN."""
    return bucket if bucket.startswith("arn:") else f"arn:{partition}:s3:::{bucket}"


def bucket_name(bucket: str) -> str:
    match = BUCKET_ARN.match(bucket)
    return match.group(2) if match else bucket


# ---------------------------------------------------------------------------
# Validation of the options (no AWS needed)
# ---------------------------------------------------------------------------


def _filter_tags(rule: Dict[str, Any]) -> Dict[str, Any]:
    return ((rule.get("filter") or {}).get("tags")) or {}


def _destination_problems(field: str, rule: Dict[str, Any], source: str) -> List[Dict[str, Any]]:
    destination = rule.get("destination") or {}
    problems = []
    target = destination.get("bucket") or ""
    if target.startswith("arn:"):
        if not BUCKET_ARN.match(target):
            problems.append(
                problem(
                    f"{field}.bucket",
                    target,
                    "is not an S3 bucket ARN",
                    "give the bucket name or its ARN, e.g. arn:aws:s3:::my-replica-bucket",
                )
            )
    elif not BUCKET_NAME.match(target):
        problems.append(
            problem(
                f"{field}.bucket",
                target,
                "is not a valid S3 bucket name",
                "use 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit",
            )
        )
    if bucket_name(target) == source:
        problems.append(
            problem(
                f"{field}.bucket",
                target,
                "is the source bucket itself; S3 cannot replicate a bucket into itself",
                "name a different, versioned bucket as the destination",
            )
        )

    storage_class = destination.get("storage_class")
    if storage_class is not None and storage_class not in STORAGE_CLASSES:
        hint = f"did you mean {storage_class.upper()}? " if storage_class.upper() in STORAGE_CLASSES else ""
        problems.append(
            problem(
                f"{field}.storage_class",
                storage_class,
                "is not a storage class S3 replication can write to",
                f"{hint}use one of {', '.join(STORAGE_CLASSES)}, or omit it to keep the source object's class",
            )
        )

    account = destination.get("account")
    if account is not None and not ACCOUNT_ID.match(account):
        problems.append(
            problem(
                f"{field}.account",
                account,
                "is not an AWS account ID",
                "give the 12-digit ID of the account that owns the destination bucket, quoted so leading zeros stay",
            )
        )
    if destination.get("owner_override") and account is None:
        problems.append(
            problem(
                f"{field}.owner_override",
                True,
                "needs the destination account; AWS rejects AccessControlTranslation without Account",
                f"set {field}.account to the destination bucket owner's account ID",
            )
        )

    minutes = destination.get("replication_time")
    if minutes is not None and minutes not in REPLICATION_TIME_MINUTES:
        problems.append(
            problem(
                f"{field}.replication_time",
                minutes,
                "is not a Replication Time Control threshold AWS offers",
                "use 15 (minutes, the only value), or omit it to turn Replication Time Control off",
            )
        )
    return problems


def _rule_problems(index: int, rule: Dict[str, Any], source: str) -> List[Dict[str, Any]]:
    field = f"rules[{index}]"
    problems = []
    rule_id = rule.get("id") or ""
    if not rule_id.strip() or len(rule_id) > MAX_RULE_ID_LENGTH:
        problems.append(
            problem(
                f"{field}.id",
                rule_id,
                f"must be 1 to {MAX_RULE_ID_LENGTH} characters and not blank",
                "give each rule a short unique name, e.g. replicate-all-to-dr",
            )
        )
    priority = rule.get("priority")
    if priority is not None and priority < 0:
        problems.append(
            problem(
                f"{field}.priority",
                priority,
                "is negative",
                "use 0 or a positive integer; the rule with the highest number wins where rules overlap",
            )
        )
    if rule.get("prefix") is not None and rule.get("filter") is not None:
        problems.append(
            problem(
                f"{field}.prefix",
                rule["prefix"],
                "is given together with filter",
                f"move it into {field}.filter.prefix, or drop {field}.filter",
            )
        )
    if rule.get("delete_marker_replication") and _filter_tags(rule):
        problems.append(
            problem(
                f"{field}.delete_marker_replication",
                True,
                "cannot be enabled on a rule that filters by tags (AWS rejects it: delete markers carry no tags)",
                f"set it to false, or filter {field} by prefix only",
            )
        )
    criteria = rule.get("source_selection_criteria") or {}
    if criteria.get("sse_kms") and not (rule.get("destination") or {}).get("encryption_kms_key_id"):
        problems.append(
            problem(
                f"{field}.source_selection_criteria.sse_kms",
                True,
                "needs a KMS key for the replicas; AWS rejects SseKmsEncryptedObjects without ReplicaKmsKeyID",
                f"set {field}.destination.encryption_kms_key_id to a KMS key ARN in the destination region",
            )
        )
    return problems + _destination_problems(f"{field}.destination", rule, source)


def _duplicates(rules: Sequence[Dict[str, Any]], key: str, label: str, fix: str) -> List[Dict[str, Any]]:
    problems = []
    first_seen: Dict[Any, int] = {}
    for index, rule in enumerate(rules):
        value = rule.get(key)
        if value is None:
            continue
        if value in first_seen:
            problems.append(
                problem(f"rules[{index}].{key}", value, f"is also the {label} of rules[{first_seen[value]}]", fix)
            )
        else:
            first_seen[value] = index
    return problems


def validate(bucket: str, role: Optional[str], rules: Optional[Sequence[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """Every problem with the options, from the option values alone."""
    problems = []
    if rules is None:
        return problems
    if not ROLE_ARN.match(role or ""):
        problems.append(
            problem(
                "role",
                role,
                "is not an IAM role ARN",
                "give the ARN of the role S3 assumes to replicate, e.g. arn:aws:iam::123456789012:role/s3-replication",
            )
        )
    for index, rule in enumerate(rules):
        problems.extend(_rule_problems(index, rule, bucket))
    problems.extend(_duplicates(rules, "id", "id", "give every rule a distinct id"))
    problems.extend(
        _duplicates(rules, "priority", "priority", "give every rule a distinct priority; AWS rejects duplicates")
    )
    return problems


def bucket_problems(field: str, value: str, state: Optional[str], role: str) -> List[Dict[str, Any]]:
    """Problems of a bucket from what AWS said about it.

    state is "missing", or the bucket's versioning status ("Enabled", "Suspended", "" when never
    enabled), or None when the bucket could not be read (then nothing can be said).
    """
    if state is None or state == "Enabled":
        return []
    if state == "missing":
        return [
            problem(
                field,
                value,
                f"does not exist (NoSuchBucket) as the {role} bucket",
                f"create the {role} bucket with versioning enabled first, e.g. with amazon.aws.s3_bucket",
            )
        ]
    status = state or "never enabled"
    return [
        problem(
            field,
            value,
            f"has versioning {status}; AWS refuses replication (InvalidRequest) unless the {role} bucket is versioned",
            f"enable versioning on the {role} bucket first, e.g. amazon.aws.s3_bucket with versioning: true",
        )
    ]


# ---------------------------------------------------------------------------
# Canonical form (the V2 schema as AWS returns it)
# ---------------------------------------------------------------------------


def _tag_list(tags: Dict[str, Any]) -> List[Dict[str, str]]:
    return [{"Key": str(k), "Value": "" if v is None else str(v)} for k, v in sorted(tags.items())]


def build_filter(prefix: Optional[str], tags: Dict[str, Any]) -> Dict[str, Any]:
    """The one Filter shape AWS accepts and returns for a prefix and tags.

    Prefix alone (empty for the whole bucket) is {Prefix}; a single tag alone is {Tag}; anything
    combined goes under And, where an empty prefix is left out.
    """
    prefix = prefix or ""
    if not tags:
        return {"Prefix": prefix}
    if not prefix and len(tags) == 1:
        return {"Tag": _tag_list(tags)[0]}
    both = {"Prefix": prefix} if prefix else {}
    return {"And": {**both, "Tags": _tag_list(tags)}}


def _normalize_filter(rule: Dict[str, Any]) -> Dict[str, Any]:
    raw = rule.get("Filter")
    if raw is None:
        # V1 rules carry the prefix at the top level; AWS reads that as a prefix filter.
        return {"Prefix": rule.get("Prefix") or ""}
    conjunction = raw.get("And") or {}
    prefix = raw.get("Prefix") or conjunction.get("Prefix") or ""
    tag_list = ([raw["Tag"]] if raw.get("Tag") else []) + list(conjunction.get("Tags") or [])
    canonical = build_filter(prefix, {t["Key"]: t.get("Value", "") for t in tag_list})
    # Conditions this module does not manage (e.g. Not) are kept so they still count as a difference.
    extra = {k: v for k, v in raw.items() if k not in ("Prefix", "Tag", "And")}
    extra_and = {k: v for k, v in conjunction.items() if k not in ("Prefix", "Tags")}
    if extra_and:
        canonical = {"And": {**canonical.get("And", {}), **extra_and}}
    return {**canonical, **extra}


def _enabled_only(settings: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Drop sub-settings switched off: AWS treats a missing one and a Disabled one alike."""
    return {k: v for k, v in (settings or {}).items() if not (isinstance(v, dict) and v.get("Status") == "Disabled")}


def _normalize_destination(destination: Dict[str, Any]) -> Dict[str, Any]:
    canonical = {k: v for k, v in destination.items() if v not in (None, {}, "")}
    for key in ("ReplicationTime", "Metrics"):
        if (canonical.get(key) or {}).get("Status") == "Disabled":
            del canonical[key]
    return canonical


def normalize_rule(rule: Dict[str, Any]) -> Dict[str, Any]:
    """A rule as GetBucketReplication returns it, in canonical form."""
    canonical = {
        "ID": rule.get("ID", ""),
        "Status": rule.get("Status", "Enabled"),
        "Filter": _normalize_filter(rule),
        "DeleteMarkerReplication": {"Status": (rule.get("DeleteMarkerReplication") or {}).get("Status", "Disabled")},
        "Destination": _normalize_destination(rule.get("Destination") or {}),
    }
    if rule.get("Priority") is not None:
        canonical["Priority"] = int(rule["Priority"])
    criteria = _enabled_only(rule.get("SourceSelectionCriteria"))
    if criteria:
        canonical["SourceSelectionCriteria"] = criteria
    if (rule.get("ExistingObjectReplication") or {}).get("Status") == "Enabled":
        canonical["ExistingObjectReplication"] = dict(ENABLED)
    return canonical


def _sort_key(rule: Dict[str, Any]) -> Tuple[int, str]:
    return (rule.get("Priority", -1), rule["ID"])


def normalize_configuration(config: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The current configuration ({Role, Rules} as AWS returns it, or None) in canonical form; {} for none."""
    if not config:
        return {}
    return {"Role": config.get("Role"), "Rules": sorted((normalize_rule(r) for r in config["Rules"]), key=_sort_key)}


def build_rule(rule: Dict[str, Any], partition: str = "aws") -> Dict[str, Any]:
    """A rule from the module's options, in canonical form."""
    option_filter = rule.get("filter") or {}
    prefix = rule.get("prefix") if rule.get("prefix") is not None else option_filter.get("prefix")
    destination = rule["destination"]
    canonical_destination = {"Bucket": bucket_arn(destination["bucket"], partition)}
    if destination.get("account"):
        canonical_destination["Account"] = destination["account"]
    if destination.get("storage_class"):
        canonical_destination["StorageClass"] = destination["storage_class"]
    if destination.get("owner_override"):
        canonical_destination["AccessControlTranslation"] = {"Owner": "Destination"}
    if destination.get("encryption_kms_key_id"):
        canonical_destination["EncryptionConfiguration"] = {"ReplicaKmsKeyID": destination["encryption_kms_key_id"]}
    if destination.get("replication_time"):
        minutes = {"Minutes": destination["replication_time"]}
        # AWS requires metrics with Replication Time Control, with the same threshold.
        canonical_destination["ReplicationTime"] = {"Status": "Enabled", "Time": minutes}
        canonical_destination["Metrics"] = {"Status": "Enabled", "EventThreshold": dict(minutes)}

    canonical = {
        "ID": rule["id"],
        "Priority": rule["priority"],
        "Status": rule.get("status") or "Enabled",
        "Filter": build_filter(prefix, option_filter.get("tags") or {}),
        "DeleteMarkerReplication": {"Status": "Enabled" if rule.get("delete_marker_replication") else "Disabled"},
        "Destination": canonical_destination,
    }
    criteria = rule.get("source_selection_criteria") or {}
    selection = {}
    if criteria.get("sse_kms"):
        selection["SseKmsEncryptedObjects"] = dict(ENABLED)
    if criteria.get("replica_modifications"):
        selection["ReplicaModifications"] = dict(ENABLED)
    if selection:
        canonical["SourceSelectionCriteria"] = selection
    return canonical


def plan(
    role: str,
    rules: Sequence[Dict[str, Any]],
    current: Dict[str, Any],
    purge_rules: bool = True,
) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """The configuration to put, and the problems that forbid putting it.

    rules are the module's rule options, current the canonical current configuration.
    Existing object replication is only granted through an AWS support case, so a listed rule keeps
    the setting its current namesake has rather than losing it. With purge_rules false, current
    rules not listed are kept as they are.
    """
    current_rules = {r["ID"]: r for r in current.get("Rules", [])}
    partition = role_partition(role)
    desired = []
    for rule in rules:
        canonical = build_rule(rule, partition)
        if "ExistingObjectReplication" in current_rules.get(canonical["ID"], {}):
            canonical["ExistingObjectReplication"] = dict(ENABLED)
        desired.append(canonical)

    listed = {r["ID"] for r in desired}
    kept = [] if purge_rules else [r for r in current.get("Rules", []) if r["ID"] not in listed]
    problems = []
    for rule in kept:
        if "Priority" not in rule:
            problems.append(
                problem(
                    "purge_rules",
                    False,
                    f"would keep the current rule {rule['ID']!r}, written in the legacy V1 schema (no priority), "
                    "which AWS does not accept next to V2 rules",
                    f"list rule {rule['ID']!r} in rules with a priority, or set purge_rules: true to drop it",
                )
            )
    taken = {r["Priority"]: r["ID"] for r in desired}
    for rule in kept:
        if rule.get("Priority") in taken:
            problems.append(
                problem(
                    "purge_rules",
                    False,
                    f"would keep the current rule {rule['ID']!r} whose priority {rule['Priority']} is also the "
                    f"priority of rule {taken[rule['Priority']]!r}",
                    f"give rule {taken[rule['Priority']]!r} another priority, or list {rule['ID']!r} in rules",
                )
            )
    final = sorted(desired + kept, key=_sort_key)
    if not final:
        problems.append(
            problem(
                "rules",
                [],
                "leaves no rule; a replication configuration needs at least one",
                "list at least one rule, or use state: absent to remove the replication configuration",
            )
        )
    return {"Role": role, "Rules": final}, problems


def destination_buckets(rules: Sequence[Dict[str, Any]]) -> List[Tuple[str, str]]:
    """(field, bucket name) of each distinct destination, in rule order, for the existence checks."""
    seen = set()
    found = []
    for index, rule in enumerate(rules):
        target = ((rule.get("destination") or {}).get("bucket")) or ""
        name = bucket_name(target)
        if name and name not in seen and BUCKET_NAME.match(name):
            seen.add(name)
            found.append((f"rules[{index}].destination.bucket", name))
    return found


def location_region(location_constraint: Optional[str]) -> str:
    """The region of a bucket from GetBucketLocation, which answers null for us-east-1 and EU for eu-west-1."""
    if not location_constraint:
        return "us-east-1"
    return "eu-west-1" if location_constraint == "EU" else location_constraint


def to_result(config: Dict[str, Any]) -> Dict[str, Any]:
    """Snake_case the top level only: rule keys stay as AWS documents them."""
    if not config:
        return {}
    return {"role": config.get("Role"), "rules": list(config.get("Rules", []))}
