/* daemon.c: a small service on D-Bus, run by systemd
 *
 * fluid-example-daemon [--system]
 *
 * A FluidWorkers group, "example", supervises its children as an OTP
 * supervisor would (ONE_FOR_ONE):
 *
 *   example          the group, exported at /org/gnome/Fluid/Example
 *   ├── ticker       sends a message to the reader five times a second
 *   ├── consumers    a group of its own
 *   │   └── reader   a queue consumer that handles the ticker's messages
 *   └── flaky        crashes every three seconds or so, and is replaced
 *
 * The process owns the bus name org.gnome.Fluid.Example, on the session
 * bus or, with --system, on the system bus, and runs until SIGTERM or
 * SIGINT: fluid_worker_run_main() stops the group gracefully on the first
 * signal and forces it on a second, tells systemd how it is doing when
 * NOTIFY_SOCKET is set, and returns the exit code of the group: 0 after a
 * graceful stop, 1 after a forced one, 2 when it failed (it lost its bus
 * name, or the flaky child crashed more often than the group allows).
 *
 * Watch it with fluidctl org.gnome.Fluid.Example list, busctl or gdbus.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#include <stdlib.h>

#define EXAMPLE_BUS_NAME "org.gnome.Fluid.Example"
#define EXAMPLE_PATH "/org/gnome/Fluid/Example"

/* The ticker: the current time, to the reader. */
static void
tick (FluidWorker *ticker,
      gpointer     user_data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *text = g_date_time_format_iso8601 (now);

  fluid_queue_consumer_send_string (user_data, text);
}

static FluidWorker *
make_ticker (FluidWorkers *example,
             gpointer      user_data)
{
  return fluid_worker_function_new_named ("ticker", 0.2, tick, g_object_ref (user_data),
                                          g_object_unref);
}

/* The reader: each message, in the debug log (G_MESSAGES_DEBUG=all). */
static void
read_message_cb (FluidQueueConsumerWorker *reader,
                 const GValue             *message,
                 gpointer                  user_data)
{
  g_debug ("reader: %s", g_value_get_string (message));
}

/* The flaky worker: a beat every half second, and a crash on the sixth. */
static void
flaky_beat (FluidWorker *flaky,
            gpointer     user_data)
{
  guint *beats = user_data;

  if (++*beats == 6)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                     "crashed, as it does");

      fluid_worker_fail (flaky, error);
    }
}

static FluidWorker *
make_flaky (FluidWorkers *example,
            gpointer      user_data)
{
  return fluid_worker_function_new_named ("flaky", 0.5, flaky_beat, g_new0 (guint, 1), g_free);
}

static void
child_restarted_cb (FluidWorkers *group,
                    FluidWorker  *old_child,
                    FluidWorker  *new_child,
                    gpointer      user_data)
{
  g_message ("%s restarted after: %s", fluid_worker_get_name (new_child),
             fluid_worker_get_stop_reason (old_child));
}

static FluidWorkers *
example_new (void)
{
  g_autoptr(FluidWorker) reader = g_object_new (FLUID_TYPE_QUEUE_CONSUMER_WORKER,
                                                "name", "reader",
                                                NULL);
  g_autoptr(FluidWorkers) consumers = g_object_new (FLUID_TYPE_WORKERS, "name", "consumers", NULL);
  FluidWorkers *example;

  /* A crash every 3 s or so is well within 5 restarts in 10 s. */
  example = g_object_new (FLUID_TYPE_WORKERS,
                          "name", "example",
                          "restart-strategy", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
                          "max-restarts", 5,
                          "max-restarts-period", 10.0,
                          "restart-delay", 0.5,
                          NULL);
  g_signal_connect (reader, "message", G_CALLBACK (read_message_cb), NULL);
  fluid_workers_add_worker (consumers, reader);
  fluid_workers_add_child (example, FLUID_RESTART_PERMANENT, make_ticker,
                           g_object_ref (reader), g_object_unref);
  fluid_workers_add_worker (example, FLUID_WORKER (consumers));
  fluid_workers_add_child (example, FLUID_RESTART_PERMANENT, make_flaky, NULL, NULL);
  g_signal_connect (example, "child-restarted", G_CALLBACK (child_restarted_cb), NULL);
  return example;
}

/* The bus name: whether it is ours yet, and what to do when it is lost. */
typedef struct
{
  FluidWorker *example;
  gboolean     acquired;
  gboolean     lost;
} BusName;

static void
name_acquired_cb (GDBusConnection *bus,
                  const char      *name,
                  gpointer         user_data)
{
  BusName *bus_name = user_data;

  bus_name->acquired = TRUE;
}

static void
name_lost_cb (GDBusConnection *bus,
              const char      *name,
              gpointer         user_data)
{
  BusName *bus_name = user_data;
  g_autoptr(GError) error = NULL;

  bus_name->lost = TRUE;
  if (!bus_name->acquired)
    return;
  /* Lost while running (the bus went away): a failure, exit code 2, so
   * that systemd's Restart=on-failure starts the service again. */
  error = g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED, "Lost the bus name %s", name);
  fluid_worker_fail (bus_name->example, error);
}

int
main (int    argc,
      char **argv)
{
  gboolean system_bus = FALSE;
  const GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &system_bus, "Serve on the system bus", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- an example service");
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(FluidWorkers) example = NULL;
  g_autoptr(GError) error = NULL;
  BusName bus_name = { NULL, FALSE, FALSE };
  guint owner_id;
  int exit_code;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  bus = g_bus_get_sync (system_bus ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("Cannot connect to the %s bus: %s\n", system_bus ? "system" : "session",
                  error->message);
      return EXIT_FAILURE;
    }
  /* Without the bus, the group stops through name_lost_cb rather than
   * have GDBus end the process. */
  g_dbus_connection_set_exit_on_close (bus, FALSE);

  /* Exported before the name is taken: a client that sees the name finds
   * the tree. */
  example = example_new ();
  if (!fluid_worker_export (FLUID_WORKER (example), bus, EXAMPLE_PATH, &error))
    {
      g_printerr ("Cannot export the workers: %s\n", error->message);
      return EXIT_FAILURE;
    }

  /* The name is ours before run_main() tells systemd READY=1. */
  bus_name.example = FLUID_WORKER (example);
  owner_id = g_bus_own_name_on_connection (bus, EXAMPLE_BUS_NAME,
                                           G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                           name_acquired_cb, name_lost_cb, &bus_name, NULL);
  while (!bus_name.acquired && !bus_name.lost)
    g_main_context_iteration (NULL, TRUE);
  if (!bus_name.acquired)
    {
      g_printerr ("Cannot own %s on the bus: is the service running already?\n",
                  EXAMPLE_BUS_NAME);
      g_bus_unown_name (owner_id);
      fluid_worker_unexport (FLUID_WORKER (example));
      return EXIT_FAILURE;
    }

  exit_code = fluid_worker_run_main (FLUID_WORKER (example));

  g_bus_unown_name (owner_id);
  fluid_worker_unexport (FLUID_WORKER (example));
  return exit_code;
}
