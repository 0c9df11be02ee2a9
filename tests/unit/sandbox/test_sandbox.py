"""Tests of the AWS sandbox: control API, request accounting, faults, AWS-alignment patches.

One sandbox per module on a free port, driven through boto3 exactly like the
collection's modules drive it.
"""

from __future__ import annotations

import json
import signal
import socket
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox import sandboxctl

REGION = "us-west-2"


@pytest.fixture(scope="module")
def sandbox(start_sandbox):
    return start_sandbox()


@pytest.fixture
def url(sandbox):
    """Endpoint of a clean sandbox: no faults, no latency, no state, zeroed stats."""
    url = sandboxctl.endpoint(sandbox)
    sandboxctl.configure(url, latency_ms=0, fault_rate=0.0, fault_kinds="throttle,5xx", seed=None)
    sandboxctl.reset(url)
    return url


def client(url, service, attempts=1, mode="standard"):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": mode, "total_max_attempts": attempts}),
    )


def make_bucket(s3, name):
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})


# ---------------------------------------------------------------- control API


def test_dispatcher_remembers_each_hosts_service_and_answers_as_moto_does():
    """The sandbox remembers moto's host-to-service lookup (a directory listing and a pattern scan under a lock,
    once per request in moto): the same service for each host, computed once."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.moto_server.werkzeug_app import create_backend_app

    from sandbox import server

    plain = DomainDispatcherApplication(create_backend_app)
    remembered = server.memoized_dispatcher(create_backend_app)
    hosts = ["s3.us-east-1.amazonaws.com", "ec2.us-west-2.amazonaws.com", "monitoring.us-west-2.amazonaws.com",
             "sts.amazonaws.com", "s3control", "autoscaling.us-east-1.amazonaws.com"]
    for host in hosts + hosts:
        assert remembered.get_backend_for_host(host) == plain.get_backend_for_host(host)
    assert sorted(remembered.backend_by_host) == sorted(hosts)
    assert remembered.get_backend_for_host(None) is None


@pytest.mark.parametrize("value", ["2026-12-05T02:30:00Z", "2026-12-05T02:30:00.000Z", "2026-12-05T02:30:00.123Z",
                                   "2026-12-05T02:30:00.123456Z", "2026-12-05T02:30:00+00:00", "2026-12-05T04:30:00+02:00",
                                   "2026-13-05T02:30:00.000Z", 1733366400, "1733366400.5"])
def test_moto_reads_timestamps_fast_and_to_the_same_instant(value, monkeypatch):
    """The sandbox's serialiser reads AWS's ISO 8601 UTC form with the standard library: the same datetime as
    botocore's parser, which still reads every other form (and rejects what it rejects)."""
    from botocore.utils import parse_to_aware_datetime
    from moto.core import serialize

    from sandbox import server

    monkeypatch.setattr(serialize, "parse_to_aware_datetime", parse_to_aware_datetime)
    try:
        expected = parse_to_aware_datetime(value)
    except ValueError:
        expected = ValueError
    server.fast_timestamps()
    assert serialize.parse_to_aware_datetime.fast
    if expected is ValueError:
        with pytest.raises(ValueError):
            serialize.parse_to_aware_datetime(value)
    else:
        assert serialize.parse_to_aware_datetime(value) == expected


def test_health_reports_moto_version_and_settings(url):
    doc = sandboxctl.health(url)
    assert doc["status"] == "ok"
    assert doc["moto"] == "5.2.5"
    assert {"latency_ms", "fault_rate", "fault_kinds", "seed"} <= doc.keys()


def test_start_reuses_a_running_sandbox(sandbox, url):
    again = sandboxctl.start(port=sandbox.port, state_dir=sandbox.state_dir)
    assert again.pid == sandbox.pid


def test_down_with_a_port_stops_the_sandbox_on_that_port_only(tmp_path, monkeypatch, capsys):
    """`sandboxctl.py down --port N` stops the sandbox on N, not the one the default state directory's pid file names."""
    kept = sandboxctl.start(port=None, state_dir=tmp_path / "kept")
    other = sandboxctl.start(port=None, state_dir=tmp_path / "other")
    try:
        monkeypatch.setenv("NOVA_SANDBOX_DIR", str(kept.state_dir))
        monkeypatch.delenv("NOVA_SANDBOX_PORT", raising=False)
        assert sandboxctl.main(["down", "--port", str(other.port)]) == 0
        assert f"sandbox stopped (pid {other.pid})" in capsys.readouterr().out
        assert sandboxctl.health(sandboxctl.endpoint(other)) is None
        assert sandboxctl.health(sandboxctl.endpoint(kept))["pid"] == kept.pid
        assert (kept.state_dir / "sandbox.pid").read_text().strip() == str(kept.pid)
        assert sandboxctl.main(["down", "--port", str(other.port)]) == 0  # already stopped: nothing else touched
        assert (kept.state_dir / "sandbox.pid").exists()
        assert sandboxctl.main(["down"]) == 0  # the default: the last `up` port of the state directory
        assert sandboxctl.health(sandboxctl.endpoint(kept)) is None
    finally:
        sandboxctl.stop(other)
        sandboxctl.stop(kept)


