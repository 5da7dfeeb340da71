// gtk-workers.js: a window that lists the children of a supervised group, in GJS
//
// The GJS port of gtk-workers.c. A Fluid.Workers group, "workers",
// restarts its children one for one: three flaky workers, whose function
// throws at random about every two seconds (with the GJS helper, that
// fails the worker), and a steady one. A Fluid.Workers is a Gio.ListModel
// of its children, so a Gtk.ListView shows it as it is, a row per child:
// its name, its state and how many times it was restarted.
//
// Two things keep a row true. A replacement takes the place of the child
// it replaces (items-changed with one removed and one added), so GTK binds
// the row again, to the new child; and the new child is added in INIT and
// started after, so a row follows notify::state of its child for as long
// as it is bound to it, rather than reading the state once.
//
// Closing the window shuts the group down first, awaiting shutdown(), and
// then closes it, also when the group has failed (it gave up restarting a
// child too often): shutdown() then rejects with why, which the program
// prints before it exits with status 1.
//
// Run with: gjs -m gtk-workers.js
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import Fluid from 'gi://Fluid?version=1.0';
import System from 'system';

// The GJS helper of libfluid-glib. Installed, it is
// 'file:///usr/share/gjs-1.0/fluid-glib-1.0/fluid.js' (under /usr/local
// for the default prefix); this example runs from the source tree.
import '../introspection/fluid.js';

const STATE_NICKS = {
    [Fluid.WorkerState.INIT]: 'init',
    [Fluid.WorkerState.RUNNING]: 'running',
    [Fluid.WorkerState.STOPPING]: 'stopping',
    [Fluid.WorkerState.STOPPED]: 'stopped',
    [Fluid.WorkerState.FORCE_STOPPED]: 'force-stopped',
};

// The group and its factories: at the start, and for each replacement,
// which keeps the name of the child it replaces.
export function makeGroup() {
    const group = new Fluid.Workers({
        name: 'workers',
        restart_strategy: Fluid.RestartStrategy.ONE_FOR_ONE,
        max_restarts: 20,
        max_restarts_period: 10,
    });
    for (const name of ['flaky-1', 'flaky-2', 'flaky-3']) {
        group.add_child(Fluid.Restart.PERMANENT, () =>
            Fluid.WorkerFunction.new_named(name, 0.25, worker => {
                if (GLib.random_int_range(0, 8) === 0)
                    throw new Error(`${worker.name} lost its connection`);
            }));
    }
    group.add_child(Fluid.Restart.PERMANENT, () =>
        Fluid.WorkerFunction.new_named('steady', 1, () => {}));
    return group;
}

export const WorkersApplication = GObject.registerClass(
class WorkersApplication extends Gtk.Application {
    _init() {
        super._init({
            application_id: 'org.gnome.Fluid.Example.GtkWorkers',
            flags: Gio.ApplicationFlags.NON_UNIQUE,
        });
        this.group = makeGroup();
        this.window = null;
        this.listView = null;
        this.status = 0;
        this._closing = null;
    }

    vfunc_activate() {
        if (this.window) {
            this.window.present();
            return;
        }

        const factory = new Gtk.SignalListItemFactory();
        factory.connect('setup', (_, listItem) => {
            listItem.child = new Gtk.Label({
                xalign: 0,
                margin_start: 12,
                margin_end: 12,
                margin_top: 6,
                margin_bottom: 6,
            });
        });
        // From bind to unbind, the row follows its child's state.
        factory.connect('bind', (_, listItem) => {
            listItem._stateHandler = listItem.item.connect('notify::state',
                () => this._updateRow(listItem));
            this._updateRow(listItem);
        });
        factory.connect('unbind', (_, listItem) => {
            listItem.item.disconnect(listItem._stateHandler);
        });

        // The group itself is the list's model.
        this.listView = new Gtk.ListView({
            model: new Gtk.NoSelection({model: this.group}),
            factory,
        });
        this.window = new Gtk.ApplicationWindow({
            application: this,
            title: 'Workers',
            default_width: 360,
            default_height: 220,
            titlebar: new Gtk.HeaderBar(),
            child: new Gtk.ScrolledWindow({child: this.listView}),
        });
        // The window stays until the group has stopped.
        this.window.connect('close-request', () => {
            this._closing ??= this._shutDownAndClose();
            return true;
        });
        this.window.present();

        this.group.startup_async(null).catch(logError);
    }

    // "flaky-1 — running, restarts 2": the child the row is bound to, as
    // it is now.
    _updateRow(listItem) {
        const worker = listItem.item;
        const restarts = this.group.get_child_restarts(listItem.position);
        listItem.child.label = `${worker.name} — ${STATE_NICKS[worker.state]}, restarts ${restarts}`;
    }

    async _shutDownAndClose() {
        try {
            await this.group.shutdown_async(null);
        } catch (error) {
            // The error that stopped the group, if it failed.
            printerr(`${this.group.name} failed: ${error.message}`);
            this.status = 1;
        }
        this.window.destroy();
    }
});

export function main(argv) {
    const app = new WorkersApplication();
    const status = app.run([System.programInvocationName, ...argv]);
    return status !== 0 ? status : app.status;
}

// Run as a program, not imported.
if (import.meta.url === GLib.filename_to_uri(System.programPath, null))
    System.exit(main(ARGV));
