"""The whole stack of the design, built by site.yml in the sandbox and read back independently with boto3.

The stack is built the way most users receive the collection: the tarball `ansible-galaxy collection build` makes,
installed into an empty collections path, its playbooks run as `ansible-playbook nova.infra.site` (then
nova.infra.preflight, nova.infra.validate, nova.infra.teardown) from a directory outside the repository
(helpers.install_collection, run_installed). The other runs are the repository's own (site.yml, validate.yml,
teardown.yml from its root) on the same stack, so each path is checked against the other: same stack, changed=0."""

from __future__ import annotations

import ipaddress
import json

import diagram_checks
import pytest

from helpers import aws
from helpers import inventory_snapshot
from helpers import run_installed
from helpers import run_playbook
from helpers import stack_vpcs
from helpers import tags_of

pytestmark = pytest.mark.integration

COMMON_TAGS = {"Project": "nova", "Environment": "production", "ManagedBy": "ansible", "Stack": "nova-production"}


@pytest.fixture(scope="module")
def converged(sandbox, port, installed_collection):
    """nova.infra.site of the installed collection run once on an empty sandbox, from outside the repository."""
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    run = run_installed(port, installed_collection, "site")
    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:] or run.stdout[-3000:]
    return run


@pytest.fixture(scope="module")
def ec2(port):
    return aws(port, "ec2")


def _has_common_tags(resource: dict) -> bool:
    tags = tags_of(resource)
    return all(tags.get(key) == value for key, value in COMMON_TAGS.items()) and "Name" in tags


def test_one_vpc_with_the_design_cidr(converged, ec2):
    vpcs = stack_vpcs(ec2)
    assert [vpc["CidrBlock"] for vpc in vpcs] == ["10.0.0.0/16"]
    assert _has_common_tags(vpcs[0])
    assert tags_of(vpcs[0])["Name"] == "nova-production-vpc"


def test_four_subnets_over_two_available_azs(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert len(subnets) == 4
    available = {
        az["ZoneName"] for az in ec2.describe_availability_zones()["AvailabilityZones"] if az["State"] == "available"
    }
    by_type = {"Public": [], "Private": []}
    for subnet in subnets:
        assert _has_common_tags(subnet)
        assert subnet["AvailabilityZone"] in available
        assert ipaddress.ip_network(subnet["CidrBlock"]).subnet_of(ipaddress.ip_network("10.0.0.0/16"))
        by_type[tags_of(subnet)["Type"]].append(subnet)
    for tier, expect_public_ip in (("Public", True), ("Private", False)):
        assert len(by_type[tier]) == 2
        assert len({s["AvailabilityZone"] for s in by_type[tier]}) == 2
        assert all(s["MapPublicIpOnLaunch"] is expect_public_ip for s in by_type[tier])
    networks = [ipaddress.ip_network(s["CidrBlock"]) for s in subnets]
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])


def test_internet_gateway_attached(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"
    ]
    assert len(igws) == 1
    assert _has_common_tags(igws[0])


def test_one_nat_gateway_per_az_each_with_its_own_eip(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    public_subnets = {
        s["SubnetId"]: s["AvailabilityZone"]
        for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Public"]}]
        )["Subnets"]
    }
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]
    assert len(nats) == 2
    assert {n["SubnetId"] for n in nats} == set(public_subnets)
    assert all(n["State"] == "available" and _has_common_tags(n) for n in nats)
    allocation_ids = [n["NatGatewayAddresses"][0]["AllocationId"] for n in nats]
    assert len(set(allocation_ids)) == 2

    addresses = ec2.describe_addresses()["Addresses"]
    assert sorted(a["AllocationId"] for a in addresses) == sorted(allocation_ids), "an EIP is allocated but unused"
    assert all(_has_common_tags(a) for a in addresses)


