/* test-binding-runs.c: what a binding's own event loop runs through: a
 * worker's run begun with begin_run and ended with
 * fluid_worker_complete_run(), and a queue consumer whose messages are
 * pulled (pull_ready, fluid_queue_consumer_worker_pull())
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-queue-consumer-common.h"

/* A consumer whose messages are pulled, as a binding's loop pulls them:
 * each message is an int, recorded; -1 fails. Held, a message stays in
 * hand until puller_release(), as a handler that awaits something. */
#define TEST_TYPE_PULLER (test_puller_get_type ())
G_DECLARE_FINAL_TYPE (TestPuller, test_puller, TEST, PULLER, FluidQueueConsumerWorker)

struct _TestPuller
{
  FluidQueueConsumerWorker parent_instance;

  GArray    *seen;          /* of int */
  guint      ready_calls;
  guint      waits;         /* pulls that returned FLUID_PULL_WAIT */
  FluidPull  last;          /* what the last pull returned */
  gboolean   hold;
  gboolean   in_hand;
  gboolean   feed_itself;   /* each message sends the next, up to feed_limit */
  int        feed_limit;
};

G_DEFINE_FINAL_TYPE (TestPuller, test_puller, FLUID_TYPE_QUEUE_CONSUMER_WORKER)

static void
test_puller_pull (TestPuller *self)
{
  FluidQueueConsumerWorker *worker = FLUID_QUEUE_CONSUMER_WORKER (self);
  const GValue *message;

  while ((self->last = fluid_queue_consumer_worker_pull (worker, &message)) == FLUID_PULL_MESSAGE)
    {
      int value = g_value_get_int (message);

      g_array_append_val (self->seen, value);
      if (value < 0)
        {
          g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                                 "negative: %d", value);

          fluid_queue_consumer_worker_fail_pulled (worker, error);
        }
      if (self->feed_itself && value < self->feed_limit)
        send_int (FLUID_QUEUE_CONSUMER (self), value + 1);
      if (self->hold)
        {
          self->in_hand = TRUE;
          return;
        }
    }
  if (self->last == FLUID_PULL_WAIT)
    self->waits++;
  g_assert_null (message);
}

static void
test_puller_pull_ready (FluidQueueConsumerWorker *worker)
{
  TestPuller *self = TEST_PULLER (worker);

  self->ready_calls++;
  if (!self->in_hand)
    test_puller_pull (self);
}

/* The handler of the message in hand completed: the loop goes on. */
static void
puller_release (TestPuller *self)
{
  g_assert_true (self->in_hand);
  self->in_hand = FALSE;
  test_puller_pull (self);
}

static void
test_puller_finalize (GObject *object)
{
  g_array_unref (TEST_PULLER (object)->seen);

  G_OBJECT_CLASS (test_puller_parent_class)->finalize (object);
}

static void
test_puller_class_init (TestPullerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_puller_finalize;
  FLUID_QUEUE_CONSUMER_WORKER_CLASS (klass)->pull_ready = test_puller_pull_ready;
}

static void
test_puller_init (TestPuller *self)
{
  self->seen = g_array_new (FALSE, FALSE, sizeof (int));
  self->last = FLUID_PULL_WAIT;
}

static TestPuller *
puller_new (gboolean hold)
{
  TestPuller *self = g_object_new (TEST_TYPE_PULLER, NULL);

  self->hold = hold;
  return self;
}

static void
send_ints (TestPuller *self,
           const int  *values,
           guint       n)
{
  for (guint i = 0; i < n; i++)
    send_int (FLUID_QUEUE_CONSUMER (self), values[i]);
}

static void
assert_seen (TestPuller *self,
             const int  *values,
             guint       n)
{
  g_assert_cmpuint (self->seen->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_array_index (self->seen, int, i), ==, values[i]);
}

/* Every message sent is processed, failed or discarded: exactly one. */
static void
assert_counts (TestPuller *self,
               guint64     processed,
               guint64     failed,
               guint64     discarded)
{
  FluidWorker *worker = FLUID_WORKER (self);

  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, processed);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "failed"), ==, failed);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "discarded"), ==, discarded);
}

/* Messages sent before and after the start, pulled in order in one
 * dispatch each; the puller is told when the run begins and when messages
 * arrive after it waited, and the counters are exact between dispatches. */
