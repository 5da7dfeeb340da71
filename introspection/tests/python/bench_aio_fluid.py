# bench_aio_fluid.py: code written for aio-fluid, run on aio-fluid and on
# libfluid-glib, side by side
#
# One body of code, written against aio-fluid's API (fluid.utils.worker),
# run twice on the same interpreter: once with its import pointing at
# aio-fluid, once at gi.repository.Fluid after Fluid.install_asyncio().
# aio-fluid is not a dependency: its column is left out when
# ``import fluid.utils.worker`` fails (PYTHONPATH may point at a tree of
# it).
#
# Figures, each the median of RUNS runs, each run in a process of its own:
#   queue_msgs_per_s   a QueueConsumerWorker with an ``async def
#                      on_message``: 200 000 messages sent, then awaited;
#   queue_plain_msgs_per_s  the same with a plain function (called from an
#                      ``async def`` on aio-fluid, which awaits its
#                      handler);
#   latency_p50_us,    20 000 round trips: send, then wait for the handler,
#   latency_p99_us     which measures how long after the send it ran;
#   start_ms           Workers(*[Idle() for _ in range(10000)]) made and
#                      started, until every Idle runs (Idle.run loops on
#                      ``await asyncio.sleep(1.0)``);
#   stop_ms            that group shut down, at once (each Idle ends once
#                      its sleep of a second does);
#   worker_bytes       the resident memory each running Idle adds, after
#                      a collection, in a process apart from the timings;
#   failure_ms         a group of 100 Idles and one worker that raises
#                      once the group has run a quarter of a second: from
#                      the raise until the group is no longer running
#                      (the median of 3 groups).
# Prints 'metric value' lines: libfluid_glib_FIGURE and aio_fluid_FIGURE,
# then the table, as the chapter quotes it.
#
# Run: meson test -C _build --benchmark -v python-bench-aio-fluid
# (with PYTHONPATH=/path/to/a/tree/of/aio-fluid for its column).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import gc
import logging
import os
import statistics
import subprocess
import sys
import time

RUNS = 3
MESSAGES = 200_000
ROUND_TRIPS = 20_000
WORKERS = 10_000
GROUP = 100
FAILURES = 3
SETTLE = 0.25

IMPLEMENTATIONS = ("libfluid-glib", "aio-fluid")


# The implementation a child runs: aio-fluid's names, from it.
IMPLEMENTATION = sys.argv[1] if len(sys.argv) == 3 else "libfluid-glib"
if IMPLEMENTATION == "aio-fluid":
    from fluid.utils.worker import QueueConsumerWorker, Worker, Workers
else:
    import gi
    gi.require_version("Fluid", "1.0")
    from gi.repository.Fluid import QueueConsumerWorker, Worker, Workers, install_asyncio


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# The code under test, as written for aio-fluid

def counting_handler(count, done):
    """A plain function that counts @count messages, then sets @done."""
    handled = 0

    def handle(message):
        nonlocal handled
        handled += 1
        if handled == count:
            done.set_result(None)

    return handle


async def queue_throughput_of(on_message, done):
    worker = QueueConsumerWorker(on_message)
    await worker.startup()
    start = time.perf_counter()
    for i in range(MESSAGES):
        worker.send(i)
    await done
    elapsed = time.perf_counter() - start
    await worker.shutdown()
    return MESSAGES / elapsed


async def queue_throughput():
    done = asyncio.get_running_loop().create_future()
    handle = counting_handler(MESSAGES, done)

    async def on_message(message):
        handle(message)

    return {"queue_msgs_per_s": await queue_throughput_of(on_message, done)}


async def queue_throughput_plain():
    """A plain function as the handler; aio-fluid awaits whatever its
    handler returns, so there it is called from an async def, as code
    written for it has to."""
    done = asyncio.get_running_loop().create_future()
    handle = counting_handler(MESSAGES, done)
    if IMPLEMENTATION == "aio-fluid":
        async def on_message(message):
            handle(message)
    else:
        on_message = handle
    return {"queue_plain_msgs_per_s": await queue_throughput_of(on_message, done)}


