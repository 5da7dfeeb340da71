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
 */

#include "fluid-test-utils.h"

#include <stdio.h>
#include <stdlib.h>

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

int
main (int    argc,
      char **argv)
{
  g_autoptr(FluidTestWorker) worker = NULL;
  FluidTestRun run;
  double grace_period = 3600.0;
  int exit_code;

  if (argc < 2 || argc > 3)
    {
      fprintf (stderr, "Usage: %s graceful|stuck|fail|return [GRACE_PERIOD]\n", argv[0]);
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
  else
    {
      fprintf (stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
      return 64;
    }
  if (argc == 3)
    grace_period = g_ascii_strtod (argv[2], NULL);

  /* A sleep far longer than any test: a stop ends it at once. */
  worker = fluid_test_worker_new_named ("daemon", run, 3600.0, grace_period);
  g_signal_connect (worker, "started", G_CALLBACK (started_cb), NULL);
  g_signal_connect (worker, "stopping", G_CALLBACK (stopping_cb), NULL);
  g_signal_connect (worker, "stopped", G_CALLBACK (stopped_cb), NULL);

  exit_code = fluid_worker_run_main (FLUID_WORKER (worker));

  /* A forced run completes late, from the context: let it, so that
   * nothing is left for the leak checkers. */
  fluid_test_settle (NULL);
  return exit_code;
}
