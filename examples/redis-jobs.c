/* redis-jobs.c: work shared between processes through a Redis stream.
 *
 *   redis-jobs [--timeout SECONDS] URI   a producer, and two consumer processes
 *   redis-jobs URI consume NAME          one consumer, named NAME (what the first runs)
 *
 * The producer adds 2 000 jobs to the stream "jobs"; two consumer processes
 * of the group "workers" share them; the first is killed (SIGKILL) on
 * purpose after it handled 300, and the jobs it held are claimed by the
 * other once idle for one second. The totals show that no job was lost,
 * and that the ones handled twice were those the killed one held.
 *
 * Nothing here fails in silence, nor waits for ever: a URI that does not
 * parse, a server that does not answer within --timeout seconds (10 by
 * default), jobs that stop moving for as long, and a consumer process that
 * ends with an error each make redis-jobs say why on stderr and exit with
 * status 1; a command line it does not understand, with status 2.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/redis/fluid-redis.h>

#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define N_JOBS 2000
#define KILL_AFTER 300

/* How long the parent waits for the server to answer, or for the jobs to
 * move, before it gives up. */
static double timeout_seconds = 10;

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
  int exit_code;

  g_object_set (consumer, "consumer", name, "claim-idle", 1.0, "batch-size", 50, NULL);
  /* Until SIGTERM or SIGINT; what was not acknowledged stays pending. An
   * outage of the server is waited out (the consumer logs a warning when it
   * loses the server, a message when it is back); an error that waiting
   * cannot mend ends it with exit code 2, which the parent sees. */
  exit_code = fluid_worker_run_main (FLUID_WORKER (consumer));
  if (exit_code == FLUID_EXIT_CODE_ERROR)
    fprintf (stderr, "redis-jobs: consumer %s: %s\n", name,
             fluid_worker_get_stop_reason (FLUID_WORKER (consumer)));
  return exit_code;
}

/* The parent: producer and supervisor of the two consumers */

typedef struct _Jobs Jobs;

typedef struct
{
  Jobs             *jobs;
  const char       *name;
  GSubprocess      *process;
  GDataInputStream *out;
  guint             handled;
  gboolean          eof;     /* its output read to the end */
  gboolean          exited;
  gboolean          killed;  /* by the parent, on purpose */
} Consumer;

struct _Jobs
{
  FluidRedisStreamProducer *producer;
  gboolean                  producer_ended;
  Consumer                  consumers[2];
  GHashTable               *times_handled;  /* job → times */
  gboolean                  reached;        /* the server answered */
  guint                     added;          /* jobs given to the producer */
  guint                     check_progress; /* the timer's id */
  guint                     progress;       /* at the last look */
  gint64                    moved_at;       /* when it last changed */
  char                     *failure;        /* why the work cannot go on */
};

/* The first failure is the one told. */
G_GNUC_PRINTF (2, 3)
static void
jobs_fail (Jobs       *jobs,
           const char *format,
           ...)
{
  va_list args;

  if (jobs->failure != NULL)
    return;
  va_start (args, format);
  jobs->failure = g_strdup_vprintf (format, args);
  va_end (args);
}

static void read_next (Consumer *consumer);

static void
line_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Consumer *consumer = user_data;
  GHashTable *times_handled = consumer->jobs->times_handled;
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

/* A consumer that ends unless the parent killed it has failed: a consumer
 * only stops when it is told to, and then with exit status 0. */
static void
exited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Consumer *consumer = user_data;
  GSubprocess *process = G_SUBPROCESS (source);

  g_subprocess_wait_finish (process, result, NULL);
  consumer->exited = TRUE;
  if (consumer->killed)
    return;
  if (g_subprocess_get_if_signaled (process))
    jobs_fail (consumer->jobs, "consumer %s was killed by signal %d",
               consumer->name, g_subprocess_get_term_sig (process));
  else if (g_subprocess_get_exit_status (process) != 0)
    jobs_fail (consumer->jobs, "consumer %s ended with exit status %d",
               consumer->name, g_subprocess_get_exit_status (process));
}

static gboolean
spawn (Consumer   *consumer,
       const char *self,
       const char *uri)
{
  g_autoptr(GError) error = NULL;

  consumer->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                        self, uri, "consume", consumer->name, NULL);
  if (consumer->process == NULL)
    {
      jobs_fail (consumer->jobs, "cannot start consumer %s: %s", consumer->name, error->message);
      return FALSE;
    }
  consumer->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (consumer->process));
  read_next (consumer);
  g_subprocess_wait_async (consumer->process, NULL, exited_cb, consumer);
  return TRUE;
}

/* The producer ends with an error when its URI does not parse, or its
 * server is not Redis or refuses it. */
