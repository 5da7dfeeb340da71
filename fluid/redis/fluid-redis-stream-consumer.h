/* fluid-redis-stream-consumer.h: a worker that consumes a Redis stream as
 * a member of a consumer group
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_REDIS_H_INSIDE__) && !defined (FLUID_REDIS_COMPILATION)
#error "Only <fluid/redis/fluid-redis.h> can be included directly."
#endif

#include <fluid/fluid.h>
#include <fluid/redis/fluid-redis-version.h>
#include <fluid/redis/fluid-redis-entry.h>

G_BEGIN_DECLS

/**
 * FLUID_REDIS_TYPE_STREAM_CONSUMER:
 *
 * The #GType of #FluidRedisStreamConsumer.
 *
 * Since: 1.2
 */
#define FLUID_REDIS_TYPE_STREAM_CONSUMER (fluid_redis_stream_consumer_get_type ())

/**
 * FluidRedisStreamConsumer:
 *
 * A worker that consumes a Redis stream in a consumer group; its fields
 * are private.
 *
 * Since: 1.2
 */
FLUID_REDIS_AVAILABLE_IN_1_2
G_DECLARE_DERIVABLE_TYPE (FluidRedisStreamConsumer, fluid_redis_stream_consumer,
                          FLUID_REDIS, STREAM_CONSUMER, FluidWorker)

/**
 * FluidRedisEntryFunc:
 * @consumer: the consumer
 * @entry: the entry to handle
 * @user_data: the data given with the function
 * @error: return location for an error
 *
 * Handles one entry of the stream, on the consumer's context. An entry
 * whose handler returns %TRUE is acknowledged; one whose handler fails
 * stays pending, to be retried after #FluidRedisStreamConsumer:claim-idle.
 *
 * Returns: %TRUE when the entry was handled, %FALSE with @error set if not
 *
 * Since: 1.2
 */
typedef gboolean (* FluidRedisEntryFunc) (FluidRedisStreamConsumer  *consumer,
                                          FluidRedisEntry           *entry,
                                          gpointer                   user_data,
                                          GError                   **error);

/**
 * FluidRedisStreamConsumerClass:
 * @parent_class: the parent class
 * @handle_async: handles one entry; the default calls the
 *   #FluidRedisEntryFunc given to fluid_redis_stream_consumer_new(), and
 *   fails when there is none. Several entries may be handled at once (up to
 *   #FluidRedisStreamConsumer:batch-size).
 * @handle_finish: finishes @handle_async: %TRUE to acknowledge the entry
 *
 * The class structure of #FluidRedisStreamConsumer.
 *
 * Since: 1.2
 */
struct _FluidRedisStreamConsumerClass
{
  FluidWorkerClass parent_class;

  void      (* handle_async)  (FluidRedisStreamConsumer  *self,
                               FluidRedisEntry           *entry,
                               GCancellable              *cancellable,
                               GAsyncReadyCallback        callback,
                               gpointer                   user_data);
  gboolean  (* handle_finish) (FluidRedisStreamConsumer  *self,
                               GAsyncResult              *result,
                               GError                   **error);

  /*< private >*/
  gpointer padding[12];
};

FLUID_REDIS_AVAILABLE_IN_1_2
FluidRedisStreamConsumer *fluid_redis_stream_consumer_new (const char           *uri,
                                                           const char           *stream,
                                                           const char           *group,
                                                           FluidRedisEntryFunc   func,
                                                           gpointer              user_data,
                                                           GDestroyNotify        destroy);

FLUID_REDIS_AVAILABLE_IN_1_2
const char *fluid_redis_stream_consumer_get_uri                (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_uri                (FluidRedisStreamConsumer *self,
                                                                const char               *uri);
FLUID_REDIS_AVAILABLE_IN_1_2
const char *fluid_redis_stream_consumer_get_stream             (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_stream             (FluidRedisStreamConsumer *self,
                                                                const char               *stream);
FLUID_REDIS_AVAILABLE_IN_1_2
const char *fluid_redis_stream_consumer_get_group              (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_group              (FluidRedisStreamConsumer *self,
                                                                const char               *group);
FLUID_REDIS_AVAILABLE_IN_1_2
const char *fluid_redis_stream_consumer_get_consumer           (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_consumer           (FluidRedisStreamConsumer *self,
                                                                const char               *consumer);
FLUID_REDIS_AVAILABLE_IN_1_2
guint       fluid_redis_stream_consumer_get_batch_size         (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_batch_size         (FluidRedisStreamConsumer *self,
                                                                guint                     batch_size);
FLUID_REDIS_AVAILABLE_IN_1_2
double      fluid_redis_stream_consumer_get_claim_idle         (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_claim_idle         (FluidRedisStreamConsumer *self,
                                                                double                    seconds);
FLUID_REDIS_AVAILABLE_IN_1_2
guint       fluid_redis_stream_consumer_get_max_deliveries     (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_max_deliveries     (FluidRedisStreamConsumer *self,
                                                                guint                     max_deliveries);
FLUID_REDIS_AVAILABLE_IN_1_2
const char *fluid_redis_stream_consumer_get_dead_letter_stream (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_dead_letter_stream (FluidRedisStreamConsumer *self,
                                                                const char               *stream);
FLUID_REDIS_AVAILABLE_IN_1_2
gboolean    fluid_redis_stream_consumer_get_create_stream      (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_create_stream      (FluidRedisStreamConsumer *self,
                                                                gboolean                  create_stream);
FLUID_REDIS_AVAILABLE_IN_1_2
double      fluid_redis_stream_consumer_get_command_timeout    (FluidRedisStreamConsumer *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_consumer_set_command_timeout    (FluidRedisStreamConsumer *self,
                                                                double                    seconds);
FLUID_REDIS_AVAILABLE_IN_1_2
gboolean    fluid_redis_stream_consumer_is_connected           (FluidRedisStreamConsumer *self);

G_END_DECLS
