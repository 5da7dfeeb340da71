#!/usr/bin/python3
# gtk_workers.py: a window that lists the children of a supervised group, in Python
#
# The Python port of gtk-workers.c, with asyncio. A Fluid.Workers group,
# "workers", restarts its children one for one: three flaky workers, whose
# `async def run` raises at random about every two seconds, and a steady
# one. A Fluid.Workers is a Gio.ListModel of its children, so a
# Gtk.ListView shows it as it is, a row per child: its name, its state and
# how many times it was restarted.
#
# Two things keep a row true. A replacement takes the place of the child it
# replaces (items-changed with one removed and one added), so GTK binds the
# row again, to the new child; and the new child is added in INIT and
# started after, so a row follows notify::state of its child for as long as
# it is bound to it, rather than reading the state once.
#
# GTK and asyncio in one program: Fluid.install_asyncio() makes asyncio run
# on the GLib main context, and run() below runs the application with
# asyncio's loop running (on PyGObject 3.50 and later, Gio.Application.run()
# does; before, gbulb's loop runs the application), so that GTK's signal
# handlers start coroutines with asyncio.ensure_future().
#
# Closing the window shuts the group down first, awaiting shutdown(), and
# then closes it, also when the group has failed (it gave up restarting a
# child too often): shutdown() then raises why, which the program prints
# before it exits with status 1. A close-request handler returns at once:
# the coroutine it starts closes the window, whatever shutdown() does.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import random
import sys

import gi

gi.require_version("Fluid", "1.0")
gi.require_version("Gio", "2.0")
gi.require_version("Gtk", "4.0")
from gi.repository import Fluid, Gio, GLib, Gtk  # noqa: E402


class Flaky(Fluid.Worker):
    async def run(self):
        while self.is_running():
            if random.randrange(8) == 0:
                raise ConnectionError(f"{self.worker_name} lost its connection")
            await self.sleep(0.25)


class Steady(Fluid.Worker):
    async def run(self):
        while self.is_running():
            await self.sleep(1)


def make_group():
    """The group, and its factories: at the start, and for each
    replacement, which keeps the name of the child it replaces."""
    group = Fluid.Workers(name="workers", restart_strategy=Fluid.RestartStrategy.ONE_FOR_ONE,
                          max_restarts=20, max_restarts_period=10.0)
    for name in ("flaky-1", "flaky-2", "flaky-3"):
        group.add_child(Fluid.Restart.PERMANENT, lambda group, name=name: Flaky(name=name))
    group.add_child(Fluid.Restart.PERMANENT, lambda group: Steady(name="steady"))
    return group


class WorkersApplication(Gtk.Application):
    def __init__(self):
        super().__init__(application_id="org.gnome.Fluid.Example.GtkWorkers",
                         flags=Gio.ApplicationFlags.NON_UNIQUE)
        self.group = make_group()
        self.window = None
        self.list_view = None
        self.status = 0
        # The tasks the handlers start: asyncio keeps no reference to them.
        self._starting = None
        self._closing = None

    def do_activate(self):
        if self.window is not None:
            self.window.present()
            return

        factory = Gtk.SignalListItemFactory()
        factory.connect("setup", self._setup_row)
        factory.connect("bind", self._bind_row)
        factory.connect("unbind", self._unbind_row)
        # The group itself is the list's model.
        self.list_view = Gtk.ListView(model=Gtk.NoSelection(model=self.group), factory=factory)

        self.window = Gtk.ApplicationWindow(application=self, title="Workers",
                                            default_width=360, default_height=220)
        self.window.set_titlebar(Gtk.HeaderBar())
        self.window.set_child(Gtk.ScrolledWindow(child=self.list_view))
        self.window.connect("close-request", self._on_close_request)
        self.window.present()

        self._starting = asyncio.ensure_future(self.group.startup())

    # The rows

    def _setup_row(self, factory, list_item):
        list_item.set_child(Gtk.Label(xalign=0, margin_start=12, margin_end=12,
                                      margin_top=6, margin_bottom=6))

    def _bind_row(self, factory, list_item):
        # From bind to unbind, the row follows its child's state.
        list_item.state_handler = list_item.get_item().connect(
            "notify::state", lambda worker, pspec: self._update_row(list_item))
        self._update_row(list_item)

    def _unbind_row(self, factory, list_item):
        list_item.get_item().disconnect(list_item.state_handler)

    def _update_row(self, list_item):
        """"flaky-1 — running, restarts 2": the child the row is bound to,
        as it is now."""
        worker = list_item.get_item()
        restarts = self.group.get_child_restarts(list_item.get_position())
        list_item.get_child().set_label(
            f"{worker.worker_name} — {worker.get_state().value_nick}, restarts {restarts}")

    # Closing

    def _on_close_request(self, window):
        # The window stays until the group has stopped.
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._shut_down_and_close())
        return True

    async def _shut_down_and_close(self):
        try:
            await self.group.shutdown()
        except Exception as error:
            # What stopped the group, if it failed: raised again here.
            print(f"{self.group.worker_name} failed: {error}", file=sys.stderr)
            self.status = 1
        self.window.destroy()


def run(app, argv):
    """Runs app with asyncio's loop running on the GLib main context, and
    returns its status."""
    Fluid.install_asyncio()
    try:
        import gi.events  # noqa: F401  PyGObject 3.50 and later
    except ImportError:
        # gbulb's loop, which runs the application's main loop in place of
        # its own; made for the application, not through the policy, which
        # would keep the application for every loop made after.
        from gbulb.glib_events import GLibEventLoop

        loop = GLibEventLoop(context=GLib.MainContext.default(), application=app)
        loop.set_argv(argv)
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            asyncio.set_event_loop(None)
            loop.close()
        return app.status
    status = app.run(argv)
    return status if status != 0 else app.status


if __name__ == "__main__":
    sys.exit(run(WorkersApplication(), sys.argv))
