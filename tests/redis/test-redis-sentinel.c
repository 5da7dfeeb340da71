/* test-redis-sentinel.c: consumers and producers of a Sentinel service of
 * the test's own (a primary, a replica, three sentinels), through a
 * failover
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-cluster.h"
#include "fluid-redis-test-seen.h"
#include "fluid-test-utils.h"

#include <string.h>

/* One service for the tests, in the order they are added: the sentinels
 * take seconds to find one another. NULL when redis-server is missing. */
static FluidTestSentinel *sentinel;

/* A service the sentinels do not know: retried, and said in the status. */
static void
test_sentinel_unknown_service (void)
{
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *last_error = NULL;
  g_autoptr(GError) error = NULL;

  if (sentinel == NULL)
    {
      g_test_skip ("redis-server is not installed");
      return;
    }
  uri = g_strconcat (fluid_test_sentinel_get_uri (sentinel), "-none", NULL);
  consumer = fluid_redis_stream_consumer_new (uri, "jobs", "workers", fluid_test_seen_handler, NULL,
                                              NULL);
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_wait_until (fluid_test_has_status_s (FLUID_WORKER (consumer), "last_error"));
  last_error = fluid_test_status_s (FLUID_WORKER (consumer), "last_error");
  g_assert_nonnull (strstr (last_error, "knows no service “fluid-none”"));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (consumer), &error));
  g_assert_no_error (error);
}

/* The primary is killed (SIGKILL) while entries come: the sentinels
 * promote the replica, the consumer and the producer find it through
 * them and resume where the group stands; every entry added with
 * min-replicas 1 is handled, duplicates stay within batch-size. Last: it
 * changes the service. */
static void
test_sentinel_failover (void)
{
  g_autoptr(FluidTestSeen) seen = fluid_test_seen_new ();
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  g_autoptr(FluidTestFeeder) feeder = NULL;
  g_autofree char *replicaof = NULL;
  FluidTestRedis *old = NULL;
  FluidTestRedis *promoted = NULL;
  int primary;
  guint added;

  if (sentinel == NULL)
    {
      g_test_skip ("redis-server is not installed");
      return;
    }
  consumer = fluid_redis_stream_consumer_new (fluid_test_sentinel_get_uri (sentinel), "jobs",
                                              "workers", fluid_test_seen_handler, seen, NULL);
  g_object_set (consumer, "batch-size", 20, "claim-idle", 1.0, "command-timeout", 2.0, NULL);
  producer = fluid_redis_stream_producer_new (fluid_test_sentinel_get_uri (sentinel), "jobs");
  g_object_set (producer, "min-replicas", 1, "command-timeout", 2.0, NULL);
  fluid_test_start_worker (FLUID_WORKER (consumer));
  fluid_test_start_worker (FLUID_WORKER (producer));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (consumer));

  feeder = fluid_test_feeder_new (producer, 2);
  fluid_test_wait_until (g_hash_table_size (feeder->added) >= 300 &&
                         g_hash_table_size (seen->data) >= 300);
  old = fluid_test_sentinel_get_server (sentinel, 0);
  promoted = fluid_test_sentinel_get_server (sentinel, 1);
  primary = fluid_test_sentinel_primary_port (sentinel);
  g_assert_cmpint (primary, ==, fluid_test_redis_get_port (old));
  fluid_test_redis_kill (old);
  added = g_hash_table_size (feeder->added);
  fluid_test_wait_until (fluid_test_sentinel_primary_port (sentinel) ==
                         fluid_test_redis_get_port (promoted));
  /* Back as a replica of the new primary, so that min-replicas 1 can be
   * met again: made one at once (the sentinels would wait 8 s to see that
   * it stays up before they convert it). */
  fluid_test_redis_start (old);
  replicaof = fluid_test_redis_string (old, "REPLICAOF 127.0.0.1 %d",
                                       fluid_test_redis_get_port (promoted));
  g_assert_cmpstr (replicaof, ==, "OK");
  fluid_test_wait_until (g_hash_table_size (feeder->added) >= added + 300);
  fluid_test_feeder_stop (feeder);

  fluid_test_wait_until (fluid_test_feeder_lost (feeder, seen) == 0);
  g_test_message ("added %u (%u not replicated, %u failed), handled %u, twice %u",
                  g_hash_table_size (feeder->added), feeder->not_replicated, feeder->failed,
                  g_hash_table_size (seen->data), fluid_test_seen_duplicates (seen));
  g_assert_cmpuint (fluid_test_seen_duplicates (seen), <=, 20);
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (consumer)));
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (consumer), "reconnects"), >=, 1);
  g_assert_cmpuint (fluid_test_status_u (FLUID_WORKER (producer), "reconnects"), >=, 1);
  fluid_test_stop_worker (FLUID_WORKER (producer));
  fluid_test_stop_worker (FLUID_WORKER (consumer));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  fluid_test_redis_init (&argc, &argv);
  sentinel = fluid_test_sentinel_new ();
  g_test_add_func ("/redis/sentinel/unknown-service", test_sentinel_unknown_service);
  g_test_add_func ("/redis/sentinel/failover", test_sentinel_failover);
  status = g_test_run ();
  fluid_test_sentinel_free (sentinel);
  return status;
}
