# test_asyncio.py: the override with asyncio on the GLib main context, and
# Python exceptions that fail their worker or message instead of being
# printed and ignored (DESIGN.md, "Python: aio-fluid code runs nearly
# unchanged")
#
# Each test runs its own asyncio.run(), as test runners do.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import contextlib
import inspect
import io
import logging
import sys
import unittest

import fluidtest

from gi.repository import Fluid, Gio, GLib



run = fluidtest.run_coroutine
wait_until = fluidtest.wait_until_async


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def nothing_printed(test):
    """Fails @test if anything reaches stderr: PyGObject prints the
    exceptions it swallows there. The fluid logger's records are kept
    aside (unconfigured, logging would print its warnings there)."""
    records = _Records()
    fluid_logger = logging.getLogger("fluid")
    fluid_logger.addHandler(records)
    saved, sys.stderr = sys.stderr, io.StringIO()
    try:
        yield records
    finally:
        printed, sys.stderr = sys.stderr.getvalue(), saved
        fluid_logger.removeHandler(records)
    test.assertEqual(printed, "", f"something was printed and ignored: {printed}")


class Sleeper(Fluid.Worker):
    async def run(self):
        self.slept = []
        while self.is_running():
            self.slept.append(await self.sleep(3600))


class AsyncioSleeper(Fluid.Worker):
    async def run(self):
        await asyncio.sleep(0.01)


class TestInstall(unittest.TestCase):
    def test_install_twice_returns_the_policy(self):
        self.assertIs(Fluid.install_asyncio(), Fluid.install_asyncio())

    def test_every_run_drives_the_default_context(self):
        # gbulb alone gives a second asyncio.run() a loop on a new context,
        # where this timeout never fires.
        for attempt in range(3):
            fired = []

            async def body():
                GLib.timeout_add(1, lambda: fired.append(True) or GLib.SOURCE_REMOVE)
                await wait_until(lambda: fired, f"the timeout of run {attempt}")

            run(body)
            self.assertEqual(fired, [True])

    def test_coroutine_without_asyncio_on_glib_fails_clearly(self):
        asyncio.set_event_loop_policy(None)
        try:
            worker = AsyncioSleeper()
            worker.startup_sync()
            with self.assertRaises(RuntimeError) as caught:
                worker.wait_for_shutdown_sync()
            self.assertIn("install_asyncio", str(caught.exception))
            self.assertEqual(worker.get_exit_code(), 2)
        finally:
            Fluid.install_asyncio()


