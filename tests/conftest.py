"""Order of the test files: the longest first, so the xdist workers (pytest.ini: whole files each) finish
together instead of one worker starting a five-minute file when the others are done."""

from __future__ import annotations

# Longest first, as measured (pytest --durations, 2026-12-02 09:00, fast strategy; whole files, setup included);
# files not listed keep their order after these.
HEAVY_FIRST = [
    "test_resilience_faults.py",
    "test_lifecycle.py",
    "test_site.py",
    "test_quality_gates.py",
    "test_molecule_dr.py",
    "test_bad_input.py",
    "test_resilience.py",
    "test_bad_input_matrix.py",
    "test_molecule.py",
    "test_dr_outage.py",
    "test_molecule_teardown.py",
    "test_secrets.py",
    "test_preflight_settings.py",
    "test_access.py",
    "test_s3_sync.py",
    "test_bastion_launch_failure.py",
]


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
