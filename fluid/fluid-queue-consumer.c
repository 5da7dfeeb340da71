/* fluid-queue-consumer.c: an abstract worker fed through a thread-safe queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-consumer-private.h"
#include "fluid-queue-counters-private.h"
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
 *
 * Since 1.2 the same counters are read-only properties,
 * #FluidQueueConsumer:processed, #FluidQueueConsumer:failed,
 * #FluidQueueConsumer:discarded and #FluidQueueConsumer:queue-size, that a
 * user interface binds to rather than polling the status:
 *
 * |[<!-- language="C" -->
 * g_object_bind_property (consumer, "processed", label, "label", G_BINDING_SYNC_CREATE);
 * ]|
 *
 * They are notified on the worker's context, at most ten times a second
 * however fast messages flow, and only those a handler is connected to:
 * nobody listening, the consumer looks for listeners at most once a second
 * while its counters change, and its messages pay nothing more than an
 * atomic read.
 */

/* A consumer holds a FluidMessageQueue, which producers push to from any
 * thread, and one driver (see fluid-queue-consumer-private.h), which
 * takes the messages out: the getters until a run of the library's
 * installs the pump or the threads. The consumer follows its own
 * lifecycle: a graceful stop limits what may still be taken (all that is
 * queued with drain-on-stop, else nothing but what the waiting getters
 * get), the end closes the queue, then the driver.
 *
 * The context is woken through one source, whose @wake bits say why:
 * READY for the driver (a message arrived for a reader that waited, the
 * state changed, or the driver asked), COUNTERS for the watchers of the
 * counters. A bit set from the context's own thread costs an atomic
 * operation; from another, a wake-up of the context too, once until it is
 * dispatched.
 *
 * Threads and locks. Everything in FluidQueueConsumerPrivate belongs to
 * the consumer's context, but the queue and the source, which any thread
 * may use. Two locks guard the consumer's data: the queue's, and the
 * threaded driver's (fluid-queue-threads.c), each over its own object's
 * fields only. The lock order is that there is none: neither is ever held
 * while another lock is taken, GLib's included (a GMainContext's, taken to
 * wake it, a GCancellable's, a GTask's): every callback, wake-up,
 * completion and free happens after the lock is released. */

enum
{
  PROP_0,
  PROP_DRAIN_ON_STOP,
  PROP_STOP_ON_FAILURE,
  PROP_MAX_QUEUE_SIZE,
  PROP_PROCESSED,
  PROP_FAILED,
  PROP_DISCARDED,
  PROP_QUEUE_SIZE,
  N_PROPS
};

