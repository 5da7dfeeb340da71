/* fluid-redis-router.c: the Redis Cluster node that serves a key
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-router-private.h"
#include "fluid-redis-error.h"
#include "fluid-redis-query-private.h"

#include <string.h>

/* Every command of a consumer or a producer names one key (the stream,
 * and the dead-letter stream that must share its slot), so a connection
 * needs one node: the primary of that slot. The router finds it before
 * each connection, from the redirection the last connection met when
 * there was one (MOVED: the slot has a new owner; ASK: the key moved to a
 * node still importing the slot, which serves it only after ASKING),
 * otherwise from CLUSTER SLOTS, asked of the nodes it knows (the URI's,
 * then every node a Cluster answer named) from the last that answered.
 *
 * A slot map is not kept between lookups: a connection is made again
 * after a failover, a resharding or a loss, the moments the map changes,
 * and one question then costs less than keeping it right. */

#define FLUID_REDIS_SLOTS 16384

struct _FluidRedisRouter
{
  FluidRedisAddress      credentials; /* the user and password only */
  char                  *key;
  guint                  slot;
  double                 timeout;
  GArray                *nodes;       /* FluidRedisNode: known nodes */
  guint                  next;        /* the node asked first */
  FluidRedisNode         redirect;    /* from MOVED or ASK; host NULL: none */
  gboolean               asking;      /* the redirection was an ASK */
  FluidRedisQuery       *query;
  GSource               *redirected;  /* hands the redirection back */
  FluidRedisNode         primary;     /* what the last lookup found */
  FluidRedisLocatedFunc  func;
  gpointer               user_data;
};

/* CRC16 as Redis Cluster computes it: polynomial 0x1021, no reflection,
 * starting at 0 (XMODEM). Bit by bit: keys are routed once a connection. */
static guint16
fluid_redis_crc16 (const char *data,
                   gsize       len)
{
  guint16 crc = 0;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= (guint16) ((guint8) data[i] << 8);
      for (int bit = 0; bit < 8; bit++)
        crc = (crc & 0x8000) != 0 ? (guint16) ((crc << 1) ^ 0x1021) : (guint16) (crc << 1);
    }
  return crc;
}

guint
fluid_redis_key_slot (const char *key,
                      gsize       len)
{
  const char *open = memchr (key, '{', len);

  if (open != NULL)
    {
      const char *close = memchr (open + 1, '}', len - (open + 1 - key));

      /* A tag hashes alone: {jobs} and {jobs}:dead share a slot. */
      if (close != NULL && close > open + 1)
        return fluid_redis_crc16 (open + 1, close - open - 1) % FLUID_REDIS_SLOTS;
    }
  return fluid_redis_crc16 (key, len) % FLUID_REDIS_SLOTS;
}

/* Nodes */

static void
fluid_redis_router_learn (FluidRedisRouter     *self,
                          const FluidRedisNode *node)
{
  FluidRedisNode copy;

  for (guint i = 0; i < self->nodes->len; i++)
    {
      if (fluid_redis_node_equal (&g_array_index (self->nodes, FluidRedisNode, i), node))
        return;
    }
  fluid_redis_node_copy (node, &copy);
  g_array_append_val (self->nodes, copy);
}

/* [host, port, id, …] of CLUSTER SLOTS; an empty host is the node asked,
 * "?" one whose address is unknown. */
static gboolean
fluid_redis_router_read_node (const redisReply     *reply,
                              const FluidRedisNode *asked,
                              FluidRedisNode       *node)
{
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_INTEGER ||
      reply->element[1]->integer <= 0 || reply->element[1]->integer > 65535 ||
      strcmp (reply->element[0]->str, "?") == 0)
    return FALSE;
  if (reply->element[0]->len > 0)
    node->host = g_strndup (reply->element[0]->str, reply->element[0]->len);
  else
    node->host = g_strdup (asked->host);
  node->port = (int) reply->element[1]->integer;
  node->path = NULL;
  return node->host != NULL;
}

/* [[start, end, primary, replica…]…] */
static gboolean
fluid_redis_router_answer (const FluidRedisNode  *asked,
                           const redisReply      *reply,
                           GError               **error,
                           gpointer               user_data)
{
  FluidRedisRouter *self = user_data;
  g_autofree char *where = fluid_redis_node_to_string (asked);
  gboolean found = FALSE;

  if (reply->type != REDIS_REPLY_ARRAY)
    {
      g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_PROTOCOL,
                   "%s did not answer CLUSTER SLOTS with an array", where);
      return FALSE;
    }
  for (size_t i = 0; i < reply->elements; i++)
    {
      const redisReply *range = reply->element[i];
      gboolean ours;

      if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
          range->element[0]->type != REDIS_REPLY_INTEGER ||
          range->element[1]->type != REDIS_REPLY_INTEGER)
        continue;
      ours = range->element[0]->integer <= self->slot && self->slot <= range->element[1]->integer;
      for (size_t j = 2; j < range->elements; j++)
        {
          FluidRedisNode node;

          if (!fluid_redis_router_read_node (range->element[j], asked, &node))
            continue;
          fluid_redis_router_learn (self, &node);
          if (ours && j == 2)
            {
              fluid_redis_node_clear (&self->primary);
              self->primary = node;
              found = TRUE;
            }
          else
            {
              fluid_redis_node_clear (&node);
            }
        }
    }
  if (!found)
    g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                 "%s says no node serves slot %u of “%s” (the cluster is down)",
                 where, self->slot, self->key);
  return found;
}

