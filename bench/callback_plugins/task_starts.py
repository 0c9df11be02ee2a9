# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A bench-only callback (not part of the collection): appends each task's start (its time, name and file:line) as one
JSON line to the file named by NOVA_TASK_STARTS, for bench/requests_by_task.py to match the sandbox's request log."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_starts
type: aggregate
short_description: the start of each task, as JSON lines (bench/requests_by_task.py)
description:
  - Appends C({"ts", "task", "path"}) for each task and handler to the file named by E(NOVA_TASK_STARTS).
options: {}
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_starts"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._out = open(os.environ["NOVA_TASK_STARTS"], "a", encoding="utf-8", buffering=1)  # pylint: disable=consider-using-with

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._out.write(json.dumps({"ts": time.time(), "task": task.get_name(), "path": task.get_path()}) + "\n")

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)