class TestCoroutines(unittest.TestCase):
    def test_async_run_with_asyncio_sleep(self):
        # 1.0's driver raised TypeError in a callback and hung forever.
        async def body():
            worker = AsyncioSleeper()
            await worker.startup()
            await worker.wait_for_shutdown()
            self.assertEqual(worker.worker_state, Fluid.WorkerState.STOPPED)
            self.assertEqual(worker.get_exit_code(), 0)

        run(body)

    def test_self_sleep_ends_at_once_on_graceful_stop(self):
        async def body():
            worker = Sleeper()
            await worker.startup()
            await wait_until(lambda: hasattr(worker, "slept"))
            await worker.shutdown()
            self.assertEqual(worker.slept, [False])
            self.assertEqual(worker.worker_state, Fluid.WorkerState.STOPPED)

        run(body)

    def test_async_hooks_and_async_with(self):
        class Hooked(Fluid.Worker):
            async def on_startup(self):
                await asyncio.sleep(0)
                self.hooks = ["startup"]

            async def run(self):
                while self.is_running():
                    await self.sleep(3600)

            async def on_shutdown(self):
                await asyncio.sleep(0)
                self.hooks.append("shutdown")

        async def body():
            async with Hooked() as worker:
                self.assertTrue(worker.is_running())
                # As in aio-fluid, startup completes once the worker runs,
                # before on_startup ends.
                await wait_until(lambda: hasattr(worker, "hooks"), "on_startup")
                self.assertEqual(worker.hooks, ["startup"])
            self.assertEqual(worker.hooks, ["startup", "shutdown"])
            self.assertTrue(worker.is_stopped())

        run(body)

    def test_force_stop_cancels_the_coroutine(self):
        class Stubborn(Fluid.Worker):
            async def run(self):
                try:
                    while True:
                        await asyncio.sleep(0.01)
                except asyncio.CancelledError:
                    self.cancelled = True
                    raise

        async def body():
            worker = Stubborn(stopping_grace_period=0.05)
            await worker.startup()
            await worker.shutdown()
            self.assertEqual(worker.worker_state, Fluid.WorkerState.FORCE_STOPPED)
            await wait_until(lambda: getattr(worker, "cancelled", False), "the cancellation")

        run(body)

    def test_status_is_a_dict_and_overridable(self):
        class Counting(Fluid.QueueConsumerWorker):
            async def status(self):
                status = await super().status()
                status["extra"] = 7
                return status

            def on_message(self, message):
                pass

        class Plain(Fluid.Worker):
            def status(self):
                return {"mine": True}

            async def run(self):
                await self.sleep(3600)

        async def body():
            counting, plain = Counting(), Plain()
            group = Fluid.Workers(counting, plain)
            await group.startup()
            status = await group.status()
            self.assertEqual(status[counting.worker_name]["extra"], 7)
            self.assertIn("queue_size", status[counting.worker_name])
            # The group adds how many times each child was replaced.
            self.assertEqual(status[plain.worker_name], {"mine": True, "restarts": 0})
            self.assertEqual((await counting.status())["extra"], 7)
            await group.shutdown()
            self.assertEqual([child.get_exit_code() for child in group], [0, 0])

        run(body)

    def test_get_message_and_queue_size(self):
        class Reader(Fluid.QueueConsumer):
            async def run(self):
                self.got = []
                while not self.is_stopping():
                    message = await self.get_message(timeout=0.01)
                    if message is not None:
                        self.got.append(message)

        async def body():
            reader = Reader()
            reader.send("a")
            reader.send({"b": 1})
            self.assertEqual(reader.queue_size(), 2)
            await reader.startup()
            await wait_until(lambda: len(getattr(reader, "got", [])) == 2, "two messages")
            self.assertEqual(reader.got, ["a", {"b": 1}])
            await reader.shutdown()

        run(body)

    # Pairs whose short name is a synchronous method of the C API, kept:
    # their awaitable is the _async method called without a callback, as
    # PyGObject 3.50 makes of every _async method. send() is 1.0's (and
    # aio-fluid's) send, which never blocks and never refuses.
    SYNC_SHORT_NAMES = {"send"}

    def test_every_async_pair_is_awaitable(self):
        # Each _async/_finish pair of every class has an awaitable written in
        # the override: the short name, else the _async method itself. A
        # callable that comes from the typelib does not count: it is not
        # awaitable.
        missing = []
        for name in dir(Fluid):
            cls = getattr(Fluid, name)
            if not isinstance(cls, type) or name.endswith("Class"):
                continue
            for attribute in dir(cls):
                if attribute.endswith("_async") and not attribute.startswith("do_") \
                        and hasattr(cls, attribute[:-len("_async")] + "_finish"):
                    short = attribute[:-len("_async")]
                    awaitable = attribute if short in self.SYNC_SHORT_NAMES else short
                    if not inspect.isfunction(getattr(cls, awaitable, None)):
                        missing.append(f"{name}.{awaitable}")
        self.assertEqual(missing, [])

    def test_send_async_without_a_callback_is_awaitable(self):
        async def body():
            consumer = Fluid.QueueConsumerWorker(lambda message: None)
            consumer.props.max_queue_size = 1
            self.assertIs(await consumer.send_async("a"), True)
            self.assertFalse(consumer.try_send("b"))
            sending = consumer.send_async("b")
            self.assertTrue(inspect.iscoroutine(sending))
            waiting = fluidtest.started_task(sending)
            await wait_until(lambda: waiting.started, "the send")
            self.assertFalse(waiting.done())
            await consumer.startup()
            self.assertIs(await waiting, True)
            await consumer.shutdown()
            with self.assertRaises(Fluid.WorkerStoppedError):
                await consumer.send_async("c")
            # The 1.0 send() stays synchronous.
            self.assertIsNone(consumer.send("d"))

        run(body)


