/* fluid-job-list-private.h: the jobs of a job worker queued or running,
 * as a list model, in the order they run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "fluid-job-private.h"

G_BEGIN_DECLS

#define FLUID_TYPE_JOB_LIST (fluid_job_list_get_type ())
G_DECLARE_FINAL_TYPE (FluidJobList, fluid_job_list, FLUID, JOB_LIST, GObject)

/* All on the worker's context; each emits items-changed. */
FluidJobList *fluid_job_list_new    (void);
/* Lists @job where its state puts it: the running after those running,
 * the queued by priority, then id. Nothing when it is listed already. */
void          fluid_job_list_add    (FluidJobList *self,
                                     FluidJob     *job);
/* @job, RUNNING now, moves after those running (or is added there). */
void          fluid_job_list_start  (FluidJobList *self,
                                     FluidJob     *job);
/* @job leaves the list, if it is in it. */
void          fluid_job_list_remove (FluidJobList *self,
                                     FluidJob     *job);

G_END_DECLS
