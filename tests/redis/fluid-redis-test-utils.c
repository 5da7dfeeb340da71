/* fluid-redis-test-utils.c: private redis-servers for the tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-test-utils.h"
#include "fluid-test-utils.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

struct _FluidTestRedis
{
  char        *dir;
  char        *config;
  char        *socket;
  char        *uri;
  char        *tcp_uri;
  int          port;      /* 0: a unix socket only */
  gboolean     sentinel;
  GSubprocess *server;
};

/* The server goes with the test, even one that aborts: killed, as a
 * server that runs a script past busy-reply-threshold does not stop on
 * SIGTERM until the script ends. */
static void
fluid_test_redis_child_setup (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

/* The reply to PING, or NULL when nothing answers. */
static char *
fluid_test_redis_ping (FluidTestRedis *redis)
{
  struct timeval timeout = { 1, 0 };
  redisContext *c = redisConnectUnixWithTimeout (redis->socket, timeout);
  redisReply *reply = NULL;
  char *answer = NULL;

  if (c == NULL)
    return NULL;
  if (c->err == 0)
    reply = redisCommand (c, "PING");
  if (reply != NULL && (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_ERROR))
    answer = g_strdup (reply->str);
  if (reply != NULL)
    freeReplyObject (reply);
  redisFree (c);
  return answer;
}

/* Polled, with a limit that only catches a server that never comes (a
 * slow machine only waits longer). FALSE when the server exited first
 * (its port was taken: fluid_test_redis_new_full() tries others). */
static gboolean
fluid_test_redis_spawn (FluidTestRedis *redis,
                        gboolean        loading)
{
  g_autofree char *program = g_find_program_in_path ("redis-server");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  g_assert_null (redis->server);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, fluid_test_redis_child_setup, NULL, NULL);
  if (redis->sentinel)
    redis->server = g_subprocess_launcher_spawn (launcher, &error, program, redis->config,
                                                 "--sentinel", NULL);
  else
    redis->server = g_subprocess_launcher_spawn (launcher, &error, program, redis->config, NULL);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + FLUID_TEST_WAIT_LIMIT_SECONDS * G_USEC_PER_SEC;
  for (;;)
    {
      g_autofree char *answer = fluid_test_redis_ping (redis);

      if (g_strcmp0 (answer, "PONG") == 0 || (loading && answer != NULL))
        return TRUE;
      if (g_subprocess_get_identifier (redis->server) == NULL)
        {
          g_clear_object (&redis->server);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("redis-server did not start (see %s/redis.log)", redis->dir);
      g_usleep (5000);
    }
}

void
fluid_test_redis_start (FluidTestRedis *redis)
{
  if (!fluid_test_redis_spawn (redis, FALSE))
    g_error ("redis-server exited at its start (see %s/redis.log)", redis->dir);
}

void
fluid_test_redis_start_loading (FluidTestRedis *redis)
{
  if (!fluid_test_redis_spawn (redis, TRUE))
    g_error ("redis-server exited at its start (see %s/redis.log)", redis->dir);
}

static void
fluid_test_redis_signal (FluidTestRedis *redis,
                         int             signal)
{
  g_assert_nonnull (redis->server);
  g_subprocess_send_signal (redis->server, signal);
  g_subprocess_wait (redis->server, NULL, NULL);
  g_clear_object (&redis->server);
}

/* SIGTERM, then SIGKILL if it is still there after 5 s (a server busy
 * with a script). */
void
fluid_test_redis_stop (FluidTestRedis *redis)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_assert_nonnull (redis->server);
  g_subprocess_send_signal (redis->server, SIGTERM);
  while (g_subprocess_get_identifier (redis->server) != NULL && g_get_monotonic_time () < deadline)
    g_usleep (5000);
  fluid_test_redis_signal (redis, SIGKILL);
}

void
fluid_test_redis_kill (FluidTestRedis *redis)
{
  fluid_test_redis_signal (redis, SIGKILL);
}

gboolean
fluid_test_redis_is_running (FluidTestRedis *redis)
{
  return redis->server != NULL;
}

void
fluid_test_redis_init (int    *argc,
                       char ***argv)
{
  g_test_init (argc, argv, NULL);
  fluid_test_log_capture_init ();
  fluid_test_log_capture_expect_worker_warnings ();
}

FluidTestRedis *
fluid_test_redis_new (void)
{
  return fluid_test_redis_new_with_fsync ("always");
}

FluidTestRedis *
fluid_test_redis_new_with_fsync (const char *appendfsync)
{
  g_autofree char *config = g_strdup_printf ("appendonly yes\nappendfsync %s\n", appendfsync);

  return fluid_test_redis_new_full (FLUID_TEST_REDIS_UNIX, config);
}

/* Writes the configuration with new ports: those of a TCP server, which
 * another process may take between fluid_test_free_port() and the
 * server's bind, are chosen again at each attempt. */
