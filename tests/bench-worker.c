/* bench-worker.c: how fast a worker's lifecycle is
 *
 * Prints one "metric_name value" line per figure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#define TRIALS 2001

/* From fluid_worker_gracefully_stop() on a worker asleep in
 * fluid_worker_sleep_async() until the worker is STOPPED. */
static void
bench_graceful_stop (void)
{
  g_autoptr(GArray) latencies = g_array_sized_new (FALSE, FALSE, sizeof (double), TRIALS);
  g_autoptr(GArray) startups = g_array_sized_new (FALSE, FALSE, sizeof (double), TRIALS);

  for (guint i = 0; i < TRIALS; i++)
    {
      g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);
      FluidWorker *w = FLUID_WORKER (worker);
      gint64 start;
      double elapsed;

      start = g_get_monotonic_time ();
      fluid_worker_startup_async (w, NULL, NULL, NULL);
      while (fluid_test_worker_get_iterations (worker) == 0)
        g_main_context_iteration (NULL, TRUE);
      elapsed = g_get_monotonic_time () - start;
      g_array_append_val (startups, elapsed);

      start = g_get_monotonic_time ();
      fluid_worker_gracefully_stop (w);
      while (!fluid_worker_is_stopped (w))
        g_main_context_iteration (NULL, TRUE);
      elapsed = g_get_monotonic_time () - start;
      g_array_append_val (latencies, elapsed);

      /* Let the startup task's callback run before the next trial. */
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
    }

  g_print ("graceful_stop_latency_us %.1f\n", fluid_test_percentile (latencies, 0.5));
  g_print ("graceful_stop_latency_p99_us %.1f\n", fluid_test_percentile (latencies, 0.99));
  g_print ("startup_to_first_iteration_us %.1f\n", fluid_test_percentile (startups, 0.5));
}

static void
drop_log (const char     *log_domain,
          GLogLevelFlags  log_level,
          const char     *message,
          gpointer        user_data)
{
}

/* How far past its grace period a forced shutdown completes, for a run that
 * ignores its cancellable. */
static void
bench_force_stop (void)
{
  const double grace = 0.01;
  g_autoptr(GArray) overshoots = g_array_new (FALSE, FALSE, sizeof (double));
  guint handler = g_log_set_handler ("Fluid", G_LOG_LEVEL_MESSAGE, drop_log, NULL);

  for (guint i = 0; i < 51; i++)
    {
      g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, grace);
      g_autoptr(GAsyncResult) result = NULL;
      gint64 start;
      double overshoot;

      fluid_worker_startup_async (FLUID_WORKER (worker), NULL, NULL, NULL);
      start = g_get_monotonic_time ();
      fluid_worker_shutdown_async (FLUID_WORKER (worker), NULL, fluid_test_store_result_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      overshoot = (g_get_monotonic_time () - start) - grace * G_USEC_PER_SEC;
      g_array_append_val (overshoots, overshoot);

      fluid_test_worker_complete_run (worker);
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
    }
  g_log_remove_handler ("Fluid", handler);

  g_print ("force_stop_overshoot_median_us %.1f\n", fluid_test_percentile (overshoots, 0.5));
  g_print ("force_stop_overshoot_max_us %.1f\n", fluid_test_percentile (overshoots, 1.0));
}

int
main (int   argc,
      char *argv[])
{
  bench_graceful_stop ();
  bench_force_stop ();
  return 0;
}
