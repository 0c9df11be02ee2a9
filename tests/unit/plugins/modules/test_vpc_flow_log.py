# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""vpc_flow_log against the embedded sandbox: the S3 key-prefix alignment patch and fault injection live there."""


import boto3
import pytest

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.modules import vpc_flow_log
from sandbox import sandboxctl

REGION = "us-west-2"
BUCKET = "nova-flow-logs"
S3_DESTINATION = f"arn:aws:s3:::{BUCKET}/vpc/"
ROLE = "arn:aws:iam::123456789012:role/nova-flow-logs"


@pytest.fixture(scope="module")
def sandbox(start_sandbox):
    return start_sandbox()


@pytest.fixture
def url(clean_sandbox_url):
    return clean_sandbox_url


def aws(url, service):
    return boto3.client(
        service, region_name=REGION, endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def ec2(url):
    return aws(url, "ec2")


@pytest.fixture
def network(url, ec2):
    """A VPC with a subnet and a network interface, and the destination bucket."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    eni_id = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]["NetworkInterfaceId"]
    aws(url, "s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    sandboxctl.stats(url, reset=True)
    return {"vpc": vpc_id, "subnet": subnet_id, "eni": eni_id}


@pytest.fixture
def run_module(url, run_module):
    """Run main() in-process against the sandbox (tests/conftest.py); return the result (with `failed` when it
    failed)."""

    def run(args, check_mode=False, diff=True):
        connection = {"endpoint_url": url, "region": REGION, "access_key": "testing", "secret_key": "testing"}
        flags = {"_ansible_check_mode": check_mode, "_ansible_diff": diff}
        return run_module(vpc_flow_log, {**connection, **flags, **args})

    return run


def flow_logs_of(ec2, resource_id):
    return ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [resource_id]}])["FlowLogs"]


def writes(url):
    """The mutating EC2 calls the sandbox has seen since the network fixture."""
    return {a: n for a, n in sandboxctl.stats(url)["by_action"].items() if not a.startswith("ec2:Describe")}


def s3_args(network, **extra):
    return {"resource_id": network["vpc"], "log_destination_type": "s3", "log_destination": S3_DESTINATION, **extra}


def test_s3_flow_log_check_mode_create_and_idempotence(run_module, ec2, network, url):
    args = s3_args(network, tags={"Name": "nova-vpc", "Stack": "nova"})

    planned = run_module(args, check_mode=True)
    assert planned["changed"] is True
    assert planned["diff"]["before"] == {}
    assert planned["diff"]["after"]["log_destination"] == S3_DESTINATION
    assert planned["diff"]["after"]["tags"] == {"Name": "nova-vpc", "Stack": "nova"}
    assert flow_logs_of(ec2, network["vpc"]) == []
    assert writes(url) == {}

    created = run_module(args)
    assert created["changed"] is True
    (stored,) = flow_logs_of(ec2, network["vpc"])
    assert stored["FlowLogId"] == created["flow_log"]["flow_log_id"]
    assert stored["LogDestination"] == S3_DESTINATION
    assert (stored["LogDestinationType"], stored["TrafficType"], stored["MaxAggregationInterval"]) == ("s3", "ALL", 600)
    assert {t["Key"]: t["Value"] for t in stored["Tags"]} == {"Name": "nova-vpc", "Stack": "nova"}
    assert created["flow_log"]["tags"] == {"Name": "nova-vpc", "Stack": "nova"}
    assert created["flow_log"]["flow_log_status"] == "ACTIVE"

    again = run_module(args)
    assert again["changed"] is False
    assert "diff" not in again
    assert again["flow_log"]["flow_log_id"] == stored["FlowLogId"]
    assert len(flow_logs_of(ec2, network["vpc"])) == 1


def test_a_new_flow_log_costs_a_find_its_creation_and_one_read_back(run_module, ec2, network, url):
    """The read that finds the new flow log listed (DescribeFlowLogs is eventually consistent) is also the result."""
    sandboxctl.stats(url, reset=True)
    created = run_module(s3_args(network, tags={"Name": "nova-vpc"}))
    requests = sandboxctl.stats(url)["by_action"]

    assert created["changed"] is True
    assert created["flow_log"]["flow_log_id"] == flow_logs_of(ec2, network["vpc"])[0]["FlowLogId"]
    assert created["flow_log"]["tags"] == {"Name": "nova-vpc"}
    assert requests == {"ec2:DescribeFlowLogs": 2, "ec2:CreateFlowLogs": 1}


def test_a_flow_log_listed_late_is_waited_for(run_module, ec2, network, monkeypatch):
    """As AWS may: the first reads after CreateFlowLogs do not list it yet."""
    real_describe = aws_calls.describe_flow_logs
    reads = []

    def describe(client, **params):
        reads.append(params)
        listed = real_describe(client, **params)
        return [] if len(reads) in (2, 3) else listed

    monkeypatch.setattr(aws_calls, "describe_flow_logs", describe)
    monkeypatch.setitem(vpc_flow_log.WAITER_CONFIG["waiters"]["FlowLogExists"], "delay", 0)

    created = run_module(s3_args(network))

    assert created["changed"] is True
    assert len(reads) == 4
    assert [f["FlowLogId"] for f in flow_logs_of(ec2, network["vpc"])] == [created["flow_log"]["flow_log_id"]]


def test_tags_are_updated_in_place(run_module, ec2, network):
    flow_log_id = run_module(s3_args(network, tags={"Name": "nova-vpc", "Old": "x"}))["flow_log"]["flow_log_id"]

    checked = run_module(s3_args(network, tags={"Name": "nova-vpc", "Env": 1}), check_mode=True)
    assert checked["changed"] is True
    assert checked["diff"]["before"]["tags"] == {"Name": "nova-vpc", "Old": "x"}
    assert checked["diff"]["after"]["tags"] == {"Name": "nova-vpc", "Env": "1"}
    assert {t["Key"] for t in flow_logs_of(ec2, network["vpc"])[0]["Tags"]} == {"Name", "Old"}

    updated = run_module(s3_args(network, tags={"Name": "nova-vpc", "Env": 1}))
    assert updated["changed"] is True
    (stored,) = flow_logs_of(ec2, network["vpc"])
    assert stored["FlowLogId"] == flow_log_id
    assert {t["Key"]: t["Value"] for t in stored["Tags"]} == {"Name": "nova-vpc", "Env": "1"}
    assert run_module(s3_args(network, tags={"Name": "nova-vpc", "Env": 1}))["changed"] is False

    merged = run_module(s3_args(network, tags={"Team": "net"}, purge_tags=False))
    assert merged["flow_log"]["tags"] == {"Name": "nova-vpc", "Env": "1", "Team": "net"}
    assert run_module(s3_args(network))["changed"] is False  # tags unset: left alone
    assert len(flow_logs_of(ec2, network["vpc"])[0]["Tags"]) == 3


def test_immutable_drift_fails_unless_replace(run_module, ec2, network, url):
    original = run_module(s3_args(network, tags={"Name": "nova-vpc"}))["flow_log"]["flow_log_id"]
    sandboxctl.stats(url, reset=True)

    refused = run_module(s3_args(network, max_aggregation_interval=60))
    assert refused["failed"]
    assert refused["drift"] == [{"field": "max_aggregation_interval", "current": 600, "desired": 60}]
    assert "set replace: true" in refused["msg"] and original in refused["msg"]
    assert [f["FlowLogId"] for f in flow_logs_of(ec2, network["vpc"])] == [original]

    planned = run_module(s3_args(network, max_aggregation_interval=60, replace=True), check_mode=True)
    assert planned["changed"] is True
    assert planned["diff"]["before"]["max_aggregation_interval"] == 600
    assert planned["diff"]["after"]["max_aggregation_interval"] == 60
    assert writes(url) == {}

    replaced = run_module(s3_args(network, max_aggregation_interval=60, replace=True))
    assert replaced["changed"] is True
    (stored,) = flow_logs_of(ec2, network["vpc"])
    assert stored["FlowLogId"] == replaced["flow_log"]["flow_log_id"] != original
    assert stored["MaxAggregationInterval"] == 60
    assert {t["Key"]: t["Value"] for t in stored["Tags"]} == {"Name": "nova-vpc"}  # carried over
    assert run_module(s3_args(network, max_aggregation_interval=60, replace=True))["changed"] is False


def test_cloudwatch_flow_log_of_a_subnet(run_module, ec2, network):
    args = {
        "resource_id": network["subnet"],
        "resource_type": "Subnet",
        "traffic_type": "REJECT",
        "log_group_name": "/nova/flow-logs",
        "deliver_logs_permission_arn": ROLE,
        "log_format": "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action}",
    }

    created = run_module(args)
    assert created["changed"] is True
    (stored,) = flow_logs_of(ec2, network["subnet"])
    assert (stored["LogGroupName"], stored["DeliverLogsPermissionArn"], stored["TrafficType"]) == (
        "/nova/flow-logs",
        ROLE,
        "REJECT",
    )
    assert stored["LogFormat"] == args["log_format"]
    assert run_module(args)["changed"] is False

    other_role = run_module({**args, "deliver_logs_permission_arn": ROLE + "-2"})
    assert other_role["failed"] and other_role["drift"][0]["field"] == "deliver_logs_permission_arn"


def test_network_interface_flow_log_type_is_inferred(run_module, ec2, network):
    args = {"resource_id": network["eni"], "log_destination_type": "s3", "log_destination": f"arn:aws:s3:::{BUCKET}"}
    created = run_module(args)

    assert created["changed"] is True
    assert created["diff"]["after"]["resource_type"] == "NetworkInterface"
    assert len(flow_logs_of(ec2, network["eni"])) == 1


@pytest.mark.parametrize(
    "args, field, fragment",
    [
        pytest.param(
            {"log_destination": "arn:aws:s3:::Nova_Logs/vpc/"}, "log_destination", "lowercase letters", id="bucket_name"
        ),
        pytest.param(
            {"log_destination": f"arn:aws:s3:::{BUCKET}/AWSLogs/"}, "log_destination", "AWSLogs", id="reserved_prefix"
        ),
        pytest.param(
            {"log_destination": "arn:aws:logs:us-west-2:123456789012:log-group:x"},
            "log_destination",
            "not an S3 bucket ARN (it is a logs ARN)",
            id="logs_arn_for_s3",
        ),
        pytest.param({"resource_type": "Subnet"}, "resource_id", "is a VPC ID but resource_type is Subnet", id="type"),
        pytest.param(
            {"deliver_logs_permission_arn": ROLE}, "deliver_logs_permission_arn", "not applicable", id="role_s3"
        ),
        pytest.param({"log_format": "${version},${srcaddr}"}, "log_format", "separated by single spaces", id="format"),
        pytest.param(
            {"log_destination_type": "cloud-watch-logs", "log_destination": None, "log_group_name": "/nova/fl"},
            "deliver_logs_permission_arn",
            "is required for CloudWatch Logs",
            id="cloudwatch_without_role",
        ),
        pytest.param(
            {"log_destination_type": "cloud-watch-logs"},
            "log_destination",
            "log_destination_type: s3 was probably meant",
            id="s3_arn_for_cloudwatch",
        ),
    ],
)
def test_bad_input_fails_before_any_write(run_module, ec2, network, url, args, field, fragment):
    result = run_module({**s3_args(network), **args})

    assert result["failed"]
    assert f"{field}: " in result["msg"] and fragment in result["msg"] and "Fix: " in result["msg"]
    assert field in [p["field"] for p in result["problems"]]
    assert sandboxctl.stats(url)["by_action"] == {}
    assert flow_logs_of(ec2, network["vpc"]) == []


def test_choices_are_enforced_by_the_argument_spec(run_module, network, url):
    result = run_module(s3_args(network, max_aggregation_interval=30))

    assert result["failed"]
    assert "max_aggregation_interval" in result["msg"] and "60, 600" in result["msg"] and "30" in result["msg"]
    assert sandboxctl.stats(url)["by_action"] == {}


def test_unsuccessful_entry_is_a_failure(run_module, ec2, network):
    result = run_module(s3_args(network, log_destination="arn:aws:s3:::no-such-bucket/vpc/"))

    assert result["failed"]
    assert result["msg"].startswith("CreateFlowLogs returned HTTP 200 but failed for " + network["vpc"])
    assert result["unsuccessful"][0]["resource_id"] == network["vpc"]
    assert result["troubleshooting"]["code"] == result["unsuccessful"][0]["code"]
    assert flow_logs_of(ec2, network["vpc"]) == []


def test_absent_by_natural_key_and_by_id(run_module, ec2, network, url):
    first = run_module(s3_args(network))["flow_log"]["flow_log_id"]
    other = {"traffic_type": "REJECT", "log_destination": f"arn:aws:s3:::{BUCKET}/rejected/"}
    second = run_module(s3_args(network, **other))["flow_log"]["flow_log_id"]
    sandboxctl.stats(url, reset=True)

    planned = run_module(s3_args(network, state="absent"), check_mode=True)
    assert planned["changed"] is True
    assert planned["diff"] == {"before": planned["diff"]["before"], "after": {}}
    assert planned["diff"]["before"]["flow_log_id"] == first
    assert writes(url) == {}

    assert run_module(s3_args(network, state="absent"))["changed"] is True
    assert [f["FlowLogId"] for f in flow_logs_of(ec2, network["vpc"])] == [second]
    assert run_module(s3_args(network, state="absent"))["changed"] is False

    assert run_module({"state": "absent", "flow_log_id": second})["changed"] is True
    assert flow_logs_of(ec2, network["vpc"]) == []
    assert run_module({"state": "absent", "flow_log_id": second})["changed"] is False


def test_retries_through_throttling_and_server_errors(run_module, ec2, network, url):
    sandboxctl.configure(url, fault_rate=0.3, fault_kinds="throttle,5xx", seed=1)

    created = run_module(s3_args(network, tags={"Name": "nova-vpc"}))
    again = run_module(s3_args(network, tags={"Name": "nova-vpc"}))

    sandboxctl.configure(url, fault_rate=0.0)
    assert created["changed"] is True and again["changed"] is False
    assert sandboxctl.stats(url)["faults_injected"] > 0
    assert [f["FlowLogId"] for f in flow_logs_of(ec2, network["vpc"])] == [created["flow_log"]["flow_log_id"]]


def test_stale_client_token_is_salted_once(run_module, ec2, network, monkeypatch):
    """AWS answers a reused token with the deleted flow log's ID; moto ignores tokens, so play AWS here."""
    stale = "fl-0123456789abcdef0"
    tokens = []
    real_create = aws_calls.create_flow_logs

    def create(client, **params):
        tokens.append(params["ClientToken"])
        return {"FlowLogIds": [stale], "Unsuccessful": []} if len(tokens) == 1 else real_create(client, **params)

    monkeypatch.setattr(aws_calls, "create_flow_logs", create)
    for waiter in vpc_flow_log.WAITER_CONFIG["waiters"].values():
        monkeypatch.setitem(waiter, "delay", 0)
        monkeypatch.setitem(waiter, "maxAttempts", 2)

    created = run_module(s3_args(network))

    assert created["changed"] is True
    assert len(set(tokens)) == 2
    assert [f["FlowLogId"] for f in flow_logs_of(ec2, network["vpc"])] == [created["flow_log"]["flow_log_id"]]
    assert created["flow_log"]["flow_log_id"] != stale


def test_cloudwatch_log_group_by_arn_or_by_name_is_the_same_flow_log(run_module, ec2, network):
    by_arn = {
        "resource_id": network["vpc"],
        "log_destination": "arn:aws:logs:us-west-2:123456789012:log-group:/nova/vpc",
        "deliver_logs_permission_arn": ROLE,
    }
    by_name = {**by_arn, "log_destination": None, "log_group_name": "/nova/vpc"}

    created = run_module(by_arn)

    assert created["changed"] is True
    assert run_module(by_arn)["changed"] is False
    assert run_module(by_name)["flow_log"]["flow_log_id"] == created["flow_log"]["flow_log_id"]
    assert len(flow_logs_of(ec2, network["vpc"])) == 1


def test_the_diff_is_returned_only_when_asked(run_module, ec2, network):
    planned = run_module(s3_args(network), check_mode=True, diff=False)
    assert planned["changed"] is True and "diff" not in planned
    assert flow_logs_of(ec2, network["vpc"]) == []
