# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from pathlib import Path

import pytest
import yaml

from ansible_collections.nova.infra.plugins.module_utils import cidr

CASES = yaml.safe_load((Path(__file__).parent / "cidr_cases.yml").read_text())


@pytest.mark.parametrize("case", CASES["valid"], ids=[c["id"] for c in CASES["valid"]])
def test_valid_input_is_planned(case):
    result = cidr.validate(**case["args"])

    assert result["problems"] == []
    assert [[s["tier"], s["index"], s["az"], s["cidr"]] for s in result["subnets"]] == case["subnets"]
    assert len(result["warnings"]) == case.get("warnings", 0)


@pytest.mark.parametrize("case", CASES["invalid"], ids=[c["id"] for c in CASES["invalid"]])
def test_invalid_input_reports_every_problem(case):
    result = cidr.validate(**case["args"])
    messages = [(p["field"], cidr.format_problem(p)) for p in result["problems"]]

    for expected in case["problems"]:
        assert any(
            field == expected["field"] and expected["fragment"] in message for field, message in messages
        ), f"no problem on {expected['field']} containing {expected['fragment']!r} in {messages}"
    if "count" in case:
        assert len(messages) == case["count"], messages
    # Nothing to build from when the input is wrong.
    assert result["subnets"] == []


def test_five_addresses_reserved_per_subnet():
    plan = cidr.plan_subnets("10.0.0.0/16", ["a", "b"], prefix=28)

    assert {(s["total_addresses"], s["usable_addresses"]) for s in plan} == {(16, 11)}


def test_prefix_for_usable_picks_23_for_300_hosts():
    assert cidr.prefix_for_usable(300) == 23
    assert cidr.prefix_for_usable(251) == 24
    assert cidr.prefix_for_usable(0) == 28


def test_plan_23_is_deterministic_and_contiguous():
    plan = cidr.plan_subnets("10.0.0.0/16", ["a", "b"], prefix=23)

    assert [s["cidr"] for s in plan] == ["10.0.0.0/23", "10.0.2.0/23", "10.0.4.0/23", "10.0.6.0/23"]
    assert plan == cidr.plan_subnets("10.0.0.0/16", ["a", "b"], prefix=23)
    assert {s["usable_addresses"] for s in plan} == {507}


def test_plan_refuses_a_vpc_too_small():
    with pytest.raises(ValueError, match="cannot hold 4 subnets of /25"):
        cidr.plan_subnets("10.0.0.0/24", ["a", "b"], prefix=25)


def test_validate_needs_exactly_one_az_source():
    with pytest.raises(ValueError):
        cidr.validate("10.0.0.0/16")
    with pytest.raises(ValueError):
        cidr.validate("10.0.0.0/16", availability_zones=["a", "b"], az_count=2)


def test_message_names_value_variable_and_fix():
    result = cidr.validate("10.0.0.0/16", az_count=1, labels={"az_count": "network_az_count"})

    message = cidr.format_problems(result["problems"])
    assert message.startswith("1 problem in the network settings")
    assert "network_az_count: 1 \u2014 gives 1 distinct availability zone(s)" in message
    assert "Fix: use 2 or more distinct AZs" in message


def test_conflict_regions_must_be_region_names():
    problems = cidr.region_problems(["us-west-2", "moon-1"], labels={"conflict_regions": "network_conflict_regions"})

    message = cidr.format_problems(problems)
    assert message.startswith("1 problem in the network settings")
    assert "network_conflict_regions[1]: moon-1 \u2014 is not an AWS region name. Fix: use an AWS region name" in message
    assert cidr.region_problems(None) == [] and cidr.region_problems(["us-east-1", "eu-central-2"]) == []


VPCS = [
    {"vpc_id": "vpc-default", "region": "us-west-2", "cidrs": ["172.31.0.0/16"], "name": None, "tags": {}},
    {
        "vpc_id": "vpc-legacy",
        "region": "us-west-2",
        "cidrs": ["192.168.0.0/16", "10.0.128.0/17"],  # the secondary block is the one that overlaps
        "name": "legacy",
        "tags": {"Name": "legacy"},
    },
    {
        "vpc_id": "vpc-ours",
        "region": "us-east-1",
        "cidrs": ["10.0.0.0/16"],
        "name": "nova",
        "tags": {"Name": "nova", "Stack": "nova-prod"},
    },
]


def test_conflicts_include_secondary_cidrs_and_skip_own_vpc():
    conflicts = cidr.find_conflicts("10.0.0.0/16", VPCS, own_tags={"Stack": "nova-prod"})

    assert [(c["vpc_id"], c["conflicting_cidrs"]) for c in conflicts] == [("vpc-legacy", ["10.0.128.0/17"])]


