# test_daemon.py: workers as daemons (1.2) from Python through
# GObject-Introspection alone: Fluid.Worker.run_main(),
# Fluid.Worker.hold_application(), and Fluid.Worker.export() read by a
# client on a bus of the test's own (Gio.TestDBus)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import shutil
import signal
import unittest

from fluidtest import TestCase, finish

from gi.repository import Fluid, Gio, GLib


def stop_after(n):
    """A WorkerFunction body that stops its worker after n calls."""
    calls = []

    def body(worker):
        calls.append(worker)
        if len(calls) == n:
            worker.gracefully_stop()

    return body, calls


class TestRunMain(TestCase):
    def setUp(self):
        for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            os.environ.pop(name, None)

    def test_exit_codes(self):
        body, calls = stop_after(3)
        worker = Fluid.WorkerFunction.new(0.0, body)
        self.assertEqual(worker.run_main(), 0)
        self.assertEqual(len(calls), 3)
        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)

        def fail(worker):
            worker.fail(GLib.Error.new_literal(Gio.io_error_quark(), "no",
                                               Gio.IOErrorEnum.FAILED))

        failing = Fluid.WorkerFunction.new(0.0, fail)
        self.assertEqual(failing.run_main(), 2)
        self.assertEqual(failing.get_stop_reason(), "no")

    def test_python_keeps_its_sigint(self):
        # run_main handles SIGINT while it runs, and gives it back to
        # Python after: Ctrl-C raises KeyboardInterrupt again.
        body, calls = stop_after(1)
        Fluid.WorkerFunction.new(0.0, body).run_main()
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)
        with self.assertRaises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            # The handler runs between two bytecodes.
            for _ in range(1000):
                pass

    def test_hold_application(self):
        app = Gio.Application.new(None, Gio.ApplicationFlags.NON_UNIQUE)
        body, calls = stop_after(5)
        worker = Fluid.WorkerFunction.new(0.01, body)

        def activate(app):
            worker.hold_application(app)
            worker.startup_async(None, None)

        app.connect("activate", activate)
        self.assertEqual(app.run([]), 0)
        # The application ran until the worker stopped.
        self.assertTrue(worker.is_stopped())
        self.assertEqual(len(calls), 5)


@unittest.skipIf(shutil.which("dbus-daemon") is None, "dbus-daemon not installed")
class TestExport(TestCase):
    PATH = "/org/gnome/Fluid/Test/worker"

    def setUp(self):
        self.bus = Gio.TestDBus.new(Gio.TestDBusFlags.NONE)
        self.bus.up()
        address = self.bus.get_bus_address()
        flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                 | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.service = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
        self.client = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)

    def tearDown(self):
        self.client.close_sync(None)
        self.service.close_sync(None)
        self.bus.down()

    def call(self, interface, method, parameters=None, reply_type=None):
        # The service answers from this context: iterate it meanwhile.
        results = []
        self.client.call(self.service.get_unique_name(), self.PATH, interface, method,
                         parameters, reply_type, Gio.DBusCallFlags.NONE, -1, None,
                         lambda conn, res: results.append(res))
        self.iterate_until(lambda: results, method)
        return self.client.call_finish(results[0]).unpack()

    def get(self, interface, name):
        return self.call("org.freedesktop.DBus.Properties", "Get",
                         GLib.Variant("(ss)", (interface, name)))[0]

    def test_export_and_control(self):
        worker = Fluid.WorkerFunction(lambda: None, heartbeat=3600.0, name="pyworker")
        self.assertTrue(worker.export(self.service, self.PATH))
        self.assertEqual(self.get("org.gnome.Fluid.Worker1", "Name"), "pyworker")
        self.assertEqual(self.get("org.gnome.Fluid.Worker1", "State"), "init")

        finish(worker, "startup")
        self.assertEqual(self.get("org.gnome.Fluid.Worker1", "State"), "running")
        self.assertEqual(self.call("org.gnome.Fluid.Worker1", "Shutdown"), (0,))
        self.assertEqual(self.get("org.gnome.Fluid.Worker1", "StopReason"), "normal shutdown")
        worker.unexport()

    def test_authorize_method(self):
        worker = Fluid.WorkerFunction.new(3600.0, lambda w: None)
        seen = []

        def authorize(worker, target, invocation, uid):
            seen.append((target, invocation.get_method_name(), uid))
            return False

        worker.connect("authorize-method", authorize)
        worker.export(self.service, self.PATH)
        finish(worker, "startup")
        with self.assertRaises(GLib.Error) as raised:
            self.call("org.gnome.Fluid.Worker1", "Stop")
        self.assertEqual(Gio.DBusError.get_remote_error(raised.exception),
                         "org.freedesktop.DBus.Error.AccessDenied")
        self.assertEqual(seen, [(worker, "Stop", os.geteuid())])
        self.assertTrue(worker.is_running())
        finish(worker, "shutdown")
        worker.unexport()


if __name__ == "__main__":
    unittest.main()
