"""Least-privilege egress and Session Manager access to the bastion (#15), against the sandbox.

The network and bastion roles alone (as site.yml runs them, without storage and monitoring, to keep it short):
bastion_access=ssm builds the role (trusted by EC2, AWS managed policy AmazonSSMManagedInstanceCore), its instance
profile on the launch template and the instance, a bastion security group with no ingress at all; both groups send
out exactly what their settings say. Check mode first, then the change, then the same run again. The audit accepts
that bastion, reports a widened egress and a detached policy; bastion_access=ssh puts SSH back and takes the profile
off the template; the teardown leaves no IAM role or instance profile.
"""

from __future__ import annotations

import json
import shutil

import pytest
from botocore.exceptions import ClientError

from sandbox import sandboxctl

from helpers import REPO
from helpers import aws
from helpers import run_playbook

pytestmark = pytest.mark.integration

PREFIX = "nova-production"
NAME = f"{PREFIX}-bastion-us-west-2"
SSM_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
INVENTORY = ("-i", "inventories/sandbox/hosts.yml")
# The private group's egress as a setting: the design's HTTPS and a database port inside the VPC.
PRIVATE_EGRESS = [
    {"proto": "tcp", "ports": [443], "cidr_ip": "0.0.0.0/0", "rule_desc": "HTTPS"},
    {"proto": "tcp", "ports": [5432], "cidr_ip": "10.0.0.0/16", "rule_desc": "PostgreSQL in the VPC"},
]
MODULE_DEFAULTS = """
  module_defaults:
    group/nova.infra.aws:
      region: "{{ nova_region | default('us-west-2') }}"
      endpoint_url: "{{ nova_aws_endpoint_url | default(omit) }}"
      access_key: "{{ nova_aws_access_key | default(omit) }}"
      secret_key: "{{ nova_aws_secret_key | default(omit) }}"
"""
BUILD = """
- name: Network and bastion, as site.yml runs them
  hosts: localhost
  connection: local
  gather_facts: false
""" + MODULE_DEFAULTS + """
  tasks:
    - name: Network
      ansible.builtin.include_role:
        name: nova.infra.network
    - name: Bastion
      ansible.builtin.include_role:
        name: nova.infra.bastion
      vars:
        bastion_network: "{{ network_outputs | default({}) }}"
"""
TEARDOWN = """
- name: Bastion and network removed, as teardown.yml removes them
  hosts: localhost
  connection: local
  gather_facts: false
""" + MODULE_DEFAULTS + """
  vars:
    nova_state: absent
  tasks:
    - name: Bastion
      ansible.builtin.include_role:
        name: nova.infra.bastion
    - name: Network
      ansible.builtin.include_role:
        name: nova.infra.network
"""
AUDIT = """
- name: Audit the bastion's access and the groups' egress
  hosts: localhost
  connection: local
  gather_facts: false
""" + MODULE_DEFAULTS + """
  tasks:
    - name: Audit
      nova.infra.stack_audit:
        bastion_access: "{{ audit_access }}"
        private_egress: "{{ audit_private_egress }}"
        skip_checks: [NOVA-S3-006, NOVA-MON-001, NOVA-MON-002, NOVA-MON-003, NOVA-LOG-001, NOVA-LOG-002]
        fail_on: none
"""


def _extra(**variables) -> tuple[str, str]:
    return ("-e", json.dumps(variables))


@pytest.fixture(scope="module")
def playbooks(sandbox, tmp_path_factory):
    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    work = tmp_path_factory.mktemp("ssm")
    paths = {}
    for name, text in (("build", BUILD), ("teardown", TEARDOWN), ("audit", AUDIT)):
        paths[name] = work / f"{name}.yml"
        paths[name].write_text(text)
    paths["keys"] = work / "secrets"
    yield paths
    sandboxctl.reset(sandboxctl.endpoint(sandbox))


def _build(port, playbooks, *args, access="ssm"):
    return run_playbook(
        port, str(playbooks["build"]), *INVENTORY,
        *_extra(bastion_access=access, bastion_private_egress=PRIVATE_EGRESS, bastion_key_dir=str(playbooks["keys"])),
        *args,
    )


