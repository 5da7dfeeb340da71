/* fluid-queue-counters.c: a consumer's counters, read together and watched
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-consumer-private.h"
#include "fluid-queue-threads-private.h"

/* See fluid-queue-consumer-private.h. The watchers are the D-Bus exports
 * of the consumer, which emit the counters that changed at most ten times
 * a second: every change of a counter calls
 * fluid_queue_consumer_note_counters(), which wakes the consumer's context
 * only for the first change since a watcher last read them. */

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

typedef struct
{
  FluidQueueCountersFunc  func;
  gpointer                user_data;
} FluidQueueCountersWatch;

void
fluid_queue_consumer_watch_counters (FluidQueueConsumer     *self,
                                     FluidQueueCountersFunc  func,
                                     gpointer                user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);
  FluidQueueCountersWatch watch = { func, user_data };

  if (priv->counters_watchers == NULL)
    priv->counters_watchers = g_array_new (FALSE, FALSE, sizeof (FluidQueueCountersWatch));
  g_array_append_val (priv->counters_watchers, watch);
  g_atomic_int_set (&priv->counters_changed, FALSE);
  g_atomic_int_set (&priv->counters_watched, TRUE);
}

void
fluid_queue_consumer_unwatch_counters (FluidQueueConsumer     *self,
                                       FluidQueueCountersFunc  func,
                                       gpointer                user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);
  GArray *watchers = priv->counters_watchers;

  for (guint i = 0; watchers != NULL && i < watchers->len; i++)
    {
      FluidQueueCountersWatch *watch = &g_array_index (watchers, FluidQueueCountersWatch, i);

      if (watch->func == func && watch->user_data == user_data)
        {
          g_array_remove_index (watchers, i);
          break;
        }
    }
  if (watchers != NULL && watchers->len == 0)
    {
      g_atomic_int_set (&priv->counters_watched, FALSE);
      g_clear_pointer (&priv->counters_watchers, g_array_unref);
    }
}

/* Every watcher is told: each reads the counters at its own pace. */
void
fluid_queue_consumer_tell_counters (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);
  GArray *watchers = priv->counters_watchers;

  if (watchers == NULL || !g_atomic_int_get (&priv->counters_changed))
    return;
  for (guint i = 0; i < watchers->len; i++)
    {
      FluidQueueCountersWatch *watch = &g_array_index (watchers, FluidQueueCountersWatch, i);

      watch->func (self, watch->user_data);
    }
}
