# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of the stack's CloudWatch alarms differ from the design, from one DescribeAlarms read per region.

amazon.aws.cloudwatch_metric_alarm reads each alarm (DescribeAlarms by name, twice) and puts it again when any of
its settings differs. The monitoring role reads all its alarms at once (cloudwatch_metric_alarm_info by name
prefix, one call per region) and runs the module only for the alarms this filter returns: the ones missing or
different by the module's own comparison (the whole alarm, without its state and timestamps), which
module_utils/alarm_settings.py states for the filters and the audit alike.
"""

from ansible_collections.nova.infra.plugins.module_utils import drift
from ansible_collections.nova.infra.plugins.module_utils.alarm_settings import differences


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
        if current is None or differences(alarm, current):
            differing.append(alarm)
    return differing


def alarms_missing(desired, found, default_region=None):
    """The desired alarms that the read (``found``, as for alarms_differing) did not find in their region: the module
    creates them without reading them first (its ``known_absent`` option)."""
    described = _described(found, default_region)
    return [alarm for alarm in desired if (alarm.get("region") or default_region, alarm["name"]) not in described]


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
        for setting, wanted, found_value in differences(alarm, current):
            records.append(drift.record(resource, None, setting, wanted, found_value))
    return records


class FilterModule:
    def filters(self):
        return {"alarms_differing": alarms_differing, "alarms_missing": alarms_missing, "alarm_drift": alarm_drift}
