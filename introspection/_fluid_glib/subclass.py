# subclass.py: the Python spellings of a subclass as virtual methods, and
# the fluid logger for the workers Python makes
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""The Python spellings of a subclass (``run``, ``on_startup``,
``on_shutdown``, ``status``, ``gracefully_stop``, ``after_shutdown``,
``on_message``) as the virtual methods of the library, and the ``fluid``
logger ("NAME started running", "NAME stopped running: REASON", "NAME
forced shutdown") for the workers Python makes.

Logging costs nothing to workers Python never made, C's own included: the
first class of a hierarchy that Python registers (a subclass of Worker)
overrides the class closure of ``started`` and the ``stopped_elsewhere``
virtual method, which its instances alone run, at no cost per worker (a
stop that a run's end causes is logged by the run's end, in tasks.py,
without a call from C); a worker of a C class that the overrides
construct (``WorkerFunction.new()``, ``Workers()``...) gets a handler of
each signal when it is made (:func:`adopt`)."""

import contextvars
import inspect
import math

from gi.module import get_introspection_module
from gi.repository import GLib, GObject, Gio

from . import consumer, tasks
from .tasks import log_stopped, logger

Fluid = get_introspection_module("Fluid")


# Logging, as aio-fluid's: the stops, by tasks.log_stopped()

def log_started(worker, *ignored):
    logger.info("%s started running", worker.get_name())


def _after_shutdown_vfunc(method):
    """The after_shutdown virtual method that calls @method (the subclass's
    after_shutdown(), or its own do_after_shutdown()); an exception is
    logged, not printed: the worker has stopped."""
    def do_after_shutdown(self, reason, exit_code):
        try:
            method(self, reason, exit_code)
        except BaseException:  # noqa: B036: the worker stopped already; logged, not printed
            logger.exception("%s: after_shutdown() raised", self.get_name())

    return do_after_shutdown


def _do_started(self):
    log_started(self)


def _logs_by_class(cls):
    return any(base.__dict__.get("_fluid_logs_by_class", False) for base in cls.__mro__)


def _registers_gtype(cls):
    """Whether PyGObject will register a GType for @cls, a class being
    made: not for an override (gi.overrides.*) nor a class of the
    typelib."""
    return not cls.__module__.startswith(("gi.overrides.", "gi.repository.")) \
        and "__gtype__" not in cls.__dict__


def adopt(worker, name=None, stopping_grace_period=None):
    """Gives @worker, just made by Python code, aio-fluid's keywords,
    through the setters of its properties: @name (None or empty keeps the
    name it has) and @stopping_grace_period in seconds (None keeps the
    default); and logs its start and stop on the fluid logger, if its class
    does not. Returns @worker."""
    seconds = _grace_seconds(stopping_grace_period)
    if name:
        Fluid.Worker.set_name(worker, name)
    if seconds is not None:
        Fluid.Worker.set_stopping_grace_period(worker, seconds)
    if not _logs_by_class(type(worker)) and not worker.__dict__.get("_fluid_logged", False):
        worker._fluid_logged = True
        GObject.Object.connect(worker, "started", log_started)
        GObject.Object.connect(worker, "stopped", log_stopped)
    return worker


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


# Chaining up: a Python method that overrides a virtual method runs in a
# context where in_vfunc() holds, so that its super() call reaches the C
# implementation instead of the public method, which would call the
# override again.

_chaining = contextvars.ContextVar("fluid_chaining", default=frozenset())


def gi_parent(cls):
    """The nearest class of @cls's hierarchy that Python did not define:
    its virtual methods are the C implementations that super() reaches."""
    for base in cls.__mro__:
        if base.__module__.startswith("gi.repository."):
            return base
    raise TypeError(f"{cls.__name__} has no GObject-Introspection parent")


def in_vfunc(obj, name):
    return (id(obj), name) in _chaining.get()


def enter_vfunc(obj, name):
    """A copy of the current context where in_vfunc(@obj, @name) holds."""
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


# The virtual methods. Python defines the _async halves and leaves the
# _finish halves to C where it can: PyGObject would turn the error of a
# failed task into a GLib.Error and back, and free the GError that names
# the failure in between (failures.py).

def _hook_vfunc(name, loop):
    def do_async(self, cancellable, callback, user_data=None):
        # PyGObject binds user_data into the C callback it hands over.
        tasks.start_hook(self, Gio.Task.new(self, cancellable, callback), name, loop)

    return do_async


_HOOKS = {"on_startup": False, "on_shutdown": False}


def _do_begin_run(self):
    # The run without a Gio.Task: Fluid.Worker.complete_run() ends it.
    tasks.start_hook(self, tasks.RunTask(self), "run", True)


def _begin_run_by_run_async(self):
    """The run of a class that defines do_run_async below one that defines
    run: its do_run_async, completing the run that begin_run began."""
    def done(source, result, *ignored):
        try:
            self.do_run_finish(result)
        except GLib.Error as error:
            tasks.fail_run(self, error)
            return
        tasks.complete_run(self)

    self.do_run_async(self.get_cancellable(), done, None)


def _do_status_async(self, cancellable, callback, user_data=None):
    tasks.settle(Gio.Task.new(self, cancellable, callback), self.status,
                 convert=_status_value, context=enter_vfunc(self, "status"))


# C's finisher takes only its own tasks. The failure of this one comes back
# through a GLib.Error, which names it by its code only: the worker keeps
# it, and who awaits the status holds it (failures.held()).
def _do_status_finish(self, result):
    return result.propagate_value().value


def _gracefully_stop_vfunc(method):
    def do_gracefully_stop(self):
        enter_vfunc(self, "gracefully_stop").run(method, self)

    return do_gracefully_stop


def _do_on_message_async(self, message, cancellable, callback, user_data=None):
    tasks.settle(Gio.Task.new(self, cancellable, callback), lambda: self.on_message(message),
                 context=enter_vfunc(self, "on_message"))


def _on_message_handler(worker):
    """The handler of the messages of a subclass that defines on_message,
    for a run: it runs where in_vfunc(@worker, "on_message") holds."""
    method = worker.on_message
    return method, enter_vfunc(worker, "on_message"), inspect.iscoroutinefunction(method)


def _do_pull_ready(self):
    consumer.pull_ready(self, _on_message_handler)


def hook_up(cls):
    """Turns the Python spellings that @cls, a Worker subclass being made,
    defines into virtual methods, and has the first class of a hierarchy
    that PyGObject registers log its workers' start and stop; runs before
    GObjectMeta hooks up the do_* methods of the class. Nothing for an
    override, whose do_* methods would be those of the C class."""
    if not _registers_gtype(cls):
        return
    attrs = cls.__dict__
    for name, loop in _HOOKS.items():
        if name in attrs and f"do_{name}_async" not in attrs:
            setattr(cls, f"do_{name}_async", _hook_vfunc(name, loop))
    if "run" in attrs and "do_run_async" not in attrs:
        cls.do_begin_run = _do_begin_run
    elif "do_run_async" in attrs and getattr(cls, "do_begin_run", None) is not None:
        cls.do_begin_run = _begin_run_by_run_async
    if "status" in attrs and "do_status_async" not in attrs:
        cls.do_status_async = _do_status_async
        cls.do_status_finish = _do_status_finish
    if "gracefully_stop" in attrs and "do_gracefully_stop" not in attrs:
        cls.do_gracefully_stop = _gracefully_stop_vfunc(attrs["gracefully_stop"])
    if "on_message" in attrs and "do_on_message_async" not in attrs and \
            issubclass(cls, Fluid.QueueConsumerWorker):
        # Its messages are pulled and handled in a loop (consumer.py);
        # on_message_async() stays for who calls it.
        cls.do_on_message_async = _do_on_message_async
        cls.do_pull_ready = _do_pull_ready

    first = not _logs_by_class(cls)
    if "after_shutdown" in attrs and "do_after_shutdown" not in attrs:
        cls.do_after_shutdown = _after_shutdown_vfunc(attrs["after_shutdown"])
    elif "do_after_shutdown" in attrs:
        cls.do_after_shutdown = _after_shutdown_vfunc(attrs["do_after_shutdown"])
    if first:
        # The stops a run's end causes are logged by tasks.complete_run()
        # and fail_run(), at no call from C; C tells this method of the
        # others.
        cls.do_stopped_elsewhere = log_stopped
        cls._fluid_logs_by_class = True
        signals = dict(attrs.get("__gsignals__", {}))
        signals.setdefault("started", "override")
        cls.__gsignals__ = signals
        if "do_started" not in attrs:
            cls.do_started = _do_started
