/* fluid-workers.c: a supervised group of workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-workers.h"
#include "fluid-supervisor-private.h"
#include "fluid-workers-private.h"

/* A group keeps one slot per position of its list model
 * (fluid-supervisor-private.h), in an array in the model's order and in a
 * table child → slot: a child's slot, spec, key and position are found in
 * constant time. A replacement takes the slot of the child it replaces; a
 * slot leaves with its child. The group starts and watches its children,
 * through one observer for all, and tells its supervisor of their stops;
 * what a restart strategy does then is fluid-supervisor.c's, whose opening
 * comment says how the two speak.
 *
 * Threads: every field belongs to the group's context (the thread that
 * iterates it), or to the thread that owns the group before it runs; the
 * observer brings the stops of children on other contexts to the group's. */

/**
 * SECTION:fluid-workers
 * @short_description: A group of workers that live and die together
 * @title: FluidWorkers
 * @see_also: #FluidWorker
 *
 * A #FluidWorkers is a worker made of other workers, its children. Starting
 * the group starts every child; a child added while the group runs is
 * started at once.
 *
 * The group supervises its children through their state changes, without
 * polling: when any child stops while the group runs (normally, with an
 * error or by force), the group stops gracefully, and so every other child.
 * The group then ends %FLUID_WORKER_STATE_STOPPED with
 * %FLUID_EXIT_CODE_NORMAL and the reason "child NAME stopped: REASON".
 *
 * Stopping the group (fluid_worker_gracefully_stop() or
 * fluid_worker_shutdown_async()) stops every child: by default they are all
 * shut down at once, each forced after its own
 * #FluidWorker:stopping-grace-period, and the group's `run` returns once
 * every child has stopped. Subclasses override
 * #FluidWorkersClass.wait_for_workers_async() to impose an order.
 *
 * A group is a #GListModel of its children, in the order they were added, so
 * that a list widget can show it.
 *
 * Under a restart strategy (#FluidWorkers:restart-strategy), as OTP's
 * supervisors, the group replaces the children that stop instead of
 * stopping: a child added with fluid_workers_add_child() comes from a
 * #FluidWorkerFactory, called again for each replacement, and its
 * #FluidRestart says when it is replaced. The replacement takes the old
 * child's position (#GListModel::items-changed with one removed and one
 * added) and #FluidWorkers::child-restarted is emitted; a child that is not
 * replaced leaves the group (one removed), and the group goes on, even
 * empty. More than #FluidWorkers:max-restarts replacements within
 * #FluidWorkers:max-restarts-period seconds, and the group gives up: it
 * stops every child and ends with %FLUID_WORKER_ERROR_RESTART_LIMIT, which
 * a parent group sees as the failure of a child. The n-th consecutive
 * replacement of a child waits #FluidWorkers:restart-delay × 2^(n-1)
 * seconds, at most #FluidWorkers:restart-delay-max; a child that ran for
 * a whole #FluidWorkers:max-restarts-period starts again from the first.
 * Stopping the group never replaces anyone, and drops the replacements
 * waiting for their delay. Whatever a factory or a signal handler does to
 * the group meanwhile, a %FLUID_RESTART_PERMANENT child is replaced, or the
 * group stops.
 *
 * Its status maps a key for each child to the status of the child, with
 * the key `restarts` (u): how many times it was replaced. A replacement is
 * listed under the key of the first child of its position. The key is the
 * child's name; when two children share a name, the second is listed as
 * "NAME#2", the third as "NAME#3", and so on, skipping the keys and the
 * names of the other children: two children named `x` and one named `x#2`
 * are `x`, `x#3` and `x#2`. A child keeps its key until it leaves the
 * group; the same keys name the children on D-Bus (fluid_worker_export())
 * and in fluidctl.
 *
 * |[<!-- language="C" -->
 * g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (reader, writer, NULL);
 *
 * fluid_worker_startup_async (FLUID_WORKER (group), NULL, NULL, NULL);
 * ]|
 */

typedef struct
{
  /* The slots, in the list model's order, and by child. */
  GPtrArray       *slots;
  GHashTable      *slots_by_child;
  /* The keys given, each to its slot; the slots without one are always
   * the last @n_keyless, as keys are given to all at once and slots are
   * added at the end. */
  GHashTable      *keys;
  guint            n_keyless;
  /* The groups this group is a child of (not references: each holds one
   * on this group, and forgets itself here when finalized). */
  GPtrArray       *parents;

  GTask           *run_task;
  GTask           *wait_task;
  gulong           cancelled_id;

  /* The group's observer of its own state, and the one its children
   * share. */
  FluidObserver   *own_observer;
  FluidObserver   *children_observer;

  /* Children watched that have not stopped yet. */
  guint            n_live;

  FluidSupervisor *supervisor;

  /* Set when run begins: children are started and watched from then on. */
  guint            supervising : 1;
  /* Set when wait_for_workers has been called. */
  guint            waiting : 1;
  /* Set when a child's stop stopped the group: its stop reason names it. */
  guint            stopped_for_child : 1;
} FluidWorkersPrivate;

