/* fluid-queue-pump-private.h: a consumer's messages handled on its
 * context, in order, every ready one in one dispatch
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-queue-consumer-private.h"

G_BEGIN_DECLS

typedef struct _FluidQueuePump FluidQueuePump;

/* Handles @message, which the pump owns. Returns TRUE when it was handled
 * successfully before returning; FALSE when handling goes on
 * asynchronously: the handler then calls fluid_queue_pump_resume() once
 * it is done, possibly before returning, and @message stays valid until
 * then. */
typedef gboolean (* FluidQueuePumpFunc) (FluidQueuePump *pump,
                                         const GValue   *message,
                                         gpointer        user_data);

/* Runs the pump as the body of `run`: hands the queued messages to @func
 * one at a time, in order, until the worker stops (after the messages
 * queued at the stop with drain-on-stop), a failure under
 * stop-on-failure, or the close. Completes @run_task, which it takes,
 * then: with TRUE, with the failure, or with G_IO_ERROR_CANCELLED once the
 * worker stopped (that result is dropped). On the consumer's context. */
FluidQueuePump *fluid_queue_pump_run    (FluidQueueConsumer *consumer,
                                         GTask              *run_task,
                                         FluidQueuePumpFunc  func,
                                         gpointer            user_data);

/* Ends the asynchronous handling of the message in hand: it counts as
 * processed, or, with @error (taken), as failed: message-failed is emitted
 * and, with stop-on-failure, the run fails with @error. Once the worker
 * has stopped, the message was counted as discarded, and this only frees
 * it. On the consumer's context. */
void            fluid_queue_pump_resume (FluidQueuePump     *pump,
                                         GError             *error);

/* A task for the handler of the message in hand: its source object is the
 * consumer, its cancellable the worker's, and completing it, with
 * g_task_return_boolean (TRUE) or g_task_return_error(), resumes the
 * pump. Completed within the handler, it calls back at once, without a
 * main-loop iteration of its own. Transfer full. */
GTask          *fluid_queue_pump_new_task (FluidQueuePump   *pump);

G_END_DECLS
