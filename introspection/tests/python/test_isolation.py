# test_isolation.py: the overrides change nothing for the process: importing
# them sets no hook, writes no environment and patches no other library;
# install_asyncio() installs the asyncio policy and nothing else; a C worker
# that Python never made starts and stops without a call into Python; the
# fluid logger hears of the workers Python makes, once each
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import json
import logging
import os
import subprocess
import sys
import unittest


import fluidtest  # first: it requires the namespaces' versions

from gi.module import get_introspection_module  # noqa: E402
from gi.repository import Fluid, GLib  # noqa: E402

# The namespaces without their overrides.
FluidC = get_introspection_module("Fluid")
GLibC = get_introspection_module("GLib")

run = fluidtest.run_coroutine

# What a program sees of the process, before and after: printed as JSON by
# a child interpreter, so that this test's own imports do not count.
SNAPSHOT = r"""
import asyncio, json, logging, os, signal, sys, threading, warnings

def snapshot():
    root = logging.getLogger()
    fluid = logging.getLogger("fluid")
    return {
        "environ": dict(os.environ),
        "policy": type(asyncio.get_event_loop_policy()).__qualname__,
        "asyncio": {name: repr(getattr(asyncio, name, None))
                    for name in ("SafeChildWatcher", "get_event_loop", "new_event_loop",
                                 "get_child_watcher", "run")},
        "signals": {str(number): repr(signal.getsignal(number))
                    for number in sorted(signal.valid_signals())
                    if number not in (signal.SIGKILL, signal.SIGSTOP)},
        "hooks": [repr(sys.excepthook), repr(threading.excepthook),
                  repr(sys.unraisablehook), repr(sys.displayhook)],
        "logging": [repr(root.handlers), root.level, repr(fluid.handlers), fluid.level,
                    fluid.propagate],
        "warnings": repr(warnings.filters),
        "path": list(sys.path),
    }

import gi
gi.require_version("GLib", "2.0")
gi.require_version("Fluid", "1.0")
from gi.repository import GLib
before = snapshot()
from gi.repository import Fluid
try:
    gi.require_version("FluidRedis", "1.0")
    from gi.repository import FluidRedis
except (ImportError, ValueError):
    pass
imported = snapshot()
Fluid.install_asyncio()
installed = snapshot()
print(json.dumps({"before": before, "imported": imported, "installed": installed}))
"""


class TestNoGlobalSideEffect(unittest.TestCase):
    def test_import_and_install(self):
        completed = subprocess.run([sys.executable, "-c", SNAPSHOT], capture_output=True,
                                   text=True, env=os.environ.copy())
        self.assertEqual(completed.returncode, 0, completed.stderr)
        snapshots = json.loads(completed.stdout)
        before, imported, installed = (snapshots[key]
                                       for key in ("before", "imported", "installed"))
        self.assertEqual(imported, before)
        self.assertNotEqual(installed["policy"], before["policy"])
        installed["policy"] = before["policy"]
        self.assertEqual(installed, before)
        self.assertEqual(completed.stderr, "")

    def test_asyncio_subprocess_without_patching_asyncio(self):
        # gbulb.install() replaces asyncio.SafeChildWatcher; install_asyncio()
        # leaves asyncio alone, and subprocesses still work: the policy
        # gives asyncio GLib's child watcher.
        saved = asyncio.__dict__.get("SafeChildWatcher")
        Fluid.install_asyncio()

        async def body():
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", "raise SystemExit(3)")
            return await process.wait()

        # The child's exit status, as the child watcher tells it.
        self.assertEqual(run(body), 3)
        self.assertIs(asyncio.__dict__.get("SafeChildWatcher"), saved)


class _CallsIntoPython:
    """Records the Python functions called on this thread (sys.setprofile)
    while it is entered, but those of @allowed."""

    def __init__(self, *allowed):
        self.allowed = {function.__code__ for function in allowed}
        self.allowed.add(type(self).__exit__.__code__)
        self.calls = []

    def _profile(self, frame, event, arg):
        if event == "call" and frame.f_code not in self.allowed:
            self.calls.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")

    def __enter__(self):
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc_info):
        sys.setprofile(None)
        return False


