/* test-private.c: the library's private subsystems, each on its own: the
 * timers of a context (fluid-clock), pending operations (fluid-pending),
 * observers (fluid-observer), the parsing of user input (fluid-parse)
 * and the reading of systemd's environment (fluid-sd-notify).
 * Linked with the library's objects, not its exported symbols.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-clock-private.h"
#include "fluid-observer-private.h"
#include "fluid-parse-private.h"
#include "fluid-pending-private.h"
#include "fluid-sd-notify-private.h"
#include "fluid-supervisor-private.h"
#include "fluid-worker-function.h"

#include <glib/gstdio.h>
#include <math.h>
#include <unistd.h>

/* fluid-clock */

typedef struct
{
  FluidTimer  timer;
  GString    *log;
  const char *name;
  FluidClock *clock;
  FluidTimer *disarm;   /* disarmed by this one's callback */
  gboolean    rearm;    /* this one arms itself again, due at once */
} Tick;

static void
tick_cb (gpointer data)
{
  Tick *tick = data;

  g_string_append_printf (tick->log, "%s;", tick->name);
  if (tick->disarm != NULL)
    fluid_timer_disarm (tick->disarm);
  if (tick->rearm)
    {
      tick->rearm = FALSE;
      fluid_timer_arm (&tick->timer, tick->clock, 0);
    }
}

static void
tick_init (Tick       *tick,
           GString    *log,
           const char *name,
           FluidClock *clock)
{
  memset (tick, 0, sizeof (Tick));
  tick->log = log;
  tick->name = name;
  tick->clock = clock;
  fluid_timer_init (&tick->timer, tick_cb, tick);
}

static void
iterate_until_idle (GMainContext *context)
{
  while (g_main_context_iteration (context, FALSE))
    ;
}

/* Timers fire in the order of their deadlines, the ones due at once
 * first; one that disarms another keeps it from firing; one armed during
 * a dispatch waits for the next. */
static void
test_clock_order (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  FluidClock *clock;
  Tick a, b, c, now, later;
  gint64 base = g_get_monotonic_time ();

  g_main_context_push_thread_default (context);
  clock = fluid_clock_get (context);
  tick_init (&a, log, "a", clock);
  tick_init (&b, log, "b", clock);
  tick_init (&c, log, "c", clock);
  tick_init (&now, log, "now", clock);
  tick_init (&later, log, "never", clock);

  /* One dispatch: "now" once; its re-arming waits for the next one. */
  fluid_timer_arm (&now.timer, clock, 0);
  now.rearm = TRUE;
  g_main_context_iteration (context, FALSE);
  g_assert_cmpstr (log->str, ==, "now;");
  g_main_context_iteration (context, FALSE);
  g_assert_cmpstr (log->str, ==, "now;now;");

  /* By deadline, whenever the dispatch comes (all at once under valgrind). */
  base = g_get_monotonic_time ();
  fluid_timer_arm (&c.timer, clock, base + 30000);
  fluid_timer_arm (&a.timer, clock, base + 10000);
  fluid_timer_arm (&b.timer, clock, base + 20000);
  fluid_timer_arm (&later.timer, clock, base + 25000);
  b.disarm = &later.timer;
  while (fluid_timer_is_armed (&c.timer))
    g_main_context_iteration (context, TRUE);
  g_assert_cmpstr (log->str, ==, "now;now;a;b;c;");
  g_assert_false (fluid_timer_is_armed (&later.timer));

  fluid_clock_unref (clock);
  g_main_context_pop_thread_default (context);
}

/* A nested main loop in a timer's callback does not spin: the clock is
 * not ready while nothing is due. */
typedef struct
{
  FluidTimer timer;
  guint      iterations;
} NestedTick;

static gboolean
set_true_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
nested_tick_cb (gpointer data)
{
  NestedTick *tick = data;
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean fired = FALSE;
  GSource *timeout = g_timeout_source_new (30);

  g_source_set_callback (timeout, set_true_cb, &fired, NULL);
  g_source_attach (timeout, context);
  g_source_unref (timeout);
  while (!fired)
    {
      g_main_context_iteration (context, TRUE);
      tick->iterations++;
    }
}

static void
test_clock_nested_loop (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  FluidClock *clock;
  NestedTick tick = { 0 };

  g_main_context_push_thread_default (context);
  clock = fluid_clock_get (context);
  fluid_timer_init (&tick.timer, nested_tick_cb, &tick);
  fluid_timer_arm (&tick.timer, clock, 0);
  while (tick.iterations == 0)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpuint (tick.iterations, <, 100);
  fluid_clock_unref (clock);
  g_main_context_pop_thread_default (context);
}

