/* test-redis.c: FluidRedisStreamConsumer, FluidRedisStreamProducer and
 * FluidRedisEntry against a redis-server of the test's own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-utils.h"
#include "fluid-redis-test-seen.h"
#include "fluid-test-utils.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

static FluidRedisStreamConsumer *
consumer_new (FluidTestRedis *redis,
              const char     *stream,
              const char     *name,
              FluidTestSeen           *seen)
{
  const char *uri = fluid_test_redis_get_uri (redis);
  FluidRedisStreamConsumer *consumer = NULL;

  consumer = fluid_redis_stream_consumer_new (uri, stream, "workers", fluid_test_seen_handler, seen,
                                              NULL);

  fluid_redis_stream_consumer_set_consumer (consumer, name);
  return consumer;
}

/* Entries added before and after the start are each handled once and
 * acknowledged; the status says so. */
static void
test_consume (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(GError) error = NULL;

  if (redis == NULL)
    return;
  consumer = consumer_new (redis, "jobs", "c1", seen);
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  /* The group exists once connected and set up: the entries added now are
   * new to it. */
  fluid_test_wait_until (fluid_test_redis_integer (redis, "EXISTS jobs") == 1);
  fluid_test_xadd (redis, "jobs", 250);
  fluid_test_wait_until (fluid_test_status_uint64 (FLUID_WORKER (consumer), "acked") == 250);
  g_assert_cmpuint (g_hash_table_size (seen->counts), ==, 250);
  g_assert_cmpuint (fluid_test_seen_max (seen), ==, 1);
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (consumer), "pending"), ==, 0);
  g_assert_true (fluid_test_status_b (FLUID_WORKER (consumer), "connected"));
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (consumer), "reconnects"), ==, 0);
  g_assert_cmpstr (seen->last_text, ==, "entry-249");
  g_assert_cmpint (fluid_test_group_pending (redis, "jobs", "workers"), ==, 0);

  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (consumer)), ==, 0);
}

/* Its metrics: the entries acked, the connection; promtool accepts them. */
static void
test_metrics (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autofree char *text = NULL;

  if (redis == NULL)
    return;
  consumer = consumer_new (redis, "jobs", "c1", seen);
  fluid_worker_set_name (FLUID_WORKER (consumer), "redis \"jobs\"");
  text = fluid_worker_collect_metrics (FLUID_WORKER (consumer));
  g_assert_nonnull (strstr (text, "fluid_redis_connected{worker=\"redis \\\"jobs\\\"\"} 0\n"));
  fluid_test_assert_promtool_accepts (text);
  g_clear_pointer (&text, g_free);

  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), NULL));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  fluid_test_wait_until (fluid_test_redis_integer (redis, "EXISTS jobs") == 1);
  fluid_test_xadd (redis, "jobs", 20);
  fluid_test_wait_until (fluid_test_status_uint64 (FLUID_WORKER (consumer), "acked") == 20);
  text = fluid_worker_collect_metrics (FLUID_WORKER (consumer));
  fluid_test_assert_promtool_accepts (text);
  g_assert_nonnull (strstr (text, "fluid_redis_entries_total{worker=\"redis \\\"jobs\\\"\",outcome=\"acked\"} 20\n"));
  g_assert_nonnull (strstr (text, "fluid_redis_entries_total{worker=\"redis \\\"jobs\\\"\",outcome=\"dead_lettered\"} 0\n"));
  g_assert_nonnull (strstr (text, "fluid_redis_connected{worker=\"redis \\\"jobs\\\"\"} 1\n"));
  g_assert_nonnull (strstr (text, "fluid_redis_reconnects_total{worker=\"redis \\\"jobs\\\"\"} 0\n"));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), NULL));
}

static void
add_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  char **id = user_data;
  g_autoptr(GError) error = NULL;

  *id = fluid_redis_stream_producer_add_finish (FLUID_REDIS_STREAM_PRODUCER (source), result, &error);
  g_assert_no_error (error);
}

/* The producer's add returns the id; send delivers; a field that is not
 * UTF-8 reaches the handler as bytes, and as a NULL string. */
