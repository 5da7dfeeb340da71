/* bench-threads.c: work off the worker's thread, and backpressure
 *
 * Prints "metric value" lines:
 *   threaded_speedup_4_threads: 40 jobs of 20 ms of blocking work through a
 *     threaded consumer, one thread's time over four threads' time;
 *   main_context_max_gap_us: the longest a 5 ms timer on the worker's
 *     context runs late while 4 threads are busy and messages stream in
 *     from a producer thread;
 *   threaded_queue_msgs_per_s, unthreaded_queue_msgs_per_s,
 *     threaded_vs_unthreaded_ratio: 1 000 000 no-op messages through 4
 *     threads, and through the consumer's own context, in the same run;
 *   send_async_backpressure_msgs_per_s: a bounded queue of 1 000 fed by a
 *     producer thread that waits for each send_async;
 *   raw_gasyncqueue_msgs_per_s: the same messages through a bare
 *     GAsyncQueue between a thread and another, as the limit.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

typedef struct
{
  gint   handled;       /* atomic */
  gulong sleep_us;      /* blocking work per message */
  gulong spin_us;       /* busy work per message */
  gint   target;        /* wakes the main context once reached, from a thread */
} Work;

static gboolean
do_work (FluidQueueConsumerWorker  *worker,
         const GValue              *message,
         GCancellable              *cancellable,
         gpointer                   user_data,
         GError                   **error)
{
  Work *work = user_data;

  if (work->sleep_us > 0)
    g_usleep (work->sleep_us);
  if (work->spin_us > 0)
    {
      gint64 until = g_get_monotonic_time () + (gint64) work->spin_us;

      while (g_get_monotonic_time () < until)
        ;
    }
  /* The threads do not wake the worker's context for each message: the
   * last one does, for the waiting loop below. */
  if (g_atomic_int_add (&work->handled, 1) + 1 == work->target)
    g_main_context_wakeup (NULL);
  return TRUE;
}

static void
count_message (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               gpointer                  user_data)
{
  g_atomic_int_inc (&((Work *) user_data)->handled);
}

/* Seconds to handle @n queued messages with @worker. */
static double
time_consumer (FluidWorker *worker,
               Work        *work,
               guint        n)
{
  g_autoptr(GError) error = NULL;
  gint64 start;
  double seconds;

  work->target = (gint) n;
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (worker), 0, n);
  start = g_get_monotonic_time ();
  g_assert_true (fluid_test_startup (worker, &error));
  while ((guint) g_atomic_int_get (&work->handled) < n)
    g_main_context_iteration (NULL, TRUE);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_assert_true (fluid_test_shutdown (worker, &error));
  return seconds;
}

static void
bench_speedup (void)
{
  Work serial_work = { 0, 20000, 0, 0 }, threaded_work = { 0, 20000, 0, 0 };
  g_autoptr(FluidWorker) serial = fluid_queue_consumer_worker_new_threaded (1, do_work, &serial_work, NULL);
  g_autoptr(FluidWorker) threaded = fluid_queue_consumer_worker_new_threaded (4, do_work, &threaded_work, NULL);
  double one = time_consumer (serial, &serial_work, 40);
  double four = time_consumer (threaded, &threaded_work, 40);

  g_print ("threaded_serial_40_jobs_ms %.1f\n", one * 1000);
  g_print ("threaded_4_threads_40_jobs_ms %.1f\n", four * 1000);
  g_print ("threaded_speedup_4_threads %.2f\n", one / four);
}

typedef struct
{
  gint64 last;
  gint64 max_gap;
} Ticks;

static gboolean
tick_cb (gpointer user_data)
{
  Ticks *ticks = user_data;
  gint64 now = g_get_monotonic_time ();

  if (ticks->last != 0)
    ticks->max_gap = MAX (ticks->max_gap, now - ticks->last - 5000);
  ticks->last = now;
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  FluidQueueConsumer *consumer;
  gint                stop;      /* atomic */
  guint               sent;
} Stream;

static void
stream_sent_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  gboolean *done = user_data;

  fluid_queue_consumer_send_finish (FLUID_QUEUE_CONSUMER (source), result, NULL);
  *done = TRUE;
}

