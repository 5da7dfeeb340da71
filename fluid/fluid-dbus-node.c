/* fluid-dbus-node.c: an exported worker and, for a group, its tree
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-dbus.h"
#include "fluid-dbus-node-private.h"
#include "fluid-dbus-jobs-private.h"
#include "fluid-queue-consumer.h"
#include "fluid-worker-private.h"
#include "fluid-workers-private.h"

/* A node is a worker on the bus: its interface skeletons and what follows
 * its state. The worker given to fluid_worker_export() is the root node,
 * its skeletons exported at its path directly. When it is a group, the
 * root also owns a GDBusObjectManagerServer at that path, and every worker
 * below it, at any depth, is a node with a GDBusObjectSkeleton in that one
 * manager, at its parent's path and the child's key in its group
 * (fluid_workers_get_child_key(), the key of its group's status),
 * escaped: one GetManagedObjects() call gives a client the whole tree.
 *
 * A group's node follows #GListModel::items-changed: children that leave
 * are unexported (InterfacesRemoved), children that come are exported
 * (InterfacesAdded). A replacement (one removed, one added at the same
 * position: a restart) has the key, so the path, of the child it
 * replaces: the group keeps a key with its position.
 *
 * Every field belongs to the context of the export, where the group's
 * signals and the observers' callbacks arrive. */
struct _FluidDBusNode
{
  FluidWorker              *worker;     /* a reference */
  FluidWorker              *root;       /* the root node's worker */
  FluidDBusNode            *parent;     /* NULL at the root */
  char                     *path;
  GMainContext             *context;
  FluidDBusSkeleton        *skeletons[FLUID_DBUS_N_KINDS];
  GDBusInterfaceSkeleton   *jobs;       /* a job worker's Jobs1 (fluid-dbus-jobs.c) */
  FluidObserver            *observer;

  /* Below the root: the node's object in the manager. */
  GDBusObjectSkeleton      *object;
  /* The tree's manager, owned by the root node; NULL when the root is
   * not a group. */
  GDBusObjectManagerServer *manager;

  /* A group: its children's nodes, in the group's order. */
  GPtrArray                *children;
  gulong                    items_changed_id;
  gulong                    restarted_id;
  gulong                    strategy_id;
};

static void fluid_dbus_node_add_children (FluidDBusNode *self);

const char *
fluid_dbus_node_get_path (FluidDBusNode *self)
{
  return self->path;
}

/* The group's restarts by child, under the keys of its status and of its
 * children's paths. */
GVariant *
fluid_dbus_node_get_restarts (FluidDBusNode *self)
{
  FluidWorkers *group = FLUID_WORKERS (self->worker);
  guint n_children = g_list_model_get_n_items (G_LIST_MODEL (group));
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{su}"));
  for (guint i = 0; i < n_children; i++)
    g_variant_builder_add (&builder, "{su}", fluid_workers_get_child_key (group, i),
                           fluid_workers_get_child_restarts (group, i));
  return g_variant_builder_end (&builder);
}

/* The state changed: PropertiesChanged at once, with the outcome when it
 * stopped, after the consumer's last counters. */
static void
fluid_dbus_node_state_cb (FluidWorker      *worker,
                          FluidWorkerState  state,
                          gpointer          user_data)
{
  FluidDBusNode *self = user_data;
  FluidDBusSkeleton *skeleton = self->skeletons[FLUID_DBUS_WORKER];

  if (state != FLUID_WORKER_STATE_STOPPED && state != FLUID_WORKER_STATE_FORCE_STOPPED)
    {
      fluid_dbus_skeleton_emit_properties (skeleton, "State", NULL);
      return;
    }
  if (self->skeletons[FLUID_DBUS_CONSUMER] != NULL)
    fluid_dbus_skeleton_emit_counters (self->skeletons[FLUID_DBUS_CONSUMER]);
  fluid_dbus_skeleton_emit_properties (skeleton, "State", "ExitCode", "StopReason", NULL);
}

static void
fluid_dbus_node_restarted_cb (FluidWorkers *group,
                              FluidWorker  *old_child,
                              FluidWorker  *new_child,
                              gpointer      user_data)
{
  FluidDBusNode *self = user_data;

  fluid_dbus_skeleton_emit_properties (self->skeletons[FLUID_DBUS_WORKERS], "Restarts", NULL);
}

