# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of the stack's CloudWatch alarms differ from the design, from one DescribeAlarms read per region.

amazon.aws.cloudwatch_metric_alarm reads each alarm (DescribeAlarms by name, twice) and puts it again when any of
its settings differs. The monitoring role reads all its alarms at once (cloudwatch_metric_alarm_info by name
prefix, one call per region) and runs the module only for the alarms this filter returns: the ones missing or
different by the module's own comparison (the whole alarm, without its state and timestamps).
"""

from ansible_collections.nova.infra.plugins.module_utils import drift

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


def expected(alarm):
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


def actual(alarm):
    """A described alarm without what the module ignores, read as the module reads it."""
    found = {k: v for k, v in alarm.items() if k not in IGNORED}
    found.setdefault("treat_missing_data", "missing")
    if not found.get("dimensions"):
        found.pop("dimensions", None)
    return found


def _described(found, default_region):
    """{(region, alarm name): described alarm} from cloudwatch_metric_alarm_info's registered (looped) result."""
    results = found.get("results", []) if isinstance(found, dict) else list(found or [])
    described = {}
    for result in results:
        region = result.get("item") or default_region
        for alarm in result.get("metric_alarms", []):
            described[(region, alarm.get("alarm_name"))] = alarm
    return described


def alarms_differing(desired, found, default_region=None):
    """The desired alarms (module options, each with ``region`` or default_region) that are missing or differ.

    ``found``: the registered result of amazon.aws.cloudwatch_metric_alarm_info looped over regions (each result has
    ``metric_alarms`` and the loop's ``item``, the region), or a plain list of such results.
    """
    described = _described(found, default_region)
    differing = []
    for alarm in desired:
        current = described.get((alarm.get("region") or default_region, alarm["name"]))
        if current is None or actual(current) != expected(alarm):
            differing.append(alarm)
    return differing


def alarm_drift(desired, found, default_region=None):
    """Drift records (module_utils/drift.py) of the alarms alarms_differing returns: one per differing setting, or one
    for a missing alarm."""
    described = _described(found, default_region)
    records = []
    for alarm in alarms_differing(desired, found, default_region):
        resource = f"CloudWatch alarm {alarm['name']} ({alarm.get('region') or default_region})"
        current = described.get((alarm.get("region") or default_region, alarm["name"]))
        if current is None:
            records.append(drift.record(resource, None, "alarm", "present", "missing"))
            continue
        wanted, found_settings = expected(alarm), actual(current)
        for setting in sorted(set(wanted) | set(found_settings)):
            if wanted.get(setting) != found_settings.get(setting):
                records.append(drift.record(resource, None, setting, wanted.get(setting), found_settings.get(setting)))
    return records


class FilterModule:
    def filters(self):
        return {"alarms_differing": alarms_differing, "alarm_drift": alarm_drift}
