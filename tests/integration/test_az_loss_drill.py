"""az-loss-drill.yml on a converged stack: one zone is taken away (the sandbox's zone control), the other zone's
private subnet still routes through its own NAT gateway, the bastion group relaunches in the healthy zone, the report
says what failed, what held and how long recovery took; the zone is given back, site.yml replaces the failed NAT
gateway, and the stack audits clean and converges with no change. Also: with the fis injector and no
az_drill_run_fis the drill makes the FIS experiment template and impairs nothing."""

from __future__ import annotations

import json

import pytest

from helpers import aws
from helpers import run_playbook
from helpers import stack_vpcs

pytestmark = pytest.mark.integration

PREFIX = "nova-production"


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
def drill(stack_sandbox, tmp_path_factory):
    port = stack_sandbox.port
    built = run_playbook(port)
    assert built.returncode == 0, built.failure_messages()
    ec2 = aws(port, "ec2")
    before = {"bastions": bastions(port), "routes": private_routes(ec2)}

    # AWS's way first: the template only, nothing taken away.
    reports = tmp_path_factory.mktemp("reports")
    template_only = run_playbook(port, "az-loss-drill.yml", "-e", "az_drill_fault_injector=fis",
                                 "-e", f"nova_report_dir={reports}")
    assert template_only.returncode == 0, template_only.failure_messages()
    after_template = {"bastions": bastions(port), "routes": private_routes(ec2),
                      "templates": aws(port, "fis").list_experiment_templates()["experimentTemplates"],
                      "reports": sorted(p.name for p in reports.iterdir())}

    run = run_playbook(port, "az-loss-drill.yml", "-e", f"nova_report_dir={reports}")
    assert run.returncode == 0, run.failure_messages()
    # The no-op run also shows the run lock's heartbeat: with a 2 s lock, it is renewed at the role boundaries.
    rerun = run_playbook(port, "site.yml", "-e", "nova_lock_ttl=2")
    return {"port": port, "before": before, "after_template": after_template, "run": run, "rerun": rerun,
            "report": json.loads((reports / "az-drill-us-west-2.json").read_text()),
            "markdown": (reports / "az-drill-us-west-2.md").read_text()}


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
