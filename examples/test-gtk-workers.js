// test-gtk-workers.js: gtk-workers.js, driven, and what its list shows
//
// The example is imported, and its application run by this test, which
// reads its window: the labels of the rows of its Gtk.ListView, which must
// say of every child of the group what the group says (name, state,
// restarts), after a child was made to fail and was replaced (the
// replacement enters in INIT and runs after), and after the group gave up;
// closing the window then ends the application, with status 0, or 1 when
// the group failed. Run under Xvfb, as TAP; every wait is for a condition,
// checked at each idle of the application's main loop.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import Fluid from 'gi://Fluid?version=1.0';
import System from 'system';

import {WorkersApplication} from './gtk-workers.js';

// Not a wait: a test still at a step after this long has failed.
const GUARD_SECONDS = 30;

const STATES = Object.fromEntries(Object.entries(Fluid.WorkerState).map(
    ([name, value]) => [value, name.toLowerCase().replace('_', '-')]));

function rowText(app, name) {
    for (let row = app.listView.get_first_child(); row; row = row.get_next_sibling()) {
        const label = row.get_first_child();
        if (label instanceof Gtk.Label && row.visible && label.label.startsWith(`${name} — `))
            return label.label;
    }
    return null;
}

// Whether a row shows each child as the group has it now.
function rowsAreTrue(app) {
    const children = [...app.group];
    return children.length === 4 && children.every((child, position) =>
        rowText(app, child.name) ===
            `${child.name} — ${STATES[child.state]}, restarts ${app.group.get_child_restarts(position)}`);
}

function allRunning(app) {
    return app.group.is_running() && [...app.group].every(child => child.is_running());
}

// Runs the application; the driver fails the first child, with the group
// made to give up at once when giveUp, and closes the window once the rows
// show what followed. Returns [status, what the driver reached].
function runExample(giveUp) {
    const app = new WorkersApplication();
    let step = 'wait for every child running';
    let failed = null;
    app.connect_after('activate', () => {
        GLib.idle_add(GLib.PRIORITY_LOW, () => {
            switch (step) {
            case 'wait for every child running':
                if (!allRunning(app) || !rowsAreTrue(app))
                    return GLib.SOURCE_CONTINUE;
                if (giveUp)
                    app.group.max_restarts = 0;
                failed = app.group.get_item(0);
                failed.fail(new GLib.Error(Fluid.WorkerError, Fluid.WorkerError.FAILED, 'made to fail'));
                step = giveUp ? 'wait for the group to give up' : 'wait for the replacement';
                return GLib.SOURCE_CONTINUE;
            case 'wait for the replacement': {
                const first = app.group.get_item(0);
                if (first === failed || !first.is_running() ||
                    app.group.get_child_restarts(0) === 0 || !rowsAreTrue(app))
                    return GLib.SOURCE_CONTINUE;
                break;
            }
            case 'wait for the group to give up':
                if (!app.group.is_stopped() || !rowsAreTrue(app))
                    return GLib.SOURCE_CONTINUE;
                break;
            }
            step = 'closing';
            app.window.close();
            return GLib.SOURCE_REMOVE;
        });
        GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, GUARD_SECONDS, () => {
            if (step !== 'closing') {
                printerr(`still at "${step}" after ${GUARD_SECONDS} s`);
                System.exit(1);
            }
            return GLib.SOURCE_REMOVE;
        });
    });
    const status = app.run(['gtk-workers']);
    return [status !== 0 ? status : app.status, step, app.group];
}

const TESTS = [
    ['rows follow a child from its failure to its replacement running', () => {
        const [status, step, group] = runExample(false);
        return step === 'closing' && status === 0 && group.exit_code === Fluid.EXIT_CODE_NORMAL;
    }],
    ['after the group gave up, closing still ends the application, with 1', () => {
        const [status, step, group] = runExample(true);
        return step === 'closing' && status === 1 && group.exit_code === Fluid.EXIT_CODE_ERROR;
    }],
];

print(`1..${TESTS.length}`);
let failures = 0;
for (const [index, [name, test]] of TESTS.entries()) {
    const ok = test();
    failures += ok ? 0 : 1;
    print(`${ok ? 'ok' : 'not ok'} ${index + 1} ${name}`);
}
System.exit(failures === 0 ? 0 : 1);
