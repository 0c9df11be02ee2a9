"""The stack's facts have one home (plugins/module_utils/stack.py).

The unit tests pin the naming scheme and the defaults' shape. The last test proves the "one home": a copy of the
collection whose stack.py states other defaults is given to ansible-playbook, which works out - with no inventory
variable set - what the build (the roles' defaults), the pre-flight, the audit (validate.yml) and the DR playbook
would pass to their modules. Every one of them must follow the copy's stack.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.nova.infra.plugins.module_utils import audit
from ansible_collections.nova.infra.plugins.module_utils import stack

REPO = Path(__file__).resolve().parents[4]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
ACCOUNT = "123456789012"


def test_bucket_name_is_prefix_short_name_account_region():
    assert stack.bucket_name("backup", "nova-production", ACCOUNT, "us-east-1") == (
        "nova-production-backup-123456789012-us-east-1"
    )
    assert stack.bucket_names(["app-logs", "backup"], "p", "1", "r") == ["p-app-logs-1-r", "p-backup-1-r"]


def test_required_tags_are_the_design_tags_and_the_stack_name():
    assert stack.required_tags("acme") == {"Project": "nova", "Environment": "production", "ManagedBy": "ansible",
                                           "Stack": "acme"}
    # The audit's default is the same rule applied to the design's prefix.
    assert audit.DEFAULT_REQUIRED_TAGS == stack.required_tags(stack.DESIGN["name_prefix"])


def test_design_returns_a_copy_and_names_the_known_keys_when_asked_for_another():
    stack.design("ssh_cidrs").append("0.0.0.0/0")
    assert stack.design("ssh_cidrs") == ["203.0.113.0/24"]
    with pytest.raises(KeyError, match="known: az_count, bastion_access, bastion_asg, bastion_cpu_alarm, bastion_egress, bastion_instance_type, buckets"):
        stack.design("vpc")


def test_audit_defaults_come_from_the_design():
    settings = audit.default_settings()
    assert settings["vpc_cidr"] == stack.DESIGN["vpc_cidr"]
    assert settings["allowed_ssh_cidrs"] == stack.DESIGN["ssh_cidrs"]
    assert settings["expected_az_count"] == stack.DESIGN["az_count"]


OTHER_DESIGN = {
    "region": "eu-west-1",
    "dr_region": "eu-central-1",
    "name_prefix": "acme-stage",
    "vpc_cidr": "10.42.0.0/16",
    "az_count": 3,
    "ssh_cidrs": ["198.51.100.0/24"],
    "tags": {"Project": "acme", "Environment": "stage", "ManagedBy": "ansible"},
    "buckets": [
        {"name": "logs", "lifecycle": True, "log_delivery": True},
        {"name": "vault", "lifecycle": False, "log_delivery": False},
    ],
    "replication_storage_class": "GLACIER_IR",
    "replication_time_control": False,
    "flow_log_traffic_type": "REJECT",
    "flow_log_prefix": "flow/",
    "nat_alarm": {"metric": "BytesOutToSource", "statistic": "Maximum", "period": 60, "evaluation_periods": 3,
                  "threshold": 5000, "comparison": "GreaterThanOrEqualToThreshold"},
    "bastion_cpu_alarm": {"metric": "CPUUtilization", "statistic": "Maximum", "period": 120, "evaluation_periods": 2,
                          "threshold": 95, "comparison": "GreaterThanOrEqualToThreshold"},
    "bastion_asg": {"min_size": 2, "max_size": 3, "desired_capacity": 2},
}


def _collection_with_other_design(root: Path) -> Path:
    """A copy of the collection (plugins, roles, playbooks) whose stack.py states OTHER_DESIGN."""
    target = root / "ansible_collections" / "nova" / "infra"
    for part in ("plugins", "roles", "playbooks", "meta"):
        shutil.copytree(REPO / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "galaxy.yml", target / "galaxy.yml")
    source = (target / "plugins/module_utils/stack.py").read_text()
    start = source.index("DESIGN: Dict[str, Any] = {")
    end = source.index("\n}\n", start) + 3
    replaced = source[:start] + f"DESIGN: Dict[str, Any] = {OTHER_DESIGN!r}\n" + source[end:]
    (target / "plugins/module_utils/stack.py").write_text(replaced)
    return target


def _tasks(tasks):
    for task in tasks or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key))


def _task(playbook: Path, module: str) -> tuple[dict, dict]:
    """The play's vars and the first task calling ``module`` (with its own vars)."""
    for play in yaml.safe_load(playbook.read_text()):
        for task in _tasks(play.get("tasks", [])):
            if module in task:
                return play.get("vars", {}), task
    raise AssertionError(f"{playbook.name} has no {module} task")


