"""Run `ansible-test sanity` or `ansible-test units` on this collection, offline except for PyPI.

ansible-test only works from a tree shaped `.../ansible_collections/<namespace>/<name>`, so this
script lays one out in the temp dir (NOVA_ANSIBLE_TEST_ROOT overrides where), outside this git work
tree: inside it, ansible-test would find this repo's .git and see no files under an ignored path.
The tree is kept between runs so ansible-test's controller venv under tests/output/.tmp is reused;
its per-test sanity venvs are cached in ~/.ansible/test/venv. The collection's files (tracked, plus
untracked but not ignored, so work not yet committed is checked too) are copied, and the dependency
collections are linked in beside it from the venv's site-packages.

ansible-test bootstraps pip in every venv it creates with a get-pip.py that it downloads from a
host that is not reachable here; it looks in ~/.ansible/test/cache first, so a stand-in is seeded there
that installs the pinned pip from PyPI with the venv's uv (or with `ensurepip`, then pip, without uv).

`units` runs every tests/unit test file except those holding a fixture wider than one test
(scope="module"/"session"/"package", i.e. a sandbox server shared by a file's tests): ansible-test
runs each test in its own forked process (its ansible_forked pytest plugin), so such a fixture
would be built again for every test (a moto server start each time), which roughly doubles their
time; plain pytest in `make test` runs them. Naming test paths after `units` runs exactly those.

Usage (by hand or from tests/unit/test_quality_gates.py):
    .venv/bin/python tests/ansible_test_support/run_ansible_test.py sanity [extra ansible-test args]
    .venv/bin/python tests/ansible_test_support/run_ansible_test.py units [extra ansible-test args]
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NAMESPACE, NAME = "nova", "infra"
DEPENDENCIES = ("amazon/aws", "community/aws", "community/crypto")
WORK_ROOT = Path(
    os.environ.get("NOVA_ANSIBLE_TEST_ROOT")
    or Path(tempfile.gettempdir()) / f"nova-infra-ansible-test-{hashlib.sha1(str(REPO).encode()).hexdigest()[:10]}"
)
COLLECTION_ROOT = WORK_ROOT / "ansible_collections"
TREE = COLLECTION_ROOT / NAMESPACE / NAME
# Where ansible-test's bootstrap (_util/target/setup/requirements.py) looks for get_pip_<version>.py.
GET_PIP_CACHE = Path("~/.ansible/test/cache").expanduser()

# The venv's uv (Makefile): it installs pip into each new venv in a fraction of a second, where ensurepip and then
# `pip install pip==<version>` take seconds, in each of the venvs a cold `ansible-test sanity` makes (138 -> 80 s alone).
UV = Path(sys.executable).parent / "uv"

GET_PIP_STAND_IN = '''\
"""Stand-in for ansible-test's get-pip.py: the requested pip installed by uv when the project's venv has it,
otherwise by ensurepip, then pip from PyPI."""
import os
import subprocess
import sys

UV = {uv!r}
# ansible-test passes pip-install arguments (e.g. --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel);
# the two --no-* flags belong to get-pip.py only and pip install rejects them.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if os.path.exists(UV):
    packages = [a for a in args if not a.startswith("-")]
    # --native-tls: the system's CA store; ansible-test runs this without SSL_CERT_FILE and the like.
    subprocess.check_call([UV, "pip", "install", "--quiet", "--native-tls", "--python", sys.executable] + packages)
else:
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)
'''


def collection_files() -> list[str]:
    """Tracked files plus untracked ones that are not ignored: what the next commit would hold."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted(p for p in set(out.split("\0")) if p and (REPO / p).is_file())


def build_tree() -> Path:
    """Refresh the copy of the collection (keeping tests/output, where ansible-test caches venvs)."""
    TREE.mkdir(parents=True, exist_ok=True)
    for entry in TREE.iterdir():
        if entry.name == "tests":
            for sub in entry.iterdir():
                if sub.name == "output":
                    continue
                if sub.is_dir() and not sub.is_symlink():
                    shutil.rmtree(sub)
                else:
                    sub.unlink()
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for rel in collection_files():
        target = TREE / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)

    site = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
    for dep in DEPENDENCIES:
        link = COLLECTION_ROOT / dep
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(site / dep, target_is_directory=True)
    return TREE


