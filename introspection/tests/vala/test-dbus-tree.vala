/* test-dbus-tree.vala: a group exported from Vala, its tree read whole by a
 * client's DBusObjectManagerClient over a real bus
 *
 * Run by fluid-test-bus-run, which starts a dbus-daemon of its own and
 * gives its address in DBUS_SESSION_BUS_ADDRESS; skipped without it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const string PATH = "/org/gnome/Fluid/Test/tree";
const string WORKER1 = "org.gnome.Fluid.Worker1";
const string CONSUMER1 = "org.gnome.Fluid.Consumer1";
const string WORKERS1 = "org.gnome.Fluid.Workers1";

/* A test that waits longer than this has failed. */
const int GUARD_SECONDS = 20;

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

async void wait_until (owned SourceFunc condition, string what) {
    var deadline = get_monotonic_time () + GUARD_SECONDS * TimeSpan.SECOND;
    while (!condition ()) {
        if (get_monotonic_time () > deadline) {
            error ("timed out waiting for %s", what);
        }
        Idle.add (wait_until.callback, Priority.LOW);
        yield;
    }
}

Fluid.Worker ticking (string name) {
    return new Fluid.WorkerFunction.named (name, 3600, (w) => {});
}

/* The client's view of the tree. */
class TreeClient {
    public DBusObjectManager manager;
    public string[] events = {};

    public string relative (DBusObject object) {
        return object.get_object_path ().substring (PATH.length);
    }

    /* "path:interfaces" for each object, sorted: W(orker1), C(onsumer1),
     * (Worker)S(1). */
    public string describe () {
        var lines = new List<string> ();
        foreach (var object in manager.get_objects ()) {
            var line = relative (object) + ":";
            if (object.get_interface (WORKER1) != null) {
                line += "W";
            }
            if (object.get_interface (CONSUMER1) != null) {
                line += "C";
            }
            if (object.get_interface (WORKERS1) != null) {
                line += "S";
            }
            lines.insert_sorted (line, strcmp);
        }
        /* A List and a loop rather than a GenericArray and string.joinv:
         * valac 0.56 passes GenericArray.data as gpointer *, and
         * GenericArray.sort () calls a lambda of glib-2.0.vapi with const
         * pointers and no cast (vala-c-check.py). */
        var described = new StringBuilder ();
        foreach (unowned string line in lines) {
            if (described.len > 0) {
                described.append_c (' ');
            }
            described.append (line);
        }
        return described.str;
    }

    public Variant? get_property (string relative_path, string iface, string name) {
        var proxy = manager.get_interface (PATH + relative_path, iface) as DBusProxy;
        return proxy != null ? proxy.get_cached_property (name) : null;
    }

    public bool state_is (string relative_path, string state) {
        var value = get_property (relative_path, WORKER1, "State");
        return value != null && value.get_string () == state;
    }
}

uint32 restarts_of (DBusProxy group, string name) {
    var restarts = group.get_cached_property ("Restarts");
    uint32 n = 0;
    if (restarts != null) {
        restarts.lookup (name, "u", out n);
    }
    return n;
}

