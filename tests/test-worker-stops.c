/* test-worker-stops.c: FluidWorker sleeps, stops from other threads and
 * contexts, waits, the timing of a forced stop and repeated stops
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-worker-common.h"

static void
sleep_until_stopped_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  int *outcome = user_data;

  if (fluid_worker_sleep_finish (FLUID_WORKER (source), result, &error))
    *outcome = 1;
  else if (error == NULL)
    *outcome = 0;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    *outcome = -1;
  else
    g_assert_not_reached ();
}

static int
sleep_outcome (FluidWorker  *worker,
               double        seconds,
               GCancellable *cancellable,
               void        (*meanwhile) (FluidWorker *worker, GCancellable *cancellable))
{
  int outcome = 42;

  fluid_worker_sleep_async (worker, seconds, cancellable, sleep_until_stopped_cb, &outcome);
  if (meanwhile != NULL)
    meanwhile (worker, cancellable);
  fluid_test_wait_until (outcome != 42);
  return outcome;
}

static void
stop_gracefully (FluidWorker  *worker,
                 GCancellable *cancellable)
{
  fluid_worker_gracefully_stop (worker);
}

static void
cancel (FluidWorker  *worker,
        GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
test_worker_sleep (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_UNTIL_CANCELLED, 0, 0.01);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 start;

  g_assert_true (fluid_test_startup (w, NULL));

  /* The whole sleep elapses: TRUE, and not before its time. */
  start = g_get_monotonic_time ();
  g_assert_cmpint (sleep_outcome (w, 0.01, NULL, NULL), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 10000);

  /* The caller's cancellable: CANCELLED, the worker runs on. */
  g_assert_cmpint (sleep_outcome (w, 3600, cancellable, cancel), ==, -1);
  g_assert_true (fluid_worker_is_running (w));

  /* A graceful stop ends a sleep at once, with FALSE and no error. */
  g_assert_cmpint (sleep_outcome (w, 3600, NULL, stop_gracefully), ==, 0);
  g_assert_true (fluid_worker_is_stopping (w));

  /* A stopping worker does not sleep at all. */
  g_assert_cmpint (sleep_outcome (w, 3600, NULL, NULL), ==, 0);

  g_assert_true (fluid_test_shutdown (w, NULL));
  g_test_assert_expected_messages ();

  /* A forced worker: CANCELLED at once. */
  g_assert_cmpint (sleep_outcome (w, 3600, NULL, NULL), ==, -1);
}

typedef struct
{
  gint64        start;
  guint         woken;
} SleepRun;

typedef struct
{
  SleepRun     *run;
  double        seconds;
  gint64        deadline;    /* µs, from the start of the run */
  gint64        woke;        /* µs, from the start; 0 while it sleeps */
  guint         order;
  gboolean      cancelled;
  GCancellable *cancellable;
} Sleeper;

static void
sleeper_woke_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Sleeper *sleeper = user_data;
  g_autoptr(GError) error = NULL;
  gboolean elapsed = fluid_worker_sleep_finish (FLUID_WORKER (source), result, &error);

  sleeper->woke = g_get_monotonic_time () - sleeper->run->start;
  sleeper->order = sleeper->run->woken++;
  if (sleeper->cancelled)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  else
    {
      g_assert_no_error (error);
      g_assert_true (elapsed);
    }
}

/* Many sleeps at once, of durations in no order, some cancelled: each
 * that is not cancelled lasts at least its time, and they end in the order
 * of their deadlines (the worker's timers share one source per context and
 * group deadlines by 100 µs ticks: two deadlines a millisecond apart never
 * swap). A cancelled one sleeps an hour, so it can only have ended through
 * its cancellation. No bound on lateness: under valgrind everything is
 * late, and only the order and the lower bounds hold. Each deadline is
 * known within the time its sleep_async() call took. */