static void
fluid_test_redis_configure (FluidTestRedis      *redis,
                            FluidTestRedisFlags  flags,
                            const char          *config)
{
  g_autofree char *contents = NULL;
  g_autofree char *bus = NULL;
  g_autoptr(GError) error = NULL;

  if ((flags & (FLUID_TEST_REDIS_TCP | FLUID_TEST_REDIS_SENTINEL | FLUID_TEST_REDIS_CLUSTER)) != 0)
    {
      redis->port = fluid_test_free_port ();
      g_free (redis->tcp_uri);
      redis->tcp_uri = g_strdup_printf ("redis://127.0.0.1:%d", redis->port);
    }
  /* The bus port given, not the port + 10 000 Redis would take. */
  if ((flags & FLUID_TEST_REDIS_CLUSTER) != 0)
    bus = g_strdup_printf ("cluster-enabled yes\n"
                           "cluster-config-file nodes.conf\n"
                           "cluster-port %d\n", fluid_test_free_port ());
  /* A sentinel writes what it learns into its configuration file. */
  contents = g_strdup_printf ("port %d\n"
                              "bind 127.0.0.1\n"
                              "unixsocket %s\n"
                              "unixsocketperm 700\n"
                              "dir %s\n"
                              "logfile %s/redis.log\n"
                              "daemonize no\n"
                              "%s"
                              "%s"
                              "%s",
                              redis->port, redis->socket, redis->dir, redis->dir,
                              redis->sentinel ? "" : "save \"\"\n",
                              bus != NULL ? bus : "",
                              config != NULL ? config : "");
  g_file_set_contents (redis->config, contents, -1, &error);
  g_assert_no_error (error);
}

FluidTestRedis *
fluid_test_redis_new_full (FluidTestRedisFlags  flags,
                           const char          *config)
{
  g_autofree char *program = g_find_program_in_path ("redis-server");
  g_autoptr(GError) error = NULL;
  FluidTestRedis *redis;
  guint attempts = 0;

  if (program == NULL)
    return NULL;
  redis = g_new0 (FluidTestRedis, 1);
  redis->dir = g_dir_make_tmp ("fluid-test-redis-XXXXXX", &error);
  g_assert_no_error (error);
  redis->config = g_build_filename (redis->dir, "redis.conf", NULL);
  redis->socket = g_build_filename (redis->dir, "redis.sock", NULL);
  redis->uri = g_strconcat ("unix://", redis->socket, NULL);
  redis->sentinel = (flags & FLUID_TEST_REDIS_SENTINEL) != 0;
  do
    {
      /* A server on a unix socket of its own has nothing to lose to
       * another process: its exit is an error at once. */
      if (attempts++ > 0 && (redis->port == 0 || attempts > 5))
        g_error ("redis-server exited at its start (see %s/redis.log)", redis->dir);
      fluid_test_redis_configure (redis, flags, config);
    }
  while (!fluid_test_redis_spawn (redis, FALSE));
  return redis;
}

FluidTestRedis *
fluid_test_redis_new_or_skip (void)
{
  FluidTestRedis *redis = fluid_test_redis_new ();

  if (redis == NULL)
    g_test_skip ("redis-server is not installed");
  return redis;
}

const char *
fluid_test_redis_get_uri (FluidTestRedis *redis)
{
  return redis->uri;
}

const char *
fluid_test_redis_get_tcp_uri (FluidTestRedis *redis)
{
  g_assert_nonnull (redis->tcp_uri);
  return redis->tcp_uri;
}

int
fluid_test_redis_get_port (FluidTestRedis *redis)
{
  return redis->port;
}

const char *
fluid_test_redis_get_socket (FluidTestRedis *redis)
{
  return redis->socket;
}

const char *
fluid_test_redis_get_dir (FluidTestRedis *redis)
{
  return redis->dir;
}

redisContext *
fluid_test_redis_connect (FluidTestRedis *redis)
{
  redisContext *c = redisConnectUnix (redis->socket);

  g_assert_nonnull (c);
  g_assert_cmpint (c->err, ==, 0);
  return c;
}

static redisReply *
fluid_test_redis_vcommand (FluidTestRedis *redis,
                           const char     *format,
                           va_list         args)
{
  g_autoptr(redisContext) c = fluid_test_redis_connect (redis);
  redisReply *reply = redisvCommand (c, format, args);

  g_assert_nonnull (reply);
  return reply;
}

long long
fluid_test_redis_integer (FluidTestRedis *redis,
                          const char     *format,
                          ...)
{
  g_autoptr(redisReply) reply = NULL;
  va_list args;

  va_start (args, format);
  reply = fluid_test_redis_vcommand (redis, format, args);
  va_end (args);
  return reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
}

char *
fluid_test_redis_string (FluidTestRedis *redis,
                         const char     *format,
                         ...)
{
  g_autoptr(redisReply) reply = NULL;
  va_list args;

  va_start (args, format);
  reply = fluid_test_redis_vcommand (redis, format, args);
  va_end (args);
  if (reply->type == REDIS_REPLY_INTEGER)
    return g_strdup_printf ("%lld", reply->integer);
  if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS ||
      reply->type == REDIS_REPLY_ERROR)
    return g_strndup (reply->str, reply->len);
  return NULL;
}

static void
fluid_test_redis_remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            fluid_test_redis_remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

void
fluid_test_redis_free (FluidTestRedis *redis)
{
  if (redis == NULL)
    return;
  if (redis->server != NULL)
    fluid_test_redis_stop (redis);
  fluid_test_redis_remove_tree (redis->dir);
  g_free (redis->dir);
  g_free (redis->config);
  g_free (redis->socket);
  g_free (redis->uri);
  g_free (redis->tcp_uri);
  g_free (redis);
}
