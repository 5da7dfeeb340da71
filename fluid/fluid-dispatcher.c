/* fluid-dispatcher.c: handlers of messages keyed by event type and tag
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-dispatcher-private.h"
#include "fluid-event.h"

/**
 * SECTION:fluid-dispatcher
 * @short_description: Handlers of messages keyed by event type and tag
 * @title: FluidDispatcher
 * @see_also: #FluidEvent, #FluidAsyncDispatcher
 *
 * A #FluidDispatcher holds handlers keyed by event type, then by tag, and
 * calls every handler of a message's event type: the `event_type` virtual
 * method, or the #FluidEventTypeFunc given to fluid_dispatcher_new(), maps a
 * message to its type.
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
 * Registering a handler for an event that has one replaces it, in place.
 * A dispatcher is used from one thread.
 */

typedef struct
{
  /* event type → GPtrArray of FluidHandler, in registration order */
  GHashTable         *handlers;

  FluidEventTypeFunc  event_type_func;
  gpointer            event_type_data;
  GDestroyNotify      event_type_destroy;
} FluidDispatcherPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (FluidDispatcher, fluid_dispatcher, G_TYPE_OBJECT)

/* Handlers */

FluidHandler *
fluid_handler_ref (FluidHandler *handler)
{
  g_atomic_ref_count_inc (&handler->ref_count);
  return handler;
}

void
fluid_handler_unref (FluidHandler *handler)
{
  if (!g_atomic_ref_count_dec (&handler->ref_count))
    return;

  if (handler->destroy != NULL)
    handler->destroy (handler->user_data);
  g_free (handler->tag);
  g_free (handler);
}

/* Parses @event, refusing an empty type with a critical. */
static FluidEvent *
fluid_dispatcher_parse_event (const char *event)
{
  g_autoptr(GError) error = NULL;
  FluidEvent *parsed = fluid_event_new_from_string (event, &error);

  if (parsed == NULL)
    g_critical ("%s", error->message);
  return parsed;
}

static int
fluid_dispatcher_find_tag (GPtrArray  *handlers,
                           const char *tag)
{
  for (guint i = 0; i < handlers->len; i++)
    {
      FluidHandler *handler = g_ptr_array_index (handlers, i);

      if (g_str_equal (handler->tag, tag))
        return i;
    }
  return -1;
}

gboolean
fluid_dispatcher_add_handler (FluidDispatcher *self,
                              const char      *event,
                              GCallback        func,
                              gboolean         is_async,
                              gpointer         user_data,
                              GDestroyNotify   destroy)
{
  FluidDispatcherPrivate *priv = fluid_dispatcher_get_instance_private (self);
  g_autoptr(FluidEvent) parsed = fluid_dispatcher_parse_event (event);
  FluidHandler *handler, *old;
  GPtrArray *handlers;
  int index;

  if (parsed == NULL)
    {
      if (destroy != NULL)
        destroy (user_data);
      return FALSE;
    }

  handler = g_new0 (FluidHandler, 1);
  g_atomic_ref_count_init (&handler->ref_count);
  handler->tag = g_steal_pointer (&parsed->tag);
  handler->func = func;
  handler->is_async = is_async;
  handler->user_data = user_data;
  handler->destroy = destroy;

  handlers = g_hash_table_lookup (priv->handlers, parsed->type);
  if (handlers == NULL)
    {
      handlers = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_handler_unref);
      g_hash_table_insert (priv->handlers, g_steal_pointer (&parsed->type), handlers);
    }

  index = fluid_dispatcher_find_tag (handlers, handler->tag);
  if (index < 0)
    {
      g_ptr_array_add (handlers, handler);
      return FALSE;
    }

  /* Replaced in place, so that the order of calls stays. The old handler
   * is freed once the table is whole again: its destroy notify may call
   * back into the dispatcher, or drop the last reference to it. */
  old = g_ptr_array_index (handlers, index);
  g_ptr_array_index (handlers, index) = handler;
  fluid_handler_unref (old);
  return TRUE;
}

GPtrArray *
fluid_dispatcher_get_message_handlers (FluidDispatcher *self,
                                       const GValue    *message)
{
  FluidDispatcherPrivate *priv = fluid_dispatcher_get_instance_private (self);
  g_autofree char *type = FLUID_DISPATCHER_GET_CLASS (self)->event_type (self, message);
  GPtrArray *handlers, *copy;

  if (type == NULL)
    return NULL;
  handlers = g_hash_table_lookup (priv->handlers, type);
  if (handlers == NULL || handlers->len == 0)
    return NULL;

  copy = g_ptr_array_new_full (handlers->len, (GDestroyNotify) fluid_handler_unref);
  for (guint i = 0; i < handlers->len; i++)
    g_ptr_array_add (copy, fluid_handler_ref (g_ptr_array_index (handlers, i)));
  return copy;
}

