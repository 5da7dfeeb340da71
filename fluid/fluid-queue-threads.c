/* fluid-queue-threads.c: a consumer whose handler runs on threads it owns
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-threads-private.h"
#include "fluid-parse-private.h"
#include "fluid-tsan-private.h"
#include "fluid-worker-private.h"

#ifdef __linux__
#include <sys/resource.h>
#endif

/* A threaded consumer's `run` starts @n_threads threads, named after the
 * worker, which take messages from the consumer's queue themselves and
 * call the handler, one at a time each. Everything else stays on the
 * worker's context: failures are told there (message-failed,
 * stop-on-failure), and `run` ends there once the threads have nothing
 * left to do.
 *
 * Cost model. A thread takes a share of the queue (one message while the
 * consumer drains at a stop, else up to FLUID_QUEUE_THREADS_BATCH) under
 * the queue's lock, starts it as a whole (it leaves the queue's size at
 * once, rather than each thread writing to the queue for every message),
 * and tells what became of it under its own lock and the queue's, once
 * per share: a burst costs a few locks a few messages. The
 * context is woken for failures and for the end, never for each message.
 * A thread that finds the queue empty sleeps on @cond; the queue wakes
 * the threads (fluid_queue_threads_wake()) when a message arrives after a
 * take left it empty, and a thread that leaves messages behind wakes
 * another.
 *
 * Threads and locks. @lock guards the fields so marked; the flags a
 * thread reads for every message are atomics too. The queue's lock and
 * @lock are never held together. The accounting: a message a thread
 * took is its own (@in_flight) until it claims its outcome, under @lock;
 * the close counts every message in flight as discarded at once, and a
 * thread that comes back after it finds it closed and drops its results.
 * Claimed, an outcome is told to the queue before the thread stops
 * counting as running, so that the run never ends with a count missing.
 *
 * Ownership. Each thread holds a reference on the state and on the
 * consumer, and drops the consumer's from the consumer's context. A force
 * stop does not wait for a thread stuck in the handler, and nothing joins
 * a thread: they are made detached (their GThread unreferenced at once). */

/* How much lower than the thread that started it a worker thread runs:
 * busy handlers on every core must not starve the worker's context, which
 * is usually an application's main loop. */
#define FLUID_QUEUE_THREADS_NICENESS 5

/* The most messages a thread takes at once while the consumer runs. */
#define FLUID_QUEUE_THREADS_BATCH 32

typedef struct
{
  FluidMessage *message;
  GError       *error;
} FluidThreadFailure;

typedef struct
{
  FluidQueueDriver        driver;
  int                     ref_count;      /* atomic: the consumer's, and each thread's */

  /* Set before the threads start, then constant. */
  FluidThreadMessageFunc  func;
  gpointer                user_data;
  GCancellable           *cancellable;    /* the worker's */
  guint                   n_threads;

  /* Under @lock; @cond is signalled when @work or @exit is set. */
  GMutex                  lock;
  GCond                   cond;
  guint                   waiting;        /* threads waiting on @cond */
  guint                   running;        /* threads between a take and its report */
  guint                   in_flight;      /* taken, outcome not claimed */
  guint                   abandoned;      /* in flight at the close, counted as discarded */
  GQueue                  failures;       /* claimed, not told yet: of FluidThreadFailure */
  gboolean                work;           /* a message may have arrived */
  gboolean                ending;         /* a stop or a failure: the context waits for the end */
  gboolean                draining;       /* a stop with drain-on-stop: one message at a time */
  gboolean                closed;         /* the driver's, for the threads */
  gboolean                exit;           /* the threads end */
  /* Atomic as well, read for every message: a stop without drain-on-stop,
   * or a failure under stop-on-failure, the messages not started go back. */
  int                     stop_taking;
} FluidQueueThreads;

