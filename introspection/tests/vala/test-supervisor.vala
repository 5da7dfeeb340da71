/* test-supervisor.vala: restart strategies from Vala: a factory written in
 * Vala, a replacement seen through child-restarted and the list model, and
 * the intensity's RESTART_LIMIT
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Sleeps until it is stopped or told to crash. */
class Flaky : Fluid.Worker {
    public Flaky () {
        Object (name: "flaky");
    }

    public override async bool run (Cancellable? cancellable) throws Error {
        while (is_running ()) {
            yield sleep (3600, cancellable);
        }
        return true;
    }

    public void crash () {
        fail (new IOError.FAILED ("crashed"));
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

Flaky child_at (Fluid.Workers group, uint position) {
    return (Flaky) group.get_item (position);
}

async void test_replacement () throws Error {
    var group = new Fluid.Workers ();
    var made = 0;
    var restarted = 0;
    string changes = "";

    group.restart_strategy = Fluid.RestartStrategy.ONE_FOR_ONE;
    group.add_child (Fluid.Restart.PERMANENT, (g) => {
        made++;
        return new Flaky ();
    });
    group.child_restarted.connect ((old_child, new_child) => {
        assert (old_child.is_stopped ());
        assert (old_child != new_child);
        restarted++;
    });
    group.items_changed.connect ((position, removed, added) => {
        changes += "%u-%u+%u".printf (position, removed, added);
    });
    yield group.startup (null);

    var first = child_at (group, 0);
    yield wait_until (() => first.is_running ());
    first.crash ();
    yield wait_until (() => restarted == 1);
    assert (made == 2);
    assert (changes == "0-1+1");
    assert (child_at (group, 0) != first);
    assert (group.get_child_restarts (0) == 1);
    yield group.shutdown (null);
}

async void test_restart_limit () throws Error {
    var group = new Fluid.Workers ();

    group.restart_strategy = Fluid.RestartStrategy.ONE_FOR_ONE;
    group.max_restarts = 0;
    group.add_child (Fluid.Restart.TRANSIENT, (g) => new Flaky ());
    yield group.startup (null);
    var child = child_at (group, 0);
    yield wait_until (() => child.is_running ());
    child.crash ();
    try {
        yield group.wait_for_shutdown (null);
        assert_not_reached ();
    } catch (Fluid.WorkerError e) {
        assert (e is Fluid.WorkerError.RESTART_LIMIT);
    }
    assert (group.get_exit_code () == 2);
}


int main (string[] args) {
    GLib.Test.init (ref args);
    /* A worker that fails logs a warning (the lifecycle's failure
     * event): the tests fail workers on purpose, so criticals alone
     * abort. */
    GLib.Log.set_always_fatal (GLib.LogLevelFlags.LEVEL_ERROR | GLib.LogLevelFlags.LEVEL_CRITICAL);

    GLib.Test.add_func ("/vala/supervisor/replacement", () => {
        var looper = new Looper ();
        test_replacement.begin (looper.done);
        try {
            test_replacement.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });
    GLib.Test.add_func ("/vala/supervisor/restart-limit", () => {
        var looper = new Looper ();
        test_restart_limit.begin (looper.done);
        try {
            test_restart_limit.end (looper.run ());
        } catch (Error e) {
            error ("unexpected error: %s", e.message);
        }
    });

    return GLib.Test.run ();
}
