"""dr-failover.yml when the source region is down: the stack is rebuilt in us-east-1 from the replicas, fast, and
the report says how fresh they are."""

from __future__ import annotations

import json
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from helpers import aws
from helpers import run_playbook
from helpers import stack_vpcs

pytestmark = pytest.mark.integration

BUCKETS = ("app-logs", "backup")
SOURCE = "nova-production-{}-123456789012-us-west-2"
DR = "nova-production-{}-123456789012-us-east-1"


def keys(client, bucket):
    return {o["Key"]: o for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def region_requests(log: Path, skip: int, region: str) -> list[dict]:
    lines = log.read_text().splitlines()[skip:]
    return [entry for entry in map(json.loads, lines) if entry.get("region") == region]


@pytest.fixture(scope="module")
def outage(sandbox, port, tmp_path_factory):
    from conftest import sandboxctl

    url = sandboxctl.endpoint(sandbox)
    sandboxctl.reset(url)
    built = run_playbook(port)
    assert built.returncode == 0, built.failure_messages()

    source, dr = aws(port, "s3"), aws(port, "s3", "us-east-1")
    for name in BUCKETS:
        for i in range(5):
            source.put_object(Bucket=SOURCE.format(name), Key=f"old/{i}.txt", Body=b"o" * (10 + i))
    # The sandbox stores replication rules but never replicates: copy as S3 replication would have.
    for name in BUCKETS:
        for key in keys(source, SOURCE.format(name)):
            dr.copy_object(Bucket=DR.format(name), Key=key, CopySource={"Bucket": SOURCE.format(name), "Key": key})
    replicas = {name: keys(dr, DR.format(name)) for name in BUCKETS}
    time.sleep(1.1)  # LastModified has one-second resolution: the writes below are newer than the replication
    for name in BUCKETS:
        source.put_object(Bucket=SOURCE.format(name), Key="new/lost.txt", Body=b"written after the last replication")
    sources = {name: keys(source, SOURCE.format(name)) for name in BUCKETS}

    log = Path(sandbox.state_dir) / "requests.jsonl"
    skip = len(log.read_text().splitlines())
    sandboxctl.configure(url, down_regions="us-west-2")
    reports = tmp_path_factory.mktemp("reports")
    try:
        run = run_playbook(port, "dr-failover.yml", "-e", "dr_mode=failover", "-e", f"nova_report_dir={reports}")
        to_source = region_requests(log, skip, "us-west-2")
    finally:
        sandboxctl.configure(url, down_regions="")
    assert run.returncode == 0, run.failure_messages()
    return {"run": run, "to_source": to_source, "replicas": replicas, "sources": sources,
            "report": json.loads((reports / "dr-us-east-1.json").read_text()),
            "markdown": (reports / "dr-us-east-1.md").read_text()}


def test_dead_region_is_probed_once_with_a_short_budget(outage):
    # The probe's attempts (dr_probe_aws_config max_attempts 6 retries: 7 requests) and nothing else: the syncs never
    # call the lost region.
    assert 1 <= len(outage["to_source"]) <= 7, outage["to_source"]
    assert {e["action"] for e in outage["to_source"]} == {"ListBuckets"}
    assert {e["status"] for e in outage["to_source"]} == {503}
    # botocore's standard backoff caps the probe's 6 retry sleeps at 1+2+4+8+16+20 s; the rest is task start-up.
    assert task_seconds(outage["run"], "Probe the source region") < 90


def task_seconds(run, name):
    for play in run.results["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].startswith(name):
                duration = task["task"]["duration"]
                return (datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
                        - datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))).total_seconds()
    raise AssertionError(f"no task {name!r} in the run")


def test_dr_stack_is_complete_in_us_east_1(outage, port):
    ec2 = aws(port, "ec2", "us-east-1")
    assert [v["CidrBlock"] for v in stack_vpcs(ec2)] == ["10.0.0.0/16"]
    assert len([n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] == "available"]) == 2
    assert len(aws(port, "autoscaling", "us-east-1").describe_auto_scaling_groups()["AutoScalingGroups"]) == 1
    report = outage["report"]
    assert report["failures"] == [] and report["audit_blocking"] == []


def test_report_says_source_unavailable_and_rpo_is_the_age_of_the_last_replication(outage):
    report = outage["report"]
    assert report["mode"] == "failover" and report["source_region_available"] is False
    assert "503" in report["source_probe_error"] or "ServiceUnavailable" in report["source_probe_error"]
    assert report["objects_copied"] == 0
    # now(utc=true) in the playbook is naive UTC.
    started = datetime.fromisoformat(report["started"]).replace(tzinfo=UTC)
    ages = []
    for name in BUCKETS:
        bucket = report["buckets"][name]
        newest = max(o["LastModified"] for o in outage["replicas"][name].values())
        assert bucket["source_unavailable"] is True and bucket["copied"] == 0
        assert datetime.fromisoformat(bucket["newest_dest_object"]["last_modified"].replace("Z", "+00:00")) == newest
        ages.append((started - newest).total_seconds())
    # The module's clock starts a few seconds after the playbook's (probe and pre-flight come first).
    assert max(ages) <= float(report["rpo_seconds"]) <= max(ages) + 60
    assert report["rpo_met"] is True
    assert "as fresh as the last replication" in report["rpo_note"]
    assert "Source region answering: no" in outage["markdown"]


def test_nothing_was_deleted(outage, port):
    source, dr = aws(port, "s3"), aws(port, "s3", "us-east-1")
    for name in BUCKETS:
        assert keys(dr, DR.format(name)).keys() == outage["replicas"][name].keys()
        assert keys(source, SOURCE.format(name)).keys() == outage["sources"][name].keys()
        assert "new/lost.txt" not in keys(dr, DR.format(name))
