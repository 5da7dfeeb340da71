/* fluid-redis-error.h: the errors of libfluid-glib-redis
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_REDIS_H_INSIDE__) && !defined (FLUID_REDIS_COMPILATION)
#error "Only <fluid/redis/fluid-redis.h> can be included directly."
#endif

#include <fluid/redis/fluid-redis-version.h>

G_BEGIN_DECLS

/**
 * FLUID_REDIS_ERROR:
 *
 * The #GError domain of libfluid-glib-redis.
 *
 * Since: 1.2
 */
#define FLUID_REDIS_ERROR (fluid_redis_error_quark ())

/**
 * FluidRedisError:
 * @FLUID_REDIS_ERROR_FAILED: a generic failure: a consumer without a
 *   stream or a group, or whose dead-letter stream hashes to another slot
 *   of a Redis Cluster than its stream
 * @FLUID_REDIS_ERROR_INVALID_URI: the `uri` property is not a Redis address
 *   this library understands (`redis://host:port/db`, `unix:///path`,
 *   `redis+sentinel://host:port,…/SERVICE` or `redis+cluster://host:port,…`)
 * @FLUID_REDIS_ERROR_CONNECTION: the server cannot be reached, the
 *   connection was lost, or the server answered that it cannot serve the
 *   command now (`LOADING`, `BUSY`, `READONLY` after a failover…); such
 *   errors are retried, never end a worker, and are shown in the
 *   `last_error` key of the status and in the one warning logged per
 *   outage (an add with #FluidRedisStreamProducer:min-replicas fails with
 *   it when no primary took the entry in time)
 * @FLUID_REDIS_ERROR_TIMEOUT: the server did not answer a command in time
 *   (#FluidRedisStreamConsumer:command-timeout); the connection is dropped
 *   and made again
 * @FLUID_REDIS_ERROR_PROTOCOL: what answered is not a Redis server (it does
 *   not speak RESP, or does not answer `PING` with `PONG`)
 * @FLUID_REDIS_ERROR_NO_STREAM: the stream does not exist and
 *   #FluidRedisStreamConsumer:create-stream is %FALSE
 * @FLUID_REDIS_ERROR_SERVER: the server refused a command (its answer is
 *   in the message): a key that is not a stream, a password refused…
 * @FLUID_REDIS_ERROR_NOT_REPLICATED: fewer replicas than
 *   #FluidRedisStreamProducer:min-replicas confirmed that they hold an
 *   entry within #FluidRedisStreamProducer:command-timeout; the primary
 *   may hold it
 *
 * The errors of libfluid-glib-redis.
 *
 * Since: 1.2
 */
typedef enum
{
  FLUID_REDIS_ERROR_FAILED,
  FLUID_REDIS_ERROR_INVALID_URI,
  FLUID_REDIS_ERROR_CONNECTION,
  FLUID_REDIS_ERROR_TIMEOUT,
  FLUID_REDIS_ERROR_PROTOCOL,
  FLUID_REDIS_ERROR_NO_STREAM,
  FLUID_REDIS_ERROR_SERVER,
  FLUID_REDIS_ERROR_NOT_REPLICATED,
} FluidRedisError;

FLUID_REDIS_AVAILABLE_IN_1_2
GQuark fluid_redis_error_quark (void);

G_END_DECLS
