/* simple-worker.vala: the SimpleWorker of the aio-fluid tutorial, in Vala
 *
 * A worker that prints its name and state every second until it is told to
 * stop gracefully, five seconds (FLUID_DEMO_SECONDS) after it started.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

class SimpleWorker : Fluid.Worker {
    public override async bool run (Cancellable? cancellable) throws Error {
        while (is_running ()) {
            print_message ();
            yield sleep (1, cancellable);
        }
        return true;
    }

    public void print_message () {
        var states = (EnumClass) typeof (Fluid.WorkerState).class_ref ();
        print ("Hello from %s in state %s\n", name, states.get_value (state).value_nick);
    }
}

async void run_demo (SimpleWorker worker) throws Error {
    worker.print_message ();
    yield worker.startup (null);
    var seconds = double.parse (Environment.get_variable ("FLUID_DEMO_SECONDS") ?? "5");
    Timeout.add ((uint) (seconds * 1000), () => {
        worker.gracefully_stop ();
        return Source.REMOVE;
    });
    yield worker.wait_for_shutdown (null);
    worker.print_message ();
}

int main () {
    var loop = new MainLoop (null, false);
    var worker = new SimpleWorker ();
    run_demo.begin (worker, (obj, res) => {
        try {
            run_demo.end (res);
        } catch (Error e) {
            printerr ("The worker failed: %s\n", e.message);
        }
        loop.quit ();
    });
    loop.run ();
    return worker.state == Fluid.WorkerState.STOPPED ? 0 : 1;
}
