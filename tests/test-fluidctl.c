/* test-fluidctl.c: fluidctl against a tree exported on a private bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test but /fluidctl/version and /fluidctl/manual, which need no
 * bus, starts a dbus-daemon of its own (fluid_test_bus_new()); the test
 * process exports a group under the bus name org.gnome.Fluid.Test and runs
 * fluidctl ($FLUIDCTL) against it, answering its calls while it waits for
 * it to exit.
 */

#include "fluid-test-utils.h"

#include <string.h>

#define BUS_NAME "org.gnome.Fluid.Test"
#define TREE_PATH "/org/gnome/Fluid/Test"

typedef struct
{
  FluidTestBus    *bus;
  GDBusConnection *service;
  guint            owner;
  FluidWorkers    *group;
  FluidWorker     *consumer;
  FluidWorker     *leaf;
  char            *out;
  char            *err;
} Fixture;

/* The group "tree": a worker "a", a consumer "reader", and a group
 * "sub group" holding "leaf"; exported at the bus name's default path. */
static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(FluidWorkers) nested = g_object_new (FLUID_TYPE_WORKERS, "name", "sub group", NULL);
  g_autoptr(FluidTestWorker) a = NULL;

  fixture->bus = fluid_test_bus_new ();
  if (fixture->bus == NULL)
    {
      g_test_skip ("dbus-daemon is not installed");
      return;
    }
  fixture->service = fluid_test_bus_connect (fixture->bus);
  fixture->group = g_object_new (FLUID_TYPE_WORKERS, "name", "tree", NULL);
  /* No message is sent to it: no function. */
  fixture->consumer = g_object_new (FLUID_TYPE_QUEUE_CONSUMER_WORKER, "name", "reader", NULL);
  fixture->leaf = FLUID_WORKER (fluid_test_worker_new_named ("leaf", FLUID_TEST_RUN_SLEEP_LOOP,
                                                             3600, 10));
  a = fluid_test_worker_new_named ("a", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);
  fluid_workers_add_worker (fixture->group, FLUID_WORKER (a));
  fluid_workers_add_worker (fixture->group, fixture->consumer);
  fluid_workers_add_worker (nested, fixture->leaf);
  fluid_workers_add_worker (fixture->group, FLUID_WORKER (nested));

  fixture->owner = fluid_test_bus_export (fixture->service, FLUID_WORKER (fixture->group),
                                          TREE_PATH, BUS_NAME);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->bus == NULL)
    return;
  fluid_test_bus_unexport (FLUID_WORKER (fixture->group), fixture->owner);
  g_dbus_connection_close_sync (fixture->service, NULL, NULL);
  g_clear_object (&fixture->service);
  g_clear_object (&fixture->leaf);
  g_clear_object (&fixture->consumer);
  g_clear_object (&fixture->group);
  g_clear_pointer (&fixture->out, g_free);
  g_clear_pointer (&fixture->err, g_free);
  fluid_test_bus_free (fixture->bus);
}

/* Runs fluidctl with the arguments given, NULL-terminated; its output in
 * fixture->out and ->err. */
static int
fluidctl (Fixture    *fixture,
          const char *first_arg,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *program = g_getenv ("FLUIDCTL");
  va_list args;

  g_assert_nonnull (program);
  g_ptr_array_add (argv, (char *) program);
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_clear_pointer (&fixture->out, g_free);
  g_clear_pointer (&fixture->err, g_free);
  return fluid_test_bus_run_client (fixture->bus, (const char * const *) argv->pdata,
                                    &fixture->out, &fixture->err);
}

