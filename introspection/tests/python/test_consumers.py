# test_consumers.py: FluidQueueConsumerWorker, FluidEvent, FluidDispatcher,
# FluidAsyncDispatcher, FluidAsyncConsumer and FluidWorkers from Python
# through GObject-Introspection alone (no override helpers)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import unittest

from fluidtest import TestCase, finish

from gi.repository import Fluid, Gio, GLib


class Payload:
    """An arbitrary Python object, not a GObject."""

    def __init__(self, value):
        self.value = value


class QueueConsumerWorkerTests(TestCase):
    def test_callback_receives_python_values(self):
        received = []
        worker = Fluid.QueueConsumerWorker.new(
            lambda consumer, message: received.append(message))
        self.assertIsInstance(worker, Fluid.QueueConsumerWorker)
        payload = Payload(7)
        finish(worker, "startup")
        # send() takes a GValue: PyGObject makes one from any Python value,
        # a PyObject-holding one for objects that are not GObject types.
        for message in ("text", 42, 1.5, payload, [1, "two"], {"k": "v"}):
            worker.send(message)
        self.iterate_until(lambda: len(received) == 6, "six messages")
        self.assertEqual(received[:3], ["text", 42, 1.5])
        self.assertIs(received[3], payload)
        self.assertEqual(received[3].value, 7)
        self.assertEqual(received[4], [1, "two"])
        self.assertEqual(received[5], {"k": "v"})
        self.assertTrue(finish(worker, "shutdown"))

    def test_messages_sent_before_startup_wait(self):
        received = []
        worker = Fluid.QueueConsumerWorker.new(lambda w, m: received.append(m))
        worker.send_string("early")
        self.assertEqual(worker.get_queue_size(), 1)
        finish(worker, "startup")
        self.iterate_until(lambda: received == ["early"], "the early message")
        finish(worker, "shutdown")

    def test_message_signal(self):
        received = []
        worker = Fluid.QueueConsumerWorker.new(None)
        worker.connect("message", lambda w, message: received.append(message))
        finish(worker, "startup")
        worker.send("hello")
        worker.send(3)
        self.iterate_until(lambda: len(received) == 2, "two signals")
        self.assertEqual(received, ["hello", 3])
        status = finish(worker, "status").unpack()
        self.assertEqual(status["processed"], 2)
        finish(worker, "shutdown")

    def test_subclass_on_message_vfunc(self):
        class Collector(Fluid.QueueConsumerWorker):
            def __init__(self):
                super().__init__()
                self.received = []

            def do_on_message_async(self, message, cancellable, callback, user_data):
                task = Gio.Task.new(self, cancellable, callback)
                self.received.append(message)
                task.return_boolean(True)

            def do_on_message_finish(self, result):
                return result.propagate_boolean()

        worker = Collector()
        finish(worker, "startup")
        worker.send("a")
        worker.send(Payload("b"))
        self.iterate_until(lambda: len(worker.received) == 2, "two messages")
        self.assertEqual(worker.received[0], "a")
        self.assertEqual(worker.received[1].value, "b")
        finish(worker, "shutdown")

    def test_get_message_from_plain_consumer(self):
        # An abstract FluidQueueConsumer subclass taking messages itself.
        class Taker(Fluid.QueueConsumer):
            def do_run_async(self, cancellable, callback, user_data):
                self.task = Gio.Task.new(self, cancellable, callback)

            def do_run_finish(self, result):
                return result.propagate_boolean()

        worker = Taker()
        worker.send("first")
        finish(worker, "startup")
        message = finish(worker, "get_message", 1.0)
        self.assertEqual(message, "first")
        # Timeout: None.
        self.assertIsNone(finish(worker, "get_message", 0.01))
        worker.task.return_boolean(True)
        finish(worker, "wait_for_shutdown")


class EventTests(TestCase):
    def test_event(self):
        event = Fluid.Event.new_from_string("update.users")
        self.assertEqual((event.type, event.tag), ("update", "users"))
        self.assertEqual(event.to_string(), "update.users")
        self.assertTrue(event.equal(Fluid.Event.new("update", "users")))
        self.assertEqual(Fluid.Event.new("update", None).to_string(), "update")
        with self.assertRaises(GLib.Error):
            Fluid.Event.new_from_string("")


class DispatcherTests(TestCase):
    def test_sync_handlers(self):
        dispatcher = Fluid.Dispatcher.new(lambda d, message: message["type"])
        calls = []
        self.assertFalse(dispatcher.register_handler("add", lambda m: calls.append(("add", m["n"]))))
        dispatcher.register_handler("add.log", lambda m: calls.append(("log", m["n"])))
        self.assertEqual(dispatcher.get_n_handlers("add"), 2)
        self.assertEqual(dispatcher.get_event_type({"type": "add"}), "add")
        self.assertEqual(dispatcher.dispatch({"type": "add", "n": 1}), 2)
        self.assertEqual(dispatcher.dispatch({"type": "remove", "n": 2}), 0)
        self.assertEqual(calls, [("add", 1), ("log", 1)])
        self.assertTrue(dispatcher.unregister_handler("add.log"))
        self.assertEqual(dispatcher.get_n_handlers("add"), 1)

    def test_default_event_type_is_the_string(self):
        dispatcher = Fluid.Dispatcher.new(None)
        self.assertEqual(dispatcher.get_event_type("ping"), "ping")

    def test_async_handlers(self):
        dispatcher = Fluid.AsyncDispatcher.new(None)
        calls = []

        def later(message, task):
            def complete():
                calls.append(("later", message))
                task.return_boolean(True)
                return GLib.SOURCE_REMOVE
            GLib.timeout_add(10, complete)

        def at_once(message, task):
            calls.append(("at once", message))
            task.return_boolean(True)

        dispatcher.register_handler("go", later)
        dispatcher.register_handler("go.now", at_once)
        self.assertEqual(finish(dispatcher, "dispatch", "go"), 2)
        self.assertEqual(calls, [("at once", "go"), ("later", "go")])

    def test_async_handler_error(self):
        dispatcher = Fluid.AsyncDispatcher.new(None)

        def failing(message, task):
            task.return_error(GLib.Error.new_literal(
                Gio.io_error_quark(), "handler failed", Gio.IOErrorEnum.FAILED))

        dispatcher.register_handler("go", failing)
        with self.assertRaises(GLib.Error) as caught:
            finish(dispatcher, "dispatch", "go")
        self.assertEqual(caught.exception.message, "handler failed")