def _audit(port, playbooks, access="ssm") -> dict:
    run = run_playbook(
        port, str(playbooks["audit"]), *INVENTORY, *_extra(audit_access=access, audit_private_egress=PRIVATE_EGRESS)
    )
    assert run.failed == 0, run.failure_messages() or run.stderr
    result = run.results["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return {"checks": {c["id"]: c["status"] for c in result["checks"]}, "findings": result["findings"]}


def _groups(ec2) -> dict:
    return {
        g["GroupName"]: g
        for g in ec2.describe_security_groups(Filters=[{"Name": "tag:Stack", "Values": [PREFIX]}])["SecurityGroups"]
    }


def _rules(permissions) -> set[tuple]:
    """(protocol, from, to, destination) of every destination of the permissions."""
    return {
        (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r.get("CidrIp") or r.get("GroupId"))
        for p in permissions
        for r in p.get("IpRanges", []) + p.get("UserIdGroupPairs", [])
    }


def _latest_template_data(ec2) -> dict:
    versions = ec2.describe_launch_template_versions(LaunchTemplateName=f"{PREFIX}-bastion-lt", Versions=["$Default"])
    return versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]


def _bastion_instances(ec2) -> list[dict]:
    found = ec2.describe_instances(
        Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-bastion"]}, {"Name": "instance-state-name", "Values": ["running"]}]
    )
    return [i for r in found["Reservations"] for i in r["Instances"]]


