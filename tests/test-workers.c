/* test-workers.c: FluidWorkers, the supervised group
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

/* Records the "stopped" signals of several workers, in order. */
typedef struct
{
  GString *order;
  GHashTable *reasons;   /* name → reason */
  GHashTable *codes;     /* name → exit code + 1 */
} StopLog;

static void
stop_log_stopped_cb (FluidWorker *worker,
                     const char  *reason,
                     int          exit_code,
                     gpointer     user_data)
{
  StopLog *log = user_data;

  g_string_append_printf (log->order, "%s;", fluid_worker_get_name (worker));
  g_hash_table_insert (log->reasons, g_strdup (fluid_worker_get_name (worker)), g_strdup (reason));
  g_hash_table_insert (log->codes, g_strdup (fluid_worker_get_name (worker)),
                       GINT_TO_POINTER (exit_code + 1));
}

static void
stop_log_init (StopLog *log)
{
  log->order = g_string_new (NULL);
  log->reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  log->codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
stop_log_watch (StopLog     *log,
                FluidWorker *worker)
{
  g_signal_connect (worker, "stopped", G_CALLBACK (stop_log_stopped_cb), log);
}

static const char *
stop_log_reason (StopLog    *log,
                 const char *name)
{
  return g_hash_table_lookup (log->reasons, name);
}

static int
stop_log_code (StopLog    *log,
               const char *name)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (log->codes, name)) - 1;
}

static void
stop_log_clear (StopLog *log)
{
  g_string_free (log->order, TRUE);
  g_hash_table_unref (log->reasons);
  g_hash_table_unref (log->codes);
}

static FluidWorker *
sleeper (const char *name)
{
  return FLUID_WORKER (fluid_test_worker_new_named (name, FLUID_TEST_RUN_SLEEP_LOOP, 3600.0, 10.0));
}

/* A worker whose on_startup fails. */

#define TEST_TYPE_FAILING_STARTUP (test_failing_startup_get_type ())
G_DECLARE_FINAL_TYPE (TestFailingStartup, test_failing_startup, TEST, FAILING_STARTUP, FluidWorker)

struct _TestFailingStartup
{
  FluidWorker parent_instance;
  guint       run_calls;
};

G_DEFINE_FINAL_TYPE (TestFailingStartup, test_failing_startup, FLUID_TYPE_WORKER)

static void
test_failing_startup_on_startup_async (FluidWorker         *worker,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (worker, cancellable, callback, user_data);

  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "no database");
}

static void
test_failing_startup_run_async (FluidWorker         *worker,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (worker, cancellable, callback, user_data);

  TEST_FAILING_STARTUP (worker)->run_calls++;
  g_task_return_boolean (task, TRUE);
}

static void
test_failing_startup_class_init (TestFailingStartupClass *klass)
{
  FLUID_WORKER_CLASS (klass)->on_startup_async = test_failing_startup_on_startup_async;
  FLUID_WORKER_CLASS (klass)->run_async = test_failing_startup_run_async;
}

static void
test_failing_startup_init (TestFailingStartup *self)
{
}

/* A group that shuts its children down one at a time, last added first. */

#define TEST_TYPE_REVERSE_WORKERS (test_reverse_workers_get_type ())
G_DECLARE_FINAL_TYPE (TestReverseWorkers, test_reverse_workers, TEST, REVERSE_WORKERS, FluidWorkers)

struct _TestReverseWorkers
{
  FluidWorkers parent_instance;
  guint        wait_calls;
};

G_DEFINE_FINAL_TYPE (TestReverseWorkers, test_reverse_workers, FLUID_TYPE_WORKERS)

static void reverse_shutdown_next (GTask *task);

static void
reverse_child_shutdown_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  GTask *task = user_data;

  /* A failed child does not keep the others running. */
  fluid_worker_shutdown_finish (FLUID_WORKER (source), result, NULL);
  reverse_shutdown_next (task);
}

/* The task data is the number of children left to shut down. */
static void
reverse_shutdown_next (GTask *task)
{
  GListModel *model = G_LIST_MODEL (g_task_get_source_object (task));
  guint left = GPOINTER_TO_UINT (g_task_get_task_data (task));
  g_autoptr(FluidWorker) child = NULL;

  if (left == 0)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  g_task_set_task_data (task, GUINT_TO_POINTER (left - 1), NULL);
  child = g_list_model_get_item (model, left - 1);
  fluid_worker_shutdown_async (child, NULL, reverse_child_shutdown_cb, task);
}

static void
test_reverse_workers_wait_for_workers_async (FluidWorkers        *workers,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  GTask *task = g_task_new (workers, cancellable, callback, user_data);

  TEST_REVERSE_WORKERS (workers)->wait_calls++;
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, GUINT_TO_POINTER (g_list_model_get_n_items (G_LIST_MODEL (workers))),
                        NULL);
  reverse_shutdown_next (task);
}

