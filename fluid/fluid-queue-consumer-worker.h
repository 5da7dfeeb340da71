/* fluid-queue-consumer-worker.h: a queue consumer that handles each message
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <fluid/fluid-queue-consumer.h>

G_BEGIN_DECLS

/**
 * FLUID_TYPE_QUEUE_CONSUMER_WORKER:
 *
 * The #GType of #FluidQueueConsumerWorker.
 *
 * Since: 1.0
 */
#define FLUID_TYPE_QUEUE_CONSUMER_WORKER (fluid_queue_consumer_worker_get_type ())

/**
 * FluidQueueConsumerWorker:
 *
 * A queue consumer that handles each message with a callback, an `on_message` override or the #FluidQueueConsumerWorker::message signal; its fields are private.
 *
 * Since: 1.0
 */
FLUID_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (FluidQueueConsumerWorker, fluid_queue_consumer_worker,
                          FLUID, QUEUE_CONSUMER_WORKER, FluidQueueConsumer)

/**
 * FluidMessageFunc:
 * @worker: the #FluidQueueConsumerWorker
 * @message: the message
 * @user_data: the data given with the function
 *
 * The function a #FluidQueueConsumerWorker calls for each message, on the
 * worker's context. @message is valid until the function returns; copy it
 * to keep it.
 *
 * It cannot return an error: to fail, it calls fluid_worker_fail() on
 * @worker, which stops the worker with that error (exit code
 * %FLUID_EXIT_CODE_ERROR); @message then counts as discarded. A function
 * that must fail its message alone takes a task: see #FluidAsyncMessageFunc.
 *
 * Since: 1.0
 */
typedef void (* FluidMessageFunc) (FluidQueueConsumerWorker *worker,
                                   const GValue             *message,
                                   gpointer                  user_data);

/**
 * FluidAsyncMessageFunc:
 * @worker: the #FluidQueueConsumerWorker
 * @message: the message, valid until @task completes
 * @task: the task to complete, now or later, with g_task_return_boolean()
 *   (%TRUE) or g_task_return_error(); its cancellable is the worker's own.
 *   Take a reference on it to complete it later.
 * @user_data: the data given with the function
 *
 * The asynchronous function a #FluidQueueConsumerWorker made with
 * fluid_queue_consumer_worker_new_async() calls for each message, on the
 * worker's context. The next message is not handled before @task
 * completes; an error fails @message (see #FluidQueueConsumer::message-failed
 * and #FluidQueueConsumer:stop-on-failure).
 *
 * Since: 1.2
 */
typedef void (* FluidAsyncMessageFunc) (FluidQueueConsumerWorker *worker,
                                        const GValue             *message,
                                        GTask                    *task,
                                        gpointer                  user_data);

/**
 * FluidThreadMessageFunc:
 * @worker: the #FluidQueueConsumerWorker
 * @message: the message, valid until the function returns
 * @cancellable: the worker's cancellable, cancelled on a forced stop
 * @user_data: the data given with the function
 * @error: return location for the error of a message that fails
 *
 * The function a #FluidQueueConsumerWorker made with
 * fluid_queue_consumer_worker_new_threaded() calls for each message, on
 * one of the worker's threads: not on the worker's context, so it may
 * block. It returns %FALSE with @error set to fail @message (see
 * #FluidQueueConsumer::message-failed, told on the worker's context, and
 * #FluidQueueConsumer:stop-on-failure).
 *
 * Returns: %TRUE if @message was handled
 *
 * Since: 1.2
 */
typedef gboolean (* FluidThreadMessageFunc) (FluidQueueConsumerWorker  *worker,
                                             const GValue              *message,
                                             GCancellable              *cancellable,
                                             gpointer                   user_data,
                                             GError                   **error);

/**
 * FluidPull:
 * @FLUID_PULL_MESSAGE: a message is in hand: handle it, then pull again.
 *   It stays valid until the next pull, which counts it as processed
 *   unless fluid_queue_consumer_worker_fail_pulled() failed it.
 * @FLUID_PULL_WAIT: nothing to pull now: pull again once
 *   the `pull_ready` virtual method is called. The worker's context runs
 *   meanwhile: a pull returns it too once the messages of one dispatch's
 *   share were pulled, as the worker's own loop lets the context run.
 * @FLUID_PULL_END: the run is over (the worker stops, or a failure stopped
 *   it): pull no more.
 *
 * What fluid_queue_consumer_worker_pull() gives.
 *
 * Since: 1.2
 */
