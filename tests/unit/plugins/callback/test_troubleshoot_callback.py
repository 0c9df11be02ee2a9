# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible import constants as C
from ansible.executor.task_result import CallbackTaskResult
from ansible.inventory.host import Host

from ansible_collections.nova.infra.plugins.callback import troubleshoot as plugin
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import CATALOGUE

NAME = "nova.infra.troubleshoot"
BIN = Path(sys.executable).parent
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class FakeTask:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class CapturedDisplay:
    def __init__(self):
        self.calls = []

    def display(self, msg, color=None, stderr=False, **kwargs):
        self.calls.append(dict(msg=msg, color=color, stderr=stderr))

    @property
    def text(self):
        return "\n".join(call["msg"] for call in self.calls)


@pytest.fixture
def callback(monkeypatch):
    """The callback with its documented options registered, as the plugin loader would, and a captured display."""

    def make(**env):
        for key in ("NOVA_TROUBLESHOOT_SHOW_IGNORED", "NOVA_TROUBLESHOOT_STDERR"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        options = yaml.safe_load(plugin.DOCUMENTATION)["options"]
        C.config.initialize_plugin_configuration_definitions("callback", NAME, options)
        module = plugin.CallbackModule()
        module._load_name = NAME
        module.set_options()
        module._display = CapturedDisplay()
        return module

    return make


def task_result(data, task="Create the subnets", ignore_errors=False):
    return CallbackTaskResult(Host("localhost"), FakeTask(task), data, {"ignore_errors": ignore_errors})


CLIENT_ERROR = {
    "failed": True,
    "changed": False,
    "msg": "Failed to create subnet: An error occurred (InvalidParameterValue) when calling the CreateSubnet "
    "operation: Value (us-west-2z) for parameter availabilityZone is invalid.",
    "error": {
        "code": "InvalidParameterValue",
        "message": "Value (us-west-2z) for parameter availabilityZone is invalid.",
    },
    "invocation": {"module_args": {"secret_key": SECRET, "access_key": "AKIAIOSFODNN7EXAMPLE"}},
}


def test_failed_task_prints_code_cause_and_numbered_fixes(callback):
    cb = callback()
    cb.v2_runner_on_failed(task_result(CLIENT_ERROR))
    text = cb._display.text
    entry = CATALOGUE["InvalidParameterValue"]
    assert text.splitlines()[0] == "AWS error InvalidParameterValue (localhost, task: Create the subnets)"
    assert "  Cause: " + entry["cause"] in text
    for number, step in enumerate(entry["fix"], 1):
        assert f"    {number}. {step}" in text
    assert cb._display.calls[0]["stderr"] is False


def test_nothing_from_the_result_is_printed(callback):
    cb = callback()
    cb.v2_runner_on_failed(task_result(CLIENT_ERROR))
    text = cb._display.text
    for leak in (SECRET, "AKIAIOSFODNN7EXAMPLE", "us-west-2z", "CreateSubnet"):
        assert leak not in text


def test_message_only_failure_is_explained(callback):
    cb = callback()
    cb.v2_runner_on_failed(task_result(
        {"failed": True, "msg": "Failed to describe vpcs: Unable to locate credentials"}
    ))
    assert cb._display.text.startswith("AWS error NoCredentialsError ")
    assert "aws sts get-caller-identity" in cb._display.text


def test_unknown_code_is_named_with_generic_advice(callback):
    cb = callback()
    cb.v2_runner_on_failed(task_result({"failed": True, "error": {"code": "Brand.NewError"}, "msg": "x"}))
    first = cb._display.text.splitlines()[0]
    assert first == "AWS error Brand.NewError (localhost, task: Create the subnets) - not in the nova.infra catalogue"


def test_failures_without_an_aws_code_print_nothing(callback):
    cb = callback()
    cb.v2_runner_on_failed(task_result({"failed": True, "msg": "Assertion failed"}))
    cb.v2_runner_item_on_failed(task_result({"failed": True, "msg": "boom", "item": 1}))
    assert cb._display.calls == []


def test_no_log_results_are_skipped(callback):
    cb = callback()
    censored = {"censored": "the output has been hidden", "_ansible_no_log": True, "failed": True}
    cb.v2_runner_on_failed(task_result(dict(CLIENT_ERROR, _ansible_no_log=True)))
    cb.v2_runner_on_failed(task_result(censored))
    assert cb._display.calls == []


def test_loop_items_are_explained_once_each(callback):
    cb = callback()
    item_ok = {"changed": True, "item": "10.0.0.0/24"}
    item_bad = dict(CLIENT_ERROR, item="10.9.0.0/24", error={"code": "InvalidSubnet.Range", "message": "bad"})
    cb.v2_runner_item_on_failed(task_result(item_bad))
    # The aggregate failure of the loop comes afterwards and must not repeat the items.
    aggregate = {"failed": True, "msg": "One or more items failed", "results": [item_ok, item_bad]}
    cb.v2_runner_on_failed(task_result(aggregate))
    assert len(cb._display.calls) == 1
    assert cb._display.text.startswith("AWS error InvalidSubnet.Range (localhost, loop item, task: Create the subnets)")


def test_ignored_failures_are_marked(callback):
    cb = callback()
    cb.v2_runner_on_failed(task_result(CLIENT_ERROR), ignore_errors=True)
    cb.v2_runner_item_on_failed(task_result(dict(CLIENT_ERROR, item="x"), ignore_errors=True))
    lines = [line for line in cb._display.text.splitlines() if line.startswith("AWS error")]
    assert lines == [
        "AWS error InvalidParameterValue (localhost, ignored, task: Create the subnets)",
        "AWS error InvalidParameterValue (localhost, loop item, ignored, task: Create the subnets)",
    ]


def test_ignored_failures_can_be_silenced(callback):
    cb = callback(NOVA_TROUBLESHOOT_SHOW_IGNORED="false")
    cb.v2_runner_on_failed(task_result(CLIENT_ERROR), ignore_errors=True)
    assert cb._display.calls == []
    cb.v2_runner_on_failed(task_result(CLIENT_ERROR))
    assert len(cb._display.calls) == 1


def test_to_stderr_option(callback):
    cb = callback(NOVA_TROUBLESHOOT_STDERR="true")
    cb.v2_runner_on_failed(task_result(CLIENT_ERROR))
    assert cb._display.calls[0]["stderr"] is True


def test_braces_never_printed(callback):
    cb = callback()
    cb.v2_runner_on_failed(task_result(CLIENT_ERROR, task="Create {{ nova_name_prefix }}-vpc"))
    assert "{" not in cb._display.text and "}" not in cb._display.text
    assert "task: Create (( nova_name_prefix ))-vpc" in cb._display.text


def test_enabled_through_ansible_playbook(tmp_path):
    """Loaded by name from the environment; the json stdout callback's document stays parseable."""
    playbook = tmp_path / "fail.yml"
    playbook.write_text(
        """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Pretend amazon.aws found no credentials
      ansible.builtin.fail:
        msg: "Failed to describe vpcs: Unable to locate credentials"
      ignore_errors: true
    - name: Pretend a loop item hit a quota
      ansible.builtin.fail:
        msg: "An error occurred (VpcLimitExceeded) when calling the CreateVpc operation: limit"
      loop: [1]
"""
    )
    # An empty configuration: the test must not depend on (or double-enable through) the repository's ansible.cfg.
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")
    env = dict(
        os.environ,
        ANSIBLE_CALLBACKS_ENABLED=NAME,
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_CONFIG=str(config),
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    preamble, brace, document = proc.stdout.partition("{")
    ignored = "AWS error NoCredentialsError (localhost, ignored, task: Pretend amazon.aws found no credentials)"
    assert ignored in preamble
    assert "AWS error VpcLimitExceeded (localhost, loop item, task: Pretend a loop item hit a quota)" in preamble
    assert "L-F678F1CE" in preamble
    assert json.loads(brace + document)["stats"]["localhost"]["failures"] == 1
