/* bench-redis.c: the Redis Streams figures, measured side by side in one
 * run, each printed as "metric_name value":
 *
 * - redis_raw_xadd_pipelined_per_s: redis-benchmark's XADD, 16 commands
 *   pipelined, on one server: the limit of what any client adds;
 * - redis_stream_msgs_per_s: 100 000 entries from a producer (this
 *   process) to a consumer (another process), end to end, acknowledged,
 *   on that server;
 * - redis_stream_vs_raw_xadd_percent: the second against the first;
 * - redis_claim_latency_ms: from the SIGKILL of a consumer that holds
 *   100 entries to the last of them handled by another, whose claim-idle
 *   is 0.5 s;
 * - redis_c_rss_bytes_per_100k, redis_python_rss_bytes_per_100k: what a
 *   consumer and a producer in one process gain per 100 000 entries after
 *   the first 40 000, over 200 000, with a C handler function, with a
 *   Python handler (bench-redis-memory.py);
 * - on a local Redis Cluster of 3 primaries and 3 replicas:
 *   redis_cluster_msgs_per_s, 100 000 entries end to end over three
 *   streams on three primaries, a consumer process each;
 *   redis_cluster_failover_gap_ms, from the SIGKILL of a stream's primary
 *   (entries coming, added with min-replicas 1) to the first entry added
 *   after it that is handled; redis_cluster_lost_acked, the entries the
 *   producer was told were added (a replica held them) and that were
 *   never handled: 0;
 * - the same two through a Sentinel service (a primary, a replica, three
 *   sentinels, down-after-milliseconds 1000): redis_sentinel_failover_gap_ms,
 *   redis_sentinel_lost_acked.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-cluster.h"
#include "fluid-redis-test-process.h"
#include "fluid-redis-test-seen.h"
#include "fluid-redis-test-utils.h"
#include "fluid-test-utils.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ENTRIES 100000
#define N_SHARDS 3

static double
raw_xadd_per_s (FluidTestRedis *redis)
{
  g_autofree char *program = g_find_program_in_path ("redis-benchmark");
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { program, "-s", fluid_test_redis_get_socket (redis), "-P", "16",
                         "-n", "200000", "-q", "XADD", "rawbench", "*", "data", "job", NULL };
  int status = 0;
  char *found;
  double best = 0;

  if (program == NULL)
    return 0;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                &out, NULL, &status, &error);
  g_assert_no_error (error);
  /* "XADD rawbench * data job: 612745.12 requests per second, ..." */
  for (found = strstr (out, ": "); found != NULL; found = strstr (found + 2, ": "))
    {
      double value = g_ascii_strtod (found + 2, NULL);

      if (strncmp (strchr (found + 2, ' ') != NULL ? strchr (found + 2, ' ') : "", " requests", 9) == 0)
        best = value;
    }
  return best;
}

static long long
group_pending (FluidTestRedis *redis,
               const char     *stream)
{
  g_autoptr(redisContext) c = fluid_test_redis_connect (redis);
  g_autoptr(redisReply) reply = redisCommand (c, "XPENDING %s workers", stream);

  return reply != NULL && reply->type == REDIS_REPLY_ARRAY ? reply->element[0]->integer : -1;
}

static void
send_entries (FluidRedisStreamProducer *producer,
              guint                     n)
{
  for (guint i = 0; i < n; i++)
    {
      char data[32];
      const char *fields[] = { "data", data, NULL };

      g_snprintf (data, sizeof data, "job-%u", i);
      fluid_redis_stream_producer_send (producer, fields);
    }
}

/* @n_streams consumer processes, one a stream, on @redises (where each
 * stream's pending entries are asked), and producers here, sharing
 * N_ENTRIES; entries a second, from the first send to the last
 * acknowledgement. */