enum
{
  PROP_0,
  PROP_ITEM_TYPE,
  PROP_N_ITEMS,
  /* Then the restart settings, the supervisor's. */
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_CHILD_RESTARTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_ENUM_TYPE (FluidRestartStrategy, fluid_restart_strategy,
  G_DEFINE_ENUM_VALUE (FLUID_RESTART_STRATEGY_STOP_ALL, "stop-all"),
  G_DEFINE_ENUM_VALUE (FLUID_RESTART_STRATEGY_ONE_FOR_ONE, "one-for-one"),
  G_DEFINE_ENUM_VALUE (FLUID_RESTART_STRATEGY_ONE_FOR_ALL, "one-for-all"),
  G_DEFINE_ENUM_VALUE (FLUID_RESTART_STRATEGY_REST_FOR_ONE, "rest-for-one"))

G_DEFINE_ENUM_TYPE (FluidRestart, fluid_restart,
  G_DEFINE_ENUM_VALUE (FLUID_RESTART_PERMANENT, "permanent"),
  G_DEFINE_ENUM_VALUE (FLUID_RESTART_TRANSIENT, "transient"),
  G_DEFINE_ENUM_VALUE (FLUID_RESTART_TEMPORARY, "temporary"))

static void fluid_workers_list_model_init (GListModelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (FluidWorkers, fluid_workers, FLUID_TYPE_WORKER,
                         G_ADD_PRIVATE (FluidWorkers)
                         G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, fluid_workers_list_model_init))

static void fluid_workers_begin_wait (FluidWorkers *self);

/* Slots */

static FluidChildSlot *
fluid_child_slot_new (FluidWorker    *child,
                      FluidChildSpec *spec,
                      guint           position)
{
  FluidChildSlot *slot = g_new0 (FluidChildSlot, 1);

  slot->child = g_object_ref (child);
  slot->spec = spec;
  slot->position = position;
  slot->ref_count = 1;
  slot->in_group = TRUE;
  return slot;
}

FluidChildSlot *
fluid_child_slot_ref (FluidChildSlot *slot)
{
  slot->ref_count++;
  return slot;
}

void
fluid_child_slot_unref (FluidChildSlot *slot)
{
  if (--slot->ref_count > 0)
    return;
  fluid_child_spec_free (slot->spec);
  g_object_unref (slot->child);
  g_free (slot);
}

FluidSupervisor *
fluid_workers_get_supervisor (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  return priv->supervisor;
}

FluidChildSlot *
fluid_workers_get_slot (FluidWorkers *self,
                        guint         position)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  return g_ptr_array_index (priv->slots, position);
}

FluidChildSlot *
fluid_workers_find_slot (FluidWorkers *self,
                         FluidWorker  *child)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  return g_hash_table_lookup (priv->slots_by_child, child);
}

/* Keys */

/* What a slot's key is made from: the name of its first child. */
static const char *
fluid_child_slot_get_name (FluidChildSlot *slot)
{
  if (slot->spec != NULL && slot->spec->name != NULL)
    return slot->spec->name;
  return fluid_worker_get_name (slot->child);
}

/* The first "NAME#N", N from 2, that is neither a key given nor in
 * @wanted. */
static char *
fluid_workers_free_key (GHashTable *keys,
                        GHashTable *wanted,
                        const char *name)
{
  char *key = NULL;

  for (guint n = 2; key == NULL || g_hash_table_contains (keys, key) ||
                    g_hash_table_contains (wanted, key); n++)
    {
      g_free (key);
      key = g_strdup_printf ("%s#%u", name, n);
    }
  return key;
}

/* The names of the slots from @first on. */
static GHashTable *
fluid_workers_names_from (FluidWorkers *self,
                          guint         first)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  GHashTable *names = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = first; i < priv->slots->len; i++)
    g_hash_table_add (names, (gpointer) fluid_child_slot_get_name (g_ptr_array_index (priv->slots, i)));
  return names;
}

/* Gives a key to each slot that has none, in order: its name, unless a
 * slot has that key already, else the first free "NAME#N" that is not
 * the name of a slot without a key either, which then gets its own. */
static void
fluid_workers_give_keys (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  g_autoptr(GHashTable) wanted = NULL;

  if (priv->keys == NULL)
    priv->keys = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = priv->slots->len - priv->n_keyless; i < priv->slots->len; i++)
    {
      FluidChildSlot *slot = g_ptr_array_index (priv->slots, i);
      const char *name = fluid_child_slot_get_name (slot);
      char *key;

      if (!g_hash_table_contains (priv->keys, name))
        key = g_strdup (name);
      else
        {
          if (wanted == NULL)
            wanted = fluid_workers_names_from (self, i);
          key = fluid_workers_free_key (priv->keys, wanted, name);
        }
      fluid_child_slot_get_spec (slot)->key = key;
      g_hash_table_insert (priv->keys, key, slot);
    }
  priv->n_keyless = 0;
}

