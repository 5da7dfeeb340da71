/* fluid-worker.c: the abstract worker and its lifecycle
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-lifecycle-private.h"
#include "fluid-worker-private.h"
#include "fluid-log-private.h"
#include "fluid-worker-cancellable-private.h"
#include "fluid-worker-marshal-private.h"
#include "fluid-enums.h"
#include "fluid-clock-private.h"
#include "fluid-observer-private.h"
#include "fluid-parse-private.h"
#include "fluid-pending-private.h"

#include <math.h>
#include <unistd.h>
#include <string.h>

/**
 * SECTION:fluid-worker
 * @short_description: A long-running asynchronous job with a managed lifecycle
 * @title: FluidWorker
 * @see_also: #FluidWorkerFunction
 *
 * A #FluidWorker is a long-running job driven by a #GMainContext. Subclasses
 * implement the asynchronous virtual method `run`, which loops while
 * fluid_worker_is_running() returns %TRUE.
 *
 * fluid_worker_startup_async() starts the worker on the thread-default main
 * context of the calling thread: the state goes from
 * %FLUID_WORKER_STATE_INIT to %FLUID_WORKER_STATE_RUNNING at once, then, from
 * the next dispatch of that context (never inside the call), `on_startup`,
 * `run` and `on_shutdown` are called in turn. fluid_worker_gracefully_stop()
 * asks `run` to return (state %FLUID_WORKER_STATE_STOPPING);
 * fluid_worker_shutdown_async() does the same and, when the worker has not
 * stopped within its #FluidWorker:stopping-grace-period, cancels it (state
 * %FLUID_WORKER_STATE_FORCE_STOPPED). fluid_worker_wait_for_shutdown_async()
 * waits for the end without asking for it, and fluid_worker_fail() ends it
 * with an error from anywhere.
 *
 * Every change of state emits #GObject::notify for #FluidWorker:state once,
 * then the signal of the new state (#FluidWorker::started,
 * #FluidWorker::stopping, #FluidWorker::stopped). A handler that asks for
 * another change (a stop from a handler of the RUNNING notification) gets
 * it once every handler has seen the current state, so that each handler
 * sees every state once, in order. Only a nested main loop run from a
 * handler lets the worker move on while that handler runs.
 *
 * A worker that loops with fluid_worker_sleep_async() between iterations
 * stops as soon as a graceful stop is requested, not after its sleep.
 *
 * While it has started and not yet stopped, a worker holds a reference on
 * itself, so that its owner may drop its own; a `run` in progress holds
 * another, until it completes, even after a forced stop.
 *
 * The worker logs in the `Fluid` domain, with the structured field
 * `FLUID_WORKER` holding its name: "NAME started running" and "NAME stopped
 * running: REASON" at debug level, "NAME forced shutdown" and the stop of a
 * worker that failed at info level: the outcome itself reaches the program
 * through #FluidWorker:exit-code and the errors of
 * fluid_worker_wait_for_shutdown_finish(). They are formatted and written
 * only when GLib's default writer would write them: with
 * `G_MESSAGES_DEBUG=Fluid` (or `all`) or after g_log_set_debug_enabled(),
 * whatever writer the program installed.
 */

enum
{
  PROP_0,
  PROP_NAME,
  PROP_STOPPING_GRACE_PERIOD,
  PROP_STATE,
  PROP_EXIT_CODE,
  PROP_STOP_REASON,
  PROP_WATCHDOG,
  N_PROPS
};

