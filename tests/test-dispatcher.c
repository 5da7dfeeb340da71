/* test-dispatcher.c: FluidEvent, FluidDispatcher, FluidAsyncDispatcher and
 * FluidAsyncConsumer: dispatch, handlers, errors and failed messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-dispatcher-common.h"

/* FluidEvent */

static void
test_event_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FluidEvent) plain = fluid_event_new_from_string ("type", &error);
  g_autoptr(FluidEvent) tagged = NULL;
  g_autoptr(FluidEvent) dotted = NULL;
  g_autoptr(FluidEvent) made = NULL;
  g_autoptr(FluidEvent) copy = NULL;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (plain->type, ==, "type");
  g_assert_cmpstr (plain->tag, ==, "");
  text = fluid_event_to_string (plain);
  g_assert_cmpstr (text, ==, "type");
  g_clear_pointer (&text, g_free);

  tagged = fluid_event_new_from_string ("type.tag", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tagged->type, ==, "type");
  g_assert_cmpstr (tagged->tag, ==, "tag");
  text = fluid_event_to_string (tagged);
  g_assert_cmpstr (text, ==, "type.tag");
  g_clear_pointer (&text, g_free);

  /* The type ends at the first dot. */
  dotted = fluid_event_new_from_string ("a.b.c", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dotted->type, ==, "a");
  g_assert_cmpstr (dotted->tag, ==, "b.c");

  made = fluid_event_new ("type", "tag");
  g_assert_true (fluid_event_equal (made, tagged));
  g_assert_false (fluid_event_equal (made, plain));
  copy = g_boxed_copy (FLUID_TYPE_EVENT, made);
  g_assert_true (fluid_event_equal (copy, made));
  g_assert_true (copy != made);
  g_clear_pointer (&made, fluid_event_free);
  made = fluid_event_new ("type", NULL);
  g_assert_true (fluid_event_equal (made, plain));
}

static void
test_event_empty_type (void)
{
  const char *bad[] = { "", ".tag", "." };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (fluid_event_new_from_string (bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*type != NULL && *type != '\\0'*");
  g_assert_null (fluid_event_new ("", NULL));
  g_test_assert_expected_messages ();
}

/* FluidDispatcher */

typedef struct
{
  GString *calls;
  guint    destroyed;
} Log;

typedef struct
{
  Log        *log;
  const char *name;
} Handler;

static void
handler_destroy (gpointer data)
{
  Handler *handler = data;

  handler->log->destroyed++;
  g_free (handler);
}

static Handler *
handler_new (Log        *log,
             const char *name)
{
  Handler *handler = g_new0 (Handler, 1);

  handler->log = log;
  handler->name = name;
  return handler;
}

static void
log_handler (const GValue *message,
             gpointer      user_data)
{
  Handler *handler = user_data;

  g_string_append_printf (handler->log->calls, "%s:%s;", handler->name,
                          G_VALUE_HOLDS_STRING (message) ? g_value_get_string (message)
                                                         : G_VALUE_TYPE_NAME (message));
}

static gboolean
register_log (FluidDispatcher *dispatcher,
              const char      *event,
              Log             *log,
              const char      *name)
{
  return fluid_dispatcher_register_handler (dispatcher, event, log_handler,
                                            handler_new (log, name), handler_destroy);
}

static void
test_dispatcher_rules (void)
{
  g_autoptr(FluidDispatcher) dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  g_auto(GValue) message = G_VALUE_INIT;
  g_auto(GValue) other = G_VALUE_INIT;
  Log log = { g_string_new (NULL), 0 };

  g_assert_false (register_log (dispatcher, "a", &log, "plain"));
  g_assert_false (register_log (dispatcher, "a.x", &log, "x"));
  g_assert_false (register_log (dispatcher, "a.y", &log, "y"));
  g_assert_false (register_log (dispatcher, "b", &log, "b"));
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "a"), ==, 3);
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "a.x"), ==, 1);
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "a.z"), ==, 0);
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "b"), ==, 1);
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "c"), ==, 0);

  /* A string message is its own event type: every tag of it is called,
   * in the order registered. */
  set_string (&message, "a");
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &message), ==, 3);
  g_assert_cmpstr (log.calls->str, ==, "plain:a;x:a;y:a;");
  g_string_truncate (log.calls, 0);

  /* Replacing keeps the place, and frees the old handler's data. */
  g_assert_true (register_log (dispatcher, "a.x", &log, "x2"));
  g_assert_cmpuint (log.destroyed, ==, 1);
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "a"), ==, 3);
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &message), ==, 3);
  g_assert_cmpstr (log.calls->str, ==, "plain:a;x2:a;y:a;");
  g_string_truncate (log.calls, 0);

  /* Unregistering: exactly the event given. */
  g_assert_true (fluid_dispatcher_unregister_handler (dispatcher, "a.x"));
  g_assert_false (fluid_dispatcher_unregister_handler (dispatcher, "a.x"));
  g_assert_cmpuint (log.destroyed, ==, 2);
  g_assert_true (fluid_dispatcher_unregister_handler (dispatcher, "a"));
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "a"), ==, 1);
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &message), ==, 1);
  g_assert_cmpstr (log.calls->str, ==, "y:a;");
  g_assert_false (fluid_dispatcher_unregister_handler (dispatcher, "nothing"));

  /* Unknown type: no handler, 0. */
  set_string (&other, "unknown");
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &other), ==, 0);

  g_clear_object (&dispatcher);
  g_assert_cmpuint (log.destroyed, ==, 5);
  g_string_free (log.calls, TRUE);
}

