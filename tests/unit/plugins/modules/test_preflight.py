# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tests of nova.infra.preflight: first its pure logic (plugins/module_utils/preflight.py) on plain data,
then the module in-process against an embedded sandbox.

One file for both because test basenames must be unique across tests/ (there are no __init__.py files).
"""

from pathlib import Path

import boto3
import botocore.session
import pytest
import yaml

from ansible_collections.nova.infra.plugins.module_utils import preflight as logic
from ansible_collections.nova.infra.plugins.modules import preflight
from sandbox import sandboxctl

REGION = "us-west-2"
OWN_TAGS = {
    "Project": "nova",
    "Environment": "production",
    "ManagedBy": "ansible",
    "Stack": "nova-production",
    "Name": "nova-production-vpc",
}
KEY = "nova-production-bastion-key"
# The sandbox answers every EC2 dry run with DryRunOperation, as AWS does for a permitted identity
# (moto alone would perform a DryRun CreateVpc), so all default probes are safe to run here.
PROBES_MOTO_HONOURS = list(logic.DEFAULT_PERMISSION_CHECKS)


# Pure logic: plugins/module_utils/preflight.py

OWN = {"Project": "nova", "Stack": "nova-production", "Name": "nova-production-vpc"}


def quota(kind, value=5, source="service_quotas"):
    return logic.resolve_quota(kind, {"value": value, "source": source, "errors": []}, logic.DEFAULT_QUOTAS)


# (kind, quota value, in use, owned, requested, expected status, expected needed)
QUOTA_CASES = [
    pytest.param("vpcs", 5, 1, 0, 1, "pass", 1, id="vpcs_room_left"),
    pytest.param("vpcs", 5, 4, 0, 1, "pass", 1, id="vpcs_exactly_at_quota_after_create"),
    pytest.param("vpcs", 5, 5, 0, 1, "fail", 1, id="vpcs_at_quota"),
    pytest.param("vpcs", 5, 5, 1, 1, "pass", 0, id="vpcs_at_quota_but_own_vpc_exists"),
    pytest.param("vpcs", 5, 6, 1, 1, "fail", 0, id="vpcs_over_quota_even_on_rerun"),
    pytest.param("vpcs", 10, 5, 0, 1, "pass", 1, id="vpcs_raised_quota"),
    pytest.param("eips", 5, 3, 0, 2, "pass", 2, id="eips_two_fit"),
    pytest.param("eips", 5, 4, 0, 2, "fail", 2, id="eips_one_short"),
    pytest.param("eips", 5, 5, 2, 2, "pass", 0, id="eips_at_quota_own_eips_reused"),
    pytest.param("eips", 5, 5, 1, 2, "fail", 1, id="eips_one_own_one_missing"),
    pytest.param("eips", 5, 0, 0, 0, "pass", 0, id="eips_none_requested"),
]


@pytest.mark.parametrize("kind, value, in_use, owned, requested, status, needed", QUOTA_CASES)
def test_quota_math(kind, value, in_use, owned, requested, status, needed):
    entry = quota(kind, value)

    result = logic.evaluate_quota(kind, entry, in_use, owned, requested, REGION)

    assert result["status"] == status
    assert entry["needed"] == needed
    assert entry["available"] == value - in_use
    assert (entry["in_use"], entry["owned"], entry["requested"]) == (in_use, owned, requested)


def test_vpc_quota_problem_names_code_error_and_increase_command():
    result = logic.evaluate_quota("vpcs", quota("vpcs"), 5, 0, 1, REGION)

    assert "VpcLimitExceeded" in result["cause"]
    assert (
        f"aws service-quotas request-service-quota-increase --region {REGION} --service-code vpc "
        "--quota-code L-F678F1CE --desired-value 6"
    ) in result["fix"]
    assert "aws ec2 describe-vpcs" in result["fix"]


def test_eip_quota_problem_lists_unassociated_addresses():
    result = logic.evaluate_quota("eips", quota("eips"), 5, 0, 2, REGION, unassociated=3)

    assert "AddressLimitExceeded" in result["cause"]
    assert "3 of them are not associated" in result["fix"]
    assert "Addresses[?AssociationId==null].[PublicIp,AllocationId]" in result["fix"]
    assert "--service-code ec2 --quota-code L-0263D0A3 --desired-value 7" in result["fix"]


@pytest.mark.parametrize(
    "lookup, defaults, value, source",
    [
        pytest.param({"value": 20.0, "source": "service_quotas", "errors": []}, {}, 20, "service_quotas", id="applied"),
        pytest.param(
            {"value": 5.0, "source": "aws_default", "errors": ["GetServiceQuota: AccessDenied"]},
            {},
            5,
            "aws_default",
            id="aws_default",
        ),
        pytest.param(
            {"value": None, "errors": ["GetServiceQuota: NoSuchResourceException"]}, {}, 5, "default", id="fallback"
        ),
        pytest.param({"value": None, "errors": []}, {"eips_per_region": 12}, 12, "default", id="configured_fallback"),
    ],
)
def test_quota_source(lookup, defaults, value, source):
    entry = logic.resolve_quota("eips", lookup, {**logic.DEFAULT_QUOTAS, **defaults})

    assert (entry["value"], entry["source"]) == (value, source)
    assert entry["lookup_errors"] == lookup["errors"]
    assert (entry["service_code"], entry["quota_code"]) == ("ec2", "L-0263D0A3")


def test_fallback_source_is_said_in_the_detail():
    entry = logic.resolve_quota("vpcs", {"value": None, "errors": []}, logic.DEFAULT_QUOTAS)

    result = logic.evaluate_quota("vpcs", entry, 1, 0, 1, REGION)

    assert "source: quota_defaults, as Service Quotas did not answer" in result["detail"]


@pytest.mark.parametrize(
    "code, cause_fragment",
    [
        ("NoCredentialsError", "No AWS credentials were found"),
        ("InvalidClientTokenId", "does not know the access key ID"),
        ("ExpiredToken", "have expired"),
        ("SignatureDoesNotMatch", "secret access key does not belong"),
    ],
)
def test_credential_errors_give_the_resolutions(code, cause_fragment):
    result = logic.evaluate_credentials(None, {"code": code, "message": "m"})

    assert result["status"] == "fail"
    assert cause_fragment in result["cause"]
    for resolution in ("aws configure", "AWS_ACCESS_KEY_ID", "IAM role", "AWS SSO", "aws sts get-caller-identity"):
        assert resolution in result["fix"]
    assert "other checks were skipped" in result["detail"]


def test_unreachable_sts_is_not_blamed_on_credentials():
    result = logic.evaluate_credentials(None, {"code": "EndpointConnectionError", "message": "no route"})

    assert result["status"] == "fail"
    assert "endpoint_url" in result["fix"]


def test_credentials_pass_names_identity():
    result = logic.evaluate_credentials({"Arn": "arn:aws:iam::1:user/x", "Account": "1"}, None)

    assert result == {
        "name": "credentials",
        "status": "pass",
        "detail": "authenticated as arn:aws:iam::1:user/x in account 1",
    }


ZONES = [
    {"name": "us-west-2a", "state": "available"},
    {"name": "us-west-2b", "state": "available"},
    {"name": "us-west-2d", "state": "impaired"},
]


@pytest.mark.parametrize(
    "min_azs, required, statuses, fragment",
    [
        pytest.param(2, None, {"availability_zones": "pass"}, "2 available AZs", id="enough"),
        pytest.param(3, None, {"availability_zones": "fail"}, "min_azs is 3", id="too_few"),
        pytest.param(
            2, ["us-west-2a", "us-west-2b"], {"availability_zones": "pass", "required_azs": "pass"}, "", id="required"
        ),
        pytest.param(
            2,
            ["us-west-2a", "us-west-2d", "us-west-2z"],
            {"availability_zones": "pass", "required_azs": "fail"},
            "us-west-2d is impaired; us-west-2z is not an AZ of us-west-2",
            id="required_missing",
        ),
    ],
)
def test_availability_zones(min_azs, required, statuses, fragment):
    checks = logic.evaluate_azs(REGION, ZONES, min_azs, required)

    assert {c["name"]: c["status"] for c in checks} == statuses
    assert fragment in " ".join(c["detail"] for c in checks)
    fixes = {c["name"]: c["fix"] for c in logic.problems_of(checks)}
    if "availability_zones" in fixes:
        assert f"use a region with {min_azs} or more available AZs" in fixes["availability_zones"]
    if "required_azs" in fixes:
        assert fixes["required_azs"].endswith("available AZs of us-west-2: us-west-2a, us-west-2b")


@pytest.mark.parametrize(
    "min_azs, required, offered, statuses, fragment",
    [
        pytest.param(
            2, None, ["us-west-2a"], {"availability_zones": "fail"}, "1 of them offer t3.micro (us-west-2a)",
            id="too_few_offer_it",
        ),
        pytest.param(
            2, None, ["us-west-2a", "us-west-2b"], {"availability_zones": "pass"}, "2 offer t3.micro", id="enough",
        ),
        pytest.param(
            2,
            ["us-west-2a", "us-west-2b"],
            ["us-west-2a", "us-west-2c"],
            {"availability_zones": "pass", "required_azs": "fail"},
            "us-west-2b does not offer t3.micro (bastion_instance_type; zones that do: us-west-2a)",
            id="named_zone_without_it",
        ),
    ],
)
def test_availability_zones_count_only_those_offering_the_instance_type(min_azs, required, offered, statuses, fragment):
    labels = {"min_azs": "network_az_count", "required_azs": "network_azs", "instance_type": "bastion_instance_type"}
    checks = logic.evaluate_azs(REGION, ZONES, min_azs, required, labels, "t3.micro", offered)

    assert {c["name"]: c["status"] for c in checks} == statuses
    assert fragment in " ".join(c["detail"] for c in checks)
    for failed in logic.problems_of(checks):
        assert "t3.micro" in failed["cause"] and "t3.micro" in failed["fix"]
        assert ("bastion_instance_type" in failed["fix"]) == (failed["name"] == "availability_zones")


def vpc(vpc_id, cidrs, tags=None):
    return {"vpc_id": vpc_id, "region": REGION, "cidrs": cidrs, "name": (tags or {}).get("Name"), "tags": tags or {}}


def test_cidr_conflict_per_foreign_vpc_and_own_vpc_ignored():
    vpcs = [
        vpc("vpc-own", ["10.0.0.0/16"], OWN),
        vpc("vpc-legacy", ["10.0.0.0/20"], {"Name": "legacy"}),
        vpc("vpc-other", ["10.0.128.0/17"]),
        vpc("vpc-default", ["172.31.0.0/16"]),
    ]

    checks, conflicts = logic.evaluate_cidr("10.0.0.0/16", vpcs, OWN)

    assert [c["vpc_id"] for c in conflicts] == ["vpc-legacy", "vpc-other"]
    assert [c["status"] for c in checks] == ["fail", "fail"]
    assert "vpc_cidr 10.0.0.0/16 overlaps 10.0.0.0/20 of existing VPC vpc-legacy (Name: legacy)" in checks[0]["detail"]
    assert "e.g. 10.1.0.0/16" in checks[0]["fix"]


def test_no_cidr_is_skipped():
    checks, conflicts = logic.evaluate_cidr(None, [vpc("vpc-1", ["10.0.0.0/16"])], {})

    assert [c["status"] for c in checks] == ["skip"] and conflicts == []


def test_vpc_record_keeps_live_secondary_blocks():
    described = {
        "VpcId": "vpc-1",
        "CidrBlock": "10.0.0.0/16",
        "CidrBlockAssociationSet": [
            {"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
            {"CidrBlock": "10.1.0.0/16", "CidrBlockState": {"State": "associated"}},
            {"CidrBlock": "10.2.0.0/16", "CidrBlockState": {"State": "disassociated"}},
        ],
    }

    assert logic.vpc_record(described, REGION, {"Name": "x"})["cidrs"] == ["10.0.0.0/16", "10.1.0.0/16"]


def test_eip_ownership_ignores_the_name_tag():
    eip_tags = logic.own_eip_tags(OWN)

    eip = {"Project": "nova", "Stack": "nova-production", "Name": "nova-production-nat-eip-us-west-2a"}
    assert logic.has_tags(eip, eip_tags)
    assert not logic.has_tags({"Project": "nova"}, eip_tags)
    assert not logic.has_tags({"Project": "nova"}, {})


@pytest.mark.parametrize(
    "key, must_exist, status",
    [
        pytest.param({"KeyPairId": "key-1"}, True, "pass", id="present"),
        pytest.param(None, False, "pass", id="missing_informational"),
        pytest.param(None, True, "fail", id="missing_required"),
    ],
)
def test_key_pair(key, must_exist, status):
    result = logic.evaluate_key_pair("nova-production-bastion-key", key, must_exist, REGION)

    assert result["status"] == status
    if status == "fail":
        assert "InvalidKeyPair.NotFound" in result["cause"]
        assert "aws ec2 import-key-pair --region us-west-2 --key-name nova-production-bastion-key" in result["fix"]


# A key pair's public key as the bastion role imports it (the pre-flight's throw-away probe key) and another one.
OUR_KEY = logic.PERMISSION_PROBES["ImportKeyPair"]["PublicKeyMaterial"].decode()
# Its fingerprint as `ssh-keygen -lf` prints it.
OUR_FINGERPRINT = "SHA256:RIiclKghi5qsjmbVHnLeXz2CYdVUkeQLYf9kI5e8EZc"
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl someone@else"


@pytest.mark.parametrize(
    "aws_public_key, replace_key, status, fragment",
    [
        pytest.param(OUR_KEY + " ops@laptop", False, "pass", f"holds the public key given ({OUR_FINGERPRINT})",
                     id="same_key_other_comment"),
        pytest.param(OTHER_KEY, False, "fail", "holds another public key (SHA256:", id="another_key"),
        pytest.param(OTHER_KEY, True, "pass", "the bastion role replaces it", id="another_key_replaced"),
        pytest.param(None, False, "warn", "AWS returned no public key", id="no_public_key_returned"),
    ],
)
def test_an_existing_key_pair_is_compared_with_the_public_key_given(aws_public_key, replace_key, status, fragment):
    """FAILURE_ANALYSIS 'SSH Key Pair Issues' (incorrect key): the bastion role keeps an existing key pair, so one that
    holds another key than the operator's would lock them out of the bastion."""
    key = {"KeyPairId": "key-1", "KeyFingerprint": "aws-fp", **({"PublicKey": aws_public_key} if aws_public_key else {})}

    result = logic.evaluate_key_pair("nova-production-bastion-key", key, False, REGION, OUR_KEY, replace_key)

    assert result["status"] == status and fragment in result["detail"], result
    if status == "fail":
        assert OUR_FINGERPRINT in result["detail"]
        assert "Permission denied (publickey)" in result["cause"]
        assert "bastion_rotate_key=true" in result["fix"] and "bastion_public_key_path" in result["fix"]
        assert "aws ec2 delete-key-pair --region us-west-2 --key-name nova-production-bastion-key" in result["fix"]


