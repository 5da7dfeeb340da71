/* test-queue-reentrancy.c: queue consumers against handlers that stop,
 * feed, iterate and drop their own consumer, and against their own ends
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-queue-consumer-common.h"

#include <string.h>

static void
set_true_cb (gpointer  data,
             GObject  *where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

typedef struct
{
  guint64 processed;
  guint64 failed;
  guint64 discarded;
} Counts;

static Counts
counts_of (FluidWorker *worker)
{
  Counts counts;

  counts.processed = fluid_test_status_uint64 (worker, "processed");
  counts.failed = fluid_test_status_uint64 (worker, "failed");
  counts.discarded = fluid_test_status_uint64 (worker, "discarded");
  return counts;
}

/* Handlers */

typedef struct
{
  FluidWorker *worker;      /* not a reference */
  GArray      *seen;        /* of int, in the order handled */
  int          stop_at;     /* stops the worker on this message; -1: never */
  int          resend_below;/* sends value + 1000 back for values below it */
  guint        nested;      /* iterations of a nested loop in each handler */
  gboolean     drop_at_stop;/* drops the reference it was given at stop_at */
} Handler;

static void
handler_init (Handler *handler)
{
  memset (handler, 0, sizeof *handler);
  handler->seen = g_array_new (FALSE, FALSE, sizeof (int));
  handler->stop_at = -1;
  handler->resend_below = G_MININT;
}

static void
handler_clear (Handler *handler)
{
  g_array_unref (handler->seen);
}

static void
handle_cb (FluidQueueConsumerWorker *worker,
           const GValue             *message,
           gpointer                  user_data)
{
  Handler *handler = user_data;
  int value = g_value_get_int (message);

  g_array_append_val (handler->seen, value);
  if (value < handler->resend_below)
    send_int (FLUID_QUEUE_CONSUMER (worker), value + 1000);
  for (guint i = 0; i < handler->nested; i++)
    g_main_context_iteration (NULL, FALSE);
  if (value == handler->stop_at)
    {
      fluid_worker_gracefully_stop (FLUID_WORKER (worker));
      if (handler->drop_at_stop)
        g_object_unref (worker);
    }
}

/* Bug: the consumer's source called the driver without holding the
 * consumer, and the driver could end the run, which dropped the last
 * reference: the source then read the freed consumer (an invalid read
 * under valgrind). A consumer its owner dropped, stopped gracefully, is
 * finalized within its own source's dispatch; for each kind of driver. */
static gboolean
work_on_thread (FluidQueueConsumerWorker  *worker,
                const GValue              *message,
                GCancellable              *cancellable,
                gpointer                   user_data,
                GError                   **error)
{
  return TRUE;
}

static void
complete_at_once (FluidQueueConsumerWorker *worker,
                  const GValue             *message,
                  GTask                    *task,
                  gpointer                  user_data)
{
  g_task_return_boolean (task, TRUE);
}

static void
test_finalized_in_own_dispatch (void)
{
  for (guint round = 0; round < 12; round++)
    {
      FluidWorker *worker;
      gboolean finalized = FALSE;

      switch (round % 3)
        {
        case 0:
          worker = fluid_queue_consumer_worker_new (NULL, NULL, NULL);
          break;
        case 1:
          worker = fluid_queue_consumer_worker_new_async (complete_at_once, NULL, NULL);
          break;
        default:
          worker = fluid_queue_consumer_worker_new_threaded (2, work_on_thread, NULL, NULL);
          break;
        }
      g_object_weak_ref (G_OBJECT (worker), set_true_cb, &finalized);
      g_assert_true (fluid_test_startup (worker, NULL));
      send_int (FLUID_QUEUE_CONSUMER (worker), 1);
      fluid_test_settle (NULL);

      /* The worker keeps itself alive until it stops. */
      g_object_unref (worker);
      fluid_worker_gracefully_stop (worker);
      fluid_test_wait_until (finalized);
    }
}

/* A handler that stops its consumer on the third of ten messages: without
 * drain-on-stop the seven others are discarded, with it they are
 * handled; either way every message is counted once. */