static void
producer_ended_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Jobs *jobs = user_data;
  g_autoptr(GError) error = NULL;

  jobs->producer_ended = TRUE;
  if (!fluid_worker_wait_for_shutdown_finish (FLUID_WORKER (source), result, &error))
    jobs_fail (jobs, "%s", error->message);
}

static void
producer_started_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Jobs *jobs = user_data;
  g_autoptr(GError) error = NULL;

  if (!fluid_worker_startup_finish (FLUID_WORKER (source), result, &error))
    jobs_fail (jobs, "%s", error->message);
  else
    fluid_worker_wait_for_shutdown_async (FLUID_WORKER (source), NULL, producer_ended_cb, jobs);
}

/* What has moved since the start: the server's first answer, the jobs it
 * took, the jobs handled. */
static guint
jobs_progress (Jobs *jobs)
{
  guint taken = jobs->added - fluid_redis_stream_producer_get_buffered (jobs->producer);

  return (guint) jobs->reached + taken + jobs->consumers[0].handled + jobs->consumers[1].handled;
}

static void
stalled_status_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Jobs *jobs = user_data;
  g_autoptr(GVariant) status = fluid_worker_status_finish (FLUID_WORKER (source), result, NULL);
  const char *why = NULL;

  if (status != NULL)
    g_variant_lookup (status, "last_error", "&s", &why);
  jobs_fail (jobs, "%s for %g s%s%s",
             jobs->reached ? "the jobs did not move" : "no answer from Redis", timeout_seconds,
             why != NULL ? ": " : "", why != NULL ? why : "");
}

/* Ten times a second: has anything moved? After --timeout seconds of
 * nothing, the parent gives up, saying the producer's last error. */
static gboolean
check_progress_cb (gpointer user_data)
{
  Jobs *jobs = user_data;
  guint progress = jobs_progress (jobs);
  gint64 now = g_get_monotonic_time ();

  if (progress != jobs->progress)
    {
      jobs->progress = progress;
      jobs->moved_at = now;
      return G_SOURCE_CONTINUE;
    }
  if (now - jobs->moved_at < timeout_seconds * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  fluid_worker_status_async (FLUID_WORKER (jobs->producer), NULL, stalled_status_cb, jobs);
  jobs->check_progress = 0;
  return G_SOURCE_REMOVE;
}

/* Iterates until @condition holds; FALSE, and jobs->failure says why, when
 * the work cannot go on. */
static gboolean
iterate_until (Jobs      *jobs,
               gboolean (*condition) (Jobs *jobs))
{
  while (jobs->failure == NULL && !condition (jobs))
    g_main_context_iteration (NULL, TRUE);
  return jobs->failure == NULL;
}

static gboolean
producer_connected (Jobs *jobs)
{
  return fluid_redis_stream_producer_is_connected (jobs->producer);
}

static gboolean
added_all (Jobs *jobs)
{
  return fluid_redis_stream_producer_get_buffered (jobs->producer) == 0;
}

static gboolean
first_handled_enough (Jobs *jobs)
{
  return jobs->consumers[0].handled >= KILL_AFTER;
}

static gboolean
first_ended (Jobs *jobs)
{
  return jobs->consumers[0].eof && jobs->consumers[0].exited;
}

static gboolean
all_handled (Jobs *jobs)
{
  return g_hash_table_size (jobs->times_handled) == N_JOBS;
}

static gboolean
second_ended (Jobs *jobs)
{
  return jobs->consumers[1].eof && jobs->consumers[1].exited;
}

static gboolean
producer_ended (Jobs *jobs)
{
  return jobs->producer_ended;
}

static gboolean
share_jobs (Jobs       *jobs,
            const char *self,
            const char *uri)
{
  /* The producer first: a URI that does not parse, or a server that does
   * not answer, is found before any consumer starts. */
  fluid_worker_startup_async (FLUID_WORKER (jobs->producer), NULL, producer_started_cb, jobs);
  if (!iterate_until (jobs, producer_connected))
    return FALSE;
  jobs->reached = TRUE;
  if (!spawn (&jobs->consumers[0], self, uri) || !spawn (&jobs->consumers[1], self, uri))
    return FALSE;

  /* send() never blocks: the producer holds what the connection has not
   * taken yet. */
  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autofree char *job = g_strdup_printf ("job-%04u", i);
      const char *fields[] = { "job", job, NULL };

      fluid_redis_stream_producer_send (jobs->producer, fields);
      jobs->added++;
    }
  if (!iterate_until (jobs, added_all))
    return FALSE;

  /* One consumer dies without a word, in the middle of its work. */
  if (!iterate_until (jobs, first_handled_enough))
    return FALSE;
  jobs->consumers[0].killed = TRUE;
  g_subprocess_send_signal (jobs->consumers[0].process, SIGKILL);
  if (!iterate_until (jobs, first_ended))
    return FALSE;

  /* The other takes what was left, and what the dead one held. */
  if (!iterate_until (jobs, all_handled))
    return FALSE;
  g_subprocess_send_signal (jobs->consumers[1].process, SIGTERM);
  if (!iterate_until (jobs, second_ended))
    return FALSE;
  fluid_worker_shutdown_async (FLUID_WORKER (jobs->producer), NULL, NULL, NULL);
  return iterate_until (jobs, producer_ended);
}

