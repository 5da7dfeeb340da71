// test-supervisor.js: restart strategies from GJS: a factory written in
// JavaScript, a replacement seen through child-restarted and the list
// model, and the intensity's RESTART_LIMIT
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Fluid from 'gi://Fluid?version=1.0';

import * as FluidJs from '../../fluid.js';
import {assert, assertEqual, assertRejects, run, waitUntil} from './harness.js';

const Flaky = GObject.registerClass(
class Flaky extends FluidJs.Worker {
    async run(cancellable) {
        while (this.is_running())
            await this.sleep_async(3600, cancellable);
    }
});

function crash(worker) {
    worker.fail(new GLib.Error(Fluid.WorkerError, Fluid.WorkerError.FAILED, 'crashed'));
}

run([
    ['a factory written in JavaScript replaces a crashed child', async () => {
        const made = [];
        const group = new Fluid.Workers({restart_strategy: Fluid.RestartStrategy.ONE_FOR_ONE});
        group.add_child(Fluid.Restart.PERMANENT, () => {
            made.push(new Flaky({name: 'flaky'}));
            return made[made.length - 1];
        });
        const changes = [], restarted = [];
        group.connect('items-changed', (g, position, removed, added) => changes.push([position, removed, added]));
        group.connect('child-restarted', (g, oldChild, newChild) => restarted.push([oldChild, newChild]));
        await group.startup_async(null);
        await waitUntil(() => made[0].is_running(), 'the first child');
        crash(made[0]);
        await waitUntil(() => restarted.length === 1, 'the replacement');
        assert(restarted[0][0] === made[0] && restarted[0][1] === made[1], 'old and new');
        assertEqual(changes, [[0, 1, 1]], 'items-changed');
        assert([...group][0] === made[1], 'the replacement is in place');
        const status = await group.status();
        assertEqual(status.flaky.restarts, 1, 'restarts');
        await group.shutdown_async(null);
    }],
    ['more restarts than max-restarts: RESTART_LIMIT', async () => {
        const group = new Fluid.Workers({restart_strategy: Fluid.RestartStrategy.ONE_FOR_ONE, max_restarts: 0});
        group.add_child(Fluid.Restart.TRANSIENT, () => new Flaky());
        await group.startup_async(null);
        const child = [...group][0];
        await waitUntil(() => child.is_running(), 'the child');
        crash(child);
        await assertRejects(group.wait_for_shutdown_async(null),
            e => assert(e.matches(Fluid.WorkerError, Fluid.WorkerError.RESTART_LIMIT), `${e} is RESTART_LIMIT`));
        assertEqual(group.exit_code, Fluid.EXIT_CODE_ERROR, 'exit code');
    }],
]);