enum
{
  SIGNAL_STARTED,
  SIGNAL_STOPPING,
  SIGNAL_STOPPED,
  SIGNAL_AUTHORIZE_METHOD,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Type data: the interned default name of a type's workers. */
static GQuark fluid_worker_default_name_quark;

/* Threads: unless said otherwise, a field belongs to the thread that
 * iterates the worker's context (the one that started it), or to the
 * thread that owns the worker before it starts. */
typedef struct
{
  char           *name;
  double          grace_period;
  /* Set by a group or an export, which may run on another thread: a
   * field of its own, not a bit beside others. */
  gboolean        name_fixed;
  guint           name_is_interned : 1;
  /* A run begun with the class's begin_run, not yet completed. */
  guint           run_begun : 1;
  /* Inside the fluid_worker_complete_run() or fail_run() that ends it:
   * a stop there is not told to stopped_elsewhere. */
  guint           ending_run : 1;
  /* Created on first use, atomically: most workers never need one. */
  GCancellable   *cancellable;
  /* Incremented on every sleep and message when someone watches the
   * worker's progress (its watchdog), else NULL; atomic. */
  int            *progress;
  FluidLifecycle  lifecycle;
} FluidWorkerPrivate;

/* What the library's classes attach to FluidWorker's class, inherited as
 * the rest of a class is (see fluid-worker-private.h). */
typedef struct
{
  FluidWorkerDirectRun  direct_run;
  /* The run_async that @direct_run stands for: a subclass that overrides
   * run_async runs through it. */
  gpointer              direct_run_replaces;
  FluidWorkerIdleFunc   is_idle;
  FluidWorkerStopHook   stop_hook;
} FluidWorkerClassPrivate;

/**
 * FluidWorker:
 *
 * The abstract base of every worker; its fields are private.
 *
 * Since: 1.0
 */
G_DEFINE_ABSTRACT_TYPE_WITH_CODE (FluidWorker, fluid_worker, G_TYPE_OBJECT,
                                  G_ADD_PRIVATE (FluidWorker)
                                  g_type_add_class_private (g_define_type_id,
                                                            sizeof (FluidWorkerClassPrivate)))

#define FLUID_WORKER_CLASS_GET_PRIVATE(klass) \
  G_TYPE_CLASS_GET_PRIVATE ((klass), FLUID_TYPE_WORKER, FluidWorkerClassPrivate)

/**
 * fluid_worker_error_quark:
 *
 * The quark of the %FLUID_WORKER_ERROR domain.
 *
 * Returns: the error domain of worker errors
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (fluid-worker-error-quark, fluid_worker_error)

/* The engine of the lifecycle, for fluid-lifecycle.c. */
FluidLifecycle *
fluid_worker_get_lifecycle (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  return &priv->lifecycle;
}

/* Default virtual methods */

static void
fluid_worker_real_noop_async (FluidWorker         *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data,
                              gpointer             source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_name (task, "[fluid] worker default hook");
  g_task_return_boolean (task, TRUE);
}

static void
fluid_worker_real_on_startup_async (FluidWorker         *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  fluid_worker_real_noop_async (self, cancellable, callback, user_data,
                                fluid_worker_real_on_startup_async);
}

static void
fluid_worker_real_on_shutdown_async (FluidWorker         *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  fluid_worker_real_noop_async (self, cancellable, callback, user_data,
                                fluid_worker_real_on_shutdown_async);
}

/* The default finish of a hook: @result must be a GTask of @self, and the
 * default's own when the class kept @real_async as the hook's async half
 * (a class that overrides only the async half may return any GTask). */
static gboolean
fluid_worker_real_hook_finish (FluidWorker   *self,
                               GAsyncResult  *result,
                               gpointer       real_async,
                               gpointer       class_async,
                               GError       **error)
{
  g_return_val_if_fail (fluid_default_result_is_valid (self, result, real_async, class_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
fluid_worker_real_on_startup_finish (FluidWorker   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return fluid_worker_real_hook_finish (self, result, fluid_worker_real_on_startup_async,
                                        FLUID_WORKER_GET_CLASS (self)->on_startup_async, error);
}

static gboolean
fluid_worker_real_on_shutdown_finish (FluidWorker   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return fluid_worker_real_hook_finish (self, result, fluid_worker_real_on_shutdown_async,
                                        FLUID_WORKER_GET_CLASS (self)->on_shutdown_async, error);
}

static void
fluid_worker_real_run_async (FluidWorker         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_worker_real_run_async);
  g_task_set_name (task, "[fluid] worker run");
  g_task_return_new_error (task, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                           "%s does not implement FluidWorker.run_async",
                           G_OBJECT_TYPE_NAME (self));
}

static gboolean
fluid_worker_real_run_finish (FluidWorker   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return fluid_worker_real_hook_finish (self, result, fluid_worker_real_run_async,
                                        FLUID_WORKER_GET_CLASS (self)->run_async, error);
}

static void
fluid_worker_real_gracefully_stop (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  fluid_lifecycle_dispatch (&priv->lifecycle, FLUID_LIFECYCLE_STOP, NULL);
}

/* The default handler of ::authorize-method: the process's own user and
 * root may call, nobody else. */
static gboolean
fluid_worker_real_authorize_method (FluidWorker           *self,
                                    FluidWorker           *target,
                                    GDBusMethodInvocation *invocation,
                                    guint                  caller_uid)
{
  return caller_uid == 0 || caller_uid == (guint) geteuid ();
}

/* The default status_async: `running` and `stopping`. */
static void
fluid_worker_real_status_async (FluidWorker         *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  g_task_set_source_tag (task, fluid_worker_real_status_async);
  g_task_set_name (task, "[fluid] worker status");
  g_variant_dict_insert (&dict, "running", "b", fluid_worker_is_running (self));
  g_variant_dict_insert (&dict, "stopping", "b", fluid_worker_is_stopping (self));
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_dict_end (&dict)),
                         (GDestroyNotify) g_variant_unref);
}

static GVariant *
fluid_worker_real_status_finish (FluidWorker   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (fluid_default_result_is_valid (self, result, fluid_worker_real_status_async,
                                                      FLUID_WORKER_GET_CLASS (self)->status_async),
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static guint
fluid_worker_real_get_num_workers (FluidWorker *self)
{
  return 1;
}

/* What the lifecycle asks of its owner, in the order fluid-lifecycle.c
 * says */

void
fluid_worker_notify_state (FluidWorker      *self,
                           FluidWorkerState  state)
{
  /* Not frozen together: freezing costs a notify queue per worker. */
  if (state == FLUID_WORKER_STATE_STOPPED || state == FLUID_WORKER_STATE_FORCE_STOPPED)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXIT_CODE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOP_REASON]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* What run and the hooks still wait for ends, now that the state says
 * why: they complete later and are dropped. NULL if nobody asked for it:
 * fluid_worker_get_cancellable() then creates it cancelled. */
void
fluid_worker_ended (FluidWorker *self,
                    int          exit_code)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);
  FluidWorkerClass *klass = FLUID_WORKER_GET_CLASS (self);

  if (exit_code != FLUID_EXIT_CODE_NORMAL && priv->cancellable != NULL)
    g_cancellable_cancel (priv->cancellable);
  if (klass->stopped_elsewhere != NULL && !priv->ending_run)
    klass->stopped_elsewhere (self,
                              fluid_lifecycle_get_stop_reason (&priv->lifecycle),
                              exit_code);
}

void
fluid_worker_emit_state (FluidWorker      *self,
                         FluidWorkerState  state)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  switch (state)
    {
    case FLUID_WORKER_STATE_RUNNING:
      g_signal_emit (self, signals[SIGNAL_STARTED], 0);
      break;
    case FLUID_WORKER_STATE_STOPPING:
      g_signal_emit (self, signals[SIGNAL_STOPPING], 0);
      break;
    case FLUID_WORKER_STATE_STOPPED:
    case FLUID_WORKER_STATE_FORCE_STOPPED:
      g_signal_emit (self, signals[SIGNAL_STOPPED], 0,
                     fluid_lifecycle_get_stop_reason (&priv->lifecycle),
                     fluid_lifecycle_get_exit_code (&priv->lifecycle));
      break;
    case FLUID_WORKER_STATE_INIT:
    default:
      break;
    }
}

