/* fluid-redis-test-process.c: redis-consumer-helper processes, watched
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-process.h"
#include "fluid-test-utils.h"

#include <signal.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static void
fluid_test_process_child_setup (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

static void fluid_test_process_read (FluidTestProcess *self);

static void
fluid_test_process_line_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  FluidTestProcess *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    {
      self->eof = TRUE;
      return;
    }
  if (g_str_equal (line, "ready"))
    self->ready = TRUE;
  else if (g_str_has_prefix (line, "done "))
    self->done = TRUE;
  else if (g_str_has_prefix (line, "handled "))
    {
      g_auto(GStrv) parts = g_strsplit (line, " ", 3);

      if (!g_hash_table_add (self->handled, g_strdup (parts[1])))
        self->duplicates++;
      if (parts[2] != NULL)
        g_hash_table_add (self->data, g_strdup (parts[2]));
      self->last_handled_time = g_get_monotonic_time ();
    }
  else if (g_str_has_prefix (line, "holding "))
    g_hash_table_add (self->holding, g_strdup (line + 8));
  fluid_test_process_read (self);
}

static void
fluid_test_process_read (FluidTestProcess *self)
{
  g_data_input_stream_read_line_async (self->out, G_PRIORITY_DEFAULT, self->cancellable,
                                       fluid_test_process_line_cb, self);
}

FluidTestProcess *
fluid_test_process_new (const char         *uri,
                        const char         *consumer,
                        const char * const *extra_args)
{
  return fluid_test_process_new_for_stream (uri, "jobs", consumer, extra_args);
}

FluidTestProcess *
fluid_test_process_new_for_stream (const char         *uri,
                                   const char         *stream,
                                   const char         *consumer,
                                   const char * const *extra_args)
{
  FluidTestProcess *self = g_new0 (FluidTestProcess, 1);
  g_autofree char *helper = g_test_build_filename (G_TEST_BUILT, "redis-consumer-helper", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, helper);
  g_ptr_array_add (argv, (gpointer) uri);
  g_ptr_array_add (argv, (gpointer) stream);
  g_ptr_array_add (argv, (gpointer) consumer);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_set_child_setup (launcher, fluid_test_process_child_setup, NULL, NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  self->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  self->cancellable = g_cancellable_new ();
  self->handled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->data = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->holding = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fluid_test_process_read (self);
  return self;
}

int
fluid_test_process_stop (FluidTestProcess *self,
                         int               signal)
{
  int status;

  g_subprocess_send_signal (self->process, signal);
  g_subprocess_wait (self->process, NULL, NULL);
  /* What it printed before it ended is read too. */
  fluid_test_wait_until (self->eof);
  if (g_subprocess_get_if_signaled (self->process))
    return 128 + g_subprocess_get_term_sig (self->process);
  status = g_subprocess_get_exit_status (self->process);
  return status;
}

void
fluid_test_process_free (FluidTestProcess *self)
{
  if (self == NULL)
    return;
  if (g_subprocess_get_identifier (self->process) != NULL)
    {
      g_subprocess_force_exit (self->process);
      g_subprocess_wait (self->process, NULL, NULL);
    }
  g_cancellable_cancel (self->cancellable);
  /* The cancelled read completes on the context. */
  fluid_test_settle (g_main_context_get_thread_default ());
  g_object_unref (self->cancellable);
  g_object_unref (self->out);
  g_object_unref (self->process);
  g_hash_table_unref (self->handled);
  g_hash_table_unref (self->data);
  g_hash_table_unref (self->holding);
  g_free (self);
}
