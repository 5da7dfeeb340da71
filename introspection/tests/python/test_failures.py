# test_failures.py: an exception raised by Python code that the library
# calls comes back out of C as itself: each failure its own object, however
# many others share its text or came before it, every time it is awaited,
# and freed with its worker (nothing keyed by text, nothing kept for ever)
#
# Every wait is for a condition, never for a time.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import contextlib
import gc
import io
import logging
import sys
import traceback
import unittest
import weakref

import fluidtest

from gi.repository import Fluid, Gio, GLib

run = fluidtest.run_coroutine
wait_until = fluidtest.wait_until_async


def setUpModule():
    Fluid.install_asyncio()


class Boom(Exception):
    """An exception of the test's own, which a weak reference can follow."""


@contextlib.contextmanager
def quiet(test):
    """Fails @test if anything reaches stderr (PyGObject prints what it
    swallows there); the fluid logger's records are kept aside."""
    fluid_logger = logging.getLogger("fluid")
    handler = logging.NullHandler()
    fluid_logger.addHandler(handler)
    saved, sys.stderr = sys.stderr, io.StringIO()
    try:
        yield
    finally:
        printed, sys.stderr = sys.stderr.getvalue(), saved
        fluid_logger.removeHandler(handler)
    test.assertEqual(printed, "", f"something was printed and ignored: {printed}")


def finalized(obj):
    """A list that holds True once the GObject of @obj is finalized."""
    flag = []
    obj.weak_ref(lambda *args: flag.append(True))
    return flag


def collect():
    """Runs the collector and lets the main context dispatch what is ready,
    until neither frees anything more."""
    context = GLib.MainContext.default()
    while True:
        dispatched = False
        while context.iteration(False):
            dispatched = True
        if not gc.collect() and not dispatched:
            return


class Raising(Fluid.Worker):
    """Raises the exception it was made with from its run."""

    def __init__(self, exception, **kwargs):
        super().__init__(**kwargs)
        self.exception = exception

    async def run(self):
        await asyncio.sleep(0)
        raise self.exception


class SyncRaising(Fluid.Worker):
    def __init__(self, exception, **kwargs):
        super().__init__(**kwargs)
        self.exception = exception

    def run(self):
        raise self.exception


class TestIdentity(unittest.TestCase):
    def test_same_text_two_objects(self):
        first, second = Boom("the same text"), Boom("the same text")

        async def body():
            workers = [Raising(first), Raising(second)]
            for worker in workers:
                await worker.startup()
            for worker, exception in zip(reversed(workers), (second, first)):
                with self.assertRaises(Boom) as caught:
                    await worker.wait_for_shutdown()
                self.assertIs(caught.exception, exception)
                self.assertEqual(worker.get_stop_reason(), "Boom: the same text")

        with quiet(self):
            run(body)

    def test_same_text_two_objects_sync(self):
        first, second = ValueError("same"), ValueError("same")
        workers = [SyncRaising(first), SyncRaising(second)]
        with quiet(self):
            for worker in workers:
                worker.startup_sync()
            for worker, exception in zip(reversed(workers), (second, first)):
                with self.assertRaises(ValueError) as caught:
                    worker.wait_for_shutdown_sync()
                self.assertIs(caught.exception, exception)

    def test_after_three_hundred_others(self):
        async def body():
            oldest = Raising(Boom("failure"), name="oldest")
            await oldest.startup()
            with self.assertRaises(Boom):
                await oldest.wait_for_shutdown()
            others = [Raising(Boom("failure")) for i in range(300)]
            for worker in others:
                await worker.startup()
            for worker in others:
                with self.assertRaises(Boom) as caught:
                    await worker.wait_for_shutdown()
                self.assertIs(caught.exception, worker.exception)
            newest = Raising(Boom("failure"), name="newest")
            await newest.startup()
            for worker in (newest, oldest):
                with self.assertRaises(Boom) as caught:
                    await worker.wait_for_shutdown()
                self.assertIs(caught.exception, worker.exception)

        with quiet(self):
            run(body)

    def test_every_await_the_same_object(self):
        exception = Boom("once")

        async def body():
            worker = Raising(exception)
            await worker.startup()
            for awaited in (worker.wait_for_shutdown, worker.shutdown) * 3:
                with self.assertRaises(Boom) as caught:
                    await awaited()
                self.assertIs(caught.exception, exception)
            return worker

        with quiet(self):
            worker = run(body)
            for waited in (worker.wait_for_shutdown_sync, worker.shutdown_sync):
                with self.assertRaises(Boom) as caught:
                    waited()
                self.assertIs(caught.exception, exception)

    def test_stop_iteration(self):
        # Python code is called from a generator's frame, out of which a
        # StopIteration would become a RuntimeError (PEP 479): it fails the
        # worker as itself. A coroutine cannot raise it: awaiting raises a
        # RuntimeError that it caused, as a coroutine of asyncio does.
        exception = StopIteration("not an end")

        async def body():
            worker = SyncRaising(exception)
            await worker.startup()
            for attempt in range(2):
                with self.assertRaises(RuntimeError) as caught:
                    await worker.wait_for_shutdown()
                self.assertIs(caught.exception.__cause__, exception)
            self.assertEqual(worker.get_stop_reason(), "StopIteration: not an end")

        with quiet(self):
            run(body)

    def test_traceback_names_the_raise(self):
        # Caught by hand: assertRaises() drops the traceback.
        async def body():
            worker = Raising(Boom("where"))
            await worker.startup()
            try:
                await worker.wait_for_shutdown()
            except Boom as exception:
                return traceback.format_exception(exception)

        with quiet(self):
            lines = run(body)
        self.assertTrue(any("raise self.exception" in line for line in lines), lines)
        # Nothing of the library's machinery in it.
        self.assertFalse(any("_fluid_glib" in line for line in lines), lines)

    def test_a_glib_error_travels_as_itself(self):
        error = GLib.Error.new_literal(Gio.io_error_quark(), "no space", Gio.IOErrorEnum.NO_SPACE)

        async def body():
            worker = Raising(error)
            await worker.startup()
            with self.assertRaises(GLib.Error) as caught:
                await worker.wait_for_shutdown()
            self.assertTrue(caught.exception.matches(Gio.io_error_quark(),
                                                     Gio.IOErrorEnum.NO_SPACE))
            self.assertEqual(caught.exception.message, "no space")

        with quiet(self):
            run(body)


