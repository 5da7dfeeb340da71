/* test-worker-threaded.c: FluidWorkerFunction's threaded function
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef _GNU_SOURCE
# define _GNU_SOURCE  /* pthread_getname_np */
#endif

#include "fluid-test-utils.h"

#include <math.h>
#include <string.h>
#ifdef __linux__
# include <pthread.h>
#endif

/* What the body does, and what it saw. The test's thread sets the first
 * fields before the worker starts; the body's thread writes the others
 * with atomics, which the test's thread reads while it iterates its
 * context. GLib's GMutex is invisible to ThreadSanitizer: it only blocks
 * here, and every flag it guards is an atomic too. */
typedef struct
{
  /* Constant once the worker started. */
  GThread  *main_thread;
  guint     stop_after;       /* this call stops its worker gracefully; 0: never */
  guint     fail_worker_after; /* this call fails its worker with fluid_worker_fail() */
  guint     fail_after;       /* this call returns FALSE; 0: never */
  gboolean  fail_with_error;  /* ... setting an error */
  gboolean  block_first;      /* the first call waits for body_release(), ignoring its cancellable */

  /* Atomic. */
  int       calls;            /* calls begun */
  int       returns;          /* calls returned */
  int       on_main_thread;   /* a call ran on the test's thread */
  int       moved;            /* a call ran on another thread than the first call's */
  gpointer  body_thread;      /* the first call's thread */
  gpointer  cancellable;      /* the cancellable the first call was given */
  gpointer  thread_name;      /* the first call's thread name (char *), NULL if unknown */
  int       blocked;          /* the first call is waiting for its release */
  int       saw_cancelled;    /* the blocked call found its cancellable cancelled */
  int       destroyed;
  gpointer  destroy_thread;

  /* On the test's thread only. */
  guint     state_changes;

  GMutex    lock;
  GCond     cond;
  int       released;         /* atomic, set under @lock */
} Body;

static void
body_init (Body *body)
{
  memset (body, 0, sizeof *body);
  body->main_thread = g_thread_self ();
  g_mutex_init (&body->lock);
  g_cond_init (&body->cond);
}

static void
body_clear (Body *body)
{
  g_free (g_atomic_pointer_get (&body->thread_name));
  g_cond_clear (&body->cond);
  g_mutex_clear (&body->lock);
}

/* Lets a blocked first call return. */
static void
body_release (Body *body)
{
  g_mutex_lock (&body->lock);
  g_atomic_int_set (&body->released, TRUE);
  g_cond_broadcast (&body->cond);
  g_mutex_unlock (&body->lock);
}

static char *
current_thread_name (void)
{
#if defined (__linux__) && defined (__GLIBC__)
  char name[16] = "";

  if (pthread_getname_np (pthread_self (), name, sizeof name) == 0)
    return g_strdup (name);
#endif
  return NULL;
}

static gboolean
body_func (FluidWorker   *worker,
           GCancellable  *cancellable,
           gpointer       user_data,
           GError       **error)
{
  Body *body = user_data;
  guint call = (guint) g_atomic_int_add (&body->calls, 1) + 1;
  gboolean ok = TRUE;

  if (g_thread_self () == body->main_thread)
    g_atomic_int_set (&body->on_main_thread, TRUE);
  if (call == 1)
    {
      g_atomic_pointer_set (&body->cancellable, cancellable);
      g_atomic_pointer_set (&body->thread_name, current_thread_name ());
      g_atomic_pointer_set (&body->body_thread, g_thread_self ());
    }
  else if (g_atomic_pointer_get (&body->body_thread) != g_thread_self ())
    g_atomic_int_set (&body->moved, TRUE);

  if (call == 1 && body->block_first)
    {
      g_atomic_int_set (&body->blocked, TRUE);
      g_main_context_wakeup (NULL);
      g_mutex_lock (&body->lock);
      while (!g_atomic_int_get (&body->released))
        g_cond_wait (&body->cond, &body->lock);
      g_mutex_unlock (&body->lock);
      if (g_cancellable_is_cancelled (cancellable))
        g_atomic_int_set (&body->saw_cancelled, TRUE);
    }

  if (call == body->stop_after)
    fluid_worker_gracefully_stop (worker);
  if (call == body->fail_worker_after)
    {
      g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                                                       "failed from the body");

      fluid_worker_fail (worker, failure);
    }
  if (call == body->fail_after)
    {
      if (body->fail_with_error)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the sensor is gone");
      ok = FALSE;
    }

  g_atomic_int_inc (&body->returns);
  g_main_context_wakeup (NULL);
  return ok;
}

