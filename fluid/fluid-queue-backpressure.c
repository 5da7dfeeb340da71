/* fluid-queue-backpressure.c: a bounded queue, and producers that wait for
 * room
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-consumer-private.h"
#include "fluid-worker-private.h"

/* #FluidQueueConsumer:max-queue-size bounds the queue for
 * fluid_queue_consumer_try_send(), which refuses a message when it is
 * full, and fluid_queue_consumer_send_async(), which waits for room, in
 * order of arrival; fluid_queue_consumer_send() keeps its 1.0 contract and
 * never refuses.
 *
 * Threads: the waiting senders are in the consumer's queue of senders,
 * under the consumer's lock, which producers, the consumer's context and a
 * threaded consumer's threads all take. Room appears wherever a message
 * leaves the queue (fluid_queue_consumer_admit_senders()); a sender's
 * GTask completes on its own thread-default context, whichever thread
 * admits it. A cancellation only takes the sender out of the queue; it is
 * completed from its own context, where its handler can be disconnected,
 * which g_cancellable_disconnect() forbids inside the handler. */

typedef struct
{
  GList               link;          /* in priv->senders, under the lock */
  FluidQueueConsumer *consumer;      /* the task's source object */
  GTask              *task;
  FluidMessage       *message;       /* taken by the queue when admitted */
  GCancellable       *cancellable;   /* the task's */
  gulong              cancelled_id;
  gboolean            queued;        /* under the lock */
} FluidSender;

static void
fluid_sender_free (gpointer data)
{
  FluidSender *sender = data;

  g_clear_pointer (&sender->message, fluid_message_free);
  g_clear_object (&sender->task);
  g_free (sender);
}

/* Completes @sender, out of the queue and the lock: with success when its
 * message was taken, else with @error (taken). */
static void
fluid_sender_complete (FluidSender *sender,
                       GError      *error)
{
  GTask *task = g_object_ref (sender->task);

  /* Waits for a handler running on another thread, which found @sender
   * out of the queue and does nothing. */
  if (sender->cancelled_id != 0)
    g_cancellable_disconnect (sender->cancellable, sender->cancelled_id);
  fluid_sender_free (sender);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
fluid_queue_consumer_has_room_locked (FluidQueueConsumerPrivate *priv)
{
  return priv->max_queue_size == 0 ||
         fluid_queue_consumer_size_locked (priv) < priv->max_queue_size;
}

static void
fluid_queue_consumer_unlink_sender_locked (FluidQueueConsumerPrivate *priv,
                                           FluidSender               *sender)
{
  g_queue_unlink (&priv->senders, &sender->link);
  sender->queued = FALSE;
  g_atomic_int_add (&priv->n_senders, -1);
}

/* Moves the messages of the senders that now have room into the queue,
 * in order, and completes them. Any thread. */
void
fluid_queue_consumer_admit_senders (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);
  g_autoptr(GPtrArray) admitted = NULL;
  gboolean wake = FALSE;

  /* The common case, without a lock: nobody waits. */
  if (g_atomic_int_get (&priv->n_senders) == 0)
    return;

  admitted = g_ptr_array_new ();
  fluid_queue_consumer_lock (priv);
  while (priv->senders.head != NULL && !priv->closed && fluid_queue_consumer_has_room_locked (priv))
    {
      FluidSender *sender = priv->senders.head->data;

      fluid_queue_consumer_unlink_sender_locked (priv, sender);
      wake |= fluid_queue_consumer_enqueue_locked (priv, g_steal_pointer (&sender->message));
      g_ptr_array_add (admitted, sender);
    }
  fluid_queue_consumer_unlock (priv);

  if (wake)
    fluid_queue_consumer_wake (priv);
  for (guint i = 0; i < admitted->len; i++)
    fluid_sender_complete (g_ptr_array_index (admitted, i), NULL);
}

/* The consumer stopped: every waiting sender fails with
 * FLUID_WORKER_ERROR_STOPPED; its message was not taken, and is not
 * counted. */
void
fluid_queue_consumer_fail_senders (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);
  g_autoptr(GPtrArray) failed = g_ptr_array_new ();

  fluid_queue_consumer_lock (priv);
  while (priv->senders.head != NULL)
    {
      FluidSender *sender = priv->senders.head->data;

      fluid_queue_consumer_unlink_sender_locked (priv, sender);
      g_ptr_array_add (failed, sender);
    }
  fluid_queue_consumer_unlock (priv);

  for (guint i = 0; i < failed->len; i++)
    fluid_sender_complete (g_ptr_array_index (failed, i),
                           g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED,
                                        "%s stopped before it took the message",
                                        fluid_worker_get_name (FLUID_WORKER (self))));
}

static gboolean
fluid_sender_cancelled_idle_cb (gpointer user_data)
{
  fluid_sender_complete (user_data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                         "Operation was cancelled"));
  return G_SOURCE_REMOVE;
}

/* Any thread, possibly inside g_cancellable_connect(): takes @sender out
 * of the queue if it still waits, and completes it from its context. */
