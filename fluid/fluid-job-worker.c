/* fluid-job-worker.c: a queue consumer whose messages are jobs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-job-worker.h"
#include "fluid-clock-private.h"
#include "fluid-job-list-private.h"
#include "fluid-job-private.h"
#include "fluid-queue-pump-private.h"
#include "fluid-queue-threads-private.h"
#include "fluid-tsan-private.h"
#include "fluid-worker-private.h"

/**
 * SECTION:fluid-job-worker
 * @short_description: Work with a priority, a result, progress and
 *   cancellation
 * @title: FluidJobWorker
 * @see_also: #FluidJob, #FluidQueueConsumer
 *
 * A #FluidJobWorker runs jobs: fluid_job_worker_submit() queues a copy of
 * its input at a priority and returns a #FluidJob, which ends with the
 * output or the error of the worker's #FluidJobFunc, reports its progress
 * and can be cancelled. It is what GNOME applications build by hand
 * around #GTask and a thread pool, with a bound, an order and a list of
 * what is going on for the user interface.
 *
 * |[<!-- language="C" -->
 * static gboolean
 * hash_file (FluidJob *job, GCancellable *cancellable, gpointer user_data, GError **error)
 * {
 *   g_autofree char *checksum = compute (g_value_get_string (fluid_job_get_input (job)),
 *                                        job, cancellable, error);
 *   g_auto(GValue) output = G_VALUE_INIT;
 *
 *   if (checksum == NULL)
 *     return FALSE;
 *   g_value_init (&output, G_TYPE_STRING);
 *   g_value_take_string (&output, g_steal_pointer (&checksum));
 *   fluid_job_set_output (job, &output);
 *   return TRUE;
 * }
 *
 * FluidJobWorker *worker = fluid_job_worker_new (4, hash_file, NULL, NULL);
 * FluidJob *job = fluid_job_worker_submit (worker, &path, G_PRIORITY_HIGH, NULL);
 * fluid_job_wait_async (job, NULL, hashed_cb, NULL);
 * ]|
 *
 * A job worker is a #FluidQueueConsumer, whose messages are its jobs: it
 * keeps every promise of one. Submitting is thread-safe, and
 * fluid_job_worker_try_submit() respects #FluidQueueConsumer:max-queue-size.
 * The jobs run in the order of their priority, the lowest value first
 * (%G_PRIORITY_HIGH before %G_PRIORITY_DEFAULT), first come first served
 * within a priority: on the worker's context one at a time when it has no
 * thread, else on as many threads as it was made with, which it owns.
 *
 * Every job submitted ends once, succeeded, failed or cancelled, and
 * every wait completes, whatever happens:
 *
 * - a graceful stop lets the running jobs end, and cancels the queued
 *   ones with %FLUID_WORKER_ERROR_STOPPED (or runs them too, with
 *   #FluidQueueConsumer:drain-on-stop);
 * - a forced stop (and a failure of the worker from elsewhere) cancels
 *   every job not done with %FLUID_WORKER_ERROR_STOPPED at that moment,
 *   and cancels the cancellable of those running: a function that ignores
 *   it keeps its thread, but its late return changes nothing;
 * - a job submitted once a stop was asked for, or to a stopped worker, is
 *   returned cancelled with %FLUID_WORKER_ERROR_STOPPED;
 * - the jobs of a worker disposed without having run end as at a stop.
 *
 * The counters of a consumer count jobs: `processed` those that
 * succeeded, `failed` those that failed, and the status adds `cancelled`
 * (`t`), those cancelled, and `running` (`u`), those running now
 * (#FluidJobWorker:cancelled and #FluidJobWorker:running, notified as the
 * counters of a consumer are); no job is ever `discarded`. A job that
 * fails is a failed message: #FluidQueueConsumer::message-failed is emitted
 * with the job as its value, and with #FluidQueueConsumer:stop-on-failure
 * (%FALSE by default for a job worker: a failed job is its caller's to
 * handle) the worker stops with its error once the running jobs ended.
 *
 * fluid_job_worker_get_jobs() is a #GListModel of the jobs queued or
 * running, in the order they run: what a GtkListView shows, one row a
 * job with its progress bar.
 */

