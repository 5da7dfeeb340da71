/* fluid-message-private.h: the messages of a queue consumer, and their lists
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* A queued message: a GValue and its links, in one block from GLib's
 * slice allocator, a message being made and freed on the hot path of
 * every consumer. */
typedef struct _FluidMessage FluidMessage;

struct _FluidMessage
{
  GValue        value;
  /* The links of the one list the message is in; whoever holds the list
   * owns them: a FluidMessageQueue's lock while the message is queued. */
  FluidMessage *next;
  FluidMessage *prev;
  /* Its lane: a G_PRIORITY_* value, the lower the sooner. Set before it
   * is queued, then constant. */
  int           priority;
  /* The epoch of the lane it was queued in (see fluid-message-queue.c);
   * under the queue's lock. */
  guint64       epoch;
};

/* A FIFO of messages linked through their own blocks: one allocation per
 * message, a whole list moves or joins another in O(1), and a message
 * leaves from anywhere in O(1). The @prev of the head means nothing: a
 * pop reads the message it takes and writes nothing to the next one, so
 * that a reader walking a long batch of cold messages waits for one miss
 * a message, not two in a row. A list has no lock: its owner says which
 * lock or thread protects it. */
typedef struct
{
  FluidMessage *head;
  FluidMessage *tail;
  guint         length;
} FluidMessageList;

#define FLUID_MESSAGE_LIST_INIT { NULL, NULL, 0 }

FluidMessage *fluid_message_new      (GType         type);
FluidMessage *fluid_message_copy     (const GValue *value);
void          fluid_message_free     (FluidMessage *message);
GValue       *fluid_message_free_to_value (FluidMessage *message);

void          fluid_message_list_free (FluidMessageList *list);

static inline void
fluid_message_list_push (FluidMessageList *list,
                         FluidMessage     *message)
{
  message->next = NULL;
  message->prev = list->tail;
  if (list->tail != NULL)
    list->tail->next = message;
  else
    list->head = message;
  list->tail = message;
  list->length++;
}

static inline void
fluid_message_list_push_head (FluidMessageList *list,
                              FluidMessage     *message)
{
  message->next = list->head;
  if (list->head != NULL)
    list->head->prev = message;
  else
    list->tail = message;
  list->head = message;
  list->length++;
}

static inline void
fluid_message_list_unlink (FluidMessageList *list,
                           FluidMessage     *message)
{
  gboolean head = message == list->head;

  if (head)
    list->head = message->next;
  else
    message->prev->next = message->next;
  if (message == list->tail)
    list->tail = head ? NULL : message->prev;
  else if (!head)
    message->next->prev = message->prev;
  message->next = NULL;
  list->length--;
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
  message->next = NULL;
  list->length--;
  return message;
}

/* Moves every message of @from, in order, after those of @to. */
static inline void
fluid_message_list_append_list (FluidMessageList *to,
                                FluidMessageList *from)
{
  if (from->head == NULL)
    return;
  from->head->prev = to->tail;
  if (to->tail != NULL)
    to->tail->next = from->head;
  else
    to->head = from->head;
  to->tail = from->tail;
  to->length += from->length;
  *from = (FluidMessageList) FLUID_MESSAGE_LIST_INIT;
}

/* Takes the whole of @list, in O(1). */
static inline FluidMessageList
fluid_message_list_steal (FluidMessageList *list)
{
  FluidMessageList stolen = *list;

  *list = (FluidMessageList) FLUID_MESSAGE_LIST_INIT;
  return stolen;
}

G_END_DECLS