/* The run phase: through the direct run a class attached, or run_async.
 * The lifecycle took a reference for the run, which its end drops. */
void
fluid_worker_begin_run (FluidWorker         *self,
                        GAsyncReadyCallback  done)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);
  FluidWorkerClass *klass = FLUID_WORKER_GET_CLASS (self);
  FluidWorkerDirectRun direct_run;

  if (klass->begin_run != NULL)
    {
      priv->run_begun = TRUE;
      klass->begin_run (self);
      return;
    }
  direct_run = fluid_worker_get_direct_run (self);
  if (direct_run != NULL)
    direct_run (self);
  else
    klass->run_async (self, fluid_worker_get_cancellable (self), done, self);
}

/* Whether a run begun with begin_run awaits its end. */
static gboolean
fluid_worker_run_is_begun (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  return priv->run_begun;
}

/* Ends the run begun with begin_run, with @error (taken) if it failed.
 * The run's reference on @self may be the last but the caller's. */
static void
fluid_worker_end_begun_run (FluidWorker *self,
                            GError      *error)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);
  gboolean outer_ending = priv->ending_run;

  priv->run_begun = FALSE;
  priv->ending_run = TRUE;
  g_object_ref (self);
  fluid_worker_run_done (self, error);
  priv->ending_run = outer_ending;
  g_object_unref (self);
}

/**
 * fluid_worker_complete_run:
 * @self: a #FluidWorker whose class implements `begin_run`
 *
 * Ends the run that the `begin_run` virtual method began, successfully,
 * as @run_async completing would. Once the worker stopped (forced, or
 * failed from elsewhere), the run's end is logged and dropped, as a late
 * completion of @run_async is. Call it, or fluid_worker_fail_run(), once
 * per run, on the worker's context.
 *
 * Since: 1.2
 */
void
fluid_worker_complete_run (FluidWorker *self)
{
  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (fluid_worker_run_is_begun (self));

  fluid_worker_end_begun_run (self, NULL);
}

/**
 * fluid_worker_fail_run:
 * @self: a #FluidWorker whose class implements `begin_run`
 * @error: why the run failed; copied
 *
 * Ends the run that the `begin_run` virtual method began with a copy of
 * @error, as @run_async failing would: the worker stops with exit code
 * %FLUID_EXIT_CODE_ERROR, and fluid_worker_wait_for_shutdown_finish()
 * fails with that error. See fluid_worker_complete_run().
 *
 * Since: 1.2
 */
void
fluid_worker_fail_run (FluidWorker  *self,
                       const GError *error)
{
  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (error != NULL);
  g_return_if_fail (fluid_worker_run_is_begun (self));

  fluid_worker_end_begun_run (self, g_error_copy (error));
}


