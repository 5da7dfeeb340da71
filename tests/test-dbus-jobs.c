/* test-dbus-jobs.c: an exported job worker's org.gnome.Fluid.Jobs1: its
 * counters, ListJobs(), and `fluidctl BUS_NAME jobs NAME`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <string.h>

#define BUS_NAME  "org.gnome.Fluid.TestJobs"
#define TREE_PATH "/org/gnome/Fluid/TestJobs"
#define JOBS_PATH TREE_PATH "/jobs"

/* Runs each job until the test lets it go: its cancellable. */
static void
hold_job (FluidJob     *job,
          GCancellable *cancellable,
          GTask        *task,
          gpointer      user_data)
{
  GPtrArray *held = user_data;

  fluid_job_report_progress (job, 0.25, "a quarter");
  g_ptr_array_add (held, g_object_ref (task));
}

typedef struct
{
  FluidTestBus    *bus;
  GDBusConnection *service;
  GDBusConnection *client;
  guint            owner;
  FluidWorkers    *group;
  FluidJobWorker  *jobs;
  GPtrArray       *held;
  char            *out;
  char            *err;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->bus = fluid_test_bus_new ();
  if (fixture->bus == NULL)
    {
      g_test_skip ("dbus-daemon is not installed");
      return;
    }
  fixture->held = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->service = fluid_test_bus_connect (fixture->bus);
  fixture->client = fluid_test_bus_connect (fixture->bus);
  fixture->group = g_object_new (FLUID_TYPE_WORKERS, "name", "tree", NULL);
  fixture->jobs = fluid_job_worker_new_async (hold_job, fixture->held, NULL);
  fluid_worker_set_name (FLUID_WORKER (fixture->jobs), "jobs");
  fluid_workers_add_worker (fixture->group, FLUID_WORKER (fixture->jobs));
  fixture->owner = fluid_test_bus_export (fixture->service, FLUID_WORKER (fixture->group),
                                          TREE_PATH, BUS_NAME);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->bus == NULL)
    return;
  fluid_test_bus_unexport (FLUID_WORKER (fixture->group), fixture->owner);
  g_dbus_connection_close_sync (fixture->client, NULL, NULL);
  g_dbus_connection_close_sync (fixture->service, NULL, NULL);
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->service);
  g_clear_object (&fixture->jobs);
  g_clear_object (&fixture->group);
  g_ptr_array_unref (fixture->held);
  g_free (fixture->out);
  g_free (fixture->err);
  fluid_test_bus_free (fixture->bus);
}

static GVariant *
call (Fixture    *fixture,
      const char *interface,
      const char *method,
      GVariant   *parameters,
      const char *reply_type)
{
  return fluid_test_bus_call (fixture->client, BUS_NAME, JOBS_PATH, interface, method, parameters,
                              reply_type);
}

static guint64
get_counter (Fixture    *fixture,
             const char *name)
{
  g_autoptr(GVariant) reply = call (fixture, "org.freedesktop.DBus.Properties", "Get",
                                    g_variant_new ("(ss)", FLUID_DBUS_JOBS_INTERFACE, name), "(v)");
  g_autoptr(GVariant) boxed = g_variant_get_child_value (reply, 0);
  g_autoptr(GVariant) value = g_variant_get_variant (boxed);

  return g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32) ? g_variant_get_uint32 (value)
                                                              : g_variant_get_uint64 (value);
}

