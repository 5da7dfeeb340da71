/* test-many-workers.c: 10 000 workers started and stopped, round after
 * round, with the resident memory flat across rounds
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <stdlib.h>

#define N_WORKERS 10000
#define N_ROUNDS  5

/* Growth of the resident set allowed after the first round, which warms up
 * GLib's allocators and type system: a leak of a hundred bytes per worker
 * and round would exceed it. */
#define RSS_TOLERANCE_KB 2048

/* VmRSS of this process in kB, or 0 when it cannot be read. */
static guint64
read_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "\nVmRSS:");
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* Under valgrind or a sanitizer the resident set says nothing about leaks
 * (they report those themselves): .ci/hardening sets FLUID_TEST_NO_RSS=1
 * there. */
static gboolean
rss_meaningful (void)
{
  const char *no_rss = g_getenv ("FLUID_TEST_NO_RSS");

  return (no_rss == NULL || *no_rss == '\0' || g_str_equal (no_rss, "0")) && read_rss_kb () > 0;
}

static void
check_rss (guint64 *rss, guint n_rounds)
{
  if (!rss_meaningful ())
    {
      g_test_message ("resident set not checked (FLUID_TEST_NO_RSS)");
      return;
    }

  for (guint i = 0; i < n_rounds; i++)
    g_test_message ("round %u: VmRSS %" G_GUINT64_FORMAT " kB", i, rss[i]);
  for (guint i = 1; i < n_rounds; i++)
    g_assert_cmpuint (rss[i], <=, rss[0] + RSS_TOLERANCE_KB);
}

static void
count_call (FluidWorker *worker,
            gpointer     user_data)
{
  guint *calls = user_data;

  (*calls)++;
}

typedef struct
{
  guint stopped;
  guint finalized;
} Counts;

static void
count_stopped_cb (FluidWorker *worker,
                  const char  *reason,
                  int          exit_code,
                  gpointer     user_data)
{
  Counts *counts = user_data;

  g_assert_cmpint (exit_code, ==, FLUID_EXIT_CODE_NORMAL);
  counts->stopped++;
}

static void
count_finalized (gpointer  user_data,
                 GObject  *where_the_object_was)
{
  Counts *counts = user_data;

  counts->finalized++;
}

/* Each round: a group of 10 000 FluidWorkerFunction workers, sleeping
 * between calls, started, shut down and freed. */
static void
test_group_rounds (void)
{
  guint64 rss[N_ROUNDS];

  for (guint round = 0; round < N_ROUNDS; round++)
    {
      FluidWorkers *group = fluid_workers_new ();
      g_autoptr(GError) error = NULL;
      Counts counts = { 0, };
      guint calls = 0;

      for (guint i = 0; i < N_WORKERS; i++)
        {
          FluidWorker *worker = fluid_worker_function_new (3600.0, count_call, &calls, NULL);

          g_signal_connect (worker, "stopped", G_CALLBACK (count_stopped_cb), &counts);
          g_object_weak_ref (G_OBJECT (worker), count_finalized, &counts);
          fluid_workers_add_worker (group, worker);
          g_object_unref (worker);
        }
      g_object_weak_ref (G_OBJECT (group), count_finalized, &counts);

      g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
      g_assert_no_error (error);
      /* Each function is called once, then sleeps. */
      fluid_test_wait_until (calls == N_WORKERS);
      g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
      g_assert_no_error (error);
      g_assert_cmpuint (counts.stopped, ==, N_WORKERS);

      g_object_unref (group);
      fluid_test_wait_until (counts.finalized == N_WORKERS + 1);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      rss[round] = read_rss_kb ();
    }

  check_rss (rss, N_ROUNDS);
}

static void
count_message (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               gpointer                  user_data)
{
  guint *handled = user_data;

  g_assert_cmpstr (g_value_get_string (message), ==, "ping");
  (*handled)++;
}

/* Each round: 10 000 FluidQueueConsumerWorker started individually, sent a
 * message each, shut down individually and freed. */
