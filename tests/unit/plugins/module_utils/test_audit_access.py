# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit of the bastion's access mode (bastion_access ssh, ssm, both) and of the stack groups' egress
(NOVA-SG-001 in Session Manager mode, NOVA-EC2-005, NOVA-SG-007), on test_audit.py's fabricated good stack."""

import sys
from pathlib import Path

import pytest

from ansible_collections.nova.infra.plugins.module_utils import audit

# The good stack of test_audit.py, beside this file (ansible-test units does not put the test directory on the path).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_audit import SETTINGS  # noqa: E402  # pylint: disable=wrong-import-position
from test_audit import P  # noqa: E402  # pylint: disable=wrong-import-position
from test_audit import good_snapshot  # noqa: E402  # pylint: disable=wrong-import-position
from test_audit import sg  # noqa: E402  # pylint: disable=wrong-import-position
from test_audit import ssh_from_cidr  # noqa: E402  # pylint: disable=wrong-import-position

PROFILE = f"{P}-bastion-us-west-2"
PROFILE_ARN = f"arn:aws:iam::123456789012:instance-profile/{PROFILE}"
SSM_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def ssm_snapshot():
    """The good stack as bastion_access=ssm builds it: no ingress on the bastion group, the instance profile."""
    snap = good_snapshot()
    sg(snap, "sg-bastion")["ingress"] = []
    snap["launch_template"]["instance_profile"] = PROFILE_ARN
    snap["instance_profile"] = {"name": PROFILE, "arn": PROFILE_ARN, "roles": [{"name": PROFILE, "policies": [SSM_POLICY]}]}
    return snap


def findings(snap, **settings):
    return audit.evaluate(snap, {**SETTINGS, **settings})["findings"]


@pytest.mark.parametrize("mode", ["ssm", "both"])
def test_a_session_manager_bastion_passes_every_check(mode):
    snap = ssm_snapshot()
    if mode == "both":
        sg(snap, "sg-bastion")["ingress"] = [ssh_from_cidr("203.0.113.0/24")]
    report = audit.evaluate(snap, {**SETTINGS, "bastion_access": mode})

    assert report["findings"] == []
    assert {c["status"] for c in report["checks"]} == {"pass"}


SSM_MUTATIONS = [
    (
        "ssh_ingress_left_on_an_ssm_bastion",
        lambda s: sg(s, "sg-bastion")["ingress"].append(ssh_from_cidr("203.0.113.0/24")),
        ["NOVA-SG-001"],
        "tcp/22 from cidr 203.0.113.0/24 reaches SSH; bastion_access is ssm (Session Manager only, no SSH ingress)",
    ),
    (
        "all_traffic_ingress_on_an_ssm_bastion",
        lambda s: sg(s, "sg-bastion")["ingress"].append({"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-x"}]}),
        ["NOVA-SG-001", "NOVA-SG-006"],
        "all traffic from group sg-x reaches SSH; bastion_access is ssm",
    ),
    (
        "launch_template_without_profile",
        lambda s: (s["launch_template"].update(instance_profile=None), s.update(instance_profile=None)),
        ["NOVA-EC2-005"],
        "bastion_access is ssm but the default version has no IAM instance profile",
    ),
    (
        "profile_deleted",
        lambda s: s.update(instance_profile=None),
        ["NOVA-EC2-005"],
        f"its instance profile {PROFILE_ARN} does not exist",
    ),
    (
        "profile_without_role",
        lambda s: s["instance_profile"].update(roles=[]),
        ["NOVA-EC2-005"],
        "holds no role",
    ),
    (
        "managed_policy_detached",
        lambda s: s["instance_profile"]["roles"][0].update(policies=["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
        ["NOVA-EC2-005"],
        f"its role {PROFILE} lacks the AWS managed policy AmazonSSMManagedInstanceCore",
    ),
]


@pytest.mark.parametrize("name, mutate, expected, fragment", SSM_MUTATIONS, ids=[m[0] for m in SSM_MUTATIONS])
def test_each_ssm_mutation_gives_exactly_its_findings(name, mutate, expected, fragment):
    snap = ssm_snapshot()
    mutate(snap)
    found = findings(snap, bastion_access="ssm")

    assert sorted({f["id"] for f in found}) == sorted(expected), found
    first = next(f for f in found if f["id"] == expected[0])
    assert fragment in first["detail"], first
    assert first["fix"] and first["resource"]


def test_an_ssh_bastion_needs_no_profile_and_an_ssm_one_without_ssh_is_unreachable_over_ssh():
    # The design's default, ssh: a profile is neither needed nor a finding.
    assert findings(good_snapshot()) == []
    # ssh and both need the SSH rule that an ssm bastion has not.
    for mode in ("ssh", "both"):
        (finding,) = findings(ssm_snapshot(), bastion_access=mode)
        assert finding["id"] == "NOVA-SG-001"
        assert "the bastion is unreachable" in finding["detail"]


def test_egress_is_judged_by_the_private_egress_setting():
    snap = good_snapshot()
    database = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.2.0/24"}]}
    sg(snap, "sg-private")["egress"].append(database)
    wider = [
        {"proto": "tcp", "ports": [443], "cidr_ip": "0.0.0.0/0"},
        {"proto": "tcp", "ports": [5432], "cidr_ip": "10.0.0.0/16"},
    ]

    # Within a setting's CIDR and ports: accepted; the design's setting has no 5432.
    assert findings(snap, private_egress=wider) == []
    (finding,) = findings(snap)
    assert finding["id"] == "NOVA-SG-007"
    assert "egress tcp/5432 to cidr 10.0.2.0/24 is wider than the settings allow" in finding["detail"]
    # A port range wider than the allowed ports, and a destination outside the VPC for the bastion's SSH.
    database.update(FromPort=5000, ToPort=5432)
    assert [f["id"] for f in findings(snap, private_egress=wider)] == ["NOVA-SG-007"]
    sg(snap, "sg-private")["egress"].remove(database)
    sg(snap, "sg-bastion")["egress"].append(ssh_from_cidr("10.1.0.0/16"))
    (finding,) = findings(snap)
    assert "egress tcp/22 to cidr 10.1.0.0/16" in finding["detail"]
    assert "tcp/22 to 10.0.0.0/16, tcp/443 to 0.0.0.0/0" in finding["detail"]


def test_egress_check_maps_to_no_cis_control_and_says_why():
    spec = next(c for c in audit.CHECKS if c["id"] == "NOVA-SG-007")

    assert spec["cis"] is None
    assert "CIS 5.4 and FSBP EC2.2 cover only that group" in spec["reference"]


@pytest.mark.parametrize(
    "settings, fragment",
    [
        ({"bastion_access": "session-manager"}, "bastion_access: 'session-manager' is not an access mode"),
        ({"private_egress": [{"proto": "tcp", "ports": [443], "cidr_ip": "0.0.0.0/33"}]}, "private_egress[0]"),
        ({"private_egress": [{"proto": "icmp", "ports": [443], "cidr_ip": "0.0.0.0/0"}]}, "proto must be tcp or udp"),
    ],
)
def test_bad_access_settings_are_refused(settings, fragment):
    problems = audit.validate_settings({**audit.default_settings(), **settings})

    assert any(fragment in p for p in problems), problems
