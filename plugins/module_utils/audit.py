# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure rules of the nova stack audit: a snapshot of the stack in, findings out.

No AWS calls here. The stack_audit module reads AWS into a plain "snapshot" dict
(see ``empty_snapshot()`` for its shape), and every rule below is a function of that
snapshot and the audit settings, so each one can be unit-tested with a small
fabricated snapshot.

A check is a named rule with a fixed severity, the CIS AWS Foundations Benchmark
control it implements (or ``None`` where no CIS control fits; ``reference`` then
names the design document's checklist line) and a default fix. A rule returns
``(resource, detail)`` pairs, or ``(resource, detail, fix)`` where the fix depends on
what it found, and raises ``NotApplicable`` when the snapshot lacks what it checks.
"""

import ipaddress
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence

from ansible_collections.nova.infra.plugins.module_utils import s3_replication
from ansible_collections.nova.infra.plugins.module_utils import stack

SEVERITIES = ("critical", "high", "medium", "low", "info")
FAIL_ON_CHOICES = SEVERITIES + ("none",)
STATUSES = ("pass", "fail", "skip")

CIS_BENCHMARK = "CIS AWS Foundations Benchmark"
CIS_VERSION = "3.0.0"

# Remote server administration ports of CIS 5.2/5.3 (SSH and RDP).
ADMIN_PORTS = (22, 3389)
SSH_PORT = 22
WORLD_V4 = ipaddress.ip_network("0.0.0.0/0")
WORLD_V6 = ipaddress.ip_network("::/0")
# Protocols a rule for a TCP/UDP port can be written with ("-1" is all traffic).
PORT_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}
# AWS reserves 5 addresses in every subnet.
RESERVED_PER_SUBNET = 5
BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
DESIGN = "docs/design.md"
# The roles' rule for nova_name_prefix: every name of the stack starts with it.
NAME_PREFIX = stack.NAME_PREFIX

DEFAULT_REQUIRED_TAGS = stack.required_tags(stack.design("name_prefix"))


class NotApplicable(Exception):
    """The snapshot has nothing this check applies to; the message says why (the check is skipped)."""


def cis(control: str, title: str) -> Dict[str, str]:
    return {"benchmark": CIS_BENCHMARK, "version": CIS_VERSION, "control": control, "title": title}


def empty_snapshot(region: str = stack.DESIGN["region"], name_prefix: str = stack.DESIGN["name_prefix"]) -> Dict[str, Any]:
    """The snapshot's shape, with nothing found. ``tags`` are always plain dicts."""
    return {
        "region": region,
        "name_prefix": name_prefix,
        # {id, cidr, tags}; None when no VPC carries the Name tag <prefix>-vpc
        "vpc": None,
        # ids of further VPCs with the same Name tag
        "duplicate_vpcs": [],
        # {id, az, cidr, type (the Type tag), available_ips, map_public_ip, tags}
        "subnets": [],
        # {id, attached (to the VPC), tags}
        "internet_gateways": [],
        # {id, subnet_id, state, allocation_ids, tags}; deleted ones left out
        "nat_gateways": [],
        # {allocation_id, public_ip, tags}: the NAT gateways' Elastic IPs
        "eips": [],
        # {id, main, subnet_ids, tags, routes: [{destination, target, target_type, state}]}
        "route_tables": [],
        # {id, name, is_default, tags, ingress: [IpPermissions as AWS returns them], egress: [...]}
        "security_groups": [],
        # {id, status, traffic_type, deliver_status, destination, tags}
        "flow_logs": [],
        # {name, subnet_ids, min_size, desired, instances: [{id, lifecycle_state, health}], tags} or None
        "asg": None,
        # {id, state, subnet_id, az, http_tokens, public_ip, tags}: instances of the ASG
        "instances": [],
        # {id, name, http_tokens (default version), tags} or None
        "launch_template": None,
        # {name, expected_region, exists, region, public_access_block: {flag: bool} | None,
        #  encryption: [algorithm] | None, versioning: "Enabled"|"Suspended"|None, tags}
        "buckets": [],
        # {source, destination, destination_region, rules: [AWS replication rules] | None,
        #  destination_exists, destination_actual_region, destination_versioning}
        "replication": [],
        # {account_id, configured, flags: {flag: bool}, unreadable: why | None}; None when NOVA-S3-006 is skipped
        # {name, namespace, metric, dimensions: {name: value}, actions_enabled, actions: [arn]}: the stack's alarms
        "alarms": [],
        # {name, arn, exists, confirmed: [protocol:endpoint], pending: [protocol:endpoint], tags}; None when not read
        "alarm_topic": None,
        # {name, id, tags} of the bastion's key pair <prefix>-bastion-key, or None
        "key_pair": None,
        # {name, tags} of the IAM role S3 replicates as, <prefix>-s3-replication; None when absent or not read
        "replication_role": None,
        "account_public_access_block": None,
    }


# ---------------------------------------------------------------- helpers


def label(resource_id: str, tags: Optional[Dict[str, str]] = None) -> str:
    name = (tags or {}).get("Name")
    return f"{resource_id} ({name})" if name else resource_id


def usable_addresses(cidr: str) -> int:
    return max(ipaddress.ip_network(cidr, strict=False).num_addresses - RESERVED_PER_SUBNET, 0)


def _subnets_by_id(snapshot):
    return {s["id"]: s for s in snapshot["subnets"]}


def _typed_subnets(snapshot, kind):
    return [s for s in snapshot["subnets"] if (s.get("type") or "").lower() == kind]


def _require_vpc(snapshot):
    if snapshot["vpc"] is None:
        raise NotApplicable(f"no VPC named {snapshot['name_prefix']}-vpc (see NOVA-NET-001)")


def _find_sg(snapshot, name):
    for group in snapshot["security_groups"]:
        if group.get("name") == name or group.get("tags", {}).get("Name") == name:
            return group
    return None


def _rules_covering_port(permissions, port):
    """The permissions that let traffic reach port (TCP or UDP), all-traffic rules included."""
    covering = []
    for perm in permissions:
        protocol = str(perm.get("IpProtocol", "")).lower()
        if protocol == "-1":
            covering.append(perm)
        elif protocol in PORT_PROTOCOLS:
            low, high = perm.get("FromPort"), perm.get("ToPort")
            # A port rule without a range covers every port of its protocol.
            if low is None or high is None or low == -1 or low <= port <= high:
                covering.append(perm)
    return covering


def _describe_rule(perm):
    protocol = str(perm.get("IpProtocol"))
    if protocol == "-1":
        return "all traffic"
    low, high = perm.get("FromPort"), perm.get("ToPort")
    ports = f"{low}" if low == high else f"{low}-{high}"
    return f"{PORT_PROTOCOLS.get(protocol.lower(), protocol)}/{ports}"


def _sources(perm):
    """Every source of a permission as (kind, value): cidr, cidr6, group or prefix-list."""
    for r in perm.get("IpRanges", []):
        yield "cidr", r["CidrIp"]
    for r in perm.get("Ipv6Ranges", []):
        yield "cidr6", r["CidrIpv6"]
    for r in perm.get("UserIdGroupPairs", []):
        yield "group", r["GroupId"]
    for r in perm.get("PrefixListIds", []):
        yield "prefix-list", r["PrefixListId"]


def _within(cidr, allowed):
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return any(network.version == a.version and network.subnet_of(a) for a in allowed)


def _nat_az(snapshot, nat):
    subnet = _subnets_by_id(snapshot).get(nat.get("subnet_id"))
    return subnet["az"] if subnet else None


def _route_table_of(snapshot, subnet_id):
    """The route table a subnet uses: its explicit association, else the VPC's main table."""
    main = None
    for table in snapshot["route_tables"]:
        if subnet_id in table.get("subnet_ids", []):
            return table
        if table.get("main"):
            main = table
    return main


def _default_route(snapshot, subnet_id):
    """(the subnet's route table or None, its 0.0.0.0/0 route or None)."""
    table = _route_table_of(snapshot, subnet_id)
    routes = table.get("routes", []) if table is not None else []
    return table, next((r for r in routes if r.get("destination") == "0.0.0.0/0"), None)


# ---------------------------------------------------------------- rules: network


def rule_vpc(snapshot, settings):
    vpc = snapshot["vpc"]
    name = f"{snapshot['name_prefix']}-vpc"
    if vpc is None:
        return [(name, f"no VPC tagged Name={name} in {snapshot['region']}")]
    found = []
    if vpc.get("cidr") != settings["vpc_cidr"]:
        found.append((label(vpc["id"], vpc.get("tags")), f"CIDR is {vpc.get('cidr')}, expected {settings['vpc_cidr']}"))
    for other in snapshot["duplicate_vpcs"]:
        found.append(
            (
                other,
                f"a second VPC tagged Name={name}; the audit read {vpc['id']}",
                "delete the duplicate VPC or rename it, so the stack's VPC is unambiguous",
            )
        )
    return found


def rule_igw(snapshot, settings):
    _require_vpc(snapshot)
    if any(igw.get("attached") for igw in snapshot["internet_gateways"]):
        return []
    return [(label(snapshot["vpc"]["id"], snapshot["vpc"].get("tags")), "no internet gateway is attached to the VPC")]


def rule_subnet_layout(snapshot, settings):
    _require_vpc(snapshot)
    expected = settings["expected_az_count"]
    found = []
    for kind in ("public", "private"):
        subnets = _typed_subnets(snapshot, kind)
        per_az = {}
        for subnet in subnets:
            per_az.setdefault(subnet["az"], []).append(subnet["id"])
        for az, ids in sorted(per_az.items()):
            if len(ids) > 1:
                found.append((", ".join(sorted(ids)), f"{len(ids)} {kind} subnets in {az}, expected one per AZ"))
        if len(per_az) != expected:
            found.append(
                (
                    label(snapshot["vpc"]["id"], snapshot["vpc"].get("tags")),
                    f"{kind} subnets (Type={kind.capitalize()}) in {len(per_az)} AZ(s) "
                    f"({', '.join(sorted(per_az)) or 'none'}), expected {expected}",
                )
            )
    return found


def rule_free_ips(snapshot, settings):
    _require_vpc(snapshot)
    if not snapshot["subnets"]:
        raise NotApplicable("the VPC has no subnets")
    minimum = settings["min_free_ip_percent"]
    found = []
    for subnet in snapshot["subnets"]:
        usable = usable_addresses(subnet["cidr"])
        free = subnet.get("available_ips", 0)
        percent = 100.0 * free / usable if usable else 0.0
        if percent < minimum:
            found.append(
                (
                    label(subnet["id"], subnet.get("tags")),
                    f"{free} of {usable} usable addresses free ({percent:.1f}%) in {subnet['cidr']}, "
                    f"below min_free_ip_percent {minimum}",
                )
            )
    return found


def rule_nat_gateways(snapshot, settings):
    _require_vpc(snapshot)
    public = _typed_subnets(snapshot, "public")
    if not public:
        raise NotApplicable("the VPC has no public subnets to place NAT gateways in")
    by_az = {}
    for nat in snapshot["nat_gateways"]:
        by_az.setdefault(_nat_az(snapshot, nat), []).append(nat)
    found = []
    for az in sorted({s["az"] for s in public}):
        nats = by_az.get(az, [])
        if not nats:
            found.append((f"AZ {az}", f"no NAT gateway in {az}; its private subnet has no zonal egress"))
            continue
        if len(nats) > 1:
            ids = ", ".join(sorted(n["id"] for n in nats))
            found.append(
                (ids, f"{len(nats)} NAT gateways in {az}, expected one", "delete the NAT gateways no route uses")
            )
        for nat in nats:
            if nat.get("state") != "available":
                found.append((label(nat["id"], nat.get("tags")), f"NAT gateway in {az} is {nat.get('state')}"))
    public_ids = {s["id"] for s in public}
    for nat in snapshot["nat_gateways"]:
        if nat.get("subnet_id") not in public_ids:
            found.append(
                (
                    label(nat["id"], nat.get("tags")),
                    f"NAT gateway is in subnet {nat.get('subnet_id')}, which is not a public (Type=Public) subnet",
                    "recreate the NAT gateway in its AZ's public subnet",
                )
            )
    return found


def rule_private_no_igw(snapshot, settings):
    _require_vpc(snapshot)
    found = []
    for table in snapshot["route_tables"]:
        if table.get("tags", {}).get("Type", "").lower() != "private":
            continue
        for route in table.get("routes", []):
            if route.get("target_type") == "gateway" and str(route.get("target", "")).startswith("igw-"):
                found.append(
                    (
                        label(table["id"], table.get("tags")),
                        f"route {route.get('destination')} -> internet gateway {route['target']} "
                        f"in a private route table",
                    )
                )
    return found


def rule_private_default_via_nat(snapshot, settings):
    _require_vpc(snapshot)
    private = _typed_subnets(snapshot, "private")
    if not private:
        raise NotApplicable("the VPC has no private subnets")
    nats = {n["id"]: n for n in snapshot["nat_gateways"]}
    found = []
    for subnet in private:
        where = label(subnet["id"], subnet.get("tags"))
        table, default = _default_route(snapshot, subnet["id"])
        if default is None:
            found.append((where, f"no 0.0.0.0/0 route in its route table {table['id'] if table else '(none)'}"))
        elif default.get("target_type") != "nat_gateway":
            target = f"{default.get('target_type')} {default.get('target')}"
            found.append((where, f"0.0.0.0/0 goes to {target}, not a NAT gateway"))
        else:
            nat = nats.get(default.get("target"))
            nat_az = _nat_az(snapshot, nat) if nat else None
            if nat is None:
                found.append((where, f"0.0.0.0/0 goes to NAT gateway {default.get('target')}, which does not exist"))
            elif nat_az != subnet["az"]:
                found.append(
                    (
                        where,
                        f"subnet in {subnet['az']} sends 0.0.0.0/0 to NAT gateway {nat['id']} in {nat_az}: "
                        f"losing {nat_az} cuts this AZ's egress",
                    )
                )
    return found


def rule_public_route_to_igw(snapshot, settings):
    _require_vpc(snapshot)
    public = _typed_subnets(snapshot, "public")
    if not public:
        raise NotApplicable("the VPC has no public subnets")
    attached = {igw["id"] for igw in snapshot["internet_gateways"] if igw.get("attached")}
    found = []
    for subnet in public:
        where = label(subnet["id"], subnet.get("tags"))
        table, default = _default_route(snapshot, subnet["id"])
        if default is None:
            found.append((where, f"no 0.0.0.0/0 route in its route table {table['id'] if table else '(none)'}"))
        elif default.get("target") not in attached or default.get("state") == "blackhole":
            target = f"{default.get('target_type')} {default.get('target')}"
            found.append((where, f"0.0.0.0/0 goes to {target}, not the VPC's attached internet gateway"))
        if subnet.get("map_public_ip") is False:
            found.append(
                (
                    where,
                    "MapPublicIpOnLaunch is off: the bastion launched here gets no public IP address",
                    f"aws ec2 modify-subnet-attribute --subnet-id {subnet['id']} --map-public-ip-on-launch",
                )
            )
    return found


def rule_blackholes(snapshot, settings):
    _require_vpc(snapshot)
    found = []
    for table in snapshot["route_tables"]:
        for route in table.get("routes", []):
            if route.get("state") == "blackhole":
                found.append(
                    (
                        label(table["id"], table.get("tags")),
                        f"route {route.get('destination')} -> {route.get('target_type')} {route.get('target')} "
                        f"is a blackhole (its target is gone)",
                    )
                )
    return found


def rule_az_spread(snapshot, settings):
    _require_vpc(snapshot)
    expected = settings["expected_az_count"]
    subnets = _subnets_by_id(snapshot)
    spread = {
        "subnets": {s["az"] for s in snapshot["subnets"] if s.get("type")},
        "available NAT gateways": {
            _nat_az(snapshot, n) for n in snapshot["nat_gateways"] if n.get("state") == "available"
        },
    }
    if snapshot["asg"] is not None:
        spread["bastion Auto Scaling group subnets"] = {
            subnets[i]["az"] if i in subnets else None for i in snapshot["asg"]["subnet_ids"]
        }
    found = []
    for what, azs in spread.items():
        azs.discard(None)
        if len(azs) < expected:
            found.append(
                (
                    f"{what}",
                    f"{what} span {len(azs)} AZ(s) ({', '.join(sorted(azs)) or 'none'}), expected {expected}: "
                    f"one AZ failing takes them all down",
                )
            )
    return found


def rule_flow_logs(snapshot, settings):
    _require_vpc(snapshot)
    for log in snapshot["flow_logs"]:
        if log.get("status") == "ACTIVE" and log.get("traffic_type") == "ALL" and log.get("deliver_status") != "FAILED":
            return []
    seen = "; ".join(
        f"{log['id']}: {log.get('status')}, traffic {log.get('traffic_type')}, delivery {log.get('deliver_status')}"
        for log in snapshot["flow_logs"]
    )
    detail = "no ACTIVE flow log with traffic type ALL on the VPC" + (f" (found {seen})" if seen else "")
    return [(label(snapshot["vpc"]["id"], snapshot["vpc"].get("tags")), detail)]


# ---------------------------------------------------------------- rules: security groups


def rule_bastion_ssh(snapshot, settings):
    _require_vpc(snapshot)
    name = f"{snapshot['name_prefix']}-bastion-sg"
    group = _find_sg(snapshot, name)
    if group is None:
        if not settings["expect_bastion"]:
            raise NotApplicable(f"no security group {name} and expect_bastion is false")
        return [(name, f"security group {name} does not exist in the VPC", "run the bastion role")]
    allowed = [ipaddress.ip_network(c, strict=False) for c in settings["allowed_ssh_cidrs"]]
    where = label(group["id"], group.get("tags"))
    found = []
    reachable = False
    for perm in _rules_covering_port(group.get("ingress", []), SSH_PORT):
        for kind, source in _sources(perm):
            if kind in ("cidr", "cidr6") and _within(source, allowed):
                reachable = True
            else:
                found.append(
                    (
                        where,
                        f"{_describe_rule(perm)} from {kind} {source} reaches SSH; allowed_ssh_cidrs is "
                        f"{', '.join(settings['allowed_ssh_cidrs'])}",
                        f"revoke the rule from {source}; allow tcp/22 only from allowed_ssh_cidrs",
                    )
                )
    if not reachable:
        found.append(
            (
                where,
                f"no tcp/22 rule from {', '.join(settings['allowed_ssh_cidrs'])}: the bastion is unreachable",
                "add an ingress rule tcp/22 from each of allowed_ssh_cidrs",
            )
        )
    return found


def rule_private_ssh(snapshot, settings):
    _require_vpc(snapshot)
    name = f"{snapshot['name_prefix']}-private-sg"
    group = _find_sg(snapshot, name)
    if group is None:
        if not settings["expect_bastion"]:
            raise NotApplicable(f"no security group {name} and expect_bastion is false")
        return [(name, f"security group {name} does not exist in the VPC", "run the bastion role")]
    bastion = _find_sg(snapshot, f"{snapshot['name_prefix']}-bastion-sg")
    bastion_id = bastion["id"] if bastion else None
    where = label(group["id"], group.get("tags"))
    found = []
    reachable = False
    for perm in _rules_covering_port(group.get("ingress", []), SSH_PORT):
        for kind, source in _sources(perm):
            if kind == "group" and source == bastion_id:
                reachable = True
                continue
            found.append(
                (
                    where,
                    f"{_describe_rule(perm)} from {kind} {source} reaches SSH; only the bastion security group "
                    f"{bastion_id or '(missing)'} may",
                    f"revoke the rule from {source}; keep only the source-group rule tcp/22 from the bastion SG",
                )
            )
    if bastion_id and not reachable:
        found.append(
            (
                where,
                f"no tcp/22 rule from the bastion security group {bastion_id}: private hosts are unreachable over SSH",
                "add an ingress rule tcp/22 with the bastion security group as its source (run the bastion role)",
            )
        )
    return found


def _is_ssh_only(perm):
    return PORT_PROTOCOLS.get(str(perm.get("IpProtocol", "")).lower()) == "tcp" and (
        perm.get("FromPort"),
        perm.get("ToPort"),
    ) == (SSH_PORT, SSH_PORT)


def rule_stack_sg_least_privilege(snapshot, settings):
    _require_vpc(snapshot)
    found = []
    groups = [_find_sg(snapshot, f"{snapshot['name_prefix']}-{kind}-sg") for kind in ("bastion", "private")]
    if not any(groups):
        raise NotApplicable("neither the bastion nor the private security group exists")
    for group in filter(None, groups):
        for perm in group.get("ingress", []):
            if _is_ssh_only(perm):
                continue
            sources = ", ".join(f"{kind} {value}" for kind, value in _sources(perm)) or "no source"
            found.append(
                (
                    label(group["id"], group.get("tags")),
                    f"{_describe_rule(perm)} from {sources} is more than the design's tcp/22",
                    "revoke it; put application rules in a security group of their own, so these two keep only SSH",
                )
            )
    return found


def _world_admin(snapshot, world):
    _require_vpc(snapshot)
    found = []
    for group in snapshot["security_groups"]:
        for perm in group.get("ingress", []):
            ports = [p for p in ADMIN_PORTS if _rules_covering_port([perm], p)]
            if not ports:
                continue
            for kind, source in _sources(perm):
                if kind not in ("cidr", "cidr6"):
                    continue
                network = ipaddress.ip_network(source, strict=False)
                if network.version == world.version and network.prefixlen == 0:
                    found.append(
                        (
                            label(group["id"], group.get("tags")),
                            f"{_describe_rule(perm)} from {source} opens port(s) "
                            f"{', '.join(map(str, ports))} to the whole internet",
                        )
                    )
    return found


def rule_admin_world_v4(snapshot, settings):
    return _world_admin(snapshot, WORLD_V4)


def rule_admin_world_v6(snapshot, settings):
    return _world_admin(snapshot, WORLD_V6)


def rule_default_sg(snapshot, settings):
    _require_vpc(snapshot)
    found = []
    defaults = [g for g in snapshot["security_groups"] if g.get("is_default")]
    if not defaults:
        raise NotApplicable("the VPC's default security group was not found")
    for group in defaults:
        count_in, count_out = len(group.get("ingress", [])), len(group.get("egress", []))
        if count_in or count_out:
            detail = f"default security group has {count_in} ingress and {count_out} egress rule(s)"
            found.append((label(group["id"], group.get("tags")), detail))
    return found


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


# ---------------------------------------------------------------- rules: S3


def _buckets(snapshot, existing=True):
    if not snapshot["buckets"]:
        raise NotApplicable("no buckets given (option buckets)")
    return [b for b in snapshot["buckets"] if b.get("exists") or not existing]


def rule_buckets_exist(snapshot, settings):
    found = []
    for bucket in _buckets(snapshot, existing=False):
        if not bucket.get("exists"):
            found.append((bucket["name"], f"bucket does not exist (expected in {bucket['expected_region']})"))
        elif bucket.get("region") != bucket["expected_region"]:
            found.append(
                (
                    bucket["name"],
                    f"bucket is in {bucket.get('region')}, expected {bucket['expected_region']}",
                    "fix the region in buckets, or recreate the bucket in the expected region",
                )
            )
    return found


def rule_bucket_public_access(snapshot, settings):
    found = []
    for bucket in _buckets(snapshot):
        config = bucket.get("public_access_block") or {}
        off = [flag for flag in BPA_FLAGS if not config.get(flag)]
        if off:
            detail = (
                "no Block Public Access configuration"
                if not config
                else f"Block Public Access flag(s) off: {', '.join(off)}"
            )
            found.append((bucket["name"], detail))
    return found


def rule_account_public_access(snapshot, settings):
    account = snapshot.get("account_public_access_block")
    if not account:
        raise NotApplicable("the account-level settings were not read")
    if account.get("unreadable"):
        raise NotApplicable(
            f"the account-level settings of account {account['account_id']} could not be read: {account['unreadable']}"
        )
    flags = account.get("flags") or {}
    off = [flag for flag in BPA_FLAGS if not flags.get(flag)]
    if not off:
        return []
    detail = (
        "the account has no Block Public Access configuration: every flag is off"
        if not account.get("configured")
        else f"account-level Block Public Access flag(s) off: {', '.join(off)}"
    )
    return [(f"account {account['account_id']}", detail)]


def rule_bucket_encryption(snapshot, settings):
    found = []
    for bucket in _buckets(snapshot):
        if not bucket.get("encryption"):
            found.append((bucket["name"], "no default encryption configuration"))
    return found


def rule_bucket_versioning(snapshot, settings):
    found = []
    for bucket in _buckets(snapshot):
        if bucket.get("versioning") != "Enabled":
            found.append((bucket["name"], f"versioning is {bucket.get('versioning') or 'never enabled'}"))
    return found


def rule_replication(snapshot, settings):
    if not snapshot["replication"]:
        raise NotApplicable("no replicated buckets given (option replicated_buckets)")
    wanted_class = settings["replication_storage_class"]
    found = []
    for pair in snapshot["replication"]:
        source, destination = pair["source"], pair["destination"]
        arn = f"arn:aws:s3:::{destination}"
        if pair.get("rules") is None:
            found.append((source, f"no replication configuration (expected to {destination})"))
            continue
        rules = [r for r in pair["rules"] if r.get("Destination", {}).get("Bucket") == arn]
        enabled = [r for r in rules if r.get("Status") == "Enabled"]
        if not enabled:
            found.append(
                (source, f"no Enabled replication rule to {arn}" + (" (the rule is Disabled)" if rules else ""))
            )
        for rule in enabled:
            storage = rule["Destination"].get("StorageClass")
            if storage != wanted_class:
                found.append(
                    (
                        source,
                        f"rule {rule.get('ID')} replicates as {storage or 'the source storage class'}, "
                        f"expected {wanted_class}",
                        f"set Destination.StorageClass to {wanted_class} in rule {rule.get('ID')}",
                    )
                )
        if not pair.get("destination_exists"):
            found.append(
                (destination, f"replica bucket of {source} does not exist (expected in {pair['destination_region']})")
            )
            continue
        if pair.get("destination_actual_region") != pair["destination_region"]:
            found.append(
                (
                    destination,
                    f"replica bucket of {source} is in {pair.get('destination_actual_region')}, "
                    f"expected {pair['destination_region']}",
                )
            )
        if pair.get("destination_versioning") != "Enabled":
            found.append(
                (
                    destination,
                    f"replica bucket of {source} is not versioned "
                    f"({pair.get('destination_versioning') or 'never enabled'}); S3 stops replicating to it",
                    f"enable versioning on {destination}",
                )
            )
    return found


# ---------------------------------------------------------------- rules: tags and bastion


def _tagged_resources(snapshot):
    """(label, tags) of every resource found."""
    if snapshot["vpc"] is not None:
        yield "VPC " + label(snapshot["vpc"]["id"], snapshot["vpc"].get("tags")), snapshot["vpc"].get("tags", {})
    for kind, key, id_key in (
        ("subnet", "subnets", "id"),
        ("internet gateway", "internet_gateways", "id"),
        ("NAT gateway", "nat_gateways", "id"),
        ("Elastic IP", "eips", "allocation_id"),
        ("route table", "route_tables", "id"),
        ("security group", "security_groups", "id"),
        ("flow log", "flow_logs", "id"),
        ("instance", "instances", "id"),
    ):
        for item in snapshot[key]:
            yield f"{kind} {label(item[id_key], item.get('tags'))}", item.get("tags", {})
    if snapshot["launch_template"] is not None:
        lt = snapshot["launch_template"]
        yield f"launch template {lt['name']} ({lt['id']})", lt.get("tags", {})
    if snapshot["asg"] is not None:
        yield f"Auto Scaling group {snapshot['asg']['name']}", snapshot["asg"].get("tags", {})
    if snapshot.get("key_pair"):
        pair = snapshot["key_pair"]
        yield f"key pair {pair['name']} ({pair.get('id')})", pair.get("tags", {})
    for bucket in snapshot["buckets"]:
        if bucket.get("exists"):
            yield f"bucket {bucket['name']}", bucket.get("tags", {})
    if snapshot.get("replication_role"):
        yield f"IAM role {snapshot['replication_role']['name']}", snapshot["replication_role"].get("tags", {})
    if (snapshot.get("alarm_topic") or {}).get("exists"):
        yield f"SNS topic {snapshot['alarm_topic']['name']}", snapshot["alarm_topic"].get("tags", {})


def rule_required_tags(snapshot, settings):
    required = settings["required_tags"]
    if not required:
        raise NotApplicable("required_tags is empty")
    found = []
    for where, tags in _tagged_resources(snapshot):
        missing = sorted(k for k in required if k not in tags)
        wrong = sorted(
            f"{k}={tags[k]} (expected {required[k]})" for k in required if k in tags and tags[k] != required[k]
        )
        parts = [f"{what} {', '.join(keys)}" for what, keys in (("missing", missing), ("wrong", wrong)) if keys]
        if parts:
            found.append((where, "; ".join(parts)))
    return found


def _require_asg(snapshot):
    if snapshot["asg"] is None:
        raise NotApplicable(f"no Auto Scaling group {snapshot['name_prefix']}-bastion-asg (see NOVA-EC2-001)")


def rule_bastion_running(snapshot, settings):
    name = f"{snapshot['name_prefix']}-bastion-asg"
    asg = snapshot["asg"]
    if asg is None:
        if not settings["expect_bastion"]:
            raise NotApplicable(f"no Auto Scaling group {name} and expect_bastion is false")
        return [(name, f"Auto Scaling group {name} does not exist", "run the bastion role")]
    states = {i["id"]: i.get("state") for i in snapshot["instances"]}
    healthy = [
        i["id"]
        for i in asg.get("instances", [])
        if i.get("lifecycle_state") == "InService" and i.get("health") == "Healthy" and states.get(i["id"]) == "running"
    ]
    wanted = max(asg.get("min_size", 1), 1)
    if len(healthy) < wanted:
        seen = ", ".join(
            f"{i['id']} {i.get('lifecycle_state')}/{i.get('health')}/{states.get(i['id'])}"
            for i in asg.get("instances", [])
        )
        detail = f"{len(healthy)} healthy running instance(s), expected at least {wanted}"
        return [(f"Auto Scaling group {name}", detail + (f" ({seen})" if seen else ""))]
    return []


def rule_imdsv2(snapshot, settings):
    found = []
    lt = snapshot["launch_template"]
    if snapshot["asg"] is None and lt is None and not snapshot["instances"]:
        raise NotApplicable("no bastion Auto Scaling group, launch template or instance")
    if lt is not None and lt.get("http_tokens") != "required":
        found.append(
            (
                f"launch template {lt['name']} ({lt['id']})",
                f"default version has MetadataOptions.HttpTokens {lt.get('http_tokens') or 'unset (optional)'}",
                "create a launch template version with HttpTokens=required and make it the default",
            )
        )
    for instance in snapshot["instances"]:
        if instance.get("http_tokens") != "required":
            found.append(
                (
                    f"instance {label(instance['id'], instance.get('tags'))}",
                    f"MetadataOptions.HttpTokens is {instance.get('http_tokens') or 'unset'}",
                    f"aws ec2 modify-instance-metadata-options --instance-id {instance['id']} --http-tokens required",
                )
            )
    return found


def rule_bastion_public(snapshot, settings):
    _require_asg(snapshot)
    public = {s["id"] for s in _typed_subnets(snapshot, "public")}
    found = []
    for subnet_id in snapshot["asg"]["subnet_ids"]:
        if subnet_id not in public:
            found.append(
                (f"Auto Scaling group {snapshot['asg']['name']}", f"launches into {subnet_id}, not a public subnet")
            )
    for instance in snapshot["instances"]:
        if instance.get("subnet_id") not in public:
            found.append(
                (
                    f"instance {label(instance['id'], instance.get('tags'))}",
                    f"runs in {instance.get('subnet_id')}, not a public subnet",
                    "terminate it; the Auto Scaling group replaces it in a public subnet",
                )
            )
        elif instance.get("state") == "running" and "public_ip" in instance and not instance["public_ip"]:
            found.append(
                (
                    f"instance {label(instance['id'], instance.get('tags'))}",
                    "has no public IP address: unreachable over SSH from allowed_ssh_cidrs",
                    "turn MapPublicIpOnLaunch on for the public subnets (network role), then terminate the instance; "
                    "the Auto Scaling group replaces it with one that has a public address",
                )
            )
    return found


# ---------------------------------------------------------------- the check catalogue


def check(
    check_id: str, title: str, severity: str, rule: Callable, fix: str, reference: str, cis_control=None
) -> Dict[str, Any]:
    return {
        "id": check_id,
        "title": title,
        "severity": severity,
        "cis": cis_control,
        "reference": reference,
        "fix": fix,
        "rule": rule,
    }


CHECKS: List[Dict[str, Any]] = [
    check(
        "NOVA-NET-001",
        "The stack's VPC exists once, with the expected CIDR block",
        "critical",
        rule_vpc,
        "run the network role (site.yml); set vpc_cidr to the stack's network_vpc_cidr",
        f"{DESIGN} Post-Deployment Validation: 'VPC created with correct CIDR (10.0.0.0/16)'",
    ),
    check(
        "NOVA-NET-002",
        "An internet gateway is attached to the VPC",
        "high",
        rule_igw,
        "run the network role to attach the internet gateway",
        f"{DESIGN} Post-Deployment Validation: 'Internet Gateway and NAT Gateways operational'",
    ),
    check(
        "NOVA-NET-003",
        "The VPC has one public and one private subnet in each of the expected AZs",
        "high",
        rule_subnet_layout,
        "run the network role with network_az_count equal to expected_az_count; delete stray subnets",
        f"{DESIGN} Post-Deployment Validation: 'All 4 subnets created across 2 AZs'",
    ),
    check(
        "NOVA-NET-004",
        "Every subnet keeps enough free IP addresses",
        "medium",
        rule_free_ips,
        "release unused ENIs, or move to larger subnets (network_subnet_prefix 23 gives 507 usable addresses)",
        f"{DESIGN} IP Address Exhaustion: 'Subnet IP Exhaustion'",
    ),
    check(
        "NOVA-NET-005",
        "One available NAT gateway runs in each AZ's public subnet",
        "high",
        rule_nat_gateways,
        "run the network role; it replaces failed NAT gateways and creates one per AZ",
        f"{DESIGN} Post-Deployment Validation: 'Internet Gateway and NAT Gateways operational'; "
        "Single NAT Gateway Bottleneck: 'one NAT Gateway per AZ'",
    ),
    check(
        "NOVA-NET-006",
        "No private route table routes to an internet gateway",
        "high",
        rule_private_no_igw,
        "delete the internet gateway route from the private route table; private subnets egress through NAT",
        f"{DESIGN} Security Validation: 'No public access to private subnets'; "
        "Network Segmentation Failures: 'Private Subnet Route to IGW'",
    ),
    check(
        "NOVA-NET-007",
        "Each private subnet sends 0.0.0.0/0 to the NAT gateway in its own AZ",
        "high",
        rule_private_default_via_nat,
        "run the network role; it routes each private subnet to its AZ's NAT gateway",
        f"{DESIGN} Disaster Recovery, Single AZ failure: 'Automatic failover through multi-AZ design'",
    ),
    check(
        "NOVA-NET-010",
        "Every public subnet routes 0.0.0.0/0 to the attached internet gateway and maps public IPs",
        "high",
        rule_public_route_to_igw,
        "run the network role: it associates the public route table (0.0.0.0/0 -> internet gateway) with the public "
        "subnets and turns MapPublicIpOnLaunch on",
        f"{DESIGN} Post-Deployment Validation: 'Bastion host accessible via SSH' and 'Internet Gateway and NAT "
        "Gateways operational' (the NAT gateways reach the internet through the public route)",
    ),
    check(
        "NOVA-NET-008",
        "No route in the VPC is a blackhole",
        "high",
        rule_blackholes,
        "point the route at a live target (run the network role) or delete it",
        f"{DESIGN} Post-Deployment Validation: 'Internet Gateway and NAT Gateways operational'",
    ),
    check(
        "NOVA-NET-009",
        "Subnets, NAT gateways and the bastion Auto Scaling group span the expected AZs",
        "high",
        rule_az_spread,
        "spread the resources over expected_az_count AZs (network role network_az_count, bastion ASG subnets)",
        f"{DESIGN} Disaster Recovery, Single AZ failure: 'Automatic failover through multi-AZ design'",
    ),
    check(
        "NOVA-LOG-001",
        "VPC flow logging is active for all traffic",
        "high",
        rule_flow_logs,
        "create a flow log on the VPC with traffic type ALL (aws ec2 create-flow-logs --traffic-type ALL ...)",
        f"{DESIGN} Security Monitoring: 'VPC Flow Logs' (--traffic-type ALL)",
        cis("3.7", "Ensure VPC flow logging is enabled in all VPCs"),
    ),
    check(
        "NOVA-SG-001",
        "The bastion security group allows SSH only from the allowed CIDR blocks",
        "high",
        rule_bastion_ssh,
        "allow tcp/22 only from allowed_ssh_cidrs",
        f"{DESIGN} Security Validation: 'SSH access restricted to 203.0.113.0/24'",
    ),
    check(
        "NOVA-SG-002",
        "The private security group allows SSH only from the bastion security group",
        "high",
        rule_private_ssh,
        "keep a single tcp/22 source-group rule from the bastion security group",
        f"{DESIGN} Security Validation: 'Network segmentation properly implemented'; "
        "Missing Security Group Segregation: 'Ensure Private SG only allows SSH from Bastion SG'",
    ),
    check(
        "NOVA-SG-003",
        "No security group allows ingress from 0.0.0.0/0 to remote administration ports",
        "critical",
        rule_admin_world_v4,
        "revoke the rule; allow ports 22 and 3389 only from known CIDR blocks or security groups",
        f"{DESIGN} Security Validation: 'Security group rules follow least privilege'",
        cis("5.2", "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports"),
    ),
    check(
        "NOVA-SG-004",
        "No security group allows ingress from ::/0 to remote administration ports",
        "critical",
        rule_admin_world_v6,
        "revoke the rule; allow ports 22 and 3389 only from known CIDR blocks or security groups",
        f"{DESIGN} Security Validation: 'Security group rules follow least privilege'",
        cis("5.3", "Ensure no security groups allow ingress from ::/0 to remote server administration ports"),
    ),
    check(
        "NOVA-SG-005",
        "The VPC's default security group has no rules",
        "high",
        rule_default_sg,
        "remove every ingress and egress rule from the default security group (the network role does)",
        f"{DESIGN} Security Validation: 'Security group rules follow least privilege'",
        cis("5.4", "Ensure the default security group of every VPC restricts all traffic"),
    ),
    check(
        "NOVA-SG-006",
        "The bastion and private security groups allow no ingress but SSH",
        "medium",
        rule_stack_sg_least_privilege,
        "revoke the extra rule; give application traffic a security group of its own",
        f"{DESIGN} Security Validation: 'Security group rules follow least privilege'",
    ),
    check(
        "NOVA-S3-001",
        "Every expected bucket exists in its region",
        "high",
        rule_buckets_exist,
        "run the storage role to create the bucket",
        f"{DESIGN} Post-Deployment Validation: 'S3 buckets secured with Block Public Access'",
    ),
    check(
        "NOVA-S3-002",
        "Every bucket blocks public access with all four Block Public Access settings",
        "critical",
        rule_bucket_public_access,
        "aws s3api put-public-access-block --bucket <name> --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
        f"{DESIGN} Post-Deployment Validation: 'S3 buckets secured with Block Public Access'",
        cis("2.1.4", "Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'"),
    ),
    check(
        "NOVA-S3-006",
        "The account blocks public access to every bucket with all four account-level settings",
        "medium",
        rule_account_public_access,
        "run the storage role (storage_account_public_access_block: true), or aws s3control put-public-access-block "
        "--account-id <id> --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true; "
        "read docs/production.md first in an account that serves public content from S3",
        f"{DESIGN} Security Validation: 'S3 buckets not publicly accessible' (buckets made outside the stack too)",
        cis("2.1.4", "Ensure that S3 is configured with 'Block Public Access' enabled (account settings)"),
    ),
    check(
        "NOVA-S3-003",
        "Every bucket has default encryption",
        "medium",
        rule_bucket_encryption,
        "aws s3api put-bucket-encryption --bucket <name> with SSE-S3 (AES256) or SSE-KMS",
        f"{DESIGN} Post-Deployment Validation: 'S3 buckets secured with Block Public Access' "
        "(no CIS v3.0.0 control: it dropped the S3 encryption control once AWS began encrypting new buckets)",
    ),
    check(
        "NOVA-S3-004",
        "Every bucket has versioning enabled",
        "medium",
        rule_bucket_versioning,
        "aws s3api put-bucket-versioning --bucket <name> --versioning-configuration Status=Enabled",
        f"{DESIGN} Disaster Recovery: 'Restore data from S3 cross-region replication' (replication needs versioning)",
    ),
    check(
        "NOVA-S3-005",
        "Cross-region replication is enabled to a versioned replica in the DR region",
        "high",
        rule_replication,
        "run the storage role; it configures replication to the replica bucket in the DR region",
        f"{DESIGN} Backup and Recovery Automation: 'S3 Cross-Region Replication' (storage_class STANDARD_IA)",
    ),
    check(
        "NOVA-MON-001",
        "Every NAT gateway and the bastion have their alarm, and every alarm notifies the alarm topic",
        "medium",
        rule_alarms,
        "run the monitoring role (site.yml)",
        f"{DESIGN} Monitoring and Alerting Setup: 'CloudWatch Alarms' (NAT gateway bandwidth, bastion host CPU)",
    ),
    check(
        "NOVA-MON-002",
        "The alarm topic has a confirmed subscriber",
        "medium",
        rule_alarm_subscribers,
        "set monitoring_alarm_emails (or subscribe the on-call tool to the topic) and run the monitoring role; "
        "each address must confirm the e-mail AWS sends",
        f"{DESIGN} Monitoring and Alerting Setup: 'CloudWatch Alarms' (an alarm must reach someone)",
    ),
    check(
        "NOVA-TAG-001",
        "Every resource carries the required tags",
        "low",
        rule_required_tags,
        "add the missing tags (the roles tag with nova_common_tags)",
        f"{DESIGN} Post-Deployment Validation: 'All resources properly tagged'",
    ),
    check(
        "NOVA-EC2-001",
        "The bastion Auto Scaling group has its healthy running instances",
        "high",
        rule_bastion_running,
        "check the Auto Scaling group's activity history; run the bastion role",
        f"{DESIGN} Post-Deployment Validation: 'Bastion host accessible via SSH'",
    ),
    check(
        "NOVA-EC2-002",
        "The bastion requires IMDSv2",
        "high",
        rule_imdsv2,
        "set MetadataOptions.HttpTokens=required on the launch template and the instances",
        f"{DESIGN} Auto Scaling for Bastion Host (the bastion's launch template)",
        cis("5.6", "Ensure that EC2 Metadata Service only allows IMDSv2"),
    ),
    check(
        "NOVA-EC2-003",
        "The bastion runs only in public subnets, at a public IP address",
        "medium",
        rule_bastion_public,
        "set the Auto Scaling group's subnets to the public subnets (bastion role)",
        f"{DESIGN} Post-Deployment Validation: 'Bastion host accessible via SSH'",
    ),
]

CHECK_IDS = tuple(c["id"] for c in CHECKS)


# ---------------------------------------------------------------- settings


def default_settings() -> Dict[str, Any]:
    return {
        "vpc_cidr": stack.design("vpc_cidr"),
        "allowed_ssh_cidrs": stack.design("ssh_cidrs"),
        "expected_az_count": stack.design("az_count"),
        "min_free_ip_percent": 20,
        "required_tags": dict(DEFAULT_REQUIRED_TAGS),
        "replication_storage_class": "STANDARD_IA",
        "expect_bastion": True,
        "skip_checks": [],
    }


def validate_settings(settings: Dict[str, Any]) -> List[str]:
    """Problems with the options, each naming the option, the bad value and the fix."""
    problems = []
    for index, value in enumerate(settings.get("allowed_ssh_cidrs") or []):
        try:
            ipaddress.ip_network(value)
        except ValueError as e:
            hint = ""
            try:
                hint = f" (did you mean {ipaddress.ip_network(value, strict=False)}?)"
            except ValueError:
                pass
            problems.append(
                f"allowed_ssh_cidrs[{index}]: {value!r} is not a CIDR block ({e}). "
                f"Fix: write it as network/prefix, e.g. 203.0.113.0/24{hint}"
            )
    if not settings.get("allowed_ssh_cidrs"):
        problems.append(
            "allowed_ssh_cidrs: [] is empty. Fix: list the CIDR blocks SSH may come from, e.g. [203.0.113.0/24]"
        )
    try:
        ipaddress.ip_network(settings.get("vpc_cidr", ""))
    except ValueError as e:
        problems.append(f"vpc_cidr: {settings.get('vpc_cidr')!r} is not a CIDR block ({e}). Fix: e.g. 10.0.0.0/16")
    if settings.get("expected_az_count", 0) < 1:
        problems.append(
            f"expected_az_count: {settings.get('expected_az_count')} is below 1. "
            "Fix: set the number of AZs the stack spans, e.g. 2"
        )
    percent = settings.get("min_free_ip_percent", 0)
    if not 0 <= percent <= 100:
        problems.append(f"min_free_ip_percent: {percent} is not between 0 and 100. Fix: e.g. 20")
    for key, value in (settings.get("required_tags") or {}).items():
        if not isinstance(value, str):
            problems.append(
                f"required_tags.{key}: {value!r} is not a string. Fix: quote the value, tag values are strings"
            )
    for index, value in enumerate(settings.get("skip_checks") or []):
        if value not in CHECK_IDS:
            problems.append(
                f"skip_checks[{index}]: {value!r} is not a check id. Fix: use one of {', '.join(CHECK_IDS)}"
            )
    storage_class = settings.get("replication_storage_class")
    if storage_class not in s3_replication.STORAGE_CLASSES:
        hint = ""
        if str(storage_class).upper() in s3_replication.STORAGE_CLASSES:
            hint = f"{str(storage_class).upper()} (the names are upper case), or one of "
        problems.append(
            f"replication_storage_class: {storage_class!r} is not a storage class S3 replication can write. "
            f"Fix: use {hint or 'one of '}{', '.join(s3_replication.STORAGE_CLASSES)}"
        )
    return problems


def _record_text(record: Dict[str, Any]) -> str:
    return f"{record['field']}: {record['value']!r} \u2014 {record['problem']}. Fix: {record['fix']}"


def validate_targets(
    name_prefix: str, buckets: Sequence[Dict[str, Any]], replicated_buckets: Sequence[Dict[str, Any]]
) -> List[str]:
    """Problems with what the audit reads (the name prefix, bucket names and regions), before any AWS call."""
    problems = []
    if not NAME_PREFIX.match(name_prefix or ""):
        problems.append(
            f"name_prefix: {name_prefix!r} is not 1-40 letters, digits and inner hyphens (every name of the stack "
            "starts with it). Fix: set it to the stack's nova_name_prefix, e.g. nova-production"
        )
    records = []
    for index, bucket in enumerate(buckets or []):
        records += s3_replication.bucket_name_problems(f"buckets[{index}].name", bucket["name"])
        records += s3_replication.region_problems(f"buckets[{index}].region", bucket.get("region"))
    for index, pair in enumerate(replicated_buckets or []):
        field = f"replicated_buckets[{index}]"
        records += s3_replication.bucket_name_problems(f"{field}.source", pair["source"])
        records += s3_replication.bucket_name_problems(f"{field}.destination", pair["destination"])
        records += s3_replication.region_problems(f"{field}.destination_region", pair.get("destination_region"))
    return problems + [_record_text(r) for r in records]


def validate_account(account_id: Optional[str]) -> List[str]:
    """Problems with the account-level check's account_id, before any AWS call."""
    if account_id is None or (len(account_id) == 12 and account_id.isdigit()):
        return []
    return [
        f"account_id: {account_id!r} is not a 12-digit AWS account ID. Fix: give it as a quoted string of "
        '12 digits (e.g. "012345678901"), or omit it for the caller\'s account'
    ]


SNS_TOPIC_NAME = stack.SNS_TOPIC_NAME


def validate_monitoring(alarm_prefix: Optional[str], alarm_topic: Optional[str]) -> List[str]:
    """Problems with the alarm options, before any AWS call."""
    problems = []
    if alarm_prefix is not None and not 1 <= len(alarm_prefix) <= 200:
        problems.append(
            f"alarm_prefix: {alarm_prefix!r} is not 1-200 characters (alarm names are at most 255). Fix: set it to "
            "the monitoring role's monitoring_alarm_prefix, or omit it for name_prefix"
        )
    if alarm_topic is not None and not SNS_TOPIC_NAME.match(alarm_topic):
        problems.append(
            f"alarm_topic: {alarm_topic!r} is not an SNS topic name (1-256 letters, digits, hyphens and underscores). "
            "Fix: set it to the monitoring role's monitoring_alarm_topic, or omit it for <name_prefix>-alarms"
        )
    return problems


# ---------------------------------------------------------------- evaluation and reports


def evaluate(snapshot: Dict[str, Any], settings: Dict[str, Any]) -> Dict[str, Any]:
    """Run every check: {'findings', 'checks', 'summary' (without fail_on counts)}."""
    settings = {**default_settings(), **settings}
    skip = set(settings["skip_checks"])
    findings, checks = [], []
    for spec in CHECKS:
        public = {k: spec[k] for k in ("id", "title", "severity", "cis", "reference")}
        if spec["id"] in skip:
            checks.append({**public, "status": "skip", "reason": "listed in skip_checks", "findings": 0})
            continue
        try:
            results = spec["rule"](snapshot, settings)
        except NotApplicable as e:
            checks.append({**public, "status": "skip", "reason": str(e), "findings": 0})
            continue
        for result in results:
            resource, detail = result[0], result[1]
            fix = result[2] if len(result) > 2 else spec["fix"]
            findings.append(
                {
                    "id": spec["id"],
                    "title": spec["title"],
                    "severity": spec["severity"],
                    "cis": spec["cis"],
                    "reference": spec["reference"],
                    "resource": resource,
                    "detail": detail,
                    "fix": fix,
                }
            )
        checks.append({**public, "status": "fail" if results else "pass", "reason": None, "findings": len(results)})
    findings.sort(key=lambda f: SEVERITIES.index(f["severity"]))
    return {"findings": findings, "checks": checks, "summary": summarize(findings, checks)}


def summarize(findings: Sequence[Dict[str, Any]], checks: Sequence[Dict[str, Any]], fail_on: str = "none"):
    return {
        "findings": len(findings),
        "by_severity": {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES},
        "by_status": {s: sum(1 for c in checks if c["status"] == s) for s in STATUSES},
        "fail_on": fail_on,
        "at_or_above_fail_on": len(at_or_above(findings, fail_on)),
    }


def at_or_above(findings: Sequence[Dict[str, Any]], threshold: str) -> List[Dict[str, Any]]:
    if threshold == "none":
        return []
    limit = SEVERITIES.index(threshold)
    return [f for f in findings if SEVERITIES.index(f["severity"]) <= limit]


def format_finding(finding: Dict[str, Any]) -> str:
    return f"{finding['id']} [{finding['severity']}] {finding['resource']}: {finding['detail']}. Fix: {finding['fix']}"


def failure_message(findings: Sequence[Dict[str, Any]], threshold: str) -> str:
    head = f"Stack audit: {len(findings)} finding(s) at or above fail_on={threshold}:"
    return " ".join([head] + [f"({i}) {format_finding(f)}" for i, f in enumerate(findings, 1)])


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def cis_text(control: Optional[Dict[str, str]]) -> str:
    if not control:
        return "none"
    return f"{control['benchmark']} v{control['version']} {control['control']} {control['title']}"


def render_markdown(report: Dict[str, Any], region: str, name_prefix: str) -> str:
    """The audit report as Markdown: summary, findings by severity, then every check."""
    summary = report["summary"]
    lines = [
        f"# Stack audit: {name_prefix} in {region}",
        "",
        f"{summary['findings']} finding(s); checks: {summary['by_status']['pass']} pass, "
        f"{summary['by_status']['fail']} fail, {summary['by_status']['skip']} skip. "
        f"fail_on: {summary['fail_on']} ({summary['at_or_above_fail_on']} at or above).",
        "",
        "| Severity | Findings |",
        "|---|---|",
    ]
    lines += [f"| {s} | {summary['by_severity'][s]} |" for s in SEVERITIES]
    lines += ["", "## Findings", ""]
    if not report["findings"]:
        lines += ["None.", ""]
    for severity in SEVERITIES:
        group = [f for f in report["findings"] if f["severity"] == severity]
        if not group:
            continue
        lines += [f"### {severity.capitalize()}", ""]
        for f in group:
            lines += [
                f"- **{f['id']}** {_cell(f['title'])}",
                f"  - Resource: `{_cell(f['resource'])}`",
                f"  - Detail: {_cell(f['detail'])}",
                f"  - Fix: {_cell(f['fix'])}",
                f"  - CIS: {_cell(cis_text(f['cis']))}",
                f"  - Reference: {_cell(f['reference'])}",
            ]
        lines.append("")
    lines += ["## Checks", "", "| Id | Check | Severity | Status | CIS | Note |", "|---|---|---|---|---|---|"]
    for c in report["checks"]:
        control = f"v{c['cis']['version']} {c['cis']['control']}" if c["cis"] else "none"
        note = c["reason"] or (f"{c['findings']} finding(s)" if c["findings"] else "")
        lines.append(
            f"| {c['id']} | {_cell(c['title'])} | {c['severity']} | {c['status'].upper()} | {control} | {_cell(note)} |"
        )
    return "\n".join(lines) + "\n"
