/* test-supervisor.c: restart strategies, restart types, intensity, backoff
 * and the watchdog of FluidWorkers
 *
 * The cases named after Erlang/OTP's lib/stdlib/test/supervisor_SUITE.erl
 * test what those test, for a FluidWorkers group: a child "exits normally"
 * when it is stopped gracefully (exit code 0), "abnormally" when it fails
 * (fluid_worker_fail(), exit code 2).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

/* A factory of named children that sleep in a loop; counts its calls and
 * can be told to fail (return NULL) for a while. */
typedef struct
{
  char  *name;
  guint  calls;
  guint  fail_next;      /* how many of the next calls return NULL */
  gboolean destroyed;
} Factory;

static FluidWorker *
make_child (FluidWorkers *group,
            gpointer      user_data)
{
  Factory *factory = user_data;

  factory->calls++;
  if (factory->fail_next > 0)
    {
      factory->fail_next--;
      return NULL;
    }
  return FLUID_WORKER (fluid_test_worker_new_named (factory->name, FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
}

static void
factory_destroyed (gpointer user_data)
{
  ((Factory *) user_data)->destroyed = TRUE;
}

static Factory *
factory_new (const char *name)
{
  Factory *factory = g_new0 (Factory, 1);

  factory->name = g_strdup (name);
  return factory;
}

static void
factory_free (Factory *factory)
{
  g_free (factory->name);
  g_free (factory);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Factory, factory_free)

static FluidWorker *
child_at (FluidWorkers *group,
          guint         position)
{
  FluidWorker *child = g_list_model_get_item (G_LIST_MODEL (group), position);

  /* The group holds it. */
  g_object_unref (child);
  return child;
}

/* Records the list model's changes, as a GTK list widget sees them, and
 * checks each against the model's length. */
typedef struct
{
  GString *changes;
  guint    n_items;
} ModelLog;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  ModelLog *log = user_data;

  g_assert_cmpuint (position + removed, <=, log->n_items);
  log->n_items = log->n_items - removed + added;
  g_assert_cmpuint (log->n_items, ==, g_list_model_get_n_items (model));
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      g_assert_nonnull (item);
    }
  g_string_append_printf (log->changes, "%s%u-%u+%u", log->changes->len > 0 ? " " : "",
                          position, removed, added);
}

typedef struct
{
  FluidWorkers *group;
  ModelLog      log;
  guint         restarted;   /* child-restarted emissions */
  FluidWorker  *last_old;
  FluidWorker  *last_new;
  gint64        restarted_at;  /* when child-restarted was last emitted */
} Fixture;

static void
child_restarted_cb (FluidWorkers *group,
                    FluidWorker  *old_child,
                    FluidWorker  *new_child,
                    gpointer      user_data)
{
  Fixture *fixture = user_data;

  g_assert_true (old_child != new_child);
  g_assert_true (fluid_worker_is_stopped (old_child));
  g_assert_cmpint (fluid_worker_get_state (new_child), !=, FLUID_WORKER_STATE_INIT);
  fixture->restarted++;
  fixture->restarted_at = g_get_monotonic_time ();
  fixture->last_old = old_child;
  fixture->last_new = new_child;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->group = fluid_workers_new ();
  fluid_workers_set_restart_strategy (fixture->group, GPOINTER_TO_INT (data));
  fixture->log.changes = g_string_new (NULL);
  g_signal_connect (fixture->group, "items-changed", G_CALLBACK (items_changed_cb), &fixture->log);
  g_signal_connect (fixture->group, "child-restarted", G_CALLBACK (child_restarted_cb), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (fluid_worker_is_running (FLUID_WORKER (fixture->group)))
    fluid_test_shutdown (FLUID_WORKER (fixture->group), &error);
  g_clear_object (&fixture->group);
  g_string_free (fixture->log.changes, TRUE);
}

/* Adds a child made by a new factory named @name; the group owns the
 * factory. */
static Factory *
add_child (Fixture      *fixture,
           FluidRestart  restart,
           const char   *name)
{
  Factory *factory = factory_new (name);

  fluid_workers_add_child (fixture->group, restart, make_child, factory, (GDestroyNotify) factory_free);
  return factory;
}

static void
start_group (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fluid_test_startup (FLUID_WORKER (fixture->group), &error));
  g_assert_no_error (error);
  g_string_truncate (fixture->log.changes, 0);
}

