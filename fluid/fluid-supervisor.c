/* fluid-supervisor.c: how a group replaces the children that stop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-workers-private.h"

#include <math.h>

/* A group under a restart strategy (OTP's one_for_one, one_for_all,
 * rest_for_one) replaces the children that stop while it runs, as their
 * FluidRestart says, with new workers from their factories; the others
 * leave the group. It counts replacements in a sliding window of
 * max-restarts-period seconds and gives up past max-restarts; it delays
 * the n-th consecutive replacement of a child by restart-delay × 2^(n-1).
 *
 * Everything here runs on the group's context: the group learns of its
 * children's stops through its observer, on that context. */

FluidChildSpec *
fluid_child_spec_new (FluidWorkers       *group,
                      FluidRestart        restart,
                      FluidWorkerFactory  factory,
                      gpointer            user_data,
                      GDestroyNotify      destroy,
                      const char         *name)
{
  FluidChildSpec *spec = g_new0 (FluidChildSpec, 1);

  spec->group = group;
  spec->restart = restart;
  spec->factory = factory;
  spec->user_data = user_data;
  spec->destroy = destroy;
  spec->name = g_strdup (name);
  return spec;
}

static void
fluid_child_spec_cancel (FluidChildSpec *spec)
{
  if (spec->pending != NULL)
    {
      g_source_destroy (spec->pending);
      g_clear_pointer (&spec->pending, g_source_unref);
    }
}

void
fluid_child_spec_free (FluidChildSpec *spec)
{
  if (spec == NULL)
    return;
  fluid_child_spec_cancel (spec);
  if (spec->destroy != NULL)
    spec->destroy (spec->user_data);
  g_free (spec->name);
  g_free (spec);
}

/* The spec of the child at @position. A worker added with
 * fluid_workers_add_worker() has none until the supervisor needs one: a
 * temporary one, so that groups of plain workers spend nothing on it. */
static FluidChildSpec *
fluid_supervisor_spec_at (FluidWorkers *self,
                          guint         position)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  FluidChildSpec *spec = fluid_workers_spec_at (priv, position);

  if (spec == NULL)
    {
      FluidWorker *child = g_ptr_array_index (priv->children, position);

      spec = fluid_child_spec_new (self, FLUID_RESTART_TEMPORARY, NULL, NULL, NULL,
                                   fluid_worker_get_name (child));
      fluid_workers_set_spec (self, position, spec);
    }
  return spec;
}

/* Intensity: adds a replacement at @now to the window; FALSE when the
 * window then holds more than max-restarts, and the group must give up. */
gboolean
fluid_supervisor_count_restart (FluidWorkers *self,
                                gint64        now)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  gint64 period = (gint64) (priv->max_restarts_period * G_USEC_PER_SEC);
  guint expired = 0;

  while (expired < priv->restart_times->len &&
         g_array_index (priv->restart_times, gint64, expired) <= now - period)
    expired++;
  g_array_remove_range (priv->restart_times, 0, expired);
  g_array_append_val (priv->restart_times, now);

  return priv->restart_times->len <= priv->max_restarts;
}

/* The delay of @spec's next replacement, in microseconds: restart-delay ×
 * 2^consecutive, at most restart-delay-max. */
gint64
fluid_supervisor_delay_for (FluidWorkers   *self,
                            FluidChildSpec *spec)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  double delay;

  if (priv->restart_delay <= 0)
    return 0;
  delay = ldexp (priv->restart_delay, (int) MIN (spec->consecutive, 64));
  delay = MIN (delay, priv->restart_delay_max);
  return (gint64) ceil (delay * G_USEC_PER_SEC);
}

static gboolean
fluid_supervisor_wants_replacement (FluidChildSpec *spec,
                                    FluidWorker    *child)
{
  switch (spec->restart)
    {
    case FLUID_RESTART_PERMANENT:
      return TRUE;
    case FLUID_RESTART_TRANSIENT:
      return fluid_worker_get_exit_code (child) != FLUID_EXIT_CODE_NORMAL ||
             fluid_worker_was_starved (child);
    case FLUID_RESTART_TEMPORARY:
    default:
      return FALSE;
    }
}

