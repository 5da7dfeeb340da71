/* test-soak.c: a daemon's tree of workers, run for a while and watched
 * over D-Bus, then counted to the last message
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a long-running service does to the library, compressed: a child
 * that fails every few milliseconds and is replaced (ONE_FOR_ONE), a
 * threaded consumer fed by a producer thread that waits for room
 * (max-queue-size), a consumer fed a message a millisecond, and nested
 * groups of consumers that are stopped, removed and dropped, and made
 * again, twice a second; the whole tree exported on a bus of its own,
 * whose client watches every signal and asks for the tree ten times a
 * second. It found a use-after-free in the queue consumer's source (a
 * consumer whose last reference went with its run, from within its own
 * dispatch), which valgrind reports as an invalid read.
 *
 * FLUID_SOAK_SECONDS sets how long (default 4; CI's valgrind stage runs it
 * for 25). At the end every message is accounted for: sent, or accepted,
 * equals processed + failed + discarded, for every consumer that was
 * counted, and every worker made was finalized.
 */

#include "test-queue-consumer-common.h"

#define ROOT_PATH "/org/gnome/Fluid/Soak"

/* A consumer's messages, as its producer and its handler saw them. */
typedef struct
{
  guint  sent;
  guint  handled;
} Tally;

typedef struct
{
  FluidWorkers    *root;
  guint            factory_calls;
  guint            restarts;

  /* The threaded consumer and its producer thread. */
  FluidWorker     *threaded;
  GThread         *producer;
  gint             producer_stop;   /* atomic */
  gint             accepted;        /* atomic */
  gint             refused;         /* atomic */

  /* The consumer fed at 1 kHz. */
  FluidWorker     *ticker;
  guint            ticks;
  guint            tick_source;

  /* The nested group of now, and its consumers (not references: the
   * group holds them). */
  FluidWorkers    *nest;
  FluidWorker     *nest_plain;
  FluidWorker     *nest_async;
  Tally           *plain_tally;
  Tally           *async_tally;
  guint            nests;
  guint            finalized;       /* the nests and the root */
  GPtrArray       *tallies;         /* of Tally *, two a nest */
  GPtrArray       *kept;            /* the plain consumers of every other nest, and their tallies */

  /* The bus. */
  FluidTestBus    *bus;
  GDBusConnection *service;
  GDBusConnection *client;
  guint            subscription;
  guint            signals;
  guint            removed;
  guint            trees;
  guint            trees_pending;
} Soak;

static double
soak_seconds (void)
{
  const char *text = g_getenv ("FLUID_SOAK_SECONDS");
  double seconds = text != NULL ? g_ascii_strtod (text, NULL) : 0;

  return seconds > 0 ? seconds : 4;
}

/* The flaky child: fails on its third tick, and is replaced. */
static void
flaky_tick (FluidWorker *worker,
            gpointer     user_data)
{
  guint *ticks = user_data;

  if (++*ticks == 3)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "flaky");

      fluid_worker_fail (worker, error);
    }
}

static FluidWorker *
flaky_factory (FluidWorkers *group,
               gpointer      user_data)
{
  Soak *soak = user_data;

  soak->factory_calls++;
  return fluid_worker_function_new_named ("flaky", 0.002, flaky_tick, g_new0 (guint, 1), g_free);
}

static void
child_restarted_cb (FluidWorkers *group,
                    FluidWorker  *old,
                    FluidWorker  *new,
                    gpointer      user_data)
{
  ((Soak *) user_data)->restarts++;
}

/* The threaded consumer: fails one message in fifty, and goes on. */
static gboolean
work_on_thread (FluidQueueConsumerWorker  *worker,
                const GValue              *message,
                GCancellable              *cancellable,
                gpointer                   user_data,
                GError                   **error)
{
  if (g_value_get_int (message) % 50 == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "fifty");
      return FALSE;
    }
  return TRUE;
}

/* Sends one message at a time, each once the queue has room, from a
 * context of its own, until told to stop; holds its own reference. */
