# Fluid.py: the PyGObject override of libfluid-glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Python conveniences for libfluid-glib (``gi.repository.Fluid``).

Everything of the C API stays available; this override adds:

``run``, ``on_startup`` and ``on_shutdown`` as plain Python methods
    A subclass of :class:`Fluid.Worker` may define ``run(self)`` instead of
    the ``do_run_async``/``do_run_finish`` pair:

    * as a *generator*, the Python counterpart of aio-fluid's
      ``async def run``: ``yield seconds`` sleeps with
      :meth:`Fluid.Worker.sleep_async` (so a stop request ends the sleep at
      once, and the ``yield`` evaluates to ``False`` then), ``yield`` alone
      lets the main loop run once; returning ends the run::

          class SimpleWorker(Fluid.Worker):
              def run(self):
                  while self.is_running():
                      self.print_message()
                      yield 1

    * as a *plain method*, called in a loop while the worker runs; the
      number it returns is how many seconds to sleep before the next call
      (``None``: the class attribute ``heartbeat``, 0 by default).

    ``on_startup(self)`` and ``on_shutdown(self)`` work the same way, called
    once (plain) or driven to their end (generator).

    An exception raised there ends the worker with exit code 2: a
    :class:`GLib.Error` is passed on as it is, any other exception becomes a
    ``Fluid.WorkerError.FAILED`` error whose message is
    ``"ExceptionType: message"``, and the blocking helpers below re-raise
    the original exception.

Queue consumers
    ``send(value)`` takes any Python value: ``str``, ``int``, ``float``,
    GObjects, ``GLib.Variant`` and arbitrary Python objects (carried by
    reference) arrive as they were sent. In a generator ``run`` of a
    :class:`Fluid.QueueConsumer` subclass, ``message = yield
    self.receive(timeout=-1)`` takes the next message (``None`` on timeout
    or when the worker stops)::

        class Printer(Fluid.QueueConsumer):
            def run(self):
                while self.is_running():
                    message = yield self.receive()
                    if message is not None:
                        print(message)

    A :class:`Fluid.QueueConsumerWorker` takes a plain function:
    ``Fluid.QueueConsumerWorker.new(lambda worker, message: ...)``.

Blocking helpers for scripts
    ``startup_sync()``, ``shutdown_sync()``, ``wait_for_shutdown_sync()``,
    ``sleep_sync(seconds)`` and ``status_sync()`` (a ``dict``) call the
    ``_async`` method and iterate the thread-default main context until it
    completes, so a script needs no main loop of its own. They raise
    :class:`GLib.Error` as the ``_finish`` methods do.

Context manager
    ``with worker:`` starts the worker on entry and shuts it down on exit
    (graceful stop, forced after the grace period), iterating the main
    context, as aio-fluid's ``async with worker:``.

Function workers
    ``Fluid.WorkerFunction(run_function, heartbeat=0, name=None)``, as
    aio-fluid's ``WorkerFunction``; ``Fluid.WorkerFunction.new(heartbeat,
    run_function)`` and ``new_named(name, heartbeat, run_function)`` stay.

aio-fluid names
    ``worker.worker_name`` and ``worker.worker_state`` read the name and the
    state, ``worker.num_workers`` the number of workers.

Dispatchers
    :class:`Fluid.Dispatcher` and :class:`Fluid.AsyncDispatcher` are
    siblings under the abstract :class:`Fluid.BaseDispatcher`, as aio-fluid's
    ``Dispatcher`` and ``AsyncDispatcher`` under ``BaseDispatcher``. A
    subclass of either may define aio-fluid's ``event_type(self, message)``
    instead of the ``do_event_type`` virtual method::

        class Orders(Fluid.Dispatcher):
            def event_type(self, message):
                return message["type"]

    ``get_n_handlers``, ``unregister_handler`` and ``get_event_type`` are
    methods of :class:`Fluid.BaseDispatcher`, for both dispatchers.
