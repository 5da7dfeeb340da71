#!/usr/bin/python3
# with-redis.py: runs a command beside a private redis-server (unix socket
# in a temporary folder, AOF on), its URI in FLUID_TEST_REDIS_URI, and
# stops the server afterwards (an argument "{uri}" is replaced by it): for the GJS and Vala tests, which do not
# start servers themselves (a GJS 1.74 process that forked one may hang at
# its exit). Exits 77 (skipped) when redis-server is not installed.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from redistest import RedisServer  # noqa: E402

if shutil.which("redis-server") is None:
    print("1..0 # SKIP redis-server is not installed")
    sys.exit(0)

server = RedisServer().start()
try:
    env = dict(os.environ, FLUID_TEST_REDIS_URI=server.uri)
    command = [server.uri if arg == "{uri}" else arg for arg in sys.argv[1:]]
    sys.exit(subprocess.call(command, env=env))
finally:
    server.stop()
