"""The fast strategy decides a task its `when` skips in the controller (no task worker forked): the run must read
exactly as when a worker decides it (NOVA_SKIP_IN_CONTROLLER=0): the same skipped results, with their
false_condition and no_log, the same registered variable, and the same tasks run."""

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
    - name: Padding so the play runs through Mitogen
      ansible.builtin.debug:
        msg: pad
"""


def _run(tmp_path, skip_in_controller):
    playbook = tmp_path / "skip.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1", NOVA_SKIP_IN_CONTROLLER=skip_in_controller)
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    document = json.loads(proc.stdout[proc.stdout.find("{"):])
    tasks = document["plays"][0]["tasks"]
    return [
        (task["task"]["name"], task["hosts"]["localhost"]) for task in tasks
    ], document["stats"]


def test_skipped_tasks_read_the_same_decided_in_the_controller_or_by_a_worker(tmp_path):
    in_controller = _run(tmp_path, "1")
    by_worker = _run(tmp_path, "0")
    assert in_controller == by_worker
    results = dict(in_controller[0])
    assert results["Skipped, registered"]["skipped"] is True
    assert results["Skipped, registered"]["false_condition"] == "flag"
    assert results["The registered result of the skipped task"]["skipped_command"]["skipped"] is True
    assert results["Run, its condition true"]["msg"] == "ran"
