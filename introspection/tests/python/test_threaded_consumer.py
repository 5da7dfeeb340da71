# test_threaded_consumer.py: a QueueConsumerWorker whose Python handler runs
# on threads the worker owns (Fluid.QueueConsumerWorker.new_threaded, 1.2),
# and backpressure from Python (max-queue-size, try_send, send_sync, await
# send_async)
#
# Every wait is for a condition: handlers block on threading.Event gates
# that the test opens, never on a time.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import contextlib
import io
import logging
import sys
import threading
import unittest

import fluidtest
from fluidtest import TestCase, finish

from gi.repository import Fluid, Gio, GLib



def wake():
    GLib.MainContext.default().wakeup()


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def nothing_printed(test):
    """Fails @test if anything reaches stderr, where PyGObject prints the
    exceptions it swallows; the fluid logger's records are kept aside."""
    records = _Records()
    fluid_logger = logging.getLogger("fluid")
    fluid_logger.addHandler(records)
    saved, sys.stderr = sys.stderr, io.StringIO()
    try:
        yield records
    finally:
        printed, sys.stderr = sys.stderr.getvalue(), saved
        fluid_logger.removeHandler(records)
    test.assertEqual(printed, "")



class Handler:
    """A handler for new_threaded(): records where and what it handled,
    and blocks on @gate (open by default) while it holds a message."""

    def __init__(self, fail=(), false=(), gate_open=True):
        self.lock = threading.Lock()
        self.handled = []
        self.threads = set()
        self.native_ids = set()
        self.running = 0
        self.max_running = 0
        self.entered = 0
        self.fail = set(fail)
        self.false = set(false)
        self.exceptions = {}
        self.gate = threading.Event()
        if gate_open:
            self.gate.set()

    def __call__(self, message):
        with self.lock:
            self.entered += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            self.threads.add(threading.get_ident())
            self.native_ids.add(threading.get_native_id())
        wake()
        try:
            # Event.wait() releases the GIL: the main thread goes on.
            self.gate.wait()
            if message in self.fail:
                exception = ValueError(f"cannot handle {message}")
                with self.lock:
                    self.exceptions[message] = exception
                raise exception
            if message in self.false:
                return False
            with self.lock:
                self.handled.append(message)
            # Anything but False handles the message: a digest, say.
            return f"digest of {message}"
        finally:
            with self.lock:
                self.running -= 1
            wake()

    def count(self):
        with self.lock:
            return len(self.handled)

    def get(self, name):
        with self.lock:
            return getattr(self, name)


def counts(worker):
    status = worker.status_sync()
    return status["processed"], status["failed"], status["discarded"]


