/* supervisor.c: a service whose flaky child is restarted
 *
 * A FluidWorkers group, "service", supervises two children as an OTP
 * supervisor would (ONE_FOR_ONE): "indexer", which crashes at random, a
 * few times a second, and "web", which is steady. Each crash of the indexer
 * is a failure of its run (exit code 2); the group replaces it with a new
 * one from its factory, after a short backoff, in the same place and under
 * the same name, and the web server goes on. Every second the program
 * prints the group's status: each child's state and restarts. After
 * FLUID_DEMO_SECONDS (5 by default) the service shuts down.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

/* The indexer's work: one step of indexing, which fails one time in ten. */
static void
index_step (FluidWorker *indexer,
            gpointer     user_data)
{
  GRand *rand = user_data;

  if (g_rand_int_range (rand, 0, 10) == 0)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                                     "corrupt document");

      fluid_worker_fail (indexer, error);
    }
}

/* Makes an indexer: at the start, and for each replacement. */
static FluidWorker *
make_indexer (FluidWorkers *service,
              gpointer      user_data)
{
  return fluid_worker_function_new_named ("indexer", 0.05, index_step, user_data, NULL);
}

static void
serve (FluidWorker *web,
       gpointer     user_data)
{
}

static FluidWorker *
make_web (FluidWorkers *service,
          gpointer      user_data)
{
  return fluid_worker_function_new_named ("web", 0.2, serve, NULL, NULL);
}

static void
child_restarted_cb (FluidWorkers *service,
                    FluidWorker  *old_child,
                    FluidWorker  *new_child,
                    gpointer      user_data)
{
  g_print ("%s restarted after: %s\n", fluid_worker_get_name (new_child),
           fluid_worker_get_stop_reason (old_child));
}

static void
print_status_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GVariant) status = fluid_worker_status_finish (FLUID_WORKER (source), result, NULL);
  GVariantIter iter;
  const char *name;
  GVariant *child;

  if (status == NULL)
    return;
  g_variant_iter_init (&iter, status);
  while (g_variant_iter_loop (&iter, "{&sv}", &name, &child))
    {
      gboolean running = FALSE;
      guint restarts = 0;

      g_variant_lookup (child, "running", "b", &running);
      g_variant_lookup (child, "restarts", "u", &restarts);
      g_print ("  %-8s %-8s restarts %u\n", name, running ? "running" : "stopped", restarts);
    }
}

static gboolean
print_status (gpointer user_data)
{
  g_print ("status:\n");
  fluid_worker_status_async (user_data, NULL, print_status_cb, NULL);
  return G_SOURCE_CONTINUE;
}

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  if (!fluid_worker_shutdown_finish (FLUID_WORKER (source), result, &error))
    g_printerr ("the service failed: %s\n", error->message);
  *done = TRUE;
}

static gboolean
stop_service (gpointer user_data)
{
  fluid_worker_shutdown_async (user_data, NULL, shutdown_cb, g_object_get_data (user_data, "done"));
  return G_SOURCE_REMOVE;
}

int
main (void)
{
  g_autoptr(FluidWorkers) service = fluid_workers_new ();
  g_autoptr(GRand) rand = g_rand_new ();
  const char *seconds = g_getenv ("FLUID_DEMO_SECONDS");
  gboolean done = FALSE;
  guint status_id;

  /* OTP's one_for_one, with its default intensity of 3 restarts in 5 s
   * raised for a child this flaky, and a backoff from 50 ms. */
  g_object_set (service,
                "restart-strategy", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
                "max-restarts", 100,
                "max-restarts-period", 5.0,
                "restart-delay", 0.05,
                "restart-delay-max", 1.0,
                NULL);
  fluid_workers_add_child (service, FLUID_RESTART_PERMANENT, make_indexer, rand, NULL);
  fluid_workers_add_child (service, FLUID_RESTART_PERMANENT, make_web, NULL, NULL);
  g_signal_connect (service, "child-restarted", G_CALLBACK (child_restarted_cb), NULL);
  g_object_set_data (G_OBJECT (service), "done", &done);

  fluid_worker_startup_async (FLUID_WORKER (service), NULL, NULL, NULL);
  status_id = g_timeout_add_seconds (1, print_status, service);
  g_timeout_add_seconds (seconds != NULL ? (guint) g_ascii_strtoull (seconds, NULL, 10) : 5,
                         stop_service, service);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (status_id);

  g_print ("service %s, exit code %d: %s\n",
           fluid_worker_get_state (FLUID_WORKER (service)) == FLUID_WORKER_STATE_STOPPED ? "stopped" : "force-stopped",
           fluid_worker_get_exit_code (FLUID_WORKER (service)),
           fluid_worker_get_stop_reason (FLUID_WORKER (service)));
  return fluid_worker_get_exit_code (FLUID_WORKER (service));
}
