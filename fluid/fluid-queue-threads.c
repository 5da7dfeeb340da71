/* fluid-queue-threads.c: a consumer whose handler runs on threads it owns
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-threads-private.h"
#include "fluid-worker-private.h"

#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#endif

/* A threaded consumer's `run` starts @n_threads threads, named after the
 * worker, which take messages from the consumer's queue themselves and
 * call the handler, at most one at a time each. Everything else stays on
 * the worker's context: failures are told there (message-failed,
 * stop-on-failure), and `run` ends there once the threads have nothing
 * left to do.
 *
 * Threads: the fields below @lock-protected are read and written under the
 * consumer's lock, which producers take too; a thread waits for messages
 * on @cond with that lock. A thread takes a few messages at a time (one
 * while the consumer stops), so that a burst costs one lock a few
 * messages, and leaves the processed ones to be counted on the context
 * only when asked (the status): the context is woken for failures and for
 * the end, never for each message.
 *
 * Ownership: each thread holds a reference on the state and on the
 * consumer, which it drops as it ends, the consumer's from the consumer's
 * context. A force stop does not wait for a
 * thread stuck in the handler: the consumer counts the messages in flight
 * as discarded at once, and the thread, when it comes back, finds it
 * closed and drops its results. Nothing joins a thread: they are made
 * detached (their GThread unreferenced at once). */

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

struct _FluidQueueThreads
{
  gint                    ref_count;      /* atomic */
  FluidQueueConsumer     *consumer;       /* not a reference: see above */
  FluidThreadMessageFunc  func;
  gpointer                user_data;
  GCancellable           *cancellable;    /* the worker's */
  guint                   n_threads;

  /* Under the consumer's lock. */
  GCond                   cond;
  guint                   waiting;        /* threads waiting on @cond */
  guint                   running;        /* handlers running */
  guint                   in_flight;      /* taken, not yet told */
  guint                   abandoned;      /* in flight when the consumer closed */
  guint64                 processed;      /* told, not yet counted by the consumer */
  GQueue                  failures;       /* of FluidThreadFailure */
  gboolean                failed;         /* stop-on-failure stopped the taking */
  gboolean                exit;           /* the threads end once idle */
};

