"""Checks of the stack diagram validate.yml writes, rendered in headless Chromium (test_site.py runs them on
the stack it builds, so the diagram costs no build of its own)."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from helpers import aws
from helpers import stack_vpcs

REGION = "us-west-2"
WINDOW = (1400, 1000)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


class Elements(HTMLParser):
    """Every element of a DOM dump that carries a data-kind, as its attribute dict."""

    def __init__(self):
        super().__init__()
        self.found: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "data-kind" in attributes:
            self.found.append(attributes)

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.found if e["data-kind"] == kind]


def chromium() -> str:
    """Debian's chromium; a clear failure, not a skip, where it is missing (.ci/run installs it)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            "chromium is not installed, and this test renders the diagram in it. "
            "Fix: apt-get install -y chromium (Debian's package; .ci/run installs it)."
        )
    return path


def render(browser: str, page: Path, tmp: Path, *mode: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp / 'chromium-profile'}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            *mode,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def dom(page: Path, tmp: Path) -> Elements:
    done = render(chromium(), page, tmp, "--dump-dom")
    assert done.returncode == 0 and "<svg" in done.stdout, done.stderr[-2000:]
    parsed = Elements()
    parsed.feed(done.stdout)
    return parsed


def check_the_dom_shows_the_stack_as_aws_has_it(page: Path, port: int, tmp: Path) -> None:
    """Both AZs, the 4 subnets, 2 NAT gateways with their EIPs, the bastion, the routes and the buckets."""
    dom_ = dom(page, tmp)
    ec2 = aws(port, "ec2")
    (vpc,) = stack_vpcs(ec2)
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NatGateways"]
    bastions = [
        i
        for r in ec2.describe_instances(
            Filters=[
                {"Name": "tag:Name", "Values": ["nova-production-bastion"]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        for i in r["Instances"]
    ]

    assert (
        sorted(e["data-id"] for e in dom_.of("az"))
        == sorted({s["AvailabilityZone"] for s in subnets})
        == ["us-west-2a", "us-west-2b"]
    )
    drawn = {e["data-id"]: (e["data-az"], e["data-type"], e["data-cidr"]) for e in dom_.of("subnet")}
    kind = {s["SubnetId"]: {t["Key"]: t["Value"] for t in s["Tags"]}["Type"].lower() for s in subnets}
    assert drawn == {s["SubnetId"]: (s["AvailabilityZone"], kind[s["SubnetId"]], s["CidrBlock"]) for s in subnets}
    assert sorted(kind.values()) == ["private", "private", "public", "public"]
    assert {e["data-id"]: (e["data-subnet"], e["data-eip"]) for e in dom_.of("nat")} == {
        n["NatGatewayId"]: (n["SubnetId"], n["NatGatewayAddresses"][0]["PublicIp"]) for n in nats
    }
    assert len(nats) == 2 and all(kind[n["SubnetId"]] == "public" for n in nats)
    assert [(e["data-id"], e["data-subnet"]) for e in dom_.of("bastion")] == [
        (i["InstanceId"], i["SubnetId"]) for i in bastions
    ]
    assert [e["data-id"] for e in dom_.of("vpc")] == [vpc["VpcId"]]
    assert len(dom_.of("igw")) == 1 and len(dom_.of("asg")) == 1 and len(dom_.of("bucket")) == 4
    # Each private subnet routes to the NAT gateway of its own AZ; the public ones to the internet gateway.
    nat_az = {n["NatGatewayId"]: drawn[n["SubnetId"]][0] for n in nats}
    routes = [(drawn[e["data-from"]], e["data-to"]) for e in dom_.of("route")]
    assert sorted(az for (az, row, _unused), to in routes if row == "private" and nat_az.get(to) == az) == [
        "us-west-2a",
        "us-west-2b",
    ]
    assert len([1 for (_unused, row, _unused), to in routes if row == "public" and to.startswith("igw-")]) == 2
    assert len(dom_.of("replication")) == 2
    assert dom_.of("no-findings")


def check_the_screenshot_is_a_picture(page: Path, tmp: Path) -> None:
    png = tmp / "stack.png"
    done = render(chromium(), page, tmp, f"--screenshot={png}")
    assert done.returncode == 0 and png.exists(), done.stderr[-2000:]
    with Image.open(png) as image:
        assert image.size == WINDOW
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=1 << 20)
        histogram = pixels.convert("L").histogram()
    background = max(colours)[0] / (WINDOW[0] * WINDOW[1])
    # A blank page is one colour; the diagram has the fills, strokes and text of many boxes.
    assert len(colours) > 200, len(colours)
    assert background < 0.8, background
    assert sum(histogram[:128]) > 2000  # dark pixels: text and arrows


def check_the_finding_is_marked_on_its_security_group(page: Path, group_id: str, check_id: str, tmp: Path) -> None:
    parsed = dom(page, tmp)
    rows = {e["data-check"]: e for e in parsed.of("finding")}
    assert rows[check_id]["data-drawn"] == "yes"
    (sg,) = [e for e in parsed.of("sg") if e["data-id"] == group_id]
    assert sg["data-severity"] == "critical" and rows[check_id]["id"].split("-")[1] in sg["data-findings"].split()
    assert any(b["data-severity"] == "critical" for b in parsed.of("finding-badge"))
