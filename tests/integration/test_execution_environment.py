"""execution-environment.yml: `ansible-builder create` writes a build context that holds the collection and the
project's pinned dependencies; ansible-navigator.yml runs the playbooks in that image."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from helpers import BIN
from helpers import REPO

SITE_PACKAGES_COLLECTIONS = Path(yaml.__file__).resolve().parents[1] / "ansible_collections"
EE_TAG = "nova-infra-ee:0.1.0"


def project_pins() -> dict:
    """name -> version of every `name==version` line of requirements.txt and constraints.txt."""
    pins = {}
    for name in ("requirements.txt", "constraints.txt"):
        for line in (REPO / name).read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
            if match:
                pins[match.group(1).lower()] = match.group(2)
    return pins


def installed_collection_version(fqcn: str) -> str:
    namespace, name = fqcn.split(".")
    manifest = SITE_PACKAGES_COLLECTIONS / namespace / name / "MANIFEST.json"
    return json.loads(manifest.read_text())["collection_info"]["version"]


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The build context of `ansible-builder create`, written from the repository's EE file."""
    out = tmp_path_factory.mktemp("ee") / "context"
    proc = subprocess.run(
        [str(BIN / "ansible-builder"), "create", "--file", "execution-environment.yml", "--context", str(out),
         "--output-filename", "Containerfile"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_context_holds_a_multi_stage_containerfile_from_the_pinned_base(context):
    containerfile = (context / "Containerfile").read_text()
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    base = ee["images"]["base_image"]["name"]
    # A maintained Ansible EE base (docs/awx.md), its tag the ansible-core series the project pins.
    assert base.startswith("ghcr.io/ansible-community/community-ee-minimal:")
    core_series = ".".join(project_pins()["ansible-core"].split(".")[:2])
    assert base.split(":")[1].startswith(core_series + "."), (base, core_series)
    assert f'ARG EE_BASE_IMAGE="{base}"' in containerfile
    pins = project_pins()
    assert f'ARG ANSIBLE_INSTALL_REFS="ansible-core=={pins["ansible-core"]} ansible-runner==' in containerfile
    for stage in ("AS base", "AS galaxy", "AS builder", "AS final"):
        assert stage in containerfile
    assert "ansible-galaxy collection install" in containerfile


def test_python_dependencies_are_the_project_pins(context):
    lines = (context / "_build" / "requirements.txt").read_text().split()
    pins = project_pins()
    assert sorted(lines) == sorted(f"{name}=={pins[name]}" for name in ("boto3", "botocore", "mitogen"))


def test_collections_are_pinned_to_the_versions_the_project_runs(context):
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    pinned = {c["name"]: c["version"] for c in requirements if c.get("type") != "dir"}
    assert set(pinned) == {"amazon.aws", "community.aws", "community.crypto", "community.general"}
    for fqcn, version in pinned.items():
        assert version == f"=={installed_collection_version(fqcn)}", fqcn
    assert {"name": "/build/nova_infra", "type": "dir"} in requirements


def test_collection_source_in_the_context_installs_as_nova_infra(context, tmp_path):
    source = context / "_build" / "nova_infra"
    for part in ("galaxy.yml", "meta/runtime.yml", "plugins/modules/preflight.py", "roles/network/tasks/main.yml",
                 "playbooks/site.yml", "docs/iam/site.json"):
        assert (source / part).is_file(), part
    # As the image's galaxy stage installs it; --force because the venv already has nova.infra on its Python path,
    # --no-deps because the image takes the dependencies from Galaxy.
    proc = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", str(source), "--no-deps", "--force", "-p", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = tmp_path / "ansible_collections" / "nova" / "infra"
    manifest = json.loads((installed / "MANIFEST.json").read_text())["collection_info"]
    assert (manifest["namespace"], manifest["name"]) == ("nova", "infra")
    assert (installed / "plugins" / "modules" / "preflight.py").is_file()


def test_navigator_runs_the_playbooks_in_that_image():
    settings = yaml.safe_load((REPO / "ansible-navigator.yml").read_text())["ansible-navigator"]
    ee = settings["execution-environment"]
    assert ee["enabled"] is True and ee["image"] == EE_TAG
    assert EE_TAG in yaml.safe_load((REPO / "execution-environment.yml").read_text())["options"]["tags"]
    # Credentials reach the container from the caller's environment, never from the file.
    assert {"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} <= set(
        ee["environment-variables"]["pass"]
    )
    assert "AWS_SECRET_ACCESS_KEY" not in json.dumps(ee["environment-variables"].get("set", {}))
