/* fluid-lifecycle.c: the lifecycle of a worker, from startup to its end
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-lifecycle-private.h"
#include "fluid-watchdog-private.h"
#include "fluid-observer-private.h"
#include "fluid-pending-private.h"
#include "fluid-tsan-private.h"

#include <unistd.h>

/* FluidWorker (fluid-worker.c) is the class: its properties, signals,
 * virtual methods and public entry points. This file is the machine they
 * drive: the changes of state and the order in which they are told, the
 * phases on_startup, run and on_shutdown, the grace period, the end and
 * its outcome, and the calls that cross threads. */

static void fluid_worker_begin_run      (FluidWorker *self);
static void fluid_worker_begin_shutdown (FluidWorker *self);
static void fluid_worker_finish         (FluidWorker *self,
                                         int          exit_code,
                                         GError      *error);

/* The lock of a worker's state and observers: held for a few
 * instructions, so a small table of locks serves every worker. */
#define FLUID_WORKER_N_LOCKS 64

static GMutex worker_locks[FLUID_WORKER_N_LOCKS];

static inline GMutex *
fluid_worker_lock (FluidWorkerPrivate *priv)
{
  return &worker_locks[(GPOINTER_TO_SIZE (priv) / 64) % FLUID_WORKER_N_LOCKS];
}

/* The array of priv->observers, or NULL when it holds one or none. */
static inline GPtrArray *
fluid_worker_observer_array (FluidWorkerPrivate *priv)
{
  guintptr observers = (guintptr) priv->observers;

  return (observers & 1) != 0 ? (GPtrArray *) (observers & ~(guintptr) 1) : NULL;
}

/* Drops every observer; from finalize. */
void
fluid_worker_clear_observers (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  GPtrArray *array = fluid_worker_observer_array (priv);

  if (array != NULL)
    g_ptr_array_unref (array);
  else if (priv->observers != NULL)
    fluid_observer_unref (priv->observers);
  priv->observers = NULL;
}

/* The base class, whose default hooks are skipped rather than called. */
static FluidWorkerClass *
fluid_worker_get_default_class (void)
{
  return g_type_class_peek (FLUID_TYPE_WORKER);
}

G_GNUC_PRINTF (3, 4)
void
fluid_worker_log (FluidWorker    *self,
                  GLogLevelFlags  level,
                  const char     *format,
                  ...)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  g_autofree char *message = NULL;
  va_list args;

  /* Formatted only when written: thousands of workers start and stop at
   * once, and their debug lines are usually dropped. */
  if (g_log_writer_default_would_drop (level, G_LOG_DOMAIN))
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_log_structured (G_LOG_DOMAIN, level,
                    "FLUID_WORKER", priv->name,
                    "MESSAGE", "%s %s", priv->name, message);
}

/* Running code on the worker's context */

typedef struct
{
  FluidWorker     *worker;
  FluidWorkerCall  func;
  gpointer         data;
  GDestroyNotify   destroy;
  /* Set last, with a barrier, read first on the worker's thread: GLib's
   * own locks order the two threads too, but sanitizers do not see them. */
  gpointer         published;
} FluidWorkerInvocation;

static void
fluid_worker_invocation_free (gpointer user_data)
{
  FluidWorkerInvocation *invocation = g_atomic_pointer_get (&((FluidWorkerInvocation *) user_data)->published);

  if (invocation->destroy != NULL)
    invocation->destroy (invocation->data);
  g_object_unref (invocation->worker);
  g_free (invocation);
}

static gboolean
fluid_worker_invocation_cb (gpointer user_data)
{
  FluidWorkerInvocation *invocation = g_atomic_pointer_get (&((FluidWorkerInvocation *) user_data)->published);

  invocation->func (invocation->worker, invocation->data);
  return G_SOURCE_REMOVE;
}

/* Calls @func on the worker's context: at once on the thread that iterates
 * it (or on the worker's own thread when no other holds it), else from a
 * dispatch of that context. Does nothing (but free @data) for a worker
 * that has not started. Any thread. */
