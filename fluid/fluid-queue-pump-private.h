/* fluid-queue-pump-private.h: a consumer's messages handled on its
 * context, in order, every ready one in one dispatch
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-queue-consumer-private.h"
#include "fluid-queue-consumer-worker.h"

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

/* Pulled: the puller may pull (see fluid_queue_pump_pull()). From a
 * dispatch of the consumer's source, with nothing of the library's under
 * way. */
typedef void (* FluidQueuePumpReadyFunc) (FluidQueuePump *pump,
                                          gpointer        user_data);

/* Runs the pump as the body of `run`, pulled: the messages are taken by
 * the puller, which calls fluid_queue_pump_pull() until it returns
 * FLUID_PULL_END, pulling again after FLUID_PULL_WAIT once @ready told it
 * to. @ready is called first when the run begins. Completes @run_task,
 * which it takes, as fluid_queue_pump_run() does. On the consumer's
 * context. */
FluidQueuePump *fluid_queue_pump_run_pulled (FluidQueueConsumer      *consumer,
                                             GTask                   *run_task,
                                             FluidQueuePumpReadyFunc  ready,
                                             gpointer                 user_data);

/* Settles the message of the previous pull, processed unless failed, and
 * takes the next one, which stays valid until the next pull: see
 * #FluidPull. Ends `run` as it returns FLUID_PULL_END for the first time;
 * that may drop the last reference to the consumer but the caller's. On
 * the consumer's context. */
FluidPull       fluid_queue_pump_pull       (FluidQueuePump          *pump,
                                             const GValue           **message);

/* Fails the message of the previous pull with @error (taken), as
 * fluid_queue_pump_resume() does. */
void            fluid_queue_pump_fail       (FluidQueuePump          *pump,
                                             GError                  *error);

G_END_DECLS
