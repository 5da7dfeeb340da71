/* test-callbacks.vala: every callback type of fluid-glib-1.0.vapi given a
 * lambda and a method, and the virtual methods no other Vala test
 * overrides (run_task, begin_run, pull_ready, event_type...), each called
 * as its C side says
 *
 * vala-c-check.py compiles this file (and the rest of the suite) with the
 * errors of GCC 14: the C that valac writes for each of them must match the
 * library's typedefs and vfuncs (const GValue *message, a char * returned
 * owned by an event-type function...). Every wait is for a condition.
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

/* What the callbacks were given, in order: "kind:message". Appended from
 * the threads of threaded workers too. */
class Calls {
    Mutex mutex = Mutex ();
    string[] calls = {};

    public void add (string kind, Value message) {
        mutex.lock ();
        calls += kind + ":" + message.get_string ();
        mutex.unlock ();
    }

    public int count () {
        mutex.lock ();
        var n = calls.length;
        mutex.unlock ();
        return n;
    }

    /* Sorted: consumers run side by side, each in its own order. */
    public string joined () {
        mutex.lock ();
        var sorted = new List<string> ();
        foreach (unowned string call in calls) {
            sorted.insert_sorted (call, strcmp);
        }
        mutex.unlock ();
        var text = new StringBuilder ();
        foreach (unowned string call in sorted) {
            text.append (text.len > 0 ? " " : "").append (call);
        }
        return text.str;
    }
}

Calls calls;

/* A method for each callback type, beside the lambdas of the tests. */

void message_method (Fluid.QueueConsumerWorker worker, Value message) {
    calls.add ("method", message);
}

void async_message_method (Fluid.QueueConsumerWorker worker, Value message, Task task) {
    calls.add ("async-method", message);
    task.return_boolean (true);
}

bool thread_message_method (Fluid.QueueConsumerWorker worker, Value message,
                            Cancellable? cancellable) throws Error {
    calls.add ("thread-method", message);
    return true;
}

void handler_method (Value message) {
    calls.add ("handler-method", message);
}

void async_handler_method (Value message, Task task) {
    calls.add ("async-handler-method", message);
    task.return_boolean (true);
}

string? event_type_method (Fluid.BaseDispatcher dispatcher, Value message) {
    return message.get_string ().split (":")[0];
}

int ticks = 0;

void worker_method (Fluid.Worker worker) {
    if (AtomicInt.add (ref ticks, 1) == 2) {
        worker.gracefully_stop ();
    }
}

void worker_async_method (Fluid.Worker worker, Task task) {
    if (AtomicInt.add (ref ticks, 1) == 2) {
        worker.gracefully_stop ();
    }
    task.return_boolean (true);
}

bool thread_worker_method (Fluid.Worker worker, Cancellable? cancellable) throws Error {
    if (AtomicInt.add (ref ticks, 1) == 2) {
        worker.gracefully_stop ();
    }
    return true;
}

Fluid.Worker? factory_method (Fluid.Workers group) {
    return new Fluid.WorkerFunction.named ("made", 3600, (w) => {});
}

/* Handles its messages in a loop of its own (pull_ready): each at once,
 * or, with later, the next one pulled from an idle, as a binding's loop
 * that awaits its handler does. */
class Puller : Fluid.QueueConsumerWorker {
    bool later;
    bool awaiting = false;

    public Puller (bool later) {
        Object ();
        this.later = later;
    }

    public override void pull_ready () {
        if (!awaiting) {
            pull_all ();
        }
    }

    void pull_all () {
        unowned Value? message;
        while (pull (out message) == Fluid.Pull.MESSAGE) {
            calls.add (later ? "pull-later" : "pull", message);
            if (later) {
                awaiting = true;
                Idle.add (() => {
                    awaiting = false;
                    pull_all ();
                    return Source.REMOVE;
                });
                return;
            }
        }
    }
}

/* Sends "one" and "two" to each consumer, runs them until each handled
 * both, and stops them. */
async void consume (Fluid.QueueConsumer[] consumers) throws Error {
    var expected = calls.count () + 2 * consumers.length;
    foreach (var consumer in consumers) {
        consumer.send ("one");
        consumer.send ("two");
        yield consumer.startup (null);
    }
    yield wait_until (() => calls.count () == expected);
    foreach (var consumer in consumers) {
        yield consumer.shutdown (null);
        assert_cmpint (consumer.exit_code, CompareOperator.EQ, 0);
    }
}

