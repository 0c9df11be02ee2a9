"""The nova.infra AWS sandbox: moto in server mode behind a small WSGI middleware.

Why a middleware instead of plain ``moto_server``:

* request accounting -- every AWS call is named ``service:Action`` (IAM/API
  operation names) so that a run's request log can later be turned into a
  least-privilege IAM policy;
* fault injection and latency -- real AWS throttles and has bad moments; the
  collection's retry behaviour is only tested if the emulator does too;
* AWS alignment -- moto 5.2.5 differs from AWS in a few places the collection
  depends on; those are patched here, at start-up, and nowhere else;
* strict mode -- moto lets through deletions AWS refuses (a security group, subnet or
  Elastic IP still in use, an internet gateway with public IPs mapped) and has NAT
  gateways available/deleted at once; with ``strict`` on it refuses them with AWS's
  errors and gives NAT gateways their pending/deleting phases, so teardown order and
  waiting are tested.

The parts: ``patches.py`` (AWS alignment), ``strict.py`` (strict mode), ``traffic.py`` (request naming, faults,
latency, settings), ``zones.py`` (AZ impairment for the AZ-loss drill); this file is the WSGI app in front of moto and the server's entry point.

Run: ``python sandbox/server.py --port N [--host 127.0.0.1] [--request-log FILE]``.
Fault/latency/strict settings come from ``NOVA_SANDBOX_*`` environment variables and can
be changed at run time through ``POST /_nova/config``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import moto
from werkzeug.serving import make_server

if __package__ in (None, ""):  # run as a script (python sandbox/server.py): import the package from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import zones  # noqa: E402
from sandbox.patches import apply_aws_alignment_patches  # noqa: E402
from sandbox.strict import install_strict_mode  # noqa: E402
from sandbox.strict import settle_all  # noqa: E402
from sandbox.traffic import AwsCall  # noqa: E402
from sandbox.traffic import Settings  # noqa: E402
from sandbox.traffic import error_response  # noqa: E402
from sandbox.traffic import identify  # noqa: E402
from sandbox.traffic import is_ec2_dry_run  # noqa: E402
from sandbox.traffic import sdk_attempt  # noqa: E402

CONTROL_PREFIX = "/_nova/"
MOTO_API_PREFIX = "/moto-api"


class SandboxApp:
    """WSGI middleware: control endpoints, accounting, latency and faults in front of moto."""

    def __init__(self, moto_app: Callable, settings: Settings, request_log: str | None = None):
        self.moto_app = moto_app
        self.settings = settings
        self.lock = threading.Lock()
        self.log_file = open(request_log, "a", encoding="utf-8", buffering=1) if request_log else None
        self.requests = 0
        self.faults_injected = 0
        self.by_action: dict[str, int] = {}
        self.dry_runs: dict[str, int] = {}
        # A test's kill point (POST /_nova/cut): after the nth successful `action`, every AWS request is refused until
        # the cut is cleared, so a run killed there has made nothing after it, however late the kill lands.
        self.cut: dict[str, Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self.control(environ, start_response)
        if path.startswith(MOTO_API_PREFIX):
            if path.rstrip("/") == MOTO_API_PREFIX + "/reset":
                zones.clear()  # the zones' states live outside moto's backends
            return self.moto_app(environ, start_response)

        call = identify(environ)
        with self.lock:
            latency_ms = self.settings.latency_ms
            fault = self.settings.draw_fault(call.protocol, sdk_attempt(environ))
            if call.region in self.settings.down_regions:
                fault = ("outage", 503, "ServiceUnavailable", f"{call.region} is unavailable (simulated outage)")
            if self.cut and self.cut["seen"] >= self.cut["nth"]:
                fault = ("cut", 503, "ServiceUnavailable",
                         f"the sandbox is cut off after {self.cut['nth']} x {self.cut['action']} (a test's kill point)")
        if latency_ms:
            time.sleep(latency_ms / 1000)  # the point of the latency feature
        if fault:
            kind, status, code, message = fault
            status_line, headers, body = error_response(call.protocol, status, code, message)
            self.record(call, status, kind)
            start_response(status_line, headers)
            return [body]

        if call.protocol == "ec2" and is_ec2_dry_run(environ):
            # AWS answers a dry run with DryRunOperation (412) when the identity may make the call; the
            # sandbox evaluates no IAM, so every dry run is allowed. moto ignores DryRun on several
            # actions and would perform them (a DryRun CreateVpc really created a VPC).
            status_line, headers, body = error_response(
                "ec2", 412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set."
            )
            self.record(call, 412, None, dry_run=True)
            start_response(status_line, headers)
            return [body]

        if call.protocol == "ec2" and self.settings.strict:
            # Phases that ended since the last request take effect now (e.g. a deleted NAT gateway's
            # Elastic IP shows as unassociated in DescribeAddresses).
            settle_all()

        seen: dict[str, int] = {}

        def capture_status(status: str, headers: list, exc_info: Any = None) -> Callable:
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        result = self.moto_app(environ, capture_status)
        self.record(call, seen.get("status"), None)
        return result

    def record(self, call: AwsCall, status: int | None, fault: str | None, dry_run: bool = False) -> None:
        name = f"{call.service}:{call.action}"
        with self.lock:
            if self.cut and name == self.cut["action"] and status == 200 and fault is None:
                self.cut["seen"] += 1  # before the answer leaves: the caller's next request already finds the cut
            self.requests += 1
            self.faults_injected += fault is not None
            self.by_action[name] = self.by_action.get(name, 0) + 1
            if dry_run:
                # A permission probe (pre-flight): counted as a request, not as a write.
                self.dry_runs[name] = self.dry_runs.get(name, 0) + 1
            if self.log_file:
                entry = {
                    "ts": time.time(),
                    "service": call.service,
                    "action": call.action,
                    "region": call.region,
                    "status": status,
                    "fault": fault,
                }
                self.log_file.write(json.dumps(entry) + "\n")

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return self._counters()

    def _counters(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "faults_injected": self.faults_injected,
            "by_action": dict(sorted(self.by_action.items())),
            "dry_runs": dict(sorted(self.dry_runs.items())),
        }

    def reset_stats(self) -> dict[str, Any]:
        """Zero the counters; returns what they held (read and zeroed under one lock: no request falls between)."""
        with self.lock:
            taken = self._counters()
            self.requests = self.faults_injected = 0
            self.by_action = {}
            self.dry_runs = {}
        return taken

    def set_cut(self, change: dict[str, Any]) -> None:
        """{"action": "ec2:CreateNatGateway", "nth": 1}: refuse every AWS request after the nth successful one of that
        action; {"action": null} clears the cut. ValueError on anything else."""
        action, nth = change.get("action"), change.get("nth", 1)
        if action is not None and (not isinstance(action, str) or action.count(":") != 1):
            raise ValueError("action must be service:Action (e.g. ec2:CreateVpc) or null")
        if not isinstance(nth, int) or isinstance(nth, bool) or nth < 1:
            raise ValueError("nth must be a whole number >= 1")
        with self.lock:
            self.cut = {"action": action, "nth": nth, "seen": 0} if action else None

    def control(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Serve ``/_nova/*``: health, config, zones, stats. Never faulted, never counted."""
        method = environ.get("REQUEST_METHOD", "GET").upper()
        route = environ.get("PATH_INFO", "")[len(CONTROL_PREFIX):].rstrip("/")
        status, payload = 200, None
        if route == "health" and method == "GET":
            with self.lock:
                payload = {"status": "ok", "service": "nova-sandbox", "moto": moto.__version__,
                           "pid": os.getpid(), **self.settings.public()}
        elif route == "config" and method in ("GET", "POST"):
            if method == "POST":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    changes = json.loads(environ["wsgi.input"].read(length) or b"{}")
                    with self.lock:
                        self.settings.update(changes)
                except (ValueError, TypeError, AttributeError) as exc:
                    status, payload = 400, {"error": str(exc)}
            if payload is None:
                with self.lock:
                    payload = self.settings.public()
        elif route == "zones" and method in ("GET", "POST"):
            # The AZ-loss drill's fault injector (sandbox/zones.py): impair a zone, or restore it.
            if method == "POST":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    payload = zones.change(json.loads(environ["wsgi.input"].read(length) or b"{}"))
                except (ValueError, TypeError, AttributeError) as exc:
                    status, payload = 400, {"error": str(exc)}
            else:
                payload = zones.public()
        elif route == "cut" and method in ("GET", "POST"):
            if method == "POST":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    self.set_cut(json.loads(environ["wsgi.input"].read(length) or b"{}"))
                except (ValueError, TypeError, AttributeError) as exc:
                    status, payload = 400, {"error": str(exc)}
            if payload is None:
                with self.lock:
                    payload = dict(self.cut) if self.cut else {"action": None}
        elif route == "stats" and method == "GET":
            payload = self.stats()
        elif route == "stats/reset" and method == "POST":
            payload = self.reset_stats()
        else:
            status, payload = 404, {"error": f"no such control endpoint: {method} {route}"}
        body = json.dumps(payload).encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]