static void
fluid_redis_router_asked_cb (guint         answered,
                             const GError *error,
                             gpointer      user_data)
{
  FluidRedisRouter *self = user_data;
  g_autoptr(GError) failed = NULL;

  g_clear_pointer (&self->query, fluid_redis_query_free);
  if (error == NULL)
    {
      self->next = answered;
      self->func (&self->primary, FALSE, NULL, self->user_data);
      return;
    }
  /* A node without Cluster, or that refuses the credentials, will not
   * change its mind: the URI is wrong. */
  if (g_error_matches (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER))
    failed = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_SERVER,
                          "Cannot route “%s” in the Redis Cluster: %s", self->key, error->message);
  else
    failed = g_error_new (FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_CONNECTION,
                          "No node of the Redis Cluster said where “%s” is: %s",
                          self->key, error->message);
  self->func (NULL, FALSE, failed, self->user_data);
}

/* A redirection is handed back from an idle, as a lookup would be. */
static gboolean
fluid_redis_router_redirected_cb (gpointer user_data)
{
  FluidRedisRouter *self = user_data;
  FluidRedisNode node = self->redirect;
  gboolean asking = self->asking;

  g_clear_pointer (&self->redirected, g_source_unref);
  memset (&self->redirect, 0, sizeof self->redirect);
  self->asking = FALSE;
  fluid_redis_router_learn (self, &node);
  self->func (&node, asking, NULL, self->user_data);
  fluid_redis_node_clear (&node);
  return G_SOURCE_REMOVE;
}

static void
fluid_redis_router_cancel (FluidRedisRouter *self)
{
  g_clear_pointer (&self->query, fluid_redis_query_free);
  if (self->redirected != NULL)
    {
      g_source_destroy (self->redirected);
      g_clear_pointer (&self->redirected, g_source_unref);
    }
}

FluidRedisRouter *
fluid_redis_router_new (const FluidRedisAddress *address,
                        const char              *key,
                        double                   timeout)
{
  FluidRedisRouter *self = g_new0 (FluidRedisRouter, 1);

  g_return_val_if_fail (address->topology == FLUID_REDIS_TOPOLOGY_CLUSTER, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  self->credentials.user = g_strdup (address->user);
  self->credentials.password = g_strdup (address->password);
  self->key = g_strdup (key);
  self->slot = fluid_redis_key_slot (key, strlen (key));
  self->timeout = timeout;
  self->nodes = g_array_new (FALSE, TRUE, sizeof (FluidRedisNode));
  g_array_set_clear_func (self->nodes, (GDestroyNotify) fluid_redis_node_clear);
  for (guint i = 0; i < address->seeds->len; i++)
    fluid_redis_router_learn (self, &g_array_index (address->seeds, FluidRedisNode, i));
  return self;
}

void
fluid_redis_router_lookup (FluidRedisRouter      *self,
                           FluidRedisLocatedFunc  func,
                           gpointer               user_data)
{
  const char *argv[] = { "CLUSTER", "SLOTS" };

  fluid_redis_router_cancel (self);
  self->func = func;
  self->user_data = user_data;
  if (self->redirect.host != NULL)
    {
      self->redirected = g_idle_source_new ();
      g_source_set_priority (self->redirected, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->redirected, fluid_redis_router_redirected_cb, self, NULL);
      g_source_set_name (self->redirected, "[fluid] redis redirection");
      g_source_attach (self->redirected, g_main_context_get_thread_default ());
      return;
    }
  self->query = fluid_redis_query_new (self->nodes, self->next, &self->credentials, self->timeout,
                                       G_N_ELEMENTS (argv), argv, fluid_redis_router_answer,
                                       fluid_redis_router_asked_cb, self);
}

/* "MOVED 3999 127.0.0.1:6381", "ASK 3999 127.0.0.1:6381" */
gboolean
fluid_redis_router_redirect (FluidRedisRouter     *self,
                             const FluidRedisNode *from,
                             const char           *message)
{
  g_auto(GStrv) words = g_strsplit (message, " ", 4);
  gboolean asking = g_str_equal (words[0], "ASK");
  FluidRedisNode node = { NULL, 0, NULL };
  const char *colon;
  int port;

  if (!asking && !g_str_equal (words[0], "MOVED"))
    return FALSE;
  /* Unreadable: CLUSTER SLOTS is asked instead. */
  if (words[1] == NULL || words[2] == NULL || (colon = strrchr (words[2], ':')) == NULL ||
      g_ascii_strtoull (words[1], NULL, 10) != self->slot)
    return TRUE;
  if (!fluid_redis_parse_port (colon + 1, &port))
    return TRUE;
  node.host = colon > words[2] ? g_strndup (words[2], colon - words[2]) : g_strdup (from->host);
  node.port = port;
  if (node.host == NULL || g_str_equal (node.host, "?"))
    {
      fluid_redis_node_clear (&node);
      return TRUE;
    }
  fluid_redis_node_clear (&self->redirect);
  self->redirect = node;
  self->asking = asking;
  return TRUE;
}

void
fluid_redis_router_free (FluidRedisRouter *self)
{
  if (self == NULL)
    return;
  fluid_redis_router_cancel (self);
  fluid_redis_address_clear (&self->credentials);
  fluid_redis_node_clear (&self->redirect);
  fluid_redis_node_clear (&self->primary);
  g_array_unref (self->nodes);
  g_free (self->key);
  g_free (self);
}
