/* fluid-dbus.h: workers controlled from outside the process, over D-Bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <gio/gio.h>

#include <fluid/fluid-version.h>
#include <fluid/fluid-worker.h>

G_BEGIN_DECLS

/**
 * FLUID_DBUS_WORKER_INTERFACE:
 *
 * The name of the D-Bus interface of every exported worker.
 *
 * Since: 1.2
 */
#define FLUID_DBUS_WORKER_INTERFACE "org.gnome.Fluid.Worker1"

/**
 * FLUID_DBUS_CONSUMER_INTERFACE:
 *
 * The name of the D-Bus interface an exported #FluidQueueConsumer adds.
 *
 * Since: 1.2
 */
#define FLUID_DBUS_CONSUMER_INTERFACE "org.gnome.Fluid.Consumer1"

/**
 * FLUID_DBUS_WORKERS_INTERFACE:
 *
 * The name of the D-Bus interface an exported #FluidWorkers group adds.
 *
 * Since: 1.2
 */
#define FLUID_DBUS_WORKERS_INTERFACE "org.gnome.Fluid.Workers1"

/**
 * FLUID_DBUS_JOBS_INTERFACE:
 *
 * The name of the D-Bus interface of an exported #FluidJobWorker, beside
 * %FLUID_DBUS_WORKER_INTERFACE and %FLUID_DBUS_CONSUMER_INTERFACE: its
 * jobs, queued, running and cancelled, and ListJobs().
 *
 * Since: 1.2
 */
#define FLUID_DBUS_JOBS_INTERFACE "org.gnome.Fluid.Jobs1"

FLUID_AVAILABLE_IN_1_2
gboolean  fluid_worker_export   (FluidWorker      *self,
                                 GDBusConnection  *connection,
                                 const char       *object_path,
                                 GError          **error);
FLUID_AVAILABLE_IN_1_2
void      fluid_worker_unexport (FluidWorker      *self);

G_END_DECLS