/* GObject */

/* The default name of the workers of @type, interned: thousands of
 * workers of one class share it. Made once per type and kept as the
 * type's qdata (GType's lock makes that safe from any thread; two threads
 * that make it at once store the same interned string). */
static const char *
fluid_worker_default_name (GType type)
{
  const char *name = g_type_get_qdata (type, fluid_worker_default_name_quark);

  if (name == NULL)
    {
      g_autofree char *made = fluid_worker_name_from_type_name (g_type_name (type));

      name = g_intern_string (made);
      g_type_set_qdata (type, fluid_worker_default_name_quark, (gpointer) name);
    }
  return name;
}

/* Stores @name, or the default name of the worker's type when @name is
 * NULL or empty; whether it changed. */
static gboolean
fluid_worker_store_name (FluidWorker *self,
                         const char  *name)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);
  char *stored;

  if (name == NULL || *name == '\0')
    {
      const char *default_name = fluid_worker_default_name (G_OBJECT_TYPE (self));

      if (priv->name != NULL && strcmp (priv->name, default_name) == 0)
        return FALSE;
      stored = (char *) default_name;
    }
  else
    {
      if (priv->name != NULL && strcmp (priv->name, name) == 0)
        return FALSE;
      stored = g_strdup (name);
    }

  if (!priv->name_is_interned)
    g_free (priv->name);
  priv->name = stored;
  priv->name_is_interned = (name == NULL || *name == '\0');
  return TRUE;
}

static void
fluid_worker_constructed (GObject *object)
{
  FluidWorker *self = FLUID_WORKER (object);
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  G_OBJECT_CLASS (fluid_worker_parent_class)->constructed (object);

  /* A name given to g_object_new() is set after this, and replaces it. */
  if (priv->name == NULL)
    fluid_worker_store_name (self, NULL);
}

static void
fluid_worker_dispose (GObject *object)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (FLUID_WORKER (object));

  /* Whoever else holds the cancellable may still cancel it. */
  if (priv->cancellable != NULL)
    fluid_worker_cancellable_forget (priv->cancellable);

  G_OBJECT_CLASS (fluid_worker_parent_class)->dispose (object);
}

static void
fluid_worker_finalize (GObject *object)
{
  FluidWorker *self = FLUID_WORKER (object);
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (!priv->name_is_interned)
    g_free (priv->name);
  g_clear_object (&priv->cancellable);
  fluid_lifecycle_clear (&priv->lifecycle);

  G_OBJECT_CLASS (fluid_worker_parent_class)->finalize (object);
}

