/* fluidctl-output.h: fluidctl's tables, statuses and JSON
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluidctl-tree.h"

G_BEGIN_DECLS

/* The tree below @root as a table, one worker a line; box-drawing
 * characters when @unicode. */
char *fluidctl_format_table       (FluidctlNode *root,
                                   gboolean      unicode);
/* The tree below @root as one JSON object, children nested. */
char *fluidctl_format_json_tree   (FluidctlNode *root);
/* One worker's properties and @status (its GetStatus, NULL when refused),
 * as a person reads them, or as JSON. */
char *fluidctl_format_status      (FluidctlNode *node,
                                   GVariant     *status);
char *fluidctl_format_json_status (FluidctlNode *node,
                                   GVariant     *status);
/* A job worker's jobs, ListJobs()'s a(tsdsi), as a table, or as a JSON
 * array. */
char *fluidctl_format_jobs        (FluidctlNode *node,
                                   GVariant     *jobs);
char *fluidctl_format_json_jobs   (FluidctlNode *node,
                                   GVariant     *jobs);

G_END_DECLS
