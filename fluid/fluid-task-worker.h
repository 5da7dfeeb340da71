/* fluid-task-worker.h: a worker whose run completes a GTask
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
 * FLUID_TYPE_TASK_WORKER:
 *
 * The #GType of #FluidTaskWorker.
 *
 * Since: 1.0
 */
#define FLUID_TYPE_TASK_WORKER (fluid_task_worker_get_type ())

FLUID_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (FluidTaskWorker, fluid_task_worker, FLUID, TASK_WORKER, FluidWorker)

/**
 * FluidTaskWorkerClass:
 * @parent_class: the parent class
 * @run_task: the body of the worker, abstract. It completes @task, now or later,
 *   with g_task_return_boolean() or g_task_return_error(); it should loop
 *   while fluid_worker_is_running(). The cancellable of @task is the
 *   worker's own, cancelled on a forced stop.
 *
 * The class structure of #FluidTaskWorker.
 *
 * Since: 1.0
 */
struct _FluidTaskWorkerClass
{
  FluidWorkerClass parent_class;

  void (* run_task) (FluidTaskWorker *self,
                     GTask           *task);

  /*< private >*/
  gpointer padding[8];
};

G_END_DECLS
