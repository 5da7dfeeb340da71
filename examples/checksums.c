/* checksums.c: SHA-256 checksums of files, on 4 threads
 *
 * A threaded FluidQueueConsumerWorker hashes the files given on the command
 * line, each message a path, on 4 threads it owns; the main context stays
 * free, and prints a line per file as it completes, in the format of
 * sha256sum. A file that cannot be read fails its message: with
 * stop-on-failure off, message-failed reports it on the main context and
 * the others go on. The paths are sent with backpressure: at most
 * MAX_QUEUED wait in the queue, whatever the number of files. Once every
 * file is reported, the program stops the worker.
 *
 * Ctrl-C stops gracefully: the files in progress are finished, the others
 * are not started. A second Ctrl-C shuts the worker down, forced once its
 * grace period (FLUID_STOPPING_GRACE_PERIOD, 10 s by default) has passed:
 * the reads in progress are cancelled, and a thread stuck in the kernel
 * is not waited for.
 *
 * Usage: checksums FILE...
 * Exit status: 0 when every file was checksummed, 1 when some could not be
 * (unreadable, or not reached after Ctrl-C), 2 on a usage error.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>
#include <glib-unix.h>

#define N_THREADS  4
#define MAX_QUEUED (2 * N_THREADS)

typedef struct
{
  FluidWorker   *worker;
  GMainContext  *context;      /* the worker's: the main thread's */
  char         **paths;
  guint          n_paths;
  guint          n_sent;
  guint          n_done;       /* checksummed */
  guint          n_failed;
  guint          interrupts;
  gboolean       stopped;
} Checksums;

/* Every file reported: the work is done. */
static void
check_done (Checksums *app)
{
  if (app->n_done + app->n_failed == app->n_paths)
    fluid_worker_gracefully_stop (app->worker);
}

typedef struct
{
  Checksums *app;
  char      *line;
} Report;

static void
report_free (gpointer data)
{
  Report *report = data;

  g_free (report->line);
  g_free (report);
}

/* On the main context: a file was checksummed. */
static gboolean
report_cb (gpointer user_data)
{
  Report *report = user_data;

  g_print ("%s", report->line);
  report->app->n_done++;
  check_done (report->app);
  return G_SOURCE_REMOVE;
}

/* On one of the worker's threads: may block. */
static gboolean
hash_file (FluidQueueConsumerWorker  *worker,
           const GValue              *message,
           GCancellable              *cancellable,
           gpointer                   user_data,
           GError                   **error)
{
  Checksums *app = user_data;
  const char *path = g_value_get_string (message);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guchar buffer[64 * 1024];
  gssize n;
  Report *report;

  stream = g_file_read (file, cancellable, error);
  if (stream == NULL)
    return FALSE;
  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buffer, sizeof buffer,
                                   cancellable, error)) > 0)
    g_checksum_update (checksum, buffer, n);
  if (n < 0)
    return FALSE;

  /* The line is printed on the main context. */
  report = g_new (Report, 1);
  report->app = app;
  report->line = g_strdup_printf ("%s  %s\n", g_checksum_get_string (checksum), path);
  g_main_context_invoke_full (app->context, G_PRIORITY_DEFAULT, report_cb, report, report_free);
  return TRUE;
}

/* On the main context: a file could not be checksummed. */
static void
message_failed_cb (FluidQueueConsumer *consumer,
                   const GValue       *message,
                   const GError       *error,
                   gpointer            user_data)
{
  Checksums *app = user_data;

  g_printerr ("checksums: %s: %s\n", g_value_get_string (message), error->message);
  app->n_failed++;
  check_done (app);
}

static void send_next (Checksums *app);

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Checksums *app = user_data;
  g_autoptr(GError) error = NULL;

  /* FLUID_WORKER_ERROR_STOPPED: Ctrl-C stopped the worker meanwhile. */
  if (!fluid_queue_consumer_send_finish (FLUID_QUEUE_CONSUMER (source), result, &error))
    return;
  app->n_sent++;
  send_next (app);
}

/* Sends the next path once the queue has room. */
static void
send_next (Checksums *app)
{
  GValue path = G_VALUE_INIT;

  if (app->interrupts > 0 || app->n_sent == app->n_paths)
    return;
  g_value_init (&path, G_TYPE_STRING);
  g_value_set_string (&path, app->paths[app->n_sent]);
  fluid_queue_consumer_send_async (FLUID_QUEUE_CONSUMER (app->worker), &path, NULL,
                                   sent_cb, app);
  g_value_unset (&path);
}

static gboolean
sigint_cb (gpointer user_data)
{
  Checksums *app = user_data;

  if (app->interrupts++ == 0)
    {
      g_printerr ("checksums: interrupted: finishing the files in progress "
                  "(Ctrl-C again to stop now)\n");
      /* drain-on-stop is off (the default): the queued files are not
       * started. */
      fluid_worker_gracefully_stop (app->worker);
    }
  else
    {
      g_printerr ("checksums: forced shutdown\n");
      fluid_worker_shutdown_async (app->worker, NULL, NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static void
stopped_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Checksums *app = user_data;

  /* The handlers fail their messages, never the worker. */
  fluid_worker_wait_for_shutdown_finish (FLUID_WORKER (source), result, NULL);
  app->stopped = TRUE;
}

/* Static: a thread stuck in a read after a forced stop may still use it
 * while the program exits. */
static Checksums app;

int
main (int   argc,
      char *argv[])
{

  if (argc < 2)
    {
      g_printerr ("Usage: %s FILE...\n", argv[0]);
      return 2;
    }
  app.paths = argv + 1;
  app.n_paths = argc - 1;
  app.context = g_main_context_ref_thread_default ();

  app.worker = fluid_queue_consumer_worker_new_threaded_named ("checksums", N_THREADS, hash_file, &app, NULL);
  fluid_queue_consumer_set_max_queue_size (FLUID_QUEUE_CONSUMER (app.worker), MAX_QUEUED);
  fluid_queue_consumer_set_stop_on_failure (FLUID_QUEUE_CONSUMER (app.worker), FALSE);
  g_signal_connect (app.worker, "message-failed", G_CALLBACK (message_failed_cb), &app);
  g_unix_signal_add (SIGINT, sigint_cb, &app);

  fluid_worker_startup_async (app.worker, NULL, NULL, NULL);
  fluid_worker_wait_for_shutdown_async (app.worker, NULL, stopped_cb, &app);
  send_next (&app);
  while (!app.stopped)
    g_main_context_iteration (app.context, TRUE);
  /* After Ctrl-C: the reports of the files finished last, invoked before
   * the worker ended. */
  while (g_main_context_iteration (app.context, FALSE))
    ;

  if (app.n_done < app.n_paths)
    g_printerr ("checksums: %u of %u files checksummed\n", app.n_done, app.n_paths);
  /* A thread stuck in a read after a forced stop keeps the worker (it
   * holds a reference) until the process exits; nothing waits for it. */
  g_object_unref (app.worker);
  return app.n_done == app.n_paths ? 0 : 1;
}
