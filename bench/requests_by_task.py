"""Where site.yml's AWS requests go: the requests of a converge from an empty account and of the no-op re-run, task
by task, most first.

Run: .venv/bin/python bench/requests_by_task.py [--playbook site.yml] [--runs converge,noop] [--top 30] [--json FILE]
     [-e NAME=VALUE ...]  (extra vars of every run, e.g. -e nova_lock_wait=900 as docs/awx.md advises)

An empty strict sandbox of its own (a free port, as the tests and bench/converge.py start it); the playbook runs as a
user runs it (ansible.cfg, the strategy it sets), with a bench-only callback (bench/callback_plugins/task_starts.py)
that notes when each task starts. Each request of the sandbox's log (sandbox/server.py: time, service, action) belongs
to the last task started before it: tasks run one after another on the one host, so the match is exact but for the
requests a task's module makes after the next task has started, which none does. The totals are the sandbox's own
count, as in bench/converge.py (docs/benchmarks.md, Converge).
"""

from __future__ import annotations

import argparse
import bisect
import collections
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from converge import _run_playbook  # noqa: E402  (bench/converge.py: ansible-playbook as the bench runs it)

from sandbox import sandboxctl  # noqa: E402  (the repository's sandbox/ package, standard library only)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def by_task(starts: list[dict], requests: list[dict]) -> list[dict]:
    """Each task that made a request: its name, file:line, count and counts by service:Action, most requests first."""
    times = [start["ts"] for start in starts]
    tasks: dict[tuple[str, str], collections.Counter] = {}
    for request in requests:
        index = bisect.bisect_right(times, request["ts"]) - 1
        key = (starts[index]["task"], starts[index]["path"]) if index >= 0 else ("(before the first task)", "")
        tasks.setdefault(key, collections.Counter())[f"{request['service']}:{request['action']}"] += 1
    rows = [{"task": task, "path": path, "requests": sum(counts.values()), "by_action": dict(counts.most_common())}
            for (task, path), counts in tasks.items()]
    return sorted(rows, key=lambda row: -row["requests"])


def run(playbook: str, names: list[str], extra_vars: list[str] | None = None) -> dict:
    with tempfile.TemporaryDirectory() as state:
        handle = sandboxctl.start(port=None, state_dir=state, strict=True)
        try:
            log = Path(state, "requests.jsonl")
            env = {"ANSIBLE_CALLBACK_PLUGINS": str(REPO / "bench" / "callback_plugins"),
                   "ANSIBLE_CALLBACKS_ENABLED": "nova.infra.troubleshoot,task_starts"}
            results = {}
            for name in names:
                starts_file = Path(state, f"{name}.tasks.jsonl")
                seen = len(_lines(log))
                extra = [arg for value in extra_vars or [] for arg in ("-e", value)]
                _run_playbook(handle.port, playbook, *extra, env={**env, "NOVA_TASK_STARTS": str(starts_file)})
                requests = _lines(log)[seen:]
                results[name] = {"requests": len(requests), "tasks": by_task(_lines(starts_file), requests)}
        finally:
            sandboxctl.stop(handle)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playbook", default="site.yml")
    parser.add_argument("--runs", default="converge,noop", help="names of the runs, one after the other")
    parser.add_argument("--top", type=int, default=30, help="tasks shown per run (all are in --json)")
    parser.add_argument("--json", type=Path, help="write every task's counts here")
    parser.add_argument("-e", "--extra-vars", action="append", default=[], help="NAME=VALUE for every run")
    args = parser.parse_args(argv)
    results = run(args.playbook, args.runs.split(","), args.extra_vars)
    for name, result in results.items():
        print(f"== {name}: {result['requests']} requests")
        for row in result["tasks"][:args.top]:
            actions = ", ".join(f"{action.split(':', 1)[1]} x{n}" for action, n in row["by_action"].items())
            print(f"{row['requests']:5}  {row['task']}  ({Path(row['path']).name})\n       {actions}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
