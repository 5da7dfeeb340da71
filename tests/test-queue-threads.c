/* test-queue-threads.c: fluid_queue_consumer_worker_new_threaded(), and the
 * invariant every consumer keeps: each message sent ends processed, failed
 * or discarded, exactly one of the three
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <string.h>
#include <sys/prctl.h>

typedef struct
{
  GThread *main_thread;
  gint     running;        /* atomic: handlers running now */
  gint     max_running;    /* atomic */
  gint     handled;        /* atomic */
  gint     on_main;        /* atomic: handlers that ran on the main thread */
  gint     named;          /* atomic: handlers whose thread bears the name */
  /* Fails the messages that are multiples of @fail_every (0: none). */
  int      fail_every;
  /* Holds each handler until released. */
  GMutex   mutex;
  GCond    cond;
  gboolean hold;
  gint     held;           /* atomic */
} Probe;

static void
probe_init (Probe *probe)
{
  memset (probe, 0, sizeof *probe);
  probe->main_thread = g_thread_self ();
  g_mutex_init (&probe->mutex);
  g_cond_init (&probe->cond);
}

static void
probe_clear (Probe *probe)
{
  g_mutex_clear (&probe->mutex);
  g_cond_clear (&probe->cond);
}

static void
probe_release (Probe *probe)
{
  g_mutex_lock (&probe->mutex);
  probe->hold = FALSE;
  g_cond_broadcast (&probe->cond);
  g_mutex_unlock (&probe->mutex);
}

static gboolean
probe_handle (FluidQueueConsumerWorker  *worker,
              const GValue              *message,
              GCancellable              *cancellable,
              gpointer                   user_data,
              GError                   **error)
{
  Probe *probe = user_data;
  gint running = g_atomic_int_add (&probe->running, 1) + 1;
  int value = g_value_get_int (message);
  char name[16] = "";
  gboolean fails;
  gint max;

  while ((max = g_atomic_int_get (&probe->max_running)) < running &&
         !g_atomic_int_compare_and_exchange (&probe->max_running, max, running))
    ;
  if (g_thread_self () == probe->main_thread)
    g_atomic_int_inc (&probe->on_main);
  prctl (PR_GET_NAME, name, 0, 0, 0);
  /* The worker's name, cut to 15 bytes. */
  if (g_str_equal (name, "fluid_queue_con") || g_str_equal (name, "checksums-of-th"))
    g_atomic_int_inc (&probe->named);

  g_mutex_lock (&probe->mutex);
  if (probe->hold)
    {
      g_atomic_int_inc (&probe->held);
      /* Holds on until released, whatever the cancellable says: a stuck
       * handler. */
      while (probe->hold)
        g_cond_wait (&probe->cond, &probe->mutex);
    }
  g_mutex_unlock (&probe->mutex);

  fails = probe->fail_every > 0 && value % probe->fail_every == 0;
  g_atomic_int_add (&probe->running, -1);
  /* The last touch of @probe, an atomic that the test waits on: the test
   * may end, and its stack be reused, right after. */
  g_atomic_int_inc (&probe->handled);
  if (fails)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message %d refused", value);
      return FALSE;
    }
  return TRUE;
}

static void
counts (FluidWorker *worker,
        guint64     *processed,
        guint64     *failed,
        guint64     *discarded)
{
  g_autoptr(GVariant) status = fluid_test_status (worker);

  g_assert_true (g_variant_lookup (status, "processed", "t", processed));
  g_assert_true (g_variant_lookup (status, "failed", "t", failed));
  g_assert_true (g_variant_lookup (status, "discarded", "t", discarded));
}

/* Each message once, on the worker's threads, never more than n_threads
 * at a time. */
static void
test_threaded_basic (void)
{
  Probe probe;
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  guint64 processed, failed, discarded;

  probe_init (&probe);
  worker = fluid_queue_consumer_worker_new_threaded (3, probe_handle, &probe, NULL);
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (worker), 1, 5000);
  g_assert_true (fluid_test_startup (worker, &error));
  fluid_test_wait_until (g_atomic_int_get (&probe.handled) == 5000);
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);

  counts (worker, &processed, &failed, &discarded);
  g_assert_cmpuint (processed, ==, 5000);
  g_assert_cmpuint (failed + discarded, ==, 0);
  g_assert_cmpint (g_atomic_int_get (&probe.on_main), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&probe.named), ==, 5000);
  g_assert_cmpint (g_atomic_int_get (&probe.max_running), <=, 3);
  g_assert_cmpint (g_atomic_int_get (&probe.max_running), >=, 1);
  probe_clear (&probe);
}

