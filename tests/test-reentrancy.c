/* test-reentrancy.c: user code that calls back into the library: nested
 * main loops in callbacks, stops inside signal handlers, failures from
 * anywhere, and what may run inside the call that starts a worker.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#include "fluid-test-utils.h"

/* Bug: the timers' source kept its past ready time while it dispatched,
 * so a nested main loop inside a sleep callback spun: 269 032 iterations
 * in 200 ms. A nested loop waiting for a 50 ms timeout now iterates a
 * handful of times, whatever the machine's speed. */

typedef struct
{
  guint    nested_iterations;
  gboolean done;
} NestedData;

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static guint
nested_loop_until_timeout (void)
{
  gboolean fired = FALSE;
  guint iterations = 0;

  g_timeout_add (50, set_flag_cb, &fired);
  while (!fired)
    {
      g_main_context_iteration (NULL, TRUE);
      iterations++;
    }
  return iterations;
}

static void
slept_then_nested_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  NestedData *data = user_data;

  g_assert_true (fluid_worker_sleep_finish (FLUID_WORKER (source), result, NULL));
  data->nested_iterations = nested_loop_until_timeout ();
  data->done = TRUE;
}

static void
test_nested_loop_in_sleep_callback (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_UNTIL_CANCELLED, 0, 0.01);
  NestedData data = { 0 };

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  fluid_worker_sleep_async (FLUID_WORKER (worker), 0.001, NULL, slept_then_nested_cb, &data);
  fluid_test_wait_until (data.done);
  /* The timeout, the clock's dispatch, a wake-up or two: never thousands. */
  g_assert_cmpuint (data.nested_iterations, <, 100);
  fluid_test_shutdown (FLUID_WORKER (worker), NULL);
}

/* From the second call on, the function is called from the dispatch of
 * the context's timers, after a sleep. */
static void
nested_in_func (FluidWorker *worker,
                gpointer     user_data)
{
  NestedData *data = user_data;

  if (data->done || data->nested_iterations++ == 0)
    return;
  data->nested_iterations = nested_loop_until_timeout ();
  data->done = TRUE;
}

static void
test_nested_loop_in_worker_function (void)
{
  NestedData data = { 0 };
  g_autoptr(FluidWorker) worker = fluid_worker_function_new (0.001, nested_in_func, &data, NULL);

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (data.done);
  g_assert_cmpuint (data.nested_iterations, <, 100);
  fluid_test_shutdown (worker, NULL);
}

/* Bug: the owner dropped its reference to a running FluidWorkerFunction;
 * its func shut the worker down (10 ms grace) and iterated the context
 * until it stopped, as a sync helper or a modal dialog would: the forced
 * stop dropped the last reference while func was on the stack
 * (heap-use-after-free under ASan). The run holds its own reference. */

static void
shutdown_and_wait_func (FluidWorker *worker,
                        gpointer     user_data)
{
  guint *calls = user_data;
  g_autoptr(GAsyncResult) result = NULL;

  /* The second call: from a dispatch of the context, once the owner has
   * dropped its reference. */
  if ((*calls)++ != 1)
    return;
  fluid_worker_shutdown_async (worker, NULL, fluid_test_store_result_cb, &result);
  /* Waits in a nested loop beyond the grace period: the stop is forced
   * while this function still runs. */
  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_shutdown_finish (worker, result, NULL));
  g_assert_true (fluid_worker_is_stopped (worker));
}

static gboolean
weak_ref_is_empty (GWeakRef *weak)
{
  GObject *object = g_weak_ref_get (weak);
  gboolean empty = object == NULL;

  g_clear_object (&object);
  return empty;
}

static void
test_worker_function_drops_last_reference (void)
{
  guint calls = 0;
  FluidWorker *worker;
  GWeakRef weak;

  worker = fluid_worker_function_new (0.001, shutdown_and_wait_func, &calls, NULL);
  fluid_worker_set_stopping_grace_period (worker, 0.01);
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (worker), ==, 0.01);
  g_weak_ref_init (&weak, worker);

  fluid_worker_startup_async (worker, NULL, NULL, NULL);
  g_object_unref (worker);
  fluid_test_wait_until (weak_ref_is_empty (&weak));
  g_assert_cmpuint (calls, ==, 2);
  g_weak_ref_clear (&weak);
}

/* Bug: the first handler of notify::state stopped the worker on RUNNING;
 * the second never saw RUNNING, and ::stopping came before ::started. */