static FluidQueueThreads *
fluid_queue_threads_ref (FluidQueueThreads *threads)
{
  g_atomic_int_inc (&threads->ref_count);
  return threads;
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
fluid_queue_threads_unref (FluidQueueThreads *threads)
{
  if (!g_atomic_int_dec_and_test (&threads->ref_count))
    return;
  g_queue_clear_full (&threads->failures, fluid_thread_failure_free);
  g_cond_clear (&threads->cond);
  g_clear_object (&threads->cancellable);
  g_free (threads);
}

/* Whether a thread may take a message now; under the lock. */
static gboolean
fluid_queue_threads_can_take_locked (FluidQueueThreads         *threads,
                                     FluidQueueConsumerPrivate *priv)
{
  FluidWorkerState state = fluid_worker_get_state (FLUID_WORKER (threads->consumer));

  if (priv->closed || threads->failed || threads->exit || priv->queue.head == NULL)
    return FALSE;
  return state == FLUID_WORKER_STATE_RUNNING ||
         (state == FLUID_WORKER_STATE_STOPPING && priv->drain_left > 0);
}

/* Takes the next messages for a thread; under the lock. */
static guint
fluid_queue_threads_take_locked (FluidQueueThreads         *threads,
                                 FluidQueueConsumerPrivate *priv,
                                 FluidMessage             **taken)
{
  gboolean stopping = fluid_worker_get_state (FLUID_WORKER (threads->consumer)) == FLUID_WORKER_STATE_STOPPING;
  /* A share of what is queued, so that a few slow messages spread over
   * every thread rather than wait behind one; up to a batch when the queue
   * is long. */
  guint share = priv->queue.length / (threads->n_threads * 4) + 1;
  guint n = 0;

  while (n < (stopping ? 1 : MIN (share, FLUID_QUEUE_THREADS_BATCH)) && priv->queue.head != NULL)
    taken[n++] = fluid_message_list_pop (&priv->queue);
  if (stopping)
    priv->drain_left -= MIN (priv->drain_left, n);
  threads->in_flight += n;
  threads->running++;
  return n;
}

/* Whether a thread goes on with the messages it took: not once a graceful
 * stop without drain-on-stop began. Any thread; reads the state only. */
static gboolean
fluid_queue_threads_may_go_on (FluidQueueThreads         *threads,
                               FluidQueueConsumerPrivate *priv)
{
  FluidWorkerState state = fluid_worker_get_state (FLUID_WORKER (threads->consumer));

  /* drain_on_stop is set on the consumer's context, before it runs. */
  return state == FLUID_WORKER_STATE_RUNNING ||
         (state == FLUID_WORKER_STATE_STOPPING && priv->drain_on_stop);
}

/* Puts @n messages a thread took and did not start back in front of the
 * queue, in order. */
static void
fluid_queue_threads_give_back (FluidQueueThreads         *threads,
                               FluidQueueConsumerPrivate *priv,
                               FluidMessage             **messages,
                               guint                      n)
{
  FluidMessageList back = { NULL, NULL, 0 };

  for (guint i = 0; i < n; i++)
    fluid_message_list_push (&back, messages[i]);
  fluid_queue_consumer_lock (priv);
  threads->in_flight -= n;
  if (priv->closed)
    {
      /* Counted as discarded when it closed. */
      threads->abandoned -= MIN (threads->abandoned, n);
      fluid_queue_consumer_unlock (priv);
      fluid_message_list_free (&back);
      return;
    }
  fluid_message_list_prepend_list (&priv->queue, &back);
  fluid_queue_consumer_unlock (priv);
}

/* Whether `run` may end: nothing is running, and nothing is left to take
 * (a stop, or a failure under stop-on-failure); under the lock. */
static gboolean
fluid_queue_threads_done_locked (FluidQueueThreads         *threads,
                                 FluidQueueConsumerPrivate *priv)
{
  FluidWorkerState state = fluid_worker_get_state (FLUID_WORKER (threads->consumer));
  gboolean nothing_to_take = threads->failed || state != FLUID_WORKER_STATE_RUNNING;

  /* A failure a thread reported meanwhile is told first. */
  return threads->running == 0 && threads->failures.head == NULL && nothing_to_take &&
         !fluid_queue_threads_can_take_locked (threads, priv);
}

/* A thread came back with @n_ok processed messages and @failures (taken);
 * under the lock. Returns whether the context must be woken. */
static gboolean
fluid_queue_threads_report_locked (FluidQueueThreads         *threads,
                                   FluidQueueConsumerPrivate *priv,
                                   guint                      n_done,
                                   guint                      n_ok,
                                   GQueue                    *failures)
{
  threads->running--;
  threads->in_flight -= n_done;
  if (priv->closed)
    {
      /* Counted as discarded when the consumer closed: dropped. */
      threads->abandoned -= MIN (threads->abandoned, n_done);
      return FALSE;
    }
  threads->processed += n_ok;
  /* Handed over: the failures are the consumer's to tell. */
  while (failures->head != NULL)
    g_queue_push_tail (&threads->failures, g_queue_pop_head (failures));
  return threads->failures.head != NULL || fluid_queue_threads_done_locked (threads, priv);
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
  FluidQueueThreads *threads = data->threads;
  FluidQueueConsumer *consumer = data->consumer;
  GMainContext *context = data->context;
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (consumer);
  FluidMessage *taken[FLUID_QUEUE_THREADS_BATCH];

  g_free (data);
#ifdef __linux__
  /* On Linux the nice value is the calling thread's own. */
  if (setpriority (PRIO_PROCESS, 0, getpriority (PRIO_PROCESS, 0) + FLUID_QUEUE_THREADS_NICENESS) != 0)
    g_debug ("could not lower the priority of a thread of %s", fluid_worker_get_name (FLUID_WORKER (consumer)));
#endif
  fluid_queue_consumer_lock (priv);
  for (;;)
    {
      GQueue failures = G_QUEUE_INIT;
      guint n_taken, n_ok = 0, n_done;
      gboolean wake;

      while (!threads->exit && !fluid_queue_threads_can_take_locked (threads, priv))
        {
          threads->waiting++;
          fluid_tsan_release (&priv->lock);
          g_cond_wait (&threads->cond, &priv->lock);
          fluid_tsan_acquire (&priv->lock);
          threads->waiting--;
        }
      if (threads->exit)
        break;
      n_taken = fluid_queue_threads_take_locked (threads, priv, taken);
      fluid_queue_consumer_unlock (priv);

      fluid_queue_consumer_admit_senders (consumer);
      for (n_done = 0; n_done < n_taken; n_done++)
        {
          GError *error = NULL;

          /* A forced stop: the rest is not run. */
          if (g_cancellable_is_cancelled (threads->cancellable))
            break;
          /* A graceful stop: the rest goes back to the queue, whose
           * messages are not started (without drain-on-stop, the stop
           * discards them). */
          if (!fluid_queue_threads_may_go_on (threads, priv))
            {
              fluid_queue_threads_give_back (threads, priv, taken + n_done, n_taken - n_done);
              n_taken = n_done;
              break;
            }
          if (threads->func ((FluidQueueConsumerWorker *) consumer, &taken[n_done]->value,
                             threads->cancellable, threads->user_data, &error))
            {
              g_clear_error (&error);
              fluid_message_free (taken[n_done]);
              n_ok++;
            }
          else
            {
              FluidThreadFailure *failure = g_new (FluidThreadFailure, 1);

              failure->message = taken[n_done];
              failure->error = error != NULL ? error
                                             : g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                                                            "the handler of %s failed without an error",
                                                            fluid_worker_get_name (FLUID_WORKER (consumer)));
              g_queue_push_tail (&failures, failure);
            }
        }
      /* Not run: counted as the stop counts the messages in flight. */
      for (guint i = n_done; i < n_taken; i++)
        fluid_message_free (taken[i]);
      fluid_worker_feed_watchdog (FLUID_WORKER (consumer));

      fluid_queue_consumer_lock (priv);
      if (n_done < n_taken && !priv->closed)
        priv->discarded += n_taken - n_done;
      wake = fluid_queue_threads_report_locked (threads, priv, n_taken, n_ok, &failures);
      wake |= fluid_queue_consumer_note_counters (priv);
      fluid_queue_consumer_unlock (priv);
      /* Failures of a closed consumer, dropped. */
      g_queue_clear_full (&failures, fluid_thread_failure_free);
      if (wake)
        fluid_queue_consumer_wake (priv);
      fluid_queue_consumer_lock (priv);
    }
  fluid_queue_consumer_unlock (priv);

  fluid_queue_threads_unref (threads);
  fluid_queue_threads_release (consumer, context);
  return NULL;
}

