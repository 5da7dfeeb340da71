/* fluid-redis-outbox-private.h: the entries a producer holds until the
 * server, and the replicas it asks for, took them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One entry: its XADD in RESP, and who waits for it. */
typedef struct
{
  char    *command;   /* RESP, from redisFormatCommandArgv */
  gsize    len;
  GTask   *task;      /* nullable: send() has none */
  char    *id;        /* the id XADD gave, while replication is awaited */
  guint64  sequence;  /* its rank among the XADDs of the connection, when
                       * its replication is awaited; 0 otherwise */
  gint64   deadline;  /* monotonic µs; 0 for none */
} FluidRedisOutboxItem;

/* The XADD of an entry to @stream (trimmed to about @max_len when not
 * 0): fields given as names and values alternately (an even, positive
 * number: fluid_redis_outbox_fields_valid()), or as names and bytes
 * (NULL and a critical when one is missing). */
gboolean              fluid_redis_outbox_fields_valid   (const char * const   *fields);
FluidRedisOutboxItem *fluid_redis_outbox_item_new_strv  (const char           *stream,
                                                         guint                 max_len,
                                                         const char * const   *fields);
FluidRedisOutboxItem *fluid_redis_outbox_item_new_bytes (const char           *stream,
                                                         guint                 max_len,
                                                         const char * const   *names,
                                                         GBytes * const       *values,
                                                         guint                 n_fields);
void                  fluid_redis_outbox_item_free      (FluidRedisOutboxItem *item);

/* The entries, in the order they must reach the server: not sent yet;
 * sent and not answered; answered and waiting for WAIT; lost with the
 * connection before either. Every field belongs to the producer's
 * context; the queues and counters are read by the producer, changed
 * through these functions. */
typedef struct
{
  GQueue  buffer;       /* FluidRedisOutboxItem, not sent yet */
  GQueue  in_flight;    /* sent, in order */
  GQueue  replicating;  /* added, WAIT not answered */
  GQueue  retry;        /* whose answer was lost */
  guint64 sequence;     /* the XADDs sent on this connection that wait
                         * for replication */
  guint64 waited;       /* the last of them a WAIT covers */
  GQueue  waits;        /* guint64 *: what each WAIT sent covers */
} FluidRedisOutbox;

void      fluid_redis_outbox_init         (FluidRedisOutbox     *outbox);
/* Every entry held, in all queues. */
guint     fluid_redis_outbox_get_held     (FluidRedisOutbox     *outbox);
void      fluid_redis_outbox_hold         (FluidRedisOutbox     *outbox,
                                           FluidRedisOutboxItem *item);
/* The next entry to send, or NULL; fluid_redis_outbox_sent() once it went
 * on the wire (@replicated: a WAIT is to confirm it). */
FluidRedisOutboxItem *fluid_redis_outbox_peek (FluidRedisOutbox *outbox);
void      fluid_redis_outbox_sent         (FluidRedisOutbox     *outbox,
                                           gboolean              replicated);
/* The entry whose answer came (answers come in order). */
FluidRedisOutboxItem *fluid_redis_outbox_answered (FluidRedisOutbox *outbox);
/* After its answer: @item waits for a WAIT, with its @id; or its answer
 * was lost and it goes again. */
void      fluid_redis_outbox_replicating  (FluidRedisOutbox     *outbox,
                                           FluidRedisOutboxItem *item,
                                           const char           *id);
void      fluid_redis_outbox_retry        (FluidRedisOutbox     *outbox,
                                           FluidRedisOutboxItem *item);
/* TRUE when entries were sent that no WAIT covers yet: the WAIT sent
 * next covers them, and fluid_redis_outbox_wait_sent() says it went. */
gboolean  fluid_redis_outbox_wait_due     (FluidRedisOutbox     *outbox);
void      fluid_redis_outbox_wait_sent    (FluidRedisOutbox     *outbox);
/* WAIT's answer came: the entries it covers, one by one, then NULL. */
void      fluid_redis_outbox_wait_answered (FluidRedisOutbox    *outbox,
                                            guint64             *upto);
FluidRedisOutboxItem *fluid_redis_outbox_pop_replicating (FluidRedisOutbox *outbox,
                                                          guint64           upto);
/* The connection is lost: what it took and did not confirm goes first
 * again, in the order it was sent. */
void      fluid_redis_outbox_lost         (FluidRedisOutbox     *outbox);
/* Sets the deadline of the entries not sent that have a task. */
void      fluid_redis_outbox_set_deadlines (FluidRedisOutbox    *outbox,
                                            gint64               deadline);
/* Takes the entries not sent whose deadline has passed. */
GPtrArray *fluid_redis_outbox_expire      (FluidRedisOutbox     *outbox,
                                           gint64                now);
/* Takes every entry (freed by the caller), the outbox left empty. */
GPtrArray *fluid_redis_outbox_take_all    (FluidRedisOutbox     *outbox);

G_END_DECLS
