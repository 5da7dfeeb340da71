/* fluid-workers.c: a supervised group of workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-workers.h"
#include "fluid-workers-private.h"

#include <math.h>

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
 * waiting for their delay.
 *
 * Its status maps the name of each child to the status of the child, with
 * the key `restarts` (u): how many times it was replaced. A replacement is
 * listed under the name of the first child of its position. When two
 * children share a name, the second is listed as "NAME#2", the third as
 * "NAME#3", and so on.
 *
 * |[<!-- language="C" -->
 * g_autoptr(FluidWorkers) group = fluid_workers_new_with_workers (reader, writer, NULL);
 *
 * fluid_worker_startup_async (FLUID_WORKER (group), NULL, NULL, NULL);
 * ]|
 */


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

FluidWorkersPrivate *
fluid_workers_get_priv (FluidWorkers *self)
{
  return fluid_workers_get_instance_private (self);
}

/* Gives the child at @position its spec (taken), making the array of
 * specs on the first. */
void
fluid_workers_set_spec (FluidWorkers   *self,
                        guint           position,
                        FluidChildSpec *spec)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  if (priv->specs == NULL)
    {
      priv->specs = g_ptr_array_new_full (priv->children->len, (GDestroyNotify) fluid_child_spec_free);
      g_ptr_array_set_size (priv->specs, priv->children->len);
    }
  g_assert (g_ptr_array_index (priv->specs, position) == NULL);
  priv->specs->pdata[position] = spec;
}

void
fluid_workers_notify (FluidWorkers *self,
                      guint         prop_id)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
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

  return priv->children->len;
}

static gpointer
fluid_workers_get_item (GListModel *model,
                        guint       position)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (model));

  if (position >= priv->children->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (priv->children, position));
}

static void
fluid_workers_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = fluid_workers_get_item_type;
  iface->get_n_items = fluid_workers_get_n_items;
  iface->get_item = fluid_workers_get_item;
}

/* Supervision */

void
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

/* Stops the group because of @child, unless it is stopping already. */
static void
fluid_workers_stop_for_child (FluidWorkers *self,
                              FluidWorker  *child,
                              const char   *reason)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  FluidWorker *worker = FLUID_WORKER (self);
  g_autofree char *why = NULL;

  if (!fluid_worker_is_running (worker))
    return;

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

/* A child changed state: told on the group's context, whichever context
 * the child runs on. */
static void
fluid_workers_child_state_cb (FluidWorker      *child,
                              FluidWorkerState  state,
                              gpointer          user_data)
{
  FluidWorkers *self;
  FluidWorkersPrivate *priv;

  if (state != FLUID_WORKER_STATE_STOPPED && state != FLUID_WORKER_STATE_FORCE_STOPPED)
    return;
  /* Watched: not a child that left the group. */
  if (!GPOINTER_TO_INT (g_hash_table_lookup (
        ((FluidWorkersPrivate *) fluid_workers_get_instance_private (user_data))->members, child)))
    return;

  /* Stopping the group may finish it: keep it until this returns. */
  self = g_object_ref (user_data);
  priv = fluid_workers_get_instance_private (self);

  g_assert (priv->n_live > 0);
  priv->n_live--;

  if (priv->strategy == FLUID_RESTART_STRATEGY_STOP_ALL)
    fluid_workers_stop_for_child (self, child, fluid_worker_get_stop_reason (child));
  else if (fluid_worker_is_running (FLUID_WORKER (self)))
    fluid_supervisor_child_stopped (self, child);
  fluid_workers_check_wait (self);
  g_object_unref (self);
}

/* Starts the child at @position if it has not started, and watches it
 * from the group's context. Called on the group's context, which is the
 * thread-default. */
