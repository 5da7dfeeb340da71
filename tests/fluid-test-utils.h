/* fluid-test-utils.h: helpers shared by the test suites
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <fluid/fluid.h>

G_BEGIN_DECLS

/* How long any wait of a test may take before the test fails: generous, as
 * it only catches hangs; tests wait on conditions, never on fixed sleeps. */
#define FLUID_TEST_WAIT_LIMIT_SECONDS 20

/* Iterates the thread-default main context until @cond holds; fails the
 * test if it does not within FLUID_TEST_WAIT_LIMIT_SECONDS. */
#define fluid_test_wait_until(cond) \
  G_STMT_START { \
    gint64 _fluid_deadline = g_get_monotonic_time () + \
                             FLUID_TEST_WAIT_LIMIT_SECONDS * G_USEC_PER_SEC; \
    GMainContext *_fluid_context = g_main_context_get_thread_default (); \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > _fluid_deadline) \
          g_error ("Timed out waiting for %s", #cond); \
        fluid_test_iterate_once (_fluid_context); \
      } \
  } G_STMT_END

void          fluid_test_iterate_once            (GMainContext  *context);
void          fluid_test_settle                  (GMainContext  *context);

/* The MESSAGE_ID of the library's log event "a worker failed" (a
 * warning): the capture takes it, and does not let it abort a test. */
#define FLUID_TEST_FAILED_MESSAGE_ID "933c09f3f4ee4d628d23fd41256a92bb"

void          fluid_test_log_capture_init        (void);
void          fluid_test_log_capture_expect_worker_warnings (void);
void          fluid_test_log_capture_reset       (void);
gboolean      fluid_test_log_captured            (GLogLevelFlags  level,
                                                  const char     *worker,
                                                  const char     *pattern);
guint         fluid_test_log_count               (GLogLevelFlags  level,
                                                  const char     *worker,
                                                  const char     *pattern);

/* Callback for any _async call: stores a new reference on the result in the
 * GAsyncResult ** given as user data. */
void          fluid_test_store_result_cb         (GObject       *source,
                                                  GAsyncResult  *result,
                                                  gpointer       user_data);

/* Blocking (main-loop iterating) versions of the worker's async calls. */
/* A D-Bus call from @client, answered while the thread-default context
 * iterates (the process under test answers from there); its error fails
 * the test. */
GVariant     *fluid_test_bus_call                (GDBusConnection *client,
                                                  const char      *name,
                                                  const char      *path,
                                                  const char      *interface,
                                                  const char      *method,
                                                  GVariant        *parameters,
                                                  const char      *reply_type);
/* Sends the ints @first, @first + 1... (@n of them) to @consumer, with
 * fluid_queue_consumer_send(). */
void          fluid_test_send_ints               (FluidQueueConsumer *consumer,
                                                  int             first,
                                                  guint           n);
/* A job of @worker whose input is the int @n. */
FluidJob     *fluid_test_submit_int              (FluidJobWorker *worker,
                                                  int             n,
                                                  int             priority);

gboolean      fluid_test_startup                 (FluidWorker   *worker,
                                                  GError       **error);
gboolean      fluid_test_shutdown                (FluidWorker   *worker,
                                                  GError       **error);
gboolean      fluid_test_wait_for_shutdown       (FluidWorker   *worker,
                                                  GError       **error);
GVariant     *fluid_test_status                  (FluidWorker   *worker);
/* Fails @worker as a crash: fluid_worker_fail() with G_IO_ERROR_FAILED,
 * "crashed". */
void          fluid_test_crash                   (FluidWorker   *worker);
/* A key of the worker's status, of type t: the test fails if it is not
 * there. */
guint64       fluid_test_status_uint64           (FluidWorker   *worker,
                                                  const char    *key);
/* The nick of @state: "init", "running", "stopping"... */
const char   *fluid_test_state_nick              (FluidWorkerState state);

/* What a FluidTestWorker does in run. */
typedef enum
{
  /* loops with fluid_worker_sleep_async (sleep) while running */
  FLUID_TEST_RUN_SLEEP_LOOP,
  /* returns at once */
  FLUID_TEST_RUN_RETURN,
  /* fails with G_IO_ERROR_FAILED "run failed" */
  FLUID_TEST_RUN_FAIL,
  /* fails with G_IO_ERROR_CANCELLED, though nothing cancelled it */
  FLUID_TEST_RUN_FAIL_CANCELLED,
  /* never returns unless its cancellable is cancelled (then CANCELLED) */
  FLUID_TEST_RUN_UNTIL_CANCELLED,
  /* never completes on its own and ignores its cancellable; the test may
   * complete it later with fluid_test_worker_complete_run() */
  FLUID_TEST_RUN_IGNORE_CANCEL,
} FluidTestRun;

#define FLUID_TEST_TYPE_WORKER (fluid_test_worker_get_type ())
G_DECLARE_FINAL_TYPE (FluidTestWorker, fluid_test_worker, FLUID_TEST, WORKER, FluidWorker)

/* A worker whose run does @run; @sleep is the loop's sleep in seconds.
 * Counts how often each hook ran. */
FluidTestWorker *fluid_test_worker_new           (FluidTestRun   run,
                                                  double         sleep,
                                                  double         grace_period);