static void
body_destroy (gpointer user_data)
{
  Body *body = user_data;

  g_atomic_pointer_set (&body->destroy_thread, g_thread_self ());
  g_atomic_int_set (&body->destroyed, TRUE);
}

static void
body_state_changed (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  Body *body = user_data;

  /* Signals come on the worker's context, never on the body's thread. */
  g_assert_true (g_thread_self () == body->main_thread);
  body->state_changes++;
}

static void
body_stopped (FluidWorker *worker,
              const char  *reason,
              int          exit_code,
              gpointer     user_data)
{
  Body *body = user_data;

  g_assert_true (g_thread_self () == body->main_thread);
}

/* A threaded worker calling body_func() with @body; @grace_period 0 for
 * the default one (10 s). */
static FluidWorker *
body_worker_new (Body       *body,
                 const char *name,
                 double      heartbeat,
                 double      grace_period)
{
  FluidWorker *worker;

  /* The grace period of a function worker comes from the environment. */
  worker = fluid_worker_function_new_threaded_named (name, heartbeat, body_func, body, body_destroy);
  if (grace_period > 0)
    fluid_worker_set_stopping_grace_period (worker, grace_period);
  else
    g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (worker), ==, 10.0);

  g_signal_connect (worker, "notify::state", G_CALLBACK (body_state_changed), body);
  g_signal_connect (worker, "stopped", G_CALLBACK (body_stopped), body);
  return worker;
}

/* The body runs on a thread of the worker, not on the worker's context;
 * the lifecycle and the destroy notify stay on the context. */
static void
test_threaded_other_thread (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;
  const char *name;

  body_init (&body);
  worker = fluid_worker_function_new_threaded (0.001, body_func, &body, body_destroy);
  g_signal_connect (worker, "notify::state", G_CALLBACK (body_state_changed), &body);
  g_assert_true (FLUID_IS_WORKER_FUNCTION (worker));
  g_assert_cmpstr (fluid_worker_get_name (worker), ==, "fluid_worker_function");
  g_assert_cmpfloat (fluid_worker_function_get_heartbeat (FLUID_WORKER_FUNCTION (worker)), ==, 0.001);

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_no_error (error);
  fluid_test_wait_until (g_atomic_int_get (&body.returns) >= 3);

  g_assert_nonnull (g_atomic_pointer_get (&body.body_thread));
  g_assert_true (g_atomic_pointer_get (&body.body_thread) != (gpointer) g_thread_self ());
  g_assert_false (g_atomic_int_get (&body.on_main_thread));
  /* One thread for the whole run. */
  g_assert_false (g_atomic_int_get (&body.moved));
  /* The worker's own cancellable. */
  g_assert_true (g_atomic_pointer_get (&body.cancellable) == (gpointer) fluid_worker_get_cancellable (worker));
  /* The default name, cut to the 15 bytes Linux keeps. */
  name = g_atomic_pointer_get (&body.thread_name);
  if (name != NULL)
    g_assert_cmpstr (name, ==, "fluid_worker_fu");

  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);
  /* RUNNING, STOPPING, STOPPED; and the run waited for the last call. */
  g_assert_cmpuint (body.state_changes, ==, 3);
  g_assert_cmpint (g_atomic_int_get (&body.returns), ==, g_atomic_int_get (&body.calls));
  g_assert_false (g_atomic_int_get (&body.destroyed));

  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  g_assert_true (g_atomic_pointer_get (&body.destroy_thread) == (gpointer) g_thread_self ());
  body_clear (&body);
}

