/* fluid-metrics.c: the exposition writer, and the collection of a tree
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A collection walks a worker's tree once, on the worker's context: each
 * worker writes its state, then its class adds its own samples through
 * the `add_metrics` virtual method (a consumer its counters, a group
 * the restarts of its children, and the walk into them). Samples go to
 * one buffer per family, so that a family's samples stay together
 * whatever order the tree gives them in; fluid_metrics_finish() writes
 * the families out in the fixed order of the table below, each with its
 * HELP and TYPE, even without samples. The cost is one GString append per
 * sample: the 10 000 workers of bench-metrics cost a few milliseconds.
 *
 * The `worker` label is the path of the worker from the collected root,
 * the root's name first; label values are escaped as both formats say
 * (backslash, double quote and newline; other bytes, UTF-8 included, as
 * they are).
 *
 * Handler time (FluidDurations) is measured by the consumers' drivers
 * only while fluid_metrics_n_served is not 0: a load a message otherwise.
 * Even served, it must cost at most a tenth of the throughput of a
 * consumer whose handler does nothing (13 M messages a second on the pump,
 * 75 ns each, when a clock read costs 22 ns). So the drivers time runs of
 * handlers, not each one (FluidRunTimer): two clock reads for the whole
 * run. A run that took no longer than the first bucket's bound (10 µs)
 * puts each of its handlers in that bucket, exactly, since none took
 * longer than the run; the runs then grow, doubling up to 1024 handlers.
 * A run that took longer is spread evenly over its handlers (the one
 * approximation, at most once each time handlers slow down) and the next
 * runs hold one handler each, timed exactly, until they are fast again.
 * The time a driver spends between two handlers of a run counts as the
 * handlers' (tens of nanoseconds).
 */

#include "fluid-metrics-private.h"
#include "fluid-enums.h"

/**
 * SECTION:fluid-metrics
 * @short_description: A worker's metrics for Prometheus
 * @title: Metrics
 * @see_also: #FluidWorker, fluid_worker_run_main()
 *
 * fluid_worker_collect_metrics() writes the metrics of a worker and of
 * every worker below it in the text format Prometheus scrapes;
 * fluid_worker_serve_metrics() serves them at `http://ADDRESS/metrics`
 * (with libsoup 3), and fluid_worker_run_main() does when the environment
 * variable `FLUID_METRICS_ADDRESS` is set. Over D-Bus, the method
 * `GetMetrics()` of `org.gnome.Fluid.Worker1` returns the same text,
 * which `fluidctl BUS_NAME [PATH] metrics` prints.
 *
 * |[<!-- language="C" -->
 * if (!fluid_worker_serve_metrics (worker, "127.0.0.1:9464", &error))
 *   g_printerr ("No metrics: %s\n", error->message);
 * return fluid_worker_run_main (worker);
 * ]|
 *
 * A worker class adds its own samples in its `add_metrics` virtual
 * method, with fluid_metrics_add(), and walks into the workers below it
 * with fluid_metrics_add_worker().
 */

#include <math.h>
#include <string.h>

int fluid_metrics_n_served;

G_DEFINE_ENUM_TYPE (FluidMetricsFormat, fluid_metrics_format,
  G_DEFINE_ENUM_VALUE (FLUID_METRICS_FORMAT_PROMETHEUS, "prometheus"),
  G_DEFINE_ENUM_VALUE (FLUID_METRICS_FORMAT_OPENMETRICS, "openmetrics"))

typedef enum
{
  FLUID_METRIC_TYPE_COUNTER,
  FLUID_METRIC_TYPE_GAUGE,
  FLUID_METRIC_TYPE_HISTOGRAM,
} FluidMetricType;

typedef struct
{
  const char      *name;  /* as the samples have it, _total included */
  FluidMetricType  type;
  const char      *help;
} FluidMetricFamily;

