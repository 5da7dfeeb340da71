/* test-queue-consumer-faults.c: FluidQueueConsumer under load and under
 * faults: producer threads, stops under load, bad input, a consumer on
 * another thread, accounting after a forced stop, failed messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-queue-consumer-common.h"

#include <math.h>

/* Many producer threads: every message handled exactly once, each thread's
 * messages in the order it sent them, on the consumer's thread. */
#define N_THREADS 4
#define N_PER_THREAD 100000

typedef struct
{
  FluidQueueConsumer *consumer;
  guint               thread_index;
  guint               count;
  gint               *sent;      /* atomic: messages sent so far, all threads */
} Producer;

static gpointer
producer_thread (gpointer data)
{
  Producer *producer = data;

  for (guint i = 0; i < producer->count; i++)
    {
      GValue message = G_VALUE_INIT;

      g_value_init (&message, G_TYPE_UINT64);
      g_value_set_uint64 (&message, ((guint64) producer->thread_index << 32) | i);
      fluid_queue_consumer_send (producer->consumer, &message);
      g_atomic_int_inc (producer->sent);
    }
  return NULL;
}

typedef struct
{
  guint8   *seen;        /* per message: how often handled */
  guint     next[N_THREADS];
  guint     handled;
  gboolean  in_order;
  GThread  *owner;
  gboolean  right_thread;
} Tally;

static void
tally_message (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               gpointer                  user_data)
{
  Tally *tally = user_data;
  guint64 value = g_value_get_uint64 (message);
  guint thread_index = value >> 32;
  guint index = value & 0xffffffff;

  tally->seen[thread_index * N_PER_THREAD + index]++;
  if (index != tally->next[thread_index])
    tally->in_order = FALSE;
  tally->next[thread_index] = index + 1;
  tally->handled++;
  if (g_thread_self () != tally->owner)
    tally->right_thread = FALSE;
}

static void
test_threads (void)
{
  Tally tally = { 0, };
  g_autoptr(FluidWorker) worker = NULL;
  Producer producers[N_THREADS];
  GThread *threads[N_THREADS];
  gint sent = 0;

  tally.seen = g_new0 (guint8, N_THREADS * N_PER_THREAD);
  tally.in_order = TRUE;
  tally.right_thread = TRUE;
  tally.owner = g_thread_self ();
  worker = fluid_queue_consumer_worker_new (tally_message, &tally, NULL);
  g_assert_true (fluid_test_startup (worker, NULL));

  for (guint t = 0; t < N_THREADS; t++)
    {
      producers[t] = (Producer) { FLUID_QUEUE_CONSUMER (worker), t, N_PER_THREAD, &sent };
      threads[t] = g_thread_new ("producer", producer_thread, &producers[t]);
    }
  fluid_test_wait_until (tally.handled == N_THREADS * N_PER_THREAD);
  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);

  for (guint i = 0; i < N_THREADS * N_PER_THREAD; i++)
    if (tally.seen[i] != 1)
      g_error ("message %u handled %u times", i, tally.seen[i]);
  g_assert_true (tally.in_order);
  g_assert_true (tally.right_thread);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, N_THREADS * N_PER_THREAD);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "discarded"), ==, 0);

  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_free (tally.seen);
}

/* Producers keep sending while the consumer stops: every message is
 * handled once or discarded, never both, never lost. */