class TestThreadedConsumer(TestCase):
    def test_handler_runs_on_the_workers_threads(self):
        handler = Handler()
        worker = Fluid.QueueConsumerWorker.new_threaded(3, handler)
        self.assertIsInstance(worker, Fluid.QueueConsumerWorker)
        messages = [f"m{i}" for i in range(100)]
        worker.startup_sync()
        for message in messages:
            worker.send(message)
        self.iterate_until(lambda: handler.count() == 100, "every message")
        worker.shutdown_sync()

        # Each message once, never on the main thread, on at most 3 threads.
        self.assertEqual(sorted(handler.handled), sorted(messages))
        self.assertNotIn(threading.get_ident(), handler.threads)
        self.assertLessEqual(len(handler.threads), 3)
        self.assertEqual(counts(worker), (100, 0, 0))
        self.assertEqual(worker.get_exit_code(), 0)

    def test_at_most_n_at_a_time(self):
        handler = Handler(gate_open=False)
        worker = Fluid.QueueConsumerWorker.new_threaded(3, handler)
        worker.startup_sync()
        # One message after another: each is taken by a thread of its own.
        for i in range(3):
            worker.send(i)
            self.iterate_until(lambda: handler.get("running") == i + 1, f"handler {i + 1}")
        # Every thread is busy: the next messages wait in the queue.
        worker.send(3)
        worker.send(4)
        self.assertEqual(worker.queue_size(), 2)
        self.assertEqual(handler.get("max_running"), 3)
        self.assertEqual(len(handler.threads), 3)
        handler.gate.set()
        self.iterate_until(lambda: handler.count() == 5, "every message")
        self.assertEqual(handler.get("max_running"), 3)
        worker.shutdown_sync()

    @unittest.skipUnless(sys.platform.startswith("linux"), "thread names from /proc")
    def test_threads_named_after_the_worker(self):
        handler = Handler()
        worker = Fluid.QueueConsumerWorker.new_threaded(2, handler)
        worker.startup_sync()
        worker.send("x")
        self.iterate_until(lambda: handler.count() == 1, "the message")
        (native_id,) = handler.native_ids
        with open(f"/proc/self/task/{native_id}/comm") as comm:
            # fluid_queue_consumer_worker, cut to the 15 bytes Linux keeps.
            self.assertEqual(comm.read().strip(), "fluid_queue_con")
        worker.shutdown_sync()

    def test_named_threads(self):
        handler = Handler()
        worker = Fluid.QueueConsumerWorker.new_threaded_named("hasher", 2, handler)
        self.assertEqual(worker.worker_name, "hasher")
        worker.startup_sync()
        worker.send("x")
        self.iterate_until(lambda: handler.count() == 1, "the message")
        (native_id,) = handler.native_ids
        with open(f"/proc/self/task/{native_id}/comm") as comm:
            self.assertEqual(comm.read().strip(), "hasher")
        worker.shutdown_sync()

    def test_full_form_with_user_data(self):
        calls = []

        def handle(worker, message, cancellable, prefix):
            calls.append((worker, message, cancellable, prefix, threading.get_ident()))
            wake()

        worker = Fluid.QueueConsumerWorker.new_threaded(1, handle, "prefix")
        worker.send(42)
        worker.startup_sync()
        self.iterate_until(lambda: calls, "the call")
        worker.shutdown_sync()
        ((got_worker, message, cancellable, prefix, thread),) = calls
        self.assertIs(got_worker, worker)
        self.assertEqual(message, 42)
        self.assertEqual(cancellable, worker.get_cancellable())
        self.assertEqual(prefix, "prefix")
        self.assertNotEqual(thread, threading.get_ident())

    def test_three_argument_form(self):
        seen = []

        class Sink:
            def handle(self, worker, message, cancellable=None):
                seen.append((worker, message))
                wake()

        worker = Fluid.QueueConsumerWorker.new_threaded(2, Sink().handle)
        worker.send({"id": 1})
        worker.startup_sync()
        self.iterate_until(lambda: seen, "the call")
        worker.shutdown_sync()
        self.assertEqual(seen, [(worker, {"id": 1})])

    def test_exception_fails_the_message(self):
        for stop_on_failure in (True, False):
            with self.subTest(stop_on_failure=stop_on_failure), nothing_printed(self):
                handler = Handler(fail={"bad"})
                worker = Fluid.QueueConsumerWorker.new_threaded(2, handler)
                worker.set_stop_on_failure(stop_on_failure)
                failed = []

                def on_failed(w, message, error):
                    failed.append((message, error.message, threading.get_ident()))

                worker.connect("message-failed", on_failed)
                worker.startup_sync()
                worker.send("one")
                self.iterate_until(lambda: handler.count() == 1, "the first message")
                worker.send("bad")
                self.iterate_until(lambda: failed, "the failure")
                # Told on the worker's context, the main thread.
                self.assertEqual(failed, [("bad", "ValueError: cannot handle bad",
                                           threading.get_ident())])
                if stop_on_failure:
                    with self.assertRaises(ValueError) as raised:
                        worker.wait_for_shutdown_sync()
                    self.assertIs(raised.exception, handler.exceptions["bad"])
                    self.assertEqual(worker.get_exit_code(), 2)
                    self.assertEqual(worker.get_stop_reason(), "ValueError: cannot handle bad")
                    # Every time.
                    with self.assertRaises(ValueError) as again:
                        worker.shutdown_sync()
                    self.assertIs(again.exception, handler.exceptions["bad"])
                else:
                    worker.send("two")
                    self.iterate_until(lambda: handler.count() == 2, "the next message")
                    worker.shutdown_sync()
                    # Counted once the threads told the context: by the stop.
                    self.assertEqual(counts(worker)[:2], (2, 1))
                    self.assertEqual(worker.get_exit_code(), 0)
                self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)

    def test_false_fails_the_message(self):
        handler = Handler(false={"no"})
        worker = Fluid.QueueConsumerWorker.new_threaded(1, handler)
        worker.set_stop_on_failure(False)
        failed = []
        worker.connect("message-failed", lambda w, message, error: failed.append(message))
        for message in ("yes", "no", "yes again"):
            worker.send(message)
        with nothing_printed(self):
            worker.startup_sync()
            self.iterate_until(lambda: failed and handler.count() == 2, "the messages")
            worker.shutdown_sync()
        self.assertEqual(failed, ["no"])
        self.assertEqual(counts(worker)[:2], (2, 1))

    def test_graceful_stop_waits_for_running_handlers(self):
        handler = Handler(gate_open=False)
        worker = Fluid.QueueConsumerWorker.new_threaded(1, handler)
        worker.startup_sync()
        worker.send("slow")
        self.iterate_until(lambda: handler.get("running") == 1, "the handler")
        worker.gracefully_stop()
        self.iterate_until(lambda: worker.get_state() == Fluid.WorkerState.STOPPING, "the stop")
        self.assertEqual(handler.count(), 0)
        handler.gate.set()
        worker.wait_for_shutdown_sync()
        self.assertEqual(handler.handled, ["slow"])
        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)

    def test_force_stop_of_a_stuck_handler(self):
        handler = Handler(gate_open=False)
        worker = Fluid.QueueConsumerWorker.new_threaded(1, handler, stopping_grace_period=0)
        worker.startup_sync()
        worker.send("stuck")
        self.iterate_until(lambda: handler.get("running") == 1, "the handler")
        with nothing_printed(self):
            worker.shutdown_sync()
            self.assertEqual(worker.get_state(), Fluid.WorkerState.FORCE_STOPPED)
            self.assertTrue(worker.get_cancellable().is_cancelled())
            self.assertEqual(counts(worker), (0, 0, 1))
            # The late return is dropped.
            handler.gate.set()
            self.iterate_until(lambda: handler.get("running") == 0, "the late return")
            context = GLib.MainContext.default()
            while context.pending():
                context.iteration(False)
        self.assertEqual(worker.get_state(), Fluid.WorkerState.FORCE_STOPPED)
        self.assertEqual(counts(worker), (0, 0, 1))

    def test_bad_handlers(self):
        async def coroutine(message):
            pass

        with self.assertRaises(TypeError):
            Fluid.QueueConsumerWorker.new_threaded(1, coroutine)
        with self.assertRaises(TypeError):
            Fluid.QueueConsumerWorker.new_threaded(1, "not callable")
        with self.assertRaises(TypeError):
            # 1.0's func(worker, message) is not a threaded handler.
            Fluid.QueueConsumerWorker.new_threaded(1, lambda worker, message: None)
        with self.assertRaises(ValueError):
            Fluid.QueueConsumerWorker.new_threaded(0, lambda message: None)

    def test_handler_returning_an_awaitable_fails_its_message(self):
        async def later():
            pass

        worker = Fluid.QueueConsumerWorker.new_threaded(1, lambda message: later())
        worker.send("x")
        with nothing_printed(self):
            worker.startup_sync()
            with self.assertRaises(TypeError):
                worker.wait_for_shutdown_sync()