enum
{
  SIGNAL_MESSAGE_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Why the consumer's source is ready. */
enum
{
  FLUID_QUEUE_WAKE_READY    = 1 << 0,
  FLUID_QUEUE_WAKE_COUNTERS = 1 << 1,
  FLUID_QUEUE_WAKE_SUBCLASS = 1 << 2,
};

typedef struct
{
  GSource             source;
  FluidQueueConsumer *consumer;   /* lives as long as the source: not a reference */
  GMainContext       *context;    /* atomic: set once attached; a reference */
  int                 wake;       /* atomic: FLUID_QUEUE_WAKE_* */
} FluidQueueSource;

typedef struct
{
  /* Made at init, freed at finalize; any thread may use them. */
  FluidMessageQueue  *queue;
  FluidQueueSource   *source;

  /* On the consumer's context. */
  FluidQueueDriver   *driver;      /* &getters until a run installs another */
  FluidQueueDriver    getters;
  FluidObserver      *observer;
  FluidQueueCounterListeners counter_listeners;
  /* Written by the driver while metrics are served (see
   * fluid-metrics-private.h). */
  FluidDurations      durations;
  guint               drain_on_stop : 1;
  guint               stop_on_failure : 1;
  guint               reports_processed : 1;
  guint               stop_drains : 1;     /* drain-on-stop, when the stop was asked */
  guint               closed : 1;
} FluidQueueConsumerPrivate;

/* Set in class_init, inherited (GType copies it to each subclass). */
typedef struct
{
  GParamSpec          *counters[FLUID_QUEUE_MAX_COUNTERS];
  guint                n_counters;
  FluidQueueWakeFunc   wake_func;
  FluidQueueStatusFunc status_func;
} FluidQueueConsumerClassPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (FluidQueueConsumer, fluid_queue_consumer, FLUID_TYPE_WORKER,
                                  G_ADD_PRIVATE (FluidQueueConsumer)
                                  g_type_add_class_private (g_define_type_id,
                                                            sizeof (FluidQueueConsumerClassPrivate)))

#define FLUID_QUEUE_CONSUMER_CLASS_GET_PRIVATE(klass) \
  G_TYPE_CLASS_GET_PRIVATE ((klass), FLUID_TYPE_QUEUE_CONSUMER, FluidQueueConsumerClassPrivate)


/* The source */

static gboolean
fluid_queue_source_prepare (GSource *source,
                            gint    *timeout)
{
  *timeout = -1;
  return g_atomic_int_get (&((FluidQueueSource *) source)->wake) != 0;
}

static gboolean
fluid_queue_source_check (GSource *source)
{
  return g_atomic_int_get (&((FluidQueueSource *) source)->wake) != 0;
}

static gboolean
fluid_queue_source_dispatch (GSource     *source,
                             GSourceFunc  callback,
                             gpointer     user_data)
{
  FluidQueueSource *queue_source = (FluidQueueSource *) source;
  /* The driver may end the run, and the run drop the last reference. */
  g_autoptr(FluidQueueConsumer) self = g_object_ref (queue_source->consumer);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  int wake = g_atomic_int_exchange (&queue_source->wake, 0);

  /* Once closed, only a driver wakes the source: it has something to say
   * of the end (the pump, to its puller). */
  if (wake & FLUID_QUEUE_WAKE_READY)
    priv->driver->funcs->ready (priv->driver);
  if (wake & FLUID_QUEUE_WAKE_COUNTERS)
    fluid_queue_counter_listeners_tell (&priv->counter_listeners);
  if (wake & FLUID_QUEUE_WAKE_SUBCLASS)
    FLUID_QUEUE_CONSUMER_CLASS_GET_PRIVATE (FLUID_QUEUE_CONSUMER_GET_CLASS (self))->wake_func (self);

  return G_SOURCE_CONTINUE;
}

static void
fluid_queue_source_finalize (GSource *source)
{
  g_clear_pointer (&((FluidQueueSource *) source)->context, g_main_context_unref);
}

static GSourceFuncs fluid_queue_source_funcs = {
  fluid_queue_source_prepare,
  fluid_queue_source_check,
  fluid_queue_source_dispatch,
  fluid_queue_source_finalize,
  NULL, NULL,
};

/* Makes the source ready for @bits. Any thread. */
static void
fluid_queue_source_wake (FluidQueueSource *source,
                         int               bits)
{
  GMainContext *context;

  /* Already ready: whoever made it so woke the context. */
  if (g_atomic_int_or (&source->wake, bits) != 0)
    return;

  /* The thread that dispatches the context prepares it again before it
   * polls: only another needs waking. */
  context = g_atomic_pointer_get (&source->context);
  if (context != NULL && !g_main_context_is_owner (context))
    g_main_context_wakeup (context);
}

static void
fluid_queue_source_attach (FluidQueueSource *source,
                           GMainContext     *context)
{
  g_source_attach (&source->source, context);
  g_atomic_pointer_set (&source->context, g_main_context_ref (context));
}

/* The queue's reader, until a driver sets another: a message arrived. */
static void
fluid_queue_consumer_message_arrived_cb (gpointer user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (user_data);

  fluid_queue_source_wake (priv->source, FLUID_QUEUE_WAKE_READY);
}

/* The queue's watcher: a counter changed. */
static void
fluid_queue_consumer_counters_changed_cb (gpointer user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (user_data);

  fluid_queue_source_wake (priv->source, FLUID_QUEUE_WAKE_COUNTERS);
}

/* Drivers */

/* The getters: the driver of a consumer whose run is not the library's,
 * which serves the calls waiting for a message; with NULL once none may
 * be taken. */
static void
fluid_queue_getters_ready (FluidQueueDriver *driver)
{
  if (fluid_message_queue_serve_getters (driver->queue) > 0)
    fluid_worker_feed (FLUID_WORKER (driver->consumer));
}

static const FluidQueueDriverFuncs fluid_queue_getters_funcs = {
  NULL,
  fluid_queue_getters_ready,
  fluid_queue_getters_ready,
  NULL,
};

void
fluid_queue_driver_init (FluidQueueDriver            *driver,
                         const FluidQueueDriverFuncs *funcs,
                         FluidQueueConsumer          *consumer,
                         GTask                       *run_task)
{
  driver->funcs = funcs;
  driver->consumer = consumer;
  driver->queue = fluid_queue_consumer_get_queue (consumer);
  driver->run_task = run_task;
}

void
fluid_queue_driver_end_run (FluidQueueDriver *driver)
{
  GTask *task = g_steal_pointer (&driver->run_task);

  if (task == NULL)
    return;
  if (driver->closed)
    {
      g_clear_error (&driver->error);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The consumer stopped before its run ended");
    }
  else if (driver->error != NULL)
    g_task_return_error (task, g_steal_pointer (&driver->error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* What a driver's free function frees of the base. */
void
fluid_queue_driver_clear (FluidQueueDriver *driver)
{
  g_clear_object (&driver->run_task);
  g_clear_error (&driver->error);
}

FluidMessageQueue *
fluid_queue_consumer_get_queue (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  return priv->queue;
}

/* See fluid-queue-consumer-private.h. */
void
fluid_queue_consumer_drive (FluidQueueConsumer *self,
                            FluidQueueDriver   *driver)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  g_return_if_fail (priv->driver == &priv->getters);

  priv->driver = driver;
  driver->funcs->start (driver);
}

void
fluid_queue_consumer_wake (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  fluid_queue_source_wake (priv->source, FLUID_QUEUE_WAKE_READY);
}

gboolean
fluid_queue_consumer_stop_drains (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  return priv->stop_drains;
}

/* Emits message-failed; under stop-on-failure, keeps the first error in
 * @stop_error, else frees it. Returns whether it kept it. */
static gboolean
fluid_queue_consumer_emit_failure (FluidQueueConsumer  *self,
                                   const GValue        *message,
                                   GError              *error,
                                   GError             **stop_error)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  g_signal_emit (self, signals[SIGNAL_MESSAGE_FAILED], 0, message, error);
  if (priv->stop_on_failure && *stop_error == NULL)
    {
      *stop_error = error;
      return TRUE;
    }
  g_error_free (error);
  return FALSE;
}

void
fluid_queue_consumer_tell_failure (FluidQueueConsumer *self,
                                   FluidMessage       *message,
                                   GError             *error,
                                   GError            **stop_error)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  FluidMessageTally tally = { 0, 1, 0, 0 };

  fluid_message_queue_tally (priv->queue, &tally);
  fluid_queue_consumer_emit_failure (self, &message->value, error, stop_error);
}

void
fluid_queue_consumer_message_failed (FluidQueueConsumer *self,
                                     const GValue       *message,
                                     GError             *error)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  GError *ignored = NULL;