async void test_tree () throws Error {
    var address = Environment.get_variable ("DBUS_SESSION_BUS_ADDRESS");
    var flags = DBusConnectionFlags.AUTHENTICATION_CLIENT |
                DBusConnectionFlags.MESSAGE_BUS_CONNECTION;
    var service = yield new DBusConnection.for_address (address, flags);
    var client = yield new DBusConnection.for_address (address, flags);

    var group = (Fluid.Workers) Object.new (typeof (Fluid.Workers), name: "tree",
                                            restart_strategy: Fluid.RestartStrategy.ONE_FOR_ONE);
    Fluid.Worker[] made = {};
    group.add_child (Fluid.Restart.PERMANENT, (g) => {
        made += ticking ("crashy");
        return made[made.length - 1];
    });
    var reader = (Fluid.QueueConsumerWorker) Object.new (typeof (Fluid.QueueConsumerWorker),
                                                         name: "reader");
    group.add_worker (reader);
    var nested = (Fluid.Workers) Object.new (typeof (Fluid.Workers), name: "sub group");
    nested.add_worker (ticking ("x"));
    group.add_worker (nested);
    assert (group.export (service, PATH));

    var tree = new TreeClient ();
    /* Made and initialized as an AsyncInitable: gio-2.0.vapi of Vala 0.56
     * has the async constructor's finish return a DBusObjectManagerClient,
     * and g_dbus_object_manager_client_new_finish() returns a
     * GDBusObjectManager * (-Werror=incompatible-pointer-types). */
    var manager = (DBusObjectManagerClient) Object.new (typeof (DBusObjectManagerClient),
                                                        connection: client,
                                                        flags: DBusObjectManagerClientFlags.NONE,
                                                        name: service.unique_name,
                                                        object_path: PATH);
    yield manager.init_async (Priority.DEFAULT, null);
    tree.manager = manager;
    tree.manager.object_added.connect ((o) => { tree.events += "+" + tree.relative (o); });
    tree.manager.object_removed.connect ((o) => { tree.events += "-" + tree.relative (o); });
    /* The group is at the manager's path, not one of its objects. */
    var group_proxy = yield new DBusProxy (client, DBusProxyFlags.NONE, null, service.unique_name,
                                           PATH, WORKERS1);

    /* Every level in one call. */
    assert_cmpstr (tree.describe (), CompareOperator.EQ,
                   "/crashy:W /reader:WC /sub_20group/x:W /sub_20group:WS");
    assert_cmpstr (group_proxy.get_cached_property ("RestartStrategy").get_string (),
                   CompareOperator.EQ, "one-for-one");
    assert_cmpstr (tree.get_property ("/sub_20group", WORKERS1, "Restarts").print (false),
                   CompareOperator.EQ, "{'x': 0}");

    /* States and counters follow. */
    yield group.startup (null);
    yield wait_until (() => tree.state_is ("/sub_20group/x", "running"), "x running");
    reader.send_string ("a");
    reader.send_string ("b");
    yield wait_until (() => {
        var processed = tree.get_property ("/reader", CONSUMER1, "Processed");
        return processed != null && processed.get_uint64 () == 2;
    }, "Processed 2");

    /* A crash: the replacement takes the path, Restarts counts it. */
    made[0].fail (new IOError.FAILED ("crash"));
    yield wait_until (() => restarts_of (group_proxy, "crashy") == 1, "Restarts");
    yield wait_until (() => tree.events.length == 2, "the replacement");
    assert_cmpstr (string.joinv (" ", tree.events), CompareOperator.EQ, "-/crashy +/crashy");
    yield wait_until (() => tree.state_is ("/crashy", "running"), "crashy running again");

    /* The whole group shut down through its own path. */
    var reply = yield client.call (service.unique_name, PATH, WORKER1, "Shutdown", null,
                                   new VariantType ("(i)"), DBusCallFlags.NONE, -1);
    int32 exit_code;
    reply.get ("(i)", out exit_code);
    assert_cmpint (exit_code, CompareOperator.EQ, 0);
    yield wait_until (() => tree.state_is ("/sub_20group/x", "stopped"), "x stopped");

    /* Unexported: every object leaves. */
    tree.events = {};
    group.unexport ();
    yield wait_until (() => tree.describe () == "", "an empty tree");
    assert_cmpint (tree.events.length, CompareOperator.EQ, 4);

    yield client.close ();
    yield service.close ();
}

int main (string[] args) {
    GLib.Test.init (ref args);
    /* A worker that fails logs a warning (the lifecycle's failure
     * event): the tests fail workers on purpose, so criticals alone
     * abort. */
    GLib.Log.set_always_fatal (GLib.LogLevelFlags.LEVEL_ERROR | GLib.LogLevelFlags.LEVEL_CRITICAL);

    GLib.Test.add_func ("/vala/dbus/tree", () => {
        if (Environment.get_variable ("DBUS_SESSION_BUS_ADDRESS") == null) {
            GLib.Test.skip ("no bus: run me with fluid-test-bus-run");
            return;
        }
        var looper = new Looper ();
        test_tree.begin (looper.done);
        try {
            test_tree.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });

    return GLib.Test.run ();
}
