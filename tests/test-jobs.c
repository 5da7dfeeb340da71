/* test-jobs.c: FluidJobWorker and FluidJob on the worker's context
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

/* What a test's job function is told to do with each input, an int:
 * n >= 0 succeeds with n * 10; -1 fails; -2 waits until cancelled (on
 * the context: returns CANCELLED at once if cancelled, else is the
 * test's to end through @hold); -3 succeeds without output. */
typedef struct
{
  GArray   *ran;        /* of int: the inputs, in the order they ran */
  gboolean  in_call;    /* a call the callbacks must not run within */
  guint     ended;      /* wait callbacks */
  GMainContext *context;
} Fixture;

static gboolean
run_job (FluidJob      *job,
         GCancellable  *cancellable,
         gpointer       user_data,
         GError       **error)
{
  Fixture *fixture = user_data;
  const GValue *input = fluid_job_get_input (job);
  int n = input != NULL ? g_value_get_int (input) : -3;
  g_auto(GValue) output = G_VALUE_INIT;

  g_assert_cmpint (fluid_job_get_state (job), ==, FLUID_JOB_STATE_RUNNING);
  g_assert_true (cancellable == fluid_job_get_cancellable (job));
  g_array_append_val (fixture->ran, n);
  if (n == -1)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
      return FALSE;
    }
  if (n == -2)
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  if (n == -3)
    return TRUE;
  g_value_init (&output, G_TYPE_INT);
  g_value_set_int (&output, n * 10);
  fluid_job_set_output (job, &output);
  return TRUE;
}

static void
fixture_init (Fixture *fixture)
{
  *fixture = (Fixture) { NULL, FALSE, 0, NULL };
  fixture->ran = g_array_new (FALSE, FALSE, sizeof (int));
  fixture->context = g_main_context_get_thread_default ();
}

static void
fixture_clear (Fixture *fixture)
{
  g_array_unref (fixture->ran);
}

static void
waited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Fixture *fixture = user_data;

  g_assert_false (fixture->in_call);
  g_assert_true (g_main_context_is_owner (fixture->context));
  fixture->ended++;
}

static void
wait_job (Fixture  *fixture,
          FluidJob *job)
{
  guint ended = fixture->ended;

  fixture->in_call = TRUE;
  fluid_job_wait_async (job, NULL, waited_cb, fixture);
  fixture->in_call = FALSE;
  fluid_test_wait_until (fixture->ended > ended);
}

