"""Wall time and AWS API requests of site.yml (converge, no-op re-run, check mode), validate.yml and teardown.yml.

Run: .venv/bin/python bench/converge.py [--latency-ms 50] [--out bench/results/converge.json]

Each scenario starts from an empty sandbox of its own (a free port), so the numbers are not
disturbed by a sandbox a user left running. The request counts come from the sandbox's own
accounting (every AWS call the playbook made, by service:Action); the wall times are those of
ansible-playbook as a user runs it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _sandboxctl():
    spec = importlib.util.spec_from_file_location("sandboxctl", REPO / "sandbox" / "sandboxctl.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_playbook(port: int, playbook: str, *extra: str) -> tuple[float, int, str]:
    env = {**os.environ, "NOVA_SANDBOX_PORT": str(port), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    started = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), playbook, *extra],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )
    elapsed = time.perf_counter() - started
    recap = [line for line in proc.stdout.splitlines() if line.startswith("localhost ")]
    if proc.returncode != 0:
        raise SystemExit(f"{playbook} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return elapsed, proc.returncode, recap[-1] if recap else ""


def measure(latency_ms: int) -> dict:
    ctl = _sandboxctl()
    with tempfile.TemporaryDirectory() as state:
        handle = ctl.start(port=None, state_dir=state)
        url = ctl.endpoint(handle)
        try:
            ctl.configure(url, latency_ms=latency_ms)
            rows = {}
            for name, playbook, extra in (
                ("converge", "site.yml", ()),
                ("noop_rerun", "site.yml", ()),
                ("check_mode", "site.yml", ("--check",)),
                ("validate", "validate.yml", ("-e", f"nova_report_dir={state}/reports")),
                ("teardown", "teardown.yml", ()),
                ("noop_teardown", "teardown.yml", ()),
            ):
                ctl.stats(url, reset=True)
                seconds, _returncode, recap = _run_playbook(handle.port, playbook, *extra)
                counted = ctl.stats(url)
                rows[name] = {
                    "seconds": round(seconds, 2),
                    "aws_requests": counted["requests"],
                    "by_action": dict(sorted(counted["by_action"].items())),
                    "recap": recap,
                }
        finally:
            ctl.stop(handle)
    return {"latency_ms": latency_ms, "scenarios": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, action="append",
                        help="injected per-request latency; repeat for several runs (default: 0 and 50)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "converge.json"))
    args = parser.parse_args()
    latencies = args.latency_ms or [0, 50]

    results = {
        "benchmark": "site.yml converge on the embedded sandbox",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "runs": [measure(latency) for latency in latencies],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")

    print(f"{'latency':>8} {'scenario':<12} {'seconds':>8} {'requests':>9}  recap")
    for run in results["runs"]:
        for name, row in run["scenarios"].items():
            print(f"{run['latency_ms']:>6}ms {name:<12} {row['seconds']:>8} {row['aws_requests']:>9}  {row['recap']}")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
