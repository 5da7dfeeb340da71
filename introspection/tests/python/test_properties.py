# test_properties.py: every GObject property of every class of Fluid and
# FluidRedis, and of a Python subclass of each, reads as an attribute, and
# sets as one when it is writable, or refuses with AttributeError: never a
# Python attribute that the library does not see (consumer.stop_on_failure
# = False once did nothing)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import inspect
import unittest

import gi

import fluidtest  # first: it requires the namespaces' versions

from gi._gi import ObjectInfo, Repository  # noqa: E402
from gi.repository import Fluid, GObject  # noqa: E402

try:
    gi.require_version("FluidRedis", "1.0")
    from gi.repository import FluidRedis  # noqa: E402
except (ImportError, ValueError):
    FluidRedis = None

NAMESPACES = [("Fluid", Fluid)] + ([("FluidRedis", FluidRedis)] if FluidRedis else [])


def library_classes():
    """Every class of the namespaces, as the overrides give it."""
    for namespace, module in NAMESPACES:
        for info in Repository.get_default().get_infos(namespace):
            if isinstance(info, ObjectInfo):
                yield getattr(module, info.get_name())


_subclasses = {}


def python_subclass(cls):
    """A Python subclass of @cls, registered as a GType once."""
    if cls not in _subclasses:
        _subclasses[cls] = type(f"Py{cls.__name__}", (cls,),
                                {"__gtype_name__": f"TestPy{cls.__gtype__.name}"})
    return _subclasses[cls]


def instance(cls):
    """An instance of @cls, through a Python subclass when it is abstract."""
    if cls.__gtype__.is_abstract():
        cls = python_subclass(cls)
    return GObject.new(cls)


def another_value(pspec, value):
    """A valid value of @pspec other than @value."""
    gtype = pspec.value_type
    if gtype == GObject.TYPE_BOOLEAN:
        return not value
    if gtype.fundamental in (GObject.TYPE_INT, GObject.TYPE_UINT, GObject.TYPE_INT64,
                             GObject.TYPE_UINT64, GObject.TYPE_LONG, GObject.TYPE_ULONG):
        return value + 1 if value < pspec.maximum else value - 1
    if gtype.fundamental in (GObject.TYPE_DOUBLE, GObject.TYPE_FLOAT):
        return value + 0.5 if value + 0.5 <= pspec.maximum else pspec.minimum
    if gtype == GObject.TYPE_STRING:
        return "walked" if value != "walked" else "walked again"
    if gtype.fundamental == GObject.TYPE_ENUM:
        values = [v for v in pspec.enum_class.__enum_values__.values() if v != value]
        return values[0]
    raise AssertionError(f"no value made for {pspec.name} of type {gtype.name}")


class Declared(Fluid.Worker):
    """A Python subclass with properties of its own in __gproperties__."""

    __gproperties__ = {
        "retries": (int, "retries", "how many times", 0, 10, 3, GObject.ParamFlags.READWRITE),
        "origin": (str, "origin", "where from", "here",
                   GObject.ParamFlags.READWRITE | GObject.ParamFlags.CONSTRUCT_ONLY),
        "seen": (int, "seen", "read-only", 0, 100, 7, GObject.ParamFlags.READABLE),
    }
    def __init__(self, **kwargs):
        self._values = {"retries": 3, "origin": "here", "seen": 7}
        super().__init__(**kwargs)

    def do_get_property(self, pspec):
        return self._values[pspec.name]

    def do_set_property(self, pspec, value):
        self._values[pspec.name] = value

    async def run(self):
        pass


class Labelled(Fluid.Worker):
    """A Python subclass with a GObject.Property, an attribute already."""

    label = GObject.Property(type=str, default="plain")

    async def run(self):
        pass


def is_method(cls, attribute):
    """Whether @attribute of @cls is a method of the override, which
    properties.install() leaves alone."""
    for klass in cls.__mro__:
        if attribute in vars(klass):
            return inspect.isfunction(vars(klass)[attribute])
    return False


class TestProperties(unittest.TestCase):
    def walk(self, obj):
        """Reads, sets or is refused every property of @obj; returns the
        names walked."""
        walked = []
        for pspec in GObject.list_properties(type(obj)):
            attribute = pspec.name.replace("-", "_")
            where = f"{type(obj).__name__}.{attribute}"
            with self.subTest(where):
                value = obj.get_property(pspec.name)
                if is_method(type(obj), attribute):
                    # aio-fluid's method of that name (queue_size()) keeps
                    # the name; it reads the property.
                    self.assertEqual(getattr(obj, attribute)(), value, where)
                    walked.append(attribute)
                    continue
                if pspec.value_type.fundamental == GObject.TYPE_OBJECT:
                    self.assertIs(getattr(obj, attribute), value, where)
                else:
                    self.assertEqual(getattr(obj, attribute), value, where)
                writable = (pspec.flags & GObject.ParamFlags.WRITABLE
                            and not pspec.flags & GObject.ParamFlags.CONSTRUCT_ONLY)
                if writable:
                    new = another_value(pspec, value)
                    setattr(obj, attribute, new)
                    self.assertEqual(obj.get_property(pspec.name), new, where)
                    self.assertEqual(getattr(obj, attribute), new, where)
                else:
                    with self.assertRaisesRegex(AttributeError, pspec.name):
                        setattr(obj, attribute, value)
                    self.assertEqual(obj.get_property(pspec.name), value, where)
                self.assertNotIn(attribute, vars(obj), f"{where} left a Python attribute")
                walked.append(attribute)
        return walked

    def test_every_class(self):
        classes = list(library_classes())
        self.assertIn(Fluid.QueueConsumerWorker, classes)
        for cls in classes:
            with self.subTest(cls.__name__):
                walked = self.walk(instance(cls))
                if issubclass(cls, Fluid.Worker):
                    self.assertIn("exit_code", walked)

    def test_every_python_subclass(self):
        for cls in library_classes():
            # AsyncConsumer, WorkerFunction, StreamProducer: final in C.
            if GObject.type_test_flags(cls.__gtype__, GObject.TypeFlags.FINAL):
                continue
            with self.subTest(cls.__name__):
                self.walk(GObject.new(python_subclass(cls)))

    def test_the_issue(self):
        consumer = Fluid.QueueConsumerWorker(lambda message: None)
        consumer.stop_on_failure = False
        self.assertFalse(consumer.get_stop_on_failure())
        self.assertEqual(consumer.exit_code, consumer.get_exit_code())
        with self.assertRaisesRegex(AttributeError, "exit-code property .* is read-only"):
            consumer.exit_code = 2
        with self.assertRaises(AttributeError):
            del consumer.name

    def test_construct_only(self):
        worker = Fluid.WorkerFunction(lambda: None, heartbeat=2.5)
        self.assertEqual(worker.heartbeat, 2.5)
        with self.assertRaisesRegex(AttributeError, "construction only"):
            worker.heartbeat = 1.0
        self.assertEqual(worker.heartbeat, 2.5)

    def test_declared(self):
        worker = Declared(origin="there")
        walked = self.walk(worker)
        self.assertTrue({"retries", "origin", "seen"} <= set(walked), walked)
        worker.retries = 5
        self.assertEqual(worker.props.retries, 5)
        self.assertEqual(worker.origin, "there")
        with self.assertRaises(AttributeError):
            worker.seen = 1
        with self.assertRaises(AttributeError):
            worker.origin = "elsewhere"

        labelled = Labelled()
        self.assertIn("label", self.walk(labelled))
        labelled.label = "set"
        self.assertEqual(labelled.props.label, "set")


if __name__ == "__main__":
    unittest.main()
