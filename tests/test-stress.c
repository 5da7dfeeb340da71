/* test-stress.c: many producer threads flooding one consumer that is
 * stopped gracefully mid-stream; nothing lost, nothing handled twice
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#define N_PRODUCERS 8
#define N_MESSAGES  250000
/* Each producer sends the first half of its messages and waits at
 * CHECKPOINT until it is released; then it sends while the consumer is
 * asked to stop, up to LAST_GATE, where it waits until the stop was
 * requested (if it was not yet), and sends the last quarter after the stop:
 * half of the stream is sent before the stop, a quarter races with it, a
 * quarter follows it. */
#define CHECKPOINT  (N_MESSAGES / 2)
#define LAST_GATE   (N_MESSAGES / 4 * 3)

/* A message is a guint64: the producer's id in the high 32 bits, the
 * sequence number in the low ones. */
#define MESSAGE_ENCODE(id, seq) (((guint64) (id) << 32) | (guint64) (seq))

typedef struct _Stress Stress;

typedef struct
{
  Stress   *stress;
  guint     id;
  int       sent;       /* atomic: messages whose send has returned */
  GThread  *thread;
} Producer;

struct _Stress
{
  FluidWorker  *worker;
  GMainContext *context;

  /* Producers wait at CHECKPOINT until released, at LAST_GATE until the
   * stop was requested. */
  GMutex        lock;
  GCond         cond;
  gboolean      released;
  gboolean      stop_requested;
  int           at_checkpoint;  /* atomic */

  Producer      producers[N_PRODUCERS];

  /* On the worker's context only. */
  guint8       *handled;        /* N_PRODUCERS * N_MESSAGES counts */
  guint64       n_handled;
  gint64        last_seq[N_PRODUCERS];
  gboolean      handled_after_stop_request;
  gboolean      stop_requested_here;
};

static void
stress_on_message (FluidQueueConsumerWorker *worker,
                   const GValue             *message,
                   gpointer                  user_data)
{
  Stress *stress = user_data;
  guint64 value;
  guint id, seq;

  /* Plain checks, not g_assert_*(): this runs two million times. */
  if (G_UNLIKELY (!G_VALUE_HOLDS_UINT64 (message)))
    g_error ("message of type %s", G_VALUE_TYPE_NAME (message));

  value = g_value_get_uint64 (message);
  id = (guint) (value >> 32);
  seq = (guint) (value & G_MAXUINT32);
  if (G_UNLIKELY (id >= N_PRODUCERS || seq >= N_MESSAGES))
    g_error ("message %" G_GUINT64_FORMAT " out of range", value);

  if (G_UNLIKELY (stress->handled[id * N_MESSAGES + seq] != 0))
    g_error ("message %u/%u handled twice", id, seq);
  stress->handled[id * N_MESSAGES + seq]++;

  /* One producer's messages are handled in the order it sent them. */
  if (G_UNLIKELY ((gint64) seq <= stress->last_seq[id]))
    g_error ("message %u/%u handled after %u/%" G_GINT64_FORMAT,
             id, seq, id, stress->last_seq[id]);
  stress->last_seq[id] = seq;

  if (stress->stop_requested_here)
    stress->handled_after_stop_request = TRUE;
  stress->n_handled++;
}

static gpointer
producer_thread (gpointer user_data)
{
  Producer *producer = user_data;
  Stress *stress = producer->stress;
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (stress->worker);
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_UINT64);
  for (guint seq = 0; seq < N_MESSAGES; seq++)
    {
      if (seq == CHECKPOINT)
        {
          g_atomic_int_inc (&stress->at_checkpoint);
          g_main_context_wakeup (stress->context);

          g_mutex_lock (&stress->lock);
          while (!stress->released)
            g_cond_wait (&stress->cond, &stress->lock);
          g_mutex_unlock (&stress->lock);
        }
      else if (seq == LAST_GATE)
        {
          g_mutex_lock (&stress->lock);
          while (!stress->stop_requested)
            g_cond_wait (&stress->cond, &stress->lock);
          g_mutex_unlock (&stress->lock);
        }

      g_value_set_uint64 (&value, MESSAGE_ENCODE (producer->id, seq));
      fluid_queue_consumer_send (consumer, &value);
      g_atomic_int_set (&producer->sent, (int) seq + 1);
    }
  g_value_unset (&value);

  return NULL;
}

