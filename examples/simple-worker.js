// simple-worker.js: the SimpleWorker of the aio-fluid tutorial, in GJS
//
// A worker that prints its name and state every second until it is told to
// stop gracefully, five seconds (FLUID_DEMO_SECONDS) after it started.
// Run with: gjs -m simple-worker.js
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Fluid from 'gi://Fluid?version=1.0';

// The GJS helper of libfluid-glib. Installed, it is
// 'file:///usr/share/gjs-1.0/fluid-glib-1.0/fluid.js' (under /usr/local
// for the default prefix); this example runs from the source tree.
import * as FluidJs from '../introspection/fluid.js';

// GJS 1.74 cannot implement run_async (a virtual method with a callback
// parameter): FluidJs.Worker implements it with an async run(). A throw in
// run() fails the worker, as an exception does in aio-fluid.
const SimpleWorker = GObject.registerClass(
class SimpleWorker extends FluidJs.Worker {
    async run(cancellable) {
        while (this.is_running()) {
            this.printMessage();
            await this.sleep_async(1, cancellable); // await asyncio.sleep(1)
        }
    }

    printMessage() {
        const state = GObject.enum_to_string(Fluid.WorkerState, this.state);
        print(`Hello from ${this.name} in state ${state}`);
    }
});

const loop = new GLib.MainLoop(null, false);
let status = 1;

async function main() {
    const worker = new SimpleWorker();
    worker.printMessage();
    await worker.startup_async(null);
    const seconds = Number(GLib.getenv('FLUID_DEMO_SECONDS') ?? 5);
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, seconds * 1000, () => worker.gracefully_stop());
    await worker.wait_for_shutdown_async(null);
    worker.printMessage();
    status = worker.exit_code;
}

main().catch(logError).finally(() => loop.quit());
loop.run();
imports.system.exit(status);
