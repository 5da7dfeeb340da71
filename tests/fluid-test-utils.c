/* fluid-test-utils.c: helpers shared by the test suites
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

static gboolean
fluid_test_wake_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* One blocking iteration, woken after at most 100 ms so that the caller can
 * check its deadline even when nothing else happens. */
void
fluid_test_iterate_once (GMainContext *context)
{
  GSource *wake = g_timeout_source_new (100);

  g_source_set_callback (wake, fluid_test_wake_cb, NULL, NULL);
  g_source_attach (wake, context);
  g_main_context_iteration (context, TRUE);
  g_source_destroy (wake);
  g_source_unref (wake);
}

void
fluid_test_store_result_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

GVariant *
fluid_test_bus_call (GDBusConnection *client,
                     const char      *name,
                     const char      *path,
                     const char      *interface,
                     const char      *method,
                     GVariant        *parameters,
                     const char      *reply_type)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  g_dbus_connection_call (client, name, path, interface, method, parameters,
                          G_VARIANT_TYPE (reply_type), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  reply = g_dbus_connection_call_finish (client, result, &error);
  g_assert_no_error (error);
  return reply;
}

void
fluid_test_send_ints (FluidQueueConsumer *consumer,
                      int                 first,
                      guint               n)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  for (guint i = 0; i < n; i++)
    {
      g_value_set_int (&value, first + (int) i);
      fluid_queue_consumer_send (consumer, &value);
    }
}

FluidJob *
fluid_test_submit_int (FluidJobWorker *worker,
                       int             n,
                       int             priority)
{
  g_auto(GValue) input = G_VALUE_INIT;

  g_value_init (&input, G_TYPE_INT);
  g_value_set_int (&input, n);
  return fluid_job_worker_submit (worker, &input, priority, NULL);
}

gboolean
fluid_test_startup (FluidWorker  *worker,
                    GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fluid_worker_startup_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  fluid_test_settle (g_main_context_get_thread_default ());
  return fluid_worker_startup_finish (worker, result, error);
}

/* Runs what is ready on @context, without waiting: the children of nested
 * groups start one level per dispatch. Bounded, for workers that never
 * leave the context idle (a 0 s sleep loop). */
void
fluid_test_settle (GMainContext *context)
{
  for (guint i = 0; i < 100000 && g_main_context_pending (context); i++)
    g_main_context_iteration (context, FALSE);
}

void
fluid_test_crash (FluidWorker *worker)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "crashed");

  fluid_worker_fail (worker, error);
}

gboolean
fluid_test_shutdown (FluidWorker  *worker,
                     GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fluid_worker_shutdown_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  return fluid_worker_shutdown_finish (worker, result, error);
}

gboolean
fluid_test_wait_for_shutdown (FluidWorker  *worker,
                              GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fluid_worker_wait_for_shutdown_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  return fluid_worker_wait_for_shutdown_finish (worker, result, error);
}

GVariant *
fluid_test_status (FluidWorker *worker)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *status;

  fluid_worker_status_async (worker, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  status = fluid_worker_status_finish (worker, result, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (status, G_VARIANT_TYPE_VARDICT));
  return status;
}

guint64
fluid_test_status_uint64 (FluidWorker *worker,
                          const char  *key)
{
  g_autoptr(GVariant) status = fluid_test_status (worker);
  guint64 value = G_MAXUINT64;

  g_assert_true (g_variant_lookup (status, key, "t", &value));
  return value;
}

/* FluidTestWorker */

struct _FluidTestWorker
{
  FluidWorker   parent_instance;

  FluidTestRun  run;
  double        sleep;
  guint         iterations;
  guint         on_startup_calls;
  guint         on_shutdown_calls;
  guint         after_shutdown_calls;
  GTask        *pending_run;
};

G_DEFINE_FINAL_TYPE (FluidTestWorker, fluid_test_worker, FLUID_TYPE_WORKER)

static void fluid_test_worker_loop (GTask *task);

static void
fluid_test_worker_slept_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!fluid_worker_sleep_finish (FLUID_WORKER (source), result, &error) && error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  fluid_test_worker_loop (task);
}

