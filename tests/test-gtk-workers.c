/* test-gtk-workers.c: examples/gtk-workers.c, driven, and what its list shows
 *
 * The example is compiled into this program, its main() renamed, so that
 * the test runs its application and reads its window: the labels of the
 * rows of its GtkListView, which must say of every child of the group what
 * the group says (name, state, restarts), after a child was made to fail
 * and was replaced (the replacement enters in INIT and runs after), and
 * after the group gave up; closing the window then ends the application,
 * with status 0, or 1 when the group failed. Run under Xvfb; every wait is
 * for a condition, checked at each idle of the application's main loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

int gtk_workers_main (int argc, char *argv[]);

#define main gtk_workers_main
#include "../examples/gtk-workers.c"
#undef main

/* The label of the row that shows the child named @name, or NULL. */
static const char *
row_text (Example    *example,
          const char *name)
{
  g_autofree char *prefix = g_strconcat (name, " — ", NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (example->list_view));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      GtkWidget *label = gtk_widget_get_first_child (row);

      if (GTK_IS_LABEL (label) && gtk_widget_get_visible (row) &&
          g_str_has_prefix (gtk_label_get_label (GTK_LABEL (label)), prefix))
        return gtk_label_get_label (GTK_LABEL (label));
    }
  return NULL;
}

/* Whether a row shows each child as the group has it now. */
static gboolean
rows_are_true (Example *example)
{
  GListModel *children = G_LIST_MODEL (example->group);
  g_autoptr(GEnumClass) states = g_type_class_ref (FLUID_TYPE_WORKER_STATE);
  guint n_children = g_list_model_get_n_items (children);

  for (guint i = 0; i < n_children; i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (children, i);
      const char *state = g_enum_get_value (states, fluid_worker_get_state (child))->value_nick;
      g_autofree char *expected = g_strdup_printf ("%s — %s, restarts %u",
                                                   fluid_worker_get_name (child), state,
                                                   fluid_workers_get_child_restarts (example->group, i));

      if (g_strcmp0 (row_text (example, fluid_worker_get_name (child)), expected) != 0)
        return FALSE;
    }
  return n_children == 4;
}

static gboolean
all_running (Example *example)
{
  GListModel *children = G_LIST_MODEL (example->group);

  for (guint i = 0; i < g_list_model_get_n_items (children); i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (children, i);

      if (!fluid_worker_is_running (child))
        return FALSE;
    }
  return fluid_worker_is_running (FLUID_WORKER (example->group));
}

typedef enum
{
  STEP_WAIT_RUNNING,   /* the window shows every child running */
  STEP_WAIT_REPLACED,  /* the failed child's replacement runs, and its row says so */
  STEP_WAIT_GAVE_UP,   /* the group stopped, and the rows say so */
  STEP_CLOSING,        /* the window was asked to close */
} Step;

typedef struct
{
  Example     *example;
  gboolean     give_up;   /* the group gives up at the first failure */
  Step         step;
  FluidWorker *failed;    /* the child made to fail */
  guint        guard;
} Driver;

static void
fail_first_child (Driver *driver)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "made to fail");

  driver->failed = g_list_model_get_item (G_LIST_MODEL (driver->example->group), 0);
  fluid_worker_fail (driver->failed, error);
}

/* One step of the test, at each idle, until the window is closing. */
static gboolean
drive_cb (gpointer user_data)
{
  Driver *driver = user_data;
  Example *example = driver->example;
  g_autoptr(FluidWorker) first = NULL;

  switch (driver->step)
    {
    case STEP_WAIT_RUNNING:
      if (!all_running (example) || !rows_are_true (example))
        return G_SOURCE_CONTINUE;
      if (driver->give_up)
        {
          fluid_workers_set_max_restarts (example->group, 0);
          driver->step = STEP_WAIT_GAVE_UP;
        }
      else
        {
          driver->step = STEP_WAIT_REPLACED;
        }
      fail_first_child (driver);
      return G_SOURCE_CONTINUE;

    case STEP_WAIT_REPLACED:
      first = g_list_model_get_item (G_LIST_MODEL (example->group), 0);
      if (first == driver->failed || !fluid_worker_is_running (first) ||
          fluid_workers_get_child_restarts (example->group, 0) == 0 || !rows_are_true (example))
        return G_SOURCE_CONTINUE;
      break;

    case STEP_WAIT_GAVE_UP:
      if (!fluid_worker_is_stopped (FLUID_WORKER (example->group)) || !rows_are_true (example))
        return G_SOURCE_CONTINUE;
      break;

    case STEP_CLOSING:
    default:
      return G_SOURCE_REMOVE;
    }

  driver->step = STEP_CLOSING;
  gtk_window_close (example->window);
  return G_SOURCE_REMOVE;
}

/* Not a wait: a test still at a step after this long has failed. */
#define GUARD_SECONDS 30

static gboolean
guard_cb (gpointer user_data)
{
  Driver *driver = user_data;

  g_error ("still at step %d after %d s: the rows show what the group does not",
           driver->step, GUARD_SECONDS);
  return G_SOURCE_REMOVE;
}

static void
start_driving_cb (GtkApplication *app,
                  Driver         *driver)
{
  g_idle_add_full (G_PRIORITY_LOW, drive_cb, driver, NULL);
  driver->guard = g_timeout_add_seconds (GUARD_SECONDS, guard_cb, driver);
}

/* Runs the example's application with the driver; returns its status. */
static int
run_example (Example *example,
             gboolean give_up)
{
  g_autoptr(GtkApplication) app = gtk_application_new ("org.gnome.Fluid.Example.GtkWorkers",
                                                       G_APPLICATION_NON_UNIQUE);
  Driver driver = { example, give_up, STEP_WAIT_RUNNING, NULL, 0 };
  char *argv[] = { (char *) "gtk-workers", NULL };
  int status;

  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), example);
  g_signal_connect_after (app, "activate", G_CALLBACK (start_driving_cb), &driver);
  status = g_application_run (G_APPLICATION (app), 1, argv);
  g_clear_handle_id (&driver.guard, g_source_remove);
  g_assert_cmpint (driver.step, ==, STEP_CLOSING);
  g_clear_object (&driver.failed);
  return status != 0 ? status : example->status;
}

/* A child fails and is replaced: its row follows the replacement from INIT
 * to running, with its restarts; closing shuts the group down first. */
static void
test_rows_follow_restarts (void)
{
  Example example = { make_group (), NULL, NULL, FALSE, 0 };

  g_assert_cmpint (run_example (&example, FALSE), ==, 0);
  g_assert_true (fluid_worker_is_stopped (FLUID_WORKER (example.group)));
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (example.group)), ==, FLUID_EXIT_CODE_NORMAL);
  g_object_unref (example.group);
}

/* The group gives up: the rows show every child stopped, and closing the
 * window still ends the application, with status 1. */
static void
test_close_after_failure (void)
{
  Example example = { make_group (), NULL, NULL, FALSE, 0 };

  g_assert_cmpint (run_example (&example, TRUE), ==, 1);
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (example.group)), ==, FLUID_EXIT_CODE_ERROR);
  g_object_unref (example.group);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Workers fail here on purpose, and a failure is logged as a warning:
   * criticals alone abort. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }
  g_test_add_func ("/gtk-workers/rows-follow-restarts", test_rows_follow_restarts);
  g_test_add_func ("/gtk-workers/close-after-failure", test_close_after_failure);

  return g_test_run ();
}
