/* test-consumers.vala: FluidQueueConsumerWorker, FluidEvent, FluidDispatcher,
 * FluidAsyncDispatcher, FluidAsyncConsumer and FluidWorkers from Vala,
 * through the generated fluid-glib-1.0.vapi, with overrides of the
 * on_message and wait_for_workers async virtual methods
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Runs an async test on the thread-default context until it completes. */
class Looper {
    MainLoop loop = new MainLoop (null, false);
    AsyncResult? result = null;

    public void done (Object? source, AsyncResult res) {
        result = res;
        loop.quit ();
    }

    public AsyncResult run () {
        var guard = Timeout.add_seconds (10, () => {
            error ("the test timed out");
        });
        loop.run ();
        Source.remove (guard);
        return result;
    }
}

delegate bool Condition ();

async void wait_until (Condition condition) {
    while (!condition ()) {
        Idle.add (wait_until.callback, Priority.LOW);
        yield;
    }
}

/* Note: gobject-2.0.vapi of Vala 0.56 declares Value.get_variant () as owned
 * while g_value_get_variant () is transfer none: use dup_variant ().
 *
 * A FluidQueueConsumer taking its messages itself in run. */
class Taker : Fluid.QueueConsumer {
    public string[] received = {};

    public override async bool run (Cancellable? cancellable) throws Error {
        while (is_running ()) {
            Value? message = yield get_message (-1, cancellable);
            if (message == null)
                break;
            if (message.holds (typeof (string)) && message.get_string () == "")
                break;
            received += message.strdup_contents ();
        }
        return true;
    }
}

/* Overrides on_message: each message is handled asynchronously (it
 * completes at a later idle), and the next waits for it. */
class Collector : Fluid.QueueConsumerWorker {
    public string[] received = {};
    public int busy = 0;
    public int max_busy = 0;

    public override async bool on_message (Value message, Cancellable? cancellable) throws Error {
        busy++;
        max_busy = int.max (max_busy, busy);
        Idle.add (on_message.callback);
        yield;
        busy--;
        if (message.get_string () == "fail")
            throw new IOError.FAILED ("on_message failed");
        received += message.get_string ();
        return true;
    }
}

/* Overrides wait_for_workers: shuts the children down one after the other,
 * the last added first. */
class LastInFirstOut : Fluid.Workers {
    public string[] order = {};

    public override async bool wait_for_workers (Cancellable? cancellable) throws Error {
        for (var i = (int) get_n_items () - 1; i >= 0; i--) {
            var child = (Fluid.Worker) get_item (i);
            yield child.shutdown (null);
            order += child.name;
        }
        return true;
    }
}

async void test_callback () throws Error {
    Value[] received = {};
    var worker = new Fluid.QueueConsumerWorker ((w, message) => { received += message; });
    yield worker.startup (null);
    worker.send ("text");
    worker.send (42);
    worker.send_object (new Cancellable ());
    worker.send_variant (new Variant.int32 (7));
    yield wait_until (() => received.length == 4);
    assert_cmpstr (received[0].get_string (), CompareOperator.EQ, "text");
    assert_cmpint (received[1].get_int (), CompareOperator.EQ, 42);
    assert_true (received[2].get_object () is Cancellable);
    assert_cmpint (received[3].dup_variant ().get_int32 (), CompareOperator.EQ, 7);
    assert_true (yield worker.shutdown (null));
}

async void test_signal () throws Error {
    string[] received = {};
    var worker = new Fluid.QueueConsumerWorker (null);
    worker.message.connect ((message) => { received += message.get_string (); });
    yield worker.startup (null);
    worker.send_string ("hello");
    yield wait_until (() => received.length == 1);
    assert_cmpstr (received[0], CompareOperator.EQ, "hello");
    yield worker.shutdown (null);

}

async void test_get_message () throws Error {
    var taker = new Taker ();
    yield taker.startup (null);
    taker.send ("one");
    taker.send ("two");
    taker.send ("");
    assert_true (yield taker.wait_for_shutdown (null));
    assert_cmpstr (string.joinv (",", taker.received), CompareOperator.EQ, "\"one\",\"two\"");
}

async void test_on_message_override () throws Error {
    var worker = new Collector ();
    yield worker.startup (null);
    foreach (var text in new string[] { "one", "two", "three" })
        worker.send (text);
    yield wait_until (() => worker.received.length == 3);
    assert_cmpstr (string.joinv (",", worker.received), CompareOperator.EQ, "one,two,three");
    /* One message at a time. */
    assert_cmpint (worker.max_busy, CompareOperator.EQ, 1);
    var status = yield worker.status (null);
    assert_cmpuint ((uint) status.lookup_value ("processed", VariantType.UINT64).get_uint64 (),
                    CompareOperator.EQ, 3);
    assert_true (yield worker.shutdown (null));
}

async void test_on_message_error () throws Error {
    var worker = new Collector ();
    yield worker.startup (null);
    worker.send ("fail");
    try {
        yield worker.wait_for_shutdown (null);
        assert_not_reached ();
    } catch (IOError.FAILED e) {
        assert_cmpstr (e.message, CompareOperator.EQ, "on_message failed");
    }
    assert_true (worker.state == Fluid.WorkerState.STOPPED);
}

