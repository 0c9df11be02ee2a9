# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import re
from pathlib import Path

import botocore.exceptions
import pytest

from ansible_collections.nova.infra.plugins.module_utils import troubleshoot
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import CATALOGUE
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import ZONAL_LAUNCH_ERRORS
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import classify
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import classify_all
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import code_from_activity
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import error_code
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import exception_code
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import explain
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import fail_aws

DOC = Path(troubleshoot.__file__).resolve().parents[2] / "docs" / "troubleshooting.md"

SEED_CODES = ["AccessDenied", "UnauthorizedOperation", "RequestLimitExceeded"]
# Failures listed in docs/design.md (the failure analysis) and the ones operators meet on top.
DESIGN_CODES = [
    "NoCredentialsError", "AccessDenied", "UnauthorizedOperation", "InvalidVpc.Range", "VpcLimitExceeded",
    "AddressLimitExceeded", "InvalidKeyPair.NotFound", "InvalidGroup.Duplicate", "InvalidPermission.Duplicate",
    "InvalidParameterValue", "Unsupported", "ModuleNotFoundError",
]
OPERATOR_CODES = [
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure",
    "RequestLimitExceeded", "Throttling", "ThrottlingException", "SlowDown", "DependencyViolation",
    "InvalidAllocationID.NotFound", "InvalidSubnet.Conflict", "InvalidSubnet.Range", "NatGatewayLimitExceeded",
    "InsufficientInstanceCapacity", "InvalidAMIID.NotFound", "InvalidParameterCombination", "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou", "NoSuchBucket", "InvalidRequest", "MalformedPolicy",
    "IllegalLocationConstraintException", "ReplicationConfigurationNotFoundError", "EndpointConnectionError",
    "InvalidInstanceID.NotFound", "LimitExceeded", "ValidationError",
]
# Why an Auto Scaling group cannot launch its instance (failed scaling activities).
LAUNCH_CODES = [
    "InvalidKeyPair.NotFound", "InvalidAMIID.NotFound", "InvalidGroup.NotFound", "InsufficientInstanceCapacity",
    "Unsupported", "VcpuLimitExceeded", "InsufficientFreeAddressesInSubnet", "InvalidParameterValue",
]


def client_error(code, message="boom", operation="CreateVpc"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, operation)


# ---- the catalogue --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_entry_has_a_cause_and_fix_steps(code):
    entry = CATALOGUE[code]
    assert isinstance(entry["cause"], str) and len(entry["cause"]) > 20
    assert isinstance(entry["fix"], list) and entry["fix"]
    assert all(isinstance(step, str) and step.strip() for step in entry["fix"])


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_entry_text_prints_safely(code):
    """No braces (stdout JSON readers find the document by its first brace) and closed `code` spans."""
    for text in [CATALOGUE[code]["cause"], *CATALOGUE[code]["fix"]]:
        assert "{" not in text and "}" not in text, text
        assert text.count("`") % 2 == 0, text


@pytest.mark.parametrize("code", SEED_CODES + DESIGN_CODES + OPERATOR_CODES + LAUNCH_CODES)
def test_required_codes_are_catalogued(code):
    assert explain(code)["known"], code


def test_quota_guidance_names_the_right_quota_and_service():
    vpc_fix = " ".join(CATALOGUE["VpcLimitExceeded"]["fix"])
    assert "--service-code vpc --quota-code L-F678F1CE" in vpc_fix
    assert "request-service-quota-increase" in vpc_fix
    eip_fix = " ".join(CATALOGUE["AddressLimitExceeded"]["fix"])
    assert "--service-code ec2 --quota-code L-0263D0A3" in eip_fix
    assert "Addresses[?AssociationId==null]" in eip_fix


def test_credentials_guidance_covers_every_source():
    fix = " ".join(CATALOGUE["NoCredentialsError"]["fix"])
    for needle in ("aws configure", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                   "instance profile", "aws sso login", "aws sts get-caller-identity"):
        assert needle in fix, needle


