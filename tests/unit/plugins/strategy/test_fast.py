"""The nova.infra.fast strategy: Mitogen's strategy mixin over ansible.builtin.linear, or exactly linear when Mitogen is
switched off (NOVA_MITOGEN=0). Each check loads the plugin in a fresh interpreter (the switch is read at import)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def run_python(code: str, env: dict) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


# Loads the strategy plugin as Ansible does (the Mitogen patches are applied at its import): fast_class is its class.
LOAD_FAST = """
from ansible.plugins.loader import init_plugin_loader
from ansible.plugins.loader import strategy_loader
init_plugin_loader()
fast_class = strategy_loader.get("nova.infra.fast", class_only=True)
"""


def run_after_loading_fast(code: str, env: dict) -> str:
    """run_python of code after the strategy plugin was loaded in that fresh interpreter."""
    return run_python(LOAD_FAST + textwrap.dedent(code), env)


def run_play(tmp_path, play, env, modules=None):
    """ansible-playbook on localhost with this interpreter, the play's modules in a library/ beside it."""
    if modules:
        (tmp_path / "library").mkdir()
        for name, source in modules.items():
            (tmp_path / "library" / f"{name}.py").write_text(source)
    playbook = tmp_path / "play.yml"
    playbook.write_text(play)
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
         "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
        capture_output=True, text=True, check=False, timeout=300, cwd=tmp_path,
        env={**os.environ, "NOVA_MITOGEN": "", "ANSIBLE_STRATEGY": "nova.infra.fast", "ANSIBLE_NOCOLOR": "1", **env},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc


def shown(proc, key):
    """What a debug task printed as msg "<key>=<json>"."""
    (line,) = [line for line in proc.stdout.splitlines() if f"{key}=" in line]
    return json.loads(line.split(f"{key}=", 1)[1].rstrip('"').replace('\\"', '"'))


@pytest.mark.parametrize("switch, expected", [("0", "linear"), ("", "mitogen")])
def test_the_fast_strategy_is_linear_without_mitogen(switch, expected):
    out = run_after_loading_fast("""
        print("mitogen" if any("mitogen" in base.__module__ for base in fast_class.__mro__) else "linear")
    """, env={**os.environ, "NOVA_MITOGEN": switch})
    assert out == expected


def test_mitogen_lists_the_installed_collections_once_per_run():
    """Mitogen's planner lists every installed collection for each task; the fast strategy lists them once in the
    controller (before any task worker is forked) and hands every task the same list, as Mitogen would build it."""
    out = run_after_loading_fast("""
        import json
        from ansible.collections.list import list_collection_dirs
        import ansible_mitogen.planner as planner
        import ansible.collections.list as listing

        class Invocation:
            def __init__(self):
                self._extra_sys_paths = set()

        first, second = Invocation(), Invocation()
        planner._load_collections(first)
        calls = []
        listing.list_collection_dirs = lambda *a, **k: calls.append(1) or []
        planner._load_collections(second)
        expected = {p.decode() for p in list_collection_dirs()}
        print(json.dumps([first._extra_sys_paths == second._extra_sys_paths == expected, len(expected) > 0, calls]))
    """, env={**os.environ, "NOVA_MITOGEN": ""})
    assert out == "[true, true, []]"


PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The process that runs the module
      ansible.builtin.shell: tr '\\000' ' ' < /proc/$PPID/cmdline
      register: parent
    - name: Show it
      ansible.builtin.debug:
        msg: "runner={{ parent.stdout }}"
"""


@pytest.mark.parametrize("extra_tasks, runner", [(0, "AnsiballZ"), (2, "mitogen:")])
def test_a_play_of_three_tasks_or_fewer_runs_without_mitogen(tmp_path, extra_tasks, runner):
    """Mitogen's start-up costs more than it saves on a few tasks: such a play runs as plain linear (its module in
    an AnsiballZ process of its own); a longer one through Mitogen's worker."""
    play = PLAY + "".join(f"    - ansible.builtin.debug:\n        msg: {i}\n" for i in range(extra_tasks))
    proc = run_play(tmp_path, play, {})
    (line,) = [line for line in proc.stdout.splitlines() if "runner=" in line]
    assert runner in line


CLIENT_ID_MODULE = '''
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main():
    module = AnsibleAWSModule(argument_spec={})
    client = module.client("ec2")
    module.exit_json(changed=False, client_id=id(client), region=client.meta.region_name)


if __name__ == "__main__":
    main()
'''

CLIENT_PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    client_id: {region: us-west-2, access_key: testing, secret_key: testing, endpoint_url: "http://127.0.0.1:9"}
  tasks:
    - client_id:
      register: first
    - client_id:
      register: second
    - client_id:
        region: us-east-1
      register: other_region
    - ansible.builtin.debug:
        msg: "ids={{ [first.client_id, second.client_id, other_region.client_id] | to_json }}"
