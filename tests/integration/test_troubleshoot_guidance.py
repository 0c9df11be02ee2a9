"""The nova.infra.troubleshoot callback explains real amazon.aws failures against the sandbox."""

from __future__ import annotations

import pytest
from conftest import sandboxctl

from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import CATALOGUE

from helpers import aws
from helpers import run_playbook

pytestmark = pytest.mark.integration

# The sandbox inventory (ansible.cfg's default) supplies the endpoint and the throw-away keys.
AWS_DEFAULTS = """
  module_defaults:
    group/amazon.aws.aws:
      region: us-west-2
      endpoint_url: "{{ nova_aws_endpoint_url }}"
      access_key: "{{ nova_aws_access_key }}"
      secret_key: "{{ nova_aws_secret_key }}"
"""

SUBNET_FAILURES = (
    """
- name: Fail the way operators do
  hosts: localhost
  gather_facts: false
"""
    + AWS_DEFAULTS
    + """
  tasks:
    - name: Create the VPC
      amazon.aws.ec2_vpc_net:
        name: nova-ts-vpc
        cidr_block: 10.42.0.0/16
      register: vpc

    - name: Create subnets, one outside the VPC
      amazon.aws.ec2_vpc_subnet:
        vpc_id: "{{ vpc.vpc.id }}"
        cidr: "{{ item }}"
      loop: [10.42.0.0/24, 10.99.0.0/24]
      ignore_errors: true

    - name: Create a subnet in an availability zone that does not exist
      amazon.aws.ec2_vpc_subnet:
        vpc_id: "{{ vpc.vpc.id }}"
        cidr: 10.42.1.0/24
        az: us-west-2z
"""
)

CLOSED_ENDPOINT = """
- name: Talk to an endpoint nobody listens on
  hosts: localhost
  gather_facts: false
  tasks:
    - name: List the availability zones
      amazon.aws.aws_az_info:
        region: us-west-2
        endpoint_url: "http://127.0.0.1:{{ closed_port }}"
        access_key: "{{ nova_aws_access_key }}"
        secret_key: "{{ nova_aws_secret_key }}"
"""


@pytest.fixture
def callback_enabled(monkeypatch):
    monkeypatch.setenv("ANSIBLE_CALLBACKS_ENABLED", "nova.infra.troubleshoot")


def guidance(stdout: str) -> str:
    """What the callback printed: the json stdout callback's document starts at the first brace."""
    return stdout.partition("{")[0]


def block(code: str, context: str, task: str) -> list[str]:
    entry = CATALOGUE[code]
    return [f"AWS error {code} ({context}, task: {task})", f"  Cause: {entry['cause']}"] + [
        f"    {number}. {step}" for number, step in enumerate(entry["fix"], 1)
    ]


def test_amazon_aws_failures_are_explained(empty_sandbox, port, tmp_path, callback_enabled):
    playbook = tmp_path / "subnets.yml"
    playbook.write_text(SUBNET_FAILURES)
    run = run_playbook(port, str(playbook))

    assert run.returncode == 2, run.stderr
    # The real AWS-shaped failures, as the modules returned them.
    messages = "\n".join(run.failure_messages())
    assert "InvalidSubnet.Range" in messages and "InvalidParameterValue" in messages, messages
    ec2 = aws(port, "ec2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.99.0.0/24", "10.42.1.0/24"]}])
    assert subnets["Subnets"] == []

    printed = guidance(run.stdout)
    for line in block("InvalidSubnet.Range", "localhost, loop item, ignored", "Create subnets, one outside the VPC"):
        assert line in printed, printed
    az_task = "Create a subnet in an availability zone that does not exist"
    for line in block("InvalidParameterValue", "localhost", az_task):
        assert line in printed, printed
    assert "describe-availability-zones" in printed
    # Guidance is printed once per failure, and the JSON document after it is intact.
    assert printed.count("AWS error ") == 2
    assert run.stats["localhost"]["failures"] == 1 and run.stats["localhost"]["ignored"] == 1
    # Only catalogue text: nothing of the results (keys, request ids, endpoint) is echoed.
    for leak in ("testing", "request_id", f"127.0.0.1:{port}"):
        assert leak not in printed


def test_unreachable_endpoint_is_explained(sandbox, port, tmp_path, callback_enabled):
    # Below the kernel's ephemeral range (sandboxctl.free_port): a port in it could be the client's own source port,
    # and a connection to it could then reach itself.
    closed_port = sandboxctl.free_port()
    playbook = tmp_path / "closed.yml"
    playbook.write_text(CLOSED_ENDPOINT)
    run = run_playbook(port, str(playbook), "-e", f"closed_port={closed_port}")

    assert run.returncode == 2, run.stderr
    assert "Could not connect to the endpoint URL" in "\n".join(run.failure_messages())
    printed = guidance(run.stdout)
    for line in block("EndpointConnectionError", "localhost", "List the availability zones"):
        assert line in printed, printed
    assert "make sandbox-up" in printed