/* Where the jobs are. A job is a message of the consumer's queue: a
 * FluidMessage whose value holds the job, in the lane of its priority, so
 * that the queue's order is the order they run, and the consumer's
 * drivers run them: the pump on the context, the threads. The worker
 * counts the jobs itself (fluid_message_queue_set_owner_counts()): a job
 * ends exactly once, decided under its own lock by whoever comes first
 * (its function's return, a cancellation, a stop), and the decision, not
 * what a driver did with the message, is what counts.
 *
 * What is decided on any thread is published on the worker's context:
 * the job's state and progress, the counts, the list model. A thread that
 * decides something of a job asks the context to look at it
 * (fluid_job_worker_look_at()): the job joins @events, and the consumer's
 * source calls fluid_job_worker_look_at_events(). The context publishes
 * what it decides itself (a job it runs, a cancellation made there, a
 * stop) at once.
 *
 * Threads and locks. @lock guards the fields so marked: the jobs not
 * ended (to end them at a stop), the events, the numbering. Submitting
 * takes it to number a job and queue it in one step, so that the ids
 * follow the queue's order within a priority: the queue's lock, and what
 * a push wakes (a context, the threads' lock), are taken under it. A job's
 * lock is taken before @lock (a job tells the worker to look at it),
 * never under it. Everything else is the context's. */

/* The most a job's progress is notified: 20 times a second. */
#define FLUID_JOB_REPORT_INTERVAL_US (G_USEC_PER_SEC / 20)

struct _FluidJobWorker
{
  FluidQueueConsumer  parent_instance;

  /* Set at construction, then constant. */
  FluidJobFunc        func;
  FluidAsyncJobFunc   async_func;
  gpointer            user_data;
  GDestroyNotify      destroy;
  guint               n_threads;
  FluidMessageQueue  *queue;          /* the consumer's */

  /* Under @lock. */
  GMutex              lock;
  guint64             last_id;
  FluidJob           *jobs;           /* not ended, through their prev and next */
  FluidJob           *events;         /* to look at, through their next_event */
  FluidJob           *events_tail;
  gboolean            refusing;       /* a stop was asked for: submissions end at once */
  gboolean            listed;         /* @list exists: arrivals are looked at */

  /* On the context. */
  FluidObserver      *observer;
  FluidJobList       *list;
  GQueue              reports;        /* of FluidJob *, a report waiting for its time */
  FluidTimer          report_tick;    /* armed for the earliest report due */
  guint               running;
};

enum
{
  PROP_0,
  PROP_N_THREADS,
  PROP_CANCELLED,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FluidJobWorker, fluid_job_worker, FLUID_TYPE_QUEUE_CONSUMER)

static gboolean
fluid_job_worker_on_context (FluidJobWorker *self)
{
  return fluid_worker_is_on_context (FLUID_WORKER (self));
}

/* The jobs not ended; under the lock. */

static void
fluid_job_worker_add_job_locked (FluidJobWorker *self,
                                 FluidJob       *job)
{
  job->prev = NULL;
  job->next = self->jobs;
  if (self->jobs != NULL)
    self->jobs->prev = job;
  self->jobs = g_object_ref (job);
}

/* Whether @job was there: the caller then owns the list's reference. */
static gboolean
fluid_job_worker_remove_job_locked (FluidJobWorker *self,
                                    FluidJob       *job)
{
  if (job->prev == NULL && self->jobs != job)
    return FALSE;
  if (job->prev != NULL)
    job->prev->next = job->next;
  else
    self->jobs = job->next;
  if (job->next != NULL)
    job->next->prev = job->prev;
  job->prev = job->next = NULL;
  return TRUE;
}

/* The jobs not ended, each with a reference, for the caller to go
 * through without the lock. */
static GPtrArray *
fluid_job_worker_list_jobs (FluidJobWorker *self)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func (g_object_unref);

  fluid_mutex_lock (&self->lock);
  for (FluidJob *job = self->jobs; job != NULL; job = job->next)
    g_ptr_array_add (jobs, g_object_ref (job));
  fluid_mutex_unlock (&self->lock);
  return jobs;
}

/* Looking at jobs */

void
fluid_job_worker_look_at (FluidJobWorker *self,
                          FluidJob       *job)
{
  gboolean first;

  if (self == NULL)
    return;

  fluid_mutex_lock (&self->lock);
  first = self->events == NULL;
  if (!job->in_events)
    {
      job->in_events = TRUE;
      job->next_event = NULL;
      if (self->events_tail != NULL)
        self->events_tail->next_event = job;
      else
        self->events = job;
      self->events_tail = g_object_ref (job);
    }
  fluid_mutex_unlock (&self->lock);

  if (first)
    fluid_queue_consumer_wake_subclass (FLUID_QUEUE_CONSUMER (self));
}

/* The consumer's source woke the worker: publishes what the jobs it was
 * told to look at have to say. On the context. */