static gboolean
test_reverse_workers_wait_for_workers_finish (FluidWorkers  *workers,
                                              GAsyncResult  *result,
                                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_reverse_workers_class_init (TestReverseWorkersClass *klass)
{
  FLUID_WORKERS_CLASS (klass)->wait_for_workers_async = test_reverse_workers_wait_for_workers_async;
  FLUID_WORKERS_CLASS (klass)->wait_for_workers_finish = test_reverse_workers_wait_for_workers_finish;
}

static void
test_reverse_workers_init (TestReverseWorkers *self)
{
}

/* Tests */

static void
test_workers_empty (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  FluidWorker *w = FLUID_WORKER (group);
  g_autoptr(GVariant) status = NULL;

  g_assert_true (G_IS_LIST_MODEL (group));
  g_assert_cmpstr (fluid_worker_get_name (w), ==, "fluid_workers");
  g_assert_cmpuint (fluid_worker_get_num_workers (w), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (group)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (group)) == FLUID_TYPE_WORKER);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (group), 0));

  status = fluid_test_status (w);
  g_assert_cmpuint (g_variant_n_children (status), ==, 0);

  /* An empty group runs until it is stopped. */
  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_worker_is_running (w));
  g_assert_true (fluid_test_shutdown (w, NULL));
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
}

