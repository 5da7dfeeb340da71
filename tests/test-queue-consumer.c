/* test-queue-consumer.c: FluidQueueConsumer and FluidQueueConsumerWorker:
 * sending and handling, draining, get_message, states, types
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-queue-consumer-common.h"

/* A worker whose on_message completes on a later main-loop iteration, and
 * fails on the message "fail". */
#define TEST_TYPE_SLOW_WORKER (test_slow_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestSlowWorker, test_slow_worker, TEST, SLOW_WORKER, FluidQueueConsumerWorker)

struct _TestSlowWorker
{
  FluidQueueConsumerWorker parent_instance;

  GString  *seen;
  gboolean  in_flight;
};

G_DEFINE_FINAL_TYPE (TestSlowWorker, test_slow_worker, FLUID_TYPE_QUEUE_CONSUMER_WORKER)

static gboolean
test_slow_worker_complete_cb (gpointer user_data)
{
  GTask *task = user_data;
  TestSlowWorker *self = g_task_get_source_object (task);
  const char *text = g_task_get_task_data (task);

  g_assert_true (self->in_flight);
  self->in_flight = FALSE;
  if (g_str_equal (text, "fail"))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "handler failed");
  else
    g_task_return_boolean (task, TRUE);

  return G_SOURCE_REMOVE;
}

static void
test_slow_worker_on_message_async (FluidQueueConsumerWorker *worker,
                                   const GValue             *message,
                                   GCancellable             *cancellable,
                                   GAsyncReadyCallback       callback,
                                   gpointer                  user_data)
{
  TestSlowWorker *self = TEST_SLOW_WORKER (worker);
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  /* One at a time. */
  g_assert_false (self->in_flight);
  self->in_flight = TRUE;
  g_string_append_printf (self->seen, "%s;", g_value_get_string (message));
  g_task_set_task_data (task, g_value_dup_string (message), g_free);
  g_idle_add_full (G_PRIORITY_DEFAULT, test_slow_worker_complete_cb, task, g_object_unref);
}

static gboolean
test_slow_worker_on_message_finish (FluidQueueConsumerWorker  *worker,
                                    GAsyncResult              *result,
                                    GError                   **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_slow_worker_finalize (GObject *object)
{
  TestSlowWorker *self = TEST_SLOW_WORKER (object);

  g_string_free (self->seen, TRUE);
  G_OBJECT_CLASS (test_slow_worker_parent_class)->finalize (object);
}

static void
test_slow_worker_class_init (TestSlowWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidQueueConsumerWorkerClass *worker_class = FLUID_QUEUE_CONSUMER_WORKER_CLASS (klass);

  object_class->finalize = test_slow_worker_finalize;
  worker_class->on_message_async = test_slow_worker_on_message_async;
  worker_class->on_message_finish = test_slow_worker_on_message_finish;
}

static void
test_slow_worker_init (TestSlowWorker *self)
{
  self->seen = g_string_new (NULL);
}

/* What a FluidMessageFunc records. */
typedef struct
{
  GString  *seen;
  guint     count;
  guint     stop_at;   /* stop the worker on the message with this count, 0: never */
  GThread  *thread;
} Recorder;

static void
recorder_init (Recorder *recorder)
{
  recorder->seen = g_string_new (NULL);
  recorder->count = 0;
  recorder->stop_at = 0;
  recorder->thread = NULL;
}

static void
recorder_clear (Recorder *recorder)
{
  g_string_free (recorder->seen, TRUE);
}

static void
record_message (FluidQueueConsumerWorker *worker,
                const GValue             *message,
                gpointer                  user_data)
{
  Recorder *recorder = user_data;

  recorder->count++;
  recorder->thread = g_thread_self ();
  if (G_VALUE_HOLDS_STRING (message))
    g_string_append_printf (recorder->seen, "%s;", g_value_get_string (message));
  else if (G_VALUE_HOLDS_INT (message))
    g_string_append_printf (recorder->seen, "%d;", g_value_get_int (message));
  else
    g_string_append_printf (recorder->seen, "%s;", G_VALUE_TYPE_NAME (message));

  if (recorder->count == recorder->stop_at)
    fluid_worker_gracefully_stop (FLUID_WORKER (worker));
}

/* aio-fluid's test_consumer: a message sent before the start is handled
 * after it; the queue size goes from 1 to 0. */
static void
test_consumer (void)
{
  Recorder recorder;
  g_autoptr(FluidWorker) worker = NULL;
  FluidQueueConsumer *consumer;
  g_autoptr(GError) error = NULL;

  recorder_init (&recorder);
  worker = fluid_queue_consumer_worker_new (record_message, &recorder, NULL);
  consumer = FLUID_QUEUE_CONSUMER (worker);

  fluid_queue_consumer_send_string (consumer, "hello");
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 1);
  g_assert_cmpuint (recorder.count, ==, 0);

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_no_error (error);
  fluid_test_wait_until (recorder.count == 1);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);
  g_assert_cmpstr (recorder.seen->str, ==, "hello;");

  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
  recorder_clear (&recorder);
}

