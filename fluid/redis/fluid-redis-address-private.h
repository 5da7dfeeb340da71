/* fluid-redis-address-private.h: where the Redis servers of a URI are
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How the servers of a URI are found. */
typedef enum
{
  FLUID_REDIS_TOPOLOGY_SERVER,    /* redis://, unix://: one server */
  FLUID_REDIS_TOPOLOGY_SENTINEL,  /* redis+sentinel://: the primary of a service */
  FLUID_REDIS_TOPOLOGY_CLUSTER,   /* redis+cluster://: the node of a key's slot */
} FluidRedisTopology;

/* One server: a host (a name or an address) and a port, or a unix
 * socket. */
typedef struct
{
  char *host;  /* NULL for a unix socket */
  int   port;
  char *path;  /* the unix socket, or NULL */
} FluidRedisNode;

/* A URI parsed: redis://[[user]:password@]host[:port][/db],
 * unix:///path[?db=N][&user=U][&password=P],
 * redis+sentinel://[user:password@]host:port[,host:port…]/SERVICE[?db=N],
 * redis+cluster://[user:password@]host:port[,host:port…]. */
typedef struct
{
  FluidRedisTopology  topology;
  FluidRedisNode      node;      /* SERVER: the server; otherwise unset */
  GArray             *seeds;     /* FluidRedisNode: the sentinels, or the
                                  * cluster nodes first asked; NULL for SERVER */
  char               *service;   /* SENTINEL: the name the sentinels monitor */
  int                 db;        /* always 0 in a Cluster */
  char               *user;      /* NULL: the default user */
  char               *password;  /* NULL: no AUTH */
} FluidRedisAddress;

gboolean  fluid_redis_address_parse (const char               *uri,
                                     FluidRedisAddress        *address,
                                     GError                  **error);
void      fluid_redis_address_copy  (const FluidRedisAddress  *address,
                                     FluidRedisAddress        *copy);
void      fluid_redis_address_clear (FluidRedisAddress        *address);

void      fluid_redis_node_copy     (const FluidRedisNode     *node,
                                     FluidRedisNode           *copy);
void      fluid_redis_node_clear    (FluidRedisNode           *node);
gboolean  fluid_redis_node_equal    (const FluidRedisNode     *a,
                                     const FluidRedisNode     *b);
/* A TCP port, 1 to 65535, all of @text. */
gboolean  fluid_redis_parse_port    (const char               *text,
                                     int                      *port);
/* @uri as messages and logs may quote it: without its password, nor its
 * query (where a unix:// URI carries one). Of a URI that does not parse,
 * what stands between "//" and the last '@' is left out. */
char     *fluid_redis_uri_without_password (const char *uri);

/* "host:port" or the socket's path, for messages. */
char     *fluid_redis_node_to_string (const FluidRedisNode    *node);

/* Where a Sentinel resolver or a Cluster router says to connect: @node,
 * with ASKING before each command when @asking (a Cluster node importing
 * the key's slot), or @error (FLUID_REDIS_ERROR_CONNECTION when asking
 * again later may succeed, another code when it will not). */
typedef void (* FluidRedisLocatedFunc) (const FluidRedisNode *node,
                                        gboolean              asking,
                                        const GError         *error,
                                        gpointer              user_data);

G_END_DECLS