def _audit_args(playbook: Path, task: dict) -> dict:
    """What the play's stack_audit task runs with: the settings it gets as module_defaults (vars/audit.yml, loaded by
    the play's vars_files) under its own arguments."""
    play = yaml.safe_load(playbook.read_text())[0]
    assert play["module_defaults"]["nova.infra.stack_audit"] == "{{ nova_audit_settings }}"
    settings = {}
    for path in play["vars_files"]:  # vars/audit.yml; other files of the play (vars/bastion_key.yml) hold none
        settings.update(yaml.safe_load((playbook.parent / path).read_text()).get("nova_audit_settings", {}))
    return {**settings, **task["nova.infra.stack_audit"]}


def _probe(name: str, variables: dict, expressions: dict) -> dict:
    """A debug task that shows what ``expressions`` come to with ``variables`` (templated lazily, as in a play)."""
    return {"name": name, "ansible.builtin.debug": {"msg": expressions}, "vars": variables}


def test_a_default_changed_in_stack_py_changes_the_build_preflight_audit_and_dr_alike(tmp_path):
    collection = _collection_with_other_design(tmp_path / "collections")
    playbooks = collection / "playbooks"
    roles = {}
    for role in ("network", "bastion", "storage", "monitoring"):
        roles.update(yaml.safe_load((collection / "roles" / role / "defaults" / "main.yml").read_text()))

    # The build: the roles' defaults (what they build and tag) and the play's region.
    site_region = yaml.safe_load((playbooks / "site.yml").read_text())[2]["module_defaults"]["group/nova.infra.aws"]
    build = _probe("build", roles, {
        "region": site_region["region"],
        "vpc_cidr": "{{ network_vpc_cidr }}", "az_count": "{{ network_az_count }}",
        "ssh_cidrs": "{{ bastion_ssh_cidrs }}", "prefix": "{{ network_name_prefix }}",
        "tags": "{{ network_tags }}", "bastion_tags": "{{ bastion_tags }}",
        "storage_region": "{{ storage_region }}", "replica_region": "{{ storage_replica_region }}",
        "buckets": "{{ storage_buckets | map(attribute='name') }}", "log_bucket": "{{ monitoring_log_bucket }}",
        "watched_buckets": "{{ monitoring_replication_buckets }}",
        "storage_class": "{{ storage_replica_storage_class }}", "rtc": "{{ storage_replication_time_control }}",
        "log_delivery_prefix": "{{ storage_log_delivery_prefix }}",
        "traffic_type": "{{ monitoring_flow_log_traffic_type }}", "flow_log_prefix": "{{ monitoring_flow_log_prefix }}",
        "nat_alarm": ["{{ monitoring_nat_bytes_threshold }}", "{{ monitoring_nat_bytes_period }}",
                      "{{ monitoring_nat_bytes_evaluation_periods }}"],
        "cpu_alarm": ["{{ monitoring_bastion_cpu_threshold }}", "{{ monitoring_bastion_cpu_period }}",
                      "{{ monitoring_bastion_cpu_evaluation_periods }}"],
        "asg": ["{{ bastion_asg_min_size }}", "{{ bastion_asg_max_size }}", "{{ bastion_asg_desired_capacity }}"],
    })
    # The pre-flight: what playbooks/preflight.yml passes to nova.infra.preflight.
    play_vars, task = _task(playbooks / "preflight.yml", "nova.infra.preflight")
    preflight = _probe("preflight", {**play_vars, **task.get("vars", {}), "playbook_dir": str(playbooks),
                                     "nova_preflight_iam_policy": ""},
                       {key: task["nova.infra.preflight"][key] for key in ("vpc_cidr", "min_azs", "own_vpc_tags",
                                                                           "key_name")})
    # The audit: what validate.yml passes to nova.infra.stack_audit (the account as if read from STS).
    play_vars, task = _task(playbooks / "validate.yml", "nova.infra.stack_audit")
    audit_args = _audit_args(playbooks / "validate.yml", task)
    validate = _probe("audit", {**play_vars, **task.get("vars", {}), "validate_caller": {"account": ACCOUNT}},
                      {key: audit_args[key] for key in ("name_prefix", "vpc_cidr", "allowed_ssh_cidrs",
                                                        "expected_az_count", "required_tags", "buckets",
                                                        "replicated_buckets", "nat_alarm", "bastion_cpu_alarm",
                                                        "flow_log_traffic_type", "flow_log_bucket", "flow_log_prefix",
                                                        "bastion_asg", "replication_storage_class",
                                                        "replication_time_control")})
    # The DR playbook: its pre-flight, its S3 sync of the protected buckets and its audit.
    dr_vars, dr_preflight = _task(playbooks / "dr-failover.yml", "nova.infra.preflight")
    dr_sync = _task(playbooks / "dr-failover.yml", "nova.infra.s3_sync")[1]
    dr_audit = _task(playbooks / "dr-failover.yml", "nova.infra.stack_audit")[1]
    dr = _probe("dr", {**dr_vars, **dr_preflight.get("vars", {}), "storage_account_id": ACCOUNT,
                       "nova_preflight_iam_policy": "", "playbook_dir": str(playbooks)}, {
        "region": "{{ dr_region }}", "source_region": "{{ dr_source_region }}",
        "protected": dr_sync["loop"],
        "preflight": {key: dr_preflight["nova.infra.preflight"][key]
                      for key in ("vpc_cidr", "min_azs", "own_vpc_tags", "key_name")},
        "sync": [{key: dr_sync["nova.infra.s3_sync"][key].replace("item", repr(bucket["name"]))
                  for key in ("source_bucket", "dest_bucket")} for bucket in OTHER_DESIGN["buckets"]],
        "audit": {key: _audit_args(playbooks / "dr-failover.yml", dr_audit)[key]
                  for key in ("name_prefix", "vpc_cidr", "allowed_ssh_cidrs", "expected_az_count", "required_tags",
                              "buckets")},
    })

    play = tmp_path / "probe.yml"
    play.write_text(yaml.safe_dump([{"name": "What each consumer would pass", "hosts": "localhost",
                                     "gather_facts": False, "tasks": [build, preflight, validate, dr]}]))
    # Run from tmp_path: no ansible.cfg of the repository, only the copy on the collections path; the venv's own
    # Python path (ansible-test units sets a PYTHONPATH of its own).
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_") and key != "PYTHONPATH"}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"), ANSIBLE_STDOUT_CALLBACK="json")
    run = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(play)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = {task["task"]["name"]: task["hosts"]["localhost"]["msg"]
               for task in json.loads(run.stdout)["plays"][0]["tasks"]}

    other = OTHER_DESIGN
    tags = dict(other["tags"], Stack=other["name_prefix"])
    names = [bucket["name"] for bucket in other["buckets"]]
    sources = [f"acme-stage-{name}-{ACCOUNT}-eu-west-1" for name in names]
    replicas = [f"acme-stage-{name}-{ACCOUNT}-eu-central-1" for name in names]
    assert results["build"] == {
        "region": "eu-west-1", "vpc_cidr": "10.42.0.0/16", "az_count": 3, "ssh_cidrs": ["198.51.100.0/24"],
        "prefix": "acme-stage", "tags": tags, "bastion_tags": tags, "storage_region": "eu-west-1",
        "replica_region": "eu-central-1", "buckets": names, "log_bucket": "logs", "watched_buckets": names,
        "storage_class": "GLACIER_IR", "rtc": False, "log_delivery_prefix": "flow/", "traffic_type": "REJECT",
        "flow_log_prefix": "flow/", "nat_alarm": [5000, 60, 3], "cpu_alarm": [95, 120, 2], "asg": [2, 3, 2],
    }
    assert results["preflight"] == {"vpc_cidr": "10.42.0.0/16", "min_azs": 3,
                                    "own_vpc_tags": dict(tags, Name="acme-stage-vpc"),
                                    "key_name": "acme-stage-bastion-key"}
    assert results["audit"] == {
        "name_prefix": "acme-stage", "vpc_cidr": "10.42.0.0/16", "allowed_ssh_cidrs": ["198.51.100.0/24"],
        "expected_az_count": 3, "required_tags": tags,
        "buckets": [{"name": name, "region": "eu-west-1"} for name in sources]
        + [{"name": name, "region": "eu-central-1"} for name in replicas],
        "replicated_buckets": [{"source": s, "destination": d, "destination_region": "eu-central-1"}
                               for s, d in zip(sources, replicas, strict=True)],
        # The module's defaults (stack.DESIGN) fill in the alarms' metric, statistic and comparison.
        "nat_alarm": {"threshold": 5000, "period": 60, "evaluation_periods": 3},
        "bastion_cpu_alarm": {"threshold": 95, "period": 120, "evaluation_periods": 2},
        "flow_log_traffic_type": "REJECT", "flow_log_bucket": sources[0], "flow_log_prefix": "flow/",
        "bastion_asg": {"min_size": 2, "max_size": 3, "desired_capacity": 2},
        "replication_storage_class": "GLACIER_IR", "replication_time_control": False,
    }
    assert results["dr"] == {
        "region": "eu-central-1", "source_region": "eu-west-1", "protected": names,
        "preflight": {"vpc_cidr": "10.42.0.0/16", "min_azs": 3, "own_vpc_tags": dict(tags, Name="acme-stage-vpc"),
                      "key_name": "acme-stage-bastion-key"},
        "sync": [{"source_bucket": s, "dest_bucket": d} for s, d in zip(sources, replicas, strict=True)],
        "audit": {"name_prefix": "acme-stage", "vpc_cidr": "10.42.0.0/16", "allowed_ssh_cidrs": ["198.51.100.0/24"],
                  "expected_az_count": 3, "required_tags": tags,
                  "buckets": [{"name": name, "region": "eu-central-1"} for name in replicas]},
    }


