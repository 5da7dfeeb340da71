/* fluid-redis-version.h: export macros of libfluid-glib-redis
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_REDIS_H_INSIDE__) && !defined (FLUID_REDIS_COMPILATION)
#error "Only <fluid/redis/fluid-redis.h> can be included directly."
#endif

#include <glib.h>

/**
 * SECTION:fluid-redis-version
 * @short_description: Export macros of libfluid-glib-redis
 * @title: Redis library versioning
 *
 * libfluid-glib-redis is versioned with libfluid-glib: the version macros
 * of the core library's header apply to it. Its public symbols carry their own export
 * macro, so that it is built with hidden visibility like the core library.
 */

#ifndef _FLUID_REDIS_EXTERN
# define _FLUID_REDIS_EXTERN __attribute__((visibility ("default"))) extern
#endif

/**
 * FLUID_REDIS_AVAILABLE_IN_1_2:
 *
 * Marks a symbol as exported by libfluid-glib-redis since version 1.2;
 * everything else in the library stays hidden.
 *
 * Since: 1.2
 */
#define FLUID_REDIS_AVAILABLE_IN_1_2 _FLUID_REDIS_EXTERN
