/* test-queue-getters.c: get_message calls waiting when a consumer stops
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

typedef struct
{
  gboolean done;
  char    *text;
} Got;

static void
got_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Got *got = user_data;
  g_autoptr(GError) error = NULL;
  GValue *message = fluid_queue_consumer_get_message_finish (FLUID_QUEUE_CONSUMER (source), result, &error);

  g_assert_no_error (error);
  got->done = TRUE;
  if (message != NULL)
    {
      got->text = g_value_dup_string (message);
      g_value_unset (message);
      g_free (message);
    }
}

/* Two calls wait; three messages are sent and the stop is requested in the
 * same turn of the loop: the two waiting calls get the first two messages,
 * a call made after the stop gets NULL, and the third message is
 * discarded. */
static void
test_waiting_getters_get_their_messages (void)
{
  g_autoptr(FluidWorker) worker = g_object_new (FLUID_TEST_TYPE_IDLE_CONSUMER, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GError) error = NULL;
  Got first = { FALSE, NULL }, second = { FALSE, NULL }, late = { FALSE, NULL };

  g_assert_true (fluid_test_startup (worker, &error));
  fluid_queue_consumer_get_message_async (consumer, -1, NULL, got_cb, &first);
  fluid_queue_consumer_get_message_async (consumer, -1, NULL, got_cb, &second);
  fluid_test_settle (NULL);
  g_assert_false (first.done);

  fluid_queue_consumer_send_string (consumer, "one");
  fluid_queue_consumer_send_string (consumer, "two");
  fluid_queue_consumer_send_string (consumer, "three");
  fluid_worker_gracefully_stop (worker);
  fluid_queue_consumer_get_message_async (consumer, -1, NULL, got_cb, &late);

  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
  fluid_test_wait_until (first.done && second.done && late.done);
  g_assert_cmpstr (first.text, ==, "one");
  g_assert_cmpstr (second.text, ==, "two");
  g_assert_null (late.text);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 1);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);
  g_free (first.text);
  g_free (second.text);
}

/* No call waits: a stop without drain-on-stop hands nothing out. */
static void
test_no_waiting_getter_no_handoff (void)
{
  g_autoptr(FluidWorker) worker = g_object_new (FLUID_TEST_TYPE_IDLE_CONSUMER, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GError) error = NULL;
  Got late = { FALSE, NULL };

  g_assert_true (fluid_test_startup (worker, &error));
  fluid_queue_consumer_send_string (consumer, "one");
  fluid_worker_gracefully_stop (worker);
  fluid_queue_consumer_get_message_async (consumer, -1, NULL, got_cb, &late);
  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
  fluid_test_wait_until (late.done);
  g_assert_null (late.text);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/queue-getters/waiting-getters-get-their-messages",
                   test_waiting_getters_get_their_messages);
  g_test_add_func ("/queue-getters/no-waiting-getter-no-handoff", test_no_waiting_getter_no_handoff);

  return g_test_run ();
}
