/* fluid-redis-connection.c: one connection to a Redis server, on a
 * GMainContext, with a timeout per command and reconnection with backoff
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-connection-private.h"
#include "fluid-redis-error.h"
#include "fluid-redis-reply-private.h"
#include "fluid-redis-resolver-private.h"
#include "fluid-redis-router-private.h"

#include <string.h>

#include <hiredis/async.h>
#include <hiredis/adapters/glib.h>

/* hiredis 0.14 has no timeout for the commands of an asynchronous context:
 * each command here carries a deadline, and one timer per connection
 * watches the oldest (replies come in order, so a late oldest means a stuck
 * connection). When it passes, the connection is dropped, its commands fail
 * with FLUID_REDIS_ERROR_TIMEOUT, and it is made again after the backoff.
 *
 * Before each connection, the server is located: the URI's for one
 * server; for a Sentinel service, the primary its sentinels name (the
 * resolver), checked with ROLE; for a Cluster, the node of the key's slot
 * (the router). A connection is ready once the server accepted AUTH (when
 * the URI has a password), answered PING with PONG, SELECT (for a
 * database other than 0) and ROLE (Sentinel): what answers something
 * else, or garbage, is not Redis (FLUID_REDIS_ERROR_PROTOCOL).
 *
 * An answer that says the server cannot serve us now (LOADING, BUSY,
 * READONLY…), to the handshake or to any command, and a Cluster
 * redirection (MOVED, ASK) are handled as a lost connection: the
 * connection goes, its commands fail with FLUID_REDIS_ERROR_CONNECTION,
 * and it is made again after the backoff (at once after a redirection),
 * located again. So the owners have one case to handle, a loss, and a
 * transient answer is never taken for a refusal. After an ASK, the node
 * that imports the slot serves the key only to a client that says ASKING
 * before each command: the connection does, until it is next made.
 *
 * hiredis frees its context itself when the server goes away, and calls
 * the callbacks of the commands still waiting with a NULL reply. Commands
 * are "detached" (their connection pointer cleared) when this file tears a
 * connection down itself, so that such late calls only free them. */

typedef enum
{
  STEP_NONE,    /* a command of the owner */
  STEP_AUTH,
  STEP_PING,
  STEP_SELECT,
  STEP_ROLE,    /* Sentinel: is it the primary? */
  STEP_ASKING,  /* before each command, after an ASK */
} Step;

typedef struct
{
  GList                 link;       /* in FluidRedisConnection.pending */
  FluidRedisConnection *connection; /* NULL once detached */
  Step                  step;
  FluidRedisReplyFunc   func;       /* NULL for the steps */
  gpointer              user_data;
  gint64                deadline;   /* monotonic µs */
} FluidRedisCommand;

/* Every field belongs to the thread-default context of the creator
 * (context), as do the sources and the hiredis context. */
struct _FluidRedisConnection
{
  FluidRedisAddress          address;
  char                      *role;        /* "reader", …: for messages */
  char                      *name;        /* where, and the role */
  GMainContext              *context;
  double                     command_timeout;
  FluidRedisConnectionFlags  flags;
  FluidRedisStateFunc        state_func;
  gpointer                   user_data;

  FluidRedisResolver        *resolver;    /* Sentinel */
  FluidRedisRouter          *router;      /* Cluster */
  FluidRedisNode             node;        /* where it connects */
  gboolean                   asking;      /* ASKING before each command */

  redisAsyncContext         *ac;          /* NULL while disconnected */
  GSource                   *source;      /* hiredis's GSource for ac */
  gboolean                   ready;       /* the handshake answered */
  guint                      handshake;   /* handshake replies still awaited */
  GQueue                     pending;     /* FluidRedisCommand, in order sent */
  GSource                   *timer;       /* the oldest command's deadline */
  GSource                   *reconnect;   /* the backoff before reconnecting */
  GCancellable              *resolving;   /* a host name lookup under way */
  guint                      attempt;     /* attempts since a command was served */
  gboolean                   started;
};

static void fluid_redis_connection_lost (FluidRedisConnection *self,
                                         gboolean              free_context,
                                         GError               *error);

double
fluid_redis_backoff_delay (guint attempt)
{
  double delay = 0.05 * (double) (1u << MIN (attempt, 10u));

  delay = MIN (delay, 5.0);
  return delay * g_random_double_range (0.8, 1.2);
}

