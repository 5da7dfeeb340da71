/* fluid-redis-address.c: where the Redis servers of a URI are
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-address-private.h"
#include "fluid-redis-error.h"

#include <string.h>

/* redis:// and unix:// are URIs GUri reads. The Sentinel and Cluster forms
 * name several servers in their authority (host:port,host:port), which no
 * URI parser takes: they are split here. Error messages quote the URI
 * without its password. */

#define FLUID_REDIS_SENTINEL_PORT 26379
#define FLUID_REDIS_PORT 6379

static gboolean
fluid_redis_address_invalid (GError     **error,
                             const char  *shown,
                             const char  *why)
{
  g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
               "Invalid Redis URI “%s”: %s", shown, why);
  return FALSE;
}

static gboolean
fluid_redis_address_parse_db (FluidRedisAddress  *address,
                              const char         *text,
                              const char         *shown,
                              GError            **error)
{
  char *end = NULL;
  gint64 db = g_ascii_strtoll (text, &end, 10);

  if (end == text || *end != '\0' || db < 0 || db > G_MAXINT)
    return fluid_redis_address_invalid (error, shown, "bad database number");
  address->db = (int) db;
  return TRUE;
}

/* ?db=N, and for a unix socket &user=U&password=P too. */
static gboolean
fluid_redis_address_parse_query (FluidRedisAddress  *address,
                                 const char         *shown,
                                 const char         *query,
                                 gboolean            credentials,
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
          if (!fluid_redis_address_parse_db (address, value, shown, error))
            return FALSE;
        }
      else if (credentials && g_str_equal (name, "user"))
        {
          g_free (address->user);
          address->user = *value != '\0' ? g_strdup (value) : NULL;
        }
      else if (credentials && g_str_equal (name, "password"))
        {
          g_free (address->password);
          address->password = g_strdup (value);
        }
      else
        goto bad_query;
    }
  if (address->user != NULL && address->password == NULL)
    return fluid_redis_address_invalid (error, shown, "a user needs a password");
  return TRUE;

bad_query:
  return fluid_redis_address_invalid (error, shown,
                                      credentials ? "the query takes db, user and password"
                                                  : "the query takes db only");
}

/* unix:///path[?query] */
static gboolean
fluid_redis_address_parse_unix (GUri               *parsed,
                                const char         *shown,
                                FluidRedisAddress  *address,
                                GError            **error)
{
  const char *path = g_uri_get_path (parsed);
  const char *query = g_uri_get_query (parsed);

  if (path == NULL || path[0] != '/')
    return fluid_redis_address_invalid (error, shown, "unix:///absolute/path expected");
  if (query != NULL && !fluid_redis_address_parse_query (address, shown, query, TRUE, error))
    return FALSE;
  address->node.path = g_strdup (path);
  return TRUE;
}

/* redis://[[user]:password@]host[:port][/db] */
static gboolean
fluid_redis_address_parse_redis (GUri               *parsed,
                                 const char         *shown,
                                 FluidRedisAddress  *address,
                                 GError            **error)
{
  const char *host = g_uri_get_host (parsed);
  const char *path = g_uri_get_path (parsed);

  if (host == NULL || *host == '\0')
    return fluid_redis_address_invalid (error, shown, "no host");
  /* redis://:password@host, or redis://user:password@host (an ACL user);
   * a user alone names nobody Redis could check. */
  if (g_uri_get_password (parsed) != NULL)
    {
      const char *user = g_uri_get_user (parsed);

      address->user = user != NULL && *user != '\0' ? g_strdup (user) : NULL;
      address->password = g_strdup (g_uri_get_password (parsed));
    }
  else if (g_uri_get_user (parsed) != NULL)
    {
      return fluid_redis_address_invalid (error, shown, "a user needs a password (user:password@)");
    }
  if (path != NULL && *path != '\0' && strcmp (path, "/") != 0 &&
      !fluid_redis_address_parse_db (address, path + 1, shown, error))
    return FALSE;
  address->node.host = g_strdup (host);
  address->node.port = g_uri_get_port (parsed) > 0 ? g_uri_get_port (parsed) : FLUID_REDIS_PORT;
  return TRUE;
}

/* The Sentinel and Cluster forms */

