/* fluid-redis-test-seen.c: what the tests' entry handlers saw, and what
 * the workers' status says
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-seen.h"
#include "fluid-test-utils.h"

#include <string.h>

FluidTestSeen *
fluid_test_seen_new (void)
{
  FluidTestSeen *seen = g_new0 (FluidTestSeen, 1);

  seen->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  seen->deliveries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  seen->data = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return seen;
}

void
fluid_test_seen_free (FluidTestSeen *seen)
{
  g_hash_table_unref (seen->counts);
  g_hash_table_unref (seen->deliveries);
  g_hash_table_unref (seen->data);
  g_free (seen->last_text);
  g_free (seen);
}

/* How many times @key was counted in @counts. */
static guint
fluid_test_seen_times (GHashTable *counts,
                       const char *key)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, key));
}

void
fluid_test_seen_record (FluidTestSeen   *seen,
                        FluidRedisEntry *entry)
{
  const char *id = fluid_redis_entry_get_id (entry);
  GBytes *data = fluid_redis_entry_get_field (entry, "data");

  seen->calls++;
  g_hash_table_insert (seen->counts, g_strdup (id),
                       GUINT_TO_POINTER (fluid_test_seen_times (seen->counts, id) + 1));
  g_hash_table_insert (seen->deliveries, g_strdup (id),
                       GUINT_TO_POINTER (fluid_redis_entry_get_delivery_count (entry)));
  g_free (seen->last_text);
  seen->last_text = g_strdup (fluid_redis_entry_get_string (entry, "data"));
  if (seen->last_text != NULL)
    {
      guint times = fluid_test_seen_times (seen->data, seen->last_text);

      g_hash_table_insert (seen->data, g_strdup (seen->last_text), GUINT_TO_POINTER (times + 1));
    }
  seen->last_time = g_get_monotonic_time ();
  seen->text_was_null = seen->last_text == NULL;
  seen->data_size = data != NULL ? g_bytes_get_size (data) : 0;
}

gboolean
fluid_test_seen_handler (FluidRedisStreamConsumer *consumer,
                         FluidRedisEntry          *entry,
                         gpointer                  user_data,
                         GError                  **error)
{
  FluidTestSeen *seen = user_data;

  fluid_test_seen_record (seen, entry);
  if (seen->fail)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "poison");
      return FALSE;
    }
  return TRUE;
}

guint
fluid_test_seen_duplicates (FluidTestSeen *seen)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, seen->data);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n += GPOINTER_TO_UINT (value) > 1;
  return n;
}

guint
fluid_test_seen_max (FluidTestSeen *seen)
{
  GHashTableIter iter;
  gpointer value;
  guint max = 0;

  g_hash_table_iter_init (&iter, seen->counts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    max = MAX (max, GPOINTER_TO_UINT (value));
  return max;
}

/* @key of the worker's status, in @value as @format says; FALSE when
 * the status has none. */
static gboolean
fluid_test_status_lookup (FluidWorker *worker,
                          const char  *key,
                          const char  *format,
                          gpointer     value)
{
  g_autoptr(GVariant) status = fluid_test_status (worker);

  return g_variant_lookup (status, key, format, value);
}

guint
fluid_test_status_u (FluidWorker *worker,
                     const char  *key)
{
  guint value = G_MAXUINT;

  g_assert_true (fluid_test_status_lookup (worker, key, "u", &value));
  return value;
}

gboolean
fluid_test_status_b (FluidWorker *worker,
                     const char  *key)
{
  gboolean value = FALSE;

  g_assert_true (fluid_test_status_lookup (worker, key, "b", &value));
  return value;
}

char *
fluid_test_status_s (FluidWorker *worker,
                     const char  *key)
{
  char *value = NULL;

  fluid_test_status_lookup (worker, key, "s", &value);
  return value;
}

gboolean
fluid_test_has_status_s (FluidWorker *worker,
                         const char  *key)
{
  g_autofree char *value = fluid_test_status_s (worker, key);

  return value != NULL;
}

gboolean
fluid_test_last_error_has (FluidWorker *worker,
                           const char  *text)
{
  g_autofree char *last_error = fluid_test_status_s (worker, "last_error");

  return last_error != NULL && strstr (last_error, text) != NULL;
}

void
fluid_test_start_worker (FluidWorker *worker)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_no_error (error);
}

void
fluid_test_stop_worker (FluidWorker *worker)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, 0);
}

void
fluid_test_send (FluidRedisStreamProducer *producer,
                 const char               *prefix,
                 guint                     n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *data = g_strdup_printf ("%s-%u", prefix, i);
      const char *fields[] = { "data", data, NULL };

      g_assert_true (fluid_redis_stream_producer_send (producer, fields));
    }
}

void
fluid_test_xadd (FluidTestRedis *redis,
                 const char     *stream,
                 guint           n)
{
  g_autoptr(redisContext) c = fluid_test_redis_connect (redis);

  for (guint i = 0; i < n; i++)
    redisAppendCommand (c, "XADD %s * data entry-%u", stream, i);
  for (guint i = 0; i < n; i++)
    {
      redisReply *reply = NULL;

      g_assert_cmpint (redisGetReply (c, (void **) &reply), ==, REDIS_OK);
      g_assert_cmpint (reply->type, ==, REDIS_REPLY_STRING);
      freeReplyObject (reply);
    }
}

