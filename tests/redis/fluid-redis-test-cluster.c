/* fluid-redis-test-cluster.c: a private Redis Cluster, and a private
 * Sentinel service, for the tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-cluster.h"
#include "fluid-test-utils.h"

#include <string.h>

#define N_NODES 6

/* A replica's first synchronization at once: Redis waits 5 s by default
 * for others to share the transfer. */
#define FLUID_TEST_REPLICATION "repl-diskless-sync-delay 0\n"

/* Polls @condition (a blocking check of the servers) until it holds,
 * with the tests' limit for a server that never gets there. */
#define fluid_test_poll_until(condition) \
  G_STMT_START { \
    gint64 _deadline = g_get_monotonic_time () + FLUID_TEST_WAIT_LIMIT_SECONDS * G_USEC_PER_SEC; \
    while (!(condition)) \
      { \
        if (g_get_monotonic_time () > _deadline) \
          g_error ("Timed out waiting for %s", #condition); \
        g_usleep (20000); \
      } \
  } G_STMT_END

/* The fields of a reply that is [name, value, name, value…]. */
static char *
fluid_test_reply_field (const redisReply *reply,
                        const char       *name)
{
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    return NULL;
  for (size_t i = 0; i + 1 < reply->elements; i += 2)
    {
      if (reply->element[i]->type == REDIS_REPLY_STRING &&
          g_str_equal (reply->element[i]->str, name))
        return g_strndup (reply->element[i + 1]->str, reply->element[i + 1]->len);
    }
  return NULL;
}

/* ROLE says "master", or "slave" with its link "connected". */
static gboolean
fluid_test_redis_role_settled (FluidTestRedis *redis,
                               gboolean       *primary)
{
  g_autoptr(redisContext) c = fluid_test_redis_connect (redis);
  g_autoptr(redisReply) reply = redisCommand (c, "ROLE");

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1)
    return FALSE;
  *primary = g_str_equal (reply->element[0]->str, "master");
  return *primary || (reply->elements >= 4 && reply->element[3]->type == REDIS_REPLY_STRING &&
                      g_str_equal (reply->element[3]->str, "connected"));
}

/* The Cluster */

struct _FluidTestCluster
{
  FluidTestRedis *nodes[N_NODES];
  char           *uri;
};

gboolean
fluid_test_cluster_is_ok (FluidTestCluster *cluster)
{
  for (guint i = 0; i < N_NODES; i++)
    {
      g_autofree char *info = NULL;
      gboolean primary;

      if (!fluid_test_redis_is_running (cluster->nodes[i]))
        continue;
      info = fluid_test_redis_string (cluster->nodes[i], "CLUSTER INFO");
      if (info == NULL || strstr (info, "cluster_state:ok") == NULL ||
          !fluid_test_redis_role_settled (cluster->nodes[i], &primary))
        return FALSE;
    }
  return TRUE;
}

void
fluid_test_cluster_cli (FluidTestCluster   *cluster,
                        const char * const *args)
{
  g_autofree char *program = g_find_program_in_path ("redis-cli");
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, g_strdup (program));
  g_ptr_array_add (argv, g_strdup ("--cluster"));
  g_ptr_array_add (argv, g_strdup (args[0]));
  for (guint i = 0; i < N_NODES; i++)
    {
      if (fluid_test_redis_is_running (cluster->nodes[i]))
        {
          g_ptr_array_add (argv, g_strdup_printf ("127.0.0.1:%d",
                                                  fluid_test_redis_get_port (cluster->nodes[i])));
          break;
        }
    }
  for (guint i = 1; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                &out, NULL, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("redis-cli --cluster %s failed:\n%s", args[0], out);
}

