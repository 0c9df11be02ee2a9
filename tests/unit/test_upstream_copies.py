"""The copies of amazon.aws modules (docs/upstream-patches.md) differ from the installed upstream only by the recorded
nova.infra hunks, so an amazon.aws upgrade cannot leave a stale copy behind unnoticed."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = Path(pytest.importorskip("ansible_collections.amazon.aws").__path__[0]) / "plugins" / "modules"


def _manifest_version() -> str:
    import json

    return json.loads((UPSTREAM.parents[1] / "MANIFEST.json").read_text())["collection_info"]["version"]


COPIES = ["ec2_vpc_route_table", "ec2_security_group", "s3_bucket", "ec2_vpc_net", "ec2_vpc_subnet", "ec2_vpc_igw"]


def current_diff(module: str) -> str:
    upstream = (UPSTREAM / f"{module}.py").read_text().splitlines(keepends=True)
    copy = (REPO / "plugins" / "modules" / f"{module}.py").read_text().splitlines(keepends=True)
    return "".join(difflib.unified_diff(
        upstream, copy, fromfile=f"amazon.aws-{_manifest_version()}/plugins/modules/{module}.py",
        tofile=f"nova.infra/plugins/modules/{module}.py",
    ))


@pytest.mark.parametrize("module", COPIES)
def test_the_copy_is_upstream_plus_the_recorded_hunks(module):
    diff = current_diff(module)
    recorded = (REPO / "docs" / "upstream-patches" / f"{module}.diff").read_text()
    assert diff == recorded, (
        f"plugins/modules/{module}.py is not amazon.aws {_manifest_version()}'s {module}.py plus the hunks of "
        f"docs/upstream-patches/{module}.diff: re-apply them as docs/upstream-patches.md says"
    )


@pytest.mark.parametrize("module", COPIES)
def test_every_changed_line_is_marked(module):
    diff = (REPO / "docs" / "upstream-patches" / f"{module}.diff").read_text()
    assert "nova.infra" in diff
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert added and any("nova.infra" in line for line in added)


if __name__ == "__main__":
    # Records the diffs after the hunks were re-applied (docs/upstream-patches.md).
    for name in COPIES:
        (REPO / "docs" / "upstream-patches" / f"{name}.diff").write_text(current_diff(name))
        print(f"written: docs/upstream-patches/{name}.diff")