void
fluid_worker_invoke (FluidWorker     *self,
                     FluidWorkerCall  func,
                     gpointer         data,
                     GDestroyNotify   destroy)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  GMainContext *context = g_atomic_pointer_get (&priv->context);
  FluidWorkerInvocation *invocation;
  GSource *source;

  if (context == NULL)
    goto done;

  /* Not g_main_context_invoke(): another thread whose default context is
   * the worker's (the global default) would acquire it and run the call,
   * and the signals of the state change, on itself. */
  if (g_main_context_is_owner (context))
    {
      func (self, data);
      goto done;
    }
  if (g_atomic_pointer_get (&priv->thread) == g_thread_self () &&
      g_main_context_acquire (context))
    {
      func (self, data);
      g_main_context_release (context);
      goto done;
    }

  invocation = g_new0 (FluidWorkerInvocation, 1);
  invocation->worker = g_object_ref (self);
  invocation->func = func;
  invocation->data = data;
  invocation->destroy = destroy;
  g_atomic_pointer_set (&invocation->published, invocation);

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, fluid_worker_invocation_cb, invocation,
                         fluid_worker_invocation_free);
  g_source_set_static_name (source, "[fluid] worker call");
  g_source_attach (source, context);
  g_source_unref (source);
  return;

done:
  if (destroy != NULL)
    destroy (data);
}

/* Changes of state
 *
 * A change of state is told in order: the worker's own observers (the
 * library's bookkeeping), notify::state, the state's signal, then the
 * other observers. A request for another change made by a handler
 * meanwhile (a stop, an end) waits until the current one has been told. A
 * request from a nested main loop that a handler runs is not deferred:
 * that handler is waiting, maybe for the very change it asks for. */

gboolean
fluid_worker_must_defer (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  return priv->emitting > 0 && g_main_depth () <= priv->emission_depth;
}

static int
fluid_worker_begin_emission (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  int outer_depth = priv->emission_depth;

  priv->emitting++;
  priv->emission_depth = g_main_depth ();
  return outer_depth;
}

static void
fluid_worker_end_emission (FluidWorker *self,
                           int          outer_depth)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  priv->emission_depth = outer_depth;
  if (--priv->emitting > 0)
    return;

  if (priv->stop_deferred)
    {
      priv->stop_deferred = FALSE;
      FLUID_WORKER_GET_CLASS (self)->gracefully_stop (self);
    }
  if (priv->finish_deferred)
    {
      priv->finish_deferred = FALSE;
      fluid_worker_finish (self, priv->exit_code, g_steal_pointer (&priv->error));
    }
}

static void fluid_worker_tell_observers (FluidWorker      *self,
                                         FluidWorkerState  state,
                                         gboolean          own);

/* Stores @state, tells the worker's own observers (those without a context
 * of their own: the bookkeeping of the library's classes, such as a
 * consumer's count of what it discarded), then notifies it: what user code
 * sees of a state is complete. The other observers are told once the
 * state's signal was emitted. */
static void
fluid_worker_set_state (FluidWorker      *self,
                        FluidWorkerState  state)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  fluid_mutex_lock (fluid_worker_lock (priv));
  g_atomic_int_set (&priv->state, state);
  fluid_mutex_unlock (fluid_worker_lock (priv));
  if (priv->has_watchdog && state == FLUID_WORKER_STATE_RUNNING)
    fluid_watchdog_start (fluid_watchdog_get (self));
  else if (priv->has_watchdog)
    fluid_watchdog_stop (fluid_watchdog_get (self));
  fluid_worker_tell_observers (self, state, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), fluid_worker_properties[PROP_STATE]);
}

/* Tells the worker's own observers (@own) or the others of @state. */
static void
fluid_worker_tell_observers (FluidWorker      *self,
                             FluidWorkerState  state,
                             gboolean          own)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  FluidObserver *few[4];
  FluidObserver **observers = few;
  GPtrArray *array;
  guint n_observers;

  /* A copy: an observer may add or remove observers. */
  fluid_mutex_lock (fluid_worker_lock (priv));
  array = fluid_worker_observer_array (priv);
  n_observers = array != NULL ? array->len : priv->observers != NULL;
  if (n_observers > G_N_ELEMENTS (few))
    observers = g_new (FluidObserver *, n_observers);
  n_observers = 0;
  for (guint i = 0; i < (array != NULL ? array->len : priv->observers != NULL); i++)
    {
      FluidObserver *observer = array != NULL ? g_ptr_array_index (array, i) : priv->observers;

      if (fluid_observer_has_context (observer) != own)
        observers[n_observers++] = fluid_observer_ref (observer);
    }
  fluid_mutex_unlock (fluid_worker_lock (priv));

  for (guint i = 0; i < n_observers; i++)
    {
      fluid_observer_notify (observers[i], G_OBJECT (self), priv->context, state);
      fluid_observer_unref (observers[i]);
    }
  if (observers != few)
    g_free (observers);
}

