/* fluid-job.c: one piece of work submitted to a job worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-job-private.h"
#include "fluid-queue-consumer-private.h"
#include "fluid-tsan-private.h"
#include "fluid-worker-private.h"

#include <math.h>

/**
 * SECTION:fluid-job
 * @short_description: One piece of work submitted to a job worker
 * @title: FluidJob
 * @see_also: #FluidJobWorker
 *
 * A #FluidJob is what fluid_job_worker_submit() returns: the input it was
 * given, and, once it ended, its output or its error. Its state,
 * #FluidJob:state, goes from %FLUID_JOB_STATE_QUEUED to
 * %FLUID_JOB_STATE_RUNNING while its worker's function runs it, then to
 * %FLUID_JOB_STATE_SUCCEEDED, %FLUID_JOB_STATE_FAILED or
 * %FLUID_JOB_STATE_CANCELLED, once. Every job ends, and every
 * fluid_job_wait_async() completes, whatever happens to its worker.
 *
 * Its properties change and are notified on its worker's context: a
 * #GObject::notify handler reads the value it is told of. The function that
 * runs the job reports its progress with fluid_job_report_progress(), from
 * any thread and as often as it likes: #FluidJob:progress is notified at
 * most 20 times a second, within 100 ms of a report, and the last report
 * is always notified before the job ends; so that a progress bar is one
 * line:
 *
 * |[<!-- language="C" -->
 * g_object_bind_property (job, "progress", bar, "fraction", G_BINDING_DEFAULT);
 * ]|
 */

/* Threads. A job is decided under its own lock, from any thread: the
 * function begins and returns on a thread of the worker or on its
 * context, a cancellation comes from anywhere, a report of progress from
 * the function. What its properties say is published on the worker's
 * context only (fluid-job-worker.c calls the publishing functions below),
 * so that a handler of its notifications reads the value it is told of.
 *
 * Locks. @lock is a bit lock over the fields so marked in
 * fluid-job-private.h; under it, only the worker's queue's lock is taken
 * (to take the job's message out) and the worker's own (to tell it to
 * look at the job). Nothing is called, no cancellable cancelled and no
 * task completed while it is held.
 *
 * Memory. A queued job is its instance and its message (see
 * fluid-job-worker.c); what it needs once it runs, is waited for or is
 * cancellable lives in a FluidJobExtra made then. */

