/* fluid-queue-consumer.c: an abstract worker fed through a thread-safe queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-consumer-private.h"
#include "fluid-queue-threads-private.h"
#include "fluid-clock-private.h"
#include "fluid-message-private.h"
#include "fluid-pending-private.h"
#include "fluid-tsan-private.h"
#include "fluid-worker-private.h"

#include <math.h>

/**
 * SECTION:fluid-queue-consumer
 * @short_description: An abstract worker fed through a thread-safe queue
 * @title: FluidQueueConsumer
 * @see_also: #FluidQueueConsumerWorker, #FluidAsyncConsumer
 *
 * A #FluidQueueConsumer is a #FluidWorker fed through a thread-safe queue
 * of messages. A message is a #GValue: fluid_queue_consumer_send() copies
 * the value it is given into the queue, from any thread, and wakes the
 * consumer's main context. Subclasses implement `run`, in which they take
 * the messages with fluid_queue_consumer_get_message_async() while the
 * worker runs.
 *
 * Messages may be sent before the worker starts: they wait in the queue.
 * When #FluidQueueConsumer:drain-on-stop is set, a graceful stop lets the
 * consumer handle every message already queued before `run` ends.
 *
 * Every message sent to #FluidQueueConsumerWorker or #FluidAsyncConsumer
 * ends in exactly one of three counts of the status:
 *
 * - `processed`: its handler completed successfully;
 * - `failed`: its handler failed; #FluidQueueConsumer::message-failed was
 *   emitted, and the worker stopped with that error unless
 *   #FluidQueueConsumer:stop-on-failure is unset;
 * - `discarded`: it was never handled to the end: still queued when the
 *   worker stopped, sent after it stopped, or in hand when the worker was
 *   forced to stop (or failed from elsewhere, with fluid_worker_fail()).
 *   Such a message in hand is counted the moment the worker stops, so
 *   that the counts add up once fluid_worker_shutdown_async() completes;
 *   whatever its handler does later, success or error, is dropped.
 *
 * A stopped consumer reports an empty queue. Discarding never blocks the
 * producers, whatever the number of messages left: the queue is taken in
 * one step, and its messages are freed outside its lock.
 *
 * The status of a queue consumer adds the keys `queue_size` (`u`),
 * `discarded` (`t`) and, since 1.2, `failed` (`t`) to those of
 * #FluidWorker; the concrete consumers add `processed` (`t`).
 */

enum
{
  PROP_0,
  PROP_DRAIN_ON_STOP,
  PROP_STOP_ON_FAILURE,
  PROP_MAX_QUEUE_SIZE,
  N_PROPS
};

enum
{
  SIGNAL_MESSAGE_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The source that wakes the consumer's context: its ready time is set to 0
 * by a sending thread when the consumer waits for messages. */
typedef struct
{
  GSource             source;
  FluidQueueConsumer *consumer;
} FluidQueueSource;



G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (FluidQueueConsumer, fluid_queue_consumer, FLUID_TYPE_WORKER)

/* The most messages one dispatch handles beyond those that were queued
 * when it began: a producer faster than the consumer must not starve the
 * rest of the context. */
#define FLUID_QUEUE_MIN_BATCH 4096

static void fluid_queue_consumer_ready (FluidQueueConsumer *self);

FluidQueueConsumerPrivate *
fluid_queue_consumer_get_priv (FluidQueueConsumer *self)
{
  return fluid_queue_consumer_get_instance_private (self);
}

/* The threads' processed messages, counted; under the lock. */
static void
fluid_queue_consumer_count_threads_locked (FluidQueueConsumerPrivate *priv)
{
  if (priv->threads != NULL)
    priv->processed += fluid_queue_threads_take_processed_locked (priv->threads);
}

/* Messages */

/* Queues @message, which it takes, under the lock; returns whether the
 * consumer waits for one and must be woken, with
 * fluid_queue_consumer_wake() once the lock is released. */
gboolean
fluid_queue_consumer_enqueue_locked (FluidQueueConsumerPrivate *priv,
                                     FluidMessage              *message)
{
  gboolean wake;

  fluid_message_list_push (&priv->queue, message);
  if (priv->threads != NULL)
    fluid_queue_threads_wake_locked (priv->threads);
  /* Both, whichever is TRUE. */
  wake = fluid_queue_consumer_note_counters (priv) | priv->waiting;
  priv->waiting = FALSE;
  return wake;
}

/* Thread-safe; wakes the context the source is attached to. The source
 * and the context live as long as the consumer, which the caller holds. */
void
fluid_queue_consumer_wake (FluidQueueConsumerPrivate *priv)
{
  g_source_set_ready_time (priv->source, 0);
}

/* Queues @message, which it takes, and wakes the consumer if it waits for
 * one; a consumer that has stopped frees the message and counts it. */
static void
fluid_queue_consumer_push (FluidQueueConsumer *self,
                           FluidMessage       *message)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  gboolean wake;