/* A named threaded consumer names its threads after it. */
static void
test_threaded_named (void)
{
  Probe probe;
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GError) error = NULL;

  probe_init (&probe);
  worker = fluid_queue_consumer_worker_new_threaded_named ("checksums-of-the-day", 2, probe_handle, &probe, NULL);
  g_assert_cmpstr (fluid_worker_get_name (worker), ==, "checksums-of-the-day");
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (worker), 1, 10);
  g_assert_true (fluid_test_startup (worker, &error));
  fluid_test_wait_until (g_atomic_int_get (&probe.handled) == 10);
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_cmpint (g_atomic_int_get (&probe.named), ==, 10);
  probe_clear (&probe);
}

/* Bug: the threads' names were cut at 15 bytes whatever was there, here
 * in the middle of the "é" that takes bytes 14 and 15, which left a stray
 * byte that no debugger shows. Cut on a character boundary, the name is
 * "fourteen-bytes", as the kernel tells it in /proc/self/task/TID/comm
 * (which /proc/thread-self is, for the thread that reads it). */
typedef struct
{
  gint  done;                  /* atomic */
  char *comm;                  /* set before @done */
} CommProbe;

static gboolean
read_own_comm (FluidQueueConsumerWorker  *worker,
               const GValue              *message,
               GCancellable              *cancellable,
               gpointer                   user_data,
               GError                   **error)
{
  CommProbe *probe = user_data;
  char *comm = NULL;

  if (g_file_get_contents ("/proc/thread-self/comm", &comm, NULL, NULL))
    g_strchomp (comm);
  probe->comm = comm;
  g_atomic_int_set (&probe->done, TRUE);
  return TRUE;
}

static void
test_threaded_name_cut_on_a_character (void)
{
  CommProbe probe = { FALSE, NULL };
  g_autoptr(FluidWorker) worker = NULL;

  if (!g_file_test ("/proc/thread-self/comm", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /proc/thread-self here");
      return;
    }
  worker = fluid_queue_consumer_worker_new_threaded_named ("fourteen-bytes\xc3\xa9", 1,
                                                           read_own_comm, &probe, NULL);
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (worker), 1, 1);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (g_atomic_int_get (&probe.done));
  g_assert_true (fluid_test_shutdown (worker, NULL));

  g_assert_cmpstr (probe.comm, ==, "fourteen-bytes");
  g_free (probe.comm);
}

/* Failures are told on the worker's context; stop-on-failure decides. */
static void
failed_cb (FluidQueueConsumer *consumer,
           const GValue       *message,
           const GError       *error,
           gpointer            user_data)
{
  Probe *probe = user_data;

  g_assert_true (g_thread_self () == probe->main_thread);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpint (g_value_get_int (message) % probe->fail_every, ==, 0);
}

static void
test_threaded_failures (gconstpointer data)
{
  gboolean stop_on_failure = GPOINTER_TO_INT (data);
  Probe probe;
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  guint64 processed, failed, discarded;

  probe_init (&probe);
  probe.fail_every = 10;
  worker = fluid_queue_consumer_worker_new_threaded (4, probe_handle, &probe, NULL);
  fluid_queue_consumer_set_stop_on_failure (FLUID_QUEUE_CONSUMER (worker), stop_on_failure);
  g_signal_connect (worker, "message-failed", G_CALLBACK (failed_cb), &probe);
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (worker), 1, 1000);
  g_assert_true (fluid_test_startup (worker, &error));

  if (stop_on_failure)
    {
      g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_ERROR);
    }
  else
    {
      fluid_test_wait_until (g_atomic_int_get (&probe.handled) == 1000);
      g_assert_true (fluid_test_shutdown (worker, &error));
    }
  counts (worker, &processed, &failed, &discarded);
  g_assert_cmpuint (processed + failed + discarded, ==, 1000);
  if (!stop_on_failure)
    {
      g_assert_cmpuint (failed, ==, 100);
      g_assert_cmpuint (discarded, ==, 0);
    }
  else
    g_assert_cmpuint (failed, >=, 1);
  probe_clear (&probe);
}

