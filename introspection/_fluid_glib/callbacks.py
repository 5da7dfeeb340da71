# callbacks.py: Python callables as the callbacks of the C API
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Python callables as the callbacks of the C API: the functions of
WorkerFunctions, the handlers of consumers and dispatchers, the factories
of a group's children. Each wrapper catches what the callable raises and
hands it to the library as the failure of its worker, its message or its
dispatch (failures.py): PyGObject would print it and go on."""

import inspect

from gi.module import get_introspection_module
from gi.repository import GLib, Gio, GObject

from . import failures, tasks
from .loop import glib_loop
from .subclass import adopt, logger

Fluid = get_introspection_module("Fluid")


def takes_arguments(func, count):
    """Whether @func takes @count positional arguments (else one fewer)."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return True
    positional = [p for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in signature.parameters.values()):
        return True
    return len(positional) >= count


def _check_callable(what, func):
    if not callable(func):
        raise TypeError(f"{what} must be callable, not {type(func).__name__}")


def _check_blocking(func, where, instead):
    if inspect.iscoroutinefunction(func):
        raise TypeError(f"{where}, where no event loop runs: it cannot be a coroutine "
                        f"function ({instead} awaits one on the main loop)")


def _refuse_awaitable(result, message):
    """Raises TypeError(@message) if @result is awaitable, which nothing
    will await; a coroutine is closed first."""
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise TypeError(message)


# WorkerFunction

def worker_function(name, heartbeat, run_function, stopping_grace_period, pass_worker,
                    user_data=()):
    """A WorkerFunction calling run_function(worker, *@user_data) (or
    run_function() unless @pass_worker), awaited when it returns an
    awaitable."""
    _check_callable("run_function", run_function)

    def call(worker, task, *ignored):
        if pass_worker:
            tasks.settle(task, lambda: run_function(worker, *user_data), worker)
        else:
            tasks.settle(task, run_function, worker)

    return adopt(Fluid.WorkerFunction.new_async(name, heartbeat, call), None,
                 stopping_grace_period)


def async_worker_function(name, heartbeat, func, user_data, stopping_grace_period):
    """A WorkerFunction calling func(worker, task, *@user_data), which
    completes @task, the C form."""
    _check_callable("func", func)

    def call(worker, task, *ignored):
        try:
            tasks.call_detached(func, worker, task, *user_data)
        except BaseException as exception:  # noqa: B036: fails the worker
            tasks.fail_task(task, exception, worker)

    return adopt(Fluid.WorkerFunction.new_async(name, heartbeat, call), None,
                 stopping_grace_period)


def threaded_worker_function(name, heartbeat, func, user_data, stopping_grace_period=None):
    """A WorkerFunction calling func(worker, cancellable, *@user_data) on a
    thread of its own."""
    _check_callable("func", func)
    _check_blocking(func, "a threaded function runs on a thread of its own",
                    "WorkerFunction(func)")

    def call(worker, cancellable, *ignored):
        # On the worker's thread; PyGObject holds the GIL for the call. An
        # exception is not left to PyGObject, which would print it and
        # return FALSE without an error: it fails the worker, and
        # wait_for_shutdown() raises it. PyGObject sets the callback's
        # GError from the GLib.Error raised.
        try:
            result = func(worker, cancellable, *user_data)
        except BaseException as exception:  # noqa: B036
            raise failures.to_gerror(exception, worker) from None
        # None, as a Python function that returns nothing: go on.
        return True if result is None else bool(result)

    return adopt(Fluid.WorkerFunction.new_threaded_named(name, heartbeat, call), None,
                 stopping_grace_period)


# QueueConsumerWorker

def async_message_handler(func, user_data):
    """The C callback of QueueConsumerWorker.new_async(func): it calls
    func(worker, message, task, *@user_data), which completes @task."""
    _check_callable("func", func)

    def call(worker, message, task, *ignored):
        try:
            tasks.call_detached(func, worker, message, task, *user_data)
        except BaseException as exception:  # noqa: B036: fails the message
            tasks.fail_task(task, exception, worker)

    return call


def _full_threaded_handler(func, user_data):
    """Whether the threaded handler @func takes (worker, message,
    cancellable, *user_data), rather than the message alone."""
    if user_data:
        return True
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return True
    parameters = signature.parameters.values()
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if len(positional) >= 3 and len(required) <= 3:
        return True
    if positional and len(required) <= 1:
        return False
    raise TypeError(f"{func!r} takes {len(positional)} positional arguments: a threaded "
                    f"handler is func(message) or func(worker, message, cancellable)")