static void
fluid_dbus_node_strategy_cb (GObject    *group,
                             GParamSpec *pspec,
                             gpointer    user_data)
{
  FluidDBusNode *self = user_data;

  fluid_dbus_skeleton_emit_properties (self->skeletons[FLUID_DBUS_WORKERS], "RestartStrategy", NULL);
}

static FluidDBusNode *
fluid_dbus_node_new (FluidWorker   *worker,
                     FluidDBusNode *parent,
                     const char    *path,
                     GMainContext  *context)
{
  FluidDBusNode *self = g_new0 (FluidDBusNode, 1);

  /* Its Name property is not told to change. */
  fluid_worker_fix_name (worker);
  self->worker = g_object_ref (worker);
  self->root = parent != NULL ? parent->root : worker;
  self->parent = parent;
  self->path = g_strdup (path);
  self->context = g_main_context_ref (context);
  self->skeletons[FLUID_DBUS_WORKER] = fluid_dbus_skeleton_new (FLUID_DBUS_WORKER, worker,
                                                                self->root, self);
  if (FLUID_IS_QUEUE_CONSUMER (worker))
    self->skeletons[FLUID_DBUS_CONSUMER] = fluid_dbus_skeleton_new (FLUID_DBUS_CONSUMER, worker,
                                                                    self->root, self);
  if (FLUID_IS_JOB_WORKER (worker))
    self->jobs = fluid_dbus_jobs_new (FLUID_JOB_WORKER (worker));
  if (FLUID_IS_WORKERS (worker))
    {
      self->skeletons[FLUID_DBUS_WORKERS] = fluid_dbus_skeleton_new (FLUID_DBUS_WORKERS, worker,
                                                                     self->root, self);
      self->children = g_ptr_array_new ();
    }
  return self;
}

/* Once exported: the node follows its worker. */
static void
fluid_dbus_node_follow (FluidDBusNode *self)
{
  if (self->skeletons[FLUID_DBUS_CONSUMER] != NULL)
    fluid_dbus_skeleton_watch_counters (self->skeletons[FLUID_DBUS_CONSUMER], self->context);
  self->observer = fluid_worker_observe (self->worker, self->context, FLUID_OBSERVER_ALL_EVENTS,
                                         fluid_dbus_node_state_cb, self, NULL);
  if (self->children == NULL)
    return;
  self->restarted_id = g_signal_connect (self->worker, "child-restarted",
                                         G_CALLBACK (fluid_dbus_node_restarted_cb), self);
  self->strategy_id = g_signal_connect (self->worker, "notify::restart-strategy",
                                        G_CALLBACK (fluid_dbus_node_strategy_cb), self);
}

/* A child's node, exported in the tree's manager, its own children
 * after it, so that a client learns of a group before its children. */
static FluidDBusNode *
fluid_dbus_node_new_child (FluidDBusNode *self,
                           FluidWorker   *worker,
                           const char    *key)
{
  g_autofree char *element = g_dbus_escape_object_path (key);
  g_autofree char *path = NULL;
  FluidDBusNode *child;

  path = g_strconcat (self->path, "/", *element != '\0' ? element : "_", NULL);
  child = fluid_dbus_node_new (worker, self, path, self->context);
  child->manager = self->manager;
  child->object = g_dbus_object_skeleton_new (path);
  for (guint i = 0; i < FLUID_DBUS_N_KINDS; i++)
    if (child->skeletons[i] != NULL)
      g_dbus_object_skeleton_add_interface (child->object,
                                            G_DBUS_INTERFACE_SKELETON (child->skeletons[i]));
  if (child->jobs != NULL)
    g_dbus_object_skeleton_add_interface (child->object, child->jobs);
  g_dbus_object_manager_server_export (child->manager, child->object);
  if (child->children != NULL)
    fluid_dbus_node_add_children (child);
  fluid_dbus_node_follow (child);
  return child;
}

