/* test-prometheus.c: a real Prometheus scrapes the example daemon
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs FLUID_EXAMPLE_DAEMON on a private bus with FLUID_METRICS_ADDRESS
 * on a free port, and PROMETHEUS (Debian's prometheus package) on another
 * with a configuration that scrapes it every second; asks Prometheus'
 * HTTP query API for fluid_messages_total until it has the daemon's
 * series, and checks them against what the daemon says over HTTP and
 * over D-Bus (fluidctl). Both processes are started and stopped by the
 * test, by their pid. Skipped without prometheus or dbus-daemon on a
 * developer's machine; under CI=true, they must be there.
 */

#include "fluid-test-utils.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

#define READER "example/consumers/reader"

/* The processes go with the test, even one that aborts. */
static void
child_setup (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

static GSubprocess *
spawn (GSubprocessLauncher  *launcher,
       const char * const   *argv)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

/* Ends @process by its pid, and waits for it. */
static void
stop (GSubprocess *process)
{
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, NULL);
}

/* GET until it answers 200, the process it asks still alive. */
static char *
get_until_ok (GSubprocess *process,
              const char  *address,
              const char  *target)
{
  gint64 deadline = g_get_monotonic_time () + FLUID_TEST_WAIT_LIMIT_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      char *body = fluid_test_http_get (address, target, NULL, NULL, &error);

      if (body != NULL)
        return body;
      if (g_subprocess_get_identifier (process) == NULL)
        g_error ("The process of %s exited before it answered", address);
      if (g_get_monotonic_time () > deadline)
        g_error ("GET http://%s%s: %s", address, target, error->message);
      /* Waits for the other process's socket: nothing on this context. */
      g_usleep (G_USEC_PER_SEC / 20);
    }
}

/* The value of the one series of a query's vector, as Prometheus' JSON
 * writes it (`"value":[1712345678.9,"42"]`), or -1 when it has none. */
static double
vector_value (const char *json)
{
  const char *value = strstr (json, "\"value\":[");
  const char *quote;

  g_assert_nonnull (strstr (json, "\"status\":\"success\""));
  if (value == NULL)
    return -1;
  /* Past the timestamp, the value's string. */
  quote = strchr (value + strlen ("\"value\":["), '"');
  g_assert_nonnull (quote);
  return g_ascii_strtod (quote + 1, NULL);
}

static char *
query (GSubprocess *prometheus,
       const char  *address,
       const char  *promql)
{
  g_autofree char *escaped = g_uri_escape_string (promql, NULL, FALSE);
  g_autofree char *target = g_strdup_printf ("/api/v1/query?query=%s", escaped);

  return get_until_ok (prometheus, address, target);
}

