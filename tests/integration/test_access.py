"""Access to the hosts: the dynamic inventory and the bastion role's SSH config, against the sandbox.

The instances are made with boto3 (a bastion and a private host per region, as the stack tags them, plus
instances the inventory must leave out), so this runs in seconds instead of building the whole stack.
The sandbox's instances cannot be reached over SSH: the tests check what ssh would be told, not a login.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess

import pytest

from sandbox import sandboxctl

from helpers import BIN
from helpers import REPO
from helpers import aws
from helpers import run_playbook

INVENTORY = "inventories/sandbox/aws_ec2.yml"
PREFIX = "nova-production"
COMMON_TAGS = {"Project": "nova", "Environment": "production", "ManagedBy": "ansible", "Stack": PREFIX}
# The bastion role's ssh_config tasks on their own, with site.yml's module_defaults.
SSH_CONFIG_PLAYBOOK = """
- name: Write the SSH config of the bastion
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/nova.infra.aws:
      region: "{{ nova_region | default('us-west-2') }}"
      endpoint_url: "{{ nova_aws_endpoint_url | default(omit) }}"
      access_key: "{{ nova_aws_access_key | default(omit) }}"
      secret_key: "{{ nova_aws_secret_key | default(omit) }}"
      profile: "{{ nova_aws_profile | default(omit) }}"
      aws_config: "{{ nova_aws_config | default({'retries': {'mode': 'standard', 'max_attempts': 10}}) }}"
  tasks:
    - name: Bastion role, SSH config only
      ansible.builtin.include_role:
        name: nova.infra.bastion
        tasks_from: ssh_config
"""


def _tag_spec(tags: dict) -> list[dict]:
    return [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def _network(ec2, cidr: str) -> tuple[str, str, str]:
    """A VPC with one public (MapPublicIpOnLaunch) and one private subnet, tagged like the network role's."""
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": f"{PREFIX}-vpc"}])
    base = cidr.rsplit(".", 2)[0]
    # In the region's first zone: one AWS leaves to chance may not offer t3.micro (us-east-1e does not).
    zone = f"{ec2.meta.region_name}a"
    public = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{base}.0.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    private = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{base}.2.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    return vpc_id, public, private


def _instance(ec2, subnet_id: str, tags: dict) -> dict:
    image_id = sandboxctl.amazon_linux_image_id(ec2)
    instance_id = ec2.run_instances(
        ImageId=image_id,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        TagSpecifications=_tag_spec(tags),
    )["Instances"][0]["InstanceId"]
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def _bastion(ec2, subnet_id: str) -> dict:
    return _instance(ec2, subnet_id, {**COMMON_TAGS, "Name": f"{PREFIX}-bastion", "Role": "bastion"})


def _app(ec2, subnet_id: str, name: str = "app") -> dict:
    return _instance(ec2, subnet_id, {**COMMON_TAGS, "Name": f"{PREFIX}-{name}", "Role": name})


def _host(instance: dict) -> str:
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    return f"{tags['Name']}_{instance['InstanceId']}"


@pytest.fixture(scope="module")
def stack(sandbox):
    """Primary and DR region: a bastion and a private host each; an orphan private host in a VPC with no
    bastion; a stopped stack instance and another stack's instance, both to be left out.
    Built once for the module (no test here writes to AWS) and wiped afterwards."""
    sandboxctl.reset(sandboxctl.endpoint(sandbox.port))
    west, east = aws(sandbox.port, "ec2"), aws(sandbox.port, "ec2", "us-east-1")
    vpc_west, public_west, private_west = _network(west, "10.0.0.0/16")
    vpc_east, public_east, private_east = _network(east, "10.1.0.0/16")
    vpc_orphan, _public_orphan, private_orphan = _network(east, "10.2.0.0/16")
    stopped = _app(west, private_west, "stopped")
    west.stop_instances(InstanceIds=[stopped["InstanceId"]])
    foreign = _instance(west, private_west, {"Name": "other-app", "Stack": "other", "Role": "app"})
    yield {
        "bastion": _bastion(west, public_west),
        "app": _app(west, private_west),
        "bastion_dr": _bastion(east, public_east),
        "app_dr": _app(east, private_east),
        "orphan": _app(east, private_orphan, "orphan"),
        "vpc": {"west": vpc_west, "east": vpc_east, "orphan": vpc_orphan},
        "left_out": [stopped["InstanceId"], foreign["InstanceId"]],
    }
    # Two VPCs named nova-production-vpc would confuse the next module's build.
    sandboxctl.reset(sandboxctl.endpoint(sandbox.port))


