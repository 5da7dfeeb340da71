/* fluid-queue-getters.c: fluid_queue_consumer_get_message_async(), the
 * calls that wait for a message
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-consumer-private.h"
#include "fluid-clock-private.h"
#include "fluid-pending-private.h"
#include "fluid-worker-private.h"

#include <math.h>

/* The waiting calls are the consumer's @getters, on its context, served in
 * order by fluid_queue_consumer_serve_getters() whenever messages may be
 * ready or the state changed. */

/* A fluid_queue_consumer_get_message_async() call waiting for a message. */
typedef struct
{
  FluidPending  pending;    /* first; pending->data is the consumer */
  /* What it completes with: set just before, or when the stop began (see
   * fluid_queue_consumer_hand_to_getters()). */
  FluidMessage *message;
} FluidGetter;

static void
fluid_boxed_value_free (gpointer data)
{
  g_boxed_free (G_TYPE_VALUE, data);
}

/* Takes the next message; when there is none, arms the wake-up so that the
 * next send dispatches the queue source if @arm. */
FluidMessage *
fluid_queue_consumer_pop (FluidQueueConsumer *self,
                          gboolean            arm)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);
  FluidMessage *message;

  fluid_queue_consumer_lock (priv);
  message = fluid_message_list_pop (&priv->queue);
  if (message == NULL && arm && !priv->closed)
    priv->waiting = TRUE;
  fluid_queue_consumer_unlock (priv);

  if (message != NULL)
    fluid_queue_consumer_admit_senders (self);
  return message;
}

/* Pending get_message calls */

static void
fluid_queue_consumer_discard_handed (FluidQueueConsumer *self,
                                     FluidMessage       *message)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);

  fluid_queue_consumer_lock (priv);
  priv->discarded++;
  fluid_queue_consumer_unlock (priv);
  fluid_queue_consumer_counters_changed (priv);
  fluid_message_free (message);
}

static void
fluid_getter_complete (FluidPending *pending,
                       gboolean      value,
                       GError       *error)
{
  FluidGetter *getter = (FluidGetter *) pending;

  if (error != NULL)
    {
      /* A cancelled call drops the message it was handed. */
      if (getter->message != NULL)
        fluid_queue_consumer_discard_handed (pending->data, getter->message);
      g_task_return_error (pending->task, error);
    }
  else
    g_task_return_pointer (pending->task,
                           getter->message != NULL ? &getter->message->value : NULL,
                           fluid_boxed_value_free);
}

/* A graceful stop without drain-on-stop: the get_message calls waiting
 * now take the messages queued now, one each, as a receiver that was
 * waiting in aio-fluid has them already; they complete when the getters
 * are next served, never inside the stop. */
void
fluid_queue_consumer_hand_to_getters (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);

  for (GList *l = priv->getters.head; l != NULL; l = l->next)
    {
      FluidGetter *getter = l->data;

      if (getter->message == NULL)
        getter->message = fluid_queue_consumer_pop (self, FALSE);
      if (getter->message == NULL)
        break;
    }
}

/* What a get_message call gets now: a message, or NULL with *wait set when
 * it has to wait for one (the wake-up is then armed), or NULL with *wait
 * unset when the worker no longer takes messages. */
static FluidMessage *
fluid_queue_consumer_take_for_getter (FluidQueueConsumer *self,
                                      gboolean           *wait)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);
  FluidMessage *message = NULL;

  *wait = FALSE;
  switch (fluid_worker_get_state (FLUID_WORKER (self)))
    {
    case FLUID_WORKER_STATE_INIT:
    case FLUID_WORKER_STATE_RUNNING:
      message = fluid_queue_consumer_pop (self, TRUE);
      *wait = message == NULL;
      break;

    case FLUID_WORKER_STATE_STOPPING:
      if (priv->drain_left > 0)
        message = fluid_queue_consumer_pop (self, FALSE);
      if (message != NULL)
        priv->drain_left--;
      break;

    case FLUID_WORKER_STATE_STOPPED:
    case FLUID_WORKER_STATE_FORCE_STOPPED:
    default:
      break;
    }

  return message;
}

/* Serves the waiting get_message calls, in order, with the queued messages;
 * with NULL when the worker no longer takes messages. */
void
fluid_queue_consumer_serve_getters (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (self);

  /* Keeps @self while callbacks run. */
  g_object_ref (self);
  while (priv->getters.head != NULL)
    {
      FluidGetter *getter = priv->getters.head->data;

      if (getter->message == NULL)
        {
          gboolean wait;
          FluidMessage *message = fluid_queue_consumer_take_for_getter (self, &wait);

          if (wait)
            break;
          getter->message = message;
        }
      if (getter->message != NULL)
        fluid_worker_feed ((FluidWorker *) self);
      fluid_pending_complete (&getter->pending, TRUE, NULL);
    }
  g_object_unref (self);
}

/**
 * fluid_queue_consumer_get_message_async:
 * @self: a #FluidQueueConsumer
 * @timeout: how long to wait for a message, in seconds; negative to wait
 *   without limit (not NaN)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the message
 * @user_data: (closure): data for @callback
 *
 * Takes the next message of the queue, waiting up to @timeout seconds for
 * one. The operation returns %NULL, without an error, when the wait timed
 * out and when the worker is stopping or has stopped (as aio-fluid returns
 * `None`); while it stops with #FluidQueueConsumer:drain-on-stop set, it
 * returns the messages still queued, then %NULL. Without it, the calls
 * that were waiting when the stop was requested still get the messages
 * queued by then, one each, as aio-fluid's receiver that was waiting has
 * them already; later calls get %NULL.
 *
 * Concurrent calls are served in the order they were made.
 *
 * Since: 1.0
 */
void
fluid_queue_consumer_get_message_async (FluidQueueConsumer  *self,
                                        double               timeout,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  FluidQueueConsumerPrivate *priv;
  FluidGetter *getter;
  GMainContext *context;
  GTask *task;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (!isnan (timeout));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = fluid_queue_consumer_get_priv (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_queue_consumer_get_message_async);
  g_task_set_name (task, "[fluid] queue consumer get message");

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  /* Earlier calls still waiting are served first. */
  if (priv->getters.length == 0)
    {
      gboolean wait;
      FluidMessage *message = fluid_queue_consumer_take_for_getter (self, &wait);

      if (!wait || timeout == 0)
        {
          g_task_return_pointer (task, message != NULL ? &message->value : NULL,
                                 fluid_boxed_value_free);
          g_object_unref (task);
          return;
        }
    }
  else if (timeout == 0)
    {
      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
      return;
    }

  context = g_task_get_context (task);
  getter = (FluidGetter *) fluid_pending_add (&priv->getters, sizeof (FluidGetter), task,
                                              cancellable, context,
                                              fluid_getter_complete, self);
  if (timeout > 0)
    {
      FluidClock *clock = fluid_clock_get (context);

      /* The armed timer holds the clock. */
      fluid_pending_arm (&getter->pending, clock, fluid_deadline_in (timeout), FALSE);
      fluid_clock_unref (clock);
    }
}

/**
 * fluid_queue_consumer_get_message_finish:
 * @self: a #FluidQueueConsumer
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_queue_consumer_get_message_async(). Free the message with
 * `g_boxed_free (G_TYPE_VALUE, message)`.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL on timeout,
 *   when the worker stops, or on error (with @error set)
 *
 * Since: 1.0
 */
GValue *
fluid_queue_consumer_get_message_finish (FluidQueueConsumer  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        fluid_queue_consumer_get_message_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
