/* fluid-redis-connection.c: one connection to a Redis server, on a
 * GMainContext, with a timeout per command and reconnection with backoff
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-connection-private.h"
#include "fluid-redis-error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/adapters/glib.h>

/* hiredis 0.14 has no timeout for the commands of an asynchronous context:
 * each command here carries a deadline, and one timer per connection
 * watches the oldest (replies come in order, so a late oldest means a stuck
 * connection). When it passes, the connection is dropped, its commands fail
 * with FLUID_REDIS_ERROR_TIMEOUT, and it is made again after the backoff.
 *
 * A connection is ready once the server accepted AUTH (when the URI has
 * a password), answered PING with PONG (and SELECT, for a database other
 * than 0): what answers something else, or
 * garbage, is not Redis (FLUID_REDIS_ERROR_PROTOCOL).
 *
 * hiredis frees its context itself when the server goes away, and calls
 * the callbacks of the commands still waiting with a NULL reply. Commands
 * are "detached" (their connection pointer cleared) when this file tears a
 * connection down itself, so that such late calls only free them. */

typedef struct
{
  GList                 link;      /* in FluidRedisConnection.pending */
  FluidRedisConnection *connection; /* NULL once detached */
  FluidRedisReplyFunc   func;       /* NULL for the internal PING/SELECT */
  gpointer              user_data;
  gint64                deadline;   /* monotonic µs */
} FluidRedisCommand;

/* Every field belongs to the thread-default context of the creator
 * (context), as do the sources and the hiredis context. */
struct _FluidRedisConnection
{
  FluidRedisAddress    address;
  char                *name;
  GMainContext        *context;
  double               command_timeout;
  FluidRedisStateFunc  state_func;
  gpointer             user_data;

  redisAsyncContext   *ac;          /* NULL while disconnected */
  GSource             *source;      /* hiredis's GSource for ac */
  gboolean             ready;       /* PING (and SELECT) answered */
  guint                handshake;   /* handshake replies still awaited */
  GQueue               pending;     /* FluidRedisCommand, in order sent */
  GSource             *timer;       /* the oldest command's deadline */
  GSource             *reconnect;   /* the backoff before reconnecting */
  GCancellable        *resolving;   /* a host name lookup under way */
  guint                attempt;     /* failed attempts since last ready */
  gboolean             started;
};

static void fluid_redis_connection_lost (FluidRedisConnection *self,
                                         gboolean              free_context,
                                         GError               *error);

/* Addresses */

/* unix:///path?db=N&user=U&password=P */
static gboolean
fluid_redis_address_parse_query (FluidRedisAddress  *address,
                                 const char         *shown,
                                 const char         *query,
                                 GError            **error)
{
  g_autoptr(GHashTable) params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  GHashTableIter iter;
  const char *name;
  const char *value;

  if (params == NULL)
    goto bad_query;
  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &value))
    {
      if (g_str_equal (name, "db"))
        {
          char *end = NULL;

          address->db = (int) g_ascii_strtoll (value, &end, 10);
          if (end == value || *end != '\0' || address->db < 0)
            {
              g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
                           "Invalid Redis URI “%s”: bad database number", shown);
              return FALSE;
            }
        }
      else if (g_str_equal (name, "user"))
        {
          g_free (address->user);
          address->user = *value != '\0' ? g_strdup (value) : NULL;
        }
      else if (g_str_equal (name, "password"))
        {
          g_free (address->password);
          address->password = g_strdup (value);
        }
      else
        goto bad_query;
    }
  if (address->user != NULL && address->password == NULL)
    {
      g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
                   "Invalid Redis URI “%s”: a user needs a password", shown);
      return FALSE;
    }
  return TRUE;

bad_query:
  g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
               "Invalid Redis URI “%s”: the query takes db, user and password", shown);
  return FALSE;
}

