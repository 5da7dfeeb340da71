/* fluid-run-main.h: a worker as the main() of a daemon or an application
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

FLUID_AVAILABLE_IN_1_2
int   fluid_worker_run_main         (FluidWorker  *self);
FLUID_AVAILABLE_IN_1_2
void  fluid_worker_hold_application (FluidWorker  *self,
                                     GApplication *app);

G_END_DECLS
