/* fluid-run-main.c: a worker as the main() of a daemon or an application
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-run-main.h"
#include "fluid-worker-private.h"
#include "fluid-dbus-private.h"
#include "fluid-sd-notify-private.h"
#include "fluid-metrics.h"

#include <glib-unix.h>
#include <signal.h>

/**
 * SECTION:fluid-run-main
 * @short_description: A worker as the main() of a daemon or an application
 * @title: Daemons and applications
 * @see_also: #FluidWorker, #GApplication
 *
 * A daemon is often one worker, or one #FluidWorkers group, run until it
 * stops: fluid_worker_run_main() is its `main()`. It starts the worker on
 * the thread-default main context, iterates that context until the worker
 * has stopped, and returns the worker's exit code, ready to be returned
 * from `main()`:
 *
 * |[<!-- language="C" -->
 * int
 * main (int argc, char **argv)
 * {
 *   g_autoptr(FluidWorker) worker = fluid_worker_function_new (1.0, tick, NULL, NULL);
 *
 *   return fluid_worker_run_main (worker);
 * }
 * ]|
 *
 * While it runs, `SIGINT` and `SIGTERM` shut the worker down as
 * fluid_worker_shutdown_async() would: a graceful stop, forced when the
 * worker has not stopped within its #FluidWorker:stopping-grace-period; a
 * second signal forces the stop at once. Before it returns, the replies
 * and signals that the worker's D-Bus exports (fluid_worker_export())
 * owe their connections are sent and written out, so that the process
 * may end at once. The exit code is then
 * %FLUID_EXIT_CODE_NORMAL (0) after a graceful stop,
 * %FLUID_EXIT_CODE_FORCED (1) after a forced one and
 * %FLUID_EXIT_CODE_ERROR (2) when the worker failed, which is what
 * systemd, a shell or a supervisor expect of a process's exit status.
 *
 * Under systemd, when the environment variable `NOTIFY_SOCKET` is set (a
 * unit of `Type=notify`), the process tells the service manager how it is
 * doing, as sd_notify(3) does but without libsystemd: `READY=1` once the
 * worker runs, `STOPPING=1` when it begins to stop (or stops by itself),
 * and, when `WATCHDOG_USEC` is set (`WatchdogSec=` in the unit) for this
 * process, `WATCHDOG=1` every half of that period for as long as the main
 * context is iterated: a daemon whose context is stuck is restarted by
 * systemd. A notification that cannot be sent is logged at debug level,
 * never fatal.
 *
 * An application keeps running while a worker of its own runs with
 * fluid_worker_hold_application(): the #GApplication is held from the
 * worker's start to its stop, so that g_application_run() returns once
 * the work is done, even without a window.
 */

/* run_main */

/* How long run_main waits, once its worker has stopped, for the replies
 * and signals of its D-Bus exports to be out: a bus that reads no more
 * must not keep a daemon that is done. */
#define FLUID_RUN_MAIN_DRAIN_MSEC 5000

typedef struct _FluidRunMain FluidRunMain;

typedef struct
{
  FluidRunMain     *run;
  int               signum;
  GSource          *source;
  struct sigaction  old_action;
} FluidRunMainSignal;

struct _FluidRunMain
{
  FluidWorker        *worker;
  GMainContext       *context;
  FluidSdNotify      *notify;      /* NULL: not under systemd */
  FluidRunMainSignal  signals[2];  /* SIGINT, SIGTERM */
  guint               n_signals;   /* received so far */
  gboolean            stopping_told;
  gboolean            stopped;
  /* Cancelled by a signal that comes once the worker has stopped: the
   * process ends without waiting for D-Bus any longer. */
  GCancellable       *drain;
};