void
fluid_workers_adopt (FluidWorkers *self,
                     guint         position)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  GMainContext *context = fluid_worker_get_context (FLUID_WORKER (self));
  FluidWorker *child = g_ptr_array_index (priv->children, position);
  FluidChildSpec *spec = fluid_workers_spec_at (priv, position);
  FluidWorkerState state;

  /* One observer for every child: the group learns which from the event. */
  if (priv->children_observer == NULL)
    priv->children_observer = fluid_observer_new (context,
                                                  FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_STOPPED) |
                                                  FLUID_OBSERVER_EVENT (FLUID_WORKER_STATE_FORCE_STOPPED),
                                                  (FluidObserverFunc) fluid_workers_child_state_cb,
                                                  self);

  if (spec != NULL)
    spec->started_at = g_get_monotonic_time ();
  fluid_worker_add_observer (child, priv->children_observer, &state);
  if (state == FLUID_WORKER_STATE_STOPPED || state == FLUID_WORKER_STATE_FORCE_STOPPED)
    {
      fluid_worker_remove_observer (child, priv->children_observer);
      if (priv->strategy == FLUID_RESTART_STRATEGY_STOP_ALL)
        fluid_workers_stop_for_child (self, child, "it had stopped before the group ran");
      else
        fluid_supervisor_child_stopped (self, child);
      return;
    }

  g_hash_table_insert (priv->members, child, GINT_TO_POINTER (TRUE));
  priv->n_live++;

  if (state == FLUID_WORKER_STATE_INIT)
    fluid_worker_start (child);
}

/* Stops watching @child, which leaves the group, and forgets it as a
 * parent. */
static void
fluid_workers_release (FluidWorkers *self,
                       FluidWorker  *child)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  if (GPOINTER_TO_INT (g_hash_table_lookup (priv->members, child)))
    {
      fluid_worker_remove_observer (child, priv->children_observer);
      if (!fluid_worker_is_stopped (child))
        priv->n_live--;
    }
  g_hash_table_remove (priv->members, child);
  if (FLUID_IS_WORKERS (child))
    g_ptr_array_remove_fast (fluid_workers_get_priv (FLUID_WORKERS (child))->parents, self);
}

static void
fluid_workers_hold (FluidWorkers *self,
                    FluidWorker  *child)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  g_hash_table_insert (priv->members, child, GINT_TO_POINTER (FALSE));
  /* The status and a supervisor's child spec know it by its name. */
  fluid_worker_fix_name (child);
  if (FLUID_IS_WORKERS (child))
    g_ptr_array_add (fluid_workers_get_priv (FLUID_WORKERS (child))->parents, self);
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

/* The child at @position leaves the group, with its spec. */
void
fluid_workers_remove_at (FluidWorkers *self,
                         guint         position)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  g_autoptr(FluidWorker) child = g_ptr_array_steal_index (priv->children, position);

  fluid_workers_release (self, child);
  if (priv->specs != NULL)
    g_ptr_array_remove_index (priv->specs, position);
  fluid_workers_items_changed (self, position, 1, 0);
}

/* @child takes the place of the child at @position, with its spec, and is
 * started. */
void
fluid_workers_replace_at (FluidWorkers *self,
                          guint         position,
                          FluidWorker  *child)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  GMainContext *context = fluid_worker_get_context (FLUID_WORKER (self));
  FluidWorker *old_child = g_ptr_array_index (priv->children, position);

  fluid_workers_release (self, old_child);
  priv->children->pdata[position] = g_object_ref (child);
  g_object_unref (old_child);
  fluid_workers_hold (self, child);
  fluid_workers_items_changed (self, position, 1, 1);

  g_main_context_push_thread_default (context);
  fluid_workers_adopt (self, position);
  g_main_context_pop_thread_default (context);
}

void
fluid_workers_emit_child_restarted (FluidWorkers *self,
                                    FluidWorker  *old_child,
                                    FluidWorker  *new_child)
{
  g_signal_emit (self, signals[SIGNAL_CHILD_RESTARTED], 0, old_child, new_child);
}

/* Asks every child that runs to shut down; each is forced after its own
 * grace period. */
