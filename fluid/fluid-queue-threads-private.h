/* fluid-queue-threads-private.h: a consumer whose handler runs on threads
 * it owns
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-queue-consumer-private.h"
#include "fluid-queue-consumer-worker.h"

G_BEGIN_DECLS

typedef struct _FluidQueueThreads FluidQueueThreads;

FluidQueueThreads *fluid_queue_threads_new            (FluidQueueConsumer        *consumer,
                                                       guint                      n_threads,
                                                       FluidThreadMessageFunc     func,
                                                       gpointer                   user_data);
void               fluid_queue_threads_start          (FluidQueueThreads         *threads);
gboolean           fluid_queue_threads_ready          (FluidQueueThreads         *threads,
                                                       gboolean                   stop_on_failure,
                                                       GError                   **error);
guint64            fluid_queue_threads_take_processed_locked (FluidQueueThreads  *threads);
void               fluid_queue_threads_wake_locked    (FluidQueueThreads         *threads);
gboolean           fluid_queue_threads_is_idle_locked (FluidQueueThreads         *threads);
void               fluid_queue_threads_close_locked   (FluidQueueThreads         *threads,
                                                       FluidQueueConsumerPrivate *priv,
                                                       GQueue                    *failures);
void               fluid_queue_threads_tell_failures  (FluidQueueConsumer        *consumer,
                                                       GQueue                    *failures,
                                                       GError                   **error);
void               fluid_queue_threads_stop           (FluidQueueThreads         *threads);

G_END_DECLS
