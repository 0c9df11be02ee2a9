"""Cross-region replication is watched against the RPO: site.yml puts S3 Replication Time Control and replication
metrics on the replication rules and alarms on the replication metrics, each in the region where S3 publishes it
(OperationsFailedReplication in the source region, ReplicationLatency in the destination region), notifying a topic
of the alarm's own region. A DR run adds none; teardown removes them in both regions. Read back with boto3."""

from __future__ import annotations

import pytest

from helpers import aws
from helpers import run_playbook

pytestmark = pytest.mark.integration

PRIMARY, DR = "us-west-2", "us-east-1"
BUCKETS = ("app-logs", "backup")
RULE_ID = f"replicate-to-{DR}"
FIFTEEN_MINUTES = {"Minutes": 15}


def bucket(name: str, region: str) -> str:
    return f"nova-production-{name}-123456789012-{region}"


def alarms_of(port: int, region: str) -> dict:
    return {a["AlarmName"]: a for a in aws(port, "cloudwatch", region).describe_alarms()["MetricAlarms"]}


def topic_arn(port: int, region: str, name: str) -> str | None:
    arns = [t["TopicArn"] for t in aws(port, "sns", region).list_topics()["Topics"]]
    return next((arn for arn in arns if arn.split(":")[-1] == name), None)


def replication_alarm_names(port: int) -> dict:
    return {
        region: sorted(name for name in alarms_of(port, region) if name.startswith("nova-production-replication-"))
        for region in (PRIMARY, DR)
    }


@pytest.fixture(scope="module")
def converged(sandbox, port):
    """site.yml run once on an empty sandbox."""
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    run = run_playbook(port)
    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:] or run.stdout[-3000:]
    return run


@pytest.mark.parametrize("name", BUCKETS)
def test_replication_rules_carry_replication_time_control_and_metrics(converged, port, name):
    config = aws(port, "s3", PRIMARY).get_bucket_replication(Bucket=bucket(name, PRIMARY))["ReplicationConfiguration"]
    (rule,) = config["Rules"]
    assert rule["ID"] == RULE_ID
    destination = rule["Destination"]
    assert destination["Bucket"] == f"arn:aws:s3:::{bucket(name, DR)}"
    assert destination["ReplicationTime"] == {"Status": "Enabled", "Time": FIFTEEN_MINUTES}
    assert destination["Metrics"] == {"Status": "Enabled", "EventThreshold": FIFTEEN_MINUTES}


def _dimensions_of_the_rule(port: int, name: str) -> dict:
    """The metric dimensions S3 uses for the bucket's replication rule, from the configuration AWS returns."""
    config = aws(port, "s3", PRIMARY).get_bucket_replication(Bucket=bucket(name, PRIMARY))["ReplicationConfiguration"]
    (rule,) = config["Rules"]
    return {
        "SourceBucket": bucket(name, PRIMARY),
        "DestinationBucket": rule["Destination"]["Bucket"].removeprefix("arn:aws:s3:::"),
        "RuleId": rule["ID"],
    }


@pytest.mark.parametrize("name", BUCKETS)
def test_failed_operations_alarm_in_the_source_region(converged, port, name):
    alarm = alarms_of(port, PRIMARY)[f"nova-production-replication-failed-{name}"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/S3",
        "OperationsFailedReplication",
        "Sum",
    )
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == _dimensions_of_the_rule(port, name)
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["Period"]) == (0.0, "GreaterThanThreshold", 300)
    # The topic every other alarm of the stack notifies.
    assert alarm["AlarmActions"] == [topic_arn(port, PRIMARY, "nova-production-alarms")]


@pytest.mark.parametrize("name", BUCKETS)
def test_latency_alarm_in_the_destination_region_at_the_rpo(converged, port, name):
    alarm = alarms_of(port, DR)[f"nova-production-replication-latency-{name}"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/S3", "ReplicationLatency", "Maximum")
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == _dimensions_of_the_rule(port, name)
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["Period"]) == (3600.0, "GreaterThanThreshold", 300)
    # AWS refuses an alarm action on a topic of another region: the DR region has its own topic.
    (action,) = alarm["AlarmActions"]
    assert action == topic_arn(port, DR, "nova-production-alarms-replication")
    assert action.split(":")[3] == DR


def test_each_replication_alarm_exists_once_in_its_region(converged, port):
    assert replication_alarm_names(port) == {
        PRIMARY: [f"nova-production-replication-failed-{name}" for name in BUCKETS],
        DR: [f"nova-production-replication-latency-{name}" for name in BUCKETS],
    }


def test_second_run_changes_nothing(converged, port):
    run = run_playbook(port)
    assert run.returncode == 0, run.failure_messages()
    assert run.changed == 0, run.changed_tasks()


def test_check_mode_on_the_converged_stack_reports_no_change(converged, port):
    run = run_playbook(port, "site.yml", "--check", "--diff")
    assert run.returncode == 0, run.failure_messages()
    assert run.changed == 0, run.changed_tasks()


def test_a_dr_run_adds_no_replication_alarm_and_keeps_the_primary_ones(converged, port, tmp_path):
    before = {region: alarms_of(port, region) for region in (PRIMARY, DR)}
    run = run_playbook(port, "dr-failover.yml", "-e", f"nova_report_dir={tmp_path}")
    assert run.returncode == 0, run.failure_messages()
    for region in (PRIMARY, DR):
        after = alarms_of(port, region)
        for name, alarm in before[region].items():
            if name.startswith("nova-production-replication-"):
                assert after[name]["AlarmActions"] == alarm["AlarmActions"]
                assert after[name]["Dimensions"] == alarm["Dimensions"]
    assert replication_alarm_names(port) == {
        region: sorted(n for n in before[region] if n.startswith("nova-production-replication-"))
        for region in (PRIMARY, DR)
    }


def test_teardown_removes_the_replication_alarms_and_their_topic_in_both_regions(converged, port):
    run = run_playbook(port, "teardown.yml", "-e", "storage_force_delete=true")
    assert run.returncode == 0, run.failure_messages()
    assert replication_alarm_names(port) == {PRIMARY: [], DR: []}
    assert topic_arn(port, DR, "nova-production-alarms-replication") is None
    assert topic_arn(port, PRIMARY, "nova-production-alarms") is None
