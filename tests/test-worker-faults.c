/* test-worker-faults.c: workers whose hooks fail or hang, stops from odd
 * places, races, and references dropped in every state
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

typedef enum
{
  HOOK_OK,
  HOOK_FAIL,
  HOOK_NEVER,
} HookBehaviour;

#define FAULT_TYPE_WORKER (fault_worker_get_type ())
G_DECLARE_FINAL_TYPE (FaultWorker, fault_worker, FAULT, WORKER, FluidWorker)

/* A worker whose on_startup and on_shutdown succeed, fail or never
 * complete, and whose run sleeps in a loop, optionally shutting itself down
 * from inside run on its first iteration. */
struct _FaultWorker
{
  FluidWorker    parent_instance;

  HookBehaviour  on_startup;
  HookBehaviour  on_shutdown;
  gboolean       shutdown_from_run;
  guint          run_calls;
  GTask         *hanging;
  GAsyncResult  *self_shutdown;
};

G_DEFINE_FINAL_TYPE (FaultWorker, fault_worker, FLUID_TYPE_WORKER)

static void
fault_worker_hook (FaultWorker         *self,
                   HookBehaviour        behaviour,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  switch (behaviour)
    {
    case HOOK_OK:
      g_task_return_boolean (task, TRUE);
      break;
    case HOOK_FAIL:
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "hook failed");
      break;
    case HOOK_NEVER:
      g_assert_null (self->hanging);
      self->hanging = g_steal_pointer (&task);
      break;
    default:
      g_assert_not_reached ();
    }
  g_clear_object (&task);
}

static void
fault_worker_on_startup_async (FluidWorker         *worker,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  FaultWorker *self = FAULT_WORKER (worker);

  fault_worker_hook (self, self->on_startup, callback, user_data);
}

static void
fault_worker_on_shutdown_async (FluidWorker         *worker,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  FaultWorker *self = FAULT_WORKER (worker);

  fault_worker_hook (self, self->on_shutdown, callback, user_data);
}

static gboolean
fault_worker_boolean_finish (FluidWorker   *worker,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void fault_worker_loop (GTask *task);

static void
fault_worker_slept_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!fluid_worker_sleep_finish (FLUID_WORKER (source), result, &error) && error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  fault_worker_loop (task);
}

static void
fault_worker_loop (GTask *task)
{
  FaultWorker *self = g_task_get_source_object (task);

  if (!fluid_worker_is_running (FLUID_WORKER (self)))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  if (self->shutdown_from_run)
    {
      self->shutdown_from_run = FALSE;
      fluid_worker_shutdown_async (FLUID_WORKER (self), NULL, fluid_test_store_result_cb,
                                   &self->self_shutdown);
    }
  fluid_worker_sleep_async (FLUID_WORKER (self), 3600, g_task_get_cancellable (task),
                            fault_worker_slept_cb, task);
}

static void
fault_worker_run_async (FluidWorker         *worker,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  FAULT_WORKER (worker)->run_calls++;
  fault_worker_loop (task);
}

static void
fault_worker_finalize (GObject *object)
{
  FaultWorker *self = FAULT_WORKER (object);

  g_assert_null (self->hanging);
  g_clear_object (&self->self_shutdown);

  G_OBJECT_CLASS (fault_worker_parent_class)->finalize (object);
}

static void
fault_worker_class_init (FaultWorkerClass *klass)
{
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = fault_worker_finalize;
  worker_class->on_startup_async = fault_worker_on_startup_async;
  worker_class->on_startup_finish = fault_worker_boolean_finish;
  worker_class->on_shutdown_async = fault_worker_on_shutdown_async;
  worker_class->on_shutdown_finish = fault_worker_boolean_finish;
  worker_class->run_async = fault_worker_run_async;
  worker_class->run_finish = fault_worker_boolean_finish;
}

static void
fault_worker_init (FaultWorker *self)
{
}

static FaultWorker *
fault_worker_new (HookBehaviour on_startup,
                  HookBehaviour on_shutdown)
{
  /* A short grace period where a hook hangs and the worker must be forced,
   * to keep the test quick; elsewhere a long one, so that a slow run (under
   * valgrind, on a loaded machine) is not forced where the test expects a
   * graceful end. */
  gboolean hangs = on_startup == HOOK_NEVER || on_shutdown == HOOK_NEVER;
  FaultWorker *self = g_object_new (FAULT_TYPE_WORKER,
                                    "stopping-grace-period", hangs ? 0.02 : 10.0,
                                    NULL);

  self->on_startup = on_startup;
  self->on_shutdown = on_shutdown;
  return self;
}

