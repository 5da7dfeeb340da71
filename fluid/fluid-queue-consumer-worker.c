/* fluid-queue-consumer-worker.c: a queue consumer that handles each message
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-queue-consumer-worker.h"
#include "fluid-queue-pump-private.h"
#include "fluid-queue-threads-private.h"
#include "fluid-worker-private.h"

/**
 * SECTION:fluid-queue-consumer-worker
 * @short_description: A queue consumer that handles each message
 * @title: FluidQueueConsumerWorker
 * @see_also: #FluidQueueConsumer
 *
 * A #FluidQueueConsumerWorker handles the messages sent to it one at a
 * time, in the order they were sent, while it runs: with its
 * #FluidMessageFunc, or, without one, by emitting
 * #FluidQueueConsumerWorker::message, or with the `on_message_async`
 * virtual method of a subclass.
 *
 * Every message ready when the worker's context dispatches the queue is
 * handled in that one dispatch, not one main-loop iteration per message.
 *
 * |[<!-- language="C" -->
 * static void
 * on_message (FluidQueueConsumerWorker *worker,
 *             const GValue             *message,
 *             gpointer                  user_data)
 * {
 *   g_print ("got %s\n", g_value_get_string (message));
 * }
 *
 * g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (on_message, NULL, NULL);
 * fluid_worker_startup_async (worker, NULL, NULL, NULL);
 * fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "hello");
 * ]|
 *
 * Its status adds the key `processed` (`t`), the number of messages
 * handled successfully.
 *
 * A subclass may handle its messages in a loop of its own instead, the
 * loop of a language binding's event loop: it implements the `pull_ready`
 * virtual method, and pulls each message with
 * fluid_queue_consumer_worker_pull(). Nothing is made or completed per
 * message then, neither a task nor a source:
 *
 * |[<!-- language="C" -->
 * static void
 * my_consumer_pull_ready (FluidQueueConsumerWorker *worker)
 * {
 *   const GValue *message;
 *
 *   while (fluid_queue_consumer_worker_pull (worker, &message) == FLUID_PULL_MESSAGE)
 *     {
 *       g_autoptr(GError) error = NULL;
 *
 *       if (!my_handle (message, &error))
 *         fluid_queue_consumer_worker_fail_pulled (worker, error);
 *     }
 *   // FLUID_PULL_WAIT: pull_ready is called again; FLUID_PULL_END: done
 * }
 * ]|
 *
 * A loop that awaits its handlers returns from `pull_ready` while one runs,
 * and goes on pulling when it completes.
 *
 * A subclass whose `on_message_async` completes with an error fails its
 * message: the message counts in the `failed` key of the status,
 * #FluidQueueConsumer::message-failed is emitted, and the worker stops with
 * that error unless #FluidQueueConsumer:stop-on-failure is unset. A
 * #FluidMessageFunc cannot return an error: one that must fail calls
 * fluid_worker_fail(), which stops the worker with the error; its message,
 * in hand when the worker stopped, then counts as discarded.
 */

typedef struct
{
  /* At most one of the three is set, at construction. */
  FluidMessageFunc       func;
  FluidAsyncMessageFunc  async_func;
  FluidThreadMessageFunc thread_func;
  guint                  n_threads;
  gpointer         user_data;
  GDestroyNotify   destroy;
  /* Pulled by a subclass (pull_ready): the driver of the run, once it
   * began; the consumer owns it. On the worker's context. */
  FluidQueuePump  *pulled;
} FluidQueueConsumerWorkerPrivate;

enum
{
  SIGNAL_MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE_WITH_PRIVATE (FluidQueueConsumerWorker, fluid_queue_consumer_worker,
                            FLUID_TYPE_QUEUE_CONSUMER)

G_DEFINE_ENUM_TYPE (FluidPull, fluid_pull,
  G_DEFINE_ENUM_VALUE (FLUID_PULL_MESSAGE, "message"),
  G_DEFINE_ENUM_VALUE (FLUID_PULL_WAIT, "wait"),
  G_DEFINE_ENUM_VALUE (FLUID_PULL_END, "end"))

/* What the default on_message does, without a task. */
static void
fluid_queue_consumer_worker_handle (FluidQueueConsumerWorker *self,
                                    const GValue             *message)
{
  FluidQueueConsumerWorkerPrivate *priv = fluid_queue_consumer_worker_get_instance_private (self);

  if (priv->func != NULL)
    priv->func (self, message, priv->user_data);
  else
    g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, message);
}

