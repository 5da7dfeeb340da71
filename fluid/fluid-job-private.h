/* fluid-job-private.h: what a job worker and its list ask of a job
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-job.h"
#include "fluid-message-private.h"

G_BEGIN_DECLS

typedef struct _FluidJobWorker FluidJobWorker;

/* Where a job is, as decided under its lock, on any thread; what its
 * `state` says is published after, on the worker's context. */
typedef enum
{
  FLUID_JOB_PHASE_QUEUED,    /* in the queue, or taken by a driver and not begun */
  FLUID_JOB_PHASE_RUNNING,   /* its function runs */
  FLUID_JOB_PHASE_DONE,      /* its end is decided: published, or about to be */
} FluidJobPhase;

/* What a job has only once it runs, is waited for or was given a
 * cancellable: a job waiting in a queue costs none of it. Under the
 * job's lock. */
typedef struct
{
  GValue         output;              /* unset until fluid_job_set_output() */
  GError        *error;               /* once FAILED or CANCELLED */
  GCancellable  *cancellable;         /* made when first asked for */
  GCancellable  *submit_cancellable;  /* the one given to submit, while connected */
  gulong         submit_handler;
  GSList        *waiters;             /* of GTask, the newest first */
  double         report;              /* the last report not yet published */
  char          *report_text;
  guint          reported : 1;        /* @report waits to be published */
  FluidJobState  end;                 /* once DONE */
} FluidJobExtra;

struct _FluidJob
{
  GObject           parent_instance;

  /* Set before anyone else sees the job, then constant. */
  FluidJobWorker   *worker;       /* not a reference: the job ends before its worker is disposed */
  GValue            input;
  guint64           id;
  int               priority;

  /* Under @lock, bit 0 of itself (g_bit_lock()). */
  int               lock;
  FluidJobPhase     phase;
  FluidMessage     *message;      /* while QUEUED and in the queue: its message, for a removal */
  FluidJobExtra    *extra;
  guint             began : 1;     /* its function was called */
  guint             finished : 1;  /* its end was published and its waiters taken */

  /* Published on the worker's context: what the properties say. @state
   * is atomic, for fluid_job_is_done() from any thread. */
  int               state;
  double            progress;
  char             *progress_text;
  gint64            progress_time;   /* of the last notification of progress */

  /* The worker's: under its lock. */
  FluidJob         *prev;         /* in the jobs not ended */
  FluidJob         *next;
  FluidJob         *next_event;   /* in the jobs it has to look at */
  gboolean          in_events;
  gboolean          in_reports;   /* the worker's, on its context: a report waits for its time */

  /* The worker's list model's, on the context. */
  gpointer          row;          /* its GSequenceIter while listed */
  guint64           started;      /* when it was published RUNNING: an order */
};

void           fluid_job_lock          (FluidJob        *job);
void           fluid_job_unlock        (FluidJob        *job);

/* A new job of @worker, QUEUED, with a copy of @input (NULL: none). */
FluidJob      *fluid_job_new           (FluidJobWorker  *worker,
                                        const GValue    *input,
                                        int              priority);

/* The function may run: RUNNING, and the cancellable to hand it (a
 * reference); NULL when the job was decided meanwhile (cancelled while it
 * waited in a driver's hands): it must not run. Any thread. */
GCancellable  *fluid_job_begin         (FluidJob        *job);
/* The function returned @succeeded, with @error (taken) when not: the job
 * is DONE, with the end it says; FALSE when it was decided meanwhile (a
 * forced stop abandoned it), and the return is dropped. Any thread. */
gboolean       fluid_job_return        (FluidJob        *job,
                                        gboolean         succeeded,
                                        GError          *error);
/* Decides that the job ends CANCELLED with @error (copied) unless its end
 * is decided already; a RUNNING job is abandoned (its late return is
 * dropped) only when @abandon is set; either way a running job's
 * cancellable is cancelled. Takes its message out of the worker's queue
 * when it is still there. With @publisher, a job it decided is the
 * caller's to publish when it runs on the worker's context (*@publisher
 * is then its worker), else the worker is told to look at it. Returns
 * whether it decided. Any thread; takes the queue's lock, and the
 * worker's, under the job's. */
gboolean       fluid_job_decide_cancel (FluidJob        *job,
                                        const GError    *error,
                                        gboolean         abandon,
                                        FluidJobWorker **publisher);

/* What was decided of a job and not yet published: that it began, a
 * report of progress, its end. */
typedef struct
{
  gboolean      start;
  gboolean      report;
  gboolean      end;
  FluidJobState end_state;
} FluidJobNews;

/* Reads the news under the lock. The worker publishes them, on its
 * context, in order: the start (fluid_job_publish_state (RUNNING)), the
 * report (fluid_job_publish_report()), the end (the state, then
 * fluid_job_complete_waiters()). */
void           fluid_job_read_news         (FluidJob        *job,
                                            FluidJobNews    *news);
void           fluid_job_publish_state     (FluidJob        *job,
                                            FluidJobState    state);
void           fluid_job_publish_report    (FluidJob        *job);
void           fluid_job_complete_waiters  (FluidJob        *job);

/* The worker's half (fluid-job-worker.c), called by the job: publishing
 * its news now, on the worker's context; having the worker publish them
 * from its context, from any thread. */
void           fluid_job_worker_publish    (FluidJobWorker  *worker,
                                            FluidJob        *job);
void           fluid_job_worker_look_at    (FluidJobWorker  *worker,
                                            FluidJob        *job);

/* The error a job ends with when its worker stopped first. */
GError        *fluid_job_stopped_error (FluidJobWorker  *worker);

G_END_DECLS
