/* workers.c: a supervised group of workers
 *
 * A FluidWorkers group runs two children: a FluidWorkerFunction that sends
 * a tick to a printer every 10 ms and stops itself after five ticks, and the
 * printer, a FluidQueueConsumerWorker. When the ticker stops, the group
 * stops, and with it the printer, which first handles the ticks still
 * queued (drain-on-stop). Every state change is printed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#define N_TICKS 5

static void
print_state_cb (FluidWorker *worker,
                GParamSpec  *pspec,
                gpointer     user_data)
{
  g_autoptr(GEnumClass) states = g_type_class_ref (FLUID_TYPE_WORKER_STATE);
  GEnumValue *state = g_enum_get_value (states, fluid_worker_get_state (worker));

  g_print ("%s: %s\n", fluid_worker_get_name (worker), state->value_nick);
}

/* The ticker's function: a tick to the printer (any thread may send). */
static void
tick (FluidWorker *worker,
      gpointer     user_data)
{
  FluidQueueConsumer *printer = user_data;
  int *ticks = g_object_get_data (G_OBJECT (worker), "ticks");
  GValue message = G_VALUE_INIT;

  g_value_init (&message, G_TYPE_INT);
  g_value_set_int (&message, ++*ticks);
  fluid_queue_consumer_send (printer, &message);

  /* It stops on its own: the group notices and stops the printer. */
  if (*ticks == N_TICKS)
    fluid_worker_gracefully_stop (worker);
}

/* The printer's handler: the "message" signal of a worker without a
 * FluidMessageFunc. */
static void
print_tick_cb (FluidQueueConsumerWorker *printer,
               const GValue             *message,
               gpointer                  user_data)
{
  int *printed = user_data;

  g_print ("tick %d\n", g_value_get_int (message));
  (*printed)++;
}

static void
group_stopped_cb (FluidWorker *group,
                  const char  *reason,
                  int          exit_code,
                  gpointer     user_data)
{
  char **out = user_data;

  g_print ("%s stopped (exit code %d): %s\n", fluid_worker_get_name (group), exit_code, reason);
  *out = g_strdup (reason);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the thread-default main context until an async call completes. */
static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

int
main (int   argc,
      char *argv[])
{
  int ticks = 0, printed = 0;
  g_autofree char *reason = NULL;
  g_autoptr(FluidWorker) printer = NULL;
  g_autoptr(FluidWorker) ticker = NULL;
  g_autoptr(FluidWorkers) group = NULL;
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GAsyncResult) stopped = NULL;
  g_autoptr(GAsyncResult) status_result = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autofree char *status_text = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  printer = g_object_new (FLUID_TYPE_QUEUE_CONSUMER_WORKER,
                          "name", "printer",
                          "drain-on-stop", TRUE,
                          NULL);
  g_signal_connect (printer, "message", G_CALLBACK (print_tick_cb), &printed);

  ticker = fluid_worker_function_new_named ("ticker", 0.01, tick, printer, NULL);
  g_object_set_data (G_OBJECT (ticker), "ticks", &ticks);

  group = fluid_workers_new_with_workers (ticker, printer, NULL);

  /* The group is a GListModel of its children. */
  g_signal_connect (group, "notify::state", G_CALLBACK (print_state_cb), NULL);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (group)); i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (group), i);

      g_signal_connect (child, "notify::state", G_CALLBACK (print_state_cb), NULL);
    }
  g_signal_connect (group, "stopped", G_CALLBACK (group_stopped_cb), &reason);

  /* Starting the group starts every child. */
  fluid_worker_startup_async (FLUID_WORKER (group), NULL, done_cb, &started);
  if (!fluid_worker_startup_finish (FLUID_WORKER (group), wait_for (&started), &error))
    g_error ("startup failed: %s", error->message);

  /* Nobody asks the group to stop: the ticker does, by stopping. */
  fluid_worker_wait_for_shutdown_async (FLUID_WORKER (group), NULL, done_cb, &stopped);
  if (!fluid_worker_wait_for_shutdown_finish (FLUID_WORKER (group), wait_for (&stopped), &error))
    g_error ("the group failed: %s", error->message);

  /* The status of a group: the status of each child, by name. */
  fluid_worker_status_async (FLUID_WORKER (group), NULL, done_cb, &status_result);
  status = fluid_worker_status_finish (FLUID_WORKER (group), wait_for (&status_result), &error);
  g_assert_no_error (error);
  status_text = g_variant_print (status, FALSE);
  g_print ("status: %s\n", status_text);

  ok &= fluid_worker_get_state (FLUID_WORKER (group)) == FLUID_WORKER_STATE_STOPPED;
  ok &= fluid_worker_get_state (ticker) == FLUID_WORKER_STATE_STOPPED;
  ok &= fluid_worker_get_state (printer) == FLUID_WORKER_STATE_STOPPED;
  ok &= g_strcmp0 (reason, "child ticker stopped: normal shutdown") == 0;
  ok &= ticks == N_TICKS && printed == N_TICKS;
  ok &= fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (printer)) == 0;
  if (!ok)
    g_printerr ("unexpected: %d ticks, %d printed, reason %s\n", ticks, printed, reason);

  return ok ? 0 : 1;
}
