#!/usr/bin/python3
# redis-jobs.py: work shared between processes through a Redis stream, in
# Python with asyncio.
#
#   redis-jobs.py [--timeout SECONDS] URI   a producer, and two consumer processes
#   redis-jobs.py URI consume NAME          one consumer, named NAME
#
# The producer adds 1 000 jobs to the stream "jobs"; two consumer processes
# of the group "workers" share them, with an async def handler; the first
# is killed (SIGKILL) on purpose after it handled 200, and the jobs it held
# are claimed by the other once idle for one second. The totals show that
# none was lost.
#
# Nothing here fails in silence, nor waits for ever: a URI that does not
# parse, a server that does not answer within --timeout seconds (10 by
# default), jobs that stop moving for as long, and a consumer process that
# ends with an error each make redis-jobs.py say why on stderr and exit
# with status 1; a command line it does not understand, with status 2.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import argparse
import asyncio
import collections
import os
import signal
import sys

import gi

gi.require_version("Fluid", "1.0")
gi.require_version("FluidRedis", "1.0")
from gi.repository import Fluid, FluidRedis, GLib  # noqa: E402

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
    # An outage of the server is waited out (the consumer logs a warning
    # when it loses the server, a message when it is back); an error that
    # waiting cannot mend ends it with exit code 2, which the parent sees.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, consumer.gracefully_stop)
    await consumer.startup()
    try:
        await consumer.wait_for_shutdown()
    except GLib.Error as error:
        print(f"redis-jobs.py: consumer {name}: {error.message}", file=sys.stderr)
    return consumer.get_exit_code()


class Failure(Exception):
    """Why the work cannot go on."""


class Jobs:
    """The parent: the producer, and the supervisor of two consumers."""

    def __init__(self, uri, timeout):
        self.uri = uri
        self.timeout = timeout
        self.producer = FluidRedis.StreamProducer(uri, "jobs")
        self.reached = False  # the server answered
        self.added = 0
        self.counts = collections.Counter()
        self.handled = {}
        self.processes = {}
        self.readers = {}
        self.killed = set()  # by the parent, on purpose
        self.failure = None
        self.watchers = []

    def fail(self, why):
        # The first failure is the one told.
        if self.failure is None:
            self.failure = why

    async def watch_producer(self):
        """The producer ends with an error when its URI does not parse, or
        its server is not Redis or refuses it."""
        try:
            await self.producer.wait_for_shutdown()
        except GLib.Error as error:
            self.fail(error.message)

    async def start_consumer(self, name):
        process = await asyncio.create_subprocess_exec(
            sys.executable, os.path.abspath(__file__), self.uri, "consume", name,
            stdout=asyncio.subprocess.PIPE)
        self.processes[name] = process
        self.handled[name] = 0
        self.readers[name] = asyncio.ensure_future(self.read_jobs(name))
        self.watchers.append(asyncio.ensure_future(self.watch_consumer(name)))

    async def read_jobs(self, name):
        while line := await self.processes[name].stdout.readline():
            self.counts[line.decode().strip()] += 1
            self.handled[name] += 1

    async def watch_consumer(self, name):
        """A consumer that ends unless the parent killed it has failed: it
        only stops when told to, and then with exit status 0."""
        code = await self.processes[name].wait()
        if name in self.killed:
            return
        if code < 0:
            self.fail(f"consumer {name} was killed by signal {-code}")
        elif code != 0:
            self.fail(f"consumer {name} ended with exit status {code}")

    def ended(self, name):
        return self.processes[name].returncode is not None and self.readers[name].done()

    def progress(self):
        """What has moved: the server's first answer, the jobs it took, the
        jobs handled."""
        return (self.reached, self.added - self.producer.get_buffered(),
                sum(self.handled.values()))

    async def until(self, condition):
        """Waits for condition(); raises Failure when the work cannot go on:
        a process failed, or nothing moved for --timeout seconds."""
        loop = asyncio.get_running_loop()
        progress, moved_at = self.progress(), loop.time()
        while self.failure is None and not condition():
            if self.progress() != progress:
                progress, moved_at = self.progress(), loop.time()
            elif loop.time() - moved_at >= self.timeout:
                await self.stalled()
            await asyncio.sleep(0.01)
        if self.failure is not None:
            raise Failure(self.failure)

    async def stalled(self):
        why = (await self.producer.status()).get("last_error")
        what = "the jobs did not move" if self.reached else "no answer from Redis"
        self.fail(f"{what} for {self.timeout:g} s" + (f": {why}" if why else ""))

    async def share(self):
        # The producer first: a URI that does not parse, or a server that
        # does not answer, is found before any consumer starts.
        await self.producer.startup()
        self.watchers.append(asyncio.ensure_future(self.watch_producer()))
        await self.until(self.producer.is_connected)
        self.reached = True
        for name in ("first", "second"):
            await self.start_consumer(name)

        # send() never blocks: the producer holds what the connection has
        # not taken yet.
        for i in range(N_JOBS):
            self.producer.send({"job": f"job-{i:04}"})
            self.added += 1
        await self.until(lambda: self.producer.get_buffered() == 0)

        # One consumer dies without a word, in the middle of its work.
        await self.until(lambda: self.handled["first"] >= KILL_AFTER)
        self.killed.add("first")
        self.processes["first"].send_signal(signal.SIGKILL)
        await self.until(lambda: self.ended("first"))

        # The other takes what was left, and what the dead one held.
        await self.until(lambda: len(self.counts) == N_JOBS)
        self.processes["second"].send_signal(signal.SIGTERM)
        await self.until(lambda: self.ended("second"))
        await self.producer.shutdown()

    async def kill_consumers(self):
        """After a failure: the consumers still running would wait for jobs
        for ever."""
        for name, process in self.processes.items():
            if process.returncode is None:
                self.killed.add(name)
                process.kill()
                await process.wait()

    def print_totals(self):
        twice = sum(1 for times in self.counts.values() if times > 1)
        print(f"jobs added: {N_JOBS}")
        print(f"handled by first (killed): {self.handled['first']}")
        print(f"handled by second: {self.handled['second']}")
        print(f"handled twice: {twice} (held by the killed consumer)")
        print(f"lost: {N_JOBS - len(self.counts)}")
        print(f"second consumer exit code: {self.processes['second'].returncode}")
        if twice > 20:
            self.fail(f"{twice} jobs were handled twice, more than a batch (20)")


