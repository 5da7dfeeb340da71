/* test-metrics.c: fluid_worker_collect_metrics(), its server, its D-Bus
 * method and the lifecycle's structured logs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every exposition is checked by `promtool check metrics` (PROMTOOL, set
 * by Meson when Debian's prometheus package is installed; a test without
 * it is skipped on a developer's machine, and fails under CI=true).
 * Scrapes go through a client thread, as the server answers on the
 * test's context.
 */

#include "fluid-test-utils.h"

#include <string.h>

#define CONSUMER_PATH "/org/gnome/Fluid/MetricsTest"
#define CONSUMER_BUS_NAME "org.gnome.Fluid.MetricsTest"

/* A name with every character the format escapes or keeps as it is. */
#define ODD_NAME "in box \"quoted\" / slash \\ back ünïcødé ☃"

/* The expositions of every kind of worker */

static void
tick (FluidWorker *worker,
      gpointer     user_data)
{
}

static void
count_message (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               gpointer                  user_data)
{
}

static gboolean
thread_message (FluidQueueConsumerWorker  *worker,
                const GValue              *message,
                GCancellable              *cancellable,
                gpointer                   user_data,
                GError                   **error)
{
  return TRUE;
}

static char *
event_type (FluidBaseDispatcher *dispatcher,
            const GValue        *message,
            gpointer             user_data)
{
  return g_strdup ("any");
}

/* Every worker class of the library in one tree, under names with
 * spaces, quotes, slashes, backslashes and non-ASCII characters, two of
 * them the same. */
static FluidWorkers *
make_every_kind (void)
{
  FluidWorkers *root = g_object_new (FLUID_TYPE_WORKERS, "name", "root " ODD_NAME, NULL);
  g_autoptr(FluidWorkers) inner = g_object_new (FLUID_TYPE_WORKERS, "name", "inner", NULL);
  g_autoptr(FluidAsyncDispatcher) async_dispatcher = fluid_async_dispatcher_new (event_type, NULL, NULL);
  FluidWorker *workers[] = {
    fluid_worker_function_new_named (ODD_NAME, 1.0, tick, NULL, NULL),
    fluid_worker_function_new_named (ODD_NAME, 1.0, tick, NULL, NULL),
    fluid_queue_consumer_worker_new (count_message, NULL, NULL),
    fluid_queue_consumer_worker_new_threaded_named ("thréads", 2, thread_message, NULL, NULL),
    fluid_async_consumer_new (async_dispatcher),
  };

  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    {
      fluid_workers_add_worker (i < 3 ? root : inner, workers[i]);
      g_object_unref (workers[i]);
    }
  fluid_workers_add_worker (root, FLUID_WORKER (inner));
  return root;
}

