/* fluid-lifecycle.c: the engine that runs a worker's lifecycle
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-lifecycle-private.h"
#include "fluid-log-private.h"
#include "fluid-observer-private.h"
#include "fluid-pending-private.h"
#include "fluid-tsan-private.h"

/* A worker's lifecycle is one table of transitions and one function that
 * applies them, fluid_lifecycle_dispatch(). FluidWorker (fluid-worker.c) is
 * the class and its public API; it raises the events below and gives the
 * engine four functions of its own (notify, ended, emit, and the start of
 * the run; see fluid-lifecycle-private.h). Everything else a change of
 * state does is here.
 *
 *   state \ event   START       STOP        SHUTDOWN     PHASE_DONE   FINISHED    FAIL        FORCE
 *   INIT            RUNNING     -           -            -            -           -           -
 *                   hold,
 *                   arm start,
 *                   announce
 *   RUNNING         -           STOPPING    arm grace,   next phase   STOPPED     STOPPED     FORCE_STOPPED
 *                               announce,   gracefully                end (0)     end (2)     end (1)
 *                               wake        _stop
 *   STOPPING        -           -           arm grace    next phase   STOPPED     STOPPED     FORCE_STOPPED
 *                                                                     end (0)     end (2)     end (1)
 *   STOPPED,        -           -           -            drop         drop        drop        -
 *   FORCE_STOPPED
 *
 * - START comes from startup: the worker holds a reference on itself until
 *   it ends, and its timer is armed to fire at the next dispatch of its
 *   context, so that nothing runs inside the call to startup.
 * - PHASE_DONE: the timer fired (the PENDING phase), or on_startup, run or
 *   on_shutdown completed successfully; the next phase begins, skipping the
 *   hooks the class left as they are. When there is no next phase, the
 *   event is FINISHED: the worker ends normally.
 * - SHUTDOWN arms the grace period (once the start fired), then calls the
 *   class's gracefully_stop, whose default raises STOP; a group's override
 *   stops its children first.
 * - FAIL carries an error: a phase that failed, or fluid_worker_fail().
 *   FORCE comes from the grace period, or from a forced stop.
 * - A phase that completes or fails once the worker has ended (forced,
 *   failed from outside) is logged and dropped: that is "drop".
 *
 * Telling a change (fluid_lifecycle_announce()) happens in one order:
 * the state is stored; the worker's own observers (those without a context
 * of their own: the library's bookkeeping, such as a consumer counting what
 * it discarded) are told; notify::state (after exit-code and stop-reason,
 * for a final state); for a final state, the worker's cancellable is
 * cancelled and its sleeps complete; the state's signal; the other
 * observers (a group of another context, a D-Bus export); last, for a final
 * state, the waits for the end complete. What user code sees of a state is
 * complete before it sees the state.
 *
 * An event that would change the state, raised while a change is being
 * told (a stop from a handler of notify::state), waits until every handler
 * has seen that change, then is applied, in order: each handler sees every
 * state once, in order. An event that changes nothing (a phase that
 * completes, a shutdown's grace period) is applied at once, unless others
 * wait already: they keep their order. Only a nested main loop run from a
 * handler applies an event at once whatever it is: that handler is
 * waiting, maybe for the very change it asks for.
 *
 * Threads: every event is raised on the worker's context (START on the
 * thread that starts it); fluid_lifecycle_invoke() brings a call there from
 * another thread. @lock guards the observers and the writing of @state;
 * no lock of another object is taken with it, and nothing is called with
 * it held. */

typedef enum
{
  ACTION_HOLD            = 1 << 0,
  ACTION_ARM_START       = 1 << 1,
  ACTION_ANNOUNCE        = 1 << 2,
  ACTION_WAKE_SLEEPERS   = 1 << 3,
  ACTION_ARM_GRACE       = 1 << 4,
  ACTION_GRACEFULLY_STOP = 1 << 5,
  ACTION_NEXT_PHASE      = 1 << 6,
  ACTION_END             = 1 << 7,
  ACTION_DROP            = 1 << 8,
} FluidLifecycleAction;

/* FINISHED is not raised by the owner: PHASE_DONE becomes it when there
 * is no phase left. */
#define FLUID_LIFECYCLE_FINISHED FLUID_LIFECYCLE_N_EVENTS

typedef struct
{
  int   next;      /* a FluidWorkerState, or -1: the state stays */
  guint actions;
} FluidTransition;

#define STAY -1

