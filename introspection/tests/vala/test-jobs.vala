/* test-jobs.vala: Fluid.JobWorker and Fluid.Job from Vala (1.2), through
 * the generated fluid-glib-1.0.vapi: a lambda job function on 2 threads,
 * priorities, yield job.wait (out output), a failed job, a cancelled one
 *
 * Every wait is for a condition.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

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

async void run_jobs () throws Error {
    var worker = new Fluid.JobWorker (2, (job, cancellable) => {
        int n = job.get_input ().get_int ();
        if (n < 0)
            throw new IOError.INVALID_ARGUMENT ("negative: %d", n);
        var output = Value (typeof (int));
        output.set_int (n * n);
        job.set_output (output);
        return true;
    });
    yield worker.startup (null);

    var input = Value (typeof (int));
    input.set_int (12);
    var job = worker.submit (input, Priority.HIGH, null);
    Value output;
    assert (yield job.wait (null, out output));
    assert (output.get_int () == 144);
    assert (job.state == Fluid.JobState.SUCCEEDED);
    assert (job.priority == Priority.HIGH);

    input.set_int (-1);
    var failing = worker.submit (input, Priority.DEFAULT, null);
    try {
        yield failing.wait (null, out output);
        assert_not_reached ();
    } catch (IOError.INVALID_ARGUMENT e) {
        assert (failing.state == Fluid.JobState.FAILED);
    }

    yield worker.shutdown (null);
    input.set_int (3);
    var late = worker.submit (input, Priority.DEFAULT, null);
    assert (late.state == Fluid.JobState.CANCELLED);
    try {
        yield late.wait (null, out output);
        assert_not_reached ();
    } catch (Fluid.WorkerError.STOPPED e) {
    }
    assert (worker.processed == 1);
    assert (worker.failed == 1);
    assert (worker.cancelled == 1);
}

void test_jobs () {
    var looper = new Looper ();
    run_jobs.begin (looper.done);
    try {
        run_jobs.end (looper.run ());
    } catch (Error e) {
        error ("%s", e.message);
    }
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/jobs", test_jobs);
    return Test.run ();
}