def test_own_vpc_needs_all_own_tags():
    conflicts = cidr.find_conflicts("10.0.0.0/16", VPCS, own_tags={"Stack": "nova-prod", "Env": "prod"})

    assert [c["vpc_id"] for c in conflicts] == ["vpc-legacy", "vpc-ours"]


def test_conflict_problem_names_vpc_and_suggests_free_block():
    conflicts = cidr.find_conflicts("10.0.0.0/16", VPCS)

    records = cidr.conflict_problems("10.0.0.0/16", conflicts, VPCS, labels={"vpc_cidr": "network_vpc_cidr"})

    assert [r["field"] for r in records] == ["network_vpc_cidr", "network_vpc_cidr"]
    assert "vpc-legacy (Name: legacy) in us-west-2" in records[0]["problem"]
    assert "10.0.128.0/17" in records[0]["problem"]
    assert "e.g. 10.1.0.0/16" in records[0]["fix"]


def test_suggest_free_cidr_skips_taken_blocks():
    assert (
        cidr.suggest_free_cidr(16, ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/15"], prefer="10.0.0.0/16") == "10.4.0.0/16"
    )
    # A whole private range taken moves on to the next one.
    assert cidr.suggest_free_cidr(28, ["10.0.0.0/8"], prefer="10.0.0.0/16") == "172.16.0.0/28"
    assert cidr.suggest_free_cidr(16, ["172.16.0.0/16"], prefer="172.16.0.0/16") == "172.17.0.0/16"


# Instance type offerings: only zones that offer the bastion's type are used (us-east-1e offers no t3 types).

US_EAST_1 = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]
T3_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"]
OFFER_LABELS = {"availability_zones": "network_azs", "az_count": "network_az_count",
                "instance_type": "bastion_instance_type"}


def offered_plan(**azs):
    return cidr.validate("10.0.0.0/16", available_zones=US_EAST_1, instance_type="t3.micro", offered_zones=T3_ZONES,
                         labels=OFFER_LABELS, **azs)


@pytest.mark.parametrize("count, zones", [
    (2, ["us-east-1a", "us-east-1b"]),
    (4, ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]),
    (5, ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"]),
])
def test_az_count_takes_the_first_available_zones_that_offer_the_type_in_order(count, zones):
    result = offered_plan(az_count=count)

    assert result["problems"] == []
    assert [s["az"] for s in result["subnets"] if s["tier"] == "public"] == zones


def test_offered_zones_keep_the_order_of_the_available_zones():
    assert cidr.offering_zones(US_EAST_1, list(reversed(T3_ZONES))) == T3_ZONES
    assert cidr.offering_zones(None, ["b", "a"]) == ["b", "a"]
    assert cidr.offering_zones(US_EAST_1, None) is None


def test_az_count_beyond_the_offering_zones_names_them_and_the_type():
    result = offered_plan(az_count=6)

    (problem,) = result["problems"]
    assert problem["field"] == "network_az_count" and problem["value"] == 6
    assert "offer instance type t3.micro (bastion_instance_type): 5 (us-east-1a" in problem["problem"]
    assert "set it to at most 5" in problem["fix"]


def test_a_named_zone_without_the_type_is_refused_naming_zone_type_and_working_zones():
    result = offered_plan(availability_zones=["us-east-1a", "us-east-1e"])

    (problem,) = result["problems"]
    assert (problem["field"], problem["value"]) == ("network_azs[1]", "us-east-1e")
    assert "does not offer instance type t3.micro (bastion_instance_type" in problem["problem"]
    assert "Unsupported" in problem["problem"]
    assert problem["fix"].startswith(
        "choose from the available zones that offer t3.micro: us-east-1a, us-east-1b, us-east-1c, us-east-1d, "
        "us-east-1f"
    )
    assert result["subnets"] == []


def test_an_unavailable_named_zone_is_reported_once_as_unavailable():
    result = offered_plan(availability_zones=["us-east-1a", "us-east-1z"])

    assert [p["problem"] for p in result["problems"]] == ["is not an available availability zone in this region"]


def test_a_type_offered_nowhere_refuses_every_zone():
    result = cidr.validate("10.0.0.0/16", availability_zones=["us-east-1a", "us-east-1b"], available_zones=US_EAST_1,
                           instance_type="p5e.48xlarge", offered_zones=[])

    assert [p["field"] for p in result["problems"]] == ["availability_zones[0]", "availability_zones[1]"]
    assert "offer p5e.48xlarge: (none)" in result["problems"][0]["fix"]


def test_without_offerings_the_first_available_zones_are_taken_as_before():
    result = cidr.validate("10.0.0.0/16", az_count=5, available_zones=US_EAST_1)

    assert [s["az"] for s in result["subnets"] if s["tier"] == "public"] == US_EAST_1[:5]