static FluidQueueThreads *
fluid_queue_threads_ref (FluidQueueThreads *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

static void
fluid_thread_failure_free (gpointer data)
{
  FluidThreadFailure *failure = data;

  fluid_message_free (failure->message);
  g_clear_error (&failure->error);
  g_free (failure);
}

static void
fluid_queue_threads_unref (FluidQueueThreads *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_assert (self->driver.run_task == NULL);
  g_queue_clear_full (&self->failures, fluid_thread_failure_free);
  fluid_queue_driver_clear (&self->driver);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_clear_object (&self->cancellable);
  g_free (self);
}

/* The queue's reader: a message arrived after a take left it empty. Any
 * thread, without the queue's lock. */
static void
fluid_queue_threads_wake (gpointer user_data)
{
  FluidQueueThreads *self = user_data;

  fluid_mutex_lock (&self->lock);
  self->work = TRUE;
  if (self->waiting > 0)
    g_cond_signal (&self->cond);
  fluid_mutex_unlock (&self->lock);
}

/* Whether the outcome of @n messages in flight is the calling thread's to
 * tell: not once the consumer closed, which counted them as discarded. */
static gboolean
fluid_queue_threads_claim_locked (FluidQueueThreads *self,
                                  guint              n)
{
  if (self->closed)
    {
      self->abandoned -= MIN (n, self->abandoned);
      return FALSE;
    }
  self->in_flight -= MIN (n, self->in_flight);
  return TRUE;
}

/* The calling thread has nothing in hand any more; the context looks when
 * the end may have come, or for @failures claimed. */
static void
fluid_queue_threads_leave (FluidQueueThreads *self,
                           gboolean           failures)
{
  gboolean tell;

  fluid_mutex_lock (&self->lock);
  self->running--;
  tell = failures || (self->running == 0 && self->ending);
  fluid_mutex_unlock (&self->lock);

  if (tell)
    fluid_queue_consumer_wake (self->driver.consumer);
}

/* Puts the messages of @rest, taken and not started, back in the queue;
 * once closed, they were counted as discarded, and are freed. */
static void
fluid_queue_threads_give_back (FluidQueueThreads *self,
                               FluidMessageList  *rest)
{
  gboolean mine;

  fluid_mutex_lock (&self->lock);
  mine = fluid_queue_threads_claim_locked (self, rest->length);
  fluid_mutex_unlock (&self->lock);

  if (mine)
    fluid_message_queue_put_back (self->driver.queue, rest, TRUE, NULL);
  else
    fluid_message_list_free (rest);
}

/* Tells what became of @n_done messages: @n_ok processed, @n_dropped not
 * run (a forced stop), @failures for the context to tell; all dropped
 * once closed. */
static void
fluid_queue_threads_report (FluidQueueThreads *self,
                            guint              n_done,
                            guint              n_ok,
                            guint              n_dropped,
                            GQueue            *failures)
{
  gboolean mine, told;

  fluid_mutex_lock (&self->lock);
  mine = fluid_queue_threads_claim_locked (self, n_done);
  told = mine && failures->head != NULL;
  if (mine)
    while (failures->head != NULL)
      g_queue_push_tail (&self->failures, g_queue_pop_head (failures));
  fluid_mutex_unlock (&self->lock);

  /* Told before the thread stops counting as running. */
  if (mine)
    {
      FluidMessageTally tally = { n_ok, 0, n_dropped, 0 };

      fluid_message_queue_tally (self->driver.queue, &tally);
    }
  g_queue_clear_full (failures, fluid_thread_failure_free);
  fluid_worker_feed (FLUID_WORKER (self->driver.consumer));
  fluid_queue_threads_leave (self, told);
}

static FluidThreadFailure *
fluid_thread_failure_new (FluidQueueThreads *self,
                          FluidMessage      *message,
                          GError            *error)
{
  FluidThreadFailure *failure = g_new (FluidThreadFailure, 1);

  failure->message = message;
  failure->error = error != NULL ? error
                                 : g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                                                "the handler of %s failed without an error",
                                                fluid_worker_get_name (FLUID_WORKER (self->driver.consumer)));
  return failure;
}

