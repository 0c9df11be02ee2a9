# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: fast
short_description: Ansible's linear strategy, run through Mitogen for Ansible when it is installed
version_added: 0.2.0
author:
  - nova.infra engineers (!UNKNOWN)
description:
  - Runs tasks exactly as C(ansible.builtin.linear) does (same order, results, check mode and diff), but through
    Mitogen for Ansible (the C(mitogen) Python package). A long-lived Python worker per connection runs the modules,
    so boto3, botocore and the collections' code are imported once per run instead of once per task, and module
    files are not copied and unpacked for every task. On the embedded sandbox this halves the time of C(site.yml)
    (docs/benchmarks.md).
  - In that worker every botocore session shares one data loader (module_utils/botocore_share.py), so the endpoint
    rules and service models are parsed once per run instead of once per AWS client.
  - In that worker amazon.aws's client factory hands a module the client an earlier module of the run already built
    when every setting that shapes it is the same (service, region, endpoint, credentials, profile, botocore config,
    user agent, the AWS_* environment and the shared config and credentials files), as a long-lived boto3 program
    does; anything else gets a new client as before. E(NOVA_CLIENT_CACHE=0) builds a client per module run.
  - A worker on the local connection that runs the controller's own Python interpreter imports ansible-core, Mitogen
    for Ansible, and the collections when each one Ansible uses is the copy that interpreter would import, from its
    own C(sys.path) (with their compiled files) instead of receiving each module's source from the controller, and is
    sent none of it; remote workers, another interpreter, or a collection Ansible takes from elsewhere keep Mitogen's
    way. Such a worker is spared Mitogen's scan of each module's module_utils imports while no module_utils directory
    other than ansible-core's exists.
  - The collection's filter and action plugins are imported in the controller before the first task worker is
    forked, which then inherits them instead of compiling them again for each task, and the garbage collector leaves
    out what the controller held before each fork (Python's C(gc.freeze)), so a worker does not walk the inherited heap.
  - A task or dynamic include (C(include_tasks), C(include_role)) without a loop or delegation that its C(when) skips
    is decided in the controller, exactly as Ansible's task executor decides it, and its skipped result is sent as a
    task worker sends it, so no worker is forked for it (a no-op C(site.yml) skips about 40 tasks and 10 includes).
    Any error while evaluating the condition leaves the task to a worker as before. E(NOVA_SKIP_IN_CONTROLLER=0)
    switches this off.
  - A plain task (no loop, delegation, include, C(until), C(retries), C(async) or C(timeout)) whose action is one of
    ansible-core's controller-side actions that never use the connection (C(ansible.builtin.set_fact), C(assert),
    C(debug), C(fail) and C(validate_argument_spec), the plugins ansible-core ships, not an override of the same name,
    and this collection's M(nova.infra.validate_settings)) is run in the controller by Ansible's own task executor, on
    copies of the task, play context and variables as a forked worker has them, and its result is sent as a task
    worker sends it, so no worker is forked for it. Any error before the task executor runs leaves the task to a
    worker as before. E(NOVA_RUN_IN_CONTROLLER=0) switches this off.
  - Mitogen's own modules (its bootstrap, and the few a worker is sent) go as their source files are, instead of
    being stripped of comments and docstrings again on every run.
  - While a task runs, the controller sleeps until its result arrives instead of waking every
    C(internal_poll_interval) (1 ms) to look for it; it still looks for a dead worker or a stopped run every 0.1 s.
    Same results in the same order, ~4 % less CPU per run.
  - Every module's result is the same as with the linear strategy; the whole test suite runs with this strategy.
  - "Known limit of Mitogen: an amazon.aws module run with C(async) waits for its whole async timeout. Give such a
    task C(vars: {ansible_connection: ansible.builtin.local}) so it takes Ansible's own path (this collection has
    none)."
  - A play of at most three tasks (an include counts as more) runs as C(ansible.builtin.linear) (skipped tasks still
    decided in the controller), without
    Mitogen, whose start-up costs more than it saves on so few tasks.
  - When the C(mitogen) package is not installed the strategy is C(ansible.builtin.linear), with a warning that says
    how to install it, so the collection's playbooks never depend on it to run.
  - "Switch it off for one run with E(NOVA_MITOGEN=0) (linear, no warning) or E(ANSIBLE_STRATEGY=linear); for good
    with C(strategy = linear) in C(ansible.cfg)."
