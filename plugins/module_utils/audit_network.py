# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The network checks of the audit (VPC, subnets, gateways, routes, flow logs), each declared beside its rule."""


from ansible_collections.nova.infra.plugins.module_utils.audit_core import DESIGN
from ansible_collections.nova.infra.plugins.module_utils.audit_core import NotApplicable
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _default_route
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _nat_az
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _require_vpc
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _route_table_of
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _subnets_by_id
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _typed_subnets
from ansible_collections.nova.infra.plugins.module_utils.audit_core import check
from ansible_collections.nova.infra.plugins.module_utils.audit_core import cis
from ansible_collections.nova.infra.plugins.module_utils.audit_core import label
from ansible_collections.nova.infra.plugins.module_utils.audit_core import usable_addresses

# ---------------------------------------------------------------- rules: network


@check(
    "NOVA-NET-001",
    "The stack's VPC exists once, with the expected CIDR block",
    "critical",
    fix="run the network role (site.yml); set vpc_cidr to the stack's network_vpc_cidr",
    reference=f"{DESIGN} Post-Deployment Validation: 'VPC created with correct CIDR (10.0.0.0/16)'",
)
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


@check(
    "NOVA-NET-002",
    "An internet gateway is attached to the VPC",
    "high",
    fix="run the network role to attach the internet gateway",
    reference=f"{DESIGN} Post-Deployment Validation: 'Internet Gateway and NAT Gateways operational'",
)
def rule_igw(snapshot, settings):
    _require_vpc(snapshot)
    if any(igw.get("attached") for igw in snapshot["internet_gateways"]):
        return []
    return [(label(snapshot["vpc"]["id"], snapshot["vpc"].get("tags")), "no internet gateway is attached to the VPC")]


@check(
    "NOVA-NET-003",
    "The VPC has one public and one private subnet in each of the expected AZs",
    "high",
    fix="run the network role with network_az_count equal to expected_az_count; delete stray subnets",
    reference=f"{DESIGN} Post-Deployment Validation: 'All 4 subnets created across 2 AZs'",
)
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


@check(
    "NOVA-NET-004",
    "Every subnet keeps enough free IP addresses",
    "medium",
    fix="release unused ENIs, or move to larger subnets (network_subnet_prefix 23 gives 507 usable addresses)",
    reference=f"{DESIGN} IP Address Exhaustion: 'Subnet IP Exhaustion'",
)
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


@check(
    "NOVA-NET-005",
    "One available NAT gateway runs in each AZ's public subnet (nat_mode single: in the first AZ's only)",
    "high",
    fix="run the network role; it replaces failed NAT gateways and creates one per AZ",
    reference=f"{DESIGN} Post-Deployment Validation: 'Internet Gateway and NAT Gateways operational'; "
    "Single NAT Gateway Bottleneck: 'one NAT Gateway per AZ'",
)
def rule_nat_gateways(snapshot, settings):
    _require_vpc(snapshot)
    public = _typed_subnets(snapshot, "public")
    if not public:
        raise NotApplicable("the VPC has no public subnets to place NAT gateways in")
    by_az = {}
    for nat in snapshot["nat_gateways"]:
        by_az.setdefault(_nat_az(snapshot, nat), []).append(nat)
    found = []
    zones = sorted({s["az"] for s in public})
    single = settings.get("nat_mode") == "single"
    for az in zones:
        nats = by_az.get(az, [])
        # A failed NAT gateway beside an available one is the one the network role replaced (after a zone loss, say);
        # it carries nothing and AWS removes it after about an hour. Alone in its AZ, it is the finding below.
        if any(n.get("state") == "available" for n in nats):
            nats = [n for n in nats if n.get("state") != "failed"]
        if single and az != zones[0]:
            # nat_mode single: one NAT gateway, in the first AZ (NOVA-NET-012 weighs the risk).
            for nat in nats:
                found.append(
                    (
                        label(nat["id"], nat.get("tags")),
                        f"NAT gateway in {az}, but nat_mode single wants one only, in {zones[0]}",
                        "run the network role (it deletes it and releases its Elastic IP), or set nat_mode per_az",
                    )
                )
            continue
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


