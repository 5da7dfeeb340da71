/* fluid-queue-consumer-send.c: sending messages to a queue consumer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FluidQueueConsumer's public entry points that queue a message (declared in
 * fluid-queue-consumer.h): at once, by type, unless the queue is full, or
 * once there is room. Any thread may call them; each copies or takes its
 * message and hands it to the consumer's message queue
 * (fluid-message-queue.c), which counts what it refuses. None touches the
 * consumer's private data.
 */

#include "fluid-queue-consumer-private.h"

/**
 * fluid_queue_consumer_send:
 * @self: a #FluidQueueConsumer
 * @message: the message, a #GValue, which is copied
 *
 * Sends a message to the consumer: a copy of @message joins the queue.
 * Messages may be sent before the worker starts; a message sent to a
 * consumer that has stopped is freed and counted in the `discarded` key of
 * the status. It never blocks for long: not even while a stopping consumer
 * discards millions of messages.
 *
 * This function is thread-safe: any thread may call it, and it wakes the
 * consumer's main context. A producer thread must hold its own reference
 * to the consumer (g_object_ref() it before handing it to the thread, and
 * unref it when the thread is done): the worker keeps itself alive only
 * until it stops, and its owner may drop its reference at any time.
 *
 * Since: 1.0
 */
void
fluid_queue_consumer_send (FluidQueueConsumer *self,
                           const GValue       *message)
{
  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (G_IS_VALUE (message));

  fluid_message_queue_push (fluid_queue_consumer_get_queue (self), fluid_message_copy (message));
}

/**
 * fluid_queue_consumer_send_string:
 * @self: a #FluidQueueConsumer
 * @message: the message, a string, which is copied
 *
 * Sends a string message: a %G_TYPE_STRING #GValue. See
 * fluid_queue_consumer_send(). Thread-safe.
 *
 * Since: 1.0
 */
void
fluid_queue_consumer_send_string (FluidQueueConsumer *self,
                                  const char         *message)
{
  FluidMessage *value;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (message != NULL);

  value = fluid_message_new (G_TYPE_STRING);
  g_value_set_string (&value->value, message);
  fluid_message_queue_push (fluid_queue_consumer_get_queue (self), value);
}

/**
 * fluid_queue_consumer_send_object:
 * @self: a #FluidQueueConsumer
 * @message: (type GObject) (transfer none): the message, a #GObject
 *
 * Sends an object message: a #GValue of the object's type, holding a
 * reference on it (a floating reference is sunk). See
 * fluid_queue_consumer_send(). Thread-safe.
 *
 * Since: 1.0
 */
void
fluid_queue_consumer_send_object (FluidQueueConsumer *self,
                                  gpointer            message)
{
  FluidMessage *value;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (G_IS_OBJECT (message));

  value = fluid_message_new (G_OBJECT_TYPE (message));
  g_value_take_object (&value->value, g_object_ref_sink (message));
  fluid_message_queue_push (fluid_queue_consumer_get_queue (self), value);
}

/**
 * fluid_queue_consumer_send_variant:
 * @self: a #FluidQueueConsumer
 * @message: the message, a #GVariant
 *
 * Sends a variant message: a %G_TYPE_VARIANT #GValue, holding a reference
 * on @message (a floating reference is sunk). See
 * fluid_queue_consumer_send(). Thread-safe.
 *
 * Since: 1.0
 */
void
fluid_queue_consumer_send_variant (FluidQueueConsumer *self,
                                   GVariant           *message)
{
  FluidMessage *value;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (message != NULL);

  value = fluid_message_new (G_TYPE_VARIANT);
  g_value_set_variant (&value->value, message);
  fluid_message_queue_push (fluid_queue_consumer_get_queue (self), value);
}

/**
 * fluid_queue_consumer_try_send:
 * @self: a #FluidQueueConsumer
 * @message: the message, which is copied if it is taken
 *
 * Queues a copy of @message unless the queue is full
 * (#FluidQueueConsumer:max-queue-size, senders of
 * fluid_queue_consumer_send_async() waiting before it included) or the
 * consumer has stopped. A message refused is neither taken nor counted.
 * Thread-safe.
 *
 * Returns: %TRUE if the message was queued
 *
 * Since: 1.2
 */
gboolean
fluid_queue_consumer_try_send (FluidQueueConsumer *self,
                               const GValue       *message)
{
  FluidMessage *copy;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), FALSE);
  g_return_val_if_fail (G_IS_VALUE (message), FALSE);

  copy = fluid_message_copy (message);
  if (fluid_message_queue_try_push (fluid_queue_consumer_get_queue (self), copy))
    return TRUE;
  fluid_message_free (copy);
  return FALSE;
}

/**
 * fluid_queue_consumer_send_async:
 * @self: a #FluidQueueConsumer
 * @message: the message, copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called once the message was queued, or was
 *   not
 * @user_data: (closure): data for @callback
 *
 * Queues a copy of @message as soon as the queue has room
 * (#FluidQueueConsumer:max-queue-size), after the senders that waited
 * before it: a producer that uses it never runs ahead of the consumer by
 * more than the bound. It fails with %FLUID_WORKER_ERROR_STOPPED when the
 * consumer stops first, and with %G_IO_ERROR_CANCELLED when @cancellable
 * is cancelled first; the message was then not taken, and is not counted.
 *
 * Any thread with a thread-default main context: @callback runs there.
 *
 * Since: 1.2
 */
void
fluid_queue_consumer_send_async (FluidQueueConsumer  *self,
                                 const GValue        *message,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (G_IS_VALUE (message));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_queue_consumer_send_async);
  g_task_set_name (task, "[fluid] queue consumer send");
  fluid_message_queue_send (fluid_queue_consumer_get_queue (self), fluid_message_copy (message), task);
}

/**
 * fluid_queue_consumer_send_finish:
 * @self: a #FluidQueueConsumer
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_queue_consumer_send_async().
 *
 * Returns: %TRUE if the message was queued
 *
 * Since: 1.2
 */
gboolean
fluid_queue_consumer_send_finish (FluidQueueConsumer  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, fluid_queue_consumer_send_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
