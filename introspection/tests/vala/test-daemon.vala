/* test-daemon.vala: workers as daemons (1.2) from Vala: Fluid.Worker.run_main ()
 * and Fluid.Worker.export (), read, called and refused by a client over a
 * peer-to-peer connection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const string PATH = "/org/gnome/Fluid/Test/worker";
const string WORKER1 = "org.gnome.Fluid.Worker1";

class Looper {
    MainLoop loop = new MainLoop ();
    AsyncResult? result = null;

    public void done (Object? source, AsyncResult res) {
        result = res;
        loop.quit ();
    }

    public AsyncResult run () {
        loop.run ();
        return result;
    }
}

async void wait_until (owned SourceFunc condition) {
    while (!condition ()) {
        Idle.add (wait_until.callback);
        yield;
    }
}

async void test_export () throws Error {
    var dir = DirUtils.make_tmp ("fluid-vala-daemon-XXXXXX");
    var server = new DBusServer.sync ("unix:path=%s/socket".printf (dir), DBusServerFlags.NONE,
                                      DBus.generate_guid ());
    DBusConnection? service = null;
    server.new_connection.connect ((connection) => {
        service = connection;
        return true;
    });
    server.start ();
    var client = yield new DBusConnection.for_address (server.client_address,
                                                       DBusConnectionFlags.AUTHENTICATION_CLIENT);
    yield wait_until (() => service != null);

    var worker = new Fluid.WorkerFunction.named ("valaworker", 3600, (w) => {});
    uint calls = 0;
    worker.authorize_method.connect ((target, invocation, caller_uid) => {
        calls++;
        assert (target == worker);
        assert (invocation.get_method_name () == "Stop");
        return false;
    });
    assert (worker.export (service, PATH));
    yield worker.startup (null);

    var reply = yield client.call (null, PATH, "org.freedesktop.DBus.Properties", "Get",
                                   new Variant ("(ss)", WORKER1, "Name"), new VariantType ("(v)"),
                                   DBusCallFlags.NONE, -1);
    Variant name;
    reply.get ("(v)", out name);
    assert (name.get_string () == "valaworker");

    try {
        yield client.call (null, PATH, WORKER1, "Stop", null, null, DBusCallFlags.NONE, -1);
        assert_not_reached ();
    } catch (Error e) {
        assert (DBusError.get_remote_error (e) == "org.freedesktop.DBus.Error.AccessDenied");
    }
    assert (calls == 1);
    assert (worker.is_running ());

    yield worker.shutdown (null);
    worker.unexport ();
    /* The service end closes with the client's. */
    client.close_sync ();
    server.stop ();
    FileUtils.unlink (dir + "/socket");
    DirUtils.remove (dir);
}

int main (string[] args) {
    GLib.Test.init (ref args);
    /* A worker that fails logs a warning (the lifecycle's failure
     * event): the tests fail workers on purpose, so criticals alone
     * abort. */
    GLib.Log.set_always_fatal (GLib.LogLevelFlags.LEVEL_ERROR | GLib.LogLevelFlags.LEVEL_CRITICAL);

    GLib.Test.add_func ("/vala/daemon/run-main", () => {
        uint calls = 0;
        var worker = new Fluid.WorkerFunction (0, (w) => {
            if (++calls == 3) {
                w.gracefully_stop ();
            }
        });
        assert (worker.run_main () == 0);
        assert (calls == 3);
        assert (worker.get_state () == Fluid.WorkerState.STOPPED);
    });
    GLib.Test.add_func ("/vala/daemon/export", () => {
        var looper = new Looper ();
        test_export.begin (looper.done);
        try {
            test_export.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });

    return GLib.Test.run ();
}
