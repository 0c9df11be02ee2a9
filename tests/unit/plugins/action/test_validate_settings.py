# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova.infra.validate_settings run by ansible-playbook, as the roles run it: problem records returned, every
problem in one message, its own bad input refused. The rules themselves: tests/unit/plugins/module_utils/test_settings.py;
every role variable with wrong values: tests/integration/test_bad_input_matrix.py."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[4]

# Option -> (task arguments, what the message must contain).
CASES = {
    "role": ({"role": "database", "settings": {}}, "role: 'database' is not one of bastion, monitoring, network, storage"),
    "settings": ({"role": "network", "settings": "network_name_prefix=x"}, "settings: give the role's variables as a dict"),
    "settings missing": ({"role": "network", "settings": {"network_name_prefix": "nova"}}, "needs network_wait_timeout, network_tags"),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    work = tmp_path_factory.mktemp("validate_settings")
    (work / "keys").mkdir()
    (work / "keys" / "id.pub").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot-for-output\n")
    tasks = [
        {"name": name, "nova.infra.validate_settings": args, "register": "outcome", "ignore_errors": True}
        for name, (args, _unused) in CASES.items()
    ]
    bad_network = {"network_name_prefix": "-x", "network_wait_timeout": 0, "network_tags": {"aws:x": "y"}}
    tasks.append({"name": "bad network", "nova.infra.validate_settings": {"role": "network", "settings": bad_network},
                  "register": "outcome", "ignore_errors": True})
    good_network = {"network_name_prefix": "nova", "network_wait_timeout": 900, "network_tags": {"Stack": "nova"}}
    tasks.append({"name": "good network", "nova.infra.validate_settings": {"role": "network", "settings": good_network},
                  "register": "outcome"})
    bastion = {
        "bastion_ssh_cidrs": ["203.0.113.0/24"], "bastion_i_accept_ssh_open_to_the_world": False,
        "bastion_name_prefix": "nova", "bastion_asg_min_size": 1, "bastion_asg_desired_capacity": 1,
        "bastion_asg_max_size": 2, "bastion_instance_type": "t3.micro", "bastion_ami_id": "",
        "bastion_ami_name_pattern": "al2023-*", "bastion_public_key_path": "keys/id.pub", "bastion_key_dir": "",
        "bastion_root_volume_type": "gp3", "bastion_root_volume_size": 8, "bastion_wait_timeout": 600, "bastion_tags": {},
    }
    tasks.append({"name": "private key", "nova.infra.validate_settings": {"role": "bastion", "settings": bastion},
                  "register": "outcome", "ignore_errors": True})
    play = {"hosts": "localhost", "gather_facts": False, "connection": "local", "tasks": []}
    for task in tasks:
        play["tasks"] += [task, {"name": f"record {task['name']}", "ansible.builtin.copy": {
            "dest": str(work / f"{task['name']}.json"), "content": "{{ outcome | to_json }}", "mode": "0644"}}]
    (work / "play.yml").write_text(yaml.safe_dump([play], sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default",
               ANSIBLE_STRATEGY="linear")
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-e", f"ansible_python_interpreter={sys.executable}",
         str(work / "play.yml")],
        cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return {path.stem: json.loads(path.read_text()) for path in work.glob("*.json")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_its_own_bad_input_is_refused_by_name(outcomes, name):
    outcome = outcomes[name]
    assert outcome["failed"] is True and CASES[name][1] in outcome["msg"]


def test_problems_are_records_and_one_message(outcomes):
    outcome = outcomes["bad network"]
    assert outcome["failed"] is True and outcome["changed"] is False
    assert [p["field"] for p in outcome["problems"]] == ["network_name_prefix", "network_wait_timeout", "network_tags"]
    assert outcome["msg"].startswith("3 problems in the network settings, nothing was created in AWS: (1) network_name_prefix: -x")


def test_good_settings_pass_with_no_problem(outcomes):
    assert outcomes["good network"]["problems"] == [] and not outcomes["good network"].get("failed")


def test_a_key_file_is_found_as_the_file_lookup_finds_it_and_never_shown(outcomes):
    outcome = outcomes["private key"]
    assert [p["field"] for p in outcome["problems"]] == ["bastion_public_key_path"]
    assert "is a private key" in outcome["msg"] and "not-for-output" not in json.dumps(outcome)