static void
test_worker_sleeps_in_order (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_UNTIL_CANCELLED, 0, 0.01);
  FluidWorker *w = FLUID_WORKER (worker);
  enum { N_SLEEPERS = 120 };
  Sleeper sleepers[N_SLEEPERS] = { { 0, }, };
  gint64 latest_deadline[N_SLEEPERS];
  SleepRun run = { 0, };
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);

  g_assert_true (fluid_test_startup (w, NULL));
  run.start = g_get_monotonic_time ();
  for (guint i = 0; i < N_SLEEPERS; i++)
    {
      Sleeper *sleeper = &sleepers[i];
      gint64 duration;

      sleeper->run = &run;
      sleeper->cancelled = i % 10 == 3;
      /* 1 to 40 ms, on a 0.05 ms grid, so that some share a tick. */
      sleeper->seconds = sleeper->cancelled ? 3600 : g_rand_int_range (rand, 20, 800) * 0.00005;
      duration = (gint64) (sleeper->seconds * G_USEC_PER_SEC);
      sleeper->deadline = g_get_monotonic_time () - run.start + duration;
      sleeper->cancellable = g_cancellable_new ();
      fluid_worker_sleep_async (w, sleeper->seconds, sleeper->cancellable,
                                sleeper_woke_cb, sleeper);
      latest_deadline[i] = g_get_monotonic_time () - run.start + duration;
    }
  for (guint i = 0; i < N_SLEEPERS; i++)
    if (sleepers[i].cancelled)
      g_cancellable_cancel (sleepers[i].cancellable);

  fluid_test_wait_until (run.woken == N_SLEEPERS);

  for (guint i = 0; i < N_SLEEPERS; i++)
    {
      Sleeper *a = &sleepers[i];

      if (a->cancelled)
        continue;
      g_assert_cmpint (a->woke, >=, a->deadline);
      for (guint j = 0; j < N_SLEEPERS; j++)
        {
          Sleeper *b = &sleepers[j];

          if (!b->cancelled && latest_deadline[i] + 1000 <= b->deadline)
            g_assert_cmpuint (a->order, <, b->order);
        }
    }

  for (guint i = 0; i < N_SLEEPERS; i++)
    g_object_unref (sleepers[i].cancellable);
  g_assert_true (fluid_test_shutdown (w, NULL));
  g_test_assert_expected_messages ();
}

static void
test_worker_sleep_force_stopped (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.01);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GAsyncResult) result = NULL;
  int outcome = 42;

  g_assert_true (fluid_test_startup (w, NULL));
  /* Sleep while the worker is stopping, then force it: the sleep was
   * already woken by the graceful stop. A new sleep during the grace
   * period returns FALSE; the forced stop then cancels what is left. */
  fluid_worker_gracefully_stop (w);
  g_assert_cmpint (sleep_outcome (w, 3600, NULL, NULL), ==, 0);

  fluid_worker_shutdown_async (w, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  g_test_assert_expected_messages ();
  fluid_worker_sleep_async (w, 3600, NULL, sleep_until_stopped_cb, &outcome);
  fluid_test_wait_until (outcome != 42);
  g_assert_cmpint (outcome, ==, -1);

  fluid_test_worker_complete_run (worker);
  fluid_test_wait_until (g_main_context_pending (NULL) == FALSE);
  g_test_assert_expected_messages ();
}

typedef struct
{
  FluidWorker *worker;
  GMainContext *context;
  GThread *thread;
  gboolean started;
  gboolean stopped;
  Recorder recorder;
} ThreadedWorker;

static gpointer
stop_from_thread (gpointer user_data)
{
  fluid_worker_gracefully_stop (FLUID_WORKER (user_data));
  return NULL;
}

/* gracefully_stop from another thread than the worker's */
static void
test_worker_gracefully_stop_from_thread (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600.0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  Recorder recorder = { 0 };
  GThread *thread;

  recorder_watch (&recorder, w);
  g_assert_true (fluid_test_startup (w, NULL));
  fluid_test_wait_until (fluid_test_worker_get_iterations (worker) == 1);

  thread = g_thread_new ("stopper", stop_from_thread, w);
  g_thread_join (thread);

  g_assert_true (fluid_test_wait_for_shutdown (w, NULL));
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
  /* Every notification came on the worker's own (this) thread. */
  g_assert_true (recorder.signal_thread == g_thread_self ());
  recorder_clear (&recorder);
}

