/* test-redis-private.c: the private subsystems of libfluid-glib-redis,
 * linked with the library's objects: URIs, hash slots, transient
 * answers, redirections
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-address-private.h"
#include "fluid-redis-error.h"
#include "fluid-redis-reply-private.h"
#include "fluid-redis-router-private.h"
#include "fluid-test-utils.h"

#include <string.h>

static void
test_address_sentinel (void)
{
  FluidRedisAddress address;
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_redis_address_parse ("redis+sentinel://u:p%40ss@h1:26380,[::1]:5,h3/"
                                            "my%20service?db=3", &address, &error));
  g_assert_no_error (error);
  g_assert_cmpint (address.topology, ==, FLUID_REDIS_TOPOLOGY_SENTINEL);
  g_assert_cmpuint (address.seeds->len, ==, 3);
  g_assert_cmpstr (g_array_index (address.seeds, FluidRedisNode, 0).host, ==, "h1");
  g_assert_cmpint (g_array_index (address.seeds, FluidRedisNode, 0).port, ==, 26380);
  g_assert_cmpstr (g_array_index (address.seeds, FluidRedisNode, 1).host, ==, "::1");
  g_assert_cmpint (g_array_index (address.seeds, FluidRedisNode, 1).port, ==, 5);
  /* A sentinel's port by default. */
  g_assert_cmpint (g_array_index (address.seeds, FluidRedisNode, 2).port, ==, 26379);
  g_assert_cmpstr (address.service, ==, "my service");
  g_assert_cmpint (address.db, ==, 3);
  g_assert_cmpstr (address.user, ==, "u");
  g_assert_cmpstr (address.password, ==, "p@ss");
  fluid_redis_address_clear (&address);
}

static void
test_address_cluster (void)
{
  FluidRedisAddress address;
  FluidRedisAddress copy;
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_redis_address_parse ("redis+cluster://10.0.0.1:7000,10.0.0.2", &address,
                                            &error));
  g_assert_no_error (error);
  g_assert_cmpint (address.topology, ==, FLUID_REDIS_TOPOLOGY_CLUSTER);
  g_assert_cmpuint (address.seeds->len, ==, 2);
  g_assert_cmpint (g_array_index (address.seeds, FluidRedisNode, 1).port, ==, 6379);
  g_assert_null (address.password);
  fluid_redis_address_copy (&address, &copy);
  g_assert_cmpuint (copy.seeds->len, ==, 2);
  g_assert_cmpstr (g_array_index (copy.seeds, FluidRedisNode, 0).host, ==, "10.0.0.1");
  fluid_redis_address_clear (&copy);
  fluid_redis_address_clear (&address);
}

/* Refused, with the password out of the message. */
static void
test_address_bad (void)
{
  const char *uris[] = {
    "redis+sentinel://h1:1/",                /* no service */
    "redis+sentinel://h1:1",                 /* no service */
    "redis+sentinel://h1:1/a/b",
    "redis+sentinel:///svc",                 /* no host */
    "redis+sentinel://h1:0/svc",
    "redis+sentinel://h1:99999/svc",
    "redis+sentinel://h1:x/svc",
    "redis+sentinel://h1,,h2/svc",
    "redis+sentinel://h1/svc?password=secret",
    "redis+sentinel://h1/svc?db=-1",
    "redis+sentinel://user@h1/svc",          /* a user needs a password */
    "redis+sentinel://[::1/svc",
    "redis+cluster://h1:1/3",                /* database 0 only */
    "redis+cluster://h1:1?db=2",
    "redis+cluster://u:secret@",
  };

  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      FluidRedisAddress address;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", uris[i]);
      g_assert_false (fluid_redis_address_parse (uris[i], &address, &error));
      g_assert_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI);
      g_assert_null (strstr (error->message, "secret"));
    }
}

/* What logs and messages quote of a URI: all but its password and its
 * query, for every form; of one that does not parse, what stands between
 * the authority's start and the last '@'. */