static void
fluid_workers_shutdown_children (FluidWorkers *self)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);

  for (guint i = 0; i < priv->children->len; i++)
    {
      FluidWorker *child = g_ptr_array_index (priv->children, i);

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
  GError *error = NULL;
  GTask *task;

  if (!FLUID_WORKERS_GET_CLASS (self)->wait_for_workers_finish (self, result, &error))
    g_assert (error != NULL);

  g_cancellable_disconnect (g_task_get_cancellable (priv->run_task), priv->cancelled_id);
  priv->cancelled_id = 0;

  task = g_steal_pointer (&priv->run_task);
  /* A group that gave up ends with why, after its children stopped. */
  if (error == NULL && priv->give_up_error != NULL)
    error = g_error_copy (priv->give_up_error);
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

static void
fluid_workers_run_async (FluidWorker         *worker,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  FluidWorkers *self = FLUID_WORKERS (worker);
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  GMainContext *context = fluid_worker_get_context (worker);
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
  /* Under a restart strategy, a child that had stopped may leave the
   * group or be replaced meanwhile. */
  g_main_context_push_thread_default (context);
  for (guint i = 0; i < priv->children->len && fluid_worker_is_running (worker);)
    {
      FluidWorker *child = g_ptr_array_index (priv->children, i);

      fluid_workers_adopt (self, i);
      /* It left, and the next child took its place: not adopted yet. */
      if (i < priv->children->len && g_ptr_array_index (priv->children, i) != child &&
          !GPOINTER_TO_INT (g_hash_table_lookup (priv->members, g_ptr_array_index (priv->children, i))))
        continue;
      i++;
    }
  g_main_context_pop_thread_default (context);

  if (!fluid_worker_is_running (worker))
    fluid_workers_begin_wait (self);
}

static gboolean
fluid_workers_run_finish (FluidWorker   *worker,
                          GAsyncResult  *result,
                          GError       **error)
{
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
  fluid_supervisor_stop (self);
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

  return priv->children->len;
}

/* Status: the children's, collected concurrently */

/* The children's names and restarts are taken when asked: children may be
 * replaced or leave before every status came. */
typedef struct
{
  GVariant **statuses;
  char     **names;
  guint     *restarts;
  guint      n_children;
  guint      n_pending;
  GError    *error;
} StatusData;

static void
status_data_free (StatusData *data)
{
  for (guint i = 0; i < data->n_children; i++)
    g_clear_pointer (&data->statuses[i], g_variant_unref);
  g_free (data->statuses);
  g_strfreev (data->names);
  g_free (data->restarts);
  g_clear_error (&data->error);
  g_free (data);
}

static void
fluid_workers_status_complete (GTask *task)
{
  StatusData *data = g_task_get_task_data (task);
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GHashTable) firsts = g_hash_table_new (g_str_hash, g_str_equal);
  GVariantBuilder builder;

  if (data->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&data->error));
      return;
    }

  /* Keys are the children's names; a name that comes again gets the
   * first free "NAME#N", free of every child's own name too: two `x` and an
   * `x#2` give `x`, `x#3` and `x#2`. */
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < data->n_children; i++)
    g_hash_table_add (seen, g_strdup (data->names[i]));
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; i < data->n_children; i++)
    {
      const char *name = data->names[i];
      g_autofree char *key = NULL;
      g_auto(GVariantDict) child_status = G_VARIANT_DICT_INIT (data->statuses[i]);

      g_variant_dict_insert (&child_status, "restarts", "u", data->restarts[i]);
      g_clear_pointer (&data->statuses[i], g_variant_unref);
      data->statuses[i] = g_variant_ref_sink (g_variant_dict_end (&child_status));

      if (!g_hash_table_contains (firsts, name))
        {
          g_hash_table_add (firsts, (gpointer) name);
          g_variant_builder_add (&builder, "{sv}", name, data->statuses[i]);
          continue;
        }
      for (guint n = 2; key == NULL || g_hash_table_contains (seen, key); n++)
        {
          g_free (key);
          key = g_strdup_printf ("%s#%u", name, n);
        }
      g_hash_table_add (seen, g_strdup (key));
      g_variant_builder_add (&builder, "{sv}", key, data->statuses[i]);
    }

  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&builder)),
                         (GDestroyNotify) g_variant_unref);
}

typedef struct
{
  GTask *task;
  guint  position;
} ChildStatus;

static void
fluid_workers_child_status_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  ChildStatus *child_status = user_data;
  g_autoptr(GTask) task = child_status->task;
  StatusData *data = g_task_get_task_data (task);
  guint position = child_status->position;
  GError *error = NULL;
  GVariant *status = fluid_worker_status_finish (FLUID_WORKER (source), result, &error);

  g_free (child_status);
  g_assert (position < data->n_children);

  if (status == NULL)
    {
      if (data->error == NULL)
        data->error = error;
      else
        g_clear_error (&error);
      status = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
    }
  data->statuses[position] = status;

  if (--data->n_pending == 0)
    fluid_workers_status_complete (task);
}