static void
threaded_started_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  ThreadedWorker *tw = user_data;

  g_assert_true (fluid_worker_startup_finish (FLUID_WORKER (source), result, NULL));
  g_atomic_int_set (&tw->started, TRUE);
}

static void
threaded_stopped_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  ThreadedWorker *tw = user_data;

  g_assert_true (fluid_worker_wait_for_shutdown_finish (FLUID_WORKER (source), result, NULL));
  g_atomic_int_set (&tw->stopped, TRUE);
}

static gpointer
run_worker_in_thread (gpointer user_data)
{
  ThreadedWorker *tw = user_data;

  g_main_context_push_thread_default (tw->context);
  fluid_worker_startup_async (tw->worker, NULL, threaded_started_cb, tw);
  fluid_worker_wait_for_shutdown_async (tw->worker, NULL, threaded_stopped_cb, tw);
  while (!g_atomic_int_get (&tw->stopped))
    g_main_context_iteration (tw->context, TRUE);
  g_main_context_pop_thread_default (tw->context);
  return NULL;
}

/* A worker on another thread's context, stopped from this thread: its
 * signals come on its own thread. */
static void
test_worker_runs_on_its_thread (void)
{
  ThreadedWorker tw = { 0 };
  gint64 deadline = g_get_monotonic_time () + FLUID_TEST_WAIT_LIMIT_SECONDS * G_USEC_PER_SEC;

  tw.worker = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600.0, 10.0));
  tw.context = g_main_context_new ();
  recorder_watch (&tw.recorder, tw.worker);
  tw.thread = g_thread_new ("worker", run_worker_in_thread, &tw);

  while (!g_atomic_int_get (&tw.started))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_thread_yield ();
    }
  fluid_worker_gracefully_stop (tw.worker);
  g_thread_join (tw.thread);

  g_assert_true (tw.recorder.signal_thread == tw.thread);
  g_assert_cmpint (fluid_worker_get_state (tw.worker), ==, FLUID_WORKER_STATE_STOPPED);
  recorder_clear (&tw.recorder);
  g_object_unref (tw.worker);
  g_main_context_unref (tw.context);
}

/* Waiting is abandoned through its cancellable; the worker runs on. */
static void
test_worker_wait_cancelled (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600.0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (w, NULL));
  fluid_worker_wait_for_shutdown_async (w, cancellable, fluid_test_store_result_cb, &result);
  g_cancellable_cancel (cancellable);
  fluid_test_wait_until (result != NULL);
  g_assert_false (fluid_worker_wait_for_shutdown_finish (w, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (fluid_worker_is_running (w));

  g_assert_true (fluid_test_shutdown (w, NULL));
}

static void
stop_emission_cb (FluidWorker *worker,
                  const char  *reason,
                  int          exit_code,
                  gpointer     user_data)
{
  g_signal_stop_emission_by_name (worker, "stopped");
}

/* after_shutdown is the class handler of "stopped", not a separate call: a
 * handler that stops the emission keeps it from running. */
static void
test_worker_after_shutdown_is_class_handler (void)
{
  g_autoptr(FluidTestWorker) plain = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10.0);
  g_autoptr(FluidTestWorker) stopped = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10.0);

  g_signal_connect (stopped, "stopped", G_CALLBACK (stop_emission_cb), NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (plain), NULL));
  g_assert_true (fluid_test_startup (FLUID_WORKER (stopped), NULL));
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (plain), NULL));
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (stopped), NULL));
  g_assert_cmpuint (fluid_test_worker_get_after_shutdown_calls (plain), ==, 1);
  g_assert_cmpuint (fluid_test_worker_get_after_shutdown_calls (stopped), ==, 0);
}

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context for @seconds: only for the checks that
 * something does not happen, which have nothing else to wait on. */