static void
test_order (void)
{
  Recorder recorder;
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GString) expected = g_string_new (NULL);

  recorder_init (&recorder);
  worker = fluid_queue_consumer_worker_new (record_message, &recorder, NULL);
  for (int i = 0; i < 50; i++)
    {
      send_int (FLUID_QUEUE_CONSUMER (worker), i);
      g_string_append_printf (expected, "%d;", i);
    }
  g_assert_true (fluid_test_startup (worker, NULL));
  for (int i = 50; i < 100; i++)
    {
      send_int (FLUID_QUEUE_CONSUMER (worker), i);
      g_string_append_printf (expected, "%d;", i);
    }
  fluid_test_wait_until (recorder.count == 100);
  g_assert_cmpstr (recorder.seen->str, ==, expected->str);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, 100);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  recorder_clear (&recorder);
}

/* Every message ready when the context dispatches the queue is handled in
 * that one dispatch. */
static void
test_batching (void)
{
  Recorder recorder;
  g_autoptr(FluidWorker) worker = NULL;

  recorder_init (&recorder);
  worker = fluid_queue_consumer_worker_new (record_message, &recorder, NULL);
  g_assert_true (fluid_test_startup (worker, NULL));
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

  for (int i = 0; i < 1000; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), i);
  g_assert_cmpuint (recorder.count, ==, 0);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (recorder.count, ==, 1000);

  g_assert_true (fluid_test_shutdown (worker, NULL));
  recorder_clear (&recorder);
}

static void
test_status (void)
{
  Recorder recorder;
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GVariant) status = NULL;
  guint32 queue_size = 0;
  guint64 discarded = 1, processed = 1;
  gboolean running = FALSE;

  recorder_init (&recorder);
  worker = fluid_queue_consumer_worker_new (record_message, &recorder, NULL);
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "a");
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "b");

  status = fluid_test_status (worker);
  g_assert_true (g_variant_lookup (status, "queue_size", "u", &queue_size));
  g_assert_true (g_variant_lookup (status, "discarded", "t", &discarded));
  g_assert_true (g_variant_lookup (status, "processed", "t", &processed));
  g_assert_true (g_variant_lookup (status, "running", "b", &running));
  g_assert_cmpuint (queue_size, ==, 2);
  g_assert_cmpuint (discarded, ==, 0);
  g_assert_cmpuint (processed, ==, 0);
  g_assert_false (running);
  g_clear_pointer (&status, g_variant_unref);

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (recorder.count == 2);
  status = fluid_test_status (worker);
  g_assert_true (g_variant_lookup (status, "queue_size", "u", &queue_size));
  g_assert_true (g_variant_lookup (status, "processed", "t", &processed));
  g_assert_true (g_variant_lookup (status, "running", "b", &running));
  g_assert_cmpuint (queue_size, ==, 0);
  g_assert_cmpuint (processed, ==, 2);
  g_assert_true (running);

  g_assert_true (fluid_test_shutdown (worker, NULL));
  recorder_clear (&recorder);
}

/* The message signal, without a callback. */
static void
message_signal_cb (FluidQueueConsumerWorker *worker,
                   const GValue             *message,
                   gpointer                  user_data)
{
  record_message (worker, message, user_data);
}

