/* test-redis-faults.c: what real servers do to running consumers and
 * producers: a restart that loads its data (LOADING), a long script
 * (BUSY), a replica (READONLY, MASTERDOWN), a stream key that becomes a
 * string, a group destroyed, a dead-letter key that is not a stream, no
 * primary for an add that wants replicas
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-seen.h"
#include "fluid-redis-test-utils.h"
#include "fluid-test-utils.h"

#include <glib/gstdio.h>
#include <string.h>

static FluidRedisStreamConsumer *
consumer_new (const char    *uri,
              FluidTestSeen *seen)
{
  FluidRedisStreamConsumer *consumer = fluid_redis_stream_consumer_new (uri, "jobs", "workers",
                                                                        fluid_test_seen_handler,
                                                                        seen, NULL);

  g_object_set (consumer, "claim-idle", 0.1, "command-timeout", 1.0, NULL);
  return consumer;
}

static FluidRedisStreamProducer *
producer_new (const char *uri)
{
  FluidRedisStreamProducer *producer = fluid_redis_stream_producer_new (uri, "jobs");

  g_object_set (producer, "command-timeout", 1.0, NULL);
  return producer;
}

/* The worker ended by itself with a FLUID_REDIS_ERROR_SERVER that quotes
 * @text. */
static void
assert_ended_with (FluidWorker *worker,
                   const char  *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fluid_test_wait_for_shutdown (worker, &error));
  g_assert_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, text));
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, 2);
}

/* A server restarted with its data answers LOADING while it loads it (a
 * second here: 20 000 keys, 50 µs each): the consumer and the producer
 * wait, running; the entries sent while it was away are all added. */
static void
test_loading (void)
{
  const char *config = "key-load-delay 50\n"
                       "loading-process-events-interval-bytes 1024\n";
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_full (FLUID_TEST_REDIS_UNIX, config);
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autoptr(redisContext) c = NULL;

  if (redis == NULL)
    {
      g_test_skip ("redis-server is not installed");
      return;
    }
  c = fluid_test_redis_connect (redis);
  for (guint i = 0; i < 20000; i++)
    redisAppendCommand (c, "SET key-%u value", i);
  for (guint i = 0; i < 20000; i++)
    {
      redisReply *reply = NULL;

      g_assert_cmpint (redisGetReply (c, (void **) &reply), ==, REDIS_OK);
      freeReplyObject (reply);
    }
  consumer = consumer_new (fluid_test_redis_get_uri (redis), seen);
  producer = producer_new (fluid_test_redis_get_uri (redis));
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_start_worker (FLUID_WORKER (producer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  fluid_test_send (producer, "before", 1);
  fluid_test_wait_until (g_hash_table_size (seen->data) == 1);

  g_assert_cmpint (fluid_test_redis_integer (redis, "EXISTS jobs"), ==, 1);
  g_clear_pointer (&c, redisFree);
  g_free (fluid_test_redis_string (redis, "SAVE"));
  fluid_test_log_capture_reset ();
  fluid_test_redis_stop (redis);
  fluid_test_wait_until (!fluid_redis_stream_producer_is_connected (producer));
  fluid_test_send (producer, "during", 100);
  fluid_test_redis_start_loading (redis);
  fluid_test_wait_until (fluid_test_last_error_has (FLUID_WORKER (consumer), "LOADING") &&
                         fluid_test_last_error_has (FLUID_WORKER (producer), "LOADING"));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (producer)));

  fluid_test_wait_until (g_hash_table_size (seen->data) == 101);
  g_assert_cmpint (fluid_test_redis_integer (redis, "XLEN jobs"), ==, 101);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (producer), "dropped"), ==, 0);
  /* Connections refused, then made and answered LOADING, many times: one
   * outage each, one warning and one message. */
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "fluid_redis_stream_consumer",
                                          "*: lost Redis at *"), ==, 1);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "fluid_redis_stream_producer",
                                          "*: lost Redis at *"), ==, 1);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_WARNING, "*", "*"), ==, 2);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_MESSAGE, "fluid_redis_stream_consumer",
                                          "*: connected to Redis at * again"), ==, 1);
  g_assert_cmpuint (fluid_test_log_count (G_LOG_LEVEL_MESSAGE, "fluid_redis_stream_producer",
                                          "*: connected to Redis at * again"), ==, 1);
  fluid_test_stop_worker (FLUID_WORKER (producer));
  fluid_test_stop_worker (FLUID_WORKER (consumer));
}