/* Priorities: the lowest first, first come first served within one. */
static void
test_priorities (void)
{
  Fixture fixture;
  g_autoptr(FluidJobWorker) worker = NULL;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  int priorities[] = { G_PRIORITY_LOW, G_PRIORITY_DEFAULT, G_PRIORITY_HIGH, G_PRIORITY_DEFAULT,
                       G_PRIORITY_HIGH, G_PRIORITY_DEFAULT_IDLE, -1000, G_PRIORITY_LOW };
  int expected[] = { 6, 2, 4, 1, 3, 5, 0, 7 };

  fixture_init (&fixture);
  worker = fluid_job_worker_new (0, run_job, &fixture, NULL);
  /* Queued before it starts: all there when the first runs. */
  for (guint i = 0; i < G_N_ELEMENTS (priorities); i++)
    {
      FluidJob *job = fluid_test_submit_int (worker, i, priorities[i]);

      g_assert_cmpuint (fluid_job_get_id (job), ==, i + 1);
      g_assert_cmpint (fluid_job_get_priority (job), ==, priorities[i]);
      g_ptr_array_add (jobs, job);
    }
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  for (guint i = 0; i < jobs->len; i++)
    wait_job (&fixture, g_ptr_array_index (jobs, i));
  g_assert_cmpuint (fixture.ran->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (g_array_index (fixture.ran, int, i), ==, expected[i]);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  fixture_clear (&fixture);
}

static void
wait_result_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_assert_null (*(GAsyncResult **) user_data);
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Waits for @job; returns its outcome, the output in @output. */
static gboolean
wait_outcome (FluidJob  *job,
              GValue    *output,
              GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fluid_job_wait_async (job, NULL, wait_result_cb, &result);
  g_assert_null (result);
  fluid_test_wait_until (result != NULL);
  return fluid_job_wait_finish (job, result, output, error);
}

/* message-failed is told the job that failed, and its error. */
static void
job_failed_cb (FluidQueueConsumer *worker,
               const GValue       *message,
               const GError       *error,
               gpointer            user_data)
{
  FluidJob **failed = user_data;

  g_assert_true (G_VALUE_HOLDS (message, FLUID_TYPE_JOB));
  g_assert_null (*failed);
  *failed = g_value_get_object (message);
  g_assert_cmpint (fluid_job_get_state (*failed), ==, FLUID_JOB_STATE_FAILED);
  g_assert_error ((GError *) error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

/* Outputs and errors, through wait and the getters; the counters. */
static void
test_outcomes (void)
{
  Fixture fixture;
  g_autoptr(FluidJobWorker) worker = NULL;
  g_autoptr(FluidJob) ok = NULL, failed = NULL, empty = NULL;
  g_auto(GValue) output = G_VALUE_INIT;
  g_auto(GValue) none = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  FluidJob *told = NULL;

  fixture_init (&fixture);
  worker = fluid_job_worker_new (0, run_job, &fixture, NULL);
  g_assert_false (fluid_queue_consumer_get_stop_on_failure (FLUID_QUEUE_CONSUMER (worker)));
  g_signal_connect (worker, "message-failed", G_CALLBACK (job_failed_cb), &told);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));

  ok = fluid_test_submit_int (worker, 4, G_PRIORITY_DEFAULT);
  g_assert_true (wait_outcome (ok, &output, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&output), ==, 40);
  g_assert_cmpint (fluid_job_get_state (ok), ==, FLUID_JOB_STATE_SUCCEEDED);
  g_assert_cmpint (g_value_get_int (fluid_job_get_output (ok)), ==, 40);
  g_assert_null (fluid_job_get_error (ok));
  g_assert_true (fluid_job_is_done (ok));

  failed = fluid_test_submit_int (worker, -1, G_PRIORITY_DEFAULT);
  g_assert_false (wait_outcome (failed, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (fluid_job_get_state (failed), ==, FLUID_JOB_STATE_FAILED);
  g_assert_error ((GError *) fluid_job_get_error (failed), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (fluid_job_get_output (failed));
  g_assert_true (told == failed);

  /* No input, no output: the GValue stays unset. */
  empty = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
  g_assert_null (fluid_job_get_input (empty));
  g_assert_true (wait_outcome (empty, &none, &error));
  g_assert_false (G_IS_VALUE (&none));

  g_assert_true (fluid_worker_is_running (FLUID_WORKER (worker)));
  g_assert_cmpuint (fluid_queue_consumer_get_processed (FLUID_QUEUE_CONSUMER (worker)), ==, 2);
  g_assert_cmpuint (fluid_queue_consumer_get_failed (FLUID_QUEUE_CONSUMER (worker)), ==, 1);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "processed"), ==, 2);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "failed"), ==, 1);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "cancelled"), ==, 0);
  {
    g_autoptr(GVariant) status = fluid_test_status (FLUID_WORKER (worker));
    guint running = G_MAXUINT;

    g_assert_true (g_variant_lookup (status, "running", "u", &running));
    g_assert_cmpuint (running, ==, 0);
  }
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (worker)), ==, 0);
  fixture_clear (&fixture);
}

/* try_submit: NULL when the queue is full, and then nothing is taken nor
 * counted; submit goes past the limit; once the worker stopped, a job
 * ended cancelled, not NULL. */