static void
test_workers_lifecycle (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (a, b, NULL);
  FluidWorker *w = FLUID_WORKER (group);
  g_autoptr(GError) error = NULL;
  StopLog log;

  stop_log_init (&log);
  stop_log_watch (&log, a);
  stop_log_watch (&log, b);
  stop_log_watch (&log, w);

  g_assert_cmpuint (fluid_worker_get_num_workers (w), ==, 2);
  g_assert_false (fluid_worker_has_started (a));

  g_assert_true (fluid_test_startup (w, &error));
  g_assert_no_error (error);
  g_assert_true (fluid_worker_is_running (w));
  g_assert_true (fluid_worker_is_running (a));
  g_assert_true (fluid_worker_is_running (b));
  fluid_test_wait_until (fluid_test_worker_get_iterations (FLUID_TEST_WORKER (a)) == 1 &&
                         fluid_test_worker_get_iterations (FLUID_TEST_WORKER (b)) == 1);

  g_assert_true (fluid_test_shutdown (w, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (a), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (b), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpstr (log.order->str, ==, "a;b;fluid_workers;");
  g_assert_cmpstr (stop_log_reason (&log, "fluid_workers"), ==, "normal shutdown");
  g_assert_cmpint (stop_log_code (&log, "fluid_workers"), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpint (stop_log_code (&log, "a"), ==, FLUID_EXIT_CODE_NORMAL);

  stop_log_clear (&log);
}

/* aio-fluid test_workers: a nice worker and one that only stops when
 * cancelled. Stopping the nice one stops the group, which forces the other
 * after its grace period, and the group ends STOPPED. */
static void
test_workers_aio_fluid (void)
{
  g_autoptr(FluidWorker) nice = sleeper ("nice");
  g_autoptr(FluidWorker) stubborn = FLUID_WORKER (
    fluid_test_worker_new_named ("stubborn", FLUID_TEST_RUN_UNTIL_CANCELLED, 0, 0.05));
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (nice, stubborn, NULL);
  FluidWorker *w = FLUID_WORKER (group);
  g_autoptr(GError) error = NULL;
  StopLog log;

  stop_log_init (&log);
  stop_log_watch (&log, w);
  stop_log_watch (&log, stubborn);

  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_worker_is_running (nice));
  g_assert_true (fluid_worker_is_running (stubborn));

  fluid_worker_gracefully_stop (nice);
  fluid_test_wait_until (!fluid_worker_is_running (w));
  g_assert_true (fluid_worker_is_stopped (nice));
  g_assert_true (fluid_worker_is_stopping (w));
  g_assert_true (fluid_test_wait_for_shutdown (w, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();

  g_assert_cmpint (fluid_worker_get_state (nice), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (stubborn), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpstr (log.order->str, ==, "stubborn;fluid_workers;");
  g_assert_cmpint (stop_log_code (&log, "stubborn"), ==, FLUID_EXIT_CODE_FORCED);
  g_assert_cmpstr (stop_log_reason (&log, "fluid_workers"), ==,
                   "child nice stopped: normal shutdown");
  g_assert_cmpint (stop_log_code (&log, "fluid_workers"), ==, FLUID_EXIT_CODE_NORMAL);

  stop_log_clear (&log);
}

static void
record_message_cb (FluidQueueConsumerWorker *worker,
                   const GValue             *message,
                   gpointer                  user_data)
{
  GPtrArray *handled = user_data;

  g_ptr_array_add (handled, g_value_dup_string (message));
}

/* aio-fluid test_consumer, through a group: a message sent to a consumer
 * before the group starts waits in its queue, is handled once the group
 * runs, and shutting the group down stops the consumer. */
static void
test_workers_consumer (void)
{
  g_autoptr(GPtrArray) handled = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FluidWorker) consumer = fluid_queue_consumer_worker_new (record_message_cb,
                                                                     handled, NULL);
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (consumer, NULL);
  FluidWorker *w = FLUID_WORKER (group);
  g_autoptr(GError) error = NULL;

  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (consumer), "test");
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (consumer)), ==, 1);
  g_assert_cmpuint (handled->len, ==, 0);

  g_assert_true (fluid_test_startup (w, &error));
  g_assert_no_error (error);
  g_assert_true (fluid_worker_is_running (consumer));
  fluid_test_wait_until (handled->len == 1);
  g_assert_cmpstr (g_ptr_array_index (handled, 0), ==, "test");
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (consumer)), ==, 0);

  g_assert_true (fluid_test_shutdown (w, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (consumer), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpuint (handled->len, ==, 1);
}

/* A child whose run fails stops the group; the group itself succeeds. */
static void
test_workers_child_run_fails (void)
{
  g_autoptr(FluidWorker) good = sleeper ("good");
  g_autoptr(FluidWorker) bad = FLUID_WORKER (
    fluid_test_worker_new_named ("bad", FLUID_TEST_RUN_FAIL, 0, 10.0));
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (good, bad, NULL);
  FluidWorker *w = FLUID_WORKER (group);
  g_autoptr(GError) error = NULL;
  StopLog log;

  stop_log_init (&log);
  stop_log_watch (&log, w);

  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (w, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();

  g_assert_cmpint (fluid_worker_get_state (good), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (bad), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpstr (stop_log_reason (&log, "fluid_workers"), ==, "child bad stopped: run failed");

  /* The child's own error stays with the child. */
  g_assert_false (fluid_test_wait_for_shutdown (bad, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);

  stop_log_clear (&log);
}

/* A child that fails in on_startup stops the group. */
static void
test_workers_child_startup_fails (void)
{
  g_autoptr(FluidWorker) good = sleeper ("good");
  g_autoptr(FluidWorker) bad = g_object_new (TEST_TYPE_FAILING_STARTUP, "name", "bad", NULL);
  g_autoptr(FluidWorker) late = sleeper ("late");
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (good, bad, late, NULL);
  FluidWorker *w = FLUID_WORKER (group);
  StopLog log;

  stop_log_init (&log);
  stop_log_watch (&log, w);

  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (w, NULL));
  g_test_assert_expected_messages ();

  g_assert_cmpuint (TEST_FAILING_STARTUP (bad)->run_calls, ==, 0);
  g_assert_true (fluid_worker_is_stopped (good));
  g_assert_true (fluid_worker_is_stopped (late));
  g_assert_cmpstr (stop_log_reason (&log, "fluid_workers"), ==, "child bad stopped: no database");

  stop_log_clear (&log);
}

/* A group of groups: a leaf that stops brings the whole tree down. */
static void
test_workers_nested (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorker) c = sleeper ("c");
  g_autoptr(FluidWorkers) inner = g_object_new (FLUID_TYPE_WORKERS, "name", "inner", NULL);
  g_autoptr(FluidWorkers) outer = g_object_new (FLUID_TYPE_WORKERS, "name", "outer", NULL);
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GVariant) inner_status = NULL;
  g_autoptr(GVariant) a_status = NULL;
  gboolean running = FALSE;
  StopLog log;

  fluid_workers_add_worker (inner, a);
  fluid_workers_add_worker (inner, b);
  fluid_workers_add_worker (outer, FLUID_WORKER (inner));
  fluid_workers_add_worker (outer, c);
  g_assert_cmpuint (fluid_worker_get_num_workers (FLUID_WORKER (outer)), ==, 2);

  stop_log_init (&log);
  stop_log_watch (&log, FLUID_WORKER (inner));
  stop_log_watch (&log, FLUID_WORKER (outer));

  g_assert_true (fluid_test_startup (FLUID_WORKER (outer), NULL));
  /* Each group starts its children from its run, at the first dispatch of
   * the context after its own start. */
  fluid_test_wait_until (fluid_worker_is_running (a) && fluid_worker_is_running (b));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (inner)));
  g_assert_true (fluid_worker_is_running (c));

  status = fluid_test_status (FLUID_WORKER (outer));
  g_assert_cmpuint (g_variant_n_children (status), ==, 2);
  inner_status = g_variant_lookup_value (status, "inner", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (inner_status);
  a_status = g_variant_lookup_value (inner_status, "a", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (a_status);
  g_assert_true (g_variant_lookup (a_status, "running", "b", &running));
  g_assert_true (running);

  fluid_worker_gracefully_stop (b);
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (outer), NULL));
  g_assert_true (fluid_worker_is_stopped (a));
  g_assert_true (fluid_worker_is_stopped (c));
  g_assert_cmpstr (log.order->str, ==, "inner;outer;");
  g_assert_cmpstr (stop_log_reason (&log, "inner"), ==, "child b stopped: normal shutdown");
  g_assert_cmpstr (stop_log_reason (&log, "outer"), ==,
                   "child b stopped: normal shutdown");

  stop_log_clear (&log);
}

/* Shutting down the outer group of a tree shuts down every worker. */
static void
test_workers_nested_shutdown (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorkers) inner = fluid_workers_new_with_workers (a, NULL);
  g_autoptr(FluidWorkers) outer = fluid_workers_new_with_workers (FLUID_WORKER (inner), NULL);

  g_assert_true (fluid_test_startup (FLUID_WORKER (outer), NULL));
  g_assert_true (fluid_worker_is_running (a));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (outer), NULL));
  g_assert_cmpint (fluid_worker_get_state (a), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (inner)), ==, FLUID_WORKER_STATE_STOPPED);
}

