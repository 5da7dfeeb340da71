/* run-main-helper.c: a daemon for test-run-main, which signals it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * run-main-helper MODE [GRACE_PERIOD]
 *
 * Runs one worker with fluid_worker_run_main() and exits with its exit
 * code. MODE is what the worker's run does: "graceful" loops until asked
 * to stop, "stuck" ignores a graceful stop and ends only when forced,
 * "fail" fails at once, "return" returns at once. GRACE_PERIOD is the
 * worker's stopping grace period in seconds (default 3600: only a second
 * signal forces it). Prints one line to stdout as each thing happens:
 * "started", "stopping", "stopped EXIT_CODE REASON".
 *
 * MODE "bus" runs a daemon on the session bus instead: the group "daemon"
 * (stop-all: a child that stops stops it) of two "graceful" workers, "a"
 * and "b", exported at HELPER_BUS_PATH under the name HELPER_BUS_NAME,
 * which it owns once exported. It prints "ready" once it owns the name
 * and both children run, and nothing else; it exits as soon as
 * fluid_worker_run_main() returns, as `return fluid_worker_run_main ()`
 * would.
 */

#include "fluid-test-utils.h"

#include <stdio.h>
#include <stdlib.h>

#define HELPER_BUS_NAME "org.gnome.Fluid.Test"
#define HELPER_BUS_PATH "/org/gnome/Fluid/Test"

static void
say (const char *line)
{
  printf ("%s\n", line);
  fflush (stdout);
}

static void
started_cb (FluidWorker *worker,
            gpointer     user_data)
{
  say ("started");
}

static void
stopping_cb (FluidWorker *worker,
             gpointer     user_data)
{
  say ("stopping");
}

static void
stopped_cb (FluidWorker *worker,
            const char  *reason,
            int          exit_code,
            gpointer     user_data)
{
  g_autofree char *line = g_strdup_printf ("stopped %d %s", exit_code, reason);

  say (line);
}

/* "bus": what has to happen before "ready". */
typedef struct
{
  gboolean acquired;
  guint    n_running;
} BusReady;

static void
bus_ready_check (BusReady *ready)
{
  if (ready->acquired && ready->n_running == 2)
    say ("ready");
}

static void
bus_name_acquired_cb (GDBusConnection *connection,
                      const char      *name,
                      gpointer         user_data)
{
  BusReady *ready = user_data;

  ready->acquired = TRUE;
  bus_ready_check (ready);
}

static void
bus_child_started_cb (FluidWorker *worker,
                      gpointer     user_data)
{
  BusReady *ready = user_data;

  ready->n_running++;
  bus_ready_check (ready);
}

/* The group of "bus": exported, its name asked for, before it runs. NULL
 * with a message if the bus is not there. */
static FluidWorker *
bus_group_new (BusReady         *ready,
               GDBusConnection **out_bus)
{
  g_autoptr(FluidWorkers) group = g_object_new (FLUID_TYPE_WORKERS, "name", "daemon", NULL);
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    {
      fprintf (stderr, "No session bus: %s\n", error->message);
      return NULL;
    }
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(FluidTestWorker) child = NULL;

      child = fluid_test_worker_new_named (i == 0 ? "a" : "b", FLUID_TEST_RUN_SLEEP_LOOP,
                                           3600.0, 3600.0);
      g_signal_connect (child, "started", G_CALLBACK (bus_child_started_cb), ready);
      fluid_workers_add_worker (group, FLUID_WORKER (child));
    }
  if (!fluid_worker_export (FLUID_WORKER (group), bus, HELPER_BUS_PATH, &error))
    {
      fprintf (stderr, "Not exported: %s\n", error->message);
      return NULL;
    }
  /* Whoever sees the name finds the tree. */
  g_bus_own_name_on_connection (bus, HELPER_BUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
                                bus_name_acquired_cb, NULL, ready, NULL);
  *out_bus = g_steal_pointer (&bus);
  return FLUID_WORKER (g_steal_pointer (&group));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  BusReady ready = { FALSE, 0 };
  FluidTestRun run = FLUID_TEST_RUN_SLEEP_LOOP;
  double grace_period = 3600.0;
  int exit_code;

  if (argc < 2 || argc > 3)
    {
      fprintf (stderr, "Usage: %s graceful|stuck|fail|return|bus [GRACE_PERIOD]\n", argv[0]);
      return 64;
    }
  if (g_str_equal (argv[1], "graceful"))
    run = FLUID_TEST_RUN_SLEEP_LOOP;
  else if (g_str_equal (argv[1], "stuck"))
    run = FLUID_TEST_RUN_UNTIL_CANCELLED;
  else if (g_str_equal (argv[1], "fail"))
    run = FLUID_TEST_RUN_FAIL;
  else if (g_str_equal (argv[1], "return"))
    run = FLUID_TEST_RUN_RETURN;
  else if (!g_str_equal (argv[1], "bus"))
    {
      fprintf (stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
      return 64;
    }
  if (argc == 3)
    grace_period = g_ascii_strtod (argv[2], NULL);

  if (g_str_equal (argv[1], "bus"))
    {
      worker = bus_group_new (&ready, &bus);
      if (worker == NULL)
        return 1;
      /* No unexport, no flush: run_main has answered every call and sent
       * every signal, as a daemon that returns from main() at once
       * needs. */
      return fluid_worker_run_main (worker);
    }

  /* A sleep far longer than any test: a stop ends it at once. */
  worker = FLUID_WORKER (fluid_test_worker_new_named ("daemon", run, 3600.0, grace_period));
  g_signal_connect (worker, "started", G_CALLBACK (started_cb), NULL);
  g_signal_connect (worker, "stopping", G_CALLBACK (stopping_cb), NULL);
  g_signal_connect (worker, "stopped", G_CALLBACK (stopped_cb), NULL);

  exit_code = fluid_worker_run_main (worker);

  /* A forced run completes late, from the context: let it, so that
   * nothing is left for the leak checkers. */
  fluid_test_settle (NULL);
  return exit_code;
}
