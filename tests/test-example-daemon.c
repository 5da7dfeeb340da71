/* test-example-daemon.c: examples/daemon.c run as systemd would run it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs FLUID_EXAMPLE_DAEMON on a private bus with a NOTIFY_SOCKET of the
 * test's own, reads its tree over D-Bus and stops it with SIGTERM; runs
 * the fluidctl session of its chapter (FLUID_DAEMON_CHAPTER) on it.
 */

#include "fluid-test-utils.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

#define EXAMPLE_BUS_NAME "org.gnome.Fluid.Example"
#define EXAMPLE_PATH "/org/gnome/Fluid/Example"

typedef struct
{
  FluidTestBus    *bus;
  GDBusConnection *client;
  char            *dir;
  char            *notify_path;
  GSocket         *notify;
  GSubprocess     *daemon;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  fixture->bus = fluid_test_bus_new ();
  if (fixture->bus == NULL)
    return;
  fixture->client = fluid_test_bus_connect (fixture->bus);
  fixture->dir = g_dir_make_tmp ("fluid-example-daemon-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->notify_path = g_build_filename (fixture->dir, "notify", NULL);
  fixture->notify = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  address = g_unix_socket_address_new (fixture->notify_path);
  g_socket_bind (fixture->notify, address, TRUE, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->bus == NULL)
    return;
  if (fixture->daemon != NULL)
    {
      g_subprocess_force_exit (fixture->daemon);
      g_subprocess_wait (fixture->daemon, NULL, NULL);
      g_object_unref (fixture->daemon);
    }
  g_socket_close (fixture->notify, NULL);
  g_object_unref (fixture->notify);
  g_unlink (fixture->notify_path);
  g_rmdir (fixture->dir);
  g_free (fixture->notify_path);
  g_free (fixture->dir);
  g_dbus_connection_close_sync (fixture->client, NULL, NULL);
  g_object_unref (fixture->client);
  fluid_test_bus_free (fixture->bus);
}

/* The daemon goes with the test, even one that aborts. */
static void
daemon_child_setup (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

/* Starts the daemon with @argument (or none), on the private bus as the
 * session bus, or as the system bus with --system; @watchdog_usec as
 * WatchdogSec= would set it, or NULL. */
static void
daemon_spawn (Fixture    *fixture,
              const char *argument,
              const char *watchdog_usec)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  const char *program = g_getenv ("FLUID_EXAMPLE_DAEMON");
  const char *address = fluid_test_bus_get_address (fixture->bus);
  gboolean system_bus = g_strcmp0 (argument, "--system") == 0;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (program);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  /* The other bus is nowhere: the daemon must use the one it was told. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                system_bus ? "unix:path=/nonexistent" : address, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                system_bus ? address : "unix:path=/nonexistent", TRUE);
  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", fixture->notify_path, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_PID");
  if (watchdog_usec != NULL)
    g_subprocess_launcher_setenv (launcher, "WATCHDOG_USEC", watchdog_usec, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_USEC");
  g_subprocess_launcher_set_child_setup (launcher, daemon_child_setup, NULL, NULL);
  fixture->daemon = g_subprocess_launcher_spawn (launcher, &error, program, argument, NULL);
  g_assert_no_error (error);
}

/* The next notification, or NULL if none came within the test's limit. */
static char *
notify_receive (Fixture *fixture)
{
  char buffer[256];
  gssize size;
  g_autoptr(GError) error = NULL;

  if (!g_socket_condition_timed_wait (fixture->notify, G_IO_IN,
                                      FLUID_TEST_WAIT_LIMIT_SECONDS * G_USEC_PER_SEC, NULL, NULL))
    return NULL;
  size = g_socket_receive (fixture->notify, buffer, sizeof buffer - 1, NULL, &error);
  g_assert_no_error (error);
  buffer[size] = '\0';
  return g_strdup (buffer);
}

static void
notify_expect (Fixture    *fixture,
               const char *expected)
{
  g_autofree char *notification = notify_receive (fixture);

  g_assert_cmpstr (notification, ==, expected);
}

/* SIGTERM: STOPPING=1 (after any WATCHDOG=1 still on its way) and exit 0. */
/* The daemon says STOPPING=1 and exits with 0. */
static void
daemon_expect_clean_exit (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *notification = NULL;

  do
    {
      g_free (notification);
      notification = notify_receive (fixture);
    }
  while (g_strcmp0 (notification, "WATCHDOG=1") == 0);
  g_assert_cmpstr (notification, ==, "STOPPING=1");
  g_subprocess_wait (fixture->daemon, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (fixture->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (fixture->daemon), ==, 0);
  g_clear_object (&fixture->daemon);
}

static void
daemon_terminate (Fixture *fixture)
{
  g_subprocess_send_signal (fixture->daemon, SIGTERM);
  daemon_expect_clean_exit (fixture);
}

static char *
name_owner (Fixture *fixture)
{
  g_autoptr(GVariant) reply = NULL;
  char *owner = NULL;

  reply = g_dbus_connection_call_sync (fixture->client, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetNameOwner", g_variant_new ("(s)", EXAMPLE_BUS_NAME),
                                       G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(s)", &owner);
  return owner;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Each object of the tree, sorted, with the last letter of its
 * interfaces: Worker1, Consumer1, workerS1. */
static char *
tree_describe (GDBusObjectManager *manager)
{
  GList *objects = g_dbus_object_manager_get_objects (manager);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      const char *path = g_dbus_object_get_object_path (l->data);
      GString *line = g_string_new (path + strlen (EXAMPLE_PATH));
      const char *interfaces[] = {
        FLUID_DBUS_WORKER_INTERFACE, FLUID_DBUS_CONSUMER_INTERFACE, FLUID_DBUS_WORKERS_INTERFACE,
      };

      g_string_append_c (line, ':');
      for (guint i = 0; i < G_N_ELEMENTS (interfaces); i++)
        {
          g_autoptr(GDBusInterface) proxy = g_dbus_object_get_interface (l->data, interfaces[i]);

          if (proxy != NULL)
            g_string_append_c (line, "WCS"[i]);
        }
      g_ptr_array_add (lines, g_string_free (line, FALSE));
    }
  g_list_free_full (objects, g_object_unref);
  g_ptr_array_sort (lines, compare_strings);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv (" ", (char **) lines->pdata);
}

static GVariant *
tree_get (GDBusObjectManager *manager,
          const char         *relative_path,
          const char         *interface,
          const char         *property)
{
  g_autofree char *path = g_strconcat (EXAMPLE_PATH, relative_path, NULL);
  g_autoptr(GDBusInterface) proxy = g_dbus_object_manager_get_interface (manager, path, interface);

  return proxy != NULL ? g_dbus_proxy_get_cached_property (G_DBUS_PROXY (proxy), property) : NULL;
}

static guint64
reader_processed (GDBusObjectManager *manager)
{
  g_autoptr(GVariant) processed = tree_get (manager, "/consumers/reader",
                                            FLUID_DBUS_CONSUMER_INTERFACE, "Processed");

  return processed != NULL ? g_variant_get_uint64 (processed) : 0;
}

static guint
flaky_restarts (GDBusProxy *example)
{
  g_autoptr(GVariant) restarts = g_dbus_proxy_get_cached_property (example, "Restarts");
  guint n = 0;

  if (restarts != NULL)
    g_variant_lookup (restarts, "flaky", "u", &n);
  return n;
}

/* READY=1 once the name is on the bus; the whole tree over D-Bus, its
 * counters and a restart; SIGTERM: STOPPING=1 and exit code 0. */
static void
test_example_daemon_session (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GDBusObjectManager) manager = NULL;
  g_autoptr(GDBusProxy) example = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *description = NULL;

  if (fixture->bus == NULL)
    {
      g_test_skip ("dbus-daemon not installed");
      return;
    }
  daemon_spawn (fixture, NULL, NULL);
  notify_expect (fixture, "READY=1");
  owner = name_owner (fixture);
  g_assert_nonnull (owner);

  manager = g_dbus_object_manager_client_new_sync (fixture->client,
                                                   G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                                   EXAMPLE_BUS_NAME, EXAMPLE_PATH,
                                                   NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  description = tree_describe (manager);
  g_assert_cmpstr (description, ==, "/consumers/reader:WC /consumers:WS /flaky:W /ticker:W");

  example = g_dbus_proxy_new_sync (fixture->client, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, NULL,
                                   EXAMPLE_BUS_NAME, EXAMPLE_PATH, FLUID_DBUS_WORKERS_INTERFACE,
                                   NULL, &error);
  g_assert_no_error (error);
  value = g_dbus_proxy_get_cached_property (example, "RestartStrategy");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "one-for-one");
  g_clear_pointer (&value, g_variant_unref);
  value = tree_get (manager, "/ticker", FLUID_DBUS_WORKER_INTERFACE, "State");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "running");

  /* The ticker feeds the reader; the flaky worker crashes and is
   * replaced (within about three seconds). */
  fluid_test_wait_until (reader_processed (manager) >= 3);
  fluid_test_wait_until (flaky_restarts (example) >= 1);

  daemon_terminate (fixture);
  g_free (owner);
  owner = name_owner (fixture);
  g_assert_null (owner);
}

/* --system, as the unit runs it: the same daemon on the system bus, and
 * WATCHDOG=1 every half of WatchdogSec= (here 40 ms) once ready. */
static void
test_example_daemon_system (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *owner = NULL;

  if (fixture->bus == NULL)
    {
      g_test_skip ("dbus-daemon not installed");
      return;
    }
  daemon_spawn (fixture, "--system", "40000");
  notify_expect (fixture, "READY=1");
  owner = name_owner (fixture);
  g_assert_nonnull (owner);
  notify_expect (fixture, "WATCHDOG=1");
  notify_expect (fixture, "WATCHDOG=1");
  daemon_terminate (fixture);
}

/* The name is someone else's: exit 1 at once, never READY=1. */
static void
test_example_daemon_name_taken (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 result;

  if (fixture->bus == NULL)
    {
      g_test_skip ("dbus-daemon not installed");
      return;
    }
  reply = g_dbus_connection_call_sync (fixture->client, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName", g_variant_new ("(su)", EXAMPLE_BUS_NAME, 0),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &result);
  g_assert_cmpuint (result, ==, 1);

  daemon_spawn (fixture, NULL, NULL);
  g_subprocess_wait (fixture->daemon, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (fixture->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (fixture->daemon), ==, 1);
  g_assert_false (g_socket_condition_check (fixture->notify, G_IO_IN) & G_IO_IN);
}

/* Runs fluidctl (FLUIDCTL) with @args against the example. */
static int
fluidctl (Fixture     *fixture,
          const char  *args,
          char       **out)
{
  g_auto(GStrv) argv = NULL;
  g_autofree char *command = g_strdup_printf ("%s " EXAMPLE_BUS_NAME " %s",
                                              g_getenv ("FLUIDCTL"), args);

  g_assert_true (g_shell_parse_argv (command, NULL, &argv, NULL));
  return fluid_test_bus_run_client (fixture->bus, (const char * const *) argv, out, NULL);
}

/* One command of the chapter's session, and the output the chapter shows. */
typedef struct
{
  char    *args;       /* after the bus name */
  GString *output;
} SessionStep;

static void
session_step_free (gpointer data)
{
  SessionStep *step = data;

  g_free (step->args);
  g_string_free (step->output, TRUE);
  g_free (step);
}

/* The <screen> of FLUID_DAEMON_CHAPTER (doc/daemon.xml.in) that shows
 * fluidctl on the example, as its text reads. */
static char *
chapter_read_screen (void)
{
  const char *chapter = g_getenv ("FLUID_DAEMON_CHAPTER");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  GString *screen;
  const char *start;
  const char *end;

  g_assert_nonnull (chapter);
  g_assert_true (g_file_get_contents (chapter, &text, NULL, &error));
  g_assert_no_error (error);
  start = strstr (text, "<screen>$ fluidctl ");
  g_assert_nonnull (start);
  start += strlen ("<screen>");
  end = strstr (start, "</screen>");
  g_assert_nonnull (end);

  screen = g_string_new_len (start, end - start);
  g_string_replace (screen, "&lt;", "<", 0);
  g_string_replace (screen, "&gt;", ">", 0);
  g_string_replace (screen, "&amp;", "&", 0);
  return g_string_free (screen, FALSE);
}

/* The chapter's session: a step for each "$ fluidctl" line, with the
 * lines below it. */
static GPtrArray *
chapter_read_session (void)
{
  const char *prompt = "$ fluidctl " EXAMPLE_BUS_NAME " ";
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func (session_step_free);
  g_autofree char *screen = chapter_read_screen ();
  g_auto(GStrv) lines = g_strsplit (screen, "\n", -1);
  SessionStep *step = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], prompt))
        {
          step = g_new0 (SessionStep, 1);
          step->args = g_strdup (lines[i] + strlen (prompt));
          step->output = g_string_new (NULL);
          g_ptr_array_add (steps, step);
        }
      else
        {
          g_assert_nonnull (step);
          g_string_append_printf (step->output, "%s\n", lines[i]);
        }
    }
  return g_steal_pointer (&steps);
}