char *
fluid_redis_uri_without_password (const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_HAS_PASSWORD, NULL);
  g_autofree char *before_query = NULL;
  const char *authority;
  const char *at;

  if (parsed != NULL)
    return g_uri_to_string_partial (parsed, G_URI_HIDE_PASSWORD | G_URI_HIDE_QUERY);
  /* Not a URI GLib understands: where the password would be is guessed,
   * and left out with what surrounds it. */
  before_query = g_strndup (uri, strcspn (uri, "?"));
  at = strrchr (before_query, '@');
  if (at == NULL)
    return g_steal_pointer (&before_query);
  authority = strstr (before_query, "//");
  if (authority == NULL || authority > at)
    return g_strconcat ("…", at, NULL);
  return g_strdup_printf ("%.*s…%s", (int) (authority + 2 - before_query), before_query, at);
}

gboolean
fluid_redis_address_parse (const char         *uri,
                           FluidRedisAddress  *address,
                           GError            **error)
{
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *shown = NULL;
  const char *scheme;
  const char *path;

  memset (address, 0, sizeof *address);
  if (uri == NULL || *uri == '\0')
    {
      g_set_error_literal (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
                           "No Redis URI given");
      return FALSE;
    }
  /* Error messages quote the URI without its password. */
  shown = fluid_redis_uri_without_password (uri);
  parsed = g_uri_parse (uri, G_URI_FLAGS_HAS_PASSWORD, &local_error);
  if (parsed == NULL)
    {
      g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
                   "Invalid Redis URI “%s”: %s", shown, local_error->message);
      return FALSE;
    }
  scheme = g_uri_get_scheme (parsed);
  path = g_uri_get_path (parsed);
  if (g_ascii_strcasecmp (scheme, "unix") == 0)
    {
      const char *query = g_uri_get_query (parsed);

      if (path == NULL || path[0] != '/')
        {
          g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
                       "Invalid Redis URI “%s”: unix:///absolute/path expected", shown);
          return FALSE;
        }
      if (query != NULL && !fluid_redis_address_parse_query (address, shown, query, error))
        {
          fluid_redis_address_clear (address);
          return FALSE;
        }
      address->path = g_strdup (path);
      return TRUE;
    }
  if (g_ascii_strcasecmp (scheme, "redis") == 0)
    {
      const char *host = g_uri_get_host (parsed);

      if (host == NULL || *host == '\0')
        {
          g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
                       "Invalid Redis URI “%s”: no host", shown);
          return FALSE;
        }
      address->port = g_uri_get_port (parsed) > 0 ? g_uri_get_port (parsed) : 6379;
      /* redis://:password@host, or redis://user:password@host (an ACL
       * user); a user alone names nobody Redis could check. */
      if (g_uri_get_password (parsed) != NULL)
        {
          const char *user = g_uri_get_user (parsed);

          address->user = user != NULL && *user != '\0' ? g_strdup (user) : NULL;
          address->password = g_strdup (g_uri_get_password (parsed));
        }
      else if (g_uri_get_user (parsed) != NULL)
        {
          g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
                       "Invalid Redis URI “%s”: a user needs a password (user:password@)", shown);
          return FALSE;
        }
      if (path != NULL && *path != '\0' && strcmp (path, "/") != 0)
        {
          char *end = NULL;

          address->db = (int) g_ascii_strtoll (path + 1, &end, 10);
          if (end == path + 1 || *end != '\0' || address->db < 0)
            goto bad_db;
        }
      address->host = g_strdup (host);
      return TRUE;
    }
  g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
               "Invalid Redis URI “%s”: the scheme must be redis:// or unix://", shown);
  return FALSE;

bad_db:
  fluid_redis_address_clear (address);
  g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
               "Invalid Redis URI “%s”: bad database number", shown);
  return FALSE;
}

void
fluid_redis_address_clear (FluidRedisAddress *address)
{
  g_clear_pointer (&address->host, g_free);
  g_clear_pointer (&address->path, g_free);
  g_clear_pointer (&address->user, g_free);
  /* Not left in freed memory. */
  if (address->password != NULL)
    memset (address->password, 0, strlen (address->password));
  g_clear_pointer (&address->password, g_free);
}

