# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""topic_drift.compare: a topic as sns_topic left it is in sync; what sns_topic would change is drift."""

import copy
import re

import pytest

from ansible_collections.nova.infra.plugins.module_utils import topic_drift

ARN = "arn:aws:sns:us-west-2:123456789012:nova-production-alarms"
WANTED = {
    "name": "nova-production-alarms",
    "display_name": "nova alarms",
    "subscriptions": [{"protocol": "email", "endpoint": "ops@example.com"}],
    "purge_subscriptions": True,
    "tags": {"Project": "nova", "Name": "nova-production-alarms"},
    "purge_tags": True,
}


def found():
    return {
        "exists": True,
        "arn": ARN,
        "display_name": "nova alarms",
        "subscriptions": [
            {"Protocol": "email", "Endpoint": "ops@example.com", "SubscriptionArn": "PendingConfirmation"},
        ],
        "tags": {"Name": "nova-production-alarms", "Project": "nova"},
    }


def settings(current, wanted=None):
    return [r["setting"] for r in topic_drift.compare(current, wanted or WANTED)]


def test_a_topic_as_sns_topic_left_it_is_in_sync():
    assert settings(found()) == []


def test_a_missing_topic_is_drift_and_nothing_else():
    assert settings({"exists": False, "arn": None}) == ["exists"]


CHANGES = {
    "display name": ("display_name", lambda f: f.update(display_name="x")),
    "subscription removed": ("subscriptions", lambda f: f.update(subscriptions=[])),
    "confirmed stranger": (
        "subscriptions",
        lambda f: f["subscriptions"].append(
            {"Protocol": "email", "Endpoint": "x@example.com", "SubscriptionArn": f"{ARN}:1"}
        ),
    ),
    "tag changed": ("tags", lambda f: f["tags"].update(Project="other")),
    "tag added": ("tags", lambda f: f["tags"].update(Owner="me")),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_change_sns_topic_would_undo_is_drift(change):
    setting, mutate = CHANGES[change]
    current = copy.deepcopy(found())
    mutate(current)
    assert settings(current) == [setting]


def test_a_pending_stranger_is_not_unsubscribed_so_not_drift():
    current = found()
    current["subscriptions"].append(
        {"Protocol": "email", "Endpoint": "x@example.com", "SubscriptionArn": "PendingConfirmation"}
    )
    assert settings(current) == []


def test_no_purge_keeps_strangers_and_extra_tags():
    current = found()
    current["subscriptions"].append({"Protocol": "sqs", "Endpoint": "arn:aws:sqs:x", "SubscriptionArn": f"{ARN}:2"})
    current["tags"]["Owner"] = "me"
    assert settings(current, dict(WANTED, purge_subscriptions=False, purge_tags=False)) == []


def test_sms_numbers_compare_as_sns_topic_canonicalizes_them():
    current = dict(found(), subscriptions=[{"Protocol": "sms", "Endpoint": "+15550100", "SubscriptionArn": f"{ARN}:3"}])
    wanted = dict(WANTED, subscriptions=[{"protocol": "sms", "endpoint": "+1 555-0100"}])
    assert settings(current, wanted) == []


def test_bad_names_and_subscriptions_are_problems():
    pattern = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
    assert topic_drift.problems("nova-production-alarms", [], pattern) == []
    problems = topic_drift.problems(ARN, [{"protocol": "email"}], pattern)
    assert len(problems) == 2 and "name" in problems[0] and "subscriptions[0]" in problems[1]
