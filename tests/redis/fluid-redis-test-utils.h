/* fluid-redis-test-utils.h: private redis-servers for the tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <fluid/redis/fluid-redis.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

/* A redis-server of its own for a test: listening on a unix socket in a
 * temporary folder (and, with FLUID_TEST_REDIS_TCP, on a free port of
 * 127.0.0.1, for what needs TCP: replication, Sentinel, Cluster), with its
 * data there, waited for by PING, stopped by fluid_test_redis_free() or
 * when the test process dies (PR_SET_PDEATHSIG). NULL when redis-server
 * is not installed. */
typedef struct _FluidTestRedis FluidTestRedis;

typedef enum
{
  FLUID_TEST_REDIS_UNIX     = 0,
  FLUID_TEST_REDIS_TCP      = 1 << 0,
  FLUID_TEST_REDIS_SENTINEL = 1 << 1,  /* redis-server --sentinel (TCP) */
  FLUID_TEST_REDIS_CLUSTER  = 1 << 2,  /* cluster-enabled, a bus port of its own (TCP) */
} FluidTestRedisFlags;

/* g_test_init(), then the log captured, the workers' warnings (the
 * outages the tests cause, the errors they end with) counted by the tests
 * that look for them and fatal to none. */
void            fluid_test_redis_init        (int    *argc,
                                              char ***argv);

/* AOF on, appendfsync always. */
FluidTestRedis *fluid_test_redis_new         (void);
/* The same with another appendfsync policy ("everysec", Redis's default
 * with AOF, for the benchmarks). */
FluidTestRedis *fluid_test_redis_new_with_fsync (const char *appendfsync);
/* No persistence unless @config (lines of redis.conf, or NULL) asks. */
FluidTestRedis *fluid_test_redis_new_full    (FluidTestRedisFlags  flags,
                                              const char          *config);
const char     *fluid_test_redis_get_uri     (FluidTestRedis *redis);
/* redis://127.0.0.1:PORT, for a TCP server. */
const char     *fluid_test_redis_get_tcp_uri (FluidTestRedis *redis);
int             fluid_test_redis_get_port    (FluidTestRedis *redis);
const char     *fluid_test_redis_get_socket  (FluidTestRedis *redis);
const char     *fluid_test_redis_get_dir     (FluidTestRedis *redis);
/* Stops the server (SIGTERM, waited for) and starts it again on the same
 * socket, port and data: what was written is still there. */
void            fluid_test_redis_stop        (FluidTestRedis *redis);
void            fluid_test_redis_start       (FluidTestRedis *redis);
/* Starts it and returns once it answers PING with anything: PONG, or
 * LOADING while it loads its data. */
void            fluid_test_redis_start_loading (FluidTestRedis *redis);
/* SIGKILL, waited for. */
void            fluid_test_redis_kill        (FluidTestRedis *redis);
gboolean        fluid_test_redis_is_running  (FluidTestRedis *redis);
/* A blocking client, for the tests' own checks. */
redisContext   *fluid_test_redis_connect     (FluidTestRedis *redis);
/* Runs a command (printf-like, as redisCommand) and returns its integer
 * reply, or -1 for another reply. */
long long       fluid_test_redis_integer     (FluidTestRedis *redis,
                                              const char     *format,
                                              ...);
/* Runs a command and returns its reply as text (a string, a status, an
 * error, an integer), NULL for another. */
char           *fluid_test_redis_string      (FluidTestRedis *redis,
                                              const char     *format,
                                              ...);
void            fluid_test_redis_free        (FluidTestRedis *redis);

/* Skips the test (g_test_skip) and returns NULL when redis-server is
 * missing. */
FluidTestRedis *fluid_test_redis_new_or_skip (void);

/* fluid_test_free_port(): fluid-test-utils.h. */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidTestRedis, fluid_test_redis_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (redisContext, redisFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (redisReply, freeReplyObject)

G_END_DECLS