typedef struct
{
  GString *first;
  GString *second;
  GString *signals;
} StateLog;

static void
first_handler_cb (GObject    *object,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  StateLog *log = user_data;
  FluidWorkerState state = fluid_worker_get_state (FLUID_WORKER (object));

  g_string_append_printf (log->first, "%s;", fluid_test_state_nick (state));
  if (state == FLUID_WORKER_STATE_RUNNING)
    fluid_worker_gracefully_stop (FLUID_WORKER (object));
}

static void
second_handler_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  StateLog *log = user_data;

  g_string_append_printf (log->second, "%s;",
                          fluid_test_state_nick (fluid_worker_get_state (FLUID_WORKER (object))));
}

static void
signal_cb (FluidWorker *worker,
           gpointer     user_data)
{
  StateLog *log = user_data;

  g_string_append_printf (log->signals, "%s;",
                          fluid_test_state_nick (fluid_worker_get_state (worker)));
}

static void
test_stop_inside_notify (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 1);
  StateLog log = { g_string_new (NULL), g_string_new (NULL), g_string_new (NULL) };

  g_signal_connect (worker, "notify::state", G_CALLBACK (first_handler_cb), &log);
  g_signal_connect (worker, "notify::state", G_CALLBACK (second_handler_cb), &log);
  g_signal_connect (worker, "started", G_CALLBACK (signal_cb), &log);
  g_signal_connect (worker, "stopping", G_CALLBACK (signal_cb), &log);

  fluid_worker_startup_async (FLUID_WORKER (worker), NULL, NULL, NULL);
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (worker), NULL));

  g_assert_cmpstr (log.first->str, ==, "running;stopping;stopped;");
  g_assert_cmpstr (log.second->str, ==, "running;stopping;stopped;");
  g_assert_cmpstr (log.signals->str, ==, "running;stopping;");
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_NORMAL);

  g_string_free (log.first, TRUE);
  g_string_free (log.second, TRUE);
  g_string_free (log.signals, TRUE);
}

/* A stop inside ::stopped and ::started handlers, and a shutdown from a
 * handler of the RUNNING notification: each state is seen once. */
static void
shutdown_on_started_cb (FluidWorker *worker,
                        gpointer     user_data)
{
  fluid_worker_shutdown_async (worker, NULL, NULL, NULL);
  fluid_worker_gracefully_stop (worker);
}

static void
stop_on_stopped_cb (FluidWorker *worker,
                    const char  *reason,
                    int          exit_code,
                    gpointer     user_data)
{
  (*(guint *) user_data)++;
  fluid_worker_gracefully_stop (worker);
  fluid_worker_shutdown_async (worker, NULL, NULL, NULL);
}

static void
test_stops_inside_signals (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 1);
  guint stopped = 0;

  g_signal_connect (worker, "started", G_CALLBACK (shutdown_on_started_cb), NULL);
  g_signal_connect (worker, "stopped", G_CALLBACK (stop_on_stopped_cb), &stopped);
  fluid_worker_startup_async (FLUID_WORKER (worker), NULL, NULL, NULL);
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (worker), NULL));
  g_assert_cmpuint (stopped, ==, 1);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (worker)), ==, FLUID_WORKER_STATE_STOPPED);
}

/* Bug: a sleep given the worker's own cancellable ignored its
 * cancellation (and slept its whole time). */

static void
store_error_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GError **error = user_data;

  g_assert_false (fluid_worker_sleep_finish (FLUID_WORKER (source), result, error));
  g_assert_nonnull (*error);
}

static void
test_sleep_with_worker_cancellable (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.01);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (w, NULL));
  fluid_worker_sleep_async (w, 3600, fluid_worker_get_cancellable (w), store_error_cb, &error);
  g_cancellable_cancel (fluid_worker_get_cancellable (w));
  fluid_test_wait_until (error != NULL);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Cancelling the worker's cancellable does not stop it. */
  g_assert_true (fluid_worker_is_running (w));
  /* Its run's GTask, made with that cancellable, now fails. */
  fluid_test_worker_complete_run (worker);
  g_assert_false (fluid_test_wait_for_shutdown (w, NULL));
}

/* Bug: user code ran inside fluid_worker_startup_async(): the function
 * was called, queued messages handled, before the call returned. */

static void
count_func (FluidWorker *worker,
            gpointer     user_data)
{
  (*(guint *) user_data)++;
}

