# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The stack diagram renderer on fabricated audit snapshots: what is drawn, where findings go, escaping."""

import copy
import random
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.nova.infra.plugins.module_utils import audit
from ansible_collections.nova.infra.plugins.module_utils import diagram

ACCOUNT = "123456789012"
SVG_NS = "{http://www.w3.org/2000/svg}"
LOCAL = {"destination": "10.0.0.0/16", "target": "local", "target_type": "gateway", "state": "active"}


def default_route(target, target_type="nat_gateway", state="active"):
    return {"destination": "0.0.0.0/0", "target": target, "target_type": target_type, "state": state}


def named(name, **extra):
    return {"Name": name, "Project": "nova", **extra}


def stack():
    """A snapshot of the design's stack as stack_audit reads it: 2 AZs, 4 subnets, 2 NATs, a bastion, 4 buckets."""
    snap = audit.empty_snapshot()
    snap["vpc"] = {"id": "vpc-0a", "cidr": "10.0.0.0/16", "tags": named("nova-production-vpc")}
    snap["subnets"] = [
        {
            "id": f"subnet-{kind}-{az}",
            "az": f"us-west-2{az}",
            "cidr": cidr,
            "type": kind.capitalize(),
            "available_ips": free,
            "tags": named(f"nova-production-{kind}-us-west-2{az}"),
        }
        for kind, az, cidr, free in (
            ("public", "a", "10.0.0.0/24", 249),
            ("public", "b", "10.0.1.0/24", 250),
            ("private", "a", "10.0.10.0/24", 251),
            ("private", "b", "10.0.11.0/24", 251),
        )
    ]
    snap["internet_gateways"] = [{"id": "igw-0a", "attached": True, "tags": named("nova-production-igw")}]
    snap["nat_gateways"] = [
        {
            "id": f"nat-0{az}",
            "subnet_id": f"subnet-public-{az}",
            "state": "available",
            "allocation_ids": [f"eipalloc-0{az}"],
            "tags": named(f"nova-production-nat-us-west-2{az}"),
        }
        for az in "ab"
    ]
    snap["eips"] = [
        {"allocation_id": "eipalloc-0a", "public_ip": "198.51.100.10", "tags": {}},
        {"allocation_id": "eipalloc-0b", "public_ip": "198.51.100.11", "tags": {}},
    ]
    snap["route_tables"] = [
        {"id": "rtb-main", "main": True, "subnet_ids": [], "routes": [LOCAL], "tags": {}},
        {
            "id": "rtb-public",
            "main": False,
            "subnet_ids": ["subnet-public-a", "subnet-public-b"],
            "routes": [LOCAL, default_route("igw-0a", "gateway")],
            "tags": named("nova-production-public-rt"),
        },
    ] + [
        {
            "id": f"rtb-private-{az}",
            "main": False,
            "subnet_ids": [f"subnet-private-{az}"],
            "routes": [LOCAL, default_route(f"nat-0{az}")],
            "tags": named(f"nova-production-private-rt-{az}"),
        }
        for az in "ab"
    ]
    snap["security_groups"] = [
        {
            "id": "sg-0bastion",
            "name": "nova-production-bastion-sg",
            "is_default": False,
            "ingress": [
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}
            ],
            "egress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            "tags": {},
        },
        {
            "id": "sg-0private",
            "name": "nova-production-private-sg",
            "is_default": False,
            "ingress": [
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": "sg-0bastion"}]}
            ],
            "egress": [],
            "tags": {},
        },
        {"id": "sg-0default", "name": "default", "is_default": True, "ingress": [], "egress": [], "tags": {}},
    ]
    snap["flow_logs"] = [
        {
            "id": "fl-0a",
            "status": "ACTIVE",
            "traffic_type": "ALL",
            "deliver_status": "SUCCESS",
            "destination": "arn:aws:s3:::logs",
            "tags": {},
        }
    ]
    snap["asg"] = {
        "name": "nova-production-bastion-asg",
        "subnet_ids": ["subnet-public-a", "subnet-public-b"],
        "min_size": 1,
        "desired": 1,
        "tags": {},
        "instances": [{"id": "i-0bastion", "lifecycle_state": "InService", "health": "Healthy"}],
    }
    snap["instances"] = [
        {
            "id": "i-0bastion",
            "state": "running",
            "subnet_id": "subnet-public-a",
            "az": "us-west-2a",
            "http_tokens": "required",
            "tags": named("nova-production-bastion"),
        }
    ]
    snap["launch_template"] = {
        "id": "lt-0a",
        "name": "nova-production-bastion-lt",
        "http_tokens": "required",
        "tags": {},
    }
    for kind in ("app-logs", "backup"):
        for region in ("us-west-2", "us-east-1"):
            snap["buckets"].append(
                {
                    "name": f"nova-production-{kind}-{ACCOUNT}-{region}",
                    "expected_region": region,
                    "exists": True,
                    "region": region,
                    "public_access_block": dict.fromkeys(audit.BPA_FLAGS, True),
                    "encryption": ["AES256"],
                    "versioning": "Enabled",
                    "tags": {},
                }
            )
        snap["replication"].append(
            {
                "source": f"nova-production-{kind}-{ACCOUNT}-us-west-2",
                "destination": f"nova-production-{kind}-{ACCOUNT}-us-east-1",
                "destination_region": "us-east-1",
                "rules": [{"ID": "dr", "Status": "Enabled", "Destination": {"StorageClass": "STANDARD_IA"}}],
                "destination_exists": True,
                "destination_actual_region": "us-east-1",
                "destination_versioning": "Enabled",
            }
        )
    return snap


