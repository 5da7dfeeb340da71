/* test-message-queue.c: the queue every consumer is fed through, alone
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-message-queue-private.h"
#include "fluid-queue-consumer-private.h"
#include "fluid-queue-consumer-worker.h"
#include "fluid-tsan-private.h"

/* Helpers */

static FluidMessage *
message_new (int value,
             int priority)
{
  FluidMessage *message = fluid_message_new (G_TYPE_INT);

  g_value_set_int (&message->value, value);
  message->priority = priority;
  return message;
}

static void
push (FluidMessageQueue *queue,
      int                value,
      int                priority)
{
  g_assert_true (fluid_message_queue_push (queue, message_new (value, priority)));
}

/* The values of @list, as "1 2 3", and frees it. */
static char *
list_take_values (FluidMessageList *list)
{
  GString *values = g_string_new (NULL);
  FluidMessage *message;

  while ((message = fluid_message_list_pop (list)) != NULL)
    {
      g_string_append_printf (values, "%s%d", values->len > 0 ? " " : "", g_value_get_int (&message->value));
      fluid_message_free (message);
    }
  return g_string_free (values, FALSE);
}

/* Takes everything, starts it and tells it processed: the values, in the
 * order taken. */
static char *
take_all (FluidMessageQueue *queue)
{
  FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
  FluidMessageTally tally = { 0, 0, 0 };
  guint n = fluid_message_queue_steal (queue, G_MAXUINT, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER,
                                       NULL, &batch, NULL);

  fluid_message_queue_start (queue, n);
  tally.processed = n;
  fluid_message_queue_tally (queue, &tally);
  return list_take_values (&batch);
}

