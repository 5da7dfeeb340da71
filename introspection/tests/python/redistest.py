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
    # Killed: a server busy with a script ignores SIGTERM until it ends.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


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

    def terminate(self):
        """SIGTERM, then SIGKILL after 5 s (a server busy with a script)."""
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self, loading=False):
        """Stops the server and starts it again on its data."""
        self.terminate()
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
            self.terminate()
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    """A port of 127.0.0.1 nothing listened on a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisCluster:
    """Six redis-servers with cluster-enabled on free ports of 127.0.0.1
    (and unix sockets, for the checks), formed with redis-cli --cluster
    create --cluster-replicas 1, waited for until every node says the
    cluster is ok; the URI is redis+cluster://127.0.0.1:PORT,…"""

    def __init__(self):
        self.ports = [free_port() for _ in range(6)]
        self.nodes = [self._node(port) for port in self.ports]

    @staticmethod
    def _node(port):
        return RedisServer("--port", str(port), "--bind", "127.0.0.1",
                           "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                           "--cluster-node-timeout", "1000",
                           "--cluster-port", str(free_port()),
                           "--appendonly", "no", "--repl-diskless-sync-delay", "0")

    @property
    def uri(self):
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def start(self):
        for i in range(len(self.nodes)):
            for attempt in range(5):
                try:
                    self.nodes[i].start()
                    break
                except RuntimeError:
                    # Another process took a port between free_port() and
                    # the server's bind: others.
                    self.nodes[i].stop()
                    if attempt == 4:
                        raise
                    self.ports[i] = free_port()
                    self.nodes[i] = self._node(self.ports[i])
        subprocess.run([shutil.which("redis-cli"), "--cluster", "create"]
                       + [f"127.0.0.1:{port}" for port in self.ports]
                       + ["--cluster-replicas", "1", "--cluster-yes"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        deadline = time.monotonic() + 20
        while not all(b"cluster_state:ok" in node.command("CLUSTER", "INFO")
                      for node in self.nodes):
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not form")
            time.sleep(0.02)
        return self

    def stop(self):
        for node in self.nodes:
            node.stop()
