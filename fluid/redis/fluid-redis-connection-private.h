/* fluid-redis-connection-private.h: one connection to a Redis server, on a
 * GMainContext, with a timeout per command and reconnection with backoff
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <hiredis/hiredis.h>

#include "fluid-redis-address-private.h"

G_BEGIN_DECLS

typedef struct _FluidRedisConnection FluidRedisConnection;

/* Called with the reply of a command, or with @error (and @reply NULL):
 * FLUID_REDIS_ERROR_SERVER with the server's message when it refused the
 * command; FLUID_REDIS_ERROR_CONNECTION or _TIMEOUT when the connection
 * went before the answer. A transient answer (LOADING, BUSY, READONLY…:
 * fluid_redis_reply_error_is_transient()) or a Cluster redirection (MOVED,
 * ASK) is not a refusal: the connection goes, to be made again where and
 * when it can be served, and its commands fail with
 * FLUID_REDIS_ERROR_CONNECTION, the message saying why. Never called from
 * inside fluid_redis_connection_command(), nor after
 * fluid_redis_connection_free(). */
typedef void (* FluidRedisReplyFunc) (FluidRedisConnection *connection,
                                      redisReply           *reply,
                                      const GError         *error,
                                      gpointer              user_data);

/* Called when the connection becomes ready (@ready TRUE: it answered the
 * handshake) or is lost (@ready FALSE, @error says why; a reconnection is
 * then scheduled, with backoff, unless the connection was made with
 * FLUID_REDIS_CONNECTION_ONCE). A lost connection has already failed its
 * commands when this is called. @error is FLUID_REDIS_ERROR_CONNECTION or
 * _TIMEOUT for what waiting mends, _PROTOCOL (not Redis) or _SERVER (the
 * server refused the handshake: a password, a Cluster URI for a server
 * without Cluster) for what it does not. */
typedef void (* FluidRedisStateFunc) (FluidRedisConnection *connection,
                                      gboolean              ready,
                                      const GError         *error,
                                      gpointer              user_data);

typedef enum
{
  FLUID_REDIS_CONNECTION_NONE = 0,
  /* Connect once: a failure or a loss is final (for short questions). */
  FLUID_REDIS_CONNECTION_ONCE = 1 << 0,
} FluidRedisConnectionFlags;

/* Everything runs on the thread-default context of the caller: the
 * connection and its commands belong to that context's thread.
 *
 * Where it connects follows @address's topology: its one server; the
 * primary of its service, asked of its sentinels before each connection
 * and checked with ROLE; the Cluster node of @key's hash slot (@key: the
 * key every command of the connection names; NULL for other topologies),
 * found with CLUSTER SLOTS and followed through MOVED and ASK. */
FluidRedisConnection *fluid_redis_connection_new      (const FluidRedisAddress  *address,
                                                       const char               *key,
                                                       const char               *name,
                                                       double                    command_timeout,
                                                       FluidRedisConnectionFlags flags,
                                                       FluidRedisStateFunc       state_func,
                                                       gpointer                  user_data);
/* Starts connecting; after a loss, reconnects on its own until freed. */
void      fluid_redis_connection_start     (FluidRedisConnection *connection);
gboolean  fluid_redis_connection_is_ready  (FluidRedisConnection *connection);
/* Sends a command; FALSE (and @func is never called) when the connection
 * is not ready. @extra_ms adds to the command timeout (for BLOCK, WAIT). */
gboolean  fluid_redis_connection_command   (FluidRedisConnection *connection,
                                            guint                 extra_ms,
                                            FluidRedisReplyFunc   func,
                                            gpointer              user_data,
                                            int                   argc,
                                            const char          **argv,
                                            const size_t         *argv_len);
/* The same, for a command already in RESP form. */
gboolean  fluid_redis_connection_command_formatted (FluidRedisConnection *connection,
                                                    FluidRedisReplyFunc   func,
                                                    gpointer              user_data,
                                                    const char           *command,
                                                    gsize                 len);
/* Closes the connection; no callback is called any more. Not from inside
 * one of the connection's own callbacks. */
void      fluid_redis_connection_free      (FluidRedisConnection *connection);

/* The backoff before the @attempt-th reconnection (0: the first), in
 * seconds: 0.05 × 2^attempt, at most 5, ±20 % of jitter. */
double    fluid_redis_backoff_delay        (guint                 attempt);

G_END_DECLS