async def latency():
    loop = asyncio.get_running_loop()
    samples = []
    waiter = None

    async def on_message(sent):
        samples.append(time.perf_counter() - sent)
        waiter.set_result(None)

    worker = QueueConsumerWorker(on_message)
    await worker.startup()
    for _ in range(ROUND_TRIPS):
        waiter = loop.create_future()
        worker.send(time.perf_counter())
        await waiter
    await worker.shutdown()
    samples.sort()
    return {"latency_p50_us": samples[len(samples) // 2] * 1e6,
            "latency_p99_us": samples[len(samples) * 99 // 100] * 1e6}


class Idle(Worker):
    running = 0

    async def run(self):
        Idle.running += 1
        while self.is_running():
            await asyncio.sleep(1.0)


class Failing(Worker):
    def __init__(self, go):
        super().__init__()
        self.go = go
        self.raised_at = None

    async def run(self):
        await self.go.wait()
        self.raised_at = time.perf_counter()
        raise RuntimeError("down")


async def wait_for(condition):
    while not condition():
        await asyncio.sleep(0)


async def many_workers():
    start = time.perf_counter()
    workers = Workers(*[Idle() for _ in range(WORKERS)])
    await workers.startup()
    await wait_for(lambda: Idle.running == WORKERS)
    started = time.perf_counter()
    await workers.shutdown()
    stopped = time.perf_counter()
    return {"start_ms": (started - start) * 1e3, "stop_ms": (stopped - started) * 1e3}


async def worker_memory():
    """Apart from the timings: its collection and reading of /proc would
    count in the stop, which the Idles' sleeps of a second bound (the
    longer they take, the sooner the stop ends)."""
    gc.collect()
    before = resident_bytes()
    workers = Workers(*[Idle() for _ in range(WORKERS)])
    await workers.startup()
    await wait_for(lambda: Idle.running == WORKERS)
    gc.collect()
    grown = resident_bytes() - before
    await workers.shutdown()
    return {"worker_bytes": grown / WORKERS}


async def failure_detection():
    """The median of FAILURES failures, each in a group that has run
    SETTLE seconds: a group that checks its children at a heartbeat sees
    the failure at whatever point of its period it comes."""
    delays = []
    for _ in range(FAILURES):
        go = asyncio.Event()
        failing = Failing(go)
        Idle.running = 0
        workers = Workers(*[Idle() for _ in range(GROUP)], failing)
        await workers.startup()
        await wait_for(lambda: Idle.running == GROUP)
        await asyncio.sleep(SETTLE)
        go.set()
        await wait_for(lambda: not workers.is_running())
        delays.append(time.perf_counter() - failing.raised_at)
        try:
            await workers.shutdown()
        except Exception:
            pass
    return {"failure_ms": statistics.median(delays) * 1e3}


FIGURES = {
    "queue": queue_throughput,
    "queue_plain": queue_throughput_plain,
    "latency": latency,
    "workers": many_workers,
    "memory": worker_memory,
    "failure": failure_detection,
}

# (title, figure, format, unit, whether more is better)
ROWS = [
    ("queue throughput, async def on_message", "queue_msgs_per_s", "{:,.0f}", "msgs/s", True),
    ("queue throughput, plain on_message", "queue_plain_msgs_per_s", "{:,.0f}", "msgs/s", True),
    ("send → handle p50", "latency_p50_us", "{:.1f}", "µs", False),
    ("send → handle p99", "latency_p99_us", "{:.1f}", "µs", False),
    ("start 10 000 workers", "start_ms", "{:.0f}", "ms", False),
    ("stop 10 000 workers", "stop_ms", "{:.0f}", "ms", False),
    ("memory per worker", "worker_bytes", "{:,.0f}", "B", False),
    ("group failure detection", "failure_ms", "{:.2f}", "ms", False),
]


# The driver: each figure of each implementation in a process of its own

def child(implementation, figure):
    # Both log each stop through logging, which would print the warnings
    # of 10 000 workers without a handler.
    logging.disable(logging.CRITICAL)
    if implementation != "aio-fluid":
        install_asyncio()
    result = asyncio.run(FIGURES[figure]())
    for key, value in result.items():
        print(key, value)


def run_child(implementation, figure):
    output = subprocess.run([sys.executable, __file__, implementation, figure],
                            check=True, capture_output=True, text=True).stdout
    return {key: float(value) for key, value in (line.split() for line in output.splitlines())}


def aio_fluid_found():
    return subprocess.run([sys.executable, "-c", "import fluid.utils.worker"],
                          capture_output=True).returncode == 0


def main():
    implementations = [i for i in IMPLEMENTATIONS if i != "aio-fluid" or aio_fluid_found()]
    if len(implementations) == 1:
        print("# aio-fluid not found (import fluid.utils.worker): its column is left out")
    runs = {i: {} for i in implementations}
    for _ in range(RUNS):
        for figure in FIGURES:
            for implementation in implementations:
                for key, value in run_child(implementation, figure).items():
                    runs[implementation].setdefault(key, []).append(value)
    median = {i: {key: statistics.median(values) for key, values in runs[i].items()}
              for i in implementations}
    for implementation in implementations:
        prefix = implementation.replace("-", "_")
        for _, key, _, _, _ in ROWS:
            print(f"{prefix}_{key} {median[implementation][key]:.3f}")

    print()
    print("| figure | " + " | ".join(implementations) + " |")
    print("| --- |" + " --- |" * len(implementations))
    for title, key, form, unit, _ in ROWS:
        cells = []
        for implementation in implementations:
            values = runs[implementation][key]
            low, high = form.format(min(values)), form.format(max(values))
            cells.append(f"{low} {unit}" if low == high else f"{low} – {high} {unit}")
        print(f"| {title} | " + " | ".join(cells) + " |")
    if len(implementations) == 2:
        worse = [title for title, key, _, _, higher_is_better in ROWS
                 if (median["libfluid-glib"][key] < median["aio-fluid"][key]) == higher_is_better
                 and median["libfluid-glib"][key] != median["aio-fluid"][key]]
        print()
        print("# behind aio-fluid: " + (", ".join(worse) if worse else "none"))


if __name__ == "__main__":
    if len(sys.argv) == 3:
        child(sys.argv[1], sys.argv[2])
    else:
        main()