static char *
parity_event_type (FluidBaseDispatcher *dispatcher,
                   const GValue        *message,
                   gpointer             user_data)
{
  guint *calls = user_data;

  (*calls)++;
  if (!G_VALUE_HOLDS_INT (message))
    return NULL;
  return g_strdup (g_value_get_int (message) % 2 == 0 ? "even" : "odd");
}

static void
test_dispatcher_event_type_func (void)
{
  guint calls = 0;
  g_autoptr(FluidDispatcher) dispatcher = fluid_dispatcher_new (parity_event_type, &calls, NULL);
  g_auto(GValue) number = G_VALUE_INIT;
  g_auto(GValue) text = G_VALUE_INIT;
  g_autofree char *type = NULL;
  Log log = { g_string_new (NULL), 0 };

  register_log (dispatcher, "even", &log, "even");
  register_log (dispatcher, "odd", &log, "odd");
  g_value_init (&number, G_TYPE_INT);
  g_value_set_int (&number, 4);
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &number), ==, 1);
  g_value_set_int (&number, 7);
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &number), ==, 1);
  g_assert_cmpstr (log.calls->str, ==, "even:gint;odd:gint;");
  type = fluid_dispatcher_get_event_type (dispatcher, &number);
  g_assert_cmpstr (type, ==, "odd");

  /* No event type: nothing called. */
  set_string (&text, "even");
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &text), ==, 0);
  g_assert_cmpuint (calls, ==, 4);
  g_string_free (log.calls, TRUE);
}

/* A subclass that overrides event_type. */
#define TEST_TYPE_PREFIX_DISPATCHER (test_prefix_dispatcher_get_type ())
G_DECLARE_FINAL_TYPE (TestPrefixDispatcher, test_prefix_dispatcher, TEST, PREFIX_DISPATCHER, FluidDispatcher)

struct _TestPrefixDispatcher
{
  FluidDispatcher parent_instance;
};

G_DEFINE_FINAL_TYPE (TestPrefixDispatcher, test_prefix_dispatcher, FLUID_TYPE_DISPATCHER)

static char *
test_prefix_dispatcher_event_type (FluidBaseDispatcher *dispatcher,
                                   const GValue        *message)
{
  const char *text = g_value_get_string (message);
  const char *colon = strchr (text, ':');

  return colon != NULL ? g_strndup (text, colon - text) : NULL;
}

static void
test_prefix_dispatcher_class_init (TestPrefixDispatcherClass *klass)
{
  FLUID_BASE_DISPATCHER_CLASS (klass)->event_type = test_prefix_dispatcher_event_type;
}

static void
test_prefix_dispatcher_init (TestPrefixDispatcher *self)
{
}

static void
test_dispatcher_subclass (void)
{
  g_autoptr(FluidDispatcher) dispatcher = g_object_new (TEST_TYPE_PREFIX_DISPATCHER, NULL);
  g_auto(GValue) message = G_VALUE_INIT;
  Log log = { g_string_new (NULL), 0 };

  register_log (dispatcher, "user", &log, "user");
  set_string (&message, "user:created");
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &message), ==, 1);
  g_assert_cmpstr (log.calls->str, ==, "user:user:created;");
  g_string_free (log.calls, TRUE);
}

