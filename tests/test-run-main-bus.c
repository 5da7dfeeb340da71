/* test-run-main-bus.c: fluid_worker_run_main() of a worker exported on D-Bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * run_main returns once the replies and signals its exports owe their
 * connections are out: daemons (run-main-helper bus) on a dbus-daemon of
 * the test's own, ended by fluidctl; in this process, a call in progress
 * when the worker stops, a closed connection, and a peer that reads
 * nothing more.
 */

#include "fluid-test-utils.h"

#include <gio/gunixconnection.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

/* On a bus: a daemon that ends as soon as run_main returns */

#define HELPER_BUS_NAME "org.gnome.Fluid.Test"
#define HELPER_BUS_PATH "/org/gnome/Fluid/Test"
/* Enough daemons to catch one that exits before its traffic is out: one
 * in two did. */
#define BUS_RUNS 50

/* What a client of the bus sees of the daemons, one after the other. */
typedef struct
{
  FluidTestBus    *bus;
  GDBusConnection *connection;
  guint            properties_id;
  guint            owner_id;
  gboolean         saw_stopped;  /* the root's State "stopped" */
  gboolean         gone;         /* the daemon left the bus */
} BusFixture;

/* The root's PropertiesChanged, and the daemon's name leaving the bus. */
static void
bus_fixture_signal_cb (GDBusConnection *connection,
                       const char      *sender,
                       const char      *object_path,
                       const char      *interface_name,
                       const char      *signal_name,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  BusFixture *fixture = user_data;
  const char *value;

  if (g_str_equal (signal_name, "PropertiesChanged"))
    {
      g_autoptr(GVariant) changed = g_variant_get_child_value (parameters, 1);

      if (g_variant_lookup (changed, "State", "&s", &value) && g_str_equal (value, "stopped"))
        fixture->saw_stopped = TRUE;
    }
  else
    {
      g_variant_get (parameters, "(&s&s&s)", NULL, NULL, &value);
      if (*value == '\0')
        fixture->gone = TRUE;
    }
}

