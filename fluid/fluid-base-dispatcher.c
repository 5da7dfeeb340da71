/* fluid-base-dispatcher.c: the handler table shared by the dispatchers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-base-dispatcher-private.h"
#include "fluid-event.h"

/**
 * SECTION:fluid-base-dispatcher
 * @short_description: The handler table shared by the dispatchers
 * @title: FluidBaseDispatcher
 * @see_also: #FluidDispatcher, #FluidAsyncDispatcher, #FluidEvent
 *
 * #FluidBaseDispatcher is the abstract base of the two dispatchers, as
 * aio-fluid's `BaseDispatcher`: #FluidDispatcher, whose handlers are
 * synchronous, and #FluidAsyncDispatcher, whose handlers complete
 * asynchronously. It holds the handlers keyed by event type, then by tag,
 * and maps a message to its event type with the `event_type` virtual
 * method; each subclass registers and calls handlers of its own kind.
 *
 * |[<!-- language="plain" -->
 * GObject
 * ╰── FluidBaseDispatcher (abstract)
 *     ├── FluidDispatcher       register_handler (FluidHandlerFunc), dispatch
 *     ╰── FluidAsyncDispatcher  register_handler (FluidAsyncHandlerFunc), dispatch_async
 * ]|
 *
 * An event is `"type"` or `"type.tag"` (see #FluidEvent): a message of
 * event type `type` goes to every handler registered for `type`, whatever
 * its tag. Registering a handler for an event that has one replaces it, in
 * place.
 *
 * User code may call back into a dispatcher from anywhere: a handler, or
 * the destroy notify of a handler's data, may register, replace or
 * unregister handlers, dispatch, or drop the last reference to the
 * dispatcher. The handler table is never half-changed when user code runs:
 * a destroy notify runs once its handler is out of the table.
 *
 * A dispatcher is used from one thread.
 *
 * Since: 1.2
 */

typedef struct
{
  /* event type → GPtrArray of FluidHandler, in registration order */
  GHashTable         *handlers;

  FluidEventTypeFunc  event_type_func;
  gpointer            event_type_data;
  GDestroyNotify      event_type_destroy;
} FluidBaseDispatcherPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (FluidBaseDispatcher, fluid_base_dispatcher, G_TYPE_OBJECT)

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

static GHashTable *
fluid_base_dispatcher_handler_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) g_ptr_array_unref);
}

/* Parses @event, refusing an empty type with a critical. */
static FluidEvent *
fluid_base_dispatcher_parse_event (const char *event)
{
  g_autoptr(GError) error = NULL;
  FluidEvent *parsed = fluid_event_new_from_string (event, &error);

  if (parsed == NULL)
    g_critical ("%s", error->message);
  return parsed;
}

