"""dr-failover.yml against the sandbox: the stack rebuilt in us-east-1, every object copied intact, a report."""

from __future__ import annotations

import json

import pytest

from helpers import aws
from helpers import run_playbook
from helpers import stack_vpcs

pytestmark = pytest.mark.integration

SOURCE = "nova-production-{}-123456789012-us-west-2"
DR = "nova-production-{}-123456789012-us-east-1"


@pytest.fixture(scope="module")
def failed_over(sandbox, port, tmp_path_factory):
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    built = run_playbook(port)
    assert built.returncode == 0, built.failure_messages()
    s3 = aws(port, "s3")
    for name in ("app-logs", "backup"):
        for i in range(25):
            s3.put_object(
                Bucket=SOURCE.format(name), Key=f"data/{i:03}.txt", Body=b"x" * (100 + i),
                ContentType="text/plain", Metadata={"origin": name},
            )
    reports = tmp_path_factory.mktemp("reports")
    run = run_playbook(port, "dr-failover.yml", "-e", f"nova_report_dir={reports}")
    assert run.returncode == 0, run.failure_messages()
    return run, reports


def test_dr_stack_is_built_in_us_east_1(failed_over, port):
    ec2 = aws(port, "ec2", "us-east-1")
    assert [v["CidrBlock"] for v in stack_vpcs(ec2)] == ["10.0.0.0/16"]
    assert len([n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] == "available"]) == 2
    assert len(aws(port, "autoscaling", "us-east-1").describe_auto_scaling_groups()["AutoScalingGroups"]) == 1


@pytest.mark.parametrize("name", ["app-logs", "backup"])
def test_every_object_is_copied_intact(failed_over, port, name):
    source, dest = aws(port, "s3"), aws(port, "s3", "us-east-1")
    src = {o["Key"]: o for o in source.list_objects_v2(Bucket=SOURCE.format(name))["Contents"]}
    dst = {o["Key"]: o for o in dest.list_objects_v2(Bucket=DR.format(name))["Contents"]}
    assert set(src) == set(dst)
    for key, obj in src.items():
        assert (dst[key]["ETag"], dst[key]["Size"]) == (obj["ETag"], obj["Size"])
        head = dest.head_object(Bucket=DR.format(name), Key=key)
        assert head["ContentType"] == "text/plain" and head["Metadata"]["origin"] == name
        assert head.get("StorageClass") == "STANDARD_IA"


def test_the_drill_adds_no_replication_alarm_and_leaves_the_primarys_as_they_were(failed_over, port):
    """The DR buckets do not replicate: the drill's monitoring adds no replication alarm, and the primary's (failed
    operations in us-west-2, latency in us-east-1 notifying the topic there) keep their dimensions and actions."""
    found = {}
    for region in ("us-west-2", "us-east-1"):
        alarms = aws(port, "cloudwatch", region).describe_alarms(AlarmNamePrefix="nova-production-replication-")
        found[region] = {a["AlarmName"]: a for a in alarms["MetricAlarms"]}
    kinds = ("app-logs", "backup")
    assert sorted(found["us-west-2"]) == [f"nova-production-replication-failed-{k}" for k in kinds]
    assert sorted(found["us-east-1"]) == [f"nova-production-replication-latency-{k}" for k in kinds]
    for region, topic in (("us-west-2", "nova-production-alarms"), ("us-east-1", "nova-production-alarms-replication")):
        for name, alarm in found[region].items():
            kind = next(k for k in kinds if name.endswith(k))
            assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
                "SourceBucket": SOURCE.format(kind),
                "DestinationBucket": DR.format(kind),
                "RuleId": "replicate-to-us-east-1",
            }
            (action,) = alarm["AlarmActions"]
            assert action == f"arn:aws:sns:{region}:123456789012:{topic}"


def test_report_figures_are_consistent_with_the_run(failed_over):
    _unused, reports = failed_over
    report = json.loads((reports / "dr-us-east-1.json").read_text())
    assert report["objects_copied"] == 50
    assert report["rto_met"] and report["rpo_met"]
    assert 0 < float(report["rto_seconds"]) < 3600
    assert report["rpo_seconds"] is not None and float(report["rpo_seconds"]) >= 0
    assert report["failures"] == [] and report["audit_blocking"] == []
    assert (reports / "dr-us-east-1.md").read_text().startswith("# DR drill")


def test_second_run_changes_nothing(failed_over, port, tmp_path):
    again = run_playbook(port, "dr-failover.yml", "-e", f"nova_report_dir={tmp_path}")
    assert again.returncode == 0, again.failure_messages()
    assert again.changed == 0, again.changed_tasks()
    assert json.loads((tmp_path / "dr-us-east-1.json").read_text())["objects_copied"] == 0
