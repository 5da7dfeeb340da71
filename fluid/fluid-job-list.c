/* fluid-job-list.c: the jobs of a job worker queued or running, as a list
 * model, in the order they run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-job-list-private.h"

/* What fluid_job_worker_get_jobs() returns: the jobs running, in the order
 * they started, then the jobs queued, in the order they will run (the
 * lowest priority first, then the lowest id: the queue's own order, as a
 * job worker numbers its jobs as it queues them). Two sequences, so that
 * a job is found, added, moved and removed in O(log n), and a job that
 * starts from the head of the queue changes nothing of the positions:
 * the end of the running is where the queue begins.
 *
 * Threads. Everything here is on the worker's context, which calls it as
 * it publishes the jobs' changes. A listed job's @row is its iterator, and
 * the list holds a reference on it. */

struct _FluidJobList
{
  GObject    parent_instance;

  GSequence *running;   /* of FluidJob *, by @started */
  GSequence *queued;    /* of FluidJob *, by priority then id */
  guint64    starts;    /* the last @started given */
};

static void fluid_job_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FluidJobList, fluid_job_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, fluid_job_list_model_init))

static int
fluid_job_list_compare_queued (gconstpointer a,
                               gconstpointer b,
                               gpointer      user_data)
{
  const FluidJob *job_a = a, *job_b = b;

  if (job_a->priority != job_b->priority)
    return job_a->priority < job_b->priority ? -1 : 1;
  return job_a->id < job_b->id ? -1 : job_a->id > job_b->id;
}

/* The position of @job in the whole list. */
static guint
fluid_job_list_position (FluidJobList *self,
                         FluidJob     *job)
{
  GSequenceIter *iter = job->row;
  guint position = g_sequence_iter_get_position (iter);

  if (g_sequence_iter_get_sequence (iter) == self->queued)
    position += g_sequence_get_length (self->running);
  return position;
}

static GSequenceIter *
fluid_job_list_insert (FluidJobList *self,
                       FluidJob     *job,
                       gboolean      running)
{
  g_object_ref (job);
  if (running)
    {
      job->started = ++self->starts;
      return g_sequence_append (self->running, job);
    }
  return g_sequence_insert_sorted (self->queued, job, fluid_job_list_compare_queued, NULL);
}

FluidJobList *
fluid_job_list_new (void)
{
  return g_object_new (FLUID_TYPE_JOB_LIST, NULL);
}

void
fluid_job_list_add (FluidJobList *self,
                    FluidJob     *job)
{
  if (job->row != NULL)
    return;
  job->row = fluid_job_list_insert (self, job, fluid_job_get_state (job) == FLUID_JOB_STATE_RUNNING);
  g_list_model_items_changed (G_LIST_MODEL (self), fluid_job_list_position (self, job), 0, 1);
}

void
fluid_job_list_start (FluidJobList *self,
                      FluidJob     *job)
{
  guint from, to;

  if (job->row == NULL)
    {
      fluid_job_list_add (self, job);
      return;
    }
  if (g_sequence_iter_get_sequence (job->row) == self->running)
    return;

  from = fluid_job_list_position (self, job);
  /* Removing it drops the list's reference: held meanwhile. */
  g_object_ref (job);
  g_sequence_remove (job->row);
  job->row = fluid_job_list_insert (self, job, TRUE);
  to = fluid_job_list_position (self, job);
  /* The head of the queue stays where it is. */
  if (from != to)
    g_list_model_items_changed (G_LIST_MODEL (self), to, from - to + 1, from - to + 1);
  g_object_unref (job);
}

void
fluid_job_list_remove (FluidJobList *self,
                       FluidJob     *job)
{
  guint position;

  if (job->row == NULL)
    return;
  position = fluid_job_list_position (self, job);
  g_sequence_remove (g_steal_pointer (&job->row));
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

/* GListModel */

static GType
fluid_job_list_get_item_type (GListModel *model)
{
  return FLUID_TYPE_JOB;
}

static guint
fluid_job_list_get_n_items (GListModel *model)
{
  FluidJobList *self = FLUID_JOB_LIST (model);

  return g_sequence_get_length (self->running) + g_sequence_get_length (self->queued);
}

static gpointer
fluid_job_list_get_item (GListModel *model,
                         guint       position)
{
  FluidJobList *self = FLUID_JOB_LIST (model);
  guint n_running = g_sequence_get_length (self->running);
  GSequenceIter *iter;

  if (position < n_running)
    iter = g_sequence_get_iter_at_pos (self->running, position);
  else
    iter = g_sequence_get_iter_at_pos (self->queued, position - n_running);
  if (g_sequence_iter_is_end (iter))
    return NULL;
  return g_object_ref (g_sequence_get (iter));
}

static void
fluid_job_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = fluid_job_list_get_item_type;
  iface->get_n_items = fluid_job_list_get_n_items;
  iface->get_item = fluid_job_list_get_item;
}

/* GObject */

static void
fluid_job_list_forget (gpointer data)
{
  FluidJob *job = data;

  job->row = NULL;
  g_object_unref (job);
}

static void
fluid_job_list_finalize (GObject *object)
{
  FluidJobList *self = FLUID_JOB_LIST (object);

  g_sequence_free (self->running);
  g_sequence_free (self->queued);

  G_OBJECT_CLASS (fluid_job_list_parent_class)->finalize (object);
}

static void
fluid_job_list_class_init (FluidJobListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fluid_job_list_finalize;
}

static void
fluid_job_list_init (FluidJobList *self)
{
  self->running = g_sequence_new (fluid_job_list_forget);
  self->queued = g_sequence_new (fluid_job_list_forget);
}
