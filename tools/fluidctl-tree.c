/* fluidctl-tree.c: the tree of workers a process exports, as fluidctl reads it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluidctl-tree.h"

#include <fluid/fluid.h>
#include <string.h>

void
fluidctl_node_free (FluidctlNode *node)
{
  g_free (node->path);
  g_clear_pointer (&node->worker, g_variant_unref);
  g_clear_pointer (&node->consumer, g_variant_unref);
  g_clear_pointer (&node->group, g_variant_unref);
  g_clear_pointer (&node->children, g_ptr_array_unref);
  g_free (node);
}

static FluidctlNode *
fluidctl_node_new (const char *path)
{
  FluidctlNode *node = g_new0 (FluidctlNode, 1);

  node->path = g_strdup (path);
  node->children = g_ptr_array_new_with_free_func ((GDestroyNotify) fluidctl_node_free);
  return node;
}

const char *
fluidctl_node_get_name (FluidctlNode *node)
{
  const char *name = NULL;

  g_variant_lookup (node->worker, "Name", "&s", &name);
  return name != NULL ? name : "";
}

FluidctlExit
fluidctl_exit_for_error (const GError *error)
{
  g_autofree char *remote = NULL;

  if (!g_dbus_error_is_remote_error (error))
    return FLUIDCTL_EXIT_FAILED;
  remote = g_dbus_error_get_remote_error (error);
  if (g_str_equal (remote, "org.freedesktop.DBus.Error.AccessDenied"))
    return FLUIDCTL_EXIT_ACCESS_DENIED;
  if (g_str_equal (remote, "org.freedesktop.DBus.Error.ServiceUnknown") ||
      g_str_equal (remote, "org.freedesktop.DBus.Error.NameHasNoOwner"))
    return FLUIDCTL_EXIT_NO_BUS_NAME;
  if (g_str_equal (remote, "org.freedesktop.DBus.Error.UnknownObject") ||
      g_str_equal (remote, "org.freedesktop.DBus.Error.UnknownInterface") ||
      g_str_equal (remote, "org.freedesktop.DBus.Error.UnknownMethod"))
    return FLUIDCTL_EXIT_NO_WORKER;
  return FLUIDCTL_EXIT_FAILED;
}

/* The properties of @interface at @path, NULL with @error set if there
 * is no such interface there. */
static GVariant *
fluidctl_get_all (GDBusConnection  *connection,
                  const char       *bus_name,
                  const char       *path,
                  const char       *interface,
                  GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *properties;

  reply = g_dbus_connection_call_sync (connection, bus_name, path,
                                       "org.freedesktop.DBus.Properties", "GetAll",
                                       g_variant_new ("(s)", interface), G_VARIANT_TYPE ("(a{sv})"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(@a{sv})", &properties);
  return properties;
}

/* The children of @parent among @nodes (by path), in the order of its
 * Restarts, which is its group's. */
static void
fluidctl_tree_link (FluidctlNode *parent,
                    GHashTable   *nodes)
{
  g_autoptr(GVariant) restarts = NULL;
  GVariantIter iter;
  const char *key;
  guint count;

  if (parent->group == NULL ||
      !g_variant_lookup (parent->group, "Restarts", "@a{su}", &restarts))
    return;
  g_variant_iter_init (&iter, restarts);
  while (g_variant_iter_next (&iter, "{&su}", &key, &count))
    {
      g_autofree char *element = g_dbus_escape_object_path (key);
      g_autofree char *path = g_strconcat (parent->path, "/", *element != '\0' ? element : "_",
                                           NULL);
      FluidctlNode *child;

      /* A child that left after the group's properties were read is
       * not there. The key is the child's own path. */
      if (!g_hash_table_steal_extended (nodes, path, NULL, (gpointer *) &child))
        continue;
      child->restarts = count;
      child->in_group = TRUE;
      g_ptr_array_add (parent->children, child);
      fluidctl_tree_link (child, nodes);
    }
}

/* Adds the objects of GetManagedObjects to @nodes, by path. */
static void
fluidctl_tree_add_objects (GHashTable *nodes,
                           GVariant   *objects)
{
  GVariantIter iter;
  const char *path;
  GVariant *interfaces;

  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, &interfaces))
    {
      FluidctlNode *node = fluidctl_node_new (path);

      node->worker = g_variant_lookup_value (interfaces, FLUID_DBUS_WORKER_INTERFACE, NULL);
      node->consumer = g_variant_lookup_value (interfaces, FLUID_DBUS_CONSUMER_INTERFACE, NULL);
      node->group = g_variant_lookup_value (interfaces, FLUID_DBUS_WORKERS_INTERFACE, NULL);
      g_variant_unref (interfaces);
      if (node->worker == NULL)
        {
          fluidctl_node_free (node);
          continue;
        }
      g_hash_table_insert (nodes, node->path, node);
    }
}

