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
 * FluidRestartStrategy:
 * @FLUID_RESTART_STRATEGY_STOP_ALL: a child that stops stops the group, as
 *   in aio-fluid and 1.0; nothing is replaced
 * @FLUID_RESTART_STRATEGY_ONE_FOR_ONE: the child that stopped is replaced;
 *   the others go on (OTP's `one_for_one`)
 * @FLUID_RESTART_STRATEGY_ONE_FOR_ALL: the other children are stopped, then
 *   every child is replaced (OTP's `one_for_all`)
 * @FLUID_RESTART_STRATEGY_REST_FOR_ONE: the children added after the one
 *   that stopped are stopped, then it and they are replaced (OTP's
 *   `rest_for_one`)
 *
 * What a #FluidWorkers group does when a child stops while it runs.
 *
 * Since: 1.2
 */
typedef enum
{
  FLUID_RESTART_STRATEGY_STOP_ALL,
  FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
  FLUID_RESTART_STRATEGY_ONE_FOR_ALL,
  FLUID_RESTART_STRATEGY_REST_FOR_ONE,
} FluidRestartStrategy;

/**
 * FluidRestart:
 * @FLUID_RESTART_PERMANENT: always replaced
 * @FLUID_RESTART_TRANSIENT: replaced unless it ended with
 *   %FLUID_EXIT_CODE_NORMAL (a watchdog's stop is never normal)
 * @FLUID_RESTART_TEMPORARY: never replaced; it leaves the group when it
 *   stops, under a restart strategy
 *
 * When a child of a #FluidWorkers group is replaced, under a restart
 * strategy, as OTP's restart types. A worker added with
 * fluid_workers_add_worker() is %FLUID_RESTART_TEMPORARY.
 *
 * Since: 1.2
 */
typedef enum
{
  FLUID_RESTART_PERMANENT,
  FLUID_RESTART_TRANSIENT,
  FLUID_RESTART_TEMPORARY,
} FluidRestart;

/**
 * FLUID_TYPE_RESTART_STRATEGY:
 *
 * The #GType of #FluidRestartStrategy.
 *
 * Since: 1.2
 */
#define FLUID_TYPE_RESTART_STRATEGY (fluid_restart_strategy_get_type ())
FLUID_AVAILABLE_IN_1_2
GType fluid_restart_strategy_get_type (void) G_GNUC_CONST;

/**
 * FLUID_TYPE_RESTART:
 *
 * The #GType of #FluidRestart.
 *
 * Since: 1.2
 */
#define FLUID_TYPE_RESTART (fluid_restart_get_type ())
FLUID_AVAILABLE_IN_1_2
GType fluid_restart_get_type (void) G_GNUC_CONST;

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
 * FluidWorkerFactory:
 * @group: the group that needs the worker
 * @user_data: the data given with the factory
 *
 * Makes a child of @group: once when it is added with
 * fluid_workers_add_child(), then for each replacement. Called on the
 * group's context.
 *
 * Returns: (transfer full) (nullable): a new worker, in state
 *   %FLUID_WORKER_STATE_INIT; %NULL fails this replacement, which is tried
 *   again
 *
 * Since: 1.2
 */
typedef FluidWorker *(* FluidWorkerFactory) (FluidWorkers *group,
                                             gpointer      user_data);

/**
 * FluidWorkersClass:
 * @parent_class: the parent class
 * @wait_for_workers_async: shuts the children down once the group stops and
 *   completes when every child the group started has stopped. The default
 *   shuts every child down at once, each forced after its own grace period;
 *   override it to impose an order.
 * @wait_for_workers_finish: finishes @wait_for_workers_async
 * @child_restarted: class handler of #FluidWorkers::child-restarted
 *   (Since: 1.2)
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

  void      (* child_restarted)         (FluidWorkers         *self,
                                         FluidWorker          *old_child,
                                         FluidWorker          *new_child);

  /*< private >*/
  gpointer padding[11];
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

FLUID_AVAILABLE_IN_1_2
void                 fluid_workers_add_child               (FluidWorkers         *self,
                                                            FluidRestart          restart,
                                                            FluidWorkerFactory    factory,
                                                            gpointer              user_data,
                                                            GDestroyNotify        destroy);

FLUID_AVAILABLE_IN_1_2
FluidRestartStrategy fluid_workers_get_restart_strategy    (FluidWorkers         *self);
FLUID_AVAILABLE_IN_1_2
void                 fluid_workers_set_restart_strategy    (FluidWorkers         *self,
                                                            FluidRestartStrategy  value);
FLUID_AVAILABLE_IN_1_2
guint                fluid_workers_get_max_restarts        (FluidWorkers         *self);
FLUID_AVAILABLE_IN_1_2
void                 fluid_workers_set_max_restarts        (FluidWorkers         *self,
                                                            guint                 value);
FLUID_AVAILABLE_IN_1_2
double               fluid_workers_get_max_restarts_period (FluidWorkers         *self);
FLUID_AVAILABLE_IN_1_2
void                 fluid_workers_set_max_restarts_period (FluidWorkers         *self,
                                                            double                value);
FLUID_AVAILABLE_IN_1_2
double               fluid_workers_get_restart_delay       (FluidWorkers         *self);
FLUID_AVAILABLE_IN_1_2
void                 fluid_workers_set_restart_delay       (FluidWorkers         *self,
                                                            double                value);
FLUID_AVAILABLE_IN_1_2
double               fluid_workers_get_restart_delay_max   (FluidWorkers         *self);
FLUID_AVAILABLE_IN_1_2
void                 fluid_workers_set_restart_delay_max   (FluidWorkers         *self,
                                                            double                value);
FLUID_AVAILABLE_IN_1_2
guint                fluid_workers_get_child_restarts      (FluidWorkers         *self,
                                                            guint                 position);

G_END_DECLS
