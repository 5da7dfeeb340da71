/* redis-shards.c: jobs spread over the shards of a Redis Cluster.
 *
 *   redis-shards redis+cluster://host:port[,host:port…]
 *
 * Four streams, jobs:{0} … jobs:{3}: in a Cluster, the part in braces is
 * what a key's slot is computed from, so that each stream and its
 * dead-letter stream (jobs:{0}:dead) live in one slot, on one node, and
 * the streams are spread over the primaries (the cluster decides which
 * holds which slot; two streams may share one until an operator moves a
 * slot). A FluidWorkers group runs a consumer per stream, and a producer
 * per stream; each job goes to the stream its customer's hash picks, so
 * that the jobs of one customer keep their order in one shard.
 *
 * The program adds 2 000 jobs, stops once each was handled, and prints
 * how many each shard handled.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/redis/fluid-redis.h>

#include <stdio.h>

#define N_SHARDS 4
#define N_JOBS 2000

typedef struct
{
  FluidWorkers *group;
  GHashTable   *jobs;               /* the jobs handled */
  guint         handled[N_SHARDS];  /* by each shard's consumer */
} Totals;

typedef struct
{
  Totals *totals;
  guint   shard;
} Shard;

static gboolean
handle_job (FluidRedisStreamConsumer  *consumer,
            FluidRedisEntry           *entry,
            gpointer                   user_data,
            GError                   **error)
{
  Shard *shard = user_data;
  const char *job = fluid_redis_entry_get_string (entry, "job");

  if (job == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "entry %s has no job",
                   fluid_redis_entry_get_id (entry));
      return FALSE;
    }
  /* The work itself would be here. */
  shard->totals->handled[shard->shard]++;
  g_hash_table_add (shard->totals->jobs, g_strdup (job));
  if (g_hash_table_size (shard->totals->jobs) == N_JOBS)
    fluid_worker_gracefully_stop (FLUID_WORKER (shard->totals->group));
  return TRUE;
}

/* The shard of a customer: the same for all of its jobs. */
static guint
shard_of (const char *customer)
{
  return g_str_hash (customer) % N_SHARDS;
}

int
main (int   argc,
      char *argv[])
{
  FluidRedisStreamProducer *producers[N_SHARDS];
  Shard shards[N_SHARDS];
  Totals totals = { NULL, NULL, { 0 } };
  gboolean all;
  int exit_code;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s redis+cluster://host:port[,host:port…]\n", argv[0]);
      return 64;
    }
  totals.group = fluid_workers_new ();
  totals.jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < N_SHARDS; i++)
    {
      g_autofree char *stream = g_strdup_printf ("jobs:{%u}", i);
      g_autoptr(FluidRedisStreamConsumer) consumer = NULL;

      shards[i].totals = &totals;
      shards[i].shard = i;
      consumer = fluid_redis_stream_consumer_new (argv[1], stream, "workers", handle_job,
                                                  &shards[i], NULL);
      fluid_worker_set_name (FLUID_WORKER (consumer), stream);
      fluid_workers_add_worker (totals.group, FLUID_WORKER (consumer));
      producers[i] = fluid_redis_stream_producer_new (argv[1], stream);
      fluid_workers_add_worker (totals.group, FLUID_WORKER (producers[i]));
    }

  /* send() never blocks: the producers hold the jobs until they have
   * connected, once the group runs. */
  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autofree char *customer = g_strdup_printf ("customer-%u", i % 97);
      g_autofree char *job = g_strdup_printf ("job-%04u", i);
      const char *fields[] = { "customer", customer, "job", job, NULL };

      fluid_redis_stream_producer_send (producers[shard_of (customer)], fields);
    }

  /* Until every job was handled: a handler stops the group. */
  exit_code = fluid_worker_run_main (FLUID_WORKER (totals.group));

  for (guint i = 0; i < N_SHARDS; i++)
    {
      printf ("jobs:{%u} handled %u jobs\n", i, totals.handled[i]);
      g_object_unref (producers[i]);
    }
  all = g_hash_table_size (totals.jobs) == N_JOBS;
  printf ("jobs handled: %u of %u\n", g_hash_table_size (totals.jobs), N_JOBS);
  g_hash_table_unref (totals.jobs);
  g_object_unref (totals.group);
  return exit_code == 0 && all ? 0 : 1;
}