static void
fluid_test_worker_loop (GTask *task)
{
  FluidTestWorker *self = g_task_get_source_object (task);

  if (!fluid_worker_is_running (FLUID_WORKER (self)))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  self->iterations++;
  fluid_worker_sleep_async (FLUID_WORKER (self), self->sleep, g_task_get_cancellable (task),
                            fluid_test_worker_slept_cb, task);
}

static gboolean
fluid_test_worker_cancelled_cb (GCancellable *cancellable,
                                gpointer      user_data)
{
  GTask *task = user_data;

  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
fluid_test_worker_run_async (FluidWorker         *worker,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  FluidTestWorker *self = FLUID_TEST_WORKER (worker);
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_test_worker_run_async);

  switch (self->run)
    {
    case FLUID_TEST_RUN_SLEEP_LOOP:
      fluid_test_worker_loop (task);
      return;

    case FLUID_TEST_RUN_RETURN:
      g_task_return_boolean (task, TRUE);
      break;

    case FLUID_TEST_RUN_FAIL:
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "run failed");
      break;

    case FLUID_TEST_RUN_FAIL_CANCELLED:
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled on its own");
      break;

    case FLUID_TEST_RUN_UNTIL_CANCELLED:
      {
        /* The source's callback owns @task and returns it on cancellation. */
        g_autoptr(GSource) source = g_cancellable_source_new (cancellable);

        g_task_attach_source (task, source, G_SOURCE_FUNC (fluid_test_worker_cancelled_cb));
        return;
      }

    case FLUID_TEST_RUN_IGNORE_CANCEL:
      g_task_set_check_cancellable (task, FALSE);
      self->pending_run = task;
      return;

    default:
      g_assert_not_reached ();
    }

  g_object_unref (task);
}