class TestBackpressure(TestCase):
    def test_producer_thread_waits_for_room(self):
        handler = Handler(gate_open=False)
        worker = Fluid.QueueConsumerWorker.new_threaded(2, handler)
        worker.props.max_queue_size = 3
        self.assertEqual(worker.get_max_queue_size(), 3)
        worker.startup_sync()
        messages = list(range(20))
        sent = []
        errors = []

        def produce():
            try:
                for message in messages:
                    self.assertTrue(worker.send_sync(message))
                    sent.append(message)
                    wake()
            except BaseException as exception:  # noqa: B036: reported below
                errors.append(exception)
            wake()

        producer = threading.Thread(target=produce)
        producer.start()
        # Both threads hold a message, the queue is full: the producer waits.
        self.iterate_until(lambda: handler.get("running") == 2 and worker.queue_size() == 3,
                           "a full queue")
        self.assertFalse(worker.try_send("refused"))
        self.assertLess(len(sent), 20)
        self.assertLessEqual(worker.queue_size(), 3)
        handler.gate.set()
        self.iterate_until(lambda: not producer.is_alive() and handler.count() == 20,
                           "every message")
        producer.join()
        self.assertEqual(errors, [])
        self.assertEqual(sorted(handler.handled), messages)
        worker.shutdown_sync()
        # The refused message was neither handled nor counted.
        self.assertEqual(counts(worker), (20, 0, 0))

    def test_try_send(self):
        worker = Fluid.QueueConsumerWorker.new_threaded(1, Handler())
        worker.set_max_queue_size(2)
        self.assertTrue(worker.try_send("a"))
        self.assertTrue(worker.try_send("b"))
        self.assertFalse(worker.try_send("c"))
        # send() keeps its 1.0 contract: it never refuses.
        worker.send("d")
        self.assertEqual(worker.queue_size(), 3)
        worker.startup_sync()
        self.iterate_until(lambda: worker.queue_size() == 0, "the queue")
        worker.shutdown_sync()
        self.assertEqual(counts(worker), (3, 0, 0))
        # A stopped consumer takes nothing.
        self.assertFalse(worker.try_send("late"))

    def test_send_sync_stopped(self):
        handler = Handler(gate_open=False)
        worker = Fluid.QueueConsumerWorker.new_threaded(1, handler)
        worker.props.max_queue_size = 1
        worker.startup_sync()
        worker.send("held")
        self.iterate_until(lambda: handler.get("running") == 1, "the handler")
        worker.send("queued")
        outcome = []

        def produce():
            try:
                worker.send_sync("waiting")
                outcome.append("sent")
            except Fluid.WorkerStoppedError as error:
                outcome.append(error)
            wake()

        producer = threading.Thread(target=produce)
        producer.start()
        worker.gracefully_stop()
        handler.gate.set()
        self.iterate_until(lambda: outcome, "the producer")
        producer.join()
        worker.wait_for_shutdown_sync()
        (error,) = outcome
        self.assertIsInstance(error, Fluid.WorkerStoppedError)
        self.assertIsInstance(error, GLib.Error)
        self.assertTrue(error.matches(Fluid.worker_error_quark(), Fluid.WorkerError.STOPPED))
        self.assertNotIn("waiting", handler.handled)
        # Not taken: neither processed, failed nor discarded.
        processed, failed, discarded = counts(worker)
        self.assertEqual(processed + failed + discarded, 2)

    def test_send_async_with_a_callback(self):
        worker = Fluid.QueueConsumerWorker.new_threaded(1, Handler())
        worker.props.max_queue_size = 1
        self.assertTrue(finish(worker, "send", "a"))
        worker.startup_sync()
        self.assertTrue(finish(worker, "send", "b"))
        worker.shutdown_sync()
        with self.assertRaises(GLib.Error) as raised:
            finish(worker, "send", "c")
        self.assertTrue(raised.exception.matches(Fluid.worker_error_quark(),
                                                 Fluid.WorkerError.STOPPED))