double
fluid_redis_backoff_delay (guint attempt)
{
  double delay = 0.05 * (double) (1u << MIN (attempt, 10u));

  delay = MIN (delay, 5.0);
  return delay * g_random_double_range (0.8, 1.2);
}

/* The timer */

static void
fluid_redis_connection_arm_timer (FluidRedisConnection *self)
{
  GList *head = self->pending.head;

  if (self->timer == NULL)
    return;
  if (head == NULL)
    g_source_set_ready_time (self->timer, -1);
  else
    g_source_set_ready_time (self->timer, ((FluidRedisCommand *) head->data)->deadline);
}

static gboolean
fluid_redis_connection_timer_cb (gpointer user_data)
{
  FluidRedisConnection *self = user_data;
  GList *head = self->pending.head;

  if (head != NULL && ((FluidRedisCommand *) head->data)->deadline <= g_get_monotonic_time ())
    {
      fluid_redis_connection_lost (self, TRUE,
                                   g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_TIMEOUT,
                                                "Redis server %s did not answer within %g s",
                                                self->name, self->command_timeout));
    }
  else
    {
      fluid_redis_connection_arm_timer (self);
    }
  return G_SOURCE_CONTINUE;
}

/* Replies */

static GError *
fluid_redis_connection_context_error (FluidRedisConnection    *self,
                                      const redisAsyncContext *ac)
{
  if (ac != NULL && ac->err == REDIS_ERR_PROTOCOL)
    return g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                        "%s is not a Redis server: %s", self->name, ac->errstr);
  if (ac != NULL && ac->err != 0)
    return g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                        "Lost the connection to %s: %s", self->name, ac->errstr);
  return g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                      "Lost the connection to %s", self->name);
}

/* AUTH when there is a password, PING, SELECT for a database other
 * than 0. */
static guint
fluid_redis_connection_handshake_steps (FluidRedisConnection *self)
{
  return (self->address.password != NULL ? 1 : 0) + 1 + (self->address.db != 0 ? 1 : 0);
}

static void
fluid_redis_connection_handshake_reply (FluidRedisConnection *self,
                                        redisReply           *reply)
{
  gboolean pong = reply->type == REDIS_REPLY_STATUS && g_ascii_strcasecmp (reply->str, "PONG") == 0;
  gboolean ok = reply->type == REDIS_REPLY_STATUS && strcmp (reply->str, "OK") == 0;
  guint steps = fluid_redis_connection_handshake_steps (self);
  guint step = steps - self->handshake;
  gboolean auth = self->address.password != NULL;

  /* The answers come in order: AUTH's (OK), PING's (PONG), SELECT's (OK). */
  if (!((auth && step == 0) ? ok : (step == (guint) auth) ? pong : ok))
    {
      if (reply->type == REDIS_REPLY_ERROR)
        fluid_redis_connection_lost (self, TRUE,
                                     g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER,
                                                  "%s refused the connection: %s",
                                                  self->name, reply->str));
      else
        fluid_redis_connection_lost (self, TRUE,
                                     g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                                                  "%s is not a Redis server: it did not answer PING",
                                                  self->name));
      return;
    }
  if (--self->handshake > 0)
    return;
  self->ready = TRUE;
  self->attempt = 0;
  g_debug ("Connected to Redis at %s", self->name);
  self->state_func (self, TRUE, NULL, self->user_data);
}

