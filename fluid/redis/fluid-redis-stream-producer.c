/* fluid-redis-stream-producer.c: adds entries to a Redis stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-stream-producer-private.h"
#include "fluid-redis-connection-private.h"
#include "fluid-redis-error.h"
#include "fluid-redis-log-private.h"
#include "fluid-redis-outbox-private.h"

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
 * (so an entry may be added twice, never lost silently). A transient
 * answer of the server (`LOADING`, `BUSY`, `READONLY` after a failover…)
 * is a lost connection too: the entry is sent again, not dropped. The
 * server's refusal of an entry (the key is not a stream, the server is
 * out of memory) ends the producer with the error (exit code 2): what it
 * refuses once it refuses for every entry.
 *
 * With #FluidRedisStreamProducer:min-replicas set, an entry counts as
 * added only once that many replicas hold it (`WAIT`, one for the entries
 * sent together): fluid_redis_stream_producer_add_async() completes then,
 * or fails with %FLUID_REDIS_ERROR_NOT_REPLICATED (the entry may be on
 * the primary only: the caller decides whether to add it again), and an
 * entry given to fluid_redis_stream_producer_send() is counted in
 * `not_replicated`. While there is no primary (a failover under way), an
 * add waits for one at most #FluidRedisStreamProducer:command-timeout,
 * then fails with %FLUID_REDIS_ERROR_CONNECTION. What replication cannot
 * promise even then is said in the chapter "Sharing work between
 * processes and machines".
 *
 * As #FluidRedisStreamConsumer does, the producer logs each outage of its
 * server once, as a warning naming the URI without its password, and its
 * end once, as a message, when the server takes an entry again (or
 * answers, when there is none to send); an error that ends it (a URI that does not
 * parse, a server that is not Redis or refuses it) ends it with exit code
 * 2 and is logged as a warning.
 *
 * The status adds `connected` (b), `reconnects` (u), `buffered` (u),
 * `sent`, `dropped` and `not_replicated` (t), and `last_error` (s) after
 * an error.
 *
 * Since: 1.2
 */

G_DEFINE_FINAL_TYPE (FluidRedisStreamProducer, fluid_redis_stream_producer, FLUID_TYPE_WORKER)

enum
{
  PROP_0,
  PROP_URI,
  PROP_STREAM,
  PROP_MAX_LEN,
  PROP_MAX_BUFFERED,
  PROP_MIN_REPLICAS,
  PROP_COMMAND_TIMEOUT,
  PROP_CONNECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void fluid_redis_stream_producer_pump (FluidRedisStreamProducer *self);

/* An entry not delivered: counted, and its task told. */
static void
fluid_redis_stream_producer_drop (FluidRedisStreamProducer *self,
                                  FluidRedisOutboxItem     *item,
                                  const GError             *error)
{
  self->dropped++;
  if (item->task != NULL)
    g_task_return_error (item->task, g_error_copy (error));
  fluid_redis_outbox_item_free (item);
}

void
fluid_redis_stream_producer_drop_all (FluidRedisStreamProducer *self,
                                      GPtrArray                *items,
                                      const GError             *error)
{
  for (guint i = 0; i < items->len; i++)
    fluid_redis_stream_producer_drop (self, g_ptr_array_index (items, i), error);
  g_ptr_array_unref (items);
}

static void
fluid_redis_stream_producer_set_last_error (FluidRedisStreamProducer *self,
                                            const GError             *error)
{
  g_free (self->last_error);
  self->last_error = g_strdup (error->message);
}

/* An add with min-replicas waits for a primary command-timeout at most,
 * counted from when it was queued by a running producer (or from the
 * start, for one queued before). */
static void
fluid_redis_stream_producer_set_deadline (FluidRedisStreamProducer *self,
                                          FluidRedisOutboxItem     *item)
{
  item->deadline = 0;
  if (item->task != NULL && self->min_replicas > 0)
    item->deadline = g_get_monotonic_time () + (gint64) (self->command_timeout * G_USEC_PER_SEC);
}

/* Queues @item, or drops it when the bound is reached or the producer has
 * stopped: FALSE then. */
static gboolean
fluid_redis_stream_producer_queue (FluidRedisStreamProducer *self,
                                   FluidRedisOutboxItem     *item)
{
  if (fluid_worker_is_stopped (FLUID_WORKER (self)))
    {
      g_autoptr(GError) error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_STOPPED,
                                             "%s has stopped", fluid_worker_get_name (FLUID_WORKER (self)));

      fluid_redis_stream_producer_drop (self, item, error);
      return FALSE;
    }
  if (self->max_buffered > 0 &&
      fluid_redis_stream_producer_get_buffered (self) >= self->max_buffered)
    {
      g_autoptr(GError) error = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_FAILED,
                                             "%s holds %u entries already (max-buffered)",
                                             fluid_worker_get_name (FLUID_WORKER (self)),
                                             self->max_buffered);