def test_private_route_tables_use_their_own_az_nat_never_the_igw(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    subnet_az = {s["SubnetId"]: s["AvailabilityZone"] for s in ec2.describe_subnets()["Subnets"]}
    nat_az = {
        n["NatGatewayId"]: subnet_az[n["SubnetId"]]
        for n in ec2.describe_nat_gateways()["NatGateways"]
        if n["State"] == "available"
    }
    private_rts = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Private"]}]
    )["RouteTables"]
    assert len(private_rts) == 2
    private_subnets = {
        s["SubnetId"]
        for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Private"]}]
        )["Subnets"]
    }
    associated = set()
    for table in private_rts:
        assert _has_common_tags(table)
        subnets = [a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")]
        assert len(subnets) == 1
        associated.update(subnets)
        assert not [r for r in table["Routes"] if r.get("GatewayId", "").startswith("igw-")]
        default = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(default) == 1
        assert nat_az[default[0]["NatGatewayId"]] == subnet_az[subnets[0]], "routes through another AZ's NAT"
    assert associated == private_subnets


def test_public_route_table_routes_to_the_igw(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Public"]}]
    )["RouteTables"]
    assert len(tables) == 1
    default = [r for r in tables[0]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert default and default[0]["GatewayId"].startswith("igw-")
    assert len([a for a in tables[0]["Associations"] if a.get("SubnetId")]) == 2


def test_default_security_group_has_no_rules(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    (group,) = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert group["IpPermissions"] == []
    assert group["IpPermissionsEgress"] == []


def test_bastion_security_groups_allow_ssh_only_as_designed(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    groups = {
        g["GroupName"]: g
        for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    }
    bastion, private = groups["nova-production-bastion-sg"], groups["nova-production-private-sg"]
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"]) for p in bastion["IpPermissions"]] == [("tcp", 22, 22)]
    assert [r["CidrIp"] for r in bastion["IpPermissions"][0]["IpRanges"]] == ["203.0.113.0/24"]
    assert bastion["IpPermissions"][0]["Ipv6Ranges"] == []
    (rule,) = private["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 22, 22)
    assert rule["IpRanges"] == [] and rule["Ipv6Ranges"] == []
    assert [pair["GroupId"] for pair in rule["UserIdGroupPairs"]] == [bastion["GroupId"]]
    for group in groups.values():
        for permission in group["IpPermissions"]:
            assert not any(r["CidrIp"] == "0.0.0.0/0" for r in permission["IpRanges"]), group["GroupName"]
    assert _has_common_tags(bastion) and _has_common_tags(private)


def test_bastion_runs_self_healing_on_amazon_linux_with_imdsv2(converged, ec2, port):
    (group,) = aws(port, "autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["nova-production-bastion-asg"]
    )["AutoScalingGroups"]
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 2, 1)
    assert group["LaunchTemplate"]["LaunchTemplateName"] == "nova-production-bastion-lt"
    public = {
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "tag:Type", "Values": ["Public"]}])["Subnets"]
    }
    assert set(group["VPCZoneIdentifier"].split(",")) == public
    instance_ids = [i["InstanceId"] for i in group["Instances"]]
    assert len(instance_ids) == 1
    (instance,) = ec2.describe_instances(InstanceIds=instance_ids)["Reservations"][0]["Instances"]
    assert instance["State"]["Name"] == "running"
    assert instance["InstanceType"] == "t3.micro"
    assert instance["SubnetId"] in public
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert instance["KeyName"] == "nova-production-bastion-key"
    (image,) = ec2.describe_images(ImageIds=[instance["ImageId"]])["Images"]
    assert image["Name"].startswith("al2023-ami-")
    (version,) = ec2.describe_launch_template_versions(LaunchTemplateName="nova-production-bastion-lt")[
        "LaunchTemplateVersions"
    ]
    (root,) = version["LaunchTemplateData"]["BlockDeviceMappings"]
    assert root["Ebs"]["Encrypted"] is True
    assert version["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] == "required"
    assert _has_common_tags(instance)


def test_key_pair_imported_from_a_real_public_key(converged, ec2):
    (key,) = ec2.describe_key_pairs(KeyNames=["nova-production-bastion-key"])["KeyPairs"]
    assert _has_common_tags(key)


BUCKETS = [
    ("nova-production-app-logs-123456789012-us-west-2", "us-west-2"),
    ("nova-production-backup-123456789012-us-west-2", "us-west-2"),
    ("nova-production-app-logs-123456789012-us-east-1", "us-east-1"),
    ("nova-production-backup-123456789012-us-east-1", "us-east-1"),
]


@pytest.mark.parametrize("bucket, region", BUCKETS)
def test_every_bucket_is_private_encrypted_versioned_and_tls_only(converged, port, bucket, region):
    s3 = aws(port, "s3", region)
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert any(
        st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for st in policy["Statement"]
    )
    location = s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] or "us-east-1"
    assert location == region
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert all(tags.get(k) == v for k, v in COMMON_TAGS.items())


def test_account_level_block_public_access_is_on(converged, port):
    config = aws(port, "s3control").get_public_access_block(AccountId="123456789012")["PublicAccessBlockConfiguration"]
    assert config == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


@pytest.mark.parametrize("bucket", [b for b, region in BUCKETS if region == "us-west-2"])
def test_buckets_replicate_to_us_east_1_as_standard_ia(converged, port, bucket):
    config = aws(port, "s3").get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    assert config["Role"].endswith(":role/nova-production-s3-replication")
    (rule,) = config["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Destination"]["Bucket"] == "arn:aws:s3:::" + bucket.replace("us-west-2", "us-east-1")
    assert rule["Destination"]["StorageClass"] == "STANDARD_IA"


def test_replication_role_is_scoped_to_the_stack_buckets(converged, port):
    iam = aws(port, "iam")
    (name,) = iam.list_role_policies(RoleName="nova-production-s3-replication")["PolicyNames"]
    document = iam.get_role_policy(RoleName="nova-production-s3-replication", PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    resources = [r for st in document["Statement"] for r in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])]
    assert resources and all("nova-production-" in r for r in resources)