/* Waits until the child at @position is a running replacement of @old. */
static FluidWorker *
wait_replaced (Fixture     *fixture,
               guint        position,
               FluidWorker *old)
{
  fluid_test_wait_until (child_at (fixture->group, position) != old &&
                         fluid_worker_is_running (child_at (fixture->group, position)));
  return child_at (fixture->group, position);
}

static guint
status_restarts (FluidWorkers *group,
                 const char   *name)
{
  g_autoptr(GVariant) status = fluid_test_status (FLUID_WORKER (group));
  g_autoptr(GVariant) child = g_variant_lookup_value (status, name, G_VARIANT_TYPE_VARDICT);
  guint restarts = G_MAXUINT;

  g_assert_nonnull (child);
  g_assert_true (g_variant_lookup (child, "restarts", "u", &restarts));
  return restarts;
}

/* permanent_normal, permanent_abnormal: a permanent child is replaced
 * whatever its exit; its replacement takes its position and name. */
static void
test_permanent (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(FluidWorker) old = NULL;
  FluidWorker *new;

  add_child (fixture, FLUID_RESTART_PERMANENT, "p");
  fluid_workers_add_worker (fixture->group, FLUID_WORKER (fluid_test_worker_new_named ("other", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10)));
  g_object_unref (child_at (fixture->group, 1));
  start_group (fixture);

  old = g_list_model_get_item (G_LIST_MODEL (fixture->group), 0);
  fluid_worker_gracefully_stop (old);
  new = wait_replaced (fixture, 0, old);
  g_assert_cmpstr (fluid_worker_get_name (new), ==, "p");
  g_assert_true (fixture->last_old == old && fixture->last_new == new);

  fluid_test_crash (new);
  wait_replaced (fixture, 0, new);

  g_assert_cmpuint (fixture->restarted, ==, 2);
  g_assert_cmpstr (fixture->log.changes->str, ==, "0-1+1 0-1+1");
  g_assert_cmpuint (status_restarts (fixture->group, "p"), ==, 2);
  g_assert_cmpuint (status_restarts (fixture->group, "other"), ==, 0);
  g_assert_cmpuint (fluid_workers_get_child_restarts (fixture->group, 0), ==, 2);
  g_assert_true (fluid_worker_is_running (child_at (fixture->group, 1)));
}

/* transient_normal, transient_shutdown, transient_abnormal: replaced
 * unless it exits normally; then it leaves the group. */
static void
test_transient (Fixture       *fixture,
                gconstpointer  data)
{
  FluidWorker *old;

  add_child (fixture, FLUID_RESTART_TRANSIENT, "t");
  add_child (fixture, FLUID_RESTART_PERMANENT, "keep");
  start_group (fixture);

  old = child_at (fixture->group, 0);
  fluid_test_crash (old);
  old = wait_replaced (fixture, 0, old);
  g_assert_cmpuint (fixture->restarted, ==, 1);

  fluid_worker_gracefully_stop (old);
  fluid_test_wait_until (g_list_model_get_n_items (G_LIST_MODEL (fixture->group)) == 1);
  g_assert_cmpstr (fluid_worker_get_name (child_at (fixture->group, 0)), ==, "keep");
  g_assert_cmpstr (fixture->log.changes->str, ==, "0-1+1 0-1+0");
  g_assert_cmpuint (fixture->restarted, ==, 1);
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (fixture->group)));
}

/* temporary_normal, temporary_abnormal,
 * do_not_save_child_specs_for_temporary_children: a temporary child is
 * never replaced, and leaves the group; the group goes on, even empty. A
 * worker added with fluid_workers_add_worker() is temporary. */