"""

import inspect

from gi.repository import GLib, Gio

from ..module import get_introspection_module
from ..overrides import override

Fluid = get_introspection_module("Fluid")

__all__ = []


def _iterate_until(done):
    context = GLib.MainContext.ref_thread_default()
    while not done:
        context.iteration(True)


def _to_gerror(exception):
    if isinstance(exception, GLib.Error):
        return exception
    return GLib.Error.new_literal(
        Fluid.worker_error_quark(),
        f"{type(exception).__name__}: {exception}",
        Fluid.WorkerError.FAILED)


class _Driver:
    """Drives a generator on the worker's main context and completes task
    when it ends: yield a number sleeps that many seconds, yield None lets
    the main context iterate once."""

    def __init__(self, worker, generator, task):
        self.worker = worker
        self.generator = generator
        self.task = task

    def start(self):
        self.step(None, None)

    def step(self, value, error):
        try:
            if error is not None:
                request = self.generator.throw(error)
            else:
                request = self.generator.send(value)
        except StopIteration:
            self.task.return_boolean(True)
            return
        except Exception as exception:  # noqa: BLE001: reported as the run's error
            self.worker._fluid_exception = exception
            self.task.return_error(_to_gerror(exception))
            return

        if isinstance(request, _Receive):
            self.worker.get_message_async(request.timeout, self.task.get_cancellable(),
                                          self._received)
            return
        seconds = 0.0 if request is None else float(request)
        self.worker.sleep_async(seconds, self.task.get_cancellable(), self._slept)

    def _received(self, worker, result):
        try:
            message = worker.get_message_finish(result)
        except GLib.Error as error:
            self.step(None, error)
            return
        self.step(message, None)

    def _slept(self, worker, result):
        try:
            slept = worker.sleep_finish(result)
        except GLib.Error as error:
            self.step(None, error)
            return
        self.step(slept, None)


class _Receive:
    """What QueueConsumer.receive() returns: yielded from a generator run,
    it takes the next message."""

    def __init__(self, timeout):
        self.timeout = timeout


def _plain_loop(worker, method):
    while worker.is_running():
        seconds = method()
        yield getattr(worker, "heartbeat", 0.0) if seconds is None else seconds


def _plain_once(method):
    method()
    return
    yield  # noqa: unreachable; makes this a generator


def _make_vfuncs(name, loop):
    def do_async(self, cancellable, callback, user_data):
        # PyGObject binds user_data into the C callback it hands over.
        task = Gio.Task.new(self, cancellable, callback)
        method = getattr(self, name)
        if inspect.isgeneratorfunction(method):
            generator = method()
        elif loop:
            generator = _plain_loop(self, method)
        else:
            generator = _plain_once(method)
        _Driver(self, generator, task).start()

    def do_finish(self, result):
        return result.propagate_boolean()

    return do_async, do_finish


_HOOKS = {"run": True, "on_startup": False, "on_shutdown": False}


class Worker(Fluid.Worker):
    __doc__ = Fluid.Worker.__doc__

    heartbeat = 0.0

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Runs before GObjectMeta hooks up the do_* methods of the class.
        for name, loop in _HOOKS.items():
            if name in cls.__dict__ and f"do_{name}_async" not in cls.__dict__:
                do_async, do_finish = _make_vfuncs(name, loop)
                setattr(cls, f"do_{name}_async", do_async)
                setattr(cls, f"do_{name}_finish", do_finish)

    # Blocking helpers

    def _call_sync(self, name, *args):
        results = []
        getattr(self, f"{name}_async")(*args, lambda worker, result: results.append(result))
        _iterate_until(results)
        return getattr(self, f"{name}_finish")(results[0])

    def _reraise(self, error):
        exception = self.__dict__.pop("_fluid_exception", None)
        if exception is not None:
            raise exception from error
        raise error

    def startup_sync(self, cancellable=None):
        """Starts the worker; returns once it runs."""
        return self._call_sync("startup", cancellable)

    def shutdown_sync(self, cancellable=None):
        """Stops the worker gracefully, forced after the grace period, and
        returns once it stopped; raises the error of a failed run."""
        try:
            return self._call_sync("shutdown", cancellable)
        except GLib.Error as error:
            self._reraise(error)

    def wait_for_shutdown_sync(self, cancellable=None):
        """Returns once the worker stopped, without asking it to; raises
        the error of a failed run."""
        try:
            return self._call_sync("wait_for_shutdown", cancellable)
        except GLib.Error as error:
            self._reraise(error)

    def sleep_sync(self, seconds, cancellable=None):
        """Sleeps like sleep_async(), iterating the main context."""
        return self._call_sync("sleep", seconds, cancellable)

    def status_sync(self, cancellable=None):
        """The status of the worker as a dict."""
        return self._call_sync("status", cancellable).unpack()

    # Context manager

    def __enter__(self):
        self.startup_sync()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.shutdown_sync()
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


Worker = override(Worker)
__all__.append("Worker")


class QueueConsumer(Fluid.QueueConsumer):
    __doc__ = Fluid.QueueConsumer.__doc__

    def receive(self, timeout=-1.0):
        """In a generator ``run``, ``message = yield self.receive()`` takes
        the next message (``None`` on timeout or when the worker stops),
        as aio-fluid's ``await self.get_message()``."""
        return _Receive(timeout)


QueueConsumer = override(QueueConsumer)
__all__.append("QueueConsumer")


class BaseDispatcher(Fluid.BaseDispatcher):
    __doc__ = Fluid.BaseDispatcher.__doc__

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # aio-fluid's event_type(self, message) is the event_type virtual
        # method; set before GObjectMeta hooks up the do_* methods.
        if "event_type" in cls.__dict__ and "do_event_type" not in cls.__dict__:
            cls.do_event_type = cls.__dict__["event_type"]


BaseDispatcher = override(BaseDispatcher)
__all__.append("BaseDispatcher")


class WorkerFunction(Fluid.WorkerFunction):
    """A worker that calls a function in a loop.

    ``Fluid.WorkerFunction(run_function, heartbeat=0, name=None)``, as
    aio-fluid's ``WorkerFunction(run_function, *, heartbeat=0, name="")``:
    ``run_function(worker)`` is called while the worker runs, with
    ``heartbeat`` seconds of sleep between two calls. The grace period comes
    from ``FLUID_STOPPING_GRACE_PERIOD`` (a function worker cannot take one
    of its own: the C constructor takes the function, the property is
    construct-only); subclass :class:`Fluid.Worker` for one.
    """

    def __new__(cls, run_function=None, *, heartbeat=0.0, name=None, **kwargs):
        if run_function is None:
            return super().__new__(cls, **kwargs)
        if kwargs:
            raise TypeError(f"WorkerFunction() with a function takes only heartbeat and name, "
                            f"not {', '.join(sorted(kwargs))}")
        return Fluid.WorkerFunction.new_named(name, heartbeat, run_function)

    def __init__(self, run_function=None, *, heartbeat=0.0, name=None, **kwargs):
        # Built by __new__ through the C constructor when given a function.
        if run_function is None:
            super().__init__(heartbeat=heartbeat, name=name, **kwargs)


WorkerFunction = override(WorkerFunction)
__all__.append("WorkerFunction")
