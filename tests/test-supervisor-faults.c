/* test-supervisor-faults.c: factories and handlers that turn on their
 * group while it replaces a child
 *
 * Whatever a factory, an items-changed or a child-restarted handler does
 * to its group (fail or stop a sibling, add children, stop the group, run
 * a nested main loop, drop the last reference, return the group itself),
 * a PERMANENT child is replaced, or the group stops: because it was asked
 * to, or giving up with an error. Never a child left stopped in a running
 * group, nor a group that does not end.
 *
 * Each case runs twice: with restart-delay 0, where the replacement is
 * made while the group is told of the stop, and with 1 ms, where it is
 * made from a timer and the stop of a sibling is told to the group in the
 * middle of the factory.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <string.h>

/* What the factory of "p" does on its second call (its first
 * replacement), or a handler the first time it runs. */
typedef enum
{
  MEDDLE_NONE,
  MEDDLE_FAIL_BEFORE,          /* fails "before", and waits for its stop */
  MEDDLE_STOP_BEFORE,          /* stops "before" gracefully, and waits */
  MEDDLE_FAIL_AFTER,           /* fails "after", and waits */
  MEDDLE_ADD_CHILDREN,         /* adds a worker and a child */
  MEDDLE_STOP_GROUP,           /* stops the group */
  MEDDLE_NESTED_LOOP,          /* iterates the context until an idle ran */
  MEDDLE_DROP_GROUP,           /* drops the test's reference on the group */
  MEDDLE_RETURN_NULL_TWICE,    /* returns NULL, and again on the retry */
} Meddle;

/* Where the meddling is done. */
typedef enum
{
  IN_FACTORY,
  IN_CHILD_RESTARTED,
  IN_ITEMS_CHANGED,
} Place;

typedef struct
{
  const char           *path;
  FluidRestartStrategy  strategy;
  FluidRestart          before;     /* the restart type of "before" */
  Place                 place;
  Meddle                meddle;
  /* The names of the children, all running, once the group settled;
   * NULL: the group stops, and no child runs. */
  const char           *expected;
} Case;

static const Case cases[] = {
  { "one-for-one/factory-fails-temporary-before", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_FAIL_BEFORE, "p after" },
  { "one-for-one/factory-stops-temporary-before", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_STOP_BEFORE, "p after" },
  { "one-for-one/factory-fails-transient-before", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TRANSIENT, IN_FACTORY, MEDDLE_FAIL_BEFORE, "before p after" },
  { "one-for-one/factory-stops-transient-before", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TRANSIENT, IN_FACTORY, MEDDLE_STOP_BEFORE, "p after" },
  { "one-for-one/factory-fails-permanent-before", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_PERMANENT, IN_FACTORY, MEDDLE_FAIL_BEFORE, "before p after" },
  { "one-for-one/factory-fails-after", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_FAIL_AFTER, "before p after" },
  { "one-for-one/factory-adds-children", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_ADD_CHILDREN, "before p after added made" },
  { "one-for-one/factory-stops-group", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_STOP_GROUP, NULL },
  { "one-for-one/factory-runs-nested-loop", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_NESTED_LOOP, "before p after" },
  { "one-for-one/factory-drops-group", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_DROP_GROUP, "before p after" },
  { "one-for-one/factory-returns-null", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_RETURN_NULL_TWICE, "before p after" },
  { "one-for-one/restarted-fails-temporary-before", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_CHILD_RESTARTED, MEDDLE_FAIL_BEFORE, "p after" },
  { "one-for-one/restarted-adds-children", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_CHILD_RESTARTED, MEDDLE_ADD_CHILDREN, "before p after added made" },
  { "one-for-one/restarted-stops-group", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_CHILD_RESTARTED, MEDDLE_STOP_GROUP, NULL },
  { "one-for-one/restarted-drops-group", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_CHILD_RESTARTED, MEDDLE_DROP_GROUP, "before p after" },
  { "one-for-one/items-changed-fails-temporary-before", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_ITEMS_CHANGED, MEDDLE_FAIL_BEFORE, "p after" },
  { "one-for-one/items-changed-stops-group", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_ITEMS_CHANGED, MEDDLE_STOP_GROUP, NULL },
  { "one-for-one/items-changed-runs-nested-loop", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_ITEMS_CHANGED, MEDDLE_NESTED_LOOP, "before p after" },
  { "rest-for-one/factory-fails-temporary-before", FLUID_RESTART_STRATEGY_REST_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_FAIL_BEFORE, "p after" },
  { "rest-for-one/factory-fails-after", FLUID_RESTART_STRATEGY_REST_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_FAIL_AFTER, "before p after" },
  { "rest-for-one/factory-fails-permanent-before", FLUID_RESTART_STRATEGY_REST_FOR_ONE,
    FLUID_RESTART_PERMANENT, IN_FACTORY, MEDDLE_FAIL_BEFORE, "before p after" },
  { "rest-for-one/factory-stops-group", FLUID_RESTART_STRATEGY_REST_FOR_ONE,
    FLUID_RESTART_TEMPORARY, IN_FACTORY, MEDDLE_STOP_GROUP, NULL },
  { "one-for-all/factory-fails-before", FLUID_RESTART_STRATEGY_ONE_FOR_ALL,
    FLUID_RESTART_PERMANENT, IN_FACTORY, MEDDLE_FAIL_BEFORE, "before p after" },
  { "one-for-all/factory-adds-children", FLUID_RESTART_STRATEGY_ONE_FOR_ALL,
    FLUID_RESTART_PERMANENT, IN_FACTORY, MEDDLE_ADD_CHILDREN, "before p after added made" },
  { "one-for-all/restarted-fails-before", FLUID_RESTART_STRATEGY_ONE_FOR_ALL,
    FLUID_RESTART_PERMANENT, IN_CHILD_RESTARTED, MEDDLE_FAIL_BEFORE, "before p after" },
  { "one-for-all/factory-runs-nested-loop", FLUID_RESTART_STRATEGY_ONE_FOR_ALL,
    FLUID_RESTART_PERMANENT, IN_FACTORY, MEDDLE_NESTED_LOOP, "before p after" },
};

