/* gtk-workers.c: a window that lists the children of a supervised group
 *
 * A FluidWorkers group, "workers", restarts its children one for one:
 * three flaky workers, which fail at random about every two seconds, and a
 * steady one. A FluidWorkers is a GListModel of its children, so a
 * GtkListView shows it as it is, a row per child: its name, its state and
 * how many times it was restarted.
 *
 * Two things keep a row true. A replacement takes the place of the child
 * it replaces (items-changed with one removed and one added), so GTK binds
 * the row again, to the new child; and the new child is added in INIT and
 * started after, so a row follows notify::state of its child for as long
 * as it is bound to it, rather than reading the state once.
 *
 * Closing the window shuts the group down first, and then closes it, also
 * when the group has failed (it gave up restarting a child too often), in
 * which case the program says why and exits with status 1.
 *
 * Build: cc gtk-workers.c $(pkg-config --cflags --libs fluid-glib-1.0 gtk4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>
#include <gtk/gtk.h>

typedef struct
{
  FluidWorkers *group;
  GtkWindow    *window;
  GtkListView  *list_view;
  gboolean      closing;
  int           status;
} Example;

/* A flaky worker's tick, four times a second: it fails one time in eight. */
static void
flaky_tick (FluidWorker *worker,
            gpointer     user_data)
{
  if (g_random_int_range (0, 8) == 0)
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                             "%s lost its connection",
                                             fluid_worker_get_name (worker));

      fluid_worker_fail (worker, error);
    }
}

static void
steady_tick (FluidWorker *worker,
             gpointer     user_data)
{
}

/* The group's factories: at the start, and for each replacement, which
 * keeps the name of the child it replaces. */
static FluidWorker *
make_flaky (FluidWorkers *group,
            gpointer      user_data)
{
  return fluid_worker_function_new_named (user_data, 0.25, flaky_tick, NULL, NULL);
}

static FluidWorker *
make_steady (FluidWorkers *group,
             gpointer      user_data)
{
  return fluid_worker_function_new_named ("steady", 1.0, steady_tick, NULL, NULL);
}

static FluidWorkers *
make_group (void)
{
  FluidWorkers *group = g_object_new (FLUID_TYPE_WORKERS,
                                      "name", "workers",
                                      "restart-strategy", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
                                      "max-restarts", 20,
                                      "max-restarts-period", 10.0,
                                      NULL);

  for (int i = 1; i <= 3; i++)
    fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_flaky,
                             g_strdup_printf ("flaky-%d", i), g_free);
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_steady, NULL, NULL);
  return group;
}

/* The rows */

/* "flaky-1 — running, restarts 2": the child the row is bound to, as it is
 * now. */
static void
update_row (GtkListItem *list_item)
{
  Example *example = g_object_get_data (G_OBJECT (list_item), "example");
  FluidWorker *worker = gtk_list_item_get_item (list_item);
  g_autoptr(GEnumClass) states = g_type_class_ref (FLUID_TYPE_WORKER_STATE);
  GEnumValue *state = g_enum_get_value (states, fluid_worker_get_state (worker));
  guint restarts = fluid_workers_get_child_restarts (example->group,
                                                     gtk_list_item_get_position (list_item));
  g_autofree char *text = g_strdup_printf ("%s — %s, restarts %u", fluid_worker_get_name (worker),
                                           state->value_nick, restarts);

  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (list_item)), text);
}

static void
state_changed_cb (FluidWorker *worker,
                  GParamSpec  *pspec,
                  GtkListItem *list_item)
{
  update_row (list_item);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              Example                  *example)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_list_item_set_child (list_item, label);
  g_object_set_data (G_OBJECT (list_item), "example", example);
}

/* From bind to unbind, the row follows its child's state (and no longer
 * once the row is gone). */
static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             Example                  *example)
{
  g_signal_connect_object (gtk_list_item_get_item (list_item), "notify::state",
                           G_CALLBACK (state_changed_cb), list_item, 0);
  update_row (list_item);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               Example                  *example)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (list_item),
                                        state_changed_cb, list_item);
}

/* The window */

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Example *example = user_data;
  g_autoptr(GError) error = NULL;

  /* The error that stopped the group, if it failed. */
  if (!fluid_worker_shutdown_finish (FLUID_WORKER (source), result, &error))
    {
      g_printerr ("%s failed: %s\n", fluid_worker_get_name (FLUID_WORKER (source)), error->message);
      example->status = 1;
    }
  gtk_window_destroy (example->window);
}

/* The window stays until the group has stopped. */
static gboolean
close_request_cb (GtkWindow *window,
                  Example   *example)
{
  if (!example->closing)
    {
      example->closing = TRUE;
      fluid_worker_shutdown_async (FLUID_WORKER (example->group), NULL, shutdown_cb, example);
    }
  return TRUE;
}

static void
activate_cb (GtkApplication *app,
             Example        *example)
{
  GtkListItemFactory *factory;
  GtkNoSelection *model;
  GtkWidget *scrolled;

  if (example->window != NULL)
    {
      gtk_window_present (example->window);
      return;
    }

  /* The group itself is the list's model. */
  model = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (example->group)));
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), example);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), example);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), example);
  example->list_view = GTK_LIST_VIEW (gtk_list_view_new (GTK_SELECTION_MODEL (model), factory));

  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (example->list_view));
  example->window = GTK_WINDOW (gtk_application_window_new (app));
  gtk_window_set_titlebar (example->window, gtk_header_bar_new ());
  gtk_window_set_title (example->window, "Workers");
  gtk_window_set_default_size (example->window, 360, 220);
  gtk_window_set_child (example->window, scrolled);
  g_signal_connect (example->window, "close-request", G_CALLBACK (close_request_cb), example);
  gtk_window_present (example->window);

  fluid_worker_startup_async (FLUID_WORKER (example->group), NULL, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkApplication) app = gtk_application_new ("org.gnome.Fluid.Example.GtkWorkers",
                                                       G_APPLICATION_NON_UNIQUE);
  Example example = { make_group (), NULL, NULL, FALSE, 0 };
  int status;

  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), &example);
  status = g_application_run (G_APPLICATION (app), argc, argv);
  g_object_unref (example.group);
  return status != 0 ? status : example.status;
}
