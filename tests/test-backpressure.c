/* test-backpressure.c: max-queue-size, try_send and send_async
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

/* A consumer whose handler holds each message until the test releases
 * it: the queue fills up while the handler holds one. */
typedef struct
{
  GPtrArray *handled;     /* ints, in order */
  GTask     *held;
} Gate;

static void
hold_message (FluidQueueConsumerWorker *worker,
              const GValue             *message,
              GTask                    *task,
              gpointer                  user_data)
{
  Gate *gate = user_data;

  g_assert_null (gate->held);
  g_ptr_array_add (gate->handled, GINT_TO_POINTER (g_value_get_int (message)));
  gate->held = g_object_ref (task);
}

static void
release (Gate *gate)
{
  g_autoptr(GTask) task = g_steal_pointer (&gate->held);

  g_assert_nonnull (task);
  g_task_return_boolean (task, TRUE);
}

static GValue *
int_value (int i)
{
  static GValue value = G_VALUE_INIT;

  if (!G_IS_VALUE (&value))
    g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, i);
  return &value;
}

static void
test_try_send (void)
{
  Gate gate = { g_ptr_array_new (), NULL };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_async (hold_message, &gate, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (fluid_queue_consumer_get_max_queue_size (consumer), ==, 0);
  fluid_queue_consumer_set_max_queue_size (consumer, 2);
  g_assert_true (fluid_queue_consumer_try_send (consumer, int_value (1)));
  g_assert_true (fluid_queue_consumer_try_send (consumer, int_value (2)));
  g_assert_false (fluid_queue_consumer_try_send (consumer, int_value (3)));
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 2);

  /* send keeps its contract: never refuses. */
  fluid_queue_consumer_send (consumer, int_value (4));
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 3);

  g_assert_true (fluid_test_startup (worker, &error));
  fluid_test_wait_until (gate.held != NULL);
  /* One in hand, two queued: still full. */
  g_assert_false (fluid_queue_consumer_try_send (consumer, int_value (5)));
  release (&gate);
  fluid_test_wait_until (gate.held != NULL && gate.handled->len == 2);
  release (&gate);
  fluid_test_wait_until (gate.held != NULL && gate.handled->len == 3);
  /* One queued: room. */
  g_assert_true (fluid_queue_consumer_try_send (consumer, int_value (6)));
  release (&gate);
  fluid_test_wait_until (gate.held != NULL && gate.handled->len == 4);
  release (&gate);
  fluid_test_wait_until (fluid_queue_consumer_get_queue_size (consumer) == 0 && gate.held == NULL);

  g_assert_true (fluid_test_shutdown (worker, &error));
  /* Refused messages are in no count. */
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, 4);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 0);
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (gate.handled, 3)), ==, 6);
  g_assert_false (fluid_queue_consumer_try_send (consumer, int_value (7)));
  g_ptr_array_unref (gate.handled);
}

typedef struct
{
  GArray *order;     /* indices of the completed sends */
  GArray *errors;    /* error codes, -1 for success, by index */
} Sends;

typedef struct
{
  Sends *sends;
  int    index;
} SendCall;

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SendCall *call = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = fluid_queue_consumer_send_finish (FLUID_QUEUE_CONSUMER (source), result, &error);

  g_assert_true (ok == (error == NULL));
  g_array_append_val (call->sends->order, call->index);
  g_array_index (call->sends->errors, int, call->index) = ok ? -1 : error->code;
  g_free (call);
}

static void
send_async (FluidQueueConsumer *consumer,
            Sends              *sends,
            int                 index,
            GCancellable       *cancellable)
{
  SendCall *call = g_new (SendCall, 1);

  call->sends = sends;
  call->index = index;
  fluid_queue_consumer_send_async (consumer, int_value (index), cancellable, sent_cb, call);
}

static Sends *
sends_new (guint n)
{
  Sends *sends = g_new0 (Sends, 1);

  sends->order = g_array_new (FALSE, FALSE, sizeof (int));
  sends->errors = g_array_new (FALSE, TRUE, sizeof (int));
  g_array_set_size (sends->errors, n);
  return sends;
}

static void
sends_free (Sends *sends)
{
  g_array_unref (sends->order);
  g_array_unref (sends->errors);
  g_free (sends);
}

/* Senders wait for room in order of arrival; a larger bound lets them in. */
static void
test_send_async_order (void)
{
  Gate gate = { g_ptr_array_new (), NULL };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_async (hold_message, &gate, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GError) error = NULL;
  Sends *sends = sends_new (6);

  fluid_queue_consumer_set_max_queue_size (consumer, 1);
  for (int i = 0; i < 5; i++)
    send_async (consumer, sends, i, NULL);
  /* Completed later, never inside the call. */
  g_assert_cmpuint (sends->order->len, ==, 0);
  fluid_test_wait_until (sends->order->len == 1);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 1);
  /* try_send does not jump the queue of waiting senders. */
  g_assert_false (fluid_queue_consumer_try_send (consumer, int_value (99)));

  g_assert_true (fluid_test_startup (worker, &error));
  for (guint handled = 1; handled <= 3; handled++)
    {
      fluid_test_wait_until (gate.held != NULL && gate.handled->len == handled);
      release (&gate);
    }
  /* Room for all: the rest come in at once, in order. */
  fluid_queue_consumer_set_max_queue_size (consumer, 100);
  fluid_test_wait_until (sends->order->len == 5);
  for (int i = 0; i < 5; i++)
    {
      g_assert_cmpint (g_array_index (sends->order, int, i), ==, i);
      g_assert_cmpint (g_array_index (sends->errors, int, i), ==, -1);
    }
  while (gate.handled->len < 5)
    {
      fluid_test_wait_until (gate.held != NULL);
      release (&gate);
    }
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (gate.handled, i)), ==, (int) i);
  fluid_test_wait_until (gate.held != NULL || fluid_queue_consumer_get_queue_size (consumer) == 0);
  g_assert_true (fluid_test_shutdown (worker, &error));
  sends_free (sends);
  g_ptr_array_unref (gate.handled);
}

