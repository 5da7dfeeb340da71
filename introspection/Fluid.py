# Fluid.py: the PyGObject override of libfluid-glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Python conveniences for libfluid-glib (``gi.repository.Fluid``).

aio-fluid code runs with its import lines changed and little else::

    import asyncio
    from gi.repository import Fluid

    class SimpleWorker(Fluid.Worker):
        async def run(self):
            while self.is_running():
                await self.sleep(1)

    async def main():
        async with SimpleWorker() as worker:
            ...

    Fluid.install_asyncio()
    asyncio.run(main())

asyncio on the GLib main context
    :func:`install_asyncio` installs the asyncio event loop policy that runs
    on the GLib main context: ``gi.events`` on PyGObject 3.50 and later,
    Debian's ``python3-gbulb`` before. Every ``asyncio.run()`` of the main
    thread then drives the default ``GMainContext``, where workers, GTK and
    GIO live. Coroutines of this library (``async def run``, hooks,
    handlers, callbacks) run on that loop, and need it: they fail their
    worker with a ``RuntimeError`` that says so without it.

Coroutine methods
    ``startup()``, ``shutdown()``, ``wait_for_shutdown()``, ``status()`` (a
    dict), ``sleep(seconds)``, a consumer's ``get_message(timeout=0.5)``,
    a QueueConsumerWorker's ``on_message(message)`` and an async
    dispatcher's ``dispatch(message)`` are ``async def`` methods: each
    ``_async``/``_finish`` pair of the C API has one, whose C call starts
    when the coroutine runs, so that ``await``, ``asyncio.create_task()``
    and ``asyncio.TaskGroup`` take it. ``send()`` stays 1.0's (and
    aio-fluid's) synchronous send, which never refuses: the coroutine of
    its pair is ``await consumer.send_async(message)``, without a
    callback; it waits for room under ``max-queue-size`` and raises
    :class:`WorkerStoppedError` when the consumer stops first.
    ``try_send(message)`` refuses instead of waiting, and a producer thread
    blocks in ``send_sync(message)``. ``async with worker:`` starts the
    worker and shuts it down.

Python code the library calls
    A subclass of :class:`Fluid.Worker` defines ``run``, ``on_startup``,
    ``on_shutdown`` (``async def``, generators, or plain methods), and may
    define ``status``, ``gracefully_stop`` and ``after_shutdown``; a
    subclass of :class:`Fluid.QueueConsumerWorker` may define
    ``on_message``. Each becomes the virtual method, and ``super()`` calls
    the parent's C implementation.

    ``Fluid.WorkerFunction.new_threaded(heartbeat, func)`` calls
    ``func(worker, cancellable)`` on a thread of the worker's own, and
    ``Fluid.QueueConsumerWorker.new_threaded(n_threads, func)`` calls
    ``func(message)`` (or ``func(worker, message, cancellable)``) on one of
    its @n_threads threads, for code that blocks. PyGObject takes the GIL
    for each call: CPU-bound Python code does not run in parallel, blocking
    I/O and C code that releases the GIL do.

    An exception raised there is never printed and ignored: from ``run``, a
    hook or a WorkerFunction's function (threaded or not) it fails the
    worker (exit code 2, ``fluid_worker_fail``); from a message callback
    (threaded or not) or a dispatcher handler it fails the message (and the
    worker, unless ``stop-on-failure`` is unset). ``wait_for_shutdown()`` and ``shutdown()`` raise that same
    exception, every time. A value the library cannot use (``run``
    returning a string) is a ``TypeError`` that fails the worker.