static void
fluid_worker_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FluidWorker *self = FLUID_WORKER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, fluid_worker_get_name (self));
      break;

    case PROP_STOPPING_GRACE_PERIOD:
      g_value_set_double (value, fluid_worker_get_stopping_grace_period (self));
      break;

    case PROP_STATE:
      g_value_set_enum (value, fluid_worker_get_state (self));
      break;

    case PROP_EXIT_CODE:
      g_value_set_int (value, fluid_worker_get_exit_code (self));
      break;

    case PROP_STOP_REASON:
      g_value_set_string (value, fluid_worker_get_stop_reason (self));
      break;

    case PROP_WATCHDOG:
      g_value_set_double (value, fluid_worker_get_watchdog (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_worker_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FluidWorker *self = FLUID_WORKER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      fluid_worker_set_name (self, g_value_get_string (value));
      break;

    case PROP_STOPPING_GRACE_PERIOD:
      /* -1 is the default: the environment's, as fluid_worker_init() read
       * it; GParamSpecDouble refuses NaN and other negatives. */
      if (g_value_get_double (value) >= 0)
        fluid_worker_set_stopping_grace_period (self, g_value_get_double (value));
      else
        fluid_worker_set_stopping_grace_period (self, fluid_default_grace_period ());
      break;

    case PROP_WATCHDOG:
      fluid_worker_set_watchdog (self, g_value_get_double (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_worker_class_init (FluidWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  fluid_worker_default_name_quark = g_quark_from_static_string ("fluid-worker-default-name");
  /* Made now, before any thread reads it: G_DEFINE_QUARK's lazy static is
   * a race ThreadSanitizer reports, benign or not. */
  (void) fluid_worker_error_quark ();

  object_class->constructed = fluid_worker_constructed;
  object_class->dispose = fluid_worker_dispose;
  object_class->finalize = fluid_worker_finalize;
  object_class->get_property = fluid_worker_get_property;
  object_class->set_property = fluid_worker_set_property;

  klass->run_async = fluid_worker_real_run_async;
  klass->run_finish = fluid_worker_real_run_finish;
  klass->on_startup_async = fluid_worker_real_on_startup_async;
  klass->on_startup_finish = fluid_worker_real_on_startup_finish;
  klass->on_shutdown_async = fluid_worker_real_on_shutdown_async;
  klass->on_shutdown_finish = fluid_worker_real_on_shutdown_finish;
  klass->gracefully_stop = fluid_worker_real_gracefully_stop;
  klass->status_async = fluid_worker_real_status_async;
  klass->status_finish = fluid_worker_real_status_finish;
  klass->get_num_workers = fluid_worker_real_get_num_workers;

  /**
   * FluidWorker:name:
   *
   * The name of the worker, used in logs and in the status of a group.
   * When unset or empty, it is the snake_case of the GType name:
   * `MySimpleWorker` is named `my_simple_worker`.
   *
   * It may be set until the worker starts, is added to a #FluidWorkers
   * group or is exported (fluid_worker_set_name()); it was construct-only
   * before 1.2.
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", "Name", "The name of the worker",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorker:stopping-grace-period:
   *
   * How many seconds fluid_worker_shutdown_async() waits for a graceful stop
   * before it forces the worker to stop. When unset (or set to -1, the
   * default), it is the value of the environment variable
   * `FLUID_STOPPING_GRACE_PERIOD`, else 10 seconds. Reading the property
   * gives the grace period in force.
   *
   * It may be set until the worker starts
   * (fluid_worker_set_stopping_grace_period()); it was construct-only
   * before 1.2.
   *
   * Since: 1.0
   */
  properties[PROP_STOPPING_GRACE_PERIOD] =
    g_param_spec_double ("stopping-grace-period", "Stopping grace period",
                         "Seconds a graceful stop may take before it is forced",
                         -1.0, G_MAXDOUBLE, -1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorker:state:
   *
   * The lifecycle state of the worker. Every change is notified once.
   *
   * Since: 1.0
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", "State", "The state of the worker",
                       FLUID_TYPE_WORKER_STATE, FLUID_WORKER_STATE_INIT,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorker:exit-code:
   *
   * How the worker ended: -1 until it stopped, then
   * %FLUID_EXIT_CODE_NORMAL, %FLUID_EXIT_CODE_FORCED or
   * %FLUID_EXIT_CODE_ERROR, as #FluidWorker::stopped tells. Notified once,
   * before #FluidWorker:state becomes final.
   *
   * Since: 1.2
   */
  properties[PROP_EXIT_CODE] =
    g_param_spec_int ("exit-code", "Exit code", "How the worker ended, -1 until it stopped",
                      -1, G_MAXINT, -1,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorker:stop-reason:
   *
   * Why the worker stopped, as #FluidWorker::stopped tells: %NULL until it
   * stopped, then "normal shutdown", "forced shutdown" or the message of
   * the error it failed with.
   *
   * Since: 1.2
   */
  properties[PROP_STOP_REASON] =
    g_param_spec_string ("stop-reason", "Stop reason", "Why the worker stopped",
                         NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorker:watchdog:
   *
   * Seconds a RUNNING worker may go without being fed
   * (fluid_worker_feed_watchdog(), and every completed sleep and every
   * message a consumer handles) before it is shut down, as
   * fluid_worker_shutdown_async() would, with the reason "watchdog
   * timeout"; a group replaces it as its #FluidRestart says. A consumer
   * waiting for a message is never starved. 0, the default, watches
   * nothing. Set it before the worker starts.
   *
   * Since: 1.2
   */
  properties[PROP_WATCHDOG] =
    g_param_spec_double ("watchdog", "Watchdog", "Seconds a running worker may go unfed",
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FluidWorker::started:
   * @self: the worker
   *
   * Emitted once the worker is %FLUID_WORKER_STATE_RUNNING, before
   * `on_startup` and `run` are called.
   *
   * Since: 1.0
   */
  signals[SIGNAL_STARTED] =
    g_signal_new ("started",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * FluidWorker::stopping:
   * @self: the worker
   *
   * Emitted when a graceful stop moves the worker from
   * %FLUID_WORKER_STATE_RUNNING to %FLUID_WORKER_STATE_STOPPING.
   *
   * Since: 1.0
   */
  signals[SIGNAL_STOPPING] =
    g_signal_new ("stopping",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * FluidWorker::stopped:
   * @self: the worker
   * @reason: why it stopped: "normal shutdown", "forced shutdown" or the
   *   message of the error `run` failed with
   * @exit_code: %FLUID_EXIT_CODE_NORMAL, %FLUID_EXIT_CODE_FORCED or
   *   %FLUID_EXIT_CODE_ERROR
   *
   * Emitted once, after the worker stopped and before the pending
   * fluid_worker_wait_for_shutdown_async() and fluid_worker_shutdown_async()
   * complete. Its class handler is the `after_shutdown` virtual method.
   *
   * Since: 1.0
   */
  signals[SIGNAL_STOPPED] =
    g_signal_new ("stopped",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (FluidWorkerClass, after_shutdown),
                  NULL, NULL,
                  fluid_marshal_stopped,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT);
  g_signal_set_va_marshaller (signals[SIGNAL_STOPPED],
                              G_TYPE_FROM_CLASS (klass),
                              fluid_marshal_stoppedv);

  /**
   * FluidWorker::authorize-method:
   * @self: the #FluidWorker that was exported with fluid_worker_export()
   * @target: the worker whose method is called: @self, or a worker below
   *   it when @self is a group
   * @invocation: the #GDBusMethodInvocation of the call
   * @caller_uid: the user id of the caller, as the bus tells it;
   *   %G_MAXUINT when it is not known
   *
   * Emitted on the worker's context for each D-Bus method call to an
   * exported worker (`Stop`, `Shutdown`, `GetStatus`), to decide whether
   * the caller may make it, in the manner of
   * #GDBusInterfaceSkeleton::g-authorize-method. A call that is refused
   * gets the D-Bus error `org.freedesktop.DBus.Error.AccessDenied`.
   *
   * The default handler allows a caller that runs as the process's
   * effective user or as root. The first handler connected decides
   * instead, so that a program may let other users in (after asking
   * polkit, for example) or keep everyone out; it may compare
   * @caller_uid itself. It runs on the worker's context: a handler that
   * must wait for an answer should not block it for long.
   *
   * Returns: %TRUE to let the call go on, %FALSE to refuse it
   *
   * Since: 1.2
   */
  signals[SIGNAL_AUTHORIZE_METHOD] =
    g_signal_new_class_handler ("authorize-method",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                G_CALLBACK (fluid_worker_real_authorize_method),
                                g_signal_accumulator_first_wins, NULL,
                                NULL,
                                G_TYPE_BOOLEAN, 3,
                                FLUID_TYPE_WORKER, G_TYPE_DBUS_METHOD_INVOCATION, G_TYPE_UINT);
}

static void
fluid_worker_init (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  priv->grace_period = fluid_default_grace_period ();
  fluid_lifecycle_init (&priv->lifecycle, self);
}

/* Accessors */

/**
 * fluid_worker_get_name:
 * @self: a #FluidWorker
 *
 * Gets the name of the worker.
 *
 * Returns: (transfer none): the name
 *
 * Since: 1.0
 */
const char *
fluid_worker_get_name (FluidWorker *self)
{
  FluidWorkerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);

  priv = fluid_worker_get_instance_private (self);

  return priv->name;
}

/**
 * fluid_worker_get_state:
 * @self: a #FluidWorker
 *
 * Gets the lifecycle state of the worker.
 *
 * Returns: the state
 *
 * Since: 1.0
 */
FluidWorkerState
fluid_worker_get_state (FluidWorker *self)
{
  FluidWorkerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_WORKER (self), FLUID_WORKER_STATE_INIT);

  priv = fluid_worker_get_instance_private (self);

  return fluid_lifecycle_get_state (&priv->lifecycle);
}

/**
 * fluid_worker_get_stopping_grace_period:
 * @self: a #FluidWorker
 *
 * Gets the number of seconds a shutdown waits before it forces the worker
 * to stop.
 *
 * Returns: the grace period, in seconds
 *
 * Since: 1.0
 */
double
fluid_worker_get_stopping_grace_period (FluidWorker *self)
{
  FluidWorkerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_WORKER (self), 0.0);

  priv = fluid_worker_get_instance_private (self);

  return priv->grace_period;
}

/**
 * fluid_worker_set_name:
 * @self: a #FluidWorker
 * @name: (nullable): the name; %NULL or empty for the default one, the
 *   snake_case of the type's name
 *
 * Sets #FluidWorker:name. The name is what logs, stop reasons, the status
 * of a group, the names of a worker's threads and its D-Bus object show: it
 * may change until the worker starts, is added to a #FluidWorkers group or
 * is exported with fluid_worker_export(), and is fixed from then on, even
 * once the worker has left the group. Setting it later is a programming
 * error: a critical, and the name stays.
 *
 * Call it from the thread that owns the worker.
 *
 * Since: 1.2
 */
void
fluid_worker_set_name (FluidWorker *self,
                       const char  *name)
{
  FluidWorkerPrivate *priv;

  g_return_if_fail (FLUID_IS_WORKER (self));

  priv = fluid_worker_get_instance_private (self);
  if (fluid_worker_has_started (self))
    {
      g_critical ("%s: %s has started: its name is set before it starts", G_STRFUNC, priv->name);
      return;
    }
  if (priv->name_fixed)
    {
      g_critical ("%s: %s is in a group or exported: its name is fixed", G_STRFUNC, priv->name);
      return;
    }
  if (fluid_worker_store_name (self, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

/**
 * fluid_worker_set_stopping_grace_period:
 * @self: a #FluidWorker
 * @seconds: the grace period in seconds, not negative
 *
 * Sets #FluidWorker:stopping-grace-period, before the worker starts:
 * fluid_worker_shutdown_async() forces the worker to stop when it has not
 * stopped @seconds after the request. Setting it once the worker has
 * started is a programming error: a critical, and the grace period stays.
 *
 * Call it from the thread that owns the worker.
 *
 * Since: 1.2
 */
void
fluid_worker_set_stopping_grace_period (FluidWorker *self,
                                        double       seconds)
{
  FluidWorkerPrivate *priv;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (!isnan (seconds) && seconds >= 0 && seconds <= G_MAXDOUBLE);

  priv = fluid_worker_get_instance_private (self);
  if (fluid_worker_has_started (self))
    {
      g_critical ("%s: %s has started: its stopping grace period is set before it starts",
                  G_STRFUNC, priv->name);
      return;
    }
  if (priv->grace_period == seconds)
    return;
  priv->grace_period = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOPPING_GRACE_PERIOD]);
}

/* The name of @self is fixed from now on: it is in a group, or exported. */
void
fluid_worker_fix_name (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  priv->name_fixed = TRUE;
}

/**
 * fluid_worker_get_num_workers:
 * @self: a #FluidWorker
 *
 * Gets the number of workers @self stands for: 1 for a worker, the number of
 * children for a group.
 *
 * Returns: the number of workers
 *
 * Since: 1.0
 */
guint
fluid_worker_get_num_workers (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), 0);

  return FLUID_WORKER_GET_CLASS (self)->get_num_workers (self);
}

static void
fluid_worker_cancel_own_sleepers (FluidWorker *self,
                                  gpointer     data)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  fluid_lifecycle_cancel_own_sleepers (&priv->lifecycle);
}

/* The worker's own cancellable was cancelled (by a forced stop, or by the
 * program): the sleeps given it end, on the worker's context. Any thread. */
static void
fluid_worker_own_cancellable_cancelled (GObject *worker)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (FLUID_WORKER (worker));

  fluid_lifecycle_invoke (&priv->lifecycle, fluid_worker_cancel_own_sleepers, NULL, NULL);
}

/**
 * fluid_worker_get_cancellable:
 * @self: a #FluidWorker
 *
 * Gets the cancellable of the worker, cancelled when the worker is forced
 * to stop. `run` receives it; pass it on to what `run` waits for.
 *
 * Returns: (transfer none): the worker's cancellable
 *
 * Since: 1.0
 */
GCancellable *
fluid_worker_get_cancellable (FluidWorker *self)
{
  FluidWorkerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);

  priv = fluid_worker_get_instance_private (self);

  /* Created on first use: most workers never need one. One created after
   * a forced stop is cancelled already. */
  if (g_atomic_pointer_get (&priv->cancellable) == NULL)
    {
      GCancellable *cancellable = fluid_worker_cancellable_new (G_OBJECT (self),
                                                                fluid_worker_own_cancellable_cancelled);

      if (fluid_lifecycle_get_state (&priv->lifecycle) == FLUID_WORKER_STATE_FORCE_STOPPED ||
          fluid_lifecycle_ended_abnormally (&priv->lifecycle))
        g_cancellable_cancel (cancellable);
      if (!g_atomic_pointer_compare_and_exchange (&priv->cancellable, NULL, cancellable))
        {
          fluid_worker_cancellable_forget (cancellable);
          g_object_unref (cancellable);
        }
    }
  return priv->cancellable;
}

/**
 * fluid_worker_has_started:
 * @self: a #FluidWorker
 *
 * Whether the worker has been started, that is its state is not
 * %FLUID_WORKER_STATE_INIT.
 *
 * Returns: %TRUE if the worker has started
 *
 * Since: 1.0
 */
gboolean
fluid_worker_has_started (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);

  return fluid_worker_get_state (self) != FLUID_WORKER_STATE_INIT;
}

/**
 * fluid_worker_is_running:
 * @self: a #FluidWorker
 *
 * Whether the worker is %FLUID_WORKER_STATE_RUNNING. `run` loops while this
 * is %TRUE.
 *
 * Returns: %TRUE if the worker runs
 *
 * Since: 1.0
 */
gboolean
fluid_worker_is_running (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);

  return fluid_worker_get_state (self) == FLUID_WORKER_STATE_RUNNING;
}

/**
 * fluid_worker_is_stopping:
 * @self: a #FluidWorker
 *
 * Whether a graceful stop was requested and the worker has not stopped yet.
 *
 * Returns: %TRUE if the worker is %FLUID_WORKER_STATE_STOPPING
 *
 * Since: 1.0
 */
gboolean
fluid_worker_is_stopping (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);

  return fluid_worker_get_state (self) == FLUID_WORKER_STATE_STOPPING;
}