@check(
    "NOVA-NET-006",
    "No private route table routes to an internet gateway",
    "high",
    fix="delete the internet gateway route from the private route table; private subnets egress through NAT",
    reference=f"{DESIGN} Security Validation: 'No public access to private subnets'; "
    "Network Segmentation Failures: 'Private Subnet Route to IGW'",
)
def rule_private_no_igw(snapshot, settings):
    _require_vpc(snapshot)
    # The tables tagged Type=Private, and the table each private subnet uses (its association, else the main
    # table), whatever its tags say: a route there reaches the internet from that subnet all the same.
    private = {t["id"]: (t, []) for t in snapshot["route_tables"] if t.get("tags", {}).get("Type", "").lower() == "private"}
    for subnet in _typed_subnets(snapshot, "private"):
        table = _route_table_of(snapshot, subnet["id"])
        if table is not None:
            private.setdefault(table["id"], (table, []))[1].append(subnet["id"])
    found = []
    for table, subnet_ids in private.values():
        tagged_private = table.get("tags", {}).get("Type", "").lower() == "private"
        used_by = f"private subnet(s) {', '.join(subnet_ids)}"
        where = (
            ("a private route table" + (f" (used by {used_by})" if subnet_ids else ""))
            if tagged_private else f"the route table of {used_by}"
        )
        for route in table.get("routes", []):
            if route.get("target_type") == "gateway" and str(route.get("target", "")).startswith("igw-"):
                found.append(
                    (
                        label(table["id"], table.get("tags")),
                        f"route {route.get('destination')} -> internet gateway {route['target']} in {where}",
                    )
                )
    return found


@check(
    "NOVA-NET-007",
    "Each private subnet sends 0.0.0.0/0 to the NAT gateway in its own AZ (nat_mode single: to the one NAT gateway)",
    "high",
    fix="run the network role; it routes each private subnet to its AZ's NAT gateway",
    reference=f"{DESIGN} Disaster Recovery, Single AZ failure: 'Automatic failover through multi-AZ design'",
)
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
            elif nat_az != subnet["az"] and settings.get("nat_mode") != "single":
                found.append(
                    (
                        where,
                        f"subnet in {subnet['az']} sends 0.0.0.0/0 to NAT gateway {nat['id']} in {nat_az}: "
                        f"losing {nat_az} cuts this AZ's egress",
                    )
                )
    return found


@check(
    "NOVA-NET-012",
    "Losing one AZ cuts no other AZ's egress (a NAT gateway per AZ), unless a single NAT gateway is accepted",
    "high",
    fix="set network_nat_mode: per_az and run site.yml (a NAT gateway per AZ), or, for a non-production copy, accept "
    "the risk with network_nat_single_accepted: true",
    reference=f"{DESIGN} Single NAT Gateway Bottleneck: 'one NAT Gateway per AZ'; Disaster Recovery, Single AZ "
    "failure: 'Automatic failover through multi-AZ design'",
)
def rule_single_nat(snapshot, settings):
    _require_vpc(snapshot)
    if settings.get("nat_mode") != "single":
        # per_az: NOVA-NET-005 and NOVA-NET-007 check a NAT gateway in each AZ and each subnet's route to its own.
        return []
    if settings.get("nat_single_accepted"):
        raise NotApplicable("nat_mode single and nat_single_accepted: the AZ-failure risk of one NAT gateway is accepted")
    nats = {n["id"]: n for n in snapshot["nat_gateways"]}
    found = []
    for subnet in _typed_subnets(snapshot, "private"):
        _table, default = _default_route(snapshot, subnet["id"])
        nat = nats.get((default or {}).get("target"))
        nat_az = _nat_az(snapshot, nat) if nat else None
        if nat_az and nat_az != subnet["az"]:
            found.append(
                (
                    label(subnet["id"], subnet.get("tags")),
                    f"egress of {subnet['az']} goes through the single NAT gateway {nat['id']} in {nat_az} "
                    f"(nat_mode single): losing {nat_az} cuts it, and the risk is not accepted",
                )
            )
    return found


def _live_endpoints(snapshot, kind):
    return [
        e
        for e in snapshot.get("vpc_endpoints", [])
        if str(e.get("type", "")).lower() == kind and str(e.get("state", "")).lower() not in ("deleted", "deleting")
    ]


