/* fluid-redis-stream-producer.c: adds entries to a Redis stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-stream-producer.h"
#include "fluid-redis-connection-private.h"
#include "fluid-redis-error.h"
#include "fluid-redis-log-private.h"

#include <string.h>

/**
 * SECTION:fluid-redis-stream-producer
 * @short_description: A worker adding entries to a Redis stream
 * @title: FluidRedisStreamProducer
 * @see_also: #FluidRedisStreamConsumer
 *
 * A #FluidRedisStreamProducer adds entries to a Redis stream (`XADD`, with
 * `MAXLEN ~` when #FluidRedisStreamProducer:max-len is set). It is a
 * #FluidWorker, so that its connection has a lifecycle on a context like
 * the consumers it feeds: it connects when it starts, makes its connection
 * again with backoff when it is lost, and a graceful stop lets it deliver
 * what it holds (within the grace period) before it stops.
 *
 * Two ways to add an entry, both from the worker's context, both given the
 * fields as a %NULL-terminated array of names and values, alternately:
 *
 * - fluid_redis_stream_producer_add_async() completes with the entry's id
 *   once the server added it, or with an error;
 * - fluid_redis_stream_producer_send() never blocks and never waits: the
 *   entry is sent at once when connected, and kept meanwhile otherwise, up
 *   to #FluidRedisStreamProducer:max-buffered entries held (sent and not
 *   yet confirmed included). An entry beyond that bound, sent to a stopped
 *   producer, refused by the server or still held when the producer stops,
 *   is not delivered: it is counted in the `dropped` key of the status.
 *
 * Entries added before the producer starts are held until it connects.
 * An entry whose confirmation was lost with the connection is sent again
 * (so an entry may be added twice, never lost silently).
 *
 * As #FluidRedisStreamConsumer does, the producer logs each outage of its
 * server once, as a warning naming the URI without its password, and its
 * end once, as a message; an error that ends it (a URI that does not
 * parse, a server that is not Redis or refuses it) ends it with exit code
 * 2 and is logged as a warning.
 *
 * The status adds `connected` (b), `reconnects` (u), `buffered` (u),
 * `sent` and `dropped` (t), and `last_error` (s) after an error.
 *
 * Since: 1.2
 */

/* Sent at most at once, so that the confirmations pace the producer. */
#define FLUID_REDIS_PRODUCER_WINDOW 1024

typedef struct
{
  char  *command;  /* RESP, from redisFormatCommandArgv */
  gsize  len;
  GTask *task;     /* nullable: send() has none */
} Item;

/* Every field belongs to the worker's context. */
struct _FluidRedisStreamProducer
{
  FluidWorker           parent_instance;

  char                 *uri;
  char                 *stream;
  guint                 max_len;
  guint                 max_buffered;
  double                command_timeout;

  GQueue                buffer;     /* Item, not sent yet */
  GQueue                in_flight;  /* Item, sent, in order */
  GQueue                retry;      /* Item, whose confirmation was lost */

  GTask                *run_task;
  FluidRedisConnection *connection;
  GSource              *finish_source;
  GError               *finish_error;
  gulong                stopping_id;
  gulong                cancelled_id;
  gboolean              stopping;
  gboolean              was_connected;
  FluidRedisOutage      outage;

  guint64               sent;
  guint64               dropped;
  guint                 reconnects;
  char                 *last_error;
};

G_DEFINE_FINAL_TYPE (FluidRedisStreamProducer, fluid_redis_stream_producer, FLUID_TYPE_WORKER)

