# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.nova.infra.plugins.modules import cidr_validate

REGION = "us-west-2"
LABELS = {
    "vpc_cidr": "network_vpc_cidr",
    "availability_zones": "network_azs",
    "az_count": "network_az_count",
    "public_subnet_cidrs": "network_public_subnet_cidrs",
    "private_subnet_cidrs": "network_private_subnet_cidrs",
}


@pytest.fixture
def run_module(run_module):
    """Run main() with args in-process (tests/conftest.py); return (failed, result) from the JSON it prints."""

    def run(args):
        result = run_module(cidr_validate, args)
        return bool(result.get("failed")), result

    return run


@pytest.fixture
def fake_aws(monkeypatch):
    """Moto's in-process AWS with fake credentials, so nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


def test_good_input_returns_the_plan(run_module):
    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "availability_zones": ["us-west-2a", "us-west-2b"]})

    assert not failed
    assert result["changed"] is False
    assert result["vpc"] == {"cidr": "10.0.0.0/16", "prefix_length": 16, "total_addresses": 65536, "rfc1918": True}
    assert [(s["cidr"], s["az"]) for s in result["public_subnets"]] == [
        ("10.0.0.0/24", "us-west-2a"),
        ("10.0.1.0/24", "us-west-2b"),
    ]
    assert [(s["cidr"], s["az"]) for s in result["private_subnets"]] == [
        ("10.0.2.0/24", "us-west-2a"),
        ("10.0.3.0/24", "us-west-2b"),
    ]
    assert result["subnets"] == result["public_subnets"] + result["private_subnets"]
    assert result["conflicts"] == []


def test_check_mode_behaves_the_same(run_module):
    args = {"vpc_cidr": "10.0.0.0/16", "az_count": 2}

    assert run_module({**args, "_ansible_check_mode": True}) == run_module(args)


def test_non_private_range_is_a_warning(run_module):
    failed, result = run_module({"vpc_cidr": "100.64.0.0/16", "az_count": 2, "labels": LABELS})

    assert not failed
    assert result["vpc"]["rfc1918"] is False
    # ansible-core 2.19 sends warnings as structured summaries, older cores as strings: match the text either way.
    assert "network_vpc_cidr: 100.64.0.0/16 is outside the private RFC 1918" in json.dumps(result["warnings"])


def test_invalid_vpc_cidr_names_the_callers_variable(run_module):
    failed, result = run_module({"vpc_cidr": "10.0.0.0/33", "az_count": 2, "labels": LABELS})

    assert failed
    assert "network_vpc_cidr: 10.0.0.0/33 \u2014 is not a valid IPv4 CIDR block" in result["msg"]
    assert "Fix: write the VPC block as address/prefix" in result["msg"]
    assert [p["field"] for p in result["problems"]] == ["network_vpc_cidr"]


@pytest.mark.parametrize(
    "args, field, fragment",
    [
        pytest.param(
            {
                "public_subnet_cidrs": ["10.0.0.0/23", "10.0.1.0/24"],
                "private_subnet_cidrs": ["10.0.2.0/24", "10.0.3.0/24"],
            },
            "network_public_subnet_cidrs[1]",
            "overlaps network_public_subnet_cidrs[0] (10.0.0.0/23)",
            id="overlapping_subnets",
        ),
        pytest.param(
            {
                "public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
                "private_subnet_cidrs": ["10.0.2.0/24", "10.1.3.0/24"],
            },
            "network_private_subnet_cidrs[1]",
            "is not inside the VPC block 10.0.0.0/16",
            id="subnet_outside_vpc",
        ),
    ],
)
def test_bad_subnets_name_the_variable(run_module, args, field, fragment):
    failed, result = run_module(
        {"vpc_cidr": "10.0.0.0/16", "availability_zones": ["us-west-2a", "us-west-2b"], "labels": LABELS, **args}
    )

    assert failed
    assert f"{field}: " in result["msg"] and fragment in result["msg"]
    assert [p["field"] for p in result["problems"]] == [field]


def test_one_az_fails_naming_the_variable(run_module):
    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "az_count": 1, "labels": LABELS})

    assert failed
    assert "network_az_count: 1 \u2014 gives 1 distinct availability zone(s); at least 2 are required" in result["msg"]


def test_all_problems_are_reported_together(run_module):
    failed, result = run_module(
        {
            "vpc_cidr": "10.0.0.0/8",
            "az_count": 1,
            "public_subnet_cidrs": ["10.0.0.0/24"],
            "private_subnet_cidrs": ["10.0.0.0/24"],
            "labels": LABELS,
        }
    )

    assert failed
    assert result["msg"].startswith("3 problems in the network settings")
    assert [p["field"] for p in result["problems"]] == [
        "network_vpc_cidr",
        "network_az_count",
        "network_private_subnet_cidrs[0]",
    ]


def test_az_options_are_mutually_exclusive(run_module):
    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "az_count": 2, "availability_zones": ["a", "b"]})

    assert failed
    assert "mutually exclusive" in result["msg"]


def test_existing_overlapping_vpc_fails_with_its_id(run_module, fake_aws):
    vpc_id = fake_aws.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    fake_aws.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": "legacy"}])

    failed, result = run_module(
        {
            "region": REGION,
            "vpc_cidr": "10.0.0.0/16",
            "az_count": 2,
            "check_existing_vpcs": True,
            "own_vpc_tags": {"Stack": "nova-prod"},
            "labels": LABELS,
        }
    )

    assert failed
    assert (
        f"network_vpc_cidr: 10.0.0.0/16 \u2014 overlaps 10.0.0.0/16 of existing VPC {vpc_id} (Name: legacy) in {REGION}"
        in result["msg"]
    )
    # moto's default VPC is 172.31.0.0/16, so the first free /16 in 10/8 is suggested.
    assert "e.g. 10.1.0.0/16" in result["msg"]
    assert [c["vpc_id"] for c in result["conflicts"]] == [vpc_id]


def test_secondary_cidr_of_existing_vpc_conflicts(run_module, fake_aws):
    vpc_id = fake_aws.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    fake_aws.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.0.0.0/16")

    failed, result = run_module(
        {"region": REGION, "vpc_cidr": "10.0.0.0/16", "az_count": 2, "check_existing_vpcs": True}
    )

    assert failed
    assert result["conflicts"][0]["conflicting_cidrs"] == ["10.0.0.0/16"]


def test_own_vpc_is_not_a_conflict(run_module, fake_aws):
    vpc_id = fake_aws.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    fake_aws.create_tags(Resources=[vpc_id], Tags=[{"Key": "Stack", "Value": "nova-prod"}])

    failed, result = run_module(
        {
            "region": REGION,
            "vpc_cidr": "10.0.0.0/16",
            "az_count": 2,
            "check_existing_vpcs": True,
            "own_vpc_tags": {"Stack": "nova-prod"},
        }
    )

    assert not failed, result["msg"]
    assert result["conflicts"] == []
    assert len(result["subnets"]) == 4


def test_instance_type_offerings_pick_the_zones_and_refuse_a_zone_without_the_type(run_module, fake_aws):
    """moto's offerings data is AWS's: us-east-1e offers no t3 types."""
    east = {"region": "us-east-1", "vpc_cidr": "10.0.0.0/16", "instance_type": "t3.micro",
            "available_zones": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]}

    failed, result = run_module({**east, "az_count": 5})

    assert not failed, result.get("msg")
    assert [s["az"] for s in result["public_subnets"]] == [
        "us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"
    ]
    assert result["offered_zones"] and "us-east-1e" not in result["offered_zones"]

    failed, result = run_module({**east, "availability_zones": ["us-east-1d", "us-east-1e"],
                                 "labels": {**LABELS, "instance_type": "bastion_instance_type"}})

    assert failed
    assert "network_azs[1]: us-east-1e — does not offer instance type t3.micro (bastion_instance_type" in result["msg"]
    assert "us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f" in result["msg"]


def test_without_instance_type_no_offerings_are_read(run_module):
    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "az_count": 2,
                                 "available_zones": ["us-east-1e", "us-east-1f"]})

    assert not failed
    assert "offered_zones" not in result
    assert [s["az"] for s in result["public_subnets"]] == ["us-east-1e", "us-east-1f"]


def test_offerings_handed_over_are_used_without_reading_them(run_module):
    """The pre-flight's offered_zones: no AWS call is made (the endpoint below answers nothing)."""
    failed, result = run_module({"vpc_cidr": "10.0.0.0/16", "region": "us-east-1", "endpoint_url": "http://127.0.0.1:9",
                                 "az_count": 2, "instance_type": "t3.micro",
                                 "available_zones": ["us-east-1e", "us-east-1f", "us-east-1a"],
                                 "offered_zones": ["us-east-1a", "us-east-1f"]})

    assert not failed, result.get("msg")
    assert [s["az"] for s in result["public_subnets"]] == ["us-east-1f", "us-east-1a"]
    assert result["offered_zones"] == ["us-east-1a", "us-east-1f"]
