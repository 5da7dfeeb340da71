/* bus-run.c: runs a command on a private D-Bus daemon of its own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fluid-test-bus-run COMMAND [ARGUMENT...]
 *
 * Starts a dbus-daemon on a socket in a temporary folder (as
 * fluid_test_bus_new() does for the C tests), runs COMMAND with
 * DBUS_SESSION_BUS_ADDRESS and DBUS_SYSTEM_BUS_ADDRESS both set to that
 * bus, stops the bus once COMMAND has ended and exits as COMMAND did
 * (128 + the signal when a signal ended it). Exits with 77, a skipped
 * test to Meson, when dbus-daemon is not installed.
 *
 * For the binding suites that read a tree of workers over a real bus: a
 * GJS 1.74 process that starts dbus-daemon itself (Gio.TestDBus) hangs at
 * exit, one that only connects to a bus does not. COMMAND dies with this
 * program, and the bus too.
 */

#include "fluid-test-utils.h"

#include <stdio.h>

#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
#endif

static void
child_setup (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) command = NULL;
  g_autoptr(GError) error = NULL;
  FluidTestBus *bus;
  int status;

  if (argc < 2)
    {
      fprintf (stderr, "Usage: %s COMMAND [ARGUMENT...]\n", argv[0]);
      return 1;
    }

  bus = fluid_test_bus_new ();
  if (bus == NULL)
    {
      printf ("1..0 # SKIP dbus-daemon not installed\n");
      return 77;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                fluid_test_bus_get_address (bus), TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                fluid_test_bus_get_address (bus), TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  command = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv + 1, &error);
  if (command == NULL)
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      fluid_test_bus_free (bus);
      return 1;
    }

  g_subprocess_wait (command, NULL, NULL);
  if (g_subprocess_get_if_exited (command))
    status = g_subprocess_get_exit_status (command);
  else
    status = 128 + g_subprocess_get_term_sig (command);
  fluid_test_bus_free (bus);
  return status;
}
