"""site.yml against a plain amazon.aws playbook of the same stack: wall time and AWS API requests, side by side.

Run: .venv/bin/python bench/converge.py [--latency-ms 0] [--objects 1000] [--out bench/results/converge.json]

Two tools, each on an empty sandbox of its own (a free port, strict mode, as in the tests), in one run:
- nova: site.yml as a user runs it (pre-flight included; the strategy ansible.cfg sets), then a no-op re-run,
  --check on the converged stack, validate.yml, a DR drill (dr-failover.yml: the stack rebuilt in us-east-1 with
  --objects objects synced and audited; its RTO from the DR report), teardown.yml and a no-op teardown;
- baseline: bench/baseline/site.yml (one task per resource, amazon.aws/community.aws modules, awscli where they have
  none, ansible's default linear strategy), then its no-op re-run.
Each figure is a ratio against the baseline measured in the same run, as the machine is shared and noisy; --check
against the no-op is the ratio of the medians of CHECK_PAIRS alternating runs of each (two single runs differ here by
more than the two modes do). The request
counts come from the sandbox's own accounting (every AWS call, by service:Action); a no-op's writes are listed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))
from sandbox import sandboxctl  # noqa: E402  (the repository's sandbox/ package, standard library only)

# Read-only API calls: what a no-op may make.
READ_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup")
# Runs of the no-op and of --check each, alternating, for check_vs_noop (the first of each is the table's row).
CHECK_PAIRS = 3
# The targets of docs/benchmarks.md (issue 12).
TARGETS = {
    "converge_ratio": 0.35,
    "noop_ratio": 0.25,
    "converge_requests": 250,
    "noop_requests": 120,
    "dr_rto_seconds": 45,
}


def _run_playbook(port: int, playbook: str, *extra: str, env: dict | None = None, cwd: Path = REPO) -> dict:
    run_env = {**os.environ, "NOVA_SANDBOX_PORT": str(port), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
               **(env or {})}
    started = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), playbook, *extra],
        cwd=cwd, env=run_env, capture_output=True, text=True, check=False,
    )
    elapsed = time.perf_counter() - started
    recap = [line for line in proc.stdout.splitlines() if line.startswith("localhost ")]
    if proc.returncode != 0:
        raise SystemExit(f"{playbook} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return {"seconds": round(elapsed, 2), "recap": recap[-1].split(":", 1)[-1].strip() if recap else ""}


# The run lock's own writes (#16: one conditional PutItem to take it, one DeleteItem to release it, on the lock
# table): a run that changes nothing in the stack still takes and releases its lock.
RUN_LOCK_WRITES = {"dynamodb:PutItem": 1, "dynamodb:DeleteItem": 1}


def _writes(by_action: dict, dry_runs: dict) -> dict:
    """Calls that may change something in the stack: neither a read, a DryRun permission probe (the pre-flight's)
    nor the run lock's take and release."""
    writes = {action: n - dry_runs.get(action, 0) - RUN_LOCK_WRITES.get(action, 0) for action, n in by_action.items()
              if not action.split(":", 1)[-1].startswith(READ_PREFIXES)}
    return {action: n for action, n in writes.items() if n > 0}


def _scenario(url: str, port: int, playbook: str, *extra: str, env: dict | None = None) -> dict:
    sandboxctl.stats(url, reset=True)
    row = _run_playbook(port, playbook, *extra, env=env)
    counted = sandboxctl.stats(url)
    by_action = dict(sorted(counted["by_action"].items()))
    dry_runs = counted.get("dry_runs", {})
    return {**row, "aws_requests": counted["requests"], "writes": _writes(by_action, dry_runs),
            "dry_runs": sum(dry_runs.values()), "by_action": by_action}


def _seed_objects(port: int, count: int) -> None:
    """`count` objects across the two source buckets, as data the DR drill must carry over."""
    import boto3

    s3 = boto3.client("s3", region_name="us-west-2", endpoint_url=sandboxctl.endpoint(port),
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].endswith("-us-west-2")]

    def put(i: int) -> None:
        s3.put_object(Bucket=buckets[i % len(buckets)], Key=f"bench/{i:05}.txt", Body=b"x" * (100 + i % 900))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))


