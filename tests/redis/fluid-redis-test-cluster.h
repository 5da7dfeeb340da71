/* fluid-redis-test-cluster.h: a private Redis Cluster, and a private
 * Sentinel service, for the tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-redis-test-utils.h"

G_BEGIN_DECLS

/* Six redis-servers with --cluster-enabled yes on free ports of
 * 127.0.0.1, formed with redis-cli --cluster create … --cluster-replicas
 * 1 (three primaries, a replica each), returned once every node says the
 * cluster is ok and every primary has its replica in sync. NULL when
 * redis-server or redis-cli is missing. */
typedef struct _FluidTestCluster FluidTestCluster;

FluidTestCluster *fluid_test_cluster_new          (void);
FluidTestCluster *fluid_test_cluster_new_or_skip  (void);
/* redis+cluster://127.0.0.1:PORT,… (every node). */
const char       *fluid_test_cluster_get_uri      (FluidTestCluster *cluster);
guint             fluid_test_cluster_get_n_nodes  (FluidTestCluster *cluster);
FluidTestRedis   *fluid_test_cluster_get_node     (FluidTestCluster *cluster,
                                                   guint             i);
/* The node whose port is @port, or -1. */
int               fluid_test_cluster_find_node    (FluidTestCluster *cluster,
                                                   int               port);
guint             fluid_test_cluster_key_slot     (FluidTestCluster *cluster,
                                                   const char       *key);
/* The node that owns @slot as a running node says, or -1. */
int               fluid_test_cluster_owner        (FluidTestCluster *cluster,
                                                   guint             slot);
/* Every running node says cluster_state:ok, and every running primary
 * has as many replicas in sync as running replicas follow it. */
gboolean          fluid_test_cluster_is_ok        (FluidTestCluster *cluster);
/* The node id of node @i (CLUSTER MYID). */
char             *fluid_test_cluster_node_id      (FluidTestCluster *cluster,
                                                   guint             i);
/* Runs redis-cli --cluster with @args after the first running node's
 * address (reshard, …); asserts it succeeds. */
void              fluid_test_cluster_cli          (FluidTestCluster   *cluster,
                                                   const char * const *args);
void              fluid_test_cluster_free         (FluidTestCluster *cluster);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidTestCluster, fluid_test_cluster_free)

/* A primary, a replica of it and three sentinels (quorum 2,
 * down-after-milliseconds 1000) monitoring it as the service "fluid",
 * all on free ports of 127.0.0.1, returned once the sentinels know the
 * replica and one another. NULL when redis-server is missing. */
typedef struct _FluidTestSentinel FluidTestSentinel;

FluidTestSentinel *fluid_test_sentinel_new          (void);
FluidTestSentinel *fluid_test_sentinel_new_or_skip  (void);
/* redis+sentinel://127.0.0.1:PORT,…/fluid */
const char        *fluid_test_sentinel_get_uri      (FluidTestSentinel *sentinel);
/* The servers as started: the first is the primary until a failover. */
FluidTestRedis    *fluid_test_sentinel_get_server   (FluidTestSentinel *sentinel,
                                                     guint              i);
/* The port of the primary, as the first sentinel that answers says. */
int                fluid_test_sentinel_primary_port (FluidTestSentinel *sentinel);
void               fluid_test_sentinel_free         (FluidTestSentinel *sentinel);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidTestSentinel, fluid_test_sentinel_free)

G_END_DECLS
