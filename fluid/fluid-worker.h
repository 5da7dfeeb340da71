/* fluid-worker.h: the abstract worker and its lifecycle
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
 * FluidWorkerState:
 * @FLUID_WORKER_STATE_INIT: the worker has been created and not started
 * @FLUID_WORKER_STATE_RUNNING: the worker has started and runs
 * @FLUID_WORKER_STATE_STOPPING: a graceful stop was requested; `run` should
 *   return at its next safe point
 * @FLUID_WORKER_STATE_STOPPED: `run` returned, normally or with an error
 * @FLUID_WORKER_STATE_FORCE_STOPPED: the worker did not stop within its grace
 *   period and was cancelled
 *
 * The lifecycle state of a #FluidWorker. A worker goes from INIT to RUNNING
 * on startup, from RUNNING to STOPPING on a graceful stop request, and ends
 * STOPPED or FORCE_STOPPED.
 *
 * Since: 1.0
 */
typedef enum
{
  FLUID_WORKER_STATE_INIT,
  FLUID_WORKER_STATE_RUNNING,
  FLUID_WORKER_STATE_STOPPING,
  FLUID_WORKER_STATE_STOPPED,
  FLUID_WORKER_STATE_FORCE_STOPPED,
} FluidWorkerState;

/**
 * FLUID_WORKER_ERROR:
 *
 * The #GError domain of worker errors; codes are #FluidWorkerError.
 *
 * Since: 1.0
 */
#define FLUID_WORKER_ERROR (fluid_worker_error_quark ())

/**
 * FluidWorkerError:
 * @FLUID_WORKER_ERROR_ALREADY_STARTED: startup of a worker that has already
 *   started
 * @FLUID_WORKER_ERROR_FAILED: a generic failure of a worker
 * @FLUID_WORKER_ERROR_RESTART_LIMIT: a #FluidWorkers group gave up: its
 *   children needed more than #FluidWorkers:max-restarts replacements
 *   within #FluidWorkers:max-restarts-period (Since: 1.2)
 * @FLUID_WORKER_ERROR_STOPPED: the consumer stopped before it took the
 *   message of fluid_queue_consumer_send_async() (Since: 1.2)
 *
 * Error codes of the %FLUID_WORKER_ERROR domain.
 *
 * Since: 1.0
 */
typedef enum
{
  FLUID_WORKER_ERROR_ALREADY_STARTED,
  FLUID_WORKER_ERROR_FAILED,
  FLUID_WORKER_ERROR_RESTART_LIMIT,
  FLUID_WORKER_ERROR_STOPPED,
} FluidWorkerError;

FLUID_AVAILABLE_IN_1_0
GQuark fluid_worker_error_quark (void);

/**
 * FLUID_EXIT_CODE_NORMAL:
 *
 * The exit code of #FluidWorker::stopped after a normal shutdown.
 *
 * Since: 1.0
 */
#define FLUID_EXIT_CODE_NORMAL 0

/**
 * FLUID_EXIT_CODE_FORCED:
 *
 * The exit code of #FluidWorker::stopped after a forced shutdown.
 *
 * Since: 1.0
 */
#define FLUID_EXIT_CODE_FORCED 1

/**
 * FLUID_EXIT_CODE_ERROR:
 *
 * The exit code of #FluidWorker::stopped when the worker failed.
 *
 * Since: 1.0
 */
#define FLUID_EXIT_CODE_ERROR 2

/**
 * FLUID_TYPE_WORKER:
 *
 * The #GType of #FluidWorker.
 *
 * Since: 1.0
 */
#define FLUID_TYPE_WORKER (fluid_worker_get_type ())

FLUID_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (FluidWorker, fluid_worker, FLUID, WORKER, GObject)

/**
 * FluidMetrics:
 *
 * The exposition being written by fluid_worker_collect_metrics(), handed
 * to the `add_metrics` virtual method of each worker of the tree; valid
 * only during that call. Its fields are private.
 *
 * Since: 1.2
 */
