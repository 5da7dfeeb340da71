# failures.py: exceptions of Python code on their way through C and back
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Exceptions raised by Python code that the library calls, on their way
through C and back as themselves.

Such an exception reaches C as a GError of the ``FLUID_BINDING_ERROR``
domain, with a code that C minted for it (``fluid_binding_error_register()``)
and the text "Type: message"; the library copies it from a task to the
message that failed and to its worker, and it comes back out of
``wait_for_shutdown()`` and the like, where :func:`exception_for` finds
the exception again through C by that code. Nothing is keyed by the text:
two failures with the same message never meet. A ``GLib.Error`` raised by
Python code is a GError already, and travels as itself.

Who keeps what:

- C keeps a :class:`_Claim` for as long as a GError names the failure,
  and nothing else: the claim refers to the failure weakly. The
  exception's frames and attributes often lead to the worker that holds
  the GError; a reference from C would close a cycle that Python's
  collector cannot see.
- The failure (the exception) is kept by the Python wrapper of the object
  whose code raised it (the worker, or a dispatcher), then by the wrapper
  of the worker it was last raised from: the cycle worker → exception →
  frames → worker is then Python's own, collected once nothing else holds
  the worker.
- When C frees the last GError that names the failure, it drops the claim,
  and the claim the failure: nothing stays of a message that failed while
  its worker went on.
- A ``_finish`` called from Python may free that last GError itself, as
  PyGObject turns it into a GLib.Error: who calls one holds the failures
  of the object it called (:func:`held`) until it has its exception.

The traceback kept loses the library's own frames, and the others their
variables (``traceback.clear_frames()``): the library's frames hold its
GTasks, which hold a C reference to the worker. Where the exception was
raised, line by line, stays.
"""

import builtins
import threading
import traceback
import types
import weakref

from gi.module import get_introspection_module
from gi.repository import GLib, GObject

Fluid = get_introspection_module("Fluid")

_BINDING_ERROR = Fluid.binding_error_quark()
_BINDING_ERROR_DOMAIN = GLib.quark_to_string(_BINDING_ERROR)
_WORKER_ERROR = Fluid.worker_error_quark()
_WORKER_ERROR_DOMAIN = GLib.quark_to_string(_WORKER_ERROR)


class WorkerStartError(GLib.Error):
    """Raised by ``startup()`` of a worker that started already (aio-fluid's
    ``WorkerStartError``); a :class:`GLib.Error` of
    ``Fluid.WorkerError.ALREADY_STARTED``."""


class WorkerStoppedError(GLib.Error):
    """Raised by ``await consumer.send_async(message)`` and
    ``consumer.send_sync(message)`` when the consumer stopped before it took
    the message, which was neither queued nor counted; a :class:`GLib.Error`
    of ``Fluid.WorkerError.STOPPED``."""


# Guards every keeper and _Failure.keeper: C may forget a failure on any
# thread (reentrant: a collection may do it while the lock is held).
_keepers_lock = threading.RLock()


class _Failure:
    """An exception on its way through C, in the set of failures of the
    wrapper that keeps it until C forgets it (@keeper None from then)."""

    __slots__ = ("exception", "traceback", "keeper", "code", "__weakref__")

    def __init__(self, exception, keeper):
        self.exception = exception
        self.traceback = exception.__traceback__
        self.code = 0
        with _keepers_lock:
            self.keeper = keeper
            keeper.add(self)

    def keep_in(self, keeper):
        with _keepers_lock:
            if self.keeper is not None and keeper is not self.keeper:
                self.keeper.discard(self)
                keeper.add(self)
                self.keeper = keeper

    def release(self):
        with _keepers_lock:
            if self.keeper is not None:
                self.keeper.discard(self)
                self.keeper = None


class _Claim:
    """What C keeps for a failure (the value of its code): a weak reference.
    C drops it with the last GError that names the failure, on whichever
    thread frees that one."""

    __slots__ = ("failure",)

    def __init__(self, failure):
        self.failure = weakref.ref(failure)

    def __del__(self):
        failure = self.failure()
        if failure is not None:
            failure.release()


# The failures of code that no object ran for (a Gio.Task without a source
# object): kept here until C forgets them.
_unowned = set()


def _keeper(obj):
    """The set of failures that @obj's wrapper keeps (made on first use)."""
    if obj is None:
        return _unowned
    keeper = obj.__dict__.get("_fluid_failures")
    if keeper is None:
        keeper = obj.__dict__.setdefault("_fluid_failures", set())
    return keeper