static void
test_producer (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  const char *fields[] = { "data", "hello", "other", "x", NULL };
  const char *names[] = { "data" };
  g_autoptr(GBytes) binary = g_bytes_new_static ("\xff\xfe\0z", 4);
  GBytes *values[] = { binary };

  if (redis == NULL)
    return;
  producer = fluid_redis_stream_producer_new (fluid_test_redis_get_uri (redis), "jobs");
  fluid_redis_stream_producer_set_max_len (producer, 1000);
  /* Held before the start, sent once connected. */
  g_assert_true (fluid_redis_stream_producer_send (producer, fields));
  g_assert_cmpuint (fluid_redis_stream_producer_get_buffered (producer), ==, 1);
  consumer = consumer_new (redis, "jobs", "c1", seen);
  /* The group reads from its creation on: create it first. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  fluid_test_wait_until (fluid_test_redis_integer (redis, "EXISTS jobs") == 1);

  g_assert_true (fluid_test_startup (FLUID_WORKER (producer), &error));
  g_assert_no_error (error);
  fluid_test_wait_until (seen->calls == 1);
  g_assert_cmpstr (seen->last_text, ==, "hello");

  fluid_redis_stream_producer_add_async (producer, fields, NULL, add_cb, &id);
  g_assert_null (id);
  fluid_test_wait_until (id != NULL);
  g_assert_true (strchr (id, '-') != NULL);
  fluid_test_wait_until (g_hash_table_contains (seen->counts, id));

  g_assert_true (fluid_redis_stream_producer_send_bytes (producer, names, values, 1));
  fluid_test_wait_until (seen->calls == 3);
  g_assert_true (seen->text_was_null);
  g_assert_cmpuint (seen->data_size, ==, 4);
  /* The consumer may see it before the producer has its reply. */
  fluid_test_wait_until (fluid_test_status_uint64 (FLUID_WORKER (producer), "sent") == 3);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (producer), "dropped"), ==, 0);

  g_assert_true (fluid_test_shutdown (FLUID_WORKER (producer), &error));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
  /* A stopped producer drops and counts. */
  g_assert_false (fluid_redis_stream_producer_send (producer, fields));
  g_assert_cmpuint (fluid_redis_stream_producer_get_dropped (producer), ==, 1);
}

/* A handler that always fails: the entry is retried after claim-idle,
 * delivered max-deliveries times, then dead-lettered and acknowledged. */
static void
test_poison (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(redisContext) c = NULL;
  g_autoptr(redisReply) reply = NULL;
  gboolean found_id = FALSE;

  if (redis == NULL)
    return;
  consumer = consumer_new (redis, "jobs", "c1", seen);
  seen->fail = TRUE;
  fluid_redis_stream_consumer_set_claim_idle (consumer, 0.1);
  fluid_redis_stream_consumer_set_max_deliveries (consumer, 3);
  fluid_test_log_capture_reset ();
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  fluid_test_wait_until (fluid_test_redis_integer (redis, "EXISTS jobs") == 1);
  fluid_test_xadd (redis, "jobs", 1);
  fluid_test_wait_until (fluid_test_status_uint64 (FLUID_WORKER (consumer), "dead_lettered") == 1);
  g_assert_cmpuint (seen->calls, ==, 3);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (consumer), "failed"), ==, 3);
  /* What the status and the dead-letter stream report is logged at debug
   * level only: a line per failure would bury the operator's warnings. */
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_DEBUG, "",
                                          "*: entry * of jobs failed (delivery *"), ==, 3);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_DEBUG, "",
                                          "*: entry * of jobs delivered 3 times, moved to *"),
                    ==, 1);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_MESSAGE, "*", "*"), ==, 0);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "*", "*"), ==, 0);
  g_assert_cmpint (fluid_test_group_pending (redis, "jobs", "workers"), ==, 0);
  g_assert_cmpint (fluid_test_redis_integer (redis, "XLEN jobs:dead"), ==, 1);

  c = fluid_test_redis_connect (redis);
  reply = redisCommand (c, "XRANGE jobs:dead - +");
  g_assert_cmpint (reply->type, ==, REDIS_REPLY_ARRAY);
  g_assert_cmpuint (reply->elements, ==, 1);
  for (size_t i = 0; i + 1 < reply->element[0]->element[1]->elements; i += 2)
    {
      redisReply *name = reply->element[0]->element[1]->element[i];
      redisReply *value = reply->element[0]->element[1]->element[i + 1];

      if (g_str_equal (name->str, "fluid-id"))
        found_id = g_hash_table_contains (seen->counts, value->str);
      /* Handled max-deliveries times; the next delivery dead-lettered it. */
      if (g_str_equal (name->str, "fluid-deliveries"))
        g_assert_cmpstr (value->str, ==, "3");
    }
  g_assert_true (found_id);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
}

/* A consumer that restarts under its name takes back its pending entries
 * first, with their delivery counts; a graceful stop left them pending. */
static void
test_own_pending_first (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) first_seen = fluid_test_seen_new ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) first = NULL;
  g_autoptr(FluidRedisStreamConsumer) again = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer value;

  if (redis == NULL)
    return;
  first = consumer_new (redis, "jobs", "c1", first_seen);
  first_seen->fail = TRUE;
  g_assert_true (fluid_test_startup (FLUID_WORKER (first), &error));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (first));
  fluid_test_wait_until (fluid_test_redis_integer (redis, "EXISTS jobs") == 1);
  fluid_test_xadd (redis, "jobs", 20);
  fluid_test_wait_until (first_seen->calls == 20);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (first), &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_test_group_pending (redis, "jobs", "workers"), ==, 20);

  again = consumer_new (redis, "jobs", "c1", seen);
  g_assert_true (fluid_test_startup (FLUID_WORKER (again), &error));
  fluid_test_wait_until (fluid_test_status_uint64 (FLUID_WORKER (again), "acked") == 20);
  g_assert_cmpuint (seen->calls, ==, 20);
  g_hash_table_iter_init (&iter, seen->deliveries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_assert_cmpuint (GPOINTER_TO_UINT (value), ==, 2);
  g_assert_cmpint (fluid_test_group_pending (redis, "jobs", "workers"), ==, 0);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (again), &error));
}