static void
test_workers_add_while_running (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorker) late = sleeper ("late");
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (a, NULL);
  FluidWorker *w = FLUID_WORKER (group);
  StopLog log;

  stop_log_init (&log);
  stop_log_watch (&log, w);

  g_assert_true (fluid_test_startup (w, NULL));
  fluid_workers_add_worker (group, b);
  g_assert_true (fluid_worker_is_running (b));
  g_assert_cmpuint (fluid_worker_get_num_workers (w), ==, 2);

  /* Adding it again changes nothing. */
  fluid_workers_add_worker (group, b);
  fluid_workers_add_worker (group, a);
  g_assert_cmpuint (fluid_worker_get_num_workers (w), ==, 2);

  /* The child added late is supervised like the others. */
  fluid_worker_gracefully_stop (b);
  g_assert_true (fluid_test_wait_for_shutdown (w, NULL));
  g_assert_true (fluid_worker_is_stopped (a));
  g_assert_cmpstr (stop_log_reason (&log, "fluid_workers"), ==, "child b stopped: normal shutdown");

  /* A child added to a stopped group is listed, not started. */
  fluid_workers_add_worker (group, late);
  g_assert_cmpuint (fluid_worker_get_num_workers (w), ==, 3);
  g_assert_false (fluid_worker_has_started (late));

  stop_log_clear (&log);
}

/* A child that runs before the group starts is watched, not restarted. */
static void
test_workers_child_already_running (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (a, b, NULL);
  FluidWorker *w = FLUID_WORKER (group);

  g_assert_true (fluid_test_startup (a, NULL));
  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_cmpuint (fluid_test_worker_get_on_startup_calls (FLUID_TEST_WORKER (a)), ==, 1);
  g_assert_true (fluid_worker_is_running (b));

  g_assert_true (fluid_test_shutdown (w, NULL));
  g_assert_true (fluid_worker_is_stopped (a));
  g_assert_true (fluid_worker_is_stopped (b));
}

/* A child that had stopped before the group started stops the group. */
static void
test_workers_child_already_stopped (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (a, b, NULL);
  FluidWorker *w = FLUID_WORKER (group);
  StopLog log;

  stop_log_init (&log);
  stop_log_watch (&log, w);

  g_assert_true (fluid_test_startup (a, NULL));
  g_assert_true (fluid_test_shutdown (a, NULL));
  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (w, NULL));
  g_assert_false (fluid_worker_has_started (b));
  g_assert_cmpstr (stop_log_reason (&log, "fluid_workers"), ==,
                   "child a stopped: it had stopped before the group ran");

  stop_log_clear (&log);
}

/* gracefully_stop of the group stops every child. */
static void
test_workers_gracefully_stop (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (a, b, NULL);
  FluidWorker *w = FLUID_WORKER (group);

  g_assert_true (fluid_test_startup (w, NULL));
  fluid_worker_gracefully_stop (w);
  g_assert_true (fluid_worker_is_stopping (w));
  g_assert_false (fluid_worker_is_running (a));
  g_assert_false (fluid_worker_is_running (b));
  g_assert_true (fluid_test_wait_for_shutdown (w, NULL));
  g_assert_cmpint (fluid_worker_get_state (a), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (b), ==, FLUID_WORKER_STATE_STOPPED);
}

/* Every child is shut down concurrently: two stubborn children, each with
 * its own grace period, are forced at about the same time. */
static void
test_workers_concurrent_shutdown (void)
{
  g_autoptr(FluidWorker) x = FLUID_WORKER (
    fluid_test_worker_new_named ("x", FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.05));
  g_autoptr(FluidWorker) y = FLUID_WORKER (
    fluid_test_worker_new_named ("y", FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.05));
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (x, y, NULL);
  FluidWorker *w = FLUID_WORKER (group);

  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_test_shutdown (w, NULL));
  g_test_assert_expected_messages ();
  g_assert_cmpint (fluid_worker_get_state (x), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (y), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);

  /* The late completions of the ignored cancellations are dropped. */
  fluid_test_worker_complete_run (FLUID_TEST_WORKER (x));
  fluid_test_worker_complete_run (FLUID_TEST_WORKER (y));
  fluid_test_wait_until (!g_main_context_pending (NULL));
  g_test_assert_expected_messages ();
}

static void
test_workers_reverse_order (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorker) c = sleeper ("c");
  g_autoptr(TestReverseWorkers) group = g_object_new (TEST_TYPE_REVERSE_WORKERS,
                                                      "name", "reverse", NULL);
  FluidWorker *w = FLUID_WORKER (group);
  StopLog log;

  fluid_workers_add_worker (FLUID_WORKERS (group), a);
  fluid_workers_add_worker (FLUID_WORKERS (group), b);
  fluid_workers_add_worker (FLUID_WORKERS (group), c);

  stop_log_init (&log);
  stop_log_watch (&log, a);
  stop_log_watch (&log, b);
  stop_log_watch (&log, c);
  stop_log_watch (&log, w);

  g_assert_true (fluid_test_startup (w, NULL));
  fluid_worker_gracefully_stop (w);
  /* Only the last child was asked to stop so far. */
  g_assert_true (fluid_worker_is_running (a));
  g_assert_true (fluid_worker_is_running (b));
  g_assert_true (fluid_test_wait_for_shutdown (w, NULL));
  g_assert_cmpstr (log.order->str, ==, "c;b;a;reverse;");
  g_assert_cmpuint (group->wait_calls, ==, 1);

  stop_log_clear (&log);
}

