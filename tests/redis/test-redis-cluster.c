/* test-redis-cluster.c: consumers and producers on a Redis Cluster of the
 * test's own (three primaries, three replicas): routing, the dead-letter
 * stream's slot, a slot moved under them, a primary killed under them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-cluster.h"
#include "fluid-redis-test-seen.h"
#include "fluid-test-utils.h"

#include <string.h>

/* One cluster for the tests, in the order they are added: forming one
 * takes seconds. NULL when redis-cli or redis-server is missing. */
static FluidTestCluster *cluster;

static FluidRedisStreamConsumer *
consumer_new (const char    *stream,
              FluidTestSeen *seen)
{
  const char *uri = fluid_test_cluster_get_uri (cluster);
  FluidRedisStreamConsumer *consumer = fluid_redis_stream_consumer_new (uri, stream, "workers",
                                                                        fluid_test_seen_handler,
                                                                        seen, NULL);

  g_object_set (consumer, "batch-size", 20, "claim-idle", 1.0, "command-timeout", 2.0, NULL);
  return consumer;
}

static FluidRedisStreamProducer *
producer_new (const char *stream)
{
  const char *uri = fluid_test_cluster_get_uri (cluster);
  FluidRedisStreamProducer *producer = fluid_redis_stream_producer_new (uri, stream);

  g_object_set (producer, "command-timeout", 2.0, NULL);
  return producer;
}

/* A stream is served by the node of its slot, wherever the URI starts. */
static void
test_cluster_route (void)
{
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  int owner;

  if (cluster == NULL)
    {
      g_test_skip ("redis-server or redis-cli is not installed");
      return;
    }
  consumer = consumer_new ("{route}", seen);
  producer = producer_new ("{route}");
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_start_worker (FLUID_WORKER (producer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  fluid_test_send (producer, "route", 500);
  fluid_test_wait_until (g_hash_table_size (seen->data) == 500);
  owner = fluid_test_cluster_owner (cluster, fluid_test_cluster_key_slot (cluster, "{route}"));
  g_assert_cmpint (fluid_test_redis_integer (fluid_test_cluster_get_node (cluster, owner),
                                             "XLEN {route}"), ==, 500);
  fluid_test_wait_until (fluid_test_group_pending (fluid_test_cluster_get_node (cluster, owner),
                                                   "{route}", "workers") == 0);
  g_assert_cmpuint (fluid_test_seen_max (seen), ==, 1);
  fluid_test_stop_worker (FLUID_WORKER (producer));
  fluid_test_stop_worker (FLUID_WORKER (consumer));
}

/* A dead-letter stream in another slot is refused at startup, with an
 * error that says how to name the two. */
static void
test_cluster_dead_letter_slot (void)
{
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(GError) error = NULL;

  if (cluster == NULL)
    {
      g_test_skip ("redis-server or redis-cli is not installed");
      return;
    }
  consumer = consumer_new ("jobs", NULL);
  fluid_test_start_worker (FLUID_WORKER (consumer));
  g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "“{jobs}” and “{jobs}:dead”"));
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (consumer)), ==, 2);
}

static gboolean
is_primary (guint node)
{
  FluidTestRedis *server = fluid_test_cluster_get_node (cluster, node);
  g_autoptr(redisContext) c = fluid_test_redis_connect (server);
  g_autoptr(redisReply) reply = redisCommand (c, "ROLE");

  return reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
         g_str_equal (reply->element[0]->str, "master");
}

static void
setslot (guint       node,
         const char *state,
         const char *id)
{
  g_autofree char *answer = fluid_test_redis_string (fluid_test_cluster_get_node (cluster, node),
                                                     "CLUSTER SETSLOT 0 %s %s", state, id);

  g_assert_cmpstr (answer, ==, "OK");
}

/* Slot 0 moves from its owner to another primary by hand, one step at a
 * time, then back with redis-cli --cluster reshard, while entries come:
 * the workers follow ASK while the slot migrates, MOVED once it moved. */