static void
count_cb (gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
collect_cb (FluidMessage *message,
            gpointer      user_data)
{
  GString *values = user_data;

  g_string_append_printf (values, "%s%d", values->len > 0 ? " " : "", g_value_get_int (&message->value));
}

static char *
queued_values (FluidMessageQueue *queue)
{
  GString *values = g_string_new (NULL);

  fluid_message_queue_foreach (queue, collect_cb, values);
  return g_string_free (values, FALSE);
}

static void
assert_counters (FluidMessageQueue *queue,
                 guint              size,
                 guint64            processed,
                 guint64            failed,
                 guint64            discarded)
{
  FluidMessageCounters counters;

  fluid_message_queue_read_counters (queue, &counters);
  g_assert_cmpuint (counters.size, ==, size);
  g_assert_cmpuint (counters.processed, ==, processed);
  g_assert_cmpuint (counters.failed, ==, failed);
  g_assert_cmpuint (counters.discarded, ==, discarded);
}

static GError *
stopped_error (void)
{
  return g_error_new_literal (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED, "stopped");
}

static void
close_and_free (FluidMessageQueue *queue)
{
  g_autoptr(GError) error = stopped_error ();
  FluidMessageList dropped = fluid_message_queue_close (queue, error);

  fluid_message_list_free (&dropped);
  fluid_message_queue_free (queue);
}

/* Lanes: the lowest priority first, first come first served within one;
 * foreach tells the same order, and the steal takes whole lanes. */
static void
test_priority_lanes (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  g_autofree char *listed = NULL, *taken = NULL;

  push (queue, 1, G_PRIORITY_DEFAULT);
  push (queue, 2, G_PRIORITY_LOW);
  push (queue, 3, G_PRIORITY_HIGH);
  push (queue, 4, G_PRIORITY_DEFAULT);
  push (queue, 5, G_PRIORITY_DEFAULT_IDLE);
  push (queue, 6, G_PRIORITY_HIGH);
  push (queue, 7, -1000);
  push (queue, 8, G_PRIORITY_LOW);

  listed = queued_values (queue);
  g_assert_cmpstr (listed, ==, "7 3 6 1 4 5 2 8");
  g_assert_cmpuint (fluid_message_queue_get_size (queue), ==, 8);
  taken = take_all (queue);
  g_assert_cmpstr (taken, ==, "7 3 6 1 4 5 2 8");
  assert_counters (queue, 0, 8, 0, 0);
  close_and_free (queue);
}

/* A steal takes at most @max, and a share of what is queued; what it took
 * counts as queued until started, and as the reader's until told. */
static void
test_steal_share_and_size (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
  FluidMessageTally tally = { 0, 0, 0 };
  g_autofree char *first = NULL, *second = NULL;
  guint left = 0;

  for (int i = 0; i < 100; i++)
    push (queue, i, G_PRIORITY_DEFAULT);

  /* 100 / 10 + 1 = 11, below 32. */
  g_assert_cmpuint (fluid_message_queue_steal (queue, 32, 10, FLUID_MESSAGE_QUEUE_ARM_NEVER, NULL,
                                               &batch, &left), ==, 11);
  g_assert_cmpuint (left, ==, 89);
  g_assert_cmpuint (fluid_message_queue_get_size (queue), ==, 100);
  g_assert_false (fluid_message_queue_is_idle (queue));
  fluid_message_queue_start (queue, 1);
  fluid_message_queue_start (queue, 1);
  g_assert_cmpuint (fluid_message_queue_get_size (queue), ==, 98);
  first = list_take_values (&batch);
  g_assert_cmpstr (first, ==, "0 1 2 3 4 5 6 7 8 9 10");
  /* Dropped without running: they leave the size too. */
  fluid_message_queue_start (queue, 9);

  /* Told with the next steal, under its lock. */
  tally.processed = 2;
  tally.discarded = 9;
  g_assert_cmpuint (fluid_message_queue_steal (queue, 5, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER, &tally,
                                               &batch, &left), ==, 5);
  g_assert_cmpuint (tally.processed + tally.discarded, ==, 0);
  g_assert_cmpuint (left, ==, 84);
  assert_counters (queue, 89, 2, 0, 9);
  second = list_take_values (&batch);
  g_assert_cmpstr (second, ==, "11 12 13 14 15");
  close_and_free (queue);
}

/* Put back: the messages taken and not run go in front of their lanes,
 * in order, before what was queued meanwhile, and count as queued again. */
static void
test_put_back (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
  g_autofree char *listed = NULL;

  push (queue, 1, G_PRIORITY_DEFAULT);
  push (queue, 2, G_PRIORITY_HIGH);
  push (queue, 3, G_PRIORITY_DEFAULT);
  push (queue, 4, G_PRIORITY_LOW);
  g_assert_cmpuint (fluid_message_queue_steal (queue, G_MAXUINT, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER,
                                               NULL, &batch, NULL), ==, 4);
  push (queue, 5, G_PRIORITY_DEFAULT);
  push (queue, 6, G_PRIORITY_HIGH);
  g_assert_cmpuint (fluid_message_queue_get_size (queue), ==, 6);

  fluid_message_queue_put_back (queue, &batch, FALSE, NULL);
  g_assert_null (batch.head);
  g_assert_cmpuint (fluid_message_queue_get_size (queue), ==, 6);
  g_assert_true (fluid_message_queue_is_idle (queue) == FALSE);
  listed = queued_values (queue);
  g_assert_cmpstr (listed, ==, "2 6 1 3 5 4");
  assert_counters (queue, 6, 0, 0, 0);

  /* A share started as a whole (a thread's), then given back: it left the
   * size, and comes back to it. */
  g_assert_cmpuint (fluid_message_queue_steal (queue, 3, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER,
                                               NULL, &batch, NULL), ==, 3);
  fluid_message_queue_start (queue, 3);
  g_assert_cmpuint (fluid_message_queue_get_size (queue), ==, 3);
  fluid_message_queue_put_back (queue, &batch, TRUE, NULL);
  assert_counters (queue, 6, 0, 0, 0);
  g_assert_true (fluid_message_queue_is_idle (queue) == FALSE);
  close_and_free (queue);
}

/* A message of a higher priority queued after a steal preempts the
 * batch: the reader sees it with an atomic read. */
static void
test_preempts (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  g_autofree char *taken = NULL;

  g_assert_false (fluid_message_queue_preempts (queue, G_PRIORITY_LOW));
  push (queue, 1, G_PRIORITY_DEFAULT);
  g_assert_true (fluid_message_queue_preempts (queue, G_PRIORITY_LOW));
  g_assert_false (fluid_message_queue_preempts (queue, G_PRIORITY_DEFAULT));
  push (queue, 2, G_PRIORITY_HIGH);
  g_assert_true (fluid_message_queue_preempts (queue, G_PRIORITY_DEFAULT));
  taken = take_all (queue);
  g_assert_false (fluid_message_queue_preempts (queue, G_PRIORITY_HIGH));
  close_and_free (queue);
}

/* Remove: a queued message leaves in O(1) and is the caller's; one taken,
 * whole lane or alone, is not queued any more; one put back is again. */
static void
test_remove (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  FluidMessage *a = message_new (1, G_PRIORITY_DEFAULT);
  FluidMessage *b = message_new (2, G_PRIORITY_DEFAULT);
  FluidMessage *c = message_new (3, G_PRIORITY_LOW);
  FluidMessage *d = message_new (4, G_PRIORITY_LOW);
  FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
  g_autofree char *listed = NULL;

  fluid_message_queue_push (queue, a);
  fluid_message_queue_push (queue, b);
  fluid_message_queue_push (queue, c);
  fluid_message_queue_push (queue, d);

  g_assert_true (fluid_message_queue_remove (queue, c));
  fluid_message_free (c);
  g_assert_cmpuint (fluid_message_queue_get_size (queue), ==, 3);

  /* The default lane whole (a, b), then d alone from the low one. */
  g_assert_cmpuint (fluid_message_queue_steal (queue, 2, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER, NULL,
                                               &batch, NULL), ==, 2);
  g_assert_false (fluid_message_queue_remove (queue, a));
  g_assert_false (fluid_message_queue_remove (queue, b));
  push (queue, 5, G_PRIORITY_LOW);
  g_assert_cmpuint (fluid_message_queue_steal (queue, 1, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER, NULL,
                                               &batch, NULL), ==, 1);
  g_assert_false (fluid_message_queue_remove (queue, d));

  /* Back in the queue: removable again. */
  fluid_message_queue_put_back (queue, &batch, FALSE, NULL);
  g_assert_true (fluid_message_queue_remove (queue, b));
  fluid_message_free (b);
  g_assert_true (fluid_message_queue_remove (queue, d));
  fluid_message_free (d);
  listed = queued_values (queue);
  g_assert_cmpstr (listed, ==, "1 5");
  assert_counters (queue, 2, 0, 0, 0);

  /* Closed: nothing is queued. */
  {
    g_autoptr(GError) error = stopped_error ();
    FluidMessageList dropped = fluid_message_queue_close (queue, error);

    g_assert_false (fluid_message_queue_remove (queue, a));
    fluid_message_list_free (&dropped);
  }
  fluid_message_queue_free (queue);
}

/* The reader's wake-up: armed by a steal that took nothing (or left the
 * queue empty), called once by the next message, then disarmed. */
static void
test_reader_wake (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
  guint woken = 0;
  g_autofree char *taken = NULL;

  fluid_message_queue_set_reader (queue, count_cb, &woken);
  push (queue, 1, G_PRIORITY_DEFAULT);
  g_assert_cmpuint (woken, ==, 0);

  /* Took one: IF_NONE does not arm, IF_EMPTY does. */
  fluid_message_queue_steal (queue, 1, 1, FLUID_MESSAGE_QUEUE_ARM_IF_NONE, NULL, &batch, NULL);
  push (queue, 2, G_PRIORITY_DEFAULT);
  g_assert_cmpuint (woken, ==, 0);
  fluid_message_queue_steal (queue, 1, 1, FLUID_MESSAGE_QUEUE_ARM_IF_EMPTY, NULL, &batch, NULL);
  push (queue, 3, G_PRIORITY_DEFAULT);
  push (queue, 4, G_PRIORITY_DEFAULT);
  g_assert_cmpuint (woken, ==, 1);

  fluid_message_queue_steal (queue, G_MAXUINT, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER, NULL, &batch, NULL);
  fluid_message_queue_steal (queue, G_MAXUINT, 1, FLUID_MESSAGE_QUEUE_ARM_IF_NONE, NULL, &batch, NULL);
  push (queue, 5, G_PRIORITY_DEFAULT);
  g_assert_cmpuint (woken, ==, 2);

  taken = list_take_values (&batch);
  g_assert_cmpstr (taken, ==, "1 2 3 4");
  close_and_free (queue);
}

/* The watcher of the counters is told once until it has read them. */
static void
test_counters_watched (void)
{
  guint changes = 0;
  FluidMessageQueue *queue = fluid_message_queue_new (count_cb, &changes);
  g_autofree char *taken = NULL;

  push (queue, 1, G_PRIORITY_DEFAULT);
  g_assert_cmpuint (changes, ==, 0);
  fluid_message_queue_watch (queue, TRUE);
  push (queue, 2, G_PRIORITY_DEFAULT);
  push (queue, 3, G_PRIORITY_DEFAULT);
  g_assert_cmpuint (changes, ==, 1);
  fluid_message_queue_counters_seen (queue);
  taken = take_all (queue);
  g_assert_cmpuint (changes, ==, 2);
  fluid_message_queue_counters_seen (queue);
  fluid_message_queue_watch (queue, FALSE);
  push (queue, 4, G_PRIORITY_DEFAULT);
  g_assert_cmpuint (changes, ==, 2);
  close_and_free (queue);
}

/* A graceful stop with drain: as many messages as are queued now may be
 * taken, in the order of the lanes (a message of a higher priority queued
 * after goes first), then none, and nothing preempts what was taken.
 * Without: none, and what the reader holds is recalled. */
static void
test_stop_taking (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
  g_autofree char *taken = NULL;

  push (queue, 1, G_PRIORITY_DEFAULT);
  push (queue, 2, G_PRIORITY_DEFAULT);
  fluid_message_queue_stop_taking (queue, TRUE);
  g_assert_false (fluid_message_queue_recalled (queue));
  push (queue, 3, G_PRIORITY_HIGH);
  /* What was taken runs as taken. */
  g_assert_false (fluid_message_queue_preempts (queue, G_PRIORITY_LOW));
  g_assert_true (fluid_message_queue_can_take (queue));
  g_assert_cmpuint (fluid_message_queue_steal (queue, G_MAXUINT, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER,
                                               NULL, &batch, NULL), ==, 2);
  g_assert_false (fluid_message_queue_can_take (queue));
  taken = list_take_values (&batch);
  g_assert_cmpstr (taken, ==, "3 1");
  close_and_free (queue);

  queue = fluid_message_queue_new (NULL, NULL);
  push (queue, 1, G_PRIORITY_DEFAULT);
  fluid_message_queue_stop_taking (queue, FALSE);
  g_assert_true (fluid_message_queue_recalled (queue));
  g_assert_false (fluid_message_queue_can_take (queue));
  g_assert_cmpuint (fluid_message_queue_steal (queue, G_MAXUINT, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER,
                                               NULL, &batch, NULL), ==, 0);
  g_assert_cmpuint (fluid_message_queue_get_size (queue), ==, 1);
  close_and_free (queue);
}

/* Close: what is queued, and what the reader puts back after, counts as
 * discarded; what is pushed after is discarded at once; the size is 0. */
static void
test_close (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
  g_autoptr(GError) error = stopped_error ();
  FluidMessageList dropped;
  FluidMessage *refused = message_new (9, G_PRIORITY_DEFAULT);

  for (int i = 0; i < 10; i++)
    push (queue, i, i % 2 == 0 ? G_PRIORITY_DEFAULT : G_PRIORITY_HIGH);
  fluid_message_queue_steal (queue, 3, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER, NULL, &batch, NULL);

  dropped = fluid_message_queue_close (queue, error);
  g_assert_cmpuint (dropped.length, ==, 7);
  assert_counters (queue, 0, 0, 0, 7);
  fluid_message_list_free (&dropped);
  g_assert_true (fluid_message_queue_is_closed (queue));
  g_assert_true (fluid_message_queue_recalled (queue));

  fluid_message_queue_put_back (queue, &batch, FALSE, NULL);
  assert_counters (queue, 0, 0, 0, 10);
  g_assert_false (fluid_message_queue_push (queue, message_new (10, G_PRIORITY_DEFAULT)));
  g_assert_false (fluid_message_queue_try_push (queue, refused));
  fluid_message_free (refused);
  assert_counters (queue, 0, 0, 0, 11);
  g_assert_cmpuint (fluid_message_queue_steal (queue, G_MAXUINT, 1, FLUID_MESSAGE_QUEUE_ARM_IF_NONE,
                                               NULL, &batch, NULL), ==, 0);
  fluid_message_queue_free (queue);
}

/* Senders wait for room in order of arrival, come in as the reader starts
 * messages, and fail with the close's error; try_push never jumps the
 * line. */
static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GPtrArray *results = user_data;
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    g_ptr_array_add (results, g_strdup ("ok"));
  else
    {
      g_ptr_array_add (results, g_strdup (error->message));
      g_error_free (error);
    }
}

