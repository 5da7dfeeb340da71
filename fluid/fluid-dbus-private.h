/* fluid-dbus-private.h: what the rest of the library needs of the D-Bus
 * export
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker.h"

G_BEGIN_DECLS

/* Registers FluidWorker::authorize-method, with
 * fluid_worker_real_authorize_method() as its class handler; from
 * fluid_worker_class_init(), until the class registers its signal itself
 * (the D-Bus export only emits it, found by name). */
void  fluid_worker_class_init_dbus (FluidWorkerClass *klass);

G_END_DECLS