def finding(resource, severity="high", check="NOVA-TEST-001", detail="something is wrong"):
    return {
        "id": check,
        "severity": severity,
        "resource": resource,
        "detail": detail,
        "fix": "fix it",
        "title": "t",
        "cis": None,
        "reference": "r",
    }


def svg_of(page):
    """The SVG of the page parsed as XML (so it is well-formed), with {dom id: element} of the drawn groups."""
    root = ET.fromstring(re.search(r"<svg.*</svg>", page, re.S).group(0))
    return root, {g.get("id"): g for g in root.iter(f"{SVG_NS}g") if g.get("id")}


def kinds(groups, kind):
    return [g for g in groups.values() if g.get("data-kind") == kind]


def test_the_design_stack_is_drawn_with_every_element():
    page = diagram.render_html(stack())
    _unused, groups = svg_of(page["html"])

    assert sorted(g.get("data-id") for g in kinds(groups, "az")) == ["us-west-2a", "us-west-2b"]
    subnets = kinds(groups, "subnet")
    assert sorted((g.get("data-az"), g.get("data-type"), g.get("data-cidr")) for g in subnets) == [
        ("us-west-2a", "private", "10.0.10.0/24"),
        ("us-west-2a", "public", "10.0.0.0/24"),
        ("us-west-2b", "private", "10.0.11.0/24"),
        ("us-west-2b", "public", "10.0.1.0/24"),
    ]
    nats = {g.get("data-id"): g for g in kinds(groups, "nat")}
    assert {n: (g.get("data-subnet"), g.get("data-eip")) for n, g in nats.items()} == {
        "nat-0a": ("subnet-public-a", "198.51.100.10"),
        "nat-0b": ("subnet-public-b", "198.51.100.11"),
    }
    assert [g.get("data-subnet") for g in kinds(groups, "bastion")] == ["subnet-public-a"]
    assert [g.get("data-id") for g in kinds(groups, "igw")] == ["igw-0a"]
    assert [g.get("data-id") for g in kinds(groups, "asg")] == ["nova-production-bastion-asg"]
    assert sorted(g.get("data-id") for g in kinds(groups, "sg")) == ["sg-0bastion", "sg-0default", "sg-0private"]
    assert sorted((g.get("data-id")[-9:], g.get("data-region")) for g in kinds(groups, "bucket")) == [
        ("us-east-1", "us-east-1"),
        ("us-east-1", "us-east-1"),
        ("us-west-2", "us-west-2"),
        ("us-west-2", "us-west-2"),
    ]
    assert page["elements"] == {
        "asg": 1,
        "az": 2,
        "bastion": 1,
        "bucket": 4,
        "igw": 1,
        "label": 1,
        "nat": 2,
        "region": 2,
        "sg": 3,
        "subnet": 4,
        "vpc": 1,
        "route_arrows": 4,
        "replication_arrows": 2,
    }
    # What a reader needs is written on the picture: CIDRs, free addresses, EIPs, SG rules.
    for text in (
        "10.0.10.0/24",
        "249/251 free (99%)",
        "EIP 198.51.100.10",
        "in tcp/22 from 203.0.113.0/24",
        "in tcp/22 from sg-0bastion",
        "replication STANDARD_IA",
        "IMDSv2 required",
        "Region us-east-1",
    ):
        assert text in page["html"], text


