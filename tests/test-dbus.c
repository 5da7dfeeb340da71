/* test-dbus.c: fluid_worker_export() on a private bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test starts a dbus-daemon of its own, listening on a socket in a
 * temporary folder, and stops it at the end whatever happened. Two
 * connections to it: the service, which exports the workers, and a
 * client, which calls them through the bus as another process would.
 * The second user of the access tests is a program run as nobody, when
 * the test runs as root.
 */

#include "fluid-test-utils.h"

#include <grp.h>
#include <string.h>
#include <unistd.h>

#define WORKER_PATH "/org/gnome/Fluid/Test/worker"

typedef struct
{
  FluidTestBus    *bus;
  char            *address;
  GDBusConnection *service;
  GDBusConnection *client;
  /* PropertiesChanged received by the client: (sa{sv}as) */
  GPtrArray       *changes;
  guint            subscription;
} Bus;

static void
bus_set_up (Bus           *bus,
            gconstpointer  data)
{
  bus->bus = fluid_test_bus_new ();
  if (bus->bus == NULL)
    {
      g_test_skip ("dbus-daemon is not installed");
      return;
    }
  bus->address = g_strdup (fluid_test_bus_get_address (bus->bus));
  bus->service = fluid_test_bus_connect (bus->bus);
  bus->client = fluid_test_bus_connect (bus->bus);
  bus->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
}

static void
bus_tear_down (Bus           *bus,
               gconstpointer  data)
{
  if (bus->subscription != 0)
    g_dbus_connection_signal_unsubscribe (bus->client, bus->subscription);
  if (bus->client != NULL)
    g_dbus_connection_close_sync (bus->client, NULL, NULL);
  if (bus->service != NULL)
    g_dbus_connection_close_sync (bus->service, NULL, NULL);
  g_clear_object (&bus->client);
  g_clear_object (&bus->service);
  g_clear_pointer (&bus->changes, g_ptr_array_unref);
  g_clear_pointer (&bus->bus, fluid_test_bus_free);
  g_clear_pointer (&bus->address, g_free);
}

/* A call from the client to the service, the main context iterating: the
 * service answers from it. */