static void
test_every_kind (void)
{
  g_autoptr(FluidWorkers) root = make_every_kind ();
  FluidWorker *w = FLUID_WORKER (root);
  g_autofree char *before = NULL;
  g_autofree char *running = NULL;
  g_autofree char *openmetrics = NULL;
  g_autofree char *stopped = NULL;

  before = fluid_worker_collect_metrics (w);
  fluid_test_assert_promtool_accepts (before);
  /* Every family, declared once, even those no worker here has. */
  g_assert_nonnull (strstr (before, "# TYPE fluid_jobs_total counter\n"));
  g_assert_nonnull (strstr (before, "# TYPE fluid_redis_connected gauge\n"));
  g_assert_nonnull (strstr (before, "# TYPE fluid_message_duration_seconds histogram\n"));
  /* The paths, escaped; the second child of one name as its group tells
   * it apart. */
  g_assert_cmpfloat (fluid_test_sample_value (before, "fluid_worker_state",
                                   "worker=\"root in box \\\"quoted\\\" / slash \\\\ back ünïcødé ☃\","
                                   "state=\"init\""), ==, 1);
  g_assert_cmpfloat (fluid_test_sample_value (before, "fluid_worker_restarts_total",
                                   "worker=\"root in box \\\"quoted\\\" / slash \\\\ back ünïcødé ☃/"
                                   "in box \\\"quoted\\\" / slash \\\\ back ünïcødé ☃\""), ==, 0);
  g_assert_nonnull (strstr (before, "ünïcødé ☃#2\""));
  g_assert_nonnull (strstr (before, "/inner/thréads\",outcome=\"processed\"} 0\n"));

  g_assert_true (fluid_test_startup (w, NULL));
  running = fluid_worker_collect_metrics (w);
  fluid_test_assert_promtool_accepts (running);
  g_assert_nonnull (strstr (running, "state=\"running\"} 1\n"));

  /* OpenMetrics: the counters' families without _total, and # EOF. */
  openmetrics = fluid_worker_collect_metrics_full (w, FLUID_METRICS_FORMAT_OPENMETRICS);
  g_assert_nonnull (strstr (openmetrics, "# TYPE fluid_messages counter\n"));
  g_assert_null (strstr (openmetrics, "# TYPE fluid_messages_total"));
  g_assert_true (g_str_has_suffix (openmetrics, "\n# EOF\n"));

  g_assert_true (fluid_test_shutdown (w, NULL));
  stopped = fluid_worker_collect_metrics (w);
  fluid_test_assert_promtool_accepts (stopped);
  g_assert_null (strstr (stopped, "state=\"running\"} 1\n"));
}

/* The known workload: 1 000 messages, every 10th failing */

#define N_MESSAGES 1000

typedef struct
{
  guint handled;
} Workload;

static void
every_tenth_fails (FluidQueueConsumerWorker *worker,
                   const GValue             *message,
                   GTask                    *task,
                   gpointer                  user_data)
{
  Workload *workload = user_data;

  workload->handled++;
  if (g_value_get_int (message) % 10 == 9)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "message %d fails",
                             g_value_get_int (message));
  else
    g_task_return_boolean (task, TRUE);
}

typedef struct
{
  char     *address;
  gboolean  openmetrics;
  char     *body;
  char     *content_type;
  GError   *error;
  gboolean  done;
} Scrape;

static gpointer
scrape_thread (gpointer data)
{
  Scrape *scrape = data;

  scrape->body = fluid_test_http_get (scrape->address, "/metrics",
                                      scrape->openmetrics ? "application/openmetrics-text; version=1.0.0" : NULL,
                                      &scrape->content_type, &scrape->error);
  g_atomic_int_set (&scrape->done, TRUE);
  return NULL;
}

/* The body of a scrape of @worker, answered on this context. */
static char *
scrape (FluidWorker *worker,
        gboolean     openmetrics)
{
  Scrape data = { fluid_worker_get_metrics_address (worker), openmetrics, NULL, NULL, NULL, FALSE };
  GThread *thread;

  g_assert_nonnull (data.address);
  thread = g_thread_new ("scrape", scrape_thread, &data);
  fluid_test_wait_until (g_atomic_int_get (&data.done));
  g_thread_join (thread);
  g_assert_no_error (data.error);
  g_assert_true (g_str_has_prefix (data.content_type, openmetrics ? "application/openmetrics-text; version=1.0.0"
                                                                  : "text/plain; version=0.0.4"));
  g_free (data.content_type);
  g_free (data.address);
  return data.body;
}

static gboolean
serve_or_skip (FluidWorker *worker,
               const char  *address)
{
  g_autoptr(GError) error = NULL;

  if (fluid_worker_serve_metrics (worker, address, &error))
    return TRUE;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_test_skip ("built without libsoup (-Dmetrics=disabled)");
  return FALSE;
}

static void
status_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GVariant **status = user_data;

  *status = fluid_worker_status_finish (FLUID_WORKER (source), result, NULL);
}

