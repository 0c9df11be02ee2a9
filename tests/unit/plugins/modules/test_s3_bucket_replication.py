# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.responses import ActionResult
from moto.s3.exceptions import ReplicationConfigurationNotFoundError
from moto.s3.responses import S3Response

from ansible_collections.nova.infra.plugins.modules import s3_bucket_replication
from sandbox import sandboxctl

REGION = "us-west-2"
DR_REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/s3-replication"
SOURCE = "nova-src"
REPLICA = "nova-replica"
REPLICA_ARN = f"arn:aws:s3:::{REPLICA}"
RULE = {"id": "all-to-dr", "priority": 1, "destination": {"bucket": REPLICA, "storage_class": "STANDARD_IA"}}
BASE = {"region": REGION, "bucket": SOURCE, "role": ROLE}


@pytest.fixture
def run_module(run_module):
    """Run main() with args in-process (tests/conftest.py); return (failed, result) from the JSON it prints."""

    def run(args, check=False, diff=True):
        args = {**args, "_ansible_check_mode": check, "_ansible_diff": diff}
        result = run_module(s3_bucket_replication, args)
        return bool(result.get("failed")), result

    return run


def make_bucket(region, name, versioned=True):
    client = boto3.client("s3", region_name=region)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if versioned:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return client


