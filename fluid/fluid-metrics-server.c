/* fluid-metrics-server.c: a worker's metrics over HTTP, with libsoup 3
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fluid_worker_serve_metrics() attaches a SoupServer to the worker (object
 * data, so that the server goes with the worker; it holds no reference on
 * it). The server answers on the thread-default context of the caller,
 * which must be the worker's: each GET of /metrics collects the tree
 * there, in OpenMetrics when the scraper's Accept header asks for it
 * (Prometheus does), else in Prometheus' text format. While any server
 * runs, the consumers measure their handlers' time
 * (fluid_metrics_n_served). A build without libsoup (-Dmetrics=disabled)
 * has the same functions, which say G_IO_ERROR_NOT_SUPPORTED.
 */

#include "config-metrics.h"
#include "fluid-metrics-private.h"

#ifdef FLUID_HAVE_SOUP
#include <libsoup/soup.h>
#endif

#include <string.h>

#define FLUID_METRICS_SERVER_KEY "fluid-metrics-server"

#ifdef FLUID_HAVE_SOUP

typedef struct
{
  SoupServer  *server;
  FluidWorker *worker;   /* not a reference: the worker owns us */
  char        *address;  /* as it listens, port included */
} FluidMetricsServer;

static void
fluid_metrics_server_free (FluidMetricsServer *self)
{
  soup_server_disconnect (self->server);
  g_object_unref (self->server);
  g_free (self->address);
  g_free (self);
  g_atomic_int_dec_and_test (&fluid_metrics_n_served);
}

static gboolean
fluid_metrics_accepts_openmetrics (SoupServerMessage *message)
{
  const char *accept = soup_message_headers_get_list (soup_server_message_get_request_headers (message),
                                                      "Accept");

  return accept != NULL && strstr (accept, "application/openmetrics-text") != NULL;
}

static void
fluid_metrics_server_handle (SoupServer        *server,
                             SoupServerMessage *message,
                             const char        *path,
                             GHashTable        *query,
                             gpointer           user_data)
{
  FluidMetricsServer *self = user_data;
  const char *method = soup_server_message_get_method (message);
  gboolean openmetrics;
  char *text;

  if (!g_str_equal (path, "/metrics"))
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_server_message_set_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (message), "Allow", "GET, HEAD");
      return;
    }

  openmetrics = fluid_metrics_accepts_openmetrics (message);
  text = fluid_worker_collect_metrics_full (self->worker,
                                            openmetrics ? FLUID_METRICS_FORMAT_OPENMETRICS
                                                        : FLUID_METRICS_FORMAT_PROMETHEUS);
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message,
                                    openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                                : "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

/* HOST:PORT, [IPV6]:PORT or :PORT (every interface); the host an IP
 * address or "localhost" (the loopback). Port 0: one the system picks. */
static GSocketAddress *
fluid_metrics_parse_address (const char  *address,
                             GError     **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  const char *colon;
  guint64 port;

  if (address[0] == '[')
    {
      const char *end = strchr (address, ']');

      if (end == NULL || end[1] != ':')
        goto invalid;
      host = g_strndup (address + 1, end - address - 1);
      colon = end + 1;
    }
  else
    {
      colon = strrchr (address, ':');
      if (colon == NULL)
        goto invalid;
      host = g_strndup (address, colon - address);
      if (strchr (host, ':') != NULL)
        goto invalid;
    }
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT16, &port, NULL))
    goto invalid;

  if (host[0] == '\0')
    inet = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  else if (g_str_equal (host, "localhost"))
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    goto invalid;
  return g_inet_socket_address_new (inet, (guint16) port);

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "Cannot serve metrics on “%s”: not an address of the form HOST:PORT, "
               "[IPV6]:PORT or :PORT, the host an IP address or localhost", address);
  return NULL;
}

