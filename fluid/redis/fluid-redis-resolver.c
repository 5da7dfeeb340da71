/* fluid-redis-resolver.c: the primary of a Redis Sentinel service, asked
 * of its sentinels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-resolver-private.h"
#include "fluid-redis-error.h"
#include "fluid-redis-query-private.h"

#include <string.h>

/* Before each connection to the primary of a service, its sentinels are
 * asked where it is, one after the other from the last that answered (a
 * sentinel that is down or does not know the service yet is skipped), so
 * that a connection lost in a failover is made again to the replica the
 * sentinels promoted. What a sentinel says may be old news for a moment
 * after a failover: the connection checks with ROLE that the server it
 * reached is a primary, and asks again after the backoff when it is not.
 *
 * Sentinels are asked without credentials: the URI's user and password
 * are the primary's. */

struct _FluidRedisResolver
{
  GArray                *sentinels;  /* FluidRedisNode */
  char                  *service;
  double                 timeout;
  guint                  next;       /* the sentinel asked first */
  FluidRedisQuery       *query;
  FluidRedisNode         primary;    /* what the last sentinel said */
  FluidRedisLocatedFunc  func;
  gpointer               user_data;
};

/* [ip, port], or nil when the sentinel does not know the service. */
static gboolean
fluid_redis_resolver_answer (const FluidRedisNode  *sentinel,
                             const redisReply      *reply,
                             GError               **error,
                             gpointer               user_data)
{
  FluidRedisResolver *self = user_data;
  g_autofree char *where = fluid_redis_node_to_string (sentinel);
  int port;

  if (reply->type == REDIS_REPLY_NIL)
    {
      g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                   "The sentinel at %s knows no service “%s”", where, self->service);
      return FALSE;
    }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_STRING)
    {
      g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                   "%s did not answer SENTINEL GET-MASTER-ADDR-BY-NAME with [ip, port]", where);
      return FALSE;
    }
  if (!fluid_redis_parse_port (reply->element[1]->str, &port))
    {
      g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                   "The sentinel at %s gave a bad port for “%s”", where, self->service);
      return FALSE;
    }
  fluid_redis_node_clear (&self->primary);
  self->primary.host = g_strndup (reply->element[0]->str, reply->element[0]->len);
  self->primary.port = port;
  return TRUE;
}

static void
fluid_redis_resolver_asked_cb (guint         answered,
                               const GError *error,
                               gpointer      user_data)
{
  FluidRedisResolver *self = user_data;
  g_autoptr(GError) failed = NULL;

  g_clear_pointer (&self->query, fluid_redis_query_free);
  if (error == NULL)
    {
      self->next = answered;
      g_debug ("The sentinels give %s:%d for “%s”", self->primary.host, self->primary.port,
               self->service);
      self->func (&self->primary, FALSE, NULL, self->user_data);
      return;
    }
  /* A sentinel that refuses the question, or is not one, says nothing
   * of the others: all are asked again after the backoff. */
  failed = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                        "No sentinel gave the primary of “%s”: %s", self->service, error->message);
  self->func (NULL, FALSE, failed, self->user_data);
}

FluidRedisResolver *
fluid_redis_resolver_new (const FluidRedisAddress *address,
                          double                   timeout)
{
  FluidRedisResolver *self = g_new0 (FluidRedisResolver, 1);

  g_return_val_if_fail (address->topology == FLUID_REDIS_TOPOLOGY_SENTINEL, NULL);

  self->sentinels = g_array_ref (address->seeds);
  self->service = g_strdup (address->service);
  self->timeout = timeout;
  return self;
}

void
fluid_redis_resolver_lookup (FluidRedisResolver    *self,
                             FluidRedisLocatedFunc  func,
                             gpointer               user_data)
{
  const char *argv[] = { "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self->service };
  FluidRedisAddress no_credentials = { 0, };

  g_clear_pointer (&self->query, fluid_redis_query_free);
  self->func = func;
  self->user_data = user_data;
  self->query = fluid_redis_query_new (self->sentinels, self->next, &no_credentials, self->timeout,
                                       G_N_ELEMENTS (argv), argv, fluid_redis_resolver_answer,
                                       fluid_redis_resolver_asked_cb, self);
}

void
fluid_redis_resolver_free (FluidRedisResolver *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->query, fluid_redis_query_free);
  g_array_unref (self->sentinels);
  fluid_redis_node_clear (&self->primary);
  g_free (self->service);
  g_free (self);
}
