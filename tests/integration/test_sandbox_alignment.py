"""End-to-end proof of the sandbox's tag alignment: amazon.aws EIP/NAT modules are idempotent.

Without the sandbox's DescribeTags patch, moto files NAT gateway and EIP tags
under ``nat-gateway`` / ``vpc-elastic-ip``; amazon.aws looks them up as
``natgateway`` / ``elastic-ip``, finds nothing and re-tags (changed) on every run.
"""

from __future__ import annotations

import json

import pytest

from helpers import aws
from helpers import run_playbook

pytestmark = pytest.mark.integration

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/amazon.aws.aws:
      endpoint_url: "{{ endpoint }}"
      region: us-west-2
      access_key: testing
      secret_key: testing
  tasks:
    # ec2_eip reuses only unassociated addresses, so an EIP held by a NAT
    # gateway is found by its tag first (as on AWS) and then managed by IP.
    - name: Look up the NAT gateway's Elastic IP by its Name tag
      amazon.aws.ec2_eip_info:
        filters: {"tag:Name": nova-alignment-eip}
      register: found

    - name: Elastic IP for the NAT gateway
      amazon.aws.ec2_eip:
        in_vpc: true
        public_ip: "{{ found.addresses[0].public_ip | default(omit) }}"
        tags: {Name: nova-alignment-eip, Env: sandbox}
      register: eip

    - name: NAT gateway in the public subnet
      amazon.aws.ec2_vpc_nat_gateway:
        subnet_id: "{{ subnet_id }}"
        allocation_id: "{{ eip.allocation_id }}"
        if_exist_do_not_create: true
        wait: true
        tags: {Name: nova-alignment-nat, Env: sandbox}
"""


def test_eip_and_nat_gateway_with_tags_are_idempotent(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    ec2 = aws(port, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    playbook = tmp_path / "eip_nat.yml"
    playbook.write_text(PLAYBOOK)
    extra_vars = json.dumps({"endpoint": f"http://127.0.0.1:{port}", "subnet_id": subnet})

    first = run_playbook(port, str(playbook), "-e", extra_vars, timeout=180)
    assert first.returncode == 0, first.failure_messages() or first.stderr[-3000:]
    assert first.changed == 2
    second = run_playbook(port, str(playbook), "-e", extra_vars, timeout=180)
    assert second.returncode == 0, second.failure_messages() or second.stderr[-3000:]
    assert second.changed == 0, second.changed_tasks()
    assert len(ec2.describe_addresses()["Addresses"]) == 1
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1