def test_route_arrows_run_private_to_own_nat_and_public_to_the_igw():
    root, _unused = svg_of(diagram.render_html(stack())["html"])
    routes = sorted(
        (g.get("data-from"), g.get("data-to"), g.get("data-route-table"), g.get("class"))
        for g in root.iter(f"{SVG_NS}g")
        if g.get("data-kind") == "route"
    )
    assert routes == [
        ("subnet-private-a", "nat-0a", "rtb-private-a", "arrow nat-route"),
        ("subnet-private-b", "nat-0b", "rtb-private-b", "arrow nat-route"),
        ("subnet-public-a", "igw-0a", "rtb-public", "arrow igw-route"),
        ("subnet-public-b", "igw-0a", "rtb-public", "arrow igw-route"),
    ]
    replication = sorted(
        (g.get("data-from")[16:24], g.get("data-to")[-9:])
        for g in root.iter(f"{SVG_NS}g")
        if g.get("data-kind") == "replication"
    )
    assert replication == [("app-logs", "us-east-1"), ("backup-1", "us-east-1")]


def test_layout_keeps_things_inside_their_containers():
    scene, _unused, width, height = diagram.build_scene(stack(), [])
    boxes = scene.boxes

    def inside(inner, outer):
        a, b = boxes[inner], boxes[outer]
        return (
            b["x"] <= a["x"]
            and a["x"] + a["w"] <= b["x"] + b["w"]
            and b["y"] <= a["y"]
            and a["y"] + a["h"] <= b["y"] + b["h"]
        )

    for az in "ab":
        for kind in ("public", "private"):
            assert inside(f"subnet-box-subnet-{kind}-{az}", f"az-us-west-2{az}")
        assert inside(f"nat-nat-0{az}", f"subnet-box-subnet-public-{az}")
        assert inside(f"az-us-west-2{az}", "vpc-box-vpc-0a")
        # public row above the private row, AZ columns side by side
        assert boxes[f"subnet-box-subnet-public-{az}"]["y"] < boxes[f"subnet-box-subnet-private-{az}"]["y"]
    assert boxes["az-us-west-2a"]["x"] + boxes["az-us-west-2a"]["w"] <= boxes["az-us-west-2b"]["x"]
    assert inside("instance-i-0bastion", "subnet-box-subnet-public-a")
    assert inside("vpc-box-vpc-0a", "region-us-west-2")
    assert boxes["igw-igw-0a"]["y"] < boxes["vpc-box-vpc-0a"]["y"]
    assert all(b["x"] + b["w"] <= width and b["y"] + b["h"] <= height for b in boxes.values())
    # The design's stack fits a 1400 px wide window.
    assert width <= 1400


@pytest.mark.parametrize(
    "resource, drawn_on",
    [
        ("sg-0bastion (nova-production-bastion-sg)", ["sg-sg-0bastion"]),
        ("nova-production-private-sg", ["sg-sg-0private"]),
        ("subnet-private-b (nova-production-private-us-west-2b)", ["subnet-box-subnet-private-b"]),
        ("nat-0a (nova-production-nat-us-west-2a)", ["nat-nat-0a"]),
        ("Elastic IP eipalloc-0b", ["nat-nat-0b"]),
        ("instance i-0bastion (nova-production-bastion)", ["instance-i-0bastion"]),
        ("Auto Scaling group nova-production-bastion-asg", ["asg-nova-production-bastion-asg-public"]),
        ("launch template nova-production-bastion-lt (lt-0a)", ["asg-nova-production-bastion-asg-public"]),
        ("VPC vpc-0a (nova-production-vpc)", ["vpc-box-vpc-0a"]),
        ("AZ us-west-2b", ["az-us-west-2b"]),
        ("rtb-private-a (nova-production-private-rt-a)", ["subnet-box-subnet-private-a"]),
        (
            "route table rtb-public (nova-production-public-rt)",
            ["subnet-box-subnet-public-a", "subnet-box-subnet-public-b"],
        ),
        ("internet gateway igw-0a (nova-production-igw)", ["igw-igw-0a"]),
        ("flow log fl-0a", ["vpc-box-vpc-0a"]),
        (f"nova-production-backup-{ACCOUNT}-us-east-1", [f"bucket-nova-production-backup-{ACCOUNT}-us-east-1"]),
        ("subnet-public-a, subnet-public-b", ["subnet-box-subnet-public-a", "subnet-box-subnet-public-b"]),
        ("nova-production-admin-sg", []),
        ("AZ us-west-2c", []),
    ],
)
def test_findings_are_marked_on_the_element_they_name(resource, drawn_on):
    page = diagram.render_html(stack(), [finding(resource)])
    assert page["findings"][0]["drawn_on"] == drawn_on
    _unused, groups = svg_of(page["html"])
    assert sorted(d for d, g in groups.items() if g.get("data-findings") == "1") == sorted(drawn_on)
    row = re.search(r'<tr id="finding-1"[^>]*>', page["html"]).group(0)
    assert f'data-drawn="{"yes" if drawn_on else "no"}"' in row


