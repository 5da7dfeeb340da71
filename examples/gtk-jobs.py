#!/usr/bin/python3
# gtk-jobs.py: a GTK 4 window over a job worker: files hashed on 4 threads,
# by priority, each with its progress bar and its cancel button, and the
# worker's counters in labels; the Python port of gtk-jobs.c
#
# Usage: gtk-jobs.py [--rate BYTES_PER_SECOND] DIRECTORY
#
# "Hash the files" submits a job for each file of DIRECTORY: "urgent*" at
# GLib.PRIORITY_HIGH, "later*" at GLib.PRIORITY_LOW, the others at
# GLib.PRIORITY_DEFAULT. Each job hashes its file with SHA-256 on one of the
# worker's 4 threads (hashlib lets go of the GIL for large buffers),
# reporting its progress, at most --rate bytes a second if given; the
# window prints "DIGEST  PATH" for each job that succeeded. As in C, the
# application is org.gnome.Fluid.GtkJobs on the session bus, with its
# actions (hash, cancel, quit) and its worker there.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import hashlib
import os
import sys
import time

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Gtk", "4.0")
gi.require_version("Fluid", "1.0")
from gi.repository import Fluid, GLib, Gio, Gtk  # noqa: E402

CHUNK_SIZE = 64 * 1024


def priority_of(name):
    if name.startswith("urgent"):
        return GLib.PRIORITY_HIGH
    if name.startswith("later"):
        return GLib.PRIORITY_LOW
    return GLib.PRIORITY_DEFAULT


class Demo:
    def __init__(self, directory, rate):
        self.directory = directory
        self.rate = rate
        self.worker = Fluid.JobWorker(self.hash_file, n_threads=4, name="gtk-jobs")
        self.app = Gtk.Application(application_id="org.gnome.Fluid.GtkJobs")
        self.app.connect("startup", self.on_startup)
        self.app.connect("activate", self.on_activate)

    # The job, on a thread of the worker: returns the digest.
    def hash_file(self, job):
        path = job.input
        name = os.path.basename(path)
        cancellable = job.get_cancellable()
        size = os.path.getsize(path)
        digest = hashlib.sha256()
        start = time.monotonic()
        done = 0
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK_SIZE):
                digest.update(chunk)
                done += len(chunk)
                # As often as it likes: the window hears of it 20 times a second.
                job.report_progress(done / size if size else 1.0, name)
                while self.rate and done > self.rate * (time.monotonic() - start):
                    if cancellable.is_cancelled():
                        # Cancelled, not failed.
                        raise GLib.Error.new_literal(Gio.io_error_quark(), "Cancelled",
                                                     Gio.IOErrorEnum.CANCELLED)
                    time.sleep(0.005)
        return digest.hexdigest()

    def hashed(self, job, result, *user_data):
        if job.get_state() == Fluid.JobState.SUCCEEDED:
            print(f"{job.output}  {job.input}", flush=True)
        else:
            print(f"{job.input}: {job.get_error().message}", file=sys.stderr, flush=True)

    # Actions
    def on_hash(self, action, parameter):
        for name in sorted(os.listdir(self.directory)):
            job = self.worker.submit(os.path.join(self.directory, name), priority=priority_of(name))
            job.wait_async(None, self.hashed)

    def on_cancel(self, action, parameter):
        for job in self.worker.jobs():
            if job.get_id() == parameter.get_uint64():
                job.cancel()

    def on_quit(self, action, parameter):
        self.worker.gracefully_stop()
        self.app.quit()

    def on_startup(self, app):
        for name, handler, parameter in [("hash", self.on_hash, None),
                                         ("cancel", self.on_cancel, GLib.VariantType("t")),
                                         ("quit", self.on_quit, None)]:
            action = Gio.SimpleAction.new(name, parameter)
            action.connect("activate", handler)
            app.add_action(action)
        self.worker.startup_async(None, None)
        # The application runs as long as its worker does.
        self.worker.hold_application(app)
        connection = app.get_dbus_connection()
        if connection is not None:
            self.worker.export(connection, "/org/gnome/Fluid/GtkJobs/worker")

    # A row: the file's progress bar, named after it, and its cancel button.
    def setup_row(self, factory, item):
        box = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=12, margin_start=12,
                      margin_end=12, margin_top=6, margin_bottom=6)
        bar = Gtk.ProgressBar(show_text=True, hexpand=True, valign=Gtk.Align.CENTER)
        cancel = Gtk.Button.new_from_icon_name("process-stop-symbolic")
        cancel.set_tooltip_text("Cancel")
        cancel.connect("clicked", lambda button: item.get_item().cancel())
        box.append(bar)
        box.append(cancel)
        item.set_child(box)

    def bind_row(self, factory, item):
        job = item.get_item()
        bar = item.get_child().get_first_child()
        bar.set_text(os.path.basename(job.input))
        # The progress bar, in one line.
        bar.binding = job.bind_property("progress", bar, "fraction",
                                        GLib.BindingFlags.SYNC_CREATE)

    def unbind_row(self, factory, item):
        bar = item.get_child().get_first_child()
        bar.binding.unbind()
        bar.binding = None

    def counter_label(self, prop, title):
        label = Gtk.Label()
        label.add_css_class("dim-label")
        label.add_css_class("numeric")
        self.worker.bind_property(prop, label, "label", GLib.BindingFlags.SYNC_CREATE,
                                  lambda binding, value: f"{title} {value}")
        return label

    def on_activate(self, app):
        window = Gtk.ApplicationWindow(application=app, title="Hashing files",
                                       default_width=560, default_height=420)
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL)
        bar = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=12, margin_start=12,
                      margin_end=12, margin_top=12, margin_bottom=12)
        button = Gtk.Button(label="Hash the files", action_name="app.hash")
        button.add_css_class("suggested-action")
        bar.append(button)
        for prop, title in [("processed", "done"), ("failed", "failed"),
                            ("cancelled", "cancelled"), ("running", "running"),
                            ("queue-size", "queued")]:
            bar.append(self.counter_label(prop, title))
        box.append(bar)

        factory = Gtk.SignalListItemFactory()
        factory.connect("setup", self.setup_row)
        factory.connect("bind", self.bind_row)
        factory.connect("unbind", self.unbind_row)
        # The jobs queued or running, in the order they run.
        view = Gtk.ListView(model=Gtk.NoSelection(model=self.worker.jobs()), factory=factory)
        box.append(Gtk.ScrolledWindow(child=view, vexpand=True))
        window.set_child(box)
        window.present()

    def run(self):
        return self.app.run([sys.argv[0]])


def main(argv):
    rate = 0
    if len(argv) >= 3 and argv[1] == "--rate":
        rate = int(argv[2])
        argv = argv[:1] + argv[3:]
    if len(argv) != 2:
        print(f"Usage: {argv[0]} [--rate BYTES_PER_SECOND] DIRECTORY", file=sys.stderr)
        return 2
    return Demo(argv[1], rate).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
