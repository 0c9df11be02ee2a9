"""Order of the test files: the longest first, so the xdist workers (pytest.ini: whole files each) finish
together instead of one worker starting a five-minute file when the others are done; one botocore data loader
for the test process; the repository's root on sys.path (`from sandbox import sandboxctl`); the fixtures the test
files share: start_sandbox (a test module's own sandboxes) and run_module (a module's main() in-process)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.nova.infra.plugins.module_utils import botocore_share

# sandbox/ is a package at the repository's root: `from sandbox import sandboxctl` in every test file, under plain
# pytest and under ansible-test units alike (its pytest configuration is its own, so pytest.ini cannot say this).
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

# The tests build hundreds of boto3 clients and run modules in-process, each parsing botocore's endpoint rules and
# service models again; their sessions share one data loader, as the fast strategy's worker does (botocore's own
# loader, the same files: no result changes).
botocore_share.install()

# The tests start ~20 sandboxes: each forks a server that has loaded moto once per test process (sandbox/preload.py)
# instead of starting a new interpreter (~1.1 -> ~0.1 CPU-s a start, ~0.55 -> ~0.4 at first use).
from sandbox import sandboxctl  # noqa: E402  # pylint: disable=wrong-import-position

sandboxctl.use_forkserver()

# Longest first, as measured (per-file wall of a clean-clone `make test`, 2026-12-04 19:07, the sum of each file's
# tests with their setup, 4 workers on 2 cores); files not listed (under 10 s) keep their order after these.
# pytest.ini's --no-loadscope-reorder makes xdist hand them out in this order.
HEAVY_FIRST = [
    "test_quality_gates.py",  # 266 s
    "test_lifecycle.py",  # 206 s
    "test_resilience_faults.py",  # 201 s
    "test_site.py",  # 200 s
    "test_run_lock.py",  # 193 s
    "test_stack_audit.py",  # ~155 s (185 s less the ~30 s of S3 Control retries it no longer waits)
    "test_molecule_dr.py",  # 142 s
    "test_bad_input.py",  # 127 s
    "test_molecule.py",  # 125 s
    "test_ssm_access.py",  # 121 s
    "test_molecule_teardown.py",  # 118 s
    "test_resilience.py",  # 116 s
    "test_capacity_azs.py",  # 114 s
    "test_publishable.py",  # 111 s
    "test_network_endpoints_nat.py",  # 110 s
    "test_bad_input_matrix.py",  # 76 s
    "test_dr_outage.py",  # 66 s
    "test_access.py",  # 50 s
    "test_secrets.py",  # 48 s
    "test_s3_sync.py",  # 42 s
    "test_preflight_settings.py",  # 32 s
    "test_security_group_copy.py",  # 32 s
    "test_sandbox.py",  # 30 s
    "test_bastion_launch_failure.py",  # 30 s
    "test_preflight.py",  # 20 s
    "test_vpc_flow_log.py",  # 18 s
    "test_s3_bucket_replication.py",  # 17 s
    "test_run_lock_module.py",  # 15 s
    "test_strict.py",  # 12 s
    "test_fast_strategy_skip.py",  # 11 s
    "test_s3_bucket_copy.py",  # 10 s
    "test_sandbox_zones.py",  # 10 s
    "test_sandbox_alignment.py",  # 10 s
]


def pytest_collection_finish(session):
    """Under ansible-test units, load the AWS libraries before the first fork when most collected tests use them."""
    if not session.config.pluginmanager.has_plugin("ansible_forked") or not session.items:
        return
    uses_aws = {}
    for item in session.items:
        if item.path not in uses_aws:
            # boto3 or moto imported, or the sandbox's clients taken from the fixture below.
            text = item.path.read_text()
            uses_aws[item.path] = bool(re.search(r"^(import boto3|from moto )|\bsandbox_client\b", text, re.MULTILINE))
    if sum(uses_aws[item.path] for item in session.items) * 2 > len(session.items):
        load_before_forking()


def load_before_forking():
    """ansible-test units runs each test in a process forked from its pytest worker (its ansible_forked plugin), and
    what a test loads itself ends with that process: every test imported moto's backends and parsed botocore's
    service models again. Loaded here, in the worker before its first fork, each test inherits them (the same modules
    and models a test would load; nothing of moto's emulated state, which each test's mock starts empty), and the
    garbage collector of each test leaves them out (gc.freeze). A larger worker makes every fork dearer, so this is
    done only where most tests use AWS (the modules' tests: 15 -> 7 s; in the module_utils set, where most do not,
    it made the set slower)."""
    import gc

    import boto3

    # What the sandboxes' forkserver loads: moto's backends and its own reading of each service's model.
    import sandbox.preload  # noqa: F401  # pylint: disable=unused-import

    for service in sandboxctl.STACK_SERVICES:
        # A client parses the endpoint rules and the model into the shared loader (botocore_share, above); no request.
        boto3.client(service, region_name="us-east-1", aws_access_key_id="unused", aws_secret_access_key="unused")
    gc.freeze()


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: only a gate that will run takes tests over
def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
    _leave_to_ansible_test_units(config, items)


def _leave_to_ansible_test_units(config, items):
    """The tests/unit files that ansible-test units runs (test_quality_gates.py::test_ansible_test_units: every file
    whose fixtures all live per test, each test in a forked process of the collection's layout) run only there when
    that gate is part of the session, not a second time here: each test still runs, and its failure fails the gate
    with pytest's FAILED line. Run a file alone, or deselect the gate, and plain pytest runs it."""
    if not any(item.nodeid.endswith("test_quality_gates.py::test_ansible_test_units") for item in items):
        return
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "tests" / "ansible_test_support"))
    try:
        import run_ansible_test  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    under_ansible_test = {root / rel for rel in run_ansible_test.units_targets(root)}
    left = [item for item in items if item.path in under_ansible_test]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if item.path not in under_ansible_test]