static gint
fluid_supervisor_position (FluidWorkers   *self,
                           FluidChildSpec *spec)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  guint position;

  if (priv->specs == NULL || !g_ptr_array_find (priv->specs, spec, &position))
    return -1;
  return (gint) position;
}

/* Gives up: the group stops every child and ends with
 * FLUID_WORKER_ERROR_RESTART_LIMIT, which its own group sees as a
 * child's failure, so that failures escalate. */
static void
fluid_supervisor_give_up (FluidWorkers *self,
                          const char   *name,
                          const char   *reason)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  FluidWorker *worker = FLUID_WORKER (self);

  if (priv->give_up_error != NULL || !fluid_worker_is_running (worker))
    return;

  priv->give_up_error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_RESTART_LIMIT,
                                     "more than %u restarts in %g s; last, child %s: %s",
                                     priv->max_restarts, priv->max_restarts_period,
                                     name, reason != NULL ? reason : "failed to start");
  fluid_worker_log (worker, G_LOG_LEVEL_INFO, "gives up: %s", priv->give_up_error->message);
  fluid_supervisor_stop (self);
  FLUID_WORKER_GET_CLASS (worker)->gracefully_stop (worker);
}

static void fluid_supervisor_schedule (FluidWorkers   *self,
                                       FluidChildSpec *spec,
                                       gboolean        retry);

/* Replaces the child of @spec with a new one from its factory; a factory
 * that fails counts toward the intensity and is tried again. */
static void
fluid_supervisor_replace (FluidWorkers   *self,
                          FluidChildSpec *spec)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  g_autoptr(FluidWorker) old_child = NULL;
  g_autoptr(FluidWorker) new_child = NULL;
  gint position = fluid_supervisor_position (self, spec);

  if (position < 0 || !fluid_worker_is_running (FLUID_WORKER (self)))
    return;

  new_child = spec->factory (self, spec->user_data);
  if (new_child != NULL && fluid_worker_has_started (new_child))
    {
      g_critical ("%s: the factory of %s's child %s returned a worker that has started",
                  G_STRFUNC, fluid_worker_get_name (FLUID_WORKER (self)), spec->name);
      g_clear_object (&new_child);
    }
  /* The factory may have stopped the group. */
  if (!fluid_worker_is_running (FLUID_WORKER (self)) || fluid_supervisor_position (self, spec) != position)
    return;

  if (new_child == NULL)
    {
      fluid_worker_log (FLUID_WORKER (self), G_LOG_LEVEL_DEBUG, "could not replace %s", spec->name);
      if (!fluid_supervisor_count_restart (self, g_get_monotonic_time ()))
        {
          fluid_supervisor_give_up (self, spec->name, NULL);
          return;
        }
      spec->consecutive++;
      fluid_supervisor_schedule (self, spec, TRUE);
      return;
    }

  old_child = g_object_ref (g_ptr_array_index (priv->children, position));
  spec->restarts++;
  spec->consecutive++;
  fluid_workers_replace_at (self, position, new_child);
  fluid_workers_emit_child_restarted (self, old_child, new_child);
}

static gboolean
fluid_supervisor_pending_cb (gpointer user_data)
{
  FluidChildSpec *spec = user_data;
  g_autoptr(FluidWorkers) self = g_object_ref (spec->group);

  g_clear_pointer (&spec->pending, g_source_unref);
  fluid_supervisor_replace (self, spec);
  return G_SOURCE_REMOVE;
}

/* Replaces @spec's child after its delay; at once when there is none,
 * unless @retry: a factory that failed is tried again from the loop, so
 * that retries never nest. */