static void
test_message_signal (void)
{
  Recorder recorder;
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (NULL, NULL, NULL);

  recorder_init (&recorder);
  g_signal_connect (worker, "message", G_CALLBACK (message_signal_cb), &recorder);
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "x");
  send_int (FLUID_QUEUE_CONSUMER (worker), 7);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (recorder.count == 2);
  g_assert_cmpstr (recorder.seen->str, ==, "x;7;");
  g_assert_true (fluid_test_shutdown (worker, NULL));
  recorder_clear (&recorder);
}

static void
check_object_message (FluidQueueConsumerWorker *worker,
                      const GValue             *message,
                      gpointer                  user_data)
{
  guint *count = user_data;

  switch ((*count)++)
    {
    case 0:
      g_assert_true (G_VALUE_HOLDS (message, G_TYPE_INITIALLY_UNOWNED));
      g_assert_false (g_object_is_floating (g_value_get_object (message)));
      break;
    case 1:
      g_assert_true (G_VALUE_HOLDS_VARIANT (message));
      g_assert_false (g_variant_is_floating (g_value_get_variant (message)));
      g_assert_cmpint (g_variant_get_int32 (g_value_get_variant (message)), ==, 42);
      break;
    case 2:
      g_assert_true (G_VALUE_HOLDS_STRING (message));
      g_assert_cmpstr (g_value_get_string (message), ==, "copied");
      break;
    default:
      g_assert_not_reached ();
    }
}

/* The conveniences: the types they send, floating references sunk, and the
 * copy of what send is given. */
static void
test_send_types (void)
{
  guint count = 0;
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (check_object_message, &count, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  GObject *floating = g_object_new (G_TYPE_INITIALLY_UNOWNED, NULL);
  g_autofree char *text = g_strdup ("copied");
  GValue value = G_VALUE_INIT;

  g_assert_true (g_object_is_floating (floating));
  g_object_add_weak_pointer (floating, (gpointer *) &floating);
  fluid_queue_consumer_send_object (consumer, floating);
  fluid_queue_consumer_send_variant (consumer, g_variant_new_int32 (42));

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, text);
  fluid_queue_consumer_send (consumer, &value);
  g_value_unset (&value);

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (count == 3);
  /* The queue held the only reference, and released it. */
  g_assert_null (floating);
  g_assert_true (fluid_test_shutdown (worker, NULL));
}

/* on_message overridden: completes later, one at a time, in order. */
static void
test_async_on_message (void)
{
  g_autoptr(TestSlowWorker) worker = g_object_new (TEST_TYPE_SLOW_WORKER, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("m%d", i);
      fluid_queue_consumer_send_string (consumer, text);
    }
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  fluid_test_wait_until (fluid_queue_consumer_get_queue_size (consumer) == 0 && !worker->in_flight);
  g_assert_cmpstr (worker->seen->str, ==, "m0;m1;m2;m3;m4;");
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "processed"), ==, 5);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), NULL));
}

/* An error of on_message makes run fail: exit code 2. */
static void
test_async_on_message_error (void)
{
  g_autoptr(TestSlowWorker) worker = g_object_new (TEST_TYPE_SLOW_WORKER, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GError) error = NULL;

  fluid_queue_consumer_send_string (consumer, "ok");
  fluid_queue_consumer_send_string (consumer, "fail");
  fluid_queue_consumer_send_string (consumer, "never");
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (worker), &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (worker->seen->str, ==, "ok;fail;");
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 1);
}

/* A graceful stop with messages queued, drain-on-stop off then on; then
 * messages sent after the stop. */
