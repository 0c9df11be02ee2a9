# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The S3 checks of the audit (buckets, Block Public Access, encryption, versioning, replication), each declared beside its rule."""


from ansible_collections.nova.infra.plugins.module_utils.audit_core import BPA_FLAGS
from ansible_collections.nova.infra.plugins.module_utils.audit_core import DESIGN
from ansible_collections.nova.infra.plugins.module_utils.audit_core import NotApplicable
from ansible_collections.nova.infra.plugins.module_utils.audit_core import check
from ansible_collections.nova.infra.plugins.module_utils.audit_core import cis

# ---------------------------------------------------------------- rules: S3


def _buckets(snapshot, existing=True):
    if not snapshot["buckets"]:
        raise NotApplicable("no buckets given (option buckets)")
    return [b for b in snapshot["buckets"] if b.get("exists") or not existing]


@check(
    "NOVA-S3-001",
    "Every expected bucket exists in its region",
    "high",
    fix="run the storage role to create the bucket",
    reference=f"{DESIGN} Post-Deployment Validation: 'S3 buckets secured with Block Public Access'",
)
def rule_buckets_exist(snapshot, settings):
    found = []
    for bucket in _buckets(snapshot, existing=False):
        if not bucket.get("exists"):
            found.append((bucket["name"], f"bucket does not exist (expected in {bucket['expected_region']})"))
        elif bucket.get("region") != bucket["expected_region"]:
            found.append(
                (
                    bucket["name"],
                    f"bucket is in {bucket.get('region')}, expected {bucket['expected_region']}",
                    "fix the region in buckets, or recreate the bucket in the expected region",
                )
            )
    return found


@check(
    "NOVA-S3-002",
    "Every bucket blocks public access with all four Block Public Access settings",
    "critical",
    fix="aws s3api put-public-access-block --bucket <name> --public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
    reference=f"{DESIGN} Post-Deployment Validation: 'S3 buckets secured with Block Public Access'",
    cis_control=cis("2.1.4", "Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'"),
)
def rule_bucket_public_access(snapshot, settings):
    found = []
    for bucket in _buckets(snapshot):
        config = bucket.get("public_access_block") or {}
        off = [flag for flag in BPA_FLAGS if not config.get(flag)]
        if off:
            detail = (
                "no Block Public Access configuration"
                if not config
                else f"Block Public Access flag(s) off: {', '.join(off)}"
            )
            found.append((bucket["name"], detail))
    return found


@check(
    "NOVA-S3-006",
    "The account blocks public access to every bucket with all four account-level settings",
    "medium",
    fix="run the storage role (storage_account_public_access_block: true), or aws s3control put-public-access-block "
    "--account-id <id> --public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true; "
    "read docs/production.md first in an account that serves public content from S3",
    reference=f"{DESIGN} Security Validation: 'S3 buckets not publicly accessible' (buckets made outside the stack too)",
    cis_control=cis("2.1.4", "Ensure that S3 is configured with 'Block Public Access' enabled (account settings)"),
)
def rule_account_public_access(snapshot, settings):
    account = snapshot.get("account_public_access_block")
    if not account:
        raise NotApplicable("the account-level settings were not read")
    if account.get("unreadable"):
        raise NotApplicable(
            f"the account-level settings of account {account['account_id']} could not be read: {account['unreadable']}"
        )
    flags = account.get("flags") or {}
    off = [flag for flag in BPA_FLAGS if not flags.get(flag)]
    if not off:
        return []
    detail = (
        "the account has no Block Public Access configuration: every flag is off"
        if not account.get("configured")
        else f"account-level Block Public Access flag(s) off: {', '.join(off)}"
    )
    return [(f"account {account['account_id']}", detail)]


@check(
    "NOVA-S3-003",
    "Every bucket has default encryption",
    "medium",
    fix="aws s3api put-bucket-encryption --bucket <name> with SSE-S3 (AES256) or SSE-KMS",
    reference=f"{DESIGN} Post-Deployment Validation: 'S3 buckets secured with Block Public Access' "
    "(no CIS v3.0.0 control: it dropped the S3 encryption control once AWS began encrypting new buckets)",
)
def rule_bucket_encryption(snapshot, settings):
    found = []
    for bucket in _buckets(snapshot):
        if not bucket.get("encryption"):
            found.append((bucket["name"], "no default encryption configuration"))
    return found


