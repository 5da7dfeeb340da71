/* fluid-queue-consumer.c: an abstract worker fed through a thread-safe queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-consumer-private.h"
#include "fluid-tsan-private.h"
#include "fluid-worker-private.h"

#include <math.h>

/**
 * SECTION:fluid-queue-consumer
 * @short_description: An abstract worker fed through a thread-safe queue
 * @title: FluidQueueConsumer
 * @see_also: #FluidQueueConsumerWorker, #FluidAsyncConsumer
 *
 * A #FluidQueueConsumer is a #FluidWorker backed by a #GAsyncQueue of
 * messages. A message is a #GValue: fluid_queue_consumer_send() copies the
 * value it is given into the queue, from any thread, and wakes the
 * consumer's main context. Subclasses implement `run`, in which they take
 * the messages with fluid_queue_consumer_get_message_async() while the
 * worker runs.
 *
 * Messages may be sent before the worker starts: they wait in the queue.
 * Every message sent is in the end either handled exactly once or counted
 * in the `discarded` key of the status: a message still queued when the
 * worker stops, or sent after it stopped, is freed and counted. When
 * #FluidQueueConsumer:drain-on-stop is set, a graceful stop lets the
 * consumer handle every message already queued before `run` ends.
 *
 * The status of a queue consumer adds the keys `queue_size` (`u`) and
 * `discarded` (`t`) to those of #FluidWorker; the concrete consumers add
 * `processed` (`t`).
 */

