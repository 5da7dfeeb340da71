/* fluid-async-dispatcher.c: a dispatcher of asynchronous handlers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-async-dispatcher.h"
#include "fluid-base-dispatcher-private.h"

/**
 * SECTION:fluid-async-dispatcher
 * @short_description: A dispatcher of asynchronous handlers
 * @title: FluidAsyncDispatcher
 * @see_also: #FluidBaseDispatcher, #FluidDispatcher, #FluidAsyncConsumer
 *
 * A #FluidAsyncDispatcher is the #FluidBaseDispatcher of asynchronous
 * handlers, as aio-fluid's `AsyncDispatcher`, and a sibling of
 * #FluidDispatcher: each handler receives a #GTask and completes it, now or
 * later, with g_task_return_boolean() or g_task_return_error().
 * fluid_async_dispatcher_dispatch_async() starts every handler of the
 * message's event type at once and completes when all have, with their
 * number or the first error.
 *
 * |[<!-- language="C" -->
 * static void
 * store_later (const GValue *message,
 *              GTask        *task,
 *              gpointer      user_data)
 * {
 *   // keep a reference, complete when the work is done
 *   start_storing (message, g_object_ref (task));
 * }
 * ]|
 *
 * fluid_base_dispatcher_unregister_handler() and
 * fluid_base_dispatcher_get_n_handlers() work on it, as on any dispatcher.
 *
 * Since: 1.0
 */

G_DEFINE_TYPE (FluidAsyncDispatcher, fluid_async_dispatcher, FLUID_TYPE_BASE_DISPATCHER)

typedef struct
{
  GValue   message;
  guint    pending;
  guint    count;
  GError  *error;
} FluidDispatchData;

static void
fluid_dispatch_data_free (gpointer data)
{
  FluidDispatchData *dispatch = data;

  g_value_unset (&dispatch->message);
  g_clear_error (&dispatch->error);
  g_free (dispatch);
}

/* One handler less to wait for; takes @task's reference. */
static void
fluid_async_dispatcher_handler_done (GTask *task)
{
  FluidDispatchData *dispatch = g_task_get_task_data (task);

  if (--dispatch->pending == 0)
    {
      if (dispatch->error != NULL)
        g_task_return_error (task, g_steal_pointer (&dispatch->error));
      else
        g_task_return_int (task, dispatch->count);
    }
  g_object_unref (task);
}

static void
fluid_async_dispatcher_handler_cb (GObject      *source,
                                   GAsyncResult *result,
                                   gpointer      user_data)
{
  GTask *task = user_data;
  FluidDispatchData *dispatch = g_task_get_task_data (task);
  GError *error = NULL;

  /* The handler has completed: its data may go, if it was unregistered. */
  g_task_set_task_data (G_TASK (result), NULL, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), &error) && error != NULL)
    {
      if (dispatch->error == NULL)
        dispatch->error = error;
      else
        g_error_free (error);
    }

  /* The reference fluid_async_dispatcher_dispatch_async() kept on the
   * handler's task until it completed. */
  g_object_unref (result);
  fluid_async_dispatcher_handler_done (task);
}

static void
fluid_async_dispatcher_class_init (FluidAsyncDispatcherClass *klass)
{
}

static void
fluid_async_dispatcher_init (FluidAsyncDispatcher *self)
{
}

/**
 * fluid_async_dispatcher_new:
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   maps a message to its event type, or %NULL for the default of
 *   #FluidBaseDispatcherClass.event_type
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the dispatcher is finalized
 *
 * Creates a dispatcher of asynchronous handlers.
 *
 * Returns: (transfer full): a new #FluidAsyncDispatcher
 *
 * Since: 1.0
 */
FluidAsyncDispatcher *
fluid_async_dispatcher_new (FluidEventTypeFunc func,
                            gpointer           user_data,
                            GDestroyNotify     destroy)
{
  FluidAsyncDispatcher *self;

  g_return_val_if_fail (func != NULL || destroy == NULL, NULL);

  self = g_object_new (FLUID_TYPE_ASYNC_DISPATCHER, NULL);
  fluid_base_dispatcher_set_event_type_func (FLUID_BASE_DISPATCHER (self),
                                             func, user_data, destroy);

  return self;
}

