#!/usr/bin/python3
# redis-jobs.py: work shared between processes through a Redis stream, in
# Python with asyncio.
#
#   redis-jobs.py URI            a producer, and two consumer processes
#   redis-jobs.py URI consume N  one consumer, named N
#
# The producer adds 1 000 jobs to the stream "jobs"; two consumer processes
# of the group "workers" share them, with an async def handler; the first
# is killed (SIGKILL) on purpose after it handled 200, and the jobs it held
# are claimed by the other once idle for one second. The totals show that
# none was lost.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import collections
import os
import signal
import sys

import gi

gi.require_version("Fluid", "1.0")
gi.require_version("FluidRedis", "1.0")
from gi.repository import Fluid, FluidRedis  # noqa: E402

N_JOBS = 1000
KILL_AFTER = 200


async def handle(entry):
    """One job: an await stands for the I/O it would do."""
    await asyncio.sleep(0.001)
    print(entry.get_string("job"), flush=True)


async def consume(uri, name):
    consumer = FluidRedis.StreamConsumer(uri, "jobs", "workers", handle,
                                         consumer=name, claim_idle=1.0, batch_size=20)
    # Until SIGTERM; what was not acknowledged stays pending for the group.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, consumer.gracefully_stop)
    await consumer.startup()
    await consumer.wait_for_shutdown()
    return consumer.get_exit_code()


async def read_jobs(process, counts, handled):
    while line := await process.stdout.readline():
        counts[line.decode().strip()] += 1
        handled[0] += 1


async def main(uri):
    counts = collections.Counter()
    processes, handled, readers = [], [], []
    for name in ("first", "second"):
        process = await asyncio.create_subprocess_exec(
            sys.executable, os.path.abspath(__file__), uri, "consume", name,
            stdout=asyncio.subprocess.PIPE)
        processes.append(process)
        handled.append([0])
        readers.append(asyncio.create_task(read_jobs(process, counts, handled[-1])))

    producer = FluidRedis.StreamProducer(uri, "jobs")
    await producer.startup()
    for i in range(N_JOBS):
        producer.send({"job": f"job-{i:04}"})

    while handled[0][0] < KILL_AFTER:
        await asyncio.sleep(0.01)
    processes[0].send_signal(signal.SIGKILL)
    await processes[0].wait()
    await readers[0]

    while len(counts) < N_JOBS:
        await asyncio.sleep(0.01)
    processes[1].send_signal(signal.SIGTERM)
    code = await processes[1].wait()
    await readers[1]
    await producer.shutdown()

    twice = sum(1 for times in counts.values() if times > 1)
    print(f"jobs added: {N_JOBS}")
    print(f"handled by first (killed): {handled[0][0]}")
    print(f"handled by second: {handled[1][0]}")
    print(f"handled twice: {twice} (held by the killed consumer)")
    print(f"lost: {N_JOBS - len(counts)}")
    print(f"second consumer exit code: {code}")
    return 0 if len(counts) == N_JOBS and twice <= 20 else 1


if __name__ == "__main__":
    Fluid.install_asyncio()
    if len(sys.argv) == 4 and sys.argv[2] == "consume":
        sys.exit(asyncio.run(consume(sys.argv[1], sys.argv[3])))
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} redis://host:port/db|unix:///path [consume NAME]")
    sys.exit(asyncio.run(main(sys.argv[1])))