void
fluid_worker_return_outcome (FluidWorker *self,
                             GTask       *task)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (priv->error != NULL)
    g_task_return_error (task, g_error_copy (priv->error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
fluid_worker_return_waiter (FluidPending *pending,
                            gboolean      value,
                            GError       *error)
{
  if (error != NULL)
    g_task_return_error (pending->task, error);
  else
    fluid_worker_return_outcome (pending->data, pending->task);
}

static char *
fluid_worker_describe_end (FluidWorker  *self,
                           int           exit_code,
                           const GError *error)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (error != NULL)
    return g_strdup (error->message);
  /* Forced or not: the exit code tells which. */
  if (priv->starved)
    return g_strdup ("watchdog timeout");
  if (exit_code == FLUID_EXIT_CODE_FORCED)
    return g_strdup ("forced shutdown");
  return g_strdup (priv->stop_reason != NULL ? priv->stop_reason : "normal shutdown");
}

static void
fluid_worker_complete_waiters_cb (GObject  *subject,
                                  guint     event,
                                  gpointer  user_data)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (FLUID_WORKER (subject));

  fluid_pending_queue_complete (&priv->waiters, TRUE, NULL);
}

/* Completes the waiters once every observer told of the end on this
 * thread has run, even those queued behind a delivery further up the
 * stack: a consumer's final counts are in before its shutdown completes. */
static void
fluid_worker_complete_waiters_after_observers (FluidWorker      *self,
                                               FluidWorkerState  state)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  FluidObserver *observer;

  if (priv->waiters.length == 0)
    return;
  if (!fluid_observer_is_delivering ())
    {
      fluid_pending_queue_complete (&priv->waiters, TRUE, NULL);
      return;
    }

  observer = fluid_observer_new (NULL, FLUID_OBSERVER_ALL_EVENTS,
                                 fluid_worker_complete_waiters_cb, NULL);
  fluid_observer_notify (observer, G_OBJECT (self), priv->context, state);
  fluid_observer_unref (observer);
}

/* Ends the lifecycle, once: sets the outcome and the final state, emits
 * ::stopped, tells the observers, completes the waiters and drops the
 * reference taken at startup. @error is taken. */
static void
fluid_worker_finish (FluidWorker *self,
                     int          exit_code,
                     GError      *error)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  FluidWorkerState state;
  char *reason;
  int outer_depth;

  if (fluid_worker_must_defer (self))
    {
      priv->finish_deferred = TRUE;
      priv->exit_code = exit_code;
      priv->error = error;
      return;
    }

  fluid_timer_disarm (&priv->timer);

  priv->exit_code = exit_code;
  priv->outcome_told = TRUE;
  priv->error = error;
  reason = fluid_worker_describe_end (self, exit_code, error);
  g_free (priv->stop_reason);
  priv->stop_reason = reason;
  state = exit_code == FLUID_EXIT_CODE_FORCED ? FLUID_WORKER_STATE_FORCE_STOPPED
                                              : FLUID_WORKER_STATE_STOPPED;

  outer_depth = fluid_worker_begin_emission (self);
  /* Not frozen together: freezing costs a notify queue per worker. */
  g_object_notify_by_pspec (G_OBJECT (self), fluid_worker_properties[PROP_EXIT_CODE]);
  g_object_notify_by_pspec (G_OBJECT (self), fluid_worker_properties[PROP_STOP_REASON]);
  fluid_worker_set_state (self, state);

  if (exit_code == FLUID_EXIT_CODE_FORCED)
    fluid_worker_log (self, G_LOG_LEVEL_INFO, "forced shutdown");
  fluid_worker_log (self, exit_code == FLUID_EXIT_CODE_NORMAL ? G_LOG_LEVEL_DEBUG : G_LOG_LEVEL_INFO,
                    "stopped running: %s", priv->stop_reason);

  /* What run and the hooks still wait for ends, now that the state says
   * why: they complete later and are dropped. NULL if nobody asked for it:
   * fluid_worker_get_cancellable() then creates it cancelled. */
  if (exit_code != FLUID_EXIT_CODE_NORMAL && priv->cancellable != NULL)
    g_cancellable_cancel (priv->cancellable);

  if (exit_code == FLUID_EXIT_CODE_FORCED)
    {
      g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                         "The worker was forced to stop");

      fluid_pending_queue_complete (&priv->sleepers, FALSE, cancelled);
    }
  else
    fluid_pending_queue_complete (&priv->sleepers, FALSE, NULL);

  g_signal_emit (self, fluid_worker_signals[SIGNAL_STOPPED], 0, priv->stop_reason, exit_code);
  fluid_worker_tell_observers (self, state, FALSE);
  fluid_worker_complete_waiters_after_observers (self, state);
  fluid_worker_end_emission (self, outer_depth);

  /* The reference taken by fluid_worker_start_running(); @self may go. */
  g_object_unref (self);
}