static const FluidTransition fluid_lifecycle_table[][FLUID_LIFECYCLE_N_EVENTS + 1] = {
  [FLUID_WORKER_STATE_INIT] = {
    [FLUID_LIFECYCLE_START]      = { FLUID_WORKER_STATE_RUNNING,
                                     ACTION_HOLD | ACTION_ARM_START | ACTION_ANNOUNCE },
    [FLUID_LIFECYCLE_STOP]       = { STAY, 0 },
    [FLUID_LIFECYCLE_SHUTDOWN]   = { STAY, 0 },
    [FLUID_LIFECYCLE_PHASE_DONE] = { STAY, 0 },
    [FLUID_LIFECYCLE_FINISHED]   = { STAY, 0 },
    [FLUID_LIFECYCLE_FAIL]       = { STAY, 0 },
    [FLUID_LIFECYCLE_FORCE]      = { STAY, 0 },
  },
  [FLUID_WORKER_STATE_RUNNING] = {
    [FLUID_LIFECYCLE_START]      = { STAY, 0 },
    [FLUID_LIFECYCLE_STOP]       = { FLUID_WORKER_STATE_STOPPING,
                                     ACTION_ANNOUNCE | ACTION_WAKE_SLEEPERS },
    [FLUID_LIFECYCLE_SHUTDOWN]   = { STAY, ACTION_ARM_GRACE | ACTION_GRACEFULLY_STOP },
    [FLUID_LIFECYCLE_PHASE_DONE] = { STAY, ACTION_NEXT_PHASE },
    [FLUID_LIFECYCLE_FINISHED]   = { FLUID_WORKER_STATE_STOPPED, ACTION_END },
    [FLUID_LIFECYCLE_FAIL]       = { FLUID_WORKER_STATE_STOPPED, ACTION_END },
    [FLUID_LIFECYCLE_FORCE]      = { FLUID_WORKER_STATE_FORCE_STOPPED, ACTION_END },
  },
  [FLUID_WORKER_STATE_STOPPING] = {
    [FLUID_LIFECYCLE_START]      = { STAY, 0 },
    [FLUID_LIFECYCLE_STOP]       = { STAY, 0 },
    [FLUID_LIFECYCLE_SHUTDOWN]   = { STAY, ACTION_ARM_GRACE },
    [FLUID_LIFECYCLE_PHASE_DONE] = { STAY, ACTION_NEXT_PHASE },
    [FLUID_LIFECYCLE_FINISHED]   = { FLUID_WORKER_STATE_STOPPED, ACTION_END },
    [FLUID_LIFECYCLE_FAIL]       = { FLUID_WORKER_STATE_STOPPED, ACTION_END },
    [FLUID_LIFECYCLE_FORCE]      = { FLUID_WORKER_STATE_FORCE_STOPPED, ACTION_END },
  },
  [FLUID_WORKER_STATE_STOPPED] = {
    [FLUID_LIFECYCLE_START]      = { STAY, 0 },
    [FLUID_LIFECYCLE_STOP]       = { STAY, 0 },
    [FLUID_LIFECYCLE_SHUTDOWN]   = { STAY, 0 },
    [FLUID_LIFECYCLE_PHASE_DONE] = { STAY, ACTION_DROP },
    [FLUID_LIFECYCLE_FINISHED]   = { STAY, ACTION_DROP },
    [FLUID_LIFECYCLE_FAIL]       = { STAY, ACTION_DROP },
    [FLUID_LIFECYCLE_FORCE]      = { STAY, 0 },
  },
  [FLUID_WORKER_STATE_FORCE_STOPPED] = {
    [FLUID_LIFECYCLE_START]      = { STAY, 0 },
    [FLUID_LIFECYCLE_STOP]       = { STAY, 0 },
    [FLUID_LIFECYCLE_SHUTDOWN]   = { STAY, 0 },
    [FLUID_LIFECYCLE_PHASE_DONE] = { STAY, ACTION_DROP },
    [FLUID_LIFECYCLE_FINISHED]   = { STAY, ACTION_DROP },
    [FLUID_LIFECYCLE_FAIL]       = { STAY, ACTION_DROP },
    [FLUID_LIFECYCLE_FORCE]      = { STAY, 0 },
  },
};

/* An event waiting for the change being told. */
typedef struct
{
  GList   link;
  int     event;
  gpointer data;
} FluidLifecycleDeferred;

static const char *const fluid_lifecycle_phase_names[] = {
  [FLUID_LIFECYCLE_PHASE_NONE]        = "nothing",
  [FLUID_LIFECYCLE_PHASE_PENDING]     = "the start",
  [FLUID_LIFECYCLE_PHASE_ON_STARTUP]  = "on_startup",
  [FLUID_LIFECYCLE_PHASE_RUN]         = "run",
  [FLUID_LIFECYCLE_PHASE_ON_SHUTDOWN] = "on_shutdown",
};

static void fluid_lifecycle_apply  (FluidLifecycle *self,
                                    int             event,
                                    gpointer        data);