static const FluidMetricFamily fluid_metric_families[FLUID_N_METRICS] = {
  [FLUID_METRIC_WORKER_STATE] = {
    "fluid_worker_state", FLUID_METRIC_TYPE_GAUGE,
    "The lifecycle state of the worker, a state set: 1 for the state it is in, 0 for the others.",
  },
  [FLUID_METRIC_WORKER_RESTARTS] = {
    "fluid_worker_restarts_total", FLUID_METRIC_TYPE_COUNTER,
    "How many times the worker's group replaced the worker in this position.",
  },
  [FLUID_METRIC_MESSAGES] = {
    "fluid_messages_total", FLUID_METRIC_TYPE_COUNTER,
    "Messages a consumer finished, by outcome: processed, failed or discarded.",
  },
  [FLUID_METRIC_QUEUE_SIZE] = {
    "fluid_queue_size", FLUID_METRIC_TYPE_GAUGE,
    "Messages waiting in a consumer's queue.",
  },
  [FLUID_METRIC_MESSAGE_DURATION] = {
    "fluid_message_duration_seconds", FLUID_METRIC_TYPE_HISTOGRAM,
    "Time a consumer's handler took on a message, measured while metrics are served.",
  },
  /* Written by FluidJobWorker's add_metrics, after a consumer's. */
  [FLUID_METRIC_JOBS] = {
    "fluid_jobs_total", FLUID_METRIC_TYPE_COUNTER,
    "Jobs a job worker finished, by outcome: succeeded, failed or cancelled.",
  },
  [FLUID_METRIC_REDIS_ENTRIES] = {
    "fluid_redis_entries_total", FLUID_METRIC_TYPE_COUNTER,
    "Redis stream entries a consumer settled, by outcome: acked, claimed or dead_lettered.",
  },
  [FLUID_METRIC_REDIS_CONNECTED] = {
    "fluid_redis_connected", FLUID_METRIC_TYPE_GAUGE,
    "Whether the worker is connected to its Redis server (1) or not (0).",
  },
  [FLUID_METRIC_REDIS_RECONNECTS] = {
    "fluid_redis_reconnects_total", FLUID_METRIC_TYPE_COUNTER,
    "How many times the worker connected again to its Redis server after losing it.",
  },
};

/* The upper bounds of the buckets, in seconds, the last (+Inf) left
 * out: from 10 µs, for handlers that compute, to 10 s, for those that
 * wait on a server. */
static const double fluid_duration_bounds[FLUID_DURATION_N_BUCKETS - 1] = {
  0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
};

struct _FluidMetrics
{
  FluidMetricsFormat  format;
  GString            *samples[FLUID_N_METRICS];
};

FluidMetrics *
fluid_metrics_new (FluidMetricsFormat format)
{
  FluidMetrics *self = g_new0 (FluidMetrics, 1);

  self->format = format;
  for (guint i = 0; i < FLUID_N_METRICS; i++)
    self->samples[i] = g_string_new (NULL);
  return self;
}

/* The name of the family's HELP and TYPE lines: OpenMetrics names a
 * counter without its _total. */
static void
fluid_metrics_append_family_name (FluidMetrics            *self,
                                  GString                 *out,
                                  const FluidMetricFamily *family)
{
  if (self->format == FLUID_METRICS_FORMAT_OPENMETRICS && family->type == FLUID_METRIC_TYPE_COUNTER)
    g_string_append_len (out, family->name, strlen (family->name) - strlen ("_total"));
  else
    g_string_append (out, family->name);
}

char *
fluid_metrics_finish (FluidMetrics *self)
{
  static const char * const type_names[] = { "counter", "gauge", "histogram" };
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < FLUID_N_METRICS; i++)
    {
      const FluidMetricFamily *family = &fluid_metric_families[i];

      g_string_append (out, "# HELP ");
      fluid_metrics_append_family_name (self, out, family);
      g_string_append_c (out, ' ');
      g_string_append (out, family->help);
      g_string_append (out, "\n# TYPE ");
      fluid_metrics_append_family_name (self, out, family);
      g_string_append_c (out, ' ');
      g_string_append (out, type_names[family->type]);
      g_string_append_c (out, '\n');
      g_string_append_len (out, self->samples[i]->str, self->samples[i]->len);
      g_string_free (self->samples[i], TRUE);
    }
  if (self->format == FLUID_METRICS_FORMAT_OPENMETRICS)
    g_string_append (out, "# EOF\n");
  g_free (self);
  return g_string_free (out, FALSE);
}