/**
 * fluid_worker_is_stopped:
 * @self: a #FluidWorker
 *
 * Whether the worker has stopped, normally or by force.
 *
 * Returns: %TRUE if the worker is %FLUID_WORKER_STATE_STOPPED or
 *   %FLUID_WORKER_STATE_FORCE_STOPPED
 *
 * Since: 1.0
 */
gboolean
fluid_worker_is_stopped (FluidWorker *self)
{
  FluidWorkerState state;

  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);

  state = fluid_worker_get_state (self);
  return state == FLUID_WORKER_STATE_STOPPED || state == FLUID_WORKER_STATE_FORCE_STOPPED;
}

/* Graceful stop */

/* What a class attached to hear of a request to stop, on the requesting
 * thread (a threaded worker whose body asks). */
void
fluid_worker_call_stop_hook (FluidWorker *self)
{
  FluidWorkerClassPrivate *klass_priv = FLUID_WORKER_CLASS_GET_PRIVATE (FLUID_WORKER_GET_CLASS (self));

  if (klass_priv->stop_hook != NULL)
    klass_priv->stop_hook (self);
}

/* Private API: fluid-worker-private.h */

GMainContext *
fluid_worker_get_context (FluidWorker *self)
{
  return fluid_lifecycle_get_context (fluid_worker_get_lifecycle (self));
}

