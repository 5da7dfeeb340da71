/* bench-redis.c: the Redis Streams figures, each printed as
 * "metric_name value":
 *
 * - redis_raw_xadd_pipelined_per_s: redis-benchmark's XADD, 16 commands
 *   pipelined, on the same server: the limit of what any client adds;
 * - redis_stream_msgs_per_s: 100 000 entries from a producer (this
 *   process) to a consumer (another process), end to end, acknowledged;
 * - redis_stream_vs_raw_xadd_percent: the second against the first;
 * - redis_claim_latency_ms: from the SIGKILL of a consumer that holds
 *   100 entries to the last of them handled by another, whose claim-idle
 *   is 0.5 s.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-utils.h"
#include "fluid-redis-test-process.h"
#include "fluid-test-utils.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define N_ENTRIES 100000

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
group_pending (redisContext *c)
{
  g_autoptr(redisReply) reply = redisCommand (c, "XPENDING jobs workers");

  return reply != NULL && reply->type == REDIS_REPLY_ARRAY ? reply->element[0]->integer : -1;
}

static double
stream_msgs_per_s (FluidTestRedis *redis)
{
  const char *args[] = { "--quiet", "--count", G_STRINGIFY (N_ENTRIES), NULL };
  g_autoptr(FluidTestProcess) consumer = fluid_test_process_new (fluid_test_redis_get_uri (redis),
                                                                 "bench", args);
  g_autoptr(FluidRedisStreamProducer) producer = fluid_redis_stream_producer_new (fluid_test_redis_get_uri (redis),
                                                                                  "jobs");
  g_autoptr(redisContext) c = fluid_test_redis_connect (redis);
  g_autoptr(GError) error = NULL;
  gint64 start;
  gint64 end;

  fluid_redis_stream_producer_set_max_buffered (producer, 0);
  g_assert_true (fluid_test_startup (FLUID_WORKER (producer), &error));
  fluid_test_wait_until (consumer->ready && fluid_redis_stream_producer_is_connected (producer));

  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_ENTRIES; i++)
    {
      char data[32];
      const char *fields[] = { "data", data, NULL };

      g_snprintf (data, sizeof data, "job-%u", i);
      fluid_redis_stream_producer_send (producer, fields);
    }
  fluid_test_wait_until (consumer->done);
  while (group_pending (c) != 0)
    g_usleep (200);
  end = g_get_monotonic_time ();

  g_assert_true (fluid_test_shutdown (FLUID_WORKER (producer), &error));
  g_assert_cmpint (fluid_test_process_stop (consumer, SIGTERM), ==, 0);
  return N_ENTRIES / ((end - start) / (double) G_USEC_PER_SEC);
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

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FluidTestRedis) redis = NULL;
  double raw;
  double msgs;
  double latency;

  g_test_init (&argc, &argv, NULL);
  /* AOF on, fsync every second (Redis's default with AOF): with "always",
   * each write waits for the disk, and the disk is what is measured. */
  redis = fluid_test_redis_new_with_fsync ("everysec");
  if (redis == NULL)
    {
      printf ("# redis-server is not installed: no figures\n");
      return 0;
    }
  raw = raw_xadd_per_s (redis);
  msgs = stream_msgs_per_s (redis);
  latency = claim_latency_ms (redis);
  printf ("redis_raw_xadd_pipelined_per_s %.0f\n", raw);
  printf ("redis_stream_msgs_per_s %.0f\n", msgs);
  if (raw > 0)
    printf ("redis_stream_vs_raw_xadd_percent %.1f\n", 100 * msgs / raw);
  printf ("redis_claim_latency_ms %.1f\n", latency);
  return 0;
}