def _ssh_config_playbook(tmp_path):
    playbook = tmp_path / "ssh_config.yml"
    playbook.write_text(SSH_CONFIG_PLAYBOOK)
    return playbook


def _plain(value):
    """ansible-inventory --list keeps the unsafe marker of values from AWS: {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _inventory_list(port: int) -> dict:
    env = dict(os.environ, NOVA_SANDBOX_PORT=str(port), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", INVENTORY, "--list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Failed to parse" not in proc.stderr, proc.stderr
    return _plain(json.loads(proc.stdout))


def _members(inventory: dict, group: str) -> set[str]:
    return set(inventory.get(group, {}).get("hosts", []))


def test_inventory_groups_and_addresses(stack, port):
    inventory = _inventory_list(port)
    hostvars = inventory["_meta"]["hostvars"]
    bastions = {_host(stack["bastion"]), _host(stack["bastion_dr"])}
    privates = {_host(stack["app"]), _host(stack["app_dr"]), _host(stack["orphan"])}

    # Only running instances of this stack, named <Name>_<instance id>.
    assert set(hostvars) == bastions | privates
    assert not any(instance_id in name for name in hostvars for instance_id in stack["left_out"])
    assert _members(inventory, "bastion") == bastions
    assert _members(inventory, "private") == privates
    assert _members(inventory, "role_bastion") == bastions
    assert _members(inventory, "role_app") == {_host(stack["app"]), _host(stack["app_dr"])}
    assert _members(inventory, "env_production") == bastions | privates
    assert _host(stack["app_dr"]) in _members(inventory, "region_us_east_1")
    az = stack["app"]["Placement"]["AvailabilityZone"]
    assert _host(stack["app"]) in _members(inventory, "az_" + az.replace("-", "_"))

    for key in ("bastion", "bastion_dr"):
        assert stack[key].get("PublicIpAddress"), "the bastions need a public IP for this test"
        assert hostvars[_host(stack[key])]["ansible_host"] == stack[key]["PublicIpAddress"]
    for key in ("app", "app_dr", "orphan"):
        assert hostvars[_host(stack[key])]["ansible_host"] == stack[key]["PrivateIpAddress"]
    assert {vars_["ansible_user"] for vars_ in hostvars.values()} == {"ec2-user"}


def test_private_hosts_jump_through_the_bastion_of_their_vpc(stack, port, tmp_path):
    playbook = tmp_path / "connection_vars.yml"
    playbook.write_text(
        """
- name: Show the connection variables ssh would get
  hosts: aws_ec2
  gather_facts: false
  tasks:
    - name: Connection variables
      ansible.builtin.debug:
        msg:
          host: "{{ ansible_host }}"
          user: "{{ ansible_user }}"
          key: "{{ ansible_ssh_private_key_file }}"
          ssh_args: "{{ ansible_ssh_common_args | default('') }}"
