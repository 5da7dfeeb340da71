/* fluid-watchdog-private.h: shutting down a worker that is not fed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The watchdog implements FluidWorker's public watchdog API
 * (fluid_worker_set_watchdog() and the rest, declared in fluid-worker.h)
 * and fluid_worker_was_starved(); nothing else is shared.
 */

#pragma once

#include "fluid-worker-private.h"

G_BEGIN_DECLS

typedef struct _FluidWatchdog FluidWatchdog;

G_END_DECLS
