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
    worker, unless ``stop-on-failure`` is unset). ``wait_for_shutdown()``
    and ``shutdown()`` raise that same exception object, every time; C
    sees a GError of ``FLUID_BINDING_ERROR`` whose code names that one
    failure, with the text "Type: message" (a ``GLib.Error`` travels as
    itself). The exception lives as long as the worker, and its traceback
    keeps the lines of the raise, not the variables of their frames, which
    would keep the worker alive. A value the library cannot use (``run``
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

Properties as attributes
    Every GObject property reads as an attribute, ``-`` spelt ``_``
    (``worker.exit_code``, ``consumer.stop_on_failure``), and every
    writable one sets as one: ``consumer.stop_on_failure = False`` is
    ``consumer.props.stop_on_failure = False``. Setting a read-only
    property, or a construct-only one once the object is made, raises
    ``AttributeError``; it never leaves a Python attribute that the
    library does not see. The same for the properties that a Python
    subclass declares in ``__gproperties__``.

Logging
    The workers that Python makes log through Python's :mod:`logging`,
    logger ``fluid``, as aio-fluid: "NAME started running", "NAME stopped
    running: REASON", "NAME forced shutdown"; leaving a ``with`` block warns
    when queued messages were discarded. A worker that C code made and
    Python never touched logs through GLib alone, without a call into
    Python: importing this module sets no hook for the process.

1.0's API keeps working: generator ``run`` (``yield seconds``, ``message =
yield self.receive()``), the blocking helpers (``startup_sync()``,
``shutdown_sync()``, ``wait_for_shutdown_sync()``, ``sleep_sync()``,
``status_sync()``), ``with worker:``, ``WorkerFunction.new(heartbeat,
func)``, ``QueueConsumerWorker.new(func)`` with ``func(worker, message)``.
"""

import contextvars
import inspect

from asyncio import _get_running_loop

from gi.repository import GLib, Gio

from _fluid_glib import callbacks, consumer, jobs, properties, subclass, tasks
from _fluid_glib.loop import asyncio_ready, glib_loop, install_asyncio
from _fluid_glib.failures import WorkerStartError, WorkerStoppedError
from _fluid_glib.subclass import adopt, logger

from ..module import get_introspection_module
from ..overrides import override

Fluid = get_introspection_module("Fluid")

__all__ = ["install_asyncio", "WorkerStartError", "WorkerStoppedError"]


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
        adopt(self, name, stopping_grace_period)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        subclass.hook_up(cls)
        properties.install_declared(cls)

    def __class_getitem__(cls, item):
        return cls

    # Awaitables

    async def startup(self):
        """Starts the worker; a coroutine, done once it runs. A second
        start raises :class:`WorkerStartError`."""
        return await tasks.pair_future(self, "startup", None)

    async def shutdown(self):
        """Stops the worker gracefully, forced after the grace period; a
        coroutine, done once it stopped. Raises the exception of a failed
        run."""
        return await tasks.pair_future(self, "shutdown", None, raiser=self)

    async def wait_for_shutdown(self):
        """Waits for the worker to stop, without asking it to; raises the
        exception of a failed run, every time."""
        return await tasks.pair_future(self, "wait_for_shutdown", None, raiser=self)

    async def status(self):
        """The status of the worker, a dict; a coroutine. A subclass may
        define ``async def status(self)``, which extends
        ``await super().status()``."""
        if subclass.in_vfunc(self, "status"):
            return await self._chain_status()
        return await tasks.pair_future(self, "status", None, raiser=self,
                                       convert=lambda variant: variant.unpack())

    def _chain_status(self):
        # PyGObject 3.42 crashes when a parent class's do_status_async
        # calls back: the C library chains up for it.
        return self.status_for_type(subclass.gi_parent(type(self)).__gtype__)

    async def status_for_type(self, gtype):
        """The status as @gtype's class collects it (a dict); a coroutine."""
        return await tasks.pair_future(self, "status_for_type", gtype, None, raiser=self,
                                       convert=lambda variant: variant.unpack())

    async def sleep(self, seconds):
        """Sleeps @seconds; a coroutine. Ends at once, with ``False``, when
        the worker is asked to stop; raises ``GLib.Error`` (cancelled) on a
        forced stop."""
        return await tasks.pair_future(self, "sleep", seconds, self.get_cancellable())

    def gracefully_stop(self):
        """Asks the worker to stop (thread-safe); a subclass may override it
        and call ``super().gracefully_stop()``."""
        if subclass.in_vfunc(self, "gracefully_stop"):
            subclass.gi_parent(type(self)).do_gracefully_stop(self)
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
        if future is not None and asyncio_ready():
            return glib_loop().run_until_complete(future())
        return tasks.wait_pair(lambda callback: getattr(self, f"{name}_async")(*args, callback),
                               getattr(self, f"{name}_finish"),
                               GLib.MainContext.ref_thread_default(), self)

    def _sync_future(self, name, cancellable, **kwargs):
        if cancellable is not None:
            return None
        return lambda: tasks.pair_future(self, name, None, **kwargs)

    def startup_sync(self, cancellable=None):
        """Starts the worker; returns once it runs."""
        return self._call_sync("startup", cancellable,
                               future=self._sync_future("startup", cancellable))

    def shutdown_sync(self, cancellable=None):
        """Stops the worker gracefully, forced after the grace period, and
        returns once it stopped; raises the exception of a failed run."""
        return self._call_sync("shutdown", cancellable,
                               future=self._sync_future("shutdown", cancellable, raiser=self))

    def wait_for_shutdown_sync(self, cancellable=None):
        """Returns once the worker stopped, without asking it to; raises the
        exception of a failed run."""
        return self._call_sync("wait_for_shutdown", cancellable,
                               future=self._sync_future("wait_for_shutdown", cancellable,
                                                        raiser=self))

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

    # Metrics

    def collect_metrics(self, openmetrics=False):
        """The metrics of the worker and of every worker below it, in
        Prometheus' text format, or in OpenMetrics with @openmetrics; on
        the worker's context."""
        return Fluid.Worker.collect_metrics_full(
            self, Fluid.MetricsFormat.OPENMETRICS if openmetrics else Fluid.MetricsFormat.PROMETHEUS)

    def serve_metrics(self, address):
        """Serves them at http://ADDRESS/metrics ("127.0.0.1:9464"; port 0
        for one the system picks) until stop_serving_metrics() or the
        worker's end, and returns the address it listens on; raises
        GLib.Error (Gio.IOErrorEnum.ADDRESS_IN_USE...) when it cannot."""
        Fluid.Worker.serve_metrics(self, address)
        return self.get_metrics_address()


