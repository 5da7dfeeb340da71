/* fluid-redis-stream-consumer.c: a worker that consumes a Redis stream as
 * a member of a consumer group
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-stream-consumer.h"
#include "fluid-redis-connection-private.h"
#include "fluid-redis-error.h"
#include "fluid-redis-reply-private.h"
#include "fluid-redis-router-private.h"
#include "fluid-redis-stream-consumer-private.h"

#include <string.h>
#include <unistd.h>

/**
 * SECTION:fluid-redis-stream-consumer
 * @short_description: A worker consuming a Redis stream in a consumer group
 * @title: FluidRedisStreamConsumer
 * @see_also: #FluidRedisStreamProducer, #FluidRedisEntry
 *
 * A #FluidRedisStreamConsumer is a #FluidWorker that takes the entries of
 * a Redis stream as one consumer of a consumer group (`XREADGROUP`), so that
 * several processes, on one machine or many, share the work, each entry
 * going to one of them. Delivery is at least once: an entry is
 * acknowledged (`XACK`, in batches) only after its handler succeeded, and
 * an entry that a consumer took and never acknowledged (it failed, it
 * crashed, it lost its connection) is claimed by a consumer of the group
 * (`XAUTOCLAIM`) once it was idle for #FluidRedisStreamConsumer:claim-idle
 * seconds, and handled again.
 *
 * An entry is handled twice only when a consumer died or lost its
 * connection while it held it, or when a failover brought back older group
 * state (the acknowledgements and the group's last id reach the replicas
 * asynchronously): at most #FluidRedisStreamConsumer:batch-size entries
 * per consumer per such event, as a consumer never holds more, in its
 * handlers or handled and not yet acknowledged. One case is wider: a group
 * that is gone (destroyed with `XGROUP DESTROY`, or lost with a server that
 * restarted without it) is made again from the stream's beginning, and
 * every entry still in the stream is handled again, acknowledged or not;
 * #FluidRedisStreamProducer:max-len bounds how many.
 *
 * Everything runs on the worker's context through hiredis's asynchronous
 * API: no thread, no blocking call. The consumer holds two connections:
 * one waits in `XREADGROUP … BLOCK`, the other carries the group creation,
 * the acknowledgements, the claims and the dead letters.
 *
 * At startup the consumer creates the group when it is missing (`XGROUP
 * CREATE … 0 MKSTREAM`: a new group starts at the beginning of the stream,
 * so that the entries added before any consumer came are handled too; an
 * existing group is fine), reads the entries it
 * left pending in a previous life first, then the new ones, by batches of
 * #FluidRedisStreamConsumer:batch-size. A handler that keeps a long entry
 * does not lose it to other consumers: while it runs, the consumer resets
 * the entry's idle time (`XCLAIM … JUSTID`, which counts no delivery).
 *
 * An entry delivered #FluidRedisStreamConsumer:max-deliveries times
 * without being acknowledged is not handed to a handler again: at its
 * next delivery it is added to #FluidRedisStreamConsumer:dead-letter-stream
 * with its fields and the fields `fluid-id`, `fluid-stream`, `fluid-group`
 * and `fluid-deliveries` (the deliveries it had: max-deliveries), then
 * acknowledged. A consumer that dies between the two leaves it pending,
 * and it is dead-lettered again: at least once, there too.
 *
 * A lost connection (the server restarted, the network failed) is made
 * again with exponential backoff, from 50 ms to 5 s; meanwhile the worker
 * stays running and its status says `connected` false. So is a server that
 * answers that it cannot serve us now: `LOADING` (it loads its data after
 * a restart), `BUSY` (a long script), `MASTERDOWN`, `READONLY` (a replica:
 * after a failover, the old primary), `NOREPLICAS`, `TRYAGAIN`,
 * `CLUSTERDOWN` and `UNBLOCKED` (a blocked read whose key went, or moved);
 * `last_error` says why. Each command has a timeout
 * (#FluidRedisStreamConsumer:command-timeout, as hiredis has none): a
 * server that does not answer in time is a lost connection.
 *
 * With a `redis+sentinel://` URI, the primary is asked of the sentinels
 * (and checked with `ROLE`) before each connection, so that a failover is
 * followed; with `redis+cluster://`, the stream is read from the node
 * that owns its hash slot, followed through `MOVED` and `ASK` when the
 * slot moves or fails over. In a Cluster, the dead-letter stream must hash
 * to the stream's slot (name them `{jobs}` and `{jobs}:dead`): a consumer
 * whose streams would not is refused at startup.
 *
 * Every other error ends the worker (exit code 2) with a #FluidRedisError,
 * at startup or while it runs: nothing is dropped silently. An invalid
 * #FluidRedisStreamConsumer:uri (%FLUID_REDIS_ERROR_INVALID_URI), a server
 * that does not speak Redis (%FLUID_REDIS_ERROR_PROTOCOL), a missing
 * stream when #FluidRedisStreamConsumer:create-stream is %FALSE
 * (%FLUID_REDIS_ERROR_NO_STREAM), a key that is not a stream, or a
 * command the server refuses (%FLUID_REDIS_ERROR_SERVER, with the
 * server's answer). A group that is gone (`NOGROUP`) is made again.
 *
 * Each outage is logged once, as a warning that names the URI (without
 * its password) and the error, whether the server was lost, could not be
 * reached at the start or answered that it cannot serve us, and its end
 * once, as a message (%G_LOG_LEVEL_MESSAGE) when the consumer is served
 * again; the attempts between are logged at debug level only. An error
 * that ends the worker is logged as a warning, and given by
 * fluid_worker_wait_for_shutdown_finish(). The failures of handlers and
 * the entries dead-lettered are counted in the status and logged at debug
 * level only.
 *
 * A graceful stop stops reading at once, lets the handlers that run finish
 * (within the grace period), sends their acknowledgements, and leaves what
 * was not acknowledged pending for the group.
 *
 * The status adds `pending` (u: entries taken and not yet acknowledged),
 * `acked`, `claimed`, `dead_lettered` and `failed` (t), `connected` (b),
 * `reconnects` (u: connections made again after a loss, to any node) and,
 * after an error, `last_error` (s).
 *
 * The properties may be changed before the consumer starts; a change while
 * it runs applies to what it does next (the batch size, the claim idle
 * time), except #FluidRedisStreamConsumer:uri,
 * #FluidRedisStreamConsumer:stream, #FluidRedisStreamConsumer:group and
 * #FluidRedisStreamConsumer:consumer, which apply at the next start.
 *
 * Since: 1.2
 */