static void
check_drain (gboolean drain,
             guint    stop_at)
{
  Recorder recorder;
  g_autoptr(FluidWorker) worker = NULL;
  FluidQueueConsumer *consumer;
  guint handled;

  recorder_init (&recorder);
  recorder.stop_at = stop_at;
  worker = fluid_queue_consumer_worker_new (record_message, &recorder, NULL);
  consumer = FLUID_QUEUE_CONSUMER (worker);
  fluid_queue_consumer_set_drain_on_stop (consumer, drain);
  g_assert_true (fluid_test_startup (worker, NULL));

  /* Queued, not yet dispatched: this thread owns the context. */
  for (int i = 0; i < 10; i++)
    send_int (consumer, i);
  if (stop_at == 0)
    fluid_worker_gracefully_stop (worker);

  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));
  handled = drain ? 10 : stop_at;
  g_assert_cmpuint (recorder.count, ==, handled);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 10 - handled);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, handled);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);

  /* After the stop, a message is discarded at once. */
  send_int (consumer, 99);
  fluid_queue_consumer_send_string (consumer, "late");
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "discarded"), ==, 10 - handled + 2);
  g_assert_cmpuint (recorder.count, ==, handled);
  recorder_clear (&recorder);
}

static void
test_drain_off (void)
{
  check_drain (FALSE, 0);
  check_drain (FALSE, 3);
}

static void
test_drain_on (void)
{
  check_drain (TRUE, 0);
  check_drain (TRUE, 3);
}

static void
stop_then_send (FluidQueueConsumerWorker *worker,
                const GValue             *message,
                gpointer                  user_data)
{
  Recorder *recorder = user_data;

  record_message (worker, message, recorder);
  if (recorder->count == 1)
    {
      fluid_worker_gracefully_stop (FLUID_WORKER (worker));
      send_int (FLUID_QUEUE_CONSUMER (worker), 100);
    }
}

/* The drain handles what was queued when the stop was requested, and not
 * what is sent during it: a producer that keeps sending cannot hold the
 * stop back. */
static void
test_drain_stops_at_the_stop (void)
{
  Recorder recorder;
  g_autoptr(FluidWorker) worker = NULL;
  FluidQueueConsumer *consumer;

  recorder_init (&recorder);
  worker = fluid_queue_consumer_worker_new (stop_then_send, &recorder, NULL);
  consumer = FLUID_QUEUE_CONSUMER (worker);
  fluid_queue_consumer_set_drain_on_stop (consumer, TRUE);
  for (int i = 0; i < 3; i++)
    send_int (consumer, i);

  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));
  g_assert_cmpstr (recorder.seen->str, ==, "0;1;2;");
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 1);
  recorder_clear (&recorder);
}

static void
test_drain_property (void)
{
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (NULL, NULL, NULL);
  guint notified = 0;
  gboolean drain = FALSE;

  g_signal_connect (worker, "notify::drain-on-stop", G_CALLBACK (count_notify_cb), &notified);
  g_assert_false (fluid_queue_consumer_get_drain_on_stop (FLUID_QUEUE_CONSUMER (worker)));
  g_object_set (worker, "drain-on-stop", TRUE, NULL);
  g_object_get (worker, "drain-on-stop", &drain, NULL);
  g_assert_true (drain);
  g_assert_cmpuint (notified, ==, 1);
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (worker), TRUE);
  g_assert_cmpuint (notified, ==, 1);
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (worker), FALSE);
  g_assert_cmpuint (notified, ==, 2);
}

/* get_message */

