#!/usr/bin/python3
# word_counter.py: a queue consumer used as an async context manager
#
# A Fluid.QueueConsumer subclass takes lines of text from its queue with
# `await self.get_message()` and counts their words, until a marker that
# ends its input. `async with` starts it and shuts it down; the block waits
# for it to finish first, so that no line is left in the queue.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import collections

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid  # noqa: E402

POEM = """\
the wind goes round the mill
and the mill goes round the grain
round and round the water goes
and comes back down as rain"""

# Any Python object is a message, and travels by reference.
END_OF_INPUT = object()


class WordCounter(Fluid.QueueConsumer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.words = collections.Counter()
        self.lines = 0

    async def run(self):
        while self.is_running():
            # None after half a second without a message, or on a stop.
            line = await self.get_message(timeout=0.5)
            if line is END_OF_INPUT:
                self.gracefully_stop()
            elif line is not None:
                self.lines += 1
                self.words.update(line.split())


async def main():
    async with WordCounter(name="word_counter") as counter:
        for line in POEM.splitlines():
            counter.send(line)
        counter.send(END_OF_INPUT)
        await counter.wait_for_shutdown()
    print(f"{counter.lines} lines, {sum(counter.words.values())} words")
    for word, count in counter.words.most_common(3):
        print(f"{word}: {count}")


if __name__ == "__main__":
    Fluid.install_asyncio()
    asyncio.run(main())