typedef struct
{
  const Case *test_case;
  double      restart_delay;
} Variant;

static Variant variants[G_N_ELEMENTS (cases) * 2];

typedef struct
{
  const Case   *test_case;
  /* A reference, until MEDDLE_DROP_GROUP drops it; @alive stays valid
   * while the group runs, which keeps itself alive. */
  FluidWorkers *group;
  FluidWorkers *alive;
  gpointer      weak;
  guint         calls;     /* of the factory of "p" */
  gboolean      meddled;
  gboolean      idle_ran;
  guint         restarted;
} Fixture;

static FluidWorker *
sleeper (const char *name)
{
  return FLUID_WORKER (fluid_test_worker_new_named (name, FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
}

static FluidWorker *
make_named (FluidWorkers *group,
            gpointer      user_data)
{
  return sleeper (user_data);
}

static FluidWorker *
find_child (FluidWorkers *group,
            const char   *name)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (group));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (group), i);

      if (g_str_equal (fluid_worker_get_name (child), name))
        return child;
    }
  return NULL;
}

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Fails or stops @name (a child that has stopped already is left alone),
 * and iterates the context until its state says so: the group may or may
 * not have been told yet. */
static void
stop_sibling (FluidWorkers *group,
              const char   *name,
              gboolean      fail)
{
  FluidWorker *sibling = find_child (group, name);

  if (sibling == NULL || !fluid_worker_is_running (sibling))
    return;
  g_object_ref (sibling);
  if (fail)
    fluid_test_crash (sibling);
  else
    fluid_worker_gracefully_stop (sibling);
  fluid_test_wait_until (fluid_worker_is_stopped (sibling));
  g_object_unref (sibling);
}

static void
meddle (Fixture *fixture)
{
  FluidWorkers *group = fixture->alive;

  fixture->meddled = TRUE;
  switch (fixture->test_case->meddle)
    {
    case MEDDLE_FAIL_BEFORE:
      stop_sibling (group, "before", TRUE);
      break;
    case MEDDLE_STOP_BEFORE:
      stop_sibling (group, "before", FALSE);
      break;
    case MEDDLE_FAIL_AFTER:
      stop_sibling (group, "after", TRUE);
      break;
    case MEDDLE_ADD_CHILDREN:
      {
        g_autoptr(FluidWorker) added = sleeper ("added");

        fluid_workers_add_worker (group, added);
        fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_named, "made", NULL);
      }
      break;
    case MEDDLE_STOP_GROUP:
      fluid_worker_gracefully_stop (FLUID_WORKER (group));
      break;
    case MEDDLE_NESTED_LOOP:
      fixture->idle_ran = FALSE;
      g_idle_add (set_flag_cb, &fixture->idle_ran);
      fluid_test_wait_until (fixture->idle_ran);
      break;
    case MEDDLE_DROP_GROUP:
      g_clear_object (&fixture->group);
      break;
    case MEDDLE_RETURN_NULL_TWICE:
    case MEDDLE_NONE:
    default:
      break;
    }
}