enum
{
  PROP_0,
  PROP_URI,
  PROP_STREAM,
  PROP_MAX_LEN,
  PROP_MAX_BUFFERED,
  PROP_COMMAND_TIMEOUT,
  PROP_CONNECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void fluid_redis_stream_producer_pump (FluidRedisStreamProducer *self);

static void
item_free (Item *item)
{
  redisFreeCommand (item->command);
  g_clear_object (&item->task);
  g_free (item);
}

/* An entry not delivered: counted, and its task told. */
static void
fluid_redis_stream_producer_drop (FluidRedisStreamProducer *self,
                                  Item                     *item,
                                  const GError             *error)
{
  self->dropped++;
  if (item->task != NULL)
    g_task_return_error (item->task, g_error_copy (error));
  item_free (item);
}

static void
fluid_redis_stream_producer_drop_all (FluidRedisStreamProducer *self,
                                      GQueue                   *queue,
                                      const GError             *error)
{
  Item *item;

  while ((item = g_queue_pop_head (queue)) != NULL)
    fluid_redis_stream_producer_drop (self, item, error);
}

static Item *
fluid_redis_stream_producer_format (FluidRedisStreamProducer *self,
                                    guint                     n_fields,
                                    const char * const       *names,
                                    const char * const       *values,
                                    const size_t             *value_lens)
{
  g_autofree const char **argv = g_new (const char *, 2 * n_fields + 6);
  g_autofree size_t *lens = g_new (size_t, 2 * n_fields + 6);
  g_autofree char *max_len = g_strdup_printf ("%u", self->max_len);
  Item *item = g_new0 (Item, 1);
  long long len;
  int argc = 0;

#define ADD(s, l) G_STMT_START { argv[argc] = (s); lens[argc] = (l); argc++; } G_STMT_END
  ADD ("XADD", 4);
  ADD (self->stream, strlen (self->stream));
  if (self->max_len > 0)
    {
      ADD ("MAXLEN", 6);
      ADD ("~", 1);
      ADD (max_len, strlen (max_len));
    }
  ADD ("*", 1);
  for (guint i = 0; i < n_fields; i++)
    {
      ADD (names[i], strlen (names[i]));
      ADD (values[i], value_lens[i]);
    }
#undef ADD
  len = redisFormatCommandArgv (&item->command, argc, argv, lens);
  if (len < 0)
    g_error ("Out of memory");
  item->len = (gsize) len;
  return item;
}

/* Queues @item, or drops it when the bound is reached or the producer has
 * stopped: FALSE then. */
static gboolean
fluid_redis_stream_producer_queue (FluidRedisStreamProducer *self,
                                   Item                     *item)
{
  if (fluid_worker_is_stopped (FLUID_WORKER (self)))
    {
      g_autoptr(GError) error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED,
                                             "%s has stopped", fluid_worker_get_name (FLUID_WORKER (self)));

      fluid_redis_stream_producer_drop (self, item, error);
      return FALSE;
    }
  if (self->max_buffered > 0 &&
      self->buffer.length + self->in_flight.length + self->retry.length >= self->max_buffered)
    {
      g_autoptr(GError) error = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_FAILED,
                                             "%s holds %u entries already (max-buffered)",
                                             fluid_worker_get_name (FLUID_WORKER (self)),
                                             self->max_buffered);

      fluid_redis_stream_producer_drop (self, item, error);
      return FALSE;
    }
  g_queue_push_tail (&self->buffer, item);
  fluid_redis_stream_producer_pump (self);
  return TRUE;
}

/* Run */

static gboolean
fluid_redis_stream_producer_end_run_cb (gpointer user_data)
{
  FluidRedisStreamProducer *self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->run_task);
  GError *error = g_steal_pointer (&self->finish_error);
  g_autoptr(GError) stopped = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED,
                                           "%s stopped before the entry was added",
                                           fluid_worker_get_name (FLUID_WORKER (self)));

  g_clear_pointer (&self->finish_source, g_source_unref);
  g_clear_signal_handler (&self->stopping_id, self);
  if (self->cancelled_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), self->cancelled_id);
      self->cancelled_id = 0;
    }
  g_clear_pointer (&self->connection, fluid_redis_connection_free);
  fluid_redis_outage_clear (&self->outage);
  fluid_redis_stream_producer_drop_all (self, &self->retry, stopped);
  fluid_redis_stream_producer_drop_all (self, &self->in_flight, stopped);
  fluid_redis_stream_producer_drop_all (self, &self->buffer, stopped);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
