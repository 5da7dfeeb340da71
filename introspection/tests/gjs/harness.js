// harness.js: a minimal TAP test runner for the GJS suites of libfluid-glib
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

import Fluid from 'gi://Fluid?version=1.0';

// await worker.startup_async(null) and friends.
for (const name of ['startup', 'shutdown', 'wait_for_shutdown', 'status', 'sleep'])
    Gio._promisify(Fluid.Worker.prototype, `${name}_async`, `${name}_finish`);

// A test that waits longer than this has failed.
const GUARD_SECONDS = 10;

export class AssertionError extends Error {}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual(actual, expected, what = 'value') {
    const a = JSON.stringify(actual), e = JSON.stringify(expected);
    if (a !== e)
        throw new AssertionError(`${what}: expected ${e}, got ${a}`);
}

export async function assertRejects(promise, check, what = 'promise') {
    try {
        await promise;
    } catch (e) {
        check(e);
        return e;
    }
    throw new AssertionError(`${what} did not fail`);
}

// Resolves once condition() holds, checking at each main-context iteration
// (an idle source), and rejects after GUARD_SECONDS.
export function waitUntil(condition, what = 'condition') {
    return new Promise((resolve, reject) => {
        const deadline = GLib.get_monotonic_time() + GUARD_SECONDS * GLib.USEC_PER_SEC;
        GLib.idle_add(GLib.PRIORITY_LOW, () => {
            if (condition()) {
                resolve();
                return GLib.SOURCE_REMOVE;
            }
            if (GLib.get_monotonic_time() > deadline) {
                reject(new AssertionError(`timed out waiting for ${what}`));
                return GLib.SOURCE_REMOVE;
            }
            return GLib.SOURCE_CONTINUE;
        });
    });
}

// Runs each [name, async function, guard seconds] in turn on a main loop
// and prints TAP; a test that takes longer than its guard (by default twice
// GUARD_SECONDS) has failed.
export function run(tests) {
    const loop = new GLib.MainLoop(null, false);
    let failed = 0;

    (async () => {
        print(`1..${tests.length}`);
        for (const [index, [name, test, guardSeconds = GUARD_SECONDS * 2]] of tests.entries()) {
            let guard;
            try {
                await Promise.race([
                    test(),
                    new Promise((_, reject) => {
                        guard = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, guardSeconds, () => {
                            guard = 0;
                            reject(new AssertionError('test timed out'));
                            return GLib.SOURCE_REMOVE;
                        });
                    }),
                ]);
                print(`ok ${index + 1} ${name}`);
            } catch (e) {
                failed++;
                print(`not ok ${index + 1} ${name}`);
                for (const line of `${e}\n${e.stack ?? ''}`.split('\n'))
                    print(`# ${line}`);
            } finally {
                if (guard)
                    GLib.source_remove(guard);
            }
        }
    })().finally(() => loop.quit());

    loop.run();
    System.exit(failed ? 1 : 0);
}
