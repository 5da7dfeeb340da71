/* fluid-worker-function.c: a worker that calls a function in a loop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-worker-function.h"
#include "fluid-worker-private.h"
#include "fluid-worker-thread-private.h"

#include <math.h>

/**
 * SECTION:fluid-worker-function
 * @short_description: A worker that calls a function in a loop
 * @title: FluidWorkerFunction
 *
 * A #FluidWorkerFunction calls its #FluidWorkerFunc while it runs, and sleeps
 * #FluidWorkerFunction:heartbeat seconds between two calls with
 * fluid_worker_sleep_async(), so that a stop request ends the sleep at once.
 *
 * |[<!-- language="C" -->
 * static void
 * tick (FluidWorker *worker,
 *       gpointer     user_data)
 * {
 *   g_print ("tick from %s\n", fluid_worker_get_name (worker));
 * }
 *
 * g_autoptr(FluidWorker) worker = fluid_worker_function_new (1.0, tick, NULL, NULL);
 * fluid_worker_startup_async (worker, NULL, NULL, NULL);
 * ]|
 *
 * A function that blocks (a synchronous download, a checksum, a database
 * query, reading a device below) is given to
 * fluid_worker_function_new_threaded(): the worker then
 * calls it on a thread of its own, made when it starts and ended by its
 * stop, while its lifecycle, its signals and the callbacks of its
 * asynchronous methods stay on its main context.
 *
 * |[<!-- language="C" -->
 * static gboolean
 * poll_device (FluidWorker   *worker,
 *              GCancellable  *cancellable,
 *              gpointer       user_data,
 *              GError       **error)
 * {
 *   Device *device = user_data;
 *
 *   return device_read_sample (device, cancellable, error);
 * }
 *
 * g_autoptr(FluidWorker) worker = fluid_worker_function_new_threaded (0.5, poll_device,
 *                                                                     device, NULL);
 * fluid_worker_startup_async (worker, NULL, NULL, NULL);
 * ]|
 */

struct _FluidWorkerFunction
{
  FluidWorker      parent_instance;

  /* Set at construction, then constant: read by the thread of a threaded
   * worker too. */
  double           heartbeat;
  /* At most one of the three is set. */
  FluidWorkerFunc       func;
  FluidWorkerAsyncFunc  async_func;
  FluidThreadWorkerFunc thread_func;
  gpointer         user_data;
  GDestroyNotify   destroy;

  /* The rest belongs to the worker's context. */

  /* The task of a run through run_async(); NULL in a run through
   * fluid_worker_function_run_direct(), which is how FluidWorker runs it. */
  GTask           *run_task;

  /* A threaded worker's, while it runs: the thread of the body (see
   * fluid-worker-thread.c), and the observer that stops it when the worker
   * leaves RUNNING. Both are dropped when the run completes, that is when
   * the thread's loop has ended: never before, so that a graceful stop
   * waits for the body, and the late end of a body that outlived a forced
   * stop is dropped by FluidWorker. */
  FluidWorkerThread *thread;
  FluidObserver     *observer;
};