  fluid_queue_consumer_lock (priv);
  if (priv->closed)
    {
      priv->discarded++;
      fluid_queue_consumer_unlock (priv);
      fluid_queue_consumer_counters_changed (priv);
      fluid_message_free (message);
      return;
    }
  wake = fluid_queue_consumer_enqueue_locked (priv, message);
  fluid_queue_consumer_unlock (priv);

  if (wake)
    fluid_queue_consumer_wake (priv);
}

static void fluid_queue_consumer_pump_finish (FluidQueueConsumer *self);

/* The worker stopped: counts as discarded, under one lock, every message
 * queued, taken by the pump and not handled, and the one in hand if any;
 * from now on, sent messages are discarded at once. The lock is held for
 * O(1): the messages are freed outside it, so that a producer never waits
 * for a discard, however large. */
static void
fluid_queue_consumer_close (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  FluidMessageList dropped, batch;
  FluidQueueThreads *threads;
  GQueue failures = G_QUEUE_INIT;

  if (priv->closed)
    return;

  batch = fluid_message_list_steal (&priv->batch);
  fluid_queue_consumer_lock (priv);
  priv->closed = TRUE;
  priv->waiting = FALSE;
  dropped = fluid_message_list_steal (&priv->queue);
  priv->discarded += dropped.length + batch.length;
  if (priv->busy && !priv->abandoned)
    {
      priv->abandoned = TRUE;
      priv->discarded++;
    }
  g_atomic_int_set (&priv->batch_left, 0);
  if (priv->threads != NULL)
    {
      fluid_queue_consumer_count_threads_locked (priv);
      fluid_queue_threads_close_locked (priv->threads, priv, &failures);
    }
  threads = g_steal_pointer (&priv->threads);
  fluid_queue_consumer_unlock (priv);
  fluid_queue_consumer_counters_changed (priv);

  if (threads != NULL)
    {
      g_autoptr(GError) ignored = NULL;

      /* Failures reported before the stop are failures still. */
      fluid_queue_threads_tell_failures (self, &failures, &ignored);
      fluid_queue_threads_stop (threads);
    }
  /* Freeing a message may run arbitrary code. */
  fluid_message_list_free (&batch);
  fluid_message_list_free (&dropped);
  fluid_queue_consumer_fail_senders (self);

  /* The source stays until dispose, for the watchers of the counters
   * alone: messages sent from now on are counted as discarded, and an
   * exported consumer's Discarded still changes. */

  /* A run waiting for a handler that may never complete ends now (a late
   * completion is dropped); one on the stack ends as it returns. */
  if (priv->run_task != NULL && !priv->pumping)
    fluid_queue_consumer_pump_finish (self);
}

/* The queue source */

