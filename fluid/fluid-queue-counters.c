/* fluid-queue-counters.c: a consumer's counters, read together and watched
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-consumer-private.h"
#include "fluid-queue-threads-private.h"

/* See fluid-queue-consumer-private.h. The watcher is the D-Bus export,
 * which emits the counters that changed at most ten times a second: every
 * change of a counter calls fluid_queue_consumer_note_counters(), which
 * wakes the consumer's context only for the first change since the
 * watcher last read them. */

void
fluid_queue_consumer_read_counters (FluidQueueConsumer *self,
                                    FluidQueueCounters *counters)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);

  fluid_queue_consumer_lock (priv);
  counters->queue_size = fluid_queue_consumer_size_locked (priv);
  counters->discarded = priv->discarded;
  if (priv->threads != NULL)
    priv->processed += fluid_queue_threads_take_processed_locked (priv->threads);
  fluid_queue_consumer_unlock (priv);

  counters->processed = priv->reports_processed ? priv->processed : 0;
  counters->failed = priv->failed;
}

/* The watcher is told again of the next change. A watcher calls it
 * before it reads the counters: a change made while it reads them tells
 * it again. */
void
fluid_queue_consumer_counters_seen (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);

  g_atomic_int_set (&priv->counters_changed, FALSE);
}

void
fluid_queue_consumer_watch_counters (FluidQueueConsumer     *self,
                                     FluidQueueCountersFunc  func,
                                     gpointer                user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);

  priv->counters_func = func;
  priv->counters_data = user_data;
  g_atomic_int_set (&priv->counters_changed, FALSE);
  g_atomic_int_set (&priv->counters_watched, func != NULL);
}

void
fluid_queue_consumer_tell_counters (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);

  if (priv->counters_func != NULL && g_atomic_int_get (&priv->counters_changed))
    priv->counters_func (self, priv->counters_data);
}