enum
{
  PROP_0,
  PROP_HEARTBEAT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * FluidWorkerFunction:
 *
 * A worker that calls a #FluidWorkerFunc in a loop; its fields are private.
 *
 * Since: 1.0
 */
G_DEFINE_FINAL_TYPE (FluidWorkerFunction, fluid_worker_function, FLUID_TYPE_WORKER)

static void fluid_worker_function_iterate (FluidWorkerFunction *self);

/* Ends the run. @error is taken. */
static void
fluid_worker_function_run_return (FluidWorkerFunction *self,
                                  GError              *error)
{
  GTask *task = g_steal_pointer (&self->run_task);

  if (task == NULL)
    {
      fluid_worker_run_done (FLUID_WORKER (self), error);
      return;
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* The worker sleeps with the task-free fluid_worker_sleep_full(): a sleep
 * per heartbeat of thousands of workers is the common case, and a GTask
 * for each would double its cost. A run in progress keeps the worker
 * alive: FluidWorker holds it until the run ended, and a run_async() task
 * holds it too. */
static void
fluid_worker_function_slept_cb (FluidWorker  *worker,
                                gboolean      elapsed,
                                const GError *error)
{
  FluidWorkerFunction *self = FLUID_WORKER_FUNCTION (worker);

  if (error != NULL)
    fluid_worker_function_run_return (self, g_error_copy (error));
  else
    fluid_worker_function_iterate (self);
}

static void
fluid_worker_function_sleep_or_return (FluidWorkerFunction *self)
{
  FluidWorker *worker = FLUID_WORKER (self);

  if (!fluid_worker_is_running (worker))
    {
      fluid_worker_function_run_return (self, NULL);
      return;
    }

  fluid_worker_sleep_full (worker, self->heartbeat, fluid_worker_function_slept_cb);
}

static void
fluid_worker_function_async_func_cb (GObject      *source,
                                     GAsyncResult *result,
                                     gpointer      user_data)
{
  FluidWorkerFunction *self = FLUID_WORKER_FUNCTION (source);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (error == NULL)
        error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                             "the function of %s failed without an error",
                             fluid_worker_get_name (FLUID_WORKER (self)));
      fluid_worker_function_run_return (self, error);
      return;
    }

  fluid_worker_function_sleep_or_return (self);
}

/* Calls the asynchronous function; the loop goes on when its task completes. */
static void
fluid_worker_function_call_async_func (FluidWorkerFunction *self)
{
  FluidWorker *worker = FLUID_WORKER (self);
  g_autoptr(GTask) task = g_task_new (worker, fluid_worker_get_cancellable (worker),
                                      fluid_worker_function_async_func_cb, NULL);

  g_task_set_source_tag (task, fluid_worker_function_call_async_func);
  g_task_set_name (task, "[fluid] worker function call");
  self->async_func (worker, task, self->user_data);
}

/* One iteration: call the function, then sleep. */
static void
fluid_worker_function_iterate (FluidWorkerFunction *self)
{
  FluidWorker *worker = FLUID_WORKER (self);

  if (fluid_worker_is_running (worker))
    {
      if (self->async_func != NULL)
        {
          fluid_worker_function_call_async_func (self);
          return;
        }
      if (self->func != NULL)
        self->func (worker, self->user_data);
    }

  fluid_worker_function_sleep_or_return (self);
}

/* A threaded worker: the thread's loop has ended (or never started).
 * @error is taken. */
static void
fluid_worker_function_thread_done (FluidWorker *worker,
                                   GError      *error)
{
  FluidWorkerFunction *self = FLUID_WORKER_FUNCTION (worker);

  if (self->observer != NULL)
    {
      fluid_worker_unobserve (worker, self->observer);
      self->observer = NULL;
    }
  g_clear_pointer (&self->thread, fluid_worker_thread_release);
  fluid_worker_function_run_return (self, error);
}

/* The state of a threaded worker left RUNNING: its thread ends its loop. */
static void
fluid_worker_function_state_cb (FluidWorker      *worker,
                                FluidWorkerState  state,
                                gpointer          user_data)
{
  FluidWorkerFunction *self = FLUID_WORKER_FUNCTION (worker);

  if (self->thread != NULL)
    fluid_worker_thread_stop (self->thread);
}

/* A threaded worker's run: the thread calls the function, and the run
 * completes, on the worker's context, once its loop ended. */
static void
fluid_worker_function_start_thread (FluidWorkerFunction *self)
{
  FluidWorker *worker = FLUID_WORKER (self);
  FluidWorkerState state;
  GError *error = NULL;

  g_assert (self->thread == NULL && self->observer == NULL);

  self->observer = fluid_worker_observe (worker, NULL,
                                         FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_STOPPING) |
                                         FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_STOPPED) |
                                         FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_FORCE_STOPPED),
                                         fluid_worker_function_state_cb, NULL, &state);
  /* Stopped before run began: no thread to make. */
  if (state != FLUID_WORKER_STATE_RUNNING)
    {
      fluid_worker_function_thread_done (worker, NULL);
      return;
    }

  self->thread = fluid_worker_thread_start (worker, self->heartbeat, self->thread_func,
                                            self->user_data, fluid_worker_function_thread_done,
                                            &error);
  if (self->thread == NULL)
    {
      g_prefix_error (&error, "%s could not start its thread: ", fluid_worker_get_name (worker));
      fluid_worker_function_thread_done (worker, error);
    }
}

