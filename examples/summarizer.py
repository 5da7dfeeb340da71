#!/usr/bin/python3
# summarizer.py: a queue consumer that holds a resource for the whole of run
#
# The Python port of summarizer.c (aio-fluid's AnthropicWorker example,
# without the network): a Fluid.QueueConsumer subclass opens the output file
# when run starts and closes it when run ends, writes a one-line summary of
# each text item (its first sentence and its word count), and stops at an
# empty string.
#
# Usage: summarizer.py OUTPUT-FILE
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import re
import sys

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid  # noqa: E402

ARTICLES = [
    "Async programming in Python allows multiple tasks to run concurrently "
    "within a single thread by yielding control at await points, which is "
    "particularly efficient for I/O-bound workloads such as HTTP requests "
    "and database queries. It is not a silver bullet.",

    "Large language models are trained on vast corpora of text using "
    "self-supervised objectives, enabling them to learn grammar, facts, and "
    "reasoning patterns that can be adapted to a wide range of downstream "
    "tasks through prompting or fine-tuning.",

    "The observer pattern decouples event producers from consumers by "
    "introducing an intermediary that maintains a list of subscribers and "
    "notifies them when state changes. New listeners need no change to the "
    "source.",
]


def summarize(text):
    """The first sentence of text, and its number of words."""
    match = re.match(r".*?[.!?](?= |$)", text)
    sentence = match.group(0) if match else text
    return f"{sentence} ({len(text.split())} words)"


class Summarizer(Fluid.QueueConsumer):
    def __init__(self, output):
        super().__init__()
        self.output = output
        self.results = []

    def run(self):
        # The file is open for the whole loop, as `async with` in aio-fluid.
        with open(self.output, "w") as out:
            while self.is_running():
                text = yield self.receive()
                if text is None:  # the worker is stopping
                    continue
                if text == "":  # the sentinel: end of input
                    break
                self.results.append(summarize(text))
                out.write(self.results[-1] + "\n")


def main(argv):
    if len(argv) != 2:
        print(f"Usage: {argv[0]} OUTPUT-FILE", file=sys.stderr)
        return 2
    worker = Summarizer(argv[1])
    worker.startup_sync()
    for article in ARTICLES:
        worker.send(article)
    worker.send("")  # end of input
    worker.wait_for_shutdown_sync()  # run returns at the sentinel
    for line in worker.results:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
