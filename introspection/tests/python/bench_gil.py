# bench_gil.py: what the GIL means for a Python handler on the threads of
# Fluid.QueueConsumerWorker.new_threaded()
#
# The same jobs through a threaded consumer of 1 thread and of 4 threads, in
# the same run; each figure is the best of 3 runs. Three kinds of job:
#   hashlib: hashlib.sha256() of a 16 MiB buffer, C code that releases the
#     GIL for buffers of more than 2 KiB;
#   pure: a loop of Python bytecode, which holds the GIL throughout;
#   sleep: time.sleep(0.02), blocking, which releases it.
# Prints one 'metric value' line per figure: python_gil_KIND_1_thread_s,
# python_gil_KIND_4_threads_s and python_gil_KIND_speedup (1 thread's time
# over 4 threads'); on N cores, CPU-bound work can at best be N times
# faster.
#
# The producer waits for room in a queue of 1 (send_sync), so that each job
# goes to whichever thread is free.
#
# Run: meson test -C _build --benchmark -v python-bench-gil
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import hashlib
import os
import threading
import time

import fluidtest

from gi.repository import Fluid, GLib

BUFFER = os.urandom(16 * 1024 * 1024)


def hash_job(message):
    hashlib.sha256(BUFFER).digest()


def pure_job(message):
    total = 0
    for i in range(400_000):
        total += i * i % 7
    return total


def sleep_job(message):
    time.sleep(0.02)


JOBS = {
    "hashlib": (hash_job, 24),
    "pure": (pure_job, 24),
    "sleep": (sleep_job, 40),
}


def seconds(n_threads, job, n_jobs):
    lock = threading.Lock()
    done = [0]

    def handle(message):
        job(message)
        with lock:
            done[0] += 1
        GLib.MainContext.default().wakeup()

    worker = Fluid.QueueConsumerWorker.new_threaded(n_threads, handle)
    worker.props.max_queue_size = 1
    worker.startup_sync()
    start = time.perf_counter()
    for i in range(n_jobs):
        worker.send_sync(i)
    fluidtest.GUARD_SECONDS = 600
    fluidtest.iterate_until(lambda: done[0] == n_jobs, "the jobs")
    elapsed = time.perf_counter() - start
    worker.shutdown_sync()
    return elapsed


def main():
    print(f"# {os.cpu_count()} cores")
    for kind, (job, n_jobs) in JOBS.items():
        one = min(seconds(1, job, n_jobs) for _ in range(3))
        four = min(seconds(4, job, n_jobs) for _ in range(3))
        print(f"python_gil_{kind}_1_thread_s {one:.3f}")
        print(f"python_gil_{kind}_4_threads_s {four:.3f}")
        print(f"python_gil_{kind}_speedup {one / four:.2f}", flush=True)


if __name__ == "__main__":
    main()