def threaded_consumer(n_threads, func, user_data, name=None):
    """A QueueConsumerWorker calling @func for each message on one of
    @n_threads threads: func(message) or func(worker, message, cancellable,
    *@user_data)."""
    _check_callable("func", func)
    _check_blocking(func, "a threaded handler runs on the worker's threads",
                    "QueueConsumerWorker(func)")
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, not {n_threads}")
    full = _full_threaded_handler(func, user_data)

    def call(worker, message, cancellable, *ignored):
        # On one of the worker's threads; PyGObject holds the GIL for the
        # call. An exception is not left to PyGObject, which would print it
        # and return FALSE without an error: it fails the message.
        try:
            result = func(worker, message, cancellable, *user_data) if full else func(message)
            _refuse_awaitable(result, f"the threaded handler {func!r} returned an awaitable, "
                                      f"which nothing on its thread can await")
        except BaseException as exception:  # noqa: B036: fails the message
            raise failures.to_gerror(exception, worker) from None
        return result is not False

    return Fluid.QueueConsumerWorker.new_threaded_named(name, n_threads, call)


async def send(consumer, message, cancellable):
    """The coroutine of send_async(message), which awaits a future on the
    GLib loop. The C call gets a cancellable of its own, cancelled with
    @cancellable and when the future is, so that a cancelled await
    withdraws the message."""
    loop = glib_loop()
    future = loop.create_future()
    own = Gio.Cancellable()
    handler = 0
    if cancellable is not None:
        if cancellable.is_cancelled():
            own.cancel()
        else:
            handler = GObject.Object.connect(cancellable, "cancelled", lambda *args: own.cancel())

    def done(source, result, *user_data):
        if handler:
            cancellable.disconnect(handler)
        try:
            value = Fluid.QueueConsumer.send_finish(consumer, result)
        except GLib.Error as error:
            if not future.done():
                future.set_exception(failures.exception_for(error))
            return
        if not future.done():
            future.set_result(value)

    def withdrawn(future):
        if future.cancelled():
            own.cancel()

    future.add_done_callback(withdrawn)
    Fluid.QueueConsumer.send_async(consumer, message, own, done)
    return await future


# Dispatchers

def sync_handler(dispatcher, event, handler):
    """The C callback of a Dispatcher's @handler, which takes the message
    alone: what it raises is collected for dispatch() (see dispatch())."""
    _check_callable("a handler", handler)

    def call(message, *user_data):
        errors = dispatcher.__dict__.get("_fluid_dispatch_errors")
        try:
            _refuse_awaitable(handler(message),
                              f"handler {handler!r} of {event!r} returned an awaitable: a "
                              f"Dispatcher calls handlers at once; use an AsyncDispatcher")
        except BaseException as exception:  # noqa: B036
            if errors is None:
                raise
            errors.append(exception)

    return call


def dispatch(dispatcher, message):
    """Fluid.Dispatcher.dispatch(), raising the first exception a handler
    raised once every handler ran."""
    outer = dispatcher.__dict__.get("_fluid_dispatch_errors")
    errors = []
    dispatcher._fluid_dispatch_errors = errors
    try:
        count = Fluid.Dispatcher.dispatch(dispatcher, message)
    finally:
        dispatcher._fluid_dispatch_errors = outer
    if errors:
        raise errors[0]
    return count


def async_handler(handler):
    """The C callback of an AsyncDispatcher's @handler: ``async def
    handler(message)``, a function of the message, or 1.0's
    handler(message, task), which completes @task."""
    _check_callable("a handler", handler)
    completes_task = not inspect.iscoroutinefunction(handler) and takes_arguments(handler, 2)

    def call(message, task, *user_data):
        if not completes_task:
            tasks.settle(task, lambda: handler(message))
            return
        try:
            tasks.call_detached(handler, message, task)
        except BaseException as exception:  # noqa: B036
            tasks.fail_task(task, exception)

    return call


# Groups

def child_factory(factory, user_data):
    """The C factory of a child made by factory(group, *@user_data): an
    exception or something that is not a worker is a failed replacement,
    logged with its traceback."""
    _check_callable("factory", factory)

    def make(group, *ignored):
        try:
            worker = factory(group, *user_data)
        except BaseException:  # noqa: B036: a failed replacement, never a crash
            logger.exception("%s: the factory of a child raised", group.get_name())
            return None
        if not isinstance(worker, Fluid.Worker):
            logger.error("%s: the factory of a child returned %r, not a worker",
                         group.get_name(), worker)
            return None
        return worker

    return make
