"""molecule test of the dr scenario: site.yml, then a dr-failover.yml drill as converge, idempotence, verify (us-east-1 read back), destroy."""

from __future__ import annotations

import pytest
from conftest import sandboxctl

from helpers import run_molecule

pytestmark = [pytest.mark.integration, pytest.mark.molecule]


def test_molecule_dr_scenario(tmp_path):
    run_molecule("dr", tmp_path, sandboxctl.free_port())
