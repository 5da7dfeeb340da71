/* dispatcher.c: events, a dispatcher, and a consumer that dispatches
 *
 * Messages are GVariant tuples (event type, order number). A FluidDispatcher
 * calls every handler of a message's event type, whatever their tags; then
 * a FluidAsyncConsumer passes each message to a FluidAsyncDispatcher, whose
 * "store" handler completes later, and waits for it before the next.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

static gboolean failed = FALSE;

static void
expect (gboolean    ok,
        const char *what)
{
  if (!ok)
    {
      g_printerr ("unexpected: %s\n", what);
      failed = TRUE;
    }
}

static GValue *
order_new (const char *event_type,
           int         number)
{
  GValue *message = g_new0 (GValue, 1);

  g_value_init (message, G_TYPE_VARIANT);
  g_value_set_variant (message, g_variant_new ("(si)", event_type, number));
  return message;
}

static int
order_number (const GValue *message)
{
  int number;

  g_variant_get (g_value_get_variant (message), "(&si)", NULL, &number);
  return number;
}

/* The FluidEventTypeFunc of both dispatchers, FluidDispatcher and
 * FluidAsyncDispatcher, siblings under FluidBaseDispatcher: the first field
 * of the tuple. */
static char *
order_event_type (FluidBaseDispatcher *dispatcher,
                  const GValue        *message,
                  gpointer             user_data)
{
  const char *event_type;

  if (!G_VALUE_HOLDS (message, G_TYPE_VARIANT))
    return NULL;  /* no handler is called */
  g_variant_get (g_value_get_variant (message), "(&si)", &event_type, NULL);
  return g_strdup (event_type);
}

/* Synchronous handlers: they append to the log they are given. */

static void
count_order (const GValue *message,
             gpointer      user_data)
{
  g_string_append_printf (user_data, "order %d;", order_number (message));
}

static void
audit_order (const GValue *message,
             gpointer      user_data)
{
  g_string_append_printf (user_data, "audit %d;", order_number (message));
}

static void
email_order (const GValue *message,
             gpointer      user_data)
{
  g_string_append_printf (user_data, "email %d;", order_number (message));
}

