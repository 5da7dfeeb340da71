/* failures.c: how workers end, and messages that fail
 *
 * A FluidWorkerFunction "fetcher" cannot return an error from its
 * function: on its third call it fails its worker with fluid_worker_fail(),
 * which ends it with exit code 2, and wait_for_shutdown gives back the
 * error. A FluidAsyncConsumer "jobs" handles ten jobs whose handler fails
 * the odd ones; with stop-on-failure off, each failure is counted and
 * signalled (message-failed) and the consumer goes on. Its status then
 * says where each message ended: processed, failed or discarded.
 *
 * The program checks what it prints and exits non-zero when it is wrong.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#define N_JOBS 10

static void
fetch (FluidWorker *worker,
       gpointer     user_data)
{
  guint *calls = user_data;

  if (++*calls == 3)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                                                     "the server went away");

      fluid_worker_fail (worker, error);
    }
}

static char *
job_event_type (FluidBaseDispatcher *dispatcher,
                const GValue        *message,
                gpointer             user_data)
{
  return g_strdup ("job");
}

/* Completes the task of each job: odd ones fail. */
static void
run_job (const GValue *message,
         GTask        *task,
         gpointer      user_data)
{
  int job = g_value_get_int (message);

  if (job % 2 == 1)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "job %d is odd", job);
  else
    g_task_return_boolean (task, TRUE);
}

static void
job_failed_cb (FluidQueueConsumer *consumer,
               const GValue       *message,
               const GError       *error,
               gpointer            user_data)
{
  guint *failures = user_data;

  g_print ("job %d failed: %s\n", g_value_get_int (message), error->message);
  (*failures)++;
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Iterates the main context until @result is set. */
static void
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
check_fetcher (void)
{
  guint calls = 0;
  g_autoptr(FluidWorker) fetcher = fluid_worker_function_new (0.01, fetch, &calls, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fluid_worker_startup_async (fetcher, NULL, NULL, NULL);
  fluid_worker_wait_for_shutdown_async (fetcher, NULL, done_cb, &result);
  wait_for (&result);
  fluid_worker_wait_for_shutdown_finish (fetcher, result, &error);

  g_print ("%s: exit code %d (%s), error: %s\n", fluid_worker_get_name (fetcher),
           fluid_worker_get_exit_code (fetcher), fluid_worker_get_stop_reason (fetcher),
           error != NULL ? error->message : "none");
  return fluid_worker_get_exit_code (fetcher) == FLUID_EXIT_CODE_ERROR &&
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) && calls == 3;
}

static gboolean
check_jobs (void)
{
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (job_event_type, NULL, NULL);
  g_autoptr(FluidWorker) jobs = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GVariant) status = NULL;
  guint failures = 0;
  guint64 processed = 0, failed = 0, discarded = 0;

  fluid_async_dispatcher_register_handler (dispatcher, "job", run_job, NULL, NULL);
  jobs = fluid_async_consumer_new (dispatcher);
  fluid_queue_consumer_set_stop_on_failure (FLUID_QUEUE_CONSUMER (jobs), FALSE);
  fluid_queue_consumer_set_drain_on_stop (FLUID_QUEUE_CONSUMER (jobs), TRUE);
  g_signal_connect (jobs, "message-failed", G_CALLBACK (job_failed_cb), &failures);

  for (int job = 0; job < N_JOBS; job++)
    {
      g_auto(GValue) message = G_VALUE_INIT;

      g_value_init (&message, G_TYPE_INT);
      g_value_set_int (&message, job);
      fluid_queue_consumer_send (FLUID_QUEUE_CONSUMER (jobs), &message);
    }

  /* A graceful stop with drain-on-stop: every queued job is handled. */
  fluid_worker_startup_async (jobs, NULL, NULL, NULL);
  fluid_worker_shutdown_async (jobs, NULL, done_cb, &result);
  wait_for (&result);
  fluid_worker_shutdown_finish (jobs, result, NULL);
  g_clear_object (&result);

  fluid_worker_status_async (jobs, NULL, done_cb, &result);
  wait_for (&result);
  status = fluid_worker_status_finish (jobs, result, NULL);
  g_variant_lookup (status, "processed", "t", &processed);
  g_variant_lookup (status, "failed", "t", &failed);
  g_variant_lookup (status, "discarded", "t", &discarded);
  g_print ("%s: exit code %d, processed %" G_GUINT64_FORMAT ", failed %" G_GUINT64_FORMAT
           ", discarded %" G_GUINT64_FORMAT "\n",
           fluid_worker_get_name (jobs), fluid_worker_get_exit_code (jobs),
           processed, failed, discarded);

  return fluid_worker_get_exit_code (jobs) == FLUID_EXIT_CODE_NORMAL &&
         failures == N_JOBS / 2 && failed == N_JOBS / 2 &&
         processed + failed + discarded == N_JOBS;
}

int
main (void)
{
  gboolean fetcher_ok = check_fetcher ();
  gboolean jobs_ok = check_jobs ();

  return fetcher_ok && jobs_ok ? 0 : 1;
}