/* A consumer whose handler takes longer than claim-idle, asynchronously,
 * beside another consumer of the group: no entry is handled twice. */

#define SLOW_TYPE_CONSUMER (slow_consumer_get_type ())
G_DECLARE_FINAL_TYPE (SlowConsumer, slow_consumer, SLOW, CONSUMER, FluidRedisStreamConsumer)

struct _SlowConsumer
{
  FluidRedisStreamConsumer parent_instance;
  FluidTestSeen                    *seen;
  guint                    delay_ms;
};

G_DEFINE_FINAL_TYPE (SlowConsumer, slow_consumer, FLUID_REDIS_TYPE_STREAM_CONSUMER)

static gboolean
slow_done_cb (gpointer user_data)
{
  GTask *task = user_data;

  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
slow_consumer_handle_async (FluidRedisStreamConsumer *consumer,
                            FluidRedisEntry          *entry,
                            GCancellable             *cancellable,
                            GAsyncReadyCallback       callback,
                            gpointer                  user_data)
{
  SlowConsumer *self = SLOW_CONSUMER (consumer);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, slow_consumer_handle_async);
  fluid_test_seen_record (self->seen, entry);
  g_timeout_add_full (G_PRIORITY_DEFAULT, self->delay_ms, slow_done_cb, task, g_object_unref);
}

static gboolean
slow_consumer_handle_finish (FluidRedisStreamConsumer  *consumer,
                             GAsyncResult              *result,
                             GError                   **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
slow_consumer_class_init (SlowConsumerClass *klass)
{
  FLUID_REDIS_STREAM_CONSUMER_CLASS (klass)->handle_async = slow_consumer_handle_async;
  FLUID_REDIS_STREAM_CONSUMER_CLASS (klass)->handle_finish = slow_consumer_handle_finish;
}

static void
slow_consumer_init (SlowConsumer *self)
{
}

static void
test_slow_handler (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidTestSeen) other_seen = fluid_test_seen_new ();
  g_autoptr(SlowConsumer) slow = NULL;
  g_autoptr(FluidRedisStreamConsumer) other = NULL;
  g_autoptr(GError) error = NULL;

  if (redis == NULL)
    return;
  slow = g_object_new (SLOW_TYPE_CONSUMER, "uri", fluid_test_redis_get_uri (redis),
                       "stream", "jobs", "group", "workers", "consumer", "slow",
                       "claim-idle", 0.3, "batch-size", 5, NULL);
  slow->seen = seen;
  slow->delay_ms = 1200;
  g_assert_true (fluid_test_startup (FLUID_WORKER (slow), &error));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (FLUID_REDIS_STREAM_CONSUMER (slow)));
  fluid_test_wait_until (fluid_test_redis_integer (redis, "EXISTS jobs") == 1);
  fluid_test_xadd (redis, "jobs", 5);
  fluid_test_wait_until (seen->calls == 5);

  /* Started once the slow one holds every entry. */
  other = consumer_new (redis, "jobs", "other", other_seen);
  fluid_redis_stream_consumer_set_claim_idle (other, 0.3);
  g_assert_true (fluid_test_startup (FLUID_WORKER (other), &error));
  fluid_test_wait_until (fluid_test_status_uint64 (FLUID_WORKER (slow), "acked") == 5);
  g_assert_cmpuint (other_seen->calls, ==, 0);
  g_assert_cmpuint (fluid_test_seen_max (seen), ==, 1);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (other), "claimed"), ==, 0);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (other), &error));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (slow), &error));
  g_assert_no_error (error);
}

/* A graceful stop lets a running handler finish and acknowledges it. */
static void
test_graceful_stop (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(SlowConsumer) slow = NULL;
  g_autoptr(GError) error = NULL;

  if (redis == NULL)
    return;
  slow = g_object_new (SLOW_TYPE_CONSUMER, "uri", fluid_test_redis_get_uri (redis),
                       "stream", "jobs", "group", "workers", "batch-size", 3, NULL);
  slow->seen = seen;
  slow->delay_ms = 200;
  g_assert_true (fluid_test_startup (FLUID_WORKER (slow), &error));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (FLUID_REDIS_STREAM_CONSUMER (slow)));
  fluid_test_wait_until (fluid_test_redis_integer (redis, "EXISTS jobs") == 1);
  fluid_test_xadd (redis, "jobs", 10);
  fluid_test_wait_until (seen->calls == 3);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (slow), &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (slow)), ==, 0);
  g_assert_cmpuint (seen->calls, ==, 3);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (slow), "acked"), ==, 3);
  g_assert_cmpint (fluid_test_group_pending (redis, "jobs", "workers"), ==, 0);
}

