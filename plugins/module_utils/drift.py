# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift records, shared by the read-and-compare modules (network_drift, s3_bucket_drift, sns_topic_drift).

A record names what differs from the design: ``{resource, id, setting, desired, actual}``. Each module returns its
records, one summary line per record and ``in_sync`` (no record): the roles run the upstream module only when a
record says it would change something.
"""

from __future__ import annotations

from typing import Any
from typing import Sequence


def record(resource: str, resource_id: str | None, setting: str, desired: Any, actual: Any) -> dict[str, Any]:
    return {"resource": resource, "id": resource_id, "setting": setting, "desired": desired, "actual": actual}


def summary(drift_record: dict[str, Any]) -> str:
    """One line per drift record, for the play's output."""
    where = f"{drift_record['resource']} ({drift_record['id']})" if drift_record.get("id") else drift_record["resource"]
    return f"{where}: {drift_record['setting']} is {drift_record['actual']!r}, the plan says {drift_record['desired']!r}"


def report(records: Sequence[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A read-only module's result: the records, their summary lines, in_sync, and what else it returns."""
    return dict(changed=False, in_sync=not records, drift=list(records), summary=[summary(r) for r in records], **extra)


def refusal(problems: Sequence[str]) -> str:
    """The message of a module that refuses its options before reading anything."""
    return f"{len(problems)} bad option(s), nothing was read: " + " ".join(problems)