/* A script that runs for ever, until SCRIPT KILL. */
static gpointer
long_script_thread (gpointer data)
{
  g_autoptr(redisContext) c = fluid_test_redis_connect (data);

  /* Its answer, after SCRIPT KILL, is an error: not looked at. */
  freeReplyObject (redisCommand (c, "EVAL %s 0", "while true do end"));

  return NULL;
}

/* A script that runs long (past busy-reply-threshold) has the server
 * answer BUSY: waited for, the entries sent meanwhile added, not dropped. */
static void
test_busy (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_full (FLUID_TEST_REDIS_UNIX,
                                                               "busy-reply-threshold 100\n");
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autofree char *killed = NULL;
  GThread *script;

  if (redis == NULL)
    {
      g_test_skip ("redis-server is not installed");
      return;
    }
  consumer = consumer_new (fluid_test_redis_get_uri (redis), seen);
  producer = producer_new (fluid_test_redis_get_uri (redis));
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_start_worker (FLUID_WORKER (producer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer) &&
                         fluid_redis_stream_producer_is_connected (producer));

  script = g_thread_new ("long script", long_script_thread, redis);
  fluid_test_wait_until (fluid_test_last_error_has (FLUID_WORKER (consumer), "BUSY"));
  fluid_test_send (producer, "busy", 50);
  fluid_test_wait_until (fluid_test_last_error_has (FLUID_WORKER (producer), "BUSY"));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (producer)));
  killed = fluid_test_redis_string (redis, "SCRIPT KILL");
  g_assert_cmpstr (killed, ==, "OK");
  g_thread_join (script);

  fluid_test_wait_until (g_hash_table_size (seen->data) == 50);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (producer), "dropped"), ==, 0);
  fluid_test_stop_worker (FLUID_WORKER (producer));
  fluid_test_stop_worker (FLUID_WORKER (consumer));
}

/* The stream's key becomes a string while the consumer waits on it: its
 * blocked read is unblocked, the group cannot be made on a string, and
 * the consumer ends with WRONGTYPE; so does a producer that adds to it. */
static void
test_stream_becomes_string (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autofree char *set = NULL;

  if (redis == NULL)
    return;
  consumer = consumer_new (fluid_test_redis_get_uri (redis), seen);
  producer = producer_new (fluid_test_redis_get_uri (redis));
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_start_worker (FLUID_WORKER (producer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  fluid_test_send (producer, "stream", 10);
  fluid_test_wait_until (g_hash_table_size (seen->data) == 10);

  set = fluid_test_redis_string (redis, "SET jobs not-a-stream");
  g_assert_cmpstr (set, ==, "OK");
  assert_ended_with (FLUID_WORKER (consumer), "WRONGTYPE");
  fluid_test_send (producer, "string", 1);
  assert_ended_with (FLUID_WORKER (producer), "WRONGTYPE");
}

/* A replica answers READONLY to writes (a primary a failover demoted):
 * the workers wait, running, until it is a primary. */
static void
test_readonly (void)
{
  g_autoptr(FluidTestRedis) primary = fluid_test_redis_new_full (FLUID_TEST_REDIS_TCP, NULL);
  g_autoptr(FluidTestRedis) replica = NULL;
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autofree char *config = NULL;
  g_autofree char *promoted = NULL;

  if (primary == NULL)
    {
      g_test_skip ("redis-server is not installed");
      return;
    }
  config = g_strdup_printf ("replicaof 127.0.0.1 %d\n", fluid_test_redis_get_port (primary));
  replica = fluid_test_redis_new_full (FLUID_TEST_REDIS_UNIX, config);
  consumer = consumer_new (fluid_test_redis_get_uri (replica), seen);
  producer = producer_new (fluid_test_redis_get_uri (replica));
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_start_worker (FLUID_WORKER (producer));
  fluid_test_send (producer, "readonly", 20);
  fluid_test_wait_until (fluid_test_last_error_has (FLUID_WORKER (consumer), "READONLY") &&
                         fluid_test_last_error_has (FLUID_WORKER (producer), "READONLY"));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (producer)));

  promoted = fluid_test_redis_string (replica, "REPLICAOF NO ONE");
  g_assert_cmpstr (promoted, ==, "OK");
  fluid_test_wait_until (g_hash_table_size (seen->data) == 20);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (producer), "dropped"), ==, 0);
  fluid_test_stop_worker (FLUID_WORKER (producer));
  fluid_test_stop_worker (FLUID_WORKER (consumer));
}

