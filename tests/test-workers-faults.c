/* test-workers-faults.c: children of a FluidWorkers group that die while the
 * group is shutting down
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

/* A worker whose run ignores graceful stops and never returns on its own:
 * the test kills it, making run fail, with dying_worker_die(). */

#define DYING_TYPE_WORKER (dying_worker_get_type ())
G_DECLARE_FINAL_TYPE (DyingWorker, dying_worker, DYING, WORKER, FluidWorker)

struct _DyingWorker
{
  FluidWorker  parent_instance;
  GTask       *run;
};

G_DEFINE_FINAL_TYPE (DyingWorker, dying_worker, FLUID_TYPE_WORKER)

static void
dying_worker_run_async (FluidWorker         *worker,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  DyingWorker *self = DYING_WORKER (worker);

  g_assert_null (self->run);
  self->run = g_task_new (worker, cancellable, callback, user_data);
  g_task_set_check_cancellable (self->run, FALSE);
}

static gboolean
dying_worker_run_finish (FluidWorker   *worker,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
dying_worker_class_init (DyingWorkerClass *klass)
{
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  worker_class->run_async = dying_worker_run_async;
  worker_class->run_finish = dying_worker_run_finish;
}

static void
dying_worker_init (DyingWorker *self)
{
}

static void
dying_worker_die (DyingWorker *self)
{
  GTask *task;

  fluid_test_wait_until (self->run != NULL);
  task = g_steal_pointer (&self->run);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "child died");
  g_object_unref (task);
}

/* Counts each worker's "stopped" signals. */

static void
count_stopped_cb (FluidWorker *worker,
                  const char  *reason,
                  int          exit_code,
                  gpointer     user_data)
{
  guint *count = user_data;

  (*count)++;
}

typedef struct
{
  FluidWorker *worker;
  gpointer     weak;
  guint        stopped;
} Watched;

static void
watch (Watched     *watched,
       FluidWorker *worker)
{
  watched->worker = worker;
  watched->stopped = 0;
  watched->weak = worker;
  g_object_add_weak_pointer (G_OBJECT (worker), &watched->weak);
  g_signal_connect (worker, "stopped", G_CALLBACK (count_stopped_cb), &watched->stopped);
}

/* A child whose run fails while the group shuts down, waiting for another
 * child that is slow to stop: the group still ends, once, each child stopped
 * once, and everything is freed when the last references go. */