fluid_redis_stream_producer_end_run (FluidRedisStreamProducer *self,
                                    GError                   *error)
{
  if (self->run_task == NULL || self->finish_source != NULL)
    {
      g_clear_error (&error);
      return;
    }
  self->finish_error = error;
  self->finish_source = g_idle_source_new ();
  g_source_set_priority (self->finish_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->finish_source, fluid_redis_stream_producer_end_run_cb, self, NULL);
  g_source_set_name (self->finish_source, "[fluid] redis producer end of run");
  g_source_attach (self->finish_source, g_task_get_context (self->run_task));
}

static void
fluid_redis_stream_producer_set_last_error (FluidRedisStreamProducer *self,
                                            const GError             *error)
{
  g_free (self->last_error);
  self->last_error = g_strdup (error->message);
}

/* Ends the run with @error (taken), said once as a warning. */
static void
fluid_redis_stream_producer_fail (FluidRedisStreamProducer *self,
                                  GError                   *error)
{
  fluid_redis_stream_producer_set_last_error (self, error);
  if (self->run_task != NULL && self->finish_source == NULL)
    fluid_redis_log_failure (FLUID_WORKER (self), error);
  fluid_redis_stream_producer_end_run (self, error);
}

static void
fluid_redis_stream_producer_end_run_if_done (FluidRedisStreamProducer *self)
{
  if (self->stopping && self->buffer.length == 0 && self->in_flight.length == 0 &&
      self->retry.length == 0)
    fluid_redis_stream_producer_end_run (self, NULL);
}

static void
fluid_redis_stream_producer_reply_cb (FluidRedisConnection *connection,
                                      redisReply           *reply,
                                      const GError         *error,
                                      gpointer              user_data)
{
  FluidRedisStreamProducer *self = user_data;
  Item *item = g_queue_pop_head (&self->in_flight);

  g_assert (item != NULL);
  if (reply != NULL && reply->type == REDIS_REPLY_STRING)
    {
      self->sent++;
      if (item->task != NULL)
        g_task_return_pointer (item->task, g_strndup (reply->str, reply->len), g_free);
      item_free (item);
    }
  else if (error != NULL && g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER))
    {
      g_message ("%s: the server refused an entry: %s",
                 fluid_worker_get_name (FLUID_WORKER (self)), error->message);
      fluid_redis_stream_producer_drop (self, item, error);
    }
  else if (error != NULL)
    {
      /* Lost with the connection: sent again once it is back. */
      g_queue_push_tail (&self->retry, item);
      return;
    }
  else
    {
      g_autoptr(GError) bad = g_error_new_literal (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                                                   "XADD did not return an id");

      fluid_redis_stream_producer_drop (self, item, bad);
    }
  fluid_redis_stream_producer_pump (self);
  fluid_redis_stream_producer_end_run_if_done (self);
}

static void
fluid_redis_stream_producer_pump (FluidRedisStreamProducer *self)
{
  if (self->connection == NULL || !fluid_redis_connection_is_ready (self->connection))
    return;
  while (self->buffer.length > 0 && self->in_flight.length < FLUID_REDIS_PRODUCER_WINDOW)
    {
      Item *item = g_queue_peek_head (&self->buffer);

      if (!fluid_redis_connection_command_formatted (self->connection,
                                                     fluid_redis_stream_producer_reply_cb, self,
                                                     item->command, item->len))
        return;
      g_queue_pop_head (&self->buffer);
      g_queue_push_tail (&self->in_flight, item);
    }
}

