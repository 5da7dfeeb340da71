// test-dbus-tree.js: a group exported from GJS, its tree read whole by a
// client's Gio.DBusObjectManagerClient over a real bus
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Run by fluid-test-bus-run, which starts a dbus-daemon of its own and
// gives its address in DBUS_SESSION_BUS_ADDRESS. (Not Gio.TestDBus: with
// GJS 1.74 a process that started dbus-daemon itself hangs at exit; one
// that only connects to a bus does not.)

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Fluid from 'gi://Fluid?version=1.0';
import System from 'system';

import {assert, assertEqual, run, waitUntil} from './harness.js';

Gio._promisify(Gio.DBusConnection, 'new_for_address', 'new_for_address_finish');
Gio._promisify(Gio.DBusConnection.prototype, 'call', 'call_finish');
Gio._promisify(Gio.DBusObjectManagerClient, 'new', 'new_finish');
Gio._promisify(Gio.DBusProxy, 'new', 'new_finish');
Gio._promisify(Gio.DBusProxy.prototype, 'call', 'call_finish');

const PATH = '/org/gnome/Fluid/Test/tree';
const WORKER1 = 'org.gnome.Fluid.Worker1';
const CONSUMER1 = 'org.gnome.Fluid.Consumer1';
const WORKERS1 = 'org.gnome.Fluid.Workers1';

const address = GLib.getenv('DBUS_SESSION_BUS_ADDRESS');
if (!address) {
    print('1..0 # SKIP no bus: run me with fluid-test-bus-run');
    System.exit(77);
}

// GJS logs an exception thrown in a signal handler or a callback from C and
// goes on: every such callback here is guarded, and the test fails on what
// they caught.
const caught = [];
const guarded = f => (...args) => {
    try {
        return f(...args);
    } catch (e) {
        caught.push(e);
        return undefined;
    }
};

// waitUntil, ended by the first exception caught, which it throws.
async function until(condition, what) {
    await waitUntil(() => caught.length > 0 || condition(), what);
    if (caught.length > 0)
        throw caught[0];
}

const ticking = name => Fluid.WorkerFunction.new_named(name, 3600, () => {});

// A connection of its own for each end: the service exports, the client
// reads through the bus daemon.
async function connect() {
    return Gio.DBusConnection.new_for_address(address,
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
        Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, null, null);
}

// The client's view: the manager's objects, the group's own proxy (the
// group is at the manager's path, not one of its objects) and the
// object-added/removed events, as "+/path" and "-/path".
class TreeClient {
    static async new(client, service) {
        const tree = new TreeClient();
        tree.manager = await Gio.DBusObjectManagerClient.new(client,
            Gio.DBusObjectManagerClientFlags.NONE, service.get_unique_name(), PATH,
            null, null);
        tree.events = [];
        tree.manager.connect('object-added', guarded((m, object) =>
            tree.events.push(`+${tree.relative(object)}`)));
        tree.manager.connect('object-removed', guarded((m, object) =>
            tree.events.push(`-${tree.relative(object)}`)));
        tree.group = await Gio.DBusProxy.new(client, Gio.DBusProxyFlags.NONE, null,
            service.get_unique_name(), PATH, WORKERS1, null);
        return tree;
    }

    relative(object) {
        return object.get_object_path().slice(PATH.length);
    }

    // {relative path: sorted names of its org.gnome interfaces}
    describe() {
        const description = {};
        for (const object of this.manager.get_objects()) {
            description[this.relative(object)] = object.get_interfaces()
                .map(i => i.get_interface_name())
                .filter(name => name.startsWith('org.gnome.'))
                .sort();
        }
        return Object.fromEntries(Object.entries(description).sort());
    }

    // A property of the object at PATH + relative, as cached by its proxy;
    // undefined until the object is there.
    prop(relative, iface, name) {
        const proxy = this.manager.get_interface(PATH + relative, iface);
        return proxy?.get_cached_property(name)?.deepUnpack();
    }

    restarts() {
        return this.group.get_cached_property('Restarts')?.deepUnpack() ?? {};
    }
}

function crash(worker) {
    worker.fail(new GLib.Error(Fluid.WorkerError, Fluid.WorkerError.FAILED, 'crash'));
}