def memoized_dispatcher(create_app: Callable) -> Callable:
    """moto's ``DomainDispatcherApplication`` with its host-to-service lookup remembered.

    moto resolves the service of every request under one process-wide lock by listing its own package
    directory (``os.listdir`` and an ``isdir`` per service, ~200) and then trying its URL patterns in turn
    (``get_backend_for_host``). That lookup depends only on the host name and moto's static tables, yet it
    took half the server's CPU under a copy-heavy load (e.g. ``aws s3 sync``) and, being under the lock,
    made every request thread queue behind it. The answer is remembered per host: same dispatch, once.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class MemoizedDispatcher(DomainDispatcherApplication):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.backend_by_host: dict[str, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            try:
                return self.backend_by_host[host]
            except KeyError:
                backend = super().get_backend_for_host(host)
                self.backend_by_host[host] = backend
                return backend

    return MemoizedDispatcher(create_app)


def share_service_models() -> None:
    """moto's two readers of botocore's service models share one loader, so each model is parsed once per server.

    moto reads a service's model (e.g. EC2's, ~3 MB of JSON: ~90 ms) to parse and serialise its requests, through a
    new loader at each first use, and again through the botocore session it lists the service's regions with, for
    the first backend of each service. Both read the same files; moto's loader adds moto's extras, which the region
    listing never looks at. One loader, whose cache both then use: same models, half the parsing (~0.2-0.3 s of CPU
    per sandbox, paid by every start of one).
    """
    from moto.core import base_backend
    from moto.core import loaders
    from moto.core import utils

    if getattr(utils.create_loader, "shared", False):  # already (sandbox/preload.py, before the fork)
        return
    loader = loaders.create_loader()
    utils.create_loader = lambda: loader
    utils.create_loader.shared = True
    base_backend.AccountSpecificBackend.get_session()._session.register_component("data_loader", loader)


def fast_timestamps() -> None:
    """moto's response serialiser reads the ISO 8601 UTC timestamps it keeps with the standard library.

    moto keeps many timestamps as strings (an S3 object's LastModified, "2026-12-05T02:30:00.000Z") and its serialiser
    parses each one back with botocore's ``parse_to_aware_datetime``, i.e. dateutil (~33 us each): ~7 % of the
    sandbox's CPU under a copy-heavy load (a CopyObject answer, each entry of a ListObjectsV2 page). This form is read
    with ``datetime.fromisoformat`` (~1 us); any other (epoch seconds, an offset) goes to botocore's parser as before.
    Same instant, same answer; the client side does the same (plugins/module_utils/botocore_share.py).
    """
    import datetime

    from dateutil.tz import tzutc
    from moto.core import serialize

    if getattr(serialize.parse_to_aware_datetime, "fast", False):  # already (sandbox/preload.py, before the fork)
        return
    botocore_parse, utc = serialize.parse_to_aware_datetime, tzutc()

    def parse_to_aware_datetime(value: Any) -> Any:
        if isinstance(value, str) and len(value) in (20, 24, 27) and value[-1] == "Z" and value[10] == "T":
            try:
                return datetime.datetime.fromisoformat(value[:-1]).replace(tzinfo=utc)
            except ValueError:
                pass
        return botocore_parse(value)

    parse_to_aware_datetime.fast = True  # type: ignore[attr-defined]
    serialize.parse_to_aware_datetime = parse_to_aware_datetime


def build_app(settings: Settings, request_log: str | None = None) -> SandboxApp:
    """Patch moto, then wrap its dispatcher as ``ThreadedMotoServer`` builds it (host lookup remembered)."""
    share_service_models()
    fast_timestamps()
    apply_aws_alignment_patches()
    install_strict_mode(settings)
    from moto.moto_server.werkzeug_app import create_backend_app

    return SandboxApp(memoized_dispatcher(create_backend_app), settings, request_log)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--request-log", help="append one JSON line per AWS request to this file")
    args = parser.parse_args(argv)

    # moto builds some URLs (e.g. SQS queue URLs) from MOTO_PORT, as moto_server does.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = build_app(Settings.from_env(dict(os.environ)), args.request_log)

    from moto.moto_server.werkzeug_app import MotoRequestHandler

    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_unused: sys.exit(0))
    print(f"nova sandbox (moto {moto.__version__}) listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