enum
{
  PROP_0,
  PROP_DRAIN_ON_STOP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static GParamSpec *state_pspec;

/* The source that wakes the consumer's context: its ready time is set to 0
 * by a sending thread when the consumer waits for messages. */
typedef struct
{
  GSource             source;
  FluidQueueConsumer *consumer;
} FluidQueueSource;

/* A fluid_queue_consumer_get_message_async() call waiting for a message. */
typedef struct
{
  GList         link;
  GTask        *task;
  GSource      *timeout;
  GSource      *cancel_source;
} FluidGetter;

/* How many messages the pump takes from the queue under one lock. */
#define FLUID_QUEUE_BATCH 64

typedef struct
{
  GAsyncQueue        *queue;
  GSource            *source;

  /* Protected by the queue's lock; not bit fields, which would share a
   * word with the fields below, written without the lock. */
  guint64             discarded;
  gboolean            waiting;
  gboolean            closed;

  /* On the consumer's context. */
  guint               drain_on_stop : 1;
  guint               reports_processed : 1;
  guint               pumping : 1;
  guint               busy : 1;
  guint64             processed;
  /* With drain-on-stop, how many of the messages queued when the stop
   * was requested are still to be handled: what is sent later is not, so
   * that a producer that keeps sending cannot hold the stop back. */
  guint64             drain_left;
  GQueue              getters;

  /* The pump takes messages by batches, under one lock: the messages
   * taken and not yet handled. batch_left is read by any thread. */
  GValue             *batch[FLUID_QUEUE_BATCH];
  guint               batch_next;
  guint               batch_len;
  int                 batch_left;

  GTask              *run_task;
  FluidQueuePumpFunc  pump_func;
  gpointer            pump_data;
  GValue             *current;
  GError             *pump_error;
} FluidQueueConsumerPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (FluidQueueConsumer, fluid_queue_consumer, FLUID_TYPE_WORKER)

/* The most messages one dispatch handles beyond those that were queued
 * when it began: a producer faster than the consumer must not starve the
 * rest of the context. */
#define FLUID_QUEUE_MIN_BATCH 4096

static void fluid_queue_consumer_ready (FluidQueueConsumer *self);

/* Messages */

/* Queued messages are plain heap blocks: GSlice is deprecated since
 * GLib 2.76, where it is a wrapper around malloc anyway. */
static GValue *
fluid_message_new (void)
{
  return g_new0 (GValue, 1);
}

/* Whether a #GValue of @type holds its whole content in data[0] and owns
 * nothing: the scalar fundamental types. Such a value is copied bitwise and
 * freed without g_value_unset(), which spares the value-table look-ups of
 * g_value_init(), g_value_copy() and g_value_unset() on the hot path of
 * small messages. Only the exact fundamental types: a derived type could
 * bring its own value table. */
static inline gboolean
fluid_message_type_is_plain (GType type)
{
  switch (type)
    {
    case G_TYPE_CHAR:
    case G_TYPE_UCHAR:
    case G_TYPE_BOOLEAN:
    case G_TYPE_INT:
    case G_TYPE_UINT:
    case G_TYPE_LONG:
    case G_TYPE_ULONG:
    case G_TYPE_INT64:
    case G_TYPE_UINT64:
    case G_TYPE_FLOAT:
    case G_TYPE_DOUBLE:
    case G_TYPE_POINTER:
      return TRUE;

    default:
      return FALSE;
    }
}

static void
fluid_message_free (gpointer data)
{
  GValue *message = data;

  if (!fluid_message_type_is_plain (G_VALUE_TYPE (message)))
    g_value_unset (message);
  g_free (message);
}

/* A new message holding a copy of @value. */
static GValue *
fluid_message_copy (const GValue *value)
{
  GType type = G_VALUE_TYPE (value);
  GValue *copy;

  if (fluid_message_type_is_plain (type))
    {
      /* What g_value_init() then g_value_copy() leave: the type, data[0]
       * as the source has it, data[1] zero. */
      copy = g_new (GValue, 1);
      copy->g_type = type;
      copy->data[0] = value->data[0];
      copy->data[1].v_uint64 = 0;
      return copy;
    }

  copy = fluid_message_new ();
  g_value_init (copy, type);
  g_value_copy (value, copy);
  return copy;
}

static void
fluid_boxed_value_free (gpointer data)
{
  g_boxed_free (G_TYPE_VALUE, data);
}

/* Moves a queued message into a block g_boxed_free() frees, as a GValue
 * returned with (transfer full) is. */
static GValue *
fluid_message_to_boxed (GValue *message)
{
  GValue *boxed = g_new (GValue, 1);

  /* A GValue may be moved bitwise. */
  *boxed = *message;
  g_free (message);
  return boxed;
}

/* Queues @message, which it takes, and wakes the consumer if it waits for
 * one; a consumer that has stopped frees the message and counts it. */
static void
fluid_queue_consumer_push (FluidQueueConsumer *self,
                           GValue             *message)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  gboolean wake;

  fluid_async_queue_lock (priv->queue);
  if (priv->closed)
    {
      priv->discarded++;
      fluid_async_queue_unlock (priv->queue);
      fluid_message_free (message);
      return;
    }
  g_async_queue_push_unlocked (priv->queue, message);
  wake = priv->waiting;
  priv->waiting = FALSE;
  fluid_async_queue_unlock (priv->queue);

  /* Thread-safe; wakes the context the source is attached to. The source
   * and the context live as long as @self. */
  if (wake)
    g_source_set_ready_time (priv->source, 0);
}

/* Takes the next message; when there is none, arms the wake-up so that the
 * next send dispatches the queue source. */
static GValue *
fluid_queue_consumer_pop_or_arm (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  GValue *message;

  fluid_async_queue_lock (priv->queue);
  message = g_async_queue_try_pop_unlocked (priv->queue);
  if (message == NULL && !priv->closed)
    priv->waiting = TRUE;
  fluid_async_queue_unlock (priv->queue);

  return message;
}

/* Frees and counts every queued message; from now on, sent messages are
 * discarded at once. */