/* drain-on-stop waits for the queued and the running handlers. */
static void
test_threaded_drain (void)
{
  Probe probe;
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint64 processed, failed, discarded;

  probe_init (&probe);
  probe.hold = TRUE;
  worker = fluid_queue_consumer_worker_new_threaded (2, probe_handle, &probe, NULL);
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (worker), TRUE);
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (worker), 1, 100);
  g_assert_true (fluid_test_startup (worker, &error));
  fluid_test_wait_until (g_atomic_int_get (&probe.held) == 2);

  fluid_worker_shutdown_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_test_settle (NULL);
  g_assert_null (result);
  probe_release (&probe);
  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_shutdown_finish (worker, result, &error));
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);

  counts (worker, &processed, &failed, &discarded);
  g_assert_cmpuint (processed, ==, 100);
  g_assert_cmpuint (discarded, ==, 0);
  probe_clear (&probe);
}

/* A forced stop never waits for a stuck handler: FORCE_STOPPED within the
 * grace period, the messages in hand counted as discarded, the late
 * results dropped, and the worker freed without joining the threads. */
static void
test_threaded_forced (void)
{
  Probe probe;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;
  guint64 processed, failed, discarded;
  GWeakRef weak;

  probe_init (&probe);
  probe.hold = TRUE;
  worker = fluid_queue_consumer_worker_new_threaded (2, probe_handle, &probe, NULL);
  fluid_worker_set_stopping_grace_period (worker, 0.05);
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (worker), 1, 100);
  g_assert_true (fluid_test_startup (worker, &error));
  fluid_test_wait_until (g_atomic_int_get (&probe.held) == 2);

  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  counts (worker, &processed, &failed, &discarded);
  g_assert_cmpuint (processed + failed + discarded, ==, 100);
  g_assert_cmpuint (processed, ==, 0);

  /* Dropped by the test while its threads are stuck: no join, no wait. */
  g_weak_ref_init (&weak, worker);
  g_object_unref (worker);

  /* Released: the late results are dropped; the threads end and free the
   * worker. */
  probe_release (&probe);
  fluid_test_wait_until (g_atomic_int_get (&probe.handled) >= 2);
  fluid_test_wait_until (({ GObject *alive = g_weak_ref_get (&weak);
                            gboolean gone = alive == NULL;
                            g_clear_object (&alive);
                            gone; }));
  g_weak_ref_clear (&weak);
  probe_clear (&probe);
}

static void
test_threaded_bad_input (void)
{
  if (g_test_subprocess ())
    {
      g_assert_null (fluid_queue_consumer_worker_new_threaded (0, probe_handle, NULL, NULL));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*n_threads > 0*");
}

/* The invariant, under 8 producer threads and a stop mid-stream: every
 * message sent (send, a try_send that returned TRUE, a send_async that
 * succeeded) is processed, failed or discarded, exactly once; a message
 * refused is in none. */
typedef struct
{
  FluidQueueConsumer *consumer;
  gint                accepted;     /* atomic */
  gint                refused;      /* atomic */
  gint                stop;         /* atomic */
} Stream;

static void
stream_sent_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  int *outcome = user_data;
  g_autoptr(GError) error = NULL;

  *outcome = fluid_queue_consumer_send_finish (FLUID_QUEUE_CONSUMER (source), result, &error) ? 1 : 2;
  g_assert_true (*outcome == 1 || g_error_matches (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED));
}

