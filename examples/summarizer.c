/* summarizer.c: a queue consumer that holds a resource for the whole of run
 *
 * The AnthropicWorker example of aio-fluid's tutorial, without the network:
 * a FluidQueueConsumer subclass opens an output file when `run` starts and
 * closes it when `run` ends, receives text items with
 * fluid_queue_consumer_send_string(), writes a one-line summary of each
 * (its first sentence and its word count), and stops at an empty string.
 *
 * Usage: summarizer OUTPUT-FILE
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

static const char *articles[] = {
  "Async programming in Python allows multiple tasks to run concurrently "
  "within a single thread by yielding control at await points, which is "
  "particularly efficient for I/O-bound workloads such as HTTP requests "
  "and database queries. It is not a silver bullet.",

  "Large language models are trained on vast corpora of text using "
  "self-supervised objectives, enabling them to learn grammar, facts, and "
  "reasoning patterns that can be adapted to a wide range of downstream "
  "tasks through prompting or fine-tuning.",

  "The observer pattern decouples event producers from consumers by "
  "introducing an intermediary that maintains a list of subscribers and "
  "notifies them when state changes. New listeners need no change to the "
  "source.",
};

#define EXAMPLE_TYPE_SUMMARIZER (summarizer_get_type ())
G_DECLARE_FINAL_TYPE (Summarizer, summarizer, EXAMPLE, SUMMARIZER, FluidQueueConsumer)

struct _Summarizer
{
  FluidQueueConsumer  parent_instance;

  GFile              *output;
  GOutputStream      *stream;   /* open while run runs */
  GPtrArray          *results;
  char               *line;     /* being written */
};

G_DEFINE_FINAL_TYPE (Summarizer, summarizer, FLUID_TYPE_QUEUE_CONSUMER)

/* The first sentence of @text, and its number of words. */
static char *
summarize (const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text, " \t\n", -1);
  const char *end = text;
  guint n_words = 0;

  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      n_words++;

  while (*end != '\0' && !(strchr (".!?", *end) != NULL && (end[1] == ' ' || end[1] == '\0')))
    end++;
  if (*end != '\0')
    end++;

  return g_strdup_printf ("%.*s (%u words)", (int) (end - text), text, n_words);
}

static void summarizer_next (GTask *task);

static void
summarizer_closed_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Summarizer *self = g_task_get_source_object (task);
  GError *error = NULL;

  g_clear_object (&self->stream);
  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Leaves run: the resource is closed whatever happened. Takes @task. */
static void
summarizer_end_run (GTask  *task,
                    GError *error)
{
  Summarizer *self = g_task_get_source_object (task);

  if (error != NULL)
    {
      /* Close, but report the first error. */
      g_output_stream_close (self->stream, NULL, NULL);
      g_clear_object (&self->stream);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_output_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL,
                               summarizer_closed_cb, task);
}

static void
summarizer_written_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      summarizer_end_run (task, error);
      return;
    }
  summarizer_next (task);
}

static void
summarizer_got_message_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  GTask *task = user_data;
  Summarizer *self = EXAMPLE_SUMMARIZER (source);
  GError *error = NULL;
  GValue *message = fluid_queue_consumer_get_message_finish (FLUID_QUEUE_CONSUMER (self),
                                                             result, &error);
  const char *text;

  if (error != NULL)
    {
      summarizer_end_run (task, error);
      return;
    }
  /* No message: the worker is stopping; the loop ends. */
  if (message == NULL)
    {
      summarizer_next (task);
      return;
    }

  text = G_VALUE_HOLDS_STRING (message) ? g_value_get_string (message) : NULL;
  if (text == NULL || *text == '\0')
    {
      /* The sentinel: end of input. */
      g_boxed_free (G_TYPE_VALUE, message);
      summarizer_end_run (task, NULL);
      return;
    }

  g_ptr_array_add (self->results, summarize (text));
  g_boxed_free (G_TYPE_VALUE, message);

  g_free (self->line);
  self->line = g_strconcat (g_ptr_array_index (self->results, self->results->len - 1), "\n", NULL);
  g_output_stream_write_all_async (self->stream, self->line, strlen (self->line),
                                   G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                   summarizer_written_cb, task);
}

/* One iteration of run's loop: while not stopping, take a message. */
static void
summarizer_next (GTask *task)
{
  Summarizer *self = g_task_get_source_object (task);

  if (fluid_worker_is_stopping (FLUID_WORKER (self)) || fluid_worker_is_stopped (FLUID_WORKER (self)))
    {
      summarizer_end_run (task, NULL);
      return;
    }
  fluid_queue_consumer_get_message_async (FLUID_QUEUE_CONSUMER (self), -1,
                                          g_task_get_cancellable (task),
                                          summarizer_got_message_cb, task);
}

static void
summarizer_opened_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  Summarizer *self = g_task_get_source_object (task);
  GError *error = NULL;
  GFileOutputStream *stream = g_file_replace_finish (G_FILE (source), result, &error);

  if (stream == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  self->stream = G_OUTPUT_STREAM (stream);
  summarizer_next (task);
}

/* run: open the resource for the whole loop (the `async with` of the
 * Python example), then take messages. */
static void
summarizer_run_async (FluidWorker         *worker,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  Summarizer *self = EXAMPLE_SUMMARIZER (worker);
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, summarizer_run_async);
  g_task_set_name (task, "summarizer run");
  g_file_replace_async (self->output, NULL, FALSE, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT,
                        cancellable, summarizer_opened_cb, task);
}

static gboolean
summarizer_run_finish (FluidWorker   *worker,
                       GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
summarizer_finalize (GObject *object)
{
  Summarizer *self = EXAMPLE_SUMMARIZER (object);

  g_clear_object (&self->output);
  g_clear_object (&self->stream);
  g_ptr_array_unref (self->results);
  g_free (self->line);

  G_OBJECT_CLASS (summarizer_parent_class)->finalize (object);
}

static void
summarizer_class_init (SummarizerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  object_class->finalize = summarizer_finalize;
  worker_class->run_async = summarizer_run_async;
  worker_class->run_finish = summarizer_run_finish;
}

static void
summarizer_init (Summarizer *self)
{
  self->results = g_ptr_array_new_with_free_func (g_free);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(Summarizer) worker = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (argc != 2)
    {
      g_printerr ("Usage: %s OUTPUT-FILE\n", argv[0]);
      return 2;
    }

  worker = g_object_new (EXAMPLE_TYPE_SUMMARIZER, NULL);
  worker->output = g_file_new_for_commandline_arg (argv[1]);

  fluid_worker_startup_async (FLUID_WORKER (worker), NULL, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (articles); i++)
    fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), articles[i]);
  fluid_queue_consumer_send_string (FLUID_QUEUE_CONSUMER (worker), "");  /* end of input */

  /* run returns at the sentinel. */
  fluid_worker_wait_for_shutdown_async (FLUID_WORKER (worker), NULL, done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  if (!fluid_worker_wait_for_shutdown_finish (FLUID_WORKER (worker), result, &error))
    {
      g_printerr ("summarizer failed: %s\n", error->message);
      return 1;
    }

  for (guint i = 0; i < worker->results->len; i++)
    g_print ("%s\n", (const char *) g_ptr_array_index (worker->results, i));

  return 0;
}
