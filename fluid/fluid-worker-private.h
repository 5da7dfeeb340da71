/* fluid-worker-private.h: what the library's own classes may ask of a worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one interface between FluidWorker and what is built on it (consumers,
 * groups, the watchdog, D-Bus, run_main, the threaded workers): they follow
 * a worker through observers and these calls, and attach to its class
 * through the class data below, never through its private struct.
 */

#pragma once

#include "fluid-worker.h"
#include "fluid-observer-private.h"

G_BEGIN_DECLS

/* The context the worker runs on, or NULL before startup. Any thread. */
GMainContext  *fluid_worker_get_context      (FluidWorker *self);
/* Whether the calling thread is the worker's context's: the one that
 * iterates it now, or the one that started the worker. FALSE before
 * startup. Any thread. */
gboolean       fluid_worker_is_on_context    (FluidWorker *self);

/* Logs "NAME message" in the Fluid domain, structured, with the field
 * FLUID_WORKER; not even formatted when the default writer would drop it. */
void           fluid_worker_log              (FluidWorker    *self,
                                              GLogLevelFlags  level,
                                              const char     *format,
                                              ...) G_GNUC_PRINTF (3, 4);

/* The reason a normal shutdown reports instead of "normal shutdown", for a
 * worker that stops for a cause of its own (a group stopped by its
 * child). On the worker's context, before it ends. */
void           fluid_worker_set_stop_reason  (FluidWorker *self,
                                              const char  *reason);
/* The name of @self is fixed from now on: it is in a group, or exported. */
void           fluid_worker_fix_name         (FluidWorker *self);

/* Starts a worker in INIT as fluid_worker_startup_async() does, without a
 * task to complete: for groups that start thousands of children. */
void           fluid_worker_start            (FluidWorker *self);
/* Asks for a graceful stop and arms the grace period, as
 * fluid_worker_shutdown_async() does, without a task. Any thread. */
void           fluid_worker_request_shutdown (FluidWorker *self);
/* The same with @reason as the stop reason, forced or not (the watchdog's
 * "watchdog timeout"). On the worker's context. */
void           fluid_worker_shutdown_for     (FluidWorker *self,
                                              const char  *reason);
/* Forces the stop now, as the end of the grace period would. A worker that
 * has not started or has ended is left alone. Any thread. */
void           fluid_worker_force_stop       (FluidWorker *self);

/* Observers: the one way the library's classes follow a lifecycle (a
 * group its children, a consumer itself, an export its tree). An observer
 * without a context of its own is told on the worker's context, before
 * notify::state; the others after the state's signal (see
 * fluid-lifecycle.c). */
typedef void (* FluidWorkerObserverFunc) (FluidWorker      *worker,
                                          FluidWorkerState  state,
                                          gpointer          user_data);

/* @states: FLUID_OBSERVER_EVENT() of each state @func wants; the state it
 * starts from is returned in @out_state. Any thread. */
FluidObserver *fluid_worker_observe          (FluidWorker             *self,
                                              GMainContext            *context,
                                              guint                    states,
                                              FluidWorkerObserverFunc  func,
                                              gpointer                 user_data,
                                              FluidWorkerState        *out_state);
/* No event reaches the observer's function once this returns, on the
 * observer's context. */
void           fluid_worker_unobserve        (FluidWorker             *self,
                                              FluidObserver           *observer);
/* An observer that may watch other workers too (a group's, shared by its
 * children). Any thread. */
void           fluid_worker_add_observer     (FluidWorker             *self,
                                              FluidObserver           *observer,
                                              FluidWorkerState        *out_state);
/* Removes @observer without cancelling it: events already on their way
 * still arrive. Any thread. */
void           fluid_worker_remove_observer  (FluidWorker             *self,
                                              FluidObserver           *observer);

/* fluid_worker_sleep_async() without a task, for the library's own
 * workers: @func is called with TRUE once @seconds elapsed, with FALSE (at
 * the next dispatch) when a graceful stop comes first, and with
 * G_IO_ERROR_CANCELLED from within a forced stop. On the worker's context
 * while it runs or stops. */
typedef void (* FluidWorkerSleepFunc) (FluidWorker  *worker,
                                       gboolean      elapsed,
                                       const GError *error);

void           fluid_worker_sleep_full       (FluidWorker          *self,
                                              double                seconds,
                                              FluidWorkerSleepFunc  func);

/* The class data, set from a class_init and inherited by subclasses. */

/* A run without a GTask nor the worker's cancellable (both are most of the
 * cost of starting an idle worker), ended with fluid_worker_run_done(),
 * which takes @error and drops the run's reference. A subclass that
 * overrides run_async runs through its run_async. */
typedef void (* FluidWorkerDirectRun) (FluidWorker *self);

void           fluid_worker_class_set_direct_run (FluidWorkerClass     *klass,
                                                  FluidWorkerDirectRun  run);
FluidWorkerDirectRun fluid_worker_get_direct_run (FluidWorker          *self);
void           fluid_worker_run_done         (FluidWorker *self,
                                              GError      *error);

/* Whether a worker that is not fed is idle rather than starved (a
 * consumer waiting for a message); on the worker's context. */
typedef gboolean (* FluidWorkerIdleFunc) (FluidWorker *self);

void           fluid_worker_class_set_idle_func (FluidWorkerClass    *klass,
                                                 FluidWorkerIdleFunc  is_idle);
gboolean       fluid_worker_is_idle          (FluidWorker *self);

/* Called on the requesting thread, before the request reaches the worker's
 * context, when a graceful stop or a failure is asked for (a threaded
 * worker's body that asks stops calling itself at once). Any thread. */
typedef void (* FluidWorkerStopHook) (FluidWorker *self);

void           fluid_worker_class_set_stop_hook (FluidWorkerClass    *klass,
                                                 FluidWorkerStopHook  hook);

/* Progress: fluid_worker_feed() increments @counter (atomically) on every
 * completed sleep and handled message once someone watches it (the
 * watchdog): a pointer test for every other worker. @counter lives as long
 * as the worker. Any thread. */
void           fluid_worker_watch_progress   (FluidWorker *self,
                                              int         *counter);
void           fluid_worker_feed             (FluidWorker *self);
/* Whether the watchdog shut @self down (fluid-watchdog.c). */
gboolean       fluid_worker_was_starved      (FluidWorker *self);

/* Emits ::authorize-method: whether the caller may call @target's method.
 * On the worker's context. */
gboolean       fluid_worker_authorize        (FluidWorker           *self,
                                              FluidWorker           *target,
                                              GDBusMethodInvocation *invocation,
                                              guint                  caller_uid);

/* What a default _finish virtual method checks of @result: a GTask of
 * @self and, when the class kept the default's _async half (@real_async
 * is @class_async), one that half made. A class that overrides only the
 * _async half (a PyGObject or Vala subclass may) may hand it any GTask of
 * @self. */
static inline gboolean
fluid_default_result_is_valid (gpointer      self,
                               GAsyncResult *result,
                               gpointer      real_async,
                               gpointer      class_async)
{
  return g_task_is_valid (result, self) &&
         (class_async != real_async || g_async_result_is_tagged (result, real_async));
}

G_END_DECLS