static void
fluid_redis_connection_reply_cb (redisAsyncContext *ac,
                                 void              *reply_pointer,
                                 void              *privdata)
{
  FluidRedisCommand *command = privdata;
  FluidRedisConnection *self = command->connection;
  redisReply *reply = reply_pointer;
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    {
      g_free (command);
      return;
    }
  g_queue_unlink (&self->pending, &command->link);
  fluid_redis_connection_arm_timer (self);

  if (reply == NULL)
    {
      /* hiredis is tearing the connection down. */
      self->ready = FALSE;
      error = fluid_redis_connection_context_error (self, ac);
      if (command->func != NULL)
        command->func (self, NULL, error, command->user_data);
    }
  else if (command->func == NULL)
    {
      fluid_redis_connection_handshake_reply (self, reply);
    }
  else if (reply->type == REDIS_REPLY_ERROR)
    {
      error = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER, "%s", reply->str);
      command->func (self, NULL, error, command->user_data);
    }
  else
    {
      command->func (self, reply, NULL, command->user_data);
    }
  g_free (command);
}

static FluidRedisCommand *
fluid_redis_connection_push (FluidRedisConnection *self,
                             guint                 extra_ms,
                             FluidRedisReplyFunc   func,
                             gpointer              user_data)
{
  FluidRedisCommand *command = g_new0 (FluidRedisCommand, 1);

  command->link.data = command;
  command->connection = self;
  command->func = func;
  command->user_data = user_data;
  command->deadline = g_get_monotonic_time () +
                      (gint64) (self->command_timeout * G_USEC_PER_SEC) +
                      (gint64) extra_ms * 1000;
  g_queue_push_tail_link (&self->pending, &command->link);
  if (self->pending.length == 1)
    fluid_redis_connection_arm_timer (self);
  return command;
}

static void
fluid_redis_connection_pop (FluidRedisConnection *self,
                            FluidRedisCommand    *command)
{
  g_queue_unlink (&self->pending, &command->link);
  fluid_redis_connection_arm_timer (self);
  g_free (command);
}

static gboolean
fluid_redis_connection_send_argv (FluidRedisConnection *self,
                                  guint                 extra_ms,
                                  FluidRedisReplyFunc   func,
                                  gpointer              user_data,
                                  int                   argc,
                                  const char          **argv,
                                  const size_t         *argv_len)
{
  FluidRedisCommand *command = fluid_redis_connection_push (self, extra_ms, func, user_data);

  if (redisAsyncCommandArgv (self->ac, fluid_redis_connection_reply_cb, command,
                             argc, argv, argv_len) != REDIS_OK)
    {
      fluid_redis_connection_pop (self, command);
      return FALSE;
    }
  return TRUE;
}

/* Connecting and losing */

static void fluid_redis_connection_connect (FluidRedisConnection *self);

static gboolean
fluid_redis_connection_reconnect_cb (gpointer user_data)
{
  FluidRedisConnection *self = user_data;

  g_clear_pointer (&self->reconnect, g_source_unref);
  fluid_redis_connection_connect (self);
  return G_SOURCE_REMOVE;
}

static void
fluid_redis_connection_schedule (FluidRedisConnection *self)
{
  double delay = fluid_redis_backoff_delay (self->attempt++);

  if (self->reconnect != NULL)
    return;
  self->reconnect = g_timeout_source_new ((guint) (delay * 1000));
  g_source_set_callback (self->reconnect, fluid_redis_connection_reconnect_cb, self, NULL);
  g_source_set_name (self->reconnect, "[fluid] redis reconnect");
  g_source_attach (self->reconnect, self->context);
}

/* The single way a connection goes: by hiredis (free_context FALSE: hiredis
 * frees its context after this returns) or by this file (TRUE). The
 * commands waiting fail with @error, then the owner is told, then a
 * reconnection is scheduled. Takes @error. */
/* hiredis's GLib adapter dispatches a write, then a read, from the same
 * revents: when the write lost the connection, hiredis has freed the
 * context and the read would use it. Clearing revents (and the adapter's
 * pointer) before the dispatch goes on keeps it from reading. */
static void
fluid_redis_connection_destroy_source (FluidRedisConnection *self)
{
  RedisSource *source = (RedisSource *) self->source;

  if (source == NULL)
    return;
  source->poll_fd.revents = 0;
  source->ac = NULL;
  /* The adapter's cleanup, if hiredis calls it later, then has no poll to
   * remove from a destroyed source. */
  if (source->poll_fd.fd >= 0)
    {
      g_source_remove_poll (self->source, &source->poll_fd);
      source->poll_fd.fd = -1;
    }
  g_source_destroy (self->source);
  g_clear_pointer (&self->source, g_source_unref);
}

