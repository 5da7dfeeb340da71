/* fluid-redis-entry.h: one entry of a Redis stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_REDIS_H_INSIDE__) && !defined (FLUID_REDIS_COMPILATION)
#error "Only <fluid/redis/fluid-redis.h> can be included directly."
#endif

#include <glib-object.h>
#include <fluid/redis/fluid-redis-version.h>

G_BEGIN_DECLS

/**
 * FLUID_REDIS_TYPE_ENTRY:
 *
 * The #GType of #FluidRedisEntry.
 *
 * Since: 1.2
 */
#define FLUID_REDIS_TYPE_ENTRY (fluid_redis_entry_get_type ())

/**
 * FluidRedisEntry:
 *
 * An entry of a Redis stream, as a #FluidRedisStreamConsumer hands it to
 * its handler: its id, how many times it was delivered, and its fields.
 * A reference-counted boxed type; its fields are private.
 *
 * Since: 1.2
 */
typedef struct _FluidRedisEntry FluidRedisEntry;

FLUID_REDIS_AVAILABLE_IN_1_2
GType            fluid_redis_entry_get_type           (void) G_GNUC_CONST;
FLUID_REDIS_AVAILABLE_IN_1_2
FluidRedisEntry *fluid_redis_entry_ref                (FluidRedisEntry *entry);
FLUID_REDIS_AVAILABLE_IN_1_2
void             fluid_redis_entry_unref              (FluidRedisEntry *entry);
FLUID_REDIS_AVAILABLE_IN_1_2
const char      *fluid_redis_entry_get_id             (FluidRedisEntry *entry);
FLUID_REDIS_AVAILABLE_IN_1_2
const char      *fluid_redis_entry_get_stream         (FluidRedisEntry *entry);
FLUID_REDIS_AVAILABLE_IN_1_2
guint            fluid_redis_entry_get_delivery_count (FluidRedisEntry *entry);
FLUID_REDIS_AVAILABLE_IN_1_2
GBytes          *fluid_redis_entry_get_field          (FluidRedisEntry *entry,
                                                       const char      *name);
FLUID_REDIS_AVAILABLE_IN_1_2
const char      *fluid_redis_entry_get_string         (FluidRedisEntry *entry,
                                                       const char      *name);
FLUID_REDIS_AVAILABLE_IN_1_2
GStrv            fluid_redis_entry_get_names          (FluidRedisEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidRedisEntry, fluid_redis_entry_unref)

G_END_DECLS