static void
test_cluster_reshard (void)
{
  /* Its hash tag hashes to slot 0, the first slot of its owner, the one
   * redis-cli --cluster reshard --cluster-slots 1 moves. */
  const char *stream = "{moving-5623}";
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autofree char *source_id = NULL;
  g_autofree char *target_id = NULL;
  int target_port;
  g_autofree char *migrate = NULL;
  int source;
  int target;

  if (cluster == NULL)
    {
      g_test_skip ("redis-server or redis-cli is not installed");
      return;
    }
  g_assert_cmpuint (fluid_test_cluster_key_slot (cluster, stream), ==, 0);
  source = fluid_test_cluster_owner (cluster, 0);
  target = fluid_test_cluster_owner (cluster, 16383);
  g_assert_cmpint (source, !=, target);
  source_id = fluid_test_cluster_node_id (cluster, source);
  target_id = fluid_test_cluster_node_id (cluster, target);

  consumer = consumer_new (stream, seen);
  producer = producer_new (stream);
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_start_worker (FLUID_WORKER (producer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));
  fluid_test_send (producer, "before", 100);
  fluid_test_wait_until (g_hash_table_size (seen->data) == 100);

  /* The stream goes to the target; the slot is still the source's. */
  setslot (target, "IMPORTING", source_id);
  setslot (source, "MIGRATING", target_id);
  target_port = fluid_test_redis_get_port (fluid_test_cluster_get_node (cluster, target));
  migrate = fluid_test_redis_string (fluid_test_cluster_get_node (cluster, source),
                                     "MIGRATE 127.0.0.1 %d %s 0 5000 KEYS %s",
                                     target_port, "", stream);
  g_assert_cmpstr (migrate, ==, "OK");
  fluid_test_send (producer, "migrating", 100);
  fluid_test_wait_until (g_hash_table_size (seen->data) == 200);
  g_assert_true (fluid_test_last_error_has (FLUID_WORKER (producer), "ASK 0"));
  g_assert_true (fluid_test_last_error_has (FLUID_WORKER (consumer), "ASK 0") ||
                 fluid_test_last_error_has (FLUID_WORKER (consumer), "UNBLOCKED"));

  /* The slot is the target's: the target says so first, then the
   * source, then the other primaries. */
  setslot (target, "NODE", target_id);
  setslot (source, "NODE", target_id);
  for (guint i = 0; i < fluid_test_cluster_get_n_nodes (cluster); i++)
    {
      if ((int) i != source && (int) i != target && is_primary (i))
        setslot (i, "NODE", target_id);
    }
  fluid_test_send (producer, "moved", 100);
  fluid_test_wait_until (g_hash_table_size (seen->data) == 300);
  g_assert_cmpint (fluid_test_cluster_owner (cluster, 0), ==, target);

  /* And back to the source, as an operator would move it. */
  {
    const char *reshard[] = { "reshard", "--cluster-from", target_id, "--cluster-to", source_id,
                              "--cluster-slots", "1", "--cluster-yes", NULL };

    fluid_test_cluster_cli (cluster, reshard);
  }
  fluid_test_wait_until (fluid_test_cluster_owner (cluster, 0) == source);
  fluid_test_send (producer, "back", 100);
  fluid_test_wait_until (g_hash_table_size (seen->data) == 400);
  g_assert_true (fluid_test_last_error_has (FLUID_WORKER (producer), "MOVED 0"));
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (consumer), "reconnects"), >=, 2);
  g_assert_cmpuint (fluid_test_status_uint64 (FLUID_WORKER (producer), "dropped"), ==, 0);
  fluid_test_wait_until (fluid_test_group_pending (fluid_test_cluster_get_node (cluster, source),
                                                   stream, "workers") == 0);
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  fluid_test_stop_worker (FLUID_WORKER (producer));
  fluid_test_stop_worker (FLUID_WORKER (consumer));
}

/* A stream whose slot another primary than @avoid owns. */
static char *
stream_away_from (int avoid)
{
  for (guint i = 0;; i++)
    {
      g_autofree char *stream = g_strdup_printf ("{other-%u}", i);

      guint slot = fluid_test_cluster_key_slot (cluster, stream);

      if (fluid_test_cluster_owner (cluster, slot) != avoid)
        return g_steal_pointer (&stream);
    }
}