@pytest.fixture
def s3(monkeypatch):
    """Moto's in-process AWS with a versioned source bucket and a versioned replica in another region."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = make_bucket(REGION, SOURCE)
        make_bucket(DR_REGION, REPLICA)
        yield client


def stored(client):
    """The replication configuration read back from the emulator, or None."""
    try:
        return client.get_bucket_replication(Bucket=SOURCE)["ReplicationConfiguration"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ReplicationConfigurationNotFoundError"
        return None


def test_put_then_second_run_is_unchanged(run_module, s3):
    failed, result = run_module({**BASE, "rules": [RULE]})

    assert not failed, result
    assert result["changed"] is True
    config = stored(s3)
    assert config["Role"] == ROLE
    (rule,) = config["Rules"]
    assert (rule["ID"], rule["Priority"], rule["Status"]) == ("all-to-dr", 1, "Enabled")
    assert rule["Destination"] == {"Bucket": REPLICA_ARN, "StorageClass": "STANDARD_IA"}
    assert result["replication_configuration"]["role"] == ROLE
    assert result["replication_configuration"]["rules"][0]["Destination"]["Bucket"] == REPLICA_ARN
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == result["replication_configuration"]

    failed, again = run_module({**BASE, "rules": [RULE]})

    assert not failed, again
    assert again["changed"] is False
    assert "diff" not in again
    assert again["replication_configuration"]["rules"][0]["ID"] == "all-to-dr"


def test_check_mode_writes_nothing(run_module, s3):
    failed, result = run_module({**BASE, "rules": [RULE]}, check=True)

    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["after"]["rules"][0]["Destination"]["StorageClass"] == "STANDARD_IA"
    assert stored(s3) is None


def test_update_shows_the_difference(run_module, s3):
    run_module({**BASE, "rules": [RULE]})
    changed_rule = {**RULE, "status": "Disabled", "destination": {"bucket": REPLICA_ARN, "storage_class": "GLACIER"}}

    failed, result = run_module({**BASE, "rules": [changed_rule]})

    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["before"]["rules"][0]["Destination"]["StorageClass"] == "STANDARD_IA"
    assert result["diff"]["after"]["rules"][0]["Destination"]["StorageClass"] == "GLACIER"
    (rule,) = stored(s3)["Rules"]
    assert (rule["Status"], rule["Destination"]["StorageClass"]) == ("Disabled", "GLACIER")


def test_purge_rules(run_module, s3):
    run_module({**BASE, "rules": [RULE]})
    second = {"id": "second", "priority": 2, "destination": {"bucket": REPLICA}}

    failed, result = run_module({**BASE, "rules": [second], "purge_rules": False})

    assert not failed, result
    assert sorted(r["ID"] for r in stored(s3)["Rules"]) == ["all-to-dr", "second"]

    failed, result = run_module({**BASE, "rules": [second]})

    assert not failed, result
    assert result["changed"] is True
    assert [r["ID"] for r in stored(s3)["Rules"]] == ["second"]


def test_read_only_without_rules(run_module, s3):
    failed, result = run_module({"region": REGION, "bucket": SOURCE})

    assert not failed, result
    assert result == {**result, "changed": False, "replication_configuration": {}}

    run_module({**BASE, "rules": [RULE]})
    failed, result = run_module({"region": REGION, "bucket": SOURCE})

    assert not failed, result
    assert result["changed"] is False
    assert result["replication_configuration"]["rules"][0]["ID"] == "all-to-dr"


def test_absent_deletes_once_and_check_mode_keeps(run_module, s3):
    run_module({**BASE, "rules": [RULE]})
    absent = {"region": REGION, "bucket": SOURCE, "state": "absent"}

    failed, result = run_module(absent, check=True)

    assert not failed, result
    assert result["changed"] is True
    assert stored(s3) is not None

    failed, result = run_module(absent)

    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["after"] == {}
    assert result["diff"]["before"]["role"] == ROLE
    assert stored(s3) is None

    failed, result = run_module(absent)

    assert (failed, result["changed"]) == (False, False)


def test_absent_on_missing_bucket_is_unchanged(run_module, s3):
    failed, result = run_module({"region": REGION, "bucket": "nova-nothing-here", "state": "absent"})

    assert (failed, result["changed"], result["replication_configuration"]) == (False, False, {})


def test_every_problem_reported_before_any_write(run_module, s3):
    make_bucket(REGION, "nova-unversioned", versioned=False)
    rules = [
        {"id": "a", "priority": 1, "destination": {"bucket": "nova-missing-replica"}},
        {"id": "a", "priority": 1, "destination": {"bucket": REPLICA, "storage_class": "standard_ia"}},
    ]

    failed, result = run_module({**BASE, "bucket": "nova-unversioned", "role": "arn:aws:iam::1:role/x", "rules": rules})

    assert failed
    assert [p["field"] for p in result["problems"]] == [
        "bucket",
        "role",
        "rules[1].destination.storage_class",
        "rules[1].id",
        "rules[1].priority",
        "rules[0].destination.bucket",
    ]
    assert result["msg"].startswith("6 problems in the replication settings, nothing was changed in AWS:")
    assert "bucket: nova-unversioned \u2014 has versioning never enabled" in result["msg"]
    assert "rules[0].destination.bucket: nova-missing-replica \u2014 does not exist" in result["msg"]
    assert "did you mean STANDARD_IA?" in result["msg"]
    with pytest.raises(ClientError):
        s3.get_bucket_replication(Bucket="nova-unversioned")


def test_unknown_destination_region_is_refused_before_any_call(run_module, s3):
    rules = [{"id": "a", "priority": 1, "destination": {"bucket": REPLICA}}]

    failed, result = run_module({**BASE, "rules": rules, "destination_region": "moon-1"})

    assert failed
    assert [p["field"] for p in result["problems"]] == ["destination_region"]
    assert "destination_region: moon-1 \u2014 is not an AWS region name. Fix: use an AWS region name" in result["msg"]
    with pytest.raises(ClientError):
        s3.get_bucket_replication(Bucket=SOURCE)


def test_unversioned_destination_read_in_its_region(run_module, s3):
    make_bucket(DR_REGION, "nova-plain-replica", versioned=False)
    rule = {"id": "a", "priority": 1, "destination": {"bucket": "nova-plain-replica"}}

    failed, result = run_module({**BASE, "rules": [rule]})

    assert failed
    assert [p["field"] for p in result["problems"]] == ["rules[0].destination.bucket"]
    assert "has versioning never enabled" in result["problems"][0]["problem"]
    assert stored(s3) is None


def test_buckets_the_caller_read_as_versioned_are_not_read_again(run_module, s3, monkeypatch):
    read = []
    real = s3_bucket_replication.aws_calls.get_bucket_versioning

    def get_bucket_versioning(client, name):
        read.append(name)
        return real(client, name)

    monkeypatch.setattr(s3_bucket_replication.aws_calls, "get_bucket_versioning", get_bucket_versioning)
    failed, result = run_module({**BASE, "destination_region": DR_REGION, "rules": [RULE], "versioned_buckets": [SOURCE]})
    assert not failed, result
    assert read == [REPLICA]
    read.clear()
    failed, result = run_module({**BASE, "rules": [RULE], "versioned_buckets": [SOURCE, REPLICA]})
    assert (failed, result["changed"], read) == (False, False, [])
    assert stored(s3)["Rules"][0]["Destination"]["Bucket"] == REPLICA_ARN


def test_missing_source_bucket(run_module, s3):
    failed, result = run_module({**BASE, "bucket": "nova-no-source", "rules": [RULE]})

    assert failed
    assert [p["field"] for p in result["problems"]] == ["bucket"]
    assert "does not exist (NoSuchBucket)" in result["msg"]

    failed, result = run_module({"region": REGION, "bucket": "nova-no-source"})

    assert failed
    assert "bucket: nova-no-source \u2014 does not exist" in result["msg"]


def test_destination_region_override(run_module, s3):
    failed, result = run_module({**BASE, "destination_region": DR_REGION, "rules": [RULE]})

    assert not failed, result
    assert stored(s3)["Rules"][0]["Destination"]["Bucket"] == REPLICA_ARN


def test_role_without_rules_is_refused(run_module, s3):
    failed, result = run_module(BASE)

    assert failed
    assert "parameters are required together: role, rules" in result["msg"]


def test_replication_time_and_encryption_are_stored(run_module, s3):
    rule = {
        "id": "rtc",
        "priority": 3,
        "destination": {
            "bucket": REPLICA,
            "account": "123456789012",
            "owner_override": True,
            "replication_time": 15,
            "encryption_kms_key_id": "arn:aws:kms:eu-west-1:123456789012:key/k",
        },
    }

    failed, result = run_module({**BASE, "rules": [rule]})

    assert not failed, result
    destination = stored(s3)["Rules"][0]["Destination"]
    assert destination["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
    assert destination["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
    assert destination["AccessControlTranslation"] == {"Owner": "Destination"}
    assert destination["EncryptionConfiguration"] == {"ReplicaKmsKeyID": "arn:aws:kms:eu-west-1:123456789012:key/k"}
    assert run_module({**BASE, "rules": [rule]})[1]["changed"] is False


def _as_aws_returns(self):
    """GetBucketReplication answering with the stored rules, as AWS does.

    moto 5.2.5 answers every rule with Filter {Prefix: ""} and DeleteMarkerReplication Disabled and
    drops SourceSelectionCriteria, whatever was put; this puts back what it stored (parsed from the
    request XML, where a list of tags arrives as repeated Tag elements).
    """
    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    rules = []
    for rule in replication["Rule"]:
        conjunction = dict((rule.get("Filter") or {}).get("And") or {})
        if "Tag" in conjunction:
            tags = conjunction.pop("Tag")
            rule = {**rule, "Filter": {"And": {**conjunction, "Tags": tags if isinstance(tags, list) else [tags]}}}
        rules.append(rule)
    return self.serialized(ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}}))


def test_filters_delete_markers_and_sse_kms_are_idempotent(run_module, s3, monkeypatch):
    monkeypatch.setattr(S3Response, "get_bucket_replication", _as_aws_returns)
    rules = [
        {
            "id": "logs",
            "priority": 10,
            "prefix": "logs/",
            "delete_marker_replication": True,
            "source_selection_criteria": {"sse_kms": True},
            "destination": {"bucket": REPLICA, "encryption_kms_key_id": "arn:aws:kms:eu-west-1:123456789012:key/k"},
        },
        {"id": "audit", "priority": 20, "filter": {"prefix": "audit/", "tags": {"b": "2", "a": "1"}},
         "destination": {"bucket": REPLICA}},
        {"id": "tagged", "priority": 30, "filter": {"tags": {"Retention": "long"}}, "destination": {"bucket": REPLICA}},
    ]

    failed, result = run_module({**BASE, "rules": rules})

    assert not failed, result
    by_id = {r["ID"]: r for r in stored(s3)["Rules"]}
    assert by_id["logs"]["Filter"] == {"Prefix": "logs/"}
    assert by_id["logs"]["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert by_id["logs"]["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert by_id["audit"]["Filter"] == {
        "And": {"Prefix": "audit/", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}
    }
    assert by_id["tagged"]["Filter"] == {"Tag": {"Key": "Retention", "Value": "long"}}

    failed, again = run_module({**BASE, "rules": list(reversed(rules))})

    assert (failed, again["changed"]) == (False, False), again


@pytest.fixture(scope="module")
def sandbox(start_sandbox):
    """The embedded AWS sandbox (moto server), for the retry path under injected faults."""
    return sandboxctl, sandboxctl.endpoint(start_sandbox())


def sandbox_client(url, region):
    return boto3.client(
        "s3", region_name=region, endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def test_throttling_and_server_errors_are_retried(run_module, sandbox):
    sandboxctl, url = sandbox
    sandboxctl.reset(url)
    for region, name in ((DR_REGION, REPLICA), (REGION, SOURCE)):
        client = sandbox_client(url, region)
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    args = {**BASE, "endpoint_url": url, "access_key": "testing", "secret_key": "testing", "rules": [RULE]}
    sandboxctl.configure(url, fault_rate=0.3, fault_kinds="throttle,5xx", seed=1)
    try:
        first = run_module(args)
        second = run_module(args)
        stats = json.loads(urllib.request.urlopen(f"{url}/_nova/stats").read())
    finally:
        sandboxctl.configure(url, fault_rate=0)

    assert stats["faults_injected"] > 0
    assert (first[0], first[1]["changed"]) == (False, True), first
    assert (second[0], second[1]["changed"]) == (False, False), second
    assert stored(client)["Rules"][0]["Destination"] == {"Bucket": REPLICA_ARN, "StorageClass": "STANDARD_IA"}


def test_the_diff_is_returned_only_when_asked(run_module, s3):
    failed, result = run_module({**BASE, "rules": [RULE]}, check=True, diff=False)
    assert not failed, result
    assert result["changed"] is True and "diff" not in result


def test_a_bucket_named_versioned_wrongly_fails_at_the_put_and_writes_nothing(run_module, sandbox):
    """As on AWS (the sandbox): PutBucketReplication refuses an unversioned destination, so a wrong versioned_buckets
    fails at the write with AWS's error, and nothing is stored."""
    sandboxctl, url = sandbox
    sandboxctl.reset(url)
    for region, name, versioned in ((DR_REGION, REPLICA, False), (REGION, SOURCE, True)):
        client = sandbox_client(url, region)
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    args = {**BASE, "endpoint_url": url, "access_key": "testing", "secret_key": "testing", "rules": [RULE]}

    failed, result = run_module({**args, "versioned_buckets": [SOURCE, REPLICA]})

    assert failed and "problems" not in result
    assert result["troubleshooting"]["code"] == "InvalidRequest"
    assert "Destination bucket must have versioning enabled" in result["msg"]
    assert stored(client) is None
    failed, result = run_module(args)
    assert failed and [p["field"] for p in result["problems"]] == ["rules[0].destination.bucket"]
