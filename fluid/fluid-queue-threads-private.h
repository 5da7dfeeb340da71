/* fluid-queue-threads-private.h: a consumer whose handler runs on threads
 * it owns
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-queue-consumer-private.h"
#include "fluid-queue-consumer-worker.h"

G_BEGIN_DECLS

/* Runs @n_threads threads, named after the worker, as the body of `run`:
 * each calls @func for the messages it takes, until the worker stops
 * (after the messages queued at the stop, with drain-on-stop, and the
 * handlers running), a failure under stop-on-failure, or the close.
 * Completes @run_task, which it takes, then. On the consumer's context. */
void fluid_queue_threads_run (FluidQueueConsumer     *consumer,
                              GTask                  *run_task,
                              guint                   n_threads,
                              FluidThreadMessageFunc  func,
                              gpointer                user_data);

G_END_DECLS
