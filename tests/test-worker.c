/* test-worker.c: the lifecycle of FluidWorker: states and signals, failed
 * and forced runs, references, status, properties, types, bad arguments
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-worker-common.h"

#include <math.h>

/* Metadata of a worker that never started (aio-fluid test_worker_metadata) */
static void
test_worker_metadata (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GVariant) status = NULL;
  g_autofree char *name = NULL;
  FluidWorkerState state;
  gboolean running, stopping;

  g_assert_cmpstr (fluid_worker_get_name (w), ==, "fluid_test_worker");
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_INIT);
  g_assert_false (fluid_worker_has_started (w));
  g_assert_false (fluid_worker_is_running (w));
  g_assert_false (fluid_worker_is_stopping (w));
  g_assert_false (fluid_worker_is_stopped (w));
  g_assert_cmpuint (fluid_worker_get_num_workers (w), ==, 1);
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (w), ==, 10.0);
  g_assert_true (G_IS_CANCELLABLE (fluid_worker_get_cancellable (w)));
  g_assert_false (g_cancellable_is_cancelled (fluid_worker_get_cancellable (w)));

  g_object_get (w, "name", &name, "state", &state, NULL);
  g_assert_cmpstr (name, ==, "fluid_test_worker");
  g_assert_cmpint (state, ==, FLUID_WORKER_STATE_INIT);

  status = fluid_test_status (w);
  g_assert_true (g_variant_lookup (status, "running", "b", &running));
  g_assert_true (g_variant_lookup (status, "stopping", "b", &stopping));
  g_assert_false (running);
  g_assert_false (stopping);
}

static GType
register_worker_type (const char *type_name)
{
  GType type = g_type_from_name (type_name);

  if (type != G_TYPE_INVALID)
    return type;
  return g_type_register_static_simple (FLUID_TYPE_WORKER, g_intern_string (type_name),
                                        sizeof (FluidWorkerClass), NULL,
                                        sizeof (FluidWorker), NULL, 0);
}

static void
test_worker_default_name (void)
{
  const struct { const char *type_name; const char *name; } cases[] = {
    { "MySimpleWorker", "my_simple_worker" },
    { "HTTPWorker", "http_worker" },
    { "Worker2Go", "worker2_go" },
    { "__main__+SimpleWorker", "simple_worker" },
    { "Gjs_SimpleWorker", "simple_worker" },
    { "lower_case", "lower_case" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FluidWorker) worker = g_object_new (register_worker_type (cases[i].type_name),
                                                    NULL);
      g_autoptr(FluidWorker) named = g_object_new (register_worker_type (cases[i].type_name),
                                                   "name", "given", NULL);
      g_autoptr(FluidWorker) empty = g_object_new (register_worker_type (cases[i].type_name),
                                                   "name", "", NULL);

      g_assert_cmpstr (fluid_worker_get_name (worker), ==, cases[i].name);
      g_assert_cmpstr (fluid_worker_get_name (named), ==, "given");
      g_assert_cmpstr (fluid_worker_get_name (empty), ==, cases[i].name);
    }
}

/* A worker without a run of its own stops with an error. */
static void
test_worker_run_not_implemented (void)
{
  g_autoptr(FluidWorker) worker = g_object_new (register_worker_type ("NoRunWorker"), NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED);
  g_test_assert_expected_messages ();
}

