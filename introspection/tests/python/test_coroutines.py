# test_coroutines.py: every awaitable of the overrides is a coroutine, which
# asyncio.create_task() and asyncio.TaskGroup take, with its value, its
# exception, its cancellation and forced stops as when awaited directly
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import inspect
import shutil
import unittest

import gi

import fluidtest  # first: it requires the namespaces' versions

from gi.repository import Fluid, GLib, GObject, Gio  # noqa: E402

try:
    gi.require_version("FluidRedis", "1.0")
    from gi.repository import FluidRedis  # noqa: E402
except (ImportError, ValueError):
    FluidRedis = None

from redistest import RedisServer  # noqa: E402

run = fluidtest.run_coroutine
wait_until = fluidtest.wait_until_async


def setUpModule():
    Fluid.install_asyncio()


class Idle(Fluid.Worker):
    """Sleeps until it is asked to stop."""

    async def run(self):
        while self.is_running():
            await self.sleep(3600)


class Deaf(Fluid.Worker):
    """Ignores stops: only a forced one ends it."""

    async def run(self):
        while True:
            await asyncio.sleep(3600)


class Inbox(Fluid.QueueConsumer):
    """Leaves its messages to get_message() callers."""

    async def run(self):
        while self.is_running():
            await self.sleep(3600)


class Failing(Fluid.Worker):
    async def run(self):
        await asyncio.sleep(0)
        raise ArithmeticError("off by one")


async def started(worker):
    await worker.startup()
    return worker


# One case per awaitable: an async function that makes what the awaitable
# needs and returns (the coroutine, a check of its value, a cleanup).

async def case_startup():
    worker = Idle()

    def check(value):
        assert value is True and worker.is_running(), (value, worker.worker_state)

    return worker.startup(), check, worker.shutdown


async def case_shutdown():
    worker = await started(Idle())

    def check(value):
        assert value is True and worker.is_stopped(), (value, worker.worker_state)

    return worker.shutdown(), check, None


async def case_wait_for_shutdown():
    worker = await started(Idle())
    # Stopped from the loop, before or after the wait began: the wait
    # itself never asks for the stop, and ends with it either way.
    asyncio.get_running_loop().call_soon(worker.gracefully_stop)

    def check(value):
        assert value is True and worker.is_stopped(), (value, worker.worker_state)

    return worker.wait_for_shutdown(), check, None


async def case_status():
    worker = await started(Idle())

    def check(value):
        assert value["running"] is True, value

    return worker.status(), check, worker.shutdown


async def case_status_for_type():
    worker = await started(Inbox())
    worker.send("queued")

    def check(value):
        # The worker's part alone: no consumer counters.
        assert value["running"] is True and "queued" not in value, value

    return worker.status_for_type(Fluid.Worker.__gtype__), check, worker.shutdown


async def case_sleep():
    worker = await started(Idle())

    def check(value):
        assert value is True, value

    return worker.sleep(0), check, worker.shutdown


async def case_get_message():
    consumer = await started(Inbox())
    consumer.send({"n": 1})

    def check(value):
        assert value == {"n": 1}, value

    return consumer.get_message(timeout=-1), check, consumer.shutdown


async def case_send_async():
    consumer = Fluid.QueueConsumerWorker(lambda message: None)
    consumer.props.max_queue_size = 1

    def check(value):
        assert value is True and consumer.queue_size() == 1, (value, consumer.queue_size())

    return consumer.send_async("one"), check, None


async def case_on_message():
    seen = []
    consumer = Fluid.QueueConsumerWorker(seen.append)

    def check(value):
        assert value is True and seen == ["direct"], (value, seen)

    return consumer.on_message("direct"), check, None


async def case_dispatch():
    handled = []

    class ByFirst(Fluid.AsyncDispatcher):
        def event_type(self, message):
            return message[0]

    async def handler(message):
        await asyncio.sleep(0)
        handled.append(message)

    dispatcher = ByFirst()
    dispatcher.register_handler("a", handler)
    dispatcher.register_handler("a.again", handler)

    def check(value):
        assert value == 2 and handled == ["ab", "ab"], (value, handled)

    return dispatcher.dispatch("ab"), check, None


async def case_wait():
    worker = await started(Fluid.JobWorker(lambda job: job.input + 1))

    def check(value):
        assert value == 42, value

    return worker.submit(41).wait(), check, worker.shutdown


CASES = {
    "startup": case_startup,
    "shutdown": case_shutdown,
    "wait_for_shutdown": case_wait_for_shutdown,
    "status": case_status,
    "status_for_type": case_status_for_type,
    "sleep": case_sleep,
    "get_message": case_get_message,
    "send_async": case_send_async,
    "on_message": case_on_message,
    "dispatch": case_dispatch,
    "wait": case_wait,
}


async def in_task(coroutine):
    return await asyncio.create_task(coroutine)


async def in_task_group(coroutine):
    async with asyncio.TaskGroup() as group:
        task = group.create_task(coroutine)
    return task.result()


SCHEDULERS = {"create_task": in_task, "TaskGroup": in_task_group, "await": lambda c: c}


