/* fluid-metrics-private.h: the exposition writer, and the durations the
 * consumers measure while metrics are served
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-metrics.h"

#include <time.h>

G_BEGIN_DECLS

/* The families, in the order they are written; every one is declared in
 * every exposition, whether or not a worker of the tree has samples of
 * it. */
typedef enum
{
  FLUID_METRIC_WORKER_STATE,
  FLUID_METRIC_WORKER_RESTARTS,
  FLUID_METRIC_MESSAGES,
  FLUID_METRIC_QUEUE_SIZE,
  FLUID_METRIC_MESSAGE_DURATION,
  FLUID_METRIC_JOBS,
  FLUID_METRIC_REDIS_ENTRIES,
  FLUID_METRIC_REDIS_CONNECTED,
  FLUID_METRIC_REDIS_RECONNECTS,
  FLUID_N_METRICS
} FluidMetric;

/* A new exposition; fluid_metrics_finish() writes it out and frees it.
 * One thread at a time. */
FluidMetrics *fluid_metrics_new                (FluidMetricsFormat  format);
char         *fluid_metrics_finish             (FluidMetrics       *self);
void          fluid_metrics_add_sample         (FluidMetrics       *self,
                                                FluidMetric         metric,
                                                const char         *path,
                                                const char         *label,
                                                const char         *label_value,
                                                double              value);

/* The histogram of handler time, fluid_message_duration_seconds: counts
 * per bucket (not cumulative; the last is +Inf), their number and the sum
 * of the durations in nanoseconds. Written by the consumer's driver (the
 * pump, on the consumer's context, alone: fluid_run_timer_close();
 * threads merge what they measured with fluid_durations_merge()) and read
 * by the collector on the consumer's context, with atomics that a reader
 * on another thread would see too. */
#define FLUID_DURATION_N_BUCKETS 14

typedef struct
{
  guint64 buckets[FLUID_DURATION_N_BUCKETS];
  guint64 count;
  guint64 sum_ns;
} FluidDurations;

/* How many servers serve metrics in the process: the drivers measure
 * handler time only while it is not 0 (one load a message otherwise). */
extern int fluid_metrics_n_served;

static inline gboolean
fluid_metrics_timing (void)
{
  return G_UNLIKELY (g_atomic_int_get (&fluid_metrics_n_served) > 0);
}

/* A monotonic time in nanoseconds, for durations only. */
static inline guint64
fluid_metrics_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + (guint64) ts.tv_nsec;
}

guint         fluid_durations_bucket           (guint64             ns);
/* Adds @local, which the calling thread measured alone, to @self: any
 * thread. */
void          fluid_durations_merge            (FluidDurations     *self,
                                                const FluidDurations *local);
/* Times handlers in runs: a clock read per handler would cost a third of
 * the throughput of a consumer whose handler does little (see
 * fluid-metrics.c). A run holds the handlers completed one after the
 * other since fluid_run_timer_begin(), up to @limit; fluid_run_timer_close()
 * puts them in @durations. One thread. */
typedef struct
{
  guint64 started_ns;  /* 0: no run */
  guint   length;      /* handlers completed in the run */
  guint   limit;       /* the most a run holds: from 1, doubled while runs stay short */
} FluidRunTimer;

void          fluid_run_timer_close            (FluidRunTimer      *self,
                                                FluidDurations     *durations,
                                                gboolean            keep_open);

/* A handler begins: the run begins with it if none is open. */
static inline void
fluid_run_timer_begin (FluidRunTimer *self)
{
  if (self->started_ns == 0)
    {
      self->started_ns = fluid_metrics_now_ns ();
      self->length = 0;
      self->limit = MAX (self->limit, 1);
    }
}

/* A handler of the open run completed. */
static inline void
fluid_run_timer_done (FluidRunTimer  *self,
                      FluidDurations *durations)
{
  if (++self->length >= self->limit)
    fluid_run_timer_close (self, durations, FALSE);
}

void          fluid_metrics_add_durations      (FluidMetrics       *self,
                                                const char         *path,
                                                const FluidDurations *durations);

/* Who serves: fluid-metrics-server.c, compiled with libsoup or not. */
gboolean      fluid_metrics_server_start       (FluidWorker        *worker,
                                                const char         *address,
                                                GError            **error);

G_END_DECLS
