/* fluid-supervisor.c: how a group replaces the children that stop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-supervisor-private.h"
#include "fluid-log-private.h"

#include <math.h>

/* A group under a restart strategy (OTP's one_for_one, one_for_all,
 * rest_for_one) replaces the children that stop while it runs, as their
 * FluidRestart says, with new workers from their factories; the others
 * leave the group. The supervisor counts replacements in a sliding window
 * of max-restarts-period seconds and gives up past max-restarts; it
 * delays the n-th consecutive replacement of a child by
 * restart-delay × 2^(n-1), at most restart-delay-max.
 *
 * The group (fluid-workers.c) owns its list of children, one
 * FluidChildSlot per position, and all a list model and a worker do: it
 * watches its children, starts them, and emits items-changed and
 * child-restarted. The supervisor owns the rest: the restart settings
 * (properties of the group, installed from here, with their accessors
 * and fluid_workers_add_child()), the FluidChildSpec of each slot, the
 * window of the intensity, the restarts of several children under way,
 * and the error it gave up with. The interface between the two, in
 * fluid-supervisor-private.h, is narrow:
 *
 *   group → supervisor: fluid_supervisor_child_stopped() (a watched child
 *     stopped while the group runs under a restart strategy),
 *     fluid_supervisor_stop() (the group stops: replace nobody),
 *     fluid_supervisor_get_error(), and the property functions;
 *   supervisor → group: fluid_workers_get_slot() and _find_slot() (by
 *     position, by child), _remove_slot(), _replace_child() (which emits
 *     items-changed, starts the child, then emits child-restarted),
 *     _add_with_spec() and _is_below() (would a worker make a cycle?).
 *
 * Everything else the supervisor reads of the group through the public
 * API (its state, its context, its number of children).
 *
 * What a factory, or a handler of the signals the group emits, does to
 * the group (stop it, add children, fail siblings, run a nested main
 * loop, drop references) cannot lose a replacement. A replacement is
 * made for a slot, not a position: the slot is held across the factory
 * and its position read again after it. After the factory the supervisor
 * looks again, and makes the replacement unless the group stopped, the
 * slot left, or someone else is on it already (the slot was replaced, a
 * replacement of it is pending, or a restart of several took it); a
 * factory that failed is tried again after the delay. So a PERMANENT
 * child is replaced, or the group stops (asked to, or giving up with an
 * error). A replacement due at once while another is being made (its
 * factory or its signals running) is made from the main loop instead, so
 * that chains of replacements do not grow the stack.
 *
 * Threads: everything here runs on the group's context, where the group
 * learns of its children's stops through its observer. The settings are
 * set from that context too, or before the group runs. */

struct _FluidSupervisor
{
  FluidWorkers         *group;          /* not a reference: the group owns it */

  FluidRestartStrategy  strategy;
  guint                 max_restarts;
  double                max_restarts_period;
  double                restart_delay;
  double                restart_delay_max;

  /* The monotonic times of the replacements of the last period, oldest
   * first. */
  GArray               *restart_times;
  /* Children stopped by the group for a restart of several, not stopped
   * yet; and the children that stopped on their own meanwhile
   * (references), handled once that restart is done. */
  guint                 batch_left;
  GPtrArray            *deferred_stops;
  /* Replacements being made: their factories and signals are running. */
  guint                 depth;
  /* Set once told of a child's stop: until then there is nothing to
   * cancel when the group stops. */
  guint                 acted : 1;
  /* Why the group gave up, returned by its run. */
  GError               *give_up_error;
};

FluidSupervisor *
fluid_supervisor_new (FluidWorkers *group)
{
  FluidSupervisor *self = g_new0 (FluidSupervisor, 1);

  self->group = group;
  self->strategy = FLUID_RESTART_STRATEGY_STOP_ALL;
  self->max_restarts = 3;
  self->max_restarts_period = 5.0;
  self->restart_delay_max = 30.0;
  self->restart_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->deferred_stops = g_ptr_array_new_with_free_func (g_object_unref);
  return self;
}

void
fluid_supervisor_free (FluidSupervisor *self)
{
  g_array_unref (self->restart_times);
  g_ptr_array_unref (self->deferred_stops);
  g_clear_error (&self->give_up_error);
  g_free (self);
}

const GError *
fluid_supervisor_get_error (FluidSupervisor *self)
{
  return self->give_up_error;
}