static void
test_fluidctl_list (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (fixture->bus == NULL)
    return;

  /* Not a terminal: the tree is drawn in ASCII. */
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "list", NULL), ==, 0);
  g_assert_cmpstr (fixture->out, ==,
                   "NAME          STATE  QUEUE  PROCESSED  RESTARTS  EXIT\n"
                   "tree          init       -          -         -     -\n"
                   "|- a          init       -          -         0     -\n"
                   "|- reader     init       0          0         0     -\n"
                   "`- sub group  init       -          -         0     -\n"
                   "   `- leaf    init       -          -         0     -\n");
  g_assert_cmpstr (fixture->err, ==, "");

  /* Live values; the path given. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (fixture->group), &error));
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, TREE_PATH, "list", NULL), ==, 0);
  g_assert_nonnull (strstr (fixture->out, "tree          running"));
  g_assert_nonnull (strstr (fixture->out, "   `- leaf    running"));
  /* A child that stops stops the others (stop-all). */
  g_assert_true (fluid_test_shutdown (fixture->leaf, &error));
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (fixture->group), &error));
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, TREE_PATH, "list", NULL), ==, 0);
  g_assert_nonnull (strstr (fixture->out, "tree          stopped"));
  g_assert_nonnull (strstr (fixture->out, "   `- leaf    stopped      -          -         0     0\n"));
}

/* Whether @text is JSON, as Python's parser reads it. */
static gboolean
is_json (const char *text)
{
  g_autoptr(GSubprocess) python = NULL;
  g_autoptr(GError) error = NULL;

  python = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                             &error, "python3", "-c", "import json, sys; json.load(sys.stdin)", NULL);
  if (python == NULL)
    {
      g_test_message ("No python3 to check the JSON: %s", error->message);
      return TRUE;
    }
  g_assert_true (g_subprocess_communicate_utf8 (python, text, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  return g_subprocess_get_if_exited (python) && g_subprocess_get_exit_status (python) == 0;
}

static void
test_fluidctl_list_json (Fixture       *fixture,
                         gconstpointer  data)
{
  if (fixture->bus == NULL)
    return;

  g_assert_cmpint (fluidctl (fixture, "--json", BUS_NAME, "list", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (fixture->out,
                                   "{\"path\": \"" TREE_PATH "\", \"name\": \"tree\", "
                                   "\"state\": \"init\", \"exit_code\": -1, \"stop_reason\": \"\", "
                                   "\"restart_strategy\": \"stop-all\", \"children\": [{"));
  g_assert_nonnull (strstr (fixture->out,
                            "{\"path\": \"" TREE_PATH "/reader\", \"name\": \"reader\", "
                            "\"state\": \"init\", \"exit_code\": -1, \"stop_reason\": \"\", "
                            "\"queue_size\": 0, \"processed\": 0, \"failed\": 0, \"discarded\": 0, "
                            "\"restarts\": 0}"));
  g_assert_nonnull (strstr (fixture->out,
                            "\"children\": [{\"path\": \"" TREE_PATH "/sub_20group/leaf\", "
                            "\"name\": \"leaf\""));
  g_assert_true (g_str_has_suffix (fixture->out, "}]}]}\n"));
  g_assert_true (is_json (fixture->out));
}

static void
test_fluidctl_status (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (fixture->bus == NULL)
    return;
  g_assert_true (fluid_test_startup (FLUID_WORKER (fixture->group), &error));

  /* Values as a person reads them, dictionaries as indented lines, the
   * worker's own values before its children's. */
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "status", "sub group/leaf", NULL), ==, 0);
  g_assert_cmpstr (fixture->out, ==,
                   "leaf " TREE_PATH "/sub_20group/leaf\n"
                   "       State: running\n"
                   "   Exit code: -\n"
                   "    Restarts: 0\n"
                   "      Status:\n"
                   "        running: yes\n"
                   "        stopping: no\n");
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "status", "reader", NULL), ==, 0);
  g_assert_cmpstr (fixture->out, ==,
                   "reader " TREE_PATH "/reader\n"
                   "       State: running\n"
                   "   Exit code: -\n"
                   "    Messages: 0 queued, 0 processed, 0 failed, 0 discarded\n"
                   "    Restarts: 0\n"
                   "      Status:\n"
                   "        discarded: 0\n"
                   "        failed: 0\n"
                   "        processed: 0\n"
                   "        queue_size: 0\n"
                   "        running: yes\n"
                   "        stopping: no\n");
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "status", "sub group", NULL), ==, 0);
  g_assert_cmpstr (fixture->out, ==,
                   "sub group " TREE_PATH "/sub_20group\n"
                   "       State: running\n"
                   "   Exit code: -\n"
                   "    Strategy: stop-all\n"
                   "    Children: 1\n"
                   "    Restarts: 0\n"
                   "      Status:\n"
                   "        leaf:\n"
                   "          restarts: 0\n"
                   "          running: yes\n"
                   "          stopping: no\n");
  g_assert_null (strstr (fixture->out, "<"));

  /* The exported group, by default, and by its path. */
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "status", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (fixture->out, "tree " TREE_PATH "\n"));
  g_assert_nonnull (strstr (fixture->out, "    Strategy: stop-all\n    Children: 3\n"));
  g_assert_cmpint (fluidctl (fixture, "--json", BUS_NAME, "status", TREE_PATH "/a", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (fixture->out,
                                   "{\"path\": \"" TREE_PATH "/a\", \"name\": \"a\", "
                                   "\"state\": \"running\""));
  g_assert_nonnull (strstr (fixture->out, "\"status\": {"));
  g_assert_true (is_json (fixture->out));
}

