# consumer.py: the messages of a QueueConsumerWorker, handled by Python
# code in a loop of its own
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""The messages of a QueueConsumerWorker, handled by Python code in a loop
of its own, as aio-fluid's consumer loop: one loop per run pulls each
message from the C queue (``fluid_queue_consumer_worker_pull()``) and
calls the handler, awaiting it when it is a coroutine. Nothing is made or
completed in C per message: no ``Gio.Task``, no asyncio task, no GLib
source; a message that succeeds is counted by the next pull, one that
fails is told with ``fluid_queue_consumer_worker_fail_pulled()``.

A class that handles its messages in Python defines ``do_pull_ready`` as
:func:`pull_ready`, which C calls when the run begins and whenever the
loop, which found nothing to pull, may pull again. The loop runs in one of
two ways, per run:

- inline, in that call, while the handler returns plain values: a plain
  function's messages need neither asyncio nor a task, and all the ready
  ones are handled in that one dispatch of the main context;
- in an asyncio task of the GLib loop, from the first awaitable a handler
  returns (at once for a coroutine function), which awaits each handler
  and, when nothing is left to pull, a future that :func:`pull_ready`
  completes; the tasks that future wakes run at once, within that
  dispatch, rather than one iteration of the main context later. A
  message sent from Python on the loop's own thread completes that
  future itself (``QueueConsumerWorker.send()``): the loop pulls it at
  the next step of asyncio's loop, and C does not tell it of that
  message, whether the loop still holds it or waits again.

A forced stop cancels the task while a handler runs, and the cancellation
ends the loop; a ``CancelledError`` that the handler raises itself fails
its message. A task cancelled from outside (``asyncio.run()`` ending)
ends the loop too: the next ``pull_ready`` starts another.

The loop's state lives in the worker's wrapper (``_fluid_puller``) for the
run, and nothing of it in C: a cycle between it and the worker is
Python's own, which its collector frees."""

import asyncio
import inspect
import types

from gi.module import get_introspection_module

from . import failures
from .loop import glib_loop, ready_runner

Fluid = get_introspection_module("Fluid")

_MESSAGE = Fluid.Pull.MESSAGE
_WAIT = Fluid.Pull.WAIT
# Fluid.QueueConsumerWorker's methods, looked up at the first run: the
# class, made at its first use, must derive from the override of
# Fluid.Worker, which does not exist yet when this module is imported.
_pull = _fail = None


def _look_up_methods():
    global _pull, _fail
    _pull = Fluid.QueueConsumerWorker.pull
    _fail = Fluid.QueueConsumerWorker.fail_pulled


def _awaitable(result):
    return result is not None and (type(result) is types.CoroutineType
                                   or inspect.isawaitable(result))


class _Puller:
    """One run's loop: @handle(message) for each message, in @context."""

    __slots__ = ("worker", "handle", "context", "task", "waiter", "forced", "run_ready")

    def __init__(self, worker, handle, context):
        if _pull is None:
            _look_up_methods()
        self.worker = worker
        self.handle = handle
        self.context = context
        self.task = None
        self.waiter = None
        self.forced = False
        self.run_ready = None

    def fail(self, exception):
        _fail(self.worker, failures.to_gerror(exception, self.worker))

    def end(self):
        if self.worker.__dict__.get("_fluid_puller") is self:
            del self.worker._fluid_puller

    def pull_inline(self):
        """Pulls and handles, from pull_ready(), until nothing is left, the
        run ends, or a handler returns an awaitable: then a task goes on."""
        worker = self.worker
        handle = self.handle
        run = self.context.run
        while True:
            status, message = _pull(worker)
            if status != _MESSAGE:
                if status != _WAIT:
                    self.end()
                return
            try:
                result = run(handle, message)
            except BaseException as exception:  # noqa: B036: fails the message
                self.fail(exception)
                continue
            if _awaitable(result) and self.start(result):
                return

    def start(self, first=None):
        """Goes on in a task of the GLib loop, awaiting @first first.
        Without a GLib loop, @first fails its message, and is closed:
        False."""
        try:
            loop = glib_loop()
        except RuntimeError as exception:
            if first is not None:
                if inspect.iscoroutine(first):
                    first.close()
                self.fail(exception)
            return False
        self.task = loop.create_task(self.pull_async(first), context=self.context)
        self.run_ready = ready_runner(loop)
        self.run_ready()
        return True

    async def pull_async(self, first):
        worker = self.worker
        handle = self.handle
        result = first
        try:
            while True:
                if result is not None:
                    try:
                        await result
                    except asyncio.CancelledError as cancelled:
                        if self.forced or self.task.cancelling():
                            raise
                        self.fail(cancelled)
                    except BaseException as exception:  # noqa: B036: fails the message
                        self.fail(exception)
                    result = None
                status, message = _pull(worker)
                if status == _MESSAGE:
                    try:
                        result = handle(message)
                    except BaseException as exception:  # noqa: B036
                        self.fail(exception)
                        continue
                    if type(result) is not types.CoroutineType and not _awaitable(result):
                        result = None
                    continue
                if status != _WAIT:
                    break
                self.waiter = asyncio.get_running_loop().create_future()
                try:
                    await self.waiter
                finally:
                    self.waiter = None
        except asyncio.CancelledError:
            if not self.forced:
                # From outside: another task goes on at the next call.
                self.end()
                raise
        self.end()

    def tell(self):
        """pull_ready() while a task runs the loop: wakes it, or, told of
        the end while a handler runs, cancels it if the stop was forced."""
        waiter = self.waiter
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(None)
            self.run_ready()
        elif not self.forced and self.worker.get_cancellable().is_cancelled():
            self.forced = True
            self.task.cancel()


def pull_ready(worker, setup):
    """The pull_ready virtual method of @worker: setup(@worker) gives, when
    a run begins, the handler of its messages, the context it runs in, and
    whether it is a coroutine function, run in a task from the start."""
    puller = worker.__dict__.get("_fluid_puller")
    if puller is None:
        handler, context, is_async = setup(worker)
        puller = _Puller(worker, handler, context)
        worker._fluid_puller = puller
        if is_async and puller.start():
            return
    if puller.task is None or puller.task.done():
        puller.task = None
        puller.pull_inline()
    else:
        puller.tell()