def test_flow_log_captures_all_vpc_traffic_to_the_logs_bucket(converged, ec2):
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    (flow_log,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["LogDestinationType"] == "s3"
    assert flow_log["LogDestination"] == "arn:aws:s3:::nova-production-app-logs-123456789012-us-west-2/vpc-flow-logs/"
    assert _has_common_tags(flow_log)


def test_alarms_as_the_design_gives_them(converged, port, ec2):
    alarms = {a["AlarmName"]: a for a in aws(port, "cloudwatch").describe_alarms()["MetricAlarms"]}
    nats = [n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] == "available"]
    nat_alarms = [a for name, a in alarms.items() if name.startswith("nova-production-nat-bytes-out-")]
    assert sorted(a["Dimensions"][0]["Value"] for a in nat_alarms) == sorted(nats)
    for alarm in nat_alarms:
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
            "AWS/NATGateway",
            "BytesOutToDestination",
            "Sum",
        )
        assert (alarm["Period"], alarm["Threshold"], alarm["ComparisonOperator"]) == (300, 1e9, "GreaterThanThreshold")
        assert alarm["AlarmActions"] and alarm["AlarmActions"][0].endswith(":nova-production-alarms")
    cpu = alarms["nova-production-bastion-cpu"]
    assert (cpu["Namespace"], cpu["MetricName"], cpu["Statistic"], cpu["Period"], cpu["Threshold"]) == (
        "AWS/EC2",
        "CPUUtilization",
        "Average",
        300,
        80.0,
    )
    assert cpu["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "nova-production-bastion-asg"}]


# Cross-region replication watched against the RPO: RTC and metrics on each rule, an alarm per metric in the region
# where S3 publishes it (OperationsFailedReplication in the source, ReplicationLatency in the destination), each
# notifying a topic of its own region.
PRIMARY, DR = "us-west-2", "us-east-1"
REPLICATED = ("app-logs", "backup")
RULE_ID = f"replicate-to-{DR}"
FIFTEEN_MINUTES = {"Minutes": 15}


def replicated_bucket(name: str, region: str) -> str:
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


@pytest.mark.parametrize("name", REPLICATED)
def test_replication_rules_carry_replication_time_control_and_metrics(converged, port, name):
    config = aws(port, "s3", PRIMARY).get_bucket_replication(Bucket=replicated_bucket(name, PRIMARY))["ReplicationConfiguration"]
    (rule,) = config["Rules"]
    assert rule["ID"] == RULE_ID
    destination = rule["Destination"]
    assert destination["Bucket"] == f"arn:aws:s3:::{replicated_bucket(name, DR)}"
    assert destination["ReplicationTime"] == {"Status": "Enabled", "Time": FIFTEEN_MINUTES}
    assert destination["Metrics"] == {"Status": "Enabled", "EventThreshold": FIFTEEN_MINUTES}


def _dimensions_of_the_rule(port: int, name: str) -> dict:
    """The metric dimensions S3 uses for the bucket's replication rule, from the configuration AWS returns."""
    config = aws(port, "s3", PRIMARY).get_bucket_replication(Bucket=replicated_bucket(name, PRIMARY))["ReplicationConfiguration"]
    (rule,) = config["Rules"]
    return {
        "SourceBucket": replicated_bucket(name, PRIMARY),
        "DestinationBucket": rule["Destination"]["Bucket"].removeprefix("arn:aws:s3:::"),
        "RuleId": rule["ID"],
    }


@pytest.mark.parametrize("name", REPLICATED)
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


@pytest.mark.parametrize("name", REPLICATED)
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
        PRIMARY: [f"nova-production-replication-failed-{name}" for name in REPLICATED],
        DR: [f"nova-production-replication-latency-{name}" for name in REPLICATED],
    }