static void
test_scraped (void)
{
  const char *prometheus_program = g_getenv ("PROMETHEUS");
  const char *daemon_program = g_getenv ("FLUID_EXAMPLE_DAEMON");
  g_autoptr(GSubprocessLauncher) daemon_launcher = NULL;
  g_autoptr(GSubprocessLauncher) prometheus_launcher = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GSubprocess) prometheus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *config = NULL;
  g_autofree char *storage = NULL;
  g_autofree char *metrics_address = NULL;
  g_autofree char *prometheus_address = NULL;
  g_autofree char *prometheus_flag = NULL;
  g_autofree char *config_flag = NULL;
  g_autofree char *storage_flag = NULL;
  g_autofree char *served = NULL;
  g_autofree char *over_dbus = NULL;
  g_autofree char *failed_json = NULL;
  g_autofree char *state_json = NULL;
  FluidTestBus *bus;
  double scraped = -1, now, over_dbus_processed;
  const char *rm_argv[4] = { "rm", "-rf", NULL, NULL };

  if (prometheus_program == NULL || prometheus_program[0] == '\0')
    {
      if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
        g_error ("PROMETHEUS is not set: CI needs the prometheus package (.ci/deps)");
      g_test_skip ("prometheus is not installed (Debian's prometheus package)");
      return;
    }
  g_assert_nonnull (daemon_program);
  bus = fluid_test_bus_new ();
  if (bus == NULL)
    {
      if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
        g_error ("no dbus-daemon: CI needs it (.ci/deps)");
      g_test_skip ("dbus-daemon is not installed");
      return;
    }

  /* The daemon, serving its metrics. */
  metrics_address = g_strdup_printf ("127.0.0.1:%d", fluid_test_free_port ());
  daemon_launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                               G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_setenv (daemon_launcher, "DBUS_SESSION_BUS_ADDRESS",
                                fluid_test_bus_get_address (bus), TRUE);
  g_subprocess_launcher_setenv (daemon_launcher, "FLUID_METRICS_ADDRESS", metrics_address, TRUE);
  g_subprocess_launcher_unsetenv (daemon_launcher, "NOTIFY_SOCKET");
  daemon = spawn (daemon_launcher, (const char * const[]) { daemon_program, NULL });
  g_free (get_until_ok (daemon, metrics_address, "/metrics"));

  /* Prometheus, scraping it every second. */
  dir = g_dir_make_tmp ("fluid-prometheus-XXXXXX", &error);
  g_assert_no_error (error);
  config_path = g_build_filename (dir, "prometheus.yml", NULL);
  storage = g_build_filename (dir, "data", NULL);
  config = g_strdup_printf ("global:\n"
                            "  scrape_interval: 1s\n"
                            "scrape_configs:\n"
                            "  - job_name: fluid-example\n"
                            "    static_configs:\n"
                            "      - targets: ['%s']\n", metrics_address);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);
  prometheus_address = g_strdup_printf ("127.0.0.1:%d", fluid_test_free_port ());
  config_flag = g_strconcat ("--config.file=", config_path, NULL);
  storage_flag = g_strconcat ("--storage.tsdb.path=", storage, NULL);
  prometheus_flag = g_strconcat ("--web.listen-address=", prometheus_address, NULL);
  prometheus_launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                   G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  prometheus = spawn (prometheus_launcher, (const char * const[]) {
                        prometheus_program, config_flag, storage_flag, prometheus_flag, NULL });

  /* Until it scraped the reader's messages. */
  {
    gint64 deadline = g_get_monotonic_time () + 3 * FLUID_TEST_WAIT_LIMIT_SECONDS * G_USEC_PER_SEC;

    while (scraped <= 0)
      {
        g_autofree char *json = query (prometheus, prometheus_address,
                                       "fluid_messages_total{job=\"fluid-example\",worker=\"" READER "\","
                                       "outcome=\"processed\"}");

        scraped = vector_value (json);
        if (scraped <= 0 && g_get_monotonic_time () > deadline)
          g_error ("Prometheus has no processed messages of " READER ": %s", json);
        if (scraped <= 0)
          g_usleep (G_USEC_PER_SEC / 5);
      }
  }

  /* What the daemon reports now, over HTTP and D-Bus: the scrape was
   * earlier, and the reader only counts up. */
  served = get_until_ok (daemon, metrics_address, "/metrics");
  now = fluid_test_sample_value (served, "fluid_messages_total", "worker=\"" READER "\",outcome=\"processed\"");
  g_assert_cmpfloat (scraped, >=, 1);
  g_assert_cmpfloat (scraped, <=, now);
  {
    const char *argv[] = { g_getenv ("FLUIDCTL"), "org.gnome.Fluid.Example", "metrics", NULL };

    g_assert_cmpint (fluid_test_bus_run_client (bus, argv, &over_dbus, NULL), ==, 0);
  }
  over_dbus_processed = fluid_test_sample_value (over_dbus, "fluid_messages_total",
                                      "worker=\"" READER "\",outcome=\"processed\"");
  g_assert_cmpfloat (over_dbus_processed, >=, now);

  /* The series that do not move, exactly. */
  failed_json = query (prometheus, prometheus_address,
                       "fluid_messages_total{worker=\"" READER "\",outcome=\"failed\"}");
  g_assert_cmpfloat (vector_value (failed_json), ==,
                     fluid_test_sample_value (served, "fluid_messages_total", "worker=\"" READER "\",outcome=\"failed\""));
  state_json = query (prometheus, prometheus_address,
                      "fluid_worker_state{worker=\"example\",state=\"running\"}");
  g_assert_cmpfloat (vector_value (state_json), ==, 1);

  stop (prometheus);
  stop (daemon);
  rm_argv[2] = dir;
  g_spawn_sync (NULL, (char **) rm_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  fluid_test_bus_free (bus);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/prometheus/scrapes-the-example-daemon", test_scraped);
  return g_test_run ();
}
