"""What the resilience tests share: how a stack is described for comparison, how a run is killed mid-way, and the
invariants a killed or faulted run must keep (test_resilience.py: kills; test_resilience_faults.py: 30 % faults)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import sandboxctl

from helpers import BIN
from helpers import REPO
from helpers import aws
from helpers import inventory_snapshot
from helpers import stack_vpcs
from helpers import tags_of
from helpers import workdir_of

PREFIX = "nova-production"
REGIONS = ("us-west-2", "us-east-1")
FAULT_RATE = 0.3
FAULT_KINDS = "throttle,5xx"
# One seed per CI run, another one by hand: NOVA_FAULT_SEED=7 pytest tests/integration/test_resilience_faults.py
SEED = int(os.environ.get("NOVA_FAULT_SEED", "3"))
SOURCE = "nova-production-{}-123456789012-us-west-2"
DR = "nova-production-{}-123456789012-us-east-1"


# Faults on the first three attempts of a call only: 30 % of first attempts stay faulted, but no call fails because
# all ten of its attempts were (0.3^10 a call, and these runs make thousands: docs/sandbox.md).
FAULT_MAX_ATTEMPT = 3


def set_faults(handle, rate: float) -> None:
    sandboxctl.configure(sandboxctl.endpoint(handle), fault_rate=rate, fault_kinds=FAULT_KINDS, seed=SEED,
                         fault_max_attempt=FAULT_MAX_ATTEMPT if rate else 0)


def must_pass(run) -> None:
    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:] or run.stdout[-3000:]


def _name(resource: dict, fallback: str) -> str:
    return tags_of(resource).get("Name", fallback)


def described_stack(port: int) -> dict:
    """The stack with every id replaced by the Name tag of what it points at, so two builds compare equal."""
    ec2 = aws(port, "ec2")
    names = {}
    vpcs = ec2.describe_vpcs()["Vpcs"]
    subnets = ec2.describe_subnets()["Subnets"]
    igws = ec2.describe_internet_gateways()["InternetGateways"]
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]
    eips = ec2.describe_addresses()["Addresses"]
    tables = ec2.describe_route_tables()["RouteTables"]
    groups = ec2.describe_security_groups()["SecurityGroups"]
    # The S3 gateway endpoint is a route target of the private route tables.
    endpoints = [e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"].lower() != "deleted"]
    for items, key, fallback in (
        (vpcs, "VpcId", "default-vpc"),
        (subnets, "SubnetId", "default-subnet"),
        (igws, "InternetGatewayId", "default-igw"),
        (nats, "NatGatewayId", "untagged-nat"),
        (eips, "AllocationId", "untagged-eip"),
        (tables, "RouteTableId", "untagged-rt"),
        (groups, "GroupId", "untagged-sg"),
        (endpoints, "VpcEndpointId", "untagged-vpce"),
    ):
        for item in items:
            names[item[key]] = _name(item, fallback)
    for group in groups:
        names[group["GroupId"]] = group["GroupName"]
    snapshot = inventory_snapshot(ec2)
    described = {kind: sorted(names.get(i, "?") for i in ids) for kind, ids in snapshot.items()}

    def route_target(route: dict) -> str:
        target = route.get("GatewayId") or route.get("NatGatewayId") or ""
        return names.get(target, target)

    described["route_tables_detail"] = sorted(
        (
            _name(t, "untagged-rt"),
            names[t["VpcId"]],
            tuple(sorted((r.get("DestinationCidrBlock", ""), route_target(r)) for r in t["Routes"])),
            tuple(sorted(names[a["SubnetId"]] for a in t["Associations"] if a.get("SubnetId"))),
        )
        for t in tables
    )
    described["subnets_detail"] = sorted(
        (_name(s, "default-subnet"), s["CidrBlock"], s["AvailabilityZone"], s["MapPublicIpOnLaunch"]) for s in subnets
    )
    described["nats_detail"] = sorted(
        (_name(n, "untagged-nat"), names[n["SubnetId"]], names[n["NatGatewayAddresses"][0]["AllocationId"]])
        for n in nats
    )
    described["eips_associated"] = sorted((_name(a, "untagged-eip"), "AssociationId" in a) for a in eips)
    described["security_group_rules"] = sorted(
        (
            g["GroupName"],
            names[g["VpcId"]],
            tuple(
                sorted(
                    (
                        p["IpProtocol"],
                        p.get("FromPort"),
                        p.get("ToPort"),
                        tuple(sorted(r["CidrIp"] for r in p["IpRanges"])),
                        tuple(sorted(names.get(u["GroupId"], "?") for u in p["UserIdGroupPairs"])),
                    )
                    for p in g["IpPermissions"]
                )
            ),
        )
        for g in groups
    )
    described["tags"] = sorted(
        tuple(sorted(tags_of(r).items())) for r in vpcs + subnets + igws + nats + eips + tables + groups if tags_of(r)
    )
    asg = aws(port, "autoscaling")
    described["auto_scaling_groups"] = sorted(
        (
            g["AutoScalingGroupName"],
            g["MinSize"],
            g["MaxSize"],
            g["DesiredCapacity"],
            len(g["Instances"]),
            g["LaunchTemplate"]["LaunchTemplateName"],
            tuple(sorted(names[s] for s in g["VPCZoneIdentifier"].split(","))),
        )
        for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]
    )
    described["launch_templates"] = sorted(
        (t["LaunchTemplateName"], t["LatestVersionNumber"]) for t in ec2.describe_launch_templates()["LaunchTemplates"]
    )
    described["key_pairs"] = sorted(k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"])
    described["flow_logs"] = sorted(
        (names[f["ResourceId"]], f["LogDestination"], f["TrafficType"]) for f in ec2.describe_flow_logs()["FlowLogs"]
    )
    described["alarms"] = sorted(a["AlarmName"] for a in aws(port, "cloudwatch").describe_alarms()["MetricAlarms"])
    for region in ("us-west-2", "us-east-1"):
        s3 = aws(port, "s3", region)
        described[f"buckets_{region}"] = sorted(
            (
                b["Name"],
                s3.get_bucket_versioning(Bucket=b["Name"]).get("Status"),
                tuple(sorted(s3.get_public_access_block(Bucket=b["Name"])["PublicAccessBlockConfiguration"].items())),
                s3.get_bucket_policy(Bucket=b["Name"])["Policy"],
            )
            for b in s3.list_buckets()["Buckets"]
        )
    return described


def kill_after(
    handle, playbook: str, action: str, nth: int = 1, timeout: float = 600, args: tuple = (), break_lock: bool = True
) -> None:
    """Run `playbook` (with `args`) and SIGKILL its process group right after the nth successful `action` (e.g.
    "ec2:CreateVpc"). The killed run leaves its run lock (nova.infra.run_lock) until it expires; with `break_lock`
    it is then broken, as the operator who killed it would (docs/production.md#run-lock), so the next run goes on.

    The sandbox is cut off right after that request (POST /_nova/cut: every later AWS request is refused) until the
    kill has landed, so the run has made nothing after it however long the kill takes on a loaded machine: the
    next NAT gateway's CreateNatGateway follows the first by ~40 ms."""
    log = handle.state_dir / "requests.jsonl"
    offset = log.stat().st_size if log.exists() else 0
    workdir = workdir_of(handle.port)
    # Mitogen's socket (nova.infra.fast), which a killed run leaves behind, in a directory of its own that goes after
    # the kill instead of in the system's /tmp for good (a short path: a socket's must fit in 108 bytes).
    sockets = tempfile.mkdtemp(prefix="nova-kill-")
    env = dict(os.environ)
    env.update(
        # The same key and report directories as run_playbook() gives this sandbox's runs.
        PWD=str(workdir),
        TMPDIR=sockets,
        NOVA_SANDBOX_PORT=str(handle.port),
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    service, name = action.split(":")
    # Own session, so one killpg reaches the forked workers and the module process too, as a kill -9 of the
    # controller's process tree (an OOM kill, a CI runner timing out) would.
    url = sandboxctl.endpoint(handle)
    sandboxctl.cut(url, action, nth)
    proc = subprocess.Popen(
        [str(BIN / "ansible-playbook"), playbook, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    seen = 0
    deadline = time.monotonic() + timeout
    try:
        with open(log, encoding="utf-8") as stream:
            stream.seek(offset)
            pending = ""
            while seen < nth:
                assert proc.poll() is None, f"{playbook} ended (rc {proc.returncode}) before {nth} x {action}"
                assert time.monotonic() < deadline, f"no {nth} x {action} within {timeout} s"
                pending += stream.read()
                *lines, pending = pending.split("\n")
                for line in lines:
                    entry = json.loads(line)
                    if (entry["service"], entry["action"], entry["status"]) == (service, name, 200):
                        seen += 1
                        if seen == nth:
                            break
                else:
                    time.sleep(0.02)
        _kill_tree(proc.pid)
    finally:
        if proc.poll() is None:
            _kill_tree(proc.pid)
        proc.wait()
        sandboxctl.cut(url, None)
        shutil.rmtree(sockets, ignore_errors=True)
    if break_lock:
        break_run_lock(handle.port)


def break_run_lock(port: int, region: str = "us-west-2") -> None:
    """Remove the run lock of the region whoever holds it (nova.infra.run_lock state=broken)."""
    dynamodb = aws(port, "dynamodb", region)
    with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.delete_item(TableName="nova-infra-locks", Key={"lock": {"S": "nova.infra"}})


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc: Mitogen's multiplexer (the nova.infra.fast strategy) runs in a
    session of its own, out of the reach of a killpg of the controller's group."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _kill_tree(pid: int) -> None:
    """SIGKILL the controller's process group and every process below it, as a kill -9 of the whole tree would."""
    below = _descendants(pid)
    os.killpg(pid, signal.SIGKILL)
    for child in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def assert_no_duplicates(port: int) -> None:
    """Whatever a killed run left: at most one of each resource, and no Elastic IP without its NAT gateway
    once the NAT gateways exist."""
    ec2 = aws(port, "ec2")
    vpcs = stack_vpcs(ec2)
    assert len(vpcs) <= 1, [tags_of(v) for v in vpcs]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [v["VpcId"] for v in vpcs] or ["none"]}])
    cidrs = [s["CidrBlock"] for s in subnets["Subnets"]]
    assert len(cidrs) == len(set(cidrs)) <= 4, cidrs
    assert len(ec2.describe_internet_gateways()["InternetGateways"]) <= 1
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]
    assert len({n["SubnetId"] for n in nats}) == len(nats) <= 2, nats
    eip_names = [tags_of(a).get("Name") for a in ec2.describe_addresses()["Addresses"]]
    assert len(eip_names) == len(set(eip_names)) <= 2 and None not in eip_names, eip_names
    table_names = [tags_of(t).get("Name") for t in ec2.describe_route_tables()["RouteTables"]]
    named = [n for n in table_names if n]
    assert len(named) == len(set(named)), table_names
    groups = [(g["VpcId"], g["GroupName"]) for g in ec2.describe_security_groups()["SecurityGroups"]]
    assert len(groups) == len(set(groups)), groups
    assert len(ec2.describe_launch_templates()["LaunchTemplates"]) <= 1
    assert len(ec2.describe_key_pairs()["KeyPairs"]) <= 1
    assert len(aws(port, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]) <= 1


