#!/usr/bin/python3
# checksums.py: SHA-256 checksums of files, on 4 threads, in Python
#
# The Python port of checksums.c, with asyncio on the GLib main loop. A
# threaded QueueConsumerWorker hashes the files given on the command line,
# each message a path, with hashlib on 4 threads it owns: hashlib releases
# the GIL while it hashes (and so does reading a file), so the threads do
# run in parallel. Each line, in the format of sha256sum, is printed on the
# main context as its file completes. A file that cannot be read raises in
# the handler, which fails its message: with stop-on-failure off,
# message-failed reports it and the others go on. The paths are sent with
# backpressure: at most MAX_QUEUED wait in the queue. Once every file is
# reported, the program stops the worker.
#
# Ctrl-C stops gracefully: the files in progress are finished, the others
# are not started. A second Ctrl-C shuts the worker down, forced once its
# grace period (FLUID_STOPPING_GRACE_PERIOD, 10 s by default) has passed,
# without waiting for a thread stuck in a read.
#
# Usage: checksums.py FILE...
# Exit status: 0 when every file was checksummed, 1 when some could not be
# (unreadable, or not reached after Ctrl-C), 2 on a usage error.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import hashlib
import os
import signal
import sys

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid, GLib  # noqa: E402

N_THREADS = 4
MAX_QUEUED = 2 * N_THREADS


def sha256(path):
    """On one of the worker's threads: may block."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


async def checksums(paths):
    loop = asyncio.get_running_loop()
    checksummed = []
    failed = []
    interrupts = 0

    def check_done():
        if len(checksummed) + len(failed) == len(paths):
            worker.gracefully_stop()

    def report(path, digest):
        # On the main context.
        print(f"{digest}  {path}", flush=True)
        checksummed.append(path)
        check_done()

    def hash_file(path):
        # An exception (FileNotFoundError, IsADirectoryError...) fails the
        # message.
        digest = sha256(path)
        loop.call_soon_threadsafe(report, path, digest)

    def message_failed(worker, path, error):
        print(f"checksums: {path}: {error.message}", file=sys.stderr)
        failed.append(path)
        check_done()

    def sigint():
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            print("checksums: interrupted: finishing the files in progress "
                  "(Ctrl-C again to stop now)", file=sys.stderr)
            # drain-on-stop is off (the default): the queued files are not
            # started.
            worker.gracefully_stop()
        else:
            print("checksums: forced shutdown", file=sys.stderr)
            asyncio.ensure_future(worker.shutdown())
        return GLib.SOURCE_CONTINUE

    worker = Fluid.QueueConsumerWorker.new_threaded_named("checksums", N_THREADS, hash_file)
    worker.props.max_queue_size = MAX_QUEUED
    worker.props.stop_on_failure = False
    worker.connect("message-failed", message_failed)
    source = GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, sigint)

    await worker.startup()
    try:
        for path in paths:
            if interrupts:
                break
            # Waits while MAX_QUEUED paths are queued.
            await worker.send_async(path)
    except Fluid.WorkerStoppedError:
        pass  # Ctrl-C stopped the worker meanwhile.
    await worker.wait_for_shutdown()
    GLib.source_remove(source)

    if len(checksummed) < len(paths):
        print(f"checksums: {len(checksummed)} of {len(paths)} files checksummed",
              file=sys.stderr)
    return worker, 0 if len(checksummed) == len(paths) else 1


def main():
    if len(sys.argv) < 2:
        print(f"Usage: {sys.argv[0]} FILE...", file=sys.stderr)
        return 2
    Fluid.install_asyncio()
    worker, status = asyncio.run(checksums(sys.argv[1:]))
    if worker.get_state() == Fluid.WorkerState.FORCE_STOPPED:
        # A thread stuck in a read is not waited for, nor is it a Python
        # thread that the interpreter's end would wait for: leave at once,
        # rather than let it come back into an interpreter being
        # finalized.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


if __name__ == "__main__":
    sys.exit(main())
