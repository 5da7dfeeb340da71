// test-worker.js: FluidWorker, FluidTaskWorker and FluidWorkerFunction from
// GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Fluid from 'gi://Fluid?version=1.0';

import {assert, assertEqual, assertRejects, run, waitUntil} from './harness.js';

// GJS 1.74 cannot implement run_async/run_finish (a vfunc with a callback
// parameter): a JS worker extends Fluid.TaskWorker and implements run_task(task).
const LoopingWorker = GObject.registerClass(
class LoopingWorker extends Fluid.TaskWorker {
    _init(params = {}) {
        super._init(params);
        this.iterations = 0;
    }

    async vfunc_run_task(task) {
        try {
            while (this.is_running()) {
                this.iterations++;
                await this.sleep_async(0.01, task.get_cancellable());
            }
            task.return_boolean(true);
        } catch (e) {
            task.return_error(e);
        }
    }
});

const FailingWorker = GObject.registerClass(
class FailingWorker extends Fluid.TaskWorker {
    vfunc_run_task(task) {
        task.return_error(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED,
            'the disk is on fire'));
    }
});

// Keeps its task and never completes it.
const StubbornWorker = GObject.registerClass(
class StubbornWorker extends Fluid.TaskWorker {
    vfunc_run_task(task) {
        this.task = task;
    }
});

// The SimpleWorker of the aio-fluid tutorial.
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
        this.messages = [...this.messages ?? [], `Hello from ${this.name} in state ${state}`];
    }
});

function record(worker) {
    const recorder = {states: [], stopped: []};
    worker.connect('notify::state', w => recorder.states.push(w.state));
    worker.connect('stopped', (w, reason, code) => recorder.stopped.push([reason, code]));
    return recorder;
}