static FluidWorker *
make_p (FluidWorkers *group,
        gpointer      user_data)
{
  Fixture *fixture = user_data;
  const Case *test_case = fixture->test_case;

  fixture->calls++;
  if (test_case->place == IN_FACTORY && test_case->meddle == MEDDLE_RETURN_NULL_TWICE &&
      (fixture->calls == 2 || fixture->calls == 3))
    {
      fixture->meddled = TRUE;
      return NULL;
    }
  if (test_case->place == IN_FACTORY && fixture->calls == 2)
    meddle (fixture);
  return sleeper ("p");
}

static void
child_restarted_cb (FluidWorkers *group,
                    FluidWorker  *old_child,
                    FluidWorker  *new_child,
                    gpointer      user_data)
{
  Fixture *fixture = user_data;

  fixture->restarted++;
  if (fixture->test_case->place == IN_CHILD_RESTARTED && !fixture->meddled &&
      g_str_equal (fluid_worker_get_name (new_child), "p"))
    meddle (fixture);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(FluidWorker) item = NULL;

  if (fixture->test_case->place != IN_ITEMS_CHANGED || fixture->meddled || removed != 1 || added != 1)
    return;
  item = g_list_model_get_item (model, position);
  if (g_str_equal (fluid_worker_get_name (item), "p"))
    meddle (fixture);
}

/* Whether the children are @expected (their names, in order), each
 * running. */
static gboolean
children_are (FluidWorkers *group,
              const char   *expected)
{
  g_autoptr(GString) names = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (group));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (group), i);

      if (!fluid_worker_is_running (child))
        return FALSE;
      g_string_append_printf (names, "%s%s", i > 0 ? " " : "", fluid_worker_get_name (child));
    }
  return g_str_equal (names->str, expected);
}

static gboolean
no_child_runs (FluidWorkers *group)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (group));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (group), i);

      if (fluid_worker_has_started (child) && !fluid_worker_is_stopped (child))
        return FALSE;
    }
  return TRUE;
}

static void
test_meddling (gconstpointer data)
{
  const Variant *variant = data;
  const Case *test_case = variant->test_case;
  Fixture fixture = { test_case, NULL, NULL, NULL, 0, FALSE, FALSE, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(FluidWorker) p = NULL;

  fixture.group = fluid_workers_new ();
  fixture.alive = fixture.group;
  fixture.weak = fixture.group;
  g_object_add_weak_pointer (G_OBJECT (fixture.group), &fixture.weak);
  g_object_set (fixture.group,
                "restart-strategy", test_case->strategy,
                "restart-delay", variant->restart_delay,
                "max-restarts", 10,
                "max-restarts-period", 3600.0,
                NULL);
  fluid_workers_add_child (fixture.group, test_case->before, make_named, "before", NULL);
  fluid_workers_add_child (fixture.group, FLUID_RESTART_PERMANENT, make_p, &fixture, NULL);
  fluid_workers_add_child (fixture.group, FLUID_RESTART_PERMANENT, make_named, "after", NULL);
  g_signal_connect (fixture.group, "child-restarted", G_CALLBACK (child_restarted_cb), &fixture);
  g_signal_connect (fixture.group, "items-changed", G_CALLBACK (items_changed_cb), &fixture);
  g_assert_true (fluid_test_startup (FLUID_WORKER (fixture.group), &error));
  fluid_test_wait_until (children_are (fixture.alive, "before p after"));

  p = g_object_ref (find_child (fixture.alive, "p"));
  fluid_test_crash (p);

  if (test_case->expected == NULL)
    {
      /* Stopped, as asked: nothing replaced from then on, nothing left
       * running. */
      g_assert_true (fluid_test_wait_for_shutdown (FLUID_WORKER (fixture.alive), &error));
      g_assert_no_error (error);
      g_assert_true (no_child_runs (fixture.alive));
      g_assert_true (fixture.meddled);
      g_clear_object (&fixture.group);
      g_assert_null (fixture.weak);
      return;
    }

  fluid_test_wait_until (children_are (fixture.alive, test_case->expected) &&
                         find_child (fixture.alive, "p") != p);
  g_assert_true (fixture.meddled);
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (fixture.alive)));
  g_assert_cmpuint (fixture.restarted, >=, 1);
  if (test_case->meddle == MEDDLE_RETURN_NULL_TWICE)
    g_assert_cmpuint (fixture.calls, ==, 4);

  /* The group still ends, whoever holds it; dropped, it is freed then. */
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (fixture.alive), &error));
  g_assert_no_error (error);
  if (fixture.weak != NULL)
    g_assert_true (no_child_runs (fixture.alive));
  g_clear_object (&fixture.group);
  g_assert_null (fixture.weak);
}