static gpointer
produce (gpointer data)
{
  Soak *soak = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(FluidWorker) consumer = g_object_ref (soak->threaded);
  GValue value = G_VALUE_INIT;

  g_main_context_push_thread_default (context);
  g_value_init (&value, G_TYPE_INT);
  for (int i = 0; !g_atomic_int_get (&soak->producer_stop); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;

      g_value_set_int (&value, i);
      fluid_queue_consumer_send_async (FLUID_QUEUE_CONSUMER (consumer), &value, NULL,
                                       fluid_test_store_result_cb, &result);
      while (result == NULL)
        g_main_context_iteration (context, TRUE);
      if (fluid_queue_consumer_send_finish (FLUID_QUEUE_CONSUMER (consumer), result, NULL))
        g_atomic_int_inc (&soak->accepted);
      else
        g_atomic_int_inc (&soak->refused);
    }
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* The nested groups */

static void
count_handled (FluidQueueConsumerWorker *worker,
               const GValue             *message,
               gpointer                  user_data)
{
  ((Tally *) user_data)->handled++;
}

static void
complete_at_once (FluidQueueConsumerWorker *worker,
                  const GValue             *message,
                  GTask                    *task,
                  gpointer                  user_data)
{
  ((Tally *) user_data)->handled++;
  g_task_return_boolean (task, TRUE);
}

static void
inner_tick (FluidWorker *worker,
            gpointer     user_data)
{
}

static void
finalized_cb (gpointer  data,
              GObject  *where_the_object_was)
{
  ((Soak *) data)->finalized++;
}

/* A nested group: a plain consumer, one whose tasks complete at once, and
 * a group in it; added to the root, which starts it. Every other nest's
 * plain consumer is kept, to be counted at the end; the others go with
 * their group, from within their own dispatch as often as not. */
static void
soak_make_nest (Soak *soak)
{
  g_autofree char *name = g_strdup_printf ("nest%u", soak->nests);
  Tally *plain_tally = g_new0 (Tally, 1), *async_tally = g_new0 (Tally, 1);
  FluidWorker *plain = fluid_queue_consumer_worker_new (count_handled, plain_tally, NULL);
  FluidWorker *async = fluid_queue_consumer_worker_new_async (complete_at_once, async_tally, NULL);
  FluidWorker *inner = FLUID_WORKER (fluid_workers_new ());
  FluidWorker *ticking = fluid_worker_function_new (0.01, inner_tick, NULL, NULL);

  fluid_workers_add_worker (FLUID_WORKERS (inner), ticking);
  g_object_unref (ticking);
  soak->nest = g_object_new (FLUID_TYPE_WORKERS, "name", name, NULL);
  fluid_workers_add_worker (soak->nest, plain);
  fluid_workers_add_worker (soak->nest, async);
  fluid_workers_add_worker (soak->nest, inner);
  g_object_weak_ref (G_OBJECT (soak->nest), finalized_cb, soak);
  if (soak->nests % 2 == 0)
    {
      g_ptr_array_add (soak->kept, g_object_ref (plain));
      g_ptr_array_add (soak->kept, plain_tally);
    }
  g_ptr_array_add (soak->tallies, plain_tally);
  g_ptr_array_add (soak->tallies, async_tally);
  g_object_unref (plain);
  g_object_unref (async);
  g_object_unref (inner);

  soak->nest_plain = plain;
  soak->nest_async = async;
  soak->plain_tally = plain_tally;
  soak->async_tally = async_tally;
  soak->nests++;
  fluid_workers_add_worker (soak->root, FLUID_WORKER (soak->nest));
}

/* Stops the nest of now, which leaves the root once stopped, and drops
 * it: the root holds it until then. */
static void
soak_drop_nest (Soak *soak)
{
  fluid_worker_gracefully_stop (FLUID_WORKER (soak->nest));
  g_clear_object (&soak->nest);
  soak->nest_plain = soak->nest_async = NULL;
  soak->plain_tally = soak->async_tally = NULL;
}

static gboolean
tick_cb (gpointer user_data)
{
  Soak *soak = user_data;

  send_int (FLUID_QUEUE_CONSUMER (soak->ticker), (int) soak->ticks++);
  if (soak->nest_plain != NULL)
    {
      send_int (FLUID_QUEUE_CONSUMER (soak->nest_plain), 0);
      send_int (FLUID_QUEUE_CONSUMER (soak->nest_async), 0);
      soak->plain_tally->sent++;
      soak->async_tally->sent++;
    }
  return G_SOURCE_CONTINUE;
}

/* The bus */

static void
signal_cb (GDBusConnection *connection,
           const char      *sender,
           const char      *path,
           const char      *interface,
           const char      *signal,
           GVariant        *parameters,
           gpointer         user_data)
{
  Soak *soak = user_data;

  if (!g_str_has_prefix (path, ROOT_PATH))
    return;
  soak->signals++;
  if (g_str_equal (signal, "InterfacesRemoved"))
    soak->removed++;
}

static void
tree_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Soak *soak = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_assert_no_error (error);
  soak->trees++;
  soak->trees_pending--;
}

