#!/usr/bin/python3
# workers.py: a supervised group of workers, in Python
#
# The Python port of workers.c. A Fluid.Workers group runs two children: a
# Fluid.WorkerFunction that sends a tick to a printer every 10 ms and stops
# itself after five ticks, and the printer, a Fluid.QueueConsumerWorker.
# When the ticker stops, the group stops, and with it the printer, which
# first handles the ticks still queued (drain-on-stop). Every state change
# is printed.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import sys

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid  # noqa: E402

N_TICKS = 5


def print_state(worker, pspec):
    print(f"{worker.worker_name}: {worker.worker_state.value_nick}")


def main():
    ticks = []
    printed = []
    reasons = []

    printer = Fluid.QueueConsumerWorker(name="printer", drain_on_stop=True)

    def print_tick(worker, tick):
        print(f"tick {tick}")
        printed.append(tick)

    printer.connect("message", print_tick)

    def tick(worker):
        ticks.append(len(ticks) + 1)
        printer.send(ticks[-1])  # any thread may send
        if len(ticks) == N_TICKS:
            # It stops on its own: the group notices and stops the printer.
            worker.gracefully_stop()

    ticker = Fluid.WorkerFunction.new_named("ticker", 0.01, tick)

    group = Fluid.Workers.new()
    group.add_workers([ticker, printer])

    # The group is a GListModel of its children.
    group.connect("notify::state", print_state)
    for child in group:
        child.connect("notify::state", print_state)

    def group_stopped(group, reason, exit_code):
        print(f"{group.worker_name} stopped (exit code {exit_code}): {reason}")
        reasons.append(reason)

    group.connect("stopped", group_stopped)

    # Starting the group starts every child; nobody asks the group to stop:
    # the ticker does, by stopping.
    group.startup_sync()
    group.wait_for_shutdown_sync()

    # The status of a group: the status of each child, by name.
    status = group.status_sync()
    print(f"status: {status}")

    ok = (all(worker.get_state() == Fluid.WorkerState.STOPPED
              for worker in (group, ticker, printer))
          and reasons == ["child ticker stopped: normal shutdown"]
          and printed == list(range(1, N_TICKS + 1))
          and status["printer"]["discarded"] == 0)
    if not ok:
        print(f"unexpected: {ticks} ticks, {printed} printed, reasons {reasons}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
