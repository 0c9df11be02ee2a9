"""molecule test of the teardown scenario: site.yml, then teardown.yml as converge, idempotence, verify (nothing left), destroy."""

from __future__ import annotations

import pytest
from conftest import sandboxctl

from helpers import run_molecule

pytestmark = [pytest.mark.integration, pytest.mark.molecule]


def test_molecule_teardown_scenario(tmp_path):
    run_molecule("teardown", tmp_path, sandboxctl.free_port())