/* Fails every replacement of "p" as soon as it is made: the group gives
 * up, with FLUID_WORKER_ERROR_RESTART_LIMIT naming it, and stops every
 * child. */
static void
fail_new_child_cb (FluidWorkers *group,
                   FluidWorker  *old_child,
                   FluidWorker  *new_child,
                   gpointer      user_data)
{
  fluid_test_crash (new_child);
}

static void
test_restarted_fails_new_child (gconstpointer data)
{
  const double *restart_delay = data;
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FluidWorker) p = NULL;

  g_object_set (group,
                "restart-strategy", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
                "restart-delay", *restart_delay,
                "max-restarts", 5,
                "max-restarts-period", 3600.0,
                NULL);
  fluid_workers_add_child (group, FLUID_RESTART_TEMPORARY, make_named, "before", NULL);
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_named, "p", NULL);
  g_signal_connect (group, "child-restarted", G_CALLBACK (fail_new_child_cb), NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  fluid_test_wait_until (children_are (group, "before p"));

  p = g_object_ref (find_child (group, "p"));
  fluid_test_crash (p);
  g_assert_false (fluid_test_wait_for_shutdown (FLUID_WORKER (group), &error));
  g_assert_error (error, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_RESTART_LIMIT);
  g_assert_nonnull (strstr (error->message, "child p"));
  g_assert_true (no_child_runs (group));
}

/* A factory that returns the group itself, or a group above it, would
 * make a cycle: a critical, and a failed replacement, tried again. */
typedef struct
{
  FluidWorker *cycle;     /* what the second call returns */
  guint        calls;
} CycleFactory;

static FluidWorker *
make_cycle (FluidWorkers *group,
            gpointer      user_data)
{
  CycleFactory *factory = user_data;

  if (++factory->calls == 2)
    return g_object_ref (factory->cycle);
  return sleeper ("p");
}

static void
test_factory_returns_cycle (gconstpointer data)
{
  gboolean ancestor = GPOINTER_TO_INT (data);
  g_autoptr(FluidWorkers) parent = fluid_workers_new ();
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  CycleFactory factory = { ancestor ? FLUID_WORKER (parent) : FLUID_WORKER (group), 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(FluidWorker) p = NULL;

  /* The group runs on its own, in a parent that has not started. */
  fluid_workers_add_worker (parent, FLUID_WORKER (group));
  g_object_set (group, "restart-strategy", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, NULL);
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_cycle, &factory, NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  fluid_test_wait_until (children_are (group, "p"));

  p = g_object_ref (find_child (group, "p"));
  /* The group itself has started: the factory returned a worker that
   * has. */
  g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL,
                         ancestor ? "*cannot put*which it contains*factory*" : "*returned a worker that has started*");
  fluid_test_crash (p);
  fluid_test_wait_until (children_are (group, "p") && find_child (group, "p") != p);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (factory.calls, ==, 3);
  g_assert_cmpuint (fluid_workers_get_child_restarts (group, 0), ==, 1);
  g_assert_cmpint (fluid_worker_get_state (FLUID_WORKER (parent)), ==, FLUID_WORKER_STATE_INIT);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (parent)), ==, 1);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
}

/* The largest settings the setters take: the replacement waits, as long
 * as the clock can count, and the group still stops at once. Before, the
 * seconds were cast to integers out of range (undefined behaviour, which
 * the UBSan build of CI reports). */
