/* fluid-queue-consumer-private.h: the message pump the concrete consumers share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-queue-consumer.h"

G_BEGIN_DECLS

/* Handles @message, owned by the pump. Returns TRUE when the message was
 * handled successfully before returning; FALSE when handling goes on
 * asynchronously, in which case the handler calls
 * fluid_queue_consumer_pump_resume() once it is done (possibly before
 * returning), and @message stays valid until then. */
typedef gboolean (* FluidQueuePumpFunc) (FluidQueueConsumer *self,
                                         const GValue       *message,
                                         gpointer            user_data);

/* Runs the pump as the body of `run`: takes the queued messages one at a
 * time, in order, handing every ready message to @func within one dispatch
 * of the context, until the worker stops (after the queue is empty when
 * drain-on-stop is set). Completes @run_task, which it takes, then. */
void     fluid_queue_consumer_pump_run    (FluidQueueConsumer *self,
                                           GTask              *run_task,
                                           FluidQueuePumpFunc  func,
                                           gpointer            user_data);

/* Ends the asynchronous handling of the current message: it counts as
 * processed, or, with @error (taken), as failed: message-failed is emitted
 * and, with stop-on-failure, `run` fails with @error. Once the worker has
 * stopped, the message was counted as discarded, and this only frees it. */
void     fluid_queue_consumer_pump_resume (FluidQueueConsumer *self,
                                           GError             *error);

/* Makes the status report the `processed` key: the messages whose
 * handler completed successfully. */
void     fluid_queue_consumer_set_reports_processed (FluidQueueConsumer *self,
                                                     gboolean            reports);

guint64  fluid_queue_consumer_get_processed (FluidQueueConsumer *self);

G_END_DECLS
