/* fluid-dbus.c: workers controlled from outside the process, over D-Bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-dbus.h"
#include "fluid-dbus-private.h"
#include "fluid-dbus-node-private.h"
#include "fluid-worker-private.h"
#include "fluid-tsan-private.h"

/**
 * SECTION:fluid-dbus
 * @short_description: Workers controlled from outside the process, over D-Bus
 * @title: D-Bus export
 * @see_also: #FluidWorker, fluid_worker_run_main()
 *
 * A worker exported with fluid_worker_export() can be watched and
 * controlled from outside the process, as systemd's units are: with
 * `busctl`, `gdbus`, d-spy, or any D-Bus client.
 *
 * |[<!-- language="C" -->
 * g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
 *
 * if (bus == NULL || !fluid_worker_export (worker, bus, "/org/example/Daemon", &error))
 *   g_printerr ("Not on D-Bus: %s\n", error->message);
 * else
 *   g_bus_own_name_on_connection (bus, "org.example.Daemon", G_BUS_NAME_OWNER_FLAGS_NONE,
 *                                 NULL, NULL, NULL, NULL);
 * return fluid_worker_run_main (worker);
 * ]|
 *
 * Every exported worker has the interface `org.gnome.Fluid.Worker1`
 * (%FLUID_DBUS_WORKER_INTERFACE): the properties `Name`, `State` (the nick
 * of its #FluidWorkerState: "running"), `ExitCode` and `StopReason` (empty
 * until it stopped), and the methods `Stop()`, a graceful stop that returns
 * at once, `Shutdown()`, a graceful stop forced after the grace period that
 * returns the exit code once the worker has stopped, `GetStatus()`,
 * which returns its status as fluid_worker_status_async() does, and
 * `GetMetrics()` (since 1.2), which returns fluid_worker_collect_metrics()
 * of the worker, the text `fluidctl BUS_NAME [PATH] metrics` prints. A
 * #FluidQueueConsumer adds `org.gnome.Fluid.Consumer1`
 * (%FLUID_DBUS_CONSUMER_INTERFACE): `QueueSize`, `Processed`, `Failed` and
 * `Discarded`. The interfaces are described in introspection files
 * installed to `$datadir/dbus-1/interfaces/`.
 *
 * A #FluidWorkers group adds `org.gnome.Fluid.Workers1`
 * (%FLUID_DBUS_WORKERS_INTERFACE): `RestartStrategy`, the nick of its
 * #FluidWorkers:restart-strategy, and `Restarts`, how many times each
 * child was replaced, by name. The group's path is also an
 * `org.freedesktop.DBus.ObjectManager`: each child is an object below it,
 * at the group's path and the child's name escaped as
 * g_dbus_escape_object_path() does (`/org/example/Daemon/reader`), with the
 * interfaces above, and a child group's children below the child group,
 * at any depth. One `GetManagedObjects()` call on the exported group gives
 * the whole tree; children that join or leave the group are announced with
 * `InterfacesAdded` and `InterfacesRemoved`, and a child's replacement,
 * after a restart, takes its path. Two children of one name are told apart
 * as the group's status does it: the second is "NAME#2".
 *
 * `org.freedesktop.DBus.Properties.PropertiesChanged` is emitted on every
 * change of state, at once; the counters of a consumer change with every
 * message, and their changes are coalesced: at most ten emissions a
 * second, and the last values when it stops.
 *
 * A daemon whose main() ends with fluid_worker_run_main() answers the
 * calls that reached it before its worker stopped, and has its last
 * `PropertiesChanged` written out, before that function returns: a
 * `Stop()` that ends the daemon gets its reply.
 *
 * Anyone who may talk to the process may read the properties. A method
 * call is refused with `org.freedesktop.DBus.Error.AccessDenied` unless
 * the caller runs as the user of the process or as root; a program
 * decides otherwise (with polkit, say) with #FluidWorker::authorize-method.
 */

/* The export of a worker, as the worker's qdata: the root of its tree,
 * and where it lives. Made and dropped on @context. */
typedef struct
{
  GList            link;        /* in fluid_dbus_exports */
  FluidDBusNode   *node;
  GDBusConnection *connection;  /* a reference */
  GMainContext    *context;     /* a reference */
} FluidDBusExport;

static G_DEFINE_QUARK (fluid-dbus-export, fluid_dbus_export)

/* Every export of the process, for fluid_dbus_drain(): exports are made
 * on the contexts of their workers, on several threads, hence the lock,
 * held for nothing else. */
