/* fluid-redis-stream-producer.h: adds entries to a Redis stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_REDIS_H_INSIDE__) && !defined (FLUID_REDIS_COMPILATION)
#error "Only <fluid/redis/fluid-redis.h> can be included directly."
#endif

#include <fluid/fluid.h>
#include <fluid/redis/fluid-redis-version.h>

G_BEGIN_DECLS

/**
 * FLUID_REDIS_TYPE_STREAM_PRODUCER:
 *
 * The #GType of #FluidRedisStreamProducer.
 *
 * Since: 1.2
 */
#define FLUID_REDIS_TYPE_STREAM_PRODUCER (fluid_redis_stream_producer_get_type ())

/**
 * FluidRedisStreamProducer:
 *
 * A worker that adds entries to a Redis stream; its fields are private.
 *
 * Since: 1.2
 */
FLUID_REDIS_AVAILABLE_IN_1_2
G_DECLARE_FINAL_TYPE (FluidRedisStreamProducer, fluid_redis_stream_producer,
                      FLUID_REDIS, STREAM_PRODUCER, FluidWorker)

FLUID_REDIS_AVAILABLE_IN_1_2
FluidRedisStreamProducer *fluid_redis_stream_producer_new (const char *uri,
                                                           const char *stream);

FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_producer_add_async        (FluidRedisStreamProducer  *self,
                                                          const char * const        *fields,
                                                          GCancellable              *cancellable,
                                                          GAsyncReadyCallback        callback,
                                                          gpointer                   user_data);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_producer_add_bytes_async  (FluidRedisStreamProducer  *self,
                                                          const char * const        *names,
                                                          GBytes * const            *values,
                                                          guint                      n_fields,
                                                          GCancellable              *cancellable,
                                                          GAsyncReadyCallback        callback,
                                                          gpointer                   user_data);
FLUID_REDIS_AVAILABLE_IN_1_2
char       *fluid_redis_stream_producer_add_finish       (FluidRedisStreamProducer  *self,
                                                          GAsyncResult              *result,
                                                          GError                   **error);
FLUID_REDIS_AVAILABLE_IN_1_2
char       *fluid_redis_stream_producer_add_bytes_finish (FluidRedisStreamProducer  *self,
                                                          GAsyncResult              *result,
                                                          GError                   **error);
FLUID_REDIS_AVAILABLE_IN_1_2
gboolean    fluid_redis_stream_producer_send             (FluidRedisStreamProducer  *self,
                                                          const char * const        *fields);
FLUID_REDIS_AVAILABLE_IN_1_2
gboolean    fluid_redis_stream_producer_send_bytes       (FluidRedisStreamProducer  *self,
                                                          const char * const        *names,
                                                          GBytes * const            *values,
                                                          guint                      n_fields);

FLUID_REDIS_AVAILABLE_IN_1_2
const char *fluid_redis_stream_producer_get_uri          (FluidRedisStreamProducer  *self);
FLUID_REDIS_AVAILABLE_IN_1_2
const char *fluid_redis_stream_producer_get_stream       (FluidRedisStreamProducer  *self);
FLUID_REDIS_AVAILABLE_IN_1_2
guint       fluid_redis_stream_producer_get_max_len      (FluidRedisStreamProducer  *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_producer_set_max_len      (FluidRedisStreamProducer  *self,
                                                          guint                      max_len);
FLUID_REDIS_AVAILABLE_IN_1_2
guint       fluid_redis_stream_producer_get_max_buffered (FluidRedisStreamProducer  *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_producer_set_max_buffered (FluidRedisStreamProducer  *self,
                                                          guint                      max_buffered);
FLUID_REDIS_AVAILABLE_IN_1_2
guint       fluid_redis_stream_producer_get_min_replicas (FluidRedisStreamProducer  *self);
FLUID_REDIS_AVAILABLE_IN_1_2
void        fluid_redis_stream_producer_set_min_replicas (FluidRedisStreamProducer  *self,
                                                          guint                      min_replicas);
FLUID_REDIS_AVAILABLE_IN_1_2
guint       fluid_redis_stream_producer_get_buffered     (FluidRedisStreamProducer  *self);
FLUID_REDIS_AVAILABLE_IN_1_2
guint64     fluid_redis_stream_producer_get_dropped      (FluidRedisStreamProducer  *self);
FLUID_REDIS_AVAILABLE_IN_1_2
gboolean    fluid_redis_stream_producer_is_connected     (FluidRedisStreamProducer  *self);

G_END_DECLS