def test_a_process_reaped_between_the_signal_and_the_proc_read_is_gone(monkeypatch):
    """Signal 0 reaches a zombie; its reaper (the forkserver) may take it before /proc/PID/stat is read. Gone, not
    alive: stop() took it for alive and failed with ProcessLookupError on its SIGKILL (CI, stop 36)."""
    pid = 4194304 + 4242  # above any pid_max: no /proc entry
    answers = [None]  # the first signal 0 reaches it; every later one finds no such process

    def kill(target, sig):
        assert (target, sig) == (pid, 0)
        if not answers:
            raise ProcessLookupError(target)
        answers.pop()

    monkeypatch.setattr(sandboxctl.os, "kill", kill)
    assert sandboxctl._alive(pid) is False  # pylint: disable=protected-access


def test_stop_survives_a_sandbox_that_exits_as_it_is_killed(tmp_path, monkeypatch):
    """A sandbox still alive at the deadline may exit before the SIGKILL lands: stop() reports it stopped."""
    sent = []

    def kill(pid, sig):
        sent.append(sig)
        if sig == signal.SIGKILL:
            raise ProcessLookupError(pid)

    monkeypatch.setattr(sandboxctl, "_alive", lambda pid: True)
    monkeypatch.setattr(sandboxctl, "STOP_TIMEOUT_S", 0.0)
    monkeypatch.setattr(sandboxctl.os, "kill", kill)
    assert sandboxctl.stop(sandboxctl.Handle(pid=4194304 + 4243, port=1, state_dir=tmp_path)) is True
    assert sent == [signal.SIGTERM, signal.SIGKILL]