/* A pattern for one @line the chapter shows: its figures any figures (they
 * change as the example runs), its padding any (it follows the figures'
 * widths), its tree drawn in ASCII (the test is no terminal). The flaky
 * worker crashes every three seconds or so: of its line in the list, only
 * the branch and the name are sure. */
static void
pattern_append_line (GString    *pattern,
                     const char *line)
{
  g_autoptr(GString) ascii = g_string_new (line);
  const char *flaky;

  g_string_replace (ascii, "├─ ", "|- ", 0);
  g_string_replace (ascii, "└─ ", "`- ", 0);
  g_string_replace (ascii, "│  ", "|  ", 0);
  flaky = strstr (ascii->str, "- flaky ");
  if (flaky != NULL)
    g_string_truncate (ascii, flaky + strlen ("- flaky") - ascii->str);

  for (const char *p = ascii->str; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        {
          while (g_ascii_isdigit (p[1]))
            p++;
          g_string_append (pattern, "[0-9]+");
        }
      else if (*p == ' ')
        {
          while (p[1] == ' ')
            p++;
          g_string_append (pattern, " +");
        }
      else
        {
          g_autofree char *escaped = g_regex_escape_string (p, 1);

          g_string_append (pattern, escaped);
        }
    }
  if (flaky != NULL)
    g_string_append (pattern, " .*");
  g_string_append (pattern, "\n");
}