guint            fluid_test_worker_get_iterations (FluidTestWorker *self);
guint            fluid_test_worker_get_on_startup_calls  (FluidTestWorker *self);
guint            fluid_test_worker_get_on_shutdown_calls (FluidTestWorker *self);
guint            fluid_test_worker_get_after_shutdown_calls (FluidTestWorker *self);
/* Completes a run left pending by FLUID_TEST_RUN_IGNORE_CANCEL. */
void             fluid_test_worker_complete_run  (FluidTestWorker *self);
/* Whether its run began and waits for fluid_test_worker_complete_run(). */
gboolean         fluid_test_worker_has_pending_run (FluidTestWorker *self);

/* A consumer whose run only waits for its stop (one sleep, which a stop
 * ends at once): the tests take its messages with
 * fluid_queue_consumer_get_message_async(). */
#define FLUID_TEST_TYPE_IDLE_CONSUMER (fluid_test_idle_consumer_get_type ())
G_DECLARE_FINAL_TYPE (FluidTestIdleConsumer, fluid_test_idle_consumer, FLUID_TEST, IDLE_CONSUMER,
                      FluidQueueConsumer)

/* As fluid_test_worker_new(), with the name @name. */
FluidTestWorker *fluid_test_worker_new_named     (const char     *name,
                                                  FluidTestRun    run,
                                                  double          sleep,
                                                  double          grace_period);

/* For the benchmarks: sorts @samples (doubles) and gives the value below
 * which @fraction of them lie (0.5: the median, 1.0: the maximum). */
double           fluid_test_percentile           (GArray         *samples,
                                                  double          fraction);

/* For the benchmarks: a field of /proc/self/status ("VmRSS"), in bytes,
 * 0 when unknown; and lowering VmHWM to the current RSS, so that the peak
 * of what follows is measured (FALSE when it cannot). */
gsize            fluid_test_proc_status_bytes    (const char     *field);
gboolean         fluid_test_reset_peak_rss       (void);

/* GET http://@address@target with HTTP/1.0 and @accept (or any), on the
 * calling thread, blocking: the body of a 200 reply, else NULL with
 * @error set. For the metrics' tests. */
char            *fluid_test_http_get             (const char     *address,
                                                  const char     *target,
                                                  const char     *accept,
                                                  char          **content_type,
                                                  GError        **error);
/* `promtool check metrics` (PROMTOOL, from Meson) accepts @text, with
 * no lint; a test without promtool is skipped, except under CI=true,
 * where it fails. */
void             fluid_test_assert_promtool_accepts (const char  *text);
/* The value of the sample `@name{@labels} value` of an exposition (the
 * labels as written there), or -1 when it has none. */
double           fluid_test_sample_value         (const char     *text,
                                                  const char     *name,
                                                  const char     *labels);
/* A TCP port of the loopback that nothing listens on now. */
int              fluid_test_free_port            (void);

/* A private D-Bus daemon, started by dbus-daemon --config-file on a socket
 * in a temporary folder that any user may reach, and stopped by
 * fluid_test_bus_free(), or when the test process dies. NULL when
 * dbus-daemon is not installed. */
typedef struct _FluidTestBus FluidTestBus;

FluidTestBus    *fluid_test_bus_new              (void);
const char      *fluid_test_bus_get_address      (FluidTestBus   *bus);
/* A new connection to the bus, as a client of the bus would have. */
GDBusConnection *fluid_test_bus_connect          (FluidTestBus   *bus);
void             fluid_test_bus_free             (FluidTestBus   *bus);
/* Owns @name on @connection, once the bus says so; for g_bus_unown_name(). */
guint            fluid_test_bus_own_name         (GDBusConnection *connection,
                                                  const char      *name);
/* Exports @worker at @path and owns @name, as a daemon does; then
 * fluid_test_bus_unexport() with what it returns shuts the worker down
 * (if it started), unexports it and gives the name up. */
guint            fluid_test_bus_export           (GDBusConnection *connection,
                                                  FluidWorker     *worker,
                                                  const char      *path,
                                                  const char      *name);
void             fluid_test_bus_unexport         (FluidWorker     *worker,
                                                  guint            owner);
/* Runs @argv as a client of @bus (DBUS_SESSION_BUS_ADDRESS set to its
 * address), iterating the default context until it exits, since the
 * process under test answers from there. Returns its exit status; its
 * output in @out and @err, if not NULL. */
int              fluid_test_bus_run_client       (FluidTestBus       *bus,
                                                  const char * const *argv,
                                                  char              **out,
                                                  char              **err);

/* run-main-helper, the daemon that test-run-main and test-run-main-bus
 * spawn, signal and read line by line. */
typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  gboolean          exited;
} FluidTestHelper;

/* A launcher whose children see no systemd of the test's own, their
 * standard output piped. */
GSubprocessLauncher *fluid_test_helper_launcher_new (void);
/* Spawns @argv, NULL-terminated, whose elements "helper" are replaced by
 * the helper's path. */
FluidTestHelper     *fluid_test_helper_spawnv       (GSubprocessLauncher *launcher,
                                                     const char * const  *argv);
FluidTestHelper     *fluid_test_helper_spawn        (GSubprocessLauncher *launcher,
                                                     const char          *mode,
                                                     const char          *grace_period);
/* Waits for the next line the helper prints, and checks it. */
void                 fluid_test_helper_expect_line  (FluidTestHelper     *helper,
                                                     const char          *expected);
/* Waits for the helper to exit, frees @helper and returns its exit
 * status; fails if a signal ended it. */
int                  fluid_test_helper_wait         (FluidTestHelper     *helper);

G_END_DECLS
