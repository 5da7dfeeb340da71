/* bench-workers.c: how fast and how small a group of workers is
 *
 * Prints one "metric_name value" line per figure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <stdio.h>
#include <string.h>

#define DETECT_TRIALS 101

static void
drain (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

typedef struct
{
  gint64 stopping_time;
} DetectData;

static void
group_state_cb (GObject    *object,
                GParamSpec *pspec,
                gpointer    user_data)
{
  DetectData *data = user_data;

  if (fluid_worker_is_stopping (FLUID_WORKER (object)) && data->stopping_time == 0)
    data->stopping_time = g_get_monotonic_time ();
}

/* From a child's run returning to the group's state becoming STOPPING, in a
 * group of that child and an idle one. */
static void
bench_supervisor_detect (void)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < DETECT_TRIALS; i++)
    {
      g_autoptr(FluidTestWorker) child = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 10);
      g_autoptr(FluidTestWorker) idle = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 10);
      g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (FLUID_WORKER (child),
                                                                      FLUID_WORKER (idle),
                                                                      NULL);
      DetectData data = { 0 };
      double elapsed;
      gint64 start;

      g_signal_connect (group, "notify::state", G_CALLBACK (group_state_cb), &data);
      fluid_worker_startup_async (FLUID_WORKER (group), NULL, NULL, NULL);
      drain ();

      start = g_get_monotonic_time ();
      fluid_test_worker_complete_run (child);
      while (data.stopping_time == 0)
        g_main_context_iteration (NULL, TRUE);
      elapsed = data.stopping_time - start;
      g_array_append_val (samples, elapsed);

      while (!fluid_worker_is_stopped (FLUID_WORKER (group)))
        g_main_context_iteration (NULL, TRUE);
      drain ();
    }

  g_print ("supervisor_detect_median_us %.1f\n", fluid_test_percentile (samples, 0.5));
}

typedef struct
{
  FluidTestWorker *child;
  gint64           fired;
} TimeoutData;

static gboolean
complete_child_cb (gpointer user_data)
{
  TimeoutData *data = user_data;

  data->fired = g_get_monotonic_time ();
  fluid_test_worker_complete_run (data->child);
  return G_SOURCE_REMOVE;
}

/* As a caller sees it: a child's run completes from a timeout source, and
 * g_main_context_iteration() returns with the group STOPPING. Also counts
 * the iterations that took (1: the group learns within the dispatch). */
static void
bench_group_failure_detect (void)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  guint max_iterations = 0;

  for (guint i = 0; i < DETECT_TRIALS; i++)
    {
      g_autoptr(FluidTestWorker) child = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 10);
      g_autoptr(FluidTestWorker) idle = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 10);
      g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (FLUID_WORKER (child),
                                                                      FLUID_WORKER (idle),
                                                                      NULL);
      TimeoutData data = { child, 0 };
      guint iterations = 0;
      double elapsed;

      fluid_worker_startup_async (FLUID_WORKER (group), NULL, NULL, NULL);
      drain ();

      g_timeout_add (1, complete_child_cb, &data);
      while (data.fired == 0)
        g_main_context_iteration (NULL, TRUE);
      /* The iteration that dispatched the timeout has returned. */
      iterations = 1;
      while (!fluid_worker_is_stopping (FLUID_WORKER (group)) &&
             !fluid_worker_is_stopped (FLUID_WORKER (group)))
        {
          g_main_context_iteration (NULL, TRUE);
          iterations++;
        }
      elapsed = g_get_monotonic_time () - data.fired;
      g_array_append_val (samples, elapsed);
      max_iterations = MAX (max_iterations, iterations);

      while (!fluid_worker_is_stopped (FLUID_WORKER (group)))
        g_main_context_iteration (NULL, TRUE);
      drain ();
    }

  g_print ("group_failure_detect_median_us %.1f\n", fluid_test_percentile (samples, 0.5));
  g_print ("group_failure_detect_p99_us %.1f\n", fluid_test_percentile (samples, 0.99));
  g_print ("group_failure_detect_max_iterations %u\n", max_iterations);
}

/* The worker the tutorial teaches: a subclass whose run_async loops on
 * fluid_worker_sleep_async() with a GTask, as examples/simple-worker.c. */
#define BENCH_TYPE_TASK_WORKER (bench_task_worker_get_type ())
G_DECLARE_FINAL_TYPE (BenchTaskWorker, bench_task_worker, BENCH, TASK_WORKER, FluidWorker)

struct _BenchTaskWorker
{
  FluidWorker parent_instance;
};

G_DEFINE_FINAL_TYPE (BenchTaskWorker, bench_task_worker, FLUID_TYPE_WORKER)

static void bench_task_worker_loop (GTask *task);

static void
bench_task_worker_slept_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!fluid_worker_sleep_finish (FLUID_WORKER (source), result, &error) && error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  bench_task_worker_loop (task);
}

static void
bench_task_worker_loop (GTask *task)
{
  FluidWorker *worker = g_task_get_source_object (task);

  if (!fluid_worker_is_running (worker))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  fluid_worker_sleep_async (worker, 1.0, g_task_get_cancellable (task),
                            bench_task_worker_slept_cb, task);
}