static void
test_fluidctl_stop_and_shutdown (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (fixture->bus == NULL)
    return;
  g_assert_true (fluid_test_startup (FLUID_WORKER (fixture->group), &error));

  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "stop", "sub group/leaf", NULL), ==, 0);
  g_assert_cmpstr (fixture->out, ==, "");
  g_assert_true (fluid_test_wait_for_shutdown (fixture->leaf, &error));
  /* A child that stops stops the group (stop-all). */
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (fixture->group), &error));

  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "shutdown", NULL), ==, 0);
  g_assert_cmpstr (fixture->out, ==, "tree stopped with exit code 0\n");
  g_assert_cmpint (fluidctl (fixture, "--json", BUS_NAME, "shutdown", NULL), ==, 0);
  g_assert_cmpstr (fixture->out, ==, "{\"path\": \"" TREE_PATH "\", \"exit_code\": 0}\n");
}

static gboolean
refuse_cb (FluidWorker           *self,
           FluidWorker           *target,
           GDBusMethodInvocation *invocation,
           guint                  caller_uid,
           gpointer               user_data)
{
  return FALSE;
}

/* Each failure its message and its exit status. */
static void
test_fluidctl_errors (Fixture       *fixture,
                      gconstpointer  data)
{
  if (fixture->bus == NULL)
    return;

  g_assert_cmpint (fluidctl (fixture, "org.gnome.Fluid.Nobody", "list", NULL), ==, 3);
  g_assert_cmpstr (fixture->err, ==, "fluidctl: org.gnome.Fluid.Nobody is not on the bus\n");
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "/org/gnome/Fluid/Nothing", "list", NULL), ==, 4);
  g_assert_cmpstr (fixture->err, ==,
                   "fluidctl: " BUS_NAME " exports no worker at /org/gnome/Fluid/Nothing\n");
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "stop", "b", NULL), ==, 4);
  g_assert_cmpstr (fixture->err, ==, "fluidctl: no worker b below " TREE_PATH "\n");
  g_assert_cmpstr (fixture->out, ==, "");

  /* Refused: the status still shows the properties. */
  g_signal_connect (fixture->group, "authorize-method", G_CALLBACK (refuse_cb), NULL);
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "stop", "a", NULL), ==, 5);
  g_assert_true (g_str_has_prefix (fixture->err, "fluidctl: Stop " TREE_PATH "/a: access denied: "));
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "shutdown", NULL), ==, 5);
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "status", "a", NULL), ==, 5);
  g_assert_true (g_str_has_prefix (fixture->out, "a " TREE_PATH "/a\n       State: init\n"));
  g_assert_null (strstr (fixture->out, "Status:"));
  g_assert_false (fluid_worker_has_started (FLUID_WORKER (fixture->group)));

  /* The command line. */
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, NULL), ==, 2);
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "restart", "a", NULL), ==, 2);
  g_assert_cmpstr (fixture->err, ==, "fluidctl: unknown command restart (see fluidctl --help)\n");
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "stop", NULL), ==, 2);
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "list", "a", NULL), ==, 2);
  g_assert_cmpint (fluidctl (fixture, "not a name", "list", NULL), ==, 2);
  g_assert_cmpint (fluidctl (fixture, BUS_NAME, "/not//a/path", "list", NULL), ==, 2);
  g_assert_cmpint (fluidctl (fixture, "--session", "--system", BUS_NAME, "list", NULL), ==, 2);
  g_assert_cmpint (fluidctl (fixture, "--bogus", BUS_NAME, "list", NULL), ==, 2);
  g_assert_cmpint (fluidctl (fixture, "--help", NULL), ==, 0);
  g_assert_nonnull (strstr (fixture->out, "fluidctl [OPTION…] BUS_NAME [PATH] COMMAND [NAME]"));
  g_assert_nonnull (strstr (fixture->out, "Exit status:"));
  g_assert_nonnull (strstr (fixture->out, "  --version "));
}