requirements:
  - "mitogen (requirements.txt pins the version; without it: the linear strategy)"
"""

import collections
import functools
import gc
import os
import sys

from ansible.plugins.strategy.linear import StrategyModule as _Linear
from ansible.utils.display import Display

display = Display()


def _switched_off(name):
    """The collection's speed switches: NOVA_MITOGEN, NOVA_CLIENT_CACHE, NOVA_SKIP_IN_CONTROLLER, NOVA_RUN_IN_CONTROLLER
    (0, false, no or off)."""
    return os.environ.get(name, "").strip().lower() in ("0", "false", "no", "off")


_DISABLED = _switched_off("NOVA_MITOGEN")
_SKIP_IN_CONTROLLER = not _switched_off("NOVA_SKIP_IN_CONTROLLER")
_RUN_IN_CONTROLLER = not _switched_off("NOVA_RUN_IN_CONTROLLER")
# ansible-core's action plugins that run entirely in the controller and never use the connection (each declares
# _requires_connection = False and neither transfers files nor runs a module), by their files in ansible/plugins/action.
_CONTROLLER_ACTIONS = frozenset(f"{name}.py" for name in ("set_fact", "assert", "debug", "fail", "validate_argument_spec"))
# This collection's own: nova.infra.validate_settings judges a role's settings on the controller (no connection).
_OWN_CONTROLLER_ACTIONS = frozenset(("validate_settings.py",))
_OWN_ACTION_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "action")
_CONTROLLER_ACTION_NAMES = frozenset(name[:-3] for name in _CONTROLLER_ACTIONS | _OWN_CONTROLLER_ACTIONS)
_MISSING = None
# How often a wait for task results looks for a dead worker or a stopped run when no result wakes it.
_DEAD_WORKER_CHECK_SECONDS = 0.1

try:
    if _DISABLED:
        raise ImportError("NOVA_MITOGEN is off")
    import ansible_mitogen.connection
    import ansible_mitogen.planner
    import ansible_mitogen.services
    import ansible_mitogen.strategy
    import mitogen.core
    import mitogen.minify
    import mitogen.parent
except ImportError as error:
    _MISSING = str(error)

from ansible_collections.nova.infra.plugins.module_utils import botocore_share


def _connect_stack_sharing_loader(self, stack):
    """Connect as Mitogen does, then give the worker's botocore sessions one shared data loader and its modules one
    AWS client per connection setting (once a worker)."""
    _CONNECT_STACK(self, stack)
    try:
        self.chain.call(botocore_share.install_worker, not _switched_off("NOVA_CLIENT_CACHE"))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # An optimisation never fails a run: the worker then keeps botocore's loader per session and a client per
        # module run.
        display.vvv(f"nova.infra.fast: botocore sessions keep a data loader each: {exc}")


# Mitogen's worker asks the controller for every module of the ansible and ansible_collections packages, which the
# controller finds, minifies and sends and the worker compiles again (~2 s of CPU per run of site.yml).
def _econtext_config_local_imports(self):
    """Mitogen's bootstrap settings of a new worker. A local one on the controller's interpreter has the very same
    files (and their .pyc) on its sys.path: it imports ansible-core and ansible_mitogen itself, and the collections
    when each one Ansible uses is the copy that interpreter imports (otherwise they still come from the controller).
    The modules Mitogen rewrites in transit, ansible.modules.setup and dnf, run over a local connection as module
    files, which still come from the controller."""
    config = _ECONTEXT_CONFIG(self)
    python_path = self.options.python_path
    python = python_path[0] if isinstance(python_path, (list, tuple)) and len(python_path) == 1 else python_path
    # Exactly the local method's class: its subclasses (ssh, docker, sudo...) reach other interpreters.
    if (
        type(self) is mitogen.parent.Connection  # pylint: disable=unidiomatic-typecheck
        and isinstance(python, str)
        and (os.path.abspath(python) == os.path.abspath(sys.executable))
    ):
        local = {"ansible", "ansible_mitogen"} | ({"ansible_collections"} if _collections_import_alike() else set())
        config["import_overrides"] = [name for name in config["import_overrides"] if name not in local]
        _LOCAL_IMPORTS[self.context.context_id] = frozenset(local)
    return config


# The workers (Mitogen context ids) that import ansible-core themselves, with the top-level packages each imports
# from its own sys.path; filled in the multiplexer process, where the workers are started and the services run.
_LOCAL_IMPORTS = {}


def _send_module_forwards_unless_local(self, context):
    """Mitogen's ContextService._send_module_forwards, which sends a new worker the source of the modules every
    module run needs (ansible.module_utils.basic and ~50 modules it imports, and ansible_mitogen's runner and target),
    each found, parsed for its imports and minified in the controller. A worker that imports those packages itself
    never uses what it is sent (Mitogen's importer serves only the packages it overrides), so it receives only
    Mitogen's own. With _source_as_is: ~0.3 s less CPU per run (A/B of a site.yml run stopped by bad input)."""
    local = _LOCAL_IMPORTS.get(context.context_id)
    if not local or not hasattr(self.router.responder, "forward_modules"):
        return _SEND_MODULE_FORWARDS(self, context)
    wanted = [name for name in self.ALWAYS_PRELOAD if name.partition(".")[0] not in local]
    return self.router.responder.forward_modules(context, wanted)


def _scan_unless_local(self, module_name, module_path, search_path, builtin_path, context):
    """Mitogen's ModuleDepService.scan, which parses a module and every ansible.module_utils file it imports to list
    them (~50 ms a module): "custom" ones, found in a module_utils directory of their own, which the worker then
    receives; "builtin" ones, which it imports before the run. A worker that imports ansible-core itself needs
    neither when no search path but ansible-core's own module_utils exists (no custom one can then be found): it
    imports what the module imports, as it runs."""
    builtin = os.path.realpath(builtin_path)
    if context.context_id in _LOCAL_IMPORTS and all(
        os.path.realpath(path) == builtin for path in search_path if os.path.isdir(path)
    ):
        return {"builtin": [], "custom": []}
    return _SCAN(self, module_name, module_path, search_path, builtin_path, context)


def _source_as_is(source):
    """Mitogen's minimize_source, which strips comments and docstrings from the source of its own modules (its
    bootstrap and the modules each worker is sent) by tokenizing them again on every run (~10,000 lines). The source
    is sent as it is: the same code and line numbers, about a third more bytes (~35 KB compressed), which a local
    pipe or an SSH connection carries in less time than the tokenizing takes."""
    return mitogen.core.to_text(source)


@functools.cache
def _collections_import_alike():
    """True when a fresh interpreter like this one imports every collection Ansible uses from the directory Ansible
    uses for it: the first ansible_collections/<namespace>/<name> on sys.path is Ansible's copy."""
    import ansible

    roots = [path for path in sys.path[1:] if path and os.path.isdir(os.path.join(path, "ansible_collections"))]
    # ansible-core's own internal collection (ansible._protomatter: controller-side filters and tests, no modules).
    internal = os.path.dirname(ansible.__file__) + os.sep
    for used in _collection_dirs():
        if used.startswith(internal):
            continue
        namespace, name = used.rstrip(os.sep).split(os.sep)[-2:]
        first = next(
            (
                candidate
                for candidate in (os.path.join(root, "ansible_collections", namespace, name) for root in roots)
                if os.path.isdir(candidate)
            ),
            None,
        )
        if first is None or os.path.realpath(first) != os.path.realpath(used):
            return False
    return True


# Plays of at most this many tasks run as ansible.builtin.linear, without Mitogen (a one-task play of s3_sync, a
# short check): Mitogen's start-up is a fixed ~1 s of CPU per play, more than it saves on a few tasks.
LINEAR_UP_TO = 3


def _static_task_count(iterator):
    """The play's tasks as compiled (blocks, rescue and always flattened; Ansible's implicit meta tasks left out).

    An include (include_tasks, include_role) counts as longer than LINEAR_UP_TO, since what it brings is only known
    when it runs.
    """
    from ansible import constants as C

    def count(items):
        total = 0
        for item in items or ():
            if hasattr(item, "block"):  # a Block
                total += count(item.block) + count(item.rescue) + count(item.always)
            elif item.action in C._ACTION_ALL_INCLUDES:  # pylint: disable=protected-access
                total += LINEAR_UP_TO + 1
            elif item.action not in C._ACTION_META:  # pylint: disable=protected-access
                total += 1
        return total

    return count(getattr(iterator, "_blocks", ()))


@functools.cache
def _collection_dirs():
    """The installed collections' directories, listed once per run (they do not change while it runs)."""
    from ansible.collections.list import list_collection_dirs

    return tuple(path.decode("utf-8") for path in list_collection_dirs())


def _load_collections_listed_once(invocation):
    """Mitogen's planner._load_collections, from the list made once in the controller.

    Mitogen lists every installed collection for each task that runs a collection's module, and Ansible's task
    workers are forked per task, so that listing (importing each collection's package and parsing its
    meta/runtime.yml: ~50 ms with the ansible package's ~100 collections) was repeated for every task, about
    half the CPU time of a task. StrategyModule.run lists them in the controller before any worker is forked.
    """
    invocation._extra_sys_paths.update(_collection_dirs())  # pylint: disable=protected-access


@functools.cache
def _preload_own_plugins():
    """Import this collection's filter and action plugins (and the module_utils they import) in the controller, once.

    Ansible forks a worker per task, and a worker that templates with one of the collection's filters imports its
    plugin file and module_utils then, compiling them from source each time (Ansible's collection loader keeps no
    compiled files): ~15 % of the CPU time of a no-op site.yml. Imported before the first fork, every worker inherits
    them; Ansible's plugin loader finds them in sys.modules and loads nothing.
    """
    import importlib

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for kind in ("filter", "action"):
        names = sorted(os.listdir(os.path.join(here, kind))) if os.path.isdir(os.path.join(here, kind)) else ()
        for name in names:
            if name.endswith(".py") and name != "__init__.py":
                try:
                    importlib.import_module(f"ansible_collections.nova.infra.plugins.{kind}.{name[:-3]}")
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    # An optimisation never fails a run: a plugin that cannot be imported fails where it is used.
                    display.vvv(f"nova.infra.fast: {kind} plugin {name} not preloaded: {exc}")


class _ResultsWoken(collections.deque):
    """The strategy's queue of task results, which wakes the strategy when the results thread adds one (it adds them
    holding the strategy's results lock, a threading.Condition that ansible-core never notifies)."""

    def __init__(self, condition):
        super().__init__()
        self.condition = condition

    def append(self, x):
        super().append(x)
        try:
            self.condition.notify_all()
        except RuntimeError:  # appended without the lock (not ansible-core's way): the waiter's timeout covers it
            pass


class _WaitWoken:
    """ansible-core's wait for task results, woken by each result instead of waking every internal_poll_interval.

    StrategyBase._wait_on_pending_results looks for results, then sleeps internal_poll_interval (1 ms) and looks
    again, until every pending result is in: ~1,000 wake-ups a second for the whole time a task runs (~4 % of a no-op
    site.yml's CPU). Here it sleeps until the results thread hands over a result, and looks at least every 0.1
    s for a dead worker or a stopped run, as ansible-core does on each wake-up. Same results, same order.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._results = _ResultsWoken(self._results_lock)

    def _wait_on_pending_results(self, iterator):
        from ansible.errors import AnsibleError

        ret_results = []
        while self._pending_results > 0 and not self._tqm._terminated:  # pylint: disable=protected-access
            if self._tqm.has_dead_workers():
                raise AnsibleError("A worker was found in a dead state")
            ret_results.extend(self._process_pending_results(iterator))
            if self._pending_results > 0:
                with self._results_lock:
                    if not self._results:
                        self._results_lock.wait(_DEAD_WORKER_CHECK_SECONDS)
        return ret_results


if _MISSING is None:
    _CONNECT_STACK = ansible_mitogen.connection.Connection._connect_stack
    ansible_mitogen.connection.Connection._connect_stack = _connect_stack_sharing_loader
    ansible_mitogen.planner._load_collections = _load_collections_listed_once  # pylint: disable=protected-access
    _ECONTEXT_CONFIG = mitogen.parent.Connection.get_econtext_config
    mitogen.parent.Connection.get_econtext_config = _econtext_config_local_imports
    _SCAN = ansible_mitogen.services.ModuleDepService.scan
    ansible_mitogen.services.ModuleDepService.scan = functools.wraps(_SCAN)(_scan_unless_local)
    mitogen.minify.minimize_source = _source_as_is
    _SEND_MODULE_FORWARDS = ansible_mitogen.services.ContextService._send_module_forwards
    ansible_mitogen.services.ContextService._send_module_forwards = functools.wraps(_SEND_MODULE_FORWARDS)(
        _send_module_forwards_unless_local
    )

    class StrategyModule(_WaitWoken, ansible_mitogen.strategy.StrategyMixin, _Linear):
        """ansible.builtin.linear through Mitogen for Ansible."""

        def run(self, iterator, play_context):
            if _static_task_count(iterator) <= LINEAR_UP_TO:
                # Mitogen's start-up (its multiplexer and worker processes, ~1 s of CPU) costs more than it saves
                # on a play this short: ansible.builtin.linear's run, without Mitogen.
                return _Linear.run(self, iterator, play_context)
            _collection_dirs()  # in the controller, so every forked task worker inherits the list
            _preload_own_plugins()
            return super().run(iterator, play_context)

        def _queue_task(self, host, task, task_vars, play_context):
            # Everything the controller holds now is left out of the garbage collector's scans, in the controller and
            # in the task worker about to be forked, whose collections would otherwise walk (and so copy) the whole
            # inherited heap: ~5 % less CPU per run. Memory stays as it was (nothing of a run's state is garbage).
            gc.freeze()
            if _SKIP_IN_CONTROLLER and self._skipped_without_worker(host, task, task_vars, play_context):
                return None
            if _RUN_IN_CONTROLLER and self._ran_without_worker(host, task, task_vars, play_context):
                return None
            return super()._queue_task(host, task, task_vars, play_context)

        def _skipped_without_worker(self, host, task, task_vars, play_context):
            """A task its `when` skips, decided here as Ansible's task executor decides it, its result sent as a
            worker sends it: no worker is forked for it (~35 ms of CPU each; a no-op site.yml skips ~40 tasks).
            Only tasks and dynamic includes without a loop or delegation (the executor decides an include's `when`
            before anything of the include, and the strategy ignores a skipped include's result as it does a worker's);
            anything else, or any doubt (an error while evaluating), goes to a worker as before, which evaluates the
            condition itself."""
            from ansible._internal._templating._engine import TemplateEngine

            if not task.when or not _once_on_its_host(task):
                return False
            try:
                templar = TemplateEngine(loader=self._loader, variables=task_vars)
                tempvars = dict(task_vars)
                context = play_context.set_task_and_variable_override(task=task, variables=task_vars, templar=templar)
                context.post_validate(templar=templar)
                if not context.remote_addr:
                    context.remote_addr = host.address
                context.update_vars(tempvars)
                condition = {}
                if task._resolve_conditional(task.when, tempvars, result_context=condition):  # pylint: disable=protected-access
                    return False
                result = dict(changed=False, skipped=True, skip_reason="Conditional result was False") | condition
                task.update_result_no_log(templar, result)
            except Exception:  # pylint: disable=broad-exception-caught
                return False
            self._as_a_worker(host, task, task_vars, play_context, task, lambda: result)
            return True

        def _as_a_worker(self, host, task, task_vars, play_context, sent_task, run):
            """What queuing a task to a worker does, with the worker's part (`run`, returning the task's result) done
            here: the queued-task cache entry the strategy reads the result back with, v2_runner_on_start, the result
            sent as WorkerProcess._run sends it, and one more pending result."""
            self._queued_task_cache[(host.name, task._uuid)] = {  # pylint: disable=protected-access
                "host": host, "task": task, "task_vars": task_vars, "play_context": play_context,
            }
            self._tqm.send_callback("v2_runner_on_start", host, task)
            _send_as_a_worker(self._final_q, host, sent_task, run())
            self._pending_results += 1

        def _ran_without_worker(self, host, task, task_vars, play_context):
            """A task whose action is one of ansible-core's controller-side actions (set_fact, assert, debug, fail,
            validate_argument_spec: none uses the connection), run here by Ansible's TaskExecutor as a WorkerProcess
            runs it, its result sent as a worker sends it: no worker is forked (~35 ms of CPU each). The executor gets
            copies of the task (with its parent blocks), play context and variables, as a forked worker has them, since
            it squashes and templates the task in place and writes registered values and facts into the variables.
            Only plain tasks (no loop, delegation, include, until, retries, async or timeout: the executor would sleep
            or set an alarm in the controller); anything else, or any error before the executor runs, goes to a worker
            as before."""
            from ansible._internal import _task
            from ansible.executor.task_executor import TaskExecutor
            from ansible.plugins import loader as plugin_loader

            if (
                # Only a name like those (debug, ansible.builtin.debug, ansible.legacy.debug...) is looked up further:
                # a module's task costs no plugin loader search here (and no include or meta task gets past it).
                task.action.rpartition(".")[2] not in _CONTROLLER_ACTION_NAMES
                or not _once_on_its_host(task)
                or task.until
                or task.retries is not None
                or task.async_val
                or task.timeout
            ):
                return False
            try:
                if not _is_controller_action(task):
                    return False
                worker_task = task.copy(exclude_tasks=True)
                executor = TaskExecutor(
                    host,
                    worker_task,
                    dict(task_vars),
                    play_context.copy(),
                    self._loader,
                    plugin_loader.get_plugin_loader_namespace(),
                    self._final_q,
                    self._variable_manager,
                )
            except Exception as exc:  # pylint: disable=broad-exception-caught
                display.vvv(f"nova.infra.fast: {task.action} left to a task worker: {exc}")
                return False

            def run():
                # As WorkerProcess.run and _run: the executor returns a result for any error of the task.
                with _task.TaskContext(worker_task):
                    return executor.run()

            self._as_a_worker(host, task, task_vars, play_context, worker_task, run)
            return True

    def _once_on_its_host(task):
        """A task the controller may decide or run itself: no loop, no delegation, not a meta task."""
        from ansible import constants as C

        return not (task.loop is not None or task.loop_with or task.delegate_to
                    or task.action in C._ACTION_META)  # pylint: disable=protected-access

    def _is_controller_action(task):
        """True when the task's action plugin is one of _CONTROLLER_ACTIONS as ansible-core ships it, or this
        collection's validate_settings (not a plugin of the same name elsewhere, nor a subclass of one)."""
        import inspect

        import ansible.plugins.action
        from ansible.plugins.loader import action_loader

        cls = action_loader.get(task.action, class_only=True, collection_list=task.collections)
        # The plugin's own class: under Mitogen's strategy the loader returns a class (named after the action) of
        # Mitogen's ActionModuleMixin over it.
        own = next((klass for klass in getattr(cls, "__mro__", ()) if klass.__name__ == "ActionModule"), None)
        if own is None:
            return False
        path = inspect.getfile(own)
        folder, name = os.path.split(path)
        return (
            (name in _CONTROLLER_ACTIONS and folder == os.path.dirname(ansible.plugins.action.__file__))
            or (name in _OWN_CONTROLLER_ACTIONS and os.path.abspath(folder) == _OWN_ACTION_DIR)
        )

    def _send_as_a_worker(final_q, host, task, result):
        """Send the result of a task run in the controller as WorkerProcess._run sends it."""
        from ansible._internal._errors import _error_utils
        from ansible.errors import AnsibleError
        from ansible.executor.task_result import _RawTaskResult

        try:
            final_q.send_task_result(_RawTaskResult(host=host, task=task, return_data=result,
                                                    task_fields=task.dump_attrs()))
        except Exception as ex:  # pylint: disable=broad-exception-caught
            try:
                raise AnsibleError("Task result omitted due to queue send failure.") from ex
            except Exception as ex_wrapper:  # pylint: disable=broad-exception-caught
                final_q.send_task_result(_RawTaskResult(
                    host=host, task=task, return_data=_error_utils.result_dict_from_exception(ex_wrapper),
                    task_fields={},
                ))

else:

    class StrategyModule(_WaitWoken, _Linear):
        """ansible.builtin.linear: Mitogen for Ansible is not importable here."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if not _DISABLED:
                display.warning(
                    f"nova.infra.fast: Mitogen for Ansible is not installed ({_MISSING}), so tasks run with the plain"
                    " linear strategy, about twice as slow. Fix: pip install mitogen (requirements.txt pins it), or"
                    " set strategy = linear in ansible.cfg."
                )