static void
test_pull_order (void)
{
  g_autoptr(TestPuller) self = puller_new (FALSE);
  FluidWorker *worker = FLUID_WORKER (self);
  const int first[] = { 1, 2, 3 }, all[] = { 1, 2, 3, 4, 5 };
  const GValue *message = (gpointer) 1;

  /* Before the run begins: nothing to pull yet. */
  g_assert_cmpint (fluid_queue_consumer_worker_pull (FLUID_QUEUE_CONSUMER_WORKER (self), &message),
                   ==, FLUID_PULL_WAIT);
  g_assert_null (message);

  send_ints (self, first, G_N_ELEMENTS (first));
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (self->seen->len == 3 && self->last == FLUID_PULL_WAIT);
  g_assert_cmpuint (self->ready_calls, ==, 1);
  assert_counts (self, 3, 0, 0);

  send_ints (self, all + 3, 2);
  fluid_test_wait_until (self->seen->len == 5);
  g_assert_cmpuint (self->ready_calls, ==, 2);
  assert_seen (self, all, G_N_ELEMENTS (all));
  assert_counts (self, 5, 0, 0);

  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpint (self->last, ==, FLUID_PULL_END);
  assert_counts (self, 5, 0, 0);
}

/* A consumer that feeds itself never runs out of messages: its pulls
 * return WAIT once a dispatch's share was pulled, and the context runs
 * other sources before it is told to go on. */
static gboolean
count_idle_cb (gpointer user_data)
{
  guint *count = user_data;

  (*count)++;
  return G_SOURCE_CONTINUE;
}

static void
test_pull_share (void)
{
  g_autoptr(TestPuller) self = puller_new (FALSE);
  FluidWorker *worker = FLUID_WORKER (self);
  guint idles = 0, idles_when_done;
  guint idle = g_idle_add (count_idle_cb, &idles);

  self->feed_itself = TRUE;
  self->feed_limit = 20000;
  send_int (FLUID_QUEUE_CONSUMER (self), 0);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (self->seen->len == 20001);
  idles_when_done = idles;
  g_source_remove (idle);

  /* Several shares, the idle between them. */
  g_assert_cmpuint (self->waits, >=, 4);
  g_assert_cmpuint (idles_when_done, >=, 4);
  for (int i = 0; i <= 20000; i++)
    g_assert_cmpint (g_array_index (self->seen, int, i), ==, i);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  assert_counts (self, 20001, 0, 0);
}

