/* fluid-redis-test-seen.h: what the tests' entry handlers saw, and what
 * the workers' status says
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-redis-test-utils.h"

G_BEGIN_DECLS

/* What a fluid_test_seen_handler() saw, on the test's context. */
typedef struct
{
  GHashTable *counts;     /* id → times handled */
  GHashTable *deliveries; /* id → last delivery count */
  GHashTable *data;       /* the "data" field → times handled */
  guint       calls;
  gboolean    fail;       /* every call fails */
  char       *last_text;
  gboolean    text_was_null;
  gsize       data_size;
  gint64      last_time;  /* monotonic µs of the last call */
} FluidTestSeen;

FluidTestSeen *fluid_test_seen_new        (void);
void           fluid_test_seen_free       (FluidTestSeen             *seen);
void           fluid_test_seen_record     (FluidTestSeen             *seen,
                                           FluidRedisEntry           *entry);
/* A FluidRedisEntryFunc that records the entry in @user_data, a
 * FluidTestSeen, and fails when it says so. */
gboolean       fluid_test_seen_handler    (FluidRedisStreamConsumer  *consumer,
                                           FluidRedisEntry           *entry,
                                           gpointer                   user_data,
                                           GError                   **error);
/* The most times an entry was handled. */
guint          fluid_test_seen_max        (FluidTestSeen             *seen);
/* The entries (by their "data") handled more than once. */
guint          fluid_test_seen_duplicates (FluidTestSeen             *seen);

guint          fluid_test_status_u        (FluidWorker               *worker,
                                           const char                *key);
gboolean       fluid_test_status_b        (FluidWorker               *worker,
                                           const char                *key);
/* NULL when the status has no @key. */
char          *fluid_test_status_s        (FluidWorker               *worker,
                                           const char                *key);
gboolean       fluid_test_has_status_s    (FluidWorker               *worker,
                                           const char                *key);
/* Whether the status's last_error holds @text. */
gboolean       fluid_test_last_error_has  (FluidWorker               *worker,
                                           const char                *text);

/* Starts @worker, asserting it started; stops it, asserting it stopped
 * well (exit code 0). */
void           fluid_test_start_worker    (FluidWorker               *worker);
void           fluid_test_stop_worker     (FluidWorker               *worker);
/* Sends @n entries "data PREFIX-I", asserting each is taken. */
void           fluid_test_send            (FluidRedisStreamProducer  *producer,
                                           const char                *prefix,
                                           guint                      n);

/* Adds @n entries "data entry-I" to @stream, pipelined. */
void           fluid_test_xadd            (FluidTestRedis            *redis,
                                           const char                *stream,
                                           guint                      n);
/* XPENDING's count for @group of @stream. */
long long      fluid_test_group_pending   (FluidTestRedis            *redis,
                                           const char                *stream,
                                           const char                *group);

/* A producer fed without pause: fluid_redis_stream_producer_add_async()
 * of entries "data feed-N", @per_tick every millisecond while fewer than
 * 200 wait for their answer; what was added is kept. */
typedef struct
{
  FluidRedisStreamProducer *producer;
  GSource                  *timer;
  guint                     per_tick;
  guint                     next;           /* N of the next entry */
  guint                     waiting;        /* adds not finished */
  GHashTable               *added;          /* "feed-N" of the entries added */
  guint                     not_replicated;
  guint                     failed;         /* other errors */
} FluidTestFeeder;

FluidTestFeeder *fluid_test_feeder_new  (FluidRedisStreamProducer *producer,
                                         guint                     per_tick);
/* Stops adding, and returns once every add has its answer. */
void             fluid_test_feeder_stop (FluidTestFeeder          *feeder);
/* The entries added that @seen has not seen handled. */
guint            fluid_test_feeder_lost (FluidTestFeeder          *feeder,
                                         FluidTestSeen            *seen);
void             fluid_test_feeder_free (FluidTestFeeder          *feeder);

/* A FluidRedisEntryFunc that counts the entries in @user_data, a guint. */
gboolean         fluid_test_count_handler (FluidRedisStreamConsumer  *consumer,
                                           FluidRedisEntry           *entry,
                                           gpointer                   user_data,
                                           GError                   **error);
/* Starts @consumer and a producer of its stream, adds @rounds times
 * @per_round entries, waits each time until @handled (what the handler
 * counts) says so, then stops both; returns the growth of the resident
 * set from the end of the second round to the end, in bytes. */
gint64           fluid_test_run_rounds    (FluidRedisStreamConsumer  *consumer,
                                           const guint               *handled,
                                           guint                      rounds,
                                           guint                      per_round);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidTestSeen, fluid_test_seen_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidTestFeeder, fluid_test_feeder_free)

G_END_DECLS