def test_free_ports_are_below_the_ephemeral_range_and_free():
    """No outgoing connection takes a picked port as its source port before the sandbox binds it."""
    floor = int(open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii").read().split()[0])
    for _pick in range(20):
        port = sandboxctl.free_port()
        assert sandboxctl.PORT_FLOOR <= port < floor
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_picked_port_bound_by_another_before_the_server_is_picked_again(tmp_path, monkeypatch):
    """The window between free_port() and the server's bind: a port taken in it costs another pick, not the start."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))  # bound, not listening: the start's in-use probe cannot see it
        taken = squatter.getsockname()[1]
        picks = iter([taken, sandboxctl.free_port()])
        monkeypatch.setattr(sandboxctl, "free_port", lambda: next(picks))
        handle = sandboxctl.start(port=None, state_dir=tmp_path)
        try:
            assert handle.port != taken and next(picks, None) is None
            assert sandboxctl.health(sandboxctl.endpoint(handle))["pid"] == handle.pid
            assert "Address already in use" in (tmp_path / "sandbox.log").read_text()
        finally:
            sandboxctl.stop(handle)


def test_a_port_asked_for_and_bound_by_another_fails_the_start_naming_why(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        with pytest.raises(sandboxctl.SandboxError, match="Address already in use"):
            sandboxctl.start(port=squatter.getsockname()[1], state_dir=tmp_path)


def test_start_fails_clearly_when_port_taken_by_something_else(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(sandboxctl.SandboxError, match="not a nova sandbox"):
            sandboxctl.start(port=port, state_dir=tmp_path)


def test_invalid_config_is_rejected(url):
    with pytest.raises(sandboxctl.SandboxError, match="fault_kinds"):
        sandboxctl.configure(url, fault_kinds="throttle,meteor")
    assert sandboxctl.health(url)["fault_kinds"] == ["throttle", "5xx"]


def test_control_endpoints_are_not_counted(url):
    sandboxctl.health(url)
    sandboxctl.configure(url, latency_ms=0)
    assert sandboxctl.stats(url)["requests"] == 0


# ---------------------------------------------------------------- accounting


def test_stats_name_requests_by_service_and_api_action(url, sandbox):
    ec2, s3, sts = client(url, "ec2"), client(url, "s3"), client(url, "sts")
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    ec2.describe_vpcs()
    sts.get_caller_identity()
    make_bucket(s3, "nova-stats")
    s3.head_bucket(Bucket="nova-stats")
    s3.put_bucket_versioning(Bucket="nova-stats", VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket="nova-stats", PublicAccessBlockConfiguration={"BlockPublicAcls": True, "BlockPublicPolicy": True}
    )
    s3.get_public_access_block(Bucket="nova-stats")
    s3.put_object(Bucket="nova-stats", Key="dir/a.txt", Body=b"a")
    s3.copy_object(Bucket="nova-stats", Key="b.txt", CopySource={"Bucket": "nova-stats", "Key": "dir/a.txt"})
    s3.get_object(Bucket="nova-stats", Key="dir/a.txt")["Body"].read()
    s3.head_object(Bucket="nova-stats", Key="b.txt")
    s3.list_objects_v2(Bucket="nova-stats")
    s3.list_object_versions(Bucket="nova-stats")
    s3.delete_objects(Bucket="nova-stats", Delete={"Objects": [{"Key": "b.txt"}]})
    s3.delete_object(Bucket="nova-stats", Key="dir/a.txt")

    got = sandboxctl.stats(url)
    assert got["by_action"] == {
        "ec2:CreateVpc": 1,
        "ec2:DescribeVpcs": 1,
        "sts:GetCallerIdentity": 1,
        "s3:CreateBucket": 1,
        "s3:HeadBucket": 1,
        "s3:PutBucketVersioning": 1,
        "s3:PutPublicAccessBlock": 1,
        "s3:GetPublicAccessBlock": 1,
        "s3:PutObject": 1,
        "s3:CopyObject": 1,
        "s3:GetObject": 1,
        "s3:HeadObject": 1,
        "s3:ListObjectsV2": 1,
        "s3:ListObjectVersions": 1,
        "s3:DeleteObjects": 1,
        "s3:DeleteObject": 1,
    }
    assert got["requests"] == 16 and got["faults_injected"] == 0

    # Every name is a real API operation of that service (what IAM policies are derived from).
    for name in got["by_action"]:
        service, action = name.split(":")
        assert action in client(url, service).meta.service_model.operation_names

    log = [json.loads(line) for line in (sandbox.state_dir / "requests.jsonl").read_text().splitlines()]
    last = log[-1]
    assert (last["service"], last["action"], last["region"], last["status"], last["fault"]) == (
        "s3", "DeleteObject", REGION, 204, None,
    )
    assert {"ts", "service", "action", "region", "status", "fault"} == last.keys()


def test_json_protocol_action_comes_from_target_header(url):
    client(url, "logs").describe_log_groups()
    client(url, "ssm").describe_parameters()
    assert sandboxctl.stats(url)["by_action"] == {"logs:DescribeLogGroups": 1, "ssm:DescribeParameters": 1}


def test_stats_reset(url):
    client(url, "sts").get_caller_identity()
    assert sandboxctl.stats(url, reset=True)["requests"] == 1
    assert sandboxctl.stats(url) == {"requests": 0, "faults_injected": 0, "by_action": {}, "dry_runs": {}}


def test_a_buckets_request_payment_is_its_owners_until_set_as_on_aws(url):
    """GetBucketRequestPayment says BucketOwner for a new bucket; PutBucketRequestPayment sets Requester and back; any
    other payer is MalformedXML; a missing bucket is NoSuchBucket; the bucket's listing is untouched."""
    s3 = client(url, "s3")
    make_bucket(s3, "nova-payer")
    assert s3.get_bucket_request_payment(Bucket="nova-payer")["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket="nova-payer", RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket="nova-payer")["Payer"] == "Requester"
    with pytest.raises(ClientError, match="MalformedXML"):
        s3.put_bucket_request_payment(Bucket="nova-payer", RequestPaymentConfiguration={"Payer": "Nobody"})
    assert s3.get_bucket_request_payment(Bucket="nova-payer")["Payer"] == "Requester"
    s3.put_bucket_request_payment(Bucket="nova-payer", RequestPaymentConfiguration={"Payer": "BucketOwner"})
    assert s3.get_bucket_request_payment(Bucket="nova-payer")["Payer"] == "BucketOwner"
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.get_bucket_request_payment(Bucket="nova-no-such-bucket")
    assert s3.list_objects_v2(Bucket="nova-payer")["KeyCount"] == 0
    assert sandboxctl.stats(url)["by_action"]["s3:PutBucketRequestPayment"] == 3


def test_the_reset_endpoint_returns_the_counters_it_zeroed(url):
    """POST /_nova/stats/reset reads and zeroes in one step (a playbook's uri task counts the task before it)."""
    client(url, "sts").get_caller_identity()
    request = urllib.request.Request(f"{url}/_nova/stats/reset", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        taken = json.loads(response.read())
    assert taken == {"requests": 1, "faults_injected": 0, "by_action": {"sts:GetCallerIdentity": 1}, "dry_runs": {}}
    assert sandboxctl.stats(url)["requests"] == 0


def test_stats_count_dry_runs_apart(url):
    sandboxctl.stats(url, reset=True)
    ec2 = client(url, "ec2")
    with pytest.raises(ClientError, match="DryRunOperation"):
        ec2.create_vpc(CidrBlock="10.9.0.0/16", DryRun=True)
    ec2.describe_vpcs()
    counted = sandboxctl.stats(url)
    assert counted["by_action"] == {"ec2:CreateVpc": 1, "ec2:DescribeVpcs": 1}
    assert counted["dry_runs"] == {"ec2:CreateVpc": 1}


# ---------------------------------------------------------------- fault injection

CALLS = {
    "ec2": lambda c: c.describe_vpcs(),
    "sts": lambda c: c.get_caller_identity(),
    "iam": lambda c: c.list_roles(),
    "logs": lambda c: c.describe_log_groups(),
    "s3": lambda c: c.list_buckets(),
}
THROTTLE_CODES = {
    "ec2": (503, "RequestLimitExceeded"),
    "sts": (400, "Throttling"),
    "iam": (400, "Throttling"),
    "logs": (400, "ThrottlingException"),
    "s3": (503, "SlowDown"),
}


@pytest.mark.parametrize("service", sorted(CALLS))
def test_throttle_has_aws_shape_and_is_retried(url, service):
    sandboxctl.configure(url, fault_rate=1.0, fault_kinds="throttle", seed=1)
    with pytest.raises(ClientError) as err:
        CALLS[service](client(url, service, attempts=2))
    response = err.value.response
    assert (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]) == THROTTLE_CODES[service]
    assert response["ResponseMetadata"]["RetryAttempts"] == 1  # botocore retried it
    assert sandboxctl.stats(url)["faults_injected"] == 2


@pytest.mark.parametrize("service", ["ec2", "sts", "logs", "s3"])
def test_server_errors_have_aws_shape_and_are_retried(url, service):
    sandboxctl.configure(url, fault_rate=1.0, fault_kinds="5xx", seed=2)
    with pytest.raises(ClientError) as err:
        CALLS[service](client(url, service, attempts=2))
    response = err.value.response
    assert (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]) in {
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
    }
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_faulted_request_never_reaches_moto(url):
    ec2 = client(url, "ec2")
    before = len(ec2.describe_vpcs()["Vpcs"])
    sandboxctl.configure(url, fault_rate=1.0)
    with pytest.raises(ClientError):
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
    sandboxctl.configure(url, fault_rate=0.0)
    assert len(ec2.describe_vpcs()["Vpcs"]) == before


def test_calls_succeed_through_moderate_faults_with_standard_retries(url):
    sandboxctl.configure(url, fault_rate=0.3, seed=3)
    sts = client(url, "sts", attempts=10)
    for _unused in range(10):
        assert sts.get_caller_identity()["Account"]
    assert sandboxctl.stats(url)["faults_injected"] > 0


def test_seed_makes_fault_sequence_reproducible(url):
    def outcomes():
        sandboxctl.configure(url, fault_rate=0.5, seed=42)
        sts, result = client(url, "sts"), []
        for _unused in range(20):
            try:
                sts.get_caller_identity()
                result.append(None)
            except ClientError as exc:
                result.append(exc.response["Error"]["Code"])
        return result

    first = outcomes()
    assert first == outcomes()
    assert None in first and set(first) - {None}


def test_latency_setting_is_reported_and_requests_still_succeed(url):
    assert sandboxctl.configure(url, latency_ms=20)["latency_ms"] == 20
    assert sandboxctl.health(url)["latency_ms"] == 20
    assert client(url, "sts").get_caller_identity()["Account"]


# ---------------------------------------------------------------- reset


def test_reset_wipes_aws_state_and_stats(url):
    s3 = client(url, "s3")
    make_bucket(s3, "nova-reset")
    sandboxctl.reset(url)
    assert s3.list_buckets()["Buckets"] == []
    assert sandboxctl.stats(url)["by_action"] == {"s3:ListBuckets": 1}


# ---------------------------------------------------------------- AWS alignment


@pytest.fixture
def network(url):
    ec2 = client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return ec2, vpc, subnet


def test_nat_gateway_and_eip_tags_use_aws_resource_types(network):
    ec2, _unused, subnet = network
    allocation = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "eip"}]}]
    )["AllocationId"]
    nat = ec2.create_nat_gateway(
        SubnetId=subnet,
        AllocationId=allocation,
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "nat"}]}],
    )["NatGateway"]["NatGatewayId"]
    assert nat.startswith("nat-") and allocation.startswith("eipalloc-")  # ID generation untouched

    for resource_id, resource_type, name in [(nat, "natgateway", "nat"), (allocation, "elastic-ip", "eip")]:
        tags = ec2.describe_tags(
            Filters=[
                {"Name": "resource-id", "Values": [resource_id]},
                {"Name": "resource-type", "Values": [resource_type]},
            ]
        )["Tags"]
        assert tags == [{"Key": "Name", "Value": name, "ResourceId": resource_id, "ResourceType": resource_type}]


