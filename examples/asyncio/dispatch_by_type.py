#!/usr/bin/python3
# dispatch_by_type.py: a dispatcher that routes each message by its type
#
# The event type of a message is the name of its Python type; a handler
# registered as "str.shout" is a second handler of "str", told apart by
# its tag. dispatch() calls the handlers at once and says how many ran.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid  # noqa: E402


class ByType(Fluid.Dispatcher):
    def event_type(self, message):
        return type(message).__name__


def square(number):
    print(f"int: {number} squared is {number * number}")


def measure(text):
    print(f"str: {text!r} has {len(text)} characters")


def shout(text):
    print(f"str: {text.upper()}!")


def main():
    dispatcher = ByType()
    dispatcher.register_handler("int", square)
    dispatcher.register_handler("str", measure)
    dispatcher.register_handler("str.shout", shout)

    for message in (12, "hello", 0.5, ["a", "list"]):
        handled = dispatcher.dispatch(message)
        print(f"{type(message).__name__} message: {handled} handler(s)")


if __name__ == "__main__":
    main()
