"""molecule test of the default scenario (site.yml): create, converge, idempotence, verify (the whole stack read back), destroy."""

from __future__ import annotations

import pytest
from conftest import sandboxctl

from helpers import run_molecule

pytestmark = [pytest.mark.integration, pytest.mark.molecule]


def test_molecule_default_scenario(tmp_path):
    run_molecule("default", tmp_path, sandboxctl.free_port())
