# test_override.py: the PyGObject override (introspection/Fluid.py)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import unittest

from fluidtest import TestCase, finish, iterate_until

from gi.repository import Fluid, Gio, GLib


class SimpleWorker(Fluid.Worker):
    """The SimpleWorker of the aio-fluid tutorial, with the override."""

    def run(self):
        while self.is_running():
            self.print_message()
            yield 1

    def print_message(self):
        self.messages = getattr(self, "messages", [])
        self.messages.append(
            f"Hello from {self.worker_name} in state {self.worker_state.value_nick}")


class PlainWorker(Fluid.Worker):
    heartbeat = 0.01

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0
        self.hooks = []

    def on_startup(self):
        self.hooks.append("startup")

    def run(self):
        self.calls += 1

    def on_shutdown(self):
        self.hooks.append("shutdown")


class RaisingWorker(Fluid.Worker):
    def run(self):
        yield
        raise ValueError("bad value")


class GErrorWorker(Fluid.Worker):
    def run(self):
        raise GLib.Error.new_literal(Gio.io_error_quark(), "no space", Gio.IOErrorEnum.NO_SPACE)


class SleepyWorker(Fluid.Worker):
    """Sleeps an hour per iteration; records what the yield gave back and
    whether its finally block ran."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.slept = []
        self.cleaned_up = False

    def run(self):
        try:
            while self.is_running():
                self.slept.append((yield 3600))
        finally:
            self.cleaned_up = True


class IgnoringWorker(Fluid.Worker):
    """Ignores the stop request and the cancellation: only force ends it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.cancelled = False

    def run(self):
        while True:
            try:
                yield 3600
            except GLib.Error as error:
                self.cancelled = error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
                raise


class TestOverride(TestCase):
    def test_simple_worker(self):
        worker = SimpleWorker()
        worker.print_message()
        worker.startup_sync()
        iterate_until(lambda: len(worker.messages) == 2, "the first message")
        GLib.idle_add(worker.gracefully_stop)
        worker.wait_for_shutdown_sync()
        worker.print_message()
        self.assertEqual(worker.messages, [
            "Hello from simple_worker in state init",
            "Hello from simple_worker in state running",
            "Hello from simple_worker in state stopped",
        ])

    def test_plain_run_and_hooks(self):
        worker = PlainWorker()
        with worker:
            self.assertTrue(worker.is_running())
            iterate_until(lambda: worker.calls >= 3, "three calls")
        self.assertEqual(worker.worker_state, Fluid.WorkerState.STOPPED)
        self.assertEqual(worker.hooks, ["startup", "shutdown"])

    def test_context_manager_on_error_in_body(self):
        worker = PlainWorker()
        with self.assertRaises(KeyError):
            with worker:
                raise KeyError("body")
        self.assertTrue(worker.is_stopped())

    def test_python_exception(self):
        worker = RaisingWorker()
        stopped = []
        worker.connect("stopped", lambda w, reason, code: stopped.append((reason, code)))
        worker.startup_sync()
        with self.assertRaises(ValueError) as caught:
            worker.wait_for_shutdown_sync()
        self.assertEqual(str(caught.exception), "bad value")
        self.assertIsInstance(caught.exception.__cause__, GLib.Error)
        self.assertTrue(caught.exception.__cause__.matches(
            Fluid.worker_error_quark(), Fluid.WorkerError.FAILED))
        self.assertEqual(stopped, [("ValueError: bad value", Fluid.EXIT_CODE_ERROR)])

    def test_gerror(self):
        worker = GErrorWorker()
        worker.startup_sync()
        with self.assertRaises(GLib.Error) as caught:
            worker.shutdown_sync()
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NO_SPACE))

    def test_stop_ends_the_sleep(self):
        worker = SleepyWorker()
        worker.startup_sync()
        self.assertTrue(worker.shutdown_sync())
        self.assertEqual(worker.worker_state, Fluid.WorkerState.STOPPED)
        self.assertEqual(worker.slept, [False])
        self.assertTrue(worker.cleaned_up)

    def test_force_stop(self):
        worker = IgnoringWorker(stopping_grace_period=0.05)
        worker.startup_sync()
        worker.gracefully_stop()
        self.assertTrue(worker.shutdown_sync())
        self.assertEqual(worker.get_state(), Fluid.WorkerState.FORCE_STOPPED)
        self.assertTrue(worker.cancelled)

    def test_second_startup(self):
        with SimpleWorker() as worker:
            with self.assertRaises(GLib.Error) as caught:
                worker.startup_sync()
            self.assertTrue(caught.exception.matches(
                Fluid.worker_error_quark(), Fluid.WorkerError.ALREADY_STARTED))
            self.assertTrue(worker.is_running())

    def test_status_and_names(self):
        worker = SleepyWorker(name="sleepy")
        self.assertEqual(worker.worker_name, "sleepy")
        self.assertEqual(worker.num_workers, 1)
        self.assertEqual(worker.status_sync(), {"running": False, "stopping": False})
        with worker:
            self.assertEqual(worker.status_sync(), {"running": True, "stopping": False})

    def test_sleep_sync(self):
        worker = SleepyWorker()
        with worker:
            GLib.idle_add(worker.gracefully_stop)
            self.assertFalse(worker.sleep_sync(3600))

    def test_worker_function_helpers(self):
        calls = []
        worker = Fluid.WorkerFunction.new(0.01, lambda w: calls.append(1))
        with worker:
            iterate_until(lambda: len(calls) >= 2, "two calls")
        self.assertEqual(worker.worker_state, Fluid.WorkerState.STOPPED)

    def test_worker_function_as_in_aio_fluid(self):
        calls = []
        worker = Fluid.WorkerFunction(lambda w: calls.append(w), heartbeat=0.01, name="ticker")
        self.assertIsInstance(worker, Fluid.WorkerFunction)
        self.assertEqual(worker.worker_name, "ticker")
        self.assertEqual(worker.get_heartbeat(), 0.01)
        with worker:
            iterate_until(lambda: len(calls) >= 2, "two calls")
        self.assertIs(calls[0], worker)
        self.assertEqual(worker.worker_state, Fluid.WorkerState.STOPPED)

        unnamed = Fluid.WorkerFunction(lambda w: None)
        self.assertEqual(unnamed.worker_name, "fluid_worker_function")
        self.assertEqual(unnamed.get_heartbeat(), 0.0)

        # Without a function, the GObject way: properties only.
        idle = Fluid.WorkerFunction(name="idle", heartbeat=2.0)
        self.assertEqual(idle.worker_name, "idle")
        self.assertEqual(idle.get_heartbeat(), 2.0)

        graced = Fluid.WorkerFunction(lambda w: None, stopping_grace_period=1.5)
        self.assertEqual(graced.get_stopping_grace_period(), 1.5)
        with self.assertRaises(TypeError):
            Fluid.WorkerFunction(lambda w: None, drain_on_stop=True)

    def test_explicit_vfuncs_still_win(self):
        class Explicit(Fluid.Worker):
            def run(self):
                raise AssertionError("not called")

            def do_run_async(self, cancellable, callback, user_data):
                Gio.Task.new(self, cancellable, callback).return_boolean(True)

            def do_run_finish(self, result):
                return result.propagate_boolean()

        worker = Explicit()
        worker.startup_sync()
        self.assertTrue(worker.wait_for_shutdown_sync())