G_DEFINE_TYPE_WITH_PRIVATE (FluidRedisStreamConsumer, fluid_redis_stream_consumer, FLUID_TYPE_WORKER)

FluidRedisStreamConsumerPrivate *
fluid_redis_stream_consumer_get_priv (FluidRedisStreamConsumer *self)
{
  return fluid_redis_stream_consumer_get_instance_private (self);
}

GParamSpec *fluid_redis_stream_consumer_properties[N_PROPS];
#define properties fluid_redis_stream_consumer_properties


static void
fluid_redis_stream_consumer_set_last_error (FluidRedisStreamConsumer *self,
                                            const GError             *error)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  g_free (priv->last_error);
  priv->last_error = g_strdup (error->message);
}

static gboolean
fluid_redis_stream_consumer_is_nogroup (const GError *error)
{
  return g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER) &&
         g_str_has_prefix (error->message, "NOGROUP");
}

/* What a command's failure means; the one place that decides. A lost
 * connection (or a transient answer, which the connection turns into
 * one): the work is done again once it is back. NOGROUP: the group is
 * gone (a server that restarted without it, a failover that lost it, an
 * XGROUP DESTROY), made again. Anything else (the key is no longer a
 * stream, the server refuses the command, a reply that is not what the
 * command returns) ends the worker with the error: never silent. */
void
fluid_redis_stream_consumer_command_failed (FluidRedisStreamConsumer *self,
                                            const char               *what,
                                            const GError             *error)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  if (error == NULL || g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION) ||
      g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_TIMEOUT))
    return;
  if (fluid_redis_stream_consumer_is_nogroup (error))
    {
      g_debug ("%s: the group “%s” of “%s” is gone: made again",
               fluid_worker_get_name (FLUID_WORKER (self)), priv->group, priv->stream);
      priv->phase = PHASE_SETUP;
      fluid_redis_stream_consumer_kick (self);
      return;
    }
  fluid_redis_stream_consumer_fail (self, g_error_new (error->domain, error->code,
                                                       "%s of “%s” failed: %s",
                                                       what, priv->stream, error->message));
}

/* The id arrays (acks, acks_sent) own their strings but have no free
 * function, so that ids move between them. */
void
fluid_redis_ids_clear (GPtrArray *ids)
{
  g_ptr_array_foreach (ids, (GFunc) (void (*) (void)) g_free, NULL);
  g_ptr_array_set_size (ids, 0);
}

/* g_set_str() is GLib 2.76. */
gboolean
fluid_redis_set_str (char       **field,
                     const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}


/* Handling */

typedef struct
{
  FluidRedisStreamConsumer *self;  /* a reference */
  FluidRedisEntry          *entry; /* a reference */
  guint                     generation;
} HandleData;

static void
fluid_redis_stream_consumer_done (FluidRedisStreamConsumer *self,
                                  FluidRedisEntry          *entry,
                                  gboolean                  ok,
                                  const GError             *error)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  const char *id = fluid_redis_entry_get_id (entry);

  g_hash_table_remove (priv->in_flight, id);
  if (ok)
    {
      g_ptr_array_add (priv->acks, g_strdup (id));
      fluid_redis_stream_consumer_flush_acks (self);
    }
  else
    {
      /* Reported by the status (failed) and, in the end, the dead-letter
       * stream: a log line per failure would be noise under load. */
      priv->failed++;
      g_debug ("%s: entry %s of %s failed (delivery %u), left pending: %s",
               fluid_worker_get_name (FLUID_WORKER (self)), id, priv->stream,
               fluid_redis_entry_get_delivery_count (entry),
               error != NULL ? error->message : "no error given");
    }
  if (priv->stopping)
    fluid_redis_stream_consumer_end_run_if_done (self);
  else
    fluid_redis_stream_consumer_kick (self);
}

static void
fluid_redis_stream_consumer_handle_cb (GObject      *source,
                                       GAsyncResult *result,
                                       gpointer      user_data)
{
  HandleData *data = user_data;
  FluidRedisStreamConsumer *self = data->self;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = FLUID_REDIS_STREAM_CONSUMER_GET_CLASS (self)->handle_finish (self, result, &error);
  if (ok && error != NULL)
    g_clear_error (&error);
  if (data->generation == priv->generation && priv->run_task != NULL)
    fluid_redis_stream_consumer_done (self, data->entry, ok, error);
  else
    g_debug ("%s: entry %s ended after the consumer stopped; left pending",
             fluid_worker_get_name (FLUID_WORKER (self)), fluid_redis_entry_get_id (data->entry));
  fluid_redis_entry_unref (data->entry);
  g_object_unref (data->self);
  g_free (data);
}

