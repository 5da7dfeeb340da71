/* fluid-redis-stream-consumer-properties.c: the constructor and the
 * property accessors of FluidRedisStreamConsumer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-redis-stream-consumer-private.h"

#include <unistd.h>

#define properties fluid_redis_stream_consumer_properties

char *
fluid_redis_default_consumer_name (void)
{
  return g_strdup_printf ("%s-%d", g_get_host_name (), (int) getpid ());
}

/**
 * fluid_redis_stream_consumer_new:
 * @uri: where the server is (see #FluidRedisStreamConsumer:uri)
 * @stream: the stream's key
 * @group: the consumer group
 * @func: (scope notified) (closure user_data) (destroy destroy) (nullable): the
 *   handler of each entry
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the consumer is finalized
 *
 * A consumer of @stream in @group that hands each entry to @func, on the
 * worker's context. The other properties may be set before it starts.
 *
 * Returns: (transfer full): a new consumer, in state INIT
 *
 * Since: 1.2
 */
FluidRedisStreamConsumer *
fluid_redis_stream_consumer_new (const char          *uri,
                                 const char          *stream,
                                 const char          *group,
                                 FluidRedisEntryFunc  func,
                                 gpointer             user_data,
                                 GDestroyNotify       destroy)
{
  FluidRedisStreamConsumer *self;
  FluidRedisStreamConsumerPrivate *priv;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (stream != NULL && *stream != '\0', NULL);
  g_return_val_if_fail (group != NULL && *group != '\0', NULL);

  self = g_object_new (FLUID_REDIS_TYPE_STREAM_CONSUMER,
                       "uri", uri, "stream", stream, "group", group, NULL);
  priv = fluid_redis_stream_consumer_get_priv (self);
  priv->func = func;
  priv->func_data = user_data;
  priv->func_destroy = destroy;
  return self;
}

#define DEFINE_STRING_PROPERTY(prop, field, PROP_ID) \
  const char * \
  fluid_redis_stream_consumer_get_##prop (FluidRedisStreamConsumer *self) \
  { \
    FluidRedisStreamConsumerPrivate *priv; \
    g_return_val_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self), NULL); \
    priv = fluid_redis_stream_consumer_get_priv (self); \
    return priv->field; \
  } \
  void \
  fluid_redis_stream_consumer_set_##prop (FluidRedisStreamConsumer *self, \
                                          const char               *value) \
  { \
    FluidRedisStreamConsumerPrivate *priv; \
    g_return_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self)); \
    priv = fluid_redis_stream_consumer_get_priv (self); \
    if (fluid_redis_set_str (&priv->field, value)) \
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]); \
  }

/**
 * fluid_redis_stream_consumer_get_uri:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:uri.
 *
 * Returns: (nullable): the server's URI
 *
 * Since: 1.2
 */
/**
 * fluid_redis_stream_consumer_set_uri:
 * @self: a #FluidRedisStreamConsumer
 * @uri: (nullable): the server's URI
 *
 * Sets #FluidRedisStreamConsumer:uri, used at the next start.
 *
 * Since: 1.2
 */
DEFINE_STRING_PROPERTY (uri, uri, PROP_URI)

/**
 * fluid_redis_stream_consumer_get_stream:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:stream.
 *
 * Returns: (nullable): the stream's key
 *
 * Since: 1.2
 */
/**
 * fluid_redis_stream_consumer_set_stream:
 * @self: a #FluidRedisStreamConsumer
 * @stream: (nullable): the stream's key
 *
 * Sets #FluidRedisStreamConsumer:stream, used at the next start.
 *
 * Since: 1.2
 */
DEFINE_STRING_PROPERTY (stream, stream, PROP_STREAM)

/**
 * fluid_redis_stream_consumer_get_group:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:group.
 *
 * Returns: (nullable): the group
 *
 * Since: 1.2
 */
/**
 * fluid_redis_stream_consumer_set_group:
 * @self: a #FluidRedisStreamConsumer
 * @group: (nullable): the group
 *
 * Sets #FluidRedisStreamConsumer:group, used at the next start.
 *
 * Since: 1.2
 */
