/* test-worker-settings.c: a worker's name and stopping grace period, set
 * after construction: until it starts, joins a group or is exported
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <math.h>
#include <string.h>

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

/* fluid_worker_set_name() and the property: notified once per change, the
 * type's default back for NULL and "". */
static void
test_settings_name (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 1.0, 10.0);
  FluidWorker *w = FLUID_WORKER (worker);
  g_autofree char *read_back = NULL;
  guint notified = 0;

  g_signal_connect (worker, "notify::name", G_CALLBACK (count_notify_cb), &notified);
  g_assert_cmpstr (fluid_worker_get_name (w), ==, "fluid_test_worker");

  fluid_worker_set_name (w, "indexer");
  g_assert_cmpstr (fluid_worker_get_name (w), ==, "indexer");
  g_assert_cmpuint (notified, ==, 1);

  /* The same name again changes nothing. */
  fluid_worker_set_name (w, "indexer");
  g_assert_cmpuint (notified, ==, 1);

  g_object_set (worker, "name", "crawler", NULL);
  g_object_get (worker, "name", &read_back, NULL);
  g_assert_cmpstr (read_back, ==, "crawler");
  g_assert_cmpuint (notified, ==, 2);

  fluid_worker_set_name (w, NULL);
  g_assert_cmpstr (fluid_worker_get_name (w), ==, "fluid_test_worker");
  g_assert_cmpuint (notified, ==, 3);
  fluid_worker_set_name (w, "");
  g_assert_cmpstr (fluid_worker_get_name (w), ==, "fluid_test_worker");
  g_assert_cmpuint (notified, ==, 3);

  /* The name given at construction is the one set last, and the worker
   * runs and logs under it. */
  fluid_worker_set_name (w, "final");
  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_test_wait_for_shutdown (w, NULL));
  g_assert_cmpstr (fluid_worker_get_name (w), ==, "final");
}

/* fluid_worker_set_stopping_grace_period() and the property: -1 brings
 * back the environment's default. */
static void
test_settings_grace_period (void)
{
  g_autoptr(FluidTestWorker) worker = NULL;
  FluidWorker *w;
  guint notified = 0;

  g_setenv ("FLUID_STOPPING_GRACE_PERIOD", "4", TRUE);
  worker = g_object_new (FLUID_TEST_TYPE_WORKER, NULL);
  w = FLUID_WORKER (worker);
  g_signal_connect (worker, "notify::stopping-grace-period", G_CALLBACK (count_notify_cb), &notified);
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (w), ==, 4.0);

  fluid_worker_set_stopping_grace_period (w, 0.25);
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (w), ==, 0.25);
  g_assert_cmpuint (notified, ==, 1);
  fluid_worker_set_stopping_grace_period (w, 0.25);
  g_assert_cmpuint (notified, ==, 1);

  g_object_set (worker, "stopping-grace-period", 7.5, NULL);
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (w), ==, 7.5);
  g_assert_cmpuint (notified, ==, 2);

  g_object_set (worker, "stopping-grace-period", -1.0, NULL);
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (w), ==, 4.0);
  g_assert_cmpuint (notified, ==, 3);

  fluid_worker_set_stopping_grace_period (w, 0.0);
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (w), ==, 0.0);
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
}

/* The grace period set after construction is the one a shutdown waits
 * for: a run that ends only when cancelled is forced at once with 0, where
 * the hour it was made with would have outlasted the test. */
static void
test_settings_grace_period_used (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_UNTIL_CANCELLED, 1.0,
                                                             3600.0);
  FluidWorker *w = FLUID_WORKER (worker);

  fluid_worker_set_stopping_grace_period (w, 0.0);
  g_assert_true (fluid_test_startup (w, NULL));
  g_assert_true (fluid_test_shutdown (w, NULL));
  g_assert_cmpint (fluid_worker_get_state (w), ==, FLUID_WORKER_STATE_FORCE_STOPPED);
  g_assert_cmpint (fluid_worker_get_exit_code (w), ==, FLUID_EXIT_CODE_FORCED);
}