async void test_wait_for_workers_override () throws Error {
    var group = new LastInFirstOut ();
    string[] names = { "first", "second", "third" };
    foreach (var name in names)
        group.add_worker ((Fluid.Worker) Object.new (typeof (Fluid.QueueConsumerWorker), name: name));
    yield group.startup (null);
    assert_true (yield group.shutdown (null));
    assert_cmpstr (string.joinv (",", group.order), CompareOperator.EQ, "third,second,first");
    for (uint i = 0; i < group.get_n_items (); i++)
        assert_true (((Fluid.Worker) group.get_item (i)).is_stopped ());
}

void test_event () throws Error {
    var event = new Fluid.Event.from_string ("update.users");
    assert_cmpstr (event.type, CompareOperator.EQ, "update");
    assert_cmpstr (event.tag, CompareOperator.EQ, "users");
    assert_cmpstr (event.to_string (), CompareOperator.EQ, "update.users");
    assert_true (event.equal (new Fluid.Event ("update", "users")));
    try {
        new Fluid.Event.from_string ("");
        assert_not_reached ();
    } catch (Error e) {
        assert_true (e.domain != 0);
    }
}

void test_dispatcher () {
    string[] calls = {};
    var dispatcher = new Fluid.Dispatcher ((d, message) => message.get_string ().split (":")[0]);
    assert_false (dispatcher.register_handler ("add", (m) => { calls += "add " + m.get_string (); }));
    dispatcher.register_handler ("add.log", (m) => { calls += "log " + m.get_string (); });
    assert_cmpuint (dispatcher.get_n_handlers ("add"), CompareOperator.EQ, 2);
    assert_cmpuint (dispatcher.dispatch ("add:1"), CompareOperator.EQ, 2);
    assert_cmpuint (dispatcher.dispatch ("remove:2"), CompareOperator.EQ, 0);
    assert_cmpstr (string.joinv (";", calls), CompareOperator.EQ, "add add:1;log add:1");
    assert_true (dispatcher.unregister_handler ("add.log"));
    assert_cmpstr (new Fluid.Dispatcher (null).get_event_type ("ping"), CompareOperator.EQ, "ping");
}

async void test_base_dispatcher () throws Error {
    var sync = new Fluid.Dispatcher (null);
    var async_dispatcher = new Fluid.AsyncDispatcher (null);
    assert_true (typeof (Fluid.BaseDispatcher).is_abstract ());
    assert_true (sync is Fluid.BaseDispatcher);
    assert_true (async_dispatcher is Fluid.BaseDispatcher);
    assert_false (((Object) async_dispatcher) is Fluid.Dispatcher);
    assert_false (((Object) sync) is Fluid.AsyncDispatcher);
    sync.register_handler ("a", (m) => {});
    sync.register_handler ("a.x", (m) => {});
    async_dispatcher.register_handler ("a", (m, task) => { task.return_boolean (true); });
    async_dispatcher.register_handler ("a.x", (m, task) => { task.return_boolean (true); });
    Fluid.BaseDispatcher[] dispatchers = { sync, async_dispatcher };
    foreach (unowned Fluid.BaseDispatcher dispatcher in dispatchers) {
        assert_cmpuint (dispatcher.get_n_handlers ("a"), CompareOperator.EQ, 2);
        assert_cmpstr (dispatcher.get_event_type ("a"), CompareOperator.EQ, "a");
        assert_true (dispatcher.unregister_handler ("a.x"));
        assert_false (dispatcher.unregister_handler ("a.x"));
        assert_cmpuint (dispatcher.get_n_handlers ("a"), CompareOperator.EQ, 1);
    }
    assert_cmpuint (sync.dispatch ("a"), CompareOperator.EQ, 1);
    assert_cmpuint (yield async_dispatcher.dispatch_async ("a", null), CompareOperator.EQ, 1);
}

async void test_async_dispatcher () throws Error {
    string[] calls = {};
    var dispatcher = new Fluid.AsyncDispatcher (null);
    dispatcher.register_handler ("go", (message, task) => {
        Timeout.add (10, () => {
            calls += "later";
            task.return_boolean (true);
            return Source.REMOVE;
        });
    });
    dispatcher.register_handler ("go.now", (message, task) => {
        calls += "at once";
        task.return_boolean (true);
    });
    assert_cmpuint (yield dispatcher.dispatch_async ("go", null), CompareOperator.EQ, 2);
    assert_cmpstr (string.joinv (";", calls), CompareOperator.EQ, "at once;later");

    dispatcher.register_handler ("fail", (message, task) => {
        task.return_error (new IOError.FAILED ("handler failed"));
    });
    try {
        yield dispatcher.dispatch_async ("fail", null);
        assert_not_reached ();
    } catch (IOError.FAILED e) {
        assert_cmpstr (e.message, CompareOperator.EQ, "handler failed");
    }
}