static void fluid_lifecycle_timer_cb (gpointer user_data);

void
fluid_lifecycle_init (FluidLifecycle *self,
                      FluidWorker    *owner)
{
  self->owner = owner;
  g_mutex_init (&self->lock);
  self->state = FLUID_WORKER_STATE_INIT;
  self->exit_code = -1;
  fluid_timer_init (&self->timer, fluid_lifecycle_timer_cb, self);
}

static inline GPtrArray *
fluid_lifecycle_observer_array (FluidLifecycle *self)
{
  guintptr observers = (guintptr) self->observers;

  return (observers & 1) != 0 ? (GPtrArray *) (observers & ~(guintptr) 1) : NULL;
}

/* From the owner's finalize: nothing waits any more. */
void
fluid_lifecycle_clear (FluidLifecycle *self)
{
  GPtrArray *array = fluid_lifecycle_observer_array (self);

  g_assert (self->waiters.length == 0);
  g_assert (self->sleepers.length == 0);
  g_assert (self->deferred == NULL);
  g_assert (!fluid_timer_is_armed (&self->timer));

  if (array != NULL)
    g_ptr_array_unref (array);
  else if (self->observers != NULL)
    fluid_observer_unref (self->observers);
  self->observers = NULL;
  g_free (self->stop_reason);
  g_clear_error (&self->error);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->thread, g_thread_unref);
  g_clear_pointer (&self->clock, fluid_clock_unref);
  g_mutex_clear (&self->lock);
}

/* The table */

FluidWorkerState
fluid_lifecycle_next_state (FluidWorkerState    state,
                            FluidLifecycleEvent event,
                            FluidLifecyclePhase phase)
{
  const FluidTransition *transition = &fluid_lifecycle_table[state][event];

  if (event == FLUID_LIFECYCLE_PHASE_DONE && phase == FLUID_LIFECYCLE_PHASE_ON_SHUTDOWN)
    transition = &fluid_lifecycle_table[state][FLUID_LIFECYCLE_FINISHED];
  return transition->next == STAY ? state : (FluidWorkerState) transition->next;
}

/* The phase after the current one, skipping the hooks the class left as
 * they are (which spares a GTask and a main-loop iteration per worker:
 * groups start thousands); NONE when the worker has done everything. */
static FluidLifecyclePhase
fluid_lifecycle_following_phase (FluidLifecycle *self)
{
  FluidWorkerClass *klass = FLUID_WORKER_GET_CLASS (self->owner);
  FluidWorkerClass *base = g_type_class_peek (FLUID_TYPE_WORKER);

  switch (self->phase)
    {
    case FLUID_LIFECYCLE_PHASE_PENDING:
      if (klass->on_startup_async != base->on_startup_async)
        return FLUID_LIFECYCLE_PHASE_ON_STARTUP;
      return FLUID_LIFECYCLE_PHASE_RUN;
    case FLUID_LIFECYCLE_PHASE_ON_STARTUP:
      return FLUID_LIFECYCLE_PHASE_RUN;
    case FLUID_LIFECYCLE_PHASE_RUN:
      if (klass->on_shutdown_async != base->on_shutdown_async)
        return FLUID_LIFECYCLE_PHASE_ON_SHUTDOWN;
      return FLUID_LIFECYCLE_PHASE_NONE;
    case FLUID_LIFECYCLE_PHASE_NONE:
    case FLUID_LIFECYCLE_PHASE_ON_SHUTDOWN:
    default:
      return FLUID_LIFECYCLE_PHASE_NONE;
    }
}

/* Telling a change of state */

static void
fluid_lifecycle_defer (FluidLifecycle *self,
                       int             event,
                       gpointer        data)
{
  FluidLifecycleDeferred *deferred = g_new0 (FluidLifecycleDeferred, 1);

  deferred->link.data = deferred;
  deferred->event = event;
  deferred->data = data;
  if (self->deferred == NULL)
    self->deferred = g_queue_new ();
  g_queue_push_tail_link (self->deferred, &deferred->link);
}

/* Tells @self's own observers (@own) or the others of @state. */
static void
fluid_lifecycle_tell_observers (FluidLifecycle   *self,
                                FluidWorkerState  state,
                                gboolean          own)
{
  FluidObserver *few[4];
  FluidObserver **observers = few;
  GPtrArray *array;
  guint n_all, n_observers = 0;

  /* A copy: an observer may add or remove observers. */
  fluid_mutex_lock (&self->lock);
  array = fluid_lifecycle_observer_array (self);
  n_all = array != NULL ? array->len : self->observers != NULL;
  if (n_all > G_N_ELEMENTS (few))
    observers = g_new (FluidObserver *, n_all);
  for (guint i = 0; i < n_all; i++)
    {
      FluidObserver *observer = array != NULL ? g_ptr_array_index (array, i) : self->observers;

      if (fluid_observer_has_context (observer) != own)
        observers[n_observers++] = fluid_observer_ref (observer);
    }
  fluid_mutex_unlock (&self->lock);

  for (guint i = 0; i < n_observers; i++)
    {
      fluid_observer_notify (observers[i], G_OBJECT (self->owner), self->context, state);
      fluid_observer_unref (observers[i]);
    }
  if (observers != few)
    g_free (observers);
}