static double
stream_msgs_per_s (const char      *uri,
                   const char     **streams,
                   FluidTestRedis **redises,
                   guint            n_streams)
{
  g_autofree char *count = g_strdup_printf ("%u", N_ENTRIES / n_streams);
  const char *args[] = { "--quiet", "--count", count, NULL };
  FluidTestProcess *consumers[N_SHARDS];
  FluidRedisStreamProducer *producers[N_SHARDS];
  g_autoptr(GError) error = NULL;
  gint64 start;
  gint64 end;

  for (guint i = 0; i < n_streams; i++)
    {
      consumers[i] = fluid_test_process_new_for_stream (uri, streams[i], "bench", args);
      producers[i] = fluid_redis_stream_producer_new (uri, streams[i]);
      fluid_redis_stream_producer_set_max_buffered (producers[i], 0);
      g_assert_true (fluid_test_startup (FLUID_WORKER (producers[i]), &error));
    }
  for (guint i = 0; i < n_streams; i++)
    fluid_test_wait_until (consumers[i]->ready &&
                           fluid_redis_stream_producer_is_connected (producers[i]));

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_streams; i++)
    send_entries (producers[i], N_ENTRIES / n_streams);
  for (guint i = 0; i < n_streams; i++)
    {
      fluid_test_wait_until (consumers[i]->done);
      while (group_pending (redises[i], streams[i]) != 0)
        g_usleep (200);
    }
  end = g_get_monotonic_time ();

  for (guint i = 0; i < n_streams; i++)
    {
      g_assert_true (fluid_test_shutdown (FLUID_WORKER (producers[i]), &error));
      g_assert_cmpint (fluid_test_process_stop (consumers[i], SIGTERM), ==, 0);
      fluid_test_process_free (consumers[i]);
      g_object_unref (producers[i]);
    }
  return (N_ENTRIES / n_streams) * n_streams / ((end - start) / (double) G_USEC_PER_SEC);
}

static double
claim_latency_ms (FluidTestRedis *redis)
{
  const char *hang_args[] = { "--hang", "--batch", "100", NULL };
  const char *claim_args[] = { "--claim-idle", "0.5", "--count", "100", "--quiet", NULL };
  g_autoptr(FluidTestProcess) dead = fluid_test_process_new (fluid_test_redis_get_uri (redis),
                                                             "dead", hang_args);
  g_autoptr(FluidTestProcess) heir = NULL;
  g_autoptr(redisContext) c = fluid_test_redis_connect (redis);
  gint64 killed;

  fluid_test_wait_until (dead->ready);
  fluid_test_redis_integer (redis, "DEL claims");
  for (guint i = 0; i < 100; i++)
    freeReplyObject (redisCommand (c, "XADD jobs * data claim-%u", i));
  fluid_test_wait_until (g_hash_table_size (dead->holding) == 100);
  heir = fluid_test_process_new (fluid_test_redis_get_uri (redis), "heir", claim_args);
  fluid_test_wait_until (heir->ready);

  killed = g_get_monotonic_time ();
  fluid_test_process_stop (dead, SIGKILL);
  fluid_test_wait_until (heir->done);
  return (g_get_monotonic_time () - killed) / 1000.0;
}

/* Memory */

static double
c_rss_per_100k (FluidTestRedis *redis)
{
  guint handled = 0;
  const char *uri = fluid_test_redis_get_uri (redis);
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;

  consumer = fluid_redis_stream_consumer_new (uri, "memory", "workers", fluid_test_count_handler,
                                              &handled, NULL);

  return fluid_test_run_rounds (consumer, &handled, 10, 20000) * 100000.0 / 160000;
}

/* What bench-redis-memory.py prints, or -1 without Python and FluidRedis. */
static double
python_rss_per_100k (FluidTestRedis *redis)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "bench-redis-memory.py", NULL);
  const char *python = g_getenv ("FLUID_BENCH_PYTHON");
  const char *argv[] = { python, script, fluid_test_redis_get_uri (redis), NULL };
  g_autofree char *out = NULL;
  const char *found;
  int status = 0;

  if (python == NULL || !g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                                       NULL, NULL, &out, NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL) ||
      (found = strstr (out, "redis_python_rss_bytes_per_100k ")) == NULL)
    return -1;
  return g_ascii_strtod (found + strlen ("redis_python_rss_bytes_per_100k "), NULL);
}

/* Failovers */

/* The entries handled, and when the first one added after the kill was. */
typedef struct
{
  FluidTestSeen *seen;
  guint          after;      /* the first N of "feed-N" added after the kill */
  gint64         resumed;    /* monotonic µs; 0 until then */
} Resume;