class TestEveryAwaitableIsACoroutine(unittest.TestCase):
    def check_case(self, make):
        for scheduler_name, schedule in SCHEDULERS.items():
            with self.subTest(scheduler_name):
                async def body():
                    coroutine, check, cleanup = await make()
                    self.assertTrue(inspect.iscoroutine(coroutine), type(coroutine))
                    check(await schedule(coroutine))
                    if cleanup is not None:
                        await cleanup()

                run(body)

    def test_each_case(self):
        for name, make in CASES.items():
            with self.subTest(name):
                self.check_case(make)

    def test_the_cases_cover_every_async_pair(self):
        # Each _async/_finish pair of the C API has its coroutine method
        # (send_async: without a callback), and a case above.
        pairs = set()
        for name in dir(Fluid):
            cls = getattr(Fluid, name)
            if not isinstance(cls, type) or not issubclass(cls, GObject.Object):
                continue
            for attribute in dir(cls):
                if attribute.endswith("_async") and not attribute.startswith("do_") \
                        and hasattr(cls, attribute[:-len("_async")] + "_finish"):
                    short = attribute[:-len("_async")]
                    if short == "send":
                        continue
                    pairs.add(short)
                    self.assertTrue(inspect.iscoroutinefunction(getattr(cls, short)),
                                    f"{name}.{short}")
        self.assertEqual(pairs | {"send_async"}, set(CASES))

    def test_send_async_with_a_callback_stays_the_c_method(self):
        consumer = Fluid.QueueConsumerWorker(lambda message: None)
        result = fluidtest.call_async(consumer.send_async, "x")
        self.assertTrue(consumer.send_finish(result))


class TestOutcomesThroughTasks(unittest.TestCase):
    def test_exception_of_a_failed_worker(self):
        async def body():
            worker = await started(Failing())
            with self.assertRaises(ArithmeticError):
                await asyncio.create_task(worker.wait_for_shutdown())
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(worker.wait_for_shutdown())
                    group.create_task(worker.shutdown())
            except* ArithmeticError as caught:
                self.assertEqual(len(caught.exceptions), 2)
                self.assertEqual({str(e) for e in caught.exceptions}, {"off by one"})
            else:
                self.fail("the TaskGroup raised nothing")

        run(body)

    def test_second_startup_in_a_task(self):
        async def body():
            worker = await started(Idle())
            with self.assertRaises(Fluid.WorkerStartError):
                await asyncio.create_task(worker.startup())
            await worker.shutdown()

        run(body)

    def test_cancelling_the_task_of_a_wait(self):
        async def body():
            worker = await started(Idle())
            waiting = fluidtest.started_task(worker.wait_for_shutdown())
            await wait_until(lambda: waiting.started, "the wait")
            waiting.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await waiting
            # The worker goes on; only the wait ended.
            self.assertTrue(worker.is_running())
            await worker.shutdown()

        run(body)

    def test_cancelling_a_task_group_withdraws_a_waiting_send(self):
        async def body():
            handled = []
            consumer = Fluid.QueueConsumerWorker(handled.append)
            consumer.props.max_queue_size = 1
            consumer.send("first")
            sending = []

            async def fail_once_the_send_waits():
                await wait_until(lambda: sending, "the send")
                raise LookupError("stop the group")

            async def send():
                sending.append(True)
                await consumer.send_async("withdrawn")

            with self.assertRaises(ExceptionGroup):
                async with asyncio.TaskGroup() as group:
                    group.create_task(send())
                    group.create_task(fail_once_the_send_waits())
            self.assertEqual(consumer.queue_size(), 1)

            await consumer.startup()
            # Senders are let in in order: a send still waiting would come
            # before this one.
            self.assertTrue(await consumer.send_async("last"))
            await wait_until(lambda: len(handled) == 2, "the messages")
            self.assertEqual(handled, ["first", "last"])
            await consumer.shutdown()

        run(body)

    def test_forced_stop_in_tasks(self):
        async def body():
            worker = await started(Deaf(stopping_grace_period=0))
            async with asyncio.TaskGroup() as group:
                ended = group.create_task(worker.wait_for_shutdown())
                stopped = group.create_task(worker.shutdown())
            self.assertTrue(ended.result() and stopped.result())
            self.assertIs(worker.worker_state, Fluid.WorkerState.FORCE_STOPPED)

        run(body)

    def test_sleep_after_a_forced_stop_raises_in_a_task(self):
        async def body():
            worker = await started(Deaf(stopping_grace_period=0))
            await asyncio.create_task(worker.shutdown())
            self.assertIs(worker.worker_state, Fluid.WorkerState.FORCE_STOPPED)
            # The worker's cancellable is cancelled for good.
            with self.assertRaises(GLib.Error) as raised:
                await asyncio.create_task(worker.sleep(1))
            self.assertTrue(raised.exception.matches(Gio.io_error_quark(),
                                                     Gio.IOErrorEnum.CANCELLED))

        run(body)


@unittest.skipUnless(FluidRedis is not None and shutil.which("redis-server"),
                     "FluidRedis or redis-server is not available")
class TestRedisProducerAdd(unittest.TestCase):
    def setUp(self):
        self.server = RedisServer().start()

    def tearDown(self):
        self.server.stop()

    def test_add(self):
        async def body():
            producer = FluidRedis.StreamProducer(self.server.uri, "coroutines")
            await producer.startup()
            ids = []
            for scheduler_name, schedule in SCHEDULERS.items():
                with self.subTest(scheduler_name):
                    adding = producer.add({"by": scheduler_name})
                    self.assertTrue(inspect.iscoroutine(adding))
                    entry_id = await schedule(adding)
                    self.assertRegex(entry_id, r"^\d+-\d+$")
                    ids.append(entry_id)
            self.assertEqual(len(set(ids)), len(SCHEDULERS))
            self.assertTrue(inspect.iscoroutinefunction(FluidRedis.StreamProducer.add))
            await producer.shutdown()
            self.assertTrue(self.server.command("XLEN", "coroutines").startswith(b":3"))

        run(body)


if __name__ == "__main__":
    unittest.main()