def seed_get_pip() -> None:
    # The pip version ansible-test pins for its venvs (24.2 in ansible-core 2.19).
    from ansible_test._internal.host_configs import NativePythonConfig
    from ansible_test._internal.python_requirements import get_venv_packages

    pip_version = get_venv_packages(NativePythonConfig(version="3.11"))["pip"]
    GET_PIP_CACHE.mkdir(parents=True, exist_ok=True)
    script = GET_PIP_CACHE / f"get_pip_{pip_version.replace('.', '_')}.py"
    stand_in = GET_PIP_STAND_IN.format(uv=str(UV))
    if not script.exists() or script.read_text() != stand_in:
        script.write_text(stand_in)


WIDE_FIXTURE = re.compile(r"""scope\s*=\s*["'](module|session|package)["']""")


def unit_test_files(root: Path = TREE) -> list[Path]:
    """tests/unit test files under root, but test_quality_gates.py: it runs this script (under ansible-test it would
    recurse)."""
    return [p for p in sorted((root / "tests" / "unit").rglob("test_*.py")) if p.name != "test_quality_gates.py"]


def units_targets(root: Path = TREE) -> list[str]:
    """tests/unit files under root whose fixtures all live per test (tests/conftest.py leaves them to this run)."""
    return [
        str(path.relative_to(root))
        for path in unit_test_files(root)
        if not WIDE_FIXTURE.search(path.read_text(encoding="utf-8"))
    ]


def ansible_test_command(command: str, extra: list[str]) -> list[str]:
    ansible_test = str(Path(sys.executable).parent / "ansible-test")
    if command == "sanity":
        # --venv: ansible-test builds its own controller venv and per-test venvs with the
        # requirements it pins itself; no docker here, and --local would need them in our .venv.
        return [ansible_test, "sanity", "--venv", "--python", "3.11", "--color", "no", *extra]
    if command == "units":
        # --local: the unit tests need moto, boto3 and pytest-xdist, all pinned in our .venv.
        # One pytest worker (ansible-test's default: one per CPU): each test runs in a process forked from it anyway,
        # and every worker imports the tests and their libraries again for each of ansible-test's three test sets;
        # alone on 2 cores, 2 -> 1 worker took the gate from 72 to 65 CPU-s (43 -> 66 s wall, hidden in `make test`).
        workers = [] if any(arg.startswith("--num-workers") for arg in extra) else ["--num-workers", "1"]
        return [ansible_test, "units", "--local", "--python", "3.11", "--color", "no", *workers, *extra]
    raise SystemExit(f"unknown command {command!r}: use sanity or units")


def python_path_dirs() -> list[str]:
    """bin dirs of pyenv's Pythons (its shims answer "command not found" for versions not selected)."""
    from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS

    dirs = []
    for version in SUPPORTED_PYTHON_VERSIONS:
        versions = Path(os.environ.get("PYENV_ROOT", "~/.pyenv")).expanduser() / "versions"
        dirs += sorted(str(p) for p in versions.glob(f"{version}.*/bin"))
    return dirs


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, extra = argv[0], argv[1:]
    cmd = ansible_test_command(command, extra)
    tree = build_tree()
    if command == "units" and not any(arg.startswith("tests/") for arg in extra):
        targets = units_targets()
        cmd += targets
        for rel in sorted({str(path.relative_to(tree)) for path in unit_test_files()} - set(targets)):
            print(f"not under ansible-test units (shares a fixture across tests; plain pytest runs it): {rel}")
    seed_get_pip()
    env = dict(os.environ)
    # ansible-test runs ansible from the venv it was started from; put that venv's bin first so the
    # tools it spawns (ansible-doc, pytest) are the pinned ones.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), *python_path_dirs(), env.get("PATH", "")])
    env.pop("ANSIBLE_CONFIG", None)
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    commands = [cmd]
    if command == "sanity" and not extra:
        # Modules and module_utils run on the managed host's Python (3.8+ for ansible-core 2.19):
        # compile them with every Python found, not only the controller's.
        commands.append([cmd[0], "sanity", "--venv", "--test", "compile", "--color", "no"])
    status = 0
    for each in commands:
        print(f"$ (cd {tree} && {' '.join(each)})", flush=True)
        status = subprocess.run(each, cwd=tree, env=env, check=False).returncode or status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