def measure_nova(latency_ms: int, objects: int) -> dict:
    with tempfile.TemporaryDirectory() as state:
        handle = sandboxctl.start(port=None, state_dir=state, strict=True)
        url = sandboxctl.endpoint(handle)
        try:
            sandboxctl.configure(url, latency_ms=latency_ms)
            rows = {}
            reports = f"{state}/reports"
            for name, playbook, extra in (
                ("converge", "site.yml", ()),
                ("noop_rerun", "site.yml", ()),
                ("check_mode", "site.yml", ("--check",)),
            ):
                rows[name] = _scenario(url, handle.port, playbook, *extra)
            # --check against the no-op: each once more, alternating, as two single runs differ by more on this
            # shared machine than the two do (check_vs_noop is the ratio of the medians of CHECK_PAIRS runs each).
            for _pair in range(CHECK_PAIRS - 1):
                for name, extra in (("noop_rerun", ()), ("check_mode", ("--check",))):
                    again = _scenario(url, handle.port, "site.yml", *extra)
                    if again["recap"] != rows[name]["recap"]:
                        raise SystemExit(f"{name} ran again with another recap: {again['recap']}")
                    rows[name].setdefault("repeats_seconds", []).append(again["seconds"])
            rows["validate"] = _scenario(url, handle.port, "validate.yml", "-e", f"nova_report_dir={reports}")
            if objects:
                _seed_objects(handle.port, objects)
                rows["dr_drill"] = _scenario(url, handle.port, "dr-failover.yml", "-e", f"nova_report_dir={reports}")
                report = json.loads(Path(reports, "dr-us-east-1.json").read_text())
                rows["dr_drill"].update(objects=objects, rto_seconds=float(report["rto_seconds"]))
            # The drill's seeded objects are bench data: teardown may delete them.
            for name in ("teardown", "noop_teardown"):
                rows[name] = _scenario(url, handle.port, "teardown.yml", "-e", "storage_force_delete=true")
        finally:
            sandboxctl.stop(handle)
    return rows


def measure_baseline(latency_ms: int) -> dict:
    with tempfile.TemporaryDirectory() as state:
        handle = sandboxctl.start(port=None, state_dir=state, strict=True)
        url = sandboxctl.endpoint(handle)
        env = {"ANSIBLE_STRATEGY": "linear"}
        extra = ("-i", str(REPO / "inventories" / "sandbox" / "hosts.yml"), "-e", f"key_dir={state}/keys")
        try:
            sandboxctl.configure(url, latency_ms=latency_ms)
            playbook = str(REPO / "bench" / "baseline" / "site.yml")
            return {
                "converge": _scenario(url, handle.port, playbook, *extra, env=env),
                "noop_rerun": _scenario(url, handle.port, playbook, *extra, env=env),
            }
        finally:
            sandboxctl.stop(handle)


def _median_seconds(row: dict) -> float:
    """The median wall time of a scenario's first run and its repeats (check mode and the no-op, CHECK_PAIRS each)."""
    return statistics.median([row["seconds"], *row.get("repeats_seconds", [])])


def verdict(nova: dict, baseline: dict) -> dict:
    ratios = {
        "converge_ratio": round(nova["converge"]["seconds"] / baseline["converge"]["seconds"], 3),
        "noop_ratio": round(nova["noop_rerun"]["seconds"] / baseline["noop_rerun"]["seconds"], 3),
        "check_vs_noop": round(_median_seconds(nova["check_mode"]) / _median_seconds(nova["noop_rerun"]), 3),
        "converge_requests": nova["converge"]["aws_requests"],
        "noop_requests": nova["noop_rerun"]["aws_requests"],
        "noop_writes": nova["noop_rerun"]["writes"],
    }
    if "dr_drill" in nova:
        ratios["dr_rto_seconds"] = nova["dr_drill"]["rto_seconds"]
    met = {name: ratios[name] <= limit for name, limit in TARGETS.items() if name in ratios}
    met["noop_only_reads"] = not ratios["noop_writes"]
    met["check_no_slower_than_noop"] = ratios["check_vs_noop"] <= 1.0
    return {"figures": ratios, "targets": TARGETS, "met": met}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, action="append",
                        help="injected per-request latency; repeat for several runs (default: 0)")
    parser.add_argument("--objects", type=int, default=1000, help="objects the DR drill syncs (0: no drill)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "converge.json"))
    args = parser.parse_args()

    runs = []
    for latency in args.latency_ms or [0]:
        # The baseline first: a fresh machine's disk cache then favours it, not nova.
        baseline = measure_baseline(latency)
        nova = measure_nova(latency, args.objects)
        runs.append({"latency_ms": latency, "nova": nova, "baseline": baseline, "verdict": verdict(nova, baseline)})
    results = {
        "benchmark": "site.yml against a plain amazon.aws playbook of the same stack, on the embedded sandbox",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "strategy": os.environ.get("ANSIBLE_STRATEGY", "ansible.cfg")},
        "runs": runs,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")

    print(f"{'latency':>8} {'tool':<9} {'scenario':<14} {'seconds':>8} {'requests':>9}  recap")
    for run in runs:
        for tool in ("baseline", "nova"):
            for name, row in run[tool].items():
                print(f"{run['latency_ms']:>6}ms {tool:<9} {name:<14} {row['seconds']:>8} {row['aws_requests']:>9}"
                      f"  {row['recap']}")
        figures, met = run["verdict"]["figures"], run["verdict"]["met"]
        for name, value in figures.items():
            limit = TARGETS.get(name)
            mark = "" if name not in met else (" ok" if met[name] else " MISSED")
            print(f"  {name:<20} {value}{f' (target <= {limit})' if limit is not None else ''}{mark}")
        for name in ("noop_only_reads", "check_no_slower_than_noop"):
            print(f"  {name:<20} {'ok' if met[name] else 'MISSED'}")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