Worker = override(Worker)
__all__.append("Worker")


class QueueConsumer(Fluid.QueueConsumer):
    __doc__ = Fluid.QueueConsumer.__doc__

    def receive(self, timeout=-1.0):
        """In a generator ``run``, ``message = yield self.receive()`` takes
        the next message (``None`` on timeout or when the worker stops)."""
        return tasks.Receive(timeout)

    async def get_message(self, timeout=0.5):
        """The next message, a coroutine; ``None`` after @timeout seconds (a
        negative one waits without limit) or once the worker stops, as
        aio-fluid's."""
        return await tasks.pair_future(self, "get_message", timeout, self.get_cancellable())

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
        return callbacks.send(self, message, cancellable)

    def send_sync(self, message, cancellable=None):
        """Blocks the calling thread until @message is queued under
        ``max-queue-size`` (1.2), for producer threads; raises as
        ``send_async()``. It waits on a main context of its own, so any
        thread may call it; but it blocks: on a consumer's own thread, for a
        consumer that takes its messages there (any but a threaded one), a
        full queue never empties. There, ``await send_async()``."""
        context = GLib.MainContext()
        context.push_thread_default()
        try:
            return tasks.wait_pair(
                lambda callback: Fluid.QueueConsumer.send_async(self, message, cancellable,
                                                                callback),
                lambda result: Fluid.QueueConsumer.send_finish(self, result), context)
        finally:
            context.pop_thread_default()


QueueConsumer = override(QueueConsumer)
__all__.append("QueueConsumer")


_queue_consumer_send = Fluid.QueueConsumer.send

