# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure IPv4 address planning and validation for the nova.infra network.

No AWS calls here: the module feeds in what it read from AWS, so every rule can be
unit-tested with plain data.  Every check appends a problem record instead of
raising, because the caller must see all of its mistakes in one run.

A problem record is ``{"field", "value", "problem", "fix"}`` where ``field`` is the
caller's variable name (see ``labels``), so the message points at the playbook
variable to edit rather than at this module's option name.
"""

import ipaddress
import re
from itertools import islice
from typing import Any
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional
from typing import Sequence
from typing import Tuple

from ansible_collections.nova.infra.plugins.module_utils import problems as _problems
from ansible_collections.nova.infra.plugins.module_utils import s3_replication

# AWS limits for IPv4 VPC and subnet CIDR blocks (same range for both).
MIN_PREFIX = 16
MAX_PREFIX = 28
# AWS keeps the network address, the VPC router (+1), DNS (+2), a future-use
# address (+3) and the broadcast address of every subnet.
RESERVED_PER_SUBNET = 5

# An EC2 instance type name: family.size, e.g. t3.micro, u-6tb1.metal.
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")

RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

# Ranges that can never address instances in a VPC.
UNUSABLE = {
    ipaddress.ip_network("0.0.0.0/8"): "the 'this network' range",
    ipaddress.ip_network("127.0.0.0/8"): "the loopback range",
    ipaddress.ip_network("169.254.0.0/16"): "the link-local range (used by the instance metadata service)",
    ipaddress.ip_network("224.0.0.0/4"): "the multicast range",
    ipaddress.ip_network("240.0.0.0/4"): "the reserved class E range",
}


# The collection's problem records and their message (module_utils/problems.py).
problem = _problems.problem
format_problem = _problems.format_problem


def format_problems(records: Sequence[Dict[str, Any]]) -> str:
    """One message for fail_json; numbered so a long list stays readable on one line."""
    return _problems.format_problems(records, "network", "created")


def address_counts(network: ipaddress.IPv4Network) -> Dict[str, int]:
    total = network.num_addresses
    return {"total_addresses": total, "usable_addresses": max(total - RESERVED_PER_SUBNET, 0)}


def is_rfc1918(network: ipaddress.IPv4Network) -> bool:
    return any(network.subnet_of(block) for block in RFC1918)


def prefix_for_usable(min_usable: int) -> int:
    """Longest prefix (smallest subnet) whose usable address count reaches min_usable."""
    prefix = MAX_PREFIX
    while prefix > 0 and (2 ** (32 - prefix)) - RESERVED_PER_SUBNET < min_usable:
        prefix -= 1
    return prefix


def subnet_entry(tier: str, index: int, az: Optional[str], network: ipaddress.IPv4Network) -> Dict[str, Any]:
    return {"tier": tier, "index": index, "az": az, "cidr": str(network), **address_counts(network)}


def plan_subnets(vpc_cidr: str, azs: Sequence[Optional[str]], prefix: int = 24) -> List[Dict[str, Any]]:
    """Public subnets take the first len(azs) blocks of /prefix, private the next len(azs).

    Deterministic on purpose: a rerun with the same input must produce the same plan, so
    the network role can create subnets idempotently by CIDR.  Raises ValueError when the
    VPC cannot hold 2 * len(azs) blocks (validate() reports that as a problem first).
    """
    vpc = ipaddress.ip_network(vpc_cidr, strict=False)
    count = len(azs)
    if prefix < vpc.prefixlen or 2 ** (prefix - vpc.prefixlen) < 2 * count:
        raise ValueError(f"{vpc} cannot hold {2 * count} subnets of /{prefix}")
    blocks = list(islice(vpc.subnets(new_prefix=prefix), 2 * count))
    return [subnet_entry("public", i, az, blocks[i]) for i, az in enumerate(azs)] + [
        subnet_entry("private", i, az, blocks[count + i]) for i, az in enumerate(azs)
    ]


def _parse(text: Any, field: str, kind: str, problems: List[Dict[str, Any]]) -> Optional[ipaddress.IPv4Network]:
    """Parse one CIDR, recording every rule it breaks.

    Returns the network (with host bits cleared) whenever the text is an IPv4 CIDR at all,
    so later checks (containment, overlap) still run and the caller sees all problems.
    """
    text = str(text).strip()
    example = "10.0.0.0/16" if kind == "VPC" else "10.0.1.0/24"
    if "/" not in text:
        problems.append(
            problem(
                field,
                text,
                "is not in CIDR notation (no /prefix)",
                f"write the {kind} block as address/prefix, e.g. {example}",
            )
        )
        return None
    try:
        # IPv4Network (not ip_network) so the error says which part is wrong, e.g. "'33' is not a valid netmask".
        network = ipaddress.IPv4Network(text, strict=False)
    except ValueError as e:
        try:
            ipaddress.IPv6Network(text, strict=False)
        except ValueError:
            problems.append(
                problem(
                    field,
                    text,
                    f"is not a valid IPv4 CIDR block ({e})",
                    f"write the {kind} block as address/prefix, e.g. {example}",
                )
            )
        else:
            problems.append(
                problem(
                    field,
                    text,
                    f"is an IPv6 block; the {kind} CIDR must be IPv4",
                    f"use an IPv4 block such as {example}",
                )
            )
        return None
    if ipaddress.ip_interface(text).ip != network.network_address:
        problems.append(
            problem(field, text, "has host bits set; AWS only accepts the network address of a block", f"use {network}")
        )
    if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
        error = "InvalidVpc.Range" if kind == "VPC" else "InvalidSubnet.Range"
        allowed = min(max(network.prefixlen, MIN_PREFIX), MAX_PREFIX)
        problems.append(
            problem(
                field,
                text,
                f"has prefix /{network.prefixlen}; AWS only accepts {kind} blocks from /{MIN_PREFIX} to /{MAX_PREFIX} "
                f"(it would fail with {error})",
                f"use a prefix between /{MIN_PREFIX} and /{MAX_PREFIX}, "
                f"e.g. {ipaddress.ip_network((network.network_address, allowed), strict=False)}",
            )
        )
    for reserved, description in UNUSABLE.items():
        if network.overlaps(reserved):
            problems.append(
                problem(
                    field,
                    text,
                    f"overlaps {reserved}, {description}, which cannot address instances",
                    f"use a private (RFC 1918) block such as {example}",
                )
            )
    return network


def _check_subnet_tier(
    tier: str,
    cidrs: Sequence[str],
    azs: Sequence[Optional[str]],
    vpc: Optional[ipaddress.IPv4Network],
    min_usable: int,
    label,
    problems: List[Dict[str, Any]],
) -> List[Tuple[str, str, Dict[str, Any]]]:
    """Check one tier's given subnets; return (field, text, entry) per parsable subnet, az by position."""
    field = label(f"{tier}_subnet_cidrs")
    if len(cidrs) != len(azs):
        problems.append(
            problem(
                field,
                list(cidrs),
                f"lists {len(cidrs)} {tier} subnet(s) for {len(azs)} availability zone(s); "
                f"one {tier} subnet per AZ is required",
                f"list exactly {len(azs)} {tier} CIDR(s), one per AZ in order, or leave both "
                f"{label('public_subnet_cidrs')} and {label('private_subnet_cidrs')} empty to have them planned",
            )
        )
    entries = []
    for i, text in enumerate(cidrs):
        item = f"{field}[{i}]"
        network = _parse(text, item, "subnet", problems)
        if network is None:
            continue
        if vpc is not None and not network.subnet_of(vpc):
            problems.append(
                problem(
                    item,
                    str(text),
                    f"is not inside the VPC block {vpc} (AWS would fail with InvalidSubnet.Range)",
                    f"pick a block within {vpc}, or change {label('vpc_cidr')}",
                )
            )
        usable = address_counts(network)["usable_addresses"]
        if usable < min_usable:
            problems.append(
                problem(
                    item,
                    str(text),
                    f"has only {usable} usable addresses (AWS reserves {RESERVED_PER_SUBNET} per subnet), "
                    f"{label('min_usable_addresses')} requires {min_usable}",
                    f"use a /{prefix_for_usable(min_usable)} or larger block",
                )
            )
        entries.append((item, str(text), subnet_entry(tier, i, azs[i] if i < len(azs) else None, network)))
    return entries