  /* Without a run of the library's there is nothing to end: the error
   * only reaches the signal. */
  if (priv->driver == &priv->getters || priv->closed)
    {
      fluid_queue_consumer_emit_failure (self, message, error, &ignored);
      g_clear_error (&ignored);
      return;
    }
  if (fluid_queue_consumer_emit_failure (self, message, error, &priv->driver->error))
    fluid_queue_source_wake (priv->source, FLUID_QUEUE_WAKE_READY);
}

void
fluid_queue_consumer_set_reports_processed (FluidQueueConsumer *self,
                                            gboolean            reports)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  priv->reports_processed = !!reports;
}

/* Counters */

void
fluid_queue_consumer_read_counters (FluidQueueConsumer *self,
                                    FluidQueueCounters *counters)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  FluidMessageCounters read;

  fluid_message_queue_read_counters (priv->queue, &read);
  counters->queue_size = read.size;
  counters->processed = priv->reports_processed ? read.processed : 0;
  counters->failed = read.failed;
  counters->discarded = read.discarded;
}

FluidDurations *
fluid_queue_consumer_get_durations (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  return &priv->durations;
}

/* The counters as the status has them, and the handler's time. */
static void
fluid_queue_consumer_add_metrics (FluidWorker  *worker,
                                  FluidMetrics *metrics,
                                  const char   *path)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (worker);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  FluidMessageCounters read;

  fluid_message_queue_read_counters (priv->queue, &read);
  fluid_metrics_add_sample (metrics, FLUID_METRIC_MESSAGES, path, "outcome", "processed", read.processed);
  fluid_metrics_add_sample (metrics, FLUID_METRIC_MESSAGES, path, "outcome", "failed", read.failed);
  fluid_metrics_add_sample (metrics, FLUID_METRIC_MESSAGES, path, "outcome", "discarded", read.discarded);
  fluid_metrics_add_sample (metrics, FLUID_METRIC_QUEUE_SIZE, path, NULL, NULL, read.size);
  fluid_metrics_add_durations (metrics, path, &priv->durations);
}

