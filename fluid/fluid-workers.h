/* fluid-workers.h: a supervised group of workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <fluid/fluid-worker.h>

G_BEGIN_DECLS

/**
 * FLUID_TYPE_WORKERS:
 *
 * The #GType of #FluidWorkers.
 *
 * Since: 1.0
 */
#define FLUID_TYPE_WORKERS (fluid_workers_get_type ())

/**
 * FluidWorkers:
 *
 * A worker that supervises a group of child workers; its fields are private.
 *
 * Since: 1.0
 */
FLUID_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (FluidWorkers, fluid_workers, FLUID, WORKERS, FluidWorker)

/**
 * FluidWorkersClass:
 * @parent_class: the parent class
 * @wait_for_workers_async: shuts the children down once the group stops and
 *   completes when every child the group started has stopped. The default
 *   shuts every child down at once, each forced after its own grace period;
 *   override it to impose an order.
 * @wait_for_workers_finish: finishes @wait_for_workers_async
 *
 * The class structure of #FluidWorkers.
 *
 * Since: 1.0
 */
struct _FluidWorkersClass
{
  FluidWorkerClass parent_class;

  void      (* wait_for_workers_async)  (FluidWorkers         *self,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
  gboolean  (* wait_for_workers_finish) (FluidWorkers         *self,
                                         GAsyncResult         *result,
                                         GError              **error);

  /*< private >*/
  gpointer padding[12];
};

FLUID_AVAILABLE_IN_1_0
FluidWorkers *fluid_workers_new              (void) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
FluidWorkers *fluid_workers_new_with_workers (FluidWorker           *first_worker,
                                              ...) G_GNUC_NULL_TERMINATED G_GNUC_WARN_UNUSED_RESULT;

FLUID_AVAILABLE_IN_1_0
void          fluid_workers_add_worker       (FluidWorkers          *self,
                                              FluidWorker           *worker);
FLUID_AVAILABLE_IN_1_0
void          fluid_workers_add_workers      (FluidWorkers          *self,
                                              FluidWorker          **workers,
                                              guint                  n_workers);

G_END_DECLS