static void
test_workload (void)
{
  Workload workload = { 0 };
  g_autoptr(FluidWorker) consumer = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autofree char *text = NULL;
  g_autofree char *served = NULL;
  g_autofree char *served_openmetrics = NULL;
  g_autofree char *over_dbus = NULL;
  FluidTestBus *bus;
  guint64 processed = 0, failed = 0;

  consumer = fluid_queue_consumer_worker_new_async (every_tenth_fails, &workload, NULL);
  fluid_worker_set_name (consumer, "inbox");
  g_object_set (consumer, "stop-on-failure", FALSE, NULL);
  /* Served before the start: the handler's time is measured from the
   * first message. */
  if (!serve_or_skip (consumer, "127.0.0.1:0"))
    return;
  g_assert_true (fluid_test_startup (consumer, NULL));
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (consumer), 0, N_MESSAGES);
  fluid_test_wait_until (workload.handled == N_MESSAGES);
  fluid_test_settle (NULL);

  fluid_worker_status_async (consumer, NULL, status_cb, &status);
  fluid_test_wait_until (status != NULL);
  g_assert_true (g_variant_lookup (status, "processed", "t", &processed));
  g_assert_true (g_variant_lookup (status, "failed", "t", &failed));
  g_assert_cmpuint (processed, ==, 900);
  g_assert_cmpuint (failed, ==, 100);

  text = fluid_worker_collect_metrics (consumer);
  fluid_test_assert_promtool_accepts (text);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_messages_total", "worker=\"inbox\",outcome=\"processed\""), ==, 900);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_messages_total", "worker=\"inbox\",outcome=\"failed\""), ==, 100);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_messages_total", "worker=\"inbox\",outcome=\"discarded\""), ==, 0);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_queue_size", "worker=\"inbox\""), ==, 0);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_message_duration_seconds_count", "worker=\"inbox\""), ==,
                     processed + failed);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_message_duration_seconds_bucket", "worker=\"inbox\",le=\"+Inf\""),
                     ==, processed + failed);

  /* The same over HTTP, in both formats. */
  served = scrape (consumer, FALSE);
  fluid_test_assert_promtool_accepts (served);
  g_assert_cmpfloat (fluid_test_sample_value (served, "fluid_messages_total", "worker=\"inbox\",outcome=\"failed\""), ==, 100);
  served_openmetrics = scrape (consumer, TRUE);
  g_assert_true (g_str_has_suffix (served_openmetrics, "# EOF\n"));
  g_assert_cmpfloat (fluid_test_sample_value (served_openmetrics, "fluid_messages_total",
                                   "worker=\"inbox\",outcome=\"processed\""), ==, 900);

  /* And over D-Bus, through fluidctl. */
  bus = fluid_test_bus_new ();
  if (bus != NULL)
    {
      g_autoptr(GDBusConnection) connection = fluid_test_bus_connect (bus);
      guint owner = fluid_test_bus_export (connection, consumer, CONSUMER_PATH, CONSUMER_BUS_NAME);
      const char *argv[] = { g_getenv ("FLUIDCTL"), CONSUMER_BUS_NAME, "metrics", NULL };
      g_autofree char *err = NULL;

      g_assert_cmpint (fluid_test_bus_run_client (bus, argv, &over_dbus, &err), ==, 0);
      fluid_test_assert_promtool_accepts (over_dbus);
      g_assert_cmpfloat (fluid_test_sample_value (over_dbus, "fluid_messages_total",
                                       "worker=\"inbox\",outcome=\"processed\""), ==, 900);
      g_assert_cmpfloat (fluid_test_sample_value (over_dbus, "fluid_messages_total",
                                       "worker=\"inbox\",outcome=\"failed\""), ==, 100);
      fluid_test_bus_unexport (consumer, owner);
      fluid_test_bus_free (bus);
    }
  else
    g_test_message ("no dbus-daemon: fluidctl metrics not checked");

  fluid_test_shutdown (consumer, NULL);
  fluid_worker_stop_serving_metrics (consumer);
}