static void
bus_fixture_set_up (BusFixture    *fixture,
                    gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  fixture->bus = fluid_test_bus_new ();
  if (fixture->bus == NULL)
    {
      g_test_skip ("dbus-daemon is not installed");
      return;
    }
  fixture->connection = fluid_test_bus_connect (fixture->bus);
  /* The root's changes, from whichever daemon runs; the name leaving the
   * bus comes after every message the daemon sent, in the bus's order. */
  fixture->properties_id =
    g_dbus_connection_signal_subscribe (fixture->connection, NULL,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        HELPER_BUS_PATH, FLUID_DBUS_WORKER_INTERFACE,
                                        G_DBUS_SIGNAL_FLAGS_NONE, bus_fixture_signal_cb,
                                        fixture, NULL);
  fixture->owner_id =
    g_dbus_connection_signal_subscribe (fixture->connection, "org.freedesktop.DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged",
                                        "/org/freedesktop/DBus", HELPER_BUS_NAME,
                                        G_DBUS_SIGNAL_FLAGS_NONE, bus_fixture_signal_cb,
                                        fixture, NULL);
  /* A round trip: the bus has the match rules once it answers. */
  reply = g_dbus_connection_call_sync (fixture->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId",
                                       NULL, G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
}

static void
bus_fixture_tear_down (BusFixture    *fixture,
                       gconstpointer  data)
{
  if (fixture->bus == NULL)
    return;
  g_dbus_connection_signal_unsubscribe (fixture->connection, fixture->properties_id);
  g_dbus_connection_signal_unsubscribe (fixture->connection, fixture->owner_id);
  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  g_clear_object (&fixture->connection);
  fluid_test_settle (NULL);
  fluid_test_bus_free (fixture->bus);
}

/* Runs the daemon, once it is ready runs fluidctl with @command (and
 * @name, if not NULL), which must succeed, and checks that the daemon
 * exits with 0 and that the root's final state reached the watcher
 * before the daemon left the bus. */
static void
bus_fixture_run_daemon (BusFixture *fixture,
                        const char *command,
                        const char *name)
{
  g_autoptr(GSubprocessLauncher) launcher = fluid_test_helper_launcher_new ();
  const char *fluidctl[] = { g_getenv ("FLUIDCTL"), HELPER_BUS_NAME, command, name, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  FluidTestHelper *helper;
  int status;

  g_assert_nonnull (fluidctl[0]);
  fixture->saw_stopped = FALSE;
  fixture->gone = FALSE;
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                fluid_test_bus_get_address (fixture->bus), TRUE);
  helper = fluid_test_helper_spawn (launcher, "bus", NULL);
  fluid_test_helper_expect_line (helper, "ready");

  status = fluid_test_bus_run_client (fixture->bus, fluidctl, &out, &err);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (fluid_test_helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
  fluid_test_wait_until (fixture->gone);
  g_assert_true (fixture->saw_stopped);
}

/* What fluidctl is asked, of a daemon that ends with it. */
typedef struct
{
  const char *command;
  const char *name;
} BusCommand;

/* `fluidctl stop CHILD` stops the group, so the daemon: the reply to Stop
 * and the root's PropertiesChanged are out before it exits. */
static const BusCommand bus_stop_child = { "stop", "a" };
/* `fluidctl shutdown`: Shutdown() of the root answers once the root has
 * stopped, which is when run_main is about to return. */
static const BusCommand bus_shutdown = { "shutdown", NULL };

static void
test_run_main_bus_command (BusFixture    *fixture,
                           gconstpointer  data)
{
  const BusCommand *command = data;

  if (fixture->bus == NULL)
    return;
  for (guint i = 0; i < BUS_RUNS; i++)
    bus_fixture_run_daemon (fixture, command->command, command->name);
}

/* On a bus or a connection of its own, in this process: what run_main
 * waits for, and how long at most */

/* The service's connection holds back the bus's answer about a caller's
 * uid until the worker has stopped: the call to the stopped worker is
 * then in progress when run_main's loop ends, and answered only if
 * run_main waits for it. */
typedef struct
{
  FluidWorker *worker;
  const char  *client_name;
  int          lookup_serial;  /* atomic: the service's GetConnectionUnixUser */
  int          reply_sent;     /* atomic: a reply to the client went out */
  GMutex       lock;
  GCond        cond;
  gboolean     stopped;        /* under @lock */
} HeldCall;

/* On GDBus's thread. */
static GDBusMessage *
held_call_filter (GDBusConnection *connection,
                  GDBusMessage    *message,
                  gboolean         incoming,
                  gpointer         user_data)
{
  HeldCall *held = user_data;
  GDBusMessageType type = g_dbus_message_get_message_type (message);

  if (!incoming)
    {
      /* Seen as it is written. */
      if (type == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
          g_strcmp0 (g_dbus_message_get_member (message), "GetConnectionUnixUser") == 0)
        g_atomic_int_set (&held->lookup_serial, (int) g_dbus_message_get_serial (message));
      else if (type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN &&
               g_strcmp0 (g_dbus_message_get_destination (message), held->client_name) == 0)
        g_atomic_int_set (&held->reply_sent, TRUE);
      return message;
    }

  if (type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN &&
      g_dbus_message_get_reply_serial (message) == (guint32) g_atomic_int_get (&held->lookup_serial))
    {
      /* The worker stops on the test's thread, meanwhile. */
      fluid_worker_gracefully_stop (held->worker);
      g_mutex_lock (&held->lock);
      while (!held->stopped)
        g_cond_wait (&held->cond, &held->lock);
      g_mutex_unlock (&held->lock);
    }
  return message;
}

static void
held_call_stopped_cb (FluidWorker *worker,
                      const char  *reason,
                      int          exit_code,
                      gpointer     user_data)
{
  HeldCall *held = user_data;

  g_mutex_lock (&held->lock);
  held->stopped = TRUE;
  g_cond_signal (&held->cond);
  g_mutex_unlock (&held->lock);
}

/* The fixture's connection is the client. */
static void
test_run_main_bus_call_in_progress (BusFixture    *fixture,
                                    gconstpointer  data)
{
  g_autoptr(GDBusConnection) service = NULL;
  g_autoptr(FluidTestWorker) worker = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GError) error = NULL;
  HeldCall held = { NULL, };
  gboolean running = TRUE;
  guint filter_id;

  if (fixture->bus == NULL)
    return;
  service = fluid_test_bus_connect (fixture->bus);
  worker = fluid_test_worker_new_named ("held", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);
  held.worker = FLUID_WORKER (worker);
  held.client_name = g_dbus_connection_get_unique_name (fixture->connection);
  g_mutex_init (&held.lock);
  g_cond_init (&held.cond);
  g_signal_connect (worker, "stopped", G_CALLBACK (held_call_stopped_cb), &held);
  g_assert_true (fluid_worker_export (FLUID_WORKER (worker), service, "/held", &error));
  g_assert_no_error (error);
  filter_id = g_dbus_connection_add_filter (service, held_call_filter, &held, NULL);

  /* Handled once run_main runs the worker. */
  g_dbus_connection_call (fixture->connection, g_dbus_connection_get_unique_name (service),
                          "/held", FLUID_DBUS_WORKER_INTERFACE, "GetStatus", NULL,
                          G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          fluid_test_store_result_cb, &result);
  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_true (g_atomic_int_get (&held.reply_sent));

  /* The status of the worker that stopped. */
  fluid_test_wait_until (result != NULL);
  reply = g_dbus_connection_call_finish (fixture->connection, result, &error);
  g_assert_no_error (error);
  status = g_variant_get_child_value (reply, 0);
  g_assert_true (g_variant_lookup (status, "running", "b", &running));
  g_assert_false (running);

  g_dbus_connection_remove_filter (service, filter_id);
  fluid_worker_unexport (FLUID_WORKER (worker));
  g_dbus_connection_close_sync (service, NULL, NULL);
  fluid_test_settle (NULL);
  g_mutex_clear (&held.lock);
  g_cond_clear (&held.cond);
}

/* A worker exported on a connection that was closed: nothing to wait
 * for. */
static void
test_run_main_bus_closed (BusFixture    *fixture,
                          gconstpointer  data)
{
  g_autoptr(GDBusConnection) service = NULL;
  g_autoptr(FluidTestWorker) worker = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture->bus == NULL)
    return;
  service = fluid_test_bus_connect (fixture->bus);
  worker = fluid_test_worker_new_named ("closed", FLUID_TEST_RUN_RETURN, 0, 10);
  g_assert_true (fluid_worker_export (FLUID_WORKER (worker), service, "/closed", &error));
  g_assert_no_error (error);
  g_assert_true (g_dbus_connection_close_sync (service, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_NORMAL);

  fluid_worker_unexport (FLUID_WORKER (worker));
  fluid_test_settle (NULL);
}

/* A peer-to-peer connection whose peer, @out_peer, authenticates and then
 * reads nothing: once the socket's buffer is full (more than a socket
 * holds is sent, in signals), what is queued stays queued, and a flush of
 * it never ends until the peer goes. */
static GDBusConnection *
stuck_peer_connect (GSocket **out_peer)
{
  static const char begin[] = "BEGIN\r\n";
  g_autofree char *guid = g_dbus_generate_guid ();
  g_autofree char *uid = g_strdup_printf ("%u", (guint) getuid ());
  g_autoptr(GString) auth = g_string_new ("AUTH EXTERNAL ");
  g_autoptr(GSocket) ours = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GSocketConnection) peer_stream = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) filler = NULL;
  g_autofree char *zeros = g_malloc0 (1 << 16);
  GDBusConnection *connection;
  char line[256];
  gssize n;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  ours = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  *out_peer = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  stream = g_socket_connection_factory_create_connection (ours);
  peer_stream = g_socket_connection_factory_create_connection (*out_peer);
  g_dbus_connection_new (G_IO_STREAM (stream), guid, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER,
                         NULL, NULL, fluid_test_store_result_cb, &result);

  /* The peer's side of the handshake, by hand (the server's runs in a
   * thread of GIO's): its credentials with the first byte, then
   * EXTERNAL with its uid in hexadecimal ASCII. */
  g_assert_true (g_unix_connection_send_credentials (G_UNIX_CONNECTION (peer_stream), NULL,
                                                     &error));
  g_assert_no_error (error);
  for (const char *c = uid; *c != '\0'; c++)
    g_string_append_printf (auth, "%02x", (guint) *c);
  g_string_append (auth, "\r\n");
  g_assert_cmpint (g_socket_send (*out_peer, auth->str, auth->len, NULL, &error), ==, auth->len);
  g_assert_no_error (error);
  n = g_socket_receive (*out_peer, line, sizeof line - 1, NULL, &error);
  g_assert_no_error (error);
  line[MAX (n, 0)] = '\0';
  g_assert_true (g_str_has_prefix (line, "OK "));
  g_assert_cmpint (g_socket_send (*out_peer, begin, sizeof begin - 1, NULL, &error), ==,
                   sizeof begin - 1);
  g_assert_no_error (error);
  fluid_test_wait_until (result != NULL);
  connection = g_dbus_connection_new_finish (result, &error);
  g_assert_no_error (error);

  filler = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, zeros, 1 << 16, 1));
  for (guint i = 0; i < 64; i++)
    {
      g_dbus_connection_emit_signal (connection, NULL, "/", "org.gnome.Fluid.Test", "Filler",
                                     g_variant_new ("(@ay)", filler), &error);
      g_assert_no_error (error);
    }
  return connection;
}

