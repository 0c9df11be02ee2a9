"""nova.infra.ec2_security_group (amazon.aws 10.1.2's ec2_security_group with waiters instead of sleeps and fewer
reads, docs/upstream-patches.md) against amazon.aws.ec2_security_group itself, on twin groups in the sandbox: the same
result and rules, the same idempotent rerun, with fewer reads: the region's whole list of groups only for a rule that
names a group, the group's tags from DescribeSecurityGroups, and no read-back when nothing changed."""

from __future__ import annotations

import json

import pytest

from helpers import aws
from helpers import run_tasks_counted
from helpers import sandbox_play

pytestmark = pytest.mark.integration

TASKS = """    - name: The group
      {module}:
        name: {name}
        description: twin groups of the copy test
        vpc_id: {vpc_id}
        rules:
          - proto: tcp
            ports: [22]
            cidr_ip: 203.0.113.0/24
            rule_desc: SSH from the office
          - proto: tcp
            ports: [443]
            group_id: {peer}
          - proto: tcp
            ports: [8080]
            {named}
        purge_rules: true
        rules_egress:
          - proto: tcp
            ports: [443]
            cidr_ip: 0.0.0.0/0
        purge_rules_egress: true
        tags:
          Project: nova
          Name: {name}
      register: group
    - name: Its result
      ansible.builtin.debug:
        var: group
"""


def _step(module, name, vpc_id, peer, named, check=False):
    """A step of run_tasks_counted: the group `name` with `module` (in check mode, with its diff, if asked)."""
    tasks = TASKS.format(module=module, name=name, vpc_id=vpc_id, peer=peer, named=named)
    if check:
        tasks = tasks.replace("      register: group\n", "      register: group\n      check_mode: true\n      diff: true\n")
    return "The group", tasks


def _apply(port, tmp_path, play_name, steps):
    """Runs the steps ((module, name) and _step's options) in one play: each one's masked result and requests."""
    counted = run_tasks_counted(port, tmp_path, sandbox_play(play_name),
                                [_step(module, name, *options) for (module, name), options in steps])
    return [(_masked(result, name), requests) for ((_module, name), _options), (result, requests) in zip(steps, counted, strict=True)]


def _masked(result, name):
    group_id = result.get("group_id")
    masked = json.loads(json.dumps(result).replace(name, "NAME").replace(group_id or "-", "GROUP"))
    # The order of the rules is AWS's (and the order the module authorised them in, a Python set's): not compared.
    for key in ("ip_permissions", "ip_permissions_egress"):
        masked[key] = sorted(masked.get(key, []), key=lambda rule: json.dumps(rule, sort_keys=True))
    return masked


TWINS = (("amazon.aws.ec2_security_group", "copy-test-upstream"), ("nova.infra.ec2_security_group", "copy-test-copy"))


