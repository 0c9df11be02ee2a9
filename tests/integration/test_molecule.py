"""molecule test (default scenario) end to end: create, converge, idempotence, verify, destroy."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import sandboxctl

from helpers import BIN
from helpers import REPO

pytestmark = [pytest.mark.integration, pytest.mark.molecule]


def test_molecule_default_scenario(tmp_path):
    env = dict(os.environ)
    env.update(
        # The scenario starts and stops its own sandbox, on a port of its own.
        NOVA_SANDBOX_PORT=str(sandboxctl.free_port()),
        NOVA_SANDBOX_DIR=str(tmp_path / "sandbox"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_NOCOLOR="1",
        NO_COLOR="1",
    )
    subprocess.run([str(BIN / "molecule"), "reset"], cwd=REPO, env=env, capture_output=True, check=False)
    proc = subprocess.run(
        [str(BIN / "molecule"), "test"], cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    for step in ("create", "converge", "idempotence", "verify", "destroy"):
        assert f"{step}: Executed: Successful" in output, f"{step} did not run:\n{output[-4000:]}"