def test_public_keys_are_the_same_by_their_key_not_their_comment():
    assert logic.same_public_key(OUR_KEY, OUR_KEY.split()[0] + " " + OUR_KEY.split()[1] + " another comment")
    assert not logic.same_public_key(OUR_KEY, OTHER_KEY)
    assert not logic.same_public_key("not a key", "not a key")
    assert logic.ssh_fingerprint(OUR_KEY) == OUR_FINGERPRINT
    # A key whose type word does not match its data is no key.
    assert logic.ssh_fingerprint("ssh-rsa " + OUR_KEY.split()[1]) is None


def test_the_supported_versions_are_galaxy_ymls_and_runtime_ymls():
    """The toolchain check's minimums are the collection's declared dependencies, not a copy that drifts."""
    repo = Path(__file__).resolve().parents[4]
    galaxy = yaml.safe_load((repo / "galaxy.yml").read_text())
    runtime = yaml.safe_load((repo / "meta" / "runtime.yml").read_text())

    assert galaxy["dependencies"]["amazon.aws"] == (
        f">={logic.TOOLCHAIN['amazon.aws']['min']},<{logic.TOOLCHAIN['amazon.aws']['below']}"
    )
    assert runtime["requires_ansible"] == f">={logic.TOOLCHAIN['ansible-core']['min']}"