/* Calls the handler for the messages of @batch, in order, then reports. */
static void
fluid_queue_threads_handle (FluidQueueThreads *self,
                            FluidMessageList  *batch)
{
  FluidMessageQueue *queue = self->driver.queue;
  GQueue failures = G_QUEUE_INIT;
  guint n_taken = batch->length, n_ok = 0, n_dropped = 0;
  /* Measured by this thread alone, merged once for the batch. */
  FluidDurations durations = { { 0 }, 0, 0 };
  FluidRunTimer timer = { 0, 0, 0 };
  gboolean timed = fluid_metrics_timing ();

  while (batch->head != NULL)
    {
      FluidMessage *message;
      GError *error = NULL;
      gboolean handled;

      /* A forced stop: the rest is not run, and counts as discarded. */
      if (g_cancellable_is_cancelled (self->cancellable))
        {
          n_dropped = batch->length;
          fluid_message_list_free (batch);
          break;
        }
      /* A stop without drain-on-stop, a failure under stop-on-failure,
       * or a message of a higher priority queued since: the rest goes
       * back, not started. */
      if (fluid_message_queue_recalled (queue) || g_atomic_int_get (&self->stop_taking) ||
          fluid_message_queue_preempts (queue, batch->head->priority))
        {
          n_taken -= batch->length;
          fluid_queue_threads_give_back (self, batch);
          break;
        }

      message = fluid_message_list_pop (batch);
      if (G_UNLIKELY (timed))
        fluid_run_timer_begin (&timer);
      handled = self->func ((FluidQueueConsumerWorker *) self->driver.consumer, &message->value,
                            self->cancellable, self->user_data, &error);
      if (G_UNLIKELY (timed))
        fluid_run_timer_done (&timer, &durations);
      if (handled)
        {
          if (G_UNLIKELY (error != NULL))
            {
              g_critical ("The handler of %s returned TRUE with an error set: %s",
                          fluid_worker_get_name (FLUID_WORKER (self->driver.consumer)), error->message);
              g_clear_error (&error);
            }
          fluid_message_free (message);
          n_ok++;
        }
      else
        g_queue_push_tail (&failures, fluid_thread_failure_new (self, message, error));
    }

  if (G_UNLIKELY (timed))
    {
      fluid_run_timer_close (&timer, &durations, FALSE);
      fluid_durations_merge (fluid_queue_consumer_get_durations (self->driver.consumer), &durations);
    }
  fluid_queue_threads_report (self, n_taken, n_ok, n_dropped, &failures);
}

/* Takes up to @max messages for the calling thread, which counts as
 * running, to @batch. */
static guint
fluid_queue_threads_take (FluidQueueThreads *self,
                          guint              max,
                          FluidMessageList  *batch)
{
  guint n, left;
  gboolean closed;

  /* A share of what is queued, so that a few slow messages spread over
   * every thread rather than wait behind one; up to @max when the queue
   * is long. Left empty, the queue wakes the threads at the next message:
   * one of them may be idle. */
  n = fluid_message_queue_steal (self->driver.queue, max, self->n_threads * 4,
                                 FLUID_MESSAGE_QUEUE_ARM_IF_EMPTY, NULL, batch, &left);
  /* A share in a thread's hands is started as a whole. */
  fluid_message_queue_start (self->driver.queue, n);

  fluid_mutex_lock (&self->lock);
  closed = self->closed;
  if (!closed)
    self->in_flight += n;
  if (left > 0 && self->waiting > 0)
    {
      self->work = TRUE;
      g_cond_signal (&self->cond);
    }
  fluid_mutex_unlock (&self->lock);

  if (closed && n > 0)
    {
      /* Taken as the consumer closed, after it counted what was in
       * flight: discarded here. */
      FluidMessageTally tally = { 0, 0, n, 0 };

      fluid_message_queue_tally (self->driver.queue, &tally);
      fluid_message_list_free (batch);
      return 0;
    }
  return n;
}

typedef struct
{
  FluidQueueThreads  *threads;
  FluidQueueConsumer *consumer;   /* a reference */
  GMainContext       *context;    /* the consumer's, a reference */
} FluidThreadData;

static gboolean
fluid_queue_threads_release_cb (gpointer user_data)
{
  /* What the thread did happened before: GLib's own locks order it, but
   * ThreadSanitizer does not see them. */
  fluid_tsan_acquire (user_data);
  return G_SOURCE_REMOVE;
}

