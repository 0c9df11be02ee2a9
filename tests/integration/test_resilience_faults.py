"""Resilience under faults: site.yml and a DR drill with 30 % of requests throttled or failing with 5xx errors.

The stack is built from nothing with 30 % of requests failing and must come out identical to a build of the same
sandbox without faults (ids normalised to names); then a dr-failover.yml drill under faults, from that stack, must
copy every object intact and build one of each in us-east-1. A strict sandbox of this module's own.
"""

from __future__ import annotations

import pytest
from conftest import sandboxctl
from resilience import DR
from resilience import FAULT_RATE
from resilience import SOURCE
from resilience import described_stack
from resilience import must_pass
from resilience import set_faults

from helpers import aws
from helpers import run_playbook

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def reference(stack_sandbox):
    """The stack built without faults, described with ids normalised to names: what the faulted build must equal."""
    sandboxctl.reset(sandboxctl.endpoint(stack_sandbox))
    must_pass(run_playbook(stack_sandbox.port))
    return described_stack(stack_sandbox.port)


@pytest.fixture(scope="module")
def faulted_build(reference, stack_sandbox):
    """The same stack built again from nothing with 30 % of requests failing."""
    url = sandboxctl.endpoint(stack_sandbox)
    sandboxctl.reset(url)
    set_faults(stack_sandbox, FAULT_RATE)
    run = run_playbook(stack_sandbox.port)
    set_faults(stack_sandbox, 0.0)
    return run, sandboxctl.stats(url)


def test_site_converges_with_30_percent_throttling_and_server_errors(faulted_build):
    run, stats = faulted_build
    must_pass(run)
    # Seeded: the run really met hundreds of faults, of every protocol (EC2, query, JSON, S3).
    assert stats["faults_injected"] >= 0.2 * stats["requests"], stats


def test_faulted_build_is_identical_to_the_reference(reference, faulted_build, stack_sandbox):
    must_pass(faulted_build[0])
    assert described_stack(stack_sandbox.port) == reference


@pytest.fixture(scope="module")
def faulted_drill(faulted_build, stack_sandbox, tmp_path_factory):
    """dr-failover.yml (drill) with faults, from the stack built under faults, with objects in its buckets."""
    must_pass(faulted_build[0])
    s3 = aws(stack_sandbox.port, "s3")
    for name in ("app-logs", "backup"):
        for i in range(15):
            s3.put_object(
                Bucket=SOURCE.format(name),
                Key=f"data/{i:03}.txt",
                Body=bytes([65 + i]) * (200 + i),
                ContentType="text/plain",
                Metadata={"origin": name},
            )
    reports = tmp_path_factory.mktemp("dr-reports")
    set_faults(stack_sandbox, FAULT_RATE)
    run = run_playbook(stack_sandbox.port, "dr-failover.yml", "-e", "dr_mode=drill", "-e", f"nova_report_dir={reports}")
    set_faults(stack_sandbox, 0.0)
    return run, reports


def test_dr_drill_converges_with_faults_and_copies_every_object_intact(faulted_drill, stack_sandbox):
    run, _unused = faulted_drill
    must_pass(run)
    source, dest = aws(stack_sandbox.port, "s3"), aws(stack_sandbox.port, "s3", "us-east-1")
    for name in ("app-logs", "backup"):
        src = {o["Key"]: o for o in source.list_objects_v2(Bucket=SOURCE.format(name))["Contents"]}
        dst = {o["Key"]: o for o in dest.list_objects_v2(Bucket=DR.format(name))["Contents"]}
        assert set(dst) == set(src)
        for key, obj in src.items():
            assert (dst[key]["ETag"], dst[key]["Size"]) == (obj["ETag"], obj["Size"]), key
            body = dest.get_object(Bucket=DR.format(name), Key=key)["Body"].read()
            assert body == source.get_object(Bucket=SOURCE.format(name), Key=key)["Body"].read(), key


def test_dr_stack_built_under_faults_has_one_of_each(faulted_drill, stack_sandbox):
    must_pass(faulted_drill[0])
    ec2 = aws(stack_sandbox.port, "ec2", "us-east-1")
    assert [v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")] == ["10.0.0.0/16"]
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]
    assert len(nats) == 2 and all(n["State"] == "available" for n in nats)
    assert sorted(a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]) == sorted(
        n["NatGatewayAddresses"][0]["AllocationId"] for n in nats
    )
    assert (
        len(aws(stack_sandbox.port, "autoscaling", "us-east-1").describe_auto_scaling_groups()["AutoScalingGroups"])
        == 1
    )
