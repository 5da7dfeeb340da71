# redistest.py: a private redis-server for the Python tests of FluidRedis
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class RedisServer:
    """A redis-server on a unix socket in a temporary folder (port 0, AOF
    on unless options say otherwise), waited for by PING, stopped by stop()
    or with the test process. @options are more arguments of redis-server
    ("--key-load-delay", "50", …)."""

    def __init__(self, *options):
        self.program = shutil.which("redis-server")
        self.dir = tempfile.mkdtemp(prefix="fluid-py-redis-")
        self.socket = os.path.join(self.dir, "redis.sock")
        self.uri = "unix://" + self.socket
        self.options = list(options)
        self.process = None

    def start(self, loading=False):
        """Returns once PING has its PONG, or with @loading, any answer
        (LOADING while the server loads its data)."""
        self.process = subprocess.Popen(
            [self.program, "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700",
             "--dir", self.dir, "--appendonly", "yes", "--save", "", "--logfile",
             os.path.join(self.dir, "redis.log")] + self.options,
            stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 20
        while not (self.answers() if loading else self.ping()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.005)
        return self

    def restart(self, loading=False):
        """Stops the server (SIGTERM) and starts it again on its data."""
        self.process.terminate()
        self.process.wait()
        return self.start(loading)

    def command(self, *args):
        """Sends one command in RESP and returns the raw reply."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.socket)
            payload = f"*{len(args)}\r\n".encode()
            for arg in args:
                data = arg if isinstance(arg, bytes) else str(arg).encode()
                payload += f"${len(data)}\r\n".encode() + data + b"\r\n"
            s.sendall(payload)
            return s.recv(65536)

    def ping(self):
        try:
            return self.command("PING").startswith(b"+PONG")
        except OSError:
            return False

    def answers(self):
        try:
            return self.command("PING") != b""
        except OSError:
            return False

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)