      fluid_redis_stream_producer_drop (self, item, error);
      return FALSE;
    }
  fluid_redis_stream_producer_set_deadline (self, item);
  fluid_redis_outbox_hold (&self->outbox, item);
  fluid_redis_stream_producer_pump (self);
  fluid_redis_stream_producer_watch_deadlines (self);
  return TRUE;
}

/* Run */

void
fluid_redis_stream_producer_clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

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
  fluid_redis_stream_producer_clear_source (&self->wait_source);
  fluid_redis_stream_producer_clear_source (&self->deadlines);
  fluid_redis_outage_clear (&self->outage);
  fluid_redis_stream_producer_drop_all (self, fluid_redis_outbox_take_all (&self->outbox), stopped);
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

void
fluid_redis_stream_producer_end_run_if_done (FluidRedisStreamProducer *self)
{
  if (self->stopping && fluid_redis_stream_producer_get_buffered (self) == 0)
    fluid_redis_stream_producer_end_run (self, NULL);
}

/* The server refused a command: what it refuses for one entry (the key
 * is not a stream, it is out of memory, an ACL) it refuses for all. */
void
fluid_redis_stream_producer_refused (FluidRedisStreamProducer *self,
                                     const GError             *error)
{
  GError *failed = g_error_new (error->domain, error->code, "Adding to “%s” failed: %s",
                                self->stream, error->message);

  fluid_redis_stream_producer_fail (self, failed);
}

void
fluid_redis_stream_producer_added (FluidRedisStreamProducer *self,
                                   FluidRedisOutboxItem     *item,
                                   const char               *id)
{
  self->sent++;
  if (item->task != NULL)
    g_task_return_pointer (item->task, g_strdup (id), g_free);
  fluid_redis_outbox_item_free (item);
}

/* Sending */

static void
fluid_redis_stream_producer_reply_cb (FluidRedisConnection *connection,
                                      redisReply           *reply,
                                      const GError         *error,
                                      gpointer              user_data)
{
  FluidRedisStreamProducer *self = user_data;
  FluidRedisOutboxItem *item = fluid_redis_outbox_answered (&self->outbox);
  g_autofree char *id = reply != NULL && reply->type == REDIS_REPLY_STRING
                          ? g_strndup (reply->str, reply->len) : NULL;

  if (id != NULL)
    fluid_redis_outage_up (&self->outage);
  if (id != NULL && item->sequence > 0)
    {
      fluid_redis_outbox_replicating (&self->outbox, item, id);
    }
  else if (id != NULL)
    {
      fluid_redis_stream_producer_added (self, item, id);
    }
  else if (g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION) ||
           g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_TIMEOUT))
    {
      /* Lost with the connection, or a transient answer: sent again once
       * it is back. */
      fluid_redis_outbox_retry (&self->outbox, item);
      return;
    }
  else
    {
      g_autoptr(GError) bad = NULL;

      if (error == NULL)
        bad = g_error_new_literal (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                                   "XADD did not return an id");

      fluid_redis_stream_producer_drop (self, item, error != NULL ? error : bad);
      fluid_redis_stream_producer_refused (self, error != NULL ? error : bad);
      return;
    }
  fluid_redis_stream_producer_pump (self);
  fluid_redis_stream_producer_end_run_if_done (self);
}