static void
fluid_queue_consumer_close (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  GValue *message;
  GSList *dropped = NULL;

  fluid_async_queue_lock (priv->queue);
  priv->closed = TRUE;
  priv->waiting = FALSE;
  while ((message = g_async_queue_try_pop_unlocked (priv->queue)) != NULL)
    {
      priv->discarded++;
      dropped = g_slist_prepend (dropped, message);
    }
  fluid_async_queue_unlock (priv->queue);

  /* Freed outside the lock: freeing a message may run arbitrary code. */
  g_slist_free_full (dropped, fluid_message_free);

  if (priv->source != NULL)
    g_source_destroy (priv->source);
}

/* The queue source */

static gboolean
fluid_queue_source_dispatch (GSource     *source,
                             GSourceFunc  callback,
                             gpointer     user_data)
{
  FluidQueueConsumer *self = ((FluidQueueSource *) source)->consumer;

  g_source_set_ready_time (source, -1);
  fluid_queue_consumer_ready (self);

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs fluid_queue_source_funcs = {
  NULL, NULL, fluid_queue_source_dispatch, NULL, NULL, NULL,
};

/* Pending get_message calls */

static GTask *
fluid_getter_take (FluidGetter *getter,
                   GQueue      *getters)
{
  GTask *task = getter->task;

  g_queue_unlink (getters, &getter->link);
  if (getter->timeout != NULL)
    {
      g_source_destroy (getter->timeout);
      g_source_unref (getter->timeout);
    }
  if (getter->cancel_source != NULL)
    {
      g_source_destroy (getter->cancel_source);
      g_source_unref (getter->cancel_source);
    }
  g_free (getter);

  return task;
}

/* Completes @getter with @message (taken, nullable). */
static void
fluid_getter_return (FluidQueueConsumer *self,
                     FluidGetter        *getter,
                     GValue             *message)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  GTask *task = fluid_getter_take (getter, &priv->getters);

  g_task_return_pointer (task, message != NULL ? fluid_message_to_boxed (message) : NULL,
                             fluid_boxed_value_free);
  g_object_unref (task);
}

