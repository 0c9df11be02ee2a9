"""Shared helpers of the integration tests: run playbooks against a sandbox and read AWS back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class PlaybookRun:
    """Outcome of one ansible-playbook run, read from the json callback."""

    returncode: int
    stdout: str
    stderr: str
    stats: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(host.get("changed", 0) for host in self.stats.values())

    @property
    def failed(self) -> int:
        return sum(host.get("failures", 0) + host.get("unreachable", 0) for host in self.stats.values())

    def failure_messages(self) -> list[str]:
        """The msg of every failed task result, so assertions can show why a run failed."""
        messages = []
        for play in self.results.get("plays", []):
            for task in play.get("tasks", []):
                for host_result in task.get("hosts", {}).values():
                    if host_result.get("failed"):
                        messages.append(str(host_result.get("msg", host_result)))
                    for item in host_result.get("results", []) or []:
                        if isinstance(item, dict) and item.get("failed"):
                            messages.append(str(item.get("msg", item)))
        return messages

    def changed_tasks(self) -> list[str]:
        names = []
        for play in self.results.get("plays", []):
            for task in play.get("tasks", []):
                if any(result.get("changed") for result in task.get("hosts", {}).values()):
                    names.append(task["task"]["name"])
        return names


# Where workdir_of() puts the playbooks' working directories: tests/conftest.py points it into pytest's temporary
# directory of the session (pytest keeps the last three sessions' and removes older ones), so the key pairs and
# reports of the runs do not pile up in the system's temporary directory; outside a test session, that directory.
WORKDIR_ROOT_ENV = "NOVA_TESTS_WORKDIR_ROOT"


def workdir_of(port: int) -> Path:
    """$PWD of the playbooks run against the sandbox on `port`: a directory of this sandbox's own, outside the
    repository, holding the key pair, ssh_config and reports (.secrets/, reports/)."""
    workdir = Path(os.environ.get(WORKDIR_ROOT_ENV) or tempfile.gettempdir()) / f"nova-tests-{port}"
    workdir.mkdir(exist_ok=True)
    return workdir


def run_playbook(
    port: int, playbook: str = "site.yml", *args: str, timeout: int = 900, env_overrides: dict | None = None,
    cwd: Path = REPO,
) -> PlaybookRun:
    """Run a playbook from the repository root (or `cwd`) against the sandbox on `port`.

    The key pair, ssh_config and reports default to $PWD/.secrets and $PWD/reports; PWD is pointed at a
    directory of this sandbox's own (workdir_of), so test sessions running side by side never share them.
    env_overrides: variables to set (a value of None removes the variable).
    """
    workdir = workdir_of(port)
    env = dict(os.environ)
    env.update(
        PWD=str(workdir),
        NOVA_SANDBOX_PORT=str(port),
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    for name, value in (env_overrides or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), playbook, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    run = PlaybookRun(proc.returncode, proc.stdout, proc.stderr)
    start = proc.stdout.find("{")
    if start >= 0:
        try:
            run.results = _lockstep(json.loads(proc.stdout[start:]))
            run.stats = run.results.get("stats", {})
        except json.JSONDecodeError:
            pass
    return run


@dataclass
class InstalledCollection:
    """nova.infra installed from the tarball `ansible-galaxy collection build` makes, as a user receives it."""

    tarball: Path
    path: Path  # the collections path it was installed into (empty before)
    dependencies: Path  # a collections path holding only its dependencies, linked from the venv

    @property
    def root(self) -> Path:
        return self.path / "ansible_collections" / "nova" / "infra"

    def env(self) -> dict:
        """Ansible sees the installed copy and its dependencies only: no repository ansible.cfg, not the venv's
        ansible_collections (where the Makefile links the repository as nova.infra). The collection's own fast
        strategy is chosen as the repository's ansible.cfg does (a user sets ANSIBLE_STRATEGY or ansible.cfg)."""
        return {
            "ANSIBLE_CONFIG": None,
            "ANSIBLE_COLLECTIONS_PATH": f"{self.path}{os.pathsep}{self.dependencies}",
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_STRATEGY": "nova.infra.fast",
        }