/* Runs @argv with no bus, in the C locale, and with the NAME=VALUE
 * settings of @environment (NULL-terminated, or NULL); its exit status,
 * its output in @out and @err. */
static int
run_without_bus (const char * const  *argv,
                 const char * const  *environment,
                 char               **out,
                 char               **err)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent",
                                TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  for (guint i = 0; environment != NULL && environment[i] != NULL; i++)
    {
      g_auto(GStrv) setting = g_strsplit (environment[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, setting[0], setting[1], TRUE);
    }
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

/* --version needs no bus: there is none here. */
static void
test_fluidctl_version (void)
{
  const char *argv[] = { g_getenv ("FLUIDCTL"), "--version", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_without_bus (argv, NULL, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "fluidctl " FLUID_VERSION_S "\n");
  g_assert_cmpstr (err, ==, "");
}

/* @text (freed) without the overstrikes of bold and underline ("x\bx",
 * "_\bx") that groff and mandoc write on a terminal of old. */
static char *
text_strip_overstrikes (char *text)
{
  GString *plain = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (p[1] == '\b' && p[2] != '\0')
        p++;
      else
        g_string_append_c (plain, *p);
    }
  g_free (text);
  return g_string_free (plain, FALSE);
}

/* fluidctl(1) ($FLUIDCTL_MAN) as plain text, by the first of man, groff
 * and mandoc that is installed; NULL if none is. */
static char *
manual_render (const char *page)
{
  const char *environment[] = { "MANWIDTH=100", "MANPAGER=cat", "PAGER=cat",
                                "MAN_DISABLE_SECCOMP=1", NULL };
  g_autofree char *man = g_find_program_in_path ("man");
  g_autofree char *groff = g_find_program_in_path ("groff");
  g_autofree char *mandoc = g_find_program_in_path ("mandoc");
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;

  if (man != NULL)
    status = run_without_bus ((const char * const []) { man, "--warnings", "-l", page, NULL },
                              environment, &out, &err);
  else if (groff != NULL)
    status = run_without_bus ((const char * const []) { groff, "-man", "-Tascii", "-ww", page,
                                                        NULL },
                              environment, &out, &err);
  else if (mandoc != NULL)
    status = run_without_bus ((const char * const []) { mandoc, "-Tascii", "-Wwarning", page,
                                                        NULL },
                              environment, &out, &err);
  else
    return NULL;
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (err, ==, "");
  return text_strip_overstrikes (out);
}

/* @text as the manual test compares it: in lower case, without quotes,
 * each run of white space one space. */
static char *
text_normalize (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        {
          if (out->len > 0 && out->str[out->len - 1] != ' ')
            g_string_append_c (out, ' ');
        }
      else if (*p != '"')
        g_string_append_c (out, g_ascii_tolower (*p));
    }
  return g_string_free (out, FALSE);
}

static void
manual_assert_says (const char *manual,
                    const char *text)
{
  g_autofree char *normal = text_normalize (text);

  if (strstr (manual, normal) == NULL)
    g_error ("fluidctl(1) does not say what --help says: \"%s\"", normal);
}

/* One paragraph of --help in the manual: each entry of a list (a line
 * indented by two spaces, and the lines indented further that continue
 * it), and each sentence of prose. A list's title is left out. */