async void test_message_funcs () throws Error {
    calls = new Calls ();
    yield consume ({
        new Fluid.QueueConsumerWorker ((w, m) => calls.add ("lambda", m)),
        new Fluid.QueueConsumerWorker (message_method),
    });
    yield consume ({
        new Fluid.QueueConsumerWorker.@async ((w, m, task) => {
            calls.add ("async-lambda", m);
            task.return_boolean (true);
        }),
        new Fluid.QueueConsumerWorker.@async (async_message_method),
    });
    yield consume ({ new Puller (false), new Puller (true) });
    yield consume ({
        new Fluid.QueueConsumerWorker.threaded (1, (w, m, c) => {
            calls.add ("thread-lambda", m);
            return true;
        }),
        new Fluid.QueueConsumerWorker.threaded_named ("threaded", 1, thread_message_method),
    });
    assert_cmpstr (calls.joined (), CompareOperator.EQ,
                   "async-lambda:one async-lambda:two async-method:one async-method:two " +
                   "lambda:one lambda:two method:one method:two " +
                   "pull-later:one pull-later:two pull:one pull:two " +
                   "thread-lambda:one thread-lambda:two thread-method:one thread-method:two");
}

/* A dispatcher whose event type is the overridden virtual method. */
class Prefixed : Fluid.Dispatcher {
    public Prefixed () {
        Object ();
    }

    public override string? event_type (Value message) {
        return message.get_string ().split (":")[0];
    }
}

async void test_dispatchers () throws Error {
    calls = new Calls ();
    var dispatcher = new Fluid.Dispatcher ((d, m) => m.get_string ().split (":")[0]);
    dispatcher.register_handler ("a", (m) => calls.add ("handler-lambda", m));
    dispatcher.register_handler ("b", handler_method);
    assert_cmpuint (dispatcher.dispatch ("a:1"), CompareOperator.EQ, 1);
    assert_cmpuint (dispatcher.dispatch ("b:2"), CompareOperator.EQ, 1);

    var prefixed = new Prefixed ();
    prefixed.register_handler ("c", handler_method);
    assert_cmpstr (prefixed.get_event_type ("c:3"), CompareOperator.EQ, "c");
    assert_cmpuint (prefixed.dispatch ("c:3"), CompareOperator.EQ, 1);

    var async_dispatcher = new Fluid.AsyncDispatcher (event_type_method);
    async_dispatcher.register_handler ("d", (m, task) => {
        calls.add ("async-handler-lambda", m);
        task.return_boolean (true);
    });
    async_dispatcher.register_handler ("e", async_handler_method);
    assert_cmpuint (yield async_dispatcher.dispatch_async ("d:4", null), CompareOperator.EQ, 1);
    assert_cmpuint (yield async_dispatcher.dispatch_async ("e:5", null), CompareOperator.EQ, 1);

    assert_cmpstr (calls.joined (), CompareOperator.EQ,
                   "async-handler-lambda:d:4 async-handler-method:e:5 " +
                   "handler-lambda:a:1 handler-method:b:2 handler-method:c:3");
}

/* Runs each worker until it stopped itself, after three calls. */
async void run_three_times (Fluid.Worker[] workers) throws Error {
    foreach (var worker in workers) {
        ticks = 0;
        yield worker.startup (null);
        yield worker.wait_for_shutdown (null);
        assert_cmpint (AtomicInt.get (ref ticks), CompareOperator.GE, 3);
        assert_cmpint (worker.exit_code, CompareOperator.EQ, 0);
    }
}

async void test_worker_funcs () throws Error {
    yield run_three_times ({
        new Fluid.WorkerFunction (0, (w) => {
            if (AtomicInt.add (ref ticks, 1) == 2) {
                w.gracefully_stop ();
            }
        }),
        new Fluid.WorkerFunction.named ("method", 0, worker_method),
        new Fluid.WorkerFunction.@async ("async-lambda", 0, (w, task) => {
            if (AtomicInt.add (ref ticks, 1) == 2) {
                w.gracefully_stop ();
            }
            task.return_boolean (true);
        }),
        new Fluid.WorkerFunction.@async ("async-method", 0, worker_async_method),
        new Fluid.WorkerFunction.threaded (0, (w, c) => {
            if (AtomicInt.add (ref ticks, 1) == 2) {
                w.gracefully_stop ();
            }
            return true;
        }),
        new Fluid.WorkerFunction.threaded_named ("thread-method", 0, thread_worker_method),
    });
}

