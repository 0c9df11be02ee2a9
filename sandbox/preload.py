"""What the forkserver of ``sandboxctl.use_forkserver()`` loads once, before it forks each sandbox: the server and
moto, and the botocore models of the services the stack and the tests call (sandbox/server.py parses them through
one shared loader). Nothing of a sandbox's state: each forked server builds its own app, patches and backends.
tests/conftest.py imports it too, before ansible-test forks a process per unit test (moto in-process)."""

from __future__ import annotations

from sandbox import server
from sandbox.sandboxctl import STACK_SERVICES


def load() -> None:
    from moto.backends import get_backend
    from moto.core import utils

    server.share_service_models()
    for service in STACK_SERVICES:
        utils.get_service_model(service)
        get_backend(service.replace("-", ""))  # moto's backend names have no dashes (service-quotas: servicequotas)


load()