static void
iterate_for (double seconds)
{
  gboolean done = FALSE;

  g_timeout_add ((guint) (seconds * 1000), set_flag_cb, &done);
  fluid_test_wait_until (done);
}

/* wait_for_shutdown neither stops a running worker nor forces a stopping
 * one, however long its grace period has run out. */
static void
test_worker_wait_neither_stops_nor_forces (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.01);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (w, NULL));
  fluid_worker_wait_for_shutdown_async (w, NULL, fluid_test_store_result_cb, &result);
  iterate_for (0.1);
  g_assert_null (result);
  g_assert_true (fluid_worker_is_running (w));

  /* Ten grace periods after a graceful stop: still stopping, not forced. */
  fluid_worker_gracefully_stop (w);
  iterate_for (0.1);
  g_assert_null (result);
  g_assert_true (fluid_worker_is_stopping (w));
  g_assert_false (g_cancellable_is_cancelled (fluid_worker_get_cancellable (w)));

  fluid_test_worker_complete_run (worker);
  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_wait_for_shutdown_finish (w, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
}

/* The force stop comes when the grace period runs out: not before, and not
 * long after, though run ignores its cancellable. */
static void
test_worker_force_stop_timing (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.1);
  FluidWorker *w = FLUID_WORKER (worker);
  gint64 start, elapsed;

  g_assert_true (fluid_test_startup (w, NULL));
  start = g_get_monotonic_time ();
  g_assert_true (fluid_test_shutdown (w, NULL));
  elapsed = g_get_monotonic_time () - start;
  g_test_assert_expected_messages ();
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (elapsed, >=, G_USEC_PER_SEC / 10);
  /* Generous, for valgrind and loaded machines: it catches a shutdown that
   * waits for run or for a later tick, not a few milliseconds. */
  g_assert_cmpint (elapsed, <, G_USEC_PER_SEC / 10 + G_USEC_PER_SEC);

  fluid_test_worker_complete_run (worker);
  fluid_test_wait_until (g_main_context_pending (NULL) == FALSE);
  g_test_assert_expected_messages ();
}

/* Where everything of a worker running on another thread's context
 * happened: one bit per kind of event, set in @seen, and in @wrong when it
 * happened on another thread than the worker's. */
enum
{
  EVENT_STARTED = 1 << 0,
  EVENT_STOPPING = 1 << 1,
  EVENT_STOPPED = 1 << 2,
  EVENT_NOTIFY_STATE = 1 << 3,
  EVENT_RUN = 1 << 4,
  EVENT_STARTUP_CB = 1 << 5,
  EVENT_STATUS_CB = 1 << 6,
  EVENT_WAIT_CB = 1 << 7,
  EVENT_ALL = (1 << 8) - 1,
};

typedef struct
{
  FluidWorker  *worker;
  GMainContext *context;
  GThread      *owner;     /* set by the worker's thread before startup */
  guint         seen;      /* atomic */
  guint         wrong;     /* atomic */
  gint          running;   /* atomic: the status callback ran */
  gint          done;      /* atomic */
} ContextCheck;

static void
context_check_event (ContextCheck *check,
                     guint         event)
{
  g_atomic_int_or (&check->seen, event);
  if (g_thread_self () != check->owner)
    g_atomic_int_or (&check->wrong, event);
}

static void
context_check_started_cb (FluidWorker *worker,
                          gpointer     user_data)
{
  context_check_event (user_data, EVENT_STARTED);
}

static void
context_check_stopping_cb (FluidWorker *worker,
                           gpointer     user_data)
{
  context_check_event (user_data, EVENT_STOPPING);
}

static void
context_check_stopped_cb (FluidWorker *worker,
                          const char  *reason,
                          int          exit_code,
                          gpointer     user_data)
{
  context_check_event (user_data, EVENT_STOPPED);
}

