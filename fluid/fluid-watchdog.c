/* fluid-watchdog.c: shutting down a worker that is not fed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-watchdog-private.h"
#include "fluid-lifecycle-private.h"

#include <math.h>

/* A RUNNING worker with a #FluidWorker:watchdog is fed by
 * fluid_worker_feed_watchdog(), from any thread: an atomic increment of a
 * counter, nothing more, since every sleep and every message feeds it. A
 * source on the worker's context looks at the counter four times a
 * period: a worker whose counter did not move for a whole period, and that
 * is not idle (a consumer waiting for a message), is starved, and shut
 * down as fluid_worker_shutdown_async() would, with the reason "watchdog
 * timeout". It is found starved within 1.25 periods of its last feed. */

struct _FluidWatchdog
{
  /* Incremented from any thread, with atomics. */
  volatile gint   feeds;
  /* The rest belongs to the worker's context. */
  FluidWorker    *worker;         /* not a reference: the worker owns the watchdog */
  double          seconds;
  GSource        *source;         /* while RUNNING */
  gint            last_feeds;
  gint64          last_change;
};

static gboolean
fluid_watchdog_is_idle (FluidWorker *worker)
{
  FluidWorkerIdleFunc is_idle = g_type_get_qdata (G_OBJECT_TYPE (worker), fluid_worker_idle_quark);
  GType type;

  /* The nearest class that set one. */
  for (type = G_OBJECT_TYPE (worker); is_idle == NULL && type != FLUID_TYPE_WORKER; type = g_type_parent (type))
    is_idle = g_type_get_qdata (type, fluid_worker_idle_quark);
  return is_idle != NULL && is_idle (worker);
}

static gboolean
fluid_watchdog_check_cb (gpointer user_data)
{
  FluidWatchdog *watchdog = user_data;
  gint feeds = g_atomic_int_get (&watchdog->feeds);
  gint64 now = g_source_get_time (watchdog->source);

  if (feeds != watchdog->last_feeds || fluid_watchdog_is_idle (watchdog->worker))
    {
      watchdog->last_feeds = feeds;
      watchdog->last_change = now;
      return G_SOURCE_CONTINUE;
    }
  if (now - watchdog->last_change < (gint64) (watchdog->seconds * G_USEC_PER_SEC))
    return G_SOURCE_CONTINUE;

  fluid_worker_starve (watchdog->worker);
  return G_SOURCE_CONTINUE;
}

static G_DEFINE_QUARK (fluid-watchdog, fluid_watchdog)

/* The watchdog of @worker, NULL if it has none. Any thread: qdata is. */
FluidWatchdog *
fluid_watchdog_get (FluidWorker *worker)
{
  return g_object_get_qdata (G_OBJECT (worker), fluid_watchdog_quark ());
}

static void
fluid_watchdog_free (gpointer data)
{
  FluidWatchdog *watchdog = data;

  fluid_watchdog_stop (watchdog);
  g_free (watchdog);
}

static void
fluid_watchdog_feed (FluidWatchdog *watchdog)
{
  if (watchdog != NULL)
    g_atomic_int_inc (&watchdog->feeds);
}

/* The library's own feeds, on the worker's context, for every sleep and
 * message: nothing but a bit test for a worker without a watchdog. */
void
fluid_worker_feed (FluidWorker *self)
{
  if (fluid_worker_get_priv (self)->has_watchdog)
    fluid_watchdog_feed (fluid_watchdog_get (self));
}

double
fluid_watchdog_get_period (FluidWatchdog *watchdog)
{
  return watchdog->seconds;
}

/* Watches the worker, which has just become RUNNING, on its context. */
void
fluid_watchdog_start (FluidWatchdog *watchdog)
{
  guint interval = (guint) MAX (watchdog->seconds * 1000 / 4, 1);

  if (watchdog->seconds <= 0 || watchdog->source != NULL)
    return;
  watchdog->last_feeds = g_atomic_int_get (&watchdog->feeds);
  watchdog->last_change = g_get_monotonic_time ();
  watchdog->source = g_timeout_source_new (interval);
  g_source_set_static_name (watchdog->source, "[fluid] watchdog");
  g_source_set_callback (watchdog->source, fluid_watchdog_check_cb, watchdog, NULL);
  g_source_attach (watchdog->source, fluid_worker_get_context (watchdog->worker));
}

void
fluid_watchdog_stop (FluidWatchdog *watchdog)
{
  if (watchdog->source == NULL)
    return;
  g_source_destroy (watchdog->source);
  g_clear_pointer (&watchdog->source, g_source_unref);
}

/* The watchdog's public API, FluidWorker's */

/**
 * fluid_worker_get_watchdog:
 * @self: a #FluidWorker
 *
 * Gets #FluidWorker:watchdog.
 *
 * Returns: the seconds a running worker may go unfed, 0 for no watchdog
 *
 * Since: 1.2
 */
double
fluid_worker_get_watchdog (FluidWorker *self)
{
  FluidWatchdog *watchdog;

  g_return_val_if_fail (FLUID_IS_WORKER (self), 0.0);

  watchdog = fluid_watchdog_get (self);
  return watchdog != NULL ? watchdog->seconds : 0.0;
}

/**
 * fluid_worker_set_watchdog:
 * @self: a #FluidWorker
 * @seconds: the seconds a running worker may go unfed (not negative), 0
 *   for no watchdog
 *
 * Sets #FluidWorker:watchdog, before the worker starts.
 *
 * Since: 1.2
 */
void
fluid_worker_set_watchdog (FluidWorker *self,
                           double       seconds)
{
  FluidWorkerPrivate *priv;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (!isnan (seconds) && seconds >= 0);

  priv = fluid_worker_get_priv (self);
  if (fluid_worker_has_started (self))
    {
      g_critical ("%s: %s has started: its watchdog is set before it starts",
                  G_STRFUNC, priv->name);
      return;
    }
  if (fluid_worker_get_watchdog (self) == seconds)
    return;
  /* Made once, kept until the worker is finalized: feeders of other
   * threads may hold it. */
  if (!priv->has_watchdog)
    {
      FluidWatchdog *watchdog = g_new0 (FluidWatchdog, 1);

      watchdog->worker = self;
      g_object_set_qdata_full (G_OBJECT (self), fluid_watchdog_quark (), watchdog, fluid_watchdog_free);
      priv->has_watchdog = TRUE;
    }
  fluid_watchdog_get (self)->seconds = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), fluid_worker_properties[PROP_WATCHDOG]);
}

/**
 * fluid_worker_feed_watchdog:
 * @self: a #FluidWorker
 *
 * Tells the worker's watchdog that it makes progress; see
 * #FluidWorker:watchdog. A completed fluid_worker_sleep_async() and every
 * message a consumer handles feed it already. Thread-safe, and cheap: an
 * atomic increment.
 *
 * Since: 1.2
 */
void
fluid_worker_feed_watchdog (FluidWorker *self)
{
  g_return_if_fail (FLUID_IS_WORKER (self));

  fluid_watchdog_feed (fluid_watchdog_get (self));
}
