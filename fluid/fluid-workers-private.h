/* fluid-workers-private.h: what a group and its supervisor share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-workers.h"
#include "fluid-worker-private.h"

G_BEGIN_DECLS

enum
{
  PROP_0,
  PROP_ITEM_TYPE,
  PROP_N_ITEMS,
  PROP_RESTART_STRATEGY,
  PROP_MAX_RESTARTS,
  PROP_MAX_RESTARTS_PERIOD,
  PROP_RESTART_DELAY,
  PROP_RESTART_DELAY_MAX,
  N_PROPS
};

/* What a child of a group is made from, and what its group knows of its
 * past: one per position of the list model, kept across replacements. */
typedef struct
{
  FluidWorkers       *group;            /* not a reference: the group owns the spec */
  FluidRestart        restart;
  FluidWorkerFactory  factory;          /* NULL for fluid_workers_add_worker() */
  gpointer            user_data;
  GDestroyNotify      destroy;
  /* The first child's name: the status key of every replacement. */
  char               *name;
  guint               restarts;         /* replacements made */
  guint               consecutive;      /* replacements since it last ran for a whole period */
  gint64              started_at;       /* when the current child was adopted, monotonic */
  GSource            *pending;          /* a replacement waiting for its delay */
  /* Stopped by the group for a restart of several children: not a stop
   * of its own. */
  guint               awaiting_stop : 1;
  /* Part of the restart of several children under way. */
  guint               in_batch : 1;
} FluidChildSpec;

/* Threads: every field belongs to the group's context (the thread that
 * iterates it), or to the thread that owns the group before it runs. */
typedef struct
{
  /* The children, in the order they were added, the spec of each at the
   * same position (see fluid_workers_spec_at(); NULL until a child has
   * one), and the children as a set, for membership in constant time:
   * child → TRUE once the group watches it, else FALSE. */
  GPtrArray    *children;
  GPtrArray    *specs;
  GHashTable   *members;
  /* The groups this group is a child of (not references: each holds one
   * on this group, and forgets itself here when finalized). */
  GPtrArray    *parents;

  GTask        *run_task;
  GTask        *wait_task;
  gulong        cancelled_id;

  /* The group's observer of its own state, and the one its children
   * share. */
  FluidObserver *own_observer;
  FluidObserver *children_observer;

  /* Children watched that have not stopped yet. */
  guint         n_live;

  /* Supervision (fluid-supervisor.c). */
  FluidRestartStrategy strategy;
  guint         max_restarts;
  double        max_restarts_period;
  double        restart_delay;
  double        restart_delay_max;
  /* The monotonic times of the replacements of the last period, oldest
   * first. */
  GArray       *restart_times;
  /* Children stopped by the group for a restart of several, not stopped
   * yet; and the children that stopped on their own meanwhile, handled
   * once that restart is done. */
  guint         batch_left;
  GPtrArray    *deferred_stops;
  /* Why the group gave up, returned by its run. */
  GError       *give_up_error;

  /* Set when run begins: children are started and watched from then on. */
  guint         supervising : 1;
  /* Set when wait_for_workers has been called. */
  guint         waiting : 1;
  /* Set when a child's stop stopped the group: its stop reason names it. */
  guint         stopped_for_child : 1;
} FluidWorkersPrivate;

FluidWorkersPrivate *fluid_workers_get_priv         (FluidWorkers   *self);

/* The spec at @position, NULL for a worker added as it is. */
static inline FluidChildSpec *
fluid_workers_spec_at (FluidWorkersPrivate *priv,
                       guint                position)
{
  return priv->specs != NULL ? g_ptr_array_index (priv->specs, position) : NULL;
}

void                 fluid_workers_set_spec         (FluidWorkers   *self,
                                                     guint           position,
                                                     FluidChildSpec *spec);
void                 fluid_workers_adopt            (FluidWorkers   *self,
                                                     guint           position);
void                 fluid_workers_remove_at        (FluidWorkers   *self,
                                                     guint           position);
void                 fluid_workers_replace_at       (FluidWorkers   *self,
                                                     guint           position,
                                                     FluidWorker    *child);
void                 fluid_workers_check_wait       (FluidWorkers   *self);
void                 fluid_workers_notify           (FluidWorkers   *self,
                                                     guint           prop_id);
void                 fluid_workers_emit_child_restarted (FluidWorkers *self,
                                                         FluidWorker  *old_child,
                                                         FluidWorker  *new_child);

FluidChildSpec      *fluid_child_spec_new           (FluidWorkers       *group,
                                                     FluidRestart        restart,
                                                     FluidWorkerFactory  factory,
                                                     gpointer            user_data,
                                                     GDestroyNotify      destroy,
                                                     const char         *name);
void                 fluid_child_spec_free          (FluidChildSpec     *spec);

void                 fluid_supervisor_child_stopped (FluidWorkers   *self,
                                                     FluidWorker    *child);
void                 fluid_supervisor_stop          (FluidWorkers   *self);
gint64               fluid_supervisor_delay_for     (FluidWorkers   *self,
                                                     FluidChildSpec *spec);
gboolean             fluid_supervisor_count_restart (FluidWorkers   *self,
                                                     gint64          now);

G_END_DECLS
