/* bench-queue.c: how fast messages go through a FluidQueueConsumerWorker
 *
 * Prints one "metric_name value" line per figure:
 *   queue_throughput_msgs_per_s    1 000 000 messages sent on the consumer's
 *                                  thread, until the last is handled
 *   queue_cross_thread_msgs_per_s  4 producer threads, 1 000 000 in all
 *   send_to_handle_p50_us          one message in flight at a time, sent
 *   send_to_handle_p99_us          from another thread
 *   context_wakeup_p50_us          the same ping-pong with a bare GSource
 *   context_wakeup_p99_us          woken from another thread: the floor
 *                                  the two figures above stand on
 *   raw_gasyncqueue_msgs_per_s     a bare GAsyncQueue push then pop of as
 *                                  many pointers on one thread, the limit
 *                                  to compare the first figure against
 *   queue_throughput_vs_raw_percent  the first figure over the last
 *   async_queue_msgs_per_s         the first figure through
 *                                  fluid_queue_consumer_worker_new_async(),
 *                                  the handler completing its task at once
 *                                  (how Python and GJS handlers run)
 *   gtask_floor_per_s              a bare g_task_new (),
 *                                  g_task_return_boolean (),
 *                                  g_task_propagate_boolean (), unref loop
 *                                  of as many tasks on one thread: the
 *                                  limit of the figure above
 *   async_vs_gtask_floor_percent   the one over the other
 *   gtask_floor_warm_per_s         the same loop in rounds of 65 536 that
 *   async_vs_gtask_floor_warm_percent  reuse warm memory, and the ratio
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#define N_MESSAGES 1000000
#define N_PRODUCERS 4
#define N_LATENCY 20000
/* Tasks per round of the warm GTask floor: small enough that the loop
 * reuses memory, large enough that the rounds cost nothing. */
#define GTASK_WARM_ROUND 65536

static void
count_message (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               gpointer                  user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
complete_at_once (FluidQueueConsumerWorker *worker,
                  const GValue             *message,
                  GTask                    *task,
                  gpointer                  user_data)
{
  guint *count = user_data;

  (*count)++;
  g_task_return_boolean (task, TRUE);
}

static void
send_int (FluidQueueConsumer *consumer,
          int                 value)
{
  GValue message = G_VALUE_INIT;

  g_value_init (&message, G_TYPE_INT);
  g_value_set_int (&message, value);
  fluid_queue_consumer_send (consumer, &message);
}

/* Starts @worker and lets the context settle, so that the timings that
 * follow leave the startup out. */
static void
start_settled (FluidWorker *worker)
{
  fluid_test_startup (worker, NULL);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

/* Messages per second through @worker, whose handler counts in @count:
 * all sent on the consumer's thread, then handled. */
static double
bench_same_thread_with (FluidWorker *worker,
                        guint       *count)
{
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  gint64 start;
  double elapsed;

  start_settled (worker);

  start = g_get_monotonic_time ();
  for (int i = 0; i < N_MESSAGES; i++)
    send_int (consumer, i);
  while (*count < N_MESSAGES)
    g_main_context_iteration (NULL, TRUE);
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  fluid_test_shutdown (worker, NULL);
  return N_MESSAGES / elapsed;
}

static double
bench_same_thread (void)
{
  guint count = 0;
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (count_message, &count, NULL);

  return bench_same_thread_with (worker, &count);
}

static double
bench_async (void)
{
  guint count = 0;
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_async (complete_at_once, &count, NULL);

  return bench_same_thread_with (worker, &count);
}

/* GTask alone: what one asynchronous operation completed at once costs,
 * the floor of bench_async(): the loop as written, g_task_new (),
 * g_task_return_boolean (), g_task_propagate_boolean (), unref, outside
 * any dispatch. Each return leaves an idle (GTask completes a task
 * returned in the iteration that made it from an idle) holding the task
 * on the thread-default context; they are dispatched after the clock
 * stops, @round at a time. With @round as large as the run, the loop
 * keeps every task and idle until it ends, and pays for fresh memory as
 * it goes; with a small one, it reuses warm memory and leaves the tasks'
 * finalization out of the clock. */
static double
bench_gtask_floor (guint round)
{
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);
  gint64 elapsed = 0;
  guint done;

  for (done = 0; done < N_MESSAGES; done += round)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < round; i++)
        {
          GTask *task = g_task_new (source, NULL, NULL, NULL);

          g_task_return_boolean (task, TRUE);
          g_assert_true (g_task_propagate_boolean (task, NULL));
          g_object_unref (task);
        }
      elapsed += g_get_monotonic_time () - start;
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }

  return done / (elapsed / (double) G_USEC_PER_SEC);
}

typedef struct
{
  FluidQueueConsumer *consumer;
  guint               count;
} Producer;

static gpointer
producer_thread (gpointer data)
{
  Producer *producer = data;

  for (guint i = 0; i < producer->count; i++)
    send_int (producer->consumer, i);
  return NULL;
}

