# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The monitoring checks of the audit (alarms and their subscribers), each declared beside its rule."""


from ansible_collections.nova.infra.plugins.module_utils import alarm_settings
from ansible_collections.nova.infra.plugins.module_utils.audit_core import DESIGN
from ansible_collections.nova.infra.plugins.module_utils.audit_core import NotApplicable
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _require_vpc
from ansible_collections.nova.infra.plugins.module_utils.audit_core import check
from ansible_collections.nova.infra.plugins.module_utils.audit_core import label

# ---------------------------------------------------------------- rules: monitoring

# The alarm kinds of the design: (the settings key of their expected settings, namespace, the dimension that names
# the resource watched). The metric and the rest are settings (option nat_alarm, bastion_cpu_alarm).
NAT_ALARM = ("nat_alarm", "AWS/NATGateway", "NatGatewayId")
BASTION_ALARM = ("bastion_cpu_alarm", "AWS/EC2", "AutoScalingGroupName")

# The settings NOVA-MON-003 compares (DescribeAlarms names, as module_utils/alarm_settings.py compares them), and
# how a finding names them.
AUDITED = (
    "namespace",
    "metric_name",
    "dimensions",
    "statistic",
    "period",
    "evaluation_periods",
    "threshold",
    "comparison_operator",
    "alarm_actions",
)
SETTING_NAMES = {
    "metric_name": "metric",
    "comparison_operator": "comparison",
    "evaluation_periods": "evaluation periods",
    "alarm_actions": "actions",
}


def _metric(settings, kind):
    key, namespace, dimension = kind
    return namespace, settings[key]["metric"], dimension


def _watching(snapshot, metric, value):
    namespace, name, dimension = metric
    return [
        a
        for a in snapshot["alarms"]
        if a.get("namespace") == namespace and a.get("metric") == name and a.get("dimensions", {}).get(dimension) == value
    ]


def _watched(snapshot, settings):
    """(kind, the resource's dimension value, alarm) of every alarm watching a NAT gateway or the bastion group."""
    for nat in snapshot["nat_gateways"]:
        if nat.get("state") in ("available", "pending"):
            for alarm in _watching(snapshot, _metric(settings, NAT_ALARM), nat["id"]):
                yield NAT_ALARM, nat["id"], alarm
    if snapshot["asg"] is not None:
        for alarm in _watching(snapshot, _metric(settings, BASTION_ALARM), snapshot["asg"]["name"]):
            yield BASTION_ALARM, snapshot["asg"]["name"], alarm


@check(
    "NOVA-MON-001",
    "Every NAT gateway and the bastion have their alarm, and every alarm notifies the alarm topic",
    "medium",
    fix="run the monitoring role (site.yml)",
    reference=f"{DESIGN} Monitoring and Alerting Setup: 'CloudWatch Alarms' (NAT gateway bandwidth, bastion host CPU)",
)
def rule_alarms(snapshot, settings):
    _require_vpc(snapshot)
    topic = snapshot.get("alarm_topic")
    if topic is None:
        raise NotApplicable("the alarms were not read")
    found = []
    watched = []
    nat_metric, bastion_metric = _metric(settings, NAT_ALARM), _metric(settings, BASTION_ALARM)
    for nat in snapshot["nat_gateways"]:
        if nat.get("state") not in ("available", "pending"):
            continue
        alarms = _watching(snapshot, nat_metric, nat["id"])
        watched += alarms
        if not alarms:
            found.append(
                (
                    label(nat["id"], nat.get("tags")),
                    f"no {nat_metric[1]} alarm watches this NAT gateway: a traffic spike goes unnoticed",
                )
            )
    if snapshot["asg"] is not None:
        alarms = _watching(snapshot, bastion_metric, snapshot["asg"]["name"])
        watched += alarms
        if not alarms:
            found.append(
                (
                    f"Auto Scaling group {snapshot['asg']['name']}",
                    f"no {bastion_metric[1]} alarm watches the bastion's Auto Scaling group",
                )
            )
    nat_ids = {n["id"] for n in snapshot["nat_gateways"]}
    for alarm in snapshot["alarms"]:
        nat_id = alarm.get("dimensions", {}).get(nat_metric[2])
        if alarm.get("metric") == nat_metric[1] and nat_id and nat_id not in nat_ids:
            found.append(
                (
                    f"alarm {alarm['name']}",
                    f"watches {nat_id}, which is not a NAT gateway of the stack (replaced?): it can never fire",
                    "run the monitoring role: it points the alarms at the current NAT gateways",
                )
            )
    for alarm in watched:
        if not alarm.get("actions_enabled") or topic.get("arn") not in alarm.get("actions", []):
            found.append(
                (
                    f"alarm {alarm['name']}",
                    f"does not notify the alarm topic {topic['name']}"
                    + ("" if alarm.get("actions_enabled") else " (its actions are disabled)"),
                    "run the monitoring role: it sets the topic as each alarm's action",
                )
            )
    return found


