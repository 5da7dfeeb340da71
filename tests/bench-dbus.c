/* bench-dbus.c: how fast an exported worker's changes reach a D-Bus client
 *
 * Prints one "metric_name value" line per figure, or nothing when
 * dbus-daemon is not installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <string.h>

#define TRIALS 500
#define WORKER_PATH "/org/gnome/Fluid/Bench/worker"

/* When each state of the current trial was received. */
typedef struct
{
  gint64 received[FLUID_WORKER_STATE_FORCE_STOPPED + 1];
} Client;

static void
changed_cb (GDBusConnection *connection,
            const char      *sender,
            const char      *path,
            const char      *interface,
            const char      *signal,
            GVariant        *parameters,
            gpointer         user_data)
{
  Client *client = user_data;
  g_autoptr(GVariant) changed = NULL;
  const char *state;

  g_variant_get (parameters, "(&s@a{sv}@as)", NULL, &changed, NULL);
  if (g_variant_lookup (changed, "State", "&s", &state))
    {
      GEnumClass *states = g_type_class_ref (FLUID_TYPE_WORKER_STATE);
      GEnumValue *value = g_enum_get_value_by_nick (states, state);

      g_assert (value != NULL);
      client->received[value->value] = g_get_monotonic_time ();
      g_type_class_unref (states);
    }
}

/* Iterates until the client received @state; the time it took from
 * @start, in microseconds. */
static double
wait_for_state (Client           *client,
                FluidWorkerState  state,
                gint64            start)
{
  while (client->received[state] == 0)
    g_main_context_iteration (NULL, TRUE);
  return client->received[state] - start;
}

/* From a change of state (startup, graceful stop) to the client's
 * PropertiesChanged handler, through a dbus-daemon, on one machine. */
static void
bench_property_change_latency (FluidTestBus *bus)
{
  g_autoptr(GDBusConnection) service = fluid_test_bus_connect (bus);
  g_autoptr(GDBusConnection) listener = fluid_test_bus_connect (bus);
  g_autoptr(GArray) latencies = g_array_sized_new (FALSE, FALSE, sizeof (double), 2 * TRIALS);
  g_autoptr(GVariant) reply = NULL;
  Client client;
  guint subscription;

  subscription = g_dbus_connection_signal_subscribe (listener, g_dbus_connection_get_unique_name (service),
                                                     "org.freedesktop.DBus.Properties",
                                                     "PropertiesChanged", WORKER_PATH, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, changed_cb, &client, NULL);
  /* The match rule is in place once a call made after it returned. */
  reply = g_dbus_connection_call_sync (listener, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetId", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);

  for (guint i = 0; i < TRIALS; i++)
    {
      g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);
      FluidWorker *w = FLUID_WORKER (worker);
      g_autoptr(GError) error = NULL;
      gint64 start;
      double elapsed;

      memset (&client, 0, sizeof client);
      if (!fluid_worker_export (w, service, WORKER_PATH, &error))
        g_error ("%s", error->message);

      start = g_get_monotonic_time ();
      fluid_worker_startup_async (w, NULL, NULL, NULL);
      elapsed = wait_for_state (&client, FLUID_WORKER_STATE_RUNNING, start);
      g_array_append_val (latencies, elapsed);

      start = g_get_monotonic_time ();
      fluid_worker_gracefully_stop (w);
      elapsed = wait_for_state (&client, FLUID_WORKER_STATE_STOPPING, start);
      g_array_append_val (latencies, elapsed);

      wait_for_state (&client, FLUID_WORKER_STATE_STOPPED, start);
      fluid_worker_unexport (w);
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
    }

  g_dbus_connection_signal_unsubscribe (listener, subscription);
  g_print ("dbus_property_change_latency_us %.1f\n", fluid_test_percentile (latencies, 0.5));
  g_print ("dbus_property_change_latency_p99_us %.1f\n", fluid_test_percentile (latencies, 0.99));
}

#define LIST_GROUPS 10
#define LIST_CHILDREN 100
#define LIST_RUNS 10

static void
noop_message_cb (FluidQueueConsumerWorker *consumer,
                 const GValue             *message,
                 gpointer                  user_data)
{
}

