# test_keywords.py: every constructor of the overrides takes aio-fluid's
# keywords, name= and stopping_grace_period=, threaded ones included; the
# values are set on the worker once it is made (fluid_worker_set_name(),
# fluid_worker_set_stopping_grace_period()), never through the environment
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import shutil
import threading
import unittest

import gi

import fluidtest  # first: it requires the namespaces' versions

from gi.repository import Fluid, GLib  # noqa: E402

try:
    gi.require_version("FluidRedis", "1.0")
    from gi.repository import FluidRedis  # noqa: E402
except (ImportError, ValueError):
    FluidRedis = None

run = fluidtest.run_coroutine


def setUpModule():
    Fluid.install_asyncio()


def nothing(*args):
    return True


def blocking_nothing(*args):
    return True


def complete_task(*args):
    for arg in args:
        if hasattr(arg, "return_boolean"):
            arg.return_boolean(True)
            return


class Idle(Fluid.Worker):
    async def run(self):
        while self.is_running():
            await self.sleep(3600)


class Inbox(Fluid.QueueConsumer):
    async def run(self):
        while self.is_running():
            await self.sleep(3600)


class Tasked(Fluid.TaskWorker):
    pass


class ByFirst(Fluid.AsyncDispatcher):
    def event_type(self, message):
        return message[0]


def constructors():
    """(what, make(name, grace)) for every constructor of a worker."""
    made = [
        ("Worker subclass", lambda n, g: Idle(name=n, stopping_grace_period=g)),
        ("QueueConsumer subclass", lambda n, g: Inbox(name=n, stopping_grace_period=g)),
        ("TaskWorker subclass", lambda n, g: Tasked(name=n, stopping_grace_period=g)),
        ("QueueConsumerWorker(on_message)",
         lambda n, g: Fluid.QueueConsumerWorker(nothing, name=n, stopping_grace_period=g)),
        ("QueueConsumerWorker()",
         lambda n, g: Fluid.QueueConsumerWorker(name=n, stopping_grace_period=g)),
        ("QueueConsumerWorker.new(func)",
         lambda n, g: Fluid.QueueConsumerWorker.new(nothing, name=n, stopping_grace_period=g)),
        ("QueueConsumerWorker.new(None)",
         lambda n, g: Fluid.QueueConsumerWorker.new(None, name=n, stopping_grace_period=g)),
        ("QueueConsumerWorker.new_async",
         lambda n, g: Fluid.QueueConsumerWorker.new_async(complete_task, name=n,
                                                          stopping_grace_period=g)),
        ("QueueConsumerWorker.new_threaded",
         lambda n, g: Fluid.QueueConsumerWorker.new_threaded(2, blocking_nothing, name=n,
                                                             stopping_grace_period=g)),
        ("QueueConsumerWorker.new_threaded_named",
         lambda n, g: Fluid.QueueConsumerWorker.new_threaded_named(
             name=n, n_threads=2, func=blocking_nothing, stopping_grace_period=g)),
        ("AsyncConsumer(dispatcher)",
         lambda n, g: Fluid.AsyncConsumer(ByFirst(), name=n, stopping_grace_period=g)),
        ("AsyncConsumer.new",
         lambda n, g: Fluid.AsyncConsumer.new(ByFirst(), name=n, stopping_grace_period=g)),
        ("Workers(*workers)",
         lambda n, g: Fluid.Workers(Idle(), name=n, stopping_grace_period=g)),
        ("Workers.new",
         lambda n, g: Fluid.Workers.new(name=n, stopping_grace_period=g)),
        ("WorkerFunction(run_function)",
         lambda n, g: Fluid.WorkerFunction(nothing, heartbeat=1, name=n,
                                           stopping_grace_period=g)),
        ("WorkerFunction()",
         lambda n, g: Fluid.WorkerFunction(heartbeat=1, name=n, stopping_grace_period=g)),
        ("WorkerFunction.new",
         lambda n, g: Fluid.WorkerFunction.new(1, nothing, name=n, stopping_grace_period=g)),
        ("WorkerFunction.new_named",
         lambda n, g: Fluid.WorkerFunction.new_named(n, 1, nothing, stopping_grace_period=g)),
        ("WorkerFunction.new_async",
         lambda n, g: Fluid.WorkerFunction.new_async(name=n, heartbeat=1, func=complete_task,
                                                     stopping_grace_period=g)),
        ("WorkerFunction.new_threaded",
         lambda n, g: Fluid.WorkerFunction.new_threaded(1, blocking_nothing, name=n,
                                                        stopping_grace_period=g)),
        ("WorkerFunction.new_threaded_named",
         lambda n, g: Fluid.WorkerFunction.new_threaded_named(n, 1, blocking_nothing,
                                                              stopping_grace_period=g)),
    ]
    if FluidRedis is not None:
        uri = "unix:///nonexistent/redis.sock"
        made += [
            ("FluidRedis.StreamConsumer(handler)",
             lambda n, g: FluidRedis.StreamConsumer(uri, "s", "g", nothing, name=n,
                                                    stopping_grace_period=g)),
            ("FluidRedis.StreamConsumer()",
             lambda n, g: FluidRedis.StreamConsumer(uri, "s", "g", name=n,
                                                    stopping_grace_period=g)),
            ("FluidRedis.StreamConsumer.new",
             lambda n, g: FluidRedis.StreamConsumer.new(uri, "s", "g", nothing, name=n,
                                                        stopping_grace_period=g)),
            ("FluidRedis.StreamProducer",
             lambda n, g: FluidRedis.StreamProducer(uri, "s", name=n, stopping_grace_period=g)),
            ("FluidRedis.StreamProducer.new",
             lambda n, g: FluidRedis.StreamProducer.new(uri, "s", name=n,
                                                        stopping_grace_period=g)),
        ]
    return made