def install_collection(root: Path) -> InstalledCollection:
    """Build the tarball and install it into an empty collections path, offline.

    Galaxy is not reachable from the test machines: the dependencies galaxy.yml names (and theirs, from their
    MANIFEST.json) are linked from the venv's ansible_collections (the pinned `ansible` package) into a collections
    path of their own, and `ansible-galaxy collection install --offline` resolves galaxy.yml's version ranges
    against them instead of downloading. ansible.posix is added for the json callback these helpers read.
    """
    import yaml

    build = root / "build"
    proc = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(build), str(REPO)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tarball,) = build.glob("nova-infra-*.tar.gz")
    venv_collections = Path(yaml.__file__).resolve().parents[1] / "ansible_collections"
    dependencies = root / "dependencies"
    wanted = sorted(yaml.safe_load((REPO / "galaxy.yml").read_text())["dependencies"]) + ["ansible.posix"]
    linked: set[str] = set()
    while wanted:
        fqcn = wanted.pop()
        if fqcn in linked:
            continue
        namespace, name = fqcn.split(".")
        source = venv_collections / namespace / name
        link = dependencies / "ansible_collections" / namespace / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(source)
        linked.add(fqcn)
        manifest = json.loads((source / "MANIFEST.json").read_text())
        wanted += sorted(manifest["collection_info"].get("dependencies") or {})
    installed = InstalledCollection(tarball, root / "collections", dependencies)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(dependencies), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", str(tarball), "-p", str(installed.path)],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (installed.root / "MANIFEST.json").is_file(), proc.stdout
    return installed


def run_installed(port: int, installed: InstalledCollection, playbook: str, *args: str, **kwargs) -> PlaybookRun:
    """`ansible-playbook nova.infra.<playbook>` of the installed collection, run from the sandbox's work directory
    (outside the repository) with the sandbox inventory the collection ships."""
    inventory = installed.root / "inventories" / "sandbox" / "hosts.yml"
    return run_playbook(port, f"nova.infra.{playbook}", "-i", str(inventory), *args, cwd=workdir_of(port),
                        env_overrides={**installed.env(), **kwargs.pop("env_overrides", {})}, **kwargs)


def _lockstep(results: dict) -> dict:
    """One entry per task with every host's result, as ansible.posix.json writes them for the linear strategy.

    The json callback writes lockstep output only when the play's strategy is named `linear`; for any other name
    (nova.infra.fast, the default in ansible.cfg, runs tasks in the same lockstep) it writes one entry per host and
    task. Entries of the same task that follow each other are merged back.
    """
    for play in results.get("plays", []):
        merged: list[dict] = []
        for task in play.get("tasks", []):
            if merged and merged[-1]["task"].get("id") == task["task"].get("id"):
                merged[-1]["hosts"].update(task.get("hosts", {}))
            else:
                merged.append(task)
        play["tasks"] = merged
    return results


def aws(port: int, service: str, region: str = "us-west-2"):
    """An independent boto3 reader of the sandbox (not the code under test).

    S3 Control names the account in the host (123456789012.127.0.0.1): it goes through the sandbox as a proxy.
    """
    url = f"http://127.0.0.1:{port}"
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(proxies={"http": url}) if service == "s3control" else None,
    )


def tags_of(resource: dict) -> dict:
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}


def stack_vpcs(ec2) -> list[dict]:
    """Every VPC but the region's default one."""
    return [vpc for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc.get("IsDefault")]


def inventory_snapshot(ec2) -> dict:
    """What a failed run must not have changed: VPCs, subnets, gateways, addresses, route tables."""
    return {
        "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        "subnets": sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
        "igws": sorted(i["InternetGatewayId"] for i in ec2.describe_internet_gateways()["InternetGateways"]),
        "nats": sorted(n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"]),
        "eips": sorted(a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]),
        "route_tables": sorted(r["RouteTableId"] for r in ec2.describe_route_tables()["RouteTables"]),
        "security_groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
    }


