/* fluid-redis-error.c: the errors of libfluid-glib-redis
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-error.h"

/**
 * SECTION:fluid-redis-error
 * @short_description: The errors of libfluid-glib-redis
 * @title: FluidRedisError
 *
 * The #GError domain of the Redis library, %FLUID_REDIS_ERROR.
 *
 * Since: 1.2
 */

/**
 * fluid_redis_error_quark:
 *
 * The quark of the #GError domain %FLUID_REDIS_ERROR.
 *
 * Returns: the quark
 *
 * Since: 1.2
 */
G_DEFINE_QUARK (fluid-redis-error-quark, fluid_redis_error)
