/* fluid-dbus.c: workers controlled from outside the process, over D-Bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-dbus.h"
#include "fluid-dbus-node-private.h"
#include "fluid-worker-private.h"

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
 * returns the exit code once the worker has stopped, and `GetStatus()`,
 * which returns its status as fluid_worker_status_async() does. A
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
 * Anyone who may talk to the process may read the properties. A method
 * call is refused with `org.freedesktop.DBus.Error.AccessDenied` unless
 * the caller runs as the user of the process or as root; a program
 * decides otherwise (with polkit, say) with #FluidWorker::authorize-method.
 */

/* The export of a worker: the root of its tree, as the worker's qdata. */
static G_DEFINE_QUARK (fluid-dbus-export, fluid_dbus_export)

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
  FluidDBusNode *node;
  g_autoptr(GMainContext) context = NULL;

  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (object_path != NULL && g_variant_is_object_path (object_path), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  context = g_main_context_ref_thread_default ();
  g_return_val_if_fail (!fluid_worker_has_started (self) ||
                        fluid_worker_get_context (self) == context, FALSE);

  node = g_object_get_qdata (G_OBJECT (self), fluid_dbus_export_quark ());
  if (node != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Worker %s is already exported at %s",
                   fluid_worker_get_name (self), fluid_dbus_node_get_path (node));
      return FALSE;
    }

  node = fluid_dbus_node_export (self, connection, object_path, context, error);
  if (node == NULL)
    return FALSE;
  g_object_set_qdata (G_OBJECT (self), fluid_dbus_export_quark (), node);
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
  FluidDBusNode *node;

  g_return_if_fail (FLUID_IS_WORKER (self));

  node = g_object_steal_qdata (G_OBJECT (self), fluid_dbus_export_quark ());
  if (node != NULL)
    fluid_dbus_node_free (node);
}
