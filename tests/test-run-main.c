/* test-run-main.c: fluid_worker_run_main() and fluid_worker_hold_application()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The signals and systemd's notifications are tested on a daemon of their
 * own, run-main-helper, which this test spawns and signals; what needs no
 * signal runs in this process.
 */

#include "fluid-test-utils.h"

#include <gio/gunixconnection.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A running run-main-helper */

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  gboolean          exited;
} Helper;

static void
helper_exited_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Helper *helper = user_data;

  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL));
  helper->exited = TRUE;
}

/* A launcher whose children see no systemd of the test's own. */
static GSubprocessLauncher *
helper_launcher_new (void)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_USEC");
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_PID");
  return launcher;
}

/* Spawns @argv, whose first element is replaced by the helper's path when
 * it is "helper"; NULL-terminated. */
static Helper *
helper_spawnv (GSubprocessLauncher *launcher,
               const char * const  *argv)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "run-main-helper", NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Helper *helper = g_new0 (Helper, 1);

  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_str_equal (argv[i], "helper") ? path : (char *) argv[i]);
  g_ptr_array_add (args, NULL);

  helper->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args->pdata,
                                                  &error);
  g_assert_no_error (error);
  helper->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper->process));
  g_subprocess_wait_async (helper->process, NULL, helper_exited_cb, helper);
  return helper;
}

static Helper *
helper_spawn (GSubprocessLauncher *launcher,
              const char          *mode,
              const char          *grace_period)
{
  const char *argv[] = { "helper", mode, grace_period, NULL };

  return helper_spawnv (launcher, argv);
}

/* Waits for the next line the helper prints, and checks it. */
static void
helper_expect_line (Helper     *helper,
                    const char *expected)
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

/* Waits for the helper to exit, and returns its exit status; fails if a
 * signal ended it. */
static int
helper_wait (Helper *helper)
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

/* Signals */

static void
test_run_main_signal_graceful (gconstpointer data)
{
  int signum = GPOINTER_TO_INT (data);
  g_autoptr(GSubprocessLauncher) launcher = helper_launcher_new ();
  Helper *helper = helper_spawn (launcher, "graceful", NULL);

  helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, signum);
  helper_expect_line (helper, "stopping");
  helper_expect_line (helper, "stopped 0 normal shutdown");
  g_assert_cmpint (helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
}

/* A worker that ignores the graceful stop is forced by a second signal,
 * long before its grace period of an hour. */
static void
test_run_main_signal_second_forces (void)
{
  g_autoptr(GSubprocessLauncher) launcher = helper_launcher_new ();
  Helper *helper = helper_spawn (launcher, "stuck", "3600");

  helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, SIGTERM);
  helper_expect_line (helper, "stopping");
  g_subprocess_send_signal (helper->process, SIGINT);
  helper_expect_line (helper, "stopped 1 forced shutdown");
  g_assert_cmpint (helper_wait (helper), ==, FLUID_EXIT_CODE_FORCED);
}

/* One signal, and the grace period forces the stop. */
static void
test_run_main_signal_grace_period (void)
{
  g_autoptr(GSubprocessLauncher) launcher = helper_launcher_new ();
  Helper *helper = helper_spawn (launcher, "stuck", "0.05");

  helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, SIGTERM);
  helper_expect_line (helper, "stopping");
  helper_expect_line (helper, "stopped 1 forced shutdown");
  g_assert_cmpint (helper_wait (helper), ==, FLUID_EXIT_CODE_FORCED);
}

static void
test_run_main_helper_fails (void)
{
  g_autoptr(GSubprocessLauncher) launcher = helper_launcher_new ();
  Helper *helper = helper_spawn (launcher, "fail", NULL);

  helper_expect_line (helper, "started");
  helper_expect_line (helper, "stopped 2 run failed");
  g_assert_cmpint (helper_wait (helper), ==, FLUID_EXIT_CODE_ERROR);
}

