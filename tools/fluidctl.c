/* fluidctl.c: to workers what systemctl is to units
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fluidctl reads the workers a process exported with fluid_worker_export()
 * (one GetManagedObjects call for a whole group's tree), prints them, and
 * calls their methods. It needs GIO only; the interface names come from
 * the library's header.
 */

#include "fluidctl-output.h"

#include <fluid/fluid.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char fluidctl_description[] =
  "Commands:\n"
  "  list            List the exported worker and every worker below it\n"
  "  status [NAME]   Show the properties and the status of one worker\n"
  "                  (the exported one without NAME)\n"
  "  stop NAME       Stop one worker gracefully; returns at once\n"
  "  shutdown        Shut the exported worker down, forced after its\n"
  "                  grace period, and print its exit code\n"
  "  jobs [NAME]     List the jobs of a job worker queued or running, in\n"
  "                  the order they run, with their progress (the\n"
  "                  exported one without NAME)\n"
  "  metrics [NAME]  Print the metrics of one worker and of every worker\n"
  "                  below it in Prometheus' text format (for a textfile\n"
  "                  collector); --json does not change it\n"
  "\n"
  "NAME is the name of a worker below the exported group, with the names of\n"
  "the groups between separated by slashes (\"consumers/reader\"), or its\n"
  "object path. PATH is where the process exported its worker; by default,\n"
  "BUS_NAME with its dots turned into slashes: /org/example/Daemon for\n"
  "org.example.Daemon.\n"
  "\n"
  "Anyone on the bus may list workers and read their properties. The\n"
  "status of a worker, stop and shutdown are calls that the process allows\n"
  "its own user and root, unless it decides otherwise.\n"
  "\n"
  "Exit status:\n"
  "  0  success\n"
  "  1  another failure (the bus, the call)\n"
  "  2  a wrong command line\n"
  "  3  BUS_NAME is not on the bus\n"
  "  4  no worker at PATH, or no worker NAME\n"
  "  5  the process refused the call (access denied)\n"
  "\n"
  "Examples:\n"
  "  fluidctl org.gnome.Fluid.Example list\n"
  "  fluidctl --system --json org.example.Daemon status consumers/reader\n";

typedef struct
{
  GDBusConnection *connection;
  const char      *bus_name;
  const char      *path;
  gboolean         json;
} Fluidctl;

static int
fluidctl_fail (FluidctlExit  status,
               const char   *format,
               ...) G_GNUC_PRINTF (2, 3);

static int
fluidctl_fail (FluidctlExit  status,
               const char   *format,
               ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("fluidctl: %s\n", message);
  return status;
}

static gboolean
fluidctl_use_unicode (void)
{
  const char *charset;

  return g_get_charset (&charset) && isatty (fileno (stdout));
}

static int
fluidctl_print (char *text)
{
  fputs (text, stdout);
  g_free (text);
  return fflush (stdout) == 0 ? FLUIDCTL_EXIT_OK : FLUIDCTL_EXIT_FAILED;
}

/* Calls @method of the worker at @path; NULL with the exit status in
 * @exit_status and a message printed if it failed. */
static GVariant *
fluidctl_call (Fluidctl           *ctl,
               const char         *path,
               const char         *interface,
               const char         *method,
               const GVariantType *reply_type,
               int                 timeout_msec,
               FluidctlExit       *exit_status)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (ctl->connection, ctl->bus_name, path,
                                       interface, method, NULL, reply_type,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_msec, NULL, &error);
  if (reply != NULL)
    return reply;
  *exit_status = fluidctl_exit_for_error (error);
  g_dbus_error_strip_remote_error (error);
  if (*exit_status == FLUIDCTL_EXIT_ACCESS_DENIED)
    fluidctl_fail (*exit_status, "%s %s: access denied: %s", method, path, error->message);
  else
    fluidctl_fail (*exit_status, "%s %s: %s", method, path, error->message);
  return NULL;
}

static int
fluidctl_list (Fluidctl     *ctl,
               FluidctlNode *root)
{
  return fluidctl_print (ctl->json ? fluidctl_format_json_tree (root)
                                   : fluidctl_format_table (root, fluidctl_use_unicode ()));
}

