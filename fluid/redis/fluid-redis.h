/* fluid-redis.h: libfluid-glib-redis, work shared through Redis Streams
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define __FLUID_REDIS_H_INSIDE__

#include <fluid/fluid.h>

#include <fluid/redis/fluid-redis-version.h>
#include <fluid/redis/fluid-redis-error.h>
#include <fluid/redis/fluid-redis-enums.h>
#include <fluid/redis/fluid-redis-entry.h>
#include <fluid/redis/fluid-redis-stream-consumer.h>
#include <fluid/redis/fluid-redis-stream-producer.h>

#undef __FLUID_REDIS_H_INSIDE__
