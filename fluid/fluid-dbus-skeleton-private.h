/* fluid-dbus-skeleton-private.h: one D-Bus interface of an exported worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker.h"

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  FLUID_DBUS_WORKER,
  FLUID_DBUS_CONSUMER,
  FLUID_DBUS_WORKERS,
  FLUID_DBUS_N_KINDS,
} FluidDBusKind;

typedef struct _FluidDBusNode FluidDBusNode;

/* A GDBusInterfaceSkeleton of one of the interfaces of @worker, exported
 * as part of the export of @root (@worker itself, or a group above it),
 * for @node, its place in the exported tree. Property values are read
 * from the worker when asked for, never mirrored; only the consumer's
 * counters are kept, as last emitted. Everything happens on the context
 * the export was made on. */
typedef struct _FluidDBusSkeleton FluidDBusSkeleton;

FluidDBusSkeleton *fluid_dbus_skeleton_new              (FluidDBusKind      kind,
                                                         FluidWorker       *worker,
                                                         FluidWorker       *root,
                                                         FluidDBusNode     *node);
/* Emits PropertiesChanged with @changed (a{sv}, floating or not). */
void               fluid_dbus_skeleton_emit_changed     (FluidDBusSkeleton *self,
                                                         GVariant          *changed);
/* Emits the properties named, with their current values. */
void               fluid_dbus_skeleton_emit_properties  (FluidDBusSkeleton *self,
                                                         const char        *first_name,
                                                         ...) G_GNUC_NULL_TERMINATED;
/* FLUID_DBUS_CONSUMER: emits the counters that changed since last time. */
void               fluid_dbus_skeleton_emit_counters    (FluidDBusSkeleton *self);
/* FLUID_DBUS_CONSUMER: follows the counters, from @context, until
 * unwatched (before the last reference is dropped). */
void               fluid_dbus_skeleton_watch_counters   (FluidDBusSkeleton *self,
                                                         GMainContext      *context);
void               fluid_dbus_skeleton_unwatch_counters (FluidDBusSkeleton *self);

/* Whether a method call to a worker that runs on @context and has
 * stopped is still to be answered: the answer comes from @context. Any
 * thread. */
gboolean           fluid_dbus_skeleton_owes_replies     (GMainContext      *context);

/* The interface described by the introspection file compiled in at
 * @resource: for this file's skeletons and the other interfaces of an
 * export (fluid-dbus-jobs.c). A reference. */
GDBusInterfaceInfo *fluid_dbus_load_interface_info    (const char             *resource);
/* Emits PropertiesChanged of @interface_name with @changed (a{sv},
 * floating or not) on every connection @skeleton is exported on. */
void               fluid_dbus_emit_properties_changed (GDBusInterfaceSkeleton *skeleton,
                                                       const char             *interface_name,
                                                       GVariant               *changed);
/* The nick of @value of the enum @type, as the properties and ListJobs()
 * give it; "unknown" for a value the enum does not have. */
const char         *fluid_dbus_enum_nick               (GType                   type,
                                                       int                     value);

/* From fluid-dbus-node.c: the Restarts property of a group's node. */
GVariant          *fluid_dbus_node_get_restarts         (FluidDBusNode     *node);

G_END_DECLS
