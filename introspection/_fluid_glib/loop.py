# loop.py: asyncio on the GLib main context
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""asyncio on the GLib main context: the policy that install_asyncio()
installs, and the loop on which the library's coroutines run.

On PyGObject 3.50 and later the policy is ``gi.events``'. Before, it is
gbulb's, with a loop of gbulb's that schedules as asyncio's own does:

- gbulb makes a GLib source for every ``call_soon()`` and every timer,
  attaches it, and destroys it once it ran: a task step costs a GSource, a
  wrapper and a trip through the main context's source list, and 10 000
  workers asleep in ``asyncio.sleep()`` are 10 000 timeout sources that
  every iteration of the context prepares and checks. Here ``call_soon()``
  appends a handle to the loop's ready deque and a timer joins its heap,
  as asyncio's own loop has them (``asyncio.BaseEventLoop``'s methods, not
  gbulb's; ``call_soon()`` out of debug mode makes its handle without
  asking the loop for that mode, the larger half of its cost; a timer due
  no earlier than the last one made joins a deque instead of the heap),
  and one GLib source per loop (:class:`_ReadySource`) is ready when the
  deque holds a handle or the first timer is due, and wakes the context
  for that timer otherwise: each of its dispatches runs the handles ready
  when it begins and the timers due, as one iteration of asyncio's loop
  does, then once more those that these made ready (a task that a step
  woke: a round trip through the context costs more than the step), and
  again for the next hundred timers that were due when it began (see
  _TIMERS_PER_ROUND); what the last round schedules waits for the next
  iteration of the context, after GLib's other sources, which a busy loop
  thus never starves.
- Everything else stays gbulb's: the main loop or ``Gio.Application``
  that runs it (``loop.run_forever(application=app)``), file descriptors,
  sockets and pipes as GLib watches, signals as GLib's Unix signal
  sources, subprocesses through GLib's child watch.
- Every loop of the main thread runs the default main context, where
  workers, GIO and GTK live; a loop of another thread runs that thread's
  default context (a new one if it pushed none).

Only install_asyncio() sets anything for the process (the policy);
gbulb.install()'s patching of asyncio.SafeChildWatcher is not done: the
policy gives asyncio GLib's child watcher itself."""

import asyncio
import atexit
import collections
import contextvars
import heapq
import math
import threading
import weakref

from gi.repository import GLib

# The policy classes install_asyncio() may have installed, once chosen.
_policy_classes = ()

# How many due timers a round of the loop takes at most: a burst of timers
# due at once (10 000 sleeps of a second that began together) runs a
# hundred timers, the tasks they wake and what those make ready, then the
# next hundred, rather than every timer, then every task. What a hundred
# make is freed before the next hundred run, so that the burst does not
# trigger Python's collector (a full collection of 10 000 workers costs
# tens of milliseconds), and what they touch is still in the cache.
_TIMERS_PER_ROUND = 100

# Makes a Handle without calling its __init__ (see ReadyLoop.call_soon()).
_new_handle = object.__new__

# The loops whose source is attached: closed or not, none keeps it past the
# exit of the interpreter, when PyGObject could no longer free it.
_loops_with_sources = weakref.WeakSet()
_dropping_at_exit = False


def _drop_sources():
    for loop in list(_loops_with_sources):
        loop._fluid_drop_source()


def _keep_source(loop):
    global _dropping_at_exit
    if not _dropping_at_exit:
        atexit.register(_drop_sources)
        _dropping_at_exit = True
    _loops_with_sources.add(loop)


class _ReadySource(GLib.Source):
    """The one GLib source of a loop: ready when a handle is, and the timer
    of its first timer otherwise. It holds its loop, which holds it, until
    the loop closes, destroys it and drops it."""

    def __init__(self, loop):
        super().__init__()
        self.loop = loop
        self.set_name("[fluid] asyncio")

    def prepare(self):
        loop = self.loop
        if loop._ready:
            return True, -1
        return loop._fluid_due()

    def check(self):
        loop = self.loop
        return bool(loop._ready) or loop._fluid_due()[0]

    def dispatch(self, callback, args):
        self.loop._fluid_run_ready()
        return True  # GLib.SOURCE_CONTINUE, without a look-up


