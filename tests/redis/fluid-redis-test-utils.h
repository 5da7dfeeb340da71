/* fluid-redis-test-utils.h: a private redis-server for the tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <fluid/redis/fluid-redis.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

/* A redis-server of its own for a test: listening on a unix socket in a
 * temporary folder only (port 0), with its data there (AOF on,
 * appendfsync always), waited for by PING, stopped by
 * fluid_test_redis_free() or when the test process dies
 * (PR_SET_PDEATHSIG). NULL when redis-server is not installed. */
typedef struct _FluidTestRedis FluidTestRedis;

FluidTestRedis *fluid_test_redis_new         (void);
/* The same with another appendfsync policy ("everysec", Redis's default
 * with AOF, for the benchmarks). */
FluidTestRedis *fluid_test_redis_new_with_fsync (const char *appendfsync);
const char     *fluid_test_redis_get_uri     (FluidTestRedis *redis);
const char     *fluid_test_redis_get_socket  (FluidTestRedis *redis);
const char     *fluid_test_redis_get_dir     (FluidTestRedis *redis);
/* Stops the server (SIGTERM, waited for) and starts it again on the same
 * socket and data: what was written is still there. */
void            fluid_test_redis_stop        (FluidTestRedis *redis);
void            fluid_test_redis_start       (FluidTestRedis *redis);
/* A blocking client, for the tests' own checks. */
redisContext   *fluid_test_redis_connect     (FluidTestRedis *redis);
/* Runs a command (printf-like, as redisCommand) and returns its integer
 * reply, or -1 for another reply. */
long long       fluid_test_redis_integer     (FluidTestRedis *redis,
                                              const char     *format,
                                              ...);
void            fluid_test_redis_free        (FluidTestRedis *redis);

/* Skips the test (g_test_skip) and returns NULL when redis-server is
 * missing. */
FluidTestRedis *fluid_test_redis_new_or_skip (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidTestRedis, fluid_test_redis_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (redisContext, redisFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (redisReply, freeReplyObject)

G_END_DECLS