static void
test_huge_settings (void)
{
  g_autoptr(FluidWorkers) group = fluid_workers_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FluidWorker) p = NULL;

  g_object_set (group,
                "restart-strategy", FLUID_RESTART_STRATEGY_ONE_FOR_ONE,
                "restart-delay", G_MAXDOUBLE,
                "restart-delay-max", G_MAXDOUBLE,
                "max-restarts-period", G_MAXDOUBLE,
                NULL);
  fluid_workers_add_child (group, FLUID_RESTART_PERMANENT, make_named, "p", NULL);
  g_assert_true (fluid_test_startup (FLUID_WORKER (group), &error));
  fluid_test_wait_until (children_are (group, "p"));
  p = g_object_ref (find_child (group, "p"));
  fluid_test_crash (p);
  fluid_test_wait_until (fluid_worker_is_stopped (p));
  fluid_test_settle (NULL);
  g_assert_true (find_child (group, "p") == p);
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (group), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fluid_workers_get_child_restarts (group, 0), ==, 0);
}

/* Chaos: children of every restart type crashed or stopped at random,
 * under each strategy, by factories and handlers that themselves crash
 * siblings, add children, run nested loops and fail. After each round,
 * once the group settled, it has stopped or all its children run: never
 * a child left stopped in a running group. */
typedef struct
{
  FluidWorkers *group;
  GRand        *rand;
  guint         made;
  gboolean      in_meddle;
  gboolean      adding;    /* in fluid_workers_add_child(): not a replacement */
  guint         restarts;
  guint         meddles;
} Chaos;

static FluidWorker *
random_running_child (Chaos *chaos)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (chaos->group));
  g_autoptr(FluidWorker) child = NULL;

  if (n == 0)
    return NULL;
  child = g_list_model_get_item (G_LIST_MODEL (chaos->group), g_rand_int_range (chaos->rand, 0, n));
  return fluid_worker_is_running (child) ? child : NULL;
}

static FluidWorker *make_chaotic (FluidWorkers *group,
                                  gpointer      user_data);

static void
chaos_add_child (Chaos *chaos)
{
  chaos->adding = TRUE;
  fluid_workers_add_child (chaos->group, g_rand_int_range (chaos->rand, 0, 3), make_chaotic, chaos,
                           NULL);
  chaos->adding = FALSE;
}

/* Does something to the group, one time in four, never nested. */
static void
chaos_meddle (Chaos *chaos)
{
  FluidWorker *child;

  if (chaos->in_meddle || g_rand_int_range (chaos->rand, 0, 4) != 0)
    return;
  chaos->in_meddle = TRUE;
  chaos->meddles++;
  switch (g_rand_int_range (chaos->rand, 0, 4))
    {
    case 0:
      if ((child = random_running_child (chaos)) != NULL)
        {
          g_object_ref (child);
          fluid_test_crash (child);
          fluid_test_wait_until (fluid_worker_is_stopped (child));
          g_object_unref (child);
        }
      break;
    case 1:
      if (g_list_model_get_n_items (G_LIST_MODEL (chaos->group)) < 12)
        chaos_add_child (chaos);
      break;
    case 2:
      fluid_test_settle (NULL);
      break;
    default:
      if ((child = random_running_child (chaos)) != NULL)
        fluid_worker_gracefully_stop (child);
      break;
    }
  chaos->in_meddle = FALSE;
}

static FluidWorker *
make_chaotic (FluidWorkers *group,
              gpointer      user_data)
{
  Chaos *chaos = user_data;
  g_autofree char *name = g_strdup_printf ("c%u", chaos->made++ % 5);

  if (!chaos->adding)
    {
      chaos_meddle (chaos);
      if (g_rand_int_range (chaos->rand, 0, 8) == 0)
        return NULL;
    }
  return sleeper (name);
}

static void
chaos_restarted_cb (FluidWorkers *group,
                    FluidWorker  *old_child,
                    FluidWorker  *new_child,
                    gpointer      user_data)
{
  Chaos *chaos = user_data;

  chaos->restarts++;
  chaos_meddle (chaos);
}

static gboolean
chaos_settled (Chaos *chaos)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (chaos->group));

  if (fluid_worker_is_stopped (FLUID_WORKER (chaos->group)))
    return TRUE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FluidWorker) child = g_list_model_get_item (G_LIST_MODEL (chaos->group), i);

      if (!fluid_worker_is_running (child))
        return FALSE;
    }
  return TRUE;
}