static void
stress_run (gboolean drain_on_stop)
{
  Stress stress = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) status = NULL;
  guint64 sent = 0, discarded, processed, counted = 0, total_before_stop = 0;
  guint sent_before_stop[N_PRODUCERS];
  gint64 start = g_get_monotonic_time ();

  stress.context = g_main_context_ref_thread_default ();
  g_mutex_init (&stress.lock);
  g_cond_init (&stress.cond);
  stress.handled = g_new0 (guint8, (gsize) N_PRODUCERS * N_MESSAGES);
  for (guint i = 0; i < N_PRODUCERS; i++)
    stress.last_seq[i] = -1;

  stress.worker = fluid_queue_consumer_worker_new (stress_on_message, &stress, NULL);
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (stress.worker), drain_on_stop);
  g_assert_true (fluid_test_startup (stress.worker, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < N_PRODUCERS; i++)
    {
      Producer *producer = &stress.producers[i];
      g_autofree char *name = g_strdup_printf ("producer-%u", i);

      producer->stress = &stress;
      producer->id = i;
      producer->thread = g_thread_new (name, producer_thread, producer);
    }

  /* Mid-stream: every producer sent half of its messages, and the
   * consumer has handled some. */
  fluid_test_wait_until (g_atomic_int_get (&stress.at_checkpoint) == N_PRODUCERS &&
                         stress.n_handled > 0);
  for (guint i = 0; i < N_PRODUCERS; i++)
    g_assert_cmpint (g_atomic_int_get (&stress.producers[i].sent), ==, CHECKPOINT);

  /* Release them, and stop while they send. */
  g_mutex_lock (&stress.lock);
  stress.released = TRUE;
  g_cond_broadcast (&stress.cond);
  g_mutex_unlock (&stress.lock);
  fluid_test_wait_until (stress.n_handled >= (guint64) N_PRODUCERS * CHECKPOINT / 2);

  /* What was sent before the stop: what each producer's send had returned
   * for, read before the request. */
  for (guint i = 0; i < N_PRODUCERS; i++)
    {
      sent_before_stop[i] = (guint) g_atomic_int_get (&stress.producers[i].sent);
      g_assert_cmpuint (sent_before_stop[i], >=, CHECKPOINT);
      g_assert_cmpuint (sent_before_stop[i], <=, LAST_GATE);
      total_before_stop += sent_before_stop[i];
    }
  g_test_message ("drain-on-stop %d: %" G_GUINT64_FORMAT " sent and %" G_GUINT64_FORMAT
                  " handled before the stop, %u queued", drain_on_stop, total_before_stop,
                  stress.n_handled,
                  fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (stress.worker)));

  /* On the worker's own context, the request takes effect at once. */
  fluid_worker_gracefully_stop (stress.worker);
  stress.stop_requested_here = TRUE;
  g_assert_true (fluid_worker_is_stopping (stress.worker) ||
                 fluid_worker_is_stopped (stress.worker));

  /* The last quarter is sent after the stop. */
  g_mutex_lock (&stress.lock);
  stress.stop_requested = TRUE;
  g_cond_broadcast (&stress.cond);
  g_mutex_unlock (&stress.lock);

  g_assert_true (fluid_test_wait_for_shutdown (stress.worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (stress.worker), ==, FLUID_WORKER_STATE_STOPPED);

  for (guint i = 0; i < N_PRODUCERS; i++)
    {
      g_thread_join (stress.producers[i].thread);
      sent += (guint64) g_atomic_int_get (&stress.producers[i].sent);
    }
  g_assert_cmpuint (sent, ==, (guint64) N_PRODUCERS * N_MESSAGES);

  /* Every message sent is handled exactly once or counted as discarded. */
  status = fluid_test_status (stress.worker);
  g_assert_true (g_variant_lookup (status, "discarded", "t", &discarded));
  g_assert_true (g_variant_lookup (status, "processed", "t", &processed));
  g_assert_cmpuint (discarded, ==,
                    fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (stress.worker)));
  g_assert_cmpuint (processed, ==, stress.n_handled);
  g_assert_cmpuint (stress.n_handled + discarded, ==, sent);

  for (gsize i = 0; i < (gsize) N_PRODUCERS * N_MESSAGES; i++)
    counted += stress.handled[i];
  g_assert_cmpuint (counted, ==, stress.n_handled);

  if (drain_on_stop)
    {
      /* Every message queued before the stop was handled. */
      for (guint id = 0; id < N_PRODUCERS; id++)
        for (guint seq = 0; seq < sent_before_stop[id]; seq++)
          if (stress.handled[id * N_MESSAGES + seq] != 1)
            g_error ("message %u/%u, sent before the stop, was not handled", id, seq);
    }
  else
    {
      /* Nothing is handled once the worker is stopping: what was queued at
       * the request and every message sent after it is discarded. */
      g_assert_false (stress.handled_after_stop_request);
      for (guint id = 0; id < N_PRODUCERS; id++)
        for (guint seq = LAST_GATE; seq < N_MESSAGES; seq++)
          g_assert_cmpuint (stress.handled[id * N_MESSAGES + seq], ==, 0);
    }
  g_assert_cmpuint (discarded, >=, (guint64) N_PRODUCERS * (N_MESSAGES - LAST_GATE));

  g_test_message ("drain-on-stop %d: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT
                  " handled, %" G_GUINT64_FORMAT " discarded in %.2f s",
                  drain_on_stop, sent, stress.n_handled, discarded,
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  g_clear_object (&stress.worker);
  g_free (stress.handled);
  g_cond_clear (&stress.cond);
  g_mutex_clear (&stress.lock);
  g_main_context_unref (stress.context);
}

static void
test_stop_mid_stream_drain (void)
{
  stress_run (TRUE);
}

static void
test_stop_mid_stream_no_drain (void)
{
  stress_run (FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stress/stop-mid-stream/drain", test_stop_mid_stream_drain);
  g_test_add_func ("/stress/stop-mid-stream/no-drain", test_stop_mid_stream_no_drain);

  return g_test_run ();
}