static void
test_handler_stops_consumer (gconstpointer data)
{
  gboolean drain = GPOINTER_TO_INT (data);
  Handler handler;
  g_autoptr(FluidWorker) worker = NULL;
  Counts counts;

  handler_init (&handler);
  handler.stop_at = 3;
  worker = fluid_queue_consumer_worker_new (handle_cb, &handler, NULL);
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (worker), drain);
  g_assert_true (fluid_test_startup (worker, NULL));
  for (int i = 1; i <= 10; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), i);
  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));

  counts = counts_of (worker);
  g_assert_cmpuint (counts.processed, ==, drain ? 10 : 3);
  g_assert_cmpuint (counts.discarded, ==, drain ? 0 : 7);
  g_assert_cmpuint (counts.failed, ==, 0);
  g_assert_cmpuint (handler.seen->len, ==, counts.processed);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (worker)), ==, 0);
  handler_clear (&handler);
}

/* A handler that sends to its own consumer: what it sends is handled
 * after what was queued before, once each. */
static void
test_handler_sends_to_itself (void)
{
  Handler handler;
  g_autoptr(FluidWorker) worker = NULL;

  handler_init (&handler);
  handler.resend_below = 5;
  worker = fluid_queue_consumer_worker_new (handle_cb, &handler, NULL);
  for (int i = 0; i < 10; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), i);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (handler.seen->len == 15);

  for (int i = 0; i < 10; i++)
    g_assert_cmpint (g_array_index (handler.seen, int, i), ==, i);
  for (int i = 0; i < 5; i++)
    g_assert_cmpint (g_array_index (handler.seen, int, 10 + i), ==, 1000 + i);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpuint (counts_of (worker).processed, ==, 15);
  handler_clear (&handler);
}

/* A handler that runs a nested main loop, while another thread sends:
 * every message is handled once, in the order sent. */
typedef struct
{
  FluidQueueConsumer *consumer;
  int                 from;
  int                 to;
} Sender;

static gpointer
send_range (gpointer data)
{
  Sender *sender = data;

  for (int i = sender->from; i < sender->to; i++)
    send_int (sender->consumer, i);
  return NULL;
}

static void
test_handler_runs_nested_loop (void)
{
  Handler handler;
  g_autoptr(FluidWorker) worker = NULL;
  Sender sender;
  GThread *thread;

  handler_init (&handler);
  handler.nested = 3;
  worker = fluid_queue_consumer_worker_new (handle_cb, &handler, NULL);
  g_assert_true (fluid_test_startup (worker, NULL));
  for (int i = 0; i < 100; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), i);
  sender = (Sender) { FLUID_QUEUE_CONSUMER (worker), 100, 2000 };
  thread = g_thread_new ("sender", send_range, &sender);
  fluid_test_wait_until (handler.seen->len == 2000);
  g_thread_join (thread);

  for (int i = 0; i < 2000; i++)
    g_assert_cmpint (g_array_index (handler.seen, int, i), ==, i);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpuint (counts_of (worker).processed, ==, 2000);
  handler_clear (&handler);
}

/* A handler that holds the only reference to its consumer, stops it and
 * drops it: the consumer ends and is finalized, and nothing touches it
 * after. */
static void
test_handler_drops_last_reference (void)
{
  Handler handler;
  FluidWorker *worker;
  gboolean finalized = FALSE;

  handler_init (&handler);
  handler.stop_at = 2;
  handler.drop_at_stop = TRUE;
  worker = fluid_queue_consumer_worker_new (handle_cb, &handler, NULL);
  g_object_weak_ref (G_OBJECT (worker), set_true_cb, &finalized);
  g_assert_true (fluid_test_startup (worker, NULL));
  for (int i = 1; i <= 5; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), i);
  fluid_test_wait_until (finalized);
  g_assert_cmpuint (handler.seen->len, ==, 2);
  handler_clear (&handler);
}

/* Asynchronous handlers that complete at once, from a later dispatch, or
 * from another thread: every message is handled once, in order. */
typedef struct
{
  GArray    *seen;
  GPtrArray *threads;   /* joined at the end: the last reference to the
                         * worker may go with a task dropped on one */
} Completions;

static gpointer
complete_on_thread (gpointer data)
{
  GTask *task = data;

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  return NULL;
}

static gboolean
complete_in_idle (gpointer data)
{
  g_task_return_boolean (data, TRUE);
  return G_SOURCE_REMOVE;
}

