/* fluid-redis-entry-private.h: building entries from replies
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-redis-entry.h"

G_BEGIN_DECLS

/* Entries are immutable once built; they are made and handed out on the
 * consumer's context, but any thread may hold and read one. */
FluidRedisEntry *fluid_redis_entry_new        (const char *stream,
                                               const char *id,
                                               gsize       id_len);
/* Takes a copy of @name and @value (with a NUL after the value's end, so
 * that a valid string can be returned as it is). */
void             fluid_redis_entry_add_field  (FluidRedisEntry *entry,
                                               const char      *name,
                                               gsize            name_len,
                                               const char      *value,
                                               gsize            value_len);
void             fluid_redis_entry_set_delivery_count (FluidRedisEntry *entry,
                                                       guint            count);
guint            fluid_redis_entry_get_n_fields (FluidRedisEntry *entry);
/* The @i-th field, as it came. */
const char      *fluid_redis_entry_get_nth_field (FluidRedisEntry *entry,
                                                  guint            i,
                                                  GBytes         **value);

G_END_DECLS