static void
fluid_queue_consumer_worker_real_on_message_async (FluidQueueConsumerWorker *self,
                                                   const GValue             *message,
                                                   GCancellable             *cancellable,
                                                   GAsyncReadyCallback       callback,
                                                   gpointer                  user_data)
{
  FluidQueueConsumerWorkerPrivate *priv = fluid_queue_consumer_worker_get_instance_private (self);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_queue_consumer_worker_real_on_message_async);
  g_task_set_name (task, "[fluid] queue consumer worker on message");
  if (priv->async_func != NULL)
    {
      priv->async_func (self, message, task, priv->user_data);
      return;
    }
  fluid_queue_consumer_worker_handle (self, message);
  g_task_return_boolean (task, TRUE);
}

static gboolean
fluid_queue_consumer_worker_real_on_message_finish (FluidQueueConsumerWorker  *self,
                                                    GAsyncResult              *result,
                                                    GError                   **error)
{
  g_return_val_if_fail (fluid_default_result_is_valid (self, result,
                                                      fluid_queue_consumer_worker_real_on_message_async,
                                                      FLUID_QUEUE_CONSUMER_WORKER_GET_CLASS (self)->on_message_async),
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The pump's @user_data: an override of on_message_async completed. */
static void
fluid_queue_consumer_worker_on_message_cb (GObject      *source,
                                           GAsyncResult *result,
                                           gpointer      user_data)
{
  FluidQueueConsumerWorker *self = FLUID_QUEUE_CONSUMER_WORKER (source);
  GError *error = NULL;

  /* A failed message; dropped if the worker stopped meanwhile. */
  if (!FLUID_QUEUE_CONSUMER_WORKER_GET_CLASS (self)->on_message_finish (self, result, &error) &&
      error == NULL)
    error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                         "on_message failed without an error");

  fluid_queue_pump_resume (user_data, error);
}

static gboolean
fluid_queue_consumer_worker_pump_cb (FluidQueuePump *pump,
                                     const GValue   *message,
                                     gpointer        user_data)
{
  FluidQueueConsumerWorker *self = user_data;
  FluidQueueConsumerWorkerPrivate *priv = fluid_queue_consumer_worker_get_instance_private (self);
  FluidQueueConsumerWorkerClass *klass = FLUID_QUEUE_CONSUMER_WORKER_GET_CLASS (self);

  /* The default handler of a synchronous function needs no task. */
  if (klass->on_message_async == fluid_queue_consumer_worker_real_on_message_async &&
      priv->async_func == NULL)
    {
      fluid_queue_consumer_worker_handle (self, message);
      return TRUE;
    }

  /* The default handlers of an asynchronous function: the pump's task,
   * which costs no main-loop iteration when completed at once. */
  if (klass->on_message_async == fluid_queue_consumer_worker_real_on_message_async &&
      klass->on_message_finish == fluid_queue_consumer_worker_real_on_message_finish)
    {
      GTask *task = fluid_queue_pump_new_task (pump);

      priv->async_func (self, message, task, priv->user_data);
      g_object_unref (task);
      return FALSE;
    }

  klass->on_message_async (self, message, fluid_worker_get_cancellable (FLUID_WORKER (self)),
                           fluid_queue_consumer_worker_on_message_cb, pump);
  return FALSE;
}

/* The pump's @ready, pulled. */
static void
fluid_queue_consumer_worker_pull_ready_cb (FluidQueuePump *pump,
                                           gpointer        user_data)
{
  FluidQueueConsumerWorker *self = user_data;

  FLUID_QUEUE_CONSUMER_WORKER_GET_CLASS (self)->pull_ready (self);
}

static void
fluid_queue_consumer_worker_run_async (FluidWorker         *worker,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  FluidQueueConsumerWorkerPrivate *priv =
    fluid_queue_consumer_worker_get_instance_private (FLUID_QUEUE_CONSUMER_WORKER (worker));
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_queue_consumer_worker_run_async);
  g_task_set_name (task, "[fluid] queue consumer worker run");
  if (priv->thread_func != NULL)
    fluid_queue_threads_run (FLUID_QUEUE_CONSUMER (worker), task, priv->n_threads,
                             priv->thread_func, priv->user_data);
  else if (FLUID_QUEUE_CONSUMER_WORKER_GET_CLASS (worker)->pull_ready != NULL)
    priv->pulled = fluid_queue_pump_run_pulled (FLUID_QUEUE_CONSUMER (worker), task,
                                                fluid_queue_consumer_worker_pull_ready_cb,
                                                worker);
  else
    fluid_queue_pump_run (FLUID_QUEUE_CONSUMER (worker), task,
                          fluid_queue_consumer_worker_pump_cb, worker);
}