static gboolean
every_tenth_fails_in_thread (FluidQueueConsumerWorker  *worker,
                             const GValue              *message,
                             GCancellable              *cancellable,
                             gpointer                   user_data,
                             GError                   **error)
{
  Workload *workload = user_data;

  g_atomic_int_inc (&workload->handled);
  if (g_value_get_int (message) % 10 == 9)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "message %d fails", g_value_get_int (message));
      return FALSE;
    }
  return TRUE;
}

static double
collected_value (FluidWorker *worker,
                 const char  *name,
                 const char  *labels)
{
  g_autofree char *text = fluid_worker_collect_metrics (worker);

  return fluid_test_sample_value (text, name, labels);
}

/* The same workload on threads of the consumer's own: the histogram
 * merged from each thread's runs. */
static void
test_workload_threads (void)
{
  Workload workload = { 0 };
  g_autoptr(FluidWorker) consumer = NULL;
  g_autofree char *text = NULL;

  consumer = fluid_queue_consumer_worker_new_threaded_named ("threads", 3, every_tenth_fails_in_thread,
                                                             &workload, NULL);
  g_object_set (consumer, "stop-on-failure", FALSE, NULL);
  if (!serve_or_skip (consumer, "127.0.0.1:0"))
    return;
  g_assert_true (fluid_test_startup (consumer, NULL));
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (consumer), 0, N_MESSAGES);
  fluid_test_wait_until (g_atomic_int_get (&workload.handled) == N_MESSAGES);
  /* The threads' outcomes are counted on the consumer's context, after
   * the handlers returned: each one, and its duration, is told once the
   * consumer's context takes it. */
  fluid_test_wait_until (collected_value (consumer, "fluid_messages_total",
                                          "worker=\"threads\",outcome=\"failed\"") == 100);
  fluid_test_wait_until (collected_value (consumer, "fluid_messages_total",
                                          "worker=\"threads\",outcome=\"processed\"") == 900);
  fluid_test_wait_until (collected_value (consumer, "fluid_message_duration_seconds_count",
                                          "worker=\"threads\"") == N_MESSAGES);
  text = fluid_worker_collect_metrics (consumer);
  fluid_test_assert_promtool_accepts (text);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_messages_total", "worker=\"threads\",outcome=\"processed\""),
                     ==, 900);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_messages_total", "worker=\"threads\",outcome=\"failed\""),
                     ==, 100);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_message_duration_seconds_count", "worker=\"threads\""),
                     ==, N_MESSAGES);
  fluid_test_shutdown (consumer, NULL);
  fluid_worker_stop_serving_metrics (consumer);
}

static gboolean
job_fails_when_odd (FluidJob      *job,
                    GCancellable  *cancellable,
                    gpointer       user_data,
                    GError       **error)
{
  if (g_value_get_int (fluid_job_get_input (job)) % 2 == 1)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "odd");
      return FALSE;
    }
  return TRUE;
}

/* A job worker adds its jobs by outcome to a consumer's counters. */
static void
test_job_worker (void)
{
  g_autoptr(FluidJobWorker) jobs = fluid_job_worker_new (0, job_fails_when_odd, NULL, NULL);
  FluidWorker *w = FLUID_WORKER (jobs);
  g_autoptr(GPtrArray) submitted = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *text = NULL;

  fluid_worker_set_name (w, "jobs");
  g_assert_true (fluid_test_startup (w, NULL));
  for (int i = 0; i < 10; i++)
    g_ptr_array_add (submitted, fluid_test_submit_int (jobs, i, 0));
  for (guint i = 0; i < submitted->len; i++)
    fluid_test_wait_until (fluid_job_is_done (g_ptr_array_index (submitted, i)));
  fluid_test_wait_until (collected_value (w, "fluid_jobs_total", "worker=\"jobs\",outcome=\"failed\"") == 5);
  text = fluid_worker_collect_metrics (w);
  fluid_test_assert_promtool_accepts (text);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_jobs_total", "worker=\"jobs\",outcome=\"succeeded\""), ==, 5);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_jobs_total", "worker=\"jobs\",outcome=\"cancelled\""), ==, 0);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_messages_total", "worker=\"jobs\",outcome=\"processed\""), ==, 5);
  fluid_test_shutdown (w, NULL);
}

