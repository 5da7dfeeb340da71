#!/usr/bin/python3
# countdown.py: a worker written in asyncio, on the GLib main loop
#
# A Fluid.Worker subclass whose run is a coroutine: it prints a line per
# tick, counting down, and stops itself at zero. `await self.sleep()` is
# the worker's own sleep, which a stop ends at once.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid  # noqa: E402


class Countdown(Fluid.Worker):
    def __init__(self, start, tick, **kwargs):
        super().__init__(**kwargs)
        self.left = start
        self.tick = tick

    async def run(self):
        while self.is_running():
            print(f"{self.worker_name}: {self.left} ({self.worker_state})")
            if self.left == 0:
                self.gracefully_stop()
                continue
            self.left -= 1
            await self.sleep(self.tick)


async def main():
    # name and stopping_grace_period, as for every worker of the library.
    countdown = Countdown(3, 0.1, name="countdown", stopping_grace_period=1)
    print(f"{countdown.worker_name} is {countdown.worker_state}")
    await countdown.startup()
    await countdown.wait_for_shutdown()
    print(f"{countdown.worker_name} is {countdown.worker_state}")


if __name__ == "__main__":
    Fluid.install_asyncio()
    asyncio.run(main())