def test_explain_known_and_unknown_codes():
    known = explain("InvalidKeyPair.NotFound")
    assert known["code"] == "InvalidKeyPair.NotFound" and known["known"] is True
    assert set(known) >= {"code", "known", "cause", "fix"}
    unknown = explain("SomethingNew.Weird")
    assert unknown["known"] is False and unknown["cause"] and unknown["fix"]


def test_explain_returns_a_copy_the_caller_may_change():
    explain("AccessDenied")["fix"].append("mutated")
    assert "mutated" not in CATALOGUE["AccessDenied"]["fix"]


def test_every_code_is_documented():
    headings = set(re.findall(r"^### `([^`]+)`", DOC.read_text(), flags=re.M))
    assert headings == set(CATALOGUE)


def test_the_page_is_generated_from_the_catalogue():
    """docs/troubleshooting.md from "## Contents" on is what `make troubleshooting-doc` writes from SECTIONS."""
    page = DOC.read_text()
    assert page[page.index("\n## Contents\n") + 1:] == troubleshoot.reference_markdown()


def test_every_code_is_in_one_section():
    codes = [code for section in troubleshoot.SECTIONS.values() for code in section]
    assert len(codes) == len(set(codes)) == len(CATALOGUE)


# ---- codes of exceptions -------------------------------------------------------------------------------

EXCEPTIONS = {
    "client error": (client_error("VpcLimitExceeded"), "VpcLimitExceeded", "VpcLimitExceeded"),
    "no credentials": (botocore.exceptions.NoCredentialsError(), None, "NoCredentialsError"),
    "endpoint": (botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9/"), None,
                 "EndpointConnectionError"),
    "connect timeout": (botocore.exceptions.ConnectTimeoutError(endpoint_url="http://x/"), None, "ConnectTimeoutError"),
    "no region": (botocore.exceptions.NoRegionError(), None, "NoRegionError"),
    "missing boto3": (ModuleNotFoundError("No module named 'boto3'"), None, "ModuleNotFoundError"),
    "unrelated": (ValueError("nope"), None, None),
}


@pytest.mark.parametrize("exception, client_code, code", EXCEPTIONS.values(), ids=EXCEPTIONS.keys())
def test_codes_of_exceptions(exception, client_code, code):
    assert error_code(exception) == client_code
    assert exception_code(exception) == code


class FakeModule:
    def __init__(self):
        self.failure = None

    def fail_json_aws(self, exception, msg=None, **kwargs):
        self.failure = dict(exception=exception, msg=msg, **kwargs)


def test_fail_aws_adds_the_guidance():
    module = FakeModule()
    error = client_error("DependencyViolation", operation="DeleteVpc")
    fail_aws(module, error, "Couldn't delete VPC")
    assert module.failure["exception"] is error
    assert module.failure["msg"] == "Couldn't delete VPC"
    assert module.failure["troubleshooting"] == explain("DependencyViolation")


def test_fail_aws_explains_botocore_errors_without_a_response():
    module = FakeModule()
    fail_aws(module, botocore.exceptions.NoCredentialsError(), "Couldn't describe VPCs")
    assert module.failure["troubleshooting"]["code"] == "NoCredentialsError"


def test_fail_aws_without_a_code_adds_nothing():
    module = FakeModule()
    fail_aws(module, ValueError("nope"), "Bad")
    assert "troubleshooting" not in module.failure


# ---- classify(): realistic failed task results ---------------------------------------------------------