def _check_overlaps(entries, problems: List[Dict[str, Any]]) -> None:
    """Each overlapping pair once, reported on the later subnet and naming the earlier one."""
    for later, (item, text, entry) in enumerate(entries):
        network = ipaddress.ip_network(entry["cidr"])
        for earlier_item, earlier_text, earlier in entries[:later]:
            other = ipaddress.ip_network(earlier["cidr"])
            if network == other:
                problems.append(
                    problem(
                        item,
                        text,
                        f"duplicates {earlier_item} ({earlier_text}); every subnet needs its own block",
                        "give each subnet a distinct, non-overlapping block",
                    )
                )
            elif network.overlaps(other):
                problems.append(
                    problem(
                        item,
                        text,
                        f"overlaps {earlier_item} ({earlier_text}); AWS would fail with InvalidSubnet.Conflict "
                        "(the CIDR conflicts with another subnet)",
                        "give each subnet a distinct, non-overlapping block",
                    )
                )


def offering_zones(available_zones: Optional[Sequence[str]], offered_zones: Optional[Sequence[str]]) -> Optional[List[str]]:
    """The available zones that offer the instance type, in the order of available_zones (None: not checked).

    Without available_zones, the offering zones themselves in their given order."""
    if offered_zones is None:
        return None
    if available_zones is None:
        return list(offered_zones)
    offered = set(offered_zones)
    return [zone for zone in available_zones if zone in offered]


