/* fluid-task-worker.c: a worker whose run completes a GTask
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-task-worker.h"

/**
 * SECTION:fluid-task-worker
 * @short_description: A worker whose run completes a #GTask
 * @title: FluidTaskWorker
 * @see_also: #FluidWorker
 *
 * A #FluidTaskWorker is a #FluidWorker whose body is the virtual method
 * `run_task (FluidTaskWorker *self, GTask *task)`: instead of the
 * `run_async`/`run_finish` pair, it receives the #GTask of the run and
 * completes it, now or later, with g_task_return_boolean() or
 * g_task_return_error().
 *
 * It exists for the language bindings that cannot implement a virtual
 * method with a callback parameter, such as GJS 1.74 ("VFunc run_async
 * accepts another callback as a parameter. This is not supported"). In
 * JavaScript:
 *
 * |[<!-- language="JavaScript" -->
 * const SimpleWorker = GObject.registerClass(
 * class SimpleWorker extends Fluid.TaskWorker {
 *     async vfunc_run_task(task) {
 *         try {
 *             while (this.is_running()) {
 *                 print(`Hello from ${this.name}`);
 *                 await this.sleep_async(1, task.get_cancellable());
 *             }
 *             task.return_boolean(true);
 *         } catch (e) {
 *             // A plain JS Error is not a GError: see the GJS helper,
 *             // fluid.js, whose toGError() makes one of any value.
 *             task.return_error(FluidJs.toGError(e));
 *         }
 *     }
 * });
 * ]|
 *
 * C, Vala and Python subclass #FluidWorker directly.
 */

/**
 * FluidTaskWorker:
 *
 * The abstract base of workers whose `run_task` completes a #GTask.
 *
 * Since: 1.0
 */
G_DEFINE_ABSTRACT_TYPE (FluidTaskWorker, fluid_task_worker, FLUID_TYPE_WORKER)

static void
fluid_task_worker_run_async (FluidWorker         *worker,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  FluidTaskWorker *self = FLUID_TASK_WORKER (worker);
  FluidTaskWorkerClass *klass = FLUID_TASK_WORKER_GET_CLASS (self);
  g_autoptr(GTask) task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_task_worker_run_async);
  g_task_set_name (task, "[fluid] task worker run");

  if (klass->run_task == NULL)
    {
      g_task_return_new_error (task, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                               "%s does not implement run_task",
                               G_OBJECT_TYPE_NAME (self));
      return;
    }

  /* The implementation takes a reference of its own to complete later. */
  klass->run_task (self, task);
}

static gboolean
fluid_task_worker_run_finish (FluidWorker   *worker,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fluid_task_worker_class_init (FluidTaskWorkerClass *klass)
{
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  worker_class->run_async = fluid_task_worker_run_async;
  worker_class->run_finish = fluid_task_worker_run_finish;
}

static void
fluid_task_worker_init (FluidTaskWorker *self)
{
}
