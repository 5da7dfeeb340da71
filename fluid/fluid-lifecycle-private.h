/* fluid-lifecycle-private.h: what FluidWorker and its lifecycle share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker-private.h"
#include "fluid-clock-private.h"
#include "fluid-pending-private.h"

G_BEGIN_DECLS

enum
{
  FLUID_WORKER_PROP_0,
  PROP_NAME,
  PROP_STOPPING_GRACE_PERIOD,
  PROP_STATE,
  PROP_EXIT_CODE,
  PROP_STOP_REASON,
  PROP_WATCHDOG,
  FLUID_WORKER_N_PROPS
};

enum
{
  SIGNAL_STARTED,
  SIGNAL_STOPPING,
  SIGNAL_STOPPED,
  FLUID_WORKER_N_SIGNALS
};

extern GParamSpec *fluid_worker_properties[FLUID_WORKER_N_PROPS];
extern guint       fluid_worker_signals[FLUID_WORKER_N_SIGNALS];
extern GQuark      fluid_worker_direct_run_quark;
extern GQuark      fluid_worker_idle_quark;

/* Threads: unless said otherwise, a field belongs to the thread that
 * iterates the worker's context (the one that started it), or to the
 * thread that owns the worker before it starts. */
typedef struct
{
  char             *name;
  double            grace_period;
  /* Atomic: read by other threads (a group of another context). Written
   * under @lock, so that an observer added under it knows the state it
   * starts from. */
  FluidWorkerState  state;

  /* The outcome, told from @outcome_told on, then constant. Before that,
   * @exit_code and @error hold a deferred end, and @stop_reason what a
   * normal shutdown is to report when not "normal shutdown" (a group
   * stopped by its child). */
  int               exit_code;
  /* Set once the worker is in a group or exported: its name stays. A
   * field of its own, in what was padding, not one of the bit fields
   * below: a group of another thread may set it while the worker's own
   * thread writes those bits. Read by fluid_worker_set_name(), on the
   * thread that owns the worker before it starts. */
  gboolean          name_fixed;
  char             *stop_reason;
  GError           *error;

  guint             name_is_interned : 1;
  guint             outcome_told : 1;
  /* Set by the first request to end the lifecycle: later ones are dropped,
   * and so is a late completion of on_startup, run or on_shutdown. */
  guint             finishing : 1;
  /* Requests made while a change of state was being told (see
   * fluid_worker_must_defer()), run once it has been. */
  guint             stop_deferred : 1;
  guint             finish_deferred : 1;
  /* Set when the worker has a watchdog (fluid-watchdog.c), before it
   * starts: the watchdog itself is the worker's qdata, so that the many
   * workers without one spend nothing on it. */
  guint             has_watchdog : 1;
  /* Set when the watchdog shut the worker down. */
  guint             starved : 1;
  guint16           emitting;
  gint16            emission_depth;

  /* Set once on startup, then read from any thread with atomics. */
  GMainContext     *context;
  GThread          *thread;
  GCancellable     *cancellable;     /* created on first use, atomically */

  /* The clock of the worker's context, and one timer on it for two uses:
   * the start of on_startup and run at the next dispatch after startup,
   * then the grace period of a shutdown (@grace_deadline, 0 until one is
   * asked for), armed when the start has fired. One timer, not two: a
   * group holds thousands of workers. */
  FluidClock       *clock;
  FluidTimer        timer;
  gint64            grace_deadline;
  guint             start_pending : 1;

  GQueue            waiters;
  GQueue            sleepers;

  /* Observers of the state, added and removed from any thread under the
   * worker's lock (fluid_worker_lock()): one of a few shared by every
   * worker, as GObject's own bit locks are, to spare a GMutex per worker. */
  /* NULL, one FluidObserver (most workers have one: their group's), or a
   * GPtrArray of them with the pointer's lowest bit set: an array only
   * for the workers that need one. */
  gpointer          observers;
} FluidWorkerPrivate;

FluidWorkerPrivate *fluid_worker_get_priv (FluidWorker *self);

typedef void (* FluidWorkerCall) (FluidWorker *self,
                                  gpointer     data);

void          fluid_worker_invoke                      (FluidWorker      *self,
                                                        FluidWorkerCall   func,
                                                        gpointer          data,
                                                        GDestroyNotify    destroy);
gboolean      fluid_worker_must_defer                  (FluidWorker      *self);
void          fluid_worker_return_outcome              (FluidWorker      *self,
                                                        GTask            *task);
FluidClock   *fluid_worker_get_clock                   (FluidWorker      *self,
                                                        GMainContext     *context);
void          fluid_worker_timer_cb                    (gpointer          user_data);
void          fluid_worker_start_running               (FluidWorker      *self,
                                                        GTask            *task);
void          fluid_worker_enter_stopping              (FluidWorker      *self);
void          fluid_worker_add_waiter                  (FluidWorker      *self,
                                                        GTask            *task,
                                                        GCancellable     *cancellable);
void          fluid_worker_request_shutdown_in_context (FluidWorker      *self,
                                                        gpointer          data);
void          fluid_worker_gracefully_stop_in_context  (FluidWorker      *self,
                                                        gpointer          data);
void          fluid_worker_fail_in_context             (FluidWorker      *self,
                                                        gpointer          data);
void          fluid_worker_force_stop_in_context       (FluidWorker      *self,
                                                        gpointer          data);
void          fluid_worker_clear_observers             (FluidWorker      *self);
GCancellable *fluid_worker_cancellable_new             (FluidWorker      *worker);
void          fluid_worker_starve                      (FluidWorker      *self);
void          fluid_worker_cancellable_forget          (GCancellable     *cancellable);

G_END_DECLS