static void
check_stop_under_load (gboolean drain)
{
  Tally tally = { 0, };
  g_autoptr(FluidWorker) worker = NULL;
  FluidQueueConsumer *consumer;
  Producer producers[N_THREADS];
  GThread *threads[N_THREADS];
  guint total = N_THREADS * (N_PER_THREAD / 10);
  guint handled_twice = 0, handled = 0;
  gint sent = 0;

  tally.seen = g_new0 (guint8, N_THREADS * N_PER_THREAD);
  tally.in_order = TRUE;
  tally.right_thread = TRUE;
  tally.owner = g_thread_self ();
  worker = fluid_queue_consumer_worker_new (tally_message, &tally, NULL);
  consumer = FLUID_QUEUE_CONSUMER (worker);
  fluid_queue_consumer_set_drain_on_stop (consumer, drain);
  g_assert_true (fluid_test_startup (worker, NULL));

  for (guint t = 0; t < N_THREADS; t++)
    {
      producers[t] = (Producer) { consumer, t, N_PER_THREAD / 10, &sent };
      threads[t] = g_thread_new ("producer", producer_thread, &producers[t]);
    }
  /* Stop in the middle of the flow. */
  fluid_test_wait_until (tally.handled > 0 || (guint) g_atomic_int_get (&sent) == total);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);

  for (guint i = 0; i < N_THREADS * N_PER_THREAD; i++)
    {
      handled += tally.seen[i];
      if (tally.seen[i] > 1)
        handled_twice++;
    }
  g_assert_cmpuint (handled_twice, ==, 0);
  g_assert_cmpuint (handled, ==, tally.handled);
  g_assert_true (tally.in_order);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, tally.handled);
  g_assert_cmpuint (tally.handled + fluid_queue_consumer_get_discarded (consumer), ==, total);
  g_free (tally.seen);
}

static void
test_stop_under_load (void)
{
  check_stop_under_load (FALSE);
  check_stop_under_load (TRUE);
}

static void
test_bad_input (void)
{
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (NULL, NULL, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  GValue unset = G_VALUE_INIT;

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*G_IS_VALUE*");
  fluid_queue_consumer_send (consumer, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*G_IS_VALUE*");
  fluid_queue_consumer_send (consumer, &unset);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*message != NULL*");
  fluid_queue_consumer_send_string (consumer, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*G_IS_OBJECT*");
  fluid_queue_consumer_send_object (consumer, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*message != NULL*");
  fluid_queue_consumer_send_variant (consumer, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*isnan*");
  fluid_queue_consumer_get_message_async (consumer, NAN, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_QUEUE_CONSUMER*");
  fluid_queue_consumer_send_string (NULL, "x");
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_QUEUE_CONSUMER*");
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (NULL), ==, 0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*func != NULL || destroy == NULL*");
  g_assert_null (fluid_queue_consumer_worker_new (NULL, NULL, g_free));
  g_test_assert_expected_messages ();

  /* Still usable. */
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);
  fluid_queue_consumer_send_string (consumer, "fine");
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 1);
}

typedef struct
{
  FluidWorker  *worker;
  GMainContext *context;
  GThread      *owner;     /* set by the consumer's thread before startup */
  gint          started;   /* atomic */
  gint          handled;   /* atomic */
  gint          wrong;     /* atomic: messages handled on another thread */
  gint          done;      /* atomic */
} ThreadConsumer;

static void
thread_consumer_message (FluidQueueConsumerWorker *worker,
                         const GValue             *message,
                         gpointer                  user_data)
{
  ThreadConsumer *tc = user_data;

  if (g_thread_self () != tc->owner)
    g_atomic_int_inc (&tc->wrong);
  g_atomic_int_inc (&tc->handled);
}

static void
thread_consumer_started_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  ThreadConsumer *tc = user_data;

  g_assert_true (fluid_worker_startup_finish (FLUID_WORKER (source), result, NULL));
  g_atomic_int_set (&tc->started, TRUE);
}

static void
thread_consumer_stopped_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  ThreadConsumer *tc = user_data;

  g_assert_true (fluid_worker_wait_for_shutdown_finish (FLUID_WORKER (source), result, NULL));
  g_atomic_int_set (&tc->done, TRUE);
}

static gpointer
thread_consumer_thread (gpointer user_data)
{
  ThreadConsumer *tc = user_data;

  tc->owner = g_thread_self ();
  g_main_context_push_thread_default (tc->context);
  fluid_worker_startup_async (tc->worker, NULL, thread_consumer_started_cb, tc);
  fluid_worker_wait_for_shutdown_async (tc->worker, NULL, thread_consumer_stopped_cb, tc);
  /* Blocks without a timeout: each send must wake the context. */
  while (!g_atomic_int_get (&tc->done))
    g_main_context_iteration (tc->context, TRUE);
  g_main_context_pop_thread_default (tc->context);
  return NULL;
}

static void
thread_consumer_wait (ThreadConsumer *tc,
                      gint           *flag,
                      gint            value)
{
  gint64 deadline = g_get_monotonic_time () + FLUID_TEST_WAIT_LIMIT_SECONDS * G_USEC_PER_SEC;

  while (g_atomic_int_get (flag) < value)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for the consumer's thread");
      g_thread_yield ();
    }
}

/* A consumer running on another thread's context, sent messages one at a
 * time from this thread: each send wakes the consumer's blocked context,
 * and the messages are handled on the consumer's thread. */
static void
test_consumer_on_its_thread (void)
{
  ThreadConsumer tc = { 0 };
  GThread *thread;

  tc.worker = fluid_queue_consumer_worker_new (thread_consumer_message, &tc, NULL);
  tc.context = g_main_context_new ();
  thread = g_thread_new ("consumer", thread_consumer_thread, &tc);
  thread_consumer_wait (&tc, &tc.started, TRUE);

  for (int i = 1; i <= 3; i++)
    {
      fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (tc.worker), "wake up");
      thread_consumer_wait (&tc, &tc.handled, i);
    }
  fluid_worker_gracefully_stop (tc.worker);
  g_thread_join (thread);

  g_assert_cmpint (g_atomic_int_get (&tc.handled), ==, 3);
  g_assert_cmpint (g_atomic_int_get (&tc.wrong), ==, 0);
  g_assert_cmpint (fluid_worker_get_state (tc.worker), ==, FLUID_WORKER_STATE_STOPPED);
  g_object_unref (tc.worker);
  g_main_context_unref (tc.context);
}

