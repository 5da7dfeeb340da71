/* fluid-redis-stream-consumer-claims.c: how a FluidRedisStreamConsumer
 * reads the entries it left pending, claims the entries idle in its
 * group, and keeps the entries it handles from being claimed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-stream-consumer-private.h"
#include "fluid-redis-error.h"
#include "fluid-redis-reply-private.h"

#include <string.h>

/* Stream ids: "ms-seq" */

static int
fluid_redis_compare_ids (const char *a,
                         const char *b)
{
  guint64 a_ms = g_ascii_strtoull (a, (char **) &a, 10);
  guint64 b_ms = g_ascii_strtoull (b, (char **) &b, 10);
  guint64 a_seq = *a == '-' ? g_ascii_strtoull (a + 1, NULL, 10) : 0;
  guint64 b_seq = *b == '-' ? g_ascii_strtoull (b + 1, NULL, 10) : 0;

  if (a_ms != b_ms)
    return a_ms < b_ms ? -1 : 1;
  if (a_seq != b_seq)
    return a_seq < b_seq ? -1 : 1;
  return 0;
}

/* Reading our own pending entries: XREADGROUP with an id (which never
 * blocks) and XPENDING over the same range for the delivery counts, as
 * one pipeline on the command connection. */

typedef struct
{
  GPtrArray  *entries;  /* FluidRedisEntry */
  GPtrArray  *deleted;  /* char * */
  GHashTable *counts;   /* id → deliveries */
  GError     *error;
} PendingBatch;

void
fluid_redis_pending_batch_free (gpointer data)
{
  PendingBatch *batch = data;

  g_ptr_array_unref (batch->entries);
  g_ptr_array_unref (batch->deleted);
  g_hash_table_unref (batch->counts);
  g_clear_error (&batch->error);
  g_free (batch);
}

static void
fluid_redis_stream_consumer_pending_read_cb (FluidRedisConnection *connection,
                                             redisReply           *reply,
                                             const GError         *error,
                                             gpointer              user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  PendingBatch *batch = priv->pending_batch;

  if (error != NULL)
    batch->error = g_error_copy (error);
  else
    fluid_redis_reply_parse_read (reply, priv->stream, batch->entries, batch->deleted, &batch->error);
}

static void
fluid_redis_stream_consumer_pending_counts_cb (FluidRedisConnection *connection,
                                               redisReply           *reply,
                                               const GError         *error,
                                               gpointer              user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  PendingBatch *batch = g_steal_pointer (&priv->pending_batch);
  const char *last = NULL;

  priv->reading = FALSE;
  if (batch->error == NULL && error != NULL)
    batch->error = g_error_copy (error);
  if (batch->error == NULL)
    fluid_redis_reply_parse_pending (reply, batch->counts, &batch->error);
  if (batch->error != NULL)
    {
      fluid_redis_stream_consumer_command_failed (self, "Reading the pending entries",
                                                  batch->error);
      fluid_redis_pending_batch_free (batch);
      fluid_redis_stream_consumer_kick (self);
      return;
    }

  /* Entries deleted from the stream while pending: nothing to handle. */
  for (guint i = 0; i < batch->deleted->len; i++)
    {
      const char *id = g_ptr_array_index (batch->deleted, i);

      if (last == NULL || fluid_redis_compare_ids (id, last) > 0)
        last = id;
      g_ptr_array_add (priv->acks, g_strdup (id));
    }
  for (guint i = 0; i < batch->entries->len; i++)
    {
      FluidRedisEntry *entry = g_ptr_array_index (batch->entries, i);
      gpointer count;

      if (last == NULL || fluid_redis_compare_ids (fluid_redis_entry_get_id (entry), last) > 0)
        last = fluid_redis_entry_get_id (entry);
      if (g_hash_table_lookup_extended (batch->counts, fluid_redis_entry_get_id (entry), NULL, &count))
        fluid_redis_entry_set_delivery_count (entry, MAX (GPOINTER_TO_UINT (count), 1));
    }
  if (last == NULL)
    {
      priv->phase = PHASE_NEW;
    }
  else
    {
      g_free (priv->pending_cursor);
      priv->pending_cursor = g_strdup (last);
    }
  for (guint i = 0; i < batch->entries->len && !priv->stopping; i++)
    fluid_redis_stream_consumer_dispatch (self, g_ptr_array_index (batch->entries, i));
  fluid_redis_pending_batch_free (batch);
  fluid_redis_stream_consumer_flush_acks (self);
  fluid_redis_stream_consumer_kick (self);
}

