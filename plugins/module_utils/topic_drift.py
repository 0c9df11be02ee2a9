# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An SNS topic as community.aws.sns_topic manages it, against the settings wanted (sns_topic_drift's logic)."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.nova.infra.plugins.module_utils import drift

# A subscription in these states is not one sns_topic would unsubscribe.
UNCONFIRMED = ("PendingConfirmation", "Deleted")


def endpoint_key(protocol: str, endpoint: str) -> tuple:
    """As sns_topic compares subscriptions: SMS numbers in E.164 form, others as given."""
    if protocol == "sms":
        endpoint = re.sub("[^0-9+]*", "", endpoint)
    return (protocol, endpoint)


def problems(name: str, subscriptions: list, name_pattern: re.Pattern) -> list[str]:
    found = []
    if not name_pattern.match(name or ""):
        found.append(
            f"name: {name!r} is not 1-256 letters, digits, hyphens and underscores. Fix: give the topic's name, "
            "not its ARN"
        )
    for index, sub in enumerate(subscriptions):
        if not isinstance(sub, dict) or not sub.get("protocol") or not sub.get("endpoint"):
            found.append(f"subscriptions[{index}]: {sub!r} lacks protocol or endpoint. Fix: give both")
    return found


def compare(found: dict[str, Any], wanted: dict[str, Any]) -> list[dict[str, Any]]:
    """Drift records for one topic; empty when sns_topic with the same options would change nothing."""
    name = wanted["name"]
    records = []

    def add(setting, desired, actual):
        records.append(drift.record(f"SNS topic {name}", found.get("arn"), setting, desired, actual))

    if not found.get("exists"):
        add("exists", True, False)
        return records
    if wanted.get("display_name") and found.get("display_name") != wanted["display_name"]:
        add("display_name", wanted["display_name"], found.get("display_name"))
    desired = {endpoint_key(s["protocol"], s["endpoint"]) for s in wanted.get("subscriptions") or []}
    existing = {(s["Protocol"], s["Endpoint"]): s.get("SubscriptionArn") for s in found.get("subscriptions", [])}
    missing = sorted(desired - set(existing))
    extra = sorted(
        key for key, arn in existing.items()
        if wanted.get("purge_subscriptions", True) and key not in desired and arn not in UNCONFIRMED
    )
    if missing or extra:
        add("subscriptions", sorted(list(k) for k in desired), sorted(list(k) for k in existing))
    if wanted.get("tags") is not None:
        current = {k: v for k, v in (found.get("tags") or {}).items() if not k.startswith("aws:")}
        tags = {str(k): str(v) for k, v in wanted["tags"].items()}
        expected = tags if wanted.get("purge_tags", True) else dict(current, **tags)
        if current != expected:
            add("tags", expected, current)
    return records