/* systemd's notifications, to a socket of the test's own */

typedef struct
{
  char                *dir;
  char                *path;     /* NOTIFY_SOCKET */
  GSocket             *socket;
  GSubprocessLauncher *launcher;
} NotifyFixture;

static void
notify_fixture_bind (NotifyFixture  *fixture,
                     GSocketAddress *address)
{
  g_autoptr(GError) error = NULL;

  fixture->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_socket_bind (fixture->socket, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (fixture->socket, FALSE);

  fixture->launcher = helper_launcher_new ();
  g_subprocess_launcher_setenv (fixture->launcher, "NOTIFY_SOCKET", fixture->path, TRUE);
}

static void
notify_fixture_set_up (NotifyFixture *fixture,
                       gconstpointer  data)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("fluid-run-main-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "notify", NULL);
  address = g_unix_socket_address_new (fixture->path);
  notify_fixture_bind (fixture, address);
}

/* A socket in the abstract namespace: NOTIFY_SOCKET=@name. */
static void
notify_fixture_set_up_abstract (NotifyFixture *fixture,
                                gconstpointer  data)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *name = NULL;

  if (!g_unix_socket_address_abstract_names_supported ())
    {
      g_test_skip ("No abstract socket names here");
      return;
    }
  name = g_strdup_printf ("fluid-test-run-main-%d-%08x", (int) getpid (), g_random_int ());
  fixture->path = g_strconcat ("@", name, NULL);
  address = g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  notify_fixture_bind (fixture, address);
}

static void
notify_fixture_tear_down (NotifyFixture *fixture,
                          gconstpointer  data)
{
  if (fixture->socket != NULL)
    g_socket_close (fixture->socket, NULL);
  g_clear_object (&fixture->socket);
  g_clear_object (&fixture->launcher);
  if (fixture->dir != NULL)
    {
      g_unlink (fixture->path);
      g_rmdir (fixture->dir);
    }
  g_clear_pointer (&fixture->path, g_free);
  g_clear_pointer (&fixture->dir, g_free);
}

/* The next notification, waiting for it; NULL once the helper exited
 * without sending one more. */
static char *
notify_receive (NotifyFixture *fixture,
                Helper        *helper)
{
  g_autoptr(GSource) source = g_socket_create_source (fixture->socket, G_IO_IN, NULL);
  g_autoptr(GError) error = NULL;
  char buffer[256];
  gssize size;

  /* Wakes the context as soon as a datagram is there; the helper's exit
   * does too. */
  g_source_set_dummy_callback (source);
  g_source_attach (source, NULL);
  fluid_test_wait_until (g_socket_condition_check (fixture->socket, G_IO_IN) || helper->exited);
  g_source_destroy (source);

  if (!g_socket_condition_check (fixture->socket, G_IO_IN))
    return NULL;
  size = g_socket_receive (fixture->socket, buffer, sizeof buffer - 1, NULL, &error);
  g_assert_no_error (error);
  buffer[size] = '\0';
  return g_strdup (buffer);
}

static void
notify_expect (NotifyFixture *fixture,
               Helper        *helper,
               const char    *expected)
{
  g_autofree char *notification = notify_receive (fixture, helper);

  g_assert_cmpstr (notification, ==, expected);
}

static void
test_run_main_notify (NotifyFixture *fixture,
                      gconstpointer  data)
{
  Helper *helper;

  if (fixture->socket == NULL)
    return;

  helper = helper_spawn (fixture->launcher, "graceful", NULL);
  notify_expect (fixture, helper, "READY=1");
  helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, SIGTERM);
  notify_expect (fixture, helper, "STOPPING=1");
  helper_expect_line (helper, "stopping");
  helper_expect_line (helper, "stopped 0 normal shutdown");
  g_assert_cmpint (helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
  /* Nothing more: one of each. */
  g_assert_false (g_socket_condition_check (fixture->socket, G_IO_IN));
}

