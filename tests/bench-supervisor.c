/* bench-supervisor.c: how fast a group replaces its children
 *
 * Prints "metric value" lines:
 *   restart_latency_p50_us, restart_latency_p99_us: a child's run fails
 *     (fluid_worker_fail()) → its replacement RUNNING, ONE_FOR_ONE, as the
 *     caller of the group's context sees it;
 *   restart_storm_per_s: replacements a second of one child failing as
 *     soon as it runs;
 *   crash_1pct_10000_max_gap_us: in a group of 10 000 ONE_FOR_ONE children
 *     of which 1 % crash every second, the longest gap between two ticks
 *     of a 1 ms timer on the group's context, beyond its period;
 *   bytes_per_child_spec: the memory of a child added with
 *     fluid_workers_add_child(), beyond that of the worker itself.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <malloc.h>

#define LATENCY_TRIALS 2001

static FluidWorker *
make_sleeper (FluidWorkers *group,
              gpointer      user_data)
{
  return FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
}

static void
fail_child (FluidWorker *child)
{
  static GError *error = NULL;

  if (error == NULL)
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "crashed");
  fluid_worker_fail (child, error);
}

static void
restarted_cb (FluidWorkers *group,
              FluidWorker  *old_child,
              FluidWorker  *new_child,
              gpointer      user_data)
{
  gint64 *restarted_at = user_data;

  g_assert_true (fluid_worker_is_running (new_child));
  *restarted_at = g_get_monotonic_time ();
}

static FluidWorkers *
new_group (guint n_children,
           guint max_restarts)
{
  FluidWorkers *group = fluid_workers_new ();
  g_autoptr(GError) error = NULL;

  fluid_workers_set_restart_strategy (group, FLUID_RESTART_STRATEGY_ONE_FOR_ONE);
  fluid_workers_set_max_restarts (group, max_restarts);
  fluid_workers_set_max_restarts_period (group, 3600);
  for (guint i = 0; i < n_children; i++)
    fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_sleeper, NULL, NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  return group;
}

static FluidWorker *
running_child (FluidWorkers *group,
               guint         position)
{
  FluidWorker *child = g_list_model_get_item (G_LIST_MODEL (group), position);

  fluid_test_wait_until (fluid_worker_is_running (child));
  g_object_unref (child);
  return child;
}

static void
bench_latency (void)
{
  g_autoptr(FluidWorkers) group = new_group (10, LATENCY_TRIALS);
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  gint64 restarted_at = 0;

  g_signal_connect (group, "child-restarted", G_CALLBACK (restarted_cb), &restarted_at);
  for (guint i = 0; i < LATENCY_TRIALS; i++)
    {
      FluidWorker *child = running_child (group, i % 10);
      gint64 failed_at;

      restarted_at = 0;
      failed_at = g_get_monotonic_time ();
      fail_child (child);
      while (restarted_at == 0)
        g_main_context_iteration (NULL, TRUE);
      g_array_append_val (samples, (double) { restarted_at - failed_at });
    }
  g_print ("restart_latency_p50_us %.1f\n", fluid_test_percentile (samples, 0.5));
  g_print ("restart_latency_p99_us %.1f\n", fluid_test_percentile (samples, 0.99));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
}

static void
bench_storm (void)
{
  const guint n_restarts = 20000;
  g_autoptr(FluidWorkers) group = new_group (1, n_restarts);
  g_autoptr(GError) error = NULL;
  gint64 restarted_at = 0, start;

  g_signal_connect (group, "child-restarted", G_CALLBACK (restarted_cb), &restarted_at);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_restarts; i++)
    {
      restarted_at = 0;
      fail_child (running_child (group, 0));
      while (restarted_at == 0)
        g_main_context_iteration (NULL, TRUE);
    }
  g_print ("restart_storm_per_s %.0f\n", n_restarts / ((g_get_monotonic_time () - start) / 1e6));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
}

typedef struct
{
  FluidWorkers *group;
  GRand        *rand;
  gint64        last_tick;
  gint64        max_gap;
  guint         crashes;
} Responsiveness;

static gboolean
tick_cb (gpointer user_data)
{
  Responsiveness *r = user_data;
  gint64 now = g_get_monotonic_time ();

  if (r->last_tick != 0)
    r->max_gap = MAX (r->max_gap, now - r->last_tick - 1000);
  r->last_tick = now;
  return G_SOURCE_CONTINUE;
}

/* 1 % of 10 000 a second: one crash every 10 ms. */
static gboolean
crash_cb (gpointer user_data)
{
  Responsiveness *r = user_data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (r->group));
  g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (r->group), g_rand_int_range (r->rand, 0, n));

  if (fluid_worker_is_running (child))
    {
      fail_child (child);
      r->crashes++;
    }
  return G_SOURCE_CONTINUE;
}

static void
bench_responsiveness (void)
{
  const guint n_children = 10000;
  g_autoptr(FluidWorkers) group = new_group (n_children, G_MAXUINT);
  g_autoptr(GError) error = NULL;
  Responsiveness r = { group, g_rand_new_with_seed (1), 0, 0, 0 };
  guint tick, crash;
  gint64 end;

  running_child (group, n_children - 1);
  tick = g_timeout_add (1, tick_cb, &r);
  crash = g_timeout_add (10, crash_cb, &r);
  end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  g_source_remove (crash);
  g_print ("crash_1pct_10000_crashes %u\n", r.crashes);
  g_print ("crash_1pct_10000_max_gap_us %" G_GINT64_FORMAT "\n", r.max_gap);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
  g_rand_free (r.rand);
}

/* Bytes malloc has handed out: RSS moves by pages and keeps what was
 * freed, and would blur a difference of a few dozen bytes a child. */
static double
heap_in_use (void)
{
  return (double) mallinfo2 ().uordblks;
}

static void
bench_spec_memory (void)
{
  const guint n = 100000;
  g_autoptr(GPtrArray) workers = g_ptr_array_new_full (n, g_object_unref);
  g_autoptr(FluidWorkers) group = NULL;
  double before, workers_only, in_group;

  before = heap_in_use ();
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (workers, make_sleeper (NULL, NULL));
  workers_only = heap_in_use () - before;

  /* The same workers, added to a group with their specs. */
  group = fluid_workers_new ();
  before = heap_in_use ();
  for (guint i = 0; i < n; i++)
    fluid_workers_add_worker (group, g_ptr_array_index (workers, i));
  in_group = heap_in_use () - before;
  g_print ("bytes_per_worker %.0f\n", workers_only / n);
  g_print ("bytes_per_child_spec %.0f\n", in_group / n);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  bench_latency ();
  bench_storm ();
  bench_responsiveness ();
  bench_spec_memory ();
  return 0;
}