FluidTestCluster *
fluid_test_cluster_new (void)
{
  g_autofree char *cli = g_find_program_in_path ("redis-cli");
  g_autofree char *server = g_find_program_in_path ("redis-server");
  g_autoptr(GString) uri = g_string_new ("redis+cluster://");
  g_autoptr(GPtrArray) create = g_ptr_array_new_with_free_func (g_free);
  FluidTestCluster *cluster;

  if (cli == NULL || server == NULL)
    return NULL;
  cluster = g_new0 (FluidTestCluster, 1);
  g_ptr_array_add (create, g_strdup ("create"));
  for (guint i = 0; i < N_NODES; i++)
    {
      cluster->nodes[i] = fluid_test_redis_new_full (FLUID_TEST_REDIS_CLUSTER,
                                                     FLUID_TEST_REPLICATION
                                                     "cluster-node-timeout 1000\n");
      g_string_append_printf (uri, "%s127.0.0.1:%d", i > 0 ? "," : "",
                              fluid_test_redis_get_port (cluster->nodes[i]));
      if (i > 0)
        g_ptr_array_add (create, g_strdup_printf ("127.0.0.1:%d",
                                                  fluid_test_redis_get_port (cluster->nodes[i])));
    }
  cluster->uri = g_string_free (g_steal_pointer (&uri), FALSE);
  g_ptr_array_add (create, g_strdup ("--cluster-replicas"));
  g_ptr_array_add (create, g_strdup ("1"));
  g_ptr_array_add (create, g_strdup ("--cluster-yes"));
  g_ptr_array_add (create, NULL);
  fluid_test_cluster_cli (cluster, (const char * const *) create->pdata);
  fluid_test_poll_until (fluid_test_cluster_is_ok (cluster));
  return cluster;
}

FluidTestCluster *
fluid_test_cluster_new_or_skip (void)
{
  FluidTestCluster *cluster = fluid_test_cluster_new ();

  if (cluster == NULL)
    g_test_skip ("redis-server or redis-cli is not installed");
  return cluster;
}

const char *
fluid_test_cluster_get_uri (FluidTestCluster *cluster)
{
  return cluster->uri;
}

guint
fluid_test_cluster_get_n_nodes (FluidTestCluster *cluster)
{
  return N_NODES;
}

FluidTestRedis *
fluid_test_cluster_get_node (FluidTestCluster *cluster,
                             guint             i)
{
  g_assert_cmpuint (i, <, N_NODES);
  return cluster->nodes[i];
}

int
fluid_test_cluster_find_node (FluidTestCluster *cluster,
                              int               port)
{
  for (guint i = 0; i < N_NODES; i++)
    {
      if (fluid_test_redis_get_port (cluster->nodes[i]) == port)
        return (int) i;
    }
  return -1;
}

static FluidTestRedis *
fluid_test_cluster_running_node (FluidTestCluster *cluster)
{
  for (guint i = 0; i < N_NODES; i++)
    {
      if (fluid_test_redis_is_running (cluster->nodes[i]))
        return cluster->nodes[i];
    }
  g_assert_not_reached ();
}

guint
fluid_test_cluster_key_slot (FluidTestCluster *cluster,
                             const char       *key)
{
  return (guint) fluid_test_redis_integer (fluid_test_cluster_running_node (cluster),
                                           "CLUSTER KEYSLOT %s", key);
}

int
fluid_test_cluster_owner (FluidTestCluster *cluster,
                          guint             slot)
{
  g_autoptr(redisContext) c = fluid_test_redis_connect (fluid_test_cluster_running_node (cluster));
  g_autoptr(redisReply) reply = redisCommand (c, "CLUSTER SLOTS");

  g_assert_nonnull (reply);
  for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++)
    {
      const redisReply *range = reply->element[i];

      if (range->element[0]->integer <= slot && slot <= range->element[1]->integer)
        return fluid_test_cluster_find_node (cluster, (int) range->element[2]->element[1]->integer);
    }
  return -1;
}

char *
fluid_test_cluster_node_id (FluidTestCluster *cluster,
                            guint             i)
{
  return fluid_test_redis_string (fluid_test_cluster_get_node (cluster, i), "CLUSTER MYID");
}

void
fluid_test_cluster_free (FluidTestCluster *cluster)
{
  if (cluster == NULL)
    return;
  for (guint i = 0; i < N_NODES; i++)
    fluid_test_redis_free (cluster->nodes[i]);
  g_free (cluster->uri);
  g_free (cluster);
}

/* Sentinel */

#define N_SENTINELS 3

struct _FluidTestSentinel
{
  FluidTestRedis *servers[2];
  FluidTestRedis *sentinels[N_SENTINELS];
  char           *uri;
};

/* Each sentinel knows the replica and the two other sentinels: a
 * failover needs a majority of them to agree. */