static gboolean
fluid_run_main_signal_cb (gpointer user_data)
{
  FluidRunMainSignal *watch = user_data;
  FluidRunMain *run = watch->run;
  const char *name = watch->signum == SIGINT ? "SIGINT" : "SIGTERM";

  if (run->stopped)
    {
      if (!g_cancellable_is_cancelled (run->drain))
        fluid_worker_log (run->worker, G_LOG_LEVEL_INFO,
                          "%s received: ending without waiting for D-Bus", name);
      g_cancellable_cancel (run->drain);
      return G_SOURCE_CONTINUE;
    }

  if (++run->n_signals == 1)
    {
      fluid_worker_log (run->worker, G_LOG_LEVEL_INFO, "%s received: stopping gracefully", name);
      fluid_worker_request_shutdown (run->worker);
    }
  else
    {
      fluid_worker_log (run->worker, G_LOG_LEVEL_INFO, "%s received again: forcing the stop", name);
      fluid_worker_force_stop (run->worker);
    }
  return G_SOURCE_CONTINUE;
}

static void
fluid_run_main_watch_signals (FluidRunMain *run)
{
  const int signums[] = { SIGINT, SIGTERM };

  for (guint i = 0; i < G_N_ELEMENTS (signums); i++)
    {
      FluidRunMainSignal *watch = &run->signals[i];

      watch->run = run;
      watch->signum = signums[i];
      /* What the program had before, restored at the end when GLib
       * leaves the default behind: an interpreter's own handler. */
      sigaction (watch->signum, NULL, &watch->old_action);
      watch->source = g_unix_signal_source_new (watch->signum);
      g_source_set_callback (watch->source, fluid_run_main_signal_cb, watch, NULL);
      g_source_set_static_name (watch->source, "[fluid] run_main signal");
      g_source_attach (watch->source, run->context);
    }
}

static void
fluid_run_main_unwatch_signals (FluidRunMain *run)
{
  for (guint i = 0; i < G_N_ELEMENTS (run->signals); i++)
    {
      FluidRunMainSignal *watch = &run->signals[i];
      struct sigaction action;

      g_source_destroy (watch->source);
      g_clear_pointer (&watch->source, g_source_unref);

      /* GLib sets the default disposition back when its last source of
       * the signal goes; if the program watches the signal with GLib
       * too, its handler stays. */
      if (sigaction (watch->signum, NULL, &action) == 0 &&
          (action.sa_flags & SA_SIGINFO) == 0 && action.sa_handler == SIG_DFL)
        sigaction (watch->signum, &watch->old_action, NULL);
    }
}

static void
fluid_run_main_state_cb (FluidWorker      *worker,
                         FluidWorkerState  state,
                         gpointer          user_data)
{
  FluidRunMain *run = user_data;

  if (state == FLUID_WORKER_STATE_RUNNING)
    {
      if (run->notify != NULL)
        {
          fluid_sd_notify_send (run->notify, "READY=1");
          fluid_sd_notify_start_watchdog (run->notify, run->context);
        }
      return;
    }

  if (run->notify != NULL && !run->stopping_told)
    fluid_sd_notify_send (run->notify, "STOPPING=1");
  run->stopping_told = TRUE;

  if (state == FLUID_WORKER_STATE_STOPPED || state == FLUID_WORKER_STATE_FORCE_STOPPED)
    {
      if (run->notify != NULL)
        fluid_sd_notify_stop_watchdog (run->notify);
      run->stopped = TRUE;
    }
}

/* FLUID_METRICS_ADDRESS: whether run_main serves, and so stops serving
 * at its end (a program that serves already is left alone). */
