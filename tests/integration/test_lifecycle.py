"""One lifecycle of the stack in one sandbox, checked three times over (it used to be built three times, by three
files):

preflight -> site -> validate -> az-loss-drill (the FIS template only, then the sandbox drill) -> site.yml again ->
dr-failover (drill, stack kept) -> teardown of both regions, as docs/iam/generate.py records it (the site.yml rerun
is the tests' own, between the recording's steps).

1. The AZ-loss drill (az-loss-drill.yml on the converged stack): one zone is taken away (the sandbox's zone
   control), the other zone's private subnet still routes through its own NAT gateway, the bastion group relaunches
   in the healthy zone, the report says what failed, what held and how long recovery took; the zone is given back,
   site.yml replaces the failed NAT gateway, and the stack audits clean and converges with no change (the rerun, with
   a 2 s run lock that is renewed at the role boundaries). Before it, with the fis injector and no az_drill_run_fis,
   the drill makes the FIS experiment template and impairs nothing.
2. The DR drill (before the teardown): the stack rebuilt in us-east-1, every object copied intact, the replication
   alarms left as they were, a consistent report, and a second drill that changes nothing.
3. docs/iam/<playbook>.json hold exactly the IAM actions each playbook calls: the sandbox's request log, sliced per
   playbook, is mapped to IAM actions (docs/iam/actions.json) and compared with the committed policies both ways.
   The site.yml rerun of (1) and the second drill of (2) fall outside every playbook's slice.
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

PREFIX = "nova-production"
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
        """Run the recording's steps up to and including the next step of `playbook`; all of them when None."""
        for done, segments in self.steps:
            self.segments = segments
            if done == playbook:
                return
        assert playbook is None, f"the recording has no {playbook} step left"


@pytest.fixture(scope="module")
def lifecycle(sandbox, tmp_path_factory):
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    work = tmp_path_factory.mktemp("lifecycle")
    return Lifecycle(generate.record_steps(sandbox.port, sandbox.state_dir, work, seed=seed_objects), work, {})


