/* fluid-queue-pump.c: a consumer's messages handled on its context, in
 * order, every ready one in one dispatch
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-pump-private.h"
#include "fluid-worker-private.h"

/* The pump is the driver of the consumers that handle their messages on
 * their own context, one at a time and in order: FluidQueueConsumerWorker
 * (but the threaded one) and FluidAsyncConsumer.
 *
 * Cost model. The pump takes the whole queue under one lock, telling back
 * under it how the previous batch ended, then handles the batch without
 * the lock: each message costs an atomic decrement (the queue's size) and
 * atomic reads (a watcher of the counters, a waiting sender, a message of
 * a higher priority queued since, which makes the pump put the batch back
 * and take again). One dispatch of the context handles every message
 * queued when it began, or 4096 if more: a producer faster than the
 * consumer does not starve the rest of the context.
 *
 * Asynchronous handlers get their task from fluid_queue_pump_new_task().
 * GTask calls back from an idle when a task is completed in the
 * main-loop iteration that made it, and at once otherwise; a task made
 * and completed within one handler would cost an iteration per message.
 * So the pump makes the tasks of the messages queued behind the one in
 * hand ahead, in the iteration before the one that hands them out, and a
 * handler that completes its task at once resumes the pump from within
 * g_task_return_boolean(): the resume only settles the message, and the
 * loop on the stack goes on with the next one. A handler that completes
 * later, from any thread, resumes it from its context as any GTask does.
 *
 * Pulled. A binding whose own loop runs the handlers (a coroutine of
 * Python's asyncio awaiting each) pulls the messages instead of being
 * handed them: fluid_queue_pump_pull() takes the next one as the loop
 * above does and gives it out, the pull after it settles it (processed,
 * unless fluid_queue_pump_fail() failed it first), and nothing is made or
 * completed per message: no task, no source, no call back. When a pull
 * finds nothing to take, or the messages of one dispatch's share were
 * given out, it returns WAIT, and the pump tells the puller to pull again
 * (@ready) from a later dispatch of the consumer's source: once a message
 * arrives or the worker's state changes, or at once for a share. It is
 * told the same way when the run begins, and when the worker stops while
 * it holds a message or waits, so that it learns of the end whatever it
 * was doing; the pump holds the consumer until then. A wake-up that finds
 * nothing new is not told: a puller that pulled, before the dispatch, the
 * message that woke the source (its binding saw the send), then waited
 * again, would pull nothing; its wait stays armed. Every call to
 * @ready comes from that dispatch, with nothing of the library's under
 * way: the puller may run its loop from it.
 *
 * Re-entrancy. A handler may stop the worker, send to it, run a nested
 * main loop, or drop the last reference to it: @pumping keeps a second
 * loop from starting under the first, every entry point holds a
 * reference while it runs, and ending the run is the last thing done.
 *
 * Threads. Everything here is on the consumer's context; the queue is
 * the only thing shared with other threads. */

/* The most messages one dispatch handles beyond those queued when it
 * began. */
#define FLUID_QUEUE_PUMP_MIN_BATCH 4096

/* The most tasks made ahead. */
#define FLUID_QUEUE_PUMP_SPARE_TASKS 256

struct _FluidQueuePump
{
  FluidQueueDriver         driver;
  FluidQueuePumpFunc       func;         /* pushed: the handler */
  FluidQueuePumpReadyFunc  ready;        /* pulled: tells the puller to pull */
  gpointer                 user_data;
  FluidMessageList         batch;        /* taken, not started */
  FluidMessage            *current;      /* in hand, until its handler completes */
  FluidMessageTally        tally;        /* told with the next steal */
  GPtrArray               *spare_tasks;  /* made ahead for fluid_queue_pump_new_task() */
  GCancellable            *cancellable;  /* the worker's */
  guint                    budget;       /* pulled: what the pulls may still take */
  FluidQueueConsumer      *held;         /* pulled: the consumer, until the puller is told */
  FluidRunTimer            timer;        /* while metrics are served */
  guint                    pumping : 1;
  /* @current was counted as discarded at the close: its late completion
   * is dropped. */
  guint                    abandoned : 1;
  guint                    waiting : 1;  /* pulled: the puller waits to be told */
  /* Pulled: it is told at the next dispatch, whatever it finds (the run
   * began, a share was pulled, the worker stopped). */
  guint                    must_tell : 1;
  guint                    fresh : 1;    /* pulled: the next pull begins a share */
};

