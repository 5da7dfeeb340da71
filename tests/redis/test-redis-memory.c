/* test-redis-memory.c: the memory of a consumer and a producer is flat
 * however many entries pass, through a handler function and through an
 * asynchronous handler (a subclass's handle_async); under valgrind, no
 * leak
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-seen.h"
#include "fluid-redis-test-utils.h"
#include "fluid-test-utils.h"


#define N_ROUNDS 10

/* A consumer whose handler completes a GTask from an idle: the path of
 * the bindings' handlers. */
#define TEST_TYPE_ASYNC_CONSUMER (test_async_consumer_get_type ())
G_DECLARE_FINAL_TYPE (TestAsyncConsumer, test_async_consumer, TEST, ASYNC_CONSUMER,
                      FluidRedisStreamConsumer)

struct _TestAsyncConsumer
{
  FluidRedisStreamConsumer parent_instance;
  guint                    handled;
};

G_DEFINE_FINAL_TYPE (TestAsyncConsumer, test_async_consumer, FLUID_REDIS_TYPE_STREAM_CONSUMER)

static gboolean
test_async_consumer_done_cb (gpointer user_data)
{
  GTask *task = user_data;

  TEST_ASYNC_CONSUMER (g_task_get_source_object (task))->handled++;
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
test_async_consumer_handle_async (FluidRedisStreamConsumer *consumer,
                                  FluidRedisEntry          *entry,
                                  GCancellable             *cancellable,
                                  GAsyncReadyCallback       callback,
                                  gpointer                  user_data)
{
  GTask *task = g_task_new (consumer, cancellable, callback, user_data);

  g_idle_add_full (G_PRIORITY_DEFAULT, test_async_consumer_done_cb, task, g_object_unref);
}

static gboolean
test_async_consumer_handle_finish (FluidRedisStreamConsumer  *consumer,
                                   GAsyncResult              *result,
                                   GError                   **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_async_consumer_class_init (TestAsyncConsumerClass *klass)
{
  FLUID_REDIS_STREAM_CONSUMER_CLASS (klass)->handle_async = test_async_consumer_handle_async;
  FLUID_REDIS_STREAM_CONSUMER_CLASS (klass)->handle_finish = test_async_consumer_handle_finish;
}

static void
test_async_consumer_init (TestAsyncConsumer *self)
{
}

/* 200 000 entries, 20 000 at a time; the resident set after the second
 * 20 000 and at the end differ by less than 5 MB. Under valgrind or the
 * sanitizers (FLUID_TEST_NO_RSS, where the resident set means nothing),
 * 100 000 for each handler: 200 000 in all, checked for leaks. */
static void
run_entries (FluidRedisStreamConsumer *consumer,
             const guint              *handled)
{
  gboolean rss = g_getenv ("FLUID_TEST_NO_RSS") == NULL;
  guint per_round = rss ? 20000 : 10000;
  gint64 growth = fluid_test_run_rounds (consumer, handled, N_ROUNDS, per_round);

  if (rss)
    {
      g_test_message ("resident set growth over %u entries: %" G_GINT64_FORMAT " bytes",
                      (N_ROUNDS - 2) * per_round, growth);
      g_assert_cmpint (growth, <, 5 * 1024 * 1024);
    }
}

static void
test_memory_function (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_full (FLUID_TEST_REDIS_UNIX, NULL);
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  guint handled = 0;

  if (redis == NULL)
    {
      g_test_skip ("redis-server is not installed");
      return;
    }
  consumer = fluid_redis_stream_consumer_new (fluid_test_redis_get_uri (redis), "jobs", "workers",
                                              fluid_test_count_handler, &handled, NULL);
  run_entries (consumer, &handled);
}

static void
test_memory_async (void)
{
  g_autoptr(FluidTestRedis) redis = fluid_test_redis_new_full (FLUID_TEST_REDIS_UNIX, NULL);
  g_autoptr(TestAsyncConsumer) consumer = NULL;

  if (redis == NULL)
    {
      g_test_skip ("redis-server is not installed");
      return;
    }
  consumer = g_object_new (TEST_TYPE_ASYNC_CONSUMER, "uri", fluid_test_redis_get_uri (redis),
                           "stream", "jobs", "group", "workers", NULL);
  run_entries (FLUID_REDIS_STREAM_CONSUMER (consumer), &consumer->handled);
}

int
main (int   argc,
      char *argv[])
{
  fluid_test_redis_init (&argc, &argv);
  g_test_add_func ("/redis/memory/function", test_memory_function);
  g_test_add_func ("/redis/memory/async", test_memory_async);
  return g_test_run ();
}
