"""One lifecycle of the stack in one sandbox, checked twice over (it used to be built twice, by two files):

preflight -> site -> validate -> az-loss-drill (the FIS template only, then the sandbox drill) -> dr-failover (drill,
stack kept) -> teardown of both regions, as docs/iam/generate.py records it.

1. The DR drill (before the teardown): the stack rebuilt in us-east-1, every object copied intact, the replication
   alarms left as they were, a consistent report, and a second drill that changes nothing.
2. docs/iam/<playbook>.json hold exactly the IAM actions each playbook calls: the sandbox's request log, sliced per
   playbook, is mapped to IAM actions (docs/iam/actions.json) and compared with the committed policies both ways.
   The second drill of (1) falls outside every playbook's slice.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import REPO
from helpers import aws
from helpers import run_playbook
from helpers import stack_vpcs

pytestmark = pytest.mark.integration

SOURCE = "nova-production-{}-123456789012-us-west-2"
DR = "nova-production-{}-123456789012-us-east-1"


def _load_generator():
    spec = importlib.util.spec_from_file_location("iam_generate", REPO / "docs" / "iam" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


def seed_objects(port):
    """25 objects in each primary bucket, with a content type and metadata the copies must keep."""
    s3 = aws(port, "s3")
    for name in ("app-logs", "backup"):
        for i in range(25):
            s3.put_object(
                Bucket=SOURCE.format(name), Key=f"data/{i:03}.txt", Body=b"x" * (100 + i),
                ContentType="text/plain", Metadata={"origin": name},
            )


@dataclass
class Lifecycle:
    steps: object
    work: Path
    segments: dict

    def run_through(self, playbook: str | None = None) -> None:
        """Run the recording's steps up to and including the first step of `playbook`; all of them when None."""
        for done, segments in self.steps:
            self.segments = segments
            if done == playbook:
                return


@pytest.fixture(scope="module")
def lifecycle(sandbox, tmp_path_factory):
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    work = tmp_path_factory.mktemp("lifecycle")
    return Lifecycle(generate.record_steps(sandbox.port, sandbox.state_dir, work, seed=seed_objects), work, {})


@pytest.fixture(scope="module")
def failed_over(lifecycle):
    """The stack built in us-west-2, its buckets seeded, then the dr-failover.yml drill (its DR stack kept)."""
    lifecycle.run_through("dr-failover")
    return None, lifecycle.work / "reports"


@pytest.fixture(scope="module")
def recording(failed_over, lifecycle, sandbox):
    """The whole recording: the lifecycle run to its end (both teardowns), with the request log and the segments."""
    lifecycle.run_through()
    out = lifecycle.work
    shutil.copy(sandbox.state_dir / "requests.jsonl", out / "requests.jsonl")
    (out / "segments.json").write_text(json.dumps(lifecycle.segments))
    return out


# The DR drill, before the teardown.

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


def test_second_run_changes_nothing(failed_over, lifecycle, port, tmp_path):
    secrets = lifecycle.work / "secrets"  # the key pair the first runs generated
    # The settings of the first run (docs/iam/generate.py records with bastion_access=both).
    again = run_playbook(port, "dr-failover.yml", "-e", f"nova_report_dir={tmp_path}", "-e", f"nova_secrets_dir={secrets}",
                         "-e", "bastion_access=both")
    assert again.returncode == 0, again.failure_messages()
    assert again.changed == 0, again.changed_tasks()
    assert json.loads((tmp_path / "dr-us-east-1.json").read_text())["objects_copied"] == 0


# The IAM policies, from the whole recording.


def test_every_playbook_left_its_slice_of_the_request_log(recording):
    segments = json.loads((recording / "segments.json").read_text())
    assert set(segments) == set(generate.PLAYBOOKS)
    assert len(segments["teardown"]) == 2  # both regions
    for playbook, spans in segments.items():
        assert all(end > first for first, end in spans), playbook


def test_committed_policies_match_the_actions_called(recording):
    problems = generate.compare(recording)
    assert problems == [], (
        "\n".join(problems) + "\nRegenerate: .venv/bin/python docs/iam/generate.py record && "
        ".venv/bin/python docs/iam/generate.py write .sandbox/iam-recording (and map new operations first)"
    )


def test_a_policy_missing_a_called_action_fails(recording, tmp_path):
    for path in (REPO / "docs" / "iam").glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    site = json.loads((tmp_path / "site.json").read_text())
    everything = next(s for s in site["Statement"] if s["Sid"] == "Everything")
    everything["Action"].remove("ec2:CreateNatGateway")
    everything["Action"].append("ec2:DeleteVpc")
    (tmp_path / "site.json").write_text(json.dumps(site))
    problems = set(generate.compare(recording, policy_dir=tmp_path)) - set(generate.compare(recording))
    assert problems == {
        "site: ec2:CreateNatGateway is called but missing from docs/iam/site.json",
        "site: ec2:DeleteVpc is in docs/iam/site.json but never called "
        "(and not a documented extra in docs/iam/actions.json)",
    }


def test_extras_are_explained_and_the_only_uncalled_actions(recording):
    mapping = generate.load_mapping()
    wanted, _unused = generate.expected_policies(recording, {**mapping, "extras": []})
    for extra in mapping["extras"]:
        assert extra["why"] and set(extra["playbooks"]) <= set(generate.PLAYBOOKS), extra
        held = generate.policy_actions(json.loads((REPO / "docs" / "iam" / f"{extra['playbooks'][0]}.json").read_text()))
        assert extra["action"] in held
    for playbook in generate.PLAYBOOKS:
        held = generate.policy_actions(json.loads((REPO / "docs" / "iam" / f"{playbook}.json").read_text()))
        assert held - wanted[playbook] == generate.extras_of(playbook, mapping) - wanted[playbook], playbook


def test_policies_are_scoped_to_the_stack(recording):
    for playbook in generate.PLAYBOOKS:
        document = json.loads((REPO / "docs" / "iam" / f"{playbook}.json").read_text())
        for statement in document["Statement"]:
            assert statement["Condition"]["StringEquals"]["aws:RequestedRegion"] == ["us-west-2", "us-east-1"]
            if statement["Resource"] == "*":
                assert not any(a.startswith("s3:") and a != "s3:ListAllMyBuckets" and "Account" not in a
                               for a in statement["Action"]), playbook
                assert "iam:PassRole" not in statement["Action"]