static gboolean
fluid_getter_timeout_cb (gpointer user_data)
{
  FluidGetter *getter = user_data;
  GTask *task = getter->task;

  fluid_getter_return (g_task_get_source_object (task), getter, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
fluid_getter_cancelled_cb (GCancellable *cancellable,
                           gpointer      user_data)
{
  FluidGetter *getter = user_data;
  FluidQueueConsumer *self = g_task_get_source_object (getter->task);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  GTask *task = fluid_getter_take (getter, &priv->getters);
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  g_task_return_error (task, error);
  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

/* What a get_message call gets now: a message, or NULL with *wait set when
 * it has to wait for one (the wake-up is then armed), or NULL with *wait
 * unset when the worker no longer takes messages. */
static GValue *
fluid_queue_consumer_take_for_getter (FluidQueueConsumer *self,
                                      gboolean           *wait)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  GValue *message = NULL;

  *wait = FALSE;
  switch (fluid_worker_get_state (FLUID_WORKER (self)))
    {
    case FLUID_WORKER_STATE_INIT:
    case FLUID_WORKER_STATE_RUNNING:
      message = fluid_queue_consumer_pop_or_arm (self);
      *wait = message == NULL;
      break;

    case FLUID_WORKER_STATE_STOPPING:
      if (priv->drain_left > 0)
        message = fluid_async_queue_try_pop (priv->queue);
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
static void
fluid_queue_consumer_serve_getters (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  /* Keeps @self while callbacks run. */
  g_object_ref (self);
  while (priv->getters.head != NULL)
    {
      gboolean wait;
      GValue *message = fluid_queue_consumer_take_for_getter (self, &wait);

      if (wait)
        break;
      fluid_getter_return (self, priv->getters.head->data, message);
    }
  g_object_unref (self);
}

/* The pump */

/* Takes the next message for the pump: from the batch, else refills the
 * batch under one lock. When there is none, arms the wake-up if @arm. */
static GValue *
fluid_queue_consumer_pump_take (FluidQueueConsumer *self,
                                gboolean            arm)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  GValue *message;

  if (priv->batch_next == priv->batch_len)
    {
      priv->batch_next = priv->batch_len = 0;
      fluid_async_queue_lock (priv->queue);
      while (priv->batch_len < FLUID_QUEUE_BATCH &&
             (message = g_async_queue_try_pop_unlocked (priv->queue)) != NULL)
        priv->batch[priv->batch_len++] = message;
      if (priv->batch_len == 0 && arm && !priv->closed)
        priv->waiting = TRUE;
      g_atomic_int_set (&priv->batch_left, priv->batch_len);
      fluid_async_queue_unlock (priv->queue);

      if (priv->batch_len == 0)
        return NULL;
    }

  message = priv->batch[priv->batch_next];
  priv->batch[priv->batch_next++] = NULL;
  g_atomic_int_add (&priv->batch_left, -1);

  return message;
}

/* Puts the messages of the batch the pump did not handle back in front of
 * the queue, in order; once the queue is closed, discards them. */
static void
fluid_queue_consumer_pump_return_batch (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  GSList *dropped = NULL;

  if (priv->batch_next == priv->batch_len)
    return;

  fluid_async_queue_lock (priv->queue);
  while (priv->batch_len > priv->batch_next)
    {
      GValue *message = priv->batch[--priv->batch_len];

      priv->batch[priv->batch_len] = NULL;
      if (priv->closed)
        {
          priv->discarded++;
          dropped = g_slist_prepend (dropped, message);
        }
      else
        g_async_queue_push_front_unlocked (priv->queue, message);
    }
  priv->batch_next = priv->batch_len = 0;
  g_atomic_int_set (&priv->batch_left, 0);
  fluid_async_queue_unlock (priv->queue);

  g_slist_free_full (dropped, fluid_message_free);
}

static void
fluid_queue_consumer_pump_finish (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  g_autoptr(GTask) task = g_steal_pointer (&priv->run_task);

  /* May finish the worker and drop its last reference: @self is not used
   * after this, and @task keeps it until then. */
  if (priv->pump_error != NULL)
    g_task_return_error (task, g_steal_pointer (&priv->pump_error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
fluid_queue_consumer_pump (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  guint budget;

  if (priv->run_task == NULL || priv->pumping || priv->busy)
    return;

  priv->pumping = TRUE;
  budget = MAX ((guint) MAX (g_async_queue_length (priv->queue), 0), FLUID_QUEUE_MIN_BATCH);

  for (;;)
    {
      FluidWorkerState state = fluid_worker_get_state (FLUID_WORKER (self));
      GValue *message;

      if (priv->pump_error != NULL)
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

      priv->processed++;
      priv->current = message;
      priv->busy = TRUE;
      if (priv->pump_func (self, message, priv->pump_data))
        {
          priv->busy = FALSE;
          priv->current = NULL;
          fluid_message_free (message);
        }
      else if (priv->busy)
        {
          /* Handled asynchronously: fluid_queue_consumer_pump_resume() goes
           * on. */
          priv->pumping = FALSE;
          return;
        }
    }

  priv->pumping = FALSE;
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

  priv->busy = FALSE;
  g_clear_pointer (&priv->current, fluid_message_free);
  if (error != NULL)
    {
      if (priv->pump_error == NULL)
        priv->pump_error = error;
      else
        g_error_free (error);
    }

  g_object_ref (self);
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

/* Called when messages may be ready or the state changed. */
static void
fluid_queue_consumer_ready (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  if (priv->run_task != NULL)
    fluid_queue_consumer_pump (self);
  else
    fluid_queue_consumer_serve_getters (self);
}

/* As fluid_queue_consumer_ready(), from the next dispatch of the queue
 * source. For a change of state: handling messages there, or ending `run`,
 * would nest a second ::notify in the emission of the first, which GObject
 * then merges, and handlers of ::notify::state or ::stopping would never
 * see the state in between. */
static void
fluid_queue_consumer_ready_soon (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  g_source_set_ready_time (priv->source, 0);
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
  guint64 discarded;

  parent_status = FLUID_WORKER_CLASS (fluid_queue_consumer_parent_class)->status_finish (FLUID_WORKER (self),
                                                                                          result, &error);
  if (parent_status == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_variant_dict_init (&dict, parent_status);
  g_variant_dict_insert (&dict, "queue_size", "u", fluid_queue_consumer_get_queue_size (self));
  fluid_async_queue_lock (priv->queue);
  discarded = priv->discarded;
  fluid_async_queue_unlock (priv->queue);
  g_variant_dict_insert (&dict, "discarded", "t", discarded);
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

/* Follows the state of the worker: the class handler of ::notify, so that
 * no handler of the user's can come first and no one can disconnect it. */
static void
fluid_queue_consumer_notify (GObject    *object,
                             GParamSpec *pspec)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  if (pspec == state_pspec)
    {
      switch (fluid_worker_get_state (FLUID_WORKER (self)))
        {
        case FLUID_WORKER_STATE_RUNNING:
          if (g_source_get_context (priv->source) == NULL)
            g_source_attach (priv->source, fluid_worker_get_context (FLUID_WORKER (self)));
          fluid_queue_consumer_ready_soon (self);
          break;

        case FLUID_WORKER_STATE_STOPPING:
          if (priv->drain_on_stop)
            priv->drain_left = fluid_queue_consumer_get_queue_size (self);
          fluid_queue_consumer_ready_soon (self);
          break;

        case FLUID_WORKER_STATE_STOPPED:
        case FLUID_WORKER_STATE_FORCE_STOPPED:
          fluid_queue_consumer_close (self);
          fluid_queue_consumer_ready (self);
          break;

        case FLUID_WORKER_STATE_INIT:
        default:
          break;
        }
    }

  if (G_OBJECT_CLASS (fluid_queue_consumer_parent_class)->notify != NULL)
    G_OBJECT_CLASS (fluid_queue_consumer_parent_class)->notify (object, pspec);
}

static void
fluid_queue_consumer_dispose (GObject *object)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  /* Each getter's task holds a reference on @self: none is left here. */
  g_assert (priv->getters.length == 0);

  if (priv->source != NULL)
    g_source_destroy (priv->source);

  G_OBJECT_CLASS (fluid_queue_consumer_parent_class)->dispose (object);
}

static void
fluid_queue_consumer_finalize (GObject *object)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  g_clear_pointer (&priv->source, g_source_unref);
  g_clear_pointer (&priv->queue, g_async_queue_unref);
  g_clear_pointer (&priv->current, fluid_message_free);
  g_clear_error (&priv->pump_error);
  for (guint i = priv->batch_next; i < priv->batch_len; i++)
    fluid_message_free (priv->batch[i]);

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

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_queue_consumer_class_init (FluidQueueConsumerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  object_class->notify = fluid_queue_consumer_notify;
  object_class->dispose = fluid_queue_consumer_dispose;
  object_class->finalize = fluid_queue_consumer_finalize;
  object_class->get_property = fluid_queue_consumer_get_property;
  object_class->set_property = fluid_queue_consumer_set_property;

  worker_class->status_async = fluid_queue_consumer_status_async;
  worker_class->status_finish = fluid_queue_consumer_status_finish;

  state_pspec = g_object_class_find_property (object_class, "state");

  /**
   * FluidQueueConsumer:drain-on-stop:
   *
   * Whether a graceful stop lets the consumer handle every message already
   * queued before `run` ends. The messages queued when the stop is
   * requested are handled; those sent during the stop are not, so that a
   * producer that keeps sending cannot hold the stop back. When %FALSE (the
   * default, as aio-fluid), the messages left in the queue when the worker
   * stops are freed and counted in the `discarded` key of the status.
   */
  properties[PROP_DRAIN_ON_STOP] =
    g_param_spec_boolean ("drain-on-stop", "Drain on stop", "Whether a graceful stop handles the queued messages",
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fluid_queue_consumer_init (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  priv->queue = g_async_queue_new_full (fluid_message_free);
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
 * the status.
 *
 * This function is thread-safe: any thread may call it, and it wakes the
 * consumer's main context.
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
 */
void
fluid_queue_consumer_send_string (FluidQueueConsumer *self,
                                  const char         *message)
{
  GValue *value;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (message != NULL);

  value = fluid_message_new ();
  g_value_init (value, G_TYPE_STRING);
  g_value_set_string (value, message);
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
 */
void
fluid_queue_consumer_send_object (FluidQueueConsumer *self,
                                  gpointer            message)
{
  GValue *value;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (G_IS_OBJECT (message));

  value = fluid_message_new ();
  g_value_init (value, G_OBJECT_TYPE (message));
  g_value_take_object (value, g_object_ref_sink (message));
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
 */
void
fluid_queue_consumer_send_variant (FluidQueueConsumer *self,
                                   GVariant           *message)
{
  GValue *value;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (message != NULL);

  value = fluid_message_new ();
  g_value_init (value, G_TYPE_VARIANT);
  g_value_set_variant (value, message);
  fluid_queue_consumer_push (self, value);
}

/**
 * fluid_queue_consumer_get_queue_size:
 * @self: a #FluidQueueConsumer
 *
 * Gets the number of messages waiting in the queue. Thread-safe.
 *
 * Returns: the number of queued messages
 */
guint
fluid_queue_consumer_get_queue_size (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv;
  int length;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  priv = fluid_queue_consumer_get_instance_private (self);

  /* Negative when threads wait in a pop, which the consumer never does.
   * The messages the pump took and has not handled yet count too. */
  length = g_async_queue_length (priv->queue) + g_atomic_int_get (&priv->batch_left);
  return length > 0 ? (guint) length : 0;
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
 */
guint64
fluid_queue_consumer_get_discarded (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv;
  guint64 discarded;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  priv = fluid_queue_consumer_get_instance_private (self);

  fluid_async_queue_lock (priv->queue);
  discarded = priv->discarded;
  fluid_async_queue_unlock (priv->queue);

  return discarded;
}

/**
 * fluid_queue_consumer_get_drain_on_stop:
 * @self: a #FluidQueueConsumer
 *
 * Gets #FluidQueueConsumer:drain-on-stop.
 *
 * Returns: whether a graceful stop handles the queued messages first
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
 * returns the messages still queued, then %NULL.
 *
 * Concurrent calls are served in the order they were made.
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
  GTask *task;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (!isnan (timeout));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = fluid_queue_consumer_get_instance_private (self);

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
      GValue *message = fluid_queue_consumer_take_for_getter (self, &wait);

      if (!wait || timeout == 0)
        {
          g_task_return_pointer (task, message != NULL ? fluid_message_to_boxed (message) : NULL,
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

  getter = g_new0 (FluidGetter, 1);
  getter->link.data = getter;
  getter->task = task;
  g_queue_push_tail_link (&priv->getters, &getter->link);

  if (timeout > 0)
    {
      double ms = ceil (timeout * 1000.0);

      getter->timeout = g_timeout_source_new (ms >= G_MAXUINT ? G_MAXUINT : (guint) ms);
      g_source_set_static_name (getter->timeout, "[fluid] get message timeout");
      g_source_set_callback (getter->timeout, fluid_getter_timeout_cb, getter, NULL);
      g_source_attach (getter->timeout, g_task_get_context (task));
    }

  if (cancellable != NULL)
    {
      getter->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (getter->cancel_source,
                             G_SOURCE_FUNC (fluid_getter_cancelled_cb),
                             getter, NULL);
      g_source_attach (getter->cancel_source, g_task_get_context (task));
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