gboolean
fluid_worker_is_on_context (FluidWorker *self)
{
  FluidLifecycle *lifecycle = fluid_worker_get_lifecycle (self);
  GMainContext *context = fluid_lifecycle_get_context (lifecycle);

  return context != NULL &&
         (g_main_context_is_owner (context) || g_atomic_pointer_get (&lifecycle->thread) == g_thread_self ());
}

G_GNUC_PRINTF (3, 4)
void
fluid_worker_log (FluidWorker    *self,
                  GLogLevelFlags  level,
                  const char     *format,
                  ...)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);
  va_list args;

  va_start (args, format);
  fluid_log_worker_valist (priv->name, level, format, args);
  va_end (args);
}

void
fluid_worker_class_set_direct_run (FluidWorkerClass     *klass,
                                   FluidWorkerDirectRun  run)
{
  FluidWorkerClassPrivate *klass_priv = FLUID_WORKER_CLASS_GET_PRIVATE (klass);

  klass_priv->direct_run = run;
  klass_priv->direct_run_replaces = klass->run_async;
}

FluidWorkerDirectRun
fluid_worker_get_direct_run (FluidWorker *self)
{
  FluidWorkerClass *klass = FLUID_WORKER_GET_CLASS (self);
  FluidWorkerClassPrivate *klass_priv = FLUID_WORKER_CLASS_GET_PRIVATE (klass);

  /* A subclass that overrides run_async runs through it. */
  if (klass_priv->direct_run == NULL || (gpointer) klass->run_async != klass_priv->direct_run_replaces)
    return NULL;
  return klass_priv->direct_run;
}

