"""Objects/s, wall time and S3 requests of nova.infra.s3_sync against `aws s3 sync`, on the sandbox.

Run: .venv/bin/python bench/s3_sync.py [--latencies 0,100] [--repeat 3] [--small 1000] [--out bench/results/s3_sync.json]
     .venv/bin/python bench/s3_sync.py --latencies 0 --small 10000 --out bench/results/s3_sync-10000.json
Needs awscli (v1) in the venv: .venv/bin/pip install awscli==1.46.3

A sandbox of its own (free port) holds one us-west-2 source bucket: 1,000 objects of 1-8 KiB (--small) and 50 of 1 MiB.
Each method syncs it to a fresh us-east-1 bucket (full), then again after 1 % of the small objects changed
(incremental), then once more (no change), at each injected per-request latency, --repeat times (medians reported).
nova.infra.s3_sync runs as a user runs it: `ansible-playbook -i localhost, sync.yml`, a one-task play with
gather_facts: false, the repository's ansible.cfg and ANSIBLE_STDOUT_CALLBACK=minimal (wall time, and the module's
own time from its started/finished results); ansible's floor is the same play without tasks. `aws s3 sync` runs as
`aws s3 sync s3://SRC s3://DST --source-region us-west-2 --region us-east-1`, both sides pointed at the sandbox with
AWS_ENDPOINT_URL_S3. Request counts come from the sandbox's accounting, per service:Action; the no-change re-sync
is checked against the sandbox's request log (list calls only, nothing copied) and the run stops otherwise.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SOURCE = "nova-bench-source-us-west-2"
# An empty source: syncing it costs each tool its start-up and two empty listings, nothing else (its floor).
EMPTY = "nova-bench-empty-us-west-2"
SMALL, LARGE = 1000, 50
CHANGED = SMALL // 100


def _sandboxctl():
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))
    from sandbox import sandboxctl  # the repository's sandbox/ package (standard library only)

    return sandboxctl


def s3(url, region):
    return boto3.client("s3", region_name=region, endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def fill_source(url):
    client = s3(url, "us-west-2")
    client.create_bucket(Bucket=EMPTY, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    client.create_bucket(Bucket=SOURCE, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    rng = random.Random(1)
    objects = [(f"small/{i:05d}.bin", rng.randint(1024, 8192)) for i in range(SMALL)]
    objects += [(f"large/{i:03d}.bin", 1024 * 1024) for i in range(LARGE)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda o: client.put_object(Bucket=SOURCE, Key=o[0], Body=os.urandom(o[1])), objects))


def change_source(url, round_number):
    client = s3(url, "us-west-2")
    for i in range(CHANGED):
        client.put_object(Bucket=SOURCE, Key=f"small/{i * 97:05d}.bin", Body=os.urandom(2000 + round_number))


PLAYBOOK = """- name: Sync a bucket to the DR region
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
{tasks}
"""
SYNC_TASK = """    - name: Sync
      nova.infra.s3_sync:
        source_bucket: "{{ src }}"
        source_region: us-west-2
        dest_bucket: "{{ dest }}"
        dest_region: us-east-1
        endpoint_url: "{{ url }}"
        region: us-west-2
        access_key: testing
        secret_key: testing
"""


def write_playbooks(directory):
    """The sync as a user writes it (one task, no facts), and the same play without tasks: ansible's own floor."""
    directory = Path(directory)
    (directory / "sync.yml").write_text(PLAYBOOK.format(tasks=SYNC_TASK))
    (directory / "empty.yml").write_text(PLAYBOOK.format(tasks="    []"))
    return directory


def ansible_env():
    # The repository's ansible.cfg as a user has it; the `minimal` output callback prints the module's result as JSON.
    return {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "minimal",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_PYTHON_INTERPRETER": sys.executable}


def run_playbook(playbook, **extra_vars):
    command = [str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook)]
    for name, value in extra_vars.items():
        command += ["-e", f"{name}={value}"]
    return command, ansible_env()


def run_s3_sync(url, dest, playbooks, source=SOURCE):
    return run_playbook(playbooks / "sync.yml", url=url, dest=dest, src=source)


