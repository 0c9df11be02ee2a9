# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tag and bastion checks of the audit, each declared beside its rule."""

from ansible_collections.nova.infra.plugins.module_utils import stack
from ansible_collections.nova.infra.plugins.module_utils.audit_core import DESIGN
from ansible_collections.nova.infra.plugins.module_utils.audit_core import NotApplicable
from ansible_collections.nova.infra.plugins.module_utils.audit_core import _typed_subnets
from ansible_collections.nova.infra.plugins.module_utils.audit_core import check
from ansible_collections.nova.infra.plugins.module_utils.audit_core import cis
from ansible_collections.nova.infra.plugins.module_utils.audit_core import label

# ---------------------------------------------------------------- rules: tags and bastion


def _tagged_resources(snapshot):
    """(label, tags) of every resource found."""
    if snapshot["vpc"] is not None:
        yield "VPC " + label(snapshot["vpc"]["id"], snapshot["vpc"].get("tags")), snapshot["vpc"].get("tags", {})
    for kind, key, id_key in (
        ("subnet", "subnets", "id"),
        ("internet gateway", "internet_gateways", "id"),
        ("NAT gateway", "nat_gateways", "id"),
        ("Elastic IP", "eips", "allocation_id"),
        ("route table", "route_tables", "id"),
        ("security group", "security_groups", "id"),
        ("flow log", "flow_logs", "id"),
        ("VPC endpoint", "vpc_endpoints", "id"),
        ("instance", "instances", "id"),
    ):
        for item in snapshot.get(key, []):
            yield f"{kind} {label(item[id_key], item.get('tags'))}", item.get("tags", {})
    if snapshot["launch_template"] is not None:
        lt = snapshot["launch_template"]
        yield f"launch template {lt['name']} ({lt['id']})", lt.get("tags", {})
    if snapshot["asg"] is not None:
        yield f"Auto Scaling group {snapshot['asg']['name']}", snapshot["asg"].get("tags", {})
    if snapshot.get("key_pair"):
        pair = snapshot["key_pair"]
        yield f"key pair {pair['name']} ({pair.get('id')})", pair.get("tags", {})
    for bucket in snapshot["buckets"]:
        if bucket.get("exists"):
            yield f"bucket {bucket['name']}", bucket.get("tags", {})
    if snapshot.get("replication_role"):
        yield f"IAM role {snapshot['replication_role']['name']}", snapshot["replication_role"].get("tags", {})
    if (snapshot.get("alarm_topic") or {}).get("exists"):
        yield f"SNS topic {snapshot['alarm_topic']['name']}", snapshot["alarm_topic"].get("tags", {})
    for alarm in snapshot.get("alarms") or []:
        if "tags" in alarm:
            yield f"CloudWatch alarm {alarm['name']}", alarm["tags"]


@check(
    "NOVA-TAG-001",
    "Every resource carries the required tags",
    "low",
    fix=(
        "add the missing tags (the roles tag with nova_common_tags); an alarm's tags are set when the monitoring role"
        " creates or corrects it: site.yml -e nova_skip_in_sync=false reads and corrects every alarm's tags"
    ),
    reference=f"{DESIGN} Post-Deployment Validation: 'All resources properly tagged'",
)
def rule_required_tags(snapshot, settings):
    required = settings["required_tags"]
    if not required:
        raise NotApplicable("required_tags is empty")
    found = []
    for where, tags in _tagged_resources(snapshot):
        missing = sorted(k for k in required if k not in tags)
        wrong = sorted(
            f"{k}={tags[k]} (expected {required[k]})" for k in required if k in tags and tags[k] != required[k]
        )
        parts = [f"{what} {', '.join(keys)}" for what, keys in (("missing", missing), ("wrong", wrong)) if keys]
        if parts:
            found.append((where, "; ".join(parts)))
    return found


def _require_asg(snapshot):
    if snapshot["asg"] is None:
        raise NotApplicable(f"no Auto Scaling group {snapshot['name_prefix']}-bastion-asg (see NOVA-EC2-001)")