static void
fluid_redis_stream_consumer_dead_letter_cb (FluidRedisConnection *connection,
                                            redisReply           *reply,
                                            const GError         *error,
                                            gpointer              user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autoptr(FluidRedisEntry) entry = g_queue_pop_head (&priv->dead_letters);
  const char *id = fluid_redis_entry_get_id (entry);
  g_autoptr(GError) bad = NULL;

  if (reply != NULL && reply->type != REDIS_REPLY_STRING)
    error = bad = g_error_new_literal (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                                       "XADD did not return an id");
  if (error == NULL)
    {
      /* Acknowledged with the others: a consumer that dies before the
       * XACK leaves it pending, and it is dead-lettered again. */
      priv->dead_lettered++;
      g_ptr_array_add (priv->acks, g_strdup (id));
      g_debug ("%s: entry %s of %s delivered %u times, moved to %s",
               fluid_worker_get_name (FLUID_WORKER (self)), id, priv->stream,
               fluid_redis_entry_get_delivery_count (entry) - 1,
               fluid_redis_stream_consumer_get_dead_letter_stream (self));
    }
  /* Otherwise it stays pending, to be claimed again. */
  g_hash_table_remove (priv->in_flight, id);
  fluid_redis_stream_consumer_command_failed (self, "Adding to the dead-letter stream", error);
  fluid_redis_stream_consumer_flush_acks (self);
  if (priv->stopping)
    fluid_redis_stream_consumer_end_run_if_done (self);
  else
    fluid_redis_stream_consumer_kick (self);
}

/* An entry delivered max-deliveries times, and delivered again: added to
 * the dead-letter stream with where it came from, then acknowledged
 * (not in one transaction: a MULTI whose XADD fails, on a dead-letter key
 * that is not a stream, would still run the XACK, and the entry would be
 * lost). */
static void
fluid_redis_stream_consumer_dead_letter (FluidRedisStreamConsumer *self,
                                         FluidRedisEntry          *entry)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  const char *dead_letter_stream = fluid_redis_stream_consumer_get_dead_letter_stream (self);
  const char *id = fluid_redis_entry_get_id (entry);
  guint n = fluid_redis_entry_get_n_fields (entry);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GArray) lens = g_array_new (FALSE, FALSE, sizeof (size_t));
  /* The deliveries before this one: the times a handler had it. */
  g_autofree char *deliveries = g_strdup_printf ("%u",
                                                 fluid_redis_entry_get_delivery_count (entry) - 1);

#define ADD(s, l) G_STMT_START { size_t _l = (l); g_ptr_array_add (argv, (gpointer) (s)); g_array_append_val (lens, _l); } G_STMT_END
  ADD ("XADD", 4);
  ADD (dead_letter_stream, strlen (dead_letter_stream));
  ADD ("*", 1);
  for (guint i = 0; i < n; i++)
    {
      GBytes *value;
      const char *name = fluid_redis_entry_get_nth_field (entry, i, &value);

      ADD (name, strlen (name));
      ADD (g_bytes_get_data (value, NULL), g_bytes_get_size (value));
    }
  ADD ("fluid-id", 8);
  ADD (id, strlen (id));
  ADD ("fluid-stream", 12);
  ADD (priv->stream, strlen (priv->stream));
  ADD ("fluid-group", 11);
  ADD (priv->group, strlen (priv->group));
  ADD ("fluid-deliveries", 16);
  ADD (deliveries, strlen (deliveries));
#undef ADD

  /* Not connected: it stays pending, to be claimed again. */
  if (!fluid_redis_connection_command (priv->commands, 0,
                                       fluid_redis_stream_consumer_dead_letter_cb,
                                       self, (int) argv->len, (const char **) argv->pdata,
                                       (const size_t *) (gpointer) lens->data))
    return;
  g_hash_table_insert (priv->in_flight, g_strdup (id), fluid_redis_entry_ref (entry));
  g_queue_push_tail (&priv->dead_letters, fluid_redis_entry_ref (entry));
}

void
fluid_redis_stream_consumer_dispatch (FluidRedisStreamConsumer *self,
                                      FluidRedisEntry          *entry)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  FluidRedisStreamConsumerClass *klass = FLUID_REDIS_STREAM_CONSUMER_GET_CLASS (self);
  const char *id = fluid_redis_entry_get_id (entry);

  /* A stopping consumer takes nothing new: what it did not start stays
   * pending for the group. */
  if (priv->stopping)
    return;
  /* Already in our hands (read again after a reconnection, or claimed
   * back from ourselves): it is being handled. */
  if (g_hash_table_contains (priv->in_flight, id))
    return;
  if (priv->max_deliveries > 0 && fluid_redis_entry_get_delivery_count (entry) > priv->max_deliveries)
    {
      fluid_redis_stream_consumer_dead_letter (self, entry);
      return;
    }

  g_hash_table_insert (priv->in_flight, g_strdup (id), fluid_redis_entry_ref (entry));
  if (klass->handle_async == fluid_redis_stream_consumer_default_handle_async && priv->func != NULL)
    {
      /* The common case, without a GTask per entry. */
      g_autoptr(GError) error = NULL;
      gboolean ok = priv->func (self, entry, priv->func_data, &error);

      if (!ok && error == NULL)
        g_set_error_literal (&error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_FAILED,
                             "The handler failed without an error");
      fluid_redis_stream_consumer_done (self, entry, ok, ok ? NULL : error);
    }
  else
    {
      HandleData *data = g_new0 (HandleData, 1);

      data->self = g_object_ref (self);
      data->entry = fluid_redis_entry_ref (entry);
      data->generation = priv->generation;
      klass->handle_async (self, entry, fluid_worker_get_cancellable (FLUID_WORKER (self)),
                           fluid_redis_stream_consumer_handle_cb, data);
    }
}

void
fluid_redis_stream_consumer_default_handle_async (FluidRedisStreamConsumer *self,
                                                  FluidRedisEntry          *entry,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, fluid_redis_stream_consumer_default_handle_async);
  g_task_set_name (task, "[fluid] redis entry handler");
  if (priv->func == NULL)
    {
      g_task_return_new_error (task, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_FAILED,
                               "%s has no handler for entry %s",
                               fluid_worker_get_name (FLUID_WORKER (self)),
                               fluid_redis_entry_get_id (entry));
      return;
    }
  if (priv->func (self, entry, priv->func_data, &error))
    g_task_return_boolean (task, TRUE);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_new_error (task, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_FAILED,
                             "The handler failed without an error");
}