DESIGN_LITERALS = re.compile(r"10\.0\.0\.0/16|203\.0\.113\.0/24|'nova-production'|'us-west-2'|'us-east-1'|"
                             r"'ManagedBy': 'ansible'|default\(2\)")


def test_roles_and_playbooks_do_not_retype_the_design_defaults():
    """Comments and messages may name a value as an example; templates take it from the lookup."""
    offenders = []
    for path in sorted([*REPO.glob("roles/*/*/*.yml"), *REPO.glob("playbooks/*.yml")]):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if "{{" in code and DESIGN_LITERALS.search(code):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("region", ["us-west-2", "us-east-1", "us-gov-west-1", "us-isob-east-1", "ap-southeast-5",
                                    "eu-central-2", "il-central-1", "mx-central-1"])
def test_region_rule_accepts_aws_region_names(region):
    assert stack.is_region(region)


@pytest.mark.parametrize("region", ["US-WEST-2", "us-wset-2", "us-west", "uswest2", "us-west-0", "", None, 2])
def test_region_rule_refuses_what_is_no_region_name(region):
    assert not stack.is_region(region)


@pytest.mark.parametrize("name, ok", [("nova-production-backup-123456789012-us-west-2", True), ("ab", False),
                                      ("Backup", False), ("a..b", False), ("192.168.1.1", False),
                                      ("xn--bucket", False), ("logs-s3alias", False), ("a" * 63, True),
                                      ("a" * 64, False)])