run([
    ['the tree of a group, read and changed', async () => {
        const service = await connect();
        const client = await connect();
        try {
            const group = new Fluid.Workers({
                name: 'tree',
                restart_strategy: Fluid.RestartStrategy.ONE_FOR_ONE,
            });
            const made = [];
            group.add_child(Fluid.Restart.PERMANENT, guarded(() => {
                made.push(ticking('crashy'));
                return made[made.length - 1];
            }));
            const reader = Fluid.QueueConsumerWorker.new(() => {});
            group.add_worker(reader);
            const nested = new Fluid.Workers({name: 'sub group'});
            nested.add_worker(ticking('x'));
            nested.add_worker(ticking('x'));
            group.add_worker(nested);
            assert(group.export(service, PATH), 'exported');
            const tree = await TreeClient.new(client, service);

            // Every level in one call; "sub group" and "x#2" escaped.
            const readerPath = `/${Gio.dbus_escape_object_path(reader.name)}`;
            assertEqual(tree.describe(), Object.fromEntries(Object.entries({
                '/crashy': [WORKER1],
                [readerPath]: [CONSUMER1, WORKER1],
                '/sub_20group': [WORKER1, WORKERS1],
                '/sub_20group/x': [WORKER1],
                '/sub_20group/x_232': [WORKER1],
            }).sort()), 'tree');
            // Name is the worker's; its path tells it from its namesake.
            assertEqual(tree.prop('/sub_20group/x_232', WORKER1, 'Name'), 'x', 'Name');
            assertEqual(tree.prop('/crashy', WORKER1, 'State'), 'init', 'State');
            assertEqual(tree.group.get_cached_property('RestartStrategy').deepUnpack(),
                'one-for-one', 'RestartStrategy');
            assertEqual(tree.restarts(), {crashy: 0, [reader.name]: 0, 'sub group': 0}, 'Restarts');
            assertEqual(tree.prop('/sub_20group', WORKERS1, 'Restarts'), {x: 0, 'x#2': 0},
                'nested Restarts');

            // States and counters follow, through PropertiesChanged.
            await group.startup_async(null);
            await until(() => tree.prop('/sub_20group/x_232', WORKER1, 'State') === 'running',
                'x#2 running');
            for (const text of ['a', 'b', 'c'])
                reader.send(text);
            await until(() => tree.prop(readerPath, CONSUMER1, 'Processed') === 3,
                'Processed 3');

            // A crash: the replacement takes the path, Restarts counts it.
            crash(made[0]);
            await until(() => tree.restarts().crashy === 1, 'Restarts of crashy');
            await until(() => tree.events.length === 2, 'the replacement');
            assertEqual(tree.events, ['-/crashy', '+/crashy'], 'events');
            await until(() => tree.prop('/crashy', WORKER1, 'State') === 'running',
                'crashy running again');

            // A child joins, then leaves when stopped through the tree.
            tree.events.length = 0;
            group.add_child(Fluid.Restart.TEMPORARY, guarded(() => ticking('late')));
            await until(() => tree.prop('/late', WORKER1, 'State') === 'running', 'late');
            assertEqual(tree.events, ['+/late'], 'events');
            const late = tree.manager.get_interface(`${PATH}/late`, WORKER1);
            await late.call('Stop', null, Gio.DBusCallFlags.NONE, -1, null);
            await until(() => !('/late' in tree.describe()), 'late gone');
            assertEqual(tree.events, ['+/late', '-/late'], 'events');
            await until(() => !('late' in tree.restarts()), 'Restarts without late');

            // The whole group shut down through its own path.
            tree.events.length = 0;
            const reply = await client.call(service.get_unique_name(), PATH, WORKER1, 'Shutdown',
                null, null, Gio.DBusCallFlags.NONE, -1, null);
            assertEqual(reply.deepUnpack(), [0], 'Shutdown');
            await until(() => tree.prop('/sub_20group/x', WORKER1, 'State') === 'stopped',
                'x stopped');
            assertEqual(tree.prop('/sub_20group/x', WORKER1, 'ExitCode'), 0, 'ExitCode');
            assert(group.is_stopped(), 'group stopped');

            // Unexported: every object leaves, children before their group.
            group.unexport();
            await until(() => Object.keys(tree.describe()).length === 0, 'an empty tree');
            assertEqual(tree.events.slice().sort(), ['-/crashy', `-${readerPath}`,
                '-/sub_20group', '-/sub_20group/x', '-/sub_20group/x_232'].sort(), 'events');
            assert(tree.events.indexOf('-/sub_20group/x') < tree.events.indexOf('-/sub_20group'),
                'children first');
            assertEqual(caught.map(String), [], 'exceptions in callbacks');
        } finally {
            client.close_sync(null);
            service.close_sync(null);
        }
    }],
]);
