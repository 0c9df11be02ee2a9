# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift records, shared by the read-and-compare modules (network_drift, s3_bucket_drift, sns_topic_drift).

A record names what differs from the design: ``{resource, id, setting, desired, actual}``. Each module returns its
records, one summary line per record and ``in_sync`` (no record): the roles run the upstream module only when a
record says it would change something.
"""

from __future__ import annotations

import json
from typing import Any
from typing import Mapping
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


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _same(actual: Any, desired: Any) -> bool:
    """Equal, or the same scalar written two ways (a port 22 read from AWS and "22" from a template)."""
    if actual == desired:
        return True
    scalars = (str, int, float, bool)
    return isinstance(actual, scalars) and isinstance(desired, scalars) and str(actual) == str(desired)


def _differences(actual: Any, desired: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    """(setting, desired, actual) for each setting of ``desired`` (what the module would set) that ``actual`` lacks
    or has otherwise: dicts by key (dotted path), lists of dicts of one length by index, other lists as a whole and
    in any order; settings the module does not state are not compared."""
    if isinstance(desired, Mapping) and isinstance(actual, Mapping):
        for key in desired:
            _differences(actual.get(key), desired[key], f"{path}.{key}" if path else str(key), out)
        return
    if isinstance(desired, list) and isinstance(actual, list):
        if sorted(map(_canonical, actual)) == sorted(map(_canonical, desired)):
            return
        paired = len(actual) == len(desired) and all(isinstance(v, Mapping) for v in actual + desired)
        if paired:
            for index, (one, other) in enumerate(zip(actual, desired)):
                _differences(one, other, f"{path}[{index}]", out)
            return
        out.append((path, sorted(desired, key=_canonical), sorted(actual, key=_canonical)))
        return
    if not _same(actual, desired):
        out.append((path, desired, actual))


def from_result(result: Mapping[str, Any], resource: str, resource_id: str | None = None,
                kind: str = "configuration") -> list[dict[str, Any]]:
    """Drift records of a module run in check mode: none when it would change nothing; else one per setting of
    its diff (``diff: {before, after}``, or amazon.aws's ``[{before, after}]``) that differs, or one for the whole
    ``kind`` when the module gave no diff (run without --diff) or the resource is missing."""
    if not result or not result.get("changed"):
        return []
    diff = result.get("diff")
    if isinstance(diff, list):
        diff = diff[0] if diff else None
    before = (diff or {}).get("before")
    after = (diff or {}).get("after")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return [record(resource, resource_id, kind, "as the role sets it", "different (run with --diff for the values)")]
    if not before:
        return [record(resource, resource_id, kind, "present", "missing")]
    found: list[tuple[str, Any, Any]] = []
    _differences(before, after, "", found)
    records = [record(resource, resource_id, setting, desired, actual) for setting, desired, actual in found]
    return records or [record(resource, resource_id, kind, "as the role sets it", "different")]


def from_loop(result: Mapping[str, Any], resource: str, kind: str = "configuration") -> list[dict[str, Any]]:
    """from_result for each item of a registered loop; ``resource`` is followed by the item's name."""
    records = []
    for item_result in result.get("results", []) if result else []:
        item = item_result.get(item_result.get("ansible_loop_var", "item"))
        name = item.get("name") if isinstance(item, Mapping) else item
        records += from_result(item_result, f"{resource} {name}", None, kind)
    return records


def auto_scaling_group(found: Sequence[Mapping[str, Any]], desired: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Drift records of an Auto Scaling group as amazon.aws.autoscaling_group_info returns it (``found``: its
    results) against ``desired``: min_size, max_size, desired_capacity, launch_template_name, launch_template_version,
    subnets, health_check_type, health_check_grace_period, metrics (any collected) and tags (a dict)."""
    resource = f"Auto Scaling group {desired.get('name', '')}".strip()
    if len(found) != 1:
        return [record(resource, None, "group", "present", "missing" if not found else f"{len(found)} groups")]
    group = found[0]
    template = group.get("launch_template") or {}
    actual = {
        "min_size": group.get("min_size"),
        "max_size": group.get("max_size"),
        "desired_capacity": group.get("desired_capacity"),
        "launch_template_name": template.get("launch_template_name", ""),
        "launch_template_version": template.get("version", ""),
        "subnets": sorted(s for s in (group.get("vpc_zone_identifier") or "").split(",") if s),
        "health_check_type": group.get("health_check_type", ""),
        "health_check_grace_period": group.get("health_check_grace_period", 0),
        "metrics": bool(group.get("enabled_metrics")),
        "tags": {t["key"]: t["value"] for t in group.get("tags", [])},
    }
    wanted = dict(desired, subnets=sorted(desired.get("subnets", [])))
    return [
        record(resource, group.get("auto_scaling_group_arn"), setting, wanted[setting], actual[setting])
        for setting in actual
        if setting in wanted and actual[setting] != wanted[setting]
    ]