static void
context_check_notify_cb (GObject    *object,
                         GParamSpec *pspec,
                         gpointer    user_data)
{
  context_check_event (user_data, EVENT_NOTIFY_STATE);
}

static void
context_check_run (FluidWorker *worker,
                   gpointer     user_data)
{
  context_check_event (user_data, EVENT_RUN);
}

static void
context_check_status_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  ContextCheck *check = user_data;
  g_autoptr(GVariant) status = fluid_worker_status_finish (FLUID_WORKER (source), result, NULL);

  g_assert_nonnull (status);
  context_check_event (check, EVENT_STATUS_CB);
  g_atomic_int_set (&check->running, TRUE);
}

static void
context_check_startup_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  ContextCheck *check = user_data;

  g_assert_true (fluid_worker_startup_finish (FLUID_WORKER (source), result, NULL));
  context_check_event (check, EVENT_STARTUP_CB);
  fluid_worker_status_async (FLUID_WORKER (source), NULL, context_check_status_cb, check);
}

static void
context_check_wait_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  ContextCheck *check = user_data;

  g_assert_true (fluid_worker_wait_for_shutdown_finish (FLUID_WORKER (source), result, NULL));
  context_check_event (check, EVENT_WAIT_CB);
  g_atomic_int_set (&check->done, TRUE);
}

static gpointer
context_check_thread (gpointer user_data)
{
  ContextCheck *check = user_data;

  check->owner = g_thread_self ();
  g_main_context_push_thread_default (check->context);
  fluid_worker_startup_async (check->worker, NULL, context_check_startup_cb, check);
  fluid_worker_wait_for_shutdown_async (check->worker, NULL, context_check_wait_cb, check);
  /* Blocks without a timeout: the stop from the other thread must wake it. */
  while (!g_atomic_int_get (&check->done))
    g_main_context_iteration (check->context, TRUE);
  g_main_context_pop_thread_default (check->context);
  return NULL;
}

/* A worker started on another thread's context, stopped from this thread:
 * its run, each of its signals, notify::state and every async callback
 * happen on its own thread, the "stopping" of the cross-thread stop too. */
static void
test_worker_everything_on_its_context (void)
{
  ContextCheck check = { 0 };
  gint64 deadline = g_get_monotonic_time () + FLUID_TEST_WAIT_LIMIT_SECONDS * G_USEC_PER_SEC;
  GThread *thread;

  check.worker = fluid_worker_function_new (3600.0, context_check_run, &check, NULL);
  check.context = g_main_context_new ();
  g_signal_connect (check.worker, "started", G_CALLBACK (context_check_started_cb), &check);
  g_signal_connect (check.worker, "stopping", G_CALLBACK (context_check_stopping_cb), &check);
  g_signal_connect (check.worker, "stopped", G_CALLBACK (context_check_stopped_cb), &check);
  g_signal_connect (check.worker, "notify::state", G_CALLBACK (context_check_notify_cb), &check);
  thread = g_thread_new ("worker", context_check_thread, &check);

  while (!g_atomic_int_get (&check.running) || !(g_atomic_int_get (&check.seen) & EVENT_RUN))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for the worker to run");
      g_thread_yield ();
    }
  fluid_worker_gracefully_stop (check.worker);
  g_thread_join (thread);

  g_assert_cmphex (g_atomic_int_get (&check.seen), ==, EVENT_ALL);
  g_assert_cmphex (g_atomic_int_get (&check.wrong), ==, 0);
  g_assert_cmpint (fluid_worker_get_state (check.worker), ==, FLUID_WORKER_STATE_STOPPED);
  g_object_unref (check.worker);
  g_main_context_unref (check.context);
}

static void
record_thread_cb (FluidWorker *worker,
                  gpointer     user_data)
{
  *(GThread **) user_data = g_thread_self ();
}

/* A worker on the global default context, asked to stop by a thread that
 * has no context of its own while this thread is not iterating: the
 * "stopping" signal still comes on this thread, the worker's. */