enum
{
  PROP_0,
  PROP_STATE,
  PROP_PRIORITY,
  PROP_PROGRESS,
  PROP_PROGRESS_TEXT,
  PROP_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ENUM_TYPE (FluidJobState, fluid_job_state,
  G_DEFINE_ENUM_VALUE (FLUID_JOB_STATE_QUEUED, "queued"),
  G_DEFINE_ENUM_VALUE (FLUID_JOB_STATE_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (FLUID_JOB_STATE_SUCCEEDED, "succeeded"),
  G_DEFINE_ENUM_VALUE (FLUID_JOB_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (FLUID_JOB_STATE_CANCELLED, "cancelled"))

G_DEFINE_FINAL_TYPE (FluidJob, fluid_job, G_TYPE_OBJECT)

static gboolean
fluid_job_state_is_final (FluidJobState state)
{
  return state >= FLUID_JOB_STATE_SUCCEEDED;
}

void
fluid_job_lock (FluidJob *job)
{
  g_bit_lock (&job->lock, 0);
  fluid_tsan_acquire (&job->lock);
}

void
fluid_job_unlock (FluidJob *job)
{
  fluid_tsan_release (&job->lock);
  g_bit_unlock (&job->lock, 0);
}

static FluidJobExtra *
fluid_job_extra_locked (FluidJob *job)
{
  if (job->extra == NULL)
    job->extra = g_new0 (FluidJobExtra, 1);
  return job->extra;
}

/* Takes the handler of the cancellable given to submit, to disconnect
 * once the lock is released; under the lock. */
static gulong
fluid_job_steal_submit_handler_locked (FluidJob      *job,
                                       GCancellable **cancellable)
{
  gulong handler;

  if (job->extra == NULL || job->extra->submit_handler == 0)
    return 0;
  handler = job->extra->submit_handler;
  *cancellable = g_steal_pointer (&job->extra->submit_cancellable);
  job->extra->submit_handler = 0;
  return handler;
}

/* g_signal_handler_disconnect(), not g_cancellable_disconnect(): this may
 * run within the very handler (a cancellation that ends the job), where
 * the latter would wait for itself. The handler holds a reference on the
 * job, so that one running on another thread meanwhile is harmless. */
static void
fluid_job_disconnect (GCancellable *cancellable,
                      gulong        handler)
{
  if (handler == 0)
    return;
  g_signal_handler_disconnect (cancellable, handler);
  g_object_unref (cancellable);
}

GError *
fluid_job_stopped_error (FluidJobWorker *worker)
{
  return g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED,
                      "%s stopped before the job ended",
                      worker != NULL ? fluid_worker_get_name (FLUID_WORKER (worker)) : "the worker");
}

/* Private API, for the worker: see fluid-job-private.h */

FluidJob *
fluid_job_new (FluidJobWorker *worker,
               const GValue   *input,
               int             priority)
{
  FluidJob *job = g_object_new (FLUID_TYPE_JOB, NULL);

  job->worker = worker;
  job->priority = priority;
  if (input != NULL)
    {
      g_value_init (&job->input, G_VALUE_TYPE (input));
      g_value_copy (input, &job->input);
    }
  return job;
}

GCancellable *
fluid_job_begin (FluidJob *job)
{
  GCancellable *made = g_cancellable_new ();
  GCancellable *cancellable = NULL;

  fluid_job_lock (job);
  if (job->phase == FLUID_JOB_PHASE_QUEUED)
    {
      FluidJobExtra *extra = fluid_job_extra_locked (job);

      job->phase = FLUID_JOB_PHASE_RUNNING;
      job->began = TRUE;
      job->message = NULL;
      if (extra->cancellable == NULL)
        extra->cancellable = g_steal_pointer (&made);
      cancellable = g_object_ref (extra->cancellable);
    }
  fluid_job_unlock (job);

  g_clear_object (&made);
  return cancellable;
}

gboolean
fluid_job_return (FluidJob *job,
                  gboolean  succeeded,
                  GError   *error)
{
  GCancellable *submit_cancellable = NULL;
  gulong handler = 0;
  gboolean mine;

  if (succeeded && error != NULL)
    {
      g_critical ("The function of job %" G_GUINT64_FORMAT " returned TRUE with an error set: %s",
                  job->id, error->message);
      g_clear_error (&error);
    }
  else if (!succeeded && error == NULL)
    error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                         "The function of job %" G_GUINT64_FORMAT " failed without an error",
                         job->id);

  fluid_job_lock (job);
  mine = job->phase == FLUID_JOB_PHASE_RUNNING;
  if (mine)
    {
      FluidJobExtra *extra = fluid_job_extra_locked (job);

      job->phase = FLUID_JOB_PHASE_DONE;
      if (succeeded)
        extra->end = FLUID_JOB_STATE_SUCCEEDED;
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        extra->end = FLUID_JOB_STATE_CANCELLED;
      else
        extra->end = FLUID_JOB_STATE_FAILED;
      extra->error = g_steal_pointer (&error);
      if (!succeeded && G_IS_VALUE (&extra->output))
        g_value_unset (&extra->output);
      handler = fluid_job_steal_submit_handler_locked (job, &submit_cancellable);
    }
  fluid_job_unlock (job);

  g_clear_error (&error);
  fluid_job_disconnect (submit_cancellable, handler);
  return mine;
}

gboolean
fluid_job_decide_cancel (FluidJob        *job,
                         const GError    *error,
                         gboolean         abandon,
                         FluidJobWorker **publisher)
{
  GCancellable *cancellable = NULL, *submit_cancellable = NULL;
  FluidMessage *removed = NULL;
  gulong handler = 0;
  gboolean decided = FALSE;

  fluid_job_lock (job);
  if (job->phase == FLUID_JOB_PHASE_QUEUED || (abandon && job->phase == FLUID_JOB_PHASE_RUNNING))
    {
      FluidJobExtra *extra = fluid_job_extra_locked (job);

      /* Its message is freed by whoever holds it: the queue gives it
       * back if it is still there; a driver that took it finds the job
       * decided, and drops it. */
      if (job->message != NULL &&
          fluid_message_queue_remove (fluid_queue_consumer_get_queue (FLUID_QUEUE_CONSUMER (job->worker)),
                                      job->message))
        removed = job->message;
      job->message = NULL;
      if (job->phase == FLUID_JOB_PHASE_RUNNING && extra->cancellable != NULL)
        cancellable = g_object_ref (extra->cancellable);
      job->phase = FLUID_JOB_PHASE_DONE;
      extra->end = FLUID_JOB_STATE_CANCELLED;
      extra->error = g_error_copy (error);
      if (G_IS_VALUE (&extra->output))
        g_value_unset (&extra->output);
      handler = fluid_job_steal_submit_handler_locked (job, &submit_cancellable);
      decided = TRUE;
      /* Under the lock: the worker cannot be disposed before it ended the
       * job, which waits for the lock. */
      if (publisher != NULL && fluid_worker_is_on_context (FLUID_WORKER (job->worker)))
        *publisher = job->worker;
      else if (publisher != NULL)
        fluid_job_worker_look_at (job->worker, job);
    }
  else if (job->phase == FLUID_JOB_PHASE_RUNNING && job->extra != NULL && job->extra->cancellable != NULL)
    cancellable = g_object_ref (job->extra->cancellable);
  fluid_job_unlock (job);

  /* Outside the lock: it may run any code. */
  fluid_job_disconnect (submit_cancellable, handler);
  if (cancellable != NULL)
    {
      g_cancellable_cancel (cancellable);
      g_object_unref (cancellable);
    }
  if (removed != NULL)
    fluid_message_free (removed);
  return decided;
}

void
fluid_job_read_news (FluidJob     *job,
                     FluidJobNews *news)
{
  FluidJobState state = g_atomic_int_get (&job->state);

  fluid_job_lock (job);
  news->start = job->began && state == FLUID_JOB_STATE_QUEUED;
  news->end = job->phase == FLUID_JOB_PHASE_DONE && !fluid_job_state_is_final (state);
  news->end_state = news->end ? job->extra->end : state;
  news->report = job->extra != NULL && job->extra->reported;
  fluid_job_unlock (job);
}

void
fluid_job_publish_state (FluidJob      *job,
                         FluidJobState  state)
{
  g_atomic_int_set (&job->state, state);
  g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_STATE]);
}

