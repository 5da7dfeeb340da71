#!/usr/bin/python3
# simple_worker.py: the SimpleWorker of the aio-fluid tutorial, in Python
#
# A worker that prints its name and state every second until it is told to
# stop gracefully, five seconds (FLUID_DEMO_SECONDS) after it started.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid, GLib  # noqa: E402


class SimpleWorker(Fluid.Worker):
    def run(self):
        while self.is_running():
            self.print_message()
            yield 1  # await asyncio.sleep(1)

    def print_message(self):
        print(f"Hello from {self.worker_name} in state {self.worker_state.value_nick}")


def main():
    worker = SimpleWorker()
    worker.print_message()
    worker.startup_sync()
    seconds = float(os.environ.get("FLUID_DEMO_SECONDS", 5))
    GLib.timeout_add(int(seconds * 1000), worker.gracefully_stop)
    worker.wait_for_shutdown_sync()
    worker.print_message()


if __name__ == "__main__":
    main()