static void
fluid_job_worker_look_at_events (FluidQueueConsumer *consumer)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (consumer);
  g_autoptr(GPtrArray) events = NULL;

  /* Out of the list under the lock: a job may be looked at again while it
   * is published, which links it anew. */
  fluid_mutex_lock (&self->lock);
  if (self->events != NULL)
    {
      events = g_ptr_array_new_with_free_func (g_object_unref);
      for (FluidJob *job = self->events; job != NULL; job = job->next_event)
        {
          job->in_events = FALSE;
          g_ptr_array_add (events, job);
        }
      self->events = self->events_tail = NULL;
    }
  fluid_mutex_unlock (&self->lock);

  for (guint i = 0; events != NULL && i < events->len; i++)
    fluid_job_worker_publish (self, g_ptr_array_index (events, i));
}

/* Reports of progress, at most every FLUID_JOB_REPORT_INTERVAL_US a job */

static gboolean
fluid_job_worker_report_due (FluidJob *job,
                             gint64    now)
{
  return job->progress_time == 0 || now >= job->progress_time + FLUID_JOB_REPORT_INTERVAL_US;
}

static void fluid_job_worker_arm_reports (FluidJobWorker *self);

static void
fluid_job_worker_report_tick_cb (gpointer user_data)
{
  FluidJobWorker *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GList *l = self->reports.head;

  g_object_ref (self);
  while (l != NULL)
    {
      FluidJob *job = l->data;
      GList *next = l->next;

      if (fluid_job_worker_report_due (job, now))
        {
          g_queue_delete_link (&self->reports, l);
          job->in_reports = FALSE;
          if (!fluid_job_is_done (job))
            fluid_job_publish_report (job);
          g_object_unref (job);
        }
      l = next;
    }
  fluid_job_worker_arm_reports (self);
  g_object_unref (self);
}

/* Arms the tick for the earliest report due, if any. */
static void
fluid_job_worker_arm_reports (FluidJobWorker *self)
{
  gint64 due = G_MAXINT64;

  if (fluid_timer_is_armed (&self->report_tick) || self->reports.length == 0)
    return;
  for (GList *l = self->reports.head; l != NULL; l = l->next)
    due = MIN (due, ((FluidJob *) l->data)->progress_time + FLUID_JOB_REPORT_INTERVAL_US);
  /* Disarmed in dispose. */
  fluid_timer_arm_on_context (&self->report_tick, fluid_worker_get_context (FLUID_WORKER (self)), due);
}

/* Publishing, on the context */

static void
fluid_job_worker_count (FluidJobWorker *self,
                        FluidJobState   end)
{
  FluidMessageTally outcome = { 0, 0, 0, 0 };

  if (end == FLUID_JOB_STATE_SUCCEEDED)
    outcome.processed = 1;
  else if (end == FLUID_JOB_STATE_FAILED)
    outcome.failed = 1;
  else
    outcome.cancelled = 1;
  fluid_message_queue_count (self->queue, &outcome);
}

/* The job ended: it leaves what holds the jobs going on, is counted, and
 * is told, then its waits complete. */
static void
fluid_job_worker_publish_end (FluidJobWorker *self,
                              FluidJob       *job,
                              FluidJobState   end,
                              gboolean        was_running)
{
  gboolean listed;

  fluid_mutex_lock (&self->lock);
  listed = fluid_job_worker_remove_job_locked (self, job);
  fluid_mutex_unlock (&self->lock);

  if (was_running)
    self->running--;
  fluid_job_worker_count (self, end);
  if (self->list != NULL)
    fluid_job_list_remove (self->list, job);
  fluid_job_publish_state (job, end);
  if (end == FLUID_JOB_STATE_FAILED)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, FLUID_TYPE_JOB);
      g_value_set_object (&value, job);
      fluid_queue_consumer_message_failed (FLUID_QUEUE_CONSUMER (self), &value,
                                           g_error_copy (fluid_job_get_error (job)));
    }
  fluid_job_complete_waiters (job);
  if (listed)
    g_object_unref (job);
}

/* Publishes what was decided of @job and not published yet. */
void
fluid_job_worker_publish (FluidJobWorker *self,
                          FluidJob       *job)
{
  FluidJobState state = fluid_job_get_state (job);
  FluidJobNews news;

  fluid_job_read_news (job, &news);
  if (news.start)
    {
      self->running++;
      fluid_job_publish_state (job, FLUID_JOB_STATE_RUNNING);
      if (self->list != NULL)
        fluid_job_list_start (self->list, job);
      fluid_queue_consumer_counters_changed (FLUID_QUEUE_CONSUMER (self));
    }
  else if (self->list != NULL && !news.end && state == FLUID_JOB_STATE_QUEUED)
    fluid_job_list_add (self->list, job);

  if (news.report)
    {
      if (news.end || fluid_job_worker_report_due (job, g_get_monotonic_time ()))
        fluid_job_publish_report (job);
      else if (!job->in_reports)
        {
          job->in_reports = TRUE;
          g_queue_push_tail (&self->reports, g_object_ref (job));
          fluid_job_worker_arm_reports (self);
        }
    }

  if (news.end)
    fluid_job_worker_publish_end (self, job, news.end_state,
                                  news.start || state == FLUID_JOB_STATE_RUNNING);
}