void
fluid_dispatcher_set_event_type_func (FluidDispatcher    *self,
                                      FluidEventTypeFunc  func,
                                      gpointer            user_data,
                                      GDestroyNotify      destroy)
{
  FluidDispatcherPrivate *priv = fluid_dispatcher_get_instance_private (self);
  gpointer old_data = priv->event_type_data;
  GDestroyNotify old_destroy = priv->event_type_destroy;

  priv->event_type_func = func;
  priv->event_type_data = user_data;
  priv->event_type_destroy = destroy;
  if (old_destroy != NULL)
    old_destroy (old_data);
}

/* GObject */

static char *
fluid_dispatcher_real_event_type (FluidDispatcher *self,
                                  const GValue    *message)
{
  FluidDispatcherPrivate *priv = fluid_dispatcher_get_instance_private (self);

  if (priv->event_type_func != NULL)
    return priv->event_type_func (self, message, priv->event_type_data);
  if (G_VALUE_HOLDS_STRING (message))
    return g_value_dup_string (message);
  return g_strdup (G_VALUE_TYPE_NAME (message));
}

static GHashTable *
fluid_dispatcher_handler_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) g_ptr_array_unref);
}

static void
fluid_dispatcher_dispose (GObject *object)
{
  FluidDispatcher *self = FLUID_DISPATCHER (object);
  FluidDispatcherPrivate *priv = fluid_dispatcher_get_instance_private (self);

  /* The destroy notifies run on a table out of reach: the dispatcher they
   * may call is empty and whole; what they register is freed in turn. */
  while (g_hash_table_size (priv->handlers) > 0)
    {
      GHashTable *handlers = g_steal_pointer (&priv->handlers);

      priv->handlers = fluid_dispatcher_handler_table_new ();
      g_hash_table_unref (handlers);
    }

  G_OBJECT_CLASS (fluid_dispatcher_parent_class)->dispose (object);
}

static void
fluid_dispatcher_finalize (GObject *object)
{
  FluidDispatcher *self = FLUID_DISPATCHER (object);
  FluidDispatcherPrivate *priv = fluid_dispatcher_get_instance_private (self);

  g_clear_pointer (&priv->handlers, g_hash_table_unref);
  fluid_dispatcher_set_event_type_func (self, NULL, NULL, NULL);

  G_OBJECT_CLASS (fluid_dispatcher_parent_class)->finalize (object);
}

static void
fluid_dispatcher_class_init (FluidDispatcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fluid_dispatcher_dispose;
  object_class->finalize = fluid_dispatcher_finalize;

  klass->event_type = fluid_dispatcher_real_event_type;
}

static void
fluid_dispatcher_init (FluidDispatcher *self)
{
  FluidDispatcherPrivate *priv = fluid_dispatcher_get_instance_private (self);

  priv->handlers = fluid_dispatcher_handler_table_new ();
}

/* Public API */

/**
 * fluid_dispatcher_new:
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   maps a message to its event type, or %NULL for the default of
 *   #FluidDispatcherClass.event_type
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the dispatcher is finalized
 *
 * Creates a dispatcher of synchronous handlers.
 *
 * Returns: (transfer full): a new #FluidDispatcher
 */
FluidDispatcher *
fluid_dispatcher_new (FluidEventTypeFunc func,
                      gpointer           user_data,
                      GDestroyNotify     destroy)
{
  FluidDispatcher *self;

  g_return_val_if_fail (func != NULL || destroy == NULL, NULL);

  self = g_object_new (FLUID_TYPE_DISPATCHER, NULL);
  fluid_dispatcher_set_event_type_func (self, func, user_data, destroy);

  return self;
}

/**
 * fluid_dispatcher_get_event_type:
 * @self: a #FluidDispatcher
 * @message: a message
 *
 * Gets the event type of @message, with the `event_type` virtual method.
 *
 * Returns: (transfer full) (nullable): the event type, or %NULL when
 *   @message has none
 */
char *
fluid_dispatcher_get_event_type (FluidDispatcher *self,
                                 const GValue    *message)
{
  g_return_val_if_fail (FLUID_IS_DISPATCHER (self), NULL);
  g_return_val_if_fail (G_IS_VALUE (message), NULL);

  return FLUID_DISPATCHER_GET_CLASS (self)->event_type (self, message);
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

  return fluid_dispatcher_add_handler (self, event, G_CALLBACK (func), FALSE, user_data, destroy);
}

