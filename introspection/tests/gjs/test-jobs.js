// test-jobs.js: Fluid.JobWorker and Fluid.Job from GJS (1.2): a function
// that returns its output on the main thread, `await job.wait()`, what a
// function throws, priorities, cancellation, and threads refused
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Fluid from 'gi://Fluid?version=1.0';

import '../../fluid.js';
import {assert, assertEqual, run} from './harness.js';

async function testOutputs() {
    const ran = [];
    const worker = Fluid.JobWorker.new(0, job => {
        const input = job.get_input();
        ran.push(input);
        if (input === 7)
            throw new Error('seven');
        return input === 0 ? undefined : input * 2;
    });
    const jobs = [1, 2, 3].map(i => worker.submit(i, [GLib.PRIORITY_LOW, GLib.PRIORITY_DEFAULT,
        GLib.PRIORITY_HIGH][i - 1], null));
    await worker.startup_async(null);
    assertEqual(await jobs[0].wait(), 2);
    assertEqual(await jobs[2].wait(), 6);
    // The lowest priority value first, whatever the order of submission.
    assertEqual(JSON.stringify(ran), '[3,2,1]');
    assertEqual(await worker.submit(0, GLib.PRIORITY_DEFAULT, null).wait(), null);

    const failing = worker.submit(7, GLib.PRIORITY_DEFAULT, null);
    let error = null;
    try {
        await failing.wait();
    } catch (e) {
        error = e;
    }
    assert(error instanceof GLib.Error, `${error} is a GLib.Error`);
    assert(error.message.includes('seven'), error.message);
    assertEqual(failing.get_state(), Fluid.JobState.FAILED);

    // Cancelled while queued, on the worker's context: at once.
    const queued = worker.submit(1, GLib.PRIORITY_DEFAULT, null);
    queued.cancel();
    assertEqual(queued.get_state(), Fluid.JobState.CANCELLED);
    error = null;
    try {
        await queued.wait();
    } catch (e) {
        error = e;
    }
    assert(error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${error} is CANCELLED`);
    await worker.shutdown_async(null);
    assertEqual(worker.get_processed(), 4);
    assertEqual(worker.get_failed(), 1);
    assertEqual(worker.get_cancelled(), 1);
}

async function testThreadsRefused() {
    let error = null;
    try {
        Fluid.JobWorker.new(4, () => 1);
    } catch (e) {
        error = e;
    }
    assert(error instanceof Error && error.message.includes('main thread only'), `${error}`);
}

run([
    ['outputs, priorities, failures and cancellation', testOutputs],
    ['threads refused', testThreadsRefused],
]);