static gboolean
resume_handler (FluidRedisStreamConsumer  *consumer,
                FluidRedisEntry           *entry,
                gpointer                   user_data,
                GError                   **error)
{
  Resume *resume = user_data;
  const char *data = fluid_redis_entry_get_string (entry, "data");

  if (resume->after > 0 && resume->resumed == 0 && data != NULL &&
      g_ascii_strtoull (data + strlen ("feed-"), NULL, 10) >= resume->after)
    resume->resumed = g_get_monotonic_time ();
  return fluid_test_seen_handler (consumer, entry, resume->seen, error);
}

typedef struct
{
  FluidRedisStreamConsumer *consumer;
  FluidRedisStreamProducer *producer;
  FluidTestFeeder          *feeder;
  Resume                    resume;
  gint64                    killed;
} Failover;

static void
failover_start (Failover   *failover,
                const char *uri,
                const char *stream)
{
  g_autoptr(GError) error = NULL;

  failover->resume.seen = fluid_test_seen_new ();
  failover->consumer = fluid_redis_stream_consumer_new (uri, stream, "workers", resume_handler,
                                                        &failover->resume, NULL);
  g_object_set (failover->consumer, "batch-size", 20, "claim-idle", 1.0, "command-timeout", 2.0,
                NULL);
  failover->producer = fluid_redis_stream_producer_new (uri, stream);
  g_object_set (failover->producer, "min-replicas", 1, "command-timeout", 2.0, NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (failover->consumer), &error));
  g_assert_true (fluid_test_startup (FLUID_WORKER (failover->producer), &error));
  fluid_test_wait_until (fluid_redis_stream_consumer_is_connected (failover->consumer));
  failover->feeder = fluid_test_feeder_new (failover->producer, 2);
  fluid_test_wait_until (g_hash_table_size (failover->feeder->added) >= 300);
}

static void
failover_killed (Failover *failover)
{
  failover->killed = g_get_monotonic_time ();
  failover->resume.after = failover->feeder->next;
}

/* The gap in ms; the entries added and not handled in @lost. */
static double
failover_end (Failover *failover,
              guint    *lost)
{
  g_autoptr(GError) error = NULL;
  guint added = g_hash_table_size (failover->feeder->added);
  double gap;

  fluid_test_wait_until (failover->resume.resumed != 0 &&
                         g_hash_table_size (failover->feeder->added) >= added + 300);
  fluid_test_feeder_stop (failover->feeder);
  /* Handled by now, or never: claim-idle is 1 s. */
  fluid_test_wait_until (fluid_test_feeder_lost (failover->feeder, failover->resume.seen) == 0 ||
                         g_get_monotonic_time () - failover->resume.seen->last_time >
                         5 * G_USEC_PER_SEC);
  *lost = fluid_test_feeder_lost (failover->feeder, failover->resume.seen);
  gap = (failover->resume.resumed - failover->killed) / 1000.0;
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (failover->producer), &error));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (failover->consumer), &error));
  fluid_test_feeder_free (failover->feeder);
  g_object_unref (failover->producer);
  g_object_unref (failover->consumer);
  fluid_test_seen_free (failover->resume.seen);
  return gap;
}

/* Three streams whose slots three primaries own. */
static void
pick_streams (FluidTestCluster *cluster,
              char            **streams,
              FluidTestRedis  **owners)
{
  guint n = 0;

  for (guint i = 0; n < N_SHARDS; i++)
    {
      g_autofree char *stream = g_strdup_printf ("{bench-%u}", i);
      guint slot = fluid_test_cluster_key_slot (cluster, stream);
      guint node = fluid_test_cluster_owner (cluster, slot);
      FluidTestRedis *owner = fluid_test_cluster_get_node (cluster, node);
      gboolean taken = FALSE;

      for (guint j = 0; j < n; j++)
        taken |= owners[j] == owner;
      if (taken)
        continue;
      owners[n] = owner;
      streams[n++] = g_steal_pointer (&stream);
    }
}