typedef enum
{
  FLUID_QUEUE_PUMP_TAKEN,      /* a message to handle */
  FLUID_QUEUE_PUMP_WAIT,       /* nothing to take: woken by the next message */
  FLUID_QUEUE_PUMP_YIELD,      /* the dispatch did its share: back at the next */
  FLUID_QUEUE_PUMP_IN_FLIGHT,  /* a handler goes on: fluid_queue_pump_resume() */
  FLUID_QUEUE_PUMP_END,        /* the run is over */
} FluidQueuePumpOutcome;

static void fluid_queue_pump_ready (FluidQueueDriver *driver);

/* Tasks */

static void
fluid_queue_pump_task_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  FluidQueuePump *self = user_data;
  /* Unchecked: g_task_is_valid() checks it, for every message. */
  GTask *task = (GTask *) result;
  GError *error = NULL;

  g_return_if_fail (g_task_is_valid (result, self->driver.consumer));
  g_return_if_fail (g_task_get_source_tag (task) == fluid_queue_pump_new_task);
  if (!g_task_propagate_boolean (task, &error) && error == NULL)
    error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                         "the handler of %s failed without an error",
                         fluid_worker_get_name (FLUID_WORKER (self->driver.consumer)));
  fluid_queue_pump_resume (self, error);
}

/* Without a name: g_task_set_name() copies it, a fifth of what the task
 * costs here; the source tag says whose it is. The function itself, not
 * GLib's macro of the same name, which names the task after the tag. */
static GTask *
fluid_queue_pump_make_task (FluidQueuePump *self)
{
  GTask *task = g_task_new (self->driver.consumer, self->cancellable,
                            fluid_queue_pump_task_cb, self);

  (g_task_set_source_tag) (task, fluid_queue_pump_new_task);
  return task;
}

/* See fluid-queue-pump-private.h and the top of this file. */
GTask *
fluid_queue_pump_new_task (FluidQueuePump *self)
{
  GTask *task;

  if (self->spare_tasks->len > 0)
    task = g_ptr_array_steal_index_fast (self->spare_tasks, self->spare_tasks->len - 1);
  else
    {
      /* Made in this iteration, it is delivered from an idle; the
       * messages queued behind it get tasks for the next ones. */
      guint ahead = MIN (fluid_message_queue_get_size (self->driver.queue),
                         FLUID_QUEUE_PUMP_SPARE_TASKS);

      for (guint i = 0; i < ahead; i++)
        g_ptr_array_add (self->spare_tasks, fluid_queue_pump_make_task (self));
      task = fluid_queue_pump_make_task (self);
    }
  return task;
}

/* The run ended: the spares go unused. Not returned: a returned task
 * would hold the consumer, its source object, until an idle delivered
 * it, and GLib 2.74 says nothing of a task finalized unreturned. */
static void
fluid_queue_pump_drop_spare_tasks (FluidQueuePump *self)
{
  g_ptr_array_set_size (self->spare_tasks, 0);
}

/* The loop */

/* The message in hand completed, with @error (taken) when it failed: it
 * counts once, as processed or failed, unless the worker stopped
 * meanwhile and counted it as discarded. */
static void
fluid_queue_pump_settle (FluidQueuePump *self,
                         GError         *error)
{
  FluidQueueConsumer *consumer = self->driver.consumer;
  FluidMessage *message = g_steal_pointer (&self->current);

  fluid_worker_feed ((FluidWorker *) consumer);
  if (G_UNLIKELY (self->timer.started_ns != 0) && !self->abandoned)
    fluid_run_timer_done (&self->timer, fluid_queue_consumer_get_durations (consumer));
  if (self->abandoned)
    {
      self->abandoned = FALSE;
      fluid_worker_log (FLUID_WORKER (consumer), G_LOG_LEVEL_DEBUG,
                        "handled a message after it stopped (%s); it was counted as discarded",
                        error != NULL ? error->message : "no error");
      g_clear_error (&error);
    }
  else if (error == NULL)
    self->tally.processed++;
  else
    fluid_queue_consumer_tell_failure (consumer, message, error, &self->driver.error);
  fluid_message_free (message);
}

/* The next message, started: from the batch, else from a new one, taken
 * with the tally of the last. NULL when there is none; @arm: then the
 * next message to arrive wakes the pump. */