/* Ends every job not ended: the queued ones, and with @all the running
 * ones too (abandoned, their cancellables cancelled), cancelled with
 * FLUID_WORKER_ERROR_STOPPED; publishes those decided. On the context, or
 * where the worker is disposed. */
static void
fluid_job_worker_end_jobs (FluidJobWorker *self,
                           gboolean        all)
{
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) error = fluid_job_stopped_error (self);

  fluid_mutex_lock (&self->lock);
  self->refusing = TRUE;
  fluid_mutex_unlock (&self->lock);

  jobs = fluid_job_worker_list_jobs (self);
  for (guint i = 0; i < jobs->len; i++)
    {
      FluidJob *job = g_ptr_array_index (jobs, i);

      fluid_job_decide_cancel (job, error, all, NULL);
      fluid_job_worker_publish (self, job);
    }
}

/* Follows the worker, on its context. */
static void
fluid_job_worker_state_changed (FluidWorker      *worker,
                                FluidWorkerState  state,
                                gpointer          user_data)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (worker);

  switch (state)
    {
    case FLUID_WORKER_STATE_RUNNING:
      /* What was decided before it ran is published now. */
      fluid_queue_consumer_wake_subclass (FLUID_QUEUE_CONSUMER (self));
      break;

    case FLUID_WORKER_STATE_STOPPING:
      if (fluid_queue_consumer_get_drain_on_stop (FLUID_QUEUE_CONSUMER (self)))
        {
          fluid_mutex_lock (&self->lock);
          self->refusing = TRUE;
          fluid_mutex_unlock (&self->lock);
        }
      else
        fluid_job_worker_end_jobs (self, FALSE);
      break;

    case FLUID_WORKER_STATE_STOPPED:
    case FLUID_WORKER_STATE_FORCE_STOPPED:
      g_object_ref (self);
      fluid_job_worker_end_jobs (self, TRUE);
      g_object_unref (self);
      break;

    case FLUID_WORKER_STATE_INIT:
    default:
      break;
    }
}

/* Running jobs */

static void
fluid_job_worker_cancel_cb (GCancellable *cancellable,
                            gpointer      user_data)
{
  fluid_job_cancel (user_data);
}

/* The job a message holds; NULL, with a critical, for a message sent to
 * the worker as to any consumer: it is dropped, as nothing runs it. */
static FluidJob *
fluid_job_worker_job_of (FluidJobWorker *self,
                         const GValue   *message)
{
  if (G_LIKELY (G_VALUE_HOLDS (message, FLUID_TYPE_JOB)))
    return g_value_get_object (message);
  g_critical ("%s: a %s sent to a job worker is dropped: submit jobs with fluid_job_worker_submit()",
              fluid_worker_get_name (FLUID_WORKER (self)), G_VALUE_TYPE_NAME (message));
  return NULL;
}

/* The task of an asynchronous function completed, on the context. */
static void
fluid_job_worker_async_done_cb (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (source);
  FluidJob *job = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  gboolean succeeded;

  g_return_if_fail (g_task_is_valid (result, self));

  succeeded = g_task_propagate_boolean (G_TASK (result), &error);
  if (fluid_job_return (job, succeeded, error))
    fluid_job_worker_publish (self, job);
  /* The pump settles the message: the worker counted the job. */
  fluid_queue_pump_resume (user_data, NULL);
}