static void
fluid_supervisor_schedule (FluidWorkers   *self,
                           FluidChildSpec *spec,
                           gboolean        retry)
{
  gint64 delay = fluid_supervisor_delay_for (self, spec);

  fluid_child_spec_cancel (spec);
  if (delay == 0 && !retry)
    {
      fluid_supervisor_replace (self, spec);
      return;
    }

  spec->pending = delay == 0 ? g_idle_source_new ()
                             : g_timeout_source_new ((guint) MIN ((delay + 999) / 1000, G_MAXUINT));
  g_source_set_priority (spec->pending, G_PRIORITY_DEFAULT);
  g_source_set_static_name (spec->pending, "[fluid] child replacement");
  g_source_set_callback (spec->pending, fluid_supervisor_pending_cb, spec, NULL);
  g_source_attach (spec->pending, fluid_worker_get_context (FLUID_WORKER (self)));
}

/* Several children are replaced: OTP's one_for_all and rest_for_one. The
 * children of @spec's position and after it (all of them for
 * one_for_all) are stopped, and replaced once every one has stopped. */
static void fluid_supervisor_restart_batch (FluidWorkers *self);

static void
fluid_supervisor_begin_batch (FluidWorkers *self,
                              guint         first,
                              guint         failed)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  g_autoptr(GPtrArray) to_stop = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = first; i < priv->children->len; i++)
    {
      FluidChildSpec *spec = fluid_supervisor_spec_at (self, i);
      FluidWorker *child = g_ptr_array_index (priv->children, i);

      /* A replacement waiting for its delay is made with the others. */
      fluid_child_spec_cancel (spec);
      spec->in_batch = TRUE;
      if (i != failed && fluid_worker_has_started (child) && !fluid_worker_is_stopped (child) &&
          GPOINTER_TO_INT (g_hash_table_lookup (priv->members, child)))
        {
          spec->awaiting_stop = TRUE;
          priv->batch_left++;
          g_ptr_array_add (to_stop, g_object_ref (child));
        }
    }

  /* Each stop is told later, through the group's observer. */
  for (guint i = 0; i < to_stop->len; i++)
    fluid_worker_request_shutdown (g_ptr_array_index (to_stop, i));

  if (priv->batch_left == 0)
    fluid_supervisor_restart_batch (self);
}

static void fluid_supervisor_handle_stop (FluidWorkers *self,
                                          guint         position);

static void
fluid_supervisor_restart_batch (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  g_autoptr(GPtrArray) deferred = NULL;

  for (guint i = 0; i < priv->children->len; i++)
    {
      FluidChildSpec *spec = fluid_workers_spec_at (priv, i);

      if (spec != NULL && spec->in_batch)
        g_ptr_array_add (batch, spec);
    }

  /* In order; positions move as temporary children leave. As OTP, every
   * child but the temporary ones is replaced, whatever its exit. */
  for (guint i = 0; i < batch->len && fluid_worker_is_running (FLUID_WORKER (self)); i++)
    {
      FluidChildSpec *spec = g_ptr_array_index (batch, i);
      gint position = fluid_supervisor_position (self, spec);

      spec->in_batch = FALSE;
      if (position < 0)
        continue;
      if (spec->restart == FLUID_RESTART_TEMPORARY)
        fluid_workers_remove_at (self, position);
      else
        fluid_supervisor_schedule (self, spec, FALSE);
    }

  /* The children that stopped on their own meanwhile, as they come. */
  deferred = g_steal_pointer (&priv->deferred_stops);
  priv->deferred_stops = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < deferred->len && priv->batch_left == 0; i++)
    {
      guint position;

      if (g_ptr_array_find (priv->children, g_ptr_array_index (deferred, i), &position))
        fluid_supervisor_handle_stop (self, position);
    }
  /* A new restart of several took the rest. */
  for (guint i = 0; i < deferred->len; i++)
    if (priv->batch_left > 0)
      g_ptr_array_add (priv->deferred_stops, g_object_ref (g_ptr_array_index (deferred, i)));
}