static int
fluidctl_status (Fluidctl     *ctl,
                 FluidctlNode *node)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) status = NULL;
  FluidctlExit exit_status = FLUIDCTL_EXIT_OK;
  int print_status;

  /* The properties are anyone's; the status is asked for. */
  reply = fluidctl_call (ctl, node->path, FLUID_DBUS_WORKER_INTERFACE, "GetStatus", G_VARIANT_TYPE ("(a{sv})"), -1,
                         &exit_status);
  if (reply != NULL)
    status = g_variant_get_child_value (reply, 0);
  print_status = fluidctl_print (ctl->json ? fluidctl_format_json_status (node, status)
                                           : fluidctl_format_status (node, status));
  return exit_status != FLUIDCTL_EXIT_OK ? (int) exit_status : print_status;
}

static int
fluidctl_stop (Fluidctl     *ctl,
               FluidctlNode *node)
{
  g_autoptr(GVariant) reply = NULL;
  FluidctlExit exit_status = FLUIDCTL_EXIT_OK;

  reply = fluidctl_call (ctl, node->path, FLUID_DBUS_WORKER_INTERFACE, "Stop", G_VARIANT_TYPE_UNIT, -1, &exit_status);
  return exit_status;
}

static int
fluidctl_shutdown (Fluidctl     *ctl,
                   FluidctlNode *root)
{
  g_autoptr(GVariant) reply = NULL;
  FluidctlExit exit_status = FLUIDCTL_EXIT_OK;
  gint32 exit_code;

  /* As long as the grace period takes. */
  reply = fluidctl_call (ctl, root->path, FLUID_DBUS_WORKER_INTERFACE, "Shutdown", G_VARIANT_TYPE ("(i)"), G_MAXINT,
                         &exit_status);
  if (reply == NULL)
    return exit_status;
  g_variant_get (reply, "(i)", &exit_code);
  if (ctl->json)
    return fluidctl_print (g_strdup_printf ("{\"path\": \"%s\", \"exit_code\": %d}\n",
                                            root->path, exit_code));
  return fluidctl_print (g_strdup_printf ("%s stopped with exit code %d\n",
                                          fluidctl_node_get_name (root), exit_code));
}

static int
fluidctl_jobs (Fluidctl     *ctl,
               FluidctlNode *node)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) jobs = NULL;
  FluidctlExit exit_status = FLUIDCTL_EXIT_OK;

  reply = fluidctl_call (ctl, node->path, FLUID_DBUS_JOBS_INTERFACE, "ListJobs",
                         G_VARIANT_TYPE ("(a(tsdsi))"), -1, &exit_status);
  if (reply == NULL)
    return exit_status;
  jobs = g_variant_get_child_value (reply, 0);
  return fluidctl_print (ctl->json ? fluidctl_format_json_jobs (node, jobs)
                                   : fluidctl_format_jobs (node, jobs));
}

static int
fluidctl_metrics (Fluidctl     *ctl,
                  FluidctlNode *node)
{
  g_autoptr(GVariant) reply = NULL;
  FluidctlExit exit_status = FLUIDCTL_EXIT_OK;
  char *metrics;

  reply = fluidctl_call (ctl, node->path, FLUID_DBUS_WORKER_INTERFACE, "GetMetrics",
                         G_VARIANT_TYPE ("(s)"), -1, &exit_status);
  if (reply == NULL)
    return exit_status;
  g_variant_get (reply, "(s)", &metrics);
  return fluidctl_print (metrics);
}