/* A handler that unregisters another during the dispatch: the handlers of
 * the dispatch are those registered when it began. */
static void
unregister_other (const GValue *message,
                  gpointer      user_data)
{
  fluid_dispatcher_unregister_handler (user_data, "a.second");
}

static void
test_dispatcher_unregister_in_handler (void)
{
  g_autoptr(FluidDispatcher) dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  g_auto(GValue) message = G_VALUE_INIT;
  Log log = { g_string_new (NULL), 0 };

  fluid_dispatcher_register_handler (dispatcher, "a", unregister_other, dispatcher, NULL);
  register_log (dispatcher, "a.second", &log, "second");
  set_string (&message, "a");
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &message), ==, 2);
  g_assert_cmpstr (log.calls->str, ==, "second:a;");
  g_assert_cmpuint (log.destroyed, ==, 1);
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &message), ==, 1);
  g_string_free (log.calls, TRUE);
}

static void
test_dispatcher_bad_input (void)
{
  g_autoptr(FluidDispatcher) dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  g_auto(GValue) message = G_VALUE_INIT;
  Log log = { g_string_new (NULL), 0 };

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*the event type is empty*");
  g_assert_false (register_log (dispatcher, "", &log, "empty"));
  g_test_assert_expected_messages ();
  /* The handler's data is freed. */
  g_assert_cmpuint (log.destroyed, ==, 1);

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*the event type is empty*");
  g_assert_false (register_log (dispatcher, ".tag", &log, "empty"));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  g_assert_false (fluid_dispatcher_register_handler (dispatcher, "a", NULL, NULL, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*G_IS_VALUE*");
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, NULL), ==, 0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_DISPATCHER*");
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (NULL, "a"), ==, 0);
  g_test_assert_expected_messages ();

  /* Still usable. */
  g_assert_false (register_log (dispatcher, "a", &log, "a"));
  set_string (&message, "a");
  g_assert_cmpuint (fluid_dispatcher_dispatch (dispatcher, &message), ==, 1);
  g_string_free (log.calls, TRUE);
}

/* FluidAsyncDispatcher */

typedef struct
{
  GString *calls;
  guint    started;
  guint    in_flight;
  guint    max_in_flight;
} AsyncLog;

typedef struct
{
  AsyncLog   *log;
  const char *name;
  gboolean    fail;
} AsyncHandler;

typedef struct
{
  AsyncHandler *handler;
  GTask        *task;
} Completion;

static gboolean
complete_later_cb (gpointer user_data)
{
  Completion *completion = user_data;
  AsyncHandler *handler = completion->handler;

  handler->log->in_flight--;
  g_string_append_printf (handler->log->calls, "done %s;", handler->name);
  if (handler->fail)
    g_task_return_new_error (completion->task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "%s failed", handler->name);
  else
    g_task_return_boolean (completion->task, TRUE);
  g_object_unref (completion->task);
  g_free (completion);

  return G_SOURCE_REMOVE;
}

/* Completes on a later main-loop iteration. */
static void
async_handler (const GValue *message,
               GTask        *task,
               gpointer      user_data)
{
  AsyncHandler *handler = user_data;
  Completion *completion = g_new0 (Completion, 1);

  handler->log->started++;
  handler->log->in_flight++;
  handler->log->max_in_flight = MAX (handler->log->max_in_flight, handler->log->in_flight);
  g_string_append_printf (handler->log->calls, "start %s:%s;", handler->name,
                          g_value_get_string (message));
  completion->handler = handler;
  completion->task = g_object_ref (task);
  g_idle_add (complete_later_cb, completion);
}

static void
register_async (FluidAsyncDispatcher *dispatcher,
                const char           *event,
                AsyncLog             *log,
                const char           *name,
                gboolean              fail)
{
  AsyncHandler *handler = g_new0 (AsyncHandler, 1);

  handler->log = log;
  handler->name = name;
  handler->fail = fail;
  fluid_async_dispatcher_register_handler (dispatcher, event, async_handler, handler, g_free);
}

static void
immediate_handler (const GValue *message,
                   GTask        *task,
                   gpointer      user_data)
{
  guint *count = user_data;

  (*count)++;
  g_task_return_boolean (task, TRUE);
}