/* 10 groups of 100 workers, half of them consumers, running. */
static FluidWorkers *
tree_new (void)
{
  FluidWorkers *root = g_object_new (FLUID_TYPE_WORKERS, "name", "bench", NULL);

  for (guint g = 0; g < LIST_GROUPS; g++)
    {
      g_autofree char *group_name = g_strdup_printf ("group-%u", g);
      FluidWorkers *group = g_object_new (FLUID_TYPE_WORKERS, "name", group_name, NULL);

      for (guint c = 0; c < LIST_CHILDREN; c++)
        {
          g_autofree char *name = g_strdup_printf ("worker-%u", c);
          g_autoptr(FluidWorker) child = NULL;

          if (c % 2 == 0)
            child = FLUID_WORKER (fluid_test_worker_new_named (name, FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
          else
            child = fluid_queue_consumer_worker_new (noop_message_cb, NULL, NULL);
          fluid_workers_add_worker (group, child);
        }
      fluid_workers_add_worker (root, FLUID_WORKER (group));
      g_object_unref (group);
    }
  return root;
}

static double
run_fluidctl_ms (FluidTestBus *bus,
                 const char   *arg1,
                 const char   *arg2)
{
  const char *argv[] = { g_getenv ("FLUIDCTL"), arg1, arg2, NULL };
  gint64 start = g_get_monotonic_time ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (fluid_test_bus_run_client (bus, argv, &out, &err) != 0)
    g_error ("fluidctl failed: %s", err);
  return (g_get_monotonic_time () - start) / 1000.0;
}

/* fluidctl list of a tree of 1 000 workers, from its start to its exit,
 * against fluidctl --help (a process start, and nothing else) as the
 * floor. */
static void
bench_fluidctl_list (FluidTestBus *bus)
{
  g_autoptr(GDBusConnection) service = fluid_test_bus_connect (bus);
  g_autoptr(FluidWorkers) tree = tree_new ();
  g_autoptr(GArray) lists = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  gint64 start;
  double export_ms;
  guint owner;

  if (g_getenv ("FLUIDCTL") == NULL)
    {
      g_printerr ("FLUIDCTL is not set: no fluidctl figures\n");
      return;
    }
  start = g_get_monotonic_time ();
  if (!fluid_worker_export (FLUID_WORKER (tree), service, "/org/gnome/Fluid/Bench", &error))
    g_error ("%s", error->message);
  export_ms = (g_get_monotonic_time () - start) / 1000.0;
  owner = g_bus_own_name_on_connection (service, "org.gnome.Fluid.Bench", G_BUS_NAME_OWNER_FLAGS_NONE,
                                        NULL, NULL, NULL, NULL);
  fluid_worker_startup_async (FLUID_WORKER (tree), NULL, NULL, NULL);
  while (!fluid_worker_is_running (FLUID_WORKER (tree)))
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < LIST_RUNS; i++)
    {
      double ms = run_fluidctl_ms (bus, "org.gnome.Fluid.Bench", "list");

      g_array_append_val (lists, ms);
      ms = run_fluidctl_ms (bus, "--help", NULL);
      g_array_append_val (starts, ms);
    }

  g_print ("dbus_export_1000_workers_ms %.1f\n", export_ms);
  g_print ("fluidctl_list_1000_workers_ms %.1f\n", fluid_test_percentile (lists, 0.5));
  g_print ("fluidctl_list_1000_workers_max_ms %.1f\n", fluid_test_percentile (lists, 1.0));
  g_print ("fluidctl_help_ms %.1f\n", fluid_test_percentile (starts, 0.5));

  fluid_worker_shutdown_async (FLUID_WORKER (tree), NULL, NULL, NULL);
  while (fluid_worker_has_started (FLUID_WORKER (tree)) &&
         fluid_worker_get_exit_code (FLUID_WORKER (tree)) < 0)
    g_main_context_iteration (NULL, TRUE);
  fluid_worker_unexport (FLUID_WORKER (tree));
  g_bus_unown_name (owner);
}

int
main (int    argc,
      char **argv)
{
  FluidTestBus *bus = fluid_test_bus_new ();

  if (bus == NULL)
    {
      g_printerr ("dbus-daemon is not installed: no D-Bus figures\n");
      return 0;
    }
  bench_property_change_latency (bus);
  bench_fluidctl_list (bus);
  fluid_test_bus_free (bus);
  return 0;
}
