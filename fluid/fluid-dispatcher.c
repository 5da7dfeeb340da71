/* fluid-dispatcher.c: a dispatcher of synchronous handlers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-dispatcher.h"
#include "fluid-base-dispatcher-private.h"

/**
 * SECTION:fluid-dispatcher
 * @short_description: A dispatcher of synchronous handlers
 * @title: FluidDispatcher
 * @see_also: #FluidBaseDispatcher, #FluidAsyncDispatcher, #FluidEvent
 *
 * A #FluidDispatcher is the #FluidBaseDispatcher of synchronous handlers,
 * as aio-fluid's `Dispatcher`: fluid_dispatcher_dispatch() calls every
 * handler of a message's event type, in the order they were registered,
 * and returns their number. The `event_type` virtual method of
 * #FluidBaseDispatcherClass, or the #FluidEventTypeFunc given to
 * fluid_dispatcher_new(), maps a message to its type.
 *
 * |[<!-- language="C" -->
 * g_autoptr(FluidDispatcher) dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
 *
 * fluid_dispatcher_register_handler (dispatcher, "greeting", say_hello, NULL, NULL);
 * fluid_dispatcher_register_handler (dispatcher, "greeting.loud", shout, NULL, NULL);
 * // a string message is its own event type: both handlers are called
 * fluid_dispatcher_dispatch (dispatcher, &greeting_value);
 * ]|
 *
 * fluid_base_dispatcher_unregister_handler() and
 * fluid_base_dispatcher_get_n_handlers() work on it, as do their names of
 * 1.0, fluid_dispatcher_unregister_handler() and
 * fluid_dispatcher_get_n_handlers().
 *
 * Since: 1.0
 */

G_DEFINE_TYPE (FluidDispatcher, fluid_dispatcher, FLUID_TYPE_BASE_DISPATCHER)

static void
fluid_dispatcher_class_init (FluidDispatcherClass *klass)
{
}

static void
fluid_dispatcher_init (FluidDispatcher *self)
{
}

/**
 * fluid_dispatcher_new:
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   maps a message to its event type, or %NULL for the default of
 *   #FluidBaseDispatcherClass.event_type
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the dispatcher is finalized
 *
 * Creates a dispatcher of synchronous handlers.
 *
 * Returns: (transfer full): a new #FluidDispatcher
 *
 * Since: 1.0
 */
FluidDispatcher *
fluid_dispatcher_new (FluidEventTypeFunc func,
                      gpointer           user_data,
                      GDestroyNotify     destroy)
{
  FluidDispatcher *self;

  g_return_val_if_fail (func != NULL || destroy == NULL, NULL);

  self = g_object_new (FLUID_TYPE_DISPATCHER, NULL);
  fluid_base_dispatcher_set_event_type_func (FLUID_BASE_DISPATCHER (self),
                                             func, user_data, destroy);

  return self;
}

/**
 * fluid_dispatcher_register_handler:
 * @self: a #FluidDispatcher
 * @event: the event, `"type"` or `"type.tag"` (see #FluidEvent)
 * @func: (scope notified) (closure user_data) (destroy destroy): the handler
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the handler is removed
 *
 * Registers a handler for the messages of an event type. A handler already
 * registered for the same type and tag is replaced, keeping its place in
 * the order of calls; the old handler's destroy notify runs once the new
 * one is in place, and may call the dispatcher again. An event with an
 * empty type is refused with a critical, and @user_data is then freed.
 *
 * Returns: %TRUE if a handler was replaced
 *
 * Since: 1.0
 */
gboolean
fluid_dispatcher_register_handler (FluidDispatcher  *self,
                                   const char       *event,
                                   FluidHandlerFunc  func,
                                   gpointer          user_data,
                                   GDestroyNotify    destroy)
{
  g_return_val_if_fail (FLUID_IS_DISPATCHER (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return fluid_base_dispatcher_add_handler (FLUID_BASE_DISPATCHER (self), event,
                                            G_CALLBACK (func), user_data, destroy);
}

/**
 * fluid_dispatcher_dispatch:
 * @self: a #FluidDispatcher
 * @message: the message
 *
 * Calls every handler of the event type of @message, in the order they
 * were registered.
 *
 * A handler may register, replace or unregister handlers and dispatch
 * again: the handlers called are exactly those registered for the event
 * type when the dispatch began, including any unregistered or replaced
 * meanwhile (their data is freed when the dispatch returns), and none
 * registered during it. A handler may drop the last reference to the
 * dispatcher; it is finalized when the dispatch returns.
 *
 * Returns: the number of handlers called; 0 for an event type without
 *   handlers
 *
 * Since: 1.0
 */
guint
fluid_dispatcher_dispatch (FluidDispatcher *self,
                           const GValue    *message)
{
  GPtrArray *handlers;
  guint called;

  g_return_val_if_fail (FLUID_IS_DISPATCHER (self), 0);
  g_return_val_if_fail (G_IS_VALUE (message), 0);

  handlers = fluid_base_dispatcher_get_message_handlers (FLUID_BASE_DISPATCHER (self), message);
  if (handlers == NULL)
    return 0;

  g_object_ref (self);
  for (called = 0; called < handlers->len; called++)
    {
      FluidHandler *handler = g_ptr_array_index (handlers, called);

      ((FluidHandlerFunc) handler->func) (message, handler->user_data);
    }
  /* The handlers unregistered meanwhile are freed here, at the latest. */
  g_ptr_array_unref (handlers);
  g_object_unref (self);

  return called;
}

/**
 * fluid_dispatcher_get_event_type: (skip)
 * @self: a #FluidDispatcher
 * @message: a message
 *
 * The name of 1.0 for fluid_base_dispatcher_get_event_type().
 *
 * Returns: (transfer full) (nullable): the event type, or %NULL when
 *   @message has none
 *
 * Since: 1.0
 */
char *
fluid_dispatcher_get_event_type (FluidDispatcher *self,
                                 const GValue    *message)
{
  g_return_val_if_fail (FLUID_IS_DISPATCHER (self), NULL);

  return fluid_base_dispatcher_get_event_type (FLUID_BASE_DISPATCHER (self), message);
}

/**
 * fluid_dispatcher_unregister_handler: (skip)
 * @self: a #FluidDispatcher
 * @event: the event the handler was registered for, `"type"` or
 *   `"type.tag"`
 *
 * The name of 1.0 for fluid_base_dispatcher_unregister_handler().
 *
 * Returns: %TRUE if a handler was removed
 *
 * Since: 1.0
 */
gboolean
fluid_dispatcher_unregister_handler (FluidDispatcher *self,
                                     const char      *event)
{
  g_return_val_if_fail (FLUID_IS_DISPATCHER (self), FALSE);

  return fluid_base_dispatcher_unregister_handler (FLUID_BASE_DISPATCHER (self), event);
}

/**
 * fluid_dispatcher_get_n_handlers: (skip)
 * @self: a #FluidDispatcher
 * @event_type: an event type, or an event `"type.tag"`
 *
 * The name of 1.0 for fluid_base_dispatcher_get_n_handlers().
 *
 * Returns: the number of handlers
 *
 * Since: 1.0
 */
guint
fluid_dispatcher_get_n_handlers (FluidDispatcher *self,
                                 const char      *event_type)
{
  g_return_val_if_fail (FLUID_IS_DISPATCHER (self), 0);

  return fluid_base_dispatcher_get_n_handlers (FLUID_BASE_DISPATCHER (self), event_type);
}