static FluidMessage *
fluid_queue_pump_next (FluidQueuePump *self,
                       gboolean        arm,
                       guint          *budget)
{
  FluidMessageQueue *queue = self->driver.queue;
  FluidMessage *message;

  if (self->batch.head != NULL && fluid_message_queue_preempts (queue, self->batch.head->priority))
    fluid_message_queue_put_back (queue, &self->batch, FALSE, &self->tally);
  if (self->batch.head == NULL)
    {
      guint taken = fluid_message_queue_steal (queue, G_MAXUINT, 1,
                                               arm ? FLUID_MESSAGE_QUEUE_ARM_IF_NONE
                                                   : FLUID_MESSAGE_QUEUE_ARM_NEVER,
                                               &self->tally, &self->batch, NULL);

      if (taken == 0)
        return NULL;
      *budget = MAX (*budget, taken);
    }
  message = fluid_message_list_pop (&self->batch);
  fluid_message_queue_start (queue, 1);
  return message;
}

/* Hands @message to the handler; TRUE when it was settled meanwhile. */
static gboolean
fluid_queue_pump_handle (FluidQueuePump *self,
                         FluidMessage   *message)
{
  self->current = message;
  if (fluid_metrics_timing ())
    fluid_run_timer_begin (&self->timer);
  if (self->func (self, &message->value, self->user_data))
    fluid_queue_pump_settle (self, NULL);
  return self->current == NULL;
}

/* The next message to handle, in @message, started: TAKEN; or why there
 * is none. @budget: how many more this dispatch may take. */
static FluidQueuePumpOutcome
fluid_queue_pump_take (FluidQueuePump  *self,
                       guint           *budget,
                       FluidMessage   **message)
{
  FluidWorkerState state = fluid_worker_get_state ((FluidWorker *) self->driver.consumer);
  gboolean running = state == FLUID_WORKER_STATE_RUNNING;

  if (self->driver.error != NULL || self->driver.closed)
    return FLUID_QUEUE_PUMP_END;
  if (!running && !(state == FLUID_WORKER_STATE_STOPPING &&
                    fluid_queue_consumer_stop_drains (self->driver.consumer)))
    return FLUID_QUEUE_PUMP_END;
  if (*budget == 0)
    return FLUID_QUEUE_PUMP_YIELD;

  *message = fluid_queue_pump_next (self, running, budget);
  if (*message == NULL)
    return running ? FLUID_QUEUE_PUMP_WAIT : FLUID_QUEUE_PUMP_END;
  (*budget)--;
  return FLUID_QUEUE_PUMP_TAKEN;
}

static FluidQueuePumpOutcome
fluid_queue_pump_loop (FluidQueuePump *self)
{
  guint budget = MAX (self->batch.length, FLUID_QUEUE_PUMP_MIN_BATCH);
  FluidQueuePumpOutcome outcome;
  FluidMessage *message = NULL;

  while ((outcome = fluid_queue_pump_take (self, &budget, &message)) == FLUID_QUEUE_PUMP_TAKEN)
    if (!fluid_queue_pump_handle (self, message))
      return FLUID_QUEUE_PUMP_IN_FLIGHT;
  return outcome;
}

/* Ends `run`, the batch put back: see fluid_queue_driver_end_run(). */
static void
fluid_queue_pump_end_run (FluidQueuePump *self)
{
  if (self->driver.run_task == NULL)
    return;
  fluid_queue_pump_drop_spare_tasks (self);
  if (self->batch.head != NULL)
    fluid_message_queue_put_back (self->driver.queue, &self->batch, FALSE, &self->tally);
  fluid_message_queue_tally (self->driver.queue, &self->tally);
  fluid_queue_driver_end_run (&self->driver);
}

/* Pulled: the puller waits; it is told from the next dispatch of the
 * consumer's source. */
static void
fluid_queue_pump_wait (FluidQueuePump *self)
{
  self->waiting = TRUE;
  self->must_tell = TRUE;
  fluid_queue_consumer_wake (self->driver.consumer);
}

/* Pulled: whether a puller that waits since a pull found nothing would
 * find something now: a message, an error, a change of state. When it
 * would not, the wake-up was for a message it pulled before the dispatch,
 * and the wait that its last pull armed is armed still: the next message
 * wakes the source again (a message pushed from another thread meanwhile
 * is seen here, or wakes it). */
static gboolean
fluid_queue_pump_has_news (FluidQueuePump *self)
{
  FluidWorkerState state = fluid_worker_get_state ((FluidWorker *) self->driver.consumer);

  return self->must_tell || self->driver.error != NULL || self->driver.closed ||
         state != FLUID_WORKER_STATE_RUNNING || self->batch.head != NULL ||
         fluid_message_queue_can_take (self->driver.queue);
}

/* Pulled: tells the puller to pull, if it waits and there is something
 * new. From a dispatch of the consumer's source, which holds a reference
 * on it. */