async void test_async_consumer () throws Error {
    int[] calls = {};
    var dispatcher = new Fluid.AsyncDispatcher ((d, message) => message.dup_variant ().get_child_value (0).get_string ());
    dispatcher.register_handler ("job", (message, task) => {
        calls += message.dup_variant ().get_child_value (1).get_int32 ();
        task.return_boolean (true);
    });
    var consumer = new Fluid.AsyncConsumer (dispatcher);
    assert_true (consumer.get_dispatcher () == dispatcher);
    yield consumer.startup (null);
    consumer.send_variant (new Variant ("(si)", "job", 1));
    consumer.send_variant (new Variant ("(si)", "other", 2));
    consumer.send_variant (new Variant ("(si)", "job", 3));
    yield wait_until (() => calls.length == 2);
    assert_cmpint (calls[0], CompareOperator.EQ, 1);
    assert_cmpint (calls[1], CompareOperator.EQ, 3);
    assert_true (yield consumer.shutdown (null));
}

async void test_workers () throws Error {
    Fluid.Worker[] children = {};
    for (int i = 0; i < 3; i++)
        children += new Fluid.QueueConsumerWorker ((w, m) => {});
    var group = new Fluid.Workers ();
    group.add_workers (children[0:2]);
    group.add_worker (children[2]);
    assert_cmpuint (group.get_n_items (), CompareOperator.EQ, 3);
    assert_true (group.get_item_type () == typeof (Fluid.Worker));
    for (uint i = 0; i < 3; i++)
        assert_true (group.get_item (i) == children[i]);

    yield group.startup (null);
    var status = yield group.status (null);
    foreach (var child in children) {
        assert_true (child.is_running ());
        var child_status = status.lookup_value (child.name, VariantType.VARDICT);
        assert_true (child_status.lookup_value ("running", VariantType.BOOLEAN).get_boolean ());
    }
    /* A child stopping stops the group. */
    yield children[0].shutdown (null);
    yield group.wait_for_shutdown (null);
    assert_true (group.is_stopped ());
    foreach (var child in children)
        assert_true (child.is_stopped ());
}

delegate void AsyncTest (AsyncReadyCallback callback);
delegate void AsyncTestEnd (AsyncResult result) throws Error;

/* Runs an async test to its end. Tests are added with Test.add_func and a
 * lambda that captures nothing: the wrapper valac 0.56 writes for
 * Test.add_data_func's closure takes a gpointer where GTestDataFunc takes a
 * gconstpointer, which -Werror=incompatible-pointer-types refuses
 * (glib-2.0.vapi's, not the library's; vala-c-check.py). */
void run_async (AsyncTest begin, AsyncTestEnd end) {
    var looper = new Looper ();
    begin (looper.done);
    try {
        end (looper.run ());
    } catch (Error e) {
        error ("unexpected error: %s", e.message);
    }
}

int main (string[] args) {
    GLib.Test.init (ref args);
    /* A worker that fails logs a warning (the lifecycle's failure
     * event): the tests fail workers on purpose, so criticals alone
     * abort. */
    GLib.Log.set_always_fatal (GLib.LogLevelFlags.LEVEL_ERROR | GLib.LogLevelFlags.LEVEL_CRITICAL);
    GLib.Test.add_func ("/vala/consumers/callback", () => run_async ((cb) => test_callback.begin (cb), (r) => test_callback.end (r)));
    GLib.Test.add_func ("/vala/consumers/signal", () => run_async ((cb) => test_signal.begin (cb), (r) => test_signal.end (r)));
    GLib.Test.add_func ("/vala/consumers/get-message", () => run_async ((cb) => test_get_message.begin (cb), (r) => test_get_message.end (r)));
    GLib.Test.add_func ("/vala/consumers/on-message", () => run_async ((cb) => test_on_message_override.begin (cb), (r) => test_on_message_override.end (r)));
    GLib.Test.add_func ("/vala/consumers/on-message-error", () => run_async ((cb) => test_on_message_error.begin (cb), (r) => test_on_message_error.end (r)));
    GLib.Test.add_func ("/vala/event", () => {
        try {
            test_event ();
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/dispatcher/sync", test_dispatcher);
    GLib.Test.add_func ("/vala/dispatcher/async", () => run_async ((cb) => test_async_dispatcher.begin (cb), (r) => test_async_dispatcher.end (r)));
    GLib.Test.add_func ("/vala/dispatcher/base", () => run_async ((cb) => test_base_dispatcher.begin (cb), (r) => test_base_dispatcher.end (r)));
    GLib.Test.add_func ("/vala/async-consumer", () => run_async ((cb) => test_async_consumer.begin (cb), (r) => test_async_consumer.end (r)));
    GLib.Test.add_func ("/vala/workers", () => run_async ((cb) => test_workers.begin (cb), (r) => test_workers.end (r)));
    GLib.Test.add_func ("/vala/workers/wait-for-workers", () => run_async ((cb) => test_wait_for_workers_override.begin (cb), (r) => test_wait_for_workers_override.end (r)));
    return GLib.Test.run ();
}