/* A worker that stops by itself says STOPPING=1 all the same. */
static void
test_run_main_notify_failure (NotifyFixture *fixture,
                              gconstpointer  data)
{
  Helper *helper = helper_spawn (fixture->launcher, "fail", NULL);

  notify_expect (fixture, helper, "READY=1");
  notify_expect (fixture, helper, "STOPPING=1");
  g_assert_cmpint (helper_wait (helper), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_false (g_socket_condition_check (fixture->socket, G_IO_IN));
}

/* WATCHDOG_USEC of 20 ms, for this process (WATCHDOG_PID is the helper's
 * own: the shell execs it): WATCHDOG=1 keeps coming while it runs. */
static void
test_run_main_notify_watchdog (NotifyFixture *fixture,
                               gconstpointer  data)
{
  const char *argv[] = { "/bin/sh", "-c", "WATCHDOG_PID=$$ exec \"$0\" graceful", "helper", NULL };
  g_autofree char *notification = NULL;
  gboolean stopping = FALSE;
  Helper *helper;

  g_subprocess_launcher_setenv (fixture->launcher, "WATCHDOG_USEC", "20000", TRUE);
  helper = helper_spawnv (fixture->launcher, argv);

  notify_expect (fixture, helper, "READY=1");
  for (guint i = 0; i < 3; i++)
    notify_expect (fixture, helper, "WATCHDOG=1");
  g_subprocess_send_signal (helper->process, SIGTERM);

  /* WATCHDOG=1 may still come while it stops, STOPPING=1 once. */
  while ((notification = notify_receive (fixture, helper)) != NULL)
    {
      if (g_str_equal (notification, "STOPPING=1"))
        {
          g_assert_false (stopping);
          stopping = TRUE;
        }
      else
        g_assert_cmpstr (notification, ==, "WATCHDOG=1");
      g_clear_pointer (&notification, g_free);
    }
  g_assert_true (stopping);
  g_assert_cmpint (helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
}

/* A NOTIFY_SOCKET nobody listens on: the daemon runs as without one. */
static void
test_run_main_notify_nobody (NotifyFixture *fixture,
                             gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", NULL);
  Helper *helper;

  g_subprocess_launcher_setenv (fixture->launcher, "NOTIFY_SOCKET", missing, TRUE);
  g_subprocess_launcher_setenv (fixture->launcher, "WATCHDOG_USEC", "2000", TRUE);
  helper = helper_spawn (fixture->launcher, "graceful", NULL);
  helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, SIGTERM);
  helper_expect_line (helper, "stopping");
  helper_expect_line (helper, "stopped 0 normal shutdown");
  g_assert_cmpint (helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
}

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
  g_autoptr(GSubprocessLauncher) launcher = helper_launcher_new ();
  const char *fluidctl[] = { g_getenv ("FLUIDCTL"), HELPER_BUS_NAME, command, name, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  Helper *helper;
  int status;

  g_assert_nonnull (fluidctl[0]);
  fixture->saw_stopped = FALSE;
  fixture->gone = FALSE;
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                fluid_test_bus_get_address (fixture->bus), TRUE);
  helper = helper_spawn (launcher, "bus", NULL);
  helper_expect_line (helper, "ready");

  status = fluid_test_bus_run_client (fixture->bus, fluidctl, &out, &err);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
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

/* In this process */

static void
test_run_main_exit_codes (void)
{
  g_autoptr(FluidTestWorker) returns = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10);
  g_autoptr(FluidTestWorker) fails = fluid_test_worker_new (FLUID_TEST_RUN_FAIL, 0, 10);

  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (returns)), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (returns)), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (fails)), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpstr (fluid_worker_get_stop_reason (FLUID_WORKER (fails)), ==, "run failed");
}

/* A worker stopped from inside, by a handler of its own: a group's child
 * that stops stops the group, and run_main returns. */