/* Once started, running or stopped, neither changes: a critical each. */
static void
test_settings_after_start (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new_named ("early",
                                                                   FLUID_TEST_RUN_SLEEP_LOOP,
                                                                   1.0, 2.0);
  FluidWorker *w = FLUID_WORKER (worker);
  guint notified = 0;

  g_signal_connect (worker, "notify::name", G_CALLBACK (count_notify_cb), &notified);
  g_signal_connect (worker, "notify::stopping-grace-period", G_CALLBACK (count_notify_cb), &notified);
  g_assert_true (fluid_test_startup (w, NULL));

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*early has started*name*");
  fluid_worker_set_name (w, "late");
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*early has started*grace period*");
  fluid_worker_set_stopping_grace_period (w, 9.0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*early has started*name*");
  g_object_set (worker, "name", "late", NULL);
  g_test_assert_expected_messages ();

  g_assert_true (fluid_test_shutdown (w, NULL));

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*early has started*grace period*");
  g_object_set (worker, "stopping-grace-period", 9.0, NULL);
  g_test_assert_expected_messages ();

  g_assert_cmpstr (fluid_worker_get_name (w), ==, "early");
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (w), ==, 2.0);
  g_assert_cmpuint (notified, ==, 0);
}

static FluidWorker *
make_child (FluidWorkers *group,
            gpointer      user_data)
{
  return FLUID_WORKER (fluid_test_worker_new_named (user_data, FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 1.0));
}

/* A group knows its children by name: the name of a child is fixed from
 * the moment it joins; its grace period is not, and the group's own name
 * is free until the group itself joins one. */
static void
test_settings_name_fixed_in_group (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  g_autoptr(FluidWorkers) outer = fluid_workers_new ();
  g_autoptr(FluidTestWorker) member = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 1.0);
  g_autoptr(FluidWorker) supervised = NULL;
  FluidWorker *m = FLUID_WORKER (member);

  fluid_worker_set_name (m, "member");
  fluid_workers_add_worker (group, m);

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*member is in a group or exported*");
  fluid_worker_set_name (m, "renamed");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (fluid_worker_get_name (m), ==, "member");

  fluid_worker_set_stopping_grace_period (m, 0.5);
  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (m), ==, 0.5);

  /* A child made by a factory joins as any other. */
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_child, "made", NULL);
  supervised = g_list_model_get_item (G_LIST_MODEL (group), 1);
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*made is in a group or exported*");
  fluid_worker_set_name (supervised, "renamed");
  g_test_assert_expected_messages ();

  fluid_worker_set_name (FLUID_WORKER (group), "pool");
  g_assert_cmpstr (fluid_worker_get_name (FLUID_WORKER (group)), ==, "pool");
  fluid_workers_add_worker (outer, FLUID_WORKER (group));
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*pool is in a group or exported*");
  fluid_worker_set_name (FLUID_WORKER (group), "other");
  g_test_assert_expected_messages ();
}

/* An exported worker's Name property is its name: fixed from the export
 * on, unexported or not. */
static void
test_settings_name_fixed_when_exported (void)
{
  FluidTestBus *bus = fluid_test_bus_new ();
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(FluidTestWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  FluidWorker *w;

  if (bus == NULL)
    {
      g_test_skip ("dbus-daemon is not installed");
      return;
    }
  connection = fluid_test_bus_connect (bus);
  worker = fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1.0, 1.0);
  w = FLUID_WORKER (worker);

  fluid_worker_set_name (w, "exported");
  g_assert_true (fluid_worker_export (w, connection, "/org/gnome/Fluid/Test/settings", &error));
  g_assert_no_error (error);

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*exported is in a group or exported*");
  fluid_worker_set_name (w, "renamed");
  g_test_assert_expected_messages ();

  fluid_worker_unexport (w);
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*exported is in a group or exported*");
  fluid_worker_set_name (w, "renamed");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (fluid_worker_get_name (w), ==, "exported");

  g_dbus_connection_close_sync (connection, NULL, NULL);
  g_clear_object (&connection);
  fluid_test_bus_free (bus);
}

