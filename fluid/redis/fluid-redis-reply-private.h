/* fluid-redis-reply-private.h: reading the replies of the stream commands
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <hiredis/hiredis.h>

#include "fluid-redis-entry-private.h"

G_BEGIN_DECLS

/* Each function checks the shape of what the server sent and fails with
 * FLUID_REDIS_ERROR_PROTOCOL when it is not what the command returns. The
 * entries are new FluidRedisEntry (delivery count 1); the ids of entries
 * deleted from the stream while pending come in @deleted (char *). */

/* XREADGROUP: nil (nothing new) or [[stream, [[id, fields|nil]...]]]. */
gboolean fluid_redis_reply_parse_read      (const redisReply  *reply,
                                            const char        *stream,
                                            GPtrArray         *entries,
                                            GPtrArray         *deleted,
                                            GError           **error);

/* XAUTOCLAIM: [next cursor, [[id, fields]...], [deleted ids]]. */
gboolean fluid_redis_reply_parse_autoclaim (const redisReply  *reply,
                                            const char        *stream,
                                            char             **cursor,
                                            GPtrArray         *entries,
                                            GPtrArray         *deleted,
                                            GError           **error);

/* XPENDING with a range: [[id, consumer, idle ms, deliveries]...]; fills
 * @counts (id → GUINT_TO_POINTER (deliveries)), ids owned by @counts. */
gboolean fluid_redis_reply_parse_pending   (const redisReply  *reply,
                                            GHashTable        *counts,
                                            GError           **error);

/* Whether an error answer says that the server cannot serve the command
 * now but it, or another server, will: the connection is then handled as
 * lost (made again, after the backoff), not the command as refused. */
gboolean fluid_redis_reply_error_is_transient (const char *message);

G_END_DECLS