static double
bench_cross_thread (void)
{
  guint count = 0;
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (count_message, &count, NULL);
  Producer producers[N_PRODUCERS];
  GThread *threads[N_PRODUCERS];
  gint64 start;
  double elapsed;

  start_settled (worker);

  start = g_get_monotonic_time ();
  for (guint t = 0; t < N_PRODUCERS; t++)
    {
      producers[t].consumer = FLUID_QUEUE_CONSUMER (worker);
      producers[t].count = N_MESSAGES / N_PRODUCERS;
      threads[t] = g_thread_new ("producer", producer_thread, &producers[t]);
    }
  while (count < N_MESSAGES)
    g_main_context_iteration (NULL, TRUE);
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  for (guint t = 0; t < N_PRODUCERS; t++)
    g_thread_join (threads[t]);

  fluid_test_shutdown (worker, NULL);
  return N_MESSAGES / elapsed;
}

/* Latency: the sending thread stamps each message and waits for it to be
 * handled before it sends the next. The same ping-pong runs against a bare
 * GSource woken with g_source_set_ready_time(), the least any consumer of
 * a GMainContext pays for a wake-up from another thread: the floor the
 * first figures are compared with. */
typedef struct _Ping Ping;

struct _Ping
{
  void              (*send) (Ping  *ping,
                             gint64 stamp);
  FluidQueueConsumer *consumer;
  GSource            *source;
  gint64              stamp;
  GMutex              lock;
  GCond               cond;
  gboolean            handled;
  guint               done;
  GArray             *latencies;
};

/* On the context: records one latency and lets the sender go on. */
static void
ping_handled (Ping   *ping,
              gint64  stamp)
{
  double latency = (double) (g_get_monotonic_time () - stamp);

  g_array_append_val (ping->latencies, latency);
  g_mutex_lock (&ping->lock);
  ping->handled = TRUE;
  ping->done++;
  g_cond_signal (&ping->cond);
  g_mutex_unlock (&ping->lock);
}

static void
ping_message (FluidQueueConsumerWorker *worker,
              const GValue             *message,
              gpointer                  user_data)
{
  ping_handled (user_data, g_value_get_int64 (message));
}

static void
ping_send_message (Ping   *ping,
                   gint64  stamp)
{
  GValue message = G_VALUE_INIT;

  g_value_init (&message, G_TYPE_INT64);
  g_value_set_int64 (&message, stamp);
  fluid_queue_consumer_send (ping->consumer, &message);
}

static gboolean
ping_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  Ping *ping = user_data;
  gint64 stamp;

  g_source_set_ready_time (source, -1);
  g_mutex_lock (&ping->lock);
  stamp = ping->stamp;
  g_mutex_unlock (&ping->lock);
  ping_handled (ping, stamp);

  return G_SOURCE_CONTINUE;
}

