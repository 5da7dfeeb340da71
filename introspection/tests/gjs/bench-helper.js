// bench-helper.js: the throughput of the GJS helper's paths for messages
//
// A burst of MESSAGES messages, queued before the consumer starts, through
// each kind of JavaScript function the helper calls, and through the
// 'message' signal, which the helper leaves alone: the limit, measured in
// the same run. Each figure is the best of ROUNDS rounds, in messages a
// second, on one 'metric value' line:
//
//   gjs_helper_sync_msgs_per_s        QueueConsumerWorker.new(func), func plain
//   gjs_helper_async_msgs_per_s       QueueConsumerWorker.new(async func)
//   gjs_helper_task_msgs_per_s        QueueConsumerWorker.new_async(func), the
//                                     task completed at once by func
//   gjs_helper_dispatch_task_msgs_per_s  an AsyncConsumer, its handler
//                                     (message, task) completing the task
//   gjs_helper_dispatch_async_msgs_per_s an AsyncConsumer, its handler an
//                                     async function of the message
//   gjs_message_signal_msgs_per_s     QueueConsumerWorker.new(null) and a
//                                     'message' handler: no task, no helper
//
// and each helper path as a percentage of the signal's. On a machine that
// other processes load, a wall-clock figure says as much about them: each
// path also gets a figure in messages a second of the process's own CPU
// time (utime and stime of /proc/self/stat), NAME_cpu_msgs_per_s, the best
// of its rounds too.
//
// Run: meson test -C _build --benchmark -v gjs-bench-helper
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Fluid from 'gi://Fluid?version=1.0';
import System from 'system';

import '../../fluid.js';

const MESSAGES = 100000;
const ROUNDS = 3;

// Makes a consumer whose function calls handled() once per message.
const PATHS = [
    ['gjs_helper_sync', handled => Fluid.QueueConsumerWorker.new(() => {
        handled();
    })],
    ['gjs_helper_async', handled => Fluid.QueueConsumerWorker.new(async () => {
        handled();
    })],
    ['gjs_helper_task', handled => Fluid.QueueConsumerWorker.new_async((worker, message, task) => {
        handled();
        task.return_boolean(true);
    })],
    ['gjs_helper_dispatch_task', handled => {
        const dispatcher = Fluid.AsyncDispatcher.new(null);
        dispatcher.register_handler('m', (message, task) => {
            handled();
            task.return_boolean(true);
        });
        return Fluid.AsyncConsumer.new(dispatcher);
    }],
    ['gjs_helper_dispatch_async', handled => {
        const dispatcher = Fluid.AsyncDispatcher.new(null);
        dispatcher.register_handler('m', async () => {
            handled();
        });
        return Fluid.AsyncConsumer.new(dispatcher);
    }],
    ['gjs_message_signal', handled => {
        const consumer = Fluid.QueueConsumerWorker.new(null);
        consumer.connect('message', () => handled());
        return consumer;
    }],
];

// The CPU time the process has used, in seconds (Linux; 0 elsewhere).
function cpuSeconds() {
    try {
        const [, bytes] = GLib.file_get_contents('/proc/self/stat');
        // The fields after the command, which is in parentheses: utime and
        // stime are the 14th and 15th of the line, in clock ticks (100 a
        // second on Linux).
        const fields = new TextDecoder().decode(bytes).split(') ')[1].split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
        return 0;
    }
}

// Messages a second through the consumer that make() returns, from its
// startup to the last message handled: [wall clock, CPU time].
async function measure(make) {
    let count = 0, allHandled;
    const done = new Promise(resolve => {
        allHandled = resolve;
    });
    const consumer = make(() => {
        if (++count === MESSAGES)
            allHandled();
    });
    for (let i = 0; i < MESSAGES; i++)
        consumer.send('m');
    const start = GLib.get_monotonic_time();
    const cpuStart = cpuSeconds();
    await consumer.startup_async(null);
    await done;
    const seconds = (GLib.get_monotonic_time() - start) / GLib.USEC_PER_SEC;
    const cpu = cpuSeconds() - cpuStart;
    await consumer.shutdown_async(null);
    // Each round starts from the same heap.
    System.gc();
    return [MESSAGES / seconds, cpu > 0 ? MESSAGES / cpu : 0];
}

async function main() {
    const best = new Map(), bestCpu = new Map();
    for (let round = 0; round < ROUNDS; round++) {
        for (const [name, make] of PATHS) {
            const [rate, cpuRate] = await measure(make);
            best.set(name, Math.max(best.get(name) ?? 0, rate));
            bestCpu.set(name, Math.max(bestCpu.get(name) ?? 0, cpuRate));
        }
    }
    const limit = best.get('gjs_message_signal');
    for (const [name, rate] of best)
        print(`${name}_msgs_per_s ${rate.toFixed(0)}`);
    for (const [name, rate] of bestCpu)
        print(`${name}_cpu_msgs_per_s ${rate.toFixed(0)}`);
    for (const [name, rate] of best) {
        if (name !== 'gjs_message_signal')
            print(`${name}_vs_signal_percent ${(100 * rate / limit).toFixed(1)}`);
    }
}

const loop = new GLib.MainLoop(null, false);
let status = 0;
main().catch(error => {
    logError(error);
    status = 1;
}).finally(() => loop.quit());
loop.run();
System.exit(status);