@check(
    "NOVA-NET-013",
    "An S3 gateway endpoint is associated with every private route table",
    "medium",
    fix="run site.yml (the network role creates the S3 gateway endpoint on the private route tables; "
    "network_s3_endpoint)",
    reference=f"{DESIGN} Single NAT Gateway Bottleneck (NAT gateway load, BytesOutToDestination): S3 traffic of the "
    "private subnets, to the stack's own buckets too, goes through a free gateway endpoint instead",
)
def rule_s3_endpoint(snapshot, settings):
    _require_vpc(snapshot)
    if not settings.get("s3_endpoint", True):
        raise NotApplicable("s3_endpoint is false: no S3 gateway endpoint is expected")
    tables = [t for t in snapshot["route_tables"] if t.get("tags", {}).get("Type", "").lower() == "private"]
    if not tables:
        raise NotApplicable("the VPC has no private route tables (Type=Private)")
    service = f"com.amazonaws.{snapshot['region']}.s3"
    endpoints = [e for e in _live_endpoints(snapshot, "gateway") if e.get("service") == service]
    if not endpoints:
        return [(label(snapshot["vpc"]["id"], snapshot["vpc"].get("tags")), f"no {service} gateway endpoint in the VPC")]
    found = []
    for endpoint in endpoints:
        if str(endpoint.get("state", "")).lower() != "available":
            found.append((label(endpoint["id"], endpoint.get("tags")), f"S3 endpoint is {endpoint.get('state')}"))
    ids = {e["id"] for e in endpoints}
    for table in tables:
        associated = any(table["id"] in e.get("route_table_ids", []) for e in endpoints)
        routed = any(r.get("target") in ids and r.get("state") != "blackhole" for r in table.get("routes", []))
        if not (associated and routed):
            found.append(
                (
                    label(table["id"], table.get("tags")),
                    "private route table has no route to the S3 gateway endpoint: its S3 traffic pays NAT data "
                    "processing",
                )
            )
    return found


