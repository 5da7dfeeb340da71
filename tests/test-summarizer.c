/* test-summarizer.c: runs examples/summarizer on a temporary file
 *
 * The example's path comes in the environment variable FLUID_SUMMARIZER.
 * A port that is not executable by itself names its interpreter in
 * FLUID_SUMMARIZER_INTERPRETER, a command line in shell syntax (for
 * example "/usr/bin/gjs -m"), which runs before the path.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gio/gio.h>

static void
test_summarizer (void)
{
  const char *program = g_getenv ("FLUID_SUMMARIZER");
  const char *interpreter = g_getenv ("FLUID_SUMMARIZER_INTERPRETER");
  g_autoptr(GStrvBuilder) args = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileIOStream) io = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *output = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_nonnull (program);
  file = g_file_new_tmp ("fluid-summarizer-XXXXXX.txt", &io, &error);
  g_assert_no_error (error);
  g_io_stream_close (G_IO_STREAM (io), NULL, NULL);
  path = g_file_get_path (file);

  if (interpreter != NULL && *interpreter != '\0')
    {
      g_auto(GStrv) interpreter_argv = NULL;

      g_shell_parse_argv (interpreter, NULL, &interpreter_argv, &error);
      g_assert_no_error (error);
      g_strv_builder_addv (args, (const char **) interpreter_argv);
    }
  g_strv_builder_add_many (args, program, path, NULL);
  argv = g_strv_builder_end (args);

  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  g_file_load_contents (file, NULL, &contents, NULL, NULL, &error);
  g_assert_no_error (error);
  /* The file and the printed results agree: three summaries. */
  g_assert_cmpstr (contents, ==, output);
  lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_cmpstr (lines[3], ==, "");
  g_assert_true (g_str_has_prefix (lines[0], "Async programming in Python"));
  g_assert_true (g_str_has_suffix (lines[0], "database queries. (40 words)"));
  g_assert_true (g_str_has_suffix (lines[1], "(37 words)"));
  g_assert_true (g_str_has_suffix (lines[2], "when state changes. (32 words)"));

  g_file_delete (file, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/examples/summarizer", test_summarizer);

  return g_test_run ();
}
