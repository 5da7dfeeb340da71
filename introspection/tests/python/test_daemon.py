# test_daemon.py: workers as daemons (1.2) from Python through
# GObject-Introspection alone: Fluid.Worker.run_main(),
# Fluid.Worker.hold_application(), and Fluid.Worker.export() read by a
# client on a bus of the test's own (Gio.TestDBus): one worker, and a
# group's tree through Gio.DBusObjectManagerClient
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import shutil
import signal
import sys
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


class BusTestCase(TestCase):
    """A service and a client connection to a bus of the test's own."""

    PATH = None

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


@unittest.skipIf(shutil.which("dbus-daemon") is None, "dbus-daemon not installed")
class TestExport(BusTestCase):
    PATH = "/org/gnome/Fluid/Test/worker"

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


def noop_message(consumer, message):
    pass


def ticking(name):
    return Fluid.WorkerFunction.new_named(name, 3600.0, lambda w: None)


@unittest.skipIf(shutil.which("dbus-daemon") is None, "dbus-daemon not installed")
class TestTree(BusTestCase):
    """A group exported from Python, read whole by a client's
    Gio.DBusObjectManagerClient."""

    PATH = "/org/gnome/Fluid/Test/tree"

    def setUp(self):
        super().setUp()
        self.events = []
        self.manager = None
        # PyGObject prints an exception raised in a signal handler or a
        # factory called from C, through sys.excepthook, and goes on: the
        # test keeps them and fails on the first.
        self.caught = []
        self.excepthook = sys.excepthook
        sys.excepthook = lambda *exc_info: self.caught.append(exc_info)

    def tearDown(self):
        sys.excepthook = self.excepthook
        self.manager = None
        super().tearDown()

    def iterate_until(self, condition, what="condition"):
        super().iterate_until(lambda: self.caught or condition(), what)
        if self.caught:
            raise self.caught[0][1]

    def manage(self):
        results = []
        Gio.DBusObjectManagerClient.new(self.client, Gio.DBusObjectManagerClientFlags.NONE,
                                        self.service.get_unique_name(), self.PATH,
                                        None, None, None,
                                        lambda source, res: results.append(res))
        self.iterate_until(lambda: results, "the object manager client")
        self.manager = Gio.DBusObjectManagerClient.new_finish(results[0])
        self.manager.connect("object-added",
                             lambda m, o: self.events.append("+" + self.relative(o)))
        self.manager.connect("object-removed",
                             lambda m, o: self.events.append("-" + self.relative(o)))
        # The group itself is not one of its manager's objects: a proxy.
        results.clear()
        Gio.DBusProxy.new(self.client, Gio.DBusProxyFlags.NONE, None,
                          self.service.get_unique_name(), self.PATH,
                          "org.gnome.Fluid.Workers1", None,
                          lambda source, res: results.append(res))
        self.iterate_until(lambda: results, "the group's proxy")
        self.group_proxy = Gio.DBusProxy.new_finish(results[0])

    def relative(self, obj):
        return obj.get_object_path()[len(self.PATH):]

    def tree(self):
        """{relative path: sorted interface names}"""
        return {self.relative(obj): sorted(i.get_interface_name() for i in obj.get_interfaces()
                                           if i.get_interface_name().startswith("org.gnome."))
                for obj in self.manager.get_objects()}

    def prop(self, relative_path, interface, name):
        proxy = self.manager.get_interface(self.PATH + relative_path, interface)
        value = proxy.get_cached_property(name) if proxy is not None else None
        return value.unpack() if value is not None else None

    def restarts(self):
        value = self.group_proxy.get_cached_property("Restarts")
        return value.unpack() if value is not None else None

    def test_tree(self):
        group = Fluid.Workers(name="tree", restart_strategy=Fluid.RestartStrategy.ONE_FOR_ONE)
        made = []

        def make_crashy(group):
            made.append(ticking("crashy"))
            return made[-1]

        group.add_child(Fluid.Restart.PERMANENT, make_crashy)
        reader = Fluid.QueueConsumerWorker.new(noop_message)
        group.add_worker(reader)
        nested = Fluid.Workers(name="sub group")
        nested.add_worker(ticking("x"))
        group.add_worker(nested)
        self.assertTrue(group.export(self.service, self.PATH))
        self.manage()

        worker1 = ["org.gnome.Fluid.Worker1"]
        reader_path = "/" + Gio.dbus_escape_object_path(reader.get_name())
        self.assertEqual(self.tree(), {
            "/crashy": worker1,
            reader_path: ["org.gnome.Fluid.Consumer1", "org.gnome.Fluid.Worker1"],
            "/sub_20group": ["org.gnome.Fluid.Worker1", "org.gnome.Fluid.Workers1"],
            "/sub_20group/x": worker1,
        })
        self.assertEqual(self.prop("/sub_20group/x", "org.gnome.Fluid.Worker1", "Name"), "x")
        self.assertEqual(self.prop("/sub_20group/x", "org.gnome.Fluid.Worker1", "State"), "init")
        self.assertEqual(self.group_proxy.get_cached_property("RestartStrategy").unpack(),
                         "one-for-one")
        self.assertEqual(self.restarts(), {"crashy": 0, reader.get_name(): 0, "sub group": 0})
        self.assertEqual(self.prop("/sub_20group", "org.gnome.Fluid.Workers1", "Restarts"),
                         {"x": 0})

        # States and counters follow, through PropertiesChanged.
        finish(group, "startup")
        self.iterate_until(lambda: self.prop("/sub_20group/x", "org.gnome.Fluid.Worker1",
                                             "State") == "running", "x running")
        for text in ("a", "b", "c"):
            reader.send(text)
        self.iterate_until(lambda: self.prop(reader_path, "org.gnome.Fluid.Consumer1",
                                             "Processed") == 3, "Processed 3")

        # A crash: the replacement takes the path, Restarts counts it.
        made[0].fail(GLib.Error.new_literal(Gio.io_error_quark(), "crash",
                                            Gio.IOErrorEnum.FAILED))
        self.iterate_until(lambda: (self.restarts() or {}).get("crashy") == 1, "Restarts")
        self.iterate_until(lambda: self.events == ["-/crashy", "+/crashy"], "the replacement")
        self.iterate_until(lambda: self.prop("/crashy", "org.gnome.Fluid.Worker1",
                                             "State") == "running", "crashy running again")

        # A child joins, then leaves when stopped through the tree.
        self.events.clear()
        group.add_child(Fluid.Restart.TEMPORARY, lambda group: ticking("late"))
        self.iterate_until(lambda: self.prop("/late", "org.gnome.Fluid.Worker1",
                                             "State") == "running", "late running")
        self.assertEqual(self.events, ["+/late"])
        late = self.manager.get_interface(self.PATH + "/late", "org.gnome.Fluid.Worker1")
        results = []
        late.call("Stop", None, Gio.DBusCallFlags.NONE, -1, None,
                  lambda proxy, res: results.append(res))
        self.iterate_until(lambda: results, "Stop")
        late.call_finish(results[0])
        self.iterate_until(lambda: "/late" not in self.tree(), "late gone")
        self.assertEqual(self.events, ["+/late", "-/late"])
        self.iterate_until(lambda: "late" not in self.restarts(), "Restarts without late")

        # Shutdown of the whole group, through the group's own path.
        self.events.clear()
        self.assertEqual(self.call("org.gnome.Fluid.Worker1", "Shutdown"), (0,))
        self.iterate_until(lambda: self.prop("/sub_20group/x", "org.gnome.Fluid.Worker1",
                                             "State") == "stopped", "x stopped")
        self.assertEqual(self.prop("/sub_20group/x", "org.gnome.Fluid.Worker1", "ExitCode"), 0)
        self.assertTrue(group.is_stopped())

        # Unexported: every object leaves.
        group.unexport()
        self.iterate_until(lambda: not self.tree(), "an empty tree")
        self.assertEqual(sorted(self.events), sorted(["-/crashy", "-" + reader_path,
                                                      "-/sub_20group", "-/sub_20group/x"]))
        self.assertEqual(self.caught, [])


if __name__ == "__main__":
    unittest.main()
