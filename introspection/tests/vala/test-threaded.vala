/* test-threaded.vala: threaded workers and backpressure from Vala (1.2),
 * through the generated fluid-glib-1.0.vapi: a threaded consumer with a
 * lambda handler, try_send and yield send_async under max-queue-size, and
 * a threaded function worker
 *
 * A handler runs on the worker's threads: what it shares with the test is
 * atomic or under a mutex. Every wait is for a condition.
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

/* A gate a handler waits at, opened by the test. */
class Gate {
    Mutex mutex = Mutex ();
    Cond cond = Cond ();
    bool opened = false;
    int waiting = 0;

    public void pass () {
        mutex.lock ();
        waiting++;
        MainContext.default ().wakeup ();
        while (!opened)
            cond.wait (mutex);
        waiting--;
        mutex.unlock ();
    }

    public void open () {
        mutex.lock ();
        opened = true;
        cond.broadcast ();
        mutex.unlock ();
    }

    public int get_waiting () {
        mutex.lock ();
        var n = waiting;
        mutex.unlock ();
        return n;
    }
}

/* What the handlers saw. */
class Record {
    Mutex mutex = Mutex ();
    public int[] handled = {};
    public GenericSet<void*> threads = new GenericSet<void*> (direct_hash, direct_equal);

    public void add (int message) {
        mutex.lock ();
        handled += message;
        threads.add (Thread.self<void*> ());
        mutex.unlock ();
        MainContext.default ().wakeup ();
    }

    public int count () {
        mutex.lock ();
        var n = handled.length;
        mutex.unlock ();
        return n;
    }
}

async void test_threaded_consumer () throws Error {
    var record = new Record ();
    var worker = new Fluid.QueueConsumerWorker.threaded (3, (w, message, cancellable) => {
        if (message.get_int () < 0)
            throw new IOError.INVALID_DATA ("negative: %d", message.get_int ());
        record.add (message.get_int ());
        return true;
    });
    worker.stop_on_failure = false;
    var main_thread = Thread.self<void*> ();
    string[] failed = {};
    worker.message_failed.connect ((message, error) => {
        /* On the worker's context, the main thread. */
        assert_true (Thread.self<void*> () == main_thread);
        failed += "%d: %s".printf (message.get_int (), error.message);
    });

    yield worker.startup (null);
    for (var i = 0; i < 100; i++)
        worker.send (i);
    worker.send (-1);
    yield wait_until (() => record.count () == 100 && failed.length == 1);
    assert_cmpstr (failed[0], CompareOperator.EQ, "-1: negative: -1");
    assert_true (yield worker.shutdown (null));

    /* Counted once the threads told the context: by the stop. */
    var status = yield worker.status (null);
    assert_cmpuint ((uint) status.lookup_value ("processed", VariantType.UINT64).get_uint64 (),
                    CompareOperator.EQ, 100);
    assert_cmpuint ((uint) status.lookup_value ("failed", VariantType.UINT64).get_uint64 (),
                    CompareOperator.EQ, 1);

    /* Each once, never on the main thread, on at most 3 threads. */
    var seen = new bool[100];
    foreach (var message in record.handled) {
        assert_false (seen[message]);
        seen[message] = true;
    }
    assert_false (record.threads.contains (main_thread));
    assert_cmpuint (record.threads.length, CompareOperator.LE, 3);
}

async void test_failure_stops_the_worker () throws Error {
    var worker = new Fluid.QueueConsumerWorker.threaded (2, (w, message, cancellable) => {
        throw new IOError.PERMISSION_DENIED ("cannot read %s", message.get_string ());
    });
    worker.send ("/secret");
    yield worker.startup (null);
    try {
        yield worker.wait_for_shutdown (null);
        assert_not_reached ();
    } catch (IOError.PERMISSION_DENIED e) {
        assert_cmpstr (e.message, CompareOperator.EQ, "cannot read /secret");
    }
    assert_cmpint (worker.exit_code, CompareOperator.EQ, Fluid.EXIT_CODE_ERROR);
}

