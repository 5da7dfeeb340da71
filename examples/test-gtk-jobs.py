#!/usr/bin/python3
# test-gtk-jobs.py: drives examples/gtk-jobs.c or its Python port from
# outside, as a user would: submits the batch, cancels one job, waits for
# the rest, and checks the digests
#
# Usage: test-gtk-jobs.py [--screenshot PNG] COMMAND...: the program, after
# its interpreter if it has one (python3 gtk-jobs.py). It runs under a
# display (xvfb-run) and a session bus of its own (fluid-test-bus-run).
#
# The window is driven through what the application exports on the bus:
# its actions (org.gtk.Actions: hash, cancel, quit) and its worker's
# org.gnome.Fluid.Jobs1 and Consumer1. Every wait is for a condition read
# there, never for a time. With --screenshot, the screen is saved to PNG
# (ImageMagick's import) while four jobs run, each part done.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
from gi.repository import GLib, Gio  # noqa: E402

NAME = "org.gnome.Fluid.GtkJobs"
APP_PATH = "/org/gnome/Fluid/GtkJobs"
WORKER_PATH = APP_PATH + "/worker"
JOBS = "org.gnome.Fluid.Jobs1"
CONSUMER = "org.gnome.Fluid.Consumer1"
# A test that waits longer than this has failed.
GUARD_SECONDS = 60

bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)


def call(path, interface, method, parameters=None, reply=None):
    return bus.call_sync(NAME, path, interface, method, parameters,
                         GLib.VariantType(reply) if reply else None,
                         Gio.DBusCallFlags.NO_AUTO_START, -1, None)


def prop(interface, name):
    return call(WORKER_PATH, "org.freedesktop.DBus.Properties", "Get",
                GLib.Variant("(ss)", (interface, name)), "(v)").unpack()[0]


def list_jobs():
    return call(WORKER_PATH, JOBS, "ListJobs", None, "(a(tsdsi))").unpack()[0]


def activate(action, *parameter):
    call(APP_PATH, "org.gtk.Actions", "Activate",
         GLib.Variant("(sava{sv})", (action, list(parameter), {})))


def wait_until(condition, what, program):
    deadline = time.monotonic() + GUARD_SECONDS
    while True:
        try:
            if condition():
                return
        except GLib.Error:
            pass  # not on the bus yet
        if program.poll() is not None:
            raise AssertionError(f"the program exited ({program.returncode}) waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def make_files(directory):
    """Ten files of 1 MiB: two urgent, two for later, six others."""
    names = ["urgent-1", "urgent-2", "later-1", "later-2"] + [f"file-{i}" for i in range(1, 7)]
    digests = {}
    for index, name in enumerate(names):
        data = bytes((index * 7 + i) % 251 for i in range(256)) * 4096
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(data)
        digests[path] = hashlib.sha256(data).hexdigest()
    return digests


def main(argv):
    screenshot = None
    if len(argv) > 2 and argv[1] == "--screenshot":
        screenshot = argv[2]
        argv = argv[2:]
    command = argv[1:]
    with tempfile.TemporaryDirectory() as directory:
        digests = make_files(directory)
        program = subprocess.Popen(command + ["--rate", "1000000", directory],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: prop(JOBS, "Queued") == 0, "the worker on the bus", program)
            activate("hash")
            wait_until(lambda: prop(JOBS, "Running") == 4, "four jobs running", program)

            # By priority: what waits runs the urgent files first, the later
            # ones last (the threads took the first files as they came).
            jobs = list_jobs()
            assert len(jobs) == 10, jobs
            running = [job for job in jobs if job[1] == "running"]
            queued = [job for job in jobs if job[1] == "queued"]
            assert len(running) == 4 and len(queued) == 6, jobs
            assert [job[4] for job in queued] == sorted(job[4] for job in queued), jobs
            assert queued[-1][4] == GLib.PRIORITY_LOW, jobs

            if screenshot and shutil.which("import"):
                wait_until(lambda: all(job[2] >= 0.2 for job in list_jobs()
                                       if job[1] == "running"), "progress to show", program)
                subprocess.run(["import", "-window", "root", screenshot], check=True)

            # One queued job cancelled: it leaves the list, it never runs.
            cancelled = queued[-1][0]
            activate("cancel", GLib.Variant("t", cancelled))
            wait_until(lambda: prop(JOBS, "Cancelled") == 1, "the job cancelled", program)
            assert cancelled not in [job[0] for job in list_jobs()]

            # The rest run to their end.
            wait_until(lambda: prop(CONSUMER, "Processed") == 9, "the other jobs", program)
            assert list_jobs() == []
            assert prop(JOBS, "Running") == 0 and prop(CONSUMER, "Failed") == 0
            activate("quit")
            stdout, stderr = program.communicate(timeout=GUARD_SECONDS)
        finally:
            if program.poll() is None:
                program.kill()
                program.communicate()
        assert program.returncode == 0, (program.returncode, stderr)

        printed = dict(reversed(line.split("  ", 1)) for line in stdout.splitlines())
        assert len(printed) == 9, stdout
        for path, digest in printed.items():
            assert digests[path] == digest, (path, digest)
        assert os.path.basename(next(p for p in digests if p not in printed)) == "later-2", printed
    print("gtk-jobs: 9 files hashed by priority, 1 cancelled")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
