/* pipeline.c: a group that shuts its children down in order
 *
 * A FluidWorkers subclass overrides wait_for_workers to shut its children
 * down one after the other, in the order they were added, instead of all at
 * once: the producer first, then the consumer, which so outlives everything
 * the producer sends (aio-fluid's note on shutdown ordering: an event
 * dispatcher must outlive the workers that produce events). With
 * drain-on-stop set on the consumer, every number sent is handled.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#define EXAMPLE_TYPE_PIPELINE (pipeline_get_type ())
G_DECLARE_FINAL_TYPE (Pipeline, pipeline, EXAMPLE, PIPELINE, FluidWorkers)

struct _Pipeline
{
  FluidWorkers parent_instance;
};

G_DEFINE_FINAL_TYPE (Pipeline, pipeline, FLUID_TYPE_WORKERS)

static void pipeline_shut_down_next (GTask *task);

static void
pipeline_child_shut_down_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  FluidWorker *child = FLUID_WORKER (source);
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;

  /* A child that failed does not keep the others running. */
  if (!fluid_worker_shutdown_finish (child, result, &error))
    g_printerr ("%s failed: %s\n", fluid_worker_get_name (child), error->message);
  g_print ("%s shut down\n", fluid_worker_get_name (child));

  pipeline_shut_down_next (task);
}

/* Shuts down the child at the position in the task data, then the next
 * ones; completes @task, which it takes, after the last. */
static void
pipeline_shut_down_next (GTask *task)
{
  Pipeline *self = g_task_get_source_object (task);
  guint position = GPOINTER_TO_UINT (g_task_get_task_data (task));
  g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (self), position);

  if (child == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  g_task_set_task_data (task, GUINT_TO_POINTER (position + 1), NULL);
  /* Each child is forced after its own grace period. */
  fluid_worker_shutdown_async (child, NULL, pipeline_child_shut_down_cb, task);
}

/* Called once the group stops: it completes when every child has stopped. */
static void
pipeline_wait_for_workers_async (FluidWorkers        *workers,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task = g_task_new (workers, cancellable, callback, user_data);

  g_task_set_source_tag (task, pipeline_wait_for_workers_async);
  /* It completes once the children have stopped, even on a forced stop. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, GUINT_TO_POINTER (0), NULL);
  pipeline_shut_down_next (task);
}

static gboolean
pipeline_wait_for_workers_finish (FluidWorkers  *workers,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
pipeline_class_init (PipelineClass *klass)
{
  FluidWorkersClass *workers_class = FLUID_WORKERS_CLASS (klass);

  workers_class->wait_for_workers_async = pipeline_wait_for_workers_async;
  workers_class->wait_for_workers_finish = pipeline_wait_for_workers_finish;
}

static void
pipeline_init (Pipeline *self)
{
}

/* main */

typedef struct
{
  FluidQueueConsumer *consumer;
  int                 sent;
  int                 handled;
} Counts;

/* The producer: a number to the consumer every 5 ms. */
static void
produce (FluidWorker *worker,
         gpointer     user_data)
{
  Counts *counts = user_data;
  GValue message = G_VALUE_INIT;

  g_value_init (&message, G_TYPE_INT);
  g_value_set_int (&message, ++counts->sent);
  fluid_queue_consumer_send (counts->consumer, &message);
}

static void
consume_cb (FluidQueueConsumerWorker *consumer,
            const GValue             *message,
            gpointer                  user_data)
{
  Counts *counts = user_data;

  counts->handled++;
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the thread-default main context until an async call completes. */
static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  Counts counts = { NULL, 0, 0 };
  g_autoptr(FluidWorker) consumer = NULL;
  g_autoptr(FluidWorker) producer = NULL;
  g_autoptr(FluidWorkers) pipeline = NULL;
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GAsyncResult) stopped = NULL;
  g_autoptr(GError) error = NULL;
  gboolean expired = FALSE;
  guint64 discarded;

  consumer = g_object_new (FLUID_TYPE_QUEUE_CONSUMER_WORKER,
                           "name", "consumer",
                           "drain-on-stop", TRUE,
                           NULL);
  g_signal_connect (consumer, "message", G_CALLBACK (consume_cb), &counts);
  counts.consumer = FLUID_QUEUE_CONSUMER (consumer);
  producer = fluid_worker_function_new (0.005, produce, &counts, NULL);

  /* The producer first: it is shut down first. */
  pipeline = g_object_new (EXAMPLE_TYPE_PIPELINE, "name", "pipeline", NULL);
  fluid_workers_add_worker (pipeline, producer);
  fluid_workers_add_worker (pipeline, consumer);

  fluid_worker_startup_async (FLUID_WORKER (pipeline), NULL, done_cb, &started);
  if (!fluid_worker_startup_finish (FLUID_WORKER (pipeline), wait_for (&started), &error))
    g_error ("startup failed: %s", error->message);

  /* Let it run for 50 ms, then shut the whole pipeline down. */
  g_timeout_add (50, timeout_cb, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);

  fluid_worker_shutdown_async (FLUID_WORKER (pipeline), NULL, done_cb, &stopped);
  if (!fluid_worker_shutdown_finish (FLUID_WORKER (pipeline), wait_for (&stopped), &error))
    g_error ("shutdown failed: %s", error->message);

  discarded = fluid_queue_consumer_get_discarded (FLUID_QUEUE_CONSUMER (consumer));
  g_print ("sent %d, handled %d, discarded %" G_GUINT64_FORMAT "\n",
           counts.sent, counts.handled, discarded);

  if (counts.sent == 0 || counts.handled != counts.sent || discarded != 0)
    {
      g_printerr ("unexpected: not every number sent was handled\n");
      return 1;
    }
  return 0;
}