/* Not served, nothing is measured. */
static void
test_not_served_not_timed (void)
{
  Workload workload = { 0 };
  g_autoptr(FluidWorker) consumer = fluid_queue_consumer_worker_new_async (every_tenth_fails, &workload, NULL);
  g_autofree char *text = NULL;

  fluid_worker_set_name (consumer, "quiet");
  g_object_set (consumer, "stop-on-failure", FALSE, NULL);
  g_assert_true (fluid_test_startup (consumer, NULL));
  for (int i = 0; i < 10; i++)
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_INT);
      fluid_queue_consumer_send (FLUID_QUEUE_CONSUMER (consumer), &value);
    }
  fluid_test_wait_until (workload.handled == 10);
  text = fluid_worker_collect_metrics (consumer);
  g_assert_cmpfloat (fluid_test_sample_value (text, "fluid_message_duration_seconds_count", "worker=\"quiet\""), ==, 0);
  fluid_test_shutdown (consumer, NULL);
}

/* Bad input */

static void
test_bad_addresses (void)
{
  g_autoptr(FluidWorker) worker = fluid_worker_function_new_named ("served", 1.0, tick, NULL, NULL);
  g_autoptr(FluidWorker) other = fluid_worker_function_new_named ("other", 1.0, tick, NULL, NULL);
  const char *bad[] = { "", "9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:port", "127.0.0.1:70000",
                        "not a host:9464", "[::1]9464", "::1:9464" };
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (fluid_worker_serve_metrics (worker, bad[i], &error));
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        {
          g_test_skip ("built without libsoup (-Dmetrics=disabled)");
          return;
        }
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, bad[i]));
      g_clear_error (&error);
    }
  g_assert_null (fluid_worker_get_metrics_address (worker));

  /* Twice: refused, the first still serves. */
  g_assert_true (fluid_worker_serve_metrics (worker, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  g_assert_false (fluid_worker_serve_metrics (worker, "127.0.0.1:0", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  /* A port in use. */
  address = fluid_worker_get_metrics_address (worker);
  g_assert_true (g_str_has_prefix (address, "127.0.0.1:"));
  g_assert_false (fluid_worker_serve_metrics (other, address, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_nonnull (strstr (error->message, address));
  g_clear_error (&error);

  /* Stopped, the port is free again. */
  fluid_worker_stop_serving_metrics (worker);
  g_assert_null (fluid_worker_get_metrics_address (worker));
  g_assert_true (fluid_worker_serve_metrics (other, address, &error));
  g_assert_no_error (error);
  fluid_worker_stop_serving_metrics (other);
}

/* A worker finalized while served closes its server. */
static void
test_finalized_while_served (void)
{
  FluidWorker *worker = fluid_worker_function_new_named ("gone", 1.0, tick, NULL, NULL);
  g_autoptr(FluidWorker) other = fluid_worker_function_new_named ("next", 1.0, tick, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *body = NULL;

  if (!serve_or_skip (worker, "127.0.0.1:0"))
    {
      g_object_unref (worker);
      return;
    }
  address = fluid_worker_get_metrics_address (worker);
  g_assert_true (fluid_test_startup (worker, NULL));
  body = scrape (worker, FALSE);
  g_assert_nonnull (strstr (body, "worker=\"gone\",state=\"running\"} 1"));
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_object_unref (worker);

  g_assert_true (fluid_worker_serve_metrics (other, address, &error));
  g_assert_no_error (error);
  g_clear_pointer (&body, g_free);
  body = scrape (other, FALSE);
  g_assert_nonnull (strstr (body, "worker=\"next\""));
  g_assert_null (strstr (body, "worker=\"gone\""));
}

/* Structured logs */

typedef struct
{
  GMutex     lock;
  GPtrArray *events;   /* "MESSAGE_ID|FLUID_WORKER|FLUID_STATE|FLUID_EXIT_CODE|FLUID_STOP_REASON|debug or warning" */
} LogRecorder;

static LogRecorder recorder;

static GLogWriterOutput
record_writer (GLogLevelFlags   log_level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  const char *keys[] = { "MESSAGE_ID", "FLUID_WORKER", "FLUID_STATE", "FLUID_EXIT_CODE", "FLUID_STOP_REASON" };
  const char *values[G_N_ELEMENTS (keys)] = { NULL };

  for (gsize i = 0; i < n_fields; i++)
    for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
      if (g_str_equal (fields[i].key, keys[k]) && fields[i].length < 0)
        values[k] = fields[i].value;
  if (values[0] != NULL)
    {
      g_mutex_lock (&recorder.lock);
      g_ptr_array_add (recorder.events, g_strdup_printf ("%s|%s|%s|%s|%s|%s", values[0], values[1], values[2],
                                                         values[3], values[4],
                                                         (log_level & G_LOG_LEVEL_WARNING) != 0 ? "warning"
                                                         : (log_level & G_LOG_LEVEL_DEBUG) != 0 ? "debug"
                                                         : "other"));
      g_mutex_unlock (&recorder.lock);
      return G_LOG_WRITER_HANDLED;
    }
  if ((log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static gboolean
recorded (const char *event)
{
  gboolean found = FALSE;

  g_mutex_lock (&recorder.lock);
  for (guint i = 0; i < recorder.events->len && !found; i++)
    found = g_str_equal (g_ptr_array_index (recorder.events, i), event);
  if (!found)
    for (guint i = 0; i < recorder.events->len; i++)
      g_test_message ("recorded: %s", (char *) g_ptr_array_index (recorder.events, i));
  g_mutex_unlock (&recorder.lock);
  return found;
}

static void
fail_at_once (FluidWorker *worker,
              gpointer     user_data)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "broke");

  fluid_worker_fail (worker, error);
}

static void
test_structured_logs (void)
{
  g_autoptr(FluidWorker) worker = fluid_worker_function_new_named ("logged", 0.001, tick, NULL, NULL);
  g_autoptr(FluidWorker) failing = fluid_worker_function_new_named ("failing", 0.001, fail_at_once, NULL, NULL);

  g_assert_true (fluid_test_startup (worker, NULL));
  g_assert_true (recorded ("45232e25757046e09e4882a2afbad471|logged|running|-1||debug"));
  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_true (recorded ("ee68eab2a4e44cbb88a930451bf706a3|logged|stopping|-1||debug"));
  g_assert_true (recorded ("ca03daadbd8c4ca6a8237cdcb50c17e3|logged|stopped|0|normal shutdown|debug"));

  /* A failure: a warning. */
  g_assert_true (fluid_test_startup (failing, NULL));
  g_assert_false (fluid_test_wait_for_shutdown (failing, NULL));
  g_assert_true (recorded ("933c09f3f4ee4d628d23fd41256a92bb|failing|stopped|2|broke|warning"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_mutex_init (&recorder.lock);
  recorder.events = g_ptr_array_new_with_free_func (g_free);
  /* Every line formatted, the events recorded; the failure's warning is
   * not fatal. */
  g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (record_writer, NULL, NULL);

  g_test_add_func ("/metrics/every-kind", test_every_kind);
  g_test_add_func ("/metrics/workload", test_workload);
  g_test_add_func ("/metrics/workload-threads", test_workload_threads);
  g_test_add_func ("/metrics/job-worker", test_job_worker);
  g_test_add_func ("/metrics/not-served-not-timed", test_not_served_not_timed);
  g_test_add_func ("/metrics/bad-addresses", test_bad_addresses);
  g_test_add_func ("/metrics/finalized-while-served", test_finalized_while_served);
  g_test_add_func ("/metrics/structured-logs", test_structured_logs);

  return g_test_run ();
}
