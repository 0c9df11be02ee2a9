# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The security-group checks of the audit, each declared beside its rule."""

import ipaddress

from ansible_collections.nova.infra.plugins.module_utils import cidr
from ansible_collections.nova.infra.plugins.module_utils import stack
from ansible_collections.nova.infra.plugins.module_utils.audit_core import ADMIN_PORTS
from ansible_collections.nova.infra.plugins.module_utils.audit_core import DESIGN
from ansible_collections.nova.infra.plugins.module_utils.audit_core import PORT_PROTOCOLS
from ansible_collections.nova.infra.plugins.module_utils.audit_core import SSH_PORT
from ansible_collections.nova.infra.plugins.module_utils.audit_core import WORLD_V4
from ansible_collections.nova.infra.plugins.module_utils.audit_core import WORLD_V6
from ansible_collections.nova.infra.plugins.module_utils.audit_core import NotApplicable
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _describe_rule
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _find_sg
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _require_vpc
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _rules_covering_port
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _sources
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _within
from ansible_collections.nova.infra.plugins.module_utils.audit_core import check
from ansible_collections.nova.infra.plugins.module_utils.audit_core import cis
from ansible_collections.nova.infra.plugins.module_utils.audit_core import label

# ---------------------------------------------------------------- rules: security groups


@check(
    "NOVA-SG-001",
    "The bastion security group allows SSH only from the allowed CIDR blocks",
    "high",
    fix="allow tcp/22 only from allowed_ssh_cidrs",
    reference=f"{DESIGN} Security Validation: 'SSH access restricted to 203.0.113.0/24'",
)
def rule_bastion_ssh(snapshot, settings):
    _require_vpc(snapshot)
    name = f"{snapshot['name_prefix']}-bastion-sg"
    group = _find_sg(snapshot, name)
    if group is None:
        if not settings["expect_bastion"]:
            raise NotApplicable(f"no security group {name} and expect_bastion is false")
        return [(name, f"security group {name} does not exist in the VPC", "run the bastion role")]
    if settings.get("bastion_access") == "ssm":
        return _ssm_only_ssh(group)
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


@check(
    "NOVA-SG-002",
    "The private security group allows SSH only from the bastion security group",
    "high",
    fix="keep a single tcp/22 source-group rule from the bastion security group",
    reference=f"{DESIGN} Security Validation: 'Network segmentation properly implemented'; "
    "Missing Security Group Segregation: 'Ensure Private SG only allows SSH from Bastion SG'",
)
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


def _world_admin(snapshot, world):
    _require_vpc(snapshot)
    return _admin_exposure(snapshot["security_groups"], world)


def _admin_exposure(groups, world):
    """Rules from /0 to an administration port, and a group whose rules to one together let in more public addresses
    than cidr.MAX_PUBLIC_PREFIX allows (0.0.0.0/1 and 128.0.0.0/1: the internet, split in two)."""
    found = []
    for group in groups:
        where = label(group["id"], group.get("tags"))
        split = {}  # the sources of the rules to each port, when none of them is /0
        for port in ADMIN_PORTS:
            sources = []
            for perm in _rules_covering_port(group.get("ingress", []), port):
                for kind, source in _sources(perm):
                    network = ipaddress.ip_network(source, strict=False) if kind in ("cidr", "cidr6") else None
                    if network is None or network.version != world.version:
                        continue
                    if network.prefixlen == 0:
                        finding = (where, f"{_describe_rule(perm)} from {source} opens port(s) "
                                          f"{', '.join(map(str, _ports_of(perm)))} to the whole internet")
                        if finding not in found:
                            found.append(finding)
                    sources.append(network)
            if sources and all(n.prefixlen > 0 for n in sources):
                split.setdefault(tuple(sorted(set(sources))), []).append(port)
        for sources, ports in split.items():
            for version, count in cidr.world_like(sources):
                found.append((where, f"port(s) {', '.join(map(str, ports))} from {', '.join(map(str, sources))} together "
                                     f"let in {cidr.describe_span(version, count)}, more than a "
                                     f"/{cidr.MAX_PUBLIC_PREFIX[version]}: the internet in all but name"))
    return found


def _ports_of(perm):
    return [p for p in ADMIN_PORTS if _rules_covering_port([perm], p)]


@check(
    "NOVA-SG-003",
    "No security group allows ingress from 0.0.0.0/0 to remote administration ports",
    "critical",
    fix="revoke the rule; allow ports 22 and 3389 only from known CIDR blocks or security groups",
    reference=f"{DESIGN} Security Validation: 'Security group rules follow least privilege'",
    cis_control=cis("5.2", "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports"),
)
def rule_admin_world_v4(snapshot, settings):
    return _world_admin(snapshot, WORLD_V4)


@check(
    "NOVA-SG-004",
    "No security group allows ingress from ::/0 to remote administration ports",
    "critical",
    fix="revoke the rule; allow ports 22 and 3389 only from known CIDR blocks or security groups",
    reference=f"{DESIGN} Security Validation: 'Security group rules follow least privilege'",
    cis_control=cis("5.3", "Ensure no security groups allow ingress from ::/0 to remote server administration ports"),
)
def rule_admin_world_v6(snapshot, settings):
    return _world_admin(snapshot, WORLD_V6)


