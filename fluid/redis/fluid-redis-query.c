/* fluid-redis-query.c: one question asked of a list of Redis servers in
 * turn, until one answers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-query-private.h"
#include "fluid-redis-error.h"

/* How the Sentinel resolver and the Cluster router find out where to
 * connect: a sentinel or a node is asked on a connection made for the
 * question (FLUID_REDIS_CONNECTION_ONCE), closed once it answered or
 * failed, and the next is asked when it could not answer.
 *
 * Every step runs from an idle source on the caller's context, never
 * from a callback of the connection it frees: a connection is not freed
 * from inside its own callbacks. */

struct _FluidRedisQuery
{
  GArray               *nodes;       /* FluidRedisNode, shared with the caller */
  guint                 first;
  guint                 asked;       /* nodes asked so far */
  FluidRedisAddress     credentials; /* the node is set for each question */
  double                timeout;
  GStrv                 argv;
  FluidRedisAnswerFunc  answer_func;
  FluidRedisAskedFunc   asked_func;
  gpointer              user_data;

  FluidRedisConnection *connection;  /* the node asked now */
  GSource              *step;        /* the next step, pending */
  GError               *error;       /* why the last node did not answer */
  gboolean              answered;    /* the last node asked answered */
  gboolean              final;       /* the query has its outcome */
  gboolean              telling;     /* in asked_func */
  gboolean              freed;       /* by its owner: no callback any more */
};

static void fluid_redis_query_step_later (FluidRedisQuery *self);

static guint
fluid_redis_query_current (FluidRedisQuery *self)
{
  return (self->first + self->asked - 1) % self->nodes->len;
}

static void
fluid_redis_query_reply_cb (FluidRedisConnection *connection,
                            redisReply           *reply,
                            const GError         *error,
                            gpointer              user_data)
{
  FluidRedisQuery *self = user_data;
  const FluidRedisNode *node = &g_array_index (self->nodes, FluidRedisNode,
                                               fluid_redis_query_current (self));

  if (self->freed)
    return;
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  else
    self->answered = self->answer_func (node, reply, &self->error, self->user_data);
  self->final = self->answered;
  fluid_redis_query_step_later (self);
}

static void
fluid_redis_query_state_cb (FluidRedisConnection *connection,
                            gboolean              ready,
                            const GError         *error,
                            gpointer              user_data)
{
  FluidRedisQuery *self = user_data;

  if (ready && !self->freed)
    {
      if (!fluid_redis_connection_command (connection, 0, fluid_redis_query_reply_cb, self,
                                           g_strv_length (self->argv), (const char **) self->argv,
                                           NULL))
        g_assert_not_reached ();
      return;
    }
  /* Lost before it answered, or refused the handshake. */
  if (self->freed || self->answered || self->step != NULL)
    return;
  g_clear_error (&self->error);
  self->error = g_error_copy (error);
  fluid_redis_query_step_later (self);
}

static void
fluid_redis_query_ask_next (FluidRedisQuery *self)
{
  const FluidRedisNode *node;

  self->asked++;
  node = &g_array_index (self->nodes, FluidRedisNode, fluid_redis_query_current (self));
  fluid_redis_node_clear (&self->credentials.node);
  fluid_redis_node_copy (node, &self->credentials.node);
  self->connection = fluid_redis_connection_new (&self->credentials, NULL, "lookup", self->timeout,
                                                 FLUID_REDIS_CONNECTION_ONCE,
                                                 fluid_redis_query_state_cb, self);
  fluid_redis_connection_start (self->connection);
}

static void
fluid_redis_query_destroy (FluidRedisQuery *self)
{
  g_clear_pointer (&self->connection, fluid_redis_connection_free);
  g_array_unref (self->nodes);
  fluid_redis_address_clear (&self->credentials);
  g_strfreev (self->argv);
  g_clear_error (&self->error);
  g_free (self);
}

static gboolean
fluid_redis_query_step_cb (gpointer user_data)
{
  FluidRedisQuery *self = user_data;

  g_clear_pointer (&self->step, g_source_unref);
  g_clear_pointer (&self->connection, fluid_redis_connection_free);
  if (self->freed)
    {
      fluid_redis_query_destroy (self);
      return G_SOURCE_REMOVE;
    }
  if (self->final || self->asked >= self->nodes->len)
    {
      self->final = TRUE;
      /* The owner may free the query from there: destroyed on return. */
      self->telling = TRUE;
      self->asked_func (fluid_redis_query_current (self), self->answered ? NULL : self->error,
                        self->user_data);
      self->telling = FALSE;
      if (self->freed)
        fluid_redis_query_destroy (self);
      return G_SOURCE_REMOVE;
    }
  fluid_redis_query_ask_next (self);
  return G_SOURCE_REMOVE;
}

static void
fluid_redis_query_step_later (FluidRedisQuery *self)
{
  if (self->step != NULL)
    return;
  self->step = g_idle_source_new ();
  g_source_set_priority (self->step, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->step, fluid_redis_query_step_cb, self, NULL);
  g_source_set_name (self->step, "[fluid] redis lookup");
  g_source_attach (self->step, g_main_context_get_thread_default ());
}

FluidRedisQuery *
fluid_redis_query_new (GArray                  *nodes,
                       guint                    first,
                       const FluidRedisAddress *credentials,
                       double                   timeout,
                       int                      argc,
                       const char             **argv,
                       FluidRedisAnswerFunc     answer_func,
                       FluidRedisAskedFunc      asked_func,
                       gpointer                 user_data)
{
  FluidRedisQuery *self = g_new0 (FluidRedisQuery, 1);

  g_return_val_if_fail (nodes->len > 0, NULL);

  self->nodes = g_array_ref (nodes);
  self->first = first % nodes->len;
  self->credentials.user = g_strdup (credentials->user);
  self->credentials.password = g_strdup (credentials->password);
  self->timeout = timeout;
  self->argv = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    self->argv[i] = g_strdup (argv[i]);
  self->answer_func = answer_func;
  self->asked_func = asked_func;
  self->user_data = user_data;
  fluid_redis_query_step_later (self);
  return self;
}

void
fluid_redis_query_free (FluidRedisQuery *self)
{
  if (self == NULL)
    return;
  self->freed = TRUE;
  /* From asked_func, fluid_redis_query_step_cb destroys it on return; a
   * query that told its outcome holds nothing; otherwise the next step
   * destroys it, with the connection it may have. */
  if (self->telling)
    return;
  if (self->final && self->step == NULL)
    fluid_redis_query_destroy (self);
  else
    fluid_redis_query_step_later (self);
}