static gboolean
fluid_redis_stream_consumer_default_handle_finish (FluidRedisStreamConsumer  *self,
                                                   GAsyncResult              *result,
                                                   GError                   **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Acknowledgements */

static void
fluid_redis_stream_consumer_ack_cb (FluidRedisConnection *connection,
                                    redisReply           *reply,
                                    const GError         *error,
                                    gpointer              user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
    {
      priv->acked += (guint64) MAX (reply->integer, 0);
      fluid_redis_ids_clear (priv->acks_sent);
    }
  else
    {
      /* Sent again when the connection is back (XACK is idempotent). */
      g_ptr_array_extend_and_steal (priv->acks, g_steal_pointer (&priv->acks_sent));
      priv->acks_sent = g_ptr_array_new ();
      fluid_redis_stream_consumer_command_failed (self, "XACK", error);
    }
  fluid_redis_stream_consumer_flush_acks (self);
  if (priv->stopping)
    fluid_redis_stream_consumer_end_run_if_done (self);
  else
    fluid_redis_stream_consumer_kick (self);
}

/* One XACK at a time: what is done meanwhile waits for the next, so that
 * the acknowledgements batch themselves under load. */
void
fluid_redis_stream_consumer_flush_acks (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autofree const char **argv = NULL;
  guint n;

  if (priv->acks_sent->len > 0 || priv->acks->len == 0 || priv->commands == NULL ||
      !fluid_redis_connection_is_ready (priv->commands))
    return;
  n = MIN (priv->acks->len, 10000);
  argv = g_new (const char *, n + 3);
  argv[0] = "XACK";
  argv[1] = priv->stream;
  argv[2] = priv->group;
  for (guint i = 0; i < n; i++)
    {
      argv[i + 3] = g_ptr_array_index (priv->acks, i);
      g_ptr_array_add (priv->acks_sent, g_ptr_array_index (priv->acks, i));
    }
  g_ptr_array_remove_range (priv->acks, 0, n);
  if (!fluid_redis_connection_command (priv->commands, 0, fluid_redis_stream_consumer_ack_cb,
                                       self, (int) n + 3, argv, NULL))
    {
      g_ptr_array_extend_and_steal (priv->acks, g_steal_pointer (&priv->acks_sent));
      priv->acks_sent = g_ptr_array_new ();
    }
}

/* Creating the group */

static void
fluid_redis_stream_consumer_setup_cb (FluidRedisConnection *connection,
                                      redisReply           *reply,
                                      const GError         *error,
                                      gpointer              user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  priv->setup_sent = FALSE;
  /* Lost, or a transient answer (LOADING…): done again when the
   * connection is back. BUSYGROUP: the group exists. */
  if (g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION) ||
      g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_TIMEOUT))
    return;
  if (error != NULL && !g_str_has_prefix (error->message, "BUSYGROUP"))
    {
      if (strstr (error->message, "requires the key to exist") != NULL)
        fluid_redis_stream_consumer_fail (self,
                                          g_error_new (FLUID_REDIS_ERROR,
                                                       FLUID_REDIS_ERROR_NO_STREAM,
                                                       "The stream “%s” does not exist (and "
                                                       "create-stream is off)", priv->stream));
      else
        fluid_redis_stream_consumer_fail (self,
                                          g_error_new (error->domain, error->code,
                                                       "Cannot create the group “%s” of “%s”: %s",
                                                       priv->group, priv->stream, error->message));
      return;
    }
  /* Served: the outage, if any, is over once both connections are up. A
   * server that answers CLUSTERDOWN or LOADING for a while lets us connect
   * many times before it serves us, and that is one outage. */
  priv->phase = PHASE_PENDING;
  if (priv->connected)
    fluid_redis_outage_up (&priv->outage);
  g_free (priv->pending_cursor);
  priv->pending_cursor = g_strdup ("0");
  fluid_redis_stream_consumer_kick (self);
}

static void
fluid_redis_stream_consumer_setup (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  /* From the stream's start, not "$": entries added before the first
   * consumer came are work too. */
  const char *create[] = { "XGROUP", "CREATE", priv->stream, priv->group, "0", "MKSTREAM" };

  if (fluid_redis_connection_command (priv->commands, 0, fluid_redis_stream_consumer_setup_cb, self,
                                      priv->create_stream ? 6 : 5, create, NULL))
    priv->setup_sent = TRUE;
}

guint
fluid_redis_stream_consumer_held (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  return g_hash_table_size (priv->in_flight) + priv->acks->len + priv->acks_sent->len;
}