typedef struct _FluidMetrics FluidMetrics;

/**
 * FluidWorkerClass:
 * @parent_class: the parent class
 * @run_async: the body of the worker, abstract. It should loop while
 *   fluid_worker_is_running() and complete when it returns; @cancellable is
 *   the worker's own, cancelled on a forced stop.
 * @run_finish: finishes @run_async
 * @on_startup_async: called before `run`; the default does nothing
 * @on_startup_finish: finishes @on_startup_async
 * @on_shutdown_async: called after `run` returned normally; the default does
 *   nothing
 * @on_shutdown_finish: finishes @on_shutdown_async
 * @after_shutdown: class handler of #FluidWorker::stopped; the default does
 *   nothing
 * @gracefully_stop: requests a graceful stop; the default moves a running
 *   worker to %FLUID_WORKER_STATE_STOPPING. Always called on the worker's
 *   context.
 * @status_async: collects the status of the worker as a `a{sv}` #GVariant;
 *   subclasses chain up and add keys
 * @status_finish: finishes @status_async
 * @get_num_workers: the number of workers this worker stands for; 1 by default
 * @begin_run: %NULL by default. A subclass that implements it runs its body
 *   without a task: `run` begins with a call to it instead of @run_async,
 *   and ends when the subclass calls fluid_worker_complete_run() or
 *   fluid_worker_fail_run(), once.
 *   It is how a binding runs a body that its own event loop drives (a
 *   Python coroutine in an asyncio task), at the cost of nothing but that
 *   body while it runs. On the worker's context. Since: 1.2
 * @add_metrics: adds the samples of the worker's class to @metrics
 *   (fluid_metrics_add()), @path being the worker's `worker` label, and
 *   those of the workers below it (fluid_metrics_add_worker()); the base
 *   class writes #FluidWorker:state before it, and has no implementation
 *   of its own (%NULL). A subclass chains up when its parent class has one.
 *   On the worker's context. Since: 1.2
 * @stopped_elsewhere: %NULL by default. Called once when the worker
 *   stops, with the reason and exit code #FluidWorker::stopped will tell,
 *   before that signal, unless it stops inside the call that ends its run
 *   (fluid_worker_complete_run() or fluid_worker_fail_run(), for a class
 *   that implements `begin_run`): a forced stop or a failure from
 *   elsewhere while the run goes on (the class drops the run: its late
 *   end is logged and dropped), a stop before the run began, or after an
 *   on_shutdown that completed later. A binding that begins runs learns
 *   there of every stop it did not see itself, while the stops it saw cost
 *   it no call; a class without `begin_run` is told of every stop. On the
 *   worker's context. Since: 1.2
 *
 * The class structure of #FluidWorker.
 *
 * Since: 1.0
 */
struct _FluidWorkerClass
{
  GObjectClass parent_class;

