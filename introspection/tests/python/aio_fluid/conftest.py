# conftest.py: runs aio-fluid's async tests on libfluid-glib
#
# pytest-asyncio is not in Debian 12: each `async def` test runs in its own
# asyncio.run(), on the GLib main context (Fluid.install_asyncio()), as
# pytest-asyncio would run it.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import inspect

import gi

gi.require_version("Fluid", "1.0")

import pytest  # noqa: E402
from gi.repository import Fluid  # noqa: E402

Fluid.install_asyncio()

# A test that waits longer than this has failed; pytest-timeout is not in
# Debian 12 either.
GUARD_SECONDS = 60


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    arguments = {name: pyfuncitem.funcargs[name]
                 for name in pyfuncitem._fixtureinfo.argnames}

    async def guarded():
        await asyncio.wait_for(pyfuncitem.obj(**arguments), GUARD_SECONDS)

    asyncio.run(guarded())
    return True
