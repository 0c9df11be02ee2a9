# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.nova.infra.plugins.module_utils import flow_logs

VPC = "vpc-0123456789abcdef0"
ROLE = "arn:aws:iam::123456789012:role/nova-flow-logs"
GROUP_ARN = "arn:aws:logs:us-west-2:123456789012:log-group:/nova/flow-logs"
BASE = {
    "state": "present",
    "flow_log_id": None,
    "resource_id": VPC,
    "resource_type": None,
    "traffic_type": "ALL",
    "log_destination_type": "s3",
    "log_destination": "arn:aws:s3:::nova-flow-logs/vpc/",
    "log_group_name": None,
    "deliver_logs_permission_arn": None,
    "log_format": None,
    "max_aggregation_interval": 600,
    "destination_options": None,
}
CLOUDWATCH = {"log_destination_type": "cloud-watch-logs", "log_destination": None, "log_group_name": "/nova/flow-logs"}


def params(**overrides):
    return {**BASE, **overrides}


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="s3_with_prefix"),
        pytest.param({"log_destination": "arn:aws:s3:::nova-flow-logs"}, id="s3_bucket_only"),
        pytest.param({"log_destination": "arn:aws-us-gov:s3:::nova.flow-logs/a/b/"}, id="s3_govcloud_dotted"),
        pytest.param({"resource_id": "subnet-0123abcd", "resource_type": "Subnet"}, id="short_subnet_id"),
        pytest.param({"resource_id": "eni-0123456789abcdef0", "resource_type": "NetworkInterface"}, id="eni"),
        pytest.param({"destination_options": {"file_format": "parquet"}}, id="s3_parquet"),
        pytest.param({"log_format": "${version} ${srcaddr} ${pkt-src-aws-service}"}, id="custom_format"),
        pytest.param({**CLOUDWATCH, "deliver_logs_permission_arn": ROLE}, id="cloudwatch_by_name"),
        pytest.param(
            {**CLOUDWATCH, "log_group_name": None, "log_destination": GROUP_ARN + ":*", "deliver_logs_permission_arn": ROLE},
            id="cloudwatch_by_arn",
        ),
        pytest.param({**CLOUDWATCH, "state": "absent"}, id="absent_cloudwatch_needs_no_role"),
        pytest.param({"state": "absent", "resource_id": None, "flow_log_id": "fl-0123456789abcdef0"}, id="absent_by_id"),
    ],
)
def test_valid_options_have_no_problem(overrides):
    assert flow_logs.validate(params(**overrides)) == []