gboolean
fluid_supervisor_replaces (FluidSupervisor *self)
{
  return self->strategy != FLUID_RESTART_STRATEGY_STOP_ALL;
}

/* Specs */

FluidChildSpec *
fluid_child_spec_new (FluidRestart        restart,
                      FluidWorkerFactory  factory,
                      gpointer            user_data,
                      GDestroyNotify      destroy,
                      const char         *name)
{
  FluidChildSpec *spec = g_new0 (FluidChildSpec, 1);

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
  g_free (spec->key);
  g_free (spec);
}

/* Time */

/* @usec (not negative) as an integer, at most G_MAXINT64: the cast of a
 * larger double is undefined. 0x1p63, the first double out of range, is
 * what (double) G_MAXINT64 rounds to. */
static gint64
fluid_supervisor_clamp_usec (double usec)
{
  return usec < 0x1p63 ? (gint64) usec : G_MAXINT64;
}

static gint64
fluid_supervisor_period_usec (FluidSupervisor *self)
{
  return fluid_supervisor_clamp_usec (self->max_restarts_period * G_USEC_PER_SEC);
}

/* Intensity: adds a replacement at @now to the window; FALSE when the
 * window then holds more than max-restarts, and the group must give up. */
gboolean
fluid_supervisor_count_restart (FluidSupervisor *self,
                                gint64           now)
{
  gint64 period = fluid_supervisor_period_usec (self);
  guint expired = 0;

  /* now - time, not time - period: never below G_MININT64. */
  while (expired < self->restart_times->len &&
         now - g_array_index (self->restart_times, gint64, expired) >= period)
    expired++;
  g_array_remove_range (self->restart_times, 0, expired);
  g_array_append_val (self->restart_times, now);

  return self->restart_times->len <= self->max_restarts;
}

/* The delay of @spec's next replacement, in microseconds: restart-delay ×
 * 2^consecutive, at most restart-delay-max, and at most G_MAXINT64. */
gint64
fluid_supervisor_delay_for (FluidSupervisor *self,
                            FluidChildSpec  *spec)
{
  double delay;

  if (self->restart_delay <= 0)
    return 0;
  delay = ldexp (self->restart_delay, (int) MIN (spec->consecutive, 64));
  delay = MIN (delay, self->restart_delay_max);
  return fluid_supervisor_clamp_usec (ceil (delay * G_USEC_PER_SEC));
}

/* A replacement waiting for its time: a source that holds its slot. */
typedef struct
{
  GSource          source;
  FluidSupervisor *supervisor;
  FluidChildSlot  *slot;
} FluidReplacement;

static void fluid_supervisor_replace (FluidSupervisor *self,
                                      FluidChildSlot  *slot);

static gboolean
fluid_replacement_dispatch (GSource     *source,
                            GSourceFunc  callback,
                            gpointer     user_data)
{
  FluidReplacement *replacement = (FluidReplacement *) source;
  /* Held while its factory and signals run. */
  FluidWorkers *group = g_object_ref (replacement->supervisor->group);

  /* A ready time left in the past would make a nested main loop of the
   * factory spin. */
  g_source_set_ready_time (source, -1);
  g_clear_pointer (&replacement->slot->spec->pending, g_source_unref);
  fluid_supervisor_replace (replacement->supervisor, replacement->slot);
  g_object_unref (group);
  return G_SOURCE_REMOVE;
}

static void
fluid_replacement_finalize (GSource *source)
{
  fluid_child_slot_unref (((FluidReplacement *) source)->slot);
}

static GSourceFuncs fluid_replacement_funcs = {
  .dispatch = fluid_replacement_dispatch,
  .finalize = fluid_replacement_finalize,
};

/* Replaces @slot's child in @delay microseconds, from the main loop. */
static GSource *
fluid_replacement_new (FluidSupervisor *self,
                       FluidChildSlot  *slot,
                       gint64           delay)
{
  GSource *source = g_source_new (&fluid_replacement_funcs, sizeof (FluidReplacement));
  FluidReplacement *replacement = (FluidReplacement *) source;
  gint64 now = g_get_monotonic_time ();

  replacement->supervisor = self;
  replacement->slot = fluid_child_slot_ref (slot);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[fluid] child replacement");
  /* -1, never: a delay beyond the clock's range waits for the group's
   * stop. */
  g_source_set_ready_time (source, delay <= G_MAXINT64 - now ? now + delay : -1);
  g_source_attach (source, fluid_worker_get_context (FLUID_WORKER (self->group)));
  return source;
}