static void
fluid_queue_pump_tell_puller (FluidQueuePump *self)
{
  g_autoptr(FluidQueueConsumer) held = NULL;

  if (!self->waiting || !fluid_queue_pump_has_news (self))
    return;
  self->waiting = FALSE;
  self->must_tell = FALSE;
  held = g_steal_pointer (&self->held);
  self->ready (self, self->user_data);
}

/* Handles the messages ready, until there is none, the dispatch did its
 * share, a handler goes on asynchronously, or the run is over; pulled,
 * tells the puller. From a dispatch of the consumer's source, or from a
 * resume, either holding a reference on the consumer. */
static void
fluid_queue_pump_ready (FluidQueueDriver *driver)
{
  FluidQueuePump *self = (FluidQueuePump *) driver;
  FluidQueuePumpOutcome outcome;

  if (self->ready != NULL)
    {
      fluid_queue_pump_tell_puller (self);
      return;
    }
  if (self->driver.run_task == NULL || self->pumping || self->current != NULL)
    return;

  self->pumping = TRUE;
  outcome = fluid_queue_pump_loop (self);
  self->pumping = FALSE;
  /* The run ends with the loop; a handler still going on opens the
   * next. */
  if (G_UNLIKELY (self->timer.started_ns != 0))
    fluid_run_timer_close (&self->timer, fluid_queue_consumer_get_durations (driver->consumer),
                           outcome == FLUID_QUEUE_PUMP_IN_FLIGHT);

  switch (outcome)
    {
    case FLUID_QUEUE_PUMP_YIELD:
      fluid_queue_consumer_wake (driver->consumer);
      G_GNUC_FALLTHROUGH;
    case FLUID_QUEUE_PUMP_WAIT:
    case FLUID_QUEUE_PUMP_IN_FLIGHT:
      /* What the counters read between two dispatches is exact. */
      fluid_message_queue_tally (driver->queue, &self->tally);
      break;

    case FLUID_QUEUE_PUMP_END:
    default:
      fluid_queue_pump_end_run (self);
      break;
    }
}

/* See fluid-queue-pump-private.h. */
void
fluid_queue_pump_resume (FluidQueuePump *self,
                         GError         *error)
{
  g_autoptr(FluidQueueConsumer) consumer = NULL;

  g_return_if_fail (self->current != NULL);

  /* Within the handler: the loop on the stack goes on. */
  if (self->pumping)
    {
      fluid_queue_pump_settle (self, error);
      return;
    }

  /* Going on may end the run, which may drop the last reference. */
  consumer = g_object_ref (self->driver.consumer);
  fluid_queue_pump_settle (self, error);
  fluid_queue_pump_ready (&self->driver);
}

/* The worker stopped: the batch and the message in hand count as
 * discarded, and a run waiting for a handler that may never complete ends
 * now; one on the stack ends as it returns. */
static void
fluid_queue_pump_close (FluidQueueDriver *driver)
{
  FluidQueuePump *self = (FluidQueuePump *) driver;

  self->driver.closed = TRUE;
  if (self->current != NULL && !self->abandoned)
    {
      self->abandoned = TRUE;
      self->tally.discarded++;
    }
  /* The queue is closed: put back, they count as discarded. */
  fluid_message_queue_put_back (driver->queue, &self->batch, FALSE, &self->tally);
  if (!self->pumping)
    fluid_queue_pump_end_run (self);

  /* Pulled: a puller that holds a message or waits learns of the end
   * from a dispatch of its own, the consumer held until then. */
  if (self->ready != NULL && (self->current != NULL || self->waiting))
    {
      if (self->held == NULL)
        self->held = g_object_ref (driver->consumer);
      fluid_queue_pump_wait (self);
    }
}

static void
fluid_queue_pump_free (FluidQueueDriver *driver)
{
  FluidQueuePump *self = (FluidQueuePump *) driver;

  fluid_queue_driver_clear (driver);
  fluid_message_list_free (&self->batch);
  g_clear_pointer (&self->current, fluid_message_free);
  g_ptr_array_unref (self->spare_tasks);
  g_clear_object (&self->cancellable);
  g_free (self);
}

/* Pushed, the run begins at once; pulled, the puller is told to begin
 * from the next dispatch. */
static void
fluid_queue_pump_start (FluidQueueDriver *driver)
{
  FluidQueuePump *self = (FluidQueuePump *) driver;

  if (self->ready != NULL)
    fluid_queue_pump_wait (self);
  else
    fluid_queue_pump_ready (driver);
}

static const FluidQueueDriverFuncs fluid_queue_pump_funcs = {
  fluid_queue_pump_start,
  fluid_queue_pump_ready,
  fluid_queue_pump_close,
  fluid_queue_pump_free,
};