"""


@pytest.mark.parametrize("switch, distinct", [("", 2), ("0", 3)])
def test_modules_of_a_run_share_a_client_of_the_same_settings(tmp_path, switch, distinct):
    """In Mitogen's worker two module runs with the same connection settings get one client (a third, in another
    region, its own); NOVA_CLIENT_CACHE=0 builds a client per module run, as amazon.aws does."""
    proc = run_play(tmp_path, CLIENT_PLAY, {"NOVA_CLIENT_CACHE": switch}, {"client_id": CLIENT_ID_MODULE})
    ids = shown(proc, "ids")
    assert len(set(ids)) == distinct
    assert ids[2] not in ids[:2]


def _collections_path(tmp_path, shadowed):
    """A collections_path of its own (ansible-test sets one): empty, so Ansible takes every collection from sys.path,
    or holding another copy of amazon.aws, which Ansible then prefers to the one on sys.path."""
    path = tmp_path / "collections"
    path.mkdir()
    if shadowed:
        installed = next(Path(sys.prefix).glob("lib/python3*/site-packages/ansible_collections/amazon/aws"))
        shutil.copytree(installed, path / "ansible_collections" / "amazon" / "aws", symlinks=True)
    return str(path)


@pytest.mark.parametrize("shadowed", [False, True])
def test_collections_are_imported_locally_only_when_ansible_uses_the_same_copy(tmp_path, shadowed):
    env = {**os.environ, "NOVA_MITOGEN": "", "ANSIBLE_COLLECTIONS_PATH": _collections_path(tmp_path, shadowed)}
    out = run_after_loading_fast("""
        from ansible_collections.nova.infra.plugins.strategy import fast
        print(fast._collections_import_alike())
    """, env=env)
    assert out == str(not shadowed)


LOADER_MODULE = '''
import sys

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.amazon.aws.plugins.module_utils import arn  # noqa: F401 (imported to show its loader)


def main():
    module = AnsibleModule(argument_spec={})
    names = ("ansible.module_utils.basic", "ansible_collections.amazon.aws.plugins.module_utils.arn")
    module.exit_json(changed=False, loaders=[type(sys.modules[name].__loader__).__name__ for name in names])


if __name__ == "__main__":
    main()
'''

LOADER_PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - loader_of:
      register: first
    - ansible.builtin.debug:
        msg: "loaders={{ first.loaders | to_json }}"
    - ansible.builtin.debug:
        msg: 2
    - ansible.builtin.debug:
        msg: 3
"""


@pytest.mark.parametrize("shadowed, expected", [(False, ["SourceFileLoader", "SourceFileLoader"]),
                                                (True, ["SourceFileLoader", "Importer"])])
def test_a_local_worker_imports_ansible_itself_and_the_collections_when_they_are_alike(tmp_path, shadowed, expected):
    """The worker on the controller's interpreter imports ansible-core from its own sys.path (compiled .pyc) instead
    of receiving it from the controller; the collections too, unless Ansible uses another copy of one (then Mitogen's
    importer brings the controller's)."""
    env = {"ANSIBLE_COLLECTIONS_PATH": _collections_path(tmp_path, shadowed)}
    proc = run_play(tmp_path, LOADER_PLAY, env, {"loader_of": LOADER_MODULE})
    assert shown(proc, "loaders") == expected


def test_a_local_worker_skips_the_module_scan_only_when_no_custom_module_utils_can_exist(tmp_path):
    """Mitogen lists the ansible.module_utils files each module imports (parsing them all) so the worker can be sent
    custom ones and pre-import builtin ones. A worker that imports ansible-core itself needs neither while no
    module_utils directory but ansible-core's own exists; with one (custom module_utils may be there) Mitogen scans."""
    custom = tmp_path / "module_utils"
    custom.mkdir()
    out = run_after_loading_fast(f"""
        import json, os
        import ansible.executor.module_common as module_common
        from ansible_collections.nova.infra.plugins.strategy import fast

        class Context:
            def __init__(self, context_id):
                self.context_id = context_id

        calls = []
        fast._SCAN = lambda *args: calls.append(args[1]) or "scanned"
        fast._LOCAL_IMPORTS[7] = frozenset({{"ansible"}})
        builtin = module_common._MODULE_UTILS_PATH
        only_builtin = (builtin, os.path.join(builtin, "..", "module_utils"), "/nonexistent/module_utils")
        results = [
            fast._scan_unless_local(None, "local", "m.py", only_builtin, builtin, Context(7)),
            fast._scan_unless_local(None, "remote", "m.py", only_builtin, builtin, Context(8)),
            fast._scan_unless_local(None, "custom", "m.py", only_builtin + ("{custom}",), builtin, Context(7)),
        ]
        print(json.dumps([results, calls]))
    """, env={**os.environ, "NOVA_MITOGEN": ""})
    assert json.loads(out) == [[{"builtin": [], "custom": []}, "scanned", "scanned"], ["remote", "custom"]]