void
fluid_worker_run_done (FluidWorker *self,
                       GError      *error)
{
  fluid_lifecycle_phase_done (fluid_worker_get_lifecycle (self), error == NULL, error);
  g_object_unref (self);
}

void
fluid_worker_class_set_idle_func (FluidWorkerClass    *klass,
                                  FluidWorkerIdleFunc  is_idle)
{
  FLUID_WORKER_CLASS_GET_PRIVATE (klass)->is_idle = is_idle;
}

gboolean
fluid_worker_is_idle (FluidWorker *self)
{
  FluidWorkerIdleFunc is_idle = FLUID_WORKER_CLASS_GET_PRIVATE (FLUID_WORKER_GET_CLASS (self))->is_idle;

  return is_idle != NULL && is_idle (self);
}

void
fluid_worker_class_set_stop_hook (FluidWorkerClass    *klass,
                                  FluidWorkerStopHook  hook)
{
  FLUID_WORKER_CLASS_GET_PRIVATE (klass)->stop_hook = hook;
}

void
fluid_worker_watch_progress (FluidWorker *self,
                             int         *counter)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  g_atomic_pointer_set (&priv->progress, counter);
}

void
fluid_worker_feed (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);
  int *progress = g_atomic_pointer_get (&priv->progress);

  if (progress != NULL)
    g_atomic_int_inc (progress);
}

gboolean
fluid_worker_authorize (FluidWorker           *self,
                        FluidWorker           *target,
                        GDBusMethodInvocation *invocation,
                        guint                  caller_uid)
{
  gboolean allowed = FALSE;

  g_signal_emit (self, signals[SIGNAL_AUTHORIZE_METHOD], 0, target, invocation, caller_uid, &allowed);
  return allowed;
}