/* Asks for the end of the lifecycle; the first request wins. @error is
 * taken. */
static void
fluid_worker_request_finish (FluidWorker *self,
                             int          exit_code,
                             GError      *error)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (priv->finishing)
    {
      g_clear_error (&error);
      return;
    }
  priv->finishing = TRUE;
  fluid_worker_finish (self, exit_code, error);
}

/* The phases of the lifecycle: on_startup, run, on_shutdown */

/* Takes the result of a phase; TRUE when the lifecycle goes on. A phase
 * that completes once the worker is stopping for good (forced, failed from
 * outside) is logged and dropped. @error is taken. */
static gboolean
fluid_worker_phase_done (FluidWorker *self,
                         const char  *phase,
                         gboolean     ok,
                         GError      *error)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (priv->finishing)
    {
      if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fluid_worker_log (self, G_LOG_LEVEL_DEBUG, "%s was cancelled by the forced shutdown", phase);
      else
        fluid_worker_log (self, G_LOG_LEVEL_INFO,
                          "%s completed after the worker stopped (%s); result dropped",
                          phase, error != NULL ? error->message : "no error");
      g_clear_error (&error);
      return FALSE;
    }
  if (!ok)
    {
      if (error == NULL)
        error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                             "%s failed without an error", phase);
      fluid_worker_request_finish (self, FLUID_EXIT_CODE_ERROR, error);
      return FALSE;
    }
  g_clear_error (&error);
  return TRUE;
}

static void
fluid_worker_on_shutdown_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(FluidWorker) self = user_data;
  GError *error = NULL;
  gboolean ok = FLUID_WORKER_GET_CLASS (self)->on_shutdown_finish (self, result, &error);

  if (fluid_worker_phase_done (self, "on_shutdown", ok, error))
    fluid_worker_request_finish (self, FLUID_EXIT_CODE_NORMAL, NULL);
}

static void
fluid_worker_run_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FluidWorker) self = user_data;
  GError *error = NULL;
  gboolean ok = FLUID_WORKER_GET_CLASS (self)->run_finish (self, result, &error);

  if (fluid_worker_phase_done (self, "run", ok, error))
    fluid_worker_begin_shutdown (self);
}

static void
fluid_worker_on_startup_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(FluidWorker) self = user_data;
  GError *error = NULL;
  gboolean ok = FLUID_WORKER_GET_CLASS (self)->on_startup_finish (self, result, &error);

  if (fluid_worker_phase_done (self, "on_startup", ok, error))
    fluid_worker_begin_run (self);
}

/* The start timer fired: the first dispatch of the worker's context after
 * startup. The no-op hooks are skipped rather than called, which spares a
 * GTask and a main-loop iteration per worker: starting thousands of workers
 * is common. */
static void
fluid_worker_begin_startup (FluidWorker *self)
{
  FluidWorkerClass *klass = FLUID_WORKER_GET_CLASS (self);

  if (klass->on_startup_async == fluid_worker_get_default_class ()->on_startup_async)
    fluid_worker_begin_run (self);
  else
    klass->on_startup_async (self, fluid_worker_get_cancellable (self),
                             fluid_worker_on_startup_cb, g_object_ref (self));
}

static void
fluid_worker_begin_run (FluidWorker *self)
{
  FluidWorkerDirectRun direct_run = g_type_get_qdata (G_OBJECT_TYPE (self),
                                                      fluid_worker_direct_run_quark);

  /* The run's own reference, dropped when it completes: a forced stop
   * drops the lifecycle's, and the run may still be on the stack. */
  g_object_ref (self);
  if (direct_run != NULL)
    direct_run (self);
  else
    FLUID_WORKER_GET_CLASS (self)->run_async (self, fluid_worker_get_cancellable (self),
                                              fluid_worker_run_cb, self);
}