def bastions(port):
    (group,) = aws(port, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    return [(i["InstanceId"], i["AvailabilityZone"], i["LifecycleState"]) for i in group["Instances"]]


def private_routes(ec2):
    """{zone: (NAT gateway id of 0.0.0.0/0, that gateway's zone, its state)} per private route table."""
    zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in ec2.describe_subnets()["Subnets"]}
    nats = {n["NatGatewayId"]: n for n in ec2.describe_nat_gateways()["NatGateways"]}
    tables = ec2.describe_route_tables(Filters=[{"Name": "tag:Type", "Values": ["Private"]}])["RouteTables"]
    found = {}
    for table in tables:
        (zone,) = {zone_of[a["SubnetId"]] for a in table["Associations"] if a.get("SubnetId")}
        (nat_id,) = [r["NatGatewayId"] for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        found[zone] = (nat_id, zone_of[nats[nat_id]["SubnetId"]], nats[nat_id]["State"])
    return found


@pytest.fixture(scope="module")
def drill(lifecycle, port):
    """The lifecycle's two az-loss-drill.yml steps, the stack looked at before and between them, their report, and
    a site.yml rerun after them (with a 2 s run lock, the settings of the lifecycle's runs) before dr-failover."""
    ec2 = aws(port, "ec2")
    reports = lifecycle.work / "reports"
    lifecycle.run_through("validate")
    before = {"bastions": bastions(port), "routes": private_routes(ec2)}
    # The report directory is the lifecycle's: validate's reports are there already. "reports" lists what the
    # template-only run added to it, as a fresh directory of the drill's own listed all it wrote.
    earlier = {p.name for p in reports.iterdir()} if reports.is_dir() else set()

    # AWS's way first: the template only, nothing taken away.
    lifecycle.run_through("az-loss-drill")
    after_template = {"bastions": bastions(port), "routes": private_routes(ec2),
                      "templates": aws(port, "fis").list_experiment_templates()["experimentTemplates"],
                      "reports": sorted(p.name for p in reports.iterdir() if p.name not in earlier)}

    lifecycle.run_through("az-loss-drill")  # on the sandbox's zone control
    report = json.loads((reports / "az-drill-us-west-2.json").read_text())
    markdown = (reports / "az-drill-us-west-2.md").read_text()
    # The no-op run also shows the run lock's heartbeat: with a 2 s lock, it is renewed at the role boundaries.
    # Outside every playbook's slice of the request log, like test_second_run_changes_nothing's run.
    rerun = run_playbook(port, "site.yml", "-e", "nova_lock_ttl=2", "-e", f"nova_report_dir={reports}",
                         "-e", f"nova_secrets_dir={lifecycle.work / 'secrets'}", "-e", "bastion_access=both")
    return {"port": port, "before": before, "after_template": after_template, "rerun": rerun,
            "report": report, "markdown": markdown}


@pytest.fixture(scope="module")
def failed_over(drill, lifecycle):
    """The stack built in us-west-2, the AZ-loss drill, its buckets seeded, then the dr-failover.yml drill (its DR
    stack kept)."""
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


# The AZ-loss drill, before the DR drill.

def test_without_az_drill_run_fis_the_fis_injector_makes_the_template_and_impairs_nothing(drill):
    after = drill["after_template"]
    assert after["bastions"] == drill["before"]["bastions"]
    assert after["routes"] == drill["before"]["routes"]
    assert after["reports"] == []
    (summary,) = after["templates"]
    lost = drill["before"]["bastions"][0][1]
    assert summary["tags"]["Name"] == f"{PREFIX}-az-loss-{lost}"
    template = aws(drill["port"], "fis").get_experiment_template(id=summary["id"])["experimentTemplate"]
    assert {a["actionId"] for a in template["actions"].values()} == {
        "aws:network:disrupt-connectivity", "aws:ec2:stop-instances", "aws:ec2:asg-insufficient-instance-capacity-error"
    }
    ec2 = aws(drill["port"], "ec2")
    (vpc,) = stack_vpcs(ec2)
    subnets = ec2.describe_subnets(Filters=[{"Name": "availability-zone", "Values": [lost]},
                                            {"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
    assert sorted(template["targets"]["zone-subnets"]["resourceArns"]) == sorted(
        f"arn:aws:ec2:us-west-2:123456789012:subnet/{s['SubnetId']}" for s in subnets["Subnets"]
    )
    assert template["roleArn"].endswith(f":role/{PREFIX}-az-drill-fis")
    assert aws(drill["port"], "fis").list_experiments()["experiments"] == []


def test_report_says_what_failed_what_held_and_the_time_to_recover(drill):
    report = drill["report"]
    (bastion_id, lost, _state), = drill["before"]["bastions"]
    healthy = ({"us-west-2a", "us-west-2b"} - {lost}).pop()
    lost_nat = drill["before"]["routes"][lost][0]
    healthy_nat = drill["before"]["routes"][healthy][0]

    assert report["lost_zone"] == lost and report["fault_injector"] == "sandbox"
    assert 0 < float(report["time_to_recover_seconds"]) < 900
    assert report["checks"] == {"bastion_in_healthy_zone": True, "healthy_zones_route_through_available_nat": True}
    # What failed: the zone, its NAT gateway, its bastion, its private subnet's egress.
    assert report["failed"]["zone_state"] == "impaired" and report["failed"]["zone_messages"]
    assert [(n["nat_gateway_id"], n["state"]) for n in report["failed"]["nat_gateways"]] == [(lost_nat, "failed")]
    assert [i["instance_id"] for i in report["failed"]["instances"]] == [bastion_id]
    assert [(r["zones"], r["status"]) for r in report["failed"]["private_routes"]] == [([lost], "lost")]
    # What held: the other zone's private route through its own, available NAT gateway; a bastion there.
    (held,) = report["held"]["private_routes"]
    assert (held["zones"], held["nat_gateway_id"], held["nat_gateway_zone"], held["nat_gateway_state"]) == (
        [healthy], healthy_nat, healthy, "available"
    )
    assert report["held"]["bastion"]["availability_zone"] == healthy
    activities = [(a["status_code"], a["description"]) for a in report["bastion_activities"]]
    assert ("Successful", f"Terminating EC2 instance: {bastion_id}") in activities
    assert any(status == "Failed" and "InsufficientInstanceCapacity" in text for status, text in activities)
    # The audit saw the loss, and nothing once the zone was back and site.yml had re-converged.
    assert "NOVA-NET-005" in report["audit_during"]["findings"]
    assert report["restore"]["reconverged"] is True
    assert report["restore"]["audit_findings"] == [] and report["restore"]["audit_blocking"] == []
    for heading in ("## What failed", "## What held", "Time to recover", "After the restore and re-converge: no findings"):
        assert heading in drill["markdown"]


def test_bastion_was_relaunched_in_the_healthy_zone(drill):
    (old_id, lost, _state), = drill["before"]["bastions"]
    now = bastions(drill["port"])
    assert len(now) == 1 and now[0][0] != old_id
    assert now[0][1] != lost and now[0][2] == "InService"
    (old,) = aws(drill["port"], "ec2").describe_instances(InstanceIds=[old_id])["Reservations"][0]["Instances"]
    assert old["State"]["Name"] == "terminated"


def test_after_the_restore_every_zone_routes_through_its_own_new_or_kept_nat_gateway(drill):
    ec2 = aws(drill["port"], "ec2")
    (_id, lost, _state), = drill["before"]["bastions"]
    routes = private_routes(ec2)
    assert {zone: (nat_zone, state) for zone, (_n, nat_zone, state) in routes.items()} == {
        "us-west-2a": ("us-west-2a", "available"), "us-west-2b": ("us-west-2b", "available")
    }
    # The lost zone's NAT gateway failed and was replaced by site.yml; the other zone's was never touched.
    assert routes[lost][0] != drill["before"]["routes"][lost][0]
    healthy = ({"us-west-2a", "us-west-2b"} - {lost}).pop()
    assert routes[healthy][0] == drill["before"]["routes"][healthy][0]
    zones = {z["ZoneName"]: z["State"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    assert zones[lost] == "available"
    assert len(stack_vpcs(ec2)) == 1


def test_site_yml_changes_nothing_after_the_drill(drill):
    assert drill["rerun"].returncode == 0, drill["rerun"].failure_messages()
    assert drill["rerun"].changed == 0, drill["rerun"].changed_tasks()


def test_a_run_renews_its_lock_at_the_role_boundaries_once_half_of_it_is_used(drill):
    """The heartbeat (playbooks/tasks/run_lock_renew.yml): the rerun's 2 s lock is renewed, and released at the end."""
    renewals = [
        result
        for play in drill["rerun"].results["plays"]
        for task in play["tasks"]
        if task["task"]["name"].startswith("Renew the run lock once half of its time is used")
        for result in task["hosts"].values()
        if not result.get("skipped")
    ]
    assert renewals and all(r["acquired"] and not r.get("taken_over") for r in renewals)
    assert len({r["run_id"] for r in renewals}) == 1
    item = aws(drill["port"], "dynamodb").get_item(TableName="nova-infra-locks", Key={"lock": {"S": "nova.infra"}})
    assert "Item" not in item


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
