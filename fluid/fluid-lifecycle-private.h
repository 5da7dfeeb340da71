/* fluid-lifecycle-private.h: the engine that runs a worker's lifecycle
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FluidWorker (fluid-worker.c) embeds one FluidLifecycle; only its own
 * files (fluid-worker*.c) include this header: the rest of the library
 * follows a lifecycle through fluid-worker-private.h. See fluid-lifecycle.c for the
 * table of transitions and the threading contract.
 */

#pragma once

#include "fluid-worker.h"
#include "fluid-clock-private.h"
#include "fluid-observer-private.h"

G_BEGIN_DECLS

/* What can happen to a lifecycle; see the table in fluid-lifecycle.c. */
typedef enum
{
  FLUID_LIFECYCLE_START,       /* startup was asked for */
  FLUID_LIFECYCLE_STOP,        /* the default gracefully_stop: RUNNING → STOPPING */
  FLUID_LIFECYCLE_SHUTDOWN,    /* a graceful stop, forced after the grace period */
  FLUID_LIFECYCLE_PHASE_DONE,  /* the phase under way completed successfully */
  FLUID_LIFECYCLE_FAIL,        /* a phase failed, or fluid_worker_fail() */
  FLUID_LIFECYCLE_FORCE,       /* the grace period ran out, or a forced stop */
  FLUID_LIFECYCLE_N_EVENTS
} FluidLifecycleEvent;

/* The phases of a worker that runs, in order: the start waits for the
 * first dispatch of the context after startup, then on_startup, run and
 * on_shutdown are called in turn. Orthogonal to the state: a graceful
 * stop moves RUNNING to STOPPING in any phase. */
typedef enum
{
  FLUID_LIFECYCLE_PHASE_NONE,
  FLUID_LIFECYCLE_PHASE_PENDING,
  FLUID_LIFECYCLE_PHASE_ON_STARTUP,
  FLUID_LIFECYCLE_PHASE_RUN,
  FLUID_LIFECYCLE_PHASE_ON_SHUTDOWN,
} FluidLifecyclePhase;


/* Every field belongs to fluid-lifecycle.c. Threads: unless said
 * otherwise, a field belongs to the thread that iterates the worker's
 * context once it has started, and to the thread that owns the worker
 * before that. */
typedef struct
{
  FluidWorker                *owner;       /* not a reference: the owner embeds it */

  /* @lock guards @observers; @state is written under it (so that an
   * observer added under it knows the state it starts from) and read
   * with atomics from any thread. Nothing is called with it held. */
  GMutex                      lock;
  FluidWorkerState            state;
  /* NULL, one FluidObserver (a worker in a group has its group's), or a
   * GPtrArray of them with the pointer's lowest bit set. */
  gpointer                    observers;

  FluidLifecyclePhase         phase;
  /* The events raised while a change of state was being told, applied
   * in order once it has been (a GQueue of FluidLifecycleDeferred, made
   * when first needed: few workers ever have one). */
  GQueue                     *deferred;
  guint16                     announcing;
  gint16                      announce_depth;

  /* The outcome: @exit_code -1 and @stop_reason the reason a normal (or,
   * with @reason_when_forced, a forced) end will give, until the end is
   * told; then constant. */
  int                         exit_code;
  char                       *stop_reason;
  GError                     *error;
  guint                       outcome_told : 1;
  guint                       reason_when_forced : 1;

  /* Set once on startup, then read from any thread with atomics. */
  GMainContext               *context;
  GThread                    *thread;

  /* One timer for two uses: the start, at the next dispatch after
   * startup, then the grace period (@grace_deadline, 0 until a shutdown
   * asks for one), armed once the start has fired. One timer, not two: a
   * group holds thousands of workers. */
  FluidClock                 *clock;
  FluidTimer                  timer;
  gint64                      grace_deadline;

  /* Waits for the end (fluid_worker_wait_for_shutdown_async() and
   * shutdown), and sleeps that a stop ends (FluidPending). */
  GQueue                      waiters;
  GQueue                      sleepers;
} FluidLifecycle;

void             fluid_lifecycle_init         (FluidLifecycle             *self,
                                               FluidWorker                *owner);
void             fluid_lifecycle_clear        (FluidLifecycle             *self);

/* The one way a lifecycle moves: applies @event now, or once the change
 * of state being told is told. @data (taken) goes with the event: the
 * startup's GTask for START (or NULL), the GError for FAIL. On the
 * worker's context (START: on the thread that starts it). */