def test_flow_log_to_s3_with_key_prefix(url, network):
    ec2, vpc, _unused = network
    make_bucket(client(url, "s3"), "nova-flow-logs")
    destination = "arn:aws:s3:::nova-flow-logs/AWSLogs/"
    created = ec2.create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3", LogDestination=destination
    )
    assert created["Unsuccessful"] == [] and len(created["FlowLogIds"]) == 1
    (flow_log,) = ec2.describe_flow_logs(FlowLogIds=created["FlowLogIds"])["FlowLogs"]
    assert flow_log["LogDestination"] == destination and flow_log["LogDestinationType"] == "s3"

    # As on AWS, the bucket must exist.
    missing = ec2.create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
        LogDestination="arn:aws:s3:::nova-no-such-bucket/AWSLogs/",
    )
    assert missing["FlowLogIds"] == [] and len(missing["Unsuccessful"]) == 1


def offered_zones(ec2, instance_type):
    pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
        LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": [instance_type]}]
    )
    return {offering["Location"] for page in pages for offering in page["InstanceTypeOfferings"]}


def test_auto_scaling_launches_are_scaling_activities_and_an_unoffered_type_fails_as_on_aws(url):
    """AWS: CreateAutoScalingGroup succeeds, the launch into a zone without the type is a Failed activity."""
    ec2, autoscaling = client(url, "ec2"), client(url, "autoscaling")
    vpc = ec2.create_vpc(CidrBlock="10.21.0.0/16")["Vpc"]["VpcId"]
    subnets = {
        zone: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for zone, cidr in [
            ("us-west-2a", "10.21.0.0/24"), ("us-west-2b", "10.21.1.0/24"), ("us-west-2c", "10.21.2.0/24")
        ]
    }
    image = sandboxctl.amazon_linux_image_id(ec2)
    rare = "p5e.48xlarge"
    assert offered_zones(ec2, rare) == {"us-west-2c"}  # moto's offerings data, the premise of this test
    for name, instance_type in [("everywhere", "t3.micro"), ("rare", rare)]:
        ec2.create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData={"ImageId": image, "InstanceType": instance_type}
        )

    def group(name, template, zones):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateName": template, "Version": "$Latest"},
            MinSize=1, MaxSize=1, DesiredCapacity=1, VPCZoneIdentifier=",".join(subnets[z] for z in zones),
        )
        (described,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        activities = autoscaling.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
        return [i["AvailabilityZone"] for i in described["Instances"]], activities

    zones, activities = group("ok", "everywhere", ["us-west-2a", "us-west-2b"])
    assert zones == ["us-west-2a"]
    assert [(a["StatusCode"], json.loads(a["Details"])["Availability Zone"]) for a in activities] == [
        ("Successful", "us-west-2a")
    ]
    assert activities[0]["Description"].startswith("Launching a new EC2 instance: i-")

    zones, activities = group("nowhere", "rare", ["us-west-2a", "us-west-2b"])
    assert zones == []
    assert [(a["StatusCode"], json.loads(a["Details"])) for a in activities] == [
        ("Failed", {"Subnet ID": subnets["us-west-2b"], "Availability Zone": "us-west-2b"}),
        ("Failed", {"Subnet ID": subnets["us-west-2a"], "Availability Zone": "us-west-2a"}),
    ]
    assert activities[0]["StatusMessage"] == (
        "Could not launch On-Demand Instances. Unsupported - Your requested instance type (p5e.48xlarge) is not "
        "supported in your requested Availability Zone (us-west-2b). Please retry your request by not specifying an "
        "Availability Zone or choosing us-west-2c. Launching EC2 instance failed."
    )
    reason = activities[0]["StatusMessage"]
    assert activities[0]["Description"] == "Launching a new EC2 instance.  Status Reason: " + reason

    # The group tries its other zones: the launch lands where the type is offered.
    zones, activities = group("elsewhere", "rare", ["us-west-2a", "us-west-2c"])
    assert zones == ["us-west-2c"]
    assert [a["StatusCode"] for a in activities] == ["Successful", "Failed"]

    newest = autoscaling.describe_scaling_activities(MaxRecords=1)["Activities"]
    assert [a["AutoScalingGroupName"] for a in newest] == ["elsewhere"]


def test_us_east_1e_offers_no_t3_types_and_refuses_a_t3_launch_as_on_aws(url):
    """AWS: us-east-1e offers no t3 instance types; RunInstances there answers Unsupported and launches nothing."""
    ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    assert "us-east-1e" in zones  # available, only without t3
    for instance_type in ("t3.micro", "t3.nano", "t3.large"):
        offered = offered_zones(ec2, instance_type)
        assert "us-east-1e" not in offered and {"us-east-1a", "us-east-1f"} <= offered, instance_type
    assert "us-east-1e" in offered_zones(ec2, "t2.micro")

    vpc = ec2.create_vpc(CidrBlock="10.22.0.0/16")["Vpc"]["VpcId"]
    subnets = {
        zone: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for zone, cidr in [("us-east-1e", "10.22.0.0/24"), ("us-east-1f", "10.22.1.0/24")]
    }
    image = sandboxctl.amazon_linux_image_id(ec2)
    ec2.create_launch_template(LaunchTemplateName="t3", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})
    attempts = [
        {"InstanceType": "t3.micro", "SubnetId": subnets["us-east-1e"]},
        {"InstanceType": "t3.micro", "Placement": {"AvailabilityZone": "us-east-1e"}},
        {"LaunchTemplate": {"LaunchTemplateName": "t3"}, "SubnetId": subnets["us-east-1e"]},
    ]
    for attempt in attempts:
        request = {"ImageId": image, "MinCount": 1, "MaxCount": 1, **attempt}
        with pytest.raises(ClientError) as refused:
            ec2.run_instances(**request)
        assert refused.value.response["Error"]["Code"] == "Unsupported"
        assert refused.value.response["Error"]["Message"] == (
            "Your requested instance type (t3.micro) is not supported in your requested Availability Zone (us-east-1e)."
            " Please retry your request by not specifying an Availability Zone or choosing us-east-1a, us-east-1b,"
            " us-east-1c, us-east-1d, us-east-1f."
        )
    assert ec2.describe_instances()["Reservations"] == []
    launched = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                 SubnetId=subnets["us-east-1f"])["Instances"]
    assert [i["Placement"]["AvailabilityZone"] for i in launched] == ["us-east-1f"]
    # t2 is offered in us-east-1e.
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t2.micro", SubnetId=subnets["us-east-1e"])