/* host, host:port, [v6], [v6]:port */
static gboolean
fluid_redis_address_parse_host (const char      *text,
                                int              default_port,
                                FluidRedisNode  *node)
{
  const char *port = NULL;
  g_autofree char *host = NULL;

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || (close[1] != '\0' && close[1] != ':'))
        return FALSE;
      host = g_strndup (text + 1, close - text - 1);
      port = close[1] == ':' ? close + 2 : NULL;
    }
  else
    {
      const char *colon = strchr (text, ':');

      host = colon != NULL ? g_strndup (text, colon - text) : g_strdup (text);
      port = colon != NULL ? colon + 1 : NULL;
    }
  if (*host == '\0' || strchr (host, '/') != NULL || strchr (host, '@') != NULL)
    return FALSE;
  node->port = default_port;
  if (port != NULL && !fluid_redis_parse_port (port, &node->port))
    return FALSE;
  node->host = g_steal_pointer (&host);
  return TRUE;
}

/* user:password, :password; both percent-encoded */
static gboolean
fluid_redis_address_parse_userinfo (FluidRedisAddress  *address,
                                    const char         *userinfo,
                                    const char         *shown,
                                    GError            **error)
{
  const char *colon = strchr (userinfo, ':');
  g_autofree char *user = NULL;

  if (colon == NULL)
    return fluid_redis_address_invalid (error, shown, "a user needs a password (user:password@)");
  user = g_uri_unescape_segment (userinfo, colon, NULL);
  address->password = g_uri_unescape_string (colon + 1, NULL);
  if (user == NULL || address->password == NULL)
    return fluid_redis_address_invalid (error, shown, "bad escape in the user or the password");
  address->user = *user != '\0' ? g_steal_pointer (&user) : NULL;
  return TRUE;
}

/* What an error message shows of a multi-host URI: all but the password
 * and the query. */
static char *
fluid_redis_address_shown (const char *scheme,
                           const char *userinfo,
                           const char *hosts,
                           const char *path)
{
  const char *colon = userinfo != NULL ? strchr (userinfo, ':') : NULL;
  g_autofree char *user = colon != NULL && colon > userinfo ? g_strndup (userinfo, colon - userinfo)
                                                            : NULL;

  return g_strconcat (scheme, "://", user != NULL ? user : "", user != NULL ? "@" : "",
                      hosts, path, NULL);
}

static gboolean
fluid_redis_address_parse_seeds (FluidRedisAddress  *address,
                                 const char         *hosts,
                                 const char         *shown,
                                 GError            **error)
{
  g_auto(GStrv) names = g_strsplit (hosts, ",", -1);
  int default_port = address->topology == FLUID_REDIS_TOPOLOGY_SENTINEL ? FLUID_REDIS_SENTINEL_PORT
                                                                        : FLUID_REDIS_PORT;

  if (*hosts == '\0')
    return fluid_redis_address_invalid (error, shown, "no host");
  address->seeds = g_array_new (FALSE, TRUE, sizeof (FluidRedisNode));
  g_array_set_clear_func (address->seeds, (GDestroyNotify) fluid_redis_node_clear);
  for (guint i = 0; names[i] != NULL; i++)
    {
      FluidRedisNode node = { NULL, 0, NULL };

      if (!fluid_redis_address_parse_host (names[i], default_port, &node))
        return fluid_redis_address_invalid (error, shown, "host:port[,host:port…] expected");
      g_array_append_val (address->seeds, node);
    }
  return TRUE;
}

/* After the hosts: /SERVICE[?db=N] for a Sentinel, nothing for a Cluster
 * (which has database 0 only). */