MINIMUMS = {"boto3": "1.34.0", "botocore": "1.34.0"}
SUPPORTED = {"python": "3.11.7", "ansible-core": "2.19.4", "amazon.aws": "10.1.2", "boto3": "1.40.1",
             "botocore": "1.40.1"}


@pytest.mark.parametrize(
    "changes, status, fragments",
    [
        pytest.param({}, "pass", ["supported versions: python 3.11.7, ansible-core 2.19.4, amazon.aws 10.1.2"],
                     id="supported"),
        pytest.param({"amazon.aws": "9.5.0"}, "fail", ["amazon.aws 9.5.0 (at least 10.1.0)", "make venv"], id="old_amazon_aws"),
        pytest.param({"botocore": "1.29.165", "ansible-core": "2.16.3"}, "fail",
                     ["ansible-core 2.16.3 (at least 2.17.0)", "botocore 1.29.165 (at least 1.34.0)"], id="old_core_and_sdk"),
        pytest.param({"amazon.aws": "11.0.0"}, "warn", ["amazon.aws 11.0.0 (tested below 11.0.0)"], id="newer_amazon_aws"),
        pytest.param({"ansible-core": "2.20.0rc1"}, "pass", ["ansible-core 2.20.0rc1"], id="newer_core_has_no_bound"),
    ],
)
def test_the_toolchain_is_checked_against_the_supported_versions(changes, status, fragments):
    """FAILURE_ANALYSIS pre-deployment checklist: 'Python environment and dependencies installed', 'version
    compatibility confirmed'."""
    result = logic.evaluate_toolchain({**SUPPORTED, **changes}, MINIMUMS)

    assert result["status"] == status, result
    text = result["detail"] + result.get("fix", "")
    assert all(fragment in text for fragment in fragments), result


def test_versions_compare_by_their_numbers():
    assert logic.version_tuple("10.1.2") > logic.version_tuple("10.1")
    assert logic.version_tuple("2.19.0rc1") == (2, 19, 0)
    assert logic.version_tuple("1.100.0") > logic.version_tuple("1.34.0")
    assert logic.version_tuple(None) == ()


def test_no_key_name_is_skipped():
    assert logic.evaluate_key_pair(None, None, False, REGION)["status"] == "skip"


@pytest.mark.parametrize(
    "error, result",
    [
        (None, "allowed"),
        ({"code": "DryRunOperation"}, "allowed"),
        ({"code": "UnauthorizedOperation"}, "denied"),
        ({"code": "InvalidVpcID.NotFound"}, "unverified"),
        ({"code": "EndpointConnectionError"}, "unverified"),
    ],
)
def test_dry_run_classification(error, result):
    assert logic.classify_probe(error) == result