static GVariant *
bus_call (Bus                *bus,
          const char         *path,
          const char         *interface,
          const char         *method,
          GVariant           *parameters,
          const GVariantType *reply_type,
          GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_dbus_connection_call (bus->client, g_dbus_connection_get_unique_name (bus->service),
                          path, interface, method, parameters, reply_type,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  return g_dbus_connection_call_finish (bus->client, result, error);
}

static GVariant *
bus_get (Bus        *bus,
         const char *path,
         const char *interface,
         const char *property)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *value;

  reply = bus_call (bus, path, "org.freedesktop.DBus.Properties", "Get",
                    g_variant_new ("(ss)", interface, property), G_VARIANT_TYPE ("(v)"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

static void
bus_assert_get_string (Bus        *bus,
                       const char *interface,
                       const char *property,
                       const char *expected)
{
  g_autoptr(GVariant) value = bus_get (bus, WORKER_PATH, interface, property);

  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, expected);
}

static void
bus_assert_error (GError     *error,
                  const char *expected)
{
  g_autofree char *name = NULL;

  g_assert_nonnull (error);
  name = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (name, ==, expected);
}

static void
bus_changed_cb (GDBusConnection *connection,
                const char      *sender,
                const char      *path,
                const char      *interface,
                const char      *signal,
                GVariant        *parameters,
                gpointer         user_data)
{
  Bus *bus = user_data;

  g_ptr_array_add (bus->changes, g_variant_ref (parameters));
}

/* Receives PropertiesChanged of the worker from now on. */
static void
bus_watch_changes (Bus *bus)
{
  g_autoptr(GVariant) name = NULL;

  bus->subscription = g_dbus_connection_signal_subscribe (bus->client,
                                                          g_dbus_connection_get_unique_name (bus->service),
                                                          "org.freedesktop.DBus.Properties",
                                                          "PropertiesChanged", WORKER_PATH, NULL,
                                                          G_DBUS_SIGNAL_FLAGS_NONE,
                                                          bus_changed_cb, bus, NULL);
  /* A round trip through the bus: the match rule is in place after it. */
  name = bus_get (bus, WORKER_PATH, FLUID_DBUS_WORKER_INTERFACE, "Name");
}

/* The value of @property in the change @i, of @interface; NULL if it has
 * none. */
static GVariant *
bus_change_lookup (Bus        *bus,
                   guint       i,
                   const char *interface,
                   const char *property)
{
  GVariant *change = g_ptr_array_index (bus->changes, i);
  g_autoptr(GVariant) changed = NULL;
  const char *name;

  g_variant_get (change, "(&s@a{sv}@as)", &name, &changed, NULL);
  if (!g_str_equal (name, interface))
    return NULL;
  return g_variant_lookup_value (changed, property, NULL);
}

/* The States of the Worker1 changes received, comma-separated. */
static char *
bus_states (Bus *bus)
{
  GString *states = g_string_new (NULL);

  for (guint i = 0; i < bus->changes->len; i++)
    {
      g_autoptr(GVariant) state = bus_change_lookup (bus, i, FLUID_DBUS_WORKER_INTERFACE, "State");

      if (state != NULL)
        g_string_append_printf (states, "%s%s", states->len > 0 ? "," : "",
                                g_variant_get_string (state, NULL));
    }
  return g_string_free (states, FALSE);
}

static FluidWorker *
exported_worker_new (Bus          *bus,
                     FluidTestRun  run,
                     double        grace_period)
{
  FluidWorker *worker = FLUID_WORKER (fluid_test_worker_new_named ("exported", run, 3600,
                                                                   grace_period));
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_worker_export (worker, bus->service, WORKER_PATH, &error));
  g_assert_no_error (error);
  return worker;
}

/* Properties */

static void
test_dbus_properties (Bus           *bus,
                      gconstpointer  data)
{
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(GError) error = NULL;
  const char *xml;
  gint32 exit_code;

  if (bus->service == NULL)
    return;
  worker = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);

  reply = bus_call (bus, WORKER_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                    g_variant_new ("(s)", FLUID_DBUS_WORKER_INTERFACE), G_VARIANT_TYPE ("(a{sv})"),
                    &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@a{sv})", &properties);
  g_assert_cmpuint (g_variant_n_children (properties), ==, 4);
  g_assert_true (g_variant_lookup (properties, "Name", "&s", &xml));
  g_assert_cmpstr (xml, ==, "exported");
  g_assert_true (g_variant_lookup (properties, "State", "&s", &xml));
  g_assert_cmpstr (xml, ==, "init");
  g_assert_true (g_variant_lookup (properties, "ExitCode", "i", &exit_code));
  g_assert_cmpint (exit_code, ==, -1);
  g_assert_true (g_variant_lookup (properties, "StopReason", "&s", &xml));
  g_assert_cmpstr (xml, ==, "");
  g_clear_pointer (&reply, g_variant_unref);

  /* A worker is no consumer. */
  reply = bus_call (bus, WORKER_PATH, "org.freedesktop.DBus.Introspectable", "Introspect",
                    NULL, G_VARIANT_TYPE ("(s)"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &xml);
  g_assert_nonnull (strstr (xml, "<interface name=\"" FLUID_DBUS_WORKER_INTERFACE "\">"));
  g_assert_nonnull (strstr (xml, "<method name=\"Shutdown\">"));
  g_assert_null (strstr (xml, FLUID_DBUS_CONSUMER_INTERFACE));

  /* Live values. */
  g_assert_true (fluid_test_startup (worker, &error));
  bus_assert_get_string (bus, FLUID_DBUS_WORKER_INTERFACE, "State", "running");
  g_assert_true (fluid_test_shutdown (worker, &error));
  bus_assert_get_string (bus, FLUID_DBUS_WORKER_INTERFACE, "State", "stopped");
  bus_assert_get_string (bus, FLUID_DBUS_WORKER_INTERFACE, "StopReason", "normal shutdown");

  fluid_worker_unexport (worker);
}

/* PropertiesChanged: each state once, in order, the outcome with the
 * last. */
static void
test_dbus_state_changes (Bus           *bus,
                         gconstpointer  data)
{
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GVariant) exit_code = NULL;
  g_autoptr(GVariant) reason = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *states = NULL;

  if (bus->service == NULL)
    return;
  worker = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);
  bus_watch_changes (bus);

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_true (fluid_test_shutdown (worker, &error));
  fluid_test_wait_until (bus->changes->len == 3);

  states = bus_states (bus);
  g_assert_cmpstr (states, ==, "running,stopping,stopped");
  g_assert_null (bus_change_lookup (bus, 0, FLUID_DBUS_WORKER_INTERFACE, "ExitCode"));
  exit_code = bus_change_lookup (bus, 2, FLUID_DBUS_WORKER_INTERFACE, "ExitCode");
  g_assert_cmpint (g_variant_get_int32 (exit_code), ==, FLUID_EXIT_CODE_NORMAL);
  reason = bus_change_lookup (bus, 2, FLUID_DBUS_WORKER_INTERFACE, "StopReason");
  g_assert_cmpstr (g_variant_get_string (reason, NULL), ==, "normal shutdown");

  fluid_worker_unexport (worker);
}

/* Methods */

static void
test_dbus_stop (Bus           *bus,
                gconstpointer  data)
{
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (bus->service == NULL)
    return;
  worker = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);
  g_assert_true (fluid_test_startup (worker, &error));

  reply = bus_call (bus, WORKER_PATH, FLUID_DBUS_WORKER_INTERFACE, "Stop", NULL,
                    G_VARIANT_TYPE_UNIT, &error);
  g_assert_no_error (error);
  g_assert_false (fluid_worker_is_running (worker));
  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);

  fluid_worker_unexport (worker);
}

