# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure rendering of the stack diagram: an audit snapshot and its findings in, one HTML page out.

No AWS calls here. The input is the ``snapshot`` nova.infra.stack_audit returns (its shape is
``audit.empty_snapshot()``) and that module's ``findings``; the page is self-contained (inline CSS,
inline SVG, no scripts, fonts or images from elsewhere) so it opens offline and can be archived with
the reports. The output depends only on the input: lists are sorted by AWS id and nothing reads the
clock, so the same stack gives the same bytes and the module can report ``changed`` honestly.

Every drawn resource is an SVG ``<g>`` with a unique ``id`` and ``data-kind``/``data-id`` (plus
``data-az``, ``data-type``, ``data-region`` where they apply), and ``data-findings`` listing the
numbers of the findings marked on it; the numbers are those of the legend table under the picture.
"""

import html
import ipaddress
import re
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence

from ansible_collections.nova.infra.plugins.module_utils.audit import RESERVED_PER_SUBNET
from ansible_collections.nova.infra.plugins.module_utils.audit import SEVERITIES
from ansible_collections.nova.infra.plugins.module_utils.audit import empty_snapshot

SEVERITY_COLOURS = {
    "critical": "#b00020",
    "high": "#d9480f",
    "medium": "#b08800",
    "low": "#1971c2",
    "info": "#6c757d",
}
# The lists the diagram draws from; a snapshot without them is not a stack_audit snapshot.
REQUIRED_KEYS = ("region", "name_prefix", "vpc", "subnets", "nat_gateways", "route_tables", "buckets")
FINDING_KEYS = ("id", "severity", "resource")

# Geometry (px). The SVG uses a monospace font, so text width is predictable: CHAR_W per character.
FONT = 11
CHAR_W = 6.7
LINE = 15
MARGIN = 20
PAD = 12
AZ_W = 400
AZ_GAP = 24
ROW_GAP = 54
SUBNET_W = AZ_W - 2 * PAD
NAT_W = 160
NAT_H = 4 * LINE + 10
# The left column of a subnet (its text, then its instances); NAT gateways take the right column.
LEFT_W = SUBNET_W - NAT_W - 3 * 8
INSTANCE_W = LEFT_W
INSTANCE_H = 4 * LINE + 10
IGW_W = 250
IGW_H = 2 * LINE + 14
SG_GAP = 12
BUCKET_W = 360
BUCKET_H = 4 * LINE + 10
REGION_GAP = 40

ROWS = ("public", "private", "other")
CONTAINERS = ("region", "vpc", "az", "subnet", "asg", "label")
# Box fills by element class; text halos use the same colour.
FILLS = {
    "region": "#f6f8fa",
    "vpc": "#eef6ee",
    "vpc missing": "#fff5f5",
    "az": "#eef6ee",
    "label": "#eef6ee",
    "subnet public": "#e7f5ff",
    "subnet private": "#f3f0ff",
    "subnet other": "#fff9db",
    "asg": "#e7f5ff",
    "nat": "#fff4e6",
    "igw": "#ebfbee",
    "instance": "#ffffff",
    "sg": "#ffffff",
    "endpoint": "#e3fafc",
    "bucket": "#ffffff",
}
ROW_TITLES = {"public": "public", "private": "private", "other": "untyped"}


def esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def fit(text: Any, width: float) -> str:
    """The text cut to what fits in width px (with an ellipsis), so labels stay inside their boxes."""
    text = "" if text is None else str(text)
    room = max(int(width // CHAR_W), 1)
    return text if len(text) <= room else text[: max(room - 1, 0)] + "\u2026"


def wrap(text: str, width: float, limit: int = 2) -> List[str]:
    """The text on up to limit lines of width px, broken after a '-' or ' ' where possible (ids, Name tags)."""
    room = max(int(width // CHAR_W), 1)
    lines = []
    while len(text) > room and len(lines) < limit - 1:
        cut = max(text.rfind("-", 0, room), text.rfind(" ", 0, room))
        cut = cut + 1 if cut > room // 3 else room
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return lines + [text]


def validate(snapshot: Any, findings: Any) -> List[str]:
    """Problems with the input, each naming the option, the bad value and the fix."""
    problems = []
    if not isinstance(snapshot, dict):
        problems.append(
            f"snapshot: got a {type(snapshot).__name__}, not a dict. Fix: pass the snapshot nova.infra.stack_audit "
            "returns (register the audit and pass <registered>.snapshot)."
        )
    else:
        missing = [k for k in REQUIRED_KEYS if k not in snapshot]
        if missing:
            got = ", ".join(sorted(map(str, snapshot))) or "none"
            problems.append(
                f"snapshot: keys {', '.join(missing)} are missing (got {got}). "
                "Fix: pass the snapshot nova.infra.stack_audit returns (<registered>.snapshot), not the whole result "
                "or a hand-made dict."
            )
    for index, finding in enumerate(findings or []):
        if not isinstance(finding, dict) or any(k not in finding for k in FINDING_KEYS):
            problems.append(
                f"findings[{index}]: {str(finding)[:80]!r} lacks {', '.join(FINDING_KEYS)}. Fix: pass the findings "
                "list nova.infra.stack_audit returns (<registered>.findings)."
            )
        elif finding["severity"] not in SEVERITIES:
            problems.append(
                f"findings[{index}]: severity {finding['severity']!r} is not one of {', '.join(SEVERITIES)}. "
                "Fix: pass the findings list nova.infra.stack_audit returns."
            )
    return problems


# ---------------------------------------------------------------- reading the snapshot


def _name(item: Dict[str, Any]) -> Optional[str]:
    return (item.get("tags") or {}).get("Name")


def _free_ips(subnet: Dict[str, Any]) -> str:
    try:
        usable = max(ipaddress.ip_network(subnet["cidr"], strict=False).num_addresses - RESERVED_PER_SUBNET, 0)
    except (KeyError, TypeError, ValueError):
        return f"{subnet.get('available_ips')} free"
    free = subnet.get("available_ips")
    if free is None or not usable:
        return f"{free} free"
    return f"{free}/{usable} free ({100.0 * free / usable:.0f}%)"


def _row(subnet: Dict[str, Any]) -> str:
    kind = (subnet.get("type") or "").lower()
    return kind if kind in ("public", "private") else "other"


def _route_table_of(snapshot: Dict[str, Any], subnet_id: str) -> Optional[Dict[str, Any]]:
    main = None
    for table in sorted(snapshot["route_tables"], key=lambda t: t["id"]):
        if subnet_id in table.get("subnet_ids", []):
            return table
        if table.get("main"):
            main = table
    return main


def _route_text(route: Dict[str, Any]) -> str:
    target = route.get("target") or "?"
    suffix = " BLACKHOLE" if route.get("state") == "blackhole" else ""
    return f"{route.get('destination')} \u2192 {target}{suffix}"


def _outside_routes(table: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Routes that leave the VPC (the local route is implied by the VPC box)."""
    if table is None:
        return []
    return [r for r in table.get("routes", []) if r.get("target") != "local"]