/* The thread is named after the worker, cut to 15 bytes on a character
 * boundary. */
static void
test_threaded_thread_name (void)
{
  const struct
  {
    const char *worker;
    const char *thread;
  } names[] = {
    { "tick", "tick" },
    { "fifteen-bytes-x", "fifteen-bytes-x" },
    { "a-very-long-worker-name", "a-very-long-wor" },
    /* "é" takes bytes 14 and 15: it is left out whole. */
    { "fourteen-bytes\xc3\xa9", "fourteen-bytes" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      Body body;
      FluidWorker *worker;
      const char *name;

      body_init (&body);
      worker = body_worker_new (&body, names[i].worker, 3600, 0);
      g_assert_cmpstr (fluid_worker_get_name (worker), ==, names[i].worker);
      g_assert_true (fluid_test_startup (worker, NULL));
      fluid_test_wait_until (g_atomic_int_get (&body.returns) == 1);
      name = g_atomic_pointer_get (&body.thread_name);
      if (name == NULL)
        {
          g_test_message ("thread names cannot be read here");
          g_assert_true (fluid_test_shutdown (worker, NULL));
          g_object_unref (worker);
          body_clear (&body);
          continue;
        }
      g_assert_cmpstr (name, ==, names[i].thread);
      g_assert_true (fluid_test_shutdown (worker, NULL));
      g_object_unref (worker);
      g_assert_true (g_atomic_int_get (&body.destroyed));
      body_clear (&body);
    }
}

static gpointer
stop_from_thread (gpointer data)
{
  fluid_worker_gracefully_stop (data);
  return NULL;
}

/* A stop, here requested from a third thread, ends the heartbeat's sleep
 * at once: the worker stops gracefully, far within its grace period. */
static void
test_threaded_heartbeat_interrupted (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;
  GThread *stopper;
  gint64 start;

  body_init (&body);
  worker = body_worker_new (&body, "sleeper", 3600, 0);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (g_atomic_int_get (&body.returns) == 1);

  start = g_get_monotonic_time ();
  stopper = g_thread_new ("stopper", stop_from_thread, worker);
  g_thread_join (stopper);
  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_no_error (error);
  /* Not forced: the sleep ended, and the thread's loop with it. */
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 1);
  /* A failure guard only: the 3600 s heartbeat and the 10 s grace period. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);

  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* A graceful stop lets the call in progress return: the worker stays
 * STOPPING until it has, then stops normally, without another call. */
static void
test_threaded_stop_waits_for_call (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  body_init (&body);
  body.block_first = TRUE;
  worker = body_worker_new (&body, "busy", 0, 0);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (g_atomic_int_get (&body.blocked));

  fluid_worker_wait_for_shutdown_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_worker_gracefully_stop (worker);
  fluid_test_settle (NULL);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPING);
  g_assert_null (result);

  body_release (&body);
  fluid_test_wait_until (result != NULL);
  g_assert_true (fluid_worker_wait_for_shutdown_finish (worker, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_false (g_atomic_int_get (&body.saw_cancelled));
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 1);

  /* The result holds its source object. */
  g_clear_object (&result);
  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* A call that returns FALSE with an error fails the worker with it, and
 * is the last. */
static void
test_threaded_fail_with_error (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;

  body_init (&body);
  body.fail_after = 2;
  body.fail_with_error = TRUE;
  worker = body_worker_new (&body, "sensor", 0, 0);
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "the sensor is gone");
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpstr (fluid_worker_get_stop_reason (worker), ==, "the sensor is gone");
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 2);

  /* shutdown reports it too, as aio-fluid re-raises it. */
  g_assert_false (fluid_test_shutdown (worker, &again));
  g_assert_error (again, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* FALSE without an error: an error that names the worker. */
static void
test_threaded_fail_without_error (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;

  body_init (&body);
  body.fail_after = 1;
  worker = body_worker_new (&body, "sensor", 0, 0);
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "sensor"));
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 1);

  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* A body that ignores its cancellable: the forced stop does not wait for
 * it, and its late return is dropped. */