def held(obj):
    """The failures that @obj keeps now, for the caller to hold while it
    calls a _finish of @obj (nothing made for an object that keeps none)."""
    if obj is None:
        return ()
    keeper = getattr(obj, "_fluid_failures", None)
    if not keeper:
        return ()
    with _keepers_lock:
        return tuple(keeper)


def _is_own_frame(frame):
    name = frame.f_globals.get("__name__", "")
    return name == __package__ or name.startswith(__package__ + ".")


_exception_group = getattr(builtins, "BaseExceptionGroup", ())


def _strip(exception):
    """Takes the variables out of the frames of the tracebacks of
    @exception and of the exceptions it chains (but of frames still
    running), and the library's frames out of those tracebacks."""
    seen = set()
    pending = [exception]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        frames = []
        tb = current.__traceback__
        while tb is not None:
            if not _is_own_frame(tb.tb_frame):
                frames.append((tb.tb_frame, tb.tb_lasti, tb.tb_lineno))
            tb = tb.tb_next
        tb = None
        for frame, lasti, lineno in reversed(frames):
            tb = types.TracebackType(tb, frame, lasti, lineno)
        current.__traceback__ = tb
        pending.append(current.__cause__)
        pending.append(current.__context__)
        if isinstance(current, _exception_group):
            pending.extend(current.exceptions)


def _describe(exception):
    """ "Type: message", the text of the GError an exception travels as."""
    text = str(exception)
    name = type(exception).__name__
    return f"{name}: {text}" if text else name


def to_gerror(exception, raised_for=None):
    """The GLib.Error that carries @exception, raised by code run for
    @raised_for (a worker, a dispatcher, or None), through C: pass it to C
    at once (Gio.Task.return_error(), or raised from a callback)."""
    if isinstance(exception, GLib.Error):
        return exception
    _strip(exception)
    failure = _Failure(exception, _keeper(raised_for))
    failure.code = Fluid.binding_error_register(GObject.Value(GObject.TYPE_PYOBJECT,
                                                              _Claim(failure)))
    return GLib.Error.new_literal(_BINDING_ERROR, _describe(exception), failure.code)


def _failure_of(error, held):
    claim = Fluid.binding_error_get_value(error)
    if isinstance(claim, _Claim):
        return claim.failure()
    for failure in held:
        if failure.code == error.code:
            return failure
    return None


def exception_for(error, raiser=None, held=()):
    """The exception to raise for @error, a GLib.Error that came out of C:
    the Python exception it carries (which C names, or one of @held), which
    the wrapper of @raiser keeps from now on; WorkerStartError or
    WorkerStoppedError for the worker errors of those names; else @error
    itself."""
    if error.domain == _BINDING_ERROR_DOMAIN:
        failure = _failure_of(error, held)
        if failure is not None:
            if raiser is not None:
                failure.keep_in(_keeper(raiser))
            # Raised from where it was first raised, each time: the frames
            # of the awaits that raised it before are not kept.
            return failure.exception.with_traceback(failure.traceback)
    elif error.domain == _WORKER_ERROR_DOMAIN:
        if error.code == Fluid.WorkerError.ALREADY_STARTED:
            return WorkerStartError(error.message, error.domain, error.code)
        if error.code == Fluid.WorkerError.STOPPED:
            return WorkerStoppedError(error.message, error.domain, error.code)
    return error


def raise_for(error, raiser=None, held=()):
    """Raises exception_for(@error, @raiser, @held), as the blocking helpers of
    1.0 do: with @error as the cause of WorkerStartError and
    WorkerStoppedError, and the worker's failure, a GLib.Error of
    ``Fluid.WorkerError.FAILED`` with @error's text, as the cause of a
    Python exception."""
    exception = exception_for(error, raiser, held)
    if exception is error:
        raise error
    if isinstance(exception, GLib.Error):
        raise exception from error
    raise exception from GLib.Error.new_literal(_WORKER_ERROR, error.message,
                                                Fluid.WorkerError.FAILED)