static void
fluid_dbus_node_insert_child (FluidDBusNode *self,
                              guint          position)
{
  g_autoptr(FluidWorker) worker = g_list_model_get_item (G_LIST_MODEL (self->worker), position);
  const char *key = fluid_workers_get_child_key (FLUID_WORKERS (self->worker), position);

  g_ptr_array_insert (self->children, position, fluid_dbus_node_new_child (self, worker, key));
}

static void
fluid_dbus_node_items_changed_cb (GListModel *group,
                                  guint       position,
                                  guint       removed,
                                  guint       added,
                                  gpointer    user_data)
{
  FluidDBusNode *self = user_data;

  for (guint i = 0; i < removed; i++)
    fluid_dbus_node_free (g_ptr_array_steal_index (self->children, position));
  for (guint i = 0; i < added; i++)
    fluid_dbus_node_insert_child (self, position + i);
  fluid_dbus_skeleton_emit_properties (self->skeletons[FLUID_DBUS_WORKERS], "Restarts", NULL);
}

static void
fluid_dbus_node_add_children (FluidDBusNode *self)
{
  guint n_children = g_list_model_get_n_items (G_LIST_MODEL (self->worker));

  for (guint i = 0; i < n_children; i++)
    fluid_dbus_node_insert_child (self, i);
  self->items_changed_id = g_signal_connect (self->worker, "items-changed",
                                             G_CALLBACK (fluid_dbus_node_items_changed_cb), self);
}

FluidDBusNode *
fluid_dbus_node_export (FluidWorker      *worker,
                        GDBusConnection  *connection,
                        const char       *path,
                        GMainContext     *context,
                        GError          **error)
{
  FluidDBusNode *self = fluid_dbus_node_new (worker, NULL, path, context);

  for (guint i = 0; i < FLUID_DBUS_N_KINDS; i++)
    {
      if (self->skeletons[i] != NULL &&
          !g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeletons[i]),
                                             connection, path, error))
        {
          fluid_dbus_node_free (self);
          return NULL;
        }
    }
  if (self->jobs != NULL && !g_dbus_interface_skeleton_export (self->jobs, connection, path, error))
    {
      fluid_dbus_node_free (self);
      return NULL;
    }
  if (self->children != NULL)
    {
      /* Connected first: each child exported is then announced with
       * InterfacesAdded, to clients that watched the path before. */
      self->manager = g_dbus_object_manager_server_new (path);
      g_dbus_object_manager_server_set_connection (self->manager, connection);
      fluid_dbus_node_add_children (self);
    }
  fluid_dbus_node_follow (self);
  return self;
}

void
fluid_dbus_node_free (FluidDBusNode *self)
{
  if (self->observer != NULL)
    fluid_worker_unobserve (self->worker, self->observer);
  g_clear_signal_handler (&self->items_changed_id, self->worker);
  g_clear_signal_handler (&self->restarted_id, self->worker);
  g_clear_signal_handler (&self->strategy_id, self->worker);

  /* Children leave before their group, the last first. */
  while (self->children != NULL && self->children->len > 0)
    fluid_dbus_node_free (g_ptr_array_steal_index (self->children, self->children->len - 1));
  g_clear_pointer (&self->children, g_ptr_array_unref);

  if (self->object != NULL)
    g_dbus_object_manager_server_unexport (self->manager, self->path);
  for (guint i = 0; i < FLUID_DBUS_N_KINDS; i++)
    {
      GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON (self->skeletons[i]);

      if (skeleton == NULL)
        continue;
      fluid_dbus_skeleton_unwatch_counters (self->skeletons[i]);
      /* At the root, and only if it was exported. */
      if (self->object == NULL && g_dbus_interface_skeleton_get_connection (skeleton) != NULL)
        g_dbus_interface_skeleton_unexport (skeleton);
      g_object_unref (skeleton);
    }
  if (self->jobs != NULL)
    {
      fluid_dbus_jobs_unwatch (self->jobs);
      if (self->object == NULL && g_dbus_interface_skeleton_get_connection (self->jobs) != NULL)
        g_dbus_interface_skeleton_unexport (self->jobs);
      g_clear_object (&self->jobs);
    }
  g_clear_object (&self->object);
  if (self->parent == NULL)
    g_clear_object (&self->manager);

  g_main_context_unref (self->context);
  g_free (self->path);
  g_object_unref (self->worker);
  g_free (self);
}
