/* fluid-queue-counters.c: who hears of a queue consumer's counters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The watchers of a consumer's counters, and the notification of its
 * counter properties; see fluid-queue-counters-private.h. On the
 * consumer's context.
 */

#include "fluid-queue-counters-private.h"

/* How often the counter properties may be notified, and how often a
 * consumer nobody listens to looks for listeners while its counters
 * change. */
#define FLUID_QUEUE_COUNTERS_INTERVAL_MS      100
#define FLUID_QUEUE_COUNTERS_IDLE_INTERVAL_MS 1000

typedef struct
{
  FluidQueueCountersFunc  func;
  gpointer                user_data;
} FluidQueueCountersWatch;

static void fluid_queue_counter_listeners_tick_cb (gpointer data);

void
fluid_queue_counter_listeners_init (FluidQueueCounterListeners *self,
                                    FluidQueueConsumer         *consumer,
                                    FluidMessageQueue          *queue)
{
  self->consumer = consumer;
  self->queue = queue;
  fluid_timer_init (&self->tick, fluid_queue_counter_listeners_tick_cb, self);
}

void
fluid_queue_counter_listeners_dispose (FluidQueueCounterListeners *self)
{
  fluid_timer_disarm (&self->tick);
}

void
fluid_queue_counter_listeners_clear (FluidQueueCounterListeners *self)
{
  g_clear_pointer (&self->watchers, g_array_unref);
}

void
fluid_queue_counter_listeners_watch (FluidQueueCounterListeners *self,
                                     FluidQueueCountersFunc      func,
                                     gpointer                    user_data)
{
  FluidQueueCountersWatch watch = { func, user_data };

  if (self->watchers == NULL)
    self->watchers = g_array_new (FALSE, FALSE, sizeof (FluidQueueCountersWatch));
  g_array_append_val (self->watchers, watch);
  fluid_message_queue_watch (self->queue, TRUE);
}

void
fluid_queue_counter_listeners_unwatch (FluidQueueCounterListeners *self,
                                       FluidQueueCountersFunc      func,
                                       gpointer                    user_data)
{
  GArray *watchers = self->watchers;

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
      fluid_message_queue_watch (self->queue, FALSE);
      g_clear_pointer (&self->watchers, g_array_unref);
    }
}

/* Each reads the counters at its own pace. */
void
fluid_queue_counter_listeners_tell (FluidQueueCounterListeners *self)
{
  GArray *watchers = self->watchers;

  for (guint i = 0; watchers != NULL && i < watchers->len; i++)
    {
      FluidQueueCountersWatch *watch = &g_array_index (watchers, FluidQueueCountersWatch, i);

      watch->func (self->consumer, watch->user_data);
    }
}

static guint64
fluid_queue_counter_read (GObject    *object,
                          GParamSpec *pspec)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, pspec->value_type);
  g_object_get_property (object, pspec->name, &value);
  return pspec->value_type == G_TYPE_UINT ? g_value_get_uint (&value) : g_value_get_uint64 (&value);
}

/* Notifies the counter properties that changed and that someone listens
 * to; when nobody does, looks again no sooner than a second later. */
static void
fluid_queue_counter_listeners_notify_now (FluidQueueCounterListeners *self)
{
  GObject *object = G_OBJECT (self->consumer);
  static guint notify_id;
  gboolean heard = FALSE;

  if (notify_id == 0)
    notify_id = g_signal_lookup ("notify", G_TYPE_OBJECT);

  self->ticked = g_get_monotonic_time ();
  /* Before reading: a change made meanwhile tells the consumer again. */
  fluid_message_queue_counters_seen (self->queue);
  g_object_freeze_notify (object);
  for (guint i = 0; i < self->n_pspecs; i++)
    {
      GParamSpec *pspec = self->pspecs[i];
      guint64 value;

      if (!g_signal_has_handler_pending (object, notify_id, g_param_spec_get_name_quark (pspec), FALSE))
        continue;
      heard = TRUE;
      value = fluid_queue_counter_read (object, pspec);
      if (value != self->values[i])
        {
          self->values[i] = value;
          g_object_notify_by_pspec (object, pspec);
        }
    }
  self->unheard = !heard;
  g_object_thaw_notify (object);
}

/* The tick fired: notified now, or armed again for the rest of the
 * interval if it came early by the clock. */
static void
fluid_queue_counter_listeners_tick_cb (gpointer data)
{
  FluidQueueCounterListeners *self = data;

  fluid_queue_counter_listeners_notify (self, self->pspecs, self->n_pspecs,
                                        self->context);
}

void
fluid_queue_counter_listeners_notify (FluidQueueCounterListeners *self,
                                      GParamSpec * const         *pspecs,
                                      guint                       n_pspecs,
                                      GMainContext               *context)
{
  gint64 interval, elapsed;

  g_assert (n_pspecs <= FLUID_QUEUE_MAX_COUNTERS);

  self->pspecs = pspecs;
  self->n_pspecs = n_pspecs;
  self->context = context;
  if (fluid_timer_is_armed (&self->tick))
    return;
  interval = 1000 * (self->unheard ? FLUID_QUEUE_COUNTERS_IDLE_INTERVAL_MS
                                   : FLUID_QUEUE_COUNTERS_INTERVAL_MS);
  elapsed = g_get_monotonic_time () - self->ticked;
  if (elapsed >= interval)
    {
      fluid_queue_counter_listeners_notify_now (self);
      return;
    }
  fluid_timer_arm_on_context (&self->tick, context, self->ticked + interval);
}
