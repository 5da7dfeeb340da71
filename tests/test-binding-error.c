/* test-binding-error.c: FLUID_BINDING_ERROR, errors that carry a binding's
 * own object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

/* The binding's object: a plain GObject, freed or not. */
static GObject *
new_exception (int *finalized)
{
  GObject *exception = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_weak_ref (exception, (GWeakNotify) (void (*) (void)) g_atomic_int_inc, finalized);

  return exception;
}

/* Registers @exception (the caller keeps its reference) and returns the
 * code. */
static int
register_exception (GObject *exception)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_OBJECT);
  g_value_set_object (&value, exception);

  return fluid_binding_error_register (&value);
}

/* The object @error carries, or NULL; no reference is returned. */
static GObject *
object_of (const GError *error)
{
  const GValue *value = fluid_binding_error_get_value (error);

  if (value == NULL)
    return NULL;
  g_assert_true (G_VALUE_HOLDS_OBJECT (value));

  return g_value_get_object (value);
}

static void
test_binding_error_lifetime (void)
{
  int finalized = 0;
  GObject *exception = new_exception (&finalized);
  int code = register_exception (exception);
  GError *error, *copy, *again;

  g_assert_cmpint (code, >, 0);
  /* Kept by the registration until the first error takes it over. */
  g_object_unref (exception);
  g_assert_cmpint (finalized, ==, 0);

  error = g_error_new_literal (FLUID_BINDING_ERROR, code, "ValueError: no");
  g_assert_true (object_of (error) == exception);
  copy = g_error_copy (error);
  g_assert_true (object_of (copy) == exception);

  g_error_free (error);
  g_assert_cmpint (finalized, ==, 0);
  /* Made from the code alone, as a binding's conversion does, while a copy
   * still names it. */
  again = g_error_new_literal (FLUID_BINDING_ERROR, code, "another text");
  g_assert_true (object_of (again) == exception);
  g_error_free (copy);
  g_assert_cmpint (finalized, ==, 0);
  g_error_free (again);
  g_assert_cmpint (finalized, ==, 1);

  /* Nothing names it any longer. */
  again = g_error_new_literal (FLUID_BINDING_ERROR, code, "ValueError: no");
  g_assert_null (object_of (again));
  g_clear_error (&again);
}

static void
test_binding_error_same_text (void)
{
  int finalized = 0;
  GObject *first = new_exception (&finalized);
  GObject *second = new_exception (&finalized);
  int first_code = register_exception (first);
  int second_code = register_exception (second);
  GError *first_error = g_error_new_literal (FLUID_BINDING_ERROR, first_code, "same");
  GError *second_error = g_error_new_literal (FLUID_BINDING_ERROR, second_code, "same");

  g_assert_cmpint (first_code, !=, second_code);
  g_assert_true (object_of (first_error) == first);
  g_assert_true (object_of (second_error) == second);

  g_object_unref (first);
  g_object_unref (second);
  g_error_free (second_error);
  g_assert_cmpint (finalized, ==, 1);
  g_assert_nonnull (object_of (first_error));
  g_error_free (first_error);
  g_assert_cmpint (finalized, ==, 2);
}

static void
test_binding_error_other_errors (void)
{
  g_autoptr(GError) io_error = g_error_new_literal (G_IO_ERROR, 1, "not ours");
  g_autoptr(GError) unknown = g_error_new_literal (FLUID_BINDING_ERROR, G_MAXINT - 7, "?");
  g_autoptr(GError) copy = NULL;

  g_assert_null (object_of (io_error));
  g_assert_null (object_of (unknown));
  copy = g_error_copy (unknown);
  g_assert_null (object_of (copy));
  g_assert_true (g_error_matches (copy, FLUID_BINDING_ERROR, G_MAXINT - 7));
}

static void
return_exception_cb (FluidWorker *worker,
                     GTask       *task,
                     gpointer     user_data)
{
  g_task_return_new_error (task, FLUID_BINDING_ERROR, GPOINTER_TO_INT (user_data),
                           "RuntimeError: raised by run");
}

static void
fail_message_cb (FluidQueueConsumerWorker *worker,
                 const GValue             *message,
                 GTask                    *task,
                 gpointer                  user_data)
{
  g_task_return_new_error (task, FLUID_BINDING_ERROR, GPOINTER_TO_INT (user_data),
                           "KeyError: raised by a handler");
}

/* Through a worker: a task, its propagation, the worker's copy, and one
 * copy for each wait; the object lives as long as the worker. */
static void
test_binding_error_through_a_worker (void)
{
  int finalized = 0;
  GObject *exception = new_exception (&finalized);
  int code = register_exception (exception);
  FluidWorker *worker = fluid_worker_function_new_async ("raiser", 0.0, return_exception_cb,
                                                         GINT_TO_POINTER (code), NULL);
  GError *error = NULL;

  g_object_unref (exception);
  g_assert_true (fluid_test_startup (worker, &error));
  for (int i = 0; i < 2; i++)
    {
      g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
      g_assert_error (error, FLUID_BINDING_ERROR, code);
      g_assert_true (object_of (error) == exception);
      g_clear_error (&error);
    }
  g_assert_cmpstr (fluid_worker_get_stop_reason (worker), ==, "RuntimeError: raised by run");
  g_assert_cmpint (finalized, ==, 0);

  g_object_unref (worker);
  g_assert_cmpint (finalized, ==, 1);
}

/* Through a message: message-failed, then the worker, under
 * stop-on-failure. */
static void
test_binding_error_through_a_message (void)
{
  int finalized = 0;
  GObject *exception = new_exception (&finalized);
  int code = register_exception (exception);
  FluidWorker *worker = fluid_queue_consumer_worker_new_async (fail_message_cb,
                                                               GINT_TO_POINTER (code), NULL);
  GError *error = NULL;

  g_object_unref (exception);
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "bad");
  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, FLUID_BINDING_ERROR, code);
  g_assert_true (object_of (error) == exception);
  g_clear_error (&error);

  g_object_unref (worker);
  g_assert_cmpint (finalized, ==, 1);
}

#define N_THREADS 4
#define N_ROUNDS 5000

static gpointer
register_and_free_thread (gpointer data)
{
  int *finalized = data;

  for (int i = 0; i < N_ROUNDS; i++)
    {
      GObject *exception = new_exception (finalized);
      int code = register_exception (exception);
      GError *error = g_error_new_literal (FLUID_BINDING_ERROR, code, "same text everywhere");
      GError *copy = g_error_copy (error);

      g_error_free (error);
      g_assert_true (object_of (copy) == exception);
      g_object_unref (exception);
      g_error_free (copy);
    }

  return NULL;
}

static void
test_binding_error_threads (void)
{
  GThread *threads[N_THREADS];
  int finalized = 0;

  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("binding-error", register_and_free_thread, &finalized);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (g_atomic_int_get (&finalized), ==, N_THREADS * N_ROUNDS);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/binding-error/lifetime", test_binding_error_lifetime);
  g_test_add_func ("/binding-error/same-text", test_binding_error_same_text);
  g_test_add_func ("/binding-error/other-errors", test_binding_error_other_errors);
  g_test_add_func ("/binding-error/through-a-worker", test_binding_error_through_a_worker);
  g_test_add_func ("/binding-error/through-a-message", test_binding_error_through_a_message);
  g_test_add_func ("/binding-error/threads", test_binding_error_threads);

  return g_test_run ();
}