@check(
    "NOVA-EC2-001",
    "The bastion Auto Scaling group has its healthy running instances",
    "high",
    fix="check the Auto Scaling group's activity history; run the bastion role",
    reference=f"{DESIGN} Post-Deployment Validation: 'Bastion host accessible via SSH'",
)
def rule_bastion_running(snapshot, settings):
    name = f"{snapshot['name_prefix']}-bastion-asg"
    asg = snapshot["asg"]
    if asg is None:
        if not settings["expect_bastion"]:
            raise NotApplicable(f"no Auto Scaling group {name} and expect_bastion is false")
        return [(name, f"Auto Scaling group {name} does not exist", "run the bastion role")]
    states = {i["id"]: i.get("state") for i in snapshot["instances"]}
    healthy = [
        i["id"]
        for i in asg.get("instances", [])
        if i.get("lifecycle_state") == "InService" and i.get("health") == "Healthy" and states.get(i["id"]) == "running"
    ]
    wanted = max(asg.get("min_size", 1), 1)
    if len(healthy) < wanted:
        seen = ", ".join(
            f"{i['id']} {i.get('lifecycle_state')}/{i.get('health')}/{states.get(i['id'])}"
            for i in asg.get("instances", [])
        )
        detail = f"{len(healthy)} healthy running instance(s), expected at least {wanted}"
        return [(f"Auto Scaling group {name}", detail + (f" ({seen})" if seen else ""))]
    return []


@check(
    "NOVA-EC2-002",
    "The bastion requires IMDSv2",
    "high",
    fix="set MetadataOptions.HttpTokens=required on the launch template and the instances",
    reference=f"{DESIGN} Auto Scaling for Bastion Host (the bastion's launch template)",
    cis_control=cis("5.6", "Ensure that EC2 Metadata Service only allows IMDSv2"),
)
def rule_imdsv2(snapshot, settings):
    found = []
    lt = snapshot["launch_template"]
    if snapshot["asg"] is None and lt is None and not snapshot["instances"]:
        raise NotApplicable("no bastion Auto Scaling group, launch template or instance")
    if lt is not None and lt.get("http_tokens") != "required":
        found.append(
            (
                f"launch template {lt['name']} ({lt['id']})",
                f"default version has MetadataOptions.HttpTokens {lt.get('http_tokens') or 'unset (optional)'}",
                "create a launch template version with HttpTokens=required and make it the default",
            )
        )
    for instance in snapshot["instances"]:
        if instance.get("http_tokens") != "required":
            found.append(
                (
                    f"instance {label(instance['id'], instance.get('tags'))}",
                    f"MetadataOptions.HttpTokens is {instance.get('http_tokens') or 'unset'}",
                    f"aws ec2 modify-instance-metadata-options --instance-id {instance['id']} --http-tokens required",
                )
            )
    return found


@check(
    "NOVA-EC2-003",
    "The bastion runs only in public subnets, at a public IP address",
    "medium",
    fix="set the Auto Scaling group's subnets to the public subnets (bastion role)",
    reference=f"{DESIGN} Post-Deployment Validation: 'Bastion host accessible via SSH'",
)
def rule_bastion_public(snapshot, settings):
    _require_asg(snapshot)
    public = {s["id"] for s in _typed_subnets(snapshot, "public")}
    found = []
    for subnet_id in snapshot["asg"]["subnet_ids"]:
        if subnet_id not in public:
            found.append(
                (f"Auto Scaling group {snapshot['asg']['name']}", f"launches into {subnet_id}, not a public subnet")
            )
    for instance in snapshot["instances"]:
        if instance.get("subnet_id") not in public:
            found.append(
                (
                    f"instance {label(instance['id'], instance.get('tags'))}",
                    f"runs in {instance.get('subnet_id')}, not a public subnet",
                    "terminate it; the Auto Scaling group replaces it in a public subnet",
                )
            )
        elif instance.get("state") == "running" and "public_ip" in instance and not instance["public_ip"]:
            found.append(
                (
                    f"instance {label(instance['id'], instance.get('tags'))}",
                    "has no public IP address: unreachable over SSH from allowed_ssh_cidrs",
                    "turn MapPublicIpOnLaunch on for the public subnets (network role), then terminate the instance; "
                    "the Auto Scaling group replaces it with one that has a public address",
                )
            )
    return found


# The Auto Scaling group's sizes: (the snapshot's key, the setting's key, how a finding names it).
ASG_SIZES = (
    ("min_size", "min_size", "MinSize"),
    ("max_size", "max_size", "MaxSize"),
    ("desired", "desired_capacity", "DesiredCapacity"),
)