static void
fluid_worker_begin_shutdown (FluidWorker *self)
{
  FluidWorkerClass *klass = FLUID_WORKER_GET_CLASS (self);

  if (klass->on_shutdown_async == fluid_worker_get_default_class ()->on_shutdown_async)
    fluid_worker_request_finish (self, FLUID_EXIT_CODE_NORMAL, NULL);
  else
    klass->on_shutdown_async (self, fluid_worker_get_cancellable (self),
                              fluid_worker_on_shutdown_cb, g_object_ref (self));
}

/* The worker's timer fired: the start, then the end of a grace period. */
void
fluid_worker_timer_cb (gpointer user_data)
{
  FluidWorker *self = user_data;
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (!priv->start_pending)
    {
      fluid_worker_request_finish (self, FLUID_EXIT_CODE_FORCED, NULL);
      return;
    }

  priv->start_pending = FALSE;
  if (priv->grace_deadline != 0)
    fluid_timer_arm (&priv->timer, fluid_worker_get_clock (self, priv->context),
                     priv->grace_deadline);
  fluid_worker_begin_startup (self);
}

/* The clock of @context, which is the worker's own but for sleeps made
 * before startup or on another thread-default context. Borrowed: the
 * worker keeps the last one it used. */
FluidClock *
fluid_worker_get_clock (FluidWorker  *self,
                        GMainContext *context)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (priv->clock == NULL || fluid_clock_get_context (priv->clock) != context ||
      !fluid_clock_is_attached (priv->clock))
    {
      FluidClock *clock = fluid_clock_get (context);

      g_clear_pointer (&priv->clock, fluid_clock_unref);
      priv->clock = clock;
    }
  return priv->clock;
}

/* Asks for a graceful stop and arms the grace period, as
 * fluid_worker_shutdown_async() does. On the worker's context. */
void
fluid_worker_request_shutdown_in_context (FluidWorker *self,
                                          gpointer     data)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (priv->finishing)
    return;

  /* The worker holds itself alive until it finishes, and finishing disarms
   * the timer, so the timer needs no reference of its own. While the start
   * is pending, the timer takes the grace period up once it fired. */
  if (priv->grace_deadline == 0)
    {
      priv->grace_deadline = fluid_deadline_in (priv->grace_period);
      if (!priv->start_pending)
        fluid_timer_arm (&priv->timer, fluid_worker_get_clock (self, priv->context),
                         priv->grace_deadline);
    }

  g_object_ref (self);
  FLUID_WORKER_GET_CLASS (self)->gracefully_stop (self);
  g_object_unref (self);
}

/* The default gracefully_stop: RUNNING → STOPPING, told in order. */
void
fluid_worker_enter_stopping (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  int outer_depth;

  if (fluid_worker_must_defer (self))
    {
      priv->stop_deferred = TRUE;
      return;
    }
  if (priv->state != FLUID_WORKER_STATE_RUNNING)
    return;

  outer_depth = fluid_worker_begin_emission (self);
  fluid_worker_set_state (self, FLUID_WORKER_STATE_STOPPING);
  g_signal_emit (self, fluid_worker_signals[SIGNAL_STOPPING], 0);
  fluid_pending_queue_wake_soon (&priv->sleepers);
  fluid_worker_tell_observers (self, FLUID_WORKER_STATE_STOPPING, FALSE);
  fluid_worker_end_emission (self, outer_depth);
}

void
fluid_worker_gracefully_stop_in_context (FluidWorker *self,
                                         gpointer     data)
{
  FLUID_WORKER_GET_CLASS (self)->gracefully_stop (self);
}

/* Moves a worker in INIT to RUNNING on the thread-default context; @task,
 * if any, is completed once it runs. on_startup and run are called from
 * the next dispatch of the context, never inside the caller's call. */