def _offering_problem(field, zone, instance_type, working, label):
    return problem(
        field,
        zone,
        f"does not offer instance type {instance_type} ({label('instance_type')}; DescribeInstanceTypeOfferings), "
        "so instances of that type cannot launch there (AWS fails the launch with Unsupported, after the network "
        "is built)",
        f"choose from the available zones that offer {instance_type}: {', '.join(working) or '(none)'}, "
        f"or set {label('instance_type')} to a type offered in the zones you want",
    )


def instance_type_problems(instance_type: Optional[str], field: str) -> List[Dict[str, Any]]:
    """A name that is no EC2 instance type (None: none given), before offerings are read for it."""
    if instance_type is None or INSTANCE_TYPE.match(str(instance_type)):
        return []
    return [problem(field, instance_type, "is not an EC2 instance type", "use a family.size name such as t3.micro")]


def _resolve_azs(availability_zones, az_count, available_zones, min_azs, label, problems,
                 instance_type=None, offered_zones=None) -> List[Optional[str]]:
    """The AZ for each subnet index: the caller's names, else the first az_count available zones (or None).

    With offered_zones (the zones offering instance_type), only those zones count: the first az_count of the
    available ones that offer it are taken, and a named zone without it is a problem."""
    working = offering_zones(available_zones, offered_zones)
    if availability_zones is not None:
        field, value, azs = label("availability_zones"), list(availability_zones), list(availability_zones)
        for i, az in enumerate(azs):
            if az in azs[:i]:
                problems.append(
                    problem(
                        f"{field}[{i}]",
                        az,
                        "is listed twice; a second subnet in the same AZ gives no AZ-failure tolerance",
                        "list each availability zone once",
                    )
                )
            elif available_zones is not None and az not in available_zones:
                problems.append(
                    problem(
                        f"{field}[{i}]",
                        az,
                        "is not an available availability zone in this region",
                        f"choose from {', '.join(available_zones) or '(none reported)'}",
                    )
                )
            elif working is not None and az not in working:
                problems.append(
                    _offering_problem(f"{field}[{i}]", az, instance_type, working, label)
                )
        count = len(set(azs))
    else:
        field, value, count = label("az_count"), az_count, az_count
        if working is not None:
            if az_count > len(working):
                problems.append(
                    problem(
                        field,
                        az_count,
                        f"asks for more AZs than the region has available that offer instance type {instance_type} "
                        f"({label('instance_type')}): {len(working)} ({', '.join(working) or 'none'}"
                        f"{'; available: ' + ', '.join(available_zones) if available_zones is not None else ''})",
                        f"set it to at most {len(working)}, or set {label('instance_type')} to a type offered in more "
                        "zones",
                    )
                )
        elif available_zones is not None and az_count > len(available_zones):
            problems.append(
                problem(
                    field,
                    az_count,
                    f"asks for more AZs than the region has available ({len(available_zones)}: "
                    f"{', '.join(available_zones)})",
                    f"set it to at most {len(available_zones)}",
                )
            )
        candidates = working if working is not None else available_zones
        azs = list(candidates[:az_count]) if candidates is not None else [None] * max(az_count, 0)
    # One NAT gateway and bastion per AZ: with a single AZ, one AZ outage takes the whole stack down.
    minimum = max(min_azs, 1)
    if count < minimum:
        problems.append(
            problem(
                field,
                value,
                f"gives {count} distinct availability zone(s); at least {minimum} are required "
                f"({label('min_azs')}) so the stack survives the loss of one AZ (one NAT gateway and bastion per AZ)",
                f"use {minimum} or more distinct AZs",
            )
        )
    return azs


