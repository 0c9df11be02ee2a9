"""The nova.infra AWS sandbox: ``sandboxctl`` (start, stop and steer it) and ``server`` (moto behind a middleware).

Both stay scripts (``python sandbox/sandboxctl.py up``, ``python sandbox/server.py --port N``); with the
repository's root on ``sys.path`` (tests/conftest.py puts it there) they import as ``from sandbox import sandboxctl``.
"""