static void
test_dbus_shutdown (Bus           *bus,
                    gconstpointer  data)
{
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(FluidWorker) stuck = NULL;
  g_autoptr(FluidWorker) unstarted = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gint32 exit_code;

  if (bus->service == NULL)
    return;

  /* Returns once stopped, with the exit code. */
  worker = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);
  g_assert_true (fluid_test_startup (worker, &error));
  reply = bus_call (bus, WORKER_PATH, FLUID_DBUS_WORKER_INTERFACE, "Shutdown", NULL,
                    G_VARIANT_TYPE ("(i)"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(i)", &exit_code);
  g_assert_cmpint (exit_code, ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpint (fluid_worker_get_state (worker), ==, FLUID_WORKER_STATE_STOPPED);
  fluid_worker_unexport (worker);
  g_clear_pointer (&reply, g_variant_unref);

  /* Forced after the grace period. */
  stuck = exported_worker_new (bus, FLUID_TEST_RUN_UNTIL_CANCELLED, 0.05);
  g_assert_true (fluid_test_startup (stuck, &error));
  reply = bus_call (bus, WORKER_PATH, FLUID_DBUS_WORKER_INTERFACE, "Shutdown", NULL,
                    G_VARIANT_TYPE ("(i)"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(i)", &exit_code);
  g_assert_cmpint (exit_code, ==, FLUID_EXIT_CODE_FORCED);
  fluid_worker_unexport (stuck);
  g_clear_pointer (&reply, g_variant_unref);

  /* Never started: at once, -1. */
  unstarted = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);
  reply = bus_call (bus, WORKER_PATH, FLUID_DBUS_WORKER_INTERFACE, "Shutdown", NULL,
                    G_VARIANT_TYPE ("(i)"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(i)", &exit_code);
  g_assert_cmpint (exit_code, ==, -1);
  g_assert_cmpint (fluid_worker_get_state (unstarted), ==, FLUID_WORKER_STATE_INIT);
  fluid_worker_unexport (unstarted);
}

static void
test_dbus_get_status (Bus           *bus,
                      gconstpointer  data)
{
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GError) error = NULL;
  gboolean running = FALSE, stopping = TRUE;

  if (bus->service == NULL)
    return;
  worker = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);
  g_assert_true (fluid_test_startup (worker, &error));

  reply = bus_call (bus, WORKER_PATH, FLUID_DBUS_WORKER_INTERFACE, "GetStatus", NULL,
                    G_VARIANT_TYPE ("(a{sv})"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@a{sv})", &status);
  g_assert_true (g_variant_lookup (status, "running", "b", &running));
  g_assert_true (g_variant_lookup (status, "stopping", "b", &stopping));
  g_assert_true (running);
  g_assert_false (stopping);

  g_assert_true (fluid_test_shutdown (worker, &error));
  fluid_worker_unexport (worker);
}

/* Access */

typedef struct
{
  gboolean     answer;
  guint        calls;
  FluidWorker *target;
  guint        caller_uid;
  char        *method;
} Authorizer;

static gboolean
authorize_cb (FluidWorker           *worker,
              FluidWorker           *target,
              GDBusMethodInvocation *invocation,
              guint                  caller_uid,
              gpointer               user_data)
{
  Authorizer *authorizer = user_data;

  authorizer->calls++;
  authorizer->target = target;
  authorizer->caller_uid = caller_uid;
  g_free (authorizer->method);
  authorizer->method = g_strdup (g_dbus_method_invocation_get_method_name (invocation));
  return authorizer->answer;
}

/* The program decides: a handler that refuses keeps even this process's
 * user out of the methods, never out of the properties. */
static void
test_dbus_authorize_signal (Bus           *bus,
                            gconstpointer  data)
{
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  Authorizer authorizer = { FALSE, 0, NULL, 0, NULL };
  gulong handler;

  if (bus->service == NULL)
    return;
  worker = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);
  g_assert_true (fluid_test_startup (worker, &error));
  handler = g_signal_connect (worker, "authorize-method", G_CALLBACK (authorize_cb), &authorizer);

  for (guint i = 0; i < 3; i++)
    {
      const char *methods[] = { "Stop", "Shutdown", "GetStatus" };

      reply = bus_call (bus, WORKER_PATH, FLUID_DBUS_WORKER_INTERFACE, methods[i], NULL, NULL, &error);
      g_assert_null (reply);
      bus_assert_error (error, "org.freedesktop.DBus.Error.AccessDenied");
      g_clear_error (&error);
      g_assert_cmpuint (authorizer.calls, ==, i + 1);
      g_assert_cmpstr (authorizer.method, ==, methods[i]);
    }
  g_assert_true (authorizer.target == worker);
  g_assert_cmpuint (authorizer.caller_uid, ==, geteuid ());
  g_assert_true (fluid_worker_is_running (worker));
  bus_assert_get_string (bus, FLUID_DBUS_WORKER_INTERFACE, "State", "running");

  /* And one that allows lets the call through. */
  authorizer.answer = TRUE;
  reply = bus_call (bus, WORKER_PATH, FLUID_DBUS_WORKER_INTERFACE, "Stop", NULL,
                    G_VARIANT_TYPE_UNIT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (authorizer.calls, ==, 4);
  g_assert_true (fluid_test_wait_for_shutdown (worker, &error));

  g_signal_handler_disconnect (worker, handler);
  g_free (authorizer.method);
  fluid_worker_unexport (worker);
}

/* A call from the client to the bus itself. */
static GVariant *
bus_call_bus (Bus        *bus,
              const char *method)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (bus->client, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", method, NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

typedef struct
{
  int queries;   /* GetConnectionUnixUser seen */
  int marker;    /* GetId seen: every message before it was seen too */
} Monitored;

static GDBusMessage *
count_uid_queries_filter (GDBusConnection *connection,
                          GDBusMessage    *message,
                          gboolean         incoming,
                          gpointer         user_data)
{
  Monitored *monitored = user_data;
  const char *member = g_dbus_message_get_member (message);

  /* On GDBus's worker thread. The calls seen are dropped once counted:
   * GDBus would answer them with an error, and a monitor that sends anything
   * is disconnected by the bus. */
  if (!incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;
  if (g_strcmp0 (member, "GetConnectionUnixUser") == 0)
    g_atomic_int_inc (&monitored->queries);
  else if (g_strcmp0 (member, "GetId") == 0)
    g_atomic_int_set (&monitored->marker, 1);
  g_object_unref (message);
  return NULL;
}

/* The bus is asked for a caller's uid once: a unique name is never given
 * to another connection, so the answer is kept. Seen from a monitor of
 * the bus. */
static void
test_dbus_uid_asked_once (Bus           *bus,
                          gconstpointer  data)
{
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GDBusConnection) monitor = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *rules[] = { "type='method_call',member='GetConnectionUnixUser'",
                          "type='method_call',member='GetId'", NULL };
  Authorizer authorizer = { TRUE, 0, NULL, 0, NULL };
  Monitored monitored = { 0, 0 };

  if (bus->service == NULL)
    return;
  worker = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);
  g_signal_connect (worker, "authorize-method", G_CALLBACK (authorize_cb), &authorizer);
  monitor = fluid_test_bus_connect (bus->bus);
  g_dbus_connection_add_filter (monitor, count_uid_queries_filter, &monitored, NULL);
  reply = g_dbus_connection_call_sync (monitor, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                                       g_variant_new ("(^asu)", rules, 0), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 3; i++)
    {
      g_clear_pointer (&reply, g_variant_unref);
      reply = bus_call (bus, WORKER_PATH, FLUID_DBUS_WORKER_INTERFACE, "GetStatus", NULL,
                        G_VARIANT_TYPE ("(a{sv})"), &error);
      g_assert_no_error (error);
    }
  g_assert_cmpuint (authorizer.calls, ==, 3);
  g_assert_cmpuint (authorizer.caller_uid, ==, geteuid ());
  /* A marker after the calls: once the monitor saw it, it saw every
   * query made before. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = bus_call_bus (bus, "GetId");
  fluid_test_wait_until (g_atomic_int_get (&monitored.marker) == 1);
  g_assert_cmpint (g_atomic_int_get (&monitored.queries), ==, 1);

  g_free (authorizer.method);
  fluid_worker_unexport (worker);
}

typedef struct
{
  GDataInputStream *out;
  char             *line;
  gboolean          done;
} LineReader;

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineReader *reader = user_data;

  reader->line = g_data_input_stream_read_line_finish_utf8 (reader->out, result, NULL, NULL);
  reader->done = TRUE;
}

/* The line the helper prints next, the context iterating meanwhile. */
static char *
read_line (GDataInputStream *out)
{
  LineReader reader = { out, NULL, FALSE };

  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, read_line_cb, &reader);
  fluid_test_wait_until (reader.done);
  return reader.line;
}

static void
become_nobody (gpointer user_data)
{
  /* Between fork and exec: nothing but async-signal-safe calls. */
  if (setgroups (0, NULL) != 0 || setgid (65534) != 0 || setuid (65534) != 0)
    _exit (71);
}

/* Another user, on the same bus: refused, but may read. */
static void
test_dbus_other_user (Bus           *bus,
                      gconstpointer  data)
{
  g_autofree char *helper_path = g_test_build_filename (G_TEST_BUILT, "dbus-call-helper", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) helper = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stop = NULL;
  g_autofree char *name = NULL;

  if (bus->service == NULL)
    return;
  if (geteuid () != 0)
    {
      g_test_skip ("Only root can run a client as another user");
      return;
    }

  worker = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);
  g_assert_true (fluid_test_startup (worker, &error));

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, become_nobody, NULL, NULL);
  helper = g_subprocess_launcher_spawn (launcher, &error, helper_path, bus->address,
                                        g_dbus_connection_get_unique_name (bus->service),
                                        WORKER_PATH, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper));

  stop = read_line (out);
  g_assert_cmpstr (stop, ==, "Stop error org.freedesktop.DBus.Error.AccessDenied");
  name = read_line (out);
  g_assert_cmpstr (name, ==, "Name exported");
  g_assert_true (fluid_worker_is_running (worker));

  g_assert_true (fluid_test_shutdown (worker, &error));
  fluid_worker_unexport (worker);
}

/* A consumer's counters */

typedef struct
{
  guint received;
} Received;

static gboolean
handle_threaded (FluidQueueConsumerWorker  *worker,
                 const GValue              *message,
                 GCancellable              *cancellable,
                 gpointer                   user_data,
                 GError                   **error)
{
  /* Odd messages fail. */
  if (g_value_get_int (message) % 2 == 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "odd");
      return FALSE;
    }
  return TRUE;
}

