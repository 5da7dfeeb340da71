/* fluid-worker-cancellable-private.h: a worker's own cancellable
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Called on the cancelling thread (any thread), with a reference on
 * @worker, when the cancellable is cancelled and its worker still lives. */
typedef void (* FluidWorkerCancelledFunc) (GObject *worker);

GCancellable *fluid_worker_cancellable_new    (GObject                  *worker,
                                               FluidWorkerCancelledFunc  cancelled);
/* The worker is being disposed: the cancellable, which may outlive it in
 * someone's hands, forgets it. */
void          fluid_worker_cancellable_forget (GCancellable             *cancellable);

G_END_DECLS