static void
test_worker_stop_from_thread_on_default_context (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600.0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  GThread *stopping_thread = NULL;
  GThread *thread;

  g_assert_null (g_main_context_get_thread_default ());
  g_signal_connect (w, "stopping", G_CALLBACK (record_thread_cb), &stopping_thread);
  g_assert_true (fluid_test_startup (w, NULL));

  /* This thread does not own the default context while it joins. */
  thread = g_thread_new ("stopper", stop_from_thread, w);
  g_thread_join (thread);

  g_assert_true (fluid_test_wait_for_shutdown (w, NULL));
  g_assert_true (stopping_thread == g_thread_self ());
}

/* Stop requests repeated, and two shutdowns in flight at once: one
 * STOPPING, one forced stop, one "stopped"; both shutdowns succeed. */
static void
test_worker_repeated_stops (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_UNTIL_CANCELLED, 0, 0.02);
  FluidWorker *w = FLUID_WORKER (worker);
  const FluidWorkerState expected[] = {
    FLUID_WORKER_STATE_RUNNING, FLUID_WORKER_STATE_STOPPING, FLUID_WORKER_STATE_FORCE_STOPPED,
  };
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;
  Recorder recorder = { 0 };

  recorder_watch (&recorder, w);
  g_assert_true (fluid_test_startup (w, NULL));
  fluid_worker_gracefully_stop (w);
  fluid_worker_gracefully_stop (w);
  g_assert_cmpstr (recorder.events->str, ==, "started;stopping;");

  fluid_test_log_capture_reset ();
  fluid_worker_shutdown_async (w, NULL, fluid_test_store_result_cb, &first);
  fluid_worker_shutdown_async (w, NULL, fluid_test_store_result_cb, &second);
  fluid_test_wait_until (first != NULL && second != NULL);
  g_test_assert_expected_messages ();
  g_assert_true (fluid_worker_shutdown_finish (w, first, &error));
  g_assert_no_error (error);
  g_assert_true (fluid_worker_shutdown_finish (w, second, &error));
  g_assert_no_error (error);

  /* Once stopped, a stop request changes nothing. */
  fluid_worker_gracefully_stop (w);
  fluid_test_wait_until (fluid_test_log_captured (G_LOG_LEVEL_DEBUG, "*",
                                                  "*cancelled by the forced shutdown"));

  assert_states (&recorder, expected, G_N_ELEMENTS (expected));
  g_assert_cmpstr (recorder.events->str, ==, "started;stopping;stopped;");
  g_assert_cmpuint (recorder.stopped_count, ==, 1);
  g_assert_cmpint (recorder.exit_code, ==, FLUID_EXIT_CODE_FORCED);
  recorder_clear (&recorder);
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
  g_test_init (&argc, &argv, NULL);
  fluid_test_log_capture_init ();

  g_test_add_func ("/worker/sleep", test_worker_sleep);
  g_test_add_func ("/worker/sleeps-in-order", test_worker_sleeps_in_order);
  g_test_add_func ("/worker/sleep-force-stopped", test_worker_sleep_force_stopped);
  g_test_add_func ("/worker/gracefully-stop-from-thread", test_worker_gracefully_stop_from_thread);
  g_test_add_func ("/worker/runs-on-its-thread", test_worker_runs_on_its_thread);
  g_test_add_func ("/worker/wait-cancelled", test_worker_wait_cancelled);
  g_test_add_func ("/worker/after-shutdown-is-class-handler",
                   test_worker_after_shutdown_is_class_handler);
  g_test_add_func ("/worker/wait-neither-stops-nor-forces",
                   test_worker_wait_neither_stops_nor_forces);
  g_test_add_func ("/worker/force-stop-timing", test_worker_force_stop_timing);
  g_test_add_func ("/worker/everything-on-its-context", test_worker_everything_on_its_context);
  g_test_add_func ("/worker/stop-from-thread-on-default-context",
                   test_worker_stop_from_thread_on_default_context);
  g_test_add_func ("/worker/repeated-stops", test_worker_repeated_stops);

  return g_test_run ();
}
