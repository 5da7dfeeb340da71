# test_supervisor.py: restart strategies from Python: a factory written in
# Python, replacements seen through the list model and child-restarted,
# the intensity's RESTART_LIMIT, and a factory that raises
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import logging
import unittest

import fluidtest

from gi.repository import Fluid, GLib


class Flaky(Fluid.Worker):
    async def run(self):
        while self.is_running():
            await self.sleep(3600)


def crash(worker):
    worker.fail(GLib.Error.new_literal(Fluid.worker_error_quark(), "crashed",
                                       Fluid.WorkerError.FAILED))


wait_until = fluidtest.wait_until_async
run = fluidtest.run_coroutine


class TestSupervisor(unittest.TestCase):
    def test_python_factory_replaces_a_crashed_child(self):
        made = []

        def factory(group):
            made.append(Flaky(name="flaky"))
            return made[-1]

        async def body():
            group = Fluid.Workers(name="service")
            group.props.restart_strategy = Fluid.RestartStrategy.ONE_FOR_ONE
            group.add_child(Fluid.Restart.PERMANENT, factory)
            changes, restarted = [], []
            group.connect("items-changed", lambda g, *change: changes.append(change))
            group.connect("child-restarted", lambda g, old, new: restarted.append((old, new)))
            await group.startup()
            await wait_until(lambda: made[0].is_running())
            crash(made[0])
            await wait_until(lambda: restarted)
            self.assertEqual(restarted, [(made[0], made[1])])
            self.assertEqual(changes, [(0, 1, 1)])
            self.assertIs(group.workers()[0], made[1])
            status = await group.status()
            self.assertEqual(status["flaky"]["restarts"], 1)
            await group.shutdown()

        run(body)

    def test_restart_limit(self):
        async def body():
            group = Fluid.Workers(restart_strategy=Fluid.RestartStrategy.ONE_FOR_ONE,
                                  max_restarts=1)
            group.add_child(Fluid.Restart.TRANSIENT, lambda group: Flaky())
            await group.startup()
            for _ in range(2):
                child = group.workers()[0]
                await wait_until(child.is_running)
                crash(child)
                await wait_until(lambda: group.workers()[0] is not child or not group.is_running())
            with self.assertRaises(GLib.Error) as caught:
                await group.wait_for_shutdown()
            self.assertTrue(caught.exception.matches(Fluid.worker_error_quark(),
                                                     Fluid.WorkerError.RESTART_LIMIT))
            self.assertEqual(group.get_exit_code(), 2)

        run(body)

    def test_factory_that_raises_is_a_failed_restart(self):
        calls = []

        def factory(group):
            calls.append(group)
            if len(calls) > 1:
                raise RuntimeError("cannot make it")
            return Flaky()

        async def body():
            group = Fluid.Workers(restart_strategy=Fluid.RestartStrategy.ONE_FOR_ONE,
                                  max_restarts=2)
            group.add_child(Fluid.Restart.PERMANENT, factory)
            await group.startup()
            child = group.workers()[0]
            await wait_until(child.is_running)
            crash(child)
            with self.assertRaises(GLib.Error):
                await group.wait_for_shutdown()

        with self.assertLogs("fluid", logging.ERROR) as logs:
            run(body)
        self.assertTrue(any("RuntimeError: cannot make it" in line for line in logs.output))
        self.assertEqual(len(calls), 3)

    def test_watchdog(self):
        class Stuck(Fluid.Worker):
            async def run(self):
                await asyncio.sleep(3600)   # never fed

        async def body():
            worker = Stuck(watchdog=0.05, stopping_grace_period=0.05)
            await worker.startup()
            await worker.wait_for_shutdown()
            self.assertEqual(worker.get_stop_reason(), "watchdog timeout")

        run(body)


if __name__ == "__main__":
    Fluid.install_asyncio()
    unittest.main()
