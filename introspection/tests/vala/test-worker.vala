/* test-worker.vala: FluidWorker and FluidWorkerFunction from Vala, through
 * the generated fluid-glib-1.0.vapi
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Loops with yield sleep () while running, as the tutorial's SimpleWorker. */
class LoopingWorker : Fluid.Worker {
    public uint iterations = 0;
    public string[] messages = {};

    public override async bool run (Cancellable? cancellable) throws Error {
        while (is_running ()) {
            iterations++;
            print_message ();
            yield sleep (0.01, cancellable);
        }
        return true;
    }

    public void print_message () {
        var state = ((EnumClass) typeof (Fluid.WorkerState).class_ref ()).get_value (this.state);
        messages += "Hello from %s in state %s".printf (name, state.value_nick);
    }
}

class FailingWorker : Fluid.Worker {
    public override async bool run (Cancellable? cancellable) throws Error {
        throw new IOError.FAILED ("the disk is on fire");
    }
}

/* Ignores its cancellable: only a forced stop ends it. */
class StubbornWorker : Fluid.Worker {
    public SourceFunc? resume = null;

    public override async bool run (Cancellable? cancellable) throws Error {
        resume = run.callback;
        yield;
        return true;
    }
}

/* Overrides on_startup, on_shutdown and status as well. */
class HookedWorker : LoopingWorker {
    public string hooks = "";

    public override async bool on_startup (Cancellable? cancellable) throws Error {
        hooks += "startup;";
        return true;
    }

    public override async bool on_shutdown (Cancellable? cancellable) throws Error {
        hooks += "shutdown;";
        return true;
    }

    public override async Variant? status (Cancellable? cancellable) throws Error {
        var parent = yield base.status (cancellable);
        var dict = new VariantDict (parent);
        dict.insert_value ("hooks", new Variant.string (hooks));
        return dict.end ();
    }
}

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

/* Completes once condition () holds, checking at each idle iteration. */
async void wait_until (Condition condition) {
    while (!condition ()) {
        Idle.add (wait_until.callback, Priority.LOW);
        yield;
    }
}

async void test_worker_lifecycle () throws Error {
    var worker = new LoopingWorker ();
    Fluid.WorkerState[] states = {};
    worker.notify["state"].connect (() => { states += worker.state; });
    string? reason = null;
    int code = -1;
    worker.stopped.connect ((r, c) => { reason = r; code = c; });

    assert_true (yield worker.startup (null));
    assert_true (worker.is_running ());
    yield wait_until (() => worker.iterations >= 3);
    assert_true (yield worker.shutdown (null));

    assert_true (worker.state == Fluid.WorkerState.STOPPED);
    assert_cmpint (states.length, CompareOperator.EQ, 3);
    assert_true (states[1] == Fluid.WorkerState.STOPPING);
    assert_cmpstr (reason, CompareOperator.EQ, "normal shutdown");
    assert_cmpint (code, CompareOperator.EQ, Fluid.EXIT_CODE_NORMAL);
}

async void test_worker_simple_worker () throws Error {
    var worker = new LoopingWorker ();
    worker.print_message ();
    yield worker.startup (null);
    yield wait_until (() => worker.messages.length >= 2);
    Idle.add (() => { worker.gracefully_stop (); return Source.REMOVE; });
    yield worker.wait_for_shutdown (null);
    worker.print_message ();
    assert_cmpstr (worker.messages[0], CompareOperator.EQ, "Hello from looping_worker in state init");
    assert_cmpstr (worker.messages[1], CompareOperator.EQ, "Hello from looping_worker in state running");
    assert_cmpstr (worker.messages[worker.messages.length - 1], CompareOperator.EQ,
                   "Hello from looping_worker in state stopped");
}

async void test_worker_second_startup () throws Error {
    var worker = new LoopingWorker ();
    yield worker.startup (null);
    try {
        yield worker.startup (null);
        assert_not_reached ();
    } catch (Fluid.WorkerError.ALREADY_STARTED e) {
    }
    assert_true (worker.is_running ());
    yield worker.shutdown (null);
}

