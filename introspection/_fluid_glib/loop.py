# loop.py: asyncio on the GLib main context
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""asyncio on the GLib main context: the policy that install_asyncio()
installs, and the loop on which the library's coroutines run.

On PyGObject 3.50 and later the policy is ``gi.events``'; before, gbulb's,
amended so that every loop of the main thread runs the default main
context. Only install_asyncio() sets anything for the process (the
policy); gbulb.install()'s patching of asyncio.SafeChildWatcher is not
done: the policy gives asyncio GLib's child watcher itself."""

import asyncio
import atexit
import threading

from gi.repository import GLib

# The policy classes install_asyncio() may have installed, once chosen.
_policy_classes = ()


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
    (Debian's ``python3-gbulb``), amended so that every ``asyncio.run()``
    of the main thread runs the default main context. Call it once, before
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
