# _fluid_glib: the machinery of libfluid-glib's PyGObject overrides
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""What ``gi.overrides.Fluid`` and ``gi.overrides.FluidRedis`` are built
on; private, and no API: import ``gi.repository.Fluid``.

- :mod:`.loop`: asyncio on the GLib main context.
- :mod:`.failures`: exceptions raised by Python code that the library
  calls, on their way through C as GErrors and back as themselves.
- :mod:`.tasks`: Python code completing the library's GTasks (functions,
  coroutines, generators) and coroutines of the ``_async``/``_finish``
  pairs.
- :mod:`.subclass`: Python spellings of a subclass as virtual methods, and
  the ``fluid`` logger for the workers Python makes.
- :mod:`.callbacks`: Python callables as the C API's callbacks.
- :mod:`.properties`: GObject properties as attributes.

Importing it changes nothing outside it: no hook, no environment, no other
library touched. Only :func:`.loop.install_asyncio` sets something for the
process, the asyncio event loop policy, as documented.
"""
