/* fluid-async-consumer.c: a queue consumer that dispatches each message
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-async-consumer.h"
#include "fluid-queue-pump-private.h"

/**
 * SECTION:fluid-async-consumer
 * @short_description: A queue consumer that dispatches each message
 * @title: FluidAsyncConsumer
 * @see_also: #FluidAsyncDispatcher, #FluidQueueConsumer
 *
 * A #FluidAsyncConsumer dispatches each message sent to it through its
 * #FluidAsyncDispatcher, and waits for every handler to complete before it
 * takes the next message, until the worker stops.
 *
 * A message whose dispatch fails (fluid_async_dispatcher_dispatch_finish()
 * returns the first handler error) is a failed message: it counts in the
 * `failed` key of the status, #FluidQueueConsumer::message-failed is
 * emitted with that error, and, unless #FluidQueueConsumer:stop-on-failure
 * is unset, the worker stops with it (exit code %FLUID_EXIT_CODE_ERROR).
 *
 * Its status adds the key `processed` (`t`), the number of messages whose
 * handlers all completed successfully.
 */

struct _FluidAsyncConsumer
{
  FluidQueueConsumer    parent_instance;

  FluidAsyncDispatcher *dispatcher;
  /* The run's, once it began; on the worker's context. */
  FluidQueuePump       *pump;
};

enum
{
  PROP_0,
  PROP_DISPATCHER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FluidAsyncConsumer, fluid_async_consumer, FLUID_TYPE_QUEUE_CONSUMER)

static void
fluid_async_consumer_dispatched_cb (GObject      *source,
                                    GAsyncResult *result,
                                    gpointer      user_data)
{
  g_autoptr(FluidAsyncConsumer) self = user_data;
  GError *error = NULL;

  fluid_async_dispatcher_dispatch_finish (FLUID_ASYNC_DISPATCHER (source), result, &error);
  fluid_queue_pump_resume (self->pump, error);
}

static gboolean
fluid_async_consumer_pump_cb (FluidQueuePump *pump,
                              const GValue   *message,
                              gpointer        user_data)
{
  FluidAsyncConsumer *self = user_data;

  self->pump = pump;
  fluid_async_dispatcher_dispatch_async (self->dispatcher, message,
                                         fluid_worker_get_cancellable (FLUID_WORKER (self)),
                                         fluid_async_consumer_dispatched_cb,
                                         g_object_ref (self));
  return FALSE;
}

static void
fluid_async_consumer_run_async (FluidWorker         *worker,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_async_consumer_run_async);
  g_task_set_name (task, "[fluid] async consumer run");
  fluid_queue_pump_run (FLUID_QUEUE_CONSUMER (worker), task, fluid_async_consumer_pump_cb, worker);
}

static gboolean
fluid_async_consumer_run_finish (FluidWorker   *worker,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fluid_async_consumer_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fluid_async_consumer_finalize (GObject *object)
{
  FluidAsyncConsumer *self = FLUID_ASYNC_CONSUMER (object);

  g_clear_object (&self->dispatcher);

  G_OBJECT_CLASS (fluid_async_consumer_parent_class)->finalize (object);
}

static void
fluid_async_consumer_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FluidAsyncConsumer *self = FLUID_ASYNC_CONSUMER (object);

  switch (prop_id)
    {
    case PROP_DISPATCHER:
      g_value_set_object (value, self->dispatcher);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_async_consumer_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  FluidAsyncConsumer *self = FLUID_ASYNC_CONSUMER (object);

  switch (prop_id)
    {
    case PROP_DISPATCHER:
      self->dispatcher = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_async_consumer_constructed (GObject *object)
{
  FluidAsyncConsumer *self = FLUID_ASYNC_CONSUMER (object);

  G_OBJECT_CLASS (fluid_async_consumer_parent_class)->constructed (object);

  /* Created without one (g_object_new() from a binding): an empty one. */
  if (self->dispatcher == NULL)
    self->dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
}

static void
fluid_async_consumer_class_init (FluidAsyncConsumerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  object_class->constructed = fluid_async_consumer_constructed;
  object_class->finalize = fluid_async_consumer_finalize;
  object_class->get_property = fluid_async_consumer_get_property;
  object_class->set_property = fluid_async_consumer_set_property;

  worker_class->run_async = fluid_async_consumer_run_async;
  worker_class->run_finish = fluid_async_consumer_run_finish;

  /**
   * FluidAsyncConsumer:dispatcher:
   *
   * The dispatcher each message goes through.
   *
   * Since: 1.0
   */
  properties[PROP_DISPATCHER] =
    g_param_spec_object ("dispatcher", "Dispatcher", "The dispatcher of each message",
                         FLUID_TYPE_ASYNC_DISPATCHER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fluid_async_consumer_init (FluidAsyncConsumer *self)
{
  fluid_queue_consumer_set_reports_processed (FLUID_QUEUE_CONSUMER (self), TRUE);
}

/**
 * fluid_async_consumer_new:
 * @dispatcher: the dispatcher of the messages
 *
 * Creates a consumer that dispatches each message through @dispatcher and
 * waits for its handlers before the next.
 *
 * Returns: (transfer full): a new #FluidAsyncConsumer
 *
 * Since: 1.0
 */
FluidWorker *
fluid_async_consumer_new (FluidAsyncDispatcher *dispatcher)
{
  g_return_val_if_fail (FLUID_IS_ASYNC_DISPATCHER (dispatcher), NULL);

  return g_object_new (FLUID_TYPE_ASYNC_CONSUMER,
                       "dispatcher", dispatcher,
                       NULL);
}

/**
 * fluid_async_consumer_get_dispatcher:
 * @self: a #FluidAsyncConsumer
 *
 * Gets the dispatcher of the consumer.
 *
 * Returns: (transfer none): the dispatcher
 *
 * Since: 1.0
 */
FluidAsyncDispatcher *
fluid_async_consumer_get_dispatcher (FluidAsyncConsumer *self)
{
  g_return_val_if_fail (FLUID_IS_ASYNC_CONSUMER (self), NULL);

  return self->dispatcher;
}