static gboolean
fluid_redis_address_parse_service (FluidRedisAddress  *address,
                                   const char         *rest,
                                   const char         *shown,
                                   GError            **error)
{
  const char *query = strchr (rest, '?');
  g_autofree char *path = query != NULL ? g_strndup (rest, query - rest) : g_strdup (rest);

  if (address->topology == FLUID_REDIS_TOPOLOGY_CLUSTER)
    {
      if ((*path != '\0' && strcmp (path, "/") != 0) || query != NULL)
        return fluid_redis_address_invalid (error, shown,
                                            "a Redis Cluster has database 0 only: "
                                            "redis+cluster://host:port[,host:port…]");
      return TRUE;
    }
  if (path[0] != '/' || path[1] == '\0' || strchr (path + 1, '/') != NULL)
    return fluid_redis_address_invalid (error, shown,
                                        "redis+sentinel://host:port[,host:port…]/SERVICE expected");
  address->service = g_uri_unescape_string (path + 1, NULL);
  if (address->service == NULL)
    return fluid_redis_address_invalid (error, shown, "bad escape in the service name");
  return query == NULL ||
         fluid_redis_address_parse_query (address, shown, query + 1, FALSE, error);
}

/* The parts of a redis+sentinel:// or redis+cluster:// URI: its
 * authority's userinfo (NULL without an '@') and hosts, and what follows
 * them (the path and the query). */
typedef struct
{
  char       *userinfo;
  const char *hosts;    /* in userinfo's block, or all of it */
  char       *all;      /* the authority */
  const char *rest;     /* in the URI */
} FluidRedisMultiUri;

static void
fluid_redis_multi_uri_split (const char         *uri,
                             const char         *scheme,
                             FluidRedisMultiUri *parts)
{
  const char *authority = uri + strlen (scheme) + 3;
  char *at;

  parts->rest = authority + strcspn (authority, "/?");
  parts->all = g_strndup (authority, parts->rest - authority);
  at = strrchr (parts->all, '@');
  parts->userinfo = NULL;
  parts->hosts = parts->all;
  if (at != NULL)
    {
      *at = '\0';
      parts->userinfo = parts->all;
      parts->hosts = at + 1;
    }
}

static gboolean
fluid_redis_scheme_is_multi (const char *uri,
                             const char *scheme)
{
  return scheme != NULL &&
         (g_ascii_strcasecmp (scheme, "redis+sentinel") == 0 ||
          g_ascii_strcasecmp (scheme, "redis+cluster") == 0) &&
         g_str_has_prefix (uri + strlen (scheme), "://");
}

