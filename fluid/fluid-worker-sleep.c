/* fluid-worker-sleep.c: a worker's sleeps, which a stop ends
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FluidWorker's fluid_worker_sleep_async() (declared in fluid-worker.h) and
 * the library's task-free fluid_worker_sleep_full() (fluid-worker-private.h):
 * a sleep is a pending operation of the worker's lifecycle, completed by its
 * deadline on the context's clock, by a graceful stop (FALSE, at the next
 * dispatch), by the worker's end, or by its cancellable; see
 * fluid-lifecycle.c. Sleeps are completed on the thread-default context of
 * their caller, with a result lighter than a GTask (fluid-sleep-result.c).
 */

#include "fluid-lifecycle-private.h"
#include "fluid-worker-private.h"
#include "fluid-pending-private.h"
#include "fluid-sleep-result-private.h"

#include <math.h>

/* A sleep of fluid_worker_sleep_async(): its pending's data holds a
 * reference on the worker, as a GTask's source object would. */
typedef struct
{
  FluidPending         pending;
  GAsyncReadyCallback  callback;
  gpointer             user_data;
} FluidWorkerAsyncSleep;

static void
fluid_worker_complete_async_sleep (FluidPending *pending,
                                   gboolean      value,
                                   GError       *error)
{
  FluidWorkerAsyncSleep *sleep = (FluidWorkerAsyncSleep *) pending;
  FluidWorker *self = pending->data;
  g_autoptr(FluidSleepResult) result = NULL;

  if (error == NULL)
    fluid_worker_feed (self);
  result = fluid_sleep_result_new (G_OBJECT (self), fluid_worker_sleep_async,
                                   sleep->user_data, value, error);

  if (sleep->callback != NULL)
    sleep->callback (G_OBJECT (self), G_ASYNC_RESULT (result), sleep->user_data);
  g_object_unref (self);
}

/**
 * fluid_worker_sleep_async:
 * @self: a #FluidWorker
 * @seconds: how long to sleep, in seconds (not negative)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the sleep is over
 * @user_data: (closure): data for @callback
 *
 * Sleeps for @seconds, or less when the worker is asked to stop: the sleep
 * completes at once when a graceful stop is requested or the worker is
 * already stopping, and fails with %G_IO_ERROR_CANCELLED when the worker is
 * forced to stop or @cancellable is cancelled. A worker that sleeps between
 * iterations of `run` with this function therefore stops at once.
 *
 * Since: 1.0
 */
void
fluid_worker_sleep_async (FluidWorker         *self,
                          double               seconds,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  FluidLifecycle *lifecycle;
  g_autoptr(GMainContext) context = NULL;
  FluidWorkerAsyncSleep *sleep;
  FluidWorkerState state;
  FluidClock *clock;
  gboolean own;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (!isnan (seconds) && seconds >= 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  lifecycle = fluid_worker_get_lifecycle (self);

  /* Completed from a dispatch of the caller's thread-default context, as a
   * GTask would be, with a lighter result (see fluid-sleep-result.c). The
   * worker's own cancellable, which most sleeps of a run get, is watched
   * once by the worker rather than with a GSource per sleep. */
  context = g_main_context_ref_thread_default ();
  own = cancellable != NULL && cancellable == fluid_worker_get_cancellable (self) &&
        context == fluid_lifecycle_get_context (lifecycle);
  clock = fluid_lifecycle_get_clock (lifecycle, context);
  sleep = fluid_lifecycle_add_sleeper (lifecycle, sizeof (FluidWorkerAsyncSleep),
                                       own ? NULL : cancellable, context,
                                       fluid_worker_complete_async_sleep, g_object_ref (self));
  sleep->pending.on_owner_cancellable = own;
  sleep->callback = callback;
  sleep->user_data = user_data;

  state = fluid_lifecycle_get_state (lifecycle);
  if (state == FLUID_WORKER_STATE_FORCE_STOPPED)
    fluid_pending_fail_soon (&sleep->pending, clock,
                             g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  "The worker was forced to stop"));
  else if (g_cancellable_is_cancelled (cancellable))
    fluid_pending_fail_soon (&sleep->pending, clock,
                             g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  "Operation was cancelled"));
  else if (state == FLUID_WORKER_STATE_STOPPING || state == FLUID_WORKER_STATE_STOPPED)
    fluid_pending_arm (&sleep->pending, clock, 0, FALSE);
  else
    fluid_pending_arm (&sleep->pending, clock, fluid_deadline_in (seconds), TRUE);
}

/**
 * fluid_worker_sleep_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_sleep_async().
 *
 * Returns: %TRUE if the whole sleep elapsed, %FALSE if it was cut short by a
 *   graceful stop (with @error unset) or failed (with @error set)
 *
 * Since: 1.0
 */
gboolean
fluid_worker_sleep_finish (FluidWorker   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (FLUID_IS_SLEEP_RESULT (result), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, fluid_worker_sleep_async), FALSE);

  return fluid_sleep_result_propagate (FLUID_SLEEP_RESULT (result), error);
}

/* The task-free sleep of fluid-worker-private.h */

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

void
fluid_worker_sleep_full (FluidWorker          *self,
                         double                seconds,
                         FluidWorkerSleepFunc  func)
{
  FluidLifecycle *lifecycle = fluid_worker_get_lifecycle (self);
  GMainContext *context = fluid_lifecycle_get_context (lifecycle);
  FluidWorkerState state = fluid_lifecycle_get_state (lifecycle);
  FluidWorkerSleep *sleep;

  g_return_if_fail (context != NULL && !fluid_worker_is_stopped (self));

  sleep = fluid_lifecycle_add_sleeper (lifecycle, sizeof (FluidWorkerSleep), NULL, NULL,
                                       fluid_worker_complete_sleep, self);
  sleep->func = func;
  fluid_pending_arm (&sleep->pending, fluid_lifecycle_get_clock (lifecycle, context),
                     state == FLUID_WORKER_STATE_RUNNING ? fluid_deadline_in (seconds) : 0,
                     state == FLUID_WORKER_STATE_RUNNING);
}
