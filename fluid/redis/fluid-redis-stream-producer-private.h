/* fluid-redis-stream-producer-private.h: the state of a
 * FluidRedisStreamProducer, shared by its files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-redis-stream-producer.h"
#include "fluid-redis-connection-private.h"
#include "fluid-redis-log-private.h"
#include "fluid-redis-outbox-private.h"

G_BEGIN_DECLS

/* Sent at most at once, so that the confirmations pace the producer. */
#define FLUID_REDIS_PRODUCER_WINDOW 1024

/* Every field belongs to the worker's context. */
struct _FluidRedisStreamProducer
{
  FluidWorker           parent_instance;

  char                 *uri;
  char                 *stream;
  guint                 max_len;
  guint                 max_buffered;
  guint                 min_replicas;
  double                command_timeout;

  FluidRedisOutbox      outbox;      /* what it holds */
  GSource              *wait_source; /* sends the next WAIT (min-replicas) */
  GSource              *deadlines;   /* fails adds without a primary */

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
  guint64               not_replicated;
  guint                 reconnects;
  char                 *last_error;
};

/* fluid-redis-stream-producer.c */

/* Clears @source, destroying it. */
void fluid_redis_stream_producer_clear_source    (GSource                  **source);
/* @items (taken), not delivered: counted, each task failed with @error. */
void fluid_redis_stream_producer_drop_all        (FluidRedisStreamProducer  *self,
                                                  GPtrArray                 *items,
                                                  const GError              *error);
void fluid_redis_stream_producer_refused         (FluidRedisStreamProducer  *self,
                                                  const GError              *error);
/* @item, added as @id: counted, its task told, freed. */
void fluid_redis_stream_producer_added           (FluidRedisStreamProducer  *self,
                                                  FluidRedisOutboxItem      *item,
                                                  const char                *id);
void fluid_redis_stream_producer_end_run_if_done (FluidRedisStreamProducer  *self);

/* fluid-redis-stream-producer-replication.c */

void fluid_redis_stream_producer_schedule_wait   (FluidRedisStreamProducer  *self);
void fluid_redis_stream_producer_watch_deadlines (FluidRedisStreamProducer  *self);

G_END_DECLS