static gboolean
fluid_queue_source_dispatch (GSource     *source,
                             GSourceFunc  callback,
                             gpointer     user_data)
{
  FluidQueueConsumer *self = ((FluidQueueSource *) source)->consumer;

  g_source_set_ready_time (source, -1);
  if (!fluid_queue_consumer_get_priv (self)->closed)
    fluid_queue_consumer_ready (self);
  fluid_queue_consumer_tell_counters (self);

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs fluid_queue_source_funcs = {
  NULL, NULL, fluid_queue_source_dispatch, NULL, NULL, NULL,
};

/* The pump */

/* Takes the next message for the pump: from the batch, else takes the
 * whole queue as the new batch under one lock. When there is none, arms
 * the wake-up if @arm. */
static FluidMessage *
fluid_queue_consumer_pump_take (FluidQueueConsumer *self,
                                gboolean            arm)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  FluidMessage *message;

  if (priv->batch.head == NULL)
    {
      fluid_queue_consumer_lock (priv);
      priv->batch = fluid_message_list_steal (&priv->queue);
      if (priv->batch.length == 0 && arm && !priv->closed)
        priv->waiting = TRUE;
      /* Under the lock, so that the queue size never misses them. */
      g_atomic_int_set (&priv->batch_left, (int) MIN (priv->batch.length, G_MAXINT));
      fluid_queue_consumer_unlock (priv);

      if (priv->batch.length == 0)
        return NULL;
    }

  message = fluid_message_list_pop (&priv->batch);
  g_atomic_int_add (&priv->batch_left, -1);
  fluid_queue_consumer_admit_senders (self);

  return message;
}

/* Puts the messages of the batch the pump did not handle back in front of
 * the queue, in order. */
static void
fluid_queue_consumer_pump_return_batch (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  if (priv->batch.head == NULL)
    return;

  /* A closed consumer has discarded its batch already. */
  g_assert (!priv->closed);
  fluid_queue_consumer_lock (priv);
  fluid_message_list_prepend_list (&priv->queue, &priv->batch);
  g_atomic_int_set (&priv->batch_left, 0);
  fluid_queue_consumer_unlock (priv);
}

/* Ends `run`: cancelled once the worker stopped (the result is then
 * dropped), with the error of a failed message when stop-on-failure, else
 * successfully. */
static void
fluid_queue_consumer_pump_finish (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  g_autoptr(GTask) task = g_steal_pointer (&priv->run_task);

  /* May finish the worker and drop its last reference: @self is not used
   * after this, and @task keeps it until then. */
  if (priv->closed)
    {
      g_clear_error (&priv->pump_error);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The consumer stopped before its run ended");
    }
  else if (priv->pump_error != NULL)
    g_task_return_error (task, g_steal_pointer (&priv->pump_error));
  else
    g_task_return_boolean (task, TRUE);
}

/* The handler of the message in hand completed, with @error (taken) when
 * it failed: counts the message once, as processed or failed, unless the
 * worker stopped meanwhile and counted it as discarded. */
static void
fluid_queue_consumer_settle (FluidQueueConsumer *self,
                             GError             *error)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  FluidMessage *message = g_steal_pointer (&priv->current);

  priv->busy = FALSE;
  fluid_worker_feed ((FluidWorker *) self);
  if (priv->abandoned)
    {
      priv->abandoned = FALSE;
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
                        "FLUID_WORKER", fluid_worker_get_name (FLUID_WORKER (self)),
                        "MESSAGE", "%s handled a message after it stopped (%s); "
                        "it was counted as discarded",
                        fluid_worker_get_name (FLUID_WORKER (self)),
                        error != NULL ? error->message : "no error");
      g_clear_error (&error);
      fluid_message_free (message);
      return;
    }

  if (error == NULL)
    {
      priv->processed++;
      fluid_queue_consumer_counters_changed (priv);
      fluid_message_free (message);
      return;
    }

  fluid_queue_consumer_tell_failure (self, message, error, &priv->pump_error);
  fluid_message_free (message);
}