RECEIVED_MODULE = '''
import sys

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={})
    (importer,) = [finder for finder in sys.meta_path if type(finder).__name__ == "Importer"]
    module.exit_json(
        changed=False,
        received=sorted(name for name in importer._cache if name.partition(".")[0] in ("ansible", "ansible_mitogen")),
        target_loader=type(sys.modules["ansible_mitogen.target"].__loader__).__name__,
    )


if __name__ == "__main__":
    main()
'''

RECEIVED_PLAY = LOADER_PLAY.replace("loader_of:", "received_by_worker:").replace(
    "loaders={{ first.loaders | to_json }}", "received={{ [first.received, first.target_loader] | to_json }}"
)


def test_a_local_worker_is_sent_no_source_of_what_it_imports_itself(tmp_path):
    """Mitogen sends every new worker ansible.module_utils.basic and the ~50 modules it imports, and its own
    ansible_mitogen modules; a local worker on the controller's interpreter imports those from its sys.path, so it is
    sent none of them (only Mitogen's own core modules)."""
    proc = run_play(tmp_path, RECEIVED_PLAY, {}, {"received_by_worker": RECEIVED_MODULE})
    assert shown(proc, "received") == [[], "SourceFileLoader"]


def test_only_a_local_worker_is_spared_the_forwards():
    """The forwards a remote worker (or another interpreter) needs are Mitogen's, unchanged."""
    out = run_after_loading_fast("""
        import json
        from ansible_collections.nova.infra.plugins.strategy import fast

        sent = []

        class Context:
            def __init__(self, context_id):
                self.context_id = context_id

        class Service:
            ALWAYS_PRELOAD = ("ansible.module_utils.basic", "ansible_mitogen.target", "mitogen.fork")

            class router:
                class responder:
                    forward_modules = staticmethod(lambda context, names: sent.append([context.context_id, names]))

        fast._SEND_MODULE_FORWARDS = lambda self, context: sent.append([context.context_id, "mitogen's"])
        fast._LOCAL_IMPORTS[7] = frozenset({"ansible", "ansible_mitogen"})
        for context_id in (7, 8):
            fast._send_module_forwards_unless_local(Service(), Context(context_id))
        print(json.dumps(sent))
    """, env={**os.environ, "NOVA_MITOGEN": ""})
    assert json.loads(out) == [[7, ["mitogen.fork"]], [8, "mitogen's"]]


def test_mitogen_sends_its_source_as_it_is():
    """No minifying on every run: the bootstrap and the modules a worker is sent are the source files themselves."""
    out = run_after_loading_fast("""
        import inspect, json
        import mitogen.core, mitogen.master, mitogen.minify, mitogen.parent

        source = inspect.getsource(mitogen.parent)
        print(json.dumps([mitogen.master._get_core_source() == inspect.getsource(mitogen.core),
                          mitogen.minify.minimize_source(source.encode()) == source]))
    """, env={**os.environ, "NOVA_MITOGEN": ""})
    assert json.loads(out) == [True, True]


@pytest.mark.parametrize("switch", ["", "0"])
def test_the_wait_for_results_sleeps_until_a_result_arrives(switch):
    """ansible-core's wait looks for results every internal_poll_interval (1 ms); the fast strategy's (with Mitogen or
    without) is woken by the results thread's append, so a result handed over 0.5 s into the wait is found after a
    handful of looks (one per 0.1 s dead-worker check at most), not hundreds. A dead worker still stops the wait."""
    out = run_after_loading_fast("""
        import json, sys, threading, time
        from ansible.errors import AnsibleError

        fast = sys.modules[fast_class.__module__]

        class Tqm:
            _terminated = False
            dead = False
            def has_dead_workers(self):
                return self.dead

        class Strategy(fast_class):
            def __init__(self):  # only what the wait uses, as StrategyBase.__init__ sets it
                self._results_lock = threading.Condition(threading.Lock())
                self._results = fast._ResultsWoken(self._results_lock)
                self._pending_results = 1
                self._tqm = Tqm()
                self.looks = 0
            def _process_pending_results(self, iterator):
                self.looks += 1
                with self._results_lock:
                    found = list(self._results)
                    self._results.clear()
                self._pending_results -= len(found)
                return found

        strategy = Strategy()

        def hand_over():
            time.sleep(0.5)
            with strategy._results_lock:  # as ansible-core's results thread appends
                strategy._results.append("result")
        threading.Thread(target=hand_over).start()
        results = strategy._wait_on_pending_results(None)

        dead = Strategy()
        dead._tqm.dead = True
        try:
            dead._wait_on_pending_results(None)
            stopped = "no"
        except AnsibleError as error:
            stopped = str(error)
        print(json.dumps({"results": results, "looks": strategy.looks, "dead": stopped}))
    """, env={**os.environ, "NOVA_MITOGEN": switch})
    outcome = json.loads(out)
    assert outcome["results"] == ["result"]
    assert 1 <= outcome["looks"] <= 10, outcome
    assert outcome["dead"] == "A worker was found in a dead state"