@pytest.mark.parametrize(
    "overrides, field, fragment",
    [
        pytest.param({"resource_id": "vpc-xyz"}, "resource_id", "is not a VPC, subnet or network interface ID", id="bad_id"),
        pytest.param({"resource_id": "igw-0123456789abcdef0"}, "resource_id", "not a VPC", id="igw"),
        pytest.param(
            {"resource_type": "NetworkInterface"}, "resource_id", "IDs start with eni-", id="type_mismatch"
        ),
        pytest.param({"log_destination": None}, "log_destination", "is required with log_destination_type: s3", id="s3_missing"),
        pytest.param({"log_destination": "s3://nova-flow-logs"}, "log_destination", "not an S3 bucket ARN", id="s3_url"),
        pytest.param({"log_destination": "arn:aws:s3:::ab"}, "log_destination", "3 to 63", id="bucket_short"),
        pytest.param({"log_destination": "arn:aws:s3:::" + "a" * 64}, "log_destination", "3 to 63", id="bucket_long"),
        pytest.param({"log_destination": "arn:aws:s3:::Nova"}, "log_destination", "lowercase", id="bucket_upper"),
        pytest.param({"log_destination": "arn:aws:s3:::-nova"}, "log_destination", "start and end", id="bucket_dash"),
        pytest.param({"log_destination": "arn:aws:s3:::a..b"}, "log_destination", "two adjacent dots", id="bucket_dots"),
        pytest.param({"log_destination": "arn:aws:s3:::10.0.0.1"}, "log_destination", "IP address", id="bucket_ip"),
        pytest.param({"log_destination": "arn:aws:s3:::logs-s3alias"}, "log_destination", "reserves", id="bucket_alias"),
        pytest.param({"log_destination": "arn:aws:s3:::nova/AWSLogs/x/"}, "log_destination", "AWSLogs", id="awslogs"),
        pytest.param({"log_group_name": "/x"}, "log_group_name", "only applies to", id="s3_group"),
        pytest.param({"deliver_logs_permission_arn": ROLE}, "deliver_logs_permission_arn", "not applicable", id="s3_role"),
        pytest.param({"log_format": ""}, "log_format", "separated by single spaces", id="empty_format"),
        pytest.param({"log_format": "${version}  ${srcaddr}"}, "log_format", "''", id="double_space"),
        pytest.param({"log_format": "version srcaddr"}, "log_format", "'version'", id="bare_fields"),
        pytest.param(
            {"log_format": "${version} ${src-addr} ${bytes}"}, "log_format", "has src-addr, which is not", id="unknown_field"
        ),
        pytest.param({"tags": {"Name": "n", "aws:stack": "x"}}, "tags", "aws:stack \u2014 tag keys", id="aws_tag"),
        pytest.param({"tags": {"AWS:Stack": "x"}}, "tags", "reserved for AWS", id="aws_tag_any_case"),
        pytest.param({**CLOUDWATCH}, "deliver_logs_permission_arn", "is required", id="cw_no_role"),
        pytest.param(
            {**CLOUDWATCH, "deliver_logs_permission_arn": "arn:aws:iam::123456789012:user/bob"},
            "deliver_logs_permission_arn",
            "not an IAM role ARN",
            id="cw_user_arn",
        ),
        pytest.param(
            {**CLOUDWATCH, "log_group_name": None, "deliver_logs_permission_arn": ROLE},
            "log_group_name",
            "is required",
            id="cw_no_group",
        ),
        pytest.param(
            {**CLOUDWATCH, "log_destination": GROUP_ARN, "deliver_logs_permission_arn": ROLE},
            "log_group_name",
            "together with log_destination",
            id="cw_group_and_arn",
        ),
        pytest.param(
            {**CLOUDWATCH, "log_group_name": "bad name", "deliver_logs_permission_arn": ROLE},
            "log_group_name",
            "not a valid CloudWatch Logs log group name",
            id="cw_bad_group",
        ),
        pytest.param(
            {**CLOUDWATCH, "log_group_name": None, "log_destination": "arn:aws:s3:::b", "deliver_logs_permission_arn": ROLE},
            "log_destination",
            "log_destination_type: s3 was probably meant",
            id="cw_s3_arn",
        ),
        pytest.param(
            {**CLOUDWATCH, "deliver_logs_permission_arn": ROLE, "destination_options": {"file_format": "parquet"}},
            "destination_options",
            "only applies to log_destination_type: s3",
            id="cw_destination_options",
        ),
        pytest.param(
            {"state": "absent", "resource_id": None, "flow_log_id": "vpc-0123456789abcdef0"},
            "flow_log_id",
            "is not a flow log ID",
            id="bad_flow_log_id",
        ),
    ],
)
def test_invalid_option_is_named_with_value_and_fix(overrides, field, fragment):
    problems = flow_logs.validate(params(**overrides))
    messages = [(p["field"], flow_logs.format_problem(p)) for p in problems]

    assert any(f == field and fragment in m and ". Fix: " in m for f, m in messages), messages


def test_every_documented_field_is_accepted():
    log_format = " ".join(f"${{{field}}}" for field in flow_logs.LOG_FORMAT_FIELDS)

    assert flow_logs.validate(params(log_format=log_format, tags={"Name": "n", "awsome": "y"})) == []


def test_every_problem_is_reported_at_once():
    problems = flow_logs.validate(
        params(resource_id="vpc-bad", log_destination="arn:aws:s3:::Bad", deliver_logs_permission_arn=ROLE, log_format="x")
    )
    message = flow_logs.format_problems(problems)

    assert [p["field"] for p in problems] == ["resource_id", "log_destination", "deliver_logs_permission_arn", "log_format"]
    assert message.startswith("4 problems in the flow log settings, nothing was changed in AWS: (1) resource_id: vpc-bad")


@pytest.mark.parametrize(
    "resource_id, expected",
    [("vpc-0123abcd", "VPC"), ("subnet-0123abcd", "Subnet"), ("eni-0123abcd", "NetworkInterface"), ("igw-1", None), ("", None)],
)
def test_resource_type_follows_the_id_prefix(resource_id, expected):
    assert flow_logs.resource_type_for(resource_id) == expected


