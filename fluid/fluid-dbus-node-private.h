/* fluid-dbus-node-private.h: an exported worker and, for a group, its tree
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-dbus-skeleton-private.h"

G_BEGIN_DECLS

/* Exports @worker at @path on @connection, with its interfaces; a group
 * with a GDBusObjectManagerServer at @path, its children below it, nested
 * groups nesting, the tree following the group. Everything it does
 * afterwards happens on @context, the thread-default one of the caller.
 * NULL with @error set if the connection refused the path. */
FluidDBusNode *fluid_dbus_node_export   (FluidWorker      *worker,
                                         GDBusConnection  *connection,
                                         const char       *path,
                                         GMainContext     *context,
                                         GError          **error);
/* Takes the tree off the connection and frees it. */
void           fluid_dbus_node_free     (FluidDBusNode    *node);
const char    *fluid_dbus_node_get_path (FluidDBusNode    *node);

G_END_DECLS
