/* fluid-subproject-test.c: starts and shuts down a FluidWorkerFunction,
 * built against libfluid-glib as a Meson subproject.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#if !FLUID_CHECK_VERSION (1, 2, 0)
#error "libfluid-glib 1.2.0 or newer expected"
#endif

#define N_TICKS 3

typedef struct
{
  GMainLoop *loop;
  guint ticks;
  gboolean shut_down;
  GError *error;
} TestData;

static void shut_down_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

/* Shuts the worker down, gracefully, at its N_TICKS-th call. */
static void
tick (FluidWorker *worker,
      gpointer     user_data)
{
  TestData *data = user_data;

  data->ticks++;
  if (data->ticks == N_TICKS)
    fluid_worker_shutdown_async (worker, NULL, shut_down_cb, data);
}

static void
started_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TestData *data = user_data;

  if (!fluid_worker_startup_finish (FLUID_WORKER (source), result, &data->error))
    g_main_loop_quit (data->loop);
}

static void
shut_down_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  TestData *data = user_data;

  data->shut_down = fluid_worker_shutdown_finish (FLUID_WORKER (source), result,
                                                  data->error == NULL ? &data->error : NULL);
  g_main_loop_quit (data->loop);
}

static gboolean
timeout_cb (gpointer user_data)
{
  TestData *data = user_data;

  g_set_error_literal (&data->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "the worker did not stop within 10 s");
  g_main_loop_quit (data->loop);
  return G_SOURCE_REMOVE;
}

int
main (void)
{
  TestData data = { NULL, 0, FALSE, NULL };
  g_autoptr(FluidWorker) worker = NULL;
  guint timeout_id;

  data.loop = g_main_loop_new (NULL, FALSE);
  worker = fluid_worker_function_new (0.01, tick, &data, NULL);

  fluid_worker_startup_async (worker, NULL, started_cb, &data);
  timeout_id = g_timeout_add_seconds (10, timeout_cb, &data);
  g_main_loop_run (data.loop);
  g_source_remove (timeout_id);
  g_main_loop_unref (data.loop);

  if (data.error != NULL)
    {
      g_printerr ("%s: %s\n", fluid_worker_get_name (worker), data.error->message);
      g_error_free (data.error);
      return 1;
    }
  if (!data.shut_down || data.ticks != N_TICKS ||
      fluid_worker_get_state (worker) != FLUID_WORKER_STATE_STOPPED)
    {
      g_printerr ("%s: unexpected end: %u ticks, state %d\n",
                  fluid_worker_get_name (worker), data.ticks,
                  fluid_worker_get_state (worker));
      return 1;
    }

  g_print ("%s: started, ticked %u times, shut down (libfluid-glib %s)\n",
           fluid_worker_get_name (worker), data.ticks, FLUID_VERSION_S);
  return 0;
}