static gpointer
stream_produce (gpointer user_data)
{
  Stream *stream = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  GValue value = G_VALUE_INIT;

  g_main_context_push_thread_default (context);
  g_value_init (&value, G_TYPE_INT);
  for (int i = 1; !g_atomic_int_get (&stream->stop) && i < 200000; i++)
    {
      g_value_set_int (&value, i);
      switch (i % 3)
        {
        case 0:
          fluid_queue_consumer_send (stream->consumer, &value);
          g_atomic_int_inc (&stream->accepted);
          break;
        case 1:
          if (fluid_queue_consumer_try_send (stream->consumer, &value))
            g_atomic_int_inc (&stream->accepted);
          else
            g_atomic_int_inc (&stream->refused);
          break;
        default:
          {
            int outcome = 0;

            fluid_queue_consumer_send_async (stream->consumer, &value, NULL, stream_sent_cb, &outcome);
            while (outcome == 0)
              g_main_context_iteration (context, TRUE);
            g_atomic_int_inc (outcome == 1 ? &stream->accepted : &stream->refused);
          }
        }
    }
  g_main_context_pop_thread_default (context);
  return NULL;
}

static gboolean
ok_or_fail (FluidQueueConsumerWorker  *worker,
            const GValue              *message,
            GCancellable              *cancellable,
            gpointer                   user_data,
            GError                   **error)
{
  if (g_value_get_int (message) % 97 == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "a 97");
      return FALSE;
    }
  return TRUE;
}

static void
ok_or_fail_unthreaded (FluidQueueConsumerWorker *worker,
                       const GValue             *message,
                       GTask                    *task,
                       gpointer                  user_data)
{
  g_autoptr(GError) error = NULL;

  if (ok_or_fail (worker, message, NULL, NULL, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
test_invariant (gconstpointer data)
{
  guint flags = GPOINTER_TO_UINT (data);
  gboolean threaded = flags & 1, drain = flags & 2;
  g_autoptr(FluidWorker) worker = threaded
    ? fluid_queue_consumer_worker_new_threaded (4, ok_or_fail, NULL, NULL)
    : fluid_queue_consumer_worker_new_async (ok_or_fail_unthreaded, NULL, NULL);
  Stream stream = { FLUID_QUEUE_CONSUMER (worker), 0, 0, 0 };
  g_autoptr(GError) error = NULL;
  GThread *producers[8];
  guint64 processed, failed, discarded;

  fluid_queue_consumer_set_stop_on_failure (stream.consumer, FALSE);
  fluid_queue_consumer_set_drain_on_stop (stream.consumer, drain);
  fluid_queue_consumer_set_max_queue_size (stream.consumer, 64);
  g_assert_true (fluid_test_startup (worker, &error));
  for (guint i = 0; i < G_N_ELEMENTS (producers); i++)
    producers[i] = g_thread_new ("producer", stream_produce, &stream);

  /* Mid-stream. */
  fluid_test_wait_until (g_atomic_int_get (&stream.accepted) > 5000);
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_atomic_int_set (&stream.stop, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (producers); i++)
    g_thread_join (producers[i]);

  counts (worker, &processed, &failed, &discarded);
  g_assert_cmpuint (processed + failed + discarded, ==, (guint64) g_atomic_int_get (&stream.accepted));
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (stream.consumer), ==, 0);
  g_test_message ("accepted %d, refused %d: processed %" G_GUINT64_FORMAT ", failed %"
                  G_GUINT64_FORMAT ", discarded %" G_GUINT64_FORMAT,
                  stream.accepted, stream.refused, processed, failed, discarded);
}

/* A group whose children are threaded: a threaded consumer and a
 * threaded function worker, next to a plain one; run under TSan. */
static gboolean
tick_on_thread (FluidWorker   *worker,
                GCancellable  *cancellable,
                gpointer       user_data,
                GError       **error)
{
  g_atomic_int_inc ((gint *) user_data);
  return TRUE;
}

static void
test_threaded_children (void)
{
  Probe probe;
  gint ticks = 0;
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  FluidWorker *consumer, *function;
  g_autoptr(GError) error = NULL;
  guint64 processed, failed, discarded;

  probe_init (&probe);
  consumer = fluid_queue_consumer_worker_new_threaded (4, probe_handle, &probe, NULL);
  function = fluid_worker_function_new_threaded (0.001, tick_on_thread, &ticks, NULL);
  fluid_workers_add_worker (group, consumer);
  fluid_workers_add_worker (group, function);
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (consumer), TRUE);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (consumer), 1, 2000);
  fluid_test_wait_until (g_atomic_int_get (&ticks) >= 10);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
  g_assert_no_error (error);
  g_assert_true (fluid_worker_is_stopped (consumer) && fluid_worker_is_stopped (function));

  counts (consumer, &processed, &failed, &discarded);
  g_assert_cmpuint (processed + failed + discarded, ==, 2000);
  g_object_unref (consumer);
  g_object_unref (function);
  probe_clear (&probe);
}

