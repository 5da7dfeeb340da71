#!/usr/bin/python3
# bench-redis-memory.py URI: the resident set a Python handler's consumer
# (and a producer) gain per 100 000 entries, after the first 40 000, over
# 200 000; prints "redis_python_rss_bytes_per_100k N". Run by bench-redis.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import os
import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Fluid", "1.0")
gi.require_version("FluidRedis", "1.0")
from gi.repository import GLib, FluidRedis  # noqa: E402

ROUNDS = 10
PER_ROUND = 20000


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def finish(worker, name):
    done = []
    getattr(worker, f"{name}_async")(None, lambda source, result: done.append(result))
    while not done:
        context.iteration(True)
    getattr(worker, f"{name}_finish")(done[0])


context = GLib.MainContext.ref_thread_default()
handled = [0]


def handle(entry):
    handled[0] += 1


consumer = FluidRedis.StreamConsumer(sys.argv[1], "memory", "workers", handle)
producer = FluidRedis.StreamProducer(sys.argv[1], "memory", max_len=2 * PER_ROUND, max_buffered=0)
finish(consumer, "startup")
finish(producer, "startup")
while not consumer.is_connected():
    context.iteration(True)
warm = 0
for round in range(ROUNDS):
    for i in range(PER_ROUND):
        producer.send({"data": "x"})
    while handled[0] < PER_ROUND * (round + 1):
        context.iteration(True)
    gc.collect()
    if round == 1:
        warm = resident_bytes()
growth = resident_bytes() - warm
print(f"redis_python_rss_bytes_per_100k {growth * 100000 // ((ROUNDS - 2) * PER_ROUND)}")
finish(producer, "shutdown")
finish(consumer, "shutdown")