static void
test_temporary (Fixture       *fixture,
                gconstpointer  data)
{
  Factory *factory = add_child (fixture, FLUID_RESTART_TEMPORARY, "tmp");

  fluid_workers_add_worker (fixture->group, FLUID_WORKER (fluid_test_worker_new_named ("added", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10)));
  g_object_unref (child_at (fixture->group, 1));
  start_group (fixture);

  fluid_test_crash (child_at (fixture->group, 0));
  fluid_test_wait_until (g_list_model_get_n_items (G_LIST_MODEL (fixture->group)) == 1);
  (void) factory;
  fluid_worker_gracefully_stop (child_at (fixture->group, 0));
  fluid_test_wait_until (g_list_model_get_n_items (G_LIST_MODEL (fixture->group)) == 0);

  g_assert_cmpstr (fixture->log.changes->str, ==, "0-1+0 0-1+0");
  g_assert_cmpuint (fixture->restarted, ==, 0);
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (fixture->group)));
}

/* one_for_one: only the child that stopped is replaced. */
static void
test_one_for_one (Fixture       *fixture,
                  gconstpointer  data)
{
  FluidWorker *first, *second;

  add_child (fixture, FLUID_RESTART_PERMANENT, "a");
  add_child (fixture, FLUID_RESTART_PERMANENT, "b");
  start_group (fixture);
  first = child_at (fixture->group, 0);
  second = child_at (fixture->group, 1);

  fluid_test_crash (second);
  wait_replaced (fixture, 1, second);
  g_assert_true (child_at (fixture->group, 0) == first);
  g_assert_true (fluid_worker_is_running (first));
  g_assert_cmpstr (fixture->log.changes->str, ==, "1-1+1");
}

/* one_for_all: the others are stopped, then every child is replaced, in
 * order; temporary_bystander: a temporary child stopped for it leaves. */
static void
test_one_for_all (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(FluidWorker) a = NULL;
  g_autoptr(FluidWorker) b = NULL;
  g_autoptr(FluidWorker) c = NULL;

  add_child (fixture, FLUID_RESTART_PERMANENT, "a");
  add_child (fixture, FLUID_RESTART_TRANSIENT, "b");
  add_child (fixture, FLUID_RESTART_TEMPORARY, "bystander");
  add_child (fixture, FLUID_RESTART_PERMANENT, "c");
  start_group (fixture);
  a = g_list_model_get_item (G_LIST_MODEL (fixture->group), 0);
  b = g_list_model_get_item (G_LIST_MODEL (fixture->group), 1);
  c = g_list_model_get_item (G_LIST_MODEL (fixture->group), 3);

  fluid_test_crash (b);
  fluid_test_wait_until (fixture->restarted == 3);
  g_assert_true (fluid_worker_is_stopped (a) && fluid_worker_is_stopped (c));
  g_assert_cmpint (fluid_worker_get_exit_code (a), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->group)), ==, 3);
  g_assert_cmpstr (fixture->log.changes->str, ==, "0-1+1 1-1+1 2-1+0 2-1+1");
  for (guint i = 0; i < 3; i++)
    g_assert_true (fluid_worker_is_running (child_at (fixture->group, i)));
  g_assert_cmpstr (fluid_worker_get_name (child_at (fixture->group, 2)), ==, "c");
}

/* rest_for_one: the child and those added after it are replaced; those
 * before it go on. */
static void
test_rest_for_one (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(FluidWorker) a = NULL;
  g_autoptr(FluidWorker) b = NULL;
  g_autoptr(FluidWorker) c = NULL;

  add_child (fixture, FLUID_RESTART_PERMANENT, "a");
  add_child (fixture, FLUID_RESTART_PERMANENT, "b");
  add_child (fixture, FLUID_RESTART_PERMANENT, "c");
  start_group (fixture);
  a = g_list_model_get_item (G_LIST_MODEL (fixture->group), 0);
  b = g_list_model_get_item (G_LIST_MODEL (fixture->group), 1);
  c = g_list_model_get_item (G_LIST_MODEL (fixture->group), 2);

  fluid_test_crash (b);
  fluid_test_wait_until (fixture->restarted == 2);
  g_assert_true (child_at (fixture->group, 0) == a);
  g_assert_true (fluid_worker_is_running (a));
  g_assert_true (fluid_worker_is_stopped (c));
  g_assert_cmpstr (fixture->log.changes->str, ==, "1-1+1 2-1+1");
  g_assert_true (child_at (fixture->group, 1) != b && child_at (fixture->group, 2) != c);
}

