/* fluid-queue-counters-private.h: who hears of a queue consumer's counters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-queue-consumer-private.h"
#include "fluid-clock-private.h"

G_BEGIN_DECLS

/* The counter properties of a class: the consumer's four, then those of
 * its subclasses (fluid_queue_consumer_class_add_counter()). */
#define FLUID_QUEUE_MAX_COUNTERS 8

/* The listeners of a consumer's counters, which its message queue counts
 * on any thread. When they change, the queue wakes the consumer's context
 * once until they are read again; there, each watcher is told
 * (fluid_queue_consumer_watch_counters(): a D-Bus export, the consumer
 * itself), and the consumer's own watch notifies its counter properties:
 * at most every 100 ms, and only those a handler of notify listens to.
 * While nobody listens, it looks for a listener again no sooner than a
 * second later. Everything here is on the consumer's context. */
typedef struct
{
  FluidQueueConsumer *consumer;  /* not a reference: it holds this */
  FluidMessageQueue  *queue;     /* the consumer's */
  GArray             *watchers;  /* of FluidQueueCountersWatch, or NULL */

  /* The counter properties: their values as last notified, the tick that
   * notifies them, when it last ran, and whether it heard nobody then. */
  GParamSpec * const *pspecs;    /* the class's, as last given */
  guint               n_pspecs;
  GMainContext       *context;   /* the consumer's, as last given */
  guint64             values[FLUID_QUEUE_MAX_COUNTERS];
  FluidTimer          tick;
  gint64              ticked;
  guint               unheard : 1;
} FluidQueueCounterListeners;

void fluid_queue_counter_listeners_init    (FluidQueueCounterListeners *self,
                                            FluidQueueConsumer         *consumer,
                                            FluidMessageQueue          *queue);
/* In dispose: the tick is disarmed. */
void fluid_queue_counter_listeners_dispose (FluidQueueCounterListeners *self);
/* In finalize: the watchers go. */
void fluid_queue_counter_listeners_clear   (FluidQueueCounterListeners *self);

void fluid_queue_counter_listeners_watch   (FluidQueueCounterListeners *self,
                                            FluidQueueCountersFunc      func,
                                            gpointer                    user_data);
void fluid_queue_counter_listeners_unwatch (FluidQueueCounterListeners *self,
                                            FluidQueueCountersFunc      func,
                                            gpointer                    user_data);
/* The counters changed: every watcher is told. */
void fluid_queue_counter_listeners_tell    (FluidQueueCounterListeners *self);

/* The consumer's own watch: notifies @pspecs (the class's counter
 * properties) now, or arms the tick on @context for when the interval is
 * over. */
void fluid_queue_counter_listeners_notify  (FluidQueueCounterListeners *self,
                                            GParamSpec * const         *pspecs,
                                            guint                       n_pspecs,
                                            GMainContext               *context);

G_END_DECLS