/* Accounting after a forced stop */

/* A worker whose on_message completes on a later main-loop iteration,
 * until the message numbered @stuck_at: that one it keeps, and neither
 * completes nor cancels; the test completes it late with
 * test_stuck_worker_complete_late(). Messages are ints. */
#define TEST_TYPE_STUCK_WORKER (test_stuck_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestStuckWorker, test_stuck_worker, TEST, STUCK_WORKER, FluidQueueConsumerWorker)

struct _TestStuckWorker
{
  FluidQueueConsumerWorker parent_instance;

  int    stuck_at;
  GTask *stuck;       /* the task of the message it keeps */
  guint  completed;   /* messages completed (successfully) */
};

G_DEFINE_FINAL_TYPE (TestStuckWorker, test_stuck_worker, FLUID_TYPE_QUEUE_CONSUMER_WORKER)

static gboolean
test_stuck_worker_complete_cb (gpointer user_data)
{
  GTask *task = user_data;
  TestStuckWorker *self = g_task_get_source_object (task);

  self->completed++;
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
test_stuck_worker_on_message_async (FluidQueueConsumerWorker *worker,
                                    const GValue             *message,
                                    GCancellable             *cancellable,
                                    GAsyncReadyCallback       callback,
                                    gpointer                  user_data)
{
  TestStuckWorker *self = TEST_STUCK_WORKER (worker);
  /* Without the cancellable: the handler ignores the forced stop. */
  GTask *task = g_task_new (worker, NULL, callback, user_data);

  if (g_value_get_int (message) == self->stuck_at)
    {
      g_assert_null (self->stuck);
      self->stuck = task;
      return;
    }
  g_idle_add_full (G_PRIORITY_DEFAULT, test_stuck_worker_complete_cb, task, g_object_unref);
}

static gboolean
test_stuck_worker_on_message_finish (FluidQueueConsumerWorker  *worker,
                                     GAsyncResult              *result,
                                     GError                   **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_stuck_worker_class_init (TestStuckWorkerClass *klass)
{
  FluidQueueConsumerWorkerClass *worker_class = FLUID_QUEUE_CONSUMER_WORKER_CLASS (klass);

  worker_class->on_message_async = test_stuck_worker_on_message_async;
  worker_class->on_message_finish = test_stuck_worker_on_message_finish;
}

static void
test_stuck_worker_init (TestStuckWorker *self)
{
  self->stuck_at = -1;
}

static TestStuckWorker *
test_stuck_worker_new (int    stuck_at,
                       double grace_period)
{
  TestStuckWorker *self = g_object_new (TEST_TYPE_STUCK_WORKER,
                                        "stopping-grace-period", grace_period,
                                        NULL);

  self->stuck_at = stuck_at;
  return self;
}

/* Completes the kept message late, after the worker stopped, with an
 * error when @fail. */
static void
test_stuck_worker_complete_late (TestStuckWorker *self,
                                 gboolean         fail)
{
  GTask *task = g_steal_pointer (&self->stuck);

  g_assert_nonnull (task);
  if (fail)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "late failure");
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

typedef struct
{
  guint64 processed;
  guint64 discarded;
  guint64 failed;
  guint   queue_size;
  gboolean done;
} Counts;

static void
read_counts (FluidWorker *worker,
             Counts      *counts)
{
  g_autoptr(GVariant) status = fluid_test_status (worker);

  counts->processed = counts->discarded = counts->failed = 0;
  g_variant_lookup (status, "processed", "t", &counts->processed);
  g_variant_lookup (status, "discarded", "t", &counts->discarded);
  g_variant_lookup (status, "failed", "t", &counts->failed);
  counts->queue_size = fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (worker));
}

static void
shutdown_read_counts_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  Counts *counts = user_data;

  g_assert_true (fluid_worker_shutdown_finish (FLUID_WORKER (source), result, NULL));
  /* What the consumer reports the moment shutdown completes. */
  counts->discarded = fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (source));
  counts->queue_size = fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (source));
  counts->done = TRUE;
}

