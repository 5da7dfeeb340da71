/* fluid-queue-consumer-private.h: the message pump the concrete consumers share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-queue-consumer.h"
#include "fluid-queue-consumer-worker.h"
#include "fluid-message-private.h"
#include "fluid-observer-private.h"
#include "fluid-tsan-private.h"

G_BEGIN_DECLS

/* Handles @message, owned by the pump. Returns TRUE when the message was
 * handled successfully before returning; FALSE when handling goes on
 * asynchronously, in which case the handler calls
 * fluid_queue_consumer_pump_resume() once it is done (possibly before
 * returning), and @message stays valid until then. */
typedef gboolean (* FluidQueuePumpFunc) (FluidQueueConsumer *self,
                                         const GValue       *message,
                                         gpointer            user_data);

/* Runs the pump as the body of `run`: takes the queued messages one at a
 * time, in order, handing every ready message to @func within one dispatch
 * of the context, until the worker stops (after the queue is empty when
 * drain-on-stop is set). Completes @run_task, which it takes, then. */


typedef struct
{
  /* @lock protects the fields down to @closed; producers take it, and so
   * do the threads of a threaded consumer (fluid-queue-threads.c) and the
   * senders that wait for room (fluid-queue-backpressure.c). */
  GMutex              lock;
  FluidMessageList    queue;
  guint64             discarded;
  gboolean            waiting;
  gboolean            closed;     /* written on the consumer's context */
  /* Backpressure: the bound of the queue (0: none), and the
   * fluid_queue_consumer_send_async() calls waiting for room, in order;
   * @n_senders is also read without the lock. */
  guint               max_queue_size;
  GQueue              senders;
  gint                n_senders;
  /* A threaded consumer's threads, NULL for others. */
  struct _FluidQueueThreads *threads;

  /* Set at init, destroyed on the consumer's context; producers may set
   * its ready time until the consumer is finalized. */
  GSource            *source;
  FluidObserver      *observer;

  /* On the consumer's context. */
  guint               drain_on_stop : 1;
  guint               stop_on_failure : 1;
  guint               reports_processed : 1;
  guint               pumping : 1;
  /* A message is in hand: @current, until its handler completes. */
  guint               busy : 1;
  /* The worker stopped while @current was in hand: it was counted as
   * discarded, and its late completion is dropped. */
  guint               abandoned : 1;
  guint64             processed;
  guint64             failed;
  /* With drain-on-stop, how many of the messages queued when the stop
   * was requested are still to be handled: what is sent later is not, so
   * that a producer that keeps sending cannot hold the stop back. */
  guint64             drain_left;
  GQueue              getters;

  /* The pump takes the whole queue under one lock: the messages taken and
   * not yet handled. @batch_left, their number, is read by any thread. */
  FluidMessageList    batch;
  int                 batch_left;

  /* The watchers of the counters (fluid-queue-counters.c), an array of
   * FluidQueueCountersWatch, NULL when there are none: it belongs to the
   * consumer's context; @counters_watched and @counters_changed are
   * atomic. */
  gint                counters_watched;
  gint                counters_changed;
  GArray             *counters_watchers;

  GTask              *run_task;
  FluidQueuePumpFunc  pump_func;
  gpointer            pump_data;
  FluidMessage       *current;
  GError             *pump_error;
} FluidQueueConsumerPrivate;

FluidQueueConsumerPrivate *fluid_queue_consumer_get_priv (FluidQueueConsumer *self);

static inline void
fluid_queue_consumer_lock (FluidQueueConsumerPrivate *priv)
{
  fluid_mutex_lock (&priv->lock);
}

static inline void
fluid_queue_consumer_unlock (FluidQueueConsumerPrivate *priv)
{
  fluid_mutex_unlock (&priv->lock);
}

gboolean fluid_queue_consumer_enqueue_locked (FluidQueueConsumerPrivate *priv,
                                              FluidMessage              *message);
void     fluid_queue_consumer_wake        (FluidQueueConsumerPrivate *priv);

/* The number of messages queued or taken by the pump and not handled:
 * fluid_queue_consumer_get_queue_size(), under the lock. */
static inline guint
fluid_queue_consumer_size_locked (FluidQueueConsumerPrivate *priv)
{
  return priv->queue.length + (guint) MAX (g_atomic_int_get (&priv->batch_left), 0);
}

