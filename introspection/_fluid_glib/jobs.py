# jobs.py: job workers whose functions are Python callables, and jobs
# that Python awaits
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Job workers whose functions are Python callables, and jobs that Python
awaits.

:func:`job_worker` makes a ``Fluid.JobWorker`` from ``func(job)``, which
returns the job's output: on the worker's threads, or on its context,
where it may be a coroutine function awaited on the GLib loop. What it
raises fails the job, which ``await job`` raises again (the exception
itself); a job cancelled raises :class:`asyncio.CancelledError`, one whose
worker stopped first :class:`WorkerStoppedError`.

Values cross C as GValues: a ``GObject.Value`` as it is, a string, a
number, a boolean, a ``GObject.Object`` or a ``GLib.Variant`` as
PyGObject makes them, anything else as the Python object itself
(``GObject.TYPE_PYOBJECT``), so that ``await job`` gives back what the
function returned."""

import asyncio
import inspect
import weakref

from gi.module import get_introspection_module
from gi.repository import GLib, Gio, GObject

from . import failures, tasks
from .loop import glib_loop

Fluid = get_introspection_module("Fluid")

_PLAIN = (str, bool, int, float, GObject.Object, GLib.Variant, GObject.Value)


def to_value(value):
    """@value as the C API takes it (see the module's description)."""
    if value is None or isinstance(value, _PLAIN):
        return value
    return GObject.Value(GObject.TYPE_PYOBJECT, value)


def _set_output(job, output):
    if output is not None:
        Fluid.Job.set_output(job, to_value(output))


def _check_result(func, result):
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise TypeError(f"the job function {func!r} returned an awaitable where nothing awaits "
                        f"it: a coroutine function runs on a worker without threads")


def _sync_function(func, keeper):
    def call(job, cancellable, *ignored):
        # On a thread of the worker, or on its context; PyGObject holds the
        # GIL for the call. An exception is not left to PyGObject, which
        # would print it: it fails the job.
        try:
            result = tasks.call_detached(func, job)
            _check_result(func, result)
            _set_output(job, result)
        except BaseException as exception:  # noqa: B036: fails the job
            raise failures.to_gerror(exception, keeper()) from None
        return True

    return call


def _async_function(func, keeper):
    async def run(job):
        _set_output(job, await func(job))

    def call(job, cancellable, task, *ignored):
        # On the context: the coroutine is awaited on the GLib loop; the
        # job's cancellable (a cancellation, a forced stop) cancels it.
        tasks.settle(task, lambda: run(job), raised_for=keeper())

    return call


def job_worker(n_threads, func):
    """A ``Fluid.JobWorker`` running ``func(job)`` on @n_threads threads, or
    on its context when 0, where @func may be a coroutine function."""
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    if n_threads < 0:
        raise ValueError(f"n_threads must be 0 or more, not {n_threads}")
    holder = []

    def keeper():
        # The worker keeps the exceptions of its jobs, as long as it lives.
        return holder[0]() if holder else None

    if inspect.iscoroutinefunction(func):
        if n_threads > 0:
            raise TypeError("a job function on the worker's threads, where no event loop "
                            "runs, cannot be a coroutine function (n_threads=0 awaits one on "
                            "the main loop)")
        worker = Fluid.JobWorker.new_async(_async_function(func, keeper))
    else:
        worker = Fluid.JobWorker.new(n_threads, _sync_function(func, keeper))
    holder.append(weakref.ref(worker))
    return worker


def _exception(job, error):
    """What ``await job`` raises for the error @error of @job."""
    if error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
        exception = asyncio.CancelledError(error.message)
        exception.__cause__ = error
        return exception
    exception = failures.exception_for(error)
    if isinstance(exception, StopIteration):
        # A future refuses it, as a coroutine does (PEP 479).
        runtime_error = RuntimeError("job function raised StopIteration")
        runtime_error.__cause__ = exception
        return runtime_error
    return exception


async def wait(job, cancellable=None):
    """The output of @job once it ended, or its exception; a coroutine."""
    loop = glib_loop()
    future = loop.create_future()

    def done(source, result, *user_data):
        # Not wait_finish(): PyGObject 3.42 cannot give its output, a
        # GValue left unset for a job without one. The job ended, or the
        # wait was cancelled.
        if future.done():
            return
        state = Fluid.Job.get_state(source)
        if state == Fluid.JobState.SUCCEEDED:
            future.set_result(Fluid.Job.get_output(source))
        elif state in (Fluid.JobState.FAILED, Fluid.JobState.CANCELLED):
            future.set_exception(_exception(source, Fluid.Job.get_error(source)))
        else:
            future.set_exception(asyncio.CancelledError("the wait was cancelled"))

    Fluid.Job.wait_async(job, cancellable, done)
    return await future