static GMutex fluid_dbus_exports_lock;
static GQueue fluid_dbus_exports = G_QUEUE_INIT;

/**
 * fluid_worker_export:
 * @self: a #FluidWorker
 * @connection: the #GDBusConnection to export @self on
 * @object_path: the object path to export @self at
 * @error: return location for a #GError
 *
 * Exports @self on @connection at @object_path: the interface
 * `org.gnome.Fluid.Worker1` (%FLUID_DBUS_WORKER_INTERFACE) and, for a
 * #FluidQueueConsumer, `org.gnome.Fluid.Consumer1`
 * (%FLUID_DBUS_CONSUMER_INTERFACE); a #FluidWorkers group with
 * `org.gnome.Fluid.Workers1` (%FLUID_DBUS_WORKERS_INTERFACE) and an object
 * manager, its children below it. See the section's introduction for
 * what they hold, and #FluidWorker::authorize-method for who may call
 * their methods.
 *
 * Call it on the thread-default main context @self runs on, or will run
 * on: method calls are handled and property changes emitted there. A
 * worker may be exported whatever its state, once at a time; the
 * connection keeps it alive until fluid_worker_unexport().
 *
 * Returns: %TRUE if @self was exported; %FALSE with @error set if it
 *   already is (%G_IO_ERROR_EXISTS), or if @connection refused the object
 *   path (an object of another is there, for instance)
 *
 * Since: 1.2
 */
gboolean
fluid_worker_export (FluidWorker      *self,
                     GDBusConnection  *connection,
                     const char       *object_path,
                     GError          **error)
{
  FluidDBusExport *export;
  FluidDBusNode *node;
  g_autoptr(GMainContext) context = NULL;

  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (object_path != NULL && g_variant_is_object_path (object_path), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  context = g_main_context_ref_thread_default ();
  g_return_val_if_fail (!fluid_worker_has_started (self) ||
                        fluid_worker_get_context (self) == context, FALSE);

  export = g_object_get_qdata (G_OBJECT (self), fluid_dbus_export_quark ());
  if (export != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Worker %s is already exported at %s",
                   fluid_worker_get_name (self), fluid_dbus_node_get_path (export->node));
      return FALSE;
    }

  node = fluid_dbus_node_export (self, connection, object_path, context, error);
  if (node == NULL)
    return FALSE;

  export = g_new0 (FluidDBusExport, 1);
  export->link.data = export;
  export->node = node;
  export->connection = g_object_ref (connection);
  export->context = g_steal_pointer (&context);
  fluid_mutex_lock (&fluid_dbus_exports_lock);
  g_queue_push_tail_link (&fluid_dbus_exports, &export->link);
  fluid_mutex_unlock (&fluid_dbus_exports_lock);
  g_object_set_qdata (G_OBJECT (self), fluid_dbus_export_quark (), export);
  return TRUE;
}

/**
 * fluid_worker_unexport:
 * @self: a #FluidWorker
 *
 * Takes @self off the connection fluid_worker_export() exported it on,
 * with the tree below it when it is a group, and drops the reference the
 * export held. Method calls in progress still complete. Nothing happens if
 * @self is not exported.
 *
 * Since: 1.2
 */
void
fluid_worker_unexport (FluidWorker *self)
{
  FluidDBusExport *export;

  g_return_if_fail (FLUID_IS_WORKER (self));

  export = g_object_steal_qdata (G_OBJECT (self), fluid_dbus_export_quark ());
  if (export == NULL)
    return;

  fluid_mutex_lock (&fluid_dbus_exports_lock);
  g_queue_unlink (&fluid_dbus_exports, &export->link);
  fluid_mutex_unlock (&fluid_dbus_exports_lock);
  fluid_dbus_node_free (export->node);
  g_object_unref (export->connection);
  g_main_context_unref (export->context);
  g_free (export);
}

/* Draining: what run_main waits for before the process may end
 *
 * Once run_main's worker has stopped, its exports still owe their
 * connections three things, in this order:
 *
 * 1. The method calls that reached the process before the end, but were
 *    not dispatched yet when it came: a round trip to the bus (Ping) on
 *    each bus connection, whose reply comes after every message the bus
 *    had routed to the process before it, and is dispatched on this
 *    context after them.
 * 2. The replies to the calls in progress to workers that have stopped
 *    (fluid_dbus_skeleton_owes_replies()): a Shutdown() that returns the
 *    exit code, a call waiting for the bus to tell its caller's uid.
 * 3. Every message queued so far, replies and PropertiesChanged:
 *    g_dbus_connection_flush(), after which they are in the kernel's
 *    hands, and the process may end.
 *
 * The round trips and the flushes complete on this context; a flush waits
 * in a thread of GIO's and cannot be cancelled. A time limit, or the
 * caller's cancellable, ends the wait whatever is left. */