void
fluid_redis_stream_consumer_kick (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  if (priv->run_task == NULL || priv->stopping || priv->finish_source != NULL)
    return;
  switch (priv->phase)
    {
    case PHASE_SETUP:
      if (!priv->setup_sent && fluid_redis_connection_is_ready (priv->commands))
        fluid_redis_stream_consumer_setup (self);
      break;
    case PHASE_PENDING:
      if (!priv->reading && fluid_redis_connection_is_ready (priv->commands))
        fluid_redis_stream_consumer_read_pending (self);
      break;
    case PHASE_NEW:
      /* A consumer never holds more than batch-size entries, acknowledged
       * or not: what it leaves to the others if it dies, handled twice at
       * most. One read at a time, for what it has room for. */
      if (!priv->reading && fluid_redis_connection_is_ready (priv->reader) &&
          fluid_redis_stream_consumer_held (self) < MAX (priv->batch_size, 1))
        fluid_redis_stream_consumer_read_new (self);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Connections */

static void
fluid_redis_stream_consumer_state_cb (FluidRedisConnection *connection,
                                      gboolean              ready,
                                      const GError         *error,
                                      gpointer              user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  gboolean connected;

  if (!ready)
    {
      fluid_redis_stream_consumer_set_last_error (self, error);
      /* What retrying cannot mend: not a Redis server, or one that refuses
       * us (NOAUTH...). */
      if (g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL) ||
          g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER))
        {
          fluid_redis_stream_consumer_fail (self, g_error_copy (error));
          return;
        }
      /* The commands of the connection have already failed, and their
       * callbacks cleared what waited for them. */
      /* Back from a loss: the group again (the server may have restarted
       * without it), and what was delivered to us and lost on the way. */
      priv->phase = PHASE_SETUP;
      fluid_redis_outage_down (&priv->outage, error);
    }

  /* The reader is gone once the consumer stops reading. */
  connected = priv->reader != NULL && fluid_redis_connection_is_ready (priv->reader) &&
              priv->commands != NULL && fluid_redis_connection_is_ready (priv->commands);
  if (connected)
    fluid_redis_outage_reached (&priv->outage);
  if (connected && priv->phase != PHASE_SETUP)
    fluid_redis_outage_up (&priv->outage);
  if (connected != priv->connected)
    {
      priv->connected = connected;
      if (connected && priv->was_connected)
        priv->reconnects++;
      priv->was_connected |= connected;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
    }
  if (ready && connection == priv->commands)
    fluid_redis_stream_consumer_flush_acks (self);
  if (ready)
    fluid_redis_stream_consumer_kick (self);
  if (priv->stopping)
    fluid_redis_stream_consumer_end_run_if_done (self);
}

/* Ending run: always from an idle callback, never from inside a callback
 * of the connections that it frees. */

static gboolean
fluid_redis_stream_consumer_end_run_cb (gpointer user_data)
{
  FluidRedisStreamConsumer *self = user_data;
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autoptr(GTask) task = g_steal_pointer (&priv->run_task);
  GError *error = g_steal_pointer (&priv->finish_error);

  g_clear_pointer (&priv->finish_source, g_source_unref);
  priv->generation++;
  g_clear_signal_handler (&priv->stopping_id, self);
  if (priv->cancelled_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), priv->cancelled_id);
      priv->cancelled_id = 0;
    }
  if (priv->claim_timer != NULL)
    {
      g_source_destroy (priv->claim_timer);
      g_clear_pointer (&priv->claim_timer, g_source_unref);
    }
  g_clear_pointer (&priv->reader, fluid_redis_connection_free);
  g_clear_pointer (&priv->commands, fluid_redis_connection_free);
  fluid_redis_outage_clear (&priv->outage);
  g_clear_pointer (&priv->pending_batch, fluid_redis_pending_batch_free);
  g_clear_pointer (&priv->claim_batch, fluid_redis_claim_batch_free);
  g_queue_clear_full (&priv->dead_letters, (GDestroyNotify) fluid_redis_entry_unref);
  g_hash_table_remove_all (priv->in_flight);
  fluid_redis_ids_clear (priv->acks);
  fluid_redis_ids_clear (priv->acks_sent);
  if (priv->connected)
    {
      priv->connected = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
fluid_redis_stream_consumer_end_run (FluidRedisStreamConsumer *self,
                                    GError                   *error)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  if (priv->run_task == NULL || priv->finish_source != NULL)
    {
      g_clear_error (&error);
      return;
    }
  priv->finish_error = error;
  priv->finish_source = g_idle_source_new ();
  g_source_set_priority (priv->finish_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (priv->finish_source, fluid_redis_stream_consumer_end_run_cb, self, NULL);
  g_source_set_name (priv->finish_source, "[fluid] redis consumer end of run");
  g_source_attach (priv->finish_source, g_task_get_context (priv->run_task));
}

void
fluid_redis_stream_consumer_fail (FluidRedisStreamConsumer *self,
                                  GError                   *error)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  fluid_redis_stream_consumer_set_last_error (self, error);
  /* Said once: an error after the one that ends the run is dropped. */
  if (priv->run_task != NULL && priv->finish_source == NULL)
    fluid_redis_log_failure (FLUID_WORKER (self), error);
  fluid_redis_stream_consumer_end_run (self, error);
}

void
fluid_redis_stream_consumer_end_run_if_done (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  if (priv->run_task == NULL || !priv->stopping)
    return;
  if (g_hash_table_size (priv->in_flight) == 0 && priv->acks->len == 0 && priv->acks_sent->len == 0)
    fluid_redis_stream_consumer_end_run (self, NULL);
  else
    fluid_redis_stream_consumer_flush_acks (self);
}

static void
fluid_redis_stream_consumer_stopping_cb (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  if (priv->stopping || priv->run_task == NULL)
    return;
  priv->stopping = TRUE;
  /* Stop reading at once: a read waiting on the server is abandoned (what
   * it would have brought stays pending for the group). */
  g_clear_pointer (&priv->reader, fluid_redis_connection_free);
  if (priv->connected)
    {
      priv->connected = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
    }
  if (priv->claim_timer != NULL)
    {
      g_source_destroy (priv->claim_timer);
      g_clear_pointer (&priv->claim_timer, g_source_unref);
    }
  fluid_redis_stream_consumer_end_run_if_done (self);
}

static void
fluid_redis_stream_consumer_cancelled_cb (GCancellable *cancellable,
                                          gpointer      user_data)
{
  FluidRedisStreamConsumer *self = user_data;

  fluid_redis_stream_consumer_end_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                                 "The consumer was cancelled"));
}

/* FluidWorker */

/* In a Cluster, every command of a consumer goes to the node of its
 * stream's slot, the dead letters included: two keys in two slots would
 * need two nodes, and the move of an entry to the other could not be
 * made safe. */
