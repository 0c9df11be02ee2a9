# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The pre-flight's IAM policy simulation (option iam_policy): its pure logic, then the module in-process
against the sandbox. moto does not implement SimulatePrincipalPolicy, so the simulation's answers are stubbed,
except for the one test that shows how the module copes with an endpoint lacking the API."""

import json
from pathlib import Path

import boto3
import botocore.exceptions
import botocore.parsers
import pytest

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import preflight as logic
from ansible_collections.nova.infra.plugins.modules import preflight
from sandbox import sandboxctl

REPO = Path(__file__).resolve().parents[4]
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:PutBucketVersioning"],
         "Resource": ["arn:aws:s3:::nova-production-*"]},
        {"Effect": "Allow", "Action": ["ec2:CreateVpc", "ec2:CreateSubnet"], "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:DeleteVpc", "Resource": "*"},
    ],
}


@pytest.mark.parametrize(
    "arn, principal",
    [
        ("arn:aws:iam::123456789012:user/ops/deployer", "arn:aws:iam::123456789012:user/ops/deployer"),
        ("arn:aws:iam::123456789012:role/ci", "arn:aws:iam::123456789012:role/ci"),
        ("arn:aws:sts::123456789012:assumed-role/deploy/session-1", "arn:aws:iam::123456789012:role/deploy"),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/r/s", "arn:aws-us-gov:iam::123456789012:role/r"),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:sts::123456789012:federated-user/bob", None),
        ("not-an-arn", None),
    ],
)
def test_principal_of_each_kind_of_caller(arn, principal):
    found, why = logic.iam_principal(arn)
    assert found == principal
    assert (why is None) == (principal is not None)


def test_batches_follow_the_allow_statements_and_their_resources():
    assert logic.simulation_batches(POLICY) == [
        {"actions": ["s3:CreateBucket", "s3:PutBucketVersioning"], "resources": ["arn:aws:s3:::nova-production-*"]},
        {"actions": ["ec2:CreateSubnet", "ec2:CreateVpc"], "resources": []},
    ]


@pytest.mark.parametrize(
    "policy, fragment",
    [
        ({}, "has no Statement list"),
        ({"Statement": []}, "has no Statement list"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "needs an Action"),
        ({"Statement": [{"Action": ["CreateVpc"]}]}, "not ['CreateVpc']"),
        ({"Statement": [{"Action": "ec2:"}]}, "not ['ec2:']"),
    ],
)
def test_bad_policy_documents_name_the_option_and_the_fix(policy, fragment):
    problems = logic.validate_iam_policy(policy)
    assert len(problems) == 1
    assert problems[0]["name"] == "option iam_policy" and fragment in problems[0]["detail"]
    assert "docs/iam/site.json" in problems[0]["fix"]


def test_committed_policies_are_valid_option_values():
    for name in ("preflight", "site", "validate", "dr-failover", "teardown"):
        assert logic.validate_iam_policy(json.loads((REPO / "docs" / "iam" / f"{name}.json").read_text())) == []


@pytest.mark.parametrize(
    "decisions, error, unsimulated, status, fragment",
    [
        ({"ec2:CreateVpc": "allowed"}, None, None, "pass", "1 of 1 actions"),
        ({"ec2:CreateVpc": "allowed", "s3:CreateBucket": "implicitDeny"}, None, None, "fail",
         "denied: s3:CreateBucket (implicitDeny)"),
        ({}, {"code": "AccessDenied", "message": "no"}, None, "warn", "may not call iam:SimulatePrincipalPolicy"),
        ({}, {"code": "NoSuchEntity", "message": "no"}, None, "warn", "a role with a path"),
        ({}, {"code": "ResponseParserError", "message": "500"}, None, "warn", "not available at this endpoint"),
        ({}, None, "the root user cannot be simulated", "warn", "root user"),
    ],
)
def test_evaluation(decisions, error, unsimulated, status, fragment):
    record = logic.evaluate_iam_policy(decisions, error, unsimulated)
    assert record["name"] == "iam_permissions" and record["status"] == status
    assert fragment in record["detail"]
    assert ("fix" in record) == (status == "fail")


# The module, in-process against moto


@pytest.fixture(scope="module")
def sandbox_url(start_sandbox):
    return sandboxctl.endpoint(start_sandbox())


@pytest.fixture(scope="module")
def deployer(sandbox_url):
    """Keys of an IAM user: with the sandbox's catch-all keys GetCallerIdentity answers an ARN
    (arn:aws:sts::123456789012:user/moto) that AWS never gives and that cannot be simulated."""
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=sandbox_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    iam.create_user(UserName="deployer", Path="/ops/")
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    return {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}


@pytest.fixture
def run_module(run_module, monkeypatch, sandbox_url, deployer):
    """main() in-process against the sandbox as the deployer (tests/conftest.py): the result it prints, its exit
    status not compared."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    def run(args):
        base = {
            "region": "us-west-2", "endpoint_url": sandbox_url, **deployer,
            "permission_checks": [], "vpc_cidr": "10.0.0.0/16",
        }
        return run_module(preflight, {**base, **args}, check_exit=False)

    return run


