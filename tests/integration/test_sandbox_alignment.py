"""End-to-end proofs of the sandbox's alignment with AWS: amazon.aws EIP/NAT modules are idempotent (tags), and
amazon.aws.s3_bucket sets and reads back a bucket's requester pays (GetBucketRequestPayment / PutBucketRequestPayment).

Without the sandbox's DescribeTags patch, moto files NAT gateway and EIP tags
under ``nat-gateway`` / ``vpc-elastic-ip``; amazon.aws looks them up as
``natgateway`` / ``elastic-ip``, finds nothing and re-tags (changed) on every run.
"""

from __future__ import annotations

import json

import pytest

from helpers import aws
from helpers import run_playbook
from helpers import run_tasks_counted
from helpers import sandbox_play

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


REQUESTER_PAYS = """    - name: The bucket
      amazon.aws.s3_bucket:
        name: nova-alignment-payer
        requester_pays: {requester_pays}
"""


def test_s3_bucket_sets_requester_pays_and_reruns_unchanged(empty_sandbox, tmp_path):
    """moto answered neither call (the PUT was taken for CreateBucket); on AWS, as in the sandbox, the module sets the
    payer, a rerun changes nothing, and setting it back is a change again."""
    port = empty_sandbox.port
    steps = [("The bucket", REQUESTER_PAYS.format(requester_pays=value)) for value in ("true", "true", "false")]
    (built, built_requests), (again, again_requests), (back, _back_requests) = run_tasks_counted(
        port, tmp_path, sandbox_play("A bucket whose requester pays"), steps)
    assert built["changed"] is True and built["requester_pays"] is True
    assert built_requests["s3:PutBucketRequestPayment"] == 1
    assert again["changed"] is False and again["requester_pays"] is True
    assert "s3:PutBucketRequestPayment" not in again_requests and again_requests["s3:GetBucketRequestPayment"] == 1
    assert back["changed"] is True and back["requester_pays"] is False
    assert aws(port, "s3").get_bucket_request_payment(Bucket="nova-alignment-payer")["Payer"] == "BucketOwner"