static void
test_worker_lifecycle (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600.0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  const FluidWorkerState expected[] = {
    FLUID_WORKER_STATE_RUNNING, FLUID_WORKER_STATE_STOPPING, FLUID_WORKER_STATE_STOPPED,
  };
  g_autoptr(GError) error = NULL;
  Recorder recorder = { 0 };

  recorder_watch (&recorder, w);

  fluid_test_log_capture_reset ();
  g_assert_true (fluid_test_startup (w, &error));
  g_assert_true (fluid_test_log_captured (G_LOG_LEVEL_DEBUG, "fluid_test_worker",
                                          "fluid_test_worker started running"));
  g_assert_no_error (error);
  g_assert_true (fluid_worker_is_running (w));
  g_assert_true (fluid_worker_has_started (w));
  fluid_test_wait_until (fluid_test_worker_get_iterations (worker) == 1);
  g_assert_cmpuint (fluid_test_worker_get_on_startup_calls (worker), ==, 1);

  g_assert_true (fluid_test_shutdown (w, &error));
  g_assert_true (fluid_test_log_captured (G_LOG_LEVEL_DEBUG, "fluid_test_worker",
                                          "fluid_test_worker stopped running: normal shutdown"));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_true (fluid_worker_is_stopped (w));
  g_assert_false (g_cancellable_is_cancelled (fluid_worker_get_cancellable (w)));

  assert_states (&recorder, expected, G_N_ELEMENTS (expected));
  g_assert_cmpstr (recorder.events->str, ==, "started;stopping;stopped;");
  g_assert_cmpstr (recorder.reason, ==, "normal shutdown");
  g_assert_cmpint (recorder.exit_code, ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpuint (fluid_test_worker_get_on_shutdown_calls (worker), ==, 1);
  g_assert_cmpuint (fluid_test_worker_get_after_shutdown_calls (worker), ==, 1);
  g_assert_cmpuint (fluid_test_worker_get_iterations (worker), ==, 1);

  /* Waiting again, or shutting down again, completes at once. */
  g_assert_true (fluid_test_wait_for_shutdown (w, &error));
  g_assert_true (fluid_test_shutdown (w, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (recorder.stopped_count, ==, 1);
  g_assert_cmpuint (recorder.states->len, ==, G_N_ELEMENTS (expected));

  recorder_clear (&recorder);
}

/* A run that returns on its own goes RUNNING → STOPPED, without STOPPING. */
static void
test_worker_run_returns (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10.0);
  const FluidWorkerState expected[] = { FLUID_WORKER_STATE_RUNNING, FLUID_WORKER_STATE_STOPPED };
  Recorder recorder = { 0 };

  recorder_watch (&recorder, FLUID_WORKER (worker));
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (worker), NULL));
  assert_states (&recorder, expected, G_N_ELEMENTS (expected));
  g_assert_cmpstr (recorder.events->str, ==, "started;stopped;");
  g_assert_cmpint (recorder.exit_code, ==, FLUID_EXIT_CODE_NORMAL);
  recorder_clear (&recorder);
}