static void
test_individual_rounds (void)
{
  guint64 rss[N_ROUNDS];
  FluidWorker **workers = g_new0 (FluidWorker *, N_WORKERS);

  for (guint round = 0; round < N_ROUNDS; round++)
    {
      Counts counts = { 0, };
      guint handled = 0;

      for (guint i = 0; i < N_WORKERS; i++)
        {
          workers[i] = fluid_queue_consumer_worker_new (count_message, &handled, NULL);
          g_signal_connect (workers[i], "stopped", G_CALLBACK (count_stopped_cb), &counts);
          g_object_weak_ref (G_OBJECT (workers[i]), count_finalized, &counts);
          fluid_worker_startup_async (workers[i], NULL, NULL, NULL);
          fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (workers[i]), "ping");
        }
      fluid_test_wait_until (handled == N_WORKERS);

      for (guint i = 0; i < N_WORKERS; i++)
        {
          g_assert_true (fluid_worker_is_running (workers[i]));
          fluid_worker_shutdown_async (workers[i], NULL, NULL, NULL);
          /* A running worker keeps itself alive. */
          g_clear_object (&workers[i]);
        }
      fluid_test_wait_until (counts.finalized == N_WORKERS);
      g_assert_cmpuint (counts.stopped, ==, N_WORKERS);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      rss[round] = read_rss_kb ();
    }

  check_rss (rss, N_ROUNDS);
  g_free (workers);
}

static void
drop_log (const char     *log_domain,
          GLogLevelFlags  log_level,
          const char     *message,
          gpointer        user_data)
{
}

/* Bug: groups nested 20 000 deep overflowed the stack on shutdown (each
 * completion called the parent's), and building them was quadratic (the
 * cycle check walked the whole tree below). Built bottom-up and top-down,
 * started, stopped by its deepest worker, and freed from the top while
 * the test holds every level. */
static void
test_deep_nesting (gconstpointer data)
{
  gboolean bottom_up = GPOINTER_TO_INT (data);
  enum { DEPTH = 20000 };
  g_autoptr(GPtrArray) levels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FluidWorker) leaf = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 1));
  FluidWorker *root;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < DEPTH; i++)
    g_ptr_array_add (levels, fluid_workers_new ());
  if (bottom_up)
    {
      fluid_workers_add_worker (g_ptr_array_index (levels, DEPTH - 1), leaf);
      for (guint i = DEPTH - 1; i > 0; i--)
        fluid_workers_add_worker (g_ptr_array_index (levels, i - 1), g_ptr_array_index (levels, i));
    }
  else
    {
      for (guint i = 0; i + 1 < DEPTH; i++)
        fluid_workers_add_worker (g_ptr_array_index (levels, i), g_ptr_array_index (levels, i + 1));
      fluid_workers_add_worker (g_ptr_array_index (levels, DEPTH - 1), leaf);
    }

  root = g_ptr_array_index (levels, 0);
  g_assert_true (fluid_test_startup (root, NULL));
  fluid_test_wait_until (fluid_worker_is_running (leaf));

  if (bottom_up)
    {
      /* The deepest stops: every level above learns, one after the other. */
      fluid_worker_gracefully_stop (leaf);
      g_assert_true (fluid_test_wait_for_shutdown (root, &error));
    }
  else
    g_assert_true (fluid_test_shutdown (root, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < DEPTH; i++)
    g_assert_true (fluid_worker_is_stopped (g_ptr_array_index (levels, i)));
  g_assert_true (fluid_worker_is_stopped (leaf));
}

/* Supervision at scale: a ONE_FOR_ONE group of 10 000 children in which
 * 100 crash, each replaced in its own position; then a storm of 1 000
 * restarts of one child. */
static FluidWorker *
make_sleeper (FluidWorkers *group,
              gpointer      user_data)
{
  guint *made = user_data;

  (*made)++;
  return FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
}

static void
count_changes_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  g_assert_cmpuint (removed, ==, 1);
  g_assert_cmpuint (added, ==, 1);
  (*(guint *) user_data)++;
}

