/* simple-worker.c: the SimpleWorker of the aio-fluid tutorial
 *
 * A worker that prints its name and state every second until it is told to
 * stop gracefully, five seconds after it started (or FLUID_DEMO_SECONDS,
 * which the tests set to keep them short).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#define SIMPLE_TYPE_WORKER (simple_worker_get_type ())
G_DECLARE_FINAL_TYPE (SimpleWorker, simple_worker, SIMPLE, WORKER, FluidWorker)

struct _SimpleWorker
{
  FluidWorker parent_instance;
};

G_DEFINE_FINAL_TYPE (SimpleWorker, simple_worker, FLUID_TYPE_WORKER)

static void
simple_worker_print_message (SimpleWorker *self)
{
  FluidWorker *worker = FLUID_WORKER (self);
  g_autoptr(GEnumClass) states = g_type_class_ref (FLUID_TYPE_WORKER_STATE);
  GEnumValue *state = g_enum_get_value (states, fluid_worker_get_state (worker));

  g_print ("Hello from %s in state %s\n", fluid_worker_get_name (worker), state->value_nick);
}

static void simple_worker_loop (GTask *task);

static void
simple_worker_slept_cb (GObject      *source,
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
  simple_worker_loop (task);
}

/* while self.is_running(): print; sleep(1). Takes @task. */
static void
simple_worker_loop (GTask *task)
{
  SimpleWorker *self = g_task_get_source_object (task);

  if (!fluid_worker_is_running (FLUID_WORKER (self)))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  simple_worker_print_message (self);
  fluid_worker_sleep_async (FLUID_WORKER (self), 1.0, g_task_get_cancellable (task),
                            simple_worker_slept_cb, task);
}

static void
simple_worker_run_async (FluidWorker         *worker,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, simple_worker_run_async);
  simple_worker_loop (task);
}

static gboolean
simple_worker_run_finish (FluidWorker   *worker,
                          GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
simple_worker_class_init (SimpleWorkerClass *klass)
{
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  worker_class->run_async = simple_worker_run_async;
  worker_class->run_finish = simple_worker_run_finish;
}

static void
simple_worker_init (SimpleWorker *self)
{
}

/* main */

static gboolean
stop_worker_cb (gpointer user_data)
{
  fluid_worker_gracefully_stop (FLUID_WORKER (user_data));
  return G_SOURCE_REMOVE;
}

static void
worker_stopped_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GMainLoop *loop = user_data;
  g_autoptr(GError) error = NULL;

  if (!fluid_worker_wait_for_shutdown_finish (FLUID_WORKER (source), result, &error))
    g_printerr ("The worker failed: %s\n", error->message);
  simple_worker_print_message (SIMPLE_WORKER (source));
  g_main_loop_quit (loop);
}

static void
worker_started_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  FluidWorker *worker = FLUID_WORKER (source);
  const char *demo_seconds = g_getenv ("FLUID_DEMO_SECONDS");
  double seconds = demo_seconds != NULL ? g_ascii_strtod (demo_seconds, NULL) : 5.0;
  g_autoptr(GError) error = NULL;

  if (!fluid_worker_startup_finish (worker, result, &error))
    g_error ("Could not start the worker: %s", error->message);

  g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) (seconds * 1000), stop_worker_cb,
                      g_object_ref (worker), g_object_unref);
  fluid_worker_wait_for_shutdown_async (worker, NULL, worker_stopped_cb, user_data);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SimpleWorker) worker = g_object_new (SIMPLE_TYPE_WORKER, NULL);

  simple_worker_print_message (worker);
  fluid_worker_startup_async (FLUID_WORKER (worker), NULL, worker_started_cb, loop);
  g_main_loop_run (loop);

  return fluid_worker_get_state (FLUID_WORKER (worker)) == FLUID_WORKER_STATE_STOPPED ? 0 : 1;
}
