/* fluid-watchdog.c: shutting down a worker that is not fed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-watchdog-private.h"

#include <math.h>

/* A RUNNING worker with a #FluidWorker:watchdog is fed by
 * fluid_worker_feed_watchdog(), from any thread, and by the library on
 * every completed sleep and every handled message (fluid_worker_feed()):
 * an atomic increment of a counter, nothing more. A source on the worker's
 * context looks at the counter four times a period: a worker whose counter
 * did not move for a whole period, and that is not idle (a consumer
 * waiting for a message), is starved, and shut down as
 * fluid_worker_shutdown_async() would, with the reason "watchdog timeout".
 * It is found starved within 1.25 periods of its last feed.
 *
 * The watchdog attaches to its worker from outside: the worker's qdata, an
 * observer of its state (told on the worker's context, before
 * notify::state) that starts and stops the source, and the counter the
 * worker's feeds increment (fluid_worker_watch_progress()). */

struct _FluidWatchdog
{
  /* Incremented from any thread, with atomics. */
  int             feeds;
  /* The rest belongs to the worker's context, or to the worker's owner
   * before it starts. */
  FluidWorker    *worker;         /* not a reference: the worker owns the watchdog */
  FluidObserver  *observer;
  double          seconds;
  GSource        *source;         /* while RUNNING */
  int             last_feeds;
  gint64          last_change;
  gboolean        starved;
};

static gboolean
fluid_watchdog_check_cb (gpointer user_data)
{
  FluidWatchdog *watchdog = user_data;
  int feeds = g_atomic_int_get (&watchdog->feeds);
  gint64 now = g_source_get_time (watchdog->source);

  if (feeds != watchdog->last_feeds || fluid_worker_is_idle (watchdog->worker))
    {
      watchdog->last_feeds = feeds;
      watchdog->last_change = now;
      return G_SOURCE_CONTINUE;
    }
  /* In doubles: a period of years is not an integer of microseconds. */
  if ((double) (now - watchdog->last_change) < watchdog->seconds * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;

  if (fluid_worker_is_running (watchdog->worker) && !watchdog->starved)
    {
      watchdog->starved = TRUE;
      fluid_worker_log (watchdog->worker, G_LOG_LEVEL_INFO, "not fed for %g s: watchdog timeout",
                        watchdog->seconds);
      fluid_worker_shutdown_for (watchdog->worker, "watchdog timeout");
    }
  return G_SOURCE_CONTINUE;
}

static G_DEFINE_QUARK (fluid-watchdog, fluid_watchdog)

/* The watchdog of @worker, NULL if it has none. Any thread: qdata is. */
static FluidWatchdog *
fluid_watchdog_get (FluidWorker *worker)
{
  return g_object_get_qdata (G_OBJECT (worker), fluid_watchdog_quark ());
}

/* Watches the worker, which has just become RUNNING, on its context. */
static void
fluid_watchdog_start (FluidWatchdog *watchdog)
{
  guint interval;

  if (watchdog->seconds <= 0 || watchdog->source != NULL)
    return;
  /* Four looks a period, in whole milliseconds a GSource can take. */
  interval = (guint) CLAMP (watchdog->seconds * 1000 / 4, 1, G_MAXUINT);
  watchdog->last_feeds = g_atomic_int_get (&watchdog->feeds);
  watchdog->last_change = g_get_monotonic_time ();
  watchdog->source = g_timeout_source_new (interval);
  g_source_set_static_name (watchdog->source, "[fluid] watchdog");
  g_source_set_callback (watchdog->source, fluid_watchdog_check_cb, watchdog, NULL);
  g_source_attach (watchdog->source, fluid_worker_get_context (watchdog->worker));
}

static void
fluid_watchdog_stop (FluidWatchdog *watchdog)
{
  if (watchdog->source == NULL)
    return;
  g_source_destroy (watchdog->source);
  g_clear_pointer (&watchdog->source, g_source_unref);
}

static void
fluid_watchdog_state_cb (FluidWorker      *worker,
                         FluidWorkerState  state,
                         gpointer          user_data)
{
  if (state == FLUID_WORKER_STATE_RUNNING)
    fluid_watchdog_start (user_data);
  else
    fluid_watchdog_stop (user_data);
}

/* With the worker, in its finalize: nothing is running then. */
static void
fluid_watchdog_free (gpointer data)
{
  FluidWatchdog *watchdog = data;

  fluid_watchdog_stop (watchdog);
  g_free (watchdog);
}

gboolean
fluid_worker_was_starved (FluidWorker *self)
{
  FluidWatchdog *watchdog = fluid_watchdog_get (self);

  return watchdog != NULL && watchdog->starved;
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
 * @seconds: the seconds a running worker may go unfed: 0 for no
 *   watchdog, else a positive number; infinity and NaN are refused
 *
 * Sets #FluidWorker:watchdog, before the worker starts. A period of any
 * size is kept as it is: a watchdog of a million years never fires.
 *
 * Since: 1.2
 */
void
fluid_worker_set_watchdog (FluidWorker *self,
                           double       seconds)
{
  FluidWatchdog *watchdog;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (!isnan (seconds) && seconds >= 0 && seconds <= G_MAXDOUBLE);

  if (fluid_worker_has_started (self))
    {
      g_critical ("%s: %s has started: its watchdog is set before it starts",
                  G_STRFUNC, fluid_worker_get_name (self));
      return;
    }
  if (fluid_worker_get_watchdog (self) == seconds)
    return;
  /* Made once, kept until the worker is finalized: feeders of other
   * threads may hold its counter. */
  watchdog = fluid_watchdog_get (self);
  if (watchdog == NULL)
    {
      watchdog = g_new0 (FluidWatchdog, 1);
      watchdog->worker = self;
      g_object_set_qdata_full (G_OBJECT (self), fluid_watchdog_quark (), watchdog, fluid_watchdog_free);
      /* The observer holds no reference: it goes with the worker. */
      watchdog->observer = fluid_worker_observe (self, NULL, FLUID_OBSERVER_ALL_EVENTS,
                                                 fluid_watchdog_state_cb, watchdog, NULL);
      fluid_worker_watch_progress (self, &watchdog->feeds);
    }
  watchdog->seconds = seconds;
  g_object_notify (G_OBJECT (self), "watchdog");
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

  fluid_worker_feed (self);
}