run = fluidtest.run_coroutine
wait_until = fluidtest.wait_until_async
started_task = fluidtest.started_task


class TestBackpressureAsyncio(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Fluid.install_asyncio()

    def test_await_send_async(self):
        handler = Handler(gate_open=False)

        async def body():
            worker = Fluid.QueueConsumerWorker.new_threaded(2, handler)
            worker.props.max_queue_size = 2
            await worker.startup()
            sent = []

            async def produce():
                for i in range(10):
                    self.assertTrue(await worker.send_async(i))
                    sent.append(i)

            producer = asyncio.ensure_future(produce())
            await wait_until(lambda: handler.get("running") == 2 and worker.queue_size() == 2,
                             "a full queue")
            self.assertFalse(producer.done())
            self.assertLessEqual(worker.queue_size(), 2)
            handler.gate.set()
            await producer
            await wait_until(lambda: handler.count() == 10, "every message")
            self.assertEqual(sent, list(range(10)))
            self.assertEqual(sorted(handler.handled), list(range(10)))
            await worker.shutdown()

        run(body)

    def test_cancelled_await_withdraws_the_message(self):
        handler = Handler(gate_open=False)

        async def body():
            worker = Fluid.QueueConsumerWorker.new_threaded(1, handler)
            worker.props.max_queue_size = 1
            await worker.startup()
            worker.send("held")
            await wait_until(lambda: handler.get("running") == 1, "the handler")
            self.assertTrue(await worker.send_async("queued"))
            # The queue is full: this one waits, in C, once its task ran.
            withdrawn = started_task(worker.send_async("withdrawn"))
            await wait_until(lambda: withdrawn.started, "the withdrawn send")
            withdrawn.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await withdrawn
            # A GCancellable works as for every _async method.
            cancellable = Gio.Cancellable()
            cancelled = started_task(worker.send_async("cancelled", cancellable))
            await wait_until(lambda: cancelled.started, "the cancelled send")
            cancellable.cancel()
            with self.assertRaises(GLib.Error) as raised:
                await cancelled
            self.assertTrue(raised.exception.matches(Gio.io_error_quark(),
                                                     Gio.IOErrorEnum.CANCELLED))
            handler.gate.set()
            await wait_until(lambda: handler.count() == 2, "the messages")
            worker.send("last")
            await wait_until(lambda: handler.count() == 3, "the last message")
            await worker.shutdown()
            self.assertEqual(handler.handled, ["held", "queued", "last"])
            status = await worker.status()
            self.assertEqual(status["processed"], 3)

        run(body)

    def test_stopped_consumer_raises_worker_stopped_error(self):
        handler = Handler(gate_open=False)

        async def body():
            worker = Fluid.QueueConsumerWorker.new_threaded(1, handler)
            worker.props.max_queue_size = 1
            await worker.startup()
            worker.send("held")
            await wait_until(lambda: handler.get("running") == 1, "the handler")
            worker.send("queued")
            waiting = started_task(worker.send_async("waiting"))
            await wait_until(lambda: waiting.started, "the waiting send")
            worker.gracefully_stop()
            handler.gate.set()
            with self.assertRaises(Fluid.WorkerStoppedError) as raised:
                await waiting
            self.assertTrue(raised.exception.matches(Fluid.worker_error_quark(),
                                                     Fluid.WorkerError.STOPPED))
            await worker.wait_for_shutdown()
            # And at once once stopped.
            with self.assertRaises(Fluid.WorkerStoppedError):
                await worker.send_async("late")
            self.assertNotIn("waiting", handler.handled)

        run(body)

    def test_unthreaded_consumer(self):
        # Backpressure is for every consumer: here one on the main context,
        # fed by a coroutine on the same loop.
        handled = []

        async def handle(message):
            await asyncio.sleep(0)
            handled.append(message)

        async def body():
            worker = Fluid.QueueConsumerWorker(handle)
            worker.props.max_queue_size = 1
            await worker.startup()
            for i in range(20):
                await worker.send_async(i)
                self.assertLessEqual(worker.queue_size(), 1)
            await wait_until(lambda: len(handled) == 20, "every message")
            await worker.shutdown()
            self.assertEqual(handled, list(range(20)))

        run(body)


if __name__ == "__main__":
    unittest.main()
