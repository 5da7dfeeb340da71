# tasks.py: Python code completing the library's GTasks, and coroutines of
# the C API's _async/_finish pairs
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Python code completing the library's GTasks, and coroutines of the C
API's ``_async``/``_finish`` pairs.

The library calls Python code with a ``Gio.Task`` to complete: a virtual
method (``run``, a hook, ``on_message``, ``status``) or a callback (a
WorkerFunction's function, a dispatcher's handler). :func:`settle` calls
the code and completes the task with what it returns: at once for a
value, once awaited on the GLib loop for a coroutine (a forced stop,
which cancels the task's cancellable, cancels it), step by step for a
generator (:class:`_Driver`). An exception fails the task
(:func:`fail_task`).

:func:`pair_future` goes the other way: it calls a C ``_async`` method
and gives its outcome as an asyncio future, its error as the exception it
carries."""

import asyncio
import contextvars
import inspect
import logging

from gi.module import get_introspection_module
from gi.repository import GLib, Gio, GObject

from . import failures
from .loop import glib_loop

Fluid = get_introspection_module("Fluid")


def fail_task(task, exception, raised_for=None, on_exception=None):
    """Fails @task with @exception, raised by code run for @raised_for (by
    default, @task's source object), which keeps it; on_exception(exception)
    first, if given."""
    if on_exception is not None:
        on_exception(exception)
    if raised_for is None:
        raised_for = task.get_source_object()
    task.return_error(failures.to_gerror(exception, raised_for))


def _return_result(task, value, convert):
    if convert is None:
        task.return_boolean(True)
        return
    task.return_value(convert(value))


def _cancelled_error():
    return GLib.Error.new_literal(Gio.io_error_quark(), "Operation was cancelled",
                                  Gio.IOErrorEnum.CANCELLED)


def _detached_frame(function, args):
    try:
        return function(*args)
    except StopIteration as stop:
        # Raised out of a generator, it would become a RuntimeError.
        yield stop


def call_detached(function, *args):
    """function(*args) from a frame that forgets its callers when it ends, a
    generator's (CPython drops the link of a finished generator's frame to
    its caller): a traceback kept of an exception raised there holds the
    frames of @function and below, not the library's above, which hold its
    tasks and, through them, a C reference to the worker. (Its arguments are
    the frame's variables, which failures.py clears, not a closure's.)"""
    try:
        stop = next(_detached_frame(function, args))
    except StopIteration as returned:
        return returned.value
    raise stop


class RunTask:
    """What a run that the begin_run virtual method began completes, as a
    Gio.Task: Fluid.Worker.complete_run() or fail_run(), without a task nor
    a callback in C while the run goes on."""

    __slots__ = ("worker",)

    def __init__(self, worker):
        self.worker = worker

    def get_source_object(self):
        return self.worker

    def get_cancellable(self):
        return self.worker.get_cancellable()

    def return_boolean(self, value):
        complete_run(self.worker)

    def return_error(self, error):
        fail_run(self.worker, error)


# The awaited runs, by worker: a stop that the run did not end, and that
# was not normal (a forced stop, or a failure from elsewhere), cancels its
# run (log_stopped()), as the cancellation of the worker's cancellable
# cancels what awaits for a Gio.Task, without a handler of that signal per
# worker.
_runs = {}
_runs_pop = _runs.pop


# The stops of the workers Python makes, on the fluid logger, as
# aio-fluid's: those a run's end causes, logged by complete_run() and
# fail_run() below; every other, by the stopped_elsewhere virtual method
# of the first class of a hierarchy that Python registers (subclass.py),
# or by a handler of ::stopped for a worker of a C class (adopt()).
logger = logging.getLogger("fluid")
_is_enabled_for = logger.isEnabledFor


def log_stopped(worker, reason, exit_code, *ignored):
    """@worker stopped with @exit_code, for @reason, elsewhere than in
    its run's end: its run, if still awaited, is cancelled unless it
    stopped normally; then the stop is logged. One call per worker that
    stops, and a group of 10 000 workers stops in one burst: the name not
    asked of C for a record that would be dropped."""
    awaiting = _runs_pop(worker, None)
    if awaiting is not None and exit_code != 0:
        awaiting.cancel()
    level = logging.INFO if exit_code == 0 else logging.WARNING
    if not _is_enabled_for(level):
        return
    name = worker.get_name()
    if exit_code == 1:
        logger.warning("%s forced shutdown", name)
    logger.log(level, "%s stopped running: %s", name, reason)


# Fluid.Worker's, looked up once: thousands of runs end in one burst.
_complete_run = Fluid.Worker.complete_run
_fail_run = Fluid.Worker.fail_run
_get_exit_code = Fluid.Worker.get_exit_code
_get_stop_reason = Fluid.Worker.get_stop_reason


def complete_run(worker):
    """Fluid.Worker.complete_run(@worker), and the stop it caused logged.
    A stop inside it is normal: the on_shutdown phase is skipped for a
    class that has none, and one that completes through a Gio.Task
    completes later (stopped_elsewhere tells that stop). Nothing asked of
    C when the fluid logger would drop the record."""
    if _is_enabled_for(logging.INFO):
        _end_run_logged(worker, _complete_run, worker)
    else:
        _complete_run(worker)


def fail_run(worker, error):
    """Fluid.Worker.fail_run(@worker, @error), and the stop it caused
    logged."""
    if _is_enabled_for(logging.WARNING):
        _end_run_logged(worker, _fail_run, worker, error)
    else:
        _fail_run(worker, error)


def _end_run_logged(worker, end, *args):
    """Ends the run of @worker with end(*args), and logs the stop that
    happened inside (stopped_elsewhere is not told of it); not a late end
    of a worker that had stopped."""
    stopped_before = _get_exit_code(worker) >= 0
    end(*args)
    if stopped_before:
        return
    exit_code = _get_exit_code(worker)
    if exit_code >= 0:
        log_stopped(worker, _get_stop_reason(worker), exit_code)


class _AwaitingRun:
    """The run of @worker, begun with begin_run, while @future (an asyncio
    task) awaits its run(): a forced stop cancels it (log_stopped()). Its
    coroutine is awaited by _awaited_run(), which ends the run with its
    outcome in the same task step; any other awaitable ends it through
    this done callback of @future."""

    __slots__ = ("worker", "future", "forced")

    def __init__(self, worker):
        self.worker = worker
        self.future = None
        self.forced = False
        _runs[worker] = self

    def cancel(self):
        self.forced = True
        self.future.cancel()

    def forget(self):
        if _runs.get(self.worker) is self:
            del _runs[self.worker]

    def __call__(self, future):
        worker = self.worker
        self.forget()
        if self.forced and future.cancelled():
            fail_run(worker, _cancelled_error())
            return
        try:
            future.result()
        except BaseException as exception:  # noqa: B036: every exception fails the run
            fail_run(worker, failures.to_gerror(exception, worker))
            return
        complete_run(worker)


async def _awaited_run(awaiting, coroutine):
    """Awaits @coroutine, the run() of @awaiting's worker, and ends the run
    with its outcome as soon as it has one, in the step of the task that
    ended it: no done callback, nor a handle of the loop, between the end
    of a run and C (a group of 10 000 workers ends its runs in one burst).
    Every exception fails the run; a CancelledError fails it as cancelled
    when a forced stop cancelled the task, as the error it is otherwise.
    SystemExit and KeyboardInterrupt go on out of the loop, as the task
    lets them out, and fail the run once the task is done (the done
    callback takes them from it); GeneratorExit (the task destroyed
    before it ended) leaves the run as it is."""
    try:
        await coroutine
    except (SystemExit, KeyboardInterrupt, GeneratorExit) as exception:
        if not isinstance(exception, GeneratorExit):
            awaiting.future.add_done_callback(awaiting)
        raise
    except BaseException as exception:  # noqa: B036: every exception fails the run
        awaiting.forget()
        worker = awaiting.worker
        if awaiting.forced and isinstance(exception, asyncio.CancelledError):
            fail_run(worker, _cancelled_error())
        else:
            fail_run(worker, failures.to_gerror(exception, worker))
        return
    # awaiting.forget() and complete_run(), inline.
    worker = awaiting.worker
    if _runs.get(worker) is awaiting:
        del _runs[worker]
    if _is_enabled_for(logging.INFO):
        _end_run_logged(worker, _complete_run, worker)
    else:
        _complete_run(worker)


class _Awaiting:
    """Completes @task with the outcome of @future, which awaits Python
    code for it (see settle()); its done callback. The cancellation of
    @task's cancellable (a forced stop) cancels @future; a CancelledError
    it raises itself is an error like any other, as in aio-fluid."""

    __slots__ = ("task", "future", "raised_for", "convert", "on_exception", "forced",
                 "cancellable", "handler")

    def __init__(self, task, future, raised_for, convert, on_exception):
        self.task = task
        self.future = future
        self.raised_for = raised_for
        self.convert = convert
        self.on_exception = on_exception
        self.forced = False
        self.cancellable = None
        self.handler = 0
        if type(task) is RunTask:
            _runs[task.worker] = self
            return
        cancellable = task.get_cancellable()
        if cancellable is None:
            return
        if cancellable.is_cancelled():
            self.cancel()
        else:
            self.cancellable = cancellable
            self.handler = GObject.Object.connect(cancellable, "cancelled", self.cancelled)

    def cancelled(self, *args):
        # From the thread that cancels.
        self.forced = True
        self.future.get_loop().call_soon_threadsafe(self.future.cancel)

    def cancel(self):
        self.forced = True
        self.future.cancel()

    def __call__(self, future):
        task = self.task
        if self.handler:
            self.cancellable.disconnect(self.handler)
        elif type(task) is RunTask and _runs.get(task.worker) is self:
            del _runs[task.worker]
        if self.forced and future.cancelled():
            task.return_error(_cancelled_error())
            return
        try:
            _return_result(task, future.result(), self.convert)
        except BaseException as exception:  # noqa: B036: every exception fails the task
            fail_task(task, exception, self.raised_for, self.on_exception)


def _await_into_task(task, awaitable, raised_for=None, convert=None, context=None,
                     on_exception=None):
    """Awaits @awaitable on the GLib loop and completes @task with its
    outcome (see settle() and _Awaiting)."""
    try:
        loop = glib_loop()
    except RuntimeError as exception:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        fail_task(task, exception, raised_for, on_exception)
        return

    context = context or contextvars.copy_context()
    run = type(task) is RunTask and raised_for is task.worker and convert is None \
        and on_exception is None
    if run and inspect.iscoroutine(awaitable):
        awaiting = _AwaitingRun(task.worker)
        awaiting.future = loop.create_task(_awaited_run(awaiting, awaitable), context=context)
        return
    if inspect.iscoroutine(awaitable):
        future = loop.create_task(awaitable, context=context)
    else:
        future = asyncio.ensure_future(awaitable, loop=loop)
    if run:
        awaiting = _AwaitingRun(task.worker)
        awaiting.future = future
    else:
        awaiting = _Awaiting(task, future, raised_for, convert, on_exception)
    # In the task's context: a copy of its own for a callback would cost a
    # Context more per worker, as long as it runs.
    future.add_done_callback(awaiting, context=context)


def settle(task, call, raised_for=None, convert=None, context=None, on_exception=None):
    """Calls @call in @context (a copy of the current one by default) and
    completes @task with what it returns (through @convert, to a GValue; by
    default, TRUE), awaiting it on the GLib loop, in that context, if it is
    awaitable. An exception, raised or by the awaitable, fails @task, as
    the failure of code run for @raised_for (fail_task())."""
    context = context or contextvars.copy_context()
    try:
        result = call_detached(context.run, call)
        if not inspect.isawaitable(result):
            _return_result(task, result, convert)
            return
    except BaseException as exception:  # noqa: B036
        fail_task(task, exception, raised_for, on_exception)
        return
    _await_into_task(task, result, raised_for, convert, context, on_exception)


def _for_future(exception):
    """@exception, which a future may hold: asyncio refuses a StopIteration,
    which a coroutine turns into a RuntimeError caused by it (PEP 479)."""
    if not isinstance(exception, StopIteration):
        return exception
    runtime_error = RuntimeError("coroutine raised StopIteration")
    runtime_error.__cause__ = exception
    return runtime_error


def pair_future(obj, name, *args, convert=None, raiser=None):
    """Calls the _async/_finish pair @name of @obj now; an asyncio future
    of the GLib loop for its value (through @convert), or its error as the
    exception it carries (failures.exception_for(), raised from @raiser).
    Cancelling the future leaves the C call to complete on its own."""
    loop = glib_loop()
    future = loop.create_future()

    def done(source, result, *user_data):
        held = failures.held(obj)
        try:
            value = getattr(source, f"{name}_finish")(result)
        except GLib.Error as error:
            if not future.done():
                future.set_exception(_for_future(failures.exception_for(error, raiser, held)))
            return
        if not future.done():
            future.set_result(convert(value) if convert is not None else value)

    getattr(obj, f"{name}_async")(*args, done)
    return future


# Generator and plain-method runs (1.0)

class Receive:
    """What QueueConsumer.receive() returns: yielded from a generator run,
    it takes the next message."""

    def __init__(self, timeout):
        self.timeout = timeout


def _is_seconds(value):
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


class _Driver:
    """Drives a generator on the worker's main context and completes task
    when it ends: yield a number sleeps that many seconds, yield None lets
    the main context iterate once, yield receive() takes a message."""

    def __init__(self, worker, generator, task, what):
        self.worker = worker
        self.generator = generator
        self.task = task
        self.what = what

    def start(self):
        self.step(None, None)

    def fail(self, exception):
        fail_task(self.task, exception, self.worker)

    def step(self, value, error):
        try:
            if error is not None:
                request = self.generator.throw(error)
            else:
                request = self.generator.send(value)
        except StopIteration:
            self.task.return_boolean(True)
            return
        except BaseException as exception:  # noqa: B036: reported as the run's error
            self.fail(exception)
            return

        cancellable = self.task.get_cancellable()
        if isinstance(request, Receive):
            self.worker.get_message_async(request.timeout, cancellable, self._received)
            return
        if not _is_seconds(request):
            self.generator.close()
            self.fail(TypeError(f"{self.what} yielded {request!r}: a number of seconds, "
                                f"None or receive() expected"))
            return
        seconds = 0.0 if request is None else float(request)
        self.worker.sleep_async(seconds, cancellable, self._slept)

    def _resume(self, finish, result):
        try:
            value = finish(result)
        except GLib.Error as error:
            self.step(None, error)
            return
        self.step(value, None)

    def _received(self, worker, result, *user_data):
        self._resume(worker.get_message_finish, result)

    def _slept(self, worker, result, *user_data):
        self._resume(worker.sleep_finish, result)


def _plain_loop(worker, method, first):
    seconds = first
    while True:
        yield getattr(worker, "heartbeat", 0.0) if seconds is None else seconds
        if not worker.is_running():
            return
        seconds = method()
        if not _is_seconds(seconds):
            raise TypeError(f"run() returned {seconds!r}: a number of seconds or None expected")


def start_hook(worker, task, name, loop):
    """Runs the hook @name of @worker (run, on_startup, on_shutdown) and
    completes @task when it ends: a coroutine is awaited on the GLib loop,
    a generator is driven, a plain method is called (in a loop for run)."""
    method = getattr(worker, name)
    try:
        result = call_detached(method)
    except BaseException as exception:  # noqa: B036
        fail_task(task, exception, worker)
        return
    if inspect.isgenerator(result) and inspect.isgeneratorfunction(method):
        _Driver(worker, result, task, f"{name}()").start()
        return
    if inspect.isawaitable(result):
        _await_into_task(task, result, worker)
        return
    if not loop:
        task.return_boolean(True)
        return
    if not _is_seconds(result):
        fail_task(task, TypeError(f"{name}() returned {result!r}: a number of seconds, "
                                  f"None or a coroutine expected"), worker)
        return
    _Driver(worker, _plain_loop(worker, method, result), task, f"{name}()").start()


def wait_pair(start, finish, context, raiser=None):
    """Calls start(callback), the _async half of a pair of @raiser, iterates
    @context until the callback ran, and returns finish(result); its error
    is raised as the exception it carries (failures.raise_for()). No frame
    keeps the result, a GTask, which holds its source in C."""
    results = []
    start(lambda source, result, *user_data: results.append(result))
    while not results:
        context.iteration(True)
    held = failures.held(raiser)
    try:
        return finish(results.pop())
    except GLib.Error as error:
        failed = error
    failures.raise_for(failed, raiser, held)