class TestExceptions(unittest.TestCase):
    def assert_failed_with(self, worker, exception_type, text=None):
        self.assertEqual(worker.get_exit_code(), 2)
        self.assertEqual(worker.worker_state, Fluid.WorkerState.STOPPED)
        if text is not None:
            self.assertEqual(worker.get_stop_reason(), f"{exception_type.__name__}: {text}")

    def test_run_raising_is_raised_every_time(self):
        class Bad(Fluid.Worker):
            async def run(self):
                await asyncio.sleep(0)
                raise LookupError("nothing here")

        async def body():
            worker = Bad()
            await worker.startup()
            for attempt in range(3):
                with self.assertRaises(LookupError) as caught:
                    await worker.wait_for_shutdown()
                self.assertEqual(str(caught.exception), "nothing here")
            first = caught.exception
            with self.assertRaises(LookupError) as caught:
                await worker.shutdown()
            self.assertIs(caught.exception, first)
            self.assert_failed_with(worker, LookupError, "nothing here")

        with nothing_printed(self):
            run(body)

    def test_sync_wait_raises_the_original_every_time(self):
        class Bad(Fluid.Worker):
            def run(self):
                raise ValueError("plain")

        worker = Bad()
        worker.startup_sync()
        for attempt in range(2):
            with self.assertRaises(ValueError):
                worker.wait_for_shutdown_sync()
        self.assert_failed_with(worker, ValueError, "plain")

    def test_generators_raising_base_exceptions(self):
        class Cancelling(Fluid.Worker):
            def run(self):
                yield 0
                raise asyncio.CancelledError()

        class Exiting(Fluid.Worker):
            def run(self):
                yield 0
                raise SystemExit(3)

        for cls, exception_type in ((Cancelling, asyncio.CancelledError), (Exiting, SystemExit)):
            with self.subTest(cls.__name__), nothing_printed(self):
                worker = cls()
                worker.startup_sync()
                with self.assertRaises(exception_type):
                    worker.wait_for_shutdown_sync()
                self.assert_failed_with(worker, exception_type)

    def test_values_the_driver_cannot_use(self):
        class Soon(Fluid.Worker):
            def run(self):
                return "soon"

        class YieldsText(Fluid.Worker):
            def run(self):
                yield "later"

        for cls in (Soon, YieldsText):
            with self.subTest(cls.__name__), nothing_printed(self):
                worker = cls()
                worker.startup_sync()
                with self.assertRaises(TypeError):
                    worker.wait_for_shutdown_sync()
                self.assert_failed_with(worker, TypeError)

    def test_worker_function_raising(self):
        def sync_function():
            raise ValueError("sync")

        async def async_function():
            await asyncio.sleep(0)
            raise KeyError("async")

        async def body():
            for function, exception_type in ((sync_function, ValueError),
                                             (async_function, KeyError)):
                worker = Fluid.WorkerFunction(function, heartbeat=0.01)
                self.assertIsInstance(worker, Fluid.WorkerFunction)
                await worker.startup()
                with self.assertRaises(exception_type):
                    await worker.wait_for_shutdown()
                self.assertEqual(worker.get_exit_code(), 2)

        with nothing_printed(self):
            run(body)

    def test_worker_function_raising_in_a_group_stops_it(self):
        calls = []

        def flaky(worker):
            calls.append(worker)
            raise RuntimeError("flaky")

        async def body():
            flaky_worker = Fluid.WorkerFunction(flaky, heartbeat=0.01, name="flaky")
            group = Fluid.Workers(flaky_worker, Sleeper())
            await group.startup()
            # As aio-fluid's Workers: the group stops when a child stops,
            # and ends normally, naming the child and its reason.
            await group.wait_for_shutdown()
            self.assertEqual(group.get_stop_reason(), "child flaky stopped: RuntimeError: flaky")
            self.assertTrue(all(child.is_stopped() for child in group))
            with self.assertRaises(RuntimeError):
                await flaky_worker.wait_for_shutdown()
            self.assertEqual(flaky_worker.get_exit_code(), 2)
            self.assertEqual(len(calls), 1)

        with nothing_printed(self):
            run(body)

    def test_legacy_worker_function_raising(self):
        worker = Fluid.WorkerFunction.new(0.01, lambda w: 1 / 0)
        with nothing_printed(self):
            worker.startup_sync()
            with self.assertRaises(ZeroDivisionError):
                worker.wait_for_shutdown_sync()

    def test_message_callback_raising_fails_the_message(self):
        def handle(message):
            if message == "bad":
                raise ValueError(message)
            handled.append(message)

        async def body(stop_on_failure):
            worker = Fluid.QueueConsumerWorker(handle)
            worker.set_stop_on_failure(stop_on_failure)
            failed = []
            worker.connect("message-failed", lambda w, message, error: failed.append(message))
            for message in ("one", "bad", "two"):
                worker.send(message)
            await worker.startup()
            if stop_on_failure:
                with self.assertRaises(ValueError):
                    await worker.wait_for_shutdown()
                self.assertEqual(worker.get_exit_code(), 2)
            else:
                await wait_until(lambda: len(handled) == 2, "two messages")
                status = await worker.status()
                self.assertEqual((status["processed"], status["failed"]), (2, 1))
                await worker.shutdown()
            self.assertEqual(failed, ["bad"])

        for stop_on_failure in (True, False):
            handled = []
            with self.subTest(stop_on_failure=stop_on_failure), nothing_printed(self):
                run(body, stop_on_failure)

    def test_async_message_callback_raising(self):
        async def handle(message):
            await asyncio.sleep(0)
            raise OSError("disk")

        async def body():
            worker = Fluid.QueueConsumerWorker(handle, name="writer")
            self.assertEqual(worker.worker_name, "writer")
            worker.send("x")
            await worker.startup()
            with self.assertRaises(OSError):
                await worker.wait_for_shutdown()

        with nothing_printed(self):
            run(body)

    def test_legacy_message_callback_raising(self):
        worker = Fluid.QueueConsumerWorker.new(lambda w, message: int(message))
        worker.send("not a number")
        with nothing_printed(self):
            worker.startup_sync()
            with self.assertRaises(ValueError):
                worker.wait_for_shutdown_sync()

    def test_subclass_plain_on_message(self):
        class Collector(Fluid.QueueConsumerWorker):
            def on_message(self, message):
                if message == "stop":
                    raise RuntimeError("told to")
                self.got = getattr(self, "got", []) + [message]

        async def body():
            worker = Collector()
            worker.send(1)
            worker.send("stop")
            await worker.startup()
            with self.assertRaises(RuntimeError):
                await worker.wait_for_shutdown()
            self.assertEqual(worker.got, [1])

        with nothing_printed(self):
            run(body)

    def test_sync_dispatcher_handler_raising(self):
        dispatcher = Fluid.Dispatcher.new(lambda d, message: "*")
        seen = []
        dispatcher.register_handler("*", lambda message: seen.append(message))
        dispatcher.register_handler("*.bad", lambda message: 1 / 0)
        with nothing_printed(self):
            with self.assertRaises(ZeroDivisionError):
                dispatcher.dispatch("x")
        # Every handler ran, and the dispatcher still works.
        self.assertEqual(seen, ["x"])
        dispatcher.unregister_handler("*.bad")
        self.assertEqual(dispatcher.dispatch("y"), 1)

    def test_async_dispatcher_handler_raising_does_not_stick(self):
        class Orders(Fluid.AsyncDispatcher):
            def event_type(self, message):
                return message["type"]

        async def body():
            dispatcher = Orders()
            done = []

            async def ok(message):
                await asyncio.sleep(0)
                done.append(message["id"])

            def broken(message):
                raise ValueError(f"order {message['id']}")

            def legacy(message, task):
                # 1.0's handler, which completes its task: it raises first.
                raise KeyError(message["id"])

            dispatcher.register_handler("ok", ok)
            dispatcher.register_handler("broken", broken)
            dispatcher.register_handler("legacy", legacy)
            with self.assertRaises(KeyError):
                await dispatcher.dispatch({"type": "legacy", "id": -2})
            self.assertEqual(await dispatcher.dispatch({"type": "ok", "id": 0}), 1)
            with self.assertRaises(ValueError):
                await dispatcher.dispatch({"type": "broken", "id": -1})

            consumer = Fluid.AsyncConsumer(dispatcher)
            consumer.set_stop_on_failure(False)
            for i, kind in enumerate(["ok", "broken", "ok"]):
                consumer.send({"type": kind, "id": i + 1})
            await consumer.startup()
            await wait_until(lambda: consumer.queue_size() == 0 and len(done) == 3, "the queue")
            status = await consumer.status()
            self.assertEqual((status["processed"], status["failed"]), (2, 1))
            await consumer.shutdown()

        with nothing_printed(self):
            run(body)


