"""Fixtures of the integration tests: one embedded sandbox for the whole session."""

from __future__ import annotations

import importlib.util

import pytest

from helpers import REPO


def _load_sandboxctl():
    spec = importlib.util.spec_from_file_location("sandboxctl", REPO / "sandbox" / "sandboxctl.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sandboxctl = _load_sandboxctl()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """A strict sandbox (AWS's DependencyViolation refusals, NAT pending/deleting phases) on a free port,
    private to this test session, stopped at the end."""
    handle = sandboxctl.start(port=None, state_dir=tmp_path_factory.mktemp("sandbox"), strict=True)
    try:
        yield handle
    finally:
        sandboxctl.stop(handle)


@pytest.fixture(scope="session")
def port(sandbox) -> int:
    return sandbox.port


@pytest.fixture
def empty_sandbox(sandbox):
    """The sandbox with all emulated AWS state wiped."""
    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    return sandbox


@pytest.fixture(scope="module")
def stack_sandbox(tmp_path_factory):
    """A strict sandbox of the test module's own, so faults or kills it leaves behind never reach another file."""
    handle = sandboxctl.start(port=None, state_dir=tmp_path_factory.mktemp("sandbox-module"), strict=True)
    try:
        yield handle
    finally:
        sandboxctl.stop(handle)
