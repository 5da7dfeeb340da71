# FluidRedis.py: the PyGObject override of FluidRedis, the Redis Streams
# workers of libfluid-glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Pythonic spellings of FluidRedis.

Handlers are plain functions or coroutine functions, awaited on the GLib
main loop as the Fluid override does for message handlers::

    from gi.repository import Fluid, FluidRedis

    async def handle(entry):
        await do_the_job(entry.get_string("data"))

    consumer = FluidRedis.StreamConsumer("unix:///run/redis.sock", "jobs",
                                         "workers", handle, claim_idle=5)
    producer = FluidRedis.StreamProducer("unix:///run/redis.sock", "jobs")
    producer.send({"data": "hello"})
    entry_id = await producer.add({"data": "hello"})

A handler that raises (or whose coroutine raises) fails its entry: the
entry stays pending for the group, to be retried after ``claim_idle``,
the consumer counts it in the ``failed`` key of its status and logs it at
debug level, and the exception is kept as ``consumer.last_exception``.
Nothing is printed and ignored.
"""

from gi.repository import GLib
from gi.repository import Gio
from gi.repository import Fluid  # noqa: F401: loads the Fluid override first

from _fluid_glib import properties, tasks
from _fluid_glib.subclass import adopt

from ..module import get_introspection_module
from ..overrides import override

FluidRedis = get_introspection_module("FluidRedis")

__all__ = []


def _value_bytes(name, value):
    """What Redis gets of a field's value: bytes as they are, text in UTF-8,
    a number as its text; anything else is refused."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value).encode()
    raise TypeError(f"field {name!r}: cannot send a {type(value).__name__} "
                    "(str, bytes, int or float)")


def _fields(fields):
    """A dict (or pairs) of str names and values as the names and the
    GLib.Bytes values the C API takes."""
    items = fields.items() if hasattr(fields, "items") else fields
    names, values = [], []
    for name, value in items:
        if not isinstance(name, str):
            raise TypeError(f"a field name is a str, not {type(name).__name__}")
        if "\0" in name:
            raise ValueError(f"field name {name!r} holds a NUL character")
        names.append(name)
        values.append(GLib.Bytes.new(_value_bytes(name, value)))
    if not names:
        raise ValueError("an entry needs at least one field")
    return names, values


def _props(kwargs):
    return {key.replace("_", "-"): value for key, value in kwargs.items()}


class StreamConsumer(FluidRedis.StreamConsumer):
    """A consumer of a Redis stream in a consumer group.

    ``FluidRedis.StreamConsumer(uri, stream, group, handler, **properties)``:
    ``handler(entry)`` is a function or a coroutine function; a subclass may
    define ``handle(self, entry)`` instead. Properties as keywords:
    ``consumer``, ``batch_size``, ``claim_idle``, ``max_deliveries``,
    ``dead_letter_stream``..., and aio-fluid's ``name`` and
    ``stopping_grace_period``.
    """

    def __new__(cls, uri=None, stream=None, group=None, handler=None, **kwargs):
        if handler is None:
            return super().__new__(cls)
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        return super().__new__(_CallbackStreamConsumer)

    def __init__(self, uri=None, stream=None, group=None, handler=None, *, name=None,
                 stopping_grace_period=None, **kwargs):
        props = _props(kwargs)
        for key, value in (("uri", uri), ("stream", stream), ("group", group)):
            if value is not None:
                props[key] = value
        super().__init__(name=name, stopping_grace_period=stopping_grace_period, **props)
        self._fluid_handler = handler
        self.last_exception = None

    @staticmethod
    def new(uri, stream, group, func=None, *user_data, name=None, stopping_grace_period=None):
        """The C constructor: ``func(consumer, entry, *user_data)`` handles
        each entry and returns ``True`` to acknowledge it."""
        consumer = FluidRedis.StreamConsumer.new(uri, stream, group, func, *user_data)
        return adopt(consumer, name, stopping_grace_period)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "handle" in cls.__dict__ and "do_handle_async" not in cls.__dict__:
            cls.do_handle_async = _handle_async

    def _settle_entry(self, task, handle):
        """Completes @task with what handle() does; an exception (raised, or
        by its coroutine) is kept as last_exception and fails the entry."""
        tasks.settle(task, handle, self,
                     on_exception=lambda exception: setattr(self, "last_exception", exception))

    def is_connected(self):
        """Whether both connections of the running consumer are up."""
        return FluidRedis.StreamConsumer.is_connected(self)


def _entry_task(consumer, cancellable, callback):
    """The task of one entry's handler. The task calls no callback itself:
    C's @callback is called from its "completed" notification, so that no
    native closure is made for each entry (GObject-Introspection 1.74 leaks
    the argument types of each: some 130 bytes an entry)."""
    task = Gio.Task.new(consumer, cancellable, None)
    task.connect("notify::completed", lambda task, pspec: callback(consumer, task))
    return task


# The handle virtual method of a subclass that defines handle(); its
# _finish half stays C's, which passes the error on as it is.
def _handle_async(self, entry, cancellable, callback, user_data=None):
    self._settle_entry(_entry_task(self, cancellable, callback), lambda: self.handle(entry))


StreamConsumer = override(StreamConsumer)
__all__.append("StreamConsumer")


class _CallbackStreamConsumer(StreamConsumer):
    """What StreamConsumer(..., handler) builds: the handler runs as the
    handle virtual method, so that an exception or a failing coroutine
    fails its entry."""

    __gtype_name__ = "FluidRedisPythonCallbackStreamConsumer"
    # PyGObject registers no GType for a class of a gi.overrides module.
    __module__ = "fluid_redis_python_types"

    def do_handle_async(self, entry, cancellable, callback, user_data=None):
        handler = self._fluid_handler
        self._settle_entry(_entry_task(self, cancellable, callback), lambda: handler(entry))


class StreamProducer(FluidRedis.StreamProducer):
    """Adds entries to a Redis stream.

    ``FluidRedis.StreamProducer(uri, stream, max_len=, max_buffered=,
    name=, stopping_grace_period=)``;
    ``send(fields)`` never blocks (False: dropped), ``await add(fields)``
    returns the entry's id. Fields are a dict of str names to values: bytes
    are sent as they are, str in UTF-8, int and float as their text;
    anything else raises TypeError.
    """

    def __init__(self, uri=None, stream=None, *, name=None, stopping_grace_period=None,
                 **kwargs):
        props = _props(kwargs)
        if uri is not None:
            props["uri"] = uri
        if stream is not None:
            props["stream"] = stream
        super().__init__(name=name, stopping_grace_period=stopping_grace_period, **props)

    @staticmethod
    def new(uri, stream, *, name=None, stopping_grace_period=None):
        """The C constructor, with aio-fluid's keywords."""
        return adopt(FluidRedis.StreamProducer.new(uri, stream), name, stopping_grace_period)

    def send(self, fields):
        """Adds an entry without waiting; False when it was dropped."""
        return FluidRedis.StreamProducer.send_bytes(self, *_fields(fields))

    async def add(self, fields):
        """Adds an entry; a coroutine, returns its id."""
        return await tasks.pair_future(self, "add_bytes", *_fields(fields), None, raiser=self)


StreamProducer = override(StreamProducer)
__all__.append("StreamProducer")


# Every property of the two classes as an attribute, as in Fluid.
properties.install("FluidRedis", FluidRedis)