static gboolean
fluid_run_main_serve_metrics (FluidWorker *self)
{
  const char *address = g_getenv ("FLUID_METRICS_ADDRESS");
  g_autoptr(GError) error = NULL;

  if (address == NULL || address[0] == '\0')
    return FALSE;
  if (fluid_worker_serve_metrics (self, address, &error))
    {
      g_autofree char *listening = fluid_worker_get_metrics_address (self);

      fluid_worker_log (self, G_LOG_LEVEL_INFO, "serves its metrics at http://%s/metrics", listening);
      return TRUE;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    fluid_worker_log (self, G_LOG_LEVEL_WARNING, "cannot serve its metrics (FLUID_METRICS_ADDRESS): %s",
                      error->message);
  return FALSE;
}

/**
 * fluid_worker_run_main:
 * @self: a #FluidWorker that has not started
 *
 * Runs @self as the main function of a program: starts it on the
 * thread-default main context, iterates that context until the worker has
 * stopped, and returns its exit code, for
 * `return fluid_worker_run_main (worker);` at the end of `main()`.
 *
 * While it runs, `SIGINT` and `SIGTERM` ask for a graceful stop, forced
 * after the worker's #FluidWorker:stopping-grace-period as with
 * fluid_worker_shutdown_async(); a second signal forces the stop at once.
 * Once it returns, the two signals are handled as they were before.
 *
 * When the worker has stopped, and before it returns, it waits for the
 * D-Bus traffic of the exports made on this context (the worker's and its
 * tree's, with fluid_worker_export()): the method calls that reached the
 * process before the end are answered (a `Stop()` that ended the worker,
 * a `Shutdown()` that returns its exit code), and every reply and
 * `PropertiesChanged` sent on their connections is written out, as
 * g_dbus_connection_flush() does. A client whose call ended the daemon
 * thus gets its reply, and watchers see the final state, even when the
 * program returns from main() at once. The wait lasts five seconds at
 * most, a signal ends it, and a closed connection is not waited for.
 *
 * When `NOTIFY_SOCKET` is set (a systemd service of `Type=notify`), it
 * sends `READY=1` once the worker runs, `STOPPING=1` when it begins to
 * stop, and, when `WATCHDOG_USEC` is set for this process, `WATCHDOG=1`
 * every half of that period until the worker has stopped. Errors in doing
 * so are logged at debug level and otherwise ignored.
 *
 * When `FLUID_METRICS_ADDRESS` is set (`127.0.0.1:9464`), it serves the
 * worker's metrics there with fluid_worker_serve_metrics() from before
 * the worker starts until it returns; an address it cannot serve on is
 * logged as a warning, and the worker runs all the same. (Since: 1.2 for
 * this variable.)
 *
 * Returns: the exit code of the worker: %FLUID_EXIT_CODE_NORMAL,
 *   %FLUID_EXIT_CODE_FORCED or %FLUID_EXIT_CODE_ERROR (also returned, with
 *   a critical, when @self is not a worker that has not started)
 *
 * Since: 1.2
 */
int
fluid_worker_run_main (FluidWorker *self)
{
  FluidRunMain run = { 0, };
  FluidObserver *observer;
  gboolean serves_metrics;
  int exit_code;

  g_return_val_if_fail (FLUID_IS_WORKER (self), FLUID_EXIT_CODE_ERROR);
  g_return_val_if_fail (!fluid_worker_has_started (self), FLUID_EXIT_CODE_ERROR);

  run.worker = g_object_ref (self);
  run.context = g_main_context_ref_thread_default ();
  run.notify = fluid_sd_notify_new_from_environment ();
  run.drain = g_cancellable_new ();

  fluid_run_main_watch_signals (&run);
  serves_metrics = fluid_run_main_serve_metrics (self);
  /* Told on this context, at once: it is the worker's. */
  observer = fluid_worker_observe (self, run.context,
                                   FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_RUNNING) |
                                   FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_STOPPING) |
                                   FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_STOPPED) |
                                   FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_FORCE_STOPPED),
                                   fluid_run_main_state_cb, &run, NULL);

  fluid_worker_start (self);
  while (!run.stopped)
    g_main_context_iteration (run.context, TRUE);

  fluid_worker_unobserve (self, observer);
  /* The reply to the call that stopped the worker, and the signals of
   * its last changes, are out before the process may end; the signals
   * are still watched meanwhile. */
  fluid_dbus_drain (run.drain, FLUID_RUN_MAIN_DRAIN_MSEC);
  fluid_run_main_unwatch_signals (&run);
  g_clear_pointer (&run.notify, fluid_sd_notify_free);
  g_clear_object (&run.drain);
  if (serves_metrics)
    fluid_worker_stop_serving_metrics (self);

  exit_code = fluid_worker_get_exit_code (self);
  g_main_context_unref (run.context);
  g_object_unref (run.worker);
  return exit_code;
}

