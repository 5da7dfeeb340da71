/* test-queue-consumer-common.c: helpers shared by the tests of queue
 * consumers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-queue-consumer-common.h"

void
send_int (FluidQueueConsumer *consumer,
          int                 value)
{
  g_auto(GValue) message = G_VALUE_INIT;

  g_value_init (&message, G_TYPE_INT);
  g_value_set_int (&message, value);
  fluid_queue_consumer_send (consumer, &message);
}

void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}
