"""The AZ-loss drill's route verdicts (module_utils/az_drill.py): per-AZ NAT gateways hold in the healthy zone; a
shared NAT gateway in the lost zone is the single-NAT layout's expected loss; a healthy zone without one fails."""

from __future__ import annotations

import pytest

from ansible_collections.nova.infra.plugins.module_utils.az_drill import private_routes

SUBNETS = [
    {"id": "subnet-pub-a", "availability_zone": "us-west-2a"},
    {"id": "subnet-pub-b", "availability_zone": "us-west-2b"},
    {"id": "subnet-prv-a", "availability_zone": "us-west-2a"},
    {"id": "subnet-prv-b", "availability_zone": "us-west-2b"},
]


def table(table_id, subnet, nat):
    return {"id": table_id, "tags": {"Name": table_id}, "associations": [{"subnet_id": subnet}],
            "routes": [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local"},
                       {"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": nat}]}


def nat(nat_id, subnet, state):
    return {"nat_gateway_id": nat_id, "subnet_id": subnet, "state": state}


@pytest.mark.parametrize(
    "layout, b_state, expected",
    [
        ("per_az", "available", {"rt-a": "lost", "rt-b": "held"}),
        ("per_az", "failed", {"rt-a": "lost", "rt-b": "failed"}),
        ("single", None, {"rt-a": "lost", "rt-b": "lost-shared"}),
    ],
)
def test_each_private_table_is_judged_by_the_nat_gateway_it_routes_through(layout, b_state, expected):
    nats = [nat("nat-a", "subnet-pub-a", "failed")]
    if layout == "per_az":
        nats.append(nat("nat-b", "subnet-pub-b", b_state))
    tables = [table("rt-a", "subnet-prv-a", "nat-a"),
              table("rt-b", "subnet-prv-b", "nat-b" if layout == "per_az" else "nat-a")]
    verdicts = private_routes(tables, nats, SUBNETS, "us-west-2a")
    assert {v["route_table_id"]: v["status"] for v in verdicts} == expected
    assert [v["zones"] for v in verdicts] == [["us-west-2a"], ["us-west-2b"]]
    assert all(v["reason"] for v in verdicts)


def test_a_held_table_names_its_own_zones_nat_gateway():
    verdicts = private_routes([table("rt-b", "subnet-prv-b", "nat-b")], [nat("nat-b", "subnet-pub-b", "available")],
                              SUBNETS, "us-west-2a")
    assert verdicts[0]["nat_gateway_zone"] == "us-west-2b"
    assert "its own zone's NAT gateway nat-b" in verdicts[0]["reason"]


def test_a_table_without_a_default_route_in_a_healthy_zone_fails():
    bare = {"id": "rt-b", "associations": [{"subnet_id": "subnet-prv-b"}], "routes": []}
    (verdict,) = private_routes([bare], [], SUBNETS, "us-west-2a")
    assert verdict["status"] == "failed" and verdict["nat_gateway_id"] is None