static gboolean
stop_at_fifth (FluidRedisStreamConsumer  *consumer,
               FluidRedisEntry           *entry,
               gpointer                   user_data,
               GError                   **error)
{
  FluidTestSeen *seen = user_data;

  fluid_test_seen_record (seen, entry);
  if (seen->calls == 5)
    fluid_worker_gracefully_stop (FLUID_WORKER (consumer));
  return TRUE;
}

/* A handler that stops its consumer, from inside the read that brought
 * its entry: the entries of that read not yet started stay pending. */
static void
test_stop_from_handler (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(GError) error = NULL;

  if (redis == NULL)
    return;
  /* Added first: the new group starts at the stream's beginning. */
  fluid_test_xadd (redis, "jobs", 20);
  consumer = fluid_redis_stream_consumer_new (fluid_test_redis_get_uri (redis), "jobs", "workers",
                                              stop_at_fifth, seen, NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (consumer)), ==, 0);
  g_assert_cmpuint (seen->calls, ==, 5);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (consumer), "acked"), ==, 5);
  g_assert_cmpint (fluid_test_group_pending (redis, "jobs", "workers"), ==, 15);
}

/* The server stops and comes back: the consumer stays running, counts the
 * reconnection, and nothing is lost. */
static void
test_server_restart (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *last_error = NULL;

  if (redis == NULL)
    return;
  consumer = consumer_new (redis, "jobs", "c1", seen);
  producer = fluid_redis_stream_producer_new (fluid_test_redis_get_uri (redis), "jobs");
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  fluid_test_wait_until (fluid_test_redis_integer (redis, "EXISTS jobs") == 1);
  g_assert_true (fluid_test_startup (FLUID_WORKER (producer), &error));
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *data = g_strdup_printf ("before-%u", i);
      const char *fields[] = { "data", data, NULL };

      fluid_redis_stream_producer_send (producer, fields);
    }
  fluid_test_wait_until (g_hash_table_size (seen->counts) == 300);

  fluid_test_redis_stop (redis);
  fluid_test_wait_until (!fluid_redis_stream_consumer_is_connected (consumer));
  fluid_test_wait_until (!fluid_redis_stream_producer_is_connected (producer));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  last_error = fluid_test_status_s (FLUID_WORKER (consumer), "last_error");
  g_assert_nonnull (last_error);
  /* Held while the server is away. */
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *data = g_strdup_printf ("during-%u", i);
      const char *fields[] = { "data", data, NULL };

      g_assert_true (fluid_redis_stream_producer_send (producer, fields));
    }
  fluid_test_redis_start (redis);
  fluid_test_wait_until (g_hash_table_size (seen->counts) == 600);
  fluid_test_wait_until (fluid_test_status_u (FLUID_WORKER (consumer), "pending") == 0);
  g_assert_cmpint (fluid_test_redis_integer (redis, "XLEN jobs"), ==, 600);
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (consumer), "reconnects"), >=, 1);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (producer), "dropped"), ==, 0);
  g_assert_cmpint (fluid_test_group_pending (redis, "jobs", "workers"), ==, 0);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (producer), &error));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
}

/* Log lines */

/* Attempts of the connection @connection ("reader", "commands",
 * "producer") that found no server, as the connection logs them (debug). */
static guint
failed_attempts (const char *connection)
{
  g_autofree char *pattern = g_strdup_printf ("Cannot connect to * (%s): *", connection);

  return fluid_test_log_count (G_LOG_LEVEL_DEBUG, "", pattern);
}

static guint
lines_of (const char     *worker,
          GLogLevelFlags  level)
{
  return fluid_test_log_count (level, worker, "*");
}

static gboolean
both_connected (FluidRedisStreamConsumer *consumer,
                FluidRedisStreamProducer *producer)
{
  return fluid_redis_stream_consumer_is_connected (consumer) &&
         fluid_redis_stream_producer_is_connected (producer);
}

/* The server stops, twice, and comes back each time: each worker logs one
 * warning per outage, naming the URI, however many attempts it made
 * meanwhile, and one message once it is connected again. */
