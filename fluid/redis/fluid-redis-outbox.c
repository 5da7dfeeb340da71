/* fluid-redis-outbox.c: the entries a producer holds until the server,
 * and the replicas it asks for, took them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-outbox-private.h"

#include <hiredis/hiredis.h>
#include <string.h>

/* An entry is its XADD, formatted once when it is given (RESP, sent as
 * it is as many times as needed). It goes buffer → in_flight (XADD sent)
 * → done, or → replicating (XADD answered, with min-replicas) → done once
 * a WAIT answered, or back to the front of the buffer when the connection
 * is lost before the answer it waited for. Answers come in the order the commands went, so
 * each queue is in that order, and one WAIT covers every XADD sent on
 * its connection before it: an entry's sequence (its rank among them)
 * says which WAIT covers it. WAITs are sent after the XADDs of a
 * dispatch, not after each, so that entries sent together wait for the
 * replicas once. */

/* XADD STREAM [MAXLEN ~ N] * NAME VALUE… */
static FluidRedisOutboxItem *
fluid_redis_outbox_item_new_xadd (const char         *stream,
                                  guint               max_len,
                                  guint               n_fields,
                                  const char * const *names,
                                  const char * const *values,
                                  const size_t       *value_lens)
{
  g_autofree const char **argv = g_new (const char *, 2 * n_fields + 6);
  g_autofree size_t *lens = g_new (size_t, 2 * n_fields + 6);
  g_autofree char *trim = g_strdup_printf ("%u", max_len);
  FluidRedisOutboxItem *item = g_new0 (FluidRedisOutboxItem, 1);
  long long len;
  int argc = 0;

#define ADD(s, l) G_STMT_START { argv[argc] = (s); lens[argc] = (l); argc++; } G_STMT_END
  ADD ("XADD", 4);
  ADD (stream, strlen (stream));
  if (max_len > 0)
    {
      ADD ("MAXLEN", 6);
      ADD ("~", 1);
      ADD (trim, strlen (trim));
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

gboolean
fluid_redis_outbox_fields_valid (const char * const *fields)
{
  guint n = g_strv_length ((char **) fields);

  return n > 0 && n % 2 == 0;
}

FluidRedisOutboxItem *
fluid_redis_outbox_item_new_strv (const char         *stream,
                                  guint               max_len,
                                  const char * const *fields)
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
  return fluid_redis_outbox_item_new_xadd (stream, max_len, n, names, values, lens);
}

FluidRedisOutboxItem *
fluid_redis_outbox_item_new_bytes (const char         *stream,
                                   guint               max_len,
                                   const char * const *names,
                                   GBytes * const     *values,
                                   guint               n_fields)
{
  g_autofree const char **data = NULL;
  g_autofree size_t *lens = NULL;

  g_return_val_if_fail (names != NULL && values != NULL && n_fields > 0, NULL);

  data = g_new (const char *, n_fields);
  lens = g_new (size_t, n_fields);
  for (guint i = 0; i < n_fields; i++)
    {
      g_return_val_if_fail (names[i] != NULL && values[i] != NULL, NULL);
      data[i] = g_bytes_get_data (values[i], &lens[i]);
      if (data[i] == NULL)
        data[i] = "";
    }
  return fluid_redis_outbox_item_new_xadd (stream, max_len, n_fields, names, data, lens);
}

void
fluid_redis_outbox_item_free (FluidRedisOutboxItem *item)
{
  redisFreeCommand (item->command);
  g_clear_object (&item->task);
  g_free (item->id);
  g_free (item);
}

void
fluid_redis_outbox_init (FluidRedisOutbox *self)
{
  g_queue_init (&self->buffer);
  g_queue_init (&self->in_flight);
  g_queue_init (&self->replicating);
  g_queue_init (&self->retry);
  g_queue_init (&self->waits);
  self->sequence = self->waited = 0;
}

guint
fluid_redis_outbox_get_held (FluidRedisOutbox *self)
{
  return self->buffer.length + self->in_flight.length + self->replicating.length +
         self->retry.length;
}

void
fluid_redis_outbox_hold (FluidRedisOutbox     *self,
                         FluidRedisOutboxItem *item)
{
  g_queue_push_tail (&self->buffer, item);
}

FluidRedisOutboxItem *
fluid_redis_outbox_peek (FluidRedisOutbox *self)
{
  return g_queue_peek_head (&self->buffer);
}

void
fluid_redis_outbox_sent (FluidRedisOutbox *self,
                         gboolean          replicated)
{
  FluidRedisOutboxItem *item = g_queue_pop_head (&self->buffer);

  item->sequence = replicated ? ++self->sequence : 0;
  g_queue_push_tail (&self->in_flight, item);
}

FluidRedisOutboxItem *
fluid_redis_outbox_answered (FluidRedisOutbox *self)
{
  FluidRedisOutboxItem *item = g_queue_pop_head (&self->in_flight);

  g_assert (item != NULL);
  return item;
}

void
fluid_redis_outbox_replicating (FluidRedisOutbox     *self,
                                FluidRedisOutboxItem *item,
                                const char           *id)
{
  item->id = g_strdup (id);
  g_queue_push_tail (&self->replicating, item);
}

void
fluid_redis_outbox_retry (FluidRedisOutbox     *self,
                          FluidRedisOutboxItem *item)
{
  g_clear_pointer (&item->id, g_free);
  g_queue_push_tail (&self->retry, item);
}

gboolean
fluid_redis_outbox_wait_due (FluidRedisOutbox *self)
{
  return self->waited != self->sequence;
}

void
fluid_redis_outbox_wait_sent (FluidRedisOutbox *self)
{
  self->waited = self->sequence;
  g_queue_push_tail (&self->waits, g_memdup2 (&self->waited, sizeof self->waited));
}

void
fluid_redis_outbox_wait_answered (FluidRedisOutbox *self,
                                  guint64          *upto)
{
  guint64 *covered = g_queue_pop_head (&self->waits);

  g_assert (covered != NULL);
  *upto = *covered;
  g_free (covered);
}

FluidRedisOutboxItem *
fluid_redis_outbox_pop_replicating (FluidRedisOutbox *self,
                                    guint64           upto)
{
  FluidRedisOutboxItem *item = g_queue_peek_head (&self->replicating);

  if (item == NULL || item->sequence > upto)
    return NULL;
  return g_queue_pop_head (&self->replicating);
}

static int
fluid_redis_outbox_compare_sequence (gconstpointer a,
                                     gconstpointer b,
                                     gpointer      user_data)
{
  guint64 a_sequence = ((const FluidRedisOutboxItem *) a)->sequence;
  guint64 b_sequence = ((const FluidRedisOutboxItem *) b)->sequence;

  return a_sequence < b_sequence ? -1 : a_sequence > b_sequence;
}

void
fluid_redis_outbox_lost (FluidRedisOutbox *self)
{
  FluidRedisOutboxItem *item;

  /* The entries answered and not covered by a WAIT yet were sent before
   * those lost in flight, after those a failed WAIT covered: sorted by
   * their sequence (g_queue_sort() keeps the order of equals). */
  while ((item = g_queue_pop_head (&self->replicating)) != NULL)
    fluid_redis_outbox_retry (self, item);
  g_queue_sort (&self->retry, fluid_redis_outbox_compare_sequence, NULL);
  while ((item = g_queue_pop_tail (&self->retry)) != NULL)
    g_queue_push_head (&self->buffer, item);
  g_queue_clear_full (&self->waits, g_free);
  self->sequence = self->waited = 0;
}

void
fluid_redis_outbox_set_deadlines (FluidRedisOutbox *self,
                                  gint64            deadline)
{
  for (GList *l = self->buffer.head; l != NULL; l = l->next)
    {
      FluidRedisOutboxItem *item = l->data;

      if (item->task != NULL)
        item->deadline = deadline;
    }
}

static void
fluid_redis_outbox_take_expired (GQueue    *queue,
                                 gint64     now,
                                 GPtrArray *expired)
{
  GList *l = queue->head;

  while (l != NULL)
    {
      GList *next = l->next;
      FluidRedisOutboxItem *item = l->data;

      if (item->deadline != 0 && item->deadline <= now)
        {
          g_ptr_array_add (expired, item);
          g_queue_delete_link (queue, l);
        }
      l = next;
    }
}

GPtrArray *
fluid_redis_outbox_expire (FluidRedisOutbox *self,
                           gint64            now)
{
  GPtrArray *expired = g_ptr_array_new ();

  fluid_redis_outbox_take_expired (&self->retry, now, expired);
  fluid_redis_outbox_take_expired (&self->buffer, now, expired);
  return expired;
}

GPtrArray *
fluid_redis_outbox_take_all (FluidRedisOutbox *self)
{
  GPtrArray *all = g_ptr_array_new ();
  GQueue *queues[] = { &self->replicating, &self->retry, &self->in_flight, &self->buffer };
  FluidRedisOutboxItem *item;

  for (guint i = 0; i < G_N_ELEMENTS (queues); i++)
    {
      while ((item = g_queue_pop_head (queues[i])) != NULL)
        g_ptr_array_add (all, item);
    }
  g_queue_clear_full (&self->waits, g_free);
  self->sequence = self->waited = 0;
  return all;
}
