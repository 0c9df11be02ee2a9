# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from pathlib import Path

import pytest
import yaml

from ansible_collections.nova.infra.plugins.module_utils import s3_replication

CASES = yaml.safe_load((Path(__file__).parent / "s3_replication_cases.yml").read_text())
ROLE = "arn:aws:iam::123456789012:role/s3-replication"


def ids(section):
    return [c["id"] for c in CASES[section]]


@pytest.mark.parametrize("case", CASES["build"], ids=ids("build"))
def test_options_build_the_v2_rule_aws_returns(case):
    assert s3_replication.build_rule(case["rule"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["normalize"], ids=ids("normalize"))
def test_aws_rule_is_normalized(case):
    assert s3_replication.normalize_rule(case["rule"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["same"], ids=ids("same"))
def test_equal_configurations_plan_no_change(case):
    current = s3_replication.normalize_configuration({"Role": ROLE, "Rules": [case["aws"]]})

    desired, problems = s3_replication.plan(ROLE, [case["rule"]], current)

    assert problems == []
    assert desired == current


@pytest.mark.parametrize("case", CASES["build"], ids=ids("build"))
def test_built_rule_is_a_fixed_point_of_normalize(case):
    """What the module puts is what it later reads back, so a second run is a no-op."""
    built = s3_replication.build_rule(case["rule"])

    assert s3_replication.normalize_rule(built) == built


@pytest.mark.parametrize("case", CASES["invalid"], ids=ids("invalid"))
def test_invalid_options_report_every_problem(case):
    problems = s3_replication.validate(**case["args"])
    messages = [(p["field"], s3_replication.format_problem(p)) for p in problems]

    for expected in case["problems"]:
        assert any(
            field == expected["field"] and expected["fragment"] in message for field, message in messages
        ), f"no problem on {expected['field']} containing {expected['fragment']!r} in {messages}"
    assert len(messages) == case["count"], messages


def test_valid_options_have_no_problem():
    rules = [
        {"id": "a", "priority": 1, "destination": {"bucket": "dst", "storage_class": "GLACIER_IR"}},
        {"id": "b", "priority": 2, "destination": {"bucket": "arn:aws-cn:s3:::dst", "account": "012345678901"}},
    ]

    assert s3_replication.validate("src", "arn:aws-cn:iam::123456789012:role/path/to/r", rules) == []


def test_read_only_mode_validates_nothing():
    assert s3_replication.validate("src", None, None) == []


def test_message_names_option_value_and_fix():
    problems = s3_replication.validate("src", "bob", [{"id": "a", "priority": 1, "destination": {"bucket": "dst"}}])

    message = s3_replication.format_problems(problems)
    assert message.startswith("1 problem in the replication settings, nothing was changed in AWS:")
    assert "role: bob \u2014 is not an IAM role ARN. Fix: give the ARN of the role" in message


@pytest.mark.parametrize(
    "state, fragment",
    [
        ("missing", "does not exist (NoSuchBucket)"),
        ("Suspended", "has versioning Suspended; AWS refuses replication (InvalidRequest)"),
        ("", "has versioning never enabled"),
    ],
)
def test_bucket_problems(state, fragment):
    (record,) = s3_replication.bucket_problems("bucket", "src", state, "source")

    assert record["field"] == "bucket"
    assert fragment in record["problem"]
    assert "versioning" in record["fix"]


@pytest.mark.parametrize(
    "bucket, fragment",
    [
        ("ab", "3 to 63"),
        ("a" * 64, "3 to 63"),
        ("Bad_Bucket", "lowercase letters"),
        ("s3://dest", "lowercase letters"),
        ("-dest", "start and end"),
        ("a..b", "two adjacent dots"),
        ("192.168.5.4", "IP address"),
        ("xn--dest", "reserves"),
        ("dest-s3alias", "reserves"),
    ],
)
def test_bucket_name_rules(bucket, fragment):
    (record,) = s3_replication.bucket_name_problems("dest_bucket", bucket)

    assert (record["field"], record["value"]) == ("dest_bucket", bucket)
    assert fragment in record["problem"]
    assert "3-63 lowercase letters" in record["fix"]


@pytest.mark.parametrize("bucket", [None, "abc", "nova-production-backup-123456789012-us-west-2", "a.b-c1"])
def test_valid_bucket_names(bucket):
    assert s3_replication.bucket_name_problems("bucket", bucket) == []


@pytest.mark.parametrize(
    "region, problems",
    [
        (None, 0),
        ("us-west-2", 0),
        ("ap-southeast-7", 0),
        ("us-gov-west-1", 0),
        ("us-isob-east-1", 0),
        ("moon-1", 1),
        ("us-west", 1),
        ("us_west_2", 1),
        ("", 1),
    ],
)
def test_region_names(region, problems):
    assert len(s3_replication.region_problems("destination_region", region)) == problems


def test_options_name_bucket_and_region_before_any_call():
    message = s3_replication.format_problems(s3_replication.option_problems("Bad_Bucket", "US-EAST-1"))

    assert message.startswith("2 problems in the replication settings, nothing was changed in AWS: (1) bucket: Bad_Bucket")
    assert "(2) destination_region: US-EAST-1 \u2014 is not an AWS region name (they are lower case). Fix: use us-east-1" in message


@pytest.mark.parametrize("state", ["Enabled", None])
def test_versioned_or_unreadable_bucket_is_no_problem(state):
    assert s3_replication.bucket_problems("rules[0].destination.bucket", "dst", state, "destination") == []


@pytest.mark.parametrize(
    "constraint, region", [(None, "us-east-1"), ("", "us-east-1"), ("EU", "eu-west-1"), ("eu-west-2", "eu-west-2")]
)
def test_location_region(constraint, region):
    assert s3_replication.location_region(constraint) == region


def test_bucket_arn_follows_the_role_partition():
    partition = s3_replication.role_partition("arn:aws-us-gov:iam::123456789012:role/r")

    assert s3_replication.bucket_arn("dst", partition) == "arn:aws-us-gov:s3:::dst"
    assert s3_replication.bucket_arn("arn:aws:s3:::dst", partition) == "arn:aws:s3:::dst"
    assert s3_replication.role_partition("not-an-arn") == "aws"
    assert s3_replication.bucket_name("arn:aws:s3:::dst") == "dst"


def test_destination_buckets_are_distinct_and_named_by_first_rule():
    rules = [
        {"destination": {"bucket": "dst"}},
        {"destination": {"bucket": "arn:aws:s3:::dst"}},
        {"destination": {"bucket": "Bad_Name"}},
        {"destination": {"bucket": "other"}},
    ]

    assert s3_replication.destination_buckets(rules) == [
        ("rules[0].destination.bucket", "dst"),
        ("rules[3].destination.bucket", "other"),
    ]


CURRENT = s3_replication.normalize_configuration(
    {
        "Role": ROLE,
        "Rules": [
            {"ID": "kept", "Priority": 5, "Status": "Enabled", "Filter": {"Prefix": "k/"},
             "Destination": {"Bucket": "arn:aws:s3:::dst"}},
            {"ID": "mine", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
             "ExistingObjectReplication": {"Status": "Enabled"}, "Destination": {"Bucket": "arn:aws:s3:::dst"}},
        ],
    }
)
MINE = {"id": "mine", "priority": 1, "destination": {"bucket": "dst", "storage_class": "STANDARD_IA"}}


def test_purge_removes_unlisted_rules_and_keeps_existing_object_replication():
    desired, problems = s3_replication.plan(ROLE, [MINE], CURRENT, purge_rules=True)

    assert problems == []
    assert [r["ID"] for r in desired["Rules"]] == ["mine"]
    assert desired["Rules"][0]["ExistingObjectReplication"] == {"Status": "Enabled"}
    assert desired["Rules"][0]["Destination"]["StorageClass"] == "STANDARD_IA"


def test_no_purge_keeps_unlisted_rules_sorted_by_priority():
    desired, problems = s3_replication.plan(ROLE, [MINE], CURRENT, purge_rules=False)

    assert problems == []
    assert [r["ID"] for r in desired["Rules"]] == ["mine", "kept"]
    assert desired["Rules"][1] == CURRENT["Rules"][1]


def test_no_purge_reports_a_priority_taken_by_a_kept_rule():
    clash = {"id": "new", "priority": 5, "destination": {"bucket": "dst"}}

    _desired, problems = s3_replication.plan(ROLE, [clash], CURRENT, purge_rules=False)

    assert [p["field"] for p in problems] == ["purge_rules"]
    assert "priority 5 is also the priority of rule 'new'" in problems[0]["problem"]


def test_no_purge_reports_a_kept_v1_rule():
    current = s3_replication.normalize_configuration(
        {"Role": ROLE, "Rules": [{"ID": "v1", "Prefix": "", "Status": "Enabled",
                                  "Destination": {"Bucket": "arn:aws:s3:::dst"}}]}
    )

    _desired, problems = s3_replication.plan(ROLE, [MINE], current, purge_rules=False)

    assert [p["field"] for p in problems] == ["purge_rules"]
    assert "legacy V1 schema" in problems[0]["problem"]


def test_no_rule_left_is_a_problem():
    _desired, problems = s3_replication.plan(ROLE, [], {}, purge_rules=True)

    assert [p["field"] for p in problems] == ["rules"]
    assert "state: absent" in problems[0]["fix"]


def test_v1_configuration_differs_from_its_v2_rewrite():
    current = s3_replication.normalize_configuration(
        {"Role": ROLE, "Rules": [{"ID": "a", "Prefix": "", "Status": "Enabled",
                                  "Destination": {"Bucket": "arn:aws:s3:::dst"}}]}
    )

    desired, _problems = s3_replication.plan(ROLE, [{"id": "a", "priority": 1, "destination": {"bucket": "dst"}}], current)

    assert desired != current


def test_role_change_is_a_difference():
    desired, _problems = s3_replication.plan("arn:aws:iam::123456789012:role/other", [MINE], CURRENT)

    assert desired["Role"] != CURRENT["Role"]


def test_to_result_snake_cases_only_the_top_level():
    assert s3_replication.to_result({}) == {}
    assert s3_replication.to_result(CURRENT) == {"role": ROLE, "rules": CURRENT["Rules"]}