static GValue *
get_message (FluidQueueConsumer *consumer,
             double              timeout,
             GCancellable       *cancellable,
             GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fluid_queue_consumer_get_message_async (consumer, timeout, cancellable,
                                          fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  return fluid_queue_consumer_get_message_finish (consumer, result, error);
}

static void
test_get_message_timeout (void)
{
  g_autoptr(FluidWorker) worker = g_object_new (FLUID_TEST_TYPE_IDLE_CONSUMER, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GError) error = NULL;
  GValue *message;

  g_assert_true (fluid_test_startup (worker, NULL));

  /* Timeouts: NULL without an error. */
  g_assert_null (get_message (consumer, 0.01, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (get_message (consumer, 0, NULL, &error));
  g_assert_no_error (error);

  fluid_queue_consumer_send_string (consumer, "a");
  message = get_message (consumer, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (message), ==, "a");
  g_boxed_free (G_TYPE_VALUE, message);

  g_assert_true (fluid_test_shutdown (worker, NULL));
}

typedef struct
{
  FluidQueueConsumer *consumer;
  const char         *text;
} SendLater;

static gpointer
send_later_thread (gpointer data)
{
  SendLater *later = data;

  fluid_queue_consumer_send_string (later->consumer, later->text);
  return NULL;
}

/* A negative timeout waits without limit, until a message comes from
 * another thread. */
static void
test_get_message_wait (void)
{
  g_autoptr(FluidWorker) worker = g_object_new (FLUID_TEST_TYPE_IDLE_CONSUMER, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  SendLater later = { consumer, "from a thread" };
  GValue *message;
  GThread *thread;

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_queue_consumer_get_message_async (consumer, -1, NULL, fluid_test_store_result_cb, &result);
  fluid_queue_consumer_get_message_async (consumer, -1, NULL, fluid_test_store_result_cb, &result2);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);

  thread = g_thread_new ("sender", send_later_thread, &later);
  fluid_test_wait_until (result != NULL);
  g_thread_join (thread);
  message = fluid_queue_consumer_get_message_finish (consumer, result, NULL);
  g_assert_cmpstr (g_value_get_string (message), ==, "from a thread");
  g_boxed_free (G_TYPE_VALUE, message);
  g_assert_null (result2);

  /* Stop while waiting: NULL, no error. */
  fluid_worker_gracefully_stop (worker);
  fluid_test_wait_until (result2 != NULL);
  g_assert_null (fluid_queue_consumer_get_message_finish (consumer, result2, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));

  /* And once stopped, at once. */
  g_assert_null (get_message (consumer, -1, NULL, NULL));
}

/* While the worker stops: with drain-on-stop, the queued messages, then
 * NULL; without (aio-fluid's default), NULL. */
static void
test_get_message_drain (void)
{
  g_autoptr(FluidWorker) worker = g_object_new (FLUID_TEST_TYPE_IDLE_CONSUMER,
                                                "drain-on-stop", TRUE,
                                                NULL);
  g_autoptr(FluidWorker) plain = g_object_new (FLUID_TEST_TYPE_IDLE_CONSUMER, NULL);
  g_autoptr(GAsyncResult) drained = NULL;
  g_autoptr(GAsyncResult) drained_end = NULL;
  g_autoptr(GAsyncResult) not_drained = NULL;
  GValue *message;

  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (fluid_test_startup (plain, NULL));

  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "queued");
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (plain), "queued");
  fluid_worker_gracefully_stop (worker);
  fluid_worker_gracefully_stop (plain);
  /* The idle consumers' run returns on the next iteration. */
  g_assert_true (fluid_worker_is_stopping (worker));
  g_assert_true (fluid_worker_is_stopping (plain));

  fluid_queue_consumer_get_message_async (FLUID_QUEUE_CONSUMER (worker), -1, NULL,
                                          fluid_test_store_result_cb, &drained);
  fluid_queue_consumer_get_message_async (FLUID_QUEUE_CONSUMER (worker), -1, NULL,
                                          fluid_test_store_result_cb, &drained_end);
  fluid_queue_consumer_get_message_async (FLUID_QUEUE_CONSUMER (plain), -1, NULL,
                                          fluid_test_store_result_cb, &not_drained);
  fluid_test_wait_until (drained != NULL && drained_end != NULL && not_drained != NULL);

  message = fluid_queue_consumer_get_message_finish (FLUID_QUEUE_CONSUMER (worker), drained, NULL);
  g_assert_cmpstr (g_value_get_string (message), ==, "queued");
  g_boxed_free (G_TYPE_VALUE, message);
  g_assert_null (fluid_queue_consumer_get_message_finish (FLUID_QUEUE_CONSUMER (worker),
                                                          drained_end, NULL));
  g_assert_null (fluid_queue_consumer_get_message_finish (FLUID_QUEUE_CONSUMER (plain),
                                                          not_drained, NULL));

  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (plain, NULL));
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (worker)), ==, 0);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (plain)), ==, 1);
}