static void
fluid_lifecycle_return_outcome (FluidLifecycle *self,
                                GTask          *task)
{
  if (self->error != NULL)
    g_task_return_error (task, g_error_copy (self->error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
fluid_lifecycle_return_waiter (FluidPending *pending,
                               gboolean      value,
                               GError       *error)
{
  if (error != NULL)
    g_task_return_error (pending->task, error);
  else
    fluid_lifecycle_return_outcome (pending->data, pending->task);
}

static void
fluid_lifecycle_complete_waiters_cb (GObject  *subject,
                                     guint     event,
                                     gpointer  user_data)
{
  FluidLifecycle *self = user_data;

  fluid_pending_queue_complete (&self->waiters, TRUE, NULL);
}

/* Completes the waits for the end once every observer told of the end on
 * this thread has run, even those queued behind a delivery further up the
 * stack: a consumer's final counts are in before its shutdown completes. */
static void
fluid_lifecycle_complete_waiters (FluidLifecycle   *self,
                                  FluidWorkerState  state)
{
  FluidObserver *observer;

  if (self->waiters.length == 0)
    return;
  if (!fluid_observer_is_delivering ())
    {
      fluid_pending_queue_complete (&self->waiters, TRUE, NULL);
      return;
    }

  observer = fluid_observer_new (NULL, FLUID_OBSERVER_ALL_EVENTS,
                                 fluid_lifecycle_complete_waiters_cb, self);
  fluid_observer_notify (observer, G_OBJECT (self->owner), self->context, state);
  fluid_observer_unref (observer);
}

static char *
fluid_lifecycle_describe_end (FluidLifecycle *self,
                              int             exit_code)
{
  if (self->error != NULL)
    return g_strdup (self->error->message);
  if (self->stop_reason != NULL &&
      (exit_code == FLUID_EXIT_CODE_NORMAL || self->reason_when_forced))
    return g_strdup (self->stop_reason);
  if (exit_code == FLUID_EXIT_CODE_FORCED)
    return g_strdup ("forced shutdown");
  return g_strdup ("normal shutdown");
}

/* The outcome of an end reached by @event, with @error (taken) for FAIL. */
static void
fluid_lifecycle_set_outcome (FluidLifecycle *self,
                             int             event,
                             GError         *error)
{
  int exit_code = event == FLUID_LIFECYCLE_FORCE ? FLUID_EXIT_CODE_FORCED
                : event == FLUID_LIFECYCLE_FAIL ? FLUID_EXIT_CODE_ERROR
                : FLUID_EXIT_CODE_NORMAL;
  char *reason;

  self->error = error;
  reason = fluid_lifecycle_describe_end (self, exit_code);
  g_free (self->stop_reason);
  self->stop_reason = reason;
  self->exit_code = exit_code;
  self->outcome_told = TRUE;
}

/* The sleeps end with the worker: cancelled when it was forced. */
static void
fluid_lifecycle_end_sleepers (FluidLifecycle *self)
{
  if (self->exit_code == FLUID_EXIT_CODE_FORCED)
    {
      g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                         "The worker was forced to stop");

      fluid_pending_queue_complete (&self->sleepers, FALSE, cancelled);
    }
  else
    fluid_pending_queue_complete (&self->sleepers, FALSE, NULL);
}

/* The lifecycle events of fluid-log-private.h: a start, a stop asked
 * for, a stop, a failure. */
static void
fluid_lifecycle_log_change (FluidLifecycle   *self,
                            FluidWorkerState  state)
{
  const char *name = fluid_worker_get_name (self->owner);

  switch (state)
    {
    case FLUID_WORKER_STATE_RUNNING:
      fluid_log_event (FLUID_LOG_EVENT_STARTED, name, state, -1, NULL, "started running");
      break;
    case FLUID_WORKER_STATE_STOPPING:
      fluid_log_event (FLUID_LOG_EVENT_STOPPING, name, state, -1, NULL, "stopping");
      break;
    case FLUID_WORKER_STATE_STOPPED:
    case FLUID_WORKER_STATE_FORCE_STOPPED:
      if (self->exit_code == FLUID_EXIT_CODE_FORCED)
        fluid_log_worker (name, G_LOG_LEVEL_INFO, "forced shutdown");
      fluid_log_event (self->exit_code == FLUID_EXIT_CODE_ERROR ? FLUID_LOG_EVENT_FAILED
                                                                : FLUID_LOG_EVENT_STOPPED,
                       name, state, self->exit_code, self->stop_reason,
                       "stopped running: %s", self->stop_reason);
      break;
    case FLUID_WORKER_STATE_INIT:
    default:
      break;
    }
}

/* Stores @state and tells it, in the order of the opening comment; then
 * applies the events raised meanwhile. */
static void
fluid_lifecycle_announce (FluidLifecycle   *self,
                          FluidWorkerState  state,
                          guint             actions)
{
  gboolean final = (actions & ACTION_END) != 0;
  int outer_depth = self->announce_depth;

  self->announcing++;
  self->announce_depth = g_main_depth ();

  fluid_mutex_lock (&self->lock);
  g_atomic_int_set ((int *) &self->state, state);
  fluid_mutex_unlock (&self->lock);

  fluid_lifecycle_tell_observers (self, state, TRUE);
  fluid_worker_notify_state (self->owner, state);
  fluid_lifecycle_log_change (self, state);
  if (final)
    {
      fluid_worker_ended (self->owner, self->exit_code);
      fluid_lifecycle_end_sleepers (self);
    }
  if (actions & ACTION_WAKE_SLEEPERS)
    fluid_pending_queue_wake_soon (&self->sleepers);
  fluid_worker_emit_state (self->owner, state);
  fluid_lifecycle_tell_observers (self, state, FALSE);
  if (final)
    fluid_lifecycle_complete_waiters (self, state);

  self->announce_depth = outer_depth;
  if (--self->announcing > 0)
    return;
  while (self->deferred != NULL)
    {
      FluidLifecycleDeferred *deferred = g_queue_pop_head_link (self->deferred)->data;
      int event = deferred->event;
      gpointer data = deferred->data;

      g_free (deferred);
      if (self->deferred->length == 0)
        g_clear_pointer (&self->deferred, g_queue_free);
      fluid_lifecycle_apply (self, event, data);
    }
}

/* The phases */

void
fluid_lifecycle_phase_done (FluidLifecycle *self,
                            gboolean        ok,
                            GError         *error)
{
  if (ok)
    {
      g_clear_error (&error);
      fluid_lifecycle_dispatch (self, FLUID_LIFECYCLE_PHASE_DONE, NULL);
      return;
    }
  if (error == NULL)
    error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED, "%s failed without an error",
                         fluid_lifecycle_phase_names[self->phase]);
  fluid_lifecycle_dispatch (self, FLUID_LIFECYCLE_FAIL, error);
}

static void
fluid_lifecycle_on_startup_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(FluidWorker) self = user_data;
  GError *error = NULL;
  gboolean ok = FLUID_WORKER_GET_CLASS (self)->on_startup_finish (self, result, &error);

  fluid_lifecycle_phase_done (fluid_worker_get_lifecycle (self), ok, error);
}

