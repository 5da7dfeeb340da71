# test_redis.py: the FluidRedis override: sync and async handlers, the
# producer's send and add, exceptions that fail entries
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import shutil
import unittest

import gi

import fluidtest
from fluidtest import iterate_until

gi.require_version("FluidRedis", "1.0")
from gi.repository import Fluid, FluidRedis  # noqa: E402

from redistest import RedisServer  # noqa: E402


def status(worker):
    return fluidtest.finish(worker, "status").unpack()


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class TestRedis(unittest.TestCase):
    def setUp(self):
        self.server = RedisServer().start()

    def tearDown(self):
        self.server.stop()

    def run_consumer(self, handler, n, **props):
        consumer = FluidRedis.StreamConsumer(self.server.uri, "jobs", "workers", handler, **props)
        producer = FluidRedis.StreamProducer(self.server.uri, "jobs")
        fluidtest.finish(consumer, "startup")
        iterate_until(consumer.is_connected, "connected")
        iterate_until(lambda: self.server.command("EXISTS", "jobs").startswith(b":1"), "the group")
        fluidtest.finish(producer, "startup")
        for i in range(n):
            self.assertTrue(producer.send({"data": f"job-{i}"}))
        return consumer, producer

    def stop(self, *workers):
        for worker in workers:
            fluidtest.finish(worker, "shutdown")

    def test_sync_handler(self):
        seen = []
        consumer, producer = self.run_consumer(lambda entry: seen.append(entry.get_string("data")), 20)
        iterate_until(lambda: status(consumer)["acked"] == 20, "acked")
        self.assertEqual(sorted(seen), sorted(f"job-{i}" for i in range(20)))
        self.assertEqual(status(consumer)["pending"], 0)
        self.stop(producer, consumer)

    def test_async_handler(self):
        Fluid.install_asyncio()
        seen = []

        async def handle(entry):
            await asyncio.sleep(0.01)
            if entry.get_string("data") == "job-3" and entry.get_delivery_count() == 1:
                raise RuntimeError("first try of job-3")
            seen.append((entry.get_id(), entry.get_delivery_count(), entry.get_names()))

        async def main():
            consumer = FluidRedis.StreamConsumer(self.server.uri, "jobs", "workers", handle,
                                                 claim_idle=0.1)
            self.consumer = consumer
            producer = FluidRedis.StreamProducer(self.server.uri, "jobs")
            await consumer.startup()
            await producer.startup()
            while not self.server.command("EXISTS", "jobs").startswith(b":1"):
                await asyncio.sleep(0.01)
            ids = [await producer.add({"data": f"job-{i}"}) for i in range(10)]
            while (await consumer.status())["acked"] < 10:
                await asyncio.sleep(0.01)
            await producer.shutdown()
            await consumer.shutdown()
            return ids

        ids = asyncio.run(asyncio.wait_for(main(), fluidtest.GUARD_SECONDS))
        self.assertEqual(sorted(entry_id for entry_id, _, _ in seen), sorted(ids))
        # job-3 failed once, visibly, and was retried.
        self.assertEqual(sorted(count for _, count, _ in seen), [1] * 9 + [2])
        self.assertTrue(all(names == ["data"] for _, _, names in seen))
        self.assertIsInstance(self.consumer.last_exception, RuntimeError)
        self.assertEqual(status(self.consumer)["failed"], 1)

    def test_exception_fails_the_entry(self):
        def handle(entry):
            raise ValueError("bad job " + entry.get_string("data"))

        consumer, producer = self.run_consumer(handle, 1, claim_idle=0.1, max_deliveries=2)
        iterate_until(lambda: status(consumer)["dead_lettered"] == 1, "dead letter")
        self.assertEqual(status(consumer)["failed"], 2)
        self.assertIsInstance(consumer.last_exception, ValueError)
        self.assertEqual(str(consumer.last_exception), "bad job job-0")
        self.assertTrue(self.server.command("XLEN", "jobs:dead").startswith(b":1"))
        self.stop(producer, consumer)

    def test_subclass_handle(self):
        class Jobs(FluidRedis.StreamConsumer):
            seen = 0

            def handle(self, entry):
                assert entry.get_string("data") is None
                assert entry.get_field("data").get_data() == b"\xff\xfe"
                Jobs.seen += 1

        consumer = Jobs(self.server.uri, "jobs", "workers")
        fluidtest.finish(consumer, "startup")
        iterate_until(lambda: self.server.command("EXISTS", "jobs").startswith(b":1"), "the group")
        self.server.command("XADD", "jobs", "*", "data", b"\xff\xfe")
        iterate_until(lambda: Jobs.seen == 1, "handled")
        self.stop(consumer)

    def test_add_returns_the_id(self):
        producer = FluidRedis.StreamProducer(self.server.uri, "jobs", max_len=100)
        fluidtest.finish(producer, "startup")
        result = fluidtest.call_async(producer.add_async, ["data", "x"])
        entry_id = producer.add_finish(result)
        self.assertIn("-", entry_id)
        self.assertEqual(producer.get_max_len(), 100)
        self.stop(producer)

    def test_bad_uri(self):
        consumer = FluidRedis.StreamConsumer("http://nowhere/", "jobs", "workers", print)
        fluidtest.finish(consumer, "startup")
        with self.assertRaises(gi.repository.GLib.Error) as raised:
            fluidtest.finish(consumer, "wait_for_shutdown")
        self.assertTrue(raised.exception.matches(FluidRedis.error_quark(), FluidRedis.Error.INVALID_URI))


if __name__ == "__main__":
    unittest.main()
