#!/usr/bin/python3
# test-gtk-workers.py: gtk_workers.py, driven, and what its list shows
#
# The example is imported, and its application run by this test through its
# run(), with asyncio on the GLib main loop; the test reads its window: the
# labels of the rows of its Gtk.ListView, which must say of every child of
# the group what the group says (name, state, restarts), after a child was
# made to fail and was replaced (the replacement enters in INIT and runs
# after), and after the group gave up; closing the window then ends the
# application, with status 0, or 1 when the group failed, and leaves no
# task behind. Run under Xvfb; every wait is for a condition, checked at
# each idle of the application's main loop.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import gc
import unittest

import gi

gi.require_version("Fluid", "1.0")
gi.require_version("Gtk", "4.0")
from gi.repository import Fluid, GLib, Gtk  # noqa: E402

import gtk_workers  # noqa: E402

# Not a wait: a test still at a step after this long has failed.
GUARD_SECONDS = 20


def row_text(app, name):
    row = app.list_view.get_first_child()
    while row is not None:
        label = row.get_first_child()
        if isinstance(label, Gtk.Label) and row.get_visible() \
                and label.get_label().startswith(f"{name} — "):
            return label.get_label()
        row = row.get_next_sibling()
    return None


def rows_are_true(app):
    """Whether a row shows each child as the group has it now."""
    children = list(app.group)
    return len(children) == 4 and all(
        row_text(app, child.get_name()) ==
        f"{child.get_name()} — {child.get_state().value_nick}, "
        f"restarts {app.group.get_child_restarts(position)}"
        for position, child in enumerate(children))


def all_running(app):
    return app.group.is_running() and all(child.is_running() for child in app.group)


class Driver:
    """Fails the first child, with the group made to give up at once when
    give_up, and closes the window once the rows show what followed."""

    def __init__(self, app, give_up):
        self.app = app
        self.give_up = give_up
        self.step = "wait for every child running"
        self.failed = None
        app.connect_after("activate", self.start)

    def start(self, app):
        GLib.idle_add(self.drive, priority=GLib.PRIORITY_LOW)
        self.guard = GLib.timeout_add_seconds(GUARD_SECONDS, self.give_up_waiting)

    def give_up_waiting(self):
        self.guard = 0
        self.app.quit()
        return GLib.SOURCE_REMOVE

    def drive(self):
        app = self.app
        if self.step == "wait for every child running":
            if not all_running(app) or not rows_are_true(app):
                return GLib.SOURCE_CONTINUE
            if self.give_up:
                app.group.set_max_restarts(0)
            self.failed = app.group.get_item(0)
            self.failed.fail(GLib.Error.new_literal(Fluid.worker_error_quark(), "made to fail",
                                                    Fluid.WorkerError.FAILED))
            self.step = "wait for the group to give up" if self.give_up \
                else "wait for the replacement"
            return GLib.SOURCE_CONTINUE
        if self.step == "wait for the replacement":
            first = app.group.get_item(0)
            if first == self.failed or not first.is_running() \
                    or app.group.get_child_restarts(0) == 0 or not rows_are_true(app):
                return GLib.SOURCE_CONTINUE
        elif self.step == "wait for the group to give up":
            if not app.group.is_stopped() or not rows_are_true(app):
                return GLib.SOURCE_CONTINUE
        self.step = "closing"
        app.window.close()
        return GLib.SOURCE_REMOVE


class TestGtkWorkers(unittest.TestCase):
    def run_example(self, give_up):
        app = gtk_workers.WorkersApplication()
        driver = Driver(app, give_up)
        status = gtk_workers.run(app, ["gtk-workers"])
        if driver.guard:
            GLib.source_remove(driver.guard)
        self.assertEqual(driver.step, "closing",
                         f"still at {driver.step!r} after {GUARD_SECONDS} s")
        # The coroutines the handlers started are done, none with an
        # exception nobody retrieved.
        for task in (app._starting, app._closing):
            self.assertTrue(task.done())
            self.assertIsNone(task.exception())
        gc.collect()
        return status, app.group

    def test_rows_follow_restarts(self):
        status, group = self.run_example(give_up=False)
        self.assertEqual(status, 0)
        self.assertEqual(group.get_exit_code(), Fluid.EXIT_CODE_NORMAL)

    def test_close_after_failure(self):
        status, group = self.run_example(give_up=True)
        self.assertEqual(status, 1)
        self.assertEqual(group.get_exit_code(), Fluid.EXIT_CODE_ERROR)


if __name__ == "__main__":
    unittest.main()
