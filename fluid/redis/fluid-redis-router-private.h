/* fluid-redis-router-private.h: the Redis Cluster node that serves a key
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-redis-address-private.h"

G_BEGIN_DECLS

/* The hash slot of @key (CRC16 of the key, or of its hash tag: what is
 * between the first { and the next }, when not empty, modulo 16384). */
guint             fluid_redis_key_slot            (const char              *key,
                                                   gsize                    len);

typedef struct _FluidRedisRouter FluidRedisRouter;

/* A router for @key in the Cluster of @address (a redis+cluster:// URI),
 * asking each node with @timeout. On the caller's thread-default
 * context. */
FluidRedisRouter *fluid_redis_router_new          (const FluidRedisAddress *address,
                                                   const char              *key,
                                                   double                   timeout);
/* The node to connect to for the key: the one the last redirection named
 * when there was one since the last lookup, else the primary of the key's
 * slot as a node of the Cluster says (CLUSTER SLOTS). Never calls @func
 * from inside this call. A lookup replaces the one under way, which never
 * calls back. */
void              fluid_redis_router_lookup       (FluidRedisRouter        *self,
                                                   FluidRedisLocatedFunc    func,
                                                   gpointer                 user_data);
/* Reads an error answer of @from: TRUE when it is a redirection (MOVED
 * or ASK), which the next lookup follows. */
gboolean          fluid_redis_router_redirect     (FluidRedisRouter        *self,
                                                   const FluidRedisNode    *from,
                                                   const char              *message);
/* Stops a lookup under way (its callback is not called) and frees. */
void              fluid_redis_router_free         (FluidRedisRouter        *self);

G_END_DECLS
