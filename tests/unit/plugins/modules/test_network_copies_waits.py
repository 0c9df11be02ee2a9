# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The read-back loops of nova.infra's copies of ec2_vpc_net, ec2_vpc_subnet and ec2_vpc_igw (docs/upstream-patches.md)
under the eventual consistency the sandbox does not show: a resource not yet visible, still pending or not yet as
written is read again at once, then after 0.25, 0.5, 1 ... s, and the module fails at its bound instead of returning
what it did not see. A fake clock: no test sleeps."""

from types import SimpleNamespace

import pytest

from ansible_collections.nova.infra.plugins.module_utils import readback
from ansible_collections.nova.infra.plugins.modules import ec2_vpc_igw
from ansible_collections.nova.infra.plugins.modules import ec2_vpc_net
from ansible_collections.nova.infra.plugins.modules import ec2_vpc_subnet


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, **params):
        self.params = params

    def fail_json(self, msg=None, **kwargs):
        raise Failed(msg)


def reads(*answers):
    """A describe answering `answers` in turn (the last one forever)."""
    answers = list(answers)

    def describe(*args, **kwargs):
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return describe


@pytest.fixture
def clock(fake_clock, monkeypatch):
    clock = fake_clock
    # The loops are module_utils.readback's; the subnet copy counts its bound from its own start time.
    monkeypatch.setattr(readback, "time", SimpleNamespace(monotonic=clock.time, sleep=clock.sleep))
    monkeypatch.setattr(ec2_vpc_subnet, "time", SimpleNamespace(time=clock.time, sleep=clock.sleep))
    return clock


def subnet(state="available", map_public=False):
    return {"id": "subnet-1", "state": state, "map_public_ip_on_launch": map_public,
            "assign_ipv6_address_on_creation": False}


SUBNET_PARAMS = dict(vpc_id="vpc-1", cidr="10.0.1.0/24", map_public=True, assign_instances_ipv6=False, wait_timeout=300)


def test_a_new_subnet_is_read_until_it_is_available_with_the_map_public_just_set(clock, monkeypatch):
    monkeypatch.setattr(ec2_vpc_subnet, "get_matching_subnet", reads(
        None, subnet(state="pending"), subnet(map_public=False), subnet(map_public=True)))
    got = ec2_vpc_subnet.wait_for_new_subnet(None, FakeModule(**SUBNET_PARAMS), clock.now)
    assert got == subnet(map_public=True)
    assert clock.slept == [0.25, 0.5, 1]


def test_a_new_subnet_that_never_reads_back_fails_at_wait_timeout(clock, monkeypatch):
    monkeypatch.setattr(ec2_vpc_subnet, "get_matching_subnet", reads(None))
    with pytest.raises(Failed, match="Failed to describe newly created subnet"):
        ec2_vpc_subnet.wait_for_new_subnet(None, FakeModule(**SUBNET_PARAMS), clock.now)
    assert sum(clock.slept) <= 300 and clock.slept[:4] == [0.25, 0.5, 1, 2] and max(clock.slept) == 5


def test_a_new_subnet_whose_map_public_never_shows_fails_at_wait_timeout(clock, monkeypatch):
    monkeypatch.setattr(ec2_vpc_subnet, "get_matching_subnet", reads(subnet(map_public=False)))
    with pytest.raises(Failed, match="Timeout waiting for the new subnet subnet-1"):
        ec2_vpc_subnet.wait_for_new_subnet(None, FakeModule(**SUBNET_PARAMS), clock.now)


def vpc(state="available", tags=None):
    return [{"VpcId": "vpc-1", "State": state, "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}]


def test_a_new_vpc_is_read_until_it_is_available_with_its_tags_as_sent(clock, monkeypatch):
    # A tag value given as a number is sent as a string, and compared so.
    tags = {"Name": "nova-vpc", "Generation": 2}
    monkeypatch.setattr(ec2_vpc_net, "describe_vpcs", reads(
        [], vpc(state="pending"), vpc(tags={"Name": "nova-vpc"}), vpc(tags={"Name": "nova-vpc", "Generation": "2"})))
    got = ec2_vpc_net.wait_for_new_vpc(None, FakeModule(), "vpc-1", tags)
    assert got == vpc(tags={"Name": "nova-vpc", "Generation": "2"})[0]
    assert clock.slept == [0.25, 0.5, 1]


def test_a_new_vpc_that_never_becomes_available_fails_after_300_s(clock, monkeypatch):
    monkeypatch.setattr(ec2_vpc_net, "describe_vpcs", reads(vpc(state="pending")))
    with pytest.raises(Failed, match="Timeout waiting for the new VPC vpc-1"):
        ec2_vpc_net.wait_for_new_vpc(None, FakeModule(), "vpc-1", {})
    assert 295 <= sum(clock.slept) <= 300


def igw_manager(monkeypatch, *answers):
    manager = ec2_vpc_igw.AnsibleEc2Igw.__new__(ec2_vpc_igw.AnsibleEc2Igw)
    manager._module = FakeModule()
    monkeypatch.setattr(manager, "get_matching_igw", reads(*answers))
    return manager


def igw(*states):
    return {"internet_gateway_id": "igw-1", "attachments": [{"state": s, "vpc_id": "vpc-1"} for s in states], "tags": []}


def test_a_new_gateway_is_read_until_its_attachment_is_available(clock, monkeypatch):
    manager = igw_manager(monkeypatch, None, igw(), igw("attaching"), igw("available"))
    assert manager.wait_for_new_igw("igw-1", "vpc-1") == igw("available")
    assert clock.slept == [0.25, 0.5, 1]


def test_a_new_gateway_without_a_vpc_is_read_until_it_is_there(clock, monkeypatch):
    manager = igw_manager(monkeypatch, None, igw())
    assert manager.wait_for_new_igw("igw-1", None) == igw()
    assert clock.slept == [0.25]


def test_a_new_gateway_never_attached_fails_after_200_s(clock, monkeypatch):
    manager = igw_manager(monkeypatch, igw("attaching"))
    with pytest.raises(Failed, match="Timeout waiting for the new internet gateway igw-1"):
        manager.wait_for_new_igw("igw-1", "vpc-1")
    assert 195 <= sum(clock.slept) <= 200