/* The reverse order also applies when a child stops the group. */
static void
test_workers_reverse_order_on_child_stop (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorker) c = sleeper ("c");
  g_autoptr(TestReverseWorkers) group = g_object_new (TEST_TYPE_REVERSE_WORKERS, NULL);
  StopLog log;

  fluid_workers_add_worker (FLUID_WORKERS (group), a);
  fluid_workers_add_worker (FLUID_WORKERS (group), b);
  fluid_workers_add_worker (FLUID_WORKERS (group), c);

  stop_log_init (&log);
  stop_log_watch (&log, a);
  stop_log_watch (&log, b);
  stop_log_watch (&log, c);

  g_assert_true (fluid_test_startup (FLUID_WORKER (group), NULL));
  fluid_worker_gracefully_stop (b);
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (group), NULL));
  g_assert_cmpstr (log.order->str, ==, "b;c;a;");

  stop_log_clear (&log);
}

typedef struct
{
  guint position;
  guint removed;
  guint added;
  guint n_items;
  guint calls;
} ItemsChanged;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  ItemsChanged *changed = user_data;

  changed->position = position;
  changed->removed = removed;
  changed->added = added;
  changed->n_items = g_list_model_get_n_items (model);
  changed->calls++;
}

static void
test_workers_list_model (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorker) c = sleeper ("c");
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  GListModel *model = G_LIST_MODEL (group);
  FluidWorker *children[] = { b, c, b };
  ItemsChanged changed = { 0 };
  g_autoptr(FluidWorker) item0 = NULL;
  g_autoptr(FluidWorker) item1 = NULL;
  g_autoptr(FluidWorker) item2 = NULL;

  g_signal_connect (group, "items-changed", G_CALLBACK (items_changed_cb), &changed);

  fluid_workers_add_worker (group, a);
  g_assert_cmpuint (changed.calls, ==, 1);
  g_assert_cmpuint (changed.position, ==, 0);
  g_assert_cmpuint (changed.removed, ==, 0);
  g_assert_cmpuint (changed.added, ==, 1);
  g_assert_cmpuint (changed.n_items, ==, 1);

  fluid_workers_add_workers (group, children, G_N_ELEMENTS (children));
  g_assert_cmpuint (changed.calls, ==, 3);
  g_assert_cmpuint (changed.position, ==, 2);
  g_assert_cmpuint (changed.added, ==, 1);
  g_assert_cmpuint (changed.n_items, ==, 3);

  /* A child added twice emits nothing. */
  fluid_workers_add_worker (group, a);
  g_assert_cmpuint (changed.calls, ==, 3);

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  item0 = g_list_model_get_item (model, 0);
  item1 = g_list_model_get_item (model, 1);
  item2 = g_list_model_get_item (model, 2);
  g_assert_true (item0 == a);
  g_assert_true (item1 == b);
  g_assert_true (item2 == c);
  g_assert_null (g_list_model_get_item (model, 3));
  g_assert_null (g_list_model_get_object (model, G_MAXUINT));

  /* The group holds its children. */
  g_assert_cmpuint (G_OBJECT (a)->ref_count, >=, 2);

  /* Adding while running also emits. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), NULL));
  {
    g_autoptr(FluidWorker) d = sleeper ("d");

    fluid_workers_add_worker (group, d);
    g_assert_cmpuint (changed.calls, ==, 4);
    g_assert_cmpuint (changed.position, ==, 3);
    g_assert_cmpuint (changed.n_items, ==, 4);
  }
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), NULL));
}

static void
test_workers_status (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) twin1 = sleeper ("twin");
  g_autoptr(FluidWorker) twin2 = sleeper ("twin");
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (a, twin1, twin2, NULL);
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GVariant) a_status = NULL;
  g_autoptr(GVariant) twin_status = NULL;
  g_autoptr(GVariant) twin2_status = NULL;
  gboolean running = TRUE, stopping = TRUE;

  status = fluid_test_status (FLUID_WORKER (group));
  g_assert_cmpuint (g_variant_n_children (status), ==, 3);
  a_status = g_variant_lookup_value (status, "a", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (a_status);
  g_assert_true (g_variant_lookup (a_status, "running", "b", &running));
  g_assert_true (g_variant_lookup (a_status, "stopping", "b", &stopping));
  g_assert_false (running);
  g_assert_false (stopping);
  twin_status = g_variant_lookup_value (status, "twin", G_VARIANT_TYPE_VARDICT);
  twin2_status = g_variant_lookup_value (status, "twin#2", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (twin_status);
  g_assert_nonnull (twin2_status);
  g_clear_pointer (&status, g_variant_unref);
  g_clear_pointer (&a_status, g_variant_unref);

  g_assert_true (fluid_test_startup (FLUID_WORKER (group), NULL));
  status = fluid_test_status (FLUID_WORKER (group));
  a_status = g_variant_lookup_value (status, "a", G_VARIANT_TYPE_VARDICT);
  g_assert_true (g_variant_lookup (a_status, "running", "b", &running));
  g_assert_true (running);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), NULL));
}

/* The caller may drop its reference on a running group. */
static void
test_workers_drop_reference (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  FluidWorkers *group = fluid_workers_new_with_workers (a, NULL);
  gpointer weak = group;

  g_object_add_weak_pointer (G_OBJECT (group), &weak);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), NULL));
  g_object_unref (group);
  g_assert_nonnull (weak);

  /* The child stopping stops the group, which then goes. */
  fluid_worker_gracefully_stop (a);
  fluid_test_wait_until (weak == NULL);
  g_assert_true (fluid_worker_is_stopped (a));
}