class _TimerHandle(asyncio.TimerHandle):
    """asyncio's TimerHandle, whose cancel() out of debug mode is one call:
    ``asyncio.sleep()`` cancels its timer once it ran, and 10 000 sleeps
    end in one burst (asyncio's own is four Python calls, one of them to
    ask the loop for its debug mode)."""

    __slots__ = ()

    def cancel(self):
        if self._cancelled:
            return
        loop = self._loop
        if loop._debug:
            asyncio.TimerHandle.cancel(self)
            return
        if self._scheduled:
            loop._timer_cancelled_count += 1
        self._cancelled = True
        self._callback = None
        self._args = None


def _report(handle, exception):
    """What asyncio's Handle._run() does with an exception that a callback
    raised: the loop's exception handler is told."""
    callback = asyncio.format_helpers._format_callback_source(handle._callback, handle._args)
    context = {"message": f"Exception in callback {callback}", "exception": exception,
               "handle": handle}
    if handle._source_traceback:
        context["source_traceback"] = handle._source_traceback
    handle._loop.call_exception_handler(context)


def _gbulb_policy_class():
    from gbulb.glib_events import GLibEventLoop, GLibEventLoopPolicy

    class ReadyLoop(GLibEventLoop):
        """gbulb's loop with asyncio's scheduling: see the top of this
        module."""

        call_soon_threadsafe = asyncio.BaseEventLoop.call_soon_threadsafe
        call_later = asyncio.BaseEventLoop.call_later
        time = asyncio.BaseEventLoop.time

        def __init__(self, context, application):
            super().__init__(context=context, application=application)
            # The timers in order of their time, those made in that order
            # (later), the others in a heap (_scheduled): see call_at().
            self._fluid_later = collections.deque()
            self._fluid_running_ready = False
            self._fluid_exit = None
            self._fluid_source = _ReadySource(self)
            self._fluid_source.attach(self._context)
            _keep_source(self)

        def call_soon(self, callback, *args, context=None):
            """asyncio's call_soon(): in debug mode its own, with its
            checks; otherwise what it does then, made inline."""
            if self._debug:
                return asyncio.BaseEventLoop.call_soon(self, callback, *args, context=context)
            if self._closed:
                raise RuntimeError("Event loop is closed")
            # What asyncio.Handle(callback, args, self, context) makes,
            # without asking the loop for its debug mode (half the cost of
            # the call) nor a call to __init__.
            handle = _new_handle(asyncio.Handle)
            handle._context = contextvars.copy_context() if context is None else context
            handle._loop = self
            handle._callback = callback
            handle._args = args
            handle._cancelled = False
            handle._repr = None
            handle._source_traceback = None
            self._ready.append(handle)
            return handle

        def call_at(self, when, callback, *args, context=None):
            """asyncio's call_at(), in debug mode its own. Otherwise a timer
            due no earlier than the last one made joins the end of a deque
            rather than the heap: timers are mostly made in the order they
            are due (every asyncio.sleep() of the same length), and taking
            the first of a heap of 10 000 compares them in Python a dozen
            times; the others join the heap, and the due ones are taken
            from both in order."""
            if self._debug:
                return asyncio.BaseEventLoop.call_at(self, when, callback, *args,
                                                     context=context)
            if when is None:
                raise TypeError("when cannot be None")
            if self._closed:
                raise RuntimeError("Event loop is closed")
            timer = _TimerHandle(when, callback, args, self, context)
            later = self._fluid_later
            if not later or when >= later[-1]._when:
                later.append(timer)
            else:
                heapq.heappush(self._scheduled, timer)
            timer._scheduled = True
            return timer

        def _fluid_first_timer(self):
            """The first timer due, dropping the cancelled ones that come
            first in the deque and the heap; None if there is none."""
            scheduled = self._scheduled
            later = self._fluid_later
            while scheduled and scheduled[0]._cancelled:
                self._timer_cancelled_count -= 1
                heapq.heappop(scheduled)._scheduled = False
            while later and later[0]._cancelled:
                self._timer_cancelled_count -= 1
                later.popleft()._scheduled = False
            if not later:
                return scheduled[0] if scheduled else None
            if scheduled and scheduled[0]._when < later[0]._when:
                return scheduled[0]
            return later[0]

        def _fluid_due(self):
            """(whether the first timer is due, how many milliseconds until
            it is, or -1), for the source's prepare and check once no
            handle is ready."""
            first = self._fluid_first_timer()
            if first is None:
                return False, -1
            delay = first._when - self.time()
            if delay <= self._clock_resolution:
                return True, -1
            return False, min(math.ceil(delay * 1000), GLib.MAXINT32)

        def _fluid_take_due(self, end):
            """Moves the first _TIMERS_PER_ROUND timers due before @end to
            the ready handles, in the order of their time (the cancelled
            ones are dropped); whether some may be left."""
            if self._timer_cancelled_count:
                self._fluid_drop_cancelled_timers()
            scheduled = self._scheduled
            later = self._fluid_later
            ready = self._ready
            for _ in range(_TIMERS_PER_ROUND):
                if later and later[0]._when < end:
                    if scheduled and scheduled[0]._when < later[0]._when:
                        timer = heapq.heappop(scheduled)
                    else:
                        timer = later.popleft()
                elif scheduled and scheduled[0]._when < end:
                    timer = heapq.heappop(scheduled)
                else:
                    return False
                timer._scheduled = False
                if timer._cancelled:
                    self._timer_cancelled_count -= 1
                else:
                    ready.append(timer)
            return True

        def _fluid_run_ready(self):
            """Iterations of asyncio's loop, without their poll: the
            timers due join the ready handles, a hundred at most, the
            handles ready now run, in order, then those they made ready;
            again while timers that were due when it began are left. Not
            within itself: what the last round makes ready runs at the
            next iteration of the context. Each handle runs as
            Handle._run() runs it, without that call out of debug mode."""
            if self._fluid_running_ready:
                return
            self._fluid_running_ready = True
            try:
                ready = self._ready
                popleft = ready.popleft
                debug = self._debug
                end = self.time() + self._clock_resolution
                timers_left = True
                while timers_left:
                    timers_left = (bool(self._scheduled or self._fluid_later)
                                   and self._fluid_take_due(end))
                    for _ in range(2):
                        for _ in range(len(ready)):
                            handle = popleft()
                            if handle._cancelled:
                                continue
                            if debug:
                                handle._run()
                                continue
                            try:
                                handle._context.run(handle._callback, *handle._args)
                            except (SystemExit, KeyboardInterrupt):
                                raise
                            except BaseException as exception:  # noqa: B036: as Handle._run()
                                _report(handle, exception)
                        if not ready:
                            break
            except (SystemExit, KeyboardInterrupt) as exception:
                # Out of the loop, as asyncio's own loop lets them out.
                self._fluid_exit = exception
                self.stop()
            finally:
                handle = None
                self._fluid_running_ready = False

        def _fluid_drop_cancelled_timers(self):
            """Rebuilds the heap and the deque without their cancelled
            timers once they are more than half of them, as asyncio does
            its heap."""
            scheduled = self._scheduled
            later = self._fluid_later
            count = len(scheduled) + len(later)
            if count > 100 and self._timer_cancelled_count * 2 > count:
                for timer in scheduled:
                    if timer._cancelled:
                        timer._scheduled = False
                for timer in later:
                    if timer._cancelled:
                        timer._scheduled = False
                kept = [timer for timer in scheduled if not timer._cancelled]
                heapq.heapify(kept)
                self._scheduled = kept
                self._fluid_later = collections.deque(timer for timer in later
                                                      if not timer._cancelled)
                self._timer_cancelled_count = 0

        def run(self):
            super().run()
            exception, self._fluid_exit = self._fluid_exit, None
            if exception is not None:
                raise exception

        def _fluid_drop_source(self):
            # The wrapper freed now, and the source with it.
            if self._fluid_source is not None:
                self._fluid_source.destroy()
                self._fluid_source = None
                _loops_with_sources.discard(self)

        def close(self):
            self._fluid_drop_source()
            super().close()
            self._fluid_later.clear()

    class DefaultContextPolicy(GLibEventLoopPolicy):
        """gbulb's policy, making ReadyLoops. gbulb's gives the default
        GMainContext to the first loop of the main thread only: a second
        asyncio.run() would get a loop on a new context, where nothing of
        the default one runs."""

        def new_event_loop(self):
            if threading.current_thread() is threading.main_thread():
                context = GLib.MainContext.default()
            else:
                context = GLib.MainContext.get_thread_default() or GLib.MainContext()
            loop = ReadyLoop(context, self._application)
            loop._policy = self
            return loop

    return DefaultContextPolicy, (GLibEventLoopPolicy,)