static void
fail_child (FluidWorker *child)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "crashed");

  fluid_worker_fail (child, error);
}

static void
test_replacement_at_scale (void)
{
  const guint n_children = 10000, n_crashes = 100;
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  guint made = 0, changes = 0;
  GRand *rand = g_rand_new_with_seed (42);
  g_autoptr(GHashTable) crashed = g_hash_table_new (NULL, NULL);

  fluid_workers_set_restart_strategy (group, FLUID_RESTART_STRATEGY_ONE_FOR_ONE);
  fluid_workers_set_max_restarts (group, n_crashes);
  for (guint i = 0; i < n_children; i++)
    fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_sleeper, &made, NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  for (guint i = 0; i < n_children; i++)
    g_ptr_array_add (before, g_list_model_get_item (G_LIST_MODEL (group), i));
  /* The group starts its children when its run begins. */
  fluid_test_wait_until (fluid_worker_is_running (g_ptr_array_index (before, n_children - 1)));
  g_signal_connect (group, "items-changed", G_CALLBACK (count_changes_cb), &changes);

  while (g_hash_table_size (crashed) < n_crashes)
    {
      guint position = g_rand_int_range (rand, 0, n_children);

      if (g_hash_table_add (crashed, GUINT_TO_POINTER (position)))
        fail_child (g_ptr_array_index (before, position));
    }
  fluid_test_wait_until (changes == n_crashes);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (group)), ==, n_children);
  g_assert_cmpuint (made, ==, n_children + n_crashes);
  for (guint i = 0; i < n_children; i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (group), i);
      gboolean was_crashed = g_hash_table_contains (crashed, GUINT_TO_POINTER (i));

      g_assert_true ((child != g_ptr_array_index (before, i)) == was_crashed);
      g_assert_cmpuint (fluid_workers_get_child_restarts (group, i), ==, was_crashed ? 1 : 0);
    }
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
  g_rand_free (rand);
}

static void
test_restart_storm (void)
{
  const guint n_restarts = 1000;
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  g_autoptr(GError) error = NULL;
  guint made = 0;

  fluid_workers_set_restart_strategy (group, FLUID_RESTART_STRATEGY_ONE_FOR_ONE);
  fluid_workers_set_max_restarts (group, n_restarts);
  fluid_workers_set_max_restarts_period (group, 3600);
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_sleeper, &made, NULL);
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_sleeper, &made, NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));

  for (guint i = 0; i < n_restarts; i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (group), i % 2);

      fluid_test_wait_until (fluid_worker_is_running (child));
      fail_child (child);
      fluid_test_wait_until (fluid_workers_get_child_restarts (group, i % 2) == i / 2 + 1);
    }
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (group)));
  g_assert_cmpuint (made, ==, 2 + n_restarts);

  /* One more is over the intensity. */
  {
    g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (group), 0);

    fluid_test_wait_until (fluid_worker_is_running (child));
    fail_child (child);
  }
  g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (group), &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_RESTART_LIMIT);
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
  g_test_init (&argc, &argv, NULL);
  /* Workers fail here on purpose, and a failure is logged as a warning:
   * criticals alone abort (without the capture, which would format the
   * debug lines of thousands of workers). */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  /* Two debug lines per worker and round would fill the test log. */
  g_log_set_handler ("Fluid", G_LOG_LEVEL_DEBUG, drop_log, NULL);

  g_test_add_func ("/many-workers/group-rounds", test_group_rounds);
  g_test_add_data_func ("/many-workers/deep-nesting/bottom-up", GINT_TO_POINTER (TRUE), test_deep_nesting);
  g_test_add_data_func ("/many-workers/deep-nesting/top-down", GINT_TO_POINTER (FALSE), test_deep_nesting);
  g_test_add_func ("/many-workers/individual-rounds", test_individual_rounds);
  g_test_add_func ("/many-workers/replacement-at-scale", test_replacement_at_scale);
  g_test_add_func ("/many-workers/restart-storm", test_restart_storm);

  return g_test_run ();
}