/**
 * fluid_dispatcher_unregister_handler:
 * @self: a #FluidDispatcher
 * @event: the event the handler was registered for, `"type"` or
 *   `"type.tag"`
 *
 * Removes the handler registered for exactly @event: `"type"` removes the
 * handler registered without a tag, not those with one. The handler is out
 * of the dispatcher when its destroy notify runs, which may call the
 * dispatcher again.
 *
 * Returns: %TRUE if a handler was removed
 */
gboolean
fluid_dispatcher_unregister_handler (FluidDispatcher *self,
                                     const char      *event)
{
  FluidDispatcherPrivate *priv;
  g_autoptr(FluidEvent) parsed = NULL;
  FluidHandler *handler;
  GPtrArray *handlers;
  int index;

  g_return_val_if_fail (FLUID_IS_DISPATCHER (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  priv = fluid_dispatcher_get_instance_private (self);

  parsed = fluid_dispatcher_parse_event (event);
  if (parsed == NULL)
    return FALSE;

  handlers = g_hash_table_lookup (priv->handlers, parsed->type);
  if (handlers == NULL)
    return FALSE;
  index = fluid_dispatcher_find_tag (handlers, parsed->tag);
  if (index < 0)
    return FALSE;

  /* Out of the table before its destroy notify runs. */
  handler = g_ptr_array_steal_index (handlers, index);
  if (handlers->len == 0)
    g_hash_table_remove (priv->handlers, parsed->type);
  fluid_handler_unref (handler);
  return TRUE;
}

/**
 * fluid_dispatcher_get_n_handlers:
 * @self: a #FluidDispatcher
 * @event_type: an event type, or an event `"type.tag"`
 *
 * Counts the handlers of an event type, whatever their tag; for
 * `"type.tag"`, whether that one handler is registered.
 *
 * Returns: the number of handlers
 */
guint
fluid_dispatcher_get_n_handlers (FluidDispatcher *self,
                                 const char      *event_type)
{
  FluidDispatcherPrivate *priv;
  g_autoptr(FluidEvent) parsed = NULL;
  GPtrArray *handlers;

  g_return_val_if_fail (FLUID_IS_DISPATCHER (self), 0);
  g_return_val_if_fail (event_type != NULL, 0);

  priv = fluid_dispatcher_get_instance_private (self);

  parsed = fluid_dispatcher_parse_event (event_type);
  if (parsed == NULL)
    return 0;

  handlers = g_hash_table_lookup (priv->handlers, parsed->type);
  if (handlers == NULL)
    return 0;
  if (strchr (event_type, '.') == NULL)
    return handlers->len;
  return fluid_dispatcher_find_tag (handlers, parsed->tag) >= 0 ? 1 : 0;
}

/**
 * fluid_dispatcher_dispatch:
 * @self: a #FluidDispatcher
 * @message: the message
 *
 * Calls every handler of the event type of @message, in the order they
 * were registered. A handler may register, replace or unregister handlers
 * and dispatch again: the handlers called are exactly those registered for
 * the event type when the dispatch began, including any unregistered or
 * replaced meanwhile (their data is freed when the dispatch returns), and
 * none registered during it.
 * Asynchronous handlers of a #FluidAsyncDispatcher are not called here
 * (a critical tells so): use fluid_async_dispatcher_dispatch_async().
 *
 * Returns: the number of handlers called; 0 for an event type without
 *   handlers
 */
guint
fluid_dispatcher_dispatch (FluidDispatcher *self,
                           const GValue    *message)
{
  g_autoptr(GPtrArray) handlers = NULL;
  guint called = 0;

  g_return_val_if_fail (FLUID_IS_DISPATCHER (self), 0);
  g_return_val_if_fail (G_IS_VALUE (message), 0);

  handlers = fluid_dispatcher_get_message_handlers (self, message);
  if (handlers == NULL)
    return 0;

  /* A handler may drop the last reference to the dispatcher. */
  g_object_ref (self);
  for (guint i = 0; i < handlers->len; i++)
    {
      FluidHandler *handler = g_ptr_array_index (handlers, i);

      if (handler->is_async)
        {
          g_critical ("fluid_dispatcher_dispatch: the handler for tag “%s” is asynchronous; "
                      "use fluid_async_dispatcher_dispatch_async()", handler->tag);
          continue;
        }
      ((FluidHandlerFunc) handler->func) (message, handler->user_data);
      called++;
    }
  /* The handlers unregistered meanwhile are freed here, at the latest. */
  g_clear_pointer (&handlers, g_ptr_array_unref);
  g_object_unref (self);

  return called;
}
