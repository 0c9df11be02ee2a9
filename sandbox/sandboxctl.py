"""Start, stop and steer the nova.infra AWS sandbox (``sandbox/server.py``).

CLI (what ``make sandbox-*`` calls)::

    python sandbox/sandboxctl.py up|down|status|reset [--port N]
    python sandbox/sandboxctl.py up --strict
    python sandbox/sandboxctl.py config [--latency-ms N] [--fault-rate F] [--fault-kinds K] [--seed S] [--down-regions R]
                                        [--strict|--no-strict] [--nat-pending-seconds S] [--nat-deleting-seconds S]
    python sandbox/sandboxctl.py stats [--reset]

Importable API (``from sandbox import sandboxctl``, the repository's root on ``sys.path``; tests/conftest.py puts it
there)::

    handle = start(port=None, state_dir=tmp)   # port=None: a free port; strict=None: $NOVA_SANDBOX_STRICT
    url = endpoint(handle)
    configure(url, fault_rate=0.2, seed=7); stats(url); reset(url)
    stop(handle)

Standard library only, so it runs before/without anything else being importable.
No ``from __future__ import annotations``: with it, ``@dataclass`` needs the module
registered in ``sys.modules``, which a load by path (``spec.loader.exec_module``) does not do.
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).resolve().parent / "server.py"
HOST = "127.0.0.1"
DEFAULT_PORT = 4590
# A DescribeImages filter for an Amazon Linux 2023 image among moto's bundled ones (the bastion role's default name
# pattern), for a test that needs any image to launch: unfiltered, the sandbox lists all ~1,300 (~0.8 s of its CPU).
AMAZON_LINUX_IMAGES = [{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}]
# The AWS services the stack and the tests call (botocore's names), whose models are worth loading ahead of a fork:
# sandbox/preload.py for the forkserver's sandboxes, tests/conftest.py for the tests ansible-test forks.
STACK_SERVICES = ("autoscaling", "cloudwatch", "dynamodb", "ec2", "iam", "logs", "s3", "s3control", "service-quotas",
                  "sns", "ssm", "sts")
HEALTH_TIMEOUT_S = 30.0
# free_port() picks from PORT_FLOOR up to the kernel's ephemeral range.
PORT_FLOOR = 10000
# Starts on a port free_port() picked: another may bind it before the sandbox does (then another port is tried).
START_ATTEMPTS = 3
STOP_TIMEOUT_S = 10.0
POLL_S = 0.1


_RANDOM = random.SystemRandom()


class SandboxError(RuntimeError):
    """The sandbox could not be started or reached; the message says why."""


@dataclass
class Handle:
    """A running sandbox. ``process`` is set only in the process that started it (lets stop() reap it): a Popen, or
    the forked server of use_forkserver()."""

    pid: int
    port: int
    state_dir: Path
    process: "subprocess.Popen | _ForkedServer | None" = None


def default_state_dir() -> Path:
    return Path(os.environ.get("NOVA_SANDBOX_DIR") or REPO / ".sandbox")


def amazon_linux_image_id(ec2) -> str:
    """The ID of an Amazon Linux 2023 image of the sandbox (AMAZON_LINUX_IMAGES), for ``ec2`` a boto3 EC2 client."""
    return ec2.describe_images(Owners=["amazon"], Filters=AMAZON_LINUX_IMAGES)["Images"][0]["ImageId"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now, below the kernel's ephemeral range.

    The kernel takes the source port of every outgoing connection from its ephemeral range, so a port it picks there
    (bind to port 0) may be taken by any connection before the sandbox binds it; below that range only a listener
    that binds it on purpose can. Falls back to the kernel's pick when no port below the range is free."""
    ceiling = _ephemeral_floor()
    for _attempt in range(64):
        port = _RANDOM.randrange(PORT_FLOOR, ceiling)
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _ephemeral_floor() -> int:
    """The first port of the kernel's ephemeral range (Linux's default when it cannot be read)."""
    try:
        floor = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768
    return floor if floor > PORT_FLOOR + 1000 else 32768


def endpoint(handle_or_port: Handle | int) -> str:
    """The endpoint URL to give boto3/amazon.aws as ``endpoint_url``."""
    port = handle_or_port.port if isinstance(handle_or_port, Handle) else handle_or_port
    return f"http://{HOST}:{port}"


def _request(url: str, method: str = "GET", payload: dict | None = None, timeout: float = 5.0) -> dict:
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        raise SandboxError(f"{method} {url}: HTTP {exc.code}: {exc.read().decode(errors='replace')}") from exc
    return json.loads(body) if body else {}