/* Tells that @message failed with @error (taken): counts it, emits
 * message-failed and, under stop-on-failure, keeps the first error in
 * @stop_error. On the consumer's context. */
void     fluid_queue_consumer_tell_failure (FluidQueueConsumer *self,
                                            FluidMessage       *message,
                                            GError             *error,
                                            GError            **stop_error);

/* A threaded consumer's run (fluid-queue-threads.c). */
void     fluid_queue_consumer_threads_run  (FluidQueueConsumer     *self,
                                            GTask                  *run_task,
                                            guint                   n_threads,
                                            FluidThreadMessageFunc  func,
                                            gpointer                user_data);

/* The calls waiting for a message (fluid-queue-getters.c). */
FluidMessage *fluid_queue_consumer_pop           (FluidQueueConsumer *self,
                                                  gboolean            arm);
void          fluid_queue_consumer_hand_to_getters (FluidQueueConsumer *self);
void          fluid_queue_consumer_serve_getters (FluidQueueConsumer *self);

/* Backpressure (fluid-queue-backpressure.c). */
void     fluid_queue_consumer_admit_senders (FluidQueueConsumer *self);
void     fluid_queue_consumer_fail_senders  (FluidQueueConsumer *self);

void     fluid_queue_consumer_pump_run    (FluidQueueConsumer *self,
                                           GTask              *run_task,
                                           FluidQueuePumpFunc  func,
                                           gpointer            user_data);

/* Ends the asynchronous handling of the current message: it counts as
 * processed, or, with @error (taken), as failed: message-failed is emitted
 * and, with stop-on-failure, `run` fails with @error. Once the worker has
 * stopped, the message was counted as discarded, and this only frees it. */
void     fluid_queue_consumer_pump_resume (FluidQueueConsumer *self,
                                           GError             *error);

/* Makes the status report the `processed` key: the messages whose
 * handler completed successfully. */
void     fluid_queue_consumer_set_reports_processed (FluidQueueConsumer *self,
                                                     gboolean            reports);

guint64  fluid_queue_consumer_get_processed (FluidQueueConsumer *self);

/* The counters (fluid-queue-counters.c): read together, and watched by
 * the D-Bus export. A change of a counter wakes the consumer's context,
 * whose queue source tells the watcher: once, until the watcher reads
 * them again, so that a watcher that reads them ten times a second wakes
 * the context at most that often, whatever the traffic. Nobody watching,
 * a change costs an atomic read. */
typedef struct
{
  guint    queue_size;
  guint64  processed;   /* 0 when the consumer does not report it */
  guint64  failed;
  guint64  discarded;
} FluidQueueCounters;

typedef void (* FluidQueueCountersFunc) (FluidQueueConsumer *self,
                                         gpointer            user_data);

/* Reads the counters. On the consumer's context. */
void     fluid_queue_consumer_read_counters  (FluidQueueConsumer     *self,
                                              FluidQueueCounters     *counters);
/* Tells the watchers again of the next change; before reading them. */
void     fluid_queue_consumer_counters_seen  (FluidQueueConsumer     *self);
/* Adds or removes a watcher (an export on D-Bus: a consumer may be
 * exported alone and in a group's tree). On the consumer's context. */
void     fluid_queue_consumer_watch_counters   (FluidQueueConsumer     *self,
                                                FluidQueueCountersFunc  func,
                                                gpointer                user_data);
void     fluid_queue_consumer_unwatch_counters (FluidQueueConsumer     *self,
                                                FluidQueueCountersFunc  func,
                                                gpointer                user_data);
/* From the queue source's dispatch. */
void     fluid_queue_consumer_tell_counters  (FluidQueueConsumer     *self);

/* A counter changed: TRUE when the context must be woken for the watcher
 * (fluid_queue_consumer_wake(), once the lock is released). Any thread,
 * with or without the lock. */
static inline gboolean
fluid_queue_consumer_note_counters (FluidQueueConsumerPrivate *priv)
{
  return G_UNLIKELY (g_atomic_int_get (&priv->counters_watched)) &&
         g_atomic_int_compare_and_exchange (&priv->counters_changed, FALSE, TRUE);
}

/* The same, waking the context; without the lock. */
static inline void
fluid_queue_consumer_counters_changed (FluidQueueConsumerPrivate *priv)
{
  if (fluid_queue_consumer_note_counters (priv))
    fluid_queue_consumer_wake (priv);
}

G_END_DECLS