static void
fluid_lifecycle_run_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(FluidWorker) self = user_data;
  GError *error = NULL;
  gboolean ok = FLUID_WORKER_GET_CLASS (self)->run_finish (self, result, &error);

  fluid_lifecycle_phase_done (fluid_worker_get_lifecycle (self), ok, error);
}

static void
fluid_lifecycle_on_shutdown_cb (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(FluidWorker) self = user_data;
  GError *error = NULL;
  gboolean ok = FLUID_WORKER_GET_CLASS (self)->on_shutdown_finish (self, result, &error);

  fluid_lifecycle_phase_done (fluid_worker_get_lifecycle (self), ok, error);
}

/* Begins the next phase; each holds a reference on the worker until it
 * completes, since a forced stop drops the lifecycle's own while the phase
 * may still be on the stack. */
static void
fluid_lifecycle_begin_next_phase (FluidLifecycle *self)
{
  FluidWorker *owner = self->owner;
  FluidWorkerClass *klass = FLUID_WORKER_GET_CLASS (owner);

  self->phase = fluid_lifecycle_following_phase (self);
  switch (self->phase)
    {
    case FLUID_LIFECYCLE_PHASE_ON_STARTUP:
      klass->on_startup_async (owner, fluid_worker_get_cancellable (owner),
                               fluid_lifecycle_on_startup_cb, g_object_ref (owner));
      break;

    case FLUID_LIFECYCLE_PHASE_RUN:
      g_object_ref (owner);
      fluid_worker_begin_run (owner, fluid_lifecycle_run_cb);
      break;

    case FLUID_LIFECYCLE_PHASE_ON_SHUTDOWN:
      klass->on_shutdown_async (owner, fluid_worker_get_cancellable (owner),
                                fluid_lifecycle_on_shutdown_cb, g_object_ref (owner));
      break;

    case FLUID_LIFECYCLE_PHASE_NONE:
    case FLUID_LIFECYCLE_PHASE_PENDING:
    default:
      g_assert_not_reached ();
    }
}