DEFINE_STRING_PROPERTY (group, group, PROP_GROUP)

/**
 * fluid_redis_stream_consumer_get_consumer:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:consumer.
 *
 * Returns: the consumer's name in the group
 *
 * Since: 1.2
 */
const char *
fluid_redis_stream_consumer_get_consumer (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self), NULL);

  priv = fluid_redis_stream_consumer_get_priv (self);
  return priv->consumer;
}

/**
 * fluid_redis_stream_consumer_set_consumer:
 * @self: a #FluidRedisStreamConsumer
 * @consumer: (nullable): the consumer's name, or %NULL for `hostname-pid`
 *
 * Sets #FluidRedisStreamConsumer:consumer, used at the next start.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_consumer_set_consumer (FluidRedisStreamConsumer *self,
                                          const char               *consumer)
{
  FluidRedisStreamConsumerPrivate *priv;
  g_autofree char *name = NULL;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self));

  priv = fluid_redis_stream_consumer_get_priv (self);
  name = consumer != NULL && *consumer != '\0' ? g_strdup (consumer) : fluid_redis_default_consumer_name ();
  if (fluid_redis_set_str (&priv->consumer, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONSUMER]);
}

/**
 * fluid_redis_stream_consumer_get_dead_letter_stream:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:dead-letter-stream.
 *
 * Returns: (nullable): the dead-letter stream's key (%NULL while the
 *   stream is not set and no other name was given)
 *
 * Since: 1.2
 */
const char *
fluid_redis_stream_consumer_get_dead_letter_stream (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self), NULL);

  priv = fluid_redis_stream_consumer_get_priv (self);
  if (priv->dead_letter_stream == NULL && priv->stream != NULL)
    priv->dead_letter_stream = g_strconcat (priv->stream, ":dead", NULL);
  return priv->dead_letter_stream;
}

/**
 * fluid_redis_stream_consumer_set_dead_letter_stream:
 * @self: a #FluidRedisStreamConsumer
 * @stream: (nullable): the dead-letter stream's key, or %NULL for
 *   `STREAM:dead`
 *
 * Sets #FluidRedisStreamConsumer:dead-letter-stream.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_consumer_set_dead_letter_stream (FluidRedisStreamConsumer *self,
                                                    const char               *stream)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self));

  priv = fluid_redis_stream_consumer_get_priv (self);
  if (fluid_redis_set_str (&priv->dead_letter_stream, stream))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEAD_LETTER_STREAM]);
}

/**
 * fluid_redis_stream_consumer_get_batch_size:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:batch-size.
 *
 * Returns: the batch size
 *
 * Since: 1.2
 */
guint
fluid_redis_stream_consumer_get_batch_size (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self), 0);

  priv = fluid_redis_stream_consumer_get_priv (self);
  return priv->batch_size;
}

/**
 * fluid_redis_stream_consumer_set_batch_size:
 * @self: a #FluidRedisStreamConsumer
 * @batch_size: at least 1
 *
 * Sets #FluidRedisStreamConsumer:batch-size.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_consumer_set_batch_size (FluidRedisStreamConsumer *self,
                                            guint                     batch_size)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self));
  g_return_if_fail (batch_size >= 1 && batch_size <= G_MAXINT);

  priv = fluid_redis_stream_consumer_get_priv (self);
  if (priv->batch_size == batch_size)
    return;
  priv->batch_size = batch_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BATCH_SIZE]);
}

/**
 * fluid_redis_stream_consumer_get_claim_idle:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:claim-idle.
 *
 * Returns: the idle time in seconds
 *
 * Since: 1.2
 */
double
fluid_redis_stream_consumer_get_claim_idle (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self), 0);

  priv = fluid_redis_stream_consumer_get_priv (self);
  return priv->claim_idle;
}

