/* fluid-redis-log-private.h: what a Redis worker tells the people who run
 * it: a warning when it loses its server, a message when it has it again,
 * a warning for the error that ends it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <fluid/fluid.h>

G_BEGIN_DECLS

/* The outages of one worker's server, during one run: one warning when
 * the server is lost (or cannot be reached at the start), one message when
 * every connection of the worker is up again, whatever the number of
 * attempts between (the connection logs those at debug level). Belongs to
 * the worker's context. */
typedef struct
{
  FluidWorker *worker;  /* the owner: not a reference */
  char        *uri;     /* as logged: without its password */
  gboolean     down;    /* warned, and not connected since */
  gboolean     was_up;  /* served once since the run began, or
                         * connected before an outage */
  gboolean     reached; /* connected once since the run began */
} FluidRedisOutage;

void fluid_redis_outage_init  (FluidRedisOutage *self,
                               FluidWorker      *worker,
                               const char       *uri);
void fluid_redis_outage_clear (FluidRedisOutage *self);
/* A connection of the worker could not be made, or was lost: the warning,
 * the first time since the server was last up. */
void fluid_redis_outage_down  (FluidRedisOutage *self,
                               const GError     *error);
/* A connection of the worker is made, which may not serve it yet (a
 * server that answers LOADING or CLUSTERDOWN): its next loss is a server
 * lost, not one never reached. */
void fluid_redis_outage_reached (FluidRedisOutage *self);
/* Every connection of the worker is up and served it: the message, if it
 * was down. */
void fluid_redis_outage_up    (FluidRedisOutage *self);

/* The error that ends @worker's run, as a warning. */
void fluid_redis_log_failure  (FluidWorker      *worker,
                               const GError     *error);

G_END_DECLS