static void
fluid_sender_cancelled_cb (GCancellable *cancellable,
                           gpointer      user_data)
{
  FluidSender *sender = user_data;
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (sender->consumer);
  gboolean mine = FALSE;

  fluid_queue_consumer_lock (priv);
  if (sender->queued)
    {
      fluid_queue_consumer_unlink_sender_locked (priv, sender);
      mine = TRUE;
    }
  fluid_queue_consumer_unlock (priv);

  /* Always from a later dispatch, never inside this handler: not
   * g_main_context_invoke(), which calls at once on the context's own
   * thread. */
  if (mine)
    {
      g_autoptr(GSource) idle = g_idle_source_new ();

      g_source_set_static_name (idle, "[fluid] cancelled send");
      g_source_set_callback (idle, fluid_sender_cancelled_idle_cb, sender, NULL);
      g_source_attach (idle, g_task_get_context (sender->task));
    }
}

/**
 * fluid_queue_consumer_get_max_queue_size:
 * @self: a #FluidQueueConsumer
 *
 * Gets #FluidQueueConsumer:max-queue-size.
 *
 * Returns: the most messages the queue holds for bounded producers, 0 for
 *   no bound
 *
 * Since: 1.2
 */
guint
fluid_queue_consumer_get_max_queue_size (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv;
  guint max;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  priv = fluid_queue_consumer_get_priv (self);
  fluid_queue_consumer_lock (priv);
  max = priv->max_queue_size;
  fluid_queue_consumer_unlock (priv);
  return max;
}

/**
 * fluid_queue_consumer_set_max_queue_size:
 * @self: a #FluidQueueConsumer
 * @max_queue_size: the most messages the queue holds for bounded
 *   producers, 0 for no bound
 *
 * Sets #FluidQueueConsumer:max-queue-size. A larger bound lets waiting
 * senders in at once. Thread-safe, but notifies the property on the
 * calling thread.
 *
 * Since: 1.2
 */
void
fluid_queue_consumer_set_max_queue_size (FluidQueueConsumer *self,
                                         guint               max_queue_size)
{
  FluidQueueConsumerPrivate *priv;
  gboolean changed;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));

  priv = fluid_queue_consumer_get_priv (self);
  fluid_queue_consumer_lock (priv);
  changed = priv->max_queue_size != max_queue_size;
  priv->max_queue_size = max_queue_size;
  fluid_queue_consumer_unlock (priv);

  if (!changed)
    return;
  fluid_queue_consumer_admit_senders (self);
  g_object_notify (G_OBJECT (self), "max-queue-size");
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
  FluidQueueConsumerPrivate *priv;
  gboolean wake;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), FALSE);
  g_return_val_if_fail (G_IS_VALUE (message), FALSE);

  priv = fluid_queue_consumer_get_priv (self);
  fluid_queue_consumer_lock (priv);
  if (priv->closed || priv->senders.head != NULL || !fluid_queue_consumer_has_room_locked (priv))
    {
      fluid_queue_consumer_unlock (priv);
      return FALSE;
    }
  wake = fluid_queue_consumer_enqueue_locked (priv, fluid_message_copy (message));
  fluid_queue_consumer_unlock (priv);

  if (wake)
    fluid_queue_consumer_wake (priv);
  return TRUE;
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
  FluidQueueConsumerPrivate *priv;
  FluidSender *sender;
  gboolean wake;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (G_IS_VALUE (message));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = fluid_queue_consumer_get_priv (self);
  sender = g_new0 (FluidSender, 1);
  sender->link.data = sender;
  sender->consumer = self;
  sender->cancellable = cancellable;
  sender->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (sender->task, fluid_queue_consumer_send_async);
  g_task_set_name (sender->task, "[fluid] queue consumer send");

  /* Connected before the sender can be seen in the queue, so that whoever
   * takes it out can disconnect it; a cancellation meanwhile finds it not
   * queued and does nothing, and is caught below. 0 when it was cancelled
   * already: the handler ran, and is not connected. */
  if (cancellable != NULL)
    sender->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (fluid_sender_cancelled_cb),
                                                  sender, NULL);

  fluid_queue_consumer_lock (priv);
  if (priv->closed)
    {
      fluid_queue_consumer_unlock (priv);
      fluid_sender_complete (sender, g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED,
                                                  "%s has stopped",
                                                  fluid_worker_get_name (FLUID_WORKER (self))));
      return;
    }
  if (g_cancellable_is_cancelled (cancellable))
    {
      fluid_queue_consumer_unlock (priv);
      fluid_sender_complete (sender, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                          "Operation was cancelled"));
      return;
    }
  if (priv->senders.head == NULL && fluid_queue_consumer_has_room_locked (priv))
    {
      wake = fluid_queue_consumer_enqueue_locked (priv, fluid_message_copy (message));
      fluid_queue_consumer_unlock (priv);
      if (wake)
        fluid_queue_consumer_wake (priv);
      fluid_sender_complete (sender, NULL);
      return;
    }

  sender->message = fluid_message_copy (message);
  sender->queued = TRUE;
  g_queue_push_tail_link (&priv->senders, &sender->link);
  g_atomic_int_inc (&priv->n_senders);
  fluid_queue_consumer_unlock (priv);
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