static void
soak_ask_for_tree (Soak *soak)
{
  if (soak->client == NULL || soak->trees_pending > 0)
    return;
  soak->trees_pending++;
  g_dbus_connection_call (soak->client, g_dbus_connection_get_unique_name (soak->service),
                          ROOT_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                          NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"), G_DBUS_CALL_FLAGS_NONE, -1,
                          NULL, tree_cb, soak);
}

static void
soak_export (Soak *soak)
{
  g_autoptr(GError) error = NULL;

  soak->bus = fluid_test_bus_new ();
  if (soak->bus == NULL)
    {
      g_test_message ("dbus-daemon is not installed: the tree is not exported");
      return;
    }
  soak->service = fluid_test_bus_connect (soak->bus);
  soak->client = fluid_test_bus_connect (soak->bus);
  /* Every signal of the service, at every path of the tree. */
  soak->subscription = g_dbus_connection_signal_subscribe (soak->client,
                                                           g_dbus_connection_get_unique_name (soak->service),
                                                           NULL, NULL, NULL, NULL,
                                                           G_DBUS_SIGNAL_FLAGS_NONE,
                                                           signal_cb, soak, NULL);
  g_assert_true (fluid_worker_export (FLUID_WORKER (soak->root), soak->service, ROOT_PATH, &error));
  g_assert_no_error (error);
  /* A round trip through the bus: the match rule is in place after it. */
  soak_ask_for_tree (soak);
  fluid_test_wait_until (soak->trees_pending == 0);
}

static guint64
bus_get_uint64 (Soak       *soak,
                const char *path,
                const char *property)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GVariant) reply = NULL, value = NULL;
  g_autoptr(GError) error = NULL;

  g_dbus_connection_call (soak->client, g_dbus_connection_get_unique_name (soak->service),
                          path, "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", FLUID_DBUS_CONSUMER_INTERFACE, property),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  reply = g_dbus_connection_call_finish (soak->client, result, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_get_uint64 (value);
}

static void
soak_unexport (Soak *soak)
{
  if (soak->bus == NULL)
    return;
  fluid_test_wait_until (soak->trees_pending == 0);
  fluid_worker_unexport (FLUID_WORKER (soak->root));
  g_dbus_connection_signal_unsubscribe (soak->client, soak->subscription);
  g_dbus_connection_close_sync (soak->client, NULL, NULL);
  g_dbus_connection_close_sync (soak->service, NULL, NULL);
  g_clear_object (&soak->client);
  g_clear_object (&soak->service);
  g_clear_pointer (&soak->bus, fluid_test_bus_free);
}

/* The accounts */

static void
assert_accounted (FluidWorker *consumer,
                  guint64      sent)
{
  guint64 processed = fluid_test_status_uint64 (consumer, "processed");
  guint64 failed = fluid_test_status_uint64 (consumer, "failed");
  guint64 discarded = fluid_test_status_uint64 (consumer, "discarded");

  g_assert_cmpuint (processed + failed + discarded, ==, sent);
  g_assert_cmpuint (fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (consumer)), ==, 0);
}