static void
test_get_message_cancelled (void)
{
  g_autoptr(FluidWorker) worker = g_object_new (FLUID_TEST_TYPE_IDLE_CONSUMER, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_queue_consumer_get_message_async (FLUID_QUEUE_CONSUMER (worker), -1, cancellable,
                                          fluid_test_store_result_cb, &result);
  g_cancellable_cancel (cancellable);
  fluid_test_wait_until (result != NULL);
  g_assert_null (fluid_queue_consumer_get_message_finish (FLUID_QUEUE_CONSUMER (worker),
                                                          result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (fluid_test_shutdown (worker, NULL));
}

/* Messages left in a consumer that never ran are freed with it. */
static void
test_never_started (void)
{
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (NULL, NULL, NULL);
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_add_weak_pointer (object, (gpointer *) &object);
  fluid_queue_consumer_send_object (FLUID_QUEUE_CONSUMER (worker), object);
  g_object_unref (object);
  g_assert_nonnull (object);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_clear_object (&worker);
  g_assert_null (object);
}

static void
record_state_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  GString *seen = user_data;
  FluidWorkerState state = fluid_worker_get_state (FLUID_WORKER (object));

  g_string_append_printf (seen, "%s;", fluid_test_state_nick (state));
}

static void
record_stopping_cb (FluidWorker *worker,
                    gpointer     user_data)
{
  GString *seen = user_data;

  g_string_append_printf (seen, "::stopping in %s;",
                          fluid_test_state_nick (fluid_worker_get_state (worker)));
}

static gboolean
stop_from_idle_cb (gpointer user_data)
{
  fluid_worker_gracefully_stop (user_data);
  return G_SOURCE_REMOVE;
}

/* A consumer goes through every state, each with its own notify::state,
 * and emits ::stopping while STOPPING, whether it is stopped itself or by
 * its group, with or without drain-on-stop: it does not end run inside the
 * notification of STOPPING, where GObject would merge the two. */
static void
test_states_in_order (void)
{
  for (guint by_group = 0; by_group <= 1; by_group++)
    for (guint drain = 0; drain <= 1; drain++)
      {
        g_autoptr(GString) seen = g_string_new (NULL);
        g_autoptr(FluidWorker) consumer = fluid_queue_consumer_worker_new (NULL, NULL, NULL);
        g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (consumer, NULL);
        FluidWorker *stopped = by_group ? FLUID_WORKER (group) : consumer;

        fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (consumer), drain);
        g_signal_connect (consumer, "notify::state", G_CALLBACK (record_state_cb), seen);
        g_signal_connect (consumer, "stopping", G_CALLBACK (record_stopping_cb), seen);

        g_assert_true (fluid_test_startup (stopped, NULL));
        fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (consumer), "pending");
        /* From a source's dispatch, as in an application: a GTask completed
         * there returns at once, not from an idle. */
        g_idle_add_full (G_PRIORITY_DEFAULT, stop_from_idle_cb, g_object_ref (stopped),
                         g_object_unref);
        g_assert_true (fluid_test_wait_for_shutdown (stopped, NULL));
        g_assert_cmpstr (seen->str, ==, "running;stopping;::stopping in stopping;stopped;");
      }
}

/* FluidQueueConsumer is an abstract, derivable FluidWorker with the
 * drain-on-stop property (default FALSE); FluidQueueConsumerWorker derives
 * from it, is derivable, and has a detail-free "message" signal carrying a
 * GValue. */