static void
count_message (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               gpointer                  user_data)
{
  (*(guint *) user_data)++;
}

static void
test_no_user_code_inside_startup (void)
{
  guint calls = 0, handled = 0;
  g_autoptr(FluidWorker) function = fluid_worker_function_new (0.001, count_func, &calls, NULL);
  g_autoptr(FluidWorker) consumer = fluid_queue_consumer_worker_new (count_message, &handled, NULL);

  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (consumer), "queued before startup");
  fluid_worker_startup_async (function, NULL, NULL, NULL);
  fluid_worker_startup_async (consumer, NULL, NULL, NULL);
  g_assert_true (fluid_worker_is_running (function));
  g_assert_true (fluid_worker_is_running (consumer));
  g_assert_cmpuint (calls, ==, 0);
  g_assert_cmpuint (handled, ==, 0);

  fluid_test_wait_until (calls > 0 && handled == 1);
  fluid_test_shutdown (function, NULL);
  fluid_test_shutdown (consumer, NULL);
}

/* fluid_worker_fail(): from another thread, once, and its outcome. */

typedef struct
{
  FluidWorker *worker;
  GError      *error;
} FailData;

static gpointer
fail_thread (gpointer user_data)
{
  FailData *data = user_data;

  fluid_worker_fail (data->worker, data->error);
  return NULL;
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_fail_from_thread (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 10);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GError) error = NULL;
  FailData data = { w, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "lost the pipe") };
  guint exit_code_notifies = 0, reason_notifies = 0;
  GThread *thread;

  g_assert_cmpint (fluid_worker_get_exit_code (w), ==, -1);
  g_assert_null (fluid_worker_get_stop_reason (w));
  g_signal_connect (w, "notify::exit-code", G_CALLBACK (count_notify_cb), &exit_code_notifies);
  g_signal_connect (w, "notify::stop-reason", G_CALLBACK (count_notify_cb), &reason_notifies);

  g_assert_true (fluid_test_startup (w, NULL));
  thread = g_thread_new ("fail", fail_thread, &data);
  g_thread_join (thread);
  g_assert_false (fluid_test_wait_for_shutdown (w, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_clear_error (&error);

  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (w), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpstr (fluid_worker_get_stop_reason (w), ==, "lost the pipe");
  g_assert_cmpuint (exit_code_notifies, ==, 1);
  g_assert_cmpuint (reason_notifies, ==, 1);
  /* The run in progress was told to end. */
  g_assert_true (g_cancellable_is_cancelled (fluid_worker_get_cancellable (w)));

  /* Its late completion, and a second failure, change nothing; every
   * wait gets the same error. */
  fluid_test_worker_complete_run (worker);
  fluid_worker_fail (w, data.error);
  fluid_test_settle (NULL);
  g_assert_false (fluid_test_shutdown (w, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_cmpint (fluid_worker_get_exit_code (w), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpuint (exit_code_notifies, ==, 1);
  g_error_free (data.error);
}

static void
test_fail_bad_input (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 1);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*fluid_worker_has_started*");
  fluid_worker_fail (FLUID_WORKER (worker), error);
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*error != NULL*");
  fluid_worker_fail (FLUID_WORKER (worker), NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (worker)), ==, FLUID_WORKER_STATE_INIT);

  /* Still usable. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpstr (fluid_worker_get_stop_reason (FLUID_WORKER (worker)), ==, "normal shutdown");
}

/* A FluidWorkerFunction whose func fails its worker, as a binding does
 * when the function raised. */
static void
failing_func (FluidWorker *worker,
              gpointer     user_data)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "raised");

  (*(guint *) user_data)++;
  fluid_worker_fail (worker, error);
}

static void
test_fail_from_worker_function (void)
{
  guint calls = 0;
  g_autoptr(FluidWorker) worker = fluid_worker_function_new (0, failing_func, &calls, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpuint (calls, ==, 1);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_ERROR);
}

/* A destroy notify that calls back into the library while the worker is
 * finalized. */
static void
destroy_starts_another (gpointer user_data)
{
  guint *calls = user_data;
  g_autoptr(FluidWorker) other = fluid_worker_function_new (0.001, count_func, calls, NULL);

  fluid_worker_startup_async (other, NULL, NULL, NULL);
  fluid_worker_gracefully_stop (other);
}

static void
test_destroy_notify_calls_back (void)
{
  guint calls = 0;
  FluidWorker *worker = fluid_worker_function_new (0.001, count_func, &calls, destroy_starts_another);

  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_object_unref (worker);
  fluid_test_settle (NULL);
}

/* What user code sees of the end is complete: inside notify::exit-code
 * the exit code is readable, and a consumer's ::stopped handler and
 * notify::state handlers see its final counts and an empty queue. */

static void
read_exit_code_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  *(int *) user_data = fluid_worker_get_exit_code (FLUID_WORKER (object));
}