static void
test_async_dispatch (void)
{
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  AsyncLog log = { g_string_new (NULL), 0, 0, 0 };
  g_autoptr(GError) error = NULL;
  guint immediate = 0;

  register_async (dispatcher, "job", &log, "one", FALSE);
  register_async (dispatcher, "job.two", &log, "two", FALSE);
  fluid_async_dispatcher_register_handler (dispatcher, "job.now", immediate_handler, &immediate, NULL);

  g_assert_cmpuint (dispatch_and_wait (dispatcher, "job", &error), ==, 3);
  g_assert_no_error (error);
  /* Concurrently: both started before either completed. */
  g_assert_cmpuint (log.max_in_flight, ==, 2);
  g_assert_cmpstr (log.calls->str, ==, "start one:job;start two:job;done one;done two;");
  g_assert_cmpuint (immediate, ==, 1);

  /* No handler: 0 at once. */
  g_assert_cmpuint (dispatch_and_wait (dispatcher, "other", &error), ==, 0);
  g_assert_no_error (error);

  g_string_free (log.calls, TRUE);
}

static void
test_async_dispatch_error (void)
{
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  AsyncLog log = { g_string_new (NULL), 0, 0, 0 };
  g_autoptr(GError) error = NULL;

  register_async (dispatcher, "job.a", &log, "a", FALSE);
  register_async (dispatcher, "job.b", &log, "b", TRUE);
  register_async (dispatcher, "job.c", &log, "c", TRUE);

  g_assert_cmpuint (dispatch_and_wait (dispatcher, "job", &error), ==, 0);
  /* The first error; and the dispatch waited for every handler. */
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "b failed");
  g_assert_cmpuint (log.in_flight, ==, 0);
  g_assert_cmpuint (log.started, ==, 3);
  g_string_free (log.calls, TRUE);
}

/* The methods of FluidBaseDispatcher work on both dispatchers, and the 1.0
 * names of FluidDispatcher are the same methods. */