void
fluid_queue_consumer_tell_failure (FluidQueueConsumer *self,
                                   FluidMessage       *message,
                                   GError             *error,
                                   GError            **stop_error)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  priv->failed++;
  fluid_queue_consumer_counters_changed (priv);
  g_signal_emit (self, signals[SIGNAL_MESSAGE_FAILED], 0, &message->value, error);
  if (priv->stop_on_failure && *stop_error == NULL)
    *stop_error = error;
  else
    g_error_free (error);
}

static void
fluid_queue_consumer_pump (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  guint budget;

  if (priv->run_task == NULL || priv->pumping || priv->busy)
    return;

  priv->pumping = TRUE;
  budget = MAX (fluid_queue_consumer_get_queue_size (self), FLUID_QUEUE_MIN_BATCH);

  for (;;)
    {
      FluidWorkerState state = fluid_worker_get_state (FLUID_WORKER (self));
      FluidMessage *message;

      if (priv->pump_error != NULL || priv->closed)
        break;

      if (state != FLUID_WORKER_STATE_RUNNING &&
          !(state == FLUID_WORKER_STATE_STOPPING && priv->drain_left > 0))
        break;

      if (budget == 0)
        {
          /* Yield to the rest of the context, and come back. */
          g_source_set_ready_time (priv->source, 0);
          priv->pumping = FALSE;
          return;
        }
      budget--;

      if (state == FLUID_WORKER_STATE_RUNNING)
        {
          message = fluid_queue_consumer_pump_take (self, TRUE);
          if (message == NULL)
            {
              priv->pumping = FALSE;
              return;
            }
        }
      else
        {
          message = fluid_queue_consumer_pump_take (self, FALSE);
          if (message == NULL)
            break;
          priv->drain_left--;
        }

      priv->current = message;
      priv->busy = TRUE;
      if (priv->pump_func (self, &message->value, priv->pump_data))
        fluid_queue_consumer_settle (self, NULL);
      else if (priv->busy && !priv->closed)
        {
          /* Handled asynchronously: fluid_queue_consumer_pump_resume() goes
           * on. */
          priv->pumping = FALSE;
          return;
        }
    }

  priv->pumping = FALSE;
  if (!priv->closed)
    fluid_queue_consumer_pump_return_batch (self);
  fluid_queue_consumer_pump_finish (self);
}

/* fluid_queue_consumer_pump_run:
 * See fluid-queue-consumer-private.h. */
void
fluid_queue_consumer_pump_run (FluidQueueConsumer *self,
                               GTask              *run_task,
                               FluidQueuePumpFunc  func,
                               gpointer            user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  g_return_if_fail (priv->run_task == NULL);

  priv->run_task = run_task;
  priv->pump_func = func;
  priv->pump_data = user_data;
  fluid_queue_consumer_pump (self);
}

void
fluid_queue_consumer_pump_resume (FluidQueueConsumer *self,
                                  GError             *error)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  g_return_if_fail (priv->busy);

  g_object_ref (self);
  fluid_queue_consumer_settle (self, error);
  fluid_queue_consumer_pump (self);
  g_object_unref (self);
}

void
fluid_queue_consumer_set_reports_processed (FluidQueueConsumer *self,
                                            gboolean            reports)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  priv->reports_processed = !!reports;
}

guint64
fluid_queue_consumer_get_processed (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  return priv->processed;
}

/* A threaded consumer: tells its failures, and ends `run` once its threads
 * are done. */
static void
fluid_queue_consumer_threads_ready (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  FluidQueueThreads *threads = priv->threads;

  if (priv->run_task == NULL || threads == NULL)
    return;
  if (!fluid_queue_threads_ready (threads, priv->stop_on_failure, &priv->pump_error) ||
      priv->run_task == NULL)
    return;

  fluid_queue_consumer_lock (priv);
  fluid_queue_consumer_count_threads_locked (priv);
  priv->threads = NULL;
  fluid_queue_consumer_unlock (priv);
  fluid_queue_threads_stop (threads);
  fluid_queue_consumer_pump_finish (self);
}