def health(url: str) -> dict | None:
    """The sandbox's health document, or None if no sandbox answers at ``url``."""
    try:
        doc = _request(f"{url}/_nova/health", timeout=1.0)
    except (OSError, ValueError, SandboxError):
        return None
    return doc if doc.get("service") == "nova-sandbox" else None


def configure(url: str, **settings: object) -> dict:
    """Change settings at run time: latency_ms, fault_rate, fault_kinds, seed, down_regions, strict,
    nat_pending_seconds, nat_deleting_seconds."""
    return _request(f"{url}/_nova/config", "POST", settings)


def cut(url: str, action: str | None, nth: int = 1) -> dict:
    """A test's kill point: after the ``nth`` successful ``action`` (``"ec2:CreateVpc"``), the sandbox refuses every AWS
    request (503 ServiceUnavailable, never reaching moto) until ``cut(url, None)``."""
    return _request(f"{url}/_nova/cut", "POST", {"action": action, "nth": nth})


def zone(url: str, name: str, state: str) -> dict:
    """Impair an Availability Zone (``state="impaired"``) or restore it (``"available"``): sandbox/zones.py."""
    return _request(f"{url}/_nova/zones", "POST", {"zone": name, "state": state})


def stats(url: str, reset: bool = False) -> dict:
    """Request counters ``{"requests", "faults_injected", "by_action"}``; ``reset`` zeroes them after reading."""
    if reset:
        return _request(f"{url}/_nova/stats/reset", "POST", {})
    return _request(f"{url}/_nova/stats")


def reset(url: str) -> None:
    """Wipe all emulated AWS state (moto's reset) and the request counters."""
    _request(f"{url}/moto-api/reset", "POST", {})
    _request(f"{url}/_nova/stats/reset", "POST", {})


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    if not _signalable(pid):
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        # No /proc entry: reaped since the signal above (gone), or no procfs here (the signal's answer stands).
        return _signalable(pid)


