/* gtk-jobs.c: a GTK 4 window over a job worker: files hashed on 4 threads,
 * by priority, each with its progress bar and its cancel button, and the
 * worker's counters in a label
 *
 * Usage: gtk-jobs [--rate BYTES_PER_SECOND] DIRECTORY
 *
 * "Hash the files" submits a job for each file of DIRECTORY: the files
 * whose name starts with "urgent" at G_PRIORITY_HIGH, those that start
 * with "later" at G_PRIORITY_LOW, the others at G_PRIORITY_DEFAULT. Each
 * job hashes its file with SHA-256 on one of the worker's 4 threads,
 * reporting its progress, at most --rate bytes a second if given (to watch
 * the bars move), and the window prints "DIGEST  PATH" on standard output
 * for each job that succeeded.
 *
 * The application is org.gnome.Fluid.GtkJobs on the session bus: its
 * actions (app.hash, app.cancel with a job's id, app.quit) are there too,
 * and so is its worker, at /org/gnome/Fluid/GtkJobs/worker, so that
 * `fluidctl org.gnome.Fluid.GtkJobs /org/gnome/Fluid/GtkJobs/worker jobs
 * gtk-jobs` lists its jobs, and a test drives the window from outside.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>
#include <gtk/gtk.h>

#define CHUNK_SIZE (64 * 1024)

typedef struct
{
  GtkApplication *app;
  FluidJobWorker *worker;
  char           *directory;
  guint64         rate;       /* bytes a second, 0: as fast as it goes */
} Demo;

/* The job: hashes the file of its input, on a thread of the worker. */
static gboolean
hash_file (FluidJob      *job,
           GCancellable  *cancellable,
           gpointer       user_data,
           GError       **error)
{
  Demo *demo = user_data;
  const char *path = g_value_get_string (fluid_job_get_input (job));
  g_autofree char *name = g_path_get_basename (path);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_auto(GValue) output = G_VALUE_INIT;
  g_autofree guchar *buffer = g_malloc (CHUNK_SIZE);
  gint64 start = g_get_monotonic_time ();
  goffset size, done = 0;
  gssize n;

  stream = g_file_read (file, cancellable, error);
  if (stream == NULL)
    return FALSE;
  info = g_file_input_stream_query_info (stream, G_FILE_ATTRIBUTE_STANDARD_SIZE, cancellable, error);
  if (info == NULL)
    return FALSE;
  size = g_file_info_get_size (info);

  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buffer, CHUNK_SIZE, cancellable, error)) > 0)
    {
      g_checksum_update (checksum, buffer, n);
      done += n;
      /* As often as it likes: the window hears of it 20 times a second. */
      fluid_job_report_progress (job, size > 0 ? (double) done / size : 1.0, name);
      /* At the rate asked for, cancellable meanwhile. */
      while (demo->rate > 0 && done * G_USEC_PER_SEC > (goffset) demo->rate * (g_get_monotonic_time () - start))
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          g_usleep (5000);
        }
    }
  if (n < 0)
    return FALSE;

  g_value_init (&output, G_TYPE_STRING);
  g_value_set_string (&output, g_checksum_get_string (checksum));
  fluid_job_set_output (job, &output);
  return TRUE;
}

static void
hashed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  FluidJob *job = FLUID_JOB (source);
  g_auto(GValue) digest = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (fluid_job_wait_finish (job, result, &digest, &error))
    g_print ("%s  %s\n", g_value_get_string (&digest), g_value_get_string (fluid_job_get_input (job)));
  else
    g_printerr ("%s: %s\n", g_value_get_string (fluid_job_get_input (job)), error->message);
}

static int
priority_of (const char *name)
{
  if (g_str_has_prefix (name, "urgent"))
    return G_PRIORITY_HIGH;
  if (g_str_has_prefix (name, "later"))
    return G_PRIORITY_LOW;
  return G_PRIORITY_DEFAULT;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* app.hash: a job for each file of the directory. */
static void
hash_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  Demo *demo = user_data;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *name;

  dir = g_dir_open (demo->directory, 0, &error);
  if (dir == NULL)
    {
      g_printerr ("%s\n", error->message);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_auto(GValue) path = G_VALUE_INIT;
      g_autoptr(FluidJob) job = NULL;

      g_value_init (&path, G_TYPE_STRING);
      g_value_take_string (&path, g_build_filename (demo->directory, g_ptr_array_index (names, i), NULL));
      job = fluid_job_worker_submit (demo->worker, &path, priority_of (g_ptr_array_index (names, i)), NULL);
      fluid_job_wait_async (job, NULL, hashed_cb, NULL);
    }
}

/* app.cancel: the job of that id, if it is queued or running. */
static void
cancel_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  Demo *demo = user_data;
  GListModel *jobs = fluid_job_worker_get_jobs (demo->worker);

  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr(FluidJob) job = g_list_model_get_item (jobs, i);

      if (fluid_job_get_id (job) == g_variant_get_uint64 (parameter))
        fluid_job_cancel (job);
    }
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  Demo *demo = user_data;

  fluid_worker_gracefully_stop (FLUID_WORKER (demo->worker));
  g_application_quit (G_APPLICATION (demo->app));
}

/* A row: the file's name, its progress bar, its cancel button. */

