# test_leaks.py: memory stays flat in a long-running Python program: per
# message through an async and a plain handler, per call of an async
# WorkerFunction, per restart of a Python worker that failed or stopped
# normally; replaced workers are freed
#
# Growth is measured over rounds of many iterations, never over time: a
# round is run once to warm up (caches, free lists, the allocator's
# arenas), then twice more, and the resident set and the C heap in use
# (glibc's mallinfo2(), which sees what the process's allocator holds
# without the page rounding of the resident set) are read after each. A
# leak grows both rounds; the smaller growth of the two, divided by the
# round's iterations, must stay under the bound: 20 B a message or call,
# 100 B a restart (the leaks this guards against were 125-420 B a message
# or call and 350 B-6 kB a restart). Every wait is for a condition.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
import unittest

import fluidtest

from gi.repository import Fluid

run = fluidtest.run_coroutine
wait_until = fluidtest.wait_until_async

MESSAGES = 20_000
CALLS = 20_000
RESTARTS = 1_000
BYTES_PER_MESSAGE = 20
BYTES_PER_RESTART = 100


def setUpModule():
    Fluid.install_asyncio()
    # The restarts log a line each.
    logging.getLogger("fluid").setLevel(logging.CRITICAL)


def tearDownModule():
    logging.getLogger("fluid").setLevel(logging.NOTSET)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                 "fsmblks", "uordblks", "fordblks", "keepcost")]


_libc = ctypes.CDLL(ctypes.util.find_library("c"))
_mallinfo2 = getattr(_libc, "mallinfo2", None)
if _mallinfo2 is not None:
    _mallinfo2.restype = _Mallinfo2


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def heap_bytes():
    """The bytes of the C heap in use (with the blocks mmap()ed apart), or
    0 where glibc's mallinfo2() is missing."""
    if _mallinfo2 is None:
        return 0
    info = _mallinfo2()
    return info.uordblks + info.hblkhd


def growth_per_iteration(round_of, iterations):
    """{'resident': B, 'heap': B}: the smaller growth, over two rounds
    after a first, of each, per iteration; round_of(iterations) is a
    coroutine function run on a loop of its own each round."""
    run(round_of, iterations)
    samples = []
    for _ in range(3):
        gc.collect()
        samples.append((resident_bytes(), heap_bytes()))
        if len(samples) < 3:
            run(round_of, iterations)
    return {
        "resident": min(samples[1][0] - samples[0][0], samples[2][0] - samples[1][0])
        / iterations,
        "heap": min(samples[1][1] - samples[0][1], samples[2][1] - samples[1][1]) / iterations,
    }


# The rounds

async def messages_round(count, is_async):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    handled = 0

    def count_one():
        nonlocal handled
        handled += 1
        if handled == count:
            done.set_result(None)

    if is_async:
        async def on_message(message):
            await asyncio.sleep(0)
            count_one()
    else:
        def on_message(message):
            count_one()

    worker = Fluid.QueueConsumerWorker(on_message)
    await worker.startup()
    for i in range(count):
        worker.send(i)
        if i % 1000 == 999:
            # Lets the worker take them as they come, as a long run does.
            await asyncio.sleep(0)
    await done
    await worker.shutdown()


async def async_messages_round(count):
    await messages_round(count, True)


async def plain_messages_round(count):
    await messages_round(count, False)


async def worker_function_round(count):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    calls = 0

    async def call():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == count and not done.done():
            done.set_result(None)

    worker = Fluid.WorkerFunction(call)
    await worker.startup()
    await done
    await worker.shutdown()


class Failing(Fluid.Worker):
    async def run(self):
        await asyncio.sleep(0)
        raise RuntimeError("failed on purpose")


class Quitting(Fluid.Worker):
    async def run(self):
        await asyncio.sleep(0)


async def restarts(count, worker_class, made=None):
    """A supervised group whose one child, of @worker_class, is replaced
    @count times; @made, if given, gets the GObject weak reference of each
    child, which notifies when the GObject is finalized (a Python weak
    reference would follow only the wrapper, which PyGObject may make
    anew)."""
    replaced = 0
    finalized = made.finalized if made is not None else None

    def factory(group):
        nonlocal replaced
        replaced += 1
        worker = worker_class()
        if made is not None:
            made.append(worker.weak_ref(finalized.append, 1))
        return worker

    group = Fluid.Workers(restart_strategy=Fluid.RestartStrategy.ONE_FOR_ONE,
                          max_restarts=2 ** 31 - 1)
    group.add_child(Fluid.Restart.PERMANENT, factory)
    await group.startup()
    await wait_until(lambda: replaced >= count, f"{count} restarts")
    await group.shutdown()


async def failed_restarts_round(count):
    await restarts(count, Failing)


async def stopped_restarts_round(count):
    await restarts(count, Quitting)


class TestFlat(unittest.TestCase):
    def assert_flat(self, growth, bound, what):
        for measure, value in growth.items():
            self.assertLess(value, bound, f"{measure}: {value:.1f} B per {what}")

    def test_async_handler(self):
        self.assert_flat(growth_per_iteration(async_messages_round, MESSAGES),
                         BYTES_PER_MESSAGE, "message")

    def test_plain_handler(self):
        self.assert_flat(growth_per_iteration(plain_messages_round, MESSAGES),
                         BYTES_PER_MESSAGE, "message")

    def test_async_worker_function(self):
        self.assert_flat(growth_per_iteration(worker_function_round, CALLS),
                         BYTES_PER_MESSAGE, "call")

    def test_restart_of_a_failed_worker(self):
        self.assert_flat(growth_per_iteration(failed_restarts_round, RESTARTS),
                         BYTES_PER_RESTART, "restart")

    def test_restart_of_a_stopped_worker(self):
        self.assert_flat(growth_per_iteration(stopped_restarts_round, RESTARTS),
                         BYTES_PER_RESTART, "restart")


class Made(list):
    """The GObject weak references of the children made, and a 1 for each
    finalized."""

    def __init__(self):
        super().__init__()
        self.finalized = []


class TestReplacedWorkersFreed(unittest.TestCase):
    """Each replaced child is freed once its group is: the traceback of a
    failure, the run's awaiting and the worker's C side close no cycle that
    the collector cannot break."""

    def check(self, worker_class):
        made = Made()
        run(restarts, 20, worker_class, made)
        gc.collect()
        self.assertGreaterEqual(len(made), 20)
        self.assertEqual(len(made.finalized), len(made))

    def test_failed(self):
        self.check(Failing)

    def test_stopped_normally(self):
        self.check(Quitting)


if __name__ == "__main__":
    unittest.main()