static void
test_worker_second_startup (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600.0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (w, &error));
  g_assert_false (fluid_test_startup (w, &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_ALREADY_STARTED);
  g_assert_true (fluid_worker_is_running (w));
  g_clear_error (&error);

  g_assert_true (fluid_test_shutdown (w, NULL));

  /* A stopped worker cannot start again either. */
  g_assert_false (fluid_test_startup (w, &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_ALREADY_STARTED);
  g_assert_true (fluid_worker_is_stopped (w));
}

static void
test_worker_startup_cancelled (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 10.0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  fluid_worker_startup_async (FLUID_WORKER (worker), cancellable, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  g_assert_false (fluid_worker_startup_finish (FLUID_WORKER (worker), result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (fluid_worker_has_started (FLUID_WORKER (worker)));
}

static void
test_worker_never_started (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GError) error = NULL;
  Recorder recorder = { 0 };

  recorder_watch (&recorder, w);
  g_assert_true (fluid_test_wait_for_shutdown (w, &error));
  g_assert_true (fluid_test_shutdown (w, &error));
  g_assert_no_error (error);
  fluid_worker_gracefully_stop (w);
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_INIT);
  g_assert_cmpuint (recorder.states->len, ==, 0);
  g_assert_cmpstr (recorder.events->str, ==, "");
  recorder_clear (&recorder);
}

/* aio-fluid test_worker_error: the error of run reaches wait_for_shutdown */
static void
check_run_failure (FluidTestRun  run,
                   GQuark        domain,
                   int           code,
                   const char   *message)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (run, 0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  const FluidWorkerState expected[] = { FLUID_WORKER_STATE_RUNNING, FLUID_WORKER_STATE_STOPPED };
  g_autoptr(GError) error = NULL;
  g_autofree char *log = g_strdup_printf ("fluid_test_worker stopped running: %s", message);
  Recorder recorder = { 0 };

  recorder_watch (&recorder, w);
  fluid_test_log_capture_reset ();
  g_assert_true (fluid_test_startup (w, &error));
  g_assert_false (fluid_test_wait_for_shutdown (w, &error));
  g_assert_true (fluid_test_log_captured (G_LOG_LEVEL_WARNING, "fluid_test_worker", log));
  g_assert_error (error, domain, code);
  g_assert_cmpstr (error->message, ==, message);
  g_clear_error (&error);

  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
  /* Each change notified once, and no STOPPING on the way. */
  assert_states (&recorder, expected, G_N_ELEMENTS (expected));
  g_assert_cmpint (recorder.exit_code, ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpstr (recorder.reason, ==, message);
  g_assert_cmpuint (recorder.stopped_count, ==, 1);
  g_assert_cmpuint (fluid_test_worker_get_on_shutdown_calls (worker), ==, 0);
  g_assert_cmpuint (fluid_test_worker_get_after_shutdown_calls (worker), ==, 1);

  /* Each waiter gets its own copy of the error. */
  g_assert_false (fluid_test_shutdown (w, &error));
  g_assert_error (error, domain, code);
  g_clear_error (&error);
  g_assert_false (fluid_test_wait_for_shutdown (w, &error));
  g_assert_error (error, domain, code);

  recorder_clear (&recorder);
}

static void
test_worker_run_fails (void)
{
  check_run_failure (FLUID_TEST_RUN_FAIL, G_IO_ERROR, G_IO_ERROR_FAILED, "run failed");
}

/* A run that fails with G_IO_ERROR_CANCELLED on its own is an error like
 * any other: STOPPED with exit code 2, not FORCE_STOPPED. */
static void
test_worker_run_fails_cancelled (void)
{
  check_run_failure (FLUID_TEST_RUN_FAIL_CANCELLED, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                     "cancelled on its own");
}

/* aio-fluid test_force_shutdown: a run that loops until cancelled */
static void
test_worker_force_stop (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_UNTIL_CANCELLED, 0, 0.05);
  FluidWorker *w = FLUID_WORKER (worker);
  const FluidWorkerState expected[] = {
    FLUID_WORKER_STATE_RUNNING, FLUID_WORKER_STATE_STOPPING, FLUID_WORKER_STATE_FORCE_STOPPED,
  };
  g_autoptr(GError) error = NULL;
  Recorder recorder = { 0 };

  recorder_watch (&recorder, w);
  g_assert_true (fluid_test_startup (w, NULL));

  g_assert_true (fluid_test_shutdown (w, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();

  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_true (fluid_worker_is_stopped (w));
  g_assert_true (g_cancellable_is_cancelled (fluid_worker_get_cancellable (w)));
  assert_states (&recorder, expected, G_N_ELEMENTS (expected));
  g_assert_cmpstr (recorder.events->str, ==, "started;stopping;stopped;");
  g_assert_cmpstr (recorder.reason, ==, "forced shutdown");
  g_assert_cmpint (recorder.exit_code, ==, FLUID_EXIT_CODE_FORCED);
  g_assert_cmpuint (fluid_test_worker_get_on_shutdown_calls (worker), ==, 0);

  /* The run completes with CANCELLED after the forced stop: dropped. */
  fluid_test_log_capture_reset ();
  fluid_test_wait_until (fluid_test_log_captured (G_LOG_LEVEL_DEBUG, "fluid_test_worker",
                                                  "fluid_test_worker run was cancelled by the forced shutdown"));
  g_assert_true (fluid_test_wait_for_shutdown (w, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (recorder.stopped_count, ==, 1);
  recorder_clear (&recorder);
}

/* The force stop does not depend on run: one that ignores its cancellable
 * is forced all the same, and its late completion changes nothing. */
static void
test_worker_force_stop_ignoring_cancel (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.02);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autoptr(GError) error = NULL;
  Recorder recorder = { 0 };
  guint n_states;

  recorder_watch (&recorder, w);
  g_assert_true (fluid_test_startup (w, NULL));

  g_assert_true (fluid_test_shutdown (w, &error));
  g_test_assert_expected_messages ();
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  n_states = recorder.states->len;

  fluid_test_worker_complete_run (worker);
  fluid_test_wait_until (g_main_context_pending (NULL) == FALSE);
  g_test_assert_expected_messages ();

  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpuint (recorder.states->len, ==, n_states);
  g_assert_cmpuint (recorder.stopped_count, ==, 1);
  recorder_clear (&recorder);
}

/* The caller may drop its last reference to a running worker. */
static void
test_worker_drop_last_reference (void)
{
  FluidTestWorker *worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600.0, 10.0);
  FluidWorker *borrowed = FLUID_WORKER (worker);
  gpointer weak = worker;

  g_object_add_weak_pointer (G_OBJECT (worker), &weak);
  g_assert_true (fluid_test_startup (borrowed, NULL));
  g_object_unref (worker);

  fluid_test_wait_until (fluid_test_worker_get_iterations (FLUID_TEST_WORKER (borrowed)) == 1);
  g_assert_nonnull (weak);
  g_assert_true (fluid_worker_is_running (borrowed));

  fluid_worker_gracefully_stop (borrowed);
  fluid_test_wait_until (weak == NULL);
}

/* An unstarted worker dropped at once is finalized. */
static void
test_worker_drop_unstarted (void)
{
  FluidTestWorker *worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 10.0);
  gpointer weak = worker;

  g_object_add_weak_pointer (G_OBJECT (worker), &weak);
  g_object_unref (worker);
  g_assert_null (weak);
}

static void
test_worker_status (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_IGNORE_CANCEL, 0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  gboolean running, stopping;

  g_assert_true (fluid_test_startup (w, NULL));
  {
    g_autoptr(GVariant) status = fluid_test_status (w);

    g_assert_true (g_variant_lookup (status, "running", "b", &running));
    g_assert_true (g_variant_lookup (status, "stopping", "b", &stopping));
    g_assert_true (running);
    g_assert_false (stopping);
  }

  fluid_worker_gracefully_stop (w);
  {
    g_autoptr(GVariant) status = fluid_test_status (w);

    g_assert_true (g_variant_lookup (status, "running", "b", &running));
    g_assert_true (g_variant_lookup (status, "stopping", "b", &stopping));
    g_assert_false (running);
    g_assert_true (stopping);
  }

  fluid_test_worker_complete_run (worker);
  g_assert_true (fluid_test_wait_for_shutdown (w, NULL));
}

static void
test_worker_environment (void)
{
  const struct { const char *text; double expected; gboolean warns; } cases[] = {
    { "2.5", 2.5, FALSE },
    { " 0 ", 0.0, FALSE },
    { "", 10.0, FALSE },
    { "abc", 10.0, TRUE },
    { "-1", 10.0, TRUE },
    { "nan", 10.0, TRUE },
    { "inf", 10.0, TRUE },
    { "3s", 10.0, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FluidTestWorker) first = NULL;
      g_autoptr(FluidTestWorker) second = NULL;
      g_autoptr(FluidWorker) explicit = NULL;

      g_setenv ("FLUID_STOPPING_GRACE_PERIOD", cases[i].text, TRUE);
      if (cases[i].warns)
        g_test_expect_message ("Fluid", G_LOG_LEVEL_WARNING, "*FLUID_STOPPING_GRACE_PERIOD*");
      first = g_object_new (FLUID_TEST_TYPE_WORKER, NULL);
      /* A bad value is reported once, not for every worker. */
      second = g_object_new (FLUID_TEST_TYPE_WORKER, NULL);
      g_test_assert_expected_messages ();

      g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (FLUID_WORKER (first)), ==,
                         cases[i].expected);
      g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (FLUID_WORKER (second)), ==,
                         cases[i].expected);

      /* The property wins over the environment. */
      explicit = g_object_new (FLUID_TEST_TYPE_WORKER, "stopping-grace-period", 0.5, NULL);
      g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (explicit), ==, 0.5);
    }

  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
  {
    g_autoptr(FluidTestWorker) worker = g_object_new (FLUID_TEST_TYPE_WORKER, NULL);

    g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (FLUID_WORKER (worker)), ==, 10.0);
  }
}