void
fluid_queue_consumer_threads_run (FluidQueueConsumer     *self,
                                  GTask                  *run_task,
                                  guint                   n_threads,
                                  FluidThreadMessageFunc  func,
                                  gpointer                user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  FluidQueueThreads *threads;

  g_return_if_fail (priv->run_task == NULL);

  priv->run_task = run_task;
  threads = fluid_queue_threads_new (self, n_threads, func, user_data);
  fluid_queue_consumer_lock (priv);
  priv->threads = threads;
  fluid_queue_consumer_unlock (priv);
  fluid_queue_threads_start (threads);
}

/* Called when messages may be ready or the state changed. */
static void
fluid_queue_consumer_ready (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  if (priv->threads != NULL)
    fluid_queue_consumer_threads_ready (self);
  else if (priv->run_task != NULL)
    fluid_queue_consumer_pump (self);
  else
    fluid_queue_consumer_serve_getters (self);
}

/* As fluid_queue_consumer_ready(), from the next dispatch of the queue
 * source: a change of state is told while the worker's own code may be on
 * the stack (a handler that stops the worker), and run must not end there. */
static void
fluid_queue_consumer_ready_soon (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  g_source_set_ready_time (priv->source, 0);
}

/* Follows the lifecycle, on the worker's context, after the handlers of
 * the state's notification and signal. */
static void
fluid_queue_consumer_state_changed (FluidWorker      *worker,
                                    FluidWorkerState  state,
                                    gpointer          user_data)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (worker);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  switch (state)
    {
    case FLUID_WORKER_STATE_RUNNING:
      if (g_source_get_context (priv->source) == NULL && !priv->closed)
        g_source_attach (priv->source, fluid_worker_get_context (worker));
      fluid_queue_consumer_ready_soon (self);
      break;

    case FLUID_WORKER_STATE_STOPPING:
      if (priv->drain_on_stop)
        {
          /* Under the lock: a threaded consumer's threads count it down. */
          fluid_queue_consumer_lock (priv);
          priv->drain_left = fluid_queue_consumer_size_locked (priv);
          fluid_queue_consumer_unlock (priv);
        }
      else
        fluid_queue_consumer_hand_to_getters (self);
      fluid_queue_consumer_ready_soon (self);
      break;

    case FLUID_WORKER_STATE_STOPPED:
    case FLUID_WORKER_STATE_FORCE_STOPPED:
      g_object_ref (self);
      fluid_queue_consumer_close (self);
      fluid_queue_consumer_serve_getters (self);
      g_object_unref (self);
      break;

    case FLUID_WORKER_STATE_INIT:
    default:
      break;
    }
}

/* FluidWorker */

static void
fluid_queue_consumer_parent_status_cb (GObject      *source,
                                       GAsyncResult *result,
                                       gpointer      user_data)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (source);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) parent_status = NULL;
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  GError *error = NULL;

  parent_status = FLUID_WORKER_CLASS (fluid_queue_consumer_parent_class)->status_finish (FLUID_WORKER (self),
                                                                                          result, &error);
  if (parent_status == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_variant_dict_init (&dict, parent_status);
  g_variant_dict_insert (&dict, "queue_size", "u", fluid_queue_consumer_get_queue_size (self));
  g_variant_dict_insert (&dict, "discarded", "t", fluid_queue_consumer_get_discarded (self));
  g_variant_dict_insert (&dict, "failed", "t", priv->failed);
  fluid_queue_consumer_lock (priv);
  fluid_queue_consumer_count_threads_locked (priv);
  fluid_queue_consumer_unlock (priv);
  if (priv->reports_processed)
    g_variant_dict_insert (&dict, "processed", "t", priv->processed);

  g_task_return_pointer (task, g_variant_ref_sink (g_variant_dict_end (&dict)),
                         (GDestroyNotify) g_variant_unref);
}