/* The child at @position stopped on its own while the group runs. */
static void
fluid_supervisor_handle_stop (FluidWorkers *self,
                              guint         position)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  FluidChildSpec *spec = fluid_supervisor_spec_at (self, position);
  FluidWorker *child = g_ptr_array_index (priv->children, position);
  gint64 now = g_get_monotonic_time ();

  /* A child that ran for a whole period was healthy: no backoff. */
  if (now - spec->started_at >= (gint64) (priv->max_restarts_period * G_USEC_PER_SEC))
    spec->consecutive = 0;

  if (!fluid_supervisor_wants_replacement (spec, child))
    {
      fluid_workers_remove_at (self, position);
      return;
    }

  if (!fluid_supervisor_count_restart (self, now))
    {
      fluid_supervisor_give_up (self, spec->name, fluid_worker_get_stop_reason (child));
      return;
    }

  switch (priv->strategy)
    {
    case FLUID_RESTART_STRATEGY_ONE_FOR_ALL:
      fluid_supervisor_begin_batch (self, 0, position);
      break;

    case FLUID_RESTART_STRATEGY_REST_FOR_ONE:
      fluid_supervisor_begin_batch (self, position, position);
      break;

    case FLUID_RESTART_STRATEGY_ONE_FOR_ONE:
    case FLUID_RESTART_STRATEGY_STOP_ALL:
    default:
      fluid_supervisor_schedule (self, spec, FALSE);
      break;
    }
}

/* @child stopped while its group runs under a restart strategy. */
void
fluid_supervisor_child_stopped (FluidWorkers *self,
                                FluidWorker  *child)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);
  FluidChildSpec *spec;
  guint position;

  if (!g_ptr_array_find (priv->children, child, &position))
    return;
  spec = fluid_supervisor_spec_at (self, position);

  if (spec->awaiting_stop)
    {
      spec->awaiting_stop = FALSE;
      if (--priv->batch_left == 0)
        fluid_supervisor_restart_batch (self);
      return;
    }
  if (priv->batch_left > 0)
    {
      g_ptr_array_add (priv->deferred_stops, g_object_ref (child));
      return;
    }
  fluid_supervisor_handle_stop (self, position);
}

/* The group stops: no replacement is made from now on, and those waiting
 * for their delay are dropped at once. */
void
fluid_supervisor_stop (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_priv (self);

  for (guint i = 0; i < priv->children->len; i++)
    {
      FluidChildSpec *spec = fluid_workers_spec_at (priv, i);

      if (spec == NULL)
        continue;
      fluid_child_spec_cancel (spec);
      spec->awaiting_stop = FALSE;
      spec->in_batch = FALSE;
    }
  priv->batch_left = 0;
  g_ptr_array_set_size (priv->deferred_stops, 0);
}

/* Supervision settings: FluidWorkers's public API */

#define FLUID_WORKERS_SETTER(name, type, field, prop, check)                   \
  void                                                                        \
  fluid_workers_set_##name (FluidWorkers *self,                               \
                            type          value)                              \
  {                                                                           \
    FluidWorkersPrivate *priv;                                                \
                                                                              \
    g_return_if_fail (FLUID_IS_WORKERS (self));                               \
    g_return_if_fail (check);                                                 \
                                                                              \
    priv = fluid_workers_get_priv (self);                                     \
    if (priv->field == value)                                                 \
      return;                                                                 \
    priv->field = value;                                                      \
    fluid_workers_notify (self, prop);                                        \
  }

#define FLUID_WORKERS_GETTER(name, type, field, fallback)                      \
  type                                                                        \
  fluid_workers_get_##name (FluidWorkers *self)                               \
  {                                                                           \
    g_return_val_if_fail (FLUID_IS_WORKERS (self), fallback);                 \
                                                                              \
    return fluid_workers_get_priv (self)->field;                              \
  }

/**
 * fluid_workers_get_restart_strategy:
 * @self: a #FluidWorkers
 *
 * Gets #FluidWorkers:restart-strategy.
 *
 * Returns: the restart strategy
 *
 * Since: 1.2
 */
FLUID_WORKERS_GETTER (restart_strategy, FluidRestartStrategy, strategy, FLUID_RESTART_STRATEGY_STOP_ALL)

/**
 * fluid_workers_set_restart_strategy:
 * @self: a #FluidWorkers
 * @value: the restart strategy
 *
 * Sets #FluidWorkers:restart-strategy; it applies to the next child that
 * stops. Call it from the group's main context.
 *
 * Since: 1.2
 */