/* one_for_all_other_child_fails_restart,
 * rest_for_one_other_child_fails_restart, sup_start_fail: a factory that
 * fails is a failed restart, tried again until it succeeds. */
static void
test_factory_fails (Fixture       *fixture,
                    gconstpointer  data)
{
  Factory *b;
  FluidWorker *old;

  fluid_workers_set_max_restarts (fixture->group, 10);
  add_child (fixture, FLUID_RESTART_PERMANENT, "a");
  b = add_child (fixture, FLUID_RESTART_PERMANENT, "b");
  start_group (fixture);

  b->fail_next = 2;
  old = child_at (fixture->group, 0);
  fluid_test_crash (old);
  fluid_test_wait_until (fixture->restarted == 2);
  g_assert_cmpuint (b->calls, ==, 1 + 3);
  g_assert_true (fluid_worker_is_running (child_at (fixture->group, 1)));
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (fixture->group)));
}

/* A factory that returns a worker that has started: a critical, and a
 * failed restart. */
static FluidWorker *
make_started_child (FluidWorkers *group,
                    gpointer      user_data)
{
  FluidWorker **started = user_data;

  return g_object_ref (*started);
}

static void
test_factory_returns_started (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(FluidWorkers) group = fluid_workers_new ();
      g_autoptr(FluidWorker) started = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
      g_autoptr(GError) error = NULL;

      g_assert_true (fluid_test_startup (started, &error));
      fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_started_child, &started, NULL);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (group)), ==, 0);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*a worker that has started*");
}

/* one_for_one (intensity), multiple_restarts: more than max-restarts in
 * the period and the group gives up, with RESTART_LIMIT naming the
 * child. */
static void
test_intensity (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  FluidWorker *child;

  fluid_workers_set_max_restarts (fixture->group, 3);
  fluid_workers_set_max_restarts_period (fixture->group, 3600);
  add_child (fixture, FLUID_RESTART_PERMANENT, "flaky");
  add_child (fixture, FLUID_RESTART_PERMANENT, "steady");
  start_group (fixture);

  for (guint i = 0; i < 3; i++)
    {
      child = child_at (fixture->group, 0);
      fluid_test_crash (child);
      wait_replaced (fixture, 0, child);
    }
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (fixture->group)));

  fluid_test_crash (child_at (fixture->group, 0));
  g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (fixture->group), &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_RESTART_LIMIT);
  g_assert_nonnull (strstr (error->message, "flaky"));
  g_assert_cmpint (fluid_worker_get_exit_code (FLUID_WORKER (fixture->group)), ==, 2);
  g_assert_true (fluid_worker_is_stopped (child_at (fixture->group, 1)));
  g_assert_cmpuint (fixture->restarted, ==, 3);
}

/* The settings, their defaults (OTP's intensity of 3 in 5 s) and their
 * notifications. The sliding window itself is tested in test-private,
 * with times given rather than waited for. */
static void
notify_count_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_settings (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  guint notified = 0;

  g_assert_cmpint (fluid_workers_get_restart_strategy (group), ==, FLUID_RESTART_STRATEGY_STOP_ALL);
  g_assert_cmpuint (fluid_workers_get_max_restarts (group), ==, 3);
  g_assert_cmpfloat (fluid_workers_get_max_restarts_period (group), ==, 5);
  g_assert_cmpfloat (fluid_workers_get_restart_delay (group), ==, 0);
  g_assert_cmpfloat (fluid_workers_get_restart_delay_max (group), ==, 30);

  g_signal_connect (group, "notify", G_CALLBACK (notify_count_cb), &notified);
  g_object_set (group,
                "restart-strategy", FLUID_RESTART_STRATEGY_REST_FOR_ONE,
                "max-restarts", 7,
                "max-restarts-period", 60.0,
                "restart-delay", 0.5,
                "restart-delay-max", 8.0,
                NULL);
  g_assert_cmpuint (notified, ==, 5);
  fluid_workers_set_max_restarts (group, 7);
  g_assert_cmpuint (notified, ==, 5);
  g_assert_cmpint (fluid_workers_get_restart_strategy (group), ==, FLUID_RESTART_STRATEGY_REST_FOR_ONE);
  g_assert_cmpuint (fluid_workers_get_max_restarts (group), ==, 7);
  g_assert_cmpfloat (fluid_workers_get_max_restarts_period (group), ==, 60);
  g_assert_cmpfloat (fluid_workers_get_restart_delay (group), ==, 0.5);
  g_assert_cmpfloat (fluid_workers_get_restart_delay_max (group), ==, 8);
  g_assert_cmpuint (fluid_workers_get_child_restarts (group, 99), ==, 0);
}