static void
test_soak (void)
{
  Soak soak = { 0, };
  double seconds = soak_seconds ();
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + (gint64) (seconds * G_USEC_PER_SEC);
  gint64 next_nest = start, next_tree = start;
  guint64 ticker_processed = 0;

  soak.root = fluid_workers_new ();
  soak.tallies = g_ptr_array_new_with_free_func (g_free);
  soak.kept = g_ptr_array_new ();
  g_object_weak_ref (G_OBJECT (soak.root), finalized_cb, &soak);
  fluid_workers_set_restart_strategy (soak.root, FLUID_RESTART_STRATEGY_ONE_FOR_ONE);
  fluid_workers_set_max_restarts (soak.root, G_MAXUINT);
  g_signal_connect (soak.root, "child-restarted", G_CALLBACK (child_restarted_cb), &soak);
  fluid_workers_add_child (soak.root, FLUID_RESTART_PERMANENT, flaky_factory, &soak, NULL);
  soak.threaded = fluid_queue_consumer_worker_new_threaded_named ("threaded", 2, work_on_thread, NULL, NULL);
  fluid_queue_consumer_set_max_queue_size (FLUID_QUEUE_CONSUMER (soak.threaded), 8);
  fluid_queue_consumer_set_stop_on_failure (FLUID_QUEUE_CONSUMER (soak.threaded), FALSE);
  fluid_workers_add_worker (soak.root, soak.threaded);
  soak.ticker = g_object_new (FLUID_TYPE_QUEUE_CONSUMER_WORKER, "name", "ticker", NULL);
  fluid_workers_add_worker (soak.root, soak.ticker);
  soak_export (&soak);

  g_assert_true (fluid_test_startup (FLUID_WORKER (soak.root), NULL));
  soak.producer = g_thread_new ("producer", produce, &soak);
  soak.tick_source = g_timeout_add (1, tick_cb, &soak);

  while (g_get_monotonic_time () < end)
    {
      gint64 now = g_get_monotonic_time ();

      if (now >= next_nest)
        {
          if (soak.nest != NULL)
            soak_drop_nest (&soak);
          soak_make_nest (&soak);
          next_nest = now + G_USEC_PER_SEC / 2;
        }
      if (now >= next_tree)
        {
          soak_ask_for_tree (&soak);
          next_tree = now + G_USEC_PER_SEC / 10;
        }
      fluid_test_iterate_once (NULL);
    }

  /* The end: the producers stop, then the tree. */
  g_source_remove (soak.tick_source);
  g_atomic_int_set (&soak.producer_stop, TRUE);
  g_thread_join (soak.producer);
  soak_drop_nest (&soak);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (soak.root), NULL));
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (soak.root)), ==, 0);

  g_test_message ("%g s: %u nests, %u flaky children, %u restarts, %d sent with backpressure "
                  "(%d refused at the stop), %u ticks, %u signals, %u trees",
                  seconds, soak.nests, soak.factory_calls, soak.restarts,
                  g_atomic_int_get (&soak.accepted), g_atomic_int_get (&soak.refused),
                  soak.ticks, soak.signals, soak.trees);

  /* Every message, once. */
  assert_accounted (soak.threaded, (guint64) g_atomic_int_get (&soak.accepted));
  g_assert_cmpint (g_atomic_int_get (&soak.accepted), >, 0);
  assert_accounted (soak.ticker, soak.ticks);
  ticker_processed = fluid_test_status_uint64 (soak.ticker, "processed");
  for (guint i = 0; i < soak.kept->len; i += 2)
    {
      FluidWorker *plain = g_ptr_array_index (soak.kept, i);
      Tally *tally = g_ptr_array_index (soak.kept, i + 1);

      g_assert_true (fluid_worker_is_stopped (plain));
      g_assert_cmpuint (fluid_test_status_uint64 (plain, "processed"), ==, tally->handled);
      assert_accounted (plain, tally->sent);
    }

  /* Replaced as often as it failed, and only the flaky child. */
  g_assert_cmpuint (soak.factory_calls, >=, 2);
  g_assert_cmpuint (soak.restarts, ==, soak.factory_calls - 1);

  /* Watched: the tree answered, the nests left it, and the last counts
   * are what the bus says. */
  if (soak.bus != NULL)
    {
      g_autofree char *ticker_path = g_strdup (ROOT_PATH "/ticker");

      fluid_test_wait_until (soak.removed >= soak.nests);
      g_assert_cmpuint (soak.trees, >, 0);
      g_assert_cmpuint (bus_get_uint64 (&soak, ticker_path, "Processed"), ==, ticker_processed);
    }
  soak_unexport (&soak);

  /* Every worker made is finalized. */
  for (guint i = 0; i < soak.kept->len; i += 2)
    g_object_unref (g_ptr_array_index (soak.kept, i));
  g_ptr_array_unref (soak.kept);
  g_clear_object (&soak.threaded);
  g_clear_object (&soak.ticker);
  g_clear_object (&soak.root);
  fluid_test_wait_until (soak.finalized == soak.nests + 1);
  g_ptr_array_unref (soak.tallies);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/soak/daemon-tree", test_soak);

  return g_test_run ();
}