/* The start of a run. */
static void
fluid_worker_function_begin (FluidWorkerFunction *self)
{
  if (self->thread_func != NULL)
    fluid_worker_function_start_thread (self);
  else
    fluid_worker_function_iterate (self);
}

/* Runs without a GTask and without the worker's cancellable; the end is
 * reported with fluid_worker_run_done(). FluidWorker calls it, for this
 * final type only (see fluid_worker_class_set_direct_run()). */
static void
fluid_worker_function_run_direct (FluidWorker *worker)
{
  FluidWorkerFunction *self = FLUID_WORKER_FUNCTION (worker);

  g_assert (self->run_task == NULL);

  fluid_worker_function_begin (self);
}

static void
fluid_worker_function_run_async (FluidWorker         *worker,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  FluidWorkerFunction *self = FLUID_WORKER_FUNCTION (worker);
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_worker_function_run_async);
  g_task_set_name (task, "[fluid] worker function run");
  if (self->run_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "%s is running already", fluid_worker_get_name (worker));
      g_object_unref (task);
      return;
    }

  self->run_task = task;
  fluid_worker_function_begin (self);
}

static gboolean
fluid_worker_function_run_finish (FluidWorker   *worker,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, fluid_worker_function_run_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fluid_worker_function_finalize (GObject *object)
{
  FluidWorkerFunction *self = FLUID_WORKER_FUNCTION (object);

  /* A run in progress holds the worker, and the thread of a threaded one
   * holds it until its loop ended: neither is left here. */
  g_assert (self->thread == NULL && self->observer == NULL);

  if (self->destroy != NULL)
    self->destroy (self->user_data);

  G_OBJECT_CLASS (fluid_worker_function_parent_class)->finalize (object);
}

static void
fluid_worker_function_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  FluidWorkerFunction *self = FLUID_WORKER_FUNCTION (object);

  switch (prop_id)
    {
    case PROP_HEARTBEAT:
      g_value_set_double (value, self->heartbeat);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_worker_function_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  FluidWorkerFunction *self = FLUID_WORKER_FUNCTION (object);

  switch (prop_id)
    {
    case PROP_HEARTBEAT:
      /* GParamSpecDouble refuses NaN and negatives. */
      self->heartbeat = g_value_get_double (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_worker_function_class_init (FluidWorkerFunctionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  object_class->finalize = fluid_worker_function_finalize;
  object_class->get_property = fluid_worker_function_get_property;
  object_class->set_property = fluid_worker_function_set_property;

  worker_class->run_async = fluid_worker_function_run_async;
  fluid_worker_class_set_direct_run (worker_class, fluid_worker_function_run_direct);
  /* The body of a threaded worker that asks for a stop calls itself no
   * more from that moment. */
  fluid_worker_class_set_stop_hook (worker_class, fluid_worker_thread_stop_own);
  worker_class->run_finish = fluid_worker_function_run_finish;

  /**
   * FluidWorkerFunction:heartbeat:
   *
   * The number of seconds to sleep between two calls of the function.
   *
   * Since: 1.0
   */
  properties[PROP_HEARTBEAT] =
    g_param_spec_double ("heartbeat", "Heartbeat", "Seconds between two calls",
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fluid_worker_function_init (FluidWorkerFunction *self)
{
}

static FluidWorkerFunction *
fluid_worker_function_create (const char     *name,
                              double          heartbeat,
                              gpointer        user_data,
                              GDestroyNotify  destroy)
{
  FluidWorkerFunction *self = g_object_new (FLUID_TYPE_WORKER_FUNCTION,
                                            "name", name,
                                            "heartbeat", heartbeat,
                                            NULL);

  self->user_data = user_data;
  self->destroy = destroy;
  return self;
}

/**
 * fluid_worker_function_new:
 * @heartbeat: seconds to sleep between two calls of @func (not negative)
 * @func: (scope notified) (closure user_data) (destroy destroy): the function
 *   to call in a loop
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * Creates a worker that calls @func while it runs, sleeping @heartbeat
 * seconds between two calls.
 *
 * Returns: (transfer full): a new #FluidWorkerFunction
 *
 * Since: 1.0
 */
FluidWorker *
fluid_worker_function_new (double           heartbeat,
                           FluidWorkerFunc  func,
                           gpointer         user_data,
                           GDestroyNotify   destroy)
{
  g_return_val_if_fail (!isnan (heartbeat) && heartbeat >= 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  return fluid_worker_function_new_named (NULL, heartbeat, func, user_data, destroy);
}

/**
 * fluid_worker_function_new_named:
 * @name: (nullable): the #FluidWorker:name of the worker; %NULL or empty
 *   for the default one
 * @heartbeat: seconds to sleep between two calls of @func (not negative)
 * @func: (scope notified) (closure user_data) (destroy destroy): the function
 *   to call in a loop
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * As fluid_worker_function_new(), with a name, as aio-fluid's
 * `WorkerFunction(fn, heartbeat, name=...)`: the name is what logs, stop
 * reasons and the status of a #FluidWorkers group show.
 *
 * Returns: (transfer full): a new #FluidWorkerFunction
 *
 * Since: 1.0
 */
FluidWorker *
fluid_worker_function_new_named (const char      *name,
                                 double           heartbeat,
                                 FluidWorkerFunc  func,
                                 gpointer         user_data,
                                 GDestroyNotify   destroy)
{
  FluidWorkerFunction *self;

  g_return_val_if_fail (!isnan (heartbeat) && heartbeat >= 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = fluid_worker_function_create (name, heartbeat, user_data, destroy);
  self->func = func;
  return FLUID_WORKER (self);
}

/**
 * fluid_worker_function_new_async:
 * @name: (nullable): the #FluidWorker:name of the worker; %NULL or empty
 *   for the default one
 * @heartbeat: seconds to sleep between the end of a call of @func and the
 *   next call (not negative)
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   asynchronous function to call in a loop
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * Creates a worker that calls @func while it runs, as
 * fluid_worker_function_new_named() does, but waits for the task given to
 * each call to complete before it sleeps @heartbeat seconds and calls again.
 * A task that completes with an error fails the worker with that error:
 * this is how a binding's coroutine or promise, or one that raised, ends
 * its worker (aio-fluid's `WorkerFunction` with an `async def` function).
 *
 * Returns: (transfer full): a new #FluidWorkerFunction
 *
 * Since: 1.2
 */
FluidWorker *
fluid_worker_function_new_async (const char           *name,
                                 double                heartbeat,
                                 FluidWorkerAsyncFunc  func,
                                 gpointer              user_data,
                                 GDestroyNotify        destroy)
{
  FluidWorkerFunction *self;

  g_return_val_if_fail (!isnan (heartbeat) && heartbeat >= 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = fluid_worker_function_create (name, heartbeat, user_data, destroy);
  self->async_func = func;
  return FLUID_WORKER (self);
}

/**
 * fluid_worker_function_new_threaded:
 * @heartbeat: seconds to sleep between the end of a call of @func and the
 *   next call (not negative)
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   function to call in a loop, on the worker's own thread
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * Creates a worker that calls @func in a loop on a thread of its own while
 * it runs, sleeping @heartbeat seconds between two calls: for work that
 * blocks, which must stay off a main context that a window or other
 * workers need.
 *
 * The thread is made when the worker starts (its `run` begins) and is
 * named after the worker, cut to the 15 bytes Linux keeps, so that a
 * debugger or `top -H` shows whose it is; its loop ends when the worker
 * leaves %FLUID_WORKER_STATE_RUNNING. Everything else stays on the worker's
 * main context: its state changes, its signals, the callbacks of its
 * asynchronous methods and the destroy notify of @user_data.
 *
 * - A graceful stop ends the sleep between two calls at once, and lets a
 *   call in progress return: the worker stops (exit code
 *   %FLUID_EXIT_CODE_NORMAL) once it has. A call that stops its own worker
 *   with fluid_worker_gracefully_stop() or fluid_worker_fail() is the last.
 * - A call that returns %FALSE fails the worker with its error (exit code
 *   %FLUID_EXIT_CODE_ERROR); without an error, with a
 *   %FLUID_WORKER_ERROR_FAILED error that names the worker.
 * - A forced stop (the end of the #FluidWorker:stopping-grace-period of a
 *   shutdown) cancels the cancellable given to @func. The worker is
 *   %FLUID_WORKER_STATE_FORCE_STOPPED at the end of the grace period even
 *   if @func ignores it; such a call keeps the thread until it returns,
 *   and what it returns is then logged and dropped. Nothing on the
 *   worker's context waits for that thread, ever.
 *
 * Until its loop has ended, the thread holds a reference on the worker,
 * and so on @user_data; it hands that reference to the worker's main
 * context rather than dropping it itself. A worker whose function is stuck
 * is therefore finalized only once the function returned, and @destroy is
 * never called under a running @func nor on the worker's thread.
 *
 * Each call that returns %TRUE feeds the #FluidWorker:watchdog.
 *
 * Returns: (transfer full): a new #FluidWorkerFunction
 *
 * Since: 1.2
 */
FluidWorker *
fluid_worker_function_new_threaded (double                 heartbeat,
                                    FluidThreadWorkerFunc  func,
                                    gpointer               user_data,
                                    GDestroyNotify         destroy)
{
  g_return_val_if_fail (!isnan (heartbeat) && heartbeat >= 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  return fluid_worker_function_new_threaded_named (NULL, heartbeat, func, user_data, destroy);
}

/**
 * fluid_worker_function_new_threaded_named:
 * @name: (nullable): the #FluidWorker:name of the worker, and of its
 *   thread (cut to 15 bytes); %NULL or empty for the default one
 * @heartbeat: seconds to sleep between the end of a call of @func and the
 *   next call (not negative)
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   function to call in a loop, on the worker's own thread
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * As fluid_worker_function_new_threaded(), with a name: the name is what
 * logs, stop reasons, the status of a #FluidWorkers group and the name of
 * the thread show.
 *
 * Returns: (transfer full): a new #FluidWorkerFunction
 *
 * Since: 1.2
 */
FluidWorker *
fluid_worker_function_new_threaded_named (const char            *name,
                                          double                 heartbeat,
                                          FluidThreadWorkerFunc  func,
                                          gpointer               user_data,
                                          GDestroyNotify         destroy)
{
  FluidWorkerFunction *self;

  g_return_val_if_fail (!isnan (heartbeat) && heartbeat >= 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = fluid_worker_function_create (name, heartbeat, user_data, destroy);
  self->thread_func = func;
  return FLUID_WORKER (self);
}

/**
 * fluid_worker_function_get_heartbeat:
 * @self: a #FluidWorkerFunction
 *
 * Gets the number of seconds the worker sleeps between two calls.
 *
 * Returns: the heartbeat, in seconds
 *
 * Since: 1.0
 */
double
fluid_worker_function_get_heartbeat (FluidWorkerFunction *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER_FUNCTION (self), 0.0);

  return self->heartbeat;
}