static gboolean
fluid_redis_stream_consumer_check_slots (FluidRedisStreamConsumer  *self,
                                         const FluidRedisAddress   *address,
                                         GError                   **error)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  const char *dead = fluid_redis_stream_consumer_get_dead_letter_stream (self);

  if (address->topology != FLUID_REDIS_TOPOLOGY_CLUSTER ||
      fluid_redis_key_slot (priv->stream, strlen (priv->stream)) ==
      fluid_redis_key_slot (dead, strlen (dead)))
    return TRUE;
  g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_FAILED,
               "In a Redis Cluster, the stream “%s” and its dead-letter stream “%s” must hash to "
               "the same slot: put the part they share in braces, a hash tag, as “{jobs}” and "
               "“{jobs}:dead” (the default dead-letter stream of “{jobs}”)", priv->stream, dead);
  return FALSE;
}

/* A run that cannot begin ends with @error (taken), said as any failure. */
static void
fluid_redis_stream_consumer_refuse_run (FluidRedisStreamConsumer *self,
                                        GTask                    *task,
                                        GError                   *error)
{
  fluid_redis_stream_consumer_set_last_error (self, error);
  fluid_redis_log_failure (FLUID_WORKER (self), error);
  g_task_return_error (task, error);
}

static void
fluid_redis_stream_consumer_run_async (FluidWorker         *worker,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  FluidRedisStreamConsumer *self = FLUID_REDIS_STREAM_CONSUMER (worker);
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  FluidRedisAddress address;
  GError *error = NULL;
  guint interval_ms;

  g_task_set_source_tag (task, fluid_redis_stream_consumer_run_async);
  g_task_set_name (task, "[fluid] redis stream consumer run");

  if (!fluid_redis_address_parse (priv->uri, &address, &error))
    {
      fluid_redis_stream_consumer_refuse_run (self, task, error);
      return;
    }
  if (priv->stream == NULL || *priv->stream == '\0' || priv->group == NULL || *priv->group == '\0')
    {
      fluid_redis_address_clear (&address);
      fluid_redis_stream_consumer_refuse_run (self, task,
                                              g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_FAILED,
                                                           "%s needs a stream and a group",
                                                           fluid_worker_get_name (worker)));
      return;
    }
  if (!fluid_redis_stream_consumer_check_slots (self, &address, &error))
    {
      fluid_redis_address_clear (&address);
      fluid_redis_stream_consumer_refuse_run (self, task, error);
      return;
    }

  priv->run_task = g_steal_pointer (&task);
  priv->stopping = FALSE;
  priv->phase = PHASE_SETUP;
  priv->reading = FALSE;
  priv->setup_sent = FALSE;
  priv->claiming = FALSE;
  g_clear_pointer (&priv->claim_cursor, g_free);
  priv->claim_cursor = g_strdup ("0-0");
  priv->was_connected = FALSE;
  fluid_redis_outage_init (&priv->outage, worker, priv->uri);
  priv->last_refresh = g_get_monotonic_time ();
  priv->reader = fluid_redis_connection_new (&address, priv->stream, "reader",
                                             priv->command_timeout, FLUID_REDIS_CONNECTION_NONE,
                                             fluid_redis_stream_consumer_state_cb, self);
  priv->commands = fluid_redis_connection_new (&address, priv->stream, "commands",
                                               priv->command_timeout, FLUID_REDIS_CONNECTION_NONE,
                                               fluid_redis_stream_consumer_state_cb, self);
  fluid_redis_address_clear (&address);

  /* Claim often enough that an idle entry waits at most a tenth of
   * claim-idle more; every 5 s at most. */
  interval_ms = (guint) CLAMP (priv->claim_idle * 100, 10, 5000);
  priv->claim_timer = g_timeout_source_new (interval_ms);
  g_source_set_callback (priv->claim_timer, fluid_redis_stream_consumer_claim_timer_cb, self, NULL);
  g_source_set_name (priv->claim_timer, "[fluid] redis claim");
  g_source_attach (priv->claim_timer, g_task_get_context (priv->run_task));

  priv->stopping_id = g_signal_connect (self, "stopping",
                                        G_CALLBACK (fluid_redis_stream_consumer_stopping_cb), NULL);
  if (cancellable != NULL)
    priv->cancelled_id = g_cancellable_connect (cancellable,
                                                G_CALLBACK (fluid_redis_stream_consumer_cancelled_cb),
                                                self, NULL);
  fluid_redis_connection_start (priv->commands);
  fluid_redis_connection_start (priv->reader);
  if (!fluid_worker_is_running (worker))
    fluid_redis_stream_consumer_stopping_cb (self);
}

static gboolean
fluid_redis_stream_consumer_run_finish (FluidWorker   *worker,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, fluid_redis_stream_consumer_run_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Its entries and its connection (see fluid_worker_collect_metrics()). */
static void
fluid_redis_stream_consumer_add_metrics (FluidWorker  *worker,
                                         FluidMetrics *metrics,
                                         const char   *path)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (FLUID_REDIS_STREAM_CONSUMER (worker));

  fluid_metrics_add (metrics, "fluid_redis_entries_total", path, "outcome", "acked", priv->acked);
  fluid_metrics_add (metrics, "fluid_redis_entries_total", path, "outcome", "claimed", priv->claimed);
  fluid_metrics_add (metrics, "fluid_redis_entries_total", path, "outcome", "dead_lettered", priv->dead_lettered);
  fluid_metrics_add (metrics, "fluid_redis_connected", path, NULL, NULL, priv->connected ? 1 : 0);
  fluid_metrics_add (metrics, "fluid_redis_reconnects_total", path, NULL, NULL, priv->reconnects);
}