static void
stuck_peer_stopped_cb (FluidWorker *worker,
                       const char  *reason,
                       int          exit_code,
                       gpointer     user_data)
{
  /* Delivered from run_main's context, once it waits. */
  raise (SIGTERM);
}

/* A peer that reads nothing more: run_main gives up the flush when a
 * signal comes (@data TRUE), else after its time limit, a few seconds. */
static void
test_run_main_stuck_peer (gconstpointer data)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(FluidTestWorker) worker = NULL;
  g_autoptr(GError) error = NULL;

  connection = stuck_peer_connect (&peer);
  worker = fluid_test_worker_new_named ("stuck", FLUID_TEST_RUN_RETURN, 0, 10);
  if (GPOINTER_TO_INT (data))
    g_signal_connect (worker, "stopped", G_CALLBACK (stuck_peer_stopped_cb), NULL);
  g_assert_true (fluid_worker_export (FLUID_WORKER (worker), connection, "/stuck", &error));
  g_assert_no_error (error);

  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_NORMAL);

  /* The peer goes: the connection breaks, and the flush ends. */
  fluid_worker_unexport (FLUID_WORKER (worker));
  g_socket_close (peer, NULL);
  fluid_test_wait_until (g_dbus_connection_is_closed (connection));
  fluid_test_settle (NULL);
}

