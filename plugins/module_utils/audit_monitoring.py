# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The monitoring checks of the audit (alarms and their subscribers), each declared beside its rule."""


from ansible_collections.nova.infra.plugins.module_utils.audit_core import DESIGN
from ansible_collections.nova.infra.plugins.module_utils.audit_core import NotApplicable
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _require_vpc
from ansible_collections.nova.infra.plugins.module_utils.audit_core import check
from ansible_collections.nova.infra.plugins.module_utils.audit_core import label

# ---------------------------------------------------------------- rules: monitoring

NAT_METRIC = ("AWS/NATGateway", "BytesOutToDestination", "NatGatewayId")
BASTION_METRIC = ("AWS/EC2", "CPUUtilization", "AutoScalingGroupName")


def _watching(snapshot, metric, value):
    namespace, name, dimension = metric
    return [
        a
        for a in snapshot["alarms"]
        if a.get("namespace") == namespace and a.get("metric") == name and a.get("dimensions", {}).get(dimension) == value
    ]


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
    for nat in snapshot["nat_gateways"]:
        if nat.get("state") not in ("available", "pending"):
            continue
        alarms = _watching(snapshot, NAT_METRIC, nat["id"])
        watched += alarms
        if not alarms:
            found.append(
                (
                    label(nat["id"], nat.get("tags")),
                    "no BytesOutToDestination alarm watches this NAT gateway: a traffic spike goes unnoticed",
                )
            )
    if snapshot["asg"] is not None:
        alarms = _watching(snapshot, BASTION_METRIC, snapshot["asg"]["name"])
        watched += alarms
        if not alarms:
            found.append(
                (
                    f"Auto Scaling group {snapshot['asg']['name']}",
                    "no CPUUtilization alarm watches the bastion's Auto Scaling group",
                )
            )
    nat_ids = {n["id"] for n in snapshot["nat_gateways"]}
    for alarm in snapshot["alarms"]:
        nat_id = alarm.get("dimensions", {}).get(NAT_METRIC[2])
        if alarm.get("metric") == NAT_METRIC[1] and nat_id and nat_id not in nat_ids:
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