/* The group's grace period running out does not leave children behind,
 * even when its wait_for_workers had not reached them yet. */
static void
test_workers_group_forced (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) stubborn = FLUID_WORKER (
    fluid_test_worker_new_named ("stubborn", FLUID_TEST_RUN_UNTIL_CANCELLED, 0, 0.3));
  g_autoptr(TestReverseWorkers) group = g_object_new (TEST_TYPE_REVERSE_WORKERS,
                                                      "name", "reverse",
                                                      "stopping-grace-period", 0.05,
                                                      NULL);
  FluidWorker *w = FLUID_WORKER (group);

  fluid_workers_add_worker (FLUID_WORKERS (group), a);
  fluid_workers_add_worker (FLUID_WORKERS (group), stubborn);

  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_test_shutdown (w, NULL));
  g_test_assert_expected_messages ();
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_FORCE_STOPPED);

  /* Still waiting for the stubborn child, the reverse order had not asked
   * "a" to stop; the forced stop of the group did. */
  fluid_test_wait_until (fluid_worker_is_stopped (a));
  g_assert_cmpint (fluid_worker_get_state (a), ==, FLUID_WORKER_STATE_STOPPED);

  fluid_test_wait_until (fluid_worker_is_stopped (stubborn));
  fluid_test_wait_until (!g_main_context_pending (NULL));
  g_test_assert_expected_messages ();
}

static void
test_workers_bad_input (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  g_autoptr(FluidWorkers) inner = fluid_workers_new ();
  g_autoptr(FluidWorkers) innermost = fluid_workers_new ();
  GObject *not_a_worker = g_object_new (G_TYPE_OBJECT, NULL);

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER (worker)*");
  fluid_workers_add_worker (group, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER (worker)*");
  fluid_workers_add_worker (group, (FluidWorker *) not_a_worker);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKERS*");
  fluid_workers_add_worker (NULL, FLUID_WORKER (inner));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKERS*");
  fluid_workers_add_worker ((FluidWorkers *) not_a_worker, FLUID_WORKER (inner));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*worker != *self*");
  fluid_workers_add_worker (group, FLUID_WORKER (group));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*workers != NULL*");
  fluid_workers_add_workers (group, NULL, 2);
  g_test_assert_expected_messages ();

  /* No cycles: group > inner > innermost > group is refused. */
  fluid_workers_add_worker (group, FLUID_WORKER (inner));
  fluid_workers_add_worker (inner, FLUID_WORKER (innermost));
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*cannot add fluid_workers*contains*");
  fluid_workers_add_worker (innermost, FLUID_WORKER (group));
  g_test_assert_expected_messages ();

  g_assert_cmpuint (fluid_worker_get_num_workers (FLUID_WORKER (group)), ==, 1);
  g_assert_cmpuint (fluid_worker_get_num_workers (FLUID_WORKER (innermost)), ==, 0);

  /* The group is still usable. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), NULL));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (innermost)));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), NULL));
  g_assert_true (fluid_worker_is_stopped (FLUID_WORKER (innermost)));

  g_object_unref (not_a_worker);
}

/* FluidWorkers is a derivable FluidWorker and a GListModel. */
static void
test_workers_types (void)
{
  g_assert_true (g_type_is_a (FLUID_TYPE_WORKERS, FLUID_TYPE_WORKER));
  g_assert_true (g_type_is_a (FLUID_TYPE_WORKERS, G_TYPE_LIST_MODEL));
  g_assert_true (G_TYPE_IS_DERIVABLE (FLUID_TYPE_WORKERS));
  g_assert_false (G_TYPE_IS_FINAL (FLUID_TYPE_WORKERS));
  g_assert_false (G_TYPE_IS_ABSTRACT (FLUID_TYPE_WORKERS));
}

static void
record_forced_cb (GObject    *object,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  GString *order = user_data;

  if (fluid_worker_get_state (FLUID_WORKER (object)) == FLUID_WORKER_STATE_FORCE_STOPPED)
    g_string_append_printf (order, "%s;", fluid_worker_get_name (FLUID_WORKER (object)));
}

/* On shutdown the children are shut down concurrently, each forced after
 * its own grace period: the child added last but with the shorter grace
 * period is forced first, which one child after the other could not do;
 * and the group, whose own grace period is long, is not forced. */
static void
test_workers_children_forced_concurrently (void)
{
  g_autoptr(FluidWorker) slow = FLUID_WORKER (
    fluid_test_worker_new_named ("slow", FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.5));
  g_autoptr(FluidWorker) quick = FLUID_WORKER (
    fluid_test_worker_new_named ("quick", FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.05));
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (slow, quick, NULL);
  g_autoptr(GString) order = g_string_new (NULL);
  FluidWorker *w = FLUID_WORKER (group);

  g_signal_connect (slow, "notify::state", G_CALLBACK (record_forced_cb), order);
  g_signal_connect (quick, "notify::state", G_CALLBACK (record_forced_cb), order);
  g_assert_true (fluid_test_startup (w, NULL));

  g_assert_true (fluid_test_shutdown (w, NULL));
  g_test_assert_expected_messages ();
  g_assert_cmpstr (order->str, ==, "quick;slow;");
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);

  fluid_test_worker_complete_run (FLUID_TEST_WORKER (slow));
  fluid_test_worker_complete_run (FLUID_TEST_WORKER (quick));
  fluid_test_wait_until (!g_main_context_pending (NULL));
  g_test_assert_expected_messages ();
}

/* Supervision follows the children's state changes, it does not poll: once
 * a child stopped, the group and its other children stop with only the
 * sources already ready, no timer having to fire. */
static void
test_workers_supervision_is_event_driven (void)
{
  g_autoptr(FluidWorker) a = sleeper ("a");
  g_autoptr(FluidWorker) b = sleeper ("b");
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (a, b, NULL);
  FluidWorker *w = FLUID_WORKER (group);

  g_assert_true (fluid_test_startup (w, NULL));
  fluid_test_wait_until (fluid_test_worker_get_iterations (FLUID_TEST_WORKER (a)) == 1 &&
                         fluid_test_worker_get_iterations (FLUID_TEST_WORKER (b)) == 1);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

  fluid_worker_gracefully_stop (a);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

  g_assert_true (fluid_worker_is_stopped (a));
  g_assert_true (fluid_worker_is_stopped (b));
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
}

/* Bug: two children named `x` and one named `x#2` gave two `x#2` keys. */
static void
test_workers_status_keys_unique (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  const char *names[] = { "x", "x", "x#2", "x", "y" };
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  GVariantIter iter;
  const char *key;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(FluidTestWorker) child = fluid_test_worker_new_named (names[i], FLUID_TEST_RUN_SLEEP_LOOP,
                                                                     3600, 1);

      fluid_workers_add_worker (group, FLUID_WORKER (child));
    }
  status = fluid_test_status (FLUID_WORKER (group));
  g_assert_cmpuint (g_variant_n_children (status), ==, G_N_ELEMENTS (names));
  g_variant_iter_init (&iter, status);
  while (g_variant_iter_next (&iter, "{&sv}", &key, NULL))
    g_assert_true (g_hash_table_add (keys, (gpointer) key));
  g_assert_true (g_hash_table_contains (keys, "x"));
  g_assert_true (g_hash_table_contains (keys, "x#2"));
  g_assert_true (g_hash_table_contains (keys, "x#3"));
  g_assert_true (g_hash_table_contains (keys, "x#4"));
  g_assert_true (g_hash_table_contains (keys, "y"));
}