/* What is pending on the context now, the consumer's source among it. */
static void
run_pending (void)
{
  for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* A puller that pulls before it is told (its binding saw the send) is not
 * told of the message it holds: the dispatch that the message scheduled
 * finds it waiting no longer. */
static void
test_pull_before_told (void)
{
  g_autoptr(TestPuller) self = puller_new (TRUE);
  FluidWorker *worker = FLUID_WORKER (self);
  const int values[] = { 7 };

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (self->ready_calls == 1 && self->last == FLUID_PULL_WAIT);

  send_ints (self, values, 1);
  test_puller_pull (self);
  g_assert_true (self->in_hand);
  assert_seen (self, values, 1);
  run_pending ();
  g_assert_cmpuint (self->ready_calls, ==, 1);

  /* Waiting again, it is told of the next. */
  puller_release (self);
  g_assert_cmpint (self->last, ==, FLUID_PULL_WAIT);
  send_int (FLUID_QUEUE_CONSUMER (self), 8);
  fluid_test_wait_until (self->ready_calls == 2 && self->in_hand);
  puller_release (self);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  assert_counts (self, 2, 0, 0);
}

/* A puller that pulls before it is told, handles the message and waits
 * again before the dispatch that the message scheduled is not told of
 * that stale wake-up: it would pull nothing. Its wait stays armed: a
 * message that arrives next, or one queued behind the stale wake-up, is
 * told; so is the end. */
static void
test_pull_stale_wake (void)
{
  g_autoptr(TestPuller) self = puller_new (FALSE);
  FluidWorker *worker = FLUID_WORKER (self);
  const int values[] = { 7, 8, 9, 10, 11 };
  guint waits;

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (self->ready_calls == 1 && self->last == FLUID_PULL_WAIT);

  /* Pulled, handled, and waiting again before the dispatch. */
  send_int (FLUID_QUEUE_CONSUMER (self), 7);
  waits = self->waits;
  test_puller_pull (self);
  g_assert_cmpuint (self->waits, ==, waits + 1);
  run_pending ();
  g_assert_cmpuint (self->ready_calls, ==, 1);
  g_assert_cmpuint (self->waits, ==, waits + 1);

  /* The wait is armed still: the next message is told. */
  send_int (FLUID_QUEUE_CONSUMER (self), 8);
  fluid_test_wait_until (self->seen->len == 2);
  g_assert_cmpuint (self->ready_calls, ==, 2);

  /* A message queued behind a stale wake-up is told. */
  send_int (FLUID_QUEUE_CONSUMER (self), 9);
  test_puller_pull (self);
  send_int (FLUID_QUEUE_CONSUMER (self), 10);
  fluid_test_wait_until (self->seen->len == 4);
  g_assert_cmpuint (self->ready_calls, ==, 3);
  assert_counts (self, 4, 0, 0);

  /* So is the end, after a stale wake-up. */
  send_int (FLUID_QUEUE_CONSUMER (self), 11);
  test_puller_pull (self);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpuint (self->ready_calls, ==, 4);
  g_assert_cmpint (self->last, ==, FLUID_PULL_END);
  assert_seen (self, values, G_N_ELEMENTS (values));
  assert_counts (self, 5, 0, 0);
}

/* A message in hand while a graceful stop comes: the run ends at the next
 * pull, and the queued messages are discarded, or handled with
 * drain-on-stop. The queue size counts the messages not yet pulled. */
static void
check_graceful_stop (gboolean drain)
{
  g_autoptr(TestPuller) self = puller_new (TRUE);
  FluidWorker *worker = FLUID_WORKER (self);
  const int values[] = { 1, 2, 3 };
  g_autoptr(GAsyncResult) result = NULL;

  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (self), drain);
  send_ints (self, values, G_N_ELEMENTS (values));
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (self->in_hand);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (self)), ==, 2);

  fluid_worker_shutdown_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_test_settle (g_main_context_get_thread_default ());
  /* The run waits for the message in hand. */
  g_assert_null (result);
  g_assert_true (fluid_worker_is_stopping (worker));

  while (self->in_hand)
    puller_release (self);
  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_shutdown_finish (worker, result, NULL));
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpint (self->last, ==, FLUID_PULL_END);
  if (drain)
    {
      assert_seen (self, values, 3);
      assert_counts (self, 3, 0, 0);
    }
  else
    {
      assert_seen (self, values, 1);
      assert_counts (self, 1, 0, 2);
    }
}

static void
test_pull_graceful_stop (void)
{
  check_graceful_stop (FALSE);
  check_graceful_stop (TRUE);
}

/* A forced stop while a message is in hand: it counts as discarded at
 * once, the puller is told of the end, and its late pull only drops it. */
static void
test_pull_forced_stop (void)
{
  g_autoptr(TestPuller) self = puller_new (TRUE);
  FluidWorker *worker = FLUID_WORKER (self);
  const int values[] = { 1, 2 };
  guint ready_calls;

  fluid_worker_set_stopping_grace_period (worker, 0);
  send_ints (self, values, G_N_ELEMENTS (values));
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (self->in_hand);
  ready_calls = self->ready_calls;

  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  assert_counts (self, 0, 0, 2);
  fluid_test_wait_until (self->ready_calls > ready_calls);

  puller_release (self);
  g_assert_cmpint (self->last, ==, FLUID_PULL_END);
  assert_counts (self, 0, 0, 2);
}

/* The same when the worker fails from elsewhere, and when it stops while
 * the puller waits: told once, the pull ends. */
static void
test_pull_failed_from_elsewhere (void)
{
  g_autoptr(TestPuller) held = puller_new (TRUE);
  g_autoptr(TestPuller) waiting = puller_new (FALSE);
  g_autoptr(GError) error = NULL;
  guint ready_calls;

  send_int (FLUID_QUEUE_CONSUMER (held), 7);
  g_assert_true (fluid_test_startup (FLUID_WORKER (held), NULL));
  fluid_test_wait_until (held->in_hand);
  fluid_test_crash (FLUID_WORKER (held));
  g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (held), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  assert_counts (held, 0, 0, 1);
  puller_release (held);
  g_assert_cmpint (held->last, ==, FLUID_PULL_END);

  g_assert_true (fluid_test_startup (FLUID_WORKER (waiting), NULL));
  fluid_test_wait_until (waiting->ready_calls == 1 && waiting->last == FLUID_PULL_WAIT);
  ready_calls = waiting->ready_calls;
  fluid_test_crash (FLUID_WORKER (waiting));
  fluid_test_wait_until (waiting->ready_calls > ready_calls);
  g_assert_cmpint (waiting->last, ==, FLUID_PULL_END);
}