static FluidQueuePump *
fluid_queue_pump_new (FluidQueueConsumer      *consumer,
                      GTask                   *run_task,
                      FluidQueuePumpFunc       func,
                      FluidQueuePumpReadyFunc  ready,
                      gpointer                 user_data)
{
  FluidQueuePump *self = g_new0 (FluidQueuePump, 1);

  fluid_queue_driver_init (&self->driver, &fluid_queue_pump_funcs, consumer, run_task);
  self->func = func;
  self->ready = ready;
  self->user_data = user_data;
  self->fresh = TRUE;
  self->spare_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_object_ref (fluid_worker_get_cancellable (FLUID_WORKER (consumer)));
  fluid_queue_consumer_drive (consumer, &self->driver);
  return self;
}

/* See fluid-queue-pump-private.h. */
FluidQueuePump *
fluid_queue_pump_run (FluidQueueConsumer *consumer,
                      GTask              *run_task,
                      FluidQueuePumpFunc  func,
                      gpointer            user_data)
{
  return fluid_queue_pump_new (consumer, run_task, func, NULL, user_data);
}

/* Pulled */

/* See fluid-queue-pump-private.h. */
FluidQueuePump *
fluid_queue_pump_run_pulled (FluidQueueConsumer      *consumer,
                             GTask                   *run_task,
                             FluidQueuePumpReadyFunc  ready,
                             gpointer                 user_data)
{
  return fluid_queue_pump_new (consumer, run_task, NULL, ready, user_data);
}

/* See fluid-queue-pump-private.h. */
FluidPull
fluid_queue_pump_pull (FluidQueuePump  *self,
                       const GValue   **message)
{
  FluidQueuePumpOutcome outcome;
  FluidMessage *taken = NULL;

  *message = NULL;
  if (self->current != NULL)
    fluid_queue_pump_settle (self, NULL);
  if (self->driver.run_task == NULL)
    return FLUID_PULL_END;

  if (self->fresh)
    {
      self->budget = MAX (self->batch.length, FLUID_QUEUE_PUMP_MIN_BATCH);
      self->fresh = FALSE;
    }
  outcome = fluid_queue_pump_take (self, &self->budget, &taken);
  /* Timed as pushed messages are: the run goes on while the puller
   * pulls, and ends when it has nothing more to take. */
  if (outcome == FLUID_QUEUE_PUMP_TAKEN && fluid_metrics_timing ())
    fluid_run_timer_begin (&self->timer);
  else if (G_UNLIKELY (self->timer.started_ns != 0) && outcome != FLUID_QUEUE_PUMP_TAKEN)
    fluid_run_timer_close (&self->timer, fluid_queue_consumer_get_durations (self->driver.consumer), FALSE);
  switch (outcome)
    {
    case FLUID_QUEUE_PUMP_TAKEN:
      /* A puller that takes a message waits no longer: woken before the
       * dispatch that the message scheduled (its binding saw the send),
       * it is not told again of what it holds. (A closed pump, which
       * must tell, returned the end above.) */
      self->waiting = FALSE;
      self->must_tell = FALSE;
      self->current = taken;
      *message = &taken->value;
      return FLUID_PULL_MESSAGE;

    case FLUID_QUEUE_PUMP_YIELD:
      /* Told at once, from the next dispatch. */
      fluid_queue_pump_wait (self);
      G_GNUC_FALLTHROUGH;
    case FLUID_QUEUE_PUMP_WAIT:
      /* Told when a message arrives or the state changes: the steal
       * armed the wake-up. What the counters read meanwhile is exact. */
      self->waiting = TRUE;
      self->fresh = TRUE;
      fluid_message_queue_tally (self->driver.queue, &self->tally);
      return FLUID_PULL_WAIT;

    case FLUID_QUEUE_PUMP_END:
    case FLUID_QUEUE_PUMP_IN_FLIGHT:
    default:
      {
        /* Ending the run may drop the last reference. (Not g_autoptr:
         * clang calls a variable that is only cleaned up unused.) */
        FluidQueueConsumer *consumer = g_object_ref (self->driver.consumer);

        fluid_queue_pump_end_run (self);
        g_object_unref (consumer);
        return FLUID_PULL_END;
      }
    }
}

/* See fluid-queue-pump-private.h. */
void
fluid_queue_pump_fail (FluidQueuePump *self,
                       GError         *error)
{
  g_return_if_fail (self->current != NULL);

  fluid_queue_pump_settle (self, error);
}
