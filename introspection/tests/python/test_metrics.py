# test_metrics.py: worker.collect_metrics() and worker.serve_metrics()
# from Python (1.2)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import unittest
import urllib.request

from fluidtest import TestCase

from gi.repository import Fluid, Gio, GLib


def sample(text, line_prefix):
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.split(" ")[-1])
    return None


class TestMetrics(TestCase):
    def test_collect_and_serve(self):
        handled = []

        def on_message(worker, message):
            handled.append(message)

        consumer = Fluid.QueueConsumerWorker.new(on_message, name="py inbox")
        address = consumer.serve_metrics("127.0.0.1:0")
        self.assertTrue(address.startswith("127.0.0.1:"))
        with consumer:
            for i in range(10):
                consumer.send(i)
            self.iterate_until(lambda: len(handled) == 10, "10 messages")
            self.iterate_until(
                lambda: sample(consumer.collect_metrics(),
                               'fluid_messages_total{worker="py inbox",outcome="processed"}') == 10,
                "the counters")
            text = consumer.collect_metrics()
            self.assertIn("# TYPE fluid_messages_total counter", text)
            self.assertEqual(
                sample(text, 'fluid_message_duration_seconds_count{worker="py inbox"}'), 10)
            self.assertTrue(consumer.collect_metrics(openmetrics=True).endswith("# EOF\n"))

            # Scraped from a thread: the server answers on this context.
            scraped = {}

            def scrape():
                with urllib.request.urlopen("http://%s/metrics" % address) as response:
                    scraped["type"] = response.headers["Content-Type"]
                    scraped["body"] = response.read().decode()

            thread = threading.Thread(target=scrape)
            thread.start()
            self.iterate_until(lambda: "body" in scraped, "the scrape")
            thread.join()
            self.assertTrue(scraped["type"].startswith("text/plain; version=0.0.4"))
            self.assertEqual(
                sample(scraped["body"], 'fluid_messages_total{worker="py inbox",outcome="processed"}'), 10)
        consumer.stop_serving_metrics()
        self.assertIsNone(consumer.get_metrics_address())

    def test_errors(self):
        worker = Fluid.WorkerFunction.new_named("served", 1.0, lambda *args: None)
        with self.assertRaises(GLib.Error) as raised:
            worker.serve_metrics("not an address")
        self.assertTrue(raised.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_ARGUMENT))
        address = worker.serve_metrics("127.0.0.1:0")
        other = Fluid.WorkerFunction.new_named("other", 1.0, lambda *args: None)
        with self.assertRaises(GLib.Error) as raised:
            other.serve_metrics(address)
        self.assertTrue(raised.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.ADDRESS_IN_USE))
        worker.stop_serving_metrics()


if __name__ == "__main__":
    unittest.main()