static void
test_outage_logged (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lost = NULL;
  g_autofree char *back = NULL;
  const char *uri;

  if (redis == NULL)
    return;
  uri = fluid_test_redis_get_uri (redis);
  lost = g_strdup_printf ("*: lost Redis at %s, retrying until it is back: *", uri);
  back = g_strdup_printf ("*: connected to Redis at %s again", uri);
  consumer = g_object_new (FLUID_REDIS_TYPE_STREAM_CONSUMER, "name", "outage-consumer",
                           "uri", uri, "stream", "jobs", "group", "workers", NULL);
  producer = g_object_new (FLUID_REDIS_TYPE_STREAM_PRODUCER, "name", "outage-producer",
                           "uri", uri, "stream", "jobs", NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  g_assert_true (fluid_test_startup (FLUID_WORKER (producer), &error));
  g_assert_no_error (error);
  fluid_test_wait_until (both_connected (consumer, producer));

  for (guint outage = 0; outage < 2; outage++)
    {
      fluid_test_log_capture_reset ();
      fluid_test_redis_stop (redis);
      fluid_test_wait_until (!fluid_redis_stream_consumer_is_connected (consumer) &&
                             !fluid_redis_stream_producer_is_connected (producer));
      /* Several attempts on each connection, still one warning each. */
      fluid_test_wait_until (failed_attempts ("reader") >= 3 && failed_attempts ("commands") >= 3 &&
                             failed_attempts ("producer") >= 3);
      g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "outage-consumer", lost), ==, 1);
      g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "outage-producer", lost), ==, 1);
      g_assert_cmpuint (lines_of ("outage-consumer", G_LOG_LEVEL_WARNING), ==, 1);
      g_assert_cmpuint (lines_of ("outage-producer", G_LOG_LEVEL_WARNING), ==, 1);
      g_assert_cmpuint (lines_of ("outage-consumer", G_LOG_LEVEL_MESSAGE), ==, 0);
      g_assert_cmpuint (lines_of ("outage-producer", G_LOG_LEVEL_MESSAGE), ==, 0);

      fluid_test_redis_start (redis);
      /* The consumer's outage ends once it is served (its group made
       * again), just after it connected. */
      fluid_test_wait_until (both_connected (consumer, producer) &&
                             fluid_test_log_count (G_LOG_LEVEL_MESSAGE, "outage-consumer",
                                                   back) > 0);
      g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_MESSAGE, "outage-consumer", back), ==, 1);
      g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_MESSAGE, "outage-producer", back), ==, 1);
      g_assert_cmpuint (lines_of ("outage-consumer", G_LOG_LEVEL_MESSAGE), ==, 1);
      g_assert_cmpuint (lines_of ("outage-producer", G_LOG_LEVEL_MESSAGE), ==, 1);
      g_assert_cmpuint (lines_of ("outage-consumer", G_LOG_LEVEL_WARNING), ==, 1);
      g_assert_cmpuint (lines_of ("outage-producer", G_LOG_LEVEL_WARNING), ==, 1);
    }
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (consumer), "reconnects"), ==, 2);
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (producer), "reconnects"), ==, 2);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (producer), &error));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
}

/* Bad input */

static void
assert_fails_with (FluidWorker *worker,
                   int          code)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (worker, &error));
  g_assert_no_error (error);
  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, FLUID_REDIS_ERROR, code);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, 2);
}

/* A URI that does not parse ends the worker, with a warning. */
static void
test_bad_uri (void)
{
  const char *uris[] = { "http://localhost/", "redis://", "unix:relative", "redis://host/x",
                         "unix:///tmp/s?db=no", "", "not a uri", "redis://user@host",
                         "unix:///tmp/s?user=u", "unix:///tmp/s?colour=red", "redis:/127.0.0.1" };
  const char *warning = "*: stops on an error: *Redis URI*";

  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autoptr(FluidRedisStreamConsumer) consumer = fluid_redis_stream_consumer_new (uris[i], "s", "g",
                                                                                      NULL, NULL, NULL);
      g_autoptr(FluidRedisStreamProducer) producer = fluid_redis_stream_producer_new (uris[i], "s");

      fluid_test_log_capture_reset ();
      assert_fails_with (FLUID_WORKER (consumer), FLUID_REDIS_ERROR_INVALID_URI);
      assert_fails_with (FLUID_WORKER (producer), FLUID_REDIS_ERROR_INVALID_URI);
      g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "fluid_redis_stream_consumer", warning), ==, 1);
      g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "fluid_redis_stream_producer", warning), ==, 1);
    }
}

static gboolean
count_handled (FluidRedisStreamConsumer  *consumer,
               FluidRedisEntry           *entry,
               gpointer                   user_data,
               GError                   **error)
{
  (*(guint *) user_data)++;
  return TRUE;
}

/* A server that asks for a password: AUTH from the URI, with the default
 * user or an ACL user; a wrong or missing password ends the worker. */