static void
test_try_submit (void)
{
  Fixture fixture;
  g_autoptr(FluidJobWorker) worker = NULL;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FluidJob) late = NULL;
  g_auto(GValue) input = G_VALUE_INIT;
  FluidQueueConsumer *consumer;

  fixture_init (&fixture);
  worker = fluid_job_worker_new (0, run_job, &fixture, NULL);
  consumer = FLUID_QUEUE_CONSUMER (worker);
  fluid_queue_consumer_set_max_queue_size (consumer, 2);
  g_value_init (&input, G_TYPE_INT);

  /* Not started: the jobs wait, and fill the queue. */
  for (int i = 1; i <= 2; i++)
    {
      g_value_set_int (&input, i);
      g_ptr_array_add (jobs, fluid_job_worker_try_submit (worker, &input, G_PRIORITY_DEFAULT, NULL));
      g_assert_nonnull (g_ptr_array_index (jobs, i - 1));
    }
  g_value_set_int (&input, 3);
  g_assert_null (fluid_job_worker_try_submit (worker, &input, G_PRIORITY_HIGH, NULL));
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 2);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 0);
  /* submit never refuses. */
  g_ptr_array_add (jobs, fluid_job_worker_submit (worker, &input, G_PRIORITY_HIGH, NULL));
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 3);

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  for (guint i = 0; i < jobs->len; i++)
    wait_job (&fixture, g_ptr_array_index (jobs, i));
  g_assert_cmpuint (fixture.ran->len, ==, 3);
  g_assert_cmpint (g_array_index (fixture.ran, int, 0), ==, 3);
  /* Room again. */
  {
    g_autoptr(FluidJob) again = fluid_job_worker_try_submit (worker, &input, G_PRIORITY_DEFAULT, NULL);

    g_assert_nonnull (again);
    wait_job (&fixture, again);
    g_assert_cmpint (fluid_job_get_state (again), ==, FLUID_JOB_STATE_SUCCEEDED);
  }
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));

  late = fluid_job_worker_try_submit (worker, &input, G_PRIORITY_DEFAULT, NULL);
  g_assert_nonnull (late);
  g_assert_cmpint (fluid_job_get_state (late), ==, FLUID_JOB_STATE_CANCELLED);
  g_assert_error ((GError *) fluid_job_get_error (late), FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED);
  g_assert_cmpuint (fluid_queue_consumer_get_processed (consumer), ==, 4);
  g_assert_cmpuint (fluid_job_worker_get_cancelled (worker), ==, 1);
  fixture_clear (&fixture);
}

/* With stop-on-failure, a failed job stops the worker with its error, and
 * the queued jobs end cancelled. */
static void
test_stop_on_failure (void)
{
  Fixture fixture;
  g_autoptr(FluidJobWorker) worker = NULL;
  g_autoptr(FluidJob) failed = NULL, queued = NULL;
  g_autoptr(GError) error = NULL;

  fixture_init (&fixture);
  worker = fluid_job_worker_new (0, run_job, &fixture, NULL);
  fluid_queue_consumer_set_stop_on_failure (FLUID_QUEUE_CONSUMER (worker), TRUE);
  failed = fluid_test_submit_int (worker, -1, G_PRIORITY_HIGH);
  queued = fluid_test_submit_int (worker, 1, G_PRIORITY_DEFAULT);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (worker), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpint (fluid_job_get_state (failed), ==, FLUID_JOB_STATE_FAILED);
  g_assert_cmpint (fluid_job_get_state (queued), ==, FLUID_JOB_STATE_CANCELLED);
  g_assert_error ((GError *) fluid_job_get_error (queued), FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED);
  g_assert_cmpuint (fixture.ran->len, ==, 1);
  fixture_clear (&fixture);
}