typedef struct
{
  GMutex  lock;
  char   *thread_name;
} ThreadName;

static gboolean
record_thread_name (FluidQueueConsumerWorker  *worker,
                    const GValue              *message,
                    GCancellable              *cancellable,
                    gpointer                   user_data,
                    GError                   **error)
{
  ThreadName *seen = user_data;
  g_autofree char *comm = NULL;

  g_file_get_contents ("/proc/thread-self/comm", &comm, NULL, NULL);
  g_mutex_lock (&seen->lock);
  if (seen->thread_name == NULL)
    seen->thread_name = g_strdup (comm != NULL ? g_strstrip (comm) : "");
  g_mutex_unlock (&seen->lock);
  return TRUE;
}

static gboolean
thread_name_seen (ThreadName *seen)
{
  gboolean done;

  g_mutex_lock (&seen->lock);
  done = seen->thread_name != NULL;
  g_mutex_unlock (&seen->lock);
  return done;
}

/* The threads of a threaded consumer are named when it starts: after a
 * name set since its construction. */
static void
test_settings_threads_named (void)
{
  ThreadName seen = { 0 };
  g_autoptr(FluidWorker) worker = NULL;
  GValue message = G_VALUE_INIT;

  if (!g_file_test ("/proc/thread-self/comm", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /proc/thread-self/comm to read a thread's name from");
      return;
    }
  g_mutex_init (&seen.lock);
  worker = fluid_queue_consumer_worker_new_threaded (1, record_thread_name, &seen, NULL);
  fluid_worker_set_name (worker, "renamed_pool");
  g_assert_true (fluid_test_startup (worker, NULL));

  g_value_init (&message, G_TYPE_INT);
  g_value_set_int (&message, 1);
  fluid_queue_consumer_send (FLUID_QUEUE_CONSUMER (worker), &message);
  g_value_unset (&message);
  fluid_test_wait_until (thread_name_seen (&seen));

  g_assert_true (fluid_test_shutdown (worker, NULL));
  g_assert_cmpstr (seen.thread_name, ==, "renamed_pool");
  g_free (seen.thread_name);
  g_mutex_clear (&seen.lock);
}

static void
test_settings_bad_arguments (void)
{
  g_autoptr(FluidTestWorker) worker = fluid_test_worker_new (FLUID_TEST_RUN_RETURN, 1.0, 3.0);
  FluidWorker *w = FLUID_WORKER (worker);

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_set_name (NULL, "nobody");
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*FLUID_IS_WORKER*");
  fluid_worker_set_stopping_grace_period (NULL, 1.0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*seconds >= 0*");
  fluid_worker_set_stopping_grace_period (w, -1.0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*isnan*");
  fluid_worker_set_stopping_grace_period (w, NAN);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*G_MAXDOUBLE*");
  fluid_worker_set_stopping_grace_period (w, INFINITY);
  g_test_assert_expected_messages ();

  g_assert_cmpfloat (fluid_worker_get_stopping_grace_period (w), ==, 3.0);
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("FLUID_STOPPING_GRACE_PERIOD");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/worker-settings/name", test_settings_name);
  g_test_add_func ("/worker-settings/grace-period", test_settings_grace_period);
  g_test_add_func ("/worker-settings/grace-period-used", test_settings_grace_period_used);
  g_test_add_func ("/worker-settings/after-start", test_settings_after_start);
  g_test_add_func ("/worker-settings/name-fixed-in-group", test_settings_name_fixed_in_group);
  g_test_add_func ("/worker-settings/name-fixed-when-exported", test_settings_name_fixed_when_exported);
  g_test_add_func ("/worker-settings/threads-named", test_settings_threads_named);
  g_test_add_func ("/worker-settings/bad-arguments", test_settings_bad_arguments);

  return g_test_run ();
}