const char *
fluid_workers_get_slot_key (FluidWorkers   *self,
                            FluidChildSlot *slot)
{
  if (slot->spec == NULL || slot->spec->key == NULL)
    fluid_workers_give_keys (self);
  return slot->spec->key;
}

const char *
fluid_workers_get_child_key (FluidWorkers *self,
                             guint         position)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  g_return_val_if_fail (position < priv->slots->len, NULL);

  return fluid_workers_get_slot_key (self, g_ptr_array_index (priv->slots, position));
}

static void
fluid_workers_forget_key (FluidWorkers   *self,
                          FluidChildSlot *slot)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  if (slot->spec != NULL && slot->spec->key != NULL)
    g_hash_table_remove (priv->keys, slot->spec->key);
  else
    priv->n_keyless--;
}

/* GListModel */

static GType
fluid_workers_get_item_type (GListModel *model)
{
  return FLUID_TYPE_WORKER;
}

static guint
fluid_workers_get_n_items (GListModel *model)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (model));

  return priv->slots->len;
}

static gpointer
fluid_workers_get_item (GListModel *model,
                        guint       position)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (model));

  if (position >= priv->slots->len)
    return NULL;
  return g_object_ref (((FluidChildSlot *) g_ptr_array_index (priv->slots, position))->child);
}

static void
fluid_workers_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = fluid_workers_get_item_type;
  iface->get_n_items = fluid_workers_get_n_items;
  iface->get_item = fluid_workers_get_item;
}

static void
fluid_workers_items_changed (FluidWorkers *self,
                             guint         position,
                             guint         removed,
                             guint         added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Watching the children */

static void
fluid_workers_check_wait (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  GTask *task;

  if (priv->wait_task == NULL || priv->n_live > 0)
    return;

  task = g_steal_pointer (&priv->wait_task);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* Stops the group, which runs, because of @child. */
static void
fluid_workers_stop_for_child (FluidWorkers *self,
                              FluidWorker  *child,
                              const char   *reason)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  FluidWorker *worker = FLUID_WORKER (self);
  g_autofree char *why = NULL;

  /* A group stopped by a group that a child of its own stopped takes up
   * that reason as it is: it names the worker that started it all, and
   * does not grow with the depth of the tree. */
  if (FLUID_IS_WORKERS (child) &&
      ((FluidWorkersPrivate *) fluid_workers_get_instance_private (FLUID_WORKERS (child)))->stopped_for_child)
    why = g_strdup (reason);
  else
    why = g_strdup_printf ("child %s stopped: %s", fluid_worker_get_name (child), reason);
  fluid_worker_log (worker, G_LOG_LEVEL_DEBUG, "%s; stopping the group", why);
  priv->stopped_for_child = TRUE;
  fluid_worker_set_stop_reason (worker, why);
  FLUID_WORKER_GET_CLASS (self)->gracefully_stop (worker);
}

/* The child of @slot stopped while the group runs, or had stopped when
 * the group adopted it (@before_run). */
static void
fluid_workers_child_stopped (FluidWorkers   *self,
                             FluidChildSlot *slot,
                             gboolean        before_run)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  if (!fluid_worker_is_running (FLUID_WORKER (self)))
    return;
  if (!fluid_supervisor_replaces (priv->supervisor))
    fluid_workers_stop_for_child (self, slot->child,
                                  before_run ? "it had stopped before the group ran"
                                             : fluid_worker_get_stop_reason (slot->child));
  else
    fluid_supervisor_child_stopped (priv->supervisor, slot);
}

/* A child changed state: told on the group's context, whichever context
 * the child runs on. */
static void
fluid_workers_child_state_cb (FluidWorker      *child,
                              FluidWorkerState  state,
                              gpointer          user_data)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (user_data);
  FluidChildSlot *slot = g_hash_table_lookup (priv->slots_by_child, child);
  FluidWorkers *self;

  /* Watched: not a child that left the group. */
  if (slot == NULL || !slot->watched)
    return;

  /* Stopping the group may finish it: keep it until this returns. */
  self = g_object_ref (user_data);
  g_assert (priv->n_live > 0);
  priv->n_live--;
  fluid_workers_child_stopped (self, slot, FALSE);
  fluid_workers_check_wait (self);
  g_object_unref (self);
}

/* Starts the child of @slot if it has not started, and watches it from
 * the group's context. Called while the group runs, on its context,
 * which is the thread-default. */