run([
    // Documents why Fluid.TaskWorker exists: GJS 1.74 refuses this class.
    ['run_async cannot be implemented in GJS 1.74', async () => {
        let refused = null;
        try {
            GObject.registerClass(class DirectWorker extends Fluid.Worker {
                vfunc_run_async() {}
                vfunc_run_finish() {
                    return true;
                }
            });
        } catch (e) {
            refused = e;
        }
        if (refused === null)
            print('# note: this GJS implements vfuncs with callback parameters');
        else
            assert(/callback as a parameter/.test(refused.message), `${refused}`);
    }],

    ['properties', async () => {
        const worker = new LoopingWorker({name: 'looper', stopping_grace_period: 2.5});
        assertEqual(worker.name, 'looper');
        assertEqual(worker.get_stopping_grace_period(), 2.5);
        assertEqual(worker.state, Fluid.WorkerState.INIT);
        assertEqual(worker.get_num_workers(), 1);
        assertEqual(new LoopingWorker().name, 'looping_worker', 'default name');
    }],

    ['lifecycle', async () => {
        const worker = new LoopingWorker();
        const recorder = record(worker);
        assert(await worker.startup_async(null));
        assert(worker.is_running());
        await waitUntil(() => worker.iterations >= 3, 'three iterations');
        assert(await worker.shutdown_async(null));
        assertEqual(recorder.states, [Fluid.WorkerState.RUNNING, Fluid.WorkerState.STOPPING,
            Fluid.WorkerState.STOPPED], 'states');
        assertEqual(recorder.stopped, [['normal shutdown', Fluid.EXIT_CODE_NORMAL]], 'stopped');
    }],

    ['simple worker of the tutorial', async () => {
        const worker = new SimpleWorker();
        worker.printMessage();
        await worker.startup_async(null);
        await waitUntil(() => worker.messages.length === 2, 'the first message while running');
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => worker.gracefully_stop());
        await worker.wait_for_shutdown_async(null);
        worker.printMessage();
        assertEqual(worker.messages, [
            'Hello from simple_worker in state FLUID_WORKER_STATE_INIT',
            'Hello from simple_worker in state FLUID_WORKER_STATE_RUNNING',
            'Hello from simple_worker in state FLUID_WORKER_STATE_STOPPED',
        ], 'messages');
    }],

    ['second startup fails', async () => {
        const worker = new LoopingWorker();
        await worker.startup_async(null);
        await assertRejects(worker.startup_async(null), e => {
            assert(e instanceof GLib.Error, `${e} is a GLib.Error`);
            assert(e.matches(Fluid.WorkerError, Fluid.WorkerError.ALREADY_STARTED), `${e}`);
        }, 'second startup');
        assert(worker.is_running());
        await worker.shutdown_async(null);
    }],

    ['never started', async () => {
        const worker = new LoopingWorker();
        assert(await worker.shutdown_async(null));
        assert(await worker.wait_for_shutdown_async(null));
        assertEqual(worker.state, Fluid.WorkerState.INIT);
    }],

    ['error propagation', async () => {
        const worker = new FailingWorker();
        const recorder = record(worker);
        await worker.startup_async(null);
        await assertRejects(worker.wait_for_shutdown_async(null), e => {
            assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED), `${e}`);
            assertEqual(e.message, 'the disk is on fire');
        });
        await assertRejects(worker.shutdown_async(null), () => {});
        assertEqual(worker.state, Fluid.WorkerState.STOPPED);
        assertEqual(recorder.stopped, [['the disk is on fire', Fluid.EXIT_CODE_ERROR]]);
    }],

    ['force stop', async () => {
        const worker = new StubbornWorker({stopping_grace_period: 0.05});
        const recorder = record(worker);
        await worker.startup_async(null);
        assert(await worker.shutdown_async(null));
        assertEqual(worker.state, Fluid.WorkerState.FORCE_STOPPED);
        assert(worker.get_cancellable().is_cancelled());
        assertEqual(recorder.stopped, [['forced shutdown', Fluid.EXIT_CODE_FORCED]]);
        worker.task.return_boolean(true);
        GLib.MainContext.default().iteration(false);
        assertEqual(worker.state, Fluid.WorkerState.FORCE_STOPPED);
    }],

    ['status', async () => {
        const worker = new LoopingWorker();
        let status = await worker.status_async(null);
        assertEqual(status.get_type_string(), 'a{sv}');
        assertEqual(status.recursiveUnpack(), {running: false, stopping: false});
        await worker.startup_async(null);
        status = await worker.status_async(null);
        assertEqual(status.recursiveUnpack().running, true);
        await worker.shutdown_async(null);
    }],

    ['sleep is cut short by a stop', async () => {
        const worker = new StubbornWorker();
        await worker.startup_async(null);
        const sleep = worker.sleep_async(60, null);
        worker.gracefully_stop();
        assertEqual(await sleep, false, 'sleep result');
        worker.task.return_boolean(true);
        assert(await worker.wait_for_shutdown_async(null));
    }],

    ['worker function', async () => {
        const calls = [];
        const worker = Fluid.WorkerFunction.new(0.05, w => calls.push(w));
        assert(worker instanceof Fluid.WorkerFunction);
        assertEqual(worker.heartbeat, 0.05);
        await worker.startup_async(null);
        await waitUntil(() => calls.length >= 2, 'two calls');
        assert(calls[0] === worker, 'the function receives the worker');
        await worker.shutdown_async(null);
        assertEqual(worker.state, Fluid.WorkerState.STOPPED);
    }],

    ['named worker function', async () => {
        const worker = Fluid.WorkerFunction.new_named('ticker', 10, w => w.gracefully_stop());
        assertEqual(worker.name, 'ticker');
        await worker.startup_async(null);
        assert(await worker.wait_for_shutdown_async(null));
        assertEqual(worker.state, Fluid.WorkerState.STOPPED);
    }],

    ['worker function stops itself', async () => {
        const worker = Fluid.WorkerFunction.new(10, w => w.gracefully_stop());
        await worker.startup_async(null);
        assert(await worker.wait_for_shutdown_async(null));
        assert(worker.is_stopped());
    }],
]);