static void
test_jobs_interface (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(FluidJob) first = NULL, second = NULL, third = NULL;
  g_autoptr(GVariant) reply = NULL, jobs = NULL;
  g_autoptr(GError) error = NULL;
  const char *state, *text;
  const char *argv[] = { g_getenv ("FLUIDCTL"), BUS_NAME, "jobs", "jobs", NULL };
  const char *json_argv[] = { g_getenv ("FLUIDCTL"), "--json", BUS_NAME, "jobs", "jobs", NULL };
  guint64 id;
  double progress;
  gint32 priority;

  if (fixture->bus == NULL)
    return;

  g_assert_true (fluid_test_startup (FLUID_WORKER (fixture->group), &error));
  first = fluid_job_worker_submit (fixture->jobs, NULL, G_PRIORITY_DEFAULT, NULL);
  fluid_test_wait_until (fixture->held->len == 1);
  second = fluid_job_worker_submit (fixture->jobs, NULL, G_PRIORITY_LOW, NULL);
  third = fluid_job_worker_submit (fixture->jobs, NULL, G_PRIORITY_HIGH, NULL);
  fluid_test_wait_until (fluid_job_get_progress (first) == 0.25);
  fluid_job_cancel (second);

  /* The running first, then the queued in the order they run. */
  reply = call (fixture, FLUID_DBUS_JOBS_INTERFACE, "ListJobs", NULL, "(a(tsdsi))");
  jobs = g_variant_get_child_value (reply, 0);
  g_assert_cmpuint (g_variant_n_children (jobs), ==, 2);
  g_variant_get_child (jobs, 0, "(t&sd&si)", &id, &state, &progress, &text, &priority);
  g_assert_cmpuint (id, ==, 1);
  g_assert_cmpstr (state, ==, "running");
  g_assert_cmpfloat (progress, ==, 0.25);
  g_assert_cmpstr (text, ==, "a quarter");
  g_variant_get_child (jobs, 1, "(t&sd&si)", &id, &state, &progress, &text, &priority);
  g_assert_cmpuint (id, ==, 3);
  g_assert_cmpstr (state, ==, "queued");
  g_assert_cmpint (priority, ==, G_PRIORITY_HIGH);

  g_assert_cmpuint (get_counter (fixture, "Queued"), ==, 1);
  g_assert_cmpuint (get_counter (fixture, "Running"), ==, 1);
  g_assert_cmpuint (get_counter (fixture, "Cancelled"), ==, 1);

  g_assert_cmpint (fluid_test_bus_run_client (fixture->bus, argv, &fixture->out, &fixture->err), ==, 0);
  g_assert_cmpstr (fixture->out, ==,
                   "ID       STATE     PROGRESS  PRIORITY  DOING\n"
                   "1        running        25%         0  a quarter\n"
                   "3        queued          0%      -100\n");
  g_clear_pointer (&fixture->out, g_free);
  g_clear_pointer (&fixture->err, g_free);
  g_assert_cmpint (fluid_test_bus_run_client (fixture->bus, json_argv, &fixture->out, &fixture->err), ==, 0);
  g_assert_cmpstr (fixture->out, ==,
                   "[{\"id\": 1, \"state\": \"running\", \"progress\": 0.25, \"text\": \"a quarter\", "
                   "\"priority\": 0}, {\"id\": 3, \"state\": \"queued\", \"progress\": 0, \"text\": \"\", "
                   "\"priority\": -100}]\n");

  /* The rest run; the list is empty. */
  for (guint i = 0; i < 2; i++)
    {
      GTask *task;

      fluid_test_wait_until (fixture->held->len > i);
      task = g_ptr_array_index (fixture->held, i);
      g_task_return_boolean (task, TRUE);
    }
  fluid_test_wait_until (fluid_job_is_done (third));
  g_clear_pointer (&reply, g_variant_unref);
  g_clear_pointer (&jobs, g_variant_unref);
  reply = call (fixture, FLUID_DBUS_JOBS_INTERFACE, "ListJobs", NULL, "(a(tsdsi))");
  jobs = g_variant_get_child_value (reply, 0);
  g_assert_cmpuint (g_variant_n_children (jobs), ==, 0);
}

/* The counters as PropertiesChanged of Jobs1 told them to the client. */
typedef struct
{
  guint   emissions;
  guint32 queued;
  guint32 running;
  guint64 cancelled;
} Told;

static void
jobs_changed_cb (GDBusConnection *connection,
                 const char      *sender,
                 const char      *path,
                 const char      *interface,
                 const char      *signal,
                 GVariant        *parameters,
                 gpointer         user_data)
{
  Told *told = user_data;
  g_autoptr(GVariant) changed = NULL;
  const char *name;

  g_variant_get (parameters, "(&s@a{sv}@as)", &name, &changed, NULL);
  if (!g_str_equal (name, FLUID_DBUS_JOBS_INTERFACE))
    return;
  told->emissions++;
  g_variant_lookup (changed, "Queued", "u", &told->queued);
  g_variant_lookup (changed, "Running", "u", &told->running);
  g_variant_lookup (changed, "Cancelled", "t", &told->cancelled);
}

/* The counters reach the client with their last values, at most ten
 * times a second (+ 1: the first emission is not held back); the last
 * change of a burst is told once the interval has passed, by the timer on
 * the worker's context. */
static void
test_jobs_counters_changed (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GPtrArray) submitted = g_ptr_array_new_with_free_func (g_object_unref);
  Told told = { 0 };
  guint subscription;
  gint64 start;
  double seconds;

  if (fixture->bus == NULL)
    return;

  g_assert_true (fluid_test_startup (FLUID_WORKER (fixture->group), NULL));
  subscription = g_dbus_connection_signal_subscribe (fixture->client, BUS_NAME,
                                                     "org.freedesktop.DBus.Properties",
                                                     "PropertiesChanged", JOBS_PATH, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE,
                                                     jobs_changed_cb, &told, NULL);
  /* A round trip through the bus: the match rule is in place after it. */
  g_assert_cmpuint (get_counter (fixture, "Queued"), ==, 0);

  start = g_get_monotonic_time ();
  for (int i = 0; i < 20; i++)
    g_ptr_array_add (submitted, fluid_test_submit_int (fixture->jobs, i, 0));
  fluid_job_cancel (g_ptr_array_index (submitted, 19));
  fluid_test_wait_until (told.running == 1 && told.queued == 18 && told.cancelled == 1);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("Jobs1 emitted PropertiesChanged %u times in %.3f s", told.emissions, seconds);
  g_assert_cmpuint (told.emissions, >=, 1);
  g_assert_cmpfloat (told.emissions, <=, 10 * seconds + 1);

  /* Each held job let go: the last values told are those of the end. */
  for (guint i = 0; i < 19; i++)
    {
      fluid_test_wait_until (fixture->held->len > i);
      g_task_return_boolean (g_ptr_array_index (fixture->held, i), TRUE);
    }
  fluid_test_wait_until (told.running == 0 && told.queued == 0);
  g_assert_cmpuint (told.cancelled, ==, 1);
  g_dbus_connection_signal_unsubscribe (fixture->client, subscription);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add ("/dbus-jobs/interface", Fixture, NULL, fixture_set_up, test_jobs_interface,
              fixture_tear_down);
  g_test_add ("/dbus-jobs/counters-changed", Fixture, NULL, fixture_set_up, test_jobs_counters_changed,
              fixture_tear_down);

  return g_test_run ();
}
