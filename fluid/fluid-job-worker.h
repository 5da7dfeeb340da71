/* fluid-job-worker.h: a queue consumer whose messages are jobs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <fluid/fluid-queue-consumer.h>
#include <fluid/fluid-job.h>

G_BEGIN_DECLS

/**
 * FLUID_TYPE_JOB_WORKER:
 *
 * The #GType of #FluidJobWorker.
 *
 * Since: 1.2
 */
#define FLUID_TYPE_JOB_WORKER (fluid_job_worker_get_type ())

/**
 * FluidJobWorker:
 *
 * A queue consumer whose messages are jobs: work with a priority, a
 * result, progress and cancellation; its fields are private.
 *
 * Since: 1.2
 */
FLUID_AVAILABLE_IN_1_2
G_DECLARE_FINAL_TYPE (FluidJobWorker, fluid_job_worker, FLUID, JOB_WORKER, FluidQueueConsumer)

/**
 * FluidJobFunc:
 * @job: the job to run
 * @cancellable: the job's cancellable (fluid_job_get_cancellable())
 * @user_data: the data given with the function
 * @error: return location for the error of a job that fails
 *
 * The function a #FluidJobWorker runs each job with: on the worker's
 * context when it has no thread, else on one of its threads, where it may
 * block. It reads fluid_job_get_input(), may report its progress with
 * fluid_job_report_progress(), and returns %TRUE after
 * fluid_job_set_output() (or without: no output) to succeed, or %FALSE
 * with @error set to fail; %G_IO_ERROR_CANCELLED ends the job cancelled.
 *
 * Returns: %TRUE if the job succeeded
 *
 * Since: 1.2
 */
typedef gboolean (* FluidJobFunc) (FluidJob      *job,
                                   GCancellable  *cancellable,
                                   gpointer       user_data,
                                   GError       **error);

/**
 * FluidAsyncJobFunc:
 * @job: the job to run
 * @cancellable: the job's cancellable (fluid_job_get_cancellable())
 * @task: the task to complete, now or later, with g_task_return_boolean()
 *   (%TRUE) or g_task_return_error(); take a reference to complete it
 *   later
 * @user_data: the data given with the function
 *
 * The asynchronous function of a worker made with
 * fluid_job_worker_new_async(), called on the worker's context for each
 * job, one job at a time: the next waits for @task. As a #FluidJobFunc,
 * it sets the output with fluid_job_set_output() before it completes
 * @task with %TRUE. This is how a coroutine of a binding runs a job.
 *
 * Since: 1.2
 */
typedef void (* FluidAsyncJobFunc) (FluidJob     *job,
                                    GCancellable *cancellable,
                                    GTask        *task,
                                    gpointer      user_data);

FLUID_AVAILABLE_IN_1_2
FluidJobWorker *fluid_job_worker_new         (guint               n_threads,
                                              FluidJobFunc        func,
                                              gpointer            user_data,
                                              GDestroyNotify      destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
FluidJobWorker *fluid_job_worker_new_async   (FluidAsyncJobFunc   func,
                                              gpointer            user_data,
                                              GDestroyNotify      destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
FluidJob       *fluid_job_worker_submit      (FluidJobWorker     *self,
                                              const GValue       *input,
                                              int                 priority,
                                              GCancellable       *cancellable);
FLUID_AVAILABLE_IN_1_2
FluidJob       *fluid_job_worker_try_submit  (FluidJobWorker     *self,
                                              const GValue       *input,
                                              int                 priority,
                                              GCancellable       *cancellable);
FLUID_AVAILABLE_IN_1_2
GListModel     *fluid_job_worker_get_jobs    (FluidJobWorker     *self);
FLUID_AVAILABLE_IN_1_2
guint           fluid_job_worker_get_n_threads (FluidJobWorker   *self);
FLUID_AVAILABLE_IN_1_2
guint64         fluid_job_worker_get_cancelled (FluidJobWorker   *self);
FLUID_AVAILABLE_IN_1_2
guint           fluid_job_worker_get_running (FluidJobWorker     *self);

G_END_DECLS