static void
fluid_redis_stream_producer_state_cb (FluidRedisConnection *connection,
                                      gboolean              ready,
                                      const GError         *error,
                                      gpointer              user_data)
{
  FluidRedisStreamProducer *self = user_data;

  if (!ready)
    {
      Item *item;

      /* What was on the wire goes first again, in order. */
      while ((item = g_queue_pop_tail (&self->retry)) != NULL)
        g_queue_push_head (&self->buffer, item);
      if (g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL) ||
          g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER))
        {
          fluid_redis_stream_producer_fail (self, g_error_copy (error));
          return;
        }
      fluid_redis_stream_producer_set_last_error (self, error);
      fluid_redis_outage_down (&self->outage, error);
      if (self->was_connected)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
      return;
    }
  fluid_redis_outage_up (&self->outage);
  if (self->was_connected)
    self->reconnects++;
  self->was_connected = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  fluid_redis_stream_producer_pump (self);
  fluid_redis_stream_producer_end_run_if_done (self);
}

static void
fluid_redis_stream_producer_stopping_cb (FluidRedisStreamProducer *self)
{
  self->stopping = TRUE;
  fluid_redis_stream_producer_end_run_if_done (self);
}

static void
fluid_redis_stream_producer_cancelled_cb (GCancellable *cancellable,
                                          gpointer      user_data)
{
  fluid_redis_stream_producer_end_run (user_data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                                      "The producer was cancelled"));
}

static void
fluid_redis_stream_producer_run_async (FluidWorker         *worker,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  FluidRedisStreamProducer *self = FLUID_REDIS_STREAM_PRODUCER (worker);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  FluidRedisAddress address;
  GError *error = NULL;

  g_task_set_source_tag (task, fluid_redis_stream_producer_run_async);
  g_task_set_name (task, "[fluid] redis stream producer run");
  if (!fluid_redis_address_parse (self->uri, &address, &error))
    {
      fluid_redis_stream_producer_set_last_error (self, error);
      fluid_redis_log_failure (worker, error);
      g_task_return_error (task, error);
      return;
    }
  self->run_task = g_steal_pointer (&task);
  fluid_redis_outage_init (&self->outage, worker, self->uri);
  self->connection = fluid_redis_connection_new (&address, "producer", self->command_timeout,
                                                 fluid_redis_stream_producer_state_cb, self);
  fluid_redis_address_clear (&address);
  self->stopping_id = g_signal_connect (self, "stopping",
                                        G_CALLBACK (fluid_redis_stream_producer_stopping_cb), NULL);
  if (cancellable != NULL)
    self->cancelled_id = g_cancellable_connect (cancellable,
                                                G_CALLBACK (fluid_redis_stream_producer_cancelled_cb),
                                                self, NULL);
  fluid_redis_connection_start (self->connection);
  if (!fluid_worker_is_running (worker))
    fluid_redis_stream_producer_stopping_cb (self);
}

static gboolean
fluid_redis_stream_producer_run_finish (FluidWorker   *worker,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, fluid_redis_stream_producer_run_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Its connection (see fluid_worker_collect_metrics()). */
static void
fluid_redis_stream_producer_add_metrics (FluidWorker  *worker,
                                         FluidMetrics *metrics,
                                         const char   *path)
{
  FluidRedisStreamProducer *self = FLUID_REDIS_STREAM_PRODUCER (worker);

  fluid_metrics_add (metrics, "fluid_redis_connected", path, NULL, NULL,
                     fluid_redis_stream_producer_is_connected (self) ? 1 : 0);
  fluid_metrics_add (metrics, "fluid_redis_reconnects_total", path, NULL, NULL, self->reconnects);
}

static void
fluid_redis_stream_producer_parent_status_cb (GObject      *source,
                                              GAsyncResult *result,
                                              gpointer      user_data)
{
  FluidRedisStreamProducer *self = FLUID_REDIS_STREAM_PRODUCER (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) parent_status = NULL;
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  GError *error = NULL;

  parent_status = FLUID_WORKER_CLASS (fluid_redis_stream_producer_parent_class)->status_finish (FLUID_WORKER (self),
                                                                                                 result, &error);
  if (parent_status == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_variant_dict_init (&dict, parent_status);
  g_variant_dict_insert (&dict, "connected", "b", fluid_redis_stream_producer_is_connected (self));
  g_variant_dict_insert (&dict, "reconnects", "u", self->reconnects);
  g_variant_dict_insert (&dict, "buffered", "u", fluid_redis_stream_producer_get_buffered (self));
  g_variant_dict_insert (&dict, "sent", "t", self->sent);
  g_variant_dict_insert (&dict, "dropped", "t", self->dropped);
  if (self->last_error != NULL)
    g_variant_dict_insert (&dict, "last_error", "s", self->last_error);
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_dict_end (&dict)),
                         (GDestroyNotify) g_variant_unref);
}

