// test-outcome.js: how a worker ended and message failures (1.2) from GJS:
// the exit-code and stop-reason properties, Fluid.Worker.fail(), and for
// consumers the stop-on-failure property, the message-failed signal and the
// 'failed' status key
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Fluid from 'gi://Fluid?version=1.0';

import {assert, assertEqual, assertRejects, run, waitUntil} from './harness.js';

function ioError(message, code = Gio.IOErrorEnum.FAILED) {
    return new GLib.Error(Gio.IOErrorEnum, code, message);
}

// Keeps its task and never completes it.
const StubbornWorker = GObject.registerClass(
class StubbornWorker extends Fluid.TaskWorker {
    vfunc_run_task(task) {
        this.task = task;
    }
});

// A consumer whose handlers fail on the event 'bad'.
function pickyConsumer() {
    const dispatcher = Fluid.AsyncDispatcher.new(null);
    const handler = (message, task) => {
        if (message === 'bad')
            task.return_error(ioError(`cannot handle ${message}`));
        else
            task.return_boolean(true);
    };
    dispatcher.register_handler('good', handler);
    dispatcher.register_handler('bad', handler);
    return Fluid.AsyncConsumer.new(dispatcher);
}

async function counts(consumer) {
    const status = (await consumer.status_async(null)).deepUnpack();
    return [status.processed.unpack(), status.failed.unpack(), status.discarded.unpack()];
}

run([
    ['exit code and stop reason', async () => {
        const worker = Fluid.WorkerFunction.new(0.01, () => {});
        const notified = [];
        // Counted, not read: the core notifies exit-code before the state
        // becomes STOPPED, and the getter reads -1 until then.
        worker.connect('notify::exit-code', (w, pspec) => notified.push(pspec.name));
        assertEqual(worker.exit_code, -1, 'before');
        assertEqual(worker.get_exit_code(), -1, 'getter before');
        assertEqual(worker.stop_reason, null, 'no reason before');
        await worker.startup_async(null);
        assertEqual(worker.exit_code, -1, 'while running');
        assert(await worker.shutdown_async(null), 'shutdown');
        assertEqual(worker.exit_code, Fluid.EXIT_CODE_NORMAL, 'after');
        assertEqual(worker.get_stop_reason(), 'normal shutdown', 'reason');
        assertEqual(worker.stop_reason, 'normal shutdown', 'reason property');
        assertEqual(notified, ['exit-code'], 'notified once');
    }],

    ['forced stop', async () => {
        const worker = new StubbornWorker({stopping_grace_period: 0.05});
        await worker.startup_async(null);
        assert(await worker.shutdown_async(null), 'shutdown');
        assertEqual(worker.exit_code, Fluid.EXIT_CODE_FORCED, 'exit code');
        assertEqual(worker.stop_reason, 'forced shutdown', 'reason');
    }],

    ['fail from a callback', async () => {
        const worker = Fluid.WorkerFunction.new(0.01,
            w => w.fail(ioError('out of paper', Gio.IOErrorEnum.NO_SPACE)));
        await worker.startup_async(null);
        await assertRejects(worker.wait_for_shutdown_async(null),
            e => assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NO_SPACE), `${e}`));
        assertEqual(worker.state, Fluid.WorkerState.STOPPED, 'state');
        assertEqual(worker.exit_code, Fluid.EXIT_CODE_ERROR, 'exit code');
        assertEqual(worker.stop_reason, 'out of paper', 'reason');
        await assertRejects(worker.shutdown_async(null),
            e => assertEqual(e.message, 'out of paper', 'the same error'));
    }],

    ['consumer defaults', async () => {
        const consumer = Fluid.QueueConsumerWorker.new(null);
        assert(consumer.stop_on_failure, 'stop-on-failure by default');
        assert(consumer.get_stop_on_failure(), 'getter');
        assertEqual(await counts(consumer), [0, 0, 0], 'counts');
        consumer.stop_on_failure = false;
        assert(!consumer.get_stop_on_failure(), 'writable');
    }],

    ['stop on failure', async () => {
        const consumer = pickyConsumer();
        const failures = [];
        consumer.connect('message-failed', (c, message, error) => failures.push([message, error.message]));
        for (const message of ['good', 'bad', 'good'])
            consumer.send(message);
        await consumer.startup_async(null);
        await assertRejects(consumer.wait_for_shutdown_async(null),
            e => assertEqual(e.message, 'cannot handle bad', 'the handler error'));
        assertEqual(consumer.exit_code, Fluid.EXIT_CODE_ERROR, 'exit code');
        assertEqual(failures, [['bad', 'cannot handle bad']], 'message-failed');
        assertEqual(await counts(consumer), [1, 1, 1], 'processed, failed, discarded');
    }],

    ['go on after failures', async () => {
        const consumer = pickyConsumer();
        consumer.set_stop_on_failure(false);
        const failures = [];
        consumer.connect('message-failed', (c, message) => failures.push(message));
        await consumer.startup_async(null);
        for (const message of ['good', 'bad', 'good', 'bad'])
            consumer.send(message);
        await waitUntil(() => failures.length === 2 && consumer.get_queue_size() === 0, 'four messages');
        assert(consumer.is_running(), 'still running');
        assertEqual(await counts(consumer), [2, 2, 0], 'processed, failed, discarded');
        assert(await consumer.shutdown_async(null), 'shutdown');
        assertEqual(consumer.exit_code, Fluid.EXIT_CODE_NORMAL, 'exit code');
    }],
]);
