/* fluid-redis-connection-private.h: one connection to a Redis server, on a
 * GMainContext, with a timeout per command and reconnection with backoff
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

/* Where the server is, and who we are to it: parsed from
 * redis://[[user]:password@]host[:port][/db] or
 * unix:///path[?db=N][&user=U][&password=P]. */
typedef struct
{
  char *host;       /* NULL for a unix socket */
  int   port;
  char *path;       /* the unix socket, or NULL */
  int   db;
  char *user;       /* NULL: the default user */
  char *password;   /* NULL: no AUTH */
} FluidRedisAddress;

gboolean  fluid_redis_address_parse (const char         *uri,
                                     FluidRedisAddress  *address,
                                     GError            **error);
void      fluid_redis_address_clear (FluidRedisAddress  *address);

/* @uri as messages and logs may quote it: without its password, nor its
 * query (where a unix:// URI carries one). Of a URI that does not parse,
 * what stands between "//" and the last '@' is left out. */
char     *fluid_redis_uri_without_password (const char *uri);

typedef struct _FluidRedisConnection FluidRedisConnection;

/* Called with the reply of a command, or with @error (and @reply NULL)
 * when the server answered with an error, or the connection was lost or
 * timed out before it answered. Never called from inside
 * fluid_redis_connection_command(), nor after fluid_redis_connection_free(). */
typedef void (* FluidRedisReplyFunc) (FluidRedisConnection *connection,
                                      redisReply           *reply,
                                      const GError         *error,
                                      gpointer              user_data);

/* Called when the connection becomes ready (@ready TRUE: it answered PING
 * and SELECT) or is lost (@ready FALSE, @error says why; a reconnection is
 * then scheduled, with backoff). A lost connection has already failed its
 * commands when this is called. */
typedef void (* FluidRedisStateFunc) (FluidRedisConnection *connection,
                                      gboolean              ready,
                                      const GError         *error,
                                      gpointer              user_data);

/* Everything runs on @context, the thread-default context of the caller:
 * the connection and its commands belong to that context's thread. */
FluidRedisConnection *fluid_redis_connection_new      (const FluidRedisAddress *address,
                                                       const char              *name,
                                                       double                   command_timeout,
                                                       FluidRedisStateFunc      state_func,
                                                       gpointer                 user_data);
/* Starts connecting; after a loss, reconnects on its own until freed. */
void      fluid_redis_connection_start     (FluidRedisConnection *connection);
gboolean  fluid_redis_connection_is_ready  (FluidRedisConnection *connection);
guint     fluid_redis_connection_get_n_pending (FluidRedisConnection *connection);
/* Sends a command; FALSE (and @func is never called) when the connection
 * is not ready. @extra_ms adds to the command timeout (for BLOCK). */
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
/* Drops the connection now (its commands fail with @error) and reconnects
 * after the backoff. */
void      fluid_redis_connection_drop      (FluidRedisConnection *connection,
                                            const GError         *error);
/* Closes the connection; no callback is called any more. */
void      fluid_redis_connection_free      (FluidRedisConnection *connection);

/* The backoff before the @attempt-th reconnection (0: the first), in
 * seconds: 0.05 × 2^attempt, at most 5, ±20 % of jitter. */
double    fluid_redis_backoff_delay        (guint                 attempt);

G_END_DECLS