def test_every_alarm_in_both_regions_carries_the_stack_tags(converged, port):
    """amazon.aws's alarm module has no tags: the monitoring role puts each alarm with nova.infra's copy, which tags
    a new alarm in its PutMetricAlarm call (docs/upstream-patches.md)."""
    for region in (PRIMARY, DR):
        cloudwatch = aws(port, "cloudwatch", region)
        alarms = cloudwatch.describe_alarms(AlarmNamePrefix="nova-production-")["MetricAlarms"]
        assert alarms, region
        for alarm in alarms:
            tags = tags_of(cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]))
            assert tags == {**COMMON_TAGS, "Name": alarm["AlarmName"]}, alarm["AlarmName"]


def test_second_run_changes_nothing(converged, port, ec2, installed_collection):
    """The installed collection's nova.infra.site again (the repository's site.yml re-runs the stack below: with
    every task run, in check mode, after a repair)."""
    before = inventory_snapshot(ec2)
    run = run_installed(port, installed_collection, "site")
    assert run.returncode == 0, run.failure_messages()
    assert run.changed == 0, run.changed_tasks()
    assert inventory_snapshot(ec2) == before


def test_the_installed_preflight_passes_on_the_built_stack(converged, port, installed_collection):
    run = run_installed(port, installed_collection, "preflight")
    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:]
    assert run.changed == 0, run.changed_tasks()


