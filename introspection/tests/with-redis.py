#!/usr/bin/python3
# with-redis.py: runs a command beside a private redis-server (unix socket
# in a temporary folder, AOF on), its URI in FLUID_TEST_REDIS_URI, and
# stops the server afterwards (an argument "{uri}" is replaced by it): for the GJS and Vala tests, which do not
# start servers themselves (a GJS 1.74 process that forked one may hang at
# its exit). Exits 77 (skipped) when redis-server is not installed.
#
# with-redis.py --cluster COMMAND…: the same beside a private Redis
# Cluster (six nodes on free ports of 127.0.0.1, three primaries and three
# replicas), its redis+cluster:// URI given the same way; skipped without
# redis-cli.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from redistest import RedisCluster, RedisServer  # noqa: E402

cluster = len(sys.argv) > 1 and sys.argv[1] == "--cluster"
arguments = sys.argv[2:] if cluster else sys.argv[1:]
if shutil.which("redis-server") is None or (cluster and shutil.which("redis-cli") is None):
    print("1..0 # SKIP redis-server or redis-cli is not installed")
    sys.exit(0)

server = (RedisCluster() if cluster else RedisServer()).start()
try:
    env = dict(os.environ, FLUID_TEST_REDIS_URI=server.uri)
    command = [server.uri if arg == "{uri}" else arg for arg in arguments]
    sys.exit(subprocess.call(command, env=env))
finally:
    server.stop()
