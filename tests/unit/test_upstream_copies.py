"""The copies of amazon.aws and community.aws modules (docs/upstream-patches.md) differ from the installed upstream only
by the recorded nova.infra hunks, so an upgrade of either collection cannot leave a stale copy behind unnoticed."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Each copy and the collection it is copied from.
COPIES = {
    "ec2_vpc_route_table": "amazon.aws",
    "ec2_security_group": "amazon.aws",
    "s3_bucket": "amazon.aws",
    "cloudwatch_metric_alarm": "amazon.aws",
    "ec2_vpc_net": "amazon.aws",
    "ec2_vpc_subnet": "amazon.aws",
    "ec2_vpc_igw": "amazon.aws",
    "sns_topic": "community.aws",
}


def _collection_root(collection: str) -> Path:
    return Path(pytest.importorskip(f"ansible_collections.{collection}").__path__[0])


def _manifest_version(collection: str) -> str:
    manifest = _collection_root(collection) / "MANIFEST.json"
    return json.loads(manifest.read_text())["collection_info"]["version"]


def current_diff(module: str) -> str:
    collection = COPIES[module]
    upstream = (_collection_root(collection) / "plugins" / "modules" / f"{module}.py").read_text()
    copy = (REPO / "plugins" / "modules" / f"{module}.py").read_text()
    return "".join(difflib.unified_diff(
        upstream.splitlines(keepends=True), copy.splitlines(keepends=True),
        fromfile=f"{collection}-{_manifest_version(collection)}/plugins/modules/{module}.py",
        tofile=f"nova.infra/plugins/modules/{module}.py",
    ))


@pytest.mark.parametrize("module", COPIES)
def test_the_copy_is_upstream_plus_the_recorded_hunks(module):
    diff = current_diff(module)
    recorded = (REPO / "docs" / "upstream-patches" / f"{module}.diff").read_text()
    collection = COPIES[module]
    assert diff == recorded, (
        f"plugins/modules/{module}.py is not {collection} {_manifest_version(collection)}'s {module}.py plus the "
        f"hunks of docs/upstream-patches/{module}.diff: re-apply them as docs/upstream-patches.md says"
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
