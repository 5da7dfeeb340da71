# test_outcome.py: how a worker ended and message failures (1.2) from
# Python through GObject-Introspection alone: the exit-code and stop-reason
# properties, Fluid.Worker.fail(), and for consumers the stop-on-failure
# property, the message-failed signal and the 'failed' status key
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import unittest

from fluidtest import TestCase, finish

from gi.repository import Fluid, Gio, GLib


def io_error(message, code=Gio.IOErrorEnum.FAILED):
    return GLib.Error.new_literal(Gio.io_error_quark(), message, code)


class StubbornWorker(Fluid.Worker):
    """A run that never completes and ignores its cancellable."""

    def do_run_async(self, cancellable, callback, user_data):
        self.task = Gio.Task.new(self, cancellable, callback)

    def do_run_finish(self, result):
        return result.propagate_boolean()


class PickyWorker(Fluid.QueueConsumerWorker):
    """Fails the messages that are not strings starting with 'ok'."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.handled = []

    def do_on_message_async(self, message, cancellable, callback, user_data):
        task = Gio.Task.new(self, cancellable, callback)
        self.handled.append(message)
        if isinstance(message, str) and message.startswith("ok"):
            task.return_boolean(True)
        else:
            task.return_error(io_error(f"cannot handle {message!r}"))

    def do_on_message_finish(self, result):
        return result.propagate_boolean()


class TestWorkerOutcome(TestCase):
    def test_exit_code_and_stop_reason(self):
        worker = Fluid.WorkerFunction.new(0.01, lambda w: None)
        notified = []
        # The value is read once stopped: the core notifies exit-code before
        # the state becomes STOPPED, and the getter reads -1 until then.
        worker.connect("notify::exit-code", lambda w, p: notified.append(p.name))
        self.assertEqual(worker.get_exit_code(), -1)
        self.assertEqual(worker.props.exit_code, -1)
        self.assertIsNone(worker.get_stop_reason())
        self.assertIsNone(worker.props.stop_reason)
        finish(worker, "startup")
        self.assertEqual(worker.get_exit_code(), -1)
        self.assertTrue(finish(worker, "shutdown"))
        self.assertEqual(worker.get_exit_code(), Fluid.EXIT_CODE_NORMAL)
        self.assertEqual(worker.props.exit_code, 0)
        self.assertEqual(worker.get_stop_reason(), "normal shutdown")
        self.assertEqual(worker.props.stop_reason, "normal shutdown")
        self.assertEqual(notified, ["exit-code"])

    def test_forced(self):
        worker = StubbornWorker(stopping_grace_period=0.05)
        finish(worker, "startup")
        self.assertTrue(finish(worker, "shutdown"))
        self.assertEqual(worker.props.exit_code, Fluid.EXIT_CODE_FORCED)
        self.assertEqual(worker.props.stop_reason, "forced shutdown")

    def test_fail_from_a_callback(self):
        def func(worker):
            worker.fail(io_error("out of paper", Gio.IOErrorEnum.NO_SPACE))

        worker = Fluid.WorkerFunction.new(0.01, func)
        finish(worker, "startup")
        with self.assertRaises(GLib.Error) as caught:
            finish(worker, "wait_for_shutdown")
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(),
                                                 Gio.IOErrorEnum.NO_SPACE))
        self.assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED)
        self.assertEqual(worker.props.exit_code, Fluid.EXIT_CODE_ERROR)
        self.assertEqual(worker.props.stop_reason, "out of paper")
        # Every time it is awaited.
        with self.assertRaises(GLib.Error):
            finish(worker, "shutdown")

    def test_fail_from_another_thread(self):
        worker = StubbornWorker()
        finish(worker, "startup")
        thread = threading.Thread(target=worker.fail, args=(io_error("from a thread"),))
        thread.start()
        thread.join()
        with self.assertRaises(GLib.Error) as caught:
            finish(worker, "wait_for_shutdown")
        self.assertEqual(caught.exception.message, "from a thread")
        self.assertEqual(worker.props.exit_code, 2)


class TestMessageFailures(TestCase):
    def test_defaults(self):
        worker = Fluid.QueueConsumerWorker.new(None)
        self.assertTrue(worker.get_stop_on_failure())
        self.assertTrue(worker.props.stop_on_failure)
        status = finish(worker, "status").unpack()
        self.assertEqual(status["failed"], 0)
        self.assertEqual(status["processed"], 0)
        self.assertEqual(status["discarded"], 0)

    def test_stop_on_failure(self):
        worker = PickyWorker()
        failures = []
        worker.connect("message-failed",
                       lambda w, message, error: failures.append((message, error.message)))
        for message in ("ok 1", 2, "ok 3"):
            worker.send(message)
        finish(worker, "startup")
        with self.assertRaises(GLib.Error) as caught:
            finish(worker, "wait_for_shutdown")
        self.assertEqual(caught.exception.message, "cannot handle 2")
        self.assertEqual(worker.props.exit_code, Fluid.EXIT_CODE_ERROR)
        self.assertEqual(failures, [(2, "cannot handle 2")])
        status = finish(worker, "status").unpack()
        self.assertEqual((status["processed"], status["failed"], status["discarded"]), (1, 1, 1))

    def test_go_on_after_failures(self):
        worker = PickyWorker(stop_on_failure=False)
        failures = []
        worker.connect("message-failed", lambda w, message, error: failures.append(message))
        finish(worker, "startup")
        for message in ("ok 1", 2, "ok 3", [4], "ok 5"):
            worker.send(message)
        self.iterate_until(lambda: len(worker.handled) == 5, "five messages")
        self.assertTrue(worker.is_running())
        self.assertEqual(failures, [2, [4]])
        status = finish(worker, "status").unpack()
        self.assertEqual((status["processed"], status["failed"]), (3, 2))
        self.assertTrue(finish(worker, "shutdown"))
        self.assertEqual(worker.props.exit_code, Fluid.EXIT_CODE_NORMAL)

    def test_property_is_writable(self):
        worker = Fluid.QueueConsumerWorker.new(None)
        worker.props.stop_on_failure = False
        self.assertFalse(worker.get_stop_on_failure())
        worker.set_stop_on_failure(True)
        self.assertTrue(worker.props.stop_on_failure)

    def test_async_consumer_handler_failure(self):
        dispatcher = Fluid.AsyncDispatcher.new(None)

        def handler(message, task):
            if message == "bad":
                task.return_error(io_error("bad event"))
            else:
                task.return_boolean(True)

        dispatcher.register_handler("good", handler)
        dispatcher.register_handler("bad", handler)
        consumer = Fluid.AsyncConsumer.new(dispatcher)
        consumer.set_stop_on_failure(False)
        failures = []
        consumer.connect("message-failed", lambda c, message, error: failures.append(message))
        finish(consumer, "startup")
        for message in ("good", "bad", "good"):
            consumer.send(message)
        self.iterate_until(
            lambda: finish(consumer, "status").unpack()["processed"] == 2 and failures,
            "three messages")
        self.assertEqual(failures, ["bad"])
        self.assertEqual(finish(consumer, "status").unpack()["failed"], 1)
        self.assertTrue(finish(consumer, "shutdown"))


if __name__ == "__main__":
    unittest.main()