void
fluid_worker_start_running (FluidWorker *self,
                            GTask       *task)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  GMainContext *context = g_main_context_ref_thread_default ();
  int outer_depth;

  g_assert (priv->state == FLUID_WORKER_STATE_INIT);

  g_atomic_pointer_set (&priv->thread, g_thread_ref (g_thread_self ()));
  g_atomic_pointer_set (&priv->context, context);

  /* Dropped by fluid_worker_finish(). */
  g_object_ref (self);
  priv->start_pending = TRUE;
  fluid_timer_arm (&priv->timer, fluid_worker_get_clock (self, context), 0);

  outer_depth = fluid_worker_begin_emission (self);
  fluid_worker_set_state (self, FLUID_WORKER_STATE_RUNNING);
  fluid_worker_log (self, G_LOG_LEVEL_DEBUG, "started running");
  g_signal_emit (self, fluid_worker_signals[SIGNAL_STARTED], 0);
  fluid_worker_tell_observers (self, FLUID_WORKER_STATE_RUNNING, FALSE);
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
  fluid_worker_end_emission (self, outer_depth);
}

/* Completes @task now if the worker never started or has stopped; else
 * queues it for the end of the lifecycle. Takes @task. */
void
fluid_worker_add_waiter (FluidWorker  *self,
                         GTask        *task,
                         GCancellable *cancellable)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (priv->state == FLUID_WORKER_STATE_INIT)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
  else if (fluid_worker_is_stopped (self))
    {
      fluid_worker_return_outcome (self, task);
      g_object_unref (task);
    }
  else
    fluid_pending_add (&priv->waiters, sizeof (FluidPending), task, cancellable,
                       g_task_get_context (task), fluid_worker_return_waiter, self);
}

void
fluid_worker_fail_in_context (FluidWorker *self,
                              gpointer     data)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  GError *error = data;

  if (priv->finishing)
    {
      fluid_worker_log (self, G_LOG_LEVEL_DEBUG, "failure after the worker stopped dropped: %s",
                        error->message);
      return;
    }
  fluid_worker_request_finish (self, FLUID_EXIT_CODE_ERROR, g_error_copy (error));
}

/* Forces the stop now, as the end of the grace period would: state
 * FORCE_STOPPED, exit code 1, the cancellable cancelled. A worker that
 * has not started, or is already ending, is left alone. On the worker's
 * context. */
void
fluid_worker_force_stop_in_context (FluidWorker *self,
                                    gpointer     data)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (priv->state == FLUID_WORKER_STATE_INIT || priv->finishing)
    return;
  fluid_worker_request_finish (self, FLUID_EXIT_CODE_FORCED, NULL);
}

/* Private API */

/* How a run started by a FluidWorkerDirectRun ends: like the completion of
 * run_async(). Drops the run's reference. @error is taken. */
void
fluid_worker_run_done (FluidWorker *self,
                       GError      *error)
{
  if (fluid_worker_phase_done (self, "run", error == NULL, error))
    fluid_worker_begin_shutdown (self);
  g_object_unref (self);
}

/* Makes the workers of exactly the type of @klass (not its subclasses,
 * which may override run_async) run through @run rather than through
 * run_async(), without a GTask nor the worker's cancellable: both are most
 * of the cost of starting an idle worker. @run ends with
 * fluid_worker_run_done(). */
void
fluid_worker_class_set_direct_run (FluidWorkerClass     *klass,
                                   FluidWorkerDirectRun  run)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), fluid_worker_direct_run_quark, run);
}

typedef struct
{
  FluidPending          pending;    /* first: pending->data is the worker */
  FluidWorkerSleepFunc  func;
} FluidWorkerSleep;

static void
fluid_worker_complete_sleep (FluidPending *pending,
                             gboolean      value,
                             GError       *error)
{
  FluidWorkerSleep *sleep = (FluidWorkerSleep *) pending;

  if (error == NULL)
    fluid_worker_feed (pending->data);
  sleep->func (pending->data, value, error);
  g_clear_error (&error);
}

/* fluid_worker_sleep_async() without a task, for the library's own workers:
 * @func is called with TRUE once @seconds elapsed, with FALSE (at the next
 * dispatch of the context) when a graceful stop comes first, and with
 * G_IO_ERROR_CANCELLED from within a forced stop. Called on the worker's
 * context while it runs or stops, before it has stopped. */
void
fluid_worker_sleep_full (FluidWorker          *self,
                         double                seconds,
                         FluidWorkerSleepFunc  func)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  FluidWorkerSleep *sleep;
  gboolean running = priv->state == FLUID_WORKER_STATE_RUNNING;

  g_return_if_fail (priv->context != NULL && !fluid_worker_is_stopped (self));

  sleep = (FluidWorkerSleep *) fluid_pending_add (&priv->sleepers, sizeof (FluidWorkerSleep),
                                                  NULL, NULL, NULL,
                                                  fluid_worker_complete_sleep, self);
  sleep->func = func;
  fluid_pending_arm (&sleep->pending, fluid_worker_get_clock (self, priv->context),
                     running ? fluid_deadline_in (seconds) : 0, running);
}