class Receiver(Fluid.QueueConsumer):
    """A generator run taking messages with yield self.receive()."""

    def __init__(self):
        super().__init__()
        self.received = []

    def run(self):
        while self.is_running():
            message = yield self.receive(timeout=5)
            if message is None:
                continue
            if message == "stop":
                return
            self.received.append(message)


class TestQueueConsumerOverride(TestCase):
    def test_receive_any_python_value(self):
        worker = Receiver()
        payload = object()
        with worker:
            for message in ("text", 42, payload):
                worker.send(message)
            iterate_until(lambda: len(worker.received) == 3, "three messages")
        self.assertEqual(worker.received[:2], ["text", 42])
        self.assertIs(worker.received[2], payload)

    def test_return_at_sentinel(self):
        worker = Receiver()
        worker.startup_sync()
        worker.send("one")
        worker.send("stop")
        self.assertTrue(worker.wait_for_shutdown_sync())
        self.assertEqual(worker.received, ["one"])


class Orders(Fluid.Dispatcher):
    """aio-fluid's spelling: a Dispatcher subclass with event_type."""

    def event_type(self, message):
        return message["type"]


class Jobs(Fluid.AsyncDispatcher):
    """The same for an AsyncDispatcher; None: no handler is called."""

    def event_type(self, message):
        return message[0] if isinstance(message, tuple) else None


class TestDispatcherOverride(TestCase):
    def test_dispatcher_event_type(self):
        dispatcher = Orders()
        calls = []
        dispatcher.register_handler("add", lambda message: calls.append(message["n"]))
        dispatcher.register_handler("add.log", lambda message: calls.append(-message["n"]))
        self.assertEqual(dispatcher.get_event_type({"type": "add"}), "add")
        self.assertEqual(dispatcher.event_type({"type": "add"}), "add")
        self.assertEqual(dispatcher.dispatch({"type": "add", "n": 1}), 2)
        self.assertEqual(dispatcher.dispatch({"type": "other", "n": 2}), 0)
        self.assertEqual(calls, [1, -1])
        self.assertIsInstance(dispatcher, Fluid.BaseDispatcher)
        self.assertTrue(dispatcher.unregister_handler("add.log"))
        self.assertEqual(dispatcher.get_n_handlers("add"), 1)

    def test_async_dispatcher_event_type(self):
        dispatcher = Jobs()
        calls = []

        def handler(message, task):
            calls.append(message[1])
            task.return_boolean(True)

        dispatcher.register_handler("job", handler)
        self.assertEqual(dispatcher.get_event_type(("job", 1)), "job")
        self.assertIsNone(dispatcher.get_event_type("not a tuple"))
        self.assertEqual(finish(dispatcher, "dispatch", ("job", 1)), 1)
        self.assertEqual(finish(dispatcher, "dispatch", "not a tuple"), 0)
        self.assertEqual(calls, [1])
        self.assertIsInstance(dispatcher, Fluid.BaseDispatcher)
        self.assertNotIsInstance(dispatcher, Fluid.Dispatcher)

    def test_do_event_type_still_works(self):
        class Lengths(Fluid.Dispatcher):
            def do_event_type(self, message):
                return str(len(message))

        dispatcher = Lengths()
        dispatcher.register_handler("3", lambda message: None)
        self.assertEqual(dispatcher.dispatch("abc"), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