/* Replacing */

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

/* Gives up: the group stops every child and ends with
 * FLUID_WORKER_ERROR_RESTART_LIMIT, which its own group sees as a
 * child's failure, so that failures escalate. */
static void
fluid_supervisor_give_up (FluidSupervisor *self,
                          FluidChildSlot  *slot,
                          const char      *reason)
{
  FluidWorker *group = FLUID_WORKER (self->group);

  if (self->give_up_error != NULL || !fluid_worker_is_running (group))
    return;

  self->give_up_error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_RESTART_LIMIT,
                                     "more than %u restarts in %g s; last, child %s: %s",
                                     self->max_restarts, self->max_restarts_period,
                                     fluid_workers_get_slot_key (self->group, slot),
                                     reason != NULL ? reason : "failed to start");
  fluid_worker_log (group, G_LOG_LEVEL_INFO, "gives up: %s", self->give_up_error->message);
  fluid_supervisor_stop (self);
  FLUID_WORKER_GET_CLASS (group)->gracefully_stop (group);
}

/* Whether @slot still waits for a replacement that nobody else is
 * making: in a running group, with no replacement of it pending, under
 * way, or part of a restart of several. */
static gboolean
fluid_supervisor_waits (FluidSupervisor *self,
                        FluidChildSlot  *slot)
{
  FluidChildSpec *spec = slot->spec;

  return slot->in_group && spec->pending == NULL && !spec->in_batch && !spec->making &&
         fluid_worker_is_running (FLUID_WORKER (self->group));
}

/* Whether @child is not running: stopped, or never started. */
static gboolean
fluid_supervisor_is_down (FluidWorker *child)
{
  FluidWorkerState state = fluid_worker_get_state (child);

  return state == FLUID_WORKER_STATE_INIT || state == FLUID_WORKER_STATE_STOPPED ||
         state == FLUID_WORKER_STATE_FORCE_STOPPED;
}

/* A new child from @slot's factory, or NULL: a factory that returns
 * NULL, a worker that has started, or the group or one of its ancestors
 * (a cycle), fails this replacement. */
static FluidWorker *
fluid_supervisor_make_child (FluidSupervisor *self,
                             FluidChildSlot  *slot)
{
  FluidChildSpec *spec = slot->spec;
  FluidWorker *child;

  spec->making = TRUE;
  child = spec->factory (self->group, spec->user_data);
  /* The slot may have left meanwhile, its spec with it. */
  if (slot->in_group)
    spec->making = FALSE;

  if (child == NULL)
    return NULL;
  /* The group itself has started: the first message is for it too. */
  if (fluid_worker_has_started (child))
    g_critical ("%s: the factory of %s's child %s returned a worker that has started",
                G_STRFUNC, fluid_worker_get_name (FLUID_WORKER (self->group)),
                fluid_workers_get_slot_key (self->group, slot));
  else if (FLUID_IS_WORKERS (child) && fluid_workers_is_below (self->group, FLUID_WORKERS (child)))
    g_critical ("%s: cannot put %s in %s, which it contains (the factory of its child %s returned it)",
                G_STRFUNC, fluid_worker_get_name (child),
                fluid_worker_get_name (FLUID_WORKER (self->group)),
                fluid_workers_get_slot_key (self->group, slot));
  else
    return child;
  g_object_unref (child);
  return NULL;
}

static void fluid_supervisor_schedule (FluidSupervisor *self,
                                       FluidChildSlot  *slot,
                                       gboolean         at_once);

/* A factory failed: that counts toward the intensity, and it is tried
 * again after the delay. */
static void
fluid_supervisor_replacement_failed (FluidSupervisor *self,
                                     FluidChildSlot  *slot)
{
  fluid_worker_log (FLUID_WORKER (self->group), G_LOG_LEVEL_DEBUG, "could not replace %s",
                    fluid_workers_get_slot_key (self->group, slot));
  if (!fluid_supervisor_count_restart (self, g_get_monotonic_time ()))
    {
      fluid_supervisor_give_up (self, slot, NULL);
      return;
    }
  slot->spec->consecutive++;
  fluid_supervisor_schedule (self, slot, FALSE);
}