/* The context the worker runs on, or NULL before startup. Any thread. */
GMainContext *
fluid_worker_get_context (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  return g_atomic_pointer_get (&priv->context);
}

/* The reason reported by a normal shutdown of a worker that stopped for a
 * cause of its own, such as a group whose child stopped. */
void
fluid_worker_set_stop_reason (FluidWorker *self,
                              const char  *reason)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  g_free (priv->stop_reason);
  priv->stop_reason = g_strdup (reason);
}

/* Starts a worker in INIT as fluid_worker_startup_async() does, without a
 * task to complete: for groups that start thousands of children. */
void
fluid_worker_start (FluidWorker *self)
{
  fluid_worker_start_running (self, NULL);
}

/* The watchdog found @self starved: it is shut down as
 * fluid_worker_shutdown_async() would, with the reason "watchdog timeout".
 * On the worker's context. */
void
fluid_worker_starve (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  if (priv->state != FLUID_WORKER_STATE_RUNNING || priv->starved)
    return;
  priv->starved = TRUE;
  fluid_worker_log (self, G_LOG_LEVEL_INFO, "not fed for %g s: watchdog timeout",
                    fluid_watchdog_get_period (fluid_watchdog_get (self)));
  fluid_worker_set_stop_reason (self, "watchdog timeout");
  fluid_worker_request_shutdown_in_context (self, NULL);
}

gboolean
fluid_worker_was_starved (FluidWorker *self)
{
  return fluid_worker_get_priv (self)->starved;
}

void
fluid_worker_class_set_idle_func (FluidWorkerClass *klass,
                                  gboolean        (*is_idle) (FluidWorker *self))
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), fluid_worker_idle_quark, is_idle);
}

/* Asks the worker to stop and arms its grace period, as
 * fluid_worker_shutdown_async() does, without a task to complete. Any
 * thread: the request is made on the worker's context. */
void
fluid_worker_request_shutdown (FluidWorker *self)
{
  fluid_worker_invoke (self, fluid_worker_request_shutdown_in_context, NULL, NULL);
}

void
fluid_worker_force_stop (FluidWorker *self)
{
  fluid_worker_invoke (self, fluid_worker_force_stop_in_context, NULL, NULL);
}

gboolean
fluid_worker_real_authorize_method (FluidWorker           *self,
                                    FluidWorker           *target,
                                    GDBusMethodInvocation *invocation,
                                    guint                  caller_uid)
{
  return caller_uid == 0 || caller_uid == (guint) geteuid ();
}

/* Tells @func, on @context (NULL: the worker's own, at once), of every
 * change of state of the worker from now on; the state it starts from is
 * returned in @out_state. Any thread. */
FluidObserver *
fluid_worker_observe (FluidWorker             *self,
                      GMainContext            *context,
                      guint                    states,
                      FluidWorkerObserverFunc  func,
                      gpointer                 user_data,
                      FluidWorkerState        *out_state)
{
  FluidObserver *observer = fluid_observer_new (context, states, (FluidObserverFunc) func,
                                                user_data);

  fluid_worker_add_observer (self, observer, out_state);
  fluid_observer_unref (observer);
  return observer;
}

/* Adds @observer, which may watch other workers too (a group's, shared by
 * its children), and returns in @out_state the state it starts from. Any
 * thread. */
void
fluid_worker_add_observer (FluidWorker      *self,
                           FluidObserver    *observer,
                           FluidWorkerState *out_state)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  fluid_observer_ref (observer);
  fluid_mutex_lock (fluid_worker_lock (priv));
  if (priv->observers == NULL)
    priv->observers = observer;
  else
    {
      GPtrArray *array = fluid_worker_observer_array (priv);

      if (array == NULL)
        {
          array = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_observer_unref);
          g_ptr_array_add (array, priv->observers);
          priv->observers = (gpointer) ((guintptr) array | 1);
        }
      g_ptr_array_add (array, observer);
    }
  if (out_state != NULL)
    *out_state = g_atomic_int_get (&priv->state);
  fluid_mutex_unlock (fluid_worker_lock (priv));
}

