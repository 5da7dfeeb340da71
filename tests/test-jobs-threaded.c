/* test-jobs-threaded.c: FluidJobWorker across threads: its own threads,
 * submitting threads, cancelling threads, waiting threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

/* The input, an int: n >= 0 succeeds with n; a multiple of 7 fails; -2
 * blocks until cancelled. */
static gboolean
run_job (FluidJob      *job,
         GCancellable  *cancellable,
         gpointer       user_data,
         GError       **error)
{
  int n = g_value_get_int (fluid_job_get_input (job));
  GArray *ran = user_data;

  if (ran != NULL)
    g_array_append_val (ran, n);   /* one thread only */
  if (n == -2)
    {
      GCond cond;
      GMutex mutex;

      /* Blocks until cancelled: a cancellable's fd would do too. */
      g_cond_init (&cond);
      g_mutex_init (&mutex);
      g_mutex_lock (&mutex);
      while (!g_cancellable_is_cancelled (cancellable))
        g_cond_wait_until (&cond, &mutex, g_get_monotonic_time () + 1000);
      g_mutex_unlock (&mutex);
      g_mutex_clear (&mutex);
      g_cond_clear (&cond);
      return !g_cancellable_set_error_if_cancelled (cancellable, error);
    }
  if (n > 0 && n % 7 == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%d is a multiple of 7", n);
      return FALSE;
    }
  {
    g_auto(GValue) output = G_VALUE_INIT;

    g_value_init (&output, G_TYPE_INT);
    g_value_set_int (&output, n);
    fluid_job_set_output (job, &output);
  }
  return TRUE;
}