/**
 * fluid_async_dispatcher_register_handler:
 * @self: a #FluidAsyncDispatcher
 * @event: the event, `"type"` or `"type.tag"` (see #FluidEvent)
 * @func: (scope notified) (closure user_data) (destroy destroy): the handler
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the handler is removed
 *
 * Registers an asynchronous handler for the messages of an event type. A
 * handler already registered for the same type and tag is replaced,
 * keeping its place in the order of starts; the old handler's destroy
 * notify runs once the new one is in place, and may call the dispatcher
 * again. An event with an empty type is refused with a critical, and
 * @user_data is then freed.
 *
 * Returns: %TRUE if a handler was replaced
 *
 * Since: 1.0
 */
gboolean
fluid_async_dispatcher_register_handler (FluidAsyncDispatcher  *self,
                                         const char            *event,
                                         FluidAsyncHandlerFunc  func,
                                         gpointer               user_data,
                                         GDestroyNotify         destroy)
{
  g_return_val_if_fail (FLUID_IS_ASYNC_DISPATCHER (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return fluid_base_dispatcher_add_handler (FLUID_BASE_DISPATCHER (self), event,
                                            G_CALLBACK (func), user_data, destroy);
}

/**
 * fluid_async_dispatcher_dispatch_async:
 * @self: a #FluidAsyncDispatcher
 * @message: the message, which is copied
 * @cancellable: (nullable): a #GCancellable, given to the handlers through
 *   their task
 * @callback: (scope async): called when every handler has completed
 * @user_data: (closure): data for @callback
 *
 * Starts every handler of the event type of @message at once, in the order
 * they were registered, and completes when all have completed. The
 * handlers started are exactly those registered when the dispatch began; a
 * handler unregistered or replaced meanwhile keeps its data until its task
 * has completed. A handler may dispatch again, and complete its task when
 * that dispatch completes.
 *
 * Since: 1.0
 */
void
fluid_async_dispatcher_dispatch_async (FluidAsyncDispatcher *self,
                                       const GValue         *message,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) handlers = NULL;
  FluidDispatchData *dispatch;

  g_return_if_fail (FLUID_IS_ASYNC_DISPATCHER (self));
  g_return_if_fail (G_IS_VALUE (message));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_async_dispatcher_dispatch_async);
  g_task_set_name (task, "[fluid] async dispatch");

  handlers = fluid_base_dispatcher_get_message_handlers (FLUID_BASE_DISPATCHER (self), message);
  if (handlers == NULL)
    {
      g_task_return_int (task, 0);
      return;
    }

  dispatch = g_new0 (FluidDispatchData, 1);
  g_value_init (&dispatch->message, G_VALUE_TYPE (message));
  g_value_copy (message, &dispatch->message);
  dispatch->count = handlers->len;
  /* One more than the handlers, dropped once they all started. */
  dispatch->pending = handlers->len + 1;
  g_task_set_task_data (task, dispatch, fluid_dispatch_data_free);

  for (guint i = 0; i < handlers->len; i++)
    {
      FluidHandler *handler = g_ptr_array_index (handlers, i);
      GTask *handler_task;

      /* Kept until it completes, whatever the handler does with it. */
      handler_task = g_task_new (self, cancellable, fluid_async_dispatcher_handler_cb,
                                 g_object_ref (task));
      g_task_set_source_tag (handler_task, fluid_async_dispatcher_register_handler);
      g_task_set_name (handler_task, "[fluid] async dispatcher handler");
      /* The handler's data stays until its task completes. */
      g_task_set_task_data (handler_task, fluid_handler_ref (handler),
                            (GDestroyNotify) fluid_handler_unref);
      ((FluidAsyncHandlerFunc) handler->func) (&dispatch->message, handler_task, handler->user_data);
    }

  fluid_async_dispatcher_handler_done (g_steal_pointer (&task));
}

/**
 * fluid_async_dispatcher_dispatch_finish:
 * @self: a #FluidAsyncDispatcher
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_async_dispatcher_dispatch_async(): the number of handlers
 * called, or the first error a handler completed with.
 *
 * Returns: the number of handlers; 0 on error
 *
 * Since: 1.0
 */
guint
fluid_async_dispatcher_dispatch_finish (FluidAsyncDispatcher  *self,
                                        GAsyncResult          *result,
                                        GError               **error)
{
  gssize count;

  g_return_val_if_fail (FLUID_IS_ASYNC_DISPATCHER (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        fluid_async_dispatcher_dispatch_async, 0);

  count = g_task_propagate_int (G_TASK (result), error);
  return count > 0 ? (guint) count : 0;
}