static void
test_types (void)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (FLUID_TYPE_QUEUE_CONSUMER);
  GParamSpec *pspec;
  GSignalQuery query;

  g_assert_true (g_type_is_a (FLUID_TYPE_QUEUE_CONSUMER, FLUID_TYPE_WORKER));
  g_assert_true (G_TYPE_IS_ABSTRACT (FLUID_TYPE_QUEUE_CONSUMER));
  g_assert_true (G_TYPE_IS_DERIVABLE (FLUID_TYPE_QUEUE_CONSUMER));
  g_assert_false (G_TYPE_IS_FINAL (FLUID_TYPE_QUEUE_CONSUMER));

  pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), "drain-on-stop");
  g_assert_nonnull (pspec);
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_BOOLEAN);
  g_assert_false (G_PARAM_SPEC_BOOLEAN (pspec)->default_value);

  g_assert_true (g_type_is_a (FLUID_TYPE_QUEUE_CONSUMER_WORKER, FLUID_TYPE_QUEUE_CONSUMER));
  g_assert_false (G_TYPE_IS_ABSTRACT (FLUID_TYPE_QUEUE_CONSUMER_WORKER));
  g_assert_false (G_TYPE_IS_FINAL (FLUID_TYPE_QUEUE_CONSUMER_WORKER));

  g_signal_query (g_signal_lookup ("message", FLUID_TYPE_QUEUE_CONSUMER_WORKER), &query);
  g_assert_cmpuint (query.signal_id, !=, 0);
  g_assert_false (query.signal_flags & G_SIGNAL_DETAILED);
  g_assert_cmpuint (query.n_params, ==, 1);
  g_assert_true ((query.param_types[0] & ~G_SIGNAL_TYPE_STATIC_SCOPE) == G_TYPE_VALUE);
}

static void
count_destroy (gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
ignore_message (FluidQueueConsumerWorker *worker,
                const GValue             *message,
                gpointer                  user_data)
{
}

/* The callback's data is freed once, with the worker. */
static void
test_destroy_notify (void)
{
  guint destroyed = 0;
  FluidWorker *worker = fluid_queue_consumer_worker_new (ignore_message, &destroyed, count_destroy);

  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "x");
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpuint (destroyed, ==, 0);
  g_object_unref (worker);
  g_assert_cmpuint (destroyed, ==, 1);
}

/* Messages left in the queue when run ends are freed then, not with the
 * worker; a message sent after the stop is freed at once. Both are counted
 * as discarded. */
static void
test_discarded_are_freed (void)
{
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (ignore_message, NULL, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  GObject *left = g_object_new (G_TYPE_OBJECT, NULL);
  GObject *late = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_add_weak_pointer (left, (gpointer *) &left);
  g_object_add_weak_pointer (late, (gpointer *) &late);

  g_assert_true (fluid_test_startup (worker, NULL));
  /* Queued, then stopped before the context dispatched the queue. */
  fluid_queue_consumer_send_object (consumer, left);
  g_object_unref (left);
  fluid_worker_gracefully_stop (worker);
  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));
  g_assert_null (left);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 1);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, 0);

  fluid_queue_consumer_send_object (consumer, late);
  g_object_unref (late);
  g_assert_null (late);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 2);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/queue-consumer/consumer", test_consumer);
  g_test_add_func ("/queue-consumer/order", test_order);
  g_test_add_func ("/queue-consumer/batching", test_batching);
  g_test_add_func ("/queue-consumer/status", test_status);
  g_test_add_func ("/queue-consumer/message-signal", test_message_signal);
  g_test_add_func ("/queue-consumer/send-types", test_send_types);
  g_test_add_func ("/queue-consumer/async-on-message", test_async_on_message);
  g_test_add_func ("/queue-consumer/async-on-message-error", test_async_on_message_error);
  g_test_add_func ("/queue-consumer/drain-off", test_drain_off);
  g_test_add_func ("/queue-consumer/drain-on", test_drain_on);
  g_test_add_func ("/queue-consumer/drain-stops-at-the-stop", test_drain_stops_at_the_stop);
  g_test_add_func ("/queue-consumer/drain-property", test_drain_property);
  g_test_add_func ("/queue-consumer/get-message-timeout", test_get_message_timeout);
  g_test_add_func ("/queue-consumer/get-message-wait", test_get_message_wait);
  g_test_add_func ("/queue-consumer/get-message-drain", test_get_message_drain);
  g_test_add_func ("/queue-consumer/get-message-cancelled", test_get_message_cancelled);
  g_test_add_func ("/queue-consumer/never-started", test_never_started);
  g_test_add_func ("/queue-consumer/types", test_types);
  g_test_add_func ("/queue-consumer/destroy-notify", test_destroy_notify);
  g_test_add_func ("/queue-consumer/discarded-are-freed", test_discarded_are_freed);
  g_test_add_func ("/queue-consumer/states-in-order", test_states_in_order);

  return g_test_run ();
}