static void
fluid_workers_adopt (FluidWorkers   *self,
                     FluidChildSlot *slot)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  FluidWorker *child = slot->child;
  FluidWorkerState state;

  /* One observer for every child: the group learns which from the event. */
  if (priv->children_observer == NULL)
    priv->children_observer = fluid_observer_new (fluid_worker_get_context (FLUID_WORKER (self)),
                                                  FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_STOPPED) |
                                                  FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_FORCE_STOPPED),
                                                  (FluidObserverFunc) fluid_workers_child_state_cb,
                                                  self);

  fluid_worker_add_observer (child, priv->children_observer, &state);
  if (state == FLUID_WORKER_STATE_STOPPED || state == FLUID_WORKER_STATE_FORCE_STOPPED)
    {
      fluid_worker_remove_observer (child, priv->children_observer);
      fluid_workers_child_stopped (self, slot, TRUE);
      return;
    }

  slot->watched = TRUE;
  priv->n_live++;
  if (state == FLUID_WORKER_STATE_INIT)
    fluid_worker_start (child);
}

/* Adopts @slot on the group's context, if the group runs: for a child
 * that comes while it runs. FALSE when it does not. */
static gboolean
fluid_workers_adopt_in_context (FluidWorkers   *self,
                                FluidChildSlot *slot)
{
  GMainContext *context = fluid_worker_get_context (FLUID_WORKER (self));

  if (!fluid_worker_is_running (FLUID_WORKER (self)))
    return FALSE;
  g_main_context_push_thread_default (context);
  fluid_workers_adopt (self, slot);
  g_main_context_pop_thread_default (context);
  return TRUE;
}

/* The child of @slot joins the group's table, and its parents. */
static void
fluid_workers_hold (FluidWorkers   *self,
                    FluidChildSlot *slot)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  g_hash_table_insert (priv->slots_by_child, slot->child, slot);
  /* The status and a supervisor's child spec know it by its name. */
  fluid_worker_fix_name (slot->child);
  if (FLUID_IS_WORKERS (slot->child))
    {
      FluidWorkersPrivate *child_priv = fluid_workers_get_instance_private (FLUID_WORKERS (slot->child));

      g_ptr_array_add (child_priv->parents, self);
    }
}

/* The child of @slot leaves: no longer watched, nor a member, and it
 * forgets the group as a parent. */
static void
fluid_workers_release (FluidWorkers   *self,
                       FluidChildSlot *slot)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  FluidWorker *child = slot->child;

  if (slot->watched)
    {
      fluid_worker_remove_observer (child, priv->children_observer);
      if (!fluid_worker_is_stopped (child))
        priv->n_live--;
      slot->watched = FALSE;
    }
  g_hash_table_remove (priv->slots_by_child, child);
  if (FLUID_IS_WORKERS (child))
    {
      FluidWorkersPrivate *child_priv = fluid_workers_get_instance_private (FLUID_WORKERS (child));

      g_ptr_array_remove_fast (child_priv->parents, self);
    }
}

/* @slot leaves the group, with its child and its spec; the positions
 * after it move down. */
void
fluid_workers_remove_slot (FluidWorkers   *self,
                           FluidChildSlot *slot)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  guint position = slot->position;
  FluidChildSpec *spec;

  g_assert (slot->in_group && g_ptr_array_index (priv->slots, position) == slot);

  g_ptr_array_steal_index (priv->slots, position);
  for (guint i = position; i < priv->slots->len; i++)
    ((FluidChildSlot *) g_ptr_array_index (priv->slots, i))->position = i;
  fluid_workers_release (self, slot);
  fluid_workers_forget_key (self, slot);
  slot->in_group = FALSE;
  spec = g_steal_pointer (&slot->spec);

  fluid_workers_items_changed (self, position, 1, 0);
  /* The factory's data is freed once the group no longer needs it. */
  fluid_child_spec_free (spec);
  fluid_child_slot_unref (slot);
}

/* @child takes the place of the child of @slot, keeping its spec and
 * key, and is started; then child-restarted. */
void
fluid_workers_replace_child (FluidWorkers   *self,
                             FluidChildSlot *slot,
                             FluidWorker    *child)
{
  g_autoptr(FluidWorker) old_child = NULL;

  g_assert (slot->in_group);

  fluid_workers_release (self, slot);
  old_child = g_steal_pointer (&slot->child);
  slot->child = g_object_ref (child);
  fluid_workers_hold (self, slot);
  fluid_workers_items_changed (self, slot->position, 1, 1);

  /* The handlers of items-changed may have changed the group: the child
   * is started, and announced, only if it is still there and the group
   * still runs. */
  if (slot->in_group && slot->child == child && !slot->watched &&
      fluid_workers_adopt_in_context (self, slot))
    g_signal_emit (self, signals[SIGNAL_CHILD_RESTARTED], 0, old_child, child);
}

/* Asks every child that runs to shut down; each is forced after its own
 * grace period. The group has stopped running: its slots only grow
 * meanwhile (a handler that adds a child), never move. */
