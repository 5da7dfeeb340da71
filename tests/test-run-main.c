/* test-run-main.c: fluid_worker_run_main() and fluid_worker_hold_application()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The signals and systemd's notifications are tested on a daemon of their
 * own, run-main-helper, which this test spawns and signals; what needs no
 * signal runs in this process.
 */

#include "fluid-test-utils.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* Signals */

static void
test_run_main_signal_graceful (gconstpointer data)
{
  int signum = GPOINTER_TO_INT (data);
  g_autoptr(GSubprocessLauncher) launcher = fluid_test_helper_launcher_new ();
  FluidTestHelper *helper = fluid_test_helper_spawn (launcher, "graceful", NULL);

  fluid_test_helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, signum);
  fluid_test_helper_expect_line (helper, "stopping");
  fluid_test_helper_expect_line (helper, "stopped 0 normal shutdown");
  g_assert_cmpint (fluid_test_helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
}

/* A worker that ignores the graceful stop is forced by a second signal,
 * long before its grace period of an hour. */
static void
test_run_main_signal_second_forces (void)
{
  g_autoptr(GSubprocessLauncher) launcher = fluid_test_helper_launcher_new ();
  FluidTestHelper *helper = fluid_test_helper_spawn (launcher, "stuck", "3600");

  fluid_test_helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, SIGTERM);
  fluid_test_helper_expect_line (helper, "stopping");
  g_subprocess_send_signal (helper->process, SIGINT);
  fluid_test_helper_expect_line (helper, "stopped 1 forced shutdown");
  g_assert_cmpint (fluid_test_helper_wait (helper), ==, FLUID_EXIT_CODE_FORCED);
}

/* One signal, and the grace period forces the stop. */
static void
test_run_main_signal_grace_period (void)
{
  g_autoptr(GSubprocessLauncher) launcher = fluid_test_helper_launcher_new ();
  FluidTestHelper *helper = fluid_test_helper_spawn (launcher, "stuck", "0.05");

  fluid_test_helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, SIGTERM);
  fluid_test_helper_expect_line (helper, "stopping");
  fluid_test_helper_expect_line (helper, "stopped 1 forced shutdown");
  g_assert_cmpint (fluid_test_helper_wait (helper), ==, FLUID_EXIT_CODE_FORCED);
}

static void
test_run_main_helper_fails (void)
{
  g_autoptr(GSubprocessLauncher) launcher = fluid_test_helper_launcher_new ();
  FluidTestHelper *helper = fluid_test_helper_spawn (launcher, "fail", NULL);

  fluid_test_helper_expect_line (helper, "started");
  fluid_test_helper_expect_line (helper, "stopped 2 run failed");
  g_assert_cmpint (fluid_test_helper_wait (helper), ==, FLUID_EXIT_CODE_ERROR);
}

/* systemd's notifications, to a socket of the test's own */

typedef struct
{
  char                *dir;
  char                *path;     /* NOTIFY_SOCKET */
  GSocket             *socket;
  GSubprocessLauncher *launcher;
} NotifyFixture;

static void
notify_fixture_bind (NotifyFixture  *fixture,
                     GSocketAddress *address)
{
  g_autoptr(GError) error = NULL;

  fixture->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_socket_bind (fixture->socket, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (fixture->socket, FALSE);

  fixture->launcher = fluid_test_helper_launcher_new ();
  g_subprocess_launcher_setenv (fixture->launcher, "NOTIFY_SOCKET", fixture->path, TRUE);
}

static void
notify_fixture_set_up (NotifyFixture *fixture,
                       gconstpointer  data)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("fluid-run-main-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "notify", NULL);
  address = g_unix_socket_address_new (fixture->path);
  notify_fixture_bind (fixture, address);
}

/* A socket in the abstract namespace: NOTIFY_SOCKET=@name. */
static void
notify_fixture_set_up_abstract (NotifyFixture *fixture,
                                gconstpointer  data)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *name = NULL;

  if (!g_unix_socket_address_abstract_names_supported ())
    {
      g_test_skip ("No abstract socket names here");
      return;
    }
  name = g_strdup_printf ("fluid-test-run-main-%d-%08x", (int) getpid (), g_random_int ());
  fixture->path = g_strconcat ("@", name, NULL);
  address = g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  notify_fixture_bind (fixture, address);
}

static void
notify_fixture_tear_down (NotifyFixture *fixture,
                          gconstpointer  data)
{
  if (fixture->socket != NULL)
    g_socket_close (fixture->socket, NULL);
  g_clear_object (&fixture->socket);
  g_clear_object (&fixture->launcher);
  if (fixture->dir != NULL)
    {
      g_unlink (fixture->path);
      g_rmdir (fixture->dir);
    }
  g_clear_pointer (&fixture->path, g_free);
  g_clear_pointer (&fixture->dir, g_free);
}