/* Replaces the child of @slot, stopped (or never started), with a new
 * one from its factory. The caller holds the group. */
static void
fluid_supervisor_replace (FluidSupervisor *self,
                          FluidChildSlot  *slot)
{
  g_autoptr(FluidWorker) old_child = NULL;
  g_autoptr(FluidWorker) new_child = NULL;

  if (slot->spec == NULL || slot->spec->factory == NULL || !fluid_supervisor_waits (self, slot) ||
      !fluid_supervisor_is_down (slot->child))
    return;

  fluid_child_slot_ref (slot);
  old_child = g_object_ref (slot->child);
  self->depth++;

  new_child = fluid_supervisor_make_child (self, slot);
  /* The factory may have done anything to the group: the replacement is
   * made only if the slot still waits for one, and nobody made it. */
  if (fluid_supervisor_waits (self, slot) && slot->child == old_child)
    {
      if (new_child == NULL)
        {
          fluid_supervisor_replacement_failed (self, slot);
        }
      else
        {
          slot->spec->restarts++;
          slot->spec->consecutive++;
          slot->spec->started_at = g_get_monotonic_time ();
          fluid_workers_replace_child (self->group, slot, new_child);
          fluid_log_event (FLUID_LOG_EVENT_RESTARTED, fluid_worker_get_name (new_child),
                           fluid_worker_get_state (new_child), -1, NULL, "restarted (%u)",
                           slot->spec->restarts);
        }
    }
  self->depth--;
  fluid_child_slot_unref (slot);
}

/* Replaces @slot's child after its delay; when there is none and
 * @at_once, now, unless a replacement is being made: then, as for a
 * factory that failed, from the main loop, so that chains of
 * replacements do not grow the stack. */
static void
fluid_supervisor_schedule (FluidSupervisor *self,
                           FluidChildSlot  *slot,
                           gboolean         at_once)
{
  FluidChildSpec *spec = slot->spec;
  gint64 delay = fluid_supervisor_delay_for (self, spec);

  fluid_child_spec_cancel (spec);
  if (delay == 0 && at_once && self->depth == 0)
    fluid_supervisor_replace (self, slot);
  else
    spec->pending = fluid_replacement_new (self, slot, delay);
}

/* Restarts of several: OTP's one_for_all and rest_for_one */

static void fluid_supervisor_handle_stop (FluidSupervisor *self,
                                          FluidChildSlot  *slot);

/* The slots in the restart of several under way, in order. */
static GPtrArray *
fluid_supervisor_batch_slots (FluidSupervisor *self)
{
  GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_child_slot_unref);
  guint n_slots = g_list_model_get_n_items (G_LIST_MODEL (self->group));

  for (guint i = 0; i < n_slots; i++)
    {
      FluidChildSlot *slot = fluid_workers_get_slot (self->group, i);

      if (slot->spec != NULL && slot->spec->in_batch)
        g_ptr_array_add (batch, fluid_child_slot_ref (slot));
    }
  return batch;
}

/* Every child of the batch has stopped: each is replaced, in order, or
 * leaves (a temporary one), as OTP does whatever their exits; then the
 * children that stopped on their own meanwhile are handled. A restart of
 * several begun meanwhile takes what is left of this one; a stop of the
 * group, all of it. */
static void
fluid_supervisor_restart_batch (FluidSupervisor *self)
{
  g_autoptr(FluidWorkers) group = g_object_ref (self->group);
  g_autoptr(GPtrArray) batch = fluid_supervisor_batch_slots (self);
  g_autoptr(GPtrArray) deferred = NULL;

  for (guint i = 0; i < batch->len && self->batch_left == 0 &&
                    fluid_worker_is_running (FLUID_WORKER (group)); i++)
    {
      FluidChildSlot *slot = g_ptr_array_index (batch, i);

      if (!slot->in_group || !slot->spec->in_batch)
        continue;
      slot->spec->in_batch = FALSE;
      if (slot->spec->restart == FLUID_RESTART_TEMPORARY)
        fluid_workers_remove_slot (group, slot);
      else
        fluid_supervisor_schedule (self, slot, TRUE);
    }

  deferred = g_steal_pointer (&self->deferred_stops);
  self->deferred_stops = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < deferred->len; i++)
    {
      FluidWorker *child = g_ptr_array_index (deferred, i);
      FluidChildSlot *slot;

      if (!fluid_worker_is_running (FLUID_WORKER (group)))
        break;
      if (self->batch_left > 0)
        g_ptr_array_add (self->deferred_stops, g_object_ref (child));
      else if ((slot = fluid_workers_find_slot (group, child)) != NULL)
        fluid_supervisor_handle_stop (self, slot);
    }
}