def test_permissions_denied_is_one_problem_naming_every_action():
    check, results = logic.evaluate_permissions(
        {
            "CreateVpc": {"code": "UnauthorizedOperation"},
            "AllocateAddress": {"code": "UnauthorizedOperation"},
            "CreateSubnet": {"code": "InvalidVpcID.NotFound"},
            "CreateInternetGateway": {"code": "DryRunOperation"},
        }
    )

    assert check["status"] == "fail"
    assert check["detail"].startswith("denied: ec2:CreateVpc, ec2:AllocateAddress; 1 of 4 EC2 actions allowed")
    assert "ec2:CreateSubnet: InvalidVpcID.NotFound" in check["detail"]
    assert "IAM policy" in check["fix"]
    assert results["ec2:CreateSubnet"] == "unverified"


def test_unverified_permissions_are_a_warning_only():
    check, _unused = logic.evaluate_permissions(
        {"CreateVpc": {"code": "DryRunOperation"}, "CreateSubnet": {"code": "InvalidVpcID.NotFound"}}
    )

    assert check["status"] == "warn"


def test_every_probe_is_an_ec2_operation_with_dry_run_and_its_required_arguments():
    model = botocore.session.get_session().get_service_model("ec2")

    for action, arguments in logic.PERMISSION_PROBES.items():
        shape = model.operation_model(action).input_shape
        assert "DryRun" in shape.members, action
        assert set(shape.required_members) <= set(arguments), action


def params(**overrides):
    base = {
        "vpc_cidr": "10.0.0.0/16",
        "min_azs": 2,
        "vpcs_to_create": 1,
        "eips_to_allocate": 2,
        "quota_defaults": {},
        "permission_checks": logic.DEFAULT_PERMISSION_CHECKS,
    }
    return {**base, **overrides}


def test_good_options_have_no_problems_and_fill_quota_defaults():
    result = logic.validate_options(params(quota_defaults={"eips_per_region": "10"}))

    assert result["problems"] == []
    assert result["quota_defaults"] == {
        "vpcs_per_region": 5,
        "eips_per_region": 10,
        "nat_gateways_per_az": 5,
        "standard_vcpus": 5,
        "gateway_endpoints_per_region": 20,
        "interface_endpoints_per_vpc": 50,
    }


def test_every_bad_option_is_reported_with_value_and_fix():
    result = logic.validate_options(
        params(
            vpc_cidr="10.0.0.0/8",
            min_azs=0,
            eips_to_allocate=-1,
            quota_defaults={"nat_per_az": 5, "vpcs_per_region": "lots"},
            permission_checks=["CreateVpc", "DeleteVpc"],
        )
    )
    message = logic.format_message(result["problems"])

    assert [p["name"] for p in result["problems"]] == [
        "option vpc_cidr",
        "option min_azs",
        "option eips_to_allocate",
        "option quota_defaults",
        "option quota_defaults",
        "option permission_checks",
    ]
    assert message.startswith(
        "Pre-flight found 6 problems; nothing was created: (1) [option vpc_cidr] vpc_cidr='10.0.0.0/8'"
    )
    assert "AWS only accepts VPC blocks from /16 to /28" in message
    assert "min_azs=0 is below 1" in message
    assert "unknown key 'nat_per_az'" in message
    assert "permission_checks=['DeleteVpc'] names EC2 actions" in message
    assert "Fix: use any of CreateVpc, CreateSubnet" in message


@pytest.mark.parametrize(
    "key_name, fragment",
    [
        ("", "key_name='' is empty"),
        ("  ", "key_name='  ' is empty"),
        (" ops", "leading or trailing spaces"),
        ("k" * 256, "1-255 ASCII characters"),
        ("clé", "1-255 ASCII characters"),
    ],
)
def test_bad_key_name_is_refused_before_any_call(key_name, fragment):
    result = logic.validate_options(params(key_name=key_name, key_must_exist=True))
    message = logic.format_message(result["problems"])

    assert [p["name"] for p in result["problems"]] == ["option key_name"]
    assert fragment in message and "Fix: set key_name to the name of the bastion's key pair" in message


def test_message_numbers_every_problem_with_cause_and_fix():
    problems = [
        logic.check("a", "fail", "first", cause="because", fix="do this"),
        logic.check("b", "fail", "second", fix="do that"),
    ]

    assert logic.format_message(problems) == (
        "Pre-flight found 2 problems; nothing was created: (1) [a] first. Cause: because Fix: do this. "
        "(2) [b] second. Fix: do that."
    )
    assert logic.format_message(problems[:1]).startswith("Pre-flight found 1 problem; ")


def test_read_failure_carries_the_catalogue_guidance():
    result = logic.read_failure("quota_vpcs", "list the VPCs", {"code": "UnauthorizedOperation", "message": "no"})

    assert result["status"] == "fail"
    assert result["detail"] == "could not list the VPCs: UnauthorizedOperation: no"
    assert "decode-authorization-message" in result["fix"]


# The module against the sandbox


@pytest.fixture(scope="module")
def sandbox_url(start_sandbox):
    return sandboxctl.endpoint(start_sandbox())