# What amazon.aws's fail_json_aws returns for a ClientError: the snake-cased botocore response.
AMAZON_AWS_CLIENT_ERROR = {
    "failed": True,
    "changed": False,
    "msg": "Failed to create subnet: An error occurred (InvalidParameterValue) when calling the CreateSubnet "
    "operation: Value (us-west-2z) for parameter availabilityZone is invalid.",
    "error": {
        "code": "InvalidParameterValue",
        "message": "Value (us-west-2z) for parameter availabilityZone is invalid.",
    },
    "response_metadata": {"http_status_code": 400, "request_id": "abc", "retry_attempts": 0},
    "boto3_version": "1.44.8",
    "botocore_version": "1.44.8",
}
NOVA_RESULT = {
    "failed": True,
    "msg": "Couldn't create NAT gateway: An error occurred (NatGatewayLimitExceeded) when calling ...",
    "troubleshooting": explain("NatGatewayLimitExceeded"),
}
CLASSIFY_CASES = {
    "amazon.aws client error": (AMAZON_AWS_CLIENT_ERROR, "InvalidParameterValue"),
    "nova.infra fail_aws": (NOVA_RESULT, "NatGatewayLimitExceeded"),
    "error.code wins over the message": (
        {"failed": True, "msg": "An error occurred (Throttling) when calling X", "error": {"code": "AccessDenied"}},
        "AccessDenied",
    ),
    "code only in the message (ec2 module_utils wrap)": (
        {"failed": True, "msg": "Failed to describe key pairs: An error occurred (AuthFailure) when calling the "
         "DescribeKeyPairs operation (reached max retries: 4): AWS was not able to validate the provided access "
         "credentials"},
        "AuthFailure",
    ),
    "no credentials": (
        {"failed": True, "msg": "Failed to describe vpcs: Unable to locate credentials"}, "NoCredentialsError"),
    "partial credentials": (
        {"failed": True, "msg": "Couldn't connect to AWS: Partial credentials found in env, missing: "
         "AWS_SECRET_ACCESS_KEY"}, "PartialCredentialsError"),
    "missing profile": (
        {"failed": True, "msg": "Couldn't connect to AWS: The config profile (nova) could not be found"},
        "ProfileNotFound"),
    "no region": (
        {"failed": True, "msg": "The amazon.aws.ec2_vpc_net module requires a region and none was found in "
         "configuration, environment variables or module parameters"}, "NoRegionError"),
    "endpoint down": (
        {"failed": True, "msg": 'Unable to describe availability zones.: Could not connect to the endpoint URL: '
         '"http://127.0.0.1:4590/"'}, "EndpointConnectionError"),
    "connect timeout": (
        {"failed": True, "msg": 'Failed to list buckets: Connect timeout on endpoint URL: "https://s3.amazonaws.com/"'},
        "ConnectTimeoutError"),
    "boto3 not installed (amazon.aws)": (
        {"failed": True, "msg": "Failed to import the required Python library (botocore and boto3) on host's Python "
         "/usr/bin/python3. Please read the module documentation and install it in the appropriate location."},
        "ModuleNotFoundError"),
    "boto3 not installed (module crash)": (
        {"failed": True, "msg": "MODULE FAILURE: No start of json char found",
         "module_stderr": "Traceback ...\nModuleNotFoundError: No module named 'botocore'\n"},
        "ModuleNotFoundError"),
    "another library missing is not ours": (
        {"failed": True, "msg": "Failed to import the required Python library (netaddr) on host's Python"}, None),
    "plain failure": ({"failed": True, "msg": "Assertion failed"}, None),
    "error that is a string": ({"failed": True, "error": "boom", "msg": "boom"}, None),
    "empty": ({}, None),
    "not a dict": ("boom", None),
}


@pytest.mark.parametrize("result, code", CLASSIFY_CASES.values(), ids=CLASSIFY_CASES.keys())
def test_classify(result, code):
    assert classify(result) == code


def test_classify_loop_results():
    result = {
        "failed": True,
        "msg": "One or more items failed",
        "results": [
            {"changed": True, "item": "10.0.0.0/24", "failed": False},
            "a string item",
            {"skipped": True, "item": "10.0.4.0/24"},
            dict(AMAZON_AWS_CLIENT_ERROR, item="10.0.1.0/24",
                 error={"code": "InvalidSubnet.Conflict", "message": "conflicts"}),
            dict(AMAZON_AWS_CLIENT_ERROR, item="10.0.2.0/24"),
            dict(AMAZON_AWS_CLIENT_ERROR, item="10.0.3.0/24",
                 error={"code": "InvalidSubnet.Conflict", "message": "conflicts"}),
        ],
    }
    assert classify(result) == "InvalidSubnet.Conflict"
    assert classify_all(result) == ["InvalidSubnet.Conflict", "InvalidParameterValue"]


