/* test-worker-function.c: FluidWorkerFunction
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <math.h>

typedef struct
{
  guint calls;
  guint stop_after;
  gboolean destroyed;
} Counter;

static void
count_calls (FluidWorker *worker,
             gpointer     user_data)
{
  Counter *counter = user_data;

  g_assert_true (fluid_worker_is_running (worker));
  if (++counter->calls == counter->stop_after)
    fluid_worker_gracefully_stop (worker);
}

static void
mark_destroyed (gpointer user_data)
{
  ((Counter *) user_data)->destroyed = TRUE;
}

static void
test_worker_function_loops (void)
{
  Counter counter = { 0, 5, FALSE };
  FluidWorker *worker = fluid_worker_function_new (0.0, count_calls, &counter, mark_destroyed);
  g_autoptr(GError) error = NULL;

  g_assert_true (FLUID_IS_WORKER_FUNCTION (worker));
  g_assert_cmpstr (fluid_worker_get_name (worker), ==, "fluid_worker_function");
  g_assert_cmpfloat (fluid_worker_function_get_heartbeat (FLUID_WORKER_FUNCTION (worker)), ==, 0.0);

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (counter.calls, ==, 5);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);

  g_assert_false (counter.destroyed);
  g_object_unref (worker);
  g_assert_true (counter.destroyed);
}

/* A long heartbeat does not delay a stop: the sleep ends at once. */
static void
test_worker_function_heartbeat_interrupted (void)
{
  Counter counter = { 0, 0, FALSE };
  g_autoptr(FluidWorker) worker = fluid_worker_function_new (3600.0, count_calls, &counter, NULL);
  g_autoptr(GError) error = NULL;
  gint64 start;

  g_assert_true (fluid_test_startup (worker, &error));
  fluid_test_wait_until (counter.calls == 1);

  start = g_get_monotonic_time ();
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
  /* Far below the heartbeat and the 10 s grace period: not a timing test. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_assert_cmpuint (counter.calls, ==, 1);
}

static void
test_worker_function_heartbeat_property (void)
{
  Counter counter = { 0, 3, FALSE };
  g_autoptr(FluidWorker) worker = fluid_worker_function_new (0.001, count_calls, &counter, NULL);
  double heartbeat = -1;

  g_object_get (worker, "heartbeat", &heartbeat, NULL);
  g_assert_cmpfloat (heartbeat, ==, 0.001);
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));
  g_assert_cmpuint (counter.calls, ==, 3);
}

static void
test_worker_function_named (void)
{
  g_autoptr(FluidWorker) worker = g_object_new (FLUID_TYPE_WORKER_FUNCTION,
                                                "name", "ticker",
                                                "heartbeat", 0.5,
                                                NULL);

  g_assert_cmpstr (fluid_worker_get_name (worker), ==, "ticker");
  g_assert_cmpfloat (fluid_worker_function_get_heartbeat (FLUID_WORKER_FUNCTION (worker)), ==, 0.5);
  /* Without a function it only sleeps, and still stops at once. */
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_true (fluid_worker_is_stopped (worker));
}

/* fluid_worker_function_new_named() names the worker and calls its
 * function; NULL or an empty name gives the default name. */
static void
test_worker_function_new_named (void)
{
  Counter counter = { 0, 0, FALSE };
  g_autoptr(FluidWorker) worker = fluid_worker_function_new_named ("ticker", 0.001, count_calls,
                                                                   &counter, NULL);
  g_autoptr(FluidWorker) unnamed = fluid_worker_function_new_named (NULL, 1.0, count_calls,
                                                                    &counter, NULL);
  g_autoptr(FluidWorker) empty = fluid_worker_function_new_named ("", 1.0, count_calls,
                                                                  &counter, NULL);

  g_assert_cmpstr (fluid_worker_get_name (worker), ==, "ticker");
  g_assert_cmpstr (fluid_worker_get_name (unnamed), ==, "fluid_worker_function");
  g_assert_cmpstr (fluid_worker_get_name (empty), ==, "fluid_worker_function");

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (counter.calls >= 2);
  g_assert_true (fluid_test_shutdown (worker, NULL));
}