/* After a failure: the consumers still running would wait for jobs for
 * ever. */
static void
kill_consumers (Jobs *jobs)
{
  for (guint i = 0; i < G_N_ELEMENTS (jobs->consumers); i++)
    {
      Consumer *consumer = &jobs->consumers[i];

      if (consumer->process == NULL || consumer->exited)
        continue;
      consumer->killed = TRUE;
      g_subprocess_force_exit (consumer->process);
      while (!consumer->exited)
        g_main_context_iteration (NULL, TRUE);
    }
}

static void
print_totals (Jobs *jobs)
{
  GHashTableIter iter;
  gpointer times;
  guint twice = 0;

  g_hash_table_iter_init (&iter, jobs->times_handled);
  while (g_hash_table_iter_next (&iter, NULL, &times))
    twice += GPOINTER_TO_UINT (times) > 1;
  printf ("jobs added: %u\n", N_JOBS);
  printf ("handled by first (killed): %u\n", jobs->consumers[0].handled);
  printf ("handled by second: %u\n", jobs->consumers[1].handled);
  printf ("handled twice: %u (held by the killed consumer)\n", twice);
  printf ("lost: %u\n", N_JOBS - g_hash_table_size (jobs->times_handled));
  printf ("second consumer exit code: %d\n", g_subprocess_get_exit_status (jobs->consumers[1].process));
  if (twice > 50)
    jobs_fail (jobs, "%u jobs were handled twice, more than a batch (50)", twice);
}

static int
run_parent (const char *self,
            const char *uri)
{
  Jobs jobs = { .consumers = { { .name = "first" }, { .name = "second" } } };

  jobs.producer = fluid_redis_stream_producer_new (uri, "jobs");
  jobs.times_handled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  jobs.moved_at = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (jobs.consumers); i++)
    jobs.consumers[i].jobs = &jobs;
  jobs.check_progress = g_timeout_add (100, check_progress_cb, &jobs);

  if (share_jobs (&jobs, self, uri))
    print_totals (&jobs);
  else
    kill_consumers (&jobs);
  if (jobs.failure != NULL)
    fprintf (stderr, "redis-jobs: %s\n", jobs.failure);

  g_clear_handle_id (&jobs.check_progress, g_source_remove);
  for (guint i = 0; i < G_N_ELEMENTS (jobs.consumers); i++)
    {
      g_clear_object (&jobs.consumers[i].out);
      g_clear_object (&jobs.consumers[i].process);
    }
  g_object_unref (jobs.producer);
  g_hash_table_unref (jobs.times_handled);
  return jobs.failure == NULL ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* The command line */

static const char summary[] =
  "Shares 2 000 jobs between two consumer processes through the Redis\n"
  "stream \"jobs\", kills one, and counts. URI: redis://host[:port][/db]\n"
  "or unix:///path/to/socket. With \"consume NAME\", runs one consumer.";

static const char exit_statuses[] =
  "Exit status: 0 when every job was handled; 1 when the work could not\n"
  "be done (a URI that does not parse, no answer from Redis within the\n"
  "timeout, a consumer that failed), said on stderr; 2 for a wrong\n"
  "command line. A consumer exits with its worker's exit code (2: it\n"
  "failed, and said why).\n";

static const GOptionEntry options[] = {
  { "timeout", 't', 0, G_OPTION_ARG_DOUBLE, &timeout_seconds,
    "Give up after SECONDS without an answer from Redis or a job done (10)", "SECONDS" },
  G_OPTION_ENTRY_NULL
};

static int
usage_error (GOptionContext *context,
             const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  fprintf (stderr, "%s: %s\n\n%s", g_get_prgname (), message, help);
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("URI [consume NAME]");
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, exit_statuses);
  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (context, error->message);
  if (!(timeout_seconds > 0))
    return usage_error (context, "--timeout takes a number of seconds above 0");
  if (argc == 4 && g_str_equal (argv[2], "consume"))
    return consume (argv[1], argv[3]);
  if (argc != 2)
    return usage_error (context, argc < 2 ? "no URI given" : "unexpected arguments after the URI");
  return run_parent (argv[0], argv[1]);
}
