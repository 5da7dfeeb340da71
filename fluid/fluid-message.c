/* fluid-message.c: the messages of a queue consumer, and their lists
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-message-private.h"

/* Whether a #GValue of @type holds its whole content in data[0] and owns
 * nothing: the scalar fundamental types. Such a value is copied bitwise and
 * freed without g_value_unset(), which spares the value-table look-ups of
 * g_value_init(), g_value_copy() and g_value_unset() on the hot path of
 * small messages. Only the exact fundamental types: a derived type could
 * bring its own value table. */
static inline gboolean
fluid_message_type_is_plain (GType type)
{
  switch (type)
    {
    case G_TYPE_CHAR:
    case G_TYPE_UCHAR:
    case G_TYPE_BOOLEAN:
    case G_TYPE_INT:
    case G_TYPE_UINT:
    case G_TYPE_LONG:
    case G_TYPE_ULONG:
    case G_TYPE_INT64:
    case G_TYPE_UINT64:
    case G_TYPE_FLOAT:
    case G_TYPE_DOUBLE:
    case G_TYPE_POINTER:
      return TRUE;

    default:
      return FALSE;
    }
}

/* A new message holding a value of @type, initialized to its default, at
 * G_PRIORITY_DEFAULT. */
FluidMessage *
fluid_message_new (GType type)
{
  FluidMessage *message = g_slice_new0 (FluidMessage);

  g_value_init (&message->value, type);
  message->priority = G_PRIORITY_DEFAULT;
  return message;
}

/* A new message holding a copy of @value, at G_PRIORITY_DEFAULT. */
FluidMessage *
fluid_message_copy (const GValue *value)
{
  GType type = G_VALUE_TYPE (value);
  FluidMessage *copy;

  if (fluid_message_type_is_plain (type))
    {
      /* What g_value_init() then g_value_copy() leave: the type, data[0]
       * as the source has it, data[1] zero. */
      copy = g_slice_new (FluidMessage);
      copy->value.g_type = type;
      copy->value.data[0] = value->data[0];
      copy->value.data[1].v_uint64 = 0;
      copy->next = copy->prev = NULL;
      copy->priority = G_PRIORITY_DEFAULT;
      copy->epoch = 0;
      return copy;
    }

  copy = fluid_message_new (type);
  g_value_copy (value, &copy->value);
  return copy;
}

void
fluid_message_free (FluidMessage *message)
{
  if (!fluid_message_type_is_plain (G_VALUE_TYPE (&message->value)))
    g_value_unset (&message->value);
  g_slice_free (FluidMessage, message);
}

/* Frees @message, whose value it moves to a block of its own, which
 * g_boxed_free (G_TYPE_VALUE, ...) frees: what a getter hands out. */
GValue *
fluid_message_free_to_value (FluidMessage *message)
{
  GValue *value = g_new (GValue, 1);

  *value = message->value;
  g_slice_free (FluidMessage, message);
  return value;
}

/* Frees every message of @list, in order; may run arbitrary code (the
 * finalization of an object message). */
void
fluid_message_list_free (FluidMessageList *list)
{
  FluidMessage *message;

  while ((message = fluid_message_list_pop (list)) != NULL)
    fluid_message_free (message);
}