def validate(
    vpc_cidr: str,
    availability_zones: Optional[Sequence[str]] = None,
    az_count: Optional[int] = None,
    available_zones: Optional[Sequence[str]] = None,
    min_azs: int = 2,
    public_subnet_cidrs: Optional[Sequence[str]] = None,
    private_subnet_cidrs: Optional[Sequence[str]] = None,
    subnet_prefix: int = 24,
    min_usable_addresses: int = 0,
    labels: Optional[Dict[str, str]] = None,
    instance_type: Optional[str] = None,
    offered_zones: Optional[Sequence[str]] = None,
) -> Dict[str, Any]:
    """Check the whole network input and plan subnets when none are given.

    Exactly one of availability_zones and az_count must be given.  Subnets are planned
    when both subnet lists are empty; if either is given, both are validated as given
    (and subnet_prefix is not used).

    offered_zones: the zones that offer instance_type (DescribeInstanceTypeOfferings), or None not to check it.
    With it, az_count takes the first available zones that offer the type (in the order of available_zones), and a
    zone of availability_zones that does not offer it is a problem naming the zones that do.

    Returns ``{"problems": [...], "warnings": [...], "vpc": {...} | None, "subnets": [...]}``;
    ``subnets`` is only filled when there are no problems.
    """
    if (availability_zones is None) == (az_count is None):
        raise ValueError("give exactly one of availability_zones and az_count")
    labels = labels or {}

    def label(option: str) -> str:
        return labels.get(option, option)

    problems: List[Dict[str, Any]] = []
    warnings: List[str] = []

    vpc = _parse(vpc_cidr, label("vpc_cidr"), "VPC", problems)
    vpc_info = None
    if vpc is not None:
        vpc_info = {
            "cidr": str(vpc),
            "prefix_length": vpc.prefixlen,
            "total_addresses": vpc.num_addresses,
            "rfc1918": is_rfc1918(vpc),
        }
        if not vpc_info["rfc1918"] and not any(vpc.overlaps(r) for r in UNUSABLE):
            # AWS accepts any range, but a publicly routable one shadows the real owners'
            # addresses for everything routed through this VPC.
            warnings.append(
                f"{label('vpc_cidr')}: {vpc_cidr} is outside the private RFC 1918 ranges (10.0.0.0/8, "
                "172.16.0.0/12, 192.168.0.0/16); hosts on the internet using those addresses become unreachable "
                "from this VPC. Use a private range unless this is deliberate."
            )

    azs = _resolve_azs(
        availability_zones, az_count, available_zones, min_azs, label, problems, instance_type, offered_zones
    )

    largest_usable = 2 ** (32 - MIN_PREFIX) - RESERVED_PER_SUBNET
    if min_usable_addresses > largest_usable:
        problems.append(
            problem(
                label("min_usable_addresses"),
                min_usable_addresses,
                f"is more than the {largest_usable} usable addresses of the largest subnet AWS allows (/{MIN_PREFIX})",
                f"lower it to {largest_usable} or less",
            )
        )

    public_subnet_cidrs = list(public_subnet_cidrs or [])
    private_subnet_cidrs = list(private_subnet_cidrs or [])
    if public_subnet_cidrs or private_subnet_cidrs:
        entries = _check_subnet_tier("public", public_subnet_cidrs, azs, vpc, min_usable_addresses, label, problems)
        entries += _check_subnet_tier("private", private_subnet_cidrs, azs, vpc, min_usable_addresses, label, problems)
        _check_overlaps(entries, problems)
        subnets = [entry for _item, _text, entry in entries]
    else:
        subnets = _check_plan(vpc, azs, subnet_prefix, min_usable_addresses, label, problems)

    return {"problems": problems, "warnings": warnings, "vpc": vpc_info, "subnets": [] if problems else subnets}