def test_session_manager_bastion_check_build_and_rerun(playbooks, port):
    ec2, iam = aws(port, "ec2"), aws(port, "iam")
    # The network first, so the check run has a VPC to look at.
    first = _build(port, playbooks, access="ssh")
    assert first.failed == 0, first.failure_messages() or first.stderr

    check = _build(port, playbooks, "--check")
    assert check.failed == 0, check.failure_messages() or check.stderr
    changed = check.changed_tasks()
    assert any("Create the role the bastion runs as" in name for name in changed), changed
    assert any("Put the role in the bastion's instance profile" in name for name in changed), changed
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName=NAME)
    assert _rules(_groups(ec2)[f"{PREFIX}-bastion-sg"]["IpPermissions"]) == {("tcp", 22, 22, "203.0.113.0/24")}

    build = _build(port, playbooks)
    assert build.failed == 0, build.failure_messages() or build.stderr

    role = iam.get_role(RoleName=NAME)["Role"]
    statement = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement == [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    attached = iam.list_attached_role_policies(RoleName=NAME)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [SSM_POLICY]
    assert iam.list_role_policies(RoleName=NAME)["PolicyNames"] == []
    profile = iam.get_instance_profile(InstanceProfileName=NAME)["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [NAME]
    assert _latest_template_data(ec2)["IamInstanceProfile"] == {"Arn": profile["Arn"]}
    (instance,) = _bastion_instances(ec2)
    assert instance["IamInstanceProfile"]["Arn"] == profile["Arn"]

    groups = _groups(ec2)
    bastion, private = groups[f"{PREFIX}-bastion-sg"], groups[f"{PREFIX}-private-sg"]
    # Session Manager only: no ingress at all.
    assert bastion["IpPermissions"] == []
    assert _rules(bastion["IpPermissionsEgress"]) == {("tcp", 22, 22, "10.0.0.0/16"), ("tcp", 443, 443, "0.0.0.0/0")}
    assert _rules(private["IpPermissions"]) == {("tcp", 22, 22, bastion["GroupId"])}
    assert _rules(private["IpPermissionsEgress"]) == {("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 5432, 5432, "10.0.0.0/16")}

    again = _build(port, playbooks)
    assert again.failed == 0, again.failure_messages() or again.stderr
    assert again.changed == 0, again.changed_tasks()
    check_again = _build(port, playbooks, "--check")
    assert check_again.changed == 0, check_again.changed_tasks()


def test_audit_accepts_the_ssm_bastion_and_reports_widened_egress_and_a_detached_policy(playbooks, port):
    ec2, iam = aws(port, "ec2"), aws(port, "iam")
    audit = _audit(port, playbooks)
    for check_id in ("NOVA-SG-001", "NOVA-SG-002", "NOVA-SG-006", "NOVA-SG-007", "NOVA-EC2-005"):
        assert audit["checks"][check_id] == "pass", audit["findings"]
    # The same stack judged as an SSH bastion: unreachable over SSH.
    ssh = _audit(port, playbooks, access="ssh")
    assert ssh["checks"]["NOVA-SG-001"] == "fail"

    private = _groups(ec2)[f"{PREFIX}-private-sg"]
    ec2.authorize_security_group_egress(
        GroupId=private["GroupId"], IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    iam.detach_role_policy(RoleName=NAME, PolicyArn=SSM_POLICY)
    audit = _audit(port, playbooks)
    found = {f["id"]: f for f in audit["findings"]}
    assert set(found) == {"NOVA-SG-007", "NOVA-EC2-005"}, audit["findings"]
    assert "egress all traffic to cidr 0.0.0.0/0 is wider than the settings allow" in found["NOVA-SG-007"]["detail"]
    assert found["NOVA-SG-007"]["resource"].startswith(private["GroupId"])
    assert found["NOVA-SG-007"]["cis"] is None
    assert "lacks the AWS managed policy AmazonSSMManagedInstanceCore" in found["NOVA-EC2-005"]["detail"]

    # The drift check names the widened egress; the role puts both back.
    drift = _build(port, playbooks, "--check", "--diff")
    assert {"nova.infra.bastion : Allow SSH to private instances only from the bastion security group (never from a CIDR)",
            "nova.infra.bastion : Create the role the bastion runs as (trusted by EC2 only, AWS managed policy "
            "AmazonSSMManagedInstanceCore)"} <= set(drift.changed_tasks())
    repair = _build(port, playbooks)
    assert repair.failed == 0, repair.failure_messages() or repair.stderr
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=NAME)["AttachedPolicies"]] == [SSM_POLICY]
    assert _rules(_groups(ec2)[f"{PREFIX}-private-sg"]["IpPermissionsEgress"]) == {
        ("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 5432, 5432, "10.0.0.0/16")
    }
    assert _audit(port, playbooks)["findings"] == []


def test_back_to_ssh_puts_ssh_back_and_takes_the_profile_off_the_template(playbooks, port):
    ec2 = aws(port, "ec2")
    run = _build(port, playbooks, access="ssh")
    assert run.failed == 0, run.failure_messages() or run.stderr
    assert "IamInstanceProfile" not in _latest_template_data(ec2)
    bastion = _groups(ec2)[f"{PREFIX}-bastion-sg"]
    assert _rules(bastion["IpPermissions"]) == {("tcp", 22, 22, "203.0.113.0/24")}
    assert _rules(bastion["IpPermissionsEgress"]) == {("tcp", 22, 22, "10.0.0.0/16"), ("tcp", 443, 443, "0.0.0.0/0")}
    again = _build(port, playbooks, access="ssh")
    assert again.changed == 0, again.changed_tasks()


def test_a_key_generated_beside_an_existing_key_pair_is_said_not_to_open_the_bastion(playbooks, port, tmp_path):
    """A new machine (no key in bastion_key_dir) against a stack whose key pair exists: the role keeps the key pair,
    generates a key that is not in it, and says so (FAILURE_ANALYSIS 'SSH Key Pair Issues'); it does not fail, as an
    execution environment does this on every job and never logs in with the key."""
    ec2 = aws(port, "ec2")

    def public_key():
        return ec2.describe_key_pairs(KeyNames=[f"{PREFIX}-bastion-key"], IncludePublicKey=True)["KeyPairs"][0]["PublicKey"]

    before = public_key()
    new_machine = tmp_path / "new-machine"
    run = run_playbook(port, str(playbooks["build"]), *INVENTORY, *_extra(
        bastion_access="ssh", bastion_private_egress=PRIVATE_EGRESS, bastion_key_dir=str(new_machine)))
    assert run.failed == 0, run.failure_messages() or run.stderr
    notes = [result["msg"] for task in run.results["plays"][0]["tasks"]
             if "Say that the key generated in this run" in task["task"]["name"]
             for result in task["hosts"].values() if "msg" in result]
    assert len(notes) == 1, notes
    assert "does not open the bastion" in notes[0] and "bastion_rotate_key=true" in notes[0]
    assert str(new_machine / f"{PREFIX}-bastion-key.pub") in notes[0]
    assert public_key() == before
    # A run with the machine's own key says nothing.
    again = run_playbook(port, str(playbooks["build"]), *INVENTORY, *_extra(
        bastion_access="ssh", bastion_private_egress=PRIVATE_EGRESS, bastion_key_dir=str(playbooks["keys"])))
    assert again.changed == 0, again.changed_tasks()
    assert not [task for task in again.results["plays"][0]["tasks"]
                if "Say that the key generated in this run" in task["task"]["name"]
                and any("msg" in result for result in task["hosts"].values())]


CONNECTION_VARS = """
- name: Show the connection variables of the Session Manager inventory
  hosts: aws_ec2
  gather_facts: false
  tasks:
    - name: Connection variables
      ansible.builtin.debug:
        msg:
          connection: "{{ ansible_connection }}"
          instance_id: "{{ ansible_aws_ssm_instance_id | default('') }}"
          region: "{{ ansible_aws_ssm_region | default('') }}"
          bucket: "{{ ansible_aws_ssm_bucket_name | default('') }}"
          ssh_args: "{{ ansible_ssh_common_args | default('') }}"
"""


def test_the_ssm_inventory_reaches_the_bastion_through_session_manager(playbooks, port, tmp_path):
    ec2 = aws(port, "ec2")
    (bastion,) = _bastion_instances(ec2)
    private_subnet = ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [bastion["VpcId"]]}, {"Name": "tag:Type", "Values": ["Private"]}]
    )["Subnets"][0]["SubnetId"]
    tags = [{"Key": k, "Value": v} for k, v in
            {"Name": f"{PREFIX}-app", "Role": "app", "Stack": PREFIX, "Environment": "production"}.items()]
    app = ec2.run_instances(
        ImageId=bastion["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=private_subnet,
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )["Instances"][0]
    # inventories/ssm as it is, pointed at the sandbox as inventories/sandbox/aws_ec2.yml is.
    inventory = tmp_path / "ssm"
    shutil.copytree(REPO / "inventories" / "ssm", inventory)
    source = (inventory / "aws_ec2.yml").read_text()
    (inventory / "aws_ec2.yml").write_text(
        source + f"endpoint_url: http://127.0.0.1:{port}\naccess_key: testing\nsecret_key: testing\n"
    )
    playbook = tmp_path / "connection_vars.yml"
    playbook.write_text(CONNECTION_VARS)
    run = run_playbook(port, str(playbook), "-i", str(inventory), "-e", "nova_ssm_bucket=ssm-transfer")
    assert run.failed == 0, run.failure_messages() or run.stderr
    results = {host.split("_")[-1]: r["msg"] for host, r in run.results["plays"][0]["tasks"][0]["hosts"].items()}

    assert results[bastion["InstanceId"]] == {
        "connection": "amazon.aws.aws_ssm", "instance_id": bastion["InstanceId"], "region": "us-west-2",
        "bucket": "ssm-transfer", "ssh_args": "",
    }
    private = results[app["InstanceId"]]
    assert private["connection"] == "ssh"
    assert private["ssh_args"].startswith('-o ProxyCommand="ssh -W %h:%p ')
    assert (f"-o 'ProxyCommand=aws ssm start-session --target {bastion['InstanceId']} --region us-west-2 "
            "--document-name AWS-StartSSHSession --parameters portNumber=22'") in private["ssh_args"]
    assert private["ssh_args"].endswith(f'ec2-user@{bastion["InstanceId"]}"')
    ec2.terminate_instances(InstanceIds=[app["InstanceId"]])


def test_teardown_leaves_no_role_or_instance_profile(playbooks, port):
    iam = aws(port, "iam")
    # Whatever bastion_access says now (ssh here, the role and profile of the ssm run are still there).
    assert iam.get_instance_profile(InstanceProfileName=NAME)["InstanceProfile"]["Roles"]
    check = run_playbook(port, str(playbooks["teardown"]), *INVENTORY, "--check")
    assert check.failed == 0, check.failure_messages() or check.stderr
    assert "nova.infra.bastion : Delete the bastion's instance profile (Session Manager)" in check.changed_tasks()
    assert iam.get_role(RoleName=NAME)

    run = run_playbook(port, str(playbooks["teardown"]), *INVENTORY)
    assert run.failed == 0, run.failure_messages() or run.stderr
    assert [p for p in iam.list_instance_profiles()["InstanceProfiles"] if p["InstanceProfileName"] == NAME] == []
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"] == NAME] == []
    again = run_playbook(port, str(playbooks["teardown"]), *INVENTORY)
    assert again.failed == 0 and again.changed == 0, again.changed_tasks()
