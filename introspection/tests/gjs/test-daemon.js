// test-daemon.js: workers as daemons (1.2) from GJS: Fluid.Worker.run_main()
// and Fluid.Worker.export() read, called and refused by a client over a
// peer-to-peer connection
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Fluid from 'gi://Fluid?version=1.0';

import {assert, assertEqual, assertRejects, run, waitUntil} from './harness.js';

Gio._promisify(Gio.DBusConnection.prototype, 'call', 'call_finish');
Gio._promisify(Gio.DBusConnection, 'new_for_address', 'new_for_address_finish');

const PATH = '/org/gnome/Fluid/Test/worker';
const WORKER1 = 'org.gnome.Fluid.Worker1';

// A peer-to-peer connection: the service end, which exports, and the client
// end. (Not Gio.TestDBus: with GJS 1.74, a process that forked dbus-daemon
// hangs in its exit.) Peer to peer, the caller's uid is the peer's
// credentials.
function withPeer(test) {
    return async () => {
        const dir = Gio.File.new_for_path(GLib.dir_make_tmp('fluid-gjs-daemon-XXXXXX'));
        const server = Gio.DBusServer.new_sync(`unix:path=${dir.get_path()}/socket`,
            Gio.DBusServerFlags.NONE, Gio.dbus_generate_guid(), null, null);
        let service = null;
        server.connect('new-connection', (s, connection) => {
            service = connection;
            return true;
        });
        server.start();
        const client = await Gio.DBusConnection.new_for_address(server.get_client_address(),
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, null, null);
        await waitUntil(() => service !== null, 'the service end');

        const call = async (iface, method, parameters = null) =>
            (await client.call(null, PATH, iface, method, parameters,
                null, Gio.DBusCallFlags.NONE, -1, null)).deepUnpack();
        const get = async name =>
            (await call('org.freedesktop.DBus.Properties', 'Get',
                new GLib.Variant('(ss)', [WORKER1, name])))[0].deepUnpack();
        try {
            await test(service, call, get);
        } finally {
            // The service end closes with the client's.
            client.close_sync(null);
            // The server removes its socket when it stops.
            server.stop();
            try {
                dir.get_child('socket').delete(null);
            } catch (e) {
                // Gone with the server.
            }
            dir.delete(null);
        }
    };
}

run([
    ['run_main returns the exit code', async () => {
        let calls = 0;
        const worker = Fluid.WorkerFunction.new(0, w => {
            if (++calls === 3)
                w.gracefully_stop();
        });
        assertEqual(worker.run_main(), 0, 'exit code');
        assertEqual(calls, 3, 'calls');
        assertEqual(worker.get_state(), Fluid.WorkerState.STOPPED, 'state');
    }],

    ['export, read and shut down', withPeer(async (service, call, get) => {
        const worker = Fluid.WorkerFunction.new_named('jsworker', 3600, () => {});
        assert(worker.export(service, PATH), 'exported');
        assertEqual(await get('Name'), 'jsworker', 'Name');
        assertEqual(await get('State'), 'init', 'State');
        await worker.startup_async(null);
        assertEqual(await get('State'), 'running', 'State');
        assertEqual(await call(WORKER1, 'Shutdown'), [0], 'Shutdown');
        assertEqual(await get('StopReason'), 'normal shutdown', 'StopReason');
        worker.unexport();
    })],

    ['authorize-method refuses', withPeer(async (service, call, get) => {
        const worker = Fluid.WorkerFunction.new(3600, () => {});
        const seen = [];
        worker.connect('authorize-method', (w, target, invocation, uid) => {
            seen.push([target === worker, invocation.get_method_name()]);
            return false;
        });
        worker.export(service, PATH);
        await worker.startup_async(null);
        await assertRejects(call(WORKER1, 'Stop'), e =>
            assertEqual(Gio.DBusError.get_remote_error(e), 'org.freedesktop.DBus.Error.AccessDenied',
                'error'));
        assertEqual(seen, [[true, 'Stop']], 'handler calls');
        assert(worker.is_running(), 'still running');
        await worker.shutdown_async(null);
        worker.unexport();
    })],
]);