@pytest.fixture(scope="module")
def start_sandbox(tmp_path_factory):
    """The sandboxes of one test module: start_sandbox(**options) starts one on a free port with a state directory
    of its own (options: sandboxctl.start's, e.g. strict=True; none: $NOVA_SANDBOX_STRICT decides) and returns its
    handle; each is stopped when the module's tests are done. A file's own module-scoped fixture calls it, so the
    file still shows it shares a fixture across tests (run_ansible_test.py leaves such files to plain pytest)."""
    from sandbox import sandboxctl  # pylint: disable=import-outside-toplevel

    handles = []

    def start(**options):
        handle = sandboxctl.start(port=None, state_dir=tmp_path_factory.mktemp("sandbox"), **options)
        handles.append(handle)
        return handle

    try:
        yield start
    finally:
        for handle in reversed(handles):
            sandboxctl.stop(handle)


@pytest.fixture(scope="session", autouse=True)
def playbook_workdirs_under_pytest_tmp(tmp_path_factory):
    """The integration tests' playbook working directories (key pairs, ssh_config, reports: helpers.workdir_of) in
    this session's pytest temporary directory, which pytest prunes, instead of the system's /tmp."""
    os.environ["NOVA_TESTS_WORKDIR_ROOT"] = str(tmp_path_factory.mktemp("workdirs"))


@pytest.fixture
def clean_sandbox_url(sandbox, monkeypatch):
    """The test file's ``sandbox`` (module-scoped), emptied, without faults or latency and with its counters at
    zero, and no AWS settings from the environment that could point elsewhere: its endpoint URL."""
    from sandbox import sandboxctl

    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    url = sandboxctl.endpoint(sandbox)
    sandboxctl.configure(url, latency_ms=0, fault_rate=0.0, fault_kinds="throttle,5xx", seed=None)
    sandboxctl.reset(url)
    sandboxctl.stats(url, reset=True)
    return url


@pytest.fixture
def sandbox_client(clean_sandbox_url):
    """boto3 clients of the emptied sandbox (clean_sandbox_url): ``sandbox_client(service, region)``."""
    import boto3

    def make(service, region="us-west-2"):
        return boto3.client(service, region_name=region, endpoint_url=clean_sandbox_url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    return make


@pytest.fixture(autouse=True)
def no_warnings_from_earlier_modules():
    """ansible-core keeps a module's warnings and deprecations in module-level lists until the process ends; a module
    run in-process after another would return the earlier one's too (as objects the next in-process run's arguments
    cannot carry). Each test starts and leaves with none (a module-scoped fixture of the next file runs before it)."""
    from ansible.module_utils.common import warnings

    kept = (warnings._global_warnings, warnings._global_deprecations)  # pylint: disable=protected-access
    for messages in kept:
        messages.clear()
    yield
    for messages in kept:
        messages.clear()


@pytest.fixture
def run_module(capsys):
    """A module's main() in-process: run_module(module, args, check_exit=True) runs it with args as its module
    arguments until it exits and returns the result it printed (JSON); with check_exit, the exit status must agree
    with the result's `failed`. A test file overrides it with a run_module fixture of its own, which receives this
    one and adds the file's defaults (module, connection, check/diff flags) and the shape its tests read."""

    def run(module, args, check_exit=True):
        with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
            module.main()
        result = json.loads(capsys.readouterr().out)
        if check_exit:
            assert bool(exit_info.value.code) == bool(result.get("failed")), result
        return result

    return run


class FakeClock:
    """A clock that only sleep() moves forward: time() and monotonic() read it, sleep() records each delay and adds
    it, so a test of a wait or a retry loop sleeps for nothing (the fake_clock fixture; each test patches it into the
    module it tests)."""

    def __init__(self, now: float = 1000.0):
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    monotonic = time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock():
    return FakeClock()