def test_with_every_task_run_the_second_run_also_changes_nothing(converged, port, ec2):
    """nova_skip_in_sync=false: the network's build tasks and every alarm's module run, as before the reads.

    The same run (one site.yml run fewer in the suite) has nova_lock_wait, with the lock free: no other run was in the
    way (run_lock's free_at_first_ask), so the pre-flight's region-wide lists are handed to the network's read as
    without a wait. After waiting for or taking over another run's lock they are not (test_run_lock.py)."""
    before = inventory_snapshot(ec2)
    run = run_playbook(port, "site.yml", "-e", "nova_skip_in_sync=false", "-e", "nova_lock_wait=5")
    assert run.returncode == 0, run.failure_messages()
    assert run.changed == 0, run.changed_tasks()
    assert inventory_snapshot(ec2) == before
    # No Elastic IP was allocated, so none is read back: they are as the network's read found them.
    readback = [task["hosts"] for play in run.results["plays"] for task in play["tasks"]
                if "Read back the NAT Elastic IPs" in task["task"]["name"]]
    assert readback and all(host.get("skipped") for hosts in readback for host in hosts.values()), readback
    reads = [host for play in run.results["plays"] for task in play["tasks"]
             if task["task"]["name"].endswith("Compare the network with the plan in one read")
             for host in task["hosts"].values()]
    assert len(reads) == 1 and reads[0]["invocation"]["module_args"]["region_lists"], reads


def test_check_mode_on_a_converged_stack_reports_no_change(converged, port):
    run = run_playbook(port, "site.yml", "--check", "--diff")
    assert run.returncode == 0, run.failure_messages()
    assert run.changed == 0, run.changed_tasks()


@pytest.fixture(scope="module")
def fresh_reports(converged, port, tmp_path_factory, installed_collection):
    """The report directory of the installed collection's nova.infra.validate on the fresh stack."""
    reports = tmp_path_factory.mktemp("fresh-reports")
    run = run_installed(port, installed_collection, "validate", "-e", f"nova_report_dir={reports}")
    assert run.returncode == 0, run.failure_messages()
    return reports


def test_validate_passes_on_the_fresh_stack(fresh_reports):
    report = json.loads((fresh_reports / "audit-us-west-2.json").read_text())
    assert report["summary"]["findings"] == 0, report["findings"]
    assert (fresh_reports / "audit-us-west-2.md").read_text().startswith("#")
    assert sorted(p.name for p in fresh_reports.iterdir()) == [
        "audit-us-west-2.json",
        "audit-us-west-2.md",
        "stack-us-west-2.html",
    ]


def test_the_diagram_is_self_contained(fresh_reports):
    page = (fresh_reports / "stack-us-west-2.html").read_text()
    assert "<svg" in page
    assert "<script" not in page and "<link" not in page and "https://" not in page


def test_the_diagram_shows_both_azs_four_subnets_two_nats_and_the_bastion_in_chromium(fresh_reports, port, tmp_path):
    diagram_checks.check_the_dom_shows_the_stack_as_aws_has_it(fresh_reports / "stack-us-west-2.html", port, tmp_path)


def test_the_diagram_screenshot_is_a_picture_not_a_blank_page(fresh_reports, tmp_path):
    diagram_checks.check_the_screenshot_is_a_picture(fresh_reports / "stack-us-west-2.html", tmp_path)