/* The pump hands a job over, on the context. */
static gboolean
fluid_job_worker_pump_cb (FluidQueuePump *pump,
                          const GValue   *message,
                          gpointer        user_data)
{
  FluidJobWorker *self = user_data;
  FluidJob *job = fluid_job_worker_job_of (self, message);
  g_autoptr(GCancellable) cancellable = job != NULL ? fluid_job_begin (job) : NULL;
  GError *error = NULL;
  gboolean succeeded;

  /* Cancelled while a driver held it: ended already. */
  if (cancellable == NULL)
    return TRUE;
  fluid_job_worker_publish (self, job);

  if (self->async_func != NULL)
    {
      GTask *task = g_task_new (self, cancellable, fluid_job_worker_async_done_cb, pump);

      g_task_set_source_tag (task, fluid_job_worker_pump_cb);
      /* The job ends by what the function returns, cancelled or not. */
      g_task_set_check_cancellable (task, FALSE);
      g_task_set_task_data (task, g_object_ref (job), g_object_unref);
      self->async_func (job, cancellable, task, self->user_data);
      g_object_unref (task);
      return FALSE;
    }

  succeeded = self->func (job, cancellable, self->user_data, &error);
  if (fluid_job_return (job, succeeded, error))
    fluid_job_worker_publish (self, job);
  return TRUE;
}

/* A thread of the worker runs a job; the context publishes it. The
 * consumer in the first argument is the job worker. */
static gboolean
fluid_job_worker_thread_cb (FluidQueueConsumerWorker  *consumer,
                            const GValue              *message,
                            GCancellable              *worker_cancellable,
                            gpointer                   user_data,
                            GError                   **error)
{
  FluidJobWorker *self = user_data;
  FluidJob *job = fluid_job_worker_job_of (self, message);
  g_autoptr(GCancellable) cancellable = job != NULL ? fluid_job_begin (job) : NULL;
  GError *job_error = NULL;
  gboolean succeeded;

  if (cancellable == NULL)
    return TRUE;
  fluid_job_worker_look_at (self, job);
  succeeded = self->func (job, cancellable, self->user_data, &job_error);
  if (fluid_job_return (job, succeeded, job_error))
    fluid_job_worker_look_at (self, job);
  return TRUE;
}

/* Submitting */

/* A job that ends as it is made: its worker stopped, or was asked to. */
static FluidJob *
fluid_job_worker_refuse (FluidJobWorker *self,
                         FluidJob       *job)
{
  g_autoptr(GError) error = fluid_job_stopped_error (self);

  job->worker = NULL;
  fluid_job_decide_cancel (job, error, FALSE, NULL);
  fluid_job_publish_state (job, FLUID_JOB_STATE_CANCELLED);
  fluid_job_complete_waiters (job);
  fluid_job_worker_count (self, FLUID_JOB_STATE_CANCELLED);
  return job;
}

/* Queues a new job: NULL when @bounded and the queue is full. */
static FluidJob *
fluid_job_worker_queue (FluidJobWorker *self,
                        const GValue   *input,
                        int             priority,
                        GCancellable   *cancellable,
                        gboolean        bounded)
{
  FluidJob *job = fluid_job_new (self, input, priority);
  FluidMessage *message = fluid_message_new (FLUID_TYPE_JOB);
  gboolean queued = FALSE, closed = FALSE, listed = FALSE;
  gulong handler;

  g_value_set_object (&message->value, job);
  message->priority = priority;

  fluid_mutex_lock (&self->lock);
  if (!self->refusing)
    {
      job->id = self->last_id + 1;
      job->message = message;
      if (bounded)
        {
          queued = fluid_message_queue_try_push (self->queue, message);
          closed = !queued && fluid_message_queue_is_closed (self->queue);
        }
      else
        {
          /* Refused by a closed queue, the message is freed. */
          queued = fluid_message_queue_push (self->queue, message);
          closed = !queued;
          message = NULL;
        }
      if (queued)
        {
          self->last_id++;
          fluid_job_worker_add_job_locked (self, job);
          listed = self->listed;
        }
      else
        job->message = NULL;
    }
  else
    closed = TRUE;
  fluid_mutex_unlock (&self->lock);

  if (!queued)
    {
      g_clear_pointer (&message, fluid_message_free);
      if (closed)
        return fluid_job_worker_refuse (self, job);
      g_object_unref (job);
      return NULL;
    }

  if (listed)
    {
      if (fluid_job_worker_on_context (self))
        fluid_job_worker_publish (self, job);
      else
        fluid_job_worker_look_at (self, job);
    }

  if (cancellable == NULL)
    return job;
  /* Connected once queued: a cancellable cancelled already cancels it at
   * once. The handler holds the job; whoever decides its end disconnects
   * it, or this, if that came first. */
  handler = g_cancellable_connect (cancellable, G_CALLBACK (fluid_job_worker_cancel_cb),
                                   g_object_ref (job), g_object_unref);
  if (handler == 0)
    return job;
  fluid_job_lock (job);
  if (job->phase != FLUID_JOB_PHASE_DONE)
    {
      job->extra = job->extra != NULL ? job->extra : g_new0 (FluidJobExtra, 1);
      job->extra->submit_cancellable = g_object_ref (cancellable);
      job->extra->submit_handler = handler;
      handler = 0;
    }
  fluid_job_unlock (job);
  if (handler != 0)
    g_signal_handler_disconnect (cancellable, handler);
  return job;
}