aio-fluid's names
    ``name=`` and ``stopping_grace_period=`` on every constructor of a
    worker, the threaded ones and the C-style ``new*()`` included, set
    once the worker is made (``set_name()``,
    ``set_stopping_grace_period()``, until it starts);
    ``Workers(*workers, name=, stopping_grace_period=)``,
    ``add_workers(*workers)``, ``workers()``,
    ``QueueConsumerWorker(on_message)``, ``AsyncConsumer(dispatcher)``,
    ``WorkerFunction(run_function, heartbeat=, name=,
    stopping_grace_period=)``, ``queue_size()``,
    ``group.add_child(Fluid.Restart.PERMANENT, lambda group: MyWorker())``, ``worker_name``,
    ``worker_state`` (printed as aio-fluid's value, ``running``),
    ``num_workers``, ``Event.from_string``, :class:`WorkerStartError`
    (and 1.2's :class:`WorkerStoppedError`),
    dispatchers defining ``event_type(self, message)`` and handlers taking
    the message alone.

Logging
    Workers log through Python's :mod:`logging`, logger ``fluid``, as
    aio-fluid: "NAME started running", "NAME stopped running: REASON",
    "NAME forced shutdown"; leaving a ``with`` block warns when queued
    messages were discarded.

1.0's API keeps working: generator ``run`` (``yield seconds``, ``message =
yield self.receive()``), the blocking helpers (``startup_sync()``,
``shutdown_sync()``, ``wait_for_shutdown_sync()``, ``sleep_sync()``,
``status_sync()``), ``with worker:``, ``WorkerFunction.new(heartbeat,
func)``, ``QueueConsumerWorker.new(func)`` with ``func(worker, message)``.
"""

import inspect
import logging
import math

from gi.repository import GLib, GObject, Gio

from ..module import get_introspection_module
from ..overrides import override
from ._fluid_runtime import (
    install_asyncio,
    _glib_loop,
    _asyncio_ready,
    WorkerStartError,
    WorkerStoppedError,
    _to_gerror,
    _original,
    _raise_original,
    _return_exception,
    _settle,
    _pair_future,
    _gi_parent,
    _in_vfunc,
    _enter_vfunc,
    _Receive,
    _hook_up,
)

Fluid = get_introspection_module("Fluid")

logger = logging.getLogger("fluid")

__all__ = ["install_asyncio", "WorkerStartError", "WorkerStoppedError"]


# Logging, as aio-fluid's

def _log_started(worker, *args):
    logger.info("%s started running", worker.get_name())
    return True


def _log_stopped(worker, reason, exit_code, *args):
    name = worker.get_name()
    if exit_code == 1:
        logger.warning("%s forced shutdown", name)
    logger.log(logging.INFO if exit_code == 0 else logging.WARNING,
               "%s stopped running: %s", name, reason)
    return True


# Signals exist once the class is initialized.
GObject.type_class_ref(Fluid.Worker.__gtype__)
GObject.add_emission_hook(Fluid.Worker, "started", _log_started)
GObject.add_emission_hook(Fluid.Worker, "stopped", _log_stopped)


# The worker's state, printed as aio-fluid's WorkerState values

def _state_str(state):
    return state.value_nick.replace("-", "_")


Fluid.WorkerState.__str__ = _state_str
WorkerState = Fluid.WorkerState
__all__.append("WorkerState")


def _discarded(worker):
    if isinstance(worker, Fluid.QueueConsumer):
        return worker.get_discarded()
    if isinstance(worker, Fluid.Workers):
        return sum(_discarded(child) for child in worker)
    return 0


def _warn_discarded(worker, before):
    discarded = _discarded(worker) - before
    if discarded:
        logger.warning("%s discarded %d queued message%s when it stopped: the block ended "
                       "before they were handled (see drain-on-stop)", worker.get_name(),
                       discarded, "" if discarded == 1 else "s")


class Worker(Fluid.Worker):
    __doc__ = Fluid.Worker.__doc__

    heartbeat = 0.0

    def __init__(self, *, name=None, stopping_grace_period=None, **kwargs):
        """aio-fluid's keywords, for every worker: @name (None or empty:
        the default, the snake_case of the class's name) and
        @stopping_grace_period in seconds (None: the default); other
        keywords are properties."""
        super().__init__(**kwargs)
        _configure(self, name, stopping_grace_period)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _hook_up(cls)

    def __class_getitem__(cls, item):
        return cls

    # Awaitables

    async def startup(self):
        """Starts the worker; a coroutine, done once it runs. A second
        start raises :class:`WorkerStartError`."""
        return await _pair_future(self, "startup", None)

    async def shutdown(self):
        """Stops the worker gracefully, forced after the grace period; a
        coroutine, done once it stopped. Raises the exception of a failed
        run."""
        return await _pair_future(self, "shutdown", None, raise_for=self)

    async def wait_for_shutdown(self):
        """Waits for the worker to stop, without asking it to; raises the
        exception of a failed run, every time."""
        return await _pair_future(self, "wait_for_shutdown", None, raise_for=self)

    async def status(self):
        """The status of the worker, a dict; a coroutine. A subclass may
        define ``async def status(self)``, which extends
        ``await super().status()``."""
        if _in_vfunc(self, "status"):
            return await self._chain_status()
        return await _pair_future(self, "status", None, convert=lambda variant: variant.unpack())

    def _chain_status(self):
        # PyGObject 3.42 crashes when a parent class's do_status_async
        # calls back: the C library chains up for it.
        return self.status_for_type(_gi_parent(type(self)).__gtype__)

    async def status_for_type(self, gtype):
        """The status as @gtype's class collects it (a dict); a coroutine."""
        return await _pair_future(self, "status_for_type", gtype, None,
                                  convert=lambda variant: variant.unpack())

    async def sleep(self, seconds):
        """Sleeps @seconds; a coroutine. Ends at once, with ``False``, when
        the worker is asked to stop; raises ``GLib.Error`` (cancelled) on a
        forced stop."""
        return await _pair_future(self, "sleep", seconds, self.get_cancellable())

    def gracefully_stop(self):
        """Asks the worker to stop (thread-safe); a subclass may override it
        and call ``super().gracefully_stop()``."""
        if _in_vfunc(self, "gracefully_stop"):
            _gi_parent(type(self)).do_gracefully_stop(self)
            return
        Fluid.Worker.gracefully_stop(self)

    async def __aenter__(self):
        await self.startup()
        return self

    async def __aexit__(self, exc_type, exc_value, traceback):
        before = _discarded(self)
        try:
            await self.shutdown()
        except BaseException:  # noqa: B036
            if exc_type is None:
                raise
        _warn_discarded(self, before)
        return False

    # Blocking helpers

    def _call_sync(self, name, *args, future=None):
        # The future itself, not a task of the coroutine: a task re-raises
        # SystemExit and KeyboardInterrupt out of the loop.
        if future is not None and _asyncio_ready():
            return _glib_loop().run_until_complete(future())
        results = []
        getattr(self, f"{name}_async")(*args, lambda worker, result, *data: results.append(result))
        context = GLib.MainContext.ref_thread_default()
        while not results:
            context.iteration(True)
        try:
            return getattr(self, f"{name}_finish")(results[0])
        except GLib.Error as error:
            _raise_original(error, self)

    def _sync_future(self, name, cancellable, **kwargs):
        if cancellable is not None:
            return None
        return lambda: _pair_future(self, name, None, **kwargs)

    def startup_sync(self, cancellable=None):
        """Starts the worker; returns once it runs."""
        return self._call_sync("startup", cancellable,
                               future=self._sync_future("startup", cancellable))

    def shutdown_sync(self, cancellable=None):
        """Stops the worker gracefully, forced after the grace period, and
        returns once it stopped; raises the exception of a failed run."""
        return self._call_sync("shutdown", cancellable,
                               future=self._sync_future("shutdown", cancellable, raise_for=self))

    def wait_for_shutdown_sync(self, cancellable=None):
        """Returns once the worker stopped, without asking it to; raises the
        exception of a failed run."""
        return self._call_sync("wait_for_shutdown", cancellable,
                               future=self._sync_future("wait_for_shutdown", cancellable,
                                                        raise_for=self))

    def sleep_sync(self, seconds, cancellable=None):
        """Sleeps like sleep_async(), iterating the main context."""
        return self._call_sync("sleep", seconds, cancellable)

    def status_sync(self, cancellable=None):
        """The status of the worker as a dict."""
        return self._call_sync("status", cancellable).unpack()

    def __enter__(self):
        self.startup_sync()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        before = _discarded(self)
        try:
            self.shutdown_sync()
        except BaseException:  # noqa: B036
            if exc_type is None:
                raise
        _warn_discarded(self, before)
        return False

    # aio-fluid names

    @property
    def worker_name(self):
        return self.get_name()

    @property
    def worker_state(self):
        return self.get_state()

    @property
    def num_workers(self):
        return self.get_num_workers()

    def workers(self):
        """The workers this one stands for: itself, or a group's children."""
        return [self]


Worker = override(Worker)
__all__.append("Worker")


class QueueConsumer(Fluid.QueueConsumer):
    __doc__ = Fluid.QueueConsumer.__doc__

    def receive(self, timeout=-1.0):
        """In a generator ``run``, ``message = yield self.receive()`` takes
        the next message (``None`` on timeout or when the worker stops)."""
        return _Receive(timeout)

    async def get_message(self, timeout=0.5):
        """The next message, a coroutine; ``None`` after @timeout seconds (a
        negative one waits without limit) or once the worker stops, as
        aio-fluid's."""
        return await _pair_future(self, "get_message", timeout, self.get_cancellable())

    def queue_size(self):
        """The number of messages waiting."""
        return self.get_queue_size()

    # Backpressure (1.2). send() keeps its 1.0 contract, aio-fluid's too:
    # it never blocks and never refuses, even past max-queue-size.

    def send_async(self, message, cancellable=None, callback=None, *user_data):
        """Queues @message once the queue has room under
        ``max-queue-size``, waiting in order of arrival (1.2).

        Without a callback, a coroutine: ``await
        consumer.send_async(message)`` (or a task made of it) waits for room
        from the moment it runs, returns ``True`` once the message is
        queued, and raises :class:`WorkerStoppedError` when the consumer
        stops first (the message was not taken) or ``GLib.Error``
        (cancelled) when @cancellable is. Cancelling the task that awaits it
        withdraws the message, unless it was queued already. With a
        callback, the C method: ``send_async(message, cancellable,
        callback, *user_data)``.
        """
        if callback is not None:
            return Fluid.QueueConsumer.send_async(self, message, cancellable, callback, *user_data)
        return _send_coroutine(self, message, cancellable)

    def send_sync(self, message, cancellable=None):
        """Blocks the calling thread until @message is queued under
        ``max-queue-size`` (1.2), for producer threads; raises as
        ``send_async()``. It waits on a main context of its own, so any
        thread may call it; but it blocks: on a consumer's own thread, for a
        consumer that takes its messages there (any but a threaded one), a
        full queue never empties. There, ``await send_async()``."""
        context = GLib.MainContext()
        context.push_thread_default()
        results = []
        try:
            Fluid.QueueConsumer.send_async(self, message, cancellable,
                                           lambda source, result, *data: results.append(result))
            while not results:
                context.iteration(True)
        finally:
            context.pop_thread_default()
        try:
            return Fluid.QueueConsumer.send_finish(self, results[0])
        except GLib.Error as error:
            _raise_original(error)


QueueConsumer = override(QueueConsumer)
__all__.append("QueueConsumer")


async def _send_coroutine(consumer, message, cancellable):
    """The coroutine of send_async(message), which awaits a future on the
    GLib loop. The C call gets a cancellable of its own, cancelled with
    @cancellable and when the future is, so that a cancelled await
    withdraws the message."""
    loop = _glib_loop()
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
                future.set_exception(_original(error))
            return
        if not future.done():
            future.set_result(value)

    def withdrawn(future):
        if future.cancelled():
            own.cancel()

    future.add_done_callback(withdrawn)
    Fluid.QueueConsumer.send_async(consumer, message, own, done)
    return await future


def _takes_arguments(func, count):
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


def _default_name(gtype_name):
    """The snake_case name a C worker of that type gets."""
    name = []
    for i, char in enumerate(gtype_name):
        if char.isupper() and i > 0:
            name.append("_")
        name.append(char.lower())
    return "".join(name)


def _grace_seconds(stopping_grace_period):
    """@stopping_grace_period as a float, checked: None stays None."""
    if stopping_grace_period is None:
        return None
    if isinstance(stopping_grace_period, bool) or \
            not isinstance(stopping_grace_period, (int, float)):
        raise TypeError(f"stopping_grace_period must be a number of seconds, not "
                        f"{type(stopping_grace_period).__name__}")
    seconds = float(stopping_grace_period)
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        raise ValueError(f"stopping_grace_period must be a finite number of seconds, not "
                         f"negative: {stopping_grace_period!r}")
    return seconds


def _configure(worker, name=None, stopping_grace_period=None):
    """Gives @worker, just made, aio-fluid's keywords, through the
    setters of its properties: @name (None or empty keeps the name it has)
    and @stopping_grace_period in seconds (None keeps the default).
    Returns @worker."""
    seconds = _grace_seconds(stopping_grace_period)
    if name:
        Fluid.Worker.set_name(worker, name)
    if seconds is not None:
        Fluid.Worker.set_stopping_grace_period(worker, seconds)
    return worker


class QueueConsumerWorker(Fluid.QueueConsumerWorker):
    """A queue consumer that handles each message with a callback.

    ``Fluid.QueueConsumerWorker(on_message, name=, stopping_grace_period=)``,
    as aio-fluid's: ``on_message(message)`` is a function or a coroutine
    function. ``Fluid.QueueConsumerWorker.new(func)`` (1.0) calls
    ``func(worker, message)``. A subclass may define ``on_message(self,
    message)``. A callback that raises fails its message.
    """

    def __new__(cls, on_message=None, *, name=None, stopping_grace_period=None, **kwargs):
        if on_message is None:
            return super().__new__(cls, **kwargs)
        if not callable(on_message):
            raise TypeError(f"on_message must be callable, not {type(on_message).__name__}")
        worker = _CallbackConsumerWorker(name=_default_name("FluidQueueConsumerWorker"), **kwargs)
        worker._fluid_on_message = on_message
        worker._fluid_pass_worker = False
        return _configure(worker, name, stopping_grace_period)

    def __init__(self, on_message=None, *, name=None, stopping_grace_period=None, **kwargs):
        # Built by __new__ when given a callback.
        if on_message is None:
            super().__init__(name=name, stopping_grace_period=stopping_grace_period, **kwargs)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "on_message" in cls.__dict__ and "do_on_message_async" not in cls.__dict__:
            cls.do_on_message_async = _subclass_on_message_async
            cls.do_on_message_finish = _on_message_finish

    @staticmethod
    def new(func, *user_data, name=None, stopping_grace_period=None):
        """``func(worker, message, *user_data)`` for each message (1.0);
        without a function, the ``message`` signal tells of each."""
        if func is None:
            return _configure(Fluid.QueueConsumerWorker.new(None), name, stopping_grace_period)
        if not callable(func):
            raise TypeError(f"func must be callable, not {type(func).__name__}")
        worker = _CallbackConsumerWorker(name=_default_name("FluidQueueConsumerWorker"))
        worker._fluid_on_message = func
        worker._fluid_pass_worker = True
        worker._fluid_user_data = user_data
        return _configure(worker, name, stopping_grace_period)

    @staticmethod
    def new_async(func, *user_data, name=None, stopping_grace_period=None):
        """``func(worker, message, task, *user_data)`` for each message
        (1.2), the C form: the next message waits for @task, a
        ``Gio.Task`` that @func completes (``task.return_boolean(True)``)
        now or later. An exception @func raises fails @task, and so the
        message. ``QueueConsumerWorker(on_message)`` with an ``async def``
        is the Python form."""
        if not callable(func):
            raise TypeError(f"func must be callable, not {type(func).__name__}")

        def call(worker, message, task, *ignored):
            try:
                func(worker, message, task, *user_data)
            except BaseException as exception:  # noqa: B036: fails the message
                _return_exception(task, exception)

        return _configure(Fluid.QueueConsumerWorker.new_async(call), name, stopping_grace_period)

    @staticmethod
    def new_threaded(n_threads, func, *user_data, name=None, stopping_grace_period=None):
        """A consumer that calls @func for each message on one of
        @n_threads threads it owns (1.2): ``func(message)``, as aio-fluid's
        ``on_message``, or ``func(worker, message, cancellable, *user_data)``
        (the C form), told apart by the positional parameters @func takes;
        with @user_data, always the second. @func may block. It handles
        the message by returning anything but ``False``; ``False`` or an
        exception fails the message: ``message-failed`` on the worker's
        context, and with ``stop-on-failure`` (the default) the worker
        stops with that exception, which ``wait_for_shutdown()`` raises.
        Nothing is printed and ignored. Each call takes the GIL: Python
        code of several threads does not run in parallel; blocking I/O
        and C code that releases the GIL (``hashlib`` on large buffers,
        ``zlib``, ...) do. @name names its threads too (cut to 15
        bytes)."""
        return _configure(_new_threaded_consumer(n_threads, func, user_data),
                          name, stopping_grace_period)

    @staticmethod
    def new_threaded_named(name, n_threads, func, *user_data, stopping_grace_period=None):
        """As new_threaded(), with a name, which its threads are named after
        (cut to 15 bytes) (1.2)."""
        return _configure(_new_threaded_consumer(n_threads, func, user_data, name),
                          None, stopping_grace_period)

    async def on_message(self, message):
        """Handles @message as the worker would; a coroutine. In a
        subclass's ``on_message``, ``await super().on_message(message)``
        calls the parent's."""
        if _in_vfunc(self, "on_message"):
            # The default on_message of a worker without a function tells
            # the message signal. (PyGObject 3.42 cannot call a parent
            # class's do_on_message_async: it crashes when it calls back.)
            self.emit("message", message)
            return True
        return await _pair_future(self, "on_message", message, None)


def _subclass_on_message_async(self, message, cancellable, callback, user_data=None):
    task = Gio.Task.new(self, cancellable, callback)
    _settle(task, lambda: self.on_message(message), context=_enter_vfunc(self, "on_message"))


def _on_message_finish(self, result):
    return result.propagate_boolean()


QueueConsumerWorker = override(QueueConsumerWorker)
__all__.append("QueueConsumerWorker")


class _CallbackConsumerWorker(QueueConsumerWorker):
    """What QueueConsumerWorker(on_message) builds: the callback runs as the
    on_message virtual method, so that an exception or a coroutine that
    fails fails its message."""

    __gtype_name__ = "FluidPythonCallbackConsumerWorker"
    # PyGObject registers no GType for a class of a gi.overrides module and
    # would install its virtual methods in FluidQueueConsumerWorker itself.
    __module__ = "fluid_python_types"

    def do_on_message_async(self, message, cancellable, callback, user_data=None):
        task = Gio.Task.new(self, cancellable, callback)
        func = self._fluid_on_message
        if self._fluid_pass_worker:
            _settle(task, lambda: func(self, message, *self._fluid_user_data))
        else:
            _settle(task, lambda: func(message))

    def do_on_message_finish(self, result):
        return result.propagate_boolean()


class AsyncConsumer(Fluid.AsyncConsumer):
    """``Fluid.AsyncConsumer(dispatcher, name=, stopping_grace_period=)``, as
    aio-fluid's; ``Fluid.AsyncConsumer.new(dispatcher)`` stays."""

    def __init__(self, dispatcher=None, *, name=None, stopping_grace_period=None, **kwargs):
        if dispatcher is not None:
            kwargs["dispatcher"] = dispatcher
        super().__init__(name=name, stopping_grace_period=stopping_grace_period, **kwargs)

    @staticmethod
    def new(dispatcher, *, name=None, stopping_grace_period=None):
        """A consumer that dispatches each message with @dispatcher."""
        return _configure(Fluid.AsyncConsumer.new(dispatcher), name, stopping_grace_period)


AsyncConsumer = override(AsyncConsumer)
__all__.append("AsyncConsumer")


class Workers(Fluid.Workers):
    """A group of workers.

    ``Fluid.Workers(*workers, name=, stopping_grace_period=)``, as
    aio-fluid's; iterating it gives its children.
    """

    def __init__(self, *workers, name=None, stopping_grace_period=None, **kwargs):
        super().__init__(name=name, stopping_grace_period=stopping_grace_period, **kwargs)
        self.add_workers(*workers)

    @staticmethod
    def new(*, name=None, stopping_grace_period=None):
        """An empty group."""
        return _configure(Fluid.Workers.new(), name, stopping_grace_period)

    def add_workers(self, *workers):
        """Adds each of @workers, in order: ``add_workers(a, b)``, as
        aio-fluid, or a list, as the C API."""
        if len(workers) == 1 and isinstance(workers[0], (list, tuple)):
            workers = workers[0]
        for worker in workers:
            self.add_worker(worker)

    def workers(self):
        """The children, in order."""
        return list(self)

    def add_child(self, restart, factory, *user_data):
        """Adds a child made by ``factory(group, *user_data)``, now and for
        each replacement, under a restart strategy (see
        :attr:`restart_strategy`). A factory that raises, or returns
        something that is not a new worker, is a failed replacement, logged
        with its traceback on the ``fluid`` logger and counted toward
        ``max-restarts``."""
        if not callable(factory):
            raise TypeError(f"factory must be callable, not {type(factory).__name__}")

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

        return Fluid.Workers.add_child(self, restart, make)


Workers = override(Workers)
__all__.append("Workers")


class BaseDispatcher(Fluid.BaseDispatcher):
    __doc__ = Fluid.BaseDispatcher.__doc__

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # aio-fluid's event_type(self, message) is the event_type virtual
        # method; set before GObjectMeta hooks up the do_* methods.
        if "event_type" in cls.__dict__ and "do_event_type" not in cls.__dict__:
            cls.do_event_type = cls.__dict__["event_type"]

    def __class_getitem__(cls, item):
        return cls


BaseDispatcher = override(BaseDispatcher)
__all__.append("BaseDispatcher")


class Dispatcher(Fluid.Dispatcher):
    """Dispatches each message to the handlers of its event type, at once.

    A handler takes the message alone; one that raises makes
    :meth:`dispatch` raise that exception, once every handler ran.
    """

    def register_handler(self, event, handler):
        """Registers @handler for @event (``type`` or ``type.tag``); returns
        whether it replaced one."""
        if not callable(handler):
            raise TypeError(f"a handler must be callable, not {type(handler).__name__}")
        dispatcher = self

        def call(message, *user_data):
            errors = dispatcher.__dict__.get("_fluid_dispatch_errors")
            try:
                result = handler(message)
                if inspect.isawaitable(result):
                    if inspect.iscoroutine(result):
                        result.close()
                    raise TypeError(f"handler {handler!r} of {event!r} returned an awaitable: "
                                    f"a Dispatcher calls handlers at once; use an AsyncDispatcher")
            except BaseException as exception:  # noqa: B036
                if errors is None:
                    raise
                errors.append(exception)

        return Fluid.Dispatcher.register_handler(self, event, call)

    def dispatch(self, message):
        """Calls the handlers of @message's event type; returns how many.
        Raises the first exception a handler raised."""
        outer = self.__dict__.get("_fluid_dispatch_errors")
        errors = []
        self._fluid_dispatch_errors = errors
        try:
            count = Fluid.Dispatcher.dispatch(self, message)
        finally:
            self._fluid_dispatch_errors = outer
        if errors:
            raise errors[0]
        return count


Dispatcher = override(Dispatcher)
__all__.append("Dispatcher")


class AsyncDispatcher(Fluid.AsyncDispatcher):
    """Dispatches each message to the handlers of its event type,
    awaiting each.

    A handler is ``async def handler(message)`` or a plain function of the
    message; 1.0's ``handler(message, task)``, which completes @task,
    stays. A handler that raises, or whose coroutine raises, fails the
    dispatch: ``await dispatcher.dispatch(message)`` raises it, and an
    AsyncConsumer fails the message.
    """

    def register_handler(self, event, handler):
        """Registers @handler for @event; returns whether it replaced one."""
        if not callable(handler):
            raise TypeError(f"a handler must be callable, not {type(handler).__name__}")
        completes_task = (not inspect.iscoroutinefunction(handler)
                          and _takes_arguments(handler, 2))

        def call(message, task, *user_data):
            if not completes_task:
                _settle(task, lambda: handler(message))
                return
            try:
                handler(message, task)
            except BaseException as exception:  # noqa: B036
                _return_exception(task, exception)

        return Fluid.AsyncDispatcher.register_handler(self, event, call)

    async def dispatch(self, message):
        """Calls the handlers of @message's event type, one after another;
        a coroutine, its value is how many."""
        return await _pair_future(self, "dispatch", message, None)


AsyncDispatcher = override(AsyncDispatcher)
__all__.append("AsyncDispatcher")


class Event(Fluid.Event):
    __doc__ = Fluid.Event.__doc__

    @staticmethod
    def from_string(event):
        """aio-fluid's ``Event.from_string("type.tag")``."""
        return Fluid.Event.new_from_string(event)


Event = override(Event)
__all__.append("Event")


def _new_worker_function(name, heartbeat, run_function, stopping_grace_period, pass_worker,
                         user_data=()):
    if not callable(run_function):
        raise TypeError(f"run_function must be callable, not {type(run_function).__name__}")

    def call(worker, task, *ignored):
        if pass_worker:
            _settle(task, lambda: run_function(worker, *user_data), worker)
        else:
            _settle(task, run_function, worker)

    return _configure(Fluid.WorkerFunction.new_async(name, heartbeat, call),
                      None, stopping_grace_period)


def _new_threaded_function(name, heartbeat, func, user_data, stopping_grace_period=None):
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    if inspect.iscoroutinefunction(func):
        raise TypeError("a threaded function runs on a thread of its own, where no event loop "
                        "runs: it cannot be a coroutine function (WorkerFunction(func) awaits "
                        "one on the main loop)")

    def call(worker, cancellable, *ignored):
        # On the worker's thread; PyGObject holds the GIL for the call. An
        # exception is not left to PyGObject, which would print it and
        # return FALSE without an error: it fails the worker, and
        # wait_for_shutdown() raises it.
        try:
            result = func(worker, cancellable, *user_data)
        except BaseException as exception:  # noqa: B036
            if "_fluid_exception" not in worker.__dict__:
                worker._fluid_exception = exception
            # PyGObject sets the callback's GError from a GLib.Error raised.
            raise _to_gerror(exception) from None
        # None, as a Python function that returns nothing: go on.
        return True if result is None else bool(result)

    return _configure(Fluid.WorkerFunction.new_threaded_named(name, heartbeat, call),
                      None, stopping_grace_period)


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


def _new_threaded_consumer(n_threads, func, user_data, name=None):
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    if inspect.iscoroutinefunction(func):
        raise TypeError("a threaded handler runs on the worker's threads, where no event loop "
                        "runs: it cannot be a coroutine function (QueueConsumerWorker(func) "
                        "awaits one on the main loop)")
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, not {n_threads}")
    full = _full_threaded_handler(func, user_data)

    def call(worker, message, cancellable, *ignored):
        # On one of the worker's threads; PyGObject holds the GIL for the
        # call. An exception is not left to PyGObject, which would print it
        # and return FALSE without an error: it fails the message.
        try:
            result = func(worker, message, cancellable, *user_data) if full else func(message)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError(f"the threaded handler {func!r} returned an awaitable, which "
                                f"nothing on its thread can await")
        except BaseException as exception:  # noqa: B036: fails the message
            if "_fluid_exception" not in worker.__dict__:
                # The exception that stops the worker under stop-on-failure,
                # for wait_for_shutdown() (_original() checks its text).
                worker._fluid_exception = exception
            # PyGObject sets the callback's GError from a GLib.Error raised.
            raise _to_gerror(exception) from None
        return result is not False

    return Fluid.QueueConsumerWorker.new_threaded_named(name, n_threads, call)


class WorkerFunction(Fluid.WorkerFunction):
    """A worker that calls a function in a loop.

    ``Fluid.WorkerFunction(run_function, heartbeat=0, name=None,
    stopping_grace_period=None)``, as aio-fluid's: ``run_function()`` (or
    ``run_function(worker)``, if it takes an argument) is called while the
    worker runs, awaited when it is a coroutine function, with
    ``heartbeat`` seconds of sleep after each call. An exception fails the
    worker. ``Fluid.WorkerFunction.new(heartbeat, func)`` and
    ``new_named(name, heartbeat, func)`` (1.0) call ``func(worker)``.
    """

    def __new__(cls, run_function=None, *, heartbeat=0.0, name=None,
                stopping_grace_period=None, **kwargs):
        if run_function is None:
            return super().__new__(cls, **kwargs)
        if kwargs:
            raise TypeError(f"WorkerFunction() with a function takes only heartbeat, name and "
                            f"stopping_grace_period, not {', '.join(sorted(kwargs))}")
        return _new_worker_function(name, heartbeat, run_function, stopping_grace_period,
                                    _takes_arguments(run_function, 1))

    def __init__(self, run_function=None, *, heartbeat=0.0, name=None,
                 stopping_grace_period=None, **kwargs):
        # Built by __new__ through the C constructor when given a function.
        if run_function is None:
            super().__init__(heartbeat=heartbeat, name=name,
                             stopping_grace_period=stopping_grace_period, **kwargs)

    @staticmethod
    def new(heartbeat, func, *user_data, name=None, stopping_grace_period=None):
        """``func(worker, *user_data)`` every @heartbeat seconds (1.0)."""
        return _new_worker_function(name, heartbeat, func, stopping_grace_period, True, user_data)

    @staticmethod
    def new_named(name, heartbeat, func, *user_data, stopping_grace_period=None):
        """As new(), with a name (1.0)."""
        return _new_worker_function(name, heartbeat, func, stopping_grace_period, True, user_data)

    @staticmethod
    def new_async(name, heartbeat, func, *user_data, stopping_grace_period=None):
        """``func(worker, task, *user_data)`` in a loop, @heartbeat seconds
        after @task completed (1.2), the C form: @func completes the
        ``Gio.Task`` (``task.return_boolean(True)``) now or later, and an
        error fails the worker, as an exception @func raises does.
        ``WorkerFunction(run_function)`` with an ``async def`` is the
        Python form."""
        if not callable(func):
            raise TypeError(f"func must be callable, not {type(func).__name__}")

        def call(worker, task, *ignored):
            try:
                func(worker, task, *user_data)
            except BaseException as exception:  # noqa: B036: fails the worker
                _return_exception(task, exception, worker)

        return _configure(Fluid.WorkerFunction.new_async(name, heartbeat, call),
                          None, stopping_grace_period)

    @staticmethod
    def new_threaded(heartbeat, func, *user_data, name=None, stopping_grace_period=None):
        """``func(worker, cancellable, *user_data)`` in a loop on a thread
        of the worker's own, every @heartbeat seconds (1.2). It may block;
        it returns ``True`` or ``None`` to go on, and ``False`` or an
        exception fails the worker (``wait_for_shutdown()`` raises that
        exception). The GIL is taken for each call: Python code on the
        thread runs while the main thread waits in the main loop or in C,
        not in parallel with other Python code. @name names the thread
        too (cut to 15 bytes)."""
        return _new_threaded_function(name, heartbeat, func, user_data, stopping_grace_period)

    @staticmethod
    def new_threaded_named(name, heartbeat, func, *user_data, stopping_grace_period=None):
        """As new_threaded(), with a name, which the thread is named after
        (1.2)."""
        return _new_threaded_function(name, heartbeat, func, user_data, stopping_grace_period)


WorkerFunction = override(WorkerFunction)
__all__.append("WorkerFunction")