/* A failed message: message-failed at once, and the run ends with its
 * error under stop-on-failure; without it, the worker goes on. */
static void
count_failed_cb (FluidQueueConsumer *consumer,
                 const GValue       *message,
                 const GError       *error,
                 gpointer            user_data)
{
  guint *failed = user_data;

  g_assert_cmpint (g_value_get_int (message), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  (*failed)++;
}

static void
check_failure (gboolean stop_on_failure)
{
  g_autoptr(TestPuller) self = puller_new (FALSE);
  FluidWorker *worker = FLUID_WORKER (self);
  const int values[] = { 1, -1, 2 };
  g_autoptr(GError) error = NULL;
  guint failed = 0;

  fluid_queue_consumer_set_stop_on_failure (FLUID_QUEUE_CONSUMER (self), stop_on_failure);
  g_signal_connect (self, "message-failed", G_CALLBACK (count_failed_cb), &failed);
  send_ints (self, values, G_N_ELEMENTS (values));
  g_assert_true (fluid_test_startup (worker, NULL));
  if (stop_on_failure)
    {
      g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_ERROR);
      assert_seen (self, values, 2);
      assert_counts (self, 1, 1, 1);
    }
  else
    {
      fluid_test_wait_until (self->seen->len == 3);
      g_assert_true (fluid_worker_is_running (worker));
      g_assert_true (fluid_test_shutdown (worker, NULL));
      assert_counts (self, 2, 1, 0);
    }
  g_assert_cmpuint (failed, ==, 1);
}

static void
test_pull_failure (void)
{
  check_failure (TRUE);
  check_failure (FALSE);
}

/* Backpressure: a sender waiting for room is let in as the puller takes
 * each message, not as it takes a batch. */
static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  guint *sent = user_data;

  g_assert_true (fluid_queue_consumer_send_finish (FLUID_QUEUE_CONSUMER (source), result, NULL));
  (*sent)++;
}

static void
test_pull_backpressure (void)
{
  g_autoptr(TestPuller) self = puller_new (TRUE);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (self);
  guint sent = 0;

  fluid_queue_consumer_set_max_queue_size (consumer, 2);
  g_assert_true (fluid_test_startup (FLUID_WORKER (self), NULL));
  for (int i = 0; i < 5; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_INT);
      g_value_set_int (&value, i);
      fluid_queue_consumer_send_async (consumer, &value, NULL, sent_cb, &sent);
    }
  /* Two queued; the first in hand leaves room for one more. */
  fluid_test_wait_until (self->in_hand && sent == 3);
  fluid_test_settle (g_main_context_get_thread_default ());
  g_assert_cmpuint (sent, ==, 3);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 2);

  puller_release (self);
  fluid_test_wait_until (sent == 4);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 2);
  while (self->seen->len < 5)
    {
      fluid_test_wait_until (self->in_hand);
      puller_release (self);
    }
  fluid_test_wait_until (sent == 5);
  self->hold = FALSE;
  puller_release (self);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (self), NULL));
  assert_counts (self, 5, 0, 0);
}

/* A worker whose run is begun by begin_run and completed later, from an
 * idle, as a binding's coroutine completes. Derivable: TestBegunLate's
 * on_shutdown completes after the run's end. */
#define TEST_TYPE_BEGUN (test_begun_get_type ())
#define TEST_BEGUN(o) (G_TYPE_CHECK_INSTANCE_CAST ((o), TEST_TYPE_BEGUN, TestBegun))

typedef struct
{
  FluidWorker parent_instance;

  guint       begun;
  /* What stopped_elsewhere and ::stopped were told, in order. */
  guint       told_elsewhere;
  guint       told_stopped;
  guint       elsewhere_before_stopped;
  int         elsewhere_exit_code;
  char       *elsewhere_reason;
} TestBegun;

typedef struct
{
  FluidWorkerClass parent_class;
} TestBegunClass;

static GType test_begun_get_type (void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestBegun, g_object_unref)
G_DEFINE_TYPE (TestBegun, test_begun, FLUID_TYPE_WORKER)