static void
run_dispatcher (void)
{
  g_autoptr(FluidDispatcher) dispatcher = fluid_dispatcher_new (order_event_type, NULL, NULL);
  g_autoptr(FluidEvent) event = fluid_event_new_from_string ("order.audit", NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  GValue *message;

  /* "type.tag": the tag tells apart several handlers of one event type. */
  g_print ("event %s: type %s, tag %s\n", "order.audit", event->type, event->tag);

  fluid_dispatcher_register_handler (dispatcher, "order", count_order, log, NULL);
  fluid_dispatcher_register_handler (dispatcher, "order.audit", audit_order, log, NULL);
  fluid_dispatcher_register_handler (dispatcher, "order.email", email_order, log, NULL);
  /* The same event again replaces the handler, in its place. */
  expect (fluid_dispatcher_register_handler (dispatcher, "order.audit", audit_order, log, NULL),
          "registering order.audit again replaces it");
  /* Counting and unregistering are FluidBaseDispatcher's, for both kinds
   * of dispatcher. */
  expect (fluid_base_dispatcher_get_n_handlers (FLUID_BASE_DISPATCHER (dispatcher), "order") == 3,
          "three order handlers");

  /* Every handler of the type is called, in the order of registration. */
  message = order_new ("order", 1);
  expect (fluid_dispatcher_dispatch (dispatcher, message) == 3, "order 1 reaches three handlers");
  g_boxed_free (G_TYPE_VALUE, message);

  /* Unregistering "type.tag" removes that one handler. */
  expect (fluid_base_dispatcher_unregister_handler (FLUID_BASE_DISPATCHER (dispatcher), "order.email"),
          "order.email removed");
  message = order_new ("order", 2);
  expect (fluid_dispatcher_dispatch (dispatcher, message) == 2, "order 2 reaches two handlers");
  g_boxed_free (G_TYPE_VALUE, message);

  /* An event type without handlers: nothing is called. */
  message = order_new ("refund", 3);
  expect (fluid_dispatcher_dispatch (dispatcher, message) == 0, "no refund handler");
  g_boxed_free (G_TYPE_VALUE, message);

  g_print ("dispatched: %s\n", log->str);
  expect (g_str_equal (log->str, "order 1;audit 1;email 1;order 2;audit 2;"),
          "the handlers ran in order");
}

/* Asynchronous handlers: each completes the GTask it is given. */

typedef struct
{
  GTask   *task;
  GString *log;
  int      number;
} StoreJob;

static gboolean
store_done_cb (gpointer user_data)
{
  StoreJob *job = user_data;

  g_string_append_printf (job->log, "stored %d;", job->number);
  g_task_return_boolean (job->task, TRUE);
  g_object_unref (job->task);
  g_free (job);
  return G_SOURCE_REMOVE;
}

/* Completes 10 ms later: it keeps a reference on the task until then. */
static void
store_order (const GValue *message,
             GTask        *task,
             gpointer      user_data)
{
  StoreJob *job = g_new0 (StoreJob, 1);

  job->task = g_object_ref (task);
  job->log = user_data;
  job->number = order_number (message);
  g_timeout_add (10, store_done_cb, job);
}

/* Completes at once. */
static void
log_order (const GValue *message,
           GTask        *task,
           gpointer      user_data)
{
  g_string_append_printf (user_data, "log %d;", order_number (message));
  g_task_return_boolean (task, TRUE);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the thread-default main context until an async call completes. */
static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static void
run_async_consumer (void)
{
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (order_event_type,
                                                                           NULL, NULL);
  g_autoptr(FluidWorker) consumer = fluid_async_consumer_new (dispatcher);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GAsyncResult) stopped = NULL;
  g_autoptr(GAsyncResult) status_result = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GError) error = NULL;
  guint64 processed = 0, discarded = 0;

  fluid_async_dispatcher_register_handler (dispatcher, "store", store_order, log, NULL);
  fluid_async_dispatcher_register_handler (dispatcher, "store.log", log_order, log, NULL);

  /* The messages queued when the stop is requested are still dispatched. */
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (consumer), TRUE);

  fluid_worker_startup_async (consumer, NULL, done_cb, &started);
  if (!fluid_worker_startup_finish (consumer, wait_for (&started), &error))
    g_error ("startup failed: %s", error->message);

  for (int number = 1; number <= 3; number++)
    fluid_queue_consumer_send_variant (FLUID_QUEUE_CONSUMER (consumer),
                                       g_variant_new ("(si)", "store", number));

  fluid_worker_shutdown_async (consumer, NULL, done_cb, &stopped);
  if (!fluid_worker_shutdown_finish (consumer, wait_for (&stopped), &error))
    g_error ("shutdown failed: %s", error->message);

  fluid_worker_status_async (consumer, NULL, done_cb, &status_result);
  status = fluid_worker_status_finish (consumer, wait_for (&status_result), &error);
  g_assert_no_error (error);
  g_variant_lookup (status, "processed", "t", &processed);
  g_variant_lookup (status, "discarded", "t", &discarded);

  /* Each message waits for every handler of the one before. */
  g_print ("consumed: %s\n", log->str);
  g_print ("processed %" G_GUINT64_FORMAT ", discarded %" G_GUINT64_FORMAT "\n",
           processed, discarded);
  expect (g_str_equal (log->str, "log 1;stored 1;log 2;stored 2;log 3;stored 3;"),
          "one message at a time, each after the handlers of the one before");
  expect (processed == 3 && discarded == 0, "three messages processed, none discarded");
}

int
main (int   argc,
      char *argv[])
{
  run_dispatcher ();
  run_async_consumer ();

  return failed ? 1 : 0;
}