/* Bug 4: 1000 queued, an on_message that never completes, a short grace
 * period: once the forced shutdown completes, every message is processed,
 * failed or discarded, exactly once, the queue is empty, and the late
 * completion of the message in hand counts nothing twice. */
static void
test_forced_stop_accounting (void)
{
  for (guint late_fail = 0; late_fail <= 1; late_fail++)
    for (guint drain = 0; drain <= 1; drain++)
      {
        g_autoptr(TestStuckWorker) worker = test_stuck_worker_new (10, 0.05);
        FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
        Counts at_shutdown = { 0 }, counts = { 0 }, after = { 0 };

        fluid_queue_consumer_set_drain_on_stop (consumer, drain);
        for (int i = 0; i < 1000; i++)
          send_int (consumer, i);
        g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
        fluid_test_wait_until (worker->stuck != NULL);

        fluid_worker_shutdown_async (FLUID_WORKER (worker), NULL, shutdown_read_counts_cb, &at_shutdown);
        fluid_test_wait_until (at_shutdown.done);
        g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (worker)), ==,
                         FLUID_WORKER_STATE_FORCE_STOPPED);
        g_assert_cmpuint (at_shutdown.queue_size, ==, 0);

        read_counts (FLUID_WORKER (worker), &counts);
        g_assert_cmpuint (counts.queue_size, ==, 0);
        /* The ten completed; the one in hand was not. */
        g_assert_cmpuint (counts.processed, ==, worker->completed);
        g_assert_cmpuint (counts.processed, ==, 10);
        g_assert_cmpuint (counts.failed, ==, 0);
        g_assert_cmpuint (at_shutdown.discarded, ==, counts.discarded);
        g_assert_cmpuint (counts.processed + counts.failed + counts.discarded, ==, 1000);

        /* The late completion counts nothing twice. */
        test_stuck_worker_complete_late (worker, late_fail);
        fluid_test_settle (NULL);
        read_counts (FLUID_WORKER (worker), &after);
        g_assert_cmpuint (after.processed, ==, counts.processed);
        g_assert_cmpuint (after.failed, ==, counts.failed);
        g_assert_cmpuint (after.discarded, ==, counts.discarded);
        g_assert_cmpuint (after.queue_size, ==, 0);

        /* Sent after the stop: discarded. */
        send_int (consumer, 1000);
        read_counts (FLUID_WORKER (worker), &after);
        g_assert_cmpuint (after.processed + after.failed + after.discarded, ==, 1001);
      }
}

/* Failures: every message ends processed, failed or discarded */

/* A worker whose on_message completes on a later iteration, failing the
 * messages that are multiples of @fail_every (an int message), and keeping
 * the one numbered @stuck_at forever. Records the fate of each message. */
#define TEST_TYPE_FATE_WORKER (test_fate_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestFateWorker, test_fate_worker, TEST, FATE_WORKER, FluidQueueConsumerWorker)

#define N_FATE 400

struct _TestFateWorker
{
  FluidQueueConsumerWorker parent_instance;