static void
test_begun_begin_run (FluidWorker *worker)
{
  TEST_BEGUN (worker)->begun++;
}

static void
test_begun_stopped_elsewhere (FluidWorker *worker,
                              const char  *reason,
                              int          exit_code)
{
  TestBegun *self = TEST_BEGUN (worker);

  self->told_elsewhere++;
  self->elsewhere_exit_code = exit_code;
  g_free (self->elsewhere_reason);
  self->elsewhere_reason = g_strdup (reason);
  /* Told with the worker's state already final. */
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, exit_code);
  if (self->told_stopped == 0)
    self->elsewhere_before_stopped++;
}

static void
test_begun_after_shutdown (FluidWorker *worker,
                           const char  *reason,
                           int          exit_code)
{
  TEST_BEGUN (worker)->told_stopped++;
}

static void
test_begun_finalize (GObject *object)
{
  g_free (TEST_BEGUN (object)->elsewhere_reason);
  G_OBJECT_CLASS (test_begun_parent_class)->finalize (object);
}

static void
test_begun_class_init (TestBegunClass *klass)
{
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_begun_finalize;
  worker_class->begin_run = test_begun_begin_run;
  worker_class->stopped_elsewhere = test_begun_stopped_elsewhere;
  worker_class->after_shutdown = test_begun_after_shutdown;
}

static void
test_begun_init (TestBegun *self)
{
}

/* A TestBegun whose on_shutdown completes from an idle (GTask's, for a
 * task returned within the call that made it). */
#define TEST_TYPE_BEGUN_LATE (test_begun_late_get_type ())

typedef struct
{
  TestBegun parent_instance;
} TestBegunLate;

typedef struct
{
  TestBegunClass parent_class;
} TestBegunLateClass;

static GType test_begun_late_get_type (void);
G_DEFINE_TYPE (TestBegunLate, test_begun_late, TEST_TYPE_BEGUN)

static void
test_begun_late_on_shutdown_async (FluidWorker         *worker,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (worker, cancellable, callback, user_data);

  g_task_return_boolean (task, TRUE);
}

static gboolean
test_begun_late_on_shutdown_finish (FluidWorker   *worker,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_begun_late_class_init (TestBegunLateClass *klass)
{
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  worker_class->on_shutdown_async = test_begun_late_on_shutdown_async;
  worker_class->on_shutdown_finish = test_begun_late_on_shutdown_finish;
}

static void
test_begun_late_init (TestBegunLate *self)
{
}

static void
test_begin_run_completes (void)
{
  g_autoptr(TestBegun) self = g_object_new (TEST_TYPE_BEGUN, NULL);
  FluidWorker *worker = FLUID_WORKER (self);
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_cmpuint (self->begun, ==, 1);
  fluid_worker_wait_for_shutdown_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_test_settle (g_main_context_get_thread_default ());
  g_assert_null (result);

  /* The stop happens inside the call that ends the run: stopped_elsewhere
   * is not told of it; ::stopped is. */
  fluid_worker_complete_run (worker);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpuint (self->told_stopped, ==, 1);
  g_assert_cmpuint (self->told_elsewhere, ==, 0);
  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_wait_for_shutdown_finish (worker, result, NULL));

  /* Once per run. */
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*run_is_begun*");
  fluid_worker_complete_run (worker);
  g_test_assert_expected_messages ();
}

static void
test_begin_run_fails (void)
{
  g_autoptr(TestBegun) self = g_object_new (TEST_TYPE_BEGUN, NULL);
  FluidWorker *worker = FLUID_WORKER (self);
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_worker_fail_run (worker, failure);
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpstr (fluid_worker_get_stop_reason (worker), ==, "gone");
  g_assert_cmpuint (self->told_stopped, ==, 1);
  g_assert_cmpuint (self->told_elsewhere, ==, 0);
}

/* Forced: the worker stops within its grace period, and the late end of
 * the run is dropped. */
