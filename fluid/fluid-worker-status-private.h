/* fluid-worker-status-private.h: the default status of a worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker.h"

G_BEGIN_DECLS

/* FluidWorkerClass.status_async and status_finish, for its class_init. */
void      fluid_worker_real_status_async  (FluidWorker          *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GVariant *fluid_worker_real_status_finish (FluidWorker          *self,
                                           GAsyncResult         *result,
                                           GError              **error);

G_END_DECLS