static void
fluid_redis_connection_set_name (FluidRedisConnection *self)
{
  g_autofree char *where = NULL;

  if (self->node.host != NULL || self->node.path != NULL)
    where = fluid_redis_node_to_string (&self->node);
  else if (self->address.topology == FLUID_REDIS_TOPOLOGY_SENTINEL)
    where = g_strdup_printf ("the primary of “%s”", self->address.service);
  else
    where = g_strdup ("the Redis Cluster");
  g_free (self->name);
  self->name = g_strdup_printf ("%s (%s)", where, self->role);
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

/* ROLE: ["master", …], ["slave", …], ["sentinel", …] */
static GError *
fluid_redis_connection_check_role (FluidRedisConnection *self,
                                   const redisReply     *reply)
{
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
      reply->element[0]->type != REDIS_REPLY_STRING)
    return g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                        "%s is not a Redis server: it did not answer ROLE", self->name);
  if (strcmp (reply->element[0]->str, "master") == 0)
    return NULL;
  /* A sentinel that has not seen the failover yet: asked again. */
  return g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                      "%s is a %s, not the primary of “%s”", self->name,
                      reply->element[0]->str, self->address.service);
}

/* NULL when @reply is what @step expects. */
static GError *
fluid_redis_connection_check_step (FluidRedisConnection *self,
                                   Step                  step,
                                   const redisReply     *reply)
{
  if (reply->type == REDIS_REPLY_ERROR && fluid_redis_reply_error_is_transient (reply->str))
    return g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                        "%s cannot serve us now: %s", self->name, reply->str);
  if (reply->type == REDIS_REPLY_ERROR)
    return g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER,
                        "%s refused the connection: %s", self->name, reply->str);
  if (step == STEP_ROLE)
    return fluid_redis_connection_check_role (self, reply);
  if (reply->type != REDIS_REPLY_STATUS ||
      g_ascii_strcasecmp (reply->str, step == STEP_PING ? "PONG" : "OK") != 0)
    return g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                        "%s is not a Redis server: it did not answer %s", self->name,
                        step == STEP_PING ? "PING" : step == STEP_AUTH ? "AUTH" :
                        step == STEP_SELECT ? "SELECT" : "ASKING");
  return NULL;
}

static void
fluid_redis_connection_step_reply (FluidRedisConnection *self,
                                   Step                  step,
                                   const redisReply     *reply)
{
  GError *error = fluid_redis_connection_check_step (self, step, reply);

  if (error != NULL)
    {
      fluid_redis_connection_lost (self, TRUE, error);
      return;
    }
  if (step == STEP_ASKING || --self->handshake > 0)
    return;
  self->ready = TRUE;
  g_debug ("Connected to Redis at %s", self->name);
  self->state_func (self, TRUE, NULL, self->user_data);
}

/* An error answer that is a state of the server, or a redirection: the
 * connection goes, @command first among the commands that fail, to be
 * made again, at once where a redirection points. FALSE for a refusal,
 * which is @command's alone. */
static gboolean
fluid_redis_connection_leave (FluidRedisConnection *self,
                              FluidRedisCommand    *command,
                              const char           *message)
{
  GError *error;

  if (self->router != NULL && fluid_redis_router_redirect (self->router, &self->node, message))
    {
      self->attempt = 0;
      error = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                           "%s redirected us: %s", self->name, message);
    }
  else if (fluid_redis_reply_error_is_transient (message))
    {
      error = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                           "%s cannot serve us now: %s", self->name, message);
    }
  else
    {
      return FALSE;
    }
  /* Taken from hiredis's queue already: freed by the caller. */
  g_queue_push_head_link (&self->pending, &command->link);
  fluid_redis_connection_lost (self, TRUE, error);
  return TRUE;
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
  else if (command->step != STEP_NONE)
    {
      fluid_redis_connection_step_reply (self, command->step, reply);
    }
  else if (reply->type == REDIS_REPLY_ERROR)
    {
      if (!fluid_redis_connection_leave (self, command, reply->str))
        {
          error = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER, "%s", reply->str);
          command->func (self, NULL, error, command->user_data);
        }
    }
  else
    {
      /* Served: the backoff starts again from its shortest. Not at the
       * handshake, which a server that answers every command with
       * CLUSTERDOWN or LOADING still passes. */
      self->attempt = 0;
      command->func (self, reply, NULL, command->user_data);
    }
  g_free (command);
}