async void test_backpressure () throws Error {
    var record = new Record ();
    var gate = new Gate ();
    var worker = new Fluid.QueueConsumerWorker.threaded (2, (w, message, cancellable) => {
        gate.pass ();
        record.add (message.get_int ());
        return true;
    });
    worker.max_queue_size = 2;
    yield worker.startup (null);

    /* The producer yields to send_async: it waits for room, in order. */
    var sent = 0;
    var producing = true;
    produce.begin (worker, 20, (obj, res) => {
        try {
            sent = produce.end (res);
        } catch (Error e) {
            error ("the producer failed: %s", e.message);
        }
        producing = false;
    });
    /* Both threads hold a message and the queue is full: it waits. */
    yield wait_until (() => gate.get_waiting () == 2 && worker.get_queue_size () == 2);
    assert_true (producing);
    assert_false (worker.try_send (-1));
    gate.open ();
    yield wait_until (() => !producing && record.count () == 20);
    assert_cmpint (sent, CompareOperator.EQ, 20);
    assert_true (yield worker.shutdown (null));

    /* A stopped consumer takes nothing. */
    assert_false (worker.try_send (-2));
    try {
        yield worker.send_async (-3, null);
        assert_not_reached ();
    } catch (Fluid.WorkerError.STOPPED e) {
    }
    foreach (var message in record.handled)
        assert_cmpint (message, CompareOperator.GE, 0);
}

async int produce (Fluid.QueueConsumer consumer, int n) throws Error {
    for (var i = 0; i < n; i++) {
        assert_true (yield consumer.send_async (i, null));
        assert_cmpuint (consumer.get_queue_size (), CompareOperator.LE, 2);
    }
    return n;
}

async void test_threaded_function () throws Error {
    var calls = 0;
    void* thread = null;
    var worker = new Fluid.WorkerFunction.threaded_named ("sensor-reader", 0.001, (w, cancellable) => {
        thread = Thread.self<void*> ();
        if (AtomicInt.add (ref calls, 1) == 2)
            w.gracefully_stop ();
        return true;
    });
    assert_cmpstr (worker.name, CompareOperator.EQ, "sensor-reader");
    yield worker.startup (null);
    assert_true (yield worker.wait_for_shutdown (null));
    assert_cmpint (AtomicInt.get (ref calls), CompareOperator.EQ, 3);
    assert_true (thread != null && thread != Thread.self<void*> ());
    assert_cmpint (worker.exit_code, CompareOperator.EQ, Fluid.EXIT_CODE_NORMAL);
}

async void test_threaded_function_error () throws Error {
    var worker = new Fluid.WorkerFunction.threaded (0, (w, cancellable) => {
        throw new IOError.HOST_UNREACHABLE ("the sensor is gone");
    });
    yield worker.startup (null);
    try {
        yield worker.wait_for_shutdown (null);
        assert_not_reached ();
    } catch (IOError.HOST_UNREACHABLE e) {
        assert_cmpstr (e.message, CompareOperator.EQ, "the sensor is gone");
    }
    assert_cmpint (worker.exit_code, CompareOperator.EQ, Fluid.EXIT_CODE_ERROR);
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
    GLib.Test.add_func ("/vala/threaded/consumer", () => run_async ((cb) => test_threaded_consumer.begin (cb), (r) => test_threaded_consumer.end (r)));
    GLib.Test.add_func ("/vala/threaded/consumer-failure", () => run_async ((cb) => test_failure_stops_the_worker.begin (cb), (r) => test_failure_stops_the_worker.end (r)));
    GLib.Test.add_func ("/vala/threaded/backpressure", () => run_async ((cb) => test_backpressure.begin (cb), (r) => test_backpressure.end (r)));
    GLib.Test.add_func ("/vala/threaded/function", () => run_async ((cb) => test_threaded_function.begin (cb), (r) => test_threaded_function.end (r)));
    GLib.Test.add_func ("/vala/threaded/function-error", () => run_async ((cb) => test_threaded_function_error.begin (cb), (r) => test_threaded_function_error.end (r)));
    return GLib.Test.run ();
}