static void
test_threaded_force_stop_stuck (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;
  guint changes;
  gint64 start;

  fluid_test_log_capture_reset ();
  body_init (&body);
  body.block_first = TRUE;
  worker = body_worker_new (&body, "stuck", 0, 0.05);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (g_atomic_int_get (&body.blocked));

  start = g_get_monotonic_time ();
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  /* A failure guard only: within the 0.05 s grace period and a few ms. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_FORCED);
  g_assert_true (g_cancellable_is_cancelled (fluid_worker_get_cancellable (worker)));
  g_assert_true (g_atomic_pointer_get (&body.cancellable) == (gpointer) fluid_worker_get_cancellable (worker));
  changes = body.state_changes;
  g_assert_cmpuint (changes, ==, 3);
  g_assert_cmpint (g_atomic_int_get (&body.returns), ==, 0);

  /* The late return: logged and dropped, no second change of state, and
   * no call after it. */
  body_release (&body);
  fluid_test_wait_until (fluid_test_log_captured (G_LOG_LEVEL_INFO, "stuck",
                                                  "*run completed after the worker stopped*dropped*"));
  g_assert_true (g_atomic_int_get (&body.saw_cancelled));
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_FORCED);
  g_assert_cmpuint (body.state_changes, ==, changes);
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&body.returns), ==, 1);

  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* Dropping the last reference of the program on a worker whose body is
 * stuck neither blocks nor frees what the body uses: the thread holds the
 * worker until the body returned, then the worker is finalized on its
 * context, never joining the thread. */
static void
test_threaded_finalize_stuck (void)
{
  Body body;
  FluidWorker *worker;
  gpointer weak;
  gint64 start;

  body_init (&body);
  body.block_first = TRUE;
  worker = body_worker_new (&body, "stuck", 0, 0.05);
  weak = worker;
  g_object_add_weak_pointer (G_OBJECT (worker), &weak);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (g_atomic_int_get (&body.blocked));
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);

  start = g_get_monotonic_time ();
  g_object_unref (worker);
  fluid_test_settle (NULL);
  /* A failure guard only: a join would hang here until the release. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_assert_nonnull (weak);
  g_assert_false (g_atomic_int_get (&body.destroyed));

  body_release (&body);
  fluid_test_wait_until (weak == NULL);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  /* Finalized on the worker's context, not on the body's thread. */
  g_assert_true (g_atomic_pointer_get (&body.destroy_thread) == (gpointer) g_thread_self ());
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 1);
  body_clear (&body);
}

/* A body that stops its own worker is the last call. */
static void
test_threaded_body_stops_itself (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;

  body_init (&body);
  body.stop_after = 3;
  worker = body_worker_new (&body, "self-stopping", 0, 0);
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 3);

  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* A body that fails its own worker with fluid_worker_fail() is the last
 * call, and the worker ends with that error. */
static void
test_threaded_body_fails_itself (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;

  fluid_test_log_capture_reset ();
  body_init (&body);
  body.fail_worker_after = 2;
  worker = body_worker_new (&body, "self-failing", 0, 0);
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_ERROR);
  /* The run's end comes after the failure, and is dropped. */
  fluid_test_wait_until (fluid_test_log_captured (G_LOG_LEVEL_INFO, "self-failing",
                                                  "*run completed after the worker stopped*"));
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 2);

  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* A stop before run began: no thread, no call. */
