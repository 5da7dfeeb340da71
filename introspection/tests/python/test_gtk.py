# test_gtk.py: GTK 4 keeps working in a process whose asyncio runs on the
# GLib main context (Fluid.install_asyncio()): a window maps, its signal
# handlers run and a worker's coroutine runs, all in one asyncio.run().
# Run under Xvfb (xvfb-run) by Meson; skipped without GTK 4 or a display.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import os
import sys
import unittest

import fluidtest

import gi

try:
    gi.require_version("Gtk", "4.0")
    from gi.repository import Gtk
except (ImportError, ValueError):
    Gtk = None

from gi.repository import Fluid, GLib  # noqa: E402


class Ticker(Fluid.Worker):
    async def run(self):
        self.ticks = 0
        while self.is_running():
            self.ticks += 1
            await self.sleep(0.001)


@unittest.skipIf(Gtk is None or not os.environ.get("DISPLAY"), "GTK 4 or a display missing")
class TestGtk(unittest.TestCase):
    def test_window_and_worker_share_the_loop(self):
        self.assertTrue(Gtk.init_check())

        async def body():
            mapped = asyncio.get_running_loop().create_future()
            window = Gtk.Window(title="fluid")
            window.connect("map", lambda w: mapped.done() or mapped.set_result(True))
            async with Ticker() as ticker:
                window.present()
                await asyncio.wait_for(mapped, fluidtest.GUARD_SECONDS)
                # The worker went on while GTK drew.
                while ticker.ticks < 3:
                    await asyncio.sleep(0.001)
                window.destroy()
            self.assertTrue(ticker.is_stopped())

        for attempt in range(2):  # a second asyncio.run() too
            asyncio.run(body())


if __name__ == "__main__":
    Fluid.install_asyncio()
    if Gtk is None:
        print("GTK 4 (gir1.2-gtk-4.0) not found", file=sys.stderr)
    unittest.main()