/* A consumer that stops first fails the waiting senders with STOPPED; a
 * cancelled one with CANCELLED; neither message is counted. */
static void
test_send_async_stopped_and_cancelled (void)
{
  Gate gate = { g_ptr_array_new (), NULL };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_async (hold_message, &gate, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Sends *sends = sends_new (5);

  fluid_queue_consumer_set_max_queue_size (consumer, 1);
  g_assert_true (fluid_test_startup (worker, &error));
  fluid_queue_consumer_send (consumer, int_value (100));
  fluid_test_wait_until (gate.held != NULL);
  fluid_queue_consumer_send (consumer, int_value (101));   /* the queue is full */

  send_async (consumer, sends, 0, NULL);
  send_async (consumer, sends, 1, cancellable);
  g_cancellable_cancel (cancelled);
  send_async (consumer, sends, 2, cancelled);              /* cancelled before */
  send_async (consumer, sends, 3, NULL);
  g_cancellable_cancel (cancellable);
  fluid_test_wait_until (sends->order->len == 2);
  g_assert_cmpint (g_array_index (sends->errors, int, 1), ==, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_array_index (sends->errors, int, 2), ==, G_IO_ERROR_CANCELLED);

  /* The stop comes first: 0 and 3 fail. */
  fluid_worker_gracefully_stop (worker);
  release (&gate);
  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
  fluid_test_wait_until (sends->order->len == 4);
  g_assert_cmpint (g_array_index (sends->errors, int, 0), ==, FLUID_WORKER_ERROR_STOPPED);
  g_assert_cmpint (g_array_index (sends->errors, int, 3), ==, FLUID_WORKER_ERROR_STOPPED);

  /* Sent: 100 (processed) and 101 (discarded by the stop); nothing else. */
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, 1);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 1);

  /* After the stop, at once. */
  send_async (consumer, sends, 4, NULL);
  fluid_test_wait_until (sends->order->len == 5);
  g_assert_cmpint (g_array_index (sends->errors, int, 4), ==, FLUID_WORKER_ERROR_STOPPED);
  sends_free (sends);
  g_ptr_array_unref (gate.handled);
}

/* A producer thread with its own context sends with send_async into a
 * bounded queue; every message arrives, in order, and the queue never
 * holds more than the bound. */
typedef struct
{
  FluidQueueConsumer *consumer;
  guint               n;
  guint               max_seen;
} Producer;

typedef struct
{
  guint     next;
  gboolean  waiting;
  GError   *error;
} ProducerState;

static void
producer_sent_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ProducerState *state = user_data;

  if (!fluid_queue_consumer_send_finish (FLUID_QUEUE_CONSUMER (source), result, &state->error))
    g_assert_not_reached ();
  state->waiting = FALSE;
}

static gpointer
produce (gpointer user_data)
{
  Producer *producer = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  ProducerState state = { 0, FALSE, NULL };
  GValue value = G_VALUE_INIT;

  g_main_context_push_thread_default (context);
  g_value_init (&value, G_TYPE_UINT);
  for (state.next = 0; state.next < producer->n; state.next++)
    {
      g_value_set_uint (&value, state.next);
      state.waiting = TRUE;
      fluid_queue_consumer_send_async (producer->consumer, &value, NULL, producer_sent_cb, &state);
      while (state.waiting)
        g_main_context_iteration (context, TRUE);
    }
  g_main_context_pop_thread_default (context);
  return NULL;
}

typedef struct
{
  guint               expected;
  guint               max_size;
  FluidQueueConsumer *consumer;
} Receiver;

static void
receive_in_order (FluidQueueConsumerWorker *worker,
                  const GValue             *message,
                  gpointer                  user_data)
{
  Receiver *receiver = user_data;

  g_assert_cmpuint (g_value_get_uint (message), ==, receiver->expected);
  receiver->expected++;
  receiver->max_size = MAX (receiver->max_size, fluid_queue_consumer_get_queue_size (receiver->consumer));
}

static void
test_send_async_from_a_thread (void)
{
  Receiver receiver = { 0, 0, NULL };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (receive_in_order, &receiver, NULL);
  Producer producer = { FLUID_QUEUE_CONSUMER (worker), 3000, 0 };
  g_autoptr(GError) error = NULL;
  GThread *thread;

  receiver.consumer = FLUID_QUEUE_CONSUMER (worker);
  fluid_queue_consumer_set_max_queue_size (FLUID_QUEUE_CONSUMER (worker), 16);
  g_assert_true (fluid_test_startup (worker, &error));
  thread = g_thread_new ("producer", produce, &producer);
  fluid_test_wait_until (receiver.expected == producer.n);
  g_thread_join (thread);
  g_assert_cmpuint (receiver.max_size, <=, 16);
  g_assert_true (fluid_test_shutdown (worker, &error));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/backpressure/try-send", test_try_send);
  g_test_add_func ("/backpressure/send-async-order", test_send_async_order);
  g_test_add_func ("/backpressure/send-async-stopped-and-cancelled", test_send_async_stopped_and_cancelled);
  g_test_add_func ("/backpressure/send-async-from-a-thread", test_send_async_from_a_thread);

  return g_test_run ();
}