async void test_factories () throws Error {
    var group = new Fluid.Workers ();
    group.restart_strategy = Fluid.RestartStrategy.ONE_FOR_ONE;
    group.add_child (Fluid.Restart.PERMANENT, (g) => new Fluid.WorkerFunction.named ("lambda", 3600, (w) => {}));
    group.add_child (Fluid.Restart.PERMANENT, factory_method);
    assert_cmpuint (group.get_n_items (), CompareOperator.EQ, 2);
    yield group.startup (null);
    var first = (Fluid.Worker) group.get_item (0);
    yield first.shutdown (null);
    yield wait_until (() => group.get_child_restarts (0) == 1 &&
                            ((Fluid.Worker) group.get_item (0)).is_running ());
    assert_cmpstr (((Fluid.Worker) group.get_item (0)).name, CompareOperator.EQ, "lambda");
    assert_cmpstr (((Fluid.Worker) group.get_item (1)).name, CompareOperator.EQ, "made");
    yield group.shutdown (null);
}

/* The body of a TaskWorker, and after_shutdown, overridden: it loops three
 * times, then stops itself. */
class Counter : Fluid.TaskWorker {
    public int loops = 0;
    public string? reason = null;

    public override void run_task (Task task) {
        loop.begin (task.get_cancellable (), (obj, res) => {
            loop.end (res);
            task.return_boolean (true);
        });
    }

    async void loop (Cancellable? cancellable) {
        while (is_running ()) {
            if (++loops == 3) {
                gracefully_stop ();
            }
            try {
                yield sleep (0, cancellable);
            } catch (Error e) {
                return;
            }
        }
    }

    public override void after_shutdown (string reason, int exit_code) {
        this.reason = reason;
    }
}

async void test_task_worker () throws Error {
    var counter = new Counter ();
    assert_null (counter.stop_reason);
    yield counter.startup (null);
    yield counter.wait_for_shutdown (null);
    assert_cmpint (counter.loops, CompareOperator.EQ, 3);
    assert_cmpstr (counter.reason, CompareOperator.EQ, "normal shutdown");
    assert_cmpstr (counter.stop_reason, CompareOperator.EQ, "normal shutdown");
}

/* A run without a task (begin_run): ended from an idle, with an error
 * when failing. */
class Begun : Fluid.Worker {
    bool failing;

    public Begun (bool failing) {
        Object ();
        this.failing = failing;
    }

    public override void begin_run () {
        Idle.add (() => {
            if (failing) {
                fail_run (new IOError.INVALID_DATA ("begun and failed"));
            } else {
                complete_run ();
            }
            return Source.REMOVE;
        });
    }
}

async void test_begin_run () throws Error {
    var done = new Begun (false);
    yield done.startup (null);
    yield done.wait_for_shutdown (null);
    assert_cmpint (done.exit_code, CompareOperator.EQ, 0);

    var failed = new Begun (true);
    yield failed.startup (null);
    try {
        yield failed.wait_for_shutdown (null);
        assert_not_reached ();
    } catch (IOError.INVALID_DATA e) {
        assert_cmpstr (e.message, CompareOperator.EQ, "begun and failed");
    }
    assert_cmpint (failed.exit_code, CompareOperator.EQ, 2);
}

delegate void AsyncTest (AsyncReadyCallback callback);
delegate void AsyncTestEnd (AsyncResult result) throws Error;

/* Runs an async test to its end (see test-consumers.vala for why not
 * Test.add_data_func). */
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
    GLib.Test.add_func ("/vala/callbacks/message-funcs", () => run_async ((cb) => test_message_funcs.begin (cb), (r) => test_message_funcs.end (r)));
    GLib.Test.add_func ("/vala/callbacks/dispatchers", () => run_async ((cb) => test_dispatchers.begin (cb), (r) => test_dispatchers.end (r)));
    GLib.Test.add_func ("/vala/callbacks/worker-funcs", () => run_async ((cb) => test_worker_funcs.begin (cb), (r) => test_worker_funcs.end (r)));
    GLib.Test.add_func ("/vala/callbacks/factories", () => run_async ((cb) => test_factories.begin (cb), (r) => test_factories.end (r)));
    GLib.Test.add_func ("/vala/callbacks/task-worker", () => run_async ((cb) => test_task_worker.begin (cb), (r) => test_task_worker.end (r)));
    GLib.Test.add_func ("/vala/callbacks/begin-run", () => run_async ((cb) => test_begin_run.begin (cb), (r) => test_begin_run.end (r)));
    return GLib.Test.run ();
}