static void
fluid_redis_stream_producer_status_async (FluidWorker         *worker,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_redis_stream_producer_status_async);
  g_task_set_name (task, "[fluid] redis stream producer status");
  FLUID_WORKER_CLASS (fluid_redis_stream_producer_parent_class)->status_async (worker, cancellable,
                                                                               fluid_redis_stream_producer_parent_status_cb,
                                                                               task);
}

static GVariant *
fluid_redis_stream_producer_status_finish (FluidWorker   *worker,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GObject */

static void
fluid_redis_stream_producer_finalize (GObject *object)
{
  FluidRedisStreamProducer *self = FLUID_REDIS_STREAM_PRODUCER (object);

  g_assert (self->run_task == NULL);
  /* Held by a producer that never started. */
  g_queue_clear_full (&self->buffer, (GDestroyNotify) item_free);
  g_free (self->uri);
  g_free (self->stream);
  g_free (self->last_error);

  G_OBJECT_CLASS (fluid_redis_stream_producer_parent_class)->finalize (object);
}

static void
fluid_redis_stream_producer_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  FluidRedisStreamProducer *self = FLUID_REDIS_STREAM_PRODUCER (object);

  switch (prop_id)
    {
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_STREAM:
      g_value_set_string (value, self->stream);
      break;
    case PROP_MAX_LEN:
      g_value_set_uint (value, self->max_len);
      break;
    case PROP_MAX_BUFFERED:
      g_value_set_uint (value, self->max_buffered);
      break;
    case PROP_COMMAND_TIMEOUT:
      g_value_set_double (value, self->command_timeout);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, fluid_redis_stream_producer_is_connected (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_redis_stream_producer_set_property (GObject      *object,
                                          guint         prop_id,
                                          const GValue *value,
                                          GParamSpec   *pspec)
{
  FluidRedisStreamProducer *self = FLUID_REDIS_STREAM_PRODUCER (object);

  switch (prop_id)
    {
    case PROP_URI:
      self->uri = g_value_dup_string (value);
      break;
    case PROP_STREAM:
      self->stream = g_value_dup_string (value);
      break;
    case PROP_MAX_LEN:
      fluid_redis_stream_producer_set_max_len (self, g_value_get_uint (value));
      break;
    case PROP_MAX_BUFFERED:
      fluid_redis_stream_producer_set_max_buffered (self, g_value_get_uint (value));
      break;
    case PROP_COMMAND_TIMEOUT:
      self->command_timeout = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_redis_stream_producer_class_init (FluidRedisStreamProducerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  /* hiredis writes with write(): a server that went away would kill the
   * process with SIGPIPE. GSocket ignores SIGPIPE process-wide for that
   * same reason when its class is made; so do these, through it. */
  g_type_class_unref (g_type_class_ref (G_TYPE_SOCKET));

  object_class->finalize = fluid_redis_stream_producer_finalize;
  object_class->get_property = fluid_redis_stream_producer_get_property;
  object_class->set_property = fluid_redis_stream_producer_set_property;

  worker_class->run_async = fluid_redis_stream_producer_run_async;
  worker_class->run_finish = fluid_redis_stream_producer_run_finish;
  worker_class->add_metrics = fluid_redis_stream_producer_add_metrics;
  worker_class->status_async = fluid_redis_stream_producer_status_async;
  worker_class->status_finish = fluid_redis_stream_producer_status_finish;

  /**
   * FluidRedisStreamProducer:uri:
   *
   * Where the Redis server is, as #FluidRedisStreamConsumer:uri says.
   *
   * Since: 1.2
   */
  properties[PROP_URI] =
    g_param_spec_string ("uri", "URI",
                         "Where the Redis server is", "redis://localhost:6379/0",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamProducer:stream:
   *
   * The key of the stream.
   *
   * Since: 1.2
   */
  properties[PROP_STREAM] =
    g_param_spec_string ("stream", "Stream",
                         "The key of the stream", NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamProducer:max-len:
   *
   * When not 0, each `XADD` trims the stream to about this many entries
   * (`MAXLEN ~`). Trimming drops the oldest entries, acknowledged or not:
   * keep it well above what the consumers may hold.
   *
   * Since: 1.2
   */
  properties[PROP_MAX_LEN] =
    g_param_spec_uint ("max-len", "Max len",
                       "The approximate length the stream is trimmed to (0: none)", 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamProducer:max-buffered:
   *
   * How many entries the producer holds at most (waiting for the
   * connection, or sent and not yet confirmed); what comes beyond is
   * dropped and counted. 0: no bound.
   *
   * Since: 1.2
   */
  properties[PROP_MAX_BUFFERED] =
    g_param_spec_uint ("max-buffered", "Max buffered",
                       "The most entries held while not delivered (0: no bound)", 0, G_MAXUINT, 100000,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamProducer:command-timeout:
   *
   * How long, in seconds, the server may take to answer before the
   * connection is taken for lost and made again.
   *
   * Since: 1.2
   */
  properties[PROP_COMMAND_TIMEOUT] =
    g_param_spec_double ("command-timeout", "Command timeout",
                         "Seconds the server may take to answer a command", 0.001, G_MAXDOUBLE, 10,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamProducer:connected:
   *
   * Whether the running producer is connected to its server.
   *
   * Since: 1.2
   */
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", "Connected",
                          "Whether the running worker is connected", FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fluid_redis_stream_producer_init (FluidRedisStreamProducer *self)
{
  self->max_buffered = 100000;
  self->command_timeout = 10;
  g_queue_init (&self->buffer);
  g_queue_init (&self->in_flight);
  g_queue_init (&self->retry);
}

/**
 * fluid_redis_stream_producer_new:
 * @uri: where the server is (see #FluidRedisStreamProducer:uri)
 * @stream: the stream's key
 *
 * A producer of entries for @stream; start it as any worker.
 *
 * Returns: (transfer full): a new producer, in state INIT
 *
 * Since: 1.2
 */
FluidRedisStreamProducer *
fluid_redis_stream_producer_new (const char *uri,
                                 const char *stream)
{
  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (stream != NULL && *stream != '\0', NULL);

  return g_object_new (FLUID_REDIS_TYPE_STREAM_PRODUCER, "uri", uri, "stream", stream, NULL);
}

static gboolean
fluid_redis_fields_valid (const char * const *fields)
{
  guint n = g_strv_length ((char **) fields);

  return n > 0 && n % 2 == 0;
}

static Item *
fluid_redis_stream_producer_format_strv (FluidRedisStreamProducer *self,
                                         const char * const       *fields)
{
  guint n = g_strv_length ((char **) fields) / 2;
  g_autofree const char **names = g_new (const char *, n);
  g_autofree const char **values = g_new (const char *, n);
  g_autofree size_t *lens = g_new (size_t, n);

  for (guint i = 0; i < n; i++)
    {
      names[i] = fields[2 * i];
      values[i] = fields[2 * i + 1];
      lens[i] = strlen (values[i]);
    }
  return fluid_redis_stream_producer_format (self, n, names, values, lens);
}

/**
 * fluid_redis_stream_producer_add_async:
 * @self: a #FluidRedisStreamProducer
 * @fields: (array zero-terminated=1): names and values, alternately: an
 *   even, positive number of strings
 * @cancellable: (nullable): a #GCancellable (the entry may still be added
 *   after a cancellation: only the wait is cancelled)
 * @callback: (scope async) (closure user_data): called once the server added
 *   the entry, or it was dropped
 * @user_data: data for @callback
 *
 * Adds an entry to the stream. The callback runs on the producer's
 * context, never inside this call.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_producer_add_async (FluidRedisStreamProducer *self,
                                       const char * const       *fields,
                                       GCancellable             *cancellable,
                                       GAsyncReadyCallback       callback,
                                       gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;
  Item *item;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self));
  g_return_if_fail (fields != NULL && fluid_redis_fields_valid (fields));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_redis_stream_producer_add_async);
  g_task_set_name (task, "[fluid] redis XADD");
  g_task_set_check_cancellable (task, TRUE);
  item = fluid_redis_stream_producer_format_strv (self, fields);
  item->task = g_steal_pointer (&task);
  fluid_redis_stream_producer_queue (self, item);
}

/**
 * fluid_redis_stream_producer_add_finish:
 * @self: a #FluidRedisStreamProducer
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Finishes fluid_redis_stream_producer_add_async().
 *
 * Returns: (transfer full): the id the server gave the entry, or %NULL
 *   with @error set when it was not added (%FLUID_WORKER_ERROR_STOPPED: the
 *   producer stopped first; %FLUID_REDIS_ERROR_FAILED: the producer held
 *   #FluidRedisStreamProducer:max-buffered entries already;
 *   %FLUID_REDIS_ERROR_SERVER: the server refused it)
 *
 * Since: 1.2
 */
char *
fluid_redis_stream_producer_add_finish (FluidRedisStreamProducer  *self,
                                        GAsyncResult              *result,
                                        GError                   **error)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * fluid_redis_stream_producer_send:
 * @self: a #FluidRedisStreamProducer
 * @fields: (array zero-terminated=1): names and values, alternately: an
 *   even, positive number of strings
 *
 * Adds an entry to the stream without waiting: it never blocks. The entry
 * is sent at once when the producer is connected, and held otherwise, up
 * to #FluidRedisStreamProducer:max-buffered entries.
 *
 * Returns: %TRUE when the entry was taken; %FALSE when it was dropped at
 *   once (the producer holds too many, or has stopped), which the status
 *   counts in `dropped`
 *
 * Since: 1.2
 */
gboolean
fluid_redis_stream_producer_send (FluidRedisStreamProducer *self,
                                  const char * const       *fields)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), FALSE);
  g_return_val_if_fail (fields != NULL && fluid_redis_fields_valid (fields), FALSE);

  return fluid_redis_stream_producer_queue (self, fluid_redis_stream_producer_format_strv (self, fields));
}

/**
 * fluid_redis_stream_producer_send_bytes:
 * @self: a #FluidRedisStreamProducer
 * @names: (array length=n_fields): the names of the fields
 * @values: (array length=n_fields): their values, any bytes
 * @n_fields: the number of fields, at least 1
 *
 * As fluid_redis_stream_producer_send(), for values that are not text.
 *
 * Returns: %TRUE when the entry was taken, %FALSE when it was dropped
 *
 * Since: 1.2
 */
gboolean
fluid_redis_stream_producer_send_bytes (FluidRedisStreamProducer *self,
                                        const char * const       *names,
                                        GBytes * const           *values,
                                        guint                     n_fields)
{
  g_autofree const char **data = NULL;
  g_autofree size_t *lens = NULL;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), FALSE);
  g_return_val_if_fail (names != NULL && values != NULL && n_fields > 0, FALSE);

  data = g_new (const char *, n_fields);
  lens = g_new (size_t, n_fields);
  for (guint i = 0; i < n_fields; i++)
    {
      g_return_val_if_fail (names[i] != NULL && values[i] != NULL, FALSE);
      data[i] = g_bytes_get_data (values[i], &lens[i]);
      if (data[i] == NULL)
        data[i] = "";
    }
  return fluid_redis_stream_producer_queue (self,
                                            fluid_redis_stream_producer_format (self, n_fields, names,
                                                                                data, lens));
}

/**
 * fluid_redis_stream_producer_get_uri:
 * @self: a #FluidRedisStreamProducer
 *
 * Gets #FluidRedisStreamProducer:uri.
 *
 * Returns: the server's URI
 *
 * Since: 1.2
 */
const char *
fluid_redis_stream_producer_get_uri (FluidRedisStreamProducer *self)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), NULL);

  return self->uri;
}

/**
 * fluid_redis_stream_producer_get_stream:
 * @self: a #FluidRedisStreamProducer
 *
 * Gets #FluidRedisStreamProducer:stream.
 *
 * Returns: the stream's key
 *
 * Since: 1.2
 */
const char *
fluid_redis_stream_producer_get_stream (FluidRedisStreamProducer *self)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), NULL);

  return self->stream;
}

