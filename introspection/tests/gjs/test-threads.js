// test-threads.js: threads and backpressure from GJS (1.2)
//
// GJS runs JavaScript on the main thread only: the helper makes the
// threaded constructors refuse at once, with an Error that says what to do
// instead. What GJS has instead is tested here: a consumer whose messages
// are handled with asynchronous GIO calls (their blocking part runs on
// GIO's threads), and backpressure with send_async() and try_send().
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Fluid from 'gi://Fluid?version=1.0';

import '../../fluid.js';
import {assert, assertEqual, assertRejects, run, waitUntil} from './harness.js';

Gio._promisify(Gio.File.prototype, 'load_contents_async', 'load_contents_finish');

function assertRefused(construct, name) {
    let error = null;
    try {
        construct();
    } catch (e) {
        error = e;
    }
    assert(error !== null, `${name} did not throw`);
    assert(error instanceof Error, `${error} is an Error`);
    assert(!(error instanceof GLib.Error), `${error} is not a GLib.Error`);
    assert(error.message.startsWith(`${name} cannot run a JavaScript function`), error.message);
    assert(error.message.includes('main thread only'), error.message);
    assert(error.message.includes('new_async()'), error.message);
}

async function testThreadedConstructorsRefused() {
    let called = false;
    const func = () => {
        called = true;
        return true;
    };
    assertRefused(() => Fluid.QueueConsumerWorker.new_threaded(4, func),
        'Fluid.QueueConsumerWorker.new_threaded()');
    assertRefused(() => Fluid.WorkerFunction.new_threaded(0.1, func),
        'Fluid.WorkerFunction.new_threaded()');
    assertRefused(() => Fluid.WorkerFunction.new_threaded_named('sensor', 0.1, func),
        'Fluid.WorkerFunction.new_threaded_named()');
    assert(!called, 'the function was never called');
}

// A consumer whose handler waits for a gate: it holds one message at a time.
function gatedConsumer() {
    const state = {handled: [], holding: 0, open: null};
    const gate = new Promise(resolve => {
        state.open = resolve;
    });
    state.worker = Fluid.QueueConsumerWorker.new(async (worker, message) => {
        state.holding++;
        await gate;
        state.holding--;
        state.handled.push(message);
    });
    return state;
}

async function testSendAsyncWaitsForRoom() {
    const state = gatedConsumer();
    const {worker} = state;
    worker.max_queue_size = 2;
    assertEqual(worker.get_max_queue_size(), 2, 'max-queue-size');
    await worker.startup_async(null);

    const sent = [];
    const producer = (async () => {
        for (let i = 0; i < 10; i++) {
            assertEqual(await worker.send_async(i, null), true, 'send_async');
            sent.push(i);
        }
    })();
    let producerDone = false;
    producer.then(() => {
        producerDone = true;
    });

    // One message in hand, two queued: the producer waits.
    await waitUntil(() => state.holding === 1 && worker.get_queue_size() === 2, 'a full queue');
    assert(!producerDone, 'the producer waits');
    assertEqual(worker.try_send('refused'), false, 'try_send on a full queue');
    assert(sent.length <= 3, `${sent.length} sent`);

    state.open();
    await producer;
    await waitUntil(() => state.handled.length === 10, 'every message');
    assertEqual(state.handled, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'handled in order');
    await worker.shutdown_async(null);
    const status = await worker.status();
    assertEqual(status.processed, 10, 'processed');

    // A stopped consumer takes nothing.
    assertEqual(worker.try_send('late'), false, 'try_send when stopped');
    await assertRejects(worker.send_async('late', null), e => {
        assert(e instanceof GLib.Error, `${e} is a GLib.Error`);
        assert(e.matches(Fluid.WorkerError, Fluid.WorkerError.STOPPED), `${e} is STOPPED`);
    }, 'send_async when stopped');
}

async function testWaitingSenderFailsWhenTheConsumerStops() {
    const state = gatedConsumer();
    const {worker} = state;
    worker.max_queue_size = 1;
    await worker.startup_async(null);
    worker.send('held');
    await waitUntil(() => state.holding === 1, 'the handler');
    worker.send('queued');
    const waiting = worker.send_async('waiting', null);
    worker.gracefully_stop();
    state.open();
    await assertRejects(waiting,
        e => assert(e.matches(Fluid.WorkerError, Fluid.WorkerError.STOPPED), `${e} is STOPPED`),
        'the waiting send');
    await worker.wait_for_shutdown_async(null);
    assert(!state.handled.includes('waiting'), 'the refused message was not handled');
}

// What GJS has instead of threads: the handler awaits GIO, whose blocking
// reads run on GIO's threads, while the main context goes on.
async function testGioThreadsInstead() {
    const [file, stream] = Gio.File.new_tmp('fluid-gjs-XXXXXX');
    const text = 'libfluid-glib\n'.repeat(1000);
    stream.get_output_stream().write_all(new TextEncoder().encode(text), null);
    stream.close(null);

    const checksums = new Map();
    const worker = Fluid.QueueConsumerWorker.new(async (w, path) => {
        const [contents] = await Gio.File.new_for_path(path).load_contents_async(null);
        checksums.set(path, GLib.compute_checksum_for_data(GLib.ChecksumType.SHA256, contents));
    });
    worker.set_stop_on_failure(false);
    const failed = [];
    worker.connect('message-failed', (w, path, error) => failed.push([path, error.code]));
    await worker.startup_async(null);
    const missing = `${file.get_path()}.missing`;
    for (const path of [file.get_path(), missing])
        await worker.send_async(path, null);
    await waitUntil(() => checksums.size === 1 && failed.length === 1, 'the files');
    await worker.shutdown_async(null);
    file.delete(null);

    assertEqual(checksums.get(file.get_path()),
        GLib.compute_checksum_for_string(GLib.ChecksumType.SHA256, text, -1), 'checksum');
    assertEqual(failed, [[missing, Gio.IOErrorEnum.NOT_FOUND]], 'the missing file failed');
}

run([
    ['threaded constructors refused at construction', testThreadedConstructorsRefused],
    ['send_async waits for room, try_send refuses', testSendAsyncWaitsForRoom],
    ['a waiting sender fails with STOPPED', testWaitingSenderFailsWhenTheConsumerStops],
    ['GIO threads instead: load_contents_async', testGioThreadsInstead],
]);