/* one_for_one_escalation, one_for_all_escalation, rest_for_one_escalation,
 * tree: a group that gives up is a failed child of its parent, which
 * replaces it (a new subtree from its factory) or gives up in turn. */
static FluidWorker *
make_subtree (FluidWorkers *parent,
              gpointer      user_data)
{
  FluidWorkers *subtree = fluid_workers_new ();

  fluid_workers_set_restart_strategy (subtree, FLUID_RESTART_STRATEGY_ONE_FOR_ONE);
  fluid_workers_set_max_restarts (subtree, 1);
  fluid_workers_set_max_restarts_period (subtree, 3600);
  fluid_workers_add_child (subtree, FLUID_RESTART_PERMANENT, make_child, factory_new ("leaf"),
                           (GDestroyNotify) factory_free);
  return FLUID_WORKER (subtree);
}

/* Crashes the leaf of @subtree twice: it replaces it once, then gives
 * up. */
static void
crash_leaf_twice (FluidWorkers *subtree)
{
  FluidWorker *leaf;

  /* A group starts its children when its run begins, a dispatch later. */
  fluid_test_wait_until (fluid_worker_is_running (child_at (subtree, 0)));
  leaf = child_at (subtree, 0);
  fluid_test_crash (leaf);
  fluid_test_wait_until (child_at (subtree, 0) != leaf && fluid_worker_is_running (child_at (subtree, 0)));
  fluid_test_crash (child_at (subtree, 0));
}

static void
test_escalation (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FluidWorker) subtree = NULL;

  fluid_workers_set_max_restarts (fixture->group, 1);
  fluid_workers_set_max_restarts_period (fixture->group, 3600);
  fluid_workers_add_child (fixture->group, FLUID_RESTART_PERMANENT, make_subtree, NULL, NULL);
  start_group (fixture);

  /* The subtree gives up; the parent replaces it. */
  subtree = g_list_model_get_item (G_LIST_MODEL (fixture->group), 0);
  crash_leaf_twice (FLUID_WORKERS (subtree));
  wait_replaced (fixture, 0, subtree);
  g_assert_cmpint (fluid_worker_get_exit_code (subtree), ==, 2);
  g_assert_cmpuint (fixture->restarted, ==, 1);

  /* The new subtree gives up in turn: the parent's intensity (1) is
   * exceeded, and the failure reaches the top. */
  g_clear_object (&subtree);
  subtree = g_list_model_get_item (G_LIST_MODEL (fixture->group), 0);
  crash_leaf_twice (FLUID_WORKERS (subtree));
  g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (fixture->group), &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_RESTART_LIMIT);
}

/* Backoff: the n-th consecutive replacement waits delay × 2^(n-1); a
 * stop of the group during a backoff drops the replacement at once, and
 * stopping never replaces anyone (hanging_restart_loop). */
static void
test_stop_during_backoff (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Factory *factory;
  FluidWorker *old;

  fluid_workers_set_restart_delay (fixture->group, 3600);
  /* The stopped child stays in place while its replacement waits. */
  factory = add_child (fixture, FLUID_RESTART_PERMANENT, "slow");
  start_group (fixture);

  old = child_at (fixture->group, 0);
  fluid_test_crash (old);
  fluid_test_wait_until (fluid_worker_is_stopped (old));
  fluid_test_settle (NULL);
  g_assert_true (child_at (fixture->group, 0) == old);
  g_assert_cmpuint (factory->calls, ==, 1);

  /* An hour of backoff: the shutdown does not wait for it. */
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (fixture->group), &error));
  g_assert_no_error (error);
  fluid_test_settle (NULL);
  g_assert_cmpuint (factory->calls, ==, 1);
  g_assert_cmpuint (fixture->restarted, ==, 0);
}

