# _fluid_runtime.py: what the PyGObject override of libfluid-glib runs on
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""The machinery of ``gi.overrides.Fluid``: asyncio on the GLib main
context, the exceptions that travel through C as GErrors and come back as
themselves, the completion of GTasks from Python code (functions,
coroutines, generators), and the virtual methods that Python spellings
become. Fluid.py builds the public classes on it; nothing here is public
but what Fluid.py exports (``install_asyncio``, ``WorkerStartError``,
``WorkerStoppedError``)."""

import asyncio
import atexit
import collections
import contextvars
import inspect
import logging
import threading

from gi.repository import GLib, GObject, Gio

from ..module import get_introspection_module

Fluid = get_introspection_module("Fluid")

logger = logging.getLogger("fluid")

# asyncio on the GLib main context

_policy_classes = []


def _gbulb_policy_class():
    from gbulb.glib_events import GLibEventLoop, GLibEventLoopPolicy

    class DefaultContextPolicy(GLibEventLoopPolicy):
        """gbulb's policy gives the default GMainContext to the first loop
        of the main thread only: a second asyncio.run() would get a loop on
        a new context, where nothing of the default one runs. Every loop of
        the main thread runs the default context here; a loop of another
        thread runs that thread's default context (a new one if it pushed
        none)."""

        def new_event_loop(self):
            if threading.current_thread() is threading.main_thread():
                context = GLib.MainContext.default()
            else:
                context = GLib.MainContext.get_thread_default() or GLib.MainContext()
            loop = GLibEventLoop(context=context, application=self._application)
            loop._policy = self
            return loop

    _policy_classes.append(GLibEventLoopPolicy)
    return DefaultContextPolicy


def _glib_policy_class():
    try:
        from gi.events import GLibEventLoopPolicy  # PyGObject >= 3.50
    except ImportError:
        return _gbulb_policy_class()
    _policy_classes.append(GLibEventLoopPolicy)
    return GLibEventLoopPolicy


def install_asyncio():
    """Installs the asyncio event loop policy that runs on the GLib main
    context, so that ``asyncio.run()`` drives workers, GIO and GTK: the
    policy of ``gi.events`` on PyGObject 3.50 and later, else gbulb's
    (Debian's ``python3-gbulb``), amended so that every ``asyncio.run()``
    of the main thread runs the default main context. Call it once, before
    the first ``asyncio.run()``; a second call does nothing. Returns the
    policy."""
    policy = asyncio.get_event_loop_policy()
    if _policy_classes and isinstance(policy, tuple(_policy_classes)):
        return policy
    policy = _glib_policy_class()()
    if "gbulb" in type(policy).__module__ or type(policy).__qualname__.endswith("DefaultContextPolicy"):
        # As gbulb.install() does: subprocesses are watched by GLib.
        from gbulb.glib_events import GLibChildWatcher
        asyncio.SafeChildWatcher = GLibChildWatcher
    asyncio.set_event_loop_policy(policy)
    return policy


def _is_glib_loop(loop):
    return hasattr(loop, "_context") and isinstance(getattr(loop, "_context"), GLib.MainContext) \
        or type(loop).__module__.startswith(("gi.events", "gi._ossighelper"))


def _glib_loop():
    """The asyncio loop that runs on this thread's GLib main context;
    RuntimeError when asyncio does not run on GLib here."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        if not _is_glib_loop(loop):
            raise RuntimeError("libfluid-glib's coroutines need asyncio on the GLib main "
                               "context, not on %s: call Fluid.install_asyncio() before "
                               "asyncio.run()" % type(loop).__name__)
        return loop
    policy = asyncio.get_event_loop_policy()
    if not (_policy_classes and isinstance(policy, tuple(_policy_classes))):
        raise RuntimeError("libfluid-glib's coroutines need asyncio on the GLib main context: "
                           "call Fluid.install_asyncio() before asyncio.run()")
    return _idle_loop(policy)


_thread_loops = threading.local()


def _idle_loop(policy):
    """The loop of this thread's blocking helpers, when no asyncio loop
    runs: one per thread, on the same main context as asyncio.run()'s, and
    closed at exit."""
    loop = getattr(_thread_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = policy.new_event_loop()
        _thread_loops.loop = loop
        atexit.register(loop.close)
    return loop


def _asyncio_ready():
    """Whether blocking helpers should run the asyncio loop rather than
    iterate the main context: asyncio runs on GLib and no loop runs."""
    if not (_policy_classes and isinstance(asyncio.get_event_loop_policy(), tuple(_policy_classes))):
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return threading.current_thread() is threading.main_thread()
    return False


# Exceptions: each one raised by Python code that the library called
# travels through C as a GError; the original is raised again from there.

_RECENT_EXCEPTIONS = collections.OrderedDict()
_RECENT_LIMIT = 256
_recent_lock = threading.Lock()


class WorkerStartError(GLib.Error):
    """Raised by ``startup()`` of a worker that started already (aio-fluid's
    ``WorkerStartError``); a :class:`GLib.Error` of
    ``Fluid.WorkerError.ALREADY_STARTED``."""


class WorkerStoppedError(GLib.Error):
    """Raised by ``await consumer.send_async(message)`` and
    ``consumer.send_sync(message)`` when the consumer stopped before it took
    the message, which was neither queued nor counted; a :class:`GLib.Error`
    of ``Fluid.WorkerError.STOPPED``."""


def _error_key(error):
    return (error.domain, error.code, error.message)


def _describe(exception):
    text = str(exception)
    name = type(exception).__name__
    return f"{name}: {text}" if text else name


def _to_gerror(exception):
    """The GError that carries @exception through C; remembered so that
    _original() finds the exception again."""
    if isinstance(exception, GLib.Error):
        error = exception
    else:
        error = GLib.Error.new_literal(Fluid.worker_error_quark(), _describe(exception),
                                       Fluid.WorkerError.FAILED)
    with _recent_lock:
        _RECENT_EXCEPTIONS[_error_key(error)] = exception
        _RECENT_EXCEPTIONS.move_to_end(_error_key(error))
        while len(_RECENT_EXCEPTIONS) > _RECENT_LIMIT:
            _RECENT_EXCEPTIONS.popitem(last=False)
    return error


def _original(error, worker=None):
    """The exception to raise for @error: the Python exception it carries,
    WorkerStartError for a second start, else @error itself."""
    with _recent_lock:
        exception = _RECENT_EXCEPTIONS.get(_error_key(error))
    if exception is None and worker is not None:
        # Forgotten by the registry after many other failures.
        exception = worker.__dict__.get("_fluid_exception")
        if exception is not None and _describe(exception) != error.message:
            exception = None
    if exception is not None:
        return exception
    if error.matches(Fluid.worker_error_quark(), Fluid.WorkerError.ALREADY_STARTED):
        return WorkerStartError(error.message, error.domain, error.code)
    if error.matches(Fluid.worker_error_quark(), Fluid.WorkerError.STOPPED):
        return WorkerStoppedError(error.message, error.domain, error.code)
    return error


def _raise_original(error, worker=None):
    exception = _original(error, worker)
    if exception is error:
        raise error
    # The GError it travelled as is the cause, as in 1.0.
    raise exception from error


# Completing GTasks from Python code

_chaining = contextvars.ContextVar("fluid_chaining", default=frozenset())


def _return_exception(task, exception, worker=None):
    """Fails @task with @exception; a failure of @worker's own code is
    remembered on it, for wait_for_shutdown()."""
    error = _to_gerror(exception)
    if worker is not None and "_fluid_exception" not in worker.__dict__:
        worker._fluid_exception = exception
    task.return_error(error)


def _return_result(task, value, convert):
    if convert is None:
        task.return_boolean(True)
        return
    task.return_value(convert(value))


def _cancelled_error():
    return GLib.Error.new_literal(Gio.io_error_quark(), "Operation was cancelled",
                                  Gio.IOErrorEnum.CANCELLED)


def _await_into_task(task, awaitable, worker=None, convert=None, context=None):
    """Runs @awaitable as an asyncio task on the GLib loop and completes
    @task with its outcome. The cancellation of @task's cancellable (a
    forced stop) cancels it; a CancelledError it raises itself is an error
    like any other, as in aio-fluid."""
    try:
        loop = _glib_loop()
    except RuntimeError as exception:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        _return_exception(task, exception, worker)
        return

    async def await_it():
        return await awaitable

    future = loop.create_task(await_it(), context=context or contextvars.copy_context())
    cancellable = task.get_cancellable()
    forced = []
    handler = 0

    def on_cancelled(*args):
        forced.append(True)
        loop.call_soon_threadsafe(future.cancel)

    def done(future):
        if handler:
            cancellable.disconnect(handler)
        if forced and future.cancelled():
            task.return_error(_cancelled_error())
            return
        try:
            value = future.result()
        except BaseException as exception:  # noqa: B036: every exception fails the task
            _return_exception(task, exception, worker)
            return
        try:
            _return_result(task, value, convert)
        except BaseException as exception:  # noqa: B036
            _return_exception(task, exception, worker)

    if cancellable is not None:
        if cancellable.is_cancelled():
            on_cancelled()
        else:
            handler = GObject.Object.connect(cancellable, "cancelled", on_cancelled)
    future.add_done_callback(done)


def _settle(task, call, worker=None, convert=None, context=None):
    """Calls @call in @context (a copy of the current one by default) and
    completes @task with what it returns, awaiting it on the GLib loop, in
    that context, if it is awaitable; an exception fails @task."""
    context = context or contextvars.copy_context()
    try:
        result = context.run(call)
    except BaseException as exception:  # noqa: B036
        _return_exception(task, exception, worker)
        return
    if inspect.isawaitable(result):
        _await_into_task(task, result, worker, convert, context)
        return
    try:
        _return_result(task, result, convert)
    except BaseException as exception:  # noqa: B036
        _return_exception(task, exception, worker)


def _pair_future(obj, name, *args, convert=None, raise_for=None):
    """Calls the _async/_finish pair @name of @obj now; an asyncio future
    of the GLib loop for its value (through @convert), or its error as the
    exception it carries (_original()). Cancelling the future leaves the C
    call to complete on its own."""
    loop = _glib_loop()
    future = loop.create_future()

    def done(source, result, *user_data):
        try:
            value = getattr(source, f"{name}_finish")(result)
        except GLib.Error as error:
            if not future.done():
                future.set_exception(_original(error, raise_for))
            return
        if not future.done():
            future.set_result(convert(value) if convert is not None else value)

    getattr(obj, f"{name}_async")(*args, done)
    return future



def _gi_parent(cls):
    """The nearest class of @cls's hierarchy that Python did not define:
    its virtual methods are the C implementations that super() reaches."""
    for base in cls.__mro__:
        if base.__module__.startswith("gi.repository."):
            return base
    raise TypeError(f"{cls.__name__} has no GObject-Introspection parent")


def _in_vfunc(obj, name):
    return (id(obj), name) in _chaining.get()


def _enter_vfunc(obj, name):
    """A copy of the current context where _in_vfunc(obj, name) holds: a
    Python method that overrides a virtual method runs there, so that its
    super() call reaches the C implementation instead of the public method,
    which would call the override again."""
    context = contextvars.copy_context()
    context.run(_chaining.set, _chaining.get() | {(id(obj), name)})
    return context


# Status values

def _variant_of(value):
    if isinstance(value, GLib.Variant):
        return value
    if isinstance(value, bool):
        return GLib.Variant("b", value)
    if isinstance(value, int):
        return GLib.Variant("x", value) if value < 0 else GLib.Variant("t", value)
    if isinstance(value, float):
        return GLib.Variant("d", value)
    if isinstance(value, str):
        return GLib.Variant("s", value)
    if isinstance(value, dict):
        return _status_variant(value)
    if isinstance(value, (list, tuple)):
        return GLib.Variant("av", [GLib.Variant("v", _variant_of(item)) for item in value])
    raise TypeError(f"a status value must be a bool, number, string, dict, list or "
                    f"GLib.Variant, not {type(value).__name__}")


def _status_variant(status):
    if isinstance(status, GLib.Variant):
        return status
    if not isinstance(status, dict):
        raise TypeError(f"status() must return a dict, not {type(status).__name__}")
    return GLib.Variant("a{sv}", {str(key): _variant_of(value) for key, value in status.items()})


def _status_value(variant):
    value = GObject.Value(GObject.TYPE_VARIANT)
    value.set_variant(_status_variant(variant))
    return value


# Generator and plain-method runs (1.0)

class _Receive:
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
        _return_exception(self.task, exception, self.worker)

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
        if isinstance(request, _Receive):
            self.worker.get_message_async(request.timeout, cancellable, self._received)
            return
        if not _is_seconds(request):
            self.generator.close()
            self.fail(TypeError(f"{self.what} yielded {request!r}: a number of seconds, "
                                f"None or receive() expected"))
            return
        seconds = 0.0 if request is None else float(request)
        self.worker.sleep_async(seconds, cancellable, self._slept)

    def _received(self, worker, result, *user_data):
        try:
            message = worker.get_message_finish(result)
        except GLib.Error as error:
            self.step(None, error)
            return
        self.step(message, None)

    def _slept(self, worker, result, *user_data):
        try:
            slept = worker.sleep_finish(result)
        except GLib.Error as error:
            self.step(None, error)
            return
        self.step(slept, None)


def _plain_loop(worker, method, first):
    seconds = first
    while True:
        yield getattr(worker, "heartbeat", 0.0) if seconds is None else seconds
        if not worker.is_running():
            return
        seconds = method()
        if not _is_seconds(seconds):
            raise TypeError(f"run() returned {seconds!r}: a number of seconds or None expected")


def _start_hook(worker, task, name, loop):
    """Runs the hook @name of @worker (run, on_startup, on_shutdown) and
    completes @task when it ends: a coroutine is awaited on the GLib loop,
    a generator is driven, a plain method is called (in a loop for run)."""
    method = getattr(worker, name)
    if inspect.isgeneratorfunction(method):
        try:
            generator = method()
        except BaseException as exception:  # noqa: B036
            _return_exception(task, exception, worker)
            return
        _Driver(worker, generator, task, f"{name}()").start()
        return
    try:
        result = method()
    except BaseException as exception:  # noqa: B036
        _return_exception(task, exception, worker)
        return
    if inspect.isawaitable(result):
        _await_into_task(task, result, worker)
        return
    if not loop:
        task.return_boolean(True)
        return
    if not _is_seconds(result):
        _return_exception(task, TypeError(f"{name}() returned {result!r}: a number of seconds, "
                                          f"None or a coroutine expected"), worker)
        return
    _Driver(worker, _plain_loop(worker, method, result), task, f"{name}()").start()


def _make_hook_vfuncs(name, loop):
    def do_async(self, cancellable, callback, user_data=None):
        # PyGObject binds user_data into the C callback it hands over.
        task = Gio.Task.new(self, cancellable, callback)
        _start_hook(self, task, name, loop)

    def do_finish(self, result):
        return result.propagate_boolean()

    return do_async, do_finish


_HOOKS = {"run": True, "on_startup": False, "on_shutdown": False}


def _make_status_vfuncs():
    def do_async(self, cancellable, callback, user_data=None):
        task = Gio.Task.new(self, cancellable, callback)
        _settle(task, self.status, convert=_status_value, context=_enter_vfunc(self, "status"))

    def do_finish(self, result):
        return result.propagate_value().value

    return do_async, do_finish


def _make_gracefully_stop_vfunc(method):
    def do_gracefully_stop(self):
        context = _enter_vfunc(self, "gracefully_stop")
        context.run(method, self)

    return do_gracefully_stop


def _make_after_shutdown_vfunc(method):
    def do_after_shutdown(self, reason, exit_code):
        try:
            method(self, reason, exit_code)
        except BaseException:  # noqa: B036: the worker stopped already; logged, not printed
            logger.exception("%s: after_shutdown() raised", self.get_name())

    return do_after_shutdown


def _hook_up(cls):
    """Turns the Python spellings a subclass defines into virtual methods;
    runs before GObjectMeta hooks up the do_* methods of the class."""
    attrs = cls.__dict__
    for name, loop in _HOOKS.items():
        if name in attrs and f"do_{name}_async" not in attrs:
            do_async, do_finish = _make_hook_vfuncs(name, loop)
            setattr(cls, f"do_{name}_async", do_async)
            setattr(cls, f"do_{name}_finish", do_finish)
    if "status" in attrs and "do_status_async" not in attrs:
        do_async, do_finish = _make_status_vfuncs()
        cls.do_status_async = do_async
        cls.do_status_finish = do_finish
    if "gracefully_stop" in attrs and "do_gracefully_stop" not in attrs:
        cls.do_gracefully_stop = _make_gracefully_stop_vfunc(attrs["gracefully_stop"])
    if "after_shutdown" in attrs and "do_after_shutdown" not in attrs:
        cls.do_after_shutdown = _make_after_shutdown_vfunc(attrs["after_shutdown"])
