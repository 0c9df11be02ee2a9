"""Quality gates of `make test`: ruff, ansible-lint, ansible-doc, ansible-test sanity and units.

Each gate is one test that runs the tool as a developer would and fails with the tool's own
findings (file:line: rule) so they can be fixed from the test report alone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUN_ANSIBLE_TEST = REPO / "tests" / "ansible_test_support" / "run_ansible_test.py"
# Generous: a cold ansible-test sanity builds its venvs from PyPI; a hung tool must still end the run.
TIMEOUT = 900


def run(cmd, stderr=subprocess.STDOUT):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), NO_COLOR="1", ANSIBLE_NOCOLOR="1")
    # The tools spawn each other (ansible-lint runs ansible-playbook): the venv's, not whatever PATH has.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def check(result, keep=r"ERROR|error|FATAL|\S+:\d+"):
    """Fail with the tool's findings first (lines naming file:line or an error), then its full output."""
    if result.returncode != 0:
        pytest.fail(report(result, keep), pytrace=False)


def report(result, keep=r"ERROR|error|FATAL|\S+:\d+"):
    findings = [line for line in result.stdout.splitlines() if re.search(keep, line)]
    return (
        f"$ {' '.join(result.args)}\nexit status {result.returncode}\n"
        + "--- findings ---\n"
        + "\n".join(findings)
        + "\n--- full output ---\n"
        + result.stdout[-20000:]
    )


def test_ruff():
    result = run([BIN / "ruff", "check", "--no-cache", "--output-format", "concise", "."])
    check(result)


def test_ansible_lint():
    # pep8 format: one `file:line: rule: message` line per finding; profile and offline mode are in .ansible-lint.
    result = run([BIN / "ansible-lint", "--format", "pep8", "--nocolor"])
    check(result)


def _plugin_names():
    modules = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    callbacks = sorted(p.stem for p in (REPO / "plugins" / "callback").glob("*.py") if p.stem != "__init__")
    filters = []
    for path in sorted((REPO / "plugins" / "filter").glob("*.py")):
        # Every filter a plugin file provides must be documented (sidecar <name>.yml), not only the files.
        src = f"from ansible_collections.nova.infra.plugins.filter.{path.stem} import FilterModule\n"
        src += "print('\\n'.join(FilterModule().filters()))"
        out = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, check=True).stdout
        filters += out.split()
    return {"module": modules, "callback": callbacks, "filter": sorted(filters)}


@pytest.mark.parametrize("plugin_type", ["module", "filter", "callback"])
def test_ansible_doc_renders(plugin_type):
    names = [f"nova.infra.{name}" for name in _plugin_names()[plugin_type]]
    assert names, f"no {plugin_type} plugins found"
    # --json renders every plugin in one process; a plugin whose doc does not load is missing from it.
    batch = run([BIN / "ansible-doc", "--json", "-t", plugin_type, *names], stderr=subprocess.DEVNULL)
    try:
        rendered = json.loads(batch.stdout)
    except ValueError:
        rendered = {}
    missing = [name for name in names if not (rendered.get(name) or {}).get("doc")]
    if missing or batch.returncode:
        # Render each suspect alone: ansible-doc then names the broken plugin and its parse error.
        alone = {name: run([BIN / "ansible-doc", "-t", plugin_type, name]) for name in missing or names}
        broken = {name: res for name, res in alone.items() if res.returncode} or {n: alone[n] for n in missing}
        details = "\n".join(report(res, keep=r"ERROR|WARNING") for res in broken.values())
        pytest.fail(f"ansible-doc cannot render {plugin_type} plugin(s) {', '.join(broken)}:\n{details}", pytrace=False)


def test_sanity_ignores_say_why():
    """Every tests/sanity/ignore-*.txt entry ends with `# reason` (ansible-test itself accepts bare ones)."""
    bare = [
        f"{path.relative_to(REPO)}:{number}: {line}"
        for path in sorted((REPO / "tests" / "sanity").glob("ignore-*.txt"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip() and not re.search(r"\s#\s*\S", line)
    ]
    assert not bare, "ignore entries without a `# reason`:\n" + "\n".join(bare)


def test_ansible_test_sanity():
    result = run([sys.executable, RUN_ANSIBLE_TEST, "sanity"])
    check(result, keep=r"^(ERROR|FATAL)")


def test_ansible_test_units():
    result = run([sys.executable, RUN_ANSIBLE_TEST, "units"])
    check(result, keep=r"^(ERROR|FATAL|FAILED)|Error")