/* Completes the hook left hanging, after the forced stop: dropped. */
static void
fault_worker_release_hanging (FaultWorker *self,
                              const char  *phase)
{
  g_autofree char *log = g_strdup_printf ("fault_worker %s completed after the worker stopped*",
                                          phase);
  GTask *task = g_steal_pointer (&self->hanging);

  g_assert_nonnull (task);
  fluid_test_log_capture_reset ();
  g_task_set_check_cancellable (task, FALSE);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  fluid_test_wait_until (fluid_test_log_captured (G_LOG_LEVEL_INFO, "fault_worker", log));
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(guint *) user_data)++;
}

/* on_startup fails: run is never called, the worker goes RUNNING then
 * STOPPED (each notified once) and waiting gives the error. */
static void
test_on_startup_fails (void)
{
  g_autoptr(FaultWorker) worker = fault_worker_new (HOOK_FAIL, HOOK_OK);
  g_autoptr(GError) error = NULL;
  guint notified = 0;

  g_signal_connect (worker, "notify::state", G_CALLBACK (count_notify_cb), &notified);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (worker), &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (worker)), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (worker->run_calls, ==, 0);
}

static void
test_on_shutdown_fails (void)
{
  g_autoptr(FaultWorker) worker = fault_worker_new (HOOK_OK, HOOK_FAIL);
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  g_assert_false (fluid_test_shutdown (FLUID_WORKER (worker), &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (worker)), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpuint (worker->run_calls, ==, 1);
}

static void
check_hook_never_completes (HookBehaviour  on_startup,
                            HookBehaviour  on_shutdown,
                            const char    *phase)
{
  g_autoptr(FaultWorker) worker = fault_worker_new (on_startup, on_shutdown);
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (worker)), ==,
                   FLUID_WORKER_STATE_FORCE_STOPPED);

  fault_worker_release_hanging (worker, phase);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (worker)), ==,
                   FLUID_WORKER_STATE_FORCE_STOPPED);
}

static void
test_on_startup_never_completes (void)
{
  check_hook_never_completes (HOOK_NEVER, HOOK_OK, "on_startup");
}

static void
test_on_shutdown_never_completes (void)
{
  check_hook_never_completes (HOOK_OK, HOOK_NEVER, "on_shutdown");
}

/* run asks for its own shutdown, and keeps going until it is STOPPING. */
static void
test_shutdown_from_run (void)
{
  g_autoptr(FaultWorker) worker = fault_worker_new (HOOK_OK, HOOK_OK);
  g_autoptr(GError) error = NULL;

  worker->shutdown_from_run = TRUE;
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  fluid_test_wait_until (worker->self_shutdown != NULL);
  g_assert_true (fluid_worker_shutdown_finish (FLUID_WORKER (worker), worker->self_shutdown,
                                               &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (worker)), ==, FLUID_WORKER_STATE_STOPPED);
  /* The result refers to the worker: break the cycle. */
  g_clear_object (&worker->self_shutdown);
}

typedef struct
{
  FluidWorker  *worker;
  GMainContext *context;
  gint          started;
  gint          done;
} RaceData;

static void
race_stopped_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  RaceData *race = user_data;

  g_assert_true (fluid_worker_wait_for_shutdown_finish (FLUID_WORKER (source), result, NULL));
  g_atomic_int_set (&race->done, TRUE);
}

static gpointer
race_run_worker (gpointer user_data)
{
  RaceData *race = user_data;

  g_main_context_push_thread_default (race->context);
  fluid_worker_startup_async (race->worker, NULL, NULL, NULL);
  g_atomic_int_set (&race->started, TRUE);
  fluid_worker_wait_for_shutdown_async (race->worker, NULL, race_stopped_cb, race);
  while (!g_atomic_int_get (&race->done))
    g_main_context_iteration (race->context, TRUE);
  /* Let the startup's own callback run before the context goes. */
  while (g_main_context_pending (race->context))
    g_main_context_iteration (race->context, FALSE);
  g_main_context_pop_thread_default (race->context);
  return NULL;
}

/* Startup on one thread's context while another thread keeps asking for a
 * stop: requests before startup are ignored, one after stops the worker,
 * and nothing is touched from the wrong thread. */
