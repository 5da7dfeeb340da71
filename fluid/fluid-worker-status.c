/* fluid-worker-status.c: what a worker says of itself
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FluidWorker's status API (fluid_worker_status_async() and
 * fluid_worker_status_for_type_async(), declared in fluid-worker.h); the
 * default of the status_async virtual method is fluid-worker.c's. Nothing
 * here touches the worker's private data.
 */

#include "fluid-worker.h"

/**
 * fluid_worker_status_async:
 * @self: a #FluidWorker
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the status
 * @user_data: (closure): data for @callback
 *
 * Collects the status of the worker: a `a{sv}` dictionary with at least the
 * booleans `running` and `stopping`. Subclasses add their own keys; a group
 * maps each child's name to the child's status.
 *
 * Since: 1.0
 */
void
fluid_worker_status_async (FluidWorker         *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  FLUID_WORKER_GET_CLASS (self)->status_async (self, cancellable, callback, user_data);
}

/**
 * fluid_worker_status_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_status_async().
 *
 * Returns: (transfer full) (nullable): the status, a `a{sv}` #GVariant, or
 *   %NULL on error
 *
 * Since: 1.0
 */
GVariant *
fluid_worker_status_finish (FluidWorker   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  return FLUID_WORKER_GET_CLASS (self)->status_finish (self, result, error);
}

typedef struct
{
  FluidWorkerClass *klass;
  GTask            *task;
} FluidStatusChain;

static void
fluid_worker_status_chain_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  FluidStatusChain *chain = user_data;
  g_autoptr(GTask) task = chain->task;
  GError *error = NULL;
  GVariant *status;

  status = chain->klass->status_finish (FLUID_WORKER (source), result, &error);
  g_free (chain);
  if (status == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, status, (GDestroyNotify) g_variant_unref);
}

/**
 * fluid_worker_status_for_type_async:
 * @self: a #FluidWorker
 * @type: a type of @self's hierarchy, from #FLUID_TYPE_WORKER to @self's
 *   own
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the status
 * @user_data: (closure): data for @callback
 *
 * Collects the status of @self as the `status_async` implementation of
 * @type's class does, whatever its subclasses override: how a binding's
 * override of `status_async` chains up to the implementation of its parent
 * class when the binding cannot call an asynchronous virtual method of a
 * parent class itself (PyGObject 3.42 cannot: its `do_status_async` of a
 * parent class crashes when the callback runs).
 *
 * Since: 1.2
 */
void
fluid_worker_status_for_type_async (FluidWorker         *self,
                                    GType                type,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  FluidStatusChain *chain;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (g_type_is_a (G_OBJECT_TYPE (self), type));
  g_return_if_fail (g_type_is_a (type, FLUID_TYPE_WORKER));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  chain = g_new0 (FluidStatusChain, 1);
  chain->klass = g_type_class_peek (type);
  chain->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (chain->task, fluid_worker_status_for_type_async);
  g_task_set_name (chain->task, "[fluid] status for type");
  chain->klass->status_async (self, cancellable, fluid_worker_status_chain_cb, chain);
}

/**
 * fluid_worker_status_for_type_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_status_for_type_async().
 *
 * Returns: (transfer full) (nullable): the status, a `a{sv}` #GVariant, or
 *   %NULL on error
 *
 * Since: 1.2
 */
GVariant *
fluid_worker_status_for_type_finish (FluidWorker   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, fluid_worker_status_for_type_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
