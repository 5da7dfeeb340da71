/* test-cross-context.c: groups whose children run on other threads'
 * contexts. Every call across contexts goes through the target's
 * context: a child's signals come on its own thread, and the group learns
 * of its children on its own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#include "fluid-test-utils.h"

/* A thread that iterates a context of its own until told to quit. */
typedef struct
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
} Runner;

static gpointer
runner_thread (gpointer user_data)
{
  Runner *runner = user_data;

  g_main_context_push_thread_default (runner->context);
  g_main_loop_run (runner->loop);
  /* What is still queued (late deliveries) runs before the thread ends. */
  while (g_main_context_iteration (runner->context, FALSE))
    ;
  g_main_context_pop_thread_default (runner->context);
  return NULL;
}

static void
runner_start (Runner *runner)
{
  runner->context = g_main_context_new ();
  runner->loop = g_main_loop_new (runner->context, FALSE);
  runner->thread = g_thread_new ("runner", runner_thread, runner);
}

static void
runner_stop (Runner *runner)
{
  g_main_loop_quit (runner->loop);
  g_thread_join (runner->thread);
  g_main_loop_unref (runner->loop);
  g_main_context_unref (runner->context);
}

/* A child started on the runner's context, which records the thread of
 * every notify::state and ::stopped emission. */
typedef struct
{
  FluidWorker *worker;
  Runner      *runner;
  int          wrong_thread;   /* atomic: emissions off the runner */
  int          started;        /* atomic */
} Child;

static void
child_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  Child *child = user_data;

  if (g_thread_self () != child->runner->thread)
    g_atomic_int_inc (&child->wrong_thread);
}

static void
child_stopped_cb (FluidWorker *worker,
                  const char  *reason,
                  int          exit_code,
                  gpointer     user_data)
{
  child_notify_cb (G_OBJECT (worker), NULL, user_data);
}

/* The test hands objects to other threads through
 * g_main_context_invoke(), whose locks ThreadSanitizer does not see in an
 * uninstrumented GLib: an atomic store and load make the hand-over visible
 * to it. */
static gboolean
child_start_cb (gpointer user_data)
{
  Child *child = user_data;

  fluid_worker_startup_async (g_atomic_pointer_get (&child->worker), NULL, NULL, NULL);
  g_atomic_int_set (&child->started, TRUE);
  return G_SOURCE_REMOVE;
}

static void
child_start_on_runner (Child       *child,
                       Runner      *runner,
                       FluidWorker *worker)
{
  child->runner = runner;
  g_signal_connect (worker, "notify::state", G_CALLBACK (child_notify_cb), child);
  g_signal_connect (worker, "stopped", G_CALLBACK (child_stopped_cb), child);
  g_atomic_pointer_set (&child->worker, worker);
  g_main_context_invoke (runner->context, child_start_cb, child);
  while (!g_atomic_int_get (&child->started))
    g_thread_yield ();
}

/* Bug: every process of 300 start/shutdown rounds of a group with a child
 * on another thread's context ended in a crash, an abort or a hang, and
 * the child's notify::state came on the group's thread. */
static void
test_group_shutdown_child_on_other_context (void)
{
  guint rounds = g_test_slow () ? 300 : 60;

  for (guint round = 0; round < rounds; round++)
    {
      Runner runner;
      Child child = { 0 };
      g_autoptr(FluidWorkers) group = fluid_workers_new ();
      g_autoptr(FluidWorker) remote = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP,
                                                                            0.001, 5));
      g_autoptr(FluidWorker) local = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP,
                                                                           0.001, 5));

      runner_start (&runner);
      child_start_on_runner (&child, &runner, remote);
      fluid_workers_add_worker (group, remote);
      fluid_workers_add_worker (group, local);

      g_assert_true (fluid_test_startup (FLUID_WORKER (group), NULL));
      if (round % 2 == 1)
        fluid_test_settle (NULL);
      g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), NULL));
      g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (group)), ==, FLUID_EXIT_CODE_NORMAL);

      runner_stop (&runner);
      g_assert_true (fluid_worker_is_stopped (remote));
      g_assert_cmpint (g_atomic_int_get (&child.wrong_thread), ==, 0);
    }
}

/* A child on another context that stops by itself stops the group: the
 * group learns of it on its own context. */
static void
test_child_on_other_context_stops_group (void)
{
  Runner runner;
  Child child = { 0 };
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  g_autoptr(FluidWorker) remote = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP,
                                                                        0.001, 5));
  g_autoptr(FluidWorker) local = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP,
                                                                       3600, 5));
  g_autoptr(GError) error = NULL;

  runner_start (&runner);
  child_start_on_runner (&child, &runner, remote);
  fluid_workers_add_worker (group, local);
  fluid_workers_add_worker (group, remote);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), NULL));

  /* From the main thread: thread-safe, made on the runner. */
  fluid_worker_gracefully_stop (remote);
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (group), &error));
  g_assert_true (fluid_worker_is_stopped (local));
  g_assert_cmpstr (fluid_worker_get_stop_reason (FLUID_WORKER (group)), ==,
                   "child fluid_test_worker stopped: normal shutdown");

  runner_stop (&runner);
  g_assert_cmpint (g_atomic_int_get (&child.wrong_thread), ==, 0);
}

/* Groups on two threads share a child on a third: each is told. */
typedef struct
{
  Runner       runner;
  FluidWorkers *group;
  int           stopped;   /* atomic */
} GroupOnRunner;

static void
group_stopped_cb (FluidWorker *worker,
                  const char  *reason,
                  int          exit_code,
                  gpointer     user_data)
{
  GroupOnRunner *data = user_data;

  g_assert_true (g_thread_self () == data->runner.thread);
  g_atomic_int_set (&data->stopped, TRUE);
}

static gboolean
group_start_cb (gpointer user_data)
{
  GroupOnRunner *data = user_data;

  fluid_worker_startup_async (FLUID_WORKER (g_atomic_pointer_get (&data->group)), NULL, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
test_child_shared_by_groups_on_threads (void)
{
  Runner child_runner;
  Child child = { 0 };
  GroupOnRunner groups[2];
  g_autoptr(FluidWorker) shared = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP,
                                                                        0.001, 5));

  runner_start (&child_runner);
  child_start_on_runner (&child, &child_runner, shared);
  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      FluidWorkers *group = fluid_workers_new ();

      runner_start (&groups[i].runner);
      groups[i].stopped = FALSE;
      fluid_workers_add_worker (group, shared);
      g_signal_connect (group, "stopped", G_CALLBACK (group_stopped_cb), &groups[i]);
      g_atomic_pointer_set (&groups[i].group, group);
      g_main_context_invoke (groups[i].runner.context, group_start_cb, &groups[i]);
    }

  fluid_worker_gracefully_stop (shared);
  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    while (!g_atomic_int_get (&groups[i].stopped))
      g_thread_yield ();

  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      runner_stop (&groups[i].runner);
      g_object_unref (groups[i].group);
    }
  runner_stop (&child_runner);
  g_assert_cmpint (g_atomic_int_get (&child.wrong_thread), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cross-context/group-shutdown-child-on-other-context",
                   test_group_shutdown_child_on_other_context);
  g_test_add_func ("/cross-context/child-on-other-context-stops-group",
                   test_child_on_other_context_stops_group);
  g_test_add_func ("/cross-context/child-shared-by-groups-on-threads",
                   test_child_shared_by_groups_on_threads);

  return g_test_run ();
}