static void
cancel_clicked (GtkButton *button,
                gpointer   user_data)
{
  fluid_job_cancel (user_data);
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *bar = gtk_progress_bar_new ();
  GtkWidget *cancel = gtk_button_new_from_icon_name ("process-stop-symbolic");

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (bar), TRUE);
  gtk_widget_set_hexpand (bar, TRUE);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (cancel, "Cancel");
  gtk_box_append (GTK_BOX (box), bar);
  gtk_box_append (GTK_BOX (box), cancel);
  gtk_list_item_set_child (item, box);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  FluidJob *job = gtk_list_item_get_item (item);
  GtkWidget *bar = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *cancel = gtk_widget_get_next_sibling (bar);
  g_autofree char *name = g_path_get_basename (g_value_get_string (fluid_job_get_input (job)));

  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (bar), name);
  /* The progress bar, in one line. */
  g_object_set_data_full (G_OBJECT (bar), "binding",
                          g_object_ref (g_object_bind_property (job, "progress", bar, "fraction",
                                                                G_BINDING_SYNC_CREATE)),
                          (GDestroyNotify) g_binding_unbind);
  g_signal_connect_object (cancel, "clicked", G_CALLBACK (cancel_clicked), job, 0);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  FluidJob *job = gtk_list_item_get_item (item);
  GtkWidget *bar = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *cancel = gtk_widget_get_next_sibling (bar);

  g_object_set_data (G_OBJECT (bar), "binding", NULL);
  g_signal_handlers_disconnect_by_func (cancel, cancel_clicked, job);
}

/* The counters: "done 3 · failed 0 · cancelled 1 · running 4 · queued 4". */
static gboolean
counter_to_text (GBinding     *binding,
                 const GValue *from,
                 GValue       *to,
                 gpointer      user_data)
{
  guint64 value = G_VALUE_HOLDS_UINT (from) ? g_value_get_uint (from) : g_value_get_uint64 (from);

  g_value_take_string (to, g_strdup_printf ("%s %" G_GUINT64_FORMAT, (const char *) user_data, value));
  return TRUE;
}

static GtkWidget *
counter_label (FluidJobWorker *worker,
               const char     *property,
               const char     *title)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "numeric");
  g_object_bind_property_full (worker, property, label, "label", G_BINDING_SYNC_CREATE,
                               counter_to_text, NULL, (gpointer) title, NULL);
  return label;
}

static void
activate (GApplication *app,
          gpointer      user_data)
{
  Demo *demo = user_data;
  GtkWidget *window = gtk_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *button = gtk_button_new_with_label ("Hash the files");
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkNoSelection *selection;
  GtkWidget *view;
  const char *counters[][2] = {
    { "processed", "done" }, { "failed", "failed" }, { "cancelled", "cancelled" },
    { "running", "running" }, { "queue-size", "queued" },
  };

  gtk_window_set_title (GTK_WINDOW (window), "Hashing files");
  gtk_window_set_default_size (GTK_WINDOW (window), 560, 420);

  gtk_widget_add_css_class (button, "suggested-action");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "app.hash");
  gtk_widget_set_margin_start (bar, 12);
  gtk_widget_set_margin_end (bar, 12);
  gtk_widget_set_margin_top (bar, 12);
  gtk_widget_set_margin_bottom (bar, 12);
  gtk_box_append (GTK_BOX (bar), button);
  for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
    gtk_box_append (GTK_BOX (bar), counter_label (demo->worker, counters[i][0], counters[i][1]));
  gtk_box_append (GTK_BOX (box), bar);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  /* The jobs queued or running, in the order they run. */
  selection = gtk_no_selection_new (g_object_ref (fluid_job_worker_get_jobs (demo->worker)));
  view = gtk_list_view_new (GTK_SELECTION_MODEL (selection), factory);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_box_append (GTK_BOX (box), scrolled);

  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
}

static void
startup (GApplication *app,
         gpointer      user_data)
{
  Demo *demo = user_data;
  GDBusConnection *connection = g_application_get_dbus_connection (app);
  g_autoptr(GError) error = NULL;
  const GActionEntry actions[] = {
    { "hash", hash_activated, NULL, NULL, NULL, { 0 } },
    { "cancel", cancel_activated, "t", NULL, NULL, { 0 } },
    { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
  };

  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), demo);
  fluid_worker_startup_async (FLUID_WORKER (demo->worker), NULL, NULL, NULL);
  /* The application runs as long as its worker does. */
  fluid_worker_hold_application (FLUID_WORKER (demo->worker), app);
  if (connection != NULL &&
      !fluid_worker_export (FLUID_WORKER (demo->worker), connection, "/org/gnome/Fluid/GtkJobs/worker", &error))
    g_printerr ("not exported: %s\n", error->message);
}

int
main (int   argc,
      char *argv[])
{
  Demo demo = { NULL, NULL, NULL, 0 };
  char *program = argv[0];
  int status;

  if (argc >= 3 && g_str_equal (argv[1], "--rate"))
    {
      demo.rate = g_ascii_strtoull (argv[2], NULL, 10);
      argc -= 2;
      argv += 2;
    }
  if (argc != 2)
    {
      g_printerr ("Usage: %s [--rate BYTES_PER_SECOND] DIRECTORY\n", program);
      return 2;
    }
  demo.directory = argv[1];

  demo.worker = fluid_job_worker_new (4, hash_file, &demo, NULL);
  fluid_worker_set_name (FLUID_WORKER (demo.worker), "gtk-jobs");
  demo.app = gtk_application_new ("org.gnome.Fluid.GtkJobs", G_APPLICATION_DEFAULT_FLAGS);
  g_signal_connect (demo.app, "startup", G_CALLBACK (startup), &demo);
  g_signal_connect (demo.app, "activate", G_CALLBACK (activate), &demo);
  status = g_application_run (G_APPLICATION (demo.app), 1, &program);
  g_object_unref (demo.app);
  g_object_unref (demo.worker);
  return status;
}