class TestCWorkersStayInC(unittest.TestCase):
    """A C worker that Python did not make: its start and stop, its
    started and stopped signals, call no Python code, and take no GIL for
    it (no emission hook, no logging handler)."""

    def cycle(self, worker, *allowed):
        """Starts and stops @worker through the typelib; the Python calls
        made meanwhile, but for @allowed."""
        done = []

        def started(source, result, *user_data):
            done.append("started")

        def stopped(source, result, *user_data):
            done.append("stopped")

        # The main context iterated through the typelib, not GLib's
        # override: no Python but the callbacks in the loops below.
        iterate = GLibC.MainContext.iteration
        context = GLib.MainContext.default()
        with _CallsIntoPython(started, stopped, *allowed) as calls:
            FluidC.Worker.startup_async(worker, None, started)
            while len(done) < 1:
                iterate(context, True)
            FluidC.Worker.shutdown_async(worker, None, stopped)
            while len(done) < 2:
                iterate(context, True)
        self.assertEqual(done, ["started", "stopped"])
        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)
        return calls.calls

    def run_in_c(self, make, *allowed):
        # A first worker, for PyGObject to make the wrapper classes of what
        # the callbacks get (lazily, in Python); the second is measured.
        self.cycle(make(), *allowed)
        self.assertEqual(self.cycle(make(), *allowed), [])

    def test_queue_consumer_worker(self):
        self.run_in_c(lambda: FluidC.QueueConsumerWorker.new(None))

    def test_group_of_c_workers(self):
        def make():
            group = FluidC.Workers.new()
            for i in range(3):
                FluidC.Workers.add_worker(group, FluidC.QueueConsumerWorker.new(None))
            return group

        self.run_in_c(make)

    def test_worker_function_calls_its_function_alone(self):
        # Made through the typelib, not the override: the function is all
        # the Python it runs.
        def body(worker, *user_data):
            pass

        self.run_in_c(lambda: FluidC.WorkerFunction.new(0.001, body), body)

    def test_the_profile_sees_the_logging_of_python_made_workers(self):
        # The same harness on a C worker that the override made: its start
        # and stop reach the fluid logger, and the profile sees them.
        calls = self.cycle(Fluid.QueueConsumerWorker.new(None))
        self.assertTrue(any(call.endswith(":log_started") for call in calls), calls)
        self.assertTrue(any(call.endswith(":log_stopped") for call in calls), calls)


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


class Sleeper(Fluid.Worker):
    async def run(self):
        while self.is_running():
            await self.sleep(3600)


class DeeperSleeper(Sleeper):
    pass


class TestLogging(unittest.TestCase):
    """The fluid logger hears of each worker Python made, once per start
    and stop: Python classes through their class, C classes that the
    overrides construct through handlers connected then."""

    def setUp(self):
        Fluid.install_asyncio()
        self.records = _Records()
        self.logger = logging.getLogger("fluid")
        self.logger.addHandler(self.records)
        self.saved_level = self.logger.level
        self.logger.setLevel(logging.INFO)

    def tearDown(self):
        self.logger.removeHandler(self.records)
        self.logger.setLevel(self.saved_level)

    def cycle(self, worker):
        async def body():
            await worker.startup()
            await worker.shutdown()

        run(body)
        name = worker.get_name()
        self.assertEqual(self.records.messages, [f"{name} started running",
                                                 f"{name} stopped running: normal shutdown"])
        self.records.messages.clear()

    def test_python_classes(self):
        self.cycle(Sleeper(name="sleeper"))
        self.cycle(DeeperSleeper(name="deeper"))

    def test_c_classes_made_by_the_overrides(self):
        self.cycle(Fluid.WorkerFunction.new(0.001, lambda worker: None, name="function"))
        self.cycle(Fluid.WorkerFunction(lambda: None, heartbeat=0.001, name="aio"))
        self.cycle(Fluid.QueueConsumerWorker.new(None, name="plain"))
        self.cycle(Fluid.QueueConsumerWorker(lambda message: None, name="callback"))
        self.cycle(Fluid.Workers(name="empty"))
        self.cycle(Fluid.AsyncConsumer(Fluid.AsyncDispatcher.new(None), name="dispatching"))

    def test_c_workers_not_made_by_python_are_not_logged(self):
        self.logger.removeHandler(self.records)
        worker = FluidC.QueueConsumerWorker.new(None)
        self.logger.addHandler(self.records)

        async def body():
            await worker.startup()
            await worker.shutdown()

        run(body)
        self.assertEqual(self.records.messages, [])

    def test_after_shutdown_of_the_subclass_runs_too(self):
        noted = []

        class Noting(Sleeper):
            def after_shutdown(self, reason, exit_code):
                noted.append((reason, exit_code))

        class OwnVfunc(Sleeper):
            def do_after_shutdown(self, reason, exit_code):
                noted.append(("vfunc", exit_code))

        self.cycle(Noting(name="noting"))
        self.cycle(OwnVfunc(name="own"))
        self.assertEqual(noted, [("normal shutdown", 0), ("vfunc", 0)])


if __name__ == "__main__":
    unittest.main()