static void
complete_variously (FluidQueueConsumerWorker *worker,
                    const GValue             *message,
                    GTask                    *task,
                    gpointer                  user_data)
{
  Completions *completions = user_data;
  int value = g_value_get_int (message);

  g_array_append_val (completions->seen, value);
  switch (value % 3)
    {
    case 0:
      g_task_return_boolean (task, TRUE);
      break;
    case 1:
      g_idle_add_full (G_PRIORITY_DEFAULT, complete_in_idle, g_object_ref (task), g_object_unref);
      break;
    default:
      g_ptr_array_add (completions->threads,
                       g_thread_new ("completer", complete_on_thread, g_object_ref (task)));
      break;
    }
}

static void
test_async_completions (void)
{
  Completions completions = { g_array_new (FALSE, FALSE, sizeof (int)), g_ptr_array_new () };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_async (complete_variously,
                                                                        &completions, NULL);

  g_assert_true (fluid_test_startup (worker, NULL));
  for (int i = 0; i < 300; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), i);
  fluid_test_wait_until (fluid_test_status_uint64 (worker, "processed") == 300);

  for (int i = 0; i < 300; i++)
    g_assert_cmpint (g_array_index (completions.seen, int, i), ==, i);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpuint (counts_of (worker).discarded, ==, 0);
  for (guint i = 0; i < completions.threads->len; i++)
    g_thread_join (g_ptr_array_index (completions.threads, i));
  g_ptr_array_unref (completions.threads);
  g_array_unref (completions.seen);
}

/* A task completed within its handler costs no main-loop iteration of its
 * own (GTask delivers a task completed in the iteration that made it from
 * an idle): 2 000 such messages take a few iterations, not 2 000. */
static void
count_at_once (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               GTask                    *task,
               gpointer                  user_data)
{
  (*(guint *) user_data)++;
  g_task_return_boolean (task, TRUE);
}

static void
test_completed_at_once_costs_no_iteration (void)
{
  guint handled = 0, iterations = 0;
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new_async (count_at_once, &handled, NULL);

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_settle (NULL);
  for (int i = 0; i < 2000; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), i);
  while (handled < 2000)
    {
      g_assert_cmpuint (iterations, <, 50);
      g_main_context_iteration (NULL, TRUE);
      iterations++;
    }
  g_test_message ("2000 messages in %u iterations", iterations);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, 2000);
}

/* A forced stop while a handler holds its task: the message in hand and
 * those queued count as discarded at once, and the late completion
 * changes nothing. */
static void
keep_task (FluidQueueConsumerWorker *worker,
           const GValue             *message,
           GTask                    *task,
           gpointer                  user_data)
{
  g_ptr_array_add (user_data, g_object_ref (task));
}

static void
test_forced_stop_with_task_in_hand (void)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FluidWorker) worker = NULL;
  Counts counts;

  worker = fluid_queue_consumer_worker_new_async (keep_task, tasks, NULL);
  fluid_worker_set_stopping_grace_period (worker, 0.01);

  g_assert_true (fluid_test_startup (worker, NULL));
  for (int i = 0; i < 10; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), i);
  fluid_test_wait_until (tasks->len == 1);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);

  counts = counts_of (worker);
  g_assert_cmpuint (counts.processed, ==, 0);
  g_assert_cmpuint (counts.discarded, ==, 10);

  /* Late: dropped. */
  g_task_return_boolean (g_ptr_array_index (tasks, 0), TRUE);
  fluid_test_settle (NULL);
  counts = counts_of (worker);
  g_assert_cmpuint (counts.processed, ==, 0);
  g_assert_cmpuint (counts.discarded, ==, 10);
  g_assert_cmpuint (tasks->len, ==, 1);
}

/* A queue of a million messages: a forced stop discards them all, counted
 * at once, and the consumer reports an empty queue. */
static gboolean
block_on_thread (FluidQueueConsumerWorker  *worker,
                 const GValue              *message,
                 GCancellable              *cancellable,
                 gpointer                   user_data,
                 GError                   **error)
{
  gint *entered = user_data;

  g_atomic_int_set (entered, TRUE);
  while (!g_cancellable_is_cancelled (cancellable))
    g_usleep (1000);
  return TRUE;
}