/* Whether @out is @expected, as pattern_append_line() reads each line. */
static gboolean
session_output_matches (const char *out,
                        const char *expected)
{
  g_auto(GStrv) lines = g_strsplit (expected, "\n", -1);
  g_autoptr(GString) pattern = g_string_new ("\\A");

  /* The last "line" is what follows the last newline: nothing. */
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    pattern_append_line (pattern, lines[i]);
  g_string_append (pattern, "\\z");
  return g_regex_match_simple (pattern->str, out, 0, 0);
}

/* The chapter's fluidctl session, run on the example: each command's
 * output is what the chapter shows (as session_output_matches() reads
 * it), and its last command, shutdown, ends the daemon. */
static void
test_example_daemon_fluidctl (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GPtrArray) session = NULL;
  SessionStep *last;

  if (fixture->bus == NULL || g_getenv ("FLUIDCTL") == NULL)
    {
      g_test_skip ("dbus-daemon not installed, or FLUIDCTL not set");
      return;
    }
  session = chapter_read_session ();
  g_assert_cmpuint (session->len, >=, 2);
  last = g_ptr_array_index (session, session->len - 1);
  g_assert_cmpstr (last->args, ==, "shutdown");

  daemon_spawn (fixture, NULL, NULL);
  notify_expect (fixture, "READY=1");
  for (guint i = 0; i < session->len; i++)
    {
      SessionStep *step = g_ptr_array_index (session, i);
      g_autofree char *out = NULL;

      g_test_message ("fluidctl %s", step->args);
      g_assert_cmpint (fluidctl (fixture, step->args, &out), ==, 0);
      if (!session_output_matches (out, step->output->str))
        g_assert_cmpstr (out, ==, step->output->str);
    }
  daemon_expect_clean_exit (fixture);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/example-daemon/session", Fixture, NULL,
              fixture_set_up, test_example_daemon_session, fixture_tear_down);
  g_test_add ("/example-daemon/fluidctl", Fixture, NULL,
              fixture_set_up, test_example_daemon_fluidctl, fixture_tear_down);
  g_test_add ("/example-daemon/system", Fixture, NULL,
              fixture_set_up, test_example_daemon_system, fixture_tear_down);
  g_test_add ("/example-daemon/name-taken", Fixture, NULL,
              fixture_set_up, test_example_daemon_name_taken, fixture_tear_down);

  return g_test_run ();
}
