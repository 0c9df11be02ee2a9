# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filters over drift records (module_utils/drift.py)."""

from ansible_collections.nova.infra.plugins.module_utils import drift
from ansible_collections.nova.infra.plugins.module_utils.drift import summary


def drift_lines(records):
    """One line per drift record: where, what, actual against the design."""
    return [summary(record) for record in records or []]


def result_drift(result, resource, resource_id=None, kind="configuration"):
    """Drift records of a module run in check mode (a registered result, or a registered loop's)."""
    if result and "results" in result:
        return drift.from_loop(result, resource, kind)
    return drift.from_result(result, resource, resource_id, kind)


def asg_drift(found, desired):
    """Drift records of an Auto Scaling group (amazon.aws.autoscaling_group_info's results) against the settings."""
    return drift.auto_scaling_group(found or [], desired)


class FilterModule:
    def filters(self):
        return {"drift_lines": drift_lines, "result_drift": result_drift, "asg_drift": asg_drift}