/* A context has one clock while it lives; a context freed takes its clock
 * with it, and a new context gets a new one. */
static void
test_clock_per_context (void)
{
  GMainContext *context = g_main_context_new ();
  FluidClock *first = fluid_clock_get (context);
  FluidClock *again = fluid_clock_get (context);
  FluidClock *other;

  g_assert_true (first == again);
  g_assert_true (fluid_clock_get_context (first) == context);
  fluid_clock_unref (again);
  g_main_context_unref (context);
  g_assert_false (fluid_clock_is_attached (first));
  fluid_clock_unref (first);

  context = g_main_context_new ();
  other = fluid_clock_get (context);
  g_assert_true (fluid_clock_is_attached (other));
  fluid_clock_unref (other);
  g_main_context_unref (context);
}

static void
test_clock_deadlines (void)
{
  gint64 now = g_get_monotonic_time ();

  g_assert_cmpint (fluid_deadline_in (0), >=, now);
  g_assert_cmpint (fluid_deadline_in (0), !=, 0);
  g_assert_cmpint (fluid_deadline_in (1e300), ==, G_MAXINT64);
  g_assert_cmpint (fluid_deadline_in (0.5) - now, >=, 500000);
}

/* fluid-pending */

typedef struct
{
  GQueue  *queue;
  GString *log;
  gboolean add_another;
} PendingData;

static void
pending_done (FluidPending *pending,
              gboolean      value,
              GError       *error)
{
  PendingData *data = pending->data;

  g_string_append_printf (data->log, "%s;", error != NULL ? error->message : value ? "true" : "false");
  if (data->add_another)
    {
      data->add_another = FALSE;
      fluid_pending_add (data->queue, sizeof (FluidPending), NULL, NULL, NULL, pending_done, data);
    }
  g_clear_error (&error);
}

/* Completing a queue completes what its callbacks add to it; errors are
 * copied for each entry. */
static void
test_pending_queue_complete (void)
{
  GQueue queue = G_QUEUE_INIT;
  g_autoptr(GString) log = g_string_new (NULL);
  PendingData data = { &queue, log, TRUE };
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "failed");

  fluid_pending_add (&queue, sizeof (FluidPending), NULL, NULL, NULL, pending_done, &data);
  fluid_pending_add (&queue, sizeof (FluidPending), NULL, NULL, NULL, pending_done, &data);
  fluid_pending_queue_complete (&queue, TRUE, error);
  g_assert_cmpstr (log->str, ==, "failed;failed;failed;");
  g_assert_cmpuint (queue.length, ==, 0);
}

/* A sleep: its deadline completes it with TRUE; woken, it completes with
 * FALSE at the next dispatch; its cancellable completes it with
 * G_IO_ERROR_CANCELLED. */
static void
test_pending_timer_wake_cancel (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  GQueue queue = G_QUEUE_INIT;
  PendingData data = { &queue, log, FALSE };
  FluidClock *clock;
  FluidPending *short_sleep, *long_sleep;

  g_main_context_push_thread_default (context);
  clock = fluid_clock_get (context);

  short_sleep = fluid_pending_add (&queue, sizeof (FluidPending), NULL, NULL, context, pending_done, &data);
  fluid_pending_arm (short_sleep, clock, fluid_deadline_in (0.001), TRUE);
  while (queue.length > 0)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpstr (log->str, ==, "true;");

  long_sleep = fluid_pending_add (&queue, sizeof (FluidPending), NULL, NULL, context, pending_done, &data);
  fluid_pending_arm (long_sleep, clock, fluid_deadline_in (3600), TRUE);
  fluid_pending_queue_wake_soon (&queue);
  g_assert_cmpuint (queue.length, ==, 1);
  iterate_until_idle (context);
  g_assert_cmpstr (log->str, ==, "true;false;");

  long_sleep = fluid_pending_add (&queue, sizeof (FluidPending), NULL, cancellable, context,
                                  pending_done, &data);
  fluid_pending_arm (long_sleep, clock, fluid_deadline_in (3600), TRUE);
  g_cancellable_cancel (cancellable);
  while (queue.length > 0)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpstr (log->str, ==, "true;false;Operation was cancelled;");

  fluid_clock_unref (clock);
  g_main_context_pop_thread_default (context);
}

/* fluid-observer */

