# test_redis_faults.py: what real servers do, through Python handlers: a
# restart that loads its data (LOADING), a long script (BUSY), a stream
# key that becomes a string; the producer's bytes; memory over 200 000
# entries
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import gc
import os
import shutil
import threading
import unittest

import gi

import fluidtest
from fluidtest import iterate_until

gi.require_version("FluidRedis", "1.0")
from gi.repository import Fluid, FluidRedis, GLib  # noqa: E402

from redistest import RedisServer  # noqa: E402


def status(worker):
    return fluidtest.finish(worker, "status").unpack()


def last_error_has(worker, text):
    return text in status(worker).get("last_error", "")


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class TestRedisFaults(unittest.TestCase):
    def start(self, *options):
        self.server = RedisServer(*options).start()
        self.addCleanup(self.server.stop)
        self.seen = []
        self.consumer = FluidRedis.StreamConsumer(self.server.uri, "jobs", "workers", self.handle,
                                                  claim_idle=0.1, command_timeout=1.0)
        self.producer = FluidRedis.StreamProducer(self.server.uri, "jobs", command_timeout=1.0)
        fluidtest.finish(self.consumer, "startup")
        fluidtest.finish(self.producer, "startup")
        iterate_until(self.consumer.is_connected, "connected")
        iterate_until(lambda: self.server.command("EXISTS", "jobs").startswith(b":1"), "the group")

    async def handle(self, entry):
        await asyncio.sleep(0)
        self.seen.append(entry.get_field("data").get_data())

    def send(self, prefix, n):
        for i in range(n):
            self.assertTrue(self.producer.send({"data": f"{prefix}-{i}"}))

    def stop(self):
        for worker in (self.producer, self.consumer):
            fluidtest.finish(worker, "shutdown")
            self.assertEqual(worker.get_exit_code(), 0)

    def test_loading(self):
        """A restart that loads its data answers LOADING for a second: the
        workers wait, running, and nothing sent meanwhile is lost."""
        Fluid.install_asyncio()
        self.start("--appendonly", "no", "--key-load-delay", "50",
                   "--loading-process-events-interval-bytes", "1024")
        for i in range(0, 20000, 1000):
            self.server.command("MSET", *[f"key-{j}" if k % 2 == 0 else "v"
                                          for j in range(i, i + 1000) for k in range(2)])
        self.send("before", 1)
        iterate_until(lambda: len(self.seen) == 1, "handled")
        self.server.command("SAVE")
        self.server.terminate()
        iterate_until(lambda: not self.producer.is_connected(), "disconnected")
        self.send("during", 100)
        self.server.start(loading=True)
        iterate_until(lambda: last_error_has(self.consumer, "LOADING")
                      and last_error_has(self.producer, "LOADING"), "LOADING")
        self.assertTrue(self.consumer.is_running())
        iterate_until(lambda: len(set(self.seen)) == 101, "all handled")
        self.assertEqual(status(self.producer)["dropped"], 0)
        self.stop()

    def test_busy(self):
        """A script past busy-reply-threshold: BUSY, waited for."""
        Fluid.install_asyncio()
        self.start("--busy-reply-threshold", "100")
        script = threading.Thread(target=self.server.command,
                                  args=("EVAL", "while true do end", "0"))
        script.start()
        iterate_until(lambda: last_error_has(self.consumer, "BUSY"), "BUSY")
        self.send("busy", 50)
        iterate_until(lambda: last_error_has(self.producer, "BUSY"), "BUSY for the producer")
        self.assertTrue(self.consumer.is_running())
        self.assertTrue(self.server.command("SCRIPT", "KILL").startswith(b"+OK"))
        script.join()
        iterate_until(lambda: len(set(self.seen)) == 50, "all handled")
        self.assertEqual(status(self.producer)["dropped"], 0)
        self.stop()

    def test_stream_becomes_string(self):
        """SET on the stream's key ends the consumer with WRONGTYPE."""
        self.start()
        self.send("stream", 5)
        iterate_until(lambda: len(self.seen) == 5, "handled")
        self.server.command("SET", "jobs", "not-a-stream")
        with self.assertRaises(GLib.Error) as raised:
            fluidtest.finish(self.consumer, "wait_for_shutdown")
        self.assertTrue(raised.exception.matches(FluidRedis.error_quark(), FluidRedis.Error.SERVER))
        self.assertIn("WRONGTYPE", raised.exception.message)
        self.assertEqual(self.consumer.get_exit_code(), 2)
        fluidtest.finish(self.producer, "shutdown")

    def test_bytes(self):
        """Bytes are sent as bytes, text as UTF-8, numbers as text; what
        cannot be sent is refused."""
        Fluid.install_asyncio()
        self.start()
        self.assertTrue(self.producer.send({"data": b"\xff\x00z"}))
        self.assertTrue(self.producer.send({"data": bytearray(b"\x01\x02")}))
        self.assertTrue(self.producer.send({"data": 5}))
        self.assertTrue(self.producer.send({"data": "zoë\0"}))

        async def add():
            return await self.producer.add({"data": memoryview(b"\xfe")})

        entry_id = asyncio.run(asyncio.wait_for(add(), fluidtest.GUARD_SECONDS))
        self.assertIn("-", entry_id)
        iterate_until(lambda: len(self.seen) == 5, "handled")
        self.assertEqual(self.seen, [b"\xff\x00z", b"\x01\x02", b"5", "zoë\0".encode(), b"\xfe"])
        for bad in (None, True, {"a": 1}, [b"x"], 1j):
            with self.assertRaises(TypeError):
                self.producer.send({"data": bad})
        with self.assertRaises(TypeError):
            self.producer.send({b"data": "x"})
        with self.assertRaises(ValueError):
            self.producer.send({})
        self.stop()


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class TestRedisMemory(unittest.TestCase):
    def test_flat(self):
        """200 000 entries through a Python handler: the resident set grows
        less than 5 MB after the first 40 000."""
        if os.environ.get("FLUID_TEST_NO_RSS"):
            self.skipTest("FLUID_TEST_NO_RSS is set")
        server = RedisServer("--appendonly", "no").start()
        self.addCleanup(server.stop)
        handled = [0]

        def handle(entry):
            handled[0] += 1

        consumer = FluidRedis.StreamConsumer(server.uri, "jobs", "workers", handle)
        producer = FluidRedis.StreamProducer(server.uri, "jobs", max_len=50000, max_buffered=0)
        fluidtest.finish(consumer, "startup")
        fluidtest.finish(producer, "startup")
        iterate_until(consumer.is_connected, "connected")
        context = GLib.MainContext.ref_thread_default()
        warm = None
        for round in range(10):
            for i in range(20000):
                producer.send({"data": "x"})
            while handled[0] < 20000 * (round + 1):
                context.iteration(True)
            gc.collect()
            if round == 1:
                warm = resident_bytes()
        growth = resident_bytes() - warm
        print(f"python_redis_rss_growth_bytes {growth}")
        self.assertLess(growth, 5 * 1024 * 1024)
        fluidtest.finish(producer, "shutdown")
        fluidtest.finish(consumer, "shutdown")


if __name__ == "__main__":
    unittest.main()