class TestAioFluidNames(unittest.TestCase):
    def test_constructors_and_names(self):
        a, b = Sleeper(), Sleeper(name="b")
        group = Fluid.Workers(a, b, name="pair", stopping_grace_period=3)
        self.assertEqual(group.worker_name, "pair")
        self.assertEqual(group.get_stopping_grace_period(), 3)
        self.assertEqual(group.workers(), [a, b])
        self.assertEqual(a.workers(), [a])
        self.assertEqual(group.num_workers, 2)
        group.add_workers(Sleeper(name="c"), Sleeper(name="d"))
        self.assertEqual([w.worker_name for w in group][2:], ["c", "d"])
        self.assertEqual(str(a.worker_state), "init")
        self.assertEqual(f"{a.worker_state}", "init")
        self.assertEqual(str(Fluid.WorkerState.FORCE_STOPPED), "force_stopped")
        self.assertIs(a.worker_state, Fluid.WorkerState.INIT)
        self.assertEqual(Fluid.Event.from_string("order.tag").tag, "tag")

        dispatcher = Fluid.AsyncDispatcher.new(lambda d, message: "*")
        consumer = Fluid.AsyncConsumer(dispatcher, name="consumer")
        self.assertIs(consumer.get_dispatcher(), dispatcher)
        self.assertEqual(consumer.worker_name, "consumer")
        self.assertEqual(consumer.queue_size(), 0)

    def test_second_startup_raises_worker_start_error(self):
        async def body():
            worker = Sleeper()
            await worker.startup()
            with self.assertRaises(Fluid.WorkerStartError):
                await worker.startup()
            with self.assertRaises(GLib.Error):  # still a GLib.Error
                await worker.startup()
            self.assertTrue(worker.is_running())
            await worker.shutdown()

        run(body)

    def test_gracefully_stop_override_runs_when_the_group_stops(self):
        class Polite(Sleeper):
            def gracefully_stop(self):
                self.asked = getattr(self, "asked", 0) + 1
                super().gracefully_stop()

        async def body():
            polite = Polite()
            group = Fluid.Workers(polite)
            await group.startup()
            await group.shutdown()
            self.assertEqual(polite.asked, 1)
            self.assertTrue(polite.is_stopped())

        run(body)

    def test_after_shutdown_override(self):
        class Noting(Sleeper):
            def after_shutdown(self, reason, exit_code):
                self.noted = (reason, exit_code)

        async def body():
            worker = Noting()
            await worker.startup()
            await worker.shutdown()
            self.assertEqual(worker.noted, ("normal shutdown", 0))

        run(body)