def test_bucket_name_rule(name, ok):
    assert stack.is_s3_bucket_name(name) is ok


@pytest.mark.parametrize("pair, ok", [(("Project", "nova"), True), (("", "x"), False), (("aws:cloudformation", "x"), False),
                                      (("AWS:x", "y"), False), (("k" * 129, "v"), False), (("k", "v" * 257), False),
                                      (("k", None), True), (["k", "v"], True), ("k", False)])
def test_tag_rule(pair, ok):
    assert stack.is_aws_tag(pair) is ok


def test_name_prefix_key_prefix_topic_and_public_key_rules():
    assert stack.is_name_prefix("nova-production") and not stack.is_name_prefix("-nova") and not stack.is_name_prefix("a" * 41)
    assert stack.is_s3_key_prefix("vpc-flow-logs/") and not stack.is_s3_key_prefix("/logs/")
    assert not stack.is_s3_key_prefix("logs")
    assert stack.is_sns_topic_name("nova-production-alarms") and not stack.is_sns_topic_name("arn:aws:sns:x")
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINKw5aSvC83Fgb2u1hx6MHT79FPdVsJGboSv6nM9lONa ops@example.com\n"
    assert stack.is_ssh_public_key(key)
    assert not stack.is_ssh_public_key("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert not stack.is_ssh_public_key("ssh-ed25519 tooshort")