/* Cancellation in every state, on the context. */
static void
test_cancel (void)
{
  Fixture fixture;
  g_autoptr(FluidJobWorker) worker = NULL;
  g_autoptr(FluidJob) before = NULL, queued = NULL, done = NULL, by_cancellable = NULL;
  g_autoptr(FluidJob) already = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  fixture_init (&fixture);
  worker = fluid_job_worker_new (0, run_job, &fixture, NULL);

  /* Before the worker runs: it ends when the worker looks at it. */
  before = fluid_test_submit_int (worker, 1, G_PRIORITY_DEFAULT);
  fluid_job_cancel (before);
  fluid_job_cancel (before);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  g_assert_false (wait_outcome (before, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Queued, cancelled on the context: at once, and it never runs. */
  queued = fluid_test_submit_int (worker, 2, G_PRIORITY_DEFAULT);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (worker)), ==, 1);
  fluid_job_cancel (queued);
  g_assert_cmpint (fluid_job_get_state (queued), ==, FLUID_JOB_STATE_CANCELLED);
  g_assert_error ((GError *) fluid_job_get_error (queued), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (worker)), ==, 0);
  /* Twice: nothing more. */
  fluid_job_cancel (queued);
  g_assert_cmpint (fluid_job_get_state (queued), ==, FLUID_JOB_STATE_CANCELLED);

  /* Through the cancellable given to submit, cancelled before or after. */
  g_cancellable_cancel (cancelled);
  {
    g_auto(GValue) input = G_VALUE_INIT;

    g_value_init (&input, G_TYPE_INT);
    g_value_set_int (&input, 3);
    already = fluid_job_worker_submit (worker, &input, G_PRIORITY_DEFAULT, cancelled);
    g_assert_cmpint (fluid_job_get_state (already), ==, FLUID_JOB_STATE_CANCELLED);
    by_cancellable = fluid_job_worker_submit (worker, &input, G_PRIORITY_DEFAULT, cancellable);
  }
  g_cancellable_cancel (cancellable);
  g_assert_cmpint (fluid_job_get_state (by_cancellable), ==, FLUID_JOB_STATE_CANCELLED);

  /* Done: left as it is. */
  done = fluid_test_submit_int (worker, 5, G_PRIORITY_DEFAULT);
  g_assert_true (wait_outcome (done, NULL, &error));
  fluid_job_cancel (done);
  g_assert_cmpint (fluid_job_get_state (done), ==, FLUID_JOB_STATE_SUCCEEDED);

  /* Running: see test_cancel_running(). */
  g_assert_cmpuint (fixture.ran->len, ==, 1);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "cancelled"), ==, 4);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  g_assert_cmpuint (fluid_job_worker_get_cancelled (worker), ==, 4);
  fixture_clear (&fixture);
}

/* An asynchronous function, on the context: a running job cancelled ends
 * by what it returns. */
typedef struct
{
  GTask    *task;
  FluidJob *job;
} Held;

static void
hold_job (FluidJob     *job,
          GCancellable *cancellable,
          GTask        *task,
          gpointer      user_data)
{
  Held *held = user_data;

  g_assert_null (held->task);
  held->task = g_object_ref (task);
  held->job = job;
}

static void
release (Held         *held,
         const GError *error)
{
  GTask *task = g_steal_pointer (&held->task);

  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
test_cancel_running (void)
{
  Held held = { NULL, NULL };
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new_async (hold_job, &held, NULL);
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  g_autoptr(GError) failed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "failed");
  const GError *outcomes[] = { cancelled, NULL, failed };
  FluidJobState states[] = { FLUID_JOB_STATE_CANCELLED, FLUID_JOB_STATE_SUCCEEDED, FLUID_JOB_STATE_FAILED };

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  for (guint i = 0; i < G_N_ELEMENTS (outcomes); i++)
    {
      g_autoptr(FluidJob) job = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
      GCancellable *cancellable = fluid_job_get_cancellable (job);

      fluid_test_wait_until (held.task != NULL);
      g_assert_true (held.job == job);
      g_assert_cmpint (fluid_job_get_state (job), ==, FLUID_JOB_STATE_RUNNING);
      g_assert_cmpuint (fluid_job_worker_get_running (worker), ==, 1);
      fluid_job_cancel (job);
      g_assert_true (g_cancellable_is_cancelled (cancellable));
      g_assert_cmpint (fluid_job_get_state (job), ==, FLUID_JOB_STATE_RUNNING);
      release (&held, outcomes[i]);
      wait_outcome (job, NULL, NULL);
      g_assert_cmpint (fluid_job_get_state (job), ==, states[i]);
    }
  g_assert_cmpuint (fluid_job_worker_get_running (worker), ==, 0);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
}