static gboolean
fluid_queue_consumer_worker_run_finish (FluidWorker   *worker,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        fluid_queue_consumer_worker_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fluid_queue_consumer_worker_finalize (GObject *object)
{
  FluidQueueConsumerWorker *self = FLUID_QUEUE_CONSUMER_WORKER (object);
  FluidQueueConsumerWorkerPrivate *priv = fluid_queue_consumer_worker_get_instance_private (self);

  if (priv->destroy != NULL)
    priv->destroy (priv->user_data);

  G_OBJECT_CLASS (fluid_queue_consumer_worker_parent_class)->finalize (object);
}

static void
fluid_queue_consumer_worker_class_init (FluidQueueConsumerWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  object_class->finalize = fluid_queue_consumer_worker_finalize;

  worker_class->run_async = fluid_queue_consumer_worker_run_async;
  worker_class->run_finish = fluid_queue_consumer_worker_run_finish;

  klass->on_message_async = fluid_queue_consumer_worker_real_on_message_async;
  klass->on_message_finish = fluid_queue_consumer_worker_real_on_message_finish;

  /**
   * FluidQueueConsumerWorker::message:
   * @self: the worker
   * @message: the message
   *
   * Emitted for each message by the default `on_message` of a worker
   * created without a #FluidMessageFunc: how bindings receive messages
   * without subclassing.
   *
   * Since: 1.0
   */
  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, G_TYPE_VALUE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
fluid_queue_consumer_worker_init (FluidQueueConsumerWorker *self)
{
  fluid_queue_consumer_set_reports_processed (FLUID_QUEUE_CONSUMER (self), TRUE);
}

/**
 * fluid_queue_consumer_worker_new:
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   the function called for each message, or %NULL to receive them through
 *   #FluidQueueConsumerWorker::message
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * Creates a worker that calls @func for each message sent to it, one at a
 * time and in order, while it runs.
 *
 * Returns: (transfer full): a new #FluidQueueConsumerWorker
 *
 * Since: 1.0
 */
FluidWorker *
fluid_queue_consumer_worker_new (FluidMessageFunc func,
                                 gpointer         user_data,
                                 GDestroyNotify   destroy)
{
  FluidQueueConsumerWorker *self;
  FluidQueueConsumerWorkerPrivate *priv;

  g_return_val_if_fail (func != NULL || destroy == NULL, NULL);

  self = g_object_new (FLUID_TYPE_QUEUE_CONSUMER_WORKER, NULL);
  priv = fluid_queue_consumer_worker_get_instance_private (self);
  priv->func = func;
  priv->user_data = user_data;
  priv->destroy = destroy;

  return FLUID_WORKER (self);
}

/**
 * fluid_queue_consumer_worker_new_async:
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   asynchronous function called for each message
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * Creates a worker that calls @func for each message sent to it, one at a
 * time and in order, while it runs; the next message waits for the task
 * given to @func to complete. A task that completes with an error fails its
 * message, as an `on_message_async` override that fails does: this is how
 * a binding's coroutine or promise, or a callback that raised, fails its
 * message (aio-fluid's `QueueConsumerWorker` with an `async def`
 * callback). A task completed before @func returns costs no main-loop
 * iteration: the next message is handled within the same dispatch.
 *
 * Returns: (transfer full): a new #FluidQueueConsumerWorker
 *
 * Since: 1.2
 */
FluidWorker *
fluid_queue_consumer_worker_new_async (FluidAsyncMessageFunc func,
                                       gpointer              user_data,
                                       GDestroyNotify        destroy)
{
  FluidQueueConsumerWorker *self;
  FluidQueueConsumerWorkerPrivate *priv;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (FLUID_TYPE_QUEUE_CONSUMER_WORKER, NULL);
  priv = fluid_queue_consumer_worker_get_instance_private (self);
  priv->async_func = func;
  priv->user_data = user_data;
  priv->destroy = destroy;

  return FLUID_WORKER (self);
}

/**
 * fluid_queue_consumer_worker_new_threaded:
 * @n_threads: how many messages may be handled at a time, each on a thread
 *   of its own (at least 1)
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   function called for each message, on one of the worker's threads
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * Creates a worker that calls @func for each message on one of
 * @n_threads threads that it owns: made when it starts, named after it
 * (cut to the 15 bytes Linux keeps, for debuggers and `top -H`), ended by
 * its stop. On Linux they run 5 nice levels below the thread that started
 * the worker, so that handlers busy on every core never starve its
 * context, usually an application's main loop. Each message is handled once, at most @n_threads at a time, in
 * no global order. The worker's lifecycle, its signals and every other
 * callback stay on its context: a message that fails is told there
 * (#FluidQueueConsumer::message-failed), and
 * #FluidQueueConsumer:stop-on-failure decides, as for any consumer.
 *
 * A graceful stop lets the running handlers finish, and with
 * #FluidQueueConsumer:drain-on-stop, the messages queued when it was asked
 * for too. A forced stop cancels the cancellable given to @func, counts
 * the messages in hand as discarded and does not wait for them: a handler
 * that ignores its cancellable keeps its thread until it returns, and its
 * result is dropped. Nothing ever waits for such a thread, not even
 * finalization: a thread holds a reference on the worker while it runs.
 *
 * Returns: (transfer full): a new #FluidQueueConsumerWorker
 *
 * Since: 1.2
 */
FluidWorker *
fluid_queue_consumer_worker_new_threaded (guint                  n_threads,
                                          FluidThreadMessageFunc func,
                                          gpointer               user_data,
                                          GDestroyNotify         destroy)
{
  g_return_val_if_fail (n_threads > 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  return fluid_queue_consumer_worker_new_threaded_named (NULL, n_threads, func, user_data, destroy);
}

/**
 * fluid_queue_consumer_worker_new_threaded_named:
 * @name: (nullable): the #FluidWorker:name of the worker, and of its
 *   threads (cut to 15 bytes); %NULL or empty for the default one
 * @n_threads: how many messages may be handled at a time (at least 1)
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   function called for each message, on one of the worker's threads
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the worker is finalized
 *
 * As fluid_queue_consumer_worker_new_threaded(), with a name: the name is
 * what logs, stop reasons, the status of a #FluidWorkers group and the
 * names of the threads show.
 *
 * Returns: (transfer full): a new #FluidQueueConsumerWorker
 *
 * Since: 1.2
 */
FluidWorker *
fluid_queue_consumer_worker_new_threaded_named (const char            *name,
                                                guint                  n_threads,
                                                FluidThreadMessageFunc func,
                                                gpointer               user_data,
                                                GDestroyNotify         destroy)
{
  FluidQueueConsumerWorker *self;
  FluidQueueConsumerWorkerPrivate *priv;

  g_return_val_if_fail (n_threads > 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (FLUID_TYPE_QUEUE_CONSUMER_WORKER, "name", name, NULL);
  priv = fluid_queue_consumer_worker_get_instance_private (self);
  priv->thread_func = func;
  priv->n_threads = n_threads;
  priv->user_data = user_data;
  priv->destroy = destroy;

  return FLUID_WORKER (self);
}

/**
 * fluid_queue_consumer_worker_pull:
 * @self: a #FluidQueueConsumerWorker whose class implements `pull_ready`
 * @message: (out) (transfer none) (nullable): the message, with
 *   %FLUID_PULL_MESSAGE; valid until the next pull
 *
 * Settles the message of the previous pull (processed, unless
 * fluid_queue_consumer_worker_fail_pulled() failed it), and takes the next
 * one for the loop of a subclass that handles its messages itself (see
 * the `pull_ready` virtual method): in order, one at a time, as the worker
 * would hand them to `on_message_async`, with
 * #FluidQueueConsumer:drain-on-stop and the priorities of the queue
 * honoured and the counters exact. It returns %FLUID_PULL_WAIT when there
 * is nothing to take now, or when the messages of one dispatch's share
 * were taken (the loop lets the context run, and `pull_ready` tells it to
 * pull again), and %FLUID_PULL_END once the run is over: after a graceful
 * stop (once the messages it drains were pulled), after a failure under
 * #FluidQueueConsumer:stop-on-failure, and once the worker stopped; the
 * run ends as a pull returns it first, which may stop the worker there.
 *
 * Once the worker stopped (forced, or failed from elsewhere with
 * fluid_worker_fail()), the message in hand was counted as discarded, and
 * the next pull only drops it.
 *
 * Call it on the worker's context, from the loop that `pull_ready` tells:
 * before the run begins, it returns %FLUID_PULL_WAIT. The loop may also
 * pull before it is told, when it knows of a message some other way (a
 * send from its own thread): a pull that takes a message ends the wait,
 * and `pull_ready` is not called while it holds the message.
 *
 * Returns: a message, nothing now, or the end of the run
 *
 * Since: 1.2
 */
FluidPull
fluid_queue_consumer_worker_pull (FluidQueueConsumerWorker  *self,
                                  const GValue             **message)
{
  FluidQueueConsumerWorkerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER_WORKER (self), FLUID_PULL_END);
  g_return_val_if_fail (message != NULL, FLUID_PULL_END);
  g_return_val_if_fail (FLUID_QUEUE_CONSUMER_WORKER_GET_CLASS (self)->pull_ready != NULL,
                        FLUID_PULL_END);

  priv = fluid_queue_consumer_worker_get_instance_private (self);
  if (priv->pulled == NULL)
    {
      *message = NULL;
      return FLUID_PULL_WAIT;
    }
  return fluid_queue_pump_pull (priv->pulled, message);
}

/**
 * fluid_queue_consumer_worker_fail_pulled:
 * @self: a #FluidQueueConsumerWorker
 * @error: why the message failed; copied
 *
 * Fails the message of the last fluid_queue_consumer_worker_pull(), which
 * returned %FLUID_PULL_MESSAGE, as an `on_message_async` that completes
 * with @error does: the message counts in the `failed` key of the status,
 * #FluidQueueConsumer::message-failed is emitted now, and with
 * #FluidQueueConsumer:stop-on-failure the next pull ends the run with
 * @error. Once the worker stopped, it was counted as discarded, and this
 * only drops it. Call it once per message, before the next pull, on the
 * worker's context.
 *
 * Since: 1.2
 */
void
fluid_queue_consumer_worker_fail_pulled (FluidQueueConsumerWorker *self,
                                         const GError             *error)
{
  FluidQueueConsumerWorkerPrivate *priv;

  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER_WORKER (self));
  g_return_if_fail (error != NULL);

  priv = fluid_queue_consumer_worker_get_instance_private (self);
  g_return_if_fail (priv->pulled != NULL);

  fluid_queue_pump_fail (priv->pulled, g_error_copy (error));
}

/**
 * fluid_queue_consumer_worker_on_message_async:
 * @self: a #FluidQueueConsumerWorker
 * @message: the message
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the message was handled
 * @user_data: (closure): data for @callback
 *
 * Handles @message with the `on_message_async` virtual method. The worker
 * calls it for each message; subclasses may call it to chain up.
 *
 * Since: 1.0
 */
void
fluid_queue_consumer_worker_on_message_async (FluidQueueConsumerWorker *self,
                                              const GValue             *message,
                                              GCancellable             *cancellable,
                                              GAsyncReadyCallback       callback,
                                              gpointer                  user_data)
{
  g_return_if_fail (FLUID_IS_QUEUE_CONSUMER_WORKER (self));
  g_return_if_fail (G_IS_VALUE (message));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  FLUID_QUEUE_CONSUMER_WORKER_GET_CLASS (self)->on_message_async (self, message, cancellable,
                                                                  callback, user_data);
}

/**
 * fluid_queue_consumer_worker_on_message_finish:
 * @self: a #FluidQueueConsumerWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_queue_consumer_worker_on_message_async().
 *
 * Returns: %TRUE if the message was handled
 *
 * Since: 1.0
 */
gboolean
fluid_queue_consumer_worker_on_message_finish (FluidQueueConsumerWorker  *self,
                                               GAsyncResult              *result,
                                               GError                   **error)
{
  g_return_val_if_fail (FLUID_IS_QUEUE_CONSUMER_WORKER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);

  return FLUID_QUEUE_CONSUMER_WORKER_GET_CLASS (self)->on_message_finish (self, result, error);
}