static void
handle_message (FluidQueueConsumerWorker *worker,
                const GValue             *message,
                gpointer                  user_data)
{
  ((Received *) user_data)->received++;
}

/* The last value of a Consumer1 counter in the changes received: what
 * the client knows of it, having read 0 first. */
static guint64
bus_last_counter (Bus        *bus,
                  const char *property)
{
  guint64 last = 0;

  for (guint i = 0; i < bus->changes->len; i++)
    {
      g_autoptr(GVariant) value = bus_change_lookup (bus, i, FLUID_DBUS_CONSUMER_INTERFACE, property);

      if (value != NULL)
        last = g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32) ? g_variant_get_uint32 (value)
                                                                   : g_variant_get_uint64 (value);
    }
  return last;
}

static guint
bus_count_changes (Bus        *bus,
                   const char *interface)
{
  guint n = 0;

  for (guint i = 0; i < bus->changes->len; i++)
    {
      const char *name;

      g_variant_get_child (g_ptr_array_index (bus->changes, i), 0, "&s", &name);
      n += g_str_equal (name, interface);
    }
  return n;
}

static guint64
bus_get_counter (Bus        *bus,
                 const char *property)
{
  g_autoptr(GVariant) value = bus_get (bus, WORKER_PATH, FLUID_DBUS_CONSUMER_INTERFACE, property);

  return g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32) ? g_variant_get_uint32 (value)
                                                             : g_variant_get_uint64 (value);
}

