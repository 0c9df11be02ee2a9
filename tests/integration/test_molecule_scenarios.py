"""molecule test of the dr and teardown scenarios end to end: create, converge, idempotence, verify, destroy."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import sandboxctl

from helpers import BIN
from helpers import REPO

pytestmark = [pytest.mark.integration, pytest.mark.molecule]


@pytest.mark.parametrize("scenario", ["dr", "teardown"])
def test_molecule_scenario(scenario, tmp_path):
    env = dict(os.environ)
    env.update(
        # Each scenario starts and stops its own sandbox, on a port of its own.
        NOVA_SANDBOX_PORT=str(sandboxctl.free_port()),
        NOVA_SANDBOX_DIR=str(tmp_path / "sandbox"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_NOCOLOR="1",
        NO_COLOR="1",
    )
    subprocess.run(
        [str(BIN / "molecule"), "reset", "-s", scenario], cwd=REPO, env=env, capture_output=True, check=False
    )
    proc = subprocess.run(
        [str(BIN / "molecule"), "test", "-s", scenario],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = proc.stdout + proc.stderr
    (tmp_path / "molecule.log").write_text(output)
    # On failure show the failed step (idempotence names the tasks that changed) and the end of the output.
    failed_at = max(output.find("Idempotence test failed"), output.rfind("fatal:"), 0)
    assert (
        proc.returncode == 0
    ), f"{tmp_path / 'molecule.log'}:\n{output[failed_at : failed_at + 2000]}\n...\n{output[-1500:]}"
    for step in ("create", "converge", "idempotence", "verify", "destroy"):
        assert f"{step}: Executed: Successful" in output, f"{step} did not run:\n{output[-4000:]}"
