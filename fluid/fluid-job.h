/* fluid-job.h: one piece of work submitted to a job worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <gio/gio.h>
#include <fluid/fluid-version.h>

G_BEGIN_DECLS

/**
 * FluidJobState:
 * @FLUID_JOB_STATE_QUEUED: waiting in its worker's queue
 * @FLUID_JOB_STATE_RUNNING: its function runs
 * @FLUID_JOB_STATE_SUCCEEDED: its function succeeded; the output, if any,
 *   is fluid_job_get_output()
 * @FLUID_JOB_STATE_FAILED: its function failed with fluid_job_get_error()
 * @FLUID_JOB_STATE_CANCELLED: it was cancelled (%G_IO_ERROR_CANCELLED), or
 *   its worker stopped before it ended (%FLUID_WORKER_ERROR_STOPPED)
 *
 * The states of a #FluidJob. A job goes from QUEUED to one of the three
 * final states, through RUNNING unless it never ran, and changes once to
 * each.
 *
 * Since: 1.2
 */
typedef enum
{
  FLUID_JOB_STATE_QUEUED,
  FLUID_JOB_STATE_RUNNING,
  FLUID_JOB_STATE_SUCCEEDED,
  FLUID_JOB_STATE_FAILED,
  FLUID_JOB_STATE_CANCELLED,
} FluidJobState;

/**
 * FLUID_TYPE_JOB_STATE:
 *
 * The #GType of #FluidJobState.
 *
 * Since: 1.2
 */
#define FLUID_TYPE_JOB_STATE (fluid_job_state_get_type ())
FLUID_AVAILABLE_IN_1_2
GType fluid_job_state_get_type (void) G_GNUC_CONST;

/**
 * FLUID_TYPE_JOB:
 *
 * The #GType of #FluidJob.
 *
 * Since: 1.2
 */
#define FLUID_TYPE_JOB (fluid_job_get_type ())

/**
 * FluidJob:
 *
 * A piece of work submitted to a #FluidJobWorker: its input, its output or
 * its error, its state, priority and progress; its fields are private.
 *
 * Since: 1.2
 */
FLUID_AVAILABLE_IN_1_2
G_DECLARE_FINAL_TYPE (FluidJob, fluid_job, FLUID, JOB, GObject)

FLUID_AVAILABLE_IN_1_2
const GValue  *fluid_job_get_input         (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
void           fluid_job_set_output        (FluidJob             *job,
                                            const GValue         *output);
FLUID_AVAILABLE_IN_1_2
const GValue  *fluid_job_get_output        (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
const GError  *fluid_job_get_error         (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
FluidJobState  fluid_job_get_state         (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
guint64        fluid_job_get_id            (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
GCancellable  *fluid_job_get_cancellable   (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
int            fluid_job_get_priority      (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
double         fluid_job_get_progress      (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
const char    *fluid_job_get_progress_text (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
void           fluid_job_report_progress   (FluidJob             *job,
                                            double                fraction,
                                            const char           *text);
FLUID_AVAILABLE_IN_1_2
void           fluid_job_cancel            (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
gboolean       fluid_job_is_done           (FluidJob             *job);
FLUID_AVAILABLE_IN_1_2
void           fluid_job_wait_async        (FluidJob             *job,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
FLUID_AVAILABLE_IN_1_2
gboolean       fluid_job_wait_finish       (FluidJob             *job,
                                            GAsyncResult         *result,
                                            GValue               *output,
                                            GError              **error);

G_END_DECLS