static gboolean
ping_source_callback (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs ping_source_funcs = {
  NULL, NULL, ping_source_dispatch, NULL, NULL, NULL,
};

static void
ping_send_wakeup (Ping   *ping,
                  gint64  stamp)
{
  g_mutex_lock (&ping->lock);
  ping->stamp = stamp;
  g_mutex_unlock (&ping->lock);
  g_source_set_ready_time (ping->source, 0);
}

static gpointer
ping_thread (gpointer data)
{
  Ping *ping = data;

  for (guint i = 0; i < N_LATENCY; i++)
    {
      g_mutex_lock (&ping->lock);
      ping->handled = FALSE;
      g_mutex_unlock (&ping->lock);

      ping->send (ping, g_get_monotonic_time ());

      g_mutex_lock (&ping->lock);
      while (!ping->handled)
        g_cond_wait (&ping->cond, &ping->lock);
      g_mutex_unlock (&ping->lock);
    }
  return NULL;
}

/* Runs the ping-pong on the current context and gives the percentiles. */
static void
ping_run (Ping   *ping,
          double *p50,
          double *p99)
{
  GThread *thread;
  guint done = 0;

  g_mutex_init (&ping->lock);
  g_cond_init (&ping->cond);
  ping->latencies = g_array_sized_new (FALSE, FALSE, sizeof (double), N_LATENCY);

  thread = g_thread_new ("ping", ping_thread, ping);
  while (done < N_LATENCY)
    {
      g_main_context_iteration (NULL, TRUE);
      g_mutex_lock (&ping->lock);
      done = ping->done;
      g_mutex_unlock (&ping->lock);
    }
  g_thread_join (thread);

  *p50 = fluid_test_percentile (ping->latencies, 0.50);
  *p99 = fluid_test_percentile (ping->latencies, 0.99);
  g_array_unref (ping->latencies);
  g_mutex_clear (&ping->lock);
  g_cond_clear (&ping->cond);
}

static void
bench_latency (double *p50,
               double *p99)
{
  Ping ping = { 0, };
  g_autoptr(FluidWorker) worker = NULL;

  worker = fluid_queue_consumer_worker_new (ping_message, &ping, NULL);
  ping.consumer = FLUID_QUEUE_CONSUMER (worker);
  ping.send = ping_send_message;
  start_settled (worker);

  ping_run (&ping, p50, p99);
  fluid_test_shutdown (worker, NULL);
}

static void
bench_wakeup_floor (double *p50,
                    double *p99)
{
  Ping ping = { 0, };

  ping.source = g_source_new (&ping_source_funcs, sizeof (GSource));
  g_source_set_callback (ping.source, ping_source_callback, &ping, NULL);
  ping.send = ping_send_wakeup;
  g_source_attach (ping.source, NULL);

  ping_run (&ping, p50, p99);
  g_source_destroy (ping.source);
  g_source_unref (ping.source);
}

static double
bench_raw (void)
{
  GAsyncQueue *queue = g_async_queue_new ();
  gint64 start;
  double elapsed;

  start = g_get_monotonic_time ();
  for (gsize i = 1; i <= N_MESSAGES; i++)
    g_async_queue_push (queue, GSIZE_TO_POINTER (i));
  for (gsize i = 1; i <= N_MESSAGES; i++)
    g_assert_true (g_async_queue_try_pop (queue) == GSIZE_TO_POINTER (i));
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  g_async_queue_unref (queue);
  return N_MESSAGES / elapsed;
}

/* The best of a few runs, as the machine is shared. */
#define RUNS 3

int
main (int   argc,
      char *argv[])
{
  double same = 0, cross = 0, raw = 0, p50 = G_MAXDOUBLE, p99 = G_MAXDOUBLE;
  double wake_p50 = G_MAXDOUBLE, wake_p99 = G_MAXDOUBLE;
  double async = 0, gtask = 0, gtask_warm = 0;

  /* Quiet: the benchmark's own output only. */
  g_log_set_writer_func (g_log_writer_default, NULL, NULL);

  /* One figure alone, to profile it: bench-queue
   * same|cross|latency|raw|async|gtask. */
  if (argc > 1)
    {
      if (g_str_equal (argv[1], "same"))
        g_print ("queue_throughput_msgs_per_s %.0f\n", bench_same_thread ());
      else if (g_str_equal (argv[1], "cross"))
        g_print ("queue_cross_thread_msgs_per_s %.0f\n", bench_cross_thread ());
      else if (g_str_equal (argv[1], "raw"))
        g_print ("raw_gasyncqueue_msgs_per_s %.0f\n", bench_raw ());
      else if (g_str_equal (argv[1], "async"))
        g_print ("async_queue_msgs_per_s %.0f\n", bench_async ());
      else if (g_str_equal (argv[1], "gtask"))
        g_print ("gtask_floor_per_s %.0f\ngtask_floor_warm_per_s %.0f\n",
                 bench_gtask_floor (N_MESSAGES), bench_gtask_floor (GTASK_WARM_ROUND));
      else if (g_str_equal (argv[1], "latency"))
        {
          bench_latency (&p50, &p99);
          g_print ("send_to_handle_p50_us %.1f\nsend_to_handle_p99_us %.1f\n", p50, p99);
          bench_wakeup_floor (&p50, &p99);
          g_print ("context_wakeup_p50_us %.1f\ncontext_wakeup_p99_us %.1f\n", p50, p99);
        }
      else
        return 2;
      return 0;
    }

  for (guint run = 0; run < RUNS; run++)
    {
      double run_p50, run_p99;

      /* The order spares each figure the heap the others leave: the
       * asynchronous path, whose GTasks come from the slice allocator,
       * before the consumers whose messages four threads allocate, the
       * floors last. */
      raw = MAX (raw, bench_raw ());
      async = MAX (async, bench_async ());
      same = MAX (same, bench_same_thread ());
      cross = MAX (cross, bench_cross_thread ());
      gtask_warm = MAX (gtask_warm, bench_gtask_floor (GTASK_WARM_ROUND));
      /* It holds a million tasks and idles at once. */
      gtask = MAX (gtask, bench_gtask_floor (N_MESSAGES));
      bench_latency (&run_p50, &run_p99);
      if (run_p99 < p99)
        {
          p50 = run_p50;
          p99 = run_p99;
        }
      bench_wakeup_floor (&run_p50, &run_p99);
      if (run_p99 < wake_p99)
        {
          wake_p50 = run_p50;
          wake_p99 = run_p99;
        }
    }

  g_print ("queue_throughput_msgs_per_s %.0f\n", same);
  g_print ("queue_cross_thread_msgs_per_s %.0f\n", cross);
  g_print ("send_to_handle_p50_us %.1f\n", p50);
  g_print ("send_to_handle_p99_us %.1f\n", p99);
  g_print ("context_wakeup_p50_us %.1f\n", wake_p50);
  g_print ("context_wakeup_p99_us %.1f\n", wake_p99);
  g_print ("raw_gasyncqueue_msgs_per_s %.0f\n", raw);
  g_print ("queue_throughput_vs_raw_percent %.1f\n", 100.0 * same / raw);
  g_print ("async_queue_msgs_per_s %.0f\n", async);
  g_print ("gtask_floor_per_s %.0f\n", gtask);
  g_print ("async_vs_gtask_floor_percent %.1f\n", 100.0 * async / gtask);
  g_print ("gtask_floor_warm_per_s %.0f\n", gtask_warm);
  g_print ("async_vs_gtask_floor_warm_percent %.1f\n", 100.0 * async / gtask_warm);

  return 0;
}