void
fluid_queue_consumer_counters_seen (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  fluid_message_queue_counters_seen (priv->queue);
}

void
fluid_queue_consumer_watch_counters (FluidQueueConsumer     *self,
                                     FluidQueueCountersFunc  func,
                                     gpointer                user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  fluid_queue_counter_listeners_watch (&priv->counter_listeners, func, user_data);
}

void
fluid_queue_consumer_unwatch_counters (FluidQueueConsumer     *self,
                                       FluidQueueCountersFunc  func,
                                       gpointer                user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  fluid_queue_counter_listeners_unwatch (&priv->counter_listeners, func, user_data);
}

/* The counter properties */

void
fluid_queue_consumer_class_add_counter (FluidQueueConsumerClass *klass,
                                        GParamSpec              *pspec)
{
  FluidQueueConsumerClassPrivate *klass_priv = FLUID_QUEUE_CONSUMER_CLASS_GET_PRIVATE (klass);

  g_return_if_fail (klass_priv->n_counters < FLUID_QUEUE_MAX_COUNTERS);
  g_return_if_fail (pspec->value_type == G_TYPE_UINT || pspec->value_type == G_TYPE_UINT64);

  klass_priv->counters[klass_priv->n_counters++] = pspec;
}

void
fluid_queue_consumer_class_set_wake_func (FluidQueueConsumerClass *klass,
                                          FluidQueueWakeFunc       func)
{
  FLUID_QUEUE_CONSUMER_CLASS_GET_PRIVATE (klass)->wake_func = func;
}

void
fluid_queue_consumer_class_set_status_func (FluidQueueConsumerClass *klass,
                                            FluidQueueStatusFunc     func)
{
  FLUID_QUEUE_CONSUMER_CLASS_GET_PRIVATE (klass)->status_func = func;
}

void
fluid_queue_consumer_wake_subclass (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  fluid_queue_source_wake (priv->source, FLUID_QUEUE_WAKE_SUBCLASS);
}

void
fluid_queue_consumer_counters_changed (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  fluid_message_queue_changed (priv->queue);
}

/* The consumer's own watch of its counters: its counter properties. */
static void
fluid_queue_consumer_counters_cb (FluidQueueConsumer *self,
                                  gpointer            user_data)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  FluidQueueConsumerClassPrivate *klass_priv =
    FLUID_QUEUE_CONSUMER_CLASS_GET_PRIVATE (FLUID_QUEUE_CONSUMER_GET_CLASS (self));

  fluid_queue_counter_listeners_notify (&priv->counter_listeners,
                                        (GParamSpec * const *) klass_priv->counters,
                                        klass_priv->n_counters,
                                        g_atomic_pointer_get (&priv->source->context));
}

/* The lifecycle */

/* The worker stopped: the queue closes (what is queued counts as
 * discarded, and from now on what is sent), then the driver (what it
 * holds counts as discarded, and the run ends), then the waiting getters
 * get NULL. The source stays until dispose, for the watchers of the
 * counters alone: an exported consumer's Discarded still changes. */
static void
fluid_queue_consumer_close (FluidQueueConsumer *self)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);
  g_autoptr(GError) error = NULL;
  FluidMessageList dropped;

  if (priv->closed)
    return;

  priv->closed = TRUE;
  error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED,
                       "%s stopped before it took the message",
                       fluid_worker_get_name (FLUID_WORKER (self)));
  dropped = fluid_message_queue_close (priv->queue, error);
  priv->driver->funcs->close (priv->driver);
  /* Freeing a message may run arbitrary code. */
  fluid_message_list_free (&dropped);
  fluid_message_queue_serve_getters (priv->queue);
}