class TestMessages(unittest.TestCase):
    """A handler's exception fails its message, and its worker under
    stop-on-failure: wait_for_shutdown() raises that object."""

    def assert_raised_from_wait(self, worker, raised, message="one"):
        """Sends @message to @worker, whose handler raises a new exception
        kept in @raised, and awaits its failure."""
        worker.send(message)

        async def body():
            await worker.startup()
            for attempt in range(2):
                with self.assertRaises(Boom) as caught:
                    await worker.wait_for_shutdown()
                self.assertIs(caught.exception, raised[0])
            self.assertEqual(worker.get_exit_code(), 2)
            self.assertEqual(worker.get_stop_reason(), f"Boom: {raised[0]}")

        with quiet(self):
            run(body)

    @staticmethod
    def failing(raised):
        """A handler that raises a new Boom for each message, kept in
        @raised."""
        def fail(message):
            raised.append(Boom(f"cannot handle {message}"))
            raise raised[-1]

        return fail

    def test_sync_callback(self):
        raised = []
        worker = Fluid.QueueConsumerWorker(self.failing(raised))
        self.assert_raised_from_wait(worker, raised)

    def test_async_callback(self):
        raised = []
        fail = self.failing(raised)

        async def handle(message):
            await asyncio.sleep(0)
            fail(message)

        worker = Fluid.QueueConsumerWorker(handle)
        self.assert_raised_from_wait(worker, raised)

    def test_subclass_on_message(self):
        raised = []
        fail = self.failing(raised)

        class Picky(Fluid.QueueConsumerWorker):
            async def on_message(self, message):
                fail(message)

        worker = Picky()
        self.assert_raised_from_wait(worker, raised)

    def test_dispatcher_handler(self):
        raised = []
        fail = self.failing(raised)

        async def handle(message):
            fail(message)

        dispatcher = Fluid.AsyncDispatcher.new(None)
        dispatcher.register_handler("order", handle)
        consumer = Fluid.AsyncConsumer(dispatcher)
        self.assert_raised_from_wait(consumer, raised, "order")

    def test_threaded_handler(self):
        raised = []
        worker = Fluid.QueueConsumerWorker.new_threaded(2, self.failing(raised))
        self.assert_raised_from_wait(worker, raised)

    def test_message_failed_tells_the_text(self):
        failed = []

        def handle(message):
            raise Boom(f"cannot handle {message}")

        async def body():
            worker = Fluid.QueueConsumerWorker(handle)
            worker.set_stop_on_failure(False)
            worker.connect("message-failed",
                           lambda w, message, error: failed.append((message, error.message)))
            await worker.startup()
            worker.send("one")
            worker.send("two")
            await wait_until(lambda: len(failed) == 2, "two failures")
            await worker.shutdown()

        with quiet(self):
            run(body)
        self.assertEqual(failed, [("one", "Boom: cannot handle one"),
                                  ("two", "Boom: cannot handle two")])