@check(
    "NOVA-EC2-004",
    "The bastion Auto Scaling group has the design's sizes",
    "medium",
    fix="run site.yml (the bastion role sets bastion_asg_min_size, bastion_asg_max_size and "
    "bastion_asg_desired_capacity)",
    reference=f"{DESIGN} Auto Scaling for Bastion Host (min 1, max 2, desired 1: self-healing)",
)
def rule_bastion_asg_sizes(snapshot, settings):
    _require_asg(snapshot)
    asg = snapshot["asg"]
    found = []
    for key, setting, name in ASG_SIZES:
        wanted, actual = settings["bastion_asg"][setting], asg.get(key)
        if actual != wanted:
            found.append((f"Auto Scaling group {asg['name']}", f"{name} is {actual}, the design says {wanted}"))
    return found


@check(
    "NOVA-EC2-005",
    "A Session Manager bastion runs with the instance profile Systems Manager needs",
    "high",
    fix="run the bastion role with bastion_access ssm or both: it attaches the instance profile <prefix>-bastion-<region> "
    "whose role has the AWS managed policy AmazonSSMManagedInstanceCore",
    reference=f"{DESIGN} Security Validation: 'Network segmentation properly implemented' (access without inbound "
    "SSH); AWS Systems Manager Session Manager prerequisites (an instance profile with AmazonSSMManagedInstanceCore)",
)
def rule_bastion_ssm_profile(snapshot, settings):
    """bastion_access ssm or both: the launch template's default version names an instance profile that exists and
    holds a role with the managed policy. bastion_access ssh asks nothing of the profile (SSH is NOVA-SG-001's)."""
    if settings.get("bastion_access", stack.design("bastion_access")) == "ssh":
        return []
    lt = snapshot["launch_template"]
    if lt is None:
        if snapshot["asg"] is None and not settings["expect_bastion"]:
            raise NotApplicable("no bastion launch template and expect_bastion is false")
        return [(f"{snapshot['name_prefix']}-bastion-lt", "the bastion's launch template does not exist")]
    where = f"launch template {lt['name']} ({lt['id']})"
    policy = stack.design("ssm_managed_policy")
    if not lt.get("instance_profile"):
        return [(where, f"bastion_access is {settings['bastion_access']} but the default version has no IAM instance "
                        "profile: Session Manager cannot reach the instance")]
    profile = snapshot.get("instance_profile")
    if not profile:
        return [(where, f"its instance profile {lt['instance_profile']} does not exist",
                 "run the bastion role (it creates the profile and its role)")]
    if not profile.get("roles"):
        return [(f"instance profile {profile['name']}", "holds no role: the instance gets no credentials")]
    with_policy = [r["name"] for r in profile["roles"] if any(a.endswith(f":policy/{policy}") for a in r.get("policies", []))]
    if not with_policy:
        names = ", ".join(r["name"] for r in profile["roles"])
        return [(f"instance profile {profile['name']}", f"its role {names} lacks the AWS managed policy {policy}",
                 f"attach arn:aws:iam::aws:policy/{policy} to the role (run the bastion role)")]
    return []


@check(
    "NOVA-EC2-006",
    "The key pair the bastion's launch template names exists",
    "high",
    fix="run site.yml (the bastion role imports the key pair from bastion_public_key_path), or import the public key "
    "under that name: aws ec2 import-key-pair --key-name <name> --public-key-material fileb://<key>.pub",
    reference=f"{DESIGN} Deployment Failure Scenarios, SSH Key Pair Issues: 'InvalidKeyPair.NotFound: The key pair "
    "... does not exist'",
)
def rule_bastion_key_pair(snapshot, settings):
    """Every launch of the Auto Scaling group (a replacement of a failed bastion included) names the template's key
    pair: when it no longer exists, RunInstances fails with InvalidKeyPair.NotFound and the bastion stays down."""
    lt = snapshot["launch_template"]
    if lt is None:
        raise NotApplicable("no bastion launch template (see NOVA-EC2-005 and NOVA-EC2-001)")
    if not lt.get("key_name"):
        raise NotApplicable(f"launch template {lt['name']} names no key pair")
    if lt.get("key_exists") is False:
        return [(f"launch template {lt['name']} ({lt['id']})",
                 f"names key pair {lt['key_name']}, which does not exist in {snapshot['region']}: every instance the "
                 "Auto Scaling group launches (a replacement of a failed bastion too) fails with "
                 "InvalidKeyPair.NotFound")]
    return []