static gboolean
fluidctl_has_owner (GDBusConnection  *connection,
                    const char       *bus_name,
                    GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", bus_name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(b)", &has_owner);
  if (!has_owner)
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                 "%s is not on the bus", bus_name);
  return has_owner;
}

FluidctlNode *
fluidctl_tree_read (GDBusConnection  *connection,
                    const char       *bus_name,
                    const char       *path,
                    FluidctlExit     *exit_status,
                    GError          **error)
{
  g_autoptr(FluidctlNode) root = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GHashTable) nodes = NULL;
  g_autoptr(GError) local_error = NULL;

  /* A unique name, or a well-known one: is anyone there? */
  if (!fluidctl_has_owner (connection, bus_name, error))
    {
      *exit_status = FLUIDCTL_EXIT_NO_BUS_NAME;
      return NULL;
    }

  root = fluidctl_node_new (path);
  root->worker = fluidctl_get_all (connection, bus_name, path, FLUID_DBUS_WORKER_INTERFACE,
                                   &local_error);
  if (root->worker == NULL)
    {
      *exit_status = fluidctl_exit_for_error (local_error);
      if (*exit_status == FLUIDCTL_EXIT_NO_WORKER)
        g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT,
                     "%s exports no worker at %s", bus_name, path);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  root->consumer = fluidctl_get_all (connection, bus_name, path, FLUID_DBUS_CONSUMER_INTERFACE, NULL);
  root->group = fluidctl_get_all (connection, bus_name, path, FLUID_DBUS_WORKERS_INTERFACE, NULL);
  if (root->group == NULL)
    return g_steal_pointer (&root);

  reply = g_dbus_connection_call_sync (connection, bus_name, path,
                                       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                       NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, error);
  if (reply == NULL)
    {
      *exit_status = FLUIDCTL_EXIT_FAILED;
      return NULL;
    }
  objects = g_variant_get_child_value (reply, 0);
  nodes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) fluidctl_node_free);
  fluidctl_tree_add_objects (nodes, objects);
  fluidctl_tree_link (root, nodes);
  return g_steal_pointer (&root);
}

static FluidctlNode *
fluidctl_tree_find_path (FluidctlNode *node,
                         const char   *path)
{
  if (g_str_equal (node->path, path))
    return node;
  for (guint i = 0; i < node->children->len; i++)
    {
      FluidctlNode *found = fluidctl_tree_find_path (g_ptr_array_index (node->children, i), path);

      if (found != NULL)
        return found;
    }
  return NULL;
}

FluidctlNode *
fluidctl_tree_find (FluidctlNode *root,
                    const char   *name)
{
  g_auto(GStrv) elements = NULL;
  g_autoptr(GString) path = NULL;

  if (name[0] == '/')
    return fluidctl_tree_find_path (root, name);

  /* Each name escaped as the library escapes it for the child's path. */
  path = g_string_new (root->path);
  elements = g_strsplit (name, "/", -1);
  for (guint i = 0; elements[i] != NULL; i++)
    {
      g_autofree char *element = g_dbus_escape_object_path (elements[i]);

      if (elements[i][0] == '\0')
        continue;
      g_string_append_printf (path, "/%s", element);
    }
  return fluidctl_tree_find_path (root, path->str);
}