static void
fluid_redis_stream_consumer_parent_status_cb (GObject      *source,
                                              GAsyncResult *result,
                                              gpointer      user_data)
{
  FluidRedisStreamConsumer *self = FLUID_REDIS_STREAM_CONSUMER (source);
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) parent_status = NULL;
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  GError *error = NULL;

  parent_status = FLUID_WORKER_CLASS (fluid_redis_stream_consumer_parent_class)->status_finish (FLUID_WORKER (self),
                                                                                                 result, &error);
  if (parent_status == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_variant_dict_init (&dict, parent_status);
  g_variant_dict_insert (&dict, "pending", "u", fluid_redis_stream_consumer_held (self));
  g_variant_dict_insert (&dict, "acked", "t", priv->acked);
  g_variant_dict_insert (&dict, "claimed", "t", priv->claimed);
  g_variant_dict_insert (&dict, "dead_lettered", "t", priv->dead_lettered);
  g_variant_dict_insert (&dict, "failed", "t", priv->failed);
  g_variant_dict_insert (&dict, "connected", "b", priv->connected);
  g_variant_dict_insert (&dict, "reconnects", "u", priv->reconnects);
  if (priv->last_error != NULL)
    g_variant_dict_insert (&dict, "last_error", "s", priv->last_error);
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_dict_end (&dict)),
                         (GDestroyNotify) g_variant_unref);
}

static void
fluid_redis_stream_consumer_status_async (FluidWorker         *worker,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GTask *task = g_task_new (worker, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_redis_stream_consumer_status_async);
  g_task_set_name (task, "[fluid] redis stream consumer status");
  FLUID_WORKER_CLASS (fluid_redis_stream_consumer_parent_class)->status_async (worker, cancellable,
                                                                               fluid_redis_stream_consumer_parent_status_cb,
                                                                               task);
}

