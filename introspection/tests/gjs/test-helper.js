// test-helper.js: the GJS helper module (introspection/fluid.js): no
// JavaScript exception printed and ignored, the group iterable, the status
// as a plain object
//
// Every test of a fault would fail without the helper: the exception is
// printed by GJS, the worker goes on (or its task is never completed), and
// the waits below time out.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Fluid from 'gi://Fluid?version=1.0';

import * as FluidJs from '../../fluid.js';
import {assert, assertEqual, assertRejects, run, waitUntil} from './harness.js';

function ioError(message, code = Gio.IOErrorEnum.FAILED) {
    return new GLib.Error(Gio.IOErrorEnum, code, message);
}

// Checks that e is the GLib.Error toGError() makes of an exception.
function isFailed(message) {
    return e => {
        assert(e instanceof GLib.Error, `${e} is a GLib.Error`);
        assert(e.matches(Fluid.WorkerError, Fluid.WorkerError.FAILED), `${e} is FLUID_WORKER_ERROR_FAILED`);
        assertEqual(e.message, message, 'message');
    };
}

// Starts worker, waits for it to fail, and checks how it ended.
async function assertFails(worker, message) {
    await worker.startup_async(null);
    await assertRejects(worker.wait_for_shutdown_async(null), isFailed(message), 'wait_for_shutdown');
    assertEqual(worker.state, Fluid.WorkerState.STOPPED, 'state');
    assertEqual(worker.exit_code, Fluid.EXIT_CODE_ERROR, 'exit code');
    assertEqual(worker.stop_reason, message, 'stop reason');
    // Every time, as aio-fluid re-raises.
    await assertRejects(worker.shutdown_async(null), isFailed(message), 'shutdown');
}