/* Follows the lifecycle, on the worker's context, after the handlers of
 * the state's notification and signal. What the driver makes of a change
 * is left to the next dispatch of the source: the worker's own code may
 * be on the stack (a handler that stops the worker), and the run must not
 * end there. */
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
      if (g_source_get_context (&priv->source->source) == NULL && !priv->closed)
        fluid_queue_source_attach (priv->source, fluid_worker_get_context (worker));
      fluid_queue_source_wake (priv->source, FLUID_QUEUE_WAKE_READY);
      break;

    case FLUID_WORKER_STATE_STOPPING:
      priv->stop_drains = priv->drain_on_stop;
      fluid_message_queue_stop_taking (priv->queue, priv->stop_drains);
      fluid_queue_source_wake (priv->source, FLUID_QUEUE_WAKE_READY);
      break;

    case FLUID_WORKER_STATE_STOPPED:
    case FLUID_WORKER_STATE_FORCE_STOPPED:
      g_object_ref (self);
      fluid_queue_consumer_close (self);
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
  FluidMessageCounters counters;
  GError *error = NULL;

  parent_status = FLUID_WORKER_CLASS (fluid_queue_consumer_parent_class)->status_finish (FLUID_WORKER (self),
                                                                                          result, &error);
  if (parent_status == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  fluid_message_queue_read_counters (priv->queue, &counters);
  g_variant_dict_init (&dict, parent_status);
  g_variant_dict_insert (&dict, "queue_size", "u", counters.size);
  g_variant_dict_insert (&dict, "discarded", "t", counters.discarded);
  g_variant_dict_insert (&dict, "failed", "t", counters.failed);
  if (priv->reports_processed)
    g_variant_dict_insert (&dict, "processed", "t", counters.processed);
  if (FLUID_QUEUE_CONSUMER_CLASS_GET_PRIVATE (FLUID_QUEUE_CONSUMER_GET_CLASS (self))->status_func != NULL)
    FLUID_QUEUE_CONSUMER_CLASS_GET_PRIVATE (FLUID_QUEUE_CONSUMER_GET_CLASS (self))->status_func (self, &dict);

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
  g_return_val_if_fail (fluid_default_result_is_valid (worker, result, fluid_queue_consumer_status_async,
                                                      FLUID_WORKER_GET_CLASS (worker)->status_async),
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* For the watchdog: a consumer with nothing to handle is waiting, not
 * starved. */
static gboolean
fluid_queue_consumer_is_idle (FluidWorker *worker)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (FLUID_QUEUE_CONSUMER (worker));

  return fluid_message_queue_is_idle (priv->queue);
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
  /* The counter properties: the consumer watches its own counters, told
   * once until it reads them again. */
  fluid_queue_consumer_watch_counters (self, fluid_queue_consumer_counters_cb, NULL);
}

static void
fluid_queue_consumer_dispose (GObject *object)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  /* Each getter's task holds a reference on @self: none is left here. */
  g_assert (!fluid_message_queue_has_getters (priv->queue));

  if (priv->observer != NULL)
    {
      fluid_worker_unobserve (FLUID_WORKER (self), priv->observer);
      priv->observer = NULL;
    }
  g_source_destroy (&priv->source->source);
  fluid_queue_counter_listeners_dispose (&priv->counter_listeners);

  G_OBJECT_CLASS (fluid_queue_consumer_parent_class)->dispose (object);
}

