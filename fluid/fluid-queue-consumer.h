/* fluid-queue-consumer.h: an abstract worker fed through a thread-safe queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <fluid/fluid-worker.h>

G_BEGIN_DECLS

/**
 * FLUID_TYPE_QUEUE_CONSUMER:
 *
 * The #GType of #FluidQueueConsumer.
 *
 * Since: 1.0
 */
#define FLUID_TYPE_QUEUE_CONSUMER (fluid_queue_consumer_get_type ())

/**
 * FluidQueueConsumer:
 *
 * The abstract base of workers fed by a queue of messages; its fields are private.
 *
 * Since: 1.0
 */
FLUID_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (FluidQueueConsumer, fluid_queue_consumer, FLUID, QUEUE_CONSUMER, FluidWorker)

/**
 * FluidQueueConsumerClass:
 * @parent_class: the parent class
 *
 * The class structure of #FluidQueueConsumer. Subclasses implement the
 * `run_async` virtual method of #FluidWorkerClass, in which they take
 * messages with fluid_queue_consumer_get_message_async().
 *
 * Since: 1.0
 */
struct _FluidQueueConsumerClass
{
  FluidWorkerClass parent_class;

  /*< private >*/
  gpointer padding[12];
};

FLUID_AVAILABLE_IN_1_0
void      fluid_queue_consumer_send               (FluidQueueConsumer   *self,
                                                   const GValue         *message);
FLUID_AVAILABLE_IN_1_0
void      fluid_queue_consumer_send_string        (FluidQueueConsumer   *self,
                                                   const char           *message);
FLUID_AVAILABLE_IN_1_0
void      fluid_queue_consumer_send_object        (FluidQueueConsumer   *self,
                                                   gpointer              message);
FLUID_AVAILABLE_IN_1_0
void      fluid_queue_consumer_send_variant       (FluidQueueConsumer   *self,
                                                   GVariant             *message);

FLUID_AVAILABLE_IN_1_2
gboolean  fluid_queue_consumer_try_send           (FluidQueueConsumer   *self,
                                                   const GValue         *message);
FLUID_AVAILABLE_IN_1_2
void      fluid_queue_consumer_send_async         (FluidQueueConsumer   *self,
                                                   const GValue         *message,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
FLUID_AVAILABLE_IN_1_2
gboolean  fluid_queue_consumer_send_finish        (FluidQueueConsumer   *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
FLUID_AVAILABLE_IN_1_2
guint     fluid_queue_consumer_get_max_queue_size (FluidQueueConsumer   *self);
FLUID_AVAILABLE_IN_1_2
void      fluid_queue_consumer_set_max_queue_size (FluidQueueConsumer   *self,
                                                   guint                 max_queue_size);

FLUID_AVAILABLE_IN_1_0
guint     fluid_queue_consumer_get_queue_size     (FluidQueueConsumer   *self);
FLUID_AVAILABLE_IN_1_0
guint64   fluid_queue_consumer_get_discarded      (FluidQueueConsumer   *self);
FLUID_AVAILABLE_IN_1_2
guint64   fluid_queue_consumer_get_processed      (FluidQueueConsumer   *self);
FLUID_AVAILABLE_IN_1_2
guint64   fluid_queue_consumer_get_failed         (FluidQueueConsumer   *self);

FLUID_AVAILABLE_IN_1_0
gboolean  fluid_queue_consumer_get_drain_on_stop  (FluidQueueConsumer   *self);
FLUID_AVAILABLE_IN_1_0
void      fluid_queue_consumer_set_drain_on_stop  (FluidQueueConsumer   *self,
                                                   gboolean              drain_on_stop);

FLUID_AVAILABLE_IN_1_2
gboolean  fluid_queue_consumer_get_stop_on_failure (FluidQueueConsumer  *self);
FLUID_AVAILABLE_IN_1_2
void      fluid_queue_consumer_set_stop_on_failure (FluidQueueConsumer  *self,
                                                    gboolean             stop_on_failure);

FLUID_AVAILABLE_IN_1_0
void      fluid_queue_consumer_get_message_async  (FluidQueueConsumer   *self,
                                                   double                timeout,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
FLUID_AVAILABLE_IN_1_0
GValue   *fluid_queue_consumer_get_message_finish (FluidQueueConsumer   *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