/* FluidWorker */

static void
fluid_job_worker_run_async (FluidWorker         *worker,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (worker);
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_job_worker_run_async);
  g_task_set_name (task, "[fluid] job worker run");
  if (self->n_threads > 0)
    fluid_queue_threads_run (FLUID_QUEUE_CONSUMER (self), task, self->n_threads,
                             fluid_job_worker_thread_cb, self);
  else
    fluid_queue_pump_run (FLUID_QUEUE_CONSUMER (self), task, fluid_job_worker_pump_cb, self);
}

static gboolean
fluid_job_worker_run_finish (FluidWorker   *worker,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, fluid_job_worker_run_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The keys of the status a job worker adds to a consumer's. */
static void
fluid_job_worker_add_status (FluidQueueConsumer *consumer,
                             GVariantDict       *status)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (consumer);

  g_variant_dict_insert (status, "cancelled", "t", fluid_job_worker_get_cancelled (self));
  g_variant_dict_insert (status, "running", "u", self->running);
}

/* Its jobs by outcome (fluid_jobs_total), beside a consumer's counters
 * (see fluid_worker_collect_metrics()); on the worker's context. */
static void
fluid_job_worker_add_metrics (FluidWorker  *worker,
                              FluidMetrics *metrics,
                              const char   *path)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (worker);
  FluidMessageCounters counters;

  FLUID_WORKER_CLASS (fluid_job_worker_parent_class)->add_metrics (worker, metrics, path);
  fluid_message_queue_read_counters (self->queue, &counters);
  fluid_metrics_add_sample (metrics, FLUID_METRIC_JOBS, path, "outcome", "succeeded", counters.processed);
  fluid_metrics_add_sample (metrics, FLUID_METRIC_JOBS, path, "outcome", "failed", counters.failed);
  fluid_metrics_add_sample (metrics, FLUID_METRIC_JOBS, path, "outcome", "cancelled", counters.cancelled);
}

/* GObject */

static void
fluid_job_worker_constructed (GObject *object)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (object);

  G_OBJECT_CLASS (fluid_job_worker_parent_class)->constructed (object);

  self->observer = fluid_worker_observe (FLUID_WORKER (self), NULL, FLUID_OBSERVER_ALL_EVENTS,
                                         fluid_job_worker_state_changed, self, NULL);
}

static void
fluid_job_worker_dispose (GObject *object)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (object);

  /* A worker that never ran: its jobs end now, here. One that ran ended
   * them when it stopped. */
  fluid_job_worker_end_jobs (self, TRUE);
  fluid_job_worker_look_at_events (FLUID_QUEUE_CONSUMER (self));

  if (self->observer != NULL)
    {
      fluid_worker_unobserve (FLUID_WORKER (self), self->observer);
      self->observer = NULL;
    }
  fluid_timer_disarm (&self->report_tick);
  while (self->reports.length > 0)
    {
      FluidJob *job = g_queue_pop_head (&self->reports);

      job->in_reports = FALSE;
      g_object_unref (job);
    }
  g_clear_object (&self->list);

  G_OBJECT_CLASS (fluid_job_worker_parent_class)->dispose (object);
}

static void
fluid_job_worker_finalize (GObject *object)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (object);

  g_assert (self->jobs == NULL);
  g_assert (self->events == NULL);
  if (self->destroy != NULL)
    self->destroy (self->user_data);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (fluid_job_worker_parent_class)->finalize (object);
}

