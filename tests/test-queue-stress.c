/* test-queue-stress.c: a consumer stopped with a huge queue must not block
 * the producers while it discards
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

/* Small string messages, enough that discarding them takes long beside
 * one send, even one that the system preempts for a few ticks. */
#define N_QUEUED 2000000

typedef struct
{
  FluidQueueConsumer *consumer;
  int                 go;        /* atomic: set once the queue is full */
  int                 stop;      /* atomic: set once shutdown completed */
  guint64             sent;      /* written by the producer, read after join */
  gint64              longest;   /* us, the longest single send */
} Producer;

static gpointer
producer_thread (gpointer data)
{
  Producer *producer = data;
  GValue message = G_VALUE_INIT;

  g_value_init (&message, G_TYPE_INT);
  /* Warms up: the first sends of a thread set up its allocator. */
  for (; producer->sent < 1000; producer->sent++)
    fluid_queue_consumer_send (producer->consumer, &message);
  while (!g_atomic_int_get (&producer->go))
    g_thread_yield ();

  /* Sends until the shutdown completed, so that it sends all through the
   * discard, whatever the machine's speed. */
  while (!g_atomic_int_get (&producer->stop))
    {
      gint64 start, duration;

      g_value_set_int (&message, (int) producer->sent);
      start = g_get_monotonic_time ();
      fluid_queue_consumer_send (producer->consumer, &message);
      duration = g_get_monotonic_time () - start;
      producer->sent++;
      if (duration > producer->longest)
        producer->longest = duration;
    }
  return NULL;
}

static void
ignore_message (FluidQueueConsumerWorker *worker,
                const GValue             *message,
                gpointer                  user_data)
{
}

static guint64
status_uint64 (FluidWorker *worker,
               const char  *key)
{
  g_autoptr(GVariant) status = fluid_test_status (worker);
  guint64 value = 0;

  g_assert_true (g_variant_lookup (status, key, "t", &value));
  return value;
}

/* Bug 10: a stop that discards millions of messages held the queue's lock
 * all along, and a producer's send waited for the whole discard. The
 * longest send must stay well below the discard's own duration, measured
 * in the same run (never against a fixed time: this runs under
 * sanitizers). Every message, those sent during and after the stop too,
 * ends processed or discarded. */
static void
test_discard_does_not_block_producers (void)
{
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (ignore_message, NULL, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  Producer producer = { consumer, 0, 0, 0, 0 };
  g_auto(GValue) message = G_VALUE_INIT;
  char text[16];
  GThread *thread;
  gint64 start, discard;
  guint64 processed, discarded;

  g_value_init (&message, G_TYPE_STRING);
  for (int i = 0; i < N_QUEUED; i++)
    {
      g_snprintf (text, sizeof text, "%d", i);
      g_value_set_string (&message, text);
      fluid_queue_consumer_send (consumer, &message);
    }
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, N_QUEUED);

  thread = g_thread_new ("producer", producer_thread, &producer);
  /* Started and stopped before its context dispatches: run ends without
   * handling a message, and the whole queue is discarded. */
  fluid_worker_startup_async (worker, NULL, NULL, NULL);
  fluid_worker_gracefully_stop (worker);
  g_atomic_int_set (&producer.go, TRUE);

  start = g_get_monotonic_time ();
  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));
  discard = g_get_monotonic_time () - start;
  g_atomic_int_set (&producer.stop, TRUE);
  g_thread_join (thread);

  g_test_message ("discard of %d messages: %" G_GINT64_FORMAT " us; longest send: %"
                  G_GINT64_FORMAT " us; %" G_GUINT64_FORMAT " sent meanwhile",
                  N_QUEUED, discard, producer.longest, producer.sent);
  /* Before, the longest send took most of the discard. */
  g_assert_cmpint (producer.longest * 4, <, discard);

  processed = status_uint64 (worker, "processed");
  discarded = status_uint64 (worker, "discarded");
  g_assert_cmpuint (processed + discarded, ==, N_QUEUED + producer.sent);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/queue-stress/discard-does-not-block-producers",
                   test_discard_does_not_block_producers);

  return g_test_run ();
}