typedef enum
{
  FLUID_PULL_MESSAGE,
  FLUID_PULL_WAIT,
  FLUID_PULL_END,
} FluidPull;

/**
 * FLUID_TYPE_PULL:
 *
 * The #GType of #FluidPull.
 *
 * Since: 1.2
 */
#define FLUID_TYPE_PULL (fluid_pull_get_type ())
FLUID_AVAILABLE_IN_1_2
GType fluid_pull_get_type (void) G_GNUC_CONST;

/**
 * FluidQueueConsumerWorkerClass:
 * @parent_class: the parent class
 * @on_message_async: handles one message; the next is not handled before
 *   this completes. The default calls the worker's #FluidMessageFunc, or,
 *   without one, emits #FluidQueueConsumerWorker::message, and completes at
 *   once. @message stays valid until the operation completes.
 * @on_message_finish: finishes @on_message_async; an error fails the
 *   message (see #FluidQueueConsumer::message-failed and
 *   #FluidQueueConsumer:stop-on-failure)
 * @pull_ready: %NULL by default. A subclass that implements it handles its
 *   messages in a loop of its own, pulling each with
 *   fluid_queue_consumer_worker_pull() (the loop of a binding's event loop,
 *   which awaits its handlers), and @on_message_async is not called. It is
 *   called, on the worker's context, when the loop may pull: once when the
 *   run begins; after a pull returned %FLUID_PULL_WAIT, once there is
 *   something to pull (a message, or the end of the run); and once the
 *   worker stopped while the loop held a message, to tell it of the end.
 *   It is called from a dispatch of the worker's context with nothing of
 *   the library's under way: the loop may run from it. Since: 1.2
 *
 * The class structure of #FluidQueueConsumerWorker.
 *
 * Since: 1.0
 */
struct _FluidQueueConsumerWorkerClass
{
  FluidQueueConsumerClass parent_class;

  void     (* on_message_async)  (FluidQueueConsumerWorker  *self,
                                  const GValue              *message,
                                  GCancellable              *cancellable,
                                  GAsyncReadyCallback        callback,
                                  gpointer                   user_data);
  gboolean (* on_message_finish) (FluidQueueConsumerWorker  *self,
                                  GAsyncResult              *result,
                                  GError                   **error);
  void     (* pull_ready)        (FluidQueueConsumerWorker  *self);

  /*< private >*/
  gpointer padding[11];
};

FLUID_AVAILABLE_IN_1_0
FluidWorker *fluid_queue_consumer_worker_new               (FluidMessageFunc           func,
                                                            gpointer                   user_data,
                                                            GDestroyNotify             destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
FluidWorker *fluid_queue_consumer_worker_new_async         (FluidAsyncMessageFunc      func,
                                                            gpointer                   user_data,
                                                            GDestroyNotify             destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
FluidWorker *fluid_queue_consumer_worker_new_threaded      (guint                      n_threads,
                                                            FluidThreadMessageFunc     func,
                                                            gpointer                   user_data,
                                                            GDestroyNotify             destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
FluidWorker *fluid_queue_consumer_worker_new_threaded_named (const char               *name,
                                                            guint                      n_threads,
                                                            FluidThreadMessageFunc     func,
                                                            gpointer                   user_data,
                                                            GDestroyNotify             destroy) G_GNUC_WARN_UNUSED_RESULT;

FLUID_AVAILABLE_IN_1_2
FluidPull    fluid_queue_consumer_worker_pull              (FluidQueueConsumerWorker  *self,
                                                            const GValue             **message);
FLUID_AVAILABLE_IN_1_2
void         fluid_queue_consumer_worker_fail_pulled       (FluidQueueConsumerWorker  *self,
                                                            const GError              *error);

FLUID_AVAILABLE_IN_1_0
void         fluid_queue_consumer_worker_on_message_async  (FluidQueueConsumerWorker  *self,
                                                            const GValue              *message,
                                                            GCancellable              *cancellable,
                                                            GAsyncReadyCallback        callback,
                                                            gpointer                   user_data);
FLUID_AVAILABLE_IN_1_0
gboolean     fluid_queue_consumer_worker_on_message_finish (FluidQueueConsumerWorker  *self,
                                                            GAsyncResult              *result,
                                                            GError                   **error);

G_END_DECLS
