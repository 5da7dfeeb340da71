# test_asyncio_compat.py: code written as for aio-fluid's workers, on
# libfluid-glib
#
# One test per behaviour that aio-fluid's own worker suite holds its
# workers to, written for this project: a callback consumer in a group, a
# worker that never started, a second start and a forced stop, a run that
# raises (an error, or CancelledError itself), and a group whose child
# stops. Imports and names are the ones aio-fluid code uses once its
# import lines point at gi.repository.Fluid. Every wait is for a
# condition; grace periods are 0 where a stop must be forced, so that
# nothing waits for time to pass.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import unittest

import fluidtest  # first: it requires the namespaces' versions

from gi.repository.Fluid import (
    QueueConsumerWorker,
    Worker,
    Workers,
    WorkerStartError,
    WorkerState,
    install_asyncio,
)

run = fluidtest.run_coroutine


def setUpModule():
    install_asyncio()


class Ticker(Worker):
    """Ticks until it is asked to stop, and notices the request at once."""

    ticks = 0

    async def run(self):
        while self.is_running():
            self.ticks += 1
            await self.sleep(60)


class Deaf(Worker):
    """Never looks at its state: only a forced stop ends it."""

    async def run(self):
        while True:
            await asyncio.sleep(60)


class Crashing(Worker):
    """Fails once it has been scheduled once."""

    async def run(self):
        await asyncio.sleep(0)
        raise KeyError("the ledger has no such account")


class GivingUp(Worker):
    """Cancels itself: an error of its own, not a forced stop."""

    async def run(self):
        await asyncio.sleep(0)
        raise asyncio.CancelledError()


class TestCallbackConsumerInAGroup(unittest.TestCase):
    def test_messages_reach_an_async_callback(self):
        async def body():
            received = []
            all_in = asyncio.Event()

            async def on_message(message):
                await asyncio.sleep(0)
                received.append(message)
                if len(received) == 2:
                    all_in.set()

            consumer = QueueConsumerWorker(on_message)
            self.assertEqual(consumer.queue_size(), 0)
            consumer.send({"id": 1})
            consumer.send({"id": 2})
            # Queued before anything runs.
            self.assertEqual(consumer.queue_size(), 2)

            group = Workers(consumer, name="inbox")
            await group.startup()
            self.assertTrue(consumer.is_running())
            self.assertFalse(consumer.is_stopping())
            await all_in.wait()
            self.assertEqual(received, [{"id": 1}, {"id": 2}])
            self.assertEqual(consumer.queue_size(), 0)

            await group.shutdown()
            self.assertTrue(group.is_stopped())
            self.assertTrue(consumer.is_stopped())
            self.assertIs(group.worker_state, WorkerState.STOPPED)

        run(body)


class TestWorkerThatNeverStarted(unittest.TestCase):
    def test_describes_itself(self):
        worker = Ticker(name="idle", stopping_grace_period=3)
        self.assertEqual(worker.worker_name, "idle")
        self.assertEqual(worker.get_stopping_grace_period(), 3)
        self.assertEqual(worker.num_workers, 1)
        self.assertEqual(list(worker.workers()), [worker])
        self.assertIs(worker.worker_state, WorkerState.INIT)
        self.assertEqual(str(worker.worker_state), "init")
        self.assertFalse(worker.has_started())

    def test_waiting_for_its_end_returns_at_once(self):
        async def body():
            worker = Ticker()
            await worker.wait_for_shutdown()
            # Waiting asked for nothing: it is still to be started.
            self.assertIs(worker.worker_state, WorkerState.INIT)
            self.assertEqual(worker.ticks, 0)

        run(body)


class TestStartingTwiceAndForcing(unittest.TestCase):
    def test_second_startup_raises_and_the_deaf_run_is_forced(self):
        async def body():
            worker = Deaf(stopping_grace_period=0)
            await worker.startup()
            with self.assertRaises(WorkerStartError):
                await worker.startup()
            # The refused start changed nothing.
            self.assertTrue(worker.is_running())

            await worker.shutdown()
            self.assertTrue(worker.is_stopped())
            self.assertIs(worker.worker_state, WorkerState.FORCE_STOPPED)
            self.assertEqual(str(worker.worker_state), "force_stopped")

        run(body)


class TestRunThatRaises(unittest.TestCase):
    def test_its_exception_is_what_waiting_raises(self):
        async def body():
            worker = Crashing()
            await worker.startup()
            with self.assertRaises(KeyError) as raised:
                await worker.wait_for_shutdown()
            self.assertEqual(raised.exception.args, ("the ledger has no such account",))
            self.assertTrue(worker.is_stopped())
            # And again: the outcome stays.
            with self.assertRaises(KeyError):
                await worker.wait_for_shutdown()

        run(body)

    def test_cancelled_error_of_its_own_is_raised_too(self):
        async def body():
            worker = GivingUp()
            await worker.startup()
            with self.assertRaises(asyncio.CancelledError):
                await worker.wait_for_shutdown()
            self.assertTrue(worker.is_stopped())
            # A failure, not a forced stop.
            self.assertIs(worker.worker_state, WorkerState.STOPPED)

        run(body)


class TestGroupOfTwo(unittest.TestCase):
    def test_the_stop_of_one_child_ends_the_group(self):
        async def body():
            ticker = Ticker(name="ticker")
            deaf = Deaf(name="deaf", stopping_grace_period=0)
            group = Workers(ticker, deaf, name="pair")
            self.assertEqual(group.num_workers, 2)
            self.assertFalse(group.has_started())

            await group.startup()
            self.assertTrue(group.has_started())
            self.assertTrue(group.is_running())
            status = await group.status()
            self.assertIsInstance(status, dict)
            self.assertTrue(status)
            self.assertEqual(group.workers(), [ticker, deaf])
            self.assertTrue(ticker.is_running() and deaf.is_running())

            ticker.gracefully_stop()
            self.assertTrue(ticker.is_stopping())
            # The other child has not been told yet.
            self.assertTrue(deaf.is_running())

            await group.wait_for_shutdown()
            self.assertTrue(group.is_stopped())
            self.assertIs(ticker.worker_state, WorkerState.STOPPED)
            self.assertIs(deaf.worker_state, WorkerState.FORCE_STOPPED)

        run(body)


if __name__ == "__main__":
    unittest.main()