static void
test_threaded_stop_before_run (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;

  body_init (&body);
  worker = body_worker_new (&body, "early", 0, 0);
  /* RUNNING at once; run begins at the next dispatch of the context. The
   * test's thread iterates it: the stop is made at once, before. */
  fluid_worker_startup_async (worker, NULL, NULL, NULL);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_RUNNING);
  fluid_worker_gracefully_stop (worker);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPING);
  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 0);

  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* fluid_worker_fail() from the worker's context while the body sleeps:
 * the worker fails at once, and the thread ends its loop. */
static void
test_threaded_fail_from_outside (void)
{
  Body body;
  FluidWorker *worker;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "too slow");

  fluid_test_log_capture_reset ();
  body_init (&body);
  worker = body_worker_new (&body, "failed", 3600, 0);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_test_wait_until (g_atomic_int_get (&body.returns) == 1);

  fluid_worker_fail (worker, failure);
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_ERROR);
  fluid_test_wait_until (fluid_test_log_captured (G_LOG_LEVEL_INFO, "failed",
                                                  "*run completed after the worker stopped*"));
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 1);

  /* The run has ended: nothing holds the worker any more. */
  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* Many workers started and stopped, at every moment of their run: before
 * the first call, during the calls, from the body itself. */
static void
test_threaded_many_rounds (void)
{
  guint rounds = g_test_slow () ? 500 : 100;

  for (guint i = 0; i < rounds; i++)
    {
      Body body;
      FluidWorker *worker;
      g_autoptr(GError) error = NULL;

      body_init (&body);
      if (i % 4 == 3)
        body.stop_after = 1;
      worker = body_worker_new (&body, "round", i % 3 == 0 ? 0.0 : 0.0005, 0);
      g_assert_true (fluid_test_startup (worker, NULL));
      /* Maybe while the thread starts. */
      if (i % 4 == 0)
        g_main_context_iteration (NULL, FALSE);
      if (i % 4 == 1 || i % 4 == 2)
        fluid_test_wait_until (g_atomic_int_get (&body.returns) >= 1);
      if (i % 4 == 3)
        g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
      else if (i % 4 == 2)
        fluid_worker_gracefully_stop (worker);
      g_assert_true (fluid_test_shutdown (worker, &error));
      g_assert_no_error (error);
      g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
      g_assert_cmpint (g_atomic_int_get (&body.returns), ==, g_atomic_int_get (&body.calls));

      g_object_unref (worker);
      g_assert_true (g_atomic_int_get (&body.destroyed));
      body_clear (&body);
    }
}

static void
tick (FluidWorker *worker,
      gpointer     user_data)
{
  int *ticks = user_data;

  (*ticks)++;
}

/* A group whose child is threaded starts it, stops it, and reports it. */
static void
test_threaded_group (void)
{
  Body body;
  int ticks = 0;
  g_autoptr(FluidWorker) threaded = NULL;
  g_autoptr(FluidWorker) ticker = fluid_worker_function_new_named ("ticker", 0.001, tick, &ticks, NULL);
  g_autoptr(FluidWorkers) group = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GVariant) child_status = NULL;
  g_autoptr(GError) error = NULL;

  body_init (&body);
  threaded = body_worker_new (&body, "sampler", 0.001, 0);
  group = fluid_workers_new_with_workers (threaded, ticker, NULL);
  g_assert_cmpuint (fluid_worker_get_num_workers (FLUID_WORKER (group)), ==, 2);

  g_assert_true (fluid_test_startup (FLUID_WORKER (group), NULL));
  fluid_test_wait_until (g_atomic_int_get (&body.returns) >= 2 && ticks >= 2);
  status = fluid_test_status (FLUID_WORKER (group));
  child_status = g_variant_lookup_value (status, "sampler", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (child_status);

  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (threaded), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_state (ticker), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (group)), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpint (g_atomic_int_get (&body.returns), ==, g_atomic_int_get (&body.calls));

  g_clear_object (&group);
  g_clear_object (&threaded);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