def through_the_layer(fake):
    """A stand-in for the AWS call, wrapped as module_utils/aws_calls.py wraps the real one (botocore's errors
    raised as AnsibleAWSError)."""
    return aws_calls._Handler.common_error_handler("simulate the IAM policy of {principal}")(fake)


def iam_check(result):
    return [c for c in result["report"]["checks"] if c["name"] == "iam_permissions"]


def test_without_iam_policy_there_is_no_simulation(run_module):
    result = run_module({})
    assert not result.get("failed") and iam_check(result) == []


def test_denied_actions_fail_before_anything_is_created(run_module, monkeypatch):
    requests = []

    def simulate(iam, principal, **request):
        requests.append(dict(request, PolicySourceArn=principal))
        return [{"EvalActionName": a, "EvalDecision": "implicitDeny" if a == "s3:PutBucketVersioning" else "allowed"}
                for a in request["ActionNames"]]

    monkeypatch.setattr(aws_calls, "simulate_principal_policy", through_the_layer(simulate))
    result = run_module({"iam_policy": POLICY})
    assert result["failed"] and [p["name"] for p in result["problems"]] == ["iam_permissions"]
    assert "s3:PutBucketVersioning (implicitDeny)" in result["msg"]
    assert result["report"]["iam_permissions"]["ec2:CreateVpc"] == "allowed"
    assert requests[0]["ResourceArns"] == ["arn:aws:s3:::nova-production-*"] and "ResourceArns" not in requests[1]
    assert requests[0]["PolicySourceArn"] == "arn:aws:iam::123456789012:user/ops/deployer"
    assert requests[0]["ContextEntries"] == [
        {"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["us-west-2"], "ContextKeyType": "string"}
    ]


@pytest.mark.parametrize(
    "error, fragment",
    [
        # What an endpoint without the API answers over HTTP (the sandbox: moto's bare 500 page).
        (botocore.parsers.ResponseParserError("invalid XML received"), "not available at this endpoint"),
        (botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "Simulate"),
         "may not call iam:SimulatePrincipalPolicy"),
    ],
)
def test_a_simulation_that_cannot_run_is_a_warning_naming_the_cause(run_module, monkeypatch, error, fragment):
    def simulate(iam, principal, **request):
        raise error

    monkeypatch.setattr(aws_calls, "simulate_principal_policy", through_the_layer(simulate))
    result = run_module({"iam_policy": POLICY})
    assert not result.get("failed"), result.get("msg")
    (record,) = iam_check(result)
    assert record["status"] == "warn" and fragment in record["detail"]
    assert result["report"]["iam_permissions"] == {}


def test_the_sandbox_lacking_the_api_gives_a_warning_not_a_failure(run_module):
    result = run_module({"iam_policy": POLICY})
    assert not result.get("failed"), result.get("msg")
    (record,) = iam_check(result)
    assert record["status"] == "warn" and "not available at this endpoint" in record["detail"]


def test_bad_policy_fails_before_any_aws_call(run_module, monkeypatch):
    monkeypatch.setattr(aws_calls, "simulate_principal_policy", lambda *a, **k: pytest.fail("no AWS call expected"))
    result = run_module({"iam_policy": {"Statement": [{"Action": "CreateVpc"}]}})
    assert result["failed"] and result["problems"][0]["name"] == "option iam_policy"
    assert "iam_policy=" in result["msg"] and "Fix:" in result["msg"]