class TestLogging(unittest.TestCase):
    def test_lifecycle_goes_to_the_fluid_logger(self):
        async def body():
            worker = Sleeper(name="logged")
            await worker.startup()
            await worker.shutdown()

        with self.assertLogs("fluid", logging.INFO) as logs:
            run(body)
        self.assertIn("INFO:fluid:logged started running", logs.output)
        self.assertIn("INFO:fluid:logged stopped running: normal shutdown", logs.output)

    def test_forced_shutdown_is_a_warning(self):
        class Stubborn(Fluid.Worker):
            async def run(self):
                while True:
                    await asyncio.sleep(0.01)

        async def body():
            worker = Stubborn(name="stubborn", stopping_grace_period=0.05)
            await worker.startup()
            await worker.shutdown()

        with self.assertLogs("fluid", logging.WARNING) as logs:
            run(body)
        self.assertIn("WARNING:fluid:stubborn forced shutdown", logs.output)

    # Each stop logged once, whether a run's end caused it (logged by the
    # binding after the run's end) or not (told by stopped_elsewhere).

    def stops_logged(self, body, level=logging.INFO):
        with self.assertLogs("fluid", level) as logs:
            run(body)
        return [line for line in logs.output if "stopped running" in line]

    def test_a_failed_run_logs_its_stop_once(self):
        class Failing(Fluid.Worker):
            async def run(self):
                raise RuntimeError("out of cheese")

        async def body():
            worker = Failing(name="failing")
            await worker.startup()
            with self.assertRaises(RuntimeError):
                await worker.wait_for_shutdown()

        self.assertEqual(self.stops_logged(body),
                         ["WARNING:fluid:failing stopped running: RuntimeError: out of cheese"])

    def test_a_forced_stop_logs_once(self):
        class Stubborn(Fluid.Worker):
            async def run(self):
                while True:
                    await asyncio.sleep(0.01)

        async def body():
            worker = Stubborn(name="stubborn", stopping_grace_period=0)
            await worker.startup()
            await worker.shutdown()
            # The run, cancelled, ends late: that end logs nothing.
            await asyncio.sleep(0.05)

        self.assertEqual(self.stops_logged(body),
                         ["WARNING:fluid:stubborn stopped running: forced shutdown"])

    def test_a_stop_after_on_shutdown_logs_once(self):
        class Tidy(Sleeper):
            async def on_shutdown(self):
                await asyncio.sleep(0.01)

        async def body():
            worker = Tidy(name="tidy")
            await worker.startup()
            await worker.shutdown()

        self.assertEqual(self.stops_logged(body),
                         ["INFO:fluid:tidy stopped running: normal shutdown"])

    def test_a_consumer_logs_its_stop_once(self):
        class Consumer(Fluid.QueueConsumerWorker):
            async def on_message(self, message):
                pass

        async def body():
            worker = Consumer(name="consumer")
            await worker.startup()
            worker.send(1)
            await worker.shutdown()

        self.assertEqual(self.stops_logged(body),
                         ["INFO:fluid:consumer stopped running: normal shutdown"])

    def test_a_normal_stop_is_not_a_warning(self):
        async def body():
            worker = Sleeper(name="quiet")
            await worker.startup()
            await worker.shutdown()
            logging.getLogger("fluid").warning("one line, for assertLogs")

        self.assertEqual(self.stops_logged(body, logging.WARNING), [])

    def test_after_shutdown_runs_once_with_the_stop_logged(self):
        class Noting(Sleeper):
            def after_shutdown(self, reason, exit_code):
                self.noted = getattr(self, "noted", 0) + 1

        async def body():
            worker = Noting(name="noting")
            await worker.startup()
            await worker.shutdown()
            self.assertEqual(worker.noted, 1)

        self.assertEqual(self.stops_logged(body),
                         ["INFO:fluid:noting stopped running: normal shutdown"])

    def test_with_block_warns_of_discarded_messages(self):
        worker = Fluid.QueueConsumerWorker(lambda message: None, name="busy")
        with self.assertLogs("fluid", logging.WARNING) as logs:
            with worker:
                for i in range(5):
                    worker.send(i)
        self.assertEqual(worker.get_discarded(), 5)
        self.assertTrue(any("busy discarded 5 queued messages" in line for line in logs.output),
                        logs.output)

    def test_async_with_block_warns_too(self):
        async def body():
            async with Fluid.QueueConsumerWorker(lambda message: None, name="hasty") as worker:
                worker.send(1)

        with self.assertLogs("fluid", logging.WARNING) as logs:
            run(body)
        self.assertTrue(any("hasty discarded 1 queued message " in line for line in logs.output),
                        logs.output)


if __name__ == "__main__":
    Fluid.install_asyncio()
    unittest.main()