/* A threaded child that fails stops the group, and every other child. */
static void
test_threaded_group_child_fails (void)
{
  Body body;
  int ticks = 0;
  g_autoptr(FluidWorker) threaded = NULL;
  g_autoptr(FluidWorker) ticker = fluid_worker_function_new_named ("ticker", 0.001, tick, &ticks, NULL);
  g_autoptr(FluidWorkers) group = NULL;
  g_autoptr(GError) error = NULL;

  body_init (&body);
  body.fail_after = 3;
  body.fail_with_error = TRUE;
  threaded = body_worker_new (&body, "sampler", 0.001, 0);
  group = fluid_workers_new_with_workers (threaded, ticker, NULL);

  g_assert_true (fluid_test_startup (FLUID_WORKER (group), NULL));
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (group), &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_state (ticker), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (threaded), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_false (fluid_test_wait_for_shutdown (threaded, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 3);

  g_clear_object (&group);
  g_clear_object (&threaded);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  body_clear (&body);
}

static void
test_threaded_bad_input (void)
{
  int data = 0;

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*heartbeat >= 0*");
  g_assert_null (fluid_worker_function_new_threaded (-1.0, body_func, &data, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*isnan*");
  g_assert_null (fluid_worker_function_new_threaded (NAN, body_func, &data, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  g_assert_null (fluid_worker_function_new_threaded (1.0, NULL, &data, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*isnan*");
  g_assert_null (fluid_worker_function_new_threaded_named ("x", NAN, body_func, &data, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  g_assert_null (fluid_worker_function_new_threaded_named ("x", 1.0, NULL, &data, NULL));
  g_test_assert_expected_messages ();
}

/* The heartbeat property, and a worker that never started. */
static void
test_threaded_properties (void)
{
  Body body;
  FluidWorker *worker;
  double heartbeat = -1;

  body_init (&body);
  worker = fluid_worker_function_new_threaded_named (NULL, 0.25, body_func, &body, body_destroy);
  g_assert_cmpstr (fluid_worker_get_name (worker), ==, "fluid_worker_function");
  g_object_get (worker, "heartbeat", &heartbeat, NULL);
  g_assert_cmpfloat (heartbeat, ==, 0.25);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_INIT);
  g_object_unref (worker);
  g_assert_true (g_atomic_int_get (&body.destroyed));
  g_assert_cmpint (g_atomic_int_get (&body.calls), ==, 0);
  body_clear (&body);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fluid_test_log_capture_init ();
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");

  g_test_add_func ("/threaded/other-thread", test_threaded_other_thread);
  g_test_add_func ("/threaded/thread-name", test_threaded_thread_name);
  g_test_add_func ("/threaded/heartbeat-interrupted", test_threaded_heartbeat_interrupted);
  g_test_add_func ("/threaded/stop-waits-for-call", test_threaded_stop_waits_for_call);
  g_test_add_func ("/threaded/fail-with-error", test_threaded_fail_with_error);
  g_test_add_func ("/threaded/fail-without-error", test_threaded_fail_without_error);
  g_test_add_func ("/threaded/force-stop-stuck", test_threaded_force_stop_stuck);
  g_test_add_func ("/threaded/finalize-stuck", test_threaded_finalize_stuck);
  g_test_add_func ("/threaded/body-stops-itself", test_threaded_body_stops_itself);
  g_test_add_func ("/threaded/body-fails-itself", test_threaded_body_fails_itself);
  g_test_add_func ("/threaded/stop-before-run", test_threaded_stop_before_run);
  g_test_add_func ("/threaded/fail-from-outside", test_threaded_fail_from_outside);
  g_test_add_func ("/threaded/many-rounds", test_threaded_many_rounds);
  g_test_add_func ("/threaded/group", test_threaded_group);
  g_test_add_func ("/threaded/group-child-fails", test_threaded_group_child_fails);
  g_test_add_func ("/threaded/bad-input", test_threaded_bad_input);
  g_test_add_func ("/threaded/properties", test_threaded_properties);

  return g_test_run ();
}