class TestDirectAwaits(unittest.TestCase):
    """Awaiting a pair whose Python code raised raises that object."""

    def test_dispatch(self):
        raised = Boom("handler")

        async def handle(message):
            raise raised

        async def body():
            dispatcher = Fluid.AsyncDispatcher.new(None)
            dispatcher.register_handler("go", handle)
            for attempt in range(2):
                with self.assertRaises(Boom) as caught:
                    await dispatcher.dispatch("go")
                self.assertIs(caught.exception, raised)

        with quiet(self):
            run(body)

    def test_status(self):
        raised = Boom("no status")

        class Unwell(Fluid.Worker):
            async def run(self):
                while self.is_running():
                    await self.sleep(3600)

            async def status(self):
                raise raised

        async def body():
            worker = Unwell()
            await worker.startup()
            with self.assertRaises(Boom) as caught:
                await worker.status()
            self.assertIs(caught.exception, raised)
            await worker.shutdown()

        with quiet(self):
            run(body)

    def test_on_message(self):
        raised = Boom("direct")

        def handle(message):
            raise raised

        async def body():
            worker = Fluid.QueueConsumerWorker(handle)
            with self.assertRaises(Boom) as caught:
                await worker.on_message("x")
            self.assertIs(caught.exception, raised)

        with quiet(self):
            run(body)


def _threaded_body(worker, cancellable):
    raise Boom("threaded")


def _legacy_handler(worker, message, task):
    # 1.0's form: the frame holds the task, which holds the worker in C.
    raise Boom("legacy")


class TestLifetime(unittest.TestCase):
    """The exception lives as long as its worker, no longer: neither C nor
    a table keeps it, and its frames do not keep the worker."""

    def assert_freed_with_worker(self, make, sync=False):
        kept = {}

        async def body():
            worker = make()
            kept["finalized"] = finalized(worker)
            await worker.startup()
            with self.assertRaises(Boom) as caught:
                await worker.wait_for_shutdown()
            kept["exception"] = weakref.ref(caught.exception)

        with quiet(self):
            if sync:
                worker = make()
                kept["finalized"] = finalized(worker)
                worker.startup_sync()
                with self.assertRaises(Boom) as caught:
                    worker.wait_for_shutdown_sync()
                kept["exception"] = weakref.ref(caught.exception)
                del worker, caught
            else:
                run(body)
            collect()
        self.assertIsNone(kept["exception"](), "the exception outlived its worker")
        self.assertTrue(kept["finalized"], "the worker was never freed")

    def test_run(self):
        self.assert_freed_with_worker(lambda: Raising(Boom("run")))

    def test_sync_run_and_sync_wait(self):
        self.assert_freed_with_worker(lambda: SyncRaising(Boom("run")), sync=True)

    def test_message_handler(self):
        def handle(message):
            raise Boom(message)

        def consumer():
            worker = Fluid.QueueConsumerWorker(handle)
            worker.send("bad")
            return worker

        self.assert_freed_with_worker(consumer)

    def test_legacy_handler_holding_its_task(self):
        def consumer():
            worker = Fluid.QueueConsumerWorker.new_async(_legacy_handler)
            worker.send("bad")
            return worker

        self.assert_freed_with_worker(consumer)
        self.assert_freed_with_worker(consumer, sync=True)

    def test_worker_function(self):
        async def raise_it():
            raise Boom("function")

        self.assert_freed_with_worker(lambda: Fluid.WorkerFunction(raise_it, heartbeat=0.01))

    def test_threaded_function(self):
        self.assert_freed_with_worker(lambda: Fluid.WorkerFunction.new_threaded(0, _threaded_body))

    def test_dispatcher_handler_of_a_consumer(self):
        def consumer():
            def handle(message):
                raise Boom(message)

            dispatcher = Fluid.AsyncDispatcher.new(None)
            dispatcher.register_handler("bad", handle)
            worker = Fluid.AsyncConsumer(dispatcher)
            worker.send("bad")
            return worker

        self.assert_freed_with_worker(consumer)

    def test_failed_messages_of_a_running_worker(self):
        # stop-on-failure unset: C forgets each failure once message-failed
        # was told, and the exception goes with it, while the worker runs.
        kept = []
        told = []

        def handle(message):
            exception = Boom(message)
            kept.append(weakref.ref(exception))
            raise exception

        async def body():
            worker = Fluid.QueueConsumerWorker(handle)
            worker.set_stop_on_failure(False)
            worker.connect("message-failed", lambda w, message, error: told.append(message))
            await worker.startup()
            for i in range(5):
                worker.send(f"bad {i}")
            await wait_until(lambda: len(told) == 5, "five failures told")
            self.assertEqual((await worker.status())["failed"], 5)
            collect()
            self.assertEqual([ref() for ref in kept], [None] * 5)
            self.assertTrue(worker.is_running())
            await worker.shutdown()

        with quiet(self):
            run(body)


if __name__ == "__main__":
    unittest.main()