def assert_converged(port: int) -> None:
    """Exactly the design's resources: one of each, every Elastic IP used by its NAT gateway."""
    ec2 = aws(port, "ec2")
    (vpc,) = stack_vpcs(ec2)
    assert tags_of(vpc)["Name"] == f"{PREFIX}-vpc" and tags_of(vpc)["Stack"] == PREFIX
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    assert sorted(tags_of(s)["Type"] for s in subnets) == ["Private", "Private", "Public", "Public"]
    (igw,) = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])[
        "InternetGateways"
    ]
    assert len(ec2.describe_internet_gateways()["InternetGateways"]) == 1, "a detached internet gateway"
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]
    public = {s["SubnetId"] for s in subnets if tags_of(s)["Type"] == "Public"}
    assert len(nats) == 2 and {n["SubnetId"] for n in nats} == public
    assert all(n["State"] == "available" for n in nats)
    addresses = ec2.describe_addresses()["Addresses"]
    assert [a for a in addresses if not a.get("AssociationId")] == [], "an unassociated Elastic IP"
    assert sorted(a["AllocationId"] for a in addresses) == sorted(
        n["NatGatewayAddresses"][0]["AllocationId"] for n in nats
    )
    tables = ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
    assert sorted(tags_of(t).get("Name") for t in tables) == sorted(
        [f"{PREFIX}-main-rt", f"{PREFIX}-public-rt"]
        + [f"{PREFIX}-private-rt-{s['AvailabilityZone']}" for s in subnets if tags_of(s)["Type"] == "Private"]
    )
    groups = ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    assert sorted(g["GroupName"] for g in groups) == ["default", f"{PREFIX}-bastion-sg", f"{PREFIX}-private-sg"]
    (group,) = aws(port, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert group["AutoScalingGroupName"] == f"{PREFIX}-bastion-asg" and len(group["Instances"]) == 1
    running = [
        i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"] if i["State"]["Name"] == "running"
    ]
    assert [i["InstanceId"] for i in running] == [group["Instances"][0]["InstanceId"]]
    assert [t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]] == [
        f"{PREFIX}-bastion-lt"
    ]
    assert [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]] == [f"{PREFIX}-bastion-key"]
    assert tags_of(igw)["Name"] == f"{PREFIX}-igw"


def assert_nothing_left(port: int) -> None:
    for region in REGIONS:
        ec2 = aws(port, "ec2", region)
        assert stack_vpcs(ec2) == [], region
        assert ec2.describe_addresses()["Addresses"] == [], region
        assert ec2.describe_internet_gateways()["InternetGateways"] == [], region
        assert [
            n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] not in ("deleted", "deleting")
        ] == []
        assert [
            i
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] not in ("terminated", "shutting-down")
        ] == [], region
        assert ec2.describe_launch_templates()["LaunchTemplates"] == [], region
        assert ec2.describe_key_pairs()["KeyPairs"] == [], region
        assert ec2.describe_flow_logs()["FlowLogs"] == [], region
        assert [g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"] == []
        assert aws(port, "autoscaling", region).describe_auto_scaling_groups()["AutoScalingGroups"] == [], region
        assert aws(port, "cloudwatch", region).describe_alarms()["MetricAlarms"] == [], region
        assert aws(port, "s3", region).list_buckets()["Buckets"] == [], region


# The kill points of the chain, in the order site.yml reaches them; each rerun goes one step further.