/* A replica whose primary is away, with replica-serve-stale-data off,
 * answers MASTERDOWN even to PING: waited for too. */
static void
test_masterdown (void)
{
  g_autoptr(FluidTestRedis) replica = fluid_test_redis_new_full (FLUID_TEST_REDIS_UNIX, NULL);
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autofree char *down = NULL;
  g_autofree char *promoted = NULL;

  if (replica == NULL)
    {
      g_test_skip ("redis-server is not installed");
      return;
    }
  /* Set once started: it would answer the harness's PING MASTERDOWN. */
  down = fluid_test_redis_string (replica, "CONFIG SET replica-serve-stale-data no");
  g_assert_cmpstr (down, ==, "OK");
  g_free (fluid_test_redis_string (replica, "REPLICAOF 127.0.0.1 %d", fluid_test_free_port ()));
  consumer = consumer_new (fluid_test_redis_get_uri (replica), seen);
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_wait_until (fluid_test_last_error_has (FLUID_WORKER (consumer), "MASTERDOWN"));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));

  promoted = fluid_test_redis_string (replica, "REPLICAOF NO ONE");
  g_assert_cmpstr (promoted, ==, "OK");
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer) &&
                         fluid_test_redis_integer (replica, "EXISTS jobs") == 1);
  fluid_test_xadd (replica, "jobs", 5);
  fluid_test_wait_until (g_hash_table_size (seen->data) == 5);
  fluid_test_stop_worker (FLUID_WORKER (consumer));
}

/* The group destroyed under the consumer (its blocked read answers
 * NOGROUP) is made again from the stream's start: every entry still in
 * the stream is handled again, acknowledged or not, as the documentation
 * of the at-least-once bound says. */
static void
test_group_destroyed (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;

  if (redis == NULL)
    return;
  consumer = consumer_new (fluid_test_redis_get_uri (redis), seen);
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer) &&
                         fluid_test_redis_integer (redis, "EXISTS jobs") == 1);
  fluid_test_xadd (redis, "jobs", 50);
  fluid_test_wait_until (fluid_test_status_uint64 (FLUID_WORKER (consumer), "acked") == 50);
  g_assert_cmpint (fluid_test_redis_integer (redis, "XGROUP DESTROY jobs workers"), ==, 1);
  fluid_test_wait_until (fluid_test_status_uint64 (FLUID_WORKER (consumer), "acked") == 100);
  g_assert_cmpuint (g_hash_table_size (seen->data), ==, 50);
  g_assert_cmpuint (fluid_test_seen_duplicates (seen), ==, 50);
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  fluid_test_stop_worker (FLUID_WORKER (consumer));
}

/* A dead-letter key that is not a stream: the move fails, the consumer
 * ends with the error, and the entry stays pending, not lost. */
static void
test_dead_letter_not_a_stream (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autofree char *set = NULL;

  if (redis == NULL)
    return;
  set = fluid_test_redis_string (redis, "SET jobs:dead not-a-stream");
  g_assert_cmpstr (set, ==, "OK");
  seen->fail = TRUE;
  consumer = consumer_new (fluid_test_redis_get_uri (redis), seen);
  fluid_redis_stream_consumer_set_max_deliveries (consumer, 1);
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer) &&
                         fluid_test_redis_integer (redis, "EXISTS jobs") == 1);
  fluid_test_xadd (redis, "jobs", 1);
  assert_ended_with (FLUID_WORKER (consumer), "WRONGTYPE");
  g_assert_cmpuint (seen->calls, ==, 1);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (consumer), "dead_lettered"), ==, 0);
  g_assert_cmpint (fluid_test_group_pending (redis, "jobs", "workers"), ==, 1);
}