static void
fluid_queue_consumer_status_async (FluidWorker         *worker,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_queue_consumer_status_async);
  g_task_set_name (task, "[fluid] queue consumer status");

  FLUID_WORKER_CLASS (fluid_queue_consumer_parent_class)->status_async (worker, cancellable,
                                                                        fluid_queue_consumer_parent_status_cb,
                                                                        task);
}

static GVariant *
fluid_queue_consumer_status_finish (FluidWorker   *worker,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GObject */

static void
fluid_queue_consumer_constructed (GObject *object)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  G_OBJECT_CLASS (fluid_queue_consumer_parent_class)->constructed (object);

  /* Told on the worker's own context; removed in dispose, which cannot
   * come while the worker runs: it holds itself alive. */
  priv->observer = fluid_worker_observe (FLUID_WORKER (self), NULL, FLUID_OBSERVER_ALL_EVENTS,
                                         fluid_queue_consumer_state_changed, self, NULL);
}

static void
fluid_queue_consumer_dispose (GObject *object)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  /* Each getter's task holds a reference on @self: none is left here. */
  g_assert (priv->getters.length == 0);

  if (priv->observer != NULL)
    {
      fluid_worker_unobserve (FLUID_WORKER (self), priv->observer);
      priv->observer = NULL;
    }
  g_source_destroy (priv->source);

  G_OBJECT_CLASS (fluid_queue_consumer_parent_class)->dispose (object);
}

static void
fluid_queue_consumer_finalize (GObject *object)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  g_clear_pointer (&priv->source, g_source_unref);
  fluid_message_list_free (&priv->queue);
  fluid_message_list_free (&priv->batch);
  g_clear_pointer (&priv->current, fluid_message_free);
  g_clear_error (&priv->pump_error);
  g_clear_pointer (&priv->counters_watchers, g_array_unref);
  g_mutex_clear (&priv->lock);

  G_OBJECT_CLASS (fluid_queue_consumer_parent_class)->finalize (object);
}