long long
fluid_test_group_pending (FluidTestRedis *redis,
                          const char     *stream,
                          const char     *group)
{
  g_autoptr(redisContext) c = fluid_test_redis_connect (redis);
  g_autoptr(redisReply) reply = redisCommand (c, "XPENDING %s %s", stream, group);

  g_assert_nonnull (reply);
  g_assert_cmpint (reply->type, ==, REDIS_REPLY_ARRAY);
  return reply->element[0]->integer;
}


/* The feeder */

typedef struct
{
  FluidTestFeeder *feeder;
  char            *data;
} FeederAdd;

static void
fluid_test_feeder_added_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  FeederAdd *add = user_data;
  g_autoptr(GError) error = NULL;
  FluidRedisStreamProducer *producer = FLUID_REDIS_STREAM_PRODUCER (source);
  g_autofree char *id = fluid_redis_stream_producer_add_finish (producer, result, &error);

  add->feeder->waiting--;
  if (id != NULL)
    g_hash_table_add (add->feeder->added, g_steal_pointer (&add->data));
  else if (g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_NOT_REPLICATED))
    add->feeder->not_replicated++;
  else
    add->feeder->failed++;
  g_free (add->data);
  g_free (add);
}

static gboolean
fluid_test_feeder_tick_cb (gpointer user_data)
{
  FluidTestFeeder *feeder = user_data;

  for (guint i = 0; i < feeder->per_tick && feeder->waiting < 200; i++)
    {
      FeederAdd *add = g_new0 (FeederAdd, 1);
      const char *fields[] = { "data", NULL, NULL };

      add->feeder = feeder;
      add->data = g_strdup_printf ("feed-%u", feeder->next++);
      fields[1] = add->data;
      feeder->waiting++;
      fluid_redis_stream_producer_add_async (feeder->producer, fields, NULL,
                                             fluid_test_feeder_added_cb, add);
    }
  return G_SOURCE_CONTINUE;
}

FluidTestFeeder *
fluid_test_feeder_new (FluidRedisStreamProducer *producer,
                       guint                     per_tick)
{
  FluidTestFeeder *feeder = g_new0 (FluidTestFeeder, 1);

  feeder->producer = g_object_ref (producer);
  feeder->per_tick = per_tick;
  feeder->added = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  feeder->timer = g_timeout_source_new (1);
  g_source_set_callback (feeder->timer, fluid_test_feeder_tick_cb, feeder, NULL);
  g_source_attach (feeder->timer, g_main_context_get_thread_default ());
  return feeder;
}

void
fluid_test_feeder_stop (FluidTestFeeder *feeder)
{
  if (feeder->timer != NULL)
    {
      g_source_destroy (feeder->timer);
      g_clear_pointer (&feeder->timer, g_source_unref);
    }
  fluid_test_wait_until (feeder->waiting == 0);
}

guint
fluid_test_feeder_lost (FluidTestFeeder *feeder,
                        FluidTestSeen   *seen)
{
  GHashTableIter iter;
  gpointer data;
  guint lost = 0;

  g_hash_table_iter_init (&iter, feeder->added);
  while (g_hash_table_iter_next (&iter, &data, NULL))
    lost += !g_hash_table_contains (seen->data, data);
  return lost;
}

void
fluid_test_feeder_free (FluidTestFeeder *feeder)
{
  fluid_test_feeder_stop (feeder);
  g_object_unref (feeder->producer);
  g_hash_table_unref (feeder->added);
  g_free (feeder);
}

/* Memory */

gboolean
fluid_test_count_handler (FluidRedisStreamConsumer  *consumer,
                          FluidRedisEntry           *entry,
                          gpointer                   user_data,
                          GError                   **error)
{
  (*(guint *) user_data)++;
  return TRUE;
}

gint64
fluid_test_run_rounds (FluidRedisStreamConsumer *consumer,
                       const guint              *handled,
                       guint                     rounds,
                       guint                     per_round)
{
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  gsize warm = 0;

  producer = fluid_redis_stream_producer_new (fluid_redis_stream_consumer_get_uri (consumer),
                                              fluid_redis_stream_consumer_get_stream (consumer));
  fluid_redis_stream_producer_set_max_buffered (producer, 0);
  fluid_redis_stream_producer_set_max_len (producer, 2 * per_round);
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_start_worker (FLUID_WORKER (producer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  for (guint round = 0; round < rounds; round++)
    {
      for (guint i = 0; i < per_round; i++)
        {
          const char *fields[] = { "data", "x", NULL };

          fluid_redis_stream_producer_send (producer, fields);
        }
      fluid_test_wait_until (*handled == per_round * (round + 1));
      if (round == 1)
        warm = fluid_test_proc_status_bytes ("VmRSS");
    }
  fluid_test_wait_until (fluid_test_status_uint64 (FLUID_WORKER (consumer), "acked") ==
                         rounds * per_round);
  fluid_test_stop_worker (FLUID_WORKER (producer));
  fluid_test_stop_worker (FLUID_WORKER (consumer));
  /* The set may shrink too: signed. */
  return (gint64) fluid_test_proc_status_bytes ("VmRSS") - (gint64) warm;
}