static void
cluster_figures (double *msgs,
                 double *gap,
                 guint  *lost)
{
  g_autoptr(FluidTestCluster) cluster = fluid_test_cluster_new ();
  char *streams[N_SHARDS];
  FluidTestRedis *owners[N_SHARDS];
  Failover failover = { 0, };
  guint slot;
  int owner;

  pick_streams (cluster, streams, owners);
  *msgs = stream_msgs_per_s (fluid_test_cluster_get_uri (cluster), (const char **) streams, owners,
                             N_SHARDS);
  for (guint i = 0; i < N_SHARDS; i++)
    g_free (streams[i]);

  failover_start (&failover, fluid_test_cluster_get_uri (cluster), "{failover}");
  slot = fluid_test_cluster_key_slot (cluster, "{failover}");
  owner = fluid_test_cluster_owner (cluster, slot);
  fluid_test_redis_kill (fluid_test_cluster_get_node (cluster, owner));
  failover_killed (&failover);
  fluid_test_wait_until (fluid_test_cluster_owner (cluster, slot) != owner);
  /* Back as a replica: min-replicas 1 can be met again. */
  fluid_test_redis_start (fluid_test_cluster_get_node (cluster, owner));
  *gap = failover_end (&failover, lost);
}

static void
sentinel_figures (double *gap,
                  guint  *lost)
{
  g_autoptr(FluidTestSentinel) sentinel = fluid_test_sentinel_new ();
  FluidTestRedis *old = fluid_test_sentinel_get_server (sentinel, 0);
  FluidTestRedis *promoted = fluid_test_sentinel_get_server (sentinel, 1);
  Failover failover = { 0, };

  failover_start (&failover, fluid_test_sentinel_get_uri (sentinel), "jobs");
  fluid_test_redis_kill (old);
  failover_killed (&failover);
  fluid_test_wait_until (fluid_test_sentinel_primary_port (sentinel) ==
                         fluid_test_redis_get_port (promoted));
  fluid_test_redis_start (old);
  g_free (fluid_test_redis_string (old, "REPLICAOF 127.0.0.1 %d",
                                   fluid_test_redis_get_port (promoted)));
  *gap = failover_end (&failover, lost);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FluidTestRedis) redis = NULL;
  g_autofree char *cli = g_find_program_in_path ("redis-cli");
  const char *streams[] = { "jobs" };
  FluidTestRedis *redises[1];
  double raw, msgs, latency, c_rss, python_rss;
  double cluster_msgs = 0, cluster_gap = 0, sentinel_gap = 0;
  guint cluster_lost = 0, sentinel_lost = 0;

  fluid_test_redis_init (&argc, &argv);
  /* AOF on, fsync every second (Redis's default with AOF): with "always",
   * each write waits for the disk, and the disk is what is measured. */
  redis = fluid_test_redis_new_with_fsync ("everysec");
  if (redis == NULL)
    {
      printf ("# redis-server is not installed: no figures\n");
      return 0;
    }
  redises[0] = redis;
  raw = raw_xadd_per_s (redis);
  msgs = stream_msgs_per_s (fluid_test_redis_get_uri (redis), streams, redises, 1);
  latency = claim_latency_ms (redis);
  c_rss = c_rss_per_100k (redis);
  python_rss = python_rss_per_100k (redis);
  if (cli != NULL)
    {
      cluster_figures (&cluster_msgs, &cluster_gap, &cluster_lost);
      sentinel_figures (&sentinel_gap, &sentinel_lost);
    }

  printf ("redis_raw_xadd_pipelined_per_s %.0f\n", raw);
  printf ("redis_stream_msgs_per_s %.0f\n", msgs);
  if (raw > 0)
    printf ("redis_stream_vs_raw_xadd_percent %.1f\n", 100 * msgs / raw);
  printf ("redis_claim_latency_ms %.1f\n", latency);
  printf ("redis_c_rss_bytes_per_100k %.0f\n", c_rss);
  if (python_rss >= 0)
    printf ("redis_python_rss_bytes_per_100k %.0f\n", python_rss);
  else
    printf ("# Python with FluidRedis not found: no redis_python_rss_bytes_per_100k\n");
  if (cli != NULL)
    {
      printf ("redis_cluster_msgs_per_s %.0f\n", cluster_msgs);
      printf ("redis_cluster_failover_gap_ms %.0f\n", cluster_gap);
      printf ("redis_cluster_lost_acked %u\n", cluster_lost);
      printf ("redis_sentinel_failover_gap_ms %.0f\n", sentinel_gap);
      printf ("redis_sentinel_lost_acked %u\n", sentinel_lost);
    }
  else
    {
      printf ("# redis-cli is not installed: no Cluster or Sentinel figures\n");
    }
  return 0;
}