// A promise that resolves after the current dispatch of the main context.
function nextIteration() {
    return new Promise(resolve => GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
}

async function counts(consumer) {
    const status = await consumer.status();
    return {processed: status.processed, failed: status.failed, discarded: status.discarded};
}

function recordFailures(consumer) {
    const failures = [];
    consumer.connect('message-failed', (c, message, error) => failures.push([message, error.message]));
    return failures;
}

// Runs test() and fails if GIO logged a critical meanwhile, such as
// "g_task_return_boolean: assertion '!task->ever_returned' failed".
async function assertNoGioCritical(test) {
    const criticals = [];
    const handler = GLib.log_set_handler('GLib-GIO', GLib.LogLevelFlags.LEVEL_CRITICAL,
        (domain, level, message) => criticals.push(message));
    try {
        await test();
    } finally {
        GLib.log_remove_handler('GLib-GIO', handler);
    }
    assertEqual(criticals, [], 'GIO criticals');
}

// Handles 'good', throws on 'bad' and rejects on 'later'.
function pickyCallback(worker, message) {
    if (message === 'bad')
        throw new RangeError(`cannot handle ${message}`);
    if (message === 'later')
        return nextIteration().then(() => Promise.reject(new Error('rejected later')));
    return undefined;
}

const SleepyWorker = GObject.registerClass(
class SleepyWorker extends FluidJs.Worker {
    _init(params) {
        super._init(params);
        this.iterations = 0;
    }

    async run(cancellable) {
        while (this.is_running()) {
            this.iterations++;
            await this.sleep_async(0.01, cancellable);
        }
    }
});

const ThrowingWorker = GObject.registerClass(
class ThrowingWorker extends FluidJs.Worker {
    async run() {
        await nextIteration();
        throw new Error('the disk is on fire');
    }
});

// A Fluid.TaskWorker that completes its task with completeTask().
const CompletingWorker = GObject.registerClass(
class CompletingWorker extends Fluid.TaskWorker {
    vfunc_run_task(task) {
        FluidJs.completeTask(task, async () => {
            await this.sleep_async(0.01, task.get_cancellable());
            throw new TypeError('not a number');
        });
    }
});

// A Fluid.TaskWorker that completes its task itself, as the reference's
// example does: it returns the toGError() of what it caught, here a plain
// JS Error.
const CatchingWorker = GObject.registerClass(
class CatchingWorker extends Fluid.TaskWorker {
    async vfunc_run_task(task) {
        try {
            await this.sleep_async(0.01, task.get_cancellable());
            throw new Error('caught');
        } catch (e) {
            task.return_error(FluidJs.toGError(e));
        }
    }
});

run([
    ['toGError', async () => {
        const gerror = ioError('as it is');
        assert(FluidJs.toGError(gerror) === gerror, 'a GLib.Error passes through');
        for (const [value, message] of [
            [new Error('plain'), 'Error: plain'],
            [new TypeError('x is null'), 'TypeError: x is null'],
            [new Error(), 'Error'],
            ['a string', 'a string'],
            [42, '42'],
            [null, 'null'],
            [undefined, 'undefined'],
            [{code: 7}, '{"code":7}'],
            [[1, 'a'], '[1,"a"]'],
            [new (class Odd {
                toString() {
                    throw new Error('no');
                }
            })(), 'a thrown value that cannot be converted to a string'],
        ]) {
            const converted = FluidJs.toGError(value);
            isFailed(message)(converted);
        }
        class NetworkError extends Error {}
        isFailed('NetworkError: down')(FluidJs.toGError(new NetworkError('down')));
        class NamedError extends Error {
            constructor(message) {
                super(message);
                this.name = 'Named';
            }
        }
        isFailed('Named: it')(FluidJs.toGError(new NamedError('it')));
    }],

    // Before the helper: the exception was printed, the worker went on and
    // exited normally once stopped.
    ['a WorkerFunction whose function throws fails its worker', async () => {
        let calls = 0;
        const worker = Fluid.WorkerFunction.new(0.01, () => {
            if (++calls === 2)
                throw new Error('second call');
        });
        await assertFails(worker, 'Error: second call');
        assertEqual(calls, 2, 'calls');

        const named = Fluid.WorkerFunction.new_named('thrower', 0, () => {
            throw ioError('disk full', Gio.IOErrorEnum.NO_SPACE);
        });
        assertEqual(named.name, 'thrower', 'name');
        await named.startup_async(null);
        await assertRejects(named.wait_for_shutdown_async(null),
            e => assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NO_SPACE), `the GLib.Error as it is: ${e}`));
        assertEqual(named.exit_code, Fluid.EXIT_CODE_ERROR, 'exit code');
    }],

    // Before the helper: the returned promise was not awaited, its rejection
    // unhandled.
    ['an async WorkerFunction that rejects fails its worker', async () => {
        let active = 0, most = 0, calls = 0;
        const worker = Fluid.WorkerFunction.new(0, async () => {
            active++;
            most = Math.max(most, active);
            await nextIteration();
            await nextIteration();
            active--;
            if (++calls === 3)
                throw new RangeError('third call');
        });
        await assertFails(worker, 'RangeError: third call');
        assertEqual(most, 1, 'the worker awaits each call before the next');
        assertEqual(calls, 3, 'calls');
    }],

    ['a WorkerFunction that stops itself or calls fail() still does', async () => {
        const stopping = Fluid.WorkerFunction.new(10, w => w.gracefully_stop());
        await stopping.startup_async(null);
        assert(await stopping.wait_for_shutdown_async(null), 'normal end');
        assertEqual(stopping.exit_code, Fluid.EXIT_CODE_NORMAL, 'exit code');

        const failing = Fluid.WorkerFunction.new(0.01, w => w.fail(ioError('out of paper')));
        await failing.startup_async(null);
        await assertRejects(failing.wait_for_shutdown_async(null),
            e => assertEqual(e.message, 'out of paper', 'message'));
        assertEqual(failing.exit_code, Fluid.EXIT_CODE_ERROR, 'exit code');
    }],

    ['WorkerFunction.new_async: a throw or an error on the task fails the worker', async () => {
        const throwing = Fluid.WorkerFunction.new_async(null, 0, () => {
            throw new Error('thrown');
        });
        await assertFails(throwing, 'Error: thrown');

        const returning = Fluid.WorkerFunction.new_async('returning', 0,
            (worker, task) => task.return_error(FluidJs.toGError(new Error('returned'))));
        await assertFails(returning, 'Error: returned');

        // return_error() is GJS's: a plain Error makes it throw a TypeError,
        // which fails the worker. Before the helper the task was never
        // completed.
        const plain = Fluid.WorkerFunction.new_async('plain', 0,
            (worker, task) => task.return_error(new Error('returned')));
        await plain.startup_async(null);
        await assertRejects(plain.wait_for_shutdown_async(null), e => assert(
            /^TypeError: .*not a subclass of GLib_Error/.test(e.message), `GJS's TypeError: ${e.message}`));
        assertEqual(plain.exit_code, Fluid.EXIT_CODE_ERROR, 'exit code');

        // A task completed later, by the function's own means.
        let calls = 0;
        const later = Fluid.WorkerFunction.new_async('later', 0, (worker, task) => {
            calls++;
            GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
                if (calls === 2)
                    worker.gracefully_stop();
                task.return_boolean(true);
                return GLib.SOURCE_REMOVE;
            });
        });
        await later.startup_async(null);
        assert(await later.wait_for_shutdown_async(null), 'normal end');
        assertEqual(calls, 2, 'calls');

        // An async function that completes its task itself.
        const itself = Fluid.WorkerFunction.new_async('itself', 0, async (worker, task) => {
            await nextIteration();
            worker.gracefully_stop();
            task.return_boolean(true);
        });
        await itself.startup_async(null);
        assert(await itself.wait_for_shutdown_async(null), 'normal end');
    }],

    // Before the helper: the traceback was printed at each heartbeat and
    // the group never stopped.
    ['a WorkerFunction that throws stops its group', async () => {
        const thrower = Fluid.WorkerFunction.new_named('thrower', 0.01, () => {
            throw new Error('in a group');
        });
        const sleeper = new SleepyWorker({name: 'sleeper'});
        const group = Fluid.Workers.new();
        group.add_workers([thrower, sleeper]);
        await group.startup_async(null);
        await group.wait_for_shutdown_async(null).catch(() => {});
        assert(group.is_stopped(), 'group stopped');
        assertEqual(thrower.exit_code, Fluid.EXIT_CODE_ERROR, 'the thrower failed');
        assertEqual(thrower.stop_reason, 'Error: in a group', 'its reason');
        assertEqual(sleeper.exit_code, Fluid.EXIT_CODE_NORMAL, 'the other stopped normally');
    }],

    // The helper cannot see a task completed by the function: it asks
    // GTask, and asks again once GTask has delivered what was returned in
    // the iteration that made the task.
    ['a function that completed its task and then failed: not completed twice', () =>
        assertNoGioCritical(async () => {
            const now = Fluid.WorkerFunction.new_async('now', 0, (worker, task) => {
                task.return_boolean(true);
                throw new Error('after completing');
            });
            await assertFails(now, 'Error: after completing');

            const rejecting = Fluid.WorkerFunction.new_async('rejecting', 0, async (worker, task) => {
                task.return_boolean(true);
                await nextIteration();
                throw new RangeError('later');
            });
            await assertFails(rejecting, 'RangeError: later');
        })],

    ['a function given its task: completed once, by it or by the helper', () =>
        assertNoGioCritical(async () => {
            const consumer = Fluid.QueueConsumerWorker.new_async(async (worker, message, task) => {
                // In the iteration that made the task, and after another.
                if (message === 'later')
                    await nextIteration();
                if (message !== 'forgotten')
                    task.return_boolean(true);
            });
            for (const message of ['now', 'later', 'forgotten'])
                consumer.send(message);
            await consumer.startup_async(null);
            await waitUntil(() => consumer.get_queue_size() === 0, 'three messages');
            await waitUntil(async () => (await counts(consumer)).processed === 3, 'processed');

            const dispatcher = Fluid.AsyncDispatcher.new(null);
            const calls = [];
            dispatcher.register_handler('m', async (message, task) => {
                calls.push('completes');
                task.return_boolean(true);
            });
            dispatcher.register_handler('m.forgets', async (message, task) => { // eslint-disable-line no-unused-vars
                calls.push('forgets');
            });
            assertEqual(await dispatcher.dispatch_async('m', null), 2, 'handlers');
            assertEqual(calls, ['completes', 'forgets'], 'calls');
            await consumer.shutdown_async(null);
        })],

    // Before the helper: printed, and the message counted as processed.
    ['a QueueConsumerWorker callback that throws fails its message', async () => {
        const consumer = Fluid.QueueConsumerWorker.new(pickyCallback);
        assert(consumer.stop_on_failure, 'stop-on-failure by default');
        const failures = recordFailures(consumer);
        for (const message of ['good', 'bad', 'good'])
            consumer.send(message);
        await assertFails(consumer, 'RangeError: cannot handle bad');
        assertEqual(failures, [['bad', 'RangeError: cannot handle bad']], 'message-failed');
        assertEqual(await counts(consumer), {processed: 1, failed: 1, discarded: 1}, 'counts');
    }],

    ['stop-on-failure false: failed messages are counted and the worker goes on', async () => {
        const consumer = Fluid.QueueConsumerWorker.new(pickyCallback);
        consumer.stop_on_failure = false;
        const failures = recordFailures(consumer);
        await consumer.startup_async(null);
        for (const message of ['good', 'bad', 'later', 'good', 'bad'])
            consumer.send(message);
        await waitUntil(() => failures.length === 3 && consumer.get_queue_size() === 0,
            'five messages handled');
        assert(consumer.is_running(), 'still running');
        assertEqual(failures, [
            ['bad', 'RangeError: cannot handle bad'],
            ['later', 'Error: rejected later'],
            ['bad', 'RangeError: cannot handle bad'],
        ], 'message-failed');
        assertEqual(await counts(consumer), {processed: 2, failed: 3, discarded: 0}, 'counts');
        assert(await consumer.shutdown_async(null), 'shutdown');
        assertEqual(consumer.exit_code, Fluid.EXIT_CODE_NORMAL, 'exit code');
    }],

    ['an async QueueConsumerWorker callback handles one message at a time', async () => {
        const log = [];
        let active = 0, most = 0;
        const consumer = Fluid.QueueConsumerWorker.new(async (worker, message) => {
            active++;
            most = Math.max(most, active);
            log.push(`start ${message}`);
            await nextIteration();
            log.push(`end ${message}`);
            active--;
        });
        for (const message of [1, 2, 3])
            consumer.send(message);
        await consumer.startup_async(null);
        await waitUntil(() => log.length === 6, 'three messages');
        assertEqual(most, 1, 'never two at once');
        assertEqual(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3'], 'order');
        assertEqual((await counts(consumer)).processed, 3, 'processed');
        await consumer.shutdown_async(null);
    }],

    ['QueueConsumerWorker.new_async: a throw fails the message', async () => {
        const consumer = Fluid.QueueConsumerWorker.new_async((worker, message, task) => {
            if (message === 'bad')
                throw new Error('thrown');
            if (message === 'plain')
                task.return_error(FluidJs.toGError(new Error('returned')));
            else
                task.return_boolean(true);
        });
        consumer.set_stop_on_failure(false);
        const failures = recordFailures(consumer);
        await consumer.startup_async(null);
        for (const message of ['bad', 'good', 'plain'])
            consumer.send(message);
        await waitUntil(() => failures.length === 2 && consumer.get_queue_size() === 0,
            'three messages handled');
        assertEqual(failures, [['bad', 'Error: thrown'], ['plain', 'Error: returned']], 'message-failed');
        assertEqual(await counts(consumer), {processed: 1, failed: 2, discarded: 0}, 'counts');
        await consumer.shutdown_async(null);
    }],

    // Named as any worker, before it starts or joins a group: what the
    // group's status, its list and fluidctl show.
    ['a helper consumer is named by its name property', async () => {
        const inbox = Fluid.QueueConsumerWorker.new(() => {});
        assertEqual(inbox.name, 'fluid_queue_consumer_worker', 'the default name');
        inbox.name = 'inbox';
        const outbox = Fluid.QueueConsumerWorker.new(async () => {});
        outbox.set_name('outbox');
        const group = new Fluid.Workers({name: 'mail'});
        group.add_workers([inbox, outbox]);
        assertEqual([...group].map(child => child.name), ['inbox', 'outbox'], 'the list');
        await group.startup_async(null);
        assertEqual(Object.keys(await group.status()).sort(), ['inbox', 'outbox'], 'the status');
        await group.shutdown_async(null);
    }],

    // The helper's consumer completes each message itself: one completion
    // per message, however func ends, and none left to a task.
    ['a helper consumer completes each message once, without a task', async () => {
        const consumer = Fluid.QueueConsumerWorker.new(async (worker, message) => {
            if (message === 'late')
                await nextIteration();
            if (message.startsWith('bad'))
                throw new Error(message);
        });
        consumer.stop_on_failure = false;
        const failures = recordFailures(consumer);
        const sent = ['now', 'late', 'bad now', 'now', 'late', 'bad late'];
        for (const message of sent)
            consumer.send(message);
        await consumer.startup_async(null);
        await waitUntil(() => consumer.get_queue_size() === 0 && failures.length === 2,
            'every message handled');
        assertEqual(await counts(consumer), {processed: 4, failed: 2, discarded: 0}, 'counts');
        await consumer.shutdown_async(null);
        assertEqual(consumer.exit_code, Fluid.EXIT_CODE_NORMAL, 'exit code');
    }],

    // A forced stop while func's promise is pending: the message in hand
    // counts as discarded with the queued one, the worker stops without
    // waiting for the promise, and the promise settling later only ends
    // the consumer's loop (its next pull drops the message).
    ['a helper consumer forced to stop while func awaits', async () => {
        let release;
        const held = new Promise(resolve => {
            release = resolve;
        });
        const handled = [];
        const consumer = Fluid.QueueConsumerWorker.new(async (worker, message) => {
            handled.push(message);
            await held;
        });
        consumer.set_stopping_grace_period(0.01);
        consumer.send('held');
        consumer.send('queued');
        await consumer.startup_async(null);
        await waitUntil(() => handled.length === 1, 'the first message in hand');
        await consumer.shutdown_async(null);
        assertEqual(consumer.exit_code, Fluid.EXIT_CODE_FORCED, 'exit code');
        assertEqual(await counts(consumer), {processed: 0, failed: 0, discarded: 2}, 'counts');
        release();
        await nextIteration();
        await nextIteration();
        assertEqual(handled, ['held'], 'no message after the stop');
        assertEqual(await counts(consumer), {processed: 0, failed: 0, discarded: 2},
            'counts once the promise settled');
    }],

    ['the message signal still works', async () => {
        const received = [];
        const consumer = Fluid.QueueConsumerWorker.new(null);
        consumer.connect('message', (c, message) => received.push(message));
        await consumer.startup_async(null);
        consumer.send('hello');
        await waitUntil(() => received.length === 1, 'the signal');
        await consumer.shutdown_async(null);
    }],

    // Before the helper: the handler's task was never completed, and the
    // consumer stayed stuck with the message (queue_size 2) until forced.
    ['an AsyncDispatcher handler that throws fails its message', async () => {
        const dispatcher = Fluid.AsyncDispatcher.new(null);
        const handled = [];
        dispatcher.register_handler('bad', () => {
            throw new Error('handler threw');
        });
        dispatcher.register_handler('good', (message, task) => {
            handled.push(message);
            task.return_boolean(true);
        });
        await assertRejects(dispatcher.dispatch_async('bad', null), isFailed('Error: handler threw'),
            'dispatch_async');

        const consumer = Fluid.AsyncConsumer.new(dispatcher);
        consumer.stop_on_failure = false;
        const failures = recordFailures(consumer);
        await consumer.startup_async(null);
        for (const message of ['bad', 'good', 'bad', 'good'])
            consumer.send(message);
        await waitUntil(() => handled.length === 2 && consumer.get_queue_size() === 0,
            'four messages handled');
        assertEqual(failures, [['bad', 'Error: handler threw'], ['bad', 'Error: handler threw']],
            'message-failed');
        assertEqual(await counts(consumer), {processed: 2, failed: 2, discarded: 0}, 'counts');
        assert(await consumer.shutdown_async(null), 'shutdown');

        const stopping = Fluid.AsyncConsumer.new(dispatcher);
        stopping.send('good');
        stopping.send('bad');
        await assertFails(stopping, 'Error: handler threw');
    }],

    ['a handler of the message alone is done when it returns', async () => {
        const dispatcher = Fluid.AsyncDispatcher.new(null);
        const handled = [];
        dispatcher.register_handler('plain', message => handled.push(message));
        dispatcher.register_handler('plain.throws', () => {
            throw new TypeError('plain handler');
        });
        // Before: a function of one parameter was given the task all the
        // same, and the dispatch waited for it forever.
        await assertRejects(dispatcher.dispatch_async('plain', null), isFailed('TypeError: plain handler'));
        assertEqual(handled, ['plain'], 'handled');
        dispatcher.unregister_handler('plain.throws');
        assertEqual(await dispatcher.dispatch_async('plain', null), 1, 'handlers');
    }],

    ['a handler that takes the task and throws fails its message', () =>
        assertNoGioCritical(async () => {
            const dispatcher = Fluid.AsyncDispatcher.new(null);
            dispatcher.register_handler('sync', (message, task) => { // eslint-disable-line no-unused-vars
                throw new Error('sync, with a task');
            });
            dispatcher.register_handler('async', async (message, task) => { // eslint-disable-line no-unused-vars
                await nextIteration();
                throw new Error('async, with a task');
            });
            await assertRejects(dispatcher.dispatch_async('sync', null), isFailed('Error: sync, with a task'));
            await assertRejects(dispatcher.dispatch_async('async', null), isFailed('Error: async, with a task'));
        })],

    ['an async handler completes its task when its promise settles', async () => {
        const dispatcher = Fluid.AsyncDispatcher.new((d, message) => message.event);
        const done = [];
        dispatcher.register_handler('job', async message => {
            await nextIteration();
            done.push(message.n);
        });
        dispatcher.register_handler('job.self', async (message, task) => {
            await nextIteration();
            task.return_boolean(true); // not completed twice
        });
        dispatcher.register_handler('fail', async () => {
            await nextIteration();
            throw new TypeError('async handler');
        });
        assertEqual(await dispatcher.dispatch_async({event: 'job', n: 1}, null), 2, 'handlers');
        assertEqual(done, [1], 'done');
        await assertRejects(dispatcher.dispatch_async({event: 'fail'}, null),
            isFailed('TypeError: async handler'));
    }],

    // Before the helper: the exception was printed and dispatch() returned.
    ['a Dispatcher handler that throws makes dispatch() throw', async () => {
        const dispatcher = Fluid.Dispatcher.new((d, message) => message.type);
        const calls = [];
        const thrown = new RangeError('sync handler');
        dispatcher.register_handler('add', message => calls.push(['first', message.n]));
        dispatcher.register_handler('add.throw', message => {
            calls.push(['throwing', message.n]);
            if (message.n === 2)
                throw thrown;
        });
        dispatcher.register_handler('add.last', message => calls.push(['last', message.n]));
        assertEqual(dispatcher.dispatch({type: 'add', n: 1}), 3, 'count');
        let caught = null;
        try {
            dispatcher.dispatch({type: 'add', n: 2});
        } catch (e) {
            caught = e;
        }
        assert(caught === thrown, `dispatch() throws the handler's exception itself: ${caught}`);
        assertEqual(calls, [['first', 1], ['throwing', 1], ['last', 1], ['first', 2], ['throwing', 2]],
            'no handler called after the one that threw, as in aio-fluid');
        assertEqual(dispatcher.dispatch({type: 'add', n: 3}), 3, 'usable after');

        // A handler that dispatches again and catches what the inner throws.
        const outer = Fluid.Dispatcher.new(null);
        let inner = null;
        outer.register_handler('outer', () => {
            try {
                outer.dispatch('inner');
            } catch (e) {
                inner = e;
            }
        });
        outer.register_handler('inner', () => {
            throw new Error('inner');
        });
        assertEqual(outer.dispatch('outer'), 1, 'the outer dispatch succeeds');
        assertEqual(`${inner}`, 'Error: inner', 'the inner dispatch threw');

        const promising = Fluid.Dispatcher.new(null);
        promising.register_handler('p', async () => {});
        try {
            promising.dispatch('p');
            caught = null;
        } catch (e) {
            caught = e;
        }
        assert(caught instanceof TypeError && /AsyncDispatcher/.test(caught.message),
            `a handler that returns a promise: ${caught}`);
    }],

    ['an event-type function that throws fails the dispatch', async () => {
        const sync = Fluid.Dispatcher.new((d, message) => message.type.toUpperCase());
        sync.register_handler('A', () => {});
        assertEqual(sync.dispatch({type: 'a'}), 1, 'dispatch');
        let caught = null;
        try {
            sync.dispatch({});
        } catch (e) {
            caught = e;
        }
        assert(caught instanceof TypeError, `dispatch() throws: ${caught}`);
        try {
            caught = null;
            sync.get_event_type({});
        } catch (e) {
            caught = e;
        }
        assert(caught instanceof TypeError, `get_event_type() throws: ${caught}`);

        const dispatcher = Fluid.AsyncDispatcher.new((d, message) => {
            if (message === 'bad')
                throw new Error('no type');
            return message;
        });
        const handled = [];
        dispatcher.register_handler('good', (message, task) => {
            handled.push(message);
            task.return_boolean(true);
        });
        const consumer = Fluid.AsyncConsumer.new(dispatcher);
        consumer.stop_on_failure = false;
        const failures = recordFailures(consumer);
        await consumer.startup_async(null);
        consumer.send('bad');
        consumer.send('good');
        await waitUntil(() => handled.length === 1 && failures.length === 1, 'two messages');
        assertEqual(failures, [['bad', 'Error: no type']], 'message-failed');
        await consumer.shutdown_async(null);
    }],

    ['Worker: run() loops until a stop', async () => {
        const worker = new SleepyWorker();
        assertEqual(worker.name, 'sleepy_worker', 'name');
        assert(worker instanceof Fluid.TaskWorker, 'a Fluid.TaskWorker');
        await worker.startup_async(null);
        await waitUntil(() => worker.iterations >= 3, 'three iterations');
        assert(await worker.shutdown_async(null), 'shutdown');
        assertEqual(worker.exit_code, Fluid.EXIT_CODE_NORMAL, 'exit code');
    }],

    // Before the helper: an exception in run() was printed, the task was
    // never completed, and the worker was forced (exit code 1) on shutdown.
    ['a plain JS Error in a TaskWorker: exit code 2, not 1', async () => {
        await assertFails(new CatchingWorker({stopping_grace_period: 0.5}), 'Error: caught');
        await assertFails(new ThrowingWorker({stopping_grace_period: 0.5}), 'Error: the disk is on fire');
        await assertFails(new CompletingWorker({stopping_grace_period: 0.5}), 'TypeError: not a number');
    }],

    ['return_error() of every task is GJS\'s: it wants a GLib.Error', async () => {
        const refuses = task => {
            let refused = null;
            try {
                task.return_error(new Error('plain'));
            } catch (e) {
                refused = e;
            }
            assert(refused instanceof TypeError, `GJS refuses it: ${refused}`);
            assert(!task.had_error(), 'not returned');
            task.return_error(ioError('a GLib.Error'));
            assert(task.had_error(), 'returned');
        };
        refuses(Gio.Task.new(null, null, null));
        // A task the library gives to JavaScript, too.
        const worker = Fluid.WorkerFunction.new_async('refusing', 0, (w, task) => refuses(task));
        await worker.startup_async(null);
        await assertRejects(worker.wait_for_shutdown_async(null),
            e => assertEqual(e.message, 'a GLib.Error', 'message'));
    }],

    ['Worker is abstract and run() must be implemented', async () => {
        let refused = null;
        try {
            new FluidJs.Worker(); // eslint-disable-line no-new
        } catch (e) {
            refused = e;
        }
        assert(refused !== null, 'FluidJs.Worker cannot be instantiated');
        const Lazy = GObject.registerClass(class Lazy extends FluidJs.Worker {});
        const lazy = new Lazy();
        await lazy.startup_async(null);
        await assertRejects(lazy.wait_for_shutdown_async(null), isFailed('Lazy does not implement run()'));
    }],

    ['a group is iterable with for…of', async () => {
        const children = ['a', 'b', 'c'].map(name => Fluid.WorkerFunction.new_named(name, 1, () => {}));
        const group = Fluid.Workers.new();
        group.add_workers(children);
        const names = [];
        for (const child of group)
            names.push(child.name);
        assertEqual(names, ['a', 'b', 'c'], 'names');
        assert([...group].every((child, i) => child === children[i]), 'the children themselves');
        assertEqual([...Fluid.Workers.new()], [], 'an empty group');
    }],

    ['status as a plain object', async () => {
        const worker = new SleepyWorker({name: 'sleeper'});
        assertEqual(await worker.status(), {running: false, stopping: false}, 'before startup');
        await worker.startup_async(null);
        assertEqual(await worker.status(), {running: true, stopping: false}, 'running');

        const consumer = Fluid.QueueConsumerWorker.new(() => {});
        consumer.send('x');
        const status = await consumer.status(null);
        assertEqual([status.queue_size, status.processed, status.failed, status.discarded], [1, 0, 0, 0],
            'numbers');

        const group = Fluid.Workers.new();
        group.add_workers([consumer]);
        const groupStatus = await group.status();
        assertEqual(Object.keys(groupStatus), [consumer.name], 'a group: its children by name');
        assertEqual(groupStatus[consumer.name].queue_size, 1, 'nested');
        await worker.shutdown_async(null);
    }],

    ['the _async/_finish pairs are promisified', async () => {
        const consumer = Fluid.QueueConsumerWorker.new(() => {});
        consumer.send('first');
        assertEqual(await consumer.get_message_async(0, null), 'first', 'get_message');
        assertEqual(await consumer.get_message_async(0.001, null), null, 'timeout');
        const dispatcher = Fluid.AsyncDispatcher.new(null);
        assertEqual(await dispatcher.dispatch_async('none', null), 0, 'dispatch');
        const worker = new SleepyWorker();
        assert(await worker.startup_async(null), 'startup');
        assertEqual(await worker.sleep_async(0, null), true, 'sleep');
        assert(await worker.shutdown_async(null), 'shutdown');
    }],
]);
