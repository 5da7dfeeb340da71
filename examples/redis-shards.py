#!/usr/bin/python3
# redis-shards.py: jobs spread over the shards of a Redis Cluster, in
# Python with asyncio.
#
#   redis-shards.py redis+cluster://host:port[,host:port…]
#
# Four streams, jobs:{0} … jobs:{3}: in a Cluster, the part in braces is
# what a key's slot is computed from, so that each stream and its
# dead-letter stream (jobs:{0}:dead) live in one slot, on one node, and the
# streams are spread over the primaries. A Fluid.Workers group runs a
# consumer per stream, and a producer per stream; each job goes to the
# stream its customer's hash picks, so that the jobs of one customer keep
# their order in one shard. The program adds 2 000 jobs, stops once each
# was handled, and prints how many each shard handled.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import sys
import zlib

import gi

gi.require_version("Fluid", "1.0")
gi.require_version("FluidRedis", "1.0")
from gi.repository import Fluid, FluidRedis  # noqa: E402

N_SHARDS = 4
N_JOBS = 2000


def shard_of(customer):
    """The shard of a customer: the same for all of its jobs, in every
    process (Python's hash() of a str changes from one run to the next)."""
    return zlib.crc32(customer.encode()) % N_SHARDS


async def main(uri):
    handled = [0] * N_SHARDS
    jobs = set()
    all_handled = asyncio.Event()

    def handler(shard):
        async def handle(entry):
            # The work itself would be awaited here.
            handled[shard] += 1
            jobs.add(entry.get_string("job"))
            if len(jobs) == N_JOBS:
                all_handled.set()
        return handle

    streams = [f"jobs:{{{i}}}" for i in range(N_SHARDS)]
    consumers = [FluidRedis.StreamConsumer(uri, stream, "workers", handler(i), name=stream)
                 for i, stream in enumerate(streams)]
    producers = [FluidRedis.StreamProducer(uri, stream) for stream in streams]
    group = Fluid.Workers(*consumers, *producers)
    await group.startup()

    for i in range(N_JOBS):
        customer = f"customer-{i % 97}"
        producers[shard_of(customer)].send({"customer": customer, "job": f"job-{i:04}"})

    await all_handled.wait()
    await group.shutdown()
    for stream, count in zip(streams, handled):
        print(f"{stream} handled {count} jobs")
    print(f"jobs handled: {len(jobs)} of {N_JOBS}")
    return 0 if len(jobs) == N_JOBS and group.get_exit_code() == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} redis+cluster://host:port[,host:port…]")
    Fluid.install_asyncio()
    sys.exit(asyncio.run(main(sys.argv[1])))