static void
test_base_dispatcher_methods (void)
{
  g_autoptr(FluidDispatcher) sync = fluid_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(FluidAsyncDispatcher) async = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(FluidDispatcher) prefix = g_object_new (TEST_TYPE_PREFIX_DISPATCHER, NULL);
  FluidBaseDispatcher *dispatchers[] = {
    FLUID_BASE_DISPATCHER (sync),
    FLUID_BASE_DISPATCHER (async),
  };
  g_auto(GValue) message = G_VALUE_INIT;
  Log log = { g_string_new (NULL), 0 };
  AsyncLog async_log = { g_string_new (NULL), 0, 0, 0 };

  register_log (sync, "a", &log, "a");
  register_log (sync, "a.x", &log, "x");
  register_async (async, "a", &async_log, "a", FALSE);
  register_async (async, "a.x", &async_log, "x", FALSE);

  set_string (&message, "a");
  for (guint i = 0; i < G_N_ELEMENTS (dispatchers); i++)
    {
      g_autofree char *type = fluid_base_dispatcher_get_event_type (dispatchers[i], &message);

      g_assert_true (FLUID_IS_BASE_DISPATCHER (dispatchers[i]));
      g_assert_cmpstr (type, ==, "a");
      g_assert_cmpuint (fluid_base_dispatcher_get_n_handlers (dispatchers[i], "a"), ==, 2);
      g_assert_cmpuint (fluid_base_dispatcher_get_n_handlers (dispatchers[i], "a.x"), ==, 1);
      g_assert_true (fluid_base_dispatcher_unregister_handler (dispatchers[i], "a.x"));
      g_assert_false (fluid_base_dispatcher_unregister_handler (dispatchers[i], "a.x"));
      g_assert_cmpuint (fluid_base_dispatcher_get_n_handlers (dispatchers[i], "a"), ==, 1);
    }
  g_assert_cmpuint (log.destroyed, ==, 1);

  /* The names of 1.0. */
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (sync, "a"), ==, 1);
  g_assert_true (fluid_dispatcher_unregister_handler (sync, "a"));
  g_assert_cmpuint (fluid_base_dispatcher_get_n_handlers (FLUID_BASE_DISPATCHER (sync), "a"), ==, 0);
  g_assert_cmpuint (log.destroyed, ==, 2);

  /* The event_type of a subclass, through either name. */
  g_value_set_string (&message, "user:created");
  {
    g_autofree char *type = fluid_base_dispatcher_get_event_type (FLUID_BASE_DISPATCHER (prefix),
                                                                  &message);
    g_autofree char *type_1_0 = fluid_dispatcher_get_event_type (prefix, &message);

    g_assert_cmpstr (type, ==, "user");
    g_assert_cmpstr (type_1_0, ==, "user");
  }

  /* Bad input: criticals, and nothing changes. */
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_BASE_DISPATCHER*");
  g_assert_false (fluid_base_dispatcher_unregister_handler (NULL, "a"));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*event != NULL*");
  g_assert_false (fluid_base_dispatcher_unregister_handler (dispatchers[1], NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*the event type is empty*");
  g_assert_cmpuint (fluid_base_dispatcher_get_n_handlers (dispatchers[1], ".x"), ==, 0);
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*G_IS_VALUE*");
  g_assert_null (fluid_base_dispatcher_get_event_type (dispatchers[1], NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_DISPATCHER*");
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers ((FluidDispatcher *) async, "a"), ==, 0);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (fluid_base_dispatcher_get_n_handlers (dispatchers[1], "a"), ==, 1);

  g_string_free (log.calls, TRUE);
  g_string_free (async_log.calls, TRUE);
}

/* FluidAsyncConsumer */

static void
test_async_consumer (void)
{
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(FluidWorker) worker = fluid_async_consumer_new (dispatcher);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  AsyncLog log = { g_string_new (NULL), 0, 0, 0 };
  g_autoptr(GVariant) status = NULL;
  guint64 processed = 0;

  g_assert_true (fluid_async_consumer_get_dispatcher (FLUID_ASYNC_CONSUMER (worker)) == dispatcher);
  register_async (dispatcher, "m1", &log, "h", FALSE);
  register_async (dispatcher, "m2", &log, "h", FALSE);
  register_async (dispatcher, "m3", &log, "h", FALSE);

  fluid_queue_consumer_send_string (consumer, "m1");
  fluid_queue_consumer_send_string (consumer, "m2");
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_queue_consumer_send_string (consumer, "unhandled");
  fluid_queue_consumer_send_string (consumer, "m3");
  fluid_test_wait_until (log.started == 3 && log.in_flight == 0);

  /* One message at a time, in order, each awaited. */
  g_assert_cmpuint (log.max_in_flight, ==, 1);
  g_assert_cmpstr (log.calls->str, ==, "start h:m1;done h;start h:m2;done h;start h:m3;done h;");
  fluid_test_wait_until (fluid_queue_consumer_get_queue_size (consumer) == 0);
  status = fluid_test_status (worker);
  g_assert_true (g_variant_lookup (status, "processed", "t", &processed));
  g_assert_cmpuint (processed, >=, 3);

  g_assert_true (fluid_test_shutdown (worker, NULL));
  fluid_test_wait_until (fluid_worker_is_stopped (worker));
  g_string_free (log.calls, TRUE);
}

static guint64
consumer_status_uint64 (FluidWorker *worker,
                        const char  *key)
{
  g_autoptr(GVariant) status = fluid_test_status (worker);
  guint64 value = 0;

  g_assert_true (g_variant_lookup (status, key, "t", &value));
  return value;
}

static void
test_async_consumer_error (void)
{
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(FluidWorker) worker = fluid_async_consumer_new (dispatcher);
  AsyncLog log = { g_string_new (NULL), 0, 0, 0 };
  g_autoptr(GError) error = NULL;

  register_async (dispatcher, "bad", &log, "bad", TRUE);
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "bad");
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "after");
  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (worker)), ==, 1);
  g_assert_cmpuint (consumer_status_uint64 (worker, "failed"), ==, 1);
  g_assert_cmpuint (consumer_status_uint64 (worker, "processed"), ==, 0);
  g_string_free (log.calls, TRUE);
}

static void
test_async_consumer_bad_input (void)
{
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_ASYNC_DISPATCHER*");
  g_assert_null (fluid_async_consumer_new (NULL));
  g_test_assert_expected_messages ();
}

/* The types: FluidEvent is boxed; FluidBaseDispatcher is abstract and
 * derivable; FluidDispatcher and FluidAsyncDispatcher are siblings under
 * it, derivable and instantiable; FluidAsyncConsumer is a
 * FluidQueueConsumer. */
