/* fluidctl-tree.h: the tree of workers a process exports, as fluidctl reads it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* fluidctl's exit statuses, as its --help lists them. */
typedef enum
{
  FLUIDCTL_EXIT_OK = 0,
  FLUIDCTL_EXIT_FAILED = 1,
  FLUIDCTL_EXIT_USAGE = 2,
  FLUIDCTL_EXIT_NO_BUS_NAME = 3,
  FLUIDCTL_EXIT_NO_WORKER = 4,
  FLUIDCTL_EXIT_ACCESS_DENIED = 5,
} FluidctlExit;

/* One exported worker: its object path, its properties by interface,
 * and, for a group, its children in the group's order. */
typedef struct _FluidctlNode FluidctlNode;
struct _FluidctlNode
{
  char         *path;
  GVariant     *worker;     /* a{sv} of org.gnome.Fluid.Worker1 */
  GVariant     *consumer;   /* a{sv} of org.gnome.Fluid.Consumer1, or NULL */
  GVariant     *group;      /* a{sv} of org.gnome.Fluid.Workers1, or NULL */
  guint         restarts;   /* as its group counts them */
  gboolean      in_group;
  GPtrArray    *children;   /* FluidctlNode */
};

/* Reads the tree exported at @path by @bus_name: the worker there and,
 * when it is a group, every worker below it, in one call. NULL with
 * @error set and @exit_status the status fluidctl should exit with. */
FluidctlNode *fluidctl_tree_read        (GDBusConnection  *connection,
                                         const char       *bus_name,
                                         const char       *path,
                                         FluidctlExit     *exit_status,
                                         GError          **error);
void          fluidctl_node_free        (FluidctlNode     *node);
/* The node called @name below @root: names separated by slashes
 * ("consumers/reader"), each as its group knows it, or an object path. */
FluidctlNode *fluidctl_tree_find        (FluidctlNode     *root,
                                         const char       *name);
const char   *fluidctl_node_get_name    (FluidctlNode     *node);
/* An exit status for a D-Bus @error of a call to the process. */
FluidctlExit  fluidctl_exit_for_error   (const GError     *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidctlNode, fluidctl_node_free)

G_END_DECLS