def _break_the_stack(port: int) -> None:
    """The four faults of the acceptance check, made by hand as an operator might."""
    ec2 = aws(port, "ec2")
    vpc_id = stack_vpcs(ec2)[0]["VpcId"]
    (bastion_sg,) = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["nova-production-bastion-sg"]}]
    )["SecurityGroups"]
    ec2.authorize_security_group_ingress(
        GroupId=bastion_sg["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    aws(port, "s3").delete_public_access_block(Bucket="nova-production-backup-123456789012-us-west-2")
    igw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"
    ][0]["InternetGatewayId"]
    private_rt = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Private"]}]
    )["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="198.51.100.0/24", GatewayId=igw)
    flow_logs = [f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]]
    ec2.delete_flow_logs(FlowLogIds=flow_logs)
    # Drift only the network's own settings show (no audit check): DNS host names off, a subnet's tag changed.
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": False})
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"][0]["SubnetId"]
    ec2.create_tags(Resources=[subnet], Tags=[{"Key": "Environment", "Value": "changed-by-hand"}])
    # An alarm's threshold raised by hand (only its settings differ; the alarm is still there).
    cloudwatch = aws(port, "cloudwatch")
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=["nova-production-bastion-cpu"])["MetricAlarms"]
    kept = ("AlarmName", "AlarmDescription", "AlarmActions", "MetricName", "Namespace", "Statistic", "Dimensions")
    kept += ("Period", "Unit", "EvaluationPeriods", "ComparisonOperator", "TreatMissingData")
    cloudwatch.put_metric_alarm(**{k: alarm[k] for k in kept if k in alarm}, Threshold=99.0)
    # The alarm topic's display name changed by hand.
    aws(port, "sns").set_topic_attributes(
        TopicArn=topic_arn(port, PRIMARY, "nova-production-alarms"), AttributeName="DisplayName", AttributeValue="x"
    )
    # A private subnet made to give its instances public IPs.
    private_subnet = ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Type", "Values": ["Private"]}]
    )["Subnets"][0]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=private_subnet, MapPublicIpOnLaunch={"Value": True})
    # The bastion group's scaling limit raised by hand.
    aws(port, "autoscaling").update_auto_scaling_group(AutoScalingGroupName="nova-production-bastion-asg", MaxSize=3)
    # The launch template's Environment tag changed by hand (ec2_launch_template reads the template's tags and corrects
    # the one that differs).
    (template,) = ec2.describe_launch_templates(LaunchTemplateNames=["nova-production-bastion-lt"])["LaunchTemplates"]
    ec2.create_tags(Resources=[template["LaunchTemplateId"]], Tags=[{"Key": "Environment", "Value": "changed-by-hand"}])
    # A replication rule's storage class changed by hand (replicas would land in STANDARD, at twice the price).
    s3 = aws(port, "s3")
    config = s3.get_bucket_replication(Bucket="nova-production-backup-123456789012-us-west-2")["ReplicationConfiguration"]
    config["Rules"][0]["Destination"]["StorageClass"] = "STANDARD"
    s3.put_bucket_replication(Bucket="nova-production-backup-123456789012-us-west-2", ReplicationConfiguration=config)
    # What a retried AllocateAddress leaves on AWS: a second EIP with a NAT EIP's Name, held by nothing.
    name = next(tags_of(a)["Name"] for a in ec2.describe_addresses()["Addresses"])
    ec2.allocate_address(
        Domain="vpc",
        TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": name}]}],
    )


@pytest.fixture(scope="module")
def broken_validation(converged, port, tmp_path_factory):
    """validate.yml on the stack broken by hand: (its report directory, the run)."""
    _break_the_stack(port)
    reports = tmp_path_factory.mktemp("broken-reports")
    return reports, run_playbook(port, "validate.yml", "-e", f"nova_report_dir={reports}")


def test_validate_names_each_problem_of_a_stack_broken_by_hand(broken_validation):
    reports, run = broken_validation
    assert run.returncode != 0
    message = "\n".join(run.failure_messages())
    for check_id in ("NOVA-SG-003", "NOVA-S3-002", "NOVA-NET-006", "NOVA-LOG-001", "NOVA-S3-005"):
        assert check_id in message, message
    # Below the failing severity, in the report: the scaling limit raised by hand.
    findings = json.loads((reports / "audit-us-west-2.json").read_text())["findings"]
    assert any(f["id"] == "NOVA-EC2-004" and "is 3, the design says 2" in f["detail"] for f in findings), findings
    assert any(f["id"] == "NOVA-NET-011" for f in findings), findings
    assert "0.0.0.0/0" in message and "nova-production-backup-123456789012-us-west-2" in message


