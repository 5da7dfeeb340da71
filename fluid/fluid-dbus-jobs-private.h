/* fluid-dbus-jobs-private.h: the org.gnome.Fluid.Jobs1 interface of an
 * exported job worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-job-worker.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GDBusInterfaceSkeleton of the jobs of @worker: its counters, coalesced
 * to ten PropertiesChanged a second, and ListJobs(). Everything happens on
 * the worker's context, which must be the export's. */
GDBusInterfaceSkeleton *fluid_dbus_jobs_new     (FluidJobWorker         *worker);
/* Stops following the worker, before the last reference is dropped. */
void                    fluid_dbus_jobs_unwatch (GDBusInterfaceSkeleton *skeleton);

G_END_DECLS