typedef struct
{
  GString       *log;
  FluidObserver *observer;   /* notified of event 9 by this one */
  GObject       *subject;
} ObserverData;

static void
observer_cb (GObject  *subject,
             guint     event,
             gpointer  user_data)
{
  ObserverData *data = user_data;

  g_string_append_printf (data->log, "in %u;", event);
  if (data->observer != NULL)
    fluid_observer_notify (data->observer, subject, NULL, 9);
  g_string_append_printf (data->log, "out %u;", event);
}

/* Deliveries on one thread never nest: one raised by an observer runs
 * after it returns. Events an observer did not ask for, and events after
 * its cancellation, reach nothing. */
static void
test_observer_no_nesting (void)
{
  g_autoptr(GObject) subject = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  ObserverData inner_data = { log, NULL, NULL };
  FluidObserver *inner = fluid_observer_new (NULL, FLUID_OBSERVER_EVENT (9), observer_cb, &inner_data);
  ObserverData outer_data = { log, inner, NULL };
  FluidObserver *outer = fluid_observer_new (NULL, FLUID_OBSERVER_EVENT (1) | FLUID_OBSERVER_EVENT (2),
                                             observer_cb, &outer_data);

  fluid_observer_notify (outer, subject, NULL, 1);
  g_assert_cmpstr (log->str, ==, "in 1;out 1;in 9;out 9;");

  g_string_truncate (log, 0);
  fluid_observer_notify (outer, subject, NULL, 3);
  g_assert_cmpstr (log->str, ==, "");

  fluid_observer_cancel (outer);
  fluid_observer_notify (outer, subject, NULL, 2);
  g_assert_cmpstr (log->str, ==, "");

  fluid_observer_unref (outer);
  fluid_observer_unref (inner);
}

/* An observer with a context of its own is told from a dispatch of it. */
static void
test_observer_other_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GObject) subject = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  ObserverData data = { log, NULL, NULL };
  FluidObserver *observer = fluid_observer_new (context, FLUID_OBSERVER_ALL_EVENTS, observer_cb, &data);

  g_assert_true (fluid_observer_has_context (observer));
  fluid_observer_notify (observer, subject, NULL, 4);
  fluid_observer_notify (observer, subject, NULL, 5);
  g_assert_cmpstr (log->str, ==, "");
  iterate_until_idle (context);
  g_assert_cmpstr (log->str, ==, "in 4;out 4;in 5;out 5;");

  /* Cancelled while in flight: dropped on arrival. */
  fluid_observer_notify (observer, subject, NULL, 6);
  fluid_observer_cancel (observer);
  iterate_until_idle (context);
  g_assert_cmpstr (log->str, ==, "in 4;out 4;in 5;out 5;");
  fluid_observer_unref (observer);
}

/* fluid-parse */