static void
fluid_workers_status_async (FluidWorker         *worker,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (worker));
  g_autoptr(GTask) task = g_task_new (worker, cancellable, callback, user_data);
  StatusData *data = g_new0 (StatusData, 1);

  g_task_set_source_tag (task, fluid_workers_status_async);
  g_task_set_name (task, "[fluid] workers status");
  g_task_set_task_data (task, data, (GDestroyNotify) status_data_free);

  data->n_children = priv->children->len;
  data->statuses = g_new0 (GVariant *, data->n_children);
  data->names = g_new0 (char *, data->n_children + 1);
  data->restarts = g_new0 (guint, data->n_children);
  for (guint i = 0; i < data->n_children; i++)
    {
      FluidChildSpec *spec = fluid_workers_spec_at (priv, i);

      /* A plain worker has no spec: never replaced, it keeps its name. */
      data->names[i] = g_strdup (spec != NULL ? spec->name
                                              : fluid_worker_get_name (g_ptr_array_index (priv->children, i)));
      data->restarts[i] = spec != NULL ? spec->restarts : 0;
    }
  /* One more, released below, so that children answering at once do not
   * complete the task before every child was asked. */
  data->n_pending = data->n_children + 1;

  for (guint i = 0; i < data->n_children; i++)
    {
      ChildStatus *child_status = g_new (ChildStatus, 1);

      child_status->task = g_object_ref (task);
      child_status->position = i;
      fluid_worker_status_async (g_ptr_array_index (priv->children, i), cancellable,
                                 fluid_workers_child_status_cb, child_status);
    }

  if (--data->n_pending == 0)
    fluid_workers_status_complete (task);
}

static GVariant *
fluid_workers_status_finish (FluidWorker   *worker,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, worker), NULL);

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
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GObject */

static void
fluid_workers_dispose (GObject *object)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (object));
  GHashTableIter iter;
  gpointer child, watched;

  if (priv->own_observer != NULL)
    {
      fluid_worker_unobserve (FLUID_WORKER (object), priv->own_observer);
      priv->own_observer = NULL;
    }

  /* Children that outlive the group must not call back into it. */
  if (priv->children_observer != NULL)
    {
      fluid_observer_cancel (priv->children_observer);
      g_hash_table_iter_init (&iter, priv->members);
      while (g_hash_table_iter_next (&iter, &child, &watched))
        if (GPOINTER_TO_INT (watched))
          {
            fluid_worker_remove_observer (child, priv->children_observer);
            g_hash_table_iter_replace (&iter, GINT_TO_POINTER (FALSE));
          }
      g_clear_pointer (&priv->children_observer, fluid_observer_unref);
    }
  priv->supervising = FALSE;
  /* No replacement waits for a group that is going away. */
  fluid_supervisor_stop (FLUID_WORKERS (object));

  G_OBJECT_CLASS (fluid_workers_parent_class)->dispose (object);
}

static void
fluid_workers_finalize (GObject *object)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (object));

  g_assert (priv->run_task == NULL);
  g_assert (priv->wait_task == NULL);

  for (guint i = 0; i < priv->children->len; i++)
    {
      FluidWorker *child = g_ptr_array_index (priv->children, i);

      if (FLUID_IS_WORKERS (child))
        {
          FluidWorkersPrivate *child_priv = fluid_workers_get_instance_private (FLUID_WORKERS (child));

          g_ptr_array_remove_fast (child_priv->parents, object);
        }
    }
  g_hash_table_unref (priv->members);
  g_ptr_array_unref (priv->parents);
  g_ptr_array_unref (priv->children);
  g_clear_pointer (&priv->specs, g_ptr_array_unref);
  g_ptr_array_unref (priv->deferred_stops);
  g_array_unref (priv->restart_times);
  g_clear_error (&priv->give_up_error);

  G_OBJECT_CLASS (fluid_workers_parent_class)->finalize (object);
}