def test_ssm_managed_policy_launch_template_profile_and_version_deletion_as_on_aws(url):
    """AWS: AmazonSSMManagedInstanceCore is attachable in every account; an instance launched from a template gets
    its IamInstanceProfile; DeleteLaunchTemplateVersions deletes all but the default version."""
    iam, ec2 = client(url, "iam"), client(url, "ec2")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="ssm", AssumeRolePolicyDocument=json.dumps(trust))
    policy = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    iam.attach_role_policy(RoleName="ssm", PolicyArn=policy)
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="ssm")["AttachedPolicies"]] == [policy]
    profile = iam.create_instance_profile(InstanceProfileName="ssm")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="ssm", RoleName="ssm")

    image = sandboxctl.amazon_linux_image_id(ec2)
    ec2.create_launch_template(LaunchTemplateName="ssm-lt", LaunchTemplateData={
        "ImageId": image, "InstanceType": "t3.micro", "IamInstanceProfile": {"Arn": profile}})
    (instance,) = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "ssm-lt"})["Instances"]
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert described["IamInstanceProfile"]["Arn"] == profile

    ec2.create_launch_template_version(LaunchTemplateName="ssm-lt", LaunchTemplateData={"ImageId": image})
    answer = ec2.delete_launch_template_versions(LaunchTemplateName="ssm-lt", Versions=["1", "2"])
    assert [v["VersionNumber"] for v in answer["SuccessfullyDeletedLaunchTemplateVersions"]] == [2]
    (refused,) = answer["UnsuccessfullyDeletedLaunchTemplateVersions"]
    assert (refused["VersionNumber"], refused["ResponseError"]["Code"]) == (1, "launchTemplateVersionIsDefaultVersion")
    versions = ec2.describe_launch_template_versions(LaunchTemplateName="ssm-lt")["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in versions] == [1]
    ec2.delete_launch_template(LaunchTemplateName="ssm-lt")


def test_a_launch_templates_own_tags_are_not_in_its_data_as_on_aws(url):
    """AWS: CreateLaunchTemplate's TagSpecifications (launch-template) tag the template; its version's data keeps only
    the tags for what is launched from it. Tags added later with CreateTags show in DescribeLaunchTemplates."""
    ec2 = client(url, "ec2")
    instance_tags = {"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "bastion"}]}
    template = ec2.create_launch_template(
        LaunchTemplateName="tagged-lt",
        LaunchTemplateData={"InstanceType": "t3.micro", "TagSpecifications": [instance_tags]},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Name", "Value": "tagged-lt"}]}],
    )["LaunchTemplate"]
    assert template["Tags"] == [{"Key": "Name", "Value": "tagged-lt"}]
    (version,) = ec2.describe_launch_template_versions(LaunchTemplateName="tagged-lt")["LaunchTemplateVersions"]
    assert version["LaunchTemplateData"] == {"InstanceType": "t3.micro", "TagSpecifications": [instance_tags]}
    ec2.create_tags(Resources=[template["LaunchTemplateId"]], Tags=[{"Key": "Owner", "Value": "ops"}])
    (described,) = ec2.describe_launch_templates(LaunchTemplateNames=["tagged-lt"])["LaunchTemplates"]
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"Name": "tagged-lt", "Owner": "ops"}
    ec2.delete_launch_template(LaunchTemplateName="tagged-lt")


def test_service_quotas_answer_the_nat_gateway_and_vcpu_quotas_with_aws_defaults(url):
    quotas = client(url, "service-quotas")
    for service, code, name in [
        ("vpc", "L-FE5A380F", "NAT gateways per Availability Zone"),
        ("ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"),
    ]:
        applied = quotas.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]
        default = quotas.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]
        assert (applied["QuotaName"], applied["Value"]) == (name, 5.0)
        assert default["Value"] == 5.0