static const Case chaos_strategies[] = {
  { "one-for-one", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, 0, 0, 0, NULL },
  { "one-for-all", FLUID_RESTART_STRATEGY_ONE_FOR_ALL, 0, 0, 0, NULL },
  { "rest-for-one", FLUID_RESTART_STRATEGY_REST_FOR_ONE, 0, 0, 0, NULL },
};

static const Variant chaos_variants[] = {
  { &chaos_strategies[0], 0 }, { &chaos_strategies[0], 0.0005 },
  { &chaos_strategies[1], 0 }, { &chaos_strategies[1], 0.0005 },
  { &chaos_strategies[2], 0 }, { &chaos_strategies[2], 0.0005 },
};

static void
test_chaos (gconstpointer data)
{
  const Variant *variant = data;
  FluidRestartStrategy strategy = variant->test_case->strategy;
  Chaos chaos = { fluid_workers_new (), g_rand_new_with_seed (strategy + 1), 0, FALSE, FALSE, 0, 0 };
  g_autoptr(GError) error = NULL;

  g_object_set (chaos.group,
                "restart-strategy", strategy,
                "restart-delay", variant->restart_delay,
                "restart-delay-max", 0.002,
                "max-restarts", 100000,
                "max-restarts-period", 3600.0,
                NULL);
  for (guint i = 0; i < 6; i++)
    chaos_add_child (&chaos);
  g_signal_connect (chaos.group, "child-restarted", G_CALLBACK (chaos_restarted_cb), &chaos);
  g_assert_true (fluid_test_startup (FLUID_WORKER (chaos.group), &error));

  for (guint round = 0; round < 150 && fluid_worker_is_running (FLUID_WORKER (chaos.group)); round++)
    {
      FluidWorker *child = random_running_child (&chaos);

      if (child != NULL && g_rand_boolean (chaos.rand))
        fluid_test_crash (child);
      else if (child != NULL)
        fluid_worker_gracefully_stop (child);
      fluid_test_wait_until (chaos_settled (&chaos));
    }

  g_test_message ("%u restarts, %u meddlings, %u children left", chaos.restarts, chaos.meddles,
                  g_list_model_get_n_items (G_LIST_MODEL (chaos.group)));
  /* Nothing gave up: the intensity is out of reach. */
  g_assert_true (fluid_worker_is_running (FLUID_WORKER (chaos.group)));
  g_assert_true (fluid_test_shutdown (FLUID_WORKER (chaos.group), &error));
  g_assert_no_error (error);
  g_assert_true (no_child_runs (chaos.group));
  g_object_unref (chaos.group);
  g_rand_free (chaos.rand);
}

int
main (int   argc,
      char *argv[])
{
  static const double at_once = 0, delayed = 0.001;

  g_test_init (&argc, &argv, NULL);
  /* A worker that fails logs a warning: captured, not fatal. */
  fluid_test_log_capture_init ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      for (guint j = 0; j < 2; j++)
        {
          Variant *variant = &variants[2 * i + j];
          g_autofree char *path = NULL;

          variant->test_case = &cases[i];
          variant->restart_delay = j == 0 ? at_once : delayed;
          path = g_strdup_printf ("/supervisor-faults/%s/%s", cases[i].path,
                                  j == 0 ? "at-once" : "delayed");
          g_test_add_data_func (path, variant, test_meddling);
        }
    }
  g_test_add_data_func ("/supervisor-faults/restarted-fails-new-child/at-once", &at_once,
                        test_restarted_fails_new_child);
  g_test_add_data_func ("/supervisor-faults/restarted-fails-new-child/delayed", &delayed,
                        test_restarted_fails_new_child);

  g_test_add_func ("/supervisor-faults/huge-settings", test_huge_settings);
  for (guint i = 0; i < G_N_ELEMENTS (chaos_variants); i++)
    {
      g_autofree char *path = g_strdup_printf ("/supervisor-faults/chaos/%s/%s",
                                               chaos_variants[i].test_case->path,
                                               chaos_variants[i].restart_delay == 0 ? "at-once" : "delayed");

      g_test_add_data_func (path, &chaos_variants[i], test_chaos);
    }
  g_test_add_data_func ("/supervisor-faults/factory-returns-group", GINT_TO_POINTER (FALSE),
                        test_factory_returns_cycle);
  g_test_add_data_func ("/supervisor-faults/factory-returns-ancestor", GINT_TO_POINTER (TRUE),
                        test_factory_returns_cycle);

  return g_test_run ();
}