/* The next notification, waiting for it; NULL once the helper exited
 * without sending one more. */
static char *
notify_receive (NotifyFixture   *fixture,
                FluidTestHelper *helper)
{
  g_autoptr(GSource) source = g_socket_create_source (fixture->socket, G_IO_IN, NULL);
  g_autoptr(GError) error = NULL;
  char buffer[256];
  gssize size;

  /* Wakes the context as soon as a datagram is there; the helper's exit
   * does too. */
  g_source_set_dummy_callback (source);
  g_source_attach (source, NULL);
  fluid_test_wait_until (g_socket_condition_check (fixture->socket, G_IO_IN) || helper->exited);
  g_source_destroy (source);

  if (!g_socket_condition_check (fixture->socket, G_IO_IN))
    return NULL;
  size = g_socket_receive (fixture->socket, buffer, sizeof buffer - 1, NULL, &error);
  g_assert_no_error (error);
  buffer[size] = '\0';
  return g_strdup (buffer);
}

static void
notify_expect (NotifyFixture   *fixture,
               FluidTestHelper *helper,
               const char      *expected)
{
  g_autofree char *notification = notify_receive (fixture, helper);

  g_assert_cmpstr (notification, ==, expected);
}

static void
test_run_main_notify (NotifyFixture *fixture,
                      gconstpointer  data)
{
  FluidTestHelper *helper;

  if (fixture->socket == NULL)
    return;

  helper = fluid_test_helper_spawn (fixture->launcher, "graceful", NULL);
  notify_expect (fixture, helper, "READY=1");
  fluid_test_helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, SIGTERM);
  notify_expect (fixture, helper, "STOPPING=1");
  fluid_test_helper_expect_line (helper, "stopping");
  fluid_test_helper_expect_line (helper, "stopped 0 normal shutdown");
  g_assert_cmpint (fluid_test_helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
  /* Nothing more: one of each. */
  g_assert_false (g_socket_condition_check (fixture->socket, G_IO_IN));
}

/* A worker that stops by itself says STOPPING=1 all the same. */
static void
test_run_main_notify_failure (NotifyFixture *fixture,
                              gconstpointer  data)
{
  FluidTestHelper *helper = fluid_test_helper_spawn (fixture->launcher, "fail", NULL);

  notify_expect (fixture, helper, "READY=1");
  notify_expect (fixture, helper, "STOPPING=1");
  g_assert_cmpint (fluid_test_helper_wait (helper), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_false (g_socket_condition_check (fixture->socket, G_IO_IN));
}

/* WATCHDOG_USEC of 20 ms, for this process (WATCHDOG_PID is the helper's
 * own: the shell execs it): WATCHDOG=1 keeps coming while it runs. */
static void
test_run_main_notify_watchdog (NotifyFixture *fixture,
                               gconstpointer  data)
{
  const char *argv[] = { "/bin/sh", "-c", "WATCHDOG_PID=$$ exec \"$0\" graceful", "helper", NULL };
  g_autofree char *notification = NULL;
  gboolean stopping = FALSE;
  FluidTestHelper *helper;

  g_subprocess_launcher_setenv (fixture->launcher, "WATCHDOG_USEC", "20000", TRUE);
  helper = fluid_test_helper_spawnv (fixture->launcher, argv);

  notify_expect (fixture, helper, "READY=1");
  for (guint i = 0; i < 3; i++)
    notify_expect (fixture, helper, "WATCHDOG=1");
  g_subprocess_send_signal (helper->process, SIGTERM);

  /* WATCHDOG=1 may still come while it stops, STOPPING=1 once. */
  while ((notification = notify_receive (fixture, helper)) != NULL)
    {
      if (g_str_equal (notification, "STOPPING=1"))
        {
          g_assert_false (stopping);
          stopping = TRUE;
        }
      else
        g_assert_cmpstr (notification, ==, "WATCHDOG=1");
      g_clear_pointer (&notification, g_free);
    }
  g_assert_true (stopping);
  g_assert_cmpint (fluid_test_helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
}

/* A NOTIFY_SOCKET nobody listens on: the daemon runs as without one. */
static void
test_run_main_notify_nobody (NotifyFixture *fixture,
                             gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", NULL);
  FluidTestHelper *helper;

  g_subprocess_launcher_setenv (fixture->launcher, "NOTIFY_SOCKET", missing, TRUE);
  g_subprocess_launcher_setenv (fixture->launcher, "WATCHDOG_USEC", "2000", TRUE);
  helper = fluid_test_helper_spawn (fixture->launcher, "graceful", NULL);
  fluid_test_helper_expect_line (helper, "started");
  g_subprocess_send_signal (helper->process, SIGTERM);
  fluid_test_helper_expect_line (helper, "stopping");
  fluid_test_helper_expect_line (helper, "stopped 0 normal shutdown");
  g_assert_cmpint (fluid_test_helper_wait (helper), ==, FLUID_EXIT_CODE_NORMAL);
}

/* In this process */

static void
test_run_main_exit_codes (void)
{
  g_autoptr(FluidTestWorker) returns = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10);
  g_autoptr(FluidTestWorker) fails = fluid_test_worker_new (FLUID_TEST_RUN_FAIL, 0, 10);

  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (returns)), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (returns)), ==, FLUID_WORKER_STATE_STOPPED);
  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (fails)), ==, FLUID_EXIT_CODE_ERROR);
  g_assert_cmpstr (fluid_worker_get_stop_reason (FLUID_WORKER (fails)), ==, "run failed");
}