@check(
    "NOVA-MON-002",
    "The alarm topic has a confirmed subscriber",
    "medium",
    fix="set monitoring_alarm_emails (or subscribe the on-call tool to the topic) and run the monitoring role; "
    "each address must confirm the e-mail AWS sends",
    reference=f"{DESIGN} Monitoring and Alerting Setup: 'CloudWatch Alarms' (an alarm must reach someone)",
)
def rule_alarm_subscribers(snapshot, settings):
    topic = snapshot.get("alarm_topic")
    if topic is None:
        raise NotApplicable("the alarm topic was not read")
    where = f"SNS topic {topic['name']}"
    if not topic.get("exists"):
        return [(where, "the alarm topic does not exist: the alarms notify nobody", "run the monitoring role")]
    if topic.get("confirmed"):
        return []
    if topic.get("pending"):
        return [
            (
                where,
                f"{len(topic['pending'])} subscription(s) pending confirmation ({', '.join(topic['pending'])}): "
                "until confirmed, the alarms notify nobody",
                "confirm the subscription from the e-mail AWS sent (or resend it: aws sns subscribe)",
            )
        ]
    return [(where, "the alarm topic has no subscriber: the alarms notify nobody")]


def _design_alarm(settings, kind, watched, topic_arn):
    """The alarm of the design watching ``watched``, as cloudwatch_metric_alarm's options."""
    key, namespace, dimension = kind
    design = settings[key]
    return {
        "namespace": namespace,
        "metric_name": design["metric"],
        "dimensions": {dimension: watched},
        "statistic": design["statistic"],
        "period": design["period"],
        "evaluation_periods": design["evaluation_periods"],
        "threshold": design["threshold"],
        "comparison": design["comparison"],
        "alarm_actions": [topic_arn],
    }


def _described(alarm):
    """An alarm of the snapshot as DescribeAlarms (snake_cased) has it."""
    return {
        "alarm_name": alarm["name"],
        "namespace": alarm.get("namespace"),
        "metric_name": alarm.get("metric"),
        "dimensions": [{"name": k, "value": v} for k, v in (alarm.get("dimensions") or {}).items()],
        "statistic": alarm.get("statistic"),
        "period": alarm.get("period"),
        "evaluation_periods": alarm.get("evaluation_periods"),
        "threshold": alarm.get("threshold"),
        "comparison_operator": alarm.get("comparison"),
        "alarm_actions": list(alarm.get("actions") or []),
    }


def _shown(value):
    """A setting's value as a finding writes it: 1000000000 rather than 1000000000.0, dimensions as name=value."""
    if value is None or value == []:
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(f"{v['name']}={v['value']}" if isinstance(v, dict) else str(v) for v in value)
    return str(value)


@check(
    "NOVA-MON-003",
    "Every alarm has the design's settings (metric, statistic, period, evaluation periods, threshold, comparison, "
    "dimensions and actions)",
    "medium",
    fix="run site.yml (the monitoring role puts each alarm with the design's settings)",
    reference=f"{DESIGN} Monitoring and Alerting Setup: 'CloudWatch Alarms' (NAT gateway bandwidth, bastion host CPU "
    "thresholds)",
)
def rule_alarm_settings(snapshot, settings):
    _require_vpc(snapshot)
    topic = snapshot.get("alarm_topic")
    if topic is None:
        raise NotApplicable("the alarms were not read")
    alarms = list(_watched(snapshot, settings))
    if not alarms:
        raise NotApplicable("no alarm watches a NAT gateway or the bastion's Auto Scaling group (see NOVA-MON-001)")
    found = []
    for kind, watched, alarm in alarms:
        audited = list(AUDITED)
        if topic.get("arn") not in alarm.get("actions", []):
            # An alarm that does not notify the topic is NOVA-MON-001's finding; only other actions are named here.
            audited.remove("alarm_actions")
        wanted = _design_alarm(settings, kind, watched, topic.get("arn"))
        for setting, expected, actual in alarm_settings.differences(wanted, _described(alarm), audited):
            found.append(
                (
                    f"alarm {alarm['name']}",
                    f"{SETTING_NAMES.get(setting, setting)} is {_shown(actual)}, the design says {_shown(expected)}",
                )
            )
    return found