static gboolean
fluid_test_worker_run_finish (FluidWorker   *worker,
                              GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fluid_test_worker_on_startup_async (FluidWorker         *worker,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (worker, cancellable, callback, user_data);

  FLUID_TEST_WORKER (worker)->on_startup_calls++;
  g_task_return_boolean (task, TRUE);
}

static void
fluid_test_worker_on_shutdown_async (FluidWorker         *worker,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (worker, cancellable, callback, user_data);

  FLUID_TEST_WORKER (worker)->on_shutdown_calls++;
  g_task_return_boolean (task, TRUE);
}

static void
fluid_test_worker_after_shutdown (FluidWorker *worker,
                                  const char  *reason,
                                  int          exit_code)
{
  FLUID_TEST_WORKER (worker)->after_shutdown_calls++;
}

static void
fluid_test_worker_finalize (GObject *object)
{
  FluidTestWorker *self = FLUID_TEST_WORKER (object);

  g_assert_null (self->pending_run);

  G_OBJECT_CLASS (fluid_test_worker_parent_class)->finalize (object);
}

static void
fluid_test_worker_class_init (FluidTestWorkerClass *klass)
{
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = fluid_test_worker_finalize;
  worker_class->run_async = fluid_test_worker_run_async;
  worker_class->run_finish = fluid_test_worker_run_finish;
  worker_class->on_startup_async = fluid_test_worker_on_startup_async;
  worker_class->on_shutdown_async = fluid_test_worker_on_shutdown_async;
  worker_class->after_shutdown = fluid_test_worker_after_shutdown;
}

static void
fluid_test_worker_init (FluidTestWorker *self)
{
}

FluidTestWorker *
fluid_test_worker_new (FluidTestRun run,
                       double       sleep,
                       double       grace_period)
{
  FluidTestWorker *self = g_object_new (FLUID_TEST_TYPE_WORKER,
                                        "stopping-grace-period", grace_period,
                                        NULL);

  self->run = run;
  self->sleep = sleep;
  return self;
}

guint
fluid_test_worker_get_iterations (FluidTestWorker *self)
{
  return self->iterations;
}

guint
fluid_test_worker_get_on_startup_calls (FluidTestWorker *self)
{
  return self->on_startup_calls;
}

guint
fluid_test_worker_get_on_shutdown_calls (FluidTestWorker *self)
{
  return self->on_shutdown_calls;
}

guint
fluid_test_worker_get_after_shutdown_calls (FluidTestWorker *self)
{
  return self->after_shutdown_calls;
}

gboolean
fluid_test_worker_has_pending_run (FluidTestWorker *self)
{
  return self->pending_run != NULL;
}

void
fluid_test_worker_complete_run (FluidTestWorker *self)
{
  GTask *task;

  /* run begins at the first dispatch after startup. */
  fluid_test_wait_until (self->pending_run != NULL);
  task = g_steal_pointer (&self->pending_run);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

FluidTestWorker *
fluid_test_worker_new_named (const char   *name,
                             FluidTestRun  run,
                             double        sleep,
                             double        grace_period)
{
  FluidTestWorker *self = g_object_new (FLUID_TEST_TYPE_WORKER,
                                        "name", name,
                                        "stopping-grace-period", grace_period,
                                        NULL);

  self->run = run;
  self->sleep = sleep;
  return self;
}

static int
fluid_test_compare_doubles (gconstpointer a,
                            gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
fluid_test_percentile (GArray *samples,
                       double  fraction)
{
  g_return_val_if_fail (samples != NULL && samples->len > 0, 0);
  g_return_val_if_fail (fraction >= 0 && fraction <= 1, 0);

  g_array_sort (samples, fluid_test_compare_doubles);
  return g_array_index (samples, double, (guint) ((samples->len - 1) * fraction));
}

const char *
fluid_test_state_nick (FluidWorkerState state)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (FLUID_TYPE_WORKER_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  g_assert_nonnull (value);
  /* Static: the class of a GEnum type outlives this reference. */
  return value->value_nick;
}

/* Log capture: the library logs structured messages, which
 * g_test_expect_message() does not see. */

static GMutex     captured_lock;
static GPtrArray *captured;
static gboolean   worker_warnings_expected;

static GLogWriterOutput
fluid_test_log_writer (GLogLevelFlags   log_level,
                       const GLogField *fields,
                       gsize            n_fields,
                       gpointer         user_data)
{
  const char *message = NULL;
  const char *worker = NULL;
  const char *message_id = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "FLUID_WORKER") == 0)
        worker = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE_ID") == 0)
        message_id = fields[i].value;
    }

  g_mutex_lock (&captured_lock);
  if (captured != NULL && message != NULL)
    g_ptr_array_add (captured, g_strdup_printf ("%d|%s|%s", log_level & G_LOG_LEVEL_MASK,
                                                worker != NULL ? worker : "", message));
  g_mutex_unlock (&captured_lock);

  /* The warning that a worker failed, which the tests cause on purpose:
   * captured, and written only as asked, as a message (not fatal). */
  if (g_strcmp0 (message_id, FLUID_TEST_FAILED_MESSAGE_ID) == 0)
    {
      if (g_getenv ("G_MESSAGES_DEBUG") == NULL)
        return G_LOG_WRITER_HANDLED;
      log_level = (log_level & ~G_LOG_LEVEL_MASK) | G_LOG_LEVEL_MESSAGE;
    }
  /* Debug and info lines are captured, and printed only as asked. */
  if ((log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0 &&
      g_getenv ("G_MESSAGES_DEBUG") == NULL)
    return G_LOG_WRITER_HANDLED;
  /* A worker's warning that the test expects: captured, and not fatal. */
  if ((log_level & G_LOG_LEVEL_WARNING) != 0 && worker != NULL && worker_warnings_expected)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* Starts capturing log messages; call once, from main(). */
void
fluid_test_log_capture_init (void)
{
  /* The library does not even format a line the default writer would
   * drop: make it write them all, to the capture. */
  g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (fluid_test_log_writer, NULL, NULL);
}

/* From now on, the warnings of workers (the lines with a FLUID_WORKER
 * field) are captured and not written: they do not abort the test, which
 * counts them with fluid_test_log_count(). Other warnings still abort. */
void
fluid_test_log_capture_expect_worker_warnings (void)
{
  g_mutex_lock (&captured_lock);
  worker_warnings_expected = TRUE;
  g_mutex_unlock (&captured_lock);
}

/* Forgets what was captured and captures from now on. */
void
fluid_test_log_capture_reset (void)
{
  g_mutex_lock (&captured_lock);
  g_clear_pointer (&captured, g_ptr_array_unref);
  captured = g_ptr_array_new_with_free_func (g_free);
  g_mutex_unlock (&captured_lock);
}

/* How many messages matching @pattern (a GPatternSpec) were logged at
 * @level, with the structured field FLUID_WORKER set to @worker (a
 * pattern too; "" for lines without it). */
guint
fluid_test_log_count (GLogLevelFlags  level,
                      const char     *worker,
                      const char     *pattern)
{
  g_autofree char *full = g_strdup_printf ("%d|%s|%s", level, worker, pattern);
  g_autoptr(GPatternSpec) spec = g_pattern_spec_new (full);
  guint count = 0;

  g_mutex_lock (&captured_lock);
  for (guint i = 0; captured != NULL && i < captured->len; i++)
    count += g_pattern_spec_match_string (spec, g_ptr_array_index (captured, i));
  g_mutex_unlock (&captured_lock);
  return count;
}

/* Whether such a message was logged. */
gboolean
fluid_test_log_captured (GLogLevelFlags  level,
                         const char     *worker,
                         const char     *pattern)
{
  return fluid_test_log_count (level, worker, pattern) > 0;
}

/* A field of /proc/self/status, in bytes; 0 when unknown. */
gsize
fluid_test_proc_status_bytes (const char *field)
{
  g_autofree char *contents = NULL;
  gsize field_len = strlen (field);

  if (!g_file_get_contents ("/proc/self/status", &contents, NULL, NULL))
    return 0;

  for (char *line = contents; line != NULL && *line != '\0'; )
    {
      char *next = strchr (line, '\n');

      if (strncmp (line, field, field_len) == 0 && line[field_len] == ':')
        return g_ascii_strtoull (line + field_len + 1, NULL, 10) * 1024;
      line = next != NULL ? next + 1 : NULL;
    }
  return 0;
}

/* Lowers VmHWM to the current RSS, so that the peak of what follows is
 * measured (Linux >= 4.0); FALSE when it cannot. */
gboolean
fluid_test_reset_peak_rss (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");
  gboolean ok;

  if (f == NULL)
    return FALSE;
  ok = fputs ("5", f) >= 0;
  return fclose (f) == 0 && ok;
}

/* A private D-Bus daemon */

struct _FluidTestBus
{
  char        *dir;
  char        *config;
  GSubprocess *daemon;
  char        *address;
};

/* The bus goes with the test, even one that aborts. */
static void
fluid_test_bus_child_setup (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

FluidTestBus *
fluid_test_bus_new (void)
{
  g_autofree char *dbus_daemon = g_find_program_in_path ("dbus-daemon");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  FluidTestBus *bus;

  if (dbus_daemon == NULL)
    return NULL;

  bus = g_new0 (FluidTestBus, 1);
  bus->dir = g_dir_make_tmp ("fluid-test-bus-XXXXXX", &error);
  g_assert_no_error (error);
  /* A test's second user connects too. */
  g_assert_cmpint (g_chmod (bus->dir, 0755), ==, 0);
  bus->config = g_build_filename (bus->dir, "bus.conf", NULL);
  contents = g_strdup_printf ("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                              " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                              "<busconfig>\n"
                              "  <type>session</type>\n"
                              "  <listen>unix:path=%s/bus</listen>\n"
                              "  <auth>EXTERNAL</auth>\n"
                              "  <policy context=\"default\">\n"
                              "    <allow user=\"*\"/>\n"
                              "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                              "    <allow eavesdrop=\"true\"/>\n"
                              "    <allow own=\"*\"/>\n"
                              "  </policy>\n"
                              "</busconfig>\n", bus->dir);
  g_file_set_contents (bus->config, contents, -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, fluid_test_bus_child_setup, NULL, NULL);
  bus->daemon = g_subprocess_launcher_spawn (launcher, &error, dbus_daemon,
                                             "--config-file", bus->config, "--nofork",
                                             "--print-address=1", NULL);
  g_assert_no_error (error);
  /* Printed once it listens; EOF if it could not. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus->daemon));
  bus->address = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bus->address);
  return bus;
}

const char *
fluid_test_bus_get_address (FluidTestBus *bus)
{
  return bus->address;
}

GDBusConnection *
fluid_test_bus_connect (FluidTestBus *bus)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection = g_dbus_connection_new_for_address_sync (bus->address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static void
fluid_test_name_acquired_cb (GDBusConnection *connection,
                             const char      *name,
                             gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

guint
fluid_test_bus_own_name (GDBusConnection *connection,
                         const char      *name)
{
  gboolean acquired = FALSE;
  guint owner;

  owner = g_bus_own_name_on_connection (connection, name, G_BUS_NAME_OWNER_FLAGS_NONE,
                                        fluid_test_name_acquired_cb, NULL, &acquired, NULL);
  fluid_test_wait_until (acquired);
  return owner;
}

guint
fluid_test_bus_export (GDBusConnection *connection,
                       FluidWorker     *worker,
                       const char      *path,
                       const char      *name)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_worker_export (worker, connection, path, &error));
  g_assert_no_error (error);
  return fluid_test_bus_own_name (connection, name);
}

void
fluid_test_bus_unexport (FluidWorker *worker,
                         guint        owner)
{
  if (fluid_worker_has_started (worker))
    g_assert_true (fluid_test_shutdown (worker, NULL));
  fluid_worker_unexport (worker);
  g_bus_unown_name (owner);
}

void
fluid_test_bus_free (FluidTestBus *bus)
{
  g_autofree char *socket = NULL;

  if (bus == NULL)
    return;
  g_subprocess_send_signal (bus->daemon, SIGTERM);
  g_subprocess_wait (bus->daemon, NULL, NULL);
  g_object_unref (bus->daemon);
  socket = g_build_filename (bus->dir, "bus", NULL);
  g_unlink (socket);
  g_unlink (bus->config);
  g_rmdir (bus->dir);
  g_free (bus->config);
  g_free (bus->dir);
  g_free (bus->address);
  g_free (bus);
}

int
fluid_test_bus_run_client (FluidTestBus       *bus,
                           const char * const *argv,
                           char              **out,
                           char              **err)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *client_out = NULL;
  g_autofree char *client_err = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus->address, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, fluid_test_bus_child_setup, NULL, NULL);
  client = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (client, NULL, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  g_subprocess_communicate_utf8_finish (client, result, &client_out, &client_err, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  /* Its pipes are closed: it is exiting. */
  g_subprocess_wait_async (client, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  g_assert_true (g_subprocess_wait_finish (client, result, &error));
  if (!g_subprocess_get_if_exited (client))
    g_error ("%s died of signal %d: %s", argv[0], g_subprocess_get_term_sig (client), client_err);
  if (out != NULL)
    *out = g_steal_pointer (&client_out);
  if (err != NULL)
    *err = g_steal_pointer (&client_err);
  return g_subprocess_get_exit_status (client);
}

/* run-main-helper */

static void
fluid_test_helper_exited_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  FluidTestHelper *helper = user_data;

  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL));
  helper->exited = TRUE;
}

GSubprocessLauncher *
fluid_test_helper_launcher_new (void)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_USEC");
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_PID");
  return launcher;
}