/* The adapter wakes the context up each time hiredis wants to write or
 * read, that is at each command: an eventfd write, a system call per
 * command. Everything here runs on the context's own thread, while it
 * dispatches, and GLib reads the events of each GPollFD again before it
 * polls: the same bookkeeping without the wake-up. */
static void
fluid_redis_source_add_read (gpointer data)
{
  ((RedisSource *) data)->poll_fd.events |= G_IO_IN;
}

static void
fluid_redis_source_del_read (gpointer data)
{
  ((RedisSource *) data)->poll_fd.events &= ~G_IO_IN;
}

static void
fluid_redis_source_add_write (gpointer data)
{
  ((RedisSource *) data)->poll_fd.events |= G_IO_OUT;
}

static void
fluid_redis_source_del_write (gpointer data)
{
  ((RedisSource *) data)->poll_fd.events &= ~G_IO_OUT;
}

typedef struct
{
  FluidRedisReplyFunc func;
  gpointer            user_data;
} FluidRedisFailed;

static void
fluid_redis_connection_lost (FluidRedisConnection *self,
                             gboolean              free_context,
                             GError               *error)
{
  redisAsyncContext *ac = self->ac;
  g_autoptr(GArray) failed = NULL;

  if (ac == NULL)
    {
      g_error_free (error);
      return;
    }
  self->ac = NULL;
  self->ready = FALSE;
  ac->data = NULL;
  /* The commands themselves are freed by hiredis's calls with NULL, which
   * may come inside redisAsyncFree(): what is needed of them is kept. */
  failed = g_array_sized_new (FALSE, FALSE, sizeof (FluidRedisFailed), self->pending.length);
  for (GList *l = self->pending.head; l != NULL; l = l->next)
    {
      FluidRedisCommand *command = l->data;
      FluidRedisFailed f = { command->func, command->user_data };

      command->connection = NULL;
      if (f.func != NULL)
        g_array_append_val (failed, f);
    }
  g_queue_init (&self->pending);
  if (free_context)
    redisAsyncFree (ac);
  fluid_redis_connection_destroy_source (self);
  fluid_redis_connection_arm_timer (self);

  g_debug ("Redis connection to %s lost: %s", self->name, error->message);
  for (guint i = 0; i < failed->len; i++)
    {
      FluidRedisFailed *f = &g_array_index (failed, FluidRedisFailed, i);

      f->func (self, NULL, error, f->user_data);
    }
  fluid_redis_connection_schedule (self);
  self->state_func (self, FALSE, error, self->user_data);
  g_error_free (error);
}

static void
fluid_redis_connection_connect_cb (const redisAsyncContext *ac,
                                   int                      status)
{
  FluidRedisConnection *self = ac->data;

  if (self == NULL || status == REDIS_OK)
    return;
  /* hiredis frees the context after this. */
  fluid_redis_connection_lost (self, FALSE, fluid_redis_connection_context_error (self, ac));
}

static void
fluid_redis_connection_disconnect_cb (const redisAsyncContext *ac,
                                      int                      status)
{
  FluidRedisConnection *self = ac->data;

  if (self == NULL)
    return;
  fluid_redis_connection_lost (self, FALSE, fluid_redis_connection_context_error (self, ac));
}

static void fluid_redis_connection_connect_to (FluidRedisConnection *self,
                                               const char           *ip);

/* hiredis would resolve a host name with getaddrinfo(), blocking the
 * context: GResolver does it asynchronously, then hiredis gets an address. */