static void
fluid_metrics_append_label (GString    *out,
                            const char *name,
                            const char *value)
{
  g_string_append (out, name);
  g_string_append (out, "=\"");
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\");
      else if (*p == '"')
        g_string_append (out, "\\\"");
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
fluid_metrics_append_value (GString *out,
                            double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    g_string_append (out, "NaN");
  else if (isinf (value))
    g_string_append (out, value > 0 ? "+Inf" : "-Inf");
  else if (value == floor (value) && fabs (value) < 1e15)
    g_string_append_printf (out, "%.0f", value);
  else
    g_string_append (out, g_ascii_dtostr (buffer, sizeof buffer, value));
}

static void
fluid_metrics_append_sample (GString    *out,
                             const char *name,
                             const char *suffix,
                             const char *path,
                             const char *label,
                             const char *label_value,
                             double      value)
{
  g_string_append (out, name);
  if (suffix != NULL)
    g_string_append (out, suffix);
  g_string_append_c (out, '{');
  fluid_metrics_append_label (out, "worker", path);
  if (label != NULL)
    {
      g_string_append_c (out, ',');
      fluid_metrics_append_label (out, label, label_value);
    }
  g_string_append (out, "} ");
  fluid_metrics_append_value (out, value);
  g_string_append_c (out, '\n');
}

void
fluid_metrics_add_sample (FluidMetrics *self,
                          FluidMetric   metric,
                          const char   *path,
                          const char   *label,
                          const char   *label_value,
                          double        value)
{
  fluid_metrics_append_sample (self->samples[metric], fluid_metric_families[metric].name, NULL,
                               path, label, label_value, value);
}

/* Durations */

guint
fluid_durations_bucket (guint64 ns)
{
  double seconds = ns / 1e9;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fluid_duration_bounds); i++)
    if (seconds <= fluid_duration_bounds[i])
      break;
  return i;
}

/* A load and a store, not an atomic addition: @self has one writer, and
 * the reader on another thread sees whole values. */