/* Drops a thread's reference on @consumer from @context, the consumer's:
 * the last reference must not finalize it on a worker thread, whose
 * memory GLib's allocator would hand back to the context's thread without
 * any synchronization a sanitizer or a destroy notify expects. */
static void
fluid_queue_threads_release (FluidQueueConsumer *consumer,
                             GMainContext       *context)
{
  g_autoptr(GSource) idle = g_idle_source_new ();

  fluid_tsan_release (consumer);
  g_source_set_static_name (idle, "[fluid] thread ended");
  g_source_set_callback (idle, fluid_queue_threads_release_cb, consumer, g_object_unref);
  g_source_attach (idle, context);
  g_main_context_unref (context);
}

static gpointer
fluid_queue_threads_main (gpointer user_data)
{
  FluidThreadData *data = user_data;
  FluidQueueThreads *self = data->threads;
  FluidQueueConsumer *consumer = data->consumer;
  GMainContext *context = data->context;
  gboolean took = TRUE;
  guint max;

  g_free (data);
#ifdef __linux__
  /* On Linux the nice value is the calling thread's own. */
  if (setpriority (PRIO_PROCESS, 0, getpriority (PRIO_PROCESS, 0) + FLUID_QUEUE_THREADS_NICENESS) != 0)
    g_debug ("could not lower the priority of a thread of %s", fluid_worker_get_name (FLUID_WORKER (consumer)));
#endif
  fluid_mutex_lock (&self->lock);
  for (;;)
    {
      FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;

      /* After a take, the thread tries again at once; after none, it
       * waits for a message or the end. */
      while (!self->exit && (!(took || self->work) || g_atomic_int_get (&self->stop_taking)))
        {
          self->waiting++;
          fluid_tsan_release (&self->lock);
          g_cond_wait (&self->cond, &self->lock);
          fluid_tsan_acquire (&self->lock);
          self->waiting--;
        }
      if (self->exit)
        break;
      self->work = FALSE;
      /* Counts as running before it takes: the context never ends the
       * run between the take and the report. */
      self->running++;
      max = self->draining ? 1 : FLUID_QUEUE_THREADS_BATCH;
      fluid_mutex_unlock (&self->lock);

      took = fluid_queue_threads_take (self, max, &batch) > 0;
      if (took)
        fluid_queue_threads_handle (self, &batch);
      else
        fluid_queue_threads_leave (self, FALSE);
      fluid_mutex_lock (&self->lock);
    }
  fluid_mutex_unlock (&self->lock);

  fluid_queue_threads_unref (self);
  fluid_queue_threads_release (consumer, context);
  return NULL;
}

/* Tells the failures the threads claimed; under stop-on-failure, the
 * first ends the run and the threads take no more. On the context. */
static void
fluid_queue_threads_tell_failures (FluidQueueThreads *self)
{
  GQueue failures;

  fluid_mutex_lock (&self->lock);
  failures = self->failures;
  g_queue_init (&self->failures);
  fluid_mutex_unlock (&self->lock);

  for (GList *l = failures.head; l != NULL; l = l->next)
    {
      FluidThreadFailure *failure = l->data;

      fluid_queue_consumer_tell_failure (self->driver.consumer, failure->message,
                                         g_steal_pointer (&failure->error), &self->driver.error);
    }
  g_queue_clear_full (&failures, fluid_thread_failure_free);
}

/* Ends `run`: the threads end once idle. See
 * fluid_queue_driver_end_run(). */
static void
fluid_queue_threads_end_run (FluidQueueThreads *self)
{
  if (self->driver.run_task == NULL)
    return;

  fluid_mutex_lock (&self->lock);
  self->exit = TRUE;
  g_cond_broadcast (&self->cond);
  fluid_mutex_unlock (&self->lock);
  fluid_queue_driver_end_run (&self->driver);
}

/* The worker changed state, or a thread woke the context: tells the
 * failures, then ends `run` once nothing runs and nothing is left to
 * take. On the context. */