/* A forced stop ends a stuck job at once; its late return changes
 * nothing. */
static void
test_forced_stop (void)
{
  Held held = { NULL, NULL };
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new_async (hold_job, &held, NULL);
  g_autoptr(FluidJob) stuck = NULL, queued = NULL, late = NULL;
  g_autoptr(GError) error = NULL;

  fluid_worker_set_stopping_grace_period (FLUID_WORKER (worker), 0.05);
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (worker), TRUE);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  stuck = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
  queued = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
  fluid_test_wait_until (held.task != NULL);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (worker)), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (fluid_job_get_state (stuck), ==, FLUID_JOB_STATE_CANCELLED);
  g_assert_error ((GError *) fluid_job_get_error (stuck), FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED);
  g_assert_true (g_cancellable_is_cancelled (fluid_job_get_cancellable (stuck)));
  g_assert_cmpint (fluid_job_get_state (queued), ==, FLUID_JOB_STATE_CANCELLED);
  release (&held, NULL);
  fluid_test_settle (NULL);
  g_assert_cmpint (fluid_job_get_state (stuck), ==, FLUID_JOB_STATE_CANCELLED);

  /* After the stop: cancelled at once. */
  late = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
  g_assert_cmpint (fluid_job_get_state (late), ==, FLUID_JOB_STATE_CANCELLED);
  g_assert_error ((GError *) fluid_job_get_error (late), FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED);
  g_assert_false (wait_outcome (late, NULL, &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "cancelled"), ==, 3);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "processed"), ==, 0);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "discarded"), ==, 0);
}

/* The list model, checked against every items-changed: a copy kept by
 * the signal alone equals the model, in the order the jobs run. */
typedef struct
{
  GListModel *model;
  GPtrArray  *copy;
  guint       changes;
} Mirror;