def test_ec2_dry_run_answers_dry_run_operation_and_writes_nothing(url):
    ec2 = client(url, "ec2")
    before = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    with pytest.raises(ClientError) as caught:
        ec2.create_vpc(CidrBlock="10.9.0.0/16", DryRun=True)
    assert caught.value.response["Error"]["Code"] == "DryRunOperation"
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]] == before


def test_tls_only_bucket_policy_does_not_block_requests_as_on_aws(url):
    """Requests to AWS travel over TLS, so a deny on aws:SecureTransport=false never applies to them."""
    s3 = client(url, "s3")
    bucket = "tls-only-bucket"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    s3.put_object(Bucket=bucket, Key="allowed", Body=b"1")
    statement["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="denied", Body=b"1")


def test_replication_needs_versioning_on_both_sides_as_on_aws(url):
    """PutBucketReplication is refused (InvalidRequest, nothing stored) unless the source and the destination have
    versioning Enabled; moto stored any configuration."""
    s3 = boto3.client("s3", region_name="us-west-2", endpoint_url=url, aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    for name in ("nova-repl-src", "nova-repl-dst"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    configuration = {"Role": "arn:aws:iam::123456789012:role/r", "Rules": [
        {"ID": "r", "Priority": 1, "Status": "Enabled", "Filter": {}, "DeleteMarkerReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": "arn:aws:s3:::nova-repl-dst"}}]}
    messages = []
    for enable in ("nova-repl-src", "nova-repl-dst"):
        with pytest.raises(ClientError) as refused:
            s3.put_bucket_replication(Bucket="nova-repl-src", ReplicationConfiguration=configuration)
        assert refused.value.response["Error"]["Code"] == "InvalidRequest"
        messages.append(refused.value.response["Error"]["Message"])
        s3.put_bucket_versioning(Bucket=enable, VersioningConfiguration={"Status": "Enabled"})
    assert messages == ["Versioning must be 'Enabled' on the bucket to apply a replication configuration",
                        "Destination bucket must have versioning enabled."]
    s3.put_bucket_replication(Bucket="nova-repl-src", ReplicationConfiguration=configuration)
    assert s3.get_bucket_replication(Bucket="nova-repl-src")["ReplicationConfiguration"]["Rules"][0]["ID"] == "r"


def test_down_region_answers_service_unavailable(url):
    sandboxctl.configure(url, down_regions="us-west-2")
    try:
        with pytest.raises(ClientError) as caught:
            client(url, "ec2").describe_vpcs()
        assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
        east = boto3.client("ec2", region_name="us-east-1", endpoint_url=url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
        east.describe_vpcs()
    finally:
        sandboxctl.configure(url, down_regions="")


def test_a_deleted_alarm_takes_its_tags_with_it(url):
    """As on AWS: an alarm created again under the same name (the same ARN) starts untagged (docs/sandbox.md)."""
    cloudwatch = client(url, "cloudwatch")
    alarm = dict(AlarmName="nova-test-cpu", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                 Period=300, EvaluationPeriods=1, Threshold=80.0, ComparisonOperator="GreaterThanThreshold")
    cloudwatch.put_metric_alarm(**alarm, Tags=[{"Key": "Project", "Value": "nova"}])
    (arn,) = [a["AlarmArn"] for a in cloudwatch.describe_alarms()["MetricAlarms"]]
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "Project", "Value": "nova"}]
    cloudwatch.put_metric_alarm(**alarm)  # an update keeps the tags
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "Project", "Value": "nova"}]
    cloudwatch.delete_alarms(AlarmNames=["nova-test-cpu"])
    cloudwatch.put_metric_alarm(**alarm)
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == []


def test_security_groups_are_found_by_an_ipv6_rule_as_on_aws(url):
    """moto raised NotImplementedError (a 500) for both filters."""
    ec2 = client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    open_group, closed_group = (ec2.create_security_group(GroupName=n, Description=n, VpcId=vpc)["GroupId"]
                                for n in ("open", "closed"))
    ec2.authorize_security_group_ingress(GroupId=open_group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=closed_group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]}])

    def found(name, value):
        groups = ec2.describe_security_groups(Filters=[{"Name": name, "Values": [value]}])["SecurityGroups"]
        return sorted(g["GroupId"] for g in groups if g["VpcId"] == vpc)

    assert found("ip-permission.ipv6-cidr", "::/0") == [open_group]
    assert found("ip-permission.ipv6-cidr", "2001:db8::/32") == [closed_group]
    ec2.authorize_security_group_egress(GroupId=closed_group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/48"}]}])
    assert found("egress.ip-permission.ipv6-cidr", "2001:db8::/48") == [closed_group]


def test_a_cut_refuses_every_request_after_the_nth_success_until_cleared(url):
    """A test's kill point (resilience.kill_after): the run killed there has made nothing after it, however late the
    kill lands."""
    ec2 = client(url, "ec2")
    sandboxctl.cut(url, "ec2:CreateVpc", 2)
    first = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.describe_vpcs(VpcIds=[first])  # another action does not count
    ec2.create_vpc(CidrBlock="10.2.0.0/16")
    for call in (lambda: ec2.create_vpc(CidrBlock="10.3.0.0/16"), ec2.describe_vpcs):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert sandboxctl.stats(url)["by_action"]["ec2:CreateVpc"] == 3
    sandboxctl.cut(url, None)
    cidrs = sorted(v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"])
    assert cidrs == ["10.1.0.0/16", "10.2.0.0/16"]


@pytest.mark.parametrize("change", [{"action": "CreateVpc"}, {"action": "ec2:CreateVpc", "nth": 0}, {"action": 5}])
def test_a_bad_cut_is_refused(url, change):
    with pytest.raises(sandboxctl.SandboxError, match="HTTP 400"):
        sandboxctl.cut(url, change["action"], change.get("nth", 1))


def test_faults_spare_the_attempts_after_fault_max_attempt(url):
    """At fault_rate 1.0 a call fails after all its attempts; with fault_max_attempt 2 its third attempt goes
    through (botocore numbers them in its amz-sdk-request header)."""
    sandboxctl.configure(url, fault_rate=1.0, fault_kinds="throttle", seed=1, fault_max_attempt=2)
    try:
        ec2 = client(url, "ec2", attempts=3)
        assert ec2.describe_vpcs()["Vpcs"] is not None
        assert sandboxctl.stats(url)["faults_injected"] == 2
        with pytest.raises(ClientError):
            client(url, "ec2", attempts=2).describe_vpcs()
    finally:
        sandboxctl.configure(url, fault_rate=0.0, fault_max_attempt=0)
    with pytest.raises(sandboxctl.SandboxError, match="fault_max_attempt"):
        sandboxctl.configure(url, fault_max_attempt=-1)