static void
fluid_queue_consumer_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);

  switch (prop_id)
    {
    case PROP_DRAIN_ON_STOP:
      g_value_set_boolean (value, fluid_queue_consumer_get_drain_on_stop (self));
      break;

    case PROP_STOP_ON_FAILURE:
      g_value_set_boolean (value, fluid_queue_consumer_get_stop_on_failure (self));
      break;

    case PROP_MAX_QUEUE_SIZE:
      g_value_set_uint (value, fluid_queue_consumer_get_max_queue_size (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_queue_consumer_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);

  switch (prop_id)
    {
    case PROP_DRAIN_ON_STOP:
      fluid_queue_consumer_set_drain_on_stop (self, g_value_get_boolean (value));
      break;

    case PROP_STOP_ON_FAILURE:
      fluid_queue_consumer_set_stop_on_failure (self, g_value_get_boolean (value));
      break;

    case PROP_MAX_QUEUE_SIZE:
      fluid_queue_consumer_set_max_queue_size (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* For the watchdog: a consumer with nothing to handle is waiting, not
 * starved. */
static gboolean
fluid_queue_consumer_is_idle (FluidWorker *worker)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (worker);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  gboolean idle;

  fluid_queue_consumer_lock (priv);
  idle = !priv->busy && fluid_queue_consumer_size_locked (priv) == 0 &&
         (priv->threads == NULL || fluid_queue_threads_is_idle_locked (priv->threads));
  fluid_queue_consumer_unlock (priv);
  return idle;
}

static void
fluid_queue_consumer_class_init (FluidQueueConsumerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  object_class->constructed = fluid_queue_consumer_constructed;
  object_class->dispose = fluid_queue_consumer_dispose;
  object_class->finalize = fluid_queue_consumer_finalize;
  object_class->get_property = fluid_queue_consumer_get_property;
  object_class->set_property = fluid_queue_consumer_set_property;

  worker_class->status_async = fluid_queue_consumer_status_async;
  worker_class->status_finish = fluid_queue_consumer_status_finish;
  fluid_worker_class_set_idle_func (worker_class, fluid_queue_consumer_is_idle);

  /**
   * FluidQueueConsumer:drain-on-stop:
   *
   * Whether a graceful stop lets the consumer handle every message already
   * queued before `run` ends. The messages queued when the stop is
   * requested are handled; those sent during the stop are not, so that a
   * producer that keeps sending cannot hold the stop back. When %FALSE (the
   * default, as aio-fluid), the messages left in the queue when the worker
   * stops are freed and counted in the `discarded` key of the status.
   *
   * Since: 1.0
   */
  properties[PROP_DRAIN_ON_STOP] =
    g_param_spec_boolean ("drain-on-stop", "Drain on stop", "Whether a graceful stop handles the queued messages",
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidQueueConsumer:stop-on-failure:
   *
   * What a message whose handler fails does to the worker. Either way the
   * message counts in the `failed` key of the status and
   * #FluidQueueConsumer::message-failed is emitted. When %TRUE (the
   * default, as aio-fluid), the worker then stops as if `run` had failed
   * with the handler's error: exit code %FLUID_EXIT_CODE_ERROR, and
   * fluid_worker_wait_for_shutdown_finish() fails with that error. When
   * %FALSE, the worker goes on with the next message.
   *
   * It may be changed at any time, on the worker's context; it applies to
   * the failures that come after.
   *
   * Since: 1.2
   */
  properties[PROP_STOP_ON_FAILURE] =
    g_param_spec_boolean ("stop-on-failure", "Stop on failure",
                          "Whether a message whose handler fails stops the worker",
                          TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidQueueConsumer:max-queue-size:
   *
   * The most messages the queue holds for bounded producers, 0 (the
   * default) for no bound: fluid_queue_consumer_try_send() refuses a
   * message when the queue is full, fluid_queue_consumer_send_async()
   * waits for room. fluid_queue_consumer_send() never refuses, and may go
   * past it.
   *
   * Since: 1.2
   */
  properties[PROP_MAX_QUEUE_SIZE] =
    g_param_spec_uint ("max-queue-size", "Maximum queue size",
                       "The most messages the queue holds for bounded producers",
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FluidQueueConsumer::message-failed:
   * @self: the consumer
   * @message: the message whose handler failed
   * @error: the handler's error
   *
   * Emitted on the worker's context when the handler of a message fails:
   * the `on_message` of a #FluidQueueConsumerWorker completed with an
   * error, or a handler of the #FluidAsyncDispatcher of a
   * #FluidAsyncConsumer did. The message counts in the `failed` key of the
   * status; then, if #FluidQueueConsumer:stop-on-failure is set, the worker
   * stops with @error.
   *
   * A message still in hand when the worker is forced to stop, or fails
   * from elsewhere, is not failed but discarded, and this signal is not
   * emitted for it.
   *
   * Since: 1.2
   */
  signals[SIGNAL_MESSAGE_FAILED] =
    g_signal_new ("message-failed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_VALUE | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
fluid_queue_consumer_init (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  g_mutex_init (&priv->lock);
  priv->stop_on_failure = TRUE;
  priv->source = g_source_new (&fluid_queue_source_funcs, sizeof (FluidQueueSource));
  ((FluidQueueSource *) priv->source)->consumer = self;
  g_source_set_static_name (priv->source, "[fluid] queue consumer");
  g_source_set_priority (priv->source, G_PRIORITY_DEFAULT);
}

/* Public API */

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

  fluid_queue_consumer_push (self, fluid_message_copy (message));
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
  fluid_queue_consumer_push (self, value);
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
  fluid_queue_consumer_push (self, value);
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
  fluid_queue_consumer_push (self, value);
}

/**
 * fluid_queue_consumer_get_queue_size:
 * @self: a #FluidQueueConsumer
 *
 * Gets the number of messages waiting in the queue. Thread-safe.
 *
 * Returns: the number of queued messages
 *
 * Since: 1.0
 */
guint
fluid_queue_consumer_get_queue_size (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv;
  guint length;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  priv = fluid_queue_consumer_get_instance_private (self);

  /* The messages the pump took and has not handled yet count too. */
  fluid_queue_consumer_lock (priv);
  length = priv->queue.length;
  fluid_queue_consumer_unlock (priv);
  length += (guint) MAX (g_atomic_int_get (&priv->batch_left), 0);
  return length;
}

/**
 * fluid_queue_consumer_get_discarded:
 * @self: a #FluidQueueConsumer
 *
 * Gets the number of messages that were freed without being handled:
 * those left in the queue when the worker stopped and those sent after.
 * It is the `discarded` key of the status. Thread-safe.
 *
 * Returns: the number of discarded messages
 *
 * Since: 1.0
 */
guint64
fluid_queue_consumer_get_discarded (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv;
  guint64 discarded;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  priv = fluid_queue_consumer_get_instance_private (self);

  fluid_queue_consumer_lock (priv);
  discarded = priv->discarded;
  fluid_queue_consumer_unlock (priv);

  return discarded;
}

/**
 * fluid_queue_consumer_get_drain_on_stop:
 * @self: a #FluidQueueConsumer
 *
 * Gets #FluidQueueConsumer:drain-on-stop.
 *
 * Returns: whether a graceful stop handles the queued messages first
 *
 * Since: 1.0
 */
gboolean
fluid_queue_consumer_get_drain_on_stop (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), FALSE);

  priv = fluid_queue_consumer_get_instance_private (self);

  return priv->drain_on_stop;
}

/**
 * fluid_queue_consumer_set_drain_on_stop:
 * @self: a #FluidQueueConsumer
 * @drain_on_stop: whether a graceful stop handles the queued messages first
 *
 * Sets #FluidQueueConsumer:drain-on-stop.
 *
 * Since: 1.0
 */
void
fluid_queue_consumer_set_drain_on_stop (FluidQueueConsumer *self,
                                        gboolean            drain_on_stop)
{
  FluidQueueConsumerPrivate *priv;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));

  priv = fluid_queue_consumer_get_instance_private (self);

  drain_on_stop = !!drain_on_stop;
  if (priv->drain_on_stop == (guint) drain_on_stop)
    return;

  priv->drain_on_stop = drain_on_stop;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DRAIN_ON_STOP]);
}