/* Priorities hold on a thread too: one thread, the queue's order. */
static void
test_priorities_on_a_thread (void)
{
  g_autoptr(GArray) ran = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new (1, run_job, ran, NULL);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  int priorities[] = { 300, 0, -100, 0, 300, -100 };
  int expected[] = { 2, 5, 1, 3, 0, 4 };

  for (guint i = 0; i < G_N_ELEMENTS (priorities); i++)
    g_ptr_array_add (jobs, fluid_test_submit_int (worker, i, priorities[i]));
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  for (guint i = 0; i < jobs->len; i++)
    fluid_test_wait_until (fluid_job_is_done (g_ptr_array_index (jobs, i)));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  g_assert_cmpuint (ran->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (g_array_index (ran, int, i), ==, expected[i]);
}

/* Cancelled from another thread: a queued job ends soon after, on the
 * context; a running one when its function returns. */
typedef struct
{
  GThread  *context_thread;
  guint     notified;
} StateWatch;

static void
state_notify_cb (GObject    *job,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  StateWatch *watch = user_data;

  g_assert_true (g_thread_self () == watch->context_thread);
  g_atomic_int_inc (&watch->notified);
}

static gpointer
cancel_thread (gpointer job)
{
  fluid_job_cancel (job);
  fluid_job_cancel (job);
  return NULL;
}

static void
test_cancel_from_thread (void)
{
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new (1, run_job, NULL, NULL);
  g_autoptr(FluidJob) blocking = NULL, queued = NULL;
  StateWatch watch = { g_thread_self (), 0 };

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  blocking = fluid_test_submit_int (worker, -2, G_PRIORITY_DEFAULT);
  queued = fluid_test_submit_int (worker, 1, G_PRIORITY_DEFAULT);
  g_signal_connect (queued, "notify::state", G_CALLBACK (state_notify_cb), &watch);
  g_signal_connect (blocking, "notify::state", G_CALLBACK (state_notify_cb), &watch);
  fluid_test_wait_until (fluid_job_get_state (blocking) == FLUID_JOB_STATE_RUNNING);

  g_thread_join (g_thread_new ("cancel", cancel_thread, queued));
  fluid_test_wait_until (fluid_job_is_done (queued));
  g_assert_cmpint (fluid_job_get_state (queued), ==, FLUID_JOB_STATE_CANCELLED);
  g_assert_error ((GError *) fluid_job_get_error (queued), G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_thread_join (g_thread_new ("cancel", cancel_thread, blocking));
  fluid_test_wait_until (fluid_job_is_done (blocking));
  g_assert_cmpint (fluid_job_get_state (blocking), ==, FLUID_JOB_STATE_CANCELLED);
  /* RUNNING then CANCELLED for one, CANCELLED for the other. */
  g_assert_cmpuint (watch.notified, ==, 3);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  g_assert_cmpuint (fluid_job_worker_get_cancelled (worker), ==, 2);
}

/* Every job ends exactly once, and every wait completes, under 8
 * submitting threads and a stop in the middle of the stream. */
#define N_SUBMITTERS 8
#define N_PER_SUBMITTER 3000

typedef struct
{
  FluidJobWorker *worker;
  GPtrArray      *jobs;        /* this submitter's */
} Submitter;

static gpointer
submit_thread (gpointer user_data)
{
  Submitter *submitter = user_data;

  for (int i = 1; i <= N_PER_SUBMITTER; i++)
    g_ptr_array_add (submitter->jobs, fluid_test_submit_int (submitter->worker, i, (i % 3) * 100));
  return NULL;
}

typedef struct
{
  guint ended;
  guint succeeded;
  guint failed;
  guint cancelled;
} Tally;

static void
tally_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Tally *tally = user_data;
  FluidJob *job = FLUID_JOB (source);
  g_autoptr(GError) error = NULL;
  g_auto(GValue) output = G_VALUE_INIT;
  gboolean succeeded = fluid_job_wait_finish (job, result, &output, &error);

  tally->ended++;
  g_assert_true (fluid_job_is_done (job));
  switch (fluid_job_get_state (job))
    {
    case FLUID_JOB_STATE_SUCCEEDED:
      g_assert_true (succeeded);
      g_assert_cmpint (g_value_get_int (&output), ==, g_value_get_int (fluid_job_get_input (job)));
      tally->succeeded++;
      break;
    case FLUID_JOB_STATE_FAILED:
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
      tally->failed++;
      break;
    case FLUID_JOB_STATE_CANCELLED:
      g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED);
      tally->cancelled++;
      break;
    case FLUID_JOB_STATE_QUEUED:
    case FLUID_JOB_STATE_RUNNING:
    default:
      g_assert_not_reached ();
    }
}

static void
count_final_cb (GObject    *object,
                GParamSpec *pspec,
                gpointer    user_data)
{
  if (fluid_job_is_done (FLUID_JOB (object)))
    (*(guint *) user_data)++;
}