static void
test_parse_names (void)
{
  const struct { const char *type_name; const char *name; } cases[] = {
    { "MySimpleWorker", "my_simple_worker" },
    { "HTTPWorker", "http_worker" },
    { "FluidWorker2Go", "fluid_worker2_go" },
    { "__main__+SimpleWorker", "simple_worker" },
    { "Gjs_SimpleWorker", "simple_worker" },
    { "worker", "worker" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = fluid_worker_name_from_type_name (cases[i].type_name);

      g_assert_cmpstr (name, ==, cases[i].name);
    }
}

/* A thread's name is the worker's cut to the 15 bytes Linux keeps, never
 * in the middle of a character. */
static void
test_parse_thread_names (void)
{
  const struct { const char *worker; const char *thread; } cases[] = {
    { "tick", "tick" },
    { "fifteen-bytes-x", "fifteen-bytes-x" },
    { "a-very-long-worker-name", "a-very-long-wor" },
    /* "é" takes bytes 14 and 15: left out whole. */
    { "fourteen-bytes\xc3\xa9", "fourteen-bytes" },
    /* "€" takes bytes 13 to 15. */
    { "thirteen-byte\xe2\x82\xac", "thirteen-byte" },
    /* Ends on byte 15 exactly: kept. */
    { "fourteen-byte\xc3\xa9x", "fourteen-byte\xc3\xa9" },
    { "\xf0\x9f\x90\x9f\xf0\x9f\x90\x9f\xf0\x9f\x90\x9f\xf0\x9f\x90\x9f",
      "\xf0\x9f\x90\x9f\xf0\x9f\x90\x9f\xf0\x9f\x90\x9f" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = fluid_thread_name (cases[i].worker);

      g_assert_cmpstr (name, ==, cases[i].thread);
      g_assert_true (g_utf8_validate (name, -1, NULL));
      g_assert_cmpuint (strlen (name), <=, 15);
    }
}

static void
test_parse_grace_period (void)
{
  const char *good[] = { "0", "1.5", " 2 ", "1e1" };
  const double values[] = { 0, 1.5, 2, 10 };
  const char *bad[] = { "", "-1", "nan", "inf", "1,5", "two", "1.5s" };
  double seconds = -42;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_assert_true (fluid_parse_grace_period (good[i], &seconds));
      g_assert_cmpfloat (seconds, ==, values[i]);
    }
  seconds = -42;
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (fluid_parse_grace_period (bad[i], &seconds));
  g_assert_false (fluid_parse_grace_period (NULL, &seconds));
  g_assert_cmpfloat (seconds, ==, -42);
}

/* Supervisor: the intensity's sliding window, with the times given. */
static void
test_supervisor_window (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  FluidSupervisor *supervisor = fluid_workers_get_supervisor (group);
  gint64 s = G_USEC_PER_SEC;

  fluid_workers_set_max_restarts (group, 2);
  fluid_workers_set_max_restarts_period (group, 10);

  g_assert_true (fluid_supervisor_count_restart (supervisor, 100 * s));
  g_assert_true (fluid_supervisor_count_restart (supervisor, 105 * s));
  /* A third within 10 s of the first: more than 2. */
  g_assert_false (fluid_supervisor_count_restart (supervisor, 109 * s));

  /* Later, the first two slid out of the window; the one at 109 and this
   * one remain. */
  g_assert_true (fluid_supervisor_count_restart (supervisor, 116 * s));
  g_assert_false (fluid_supervisor_count_restart (supervisor, 118 * s));
  /* Exactly a period after 109 and 116: both are out. */
  g_assert_true (fluid_supervisor_count_restart (supervisor, 126 * s + 1));

  /* max-restarts 0: the first restart is one too many, as in OTP. */
  fluid_workers_set_max_restarts (group, 0);
  g_assert_false (fluid_supervisor_count_restart (supervisor, 1000 * s));
}

/* Supervisor: restart-delay × 2^n, capped. */
static void
test_supervisor_delays (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  FluidSupervisor *supervisor = fluid_workers_get_supervisor (group);
  FluidChildSpec *spec = fluid_child_spec_new (FLUID_RESTART_PERMANENT, NULL, NULL, NULL, "x");
  gint64 expected[] = { 250000, 500000, 1000000, 2000000, 3000000, 3000000 };

  g_assert_cmpint (fluid_supervisor_delay_for (supervisor, spec), ==, 0);

  fluid_workers_set_restart_delay (group, 0.25);
  fluid_workers_set_restart_delay_max (group, 3);
  for (guint n = 0; n < G_N_ELEMENTS (expected); n++)
    {
      spec->consecutive = n;
      g_assert_cmpint (fluid_supervisor_delay_for (supervisor, spec), ==, expected[n]);
    }
  /* No overflow after many. */
  spec->consecutive = 5000;
  g_assert_cmpint (fluid_supervisor_delay_for (supervisor, spec), ==, 3000000);
  fluid_child_spec_free (spec);
}

/* Supervisor: the largest settings a setter takes are clamped to the
 * clock's range, never cast out of range (undefined behaviour, which the
 * UBSan build of CI catches); infinite ones are refused. */
static void
test_supervisor_huge_settings (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  FluidSupervisor *supervisor = fluid_workers_get_supervisor (group);
  FluidChildSpec *spec = fluid_child_spec_new (FLUID_RESTART_PERMANENT, NULL, NULL, NULL, "x");
  const double huge[] = { 9.3e12, 1e300, G_MAXDOUBLE };
  const struct
  {
    void  (* set) (FluidWorkers *group,
                   double        seconds);
    double   seconds;
  } refused[] = {
    { fluid_workers_set_restart_delay, INFINITY },
    { fluid_workers_set_restart_delay_max, INFINITY },
    { fluid_workers_set_max_restarts_period, NAN },
    { fluid_workers_set_restart_delay, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (huge); i++)
    {
      g_autoptr(FluidWorkers) other = fluid_workers_new ();
      FluidSupervisor *window = fluid_workers_get_supervisor (other);

      fluid_workers_set_restart_delay (group, huge[i]);
      fluid_workers_set_restart_delay_max (group, huge[i]);
      for (guint n = 0; n < 70; n += 7)
        {
          spec->consecutive = n;
          g_assert_cmpint (fluid_supervisor_delay_for (supervisor, spec), ==, G_MAXINT64);
        }
      /* A tiny first delay, doubled up to a huge maximum. */
      fluid_workers_set_restart_delay (group, 1e-300);
      spec->consecutive = 64;
      g_assert_cmpint (fluid_supervisor_delay_for (supervisor, spec), ==, 1);

      /* Every restart stays in a window that long. */
      fluid_workers_set_max_restarts (other, 1);
      fluid_workers_set_max_restarts_period (other, huge[i]);
      g_assert_true (fluid_supervisor_count_restart (window, G_USEC_PER_SEC));
      g_assert_false (fluid_supervisor_count_restart (window, G_MAXINT64 / 2));
      fluid_workers_set_max_restarts_period (other, 0);
      g_assert_true (fluid_supervisor_count_restart (window, G_MAXINT64 / 2 + 1));
    }

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*seconds_are_valid*");
      refused[i].set (group, refused[i].seconds);
      g_test_assert_expected_messages ();
    }
  g_assert_cmpfloat (fluid_workers_get_restart_delay (group), ==, 1e-300);
  g_assert_cmpfloat (fluid_workers_get_restart_delay_max (group), ==, G_MAXDOUBLE);
  g_assert_cmpfloat (fluid_workers_get_max_restarts_period (group), ==, 5);
  fluid_child_spec_free (spec);
}

/* Supervisor: a child that ran for a whole max-restarts-period is healthy
 * again, and its backoff starts over; one that did not keeps counting. */
static void
noop (FluidWorker *worker,
      gpointer     user_data)
{
}

static FluidWorker *
make_idle_function (FluidWorkers *group,
                    gpointer      user_data)
{
  return fluid_worker_function_new (3600, noop, NULL, NULL);
}

static void
iterate_until_running (FluidWorker *worker)
{
  while (!fluid_worker_is_running (worker))
    g_main_context_iteration (NULL, TRUE);
}

static void
replace_child_and_wait (FluidWorkers *group)
{
  FluidWorker *child = g_list_model_get_item (G_LIST_MODEL (group), 0);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "crashed");
  FluidWorker *replacement;

  iterate_until_running (child);
  fluid_worker_fail (child, error);
  for (;;)
    {
      replacement = g_list_model_get_item (G_LIST_MODEL (group), 0);
      g_object_unref (replacement);
      if (replacement != child)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  g_object_unref (child);
}

static void
test_supervisor_healthy_reset (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  FluidChildSpec *spec;

  fluid_workers_set_restart_strategy (group, FLUID_RESTART_STRATEGY_ONE_FOR_ONE);
  fluid_workers_set_max_restarts (group, 100);
  fluid_workers_set_max_restarts_period (group, 60);
  fluid_workers_set_restart_delay (group, 0.001);
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_idle_function, NULL, NULL);
  fluid_worker_startup_async (FLUID_WORKER (group), NULL, NULL, NULL);
  iterate_until_running (FLUID_WORKER (group));
  /* Its run, a dispatch later, starts the child. */
  {
    g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (group), 0);

    iterate_until_running (child);
  }
  spec = fluid_workers_get_slot (group, 0)->spec;

  /* Ten replacements ago, but it has run for longer than a period: the
   * backoff starts over (a delay of 1 ms, not 1 s). */
  spec->consecutive = 10;
  spec->started_at -= 61 * G_USEC_PER_SEC;
  replace_child_and_wait (group);
  g_assert_cmpuint (spec->consecutive, ==, 1);
  g_assert_cmpuint (spec->restarts, ==, 1);

  /* Not healthy: the count goes on (no delay, not to wait for it). */
  fluid_workers_set_restart_delay (group, 0);
  spec->consecutive = 10;
  replace_child_and_wait (group);
  g_assert_cmpuint (spec->consecutive, ==, 11);

  fluid_worker_shutdown_async (FLUID_WORKER (group), NULL, NULL, NULL);
  while (!fluid_worker_is_stopped (FLUID_WORKER (group)))
    g_main_context_iteration (NULL, TRUE);
}