static FluidRedisCommand *
fluid_redis_connection_push (FluidRedisConnection *self,
                             Step                  step,
                             guint                 extra_ms,
                             FluidRedisReplyFunc   func,
                             gpointer              user_data)
{
  FluidRedisCommand *command = g_new0 (FluidRedisCommand, 1);

  command->link.data = command;
  command->connection = self;
  command->step = step;
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
                                  Step                  step,
                                  guint                 extra_ms,
                                  FluidRedisReplyFunc   func,
                                  gpointer              user_data,
                                  int                   argc,
                                  const char          **argv,
                                  const size_t         *argv_len)
{
  FluidRedisCommand *command = fluid_redis_connection_push (self, step, extra_ms, func, user_data);

  if (redisAsyncCommandArgv (self->ac, fluid_redis_connection_reply_cb, command,
                             argc, argv, argv_len) != REDIS_OK)
    {
      fluid_redis_connection_pop (self, command);
      return FALSE;
    }
  return TRUE;
}

/* After an ASK, each command goes with an ASKING before it. */
static gboolean
fluid_redis_connection_send_asking (FluidRedisConnection *self)
{
  const char *asking[] = { "ASKING" };

  return !self->asking ||
         fluid_redis_connection_send_argv (self, STEP_ASKING, 0, NULL, NULL, 1, asking, NULL);
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

  if (self->reconnect != NULL || (self->flags & FLUID_REDIS_CONNECTION_ONCE) != 0)
    return;
  self->reconnect = g_timeout_source_new ((guint) (delay * 1000));
  g_source_set_callback (self->reconnect, fluid_redis_connection_reconnect_cb, self, NULL);
  g_source_set_name (self->reconnect, "[fluid] redis reconnect");
  g_source_attach (self->reconnect, self->context);
}

/* An attempt that failed before hiredis had a context: no command to
 * fail. Takes @error. */
static void
fluid_redis_connection_attempt_failed (FluidRedisConnection *self,
                                       GError               *error)
{
  g_debug ("%s", error->message);
  fluid_redis_connection_schedule (self);
  self->state_func (self, FALSE, error, self->user_data);
  g_error_free (error);
}

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

/* The single way a connection goes: by hiredis (free_context FALSE: hiredis
 * frees its context after this returns) or by this file (TRUE). The
 * commands waiting fail with @error, then the owner is told, then a
 * reconnection is scheduled. Takes @error. */
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

/* AUTH when there is a password, PING, SELECT for a database other than
 * 0, ROLE for the primary of a Sentinel service. */
static gboolean
fluid_redis_connection_send_handshake (FluidRedisConnection *self)
{
  const FluidRedisAddress *address = &self->address;
  const char *auth[] = { "AUTH", address->user != NULL ? address->user : address->password,
                         address->password };
  const char *ping[] = { "PING" };
  g_autofree char *db = g_strdup_printf ("%d", address->db);
  const char *select[] = { "SELECT", db };
  const char *role[] = { "ROLE" };

  self->handshake = 0;
  if (address->password != NULL)
    {
      self->handshake++;
      if (!fluid_redis_connection_send_argv (self, STEP_AUTH, 0, NULL, NULL,
                                             address->user != NULL ? 3 : 2, auth, NULL))
        return FALSE;
    }
  self->handshake++;
  if (!fluid_redis_connection_send_argv (self, STEP_PING, 0, NULL, NULL, 1, ping, NULL))
    return FALSE;
  if (address->db != 0)
    {
      self->handshake++;
      if (!fluid_redis_connection_send_argv (self, STEP_SELECT, 0, NULL, NULL, 2, select, NULL))
        return FALSE;
    }
  if (address->topology == FLUID_REDIS_TOPOLOGY_SENTINEL)
    {
      self->handshake++;
      if (!fluid_redis_connection_send_argv (self, STEP_ROLE, 0, NULL, NULL, 1, role, NULL))
        return FALSE;
    }
  return TRUE;
}

static void
fluid_redis_connection_connect_to (FluidRedisConnection *self,
                                   const char           *ip)
{
  redisAsyncContext *ac;

  if (self->node.path != NULL)
    ac = redisAsyncConnectUnix (self->node.path);
  else
    ac = redisAsyncConnect (ip, self->node.port);
  if (ac == NULL)
    g_error ("Out of memory");
  if (ac->err != 0)
    {
      GError *error = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                                   "Cannot connect to %s: %s", self->name, ac->errstr);

      redisAsyncFree (ac);
      fluid_redis_connection_attempt_failed (self, error);
      return;
    }
  if (self->node.path == NULL)
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

  if (!fluid_redis_connection_send_handshake (self))
    fluid_redis_connection_lost (self, TRUE,
                                 g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                                              "Cannot send to %s", self->name));
}

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
      fluid_redis_connection_attempt_failed (self,
                                             g_error_new (FLUID_REDIS_ERROR,
                                                          FLUID_REDIS_ERROR_CONNECTION,
                                                          "Cannot resolve %s: %s", self->name,
                                                          error->message));
      return;
    }
  ip = g_inet_address_to_string (addresses->data);
  g_resolver_free_addresses (addresses);
  fluid_redis_connection_connect_to (self, ip);
}

