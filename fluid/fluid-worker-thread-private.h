/* fluid-worker-thread-private.h: the thread of a threaded function worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker-function.h"

G_BEGIN_DECLS

typedef struct _FluidWorkerThread FluidWorkerThread;

/* Called on the worker's context once the thread's loop has ended, with
 * @worker alive; @error (taken) is the body's failure, or NULL. */
typedef void (* FluidWorkerThreadDone) (FluidWorker *worker,
                                        GError      *error);

/* Starts a thread, named after @worker, that calls @func in a loop until
 * fluid_worker_thread_stop(), sleeping @heartbeat seconds between two
 * calls, then has @done called on the worker's context. NULL, with
 * @error set, when no thread could be made. On the worker's context,
 * which it has started on. */
FluidWorkerThread *fluid_worker_thread_start   (FluidWorker            *worker,
                                                double                  heartbeat,
                                                FluidThreadWorkerFunc   func,
                                                gpointer                user_data,
                                                FluidWorkerThreadDone   done,
                                                GError                **error);
/* Ends the loop: no call of the body starts after it, and the sleep
 * between two calls ends at once. Any thread. */
void               fluid_worker_thread_stop    (FluidWorkerThread      *self);
/* Drops the handle fluid_worker_thread_start() returned, never waiting for
 * the thread: one still in the body finishes on its own. On the worker's
 * context. */
void               fluid_worker_thread_release (FluidWorkerThread      *self);

/* Called by fluid_worker_gracefully_stop() and fluid_worker_fail(): when
 * the calling thread runs the body of @worker, its loop ends at once. Any
 * thread. */
void               fluid_worker_thread_stop_own (FluidWorker           *worker);

G_END_DECLS
