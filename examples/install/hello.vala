/* hello.vala: a first Vala program against an installed libfluid-glib.
 *
 * A supervised group (one-for-one) with a consumer that hashes its
 * messages on two threads, exported on the session bus when there is one.
 * Build and run it as the chapter "Installing and building against
 * libfluid-glib" says:
 *
 *   valac --pkg fluid-glib-1.0 hello.vala
 *   ./hello
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

int main () {
    stdout.printf ("libfluid-glib %d.%d.%d\n", Fluid.MAJOR_VERSION, Fluid.MINOR_VERSION, Fluid.MICRO_VERSION);

    var group = new Fluid.Workers ();
    group.restart_strategy = Fluid.RestartStrategy.ONE_FOR_ONE;

    var hashed = 0;
    var consumer = new Fluid.QueueConsumerWorker.threaded (2, (worker, message, cancellable) => {
        var text = message.get_string ();
        var checksum = Checksum.compute_for_string (ChecksumType.SHA256, text);
        stdout.printf ("%s %s\n", checksum.substring (0, 16), text);
        if (AtomicInt.add (ref hashed, 1) == 2)
            group.gracefully_stop ();
        return true;
    });
    group.add_worker (consumer);

    /* On the session bus, when there is one, for fluidctl to see:
     *   fluidctl --session NAME /org/example/Hello list */
    try {
        group.export (Bus.get_sync (BusType.SESSION), "/org/example/Hello");
    } catch (Error e) {
        stdout.printf ("not exported: %s\n", e.message);
    }

    foreach (var word in new string[] { "one", "two", "three" })
        consumer.send (word);
    return group.run_main ();
}