def _rule_lines(group: Dict[str, Any]) -> List[str]:
    """One line per ingress source, e.g. 'in tcp/22 from 203.0.113.0/24'."""
    lines = []
    for perm in group.get("ingress") or []:
        protocol = str(perm.get("IpProtocol"))
        if protocol == "-1":
            what = "all traffic"
        else:
            low, high = perm.get("FromPort"), perm.get("ToPort")
            what = f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}"
        sources = (
            [r.get("CidrIp") for r in perm.get("IpRanges", [])]
            + [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges", [])]
            + [r.get("GroupId") for r in perm.get("UserIdGroupPairs", [])]
            + [r.get("PrefixListId") for r in perm.get("PrefixListIds", [])]
        )
        lines.extend(f"in {what} from {source}" for source in sources or ["(no source)"])
    egress = len(group.get("egress") or [])
    lines.append(f"egress: {egress} rule(s)" if egress else "egress: none")
    return lines


# ---------------------------------------------------------------- findings


class Findings:
    """Numbers the findings (1..n, in the order given) and matches each to the elements it concerns.

    A finding's ``resource`` is a label such as ``sg-0abc (nova-production-bastion-sg)``,
    ``instance i-0abc (nova-production-bastion)``, ``AZ us-west-2a`` or a bucket name. Its words are
    compared with each element's ids first; only when no id matches are Name tags used, because a Name
    tag can be shared (every bastion instance is called <prefix>-bastion).
    """

    def __init__(self, findings: Sequence[Dict[str, Any]]):
        self.items = [dict(f, number=n) for n, f in enumerate(findings or [], start=1)]
        self.ids: Dict[str, List[str]] = {}
        self.names: Dict[str, List[str]] = {}
        self.placed: Dict[int, List[str]] = {}

    def register(self, dom_id: str, ids: Sequence[Optional[str]], names: Sequence[Optional[str]] = ()):
        for key in ids:
            if key:
                self.ids.setdefault(key, []).append(dom_id)
        for key in names:
            if key:
                self.names.setdefault(key, []).append(dom_id)

    def resolve(self) -> Dict[str, List[Dict[str, Any]]]:
        """{dom id: [findings]} and, per finding number, the dom ids it is drawn on."""
        marks: Dict[str, List[Dict[str, Any]]] = {}
        for finding in self.items:
            words = [w for w in re.split(r"[\s,()]+", str(finding["resource"])) if w]
            targets = [d for w in words for d in self.ids.get(w, [])]
            if not targets:
                targets = [d for w in words for d in self.names.get(w, [])]
            targets = list(dict.fromkeys(targets))
            self.placed[finding["number"]] = targets
            for dom_id in targets:
                marks.setdefault(dom_id, []).append(finding)
        return marks


# ---------------------------------------------------------------- scene: shapes with positions


class Scene:
    """Boxes, texts and arrows with absolute positions; rendered to SVG at the end."""

    def __init__(self):
        self.elements: List[Dict[str, Any]] = []
        self.arrows: List[Dict[str, Any]] = []
        self.boxes: Dict[str, Dict[str, float]] = {}

    def element(self, dom_id, kind, data_id, box, lines, css, attrs=None, dashed=False, text_width=None):
        """A resource: its rectangle (x, y, w, h), text lines [(text, css class)] and data attributes.

        text_width: room for the text when something is drawn beside it (a NAT gateway in a subnet).
        """
        self.boxes[dom_id] = dict(zip(("x", "y", "w", "h"), box))
        self.elements.append(
            dict(
                dom_id=dom_id,
                kind=kind,
                data_id=data_id,
                box=box,
                lines=lines,
                css=css,
                attrs=attrs or {},
                dashed=dashed,
                text_width=text_width or box[2] - 16,
            )
        )

    def arrow(self, points, css, label=None, kind="route", data=None):
        self.arrows.append(dict(points=points, css=css, label=label, kind=kind, data=data or {}))


def _badge(box, marks):
    worst = min(marks, key=lambda f: SEVERITIES.index(f["severity"]))
    numbers = [str(f["number"]) for f in marks]
    text = ",".join(numbers) if len(numbers) <= 3 else ",".join(numbers[:2]) + f",+{len(numbers) - 2}"
    width = max(22, len(text) * CHAR_W + 12)
    x = box[0] + box[2] - width + 6
    y = box[1] - 9
    # An inline style, as the stylesheet's rect fill would win over a fill attribute.
    return (
        f'<g class="badge" data-kind="finding-badge" data-findings="{esc(" ".join(numbers))}" '
        f'data-severity="{esc(worst["severity"])}"><rect x="{x:.0f}" y="{y:.0f}" width="{width:.0f}" height="18" '
        f'rx="9" style="fill:{SEVERITY_COLOURS[worst["severity"]]};stroke:#fff"/>'
        f'<text x="{x + width / 2:.0f}" y="{y + 13:.0f}" class="badge-text">{esc(text)}</text></g>'
    )


def _svg_shape(el, marks):
    """The element's group: rectangle, tooltip and data attributes (its text is drawn in a later layer)."""
    x, y, w, h = el["box"]
    attrs = {"id": el["dom_id"], "class": f"el {el['css']}", "data-kind": el["kind"], "data-id": el["data_id"]}
    attrs.update(el["attrs"])
    mine = marks.get(el["dom_id"], [])
    title = "\n".join(t for t, _unused in el["lines"] if t)
    stroke = ""
    if mine:
        attrs["data-findings"] = " ".join(str(f["number"]) for f in mine)
        attrs["data-severity"] = min((f["severity"] for f in mine), key=SEVERITIES.index)
        title += "\n" + "\n".join(f"[{f['number']}] {f['id']} {f['severity']}: {f.get('detail', '')}" for f in mine)
        stroke = f' style="stroke:{SEVERITY_COLOURS[attrs["data-severity"]]};stroke-width:3"'
    head = "<g " + " ".join(f'{k}="{esc(v)}"' for k, v in attrs.items()) + ">"
    dash = ' stroke-dasharray="6 4"' if el["dashed"] else ""
    return (
        f"{head}<title>{esc(title)}</title>"
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="6"{dash}{stroke}/></g>'
    )


def _svg_text(el):
    """The element's text, with a halo of its own fill colour so arrows under it do not strike it through."""
    x, y = el["box"][0] + 8, el["box"][1] + 3
    halo = FILLS.get(el["css"], "#ffffff")
    out = [f'<g class="text" data-for="{esc(el["dom_id"])}" style="stroke:{halo}">']
    for n, (text, css) in enumerate(el["lines"]):
        if text:
            out.append(
                f'<text x="{x:.0f}" y="{y + LINE * (n + 1) - 3:.0f}" class="{css}">'
                f"{esc(fit(text, el['text_width']))}</text>"
            )
    out.append("</g>")
    return "".join(out)


def _svg_arrow(arrow):
    points = " ".join(f"{px:.0f},{py:.0f}" for px, py in arrow["points"])
    data = "".join(f' data-{k}="{esc(v)}"' for k, v in arrow["data"].items())
    out = [
        f'<g class="arrow {arrow["css"]}" data-kind="{esc(arrow["kind"])}"{data}>',
        f'<polyline points="{points}" marker-end="url(#head-{arrow["css"]})"/>',
    ]
    if arrow["label"]:
        (x1, y1), (x2, y2) = arrow["points"][-2], arrow["points"][-1]
        if x1 == x2:
            lx, ly, anchor = x1 + 5, (y1 + y2) / 2 + 4, "start"
        else:
            lx, ly, anchor = (x1 + x2) / 2, min(y1, y2) - 5, "middle"
        (sx, sy), (nx, ny) = arrow["points"][0], arrow["points"][1]
        if len(arrow["points"]) > 2 and sx == nx:
            lx, ly, anchor = sx + 5, (sy + ny) / 2 + 4, "start"
        out.append(
            f'<text x="{lx:.0f}" y="{ly:.0f}" class="arrow-label" text-anchor="{anchor}">{esc(arrow["label"])}</text>'
        )
    out.append("</g>")
    return "".join(out)


# ---------------------------------------------------------------- layout


def _subnet_header(subnet, table, width):
    """The subnet's text lines; long names and routes wrap so the ids stay whole."""
    lines = [(f"{ROW_TITLES[_row(subnet)]} subnet", "title")]
    lines += [(part, "text") for part in wrap(_name(subnet) or "", width)]
    lines += [(subnet["id"], "id"), (subnet.get("cidr"), "text"), (_free_ips(subnet), "text")]
    if table is not None:
        lines.append((f"{table['id']}{' (main)' if table.get('main') else ''}", "muted"))
    for route in _outside_routes(table):
        lines += [(part, "route-text") for part in wrap(_route_text(route), width)]
    return lines


def _subnet_text_width(subnet, nats_by_subnet):
    return LEFT_W - 16 if nats_by_subnet.get(subnet["id"]) else SUBNET_W - 16


class _Layout:
    """What the placement steps of build_scene share: the indexed snapshot, the measured geometry, the boxes placed
    so far. Each step takes what it reads (``take``) and keeps what later steps read (``keep``)."""

    def take(self, names):
        """The values kept under the space-separated ``names``, in their order."""
        return tuple(getattr(self, name) for name in names.split())

    def keep(self, **values):
        self.__dict__.update(values)


def _index(lay, snapshot, findings):
    """Index the snapshot: subnets in AZ and row order, NAT gateways and instances by subnet, route tables."""
    snap = {**empty_snapshot(), **snapshot}
    scene, reg = Scene(), Findings(findings)
    region = snap["region"]
    prefix = snap["name_prefix"]

    subnets = sorted(snap["subnets"], key=lambda s: (s.get("az") or "", ROWS.index(_row(s)), s["id"]))
    azs = sorted({s.get("az") or "?" for s in subnets})
    nats_by_subnet: Dict[str, List[Dict[str, Any]]] = {}
    for nat in sorted(snap["nat_gateways"], key=lambda n: n["id"]):
        nats_by_subnet.setdefault(nat.get("subnet_id"), []).append(nat)
    instances_by_subnet: Dict[str, List[Dict[str, Any]]] = {}
    for instance in sorted(snap["instances"], key=lambda i: i["id"]):
        instances_by_subnet.setdefault(instance.get("subnet_id"), []).append(instance)
    eips = {e["allocation_id"]: e for e in snap["eips"]}
    asg = snap["asg"]
    asg_subnets = set(asg["subnet_ids"]) if asg else set()
    tables = {s["id"]: _route_table_of(snap, s["id"]) for s in subnets}
    lay.keep(
        asg=asg, asg_subnets=asg_subnets, azs=azs, eips=eips, instances_by_subnet=instances_by_subnet,
        nats_by_subnet=nats_by_subnet, prefix=prefix, reg=reg, region=region, scene=scene, snap=snap,
        subnets=subnets, tables=tables
    )


def _measure(lay):
    """Measure before placing: row heights (a subnet's header, NAT gateways beside instances), the AZ columns, the
    security-group grid under them and so the VPC's size."""
    asg_subnets, azs, instances_by_subnet, nats_by_subnet, snap, subnets, tables = lay.take(
        "asg_subnets azs instances_by_subnet nats_by_subnet snap subnets tables"
    )
    rows = [r for r in ROWS if any(_row(s) == r for s in subnets)]
    vpc = snap["vpc"]
    n_az = max(len(azs), 1)
    vpc_w = n_az * AZ_W + (n_az - 1) * AZ_GAP + 2 * PAD

    region_x, region_y = MARGIN, MARGIN
    igw_y = region_y + 36
    vpc_x, vpc_y = region_x + PAD + 8, igw_y + IGW_H // 2
    az_y = vpc_y + 3 * LINE + 26

    # Row heights: a subnet's header, then NAT gateways (right column) beside its instances (left column).
    header_h = {r: 0 for r in rows}
    for s in subnets:
        lines = _subnet_header(s, tables[s["id"]], _subnet_text_width(s, nats_by_subnet))
        header_h[_row(s)] = max(header_h[_row(s)], len(lines) * LINE + 10)
    stack_h: Dict[str, float] = {}
    for s in subnets:
        nats = len(nats_by_subnet.get(s["id"], []))
        slots = len(instances_by_subnet.get(s["id"], [])) or (1 if s["id"] in asg_subnets else 0)
        body = max(nats * (NAT_H + 8), header_h[_row(s)] + slots * (INSTANCE_H + 8) + (LINE if slots else 0))
        stack_h[s["id"]] = max(body, header_h[_row(s)]) + 8
    per_cell: Dict[tuple, List[Dict[str, Any]]] = {}
    for s in subnets:
        per_cell.setdefault((s.get("az") or "?", _row(s)), []).append(s)
    row_h = {
        r: max(sum(stack_h[s["id"]] + 8 for s in cell) for (az, rr), cell in per_cell.items() if rr == r) for r in rows
    }

    y = az_y + 2 * LINE + 8
    row_y = {}
    for r in rows:
        row_y[r] = y
        y += row_h[r] + ROW_GAP
    az_h = (y - ROW_GAP + PAD) - az_y if rows else 3 * LINE

    # Security groups, then VPC endpoints: cards in a grid under the AZs, inside the VPC.
    groups = sorted(snap["security_groups"], key=lambda g: (g.get("is_default", False), g.get("name") or "", g["id"]))
    endpoints = _endpoints(snap)
    cards = len(groups) + len(endpoints)
    sg_cols = max(min(cards, 3), 1)
    sg_w = (vpc_w - 2 * PAD - (sg_cols - 1) * SG_GAP) / sg_cols
    sg_top = az_y + az_h + 2 * LINE + 4
    sg_cards = []
    for n, group in enumerate(groups):
        lines = [(f"SG {group.get('name')}", "title"), (group["id"], "id")]
        lines += [(text, "rule") for text in _rule_lines(group)]
        sg_cards.append((n, group, lines))
    for n, endpoint in enumerate(endpoints, start=len(groups)):
        sg_cards.append((n, endpoint, _endpoint_lines(endpoint, sg_w - 16)))
    sg_row_h = {}
    for n, _unused, lines in sg_cards:
        sg_row_h[n // sg_cols] = max(sg_row_h.get(n // sg_cols, 0), len(lines) * LINE + 10)
    sg_rows_y, yy = {}, sg_top
    for row_n in sorted(sg_row_h):
        sg_rows_y[row_n] = yy
        yy += sg_row_h[row_n] + SG_GAP
    vpc_h = (yy - vpc_y + PAD) if cards else (az_y + az_h + PAD - vpc_y)
    if vpc is None:
        vpc_h = 3 * LINE + 20
    lay.keep(
        az_h=az_h, az_y=az_y, groups=groups, header_h=header_h, igw_y=igw_y, per_cell=per_cell, region_x=region_x,
        region_y=region_y, row_y=row_y, rows=rows, sg_cards=sg_cards, sg_cols=sg_cols, sg_row_h=sg_row_h,
        sg_rows_y=sg_rows_y, sg_top=sg_top, sg_w=sg_w, stack_h=stack_h, vpc=vpc, vpc_h=vpc_h, vpc_w=vpc_w,
        vpc_x=vpc_x, vpc_y=vpc_y
    )


def _place_vpc(lay):
    """The VPC box with its flow logs (a dashed "missing" box when there is no VPC)."""
    prefix, reg, region, scene, snap, vpc, vpc_h, vpc_w, vpc_x, vpc_y = lay.take(
        "prefix reg region scene snap vpc vpc_h vpc_w vpc_x vpc_y"
    )
    if vpc is not None:
        flow = sorted(snap["flow_logs"], key=lambda f: f["id"])
        flow_text = (
            "; ".join(f"{f['id']} {f.get('status')} {f.get('traffic_type')}" for f in flow) if flow else "no flow log"
        )
        dom = f"vpc-box-{vpc['id']}"
        scene.element(
            dom,
            "vpc",
            vpc["id"],
            (vpc_x, vpc_y, vpc_w, vpc_h),
            [
                (f"VPC {_name(vpc) or ''}".rstrip(), "title"),
                (f"{vpc['id']}  {vpc.get('cidr')}", "id"),
                (f"flow log {flow_text}", "muted"),
            ],
            "vpc",
            {"data-region": region, "data-cidr": vpc.get("cidr") or ""},
            text_width=(vpc_w - IGW_W) / 2 - 24,
        )
        reg.register(dom, [vpc["id"]] + snap.get("duplicate_vpcs", []), [_name(vpc)])
        for f in flow:
            reg.register(dom, [f["id"]])
    else:
        dom = "vpc-missing"
        scene.element(
            dom,
            "vpc",
            f"{prefix}-vpc",
            (vpc_x, vpc_y, vpc_w, vpc_h),
            [(f"no VPC tagged Name={prefix}-vpc in {region}", "title")],
            "vpc missing",
            {"data-region": region},
            dashed=True,
        )
        reg.register(dom, [f"{prefix}-vpc"])


def _place_internet_gateways(lay):
    """The internet gateways, centred on the VPC's top edge."""
    igw_y, reg, scene, snap, vpc_w, vpc_x = lay.take(
        "igw_y reg scene snap vpc_w vpc_x"
    )
    igws = sorted(snap["internet_gateways"], key=lambda g: g["id"])
    igw_total = len(igws) * IGW_W + (len(igws) - 1) * AZ_GAP
    igw_boxes = {}
    for n, igw in enumerate(igws):
        x = vpc_x + (vpc_w - igw_total) / 2 + n * (IGW_W + AZ_GAP)
        dom = f"igw-{igw['id']}"
        state = "attached" if igw.get("attached") else "NOT attached"
        scene.element(
            dom,
            "igw",
            igw["id"],
            (x, igw_y, IGW_W, IGW_H),
            [(f"Internet gateway ({state})", "title"), (igw["id"], "id")],
            "igw",
        )
        reg.register(dom, [igw["id"]], [_name(igw)])
        igw_boxes[igw["id"]] = scene.boxes[dom]
    lay.keep(igw_boxes=igw_boxes)


def _endpoints(snap):
    """The VPC's endpoints that are not deleted, gateway endpoints first."""
    live = [e for e in snap.get("vpc_endpoints") or [] if str(e.get("state", "")).lower() not in ("deleted", "deleting")]
    return sorted(live, key=lambda e: (e.get("type") != "gateway", e.get("service") or "", e["id"]))


def _endpoint_lines(endpoint, width):
    """An endpoint card: its service, ID, where it is (route tables or subnets) and state."""
    short = str(endpoint.get("service") or "?").rsplit(".", maxsplit=1)[-1]
    lines = [(f"{short} {endpoint.get('type')} endpoint", "title"), (endpoint["id"], "id")]
    if endpoint.get("type") == "gateway":
        where = "route tables " + (", ".join(endpoint.get("route_table_ids") or []) or "none")
    else:
        where = "subnets " + (", ".join(endpoint.get("subnet_ids") or []) or "none")
        where += "; private DNS " + ("on" if endpoint.get("private_dns") else "OFF")
    lines += [(part, "rule") for part in wrap(where, width, limit=4)]
    lines.append((endpoint.get("state") or "?", "muted"))
    return lines


def _place_security_groups(lay):
    """The security groups and VPC endpoints: cards in a grid under the AZs, inside the VPC."""
    groups, reg, scene, sg_cards, sg_cols, sg_row_h, sg_rows_y, sg_top, sg_w, vpc_w, vpc_x = lay.take(
        "groups reg scene sg_cards sg_cols sg_row_h sg_rows_y sg_top sg_w vpc_w vpc_x"
    )
    if sg_cards:
        with_endpoints = len(sg_cards) > len(groups)
        scene.element(
            "security-groups-label",
            "label",
            "security-groups",
            (vpc_x + PAD, sg_top - 2 * LINE, vpc_w - 2 * PAD, LINE + 6),
            [("Security groups (ingress rules)" + (" and VPC endpoints" if with_endpoints else ""), "title")],
            "label",
        )
    for n, group, lines in sg_cards:
        x = vpc_x + PAD + (n % sg_cols) * (sg_w + SG_GAP)
        if "service" in group:
            dom = f"vpce-{group['id']}"
            scene.element(
                dom,
                "endpoint",
                group["id"],
                (x, sg_rows_y[n // sg_cols], sg_w, sg_row_h[n // sg_cols]),
                lines,
                "endpoint",
                {"data-service": group.get("service") or "", "data-type": group.get("type") or ""},
            )
            reg.register(dom, [group["id"]], [_name(group)])
            continue
        dom = f"sg-{group['id']}"
        scene.element(
            dom,
            "sg",
            group["id"],
            (x, sg_rows_y[n // sg_cols], sg_w, sg_row_h[n // sg_cols]),
            lines,
            "sg",
            {"data-name": group.get("name") or ""},
        )
        reg.register(dom, [group["id"]], [group.get("name"), _name(group)])


def _place_subnets(lay):
    """The AZ columns, each subnet in its row with its NAT gateways (right) and instances (left)."""
    (
        asg, asg_subnets, az_h, az_y, azs, eips, header_h, instances_by_subnet, nats_by_subnet, per_cell, reg,
        row_y, scene, stack_h, tables, vpc_x
    ) = lay.take(
        "asg asg_subnets az_h az_y azs eips header_h instances_by_subnet nats_by_subnet per_cell reg row_y scene "
        "stack_h tables vpc_x"
    )
    az_x = {az: vpc_x + PAD + n * (AZ_W + AZ_GAP) for n, az in enumerate(azs)}
    for az in azs:
        dom = f"az-{az}"
        scene.element(
            dom, "az", az, (az_x[az], az_y, AZ_W, az_h), [(f"Availability Zone {az}", "title")], "az", {"data-az": az}
        )
        reg.register(dom, [az])

    nat_boxes, subnet_boxes, instance_boxes = {}, {}, {}
    for (az, r), cell in sorted(per_cell.items(), key=lambda kv: (kv[0][0], ROWS.index(kv[0][1]))):
        y = row_y[r]
        for subnet in cell:
            sx, sy = az_x[az] + PAD, y
            height = stack_h[subnet["id"]]
            table = tables[subnet["id"]]
            dom = f"subnet-box-{subnet['id']}"
            scene.element(
                dom,
                "subnet",
                subnet["id"],
                (sx, sy, SUBNET_W, height),
                _subnet_header(subnet, table, _subnet_text_width(subnet, nats_by_subnet)),
                f"subnet {r}",
                {"data-az": az, "data-type": r, "data-cidr": subnet.get("cidr") or ""},
                text_width=_subnet_text_width(subnet, nats_by_subnet),
            )
            reg.register(dom, [subnet["id"]], [_name(subnet)])
            subnet_boxes[subnet["id"]] = scene.boxes[dom]
            if table is not None:
                reg.register(dom, [table["id"]], [_name(table)])
            for n, nat in enumerate(nats_by_subnet.get(subnet["id"], [])):
                nx, ny = sx + SUBNET_W - NAT_W - 8, sy + 8 + n * (NAT_H + 8)
                addresses = [eips.get(a, {"allocation_id": a}) for a in nat.get("allocation_ids", [])]
                eip_text = ", ".join(e.get("public_ip") or e["allocation_id"] for e in addresses) or "no EIP"
                ndom = f"nat-{nat['id']}"
                scene.element(
                    ndom,
                    "nat",
                    nat["id"],
                    (nx, ny, NAT_W, NAT_H),
                    [
                        ("NAT gateway", "title"),
                        (nat["id"], "id"),
                        (f"EIP {eip_text}", "text"),
                        (nat.get("state"), "muted"),
                    ],
                    "nat",
                    {"data-az": az, "data-subnet": subnet["id"], "data-eip": eip_text},
                )
                reg.register(
                    ndom,
                    [nat["id"]] + [a for e in addresses for a in (e["allocation_id"], e.get("public_ip"))],
                    [_name(nat)],
                )
                nat_boxes[nat["id"]] = scene.boxes[ndom]
            instances = instances_by_subnet.get(subnet["id"], [])
            ix = sx + 8
            iy = sy + header_h[r] + (LINE if subnet["id"] in asg_subnets else 0)
            for n, instance in enumerate(instances):
                idom = f"instance-{instance['id']}"
                role = "bastion" if asg and any(i["id"] == instance["id"] for i in asg["instances"]) else "instance"
                scene.element(
                    idom,
                    "instance" if role == "instance" else "bastion",
                    instance["id"],
                    (ix, iy + n * (INSTANCE_H + 8), INSTANCE_W, INSTANCE_H),
                    [
                        (role, "title"),
                        (_name(instance) or "", "text"),
                        (instance["id"], "id"),
                        (
                            f"{instance.get('state')}, IMDSv2 "
                            + ("required" if instance.get("http_tokens") == "required" else "NOT required"),
                            "text",
                        ),
                    ],
                    "instance",
                    {"data-az": az, "data-subnet": subnet["id"]},
                )
                reg.register(idom, [instance["id"]], [_name(instance)])
                instance_boxes[instance["id"]] = scene.boxes[idom]
            y += height + 8
    lay.keep(nat_boxes=nat_boxes, subnet_boxes=subnet_boxes)


def _place_auto_scaling_group(lay):
    """The Auto Scaling group: a dashed band over its subnets' instance slots, row by row."""
    asg, asg_subnets, header_h, instances_by_subnet, reg, row_y, rows, scene, snap, subnet_boxes, subnets = lay.take(
        "asg asg_subnets header_h instances_by_subnet reg row_y rows scene snap subnet_boxes subnets"
    )
    if asg is not None:
        mine = [s for s in subnets if s["id"] in asg_subnets]
        lt = snap["launch_template"]
        for r in rows:
            in_row = [subnet_boxes[s["id"]] for s in mine if _row(s) == r]
            if not in_row:
                continue
            slots = max(len(instances_by_subnet.get(s["id"], [])) or 1 for s in mine if _row(s) == r)
            x1 = min(b["x"] for b in in_row) + 2
            x2 = (
                min(b["x"] for b in in_row)
                + 2
                + (max(b["x"] for b in in_row) - min(b["x"] for b in in_row))
                + INSTANCE_W
                + 12
            )
            top = row_y[r] + header_h[r] - 2
            dom = f"asg-{asg['name']}-{r}"
            lt_text = f"  LT {lt['name']}" if lt else ""
            scene.element(
                dom,
                "asg",
                asg["name"],
                (x1, top, x2 - x1, LINE + slots * (INSTANCE_H + 8) + 2),
                [(f"ASG {asg['name']}  min {asg.get('min_size')} desired {asg.get('desired')}{lt_text}", "asg-text")],
                "asg",
                {"data-subnets": " ".join(sorted(asg_subnets))},
                dashed=True,
            )
            reg.register(dom, [asg["name"]] + ([lt["name"], lt["id"]] if lt else []))


def _place_routes(lay):
    """Route arrows: each subnet's default route to its NAT gateway or internet gateway."""
    az_y, igw_boxes, nat_boxes, nats_by_subnet, scene, subnet_boxes, subnets, tables = lay.take(
        "az_y igw_boxes nat_boxes nats_by_subnet scene subnet_boxes subnets tables"
    )
    for subnet in subnets:
        table = tables[subnet["id"]]
        box = subnet_boxes[subnet["id"]]
        for route in _outside_routes(table):
            target = route.get("target")
            blackhole = route.get("state") == "blackhole"
            css = "blackhole" if blackhole else "route"
            data = {
                "from": subnet["id"],
                "to": target or "",
                "route-table": table["id"],
                "destination": route.get("destination") or "",
            }
            if target in nat_boxes:
                nat = nat_boxes[target]
                tx = nat["x"] + nat["w"] / 2
                ty = nat["y"] + nat["h"]
                start_x = tx if box["x"] <= tx <= box["x"] + box["w"] else box["x"] + box["w"] - NAT_W / 2 - 8
                points = [
                    (start_x, box["y"]),
                    (start_x, box["y"] - ROW_GAP / 2),
                    (tx, box["y"] - ROW_GAP / 2),
                    (tx, ty),
                ]
                if start_x == tx:
                    points = [(tx, box["y"]), (tx, ty)]
                scene.arrow(points, "nat-" + css if not blackhole else css, route.get("destination"), data=data)
            elif target in igw_boxes:
                igw = igw_boxes[target]
                nats = [nat_boxes[n["id"]] for n in nats_by_subnet.get(subnet["id"], []) if n["id"] in nat_boxes]
                src = nats[0] if nats else {"x": box["x"] + box["w"] - NAT_W - 8, "y": box["y"], "w": NAT_W}
                sx = src["x"] + src["w"] / 2
                lane = az_y - 12
                tx = min(max(sx, igw["x"] + 20), igw["x"] + igw["w"] - 20)
                points = [(sx, src["y"]), (sx, lane), (tx, lane), (tx, igw["y"] + igw["h"])]
                data["via"] = nats and nats_by_subnet[subnet["id"]][0]["id"] or ""
                scene.arrow(points, "igw-" + css if not blackhole else css, route.get("destination"), data=data)


def _place_buckets(lay):
    """Buckets, one box per region (replicas level with their sources), and the region boxes behind them."""
    prefix, reg, region, region_x, region_y, scene, snap, vpc_h, vpc_w, vpc_x, vpc_y = lay.take(
        "prefix reg region region_x region_y scene snap vpc_h vpc_w vpc_x vpc_y"
    )
    home_buckets = []
    other: Dict[str, List[Dict[str, Any]]] = {}
    for bucket in sorted(snap["buckets"], key=lambda b: b["name"]):
        where = bucket.get("region") or bucket.get("expected_region") or region
        (home_buckets if where == region else other.setdefault(where, [])).append(bucket)
    known = {b["name"] for b in snap["buckets"]}
    replication = sorted(snap["replication"], key=lambda p: (p["source"], p["destination"]))
    for pair in replication:
        if pair["destination"] not in known:
            where = pair.get("destination_actual_region") or pair["destination_region"]
            other.setdefault(where, []).append(
                {
                    "name": pair["destination"],
                    "exists": pair.get("destination_exists"),
                    "region": where,
                    "versioning": pair.get("destination_versioning"),
                }
            )
            known.add(pair["destination"])

    region_bottom = vpc_y + vpc_h + PAD
    bucket_top = region_bottom + 2 * LINE + 6
    bucket_boxes = {}

    def bucket_element(bucket, x, y, where):
        dom = f"bucket-{bucket['name']}"
        if bucket.get("exists") is False:
            state = "MISSING"
        else:
            bpa = bucket.get("public_access_block")
            bpa_text = (
                "BPA ?"
                if bpa is None and "public_access_block" not in bucket
                else ("BPA all on" if bpa and all(bpa.values()) else "BPA NOT all on")
            )
            state = f"{bpa_text}  versioning {bucket.get('versioning') or 'off'}"
        enc = bucket.get("encryption")
        scene.element(
            dom,
            "bucket",
            bucket["name"],
            (x, y, BUCKET_W, BUCKET_H),
            [
                ("S3 bucket", "title"),
                (bucket["name"], "id"),
                (state, "text"),
                (f"encryption {', '.join(map(str, enc)) if enc else 'none'}", "muted"),
            ],
            "bucket",
            {"data-region": where},
        )
        reg.register(dom, [bucket["name"]])
        bucket_boxes[bucket["name"]] = scene.boxes[dom]

    # Replicas sit level with their sources, so replication arrows run straight across.
    home_y = {}
    y = bucket_top
    for bucket in home_buckets:
        bucket_element(bucket, vpc_x, y, region)
        home_y[bucket["name"]] = y
        y += BUCKET_H + 12
    home_bottom = y
    region_h = max(home_bottom if home_buckets else region_bottom, region_bottom) - region_y + PAD
    region_w = vpc_w + 2 * (PAD + 8)
    scene.element(
        f"region-{region}",
        "region",
        region,
        (region_x, region_y, region_w, region_h),
        [(f"Region {region}  \u2014  {prefix}", "region-title")],
        "region",
        {"data-region": region},
    )
    # The region is the background of everything drawn so far.
    scene.elements.insert(0, scene.elements.pop())

    width = region_x + region_w + MARGIN
    dr_x = region_x + region_w + REGION_GAP if other else None
    next_y = bucket_top - 2 * LINE - 6
    for where in sorted(other):
        placed = []
        y = max(next_y + 2 * LINE + 6, bucket_top)
        for bucket in sorted(other[where], key=lambda b: b["name"]):
            source = next((p["source"] for p in replication if p["destination"] == bucket["name"]), None)
            by = home_y.get(source, y)
            by = max(by, y)
            bucket_element(bucket, dr_x + PAD, by, where)
            placed.append(by)
            y = by + BUCKET_H + 12
        top = min(placed) - 2 * LINE - 6
        dom = f"region-{where}"
        scene.element(
            dom,
            "region",
            where,
            (dr_x, top, BUCKET_W + 2 * PAD, y - top + PAD),
            [(f"Region {where}", "region-title")],
            "region",
            {"data-region": where},
        )
        # Region boxes are backgrounds: move this one before its buckets.
        scene.elements.insert(len(scene.elements) - 1 - len(placed), scene.elements.pop())
        next_y = y + PAD + 20
        width = dr_x + BUCKET_W + 2 * PAD + MARGIN
    lay.keep(bucket_boxes=bucket_boxes, replication=replication, width=width)


def _place_replication(lay):
    """Replication arrows between each source bucket and its replica."""
    bucket_boxes, replication, scene = lay.take(
        "bucket_boxes replication scene"
    )
    for pair in replication:
        src, dst = bucket_boxes.get(pair["source"]), bucket_boxes.get(pair["destination"])
        if not src or not dst:
            continue
        rules = pair.get("rules") or []
        enabled = [r for r in rules if r.get("Status") == "Enabled"]
        classes = sorted({(r.get("Destination") or {}).get("StorageClass") or "same class" for r in enabled})
        label = f"replication {', '.join(classes)}" if enabled else "replication NOT configured"
        y1 = src["y"] + src["h"] / 2
        y2 = dst["y"] + dst["h"] / 2
        mid = (src["x"] + src["w"] + dst["x"]) / 2
        points = (
            [(src["x"] + src["w"], y1), (mid, y1), (mid, y2), (dst["x"], y2)]
            if y1 != y2
            else [(src["x"] + src["w"], y1), (dst["x"], y2)]
        )
        scene.arrow(
            points,
            "replication" if enabled else "replication-off",
            label,
            kind="replication",
            data={"from": pair["source"], "to": pair["destination"]},
        )


# The placement steps, in order: later steps draw over and beside what earlier ones placed.
STEPS = (
    _measure,
    _place_vpc,
    _place_internet_gateways,
    _place_security_groups,
    _place_subnets,
    _place_auto_scaling_group,
    _place_routes,
    _place_buckets,
    _place_replication,
)


def build_scene(snapshot: Dict[str, Any], findings: Sequence[Dict[str, Any]]):
    """Lay the stack out: returns (scene, findings registry, width, height)."""
    lay = _Layout()
    _index(lay, snapshot, findings)
    for step in STEPS:
        step(lay)
    height = max(b["y"] + b["h"] for b in lay.scene.boxes.values()) + MARGIN
    return lay.scene, lay.reg, lay.width, height


# ---------------------------------------------------------------- output

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:16px;color:#1d2733;background:#fff}
h1{font-size:20px;margin:0 0 4px}
.meta{color:#555;margin:0 0 12px;font-size:13px}
svg text{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:11px;fill:#1d2733}
.el rect{fill:#fff;stroke:#8a99a8;stroke-width:1.2}
.region>rect{stroke:#5b6b7b;stroke-width:1.5}
.vpc>rect{stroke:#2f9e44;stroke-width:1.8}
.vpc.missing>rect{stroke:#c92a2a}
.az>rect{fill:none;stroke:#7b8794;stroke-dasharray:4 3}
.subnet.public>rect{stroke:#1c7ed6}
.subnet.private>rect{stroke:#7048e8}
.subnet.other>rect{stroke:#e67700}
.nat>rect{stroke:#e8590c;stroke-width:1.6}
.igw>rect{stroke:#2b8a3e;stroke-width:1.8}
.instance>rect{stroke:#343a40;stroke-width:1.6}
.asg>rect{fill:none;stroke:#343a40}
.label>rect{fill:none;stroke:none}
.sg>rect{stroke:#c2255c}
.endpoint>rect{stroke:#0c8599;stroke-width:1.6}
.bucket>rect{stroke:#5c940d}
g.text text{paint-order:stroke;stroke-width:3px;stroke-linejoin:round}
text.title{font-weight:bold}
text.region-title{font-weight:bold;font-size:13px}
text.id{fill:#364fc7}
text.muted{fill:#5f6b77}
text.route-text{fill:#495057}
text.rule{fill:#343a40}
text.asg-text{fill:#343a40;font-style:italic}
text.badge-text{fill:#fff;font-weight:bold;text-anchor:middle}
.arrow polyline{fill:none;stroke-width:2}
.arrow.nat-route polyline{stroke:#e8590c}
.arrow.igw-route polyline{stroke:#2b8a3e}
.arrow.blackhole polyline{stroke:#c92a2a;stroke-dasharray:5 4}
.arrow.replication polyline{stroke:#5c940d;stroke-dasharray:8 4}
.arrow.replication-off polyline{stroke:#c92a2a;stroke-dasharray:2 4}
text.arrow-label{font-size:10px;fill:#343a40;paint-order:stroke;stroke:#fff;stroke-width:3px}
.legend{display:flex;gap:28px;flex-wrap:wrap;font-size:13px;margin:10px 0}
.legend span.key{display:inline-block;width:26px;height:0;border-top:3px solid;vertical-align:middle;margin-right:6px}
table{border-collapse:collapse;font-size:13px;margin-top:8px}
th,td{border:1px solid #ced4da;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f5}
td.sev{color:#fff;font-weight:bold}
code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
"""

ARROW_COLOURS = {
    "nat-route": "#e8590c",
    "igw-route": "#2b8a3e",
    "blackhole": "#c92a2a",
    "replication": "#5c940d",
    "replication-off": "#c92a2a",
}


def _markers():
    return "".join(
        f'<marker id="head-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for name, colour in ARROW_COLOURS.items()
    )


def render_svg(snapshot: Dict[str, Any], findings: Sequence[Dict[str, Any]]):
    """(svg text, findings with the dom ids each is drawn on, counts of drawn elements by kind)."""
    scene, reg, width, height = build_scene(snapshot, findings)
    marks = reg.resolve()
    # Layers: containers, then arrows (over container fills), then boxes the arrows end at, then all text
    # and the finding badges on top.
    body = [_svg_shape(el, marks) for el in scene.elements if el["kind"] in CONTAINERS]
    body += [_svg_arrow(a) for a in scene.arrows]
    body += [_svg_shape(el, marks) for el in scene.elements if el["kind"] not in CONTAINERS]
    body += [_svg_text(el) for el in scene.elements]
    body += [_badge(el["box"], marks[el["dom_id"]]) for el in scene.elements if el["dom_id"] in marks]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="stack-diagram" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="Diagram of the deployed stack">'
        f"<defs>{_markers()}</defs>" + "".join(body) + "</svg>"
    )
    counts: Dict[str, int] = {}
    for kind in sorted({el["kind"] for el in scene.elements}):
        counts[kind] = len({el["data_id"] for el in scene.elements if el["kind"] == kind})
    counts["route_arrows"] = sum(1 for a in scene.arrows if a["kind"] == "route")
    counts["replication_arrows"] = sum(1 for a in scene.arrows if a["kind"] == "replication")
    placed = [dict(f, drawn_on=reg.placed.get(f["number"], [])) for f in reg.items]
    return svg, placed, counts


def render_html(
    snapshot: Dict[str, Any],
    findings: Sequence[Dict[str, Any]] = (),
    title: Optional[str] = None,
    generated_at: Optional[str] = None,
) -> Dict[str, Any]:
    """The page and what is on it: {'html', 'elements' (counts by kind), 'findings' (each with drawn_on)}."""
    svg, placed, counts = render_svg(snapshot, findings)
    region, prefix = snapshot["region"], snapshot["name_prefix"]
    title = title or f"{prefix} in {region}"
    vpc = snapshot.get("vpc")
    meta = [f"region {region}", f"VPC {vpc['id']} {vpc.get('cidr')}" if vpc else "no VPC found"]
    meta += [
        f"{counts.get('az', 0)} AZs",
        f"{counts.get('subnet', 0)} subnets",
        f"{counts.get('nat', 0)} NAT gateways",
        f"{counts.get('bastion', 0)} bastion instance(s)",
        f"{len(placed)} finding(s)",
    ]
    if generated_at:
        meta.append(f"generated {generated_at}")
    legend = "".join(
        f'<span><span class="key" style="border-color:{colour}"></span>{esc(text)}</span>'
        for colour, text in (
            (ARROW_COLOURS["nat-route"], "route to a NAT gateway"),
            (ARROW_COLOURS["igw-route"], "route to the internet gateway"),
            (ARROW_COLOURS["blackhole"], "blackhole route / replication off"),
            (ARROW_COLOURS["replication"], "S3 replication"),
        )
    )
    legend += "".join(
        f'<span><span class="key" style="border-color:{SEVERITY_COLOURS[s]};border-top-width:10px;'
        f'border-radius:5px;width:18px"></span>{s}</span>'
        for s in SEVERITIES
    )
    rows = []
    for f in placed:
        where = ", ".join(f["drawn_on"]) if f["drawn_on"] else "not drawn (listed here only)"
        rows.append(
            f'<tr id="finding-{f["number"]}" data-kind="finding" data-check="{esc(f["id"])}" '
            f'data-severity="{esc(f["severity"])}" data-drawn="{"yes" if f["drawn_on"] else "no"}">'
            f"<td>{f['number']}</td>"
            f'<td class="sev" style="background:{SEVERITY_COLOURS[f["severity"]]}">{esc(f["severity"])}</td>'
            f"<td><code>{esc(f['id'])}</code></td><td>{esc(f['resource'])}</td><td>{esc(f.get('detail'))}</td>"
            f"<td>{esc(f.get('fix'))}</td><td><code>{esc(where)}</code></td></tr>"
        )
    table = (
        '<table id="findings"><thead><tr><th>#</th><th>severity</th><th>check</th><th>resource</th><th>detail</th>'
        "<th>fix</th><th>marked on</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        if rows
        else '<p id="findings" data-kind="no-findings">No audit findings.</p>'
    )
    fills = "".join(f".{'.'.join(k.split())}>rect{{fill:{v}}}" for k, v in FILLS.items() if k != "az")
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}{fills}</style></head>\n"
        f'<body data-region="{esc(region)}" data-name-prefix="{esc(prefix)}">'
        f'<h1>{esc(title)}</h1><p class="meta">{esc(" · ".join(meta))}</p>\n'
        f"{svg}\n"
        f'<div class="legend">{legend}</div>\n'
        f'<h2 style="font-size:16px">Audit findings</h2>{table}\n'
        "</body></html>\n"
    )
    return {"html": page, "elements": counts, "findings": placed}
