/* fluid-worker-control.c: starting, stopping and failing a worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FluidWorker's public entry points that drive its lifecycle (declared in
 * fluid-worker.h: startup, shutdown, waiting for the end, a graceful stop,
 * a failure, and the outcome) and the library's own (fluid-worker-private.h:
 * starting a child, asking for a shutdown from any thread, forcing a stop).
 * Each turns a call into an event of the engine (fluid-lifecycle.c), on the
 * worker's context; none touches the worker's private data.
 */

#include "fluid-lifecycle-private.h"
#include "fluid-worker-private.h"

static void
fluid_worker_gracefully_stop_in_context (FluidWorker *self,
                                         gpointer     data)
{
  FLUID_WORKER_GET_CLASS (self)->gracefully_stop (self);
}

/**
 * fluid_worker_gracefully_stop:
 * @self: a #FluidWorker
 *
 * Asks a running worker to stop: its state becomes
 * %FLUID_WORKER_STATE_STOPPING, #FluidWorker::stopping is emitted and
 * fluid_worker_sleep_async() calls in progress complete at once. It does not
 * wait for the worker to stop: use fluid_worker_wait_for_shutdown_async() for
 * that. A worker that is not running is left as it is; in particular a
 * request made before fluid_worker_startup_async() is not remembered.
 *
 * This function is thread-safe: called from another thread, it wakes the
 * worker's main context and makes the request there, so that the change of
 * state and its signals always come on the worker's context.
 *
 * Since: 1.0
 */
void
fluid_worker_gracefully_stop (FluidWorker *self)
{
  g_return_if_fail (FLUID_IS_WORKER (self));

  fluid_worker_call_stop_hook (self);
  fluid_lifecycle_invoke (fluid_worker_get_lifecycle (self), fluid_worker_gracefully_stop_in_context,
                          NULL, NULL);
}

/* Startup, shutdown, waiting */

/**
 * fluid_worker_startup_async:
 * @self: a #FluidWorker
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the worker is running
 * @user_data: (closure): data for @callback
 *
 * Starts the worker on the thread-default main context of the calling
 * thread: its state becomes %FLUID_WORKER_STATE_RUNNING,
 * #FluidWorker::started is emitted, then `on_startup` and `run` are called.
 * The operation completes once the worker runs; it fails with
 * %FLUID_WORKER_ERROR_ALREADY_STARTED when the worker has started before.
 *
 * Since: 1.0
 */
void
fluid_worker_startup_async (FluidWorker         *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  FluidLifecycle *lifecycle;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_worker_startup_async);
  g_task_set_name (task, "[fluid] worker startup");

  if (g_task_return_error_if_cancelled (task))
    return;

  lifecycle = fluid_worker_get_lifecycle (self);
  if (fluid_lifecycle_get_state (lifecycle) != FLUID_WORKER_STATE_INIT)
    {
      g_task_return_new_error (task, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_ALREADY_STARTED,
                               "Worker %s has already started",
                               fluid_worker_get_name (self));
      return;
    }

  fluid_lifecycle_dispatch (lifecycle, FLUID_LIFECYCLE_START, g_steal_pointer (&task));
}

/**
 * fluid_worker_startup_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_startup_async().
 *
 * Returns: %TRUE if the worker was started
 *
 * Since: 1.0
 */
gboolean
fluid_worker_startup_finish (FluidWorker   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fluid_worker_startup_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * fluid_worker_wait_for_shutdown_async:
 * @self: a #FluidWorker
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the worker has stopped
 * @user_data: (closure): data for @callback
 *
 * Waits for the worker to stop, without asking it to. Completes at once for
 * a worker that never started or has stopped already.
 *
 * Since: 1.0
 */
void
fluid_worker_wait_for_shutdown_async (FluidWorker         *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_worker_wait_for_shutdown_async);
  g_task_set_name (task, "[fluid] worker wait for shutdown");

  fluid_lifecycle_add_waiter (fluid_worker_get_lifecycle (self), task, cancellable);
}

/**
 * fluid_worker_wait_for_shutdown_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_wait_for_shutdown_async(). When `run` failed, this
 * fails with a copy of its error.
 *
 * Returns: %TRUE if the worker stopped without an error (or never started)
 *
 * Since: 1.0
 */
gboolean
fluid_worker_wait_for_shutdown_finish (FluidWorker   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        fluid_worker_wait_for_shutdown_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * fluid_worker_shutdown_async:
 * @self: a #FluidWorker
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the worker has stopped
 * @user_data: (closure): data for @callback
 *
 * Stops the worker: asks for a graceful stop, and when the worker has not
 * stopped after #FluidWorker:stopping-grace-period seconds, cancels it and
 * moves it to %FLUID_WORKER_STATE_FORCE_STOPPED. Completes when the worker
 * has stopped, at once for a worker that never started.
 *
 * Cancelling @cancellable abandons the wait, not the stop.
 *
 * Since: 1.0
 */
void
fluid_worker_shutdown_async (FluidWorker         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  FluidLifecycle *lifecycle;
  GTask *task;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_worker_shutdown_async);
  g_task_set_name (task, "[fluid] worker shutdown");

  lifecycle = fluid_worker_get_lifecycle (self);
  fluid_lifecycle_add_waiter (lifecycle, task, cancellable);
  fluid_lifecycle_dispatch (lifecycle, FLUID_LIFECYCLE_SHUTDOWN, NULL);
}

/**
 * fluid_worker_shutdown_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_shutdown_async(). A forced stop is a success; when
 * `run` failed, this fails with a copy of its error.
 *
 * Returns: %TRUE if the worker stopped without an error (or never started)
 *
 * Since: 1.0
 */