static void
test_run_main_group (void)
{
  g_autoptr(FluidTestWorker) child = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10);
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (FLUID_WORKER (child), NULL);

  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (group)), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_true (fluid_worker_is_stopped (FLUID_WORKER (group)));
}

static volatile sig_atomic_t handled_signum;

static void
test_signal_handler (int signum)
{
  handled_signum = signum;
}

/* Once it returns, SIGINT and SIGTERM are handled as before. */
static void
test_run_main_restores_signals (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10);
  struct sigaction action = { 0, };
  struct sigaction old_int, old_term, now;

  action.sa_handler = test_signal_handler;
  sigemptyset (&action.sa_mask);
  g_assert_cmpint (sigaction (SIGINT, &action, &old_int), ==, 0);
  g_assert_cmpint (sigaction (SIGTERM, &action, &old_term), ==, 0);

  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_NORMAL);

  g_assert_cmpint (sigaction (SIGINT, NULL, &now), ==, 0);
  g_assert_true (now.sa_handler == test_signal_handler);
  g_assert_cmpint (sigaction (SIGTERM, NULL, &now), ==, 0);
  g_assert_true (now.sa_handler == test_signal_handler);
  raise (SIGTERM);
  g_assert_cmpint (handled_signum, ==, SIGTERM);

  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
}

static void
test_run_main_bad_input (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);
  g_autoptr(GError) error = NULL;

  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_cmpint (fluid_worker_run_main (NULL), ==, FLUID_EXIT_CODE_ERROR);
  g_test_assert_expected_messages ();

  /* A worker that has started is not run twice, and goes on. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), &error));
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*has_started*");
  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_ERROR);
  g_test_assert_expected_messages ();
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (worker)));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), &error));
  g_assert_no_error (error);
}

/* hold_application */

typedef struct
{
  FluidWorker *worker;
  guint        calls;
  guint        stop_after;
  gboolean     hold_after_start;
  gboolean     start;
} HoldData;

static void
hold_count_calls (FluidWorker *worker,
                  gpointer     user_data)
{
  HoldData *data = user_data;

  if (++data->calls == data->stop_after)
    fluid_worker_gracefully_stop (worker);
}

static void
hold_activate_cb (GApplication *app,
                  gpointer      user_data)
{
  HoldData *data = user_data;

  if (!data->hold_after_start)
    fluid_worker_hold_application (data->worker, app);
  if (data->start)
    fluid_worker_startup_async (data->worker, NULL, NULL, NULL);
  if (data->hold_after_start)
    fluid_worker_hold_application (data->worker, app);
}

static void
hold_run (HoldData *data)
{
  g_autoptr(GApplication) app = g_application_new ("org.gnome.Fluid.TestRunMain",
                                                    G_APPLICATION_NON_UNIQUE);

  g_signal_connect (app, "activate", G_CALLBACK (hold_activate_cb), data);
  g_assert_cmpint (g_application_run (app, 0, NULL), ==, 0);
}

/* g_application_run() returns once the worker stopped, not before: the
 * worker stops itself after 5 calls 10 ms apart. (Not 0 s apart: the
 * application runs what is ready before it returns, and that would be
 * every call.) */
static void
test_hold_application (gconstpointer test_data)
{
  HoldData data = { NULL, 0, 5, GPOINTER_TO_INT (test_data), TRUE };

  data.worker = fluid_worker_function_new (0.01, hold_count_calls, &data, NULL);
  hold_run (&data);
  g_assert_true (fluid_worker_is_stopped (data.worker));
  g_assert_cmpuint (data.calls, ==, 5);
  g_object_unref (data.worker);
}

/* A worker that never starts never holds: the application ends at once. */
static void
test_hold_application_never_started (void)
{
  HoldData data = { NULL, 0, 5, FALSE, FALSE };

  data.worker = fluid_worker_function_new (0.0, hold_count_calls, &data, NULL);
  hold_run (&data);
  g_assert_cmpint (fluid_worker_get_state (data.worker), ==, FLUID_WORKER_STATE_INIT);
  g_object_unref (data.worker);
}

