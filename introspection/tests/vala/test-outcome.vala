/* test-outcome.vala: how a worker ended and message failures (1.2) from
 * Vala: the exit-code and stop-reason properties, Fluid.Worker.fail (), and
 * for consumers the stop-on-failure property, the message-failed signal and
 * the 'failed' status key
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Fails the messages that are not strings starting with "ok". */
class PickyWorker : Fluid.QueueConsumerWorker {
    public int handled = 0;

    public override async bool on_message (Value message, Cancellable? cancellable) throws Error {
        handled++;
        if (!message.holds (typeof (string)) || !message.get_string ().has_prefix ("ok")) {
            throw new IOError.INVALID_DATA ("cannot handle it");
        }
        return true;
    }
}

/* Ignores its cancellable: only a forced stop ends it. */
class StubbornWorker : Fluid.Worker {
    public override async bool run (Cancellable? cancellable) throws Error {
        yield;
        return true;
    }
}

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

void counts (Variant status, out uint64 processed, out uint64 failed, out uint64 discarded) {
    var dict = new VariantDict (status);
    processed = dict.lookup_value ("processed", VariantType.UINT64).get_uint64 ();
    failed = dict.lookup_value ("failed", VariantType.UINT64).get_uint64 ();
    discarded = dict.lookup_value ("discarded", VariantType.UINT64).get_uint64 ();
}

async void test_exit_code () throws Error {
    var worker = new Fluid.WorkerFunction (0.01, (w) => {});
    assert_cmpint (worker.exit_code, CompareOperator.EQ, -1);
    assert_null (worker.stop_reason);
    yield worker.startup (null);
    assert_cmpint (worker.get_exit_code (), CompareOperator.EQ, -1);
    assert_true (yield worker.shutdown (null));
    assert_cmpint (worker.exit_code, CompareOperator.EQ, Fluid.EXIT_CODE_NORMAL);
    assert_cmpstr (worker.stop_reason, CompareOperator.EQ, "normal shutdown");

    var stubborn = (Fluid.Worker) Object.new (typeof (StubbornWorker), "stopping-grace-period", 0.05);
    yield stubborn.startup (null);
    assert_true (yield stubborn.shutdown (null));
    assert_cmpint (stubborn.exit_code, CompareOperator.EQ, Fluid.EXIT_CODE_FORCED);
    assert_cmpstr (stubborn.get_stop_reason (), CompareOperator.EQ, "forced shutdown");
}

async void test_fail () throws Error {
    var worker = new Fluid.WorkerFunction (0.01, (w) => {
        w.fail (new IOError.NO_SPACE ("out of paper"));
    });
    yield worker.startup (null);
    try {
        yield worker.wait_for_shutdown (null);
        assert_not_reached ();
    } catch (IOError.NO_SPACE e) {
        assert_cmpstr (e.message, CompareOperator.EQ, "out of paper");
    }
    assert_cmpint (worker.exit_code, CompareOperator.EQ, Fluid.EXIT_CODE_ERROR);
    assert_cmpstr (worker.stop_reason, CompareOperator.EQ, "out of paper");
}

async void test_stop_on_failure () throws Error {
    var worker = new PickyWorker ();
    assert_true (worker.stop_on_failure);
    string[] failed_messages = {};
    worker.message_failed.connect ((message, error) => {
        failed_messages += message.get_string ();
        assert_true (error is IOError.INVALID_DATA);
    });
    worker.send_string ("ok 1");
    worker.send_string ("bad");
    worker.send_string ("ok 3");
    yield worker.startup (null);
    try {
        yield worker.wait_for_shutdown (null);
        assert_not_reached ();
    } catch (IOError.INVALID_DATA e) {
    }
    assert_cmpint (worker.exit_code, CompareOperator.EQ, Fluid.EXIT_CODE_ERROR);
    assert_cmpint (failed_messages.length, CompareOperator.EQ, 1);
    assert_cmpstr (failed_messages[0], CompareOperator.EQ, "bad");
    uint64 processed, failed, discarded;
    counts (yield worker.status (null), out processed, out failed, out discarded);
    assert_cmpuint ((uint) processed, CompareOperator.EQ, 1);
    assert_cmpuint ((uint) failed, CompareOperator.EQ, 1);
    assert_cmpuint ((uint) discarded, CompareOperator.EQ, 1);
}

async void test_go_on () throws Error {
    var worker = new PickyWorker ();
    worker.stop_on_failure = false;
    int signalled = 0;
    worker.message_failed.connect (() => { signalled++; });
    yield worker.startup (null);
    worker.send_string ("ok 1");
    worker.send_string ("bad");
    worker.send_string ("ok 3");
    worker.send_string ("worse");
    yield wait_until (() => worker.handled == 4);
    assert_true (worker.is_running ());
    assert_cmpint (signalled, CompareOperator.EQ, 2);
    uint64 processed, failed, discarded;
    counts (yield worker.status (null), out processed, out failed, out discarded);
    assert_cmpuint ((uint) processed, CompareOperator.EQ, 2);
    assert_cmpuint ((uint) failed, CompareOperator.EQ, 2);
    assert_cmpuint ((uint) discarded, CompareOperator.EQ, 0);
    assert_true (yield worker.shutdown (null));
    assert_cmpint (worker.exit_code, CompareOperator.EQ, Fluid.EXIT_CODE_NORMAL);
}

int main (string[] args) {
    GLib.Test.init (ref args);
    /* A worker that fails logs a warning (the lifecycle's failure
     * event): the tests fail workers on purpose, so criticals alone
     * abort. */
    GLib.Log.set_always_fatal (GLib.LogLevelFlags.LEVEL_ERROR | GLib.LogLevelFlags.LEVEL_CRITICAL);

    GLib.Test.add_func ("/vala/outcome/exit-code", () => {
        var looper = new Looper ();
        test_exit_code.begin (looper.done);
        try {
            test_exit_code.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/outcome/fail", () => {
        var looper = new Looper ();
        test_fail.begin (looper.done);
        try {
            test_fail.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/outcome/stop-on-failure", () => {
        var looper = new Looper ();
        test_stop_on_failure.begin (looper.done);
        try {
            test_stop_on_failure.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/outcome/go-on-after-failures", () => {
        var looper = new Looper ();
        test_go_on.begin (looper.done);
        try {
            test_go_on.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });

    return GLib.Test.run ();
}