/* A cycle is refused whichever way a tree is built. */
static void
test_workers_cycles_refused (void)
{
  g_autoptr(FluidWorkers) a = fluid_workers_new ();
  g_autoptr(FluidWorkers) b = fluid_workers_new ();
  g_autoptr(FluidWorkers) c = fluid_workers_new ();

  fluid_workers_add_worker (a, FLUID_WORKER (b));
  fluid_workers_add_worker (b, FLUID_WORKER (c));
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*which it contains*");
  fluid_workers_add_worker (c, FLUID_WORKER (a));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*which it contains*");
  fluid_workers_add_worker (b, FLUID_WORKER (a));
  g_test_assert_expected_messages ();
  g_assert_cmpuint (fluid_worker_get_num_workers (FLUID_WORKER (c)), ==, 0);
  /* Not a cycle: a group twice in a tree. */
  fluid_workers_add_worker (a, FLUID_WORKER (c));
  g_assert_cmpuint (fluid_worker_get_num_workers (FLUID_WORKER (a)), ==, 2);
}

static void
count_n_items_cb (GObject    *object,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  (*(guint *) user_data)++;
}

/* GListModel's n-items and item-type, as GListStore has them. */
static void
test_workers_list_model_properties (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  g_autoptr(FluidWorker) child = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 1));
  guint notified = 0, n_items = 99;
  GType item_type = G_TYPE_INVALID;

  g_signal_connect (group, "notify::n-items", G_CALLBACK (count_n_items_cb), &notified);
  g_object_get (group, "n-items", &n_items, "item-type", &item_type, NULL);
  g_assert_cmpuint (n_items, ==, 0);
  g_assert_true (item_type == FLUID_TYPE_WORKER);

  fluid_workers_add_worker (group, child);
  fluid_workers_add_worker (group, child);
  g_object_get (group, "n-items", &n_items, NULL);
  g_assert_cmpuint (n_items, ==, 1);
  g_assert_cmpuint (notified, ==, 1);
}

/* A group whose wait_for_workers_async makes a task of its own, but
 * leaves the default wait_for_workers_finish: a mistake the default
 * refuses (a critical) rather than reading a result that is not its own;
 * the group's run then fails. */