static void
run_invariant (guint    n_threads,
               gboolean drain,
               gboolean force)
{
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new (n_threads, run_job, NULL, NULL);
  Submitter submitters[N_SUBMITTERS];
  GThread *threads[N_SUBMITTERS];
  Tally tally = { 0, 0, 0, 0 };
  guint total = 0, final_notified = 0;
  guint64 processed, failed, cancelled;

  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (worker), drain);
  if (force)
    fluid_worker_set_stopping_grace_period (FLUID_WORKER (worker), 0.0);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  for (guint i = 0; i < N_SUBMITTERS; i++)
    {
      submitters[i].worker = worker;
      submitters[i].jobs = g_ptr_array_new_with_free_func (g_object_unref);
      threads[i] = g_thread_new ("submitter", submit_thread, &submitters[i]);
    }
  /* A stop in the middle of the stream. */
  fluid_test_wait_until (fluid_queue_consumer_get_processed (FLUID_QUEUE_CONSUMER (worker)) > 100);
  fluid_worker_shutdown_async (FLUID_WORKER (worker), NULL, NULL, NULL);
  for (guint i = 0; i < N_SUBMITTERS; i++)
    g_thread_join (threads[i]);
  fluid_test_wait_until (fluid_worker_is_stopped (FLUID_WORKER (worker)));

  for (guint i = 0; i < N_SUBMITTERS; i++)
    for (guint j = 0; j < submitters[i].jobs->len; j++)
      {
        FluidJob *job = g_ptr_array_index (submitters[i].jobs, j);

        g_signal_connect (job, "notify::state", G_CALLBACK (count_final_cb), &final_notified);
        fluid_job_wait_async (job, NULL, tally_cb, &tally);
        total++;
      }
  g_assert_cmpuint (total, ==, N_SUBMITTERS * N_PER_SUBMITTER);
  fluid_test_wait_until (tally.ended == total);
  fluid_test_settle (NULL);
  /* Ended before the handlers were connected: no state changes after. */
  g_assert_cmpuint (final_notified, ==, 0);
  g_assert_cmpuint (tally.ended, ==, total);

  processed = fluid_queue_consumer_get_processed (FLUID_QUEUE_CONSUMER (worker));
  failed = fluid_queue_consumer_get_failed (FLUID_QUEUE_CONSUMER (worker));
  cancelled = fluid_job_worker_get_cancelled (worker);
  g_assert_cmpuint (processed, ==, tally.succeeded);
  g_assert_cmpuint (failed, ==, tally.failed);
  g_assert_cmpuint (cancelled, ==, tally.cancelled);
  g_assert_cmpuint (processed + failed + cancelled, ==, total);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (worker)), ==, 0);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (worker)), ==, 0);
  g_assert_cmpuint (fluid_job_worker_get_running (worker), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (fluid_job_worker_get_jobs (worker)), ==, 0);
  g_assert_cmpuint (tally.succeeded, >, 0);

  for (guint i = 0; i < N_SUBMITTERS; i++)
    g_ptr_array_unref (submitters[i].jobs);
}

static void
test_invariant_context (void)
{
  run_invariant (0, FALSE, FALSE);
}

static void
test_invariant_context_drain (void)
{
  run_invariant (0, TRUE, FALSE);
}

static void
test_invariant_context_forced (void)
{
  run_invariant (0, TRUE, TRUE);
}

static void
test_invariant_threads (void)
{
  run_invariant (4, FALSE, FALSE);
}

static void
test_invariant_threads_drain (void)
{
  run_invariant (4, TRUE, FALSE);
}

static void
test_invariant_threads_forced (void)
{
  run_invariant (4, TRUE, TRUE);
}

/* Progress: 200 000 reports from a thread give at most ~20 notifications
 * a second, and the last value is notified before the job ends. */
#define N_REPORTS 200000

static gboolean
report_job (FluidJob      *job,
            GCancellable  *cancellable,
            gpointer       user_data,
            GError       **error)
{
  /* Over about a second, so that the rate shows. */
  for (guint i = 1; i <= N_REPORTS; i++)
    {
      fluid_job_report_progress (job, (double) i / N_REPORTS, i == N_REPORTS ? "done" : NULL);
      if (i % 1000 == 0)
        g_usleep (5000);
    }
  return TRUE;
}

typedef struct
{
  guint   notified;
  double  last;
  gint64  first_time;
  gint64  last_time;
  gboolean ended;
} Progress;

static void
progress_notify_cb (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  Progress *progress = user_data;

  g_assert_false (progress->ended);
  progress->notified++;
  progress->last = fluid_job_get_progress (FLUID_JOB (object));
  progress->last_time = g_get_monotonic_time ();
  if (progress->first_time == 0)
    progress->first_time = progress->last_time;
}

static void
progress_state_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  Progress *progress = user_data;

  if (fluid_job_is_done (FLUID_JOB (object)))
    {
      /* The last report came before the end. */
      g_assert_cmpfloat (progress->last, ==, 1.0);
      g_assert_cmpstr (fluid_job_get_progress_text (FLUID_JOB (object)), ==, "done");
      progress->ended = TRUE;
    }
}