def aws_entry(**overrides):
    """A DescribeFlowLogs entry of an S3 flow log created with the AWS defaults."""
    entry = {
        "FlowLogId": "fl-0123456789abcdef0",
        "ResourceId": VPC,
        "TrafficType": "ALL",
        "LogDestinationType": "s3",
        "LogDestination": "arn:aws:s3:::nova-flow-logs/vpc/",
        "LogFormat": flow_logs.DEFAULT_LOG_FORMAT,
        "MaxAggregationInterval": 600,
        "DestinationOptions": {"FileFormat": "plain-text", "HiveCompatiblePartitions": False, "PerHourPartition": False},
        "FlowLogStatus": "ACTIVE",
        "Tags": [{"Key": "Name", "Value": "nova"}],
    }
    return {**entry, **overrides}


def cloudwatch_entry(**overrides):
    entry = aws_entry(
        LogDestinationType="cloud-watch-logs",
        LogDestination=GROUP_ARN,
        LogGroupName="/nova/flow-logs",
        DeliverLogsPermissionArn=ROLE,
    )
    del entry["DestinationOptions"]
    return {**entry, **overrides}


def test_defaults_match_an_entry_created_with_defaults():
    want = flow_logs.desired(params())
    current = flow_logs.view(aws_entry())

    assert flow_logs.same_key(current, want)
    assert flow_logs.drift(current, want) == []
    assert current["tags"] == {"Name": "nova"} and current["resource_type"] == "VPC"


def test_missing_destination_options_mean_the_defaults():
    entry = aws_entry()
    del entry["DestinationOptions"]

    assert flow_logs.drift(flow_logs.view(entry), flow_logs.desired(params())) == []


@pytest.mark.parametrize(
    "entry_overrides, param_overrides, fields",
    [
        pytest.param({"MaxAggregationInterval": 60}, {}, ["max_aggregation_interval"], id="interval"),
        pytest.param({"LogFormat": "${version} ${srcaddr}"}, {}, ["log_format"], id="format_vs_default"),
        pytest.param(
            {},
            {"destination_options": {"file_format": "parquet", "hive_compatible_partitions": False, "per_hour_partition": True}},
            ["destination_options"],
            id="destination_options",
        ),
        pytest.param(
            {"MaxAggregationInterval": 60, "LogFormat": "${srcaddr}"},
            {"log_format": "${dstaddr}"},
            ["log_format", "max_aggregation_interval"],
            id="several",
        ),
    ],
)
def test_drift_names_each_immutable_difference(entry_overrides, param_overrides, fields):
    changes = flow_logs.drift(flow_logs.view(aws_entry(**entry_overrides)), flow_logs.desired(params(**param_overrides)))

    assert [c["field"] for c in changes] == fields
    assert "set replace: true" in flow_logs.format_drift("fl-1", changes)


def test_cloudwatch_role_change_is_drift():
    want = flow_logs.desired(params(**CLOUDWATCH, deliver_logs_permission_arn=ROLE + "-2"))

    changes = flow_logs.drift(flow_logs.view(cloudwatch_entry()), want)

    assert changes == [{"field": "deliver_logs_permission_arn", "current": ROLE, "desired": ROLE + "-2"}]


@pytest.mark.parametrize(
    "entry, param_overrides, expected",
    [
        pytest.param(aws_entry(), {}, True, id="same"),
        pytest.param(aws_entry(TrafficType="REJECT"), {}, False, id="traffic_type"),
        pytest.param(aws_entry(ResourceId="vpc-0123456789abcdef1"), {}, False, id="resource"),
        pytest.param(aws_entry(LogDestination="arn:aws:s3:::nova-flow-logs/"), {}, False, id="s3_prefix"),
        pytest.param(aws_entry(LogDestination="arn:aws:s3:::nova-flow-logs"), {}, False, id="s3_no_prefix"),
        pytest.param(cloudwatch_entry(), {}, False, id="destination_type"),
        pytest.param(cloudwatch_entry(), CLOUDWATCH, True, id="cw_by_name_with_arn_reported"),
        pytest.param(cloudwatch_entry(LogDestination=None), CLOUDWATCH, True, id="cw_by_name_without_arn"),
        pytest.param(
            cloudwatch_entry(LogGroupName=None),
            {**CLOUDWATCH, "log_group_name": None, "log_destination": GROUP_ARN + ":*"},
            True,
            id="cw_arn_star_suffix",
        ),
        pytest.param(
            cloudwatch_entry(LogDestination=GROUP_ARN.replace("123456789012", "210987654321")),
            {**CLOUDWATCH, "log_group_name": None, "log_destination": GROUP_ARN},
            False,
            id="cw_same_name_other_account",
        ),
        pytest.param(cloudwatch_entry(LogGroupName="/other"), CLOUDWATCH, False, id="cw_other_group"),
    ],
)
def test_natural_key(entry, param_overrides, expected):
    want = flow_logs.desired(params(**param_overrides))

    assert flow_logs.same_key(flow_logs.view(entry), want) is expected
    assert flow_logs.find([entry], want) == ([entry] if expected else [])