def test_the_diagram_marks_the_finding_on_the_security_group_it_concerns(broken_validation, ec2, tmp_path):
    reports, _unused = broken_validation
    (group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["nova-production-bastion-sg"]}])[
        "SecurityGroups"
    ]
    diagram_checks.check_the_finding_is_marked_on_its_security_group(
        reports / "stack-us-west-2.html", group["GroupId"], "NOVA-SG-003", tmp_path
    )


def test_check_mode_names_each_drift_and_the_switch_fails_the_run(broken_validation, port, tmp_path):
    """site.yml --check on the stack broken by hand is the drift check: the report (JSON in the report directory, one
    line per setting in the output) names what the roles' reads found different from the design, and
    nova_fail_on_drift=true makes the run fail on it (a scheduled drift job). Twelve drifts: network settings, a
    subnet's tag and a private subnet's public-IP mapping, a route, a bucket setting, a replication rule, an alarm, the
    topic, the flow log, a security group rule, the scaling limits and the launch template's tags."""
    run = run_playbook(
        port, "site.yml", "--check", "--diff", "-e", f"nova_report_dir={tmp_path}", "-e", "nova_fail_on_drift=true"
    )
    assert run.returncode != 0
    report = json.loads((tmp_path / "drift-us-west-2.json").read_text())
    assert report["region"] == "us-west-2" and report["in_sync"] is False
    found = {(record["resource"].split(" (")[0], record["setting"]) for record in report["drift"]}
    for drifted in [
        ("vpc", "dns_hostnames"),
        ("bucket nova-production-backup-123456789012-us-west-2", "public_access"),
        ("SNS topic nova-production-alarms", "display_name"),
        ("CloudWatch alarm nova-production-bastion-cpu", "threshold"),
        ("VPC flow log", "flow log"),
        ("Auto Scaling group nova-production-bastion-asg", "max_size"),
        ("replication of bucket nova-production-backup-123456789012-us-west-2", "rules[0].Destination.StorageClass"),
    ]:
        assert drifted in found, report["drift"]
    assert any(record["resource"].startswith("launch template") for record in report["drift"]), report["drift"]
    threshold = next(r for r in report["drift"] if r["setting"] == "threshold")
    assert (threshold["desired"], threshold["actual"]) == (80.0, 99.0)
    (mapping,) = [r for r in report["drift"] if r["setting"] == "map_public_ip_on_launch"]
    assert mapping["resource"].startswith("private subnet ") and (mapping["desired"], mapping["actual"]) == (False, True)
    scaling = next(r for r in report["drift"] if r["setting"] == "max_size")
    assert (scaling["desired"], scaling["actual"]) == (2, 3)
    storage_class = next(r for r in report["drift"] if r["setting"].endswith("StorageClass"))
    assert (storage_class["desired"], storage_class["actual"]) == ("STANDARD_IA", "STANDARD")
    (opened,) = [r for r in report["drift"] if r["resource"] == "security group nova-production-bastion-sg"]
    assert opened["setting"] == "ip_permissions[0].ip_ranges"
    assert [r["cidr_ip"] for r in opened["actual"]] == ["0.0.0.0/0", "203.0.113.0/24"]
    assert [r["cidr_ip"] for r in opened["desired"]] == ["203.0.113.0/24"]
    message = "\n".join(run.failure_messages())
    assert "drifted from the design" in message and "changed-by-hand" in message and "198.51.100.0/24" in message