static void
fluid_workers_shutdown_children (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  for (guint i = 0; i < priv->slots->len; i++)
    {
      FluidWorker *child = ((FluidChildSlot *) g_ptr_array_index (priv->slots, i))->child;

      /* On the child's own context: at once when it is the group's. */
      if (fluid_worker_has_started (child) && !fluid_worker_is_stopped (child))
        fluid_worker_request_shutdown (child);
    }
}

static void
fluid_workers_wait_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(FluidWorkers) self = user_data;
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  const GError *give_up_error = fluid_supervisor_get_error (priv->supervisor);
  GError *error = NULL;
  GTask *task;

  /* A finisher that fails without saying why (one that refused a result
   * not its own) fails all the same. */
  if (!FLUID_WORKERS_GET_CLASS (self)->wait_for_workers_finish (self, result, &error) && error == NULL)
    error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                         "%s: waiting for the workers failed", fluid_worker_get_name (FLUID_WORKER (self)));

  g_cancellable_disconnect (g_task_get_cancellable (priv->run_task), priv->cancelled_id);
  priv->cancelled_id = 0;

  task = g_steal_pointer (&priv->run_task);
  /* A group that gave up ends with why, after its children stopped. */
  if (error == NULL && give_up_error != NULL)
    error = g_error_copy (give_up_error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
fluid_workers_begin_wait (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  g_assert (priv->run_task != NULL);

  if (priv->waiting)
    return;
  priv->waiting = TRUE;

  FLUID_WORKERS_GET_CLASS (self)->wait_for_workers_async (self,
                                                          g_task_get_cancellable (priv->run_task),
                                                          fluid_workers_wait_cb,
                                                          g_object_ref (self));
}

/* The group was forced to stop: whatever order a subclass imposes, no
 * child may outlive it for longer than its own grace period. */
static void
fluid_workers_cancelled_cb (GCancellable *cancellable,
                            gpointer      user_data)
{
  fluid_workers_shutdown_children (user_data);
}

/* FluidWorker */

/* Adopts every child, in order. A child that had stopped may stop the
 * group, or, under a restart strategy, leave or be replaced meanwhile:
 * the slots are those of the start, each adopted once if still there. */
static void
fluid_workers_adopt_all (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  FluidWorker *worker = FLUID_WORKER (self);
  GMainContext *context = fluid_worker_get_context (worker);
  g_autoptr(GPtrArray) slots = g_ptr_array_new_full (priv->slots->len,
                                                     (GDestroyNotify) fluid_child_slot_unref);

  for (guint i = 0; i < priv->slots->len; i++)
    g_ptr_array_add (slots, fluid_child_slot_ref (g_ptr_array_index (priv->slots, i)));
  g_main_context_push_thread_default (context);
  for (guint i = 0; i < slots->len && fluid_worker_is_running (worker); i++)
    {
      FluidChildSlot *slot = g_ptr_array_index (slots, i);

      if (slot->in_group && !slot->watched)
        fluid_workers_adopt (self, slot);
    }
  g_main_context_pop_thread_default (context);
}

static void
fluid_workers_run_async (FluidWorker         *worker,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  FluidWorkers *self = FLUID_WORKERS (worker);
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  GTask *task;

  task = g_task_new (worker, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_workers_run_async);
  g_task_set_name (task, "[fluid] workers run");

  g_assert (priv->run_task == NULL);
  priv->run_task = task;
  priv->supervising = TRUE;

  if (cancellable != NULL)
    priv->cancelled_id = g_cancellable_connect (cancellable,
                                                G_CALLBACK (fluid_workers_cancelled_cb),
                                                self, NULL);

  /* A child that stops at once stops the group, which then starts no more
   * children. The run task keeps @self alive meanwhile. */
  fluid_workers_adopt_all (self);

  if (!fluid_worker_is_running (worker))
    fluid_workers_begin_wait (self);
}

static gboolean
fluid_workers_run_finish (FluidWorker   *worker,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fluid_workers_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The group follows its own lifecycle as it follows its children's:
 * once STOPPING, it shuts its children down. Told through the observers'
 * queue, so that stopping a tree 20 000 deep does not nest 20 000 calls. */
static void
fluid_workers_own_state_cb (FluidWorker      *worker,
                            FluidWorkerState  state,
                            gpointer          user_data)
{
  FluidWorkers *self = FLUID_WORKERS (worker);
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  if (state != FLUID_WORKER_STATE_STOPPING)
    return;
  fluid_supervisor_stop (priv->supervisor);
  if (priv->run_task != NULL)
    fluid_workers_begin_wait (self);
}

static void
fluid_workers_constructed (GObject *object)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (object));

  G_OBJECT_CLASS (fluid_workers_parent_class)->constructed (object);

  priv->own_observer = fluid_worker_observe (FLUID_WORKER (object), NULL,
                                             FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_STOPPING),
                                             fluid_workers_own_state_cb, NULL, NULL);
}

static guint
fluid_workers_get_num_workers (FluidWorker *worker)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (worker));

  return priv->slots->len;
}

/* Status: the children's, collected concurrently */