static void
test_large_queue_forced_stop (void)
{
  gint entered = FALSE;
  g_autoptr(FluidWorker) worker = NULL;
  const guint n = g_test_slow () ? 1000000 : 200000;
  Counts counts;

  worker = fluid_queue_consumer_worker_new_threaded (1, block_on_thread, &entered, NULL);
  fluid_worker_set_stopping_grace_period (worker, 0.01);
  for (guint i = 0; i < n; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), (int) i);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (worker)), ==, n);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (g_atomic_int_get (&entered));
  g_assert_true (fluid_test_shutdown (worker, NULL));

  counts = counts_of (worker);
  g_assert_cmpuint (counts.processed + counts.failed + counts.discarded, ==, n);
  g_assert_cmpuint (counts.discarded, >=, n - 1);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (worker)), ==, 0);
  /* Sent now: discarded at once. */
  send_int (FLUID_QUEUE_CONSUMER (worker), 0);
  g_assert_cmpuint (counts_of (worker).discarded, ==, counts.discarded + 1);
}

/* Bug: the finishers of the consumers' virtual methods checked nothing.
 * A result of another operation, or of another object, is refused with a
 * critical, as the public _finish functions do. */
static void
test_finishers_check_their_result (void)
{
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (NULL, NULL, NULL);
  g_autoptr(FluidWorker) other = fluid_queue_consumer_worker_new (NULL, NULL, NULL);
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(FluidWorker) async_consumer = fluid_async_consumer_new (dispatcher);
  g_autoptr(GTask) foreign = g_task_new (other, NULL, NULL, NULL);
  g_autoptr(GTask) untagged = g_task_new (worker, NULL, NULL, NULL);
  g_autoptr(GTask) untagged_async = g_task_new (async_consumer, NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_task_return_boolean (foreign, TRUE);
  g_task_return_boolean (untagged, TRUE);
  g_task_return_boolean (untagged_async, TRUE);

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*fluid_default_result_is_valid*");
  g_assert_false (fluid_queue_consumer_worker_on_message_finish (FLUID_QUEUE_CONSUMER_WORKER (worker),
                                                                 G_ASYNC_RESULT (foreign), &error));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*fluid_default_result_is_valid*");
  g_assert_false (fluid_queue_consumer_worker_on_message_finish (FLUID_QUEUE_CONSUMER_WORKER (worker),
                                                                 G_ASYNC_RESULT (untagged), &error));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*source_tag*");
  g_assert_false (FLUID_WORKER_GET_CLASS (worker)->run_finish (worker, G_ASYNC_RESULT (untagged), &error));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*source_tag*");
  g_assert_false (FLUID_WORKER_GET_CLASS (async_consumer)->run_finish (async_consumer,
                                                                       G_ASYNC_RESULT (untagged_async),
                                                                       &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  /* Emptied: nothing left to finalize unread. */
  fluid_test_settle (NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/queue-reentrancy/finalized-in-own-dispatch", test_finalized_in_own_dispatch);
  g_test_add_data_func ("/queue-reentrancy/handler-stops-consumer", GINT_TO_POINTER (FALSE),
                        test_handler_stops_consumer);
  g_test_add_data_func ("/queue-reentrancy/handler-stops-draining-consumer", GINT_TO_POINTER (TRUE),
                        test_handler_stops_consumer);
  g_test_add_func ("/queue-reentrancy/handler-sends-to-itself", test_handler_sends_to_itself);
  g_test_add_func ("/queue-reentrancy/handler-runs-nested-loop", test_handler_runs_nested_loop);
  g_test_add_func ("/queue-reentrancy/handler-drops-last-reference", test_handler_drops_last_reference);
  g_test_add_func ("/queue-reentrancy/async-completions", test_async_completions);
  g_test_add_func ("/queue-reentrancy/completed-at-once-costs-no-iteration",
                   test_completed_at_once_costs_no_iteration);
  g_test_add_func ("/queue-reentrancy/forced-stop-with-task-in-hand", test_forced_stop_with_task_in_hand);
  g_test_add_func ("/queue-reentrancy/large-queue-forced-stop", test_large_queue_forced_stop);
  g_test_add_func ("/queue-reentrancy/finishers-check-their-result", test_finishers_check_their_result);

  return g_test_run ();
}