static void
add_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GError **error = user_data;
  FluidRedisStreamProducer *producer = FLUID_REDIS_STREAM_PRODUCER (source);
  g_autofree char *id = fluid_redis_stream_producer_add_finish (producer, result, error);

  if (id != NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, id);
}

/* An add with min-replicas: added once a replica holds it; not
 * replicated when no replica confirms it within command-timeout; a
 * connection error when no primary took it in that time. */
static void
test_min_replicas (void)
{
  g_autoptr(FluidTestRedis) primary = fluid_test_redis_new_full (FLUID_TEST_REDIS_TCP,
                                                                 "repl-diskless-sync-delay 0\n");
  g_autoptr(FluidTestRedis) replica = NULL;
  g_autoptr(FluidTestRedis) alone = NULL;
  g_autofree char *config = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fluid-test-none-XXXXXX", NULL);
  g_autofree char *nowhere = g_strconcat ("unix://", dir, "/none.sock", NULL);
  const char *uris[] = { NULL, NULL, nowhere };
  const int expected[] = { -1, FLUID_REDIS_ERROR_NOT_REPLICATED, FLUID_REDIS_ERROR_CONNECTION };
  /* Long enough for a replica on a loaded machine; short where it waits
   * for nothing. */
  const double timeouts[] = { 5, 0.3, 0.3 };
  const char *fields[] = { "data", "replicated", NULL };

  if (primary == NULL)
    {
      g_test_skip ("redis-server is not installed");
      return;
    }
  config = g_strdup_printf ("replicaof 127.0.0.1 %d\n", fluid_test_redis_get_port (primary));
  replica = fluid_test_redis_new_full (FLUID_TEST_REDIS_UNIX, config);
  alone = fluid_test_redis_new_full (FLUID_TEST_REDIS_UNIX, NULL);
  fluid_test_wait_until (fluid_test_redis_integer (primary, "WAIT 1 100") == 1);
  uris[0] = fluid_test_redis_get_uri (primary);
  uris[1] = fluid_test_redis_get_uri (alone);

  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autoptr(FluidRedisStreamProducer) producer = producer_new (uris[i]);
      g_autoptr(GError) error = NULL;
      gint64 begin;

      fluid_redis_stream_producer_set_min_replicas (producer, 1);
      g_object_set (producer, "command-timeout", timeouts[i], "stopping-grace-period", 0.1, NULL);
      fluid_test_start_worker (FLUID_WORKER (producer));
      begin = g_get_monotonic_time ();
      fluid_redis_stream_producer_add_async (producer, fields, NULL, add_done_cb, &error);
      fluid_test_wait_until (error != NULL);
      if (expected[i] < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
        }
      else
        {
          g_assert_error (error, FLUID_REDIS_ERROR, expected[i]);
          g_assert_cmpint (g_get_monotonic_time () - begin, >=, 300000);
        }
      g_assert_true (fluid_worker_is_running (FLUID_WORKER (producer)));
      fluid_test_shutdown (FLUID_WORKER (producer), NULL);
    }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  fluid_test_redis_init (&argc, &argv);
  g_test_add_func ("/redis/faults/loading", test_loading);
  g_test_add_func ("/redis/faults/busy", test_busy);
  g_test_add_func ("/redis/faults/stream-becomes-string", test_stream_becomes_string);
  g_test_add_func ("/redis/faults/readonly", test_readonly);
  g_test_add_func ("/redis/faults/masterdown", test_masterdown);
  g_test_add_func ("/redis/faults/group-destroyed", test_group_destroyed);
  g_test_add_func ("/redis/faults/dead-letter-not-a-stream", test_dead_letter_not_a_stream);
  g_test_add_func ("/redis/faults/min-replicas", test_min_replicas);
  return g_test_run ();
}