/* The children from position @first on (all of them for one_for_all)
 * are stopped, and replaced once every one has stopped. */
static void
fluid_supervisor_begin_batch (FluidSupervisor *self,
                              guint            first,
                              FluidChildSlot  *failed)
{
  g_autoptr(GPtrArray) to_stop = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_slots = g_list_model_get_n_items (G_LIST_MODEL (self->group));

  for (guint i = first; i < n_slots; i++)
    {
      FluidChildSlot *slot = fluid_workers_get_slot (self->group, i);
      FluidChildSpec *spec = fluid_child_slot_get_spec (slot);
      FluidWorker *child = slot->child;

      /* A replacement waiting for its delay is made with the others. */
      fluid_child_spec_cancel (spec);
      spec->in_batch = TRUE;
      if (slot != failed && slot->watched &&
          fluid_worker_has_started (child) && !fluid_worker_is_stopped (child))
        {
          spec->awaiting_stop = TRUE;
          self->batch_left++;
          g_ptr_array_add (to_stop, g_object_ref (child));
        }
    }

  /* Each stop is told later, through the group's observer. */
  for (guint i = 0; i < to_stop->len; i++)
    fluid_worker_request_shutdown (g_ptr_array_index (to_stop, i));

  if (self->batch_left == 0)
    fluid_supervisor_restart_batch (self);
}

/* The child of @slot stopped on its own while the group runs. */
static void
fluid_supervisor_handle_stop (FluidSupervisor *self,
                              FluidChildSlot  *slot)
{
  FluidChildSpec *spec = slot->spec;
  gint64 now = g_get_monotonic_time ();

  if (spec == NULL || !fluid_supervisor_wants_replacement (spec, slot->child))
    {
      fluid_workers_remove_slot (self->group, slot);
      return;
    }

  /* A child that ran for a whole period was healthy: no backoff. */
  if (now - spec->started_at >= fluid_supervisor_period_usec (self))
    spec->consecutive = 0;

  if (!fluid_supervisor_count_restart (self, now))
    {
      fluid_supervisor_give_up (self, slot, fluid_worker_get_stop_reason (slot->child));
      return;
    }

  switch (self->strategy)
    {
    case FLUID_RESTART_STRATEGY_ONE_FOR_ALL:
      fluid_supervisor_begin_batch (self, 0, slot);
      break;

    case FLUID_RESTART_STRATEGY_REST_FOR_ONE:
      fluid_supervisor_begin_batch (self, slot->position, slot);
      break;

    case FLUID_RESTART_STRATEGY_ONE_FOR_ONE:
    case FLUID_RESTART_STRATEGY_STOP_ALL:
    default:
      fluid_supervisor_schedule (self, slot, TRUE);
      break;
    }
}

void
fluid_supervisor_child_stopped (FluidSupervisor *self,
                                FluidChildSlot  *slot)
{
  FluidChildSpec *spec = slot->spec;

  self->acted = TRUE;
  if (spec != NULL && spec->awaiting_stop)
    {
      spec->awaiting_stop = FALSE;
      if (--self->batch_left == 0)
        fluid_supervisor_restart_batch (self);
      return;
    }
  if (self->batch_left > 0)
    {
      g_ptr_array_add (self->deferred_stops, g_object_ref (slot->child));
      return;
    }
  /* Its replacement is on its way already. */
  if (spec != NULL && (spec->pending != NULL || spec->in_batch || spec->making))
    return;
  fluid_supervisor_handle_stop (self, slot);
}

void
fluid_supervisor_stop (FluidSupervisor *self)
{
  guint n_slots;

  if (!self->acted)
    return;
  n_slots = g_list_model_get_n_items (G_LIST_MODEL (self->group));
  for (guint i = 0; i < n_slots; i++)
    {
      FluidChildSpec *spec = fluid_workers_get_slot (self->group, i)->spec;

      if (spec == NULL)
        continue;
      fluid_child_spec_cancel (spec);
      spec->awaiting_stop = FALSE;
      spec->in_batch = FALSE;
    }
  self->batch_left = 0;
  g_ptr_array_set_size (self->deferred_stops, 0);
}