/* Runs @command (with @name, or NULL) on the tree at ctl->path. */
static int
fluidctl_run (Fluidctl   *ctl,
              const char *command,
              const char *name)
{
  g_autoptr(FluidctlNode) root = NULL;
  g_autoptr(GError) error = NULL;
  FluidctlExit exit_status = FLUIDCTL_EXIT_OK;
  FluidctlNode *node = NULL;

  root = fluidctl_tree_read (ctl->connection, ctl->bus_name, ctl->path, &exit_status, &error);
  if (root == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      return fluidctl_fail (exit_status, "%s", error->message);
    }
  if (name != NULL)
    {
      node = fluidctl_tree_find (root, name);
      if (node == NULL)
        return fluidctl_fail (FLUIDCTL_EXIT_NO_WORKER, "no worker %s below %s", name, ctl->path);
    }

  if (g_str_equal (command, "list"))
    return fluidctl_list (ctl, root);
  if (g_str_equal (command, "status"))
    return fluidctl_status (ctl, node != NULL ? node : root);
  if (g_str_equal (command, "stop"))
    return fluidctl_stop (ctl, node);
  if (g_str_equal (command, "jobs"))
    return fluidctl_jobs (ctl, node != NULL ? node : root);
  if (g_str_equal (command, "metrics"))
    return fluidctl_metrics (ctl, node != NULL ? node : root);
  return fluidctl_shutdown (ctl, root);
}

/* How many arguments @command takes after it: -1 for none, 0 for an
 * optional NAME, 1 for a NAME; -2 if it is no command. */
static int
fluidctl_command_arity (const char *command)
{
  if (g_str_equal (command, "list") || g_str_equal (command, "shutdown"))
    return -1;
  if (g_str_equal (command, "status") || g_str_equal (command, "jobs") ||
      g_str_equal (command, "metrics"))
    return 0;
  if (g_str_equal (command, "stop"))
    return 1;
  return -2;
}

static char *
fluidctl_default_path (const char *bus_name)
{
  g_autofree char *path = g_strconcat ("/", bus_name, NULL);

  g_strdelimit (path, ".", '/');
  g_strdelimit (path, "-", '_');
  return g_steal_pointer (&path);
}

int
main (int    argc,
      char **argv)
{
  gboolean session = FALSE;
  gboolean system = FALSE;
  gboolean json = FALSE;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "session", 0, 0, G_OPTION_ARG_NONE, &session, "Talk to the session bus (the default)", NULL },
    { "system", 0, 0, G_OPTION_ARG_NONE, &system, "Talk to the system bus", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON instead of a table", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version of fluidctl and exit", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *default_path = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  Fluidctl ctl = { NULL, NULL, NULL, FALSE };
  const char *command;
  int next = 2;
  int arity;

  setlocale (LC_ALL, "");
  options = g_option_context_new ("BUS_NAME [PATH] COMMAND [NAME]");
  g_option_context_set_summary (options, "Query or control the workers a process exports on D-Bus.");
  g_option_context_set_description (options, fluidctl_description);
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "%s (see fluidctl --help)", error->message);
  if (version)
    return fluidctl_print (g_strdup ("fluidctl " FLUIDCTL_VERSION "\n"));
  if (session && system)
    return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "--session and --system exclude each other");
  if (argc < 3)
    return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "a bus name and a command are needed (see fluidctl --help)");

  ctl.bus_name = argv[1];
  ctl.json = json;
  if (!g_dbus_is_name (ctl.bus_name))
    return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "%s is not a bus name", ctl.bus_name);
  if (argv[2][0] == '/')
    {
      ctl.path = argv[next++];
      if (!g_variant_is_object_path (ctl.path))
        return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "%s is not an object path", ctl.path);
    }
  else
    {
      ctl.path = default_path = fluidctl_default_path (ctl.bus_name);
      if (!g_variant_is_object_path (ctl.path))
        return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "no PATH for %s: give one", ctl.bus_name);
    }
  if (next >= argc)
    return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "a command is needed (see fluidctl --help)");

  command = argv[next++];
  arity = fluidctl_command_arity (command);
  if (arity == -2)
    return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "unknown command %s (see fluidctl --help)", command);
  if (arity == 1 && next >= argc)
    return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "%s needs the NAME of a worker", command);
  if (argc - next > (arity == -1 ? 0 : 1))
    return fluidctl_fail (FLUIDCTL_EXIT_USAGE, "too many arguments for %s", command);

  connection = g_bus_get_sync (system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, &error);
  if (connection == NULL)
    return fluidctl_fail (FLUIDCTL_EXIT_FAILED, "cannot connect to the %s bus: %s",
                          system ? "system" : "session", error->message);
  ctl.connection = connection;
  return fluidctl_run (&ctl, command, next < argc ? argv[next] : NULL);
}