static void
fluid_redis_stream_producer_pump (FluidRedisStreamProducer *self)
{
  FluidRedisOutboxItem *item;

  if (self->connection == NULL || !fluid_redis_connection_is_ready (self->connection) ||
      self->finish_source != NULL)
    return;
  while (self->outbox.in_flight.length < FLUID_REDIS_PRODUCER_WINDOW &&
         (item = fluid_redis_outbox_peek (&self->outbox)) != NULL &&
         fluid_redis_connection_command_formatted (self->connection,
                                                   fluid_redis_stream_producer_reply_cb, self,
                                                   item->command, item->len))
    fluid_redis_outbox_sent (&self->outbox, self->min_replicas > 0);
  if (fluid_redis_outbox_wait_due (&self->outbox))
    fluid_redis_stream_producer_schedule_wait (self);
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
      fluid_redis_stream_producer_set_last_error (self, error);
      fluid_redis_outbox_lost (&self->outbox);
      if (g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL) ||
          g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER))
        {
          fluid_redis_stream_producer_fail (self, g_error_copy (error));
          return;
        }
      fluid_redis_stream_producer_watch_deadlines (self);
      fluid_redis_outage_down (&self->outage, error);
      if (self->was_connected)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
      return;
    }
  /* With entries to send, the outage ends at the first one added: a
   * server that answers CLUSTERDOWN or LOADING for a while lets us connect
   * many times before it serves us, and that is one outage. */
  fluid_redis_outage_reached (&self->outage);
  if (fluid_redis_outbox_get_held (&self->outbox) == 0)
    fluid_redis_outage_up (&self->outage);
  if (self->was_connected)
    self->reconnects++;
  self->was_connected = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  fluid_redis_stream_producer_watch_deadlines (self);
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
fluid_redis_stream_producer_run_async (FluidWorker        *worker,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data)
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
  self->stopping = FALSE;
  if (self->min_replicas > 0)
    fluid_redis_outbox_set_deadlines (&self->outbox,
                                      g_get_monotonic_time () +
                                      (gint64) (self->command_timeout * G_USEC_PER_SEC));
  fluid_redis_outage_init (&self->outage, worker, self->uri);
  self->connection = fluid_redis_connection_new (&address, self->stream, "producer",
                                                 self->command_timeout, FLUID_REDIS_CONNECTION_NONE,
                                                 fluid_redis_stream_producer_state_cb, self);
  fluid_redis_address_clear (&address);
  self->stopping_id = g_signal_connect (self, "stopping",
                                        G_CALLBACK (fluid_redis_stream_producer_stopping_cb), NULL);
  if (cancellable != NULL)
    self->cancelled_id = g_cancellable_connect (cancellable,
                                                G_CALLBACK (fluid_redis_stream_producer_cancelled_cb),
                                                self, NULL);
  fluid_redis_connection_start (self->connection);
  fluid_redis_stream_producer_watch_deadlines (self);
  if (!fluid_worker_is_running (worker))
    fluid_redis_stream_producer_stopping_cb (self);
}

static gboolean
fluid_redis_stream_producer_run_finish (FluidWorker  *worker,
                                        GAsyncResult *result,
                                        GError      **error)
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
  g_variant_dict_insert (&dict, "not_replicated", "t", self->not_replicated);
  if (self->last_error != NULL)
    g_variant_dict_insert (&dict, "last_error", "s", self->last_error);
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_dict_end (&dict)),
                         (GDestroyNotify) g_variant_unref);
}