/* A child's part of the group's status: its key and restarts, taken when
 * asked (children may be replaced or leave before every status came), and
 * its status when it comes; @task is held until then. */
typedef struct
{
  GTask    *task;
  char     *key;
  guint     restarts;
  GVariant *status;
} ChildStatus;

typedef struct
{
  ChildStatus *children;
  guint        n_children;
  guint        n_pending;
  GError      *error;
} StatusData;

static void
status_data_free (StatusData *data)
{
  for (guint i = 0; i < data->n_children; i++)
    {
      g_free (data->children[i].key);
      g_clear_pointer (&data->children[i].status, g_variant_unref);
    }
  g_free (data->children);
  g_clear_error (&data->error);
  g_free (data);
}

static void
fluid_workers_status_complete (GTask *task)
{
  StatusData *data = g_task_get_task_data (task);
  GVariantBuilder builder;

  if (data->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&data->error));
      return;
    }

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; i < data->n_children; i++)
    {
      ChildStatus *child = &data->children[i];
      g_auto(GVariantDict) child_status = G_VARIANT_DICT_INIT (child->status);

      g_variant_dict_insert (&child_status, "restarts", "u", child->restarts);
      g_variant_builder_add (&builder, "{sv}", child->key, g_variant_dict_end (&child_status));
    }
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&builder)),
                         (GDestroyNotify) g_variant_unref);
}

static void
fluid_workers_child_status_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  ChildStatus *child = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&child->task);
  StatusData *data = g_task_get_task_data (task);
  GError *error = NULL;

  child->status = fluid_worker_status_finish (FLUID_WORKER (source), result, &error);
  if (child->status == NULL)
    {
      if (data->error == NULL)
        data->error = error;
      else
        g_clear_error (&error);
      child->status = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
    }

  if (--data->n_pending == 0)
    fluid_workers_status_complete (task);
}

static void
fluid_workers_status_async (FluidWorker         *worker,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  FluidWorkers *self = FLUID_WORKERS (worker);
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  g_autoptr(GTask) task = g_task_new (worker, cancellable, callback, user_data);
  g_autoptr(GPtrArray) workers = g_ptr_array_new_with_free_func (g_object_unref);
  StatusData *data = g_new0 (StatusData, 1);

  g_task_set_source_tag (task, fluid_workers_status_async);
  g_task_set_name (task, "[fluid] workers status");
  g_task_set_task_data (task, data, (GDestroyNotify) status_data_free);

  data->n_children = priv->slots->len;
  data->children = g_new0 (ChildStatus, data->n_children);
  for (guint i = 0; i < data->n_children; i++)
    {
      FluidChildSlot *slot = g_ptr_array_index (priv->slots, i);

      data->children[i].task = g_object_ref (task);
      data->children[i].key = g_strdup (fluid_workers_get_child_key (self, i));
      data->children[i].restarts = slot->spec != NULL ? slot->spec->restarts : 0;
      g_ptr_array_add (workers, g_object_ref (slot->child));
    }
  /* One more, released below, so that children answering at once do not
   * complete the task before every child was asked. */
  data->n_pending = data->n_children + 1;

  for (guint i = 0; i < data->n_children; i++)
    fluid_worker_status_async (g_ptr_array_index (workers, i), cancellable,
                               fluid_workers_child_status_cb, &data->children[i]);

  if (--data->n_pending == 0)
    fluid_workers_status_complete (task);
}

static GVariant *
fluid_workers_status_finish (FluidWorker   *worker,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fluid_workers_status_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Default wait_for_workers: every child at once */

static void
fluid_workers_real_wait_for_workers_async (FluidWorkers        *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  GTask *task;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_workers_real_wait_for_workers_async);
  g_task_set_name (task, "[fluid] workers wait for workers");
  /* It completes when the children have stopped, forced or not. */
  g_task_set_check_cancellable (task, FALSE);

  if (priv->wait_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "%s is already waiting for its workers",
                               fluid_worker_get_name (FLUID_WORKER (self)));
      g_object_unref (task);
      return;
    }

  priv->wait_task = task;

  /* Stopping a child may complete the wait, and the wait the group. */
  g_object_ref (self);
  fluid_workers_shutdown_children (self);
  fluid_workers_check_wait (self);
  g_object_unref (self);
}

static gboolean
fluid_workers_real_wait_for_workers_finish (FluidWorkers  *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        fluid_workers_real_wait_for_workers_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GObject */

static void
fluid_workers_dispose (GObject *object)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (object));

  if (priv->own_observer != NULL)
    {
      fluid_worker_unobserve (FLUID_WORKER (object), priv->own_observer);
      priv->own_observer = NULL;
    }

  /* Children that outlive the group must not call back into it. */
  if (priv->children_observer != NULL)
    {
      fluid_observer_cancel (priv->children_observer);
      for (guint i = 0; i < priv->slots->len; i++)
        {
          FluidChildSlot *slot = g_ptr_array_index (priv->slots, i);

          if (slot->watched)
            fluid_worker_remove_observer (slot->child, priv->children_observer);
          slot->watched = FALSE;
        }
      g_clear_pointer (&priv->children_observer, fluid_observer_unref);
    }
  priv->supervising = FALSE;
  /* No replacement waits for a group that is going away. */
  fluid_supervisor_stop (priv->supervisor);

  G_OBJECT_CLASS (fluid_workers_parent_class)->dispose (object);
}