# The name of a FluidQueueConsumerWorker made in C, which those made with a
# Python callback (of a Python subclass) take too.
_C_CONSUMER_NAME = "fluid_queue_consumer_worker"


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
        worker = _CallbackConsumerWorker(name=_C_CONSUMER_NAME, **kwargs)
        worker._fluid_on_message = on_message
        worker._fluid_pass_worker = False
        return adopt(worker, name, stopping_grace_period)

    def __init__(self, on_message=None, *, name=None, stopping_grace_period=None, **kwargs):
        # Built by __new__ when given a callback.
        if on_message is None:
            super().__init__(name=name, stopping_grace_period=stopping_grace_period, **kwargs)

    @staticmethod
    def new(func, *user_data, name=None, stopping_grace_period=None):
        """``func(worker, message, *user_data)`` for each message (1.0);
        without a function, the ``message`` signal tells of each."""
        if func is None:
            return adopt(Fluid.QueueConsumerWorker.new(None), name, stopping_grace_period)
        if not callable(func):
            raise TypeError(f"func must be callable, not {type(func).__name__}")
        worker = _CallbackConsumerWorker(name=_C_CONSUMER_NAME)
        worker._fluid_on_message = func
        worker._fluid_pass_worker = True
        worker._fluid_user_data = user_data
        return adopt(worker, name, stopping_grace_period)

    @staticmethod
    def new_async(func, *user_data, name=None, stopping_grace_period=None):
        """``func(worker, message, task, *user_data)`` for each message
        (1.2), the C form: the next message waits for @task, a
        ``Gio.Task`` that @func completes (``task.return_boolean(True)``)
        now or later. An exception @func raises fails @task, and so the
        message. ``QueueConsumerWorker(on_message)`` with an ``async def``
        is the Python form."""
        return adopt(Fluid.QueueConsumerWorker.new_async(callbacks.async_message_handler(
            func, user_data)), name, stopping_grace_period)

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
        return adopt(callbacks.threaded_consumer(n_threads, func, user_data),
                     name, stopping_grace_period)

    @staticmethod
    def new_threaded_named(name, n_threads, func, *user_data, stopping_grace_period=None):
        """As new_threaded(), with a name, which its threads are named after
        (cut to 15 bytes) (1.2)."""
        return adopt(callbacks.threaded_consumer(n_threads, func, user_data, name),
                     None, stopping_grace_period)

    def send(self, message):
        """Queues @message, as ``Fluid.QueueConsumer.send()``: never
        refuses (aio-fluid's ``send()``). Sent from the thread of the
        asyncio loop in which the worker's handlers wait for a message,
        that loop takes it at its next step, without waiting for the
        library to tell it."""
        _queue_consumer_send(self, message)
        # A loop of this thread's asyncio loop that waits for a message
        # goes on at that loop's next step and pulls it then, before C
        # tells it (see _fluid_glib/consumer.py): no call from C into
        # Python between the send and the handler. From another thread,
        # C tells it, as always.
        puller = self.__dict__.get("_fluid_puller")
        if puller is not None:
            waiter = puller.waiter
            if waiter is not None and not waiter.done() \
                    and _get_running_loop() is waiter.get_loop():
                waiter.set_result(None)

    async def on_message(self, message):
        """Handles @message as the worker would; a coroutine. In a
        subclass's ``on_message``, ``await super().on_message(message)``
        calls the parent's."""
        if subclass.in_vfunc(self, "on_message"):
            # The default on_message of a worker without a function tells
            # the message signal. (PyGObject 3.42 cannot call a parent
            # class's do_on_message_async: it crashes when it calls back.)
            self.emit("message", message)
            return True
        return await tasks.pair_future(self, "on_message", message, None, raiser=self)


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
            tasks.settle(task, lambda: func(self, message, *self._fluid_user_data))
        else:
            tasks.settle(task, lambda: func(message))

    def do_pull_ready(self):
        consumer.pull_ready(self, _callback_handler)


def _callback_handler(worker):
    """The handler of a _CallbackConsumerWorker's messages, for a run."""
    func = worker._fluid_on_message
    if worker._fluid_pass_worker:
        user_data = worker._fluid_user_data
        return (lambda message: func(worker, message, *user_data)), \
            contextvars.copy_context(), False
    return func, contextvars.copy_context(), inspect.iscoroutinefunction(func)


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
        return adopt(Fluid.AsyncConsumer.new(dispatcher), name, stopping_grace_period)


AsyncConsumer = override(AsyncConsumer)
__all__.append("AsyncConsumer")


# Jobs (1.2)

class JobWorker(Fluid.JobWorker):
    """A queue consumer whose messages are jobs: work with a priority, a
    result, progress and cancellation.

    ``Fluid.JobWorker(func, n_threads=0, name=None,
    stopping_grace_period=None)``: ``func(job)`` returns the job's output
    (``job.input`` is what it was submitted with); it runs on @n_threads
    threads of the worker, or on its context when 0, where it may be an
    ``async def``. What it raises fails the job. ``worker.submit(value,
    priority=GLib.PRIORITY_DEFAULT)`` returns a :class:`Fluid.Job`, which
    ``await job`` waits for. ``Fluid.JobWorker.new(n_threads, func)`` is
    the C-style constructor.
    """

    def __new__(cls, func=None, n_threads=0, *, name=None, stopping_grace_period=None):
        return adopt(jobs.job_worker(n_threads, func), name, stopping_grace_period)

    def __init__(self, func=None, n_threads=0, *, name=None, stopping_grace_period=None):
        # Built by __new__ through the C constructor.
        pass

    @staticmethod
    def new(n_threads, func, *, name=None, stopping_grace_period=None):
        """``func(job)`` for each job, on @n_threads threads (0: on the
        worker's context)."""
        return adopt(jobs.job_worker(n_threads, func), name, stopping_grace_period)

    def submit(self, value=None, priority=GLib.PRIORITY_DEFAULT, cancellable=None):
        """Submits a job with the input @value (thread-safe); returns the
        :class:`Fluid.Job`, cancelled at once when the worker stopped."""
        return Fluid.JobWorker.submit(self, jobs.to_value(value), priority, cancellable)

    def try_submit(self, value=None, priority=GLib.PRIORITY_DEFAULT, cancellable=None):
        """As submit(), or None when the queue is full (max-queue-size)."""
        return Fluid.JobWorker.try_submit(self, jobs.to_value(value), priority, cancellable)

    def jobs(self):
        """The jobs queued or running, a ``Gio.ListModel``, in the order
        they run."""
        return self.get_jobs()


