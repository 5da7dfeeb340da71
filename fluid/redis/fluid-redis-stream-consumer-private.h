/* fluid-redis-stream-consumer-private.h: the state of a running
 * FluidRedisStreamConsumer, shared by its files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-redis-stream-consumer.h"
#include "fluid-redis-connection-private.h"
#include "fluid-redis-entry-private.h"
#include "fluid-redis-log-private.h"

G_BEGIN_DECLS

/* How long XREADGROUP waits on the server before it returns nil. */
#define FLUID_REDIS_BLOCK_MS 5000

typedef enum
{
  PHASE_SETUP,   /* the group is to be created */
  PHASE_PENDING, /* reading our own pending entries */
  PHASE_NEW,     /* reading new entries */
} Phase;

/* Every field belongs to the worker's context. */
typedef struct
{
  /* Properties */
  char                 *uri;
  char                 *stream;
  char                 *group;
  char                 *consumer;
  char                 *dead_letter_stream;
  guint                 batch_size;
  double                claim_idle;
  guint                 max_deliveries;
  gboolean              create_stream;
  double                command_timeout;

  FluidRedisEntryFunc   func;
  gpointer              func_data;
  GDestroyNotify        func_destroy;

  /* While run is running */
  GTask                *run_task;
  guint                 generation;   /* bumped at each end of run */
  gulong                stopping_id;
  gulong                cancelled_id;
  GSource              *finish_source;
  FluidRedisConnection *reader;       /* XREADGROUP … BLOCK */
  FluidRedisConnection *commands;     /* everything else */
  GSource              *claim_timer;
  Phase                 phase;
  gboolean              reading;      /* a read is outstanding */
  char                 *pending_cursor;
  gboolean              setup_sent;
  gpointer              pending_batch; /* PendingBatch, while reading ours */
  gboolean              claiming;
  char                 *claim_cursor;
  gpointer              claim_batch;   /* ClaimBatch, while claiming */
  GQueue                dead_letters;  /* FluidRedisEntry, in EXEC order */
  GError               *finish_error;
  gint64                last_refresh;
  gboolean              stopping;
  gboolean              connected;
  gboolean              was_connected;
  FluidRedisOutage      outage;       /* ends once the group is set up */

  GHashTable           *in_flight;    /* id → FluidRedisEntry, taken, not done */
  GPtrArray            *acks;         /* ids to acknowledge */
  GPtrArray            *acks_sent;    /* ids in the XACK on the wire */

  /* Counters, for the status */
  guint64               acked;
  guint64               claimed;
  guint64               dead_lettered;
  guint64               failed;
  guint                 reconnects;
  char                 *last_error;
} FluidRedisStreamConsumerPrivate;

enum
{
  PROP_0,
  PROP_URI,
  PROP_STREAM,
  PROP_GROUP,
  PROP_CONSUMER,
  PROP_BATCH_SIZE,
  PROP_CLAIM_IDLE,
  PROP_MAX_DELIVERIES,
  PROP_DEAD_LETTER_STREAM,
  PROP_CREATE_STREAM,
  PROP_COMMAND_TIMEOUT,
  PROP_CONNECTED,
  N_PROPS
};

extern GParamSpec *fluid_redis_stream_consumer_properties[N_PROPS];

FluidRedisStreamConsumerPrivate *fluid_redis_stream_consumer_get_priv (FluidRedisStreamConsumer *self);

/* fluid-redis-stream-consumer.c */
void     fluid_redis_stream_consumer_kick          (FluidRedisStreamConsumer *self);
/* Entries taken and not yet acknowledged: in a handler, or handled and
 * their XACK not confirmed. What a consumer that dies leaves to others. */
guint    fluid_redis_stream_consumer_held          (FluidRedisStreamConsumer *self);
void     fluid_redis_stream_consumer_flush_acks    (FluidRedisStreamConsumer *self);
void     fluid_redis_stream_consumer_end_run_if_done  (FluidRedisStreamConsumer *self);
void     fluid_redis_stream_consumer_fail          (FluidRedisStreamConsumer *self,
                                                    GError                   *error);
void     fluid_redis_stream_consumer_dispatch      (FluidRedisStreamConsumer *self,
                                                    FluidRedisEntry          *entry);
void     fluid_redis_stream_consumer_command_failed (FluidRedisStreamConsumer *self,
                                                     const char               *what,
                                                     const GError             *error);
void     fluid_redis_stream_consumer_default_handle_async (FluidRedisStreamConsumer *self,
                                                           FluidRedisEntry          *entry,
                                                           GCancellable             *cancellable,
                                                           GAsyncReadyCallback       callback,
                                                           gpointer                  user_data);
void     fluid_redis_ids_clear                     (GPtrArray                *ids);
gboolean fluid_redis_set_str                       (char                    **field,
                                                    const char               *value);

/* fluid-redis-stream-consumer-claims.c: reading our own pending entries,
 * claiming idle ones, keeping ours from being claimed */
void     fluid_redis_stream_consumer_read_pending  (FluidRedisStreamConsumer *self);
void     fluid_redis_stream_consumer_read_new      (FluidRedisStreamConsumer *self);
void     fluid_redis_stream_consumer_claim         (FluidRedisStreamConsumer *self);
gboolean fluid_redis_stream_consumer_claim_timer_cb (gpointer                 user_data);
void     fluid_redis_pending_batch_free            (gpointer                  batch);
void     fluid_redis_claim_batch_free              (gpointer                  batch);

/* fluid-redis-stream-consumer-properties.c */
char    *fluid_redis_default_consumer_name         (void);

G_END_DECLS