"""
    )
    secrets = tmp_path / "secrets"
    run = run_playbook(port, str(playbook), "-i", INVENTORY, "-e", f"nova_secrets_dir={secrets}")
    results = run.results["plays"][0]["tasks"][0]["hosts"]
    key = f"{secrets}/{PREFIX}-bastion-key"

    for app, bastion in (("app", "bastion"), ("app_dr", "bastion_dr")):
        got = results[_host(stack[app])]["msg"]
        assert got["host"] == stack[app]["PrivateIpAddress"]
        assert got["key"] == key
        # The bastion hop gets the key too: ssh would not pass a command-line IdentityFile on to a ProxyJump host.
        assert f"-i {key} " in got["ssh_args"]
        assert got["ssh_args"].startswith('-o ProxyCommand="ssh -W %h:%p ')
        assert got["ssh_args"].endswith(f'ec2-user@{stack[bastion]["PublicIpAddress"]}"')

    bastion = results[_host(stack["bastion"])]["msg"]
    assert bastion == {"host": stack["bastion"]["PublicIpAddress"], "user": "ec2-user", "key": key, "ssh_args": ""}

    # A private host whose VPC has no bastion is not sent through another VPC's bastion.
    orphan = results[_host(stack["orphan"])]
    assert orphan.get("failed")
    assert f"No running bastion (tag Role=bastion) of VPC {stack['vpc']['orphan']}" in orphan["msg"]
    assert "Fix: run site.yml" in orphan["msg"]


def test_bastion_role_writes_the_ssh_config(stack, port, tmp_path):
    playbook = _ssh_config_playbook(tmp_path)
    key_dir = tmp_path / "secrets"
    args = ("-i", "inventories/sandbox/hosts.yml", "-e", f"bastion_key_dir={key_dir}")
    config = key_dir / "ssh_config"

    check = run_playbook(port, str(playbook), *args, "--check")
    assert check.failed == 0, check.failure_messages() or check.stderr
    assert check.changed >= 1
    assert not key_dir.exists()

    first = run_playbook(port, str(playbook), *args, "--diff")
    assert first.failed == 0, first.failure_messages() or first.stderr
    assert "nova.infra.bastion : Write the SSH config for the bastion and the private hosts behind it" in first.changed_tasks()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700

    text = config.read_text()
    key = f"{key_dir}/{PREFIX}-bastion-key"
    bastion_block, private_block = text.split("\nHost ")[1:]
    assert bastion_block.split("\n")[0] == "nova-bastion"
    assert f"HostName {stack['bastion']['PublicIpAddress']}" in bastion_block
    for block in (bastion_block, private_block):
        for line in ("User ec2-user", f"IdentityFile {key}", "IdentitiesOnly yes", "ServerAliveInterval 30",
                     "StrictHostKeyChecking accept-new"):
            assert f"    {line}\n" in block
    assert private_block.split("\n")[0] == "10.0.*"
    assert "    ProxyJump nova-bastion\n" in private_block
    assert "PRIVATE KEY" not in text

    again = run_playbook(port, str(playbook), *args)
    assert again.failed == 0, again.failure_messages() or again.stderr
    assert again.changed == 0, again.changed_tasks()
    check_again = run_playbook(port, str(playbook), *args, "--check")
    assert check_again.changed == 0, check_again.changed_tasks()

    if shutil.which("ssh"):
        resolved = subprocess.run(
            ["ssh", "-G", "-F", str(config), stack["app"]["PrivateIpAddress"]],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()
        assert "proxyjump nova-bastion" in resolved
        assert f"identityfile {key}" in resolved


def test_ssh_config_without_a_bastion_fails_with_the_fix(stack, port, tmp_path):
    # Another stack's prefix: no VPC and no bastion of that name exist.
    playbook = _ssh_config_playbook(tmp_path)
    key_dir = tmp_path / "secrets"
    run = run_playbook(
        port, str(playbook), "-i", "inventories/sandbox/hosts.yml",
        "-e", f"bastion_key_dir={key_dir}", "-e", "bastion_name_prefix=nova-missing",
    )
    assert run.failed == 1
    message = " ".join(run.failure_messages())
    assert "one VPC named nova-missing-vpc (found 0)" in message
    assert "a running instance tagged Name=nova-missing-bastion, Role=bastion with a public IP (running ones found: 0)" in message
    assert "Fix: run site.yml" in message
    assert not (key_dir / "ssh_config").exists()
