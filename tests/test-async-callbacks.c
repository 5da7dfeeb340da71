/* test-async-callbacks.c: the asynchronous callbacks that bindings use to
 * fail a message or a worker (fluid_queue_consumer_worker_new_async())
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

typedef struct
{
  GPtrArray *handled;   /* the strings, in the order handled */
  gboolean   in_call;
  guint      failed_signals;
} Handler;

static gboolean
complete_message_cb (gpointer user_data)
{
  GTask *task = user_data;
  Handler *handler = g_task_get_task_data (task);
  const char *text = g_ptr_array_index (handler->handled, handler->handled->len - 1);

  handler->in_call = FALSE;
  if (g_str_has_prefix (text, "bad"))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s refused", text);
  else
    g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
handle_later (FluidQueueConsumerWorker *worker,
              const GValue             *message,
              GTask                    *task,
              gpointer                  user_data)
{
  Handler *handler = user_data;

  /* One message at a time: the next waits for this task. */
  g_assert_false (handler->in_call);
  handler->in_call = TRUE;
  g_ptr_array_add (handler->handled, g_value_dup_string (message));
  g_task_set_task_data (task, handler, NULL);
  g_idle_add_full (G_PRIORITY_DEFAULT, complete_message_cb, g_object_ref (task), g_object_unref);
}

static void
count_failed_cb (FluidQueueConsumer *consumer,
                 const GValue       *message,
                 const GError       *error,
                 gpointer            user_data)
{
  Handler *handler = user_data;

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  handler->failed_signals++;
}

static guint64
status_count (FluidWorker *worker,
              const char  *key)
{
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint64 value = 0;

  fluid_worker_status_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  status = fluid_worker_status_finish (worker, result, NULL);
  g_assert_true (g_variant_lookup (status, key, "t", &value));
  return value;
}

/* Messages are handled one after another, each waiting for its task; a task
 * that fails fails its message, and with stop-on-failure off the worker goes
 * on. */
static void
test_consumer_async_func (void)
{
  Handler handler = { g_ptr_array_new_with_free_func (g_free), FALSE, 0 };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_async (handle_later, &handler, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GError) error = NULL;
  const char *sent[] = { "one", "bad two", "three", "bad four", "five" };

  fluid_queue_consumer_set_stop_on_failure (consumer, FALSE);
  g_signal_connect (worker, "message-failed", G_CALLBACK (count_failed_cb), &handler);
  for (guint i = 0; i < G_N_ELEMENTS (sent); i++)
    fluid_queue_consumer_send_string (consumer, sent[i]);

  g_assert_true (fluid_test_startup (worker, &error));
  fluid_test_wait_until (handler.handled->len == G_N_ELEMENTS (sent) && !handler.in_call);
  g_assert_cmpuint (status_count (worker, "processed"), ==, 3);
  g_assert_cmpuint (status_count (worker, "failed"), ==, 2);
  g_assert_cmpuint (handler.failed_signals, ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (sent); i++)
    g_assert_cmpstr (g_ptr_array_index (handler.handled, i), ==, sent[i]);

  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  g_ptr_array_unref (handler.handled);
}

/* With stop-on-failure (the default), the first failed message ends the
 * worker with its error; the rest are discarded and counted. */
static void
test_consumer_async_func_stops (void)
{
  Handler handler = { g_ptr_array_new_with_free_func (g_free), FALSE, 0 };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_async (handle_later, &handler, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GError) error = NULL;

  fluid_queue_consumer_send_string (consumer, "one");
  fluid_queue_consumer_send_string (consumer, "bad two");
  fluid_queue_consumer_send_string (consumer, "three");

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, 2);
  g_assert_cmpuint (status_count (worker, "processed") + status_count (worker, "failed")
                    + fluid_queue_consumer_get_discarded (consumer), ==, 3);
  g_assert_cmpuint (status_count (worker, "failed"), ==, 1);
  g_ptr_array_unref (handler.handled);
}

static void
test_consumer_async_bad_input (void)
{
  if (g_test_subprocess ())
    {
      FluidWorker *worker = fluid_queue_consumer_worker_new_async (NULL, NULL, NULL);

      g_assert_null (worker);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*func != NULL*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/async-callbacks/consumer", test_consumer_async_func);
  g_test_add_func ("/async-callbacks/consumer-stops", test_consumer_async_func_stops);
  g_test_add_func ("/async-callbacks/consumer-bad-input", test_consumer_async_bad_input);

  return g_test_run ();
}
