/* bench-metrics.c: what metrics cost
 *
 * Prints one "metric_name value" line per figure:
 *   queue_throughput_msgs_per_s          1 000 000 messages through a
 *                                        FluidQueueConsumerWorker, sent on
 *                                        its thread, metrics not served
 *   queue_throughput_served_msgs_per_s   the same while served: every
 *                                        handler timed for the histogram
 *   served_vs_not_percent                the one over the other
 *   served_vs_not_limit_percent          90: the contract's limit
 *   collect_10000_workers_ms             fluid_worker_collect_metrics() of
 *                                        a group of 10 000 workers
 *   collect_10000_workers_bytes          the size of that exposition
 *   scrape_latency_p50_ms                GET /metrics of one consumer,
 *   scrape_latency_p99_ms                from another thread, 200 times
 *   scrape_10000_workers_ms              GET /metrics of the group, best
 *                                        of 5
 *
 * Rounds run not served and served, each first in turn, the best of each
 * kept, as the machine is shared.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <string.h>

#define N_MESSAGES 1000000
#define N_WORKERS 10000
#define N_SCRAPES 200
#define ROUNDS 6

static void
count_message (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               gpointer                  user_data)
{
  guint *count = user_data;

  (*count)++;
}

static double
bench_throughput (gboolean served)
{
  guint count = 0;
  g_autoptr(FluidWorker) worker = fluid_queue_consumer_worker_new (count_message, &count, NULL);
  GValue message = G_VALUE_INIT;
  gint64 start;
  double elapsed;

  if (served)
    g_assert_true (fluid_worker_serve_metrics (worker, "127.0.0.1:0", NULL));
  fluid_test_startup (worker, NULL);
  fluid_test_settle (NULL);

  g_value_init (&message, G_TYPE_INT);
  start = g_get_monotonic_time ();
  for (int i = 0; i < N_MESSAGES; i++)
    {
      g_value_set_int (&message, i);
      fluid_queue_consumer_send (FLUID_QUEUE_CONSUMER (worker), &message);
    }
  while (count < N_MESSAGES)
    g_main_context_iteration (NULL, TRUE);
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  fluid_test_shutdown (worker, NULL);
  fluid_worker_stop_serving_metrics (worker);
  return N_MESSAGES / elapsed;
}

static void
tick (FluidWorker *worker,
      gpointer     user_data)
{
}

static FluidWorker *
make_group (void)
{
  FluidWorkers *group = g_object_new (FLUID_TYPE_WORKERS, "name", "many", NULL);

  for (guint i = 0; i < N_WORKERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("worker%u", i);
      g_autoptr(FluidWorker) worker = i % 2 == 0
        ? fluid_worker_function_new_named (name, 1.0, tick, NULL, NULL)
        : fluid_queue_consumer_worker_new (count_message, NULL, NULL);

      fluid_workers_add_worker (group, worker);
    }
  return FLUID_WORKER (group);
}

typedef struct
{
  char    *address;
  guint    n;
  GArray  *latencies_ms;
  gboolean done;
} Scraper;

static gpointer
scraper_thread (gpointer data)
{
  Scraper *scraper = data;

  for (guint i = 0; i < scraper->n; i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      g_autofree char *body = fluid_test_http_get (scraper->address, "/metrics", NULL, NULL, &error);
      double ms = (g_get_monotonic_time () - start) / 1000.0;

      g_assert_no_error (error);
      g_assert_nonnull (body);
      g_array_append_val (scraper->latencies_ms, ms);
    }
  g_atomic_int_set (&scraper->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* @n scrapes of @worker, one after the other, from another thread. */
static GArray *
scrape_latencies (FluidWorker *worker,
                  guint        n)
{
  Scraper scraper = { NULL, n, g_array_new (FALSE, FALSE, sizeof (double)), FALSE };
  GThread *thread;

  g_assert_true (fluid_worker_serve_metrics (worker, "127.0.0.1:0", NULL));
  scraper.address = fluid_worker_get_metrics_address (worker);
  thread = g_thread_new ("scraper", scraper_thread, &scraper);
  while (!g_atomic_int_get (&scraper.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  fluid_worker_stop_serving_metrics (worker);
  g_free (scraper.address);
  return scraper.latencies_ms;
}

int
main (int   argc,
      char *argv[])
{
  double not_served = 0, served = 0, collect_ms = G_MAXDOUBLE;
  g_autoptr(FluidWorker) group = NULL;
  g_autoptr(FluidWorker) consumer = NULL;
  g_autoptr(GArray) latencies = NULL;
  g_autoptr(GArray) group_latencies = NULL;
  gsize collect_bytes = 0;

  /* Quiet: the benchmark's own output only. */
  g_log_set_writer_func (g_log_writer_default, NULL, NULL);

  group = make_group ();
  for (guint round = 0; round < 5; round++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autofree char *text = fluid_worker_collect_metrics (group);

      collect_ms = MIN (collect_ms, (g_get_monotonic_time () - start) / 1000.0);
      collect_bytes = strlen (text);
    }

  g_print ("collect_10000_workers_ms %.2f\n", collect_ms);
  g_print ("collect_10000_workers_bytes %" G_GSIZE_FORMAT "\n", collect_bytes);

  /* The rest is served: not without libsoup. */
  consumer = fluid_queue_consumer_worker_new (count_message, NULL, NULL);
  if (!fluid_worker_serve_metrics (consumer, "127.0.0.1:0", NULL))
    {
      g_print ("# built without libsoup: nothing served\n");
      return 0;
    }
  fluid_worker_stop_serving_metrics (consumer);

  /* Each first in turn: the second of a round finds a warmer heap. */
  for (guint round = 0; round < ROUNDS; round++)
    {
      gboolean served_first = round % 2 == 1;

      if (served_first)
        served = MAX (served, bench_throughput (TRUE));
      not_served = MAX (not_served, bench_throughput (FALSE));
      if (!served_first)
        served = MAX (served, bench_throughput (TRUE));
    }
  latencies = scrape_latencies (consumer, N_SCRAPES);
  group_latencies = scrape_latencies (group, 5);

  g_print ("queue_throughput_msgs_per_s %.0f\n", not_served);
  g_print ("queue_throughput_served_msgs_per_s %.0f\n", served);
  g_print ("served_vs_not_percent %.1f\n", 100 * served / not_served);
  g_print ("served_vs_not_limit_percent 90\n");
  g_print ("scrape_latency_p50_ms %.3f\n", fluid_test_percentile (latencies, 0.5));
  g_print ("scrape_latency_p99_ms %.3f\n", fluid_test_percentile (latencies, 0.99));
  g_print ("scrape_10000_workers_ms %.2f\n", fluid_test_percentile (group_latencies, 0));
  return 0;
}