static int
fluid_base_dispatcher_find_tag (GPtrArray  *handlers,
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
fluid_base_dispatcher_add_handler (FluidBaseDispatcher *self,
                                   const char          *event,
                                   GCallback            func,
                                   gpointer             user_data,
                                   GDestroyNotify       destroy)
{
  FluidBaseDispatcherPrivate *priv = fluid_base_dispatcher_get_instance_private (self);
  g_autoptr(FluidEvent) parsed = fluid_base_dispatcher_parse_event (event);
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
  handler->user_data = user_data;
  handler->destroy = destroy;

  handlers = g_hash_table_lookup (priv->handlers, parsed->type);
  if (handlers == NULL)
    {
      handlers = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_handler_unref);
      g_hash_table_insert (priv->handlers, g_steal_pointer (&parsed->type), handlers);
    }

  index = fluid_base_dispatcher_find_tag (handlers, handler->tag);
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
fluid_base_dispatcher_get_message_handlers (FluidBaseDispatcher *self,
                                            const GValue        *message)
{
  FluidBaseDispatcherPrivate *priv = fluid_base_dispatcher_get_instance_private (self);
  g_autofree char *type = FLUID_BASE_DISPATCHER_GET_CLASS (self)->event_type (self, message);
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
fluid_base_dispatcher_set_event_type_func (FluidBaseDispatcher *self,
                                           FluidEventTypeFunc   func,
                                           gpointer             user_data,
                                           GDestroyNotify       destroy)
{
  FluidBaseDispatcherPrivate *priv = fluid_base_dispatcher_get_instance_private (self);
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
fluid_base_dispatcher_real_event_type (FluidBaseDispatcher *self,
                                       const GValue        *message)
{
  FluidBaseDispatcherPrivate *priv = fluid_base_dispatcher_get_instance_private (self);

  if (priv->event_type_func != NULL)
    return priv->event_type_func (self, message, priv->event_type_data);
  if (G_VALUE_HOLDS_STRING (message))
    return g_value_dup_string (message);
  return g_strdup (G_VALUE_TYPE_NAME (message));
}

static void
fluid_base_dispatcher_dispose (GObject *object)
{
  FluidBaseDispatcher *self = FLUID_BASE_DISPATCHER (object);
  FluidBaseDispatcherPrivate *priv = fluid_base_dispatcher_get_instance_private (self);

  /* The destroy notifies run on a table out of reach: the dispatcher they
   * may call is empty and whole; what they register is freed in turn. */
  while (g_hash_table_size (priv->handlers) > 0)
    {
      GHashTable *handlers = g_steal_pointer (&priv->handlers);

      priv->handlers = fluid_base_dispatcher_handler_table_new ();
      g_hash_table_unref (handlers);
    }

  G_OBJECT_CLASS (fluid_base_dispatcher_parent_class)->dispose (object);
}

static void
fluid_base_dispatcher_finalize (GObject *object)
{
  FluidBaseDispatcher *self = FLUID_BASE_DISPATCHER (object);
  FluidBaseDispatcherPrivate *priv = fluid_base_dispatcher_get_instance_private (self);

  g_clear_pointer (&priv->handlers, g_hash_table_unref);
  fluid_base_dispatcher_set_event_type_func (self, NULL, NULL, NULL);

  G_OBJECT_CLASS (fluid_base_dispatcher_parent_class)->finalize (object);
}

static void
fluid_base_dispatcher_class_init (FluidBaseDispatcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fluid_base_dispatcher_dispose;
  object_class->finalize = fluid_base_dispatcher_finalize;

  klass->event_type = fluid_base_dispatcher_real_event_type;
}

static void
fluid_base_dispatcher_init (FluidBaseDispatcher *self)
{
  FluidBaseDispatcherPrivate *priv = fluid_base_dispatcher_get_instance_private (self);

  priv->handlers = fluid_base_dispatcher_handler_table_new ();
}

/* Public API */

/**
 * FluidBaseDispatcherClass::event_type:
 * @self: a #FluidBaseDispatcher
 * @message: a message
 *
 * Maps a message to its event type. The default calls the
 * #FluidEventTypeFunc given to fluid_dispatcher_new() or
 * fluid_async_dispatcher_new(); without one, a string message is its own
 * event type, and any other message's event type is the name of its
 * #GType.
 *
 * Returns: (transfer full) (nullable): the event type of @message, or
 *   %NULL when no handler is to be called
 *
 * Since: 1.2
 */

/**
 * fluid_base_dispatcher_get_event_type:
 * @self: a #FluidBaseDispatcher
 * @message: a message
 *
 * Gets the event type of @message, with the `event_type` virtual method.
 *
 * Returns: (transfer full) (nullable): the event type, or %NULL when
 *   @message has none
 *
 * Since: 1.2
 */
char *
fluid_base_dispatcher_get_event_type (FluidBaseDispatcher *self,
                                      const GValue        *message)
{
  g_return_val_if_fail (FLUID_IS_BASE_DISPATCHER (self), NULL);
  g_return_val_if_fail (G_IS_VALUE (message), NULL);

  return FLUID_BASE_DISPATCHER_GET_CLASS (self)->event_type (self, message);
}

/**
 * fluid_base_dispatcher_unregister_handler:
 * @self: a #FluidBaseDispatcher
 * @event: the event the handler was registered for, `"type"` or
 *   `"type.tag"`
 *
 * Removes the handler registered for exactly @event: `"type"` removes the
 * handler registered without a tag, not those with one. The handler is out
 * of the dispatcher when its destroy notify runs, which may call the
 * dispatcher again. A dispatch in progress still calls it, and frees its
 * data when it is done with it.
 *
 * Returns: %TRUE if a handler was removed
 *
 * Since: 1.2
 */
gboolean
fluid_base_dispatcher_unregister_handler (FluidBaseDispatcher *self,
                                          const char          *event)
{
  FluidBaseDispatcherPrivate *priv;
  g_autoptr(FluidEvent) parsed = NULL;
  FluidHandler *handler;
  GPtrArray *handlers;
  int index;

  g_return_val_if_fail (FLUID_IS_BASE_DISPATCHER (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  priv = fluid_base_dispatcher_get_instance_private (self);

  parsed = fluid_base_dispatcher_parse_event (event);
  if (parsed == NULL)
    return FALSE;

  handlers = g_hash_table_lookup (priv->handlers, parsed->type);
  if (handlers == NULL)
    return FALSE;
  index = fluid_base_dispatcher_find_tag (handlers, parsed->tag);
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
 * fluid_base_dispatcher_get_n_handlers:
 * @self: a #FluidBaseDispatcher
 * @event_type: an event type, or an event `"type.tag"`
 *
 * Counts the handlers of an event type, whatever their tag; for
 * `"type.tag"`, whether that one handler is registered.
 *
 * Returns: the number of handlers
 *
 * Since: 1.2
 */
guint
fluid_base_dispatcher_get_n_handlers (FluidBaseDispatcher *self,
                                      const char          *event_type)
{
  FluidBaseDispatcherPrivate *priv;
  g_autoptr(FluidEvent) parsed = NULL;
  GPtrArray *handlers;

  g_return_val_if_fail (FLUID_IS_BASE_DISPATCHER (self), 0);
  g_return_val_if_fail (event_type != NULL, 0);

  priv = fluid_base_dispatcher_get_instance_private (self);

  parsed = fluid_base_dispatcher_parse_event (event_type);
  if (parsed == NULL)
    return 0;

  handlers = g_hash_table_lookup (priv->handlers, parsed->type);
  if (handlers == NULL)
    return 0;
  if (strchr (event_type, '.') == NULL)
    return handlers->len;
  return fluid_base_dispatcher_find_tag (handlers, parsed->tag) >= 0 ? 1 : 0;
}