/* A worker stopped from inside, by a handler of its own: a group's child
 * that stops stops the group, and run_main returns. */
static void
test_run_main_group (void)
{
  g_autoptr(FluidTestWorker) child = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10);
  g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (FLUID_WORKER (child), NULL);

  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (group)), ==, FLUID_EXIT_CODE_NORMAL);
  g_assert_true (fluid_worker_is_stopped (FLUID_WORKER (group)));
}

static volatile sig_atomic_t handled_signum;

static void
test_signal_handler (int signum)
{
  handled_signum = signum;
}

/* Once it returns, SIGINT and SIGTERM are handled as before. */
static void
test_run_main_restores_signals (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10);
  struct sigaction action = { 0, };
  struct sigaction old_int, old_term, now;

  action.sa_handler = test_signal_handler;
  sigemptyset (&action.sa_mask);
  g_assert_cmpint (sigaction (SIGINT, &action, &old_int), ==, 0);
  g_assert_cmpint (sigaction (SIGTERM, &action, &old_term), ==, 0);

  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_NORMAL);

  g_assert_cmpint (sigaction (SIGINT, NULL, &now), ==, 0);
  g_assert_true (now.sa_handler == test_signal_handler);
  g_assert_cmpint (sigaction (SIGTERM, NULL, &now), ==, 0);
  g_assert_true (now.sa_handler == test_signal_handler);
  raise (SIGTERM);
  g_assert_cmpint (handled_signum, ==, SIGTERM);

  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
}

static void
test_run_main_bad_input (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10);
  g_autoptr(GError) error = NULL;

  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  g_assert_cmpint (fluid_worker_run_main (NULL), ==, FLUID_EXIT_CODE_ERROR);
  g_test_assert_expected_messages ();

  /* A worker that has started is not run twice, and goes on. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (worker), &error));
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*has_started*");
  g_assert_cmpint (fluid_worker_run_main (FLUID_WORKER (worker)), ==, FLUID_EXIT_CODE_ERROR);
  g_test_assert_expected_messages ();
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (worker)));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (worker), &error));
  g_assert_no_error (error);
}

/* hold_application */

typedef struct
{
  FluidWorker *worker;
  guint        calls;
  guint        stop_after;
  gboolean     hold_after_start;
  gboolean     start;
} HoldData;

static void
hold_count_calls (FluidWorker *worker,
                  gpointer     user_data)
{
  HoldData *data = user_data;

  if (++data->calls == data->stop_after)
    fluid_worker_gracefully_stop (worker);
}

static void
hold_activate_cb (GApplication *app,
                  gpointer      user_data)
{
  HoldData *data = user_data;

  if (!data->hold_after_start)
    fluid_worker_hold_application (data->worker, app);
  if (data->start)
    fluid_worker_startup_async (data->worker, NULL, NULL, NULL);
  if (data->hold_after_start)
    fluid_worker_hold_application (data->worker, app);
}

static void
hold_run (HoldData *data)
{
  g_autoptr(GApplication) app = g_application_new ("org.gnome.Fluid.TestRunMain",
                                                    G_APPLICATION_NON_UNIQUE);

  g_signal_connect (app, "activate", G_CALLBACK (hold_activate_cb), data);
  g_assert_cmpint (g_application_run (app, 0, NULL), ==, 0);
}

/* g_application_run() returns once the worker stopped, not before: the
 * worker stops itself after 5 calls 10 ms apart. (Not 0 s apart: the
 * application runs what is ready before it returns, and that would be
 * every call.) */
