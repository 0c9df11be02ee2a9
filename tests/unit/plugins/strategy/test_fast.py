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