#define TEST_TYPE_OWN_WAIT (test_own_wait_get_type ())
G_DECLARE_FINAL_TYPE (TestOwnWait, test_own_wait, TEST, OWN_WAIT, FluidWorkers)

struct _TestOwnWait
{
  FluidWorkers parent_instance;
};

G_DEFINE_FINAL_TYPE (TestOwnWait, test_own_wait, FLUID_TYPE_WORKERS)

static void
test_own_wait_wait_for_workers_async (FluidWorkers        *workers,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (workers, cancellable, callback, user_data);

  g_task_return_boolean (task, TRUE);
}

static void
test_own_wait_class_init (TestOwnWaitClass *klass)
{
  FLUID_WORKERS_CLASS (klass)->wait_for_workers_async = test_own_wait_wait_for_workers_async;
}

static void
test_own_wait_init (TestOwnWait *self)
{
}

/* A finished task of @source_object, tagged @tag. */
static GTask *
finished_task (gpointer source_object,
               gpointer tag)
{
  GTask *task = g_task_new (source_object, NULL, NULL, NULL);

  g_task_set_source_tag (task, tag);
  g_task_return_boolean (task, TRUE);
  return task;
}

/* The group's finishers take only the results of their own _async. */
static void
test_workers_finishers_check_results (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  g_autoptr(FluidWorkers) other = fluid_workers_new ();
  g_autoptr(TestOwnWait) own_wait = g_object_new (TEST_TYPE_OWN_WAIT, NULL);
  g_autoptr(GTask) untagged = finished_task (group, NULL);
  g_autoptr(GTask) not_its_own = finished_task (other, NULL);
  FluidWorkerClass *worker_class = FLUID_WORKER_GET_CLASS (group);
  FluidWorkersClass *workers_class = FLUID_WORKERS_GET_CLASS (group);
  g_autoptr(GError) error = NULL;

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*fluid_workers_run_finish*source_tag*");
  g_assert_false (worker_class->run_finish (FLUID_WORKER (group), G_ASYNC_RESULT (untagged), &error));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*fluid_workers_run_finish*g_task_is_valid*");
  g_assert_false (worker_class->run_finish (FLUID_WORKER (group), G_ASYNC_RESULT (not_its_own), &error));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*fluid_workers_status_finish*source_tag*");
  g_assert_null (worker_class->status_finish (FLUID_WORKER (group), G_ASYNC_RESULT (untagged), &error));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*wait_for_workers_finish*source_tag*");
  g_assert_false (workers_class->wait_for_workers_finish (group, G_ASYNC_RESULT (untagged), &error));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*wait_for_workers_finish*g_task_is_valid*");
  g_assert_false (workers_class->wait_for_workers_finish (group, G_ASYNC_RESULT (not_its_own), &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  /* The run of a group whose finisher refused the result fails. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (own_wait), NULL));
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*wait_for_workers_finish*source_tag*");
  g_assert_false (fluid_test_shutdown (FLUID_WORKER (own_wait), &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED);
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (own_wait)), ==, FLUID_EXIT_CODE_ERROR);
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/workers/empty", test_workers_empty);
  g_test_add_func ("/workers/lifecycle", test_workers_lifecycle);
  g_test_add_func ("/workers/aio-fluid", test_workers_aio_fluid);
  g_test_add_func ("/workers/consumer", test_workers_consumer);
  g_test_add_func ("/workers/child-run-fails", test_workers_child_run_fails);
  g_test_add_func ("/workers/child-startup-fails", test_workers_child_startup_fails);
  g_test_add_func ("/workers/nested", test_workers_nested);
  g_test_add_func ("/workers/nested-shutdown", test_workers_nested_shutdown);
  g_test_add_func ("/workers/add-while-running", test_workers_add_while_running);
  g_test_add_func ("/workers/child-already-running", test_workers_child_already_running);
  g_test_add_func ("/workers/child-already-stopped", test_workers_child_already_stopped);
  g_test_add_func ("/workers/gracefully-stop", test_workers_gracefully_stop);
  g_test_add_func ("/workers/concurrent-shutdown", test_workers_concurrent_shutdown);
  g_test_add_func ("/workers/reverse-order", test_workers_reverse_order);
  g_test_add_func ("/workers/reverse-order-on-child-stop", test_workers_reverse_order_on_child_stop);
  g_test_add_func ("/workers/list-model", test_workers_list_model);
  g_test_add_func ("/workers/status", test_workers_status);
  g_test_add_func ("/workers/drop-reference", test_workers_drop_reference);
  g_test_add_func ("/workers/group-forced", test_workers_group_forced);
  g_test_add_func ("/workers/bad-input", test_workers_bad_input);
  g_test_add_func ("/workers/types", test_workers_types);
  g_test_add_func ("/workers/status-keys-unique", test_workers_status_keys_unique);
  g_test_add_func ("/workers/cycles-refused", test_workers_cycles_refused);
  g_test_add_func ("/workers/list-model-properties", test_workers_list_model_properties);
  g_test_add_func ("/workers/children-forced-concurrently",
                   test_workers_children_forced_concurrently);
  g_test_add_func ("/workers/supervision-is-event-driven",
                   test_workers_supervision_is_event_driven);
  g_test_add_func ("/workers/finishers-check-results", test_workers_finishers_check_results);

  return g_test_run ();
}
