"""Objects/s, wall time and S3 requests of nova.infra.s3_sync against `aws s3 sync`, on the sandbox.

Run: .venv/bin/python bench/s3_sync.py [--latencies 0,100] [--out bench/results/s3_sync.json]
Needs awscli (v1) in the venv: .venv/bin/pip install awscli==1.46.3

A sandbox of its own (free port) holds one us-west-2 source bucket: 1,000 objects of 1-8 KiB and 50 of 1 MiB.
Each method syncs it to a fresh us-east-1 bucket (full), then again after 1 % of the small objects changed
(incremental), then once more (no change), at each injected per-request latency. nova.infra.s3_sync runs as a user
runs it, `ansible localhost -m nova.infra.s3_sync` (wall time with ansible's start-up of about 1.5-2 s, and the
module's own time from its started/finished results); `aws s3 sync` runs
as `aws s3 sync s3://SRC s3://DST --source-region us-west-2 --region us-east-1`, both sides pointed at the sandbox
with AWS_ENDPOINT_URL_S3. Request counts come from the sandbox's accounting, per service:Action.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import importlib.util
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SOURCE = "nova-bench-source-us-west-2"
SMALL, LARGE = 1000, 50
CHANGED = SMALL // 100


def _sandboxctl():
    spec = importlib.util.spec_from_file_location("sandboxctl", REPO / "sandbox" / "sandboxctl.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def s3(url, region):
    return boto3.client("s3", region_name=region, endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def fill_source(url):
    client = s3(url, "us-west-2")
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


def run_s3_sync(url, dest):
    args = (f"source_bucket={SOURCE} source_region=us-west-2 dest_bucket={dest} dest_region=us-east-1 "
            f"endpoint_url={url} region=us-west-2 access_key=testing secret_key=testing")
    command = [str(BIN / "ansible"), "localhost", "-c", "local", "-i", "localhost,", "-o",
               "-e", f"ansible_python_interpreter={sys.executable}", "-m", "nova.infra.s3_sync", "-a", args]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_LOAD_CALLBACK_PLUGINS": "0"}
    return command, env


def run_aws(url, dest):
    command = [str(BIN / "aws"), "s3", "sync", f"s3://{SOURCE}", f"s3://{dest}", "--source-region", "us-west-2",
               "--region", "us-east-1", "--only-show-errors"]
    # awscli v1 sends --endpoint-url only to the destination side; the env variable covers both.
    env = {**os.environ, "AWS_ENDPOINT_URL_S3": url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("AWS_PROFILE", None)
    return command, env


METHODS = {"nova.infra.s3_sync": run_s3_sync, "aws s3 sync": run_aws}


def measure(ctl, url, method, dest, objects):
    command, env = METHODS[method](url, dest)
    ctl.stats(url, reset=True)
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{method} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    stats = ctl.stats(url)
    row = {}
    if method == "nova.infra.s3_sync":
        # The module's own started/finished: the sync without ansible's start-up.
        result = json.loads(proc.stdout[proc.stdout.index("{"):])
        module_seconds = (_moment(result["finished"]) - _moment(result["started"])).total_seconds()
        row = {"module_seconds": round(module_seconds, 2),
               "module_objects_per_second": round(objects / module_seconds, 1) if objects else None}
    return {
        **row,
        "seconds": round(seconds, 2),
        "objects_copied": objects,
        "objects_per_second": round(objects / seconds, 1) if objects else None,
        "requests": stats["requests"],
        "by_action": dict(sorted(stats["by_action"].items())),
    }


def _moment(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def dest_in_sync(url, dest):
    src, dst = s3(url, "us-west-2"), s3(url, "us-east-1")

    def entries(client, bucket):
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {o["Key"]: (o["Size"], o["ETag"]) for page in pages for o in page.get("Contents", [])}

    return entries(src, SOURCE) == entries(dst, dest)


def bench(latencies):
    ctl = _sandboxctl()
    results = []
    with tempfile.TemporaryDirectory() as state:
        handle = ctl.start(port=None, state_dir=state)
        url = ctl.endpoint(handle)
        try:
            fill_source(url)
            for round_number, latency in enumerate(latencies):
                ctl.configure(url, latency_ms=latency, fault_rate=0)
                dests = {}
                for n, method in enumerate(METHODS):
                    dests[method] = f"nova-bench-dest-{latency}-{n}"
                    s3(url, "us-east-1").create_bucket(Bucket=dests[method])
                for scenario, objects in (("full", SMALL + LARGE), ("incremental_1pct", CHANGED), ("no_change", 0)):
                    if scenario == "incremental_1pct":
                        change_source(url, round_number)
                    for method in METHODS:
                        row = measure(ctl, url, method, dests[method], objects)
                        row.update(method=method, scenario=scenario, latency_ms=latency,
                                   in_sync=dest_in_sync(url, dests[method]))
                        print(json.dumps({k: row[k] for k in ("method", "scenario", "latency_ms", "seconds",
                                                               "objects_per_second", "requests")}), flush=True)
                        results.append(row)
        finally:
            ctl.stop(handle)
    return results


def table(results):
    lines = [
        "| Latency | Scenario | Method | Wall time (s) | Objects/s | Module time (s) | Module objects/s | Requests "
        "| Requests by action |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        actions = ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in r["by_action"].items())
        lines.append(f"| {r['latency_ms']} ms | {r['scenario']} | {r['method']} | {r['seconds']} | "
                     f"{r['objects_per_second'] or '-'} | {r.get('module_seconds', '-')} | "
                     f"{r.get('module_objects_per_second') or '-'} | {r['requests']} | {actions} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latencies", default="0,100", help="injected per-request latencies, ms (comma list)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "s3_sync.json"))
    args = parser.parse_args()
    results = bench([int(x) for x in args.latencies.split(",")])
    document = {
        "benchmark": "s3_sync",
        "source": {"small_objects": SMALL, "small_size": "1-8 KiB", "large_objects": LARGE, "large_size": "1 MiB",
                   "changed_objects": CHANGED},
        "s3_sync_run_as": "ansible localhost -m nova.infra.s3_sync (ansible start-up included), default options",
        "aws_cli": subprocess.run([str(BIN / "aws"), "--version"], capture_output=True, text=True).stdout.strip(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