def run_aws(url, dest, playbooks=None, source=SOURCE):
    command = [str(BIN / "aws"), "s3", "sync", f"s3://{source}", f"s3://{dest}", "--source-region", "us-west-2",
               "--region", "us-east-1", "--only-show-errors"]
    # awscli v1 sends --endpoint-url only to the destination side; the env variable covers both.
    env = {**os.environ, "AWS_ENDPOINT_URL_S3": url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("AWS_PROFILE", None)
    return command, env


METHODS = {"nova.infra.s3_sync": run_s3_sync, "aws s3 sync": run_aws}
READS = {"ListObjectsV2", "ListObjects", "HeadBucket", "GetBucketLocation"}


def timed(command, env):
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    return proc, time.perf_counter() - started


def request_log_actions(log, skip):
    """{action: count} of the sandbox request log's lines after the first `skip` (the run's own requests)."""
    counts = {}
    for line in log.read_text().splitlines()[skip:]:
        entry = json.loads(line)
        counts[entry["action"]] = counts.get(entry["action"], 0) + 1
    return counts


def measure(ctl, url, log, method, dest, objects, playbooks, source=SOURCE):
    command, env = METHODS[method](url, dest, playbooks, source)
    ctl.stats(url, reset=True)
    skip = len(log.read_text().splitlines())
    proc, seconds = timed(command, env)
    if proc.returncode != 0:
        raise SystemExit(f"{method} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    stats = ctl.stats(url)
    row = {}
    if method == "nova.infra.s3_sync":
        # The module's own started/finished: the sync without ansible's start-up.
        result = json.loads(proc.stdout[proc.stdout.index("{"):])
        module_seconds = (_moment(result["finished"]) - _moment(result["started"])).total_seconds()
        row = {"module_seconds": round(module_seconds, 2), "module_copied": result["copied"],
               "module_objects_per_second": round(objects / module_seconds, 1) if objects else None}
    return {
        **row,
        "seconds": round(seconds, 2),
        "objects_copied": objects,
        "objects_per_second": round(objects / seconds, 1) if objects else None,
        "requests": stats["requests"],
        "by_action": dict(sorted(stats["by_action"].items())),
        "request_log_actions": request_log_actions(log, skip),
    }


def _moment(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def dest_in_sync(url, dest, source=SOURCE):
    src, dst = s3(url, "us-west-2"), s3(url, "us-east-1")

    def entries(client, bucket):
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {o["Key"]: (o["Size"], o["ETag"]) for page in pages for o in page.get("Contents", [])}

    return entries(src, source) == entries(dst, dest)


def check_no_change(row):
    """A no-change re-sync copies nothing and makes only list calls, by the sandbox's request log."""
    writes = {a: n for a, n in row["request_log_actions"].items() if a not in READS}
    if writes or row.get("module_copied", 0):
        raise SystemExit(f"{row['method']}: the no-change re-sync made {writes} (copied {row.get('module_copied')})")


def floor(playbooks, repeat):
    """Wall time of ansible-playbook on a play without tasks: what any one-task playbook costs before its module."""
    command, env = run_playbook(playbooks / "empty.yml")
    times = []
    for _unused in range(repeat):
        proc, seconds = timed(command, env)
        if proc.returncode != 0:
            raise SystemExit(f"empty playbook failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        times.append(round(seconds, 2))
    return times


def bench(latencies, repeat, workdir):
    ctl = _sandboxctl()
    playbooks = write_playbooks(workdir)
    results = []
    state = Path(workdir) / "sandbox"
    handle = ctl.start(port=None, state_dir=state)
    url = ctl.endpoint(handle)
    log = state / "requests.jsonl"
    try:
        fill_source(url)
        round_number = 0
        for latency in latencies:
            ctl.configure(url, latency_ms=latency, fault_rate=0)
            for attempt in range(repeat):
                round_number += 1
                dests, floors = {}, {}
                for n, method in enumerate(METHODS):
                    dests[method] = f"nova-bench-dest-{latency}-{attempt}-{n}"
                    floors[method] = f"nova-bench-floor-{latency}-{attempt}-{n}"
                    s3(url, "us-east-1").create_bucket(Bucket=dests[method])
                    s3(url, "us-east-1").create_bucket(Bucket=floors[method])
                scenarios = (("floor", 0, EMPTY), ("full", SMALL + LARGE, SOURCE),
                             ("incremental_1pct", CHANGED, SOURCE), ("no_change", 0, SOURCE))
                for scenario, objects, source in scenarios:
                    if scenario == "incremental_1pct":
                        change_source(url, round_number)
                    for method in METHODS:
                        dest = floors[method] if scenario == "floor" else dests[method]
                        row = measure(ctl, url, log, method, dest, objects, playbooks, source)
                        row.update(method=method, scenario=scenario, latency_ms=latency, attempt=attempt,
                                   in_sync=dest_in_sync(url, dest, source))
                        if not row["in_sync"]:
                            raise SystemExit(f"{method} {scenario} at {latency} ms left the destination out of sync")
                        if scenario in ("floor", "no_change"):
                            check_no_change(row)
                        shown = ("method", "scenario", "latency_ms", "attempt", "seconds", "module_seconds",
                                 "objects_per_second", "requests")
                        print(json.dumps({k: row.get(k) for k in shown}), flush=True)
                        results.append(row)
    finally:
        ctl.stop(handle)
    return results


def summarise(results):
    """Median, min and max per (latency, scenario, method), and nova/awscli ratios of the medians."""
    groups = {}
    for r in results:
        groups.setdefault((r["latency_ms"], r["scenario"], r["method"]), []).append(r)
    summary = []
    for (latency, scenario, method), rows in groups.items():
        seconds = [r["seconds"] for r in rows]
        entry = {"latency_ms": latency, "scenario": scenario, "method": method, "runs": len(rows),
                 "seconds_median": statistics.median(seconds), "seconds_min": min(seconds),
                 "seconds_max": max(seconds), "requests": rows[0]["requests"],
                 "by_action": rows[0]["by_action"]}
        if rows[0]["objects_copied"]:
            entry["objects_per_second_median"] = round(rows[0]["objects_copied"] / entry["seconds_median"], 1)
        if "module_seconds" in rows[0]:
            entry["module_seconds_median"] = statistics.median(r["module_seconds"] for r in rows)
            if rows[0]["objects_copied"]:
                entry["module_objects_per_second_median"] = round(
                    rows[0]["objects_copied"] / entry["module_seconds_median"], 1)
        summary.append(entry)
    return summary, ratios_of(summary)


def ratios_of(summary):
    """nova.infra.s3_sync / aws s3 sync objects/s of the full sync, per latency (medians).

    wall: whole commands. module: the module's own time against awscli's whole command. transfer: each tool's
    time beyond its own floor (the same sync of an empty bucket: process start-up, clients, two empty listings),
    so start-up is taken out of both sides alike. ceiling: the wall ratio s3_sync would reach with a transfer
    exactly as fast as awscli's and its floor as measured -- the most that start-up leaves to win.
    """
    median = {(e["latency_ms"], e["scenario"], e["method"]): e for e in summary}
    ratios = {}
    for latency in sorted({e["latency_ms"] for e in summary}):
        nova, aws = (median[(latency, "full", m)] for m in METHODS)
        nova_floor, aws_floor = (median[(latency, "floor", m)]["seconds_median"] for m in METHODS)
        aws_transfer = aws["seconds_median"] - aws_floor
        ratios[f"{latency} ms"] = {
            "wall": round(aws["seconds_median"] / nova["seconds_median"], 2),
            "module": round(aws["seconds_median"] / nova["module_seconds_median"], 2),
            "transfer": round(aws_transfer / (nova["seconds_median"] - nova_floor), 2),
            "ceiling": round(aws["seconds_median"] / (nova_floor + aws_transfer), 2),
            "floor_seconds": {"nova.infra.s3_sync": nova_floor, "aws s3 sync": aws_floor},
        }
    return ratios


def table(summary, ratios, floor_times):
    lines = [
        "| Latency | Scenario | Method | Wall time (s), median [min-max] | Objects/s | Module time (s) "
        "| Module objects/s | Requests by action |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in summary:
        actions = ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in e["by_action"].items())
        lines.append(f"| {e['latency_ms']} ms | {e['scenario']} | {e['method']} | {e['seconds_median']} "
                     f"[{e['seconds_min']}-{e['seconds_max']}] | {e.get('objects_per_second_median', '-')} | "
                     f"{e.get('module_seconds_median', '-')} | {e.get('module_objects_per_second_median', '-')} | "
                     f"{actions} |")
    lines.append("")
    lines.append(f"Empty playbook (ansible's floor): median {statistics.median(floor_times)} s "
                 f"[{min(floor_times)}-{max(floor_times)}] over {len(floor_times)} runs")
    for latency, ratio in ratios.items():
        lines.append(f"Full sync at {latency}: nova.infra.s3_sync / aws s3 sync objects/s = {ratio['wall']}x by wall "
                     f"time, {ratio['module']}x by module time, {ratio['transfer']}x by transfer time (wall less "
                     f"each tool's own floor: {ratio['floor_seconds']}); ceiling {ratio['ceiling']}x")
    return "\n".join(lines)


def main():
    global SMALL, CHANGED  # the source's size, read by every step of the bench  # noqa: PLW0603
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latencies", default="0,100", help="injected per-request latencies, ms (comma list)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scenario (medians are reported)")
    parser.add_argument("--small", type=int, default=SMALL, help="small objects in the source (1 %% of them change)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "s3_sync.json"))
    args = parser.parse_args()
    SMALL, CHANGED = args.small, args.small // 100
    with tempfile.TemporaryDirectory() as workdir:
        floor_times = floor(write_playbooks(workdir), max(args.repeat, 3))
        results = bench([int(x) for x in args.latencies.split(",")], args.repeat, workdir)
    summary, ratios = summarise(results)
    document = {
        "benchmark": "s3_sync",
        "source": {"small_objects": SMALL, "small_size": "1-8 KiB", "large_objects": LARGE, "large_size": "1 MiB",
                   "changed_objects": CHANGED},
        "s3_sync_run_as": "ansible-playbook -i localhost, sync.yml (one task, gather_facts: false; "
                          "ANSIBLE_STDOUT_CALLBACK=minimal), default options",
        "aws_cli": subprocess.run([str(BIN / "aws"), "--version"], capture_output=True, text=True, check=False).stdout.strip(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "empty_playbook_seconds": floor_times,
        "ratios_full_sync": ratios,
        "summary": summary,
        "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n")
    print(table(summary, ratios, floor_times))


if __name__ == "__main__":
    main()