  int     fail_every;
  int     stuck_at;
  int     stop_at;           /* gracefully stop when handling it */
  GTask  *stuck;
  guint8  ok[N_FATE];
  guint8  err[N_FATE];
  guint8  signalled[N_FATE]; /* ::message-failed */
  guint   n_signalled;
};

G_DEFINE_FINAL_TYPE (TestFateWorker, test_fate_worker, FLUID_TYPE_QUEUE_CONSUMER_WORKER)

static gboolean
test_fate_worker_complete_cb (gpointer user_data)
{
  GTask *task = user_data;
  TestFateWorker *self = g_task_get_source_object (task);
  int value = GPOINTER_TO_INT (g_task_get_task_data (task));

  if (self->fail_every > 0 && value % self->fail_every == 0)
    {
      self->err[value]++;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad message %d", value);
    }
  else
    {
      self->ok[value]++;
      g_task_return_boolean (task, TRUE);
    }
  return G_SOURCE_REMOVE;
}

static void
test_fate_worker_on_message_async (FluidQueueConsumerWorker *worker,
                                   const GValue             *message,
                                   GCancellable             *cancellable,
                                   GAsyncReadyCallback       callback,
                                   gpointer                  user_data)
{
  TestFateWorker *self = TEST_FATE_WORKER (worker);
  GTask *task = g_task_new (worker, NULL, callback, user_data);
  int value = g_value_get_int (message);

  g_task_set_task_data (task, GINT_TO_POINTER (value), NULL);
  if (value == self->stop_at)
    fluid_worker_gracefully_stop (FLUID_WORKER (worker));
  if (value == self->stuck_at)
    {
      self->stuck = task;
      return;
    }
  g_idle_add_full (G_PRIORITY_DEFAULT, test_fate_worker_complete_cb, task, g_object_unref);
}

static gboolean
test_fate_worker_on_message_finish (FluidQueueConsumerWorker  *worker,
                                    GAsyncResult              *result,
                                    GError                   **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_fate_worker_class_init (TestFateWorkerClass *klass)
{
  FluidQueueConsumerWorkerClass *worker_class = FLUID_QUEUE_CONSUMER_WORKER_CLASS (klass);

  worker_class->on_message_async = test_fate_worker_on_message_async;
  worker_class->on_message_finish = test_fate_worker_on_message_finish;
}

static void
test_fate_worker_init (TestFateWorker *self)
{
  self->stuck_at = -1;
  self->stop_at = -1;
}

static void
fate_message_failed_cb (FluidQueueConsumer *consumer,
                        const GValue       *message,
                        const GError       *error,
                        gpointer            user_data)
{
  TestFateWorker *self = TEST_FATE_WORKER (consumer);
  int value = g_value_get_int (message);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpint (self->err[value], ==, 1);
  /* Counted before the signal. */
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (consumer), "failed"), ==, self->n_signalled + 1);
  self->signalled[value]++;
  self->n_signalled++;
}

typedef enum
{
  FATE_STOP_GRACEFUL,   /* a graceful stop while handling message 100 */
  FATE_STOP_FORCED,     /* message 100 never completes; forced stop */
  FATE_STOP_NONE,       /* runs until a failure stops it, or until shutdown */
} FateStop;

/* Sends N_FATE messages, lets the worker run as @stop says, and checks
 * that every message ended in exactly one of processed, failed and
 * discarded, when shutdown completes and after. */