/* Counters change with every message; their emissions are coalesced to
 * at most ten a second, and the last values always arrive. */
static void
test_dbus_consumer_counters (Bus           *bus,
                             gconstpointer  data)
{
  gboolean threaded = GPOINTER_TO_INT (data);
  Received received = { 0 };
  g_autoptr(FluidWorker) consumer = NULL;
  g_autoptr(GError) error = NULL;
  const guint rounds = 20, per_round = 10;
  guint expected_processed, expected_failed;
  gint64 start, elapsed;
  guint n_changes;

  if (bus->service == NULL)
    return;
  if (threaded)
    consumer = fluid_queue_consumer_worker_new_threaded (2, handle_threaded, NULL, NULL);
  else
    consumer = fluid_queue_consumer_worker_new (handle_message, &received, NULL);
  fluid_queue_consumer_set_stop_on_failure (FLUID_QUEUE_CONSUMER (consumer), FALSE);
  g_assert_true (fluid_worker_export (consumer, bus->service, WORKER_PATH, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bus_get_counter (bus, "QueueSize"), ==, 0);
  g_assert_cmpuint (bus_get_counter (bus, "Processed"), ==, 0);
  bus_watch_changes (bus);

  /* Queued before it starts: read at once, told once it runs. */
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (consumer), 0, 3);
  g_assert_cmpuint (bus_get_counter (bus, "QueueSize"), ==, 3);

  g_assert_true (fluid_test_startup (consumer, &error));
  start = g_get_monotonic_time ();
  for (guint i = 0; i < rounds; i++)
    {
      fluid_test_send_ints (FLUID_QUEUE_CONSUMER (consumer), (int) (3 + i * per_round), per_round);
      fluid_test_wait_until (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (consumer)) == 0);
    }

  expected_processed = threaded ? (3 + rounds * per_round + 1) / 2 : 3 + rounds * per_round;
  expected_failed = threaded ? (3 + rounds * per_round) / 2 : 0;
  fluid_test_wait_until (bus_last_counter (bus, "Processed") == expected_processed &&
                         bus_last_counter (bus, "Failed") == expected_failed &&
                         bus_last_counter (bus, "QueueSize") == 0);
  elapsed = g_get_monotonic_time () - start;
  n_changes = bus_count_changes (bus, FLUID_DBUS_CONSUMER_INTERFACE);
  g_test_message ("%u Consumer1 changes in %" G_GINT64_FORMAT " us", n_changes, elapsed);
  /* Ten a second at most, whatever the machine's speed; the one before
   * the start's interval and the last one aside. */
  g_assert_cmpuint (n_changes, <=, 10 * elapsed / G_USEC_PER_SEC + 2);
  if (!threaded)
    g_assert_cmpuint (received.received, ==, expected_processed);

  g_assert_cmpuint (bus_get_counter (bus, "Processed"), ==, expected_processed);
  g_assert_cmpuint (bus_get_counter (bus, "Failed"), ==, expected_failed);

  /* Sent after the stop: discarded, and told. */
  g_assert_true (fluid_test_shutdown (consumer, &error));
  fluid_test_send_ints (FLUID_QUEUE_CONSUMER (consumer), 0, 2);
  g_assert_cmpuint (bus_get_counter (bus, "Discarded"), ==, 2);
  fluid_test_wait_until (bus_last_counter (bus, "Discarded") == 2);

  fluid_worker_unexport (consumer);
}

/* Export and unexport */