static void
test_startup_races_stop (void)
{
  for (guint round = 0; round < 50; round++)
    {
      RaceData race = { 0 };
      GThread *thread;

      race.worker = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
      race.context = g_main_context_new ();
      thread = g_thread_new ("race", race_run_worker, &race);
      while (!g_atomic_int_get (&race.done))
        {
          fluid_worker_gracefully_stop (race.worker);
          g_thread_yield ();
        }
      g_thread_join (thread);
      g_assert_true (g_atomic_int_get (&race.started));
      g_assert_cmpint (fluid_worker_get_state (race.worker), ==, FLUID_WORKER_STATE_STOPPED);
      g_object_unref (race.worker);
      g_main_context_unref (race.context);
    }
}

/* Dropping the caller's last reference in each state: the worker lives as
 * long as its lifecycle needs it, and not a moment longer. */
static void
test_drop_reference_in_every_state (void)
{
  FluidWorkerState states[] = {
    FLUID_WORKER_STATE_INIT,
    FLUID_WORKER_STATE_RUNNING,
    FLUID_WORKER_STATE_STOPPING,
    FLUID_WORKER_STATE_STOPPED,
    FLUID_WORKER_STATE_FORCE_STOPPED,
  };

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      FluidTestRun run = states[i] == FLUID_WORKER_STATE_STOPPING ||
                         states[i] == FLUID_WORKER_STATE_FORCE_STOPPED
                         ? FLUID_TEST_RUN_IGNORE_CANCEL : FLUID_TEST_RUN_SLEEP_LOOP;
      /* Only the forced stop may take the grace period: under valgrind a
       * graceful stop can take longer than 10 ms. */
      double grace = states[i] == FLUID_WORKER_STATE_FORCE_STOPPED ? 0.01 : 60;
      FluidTestWorker *worker = fluid_test_worker_new (run, 3600, grace);
      FluidWorker *w = FLUID_WORKER (worker);
      gpointer weak = worker;

      g_object_add_weak_pointer (G_OBJECT (worker), &weak);
      if (states[i] != FLUID_WORKER_STATE_INIT)
        g_assert_true (fluid_test_startup (w, NULL));
      if (states[i] == FLUID_WORKER_STATE_STOPPING)
        fluid_worker_gracefully_stop (w);
      if (states[i] == FLUID_WORKER_STATE_STOPPED)
        g_assert_true (fluid_test_shutdown (w, NULL));
      if (states[i] == FLUID_WORKER_STATE_FORCE_STOPPED)
        {
          g_assert_true (fluid_test_shutdown (w, NULL));
          g_test_assert_expected_messages ();
        }
      g_assert_cmpint (fluid_worker_get_state (w), ==, states[i]);

      g_object_unref (worker);
      switch (states[i])
        {
        case FLUID_WORKER_STATE_INIT:
        case FLUID_WORKER_STATE_STOPPED:
          g_assert_null (weak);
          break;
        case FLUID_WORKER_STATE_RUNNING:
          g_assert_nonnull (weak);
          fluid_worker_gracefully_stop (w);
          fluid_test_wait_until (weak == NULL);
          break;
        case FLUID_WORKER_STATE_STOPPING:
          g_assert_nonnull (weak);
          fluid_test_worker_complete_run (FLUID_TEST_WORKER (w));
          fluid_test_wait_until (weak == NULL);
          break;
        case FLUID_WORKER_STATE_FORCE_STOPPED:
          /* The run that ignored its cancellable still holds the worker. */
          g_assert_nonnull (weak);
          fluid_test_worker_complete_run (FLUID_TEST_WORKER (w));
          fluid_test_wait_until (weak == NULL);
          g_test_assert_expected_messages ();
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
  g_test_init (&argc, &argv, NULL);
  fluid_test_log_capture_init ();

  g_test_add_func ("/worker-faults/on-startup-fails", test_on_startup_fails);
  g_test_add_func ("/worker-faults/on-shutdown-fails", test_on_shutdown_fails);
  g_test_add_func ("/worker-faults/on-startup-never-completes", test_on_startup_never_completes);
  g_test_add_func ("/worker-faults/on-shutdown-never-completes", test_on_shutdown_never_completes);
  g_test_add_func ("/worker-faults/shutdown-from-run", test_shutdown_from_run);
  g_test_add_func ("/worker-faults/startup-races-stop", test_startup_races_stop);
  g_test_add_func ("/worker-faults/drop-reference-in-every-state",
                   test_drop_reference_in_every_state);

  return g_test_run ();
}