async void test_worker_error () throws Error {
    var worker = new FailingWorker ();
    int code = -1;
    worker.stopped.connect ((r, c) => { code = c; });
    yield worker.startup (null);
    try {
        yield worker.wait_for_shutdown (null);
        assert_not_reached ();
    } catch (IOError.FAILED e) {
        assert_cmpstr (e.message, CompareOperator.EQ, "the disk is on fire");
    }
    assert_cmpint (code, CompareOperator.EQ, Fluid.EXIT_CODE_ERROR);
    assert_true (worker.state == Fluid.WorkerState.STOPPED);
}

async void test_worker_force_stop () throws Error {
    var worker = (StubbornWorker) Object.new (typeof (StubbornWorker), stopping_grace_period: 0.05);
    yield worker.startup (null);
    assert_true (yield worker.shutdown (null));
    assert_true (worker.state == Fluid.WorkerState.FORCE_STOPPED);
    assert_true (worker.get_cancellable ().is_cancelled ());
    /* A late completion is dropped. */
    worker.resume ();
    MainContext.default ().iteration (false);
    assert_true (worker.state == Fluid.WorkerState.FORCE_STOPPED);
}

async void test_worker_hooks_and_status () throws Error {
    var worker = new HookedWorker ();
    yield worker.startup (null);
    yield wait_until (() => worker.iterations >= 1);
    var status = yield worker.status (null);
    assert_true (status.lookup_value ("running", VariantType.BOOLEAN).get_boolean ());
    assert_cmpstr (status.lookup_value ("hooks", VariantType.STRING).get_string (),
                   CompareOperator.EQ, "startup;");
    yield worker.shutdown (null);
    assert_cmpstr (worker.hooks, CompareOperator.EQ, "startup;shutdown;");
}

async void test_worker_sleep_cut_short () throws Error {
    var worker = new StubbornWorker ();
    yield worker.startup (null);
    Idle.add (() => { worker.gracefully_stop (); return Source.REMOVE; });
    assert_false (yield worker.sleep (60, null));
    worker.resume ();
    assert_true (yield worker.wait_for_shutdown (null));
}

async void test_worker_function () throws Error {
    uint calls = 0;
    var worker = new Fluid.WorkerFunction (0.05, (w) => { calls++; });
    assert_cmpfloat (worker.heartbeat, CompareOperator.EQ, 0.05);
    yield worker.startup (null);
    yield wait_until (() => calls >= 2);
    yield worker.shutdown (null);
    assert_true (worker.state == Fluid.WorkerState.STOPPED);
}

int main (string[] args) {
    GLib.Test.init (ref args);
    /* A worker that fails logs a warning (the lifecycle's failure
     * event): the tests fail workers on purpose, so criticals alone
     * abort. */
    GLib.Log.set_always_fatal (GLib.LogLevelFlags.LEVEL_ERROR | GLib.LogLevelFlags.LEVEL_CRITICAL);

    GLib.Test.add_func ("/vala/worker/lifecycle", () => {
        var looper = new Looper ();
        test_worker_lifecycle.begin (looper.done);
        try {
            test_worker_lifecycle.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/worker/simple-worker", () => {
        var looper = new Looper ();
        test_worker_simple_worker.begin (looper.done);
        try {
            test_worker_simple_worker.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/worker/second-startup", () => {
        var looper = new Looper ();
        test_worker_second_startup.begin (looper.done);
        try {
            test_worker_second_startup.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/worker/error", () => {
        var looper = new Looper ();
        test_worker_error.begin (looper.done);
        try {
            test_worker_error.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/worker/force-stop", () => {
        var looper = new Looper ();
        test_worker_force_stop.begin (looper.done);
        try {
            test_worker_force_stop.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/worker/hooks-and-status", () => {
        var looper = new Looper ();
        test_worker_hooks_and_status.begin (looper.done);
        try {
            test_worker_hooks_and_status.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/worker/sleep-cut-short", () => {
        var looper = new Looper ();
        test_worker_sleep_cut_short.begin (looper.done);
        try {
            test_worker_sleep_cut_short.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/worker-function", () => {
        var looper = new Looper ();
        test_worker_function.begin (looper.done);
        try {
            test_worker_function.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });

    return GLib.Test.run ();
}
