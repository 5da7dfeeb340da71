/* fluid-worker-private.h: what the library's own classes share about workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker.h"
#include "fluid-observer-private.h"

G_BEGIN_DECLS

GMainContext  *fluid_worker_get_context      (FluidWorker *self);

/* Logs "NAME message" in the Fluid domain, structured, with the field
 * FLUID_WORKER; not even formatted when the default writer would drop it. */
void           fluid_worker_log              (FluidWorker    *self,
                                              GLogLevelFlags  level,
                                              const char     *format,
                                              ...) G_GNUC_PRINTF (3, 4);
void           fluid_worker_set_stop_reason  (FluidWorker *self,
                                              const char  *reason);
void           fluid_worker_start            (FluidWorker *self);
void           fluid_worker_request_shutdown (FluidWorker *self);
/* Forces the stop now, as the end of the grace period would: state
 * FORCE_STOPPED, exit code 1, the cancellable cancelled. A worker that
 * has not started, or is already ending, is left alone. Any thread: the
 * stop is made on the worker's context. */
void           fluid_worker_force_stop       (FluidWorker *self);

/* The default class handler of FluidWorker::authorize-method: a caller
 * that runs as root or as the process's effective user may call the
 * methods of an exported worker. Compares uids, nothing else. Any
 * thread. */
gboolean       fluid_worker_real_authorize_method (FluidWorker           *self,
                                                   FluidWorker           *target,
                                                   GDBusMethodInvocation *invocation,
                                                   guint                  caller_uid);

/* The one way the library's classes follow a lifecycle: a group its
 * children, a consumer itself. */
typedef void (* FluidWorkerObserverFunc) (FluidWorker      *worker,
                                          FluidWorkerState  state,
                                          gpointer          user_data);

/* @states: FLUID_OBSERVER_EVENT() of each state @func wants. */
FluidObserver *fluid_worker_observe          (FluidWorker             *self,
                                              GMainContext            *context,
                                              guint                    states,
                                              FluidWorkerObserverFunc  func,
                                              gpointer                 user_data,
                                              FluidWorkerState        *out_state);
void           fluid_worker_unobserve        (FluidWorker             *self,
                                              FluidObserver           *observer);
void           fluid_worker_add_observer     (FluidWorker             *self,
                                              FluidObserver           *observer,
                                              FluidWorkerState        *out_state);
void           fluid_worker_remove_observer  (FluidWorker             *self,
                                              FluidObserver           *observer);

typedef void (* FluidWorkerSleepFunc) (FluidWorker  *worker,
                                       gboolean      elapsed,
                                       const GError *error);

void           fluid_worker_sleep_full       (FluidWorker          *self,
                                              double                seconds,
                                              FluidWorkerSleepFunc  func);

/* The task-free run path, for any class of the library. */
typedef void (* FluidWorkerDirectRun) (FluidWorker *self);

void           fluid_worker_class_set_direct_run (FluidWorkerClass     *klass,
                                                  FluidWorkerDirectRun  run);
void           fluid_worker_run_done         (FluidWorker *self,
                                              GError      *error);

/* The watchdog: whether it shut @self down; and, for a class whose
 * workers may wait without being fed (a consumer waiting for a message),
 * the function that says when they are idle rather than starved. */
gboolean       fluid_worker_was_starved      (FluidWorker *self);
/* fluid_worker_feed_watchdog() without the checks, for every message. */
void           fluid_worker_feed             (FluidWorker *self);
void           fluid_worker_class_set_idle_func (FluidWorkerClass *klass,
                                                 gboolean        (*is_idle) (FluidWorker *self));

G_END_DECLS