static gboolean
fluid_test_sentinel_is_ready (FluidTestSentinel *sentinel)
{
  gboolean primary;

  if (!fluid_test_redis_role_settled (sentinel->servers[1], &primary) || primary)
    return FALSE;
  for (guint i = 0; i < N_SENTINELS; i++)
    {
      g_autoptr(redisContext) c = fluid_test_redis_connect (sentinel->sentinels[i]);
      g_autoptr(redisReply) reply = redisCommand (c, "SENTINEL MASTER fluid");
      g_autofree char *replicas = fluid_test_reply_field (reply, "num-slaves");
      g_autofree char *others = fluid_test_reply_field (reply, "num-other-sentinels");

      if (g_strcmp0 (replicas, "1") != 0 || g_strcmp0 (others, "2") != 0)
        return FALSE;
    }
  return TRUE;
}

FluidTestSentinel *
fluid_test_sentinel_new (void)
{
  g_autoptr(GString) uri = g_string_new ("redis+sentinel://");
  g_autofree char *replica = NULL;
  g_autofree char *monitor = NULL;
  g_autofree char *program = g_find_program_in_path ("redis-server");
  FluidTestSentinel *sentinel;

  if (program == NULL)
    return NULL;
  sentinel = g_new0 (FluidTestSentinel, 1);
  sentinel->servers[0] = fluid_test_redis_new_full (FLUID_TEST_REDIS_TCP, FLUID_TEST_REPLICATION);
  replica = g_strdup_printf (FLUID_TEST_REPLICATION "replicaof 127.0.0.1 %d\n",
                             fluid_test_redis_get_port (sentinel->servers[0]));
  sentinel->servers[1] = fluid_test_redis_new_full (FLUID_TEST_REDIS_TCP, replica);
  monitor = g_strdup_printf ("sentinel monitor fluid 127.0.0.1 %d 2\n"
                             "sentinel down-after-milliseconds fluid 1000\n"
                             "sentinel failover-timeout fluid 2000\n",
                             fluid_test_redis_get_port (sentinel->servers[0]));
  for (guint i = 0; i < N_SENTINELS; i++)
    {
      sentinel->sentinels[i] = fluid_test_redis_new_full (FLUID_TEST_REDIS_SENTINEL, monitor);
      g_string_append_printf (uri, "%s127.0.0.1:%d", i > 0 ? "," : "",
                              fluid_test_redis_get_port (sentinel->sentinels[i]));
    }
  g_string_append (uri, "/fluid");
  sentinel->uri = g_string_free (g_steal_pointer (&uri), FALSE);
  fluid_test_poll_until (fluid_test_sentinel_is_ready (sentinel));
  return sentinel;
}

FluidTestSentinel *
fluid_test_sentinel_new_or_skip (void)
{
  FluidTestSentinel *sentinel = fluid_test_sentinel_new ();

  if (sentinel == NULL)
    g_test_skip ("redis-server is not installed");
  return sentinel;
}

const char *
fluid_test_sentinel_get_uri (FluidTestSentinel *sentinel)
{
  return sentinel->uri;
}

FluidTestRedis *
fluid_test_sentinel_get_server (FluidTestSentinel *sentinel,
                                guint              i)
{
  g_assert_cmpuint (i, <, 2);
  return sentinel->servers[i];
}

int
fluid_test_sentinel_primary_port (FluidTestSentinel *sentinel)
{
  for (guint i = 0; i < N_SENTINELS; i++)
    {
      g_autoptr(redisContext) c = fluid_test_redis_connect (sentinel->sentinels[i]);
      g_autoptr(redisReply) reply = redisCommand (c, "SENTINEL GET-MASTER-ADDR-BY-NAME fluid");

      if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
        return atoi (reply->element[1]->str);
    }
  return -1;
}

void
fluid_test_sentinel_free (FluidTestSentinel *sentinel)
{
  if (sentinel == NULL)
    return;
  for (guint i = 0; i < N_SENTINELS; i++)
    fluid_test_redis_free (sentinel->sentinels[i]);
  for (guint i = 0; i < 2; i++)
    fluid_test_redis_free (sentinel->servers[i]);
  g_free (sentinel->uri);
  g_free (sentinel);
}