class TestEveryConstructor(unittest.TestCase):
    def test_name_and_grace_period(self):
        for what, make in constructors():
            with self.subTest(what):
                worker = make("given_name", 4.5)
                self.assertIsInstance(worker, Fluid.Worker)
                self.assertEqual(worker.worker_name, "given_name")
                self.assertEqual(worker.get_stopping_grace_period(), 4.5)
                self.assertEqual(worker.props.stopping_grace_period, 4.5)

    def test_neither_keeps_the_defaults(self):
        for what, make in constructors():
            with self.subTest(what):
                worker = make(None, None)
                self.assertTrue(worker.worker_name)
                self.assertNotEqual(worker.worker_name, "given_name")
                self.assertEqual(worker.get_stopping_grace_period(), 10.0)

    def test_integer_grace_period(self):
        for what, make in constructors():
            with self.subTest(what):
                self.assertEqual(make("n", 0).get_stopping_grace_period(), 0.0)

    def test_bad_grace_periods_are_refused(self):
        for what, make in constructors():
            for bad, error in ((-1, ValueError), (float("nan"), ValueError),
                               (float("inf"), ValueError), ("2", TypeError),
                               (True, TypeError)):
                with self.subTest(what, value=bad):
                    with self.assertRaises(error):
                        make("n", bad)

    def test_the_environment_is_left_alone(self):
        os.environ["FLUID_STOPPING_GRACE_PERIOD"] = "7"
        try:
            before = dict(os.environ)
            for what, make in constructors():
                with self.subTest(what):
                    self.assertEqual(make("n", 0.5).get_stopping_grace_period(), 0.5)
                    # The environment's default, for the others.
                    self.assertEqual(make("n", None).get_stopping_grace_period(), 7.0)
                    self.assertEqual(dict(os.environ), before)
        finally:
            del os.environ["FLUID_STOPPING_GRACE_PERIOD"]


class TestTheKeywordsTakeEffect(unittest.TestCase):
    def test_threads_carry_the_name(self):
        names = []
        done = threading.Event()

        def handle(message):
            with open("/proc/thread-self/comm", encoding="ascii") as comm:
                names.append(comm.read().strip())
            done.set()
            GLib.MainContext.default().wakeup()

        if not os.path.exists("/proc/thread-self/comm"):
            self.skipTest("no /proc/thread-self/comm")
        worker = Fluid.QueueConsumerWorker.new_threaded(1, handle, name="pool")
        worker.startup_sync()
        worker.send("one")
        fluidtest.iterate_until(done.is_set, "the handler")
        worker.shutdown_sync()
        self.assertEqual(names, ["pool"])

    def test_grace_period_of_a_threaded_worker_forces_its_stop(self):
        release = threading.Event()
        entered = threading.Event()

        def stuck(worker, cancellable):
            entered.set()
            GLib.MainContext.default().wakeup()
            release.wait()
            return True

        # 0: forced at once; the default 10 s would outlast the test's guard.
        worker = Fluid.WorkerFunction.new_threaded(0, stuck, name="stuck",
                                                   stopping_grace_period=0)
        worker.startup_sync()
        fluidtest.iterate_until(entered.is_set, "the call")
        worker.shutdown_sync()
        self.assertIs(worker.worker_state, Fluid.WorkerState.FORCE_STOPPED)
        release.set()

    def test_group_status_uses_the_names(self):
        async def body():
            first = Idle(name="first")
            second = Fluid.WorkerFunction(nothing, heartbeat=3600, name="second")
            group = Fluid.Workers(first, second, name="both", stopping_grace_period=1)
            async with group:
                status = await group.status()
            self.assertEqual(group.worker_name, "both")
            self.assertEqual(set(status), {"first", "second"})

        run(body)


@unittest.skipUnless(shutil.which("redis-server") and FluidRedis is not None,
                     "redis-server or FluidRedis is not available")
class TestRedisKeywords(unittest.TestCase):
    def test_a_named_producer_runs(self):
        from redistest import RedisServer

        server = RedisServer().start()
        try:
            async def body():
                producer = FluidRedis.StreamProducer(server.uri, "named", name="writer",
                                                     stopping_grace_period=0.5)
                async with producer:
                    await producer.add({"field": "value"})
                self.assertEqual(producer.worker_name, "writer")

            run(body)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
