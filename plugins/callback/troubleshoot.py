# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: troubleshoot
type: notification
short_description: Explain AWS failures with their cause and the fix
version_added: 0.1.0
author:
  - nova.infra engineers (!UNKNOWN)
description:
  - Under every failed task whose result carries an AWS error code, prints the code, its root cause and numbered
    fix steps from the nova.infra troubleshooting catalogue (see docs/troubleshooting.md).
  - Works for any module that failed, amazon.aws or nova.infra. The code is read from C(error.code) (where amazon.aws
    puts the AWS response), from C(troubleshooting.code) (nova.infra modules), or from well-known failure messages
    such as C(Unable to locate credentials), C(Could not connect to the endpoint URL) or C(Failed to import the
    required Python library).
  - Each failed loop item is explained on its own, right under its C(failed) line.
  - Codes that are not in the catalogue are still named, with generic advice.
  - Only the code and catalogue text are printed, never the task result, so nothing secret in a result can leak
    through this plugin. Results of C(no_log) tasks are skipped.
  - Failures of tasks with C(ignore_errors) are explained too, marked C(ignored), unless O(show_ignored=false).
  - Unreachable hosts are not explained; they are not AWS failures.
  - The block never contains curly braces, so readers that locate the JSON output of the
    C(ansible.posix.json) stdout callback by its first brace keep working.
requirements:
  - Enable it in ansible.cfg (C(callbacks_enabled = nova.infra.troubleshoot) in C([defaults])) or with
    E(ANSIBLE_CALLBACKS_ENABLED=nova.infra.troubleshoot).
options:
  show_ignored:
    description:
      - Also explain failures of tasks that have C(ignore_errors), marked as ignored.
    type: bool
    default: true
    env:
      - name: NOVA_TROUBLESHOOT_SHOW_IGNORED
    ini:
      - section: nova_troubleshoot
        key: show_ignored
  to_stderr:
    description:
      - Print the guidance on standard error instead of standard output, for runs whose standard output is
        machine-read (for example with the C(ansible.posix.json) stdout callback piped to C(jq)).
    type: bool
    default: false
    env:
      - name: NOVA_TROUBLESHOOT_STDERR
    ini:
      - section: nova_troubleshoot
        key: to_stderr
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = nova.infra.troubleshoot
#
# Output under a failed task:
# fatal: [localhost]: FAILED! => ...
# AWS error InvalidKeyPair.NotFound (localhost, task: Launch the bastion)
#   Cause: The EC2 key pair does not exist in this region (key pairs are regional), ...
#   Fix:
#     1. Run the bastion role: it imports the key pair itself ...
#     2. Or import one by hand: ...
"""

from ansible import constants as C
from ansible.plugins.callback import CallbackBase

from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import classify_all
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import explain


class CallbackModule(CallbackBase):
    """Print the catalogue's cause and fix under failed tasks that carry an AWS error code."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "nova.infra.troubleshoot"
    CALLBACK_NEEDS_ENABLED = True

    def v2_runner_on_failed(self, result, ignore_errors=False):
        data = _field(result, "result")
        # A failed loop's items were each explained by v2_runner_item_on_failed already.
        if isinstance(data.get("results"), list):
            return
        self._explain(result, data, ignore_errors)

    def v2_runner_item_on_failed(self, result):
        # Item events carry no ignore_errors argument; the worker's templated task fields have it.
        ignored = bool(_field(result, "task_fields").get("ignore_errors"))
        self._explain(result, _field(result, "result"), ignored, item=True)

    def _explain(self, result, data, ignored, item=False):
        if data.get("_ansible_no_log") or data.get("censored"):
            return
        if ignored and not self.get_option("show_ignored"):
            return
        codes = classify_all(data)
        if not codes:
            return
        where = [_field(result, "host").get_name(), "loop item" if item else None, "ignored" if ignored else None]
        context = ", ".join(part for part in where if part)
        # An untemplated task name may hold Jinja braces; see the module docstring of the catalogue.
        task = _field(result, "task").get_name().translate(_NO_BRACES)
        blocks = [_render(explain(code), context, task) for code in codes]
        self._display.display("\n".join(blocks), color=C.COLOR_WARN, stderr=self.get_option("to_stderr"))


_NO_BRACES = str.maketrans("{}", "()")


def _field(result, name):
    # ansible-core 2.19 made result / host / task / task_fields public; 2.17 and 2.18 only have the _ names.
    value = getattr(result, name) if hasattr(result, name) else getattr(result, "_" + name)
    return value if value is not None else {}


def _render(guidance, context, task):
    lines = [f"AWS error {guidance['code']} ({context}, task: {task})"]
    if not guidance["known"]:
        lines[0] += " - not in the nova.infra catalogue"
    lines.append(f"  Cause: {guidance['cause']}")
    lines.append("  Fix:")
    lines.extend(f"    {number}. {step}" for number, step in enumerate(guidance["fix"], 1))
    return "\n".join(lines)