static void
test_dbus_unexport (Bus           *bus,
                    gconstpointer  data)
{
  g_autoptr(FluidWorker) worker = NULL;
  g_autoptr(FluidWorker) other = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (bus->service == NULL)
    return;
  worker = exported_worker_new (bus, FLUID_TEST_RUN_SLEEP_LOOP, 10);

  /* Once at a time. */
  g_assert_false (fluid_worker_export (worker, bus->service, "/elsewhere", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  /* A path taken. */
  other = FLUID_WORKER (fluid_test_worker_new_named ("other", FLUID_TEST_RUN_RETURN, 0, 10));
  g_assert_false (fluid_worker_export (other, bus->service, WORKER_PATH, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  fluid_worker_unexport (worker);
  reply = bus_call (bus, WORKER_PATH, "org.freedesktop.DBus.Properties", "Get",
                    g_variant_new ("(ss)", FLUID_DBUS_WORKER_INTERFACE, "Name"), NULL, &error);
  g_assert_null (reply);
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* Twice: nothing. */
  fluid_worker_unexport (worker);

  /* The path is free again, and the export let the worker go. */
  g_assert_true (fluid_worker_export (other, bus->service, WORKER_PATH, &error));
  g_assert_no_error (error);
  bus_assert_get_string (bus, FLUID_DBUS_WORKER_INTERFACE, "Name", "other");
  fluid_worker_unexport (other);

  g_object_add_weak_pointer (G_OBJECT (worker), (gpointer *) &worker);
  g_object_unref (worker);
  g_assert_null (worker);
}

static void
test_dbus_bad_input (Bus           *bus,
                     gconstpointer  data)
{
  g_autoptr(FluidWorker) worker = NULL;

  if (bus->service == NULL)
    return;
  worker = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10));

  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_false (fluid_worker_export (NULL, bus->service, WORKER_PATH, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*G_IS_DBUS_CONNECTION*");
  g_assert_false (fluid_worker_export (worker, NULL, WORKER_PATH, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*g_variant_is_object_path*");
  g_assert_false (fluid_worker_export (worker, bus->service, "not/a/path", NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_unexport (NULL);
  g_test_assert_expected_messages ();
}

/* Groups: the tree below an object manager */

#define TREE_PATH "/org/gnome/Fluid/Test/tree"

/* The client's view of the tree, from its object manager. */
typedef struct
{
  GDBusObjectManager *manager;
  GString            *events;   /* "+path" and "-path", space-separated */
} TreeClient;

static void
tree_object_added_cb (GDBusObjectManager *manager,
                      GDBusObject        *object,
                      gpointer            user_data)
{
  TreeClient *tree = user_data;

  g_string_append_printf (tree->events, "+%s ", g_dbus_object_get_object_path (object));
}

static void
tree_object_removed_cb (GDBusObjectManager *manager,
                        GDBusObject        *object,
                        gpointer            user_data)
{
  TreeClient *tree = user_data;

  g_string_append_printf (tree->events, "-%s ", g_dbus_object_get_object_path (object));
}

static void
tree_client_init (TreeClient *tree,
                  Bus        *bus)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_dbus_object_manager_client_new (bus->client, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                    g_dbus_connection_get_unique_name (bus->service), TREE_PATH,
                                    NULL, NULL, NULL, NULL, fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  tree->manager = g_dbus_object_manager_client_new_finish (result, &error);
  g_assert_no_error (error);
  tree->events = g_string_new (NULL);
  g_signal_connect (tree->manager, "object-added", G_CALLBACK (tree_object_added_cb), tree);
  g_signal_connect (tree->manager, "object-removed", G_CALLBACK (tree_object_removed_cb), tree);
}

static void
tree_client_clear (TreeClient *tree)
{
  g_clear_object (&tree->manager);
  g_string_free (tree->events, TRUE);
}

static guint
tree_count_objects (TreeClient *tree)
{
  GList *objects = g_dbus_object_manager_get_objects (tree->manager);
  guint n_objects = g_list_length (objects);

  g_list_free_full (objects, g_object_unref);
  return n_objects;
}

static int
tree_compare_paths (gconstpointer a,
                    gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Each object below the tree's path, sorted, with the last letter of its
 * interfaces: "/a:W /c:WC /sub:WS" (Worker1, Consumer1, workerS1). */
static char *
tree_client_describe (TreeClient *tree)
{
  GList *objects = g_dbus_object_manager_get_objects (tree->manager);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) description = g_string_new (NULL);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      const char *path = g_dbus_object_get_object_path (l->data);
      GString *line = g_string_new (path + strlen (TREE_PATH));

      g_string_append_c (line, ':');
      if (g_dbus_object_get_interface (l->data, FLUID_DBUS_WORKER_INTERFACE) != NULL)
        g_string_append_c (line, 'W');
      if (g_dbus_object_get_interface (l->data, FLUID_DBUS_CONSUMER_INTERFACE) != NULL)
        g_string_append_c (line, 'C');
      if (g_dbus_object_get_interface (l->data, FLUID_DBUS_WORKERS_INTERFACE) != NULL)
        g_string_append_c (line, 'S');
      g_ptr_array_add (lines, g_string_free (line, FALSE));
    }
  g_list_free_full (objects, g_object_unref);
  /* The interfaces were looked up once more each. */
  g_ptr_array_sort (lines, tree_compare_paths);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (description, "%s%s", i > 0 ? " " : "", (char *) lines->pdata[i]);
  return g_strdup (description->str);
}

static GVariant *
tree_get_property (TreeClient *tree,
                   const char *relative_path,
                   const char *interface,
                   const char *property)
{
  g_autofree char *path = g_strconcat (TREE_PATH, relative_path, NULL);
  g_autoptr(GDBusInterface) proxy = g_dbus_object_manager_get_interface (tree->manager, path,
                                                                          interface);

  /* NULL until the object is there. */
  return proxy != NULL ? g_dbus_proxy_get_cached_property (G_DBUS_PROXY (proxy), property) : NULL;
}

static void
tree_noop_message_cb (FluidQueueConsumerWorker *consumer,
                      const GValue             *message,
                      gpointer                  user_data)
{
}

/* Whether the worker at @relative_path is in @state, as the client sees. */
static gboolean
tree_state_is (TreeClient *tree,
               const char *relative_path,
               const char *state)
{
  g_autoptr(GVariant) value = tree_get_property (tree, relative_path,
                                                 FLUID_DBUS_WORKER_INTERFACE, "State");

  return value != NULL && g_str_equal (g_variant_get_string (value, NULL), state);
}

/* A group, a consumer, a nested group and two children of one name. */
static FluidWorkers *
tree_group_new (void)
{
  FluidWorkers *group = g_object_new (FLUID_TYPE_WORKERS, "name", "tree", NULL);
  g_autoptr(FluidWorkers) nested = g_object_new (FLUID_TYPE_WORKERS, "name", "sub group", NULL);
  g_autoptr(FluidWorker) consumer = fluid_queue_consumer_worker_new (tree_noop_message_cb, NULL, NULL);

  g_autoptr(FluidTestWorker) a = fluid_test_worker_new_named ("a", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);
  g_autoptr(FluidTestWorker) x = fluid_test_worker_new_named ("x", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);
  g_autoptr(FluidTestWorker) x2 = fluid_test_worker_new_named ("x", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);

  fluid_workers_add_worker (group, FLUID_WORKER (a));
  fluid_workers_add_worker (group, consumer);
  fluid_workers_add_worker (nested, FLUID_WORKER (x));
  fluid_workers_add_worker (nested, FLUID_WORKER (x2));
  fluid_workers_add_worker (group, FLUID_WORKER (nested));
  return group;
}

static void
test_dbus_tree (Bus           *bus,
                gconstpointer  data)
{
  g_autoptr(FluidWorkers) group = NULL;
  g_autoptr(GVariant) strategy = NULL;
  g_autoptr(GVariant) restarts = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *consumer = NULL;
  TreeClient tree;

  if (bus->service == NULL)
    return;
  group = tree_group_new ();
  g_assert_true (fluid_worker_export (FLUID_WORKER (group), bus->service, TREE_PATH, &error));
  g_assert_no_error (error);
  tree_client_init (&tree, bus);

  /* Every level in one call; "sub group" and "x#2" escaped. */
  description = tree_client_describe (&tree);
  consumer = g_dbus_escape_object_path (fluid_worker_get_name (g_list_model_get_item (G_LIST_MODEL (group), 1)));
  expected = g_strdup_printf ("/a:W /%s:WC /sub_20group/x:W /sub_20group/x_232:W /sub_20group:WS",
                              consumer);
  g_assert_cmpstr (description, ==, expected);

  /* The group itself, at the manager's path. */
  strategy = bus_get (bus, TREE_PATH, FLUID_DBUS_WORKERS_INTERFACE, "RestartStrategy");
  g_assert_cmpstr (g_variant_get_string (strategy, NULL), ==, "stop-all");
  restarts = tree_get_property (&tree, "/sub_20group", FLUID_DBUS_WORKERS_INTERFACE, "Restarts");
  description = (g_free (description), g_variant_print (restarts, FALSE));
  g_assert_cmpstr (description, ==, "{'x': 0, 'x#2': 0}");

  /* Children's properties follow their workers. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  fluid_test_wait_until (tree_state_is (&tree, "/sub_20group/x_232", "running"));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
  g_free (expected);
  expected = g_strconcat ("/", consumer, NULL);
  fluid_test_wait_until (tree_state_is (&tree, expected, "stopped"));

  /* Unexported: every object leaves, children before their group. */
  fluid_worker_unexport (FLUID_WORKER (group));
  fluid_test_wait_until (tree_count_objects (&tree) == 0);
  g_free (expected);
  expected = g_strdup_printf ("-" TREE_PATH "/sub_20group/x_232 -" TREE_PATH "/sub_20group/x "
                              "-" TREE_PATH "/sub_20group -" TREE_PATH "/%s -" TREE_PATH "/a ",
                              consumer);
  g_assert_cmpstr (tree.events->str, ==, expected);
  tree_client_clear (&tree);
}

static FluidWorker *
tree_make_child (FluidWorkers *group,
                 gpointer      user_data)
{
  return FLUID_WORKER (fluid_test_worker_new_named (user_data, FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
}

static gboolean
tree_authorize_cb (FluidWorker           *self,
                   FluidWorker           *target,
                   GDBusMethodInvocation *invocation,
                   guint                  caller_uid,
                   gpointer               user_data)
{
  g_set_object ((FluidWorker **) user_data, target);
  return TRUE;
}

/* The group itself is at the manager's path, not one of its objects. */
static gboolean
tree_restarts_are (Bus        *bus,
                   const char *expected)
{
  g_autoptr(GVariant) restarts = bus_get (bus, TREE_PATH, FLUID_DBUS_WORKERS_INTERFACE, "Restarts");
  g_autofree char *printed = g_variant_print (restarts, FALSE);

  return g_strcmp0 (printed, expected) == 0;
}

/* Children joining, leaving and replaced, as the client sees them. */
static void
test_dbus_tree_changes (Bus           *bus,
                        gconstpointer  data)
{
  g_autoptr(FluidWorkers) group = g_object_new (FLUID_TYPE_WORKERS, "name", "tree",
                                                "restart-strategy", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, NULL);
  g_autoptr(FluidWorker) target = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) crash = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "crash");
  FluidWorker *crashy;
  FluidWorker *late;
  TreeClient tree;

  if (bus->service == NULL)
    return;
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, tree_make_child, "crashy", NULL);
  g_assert_true (fluid_worker_export (FLUID_WORKER (group), bus->service, TREE_PATH, &error));
  g_assert_no_error (error);
  g_signal_connect (group, "authorize-method", G_CALLBACK (tree_authorize_cb), &target);
  /* The group is the manager's own object: its tree holds the children. */
  tree_client_init (&tree, bus);
  g_assert_cmpuint (tree_count_objects (&tree), ==, 1);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));

  /* A restart: the replacement takes the path, Restarts counts it. */
  crashy = g_list_model_get_item (G_LIST_MODEL (group), 0);
  fluid_worker_fail (crashy, crash);
  g_object_unref (crashy);
  fluid_test_wait_until (tree_restarts_are (bus, "{'crashy': 1}"));
  fluid_test_wait_until (strlen (tree.events->str) > 0 &&
                         g_str_equal (tree.events->str,
                                      "-" TREE_PATH "/crashy +" TREE_PATH "/crashy "));
  fluid_test_wait_until (tree_state_is (&tree, "/crashy", "running"));

  /* A child that joins, then leaves when stopped from outside. */
  g_string_truncate (tree.events, 0);
  fluid_workers_add_child (group, FLUID_RESTART_TEMPORARY, tree_make_child, "late", NULL);
  late = g_list_model_get_item (G_LIST_MODEL (group), 1);
  fluid_test_wait_until (tree_state_is (&tree, "/late", "running"));
  g_assert_cmpstr (tree.events->str, ==, "+" TREE_PATH "/late ");
  fluid_test_wait_until (tree_restarts_are (bus, "{'crashy': 1, 'late': 0}"));
  reply = bus_call (bus, TREE_PATH "/late", FLUID_DBUS_WORKER_INTERFACE, "Stop", NULL,
                    G_VARIANT_TYPE_UNIT, &error);
  g_assert_no_error (error);
  /* The group decided, for its child. */
  g_assert_true (target == late);
  g_object_unref (late);
  fluid_test_wait_until (tree_count_objects (&tree) == 1);
  g_assert_cmpstr (tree.events->str, ==, "+" TREE_PATH "/late -" TREE_PATH "/late ");
  fluid_test_wait_until (tree_restarts_are (bus, "{'crashy': 1}"));

  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
  fluid_worker_unexport (FLUID_WORKER (group));
  tree_client_clear (&tree);
}

static void
unexport_on_state_cb (GObject    *child,
                      GParamSpec *pspec,
                      gpointer    user_data)
{
  if (fluid_worker_get_state (FLUID_WORKER (child)) == FLUID_WORKER_STATE_RUNNING)
    fluid_worker_unexport (user_data);
}

/* Deep nesting, and the tree taken down from a handler of a state change
 * that the tree itself follows. */
static void
test_dbus_tree_deep (Bus           *bus,
                     gconstpointer  data)
{
  const guint depth = 64;
  g_autoptr(FluidWorkers) root = g_object_new (FLUID_TYPE_WORKERS, "name", "level", NULL);
  g_autoptr(FluidTestWorker) leaf = fluid_test_worker_new_named ("leaf", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);
  g_autoptr(GError) error = NULL;
  FluidWorkers *parent = root;
  TreeClient tree;

  if (bus->service == NULL)
    return;
  for (guint i = 1; i < depth; i++)
    {
      g_autoptr(FluidWorkers) group = g_object_new (FLUID_TYPE_WORKERS, "name", "level", NULL);

      fluid_workers_add_worker (parent, FLUID_WORKER (group));
      parent = group;
    }
  fluid_workers_add_worker (parent, FLUID_WORKER (leaf));
  g_assert_true (fluid_worker_export (FLUID_WORKER (root), bus->service, TREE_PATH, &error));
  g_assert_no_error (error);
  tree_client_init (&tree, bus);
  g_assert_cmpuint (tree_count_objects (&tree), ==, depth);

  g_signal_connect (leaf, "notify::state", G_CALLBACK (unexport_on_state_cb), root);
  g_assert_true (fluid_test_startup (FLUID_WORKER (root), &error));
  fluid_test_wait_until (tree_count_objects (&tree) == 0);
  /* Exported again, running. */
  g_signal_handlers_disconnect_by_func (leaf, unexport_on_state_cb, root);
  g_assert_true (fluid_worker_export (FLUID_WORKER (root), bus->service, TREE_PATH, &error));
  fluid_test_wait_until (tree_count_objects (&tree) == depth);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (root), &error));
  fluid_worker_unexport (FLUID_WORKER (root));
  tree_client_clear (&tree);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

#define ADD(path, data, func) \
  g_test_add (path, Bus, data, bus_set_up, func, bus_tear_down)
  ADD ("/dbus/properties", NULL, test_dbus_properties);
  ADD ("/dbus/state-changes", NULL, test_dbus_state_changes);
  ADD ("/dbus/stop", NULL, test_dbus_stop);
  ADD ("/dbus/shutdown", NULL, test_dbus_shutdown);
  ADD ("/dbus/get-status", NULL, test_dbus_get_status);
  ADD ("/dbus/access/authorize-signal", NULL, test_dbus_authorize_signal);
  ADD ("/dbus/access/other-user", NULL, test_dbus_other_user);
  ADD ("/dbus/access/uid-asked-once", NULL, test_dbus_uid_asked_once);
  ADD ("/dbus/consumer/counters", GINT_TO_POINTER (FALSE), test_dbus_consumer_counters);
  ADD ("/dbus/consumer/counters-threaded", GINT_TO_POINTER (TRUE), test_dbus_consumer_counters);
  ADD ("/dbus/unexport", NULL, test_dbus_unexport);
  ADD ("/dbus/bad-input", NULL, test_dbus_bad_input);
  ADD ("/dbus/tree", NULL, test_dbus_tree);
  ADD ("/dbus/tree/changes", NULL, test_dbus_tree_changes);
  ADD ("/dbus/tree/deep", NULL, test_dbus_tree_deep);
#undef ADD

  return g_test_run ();
}