/* Shared with the round trips and flushes in flight, which may complete
 * after fluid_dbus_drain() gave up on them. On the caller's context. */
typedef struct
{
  guint    n_pending;
  gboolean timed_out;
} FluidDBusDrain;

static gboolean
fluid_dbus_drain_timeout_cb (gpointer user_data)
{
  FluidDBusDrain *drain = user_data;

  drain->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* A round trip or a flush is over; one that failed (the connection was
 * closed or broke meanwhile) will never do better. */
static void
fluid_dbus_drain_step_done (FluidDBusDrain *drain,
                            const char     *what,
                            GError         *error)
{
  if (error != NULL)
    g_debug ("D-Bus %s: %s", what, error->message);
  drain->n_pending--;
  g_rc_box_release (drain);
}

static void
fluid_dbus_drain_pinged_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  fluid_dbus_drain_step_done (user_data, "round trip to the bus", error);
}

static void
fluid_dbus_drain_flushed_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_flush_finish (G_DBUS_CONNECTION (source), result, &error);
  fluid_dbus_drain_step_done (user_data, "flush", error);
}

static gboolean
fluid_dbus_drain_goes_on (FluidDBusDrain *drain,
                          GCancellable   *cancellable)
{
  return !drain->timed_out && !g_cancellable_is_cancelled (cancellable);
}

/* The open connections of the exports made on @context, each once. */
static GPtrArray *
fluid_dbus_exports_get_connections (GMainContext *context)
{
  GPtrArray *connections = g_ptr_array_new_with_free_func (g_object_unref);

  fluid_mutex_lock (&fluid_dbus_exports_lock);
  for (GList *l = fluid_dbus_exports.head; l != NULL; l = l->next)
    {
      FluidDBusExport *export = l->data;

      if (export->context == context && !g_dbus_connection_is_closed (export->connection) &&
          !g_ptr_array_find (connections, export->connection, NULL))
        g_ptr_array_add (connections, g_object_ref (export->connection));
    }
  fluid_mutex_unlock (&fluid_dbus_exports_lock);
  return connections;
}

void
fluid_dbus_drain (GCancellable *cancellable,
                  guint         timeout_msec)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GPtrArray) connections = fluid_dbus_exports_get_connections (context);
  FluidDBusDrain *drain;
  GSource *timeout;

  /* Nothing exported here: nothing to wait for, not even a source. */
  if (connections->len == 0 && !fluid_dbus_skeleton_owes_replies (context))
    return;

  drain = g_rc_box_new0 (FluidDBusDrain);
  timeout = g_timeout_source_new (timeout_msec);
  g_source_set_callback (timeout, fluid_dbus_drain_timeout_cb, drain, NULL);
  g_source_set_static_name (timeout, "[fluid] D-Bus drain");
  g_source_attach (timeout, context);

  for (guint i = 0; i < connections->len; i++)
    {
      GDBusConnection *connection = g_ptr_array_index (connections, i);

      /* A peer-to-peer connection has no bus to ask. */
      if (g_dbus_connection_get_unique_name (connection) == NULL)
        continue;
      drain->n_pending++;
      g_dbus_connection_call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                              "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                              G_DBUS_CALL_FLAGS_NONE, -1, NULL, fluid_dbus_drain_pinged_cb,
                              g_rc_box_acquire (drain));
    }
  /* A reply sent from a dispatch ends the iteration that dispatched it. */
  while ((drain->n_pending > 0 || fluid_dbus_skeleton_owes_replies (context)) &&
         fluid_dbus_drain_goes_on (drain, cancellable))
    g_main_context_iteration (context, TRUE);

  for (guint i = 0; i < connections->len && fluid_dbus_drain_goes_on (drain, cancellable); i++)
    {
      drain->n_pending++;
      g_dbus_connection_flush (g_ptr_array_index (connections, i), NULL,
                               fluid_dbus_drain_flushed_cb, g_rc_box_acquire (drain));
    }
  while (drain->n_pending > 0 && fluid_dbus_drain_goes_on (drain, cancellable))
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_rc_box_release (drain);
}