static void
fluid_queue_consumer_finalize (GObject *object)
{
  FluidQueueConsumer *self = FLUID_QUEUE_CONSUMER (object);
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_instance_private (self);

  if (priv->driver->funcs->free != NULL)
    priv->driver->funcs->free (priv->driver);
  fluid_message_queue_free (priv->queue);
  g_source_unref (&priv->source->source);
  fluid_queue_counter_listeners_clear (&priv->counter_listeners);

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

    case PROP_PROCESSED:
      g_value_set_uint64 (value, fluid_queue_consumer_get_processed (self));
      break;

    case PROP_FAILED:
      g_value_set_uint64 (value, fluid_queue_consumer_get_failed (self));
      break;

    case PROP_DISCARDED:
      g_value_set_uint64 (value, fluid_queue_consumer_get_discarded (self));
      break;

    case PROP_QUEUE_SIZE:
      g_value_set_uint (value, fluid_queue_consumer_get_queue_size (self));
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
  worker_class->add_metrics = fluid_queue_consumer_add_metrics;
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

  /**
   * FluidQueueConsumer:processed:
   *
   * The messages whose handler completed successfully: the `processed`
   * key of the status (0 for a consumer whose status does not report it).
   * Notified on the worker's context, at most ten times a second, while a
   * handler is connected to it (see the description of the class).
   *
   * Since: 1.2
   */
  properties[PROP_PROCESSED] =
    g_param_spec_uint64 ("processed", "Processed", "The messages handled successfully",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidQueueConsumer:failed:
   *
   * The messages whose handler failed: the `failed` key of the status.
   * Notified as #FluidQueueConsumer:processed is.
   *
   * Since: 1.2
   */
  properties[PROP_FAILED] =
    g_param_spec_uint64 ("failed", "Failed", "The messages whose handler failed",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidQueueConsumer:discarded:
   *
   * The messages freed without being handled to their end: the
   * `discarded` key of the status. Notified as
   * #FluidQueueConsumer:processed is.
   *
   * Since: 1.2
   */
  properties[PROP_DISCARDED] =
    g_param_spec_uint64 ("discarded", "Discarded", "The messages freed without being handled",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidQueueConsumer:queue-size:
   *
   * The messages waiting in the queue: the `queue_size` key of the status.
   * Notified as #FluidQueueConsumer:processed is.
   *
   * Since: 1.2
   */
  properties[PROP_QUEUE_SIZE] =
    g_param_spec_uint ("queue-size", "Queue size", "The messages waiting in the queue",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  fluid_queue_consumer_class_add_counter (klass, properties[PROP_PROCESSED]);
  fluid_queue_consumer_class_add_counter (klass, properties[PROP_FAILED]);
  fluid_queue_consumer_class_add_counter (klass, properties[PROP_DISCARDED]);
  fluid_queue_consumer_class_add_counter (klass, properties[PROP_QUEUE_SIZE]);

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
  GSource *source;

  priv->stop_on_failure = TRUE;
  priv->queue = fluid_message_queue_new (fluid_queue_consumer_counters_changed_cb, self);
  fluid_message_queue_set_reader (priv->queue, fluid_queue_consumer_message_arrived_cb, self);
  fluid_queue_counter_listeners_init (&priv->counter_listeners, self, priv->queue);
  fluid_queue_driver_init (&priv->getters, &fluid_queue_getters_funcs, self, NULL);
  priv->driver = &priv->getters;

  source = g_source_new (&fluid_queue_source_funcs, sizeof (FluidQueueSource));
  g_source_set_static_name (source, "[fluid] queue consumer");
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  priv->source = (FluidQueueSource *) source;
  priv->source->consumer = self;
}

/* Public API */

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
  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  return fluid_message_queue_get_max_size (fluid_queue_consumer_get_queue (self));
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
  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));

  if (fluid_message_queue_set_max_size (fluid_queue_consumer_get_queue (self), max_queue_size))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_QUEUE_SIZE]);
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
  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  return fluid_message_queue_get_size (fluid_queue_consumer_get_queue (self));
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
  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  return fluid_message_queue_get_discarded (fluid_queue_consumer_get_queue (self));
}

/**
 * fluid_queue_consumer_get_processed:
 * @self: a #FluidQueueConsumer
 *
 * Gets #FluidQueueConsumer:processed: the messages whose handler completed
 * successfully, as the `processed` key of the status says (0 for a
 * consumer that does not report it). Thread-safe.
 *
 * Returns: the number of messages handled successfully
 *
 * Since: 1.2
 */
guint64
fluid_queue_consumer_get_processed (FluidQueueConsumer *self)
{
  FluidQueueCounters counters;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  fluid_queue_consumer_read_counters (self, &counters);
  return counters.processed;
}

/**
 * fluid_queue_consumer_get_failed:
 * @self: a #FluidQueueConsumer
 *
 * Gets #FluidQueueConsumer:failed: the messages whose handler failed, the
 * `failed` key of the status. Thread-safe.
 *
 * Returns: the number of failed messages
 *
 * Since: 1.2
 */
guint64
fluid_queue_consumer_get_failed (FluidQueueConsumer *self)
{
  FluidQueueCounters counters;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER (self), 0);

  fluid_queue_consumer_read_counters (self, &counters);
  return counters.failed;
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
  GTask *task;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER (self));
  g_return_if_fail (!isnan (timeout));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_queue_consumer_get_message_async);
  g_task_set_name (task, "[fluid] queue consumer get message");
  fluid_message_queue_get (fluid_queue_consumer_get_queue (self), task, timeout);
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