JobWorker = override(JobWorker)
__all__.append("JobWorker")


class Job(Fluid.Job):
    """A job of a :class:`Fluid.JobWorker`: ``await job`` returns its
    output or raises: the exception its function raised,
    ``asyncio.CancelledError`` for a job cancelled, or
    :class:`WorkerStoppedError` for one whose worker stopped first."""

    def __await__(self):
        return jobs.wait(self).__await__()

    async def wait(self, cancellable=None):
        """The output of the job once it ended; a coroutine."""
        return await jobs.wait(self, cancellable)

    @property
    def input(self):
        return self.get_input()

    @property
    def output(self):
        return self.get_output()

    def done(self):
        return self.is_done()


Job = override(Job)
__all__.append("Job")


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
        return adopt(Fluid.Workers.new(), name, stopping_grace_period)

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
        return Fluid.Workers.add_child(self, restart,
                                       callbacks.child_factory(factory, user_data))


Workers = override(Workers)
__all__.append("Workers")


class BaseDispatcher(Fluid.BaseDispatcher):
    __doc__ = Fluid.BaseDispatcher.__doc__

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        properties.install_declared(cls)
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
        return Fluid.Dispatcher.register_handler(self, event,
                                                 callbacks.sync_handler(self, event, handler))

    def dispatch(self, message):
        """Calls the handlers of @message's event type; returns how many.
        Raises the first exception a handler raised."""
        return callbacks.dispatch(self, message)


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
        return Fluid.AsyncDispatcher.register_handler(self, event,
                                                      callbacks.async_handler(handler))

    async def dispatch(self, message):
        """Calls the handlers of @message's event type, one after another;
        a coroutine, its value is how many."""
        return await tasks.pair_future(self, "dispatch", message, None, raiser=self)


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
        return callbacks.worker_function(name, heartbeat, run_function, stopping_grace_period,
                                         callbacks.takes_arguments(run_function, 1))

    def __init__(self, run_function=None, *, heartbeat=0.0, name=None,
                 stopping_grace_period=None, **kwargs):
        # Built by __new__ through the C constructor when given a function.
        if run_function is None:
            super().__init__(heartbeat=heartbeat, name=name,
                             stopping_grace_period=stopping_grace_period, **kwargs)

    @staticmethod
    def new(heartbeat, func, *user_data, name=None, stopping_grace_period=None):
        """``func(worker, *user_data)`` every @heartbeat seconds (1.0)."""
        return callbacks.worker_function(name, heartbeat, func, stopping_grace_period, True,
                                         user_data)

    @staticmethod
    def new_named(name, heartbeat, func, *user_data, stopping_grace_period=None):
        """As new(), with a name (1.0)."""
        return callbacks.worker_function(name, heartbeat, func, stopping_grace_period, True,
                                         user_data)

    @staticmethod
    def new_async(name, heartbeat, func, *user_data, stopping_grace_period=None):
        """``func(worker, task, *user_data)`` in a loop, @heartbeat seconds
        after @task completed (1.2), the C form: @func completes the
        ``Gio.Task`` (``task.return_boolean(True)``) now or later, and an
        error fails the worker, as an exception @func raises does.
        ``WorkerFunction(run_function)`` with an ``async def`` is the
        Python form."""
        return callbacks.async_worker_function(name, heartbeat, func, user_data,
                                               stopping_grace_period)

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
        return callbacks.threaded_worker_function(name, heartbeat, func, user_data,
                                                  stopping_grace_period)

    @staticmethod
    def new_threaded_named(name, heartbeat, func, *user_data, stopping_grace_period=None):
        """As new_threaded(), with a name, which the thread is named after
        (1.2)."""
        return callbacks.threaded_worker_function(name, heartbeat, func, user_data,
                                                  stopping_grace_period)


WorkerFunction = override(WorkerFunction)
__all__.append("WorkerFunction")


# consumer.stop_on_failure = False, worker.exit_code: every property of
# every class, and of a Python subclass's __gproperties__.
properties.install("Fluid", Fluid)
