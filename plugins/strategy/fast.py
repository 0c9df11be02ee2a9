# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: fast
short_description: Ansible's linear strategy, run through Mitogen for Ansible when it is installed
version_added: 0.2.0
author:
  - nova.infra engineers (!UNKNOWN)
description:
  - Runs tasks exactly as C(ansible.builtin.linear) does (same order, results, check mode and diff), but through
    Mitogen for Ansible (the C(mitogen) Python package). A long-lived Python worker per connection runs the modules,
    so boto3, botocore and the collections' code are imported once per run instead of once per task, and module
    files are not copied and unpacked for every task. On the embedded sandbox this halves the time of C(site.yml)
    (docs/benchmarks.md).
  - In that worker every botocore session shares one data loader (module_utils/botocore_share.py), so the endpoint
    rules and service models are parsed once per run instead of once per AWS client.
  - Every module's result is the same as with the linear strategy; the whole test suite runs with this strategy.
  - "Known limit of Mitogen: an amazon.aws module run with C(async) waits for its whole async timeout. Give such a
    task C(vars: {ansible_connection: ansible.builtin.local}) so it takes Ansible's own path (this collection has
    none)."
  - A play of at most three tasks (an include counts as more) runs exactly as C(ansible.builtin.linear), without
    Mitogen, whose start-up costs more than it saves on so few tasks.
  - When the C(mitogen) package is not installed the strategy is C(ansible.builtin.linear), with a warning that says
    how to install it, so the collection's playbooks never depend on it to run.
  - "Switch it off for one run with E(NOVA_MITOGEN=0) (linear, no warning) or E(ANSIBLE_STRATEGY=linear); for good
    with C(strategy = linear) in C(ansible.cfg)."
requirements:
  - "mitogen (requirements.txt pins the version; without it: the linear strategy)"
"""

import functools
import os

from ansible.plugins.strategy.linear import StrategyModule as _Linear
from ansible.utils.display import Display

display = Display()

_DISABLED = os.environ.get("NOVA_MITOGEN", "").strip().lower() in ("0", "false", "no", "off")
_MISSING = None

try:
    if _DISABLED:
        raise ImportError("NOVA_MITOGEN is off")
    import ansible_mitogen.connection
    import ansible_mitogen.planner
    import ansible_mitogen.strategy
except ImportError as error:
    _MISSING = str(error)

from ansible_collections.nova.infra.plugins.module_utils import botocore_share


def _connect_stack_sharing_loader(self, stack):
    """Connect as Mitogen does, then give the worker's botocore sessions one shared data loader (once a worker)."""
    _CONNECT_STACK(self, stack)
    try:
        self.chain.call(botocore_share.install)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # An optimisation never fails a run: the worker then keeps botocore's loader per session.
        display.vvv(f"nova.infra.fast: botocore sessions keep a data loader each: {exc}")


# Plays of at most this many tasks run as ansible.builtin.linear, without Mitogen (a one-task play of s3_sync, a
# short check): Mitogen's start-up is a fixed ~1 s of CPU per play, more than it saves on a few tasks.
LINEAR_UP_TO = 3


def _static_task_count(iterator):
    """The play's tasks as compiled (blocks, rescue and always flattened; Ansible's implicit meta tasks left out).

    An include (include_tasks, include_role) counts as longer than LINEAR_UP_TO, since what it brings is only known
    when it runs.
    """
    from ansible import constants as C

    def count(items):
        total = 0
        for item in items or ():
            if hasattr(item, "block"):  # a Block
                total += count(item.block) + count(item.rescue) + count(item.always)
            elif item.action in C._ACTION_ALL_INCLUDES:  # pylint: disable=protected-access
                total += LINEAR_UP_TO + 1
            elif item.action not in C._ACTION_META:  # pylint: disable=protected-access
                total += 1
        return total

    return count(getattr(iterator, "_blocks", ()))


@functools.cache
def _collection_dirs():
    """The installed collections' directories, listed once per run (they do not change while it runs)."""
    from ansible.collections.list import list_collection_dirs

    return tuple(path.decode("utf-8") for path in list_collection_dirs())


def _load_collections_listed_once(invocation):
    """Mitogen's planner._load_collections, from the list made once in the controller.

    Mitogen lists every installed collection for each task that runs a collection's module, and Ansible's task
    workers are forked per task, so that listing (importing each collection's package and parsing its
    meta/runtime.yml: ~50 ms with the ansible package's ~100 collections) was repeated for every task, about
    half the CPU time of a task. StrategyModule.run lists them in the controller before any worker is forked.
    """
    invocation._extra_sys_paths.update(_collection_dirs())  # pylint: disable=protected-access


if _MISSING is None:
    _CONNECT_STACK = ansible_mitogen.connection.Connection._connect_stack
    ansible_mitogen.connection.Connection._connect_stack = _connect_stack_sharing_loader
    ansible_mitogen.planner._load_collections = _load_collections_listed_once  # pylint: disable=protected-access

    class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Linear):
        """ansible.builtin.linear through Mitogen for Ansible."""

        def run(self, iterator, play_context):
            if _static_task_count(iterator) <= LINEAR_UP_TO:
                # Mitogen's start-up (its multiplexer and worker processes, ~1 s of CPU) costs more than it saves
                # on a play this short: exactly ansible.builtin.linear, without Mitogen.
                return _Linear.run(self, iterator, play_context)
            _collection_dirs()  # in the controller, so every forked task worker inherits the list
            return super().run(iterator, play_context)

else:

    class StrategyModule(_Linear):
        """ansible.builtin.linear: Mitogen for Ansible is not importable here."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if not _DISABLED:
                display.warning(
                    f"nova.infra.fast: Mitogen for Ansible is not installed ({_MISSING}), so tasks run with the plain"
                    " linear strategy, about twice as slow. Fix: pip install mitogen (requirements.txt pins it), or"
                    " set strategy = linear in ansible.cfg."
                )