static void
send_one (FluidMessageQueue *queue,
          int                value,
          GCancellable      *cancellable,
          GPtrArray         *results)
{
  fluid_message_queue_send (queue, message_new (value, G_PRIORITY_DEFAULT),
                            g_task_new (NULL, cancellable, sent_cb, results));
}

static void
test_senders (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = stopped_error ();
  FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
  FluidMessageList dropped;
  FluidMessage *refused = message_new (0, G_PRIORITY_DEFAULT);
  g_autofree char *first = NULL, *listed = NULL;

  fluid_message_queue_set_max_size (queue, 2);
  send_one (queue, 1, NULL, results);
  send_one (queue, 2, NULL, results);
  send_one (queue, 3, NULL, results);
  send_one (queue, 4, cancellable, results);
  send_one (queue, 5, NULL, results);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (results->len, ==, 2);
  /* Room for none, and senders wait before it. */
  g_assert_false (fluid_message_queue_try_push (queue, refused));

  /* Taken, they still count until started. */
  fluid_message_queue_steal (queue, 1, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER, NULL, &batch, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (results->len, ==, 2);
  fluid_message_queue_start (queue, 1);
  g_cancellable_cancel (cancellable);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* 3 came in; 4 was cancelled; 5 waits. */
  g_assert_cmpuint (results->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (results, 2), ==, "ok");
  g_assert_cmpstr (g_ptr_array_index (results, 3), ==, "Operation was cancelled");
  listed = queued_values (queue);
  g_assert_cmpstr (listed, ==, "2 3");

  /* A larger bound lets 5 in. */
  g_assert_true (fluid_message_queue_set_max_size (queue, 3));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (results->len, ==, 5);
  send_one (queue, 6, NULL, results);
  dropped = fluid_message_queue_close (queue, error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (results->len, ==, 6);
  g_assert_cmpstr (g_ptr_array_index (results, 5), ==, "stopped");
  send_one (queue, 7, NULL, results);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpstr (g_ptr_array_index (results, 6), ==, "stopped");
  /* 2, 3 and 5 discarded; 6 and 7 were not taken. */
  assert_counters (queue, 0, 0, 0, 3);

  fluid_message_list_free (&dropped);
  first = list_take_values (&batch);
  g_assert_cmpstr (first, ==, "1");
  fluid_message_free (refused);
  fluid_message_queue_free (queue);
}

/* Producers on threads, against a bounded queue and a reader that takes
 * in shares, each side sleeping while it cannot go on (the reader woken
 * by the queue, a producer by the reader): every message arrives once,
 * in each producer's order. */
#define N_PRODUCERS 4
#define N_PER_PRODUCER 20000

typedef struct
{
  FluidMessageQueue *queue;
  GMutex             lock;
  GCond              cond;
  gboolean           arrived;    /* a message came after the reader armed */
  guint              taken;      /* shares taken: room may have come */
} Traffic;

typedef struct
{
  Traffic *traffic;
  int      producer;
} Producer;

/* Under the lock, which GCond releases and takes again: ThreadSanitizer
 * sees GLib's locks only through fluid_mutex_lock() and these. */
static void
traffic_wait (Traffic *traffic)
{
  fluid_tsan_release (&traffic->lock);
  g_cond_wait (&traffic->cond, &traffic->lock);
  fluid_tsan_acquire (&traffic->lock);
}

static void
traffic_arrived_cb (gpointer user_data)
{
  Traffic *traffic = user_data;

  fluid_mutex_lock (&traffic->lock);
  traffic->arrived = TRUE;
  g_cond_broadcast (&traffic->cond);
  fluid_mutex_unlock (&traffic->lock);
}

static gpointer
produce (gpointer data)
{
  Producer *producer = data;
  Traffic *traffic = producer->traffic;

  for (int i = 0; i < N_PER_PRODUCER; i++)
    {
      FluidMessage *message = message_new (producer->producer * N_PER_PRODUCER + i,
                                           i % 3 == 0 ? G_PRIORITY_HIGH : G_PRIORITY_DEFAULT);

      /* Bounded: waits for room as a producer would, without a context. */
      for (;;)
        {
          guint taken;

          fluid_mutex_lock (&traffic->lock);
          taken = traffic->taken;
          fluid_mutex_unlock (&traffic->lock);
          if (fluid_message_queue_try_push (traffic->queue, message))
            break;
          fluid_mutex_lock (&traffic->lock);
          while (traffic->taken == taken)
            traffic_wait (traffic);
          fluid_mutex_unlock (&traffic->lock);
        }
    }
  return NULL;
}

/* Takes a share, or sleeps until a message arrives. */
static guint
traffic_take (Traffic          *traffic,
              FluidMessageList *batch)
{
  guint n = fluid_message_queue_steal (traffic->queue, 16, 2, FLUID_MESSAGE_QUEUE_ARM_IF_NONE,
                                       NULL, batch, NULL);

  fluid_mutex_lock (&traffic->lock);
  if (n == 0)
    {
      while (!traffic->arrived)
        traffic_wait (traffic);
    }
  traffic->arrived = FALSE;
  fluid_mutex_unlock (&traffic->lock);
  return n;
}

static void
test_threads (void)
{
  Traffic traffic = { fluid_message_queue_new (NULL, NULL), };
  Producer producers[N_PRODUCERS];
  GThread *threads[N_PRODUCERS];
  int next[N_PRODUCERS][2] = { { 0 } };
  guint received = 0;

  g_mutex_init (&traffic.lock);
  g_cond_init (&traffic.cond);
  fluid_message_queue_set_reader (traffic.queue, traffic_arrived_cb, &traffic);
  fluid_message_queue_set_max_size (traffic.queue, 64);
  for (int p = 0; p < N_PRODUCERS; p++)
    {
      producers[p] = (Producer) { &traffic, p };
      threads[p] = g_thread_new ("producer", produce, &producers[p]);
    }
  while (received < N_PRODUCERS * N_PER_PRODUCER)
    {
      FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
      FluidMessageTally tally = { 0, 0, 0 };
      FluidMessage *message;

      if (traffic_take (&traffic, &batch) == 0)
        continue;
      while ((message = fluid_message_list_pop (&batch)) != NULL)
        {
          int value = g_value_get_int (&message->value);
          int p = value / N_PER_PRODUCER, i = value % N_PER_PRODUCER;
          int lane = message->priority == G_PRIORITY_HIGH;

          /* In order within a producer and a lane. */
          g_assert_cmpint (i, >=, next[p][lane]);
          next[p][lane] = i + 1;
          fluid_message_queue_start (traffic.queue, 1);
          fluid_message_free (message);
          tally.processed++;
          received++;
        }
      fluid_message_queue_tally (traffic.queue, &tally);
      fluid_mutex_lock (&traffic.lock);
      traffic.taken++;
      g_cond_broadcast (&traffic.cond);
      fluid_mutex_unlock (&traffic.lock);
    }
  for (int p = 0; p < N_PRODUCERS; p++)
    g_thread_join (threads[p]);
  assert_counters (traffic.queue, 0, N_PRODUCERS * N_PER_PRODUCER, 0, 0);
  g_assert_true (fluid_message_queue_is_idle (traffic.queue));
  close_and_free (traffic.queue);
  g_mutex_clear (&traffic.lock);
  g_cond_clear (&traffic.cond);
}

/* A large queue: taken whole, and closed, each in a few pointer writes. */
static void
test_large (void)
{
  FluidMessageQueue *queue = fluid_message_queue_new (NULL, NULL);
  FluidMessageList batch = FLUID_MESSAGE_LIST_INIT;
  g_autoptr(GError) error = stopped_error ();
  FluidMessageList dropped;
  const guint n = g_test_slow () ? 2000000 : 200000;

  for (guint i = 0; i < n; i++)
    push (queue, (int) i, G_PRIORITY_DEFAULT);
  g_assert_cmpuint (fluid_message_queue_steal (queue, G_MAXUINT, 1, FLUID_MESSAGE_QUEUE_ARM_NEVER,
                                               NULL, &batch, NULL), ==, n);
  g_assert_cmpuint (batch.length, ==, n);
  for (guint i = 0; i < n; i++)
    push (queue, (int) i, i % 2 ? G_PRIORITY_DEFAULT : G_PRIORITY_LOW);
  dropped = fluid_message_queue_close (queue, error);
  g_assert_cmpuint (dropped.length, ==, n);
  fluid_message_queue_put_back (queue, &batch, FALSE, NULL);
  assert_counters (queue, 0, 0, 0, 2 * (guint64) n);
  fluid_message_list_free (&dropped);
  fluid_message_queue_free (queue);
}

/* A consumer's pump holds a batch; a message of a higher priority queued
 * meanwhile runs next, not after the batch. */
typedef struct
{
  GArray *seen;
} Seen;

static void
see_and_push_urgent (FluidQueueConsumerWorker *worker,
                     const GValue             *message,
                     gpointer                  user_data)
{
  Seen *seen = user_data;
  int value = g_value_get_int (message);

  g_array_append_val (seen->seen, value);
  if (value == 1)
    push (fluid_queue_consumer_get_queue (FLUID_QUEUE_CONSUMER (worker)), 100, G_PRIORITY_HIGH);
}

static void
test_pump_preempted (void)
{
  Seen seen = { g_array_new (FALSE, FALSE, sizeof (int)) };
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (see_and_push_urgent, &seen, NULL);
  GValue value = G_VALUE_INIT;
  const int expected[] = { 0, 1, 100, 2, 3, 4 };

  g_value_init (&value, G_TYPE_INT);
  for (int i = 0; i < 5; i++)
    {
      g_value_set_int (&value, i);
      fluid_queue_consumer_send (FLUID_QUEUE_CONSUMER (worker), &value);
    }
  fluid_worker_startup_async (worker, NULL, NULL, NULL);
  while (seen.seen->len < G_N_ELEMENTS (expected))
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (g_array_index (seen.seen, int, i), ==, expected[i]);
  fluid_worker_shutdown_async (worker, NULL, NULL, NULL);
  while (!fluid_worker_is_stopped (worker))
    g_main_context_iteration (NULL, TRUE);
  g_array_unref (seen.seen);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/message-queue/priority-lanes", test_priority_lanes);
  g_test_add_func ("/message-queue/steal-share-and-size", test_steal_share_and_size);
  g_test_add_func ("/message-queue/put-back", test_put_back);
  g_test_add_func ("/message-queue/preempts", test_preempts);
  g_test_add_func ("/message-queue/remove", test_remove);
  g_test_add_func ("/message-queue/reader-wake", test_reader_wake);
  g_test_add_func ("/message-queue/counters-watched", test_counters_watched);
  g_test_add_func ("/message-queue/stop-taking", test_stop_taking);
  g_test_add_func ("/message-queue/close", test_close);
  g_test_add_func ("/message-queue/senders", test_senders);
  g_test_add_func ("/message-queue/threads", test_threads);
  g_test_add_func ("/message-queue/large", test_large);
  g_test_add_func ("/message-queue/pump-preempted", test_pump_preempted);

  return g_test_run ();
}