static void
check_fates (gboolean drain,
             gboolean stop_on_failure,
             FateStop stop)
{
  g_autoptr(TestFateWorker) worker = g_object_new (TEST_TYPE_FATE_WORKER,
                                                   "stopping-grace-period", 0.05,
                                                   NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  g_autoptr(GError) error = NULL;
  guint64 processed, failed, discarded;
  guint n_ok = 0, n_err = 0;
  gboolean ok;

  g_test_message ("drain %d, stop-on-failure %d, stop %d", drain, stop_on_failure, stop);
  worker->fail_every = 7;
  if (stop == FATE_STOP_GRACEFUL)
    worker->stop_at = 100;
  else if (stop == FATE_STOP_FORCED)
    worker->stuck_at = 100;
  fluid_queue_consumer_set_drain_on_stop (consumer, drain);
  g_object_set (worker, "stop-on-failure", stop_on_failure, NULL);
  g_signal_connect (worker, "message-failed", G_CALLBACK (fate_message_failed_cb), NULL);

  for (int i = 0; i < N_FATE; i++)
    send_int (consumer, i);
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));

  if (stop == FATE_STOP_FORCED)
    {
      fluid_test_wait_until (worker->stuck != NULL || fluid_worker_is_stopped (FLUID_WORKER (worker)));
      ok = fluid_test_shutdown (FLUID_WORKER (worker), &error);
    }
  else if (stop == FATE_STOP_NONE && !stop_on_failure)
    {
      fluid_test_wait_until (fluid_queue_consumer_get_queue_size (consumer) == 0 &&
                             fluid_test_status_uint64 (FLUID_WORKER (worker), "processed") +
                             fluid_test_status_uint64 (FLUID_WORKER (worker), "failed") == N_FATE);
      ok = fluid_test_shutdown (FLUID_WORKER (worker), &error);
    }
  else
    ok = fluid_test_wait_for_shutdown (FLUID_WORKER (worker), &error);

  /* Message 0 fails first (0 % 7 == 0): with stop-on-failure, it ends the
   * worker with its error, exit code 2. */
  if (stop_on_failure)
    {
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (worker)), ==, 2);
      g_assert_cmpstr (fluid_worker_get_stop_reason (FLUID_WORKER (worker)), ==, "bad message 0");
      g_assert_cmpuint (worker->n_signalled, ==, 1);
    }
  else
    {
      g_assert_true (ok);
      g_assert_no_error (error);
      g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (worker)), ==,
                       stop == FATE_STOP_FORCED ? 1 : 0);
    }

  processed = fluid_test_status_uint64 (FLUID_WORKER (worker), "processed");
  failed = fluid_test_status_uint64 (FLUID_WORKER (worker), "failed");
  discarded = fluid_test_status_uint64 (FLUID_WORKER (worker), "discarded");
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);

  for (guint i = 0; i < N_FATE; i++)
    {
      /* Handled at most once, and signalled exactly when it failed. */
      g_assert_cmpuint (worker->ok[i] + worker->err[i], <=, 1);
      g_assert_cmpuint (worker->signalled[i], ==, worker->err[i]);
      n_ok += worker->ok[i];
      n_err += worker->err[i];
    }
  g_assert_cmpuint (processed, ==, n_ok);
  g_assert_cmpuint (failed, ==, n_err);
  g_assert_cmpuint (processed + failed + discarded, ==, N_FATE);

  if (stop == FATE_STOP_GRACEFUL && !stop_on_failure)
    {
      /* Handled up to the stop, and with drain-on-stop every message. */
      g_assert_cmpuint (processed + failed, ==, drain ? N_FATE : 101);
    }
  if (stop == FATE_STOP_FORCED && !stop_on_failure)
    {
      /* 0..99 handled; 100, in hand, and the rest discarded. */
      g_assert_cmpuint (processed + failed, ==, 100);
      g_assert_cmpuint (discarded, ==, N_FATE - 100);
    }

  /* A late completion of the message in hand counts nothing twice. */
  if (worker->stuck != NULL)
    {
      GTask *task = g_steal_pointer (&worker->stuck);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "late");
      g_object_unref (task);
      fluid_test_settle (NULL);
      g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "failed"), ==, failed);
      g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "discarded"), ==, discarded);
      g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (worker), "processed"), ==, processed);
    }
  fluid_test_settle (NULL);
  g_assert_cmpuint (worker->n_signalled, ==, failed);
}

static void
test_fates (void)
{
  for (guint drain = 0; drain <= 1; drain++)
    for (guint stop_on_failure = 0; stop_on_failure <= 1; stop_on_failure++)
      for (FateStop stop = FATE_STOP_GRACEFUL; stop <= FATE_STOP_NONE; stop++)
        check_fates (drain, stop_on_failure, stop);
}

/* stop-on-failure: TRUE by default, read-write, notified once per
 * change, changeable while the worker runs. */
