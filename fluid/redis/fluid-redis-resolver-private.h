/* fluid-redis-resolver-private.h: the primary of a Redis Sentinel
 * service, asked of its sentinels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-redis-address-private.h"

G_BEGIN_DECLS

typedef struct _FluidRedisResolver FluidRedisResolver;

/* A resolver for the service of @address (a redis+sentinel:// URI),
 * asking each sentinel with @timeout. On the caller's thread-default
 * context. */
FluidRedisResolver *fluid_redis_resolver_new    (const FluidRedisAddress *address,
                                                 double                   timeout);
/* Asks the sentinels, from the last one that answered, for the address
 * of the primary (SENTINEL GET-MASTER-ADDR-BY-NAME); @func gets it, or
 * why no sentinel gave it. Never calls @func from inside this call. A
 * lookup replaces the one under way, which never calls back. */
void                fluid_redis_resolver_lookup (FluidRedisResolver      *self,
                                                 FluidRedisLocatedFunc    func,
                                                 gpointer                 user_data);
/* Stops a lookup under way (its callback is not called) and frees. */
void                fluid_redis_resolver_free   (FluidRedisResolver      *self);

G_END_DECLS
