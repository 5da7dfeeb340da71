/* fluid-watchdog-private.h: shutting down a worker that is not fed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker-private.h"

G_BEGIN_DECLS

typedef struct _FluidWatchdog FluidWatchdog;

/* Whether a worker that is not fed is idle rather than starved: a
 * consumer waiting for a message. Called on the worker's context. */
typedef gboolean (* FluidWorkerIdleFunc) (FluidWorker *self);

FluidWatchdog *fluid_watchdog_get    (FluidWorker   *worker);
double         fluid_watchdog_get_period (FluidWatchdog *watchdog);
void           fluid_watchdog_start  (FluidWatchdog *watchdog);
void           fluid_watchdog_stop   (FluidWatchdog *watchdog);

G_END_DECLS