void
fluid_redis_stream_consumer_read_pending (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autofree char *count = g_strdup_printf ("%u", MAX (priv->batch_size, 1));
  g_autofree char *start = g_strcmp0 (priv->pending_cursor, "0") == 0 ?
                           g_strdup ("-") : g_strdup_printf ("(%s", priv->pending_cursor);
  const char *read[] = { "XREADGROUP", "GROUP", priv->group, priv->consumer, "COUNT", count,
                         "STREAMS", priv->stream, priv->pending_cursor };
  const char *pending[] = { "XPENDING", priv->stream, priv->group, start, "+", count,
                            priv->consumer };
  PendingBatch *batch;

  if (!fluid_redis_connection_command (priv->commands, 0, fluid_redis_stream_consumer_pending_read_cb,
                                       self, G_N_ELEMENTS (read), read, NULL))
    return;
  batch = g_new0 (PendingBatch, 1);
  batch->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_redis_entry_unref);
  batch->deleted = g_ptr_array_new_with_free_func (g_free);
  batch->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  priv->pending_batch = batch;
  priv->reading = TRUE;
  if (!fluid_redis_connection_command (priv->commands, 0, fluid_redis_stream_consumer_pending_counts_cb,
                                       self, G_N_ELEMENTS (pending), pending, NULL))
    {
      /* Cannot happen on a ready connection; be safe. */
      batch->error = g_error_new_literal (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION, "Not sent");
    }
}

/* Reading new entries, on the reader connection. */

static void
fluid_redis_stream_consumer_read_cb (FluidRedisConnection *connection,
                                     redisReply           *reply,
                                     const GError         *error,
                                     gpointer              user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) deleted = NULL;
  g_autoptr(GError) parse_error = NULL;

  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_redis_entry_unref);
  deleted = g_ptr_array_new_with_free_func (g_free);
  if (error != NULL ||
      !fluid_redis_reply_parse_read (reply, priv->stream, entries, deleted, &parse_error))
    {
      priv->reading = FALSE;
      fluid_redis_stream_consumer_command_failed (self, "XREADGROUP",
                                                  error != NULL ? error : parse_error);
      return;
    }
  /* Still reading while the batch is dispatched: a handler that completes
   * at once kicks the consumer, which must not read again before every
   * entry of this batch is counted as held. */
  for (guint i = 0; i < entries->len && !priv->stopping; i++)
    fluid_redis_stream_consumer_dispatch (self, g_ptr_array_index (entries, i));
  priv->reading = FALSE;
  fluid_redis_stream_consumer_kick (self);
}

void
fluid_redis_stream_consumer_read_new (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autofree char *count = g_strdup_printf ("%u", MAX (priv->batch_size, 1) -
                                                  fluid_redis_stream_consumer_held (self));
  g_autofree char *block = g_strdup_printf ("%d", FLUID_REDIS_BLOCK_MS);
  const char *read[] = { "XREADGROUP", "GROUP", priv->group, priv->consumer, "COUNT", count,
                         "BLOCK", block, "STREAMS", priv->stream, ">" };

  if (fluid_redis_connection_command (priv->reader, FLUID_REDIS_BLOCK_MS,
                                      fluid_redis_stream_consumer_read_cb,
                                      self, G_N_ELEMENTS (read), read, NULL))
    priv->reading = TRUE;
}

/* Claiming the entries idle in the group: XAUTOCLAIM, then XPENDING on
 * each claimed id for its delivery count, as one pipeline. */

typedef struct
{
  GPtrArray  *entries;  /* FluidRedisEntry */
  GHashTable *counts;
  guint       waiting;  /* XPENDING replies still to come */
  gboolean    failed;
} ClaimBatch;

void
fluid_redis_claim_batch_free (gpointer data)
{
  ClaimBatch *batch = data;

  g_ptr_array_unref (batch->entries);
  g_hash_table_unref (batch->counts);
  g_free (batch);
}


static void
fluid_redis_stream_consumer_claim_count_cb (FluidRedisConnection *connection,
                                            redisReply           *reply,
                                            const GError         *error,
                                            gpointer              user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  ClaimBatch *batch = priv->claim_batch;
  g_autoptr(GError) parse_error = NULL;
  gboolean more;

  if (error != NULL || !fluid_redis_reply_parse_pending (reply, batch->counts, &parse_error))
    {
      batch->failed = TRUE;
      fluid_redis_stream_consumer_command_failed (self, "XPENDING",
                                                  error != NULL ? error : parse_error);
    }
  if (--batch->waiting > 0)
    return;

  priv->claim_batch = NULL;
  priv->claiming = FALSE;
  if (!batch->failed)
    {
      for (guint i = 0; i < batch->entries->len && !priv->stopping; i++)
        {
          FluidRedisEntry *entry = g_ptr_array_index (batch->entries, i);
          gpointer count;

          /* Not pending any more: someone acknowledged it meanwhile. */
          if (!g_hash_table_lookup_extended (batch->counts, fluid_redis_entry_get_id (entry), NULL, &count))
            continue;
          fluid_redis_entry_set_delivery_count (entry, MAX (GPOINTER_TO_UINT (count), 1));
          priv->claimed++;
          fluid_redis_stream_consumer_dispatch (self, entry);
        }
    }
  more = !batch->failed && priv->claim_cursor != NULL && strcmp (priv->claim_cursor, "0-0") != 0;
  fluid_redis_claim_batch_free (batch);
  if (more && !priv->stopping)
    fluid_redis_stream_consumer_claim (self);
}

