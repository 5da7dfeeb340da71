/* fluid-async-consumer.h: a queue consumer that dispatches each message
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <fluid/fluid-queue-consumer.h>
#include <fluid/fluid-async-dispatcher.h>

G_BEGIN_DECLS

/**
 * FLUID_TYPE_ASYNC_CONSUMER:
 *
 * The #GType of #FluidAsyncConsumer.
 *
 * Since: 1.0
 */
#define FLUID_TYPE_ASYNC_CONSUMER (fluid_async_consumer_get_type ())

/**
 * FluidAsyncConsumer:
 *
 * A queue consumer that dispatches each message through a #FluidAsyncDispatcher; its fields are private.
 *
 * Since: 1.0
 */
FLUID_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (FluidAsyncConsumer, fluid_async_consumer, FLUID, ASYNC_CONSUMER, FluidQueueConsumer)

FLUID_AVAILABLE_IN_1_0
FluidWorker          *fluid_async_consumer_new            (FluidAsyncDispatcher *dispatcher) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
FluidAsyncDispatcher *fluid_async_consumer_get_dispatcher (FluidAsyncConsumer   *self);

G_END_DECLS
