// test-consumers.js: FluidQueueConsumerWorker, FluidEvent, FluidDispatcher,
// FluidAsyncDispatcher, FluidAsyncConsumer and FluidWorkers from GJS
//
// What GJS 1.74 can send as a message (a GValue guessed from the JS value):
// strings, numbers (as doubles), booleans, null, GObjects, GLib.Variants,
// GObject.Values and plain JS objects ({...}, received as the same object).
// Arrays and instances of JS classes throw "Could not guess unspecified
// GValue type": wrap them in a plain object ({items: [...]}).
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Fluid from 'gi://Fluid?version=1.0';

import {assert, assertEqual, assertRejects, run, waitUntil} from './harness.js';

Gio._promisify(Fluid.QueueConsumer.prototype, 'get_message_async', 'get_message_finish');
Gio._promisify(Fluid.AsyncDispatcher.prototype, 'dispatch_async', 'dispatch_finish');

class Point {
    constructor(x) {
        this.x = x;
    }
}

const Taker = GObject.registerClass(
class Taker extends Fluid.QueueConsumer {
    // Never started: GJS 1.74 cannot implement run_async (see
    // test-worker.js), and FluidTaskWorker is not a FluidQueueConsumer, so
    // this subclass only exercises get_message.
});

run([
    ['callback receives strings, numbers, booleans and objects', async () => {
        const received = [];
        const worker = Fluid.QueueConsumerWorker.new((consumer, message) => received.push(message));
        assert(worker instanceof Fluid.QueueConsumerWorker, 'a QueueConsumerWorker');
        await worker.startup_async(null);
        const plain = {name: 'plain', items: [1, 2]};
        const cancellable = new Gio.Cancellable();
        for (const message of ['text', 42, 1.5, true, plain, cancellable, new GLib.Variant('s', 'v')])
            worker.send(message);
        await waitUntil(() => received.length === 7, 'seven messages');
        assertEqual(received.slice(0, 4), ['text', 42, 1.5, true], 'simple values');
        assert(received[4] === plain, 'the same JS object');
        assert(received[5] === cancellable, 'the same GObject');
        assertEqual(received[6].unpack(), 'v', 'the variant');
        assert(await worker.shutdown_async(null), 'shutdown');
    }],

    ['typed senders and GObject.Value', async () => {
        const received = [];
        const worker = Fluid.QueueConsumerWorker.new((consumer, message) => received.push(message));
        const value = new GObject.Value();
        value.init(GObject.TYPE_INT);
        value.set_int(5);
        worker.send(value);
        worker.send_string('s');
        worker.send_variant(new GLib.Variant('i', 7));
        assertEqual(worker.get_queue_size(), 3, 'queued before startup');
        await worker.startup_async(null);
        await waitUntil(() => received.length === 3, 'three messages');
        assertEqual(received[0], 5, 'int');
        assertEqual(received[1], 's', 'string');
        assertEqual(received[2].unpack(), 7, 'variant');
        await worker.shutdown_async(null);
    }],

    ['arrays and class instances need a plain-object wrapper', async () => {
        const worker = Fluid.QueueConsumerWorker.new(() => {});
        for (const message of [[1, 2], new Point(1)]) {
            let error = null;
            try {
                worker.send(message);
            } catch (e) {
                error = e;
            }
            assert(error && /GValue type/.test(error.message), `send(${message}) throws`);
        }
        const received = [];
        const wrapping = Fluid.QueueConsumerWorker.new((consumer, message) => received.push(message));
        const point = new Point(3);
        wrapping.send({value: point});
        await wrapping.startup_async(null);
        await waitUntil(() => received.length === 1, 'the wrapped message');
        assert(received[0].value === point, 'the same instance inside');
        await wrapping.shutdown_async(null);
    }],

    ['message signal', async () => {
        const received = [];
        const worker = Fluid.QueueConsumerWorker.new(null);
        worker.connect('message', (consumer, message) => received.push(message));
        await worker.startup_async(null);
        worker.send('hello');
        worker.send(3);
        await waitUntil(() => received.length === 2, 'two signals');
        assertEqual(received, ['hello', 3], 'messages');
        assertEqual((await worker.status_async(null)).recursiveUnpack().processed, 2, 'processed');
        await worker.shutdown_async(null);
    }],

    ['get_message on a consumer that is not started', async () => {
        const taker = new Taker();
        taker.send('first');
        assertEqual(await taker.get_message_async(0, null), 'first', 'message');
        assertEqual(await taker.get_message_async(0.01, null), null, 'timeout');
    }],

    ['event', async () => {
        const event = Fluid.Event.new_from_string('update.users');
        assertEqual([event.type, event.tag], ['update', 'users'], 'fields');
        assertEqual(event.to_string(), 'update.users', 'to_string');
        assert(event.equal(Fluid.Event.new('update', 'users')), 'equal');
        let error = null;
        try {
            Fluid.Event.new_from_string('');
        } catch (e) {
            error = e;
        }
        assert(error instanceof GLib.Error, 'a GLib.Error');
    }],

    ['dispatcher with sync handlers', async () => {
        const dispatcher = Fluid.Dispatcher.new((d, message) => message.type);
        const calls = [];
        assertEqual(dispatcher.register_handler('add', m => calls.push(['add', m.n])), false, 'new');
        dispatcher.register_handler('add.log', m => calls.push(['log', m.n]));
        assertEqual(dispatcher.get_n_handlers('add'), 2, 'handlers');
        assertEqual(dispatcher.dispatch({type: 'add', n: 1}), 2, 'called');
        assertEqual(dispatcher.dispatch({type: 'remove', n: 2}), 0, 'none called');
        assertEqual(calls, [['add', 1], ['log', 1]], 'calls');
        assert(dispatcher.unregister_handler('add.log'), 'unregistered');
        assertEqual(Fluid.Dispatcher.new(null).get_event_type('ping'), 'ping', 'default event type');
    }],

    ['both dispatchers are BaseDispatchers', async () => {
        assert(Fluid.BaseDispatcher !== undefined, 'Fluid.BaseDispatcher exists');
        assert(GObject.type_is_a(Fluid.BaseDispatcher.$gtype, GObject.Object.$gtype), 'a GObject');
        const sync = Fluid.Dispatcher.new(null);
        const async_ = Fluid.AsyncDispatcher.new(null);
        assert(sync instanceof Fluid.BaseDispatcher, 'Dispatcher is a BaseDispatcher');
        assert(async_ instanceof Fluid.BaseDispatcher, 'AsyncDispatcher is a BaseDispatcher');
        assert(!(async_ instanceof Fluid.Dispatcher), 'AsyncDispatcher is not a Dispatcher');
        assert(!(sync instanceof Fluid.AsyncDispatcher), 'Dispatcher is not an AsyncDispatcher');
        sync.register_handler('a', () => {});
        sync.register_handler('a.x', () => {});
        async_.register_handler('a', (m, task) => task.return_boolean(true));
        async_.register_handler('a.x', (m, task) => task.return_boolean(true));
        const base = Fluid.BaseDispatcher.prototype;
        for (const dispatcher of [sync, async_]) {
            assertEqual(base.get_n_handlers.call(dispatcher, 'a'), 2, 'two handlers');
            assertEqual(base.get_event_type.call(dispatcher, 'a'), 'a', 'event type');
            assert(base.unregister_handler.call(dispatcher, 'a.x'), 'unregistered');
            assert(!base.unregister_handler.call(dispatcher, 'a.x'), 'not twice');
            assertEqual(dispatcher.get_n_handlers('a'), 1, 'one handler left');
        }
        assertEqual(sync.dispatch('a'), 1, 'sync dispatch');
        assertEqual(await async_.dispatch_async('a', null), 1, 'async dispatch');
    }],

    ['dispatcher with async handlers', async () => {
        const dispatcher = Fluid.AsyncDispatcher.new(null);
        const calls = [];
        dispatcher.register_handler('go', (message, task) => {
            GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
                calls.push(['later', message]);
                task.return_boolean(true);
                return GLib.SOURCE_REMOVE;
            });
        });
        dispatcher.register_handler('go.now', (message, task) => {
            calls.push(['at once', message]);
            task.return_boolean(true);
        });
        assertEqual(await dispatcher.dispatch_async('go', null), 2, 'handlers');
        assertEqual(calls, [['at once', 'go'], ['later', 'go']], 'calls');

        dispatcher.register_handler('fail', (message, task) => task.return_error(
            new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED, 'handler failed')));
        await assertRejects(dispatcher.dispatch_async('fail', null),
            e => assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED), e.message));
    }],

    ['async consumer', async () => {
        const dispatcher = Fluid.AsyncDispatcher.new((d, message) => message.event);
        const calls = [];
        dispatcher.register_handler('job', (message, task) => {
            calls.push(message.n);
            task.return_boolean(true);
        });
        const consumer = Fluid.AsyncConsumer.new(dispatcher);
        assert(consumer.get_dispatcher() === dispatcher, 'dispatcher');
        await consumer.startup_async(null);
        consumer.send({event: 'job', n: 1});
        consumer.send({event: 'other', n: 2});
        consumer.send({event: 'job', n: 3});
        await waitUntil(() => calls.length === 2, 'two handled messages');
        assertEqual(calls, [1, 3], 'handled');
        assert(await consumer.shutdown_async(null), 'shutdown');
    }],

    ['workers group', async () => {
        const children = [0, 1, 2].map(() => Fluid.QueueConsumerWorker.new(() => {}));
        const group = Fluid.Workers.new();
        group.add_workers(children.slice(0, 2));
        group.add_worker(children[2]);
        assertEqual(group.get_n_items(), 3, 'n_items');
        assertEqual(group.get_item_type().name, 'FluidWorker', 'item type');
        assert(children.every((child, i) => group.get_item(i) === child), 'items');
        assertEqual(group.get_num_workers(), 3, 'num_workers');

        await group.startup_async(null);
        assert(children.every(child => child.is_running()), 'children run');
        const status = (await group.status_async(null)).recursiveUnpack();
        assert(children.every(child => status[child.get_name()].running), 'status');

        // A child stopping stops the group.
        await children[0].shutdown_async(null);
        await group.wait_for_shutdown_async(null);
        assert(group.is_stopped(), 'group stopped');
        assert(children.every(child => child.is_stopped()), 'children stopped');
    }],
]);
