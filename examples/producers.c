/* producers.c: threads that feed a queue consumer
 *
 * Four threads send 250 numbers each to a FluidQueueConsumerWorker, which
 * adds them up on the main context, one at a time. The consumer is then
 * shut down with drain-on-stop set, so that what is still queued is handled
 * first; a number sent after it stopped is counted as discarded.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#define N_PRODUCERS 4
#define N_MESSAGES 250

static int finished_producers = 0;

/* The consumer's FluidMessageFunc, called on the main context. */
static void
add_number (FluidQueueConsumerWorker *worker,
            const GValue             *message,
            gpointer                  user_data)
{
  guint64 *sum = user_data;

  *sum += g_value_get_int (message);
}

/* A producer thread: fluid_queue_consumer_send() is thread-safe. */
static gpointer
produce (gpointer user_data)
{
  FluidQueueConsumer *consumer = user_data;
  GValue message = G_VALUE_INIT;

  g_value_init (&message, G_TYPE_INT);
  for (int i = 1; i <= N_MESSAGES; i++)
    {
      g_value_set_int (&message, i);
      fluid_queue_consumer_send (consumer, &message);
    }

  g_atomic_int_inc (&finished_producers);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the thread-default main context until an async call completes. */
static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

int
main (int   argc,
      char *argv[])
{
  guint64 sum = 0, processed = 0, discarded = 0;
  guint queue_size = 0;
  g_autoptr(FluidWorker) consumer = fluid_queue_consumer_worker_new (add_number, &sum, NULL);
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GAsyncResult) stopped = NULL;
  g_autoptr(GAsyncResult) status_result = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GError) error = NULL;
  GThread *producers[N_PRODUCERS];
  gboolean ok;

  fluid_worker_startup_async (consumer, NULL, done_cb, &started);
  if (!fluid_worker_startup_finish (consumer, wait_for (&started), &error))
    g_error ("startup failed: %s", error->message);

  for (int i = 0; i < N_PRODUCERS; i++)
    producers[i] = g_thread_new ("producer", produce, consumer);

  /* The consumer handles the numbers as they come. */
  while (g_atomic_int_get (&finished_producers) < N_PRODUCERS)
    g_main_context_iteration (NULL, TRUE);
  for (int i = 0; i < N_PRODUCERS; i++)
    g_thread_join (producers[i]);

  /* A graceful stop first handles the numbers still queued. */
  g_print ("queued when stopping: %u\n",
           fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (consumer)));
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (consumer), TRUE);
  fluid_worker_shutdown_async (consumer, NULL, done_cb, &stopped);
  if (!fluid_worker_shutdown_finish (consumer, wait_for (&stopped), &error))
    g_error ("shutdown failed: %s", error->message);

  /* Too late: freed and counted. */
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (consumer), "late");

  fluid_worker_status_async (consumer, NULL, done_cb, &status_result);
  status = fluid_worker_status_finish (consumer, wait_for (&status_result), &error);
  g_assert_no_error (error);
  g_variant_lookup (status, "processed", "t", &processed);
  g_variant_lookup (status, "discarded", "t", &discarded);
  g_variant_lookup (status, "queue_size", "u", &queue_size);

  g_print ("sum %" G_GUINT64_FORMAT ", processed %" G_GUINT64_FORMAT
           ", discarded %" G_GUINT64_FORMAT ", queue_size %u\n",
           sum, processed, discarded, queue_size);

  ok = sum == (guint64) N_PRODUCERS * N_MESSAGES * (N_MESSAGES + 1) / 2 &&
       processed == N_PRODUCERS * N_MESSAGES &&
       discarded == 1 &&
       queue_size == 0;
  if (!ok)
    g_printerr ("unexpected totals\n");

  return ok ? 0 : 1;
}