/* A graceful stop without drain-on-stop finishes the handlers in
 * progress and starts no other message, not even one a thread had taken. */
static void
test_threaded_stop_starts_nothing_more (void)
{
  Probe probe;
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint64 processed, failed, discarded;

  probe_init (&probe);
  probe.hold = TRUE;
  worker = fluid_queue_consumer_worker_new_threaded (4, probe_handle, &probe, NULL);
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (worker), 1, 1000);
  g_assert_true (fluid_test_startup (worker, &error));
  fluid_test_wait_until (g_atomic_int_get (&probe.held) == 4);

  fluid_worker_shutdown_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (fluid_worker_is_stopping (worker));
  probe_release (&probe);
  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_shutdown_finish (worker, result, &error));

  counts (worker, &processed, &failed, &discarded);
  g_assert_cmpuint (processed, ==, 4);
  g_assert_cmpuint (discarded, ==, 996);
  g_assert_cmpint (g_atomic_int_get (&probe.handled), ==, 4);
  probe_clear (&probe);
}

/* With drain-on-stop, failures reported as the stop ends are told and
 * counted: 3 messages, 2 failing, a stop at once, many times. */
static void
test_threaded_drain_failures_counted (void)
{
  for (guint round = 0; round < 200; round++)
    {
      Probe probe;
      g_autoptr(FluidWorker) worker = NULL;
      g_autoptr(GError) error = NULL;
      guint64 processed, failed, discarded;

      probe_init (&probe);
      probe.fail_every = 2;
      worker = fluid_queue_consumer_worker_new_threaded (4, probe_handle, &probe, NULL);
      fluid_queue_consumer_set_stop_on_failure (FLUID_QUEUE_CONSUMER (worker), FALSE);
      fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (worker), TRUE);
      g_signal_connect (worker, "message-failed", G_CALLBACK (failed_cb), &probe);
      g_assert_true (fluid_test_startup (worker, &error));
      fluid_test_send_ints (FLUID_QUEUE_CONSUMER (worker), 2, 3);   /* 2 and 4 fail */
      g_assert_true (fluid_test_shutdown (worker, &error));

      counts (worker, &processed, &failed, &discarded);
      g_assert_cmpuint (processed, ==, 1);
      g_assert_cmpuint (failed, ==, 2);
      g_assert_cmpuint (discarded, ==, 0);
      probe_clear (&probe);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/queue-threads/basic", test_threaded_basic);
  g_test_add_func ("/queue-threads/named", test_threaded_named);
  g_test_add_func ("/queue-threads/name-cut-on-a-character", test_threaded_name_cut_on_a_character);
  g_test_add_data_func ("/queue-threads/failures/go-on", GINT_TO_POINTER (FALSE), test_threaded_failures);
  g_test_add_data_func ("/queue-threads/failures/stop", GINT_TO_POINTER (TRUE), test_threaded_failures);
  g_test_add_func ("/queue-threads/drain", test_threaded_drain);
  g_test_add_func ("/queue-threads/forced", test_threaded_forced);
  g_test_add_func ("/queue-threads/bad-input", test_threaded_bad_input);
  g_test_add_func ("/queue-threads/threaded-children", test_threaded_children);
  g_test_add_func ("/queue-threads/stop-starts-nothing-more", test_threaded_stop_starts_nothing_more);
  g_test_add_func ("/queue-threads/drain-failures-counted", test_threaded_drain_failures_counted);
  g_test_add_data_func ("/queue-threads/invariant/unthreaded", GUINT_TO_POINTER (0), test_invariant);
  g_test_add_data_func ("/queue-threads/invariant/unthreaded-drain", GUINT_TO_POINTER (2), test_invariant);
  g_test_add_data_func ("/queue-threads/invariant/threaded", GUINT_TO_POINTER (1), test_invariant);
  g_test_add_data_func ("/queue-threads/invariant/threaded-drain", GUINT_TO_POINTER (3), test_invariant);

  return g_test_run ();
}
