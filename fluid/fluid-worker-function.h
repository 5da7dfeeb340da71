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
FLUID_AVAILABLE_IN_1_0
double       fluid_worker_function_get_heartbeat (FluidWorkerFunction  *self);

G_END_DECLS