/* Removes @observer without cancelling it: events of this worker already
 * on their way still arrive. Any thread. */
void
fluid_worker_remove_observer (FluidWorker   *self,
                              FluidObserver *observer)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);

  fluid_mutex_lock (fluid_worker_lock (priv));
  if (priv->observers == (gpointer) observer)
    {
      priv->observers = NULL;
      fluid_observer_unref (observer);
    }
  else if (fluid_worker_observer_array (priv) != NULL)
    g_ptr_array_remove_fast (fluid_worker_observer_array (priv), observer);
  fluid_mutex_unlock (fluid_worker_lock (priv));
}

/* No event reaches @observer's function once this returns, on the
 * observer's context. */
void
fluid_worker_unobserve (FluidWorker   *self,
                        FluidObserver *observer)
{
  fluid_observer_cancel (observer);
  fluid_worker_remove_observer (self, observer);
}

/* The worker's own cancellable was cancelled (by a forced stop, or by the
 * program): the sleeps given it end. On the worker's context. */
static void
fluid_worker_cancel_own_sleepers (FluidWorker *self,
                                  gpointer     data)
{
  FluidWorkerPrivate *priv = fluid_worker_get_priv (self);
  GList *l = priv->sleepers.head;

  while (l != NULL)
    {
      FluidPending *pending = l->data;

      l = l->next;
      /* At the next dispatch, not inside the caller's cancellation. */
      if (pending->on_owner_cancellable && fluid_timer_is_armed (&pending->timer) &&
          pending->timer_error == NULL)
        fluid_pending_fail_soon (pending, pending->timer.clock,
                                 g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                      "Operation was cancelled"));
    }
}

/* The worker's cancellable: a GCancellable whose class handler of
 * ::cancelled tells the worker, so that the sleeps given it end without a
 * GSource each and without a closure per worker. @worker is cleared when
 * the worker is disposed; @lock orders that with a cancellation from
 * another thread. */
typedef struct
{
  GCancellable  parent_instance;
  GMutex        lock;
  FluidWorker  *worker;
} FluidWorkerCancellable;

typedef struct
{
  GCancellableClass parent_class;
} FluidWorkerCancellableClass;

static GType fluid_worker_cancellable_get_type (void);

G_DEFINE_TYPE (FluidWorkerCancellable, fluid_worker_cancellable, G_TYPE_CANCELLABLE)

/* Any thread: the cancelling one. */
static void
fluid_worker_cancellable_cancelled (GCancellable *cancellable)
{
  FluidWorkerCancellable *self = (FluidWorkerCancellable *) cancellable;
  FluidWorker *worker;

  fluid_mutex_lock (&self->lock);
  worker = self->worker != NULL ? g_object_ref (self->worker) : NULL;
  fluid_mutex_unlock (&self->lock);

  if (worker != NULL)
    {
      fluid_worker_invoke (worker, fluid_worker_cancel_own_sleepers, NULL, NULL);
      g_object_unref (worker);
    }
}

static void
fluid_worker_cancellable_finalize (GObject *object)
{
  g_mutex_clear (&((FluidWorkerCancellable *) object)->lock);
  /* As FluidSleepResult: no read of the parent_class static, written
   * under the type system's locks that sanitizers do not see. */
  G_OBJECT_CLASS (g_type_class_peek (G_TYPE_CANCELLABLE))->finalize (object);
}

static void
fluid_worker_cancellable_class_init (FluidWorkerCancellableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fluid_worker_cancellable_finalize;
  G_CANCELLABLE_CLASS (klass)->cancelled = fluid_worker_cancellable_cancelled;
}

static void
fluid_worker_cancellable_init (FluidWorkerCancellable *self)
{
  g_mutex_init (&self->lock);
}

/* A new cancellable for @worker. */
GCancellable *
fluid_worker_cancellable_new (FluidWorker *worker)
{
  FluidWorkerCancellable *self = g_object_new (fluid_worker_cancellable_get_type (), NULL);

  self->worker = worker;
  return G_CANCELLABLE (self);
}

/* The worker is being disposed: its cancellable, which may outlive it in
 * someone's hands, forgets it. */
void
fluid_worker_cancellable_forget (GCancellable *cancellable)
{
  FluidWorkerCancellable *self = (FluidWorkerCancellable *) cancellable;

  fluid_mutex_lock (&self->lock);
  self->worker = NULL;
  fluid_mutex_unlock (&self->lock);
}
