# test_jobs.py: Fluid.JobWorker and Fluid.Job from Python (1.2): a function
# that returns its output, on threads or on the context, async def on the
# context, priorities, await job and what it raises, cancellation, the
# list model and the counters
#
# Every wait is for a condition: functions block on threading.Event gates
# that the test opens, never on a time.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import threading
import unittest

import fluidtest
from fluidtest import TestCase

from gi.repository import Fluid, GLib


class Boom(Exception):
    pass


def double(job):
    if job.input == "boom":
        raise Boom("boom")
    return job.input * 2


class TestJobs(TestCase):
    def setUp(self):
        Fluid.install_asyncio()

    def test_output_on_threads(self):
        async def body():
            worker = Fluid.JobWorker(double, n_threads=2, name="doubler")
            self.assertEqual(worker.get_n_threads(), 2)
            self.assertEqual(worker.get_name(), "doubler")
            async with worker:
                job = worker.submit(21)
                self.assertEqual(await job, 42)
                self.assertEqual(job.get_state(), Fluid.JobState.SUCCEEDED)
                self.assertEqual(job.output, 42)
                # Any Python value goes in and out as itself.
                self.assertEqual(await worker.submit([1, 2]), [1, 2, 1, 2])
                status = await worker.status()
                self.assertEqual(status["processed"], 2)
                self.assertEqual(status["running"], 0)
                self.assertEqual(status["cancelled"], 0)
        fluidtest.run_coroutine(body)

    def test_exception_fails_the_job(self):
        async def body():
            failed = []
            worker = Fluid.JobWorker.new(0, double)
            worker.connect("message-failed", lambda w, message, error: failed.append(message))
            async with worker:
                job = worker.submit("boom")
                with self.assertRaises(Boom) as raised:
                    await job
                # The same exception, every time.
                with self.assertRaises(Boom) as again:
                    await job.wait()
                self.assertIs(raised.exception, again.exception)
                self.assertEqual(job.get_state(), Fluid.JobState.FAILED)
                self.assertEqual(failed, [job])
                self.assertTrue(worker.is_running())
        fluidtest.run_coroutine(body)

    def test_async_def_on_the_context(self):
        gate = asyncio.Event()

        async def slow(job):
            await gate.wait()
            return job.input + 1

        async def body():
            worker = Fluid.JobWorker(slow)
            async with worker:
                first = worker.submit(1)
                second = worker.submit(10)
                await fluidtest.wait_until_async(
                    lambda: first.get_state() == Fluid.JobState.RUNNING)
                self.assertEqual(second.get_state(), Fluid.JobState.QUEUED)
                gate.set()
                self.assertEqual(await first, 2)
                self.assertEqual(await second, 11)
        fluidtest.run_coroutine(body)

    def test_coroutine_refused_on_threads(self):
        async def work(job):
            return 1

        with self.assertRaises(TypeError):
            Fluid.JobWorker(work, n_threads=2)

    def test_priorities(self):
        ran = []

        def record(job):
            ran.append(job.input)

        async def body():
            worker = Fluid.JobWorker(record)
            jobs = [worker.submit(i, priority=priority) for i, priority in
                    enumerate([GLib.PRIORITY_LOW, GLib.PRIORITY_DEFAULT, GLib.PRIORITY_HIGH,
                               GLib.PRIORITY_DEFAULT])]
            async with worker:
                for job in jobs:
                    await job
            self.assertEqual(ran, [2, 1, 3, 0])
        fluidtest.run_coroutine(body)

    def test_cancelled(self):
        started = threading.Event()
        gate = threading.Event()

        def blocking(job):
            started.set()
            gate.wait()
            if job.get_cancellable().is_cancelled():
                raise GLib.Error.new_literal(GLib.quark_from_string("g-io-error-quark"),
                                             "cancelled", 19)
            return "done"

        async def body():
            worker = Fluid.JobWorker(blocking, n_threads=1)
            async with worker:
                running = worker.submit(1)
                queued = worker.submit(2)
                await fluidtest.wait_until_async(started.is_set, "the job to start")
                await fluidtest.wait_until_async(
                    lambda: running.get_state() == Fluid.JobState.RUNNING)
                queued.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await queued
                running.cancel()
                gate.set()
                with self.assertRaises(asyncio.CancelledError):
                    await running
                self.assertEqual(worker.get_cancelled(), 2)
            # Submitted to a stopped worker: cancelled, the worker stopped.
            with self.assertRaises(Fluid.WorkerStoppedError):
                await worker.submit(3)
        fluidtest.run_coroutine(body)

    def test_list_model_and_progress(self):
        gate = threading.Event()

        def report(job):
            job.report_progress(0.5, "half")
            gate.wait()
            return None

        async def body():
            worker = Fluid.JobWorker(report, n_threads=1)
            model = worker.jobs()
            jobs = [worker.submit(i) for i in range(3)]
            self.assertEqual(model.get_n_items(), 0)
            async with worker:
                await fluidtest.wait_until_async(lambda: model.get_n_items() == 3)
                self.assertEqual(list(model), jobs)
                await fluidtest.wait_until_async(lambda: jobs[0].get_progress() == 0.5)
                self.assertEqual(jobs[0].get_progress_text(), "half")
                gate.set()
                for job in jobs:
                    self.assertIsNone(await job)
                self.assertEqual(model.get_n_items(), 0)
        fluidtest.run_coroutine(body)

    def test_try_submit(self):
        async def body():
            worker = Fluid.JobWorker(double)
            worker.props.max_queue_size = 1
            first = worker.try_submit(1)
            self.assertIsNotNone(first)
            self.assertIsNone(worker.try_submit(2))
            async with worker:
                self.assertEqual(await first, 2)
                self.assertEqual(await worker.try_submit(3, priority=GLib.PRIORITY_HIGH), 6)
            with self.assertRaises(Fluid.WorkerStoppedError):
                await worker.try_submit(4)
        fluidtest.run_coroutine(body)

    def test_bound_counters(self):
        seen = []

        async def body():
            worker = Fluid.JobWorker(double)
            worker.connect("notify::processed", lambda w, pspec: seen.append(w.props.processed))
            async with worker:
                for i in range(50):
                    await worker.submit(i)
                await fluidtest.wait_until_async(lambda: seen and seen[-1] == 50)
        fluidtest.run_coroutine(body)


if __name__ == "__main__":
    unittest.main()