int
main (int    argc,
      char **argv)
{
  /* Neither this process nor its helpers talk to a systemd of the test
   * runner's. */
  g_unsetenv ("NOTIFY_SOCKET");
  g_unsetenv ("WATCHDOG_USEC");
  g_unsetenv ("WATCHDOG_PID");

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/run-main/bus/stop-child", BusFixture, &bus_stop_child,
              bus_fixture_set_up, test_run_main_bus_command, bus_fixture_tear_down);
  g_test_add ("/run-main/bus/shutdown", BusFixture, &bus_shutdown,
              bus_fixture_set_up, test_run_main_bus_command, bus_fixture_tear_down);

  g_test_add ("/run-main/bus/call-in-progress", BusFixture, NULL,
              bus_fixture_set_up, test_run_main_bus_call_in_progress, bus_fixture_tear_down);
  g_test_add ("/run-main/bus/closed", BusFixture, NULL,
              bus_fixture_set_up, test_run_main_bus_closed, bus_fixture_tear_down);
  g_test_add_data_func ("/run-main/peer/stuck/signal", GINT_TO_POINTER (TRUE),
                        test_run_main_stuck_peer);
  g_test_add_data_func ("/run-main/peer/stuck/time-limit", GINT_TO_POINTER (FALSE),
                        test_run_main_stuck_peer);

  return g_test_run ();
}