static void
test_begin_run_forced (void)
{
  g_autoptr(TestBegun) self = g_object_new (TEST_TYPE_BEGUN, NULL);
  FluidWorker *worker = FLUID_WORKER (self);

  fluid_worker_set_stopping_grace_period (worker, 0);
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_true (g_cancellable_is_cancelled (fluid_worker_get_cancellable (worker)));

  /* A stop the run did not end: told to stopped_elsewhere, once, before
   * ::stopped. */
  g_assert_cmpuint (self->told_elsewhere, ==, 1);
  g_assert_cmpuint (self->elsewhere_before_stopped, ==, 1);
  g_assert_cmpint (self->elsewhere_exit_code, ==, FLUID_EXIT_CODE_FORCED);
  g_assert_cmpstr (self->elsewhere_reason, ==, fluid_worker_get_stop_reason (worker));

  fluid_worker_complete_run (worker);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_FORCED);
  g_assert_cmpuint (self->told_elsewhere, ==, 1);
  g_assert_cmpuint (self->told_stopped, ==, 1);
}

/* A failure from elsewhere while the run goes on: stopped_elsewhere is
 * told, with the failure's message. */
static void
test_begin_run_failed_from_elsewhere (void)
{
  g_autoptr(TestBegun) self = g_object_new (TEST_TYPE_BEGUN, NULL);
  FluidWorker *worker = FLUID_WORKER (self);
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "broken");

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_worker_fail (worker, failure);
  g_assert_false (fluid_test_wait_for_shutdown (worker, NULL));
  g_assert_cmpuint (self->told_elsewhere, ==, 1);
  g_assert_cmpuint (self->elsewhere_before_stopped, ==, 1);
  g_assert_cmpint (self->elsewhere_exit_code, ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpstr (self->elsewhere_reason, ==, "broken");

  fluid_worker_fail_run (worker, failure);
  g_assert_cmpuint (self->told_elsewhere, ==, 1);
}

/* The run ends, then an on_shutdown that completes later: the stop is
 * not inside the run's end, and stopped_elsewhere is told of it. */
static void
test_begin_run_shutdown_later (void)
{
  g_autoptr(TestBegun) self = g_object_new (TEST_TYPE_BEGUN_LATE, NULL);
  FluidWorker *worker = FLUID_WORKER (self);

  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_worker_complete_run (worker);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, -1);
  g_assert_cmpuint (self->told_elsewhere, ==, 0);

  g_assert_true (fluid_test_wait_for_shutdown (worker, NULL));
  g_assert_cmpuint (self->told_elsewhere, ==, 1);
  g_assert_cmpuint (self->elsewhere_before_stopped, ==, 1);
  g_assert_cmpint (self->elsewhere_exit_code, ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpuint (self->told_stopped, ==, 1);
}

/* The run's end drops the run's reference, which may be the last but the
 * caller's: the worker stays alive through the call. */
static void
test_begin_run_last_reference (void)
{
  TestBegun *self = g_object_new (TEST_TYPE_BEGUN, NULL);
  FluidWorker *worker = FLUID_WORKER (self);
  GWeakRef weak;

  g_weak_ref_init (&weak, self);
  g_assert_true (fluid_test_startup (worker, NULL));
  g_object_unref (self);
  fluid_worker_complete_run (worker);
  fluid_test_settle (g_main_context_get_thread_default ());
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Workers fail here on purpose, and a failure is logged as a warning:
   * criticals alone abort. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_test_add_func ("/binding-runs/pull/order", test_pull_order);
  g_test_add_func ("/binding-runs/pull/share", test_pull_share);
  g_test_add_func ("/binding-runs/pull/before-told", test_pull_before_told);
  g_test_add_func ("/binding-runs/pull/stale-wake", test_pull_stale_wake);
  g_test_add_func ("/binding-runs/pull/graceful-stop", test_pull_graceful_stop);
  g_test_add_func ("/binding-runs/pull/forced-stop", test_pull_forced_stop);
  g_test_add_func ("/binding-runs/pull/failed-from-elsewhere", test_pull_failed_from_elsewhere);
  g_test_add_func ("/binding-runs/pull/failure", test_pull_failure);
  g_test_add_func ("/binding-runs/pull/backpressure", test_pull_backpressure);
  g_test_add_func ("/binding-runs/begin-run/completes", test_begin_run_completes);
  g_test_add_func ("/binding-runs/begin-run/fails", test_begin_run_fails);
  g_test_add_func ("/binding-runs/begin-run/forced", test_begin_run_forced);
  g_test_add_func ("/binding-runs/begin-run/failed-from-elsewhere", test_begin_run_failed_from_elsewhere);
  g_test_add_func ("/binding-runs/begin-run/shutdown-later", test_begin_run_shutdown_later);
  g_test_add_func ("/binding-runs/begin-run/last-reference", test_begin_run_last_reference);

  return g_test_run ();
}
