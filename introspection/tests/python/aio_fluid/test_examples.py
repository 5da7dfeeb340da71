# test_examples.py: aio-fluid's documentation examples, ported to
# libfluid-glib in examples/asyncio/, run as scripts and held to their
# output.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "examples", "asyncio")


def run_example(name):
    completed = subprocess.run([sys.executable, "-W", "ignore::Warning", os.path.join(EXAMPLES, name)],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines(), completed.stderr


def test_simple_dispatcher():
    out, err = run_example("simple_dispatcher.py")
    assert out == ["number of words 7", "number of words 7", "number of letters 16"]


def test_data_dispatcher():
    out, err = run_example("data_dispatcher.py")
    assert out == ["number of keys 2"]


def test_simple_worker():
    out, err = run_example("simple_worker.py")
    assert out[0] == "Hello from simple_worker in state init"
    assert out[-1] == "Hello from simple_worker in state stopped"
    running = out[1:-1]
    assert running and all(line == "Hello from simple_worker in state running" for line in running)


def test_queue_consumer_with_async_with():
    # As in aio-fluid: the get_message that waits when the block ends gets
    # the first article; the block's end stops the worker, which discards
    # the rest, and says so through the fluid logger.
    out, err = run_example("queue_consumer.py")
    assert out == ["['Async programming in Python allows multiple tasks to run concurrently "
                   "within a single thread by yielding control at await points.']"]
    assert "anthropic_worker discarded 3 queued messages" in err


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))
