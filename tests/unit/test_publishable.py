"""The collection as Galaxy receives it: the tarball `ansible-galaxy collection build` makes carries no local state,
passes galaxy-importer (Galaxy's own import check, pinned in requirements-dev.txt), every role's README lists the
variables of its argument specs (docs/role_readme.py), antsibull-docs renders the documentation of every module,
plugin and role's argument specs without a complaint, and `make docs` builds that HTML site without a warning."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "docs"))
import role_readme  # noqa: E402

# Never in the tarball: the venv, the sandbox's state, keys, reports, caches, bench results, build output.
LOCAL_STATE = (".venv", ".sandbox", ".secrets", ".ci", ".git/", ".pytest_cache", ".ruff_cache", ".cache", "reports/",
               "bench/results/", "build/", "context/", "tests/output/", "collections/ansible_collections/")


def build_tarball(out: Path) -> Path:
    proc = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), str(REPO)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tarball,) = out.glob("nova-infra-*.tar.gz")
    return tarball


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    return build_tarball(tmp_path_factory.mktemp("build"))


def test_every_role_readme_lists_the_variables_of_its_argument_specs():
    assert role_readme.main(["--check"]) == 0, "run `make role-readmes` and commit the READMEs"


def test_readme_generation_covers_every_option_and_sub_option():
    section = role_readme.variables_section(REPO / "roles" / "storage")
    assert "| `storage_buckets[].name` | str | required |" in section
    assert "| `storage_replication` | bool | `true` |" in section


def test_the_tarball_carries_the_collection_and_no_local_state(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    for part in ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "playbooks/site.yml", "roles/network/README.md",
                 "plugins/modules/preflight.py", "changelogs/changelog.yaml"):
        assert part in names, part
    leaked = [name for name in names if name.startswith(LOCAL_STATE) or "__pycache__" in name or name.endswith(".pyc")]
    assert not leaked, leaked[:20]


def test_galaxy_importer_accepts_the_tarball(tarball, tmp_path):
    """galaxy-importer as Galaxy runs it, offline: no container (tests/galaxy-importer.cfg), ansible-doc of the venv."""
    env = dict(os.environ, GALAXY_IMPORTER_CONFIG=str(REPO / "tests" / "galaxy-importer.cfg"), HOME=str(tmp_path),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "galaxy_importer.main", str(tarball)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    assert "Importer processing completed successfully" in output, output[-5000:]
    complaints = [line for line in output.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not complaints, complaints


def test_antsibull_docs_renders_every_plugin_and_role_without_a_complaint(tmp_path):
    """`antsibull-docs lint-collection-docs --plugin-docs`: the RST of every module, filter, test, lookup, callback,
    strategy and role entry point is generated and its schema, markup and references checked. A reference to another
    collection must name an installed collection this one depends on (or ansible.builtin) and one of its plugins,
    options or return values (--disallow-unknown-collection-refs): the offline HTML build of `make docs` leaves these
    references plain text without resolving them (docs/sphinx_offline.py), so this is their check."""
    site_packages = Path(yaml.__file__).resolve().parents[1]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", HOME=str(tmp_path),
               ANSIBLE_NOCOLOR="1",
               # antsibull-docs copies the dependencies (amazon.aws ...) with `git ls-files` when they sit inside a Git
               # work tree, as the venv's do in a checkout (.venv/ is ignored: nothing would be copied).
               GIT_CEILING_DIRECTORIES=str(site_packages))
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run(
        [str(BIN / "antsibull-docs"), "lint-collection-docs", "--plugin-docs", "--disallow-unknown-collection-refs",
         str(REPO)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0 and not proc.stdout.strip(), (proc.stdout + proc.stderr)[-6000:]


# Plugin folders and the page antsibull-docs writes for each documented plugin: <name>_<type>.html.
PLUGIN_PAGES = {"modules": ("*.py", "module"), "callback": ("*.py", "callback"), "filter": ("*.yml", "filter"),
                "test": ("*.yml", "test"), "lookup": ("*.py", "lookup"), "strategy": ("*.py", "strategy")}


def expected_html_pages() -> list[str]:
    pages = ["index.html", "environment_variables.html"]
    for folder, (pattern, plugin_type) in PLUGIN_PAGES.items():
        pages += [f"{path.stem}_{plugin_type}.html" for path in sorted((REPO / "plugins" / folder).glob(pattern))
                  if path.name != "__init__.py"]
    pages += [f"{role.name}_role.html" for role in sorted((REPO / "roles").iterdir()) if role.is_dir()]
    return pages


def test_make_docs_builds_the_html_site_without_a_warning(tmp_path):
    """`make docs` itself, into a tmp dir, offline as on CI (DOCS_INTERSPHINX=offline, docs/sphinx_offline.py):
    antsibull-docs' RST, then sphinx-build -W --keep-going, so any Sphinx warning fails it. Every module, callback,
    filter, test, lookup, strategy and role has its page."""
    out = tmp_path / "docs"
    # A sub-make of `make test` must not inherit its jobserver or level.
    env = {key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(HOME=str(tmp_path), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "docs", f"DOCS={out}", "DOCS_INTERSPHINX=offline"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    complaints = [line for line in output.splitlines() if re.search(r"\b(WARNING|ERROR)\b", line)]
    assert not complaints, complaints
    html = out / "build" / "html"
    missing = [page for page in expected_html_pages() if not (html / page).is_file()]
    assert not missing, (missing, sorted(path.name for path in html.glob("*.html")))
