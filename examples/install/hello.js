// hello.js: a first GJS program against an installed libfluid-glib.
//
// A worker that says hello three times, a third of a second apart, then
// stops itself gracefully. Run it as the chapter "Installing and building
// against libfluid-glib" says: gjs -m hello.js
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Fluid from 'gi://Fluid?version=1.0';

// The GJS helper is installed in PREFIX/share/gjs-1.0/fluid-glib-1.0/, and
// GJS 1.74 imports it by its file URI: a program that knows its prefix
// writes that URI; this one looks in the data folders of XDG_DATA_DIRS.
function findHelper() {
    for (const dir of GLib.get_system_data_dirs()) {
        const path = GLib.build_filenamev([dir, 'gjs-1.0', 'fluid-glib-1.0', 'fluid.js']);
        if (GLib.file_test(path, GLib.FileTest.EXISTS))
            return GLib.filename_to_uri(path, null);
    }
    throw new Error('fluid.js not found in XDG_DATA_DIRS');
}

print(`libfluid-glib ${Fluid.MAJOR_VERSION}.${Fluid.MINOR_VERSION}.${Fluid.MICRO_VERSION}`);

let count = 0;
const worker = Fluid.WorkerFunction.new_named('hello', 0.3, self => {
    print(`Hello ${++count} from ${self.name}`);
    if (count === 3)
        self.gracefully_stop();
});

const loop = new GLib.MainLoop(null, false);
let status = 1;

async function main() {
    // Importing the helper makes the _async methods awaitable, and an
    // exception thrown by the function fail the worker instead of being
    // printed and ignored.
    await import(findHelper());
    await worker.startup_async(null);
    await worker.wait_for_shutdown_async(null);
    status = worker.exit_code;
}

main().catch(logError).finally(() => loop.quit());
loop.run();
imports.system.exit(status);