def test_an_id_beats_a_shared_name_tag():
    snap = stack()
    second = dict(snap["instances"][0], id="i-0second", subnet_id="subnet-public-b", az="us-west-2b")
    snap["instances"].append(second)
    page = diagram.render_html(snap, [finding("instance i-0second (nova-production-bastion)")])
    assert page["findings"][0]["drawn_on"] == ["instance-i-0second"]
    # The shared Name alone marks every instance carrying it.
    page = diagram.render_html(snap, [finding("nova-production-bastion")])
    assert page["findings"][0]["drawn_on"] == ["instance-i-0bastion", "instance-i-0second"]


def test_badges_number_findings_and_take_the_worst_severity_colour():
    findings = [finding("sg-0bastion", "low"), finding("sg-0bastion", "critical"), finding("nowhere", "info")]
    page = diagram.render_html(stack(), findings)
    root, groups = svg_of(page["html"])
    sg = groups["sg-sg-0bastion"]
    assert (sg.get("data-findings"), sg.get("data-severity")) == ("1 2", "critical")
    badges = [g for g in root.iter(f"{SVG_NS}g") if g.get("data-kind") == "finding-badge"]
    assert [(b.get("data-findings"), b.get("data-severity")) for b in badges] == [("1 2", "critical")]
    assert diagram.SEVERITY_COLOURS["critical"] in ET.tostring(badges[0], encoding="unicode")
    # The table lists all three, the undrawn one included.
    assert re.findall(r'<tr id="finding-(\d+)"', page["html"]) == ["1", "2", "3"]


def test_aws_strings_are_escaped():
    snap = stack()
    snap["subnets"][0]["tags"]["Name"] = '<script>alert("x")</script>&'
    snap["security_groups"][0]["name"] = 'x" onload="alert(1)'
    page = diagram.render_html(snap, [finding("i-0bastion", detail="<img src=x onerror=alert(1)>")], title="<b>t</b>")[
        "html"
    ]
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page
    svg_of(page)  # still well-formed XML


def test_the_page_is_self_contained():
    page = diagram.render_html(stack(), [finding("sg-0bastion")])["html"]
    assert page.startswith("<!DOCTYPE html>")
    # The only URL is the SVG namespace; no scripts, links, imports, images or fonts to fetch.
    assert re.findall(r"https?://[^\"' )]+", page) == ["http://www.w3.org/2000/svg"]
    for needle in ("<script", "<link", "@import", "<img", "<image", "@font-face", "src="):
        assert needle not in page
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", page))


def test_same_stack_same_bytes_whatever_the_order_aws_listed_it_in():
    snap = stack()
    shuffled = copy.deepcopy(snap)
    rng = random.Random(7)
    for key in ("subnets", "nat_gateways", "route_tables", "security_groups", "buckets", "replication", "eips"):
        rng.shuffle(shuffled[key])
    assert diagram.render_html(snap)["html"] == diagram.render_html(shuffled)["html"]
    assert "generated" not in diagram.render_html(snap)["html"]
    assert "generated 2025-01-01T00:00:00" in diagram.render_html(snap, generated_at="2025-01-01T00:00:00")["html"]


def test_problems_are_drawn_as_problems():
    snap = stack()
    # private b uses AZ a's NAT gateway, the public table has a blackhole, replication of backup is off
    snap["route_tables"][3]["routes"] = [LOCAL, default_route("nat-0a")]
    snap["route_tables"][1]["routes"].append(
        {"destination": "192.0.2.0/24", "target": "nat-0gone", "target_type": "nat_gateway", "state": "blackhole"}
    )
    snap["replication"][1]["rules"] = None
    snap["nat_gateways"].pop(1)
    root, groups = svg_of(diagram.render_html(snap)["html"])
    routes = {
        (g.get("data-from"), g.get("data-to")): g.get("class")
        for g in root.iter(f"{SVG_NS}g")
        if g.get("data-kind") == "route"
    }
    assert routes[("subnet-private-b", "nat-0a")] == "arrow nat-route"
    assert "192.0.2.0/24 \u2192 nat-0gone BLACKHOLE" in ET.tostring(root, encoding="unicode")
    off = [g.get("class") for g in root.iter(f"{SVG_NS}g") if g.get("data-kind") == "replication"]
    assert sorted(off) == ["arrow replication", "arrow replication-off"]
    assert [g.get("data-id") for g in kinds(groups, "nat")] == ["nat-0a"]