static void
manual_assert_says_paragraph (const char *manual,
                              const char *paragraph)
{
  g_auto(GStrv) lines = g_strsplit (paragraph, "\n", -1);
  g_autoptr(GString) entry = g_string_new (NULL);
  g_autoptr(GString) prose = g_string_new (NULL);
  g_autofree char *normal_prose = NULL;
  g_auto(GStrv) sentences = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0' || (i == 0 && g_str_has_suffix (lines[i], ":")))
        continue;
      if (lines[i][0] != ' ')
        g_string_append_printf (prose, "%s\n", lines[i]);
      else if (g_str_has_prefix (lines[i], "    "))
        g_string_append_printf (entry, "\n%s", lines[i]);
      else
        {
          if (entry->len > 0)
            manual_assert_says (manual, entry->str);
          g_string_assign (entry, lines[i]);
        }
    }
  if (entry->len > 0)
    manual_assert_says (manual, entry->str);

  normal_prose = text_normalize (prose->str);
  sentences = g_strsplit (normal_prose, ". ", -1);
  for (guint i = 0; sentences[i] != NULL; i++)
    {
      /* The last one's full stop. */
      if (g_str_has_suffix (sentences[i], "."))
        sentences[i][strlen (sentences[i]) - 1] = '\0';
      if (sentences[i][0] != '\0')
        manual_assert_says (manual, sentences[i]);
    }
}

/* The manual page builds, renders without a warning, has the sections
 * of a manual page and the project's version, and says what --help says:
 * its options, commands, exit statuses, examples and prose. */
static void
test_fluidctl_manual (void)
{
  const char *page = g_getenv ("FLUIDCTL_MAN");
  const char *help_argv[] = { g_getenv ("FLUIDCTL"), "--help", NULL };
  const char *sections[] = { "NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "ACCESS",
                             "EXIT STATUS", "EXAMPLES", "SEE ALSO" };
  g_autofree char *rendered = NULL;
  g_autofree char *manual = NULL;
  g_autofree char *help = NULL;
  g_auto(GStrv) paragraphs = NULL;

  if (page == NULL)
    {
      g_test_skip ("fluidctl(1) is not built (-Dman=false, or no xsltproc)");
      return;
    }
  rendered = manual_render (page);
  if (rendered == NULL)
    {
      g_autofree char *troff = NULL;

      /* Nothing to render it with: the troff itself. */
      g_assert_true (g_file_get_contents (page, &troff, NULL, NULL));
      g_test_message ("No man, groff nor mandoc: the troff source is checked");
      for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
        {
          g_autofree char *heading = g_strdup_printf ("\n.SH \"%s\"\n", sections[i]);

          g_assert_nonnull (strstr (troff, heading));
        }
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autofree char *heading = g_strdup_printf ("\n%s\n", sections[i]);

      g_assert_nonnull (strstr (rendered, heading));
    }
  g_assert_true (g_str_has_prefix (rendered, "FLUIDCTL(1)"));
  g_assert_nonnull (strstr (rendered, "fluidctl - query or control the workers"));
  g_assert_nonnull (strstr (rendered, "libfluid-glib " FLUID_VERSION_S " "));

  manual = text_normalize (rendered);
  g_assert_cmpint (run_without_bus (help_argv, NULL, &help, NULL), ==, 0);
  paragraphs = g_strsplit (help, "\n\n", -1);
  for (guint i = 0; paragraphs[i] != NULL; i++)
    {
      /* The usage line: the manual's synopsis has a line per command. */
      if (!g_str_has_prefix (paragraphs[i], "Usage:"))
        manual_assert_says_paragraph (manual, paragraphs[i]);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fluidctl/version", test_fluidctl_version);
  g_test_add_func ("/fluidctl/manual", test_fluidctl_manual);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/fluidctl/list", test_fluidctl_list);
  ADD ("/fluidctl/list-json", test_fluidctl_list_json);
  ADD ("/fluidctl/status", test_fluidctl_status);
  ADD ("/fluidctl/stop-and-shutdown", test_fluidctl_stop_and_shutdown);
  ADD ("/fluidctl/errors", test_fluidctl_errors);
#undef ADD

  return g_test_run ();
}