static void
record_stop_time_cb (FluidWorker *worker,
                     const char  *reason,
                     int          exit_code,
                     gpointer     user_data)
{
  *(gint64 *) user_data = g_get_monotonic_time ();
}

/* The delays double, up to restart-delay-max, and start over after a
 * healthy period. Both ends of each delay are taken when they happen, in
 * the child's ::stopped and the group's ::child-restarted, not when the
 * test gets to look: under valgrind a wait may return long after both. */
static void
test_backoff_delays (Fixture       *fixture,
                     gconstpointer  data)
{
  FluidWorker *child;
  gint64 stopped_at = 0;
  gint64 waited[3];

  fluid_workers_set_restart_delay (fixture->group, 0.02);
  fluid_workers_set_restart_delay_max (fixture->group, 0.05);
  fluid_workers_set_max_restarts (fixture->group, 100);
  fluid_workers_set_max_restarts_period (fixture->group, 3600);
  add_child (fixture, FLUID_RESTART_PERMANENT, "backoff");
  start_group (fixture);

  for (guint i = 0; i < G_N_ELEMENTS (waited); i++)
    {
      child = child_at (fixture->group, 0);
      g_signal_connect (child, "stopped", G_CALLBACK (record_stop_time_cb), &stopped_at);
      fluid_test_crash (child);
      fluid_test_wait_until (fluid_worker_is_stopped (child));
      wait_replaced (fixture, 0, child);
      waited[i] = fixture->restarted_at - stopped_at;
    }
  /* At least the delay: a lower bound, which a slow machine keeps. */
  g_assert_cmpint (waited[0], >=, 20000 - 2000);
  g_assert_cmpint (waited[1], >=, 40000 - 2000);
  g_assert_cmpint (waited[2], >=, 50000 - 2000);
}

/* The watchdog: a worker that stops being fed is shut down with the
 * reason "watchdog timeout" and, as a transient child, replaced; one that
 * is fed, or a consumer waiting for messages, is not. */
static void
do_nothing (FluidQueueConsumerWorker *worker,
            const GValue             *message,
            gpointer                  user_data)
{
}

static FluidWorker *
make_starving_child (FluidWorkers *group,
                     gpointer      user_data)
{
  GPtrArray *made = user_data;
  /* Never completes its run, and sleeps no more: starved. */
  FluidWorker *child = FLUID_WORKER (fluid_test_worker_new_named ("starving", FLUID_TEST_RUN_IGNORE_CANCEL, 0, 0.01));

  fluid_worker_set_watchdog (child, 0.2);
  g_ptr_array_add (made, g_object_ref (child));
  return child;
}

static void
test_watchdog (Fixture       *fixture,
               gconstpointer  data)
{
  /* Fed every 2 ms: a margin of 100 for a slow machine. */
  g_autoptr(FluidWorker) fed = FLUID_WORKER (fluid_test_worker_new_named ("fed", FLUID_TEST_RUN_SLEEP_LOOP, 0.002, 10));
  g_autoptr(FluidWorker) idle = fluid_queue_consumer_worker_new (do_nothing, NULL, NULL);
  g_autoptr(FluidWorker) starving = NULL;
  g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  fluid_worker_set_watchdog (fed, 0.2);
  fluid_worker_set_watchdog (idle, 0.2);
  g_assert_cmpfloat (fluid_worker_get_watchdog (fed), ==, 0.2);
  fluid_workers_set_max_restarts (fixture->group, 100);
  fluid_workers_add_child (fixture->group, FLUID_RESTART_TRANSIENT, make_starving_child, made, NULL);
  fluid_workers_add_worker (fixture->group, fed);
  fluid_workers_add_worker (fixture->group, idle);
  start_group (fixture);

  starving = g_list_model_get_item (G_LIST_MODEL (fixture->group), 0);
  fluid_test_wait_until (fluid_worker_is_stopped (starving));
  g_assert_cmpstr (fluid_worker_get_stop_reason (starving), ==, "watchdog timeout");
  /* Its run ignores its cancellable: the grace period forced it. */
  g_assert_cmpint (fluid_worker_get_exit_code (starving), ==, FLUID_EXIT_CODE_FORCED);
  wait_replaced (fixture, 0, starving);
  /* The replacement starves in turn: two periods at least went by. */
  fluid_test_wait_until (made->len >= 3);

  /* Meanwhile, several watchdog periods went by for the others. */
  g_assert_true (fluid_worker_is_running (fed));
  g_assert_true (fluid_worker_is_running (idle));
  g_assert_cmpuint (made->len, >=, 3);

  /* The runs that ignored their cancellable end, late, so that the
   * workers they hold are freed. The last child made may have been
   * stopped before its run began (a slow machine): it has none. */
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (fixture->group), &error));
  for (guint i = 0; i < made->len; i++)
    if (fluid_test_worker_has_pending_run (g_ptr_array_index (made, i)))
      fluid_test_worker_complete_run (g_ptr_array_index (made, i));
  fluid_test_settle (NULL);
}