static void
test_password (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamConsumer) anonymous = NULL;
  g_autoptr(FluidRedisStreamConsumer) wrong = NULL;
  g_autofree char *with_password = NULL;
  g_autofree char *with_user = NULL;
  g_autofree char *with_wrong_password = NULL;
  g_autoptr(GError) error = NULL;
  const char *fields[] = { "job", "1", NULL };
  guint handled = 0;

  if (redis == NULL)
    return;
  /* The ACL user first: once a password is required, the test's own
   * connections would need it too. */
  fluid_test_redis_integer (redis, "ACL SETUSER worker on >pw2 ~* &* +@all");
  fluid_test_redis_integer (redis, "CONFIG SET requirepass secret");
  with_password = g_strconcat (fluid_test_redis_get_uri (redis), "?password=secret", NULL);
  with_user = g_strconcat (fluid_test_redis_get_uri (redis), "?user=worker&password=pw2", NULL);
  with_wrong_password = g_strconcat (fluid_test_redis_get_uri (redis), "?password=nope", NULL);

  producer = fluid_redis_stream_producer_new (with_password, "s");
  consumer = fluid_redis_stream_consumer_new (with_user, "s", "g", count_handled, &handled, NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (producer), &error));
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  g_assert_true (fluid_redis_stream_producer_send (producer, fields));
  fluid_test_wait_until (handled == 1);
  g_assert_true (fluid_redis_stream_consumer_is_connected (consumer));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (producer), &error));
  g_assert_no_error (error);

  anonymous = fluid_redis_stream_consumer_new (fluid_test_redis_get_uri (redis), "s", "g",
                                               NULL, NULL, NULL);
  assert_fails_with (FLUID_WORKER (anonymous), FLUID_REDIS_ERROR_SERVER);
  wrong = fluid_redis_stream_consumer_new (with_wrong_password, "s", "g", NULL, NULL, NULL);
  assert_fails_with (FLUID_WORKER (wrong), FLUID_REDIS_ERROR_SERVER);
}

/* An invalid URI's message, and its warning, name it without its
 * password; also a URI that GLib cannot parse at all. */
static void
test_password_not_shown (void)
{
  const char *uris[] = { "redis://user:hunter2@host/x", "redis://user:hunter2%zz@host/x" };
  const char *shown[] = { "redis://user@host/x", "redis://…@host/x" };

  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autoptr(FluidRedisStreamConsumer) consumer =
        fluid_redis_stream_consumer_new (uris[i], "s", "g", NULL, NULL, NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *warning = g_strdup_printf ("*“%s”*", shown[i]);

      fluid_test_log_capture_reset ();
      g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
      g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (consumer), &error));
      g_assert_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI);
      g_assert_nonnull (strstr (error->message, shown[i]));
      g_assert_null (strstr (error->message, "hunter2"));
      /* Its own warning, and the failure's (the lifecycle's log event,
       * with the error's message). */
      g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "*", warning), ==, 2);
      g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "*", "*hunter2*"), ==, 0);
    }
}

static void
test_missing_stream (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamConsumer) wrong_type = NULL;

  if (redis == NULL)
    return;
  consumer = fluid_redis_stream_consumer_new (fluid_test_redis_get_uri (redis), "nothing", "g",
                                              NULL, NULL, NULL);
  fluid_redis_stream_consumer_set_create_stream (consumer, FALSE);
  assert_fails_with (FLUID_WORKER (consumer), FLUID_REDIS_ERROR_NO_STREAM);

  g_assert_cmpint (fluid_test_redis_integer (redis, "RPUSH alist x"), ==, 1);
  wrong_type = fluid_redis_stream_consumer_new (fluid_test_redis_get_uri (redis), "alist", "g",
                                                NULL, NULL, NULL);
  assert_fails_with (FLUID_WORKER (wrong_type), FLUID_REDIS_ERROR_SERVER);
}

/* A "server" on a unix socket that answers garbage, or nothing. */
typedef struct
{
  GSocketService *service;
  char           *dir;
  char           *path;
  char           *uri;
  gboolean        silent;
  GPtrArray      *connections;
} FakeServer;

static gboolean
fake_incoming_cb (GSocketService    *service,
                  GSocketConnection *connection,
                  GObject           *source_object,
                  gpointer           user_data)
{
  FakeServer *fake = user_data;

  g_ptr_array_add (fake->connections, g_object_ref (connection));
  if (!fake->silent)
    g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                               "HTTP/1.1 400 Bad Request\r\n\r\n", 28, NULL, NULL, NULL);
  return TRUE;
}

