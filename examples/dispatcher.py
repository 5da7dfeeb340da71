#!/usr/bin/python3
# dispatcher.py: events, a dispatcher, and a consumer that dispatches, in Python
#
# The Python port of dispatcher.c. Messages are tuples (event type, order
# number). A Fluid.Dispatcher calls every handler of a message's event type,
# whatever their tags; then a Fluid.AsyncConsumer passes each message to a
# Fluid.AsyncDispatcher, whose "store" handler completes later, and waits
# for it before the next.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import sys

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid, GLib  # noqa: E402

failed = False


def expect(ok, what):
    global failed
    if not ok:
        print(f"unexpected: {what}", file=sys.stderr)
        failed = True


def order_event_type(dispatcher, message):
    """The event type of both dispatchers: the first item of the tuple."""
    return message[0] if isinstance(message, tuple) else None


def run_dispatcher():
    dispatcher = Fluid.Dispatcher.new(order_event_type)
    log = []

    # "type.tag": the tag tells apart several handlers of one event type.
    event = Fluid.Event.new_from_string("order.audit")
    print(f"event order.audit: type {event.type}, tag {event.tag}")

    def audit(message):
        log.append(f"audit {message[1]}")

    dispatcher.register_handler("order", lambda message: log.append(f"order {message[1]}"))
    dispatcher.register_handler("order.audit", audit)
    dispatcher.register_handler("order.email", lambda message: log.append(f"email {message[1]}"))
    # The same event again replaces the handler, in its place.
    expect(dispatcher.register_handler("order.audit", audit),
           "registering order.audit again replaces it")
    expect(dispatcher.get_n_handlers("order") == 3, "three order handlers")

    # Every handler of the type is called, in the order of registration.
    expect(dispatcher.dispatch(("order", 1)) == 3, "order 1 reaches three handlers")
    # Unregistering "type.tag" removes that one handler.
    expect(dispatcher.unregister_handler("order.email"), "order.email removed")
    expect(dispatcher.dispatch(("order", 2)) == 2, "order 2 reaches two handlers")
    # An event type without handlers: nothing is called.
    expect(dispatcher.dispatch(("refund", 3)) == 0, "no refund handler")

    print(f"dispatched: {log}")
    expect(log == ["order 1", "audit 1", "email 1", "order 2", "audit 2"],
           "the handlers ran in order")


def run_async_consumer():
    dispatcher = Fluid.AsyncDispatcher.new(order_event_type)
    log = []

    # Asynchronous handlers complete the Gio.Task they are given.
    def store(message, task):
        def done():
            log.append(f"stored {message[1]}")
            task.return_boolean(True)
            return GLib.SOURCE_REMOVE

        GLib.timeout_add(10, done)  # completes 10 ms later

    def log_order(message, task):
        log.append(f"log {message[1]}")
        task.return_boolean(True)  # completes at once

    dispatcher.register_handler("store", store)
    dispatcher.register_handler("store.log", log_order)

    consumer = Fluid.AsyncConsumer.new(dispatcher)
    # The messages queued when the stop is requested are still dispatched.
    consumer.set_drain_on_stop(True)
    consumer.startup_sync()
    for number in range(1, 4):
        consumer.send(("store", number))
    consumer.shutdown_sync()
    status = consumer.status_sync()

    # Each message waits for every handler of the one before.
    print(f"consumed: {log}")
    print(f"processed {status['processed']}, discarded {status['discarded']}")
    expect(log == ["log 1", "stored 1", "log 2", "stored 2", "log 3", "stored 3"],
           "one message at a time, each after the handlers of the one before")
    expect(status["processed"] == 3 and status["discarded"] == 0,
           "three messages processed, none discarded")


def main():
    run_dispatcher()
    run_async_consumer()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