/* hold_application */

typedef struct
{
  GApplication  *app;       /* until released */
  FluidObserver *observer;  /* until released */
  gboolean       held;
} FluidHold;

static void
fluid_hold_free (gpointer data)
{
  FluidHold *hold = data;

  /* A running worker is not finalized, but its stop may never have been
   * told: the caller's context went away with the news. */
  if (hold->held)
    g_application_release (hold->app);
  g_clear_object (&hold->app);
  g_free (hold);
}

static G_DEFINE_QUARK (fluid-hold-application, fluid_hold)

static void
fluid_hold_acquire (FluidHold *hold)
{
  if (hold->held || hold->app == NULL)
    return;
  hold->held = TRUE;
  g_application_hold (hold->app);
}

static void
fluid_hold_release (FluidHold   *hold,
                    FluidWorker *worker)
{
  if (hold->observer != NULL)
    {
      fluid_worker_unobserve (worker, hold->observer);
      hold->observer = NULL;
    }
  if (hold->held)
    {
      hold->held = FALSE;
      g_application_release (hold->app);
    }
  g_clear_object (&hold->app);
}

static void
fluid_hold_state_cb (FluidWorker      *worker,
                     FluidWorkerState  state,
                     gpointer          user_data)
{
  FluidHold *hold = user_data;

  if (state == FLUID_WORKER_STATE_RUNNING)
    fluid_hold_acquire (hold);
  else
    fluid_hold_release (hold, worker);
}

/**
 * fluid_worker_hold_application:
 * @self: a #FluidWorker
 * @app: the #GApplication to hold while @self runs
 *
 * Holds @app (g_application_hold()) while @self runs: from its start, or
 * now if it is running or stopping, until it has stopped, when @app is
 * released. A program whose work is a worker thus ends once the work is
 * done, as g_application_run() returns when nothing holds the
 * application any more. A worker that never starts never holds @app, and
 * one that has stopped is left alone.
 *
 * @app is held and released on the thread-default main context of the
 * caller, which is usually the one that runs @app, whichever context runs
 * the worker. Each call holds @app once more; @app is kept alive until it
 * is released.
 *
 * Since: 1.2
 */
void
fluid_worker_hold_application (FluidWorker  *self,
                               GApplication *app)
{
  g_autoptr(GMainContext) context = NULL;
  FluidWorkerState state;
  GPtrArray *holds;
  FluidHold *hold;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (G_IS_APPLICATION (app));

  if (fluid_worker_is_stopped (self))
    return;

  hold = g_new0 (FluidHold, 1);
  hold->app = g_object_ref (app);
  holds = g_object_get_qdata (G_OBJECT (self), fluid_hold_quark ());
  if (holds == NULL)
    {
      holds = g_ptr_array_new_with_free_func (fluid_hold_free);
      g_object_set_qdata_full (G_OBJECT (self), fluid_hold_quark (), holds,
                               (GDestroyNotify) g_ptr_array_unref);
    }
  g_ptr_array_add (holds, hold);

  context = g_main_context_ref_thread_default ();
  hold->observer = fluid_worker_observe (self, context,
                                         FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_RUNNING) |
                                         FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_STOPPED) |
                                         FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_FORCE_STOPPED),
                                         fluid_hold_state_cb, hold, &state);
  switch (state)
    {
    case FLUID_WORKER_STATE_INIT:
      break;
    case FLUID_WORKER_STATE_RUNNING:
    case FLUID_WORKER_STATE_STOPPING:
      fluid_hold_acquire (hold);
      break;
    case FLUID_WORKER_STATE_STOPPED:
    case FLUID_WORKER_STATE_FORCE_STOPPED:
    default:
      /* Stopped on another thread since the check above. */
      fluid_hold_release (hold, self);
      break;
    }
}