static void
test_worker_bad_arguments (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  GObject *not_a_worker = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(FluidWorker) nan_grace = NULL;
  g_autoptr(FluidWorker) negative_grace = NULL;

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_null (fluid_worker_get_name (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_cmpint (fluid_worker_get_state ((FluidWorker *) not_a_worker), ==,
                   FLUID_WORKER_STATE_INIT);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_false (fluid_worker_is_running (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_gracefully_stop (NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_startup_async (NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*G_IS_CANCELLABLE*");
  fluid_worker_shutdown_async (w, (GCancellable *) not_a_worker, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*seconds >= 0*");
  fluid_worker_sleep_async (w, -1.0, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*isnan*");
  fluid_worker_sleep_async (w, NAN, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*g_task_is_valid*");
  g_assert_false (fluid_worker_startup_finish (w, (GAsyncResult *) not_a_worker, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING, "*out of range*");
  nan_grace = g_object_new (FLUID_TEST_TYPE_WORKER, "stopping-grace-period", NAN, NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (nan_grace), ==, 10.0);

  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING, "*out of range*");
  negative_grace = g_object_new (FLUID_TEST_TYPE_WORKER, "stopping-grace-period", -5.0, NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (negative_grace), ==, 10.0);

  /* After all that, the worker works. */
  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_test_shutdown (w, NULL));
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_STOPPED);
  g_object_unref (not_a_worker);
}

/* The types of the contract: FluidWorker is abstract and derivable; its
 * states and error codes are registered enums; name and
 * stopping-grace-period are construct-only, state is read-only; "stopped"
 * carries the reason and the exit code. */
static void
test_worker_types (void)
{
  g_autoptr(GEnumClass) states = g_type_class_ref (FLUID_TYPE_WORKER_STATE);
  g_autoptr(GEnumClass) errors = g_type_class_ref (FLUID_TYPE_WORKER_ERROR);
  g_autoptr(GTypeClass) klass = g_type_class_ref (FLUID_TYPE_WORKER);
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const char *settable[] = { "name", "stopping-grace-period" };
  const char *no_params[] = { "started", "stopping" };
  GParamSpec *pspec;
  GSignalQuery query;

  g_assert_true (G_TYPE_IS_ABSTRACT (FLUID_TYPE_WORKER));
  g_assert_true (G_TYPE_IS_DERIVABLE (FLUID_TYPE_WORKER));
  g_assert_false (G_TYPE_IS_FINAL (FLUID_TYPE_WORKER));

  g_assert_true (G_TYPE_IS_ENUM (FLUID_TYPE_WORKER_STATE));
  g_assert_cmpuint (states->n_values, ==, 5);
  for (int state = FLUID_WORKER_STATE_INIT; state <= FLUID_WORKER_STATE_FORCE_STOPPED; state++)
    g_assert_nonnull (g_enum_get_value (states, state));

  g_assert_true (G_TYPE_IS_ENUM (FLUID_TYPE_WORKER_ERROR));
  g_assert_cmpuint (errors->n_values, ==, 4);
  g_assert_nonnull (g_enum_get_value (errors, FLUID_WORKER_ERROR_ALREADY_STARTED));
  g_assert_nonnull (g_enum_get_value (errors, FLUID_WORKER_ERROR_FAILED));
  g_assert_nonnull (g_enum_get_value (errors, FLUID_WORKER_ERROR_RESTART_LIMIT));
  g_assert_nonnull (g_enum_get_value (errors, FLUID_WORKER_ERROR_STOPPED));
  g_assert_cmpuint (FLUID_WORKER_ERROR, !=, 0);

  g_assert_cmpint (FLUID_EXIT_CODE_NORMAL, ==, 0);
  g_assert_cmpint (FLUID_EXIT_CODE_FORCED, ==, 1);
  g_assert_cmpint (FLUID_EXIT_CODE_ERROR, ==, 2);

  /* Set until the worker starts (test-worker-settings.c). */
  for (guint i = 0; i < G_N_ELEMENTS (settable); i++)
    {
      pspec = g_object_class_find_property (object_class, settable[i]);
      g_assert_nonnull (pspec);
      g_assert_true (pspec->flags & G_PARAM_READABLE);
      g_assert_true (pspec->flags & G_PARAM_WRITABLE);
      g_assert_false (pspec->flags & (G_PARAM_CONSTRUCT | G_PARAM_CONSTRUCT_ONLY));
      g_assert_true (pspec->flags & G_PARAM_EXPLICIT_NOTIFY);
    }
  pspec = g_object_class_find_property (object_class, "name");
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_STRING);
  pspec = g_object_class_find_property (object_class, "stopping-grace-period");
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_DOUBLE);
  pspec = g_object_class_find_property (object_class, "state");
  g_assert_nonnull (pspec);
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == FLUID_TYPE_WORKER_STATE);
  g_assert_true (pspec->flags & G_PARAM_READABLE);
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);

  for (guint i = 0; i < G_N_ELEMENTS (no_params); i++)
    {
      g_signal_query (g_signal_lookup (no_params[i], FLUID_TYPE_WORKER), &query);
      g_assert_cmpuint (query.signal_id, !=, 0);
      g_assert_cmpuint (query.n_params, ==, 0);
    }
  g_signal_query (g_signal_lookup ("stopped", FLUID_TYPE_WORKER), &query);
  g_assert_cmpuint (query.signal_id, !=, 0);
  g_assert_cmpuint (query.n_params, ==, 2);
  g_assert_true ((query.param_types[0] & ~G_SIGNAL_TYPE_STATIC_SCOPE) == G_TYPE_STRING);
  g_assert_true (query.param_types[1] == G_TYPE_INT);
}

/* Every public getter and async call refuses a NULL worker with a
 * critical. */
static void
test_worker_bad_arguments_everywhere (void)
{
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (NULL), ==, 0.0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_cmpuint (fluid_worker_get_num_workers (NULL), ==, 0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_false (fluid_worker_has_started (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_false (fluid_worker_is_stopping (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_false (fluid_worker_is_stopped (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_null (fluid_worker_get_cancellable (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_shutdown_async (NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_wait_for_shutdown_async (NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_status_async (NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_sleep_async (NULL, 1.0, NULL, NULL, NULL);
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
  g_test_init (&argc, &argv, NULL);
  fluid_test_log_capture_init ();

  g_test_add_func ("/worker/metadata", test_worker_metadata);
  g_test_add_func ("/worker/default-name", test_worker_default_name);
  g_test_add_func ("/worker/run-not-implemented", test_worker_run_not_implemented);
  g_test_add_func ("/worker/lifecycle", test_worker_lifecycle);
  g_test_add_func ("/worker/run-returns", test_worker_run_returns);
  g_test_add_func ("/worker/second-startup", test_worker_second_startup);
  g_test_add_func ("/worker/startup-cancelled", test_worker_startup_cancelled);
  g_test_add_func ("/worker/never-started", test_worker_never_started);
  g_test_add_func ("/worker/run-fails", test_worker_run_fails);
  g_test_add_func ("/worker/run-fails-cancelled", test_worker_run_fails_cancelled);
  g_test_add_func ("/worker/force-stop", test_worker_force_stop);
  g_test_add_func ("/worker/force-stop-ignoring-cancel", test_worker_force_stop_ignoring_cancel);
  g_test_add_func ("/worker/drop-last-reference", test_worker_drop_last_reference);
  g_test_add_func ("/worker/drop-unstarted", test_worker_drop_unstarted);
  g_test_add_func ("/worker/status", test_worker_status);
  g_test_add_func ("/worker/environment", test_worker_environment);
  g_test_add_func ("/worker/bad-arguments", test_worker_bad_arguments);
  g_test_add_func ("/worker/types", test_worker_types);
  g_test_add_func ("/worker/bad-arguments-everywhere", test_worker_bad_arguments_everywhere);

  return g_test_run ();
}
