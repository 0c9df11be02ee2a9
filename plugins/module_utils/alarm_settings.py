# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A CloudWatch alarm's settings, compared as amazon.aws.cloudwatch_metric_alarm compares them: the alarm the
module's options describe against the alarm DescribeAlarms returns (snake_cased, as cloudwatch_metric_alarm_info
gives it), without its state and timestamps.

The monitoring role's filters (plugins/filter/alarms.py: alarms_differing, alarm_drift) and the audit's alarm check
(audit_monitoring.py, NOVA-MON-003) share this comparison.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence
from typing import Tuple

# The settings cloudwatch_metric_alarm leaves out of its comparison (state, timestamps, ARN, ActionsEnabled).
IGNORED = {
    "actions_enabled",
    "state_value",
    "state_reason",
    "state_reason_data",
    "state_updated_timestamp",
    "state_transitioned_timestamp",
    "alarm_arn",
    "alarm_configuration_updated_timestamp",
    "metrics",
}

# Module option -> the alarm's setting as cloudwatch_metric_alarm_info returns it (snake_cased DescribeAlarms).
SETTINGS = {
    "name": "alarm_name",
    "metric_name": "metric_name",
    "namespace": "namespace",
    "statistic": "statistic",
    "comparison": "comparison_operator",
    "threshold": "threshold",
    "period": "period",
    "evaluate_low_sample_count_percentile": "evaluate_low_sample_count_percentile",
    "datapoints_to_alarm": "datapoints_to_alarm",
    "evaluation_periods": "evaluation_periods",
    "unit": "unit",
    "description": "alarm_description",
    "dimensions": "dimensions",
    "alarm_actions": "alarm_actions",
    "insufficient_data_actions": "insufficient_data_actions",
    "ok_actions": "ok_actions",
    "treat_missing_data": "treat_missing_data",
    "extended_statistic": "extended_statistic",
}
LISTS = ("alarm_actions", "insufficient_data_actions", "ok_actions")
INTEGERS = ("period", "evaluation_periods", "datapoints_to_alarm")


def expected(alarm: Dict[str, Any]) -> Dict[str, Any]:
    """The alarm as DescribeAlarms would return it once the module has put it (the module's own parameters)."""
    wanted = {}
    for option, setting in SETTINGS.items():
        value = alarm.get(option)
        if option in LISTS:
            value = list(value or [])
        elif option == "treat_missing_data":
            value = value or "missing"
        elif option == "threshold" and value is not None:
            value = float(value)
        elif option in INTEGERS and value is not None:
            value = int(value)
        elif option == "dimensions" and value:
            value = [{"name": str(k), "value": str(v)} for k, v in value.items()]
        if value is None or (option == "dimensions" and not value):
            continue
        wanted[setting] = value
    return wanted


def actual(alarm: Dict[str, Any]) -> Dict[str, Any]:
    """A described alarm without what the module ignores, read as the module reads it."""
    found = {k: v for k, v in alarm.items() if k not in IGNORED}
    found.setdefault("treat_missing_data", "missing")
    if not found.get("dimensions"):
        found.pop("dimensions", None)
    return found


def differences(
    alarm: Dict[str, Any], described: Dict[str, Any], settings: Optional[Sequence[str]] = None
) -> List[Tuple[str, Any, Any]]:
    """(setting, expected value, actual value) of each setting in which the described alarm differs from the alarm
    the options describe: every setting either side has, sorted, or only ``settings`` (DescribeAlarms names, in their
    order). An empty list: the alarm is as the options describe it."""
    wanted, found = expected(alarm), actual(described)
    names = sorted(set(wanted) | set(found)) if settings is None else list(settings)
    return [(name, wanted.get(name), found.get(name)) for name in names if wanted.get(name) != found.get(name)]