typedef struct
{
  guint   handled;
  guint64 discarded_at_stopped;
  guint   queue_size_at_stopped;
} EndCounts;

static void
fail_on_first_message (FluidQueueConsumerWorker *worker,
                       const GValue             *message,
                       gpointer                  user_data)
{
  EndCounts *counts = user_data;
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "raised");

  if (counts->handled++ == 0)
    fluid_worker_fail (FLUID_WORKER (worker), error);
}

static void
consumer_stopped_cb (FluidWorker *worker,
                     const char  *reason,
                     int          exit_code,
                     gpointer     user_data)
{
  EndCounts *counts = user_data;

  counts->discarded_at_stopped = fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (worker));
  counts->queue_size_at_stopped = fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (worker));
}

static void
test_end_seen_complete (void)
{
  EndCounts counts = { 0 };
  g_autoptr(FluidWorker) consumer = fluid_queue_consumer_worker_new (fail_on_first_message,
                                                                     &counts, NULL);
  int exit_code_seen = -5;
  enum { N_MESSAGES = 100 };

  g_signal_connect (consumer, "notify::exit-code", G_CALLBACK (read_exit_code_cb), &exit_code_seen);
  g_signal_connect (consumer, "stopped", G_CALLBACK (consumer_stopped_cb), &counts);
  for (guint i = 0; i < N_MESSAGES; i++)
    fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (consumer), "message");

  g_assert_true (fluid_test_startup (consumer, NULL));
  g_assert_false (fluid_test_wait_for_shutdown (consumer, NULL));
  g_assert_cmpint (exit_code_seen, ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpuint (counts.queue_size_at_stopped, ==, 0);
  /* The failing message was in hand: discarded, as everything after it. */
  g_assert_cmpuint (counts.discarded_at_stopped, ==, N_MESSAGES - counts.handled + 1);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (consumer)), ==,
                    counts.discarded_at_stopped);
}

/* A shutdown asked for in the call after startup, before the worker's
 * first dispatch (its start still pending): the grace period runs from the
 * request, and a run that ignores its cancellable is forced. */
static void
test_shutdown_before_first_dispatch (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.01);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GAsyncResult) result = NULL;

  fluid_worker_startup_async (w, NULL, NULL, NULL);
  fluid_worker_shutdown_async (w, NULL, fluid_test_store_result_cb, &result);
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPING);
  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_shutdown_finish (w, result, NULL));
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (w), ==, FLUID_EXIT_CODE_FORCED);
  fluid_test_worker_complete_run (worker);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/reentrancy/nested-loop-in-sleep-callback", test_nested_loop_in_sleep_callback);
  g_test_add_func ("/reentrancy/nested-loop-in-worker-function", test_nested_loop_in_worker_function);
  g_test_add_func ("/reentrancy/worker-function-drops-last-reference",
                   test_worker_function_drops_last_reference);
  g_test_add_func ("/reentrancy/stop-inside-notify", test_stop_inside_notify);
  g_test_add_func ("/reentrancy/stops-inside-signals", test_stops_inside_signals);
  g_test_add_func ("/reentrancy/sleep-with-worker-cancellable", test_sleep_with_worker_cancellable);
  g_test_add_func ("/reentrancy/no-user-code-inside-startup", test_no_user_code_inside_startup);
  g_test_add_func ("/reentrancy/fail-from-thread", test_fail_from_thread);
  g_test_add_func ("/reentrancy/fail-bad-input", test_fail_bad_input);
  g_test_add_func ("/reentrancy/fail-from-worker-function", test_fail_from_worker_function);
  g_test_add_func ("/reentrancy/destroy-notify-calls-back", test_destroy_notify_calls_back);
  g_test_add_func ("/reentrancy/end-seen-complete", test_end_seen_complete);
  g_test_add_func ("/reentrancy/shutdown-before-first-dispatch", test_shutdown_before_first_dispatch);

  return g_test_run ();
}
