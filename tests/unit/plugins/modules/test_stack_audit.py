# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""stack_audit's main() in-process against the embedded sandbox, on a small nova stack built
with boto3 here (the roles that build the full stack are not needed): the good stack passes,
and each broken thing, one at a time, fails the audit naming the check and the resource."""

import functools

import boto3
import botocore.client
import botocore.config
import pytest
from botocore.exceptions import ClientError

from ansible_collections.nova.infra.plugins.module_utils import audit
from ansible_collections.nova.infra.plugins.modules import stack_audit
from sandbox import sandboxctl

REGION, DR = "us-west-2", "us-east-1"
AZS = ("us-west-2a", "us-west-2b")
P = "nova-production"
COMMON = {"Project": "nova", "Environment": "production", "ManagedBy": "ansible", "Stack": P}


@pytest.fixture(scope="module")
def url(start_sandbox):
    return sandboxctl.endpoint(start_sandbox())


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@functools.cache
def client(url, service, region=REGION):
    """One client per endpoint, service and region for the file (building one costs more than most calls)."""
    return boto3.client(
        service, region_name=region, endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@functools.cache
def s3control(url):
    """S3 Control puts the account in front of the host name: the sandbox answers as the proxy that reaches it."""
    return boto3.client(
        "s3control", region_name=REGION, endpoint_url=url, aws_access_key_id="testing",
        aws_secret_access_key="testing", config=botocore.config.Config(proxies={"http": url}),
    )


def tag_list(name, **extra):
    return [{"Key": k, "Value": v} for k, v in {**COMMON, "Name": name, **extra}.items()]


def tag_spec(resource_type, name, **extra):
    return [{"ResourceType": resource_type, "Tags": tag_list(name, **extra)}]


def build_stack(url):
    """The nova stack, small: network, bastion SGs, launch template + ASG, flow log, 4 buckets with replication."""
    ec2 = client(url, "ec2")
    account = client(url, "sts").get_caller_identity()["Account"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tag_spec("vpc", f"{P}-vpc"))["Vpc"]["VpcId"]
    public, private, nat, private_rt = {}, {}, {}, {}
    for i, az in enumerate(AZS):
        public[az] = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=az,
            TagSpecifications=tag_spec("subnet", f"{P}-public-{az}", Type="Public"),
        )["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=public[az], MapPublicIpOnLaunch={"Value": True})
        private[az] = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.0.{i + 2}.0/24", AvailabilityZone=az,
            TagSpecifications=tag_spec("subnet", f"{P}-private-{az}", Type="Private"),
        )["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway(TagSpecifications=tag_spec("internet-gateway", f"{P}-igw"))
    igw = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    for az in AZS:
        allocation = ec2.allocate_address(Domain="vpc", TagSpecifications=tag_spec("elastic-ip", f"{P}-nat-eip-{az}"))
        nat[az] = ec2.create_nat_gateway(
            SubnetId=public[az], AllocationId=allocation["AllocationId"],
            TagSpecifications=tag_spec("natgateway", f"{P}-nat-{az}"),
        )["NatGateway"]["NatGatewayId"]
    # As on AWS (and the strict sandbox), a NAT gateway is pending for a while after it is created.
    ec2.get_waiter("nat_gateway_available").wait(
        NatGatewayIds=list(nat.values()), WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    public_rt = ec2.create_route_table(
        VpcId=vpc, TagSpecifications=tag_spec("route-table", f"{P}-public-rt", Type="Public")
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for az in AZS:
        ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public[az])
        private_rt[az] = ec2.create_route_table(
            VpcId=vpc, TagSpecifications=tag_spec("route-table", f"{P}-private-rt-{az}", Type="Private")
        )["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=private_rt[az], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat[az])
        ec2.associate_route_table(RouteTableId=private_rt[az], SubnetId=private[az])
    # The S3 gateway endpoint on the private route tables, as the network role makes it (#18).
    ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway",
        RouteTableIds=list(private_rt.values()), TagSpecifications=tag_spec("vpc-endpoint", f"{P}-vpce-s3"),
    )
    # And an interface endpoint (ssm) in the private subnets, with its group: HTTPS from the VPC only.
    endpoints_sg = ec2.create_security_group(
        VpcId=vpc, GroupName=f"{P}-endpoints-sg", Description="endpoints",
        TagSpecifications=tag_spec("security-group", f"{P}-endpoints-sg"),
    )["GroupId"]
    ec2.revoke_security_group_egress(
        GroupId=endpoints_sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    ec2.authorize_security_group_ingress(
        GroupId=endpoints_sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
    )
    ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.ssm", VpcEndpointType="Interface",
        SubnetIds=list(private.values()), SecurityGroupIds=[endpoints_sg], PrivateDnsEnabled=True,
        TagSpecifications=tag_spec("vpc-endpoint", f"{P}-vpce-ssm"),
    )
    in_vpc = {"Name": "vpc-id", "Values": [vpc]}
    main = ec2.describe_route_tables(Filters=[in_vpc, {"Name": "association.main", "Values": ["true"]}])
    ec2.create_tags(Resources=[main["RouteTables"][0]["RouteTableId"]], Tags=tag_list(f"{P}-main-rt"))
    default = ec2.describe_security_groups(Filters=[in_vpc, {"Name": "group-name", "Values": ["default"]}])
    default = default["SecurityGroups"][0]
    if default["IpPermissions"]:
        ec2.revoke_security_group_ingress(GroupId=default["GroupId"], IpPermissions=default["IpPermissions"])
    if default["IpPermissionsEgress"]:
        ec2.revoke_security_group_egress(GroupId=default["GroupId"], IpPermissions=default["IpPermissionsEgress"])
    ec2.create_tags(Resources=[default["GroupId"]], Tags=tag_list(f"{P}-default-sg"))
    bastion_sg = ec2.create_security_group(
        GroupName=f"{P}-bastion-sg", Description="bastion", VpcId=vpc,
        TagSpecifications=tag_spec("security-group", f"{P}-bastion-sg"),
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=bastion_sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}],
    )
    private_sg = ec2.create_security_group(
        GroupName=f"{P}-private-sg", Description="private", VpcId=vpc,
        TagSpecifications=tag_spec("security-group", f"{P}-private-sg"),
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=private_sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": bastion_sg}]}],
    )
    # The bastion role's least-privilege egress instead of AWS's all-traffic default (NOVA-SG-007).
    https_out = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ssh_into_vpc = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
    for group, egress in ((bastion_sg, [ssh_into_vpc, https_out]), (private_sg, [https_out])):
        (found,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=found["IpPermissionsEgress"])
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=egress)
    buckets = {}
    for kind in ("app-logs", "backup"):
        for region in (REGION, DR):
            name = buckets[kind, region] = f"{P}-{kind}-{account}-{region}"
            s3 = client(url, "s3", region)
            location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            s3.create_bucket(Bucket=name, **location)
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration={flag: True for flag in audit.BPA_FLAGS}
            )
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            )
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(name)})
    for kind in ("app-logs", "backup"):
        client(url, "s3").put_bucket_replication(
            Bucket=buckets[kind, REGION],
            ReplicationConfiguration={
                "Role": f"arn:aws:iam::{account}:role/{P}-s3-replication",
                "Rules": [
                    {
                        "ID": "to-dr",
                        "Status": "Enabled",
                        "Priority": 1,
                        "Filter": {},
                        "DeleteMarkerReplication": {"Status": "Disabled"},
                        "Destination": {
                            "Bucket": f"arn:aws:s3:::{buckets[kind, DR]}",
                            "StorageClass": "STANDARD_IA",
                            "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                            "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
                        },
                    }
                ],
            },
        )
    ec2.create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{buckets['app-logs', REGION]}/vpc-flow-logs/",
        TagSpecifications=tag_spec("vpc-flow-log", f"{P}-flow-log"),
    )
    ec2.create_key_pair(KeyName=f"{P}-bastion-key", TagSpecifications=tag_spec("key-pair", f"{P}-bastion-key"))
    template = ec2.create_launch_template(
        LaunchTemplateName=f"{P}-bastion-lt",
        LaunchTemplateData={
            "ImageId": "ami-12c6146b",
            "InstanceType": "t3.micro",
            "KeyName": f"{P}-bastion-key",
            "SecurityGroupIds": [bastion_sg],
            "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
        },
        TagSpecifications=tag_spec("launch-template", f"{P}-bastion-lt"),
    )["LaunchTemplate"]["LaunchTemplateId"]
    client(url, "autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=f"{P}-bastion-asg",
        MinSize=1,
        MaxSize=2,
        DesiredCapacity=1,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Default"},
        VPCZoneIdentifier=",".join(public[az] for az in AZS),
        Tags=[
            {"Key": k, "Value": v, "PropagateAtLaunch": True, "ResourceId": f"{P}-bastion-asg", "ResourceType": "auto-scaling-group"}
            for k, v in {**COMMON, "Name": f"{P}-bastion", "Role": "bastion"}.items()
        ],
    )
    s3control(url).put_public_access_block(
        AccountId=account, PublicAccessBlockConfiguration={flag: True for flag in audit.BPA_FLAGS}
    )
    sns = client(url, "sns")
    topic = sns.create_topic(Name=f"{P}-alarms", Tags=tag_list(f"{P}-alarms"))["TopicArn"]
    client(url, "iam").create_role(
        RoleName=f"{P}-s3-replication", AssumeRolePolicyDocument="{}", Tags=tag_list(f"{P}-s3-replication")
    )
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    # The alarms as the monitoring role puts them with the design's settings (stack.DESIGN) and tags.
    alarms = [
        (f"{P}-nat-bytes-out-{az}", "AWS/NATGateway", "BytesOutToDestination", "NatGatewayId", nat[az], "Sum", 1e9)
        for az in AZS
    ]
    alarms.append(
        (f"{P}-bastion-cpu", "AWS/EC2", "CPUUtilization", "AutoScalingGroupName", f"{P}-bastion-asg", "Average", 80.0)
    )
    for name, namespace, metric, dimension, value, statistic, threshold in alarms:
        client(url, "cloudwatch").put_metric_alarm(
            AlarmName=name, Namespace=namespace, MetricName=metric, Dimensions=[{"Name": dimension, "Value": value}],
            Statistic=statistic, Period=300, EvaluationPeriods=1, Threshold=threshold,
            ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic], Tags=tag_list(name),
        )
    return {
        "account": account, "vpc": vpc, "private_rt": private_rt, "igw": igw, "public_rt": public_rt,
        "bastion_sg": bastion_sg, "buckets": buckets, "private": private, "nat": nat, "topic": topic,
    }


@pytest.fixture
def stack(url):
    sandboxctl.reset(url)
    return build_stack(url)


def audit_args(url, stack, **extra):
    buckets = stack["buckets"]
    return {
        "endpoint_url": url,
        "region": REGION,
        "access_key": "testing",
        "secret_key": "testing",
        "buckets": [{"name": name, "region": region} for (_kind, region), name in buckets.items()],
        "replicated_buckets": [
            {"source": buckets[kind, REGION], "destination": buckets[kind, DR], "destination_region": DR}
            for kind in ("app-logs", "backup")
        ],
        "s3control_aws_config": {"proxies": {"http": url}},
        "interface_endpoints": ["ssm"],
        **extra,
    }


@pytest.fixture
def run_module(run_module):
    """Run main() with args in-process (tests/conftest.py); return (failed, result) from the JSON it prints."""

    def run(args):
        result = run_module(stack_audit, args)
        return bool(result.get("failed")), result

    return run


def test_good_stack_passes_every_check(url, stack, run_module):
    failed, result = run_module(audit_args(url, stack))

    assert not failed, result["msg"]
    assert result["changed"] is False
    assert result["findings"] == []
    assert {c["id"]: c["status"] for c in result["checks"]} == {i: "pass" for i in audit.CHECK_IDS}
    assert result["summary"]["by_status"] == {"pass": len(audit.CHECK_IDS), "fail": 0, "skip": 0}
    assert result["snapshot"]["vpc"]["id"] == stack["vpc"]
    assert len(result["snapshot"]["instances"]) == 1
    assert "| NOVA-SG-003 | No security group allows ingress from 0.0.0.0/0" in result["markdown"]


def test_audit_only_reads_and_check_mode_is_the_same(url, stack, run_module):
    sandboxctl.stats(url, reset=True)
    _failed, normal = run_module(audit_args(url, stack))
    actions = sandboxctl.stats(url)["by_action"]
    _failed, checked = run_module({**audit_args(url, stack), "_ansible_check_mode": True})

    writes = [a for a in actions if not a.split(":")[1].startswith(("Describe", "Get", "List", "Head"))]
    assert writes == []
    for key in ("findings", "checks", "summary", "markdown"):
        assert checked[key] == normal[key]


def open_ssh_to_world(url, stack):
    client(url, "ec2").authorize_security_group_ingress(
        GroupId=stack["bastion_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    return stack["bastion_sg"]


def drop_public_access_block(url, stack):
    name = stack["buckets"]["backup", REGION]
    client(url, "s3").delete_public_access_block(Bucket=name)
    return name


def turn_account_public_access_block_off(url, stack):
    s3control(url).delete_public_access_block(AccountId=stack["account"])
    return f"account {stack['account']}"


def replication_role_untagged(url, stack):
    client(url, "iam").untag_role(RoleName=f"{P}-s3-replication", TagKeys=["Project"])
    return f"IAM role {P}-s3-replication"


def bastion_alarm_deleted(url, stack):
    client(url, "cloudwatch").delete_alarms(AlarmNames=[f"{P}-bastion-cpu"])
    return f"{P}-bastion-asg"


def public_default_route_deleted(url, stack):
    client(url, "ec2").delete_route(RouteTableId=stack["public_rt"], DestinationCidrBlock="0.0.0.0/0")
    return stack["public_rt"]


def igw_route_in_private_table(url, stack):
    table = stack["private_rt"]["us-west-2a"]
    client(url, "ec2").create_route(RouteTableId=table, DestinationCidrBlock="198.51.100.0/24", GatewayId=stack["igw"])
    return table


def delete_flow_logs(url, stack):
    ec2 = client(url, "ec2")
    ids = [f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]]
    ec2.delete_flow_logs(FlowLogIds=ids)
    return stack["vpc"]


def put_alarm_again(url, name, **changes):
    """The alarm put again by hand with some settings changed (the rest as they are)."""
    cloudwatch = client(url, "cloudwatch")
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    kept = ("AlarmName", "AlarmActions", "MetricName", "Namespace", "Statistic", "Dimensions", "Period")
    kept += ("EvaluationPeriods", "Threshold", "ComparisonOperator")
    cloudwatch.put_metric_alarm(**{**{k: alarm[k] for k in kept if k in alarm}, **changes})


def nat_alarm_threshold_raised(url, stack):
    put_alarm_again(url, f"{P}-nat-bytes-out-us-west-2a", Threshold=5e9)
    return f"alarm {P}-nat-bytes-out-us-west-2a"


def bastion_alarm_statistic_and_period_changed(url, stack):
    put_alarm_again(url, f"{P}-bastion-cpu", Statistic="Maximum", Period=60, EvaluationPeriods=3)
    return f"alarm {P}-bastion-cpu"


def put_replication_rule(url, stack, **destination):
    source, replica = stack["buckets"]["backup", REGION], stack["buckets"]["backup", DR]
    s3 = client(url, "s3")
    config = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]
    (rule,) = config["Rules"]
    rule["Destination"] = {"Bucket": f"arn:aws:s3:::{replica}", **destination}
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)
    return source


def replication_time_control_off(url, stack):
    return put_replication_rule(url, stack, StorageClass="STANDARD_IA")


def replication_storage_class_changed(url, stack):
    rtc = {"ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}}}
    rtc["Metrics"] = {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
    return put_replication_rule(url, stack, StorageClass="GLACIER", **rtc)


def flow_log_recreated(url, stack, traffic_type="ALL", prefix="vpc-flow-logs/"):
    ec2 = client(url, "ec2")
    ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]])
    (flow_log,) = ec2.create_flow_logs(
        ResourceIds=[stack["vpc"]], ResourceType="VPC", TrafficType=traffic_type, LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{stack['buckets']['app-logs', REGION]}/{prefix}",
        TagSpecifications=tag_spec("vpc-flow-log", f"{P}-flow-log"),
    )["FlowLogIds"]
    return flow_log


def flow_log_to_another_prefix(url, stack):
    return flow_log_recreated(url, stack, prefix="elsewhere/")


def flow_log_rejects_only(url, stack):
    flow_log_recreated(url, stack, traffic_type="REJECT")
    return stack["vpc"]


def bastion_group_resized(url, stack):
    client(url, "autoscaling").update_auto_scaling_group(AutoScalingGroupName=f"{P}-bastion-asg", MaxSize=4)
    return f"Auto Scaling group {P}-bastion-asg"


def ssh_open_to_the_world_in_another_vpc(url, stack):
    ec2 = client(url, "ec2")
    other = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="legacy-ssh", Description="legacy", VpcId=other)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    return f"{group} in {other}"


def bastion_key_pair_deleted(url, stack):
    client(url, "ec2").delete_key_pair(KeyName=f"{P}-bastion-key")
    return f"launch template {P}-bastion-lt"


def private_subnet_maps_public_ips(url, stack):
    subnet = stack["private"]["us-west-2b"]
    client(url, "ec2").modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    return subnet


@pytest.mark.parametrize(
    "breakage, failed_checks",
    [
        pytest.param(open_ssh_to_world, ["NOVA-SG-003", "NOVA-SG-001"], id="ssh_from_world_on_bastion_sg"),
        pytest.param(drop_public_access_block, ["NOVA-S3-002"], id="bucket_without_block_public_access"),
        pytest.param(igw_route_in_private_table, ["NOVA-NET-006"], id="igw_route_in_private_route_table"),
        pytest.param(public_default_route_deleted, ["NOVA-NET-010"], id="public_default_route_deleted"),
        pytest.param(bastion_alarm_deleted, ["NOVA-MON-001"], id="bastion_alarm_deleted"),
        pytest.param(turn_account_public_access_block_off, ["NOVA-S3-006"], id="account_without_block_public_access"),
        pytest.param(delete_flow_logs, ["NOVA-LOG-001"], id="flow_logs_deleted"),
        pytest.param(nat_alarm_threshold_raised, ["NOVA-MON-003"], id="nat_alarm_threshold_raised"),
        pytest.param(bastion_alarm_statistic_and_period_changed, ["NOVA-MON-003"], id="bastion_alarm_settings_changed"),
        pytest.param(replication_time_control_off, ["NOVA-S3-007"], id="replication_time_control_off"),
        pytest.param(replication_storage_class_changed, ["NOVA-S3-005"], id="replication_storage_class_changed"),
        pytest.param(flow_log_to_another_prefix, ["NOVA-LOG-002"], id="flow_log_to_another_prefix"),
        pytest.param(flow_log_rejects_only, ["NOVA-LOG-001"], id="flow_log_rejects_only"),
        pytest.param(bastion_group_resized, ["NOVA-EC2-004"], id="bastion_group_resized"),
        pytest.param(private_subnet_maps_public_ips, ["NOVA-NET-011"], id="private_subnet_maps_public_ips"),
        pytest.param(bastion_key_pair_deleted, ["NOVA-EC2-006"], id="bastion_key_pair_deleted"),
        pytest.param(ssh_open_to_the_world_in_another_vpc, ["NOVA-SG-008"], id="ssh_from_world_in_another_vpc"),
    ],
)
def test_each_broken_thing_fails_the_audit_naming_it(url, stack, run_module, breakage, failed_checks):
    resource = breakage(url, stack)

    failed, result = run_module(audit_args(url, stack, fail_on="medium"))

    assert failed
    for check_id in failed_checks:
        assert check_id in result["msg"]
    assert resource in result["msg"]
    assert sorted({f["id"] for f in result["findings"]}) == sorted(failed_checks)
    assert {c["id"] for c in result["checks"] if c["status"] == "fail"} == set(failed_checks)
    # The report comes back with the failure, so a play can still save it.
    assert result["summary"]["at_or_above_fail_on"] == len(result["findings"])


@pytest.mark.parametrize(
    "breakage, check_id, details",
    [
        pytest.param(
            nat_alarm_threshold_raised, "NOVA-MON-003", ["threshold is 5000000000, the design says 1000000000"],
            id="alarm_threshold",
        ),
        pytest.param(
            bastion_alarm_statistic_and_period_changed,
            "NOVA-MON-003",
            [
                "statistic is Maximum, the design says Average",
                "period is 60, the design says 300",
                "evaluation periods is 3, the design says 1",
            ],
            id="alarm_statistic_period_evaluation_periods",
        ),
        pytest.param(
            replication_time_control_off,
            "NOVA-S3-007",
            ["Replication Time Control is off, the design says on"],
            id="replication_time_control",
        ),
        pytest.param(
            replication_storage_class_changed, "NOVA-S3-005", ["replicates as GLACIER, expected STANDARD_IA"],
            id="replication_storage_class",
        ),
        pytest.param(
            flow_log_to_another_prefix,
            "NOVA-LOG-002",
            ["destination is arn:aws:s3:::{logs}/elsewhere/, the design says arn:aws:s3:::{logs}/vpc-flow-logs/"],
            id="flow_log_destination",
        ),
        pytest.param(bastion_group_resized, "NOVA-EC2-004", ["MaxSize is 4, the design says 2"], id="asg_sizes"),
        pytest.param(
            private_subnet_maps_public_ips, "NOVA-NET-011", ["MapPublicIpOnLaunch is true, the design says false"],
            id="private_subnet_public_ips",
        ),
    ],
)
def test_a_setting_other_than_the_design_is_named_with_both_values_and_the_fix(
    url, stack, run_module, breakage, check_id, details
):
    resource = breakage(url, stack)

    failed, result = run_module(audit_args(url, stack, fail_on="none"))

    assert not failed
    findings = [f for f in result["findings"] if f["id"] == check_id]
    logs = stack["buckets"]["app-logs", REGION]
    assert len(findings) == len(details), findings
    for detail in details:
        assert [f for f in findings if detail.format(logs=logs) in f["detail"]], (detail, findings)
    assert all(resource in f["resource"] for f in findings)
    assert all(f["fix"].startswith("run site.yml (the ") for f in findings), findings


def test_the_expected_settings_are_options(url, stack, run_module):
    """The stack as the roles built it with other settings passes when the audit is given them (validate.yml passes
    the roles' variables), and fails on the design's."""
    nat_alarm_threshold_raised(url, stack)
    bastion_group_resized(url, stack)
    replication_time_control_off(url, stack)

    failed, result = run_module(
        audit_args(
            url, stack, fail_on="medium", nat_alarm={"threshold": 5e9}, bastion_asg={"max_size": 4},
            replication_time_control=False,
        )
    )

    assert failed
    # The one alarm raised by hand is right now; the other NAT gateway's keeps the design's threshold.
    found = {f["id"]: f for f in result["findings"]}
    assert sorted(found) == ["NOVA-MON-003", "NOVA-S3-007"] and len(result["findings"]) == 2
    assert found["NOVA-MON-003"]["resource"] == f"alarm {P}-nat-bytes-out-us-west-2b"
    assert found["NOVA-MON-003"]["detail"] == "threshold is 1000000000, the design says 5000000000"
    assert found["NOVA-S3-007"]["resource"] == stack["buckets"]["app-logs", REGION]
    assert "Replication Time Control is on, the design says off" in found["NOVA-S3-007"]["detail"]


def test_flow_log_bucket_and_prefix_are_options(url, stack, run_module):
    logs = stack["buckets"]["app-logs", REGION]
    flow_log_to_another_prefix(url, stack)

    failed, result = run_module(audit_args(url, stack, flow_log_bucket=logs, flow_log_prefix="elsewhere/"))

    assert not failed, result["msg"]
    assert result["findings"] == []


def test_key_pair_role_and_topic_are_read_for_their_tags(url, stack, run_module):
    resource = replication_role_untagged(url, stack)

    failed, result = run_module(audit_args(url, stack, fail_on="none"))

    assert not failed
    snapshot = result["snapshot"]
    assert snapshot["key_pair"]["tags"]["Name"] == f"{P}-bastion-key"
    assert snapshot["alarm_topic"]["tags"]["Name"] == f"{P}-alarms"
    (finding,) = result["findings"]
    assert (finding["id"], finding["resource"], finding["detail"]) == ("NOVA-TAG-001", resource, "missing Project")


def test_one_account_flag_off_is_named(url, stack, run_module):
    flags = {flag: flag != "RestrictPublicBuckets" for flag in audit.BPA_FLAGS}
    s3control(url).put_public_access_block(AccountId=stack["account"], PublicAccessBlockConfiguration=flags)

    failed, result = run_module(audit_args(url, stack, fail_on="none"))

    assert not failed
    (finding,) = result["findings"]
    assert finding["id"] == "NOVA-S3-006" and finding["severity"] == "medium"
    assert finding["resource"] == f"account {stack['account']}"
    assert finding["detail"] == "account-level Block Public Access flag(s) off: RestrictPublicBuckets"
    assert finding["cis"]["control"] == "2.1.4"


def test_account_settings_the_caller_may_not_read_skip_the_check_saying_why(url, stack, run_module, monkeypatch):
    real = botocore.client.BaseClient._make_api_call

    def scp(self, operation_name, api_params):
        if operation_name == "GetPublicAccessBlock" and "AccountId" in api_params:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", scp)
    failed, result = run_module(audit_args(url, stack))

    assert not failed, result.get("msg")
    (check,) = [c for c in result["checks"] if c["id"] == "NOVA-S3-006"]
    assert check["status"] == "skip"
    assert "AccessDenied" in check["reason"] and "s3:GetAccountPublicAccessBlock" in check["reason"]
    assert result["snapshot"]["account_public_access_block"]["unreadable"].startswith("AccessDenied")


def test_skipping_the_account_check_reads_no_account_settings(url, stack, run_module):
    sandboxctl.stats(url, reset=True)
    failed, result = run_module(audit_args(url, stack, skip_checks=["NOVA-S3-006"], account_id=stack["account"]))

    assert not failed
    assert result["snapshot"]["account_public_access_block"] is None
    assert not [a for a in sandboxctl.stats(url)["by_action"] if a.startswith("s3control:")]


def test_fail_on_none_reports_without_failing(url, stack, run_module):
    open_ssh_to_world(url, stack)

    failed, result = run_module(audit_args(url, stack, fail_on="none"))

    assert not failed
    assert result["summary"]["by_severity"]["critical"] == 1
    assert result["findings"][0]["cis"]["control"] == "5.2"


def test_flow_logs_deleted_is_reported_below_a_critical_threshold(url, stack, run_module):
    delete_flow_logs(url, stack)

    failed, result = run_module({**audit_args(url, stack), "fail_on": "critical"})

    assert not failed
    assert [f["id"] for f in result["findings"]] == ["NOVA-LOG-001"]
    assert result["summary"]["at_or_above_fail_on"] == 0


def test_missing_stack_is_reported_not_crashed(url, run_module):
    sandboxctl.reset(url)

    failed, result = run_module(
        {"endpoint_url": url, "region": REGION, "access_key": "testing", "secret_key": "testing", "fail_on": "critical"}
    )

    assert failed
    assert "NOVA-NET-001 [critical] nova-production-vpc: no VPC tagged Name=nova-production-vpc" in result["msg"]
    statuses = {c["id"]: c["status"] for c in result["checks"]}
    assert statuses["NOVA-NET-007"] == "skip" and statuses["NOVA-EC2-001"] == "fail"
    # Without a proxy S3 Control's <account>.127.0.0.1 is not reached: said, and the rest of the audit stands.
    (account,) = [c for c in result["checks"] if c["id"] == "NOVA-S3-006"]
    assert account["status"] == "skip" and "s3control_aws_config" in account["reason"]


@pytest.mark.parametrize(
    "extra, fragment",
    [
        ({"allowed_ssh_cidrs": ["203.0.113.7/24"]}, "allowed_ssh_cidrs[0]: '203.0.113.7/24' is not a CIDR block"),
        ({"skip_checks": ["NOVA-SSH-1"]}, "skip_checks[0]: 'NOVA-SSH-1' is not a check id"),
        ({"min_free_ip_percent": -1}, "min_free_ip_percent: -1 is not between 0 and 100"),
        ({"flow_log_prefix": "logs"}, "flow_log_prefix: 'logs' is not a key prefix"),
        ({"bastion_asg": {"min_size": 3}}, "bastion_asg: min_size 3, desired_capacity 1, max_size 2 is not"),
    ],
)
def test_bad_input_fails_before_any_aws_call(url, run_module, extra, fragment):
    sandboxctl.stats(url, reset=True)

    failed, result = run_module({"endpoint_url": url, "region": REGION, **extra})

    assert failed
    assert fragment in result["msg"] and "Fix:" in result["msg"]
    assert sandboxctl.stats(url)["requests"] == 0


def test_throttling_is_ridden_out(url, stack, run_module):
    sandboxctl.configure(url, fault_rate=0.2, fault_kinds="throttle,5xx", seed=3)
    try:
        failed, result = run_module(audit_args(url, stack))
        faults = sandboxctl.stats(url)["faults_injected"]
    finally:
        sandboxctl.configure(url, fault_rate=0)

    assert faults > 0
    assert not failed, result.get("msg")
    assert result["findings"] == []


def test_alarms_are_read_for_their_tags(url, stack, run_module):
    """DescribeAlarms returns no tags: each alarm's are read (ListTagsForResource) and NOVA-TAG-001 names the alarm."""
    cloudwatch = client(url, "cloudwatch")
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[f"{P}-bastion-cpu"])["MetricAlarms"]
    cloudwatch.untag_resource(ResourceARN=alarm["AlarmArn"], TagKeys=["Stack"])

    failed, result = run_module(audit_args(url, stack, fail_on="none"))

    assert not failed
    tags = {a["name"]: a["tags"] for a in result["snapshot"]["alarms"]}
    assert tags[f"{P}-nat-bytes-out-us-west-2a"]["Name"] == f"{P}-nat-bytes-out-us-west-2a"
    (finding,) = result["findings"]
    assert (finding["id"], finding["resource"], finding["detail"]) == (
        "NOVA-TAG-001", f"CloudWatch alarm {P}-bastion-cpu", "missing Stack"
    )
