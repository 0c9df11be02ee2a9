"""No secret in any output: site.yml -vvv, then validate.yml -vvv, with distinctive credentials.

The secret access key and the session token are unique markers (the sandbox accepts any); the bastion role
generates its key pair. Neither the secret key, the session token nor any line of the private key's body may
appear in stdout/stderr of either run, in the reports or in any other file written beside the key pair.
"""

from __future__ import annotations

import uuid

import pytest

from helpers import run_playbook

pytestmark = pytest.mark.integration

SECRET_KEY = f"novaSecretKeyMarker{uuid.uuid4().hex}"
SESSION_TOKEN = f"novaSessionTokenMarker{uuid.uuid4().hex}"
KEY_NAME = "nova-production-bastion-key"


@pytest.fixture(scope="module")
def runs(sandbox, port, tmp_path_factory):
    """site.yml then validate.yml, both -vvv with the human-readable output, on an empty sandbox."""
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    work = tmp_path_factory.mktemp("secrets")
    secrets_dir, reports = work / "secrets", work / "reports"
    extra = [
        "-vvv",
        "-e",
        f"nova_aws_access_key=AKIANOVAMARKER{uuid.uuid4().hex[:6].upper()}",
        "-e",
        f"nova_aws_secret_key={SECRET_KEY}",
        "-e",
        f"nova_secrets_dir={secrets_dir}",
        "-e",
        f"nova_report_dir={reports}",
    ]
    env = {"AWS_SESSION_TOKEN": SESSION_TOKEN, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}
    site = run_playbook(port, "site.yml", *extra, env_overrides=env)
    assert site.returncode == 0, site.stdout[-4000:] + site.stderr[-2000:]
    # The audit's reports are the other written output; its findings do not matter here.
    audit = run_playbook(port, "playbooks/validate.yml", *extra, "-e", "nova_audit_fail_on=none", env_overrides=env)
    assert audit.returncode == 0, audit.stdout[-4000:] + audit.stderr[-2000:]
    return [site, audit], secrets_dir, reports


def private_key_lines(secrets_dir) -> list[str]:
    """The body of the generated private key, line by line (the armour lines are not secret)."""
    text = (secrets_dir / KEY_NAME).read_text()
    return [line for line in text.splitlines() if line and not line.startswith("-----")]


def written_files(secrets_dir, reports):
    """Every file the runs wrote except the private key itself."""
    files = [p for p in secrets_dir.rglob("*") if p.is_file() and p.name != KEY_NAME]
    return files + [p for p in reports.rglob("*") if p.is_file()]


def test_the_runs_were_verbose_and_wrote_what_is_grepped(runs):
    playbook_runs, secrets_dir, reports = runs
    # -vvv really shows module arguments, so the grep below looks at them. Ansible's local connection announces
    # itself at -vvv; the nova.infra.fast strategy (Mitogen) does not, but echoes each module's arguments as well.
    assert all(
        "<127.0.0.1> EXEC" in run.stdout or "ESTABLISH LOCAL CONNECTION" in run.stdout or "module_args:" in run.stdout
        for run in playbook_runs
    )
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in playbook_runs[0].stdout
    names = {p.name for p in written_files(secrets_dir, reports)}
    assert {f"{KEY_NAME}.pub", "ssh_config", "audit-us-west-2.json", "audit-us-west-2.md"} <= names
    assert len(private_key_lines(secrets_dir)) >= 3


@pytest.mark.parametrize("secret", ["secret access key", "session token", "private key"])
def test_no_secret_in_any_output(runs, secret):
    playbook_runs, secrets_dir, reports = runs
    needles = {
        "secret access key": [SECRET_KEY],
        "session token": [SESSION_TOKEN],
        "private key": private_key_lines(secrets_dir),
    }[secret]
    places = {f"run {i} stdout": run.stdout for i, run in enumerate(playbook_runs)}
    places.update({f"run {i} stderr": run.stderr for i, run in enumerate(playbook_runs)})
    places.update({str(path): path.read_text(errors="replace") for path in written_files(secrets_dir, reports)})
    leaks = [where for where, text in places.items() for needle in needles if needle in text]
    assert leaks == [], f"the {secret} appears in {sorted(set(leaks))}"
