/* fluid-worker-function.h: a worker that calls a function in a loop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <fluid/fluid-worker.h>

G_BEGIN_DECLS

/**
 * FluidWorkerFunc:
 * @worker: the #FluidWorkerFunction calling
 * @user_data: the data given with the function
 *
 * The function a #FluidWorkerFunction calls at each iteration of its loop.
 *
 * Since: 1.0
 */
typedef void (* FluidWorkerFunc) (FluidWorker *worker,
                                  gpointer     user_data);

/**
 * FluidWorkerAsyncFunc:
 * @worker: the #FluidWorkerFunction calling
 * @task: the task to complete, now or later, with g_task_return_boolean()
 *   (%TRUE) or g_task_return_error(); its cancellable is the worker's own,
 *   cancelled on a forced stop. Take a reference on it to complete it later.
 * @user_data: the data given with the function
 *
 * The asynchronous function a #FluidWorkerFunction made with
 * fluid_worker_function_new_async() calls at each iteration of its loop.
 * The worker sleeps its heartbeat once @task completed; an error fails the
 * worker with it (exit code %FLUID_EXIT_CODE_ERROR), as a failed `run` does.
 *
 * Since: 1.2
 */
typedef void (* FluidWorkerAsyncFunc) (FluidWorker *worker,
                                       GTask       *task,
                                       gpointer     user_data);

/**
 * FluidThreadWorkerFunc:
 * @worker: the #FluidWorkerFunction calling
 * @cancellable: the worker's own cancellable (fluid_worker_get_cancellable()),
 *   cancelled when the worker is forced to stop
 * @user_data: the data given with the function
 * @error: return location for the error that fails the worker
 *
 * The function a #FluidWorkerFunction made with
 * fluid_worker_function_new_threaded() calls in a loop, on a thread the
 * worker owns rather than on its main context: it may block. The worker
 * keeps a reference on @worker during the call.
 *
 * From the body, only the thread-safe functions of the worker may be
 * called: fluid_worker_gracefully_stop(), fluid_worker_fail(),
 * fluid_worker_feed_watchdog(), and the getters of its state, name and
 * heartbeat. A body that takes long should check @cancellable (or give it
 * to the blocking calls it makes, as GIO's take it): a forced stop does not
 * wait for a body that ignores it.
 *
 * Returns: %TRUE to go on; %FALSE, setting @error, to fail the worker with
 *   @error (exit code %FLUID_EXIT_CODE_ERROR)
 *
 * Since: 1.2
 */
typedef gboolean (* FluidThreadWorkerFunc) (FluidWorker   *worker,
                                            GCancellable  *cancellable,
                                            gpointer       user_data,
                                            GError       **error);

/**
 * FLUID_TYPE_WORKER_FUNCTION:
 *
 * The #GType of #FluidWorkerFunction.
 *
 * Since: 1.0
 */
#define FLUID_TYPE_WORKER_FUNCTION (fluid_worker_function_get_type ())

FLUID_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (FluidWorkerFunction, fluid_worker_function, FLUID, WORKER_FUNCTION, FluidWorker)

FLUID_AVAILABLE_IN_1_0
FluidWorker *fluid_worker_function_new           (double                heartbeat,
                                                  FluidWorkerFunc       func,
                                                  gpointer              user_data,
                                                  GDestroyNotify        destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
FluidWorker *fluid_worker_function_new_named     (const char           *name,
                                                  double                heartbeat,
                                                  FluidWorkerFunc       func,
                                                  gpointer              user_data,
                                                  GDestroyNotify        destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
FluidWorker *fluid_worker_function_new_async     (const char           *name,
                                                  double                heartbeat,
                                                  FluidWorkerAsyncFunc  func,
                                                  gpointer              user_data,
                                                  GDestroyNotify        destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
FluidWorker *fluid_worker_function_new_threaded  (double                heartbeat,
                                                  FluidThreadWorkerFunc func,
                                                  gpointer              user_data,
                                                  GDestroyNotify        destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
FluidWorker *fluid_worker_function_new_threaded_named (const char           *name,
                                                       double                heartbeat,
                                                       FluidThreadWorkerFunc func,
                                                       gpointer              user_data,
                                                       GDestroyNotify        destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
double       fluid_worker_function_get_heartbeat (FluidWorkerFunction  *self);

G_END_DECLS
