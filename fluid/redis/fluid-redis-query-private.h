/* fluid-redis-query-private.h: one question asked of a list of Redis
 * servers in turn, until one answers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-redis-connection-private.h"

G_BEGIN_DECLS

typedef struct _FluidRedisQuery FluidRedisQuery;

/* Reads @reply, the answer of @node: TRUE when it is the answer the
 * caller wanted; FALSE with @error set otherwise, and the next node is
 * asked. */
typedef gboolean (* FluidRedisAnswerFunc) (const FluidRedisNode  *node,
                                           const redisReply      *reply,
                                           GError               **error,
                                           gpointer               user_data);

/* The end of the query: the node of index @answered answered, or @error
 * says why the last node asked did not (FLUID_REDIS_ERROR_CONNECTION or
 * _TIMEOUT: it could not be reached; _SERVER: it refused the question or
 * the credentials; _PROTOCOL: it is not a Redis server, or its answer
 * was not one). */
typedef void     (* FluidRedisAskedFunc)  (guint                  answered,
                                           const GError          *error,
                                           gpointer               user_data);

/* Asks @argv of each node of @nodes (FluidRedisNode) in turn, from
 * @first, each on a connection of its own made for the question and
 * closed after, with @timeout for the connection and its answer;
 * @credentials gives the user and password (its node and topology are
 * not used). @nodes may grow while asked: the new nodes are asked too.
 * The callbacks run on the caller's thread-default context, never from
 * inside this call. */
FluidRedisQuery *fluid_redis_query_new  (GArray                  *nodes,
                                         guint                    first,
                                         const FluidRedisAddress *credentials,
                                         double                   timeout,
                                         int                      argc,
                                         const char             **argv,
                                         FluidRedisAnswerFunc     answer_func,
                                         FluidRedisAskedFunc      asked_func,
                                         gpointer                 user_data);
/* Stops the query: no callback is called any more. May be called from
 * @asked_func, not from @answer_func. */
void             fluid_redis_query_free (FluidRedisQuery         *query);

G_END_DECLS
