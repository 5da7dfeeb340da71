/* test-lifecycle.c: the engine of a worker's lifecycle, and the class data
 * the library attaches to FluidWorker, linked with the library's objects
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-lifecycle-private.h"
#include "fluid-worker-private.h"
#include "fluid-worker-function.h"
#include "fluid-enums.h"

/* The table, as fluid-lifecycle.c's opening comment draws it. */
static void
test_lifecycle_table (void)
{
  const FluidWorkerState I = FLUID_WORKER_STATE_INIT, R = FLUID_WORKER_STATE_RUNNING,
                         S = FLUID_WORKER_STATE_STOPPING, D = FLUID_WORKER_STATE_STOPPED,
                         F = FLUID_WORKER_STATE_FORCE_STOPPED;
  /* [state][event]: START, STOP, SHUTDOWN, PHASE_DONE (run), FAIL, FORCE. */
  const FluidWorkerState expected[5][FLUID_LIFECYCLE_N_EVENTS] = {
    [FLUID_WORKER_STATE_INIT]          = { R, I, I, I, I, I },
    [FLUID_WORKER_STATE_RUNNING]       = { R, S, R, R, D, F },
    [FLUID_WORKER_STATE_STOPPING]      = { S, S, S, S, D, F },
    [FLUID_WORKER_STATE_STOPPED]       = { D, D, D, D, D, D },
    [FLUID_WORKER_STATE_FORCE_STOPPED] = { F, F, F, F, F, F },
  };

  for (guint state = 0; state < G_N_ELEMENTS (expected); state++)
    for (guint event = 0; event < FLUID_LIFECYCLE_N_EVENTS; event++)
      {
        g_test_message ("state %u, event %u", state, event);
        g_assert_cmpint (fluid_lifecycle_next_state (state, event, FLUID_LIFECYCLE_PHASE_RUN), ==,
                         expected[state][event]);
      }

  /* The completion of the last phase ends the worker normally. */
  g_assert_cmpint (fluid_lifecycle_next_state (R, FLUID_LIFECYCLE_PHASE_DONE,
                                               FLUID_LIFECYCLE_PHASE_ON_SHUTDOWN), ==, D);
  g_assert_cmpint (fluid_lifecycle_next_state (S, FLUID_LIFECYCLE_PHASE_DONE,
                                               FLUID_LIFECYCLE_PHASE_ON_SHUTDOWN), ==, D);
  g_assert_cmpint (fluid_lifecycle_next_state (D, FLUID_LIFECYCLE_PHASE_DONE,
                                               FLUID_LIFECYCLE_PHASE_ON_SHUTDOWN), ==, D);
}

/* Class data: set by a class, inherited by its subclasses; a direct run
 * stands only for the run_async it was set beside. */

typedef struct { FluidWorker parent_instance; } TestBase;
typedef struct { FluidWorkerClass parent_class; } TestBaseClass;
typedef struct { TestBase parent_instance; } TestPlain;
typedef struct { TestBaseClass parent_class; } TestPlainClass;
typedef struct { TestBase parent_instance; } TestOwnRun;
typedef struct { TestBaseClass parent_class; } TestOwnRunClass;

static GType test_base_get_type (void);
static GType test_plain_get_type (void);
static GType test_own_run_get_type (void);

G_DEFINE_TYPE (TestBase, test_base, FLUID_TYPE_WORKER)
G_DEFINE_TYPE (TestPlain, test_plain, test_base_get_type ())
G_DEFINE_TYPE (TestOwnRun, test_own_run, test_base_get_type ())

static guint direct_runs;
static guint stop_hooks;

static void
test_base_direct_run (FluidWorker *worker)
{
  direct_runs++;
  fluid_worker_run_done (worker, NULL);
}

static gboolean
test_base_is_idle (FluidWorker *worker)
{
  return TRUE;
}

static void
test_base_stop_hook (FluidWorker *worker)
{
  stop_hooks++;
}

static void
test_base_run_async (FluidWorker         *worker,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_assert_not_reached ();
}

static void
test_base_class_init (TestBaseClass *klass)
{
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  worker_class->run_async = test_base_run_async;
  fluid_worker_class_set_direct_run (worker_class, test_base_direct_run);
  fluid_worker_class_set_idle_func (worker_class, test_base_is_idle);
  fluid_worker_class_set_stop_hook (worker_class, test_base_stop_hook);
}

static void
test_base_init (TestBase *self)
{
}

static void
test_plain_class_init (TestPlainClass *klass)
{
}

static void
test_plain_init (TestPlain *self)
{
}

static void
test_own_run_async (FluidWorker         *worker,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, test_own_run_async);
  g_task_return_boolean (task, TRUE);
}