FluidTestHelper *
fluid_test_helper_spawnv (GSubprocessLauncher *launcher,
                          const char * const  *argv)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "run-main-helper", NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  FluidTestHelper *helper = g_new0 (FluidTestHelper, 1);

  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_str_equal (argv[i], "helper") ? path : (char *) argv[i]);
  g_ptr_array_add (args, NULL);

  helper->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args->pdata,
                                                  &error);
  g_assert_no_error (error);
  helper->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper->process));
  g_subprocess_wait_async (helper->process, NULL, fluid_test_helper_exited_cb, helper);
  return helper;
}

FluidTestHelper *
fluid_test_helper_spawn (GSubprocessLauncher *launcher,
                         const char          *mode,
                         const char          *grace_period)
{
  const char *argv[] = { "helper", mode, grace_period, NULL };

  return fluid_test_helper_spawnv (launcher, argv);
}

void
fluid_test_helper_expect_line (FluidTestHelper *helper,
                               const char      *expected)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  g_data_input_stream_read_line_async (helper->out, G_PRIORITY_DEFAULT, NULL,
                                       fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  line = g_data_input_stream_read_line_finish_utf8 (helper->out, result, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, expected);
}

int
fluid_test_helper_wait (FluidTestHelper *helper)
{
  int status;

  fluid_test_wait_until (helper->exited);
  g_assert_true (g_subprocess_get_if_exited (helper->process));
  status = g_subprocess_get_exit_status (helper->process);
  g_clear_object (&helper->out);
  g_clear_object (&helper->process);
  g_free (helper);
  return status;
}