def test_a_stack_without_a_vpc_still_draws_its_buckets():
    snap = stack()
    for key in (
        "subnets",
        "nat_gateways",
        "route_tables",
        "security_groups",
        "flow_logs",
        "internet_gateways",
        "instances",
        "eips",
    ):
        snap[key] = []
    snap["vpc"], snap["asg"], snap["launch_template"] = None, None, None
    page = diagram.render_html(snap, [finding("nova-production-vpc", "critical")])
    _unused, groups = svg_of(page["html"])
    assert groups["vpc-missing"].get("data-findings") == "1"
    assert len(kinds(groups, "bucket")) == 4
    assert "no VPC found" in page["html"]


@pytest.mark.parametrize(
    "snapshot, findings, fragment",
    [
        (None, [], "snapshot: got a NoneType, not a dict"),
        ({"changed": False, "findings": []}, [], "snapshot: keys region, name_prefix, vpc"),
        ("stack", [], "snapshot: got a str"),
        (stack(), ["NOVA-NET-001"], "findings[0]: 'NOVA-NET-001' lacks id, severity, resource"),
        (stack(), [{"id": "X", "severity": "urgent", "resource": "r"}], "findings[0]: severity 'urgent' is not one of"),
    ],
)
def test_bad_input_names_the_option_and_the_fix(snapshot, findings, fragment):
    problems = diagram.validate(snapshot, findings)
    assert len(problems) == 1 and fragment in problems[0] and "Fix:" in problems[0]


def test_valid_input_has_no_problems():
    assert diagram.validate(stack(), [finding("x")]) == []


@pytest.mark.parametrize(
    "text, width, expected",
    [("abcdef", 100, "abcdef"), ("abcdefghij", 6 * diagram.CHAR_W, "abcde\u2026"), (None, 50, "")],
)
def test_fit_cuts_long_labels(text, width, expected):
    assert diagram.fit(text, width) == expected


def with_endpoints():
    """The design's stack with the S3 gateway endpoint on both private route tables and an ssm interface endpoint."""
    snap = stack()
    snap["vpc_endpoints"] = [
        {
            "id": "vpce-0s3",
            "type": "gateway",
            "service": "com.amazonaws.us-west-2.s3",
            "state": "available",
            "route_table_ids": ["rtb-private-a", "rtb-private-b"],
            "subnet_ids": [],
            "group_ids": [],
            "private_dns": False,
            "tags": named("nova-production-vpce-s3"),
        },
        {
            "id": "vpce-0ssm",
            "type": "interface",
            "service": "com.amazonaws.us-west-2.ssm",
            "state": "available",
            "route_table_ids": [],
            "subnet_ids": ["subnet-private-a", "subnet-private-b"],
            "group_ids": ["sg-0endpoints"],
            "private_dns": True,
            "tags": named("nova-production-vpce-ssm"),
        },
        {"id": "vpce-0old", "type": "gateway", "service": "com.amazonaws.us-west-2.s3", "state": "deleted"},
    ]
    for table in snap["route_tables"]:
        if table["id"].startswith("rtb-private"):
            table["routes"].append(
                {"destination": "pl-68a54001", "target": "vpce-0s3", "target_type": "gateway", "state": "active"}
            )
    return snap


def test_vpc_endpoints_are_drawn_inside_the_vpc_with_where_they_are():
    page = diagram.render_html(with_endpoints(), [finding("VPC endpoint vpce-0ssm (nova-production-vpce-ssm)")])
    _unused, groups = svg_of(page["html"])
    drawn = {g.get("data-id"): (g.get("data-type"), g.get("data-service")) for g in kinds(groups, "endpoint")}
    assert drawn == {
        "vpce-0s3": ("gateway", "com.amazonaws.us-west-2.s3"),
        "vpce-0ssm": ("interface", "com.amazonaws.us-west-2.ssm"),
    }
    assert page["elements"]["endpoint"] == 2
    assert page["findings"][0]["drawn_on"] == ["vpce-vpce-0ssm"]
    for text in ("s3 gateway endpoint", "route tables rtb-private-a,", "private DNS on",
                 "pl-68a54001 \u2192 vpce-0s3", "and VPC endpoints"):
        assert text in page["html"], text
    scene, _unused, width, height = diagram.build_scene(with_endpoints(), [])
    vpc, card = scene.boxes["vpc-box-vpc-0a"], scene.boxes["vpce-vpce-0ssm"]
    assert vpc["x"] <= card["x"] and card["x"] + card["w"] <= vpc["x"] + vpc["w"]
    assert vpc["y"] <= card["y"] and card["y"] + card["h"] <= vpc["y"] + vpc["h"]
    assert width <= 1400