static void
test_stop_on_failure_property (void)
{
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (NULL, NULL, NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (worker), "stop-on-failure");
  guint notified = 0;
  gboolean value = FALSE;

  g_assert_nonnull (pspec);
  g_assert_true (pspec->flags & G_PARAM_READWRITE);
  g_assert_false (pspec->flags & G_PARAM_CONSTRUCT_ONLY);
  g_assert_true (fluid_queue_consumer_get_stop_on_failure (consumer));
  g_signal_connect (worker, "notify::stop-on-failure", G_CALLBACK (count_notify_cb), &notified);
  g_assert_true (fluid_test_startup (worker, NULL));
  g_object_set (worker, "stop-on-failure", FALSE, NULL);
  g_object_get (worker, "stop-on-failure", &value, NULL);
  g_assert_false (value);
  g_assert_cmpuint (notified, ==, 1);
  fluid_queue_consumer_set_stop_on_failure (consumer, FALSE);
  g_assert_cmpuint (notified, ==, 1);
  fluid_queue_consumer_set_stop_on_failure (consumer, TRUE);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "failed"), ==, 0);
  g_assert_true (fluid_test_shutdown (worker, NULL));

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_QUEUE_CONSUMER*");
  fluid_queue_consumer_set_stop_on_failure (NULL, TRUE);
  g_test_assert_expected_messages ();
}

static void
fail_on_third (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               gpointer                  user_data)
{
  guint *count = user_data;

  if (++(*count) == 3)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                                                     "third");

      fluid_worker_fail (FLUID_WORKER (worker), error);
    }
}

/* A FluidMessageFunc fails its worker with fluid_worker_fail(): exit code
 * 2 and that error; its message, in hand, is discarded, not failed. */
static void
test_message_func_fails_worker (void)
{
  guint count = 0;
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (fail_on_third, &count, NULL);
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 10; i++)
    send_int (FLUID_QUEUE_CONSUMER (worker), i);
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, 2);
  g_assert_cmpuint (count, ==, 3);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "processed"), ==, 2);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "failed"), ==, 0);
  g_assert_cmpuint (fluid_test_status_uint64 (worker, "discarded"), ==, 8);
}

/* A base consumer (no pump) reports `failed` too. */
static void
test_failed_key_everywhere (void)
{
  g_autoptr(FluidWorker) idle = g_object_new (FLUID_TEST_TYPE_IDLE_CONSUMER, NULL);

  g_assert_cmpuint (fluid_test_status_uint64 (idle, "failed"), ==, 0);
}

/* 8 producers send while the consumer, failing some messages, is stopped
 * mid-stream: once the producers are done, every message sent ended in
 * exactly one of the three counts. */
#define N_FLOOD_THREADS 8
#define N_FLOOD_PER_THREAD 20000

typedef struct
{
  FluidQueueConsumer *consumer;
  guint               thread_index;
  gint               *sent;
} FloodProducer;

static gpointer
flood_producer_thread (gpointer data)
{
  FloodProducer *producer = data;

  for (guint i = 0; i < N_FLOOD_PER_THREAD; i++)
    {
      GValue message = G_VALUE_INIT;

      g_value_init (&message, G_TYPE_UINT64);
      g_value_set_uint64 (&message, ((guint64) producer->thread_index << 32) | i);
      fluid_queue_consumer_send (producer->consumer, &message);
      g_atomic_int_inc (producer->sent);
    }
  g_object_unref (producer->consumer);
  return NULL;
}

typedef struct
{
  GTask *task;
  guint  handled;
} FloodState;

static gboolean
flood_complete_cb (gpointer user_data)
{
  GTask *task = user_data;
  guint64 value = GPOINTER_TO_SIZE (g_task_get_task_data (task));

  if (value % 11 == 0)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "multiple of 11");
  else
    g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

#define TEST_TYPE_FLOOD_WORKER (test_flood_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestFloodWorker, test_flood_worker, TEST, FLOOD_WORKER, FluidQueueConsumerWorker)

struct _TestFloodWorker
{
  FluidQueueConsumerWorker parent_instance;
  guint handled;
};

G_DEFINE_FINAL_TYPE (TestFloodWorker, test_flood_worker, FLUID_TYPE_QUEUE_CONSUMER_WORKER)