def _signalable(pid: int) -> bool:
    """True while ``pid`` exists (a zombie included): signal 0 reaches it, or reaches a process of another user."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _log_tail(log: Path, lines: int = 30, since: int = 0) -> str:
    """The last ``lines`` lines of ``log`` from byte ``since`` on."""
    try:
        with open(log, "rb") as stream:
            stream.seek(since)
            text = stream.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(no log)"


def start(port: int | None = None, state_dir: Path | str | None = None, env: dict | None = None,
          strict: bool | None = None) -> Handle:
    """Start a sandbox (detached, own session) and wait until healthy; reuse one already healthy at ``port``.

    ``port=None`` picks a free port (free_port(); another if one is bound before the server binds it).
    ``env`` adds NOVA_SANDBOX_* settings for the server.
    ``strict`` switches strict mode on/off (also on a reused sandbox); None leaves it to
    NOVA_SANDBOX_STRICT (in ``env`` or the environment), so a test run can turn it on from outside.
    Raises SandboxError if the port is taken by something else or the server never gets healthy.
    """
    state = Path(state_dir) if state_dir else default_state_dir()
    picked = not port
    port = port or free_port()
    url = endpoint(port)
    running = health(url)
    if running:
        if strict is not None:
            configure(url, strict=strict)
        return Handle(pid=running["pid"], port=port, state_dir=state)
    if _port_in_use(port):
        raise SandboxError(f"port {port} on {HOST} is in use by something that is not a nova sandbox")

    state.mkdir(parents=True, exist_ok=True)
    server_env = {**os.environ, **(env or {}), **({} if strict is None else {"NOVA_SANDBOX_STRICT": str(int(strict))})}
    failure = ""
    for attempt in range(START_ATTEMPTS if picked else 1):
        if attempt:
            port = free_port()
        handle, failure = _launch(port, state, server_env)
        if handle:
            return handle
        # Another bound the port free_port() picked before the server did: another pick, not an error.
        if not (picked and "Address already in use" in failure):
            break
    raise SandboxError(f"sandbox did not become healthy on {endpoint(port)}; last log lines:\n{failure}")


def _launch(port: int, state: Path, server_env: dict) -> tuple[Handle | None, str]:
    """Start the server on ``port`` and wait until it is healthy: (its handle, "") or (None, its log's new lines)."""
    log = state / "sandbox.log"
    logged = log.stat().st_size if log.exists() else 0
    args = ["--host", HOST, "--port", str(port), "--request-log", str(state / "requests.jsonl")]
    if _FORKSERVER:
        process = _ForkedServer(args, server_env, log)
    else:
        with open(log, "ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, str(SERVER), *args], stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO, env=server_env,
            )
    handle = Handle(pid=process.pid, port=port, state_dir=state, process=process)
    (state / "sandbox.pid").write_text(f"{process.pid}\n")
    (state / "sandbox.port").write_text(f"{port}\n")

    url = endpoint(port)
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if health(url):
            return handle, ""
        time.sleep(POLL_S)
    stop(handle)
    return None, _log_tail(log, since=logged)


# --------------------------------------------------------------------------- pre-loaded starts (tests)

_FORKSERVER: list = []


def use_forkserver() -> None:
    """Start this process's sandboxes from a pre-loaded server (multiprocessing's forkserver), not a new interpreter.

    The forkserver imports the server, moto and the botocore models of the services the stack uses once
    (sandbox/preload.py); each start() then forks it, so a sandbox costs a fork instead of ~1.2 CPU-s of imports and
    ~0.5 of first-use model parsing. Same server, same arguments, environment and log; the sandbox is a child of the
    forkserver (which reaps it) instead of this process. For a process that starts many sandboxes (the test suite);
    the CLI (`up`) keeps starting a new interpreter, which must outlive it."""
    if not _FORKSERVER:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sandbox.preload"])
        _FORKSERVER.append(context)


class _ForkedServer:
    """A sandbox forked by the forkserver, with the two Popen calls start() and stop() use."""

    def __init__(self, args: list, env: dict, log: Path):
        self.process = _FORKSERVER[0].Process(target=_serve_forked, args=(args, env, str(log)), daemon=True)
        self.process.start()
        self.pid = self.process.pid

    def poll(self):
        return None if self.process.is_alive() else self.process.exitcode

    def wait(self):
        self.process.join()
        return self.process.exitcode


def _serve_forked(args: list, env: dict, log: str) -> None:
    """In the forked child: what Popen arranges for a new server (own session, the repository as working directory,
    the environment, stdin from /dev/null, stdout and stderr to the log), then the server's main()."""
    os.setsid()
    os.chdir(REPO)
    os.environ.clear()
    os.environ.update(env)
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(null)
    os.close(out)
    from sandbox import server  # pylint: disable=import-outside-toplevel  # loaded by the forkserver already

    server.main(args)


def stop(handle: Handle) -> bool:
    """SIGTERM the sandbox, SIGKILL after 10 s, remove its pid file. False if it was not running."""
    was_running = _alive(handle.pid)
    if was_running:
        with contextlib.suppress(ProcessLookupError):  # it may have exited since
            os.kill(handle.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _alive(handle.pid) and time.monotonic() < deadline:
            time.sleep(POLL_S)
        if _alive(handle.pid):
            with contextlib.suppress(ProcessLookupError):  # it may exit (and be reaped) just now
                os.kill(handle.pid, signal.SIGKILL)
    if handle.process is not None:
        handle.process.wait()
    _forget(handle.state_dir, handle.pid)
    return was_running


def _forget(state: Path, pid: int | None = None) -> None:
    """Remove ``state``'s pid file if it names ``pid`` or a process that is gone (or cannot be read); never the pid
    file of another sandbox that still runs."""
    try:
        recorded = int((state / "sandbox.pid").read_text())
    except (OSError, ValueError):
        (state / "sandbox.pid").unlink(missing_ok=True)
        return
    if recorded == pid or not _alive(recorded):
        (state / "sandbox.pid").unlink(missing_ok=True)


def _is_sandbox_process(pid: int) -> bool:
    """Guard against a stale pid file whose pid now belongs to an unrelated process."""
    try:
        return str(SERVER.name).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _alive(pid)


def _find(port: int, state: Path) -> Handle | None:
    """The sandbox at ``port``: the one that answers there, else the one of ``state``'s pid file if that one was
    started on ``port`` (it may not answer yet). A pid file of a sandbox on another port is never taken for it."""
    doc = health(endpoint(port))
    if doc:
        return Handle(pid=doc["pid"], port=port, state_dir=state)
    try:
        pid = int((state / "sandbox.pid").read_text())
        recorded = int((state / "sandbox.port").read_text())
    except (OSError, ValueError):
        return None
    if recorded != port or not (_alive(pid) and _is_sandbox_process(pid)):
        return None
    return Handle(pid=pid, port=port, state_dir=state)


# --------------------------------------------------------------------------- CLI


def _cli_port(args: argparse.Namespace, state: Path, for_up: bool) -> int:
    """--port, then NOVA_SANDBOX_PORT, then (except for up) the port the last ``up`` used, then 4590."""
    if args.port:
        return args.port
    if os.environ.get("NOVA_SANDBOX_PORT"):
        return int(os.environ["NOVA_SANDBOX_PORT"])
    if not for_up:
        try:
            return int((state / "sandbox.port").read_text())
        except (OSError, ValueError):
            pass
    return DEFAULT_PORT


def main(argv: list[str] | None = None) -> int:
    port_help = f"default: $NOVA_SANDBOX_PORT, else the last 'up' port (not for up), else {DEFAULT_PORT}"
    parser = argparse.ArgumentParser(description="Control the nova.infra AWS sandbox (moto).")
    parser.add_argument("--port", type=int, help=port_help)
    # --port is accepted after the command too; SUPPRESS keeps it from overwriting the one given before.
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--port", type=int, default=argparse.SUPPRESS, help=port_help)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in [("up", "start the sandbox"), ("down", "stop the sandbox"),
                       ("status", "show whether it runs (exit 3 if not)"), ("reset", "wipe emulated AWS state")]:
        command = sub.add_parser(name, help=text, parents=[after])
        if name == "up":
            command.add_argument("--strict", action="store_true", default=None,
                                 help="start in strict mode (default: $NOVA_SANDBOX_STRICT)")
    config = sub.add_parser("config", help="change fault injection / latency at run time", parents=[after])
    config.add_argument("--latency-ms", type=int)
    config.add_argument("--fault-rate", type=float)
    config.add_argument("--fault-kinds", help="comma list of: throttle,5xx")
    config.add_argument("--seed", type=int)
    config.add_argument("--down-regions", help="comma list of regions in simulated outage ('' for none)")
    config.add_argument("--strict", action=argparse.BooleanOptionalAction, default=None,
                        help="refuse what AWS refuses for resources in use; NAT gateway phases")
    config.add_argument("--nat-pending-seconds", type=float, help="strict mode: NAT gateway 'pending' phase")
    config.add_argument("--nat-deleting-seconds", type=float, help="strict mode: NAT gateway 'deleting' phase")
    stats_parser = sub.add_parser("stats", help="print request statistics as JSON", parents=[after])
    stats_parser.add_argument("--reset", action="store_true", help="zero the counters after printing")
    args = parser.parse_args(argv)

    state = default_state_dir()
    port = _cli_port(args, state, for_up=args.command == "up")
    url = endpoint(port)
    try:
        if args.command == "up":
            already = health(url)
            if already:
                if args.strict:
                    configure(url, strict=True)
                print(f"sandbox already running at {url} (pid {already['pid']})"
                      f"{'; strict mode switched on' if args.strict else ''}")
                return 0
            handle = start(port, state, strict=args.strict)
            print(f"sandbox running at {url} (pid {handle.pid}); state in {state}"
                  f"{'; strict' if (health(url) or {}).get('strict') else ''}")
        elif args.command == "down":
            handle = _find(port, state)
            if handle is None:
                _forget(state)
                print(f"sandbox not running (port {port})")
            else:
                stop(handle)
                print(f"sandbox stopped (pid {handle.pid})")
        elif args.command == "status":
            doc = health(url)
            if not doc:
                print(f"sandbox not running (port {port})")
                return 3
            print(f"sandbox running\n  endpoint: {url}\n  port:     {port}\n  pid:      {doc['pid']}\n"
                  f"  requests: {stats(url)['requests']}")
        else:
            if not health(url):
                raise SandboxError(f"no sandbox running at {url}; run 'up' first")
            if args.command == "reset":
                reset(url)
                print("sandbox state and stats reset")
            elif args.command == "config":
                changes = {k: v for k, v in {"latency_ms": args.latency_ms, "fault_rate": args.fault_rate,
                                             "fault_kinds": args.fault_kinds, "seed": args.seed,
                                             "down_regions": args.down_regions, "strict": args.strict,
                                             "nat_pending_seconds": args.nat_pending_seconds,
                                             "nat_deleting_seconds": args.nat_deleting_seconds}.items()
                           if v is not None}
                print(json.dumps(configure(url, **changes) if changes else _request(f"{url}/_nova/config"),
                                 indent=2))
            elif args.command == "stats":
                print(json.dumps(stats(url, reset=args.reset), indent=2))
    except SandboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
