/* fluid-supervisor-private.h: a group and its supervisor, to each other
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-workers.h"
#include "fluid-worker-private.h"

G_BEGIN_DECLS

typedef struct _FluidSupervisor FluidSupervisor;

/* What is known of a position beyond its child: how it is named, and
 * how its child is made again and the past of its children. Made by
 * fluid_workers_add_child(), or for a worker added as it is when first
 * needed (fluid_child_slot_get_spec()), so that groups of plain workers
 * spend nothing on it. @name and @key are the group's, the rest the
 * supervisor's. */
typedef struct
{
  /* The first child's name, which names the position whatever its
   * replacements are called; NULL: the child's own. */
  char               *name;
  char               *key;              /* see fluid_workers_get_child_key(); NULL until asked */

  FluidRestart        restart;
  FluidWorkerFactory  factory;          /* NULL for a worker added as it is */
  gpointer            user_data;
  GDestroyNotify      destroy;
  guint               restarts;         /* replacements made */
  guint               consecutive;      /* replacements since it last ran for a whole period */
  gint64              started_at;       /* when the current child was made, monotonic */
  GSource            *pending;          /* a replacement waiting for its time */
  /* Stopped by the group for a restart of several children: not a stop
   * of its own. */
  guint               awaiting_stop : 1;
  /* Part of the restart of several children under way. */
  guint               in_batch : 1;
  /* Its factory is running. */
  guint               making : 1;
} FluidChildSpec;

/* A position of the group's list model: its child now, and what the group
 * knows of the position across replacements. The group's table finds a
 * child's slot in constant time (fluid_workers_find_slot()), and the slot
 * says where it is. Refcounted, not atomically: whoever runs code that
 * may change the group (a factory, a signal) holds a reference, and sees
 * @in_group FALSE once the slot left. */
typedef struct
{
  FluidWorker    *child;           /* a reference */
  FluidChildSpec *spec;            /* NULL until needed; freed when it leaves */
  guint           position;        /* in the list model, kept by the group */
  guint           ref_count : 29;
  guint           in_group : 1;
  /* The group follows its child's stop: adopted, not stopped before. */
  guint           watched : 1;
} FluidChildSlot;

/* The group, to its supervisor. Every call is made on the group's
 * context, and returns after the group emitted what it changed
 * (items-changed, child-restarted), whose handlers may change the group
 * in turn. */
FluidSupervisor *fluid_workers_get_supervisor   (FluidWorkers   *self);
FluidChildSlot  *fluid_workers_get_slot         (FluidWorkers   *self,
                                                 guint           position);
FluidChildSlot  *fluid_workers_find_slot        (FluidWorkers   *self,
                                                 FluidWorker    *child);
/* fluid_workers_add_worker(), @spec taken. */
void             fluid_workers_add_with_spec    (FluidWorkers   *self,
                                                 FluidWorker    *worker,
                                                 FluidChildSpec *spec);
void             fluid_workers_remove_slot      (FluidWorkers   *self,
                                                 FluidChildSlot *slot);
void             fluid_workers_replace_child    (FluidWorkers   *self,
                                                 FluidChildSlot *slot,
                                                 FluidWorker    *child);
gboolean         fluid_workers_is_below         (FluidWorkers   *group,
                                                 FluidWorkers   *ancestor);

/* The status key of @slot's child (see fluid_workers_get_child_key()). */
const char      *fluid_workers_get_slot_key     (FluidWorkers   *self,
                                                 FluidChildSlot *slot);
FluidChildSlot  *fluid_child_slot_ref           (FluidChildSlot *slot);
void             fluid_child_slot_unref         (FluidChildSlot *slot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidChildSlot, fluid_child_slot_unref)

/* The supervisor, to its group. */
FluidSupervisor *fluid_supervisor_new           (FluidWorkers    *group);
void             fluid_supervisor_free          (FluidSupervisor *self);
/* Whether the group is under a restart strategy: a child's stop is then
 * the supervisor's, not a stop of the group. */
gboolean         fluid_supervisor_replaces      (FluidSupervisor *self);
/* @slot's child stopped while the group runs under a restart strategy. */
void             fluid_supervisor_child_stopped (FluidSupervisor *self,
                                                 FluidChildSlot  *slot);
/* The group stops: nothing is replaced from now on. */
void             fluid_supervisor_stop          (FluidSupervisor *self);
/* The restart settings: the group's properties, from @first_id on. */
void             fluid_supervisor_install_properties (GObjectClass  *klass,
                                                      guint          first_id);
/* FALSE: not one of them. */
gboolean         fluid_supervisor_get_property  (FluidSupervisor *self,
                                                 guint            prop_id,
                                                 GValue          *value);
gboolean         fluid_supervisor_set_property  (FluidWorkers    *group,
                                                 guint            prop_id,
                                                 const GValue    *value);
/* Why the group gave up, or NULL. */
const GError    *fluid_supervisor_get_error     (FluidSupervisor *self);

FluidChildSpec  *fluid_child_spec_new           (FluidRestart        restart,
                                                 FluidWorkerFactory  factory,
                                                 gpointer            user_data,
                                                 GDestroyNotify      destroy,
                                                 const char         *name);
void             fluid_child_spec_free          (FluidChildSpec     *spec);

/* The spec of @slot; for a worker added as it is, a temporary one made
 * now. */
static inline FluidChildSpec *
fluid_child_slot_get_spec (FluidChildSlot *slot)
{
  if (slot->spec == NULL)
    slot->spec = fluid_child_spec_new (FLUID_RESTART_TEMPORARY, NULL, NULL, NULL, NULL);
  return slot->spec;
}

/* For the tests: the intensity's window, with the time given, and the
 * delay of @spec's next replacement, in microseconds. */
gboolean         fluid_supervisor_count_restart (FluidSupervisor *self,
                                                 gint64           now);
gint64           fluid_supervisor_delay_for     (FluidSupervisor *self,
                                                 FluidChildSpec  *spec);

G_END_DECLS
