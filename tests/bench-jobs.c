/* bench-jobs.c: how fast jobs go through a FluidJobWorker, against a GTask
 * per job run with g_task_run_in_thread(), measured in the same run
 *
 * Prints one "metric_name value" line per figure:
 *   job_round_trip_p50_us, _p99_us  one job at a time on the context:
 *                                   submit, run, the wait's callback
 *   job_round_trip_thread_p50_us, _p99_us  the same, the job run on a
 *                                   thread of the worker's (as a GTask's
 *                                   below runs on one of GLib's pool)
 *   jobs_per_s_context              1 000 000 no-op jobs on the context,
 *                                   from the first submit to the last end
 *   jobs_per_s_4_threads            the same on 4 threads
 *   bytes_per_queued_job            what 100 000 jobs queued to a worker
 *                                   that has not started take, each
 *   gtask_round_trip_p50_us, _p99_us  a GTask per job: g_task_new,
 *                                   g_task_set_priority,
 *                                   g_task_run_in_thread, the callback
 *   gtask_jobs_per_s                1 000 000 no-op GTasks so
 *   gtask_bytes_per_job             what 100 000 such GTasks take, made
 *                                   and not yet run, each (the least a
 *                                   queued GTask takes: GLib's pool adds
 *                                   its queue's node)
 *
 * Every allocation is malloc's (G_SLICE=always-malloc, set by the
 * benchmark itself), as GLib allocates from 2.76 on: GLib 2.74's GSlice
 * keeps what is freed for the next allocations of its size, and the
 * objects made after the runs of a million would take the memory those
 * left, not their own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <errno.h>
#include <malloc.h>
#include <unistd.h>

#define N_JOBS 1000000
#define N_LATENCY 20000
#define N_MEMORY 100000

static gboolean
no_op (FluidJob      *job,
       GCancellable  *cancellable,
       gpointer       user_data,
       GError       **error)
{
  return TRUE;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
print_percentiles (const char *prefix,
                   GArray     *samples)
{
  g_array_sort (samples, compare_doubles);
  g_print ("%s_p50_us %.1f\n", prefix, g_array_index (samples, double, samples->len / 2));
  g_print ("%s_p99_us %.1f\n", prefix, g_array_index (samples, double, samples->len * 99 / 100));
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(gint64 *) user_data = g_get_monotonic_time ();
}

static void
job_round_trip (guint       n_threads,
                const char *name)
{
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new (n_threads, no_op, NULL, NULL);
  g_autoptr(GArray) samples = g_array_sized_new (FALSE, FALSE, sizeof (double), N_LATENCY);

  fluid_test_startup (FLUID_WORKER (worker), NULL);
  for (guint i = 0; i < N_LATENCY; i++)
    {
      gint64 start = g_get_monotonic_time (), end = 0;
      g_autoptr(FluidJob) job = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
      double sample;

      fluid_job_wait_async (job, NULL, done_cb, &end);
      while (end == 0)
        g_main_context_iteration (NULL, TRUE);
      sample = (double) (end - start);
      g_array_append_val (samples, sample);
    }
  print_percentiles (name, samples);
  fluid_test_shutdown (FLUID_WORKER (worker), NULL);
}

static double
jobs_per_s (guint n_threads)
{
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new (n_threads, no_op, NULL, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  gint64 start;
  double seconds;

  fluid_test_startup (FLUID_WORKER (worker), NULL);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_JOBS; i++)
    {
      g_object_unref (fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL));
      /* Now and then, as an application would: the context runs them. */
      if (i % 4096 == 4095)
        g_main_context_iteration (NULL, FALSE);
    }
  while (fluid_queue_consumer_get_processed (consumer) < N_JOBS)
    g_main_context_iteration (NULL, TRUE);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  fluid_test_shutdown (FLUID_WORKER (worker), NULL);
  return N_JOBS / seconds;
}

static double
allocated (void)
{
  return (double) mallinfo2 ().uordblks;
}

/* What each of N_MEMORY objects that @make makes (kept alive until the
 * end) takes, the first made aside. */
static double
bytes_each (gpointer (* make) (gpointer user_data),
            gpointer    user_data)
{
  g_autoptr(GPtrArray) made = g_ptr_array_sized_new (N_MEMORY);
  double before, after;

  g_object_unref (make (user_data));
  malloc_trim (0);
  before = allocated ();
  for (guint i = 0; i < N_MEMORY; i++)
    g_ptr_array_add (made, make (user_data));
  after = allocated ();
  /* The array of the benchmark's own references is not theirs. */
  g_ptr_array_set_free_func (made, g_object_unref);
  return (after - before - N_MEMORY * sizeof (gpointer)) / N_MEMORY;
}

static gpointer
make_job (gpointer worker)
{
  return fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
}

static double
bytes_per_queued_job (void)
{
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new (0, no_op, NULL, NULL);

  return bytes_each (make_job, worker);
}

/* GTask */

static void
gtask_no_op (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

static void
gtask_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  *(gint64 *) user_data = g_get_monotonic_time ();
}

static void
gtask_round_trip (void)
{
  g_autoptr(GArray) samples = g_array_sized_new (FALSE, FALSE, sizeof (double), N_LATENCY);

  for (guint i = 0; i < N_LATENCY; i++)
    {
      gint64 start = g_get_monotonic_time (), end = 0;
      GTask *task = g_task_new (NULL, NULL, gtask_done_cb, &end);
      double sample;

      g_task_set_priority (task, G_PRIORITY_DEFAULT);
      g_task_run_in_thread (task, gtask_no_op);
      g_object_unref (task);
      while (end == 0)
        g_main_context_iteration (NULL, TRUE);
      sample = (double) (end - start);
      g_array_append_val (samples, sample);
    }
  print_percentiles ("gtask_round_trip", samples);
}

static void
gtask_count_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  (*(guint *) user_data)++;
}

static double
gtask_jobs_per_s (void)
{
  guint done = 0;
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < N_JOBS; i++)
    {
      GTask *task = g_task_new (NULL, NULL, gtask_count_cb, &done);

      g_task_set_priority (task, G_PRIORITY_DEFAULT);
      g_task_run_in_thread (task, gtask_no_op);
      g_object_unref (task);
      if (i % 4096 == 4095)
        g_main_context_iteration (NULL, FALSE);
    }
  while (done < N_JOBS)
    g_main_context_iteration (NULL, TRUE);
  return N_JOBS / ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
}

static gpointer
make_gtask (gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, gtask_count_cb, NULL);

  g_task_set_priority (task, G_PRIORITY_DEFAULT);
  return task;
}

int
main (int   argc,
      char *argv[])
{
  /* Before any allocation of GLib's: run again with malloc alone. */
  if (g_strcmp0 (g_getenv ("G_SLICE"), "always-malloc") != 0)
    {
      g_setenv ("G_SLICE", "always-malloc", TRUE);
      execv ("/proc/self/exe", argv);
      g_error ("Could not run again with G_SLICE=always-malloc: %s", g_strerror (errno));
    }

  job_round_trip (0, "job_round_trip");
  job_round_trip (1, "job_round_trip_thread");
  g_print ("jobs_per_s_context %.0f\n", jobs_per_s (0));
  g_print ("jobs_per_s_4_threads %.0f\n", jobs_per_s (4));
  g_print ("bytes_per_queued_job %.0f\n", bytes_per_queued_job ());
  gtask_round_trip ();
  g_print ("gtask_jobs_per_s %.0f\n", gtask_jobs_per_s ());
  g_print ("gtask_bytes_per_job %.0f\n", bytes_each (make_gtask, NULL));
  return 0;
}