@check(
    "NOVA-S3-004",
    "Every bucket has versioning enabled",
    "medium",
    fix="aws s3api put-bucket-versioning --bucket <name> --versioning-configuration Status=Enabled",
    reference=f"{DESIGN} Disaster Recovery: 'Restore data from S3 cross-region replication' (replication needs versioning)",
)
def rule_bucket_versioning(snapshot, settings):
    found = []
    for bucket in _buckets(snapshot):
        if bucket.get("versioning") != "Enabled":
            found.append((bucket["name"], f"versioning is {bucket.get('versioning') or 'never enabled'}"))
    return found


@check(
    "NOVA-S3-005",
    "Cross-region replication is enabled to a versioned replica in the DR region",
    "high",
    fix="run site.yml (the storage role configures replication to the replica bucket in the DR region)",
    reference=f"{DESIGN} Backup and Recovery Automation: 'S3 Cross-Region Replication' (storage_class STANDARD_IA)",
)
def rule_replication(snapshot, settings):
    if not snapshot["replication"]:
        raise NotApplicable("no replicated buckets given (option replicated_buckets)")
    wanted_class = settings["replication_storage_class"]
    found = []
    for pair in snapshot["replication"]:
        source, destination = pair["source"], pair["destination"]
        arn = f"arn:aws:s3:::{destination}"
        if pair.get("rules") is None:
            found.append((source, f"no replication configuration (expected to {destination})"))
            continue
        rules = [r for r in pair["rules"] if r.get("Destination", {}).get("Bucket") == arn]
        enabled = [r for r in rules if r.get("Status") == "Enabled"]
        if not enabled:
            ids = ", ".join(str(r.get("ID")) for r in rules)
            found.append(
                (
                    source,
                    f"no Enabled replication rule to {arn}"
                    + (f" (the rule is Disabled, the design says Enabled: rule {ids})" if rules else ""),
                )
            )
        for rule in enabled:
            storage = rule["Destination"].get("StorageClass")
            if storage != wanted_class:
                found.append(
                    (
                        source,
                        f"rule {rule.get('ID')} replicates as {storage or 'the source storage class'}, "
                        f"expected {wanted_class}",
                        f"run site.yml (the storage role sets Destination.StorageClass {wanted_class} in rule "
                        f"{rule.get('ID')})",
                    )
                )
        if not pair.get("destination_exists"):
            found.append(
                (destination, f"replica bucket of {source} does not exist (expected in {pair['destination_region']})")
            )
            continue
        if pair.get("destination_actual_region") != pair["destination_region"]:
            found.append(
                (
                    destination,
                    f"replica bucket of {source} is in {pair.get('destination_actual_region')}, "
                    f"expected {pair['destination_region']}",
                )
            )
        if pair.get("destination_versioning") != "Enabled":
            found.append(
                (
                    destination,
                    f"replica bucket of {source} is not versioned "
                    f"({pair.get('destination_versioning') or 'never enabled'}); S3 stops replicating to it",
                    f"enable versioning on {destination}",
                )
            )
    return found


def _replication_time(rule):
    """Whether the rule has S3 Replication Time Control on (a missing setting and a Disabled one are both off)."""
    return ((rule.get("Destination") or {}).get("ReplicationTime") or {}).get("Status") == "Enabled"


def _on_off(value):
    return "on" if value else "off"


@check(
    "NOVA-S3-007",
    "Replication rules have S3 Replication Time Control as the design says",
    "medium",
    fix="run site.yml (the storage role sets Replication Time Control on every replication rule as "
    "storage_replication_time_control says)",
    reference=f"{DESIGN} Backup and Recovery Automation: 'S3 Cross-Region Replication' (the 1-hour RPO: Replication "
    "Time Control and its metrics, which the replication alarms watch)",
)
def rule_replication_time_control(snapshot, settings):
    if not snapshot["replication"]:
        raise NotApplicable("no replicated buckets given (option replicated_buckets)")
    wanted = settings["replication_time_control"]
    found = []
    for pair in snapshot["replication"]:
        arn = f"arn:aws:s3:::{pair['destination']}"
        enabled = [
            r
            for r in pair.get("rules") or []
            if r.get("Status") == "Enabled" and (r.get("Destination") or {}).get("Bucket") == arn
        ]
        # No Enabled rule to the replica: NOVA-S3-005's finding.
        for rule in enabled:
            actual = _replication_time(rule)
            if actual != wanted:
                found.append(
                    (
                        pair["source"],
                        f"rule {rule.get('ID')} to {pair['destination']}: Replication Time Control is "
                        f"{_on_off(actual)}, the design says {_on_off(wanted)}"
                        + ("" if actual else " (no 15-minute SLA, and S3 publishes no replication metrics to alarm on)"),
                    )
                )
    return found