/* fluid-sd-notify: what NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID
 * mean; the datagrams themselves are tested by test-run-main. */

static void
test_sd_notify_environment (void)
{
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_autofree char *other_pid = g_strdup_printf ("%d", (int) getpid () + 1);
  FluidSdNotify *notify;

  /* Not under systemd, or a socket this does not speak. */
  g_assert_null (fluid_sd_notify_new (NULL, "1000", NULL));
  g_assert_null (fluid_sd_notify_new ("", "1000", NULL));
  g_assert_null (fluid_sd_notify_new ("relative/path", NULL, NULL));
  g_assert_null (fluid_sd_notify_new ("vsock:2:1234", NULL, NULL));

  notify = fluid_sd_notify_new ("/run/systemd/notify", NULL, NULL);
  g_assert_nonnull (notify);
  g_assert_cmpuint (fluid_sd_notify_get_watchdog_usec (notify), ==, 0);
  fluid_sd_notify_free (notify);

  if (g_unix_socket_address_abstract_names_supported ())
    {
      notify = fluid_sd_notify_new ("@/org/freedesktop/systemd1/notify", "30000000", NULL);
      g_assert_nonnull (notify);
      g_assert_cmpuint (fluid_sd_notify_get_watchdog_usec (notify), ==, 30000000);
      fluid_sd_notify_free (notify);
    }

  /* The watchdog is this process's when WATCHDOG_PID is unset or its pid. */
  notify = fluid_sd_notify_new ("/run/systemd/notify", "20000", pid);
  g_assert_cmpuint (fluid_sd_notify_get_watchdog_usec (notify), ==, 20000);
  fluid_sd_notify_free (notify);
  notify = fluid_sd_notify_new ("/run/systemd/notify", "20000", other_pid);
  g_assert_cmpuint (fluid_sd_notify_get_watchdog_usec (notify), ==, 0);
  fluid_sd_notify_free (notify);

  /* Values that are not numbers: no watchdog, and no harm. */
  for (guint i = 0; i < 4; i++)
    {
      const char *bad_usec[] = { "", "-5", "20 ms", "0x10" };

      notify = fluid_sd_notify_new ("/run/systemd/notify", bad_usec[i], NULL);
      g_assert_cmpuint (fluid_sd_notify_get_watchdog_usec (notify), ==, 0);
      fluid_sd_notify_free (notify);
    }
  notify = fluid_sd_notify_new ("/run/systemd/notify", "20000", "self");
  g_assert_cmpuint (fluid_sd_notify_get_watchdog_usec (notify), ==, 0);
  fluid_sd_notify_free (notify);
  fluid_sd_notify_free (NULL);
}