static void
test_child_dies_during_group_shutdown (void)
{
  FluidWorkers *group = g_object_new (FLUID_TYPE_WORKERS, "name", "group",
                                      "stopping-grace-period", 10.0, NULL);
  FluidWorker *slow = FLUID_WORKER (
    fluid_test_worker_new_named ("slow", FLUID_TEST_RUN_IGNORE_CANCEL, 0, 10.0));
  FluidWorker *dying = g_object_new (DYING_TYPE_WORKER, "name", "dying",
                                     "stopping-grace-period", 10.0, NULL);
  FluidWorker *nice = FLUID_WORKER (
    fluid_test_worker_new_named ("nice", FLUID_TEST_RUN_SLEEP_LOOP, 3600.0, 10.0));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Watched w_group, w_slow, w_dying, w_nice;

  watch (&w_group, FLUID_WORKER (group));
  watch (&w_slow, slow);
  watch (&w_dying, dying);
  watch (&w_nice, nice);

  fluid_workers_add_worker (group, slow);
  fluid_workers_add_worker (group, dying);
  fluid_workers_add_worker (group, nice);
  /* The group holds the children now. */
  g_object_unref (slow);
  g_object_unref (dying);
  g_object_unref (nice);

  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  g_assert_no_error (error);
  fluid_test_wait_until (fluid_worker_is_running (slow) && fluid_worker_is_running (dying) &&
                         fluid_worker_is_running (nice));

  fluid_worker_shutdown_async (FLUID_WORKER (group), NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (fluid_worker_is_stopped (nice));
  g_assert_true (fluid_worker_is_stopping (FLUID_WORKER (group)));
  g_assert_true (fluid_worker_is_stopping (slow));
  g_assert_true (fluid_worker_is_stopping (dying));

  /* The child dies while the group waits for the slow one. */
  dying_worker_die (DYING_WORKER (dying));
  fluid_test_wait_until (fluid_worker_is_stopped (dying));
  g_test_assert_expected_messages ();
  g_assert_cmpint (fluid_worker_get_state (dying), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_true (fluid_worker_is_stopping (FLUID_WORKER (group)));
  g_assert_null (result);

  fluid_test_worker_complete_run (FLUID_TEST_WORKER (slow));
  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_shutdown_finish (FLUID_WORKER (group), result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (group)), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (slow), ==, FLUID_WORKER_STATE_STOPPED);

  g_assert_cmpuint (w_group.stopped, ==, 1);
  g_assert_cmpuint (w_slow.stopped, ==, 1);
  g_assert_cmpuint (w_dying.stopped, ==, 1);
  g_assert_cmpuint (w_nice.stopped, ==, 1);
  g_assert_cmpuint (fluid_test_worker_get_after_shutdown_calls (FLUID_TEST_WORKER (slow)), ==, 1);
  g_assert_cmpuint (fluid_test_worker_get_after_shutdown_calls (FLUID_TEST_WORKER (nice)), ==, 1);

  /* The dead child keeps its error. */
  g_assert_false (fluid_test_wait_for_shutdown (dying, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);

  /* The result holds the group. */
  g_clear_object (&result);
  g_object_unref (group);
  fluid_test_wait_until (w_group.weak == NULL && w_slow.weak == NULL &&
                         w_dying.weak == NULL && w_nice.weak == NULL);
}

/* A child forced to stop (its own grace period is short) while the group
 * shuts down and waits for a slower child; the group's own reference was
 * dropped while it ran. */
static void
test_child_forced_during_group_shutdown (void)
{
  FluidWorkers *group = g_object_new (FLUID_TYPE_WORKERS, "name", "group",
                                      "stopping-grace-period", 10.0, NULL);
  FluidWorker *slow = FLUID_WORKER (
    fluid_test_worker_new_named ("slow", FLUID_TEST_RUN_IGNORE_CANCEL, 0, 10.0));
  FluidWorker *stubborn = FLUID_WORKER (
    fluid_test_worker_new_named ("stubborn", FLUID_TEST_RUN_UNTIL_CANCELLED, 0, 0.01));
  g_autoptr(GError) error = NULL;
  Watched w_group, w_slow, w_stubborn;

  watch (&w_group, FLUID_WORKER (group));
  watch (&w_slow, slow);
  watch (&w_stubborn, stubborn);

  fluid_workers_add_worker (group, slow);
  fluid_workers_add_worker (group, stubborn);
  g_object_unref (slow);
  g_object_unref (stubborn);

  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  g_assert_no_error (error);
  fluid_test_wait_until (fluid_worker_is_running (slow) && fluid_worker_is_running (stubborn));

  /* A running group keeps itself alive. */
  g_object_unref (group);
  g_assert_nonnull (w_group.weak);

  fluid_worker_gracefully_stop (w_group.weak);
  fluid_test_wait_until (fluid_worker_is_stopped (stubborn));
  g_test_assert_expected_messages ();
  g_assert_cmpint (fluid_worker_get_state (stubborn), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_nonnull (w_group.weak);
  g_assert_true (fluid_worker_is_stopping (w_group.weak));

  fluid_test_worker_complete_run (FLUID_TEST_WORKER (slow));
  fluid_test_wait_until (w_group.weak == NULL && w_slow.weak == NULL && w_stubborn.weak == NULL);

  g_assert_cmpuint (w_group.stopped, ==, 1);
  g_assert_cmpuint (w_slow.stopped, ==, 1);
  g_assert_cmpuint (w_stubborn.stopped, ==, 1);
}

/* Every child dies, one after the other, while the group shuts down: the
 * last death ends the group. */
static void
test_all_children_die_during_group_shutdown (void)
{
  FluidWorkers *group = fluid_workers_new ();
  Watched w_group, w_children[4];
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  watch (&w_group, FLUID_WORKER (group));
  for (guint i = 0; i < G_N_ELEMENTS (w_children); i++)
    {
      g_autofree char *name = g_strdup_printf ("dying%u", i);
      FluidWorker *child = g_object_new (DYING_TYPE_WORKER, "name", name, NULL);

      watch (&w_children[i], child);
      fluid_workers_add_worker (group, child);
      g_object_unref (child);
    }

  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  fluid_test_wait_until (fluid_worker_is_running (w_children[3].worker));
  fluid_worker_shutdown_async (FLUID_WORKER (group), NULL, fluid_test_store_result_cb, &result);
  for (guint i = 0; i < G_N_ELEMENTS (w_children); i++)
    {
      g_autofree char *message = g_strdup_printf ("dying%u stopped running: child died", i);

      g_assert_true (fluid_worker_is_stopping (w_children[i].worker));
      g_assert_null (result);
      fluid_test_log_capture_reset ();
      dying_worker_die (DYING_WORKER (w_children[i].worker));
      fluid_test_wait_until (fluid_worker_is_stopped (w_children[i].worker));
      g_assert_true (fluid_test_log_captured (G_LOG_LEVEL_WARNING, "*", message));
    }

  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_shutdown_finish (FLUID_WORKER (group), result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (w_group.stopped, ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (w_children); i++)
    g_assert_cmpuint (w_children[i].stopped, ==, 1);

  g_clear_object (&result);
  g_object_unref (group);
  fluid_test_wait_until (w_group.weak == NULL && w_children[0].weak == NULL &&
                         w_children[1].weak == NULL && w_children[2].weak == NULL &&
                         w_children[3].weak == NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
  g_test_init (&argc, &argv, NULL);
  fluid_test_log_capture_init ();

  g_test_add_func ("/workers-faults/child-dies-during-group-shutdown",
                   test_child_dies_during_group_shutdown);
  g_test_add_func ("/workers-faults/child-forced-during-group-shutdown",
                   test_child_forced_during_group_shutdown);
  g_test_add_func ("/workers-faults/all-children-die-during-group-shutdown",
                   test_all_children_die_during_group_shutdown);

  return g_test_run ();
}
