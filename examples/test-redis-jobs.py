#!/usr/bin/python3
# test-redis-jobs.py: checks that examples/redis-jobs.c, or its Python
# port, never fails in silence nor waits for ever
#
# Usage: test-redis-jobs.py COMMAND...: the program to check, after its
# interpreter if it has one (python3 redis-jobs.py).
#
# Each case runs the program to its end and checks its exit status and
# what it said on stderr: --help, a wrong command line, a URI that does not
# parse, no server, a server that never answers, a consumer process that
# fails. Nothing here waits for a time: the test's own timeout is the only
# bound on a program that would not end. (The run that shares the jobs is
# the test example-redis-jobs.)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "introspection", "tests", "python"))
from redistest import RedisServer  # noqa: E402

COMMAND = []


class TestRedisJobs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="fluid-redis-jobs-")
        self.addCleanup(self.tmp.cleanup)

    def run_program(self, *args):
        """(exit status, stdout, stderr) once the program ended."""
        done = subprocess.run(COMMAND + list(args), capture_output=True, text=True)
        return done.returncode, done.stdout, done.stderr

    def assert_fails(self, args, *said):
        """The program exits with status 1 and says each of @said on
        stderr."""
        status, _, stderr = self.run_program(*args)
        self.assertEqual(status, 1, stderr)
        for text in said:
            self.assertIn(text, stderr)
        return stderr

    def test_help(self):
        for option in ("--help", "-h"):
            status, stdout, stderr = self.run_program(option)
            self.assertEqual(status, 0, stderr)
            self.assertIn("usage", stdout.lower())
            self.assertIn("--timeout", stdout)
            self.assertIn("Exit status", stdout)

    def test_wrong_command_line(self):
        for args in ([], ["unix:///x", "extra"], ["unix:///x", "consume"],
                     ["--no-such-option", "unix:///x"], ["--timeout", "0", "unix:///x"]):
            status, _, stderr = self.run_program(*args)
            self.assertEqual(status, 2, f"{args}: {stderr}")
            self.assertIn("usage", stderr.lower(), args)

    def test_bad_uri(self):
        self.assert_fails(["redis:/127.0.0.1"], "Invalid Redis URI “redis:/127.0.0.1”: no host")
        # A consumer alone: its worker's exit code.
        status, _, stderr = self.run_program("redis:/127.0.0.1", "consume", "solo")
        self.assertEqual(status, 2, stderr)
        self.assertIn("consumer solo: Invalid Redis URI “redis:/127.0.0.1”: no host", stderr)

    def test_bad_uri_password_not_shown(self):
        stderr = self.assert_fails(["redis://user:hunter2%zz@host"], "Invalid Redis URI")
        self.assertNotIn("hunter2", stderr)

    def test_no_server(self):
        path = os.path.join(self.tmp.name, "none.sock")
        self.assert_fails(["--timeout", "1", "unix://" + path],
                          "no answer from Redis for 1 s", f"Cannot connect to {path}")

    def test_silent_server(self):
        """A socket that accepts connections and never answers."""
        path = os.path.join(self.tmp.name, "silent.sock")
        with socket.socket(socket.AF_UNIX) as silent:
            silent.bind(path)
            silent.listen(16)
            self.assert_fails(["--timeout", "1", "unix://" + path], "no answer from Redis for 1 s")

    @unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
    def test_consumer_fails(self):
        """The producer may add jobs, the consumers may not create their
        group: the parent sees them end with exit status 2."""
        server = RedisServer().start()
        self.addCleanup(server.stop)
        self.assertEqual(server.command("ACL", "SETUSER", "default", "-xgroup"), b"+OK\r\n")
        self.assert_fails([server.uri], "NOPERM", "ended with exit status 2")


if __name__ == "__main__":
    COMMAND[:] = sys.argv[1:]
    if not COMMAND:
        sys.exit("Usage: test-redis-jobs.py COMMAND...")
    unittest.main(argv=[sys.argv[0], "-v"])