static void
fluid_job_worker_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FluidJobWorker *self = FLUID_JOB_WORKER (object);

  switch (prop_id)
    {
    case PROP_N_THREADS:
      g_value_set_uint (value, self->n_threads);
      break;

    case PROP_CANCELLED:
      g_value_set_uint64 (value, fluid_job_worker_get_cancelled (self));
      break;

    case PROP_RUNNING:
      g_value_set_uint (value, self->running);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_job_worker_class_init (FluidJobWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);
  FluidQueueConsumerClass *consumer_class = FLUID_QUEUE_CONSUMER_CLASS (klass);

  object_class->constructed = fluid_job_worker_constructed;
  object_class->dispose = fluid_job_worker_dispose;
  object_class->finalize = fluid_job_worker_finalize;
  object_class->get_property = fluid_job_worker_get_property;

  worker_class->run_async = fluid_job_worker_run_async;
  worker_class->run_finish = fluid_job_worker_run_finish;
  worker_class->add_metrics = fluid_job_worker_add_metrics;

  fluid_queue_consumer_class_set_wake_func (consumer_class, fluid_job_worker_look_at_events);
  fluid_queue_consumer_class_set_status_func (consumer_class, fluid_job_worker_add_status);

  /**
   * FluidJobWorker:n-threads:
   *
   * How many threads run the jobs, at most one job each: 0 when the jobs
   * run on the worker's context, one at a time.
   *
   * Since: 1.2
   */
  properties[PROP_N_THREADS] =
    g_param_spec_uint ("n-threads", "Threads", "How many threads run the jobs",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidJobWorker:cancelled:
   *
   * The jobs that ended cancelled, by a cancellation or a stop: the
   * `cancelled` key of the status. Notified as the counters of a
   * #FluidQueueConsumer are: on the worker's context, at most ten times a
   * second, while a handler is connected to it.
   *
   * Since: 1.2
   */
  properties[PROP_CANCELLED] =
    g_param_spec_uint64 ("cancelled", "Cancelled", "The jobs that ended cancelled",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidJobWorker:running:
   *
   * The jobs running now: the `running` key of the status. Notified as
   * #FluidJobWorker:cancelled is.
   *
   * Since: 1.2
   */
  properties[PROP_RUNNING] =
    g_param_spec_uint ("running", "Running", "The jobs running now",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  fluid_queue_consumer_class_add_counter (consumer_class, properties[PROP_CANCELLED]);
  fluid_queue_consumer_class_add_counter (consumer_class, properties[PROP_RUNNING]);
}

static void
fluid_job_worker_init (FluidJobWorker *self)
{
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (self);

  g_mutex_init (&self->lock);
  g_queue_init (&self->reports);
  fluid_timer_init (&self->report_tick, fluid_job_worker_report_tick_cb, self);
  self->queue = fluid_queue_consumer_get_queue (consumer);
  fluid_message_queue_set_owner_counts (self->queue);
  fluid_queue_consumer_set_reports_processed (consumer, TRUE);
  fluid_queue_consumer_set_stop_on_failure (consumer, FALSE);
}

/* Public API */

/**
 * fluid_job_worker_new:
 * @n_threads: how many threads run the jobs, each one job at a time; 0 to
 *   run them on the worker's context, one at a time
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   function that runs each job
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * Creates a job worker. With threads, they are made when it starts,
 * named after it, ended by its stop, and run 5 nice levels below the
 * thread that started it, as those of
 * fluid_queue_consumer_worker_new_threaded() do.
 *
 * Returns: (transfer full): a new #FluidJobWorker
 *
 * Since: 1.2
 */
FluidJobWorker *
fluid_job_worker_new (guint          n_threads,
                      FluidJobFunc   func,
                      gpointer       user_data,
                      GDestroyNotify destroy)
{
  FluidJobWorker *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (FLUID_TYPE_JOB_WORKER, NULL);
  self->func = func;
  self->n_threads = n_threads;
  self->user_data = user_data;
  self->destroy = destroy;
  return self;
}

/**
 * fluid_job_worker_new_async:
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   asynchronous function that runs each job
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * Creates a job worker whose jobs run on its context, one at a time, with
 * an asynchronous function: the next job waits for the task given to
 * @func. It is how a binding's coroutine runs jobs (Python's `async def`).
 *
 * Returns: (transfer full): a new #FluidJobWorker
 *
 * Since: 1.2
 */
FluidJobWorker *
fluid_job_worker_new_async (FluidAsyncJobFunc func,
                            gpointer          user_data,
                            GDestroyNotify    destroy)
{
  FluidJobWorker *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (FLUID_TYPE_JOB_WORKER, NULL);
  self->async_func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  return self;
}

/**
 * fluid_job_worker_submit:
 * @self: a #FluidJobWorker
 * @input: (nullable): the input of the job, copied; %NULL for none
 * @priority: the priority of the job: the lowest runs first
 *   (%G_PRIORITY_HIGH before %G_PRIORITY_DEFAULT), first come first served
 *   within a priority
 * @cancellable: (nullable): a #GCancellable that cancels the job (see
 *   fluid_job_cancel())
 *
 * Submits a job. It never blocks nor refuses: it may go past
 * #FluidQueueConsumer:max-queue-size (see fluid_job_worker_try_submit()).
 * A job submitted once a stop of the worker was asked for, or to a worker
 * that stopped, is returned ended: %FLUID_JOB_STATE_CANCELLED, with
 * %FLUID_WORKER_ERROR_STOPPED. Jobs may be submitted before the worker
 * starts: they wait. Thread-safe.
 *
 * Returns: (transfer full): the job
 *
 * Since: 1.2
 */
FluidJob *
fluid_job_worker_submit (FluidJobWorker *self,
                         const GValue   *input,
                         int             priority,
                         GCancellable   *cancellable)
{
  g_return_val_if_fail (FLUID_IS_JOB_WORKER (self), NULL);
  g_return_val_if_fail (input == NULL || G_IS_VALUE (input), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  return fluid_job_worker_queue (self, input, priority, cancellable, FALSE);
}

/**
 * fluid_job_worker_try_submit:
 * @self: a #FluidJobWorker
 * @input: (nullable): the input of the job, copied; %NULL for none
 * @priority: the priority of the job
 * @cancellable: (nullable): a #GCancellable that cancels the job
 *
 * Submits a job unless the queue is full (#FluidQueueConsumer:max-queue-size,
 * senders of fluid_queue_consumer_send_async() waiting before it included):
 * then nothing is taken nor counted. Otherwise as
 * fluid_job_worker_submit(): a worker that stopped returns a cancelled job.
 * Thread-safe.
 *
 * Returns: (transfer full) (nullable): the job, or %NULL when the queue is
 *   full
 *
 * Since: 1.2
 */
FluidJob *
fluid_job_worker_try_submit (FluidJobWorker *self,
                             const GValue   *input,
                             int             priority,
                             GCancellable   *cancellable)
{
  g_return_val_if_fail (FLUID_IS_JOB_WORKER (self), NULL);
  g_return_val_if_fail (input == NULL || G_IS_VALUE (input), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  return fluid_job_worker_queue (self, input, priority, cancellable, TRUE);
}

/**
 * fluid_job_worker_get_jobs:
 * @self: a #FluidJobWorker
 *
 * Gets the jobs queued or running, as a #GListModel of #FluidJob, in the
 * order they run: those running first, in the order they started, then
 * those queued, in the order they will run. It changes on the worker's
 * context (a job submitted from another thread appears soon after); a job
 * leaves it when it ends. Call it on the worker's context.
 *
 * Returns: (transfer none): the jobs queued or running
 *
 * Since: 1.2
 */
GListModel *
fluid_job_worker_get_jobs (FluidJobWorker *self)
{
  g_autoptr(GPtrArray) jobs = NULL;

  g_return_val_if_fail (FLUID_IS_JOB_WORKER (self), NULL);

  if (self->list != NULL)
    return G_LIST_MODEL (self->list);

  /* Made when first asked for: until then, the jobs are not looked at as
   * they arrive. */
  self->list = fluid_job_list_new ();
  fluid_mutex_lock (&self->lock);
  self->listed = TRUE;
  fluid_mutex_unlock (&self->lock);
  jobs = fluid_job_worker_list_jobs (self);
  for (guint i = 0; i < jobs->len; i++)
    {
      FluidJob *job = g_ptr_array_index (jobs, i);

      if (!fluid_job_is_done (job))
        fluid_job_list_add (self->list, job);
    }
  return G_LIST_MODEL (self->list);
}

/**
 * fluid_job_worker_get_n_threads:
 * @self: a #FluidJobWorker
 *
 * Gets #FluidJobWorker:n-threads.
 *
 * Returns: how many threads run the jobs; 0 on the worker's context
 *
 * Since: 1.2
 */
guint
fluid_job_worker_get_n_threads (FluidJobWorker *self)
{
  g_return_val_if_fail (FLUID_IS_JOB_WORKER (self), 0);

  return self->n_threads;
}

/**
 * fluid_job_worker_get_cancelled:
 * @self: a #FluidJobWorker
 *
 * Gets #FluidJobWorker:cancelled. Thread-safe.
 *
 * Returns: the number of jobs that ended cancelled
 *
 * Since: 1.2
 */
guint64
fluid_job_worker_get_cancelled (FluidJobWorker *self)
{
  FluidMessageCounters counters;

  g_return_val_if_fail (FLUID_IS_JOB_WORKER (self), 0);

  fluid_message_queue_read_counters (self->queue, &counters);
  return counters.cancelled;
}

/**
 * fluid_job_worker_get_running:
 * @self: a #FluidJobWorker
 *
 * Gets #FluidJobWorker:running, on the worker's context.
 *
 * Returns: the number of jobs running now
 *
 * Since: 1.2
 */
guint
fluid_job_worker_get_running (FluidJobWorker *self)
{
  g_return_val_if_fail (FLUID_IS_JOB_WORKER (self), 0);

  return self->running;
}
