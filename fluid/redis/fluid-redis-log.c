/* fluid-redis-log.c: what a Redis worker tells the people who run it
 *
 * A worker that cannot reach its server goes on trying, with backoff, for
 * as long as it runs: a line per attempt would bury the log of a long
 * outage, and no line at all would hide it. So each outage is one warning
 * (the worker, the URI without its password, the first error) and one
 * message once the worker is connected again. An error that ends a worker
 * (a URI that does not parse, a server that is not Redis or refuses us) is
 * a warning too: the worker stops working, and whoever runs it must know.
 *
 * The lines are structured, with the worker's name in FLUID_WORKER, as
 * the core library's lifecycle lines are. Everything here runs on the
 * worker's context.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-log-private.h"
#include "fluid-redis-connection-private.h"

G_GNUC_PRINTF (3, 4)
static void
fluid_redis_log (FluidWorker    *worker,
                 GLogLevelFlags  level,
                 const char     *format,
                 ...)
{
  const char *name = fluid_worker_get_name (worker);
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_log_structured (G_LOG_DOMAIN, level,
                    "FLUID_WORKER", name,
                    "MESSAGE", "%s: %s", name, message);
}

void
fluid_redis_outage_init (FluidRedisOutage *self,
                         FluidWorker      *worker,
                         const char       *uri)
{
  self->worker = worker;
  self->uri = fluid_redis_uri_without_password (uri);
  self->down = FALSE;
  self->was_up = FALSE;
  self->reached = FALSE;
}

void
fluid_redis_outage_clear (FluidRedisOutage *self)
{
  g_clear_pointer (&self->uri, g_free);
  self->worker = NULL;
}

void
fluid_redis_outage_down (FluidRedisOutage *self,
                         const GError     *error)
{
  if (self->down)
    return;
  self->down = TRUE;
  /* Connected, if never served: a server lost all the same. */
  self->was_up |= self->reached;
  if (self->was_up)
    fluid_redis_log (self->worker, G_LOG_LEVEL_WARNING,
                     "lost Redis at %s, retrying until it is back: %s",
                     self->uri, error->message);
  else
    fluid_redis_log (self->worker, G_LOG_LEVEL_WARNING,
                     "cannot reach Redis at %s, retrying until it answers: %s",
                     self->uri, error->message);
}

void
fluid_redis_outage_reached (FluidRedisOutage *self)
{
  self->reached = TRUE;
}

void
fluid_redis_outage_up (FluidRedisOutage *self)
{
  gboolean was_down = self->down;
  gboolean was_up = self->was_up;

  self->down = FALSE;
  self->was_up = TRUE;
  self->reached = TRUE;
  if (!was_down)
    return;
  if (was_up)
    fluid_redis_log (self->worker, G_LOG_LEVEL_MESSAGE, "connected to Redis at %s again", self->uri);
  else
    fluid_redis_log (self->worker, G_LOG_LEVEL_MESSAGE, "connected to Redis at %s", self->uri);
}

void
fluid_redis_log_failure (FluidWorker  *worker,
                         const GError *error)
{
  fluid_redis_log (worker, G_LOG_LEVEL_WARNING, "stops on an error: %s", error->message);
}