/* fluid_worker_feed_watchdog() from another thread keeps a worker that
 * never sleeps alive. */
static gpointer
feed_until_stopped (gpointer user_data)
{
  FluidWorker *worker = user_data;

  while (!fluid_worker_is_stopped (worker))
    {
      fluid_worker_feed_watchdog (worker);
      g_usleep (1000);
    }
  return NULL;
}

static void
test_watchdog_fed_from_a_thread (void)
{
  g_autoptr(FluidWorker) worker = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_UNTIL_CANCELLED, 0, 0.01));
  g_autoptr(GError) error = NULL;
  GThread *feeder;
  gint64 until;

  /* The feeder feeds every millisecond: a period 250 times longer holds
   * under valgrind, which runs one thread at a time. */
  fluid_worker_set_watchdog (worker, 0.25);
  g_assert_true (fluid_test_startup (worker, &error));
  feeder = g_thread_new ("feeder", feed_until_stopped, worker);
  /* Four watchdog periods, the clock only deciding when to look. */
  until = g_get_monotonic_time () + G_USEC_PER_SEC;
  fluid_test_wait_until (g_get_monotonic_time () > until);
  g_assert_true (fluid_worker_is_running (worker));
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_thread_join (feeder);
  g_assert_cmpstr (fluid_worker_get_stop_reason (worker), !=, "watchdog timeout");
}

static void
test_watchdog_bad_input (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(FluidWorker) worker = FLUID_WORKER (fluid_test_worker_new (FLUID_TEST_RUN_SLEEP_LOOP, 1, 1));
      g_autoptr(GError) error = NULL;

      fluid_worker_set_watchdog (worker, -1);
      g_assert_true (fluid_test_startup (worker, &error));
      fluid_worker_set_watchdog (worker, 1);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*seconds >= 0*");
}

/* Under STOP_ALL, 1.0's behaviour: a child made by a factory stops the
 * group as any child does, and nothing leaves the list. */
static void
test_stop_all_unchanged (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  add_child (fixture, FLUID_RESTART_PERMANENT, "a");
  add_child (fixture, FLUID_RESTART_PERMANENT, "b");
  start_group (fixture);
  fluid_test_crash (child_at (fixture->group, 0));
  g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (fixture->group), &error));
  g_assert_cmpstr (fluid_worker_get_stop_reason (FLUID_WORKER (fixture->group)), ==, "child a stopped: crashed");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->group)), ==, 2);
  g_assert_cmpuint (fixture->restarted, ==, 0);
  g_assert_cmpstr (fixture->log.changes->str, ==, "");
}

/* The factory's data is freed when the child leaves, or with the group. */
static void
test_factory_data_freed (void)
{
  g_autoptr(GError) error = NULL;
  FluidWorkers *group = fluid_workers_new ();
  Factory *temporary = factory_new ("tmp"), *permanent = factory_new ("perm");

  fluid_workers_set_restart_strategy (group, FLUID_RESTART_STRATEGY_ONE_FOR_ONE);
  fluid_workers_add_child (group, FLUID_RESTART_TEMPORARY, make_child, temporary, factory_destroyed);
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_child, permanent, factory_destroyed);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  fluid_test_crash (child_at (group, 0));
  fluid_test_wait_until (temporary->destroyed);
  g_assert_false (permanent->destroyed);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
  g_object_unref (group);
  g_assert_true (permanent->destroyed);
  factory_free (temporary);
  factory_free (permanent);
}