static void
test_worker_function_bad_input (void)
{
  Counter counter = { 0, 0, FALSE };

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*heartbeat >= 0*");
  g_assert_null (fluid_worker_function_new (-1.0, count_calls, &counter, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*isnan*");
  g_assert_null (fluid_worker_function_new (NAN, count_calls, &counter, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  g_assert_null (fluid_worker_function_new (1.0, NULL, NULL, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*heartbeat >= 0*");
  g_assert_null (fluid_worker_function_new_named ("ticker", -1.0, count_calls, &counter, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  g_assert_null (fluid_worker_function_new_named ("ticker", 1.0, NULL, NULL, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER_FUNCTION*");
  g_assert_cmpfloat (fluid_worker_function_get_heartbeat (NULL), ==, 0.0);
  g_test_assert_expected_messages ();
}

typedef struct
{
  GArray *times;     /* gint64: when each call came */
  guint   stop_after;
} Timeline;

static void
record_time (FluidWorker *worker,
             gpointer     user_data)
{
  Timeline *timeline = user_data;
  gint64 now = g_get_monotonic_time ();

  g_array_append_val (timeline->times, now);
  if (timeline->times->len == timeline->stop_after)
    fluid_worker_gracefully_stop (worker);
}

/* Between two calls, the worker sleeps its heartbeat. */
static void
test_worker_function_heartbeat_spacing (void)
{
  Timeline timeline = { g_array_new (FALSE, FALSE, sizeof (gint64)), 3 };
  g_autoptr(FluidWorker) worker = fluid_worker_function_new (0.02, record_time, &timeline, NULL);

  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));
  g_assert_cmpuint (timeline.times->len, ==, 3);
  for (guint i = 1; i < timeline.times->len; i++)
    g_assert_cmpint (g_array_index (timeline.times, gint64, i) -
                     g_array_index (timeline.times, gint64, i - 1), >=, 20000);
  g_array_unref (timeline.times);
}

/* FluidWorkerFunction is a final FluidWorker with a heartbeat property. */
static void
test_worker_function_types (void)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (FLUID_TYPE_WORKER_FUNCTION);
  GParamSpec *pspec;

  g_assert_true (g_type_is_a (FLUID_TYPE_WORKER_FUNCTION, FLUID_TYPE_WORKER));
  g_assert_true (G_TYPE_IS_FINAL (FLUID_TYPE_WORKER_FUNCTION));
  g_assert_false (G_TYPE_IS_ABSTRACT (FLUID_TYPE_WORKER_FUNCTION));
  pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), "heartbeat");
  g_assert_nonnull (pspec);
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_DOUBLE);
  g_assert_true (pspec->flags & G_PARAM_READABLE);
}

/* fluid_worker_function_new_async(): the loop waits for each call's task,
 * completed later from an idle; an error fails the worker with it. */
typedef struct
{
  guint calls;
  guint fail_at;
  gboolean in_call;
} AsyncCounter;

static gboolean
complete_later_cb (gpointer user_data)
{
  GTask *task = user_data;
  FluidWorker *worker = g_task_get_source_object (task);
  AsyncCounter *counter = g_task_get_task_data (task);

  g_assert_true (counter->in_call);
  counter->in_call = FALSE;
  if (counter->calls == counter->fail_at)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "call %u broke", counter->calls);
  else
    {
      if (counter->calls == 5)
        fluid_worker_gracefully_stop (worker);
      g_task_return_boolean (task, TRUE);
    }
  return G_SOURCE_REMOVE;
}

static void
async_call (FluidWorker *worker,
            GTask       *task,
            gpointer     user_data)
{
  AsyncCounter *counter = user_data;

  /* Never called again before the previous call's task completed. */
  g_assert_false (counter->in_call);
  g_assert_true (g_task_get_cancellable (task) == fluid_worker_get_cancellable (worker));
  counter->in_call = TRUE;
  counter->calls++;
  g_task_set_task_data (task, counter, NULL);
  g_idle_add_full (G_PRIORITY_DEFAULT, complete_later_cb, g_object_ref (task), g_object_unref);
}

static void
test_worker_function_async (void)
{
  AsyncCounter counter = { 0, 0, FALSE };
  g_autoptr(FluidWorker) worker = fluid_worker_function_new_async ("pacer", 0.0, async_call, &counter, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (fluid_worker_get_name (worker), ==, "pacer");
  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (counter.calls, ==, 5);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, 0);
}

static void
test_worker_function_async_error (void)
{
  AsyncCounter counter = { 0, 3, FALSE };
  g_autoptr(FluidWorker) worker = fluid_worker_function_new_async (NULL, 0.0, async_call, &counter, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_cmpuint (counter.calls, ==, 3);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, 2);
  g_assert_cmpstr (fluid_worker_get_stop_reason (worker), ==, "call 3 broke");
}

/* A call whose task never completes: the forced stop ends the worker. */
static void
never_complete (FluidWorker *worker,
                GTask       *task,
                gpointer     user_data)
{
  g_ptr_array_add (user_data, g_object_ref (task));
}

static void
test_worker_function_async_forced (void)
{
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GError) error = NULL;

  worker = fluid_worker_function_new_async (NULL, 0.0, never_complete, held, NULL);
  fluid_worker_set_stopping_grace_period (worker, 0.05);
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (worker), ==, 0.05);
  g_assert_true (fluid_test_startup (worker, &error));
  fluid_test_wait_until (held->len == 1);
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_true (g_cancellable_is_cancelled (g_task_get_cancellable (held->pdata[0])));

  /* A late completion is dropped; it ends the run, which held the worker. */
  g_task_return_boolean (held->pdata[0], TRUE);
  fluid_test_settle (NULL);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/worker-function/loops", test_worker_function_loops);
  g_test_add_func ("/worker-function/heartbeat-interrupted", test_worker_function_heartbeat_interrupted);
  g_test_add_func ("/worker-function/heartbeat-property", test_worker_function_heartbeat_property);
  g_test_add_func ("/worker-function/named", test_worker_function_named);
  g_test_add_func ("/worker-function/new-named", test_worker_function_new_named);
  g_test_add_func ("/worker-function/bad-input", test_worker_function_bad_input);
  g_test_add_func ("/worker-function/heartbeat-spacing", test_worker_function_heartbeat_spacing);
  g_test_add_func ("/worker-function/types", test_worker_function_types);
  g_test_add_func ("/worker-function/async", test_worker_function_async);
  g_test_add_func ("/worker-function/async-error", test_worker_function_async_error);
  g_test_add_func ("/worker-function/async-forced", test_worker_function_async_forced);

  return g_test_run ();
}
