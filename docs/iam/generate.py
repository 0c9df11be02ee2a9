"""Least-privilege IAM policies of the nova playbooks, derived from what they really call.

    .venv/bin/python docs/iam/generate.py record [--out DIR]     run the playbooks against a fresh sandbox
                                                                 and keep its request log sliced per playbook
    .venv/bin/python docs/iam/generate.py write DIR              write docs/iam/<playbook>.json from a recording
    .venv/bin/python docs/iam/generate.py check DIR              compare the committed policies with a recording

A recording is ``requests.jsonl`` (the sandbox's request log, see docs/sandbox.md) plus
``segments.json`` ({playbook: [[first_line, end_line], ...]}): the log lines each playbook produced.
The API operation -> IAM action mapping and the actions authorised without a request of their own
are data, in docs/iam/actions.json; the pre-flight check reads the policies this script writes.

Standard library only, so it runs anywhere the repository is checked out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PLAYBOOKS = ("preflight", "site", "validate", "az-loss-drill", "dr-failover", "teardown")
ACCOUNT = "123456789012"

# The order of a recording: each step is (playbook policy, playbook file, extra arguments).
# dr-failover runs as a drill that keeps its stack, so teardown has both regions to remove; the buckets hold
# the seeded objects, so teardown also empties them (storage_force_delete), as the policy must allow.
FORCE = ("-e", "storage_force_delete=true")
SEQUENCE = (
    ("preflight", "preflight.yml", ()),
    ("site", "site.yml", ()),
    ("validate", "validate.yml", ()),
    # The AZ-loss drill twice: with the fis injector and no az_drill_run_fis (the FIS role and template only), then
    # on the sandbox's zone control (the drill, its report, site.yml's re-converge, the audits).
    ("az-loss-drill", "az-loss-drill.yml", ("-e", "az_drill_fault_injector=fis")),
    ("az-loss-drill", "az-loss-drill.yml", ()),
    ("dr-failover", "dr-failover.yml", ()),
    ("teardown", "teardown.yml", FORCE),
    ("teardown", "teardown.yml", (*FORCE, "-e", "nova_region=us-east-1", "-e", "nova_dr_region=us-west-2")),
)


def load_mapping(path: Path = HERE / "actions.json") -> dict:
    return json.loads(path.read_text())


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def operations_by_playbook(entries: list[dict], segments: dict) -> dict[str, set[str]]:
    """{playbook: {"service:Operation"}} of the requests AWS answered (faulted ones never reached it)."""
    found: dict[str, set[str]] = {}
    for playbook, spans in segments.items():
        ops = found.setdefault(playbook, set())
        for first, end in spans:
            ops.update(f"{e['service']}:{e['action']}" for e in entries[first:end] if not e.get("fault"))
    return found


def iam_actions(operations: set[str], mapping: dict) -> tuple[set[str], set[str]]:
    """(IAM actions, operations the mapping does not know)."""
    actions, unknown = set(), set()
    for op in operations:
        if op in mapping["operations"]:
            actions.update(mapping["operations"][op])
        else:
            unknown.add(op)
    return actions, unknown


def extras_of(playbook: str, mapping: dict) -> set[str]:
    return {e["action"] for e in mapping["extras"] if playbook in e["playbooks"]}


def policy_document(actions: set[str], mapping: dict, playbook: str | None = None) -> dict:
    """The stack's own buckets, objects and roles by name prefix (mapping "statements"), the rest on "*";
    every statement only in the stack's regions. A statement naming "playbooks" is only in theirs; an action in
    two statements (iam:PassRole of two roles to two services) is granted by each that applies."""
    region = {"StringEquals": {"aws:RequestedRegion": mapping["regions"]}}
    statements, left = [], set(actions)
    for scoped in mapping["statements"]:
        if playbook and "playbooks" in scoped and playbook not in scoped["playbooks"]:
            continue
        granted = sorted(set(actions) & set(scoped["actions"]))
        if granted:
            condition = {**scoped.get("Condition", {})}
            condition["StringEquals"] = {**region["StringEquals"], **condition.get("StringEquals", {})}
            statements.append(
                {"Sid": scoped["Sid"], "Effect": "Allow", "Action": granted, "Resource": scoped["Resource"],
                 "Condition": condition}
            )
            left -= set(granted)
    if left:
        statements.append({"Sid": "Everything", "Effect": "Allow", "Action": sorted(left), "Resource": "*",
                           "Condition": region})
    return {"Version": "2012-10-17", "Statement": statements}


def policy_actions(document: dict) -> set[str]:
    actions = set()
    for statement in document["Statement"]:
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def expected_policies(recording: Path, mapping: dict) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """({playbook: actions the policy must hold}, {playbook: unmapped operations})."""
    segments = json.loads((recording / "segments.json").read_text())
    ops = operations_by_playbook(read_log(recording / "requests.jsonl"), segments)
    wanted, unknown = {}, {}
    for playbook, operations in ops.items():
        actions, unknown[playbook] = iam_actions(operations, mapping)
        wanted[playbook] = actions | extras_of(playbook, mapping)
    return wanted, unknown


def compare(recording: Path, policy_dir: Path = HERE, mapping: dict | None = None) -> list[str]:
    """Every difference between the committed policies and a recording, as sentences (empty: they agree)."""
    mapping = mapping or load_mapping()
    wanted, unknown = expected_policies(recording, mapping)
    problems = []
    for playbook in PLAYBOOKS:
        for op in sorted(unknown.get(playbook, ())):
            problems.append(f"{playbook}: operation {op} is not in docs/iam/actions.json 'operations'")
        held = policy_actions(json.loads((policy_dir / f"{playbook}.json").read_text()))
        for action in sorted(wanted.get(playbook, set()) - held):
            problems.append(f"{playbook}: {action} is called but missing from docs/iam/{playbook}.json")
        for action in sorted(held - wanted.get(playbook, set())):
            problems.append(
                f"{playbook}: {action} is in docs/iam/{playbook}.json but never called "
                "(and not a documented extra in docs/iam/actions.json)"
            )
    return problems


def write(recording: Path, policy_dir: Path = HERE) -> None:
    mapping = load_mapping()
    wanted, unknown = expected_policies(recording, mapping)
    missing = sorted({op for ops in unknown.values() for op in ops})
    if missing:
        sys.exit(f"map these operations in docs/iam/actions.json first: {', '.join(missing)}")
    for playbook in PLAYBOOKS:
        document = policy_document(wanted[playbook], mapping, playbook)
        (policy_dir / f"{playbook}.json").write_text(json.dumps(document, indent=2) + "\n")


def _sandboxctl():
    spec = importlib.util.spec_from_file_location("sandboxctl", REPO / "sandbox" / "sandboxctl.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _log_lines(state_dir: Path) -> int:
    log = state_dir / "requests.jsonl"
    return len(log.read_text().splitlines()) if log.exists() else 0


def seed_objects(port: int) -> None:
    """Objects in the primary's buckets, so dr-failover's S3 sync copies (CopyObject) as in production."""
    import boto3  # only the recording needs it

    s3 = boto3.client(
        "s3",
        region_name="us-west-2",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for name in ("app-logs", "backup"):
        s3.put_object(Bucket=f"nova-production-{name}-{ACCOUNT}-us-west-2", Key="iam/seed.txt", Body=b"seed")


def record(port: int, state_dir: Path, work_dir: Path) -> dict:
    """Run SEQUENCE against the sandbox on port (state_dir: its NOVA_SANDBOX_DIR); return the segments.

    Raises RuntimeError naming the playbook that failed, with the end of its output.
    """
    *_done, (_last, segments) = record_steps(port, state_dir, work_dir)
    return segments


def record_steps(port: int, state_dir: Path, work_dir: Path, seed=seed_objects):
    """record(), one step at a time: yields (playbook policy, segments so far) after each step of SEQUENCE, so a
    caller can look at the stack between steps (tests/integration/test_lifecycle.py checks the AZ-loss drill's
    outcome around its two steps, and the DR drill's before the teardown). seed(port) fills the primary's buckets
    before dr-failover. Key pair and reports: work_dir/secrets and work_dir/reports."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    env.update(
        NOVA_SANDBOX_PORT=str(port),
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
    )
    # bastion_access=both: the bastion's Session Manager role and instance profile too (the default, ssh, calls a
    # subset of it), so each policy covers every bastion_access mode.
    common = ("-e", f"nova_report_dir={work_dir / 'reports'}", "-e", f"nova_secrets_dir={work_dir / 'secrets'}",
              "-e", "bastion_access=both")
    segments: dict[str, list] = {}
    timings = []
    for playbook, path, args in SEQUENCE:
        if playbook == "dr-failover":
            seed(port)
        first, started = _log_lines(state_dir), time.monotonic()
        proc = subprocess.run(
            [str(bin_dir / "ansible-playbook"), path, *common, *args],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False,
        )
        (work_dir / f"{len(timings):02}-{playbook}.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(f"{path} {' '.join(args)} failed (rc {proc.returncode}):\n{proc.stdout[-3000:]}")
        segments.setdefault(playbook, []).append([first, _log_lines(state_dir)])
        timings.append([f"{path} {' '.join(args)}".strip(), round(time.monotonic() - started, 1)])
        yield playbook, segments
    (work_dir / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run the playbooks against a fresh sandbox and keep the request log")
    rec.add_argument("--out", type=Path, default=REPO / ".sandbox" / "iam-recording")
    for name in ("write", "check"):
        sub.add_parser(name).add_argument("recording", type=Path)
    args = parser.parse_args(argv)
    if args.command == "record":
        args.out.mkdir(parents=True, exist_ok=True)
        sandboxctl = _sandboxctl()
        state = args.out / "sandbox"
        handle = sandboxctl.start(port=None, state_dir=state)
        try:
            segments = record(handle.port, state, args.out)
        finally:
            sandboxctl.stop(handle)
        (args.out / "requests.jsonl").write_text((state / "requests.jsonl").read_text())
        (args.out / "segments.json").write_text(json.dumps(segments, indent=2) + "\n")
        print(f"recorded in {args.out}; now: {Path(__file__).name} write {args.out}")
    elif args.command == "write":
        write(args.recording)
    else:
        problems = compare(args.recording)
        print("\n".join(problems) or "the policies match the recording")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
