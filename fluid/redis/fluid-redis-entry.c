/* fluid-redis-entry.c: one entry of a Redis stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-entry-private.h"

#include <string.h>

/**
 * SECTION:fluid-redis-entry
 * @short_description: An entry of a Redis stream
 * @title: FluidRedisEntry
 * @see_also: #FluidRedisStreamConsumer
 *
 * A #FluidRedisEntry is what a #FluidRedisStreamConsumer hands to its
 * handler: the entry's id (`1700000000000-0`), the number of times the
 * group delivered it (1 the first time; more when it was retried after a
 * failure, a claim or a restart), and its fields, as bytes
 * (fluid_redis_entry_get_field()) or as UTF-8 strings
 * (fluid_redis_entry_get_string(), %NULL when the value is not valid
 * UTF-8). Entries are immutable and reference counted.
 *
 * Since: 1.2
 */

struct _FluidRedisEntry
{
  gatomicrefcount  ref_count;
  char            *stream;
  char            *id;
  guint            delivery_count;
  GPtrArray       *names;   /* (element-type utf8) */
  GPtrArray       *values;  /* (element-type GBytes), a NUL after each */
};

G_DEFINE_BOXED_TYPE (FluidRedisEntry, fluid_redis_entry,
                     fluid_redis_entry_ref, fluid_redis_entry_unref)

FluidRedisEntry *
fluid_redis_entry_new (const char *stream,
                       const char *id,
                       gsize       id_len)
{
  FluidRedisEntry *entry = g_new0 (FluidRedisEntry, 1);

  g_atomic_ref_count_init (&entry->ref_count);
  entry->stream = g_strdup (stream);
  entry->id = g_strndup (id, id_len);
  entry->delivery_count = 1;
  entry->names = g_ptr_array_new_with_free_func (g_free);
  entry->values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return entry;
}

void
fluid_redis_entry_add_field (FluidRedisEntry *entry,
                             const char      *name,
                             gsize            name_len,
                             const char      *value,
                             gsize            value_len)
{
  char *copy = g_malloc (value_len + 1);

  memcpy (copy, value, value_len);
  copy[value_len] = '\0';
  g_ptr_array_add (entry->names, g_strndup (name, name_len));
  g_ptr_array_add (entry->values, g_bytes_new_take (copy, value_len));
}

void
fluid_redis_entry_set_delivery_count (FluidRedisEntry *entry,
                                      guint            count)
{
  entry->delivery_count = count;
}

guint
fluid_redis_entry_get_n_fields (FluidRedisEntry *entry)
{
  return entry->names->len;
}

const char *
fluid_redis_entry_get_nth_field (FluidRedisEntry *entry,
                                 guint            i,
                                 GBytes         **value)
{
  *value = g_ptr_array_index (entry->values, i);
  return g_ptr_array_index (entry->names, i);
}

/**
 * fluid_redis_entry_ref:
 * @entry: a #FluidRedisEntry
 *
 * Takes a reference on @entry. Thread-safe.
 *
 * Returns: (transfer full): @entry
 *
 * Since: 1.2
 */
FluidRedisEntry *
fluid_redis_entry_ref (FluidRedisEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);

  g_atomic_ref_count_inc (&entry->ref_count);
  return entry;
}

/**
 * fluid_redis_entry_unref:
 * @entry: (transfer full): a #FluidRedisEntry
 *
 * Drops a reference on @entry, freeing it with the last. Thread-safe.
 *
 * Since: 1.2
 */
void
fluid_redis_entry_unref (FluidRedisEntry *entry)
{
  g_return_if_fail (entry != NULL);

  if (!g_atomic_ref_count_dec (&entry->ref_count))
    return;
  g_free (entry->stream);
  g_free (entry->id);
  g_ptr_array_unref (entry->names);
  g_ptr_array_unref (entry->values);
  g_free (entry);
}

/**
 * fluid_redis_entry_get_id:
 * @entry: a #FluidRedisEntry
 *
 * The id the stream gave the entry, as `1700000000000-0`.
 *
 * Returns: the id
 *
 * Since: 1.2
 */
const char *
fluid_redis_entry_get_id (FluidRedisEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);

  return entry->id;
}

/**
 * fluid_redis_entry_get_stream:
 * @entry: a #FluidRedisEntry
 *
 * The name of the stream the entry comes from.
 *
 * Returns: the stream's name
 *
 * Since: 1.2
 */
const char *
fluid_redis_entry_get_stream (FluidRedisEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);

  return entry->stream;
}

/**
 * fluid_redis_entry_get_delivery_count:
 * @entry: a #FluidRedisEntry
 *
 * How many times the consumer group delivered the entry, this delivery
 * included: 1 the first time, more when it is retried.
 *
 * Returns: the delivery count, at least 1
 *
 * Since: 1.2
 */
guint
fluid_redis_entry_get_delivery_count (FluidRedisEntry *entry)
{
  g_return_val_if_fail (entry != NULL, 0);

  return entry->delivery_count;
}

static int
fluid_redis_entry_find (FluidRedisEntry *entry,
                        const char      *name)
{
  for (guint i = 0; i < entry->names->len; i++)
    {
      if (strcmp (g_ptr_array_index (entry->names, i), name) == 0)
        return (int) i;
    }
  return -1;
}

/**
 * fluid_redis_entry_get_field:
 * @entry: a #FluidRedisEntry
 * @name: the name of a field
 *
 * The value of the field @name, as the bytes the producer gave. When a
 * name appears more than once in the entry, the first wins.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL when the entry
 *   has no such field
 *
 * Since: 1.2
 */
GBytes *
fluid_redis_entry_get_field (FluidRedisEntry *entry,
                             const char      *name)
{
  int i;

  g_return_val_if_fail (entry != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  i = fluid_redis_entry_find (entry, name);
  return i < 0 ? NULL : g_ptr_array_index (entry->values, i);
}

/**
 * fluid_redis_entry_get_string:
 * @entry: a #FluidRedisEntry
 * @name: the name of a field
 *
 * The value of the field @name as a string.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL when the entry
 *   has no such field or when its value is not valid UTF-8 (or holds a NUL
 *   byte); fluid_redis_entry_get_field() gives it as bytes
 *
 * Since: 1.2
 */
const char *
fluid_redis_entry_get_string (FluidRedisEntry *entry,
                              const char      *name)
{
  GBytes *value;
  const char *data;
  gsize size;

  g_return_val_if_fail (entry != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  value = fluid_redis_entry_get_field (entry, name);
  if (value == NULL)
    return NULL;
  data = g_bytes_get_data (value, &size);
  if (size == 0)
    return "";
  if (!g_utf8_validate (data, size, NULL))
    return NULL;
  return data;
}

/**
 * fluid_redis_entry_get_names:
 * @entry: a #FluidRedisEntry
 *
 * The names of the entry's fields, in the order the producer gave them.
 *
 * Returns: (transfer full): a %NULL-terminated array of names
 *
 * Since: 1.2
 */
GStrv
fluid_redis_entry_get_names (FluidRedisEntry *entry)
{
  GStrv names;

  g_return_val_if_fail (entry != NULL, NULL);

  names = g_new0 (char *, entry->names->len + 1);
  for (guint i = 0; i < entry->names->len; i++)
    names[i] = g_strdup (g_ptr_array_index (entry->names, i));
  return names;
}