def _policy_class():
    """The policy class to install, and the classes of policies that count
    as installed."""
    try:
        from gi.events import GLibEventLoopPolicy  # PyGObject >= 3.50
    except ImportError:
        return _gbulb_policy_class()
    return GLibEventLoopPolicy, (GLibEventLoopPolicy,)


def _installed():
    """Whether the current policy runs asyncio on GLib."""
    return bool(_policy_classes) and isinstance(asyncio.get_event_loop_policy(), _policy_classes)


def install_asyncio():
    """Installs the asyncio event loop policy that runs on the GLib main
    context, so that ``asyncio.run()`` drives workers, GIO and GTK: the
    policy of ``gi.events`` on PyGObject 3.50 and later, else gbulb's
    (Debian's ``python3-gbulb``) with a loop that schedules as asyncio's
    own, and where every ``asyncio.run()`` of the main thread runs the
    default main context. Call it once, before
    the first ``asyncio.run()``; a second call does nothing. Returns the
    policy."""
    global _policy_classes
    if _installed():
        return asyncio.get_event_loop_policy()
    cls, _policy_classes = _policy_class()
    policy = cls()
    asyncio.set_event_loop_policy(policy)
    return policy


def _is_glib_loop(loop):
    return isinstance(getattr(loop, "_context", None), GLib.MainContext) \
        or type(loop).__module__.startswith(("gi.events", "gi._ossighelper"))


def glib_loop():
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
    if not _installed():
        raise RuntimeError("libfluid-glib's coroutines need asyncio on the GLib main context: "
                           "call Fluid.install_asyncio() before asyncio.run()")
    return _idle_loop()


_thread_loops = threading.local()


def _idle_loop():
    """The loop of this thread's blocking helpers, when no asyncio loop
    runs: one per thread, on the same main context as asyncio.run()'s, and
    closed at exit."""
    loop = getattr(_thread_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.get_event_loop_policy().new_event_loop()
        _thread_loops.loop = loop
        atexit.register(loop.close)
    return loop


def asyncio_ready():
    """Whether blocking helpers should run the asyncio loop rather than
    iterate the main context: asyncio runs on GLib and no loop runs, on the
    main thread."""
    if not _installed():
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return threading.current_thread() is threading.main_thread()
    return False


def ready_runner(loop):
    """A function that runs the handles ready on @loop now, if it is this
    module's and does not run them already: for a callback of GLib that has
    just made a task ready, so that it runs in this iteration of the
    context rather than the next. Does nothing on another loop."""
    return getattr(loop, "_fluid_run_ready", _nothing)


def _nothing():
    pass