static void
test_hold_application (gconstpointer test_data)
{
  HoldData data = { NULL, 0, 5, GPOINTER_TO_INT (test_data), TRUE };

  data.worker = fluid_worker_function_new (0.01, hold_count_calls, &data, NULL);
  hold_run (&data);
  g_assert_true (fluid_worker_is_stopped (data.worker));
  g_assert_cmpuint (data.calls, ==, 5);
  g_object_unref (data.worker);
}

/* A worker that never starts never holds: the application ends at once. */
static void
test_hold_application_never_started (void)
{
  HoldData data = { NULL, 0, 5, FALSE, FALSE };

  data.worker = fluid_worker_function_new (0.0, hold_count_calls, &data, NULL);
  hold_run (&data);
  g_assert_cmpint (fluid_worker_get_state (data.worker), ==, FLUID_WORKER_STATE_INIT);
  g_object_unref (data.worker);
}

/* One that has stopped is left alone. */
static void
test_hold_application_stopped (void)
{
  HoldData data = { NULL, 0, 1, FALSE, FALSE };
  g_autoptr(GError) error = NULL;

  data.worker = fluid_worker_function_new (0.0, hold_count_calls, &data, NULL);
  g_assert_true (fluid_test_startup (data.worker, &error));
  g_assert_true (fluid_test_wait_for_shutdown (data.worker, &error));
  hold_run (&data);
  g_assert_cmpuint (data.calls, ==, 1);
  g_object_unref (data.worker);
}

static void
test_hold_application_bad_input (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 0, 10);
  g_autoptr(GApplication) app = g_application_new (NULL, G_APPLICATION_NON_UNIQUE);

  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_hold_application (NULL, app);
  g_test_assert_expected_messages ();
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*G_IS_APPLICATION*");
  fluid_worker_hold_application (FLUID_WORKER (worker), NULL);
  g_test_assert_expected_messages ();
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *no_bus = NULL;

  /* Neither this process nor its helpers talk to a systemd of the test
   * runner's, nor GApplication to a session bus. */
  g_unsetenv ("NOTIFY_SOCKET");
  g_unsetenv ("WATCHDOG_USEC");
  g_unsetenv ("WATCHDOG_PID");
  no_bus = g_strdup_printf ("unix:path=/nonexistent/fluid-test-run-main-%d", (int) getpid ());
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", no_bus, TRUE);

  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_data_func ("/run-main/signal/sigterm", GINT_TO_POINTER (SIGTERM),
                        test_run_main_signal_graceful);
  g_test_add_data_func ("/run-main/signal/sigint", GINT_TO_POINTER (SIGINT),
                        test_run_main_signal_graceful);
  g_test_add_func ("/run-main/signal/second-forces", test_run_main_signal_second_forces);
  g_test_add_func ("/run-main/signal/grace-period", test_run_main_signal_grace_period);
  g_test_add_func ("/run-main/helper-fails", test_run_main_helper_fails);

  g_test_add ("/run-main/notify/ready-stopping", NotifyFixture, NULL,
              notify_fixture_set_up, test_run_main_notify, notify_fixture_tear_down);
  g_test_add ("/run-main/notify/abstract", NotifyFixture, NULL,
              notify_fixture_set_up_abstract, test_run_main_notify, notify_fixture_tear_down);
  g_test_add ("/run-main/notify/failure", NotifyFixture, NULL,
              notify_fixture_set_up, test_run_main_notify_failure, notify_fixture_tear_down);
  g_test_add ("/run-main/notify/watchdog", NotifyFixture, NULL,
              notify_fixture_set_up, test_run_main_notify_watchdog, notify_fixture_tear_down);
  g_test_add ("/run-main/notify/nobody-listens", NotifyFixture, NULL,
              notify_fixture_set_up, test_run_main_notify_nobody, notify_fixture_tear_down);

  g_test_add_func ("/run-main/exit-codes", test_run_main_exit_codes);
  g_test_add_func ("/run-main/group", test_run_main_group);
  g_test_add_func ("/run-main/restores-signals", test_run_main_restores_signals);
  g_test_add_func ("/run-main/bad-input", test_run_main_bad_input);

  g_test_add_data_func ("/hold-application/before-start", GINT_TO_POINTER (FALSE),
                        test_hold_application);
  g_test_add_data_func ("/hold-application/while-running", GINT_TO_POINTER (TRUE),
                        test_hold_application);
  g_test_add_func ("/hold-application/never-started", test_hold_application_never_started);
  g_test_add_func ("/hold-application/stopped", test_hold_application_stopped);
  g_test_add_func ("/hold-application/bad-input", test_hold_application_bad_input);

  return g_test_run ();
}