/**
 * fluid_redis_stream_consumer_set_claim_idle:
 * @self: a #FluidRedisStreamConsumer
 * @seconds: a positive idle time
 *
 * Sets #FluidRedisStreamConsumer:claim-idle.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_consumer_set_claim_idle (FluidRedisStreamConsumer *self,
                                            double                    seconds)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self));
  g_return_if_fail (seconds >= 0.001 && seconds <= G_MAXDOUBLE); /* refuses NaN */

  priv = fluid_redis_stream_consumer_get_priv (self);
  if (priv->claim_idle == seconds)
    return;
  priv->claim_idle = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLAIM_IDLE]);
}

/**
 * fluid_redis_stream_consumer_get_max_deliveries:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:max-deliveries.
 *
 * Returns: the most deliveries of an entry, 0 for no limit
 *
 * Since: 1.2
 */
guint
fluid_redis_stream_consumer_get_max_deliveries (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self), 0);

  priv = fluid_redis_stream_consumer_get_priv (self);
  return priv->max_deliveries;
}

/**
 * fluid_redis_stream_consumer_set_max_deliveries:
 * @self: a #FluidRedisStreamConsumer
 * @max_deliveries: the most deliveries of an entry, 0 for no limit
 *
 * Sets #FluidRedisStreamConsumer:max-deliveries.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_consumer_set_max_deliveries (FluidRedisStreamConsumer *self,
                                                guint                     max_deliveries)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self));

  priv = fluid_redis_stream_consumer_get_priv (self);
  if (priv->max_deliveries == max_deliveries)
    return;
  priv->max_deliveries = max_deliveries;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_DELIVERIES]);
}

/**
 * fluid_redis_stream_consumer_get_create_stream:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:create-stream.
 *
 * Returns: whether a missing stream is created
 *
 * Since: 1.2
 */
gboolean
fluid_redis_stream_consumer_get_create_stream (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self), FALSE);

  priv = fluid_redis_stream_consumer_get_priv (self);
  return priv->create_stream;
}

/**
 * fluid_redis_stream_consumer_set_create_stream:
 * @self: a #FluidRedisStreamConsumer
 * @create_stream: whether a missing stream is created
 *
 * Sets #FluidRedisStreamConsumer:create-stream.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_consumer_set_create_stream (FluidRedisStreamConsumer *self,
                                               gboolean                  create_stream)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self));

  priv = fluid_redis_stream_consumer_get_priv (self);
  create_stream = !!create_stream;
  if (priv->create_stream == create_stream)
    return;
  priv->create_stream = create_stream;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATE_STREAM]);
}

/**
 * fluid_redis_stream_consumer_get_command_timeout:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:command-timeout.
 *
 * Returns: the timeout in seconds
 *
 * Since: 1.2
 */
double
fluid_redis_stream_consumer_get_command_timeout (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self), 0);

  priv = fluid_redis_stream_consumer_get_priv (self);
  return priv->command_timeout;
}

/**
 * fluid_redis_stream_consumer_set_command_timeout:
 * @self: a #FluidRedisStreamConsumer
 * @seconds: a positive timeout
 *
 * Sets #FluidRedisStreamConsumer:command-timeout, used at the next start.
 *
 * Since: 1.2
 */
void
fluid_redis_stream_consumer_set_command_timeout (FluidRedisStreamConsumer *self,
                                                 double                    seconds)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self));
  g_return_if_fail (seconds >= 0.001 && seconds <= G_MAXDOUBLE);

  priv = fluid_redis_stream_consumer_get_priv (self);
  if (priv->command_timeout == seconds)
    return;
  priv->command_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMMAND_TIMEOUT]);
}

/**
 * fluid_redis_stream_consumer_is_connected:
 * @self: a #FluidRedisStreamConsumer
 *
 * Gets #FluidRedisStreamConsumer:connected.
 *
 * Returns: whether the running consumer is connected to its server
 *
 * Since: 1.2
 */
gboolean
fluid_redis_stream_consumer_is_connected (FluidRedisStreamConsumer *self)
{
  FluidRedisStreamConsumerPrivate *priv;

  g_return_val_if_fail (FLUID_REDIS_IS_STREAM_CONSUMER (self), FALSE);

  priv = fluid_redis_stream_consumer_get_priv (self);
  return priv->connected;
}