static void
fluid_redis_connection_resolved_cb (GObject      *source,
                                    GAsyncResult *result,
                                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  FluidRedisConnection *self = user_data;
  g_autofree char *ip = NULL;

  /* Cancelled: the connection was freed. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->resolving);
  if (addresses == NULL)
    {
      g_autoptr(GError) lost = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                                            "Cannot resolve %s: %s", self->name, error->message);

      fluid_redis_connection_schedule (self);
      self->state_func (self, FALSE, lost, self->user_data);
      return;
    }
  ip = g_inet_address_to_string (addresses->data);
  g_resolver_free_addresses (addresses);
  fluid_redis_connection_connect_to (self, ip);
}

static void
fluid_redis_connection_connect (FluidRedisConnection *self)
{
  g_autoptr(GResolver) resolver = NULL;

  g_assert (self->ac == NULL);
  if (self->address.path != NULL || g_hostname_is_ip_address (self->address.host))
    {
      fluid_redis_connection_connect_to (self, self->address.host);
      return;
    }
  resolver = g_resolver_get_default ();
  self->resolving = g_cancellable_new ();
  g_resolver_lookup_by_name_async (resolver, self->address.host, self->resolving,
                                   fluid_redis_connection_resolved_cb, self);
}

static void
fluid_redis_connection_connect_to (FluidRedisConnection *self,
                                   const char           *ip)
{
  redisAsyncContext *ac;

  if (self->address.path != NULL)
    ac = redisAsyncConnectUnix (self->address.path);
  else
    ac = redisAsyncConnect (ip, self->address.port);
  if (ac == NULL)
    g_error ("Out of memory");
  if (ac->err != 0)
    {
      g_autoptr(GError) error = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                                             "Cannot connect to %s: %s", self->name, ac->errstr);

      redisAsyncFree (ac);
      g_debug ("%s", error->message);
      fluid_redis_connection_schedule (self);
      self->state_func (self, FALSE, error, self->user_data);
      return;
    }
  if (self->address.path == NULL)
    redisEnableKeepAlive (&ac->c);
  self->ac = ac;
  ac->data = self;
  self->source = redis_source_new (ac);
  ac->ev.addRead = fluid_redis_source_add_read;
  ac->ev.delRead = fluid_redis_source_del_read;
  ac->ev.addWrite = fluid_redis_source_add_write;
  ac->ev.delWrite = fluid_redis_source_del_write;
  g_source_set_name (self->source, "[fluid] redis connection");
  g_source_attach (self->source, self->context);
  redisAsyncSetConnectCallback (ac, fluid_redis_connection_connect_cb);
  redisAsyncSetDisconnectCallback (ac, fluid_redis_connection_disconnect_cb);

  self->handshake = fluid_redis_connection_handshake_steps (self);
  {
    const char *auth[] = { "AUTH", self->address.user != NULL ? self->address.user
                                                              : self->address.password,
                           self->address.password };
    const char *ping[] = { "PING" };
    g_autofree char *db = g_strdup_printf ("%d", self->address.db);
    const char *select[] = { "SELECT", db };

    if ((self->address.password != NULL &&
         !fluid_redis_connection_send_argv (self, 0, NULL, NULL,
                                            self->address.user != NULL ? 3 : 2, auth, NULL)) ||
        !fluid_redis_connection_send_argv (self, 0, NULL, NULL, 1, ping, NULL) ||
        (self->address.db != 0 &&
         !fluid_redis_connection_send_argv (self, 0, NULL, NULL, 2, select, NULL)))
      fluid_redis_connection_lost (self, TRUE,
                                   g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                                                "Cannot send to %s", self->name));
  }
}

/* Public (to the library) */

static gboolean
fluid_redis_timer_dispatch (GSource     *source,
                            GSourceFunc  callback,
                            gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs fluid_redis_timer_funcs = {
  .dispatch = fluid_redis_timer_dispatch,
};

FluidRedisConnection *
fluid_redis_connection_new (const FluidRedisAddress *address,
                            const char              *name,
                            double                   command_timeout,
                            FluidRedisStateFunc      state_func,
                            gpointer                 user_data)
{
  FluidRedisConnection *self = g_new0 (FluidRedisConnection, 1);

  self->address.host = g_strdup (address->host);
  self->address.path = g_strdup (address->path);
  self->address.port = address->port;
  self->address.db = address->db;
  self->address.user = g_strdup (address->user);
  self->address.password = g_strdup (address->password);
  if (address->path != NULL)
    self->name = g_strdup_printf ("%s (%s)", address->path, name);
  else
    self->name = g_strdup_printf ("%s:%d (%s)", address->host, address->port, name);
  self->context = g_main_context_ref_thread_default ();
  self->command_timeout = command_timeout;
  self->state_func = state_func;
  self->user_data = user_data;
  g_queue_init (&self->pending);
  self->timer = g_source_new (&fluid_redis_timer_funcs, sizeof (GSource));
  g_source_set_callback (self->timer, fluid_redis_connection_timer_cb, self, NULL);
  g_source_set_name (self->timer, "[fluid] redis command timeout");
  g_source_set_ready_time (self->timer, -1);
  g_source_attach (self->timer, self->context);
  return self;
}

void
fluid_redis_connection_start (FluidRedisConnection *self)
{
  if (self->started)
    return;
  self->started = TRUE;
  fluid_redis_connection_connect (self);
}

gboolean
fluid_redis_connection_is_ready (FluidRedisConnection *self)
{
  return self->ready;
}

guint
fluid_redis_connection_get_n_pending (FluidRedisConnection *self)
{
  return self->pending.length;
}

gboolean
fluid_redis_connection_command (FluidRedisConnection *self,
                                guint                 extra_ms,
                                FluidRedisReplyFunc   func,
                                gpointer              user_data,
                                int                   argc,
                                const char          **argv,
                                const size_t         *argv_len)
{
  g_return_val_if_fail (func != NULL, FALSE);

  if (!self->ready || self->ac == NULL)
    return FALSE;
  return fluid_redis_connection_send_argv (self, extra_ms, func, user_data, argc, argv, argv_len);
}

gboolean
fluid_redis_connection_command_formatted (FluidRedisConnection *self,
                                          FluidRedisReplyFunc   func,
                                          gpointer              user_data,
                                          const char           *formatted,
                                          gsize                 len)
{
  FluidRedisCommand *command;

  g_return_val_if_fail (func != NULL, FALSE);

  if (!self->ready || self->ac == NULL)
    return FALSE;
  command = fluid_redis_connection_push (self, 0, func, user_data);
  if (redisAsyncFormattedCommand (self->ac, fluid_redis_connection_reply_cb, command,
                                  formatted, len) != REDIS_OK)
    {
      fluid_redis_connection_pop (self, command);
      return FALSE;
    }
  return TRUE;
}

void
fluid_redis_connection_drop (FluidRedisConnection *self,
                             const GError         *error)
{
  fluid_redis_connection_lost (self, TRUE, g_error_copy (error));
}

void
fluid_redis_connection_free (FluidRedisConnection *self)
{
  redisAsyncContext *ac;

  if (self == NULL)
    return;
  ac = self->ac;
  if (ac != NULL)
    {
      self->ac = NULL;
      ac->data = NULL;
      for (GList *l = self->pending.head; l != NULL; l = l->next)
        ((FluidRedisCommand *) l->data)->connection = NULL;
      g_queue_init (&self->pending);
      redisAsyncFree (ac);
    }
  fluid_redis_connection_destroy_source (self);
  if (self->reconnect != NULL)
    {
      g_source_destroy (self->reconnect);
      g_clear_pointer (&self->reconnect, g_source_unref);
    }
  if (self->resolving != NULL)
    {
      g_cancellable_cancel (self->resolving);
      g_clear_object (&self->resolving);
    }
  g_source_destroy (self->timer);
  g_source_unref (self->timer);
  g_main_context_unref (self->context);
  fluid_redis_address_clear (&self->address);
  g_free (self->name);
  g_free (self);
}