static void
test_dispatcher_types (void)
{
  g_assert_true (G_TYPE_IS_BOXED (FLUID_TYPE_EVENT));
  g_assert_true (g_type_parent (FLUID_TYPE_BASE_DISPATCHER) == G_TYPE_OBJECT);
  g_assert_true (G_TYPE_IS_ABSTRACT (FLUID_TYPE_BASE_DISPATCHER));
  g_assert_true (G_TYPE_IS_DERIVABLE (FLUID_TYPE_BASE_DISPATCHER));
  g_assert_true (g_type_parent (FLUID_TYPE_DISPATCHER) == FLUID_TYPE_BASE_DISPATCHER);
  g_assert_true (G_TYPE_IS_DERIVABLE (FLUID_TYPE_DISPATCHER));
  g_assert_false (G_TYPE_IS_FINAL (FLUID_TYPE_DISPATCHER));
  g_assert_false (G_TYPE_IS_ABSTRACT (FLUID_TYPE_DISPATCHER));
  g_assert_true (g_type_parent (FLUID_TYPE_ASYNC_DISPATCHER) == FLUID_TYPE_BASE_DISPATCHER);
  g_assert_false (g_type_is_a (FLUID_TYPE_ASYNC_DISPATCHER, FLUID_TYPE_DISPATCHER));
  g_assert_false (g_type_is_a (FLUID_TYPE_DISPATCHER, FLUID_TYPE_ASYNC_DISPATCHER));
  g_assert_false (G_TYPE_IS_FINAL (FLUID_TYPE_ASYNC_DISPATCHER));
  g_assert_false (G_TYPE_IS_ABSTRACT (FLUID_TYPE_ASYNC_DISPATCHER));
  g_assert_true (g_type_is_a (FLUID_TYPE_ASYNC_CONSUMER, FLUID_TYPE_QUEUE_CONSUMER));
}

static void
count_destroy (gpointer user_data)
{
  (*(guint *) user_data)++;
}

static char *
constant_event_type (FluidBaseDispatcher *dispatcher,
                     const GValue        *message,
                     gpointer             user_data)
{
  return g_strdup ("constant");
}

/* The data of the event-type function is freed once, with the dispatcher,
 * synchronous or asynchronous. */
static void
test_dispatcher_destroy_notify (void)
{
  guint destroyed = 0;
  FluidDispatcher *dispatcher = fluid_dispatcher_new (constant_event_type, &destroyed,
                                                      count_destroy);
  FluidAsyncDispatcher *async = fluid_async_dispatcher_new (constant_event_type, &destroyed,
                                                            count_destroy);
  g_auto(GValue) message = G_VALUE_INIT;
  g_autofree char *type = NULL;

  g_value_init (&message, G_TYPE_INT);
  type = fluid_dispatcher_get_event_type (dispatcher, &message);
  g_assert_cmpstr (type, ==, "constant");
  g_assert_cmpuint (destroyed, ==, 0);
  g_object_unref (dispatcher);
  g_assert_cmpuint (destroyed, ==, 1);
  g_object_unref (async);
  g_assert_cmpuint (destroyed, ==, 2);
}

static void
failing_now_handler (const GValue *message,
                     GTask        *task,
                     gpointer      user_data)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "refused at once");
}

/* A handler may complete its task before it returns, with an error too: the
 * dispatch still waits for the other handlers and gives that error. */