/* A phase that completed once the worker had ended. */
static void
fluid_lifecycle_drop (FluidLifecycle *self,
                      int             event,
                      GError         *error)
{
  const char *phase = fluid_lifecycle_phase_names[self->phase];

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    fluid_log_worker (fluid_worker_get_name (self->owner), G_LOG_LEVEL_DEBUG, "%s was cancelled by the forced shutdown", phase);
  else if (event == FLUID_LIFECYCLE_FAIL && error != NULL)
    fluid_log_worker (fluid_worker_get_name (self->owner), G_LOG_LEVEL_INFO, "%s failed after the worker stopped (%s); dropped",
                      phase, error->message);
  else
    fluid_log_worker (fluid_worker_get_name (self->owner), G_LOG_LEVEL_INFO,
                      "%s completed after the worker stopped; result dropped", phase);
  g_clear_error (&error);
}

/* The timer */

/* The clock of @context, which is the worker's own but for sleeps made
 * before startup or on another thread-default context. Borrowed: the
 * worker keeps the last one it used. */
FluidClock *
fluid_lifecycle_get_clock (FluidLifecycle *self,
                           GMainContext   *context)
{
  if (self->clock == NULL || fluid_clock_get_context (self->clock) != context ||
      !fluid_clock_is_attached (self->clock))
    {
      FluidClock *clock = fluid_clock_get (context);

      g_clear_pointer (&self->clock, fluid_clock_unref);
      self->clock = clock;
    }
  return self->clock;
}

/* The start fired (the first dispatch of the context after startup), or
 * the grace period ran out. */
static void
fluid_lifecycle_timer_cb (gpointer user_data)
{
  FluidLifecycle *self = user_data;

  if (self->phase != FLUID_LIFECYCLE_PHASE_PENDING)
    {
      fluid_lifecycle_dispatch (self, FLUID_LIFECYCLE_FORCE, NULL);
      return;
    }
  if (self->grace_deadline != 0)
    fluid_timer_arm (&self->timer, fluid_lifecycle_get_clock (self, self->context),
                     self->grace_deadline);
  fluid_lifecycle_dispatch (self, FLUID_LIFECYCLE_PHASE_DONE, NULL);
}

/* The worker holds itself alive until it ends, and its end disarms the
 * timer, so the timer needs no reference of its own. While the start is
 * pending, the timer takes the grace period up once it fired. */
static void
fluid_lifecycle_arm_grace (FluidLifecycle *self)
{
  if (self->grace_deadline != 0)
    return;
  self->grace_deadline = fluid_deadline_in (fluid_worker_get_stopping_grace_period (self->owner));
  if (self->phase != FLUID_LIFECYCLE_PHASE_PENDING)
    fluid_timer_arm (&self->timer, fluid_lifecycle_get_clock (self, self->context),
                     self->grace_deadline);
}

static void
fluid_lifecycle_arm_start (FluidLifecycle *self)
{
  GMainContext *context = g_main_context_ref_thread_default ();

  g_atomic_pointer_set (&self->thread, g_thread_ref (g_thread_self ()));
  g_atomic_pointer_set (&self->context, context);
  self->phase = FLUID_LIFECYCLE_PHASE_PENDING;
  fluid_timer_arm (&self->timer, fluid_lifecycle_get_clock (self, context), 0);
}

/* Applying the table */

