/* fluid-redis-stream-producer-replication.c: the adds of a
 * FluidRedisStreamProducer with min-replicas, confirmed by WAIT, and their
 * deadlines while there is no primary
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-stream-producer-private.h"
#include "fluid-redis-error.h"

static void
fluid_redis_stream_producer_not_replicated (FluidRedisStreamProducer *self,
                                            FluidRedisOutboxItem     *item,
                                            long long                 replicas)
{
  self->not_replicated++;
  if (item->task != NULL)
    g_task_return_new_error (item->task, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_NOT_REPLICATED,
                             "Entry %s of “%s” is held by %lld replicas, not %u, after %g s",
                             item->id, self->stream, replicas, self->min_replicas,
                             self->command_timeout);
  fluid_redis_outbox_item_free (item);
}

/* WAIT's answer: how many replicas hold every write of this connection
 * so far, which covers the XADDs sent before it. */
static void
fluid_redis_stream_producer_wait_cb (FluidRedisConnection *connection,
                                     redisReply           *reply,
                                     const GError         *error,
                                     gpointer              user_data)
{
  FluidRedisStreamProducer *self = user_data;
  long long replicas = reply != NULL && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
  guint64 upto;
  FluidRedisOutboxItem *item;

  fluid_redis_outbox_wait_answered (&self->outbox, &upto);
  if (reply != NULL && replicas < 0)
    {
      g_autoptr(GError) bad = g_error_new_literal (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                                                   "WAIT did not return a number");

      fluid_redis_stream_producer_refused (self, bad);
      return;
    }
  while ((item = fluid_redis_outbox_pop_replicating (&self->outbox, upto)) != NULL)
    {
      /* Lost with the connection (in a failover, maybe with the primary
       * that had it): sent again, as an entry whose XADD was not
       * answered. */
      if (error != NULL)
        fluid_redis_outbox_retry (&self->outbox, item);
      else if (replicas >= self->min_replicas)
        fluid_redis_stream_producer_added (self, item, item->id);
      else
        fluid_redis_stream_producer_not_replicated (self, item, replicas);
    }
  if (error != NULL && !g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION) &&
      !g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_TIMEOUT))
    fluid_redis_stream_producer_refused (self, error);
  fluid_redis_stream_producer_end_run_if_done (self);
}

static gboolean
fluid_redis_stream_producer_send_wait_cb (gpointer user_data)
{
  FluidRedisStreamProducer *self = user_data;
  g_autofree char *replicas = g_strdup_printf ("%u", self->min_replicas);
  guint timeout_ms = (guint) MIN (self->command_timeout * 1000, G_MAXINT);
  g_autofree char *timeout = g_strdup_printf ("%u", MAX (timeout_ms, 1));
  const char *wait[] = { "WAIT", replicas, timeout };

  g_clear_pointer (&self->wait_source, g_source_unref);
  if (!fluid_redis_outbox_wait_due (&self->outbox) || self->connection == NULL)
    return G_SOURCE_REMOVE;
  /* WAIT blocks for its timeout at most: the connection waits as long
   * again before it gives up on the server. */
  if (fluid_redis_connection_command (self->connection, timeout_ms,
                                      fluid_redis_stream_producer_wait_cb, self,
                                      G_N_ELEMENTS (wait), wait, NULL))
    fluid_redis_outbox_wait_sent (&self->outbox);
  return G_SOURCE_REMOVE;
}

/* After the XADDs of this dispatch: an idle, so that the entries sent
 * together share one WAIT (a WAIT per entry would wait for the replicas
 * once per entry: the client's commands queue behind a blocked WAIT). */
void
fluid_redis_stream_producer_schedule_wait (FluidRedisStreamProducer *self)
{
  if (self->wait_source != NULL)
    return;
  self->wait_source = g_idle_source_new ();
  g_source_set_priority (self->wait_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->wait_source, fluid_redis_stream_producer_send_wait_cb, self, NULL);
  g_source_set_name (self->wait_source, "[fluid] redis WAIT");
  g_source_attach (self->wait_source, g_task_get_context (self->run_task));
}

static gboolean
fluid_redis_stream_producer_deadlines_cb (gpointer user_data)
{
  FluidRedisStreamProducer *self = user_data;
  g_autoptr(GError) error = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                                         "No Redis primary took the entry for “%s” within %g s%s%s",
                                         self->stream, self->command_timeout,
                                         self->last_error != NULL ? ": " : "",
                                         self->last_error != NULL ? self->last_error : "");

  fluid_redis_stream_producer_drop_all (self,
                                        fluid_redis_outbox_expire (&self->outbox,
                                                                   g_get_monotonic_time ()),
                                        error);
  fluid_redis_stream_producer_end_run_if_done (self);
  return G_SOURCE_CONTINUE;
}

/* While there is no connection (no primary), the adds with min-replicas
 * are watched, ten times a second, for their deadline. */
void
fluid_redis_stream_producer_watch_deadlines (FluidRedisStreamProducer *self)
{
  gboolean watch = self->run_task != NULL && self->min_replicas > 0 &&
                   !fluid_redis_stream_producer_is_connected (self);

  if (!watch)
    {
      fluid_redis_stream_producer_clear_source (&self->deadlines);
      return;
    }
  if (self->deadlines != NULL)
    return;
  self->deadlines = g_timeout_source_new (100);
  g_source_set_callback (self->deadlines, fluid_redis_stream_producer_deadlines_cb, self, NULL);
  g_source_set_name (self->deadlines, "[fluid] redis add deadlines");
  g_source_attach (self->deadlines, g_task_get_context (self->run_task));
}