/* The primary of a stream's slot is killed while entries come: its
 * replica takes over, the consumer resumes there; every entry the
 * producer was told is held by a replica (min-replicas 1) is handled,
 * duplicates stay within batch-size; a consumer of another shard, which
 * meets CLUSTERDOWN meanwhile, stays running too. Last: it changes the
 * cluster. */
static void
test_cluster_failover (void)
{
  const char *stream = "{failover}";
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidTestSeen) other_seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamConsumer) other = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autoptr(FluidRedisStreamProducer) other_producer = NULL;
  g_autoptr(FluidTestFeeder) feeder = NULL;
  g_autofree char *other_stream = NULL;
  guint slot;
  guint added;
  int owner;

  if (cluster == NULL)
    {
      g_test_skip ("redis-server or redis-cli is not installed");
      return;
    }
  slot = fluid_test_cluster_key_slot (cluster, stream);
  owner = fluid_test_cluster_owner (cluster, slot);
  other_stream = stream_away_from (owner);
  consumer = consumer_new (stream, seen);
  other = consumer_new (other_stream, other_seen);
  producer = producer_new (stream);
  fluid_redis_stream_producer_set_min_replicas (producer, 1);
  other_producer = producer_new (other_stream);
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_start_worker (FLUID_WORKER (other));
  fluid_test_start_worker (FLUID_WORKER (producer));
  fluid_test_start_worker (FLUID_WORKER (other_producer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer) &&
                         fluid_redis_stream_consumer_is_connected (other));

  feeder = fluid_test_feeder_new (producer, 2);
  fluid_test_wait_until (g_hash_table_size (feeder->added) >= 300 &&
                         g_hash_table_size (seen->data) >= 300);
  fluid_test_redis_kill (fluid_test_cluster_get_node (cluster, owner));
  added = g_hash_table_size (feeder->added);
  fluid_test_wait_until (fluid_test_cluster_owner (cluster, slot) != owner &&
                         fluid_test_cluster_is_ok (cluster));
  /* Back as a replica of the promoted one: min-replicas 1 can be met. */
  fluid_test_redis_start (fluid_test_cluster_get_node (cluster, owner));
  fluid_test_wait_until (fluid_test_cluster_is_ok (cluster));
  fluid_test_wait_until (g_hash_table_size (feeder->added) >= added + 300);
  fluid_test_feeder_stop (feeder);

  fluid_test_wait_until (fluid_test_feeder_lost (feeder, seen) == 0);
  g_test_message ("added %u (%u not replicated, %u failed), handled %u, twice %u",
                  g_hash_table_size (feeder->added), feeder->not_replicated, feeder->failed,
                  g_hash_table_size (seen->data), fluid_test_seen_duplicates (seen));
  g_assert_cmpuint (fluid_test_seen_duplicates (seen), <=, 20);
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (producer)));
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (consumer), "reconnects"), >=, 1);

  /* The other shard's consumer went on. */
  fluid_test_send (other_producer, "other", 50);
  fluid_test_wait_until (g_hash_table_size (other_seen->data) == 50);
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (other)));

  fluid_test_stop_worker (FLUID_WORKER (producer));
  fluid_test_stop_worker (FLUID_WORKER (other_producer));
  fluid_test_stop_worker (FLUID_WORKER (consumer));
  fluid_test_stop_worker (FLUID_WORKER (other));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  fluid_test_redis_init (&argc, &argv);
  cluster = fluid_test_cluster_new ();
  g_test_add_func ("/redis/cluster/route", test_cluster_route);
  g_test_add_func ("/redis/cluster/dead-letter-slot", test_cluster_dead_letter_slot);
  g_test_add_func ("/redis/cluster/reshard", test_cluster_reshard);
  g_test_add_func ("/redis/cluster/failover", test_cluster_failover);
  status = g_test_run ();
  fluid_test_cluster_free (cluster);
  return status;
}