/* A message was queued: a waiting thread takes it. Under the lock; only a
 * thread that waits costs a wake-up. */
void
fluid_queue_threads_wake_locked (FluidQueueThreads *threads)
{
  if (threads->waiting > 0)
    g_cond_signal (&threads->cond);
}

/* The threads of @consumer's run, not started yet: the consumer makes
 * them known before they run, so that no message queued meanwhile goes
 * unsignalled. */
FluidQueueThreads *
fluid_queue_threads_new (FluidQueueConsumer     *consumer,
                         guint                   n_threads,
                         FluidThreadMessageFunc  func,
                         gpointer                user_data)
{
  FluidQueueThreads *threads = g_new0 (FluidQueueThreads, 1);

  threads->ref_count = 1;
  threads->consumer = consumer;
  threads->func = func;
  threads->user_data = user_data;
  threads->cancellable = g_object_ref (fluid_worker_get_cancellable (FLUID_WORKER (consumer)));
  threads->n_threads = n_threads;
  g_cond_init (&threads->cond);
  return threads;
}

void
fluid_queue_threads_start (FluidQueueThreads *threads)
{
  FluidQueueConsumer *consumer = threads->consumer;
  char name[16];

  /* Linux keeps 15 bytes of a thread's name. */
  g_strlcpy (name, fluid_worker_get_name (FLUID_WORKER (consumer)), sizeof name);
  for (guint i = 0; i < threads->n_threads; i++)
    {
      FluidThreadData *data = g_new (FluidThreadData, 1);

      data->threads = fluid_queue_threads_ref (threads);
      data->consumer = g_object_ref (consumer);
      data->context = g_main_context_ref (fluid_worker_get_context (FLUID_WORKER (consumer)));
      /* Detached: nothing ever joins it. */
      g_thread_unref (g_thread_new (name, fluid_queue_threads_main, data));
    }
}