static void
fluid_redis_connection_connect_node (FluidRedisConnection *self)
{
  g_autoptr(GResolver) resolver = NULL;

  fluid_redis_connection_set_name (self);
  if (self->node.path != NULL || g_hostname_is_ip_address (self->node.host))
    {
      fluid_redis_connection_connect_to (self, self->node.host);
      return;
    }
  resolver = g_resolver_get_default ();
  self->resolving = g_cancellable_new ();
  g_resolver_lookup_by_name_async (resolver, self->node.host, self->resolving,
                                   fluid_redis_connection_resolved_cb, self);
}

static void
fluid_redis_connection_located_cb (const FluidRedisNode *node,
                                   gboolean              asking,
                                   const GError         *error,
                                   gpointer              user_data)
{
  FluidRedisConnection *self = user_data;

  if (error != NULL)
    {
      fluid_redis_connection_attempt_failed (self, g_error_copy (error));
      return;
    }
  fluid_redis_node_clear (&self->node);
  fluid_redis_node_copy (node, &self->node);
  self->asking = asking;
  fluid_redis_connection_connect_node (self);
}

static void
fluid_redis_connection_connect (FluidRedisConnection *self)
{
  g_assert (self->ac == NULL);
  switch (self->address.topology)
    {
    case FLUID_REDIS_TOPOLOGY_SERVER:
      fluid_redis_connection_connect_node (self);
      break;
    case FLUID_REDIS_TOPOLOGY_SENTINEL:
      fluid_redis_resolver_lookup (self->resolver, fluid_redis_connection_located_cb, self);
      break;
    case FLUID_REDIS_TOPOLOGY_CLUSTER:
      fluid_redis_router_lookup (self->router, fluid_redis_connection_located_cb, self);
      break;
    default:
      g_assert_not_reached ();
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
fluid_redis_connection_new (const FluidRedisAddress   *address,
                            const char                *key,
                            const char                *name,
                            double                     command_timeout,
                            FluidRedisConnectionFlags  flags,
                            FluidRedisStateFunc        state_func,
                            gpointer                   user_data)
{
  FluidRedisConnection *self = g_new0 (FluidRedisConnection, 1);

  fluid_redis_address_copy (address, &self->address);
  if (address->topology == FLUID_REDIS_TOPOLOGY_SERVER)
    fluid_redis_node_copy (&address->node, &self->node);
  else if (address->topology == FLUID_REDIS_TOPOLOGY_SENTINEL)
    self->resolver = fluid_redis_resolver_new (address, command_timeout);
  else
    self->router = fluid_redis_router_new (address, key, command_timeout);
  self->role = g_strdup (name);
  fluid_redis_connection_set_name (self);
  self->context = g_main_context_ref_thread_default ();
  self->command_timeout = command_timeout;
  self->flags = flags;
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

  if (!self->ready || self->ac == NULL || !fluid_redis_connection_send_asking (self))
    return FALSE;
  return fluid_redis_connection_send_argv (self, STEP_NONE, extra_ms, func, user_data,
                                           argc, argv, argv_len);
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

  if (!self->ready || self->ac == NULL || !fluid_redis_connection_send_asking (self))
    return FALSE;
  command = fluid_redis_connection_push (self, STEP_NONE, 0, func, user_data);
  if (redisAsyncFormattedCommand (self->ac, fluid_redis_connection_reply_cb, command,
                                  formatted, len) != REDIS_OK)
    {
      fluid_redis_connection_pop (self, command);
      return FALSE;
    }
  return TRUE;
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
  g_clear_pointer (&self->resolver, fluid_redis_resolver_free);
  g_clear_pointer (&self->router, fluid_redis_router_free);
  g_source_destroy (self->timer);
  g_source_unref (self->timer);
  g_main_context_unref (self->context);
  fluid_redis_address_clear (&self->address);
  fluid_redis_node_clear (&self->node);
  g_free (self->role);
  g_free (self->name);
  g_free (self);
}