static void
test_progress_coalesced (void)
{
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new (1, report_job, NULL, NULL);
  g_autoptr(FluidJob) job = NULL;
  Progress progress = { 0, 0, 0, 0, FALSE };
  gint64 start;
  double seconds;

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  start = g_get_monotonic_time ();
  job = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
  g_signal_connect (job, "notify::progress", G_CALLBACK (progress_notify_cb), &progress);
  g_signal_connect (job, "notify::state", G_CALLBACK (progress_state_cb), &progress);
  fluid_test_wait_until (progress.ended);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("%u notifications in %.3f s, the first %.3f s after the submit, the last %.3f s",
                  progress.notified, seconds, (progress.first_time - start) / (double) G_USEC_PER_SEC,
                  (progress.last_time - start) / (double) G_USEC_PER_SEC);
  /* Notified while it ran, not only at the end. */
  g_assert_cmpuint (progress.notified, >=, 2);
  /* Whatever the machine's speed: the first report is notified at once,
   * each next one no sooner than 50 ms after the one before, and the last
   * at the end, outside the rate (it may follow the one before at once):
   * n notifications take at least (n - 2) / 20 s. */
  g_assert_cmpfloat (progress.notified, <=, 20 * seconds + 2);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
}

/* A wait from another thread completes on that thread's context. */
typedef struct
{
  FluidJob     *job;
  GMainContext *context;
  gboolean      done;
  gboolean      in_call;
} Waiter;

static void
thread_waited_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Waiter *waiter = user_data;

  g_assert_false (waiter->in_call);
  g_assert_true (g_main_context_get_thread_default () == waiter->context);
  g_assert_true (fluid_job_wait_finish (FLUID_JOB (source), result, NULL, NULL));
  waiter->done = TRUE;
}

static gpointer
wait_thread (gpointer user_data)
{
  Waiter *waiter = user_data;

  waiter->context = g_main_context_new ();
  g_main_context_push_thread_default (waiter->context);
  waiter->in_call = TRUE;
  fluid_job_wait_async (waiter->job, NULL, thread_waited_cb, waiter);
  waiter->in_call = FALSE;
  while (!waiter->done)
    g_main_context_iteration (waiter->context, TRUE);
  g_main_context_pop_thread_default (waiter->context);
  g_main_context_unref (waiter->context);
  return NULL;
}

static void
test_wait_from_thread (void)
{
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new (2, run_job, NULL, NULL);
  g_autoptr(FluidJob) job = NULL;
  Waiter waiter = { NULL, NULL, FALSE, FALSE };
  GThread *thread;

  job = fluid_test_submit_int (worker, 1, G_PRIORITY_DEFAULT);
  waiter.job = job;
  thread = g_thread_new ("waiter", wait_thread, &waiter);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  fluid_test_wait_until (fluid_job_is_done (job));
  g_thread_join (thread);
  g_assert_true (waiter.done);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/jobs-threaded/priorities", test_priorities_on_a_thread);
  g_test_add_func ("/jobs-threaded/cancel-from-thread", test_cancel_from_thread);
  g_test_add_func ("/jobs-threaded/invariant/context", test_invariant_context);
  g_test_add_func ("/jobs-threaded/invariant/context-drain", test_invariant_context_drain);
  g_test_add_func ("/jobs-threaded/invariant/context-forced", test_invariant_context_forced);
  g_test_add_func ("/jobs-threaded/invariant/threads", test_invariant_threads);
  g_test_add_func ("/jobs-threaded/invariant/threads-drain", test_invariant_threads_drain);
  g_test_add_func ("/jobs-threaded/invariant/threads-forced", test_invariant_threads_forced);
  g_test_add_func ("/jobs-threaded/progress", test_progress_coalesced);
  g_test_add_func ("/jobs-threaded/wait-from-thread", test_wait_from_thread);

  return g_test_run ();
}
