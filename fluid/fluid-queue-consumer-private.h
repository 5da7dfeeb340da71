/* fluid-queue-consumer-private.h: what a queue consumer shares with its
 * drivers and with its D-Bus export
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-queue-consumer.h"
#include "fluid-message-queue-private.h"
#include "fluid-metrics-private.h"

G_BEGIN_DECLS

/* A consumer holds one FluidMessageQueue and one driver, which takes the
 * messages out of it: the pump, on the consumer's context
 * (fluid-queue-pump.c); threads of its own (fluid-queue-threads.c); or,
 * when no run of the library's drives it, the getters, which serve the
 * fluid_queue_consumer_get_message_async() calls of a subclass's run.
 * The consumer tells its driver three things, on its context: */
typedef struct _FluidQueueDriver FluidQueueDriver;

typedef struct
{
  /* The run begins: from the subclass's run_async(). */
  void (* start) (FluidQueueDriver *driver);
  /* Messages may be ready, the worker's state changed (RUNNING,
   * STOPPING), or the driver asked (fluid_queue_consumer_wake(), which
   * reaches it after the close too): from a dispatch of the consumer's
   * source, which holds a reference on it. */
  void (* ready) (FluidQueueDriver *driver);
  /* The worker stopped and the queue is closed: the messages the driver
   * took and did not finish count as discarded now, whatever their
   * handlers do later, and the run ends if it has not. Once; the consumer
   * holds a reference. */
  void (* close) (FluidQueueDriver *driver);
  /* Frees the driver, when the consumer is finalized: a worker runs once,
   * and a late completion finds its driver there. NULL: nothing to free. */
  void (* free)  (FluidQueueDriver *driver);
} FluidQueueDriverFuncs;

struct _FluidQueueDriver
{
  const FluidQueueDriverFuncs *funcs;
  FluidQueueConsumer          *consumer;  /* owns the driver: not a reference */
  FluidMessageQueue           *queue;     /* the consumer's */

  /* On the consumer's context. */
  GTask                       *run_task;  /* the body of `run`, until it ends */
  GError                      *error;     /* ends it: a failure, under stop-on-failure */
  gboolean                     closed;    /* the worker stopped */
};

/* The consumer's queue: what it is fed through, for its drivers and for
 * the classes built on it (a job worker queues its jobs at their
 * priorities, and takes back one that is cancelled while queued). */
FluidMessageQueue  *fluid_queue_consumer_get_queue      (FluidQueueConsumer      *self);

/* Makes @driver, initialized with fluid_queue_driver_init() with the task
 * of `run`, which it takes, the body of `run`: the consumer's from now on.
 * On the consumer's context, once. */
void                fluid_queue_consumer_drive          (FluidQueueConsumer      *self,
                                                         FluidQueueDriver        *driver);
void                fluid_queue_driver_init             (FluidQueueDriver        *driver,
                                                         const FluidQueueDriverFuncs *funcs,
                                                         FluidQueueConsumer      *consumer,
                                                         GTask                   *run_task);
/* Ends `run`, once: cancelled once the worker stopped (the worker drops
 * that result), with @error, else successfully. May drop the last
 * reference to the consumer: the caller holds one, and does nothing
 * after. */
void                fluid_queue_driver_end_run          (FluidQueueDriver        *driver);
void                fluid_queue_driver_clear            (FluidQueueDriver        *driver);
/* Has the driver's ready() called from the next dispatch of the
 * consumer's context. Any thread. */
void                fluid_queue_consumer_wake           (FluidQueueConsumer      *self);
/* Whether the graceful stop under way lets the messages queued when it
 * was asked for be handled (drain-on-stop, as it was then). */
gboolean            fluid_queue_consumer_stop_drains    (FluidQueueConsumer      *self);
/* Tells that @message failed with @error (taken): counts it, emits
 * message-failed and, under stop-on-failure, keeps the first error in
 * @stop_error. On the consumer's context. */
void                fluid_queue_consumer_tell_failure   (FluidQueueConsumer      *self,
                                                         FluidMessage            *message,
                                                         GError                  *error,
                                                         GError                 **stop_error);

/* The histogram of handler time, which the driver fills while metrics
 * are served (fluid_metrics_timing()): the pump with
 * fluid_run_timer_close(), threads with fluid_durations_merge(). */
FluidDurations     *fluid_queue_consumer_get_durations  (FluidQueueConsumer      *self);

/* For a subclass that counts its messages itself
 * (fluid_message_queue_set_owner_counts()): tells that @message failed
 * with @error (taken), as a handler's failure is told, but for the count:
 * emits message-failed and, under stop-on-failure, ends the run with the
 * first such error, the driver letting what it runs end first. On the
 * consumer's context. */
void                fluid_queue_consumer_message_failed (FluidQueueConsumer      *self,
                                                         const GValue            *message,
                                                         GError                  *error);

/* Makes @pspec, a read-only guint or guint64 property of a subclass, a
 * counter notified as the consumer's own are (at most ten times a second,
 * on the context, while a handler is connected to it). From class_init;
 * at most eight counters a class, the consumer's four included. */
void                fluid_queue_consumer_class_add_counter (FluidQueueConsumerClass *klass,
                                                            GParamSpec              *pspec);
/* A subclass's own reason to be woken: fluid_queue_consumer_wake_subclass()
 * (any thread) has @func called from the next dispatch of the consumer's
 * source on its context, once for any number of wakes; before the worker
 * runs, from the first dispatch once it does, and after it stopped too
 * (until it is disposed). Set in class_init. */
typedef void (* FluidQueueWakeFunc) (FluidQueueConsumer *self);

void                fluid_queue_consumer_class_set_wake_func (FluidQueueConsumerClass *klass,
                                                              FluidQueueWakeFunc       func);
void                fluid_queue_consumer_wake_subclass     (FluidQueueConsumer      *self);

/* A subclass's keys of the status, added to the consumer's: on the
 * consumer's context, from its status_async. Set in class_init. */
typedef void (* FluidQueueStatusFunc) (FluidQueueConsumer *self,
                                       GVariantDict       *status);

void                fluid_queue_consumer_class_set_status_func (FluidQueueConsumerClass *klass,
                                                                FluidQueueStatusFunc     func);

/* A counter of a subclass changed. Any thread. */
void                fluid_queue_consumer_counters_changed  (FluidQueueConsumer      *self);

/* Makes the status report the `processed` key: the messages whose
 * handler completed successfully. */
void                fluid_queue_consumer_set_reports_processed (FluidQueueConsumer *self,
                                                                gboolean            reports);

/* The counters, read together, and watched by the D-Bus export. A change
 * wakes the consumer's context, which tells the watchers: once, until
 * they read them again, so that a watcher that reads them ten times a
 * second wakes the context at most that often, whatever the traffic.
 * Nobody watching, a change costs an atomic read. */
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
void     fluid_queue_consumer_read_counters    (FluidQueueConsumer     *self,
                                                FluidQueueCounters     *counters);
/* Tells the watchers again of the next change; before reading them. */
void     fluid_queue_consumer_counters_seen    (FluidQueueConsumer     *self);
/* Adds or removes a watcher (an export on D-Bus: a consumer may be
 * exported alone and in a group's tree). On the consumer's context. */
void     fluid_queue_consumer_watch_counters   (FluidQueueConsumer     *self,
                                                FluidQueueCountersFunc  func,
                                                gpointer                user_data);
void     fluid_queue_consumer_unwatch_counters (FluidQueueConsumer     *self,
                                                FluidQueueCountersFunc  func,
                                                gpointer                user_data);

G_END_DECLS