void
fluid_job_publish_report (FluidJob *job)
{
  char *text = NULL;
  double progress = 0;
  gboolean reported = FALSE, text_changed;

  fluid_job_lock (job);
  if (job->extra != NULL && job->extra->reported)
    {
      progress = job->extra->report;
      text = g_steal_pointer (&job->extra->report_text);
      job->extra->reported = FALSE;
      reported = TRUE;
    }
  fluid_job_unlock (job);

  if (!reported)
    return;

  job->progress_time = g_get_monotonic_time ();
  text_changed = g_strcmp0 (text, job->progress_text) != 0;
  g_free (job->progress_text);
  job->progress_text = text;
  if (progress != job->progress)
    {
      job->progress = progress;
      g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_PROGRESS]);
    }
  if (text_changed)
    g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_PROGRESS_TEXT]);
}

/* The outcome a wait completes with. */
static void
fluid_job_return_to_waiter (FluidJob *job,
                            GTask    *task)
{
  const GError *error = fluid_job_get_error (job);

  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
fluid_job_complete_waiters (FluidJob *job)
{
  GSList *waiters = NULL;

  fluid_job_lock (job);
  job->finished = TRUE;
  if (job->extra != NULL)
    waiters = g_steal_pointer (&job->extra->waiters);
  fluid_job_unlock (job);

  /* In the order they were made. */
  waiters = g_slist_reverse (waiters);
  for (GSList *l = waiters; l != NULL; l = l->next)
    {
      GTask *task = l->data;
      gulong handler = GPOINTER_TO_SIZE (g_task_get_task_data (task));

      if (handler != 0)
        g_signal_handler_disconnect (g_task_get_cancellable (task), handler);
      fluid_job_return_to_waiter (job, task);
      g_object_unref (task);
    }
  g_slist_free (waiters);
}

/* GObject */

static void
fluid_job_finalize (GObject *object)
{
  FluidJob *job = FLUID_JOB (object);

  if (G_IS_VALUE (&job->input))
    g_value_unset (&job->input);
  if (job->extra != NULL)
    {
      FluidJobExtra *extra = job->extra;

      /* Every wait completed: a waiter holds the job. */
      g_assert (extra->waiters == NULL);
      if (G_IS_VALUE (&extra->output))
        g_value_unset (&extra->output);
      g_clear_error (&extra->error);
      g_clear_object (&extra->cancellable);
      g_clear_object (&extra->submit_cancellable);
      g_free (extra->report_text);
      g_free (extra);
    }
  g_free (job->progress_text);

  G_OBJECT_CLASS (fluid_job_parent_class)->finalize (object);
}

static void
fluid_job_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  FluidJob *job = FLUID_JOB (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, fluid_job_get_state (job));
      break;

    case PROP_PRIORITY:
      g_value_set_int (value, job->priority);
      break;

    case PROP_PROGRESS:
      g_value_set_double (value, job->progress);
      break;

    case PROP_PROGRESS_TEXT:
      g_value_set_string (value, job->progress_text);
      break;

    case PROP_ID:
      g_value_set_uint64 (value, job->id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_job_class_init (FluidJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fluid_job_finalize;
  object_class->get_property = fluid_job_get_property;

  /**
   * FluidJob:state:
   *
   * Where the job is: queued, running, or how it ended. It changes, and is
   * notified, on the worker's context, once to each state.
   *
   * Since: 1.2
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", "State", "Where the job is",
                       FLUID_TYPE_JOB_STATE, FLUID_JOB_STATE_QUEUED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidJob:priority:
   *
   * The priority the job was submitted with: a %G_PRIORITY_DEFAULT-style
   * value, the lower the sooner.
   *
   * Since: 1.2
   */
  properties[PROP_PRIORITY] =
    g_param_spec_int ("priority", "Priority", "The priority the job was submitted with",
                      G_MININT, G_MAXINT, G_PRIORITY_DEFAULT,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidJob:progress:
   *
   * The fraction of the job done, from 0 to 1, or -1 when the function
   * said it does not know; 0 until it reports one. Notified on the
   * worker's context at most 20 times a second (see
   * fluid_job_report_progress()).
   *
   * Since: 1.2
   */
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", "Progress", "The fraction of the job done",
                         -1.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidJob:progress-text:
   *
   * What the function says it is doing, with its last report of
   * progress; %NULL until then.
   *
   * Since: 1.2
   */
  properties[PROP_PROGRESS_TEXT] =
    g_param_spec_string ("progress-text", "Progress text", "What the job says it is doing",
                         NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidJob:id:
   *
   * The number of the job in its worker, from 1, increasing in the order
   * the jobs were queued.
   *
   * Since: 1.2
   */
  properties[PROP_ID] =
    g_param_spec_uint64 ("id", "ID", "The number of the job in its worker",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fluid_job_init (FluidJob *job)
{
  job->state = FLUID_JOB_STATE_QUEUED;
  job->priority = G_PRIORITY_DEFAULT;
}

/* Public API */

/**
 * fluid_job_get_input:
 * @job: a #FluidJob
 *
 * Gets the input the job was submitted with, a copy of the value given
 * to fluid_job_worker_submit(). Any thread.
 *
 * Returns: (nullable): the input, or %NULL when it was submitted without
 *   one
 *
 * Since: 1.2
 */
const GValue *
fluid_job_get_input (FluidJob *job)
{
  g_return_val_if_fail (FLUID_IS_JOB (job), NULL);

  return G_IS_VALUE (&job->input) ? &job->input : NULL;
}

/**
 * fluid_job_set_output:
 * @job: a #FluidJob
 * @output: (nullable): the output, copied; %NULL for none
 *
 * Sets the output of the job, from its function, before it returns %TRUE:
 * a copy of @output is what fluid_job_get_output() and
 * fluid_job_wait_finish() give once the job succeeded. Any thread; once
 * the job ended, it is ignored.
 *
 * Since: 1.2
 */
void
fluid_job_set_output (FluidJob     *job,
                      const GValue *output)
{
  GValue old = G_VALUE_INIT;
  GValue copy = G_VALUE_INIT;

  g_return_if_fail (FLUID_IS_JOB (job));
  g_return_if_fail (output == NULL || G_IS_VALUE (output));

  if (output != NULL)
    {
      g_value_init (&copy, G_VALUE_TYPE (output));
      g_value_copy (output, &copy);
    }

  fluid_job_lock (job);
  if (job->phase != FLUID_JOB_PHASE_DONE)
    {
      FluidJobExtra *extra = fluid_job_extra_locked (job);

      old = extra->output;
      extra->output = copy;
      copy = (GValue) G_VALUE_INIT;
    }
  fluid_job_unlock (job);

  /* Outside the lock: freeing a value may run any code. */
  if (G_IS_VALUE (&old))
    g_value_unset (&old);
  if (G_IS_VALUE (&copy))
    g_value_unset (&copy);
}

/**
 * fluid_job_get_output:
 * @job: a #FluidJob
 *
 * Gets the output the function set with fluid_job_set_output(), once the
 * job succeeded.
 *
 * Returns: (nullable): the output, or %NULL when the job has not
 *   succeeded or succeeded without one
 *
 * Since: 1.2
 */
const GValue *
fluid_job_get_output (FluidJob *job)
{
  g_return_val_if_fail (FLUID_IS_JOB (job), NULL);

  /* Constant once published. */
  if (g_atomic_int_get (&job->state) != FLUID_JOB_STATE_SUCCEEDED || job->extra == NULL ||
      !G_IS_VALUE (&job->extra->output))
    return NULL;
  return &job->extra->output;
}

/**
 * fluid_job_get_error:
 * @job: a #FluidJob
 *
 * Gets why the job failed or was cancelled: the error of its function,
 * %G_IO_ERROR_CANCELLED for a job cancelled before it ran, or
 * %FLUID_WORKER_ERROR_STOPPED when its worker stopped first.
 *
 * Returns: (nullable): the error, or %NULL until the job failed or was
 *   cancelled
 *
 * Since: 1.2
 */
const GError *
fluid_job_get_error (FluidJob *job)
{
  FluidJobState state;

  g_return_val_if_fail (FLUID_IS_JOB (job), NULL);

  state = g_atomic_int_get (&job->state);
  if (state != FLUID_JOB_STATE_FAILED && state != FLUID_JOB_STATE_CANCELLED)
    return NULL;
  return job->extra->error;
}

/**
 * fluid_job_get_state:
 * @job: a #FluidJob
 *
 * Gets #FluidJob:state, as published on the worker's context.
 *
 * Returns: the state of the job
 *
 * Since: 1.2
 */
FluidJobState
fluid_job_get_state (FluidJob *job)
{
  g_return_val_if_fail (FLUID_IS_JOB (job), FLUID_JOB_STATE_QUEUED);

  return g_atomic_int_get (&job->state);
}

/**
 * fluid_job_is_done:
 * @job: a #FluidJob
 *
 * Whether the job ended: succeeded, failed or cancelled. Any thread.
 *
 * Returns: %TRUE once #FluidJob:state is a final one
 *
 * Since: 1.2
 */
gboolean
fluid_job_is_done (FluidJob *job)
{
  g_return_val_if_fail (FLUID_IS_JOB (job), FALSE);

  return fluid_job_state_is_final (g_atomic_int_get (&job->state));
}

/**
 * fluid_job_get_id:
 * @job: a #FluidJob
 *
 * Gets #FluidJob:id.
 *
 * Returns: the number of the job in its worker, 0 for a job refused
 *   because its worker stopped
 *
 * Since: 1.2
 */
guint64
fluid_job_get_id (FluidJob *job)
{
  g_return_val_if_fail (FLUID_IS_JOB (job), 0);

  return job->id;
}

/**
 * fluid_job_get_cancellable:
 * @job: a #FluidJob
 *
 * Gets the cancellable of the job, for its function (which is handed it
 * too): it is cancelled by fluid_job_cancel(), by the cancellable given
 * to fluid_job_worker_submit(), and by a forced stop of the worker. Any
 * thread.
 *
 * Returns: (transfer none): the cancellable of the job
 *
 * Since: 1.2
 */
GCancellable *
fluid_job_get_cancellable (FluidJob *job)
{
  GCancellable *made, *cancellable;
  gboolean cancelled;

  g_return_val_if_fail (FLUID_IS_JOB (job), NULL);

  made = g_cancellable_new ();
  fluid_job_lock (job);
  if (fluid_job_extra_locked (job)->cancellable == NULL)
    job->extra->cancellable = g_steal_pointer (&made);
  cancellable = job->extra->cancellable;
  cancelled = job->phase == FLUID_JOB_PHASE_DONE && job->extra->end == FLUID_JOB_STATE_CANCELLED;
  fluid_job_unlock (job);

  g_clear_object (&made);
  /* Made for a job already cancelled: it says so. */
  if (cancelled)
    g_cancellable_cancel (cancellable);
  return cancellable;
}

/**
 * fluid_job_get_priority:
 * @job: a #FluidJob
 *
 * Gets #FluidJob:priority.
 *
 * Returns: the priority of the job
 *
 * Since: 1.2
 */
int
fluid_job_get_priority (FluidJob *job)
{
  g_return_val_if_fail (FLUID_IS_JOB (job), G_PRIORITY_DEFAULT);

  return job->priority;
}

/**
 * fluid_job_get_progress:
 * @job: a #FluidJob
 *
 * Gets #FluidJob:progress, as published on the worker's context.
 *
 * Returns: the fraction done, from 0 to 1, or -1 when unknown
 *
 * Since: 1.2
 */
double
fluid_job_get_progress (FluidJob *job)
{
  g_return_val_if_fail (FLUID_IS_JOB (job), 0.0);

  return job->progress;
}

/**
 * fluid_job_get_progress_text:
 * @job: a #FluidJob
 *
 * Gets #FluidJob:progress-text, as published on the worker's context.
 *
 * Returns: (nullable): what the job says it is doing
 *
 * Since: 1.2
 */
const char *
fluid_job_get_progress_text (FluidJob *job)
{
  g_return_val_if_fail (FLUID_IS_JOB (job), NULL);

  return job->progress_text;
}

/**
 * fluid_job_cancel:
 * @job: a #FluidJob
 *
 * Cancels the job. A job still queued never runs: it ends
 * %FLUID_JOB_STATE_CANCELLED with %G_IO_ERROR_CANCELLED, within this call
 * when it is made on the worker's context, soon after (on that context)
 * otherwise. A running job has its cancellable cancelled, and ends by
 * what its function returns: cancelled for %G_IO_ERROR_CANCELLED,
 * succeeded or failed otherwise. A job that ended is left as it is, and
 * cancelling a job twice is cancelling it once. Any thread.
 *
 * Since: 1.2
 */
void
fluid_job_cancel (FluidJob *job)
{
  g_autoptr(GError) error = NULL;
  FluidJobWorker *worker = NULL;

  g_return_if_fail (FLUID_IS_JOB (job));

  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "The job was cancelled");
  /* On the worker's context, published at once. */
  if (fluid_job_decide_cancel (job, error, FALSE, &worker) && worker != NULL)
    fluid_job_worker_publish (worker, job);
}

/**
 * fluid_job_report_progress:
 * @job: a #FluidJob
 * @fraction: the fraction done, from 0 to 1 (more is 1), or a negative
 *   value when unknown (-1); not NaN
 * @text: (nullable): what the job is doing, or %NULL
 *
 * Reports the progress of a running job, from its function: any thread,
 * as often as it likes. The reports are coalesced: #FluidJob:progress and
 * #FluidJob:progress-text are notified on the worker's context at most 20
 * times a second, each report within 100 ms with the latest value, and
 * the last report before the job ends is notified before its state
 * changes. A report from a job that is not running is ignored.
 *
 * Since: 1.2
 */
void
fluid_job_report_progress (FluidJob   *job,
                           double      fraction,
                           const char *text)
{
  gboolean first;
  char *copy, *old = NULL;

  g_return_if_fail (FLUID_IS_JOB (job));
  g_return_if_fail (!isnan (fraction));

  fraction = fraction < 0 ? -1.0 : MIN (fraction, 1.0);
  copy = g_strdup (text);

  fluid_job_lock (job);
  if (job->phase == FLUID_JOB_PHASE_RUNNING)
    {
      FluidJobExtra *extra = fluid_job_extra_locked (job);

      first = !extra->reported;
      extra->reported = TRUE;
      extra->report = fraction;
      old = extra->report_text;
      extra->report_text = g_steal_pointer (&copy);
      /* The worker looks at the job once for all the reports until it
       * published them; under the lock, as a cancellation does. */
      if (first)
        fluid_job_worker_look_at (job->worker, job);
    }
  fluid_job_unlock (job);

  g_free (old);
  g_free (copy);
}

static void
fluid_job_wait_cancelled_cb (GCancellable *cancellable,
                             gpointer      user_data)
{
  GTask *task = user_data;
  FluidJob *job = g_task_get_source_object (task);
  GSList *link;

  fluid_job_lock (job);
  link = job->extra != NULL ? g_slist_find (job->extra->waiters, task) : NULL;
  if (link != NULL)
    job->extra->waiters = g_slist_delete_link (job->extra->waiters, link);
  fluid_job_unlock (job);

  if (link == NULL)
    return;
  /* Disconnected without waiting, from within itself: it holds the task.
   * Not stored yet, or called from g_cancellable_connect(): the caller
   * of that disconnects it, if it is connected. */
  if (g_task_get_task_data (task) != NULL)
    g_signal_handler_disconnect (cancellable, GPOINTER_TO_SIZE (g_task_get_task_data (task)));
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The wait was cancelled");
  g_object_unref (task);
}

/**
 * fluid_job_wait_async:
 * @job: a #FluidJob
 * @cancellable: (nullable): a #GCancellable, which cancels the wait (not
 *   the job)
 * @callback: (scope async): called once the job ended
 * @user_data: (closure): data for @callback
 *
 * Waits for the job to end. @callback runs on the thread-default main
 * context of the caller, never within this call, even for a job that has
 * ended already. Every wait completes: a job ends however its worker
 * stops, and one whose worker is disposed without having run ends then.
 * Any thread with a thread-default main context.
 *
 * Since: 1.2
 */
void
fluid_job_wait_async (FluidJob            *job,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;
  gboolean finished;
  gulong handler;

  g_return_if_fail (FLUID_IS_JOB (job));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (job, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_job_wait_async);
  g_task_set_name (task, "[fluid] job wait");

  fluid_job_lock (job);
  finished = job->finished;
  if (!finished)
    {
      FluidJobExtra *extra = fluid_job_extra_locked (job);

      extra->waiters = g_slist_prepend (extra->waiters, g_object_ref (task));
    }
  fluid_job_unlock (job);

  if (finished)
    {
      /* Made in this iteration: GTask calls back from the next one. */
      fluid_job_return_to_waiter (job, task);
      g_object_unref (task);
      return;
    }
  g_object_unref (task);

  if (cancellable == NULL)
    return;
  /* A cancellable cancelled already calls the handler at once, and
   * returns 0. The handler's id is stored under the lock while the task
   * waits, for whoever takes it out to disconnect it. */
  handler = g_cancellable_connect (cancellable, G_CALLBACK (fluid_job_wait_cancelled_cb),
                                   g_object_ref (task), g_object_unref);
  if (handler == 0)
    return;
  fluid_job_lock (job);
  if (job->extra->waiters != NULL && g_slist_find (job->extra->waiters, task) != NULL)
    {
      g_task_set_task_data (task, GSIZE_TO_POINTER (handler), NULL);
      handler = 0;
    }
  fluid_job_unlock (job);
  /* Completed meanwhile: nobody else disconnects it. */
  if (handler != 0)
    g_signal_handler_disconnect (cancellable, handler);
}

/**
 * fluid_job_wait_finish:
 * @job: a #FluidJob
 * @result: the #GAsyncResult
 * @output: (out caller-allocates) (optional): an uninitialized #GValue that
 *   receives a copy of the output, and stays unset when there is none
 * @error: return location for a #GError
 *
 * Finishes fluid_job_wait_async().
 *
 * Returns: %TRUE if the job succeeded; %FALSE with the error of a job
 *   that failed or was cancelled (or %G_IO_ERROR_CANCELLED when the wait
 *   was)
 *
 * Since: 1.2
 */
gboolean
fluid_job_wait_finish (FluidJob      *job,
                       GAsyncResult  *result,
                       GValue        *output,
                       GError       **error)
{
  const GValue *value;

  g_return_val_if_fail (FLUID_IS_JOB (job), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, job), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, fluid_job_wait_async), FALSE);
  g_return_val_if_fail (output == NULL || !G_IS_VALUE (output), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  value = fluid_job_get_output (job);
  if (output != NULL && value != NULL)
    {
      g_value_init (output, G_VALUE_TYPE (value));
      g_value_copy (value, output);
    }
  return TRUE;
}