def run_molecule(scenario: str, tmp_path: Path, free_port: int) -> None:
    """`molecule test -s <scenario>` end to end on a sandbox of its own (the scenario starts and stops it):
    every step must pass; on failure the failed step's output is shown and the whole log kept in tmp_path."""
    env = dict(os.environ)
    env.update(
        NOVA_SANDBOX_PORT=str(free_port),
        NOVA_SANDBOX_DIR=str(tmp_path / "sandbox"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_NOCOLOR="1",
        NO_COLOR="1",
    )
    molecule = str(BIN / "molecule")
    subprocess.run([molecule, "reset", "-s", scenario], cwd=REPO, env=env, capture_output=True, check=False)
    proc = subprocess.run(
        [molecule, "test", "-s", scenario], cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    output = proc.stdout + proc.stderr
    log = tmp_path / "molecule.log"
    log.write_text(output)
    # Idempotence names the tasks that changed; otherwise the first fatal task says why.
    failed_at = max(output.find("Idempotence test failed"), output.rfind("fatal:"), 0)
    assert proc.returncode == 0, f"{log}:\n{output[failed_at : failed_at + 2000]}\n...\n{output[-1500:]}"
    for step in ("create", "converge", "idempotence", "verify", "destroy"):
        assert f"{step}: Executed: Successful" in output, f"{step} did not run:\n{output[-4000:]}"


def sandbox_play(name: str) -> str:
    """The head of a play on localhost whose AWS modules (amazon.aws's and this collection's) reach the sandbox with
    the variables run_playbook passes; the caller appends its roles: or tasks:."""
    return f"""
- name: {name}
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/nova.infra.aws:
      region: us-west-2
      endpoint_url: "{{{{ nova_aws_endpoint_url }}}}"
      access_key: "{{{{ nova_aws_access_key }}}}"
      secret_key: "{{{{ nova_aws_secret_key }}}}"
"""


_COUNTERS_TASK = "nova-tests: take the sandbox's counters"
_TAKE_COUNTERS = f"""    - name: "{_COUNTERS_TASK}"
      ansible.builtin.uri:
        url: "{{{{ nova_aws_endpoint_url }}}}/_nova/stats/reset"
        method: POST
        body_format: json
        body: {{}}
      check_mode: false
"""


def run_tasks_counted(port: int, workdir: Path, head: str, steps: list[tuple[str, str]]) -> list[tuple[dict, dict]]:
    """Runs `steps` in this order in one play after `head` (sandbox_play's; the playbook is a new file in `workdir`),
    each a pair (the name of the task whose result is wanted, the YAML of the step's tasks: list items indented four
    spaces), and returns, for each step, that task's result (less Ansible's own keys, invocation and action) and the sandbox's requests by action during the
    step alone: after each step a uri task takes the sandbox's counters and zeroes them (POST /_nova/stats/reset
    returns what it zeroed; control requests are not counted). One ansible-playbook run instead of one per step: a
    run costs ~1.3 CPU-s to start, a task ~0.1."""
    from sandbox import sandboxctl

    url = sandboxctl.endpoint(port)
    handle, playbook = tempfile.mkstemp(prefix="tasks-", suffix=".yml", dir=workdir)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(head + "  tasks:\n" + "".join(tasks + _TAKE_COUNTERS for _name, tasks in steps))
    sandboxctl.stats(url, reset=True)
    run = run_playbook(port, playbook)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    counted, step = [], []
    for task in run.results["plays"][0]["tasks"]:
        if task["task"]["name"] != _COUNTERS_TASK:
            step.append(task)
            continue
        name = steps[len(counted)][0]
        (wanted,) = [each["hosts"]["localhost"] for each in step if each["task"]["name"] == name]
        result = {key: value for key, value in wanted.items()
                  if not key.startswith("_ansible") and key not in ("invocation", "action")}
        counted.append((result, task["hosts"]["localhost"]["json"]["by_action"]))
        step = []
    assert len(counted) == len(steps) and not step, run.stdout[-3000:]
    return counted


def role_play(role: str, name: str) -> str:
    """A play running one nova.infra role on localhost against the sandbox (the variables run_playbook passes), for
    tests that exercise a role without site.yml around it."""
    return sandbox_play(name) + f"""  roles:
    - role: nova.infra.{role}
"""