static void
test_uri_without_password (void)
{
  const char *uris[][2] = {
    { "redis://:secret@host:6380/2", "redis://@host:6380/2" },
    { "redis://user:secret@host", "redis://user@host" },
    { "unix:///run/redis.sock?db=1&user=u&password=secret", "unix:///run/redis.sock" },
    { "redis+sentinel://u:secret@h1:1,h2:2/svc?db=1", "redis+sentinel://u@h1:1,h2:2/svc" },
    { "redis+sentinel://:secret@h1/svc", "redis+sentinel://h1/svc" },
    { "redis+cluster://u:secret@h1:1,[::1]:2", "redis+cluster://u@h1:1,[::1]:2" },
    { "redis://u:secret@h:99999999", "redis://…@h:99999999" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autofree char *shown = fluid_redis_uri_without_password (uris[i][0]);

      g_assert_cmpstr (shown, ==, uris[i][1]);
    }
}

/* As Redis computes them (CLUSTER KEYSLOT), hash tags included. */
static void
test_key_slot (void)
{
  struct { const char *key; guint slot; } keys[] = {
    { "123456789", 0x31c3 },  /* CRC16/XMODEM's check value */
    { "foo", 12182 },
    { "jobs", 9631 },
    { "{jobs}", 9631 },
    { "{jobs}:dead", 9631 },
    { "{moving-5623}", 0 },
    { "foo{}{bar}", 8363 },   /* {} hashes the whole key */
    { "foo{bar}{zap}", 5061 },
    { "{bar", 4015 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_cmpuint (fluid_redis_key_slot (keys[i].key, strlen (keys[i].key)), ==, keys[i].slot);
  g_assert_cmpuint (fluid_redis_key_slot ("foo{{bar}}zap", 13), ==,
                    fluid_redis_key_slot ("{bar", 4));
  g_assert_cmpuint (fluid_redis_key_slot ("bar", 3), ==,
                    fluid_redis_key_slot ("foo{bar}{zap}", 13));
}

static void
test_transient (void)
{
  const char *transient[] = {
    "LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script.",
    "MASTERDOWN Link with MASTER is down", "READONLY You can't write against a read only replica.",
    "NOREPLICAS Not enough good replicas to write.",
    "TRYAGAIN Multiple keys request during rehashing",
    "CLUSTERDOWN The cluster is down", "UNBLOCKED the stream key no longer exists", "BUSY",
  };
  const char *refusals[] = {
    "BUSYGROUP Consumer Group name already exists", "BUSYKEY Target key name already exists.",
    "NOGROUP No such key", "WRONGTYPE Operation against a key", "ERR unknown command",
    "OOM command not allowed", "LOADINGX", "", "MOVED 1 h:1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (transient); i++)
    g_assert_true (fluid_redis_reply_error_is_transient (transient[i]));
  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    g_assert_false (fluid_redis_reply_error_is_transient (refusals[i]));
}

typedef struct
{
  gboolean        called;
  FluidRedisNode  node;
  gboolean        asking;
} Located;

static void
located_cb (const FluidRedisNode *node,
            gboolean              asking,
            const GError         *error,
            gpointer              user_data)
{
  Located *located = user_data;

  g_assert_no_error (error);
  located->called = TRUE;
  fluid_redis_node_clear (&located->node);
  fluid_redis_node_copy (node, &located->node);
  located->asking = asking;
}

/* MOVED and ASK for the key's slot are followed at the next lookup;
 * for another slot, they are redirections still, not followed. */
static void
test_redirect (void)
{
  FluidRedisAddress address;
  FluidRedisNode from = { (char *) "10.0.0.9", 7000, NULL };
  FluidRedisRouter *router;
  Located located = { FALSE, { NULL, 0, NULL }, FALSE };

  g_assert_true (fluid_redis_address_parse ("redis+cluster://127.0.0.1:1", &address, NULL));
  router = fluid_redis_router_new (&address, "{jobs}", 1);
  g_assert_false (fluid_redis_router_redirect (router, &from, "ERR nope"));
  g_assert_true (fluid_redis_router_redirect (router, &from, "MOVED 9631 10.0.0.2:7001"));
  fluid_redis_router_lookup (router, located_cb, &located);
  g_assert_false (located.called);
  fluid_test_wait_until (located.called);
  g_assert_cmpstr (located.node.host, ==, "10.0.0.2");
  g_assert_cmpint (located.node.port, ==, 7001);
  g_assert_false (located.asking);

  /* An empty host is the node that answered. */
  located.called = FALSE;
  g_assert_true (fluid_redis_router_redirect (router, &from, "ASK 9631 :7002"));
  fluid_redis_router_lookup (router, located_cb, &located);
  fluid_test_wait_until (located.called);
  g_assert_cmpstr (located.node.host, ==, "10.0.0.9");
  g_assert_cmpint (located.node.port, ==, 7002);
  g_assert_true (located.asking);

  g_assert_true (fluid_redis_router_redirect (router, &from, "MOVED 1 10.0.0.3:7003"));
  fluid_redis_router_free (router);
  fluid_redis_node_clear (&located.node);
  fluid_redis_address_clear (&address);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/redis/private/address/sentinel", test_address_sentinel);
  g_test_add_func ("/redis/private/address/cluster", test_address_cluster);
  g_test_add_func ("/redis/private/address/bad", test_address_bad);
  g_test_add_func ("/redis/private/uri-without-password", test_uri_without_password);
  g_test_add_func ("/redis/private/key-slot", test_key_slot);
  g_test_add_func ("/redis/private/transient", test_transient);
  g_test_add_func ("/redis/private/redirect", test_redirect);
  return g_test_run ();
}
