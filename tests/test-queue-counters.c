/* test-queue-counters.c: the counter properties of any queue consumer
 * (processed, failed, discarded, queue-size), bound as a user interface
 * binds them, with messages handled on threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

/* Handled over about a second (2 threads, 200 µs each), so that the rate
 * shows. */
#define N_MESSAGES 10000

/* Fails every multiple of 5. */
static gboolean
handle (FluidQueueConsumerWorker  *worker,
        const GValue              *message,
        GCancellable              *cancellable,
        gpointer                   user_data,
        GError                   **error)
{
  g_usleep (200);
  if (g_value_get_int (message) % 5 == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "a multiple of 5");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  const char *name;
  guint       notified;
  guint64     last;
  gulong      handler;
} Counter;

static void
counter_notify_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  Counter *counter = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  /* On the context: the test's thread. */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_assert_cmpstr (pspec->name, ==, counter->name);
  g_value_init (&value, pspec->value_type);
  g_object_get_property (object, pspec->name, &value);
  counter->last = pspec->value_type == G_TYPE_UINT ? g_value_get_uint (&value)
                                                   : g_value_get_uint64 (&value);
  counter->notified++;
}

static void
counter_connect (Counter     *counter,
                 gpointer     consumer,
                 const char  *name)
{
  g_autofree char *signal = g_strconcat ("notify::", name, NULL);

  *counter = (Counter) { name, 0, 0, 0 };
  counter->handler = g_signal_connect (consumer, signal, G_CALLBACK (counter_notify_cb), counter);
}

/* Each counter is notified with its last value, at most ten times a
 * second (+ 1: the first notification is not held back), on the context. */
static void
test_bound_counters (void)
{
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_threaded (2, handle, NULL, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  Counter processed, failed, queue_size, discarded;
  gint64 start;
  double seconds;

  /* A failure is the test's to count, not a reason to stop. */
  fluid_queue_consumer_set_stop_on_failure (consumer, FALSE);
  counter_connect (&processed, consumer, "processed");
  counter_connect (&failed, consumer, "failed");
  counter_connect (&queue_size, consumer, "queue-size");
  counter_connect (&discarded, consumer, "discarded");

  start = g_get_monotonic_time ();
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_send_ints (consumer, 1, N_MESSAGES);
  fluid_test_wait_until (processed.last + failed.last == N_MESSAGES && queue_size.last == 0);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("processed notified %u times, failed %u, queue-size %u in %.3f s",
                  processed.notified, failed.notified, queue_size.notified, seconds);

  g_assert_cmpuint (processed.last, ==, N_MESSAGES / 5 * 4);
  g_assert_cmpuint (failed.last, ==, N_MESSAGES / 5);
  g_assert_cmpuint (processed.last, ==, fluid_queue_consumer_get_processed (consumer));
  g_assert_cmpuint (failed.last, ==, fluid_queue_consumer_get_failed (consumer));
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, processed.last);
  g_assert_cmpuint (processed.notified, >=, 1);
  g_assert_cmpfloat (processed.notified, <=, 10 * seconds + 1);
  g_assert_cmpfloat (failed.notified, <=, 10 * seconds + 1);
  g_assert_cmpfloat (queue_size.notified, <=, 10 * seconds + 1);
  g_assert_cmpuint (discarded.notified, ==, 0);

  /* Nobody listening to processed: a handler connected later hears the
   * value of now, not what happened meanwhile. */
  g_signal_handler_disconnect (consumer, processed.handler);
  fluid_test_send_ints (consumer, 1, 1000);
  fluid_test_wait_until (fluid_queue_consumer_get_processed (consumer) == N_MESSAGES / 5 * 4 + 800);
  counter_connect (&processed, consumer, "processed");
  fluid_test_send_ints (consumer, 1, 4);
  fluid_test_wait_until (processed.last == N_MESSAGES / 5 * 4 + 804);

  /* Sent to a stopped consumer: discarded, and notified. */
  g_assert_true (fluid_test_shutdown (worker, NULL));
  fluid_test_send_ints (consumer, 1, 10);
  fluid_test_wait_until (discarded.last == 10);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 10);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/queue-counters/bound", test_bound_counters);

  return g_test_run ();
}
