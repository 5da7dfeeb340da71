#!/usr/bin/python3
# supervisor.py: a service whose flaky child is restarted, in Python
#
# The Python port of supervisor.c, with asyncio on the GLib main loop: a
# group, "service", supervises "indexer", which crashes at random a few
# times a second, and "web", which is steady, as an OTP supervisor would
# (ONE_FOR_ONE). Each crash is an exception raised in the indexer's run;
# the group replaces the indexer with a new one from its factory, after a
# short backoff, and the web server goes on. Every second the program
# prints the group's status; after FLUID_DEMO_SECONDS (5 by default) the
# service shuts down.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import os
import random

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid  # noqa: E402


class Indexer(Fluid.Worker):
    async def run(self):
        while self.is_running():
            if random.randrange(10) == 0:
                raise ValueError("corrupt document")
            await self.sleep(0.05)


class Web(Fluid.Worker):
    async def run(self):
        while self.is_running():
            await self.sleep(0.2)


async def print_status(service):
    status = await service.status()
    print("status:")
    for name, child in status.items():
        state = "running" if child["running"] else "stopped"
        print(f"  {name:<8} {state:<8} restarts {child['restarts']}")


async def main():
    service = Fluid.Workers(name="service",
                            restart_strategy=Fluid.RestartStrategy.ONE_FOR_ONE,
                            max_restarts=100, max_restarts_period=5.0,
                            restart_delay=0.05, restart_delay_max=1.0)
    service.add_child(Fluid.Restart.PERMANENT, lambda group: Indexer(name="indexer"))
    service.add_child(Fluid.Restart.PERMANENT, lambda group: Web(name="web"))
    service.connect("child-restarted", lambda group, old, new: print(
        f"{new.worker_name} restarted after: {old.get_stop_reason()}"))

    async with service:
        for _ in range(int(os.environ.get("FLUID_DEMO_SECONDS", "5"))):
            await asyncio.sleep(1)
            await print_status(service)
    print(f"service {service.worker_state}, exit code {service.get_exit_code()}: "
          f"{service.get_stop_reason()}")
    return service.get_exit_code()


if __name__ == "__main__":
    Fluid.install_asyncio()
    raise SystemExit(asyncio.run(main()))