static void
fluid_workers_finalize (GObject *object)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (object));

  g_assert (priv->run_task == NULL);
  g_assert (priv->wait_task == NULL);

  for (guint i = 0; i < priv->slots->len; i++)
    {
      FluidChildSlot *slot = g_ptr_array_index (priv->slots, i);

      slot->in_group = FALSE;
      if (FLUID_IS_WORKERS (slot->child))
        {
          FluidWorkersPrivate *child_priv = fluid_workers_get_instance_private (FLUID_WORKERS (slot->child));

          g_ptr_array_remove_fast (child_priv->parents, object);
        }
    }
  g_hash_table_unref (priv->slots_by_child);
  g_clear_pointer (&priv->keys, g_hash_table_unref);
  g_ptr_array_unref (priv->parents);
  g_ptr_array_unref (priv->slots);
  fluid_supervisor_free (priv->supervisor);

  G_OBJECT_CLASS (fluid_workers_parent_class)->finalize (object);
}

static void
fluid_workers_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  FluidWorkers *self = FLUID_WORKERS (object);

  switch (prop_id)
    {
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, FLUID_TYPE_WORKER);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self)));
      break;

    default:
      if (!fluid_supervisor_get_property (fluid_workers_get_supervisor (self), prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_workers_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  FluidWorkers *self = FLUID_WORKERS (object);

  if (!fluid_supervisor_set_property (self, prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
fluid_workers_class_init (FluidWorkersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FluidWorkerClass *worker_class = FLUID_WORKER_CLASS (klass);

  object_class->constructed = fluid_workers_constructed;
  object_class->get_property = fluid_workers_get_property;
  object_class->set_property = fluid_workers_set_property;
  object_class->dispose = fluid_workers_dispose;
  object_class->finalize = fluid_workers_finalize;

  worker_class->run_async = fluid_workers_run_async;
  worker_class->run_finish = fluid_workers_run_finish;
  worker_class->status_async = fluid_workers_status_async;
  worker_class->status_finish = fluid_workers_status_finish;
  worker_class->get_num_workers = fluid_workers_get_num_workers;
  worker_class->add_metrics = fluid_workers_add_metrics;

  klass->wait_for_workers_async = fluid_workers_real_wait_for_workers_async;
  klass->wait_for_workers_finish = fluid_workers_real_wait_for_workers_finish;

  /**
   * FluidWorkers:item-type:
   *
   * The type of the items of the list model: #FluidWorker.
   *
   * Since: 1.2
   */
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", "Item type", "The type of the children",
                        FLUID_TYPE_WORKER,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorkers:n-items:
   *
   * The number of children, as g_list_model_get_n_items() gives it;
   * notified after #GListModel::items-changed.
   *
   * Since: 1.2
   */
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", "Number of items", "The number of children",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
  fluid_supervisor_install_properties (object_class, N_PROPS);

  /**
   * FluidWorkers::child-restarted:
   * @self: the group
   * @old_child: the child that stopped
   * @new_child: its replacement, started, at its position
   *
   * Emitted when a child was replaced, after #GListModel::items-changed.
   * Its class handler is the `child_restarted` virtual method.
   *
   * Since: 1.2
   */
  signals[SIGNAL_CHILD_RESTARTED] =
    g_signal_new ("child-restarted",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (FluidWorkersClass, child_restarted),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, FLUID_TYPE_WORKER, FLUID_TYPE_WORKER);
}

static void
fluid_workers_init (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  priv->slots = g_ptr_array_new_with_free_func ((GDestroyNotify) fluid_child_slot_unref);
  priv->slots_by_child = g_hash_table_new (NULL, NULL);
  priv->parents = g_ptr_array_new ();
  priv->supervisor = fluid_supervisor_new (self);
}

/* Public API */

/**
 * fluid_workers_new:
 *
 * Creates an empty group of workers; add children with
 * fluid_workers_add_worker().
 *
 * Returns: (transfer full): a new #FluidWorkers
 *
 * Since: 1.0
 */
FluidWorkers *
fluid_workers_new (void)
{
  return g_object_new (FLUID_TYPE_WORKERS, NULL);
}

/**
 * fluid_workers_new_with_workers: (skip)
 * @first_worker: (nullable): the first child, or %NULL
 * @...: more children, then %NULL
 *
 * Creates a group of the workers given, in that order, as
 * fluid_workers_add_worker() adds them. Bindings use fluid_workers_new()
 * then fluid_workers_add_workers().
 *
 * Returns: (transfer full): a new #FluidWorkers
 *
 * Since: 1.0
 */
FluidWorkers *
fluid_workers_new_with_workers (FluidWorker *first_worker,
                                ...)
{
  FluidWorkers *self = fluid_workers_new ();
  FluidWorker *worker;
  va_list args;

  va_start (args, first_worker);
  for (worker = first_worker; worker != NULL; worker = va_arg (args, FluidWorker *))
    fluid_workers_add_worker (self, worker);
  va_end (args);

  return self;
}

/* Whether @group is @ancestor or lies below it: a walk up the parents of
 * @group, so that adding a new group to a deep tree, or a deep tree to a
 * new group, costs nothing like the size of the tree. */
gboolean
fluid_workers_is_below (FluidWorkers *group,
                        FluidWorkers *ancestor)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (ancestor);
  g_autoptr(GPtrArray) to_visit = NULL;
  g_autoptr(GHashTable) visited = NULL;

  /* Without children, @ancestor is above nothing. */
  if (group == ancestor)
    return TRUE;
  if (priv->slots->len == 0)
    return FALSE;

  to_visit = g_ptr_array_new ();
  visited = g_hash_table_new (NULL, NULL);
  g_ptr_array_add (to_visit, group);
  while (to_visit->len > 0)
    {
      FluidWorkers *next = g_ptr_array_steal_index_fast (to_visit, to_visit->len - 1);
      FluidWorkersPrivate *next_priv = fluid_workers_get_instance_private (next);

      if (next == ancestor)
        return TRUE;
      if (!g_hash_table_add (visited, next))
        continue;
      for (guint i = 0; i < next_priv->parents->len; i++)
        g_ptr_array_add (to_visit, g_ptr_array_index (next_priv->parents, i));
    }
  return FALSE;
}

/* Adds @worker, made from @spec (taken; NULL for a plain worker), at the
 * end. */
void
fluid_workers_add_with_spec (FluidWorkers   *self,
                             FluidWorker    *worker,
                             FluidChildSpec *spec)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  g_autoptr(FluidChildSlot) slot = NULL;

  if (g_hash_table_contains (priv->slots_by_child, worker))
    {
      fluid_child_spec_free (spec);
      return;
    }

  if (FLUID_IS_WORKERS (worker) && fluid_workers_is_below (self, FLUID_WORKERS (worker)))
    {
      g_critical ("%s: cannot add %s to %s, which it contains",
                  G_STRFUNC, fluid_worker_get_name (worker),
                  fluid_worker_get_name (FLUID_WORKER (self)));
      fluid_child_spec_free (spec);
      return;
    }

  /* One reference for the group, one while handlers of items-changed run. */
  slot = fluid_child_slot_new (worker, spec, priv->slots->len);
  g_ptr_array_add (priv->slots, fluid_child_slot_ref (slot));
  priv->n_keyless++;
  fluid_workers_hold (self, slot);
  fluid_workers_items_changed (self, slot->position, 0, 1);

  if (priv->supervising && slot->in_group)
    {
      g_object_ref (self);
      fluid_workers_adopt_in_context (self, slot);
      g_object_unref (self);
    }
}

/**
 * fluid_workers_add_worker:
 * @self: a #FluidWorkers
 * @worker: the worker to add
 *
 * Adds @worker at the end of the group's children and emits
 * #GListModel::items-changed. When the group runs, @worker is started at
 * once (unless it has started already) and supervised; a worker added to a
 * group that is stopping or has stopped is listed but not started.
 *
 * Adding a child twice keeps it once. A group cannot be added to itself nor
 * to one of its descendants.
 *
 * Call it from the group's main context.
 *
 * Since: 1.0
 */
void
fluid_workers_add_worker (FluidWorkers *self,
                          FluidWorker  *worker)
{
  g_return_if_fail (FLUID_IS_WORKERS (self));
  g_return_if_fail (FLUID_IS_WORKER (worker));
  g_return_if_fail ((gpointer) worker != (gpointer) self);

  /* Temporary: its spec is made if the supervisor needs one. */
  fluid_workers_add_with_spec (self, worker, NULL);
}

/**
 * fluid_workers_add_workers:
 * @self: a #FluidWorkers
 * @workers: (array length=n_workers): the workers to add
 * @n_workers: the number of workers in @workers
 *
 * Adds each of @workers in turn, as fluid_workers_add_worker() does.
 *
 * Since: 1.0
 */
void
fluid_workers_add_workers (FluidWorkers  *self,
                           FluidWorker  **workers,
                           guint          n_workers)
{
  g_return_if_fail (FLUID_IS_WORKERS (self));
  g_return_if_fail (workers != NULL || n_workers == 0);

  for (guint i = 0; i < n_workers; i++)
    fluid_workers_add_worker (self, workers[i]);
}
