"""The fast strategy decides a task (or an include) its `when` skips in the controller (no task worker forked): the run
must read exactly as when a worker decides it (NOVA_SKIP_IN_CONTROLLER=0): the same skipped results, with their
false_condition and no_log, the same registered variable, and the same tasks run.

It also runs ansible-core's controller-side actions (set_fact, assert, debug, fail, validate_argument_spec) in the
controller: the run must read exactly as when workers run them (NOVA_RUN_IN_CONTROLLER=0): the same results, facts
(cacheable too), registered values, failures ignored or not, no_log, changed_when/failed_when and warnings."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from helpers import BIN
from helpers import REPO

pytestmark = pytest.mark.integration

PLAYBOOK = """
- name: Skipped tasks and the tasks around them
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    flag: false
  tasks:
    - name: Skipped, registered
      ansible.builtin.command: "false"
      when: flag
      register: skipped_command
    - name: Skipped, no_log
      ansible.builtin.debug:
        msg: secret
      when: flag | bool
      no_log: true
    - name: Run, its condition true
      ansible.builtin.debug:
        msg: ran
      when: not flag
    - name: The registered result of the skipped task
      ansible.builtin.debug:
        var: skipped_command
    - name: Skipped in a loop (left to the worker)
      ansible.builtin.debug:
        msg: "{{ item }}"
      loop: [1, 2]
      when: flag
    - name: Skipped include of tasks, registered
      ansible.builtin.include_tasks: nowhere.yml
      when: flag
      register: skipped_include
    - name: Skipped include of a role
      ansible.builtin.include_role:
        name: nova.infra.network
      when: flag | bool
    - name: Include of tasks, its condition true
      ansible.builtin.include_tasks: included.yml
      when: not flag
    - name: The registered result of the skipped include
      ansible.builtin.debug:
        var: skipped_include
    - name: Padding so the play runs through Mitogen
      ansible.builtin.debug:
        msg: pad
    - name: Set a cacheable fact
      ansible.builtin.set_fact:
        fact_one: "{{ flag | ternary('yes', 'no') }}"
        cacheable: true
    - name: Set a fact
      ansible.builtin.set_fact:
        fact_two: [1, 2]
    - name: A registered assert
      ansible.builtin.assert:
        that: fact_one == 'no'
        success_msg: fine
      register: assert_ok
    - name: A failing assert, ignored
      ansible.builtin.assert:
        that: fact_two | length == 3
        fail_msg: not three
      ignore_errors: true
      register: assert_failed
    - name: Debug of a registered variable
      ansible.builtin.debug:
        var: assert_failed
    - name: Debug of a message
      ansible.builtin.debug:
        msg: "{{ fact_one }} {{ fact_two }} {{ assert_ok.msg }} {{ hostvars[inventory_hostname].fact_one }}"
    - name: Debug of the facts
      ansible.builtin.debug:
        var: ansible_facts
    - name: Debug, no_log
      ansible.builtin.debug:
        msg: s3cr3t-value
      no_log: true
      register: hidden_debug
    - name: Debug, changed_when and failed_when
      ansible.builtin.debug:
        msg: judged
      changed_when: fact_one == 'no'
      failed_when: fact_two | length == 2
      ignore_errors: true
    - name: Debug that warns
      ansible.builtin.debug:
        var: omit
    - name: Fail, ignored
      ansible.builtin.fail:
        msg: failing on purpose
      ignore_errors: true
      register: failed_on_purpose
    - name: Validate arguments
      ansible.builtin.validate_argument_spec:
        argument_spec:
          fact_one:
            type: str
            required: true
        provided_arguments:
          fact_one: "{{ fact_one }}"
    - name: This collection's settings check, refusing a bad setting, ignored
      nova.infra.validate_settings:
        role: network
        settings:
          network_vpc_cidr: 10.0.0.0/33
      ignore_errors: true
      register: settings_refused
    - name: The registered results
      ansible.builtin.debug:
        msg: "{{ [hidden_debug, failed_on_purpose.msg, assert_ok.changed, settings_refused.failed] }}"
