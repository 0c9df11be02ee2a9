"""Fixtures of the integration tests: one embedded sandbox for the whole session."""

from __future__ import annotations

import contextlib

import pytest

from sandbox import sandboxctl

from helpers import install_collection


@contextlib.contextmanager
def strict_sandbox(state_dir):
    """A strict sandbox (AWS's DependencyViolation refusals, NAT pending/deleting phases) on a free port, stopped
    when the block ends."""
    handle = sandboxctl.start(port=None, state_dir=state_dir, strict=True)
    try:
        yield handle
    finally:
        sandboxctl.stop(handle)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """A strict sandbox private to this test session (xdist worker)."""
    with strict_sandbox(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


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
    with strict_sandbox(tmp_path_factory.mktemp("sandbox-module")) as handle:
        yield handle


@pytest.fixture(scope="session")
def installed_collection(tmp_path_factory):
    """nova.infra built into a tarball and installed from it into an empty collections path (helpers.py)."""
    return install_collection(tmp_path_factory.mktemp("installed-collection"))