static gboolean
test_own_run_finish (FluidWorker   *worker,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_assert_true (g_async_result_is_tagged (result, test_own_run_async));
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_own_run_class_init (TestOwnRunClass *klass)
{
  FLUID_WORKER_CLASS (klass)->run_async = test_own_run_async;
  FLUID_WORKER_CLASS (klass)->run_finish = test_own_run_finish;
}

static void
test_own_run_init (TestOwnRun *self)
{
}

static void
run_to_end (FluidWorker *worker)
{
  fluid_worker_startup_async (worker, NULL, NULL, NULL);
  while (!fluid_worker_is_stopped (worker))
    g_main_context_iteration (NULL, TRUE);
}

static void
test_lifecycle_class_data (void)
{
  g_autoptr(FluidWorker) base = g_object_new (test_base_get_type (), NULL);
  g_autoptr(FluidWorker) plain = g_object_new (test_plain_get_type (), NULL);
  g_autoptr(FluidWorker) own_run = g_object_new (test_own_run_get_type (), NULL);

  g_assert_true (fluid_worker_get_direct_run (base) == test_base_direct_run);
  g_assert_true (fluid_worker_get_direct_run (plain) == test_base_direct_run);
  g_assert_null (fluid_worker_get_direct_run (own_run));
  g_assert_true (fluid_worker_is_idle (plain));
  g_assert_true (fluid_worker_is_idle (own_run));

  direct_runs = 0;
  run_to_end (plain);
  g_assert_cmpuint (direct_runs, ==, 1);
  run_to_end (own_run);
  g_assert_cmpuint (direct_runs, ==, 1);
  g_assert_cmpint (fluid_worker_get_exit_code (own_run), ==, FLUID_EXIT_CODE_NORMAL);

  /* The stop hook hears the request on the requesting thread, at once. */
  stop_hooks = 0;
  fluid_worker_gracefully_stop (plain);
  g_assert_cmpuint (stop_hooks, ==, 1);
}

/* Events raised while a change is told wait for it, in order: every
 * handler sees every state once, in the same order. */

typedef struct
{
  GString *seen;
  gboolean requested;
} Watch;

static void
request_end_cb (FluidWorker *worker,
                GParamSpec  *pspec,
                gpointer     user_data)
{
  Watch *watch = user_data;
  g_autoptr(GError) error = NULL;

  if (fluid_worker_get_state (worker) != FLUID_WORKER_STATE_RUNNING || watch->requested)
    return;
  watch->requested = TRUE;
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "asked from a handler");
  fluid_worker_gracefully_stop (worker);
  fluid_worker_fail (worker, error);
  /* Nothing moved yet: this handler's siblings have not seen RUNNING. */
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_RUNNING);
}

static void
record_state_cb (FluidWorker *worker,
                 GParamSpec  *pspec,
                 gpointer     user_data)
{
  GString *seen = user_data;
  g_autoptr(GEnumClass) states = g_type_class_ref (FLUID_TYPE_WORKER_STATE);

  g_string_append_printf (seen, "%s ",
                          g_enum_get_value (states, fluid_worker_get_state (worker))->value_nick);
}

static void
noop (FluidWorker *worker,
      gpointer     user_data)
{
}

static void
test_lifecycle_deferred_order (void)
{
  g_autoptr(FluidWorker) worker = fluid_worker_function_new (3600, noop, NULL, NULL);
  g_autoptr(GString) first = g_string_new (NULL);
  g_autoptr(GString) last = g_string_new (NULL);
  Watch watch = { NULL, FALSE };

  g_signal_connect (worker, "notify::state", G_CALLBACK (record_state_cb), first);
  g_signal_connect (worker, "notify::state", G_CALLBACK (request_end_cb), &watch);
  g_signal_connect (worker, "notify::state", G_CALLBACK (record_state_cb), last);
  run_to_end (worker);

  g_assert_cmpstr (first->str, ==, "running stopping stopped ");
  g_assert_cmpstr (last->str, ==, "running stopping stopped ");
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpstr (fluid_worker_get_stop_reason (worker), ==, "asked from a handler");
}

/* A request made from a nested main loop run by a handler is applied at
 * once: the handler waits for it. */
static gboolean
stop_from_nested_loop (gpointer user_data)
{
  fluid_worker_gracefully_stop (user_data);
  return G_SOURCE_REMOVE;
}

static void
wait_in_nested_loop_cb (FluidWorker *worker,
                        gpointer     user_data)
{
  g_idle_add (stop_from_nested_loop, worker);
  while (fluid_worker_get_state (worker) != FLUID_WORKER_STATE_STOPPING)
    g_main_context_iteration (NULL, TRUE);
  *(gboolean *) user_data = TRUE;
}

static void
test_lifecycle_nested_loop (void)
{
  g_autoptr(FluidWorker) worker = fluid_worker_function_new (3600, noop, NULL, NULL);
  gboolean waited = FALSE;

  g_signal_connect (worker, "started", G_CALLBACK (wait_in_nested_loop_cb), &waited);
  run_to_end (worker);
  g_assert_true (waited);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Workers fail here on purpose, and a failure is logged as a warning:
   * criticals alone abort. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_test_add_func ("/lifecycle/table", test_lifecycle_table);
  g_test_add_func ("/lifecycle/class-data", test_lifecycle_class_data);
  g_test_add_func ("/lifecycle/deferred-order", test_lifecycle_deferred_order);
  g_test_add_func ("/lifecycle/nested-loop", test_lifecycle_nested_loop);

  return g_test_run ();
}
