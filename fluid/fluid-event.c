/* fluid-event.c: the event a dispatcher's handler is registered for
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-event.h"

#include <gio/gio.h>

/**
 * SECTION:fluid-event
 * @short_description: The event a dispatcher's handler is registered for
 * @title: FluidEvent
 * @see_also: #FluidDispatcher
 *
 * A #FluidEvent names what a #FluidDispatcher handler is registered for:
 * an event type and an optional tag, written `"type"` or `"type.tag"`.
 * Handlers are keyed by type, then by tag: a message of a type goes to every
 * handler of that type, whatever its tag.
 */

G_DEFINE_BOXED_TYPE (FluidEvent, fluid_event, fluid_event_copy, fluid_event_free)

/**
 * fluid_event_new:
 * @type: the event type: not empty, without a dot
 * @tag: (nullable): the tag, or %NULL or the empty string for none
 *
 * Creates an event.
 *
 * Returns: (transfer full): a new #FluidEvent
 *
 * Since: 1.0
 */
FluidEvent *
fluid_event_new (const char *type,
                 const char *tag)
{
  FluidEvent *event;

  g_return_val_if_fail (type != NULL && *type != '\0', NULL);
  g_return_val_if_fail (strchr (type, '.') == NULL, NULL);

  event = g_new0 (FluidEvent, 1);
  event->type = g_strdup (type);
  event->tag = g_strdup (tag != NULL ? tag : "");

  return event;
}

/**
 * fluid_event_new_from_string:
 * @event: `"type"` or `"type.tag"`
 * @error: return location for a #GError
 *
 * Parses an event: the type is what comes before the first dot, the tag
 * what comes after it. An empty type is refused with
 * %G_IO_ERROR_INVALID_ARGUMENT.
 *
 * Returns: (transfer full) (nullable): a new #FluidEvent, or %NULL on error
 *
 * Since: 1.0
 */
FluidEvent *
fluid_event_new_from_string (const char  *event,
                             GError     **error)
{
  const char *dot;
  FluidEvent *self;

  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dot = strchr (event, '.');
  if (dot == event || *event == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Invalid event “%s”: the event type is empty", event);
      return NULL;
    }

  self = g_new0 (FluidEvent, 1);
  if (dot != NULL)
    {
      self->type = g_strndup (event, dot - event);
      self->tag = g_strdup (dot + 1);
    }
  else
    {
      self->type = g_strdup (event);
      self->tag = g_strdup ("");
    }

  return self;
}

/**
 * fluid_event_copy:
 * @event: a #FluidEvent
 *
 * Copies an event.
 *
 * Returns: (transfer full): a copy of @event
 *
 * Since: 1.0
 */
FluidEvent *
fluid_event_copy (const FluidEvent *event)
{
  FluidEvent *copy;

  g_return_val_if_fail (event != NULL, NULL);

  copy = g_new0 (FluidEvent, 1);
  copy->type = g_strdup (event->type);
  copy->tag = g_strdup (event->tag);

  return copy;
}

/**
 * fluid_event_free:
 * @event: (nullable): a #FluidEvent
 *
 * Frees an event.
 *
 * Since: 1.0
 */
void
fluid_event_free (FluidEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->type);
  g_free (event->tag);
  g_free (event);
}

/**
 * fluid_event_to_string:
 * @event: a #FluidEvent
 *
 * Formats an event: `"type"` without a tag, else `"type.tag"`.
 *
 * Returns: (transfer full): the string form of @event
 *
 * Since: 1.0
 */
char *
fluid_event_to_string (const FluidEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  if (event->tag == NULL || *event->tag == '\0')
    return g_strdup (event->type);
  return g_strconcat (event->type, ".", event->tag, NULL);
}

/**
 * fluid_event_equal:
 * @a: a #FluidEvent
 * @b: a #FluidEvent
 *
 * Compares two events.
 *
 * Returns: %TRUE if @a and @b have the same type and tag
 *
 * Since: 1.0
 */
gboolean
fluid_event_equal (const FluidEvent *a,
                   const FluidEvent *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return g_strcmp0 (a->type, b->type) == 0 && g_strcmp0 (a->tag, b->tag) == 0;
}