static void
fluid_lifecycle_apply (FluidLifecycle *self,
                       int             event,
                       gpointer        data)
{
  FluidWorkerState state = fluid_lifecycle_get_state (self);
  const FluidTransition *transition;
  FluidWorkerState next;

  if (event == FLUID_LIFECYCLE_PHASE_DONE && state != FLUID_WORKER_STATE_INIT &&
      !fluid_worker_is_stopped (self->owner) &&
      fluid_lifecycle_following_phase (self) == FLUID_LIFECYCLE_PHASE_NONE)
    event = FLUID_LIFECYCLE_FINISHED;
  transition = &fluid_lifecycle_table[state][event];
  next = transition->next == STAY ? state : (FluidWorkerState) transition->next;

  if (transition->actions & ACTION_DROP)
    {
      fluid_lifecycle_drop (self, event, event == FLUID_LIFECYCLE_FAIL ? data : NULL);
      return;
    }
  if (event == FLUID_LIFECYCLE_FAIL && !(transition->actions & ACTION_END))
    g_clear_error ((GError **) &data);
  if (event == FLUID_LIFECYCLE_START && data != NULL && next == state)
    g_object_unref (data);

  if (transition->actions & ACTION_HOLD)
    g_object_ref (self->owner);
  if (transition->actions & ACTION_ARM_START)
    fluid_lifecycle_arm_start (self);
  if (transition->actions & ACTION_ARM_GRACE)
    fluid_lifecycle_arm_grace (self);
  if (transition->actions & ACTION_END)
    {
      fluid_timer_disarm (&self->timer);
      fluid_lifecycle_set_outcome (self, event, event == FLUID_LIFECYCLE_FAIL ? data : NULL);
    }

  if (transition->actions & ACTION_ANNOUNCE || transition->actions & ACTION_END)
    fluid_lifecycle_announce (self, next, transition->actions);

  if (event == FLUID_LIFECYCLE_START && data != NULL && next != state)
    {
      /* Completed once the state is RUNNING, never inside the call: a
       * GTask returned in the iteration that made it completes from an
       * idle. */
      g_task_return_boolean (data, TRUE);
      g_object_unref (data);
    }
  if (transition->actions & ACTION_GRACEFULLY_STOP)
    {
      FluidWorker *owner = g_object_ref (self->owner);

      FLUID_WORKER_GET_CLASS (owner)->gracefully_stop (owner);
      g_object_unref (owner);
    }
  if (transition->actions & ACTION_NEXT_PHASE)
    fluid_lifecycle_begin_next_phase (self);
  if (transition->actions & ACTION_END)
    g_object_unref (self->owner);    /* the reference of ACTION_HOLD; @self may go */
}

/* Whether @event must wait for the change being told: when it would
 * change the state itself, or when events wait already (they keep their
 * order). Not from a nested main loop run by a handler of that change:
 * that handler is waiting, maybe for the very change it asks for. */
static gboolean
fluid_lifecycle_must_defer (FluidLifecycle *self,
                            int             event)
{
  FluidWorkerState state;

  if (self->announcing == 0 || g_main_depth () > self->announce_depth)
    return FALSE;
  if (self->deferred != NULL)
    return TRUE;
  state = fluid_lifecycle_get_state (self);
  return fluid_lifecycle_table[state][event].next != STAY ||
         (event == FLUID_LIFECYCLE_PHASE_DONE &&
          fluid_lifecycle_following_phase (self) == FLUID_LIFECYCLE_PHASE_NONE);
}

/* The one function that moves a lifecycle: @event is applied now, or once
 * the change of state being told has been told (see the opening comment).
 * @data goes with the event: the startup's GTask for START (taken; may be
 * NULL), the GError for FAIL (taken). */
void
fluid_lifecycle_dispatch (FluidLifecycle      *self,
                          FluidLifecycleEvent  event,
                          gpointer             data)
{
  if (fluid_lifecycle_must_defer (self, event))
    fluid_lifecycle_defer (self, event, data);
  else
    fluid_lifecycle_apply (self, event, data);
}

/* The outcome */

int
fluid_lifecycle_get_exit_code (FluidLifecycle *self)
{
  return self->outcome_told ? self->exit_code : -1;
}

const char *
fluid_lifecycle_get_stop_reason (FluidLifecycle *self)
{
  return self->outcome_told ? self->stop_reason : NULL;
}

gboolean
fluid_lifecycle_ended_abnormally (FluidLifecycle *self)
{
  return self->outcome_told && self->exit_code != FLUID_EXIT_CODE_NORMAL;
}

/* The reason a normal end gives (and a forced one, with @when_forced),
 * rather than "normal shutdown": a group stopped by its child, a worker
 * shut down by its watchdog. Before the end. */
void
fluid_lifecycle_set_stop_reason (FluidLifecycle *self,
                                 const char     *reason,
                                 gboolean        when_forced)
{
  if (self->outcome_told)
    return;
  g_free (self->stop_reason);
  self->stop_reason = g_strdup (reason);
  self->reason_when_forced = !!when_forced;
}

GMainContext *
fluid_lifecycle_get_context (FluidLifecycle *self)
{
  return g_atomic_pointer_get (&self->context);
}

/* Running code on the worker's context */

typedef struct
{
  FluidWorker     *worker;
  void           (* func) (FluidWorker *worker,
                           gpointer     data);
  gpointer         data;
  GDestroyNotify   destroy;
  /* Set last, with a barrier, read first on the worker's thread: GLib's
   * own locks order the two threads too, but sanitizers do not see them. */
  gpointer         published;
} FluidLifecycleInvocation;