/* One that has stopped is left alone. */
static void
test_hold_application_stopped (void)
{
  HoldData data = { NULL, 0, 1, FALSE, FALSE };
  g_autoptr(GError) error = NULL;

  data.worker = fluid_worker_function_new (0.0, hold_count_calls, &data, NULL);
  g_assert_true (fluid_test_startup (data.worker, &error));
  g_assert_true (fluid_test_wait_for_shutdown (data.worker, &error));
  hold_run (&data);
  g_assert_cmpuint (data.calls, ==, 1);
  g_object_unref (data.worker);
}

static void
test_hold_application_bad_input (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10);
  g_autoptr(GApplication) app = g_application_new (NULL, G_APPLICATION_NON_UNIQUE);

  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_hold_application (NULL, app);
  g_test_assert_expected_messages ();
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*G_IS_APPLICATION*");
  fluid_worker_hold_application (FLUID_WORKER (worker), NULL);
  g_test_assert_expected_messages ();
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *no_bus = NULL;

  /* Neither this process nor its helpers talk to a systemd of the test
   * runner's, nor GApplication to a session bus. */
  g_unsetenv ("NOTIFY_SOCKET");
  g_unsetenv ("WATCHDOG_USEC");
  g_unsetenv ("WATCHDOG_PID");
  no_bus = g_strdup_printf ("unix:path=/nonexistent/fluid-test-run-main-%d", (int) getpid ());
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", no_bus, TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/run-main/signal/sigterm", GINT_TO_POINTER (SIGTERM),
                        test_run_main_signal_graceful);
  g_test_add_data_func ("/run-main/signal/sigint", GINT_TO_POINTER (SIGINT),
                        test_run_main_signal_graceful);
  g_test_add_func ("/run-main/signal/second-forces", test_run_main_signal_second_forces);
  g_test_add_func ("/run-main/signal/grace-period", test_run_main_signal_grace_period);
  g_test_add_func ("/run-main/helper-fails", test_run_main_helper_fails);

  g_test_add ("/run-main/notify/ready-stopping", NotifyFixture, NULL,
              notify_fixture_set_up, test_run_main_notify, notify_fixture_tear_down);
  g_test_add ("/run-main/notify/abstract", NotifyFixture, NULL,
              notify_fixture_set_up_abstract, test_run_main_notify, notify_fixture_tear_down);
  g_test_add ("/run-main/notify/failure", NotifyFixture, NULL,
              notify_fixture_set_up, test_run_main_notify_failure, notify_fixture_tear_down);
  g_test_add ("/run-main/notify/watchdog", NotifyFixture, NULL,
              notify_fixture_set_up, test_run_main_notify_watchdog, notify_fixture_tear_down);
  g_test_add ("/run-main/notify/nobody-listens", NotifyFixture, NULL,
              notify_fixture_set_up, test_run_main_notify_nobody, notify_fixture_tear_down);

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

  g_test_add_func ("/run-main/exit-codes", test_run_main_exit_codes);
  g_test_add_func ("/run-main/group", test_run_main_group);
  g_test_add_func ("/run-main/restores-signals", test_run_main_restores_signals);
  g_test_add_func ("/run-main/bad-input", test_run_main_bad_input);

  g_test_add_data_func ("/hold-application/before-start", GINT_TO_POINTER (FALSE),
                        test_hold_application);
  g_test_add_data_func ("/hold-application/while-running", GINT_TO_POINTER (TRUE),
                        test_hold_application);
  g_test_add_func ("/hold-application/never-started", test_hold_application_never_started);
  g_test_add_func ("/hold-application/stopped", test_hold_application_stopped);
  g_test_add_func ("/hold-application/bad-input", test_hold_application_bad_input);

  return g_test_run ();
}