  void      (* run_async)          (FluidWorker          *self,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
  gboolean  (* run_finish)         (FluidWorker          *self,
                                    GAsyncResult         *result,
                                    GError              **error);

  void      (* on_startup_async)   (FluidWorker          *self,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
  gboolean  (* on_startup_finish)  (FluidWorker          *self,
                                    GAsyncResult         *result,
                                    GError              **error);

  void      (* on_shutdown_async)  (FluidWorker          *self,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
  gboolean  (* on_shutdown_finish) (FluidWorker          *self,
                                    GAsyncResult         *result,
                                    GError              **error);

  void      (* after_shutdown)     (FluidWorker          *self,
                                    const char           *reason,
                                    int                   exit_code);

  void      (* gracefully_stop)    (FluidWorker          *self);

  void      (* status_async)       (FluidWorker          *self,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
  GVariant *(* status_finish)      (FluidWorker          *self,
                                    GAsyncResult         *result,
                                    GError              **error);

  guint     (* get_num_workers)    (FluidWorker          *self);

  void      (* begin_run)          (FluidWorker          *self);

  void      (* add_metrics)        (FluidWorker          *self,
                                    FluidMetrics         *metrics,
                                    const char           *path);

  void      (* stopped_elsewhere)  (FluidWorker          *self,
                                    const char           *reason,
                                    int                   exit_code);

  /*< private >*/
  gpointer padding[9];
};

FLUID_AVAILABLE_IN_1_0
const char       *fluid_worker_get_name                  (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_0
FluidWorkerState  fluid_worker_get_state                 (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_0
double            fluid_worker_get_stopping_grace_period (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_2
void              fluid_worker_set_name                  (FluidWorker          *self,
                                                          const char           *name);
FLUID_AVAILABLE_IN_1_2
void              fluid_worker_set_stopping_grace_period (FluidWorker          *self,
                                                          double                seconds);
FLUID_AVAILABLE_IN_1_0
guint             fluid_worker_get_num_workers           (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_0
GCancellable     *fluid_worker_get_cancellable           (FluidWorker          *self);

FLUID_AVAILABLE_IN_1_0
gboolean          fluid_worker_has_started               (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_0
gboolean          fluid_worker_is_running                (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_0
gboolean          fluid_worker_is_stopping               (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_0
gboolean          fluid_worker_is_stopped                (FluidWorker          *self);

FLUID_AVAILABLE_IN_1_0
void              fluid_worker_gracefully_stop           (FluidWorker          *self);

FLUID_AVAILABLE_IN_1_0
void              fluid_worker_startup_async             (FluidWorker          *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
FLUID_AVAILABLE_IN_1_0
gboolean          fluid_worker_startup_finish            (FluidWorker          *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

FLUID_AVAILABLE_IN_1_0
void              fluid_worker_shutdown_async            (FluidWorker          *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
FLUID_AVAILABLE_IN_1_0
gboolean          fluid_worker_shutdown_finish           (FluidWorker          *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

FLUID_AVAILABLE_IN_1_0
void              fluid_worker_wait_for_shutdown_async   (FluidWorker          *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
FLUID_AVAILABLE_IN_1_0
gboolean          fluid_worker_wait_for_shutdown_finish  (FluidWorker          *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

FLUID_AVAILABLE_IN_1_0
void              fluid_worker_status_async              (FluidWorker          *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
FLUID_AVAILABLE_IN_1_0
GVariant         *fluid_worker_status_finish             (FluidWorker          *self,
                                                          GAsyncResult         *result,
                                                          GError              **error) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
void              fluid_worker_status_for_type_async     (FluidWorker          *self,
                                                          GType                 type,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
FLUID_AVAILABLE_IN_1_2
GVariant         *fluid_worker_status_for_type_finish    (FluidWorker          *self,
                                                          GAsyncResult         *result,
                                                          GError              **error) G_GNUC_WARN_UNUSED_RESULT;

FLUID_AVAILABLE_IN_1_0
void              fluid_worker_sleep_async               (FluidWorker          *self,
                                                          double                seconds,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
FLUID_AVAILABLE_IN_1_0
gboolean          fluid_worker_sleep_finish              (FluidWorker          *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

FLUID_AVAILABLE_IN_1_2
int               fluid_worker_get_exit_code             (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_2
const char       *fluid_worker_get_stop_reason           (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_2
void              fluid_worker_fail                      (FluidWorker          *self,
                                                          const GError         *error);
FLUID_AVAILABLE_IN_1_2
void              fluid_worker_complete_run              (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_2
void              fluid_worker_fail_run                  (FluidWorker          *self,
                                                          const GError         *error);

FLUID_AVAILABLE_IN_1_2
double            fluid_worker_get_watchdog              (FluidWorker          *self);
FLUID_AVAILABLE_IN_1_2
void              fluid_worker_set_watchdog              (FluidWorker          *self,
                                                          double                seconds);
FLUID_AVAILABLE_IN_1_2
void              fluid_worker_feed_watchdog             (FluidWorker          *self);

G_END_DECLS