/**
 * fluid_queue_consumer_get_stop_on_failure:
 * @self: a #FluidQueueConsumer
 *
 * Gets #FluidQueueConsumer:stop-on-failure.
 *
 * Returns: whether a message whose handler fails stops the worker
 *
 * Since: 1.2
 */
gboolean
fluid_queue_consumer_get_stop_on_failure (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), TRUE);

  priv = fluid_queue_consumer_get_instance_private (self);

  return priv->stop_on_failure;
}

/**
 * fluid_queue_consumer_set_stop_on_failure:
 * @self: a #FluidQueueConsumer
 * @stop_on_failure: whether a message whose handler fails stops the worker
 *
 * Sets #FluidQueueConsumer:stop-on-failure. Call it before the worker
 * starts or on its context.
 *
 * Since: 1.2
 */
void
fluid_queue_consumer_set_stop_on_failure (FluidQueueConsumer *self,
                                          gboolean            stop_on_failure)
{
  FluidQueueConsumerPrivate *priv;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));

  priv = fluid_queue_consumer_get_instance_private (self);

  stop_on_failure = !!stop_on_failure;
  if (priv->stop_on_failure == (guint) stop_on_failure)
    return;

  priv->stop_on_failure = stop_on_failure;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOP_ON_FAILURE]);
}