class BaseDispatcherTests(TestCase):
    def test_hierarchy(self):
        self.assertTrue(issubclass(Fluid.Dispatcher, Fluid.BaseDispatcher))
        self.assertTrue(issubclass(Fluid.AsyncDispatcher, Fluid.BaseDispatcher))
        self.assertFalse(issubclass(Fluid.AsyncDispatcher, Fluid.Dispatcher))
        self.assertFalse(issubclass(Fluid.Dispatcher, Fluid.AsyncDispatcher))
        with self.assertRaises(TypeError):
            Fluid.BaseDispatcher()

    def test_methods_through_the_base(self):
        sync = Fluid.Dispatcher.new(None)
        sync.register_handler("a", lambda m: None)
        sync.register_handler("a.x", lambda m: None)
        async_dispatcher = Fluid.AsyncDispatcher.new(None)
        async_dispatcher.register_handler("a", lambda m, task: task.return_boolean(True))
        async_dispatcher.register_handler("a.x", lambda m, task: task.return_boolean(True))
        for dispatcher in (sync, async_dispatcher):
            self.assertIsInstance(dispatcher, Fluid.BaseDispatcher)
            self.assertEqual(Fluid.BaseDispatcher.get_n_handlers(dispatcher, "a"), 2)
            self.assertEqual(Fluid.BaseDispatcher.get_event_type(dispatcher, "a"), "a")
            self.assertTrue(Fluid.BaseDispatcher.unregister_handler(dispatcher, "a.x"))
            self.assertFalse(Fluid.BaseDispatcher.unregister_handler(dispatcher, "a.x"))
            self.assertEqual(Fluid.BaseDispatcher.get_n_handlers(dispatcher, "a"), 1)
        self.assertEqual(sync.dispatch("a"), 1)
        self.assertEqual(finish(async_dispatcher, "dispatch", "a"), 1)

    def test_do_event_type_override(self):
        class Prefix(Fluid.AsyncDispatcher):
            def do_event_type(self, message):
                return message.split(":")[0]

        dispatcher = Prefix()
        dispatcher.register_handler("user", lambda m, task: task.return_boolean(True))
        self.assertEqual(dispatcher.get_event_type("user:created"), "user")
        self.assertEqual(finish(dispatcher, "dispatch", "user:created"), 1)


class AsyncConsumerTests(TestCase):
    def test_dispatches_each_message(self):
        dispatcher = Fluid.AsyncDispatcher.new(lambda d, message: message[0])
        calls = []

        def handler(message, task):
            calls.append(message[1])
            task.return_boolean(True)

        dispatcher.register_handler("job", handler)
        consumer = Fluid.AsyncConsumer.new(dispatcher)
        self.assertIs(consumer.get_dispatcher(), dispatcher)
        finish(consumer, "startup")
        consumer.send(("job", 1))
        consumer.send(("other", 2))
        consumer.send(("job", 3))
        self.iterate_until(lambda: len(calls) == 2, "two handled messages")
        self.assertEqual(calls, [1, 3])
        self.assertTrue(finish(consumer, "shutdown"))


class WorkersTests(TestCase):
    def make_group(self):
        self.children = [Fluid.QueueConsumerWorker.new(lambda w, m: None) for _ in range(3)]
        group = Fluid.Workers.new()
        group.add_workers(self.children[:2])
        group.add_worker(self.children[2])
        return group

    def test_list_model(self):
        group = self.make_group()
        self.assertEqual(group.get_n_items(), 3)
        self.assertEqual(group.get_item_type().name, "FluidWorker")
        self.assertEqual(list(group), self.children)
        self.assertIs(group.get_item(1), self.children[1])
        self.assertEqual(group.get_num_workers(), 3)

    def test_start_status_stop(self):
        group = self.make_group()
        finish(group, "startup")
        self.assertTrue(all(child.is_running() for child in self.children))
        status = finish(group, "status").unpack()
        self.assertEqual(len(status), 3)
        for child in self.children:
            self.assertTrue(status[child.get_name()]["running"])
        self.assertTrue(finish(group, "shutdown"))
        self.assertTrue(all(child.is_stopped() for child in self.children))

    def test_a_child_stopping_stops_the_group(self):
        group = self.make_group()
        finish(group, "startup")
        finish(self.children[0], "shutdown")
        finish(group, "wait_for_shutdown")
        self.assertTrue(group.is_stopped())
        self.assertTrue(all(child.is_stopped() for child in self.children))


if __name__ == "__main__":
    unittest.main()