static void
bench_task_worker_run_async (FluidWorker         *worker,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, bench_task_worker_run_async);
  bench_task_worker_loop (task);
}

static gboolean
bench_task_worker_run_finish (FluidWorker   *worker,
                              GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
bench_task_worker_class_init (BenchTaskWorkerClass *klass)
{
  FLUID_WORKER_CLASS (klass)->run_async = bench_task_worker_run_async;
  FLUID_WORKER_CLASS (klass)->run_finish = bench_task_worker_run_finish;
}

static void
bench_task_worker_init (BenchTaskWorker *self)
{
}

typedef struct
{
  double start_ms;
  double shutdown_ms;
  double rss_per_worker;
} GroupFigures;

static void
idle_tick (FluidWorker *worker,
           gpointer     user_data)
{
}

/* A group of @n idle children: FluidWorkerFunction workers with a no-op
 * function, so that each only sleeps with fluid_worker_sleep_async(1.0) in
 * a loop (FluidTestWorker would add the GTasks of its counting on_startup
 * and on_shutdown hooks to every child). */
static GroupFigures
bench_start_shutdown (guint    n,
                      gboolean report_rss,
                      gboolean task_workers)
{
  GroupFigures figures;
  g_autoptr(FluidWorkers) group = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gsize rss_before, rss_peak;
  gboolean peak_reset;
  gint64 start, started, stopped;
  double start_ms;

  drain ();
  peak_reset = fluid_test_reset_peak_rss ();
  rss_before = fluid_test_proc_status_bytes ("VmRSS");

  group = fluid_workers_new ();
  for (guint i = 0; i < n; i++)
    {
      FluidWorker *child = task_workers ? g_object_new (BENCH_TYPE_TASK_WORKER, NULL)
                                        : fluid_worker_function_new (1.0, idle_tick, NULL, NULL);

      fluid_workers_add_worker (group, child);
      g_object_unref (child);
    }

  start = g_get_monotonic_time ();
  fluid_worker_startup_async (FLUID_WORKER (group), NULL, fluid_test_store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  drain ();
  started = g_get_monotonic_time ();
  start_ms = (started - start) / 1000.0;
  g_assert_true (fluid_worker_startup_finish (FLUID_WORKER (group), result, NULL));
  g_clear_object (&result);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (group), i);

      g_assert_true (fluid_worker_is_running (child));
    }

  rss_peak = peak_reset ? fluid_test_proc_status_bytes ("VmHWM") : fluid_test_proc_status_bytes ("VmRSS");

  started = g_get_monotonic_time ();
  fluid_worker_shutdown_async (FLUID_WORKER (group), NULL, fluid_test_store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  stopped = g_get_monotonic_time ();
  g_assert_true (fluid_worker_shutdown_finish (FLUID_WORKER (group), result, NULL));
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (group)), ==, FLUID_WORKER_STATE_STOPPED);

  figures.start_ms = start_ms;
  figures.shutdown_ms = (stopped - started) / 1000.0;
  figures.rss_per_worker = (double) (rss_peak - rss_before) / n;
  if (report_rss)
    {
      const char *kind = task_workers ? "task_" : "";

      g_print ("start_%u_%sworkers_ms %.2f\n", n, kind, figures.start_ms);
      g_print ("shutdown_%u_%sworkers_ms %.2f\n", n, kind, figures.shutdown_ms);
      g_print ("rss_per_%sworker_bytes %.0f\n", kind, figures.rss_per_worker);
    }
  else
    {
      g_print ("start_%u_workers_ms %.2f\n", n, figures.start_ms);
      g_print ("shutdown_%u_workers_ms %.2f\n", n, figures.shutdown_ms);
      g_print ("rss_per_worker_bytes_%u %.0f\n", n, figures.rss_per_worker);
    }

  g_clear_object (&result);
  g_clear_object (&group);
  drain ();
  return figures;
}

int
main (int   argc,
      char *argv[])
{
  GroupFigures function, task;

  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");

  /* "bench-workers N [task]" measures a group of N children only, for profiling. */
  if (argc > 1)
    {
      bench_start_shutdown ((guint) g_ascii_strtoull (argv[1], NULL, 10), FALSE,
                            argc > 2 && g_str_equal (argv[2], "task"));
      return 0;
    }

  bench_supervisor_detect ();
  bench_group_failure_detect ();
  function = bench_start_shutdown (10000, TRUE, FALSE);
  /* The GTask-based subclass the tutorial teaches, against the library's
   * own FluidWorkerFunction, in the same run. */
  task = bench_start_shutdown (10000, TRUE, TRUE);
  g_print ("task_vs_function_start_ratio %.2f\n", task.start_ms / function.start_ms);
  g_print ("task_vs_function_shutdown_ratio %.2f\n", task.shutdown_ms / function.shutdown_ms);
  g_print ("task_vs_function_rss_ratio %.2f\n", task.rss_per_worker / function.rss_per_worker);
  bench_start_shutdown (100000, FALSE, FALSE);
  return 0;
}
