# test_threaded_function.py: a WorkerFunction whose Python function runs on
# the worker's own thread (Fluid.WorkerFunction.new_threaded, 1.2)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import contextlib
import io
import sys
import threading
import unittest

from fluidtest import TestCase

from gi.repository import Fluid, GLib


class Body:
    """A function for new_threaded(): records where it ran, and what it
    was given."""

    def __init__(self, stop_after=None, raise_at=None, return_false_at=None):
        self.lock = threading.Lock()
        self.calls = 0
        self.thread_ids = set()
        self.native_ids = set()
        self.workers = []
        self.cancellables = []
        self.stop_after = stop_after
        self.raise_at = raise_at
        self.return_false_at = return_false_at
        self.exception = None

    def __call__(self, worker, cancellable):
        with self.lock:
            self.calls += 1
            call = self.calls
            self.thread_ids.add(threading.get_ident())
            self.native_ids.add(threading.get_native_id())
            self.workers.append(worker)
            self.cancellables.append(cancellable)
        GLib.MainContext.default().wakeup()
        if call == self.stop_after:
            worker.gracefully_stop()
        if call == self.raise_at:
            self.exception = ValueError(f"call {call} broke")
            raise self.exception
        if call == self.return_false_at:
            return False
        return None

    def count(self):
        with self.lock:
            return self.calls


@contextlib.contextmanager
def stderr_captured():
    saved = sys.stderr
    sys.stderr = io.StringIO()
    try:
        yield sys.stderr
    finally:
        sys.stderr = saved


class TestThreadedFunction(TestCase):
    def test_runs_on_another_thread(self):
        body = Body()
        worker = Fluid.WorkerFunction.new_threaded(0.001, body)
        self.assertIsInstance(worker, Fluid.WorkerFunction)
        self.assertEqual(worker.props.heartbeat, 0.001)
        worker.startup_sync()
        self.iterate_until(lambda: body.count() >= 3, "three calls")
        worker.shutdown_sync()

        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)
        self.assertEqual(worker.get_exit_code(), 0)
        # Not the main thread, and one thread for every call.
        self.assertNotIn(threading.get_ident(), body.thread_ids)
        self.assertEqual(len(body.thread_ids), 1)
        self.assertTrue(all(w is worker for w in body.workers))
        self.assertTrue(all(c == worker.get_cancellable() for c in body.cancellables))

    @unittest.skipUnless(sys.platform.startswith("linux"), "thread names from /proc")
    def test_thread_name(self):
        body = Body()
        worker = Fluid.WorkerFunction.new_threaded_named("thumbnailer-of-photos", 3600, body)
        self.assertEqual(worker.get_name(), "thumbnailer-of-photos")
        worker.startup_sync()
        self.iterate_until(lambda: body.count() == 1, "the first call")
        (native_id,) = body.native_ids
        with open(f"/proc/self/task/{native_id}/comm") as comm:
            self.assertEqual(comm.read().strip(), "thumbnailer-of-")
        worker.shutdown_sync()
        self.assertEqual(worker.get_exit_code(), 0)

    def test_body_stops_itself(self):
        body = Body(stop_after=3)
        worker = Fluid.WorkerFunction.new_threaded(0, body)
        worker.startup_sync()
        worker.wait_for_shutdown_sync()
        self.assertEqual(worker.get_exit_code(), 0)
        self.assertEqual(body.count(), 3)

    def test_exception_fails_the_worker(self):
        body = Body(raise_at=2)
        worker = Fluid.WorkerFunction.new_threaded(0, body)
        with stderr_captured() as stderr:
            worker.startup_sync()
            with self.assertRaises(ValueError) as raised:
                worker.wait_for_shutdown_sync()
        # Not printed and ignored (PyGObject prints the traceback of an
        # exception it catches): the worker failed with it, and logged so.
        self.assertNotIn("Traceback", stderr.getvalue())
        self.assertIs(raised.exception, body.exception)
        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)
        self.assertEqual(worker.get_exit_code(), 2)
        self.assertEqual(worker.get_stop_reason(), "ValueError: call 2 broke")
        self.assertEqual(body.count(), 2)
        # Every time.
        with self.assertRaises(ValueError) as again:
            worker.wait_for_shutdown_sync()
        self.assertIs(again.exception, body.exception)

    def test_false_fails_the_worker(self):
        body = Body(return_false_at=1)
        worker = Fluid.WorkerFunction.new_threaded_named("sensor", 0, body)
        worker.startup_sync()
        with self.assertRaises(GLib.Error) as raised:
            worker.wait_for_shutdown_sync()
        self.assertTrue(raised.exception.matches(Fluid.worker_error_quark(),
                                                 Fluid.WorkerError.FAILED))
        self.assertIn("sensor", raised.exception.message)
        self.assertEqual(worker.get_exit_code(), 2)

    def test_force_stop_of_a_stuck_body(self):
        # A body that ignores its cancellable: the worker is forced to stop
        # at the end of its grace period all the same. Event.wait() releases
        # the GIL, so the main thread goes on meanwhile.
        release = threading.Event()
        entered = threading.Event()
        returned = threading.Event()

        def stuck(worker, cancellable):
            entered.set()
            GLib.MainContext.default().wakeup()
            release.wait()
            returned.set()
            GLib.MainContext.default().wakeup()
            return True

        worker = Fluid.WorkerFunction.new_threaded(0, stuck, stopping_grace_period=0)
        worker.startup_sync()
        self.iterate_until(entered.is_set, "the body")
        worker.shutdown_sync()
        self.assertEqual(worker.get_state(), Fluid.WorkerState.FORCE_STOPPED)
        self.assertEqual(worker.get_exit_code(), 1)
        self.assertTrue(worker.get_cancellable().is_cancelled())

        release.set()
        self.iterate_until(returned.is_set, "the late return")
        # Let the late end reach the worker's context: it is dropped.
        context = GLib.MainContext.default()
        while context.pending():
            context.iteration(False)
        self.assertEqual(worker.get_state(), Fluid.WorkerState.FORCE_STOPPED)
        self.assertEqual(worker.get_exit_code(), 1)

    def test_bad_functions(self):
        async def coroutine(worker, cancellable):
            pass

        with self.assertRaises(TypeError):
            Fluid.WorkerFunction.new_threaded(0, coroutine)
        with self.assertRaises(TypeError):
            Fluid.WorkerFunction.new_threaded(0, "not callable")


if __name__ == "__main__":
    unittest.main()
