// test-redis.js: FluidRedis from GJS: a consumer with a JavaScript handler,
// a producer's add and send, the status keys. The server is started by
// with-redis.py (FLUID_TEST_REDIS_URI).
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Fluid from 'gi://Fluid?version=1.0';
import FluidRedis from 'gi://FluidRedis?version=1.0';

import {assert, assertEqual, assertRejects, run, waitUntil} from './harness.js';

Gio._promisify(FluidRedis.StreamProducer.prototype, 'add_async', 'add_finish');

const URI = GLib.getenv('FLUID_TEST_REDIS_URI');

async function statusOf(worker) {
    return (await worker.status_async(null)).deepUnpack();
}

run([
    ['consumer and producer', async () => {
        const seen = [];
        const consumer = FluidRedis.StreamConsumer.new(URI, 'gjs-jobs', 'workers', (c, entry) => {
            seen.push([entry.get_string('data'), entry.get_delivery_count()]);
            return true;
        });
        consumer.batch_size = 10;
        const producer = FluidRedis.StreamProducer.new(URI, 'gjs-jobs');
        producer.max_len = 1000;
        await consumer.startup_async(null);
        await waitUntil(() => consumer.connected, 'connected');
        await producer.startup_async(null);
        const id = await producer.add_async(['data', 'first'], null);
        assert(id.includes('-'), `an entry id, got ${id}`);
        for (let i = 0; i < 20; i++)
            assert(producer.send(['data', `job-${i}`]), 'taken');
        await waitUntil(() => seen.length === 21, '21 entries');
        assertEqual(seen[0], ['first', 1], 'first entry');
        const status = await statusOf(consumer);
        assertEqual(status.connected.unpack(), true, 'connected');
        assertEqual(status.reconnects.unpack(), 0, 'reconnects');
        await producer.shutdown_async(null);
        await consumer.shutdown_async(null);
        assertEqual(consumer.exit_code, 0, 'exit code');
    }],
    ['bad uri', async () => {
        const consumer = FluidRedis.StreamConsumer.new('http://nowhere/', 's', 'g', null);
        await consumer.startup_async(null);
        await assertRejects(consumer.wait_for_shutdown_async(null), e => {
            assert(e.matches(FluidRedis.error_quark(), FluidRedis.Error.INVALID_URI), `${e}`);
        });
    }],
]);
