/* fluid-message-queue-private.h: a thread-safe queue of messages, in
 * priority lanes, with the producers and getters that wait on it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "fluid-message-private.h"

G_BEGIN_DECLS

/* See fluid-message-queue.c for the cost model and the threading
 * contract. */
typedef struct _FluidMessageQueue FluidMessageQueue;

/* How the messages a taker took ended, told back in one go:
 * fluid_message_queue_tally() adds them to the counters and zeroes them.
 * @cancelled is for an owner that counts its messages itself (see
 * fluid_message_queue_set_owner_counts()): a job worker's jobs. */
typedef struct
{
  guint64 processed;
  guint64 failed;
  guint64 discarded;
  guint64 cancelled;
} FluidMessageTally;

/* The counters, read together under the lock. A closed queue reports a
 * size of 0. */
typedef struct
{
  guint   size;
  guint64 processed;
  guint64 failed;
  guint64 discarded;
  guint64 cancelled;
} FluidMessageCounters;

/* When fluid_message_queue_steal() arms the reader's wake-up. */
typedef enum
{
  FLUID_MESSAGE_QUEUE_ARM_NEVER,
  FLUID_MESSAGE_QUEUE_ARM_IF_NONE,    /* it took nothing */
  FLUID_MESSAGE_QUEUE_ARM_IF_EMPTY,   /* it left the queue empty */
} FluidMessageQueueArm;

/* Called outside the lock, on the thread that caused it. */
typedef void (* FluidMessageQueueFunc) (gpointer user_data);

/* Called under the lock, for each queued message in the order they will
 * be taken; must not call the queue. */
typedef void (* FluidMessageQueueForeachFunc) (FluidMessage *message,
                                               gpointer      user_data);

/* @changed is called when a counter changes while the counters are
 * watched, once until fluid_message_queue_counters_seen(). */
FluidMessageQueue *fluid_message_queue_new          (FluidMessageQueueFunc         changed,
                                                     gpointer                      user_data);
void              fluid_message_queue_free          (FluidMessageQueue            *self);

/* Producers: any thread. */
gboolean          fluid_message_queue_push          (FluidMessageQueue            *self,
                                                     FluidMessage                 *message);
gboolean          fluid_message_queue_try_push      (FluidMessageQueue            *self,
                                                     FluidMessage                 *message);
void              fluid_message_queue_send          (FluidMessageQueue            *self,
                                                     FluidMessage                 *message,
                                                     GTask                        *task);
guint             fluid_message_queue_get_max_size  (FluidMessageQueue            *self);
gboolean          fluid_message_queue_set_max_size  (FluidMessageQueue            *self,
                                                     guint                         max_size);

/* Takers: the one reader that drives the queue (a pump on a context, or
 * threads). */
void              fluid_message_queue_set_reader    (FluidMessageQueue            *self,
                                                     FluidMessageQueueFunc         wake,
                                                     gpointer                      user_data);
guint             fluid_message_queue_steal         (FluidMessageQueue            *self,
                                                     guint                         max,
                                                     guint                         share,
                                                     FluidMessageQueueArm          arm,
                                                     FluidMessageTally            *tally,
                                                     FluidMessageList             *batch,
                                                     guint                        *left);
void              fluid_message_queue_start         (FluidMessageQueue            *self,
                                                     guint                         n);
gboolean          fluid_message_queue_preempts      (FluidMessageQueue            *self,
                                                     int                           priority);
gboolean          fluid_message_queue_recalled      (FluidMessageQueue            *self);
void              fluid_message_queue_put_back      (FluidMessageQueue            *self,
                                                     FluidMessageList             *batch,
                                                     gboolean                      started,
                                                     FluidMessageTally            *tally);
void              fluid_message_queue_tally         (FluidMessageQueue            *self,
                                                     FluidMessageTally            *tally);
gboolean          fluid_message_queue_can_take      (FluidMessageQueue            *self);

/* What owns the queue: any thread. */
gboolean          fluid_message_queue_remove        (FluidMessageQueue            *self,
                                                     FluidMessage                 *message);
void              fluid_message_queue_foreach       (FluidMessageQueue            *self,
                                                     FluidMessageQueueForeachFunc  func,
                                                     gpointer                      user_data);
guint             fluid_message_queue_get_size      (FluidMessageQueue            *self);
guint64           fluid_message_queue_get_discarded (FluidMessageQueue            *self);
gboolean          fluid_message_queue_is_idle       (FluidMessageQueue            *self);
void              fluid_message_queue_read_counters (FluidMessageQueue            *self,
                                                     FluidMessageCounters         *counters);
void              fluid_message_queue_watch         (FluidMessageQueue            *self,
                                                     gboolean                      watched);
void              fluid_message_queue_counters_seen (FluidMessageQueue            *self);
void              fluid_message_queue_changed       (FluidMessageQueue            *self);
void              fluid_message_queue_set_owner_counts (FluidMessageQueue         *self);
void              fluid_message_queue_count         (FluidMessageQueue            *self,
                                                     const FluidMessageTally      *outcomes);
void              fluid_message_queue_stop_taking   (FluidMessageQueue            *self,
                                                     gboolean                      drain);
FluidMessageList  fluid_message_queue_close         (FluidMessageQueue            *self,
                                                     const GError                 *error);
gboolean          fluid_message_queue_is_closed     (FluidMessageQueue            *self);

/* Getters: on the thread of their context, the reader's. */
void              fluid_message_queue_get           (FluidMessageQueue            *self,
                                                     GTask                        *task,
                                                     double                        timeout);
guint             fluid_message_queue_serve_getters (FluidMessageQueue            *self);
gboolean          fluid_message_queue_has_getters   (FluidMessageQueue            *self);

G_END_DECLS