static GVariant *
fluid_redis_stream_consumer_status_finish (FluidWorker   *worker,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GObject */

static void
fluid_redis_stream_consumer_finalize (GObject *object)
{
  FluidRedisStreamConsumer *self = FLUID_REDIS_STREAM_CONSUMER (object);
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  /* A worker keeps itself alive while it runs: run has ended. */
  g_assert (priv->run_task == NULL);
  if (priv->func_destroy != NULL)
    priv->func_destroy (priv->func_data);
  g_hash_table_unref (priv->in_flight);
  fluid_redis_ids_clear (priv->acks);
  g_ptr_array_unref (priv->acks);
  fluid_redis_ids_clear (priv->acks_sent);
  g_ptr_array_unref (priv->acks_sent);
  g_free (priv->uri);
  g_free (priv->stream);
  g_free (priv->group);
  g_free (priv->consumer);
  g_free (priv->dead_letter_stream);
  g_free (priv->pending_cursor);
  g_free (priv->claim_cursor);
  g_free (priv->last_error);

  G_OBJECT_CLASS (fluid_redis_stream_consumer_parent_class)->finalize (object);
}

static void
fluid_redis_stream_consumer_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  FluidRedisStreamConsumer *self = FLUID_REDIS_STREAM_CONSUMER (object);
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  switch (prop_id)
    {
    case PROP_URI:
      g_value_set_string (value, priv->uri);
      break;
    case PROP_STREAM:
      g_value_set_string (value, priv->stream);
      break;
    case PROP_GROUP:
      g_value_set_string (value, priv->group);
      break;
    case PROP_CONSUMER:
      g_value_set_string (value, priv->consumer);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, priv->batch_size);
      break;
    case PROP_CLAIM_IDLE:
      g_value_set_double (value, priv->claim_idle);
      break;
    case PROP_MAX_DELIVERIES:
      g_value_set_uint (value, priv->max_deliveries);
      break;
    case PROP_DEAD_LETTER_STREAM:
      g_value_set_string (value, fluid_redis_stream_consumer_get_dead_letter_stream (self));
      break;
    case PROP_CREATE_STREAM:
      g_value_set_boolean (value, priv->create_stream);
      break;
    case PROP_COMMAND_TIMEOUT:
      g_value_set_double (value, priv->command_timeout);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, priv->connected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_redis_stream_consumer_set_property (GObject      *object,
                                          guint         prop_id,
                                          const GValue *value,
                                          GParamSpec   *pspec)
{
  FluidRedisStreamConsumer *self = FLUID_REDIS_STREAM_CONSUMER (object);

  switch (prop_id)
    {
    case PROP_URI:
      fluid_redis_stream_consumer_set_uri (self, g_value_get_string (value));
      break;
    case PROP_STREAM:
      fluid_redis_stream_consumer_set_stream (self, g_value_get_string (value));
      break;
    case PROP_GROUP:
      fluid_redis_stream_consumer_set_group (self, g_value_get_string (value));
      break;
    case PROP_CONSUMER:
      fluid_redis_stream_consumer_set_consumer (self, g_value_get_string (value));
      break;
    case PROP_BATCH_SIZE:
      fluid_redis_stream_consumer_set_batch_size (self, g_value_get_uint (value));
      break;
    case PROP_CLAIM_IDLE:
      fluid_redis_stream_consumer_set_claim_idle (self, g_value_get_double (value));
      break;
    case PROP_MAX_DELIVERIES:
      fluid_redis_stream_consumer_set_max_deliveries (self, g_value_get_uint (value));
      break;
    case PROP_DEAD_LETTER_STREAM:
      fluid_redis_stream_consumer_set_dead_letter_stream (self, g_value_get_string (value));
      break;
    case PROP_CREATE_STREAM:
      fluid_redis_stream_consumer_set_create_stream (self, g_value_get_boolean (value));
      break;
    case PROP_COMMAND_TIMEOUT:
      fluid_redis_stream_consumer_set_command_timeout (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_redis_stream_consumer_class_init (FluidRedisStreamConsumerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  /* hiredis writes with write(): a server that went away would kill the
   * process with SIGPIPE. GSocket ignores SIGPIPE process-wide for that
   * same reason when its class is made; so do these, through it. */
  g_type_class_unref (g_type_class_ref (G_TYPE_SOCKET));

  object_class->finalize = fluid_redis_stream_consumer_finalize;
  object_class->get_property = fluid_redis_stream_consumer_get_property;
  object_class->set_property = fluid_redis_stream_consumer_set_property;

  worker_class->run_async = fluid_redis_stream_consumer_run_async;
  worker_class->run_finish = fluid_redis_stream_consumer_run_finish;
  worker_class->add_metrics = fluid_redis_stream_consumer_add_metrics;
  worker_class->status_async = fluid_redis_stream_consumer_status_async;
  worker_class->status_finish = fluid_redis_stream_consumer_status_finish;

  klass->handle_async = fluid_redis_stream_consumer_default_handle_async;
  klass->handle_finish = fluid_redis_stream_consumer_default_handle_finish;

  /**
   * FluidRedisStreamConsumer:uri:
   *
   * Where the Redis server is: `redis://host[:port][/db]` (port 6379 and
   * database 0 by default) or `unix:///path/to/socket` (with `?db=N` for
   * another database than 0). For a service that Redis Sentinel fails
   * over, `redis+sentinel://host:port[,host:port…]/SERVICE[?db=N]`, the
   * sentinels (port 26379 by default), asked without credentials, and the
   * name they monitor the service by. For a Redis Cluster,
   * `redis+cluster://host:port[,host:port…]`, some of its nodes: the
   * others are learnt from them.
   *
   * A server that asks for a password gets it from the URI, with `AUTH`
   * before anything else: `redis://:password@host`, or
   * `redis://user:password@host` for a user of Redis's ACLs (the same
   * for `redis+sentinel://`, whose primary it is for, and
   * `redis+cluster://`); `unix:///path?password=P` or `?user=U&password=P`
   * for a socket. A
   * password refused (or missing, when the server needs one) ends the
   * worker with %FLUID_REDIS_ERROR_SERVER.
   *
   * Since: 1.2
   */
  properties[PROP_URI] =
    g_param_spec_string ("uri", "URI",
                         "Where the Redis server is", "redis://localhost:6379/0",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:stream:
   *
   * The key of the stream.
   *
   * Since: 1.2
   */
  properties[PROP_STREAM] =
    g_param_spec_string ("stream", "Stream",
                         "The key of the stream", NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:group:
   *
   * The consumer group, created at startup when missing.
   *
   * Since: 1.2
   */
  properties[PROP_GROUP] =
    g_param_spec_string ("group", "Group",
                         "The consumer group", NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:consumer:
   *
   * The name of this consumer in the group; by default `hostname-pid`.
   * A consumer that restarts with the same name takes back the entries
   * it left pending first.
   *
   * Since: 1.2
   */
  properties[PROP_CONSUMER] =
    g_param_spec_string ("consumer", "Consumer",
                         "The name of this consumer in the group", NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:batch-size:
   *
   * How many entries one read or one claim takes at most, and how many
   * the consumer handles at a time at most.
   *
   * Since: 1.2
   */
  properties[PROP_BATCH_SIZE] =
    g_param_spec_uint ("batch-size", "Batch size",
                       "How many entries a read or a claim takes at most", 1, G_MAXINT, 100,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:claim-idle:
   *
   * How long, in seconds, an entry delivered to a consumer of the group
   * and not acknowledged stays with it before this consumer claims it.
   *
   * Since: 1.2
   */
  properties[PROP_CLAIM_IDLE] =
    g_param_spec_double ("claim-idle", "Claim idle",
                         "Seconds an unacknowledged entry waits before it is claimed", 0.001, G_MAXDOUBLE, 30,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:max-deliveries:
   *
   * How many times an entry is delivered to a handler at most: one
   * delivered that many times and still pending goes, at its next
   * delivery, to the dead-letter stream instead of a handler. 0: no limit.
   *
   * Since: 1.2
   */
  properties[PROP_MAX_DELIVERIES] =
    g_param_spec_uint ("max-deliveries", "Max deliveries",
                       "Deliveries of an entry before it is dead-lettered (0: no limit)", 0, G_MAXUINT, 5,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:dead-letter-stream:
   *
   * The stream that receives the entries delivered
   * #FluidRedisStreamConsumer:max-deliveries times; by default the stream's
   * name followed by `:dead`. In a Redis Cluster it must hash to the
   * stream's slot: `{jobs}:dead` for `{jobs}`.
   *
   * Since: 1.2
   */
  properties[PROP_DEAD_LETTER_STREAM] =
    g_param_spec_string ("dead-letter-stream", "Dead letter stream",
                         "The stream receiving entries delivered max-deliveries times", NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:create-stream:
   *
   * Whether the group creation also creates a missing stream (`MKSTREAM`,
   * the default). When %FALSE, a missing stream stops the worker with
   * %FLUID_REDIS_ERROR_NO_STREAM.
   *
   * Since: 1.2
   */
  properties[PROP_CREATE_STREAM] =
    g_param_spec_boolean ("create-stream", "Create stream",
                          "Whether the group creation creates a missing stream", TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:command-timeout:
   *
   * How long, in seconds, the server may take to answer a command (beyond
   * the time a blocking read waits by design) before the connection is
   * taken for lost and made again.
   *
   * Since: 1.2
   */
  properties[PROP_COMMAND_TIMEOUT] =
    g_param_spec_double ("command-timeout", "Command timeout",
                         "Seconds the server may take to answer a command", 0.001, G_MAXDOUBLE, 10,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidRedisStreamConsumer:connected:
   *
   * Whether both connections of the running consumer are up.
   *
   * Since: 1.2
   */
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", "Connected",
                          "Whether the running worker is connected", FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fluid_redis_stream_consumer_init (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv = fluid_redis_stream_consumer_get_priv (self);

  priv->consumer = fluid_redis_default_consumer_name ();
  priv->batch_size = 100;
  priv->claim_idle = 30;
  priv->max_deliveries = 5;
  priv->create_stream = TRUE;
  priv->command_timeout = 10;
  priv->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) fluid_redis_entry_unref);
  priv->acks = g_ptr_array_new ();
  priv->acks_sent = g_ptr_array_new ();
  g_queue_init (&priv->dead_letters);
}