def _check_plan(vpc, azs, prefix, min_usable, label, problems) -> List[Dict[str, Any]]:
    field = label("subnet_prefix")
    if not MIN_PREFIX <= prefix <= MAX_PREFIX:
        problems.append(
            problem(
                field,
                prefix,
                f"is outside the /{MIN_PREFIX}../{MAX_PREFIX} AWS allows for subnets",
                f"use a prefix between {MIN_PREFIX} and {MAX_PREFIX}, e.g. 24",
            )
        )
        return []
    usable = 2 ** (32 - prefix) - RESERVED_PER_SUBNET
    if usable < min_usable:
        enough = prefix_for_usable(min_usable)
        problems.append(
            problem(
                field,
                prefix,
                f"gives {usable} usable addresses per subnet (AWS reserves {RESERVED_PER_SUBNET}), "
                f"{label('min_usable_addresses')} requires {min_usable}",
                f"set {field} to {enough} or less "
                f"(a /{enough} has {2 ** (32 - enough) - RESERVED_PER_SUBNET} usable addresses)",
            )
        )
    if vpc is None:
        return []
    needed = 2 * len(azs)
    available = 2 ** (prefix - vpc.prefixlen) if prefix >= vpc.prefixlen else 0
    if available < needed:
        bits = (needed - 1).bit_length()  # address bits that number `needed` blocks
        options = []
        if vpc.prefixlen + bits <= MAX_PREFIX:
            options.append(f"set {field} to {vpc.prefixlen + bits} or more (smaller subnets)")
        if MIN_PREFIX <= prefix - bits:
            options.append(f"use a /{prefix - bits} or larger {label('vpc_cidr')}")
        problems.append(
            problem(
                field,
                prefix,
                f"the VPC {vpc} holds {available} /{prefix} block(s) but {needed} are needed "
                "(one public and one private subnet per AZ)",
                " or ".join(options) or f"use fewer AZs or a /{MIN_PREFIX} {label('vpc_cidr')}",
            )
        )
        return []
    return plan_subnets(str(vpc), azs, prefix)


# Blocks being removed from a VPC no longer constrain a new one.
GONE_CIDR_STATES = ("disassociating", "disassociated", "failing", "failed")


def vpc_record(vpc: Dict[str, Any], region: str, tags: Dict[str, str]) -> Dict[str, Any]:
    """A DescribeVpcs entry in the shape find_conflicts() expects, live secondary blocks included."""
    cidrs = [
        a["CidrBlock"]
        for a in vpc.get("CidrBlockAssociationSet", [])
        if a.get("CidrBlockState", {}).get("State") not in GONE_CIDR_STATES
    ] or [vpc["CidrBlock"]]
    return {"vpc_id": vpc["VpcId"], "region": region, "cidrs": cidrs, "name": tags.get("Name"), "tags": tags}


