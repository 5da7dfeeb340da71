# hello.py: a first Python program against an installed libfluid-glib.
#
# A worker that says hello three times, a third of a second apart, then
# stops itself gracefully; asyncio runs on the GLib main context.
# Run it as the chapter "Installing and building against libfluid-glib"
# says: python3 hello.py
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import sys

import gi

gi.require_version("Fluid", "1.0")

from gi.repository import Fluid  # noqa: E402


class Hello(Fluid.Worker):
    async def run(self):
        for count in range(1, 4):
            print(f"Hello {count} from {self.worker_name}")
            await self.sleep(0.3)
        self.gracefully_stop()


async def main():
    print(f"libfluid-glib {Fluid.MAJOR_VERSION}.{Fluid.MINOR_VERSION}.{Fluid.MICRO_VERSION}")
    worker = Hello(name="hello")
    await worker.startup()
    await worker.wait_for_shutdown()
    return worker.get_exit_code()


if __name__ == "__main__":
    Fluid.install_asyncio()
    sys.exit(asyncio.run(main()))