static void
fluid_lifecycle_invocation_free (gpointer user_data)
{
  FluidLifecycleInvocation *invocation =
    g_atomic_pointer_get (&((FluidLifecycleInvocation *) user_data)->published);

  if (invocation->destroy != NULL)
    invocation->destroy (invocation->data);
  g_object_unref (invocation->worker);
  g_free (invocation);
}

static gboolean
fluid_lifecycle_invocation_cb (gpointer user_data)
{
  FluidLifecycleInvocation *invocation =
    g_atomic_pointer_get (&((FluidLifecycleInvocation *) user_data)->published);

  invocation->func (invocation->worker, invocation->data);
  return G_SOURCE_REMOVE;
}

void
fluid_lifecycle_invoke (FluidLifecycle  *self,
                        void           (* func) (FluidWorker *worker,
                                                 gpointer     data),
                        gpointer         data,
                        GDestroyNotify   destroy)
{
  GMainContext *context = g_atomic_pointer_get (&self->context);
  FluidLifecycleInvocation *invocation;
  GSource *source;

  if (context == NULL)
    goto done;

  /* Not g_main_context_invoke(): another thread whose default context is
   * the worker's (the global default) would acquire it and run the call,
   * and the signals of the change of state, on itself. */
  if (g_main_context_is_owner (context))
    {
      func (self->owner, data);
      goto done;
    }
  if (g_atomic_pointer_get (&self->thread) == g_thread_self () &&
      g_main_context_acquire (context))
    {
      func (self->owner, data);
      g_main_context_release (context);
      goto done;
    }

  invocation = g_new0 (FluidLifecycleInvocation, 1);
  invocation->worker = g_object_ref (self->owner);
  invocation->func = func;
  invocation->data = data;
  invocation->destroy = destroy;
  g_atomic_pointer_set (&invocation->published, invocation);

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, fluid_lifecycle_invocation_cb, invocation,
                         fluid_lifecycle_invocation_free);
  g_source_set_static_name (source, "[fluid] worker call");
  g_source_attach (source, context);
  g_source_unref (source);
  return;

done:
  if (destroy != NULL)
    destroy (data);
}

/* Waits and sleeps */

void
fluid_lifecycle_add_waiter (FluidLifecycle *self,
                            GTask          *task,
                            GCancellable   *cancellable)
{
  FluidWorkerState state = fluid_lifecycle_get_state (self);

  if (state == FLUID_WORKER_STATE_INIT)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
  else if (state == FLUID_WORKER_STATE_STOPPED || state == FLUID_WORKER_STATE_FORCE_STOPPED)
    {
      fluid_lifecycle_return_outcome (self, task);
      g_object_unref (task);
    }
  else
    fluid_pending_add (&self->waiters, sizeof (FluidPending), task, cancellable,
                       g_task_get_context (task), fluid_lifecycle_return_waiter, self);
}

gpointer
fluid_lifecycle_add_sleeper (FluidLifecycle *self,
                             gsize           size,
                             GCancellable   *cancellable,
                             GMainContext   *context,
                             gpointer        complete,
                             gpointer        data)
{
  return fluid_pending_add (&self->sleepers, size, NULL, cancellable, context,
                            (FluidPendingFunc) complete, data);
}

void
fluid_lifecycle_cancel_own_sleepers (FluidLifecycle *self)
{
  GList *l = self->sleepers.head;

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

/* Observers */

/* Adds @observer, which may watch other workers too (a group's, shared by
 * its children), and returns in @out_state the state it starts from. Any
 * thread. */
void
fluid_lifecycle_add_observer (FluidLifecycle   *self,
                              FluidObserver    *observer,
                              FluidWorkerState *out_state)
{
  fluid_observer_ref (observer);
  fluid_mutex_lock (&self->lock);
  if (self->observers == NULL)
    self->observers = observer;
  else
    {
      GPtrArray *array = fluid_lifecycle_observer_array (self);

      if (array == NULL)
        {
          array = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_observer_unref);
          g_ptr_array_add (array, self->observers);
          self->observers = (gpointer) ((guintptr) array | 1);
        }
      g_ptr_array_add (array, observer);
    }
  if (out_state != NULL)
    *out_state = fluid_lifecycle_get_state (self);
  fluid_mutex_unlock (&self->lock);
}

/* Removes @observer without cancelling it: events already on their way
 * still arrive. Any thread. */
void
fluid_lifecycle_remove_observer (FluidLifecycle *self,
                                 FluidObserver  *observer)
{
  fluid_mutex_lock (&self->lock);
  if (self->observers == (gpointer) observer)
    {
      self->observers = NULL;
      fluid_observer_unref (observer);
    }
  else if (fluid_lifecycle_observer_array (self) != NULL)
    g_ptr_array_remove_fast (fluid_lifecycle_observer_array (self), observer);
  fluid_mutex_unlock (&self->lock);
}