static void
fluid_redis_stream_producer_status_async (FluidWorker        *worker,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data)
{
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_redis_stream_producer_status_async);
  g_task_set_name (task, "[fluid] redis stream producer status");
  FLUID_WORKER_CLASS (fluid_redis_stream_producer_parent_class)->status_async (worker, cancellable,
                                                                               fluid_redis_stream_producer_parent_status_cb,
                                                                               task);
}

static GVariant *
fluid_redis_stream_producer_status_finish (FluidWorker  *worker,
                                           GAsyncResult *result,
                                           GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GObject */

static void
fluid_redis_stream_producer_finalize (GObject *object)
{
  FluidRedisStreamProducer *self = FLUID_REDIS_STREAM_PRODUCER (object);
  GPtrArray *held = fluid_redis_outbox_take_all (&self->outbox);

  g_assert (self->run_task == NULL);
  /* Held by a producer that never started. */
  g_ptr_array_set_free_func (held, (GDestroyNotify) fluid_redis_outbox_item_free);
  g_ptr_array_unref (held);
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
    case PROP_MIN_REPLICAS:
      g_value_set_uint (value, self->min_replicas);
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
    case PROP_MIN_REPLICAS:
      fluid_redis_stream_producer_set_min_replicas (self, g_value_get_uint (value));
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
   * FluidRedisStreamProducer:min-replicas:
   *
   * How many replicas must hold an entry before it counts as added: after
   * the entries sent together, the producer asks the primary to `WAIT` for
   * that many replicas, #FluidRedisStreamProducer:command-timeout at most.
   * An entry they do not all confirm in time is not replicated
   * (%FLUID_REDIS_ERROR_NOT_REPLICATED for an add, `not_replicated` in the
   * status for a send): it may still be on the primary. 0, the default:
   * the primary's answer is enough.
   *
   * Replication stays asynchronous: `WAIT` makes a loss unlikely in a
   * failover, not impossible (see the chapter "Sharing work between
   * processes and machines").
   *
   * Since: 1.2
   */
  properties[PROP_MIN_REPLICAS] =
    g_param_spec_uint ("min-replicas", "Min replicas",
                       "Replicas that must hold an entry before it counts as added", 0, G_MAXINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamProducer:command-timeout:
   *
   * How long, in seconds, the server may take to answer before the
   * connection is taken for lost and made again; with
   * #FluidRedisStreamProducer:min-replicas, also how long the replicas may
   * take to confirm an entry, and how long an add waits for a primary.
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
  fluid_redis_outbox_init (&self->outbox);
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

static void
fluid_redis_stream_producer_queue_task (FluidRedisStreamProducer *self,
                                        FluidRedisOutboxItem     *item,
                                        gpointer                  source_tag,
                                        GCancellable             *cancellable,
                                        GAsyncReadyCallback       callback,
                                        gpointer                  user_data)
{
  item->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (item->task, source_tag);
  g_task_set_name (item->task, "[fluid] redis XADD");
  g_task_set_check_cancellable (item->task, TRUE);
  fluid_redis_stream_producer_queue (self, item);
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
  FluidRedisOutboxItem *item;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self));
  g_return_if_fail (fields != NULL && fluid_redis_outbox_fields_valid (fields));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  item = fluid_redis_outbox_item_new_strv (self->stream, self->max_len, fields);
  fluid_redis_stream_producer_queue_task (self, item, fluid_redis_stream_producer_add_async,
                                          cancellable, callback, user_data);
}

/**
 * fluid_redis_stream_producer_add_bytes_async:
 * @self: a #FluidRedisStreamProducer
 * @names: (array length=n_fields): the names of the fields
 * @values: (array length=n_fields): their values, any bytes
 * @n_fields: the number of fields, at least 1
 * @cancellable: (nullable): a #GCancellable (the entry may still be added
 *   after a cancellation: only the wait is cancelled)
 * @callback: (scope async) (closure user_data): called once the server added
 *   the entry, or it was dropped
 * @user_data: data for @callback
 *
 * As fluid_redis_stream_producer_add_async(), for values that are not
 * text.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_producer_add_bytes_async (FluidRedisStreamProducer *self,
                                             const char * const       *names,
                                             GBytes * const           *values,
                                             guint                     n_fields,
                                             GCancellable             *cancellable,
                                             GAsyncReadyCallback       callback,
                                             gpointer                  user_data)
{
  FluidRedisOutboxItem *item;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  item = fluid_redis_outbox_item_new_bytes (self->stream, self->max_len, names, values, n_fields);
  if (item != NULL)
    fluid_redis_stream_producer_queue_task (self, item, fluid_redis_stream_producer_add_bytes_async,
                                            cancellable, callback, user_data);
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
 *   %FLUID_REDIS_ERROR_SERVER: the server refused it, and the producer
 *   stops; %FLUID_REDIS_ERROR_NOT_REPLICATED: fewer than
 *   #FluidRedisStreamProducer:min-replicas replicas confirmed it in time,
 *   though the primary may hold it; %FLUID_REDIS_ERROR_CONNECTION: with
 *   #FluidRedisStreamProducer:min-replicas, no primary took it within
 *   #FluidRedisStreamProducer:command-timeout)
 *
 * Since: 1.2
 */
char *
fluid_redis_stream_producer_add_finish (FluidRedisStreamProducer *self,
                                        GAsyncResult             *result,
                                        GError                  **error)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, fluid_redis_stream_producer_add_async),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * fluid_redis_stream_producer_add_bytes_finish:
 * @self: a #FluidRedisStreamProducer
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Finishes fluid_redis_stream_producer_add_bytes_async(), as
 * fluid_redis_stream_producer_add_finish() does its text twin.
 *
 * Returns: (transfer full): the id the server gave the entry, or %NULL
 *   with @error set when it was not added
 *
 * Since: 1.2
 */
char *
fluid_redis_stream_producer_add_bytes_finish (FluidRedisStreamProducer *self,
                                              GAsyncResult             *result,
                                              GError                  **error)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result,
                                                  fluid_redis_stream_producer_add_bytes_async),
                        NULL);
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
  g_return_val_if_fail (fields != NULL && fluid_redis_outbox_fields_valid (fields), FALSE);

  return fluid_redis_stream_producer_queue (self, fluid_redis_outbox_item_new_strv (self->stream,
                                                                                    self->max_len,
                                                                                    fields));
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
  FluidRedisOutboxItem *item;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), FALSE);

  item = fluid_redis_outbox_item_new_bytes (self->stream, self->max_len, names, values, n_fields);
  return item != NULL && fluid_redis_stream_producer_queue (self, item);
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
 * fluid_redis_stream_producer_get_min_replicas:
 * @self: a #FluidRedisStreamProducer
 *
 * Gets #FluidRedisStreamProducer:min-replicas.
 *
 * Returns: the replicas that must hold an entry, 0 for none
 *
 * Since: 1.2
 */
guint
fluid_redis_stream_producer_get_min_replicas (FluidRedisStreamProducer *self)
{
  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self), 0);

  return self->min_replicas;
}

/**
 * fluid_redis_stream_producer_set_min_replicas:
 * @self: a #FluidRedisStreamProducer
 * @min_replicas: the replicas that must hold an entry, 0 for none
 *
 * Sets #FluidRedisStreamProducer:min-replicas, for the entries sent next.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_producer_set_min_replicas (FluidRedisStreamProducer *self,
                                              guint                     min_replicas)
{
  g_return_if_fail (FLUID_REDIS_IS_STREAM_PRODUCER (self));
  g_return_if_fail (min_replicas <= G_MAXINT);

  if (self->min_replicas == min_replicas)
    return;
  self->min_replicas = min_replicas;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MIN_REPLICAS]);
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

  return fluid_redis_outbox_get_held (&self->outbox);
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
