/* fluid-message-private.h: the messages of a queue consumer, and their lists
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* A queued message: the GValue first, so that the block, allocated with
 * g_new(), is also what g_boxed_free (G_TYPE_VALUE, ...) frees when a
 * getter hands the value out. */
typedef struct _FluidMessage FluidMessage;

struct _FluidMessage
{
  GValue        value;
  FluidMessage *next;
};

/* A FIFO of messages linked through their own blocks: one allocation per
 * message, and a whole list moves in O(1). A list has no lock: its owner
 * says which lock or thread protects it. */
typedef struct
{
  FluidMessage *head;
  FluidMessage *tail;
  guint         length;
} FluidMessageList;

FluidMessage *fluid_message_new      (GType         type);
FluidMessage *fluid_message_copy     (const GValue *value);
void          fluid_message_free     (FluidMessage *message);

void          fluid_message_list_free (FluidMessageList *list);

static inline void
fluid_message_list_push (FluidMessageList *list,
                         FluidMessage     *message)
{
  message->next = NULL;
  if (list->tail != NULL)
    list->tail->next = message;
  else
    list->head = message;
  list->tail = message;
  list->length++;
}

static inline FluidMessage *
fluid_message_list_pop (FluidMessageList *list)
{
  FluidMessage *message = list->head;

  if (message == NULL)
    return NULL;
  list->head = message->next;
  if (list->head == NULL)
    list->tail = NULL;
  list->length--;
  message->next = NULL;
  return message;
}

/* Moves every message of @from, in order, in front of those of @to. */
static inline void
fluid_message_list_prepend_list (FluidMessageList *to,
                                 FluidMessageList *from)
{
  if (from->head == NULL)
    return;
  from->tail->next = to->head;
  if (to->tail == NULL)
    to->tail = from->tail;
  to->head = from->head;
  to->length += from->length;
  *from = (FluidMessageList) { NULL, NULL, 0 };
}

/* Takes the whole of @list, in O(1). */
static inline FluidMessageList
fluid_message_list_steal (FluidMessageList *list)
{
  FluidMessageList stolen = *list;

  *list = (FluidMessageList) { NULL, NULL, 0 };
  return stolen;
}

G_END_DECLS