gboolean
fluid_worker_shutdown_finish (FluidWorker   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fluid_worker_shutdown_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Outcome and failure */

/* @data is the error, which fluid_lifecycle_invoke() frees. */
static void
fluid_worker_fail_in_context (FluidWorker *self,
                              gpointer     data)
{
  fluid_lifecycle_dispatch (fluid_worker_get_lifecycle (self), FLUID_LIFECYCLE_FAIL,
                            g_error_copy (data));
}

/**
 * fluid_worker_get_exit_code:
 * @self: a #FluidWorker
 *
 * Gets how the worker ended: -1 while it has not stopped, then
 * %FLUID_EXIT_CODE_NORMAL, %FLUID_EXIT_CODE_FORCED or
 * %FLUID_EXIT_CODE_ERROR.
 *
 * Returns: the exit code, or -1
 *
 * Since: 1.2
 */
int
fluid_worker_get_exit_code (FluidWorker *self)
{
  FluidLifecycle *lifecycle;

  g_return_val_if_fail (FLUID_IS_WORKER (self), -1);

  /* Set once, before the worker's last change of state is told. */
  lifecycle = fluid_worker_get_lifecycle (self);
  return fluid_lifecycle_get_exit_code (lifecycle);
}

/**
 * fluid_worker_get_stop_reason:
 * @self: a #FluidWorker
 *
 * Gets why the worker stopped, as #FluidWorker::stopped tells it.
 *
 * Returns: (nullable): the reason, or %NULL while the worker has not
 *   stopped
 *
 * Since: 1.2
 */
const char *
fluid_worker_get_stop_reason (FluidWorker *self)
{
  FluidLifecycle *lifecycle;

  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);

  lifecycle = fluid_worker_get_lifecycle (self);
  return fluid_lifecycle_get_stop_reason (lifecycle);
}

/**
 * fluid_worker_fail:
 * @self: a #FluidWorker
 * @error: the error the worker fails with
 *
 * Stops the worker as if `run` had failed with a copy of @error: its state
 * becomes %FLUID_WORKER_STATE_STOPPED, its exit code
 * %FLUID_EXIT_CODE_ERROR, fluid_worker_wait_for_shutdown_finish() and
 * fluid_worker_shutdown_finish() fail with that error, and its cancellable
 * is cancelled, so that the `run` in progress ends; whatever it returns is
 * dropped.
 *
 * This is how a callback that cannot return an error (a #FluidWorkerFunc,
 * code of a binding that raised an exception) fails its worker. It is
 * thread-safe: from another thread the failure is made on the worker's
 * context. A worker that has stopped already is left as it is; one that
 * has not started cannot fail (a critical).
 *
 * Since: 1.2
 */
void
fluid_worker_fail (FluidWorker  *self,
                   const GError *error)
{
  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (error != NULL);
  g_return_if_fail (fluid_worker_has_started (self));

  fluid_worker_call_stop_hook (self);
  fluid_lifecycle_invoke (fluid_worker_get_lifecycle (self), fluid_worker_fail_in_context,
                          g_error_copy (error), (GDestroyNotify) g_error_free);
}

/* The library's own entry points: fluid-worker-private.h */

void
fluid_worker_set_stop_reason (FluidWorker *self,
                              const char  *reason)
{
  fluid_lifecycle_set_stop_reason (fluid_worker_get_lifecycle (self), reason, FALSE);
}

void
fluid_worker_start (FluidWorker *self)
{
  fluid_lifecycle_dispatch (fluid_worker_get_lifecycle (self), FLUID_LIFECYCLE_START, NULL);
}

static void
fluid_worker_request_shutdown_in_context (FluidWorker *self,
                                          gpointer     data)
{
  fluid_lifecycle_dispatch (fluid_worker_get_lifecycle (self), FLUID_LIFECYCLE_SHUTDOWN, NULL);
}

void
fluid_worker_request_shutdown (FluidWorker *self)
{
  fluid_lifecycle_invoke (fluid_worker_get_lifecycle (self), fluid_worker_request_shutdown_in_context,
                          NULL, NULL);
}

void
fluid_worker_shutdown_for (FluidWorker *self,
                           const char  *reason)
{
  FluidLifecycle *lifecycle = fluid_worker_get_lifecycle (self);

  fluid_lifecycle_set_stop_reason (lifecycle, reason, TRUE);
  fluid_lifecycle_dispatch (lifecycle, FLUID_LIFECYCLE_SHUTDOWN, NULL);
}

static void
fluid_worker_force_stop_in_context (FluidWorker *self,
                                    gpointer     data)
{
  fluid_lifecycle_dispatch (fluid_worker_get_lifecycle (self), FLUID_LIFECYCLE_FORCE, NULL);
}

void
fluid_worker_force_stop (FluidWorker *self)
{
  fluid_lifecycle_invoke (fluid_worker_get_lifecycle (self), fluid_worker_force_stop_in_context,
                          NULL, NULL);
}

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

void
fluid_worker_unobserve (FluidWorker   *self,
                        FluidObserver *observer)
{
  fluid_observer_cancel (observer);
  fluid_worker_remove_observer (self, observer);
}

void
fluid_worker_add_observer (FluidWorker      *self,
                           FluidObserver    *observer,
                           FluidWorkerState *out_state)
{
  fluid_lifecycle_add_observer (fluid_worker_get_lifecycle (self), observer, out_state);
}

void
fluid_worker_remove_observer (FluidWorker   *self,
                              FluidObserver *observer)
{
  fluid_lifecycle_remove_observer (fluid_worker_get_lifecycle (self), observer);
}
