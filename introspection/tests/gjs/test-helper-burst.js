// test-helper-burst.js: bursts of messages through the GJS helper
//
// GJS before 1.81.90 refuses every callback from C while an incremental
// garbage collection is sweeping, JavaScript run between its slices
// included: the callback is not called, and its task never completes.
// Every callback of the helper gets a task (a JS wrapper each); with GJS
// 1.74.2 a burst of them reached that state after some 300 000 messages,
// and the consumer stalled for good. With such a GJS the helper runs a
// full collection every 10 000 tasks, which ends any incremental one; with
// a later GJS, which has the fix (GNOME/gjs!950), it does not, and this
// test holds GJS to it.
//
// The tests wait for the last message, and fail when none is handled for
// STALL_SECONDS (a stall), not after a time of their own.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Fluid from 'gi://Fluid?version=1.0';

import '../../fluid.js';
import {AssertionError, assertEqual, run} from './harness.js';

const MESSAGES = 400000;
const STALL_SECONDS = 30;

// Resolves once count() reaches total; rejects when it has not moved for
// STALL_SECONDS.
function waitForCount(count, total) {
    return new Promise((resolve, reject) => {
        let last = -1, lastChange = 0;
        GLib.timeout_add(GLib.PRIORITY_LOW, 50, () => {
            const now = GLib.get_monotonic_time(), current = count();
            if (current >= total) {
                resolve();
                return GLib.SOURCE_REMOVE;
            }
            if (current !== last) {
                last = current;
                lastChange = now;
            } else if (now - lastChange > STALL_SECONDS * GLib.USEC_PER_SEC) {
                reject(new AssertionError(`stalled at ${current} of ${total}`));
                return GLib.SOURCE_REMOVE;
            }
            return GLib.SOURCE_CONTINUE;
        });
    });
}

// No guard of the harness: waitForCount() fails a stalled test.
const NO_GUARD = 24 * 3600;

run([
    [`${MESSAGES} messages to a QueueConsumerWorker function`, async () => {
        let handled = 0;
        const consumer = Fluid.QueueConsumerWorker.new(() => {
            handled++;
        });
        for (let i = 0; i < MESSAGES; i++)
            consumer.send(i);
        await consumer.startup_async(null);
        await waitForCount(() => handled, MESSAGES);
        assertEqual((await consumer.status()).processed, MESSAGES, 'processed');
        await consumer.shutdown_async(null);
    }, NO_GUARD],

    [`${MESSAGES} messages to an AsyncConsumer`, async () => {
        let handled = 0;
        const dispatcher = Fluid.AsyncDispatcher.new(null);
        dispatcher.register_handler('m', (message, task) => {
            handled++;
            task.return_boolean(true);
        });
        const consumer = Fluid.AsyncConsumer.new(dispatcher);
        for (let i = 0; i < MESSAGES; i++)
            consumer.send('m');
        await consumer.startup_async(null);
        await waitForCount(() => handled, MESSAGES);
        assertEqual((await consumer.status()).processed, MESSAGES, 'processed');
        await consumer.shutdown_async(null);
    }, NO_GUARD],
]);