static FakeServer *
fake_server_new (gboolean silent)
{
  FakeServer *fake = g_new0 (FakeServer, 1);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  fake->dir = g_dir_make_tmp ("fluid-test-fake-XXXXXX", &error);
  g_assert_no_error (error);
  fake->path = g_build_filename (fake->dir, "fake.sock", NULL);
  fake->uri = g_strconcat ("unix://", fake->path, NULL);
  fake->silent = silent;
  fake->connections = g_ptr_array_new_with_free_func (g_object_unref);
  fake->service = g_socket_service_new ();
  address = g_unix_socket_address_new (fake->path);
  g_socket_listener_add_address (G_SOCKET_LISTENER (fake->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (fake->service, "incoming", G_CALLBACK (fake_incoming_cb), fake);
  g_socket_service_start (fake->service);
  return fake;
}

static void
fake_server_free (FakeServer *fake)
{
  g_socket_service_stop (fake->service);
  g_socket_listener_close (G_SOCKET_LISTENER (fake->service));
  g_object_unref (fake->service);
  g_ptr_array_unref (fake->connections);
  g_unlink (fake->path);
  g_rmdir (fake->dir);
  g_free (fake->path);
  g_free (fake->dir);
  g_free (fake->uri);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeServer, fake_server_free)

static void
test_not_redis (void)
{
  g_autoptr(FakeServer) fake = fake_server_new (FALSE);
  g_autoptr(FluidRedisStreamConsumer) consumer = fluid_redis_stream_consumer_new (fake->uri, "s", "g",
                                                                                  NULL, NULL, NULL);
  g_autoptr(FluidRedisStreamProducer) producer = fluid_redis_stream_producer_new (fake->uri, "s");

  assert_fails_with (FLUID_WORKER (consumer), FLUID_REDIS_ERROR_PROTOCOL);
  assert_fails_with (FLUID_WORKER (producer), FLUID_REDIS_ERROR_PROTOCOL);
}

/* A server that never answers: the command timeout drops the connection
 * and retries; the worker stays running and says why in its status. */
static void
test_silent_server (void)
{
  g_autoptr(FakeServer) fake = fake_server_new (TRUE);
  g_autoptr(FluidRedisStreamConsumer) consumer = fluid_redis_stream_consumer_new (fake->uri, "s", "g",
                                                                                  NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *last_error = NULL;

  fluid_redis_stream_consumer_set_command_timeout (consumer, 0.1);
  fluid_test_log_capture_reset ();
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  fluid_test_wait_until (fake->connections->len >= 4);
  fluid_test_wait_until ((last_error = fluid_test_status_s (FLUID_WORKER (consumer),
                                                            "last_error")) != NULL);
  g_assert_nonnull (strstr (last_error, "did not answer"));
  /* One warning for the attempts so far. */
  g_assert_cmpuint (lines_of ("*", G_LOG_LEVEL_WARNING), ==, 1);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "*", "*: cannot reach Redis at *did not answer*"),
                    ==, 1);
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  g_assert_false (fluid_test_status_b (FLUID_WORKER (consumer), "connected"));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
}

/* Nothing listens: the producer holds up to max-buffered, drops and
 * counts the rest; both stay running, and say so once each, without the
 * URI's password, however many attempts they make. */
static void
test_no_server (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fluid-test-none-XXXXXX", NULL);
  g_autofree char *uri = g_strconcat ("unix://", dir, "/none.sock?password=hunter2", NULL);
  g_autofree char *warning = g_strdup_printf ("*: cannot reach Redis at unix://%s/none.sock, "
                                              "retrying until it answers: *", dir);
  g_autoptr(FluidRedisStreamProducer) producer = g_object_new (FLUID_REDIS_TYPE_STREAM_PRODUCER,
                                                               "name", "lonely-producer",
                                                               "uri", uri, "stream", "s",
                                                               "stopping-grace-period", 0.2, NULL);
  g_autoptr(FluidRedisStreamConsumer) consumer = g_object_new (FLUID_REDIS_TYPE_STREAM_CONSUMER,
                                                               "name", "lonely-consumer",
                                                               "uri", uri, "stream", "s",
                                                               "group", "g", NULL);
  g_autoptr(GError) error = NULL;
  const char *fields[] = { "k", "v", NULL };
  guint taken = 0;

  fluid_redis_stream_producer_set_max_buffered (producer, 10);
  fluid_test_log_capture_reset ();
  g_assert_true (fluid_test_startup (FLUID_WORKER (producer), &error));
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  for (guint i = 0; i < 15; i++)
    taken += fluid_redis_stream_producer_send (producer, fields);
  g_assert_cmpuint (taken, ==, 10);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (producer), "dropped"), ==, 5);
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (producer), "buffered"), ==, 10);
  fluid_test_wait_until (fluid_test_has_status_s (FLUID_WORKER (consumer), "last_error"));
  g_assert_false (fluid_test_status_b (FLUID_WORKER (consumer), "connected"));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  fluid_test_wait_until (failed_attempts ("reader") >= 3 && failed_attempts ("commands") >= 3 &&
                         failed_attempts ("producer") >= 3);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "lonely-consumer", warning), ==, 1);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "lonely-producer", warning), ==, 1);
  g_assert_cmpuint (lines_of ("lonely-*", G_LOG_LEVEL_WARNING), ==, 2);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "*", "*hunter2*"), ==, 0);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
  /* A graceful stop waits for a connection to deliver; forced after its
   * grace period, what it held is dropped and counted. */
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (producer), &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (producer)), ==, 1);
  fluid_test_wait_until (fluid_redis_stream_producer_get_dropped (producer) == 15);
  g_rmdir (dir);
}

/* A host name that does not resolve: resolved without blocking, retried,
 * and said in the status. */
/* A resolver that knows no name, at once: the test does not depend on
 * the machine's DNS (a fresh machine may have none, and wait long). */
typedef struct
{
  GResolver parent_instance;
} NoResolver;

typedef struct
{
  GResolverClass parent_class;
} NoResolverClass;

