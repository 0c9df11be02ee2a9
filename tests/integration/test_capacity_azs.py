"""AZ selection by instance type offerings (#15): the network role only uses zones that offer the bastion's type.

us-east-1, the DR region, has six available zones, and us-east-1e offers no t3 types (on AWS and in the sandbox,
docs/sandbox.md). dr-failover.yml builds the DR network with the network role in us-east-1, so that role is run
there: with five AZs (the first five available would include us-east-1e) it must skip us-east-1e, and with
network_azs naming us-east-1e it must stop before any write, naming the zone, the type and the zones that work.
The last test runs the whole DR drill (site.yml, then dr-failover.yml over five AZs).
"""

from __future__ import annotations

import json

import pytest
from test_bad_input_matrix import RequestLog
from test_bad_input_matrix import snapshot

from helpers import aws
from helpers import run_playbook
from helpers import tags_of

pytestmark = pytest.mark.integration

PREFIX = "nova-cap"
T3_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"]

NETWORK_IN_US_EAST_1 = """
- name: The DR network (the network role in us-east-1, as dr-failover.yml runs it)
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/nova.infra.aws:
      region: us-east-1
      endpoint_url: "{{ nova_aws_endpoint_url }}"
      access_key: "{{ nova_aws_access_key }}"
      secret_key: "{{ nova_aws_secret_key }}"
  roles:
    - role: nova.infra.network
  post_tasks:
    - name: Write what the role selected
      ansible.builtin.copy:
        dest: "{{ outputs_file }}"
        content: "{{ network_outputs | to_json }}"
        mode: "0600"
"""


def network(tmp_path, port, *variables, prefix=PREFIX, vpc_cidr="10.61.0.0/16"):
    playbook = tmp_path / "network.yml"
    playbook.write_text(NETWORK_IN_US_EAST_1)
    outputs = tmp_path / "outputs.json"
    extra = ["-e", f"nova_name_prefix={prefix}", "-e", f"outputs_file={outputs}", "-e", f"network_vpc_cidr={vpc_cidr}"]
    for variable in variables:
        extra += ["-e", json.dumps(variable)]
    return run_playbook(port, str(playbook), *extra, timeout=600), outputs


def stack_zones(ec2, prefix=PREFIX):
    """The zones of this stack's subnets and NAT gateways, read back independently."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{prefix}-vpc"]}])["Vpcs"]
    if not vpcs:
        return [], []
    vpc_id = vpcs[0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}
    gateways = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    return (
        sorted((tags_of(s).get("Type"), s["AvailabilityZone"]) for s in subnets),
        sorted(zone_of[g["SubnetId"]] for g in gateways if g["State"] != "deleted"),
    )


def test_the_dr_network_over_two_or_five_azs_never_uses_us_east_1e(empty_sandbox, port, tmp_path):
    ec2 = aws(port, "ec2", "us-east-1")
    available = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    assert available[:5] == ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e"]  # the premise

    # One stack per count (its own prefix and VPC block): the first zones that offer t3.micro, in order. Two AZs
    # (the design's) and five (the first five available would include us-east-1e); three and four choose as two does.
    for count in (2, 5):
        prefix = PREFIX if count == 5 else f"{PREFIX}{count}"
        run, outputs = network(tmp_path, port, {"network_az_count": count}, prefix=prefix,
                               vpc_cidr=f"10.{60 + count}.0.0/16")

        assert run.returncode == 0, (count, run.failure_messages() or run.stderr[-3000:])
        assert json.loads(outputs.read_text())["azs"] == T3_ZONES[:count]
        subnets, gateways = stack_zones(ec2, prefix)
        assert sorted(zone for _tier, zone in subnets) == sorted(T3_ZONES[:count] * 2)
        assert gateways == T3_ZONES[:count]

    # A sixth AZ does not exist for t3.micro: refused before any write, the stack as it was.
    log, before = RequestLog(empty_sandbox), snapshot(port)
    run, _unused = network(tmp_path, port, {"network_az_count": 6}, vpc_cidr="10.65.0.0/16")

    assert run.returncode != 0
    (message,) = run.failure_messages()
    assert "network_az_count: 6" in message
    assert "offer instance type t3.micro (bastion_instance_type): 5 (" + ", ".join(T3_ZONES) in message
    assert log.writes() == [] and snapshot(port) == before


def test_network_azs_naming_us_east_1e_is_refused_before_any_write(empty_sandbox, port, tmp_path):
    log, before = RequestLog(empty_sandbox), snapshot(port)

    run, _unused = network(tmp_path, port, {"network_azs": ["us-east-1a", "us-east-1e"]})

    assert run.returncode != 0
    (message,) = run.failure_messages()
    assert "network_azs[1]: us-east-1e" in message
    assert "does not offer instance type t3.micro (bastion_instance_type" in message
    assert "choose from the available zones that offer t3.micro: " + ", ".join(T3_ZONES) in message
    assert "nothing was created in AWS" in message
    assert log.writes() == []
    assert snapshot(port) == before


def test_a_dr_drill_over_five_azs_builds_the_dr_stack_without_us_east_1e(empty_sandbox, port, tmp_path):
    """The whole DR path: site.yml in us-west-2, then dr-failover.yml (drill) with five AZs in us-east-1."""
    built = run_playbook(port)
    assert built.returncode == 0, built.failure_messages()

    drill = run_playbook(port, "dr-failover.yml", "-e", "network_az_count=5", "-e", f"nova_report_dir={tmp_path}")

    assert drill.returncode == 0, drill.failure_messages() or drill.stderr[-3000:]
    ec2 = aws(port, "ec2", "us-east-1")
    subnets, gateways = stack_zones(ec2, "nova-production")
    assert sorted(zone for _tier, zone in subnets) == sorted(T3_ZONES * 2)
    assert gateways == T3_ZONES
    (group,) = aws(port, "autoscaling", "us-east-1").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert [i["AvailabilityZone"] for i in group["Instances"]] and all(
        i["AvailabilityZone"] in T3_ZONES for i in group["Instances"]
    )
    activities = aws(port, "autoscaling", "us-east-1").describe_scaling_activities()["Activities"]
    assert {a["StatusCode"] for a in activities} == {"Successful"}