@pytest.mark.parametrize("named", ["cidr_ip: 10.0.0.0/16", "group_name: copy-test-peer"], ids=["no-named-group", "a-named-group"])
def test_the_copy_builds_and_reruns_a_group_as_upstream_does_with_fewer_reads(empty_sandbox, tmp_path, named):
    port = empty_sandbox.port
    ec2 = aws(port, "ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    peer = ec2.create_security_group(GroupName="copy-test-peer", Description="peer", VpcId=vpc_id)["GroupId"]

    # Each twin built and rerun, in one ansible-playbook run.
    options = (vpc_id, peer, named)
    runs = iter(_apply(port, tmp_path, "Twin groups", [(twin, options) for twin in TWINS for _run in ("built", "again")]))
    results = {}
    for module, name in TWINS:
        (built, built_requests), (again, again_requests) = next(runs), next(runs)
        (group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
        rules = json.loads(json.dumps(sorted(
            json.dumps(p, sort_keys=True) for p in group["IpPermissions"] + group["IpPermissionsEgress"]
        )).replace(group["GroupId"], "GROUP"))
        results[module] = (built, built_requests, again, again_requests, rules)

    upstream, copy = results["amazon.aws.ec2_security_group"], results["nova.infra.ec2_security_group"]
    assert copy[0]["changed"] is True and copy[2]["changed"] is False
    assert copy[0] == upstream[0] and copy[2] == upstream[2]  # the same results, built and rerun
    assert copy[4] == upstream[4]  # the same rules in the sandbox

    def writes(requests):
        return {action: n for action, n in requests.items() if not action.split(":")[1].startswith(("Describe", "Get"))}

    assert writes(copy[1]) == writes(upstream[1]) and writes(copy[3]) == writes(upstream[3]) == {}
    # The rerun: no DescribeTags and no read-back; the region's groups only read for a rule naming a group.
    fewer = upstream[3].get("ec2:DescribeSecurityGroups", 0) - copy[3].get("ec2:DescribeSecurityGroups", 0)
    assert "ec2:DescribeTags" in upstream[3] and "ec2:DescribeTags" not in copy[3]
    assert fewer == (1 if "group_name" in named else 2), (upstream[3], copy[3])
    # The account is the group's owner as read (the new group's from its read-back): no STS call, built or rerun.
    assert upstream[1]["sts:GetCallerIdentity"] == upstream[3]["sts:GetCallerIdentity"] == 1
    assert "sts:GetCallerIdentity" not in copy[1] and "sts:GetCallerIdentity" not in copy[3]


def test_check_mode_reports_a_new_group_and_its_owner_as_upstream_does(empty_sandbox, tmp_path):
    """A group check mode would create has no owner to read: the copy asks STS for the account, as upstream does."""
    port = empty_sandbox.port
    ec2 = aws(port, "ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    peer = ec2.create_security_group(GroupName="copy-test-peer", Description="peer", VpcId=vpc_id)["GroupId"]
    # Both in check mode with their diff, in one ansible-playbook run: the same group name, neither creates it.
    options = (vpc_id, peer, "cidr_ip: 10.0.0.0/16", True)
    (upstream, _upstream_requests), (copy, copy_requests) = run_tasks_counted(
        port, tmp_path, sandbox_play("One group in check mode"),
        [_step(module, "copy-test-checked", *options) for module, _name in TWINS])
    assert copy["changed"] is True and copy == upstream
    assert copy["diff"][0]["after"]["owner_id"] == upstream["diff"][0]["after"]["owner_id"] != "None"
    assert copy_requests["sts:GetCallerIdentity"] == 1
    assert not ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["copy-test-checked"]}])["SecurityGroups"]


def test_tags_changed_by_hand_are_put_back_as_upstream_does_without_describe_tags(empty_sandbox, tmp_path):
    """An existing group whose tags differ: the copy sets and removes the same tags as upstream, from the tags
    DescribeSecurityGroups returned, where upstream reads them again with DescribeTags first."""
    port = empty_sandbox.port
    ec2 = aws(port, "ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    peer = ec2.create_security_group(GroupName="copy-test-peer", Description="peer", VpcId=vpc_id)["GroupId"]
    named = "cidr_ip: 10.0.0.0/16"

    options = (vpc_id, peer, named)
    _apply(port, tmp_path, "Twin groups", [(twin, options) for twin in TWINS])
    for _module, name in TWINS:
        # By hand: one tag changed, one added (purge_tags removes it), Name left as it is.
        ec2.create_tags(Resources=[_group_id(ec2, name)],
                        Tags=[{"Key": "Project", "Value": "other"}, {"Key": "Stray", "Value": "x"}])
    # Each twin repaired and rerun, in one ansible-playbook run.
    runs = iter(_apply(port, tmp_path, "Twin groups again", [(twin, options) for twin in TWINS for _run in ("repaired", "again")]))
    results = {}
    for module, name in TWINS:
        (repaired, repaired_requests), (again, _again_requests) = next(runs), next(runs)
        tags = {t["Key"]: t["Value"] for t in ec2.describe_tags(
            Filters=[{"Name": "resource-id", "Values": [_group_id(ec2, name)]}])["Tags"]}
        results[module] = (repaired, repaired_requests, again, tags)

    upstream, copy = results["amazon.aws.ec2_security_group"], results["nova.infra.ec2_security_group"]
    assert copy[0]["changed"] is True and copy[2]["changed"] is False
    assert copy[0] == upstream[0] and copy[2] == upstream[2]
    assert copy[3] == {"Project": "nova", "Name": "copy-test-copy"}
    assert upstream[3] == {"Project": "nova", "Name": "copy-test-upstream"}

    def writes(requests):
        return {action: n for action, n in requests.items() if not action.split(":")[1].startswith(("Describe", "Get"))}

    assert writes(copy[1]) == writes(upstream[1]) == {"ec2:CreateTags": 1, "ec2:DeleteTags": 1}
    assert upstream[1]["ec2:DescribeTags"] >= 1 and "ec2:DescribeTags" not in copy[1], (upstream[1], copy[1])


def _group_id(ec2, name):
    (group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    return group["GroupId"]
