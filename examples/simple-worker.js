// simple-worker.js: the SimpleWorker of the aio-fluid tutorial, in GJS
//
// A worker that prints its name and state every second until it is told to
// stop gracefully, five seconds (FLUID_DEMO_SECONDS) after it started.
// Run with: gjs -m simple-worker.js
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Fluid from 'gi://Fluid?version=1.0';

for (const name of ['startup', 'wait_for_shutdown', 'sleep'])
    Gio._promisify(Fluid.Worker.prototype, `${name}_async`, `${name}_finish`);

// GJS 1.74 cannot implement run_async (a vfunc with a callback parameter):
// a JS worker extends Fluid.TaskWorker and completes the task it is given.
const SimpleWorker = GObject.registerClass(
class SimpleWorker extends Fluid.TaskWorker {
    async vfunc_run_task(task) {
        try {
            while (this.is_running()) {
                this.printMessage();
                await this.sleep_async(1, task.get_cancellable());
            }
            task.return_boolean(true);
        } catch (e) {
            task.return_error(e);
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
    status = worker.state === Fluid.WorkerState.STOPPED ? 0 : 1;
}

main().catch(logError).finally(() => loop.quit());
loop.run();
imports.system.exit(status);