char *
fluid_redis_uri_without_password (const char *uri)
{
  g_autofree char *scheme = g_uri_parse_scheme (uri);
  g_autoptr(GUri) parsed = NULL;
  g_autofree char *before_query = NULL;
  const char *authority;
  const char *at;

  if (fluid_redis_scheme_is_multi (uri, scheme))
    {
      FluidRedisMultiUri parts;
      g_autofree char *path = NULL;
      char *shown;

      fluid_redis_multi_uri_split (uri, scheme, &parts);
      path = g_strndup (parts.rest, strcspn (parts.rest, "?"));
      shown = fluid_redis_address_shown (scheme, parts.userinfo, parts.hosts, path);
      g_free (parts.all);
      return shown;
    }
  parsed = g_uri_parse (uri, G_URI_FLAGS_HAS_PASSWORD, NULL);
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

static gboolean
fluid_redis_address_parse_multi (const char         *uri,
                                 const char         *scheme,
                                 FluidRedisAddress  *address,
                                 GError            **error)
{
  FluidRedisMultiUri parts;
  g_autofree char *shown = fluid_redis_uri_without_password (uri);
  gboolean ok;

  fluid_redis_multi_uri_split (uri, scheme, &parts);
  ok = (parts.userinfo == NULL ||
        fluid_redis_address_parse_userinfo (address, parts.userinfo, shown, error)) &&
       fluid_redis_address_parse_seeds (address, parts.hosts, shown, error) &&
       fluid_redis_address_parse_service (address, parts.rest, shown, error);
  g_free (parts.all);
  return ok;
}

gboolean
fluid_redis_address_parse (const char         *uri,
                           FluidRedisAddress  *address,
                           GError            **error)
{
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *scheme = NULL;
  gboolean ok = FALSE;

  memset (address, 0, sizeof *address);
  if (uri == NULL || *uri == '\0')
    {
      g_set_error_literal (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
                           "No Redis URI given");
      return FALSE;
    }
  scheme = g_uri_parse_scheme (uri);
  /* Error messages quote the URI without its password. */
  shown = fluid_redis_uri_without_password (uri);
  if (fluid_redis_scheme_is_multi (uri, scheme))
    {
      gboolean cluster = g_ascii_strcasecmp (scheme, "redis+cluster") == 0;

      address->topology = cluster ? FLUID_REDIS_TOPOLOGY_CLUSTER : FLUID_REDIS_TOPOLOGY_SENTINEL;
      ok = fluid_redis_address_parse_multi (uri, scheme, address, error);
    }
  else if ((parsed = g_uri_parse (uri, G_URI_FLAGS_HAS_PASSWORD, &local_error)) == NULL)
    {
      g_set_error (error, FLUID_REDIS_ERROR, FLUID_REDIS_ERROR_INVALID_URI,
                   "Invalid Redis URI “%s”: %s", shown, local_error->message);
    }
  else
    {
      if (g_ascii_strcasecmp (g_uri_get_scheme (parsed), "unix") == 0)
        ok = fluid_redis_address_parse_unix (parsed, shown, address, error);
      else if (g_ascii_strcasecmp (g_uri_get_scheme (parsed), "redis") == 0)
        ok = fluid_redis_address_parse_redis (parsed, shown, address, error);
      else
        fluid_redis_address_invalid (error, shown, "the scheme must be redis://, unix://, "
                                     "redis+sentinel:// or redis+cluster://");
    }
  if (!ok)
    fluid_redis_address_clear (address);
  return ok;
}

void
fluid_redis_address_copy (const FluidRedisAddress *address,
                          FluidRedisAddress       *copy)
{
  memset (copy, 0, sizeof *copy);
  copy->topology = address->topology;
  fluid_redis_node_copy (&address->node, &copy->node);
  if (address->seeds != NULL)
    {
      copy->seeds = g_array_sized_new (FALSE, TRUE, sizeof (FluidRedisNode), address->seeds->len);
      g_array_set_clear_func (copy->seeds, (GDestroyNotify) fluid_redis_node_clear);
      g_array_set_size (copy->seeds, address->seeds->len);
      for (guint i = 0; i < address->seeds->len; i++)
        fluid_redis_node_copy (&g_array_index (address->seeds, FluidRedisNode, i),
                               &g_array_index (copy->seeds, FluidRedisNode, i));
    }
  copy->service = g_strdup (address->service);
  copy->db = address->db;
  copy->user = g_strdup (address->user);
  copy->password = g_strdup (address->password);
}

void
fluid_redis_address_clear (FluidRedisAddress *address)
{
  fluid_redis_node_clear (&address->node);
  g_clear_pointer (&address->seeds, g_array_unref);
  g_clear_pointer (&address->service, g_free);
  g_clear_pointer (&address->user, g_free);
  /* Not left in freed memory. */
  if (address->password != NULL)
    memset (address->password, 0, strlen (address->password));
  g_clear_pointer (&address->password, g_free);
}

/* Nodes */

gboolean
fluid_redis_parse_port (const char *text,
                        int        *port)
{
  char *end = NULL;
  guint64 value = g_ascii_strtoull (text, &end, 10);

  if (end == text || *end != '\0' || value == 0 || value > 65535 || !g_ascii_isdigit (*text))
    return FALSE;
  *port = (int) value;
  return TRUE;
}

void
fluid_redis_node_copy (const FluidRedisNode *node,
                       FluidRedisNode       *copy)
{
  copy->host = g_strdup (node->host);
  copy->port = node->port;
  copy->path = g_strdup (node->path);
}

void
fluid_redis_node_clear (FluidRedisNode *node)
{
  g_clear_pointer (&node->host, g_free);
  g_clear_pointer (&node->path, g_free);
  node->port = 0;
}

gboolean
fluid_redis_node_equal (const FluidRedisNode *a,
                        const FluidRedisNode *b)
{
  return g_strcmp0 (a->host, b->host) == 0 && a->port == b->port &&
         g_strcmp0 (a->path, b->path) == 0;
}

char *
fluid_redis_node_to_string (const FluidRedisNode *node)
{
  if (node->path != NULL)
    return g_strdup (node->path);
  if (strchr (node->host, ':') != NULL)
    return g_strdup_printf ("[%s]:%d", node->host, node->port);
  return g_strdup_printf ("%s:%d", node->host, node->port);
}