@pytest.mark.parametrize(
    "current, wanted, purge, expected",
    [
        pytest.param({"a": "1"}, None, True, {"a": "1"}, id="unset_leaves_alone"),
        pytest.param({"a": "1", "b": "2"}, {"a": "1"}, True, {"a": "1"}, id="purge"),
        pytest.param({"a": "1"}, {"b": 2}, False, {"a": "1", "b": "2"}, id="merge_and_stringify"),
        pytest.param({"a": "1", "aws:cf": "x"}, {}, True, {"aws:cf": "x"}, id="aws_tags_never_purged"),
        pytest.param({"a": "1"}, {"a": True}, True, {"a": "True"}, id="bool_value"),
    ],
)
def test_tags_after(current, wanted, purge, expected):
    assert flow_logs.tags_after(current, wanted, purge) == expected


def test_user_tags_drop_the_aws_prefix():
    assert flow_logs.user_tags({"aws:cloudformation:stack": "x", "Name": "n"}) == {"Name": "n"}


def test_s3_create_request_carries_the_options_and_tags():
    want = flow_logs.desired(params(destination_options={"file_format": "parquet", "per_hour_partition": True}))

    request = flow_logs.create_request(want, {"Name": "nova"})

    assert request == {
        "ResourceType": "VPC",
        "ResourceIds": [VPC],
        "TrafficType": "ALL",
        "LogDestinationType": "s3",
        "LogDestination": "arn:aws:s3:::nova-flow-logs/vpc/",
        "LogFormat": flow_logs.DEFAULT_LOG_FORMAT,
        "MaxAggregationInterval": 600,
        "DestinationOptions": {"FileFormat": "parquet", "HiveCompatiblePartitions": False, "PerHourPartition": True},
        "TagSpecifications": [{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "Name", "Value": "nova"}]}],
    }


@pytest.mark.parametrize(
    "overrides, destination_keys",
    [
        pytest.param(CLOUDWATCH, {"LogGroupName": "/nova/flow-logs"}, id="by_name"),
        pytest.param({**CLOUDWATCH, "log_group_name": None, "log_destination": GROUP_ARN}, {"LogDestination": GROUP_ARN}, id="by_arn"),
    ],
)
def test_cloudwatch_create_request(overrides, destination_keys):
    request = flow_logs.create_request(flow_logs.desired(params(**overrides, deliver_logs_permission_arn=ROLE)), {})

    assert request["DeliverLogsPermissionArn"] == ROLE
    assert {k: request[k] for k in ("LogGroupName", "LogDestination") if k in request} == destination_keys
    assert "DestinationOptions" not in request and "TagSpecifications" not in request


def test_client_token_is_deterministic_and_specific():
    request = flow_logs.create_request(flow_logs.desired(params()), {"Name": "nova"})
    token = flow_logs.client_token(request)

    assert token == flow_logs.client_token(dict(reversed(list(request.items()))))
    assert token.startswith("nova-fl-") and len(token) == 64 and token.isascii()
    others = {
        flow_logs.client_token({**request, "MaxAggregationInterval": 60}),
        flow_logs.client_token({**request, "ResourceIds": ["vpc-0123456789abcdef1"]}),
        flow_logs.client_token(request, salt="fl-0123456789abcdef0"),
    }
    assert token not in others and len(others) == 3


def test_unsuccessful_entries_become_failures():
    unsuccessful = [
        {"ResourceId": VPC, "Error": {"Code": "AccessDenied", "Message": "Access Denied for LogDestination"}},
        {"ResourceId": "fl-1", "Error": {"Code": flow_logs.NOT_FOUND_CODE, "Message": "gone"}},
    ]

    failures = flow_logs.failed_entries(unsuccessful, ignore_codes=[flow_logs.NOT_FOUND_CODE])

    assert failures == [{"resource_id": VPC, "code": "AccessDenied", "message": "Access Denied for LogDestination"}]
    assert flow_logs.format_failures("CreateFlowLogs", failures) == (
        f"CreateFlowLogs returned HTTP 200 but failed for {VPC}: AccessDenied Access Denied for LogDestination"
    )
    assert flow_logs.failed_entries(None) == []
