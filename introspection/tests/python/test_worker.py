# test_worker.py: FluidWorker and FluidWorkerFunction from Python through
# GObject-Introspection alone (no override helpers)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import unittest

from fluidtest import TestCase, finish, iterate_until

from gi.repository import Fluid, Gio, GLib, GObject


class LoopingWorker(Fluid.Worker):
    """Overrides the run vfunc pair: loops with Fluid.Worker.sleep_async
    while running, as the tutorial's SimpleWorker."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.iterations = 0

    def do_run_async(self, cancellable, callback, user_data):
        # PyGObject binds user_data into the C callback it hands over.
        task = Gio.Task.new(self, cancellable, callback)
        self._loop(task)

    def _loop(self, task):
        if not self.is_running():
            task.return_boolean(True)
            return
        self.iterations += 1
        self.sleep_async(0.01, task.get_cancellable(), self._slept, task)

    def _slept(self, worker, result, task):
        try:
            self.sleep_finish(result)
        except GLib.Error as error:
            task.return_error(error)
            return
        self._loop(task)

    def do_run_finish(self, result):
        return result.propagate_boolean()


class FailingWorker(Fluid.Worker):
    """A run that fails with a GError."""

    def do_run_async(self, cancellable, callback, user_data):
        # PyGObject binds user_data into the C callback it hands over.
        task = Gio.Task.new(self, cancellable, callback)
        task.return_error(GLib.Error.new_literal(
            Gio.io_error_quark(), "the disk is on fire", Gio.IOErrorEnum.FAILED))

    def do_run_finish(self, result):
        return result.propagate_boolean()


class StubbornWorker(Fluid.Worker):
    """A run that never completes and ignores its cancellable."""

    def do_run_async(self, cancellable, callback, user_data):
        # PyGObject binds user_data into the C callback it hands over.
        self.task = Gio.Task.new(self, cancellable, callback)

    def do_run_finish(self, result):
        return result.propagate_boolean()


class Recorder:
    def __init__(self, worker):
        self.states = []
        self.stopped = []
        worker.connect("notify::state", lambda w, p: self.states.append(w.get_state()))
        worker.connect("stopped", lambda w, reason, code: self.stopped.append((reason, code)))


class TestWorker(TestCase):
    def test_name_and_properties(self):
        worker = LoopingWorker()
        self.assertEqual(worker.get_state(), Fluid.WorkerState.INIT)
        self.assertTrue(worker.get_name())
        self.assertEqual(worker.get_num_workers(), 1)
        self.assertFalse(worker.has_started())
        named = LoopingWorker(name="looper", stopping_grace_period=2.5)
        self.assertEqual(named.props.name, "looper")
        self.assertEqual(named.get_stopping_grace_period(), 2.5)

    def test_lifecycle(self):
        worker = LoopingWorker()
        recorder = Recorder(worker)
        self.assertTrue(finish(worker, "startup"))
        self.assertTrue(worker.is_running())
        iterate_until(lambda: worker.iterations >= 3, "three iterations")
        self.assertTrue(finish(worker, "shutdown"))
        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)
        self.assertEqual(recorder.states, [
            Fluid.WorkerState.RUNNING,
            Fluid.WorkerState.STOPPING,
            Fluid.WorkerState.STOPPED,
        ])
        self.assertEqual(recorder.stopped, [("normal shutdown", Fluid.EXIT_CODE_NORMAL)])

    def test_gracefully_stop_and_wait(self):
        worker = LoopingWorker()
        finish(worker, "startup")
        GLib.idle_add(worker.gracefully_stop)
        self.assertTrue(finish(worker, "wait_for_shutdown"))
        self.assertTrue(worker.is_stopped())

    def test_second_startup(self):
        worker = LoopingWorker()
        finish(worker, "startup")
        with self.assertRaises(GLib.Error) as caught:
            finish(worker, "startup")
        self.assertTrue(caught.exception.matches(
            Fluid.worker_error_quark(), Fluid.WorkerError.ALREADY_STARTED))
        self.assertTrue(worker.is_running())
        finish(worker, "shutdown")

    def test_never_started(self):
        worker = LoopingWorker()
        self.assertTrue(finish(worker, "shutdown"))
        self.assertTrue(finish(worker, "wait_for_shutdown"))
        self.assertEqual(worker.get_state(), Fluid.WorkerState.INIT)

    def test_error_propagation(self):
        worker = FailingWorker()
        recorder = Recorder(worker)
        finish(worker, "startup")
        with self.assertRaises(GLib.Error) as caught:
            finish(worker, "wait_for_shutdown")
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.FAILED))
        self.assertEqual(caught.exception.message, "the disk is on fire")
        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)
        self.assertEqual(recorder.stopped, [("the disk is on fire", Fluid.EXIT_CODE_ERROR)])
        with self.assertRaises(GLib.Error):
            finish(worker, "shutdown")

    def test_force_stop(self):
        worker = StubbornWorker(stopping_grace_period=0.05)
        recorder = Recorder(worker)
        finish(worker, "startup")
        self.assertTrue(finish(worker, "shutdown"))
        self.assertEqual(worker.get_state(), Fluid.WorkerState.FORCE_STOPPED)
        self.assertTrue(worker.get_cancellable().is_cancelled())
        self.assertEqual(recorder.stopped, [("forced shutdown", Fluid.EXIT_CODE_FORCED)])
        # A late completion is dropped, not a second state change.
        worker.task.return_boolean(True)
        GLib.MainContext.default().iteration(False)
        self.assertEqual(worker.get_state(), Fluid.WorkerState.FORCE_STOPPED)

    def test_status(self):
        worker = LoopingWorker()
        status = finish(worker, "status")
        self.assertEqual(status.get_type_string(), "a{sv}")
        self.assertEqual(status.unpack(), {"running": False, "stopping": False})
        finish(worker, "startup")
        self.assertEqual(finish(worker, "status").unpack()["running"], True)
        finish(worker, "shutdown")

    def test_sleep_cut_short(self):
        worker = StubbornWorker()
        finish(worker, "startup")
        slept = []
        worker.sleep_async(60, None, lambda w, r: slept.append(w.sleep_finish(r)))
        worker.gracefully_stop()
        iterate_until(lambda: slept, "the sleep")
        self.assertEqual(slept, [False])
        worker.task.return_boolean(True)
        self.assertTrue(finish(worker, "wait_for_shutdown"))

    def test_drop_reference_while_running(self):
        worker = LoopingWorker()
        finish(worker, "startup")
        stopped = []
        worker.connect("stopped", lambda *args: stopped.append(True))
        ref = worker.weak_ref(lambda: None)
        worker.gracefully_stop()
        del worker
        iterate_until(lambda: stopped, "the stop")
        self.assertIsNotNone(ref)

    def test_subclass_name(self):
        class MySimpleWorker(LoopingWorker):
            pass
        self.assertEqual(MySimpleWorker().get_name(), "my_simple_worker")


class TestWorkerFunction(TestCase):
    def test_calls_in_a_loop(self):
        calls = []
        worker = Fluid.WorkerFunction.new(0.05, lambda w: calls.append(w))
        self.assertIsInstance(worker, Fluid.WorkerFunction)
        self.assertEqual(worker.get_heartbeat(), 0.05)
        finish(worker, "startup")
        iterate_until(lambda: len(calls) >= 2, "two calls")
        self.assertIs(calls[0], worker)
        finish(worker, "shutdown")
        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)

    def test_user_data(self):
        seen = []
        worker = Fluid.WorkerFunction.new(0.0, lambda w, data: seen.append(data), "data")
        finish(worker, "startup")
        iterate_until(lambda: seen, "a call")
        finish(worker, "shutdown")
        self.assertEqual(seen[0], "data")

    def test_named(self):
        worker = Fluid.WorkerFunction.new_named("ticker", 10.0, lambda w: w.gracefully_stop())
        self.assertEqual(worker.worker_name, "ticker")
        finish(worker, "startup")
        self.assertTrue(finish(worker, "wait_for_shutdown"))
        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)

    def test_stop_from_the_function(self):
        worker = Fluid.WorkerFunction.new(10.0, lambda w: w.gracefully_stop())
        finish(worker, "startup")
        self.assertTrue(finish(worker, "wait_for_shutdown"))
        self.assertTrue(worker.is_stopped())


class TestEnums(TestCase):
    def test_values(self):
        self.assertEqual(Fluid.WorkerState.FORCE_STOPPED.value_nick, "force-stopped")
        self.assertEqual(int(Fluid.WorkerError.FAILED), 1)
        self.assertIsInstance(Fluid.WorkerState.INIT, GObject.GEnum)


if __name__ == "__main__":
    unittest.main(verbosity=2)