static void
fluid_workers_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (FLUID_WORKERS (object));

  switch (prop_id)
    {
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, FLUID_TYPE_WORKER);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, priv->children->len);
      break;

    case PROP_RESTART_STRATEGY:
      g_value_set_enum (value, priv->strategy);
      break;

    case PROP_MAX_RESTARTS:
      g_value_set_uint (value, priv->max_restarts);
      break;

    case PROP_MAX_RESTARTS_PERIOD:
      g_value_set_double (value, priv->max_restarts_period);
      break;

    case PROP_RESTART_DELAY:
      g_value_set_double (value, priv->restart_delay);
      break;

    case PROP_RESTART_DELAY_MAX:
      g_value_set_double (value, priv->restart_delay_max);
      break;

    default:
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

  switch (prop_id)
    {
    case PROP_RESTART_STRATEGY:
      fluid_workers_set_restart_strategy (self, g_value_get_enum (value));
      break;

    case PROP_MAX_RESTARTS:
      fluid_workers_set_max_restarts (self, g_value_get_uint (value));
      break;

    case PROP_MAX_RESTARTS_PERIOD:
      fluid_workers_set_max_restarts_period (self, g_value_get_double (value));
      break;

    case PROP_RESTART_DELAY:
      fluid_workers_set_restart_delay (self, g_value_get_double (value));
      break;

    case PROP_RESTART_DELAY_MAX:
      fluid_workers_set_restart_delay_max (self, g_value_get_double (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
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
   * Since: 1.2
   */
  properties[PROP_RESTART_DELAY] =
    g_param_spec_double ("restart-delay", "Restart delay", "Seconds before a first replacement",
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorkers:restart-delay-max:
   *
   * The longest a replacement waits, in seconds.
   *
   * Since: 1.2
   */
  properties[PROP_RESTART_DELAY_MAX] =
    g_param_spec_double ("restart-delay-max", "Maximum restart delay",
                         "The longest a replacement waits, in seconds",
                         0.0, G_MAXDOUBLE, 30.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

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

  priv->children = g_ptr_array_new_with_free_func (g_object_unref);
  priv->members = g_hash_table_new (NULL, NULL);
  priv->parents = g_ptr_array_new ();
  priv->deferred_stops = g_ptr_array_new_with_free_func (g_object_unref);
  priv->restart_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  priv->strategy = FLUID_RESTART_STRATEGY_STOP_ALL;
  priv->max_restarts = 3;
  priv->max_restarts_period = 5.0;
  priv->restart_delay_max = 30.0;
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
static gboolean
fluid_workers_is_below (FluidWorkers *group,
                        FluidWorkers *ancestor)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (ancestor);
  g_autoptr(GPtrArray) to_visit = NULL;
  g_autoptr(GHashTable) visited = NULL;

  /* Without children, @ancestor is above nothing. */
  if (group == ancestor)
    return TRUE;
  if (priv->children->len == 0)
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
static void
fluid_workers_add (FluidWorkers   *self,
                   FluidWorker    *worker,
                   FluidChildSpec *spec)
{
  FluidWorkersPrivate *priv = fluid_workers_get_instance_private (self);
  guint position;

  if (g_hash_table_contains (priv->members, worker))
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

  position = priv->children->len;
  g_ptr_array_add (priv->children, g_object_ref (worker));
  if (priv->specs != NULL)
    g_ptr_array_add (priv->specs, NULL);
  if (spec != NULL)
    fluid_workers_set_spec (self, position, spec);
  fluid_workers_hold (self, worker);
  fluid_workers_items_changed (self, position, 0, 1);

  if (priv->supervising && fluid_worker_is_running (FLUID_WORKER (self)))
    {
      GMainContext *context = fluid_worker_get_context (FLUID_WORKER (self));

      g_object_ref (self);
      g_main_context_push_thread_default (context);
      fluid_workers_adopt (self, position);
      g_main_context_pop_thread_default (context);
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
  fluid_workers_add (self, worker, NULL);
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
 * tried again after the delay. A worker that has started already is a
 * programming error (a critical), and counts as %NULL.
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

  spec = fluid_child_spec_new (self, restart, factory, user_data, destroy,
                               fluid_worker_get_name (worker));
  fluid_workers_add (self, worker, spec);
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
