"""The nova.infra.fast strategy: Mitogen's strategy mixin over ansible.builtin.linear, or exactly linear when Mitogen is
switched off (NOVA_MITOGEN=0). Each check loads the plugin in a fresh interpreter (the switch is read at import)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest


def run_python(code: str, env: dict) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("switch, expected", [("0", "linear"), ("", "mitogen")])
def test_the_fast_strategy_is_linear_without_mitogen(switch, expected):
    out = run_python("""
        from ansible.plugins.loader import init_plugin_loader
        from ansible.plugins.loader import strategy_loader
        init_plugin_loader()
        cls = strategy_loader.get("nova.infra.fast", class_only=True)
        print("mitogen" if any("mitogen" in base.__module__ for base in cls.__mro__) else "linear")
    """, env={**os.environ, "NOVA_MITOGEN": switch})
    assert out == expected


def test_mitogen_lists_the_installed_collections_once_per_run():
    """Mitogen's planner lists every installed collection for each task; the fast strategy lists them once in the
    controller (before any task worker is forked) and hands every task the same list, as Mitogen would build it."""
    out = run_python("""
        import json
        from ansible.collections.list import list_collection_dirs
        from ansible.plugins.loader import init_plugin_loader
        from ansible.plugins.loader import strategy_loader
        init_plugin_loader()
        strategy_loader.get("nova.infra.fast", class_only=True)
        import ansible_mitogen.planner as planner
        import ansible.collections.list as listing

        class Invocation:
            def __init__(self):
                self._extra_sys_paths = set()

        first, second = Invocation(), Invocation()
        planner._load_collections(first)
        calls = []
        listing.list_collection_dirs = lambda *a, **k: calls.append(1) or []
        planner._load_collections(second)
        expected = {p.decode() for p in list_collection_dirs()}
        print(json.dumps([first._extra_sys_paths == second._extra_sys_paths == expected, len(expected) > 0, calls]))
    """, env={**os.environ, "NOVA_MITOGEN": ""})
    assert out == "[true, true, []]"


PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The process that runs the module
      ansible.builtin.shell: tr '\\000' ' ' < /proc/$PPID/cmdline
      register: parent
    - name: Show it
      ansible.builtin.debug:
        msg: "runner={{ parent.stdout }}"
"""


@pytest.mark.parametrize("extra_tasks, runner", [(0, "AnsiballZ"), (2, "mitogen:")])
def test_a_play_of_three_tasks_or_fewer_runs_without_mitogen(tmp_path, extra_tasks, runner):
    """Mitogen's start-up costs more than it saves on a few tasks: such a play runs as plain linear (its module in
    an AnsiballZ process of its own); a longer one through Mitogen's worker."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY + "".join(f"    - ansible.builtin.debug:\n        msg: {i}\n" for i in range(extra_tasks)))
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
         "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
        capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "NOVA_MITOGEN": "", "ANSIBLE_STRATEGY": "nova.infra.fast", "ANSIBLE_NOCOLOR": "1"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    (shown,) = [line for line in proc.stdout.splitlines() if "runner=" in line]
    assert runner in shown
