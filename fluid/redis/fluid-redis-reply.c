/* fluid-redis-reply.c: reading the replies of the stream commands
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-reply-private.h"
#include "fluid-redis-error.h"

#include <string.h>

static gboolean
fluid_redis_reply_bad (GError     **error,
                       const char  *what)
{
  g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
               "Unexpected reply from the Redis server: %s", what);
  return FALSE;
}

static gboolean
fluid_redis_reply_is_string (const redisReply *reply)
{
  return reply != NULL &&
         (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS);
}

/* [[id, [name, value, ...] | nil], ...] */
static gboolean
fluid_redis_reply_parse_entries (const redisReply  *reply,
                                 const char        *stream,
                                 GPtrArray         *entries,
                                 GPtrArray         *deleted,
                                 GError           **error)
{
  if (reply->type != REDIS_REPLY_ARRAY)
    return fluid_redis_reply_bad (error, "entries are not an array");

  for (size_t i = 0; i < reply->elements; i++)
    {
      const redisReply *item = reply->element[i];
      const redisReply *id;
      const redisReply *fields;
      FluidRedisEntry *entry;

      if (item->type != REDIS_REPLY_ARRAY || item->elements != 2 ||
          !fluid_redis_reply_is_string (item->element[0]))
        return fluid_redis_reply_bad (error, "an entry is not [id, fields]");
      id = item->element[0];
      fields = item->element[1];
      if (fields->type == REDIS_REPLY_NIL)
        {
          g_ptr_array_add (deleted, g_strndup (id->str, id->len));
          continue;
        }
      if (fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0)
        return fluid_redis_reply_bad (error, "the fields of an entry are not pairs");
      for (size_t j = 0; j < fields->elements; j++)
        {
          if (!fluid_redis_reply_is_string (fields->element[j]))
            return fluid_redis_reply_bad (error, "a field is not a string");
        }
      entry = fluid_redis_entry_new (stream, id->str, id->len);
      for (size_t j = 0; j < fields->elements; j += 2)
        fluid_redis_entry_add_field (entry,
                                     fields->element[j]->str, fields->element[j]->len,
                                     fields->element[j + 1]->str, fields->element[j + 1]->len);
      g_ptr_array_add (entries, entry);
    }
  return TRUE;
}

gboolean
fluid_redis_reply_parse_read (const redisReply  *reply,
                              const char        *stream,
                              GPtrArray         *entries,
                              GPtrArray         *deleted,
                              GError           **error)
{
  if (reply->type == REDIS_REPLY_NIL)
    return TRUE;
  if (reply->type != REDIS_REPLY_ARRAY)
    return fluid_redis_reply_bad (error, "XREADGROUP did not return an array");
  for (size_t i = 0; i < reply->elements; i++)
    {
      const redisReply *pair = reply->element[i];

      if (pair->type != REDIS_REPLY_ARRAY || pair->elements != 2 ||
          !fluid_redis_reply_is_string (pair->element[0]))
        return fluid_redis_reply_bad (error, "XREADGROUP did not return [stream, entries]");
      if (!fluid_redis_reply_parse_entries (pair->element[1], stream, entries, deleted, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
fluid_redis_reply_parse_autoclaim (const redisReply  *reply,
                                   const char        *stream,
                                   char             **cursor,
                                   GPtrArray         *entries,
                                   GPtrArray         *deleted,
                                   GError           **error)
{
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
      !fluid_redis_reply_is_string (reply->element[0]))
    return fluid_redis_reply_bad (error, "XAUTOCLAIM did not return [cursor, entries, ...]");
  if (!fluid_redis_reply_parse_entries (reply->element[1], stream, entries, deleted, error))
    return FALSE;
  /* Redis 7 adds the ids that were deleted from the stream (and dropped
   * from the pending list); 6.2 has no third element. */
  if (reply->elements >= 3 && reply->element[2]->type == REDIS_REPLY_ARRAY)
    {
      const redisReply *ids = reply->element[2];

      for (size_t i = 0; i < ids->elements; i++)
        {
          if (fluid_redis_reply_is_string (ids->element[i]))
            g_ptr_array_add (deleted, g_strndup (ids->element[i]->str, ids->element[i]->len));
        }
    }
  *cursor = g_strndup (reply->element[0]->str, reply->element[0]->len);
  return TRUE;
}

gboolean
fluid_redis_reply_parse_pending (const redisReply  *reply,
                                 GHashTable        *counts,
                                 GError           **error)
{
  if (reply->type != REDIS_REPLY_ARRAY)
    return fluid_redis_reply_bad (error, "XPENDING did not return an array");
  for (size_t i = 0; i < reply->elements; i++)
    {
      const redisReply *item = reply->element[i];

      if (item->type != REDIS_REPLY_ARRAY || item->elements != 4 ||
          !fluid_redis_reply_is_string (item->element[0]) ||
          item->element[3]->type != REDIS_REPLY_INTEGER)
        return fluid_redis_reply_bad (error, "XPENDING did not return [id, consumer, idle, count]");
      g_hash_table_insert (counts, g_strndup (item->element[0]->str, item->element[0]->len),
                           GUINT_TO_POINTER ((guint) CLAMP (item->element[3]->integer, 0, G_MAXUINT)));
    }
  return TRUE;
}

/* The first word of an error answer is its code. Transient:
 *
 * - LOADING: a server that restarted is loading its data;
 * - BUSY: a script or a function runs past busy-reply-threshold;
 * - MASTERDOWN: a replica that lost its primary, with
 *   replica-serve-stale-data off;
 * - READONLY: a replica, such as a primary demoted by a failover;
 * - NOREPLICAS: a primary with min-replicas-to-write that has too few;
 * - TRYAGAIN, CLUSTERDOWN: a Cluster slot being moved, or without a node;
 * - UNBLOCKED: a blocked read whose key went (deleted, moved to another
 *   node) or whose server became a replica.
 *
 * BUSYGROUP, BUSYKEY and every other code are answers, not states. */
gboolean
fluid_redis_reply_error_is_transient (const char *message)
{
  static const char * const codes[] = {
    "LOADING", "BUSY", "MASTERDOWN", "READONLY", "NOREPLICAS", "TRYAGAIN", "CLUSTERDOWN",
    "UNBLOCKED",
  };
  gsize len = strcspn (message, " ");

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      if (strlen (codes[i]) == len && strncmp (message, codes[i], len) == 0)
        return TRUE;
    }
  return FALSE;
}