/* Sends messages one after another with send_async, waiting for each. */
static gpointer
stream_produce (gpointer user_data)
{
  Stream *stream = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  GValue value = G_VALUE_INIT;

  g_main_context_push_thread_default (context);
  g_value_init (&value, G_TYPE_INT);
  while (!g_atomic_int_get (&stream->stop))
    {
      gboolean done = FALSE;

      g_value_set_int (&value, (int) stream->sent++);
      fluid_queue_consumer_send_async (stream->consumer, &value, NULL, stream_sent_cb, &done);
      while (!done)
        g_main_context_iteration (context, TRUE);
    }
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
bench_main_context_gap (void)
{
  Work work = { 0, 0, 1000, 0 };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_threaded (4, do_work, &work, NULL);
  Stream stream = { FLUID_QUEUE_CONSUMER (worker), 0, 0 };
  g_autoptr(GError) error = NULL;
  Ticks ticks = { 0, 0 };
  GThread *producer;
  guint tick;
  gint64 end;

  fluid_queue_consumer_set_max_queue_size (stream.consumer, 100);
  g_assert_true (fluid_test_startup (worker, &error));
  producer = g_thread_new ("producer", stream_produce, &stream);
  tick = g_timeout_add (5, tick_cb, &ticks);
  end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  g_atomic_int_set (&stream.stop, TRUE);
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_thread_join (producer);
  g_print ("main_context_max_gap_us %" G_GINT64_FORMAT "\n", ticks.max_gap);
  g_print ("main_context_gap_messages_handled %d\n", g_atomic_int_get (&work.handled));
}

static void
bench_throughput (void)
{
  const guint n = 1000000;
  Work threaded_work = { 0, 0, 0, 0 }, unthreaded_work = { 0, 0, 0, 0 };
  g_autoptr(FluidWorker) threaded = fluid_queue_consumer_worker_new_threaded (4, do_work, &threaded_work, NULL);
  g_autoptr(FluidWorker) unthreaded = fluid_queue_consumer_worker_new (count_message, &unthreaded_work, NULL);
  double threaded_s = time_consumer (threaded, &threaded_work, n);
  double unthreaded_s = time_consumer (unthreaded, &unthreaded_work, n);

  g_print ("threaded_queue_msgs_per_s %.0f\n", n / threaded_s);
  g_print ("unthreaded_queue_msgs_per_s %.0f\n", n / unthreaded_s);
  g_print ("threaded_vs_unthreaded_ratio %.2f\n", threaded_s / unthreaded_s);
}

static void
bench_send_async (void)
{
  Work work = { 0, 0, 0, 0 };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (count_message, &work, NULL);
  Stream stream = { FLUID_QUEUE_CONSUMER (worker), 0, 0 };
  g_autoptr(GError) error = NULL;
  GThread *producer;
  gint64 start, end;
  gint handled_at_start;

  fluid_queue_consumer_set_max_queue_size (stream.consumer, 1000);
  g_assert_true (fluid_test_startup (worker, &error));
  producer = g_thread_new ("producer", stream_produce, &stream);
  /* A warm-up, then two seconds. */
  while (g_atomic_int_get (&work.handled) < 10000)
    g_main_context_iteration (NULL, TRUE);
  handled_at_start = g_atomic_int_get (&work.handled);
  start = g_get_monotonic_time ();
  end = start + 2 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_print ("send_async_backpressure_msgs_per_s %.0f\n",
           (g_atomic_int_get (&work.handled) - handled_at_start) / ((g_get_monotonic_time () - start) / 1e6));
  g_atomic_int_set (&stream.stop, TRUE);
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_thread_join (producer);
}

static gpointer
raw_consume (gpointer user_data)
{
  GAsyncQueue *queue = user_data;

  for (;;)
    {
      gpointer item = g_async_queue_pop (queue);

      if (item == GINT_TO_POINTER (-1))
        return NULL;
    }
}

static void
bench_raw (void)
{
  const guint n = 1000000;
  GAsyncQueue *queue = g_async_queue_new ();
  GThread *consumer = g_thread_new ("raw", raw_consume, queue);
  gint64 start = g_get_monotonic_time ();

  for (guint i = 1; i <= n; i++)
    g_async_queue_push (queue, GUINT_TO_POINTER (i));
  g_async_queue_push (queue, GINT_TO_POINTER (-1));
  g_thread_join (consumer);
  g_print ("raw_gasyncqueue_msgs_per_s %.0f\n", n / ((g_get_monotonic_time () - start) / 1e6));
  g_async_queue_unref (queue);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  bench_speedup ();
  bench_main_context_gap ();
  bench_throughput ();
  bench_send_async ();
  bench_raw ();
  return 0;
}