/* The restart settings and the children made by factories: properties
 * and public API of FluidWorkers */

enum
{
  PROP_RESTART_STRATEGY,
  PROP_MAX_RESTARTS,
  PROP_MAX_RESTARTS_PERIOD,
  PROP_RESTART_DELAY,
  PROP_RESTART_DELAY_MAX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
/* The group's id of the first. */
static guint first_prop_id;

void
fluid_supervisor_install_properties (GObjectClass *klass,
                                     guint         first_id)
{
  /**
   * FluidWorkers:restart-strategy:
   *
   * What the group does when a child stops while it runs: stop (the
   * default, as 1.0 and aio-fluid) or replace children, as OTP's
   * supervisors. Read when a child stops.
   *
   * Since: 1.2
   */
  properties[PROP_RESTART_STRATEGY] =
    g_param_spec_enum ("restart-strategy", "Restart strategy", "What a child's stop does",
                       FLUID_TYPE_RESTART_STRATEGY, FLUID_RESTART_STRATEGY_STOP_ALL,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorkers:max-restarts:
   *
   * The most replacements the group makes within
   * #FluidWorkers:max-restarts-period; one more and it gives up, as OTP's
   * intensity.
   *
   * Since: 1.2
   */
  properties[PROP_MAX_RESTARTS] =
    g_param_spec_uint ("max-restarts", "Maximum restarts", "Replacements allowed per period",
                       0, G_MAXUINT, 3,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorkers:max-restarts-period:
   *
   * The sliding window, in seconds, in which replacements are counted
   * against #FluidWorkers:max-restarts; a child that runs that long is
   * healthy again, and its backoff starts over.
   *
   * Any finite number of seconds, not negative: NaN, infinite and
   * negative values are refused with a critical. A period longer than
   * the monotonic clock counts (2^63 µs, some 292 000 years) is clamped to
   * it.
   *
   * Since: 1.2
   */
  properties[PROP_MAX_RESTARTS_PERIOD] =
    g_param_spec_double ("max-restarts-period", "Maximum restarts period",
                         "The window of max-restarts, in seconds",
                         0.0, G_MAXDOUBLE, 5.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorkers:restart-delay:
   *
   * How long, in seconds, the first replacement of a child waits; the
   * n-th consecutive one waits `restart-delay × 2^(n-1)`, at most
   * #FluidWorkers:restart-delay-max. 0, the default, replaces at once.
   *
   * Any finite number of seconds, not negative: NaN, infinite and
   * negative values are refused with a critical. A delay longer than the
   * monotonic clock counts (2^63 µs, some 292 000 years) is clamped to it,
   * and its replacement waits for the group's stop.
   *
   * Since: 1.2
   */
  properties[PROP_RESTART_DELAY] =
    g_param_spec_double ("restart-delay", "Restart delay", "Seconds before a first replacement",
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorkers:restart-delay-max:
   *
   * The longest a replacement waits, in seconds: any finite number of
   * seconds, not negative, as #FluidWorkers:restart-delay takes.
   *
   * Since: 1.2
   */
  properties[PROP_RESTART_DELAY_MAX] =
    g_param_spec_double ("restart-delay-max", "Maximum restart delay",
                         "The longest a replacement waits, in seconds",
                         0.0, G_MAXDOUBLE, 30.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  first_prop_id = first_id;
  for (guint i = 0; i < N_PROPS; i++)
    g_object_class_install_property (klass, first_id + i, properties[i]);
}

gboolean
fluid_supervisor_get_property (FluidSupervisor *self,
                               guint            prop_id,
                               GValue          *value)
{
  switch (prop_id - first_prop_id)
    {
    case PROP_RESTART_STRATEGY:
      g_value_set_enum (value, self->strategy);
      return TRUE;

    case PROP_MAX_RESTARTS:
      g_value_set_uint (value, self->max_restarts);
      return TRUE;

    case PROP_MAX_RESTARTS_PERIOD:
      g_value_set_double (value, self->max_restarts_period);
      return TRUE;

    case PROP_RESTART_DELAY:
      g_value_set_double (value, self->restart_delay);
      return TRUE;

    case PROP_RESTART_DELAY_MAX:
      g_value_set_double (value, self->restart_delay_max);
      return TRUE;

    default:
      return FALSE;
    }
}

gboolean
fluid_supervisor_set_property (FluidWorkers *group,
                               guint         prop_id,
                               const GValue *value)
{
  switch (prop_id - first_prop_id)
    {
    case PROP_RESTART_STRATEGY:
      fluid_workers_set_restart_strategy (group, g_value_get_enum (value));
      return TRUE;

    case PROP_MAX_RESTARTS:
      fluid_workers_set_max_restarts (group, g_value_get_uint (value));
      return TRUE;

    case PROP_MAX_RESTARTS_PERIOD:
      fluid_workers_set_max_restarts_period (group, g_value_get_double (value));
      return TRUE;

    case PROP_RESTART_DELAY:
      fluid_workers_set_restart_delay (group, g_value_get_double (value));
      return TRUE;

    case PROP_RESTART_DELAY_MAX:
      fluid_workers_set_restart_delay_max (group, g_value_get_double (value));
      return TRUE;

    default:
      return FALSE;
    }
}

/* Seconds that the restart settings take: finite and not negative. */
static gboolean
fluid_supervisor_seconds_are_valid (double seconds)
{
  return isfinite (seconds) && seconds >= 0;
}

/**
 * fluid_workers_add_child:
 * @self: a #FluidWorkers
 * @restart: when the child is replaced, under a restart strategy
 * @factory: (scope notified) (closure user_data) (destroy destroy): makes
 *   the child, now, and each replacement
 * @user_data: data for @factory
 * @destroy: (nullable): frees @user_data once the group no longer needs
 *   the factory: when the child leaves the group, or the group is finalized
 *
 * Adds a child made by @factory, called at once, at the end of the
 * group's children, as fluid_workers_add_worker() adds a worker. Under a
 * restart strategy (#FluidWorkers:restart-strategy), a child that stops
 * while the group runs is replaced by a new worker from @factory, as
 * @restart says, in the same position and under the same name in the
 * status; under %FLUID_RESTART_STRATEGY_STOP_ALL, it stops the group as
 * any child does.
 *
 * A factory that returns %NULL now adds nothing (a critical); later, it is
 * a failed replacement, counted toward #FluidWorkers:max-restarts and
 * tried again after the delay. A worker that has started already, and
 * the group itself or a group that contains it (a cycle), are programming
 * errors (a critical), and count as %NULL.
 *
 * Call it from the group's main context.
 *
 * Since: 1.2
 */
void
fluid_workers_add_child (FluidWorkers       *self,
                         FluidRestart        restart,
                         FluidWorkerFactory  factory,
                         gpointer            user_data,
                         GDestroyNotify      destroy)
{
  g_autoptr(FluidWorker) worker = NULL;
  FluidChildSpec *spec;

  g_return_if_fail (FLUID_IS_WORKERS (self));
  g_return_if_fail (restart <= FLUID_RESTART_TEMPORARY);
  g_return_if_fail (factory != NULL);

  worker = factory (self, user_data);
  if (worker == NULL || fluid_worker_has_started (worker) || (gpointer) worker == (gpointer) self)
    {
      g_critical ("%s: the factory of a child of %s returned %s", G_STRFUNC,
                  fluid_worker_get_name (FLUID_WORKER (self)),
                  worker == NULL ? "NULL" : "a worker that has started");
      if (destroy != NULL)
        destroy (user_data);
      return;
    }

  spec = fluid_child_spec_new (restart, factory, user_data, destroy,
                               fluid_worker_get_name (worker));
  fluid_workers_add_with_spec (self, worker, spec);
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
FluidRestartStrategy
fluid_workers_get_restart_strategy (FluidWorkers *self)
{
  g_return_val_if_fail (FLUID_IS_WORKERS (self), FLUID_RESTART_STRATEGY_STOP_ALL);

  return fluid_workers_get_supervisor (self)->strategy;
}

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
void
fluid_workers_set_restart_strategy (FluidWorkers         *self,
                                    FluidRestartStrategy  value)
{
  FluidSupervisor *supervisor;

  g_return_if_fail (FLUID_IS_WORKERS (self));
  g_return_if_fail (value <= FLUID_RESTART_STRATEGY_REST_FOR_ONE);

  supervisor = fluid_workers_get_supervisor (self);
  if (supervisor->strategy == value)
    return;
  supervisor->strategy = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTART_STRATEGY]);
}

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
guint
fluid_workers_get_max_restarts (FluidWorkers *self)
{
  g_return_val_if_fail (FLUID_IS_WORKERS (self), 0);

  return fluid_workers_get_supervisor (self)->max_restarts;
}

/**
 * fluid_workers_set_max_restarts:
 * @self: a #FluidWorkers
 * @value: the most replacements per period
 *
 * Sets #FluidWorkers:max-restarts. Call it from the group's main context.
 *
 * Since: 1.2
 */
void
fluid_workers_set_max_restarts (FluidWorkers *self,
                                guint         value)
{
  FluidSupervisor *supervisor;

  g_return_if_fail (FLUID_IS_WORKERS (self));

  supervisor = fluid_workers_get_supervisor (self);
  if (supervisor->max_restarts == value)
    return;
  supervisor->max_restarts = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RESTARTS]);
}

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
double
fluid_workers_get_max_restarts_period (FluidWorkers *self)
{
  g_return_val_if_fail (FLUID_IS_WORKERS (self), 0.0);

  return fluid_workers_get_supervisor (self)->max_restarts_period;
}

/**
 * fluid_workers_set_max_restarts_period:
 * @self: a #FluidWorkers
 * @value: the window of the intensity, in seconds: finite, not negative
 *
 * Sets #FluidWorkers:max-restarts-period. Call it from the group's main
 * context.
 *
 * Since: 1.2
 */
void
fluid_workers_set_max_restarts_period (FluidWorkers *self,
                                       double        value)
{
  FluidSupervisor *supervisor;

  g_return_if_fail (FLUID_IS_WORKERS (self));
  g_return_if_fail (fluid_supervisor_seconds_are_valid (value));

  supervisor = fluid_workers_get_supervisor (self);
  if (supervisor->max_restarts_period == value)
    return;
  supervisor->max_restarts_period = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RESTARTS_PERIOD]);
}

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
double
fluid_workers_get_restart_delay (FluidWorkers *self)
{
  g_return_val_if_fail (FLUID_IS_WORKERS (self), 0.0);

  return fluid_workers_get_supervisor (self)->restart_delay;
}

/**
 * fluid_workers_set_restart_delay:
 * @self: a #FluidWorkers
 * @value: the delay of a first replacement, in seconds: finite, not
 *   negative
 *
 * Sets #FluidWorkers:restart-delay. Call it from the group's main context.
 *
 * Since: 1.2
 */
void
fluid_workers_set_restart_delay (FluidWorkers *self,
                                 double        value)
{
  FluidSupervisor *supervisor;

  g_return_if_fail (FLUID_IS_WORKERS (self));
  g_return_if_fail (fluid_supervisor_seconds_are_valid (value));

  supervisor = fluid_workers_get_supervisor (self);
  if (supervisor->restart_delay == value)
    return;
  supervisor->restart_delay = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTART_DELAY]);
}

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
double
fluid_workers_get_restart_delay_max (FluidWorkers *self)
{
  g_return_val_if_fail (FLUID_IS_WORKERS (self), 0.0);

  return fluid_workers_get_supervisor (self)->restart_delay_max;
}

/**
 * fluid_workers_set_restart_delay_max:
 * @self: a #FluidWorkers
 * @value: the longest delay, in seconds: finite, not negative
 *
 * Sets #FluidWorkers:restart-delay-max. Call it from the group's main
 * context.
 *
 * Since: 1.2
 */
void
fluid_workers_set_restart_delay_max (FluidWorkers *self,
                                     double        value)
{
  FluidSupervisor *supervisor;

  g_return_if_fail (FLUID_IS_WORKERS (self));
  g_return_if_fail (fluid_supervisor_seconds_are_valid (value));

  supervisor = fluid_workers_get_supervisor (self);
  if (supervisor->restart_delay_max == value)
    return;
  supervisor->restart_delay_max = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTART_DELAY_MAX]);
}

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
  FluidChildSlot *slot;

  g_return_val_if_fail (FLUID_IS_WORKERS (self), 0);

  if (position >= g_list_model_get_n_items (G_LIST_MODEL (self)))
    return 0;
  slot = fluid_workers_get_slot (self, position);
  return slot->spec != NULL ? slot->spec->restarts : 0;
}
