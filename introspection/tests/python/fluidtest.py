# fluidtest.py: helpers shared by the Python test suites of libfluid-glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import unittest

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Fluid", "1.0")

from gi.repository import GLib  # noqa: E402

# A test that waits longer than this has failed: the guard stops the wait so
# that the failure is reported instead of hanging until Meson's timeout.
GUARD_SECONDS = 10


def run_coroutine(coroutine_function, *args):
    """asyncio.run() of a test body, with the guard: a test that hangs
    fails instead."""
    async def guarded():
        return await asyncio.wait_for(coroutine_function(*args), GUARD_SECONDS)

    return asyncio.run(guarded())


async def wait_until_async(condition, what="condition"):
    """Lets the running asyncio loop run until condition() holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GUARD_SECONDS
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


def started_task(coroutine):
    """asyncio.create_task(@coroutine); the task's ``started`` is true once
    the coroutine ran up to its first wait: an awaitable of the override
    has made its C call by then."""
    async def step():
        task.started = True
        return await coroutine

    task = asyncio.create_task(step())
    task.started = False
    return task


def iterate_until(condition, what="condition"):
    """Iterates the thread-default main context until condition() is true."""
    context = GLib.MainContext.ref_thread_default()
    expired = []

    def expire(*args):
        expired.append(True)
        return GLib.SOURCE_REMOVE

    guard = GLib.timeout_source_new_seconds(GUARD_SECONDS)
    guard.set_callback(expire)
    guard.attach(context)
    try:
        while not condition():
            if expired:
                raise AssertionError(f"timed out waiting for {what}")
            context.iteration(True)
    finally:
        guard.destroy()


def call_async(method, *args):
    """Calls the GIO async method (bound) with args, a NULL cancellable and a
    callback, iterates the main context until the callback runs and returns
    the async result."""
    results = []

    def done(source, result, *user_data):
        results.append(result)

    method(*args, None, done)
    iterate_until(lambda: results, method.__name__)
    return results[0]


def finish(obj, name, *args):
    """obj.name_async(*args, NULL, cb) then obj.name_finish(result)."""
    result = call_async(getattr(obj, name + "_async"), *args)
    return getattr(obj, name + "_finish")(result)


class TestCase(unittest.TestCase):
    def iterate_until(self, condition, what="condition"):
        iterate_until(condition, what)