@pytest.fixture
def url(sandbox_url, monkeypatch):
    """An empty sandbox; the environment holds no AWS settings, so only the module options count."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_ACCESS_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    sandboxctl.configure(sandbox_url, fault_rate=0)
    sandboxctl.reset(sandbox_url)
    return sandbox_url


@pytest.fixture
def aws(url):
    def client(service):
        return boto3.client(
            service, region_name=REGION, endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing"
        )

    return client


@pytest.fixture
def run_module(run_module, url):
    """Run main() in-process against the sandbox (tests/conftest.py); return (failed, result) from the JSON it
    prints."""

    def run(args, credentials=True):
        connection = {"region": REGION, "endpoint_url": url}
        if credentials:
            connection.update(access_key="testing", secret_key="testing")
        result = run_module(preflight, {**connection, **args})
        return bool(result.get("failed")), result

    return run


def account_state(ec2):
    return (
        sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        sorted(a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]),
        sorted(k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]),
    )


def statuses(result):
    return {c["name"]: c["status"] for c in result["report"]["checks"]}


def tag(ec2, resource_id, tags):
    ec2.create_tags(Resources=[resource_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def test_no_credentials_fails_with_the_resolutions(run_module, url, tmp_path, monkeypatch):
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        empty = tmp_path / name
        empty.write_text("")
        monkeypatch.setenv(name, str(empty))
    # Otherwise botocore would wait for an instance role on a link-local address.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    failed, result = run_module({"vpc_cidr": "10.0.0.0/16"}, credentials=False)

    assert failed
    assert result["msg"].startswith("Pre-flight found 1 problem; nothing was created: (1) [credentials]")
    for resolution in ("aws configure", "AWS_ACCESS_KEY_ID", "IAM role", "AWS SSO", "aws sts get-caller-identity"):
        assert resolution in result["msg"]
    assert "NoCredentialsError" in result["msg"] and "other checks were skipped" in result["msg"]
    assert statuses(result) == {
        "toolchain": "pass",  # (new check: read on the controller, it needs no credentials)
        "credentials": "fail",
        "availability_zones": "skip",
        "quota_vpcs": "skip",
        "quota_eips": "skip",
        "cidr_conflicts": "skip",
        "key_pair": "skip",
        "permissions": "skip",
    }
    assert result["report"]["account"] is None
    # Nothing could be signed, so nothing reached AWS.
    assert sandboxctl.stats(url)["requests"] == 0


def test_clean_account_passes_with_the_full_report_and_writes_nothing(run_module, aws):
    ec2 = aws("ec2")
    before = account_state(ec2)

    failed, result = run_module(
        {"vpc_cidr": "10.0.0.0/16", "own_vpc_tags": OWN_TAGS, "key_name": KEY, "permission_checks": PROBES_MOTO_HONOURS}
    )

    assert not failed, result["msg"]
    assert result["changed"] is False and result["problems"] == []
    report = result["report"]
    assert set(report) == {
        "account",
        "arn",
        "user_id",
        "region",
        "checks",
        "quotas",
        "azs",
        "instance_type",
        "offered_zones",
        "vpc_cidr",
        "conflicts",
        "key_pair",
        "permissions",
        "problems",
    }
    # Without instance_type no offerings are read; the CIDR the conflicts were judged for is reported.
    assert (report["instance_type"], report["offered_zones"], report["vpc_cidr"]) == (None, None, "10.0.0.0/16")
    assert report["account"] == "123456789012" and report["arn"].startswith("arn:aws:sts::123456789012:")
    assert report["region"] == REGION
    assert [c["name"] for c in report["checks"]] == [
        "toolchain",  # (new check, first: it needs no AWS call)
        "credentials",
        "availability_zones",
        "quota_vpcs",
        "quota_eips",
        "cidr_conflicts",
        "key_pair",
        "permissions",
    ]
    assert {c["status"] for c in report["checks"]} <= {"pass", "warn"}
    assert report["azs"] == ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
    # The sandbox answers Service Quotas for both quotas with AWS's defaults.
    assert report["quotas"]["vpcs"] == {
        "quota_code": "L-F678F1CE",
        "service_code": "vpc",
        "quota_name": "VPCs per Region",
        "value": 5,
        "source": "service_quotas",
        "lookup_errors": [],
        "in_use": 1,
        "owned": 0,
        "requested": 1,
        "needed": 1,
        "available": 4,
    }
    assert report["quotas"]["eips"]["source"] == "service_quotas"
    assert report["quotas"]["eips"]["value"] == 5
    assert (report["quotas"]["eips"]["in_use"], report["quotas"]["eips"]["needed"]) == (0, 2)
    assert report["key_pair"] == {"name": KEY, "present": False, "key_pair_id": None, "fingerprint": None,
                                  "matches_public_key": None}  # (new field: nothing to compare with)
    assert report["permissions"]["ec2:AllocateAddress"] == "allowed"
    assert set(report["permissions"].values()) == {"allowed"}
    assert "denied" not in report["permissions"].values()
    assert account_state(ec2) == before


def test_check_mode_gives_the_same_report(run_module):
    args = {"vpc_cidr": "10.0.0.0/16", "permission_checks": PROBES_MOTO_HONOURS}

    assert run_module({**args, "_ansible_check_mode": True}) == run_module(args)


def test_empty_key_name_fails_naming_it_before_any_read(run_module):
    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "key_name": "", "key_must_exist": True})

    assert failed
    assert result["msg"].startswith("Pre-flight found 1 problem; nothing was created: (1) [option key_name] key_name=''")
    assert "report" not in result


def test_existing_overlapping_vpc_is_a_conflict(run_module, aws):
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    tag(ec2, vpc_id, {"Name": "legacy"})

    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "own_vpc_tags": OWN_TAGS, "permission_checks": []})

    assert failed
    assert (
        f"[cidr_conflicts] vpc_cidr 10.0.0.0/16 overlaps 10.0.0.0/16 of existing VPC {vpc_id} (Name: legacy) "
        f"in {REGION}." in result["msg"]
    )
    assert "Fix: use a block that overlaps no existing VPC, e.g. 10.1.0.0/16" in result["msg"]
    assert [c["vpc_id"] for c in result["report"]["conflicts"]] == [vpc_id]
    assert [p["name"] for p in result["problems"]] == ["cidr_conflicts"]


def test_vpc_quota_reached_is_a_vpc_limit_problem(run_module, aws):
    ec2 = aws("ec2")
    for i in range(4):  # plus the default VPC: 5, the quota
        ec2.create_vpc(CidrBlock=f"10.{100 + i}.0.0/16")

    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "permission_checks": []})

    assert failed
    assert [p["name"] for p in result["problems"]] == ["quota_vpcs"]
    problem = result["problems"][0]
    assert "5 VPC(s) in use" in problem["detail"] and "+ 1 to create, quota 5" in problem["detail"]
    assert "VpcLimitExceeded" in problem["cause"]
    assert "--service-code vpc --quota-code L-F678F1CE --desired-value 6" in problem["fix"]
    assert result["msg"].startswith("Pre-flight found 1 problem; nothing was created: (1) [quota_vpcs]")


def test_eips_at_quota_is_an_address_limit_problem(run_module, aws):
    ec2 = aws("ec2")
    for _unused in range(5):
        ec2.allocate_address(Domain="vpc")

    failed, result = run_module({"permission_checks": []})

    assert failed
    assert [p["name"] for p in result["problems"]] == ["quota_eips"]
    problem = result["problems"][0]
    assert "AddressLimitExceeded" in problem["cause"]
    assert "5 of them are not associated" in problem["fix"]
    assert "--service-code ec2 --quota-code L-0263D0A3 --desired-value 7" in problem["fix"]
    assert result["report"]["quotas"]["eips"]["source"] == "service_quotas"


def test_rerun_over_the_built_stack_needs_nothing_new(run_module, aws):
    ec2 = aws("ec2")
    own_vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    tag(ec2, own_vpc, OWN_TAGS)
    for i in range(3):
        ec2.create_vpc(CidrBlock=f"10.{100 + i}.0.0/16")
    for az in ("us-west-2a", "us-west-2b"):
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        tag(ec2, eip, {**OWN_TAGS, "Name": f"nova-production-nat-eip-{az}"})
    for _unused in range(3):
        ec2.allocate_address(Domain="vpc")

    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "own_vpc_tags": OWN_TAGS, "permission_checks": []})

    assert not failed, result["msg"]
    quotas = result["report"]["quotas"]
    assert (quotas["vpcs"]["in_use"], quotas["vpcs"]["owned"], quotas["vpcs"]["needed"]) == (5, 1, 0)
    assert (quotas["eips"]["in_use"], quotas["eips"]["owned"], quotas["eips"]["needed"]) == (5, 2, 0)
    assert result["report"]["conflicts"] == []
    # Nothing to create: nothing can exceed the quotas, so they are not read (a no-op site.yml makes fewer requests).
    for kind in ("vpcs", "eips"):
        assert (quotas[kind]["value"], quotas[kind]["source"], quotas[kind]["available"]) == (None, "not_needed", None)
    assert {c["name"]: c["status"] for c in result["report"]["checks"]}["quota_eips"] == "pass"
    assert "quota not read (EC2-VPC Elastic IPs, L-0263D0A3, source: not read, as there is nothing to create)" in next(
        c["detail"] for c in result["report"]["checks"] if c["name"] == "quota_eips"
    )


def test_every_problem_is_reported_at_once(run_module, aws):
    ec2 = aws("ec2")
    for i in range(4):
        ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")
    for _unused in range(4):
        ec2.allocate_address(Domain="vpc")

    failed, result = run_module(
        {
            "vpc_cidr": "10.0.0.0/16",
            "min_azs": 5,
            "required_azs": ["us-west-2a", "us-west-2z"],
            "key_name": KEY,
            "key_must_exist": True,
            "permission_checks": [],
        }
    )

    assert failed
    assert [p["name"] for p in result["problems"]] == [
        "availability_zones",
        "required_azs",
        "quota_vpcs",
        "quota_eips",
        "cidr_conflicts",
        "key_pair",
    ]
    assert result["msg"].startswith("Pre-flight found 6 problems; nothing was created: (1) [availability_zones]")
    assert "(6) [key_pair] key pair nova-production-bastion-key does not exist" in result["msg"]
    assert "aws ec2 import-key-pair" in result["msg"]


def test_existing_key_pair_passes_when_required(run_module, aws):
    ec2 = aws("ec2")
    public_key = logic.PERMISSION_PROBES["ImportKeyPair"]["PublicKeyMaterial"]
    key_id = ec2.import_key_pair(KeyName=KEY, PublicKeyMaterial=public_key)["KeyPairId"]

    failed, result = run_module({"key_name": KEY, "key_must_exist": True, "permission_checks": []})

    assert not failed, result["msg"]
    assert result["report"]["key_pair"]["present"] is True
    assert result["report"]["key_pair"]["key_pair_id"] == key_id


def test_an_existing_key_pair_with_another_key_fails_the_gate_in_the_same_read(run_module, aws, url):
    ec2 = aws("ec2")
    ec2.import_key_pair(KeyName=KEY, PublicKeyMaterial=OTHER_KEY.encode())

    sandboxctl.stats(url, reset=True)
    failed, result = run_module({"key_name": KEY, "public_key": OUR_KEY, "permission_checks": []})
    assert failed
    assert [p["name"] for p in result["problems"]] == ["key_pair"]
    assert f"key pair {KEY} in us-west-2 holds another public key" in result["msg"]
    assert result["report"]["key_pair"]["matches_public_key"] is False
    assert sandboxctl.stats(url)["by_action"]["ec2:DescribeKeyPairs"] == 1

    failed, result = run_module({"key_name": KEY, "public_key": OUR_KEY, "replace_key": True, "permission_checks": []})
    assert not failed, result["msg"]

    ec2.delete_key_pair(KeyName=KEY)
    ec2.import_key_pair(KeyName=KEY, PublicKeyMaterial=OUR_KEY.encode())
    failed, result = run_module({"key_name": KEY, "public_key": OUR_KEY + " comment", "permission_checks": []})
    assert not failed, result["msg"]
    assert result["report"]["key_pair"]["matches_public_key"] is True


def test_a_public_key_that_is_no_key_is_refused_before_any_call(run_module, url):
    failed, result = run_module({"key_name": KEY, "public_key": "-----BEGIN OPENSSH PRIVATE KEY-----", "permission_checks": []})

    assert failed
    assert [p["name"] for p in result["problems"]] == ["option public_key"]
    assert "is not an OpenSSH public key line" in result["msg"]
    assert "PRIVATE KEY-----" not in result["msg"]  # never echoed whole
    assert sandboxctl.stats(url)["requests"] == 0


def test_fail_on_problems_false_returns_the_problems(run_module, aws):
    aws("ec2").create_vpc(CidrBlock="10.0.0.0/16")

    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "fail_on_problems": False, "permission_checks": []})

    assert not failed
    assert [p["name"] for p in result["problems"]] == ["cidr_conflicts"]
    assert result["report"]["problems"] == result["problems"]


def test_bad_options_fail_before_any_aws_call(run_module, url):
    failed, result = run_module(
        {"vpc_cidr": "10.0.0.0/33", "eips_to_allocate": -1, "permission_checks": ["CreateVpc", "TerminateInstances"]}
    )

    assert failed
    assert [p["name"] for p in result["problems"]] == [
        "option vpc_cidr",
        "option eips_to_allocate",
        "option permission_checks",
    ]
    assert "vpc_cidr='10.0.0.0/33' is not a valid IPv4 CIDR block" in result["msg"]
    assert "permission_checks=['TerminateInstances']" in result["msg"]
    assert sandboxctl.stats(url)["requests"] == 0


def test_key_must_exist_needs_a_key_name(run_module):
    failed, result = run_module({"key_must_exist": True})

    assert failed
    assert "key_must_exist is True but all of the following are missing: key_name" in result["msg"]


def test_throttling_and_server_errors_are_retried(run_module, aws, url):
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sandboxctl.configure(url, fault_rate=0.3, fault_kinds="throttle,5xx", seed=1)

    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "permission_checks": PROBES_MOTO_HONOURS})

    faults = sandboxctl.stats(url)["faults_injected"]
    sandboxctl.configure(url, fault_rate=0)
    assert faults > 0
    assert failed
    # The same answer as without faults: only the conflict, every other check read through.
    assert [p["name"] for p in result["problems"]] == ["cidr_conflicts"]
    assert [c["vpc_id"] for c in result["report"]["conflicts"]] == [vpc_id]
    assert result["report"]["quotas"]["vpcs"]["source"] == "service_quotas"


# NAT gateways per AZ (L-FE5A380F) and the running On-Demand standard vCPUs (L-1216C47A)


@pytest.mark.parametrize(
    "usage, per_az, status, over",
    [
        pytest.param({}, 1, "pass", [], id="empty_zones"),
        pytest.param({"us-west-2a": (4, 0)}, 1, "pass", [], id="room_for_one"),
        pytest.param({"us-west-2b": (5, 0)}, 1, "fail", ["us-west-2b"], id="one_zone_full"),
        pytest.param({"us-west-2a": (5, 1), "us-west-2b": (5, 1)}, 1, "pass", [], id="rerun_own_gateways"),
        pytest.param({"us-west-2c": (5, 0)}, 1, "pass", [], id="full_zone_not_used"),
        pytest.param({"us-west-2a": (5, 0), "us-west-2b": (6, 0)}, 1, "fail", ["us-west-2a", "us-west-2b"],
                     id="both_full"),
    ],
)
def test_nat_gateway_quota_is_judged_per_az_of_the_build(usage, per_az, status, over):
    entry = quota("nat_gateways")

    result = logic.evaluate_nat_gateway_quota(entry, usage, ["us-west-2a", "us-west-2b"], per_az, REGION)

    assert result["status"] == status
    assert set(entry["per_az"]) == {"us-west-2a", "us-west-2b"}
    assert "NAT gateways per Availability Zone, L-FE5A380F" in result["detail"]
    if over:
        assert f"in {', '.join(over)} would exceed the quota of 5 per AZ" in result["cause"]
        assert "NatGatewayLimitExceeded" in result["cause"]
        desired = max(usage[az][0] + 1 for az in over)
        assert (
            f"aws service-quotas request-service-quota-increase --region {REGION} --service-code vpc "
            f"--quota-code L-FE5A380F --desired-value {desired}"
        ) in result["fix"]


@pytest.mark.parametrize(
    "available, count, required, offered, azs",
    [
        pytest.param(["a", "b", "c"], 2, None, None, ["a", "b"], id="first_available"),
        pytest.param(["1a", "1b", "1c", "1d", "1e", "1f"], 5, None, ["1a", "1b", "1c", "1d", "1f"],
                     ["1a", "1b", "1c", "1d", "1f"], id="offering_zones_only"),
        pytest.param(["a", "b", "c"], 2, ["c", "a"], ["a"], ["c", "a"], id="required_as_given"),
    ],
)
def test_planned_azs_are_the_network_roles(available, count, required, offered, azs):
    assert logic.planned_azs(available, count, required, offered) == azs


@pytest.mark.parametrize(
    "instance_type, standard",
    [("t3.micro", True), ("m7i.large", True), ("z1d.large", True), ("im4gn.large", True), ("a1.medium", True),
     ("p5.48xlarge", False), ("g5.xlarge", False), ("inf2.xlarge", False), ("hpc7g.4xlarge", False),
     ("dl1.24xlarge", False), ("trn1.2xlarge", False), ("x2idn.16xlarge", False), ("mac2.metal", False)],
)
def test_standard_families_are_those_of_l_1216c47a(instance_type, standard):
    assert logic.is_standard_family(instance_type) is standard


def test_vcpu_usage_counts_running_on_demand_standard_instances_and_the_stacks_own():
    own = {"Stack": "nova-production"}
    instances = [
        {"type": "t3.micro", "lifecycle": None, "tags": {"Stack": "nova-production", "Name": "nova-production-bastion"}},
        {"type": "m5.large", "lifecycle": None, "tags": {}},
        {"type": "m5.large", "lifecycle": "spot", "tags": {}},
        {"type": "g5.xlarge", "lifecycle": None, "tags": {}},
    ]
    vcpus = {"t3.micro": 2, "m5.large": 2, "g5.xlarge": 4}

    assert logic.vcpu_usage(instances, vcpus, own) == (4, 2)


# (quota, in use, owned, max instances, status, needed)
VCPU_CASES = [
    pytest.param(5, 0, 0, 2, "pass", 4, id="new_account_fits_two_t3_micro"),
    pytest.param(5, 2, 0, 2, "fail", 4, id="other_instance_running"),
    pytest.param(5, 2, 2, 2, "pass", 2, id="rerun_own_bastion_running"),
    pytest.param(5, 4, 2, 2, "fail", 2, id="rerun_with_another_instance_running"),
    pytest.param(32, 28, 0, 2, "pass", 4, id="raised_quota_exactly_full"),
    pytest.param(5, 0, 0, 3, "fail", 6, id="max_size_three"),
]


@pytest.mark.parametrize("value, in_use, owned, max_instances, status, needed", VCPU_CASES)
def test_vcpu_quota_counts_the_group_at_its_maximum_size(value, in_use, owned, max_instances, status, needed):
    entry = quota("vcpus", value)

    result = logic.evaluate_vcpu_quota(entry, in_use, owned, "t3.micro", max_instances, 2, REGION)

    assert result["status"] == status
    assert (entry["requested"], entry["needed"]) == (max_instances * 2, needed)
    assert f"{max_instances} x t3.micro (2 vCPUs each)" in result["detail"]
    if status == "fail":
        assert "VcpuLimitExceeded" in result["cause"]
        assert "bastion_asg_max_size" in result["fix"]
        assert (
            f"--service-code ec2 --quota-code L-1216C47A --desired-value {in_use + needed}"
        ) in result["fix"]


def test_a_type_with_its_own_quota_needs_no_standard_vcpus():
    entry = quota("vcpus")

    assert logic.evaluate_vcpu_quota(entry, 5, 0, "g5.xlarge", 2, 4, REGION)["status"] == "pass"
    assert entry["needed"] == 0


def test_capacity_options_are_checked_before_any_call():
    result = logic.validate_options(params(nat_gateways_per_az=-1, instance_type="t3 micro", max_instances=-1))

    assert [p["name"] for p in result["problems"]] == [
        "option nat_gateways_per_az", "option max_instances", "option instance_type"
    ]
    assert "instance_type='t3 micro' is not an EC2 instance type" in logic.format_message(result["problems"])
    assert [p["name"] for p in logic.validate_options(params(max_instances=2))["problems"]] == ["option max_instances"]


def test_capacity_checks_against_the_sandbox_name_the_quotas(run_module, aws):
    """us-east-1e offers no t3 types: the NAT gateway check looks at the zones the network role will use."""
    failed, result = run_module(
        {"vpc_cidr": "10.0.0.0/16", "permission_checks": [], "nat_gateways_per_az": 1, "instance_type": "t3.micro",
         "max_instances": 2, "own_vpc_tags": OWN_TAGS}
    )

    assert not failed, result["msg"]
    checks = statuses(result)
    assert (checks["quota_nat_gateways"], checks["quota_vcpus"]) == ("pass", "pass")
    quotas = result["report"]["quotas"]
    assert set(quotas["nat_gateways"]["per_az"]) == {"us-west-2a", "us-west-2b"}
    assert (quotas["nat_gateways"]["quota_code"], quotas["nat_gateways"]["value"]) == ("L-FE5A380F", 5)
    assert (quotas["vcpus"]["quota_code"], quotas["vcpus"]["value"]) == ("L-1216C47A", 5)
    assert (quotas["vcpus"]["in_use"], quotas["vcpus"]["requested"], quotas["vcpus"]["needed"]) == (0, 4, 4)

    # Another team's instance takes 2 of the 5 vCPUs: the bastion group at its maximum no longer fits.
    ec2 = aws("ec2")
    image = sandboxctl.amazon_linux_image_id(ec2)
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.small")
    failed, result = run_module(
        {"vpc_cidr": "10.0.0.0/16", "permission_checks": [], "instance_type": "t3.micro", "max_instances": 2}
    )

    assert failed
    assert [p["name"] for p in result["problems"]] == ["quota_vcpus"]
    assert "--quota-code L-1216C47A --desired-value 6" in result["msg"]


def test_capacity_checks_pick_the_offering_zones_in_us_east_1(run_module):
    failed, result = run_module(
        {"region": "us-east-1", "vpc_cidr": "10.0.0.0/16", "min_azs": 5, "eips_to_allocate": 5,
         "permission_checks": [], "nat_gateways_per_az": 1, "instance_type": "t3.micro"}
    )

    assert not failed, result["msg"]
    assert list(result["report"]["quotas"]["nat_gateways"]["per_az"]) == [
        "us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"
    ]


def test_named_zones_that_do_not_offer_the_type_are_refused_and_offerings_are_read_once(run_module, url):
    """us-east-1e offers no t3 types (as on AWS): naming it fails the pre-flight before the network role runs, and the
    offerings read for it are returned for the network role instead of being read again."""
    sandboxctl.reset(url)
    failed, result = run_module(
        {"region": "us-east-1", "vpc_cidr": "10.0.0.0/16", "min_azs": 2, "required_azs": ["us-east-1a", "us-east-1e"],
         "permission_checks": [], "nat_gateways_per_az": 1, "instance_type": "t3.micro",
         "labels": {"required_azs": "network_azs", "instance_type": "bastion_instance_type"}}
    )

    assert failed
    assert [p["name"] for p in result["problems"]] == ["required_azs"]
    assert "us-east-1e does not offer t3.micro (bastion_instance_type;" in result["msg"]
    report = result["report"]
    assert report["instance_type"] == "t3.micro"
    assert "us-east-1a" in report["offered_zones"] and "us-east-1e" not in report["offered_zones"]
    assert sandboxctl.stats(url)["by_action"]["ec2:DescribeInstanceTypeOfferings"] == 1


def test_endpoints_are_counted_against_their_quotas_and_the_quota_read_only_when_some_are_to_create(run_module, aws):
    ec2 = aws("ec2")
    own_vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    tag(ec2, own_vpc, OWN_TAGS)
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [own_vpc]}])["RouteTables"][0]
    subnet = ec2.create_subnet(VpcId=own_vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    # Another VPC's interface endpoint does not count against the stack VPC's quota; a gateway endpoint anywhere in
    # the region counts against the regional one.
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.90.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_vpc_endpoint(VpcId=other_vpc, ServiceName=f"com.amazonaws.{REGION}.ssm", VpcEndpointType="Interface",
                            SubnetIds=[other_subnet])
    ec2.create_vpc_endpoint(VpcId=other_vpc, ServiceName=f"com.amazonaws.{REGION}.dynamodb", VpcEndpointType="Gateway")
    ec2.create_vpc_endpoint(VpcId=own_vpc, ServiceName=f"com.amazonaws.{REGION}.logs", VpcEndpointType="Interface",
                            SubnetIds=[subnet])
    args = {"own_vpc_tags": OWN_TAGS, "permission_checks": [], "check_cidr_conflicts": False,
            "gateway_endpoints": 1, "interface_endpoints": 3,
            "quota_defaults": {"gateway_endpoints_per_region": 1}}

    failed, result = run_module(args)

    checks = {c["name"]: c for c in result["report"]["checks"]}
    assert checks["quota_interface_endpoints"]["status"] == "pass"
    assert "1 interface VPC endpoint(s) in use" in checks["quota_interface_endpoints"]["detail"]
    assert "+ 3 to create, quota 50 (Interface VPC endpoints per VPC, L-29B6F2EB" in (
        checks["quota_interface_endpoints"]["detail"])
    gateway = checks["quota_gateway_endpoints"]
    assert "1 gateway VPC endpoint(s) in use" in gateway["detail"] and "L-1B52E74A" in gateway["detail"]
    assert result["report"]["quotas"]["gateway_endpoints"]["value"] == 20, "read from Service Quotas"

    # The stack's own S3 endpoint built: nothing to create, and the gateway quota is not read.
    ec2.create_vpc_endpoint(
        VpcId=own_vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway",
        RouteTableIds=[table["RouteTableId"]],
        TagSpecifications=[{"ResourceType": "vpc-endpoint",
                            "Tags": [{"Key": k, "Value": v} for k, v in {**OWN_TAGS, "Name": "x-vpce-s3"}.items()]}],
    )
    failed, result = run_module({**args, "interface_endpoints": 0})
    assert not failed, result["msg"]
    checks = {c["name"]: c for c in result["report"]["checks"]}
    assert "nothing to create" in checks["quota_gateway_endpoints"]["detail"]
    assert "quota_interface_endpoints" not in checks
    assert result["report"]["quotas"]["gateway_endpoints"]["source"] == "not_needed"


def test_endpoints_over_the_quota_are_a_problem_with_the_increase_command():
    quota = logic.resolve_quota("gateway_endpoints", {"value": 20, "source": "service_quotas"}, logic.DEFAULT_QUOTAS)
    found = logic.evaluate_quota("gateway_endpoints", quota, 20, 0, 1, "us-west-2")
    assert found["status"] == "fail"
    assert "VpcEndpointLimitExceeded" in found["cause"]
    assert "--service-code vpc --quota-code L-1B52E74A --desired-value 21" in found["fix"]
    assert "describe-vpc-endpoints" in found["fix"]