/**
 * fluid_redis_stream_producer_get_max_len:
 * @self: a #FluidRedisStreamProducer
 *
 * Gets #FluidRedisStreamProducer:max-len.
 *
 * Returns: the approximate length the stream is trimmed to, 0 for none
 *
 * Since: 1.2
 */
guint
fluid_redis_stream_producer_get_max_len (FluidRedisStreamProducer *self)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), 0);

  return self->max_len;
}

/**
 * fluid_redis_stream_producer_set_max_len:
 * @self: a #FluidRedisStreamProducer
 * @max_len: the approximate length to trim the stream to, 0 for none
 *
 * Sets #FluidRedisStreamProducer:max-len, for the entries added next.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_producer_set_max_len (FluidRedisStreamProducer *self,
                                         guint                     max_len)
{
  g_return_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self));

  if (self->max_len == max_len)
    return;
  self->max_len = max_len;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LEN]);
}

/**
 * fluid_redis_stream_producer_get_max_buffered:
 * @self: a #FluidRedisStreamProducer
 *
 * Gets #FluidRedisStreamProducer:max-buffered.
 *
 * Returns: the most entries held, 0 for no bound
 *
 * Since: 1.2
 */
guint
fluid_redis_stream_producer_get_max_buffered (FluidRedisStreamProducer *self)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), 0);

  return self->max_buffered;
}