@check(
    "NOVA-SG-005",
    "The VPC's default security group has no rules",
    "high",
    fix="remove every ingress and egress rule from the default security group (the network role does)",
    reference=f"{DESIGN} Security Validation: 'Security group rules follow least privilege'; also AWS Foundational "
    "Security Best Practices EC2.2",
    cis_control=cis("5.4", "Ensure the default security group of every VPC restricts all traffic"),
)
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


@check(
    "NOVA-SG-006",
    "The bastion and private security groups allow no ingress but SSH",
    "medium",
    fix="revoke the extra rule; give application traffic a security group of its own",
    reference=f"{DESIGN} Security Validation: 'Security group rules follow least privilege'",
)
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


def _ssm_only_ssh(group):
    """bastion_access ssm (Session Manager only): no ingress rule may reach SSH, from anywhere."""
    where = label(group["id"], group.get("tags"))
    return [
        (
            where,
            f"{_describe_rule(perm)} from {kind} {source} reaches SSH; bastion_access is ssm (Session Manager only, "
            "no SSH ingress)",
            f"revoke the rule from {source} (run the bastion role), or set bastion_access to both to keep SSH",
        )
        for perm in _rules_covering_port(group.get("ingress", []), SSH_PORT)
        for kind, source in _sources(perm)
    ]


# ---------------------------------------------------------------- egress


def allowed_egress(snapshot, settings):
    """{group name: [(protocol, ports, network)]}: what the bastion and private groups may send out. The bastion's is
    the design's (SSH to the VPC's CIDR, stack.DESIGN bastion_egress); the private group's its setting."""
    prefix = snapshot["name_prefix"]
    bastion = [{"proto": "tcp", "ports": [SSH_PORT], "cidr_ip": settings.get("vpc_cidr", stack.design("vpc_cidr"))}] + list(stack.design("bastion_egress"))
    return {
        f"{prefix}-bastion-sg": [_allowed(rule) for rule in bastion],
        f"{prefix}-private-sg": [_allowed(rule) for rule in settings.get("private_egress", stack.design("private_egress"))],
    }


def _allowed(rule):
    return (
        PORT_PROTOCOLS.get(str(rule["proto"]).lower(), str(rule["proto"]).lower()),
        {int(port) for port in rule["ports"]},
        ipaddress.ip_network(rule["cidr_ip"], strict=False),
    )


def _egress_covered(perm, kind, destination, allowed):
    """Whether one destination of an egress permission is within one of the allowed rules."""
    protocol = PORT_PROTOCOLS.get(str(perm.get("IpProtocol", "")).lower())
    if protocol is None or kind not in ("cidr", "cidr6"):
        # All traffic, ICMP and other protocols; security group and prefix-list destinations are not in the settings.
        return False
    low, high = perm.get("FromPort"), perm.get("ToPort")
    if low is None or high is None or low == -1:
        return False
    for allowed_protocol, ports, network in allowed:
        if allowed_protocol != protocol or high - low + 1 > len(ports):
            continue
        if all(port in ports for port in range(low, high + 1)) and _within(destination, [network]):
            return True
    return False


@check(
    "NOVA-SG-007",
    "The bastion and private security groups allow no egress wider than their settings",
    "medium",
    fix="revoke the rule (run the bastion role: the bastion's egress is SSH to the VPC and HTTPS, the private "
    "group's bastion_private_egress)",
    reference=f"{DESIGN} Security Validation: 'Security group rules follow least privilege'. No CIS v3.0.0 or AWS "
    "Foundational Security Best Practices control covers the egress of a group other than the VPC's default one "
    "(CIS 5.4 and FSBP EC2.2 cover only that group: NOVA-SG-005)",
)
def rule_stack_sg_egress(snapshot, settings):
    _require_vpc(snapshot)
    found = []
    allowed = allowed_egress(snapshot, settings)
    groups = {name: _find_sg(snapshot, name) for name in allowed}
    if not any(groups.values()):
        raise NotApplicable("neither the bastion nor the private security group exists")
    for name, group in groups.items():
        if group is None:
            continue
        for perm in group.get("egress", []):
            for kind, destination in _sources(perm):
                if _egress_covered(perm, kind, destination, allowed[name]):
                    continue
                found.append(
                    (
                        label(group["id"], group.get("tags")),
                        f"egress {_describe_rule(perm)} to {kind} {destination} is wider than the settings allow "
                        f"({_describe_allowed(allowed[name])})",
                    )
                )
    return found


def _describe_allowed(allowed):
    return ", ".join(f"{proto}/{','.join(map(str, sorted(ports)))} to {network}" for proto, ports, network in allowed) or "none"


@check(
    "NOVA-SG-008",
    "No other security group of the region allows ingress from 0.0.0.0/0 or ::/0 to remote administration ports",
    "medium",
    fix="revoke the rule (its owner's group, outside the stack); allow ports 22 and 3389 only from known CIDR blocks, "
    "or skip the check with skip_checks: [NOVA-SG-008] where other teams own those groups",
    reference=f"{DESIGN} Security Validation Failures, Overly Permissive SSH Access: the validation script lists every "
    "security group of the region with SSH from 0.0.0.0/0 ('Should return empty')",
)
def rule_admin_world_region(snapshot, settings):
    found = []
    for group in snapshot.get("region_security_groups") or []:
        for world in (WORLD_V4, WORLD_V6):
            found += [(f"{where} in {group.get('vpc_id') or 'no VPC'}", detail)
                      for where, detail in _admin_exposure([group], world)]
    return found