static void
test_async_dispatch_error_now (void)
{
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  AsyncLog log = { g_string_new (NULL), 0, 0, 0 };
  g_autoptr(GError) error = NULL;

  fluid_async_dispatcher_register_handler (dispatcher, "job.now", failing_now_handler, NULL, NULL);
  register_async (dispatcher, "job.later", &log, "later", FALSE);

  g_assert_cmpuint (dispatch_and_wait (dispatcher, "job", &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpuint (log.started, ==, 1);
  g_assert_cmpuint (log.in_flight, ==, 0);
  g_clear_error (&error);

  /* Still usable. */
  g_assert_true (fluid_base_dispatcher_unregister_handler (FLUID_BASE_DISPATCHER (dispatcher),
                                                           "job.now"));
  g_assert_cmpuint (dispatch_and_wait (dispatcher, "job", &error), ==, 1);
  g_assert_no_error (error);
  g_string_free (log.calls, TRUE);
}

/* Bad input to the asynchronous dispatcher: criticals, and it stays
 * usable. */
static void
test_async_dispatcher_bad_input (void)
{
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  AsyncLog log = { g_string_new (NULL), 0, 0, 0 };
  g_autoptr(GError) error = NULL;
  guint immediate = 0;

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*the event type is empty*");
  g_assert_false (fluid_async_dispatcher_register_handler (dispatcher, ".tag", immediate_handler,
                                                           &immediate, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  g_assert_false (fluid_async_dispatcher_register_handler (dispatcher, "job", NULL, NULL, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*G_IS_VALUE*");
  fluid_async_dispatcher_dispatch_async (dispatcher, NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_ASYNC_DISPATCHER*");
  fluid_async_dispatcher_dispatch_async (NULL, NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  register_async (dispatcher, "job", &log, "job", FALSE);
  g_assert_cmpuint (dispatch_and_wait (dispatcher, "job", &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (immediate, ==, 0);
  g_string_free (log.calls, TRUE);
}

/* The async consumer dispatches until the worker stops, and no more: a
 * message sent afterwards is discarded, its handler not called. */
static void
test_async_consumer_stops (void)
{
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(FluidWorker) worker = fluid_async_consumer_new (dispatcher);
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
  AsyncLog log = { g_string_new (NULL), 0, 0, 0 };

  register_async (dispatcher, "job", &log, "h", FALSE);
  g_assert_true (fluid_test_startup (worker, NULL));
  fluid_queue_consumer_send_string (consumer, "job");
  fluid_test_wait_until (log.started == 1 && log.in_flight == 0);
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);

  fluid_queue_consumer_send_string (consumer, "job");
  fluid_test_wait_until (g_main_context_pending (NULL) == FALSE);
  g_assert_cmpuint (log.started, ==, 1);
  g_assert_cmpuint (fluid_queue_consumer_get_discarded (consumer), ==, 1);
  g_string_free (log.calls, TRUE);
}

/* Message failures of the async consumer */

typedef struct
{
  guint     signalled;
  GString  *failed;   /* the messages of ::message-failed */
} FailedLog;

static void
record_failed_cb (FluidQueueConsumer *consumer,
                  const GValue       *message,
                  const GError       *error,
                  gpointer            user_data)
{
  FailedLog *failed = user_data;

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  failed->signalled++;
  g_string_append_printf (failed->failed, "%s;", g_value_get_string (message));
}

/* A handler error is a failed message: counted, signalled, and, with
 * stop-on-failure (the default), the end of the worker with that error;
 * without it, the consumer goes on. Every message ends processed, failed
 * or discarded. */
static void
test_async_consumer_failed_messages (void)
{
  for (guint stop_on_failure = 0; stop_on_failure <= 1; stop_on_failure++)
    {
      g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
      g_autoptr(FluidWorker) worker = fluid_async_consumer_new (dispatcher);
      FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
      AsyncLog log = { g_string_new (NULL), 0, 0, 0 };
      FailedLog failed = { 0, g_string_new (NULL) };
      g_autoptr(GError) error = NULL;
      guint64 processed, n_failed, discarded;

      g_assert_true (fluid_queue_consumer_get_stop_on_failure (consumer));
      fluid_queue_consumer_set_stop_on_failure (consumer, stop_on_failure);
      register_async (dispatcher, "good", &log, "good", FALSE);
      register_async (dispatcher, "bad", &log, "bad", TRUE);
      g_signal_connect (worker, "message-failed", G_CALLBACK (record_failed_cb), &failed);
      fluid_queue_consumer_send_string (consumer, "good");
      fluid_queue_consumer_send_string (consumer, "bad");
      fluid_queue_consumer_send_string (consumer, "good");
      fluid_queue_consumer_send_string (consumer, "bad");
      fluid_queue_consumer_send_string (consumer, "good");
      g_assert_true (fluid_test_startup (worker, NULL));

      if (stop_on_failure)
        {
          g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
          g_assert_cmpstr (error->message, ==, "bad failed");
          g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, 2);
          g_assert_cmpstr (failed.failed->str, ==, "bad;");
        }
      else
        {
          fluid_test_wait_until (log.started == 5 && log.in_flight == 0);
          g_assert_true (fluid_worker_is_running (worker));
          g_assert_true (fluid_test_shutdown (worker, NULL));
          g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, 0);
          g_assert_cmpstr (failed.failed->str, ==, "bad;bad;");
        }

      processed = consumer_status_uint64 (worker, "processed");
      n_failed = consumer_status_uint64 (worker, "failed");
      discarded = consumer_status_uint64 (worker, "discarded");
      g_assert_cmpuint (n_failed, ==, failed.signalled);
      g_assert_cmpuint (processed, ==, stop_on_failure ? 1 : 3);
      g_assert_cmpuint (n_failed, ==, stop_on_failure ? 1 : 2);
      g_assert_cmpuint (processed + n_failed + discarded, ==, 5);
      g_string_free (log.calls, TRUE);
      g_string_free (failed.failed, TRUE);
    }
}

static void
keep_task_handler (const GValue *message,
                   GTask        *task,
                   gpointer      user_data)
{
  GTask **kept = user_data;

  g_assert_null (*kept);
  *kept = g_object_ref (task);
}

/* A handler that never completes, a forced stop: the message in hand is
 * discarded, the rest too, the counts add up when shutdown completes, and
 * the handler's late failure counts nothing and signals nothing. */
static void
test_async_consumer_forced_stop (void)
{
  for (guint drain = 0; drain <= 1; drain++)
    {
      g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
      g_autoptr(FluidWorker) worker = g_object_new (FLUID_TYPE_ASYNC_CONSUMER,
                                                    "dispatcher", dispatcher,
                                                    "stopping-grace-period", 0.05,
                                                    "drain-on-stop", drain,
                                                    NULL);
      FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (worker);
      AsyncLog log = { g_string_new (NULL), 0, 0, 0 };
      FailedLog failed = { 0, g_string_new (NULL) };
      GTask *kept = NULL;

      register_async (dispatcher, "good", &log, "good", FALSE);
      fluid_async_dispatcher_register_handler (dispatcher, "stuck", keep_task_handler, &kept, NULL);
      g_signal_connect (worker, "message-failed", G_CALLBACK (record_failed_cb), &failed);
      for (int i = 0; i < 20; i++)
        fluid_queue_consumer_send_string (consumer, i == 5 ? "stuck" : "good");
      g_assert_true (fluid_test_startup (worker, NULL));
      fluid_test_wait_until (kept != NULL);
      g_assert_true (fluid_test_shutdown (worker, NULL));
      g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_FORCE_STOPPED);

      g_assert_cmpuint (fluid_queue_consumer_get_queue_size (consumer), ==, 0);
      g_assert_cmpuint (consumer_status_uint64 (worker, "processed"), ==, 5);
      g_assert_cmpuint (consumer_status_uint64 (worker, "failed"), ==, 0);
      g_assert_cmpuint (consumer_status_uint64 (worker, "discarded"), ==, 15);

      g_task_return_new_error (kept, G_IO_ERROR, G_IO_ERROR_FAILED, "late");
      g_clear_object (&kept);
      fluid_test_settle (NULL);
      g_assert_cmpuint (failed.signalled, ==, 0);
      g_assert_cmpuint (consumer_status_uint64 (worker, "failed"), ==, 0);
      g_assert_cmpuint (consumer_status_uint64 (worker, "discarded"), ==, 15);
      g_string_free (log.calls, TRUE);
      g_string_free (failed.failed, TRUE);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/event/parse", test_event_parse);
  g_test_add_func ("/event/empty-type", test_event_empty_type);
  g_test_add_func ("/dispatcher/rules", test_dispatcher_rules);
  g_test_add_func ("/dispatcher/event-type-func", test_dispatcher_event_type_func);
  g_test_add_func ("/dispatcher/subclass", test_dispatcher_subclass);
  g_test_add_func ("/dispatcher/unregister-in-handler", test_dispatcher_unregister_in_handler);
  g_test_add_func ("/dispatcher/bad-input", test_dispatcher_bad_input);
  g_test_add_func ("/base-dispatcher/methods", test_base_dispatcher_methods);
  g_test_add_func ("/async-dispatcher/dispatch", test_async_dispatch);
  g_test_add_func ("/async-dispatcher/error", test_async_dispatch_error);
  g_test_add_func ("/async-consumer/order", test_async_consumer);
  g_test_add_func ("/async-consumer/error", test_async_consumer_error);
  g_test_add_func ("/async-consumer/bad-input", test_async_consumer_bad_input);
  g_test_add_func ("/dispatcher/types", test_dispatcher_types);
  g_test_add_func ("/dispatcher/destroy-notify", test_dispatcher_destroy_notify);
  g_test_add_func ("/async-dispatcher/error-now", test_async_dispatch_error_now);
  g_test_add_func ("/async-dispatcher/bad-input", test_async_dispatcher_bad_input);
  g_test_add_func ("/async-consumer/stops", test_async_consumer_stops);
  g_test_add_func ("/async-consumer/failed-messages", test_async_consumer_failed_messages);
  g_test_add_func ("/async-consumer/forced-stop", test_async_consumer_forced_stop);

  return g_test_run ();
}