gboolean
fluid_metrics_server_start (FluidWorker  *worker,
                            const char   *address,
                            GError      **error)
{
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) local_error = NULL;
  FluidMetricsServer *self;
  GSList *listeners;

  if (g_object_get_data (G_OBJECT (worker), FLUID_METRICS_SERVER_KEY) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "%s already serves its metrics: stop that first",
                   fluid_worker_get_name (worker));
      return FALSE;
    }
  socket_address = fluid_metrics_parse_address (address, error);
  if (socket_address == NULL)
    return FALSE;

  server = soup_server_new ("server-header", "libfluid-glib ", NULL);
  if (!soup_server_listen (server, socket_address, 0, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot serve metrics on %s: %s", address, local_error->message);
      return FALSE;
    }

  self = g_new0 (FluidMetricsServer, 1);
  self->server = g_steal_pointer (&server);
  self->worker = worker;
  /* The port the system picked, from the socket: libsoup 3.2's
   * soup_server_get_uris() leaks the address it reads. */
  listeners = soup_server_get_listeners (self->server);
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (local != NULL)
        {
          g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
          guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));

          self->address = strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                                     : g_strdup_printf ("%s:%u", host, port);
        }
    }
  g_slist_free (listeners);
  soup_server_add_handler (self->server, NULL, fluid_metrics_server_handle, self, NULL);
  g_atomic_int_inc (&fluid_metrics_n_served);
  g_object_set_data_full (G_OBJECT (worker), FLUID_METRICS_SERVER_KEY, self,
                          (GDestroyNotify) fluid_metrics_server_free);
  return TRUE;
}

static char *
fluid_metrics_server_get_address (FluidWorker *worker)
{
  FluidMetricsServer *self = g_object_get_data (G_OBJECT (worker), FLUID_METRICS_SERVER_KEY);

  return self != NULL ? g_strdup (self->address) : NULL;
}

#else /* !FLUID_HAVE_SOUP */

gboolean
fluid_metrics_server_start (FluidWorker  *worker,
                            const char   *address,
                            GError      **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "This libfluid-glib was built without libsoup (-Dmetrics=disabled): "
                       "it cannot serve metrics over HTTP");
  return FALSE;
}

static char *
fluid_metrics_server_get_address (FluidWorker *worker)
{
  return NULL;
}

#endif /* FLUID_HAVE_SOUP */

/**
 * fluid_worker_serve_metrics:
 * @self: a #FluidWorker
 * @address: where to listen: `HOST:PORT`, `[IPV6]:PORT` or `:PORT` (every
 *   IPv4 interface), the host an IP address or `localhost`; port 0 lets
 *   the system pick one (fluid_worker_get_metrics_address() tells it)
 * @error: return location for a #GError
 *
 * Serves fluid_worker_collect_metrics() at `http://ADDRESS/metrics`, in
 * OpenMetrics to a scraper that asks for it (`Accept:
 * application/openmetrics-text`, as Prometheus does), until
 * fluid_worker_stop_serving_metrics() or until @self is finalized. While
 * metrics are served, consumers measure their handler's time
 * (`fluid_message_duration_seconds`). Serving may start before or after
 * the worker starts, and goes on after it stops.
 *
 * Call it on the context @self runs on: the server answers there.
 * fluid_worker_run_main() calls it when the environment variable
 * `FLUID_METRICS_ADDRESS` is set.
 *
 * Errors: %G_IO_ERROR_INVALID_ARGUMENT for an address that does not parse,
 * %G_IO_ERROR_EXISTS when @self already serves, what binding the socket
 * said (%G_IO_ERROR_ADDRESS_IN_USE for a port in use), and
 * %G_IO_ERROR_NOT_SUPPORTED when the library was built without libsoup.
 *
 * Returns: %TRUE when the server listens
 *
 * Since: 1.2
 */
gboolean
fluid_worker_serve_metrics (FluidWorker  *self,
                            const char   *address,
                            GError      **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return fluid_metrics_server_start (self, address, error);
}

/**
 * fluid_worker_get_metrics_address:
 * @self: a #FluidWorker
 *
 * Where fluid_worker_serve_metrics() listens, the port it was given or
 * the one the system picked: `127.0.0.1:9464`.
 *
 * Returns: (transfer full) (nullable): the address, or %NULL when @self
 *   does not serve its metrics
 *
 * Since: 1.2
 */
char *
fluid_worker_get_metrics_address (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);

  return fluid_metrics_server_get_address (self);
}

/**
 * fluid_worker_stop_serving_metrics:
 * @self: a #FluidWorker
 *
 * Stops the server of fluid_worker_serve_metrics() and closes its socket;
 * nothing when @self serves none. On the context it serves on.
 *
 * Since: 1.2
 */
void
fluid_worker_stop_serving_metrics (FluidWorker *self)
{
  g_return_if_fail (FLUID_IS_WORKER (self));

  g_object_set_data (G_OBJECT (self), FLUID_METRICS_SERVER_KEY, NULL);
}