"""


def _run(tmp_path, skip_in_controller, run_in_controller="1", playbook_text=PLAYBOOK):
    playbook = tmp_path / "skip.yml"
    playbook.write_text(playbook_text)
    (tmp_path / "included.yml").write_text("- name: Included\n  ansible.builtin.debug:\n    msg: included\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1", NOVA_SKIP_IN_CONTROLLER=skip_in_controller,
               NOVA_RUN_IN_CONTROLLER=run_in_controller, ANSIBLE_CACHE_PLUGIN="ansible.builtin.jsonfile",
               ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp_path / f"facts-{skip_in_controller}{run_in_controller}"))
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    document = json.loads(proc.stdout[proc.stdout.find("{"):])
    tasks = document["plays"][0]["tasks"]
    # The fact cache (jsonfile writes <prefix>localhost): what the cacheable set_fact stored.
    cache = [json.loads(path.read_text()) for path in (tmp_path / f"facts-{skip_in_controller}{run_in_controller}").glob("*localhost")]
    return [
        (task["task"]["name"], task["hosts"]["localhost"]) for task in tasks
    ], document["stats"], cache


def test_skipped_tasks_read_the_same_decided_in_the_controller_or_by_a_worker(tmp_path):
    in_controller = _run(tmp_path, "1")
    by_worker = _run(tmp_path, "0")
    assert in_controller == by_worker
    results = dict(in_controller[0])
    assert results["Skipped, registered"]["skipped"] is True
    assert results["Skipped, registered"]["false_condition"] == "flag"
    assert results["The registered result of the skipped task"]["skipped_command"]["skipped"] is True
    assert results["Run, its condition true"]["msg"] == "ran"
    assert results["Skipped include of tasks, registered"]["skipped"] is True
    assert results["Skipped include of a role"]["false_condition"] == "flag | bool"
    assert results["The registered result of the skipped include"]["skipped_include"]["skipped"] is True
    assert results["Included"]["msg"] == "included"


def test_controller_side_actions_read_the_same_run_in_the_controller_or_by_a_worker(tmp_path):
    in_controller = _run(tmp_path, "1", "1")
    by_worker = _run(tmp_path, "1", "0")
    assert [task[0] for task in in_controller[0]] == [task[0] for task in by_worker[0]]
    for (name, result), (_name, expected) in zip(in_controller[0], by_worker[0], strict=True):
        assert result == expected, name
    assert in_controller[1] == by_worker[1]
    results = dict(in_controller[0])
    assert results["Set a cacheable fact"]["ansible_facts"] == {"fact_one": "no"}
    assert in_controller[2] == by_worker[2]  # the fact cache: the cacheable fact only
    assert len(in_controller[2]) == 1
    assert "fact_one" in json.dumps(in_controller[2]) and "fact_two" not in json.dumps(in_controller[2])
    assert results["A registered assert"]["msg"] == "fine"
    assert results["A failing assert, ignored"]["failed"] is True
    assert results["A failing assert, ignored"]["msg"] == "not three"
    assert results["Debug of a registered variable"]["assert_failed"]["failed"] is True
    assert results["Debug of a message"]["msg"] == "no [1, 2] fine no"
    assert results["Debug of the facts"]["ansible_facts"]["fact_one"] == "no"
    assert "s3cr3t" not in json.dumps(results["Debug, no_log"])
    assert results["Debug, changed_when and failed_when"]["changed"] is True
    assert results["Debug, changed_when and failed_when"]["failed"] is True
    assert results["Debug that warns"]["warnings"]
    assert results["Fail, ignored"]["failed"] is True
    assert results["Fail, ignored"]["msg"] == "failing on purpose"
    assert results["The registered results"]["msg"][1:] == ["failing on purpose", False, True]
    assert results["This collection's settings check, refusing a bad setting, ignored"]["failed"] is True
    # no_log censors what is shown, not what is registered (Ansible's behaviour, the same both ways).
    assert results["The registered results"]["msg"][0]["msg"] == "s3cr3t-value"
    assert in_controller[1]["localhost"]["ignored"] == 4
    assert in_controller[1]["localhost"]["failures"] == 0


PIDS = """
- name: Where the controller-side actions run
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
""" + "".join(f"""
    - name: Process {number}
      ansible.builtin.debug:
        msg: "{{{{ lookup('ansible.builtin.pipe', 'echo $PPID') }}}}"
""" for number in range(4))


def test_controller_side_actions_fork_no_worker_unless_switched_off(tmp_path):
    """A lookup runs in the process that runs its task: one process (the controller) for all four tasks, or a
    worker each when switched off."""
    in_controller = {task[1]["msg"] for task in _run(tmp_path, "1", "1", PIDS)[0]}
    by_worker = {task[1]["msg"] for task in _run(tmp_path, "1", "0", PIDS)[0]}
    assert len(in_controller) == 1
    assert len(by_worker) == 4