static inline void
fluid_counter_bump (guint64 *counter,
                    guint64  n)
{
  __atomic_store_n (counter, __atomic_load_n (counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* @n durations of @total_ns in all, in @bucket, by the one thread that
 * writes @self. */
static void
fluid_durations_add (FluidDurations *self,
                     guint           bucket,
                     guint64         n,
                     guint64         total_ns)
{
  fluid_counter_bump (&self->buckets[bucket], n);
  fluid_counter_bump (&self->sum_ns, total_ns);
  fluid_counter_bump (&self->count, n);
}

void
fluid_durations_merge (FluidDurations       *self,
                       const FluidDurations *local)
{
  if (local->count == 0)
    return;
  for (guint i = 0; i < FLUID_DURATION_N_BUCKETS; i++)
    if (local->buckets[i] != 0)
      __atomic_fetch_add (&self->buckets[i], local->buckets[i], __ATOMIC_RELAXED);
  __atomic_fetch_add (&self->sum_ns, local->sum_ns, __ATOMIC_RELAXED);
  __atomic_fetch_add (&self->count, local->count, __ATOMIC_RELAXED);
}

#define FLUID_RUN_TIMER_MAX_LIMIT 1024

void
fluid_run_timer_close (FluidRunTimer  *self,
                       FluidDurations *durations,
                       gboolean        keep_open)
{
  guint64 now, total;

  if (self->started_ns == 0 || (keep_open && self->length == 0))
    return;
  now = fluid_metrics_now_ns ();
  total = now - self->started_ns;
  if (self->length > 0)
    {
      if (total <= (guint64) (fluid_duration_bounds[0] * 1e9))
        {
          fluid_durations_add (durations, 0, self->length, total);
          self->limit = MIN (self->limit * 2, FLUID_RUN_TIMER_MAX_LIMIT);
        }
      else
        {
          fluid_durations_add (durations, fluid_durations_bucket (total / self->length),
                               self->length, total);
          self->limit = 1;
        }
    }
  /* The handler still going on began now, as far as the next run knows. */
  self->started_ns = keep_open ? now : 0;
  self->length = 0;
}

void
fluid_metrics_add_durations (FluidMetrics         *self,
                             const char           *path,
                             const FluidDurations *durations)
{
  const FluidMetricFamily *family = &fluid_metric_families[FLUID_METRIC_MESSAGE_DURATION];
  GString *out = self->samples[FLUID_METRIC_MESSAGE_DURATION];
  guint64 cumulative = 0, count;
  char bound[G_ASCII_DTOSTR_BUF_SIZE];

  /* Read from the count down: a bucket read after the count holds at
   * least what the count says, so that +Inf is never below the others. */
  count = __atomic_load_n (&durations->count, __ATOMIC_ACQUIRE);
  for (guint i = 0; i < FLUID_DURATION_N_BUCKETS; i++)
    {
      cumulative += __atomic_load_n (&durations->buckets[i], __ATOMIC_RELAXED);
      if (i + 1 < FLUID_DURATION_N_BUCKETS)
        g_ascii_dtostr (bound, sizeof bound, fluid_duration_bounds[i]);
      else
        {
          g_strlcpy (bound, "+Inf", sizeof bound);
          /* The count and +Inf say the same. */
          cumulative = MAX (cumulative, count);
          count = cumulative;
        }
      fluid_metrics_append_sample (out, family->name, "_bucket", path, "le", bound, (double) cumulative);
    }
  fluid_metrics_append_sample (out, family->name, "_sum", path, NULL, NULL,
                               __atomic_load_n (&durations->sum_ns, __ATOMIC_RELAXED) / 1e9);
  fluid_metrics_append_sample (out, family->name, "_count", path, NULL, NULL, (double) count);
}

/* Public API */

/**
 * fluid_metrics_add:
 * @self: the #FluidMetrics being collected
 * @name: the name of the sample, one of the families the library declares
 *   (`fluid_jobs_total`, `fluid_redis_connected`...)
 * @path: the worker's path, the `worker` label: the @path the
 *   `add_metrics` virtual method was given
 * @label: (nullable): the name of a second label (`outcome`), or %NULL
 * @label_value: (nullable): its value; %NULL without @label
 * @value: the value
 *
 * Adds a sample of a family of the library to the exposition, from the
 * `add_metrics` virtual method of a #FluidWorkerClass. A family that
 * is not declared is refused with a critical: an exposition declares the
 * same families whoever writes it.
 *
 * Since: 1.2
 */
void
fluid_metrics_add (FluidMetrics *self,
                   const char   *name,
                   const char   *path,
                   const char   *label,
                   const char   *label_value,
                   double        value)
{
  guint i;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (path != NULL);
  g_return_if_fail ((label == NULL) == (label_value == NULL));

  for (i = 0; i < FLUID_N_METRICS; i++)
    if (g_str_equal (fluid_metric_families[i].name, name))
      break;
  g_return_if_fail (i < FLUID_N_METRICS);
  g_return_if_fail (fluid_metric_families[i].type != FLUID_METRIC_TYPE_HISTOGRAM);
  g_return_if_fail (label == NULL || (g_strcmp0 (label, "worker") != 0 && g_strcmp0 (label, "le") != 0));

  fluid_metrics_add_sample (self, i, path, label, label_value, value);
}

/**
 * fluid_metrics_add_worker:
 * @self: the #FluidMetrics being collected
 * @worker: a worker below the one collecting (a child of a group)
 * @path: its path, the `worker` label: the path of its parent, a slash,
 *   and its name as its parent tells it apart from its siblings
 *
 * Adds the samples of @worker and of everything below it: its state, then
 * what its class adds. From the `add_metrics` virtual method of a
 * worker that has workers below it; on their context.
 *
 * Since: 1.2
 */
void
fluid_metrics_add_worker (FluidMetrics *self,
                          FluidWorker  *worker,
                          const char   *path)
{
  g_autoptr(GEnumClass) states = NULL;
  FluidWorkerState state;
  FluidWorkerClass *klass;

  g_return_if_fail (self != NULL);
  g_return_if_fail (FLUID_IS_WORKER (worker));
  g_return_if_fail (path != NULL);

  states = g_type_class_ref (FLUID_TYPE_WORKER_STATE);
  state = fluid_worker_get_state (worker);
  for (guint i = 0; i < states->n_values; i++)
    fluid_metrics_add_sample (self, FLUID_METRIC_WORKER_STATE, path, "state",
                              states->values[i].value_nick,
                              states->values[i].value == (int) state ? 1 : 0);

  klass = FLUID_WORKER_GET_CLASS (worker);
  if (klass->add_metrics != NULL)
    klass->add_metrics (worker, self, path);
}

/**
 * fluid_worker_collect_metrics:
 * @self: a #FluidWorker
 *
 * The metrics of @self and of every worker below it, in Prometheus' text
 * exposition format (version 0.0.4), as `promtool check metrics` accepts
 * it. Every family is declared, with its HELP and TYPE lines, whether or
 * not a worker of the tree has samples of it:
 *
 * - `fluid_worker_state{worker,state}`: a state set, 1 for the state the
 *   worker is in and 0 for the four others;
 * - `fluid_worker_restarts_total{worker}`: the replacements of a group's
 *   child;
 * - `fluid_messages_total{worker,outcome}`: the messages a consumer
 *   processed, failed or discarded;
 * - `fluid_queue_size{worker}`: the messages waiting in its queue;
 * - `fluid_message_duration_seconds{worker}`: a histogram of its
 *   handler's time, measured only while fluid_worker_serve_metrics()
 *   serves metrics in the process;
 * - `fluid_jobs_total{worker,outcome}`: the jobs of a #FluidJobWorker
 *   that succeeded, failed or were cancelled;
 * - `fluid_redis_entries_total{worker,outcome}` (acked, claimed,
 *   dead_lettered), `fluid_redis_connected{worker}` and
 *   `fluid_redis_reconnects_total{worker}`: a Redis stream consumer's.
 *
 * The `worker` label is the path of the worker from @self, @self's name
 * first: `daemon`, `daemon/inbox`, `daemon/inner/leaf`, each child named
 * as its group's status and D-Bus name it (`NAME#2` for a second child
 * of one name).
 *
 * Call it on the context the worker runs on (or, before it starts, on
 * the thread that owns it).
 *
 * Returns: (transfer full): the exposition
 *
 * Since: 1.2
 */
char *
fluid_worker_collect_metrics (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);

  return fluid_worker_collect_metrics_full (self, FLUID_METRICS_FORMAT_PROMETHEUS);
}

/**
 * fluid_worker_collect_metrics_full:
 * @self: a #FluidWorker
 * @format: the format to write
 *
 * fluid_worker_collect_metrics() in @format: OpenMetrics writes the same
 * samples, names a counter's family without its `_total` in the HELP and
 * TYPE lines, and ends with `# EOF`.
 *
 * Returns: (transfer full): the exposition
 *
 * Since: 1.2
 */
char *
fluid_worker_collect_metrics_full (FluidWorker        *self,
                                   FluidMetricsFormat  format)
{
  FluidMetrics *metrics;

  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);
  g_return_val_if_fail (format == FLUID_METRICS_FORMAT_PROMETHEUS ||
                        format == FLUID_METRICS_FORMAT_OPENMETRICS, NULL);

  metrics = fluid_metrics_new (format);
  fluid_metrics_add_worker (metrics, self, fluid_worker_get_name (self));
  return fluid_metrics_finish (metrics);
}