static void
fluid_queue_threads_ready (FluidQueueDriver *driver)
{
  FluidQueueThreads *self = (FluidQueueThreads *) driver;
  FluidWorkerState state = fluid_worker_get_state (FLUID_WORKER (driver->consumer));
  gboolean stopping = state != FLUID_WORKER_STATE_RUNNING;
  gboolean drains = stopping && fluid_queue_consumer_stop_drains (driver->consumer);
  gboolean takeable, done;

  if (self->driver.run_task == NULL)
    return;

  fluid_queue_threads_tell_failures (self);
  takeable = drains && self->driver.error == NULL && fluid_message_queue_can_take (driver->queue);

  fluid_mutex_lock (&self->lock);
  if (self->driver.error != NULL || (stopping && !drains))
    g_atomic_int_set (&self->stop_taking, TRUE);
  self->draining = drains;
  self->ending = stopping || self->driver.error != NULL;
  /* The threads look again: a stop or a failure changes what they take. */
  self->work = TRUE;
  g_cond_broadcast (&self->cond);
  done = self->ending && self->running == 0 && self->failures.head == NULL && !takeable;
  fluid_mutex_unlock (&self->lock);

  if (done)
    fluid_queue_threads_end_run (self);
}

/* The consumer closed (it stopped): the messages in flight count as
 * discarded now, and their threads drop them when they come back; the
 * failures claimed before are failures still. */
static void
fluid_queue_threads_close (FluidQueueDriver *driver)
{
  FluidQueueThreads *self = (FluidQueueThreads *) driver;
  FluidMessageTally tally = { 0, 0, 0, 0 };

  driver->closed = TRUE;
  fluid_mutex_lock (&self->lock);
  self->closed = TRUE;
  self->abandoned = self->in_flight;
  tally.discarded = self->in_flight;
  self->in_flight = 0;
  fluid_mutex_unlock (&self->lock);

  fluid_message_queue_tally (driver->queue, &tally);
  fluid_queue_threads_tell_failures (self);
  fluid_queue_threads_end_run (self);
}

static void
fluid_queue_threads_free (FluidQueueDriver *driver)
{
  fluid_queue_threads_unref ((FluidQueueThreads *) driver);
}

/* Starts the threads; a message queued from now on wakes them. */
static void
fluid_queue_threads_start (FluidQueueDriver *driver)
{
  FluidQueueThreads *self = (FluidQueueThreads *) driver;
  FluidWorker *worker = FLUID_WORKER (driver->consumer);
  g_autofree char *name = fluid_thread_name (fluid_worker_get_name (worker));

  fluid_message_queue_set_reader (driver->queue, fluid_queue_threads_wake, self);
  for (guint i = 0; i < self->n_threads; i++)
    {
      FluidThreadData *data = g_new (FluidThreadData, 1);

      data->threads = fluid_queue_threads_ref (self);
      data->consumer = g_object_ref (driver->consumer);
      data->context = g_main_context_ref (fluid_worker_get_context (worker));
      /* Detached: nothing ever joins it. */
      g_thread_unref (g_thread_new (name, fluid_queue_threads_main, data));
    }
}

static const FluidQueueDriverFuncs fluid_queue_threads_funcs = {
  fluid_queue_threads_start,
  fluid_queue_threads_ready,
  fluid_queue_threads_close,
  fluid_queue_threads_free,
};

/* See fluid-queue-threads-private.h. */
void
fluid_queue_threads_run (FluidQueueConsumer     *consumer,
                         GTask                  *run_task,
                         guint                   n_threads,
                         FluidThreadMessageFunc  func,
                         gpointer                user_data)
{
  FluidQueueThreads *self = g_new0 (FluidQueueThreads, 1);

  fluid_queue_driver_init (&self->driver, &fluid_queue_threads_funcs, consumer, run_task);
  self->ref_count = 1;
  self->func = func;
  self->user_data = user_data;
  self->cancellable = g_object_ref (fluid_worker_get_cancellable (FLUID_WORKER (consumer)));
  self->n_threads = n_threads;
  self->work = TRUE;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  fluid_queue_consumer_drive (consumer, &self->driver);
}
