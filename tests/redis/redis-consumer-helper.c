/* redis-consumer-helper.c: a consumer process for the tests and the
 * benchmarks. Prints "ready" once connected, then "handled ID DATA" for
 * each entry it handles (or "done N" once it handled N, with --count N),
 * and runs until SIGTERM (fluid_worker_run_main).
 *
 * redis-consumer-helper URI STREAM CONSUMER [--delay-ms N] [--hang]
 *                       [--batch N] [--claim-idle S] [--count N] [--quiet]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/redis/fluid-redis.h>
#include <stdio.h>
#include <stdlib.h>

static int delay_ms = 0;
static gboolean hang = FALSE;
static gboolean quiet = FALSE;
static int count = 0;
static int handled = 0;

static void
print_handled (FluidRedisEntry *entry)
{
  const char *data = fluid_redis_entry_get_string (entry, "data");

  handled++;
  if (!quiet)
    printf ("handled %s %s\n", fluid_redis_entry_get_id (entry), data != NULL ? data : "-");
  if (count > 0 && handled == count)
    printf ("done %d\n", handled);
  fflush (stdout);
}

static gboolean
handle_cb (FluidRedisStreamConsumer  *consumer,
           FluidRedisEntry           *entry,
           gpointer                   user_data,
           GError                   **error)
{
  print_handled (entry);
  return TRUE;
}

/* --delay-ms and --hang: a subclass with an asynchronous handler. */

#define HELPER_TYPE_CONSUMER (helper_consumer_get_type ())
G_DECLARE_FINAL_TYPE (HelperConsumer, helper_consumer, HELPER, CONSUMER, FluidRedisStreamConsumer)

struct _HelperConsumer
{
  FluidRedisStreamConsumer parent_instance;
};

G_DEFINE_FINAL_TYPE (HelperConsumer, helper_consumer, FLUID_REDIS_TYPE_STREAM_CONSUMER)

typedef struct
{
  GTask           *task;
  FluidRedisEntry *entry;
} Delayed;

static gboolean
delayed_cb (gpointer user_data)
{
  Delayed *delayed = user_data;

  print_handled (delayed->entry);
  g_task_return_boolean (delayed->task, TRUE);
  g_object_unref (delayed->task);
  fluid_redis_entry_unref (delayed->entry);
  g_free (delayed);
  return G_SOURCE_REMOVE;
}

static void
helper_consumer_handle_async (FluidRedisStreamConsumer *consumer,
                              FluidRedisEntry          *entry,
                              GCancellable             *cancellable,
                              GAsyncReadyCallback       callback,
                              gpointer                  user_data)
{
  Delayed *delayed = g_new0 (Delayed, 1);

  delayed->task = g_task_new (consumer, cancellable, callback, user_data);
  delayed->entry = fluid_redis_entry_ref (entry);
  if (hang)
    {
      /* Holds the entry for ever: it says it took it. */
      printf ("holding %s\n", fluid_redis_entry_get_id (entry));
      fflush (stdout);
      return;
    }
  g_timeout_add (delay_ms, delayed_cb, delayed);
}

static gboolean
helper_consumer_handle_finish (FluidRedisStreamConsumer  *consumer,
                               GAsyncResult              *result,
                               GError                   **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
helper_consumer_class_init (HelperConsumerClass *klass)
{
  FLUID_REDIS_STREAM_CONSUMER_CLASS (klass)->handle_async = helper_consumer_handle_async;
  FLUID_REDIS_STREAM_CONSUMER_CLASS (klass)->handle_finish = helper_consumer_handle_finish;
}

static void
helper_consumer_init (HelperConsumer *self)
{
}

static void
connected_cb (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  static gboolean said;

  if (!said && fluid_redis_stream_consumer_is_connected (FLUID_REDIS_STREAM_CONSUMER (object)))
    {
      said = TRUE;
      printf ("ready\n");
      fflush (stdout);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FluidRedisStreamConsumer) consumer = NULL;
  guint batch = 100;
  double claim_idle = 30;

  if (argc < 4)
    {
      fprintf (stderr, "usage: %s URI STREAM CONSUMER [options]\n", argv[0]);
      return 64;
    }
  for (int i = 4; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--delay-ms") && i + 1 < argc)
        delay_ms = atoi (argv[++i]);
      else if (g_str_equal (argv[i], "--hang"))
        hang = TRUE;
      else if (g_str_equal (argv[i], "--quiet"))
        quiet = TRUE;
      else if (g_str_equal (argv[i], "--batch") && i + 1 < argc)
        batch = (guint) atoi (argv[++i]);
      else if (g_str_equal (argv[i], "--count") && i + 1 < argc)
        count = atoi (argv[++i]);
      else if (g_str_equal (argv[i], "--claim-idle") && i + 1 < argc)
        claim_idle = g_ascii_strtod (argv[++i], NULL);
    }
  if (delay_ms > 0 || hang)
    consumer = g_object_new (HELPER_TYPE_CONSUMER, "uri", argv[1], "stream", argv[2],
                             "group", "workers", NULL);
  else
    consumer = fluid_redis_stream_consumer_new (argv[1], argv[2], "workers", handle_cb, NULL, NULL);
  g_object_set (consumer, "consumer", argv[3], "batch-size", batch, "claim-idle", claim_idle, NULL);
  g_signal_connect (consumer, "notify::connected", G_CALLBACK (connected_cb), NULL);
  return fluid_worker_run_main (FLUID_WORKER (consumer));
}