/**
 * fluid_redis_stream_producer_set_max_buffered:
 * @self: a #FluidRedisStreamProducer
 * @max_buffered: the most entries held, 0 for no bound
 *
 * Sets #FluidRedisStreamProducer:max-buffered.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_producer_set_max_buffered (FluidRedisStreamProducer *self,
                                              guint                     max_buffered)
{
  g_return_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self));

  if (self->max_buffered == max_buffered)
    return;
  self->max_buffered = max_buffered;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BUFFERED]);
}

/**
 * fluid_redis_stream_producer_get_buffered:
 * @self: a #FluidRedisStreamProducer
 *
 * The number of entries the producer holds: not sent yet, or sent and not
 * yet confirmed.
 *
 * Returns: the number of entries held
 *
 * Since: 1.2
 */
guint
fluid_redis_stream_producer_get_buffered (FluidRedisStreamProducer *self)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), 0);

  return self->buffer.length + self->in_flight.length + self->retry.length;
}

/**
 * fluid_redis_stream_producer_get_dropped:
 * @self: a #FluidRedisStreamProducer
 *
 * The number of entries that were not delivered (the `dropped` key of the
 * status).
 *
 * Returns: the number of entries dropped
 *
 * Since: 1.2
 */
guint64
fluid_redis_stream_producer_get_dropped (FluidRedisStreamProducer *self)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), 0);

  return self->dropped;
}

/**
 * fluid_redis_stream_producer_is_connected:
 * @self: a #FluidRedisStreamProducer
 *
 * Gets #FluidRedisStreamProducer:connected.
 *
 * Returns: whether the running producer is connected
 *
 * Since: 1.2
 */
gboolean
fluid_redis_stream_producer_is_connected (FluidRedisStreamProducer *self)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), FALSE);

  return self->connection != NULL && fluid_redis_connection_is_ready (self->connection);
}