def test_site_repairs_the_drift_and_validate_passes_again(converged, port, tmp_path, ec2):
    run = run_playbook(port)
    assert run.returncode == 0, run.failure_messages()
    assert run.changed > 0
    # The stray Elastic IP is released: two remain, each held by its NAT gateway.
    addresses = ec2.describe_addresses()["Addresses"]
    assert len(addresses) == 2 and all(a.get("AssociationId") for a in addresses), addresses
    # The network role said what differed before repairing it (one read of the whole network found it).
    for drift in ("dns_hostnames is False", "198.51.100.0/24", "held by a NAT gateway", "changed-by-hand"):
        assert drift in run.stdout, drift
    (vpc,) = stack_vpcs(ec2)
    assert ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert {tags_of(s)["Environment"] for s in subnets} == {"production"}
    assert [s["SubnetId"] for s in subnets if s["MapPublicIpOnLaunch"] and tags_of(s)["Type"] == "Private"] == []
    (alarm,) = aws(port, "cloudwatch").describe_alarms(AlarmNames=["nova-production-bastion-cpu"])["MetricAlarms"]
    assert alarm["Threshold"] == 80.0
    attributes = aws(port, "sns").get_topic_attributes(TopicArn=topic_arn(port, PRIMARY, "nova-production-alarms"))
    assert attributes["Attributes"]["DisplayName"] == "nova alarms"
    (group,) = aws(port, "autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["nova-production-bastion-asg"]
    )["AutoScalingGroups"]
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 2, 1)
    rules = aws(port, "s3").get_bucket_replication(Bucket="nova-production-backup-123456789012-us-west-2")[
        "ReplicationConfiguration"
    ]["Rules"]
    assert [r["Destination"]["StorageClass"] for r in rules] == ["STANDARD_IA"]
    (bastion_sg,) = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["nova-production-bastion-sg"]}]
    )["SecurityGroups"]
    assert [r["CidrIp"] for p in bastion_sg["IpPermissions"] for r in p["IpRanges"]] == ["203.0.113.0/24"]
    (template,) = ec2.describe_launch_templates(LaunchTemplateNames=["nova-production-bastion-lt"])["LaunchTemplates"]
    assert tags_of(template)["Environment"] == "production"
    audit = run_playbook(port, "validate.yml", "-e", f"nova_report_dir={tmp_path}")
    assert audit.returncode == 0, audit.failure_messages()
    # Repaired for good: the next run changes nothing, and the drift check finds nothing.
    again = run_playbook(port)
    assert again.returncode == 0 and again.changed == 0, again.changed_tasks()
    check = run_playbook(port, "site.yml", "--check", "--diff", "-e", f"nova_report_dir={tmp_path}",
                         "-e", "nova_fail_on_drift=true")
    assert check.returncode == 0, check.failure_messages()
    assert json.loads((tmp_path / "drift-us-west-2.json").read_text())["drift"] == []


def test_teardown_removes_everything_in_both_regions_and_a_second_teardown_is_a_noop(
    converged, port, ec2, installed_collection
):
    """The installed collection's nova.infra.teardown, then the repository's teardown.yml, which finds nothing."""
    run = run_installed(port, installed_collection, "teardown")
    assert run.returncode == 0, run.failure_messages()
    assert stack_vpcs(ec2) == []
    assert ec2.describe_addresses()["Addresses"] == []
    assert [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] not in ("deleted", "deleting")] == []
    assert [
        i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"] if i["State"]["Name"] != "terminated"
    ] == []
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    assert ec2.describe_flow_logs()["FlowLogs"] == []
    assert aws(port, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert aws(port, "cloudwatch").describe_alarms()["MetricAlarms"] == []
    # The replication alarms and the topic they notify in the DR region go too.
    assert replication_alarm_names(port) == {PRIMARY: [], DR: []}
    assert topic_arn(port, DR, "nova-production-alarms-replication") is None
    assert topic_arn(port, PRIMARY, "nova-production-alarms") is None
    for region in ("us-west-2", "us-east-1"):
        assert aws(port, "s3", region).list_buckets()["Buckets"] == []
    # Account-wide protection outlives the stack: teardown leaves it on.
    account_block = aws(port, "s3control").get_public_access_block(AccountId="123456789012")
    assert all(account_block["PublicAccessBlockConfiguration"].values())
    again = run_playbook(port, "teardown.yml")
    assert again.returncode == 0, again.failure_messages()
    assert again.changed == 0, again.changed_tasks()