static void
test_types (void)
{
  g_autoptr(GEnumClass) strategies = g_type_class_ref (FLUID_TYPE_RESTART_STRATEGY);
  g_autoptr(GEnumClass) restarts = g_type_class_ref (FLUID_TYPE_RESTART);
  g_autoptr(GTypeClass) workers_class = g_type_class_ref (FLUID_TYPE_WORKERS);

  /* Signals exist once the class is initialized. */
  g_assert_nonnull (workers_class);

  g_assert_cmpuint (strategies->n_values, ==, 4);
  g_assert_cmpstr (g_enum_get_value (strategies, FLUID_RESTART_STRATEGY_REST_FOR_ONE)->value_nick, ==, "rest-for-one");
  g_assert_cmpuint (restarts->n_values, ==, 3);
  g_assert_cmpstr (g_enum_get_value (restarts, FLUID_RESTART_TRANSIENT)->value_nick, ==, "transient");
  g_assert_cmpuint (g_signal_lookup ("child-restarted", FLUID_TYPE_WORKERS), !=, 0);
}

#define ADD_STRATEGY_TEST(path, strategy, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (strategy), fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  g_test_add_func ("/supervisor/types", test_types);
  ADD_STRATEGY_TEST ("/supervisor/permanent", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, test_permanent);
  ADD_STRATEGY_TEST ("/supervisor/transient", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, test_transient);
  ADD_STRATEGY_TEST ("/supervisor/temporary", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, test_temporary);
  ADD_STRATEGY_TEST ("/supervisor/one-for-one", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, test_one_for_one);
  ADD_STRATEGY_TEST ("/supervisor/one-for-all", FLUID_RESTART_STRATEGY_ONE_FOR_ALL, test_one_for_all);
  ADD_STRATEGY_TEST ("/supervisor/rest-for-one", FLUID_RESTART_STRATEGY_REST_FOR_ONE, test_rest_for_one);
  ADD_STRATEGY_TEST ("/supervisor/factory-fails/one-for-all", FLUID_RESTART_STRATEGY_ONE_FOR_ALL, test_factory_fails);
  ADD_STRATEGY_TEST ("/supervisor/factory-fails/rest-for-one", FLUID_RESTART_STRATEGY_REST_FOR_ONE, test_factory_fails);
  g_test_add_func ("/supervisor/factory-returns-started", test_factory_returns_started);
  ADD_STRATEGY_TEST ("/supervisor/intensity", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, test_intensity);
  g_test_add_func ("/supervisor/settings", test_settings);
  ADD_STRATEGY_TEST ("/supervisor/escalation/one-for-one", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, test_escalation);
  ADD_STRATEGY_TEST ("/supervisor/escalation/one-for-all", FLUID_RESTART_STRATEGY_ONE_FOR_ALL, test_escalation);
  ADD_STRATEGY_TEST ("/supervisor/escalation/rest-for-one", FLUID_RESTART_STRATEGY_REST_FOR_ONE, test_escalation);
  ADD_STRATEGY_TEST ("/supervisor/stop-during-backoff", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, test_stop_during_backoff);
  ADD_STRATEGY_TEST ("/supervisor/backoff-delays", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, test_backoff_delays);
  ADD_STRATEGY_TEST ("/supervisor/watchdog", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, test_watchdog);
  g_test_add_func ("/supervisor/watchdog-fed-from-a-thread", test_watchdog_fed_from_a_thread);
  g_test_add_func ("/supervisor/watchdog-bad-input", test_watchdog_bad_input);
  ADD_STRATEGY_TEST ("/supervisor/stop-all-unchanged", FLUID_RESTART_STRATEGY_STOP_ALL, test_stop_all_unchanged);
  g_test_add_func ("/supervisor/factory-data-freed", test_factory_data_freed);

  return g_test_run ();
}