def test_classify_prefers_the_task_code_over_its_items():
    result = {"failed": True, "error": {"code": "AccessDenied"}, "results": [{"error": {"code": "Throttling"}}]}
    assert classify_all(result) == ["AccessDenied", "Throttling"]


# ---- code_from_activity(): StatusMessage of failed scaling activities, as AWS words them ----------------------

_FAILED = " Launching EC2 instance failed."
ACTIVITY_CASES = {
    # Launch templates: the code is named.
    "unsupported (launch template)": (
        "Could not launch On-Demand Instances. Unsupported - Your requested instance type (p3.2xlarge) is not "
        "supported in your requested Availability Zone (eu-central-1c). Please retry your request by not specifying "
        "an Availability Zone or choosing eu-central-1a, eu-central-1b." + _FAILED,
        "Unsupported",
    ),
    "vCPU quota (launch template)": (
        "Could not launch On-Demand Instances. VcpuLimitExceeded - You have requested more vCPU capacity than your "
        "current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to. Please "
        "visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit." + _FAILED,
        "VcpuLimitExceeded",
    ),
    "key pair (launch template)": (
        "Could not launch On-Demand Instances. InvalidKeyPair.NotFound - The key pair 'nova-production-bastion-key' "
        "does not exist." + _FAILED,
        "InvalidKeyPair.NotFound",
    ),
    "parameter (launch template)": (
        "Could not launch On-Demand Instances. InvalidParameterValue - Value (us-west-2z) for parameter "
        "availabilityZone is invalid." + _FAILED,
        "InvalidParameterValue",
    ),
    "spot, a code outside the catalogue": (
        "Could not launch Spot Instances. InvalidFleetConfiguration - Your requested instance type (c5.large) is not "
        "supported in your requested Availability Zone (us-east-1e)." + _FAILED,
        "InvalidFleetConfiguration",
    ),
    # Launch configurations and older activities: the EC2 message alone.
    "key pair": ("The key pair 'nova-production-bastion-key' does not exist." + _FAILED, "InvalidKeyPair.NotFound"),
    "image": ("The image id '[ami-0123456789abcdef0]' does not exist." + _FAILED, "InvalidAMIID.NotFound"),
    "security group": ("The security group 'sg-0123456789abcdef0' does not exist." + _FAILED, "InvalidGroup.NotFound"),
    "capacity": (
        "We currently do not have sufficient t3.micro capacity in the Availability Zone you requested (us-west-2a). "
        "Our system will be working on provisioning additional capacity. You can currently get t3.micro capacity by "
        "not specifying an Availability Zone in your request or choosing us-west-2b, us-west-2c." + _FAILED,
        "InsufficientInstanceCapacity",
    ),
    "type not in the zone": (
        "Your requested instance type (t2.micro) is not supported in your requested Availability Zone (us-east-1e). "
        "Please retry your request by not specifying an Availability Zone or choosing us-east-1a." + _FAILED,
        "Unsupported",
    ),
    "configuration not supported": (
        "The requested configuration is currently not supported. Please check the documentation for supported "
        "configurations." + _FAILED,
        "Unsupported",
    ),
    "vCPU quota": (
        "You have requested more vCPU capacity than your current vCPU limit of 5 allows for the instance bucket that "
        "the specified instance type belongs to." + _FAILED,
        "VcpuLimitExceeded",
    ),
    "subnet full": (
        "There are not enough free addresses in subnet 'subnet-0123456789abcdef0' to satisfy the requested number of "
        "instances." + _FAILED,
        "InsufficientFreeAddressesInSubnet",
    ),
    "unknown wording": ("Client.InternalError: Client error on launch." + _FAILED, None),
    "no message": (None, None),
}


@pytest.mark.parametrize("message, code", ACTIVITY_CASES.values(), ids=ACTIVITY_CASES.keys())
def test_code_from_activity(message, code):
    assert code_from_activity(message) == code


def test_zonal_launch_errors_are_catalogued():
    assert ZONAL_LAUNCH_ERRORS <= set(CATALOGUE)
