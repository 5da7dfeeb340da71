/* fluid-workers-metrics.c: what a group adds to its metrics
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FluidWorkers' add_metrics virtual method (see fluid-metrics.c): on the
 * group's context, as the collection is.
 */

#include "fluid-workers-private.h"
#include "fluid-supervisor-private.h"
#include "fluid-metrics-private.h"

#include <string.h>

/* Each child's replacements, then the child and what is below it, under
 * its key: the name D-Bus and the status give it. */
void
fluid_workers_add_metrics (FluidWorker  *worker,
                           FluidMetrics *metrics,
                           const char   *path)
{
  FluidWorkers *self = FLUID_WORKERS (worker);
  GString *child_path = g_string_new (path);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self)); i++)
    {
      FluidChildSlot *slot = fluid_workers_get_slot (self, i);

      g_string_truncate (child_path, strlen (path));
      g_string_append_c (child_path, '/');
      g_string_append (child_path, fluid_workers_get_child_key (self, i));
      fluid_metrics_add_sample (metrics, FLUID_METRIC_WORKER_RESTARTS, child_path->str, NULL, NULL,
                                slot->spec != NULL ? slot->spec->restarts : 0);
      fluid_metrics_add_worker (metrics, slot->child, child_path->str);
    }
  g_string_free (child_path, TRUE);
}