FLUID_WORKERS_SETTER (restart_strategy, FluidRestartStrategy, strategy, PROP_RESTART_STRATEGY,
                      value <= FLUID_RESTART_STRATEGY_REST_FOR_ONE)

/**
 * fluid_workers_get_max_restarts:
 * @self: a #FluidWorkers
 *
 * Gets #FluidWorkers:max-restarts.
 *
 * Returns: the most replacements per period
 *
 * Since: 1.2
 */
FLUID_WORKERS_GETTER (max_restarts, guint, max_restarts, 0)

/**
 * fluid_workers_set_max_restarts:
 * @self: a #FluidWorkers
 * @value: the most replacements per period
 *
 * Sets #FluidWorkers:max-restarts. Call it from the group's main context.
 *
 * Since: 1.2
 */
FLUID_WORKERS_SETTER (max_restarts, guint, max_restarts, PROP_MAX_RESTARTS, TRUE)

/**
 * fluid_workers_get_max_restarts_period:
 * @self: a #FluidWorkers
 *
 * Gets #FluidWorkers:max-restarts-period.
 *
 * Returns: the window of the intensity, in seconds
 *
 * Since: 1.2
 */
FLUID_WORKERS_GETTER (max_restarts_period, double, max_restarts_period, 0.0)

/**
 * fluid_workers_set_max_restarts_period:
 * @self: a #FluidWorkers
 * @value: the window of the intensity, in seconds (not negative)
 *
 * Sets #FluidWorkers:max-restarts-period. Call it from the group's main
 * context.
 *
 * Since: 1.2
 */
FLUID_WORKERS_SETTER (max_restarts_period, double, max_restarts_period, PROP_MAX_RESTARTS_PERIOD,
                      !isnan (value) && value >= 0)

/**
 * fluid_workers_get_restart_delay:
 * @self: a #FluidWorkers
 *
 * Gets #FluidWorkers:restart-delay.
 *
 * Returns: the delay of a first replacement, in seconds
 *
 * Since: 1.2
 */
FLUID_WORKERS_GETTER (restart_delay, double, restart_delay, 0.0)

/**
 * fluid_workers_set_restart_delay:
 * @self: a #FluidWorkers
 * @value: the delay of a first replacement, in seconds (not negative)
 *
 * Sets #FluidWorkers:restart-delay. Call it from the group's main context.
 *
 * Since: 1.2
 */
FLUID_WORKERS_SETTER (restart_delay, double, restart_delay, PROP_RESTART_DELAY,
                      !isnan (value) && value >= 0)

/**
 * fluid_workers_get_restart_delay_max:
 * @self: a #FluidWorkers
 *
 * Gets #FluidWorkers:restart-delay-max.
 *
 * Returns: the longest delay, in seconds
 *
 * Since: 1.2
 */
FLUID_WORKERS_GETTER (restart_delay_max, double, restart_delay_max, 0.0)

/**
 * fluid_workers_set_restart_delay_max:
 * @self: a #FluidWorkers
 * @value: the longest delay, in seconds (not negative)
 *
 * Sets #FluidWorkers:restart-delay-max. Call it from the group's main
 * context.
 *
 * Since: 1.2
 */
FLUID_WORKERS_SETTER (restart_delay_max, double, restart_delay_max, PROP_RESTART_DELAY_MAX,
                      !isnan (value) && value >= 0)

/**
 * fluid_workers_get_child_restarts:
 * @self: a #FluidWorkers
 * @position: the position of a child
 *
 * Gets how many times the child at @position was replaced: the `restarts`
 * key of its status.
 *
 * Returns: the number of replacements, 0 for a position out of range
 *
 * Since: 1.2
 */
guint
fluid_workers_get_child_restarts (FluidWorkers *self,
                                  guint         position)
{
  FluidWorkersPrivate *priv;

  g_return_val_if_fail (FLUID_IS_WORKERS (self), 0);

  priv = fluid_workers_get_priv (self);
  if (position >= priv->children->len || fluid_workers_spec_at (priv, position) == NULL)
    return 0;
  return fluid_workers_spec_at (priv, position)->restarts;
}
