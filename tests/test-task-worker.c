/* test-task-worker.c: FluidTaskWorker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

typedef enum
{
  TASK_RUN_LATER,
  TASK_RUN_FAIL,
  TASK_RUN_KEEP,
} TaskRun;

#define TEST_TYPE_TASK_WORKER (test_task_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestTaskWorker, test_task_worker, TEST, TASK_WORKER, FluidTaskWorker)

struct _TestTaskWorker
{
  FluidTaskWorker  parent_instance;
  TaskRun          run;
  GTask           *task;
};

G_DEFINE_FINAL_TYPE (TestTaskWorker, test_task_worker, FLUID_TYPE_TASK_WORKER)

static void
test_task_worker_slept_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  fluid_worker_sleep_finish (FLUID_WORKER (source), result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
test_task_worker_run_task (FluidTaskWorker *worker,
                           GTask           *task)
{
  TestTaskWorker *self = TEST_TASK_WORKER (worker);

  g_assert_true (G_IS_TASK (task));
  g_assert_true (g_task_get_cancellable (task) == fluid_worker_get_cancellable (FLUID_WORKER (self)));

  switch (self->run)
    {
    case TASK_RUN_LATER:
      /* Sleeps until stopped, then completes the task from the callback. */
      fluid_worker_sleep_async (FLUID_WORKER (self), 60.0, g_task_get_cancellable (task),
                                test_task_worker_slept_cb, g_object_ref (task));
      break;

    case TASK_RUN_FAIL:
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "task failed");
      break;

    case TASK_RUN_KEEP:
      self->task = g_object_ref (task);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
test_task_worker_finalize (GObject *object)
{
  g_clear_object (&TEST_TASK_WORKER (object)->task);

  G_OBJECT_CLASS (test_task_worker_parent_class)->finalize (object);
}

static void
test_task_worker_class_init (TestTaskWorkerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_task_worker_finalize;
  FLUID_TASK_WORKER_CLASS (klass)->run_task = test_task_worker_run_task;
}

static void
test_task_worker_init (TestTaskWorker *self)
{
}

static FluidWorker *
test_task_worker_new (TaskRun run)
{
  TestTaskWorker *self = g_object_new (TEST_TYPE_TASK_WORKER,
                                       "stopping-grace-period", 0.05,
                                       NULL);
  self->run = run;
  return FLUID_WORKER (self);
}

static void
test_task_worker_lifecycle (void)
{
  g_autoptr(FluidWorker) worker = test_task_worker_new (TASK_RUN_LATER);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (fluid_worker_get_name (worker), ==, "test_task_worker");
  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_no_error (error);
  g_assert_true (fluid_worker_is_running (worker));

  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
}

static void
test_task_worker_fails (void)
{
  g_autoptr(FluidWorker) worker = test_task_worker_new (TASK_RUN_FAIL);
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "task failed");
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
}

/* A task kept and never completed: the worker is forced, and completing the
 * task afterwards changes nothing. */
static void
test_task_worker_forced (void)
{
  g_autoptr(FluidWorker) worker = test_task_worker_new (TASK_RUN_KEEP);
  TestTaskWorker *self = TEST_TASK_WORKER (worker);
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);

  g_assert_nonnull (self->task);
  g_task_return_boolean (self->task, TRUE);
  g_clear_object (&self->task);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/task-worker/lifecycle", test_task_worker_lifecycle);
  g_test_add_func ("/task-worker/fails", test_task_worker_fails);
  g_test_add_func ("/task-worker/forced", test_task_worker_forced);

  return g_test_run ();
}