static void
test_flood_worker_on_message_async (FluidQueueConsumerWorker *worker,
                                    const GValue             *message,
                                    GCancellable             *cancellable,
                                    GAsyncReadyCallback       callback,
                                    gpointer                  user_data)
{
  GTask *task = g_task_new (worker, NULL, callback, user_data);
  guint64 value = g_value_get_uint64 (message) & 0xffffffff;

  TEST_FLOOD_WORKER (worker)->handled++;
  g_task_set_task_data (task, GSIZE_TO_POINTER ((gsize) value), NULL);
  /* Every other message completes at once, the others later. */
  if (value % 2 == 0)
    {
      flood_complete_cb (task);
      g_object_unref (task);
    }
  else
    g_idle_add_full (G_PRIORITY_DEFAULT, flood_complete_cb, task, g_object_unref);
}

static void
test_flood_worker_class_init (TestFloodWorkerClass *klass)
{
  FluidQueueConsumerWorkerClass *worker_class = FLUID_QUEUE_CONSUMER_WORKER_CLASS (klass);

  worker_class->on_message_async = test_flood_worker_on_message_async;
  worker_class->on_message_finish = test_fate_worker_on_message_finish;
}

static void
test_flood_worker_init (TestFloodWorker *self)
{
}

static void
check_flood (gboolean drain,
             gboolean force)
{
  g_autoptr(TestFloodWorker) worker = g_object_new (TEST_TYPE_FLOOD_WORKER,
                                                    "stopping-grace-period", force ? 0.0 : 10.0,
                                                    "stop-on-failure", FALSE,
                                                    "drain-on-stop", drain,
                                                    NULL);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  FloodProducer producers[N_FLOOD_THREADS];
  GThread *threads[N_FLOOD_THREADS];
  guint total = N_FLOOD_THREADS * N_FLOOD_PER_THREAD;
  guint64 processed, failed, discarded;
  gint sent = 0;

  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), NULL));
  for (guint t = 0; t < N_FLOOD_THREADS; t++)
    {
      /* Each producer thread holds its own reference. */
      producers[t] = (FloodProducer) { g_object_ref (consumer), t, &sent };
      threads[t] = g_thread_new ("producer", flood_producer_thread, &producers[t]);
    }
  /* Stop in the middle of the flow. */
  fluid_test_wait_until (worker->handled > 100 || (guint) g_atomic_int_get (&sent) == total);
  fluid_test_shutdown (FLUID_WORKER (worker), NULL);
  g_assert_true (fluid_worker_is_stopped (FLUID_WORKER (worker)));
  for (guint t = 0; t < N_FLOOD_THREADS; t++)
    g_thread_join (threads[t]);
  fluid_test_settle (NULL);

  processed = fluid_test_status_uint64 (FLUID_WORKER (worker), "processed");
  failed = fluid_test_status_uint64 (FLUID_WORKER (worker), "failed");
  discarded = fluid_test_status_uint64 (FLUID_WORKER (worker), "discarded");
  g_test_message ("drain %d force %d: processed %" G_GUINT64_FORMAT " failed %" G_GUINT64_FORMAT
                  " discarded %" G_GUINT64_FORMAT, drain, force, processed, failed, discarded);
  g_assert_cmpuint (processed + failed, <=, worker->handled);
  g_assert_cmpuint (worker->handled - (processed + failed), <=, 1);
  g_assert_cmpuint (processed + failed + discarded, ==, total);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);
}

static void
test_flood_stop (void)
{
  for (guint drain = 0; drain <= 1; drain++)
    for (guint force = 0; force <= 1; force++)
      check_flood (drain, force);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/queue-consumer/threads", test_threads);
  g_test_add_func ("/queue-consumer/stop-under-load", test_stop_under_load);
  g_test_add_func ("/queue-consumer/bad-input", test_bad_input);
  g_test_add_func ("/queue-consumer/consumer-on-its-thread", test_consumer_on_its_thread);
  g_test_add_func ("/queue-consumer/forced-stop-accounting", test_forced_stop_accounting);
  g_test_add_func ("/queue-consumer/fates", test_fates);
  g_test_add_func ("/queue-consumer/stop-on-failure-property", test_stop_on_failure_property);
  g_test_add_func ("/queue-consumer/message-func-fails-worker", test_message_func_fails_worker);
  g_test_add_func ("/queue-consumer/failed-key-everywhere", test_failed_key_everywhere);
  g_test_add_func ("/queue-consumer/flood-stop", test_flood_stop);

  return g_test_run ();
}