/* FluidTestIdleConsumer */

struct _FluidTestIdleConsumer
{
  FluidQueueConsumer parent_instance;
};

G_DEFINE_FINAL_TYPE (FluidTestIdleConsumer, fluid_test_idle_consumer, FLUID_TYPE_QUEUE_CONSUMER)

static void
fluid_test_idle_consumer_slept_cb (GObject      *source,
                                   GAsyncResult *result,
                                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  fluid_worker_sleep_finish (FLUID_WORKER (source), result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
fluid_test_idle_consumer_run_async (FluidWorker         *worker,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  fluid_worker_sleep_async (worker, 3600, cancellable, fluid_test_idle_consumer_slept_cb, task);
}

static gboolean
fluid_test_idle_consumer_run_finish (FluidWorker   *worker,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fluid_test_idle_consumer_class_init (FluidTestIdleConsumerClass *klass)
{
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  worker_class->run_async = fluid_test_idle_consumer_run_async;
  worker_class->run_finish = fluid_test_idle_consumer_run_finish;
}

static void
fluid_test_idle_consumer_init (FluidTestIdleConsumer *self)
{
}

/* HTTP */

char *
fluid_test_http_get (const char  *address,
                     const char  *target,
                     const char  *accept,
                     char       **content_type,
                     GError     **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *request = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  const char *body, *header;
  char buffer[4096];
  gssize n;

  connection = g_socket_client_connect_to_host (client, address, 0, NULL, error);
  if (connection == NULL)
    return NULL;
  request = g_strdup_printf ("GET %s HTTP/1.0\r\nHost: %s\r\nAccept: %s\r\n\r\n",
                             target, address, accept != NULL ? accept : "*/*");
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  request, strlen (request), NULL, NULL, error))
    return NULL;
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, error)) > 0)
    g_string_append_len (response, buffer, n);
  if (n < 0)
    return NULL;

  body = strstr (response->str, "\r\n\r\n");
  if (body == NULL || !(g_str_has_prefix (response->str, "HTTP/1.0 200 ") ||
                        g_str_has_prefix (response->str, "HTTP/1.1 200 ")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "GET http://%s%s: %.*s", address, target,
                   (int) strcspn (response->str, "\r\n"), response->str);
      return NULL;
    }
  if (content_type != NULL)
    {
      header = g_strstr_len (response->str, body - response->str, "\r\nContent-Type: ");
      if (header != NULL)
        header += strlen ("\r\nContent-Type: ");
      *content_type = header != NULL ? g_strndup (header, strcspn (header, "\r")) : NULL;
    }
  return g_strdup (body + 4);
}

int
fluid_test_free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any_port, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

void
fluid_test_assert_promtool_accepts (const char *text)
{
  const char *promtool = g_getenv ("PROMTOOL");
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  if (promtool == NULL || promtool[0] == '\0')
    {
      if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
        g_error ("PROMTOOL is not set: CI needs the prometheus package (.ci/deps)");
      g_test_skip ("promtool is not installed (Debian's prometheus package)");
      return;
    }
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
                              promtool, "check", "metrics", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, text, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process) || out[0] != '\0')
    g_error ("promtool check metrics refused:\n%s\nin:\n%s", out, text);
}

double
fluid_test_sample_value (const char *text,
                         const char *name,
                         const char *labels)
{
  g_autofree char *prefix = g_strdup_printf ("\n%s{%s} ", name, labels);
  const char *line = strstr (text, prefix);

  return line != NULL ? g_ascii_strtod (line + strlen (prefix), NULL) : -1;
}