async def main(uri, timeout):
    jobs = Jobs(uri, timeout)
    try:
        await jobs.share()
        jobs.print_totals()
    except Failure:
        await jobs.kill_consumers()
    for watcher in jobs.watchers:
        watcher.cancel()
    if jobs.failure is not None:
        print(f"redis-jobs.py: {jobs.failure}", file=sys.stderr)
        return 1
    return 0


def seconds(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("a number of seconds above 0 is expected")
    return value


def parse_command_line():
    parser = argparse.ArgumentParser(
        usage="%(prog)s [-h] [-t SECONDS] URI [consume NAME]",
        description="Shares 1 000 jobs between two consumer processes through the "
                    "Redis stream \"jobs\", kills one, and counts. URI: "
                    "redis://host[:port][/db] or unix:///path/to/socket. With "
                    "\"consume NAME\", runs one consumer.",
        epilog="Exit status: 0 when every job was handled; 1 when the work could "
               "not be done (a URI that does not parse, no answer from Redis "
               "within the timeout, a consumer that failed), said on stderr; 2 "
               "for a wrong command line. A consumer exits with its worker's "
               "exit code (2: it failed, and said why).")
    parser.add_argument("-t", "--timeout", type=seconds, default=10.0, metavar="SECONDS",
                        help="give up after SECONDS without an answer from Redis or a job "
                             "done (10)")
    parser.add_argument("uri", metavar="URI", help="where the Redis server is")
    parser.add_argument("consume", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.consume and (len(args.consume) != 2 or args.consume[0] != "consume"):
        parser.error("unexpected arguments after the URI")
    return args


if __name__ == "__main__":
    args = parse_command_line()
    Fluid.install_asyncio()
    if args.consume:
        sys.exit(asyncio.run(consume(args.uri, args.consume[1])))
    sys.exit(asyncio.run(main(args.uri, args.timeout)))