/* A socket nobody listens on: sending fails, quietly. */
static void
test_sd_notify_nobody (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fluid-sd-notify-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(FluidSdNotify) notify = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "missing", NULL);
  notify = fluid_sd_notify_new (path, "1000", NULL);
  g_assert_false (fluid_sd_notify_send (notify, "READY=1"));
  /* The watchdog's source comes and goes with nothing to send to. */
  fluid_sd_notify_start_watchdog (notify, NULL);
  fluid_sd_notify_start_watchdog (notify, NULL);
  fluid_sd_notify_stop_watchdog (notify);
  fluid_sd_notify_stop_watchdog (notify);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Workers fail here on purpose, and a failure is logged as a warning:
   * criticals alone abort. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_test_add_func ("/clock/order", test_clock_order);
  g_test_add_func ("/clock/nested-loop", test_clock_nested_loop);
  g_test_add_func ("/clock/per-context", test_clock_per_context);
  g_test_add_func ("/clock/deadlines", test_clock_deadlines);
  g_test_add_func ("/pending/queue-complete", test_pending_queue_complete);
  g_test_add_func ("/pending/timer-wake-cancel", test_pending_timer_wake_cancel);
  g_test_add_func ("/observer/no-nesting", test_observer_no_nesting);
  g_test_add_func ("/observer/other-context", test_observer_other_context);
  g_test_add_func ("/parse/names", test_parse_names);
  g_test_add_func ("/parse/thread-names", test_parse_thread_names);
  g_test_add_func ("/parse/grace-period", test_parse_grace_period);
  g_test_add_func ("/supervisor/window", test_supervisor_window);
  g_test_add_func ("/supervisor/delays", test_supervisor_delays);
  g_test_add_func ("/supervisor/huge-settings", test_supervisor_huge_settings);
  g_test_add_func ("/supervisor/healthy-reset", test_supervisor_healthy_reset);
  g_test_add_func ("/sd-notify/environment", test_sd_notify_environment);
  g_test_add_func ("/sd-notify/nobody-listens", test_sd_notify_nobody);

  return g_test_run ();
}