@check(
    "NOVA-NET-014",
    "Each expected interface endpoint is in every private subnet, with private DNS and HTTPS from the VPC only",
    "medium",
    fix="run site.yml (the network role creates network_interface_endpoints with the security group "
    "<prefix>-endpoints-sg)",
    reference=f"{DESIGN} Security Validation: 'No public access to private subnets' (hosts reach AWS APIs without "
    "the NAT path)",
)
def rule_interface_endpoints(snapshot, settings):
    _require_vpc(snapshot)
    wanted = settings.get("interface_endpoints") or []
    if not wanted:
        raise NotApplicable("no interface endpoints expected (interface_endpoints is empty)")
    private = sorted(s["id"] for s in _typed_subnets(snapshot, "private"))
    groups = {g["id"]: g for g in snapshot["security_groups"]}
    vpc_cidr = settings.get("vpc_cidr") or snapshot["vpc"].get("cidr")
    endpoints = _live_endpoints(snapshot, "interface")
    found = []
    for name in wanted:
        service = f"com.amazonaws.{snapshot['region']}.{name}"
        mine = [e for e in endpoints if e.get("service") == service]
        if not mine:
            found.append((label(snapshot["vpc"]["id"], snapshot["vpc"].get("tags")), f"no {service} interface endpoint"))
            continue
        for endpoint in mine:
            where = label(endpoint["id"], endpoint.get("tags"))
            if str(endpoint.get("state", "")).lower() != "available":
                found.append((where, f"{name} endpoint is {endpoint.get('state')}"))
            missing = sorted(set(private) - set(endpoint.get("subnet_ids", [])))
            if missing:
                found.append((where, f"{name} endpoint is not in private subnet(s) {', '.join(missing)}"))
            if not endpoint.get("private_dns"):
                found.append((where, f"{name} endpoint has private DNS off: the SDKs' default host names miss it"))
            for group_id in endpoint.get("group_ids", []):
                group = groups.get(group_id, {})
                rules = [
                    (p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"), r.get("CidrIp"))
                    for p in group.get("ingress", [])
                    for r in p.get("IpRanges", [])
                ]
                others = [p for p in group.get("ingress", []) if p.get("UserIdGroupPairs") or p.get("Ipv6Ranges")]
                if others or any(rule != ("tcp", 443, 443, vpc_cidr) for rule in rules):
                    found.append(
                        (
                            where,
                            f"{name} endpoint's security group {group_id} allows more than HTTPS from {vpc_cidr}: "
                            f"{rules}",
                        )
                    )
    return found


@check(
    "NOVA-NET-010",
    "Every public subnet routes 0.0.0.0/0 to the attached internet gateway and maps public IPs",
    "high",
    fix="run the network role: it associates the public route table (0.0.0.0/0 -> internet gateway) with the public "
    "subnets and turns MapPublicIpOnLaunch on",
    reference=f"{DESIGN} Post-Deployment Validation: 'Bastion host accessible via SSH' and 'Internet Gateway and NAT "
    "Gateways operational' (the NAT gateways reach the internet through the public route)",
)
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


@check(
    "NOVA-NET-011",
    "No private subnet gives its instances public IP addresses",
    "medium",
    fix="run site.yml (the network role turns MapPublicIpOnLaunch off on the private subnets), or aws ec2 "
    "modify-subnet-attribute --subnet-id <id> --no-map-public-ip-on-launch",
    reference=f"{DESIGN} Security Validation: 'No public access to private subnets'",
)
def rule_private_no_public_ips(snapshot, settings):
    _require_vpc(snapshot)
    private = _typed_subnets(snapshot, "private")
    if not private:
        raise NotApplicable("the VPC has no private subnets")
    return [
        (
            label(subnet["id"], subnet.get("tags")),
            "MapPublicIpOnLaunch is true, the design says false: instances launched here get a public IP address",
            f"run site.yml (the network role), or aws ec2 modify-subnet-attribute --subnet-id {subnet['id']} "
            "--no-map-public-ip-on-launch",
        )
        for subnet in private
        if subnet.get("map_public_ip")
    ]


@check(
    "NOVA-NET-008",
    "No route in the VPC is a blackhole",
    "high",
    fix="point the route at a live target (run the network role) or delete it",
    reference=f"{DESIGN} Post-Deployment Validation: 'Internet Gateway and NAT Gateways operational'",
)
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


@check(
    "NOVA-NET-009",
    "Subnets, NAT gateways and the bastion Auto Scaling group span the expected AZs",
    "high",
    fix="spread the resources over expected_az_count AZs (network role network_az_count, bastion ASG subnets)",
    reference=f"{DESIGN} Disaster Recovery, Single AZ failure: 'Automatic failover through multi-AZ design'",
)
def rule_az_spread(snapshot, settings):
    _require_vpc(snapshot)
    expected = settings["expected_az_count"]
    subnets = _subnets_by_id(snapshot)
    spread = {"subnets": {s["az"] for s in snapshot["subnets"] if s.get("type")}}
    # nat_mode single puts the NAT gateway in one AZ on purpose; NOVA-NET-012 reports that risk.
    if settings.get("nat_mode") != "single":
        spread["available NAT gateways"] = {
            _nat_az(snapshot, n) for n in snapshot["nat_gateways"] if n.get("state") == "available"
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


@check(
    "NOVA-LOG-001",
    "VPC flow logging is active for all traffic",
    "high",
    fix="run site.yml (the monitoring role creates the flow log with monitoring_flow_log_traffic_type), or "
    "aws ec2 create-flow-logs --traffic-type ALL ...",
    reference=f"{DESIGN} Security Monitoring: 'VPC Flow Logs' (--traffic-type ALL)",
    cis_control=cis("3.7", "Ensure VPC flow logging is enabled in all VPCs"),
)
def rule_flow_logs(snapshot, settings):
    _require_vpc(snapshot)
    if _active_flow_logs(snapshot, settings):
        return []
    traffic = settings["flow_log_traffic_type"]
    seen = "; ".join(
        f"{log['id']}: {log.get('status')}, traffic {log.get('traffic_type')}, delivery {log.get('deliver_status')}"
        for log in snapshot["flow_logs"]
    )
    detail = f"no ACTIVE flow log with traffic type {traffic} on the VPC" + (f" (found {seen})" if seen else "")
    return [(label(snapshot["vpc"]["id"], snapshot["vpc"].get("tags")), detail)]


def _active_flow_logs(snapshot, settings):
    """The VPC's flow logs that are ACTIVE, deliver, and log the design's traffic type."""
    return [
        log
        for log in snapshot["flow_logs"]
        if log.get("status") == "ACTIVE"
        and log.get("traffic_type") == settings["flow_log_traffic_type"]
        and log.get("deliver_status") != "FAILED"
    ]


@check(
    "NOVA-LOG-002",
    "The VPC flow log delivers to the design's S3 bucket and key prefix",
    "medium",
    fix="run site.yml (the monitoring role creates the flow log to the log-delivery bucket under "
    "monitoring_flow_log_prefix; delete the flow log to the other destination)",
    reference=f"{DESIGN} Security Monitoring: 'VPC Flow Logs' (delivered to the stack's log bucket)",
)
def rule_flow_log_destination(snapshot, settings):
    _require_vpc(snapshot)
    wanted = settings.get("flow_log_destination")
    if not wanted:
        raise NotApplicable("no expected flow log destination (option flow_log_bucket)")
    active = _active_flow_logs(snapshot, settings)
    if not active:
        raise NotApplicable(f"no ACTIVE flow log with traffic type {settings['flow_log_traffic_type']} (see NOVA-LOG-001)")
    if any(log.get("destination") == wanted for log in active):
        return []
    return [
        (
            f"flow log {label(log['id'], log.get('tags'))}",
            f"destination is {log.get('destination') or '(none)'}, the design says {wanted}",
        )
        for log in active
    ]
