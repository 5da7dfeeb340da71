# properties.py: the GObject properties of libfluid-glib's classes as
# Python attributes
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Every GObject property of the library's classes, and of their Python
subclasses, as an attribute of the same name with ``_`` for ``-``, as an
aio-fluid user writes them: ``consumer.stop_on_failure = False``,
``worker.exit_code``.

PyGObject 3.42 reads and writes properties through ``obj.props`` and
constructor keywords only: ``consumer.stop_on_failure = False`` made a
Python attribute of the wrapper, and the consumer kept its property. A
:class:`Property` on the class is a data descriptor, which Python looks up
before the instance's own attributes: reading calls ``get_property()``,
writing ``set_property()``, and a property that cannot be written then
(read-only, or construct-only once the object is made) raises an
``AttributeError`` that says so, rather than leaving a Python attribute
that the library never sees.

:func:`install` puts one on each class of a namespace for the properties
it declares; :func:`install_declared` on a Python subclass for those of
its ``__gproperties__`` (a ``GObject.Property`` is a descriptor already).
A name that the class itself defines (a method) is left alone: the
property stays under ``.props``."""

from gi._gi import ObjectInfo, Repository
from gi.repository import GObject

_READABLE = GObject.ParamFlags.READABLE
_WRITABLE = GObject.ParamFlags.WRITABLE
_CONSTRUCT_ONLY = GObject.ParamFlags.CONSTRUCT_ONLY
_get = GObject.Object.get_property
_set = GObject.Object.set_property


class Property:
    """The GObject property @name of @owner, a class, as an attribute."""

    def __init__(self, name, owner, flags=None, doc=None):
        self.name = name
        self.owner = owner
        self.flags = flags
        self.__doc__ = doc

    def _flags(self, obj):
        # A Python subclass's property exists once its type is registered,
        # after the class statement: looked up at its first use.
        if self.flags is None:
            pspec = next((pspec for pspec in GObject.list_properties(type(obj))
                          if pspec.name == self.name), None)
            if pspec is None:
                raise AttributeError(f"{self.owner}.{self.name.replace('-', '_')}: "
                                     f"{self.owner} has no property {self.name!r}")
            self.flags = pspec.flags
        return self.flags

    def _refuse(self, obj, why):
        attribute = self.name.replace("-", "_")
        raise AttributeError(f"the {self.name} property of {type(obj).__name__} is {why}: "
                             f"{attribute} cannot be set")

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        if not self._flags(obj) & _READABLE:
            raise AttributeError(f"the {self.name} property of {type(obj).__name__} "
                                 "is write-only")
        return _get(obj, self.name)

    def __set__(self, obj, value):
        flags = self._flags(obj)
        if not flags & _WRITABLE:
            self._refuse(obj, "read-only")
        if flags & _CONSTRUCT_ONLY:
            self._refuse(obj, f"set at construction only (pass {self.name.replace('-', '_')}= "
                         "to the constructor)")
        _set(obj, self.name, value)

    def __delete__(self, obj):
        self._refuse(obj, "a GObject property, which cannot be deleted")


def _put(cls, name, flags=None, doc=None):
    attribute = name.replace("-", "_")
    if attribute not in cls.__dict__:
        setattr(cls, attribute, Property(name, cls.__name__, flags, doc))


def install(namespace, module):
    """Puts a :class:`Property` on each class of @namespace (its classes
    in @module, the introspection module) for each property it declares."""
    for info in Repository.get_default().get_infos(namespace):
        if not isinstance(info, ObjectInfo):
            continue
        cls = getattr(module, info.get_name())
        gtype = cls.__gtype__
        for pspec in GObject.list_properties(cls):
            if pspec.owner_type == gtype:
                _put(cls, pspec.name, pspec.flags, pspec.blurb)


def install_declared(cls):
    """Puts a :class:`Property` on @cls, a Python subclass being made, for
    each property of its ``__gproperties__``. Not beside a
    ``GObject.Property`` of the class: PyGObject then reads and writes
    every property of the class as an attribute itself (its own
    ``do_get_property``), which an attribute that reads the property would
    make endless."""
    attrs = cls.__dict__
    if any(isinstance(value, GObject.Property) for value in attrs.values()):
        return
    for name in attrs.get("__gproperties__", {}):
        _put(cls, name)