static void
fluid_redis_stream_consumer_claim_cb (FluidRedisConnection *connection,
                                      redisReply           *reply,
                                      const GError         *error,
                                      gpointer              user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) deleted = NULL;
  g_autofree char *cursor = NULL;
  g_autoptr(GError) parse_error = NULL;
  ClaimBatch *batch;

  priv->claiming = FALSE;
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_redis_entry_unref);
  deleted = g_ptr_array_new_with_free_func (g_free);
  if (error != NULL ||
      !fluid_redis_reply_parse_autoclaim (reply, priv->stream, &cursor, entries, deleted,
                                          &parse_error))
    {
      fluid_redis_stream_consumer_command_failed (self, "XAUTOCLAIM",
                                                  error != NULL ? error : parse_error);
      return;
    }
  g_free (priv->claim_cursor);
  priv->claim_cursor = g_steal_pointer (&cursor);

  batch = g_new0 (ClaimBatch, 1);
  batch->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_redis_entry_unref);
  batch->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < entries->len; i++)
    {
      FluidRedisEntry *entry = g_ptr_array_index (entries, i);
      const char *id = fluid_redis_entry_get_id (entry);
      const char *pending[] = { "XPENDING", priv->stream, priv->group, id, id, "1" };

      /* Ours already, being handled: claiming it only reset its idle time. */
      if (g_hash_table_contains (priv->in_flight, id))
        continue;
      if (!fluid_redis_connection_command (priv->commands, 0, fluid_redis_stream_consumer_claim_count_cb,
                                           self, G_N_ELEMENTS (pending), pending, NULL))
        break;
      g_ptr_array_add (batch->entries, fluid_redis_entry_ref (entry));
      batch->waiting++;
    }
  if (batch->waiting == 0)
    {
      fluid_redis_claim_batch_free (batch);
      if (strcmp (priv->claim_cursor, "0-0") != 0 && entries->len > 0 && !priv->stopping)
        fluid_redis_stream_consumer_claim (self);
      return;
    }
  priv->claim_batch = batch;
  priv->claiming = TRUE;
}

void
fluid_redis_stream_consumer_claim (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autofree char *idle = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) (priv->claim_idle * 1000));
  g_autofree char *count = g_strdup_printf ("%u", MAX (priv->batch_size, 1));
  const char *claim[] = { "XAUTOCLAIM", priv->stream, priv->group, priv->consumer, idle,
                          priv->claim_cursor != NULL ? priv->claim_cursor : "0-0", "COUNT", count };

  if (priv->claiming || priv->phase == PHASE_SETUP || priv->stopping ||
      !fluid_redis_connection_is_ready (priv->commands))
    return;
  if (fluid_redis_connection_command (priv->commands, 0, fluid_redis_stream_consumer_claim_cb,
                                      self, G_N_ELEMENTS (claim), claim, NULL))
    priv->claiming = TRUE;
}

static void
fluid_redis_stream_consumer_refresh_cb (FluidRedisConnection *connection,
                                        redisReply           *reply,
                                        const GError         *error,
                                        gpointer              user_data)
{
  fluid_redis_stream_consumer_command_failed (user_data, "XCLAIM", error);
}

/* The entries being handled keep their idle time low, so that no one
 * claims them from a handler that is only slow. JUSTID counts no
 * delivery. */
static void
fluid_redis_stream_consumer_refresh (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autoptr(GPtrArray) argv = NULL;
  GHashTableIter iter;
  gpointer id;

  if (g_hash_table_size (priv->in_flight) == 0 || priv->phase == PHASE_SETUP ||
      !fluid_redis_connection_is_ready (priv->commands))
    return;
  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) "XCLAIM");
  g_ptr_array_add (argv, priv->stream);
  g_ptr_array_add (argv, priv->group);
  g_ptr_array_add (argv, priv->consumer);
  g_ptr_array_add (argv, (gpointer) "0");
  g_hash_table_iter_init (&iter, priv->in_flight);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    g_ptr_array_add (argv, id);
  g_ptr_array_add (argv, (gpointer) "JUSTID");
  fluid_redis_connection_command (priv->commands, 0, fluid_redis_stream_consumer_refresh_cb, self,
                                  (int) argv->len, (const char **) argv->pdata, NULL);
}

gboolean
fluid_redis_stream_consumer_claim_timer_cb (gpointer user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  gint64 now = g_get_monotonic_time ();

  fluid_redis_stream_consumer_claim (self);
  if (now - priv->last_refresh >= (gint64) (priv->claim_idle * G_USEC_PER_SEC / 4))
    {
      priv->last_refresh = now;
      fluid_redis_stream_consumer_refresh (self);
    }
  return G_SOURCE_CONTINUE;
}