void             fluid_lifecycle_dispatch     (FluidLifecycle             *self,
                                               FluidLifecycleEvent         event,
                                               gpointer                    data);

/* A phase ended: PHASE_DONE when @ok, else FAIL with @error (taken; made
 * when NULL). */
void             fluid_lifecycle_phase_done   (FluidLifecycle             *self,
                                               gboolean                    ok,
                                               GError                     *error);

/* What FluidWorker's own files (fluid-worker*.c) share, from
 * fluid-worker.c: the lifecycle of @worker, and the call of the hook its
 * class attached for stop requests (fluid_worker_class_set_stop_hook()). */
FluidLifecycle  *fluid_worker_get_lifecycle   (FluidWorker                *worker);
void             fluid_worker_call_stop_hook  (FluidWorker                *worker);

/* What the owner does when the state changes, in this order (see
 * fluid-lifecycle.c): notify the state (and, for a final state, exit-code
 * and stop-reason before it); for a final state, cancel what run and the
 * hooks still wait for; emit the state's signal. And the run phase,
 * which ends with @done (for run_async) or fluid_lifecycle_phase_done().
 * From fluid-worker.c. */
void             fluid_worker_notify_state    (FluidWorker                *worker,
                                               FluidWorkerState            state);
void             fluid_worker_ended           (FluidWorker                *worker,
                                               int                         exit_code);
void             fluid_worker_emit_state      (FluidWorker                *worker,
                                               FluidWorkerState            state);
void             fluid_worker_begin_run       (FluidWorker                *worker,
                                               GAsyncReadyCallback         done);

static inline FluidWorkerState
fluid_lifecycle_get_state (FluidLifecycle *self)
{
  return (FluidWorkerState) g_atomic_int_get ((int *) &self->state);
}

/* -1 until the end was told. */
int              fluid_lifecycle_get_exit_code   (FluidLifecycle *self);
/* NULL until the end was told. */
const char      *fluid_lifecycle_get_stop_reason (FluidLifecycle *self);
/* Whether the worker ended forced or failed: its cancellable starts
 * cancelled. */
gboolean         fluid_lifecycle_ended_abnormally (FluidLifecycle *self);
void             fluid_lifecycle_set_stop_reason (FluidLifecycle *self,
                                                  const char     *reason,
                                                  gboolean        when_forced);

GMainContext    *fluid_lifecycle_get_context  (FluidLifecycle             *self);
FluidClock      *fluid_lifecycle_get_clock    (FluidLifecycle             *self,
                                               GMainContext               *context);

/* Calls @func on the worker's context: at once on the thread that
 * iterates it, else from its next dispatch; drops it (freeing @data) for
 * a worker that has not started. Any thread. */
void             fluid_lifecycle_invoke       (FluidLifecycle             *self,
                                               void                      (* func) (FluidWorker *worker,
                                                                                   gpointer     data),
                                               gpointer                    data,
                                               GDestroyNotify              destroy);

/* @task (taken) completes with the outcome once the worker has ended; at
 * once for a worker that never started or has ended. */
void             fluid_lifecycle_add_waiter   (FluidLifecycle             *self,
                                               GTask                      *task,
                                               GCancellable               *cancellable);
/* A sleep of @size bytes (at least a FluidPending) that the worker's end
 * completes, and its graceful stop wakes. */
gpointer         fluid_lifecycle_add_sleeper  (FluidLifecycle             *self,
                                               gsize                       size,
                                               GCancellable               *cancellable,
                                               GMainContext               *context,
                                               gpointer                    complete,
                                               gpointer                    data);
/* The worker's own cancellable was cancelled: the sleeps given it end, at
 * the next dispatch. */
void             fluid_lifecycle_cancel_own_sleepers (FluidLifecycle   *self);

void             fluid_lifecycle_add_observer    (FluidLifecycle   *self,
                                                  FluidObserver    *observer,
                                                  FluidWorkerState *out_state);
void             fluid_lifecycle_remove_observer (FluidLifecycle   *self,
                                                  FluidObserver    *observer);

/* The table, for the tests: the state @event leads to from @state, in
 * @phase (the completion of on_shutdown ends the worker). */
FluidWorkerState fluid_lifecycle_next_state   (FluidWorkerState            state,
                                               FluidLifecycleEvent         event,
                                               FluidLifecyclePhase         phase);

G_END_DECLS
