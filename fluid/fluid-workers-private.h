/* fluid-workers-private.h: what the library's other files ask of a group
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-workers.h"

G_BEGIN_DECLS

/* The key of the child at @position: its name in the group's status, the
 * last element of its object path on D-Bus and its key in the group's
 * Restarts property, so that a name means the same child everywhere.
 * Unique among the group's children, and kept by the child's position
 * (across its replacements) until it leaves the group. On the group's
 * context. */
const char *fluid_workers_get_child_key (FluidWorkers *self,
                                         guint         position);

/* The add_metrics virtual method (fluid-workers-metrics.c): each child's
 * fluid_worker_restarts_total, then the child, under its key. */
void        fluid_workers_add_metrics   (FluidWorker  *worker,
                                         FluidMetrics *metrics,
                                         const char   *path);

G_END_DECLS
