#!/usr/bin/python3
# test-checksums.py: checks examples/checksums.c or its Python port
#
# Usage: test-checksums.py COMMAND...: the program to check, after its
# interpreter if it has one (python3 checksums.py).
#
# The checksums are compared with sha256sum's. The Ctrl-C tests give the
# program FIFOs: a thread that hashes one blocks until this test writes to
# it, so the test knows which files are in progress when it sends SIGINT,
# and waits for conditions (a FIFO with a reader, a line on stderr, the
# program's end), never for a time.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import errno
import glob
import hashlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest

COMMAND = []
HERE = os.path.dirname(os.path.abspath(__file__))
# A test that waits longer than this has failed.
GUARD_SECONDS = 60


def sha256sum(paths):
    output = subprocess.run(["sha256sum", "--", *paths], check=True, capture_output=True,
                            text=True).stdout
    return sorted(output.splitlines())


def checksum_lines(stdout):
    """{path: digest} of the program's output."""
    lines = {}
    for line in stdout.splitlines():
        digest, path = line.split("  ", 1)
        lines[path] = digest
    return lines


def open_if_read(fifo):
    """A descriptor writing to @fifo if a thread of the program has it open
    for reading (or waits in open()), else None."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ENXIO:
            return None
        raise
    os.set_blocking(fd, True)
    return fd


class Program:
    """The program under test, running on @paths."""

    def __init__(self, test, paths, env=None):
        self.test = test
        self.deadline = time.monotonic() + GUARD_SECONDS
        self.process = subprocess.Popen(COMMAND + paths, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE,
                                        env=dict(os.environ, **(env or {})))
        self.stderr = b""

    def check_guard(self, what):
        if time.monotonic() > self.deadline:
            self.process.kill()
            self.process.communicate()
            self.test.fail(f"timed out waiting for {what}")

    def wait_for(self, condition, what):
        while True:
            value = condition()
            if value:
                return value
            self.check_guard(what)
            if self.process.poll() is not None:
                self.test.fail(f"the program ended before {what}: {self.finish()}")
            time.sleep(0.01)

    def wait_for_stderr(self, text):
        """Reads stderr until a line holds @text."""
        fd = self.process.stderr.fileno()
        while text.encode() not in self.stderr:
            self.check_guard(repr(text))
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.test.fail(f"stderr ended before {text!r}: {self.stderr!r}")
                self.stderr += chunk

    def finish(self):
        """(exit status, stdout, stderr) once it ends."""
        remaining = max(self.deadline - time.monotonic(), 1)
        try:
            stdout, stderr = self.process.communicate(timeout=remaining)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            self.test.fail("the program did not end")
        self.stderr += stderr
        return self.process.returncode, stdout.decode(), self.stderr.decode()


class TestChecksums(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="fluid-checksums-")
        self.addCleanup(self.tmp.cleanup)

    def run_program(self, paths, env=None):
        program = Program(self, paths, env)
        return program.finish()

    def make_fifos(self, count):
        fifos = []
        for i in range(count):
            fifo = os.path.join(self.tmp.name, f"fifo-{i:03d}")
            os.mkfifo(fifo)
            fifos.append(fifo)
        return fifos

    def test_source_files(self):
        paths = sorted(glob.glob(os.path.join(HERE, "*.[ch]")) + glob.glob(os.path.join(HERE, "*.py")))
        self.assertGreater(len(paths), 4)
        status, stdout, stderr = self.run_program(paths)
        self.assertEqual(status, 0, stderr)
        self.assertEqual(stderr, "")
        # A line per file, in the order they completed.
        self.assertEqual(sorted(stdout.splitlines()), sha256sum(paths))

    def test_more_files_than_the_queue_holds(self):
        paths = []
        for i in range(300):
            path = os.path.join(self.tmp.name, f"file-{i:03d}")
            with open(path, "wb") as file:
                file.write(os.urandom(i * 37))
            paths.append(path)
        status, stdout, stderr = self.run_program(paths)
        self.assertEqual(status, 0, stderr)
        self.assertEqual(sorted(stdout.splitlines()), sha256sum(paths))

    def test_unreadable_files_are_reported(self):
        good = os.path.join(HERE, "checksums.c")
        missing = os.path.join(self.tmp.name, "missing")
        directory = self.tmp.name
        status, stdout, stderr = self.run_program([missing, good, directory])
        self.assertEqual(status, 1)
        # Reported, and the program went on.
        self.assertEqual(stdout.splitlines(), sha256sum([good]))
        self.assertIn(f"checksums: {missing}: ", stderr)
        self.assertIn(f"checksums: {directory}: ", stderr)
        self.assertIn("1 of 3 files checksummed", stderr)

    def test_usage(self):
        status, stdout, stderr = self.run_program([])
        self.assertEqual(status, 2)
        self.assertIn("Usage:", stderr)

    def test_ctrl_c_finishes_the_files_in_progress(self):
        fifos = self.make_fifos(100)
        program = Program(self, fifos)

        # A thread hashes a FIFO: it is in progress.
        def first_read():
            for fifo in fifos:
                fd = open_if_read(fifo)
                if fd is not None:
                    return fifo, fd
            return None

        fifo, fd = program.wait_for(first_read, "a file in progress")
        program.process.send_signal(signal.SIGINT)
        program.wait_for_stderr("interrupted")

        # Every file in progress is finished: each FIFO that a thread opens
        # gets its data, until the program ends.
        released = {}

        def release(fifo, fd):
            data = f"the contents of {os.path.basename(fifo)}\n".encode()
            os.write(fd, data)
            os.close(fd)
            released[fifo] = hashlib.sha256(data).hexdigest()

        release(fifo, fd)
        while program.process.poll() is None:
            program.check_guard("the end of the program")
            for fifo in fifos:
                if fifo not in released:
                    fd = open_if_read(fifo)
                    if fd is not None:
                        release(fifo, fd)
            time.sleep(0.01)

        status, stdout, stderr = program.finish()
        self.assertEqual(status, 1, stderr)
        # Each file in progress was checksummed, and no other.
        self.assertEqual(checksum_lines(stdout), released)
        self.assertLess(len(released), len(fifos))
        self.assertIn(f"{len(released)} of {len(fifos)} files checksummed", stderr)
        self.assertNotIn("forced", stderr)

    def test_second_ctrl_c_forces_the_stop(self):
        fifos = self.make_fifos(10)
        # Forced as soon as this grace period has passed after the second
        # Ctrl-C.
        program = Program(self, fifos, env={"FLUID_STOPPING_GRACE_PERIOD": "0.1"})

        def first_read():
            for fifo in fifos:
                fd = open_if_read(fifo)
                if fd is not None:
                    return fifo, fd
            return None

        # A thread stuck in a read: the FIFO is open, nothing is written.
        stuck, fd = program.wait_for(first_read, "a file in progress")
        try:
            program.process.send_signal(signal.SIGINT)
            program.wait_for_stderr("interrupted")
            self.assertIsNone(program.process.poll())
            program.process.send_signal(signal.SIGINT)
            program.wait_for_stderr("forced shutdown")
            # It ends without the stuck thread.
            status, stdout, stderr = program.finish()
        finally:
            os.close(fd)
        self.assertEqual(status, 1, stderr)
        self.assertNotIn(stuck, checksum_lines(stdout))
        self.assertIn(f"of {len(fifos)} files checksummed", stderr)


if __name__ == "__main__":
    COMMAND[:] = sys.argv[1:]
    if not COMMAND:
        sys.exit("Usage: test-checksums.py COMMAND...")
    unittest.main(argv=[sys.argv[0], "-v"])
