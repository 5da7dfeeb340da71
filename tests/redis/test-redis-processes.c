/* test-redis-processes.c: consumers in separate processes sharing a
 * stream, one of them killed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-utils.h"
#include "fluid-test-utils.h"
#include "fluid-redis-test-process.h"

#include <signal.h>

static void
xadd (FluidTestRedis *redis,
      guint           n)
{
  g_autoptr(redisContext) c = fluid_test_redis_connect (redis);

  for (guint i = 0; i < n; i++)
    redisAppendCommand (c, "XADD jobs * data job-%u", i);
  for (guint i = 0; i < n; i++)
    {
      redisReply *reply = NULL;

      g_assert_cmpint (redisGetReply (c, (void **) &reply), ==, REDIS_OK);
      freeReplyObject (reply);
    }
}

static long long
group_pending (FluidTestRedis *redis)
{
  g_autoptr(redisContext) c = fluid_test_redis_connect (redis);
  g_autoptr(redisReply) reply = redisCommand (c, "XPENDING jobs workers");

  return reply != NULL && reply->type == REDIS_REPLY_ARRAY ? reply->element[0]->integer : -1;
}

static guint
n_handled (FluidTestProcess *a,
           FluidTestProcess *b)
{
  guint n = 0;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *data = g_strdup_printf ("job-%u", i);

      n += g_hash_table_contains (a->data, data) || g_hash_table_contains (b->data, data);
    }
  return n;
}

/* Two consumer processes: every entry handled once, by one of them. */
static void
test_share (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestProcess) a = NULL;
  g_autoptr(FluidTestProcess) b = NULL;
  GHashTableIter iter;
  gpointer id;

  if (redis == NULL)
    return;
  a = fluid_test_process_new (fluid_test_redis_get_uri (redis), "a", NULL);
  b = fluid_test_process_new (fluid_test_redis_get_uri (redis), "b", NULL);
  fluid_test_wait_until (a->ready && b->ready);
  xadd (redis, 2000);
  fluid_test_wait_until (g_hash_table_size (a->handled) + g_hash_table_size (b->handled) >= 2000);
  fluid_test_wait_until (group_pending (redis) == 0);
  g_assert_cmpuint (a->duplicates + b->duplicates, ==, 0);
  g_hash_table_iter_init (&iter, a->handled);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    g_assert_false (g_hash_table_contains (b->handled, id));
  g_assert_cmpuint (g_hash_table_size (a->handled) + g_hash_table_size (b->handled), ==, 2000);
  g_assert_cmpint (fluid_test_process_stop (a, SIGTERM), ==, 0);
  g_assert_cmpint (fluid_test_process_stop (b, SIGTERM), ==, 0);
}

/* A consumer killed with SIGKILL while it holds entries: the other claims
 * them after claim-idle; only what the dead one held may be handled
 * twice. */
static void
test_sigkill (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_or_skip ();
  g_autoptr(FluidTestProcess) a = NULL;
  g_autoptr(FluidTestProcess) b = NULL;
  const char *a_args[] = { "--delay-ms", "20", "--batch", "10", NULL };
  const char *b_args[] = { "--claim-idle", "0.5", NULL };
  GHashTableIter iter;
  gpointer id;
  guint both = 0;

  if (redis == NULL)
    return;
  a = fluid_test_process_new (fluid_test_redis_get_uri (redis), "a", a_args);
  fluid_test_wait_until (a->ready);
  xadd (redis, 300);
  fluid_test_wait_until (g_hash_table_size (a->handled) >= 30);
  fluid_test_process_stop (a, SIGKILL);

  b = fluid_test_process_new (fluid_test_redis_get_uri (redis), "b", b_args);
  /* Every entry is handled by one or the other, and acknowledged. */
  fluid_test_wait_until (n_handled (a, b) == 300);
  fluid_test_wait_until (group_pending (redis) == 0);
  g_hash_table_iter_init (&iter, a->handled);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    both += g_hash_table_contains (b->handled, id);
  /* At most what a held: one batch. */
  g_assert_cmpuint (both, <=, 10);
  g_assert_cmpuint (b->duplicates, ==, 0);
  g_assert_cmpint (fluid_test_process_stop (b, SIGTERM), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/redis/processes/share", test_share);
  g_test_add_func ("/redis/processes/sigkill", test_sigkill);

  return g_test_run ();
}