/* Tells @failures (of FluidThreadFailure; emptied) on the consumer's
 * context. */
void
fluid_queue_threads_tell_failures (FluidQueueConsumer *consumer,
                                   GQueue             *failures,
                                   GError            **error)
{
  for (GList *l = failures->head; l != NULL; l = l->next)
    {
      FluidThreadFailure *failure = l->data;

      fluid_queue_consumer_tell_failure (consumer, failure->message,
                                         g_steal_pointer (&failure->error), error);
    }
  g_queue_clear_full (failures, fluid_thread_failure_free);
}

/* The consumer changed state, or was woken: tells the failures, and says
 * whether `run` may end. On the consumer's context. */
gboolean
fluid_queue_threads_ready (FluidQueueThreads *threads,
                           gboolean           stop_on_failure,
                           GError           **error)
{
  FluidQueueConsumer *consumer = threads->consumer;
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (consumer);
  GQueue failures = G_QUEUE_INIT;
  gboolean done;

  fluid_queue_consumer_lock (priv);
  failures = threads->failures;
  g_queue_init (&threads->failures);
  if (failures.head != NULL && stop_on_failure)
    threads->failed = TRUE;
  /* The threads look again: a stop or a failure changes what they take. */
  g_cond_broadcast (&threads->cond);
  fluid_queue_consumer_unlock (priv);

  fluid_queue_threads_tell_failures (consumer, &failures, error);

  fluid_queue_consumer_lock (priv);
  done = fluid_queue_threads_done_locked (threads, priv);
  fluid_queue_consumer_unlock (priv);
  return done;
}

/* The processed messages the threads told since the last call; under the
 * lock. */
guint64
fluid_queue_threads_take_processed_locked (FluidQueueThreads *threads)
{
  guint64 processed = threads->processed;

  threads->processed = 0;
  return processed;
}

/* Whether no handler runs and no message is in flight: for the watchdog. */
gboolean
fluid_queue_threads_is_idle_locked (FluidQueueThreads *threads)
{
  return threads->in_flight == 0;
}

/* The consumer closed (it stopped): the messages in flight are counted as
 * discarded now, and dropped when their threads come back; the threads
 * end. The failures reported and not told yet go to @failures, of
 * FluidThreadFailure, for fluid_queue_threads_tell_failures(). Under the
 * lock. */
void
fluid_queue_threads_close_locked (FluidQueueThreads         *threads,
                                  FluidQueueConsumerPrivate *priv,
                                  GQueue                    *failures)
{
  /* Reported, not told yet: the consumer tells them. */
  *failures = threads->failures;
  g_queue_init (&threads->failures);
  priv->discarded += threads->in_flight;
  threads->abandoned = threads->in_flight;
  threads->exit = TRUE;
  g_cond_broadcast (&threads->cond);
}

/* `run` ended: the threads end once idle; the consumer drops its
 * reference. On the consumer's context. */
void
fluid_queue_threads_stop (FluidQueueThreads *threads)
{
  FluidQueueConsumerPrivate *priv = fluid_queue_consumer_get_priv (threads->consumer);

  fluid_queue_consumer_lock (priv);
  threads->exit = TRUE;
  g_cond_broadcast (&threads->cond);
  fluid_queue_consumer_unlock (priv);
  fluid_queue_threads_unref (threads);
}
