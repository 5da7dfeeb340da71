/* redis-jobs.c: work shared between processes through a Redis stream.
 *
 *   redis-jobs URI            a producer, and two consumer processes
 *   redis-jobs URI consume N  one consumer, named N (what the first runs)
 *
 * The producer adds 2 000 jobs to the stream "jobs"; two consumer processes
 * of the group "workers" share them; the first is killed (SIGKILL) on
 * purpose after it handled 300, and the jobs it held are claimed by the
 * other once idle for one second. The totals show that no job was lost,
 * and that the ones handled twice were those the killed one held.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/redis/fluid-redis.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define N_JOBS 2000
#define KILL_AFTER 300

/* The consumer process */

static gboolean
handle_job (FluidRedisStreamConsumer  *consumer,
            FluidRedisEntry           *entry,
            gpointer                   user_data,
            GError                   **error)
{
  const char *job = fluid_redis_entry_get_string (entry, "job");

  if (job == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "entry %s has no job",
                   fluid_redis_entry_get_id (entry));
      return FALSE;
    }
  /* The work itself: here a millisecond of computation, simulated. A job
   * that waits for I/O would rather be an asynchronous handler
   * (FluidRedisStreamConsumerClass.handle_async). */
  g_usleep (1000);
  /* The parent counts what we print. */
  printf ("%s\n", job);
  fflush (stdout);
  return TRUE;
}

static int
consume (const char *uri,
         const char *name)
{
  g_autoptr(FluidRedisStreamConsumer) consumer =
    fluid_redis_stream_consumer_new (uri, "jobs", "workers", handle_job, NULL, NULL);

  g_object_set (consumer, "consumer", name, "claim-idle", 1.0, "batch-size", 50, NULL);
  /* Until SIGTERM or SIGINT; what was not acknowledged stays pending. */
  return fluid_worker_run_main (FLUID_WORKER (consumer));
}

/* The parent: producer and supervisor of the two consumers */

typedef struct
{
  const char       *name;
  GSubprocess      *process;
  GDataInputStream *out;
  guint             handled;
  gboolean          eof;
} Consumer;

static GHashTable *times_handled;  /* job → times */

static void read_next (Consumer *consumer);

static void
line_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Consumer *consumer = user_data;
  g_autofree char *job = g_data_input_stream_read_line_finish_utf8 (consumer->out, result, NULL, NULL);

  if (job == NULL)
    {
      consumer->eof = TRUE;
      return;
    }
  consumer->handled++;
  g_hash_table_insert (times_handled, g_strdup (job),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (times_handled, job)) + 1));
  read_next (consumer);
}

static void
read_next (Consumer *consumer)
{
  g_data_input_stream_read_line_async (consumer->out, G_PRIORITY_DEFAULT, NULL, line_cb, consumer);
}

static void
spawn (Consumer   *consumer,
       const char *self,
       const char *uri)
{
  g_autoptr(GError) error = NULL;

  consumer->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                        self, uri, "consume", consumer->name, NULL);
  if (consumer->process == NULL)
    g_error ("%s", error->message);
  consumer->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (consumer->process));
  read_next (consumer);
}

static void
iterate_until (gboolean (*condition) (gpointer), gpointer data)
{
  while (!condition (data))
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
added_all (gpointer producer)
{
  return fluid_redis_stream_producer_get_buffered (producer) == 0;
}

static gboolean
first_handled_enough (gpointer consumers)
{
  return ((Consumer *) consumers)[0].handled >= KILL_AFTER;
}

static gboolean
all_handled (gpointer data)
{
  return g_hash_table_size (times_handled) == N_JOBS;
}

static gboolean
has_ended (gpointer data)
{
  return ((Consumer *) data)->eof;
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer flag)
{
  return *(gboolean *) flag;
}

int
main (int   argc,
      char *argv[])
{
  Consumer consumers[2] = { { .name = "first" }, { .name = "second" } };
  g_autoptr(FluidRedisStreamProducer) producer = NULL;
  GHashTableIter iter;
  gpointer times;
  guint twice = 0;
  gboolean done = FALSE;

  if (argc == 4 && g_str_equal (argv[2], "consume"))
    return consume (argv[1], argv[3]);
  if (argc != 2)
    {
      fprintf (stderr, "usage: %s redis://host:port/db|unix:///path [consume NAME]\n", argv[0]);
      return 64;
    }

  times_handled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  spawn (&consumers[0], argv[0], argv[1]);
  spawn (&consumers[1], argv[0], argv[1]);

  /* The producer: send() never blocks; it holds what the connection has
   * not taken yet. */
  producer = fluid_redis_stream_producer_new (argv[1], "jobs");
  fluid_worker_startup_async (FLUID_WORKER (producer), NULL, NULL, NULL);
  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autofree char *job = g_strdup_printf ("job-%04u", i);
      const char *fields[] = { "job", job, NULL };

      fluid_redis_stream_producer_send (producer, fields);
    }
  iterate_until (added_all, producer);

  /* One consumer dies without a word, in the middle of its work. */
  iterate_until (first_handled_enough, consumers);
  g_subprocess_send_signal (consumers[0].process, SIGKILL);
  iterate_until (has_ended, &consumers[0]);

  /* The other takes what was left, and what the dead one held. */
  iterate_until (all_handled, NULL);
  g_subprocess_send_signal (consumers[1].process, SIGTERM);
  iterate_until (has_ended, &consumers[1]);
  g_subprocess_wait (consumers[1].process, NULL, NULL);
  fluid_worker_shutdown_async (FLUID_WORKER (producer), NULL, done_cb, &done);
  iterate_until (is_true, &done);

  g_hash_table_iter_init (&iter, times_handled);
  while (g_hash_table_iter_next (&iter, NULL, &times))
    twice += GPOINTER_TO_UINT (times) > 1;
  printf ("jobs added: %u\n", N_JOBS);
  printf ("handled by first (killed): %u\n", consumers[0].handled);
  printf ("handled by second: %u\n", consumers[1].handled);
  printf ("handled twice: %u (held by the killed consumer)\n", twice);
  printf ("lost: %u\n", N_JOBS - g_hash_table_size (times_handled));
  printf ("second consumer exit code: %d\n", g_subprocess_get_exit_status (consumers[1].process));

  for (guint i = 0; i < 2; i++)
    {
      g_object_unref (consumers[i].out);
      g_object_unref (consumers[i].process);
    }
  g_hash_table_unref (times_handled);
  return twice <= 50 ? 0 : 1;
}
