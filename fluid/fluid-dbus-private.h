/* fluid-dbus-private.h: what FluidWorker needs of its D-Bus export
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker.h"

G_BEGIN_DECLS

/* Adds FluidWorker::authorize-method; from fluid_worker_class_init(). */
void  fluid_worker_class_init_dbus (FluidWorkerClass *klass);

G_END_DECLS