def find_conflicts(
    vpc_cidr: str, existing_vpcs: Iterable[Dict[str, Any]], own_tags: Optional[Dict[str, str]] = None
) -> List[Dict[str, Any]]:
    """Existing VPCs with any associated CIDR overlapping vpc_cidr.

    existing_vpcs entries are ``{"vpc_id", "region", "cidrs", "name", "tags"}``.  A VPC
    carrying all of own_tags is this stack's own VPC (a rerun), never a conflict.
    Each returned entry adds ``conflicting_cidrs``.
    """
    network = ipaddress.ip_network(vpc_cidr, strict=False)
    own_tags = own_tags or {}
    conflicts = []
    for vpc in existing_vpcs:
        tags = vpc.get("tags") or {}
        if own_tags and all(tags.get(k) == v for k, v in own_tags.items()):
            continue
        overlapping = [c for c in vpc["cidrs"] if network.overlaps(ipaddress.ip_network(c, strict=False))]
        if overlapping:
            conflicts.append({**vpc, "conflicting_cidrs": overlapping})
    return conflicts


def suggest_free_cidr(prefix: int, taken: Iterable[str], prefer: Optional[str] = None) -> Optional[str]:
    """First /prefix block in the RFC 1918 ranges overlapping none of taken (prefer's range first)."""
    taken_networks = [ipaddress.ip_network(t, strict=False) for t in taken]
    pools = list(RFC1918)
    if prefer is not None:
        preferred = ipaddress.ip_network(prefer, strict=False)
        pools.sort(key=lambda pool: not preferred.subnet_of(pool))
    for pool in pools:
        if prefix < pool.prefixlen:
            continue
        address = int(pool.network_address)
        end = int(pool.broadcast_address)
        size = 2 ** (32 - prefix)
        while address + size - 1 <= end:
            candidate = ipaddress.ip_network((address, prefix))
            blocking = [t for t in taken_networks if t.overlaps(candidate)]
            if not blocking:
                return str(candidate)
            # Jump past the last blocking network, then round up to the next /prefix boundary.
            after = max(int(t.broadcast_address) for t in blocking) + 1
            address = -(-after // size) * size
    return None


def conflict_problems(
    vpc_cidr: str,
    conflicts: Sequence[Dict[str, Any]],
    existing_vpcs: Sequence[Dict[str, Any]],
    labels: Optional[Dict[str, str]] = None,
) -> List[Dict[str, Any]]:
    """One problem per conflicting VPC, suggesting a block free in every VPC that was read."""
    labels = labels or {}
    field = labels.get("vpc_cidr", "vpc_cidr")
    own_field = labels.get("own_vpc_tags", "own_vpc_tags")
    network = ipaddress.ip_network(vpc_cidr, strict=False)
    free = suggest_free_cidr(network.prefixlen, [c for v in existing_vpcs for c in v["cidrs"]], prefer=vpc_cidr)
    alternative = (
        f"a block that overlaps no existing VPC, e.g. {free}" if free else "a block that overlaps no existing VPC"
    )
    records = []
    for c in conflicts:
        name = f" (Name: {c['name']})" if c.get("name") else ""
        records.append(
            problem(
                field,
                vpc_cidr,
                f"overlaps {', '.join(c['conflicting_cidrs'])} of existing VPC {c['vpc_id']}{name} in {c['region']}; "
                "overlapping VPCs cannot be peered or routed to each other (peering, Transit Gateway, VPN)",
                f"use {alternative}; if {c['vpc_id']} is this stack's own VPC, make sure it carries all the "
                f"tags in {own_field}",
            )
        )
    return records


def region_problems(regions: Optional[Sequence[str]], labels: Optional[Dict[str, str]] = None) -> List[Dict[str, Any]]:
    """conflict_regions entries that are not AWS region names (read before any call in those regions)."""
    field = (labels or {}).get("conflict_regions", "conflict_regions")
    problems: List[Dict[str, Any]] = []
    for index, region in enumerate(regions or []):
        problems += s3_replication.region_problems(f"{field}[{index}]", region)
    return problems


# Ranges whose addresses no internet host has (RFC 1918, RFC 4193): a rule from them does not reach the internet.
PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
# More public addresses than these together let in what is the internet in all but name (a /8 holds 1/256 of IPv4;
# a /32 of IPv6 is a whole ISP's allocation), however the list splits them (0.0.0.0/1 and 128.0.0.0/1, say).
MAX_PUBLIC_PREFIX = {4: 8, 6: 32}


def public_addresses(networks: Iterable[Any]) -> Dict[int, int]:
    """{IP version: how many public (non RFC 1918 / RFC 4193) addresses the networks hold together}, overlaps once."""
    by_version: Dict[int, List[Any]] = {4: [], 6: []}
    for network in networks:
        by_version[network.version].append(network)
    counts = {}
    for version, nets in by_version.items():
        total = 0
        for net in ipaddress.collapse_addresses(nets):
            private = sum(
                min(net.num_addresses, block.num_addresses)
                for block in PRIVATE_RANGES
                if block.version == version and (net.subnet_of(block) or block.subnet_of(net))
            )
            total += net.num_addresses - private
        counts[version] = total
    return counts


def world_like(networks: Iterable[Any]) -> List[Tuple[int, int]]:
    """(IP version, public addresses) where the networks together let in more than MAX_PUBLIC_PREFIX allows."""
    return [
        (version, count)
        for version, count in public_addresses(networks).items()
        if count > 2 ** ((32 if version == 4 else 128) - MAX_PUBLIC_PREFIX[version])
    ]


def describe_span(version: int, count: int) -> str:
    """'2,147,483,648 public addresses (50% of the IPv4 internet)'; IPv6 counts as a power of two."""
    amount = f"{count:,}" if version == 4 else f"about 2^{count.bit_length() - 1}"
    share = count / 2 ** (32 if version == 4 else 128)
    return f"{amount} public addresses" + (f" ({share:.0%} of the IPv{version} internet)" if share >= 0.005 else "")


def ingress_cidr_problems(field: str, cidrs: Any, allow_world: bool = False,
                          override_name: str = "the override") -> List[Dict[str, Any]]:
    """Problems with a list of source CIDRs for an inbound rule (IPv4 or IPv6).

    A /0 source opens the port to the whole internet (the design's 'SSH from 0.0.0.0/0' finding), and so do
    sources that together hold more public addresses than a /8 of IPv4 (a /32 of IPv6), such as 0.0.0.0/1 and
    128.0.0.0/1; both are refused unless the caller set an explicit override, named in the fix.
    """
    problems: List[Dict[str, Any]] = []
    if not isinstance(cidrs, (list, tuple)) or not cidrs:
        return [problem(field, cidrs, "must be a non-empty list of CIDR blocks",
                        "list the networks allowed in, e.g. ['203.0.113.0/24']")]
    networks = []
    for index, text in enumerate(cidrs):
        name = f"{field}[{index}]"
        try:
            network = ipaddress.ip_network(str(text).strip(), strict=True)
        except ValueError as exc:
            fix = "write it as address/prefix, e.g. 203.0.113.0/24"
            if "has host bits set" in str(exc):
                fix = f"use the network address: {ipaddress.ip_network(str(text).strip(), strict=False)}"
            problems.append(problem(name, text, f"is not a valid CIDR block ({exc})", fix))
            continue
        if network.prefixlen == 0 and not allow_world:
            problems.append(problem(
                name, text, "opens the port to the whole internet",
                f"list only the networks that need access, or set {override_name}=true if you really mean it"))
        networks.append(network)
    if allow_world:
        return problems
    for version, count in world_like(n for n in networks if n.prefixlen > 0):
        problems.append(problem(
            field, [str(n) for n in networks if n.version == version],
            f"{'together ' if len([n for n in networks if n.version == version]) > 1 else ''}open the port to "
            f"{describe_span(version, count)}, more than a /{MAX_PUBLIC_PREFIX[version]}: the internet in all but name",
            f"list only the networks that need access, or set {override_name}=true if you really mean it"))
    return problems