static void
mirror_changed_cb (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   gpointer    user_data)
{
  Mirror *mirror = user_data;

  g_assert_cmpuint (position + removed, <=, mirror->copy->len);
  g_ptr_array_remove_range (mirror->copy, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (mirror->copy, position + i, g_list_model_get_item (model, position + i));
  g_assert_cmpuint (mirror->copy->len, ==, g_list_model_get_n_items (model));
  for (guint i = 0; i < mirror->copy->len; i++)
    {
      g_autoptr(FluidJob) job = g_list_model_get_item (model, i);
      FluidJob *previous = i > 0 ? g_ptr_array_index (mirror->copy, i - 1) : NULL;

      g_assert_true (job == g_ptr_array_index (mirror->copy, i));
      g_assert_false (fluid_job_is_done (job));
      /* Running first; the queued in the order they run. */
      if (previous != NULL && fluid_job_get_state (previous) == FLUID_JOB_STATE_QUEUED)
        {
          g_assert_cmpint (fluid_job_get_state (job), ==, FLUID_JOB_STATE_QUEUED);
          g_assert_true (fluid_job_get_priority (previous) < fluid_job_get_priority (job) ||
                         (fluid_job_get_priority (previous) == fluid_job_get_priority (job) &&
                          fluid_job_get_id (previous) < fluid_job_get_id (job)));
        }
    }
  mirror->changes++;
}

static void
test_list_model (void)
{
  Held held = { NULL, NULL };
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new_async (hold_job, &held, NULL);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  Mirror mirror = { NULL, g_ptr_array_new_with_free_func (g_object_unref), 0 };
  int priorities[] = { 0, 100, -100, 0, 300, -100, 100, 0 };

  /* Two jobs before the model is asked for, the rest after. */
  g_ptr_array_add (jobs, fluid_job_worker_submit (worker, NULL, 200, NULL));
  g_ptr_array_add (jobs, fluid_job_worker_submit (worker, NULL, -200, NULL));
  mirror.model = fluid_job_worker_get_jobs (worker);
  g_assert_true (g_list_model_get_item_type (mirror.model) == FLUID_TYPE_JOB);
  g_assert_cmpuint (g_list_model_get_n_items (mirror.model), ==, 2);
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (mirror.copy, g_list_model_get_item (mirror.model, i));
  g_assert_true (g_ptr_array_index (mirror.copy, 0) == g_ptr_array_index (jobs, 1));
  g_signal_connect (mirror.model, "items-changed", G_CALLBACK (mirror_changed_cb), &mirror);

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  fluid_test_wait_until (held.task != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (priorities); i++)
    g_ptr_array_add (jobs, fluid_job_worker_submit (worker, NULL, priorities[i], NULL));
  g_assert_cmpuint (g_list_model_get_n_items (mirror.model), ==, 10);
  /* Running first: the one held. */
  g_assert_true (g_ptr_array_index (mirror.copy, 0) == held.job);
  /* One from the middle, cancelled, leaves. */
  fluid_job_cancel (g_ptr_array_index (jobs, 5));
  g_assert_cmpuint (g_list_model_get_n_items (mirror.model), ==, 9);
  /* The rest run one by one. */
  while (g_list_model_get_n_items (mirror.model) > 0)
    {
      fluid_test_wait_until (held.task != NULL);
      release (&held, NULL);
      fluid_test_wait_until (held.task != NULL || g_list_model_get_n_items (mirror.model) == 0);
    }
  g_assert_cmpuint (mirror.changes, >=, 11);
  g_assert_cmpuint (mirror.copy->len, ==, 0);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  g_ptr_array_unref (mirror.copy);
}

/* A job's callback never runs within the call, even for a job that ended,
 * and runs on the context of its caller. */
static void
test_wait_callback (void)
{
  Fixture fixture;
  g_autoptr(FluidJobWorker) worker = NULL;
  g_autoptr(FluidJob) job = NULL;

  fixture_init (&fixture);
  worker = fluid_job_worker_new (0, run_job, &fixture, NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  job = fluid_test_submit_int (worker, 1, G_PRIORITY_DEFAULT);
  wait_job (&fixture, job);
  g_assert_true (fluid_job_is_done (job));
  /* Ended: still never within the call. */
  wait_job (&fixture, job);
  g_assert_cmpuint (fixture.ended, ==, 2);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  fixture_clear (&fixture);
}

/* A wait cancelled completes with G_IO_ERROR_CANCELLED; the job goes on. */
static void
test_wait_cancelled (void)
{
  Held held = { NULL, NULL };
  g_autoptr(FluidJobWorker) worker = fluid_job_worker_new_async (hold_job, &held, NULL);
  g_autoptr(FluidJob) job = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  job = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
  fluid_job_wait_async (job, cancellable, wait_result_cb, &result);
  g_cancellable_cancel (cancellable);
  g_assert_null (result);
  fluid_test_wait_until (result != NULL);
  g_assert_false (fluid_job_wait_finish (job, result, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (fluid_job_is_done (job));
  fluid_test_wait_until (held.task != NULL);
  release (&held, NULL);
  g_assert_true (wait_outcome (job, NULL, NULL));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
}

/* Bad input: NaN progress, a NULL worker and a message that is not a job
 * are refused with a critical; a worker dropped with jobs queued ends
 * them, and their waits complete; a job cancelled twice once. */
static void
test_bad_input (void)
{
  Held held = { NULL, NULL };
  FluidJobWorker *worker = fluid_job_worker_new_async (hold_job, &held, NULL);
  g_autoptr(FluidJob) job = NULL, queued = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  double nan = g_strtod ("nan", NULL);

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  job = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
  fluid_test_wait_until (held.task != NULL);
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*isnan*");
  fluid_job_report_progress (job, nan, "nan");
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_JOB_WORKER*");
  g_assert_null (fluid_job_worker_submit (NULL, NULL, 0, NULL));
  g_test_assert_expected_messages ();
  release (&held, NULL);
  /* A message that is not a job, sent as to any consumer: dropped. */
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*gchararray sent to a job worker is dropped*");
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "not a job");
  fluid_test_wait_until (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (worker)) == 0);
  g_test_assert_expected_messages ();
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (worker)));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  g_assert_cmpfloat (fluid_job_get_progress (job), ==, 0.0);
  g_object_unref (worker);

  /* Dropped before it ran: its queued job ends, and the wait completes. */
  worker = fluid_job_worker_new_async (hold_job, &held, NULL);
  queued = fluid_job_worker_submit (worker, NULL, G_PRIORITY_DEFAULT, NULL);
  fluid_job_wait_async (queued, NULL, wait_result_cb, &result);
  g_object_unref (worker);
  g_assert_cmpint (fluid_job_get_state (queued), ==, FLUID_JOB_STATE_CANCELLED);
  fluid_test_wait_until (result != NULL);
  g_assert_false (fluid_job_wait_finish (queued, result, NULL, &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED);
  fluid_job_cancel (queued);
}

/* The counter properties of a consumer: notified while connected, at most
 * ten times a second, the last value always. */
typedef struct
{
  guint   notified;
  guint64 last;
} Notified;

static void
processed_notify_cb (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  Notified *notified = user_data;

  notified->notified++;
  g_object_get (object, "processed", &notified->last, NULL);
}

static void
test_counter_properties (void)
{
  Fixture fixture;
  g_autoptr(FluidJobWorker) worker = NULL;
  Notified notified = { 0, 0 };
  gint64 start;
  double seconds;

  fixture_init (&fixture);
  worker = fluid_job_worker_new (0, run_job, &fixture, NULL);
  g_signal_connect (worker, "notify::processed", G_CALLBACK (processed_notify_cb), &notified);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 20000; i++)
    {
      g_autoptr(FluidJob) job = fluid_test_submit_int (worker, 1, G_PRIORITY_DEFAULT);

      if (i % 1000 == 0)
        fluid_test_wait_until (fluid_job_is_done (job));
    }
  /* The last value is notified. */
  fluid_test_wait_until (notified.last == 20000);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_assert_cmpfloat (notified.notified, <=, 10 * seconds + 2);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
  fixture_clear (&fixture);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/jobs/priorities", test_priorities);
  g_test_add_func ("/jobs/outcomes", test_outcomes);
  g_test_add_func ("/jobs/try-submit", test_try_submit);
  g_test_add_func ("/jobs/stop-on-failure", test_stop_on_failure);
  g_test_add_func ("/jobs/cancel", test_cancel);
  g_test_add_func ("/jobs/cancel-running", test_cancel_running);
  g_test_add_func ("/jobs/forced-stop", test_forced_stop);
  g_test_add_func ("/jobs/list-model", test_list_model);
  g_test_add_func ("/jobs/wait-callback", test_wait_callback);
  g_test_add_func ("/jobs/wait-cancelled", test_wait_cancelled);
  g_test_add_func ("/jobs/bad-input", test_bad_input);
  g_test_add_func ("/jobs/counter-properties", test_counter_properties);

  return g_test_run ();
}