static GType no_resolver_get_type (void);
G_DEFINE_TYPE (NoResolver, no_resolver, G_TYPE_RESOLVER)

static GList *
no_resolver_lookup_by_name (GResolver     *resolver,
                            const char    *hostname,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
               "Error resolving “%s”: Name or service not known", hostname);
  return NULL;
}

static void
no_resolver_lookup_by_name_async (GResolver           *resolver,
                                  const char          *hostname,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);

  g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                           "Error resolving “%s”: Name or service not known", hostname);
}

static GList *
no_resolver_lookup_by_name_finish (GResolver     *resolver,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
no_resolver_class_init (NoResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  resolver_class->lookup_by_name = no_resolver_lookup_by_name;
  resolver_class->lookup_by_name_async = no_resolver_lookup_by_name_async;
  resolver_class->lookup_by_name_finish = no_resolver_lookup_by_name_finish;
}

static void
no_resolver_init (NoResolver *self)
{
}

static void
test_unknown_host (void)
{
  g_autoptr(FluidRedisStreamConsumer) consumer =
    fluid_redis_stream_consumer_new ("redis://fluid-test.invalid:6379/0", "s", "g", NULL, NULL, NULL);
  g_autoptr(GResolver) system_resolver = g_resolver_get_default ();
  g_autoptr(GResolver) no_resolver = g_object_new (no_resolver_get_type (), NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *last_error = NULL;

  g_resolver_set_default (no_resolver);
  g_assert_true (fluid_test_startup (FLUID_WORKER (consumer), &error));
  fluid_test_wait_until ((last_error = fluid_test_status_s (FLUID_WORKER (consumer),
                                                            "last_error")) != NULL);
  g_assert_nonnull (strstr (last_error, "resolve"));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
  g_resolver_set_default (system_resolver);
}

static void
test_properties (void)
{
  g_autoptr(FluidRedisStreamConsumer) consumer = fluid_redis_stream_consumer_new ("unix:///x", "s", "g",
                                                                                  NULL, NULL, NULL);
  g_autofree char *expected = g_strdup_printf ("%s-%d", g_get_host_name (), (int) getpid ());

  g_assert_cmpstr (fluid_redis_stream_consumer_get_consumer (consumer), ==, expected);
  g_assert_cmpuint (fluid_redis_stream_consumer_get_batch_size (consumer), ==, 100);
  g_assert_cmpfloat (fluid_redis_stream_consumer_get_claim_idle (consumer), ==, 30);
  g_assert_cmpuint (fluid_redis_stream_consumer_get_max_deliveries (consumer), ==, 5);
  g_assert_cmpstr (fluid_redis_stream_consumer_get_dead_letter_stream (consumer), ==, "s:dead");
  g_assert_true (fluid_redis_stream_consumer_get_create_stream (consumer));
  g_assert_cmpstr (fluid_worker_get_name (FLUID_WORKER (consumer)), ==, "fluid_redis_stream_consumer");
  fluid_redis_stream_consumer_set_dead_letter_stream (consumer, "graveyard");
  g_assert_cmpstr (fluid_redis_stream_consumer_get_dead_letter_stream (consumer), ==, "graveyard");
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*seconds >= 0.001*");
  fluid_redis_stream_consumer_set_claim_idle (consumer, NAN);
  g_test_assert_expected_messages ();
  g_assert_cmpfloat (fluid_redis_stream_consumer_get_claim_idle (consumer), ==, 30);
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*batch_size >= 1*");
  fluid_redis_stream_consumer_set_batch_size (consumer, 0);
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  fluid_test_redis_init (&argc, &argv);

  g_test_add_func ("/redis/properties", test_properties);
  g_test_add_func ("/redis/consume", test_consume);
  g_test_add_func ("/redis/metrics", test_metrics);
  g_test_add_func ("/redis/producer", test_producer);
  g_test_add_func ("/redis/poison", test_poison);
  g_test_add_func ("/redis/own-pending-first", test_own_pending_first);
  g_test_add_func ("/redis/slow-handler", test_slow_handler);
  g_test_add_func ("/redis/graceful-stop", test_graceful_stop);
  g_test_add_func ("/redis/stop-from-handler", test_stop_from_handler);
  g_test_add_func ("/redis/server-restart", test_server_restart);
  g_test_add_func ("/redis/outage-logged", test_outage_logged);
  g_test_add_func ("/redis/bad/uri", test_bad_uri);
  g_test_add_func ("/redis/password", test_password);
  g_test_add_func ("/redis/bad/password-not-shown", test_password_not_shown);
  g_test_add_func ("/redis/bad/missing-stream", test_missing_stream);
  g_test_add_func ("/redis/bad/not-redis", test_not_redis);
  g_test_add_func ("/redis/bad/silent-server", test_silent_server);
  g_test_add_func ("/redis/bad/no-server", test_no_server);
  g_test_add_func ("/redis/bad/unknown-host", test_unknown_host);

  return g_test_run ();
}
