/* test-dbus-keys.c: a child's name means the same child in GetStatus, on
 * the bus and in fluidctl
 *
 * Children of one name are told apart by their group's keys: its status
 * keys, which are also the last elements of their object paths and the
 * keys of the group's Restarts. The group is exported on a dbus-daemon of
 * the test's own, under a bus name, and read by a client connection and
 * by fluidctl ($FLUIDCTL), as another process would.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-test-utils.h"

#include <string.h>

#define BUS_NAME  "org.gnome.Fluid.TestKeys"
#define TREE_PATH "/org/gnome/Fluid/TestKeys"

typedef struct
{
  FluidTestBus    *bus;
  GDBusConnection *service;
  GDBusConnection *client;
  guint            owner;
  FluidWorkers    *group;
} Fixture;

static FluidWorker *
make_x2 (FluidWorkers *group,
         gpointer      user_data)
{
  return FLUID_WORKER (fluid_test_worker_new_named ("x#2", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
}

/* The group "tree" of three children, in this order: a worker named "x",
 * a consumer named "x", and a child named "x#2" made by a factory. Under
 * one_for_one, so that the last can be replaced. */
static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(FluidWorker) x = NULL;
  g_autoptr(FluidWorker) consumer = NULL;

  fixture->bus = fluid_test_bus_new ();
  if (fixture->bus == NULL)
    {
      g_test_skip ("dbus-daemon is not installed");
      return;
    }
  fixture->service = fluid_test_bus_connect (fixture->bus);
  fixture->client = fluid_test_bus_connect (fixture->bus);
  fixture->group = g_object_new (FLUID_TYPE_WORKERS, "name", "tree",
                                 "restart-strategy", FLUID_RESTART_STRATEGY_ONE_FOR_ONE, NULL);
  x = FLUID_WORKER (fluid_test_worker_new_named ("x", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
  /* No message is sent to it: no function. */
  consumer = g_object_new (FLUID_TYPE_QUEUE_CONSUMER_WORKER, "name", "x", NULL);
  fluid_workers_add_worker (fixture->group, x);
  fluid_workers_add_worker (fixture->group, consumer);
  fluid_workers_add_child (fixture->group, FLUID_RESTART_PERMANENT, make_x2, NULL, NULL);

  fixture->owner = fluid_test_bus_export (fixture->service, FLUID_WORKER (fixture->group),
                                          TREE_PATH, BUS_NAME);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->bus == NULL)
    return;
  fluid_test_bus_unexport (FLUID_WORKER (fixture->group), fixture->owner);
  g_dbus_connection_close_sync (fixture->client, NULL, NULL);
  g_dbus_connection_close_sync (fixture->service, NULL, NULL);
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->service);
  g_clear_object (&fixture->group);
  fluid_test_bus_free (fixture->bus);
}

/* A call from the client, the default context answering meanwhile. */
static GVariant *
call (Fixture    *fixture,
      const char *interface,
      const char *method,
      GVariant   *parameters,
      const char *reply_type)
{
  return fluid_test_bus_call (fixture->client, BUS_NAME, TREE_PATH, interface, method, parameters,
                              reply_type);
}

static GVariant *
get_status (Fixture *fixture)
{
  g_autoptr(GVariant) reply = call (fixture, FLUID_DBUS_WORKER_INTERFACE, "GetStatus", NULL, "(a{sv})");

  return g_variant_get_child_value (reply, 0);
}

static GVariant *
get_restarts (Fixture *fixture)
{
  g_autoptr(GVariant) reply = call (fixture, "org.freedesktop.DBus.Properties", "Get",
                                    g_variant_new ("(ss)", FLUID_DBUS_WORKERS_INTERFACE, "Restarts"),
                                    "(v)");
  g_autoptr(GVariant) value = g_variant_get_child_value (reply, 0);

  return g_variant_get_variant (value);
}

/* The objects below the tree: path → interfaces (a{sa{sv}}). */
static GVariant *
get_objects (Fixture *fixture)
{
  g_autoptr(GVariant) reply = call (fixture, "org.freedesktop.DBus.ObjectManager",
                                    "GetManagedObjects", NULL, "(a{oa{sa{sv}}})");

  return g_variant_get_child_value (reply, 0);
}

static char *
path_of (const char *key)
{
  g_autofree char *element = g_dbus_escape_object_path (key);

  return g_strconcat (TREE_PATH "/", element, NULL);
}

/* The keys of a dictionary, in its order, space-separated. */
static char *
keys_of (GVariant *dictionary)
{
  g_autoptr(GString) keys = g_string_new (NULL);
  GVariantIter iter;
  const char *key;

  g_variant_iter_init (&iter, dictionary);
  while (g_variant_iter_next (&iter, "{&s*}", &key, NULL))
    g_string_append_printf (keys, "%s%s", keys->len > 0 ? " " : "", key);
  return g_strdup (keys->str);
}

/* Runs fluidctl BUS_NAME status KEY, and checks that it shows the child
 * of that key: its path, and the restarts of its status. */
static void
assert_fluidctl_status (Fixture    *fixture,
                        const char *key,
                        const char *name,
                        guint       restarts)
{
  const char *argv[] = { g_getenv ("FLUIDCTL"), BUS_NAME, "status", key, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *path = path_of (key);
  g_autofree char *first_line = g_strdup_printf ("%s %s\n", name, path);
  g_autofree char *restarts_line = g_strdup_printf ("    Restarts: %u\n", restarts);

  g_assert_nonnull (argv[0]);
  g_assert_cmpint (fluid_test_bus_run_client (fixture->bus, argv, &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_str_has_prefix (out, first_line));
  g_assert_nonnull (strstr (out, restarts_line));
}

/* Every key of GetStatus is the path of an object of the tree and a key
 * of Restarts, with the same count, and fluidctl finds it; and nothing
 * else is there. */
static void
assert_keys_agree (Fixture *fixture)
{
  g_autoptr(GVariant) status = get_status (fixture);
  g_autoptr(GVariant) restarts = get_restarts (fixture);
  g_autoptr(GVariant) objects = get_objects (fixture);
  g_autofree char *status_keys = keys_of (status);
  g_autofree char *restarts_keys = keys_of (restarts);
  GVariantIter iter;
  const char *key;
  GVariant *child_status;

  g_assert_cmpstr (status_keys, ==, restarts_keys);
  g_assert_cmpuint (g_variant_n_children (objects), ==, g_variant_n_children (status));
  g_variant_iter_init (&iter, status);
  while (g_variant_iter_next (&iter, "{&s@v}", &key, &child_status))
    {
      g_autoptr(GVariant) child = g_variant_get_variant (child_status);
      g_autofree char *path = path_of (key);
      g_autoptr(GVariant) interfaces = g_variant_lookup_value (objects, path, NULL);
      g_autoptr(GVariant) worker = NULL;
      const char *name = NULL;
      guint child_restarts = G_MAXUINT, listed = G_MAXUINT;

      g_variant_unref (child_status);
      g_assert_nonnull (interfaces);
      worker = g_variant_lookup_value (interfaces, FLUID_DBUS_WORKER_INTERFACE, NULL);
      g_assert_true (g_variant_lookup (worker, "Name", "&s", &name));
      g_assert_true (g_variant_lookup (child, "restarts", "u", &child_restarts));
      g_assert_true (g_variant_lookup (restarts, key, "u", &listed));
      g_assert_cmpuint (listed, ==, child_restarts);
      assert_fluidctl_status (fixture, key, name, child_restarts);
    }
}

static void
test_keys_are_status_keys (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GVariant) consumer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FluidWorker) x2 = NULL;
  g_autofree char *keys = NULL;
  g_autofree char *consumer_path = path_of ("x#3");
  guint restarts = 0;

  if (fixture->bus == NULL)
    return;

  /* The consumer, the second "x", is "x#3": "x#2" is the third child's
   * own name. */
  status = get_status (fixture);
  keys = keys_of (status);
  g_assert_cmpstr (keys, ==, "x x#3 x#2");
  objects = get_objects (fixture);
  consumer = g_variant_lookup_value (objects, consumer_path, NULL);
  g_assert_nonnull (consumer);
  g_assert_true (g_variant_lookup (consumer, FLUID_DBUS_CONSUMER_INTERFACE, "@a{sv}", NULL));
  assert_keys_agree (fixture);

  /* The third replaced: it keeps its key and its path; fluidctl shows the
   * replacement's restart under "x#2", and nothing else. */
  g_assert_true (fluid_test_startup (FLUID_WORKER (fixture->group), &error));
  x2 = g_list_model_get_item (G_LIST_MODEL (fixture->group), 2);
  fluid_test_wait_until (fluid_worker_is_running (x2));
  fluid_worker_gracefully_stop (x2);
  fluid_test_wait_until (fluid_workers_get_child_restarts (fixture->group, 2) == 1);
  g_clear_pointer (&status, g_variant_unref);
  status = get_status (fixture);
  g_assert_true (g_variant_lookup (status, "x#2", "@a{sv}", NULL));
  {
    g_autoptr(GVariant) child = g_variant_lookup_value (status, "x#2", G_VARIANT_TYPE_VARDICT);

    g_assert_true (g_variant_lookup (child, "restarts", "u", &restarts));
    g_assert_cmpuint (restarts, ==, 1);
  }
  assert_keys_agree (fixture);
}

/* Children that join an exported group take keys that no child has, and
 * the keys given before do not move. */
static void
test_keys_of_children_that_join (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(FluidWorker) another_x = NULL;
  g_autoptr(FluidWorker) x3 = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autofree char *keys = NULL;

  if (fixture->bus == NULL)
    return;

  another_x = FLUID_WORKER (fluid_test_worker_new_named ("x", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
  x3 = FLUID_WORKER (fluid_test_worker_new_named ("x#3", FLUID_TEST_RUN_SLEEP_LOOP, 3600, 10));
  fluid_workers_add_worker (fixture->group, another_x);
  fluid_workers_add_worker (fixture->group, x3);
  status = get_status (fixture);
  keys = keys_of (status);
  g_assert_cmpstr (keys, ==, "x x#3 x#2 x#4 x#3#2");
  assert_keys_agree (fixture);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/dbus-keys/status-keys", Fixture, NULL, fixture_set_up,
              test_keys_are_status_keys, fixture_tear_down);
  g_test_add ("/dbus-keys/children-that-join", Fixture, NULL, fixture_set_up,
              test_keys_of_children_that_join, fixture_tear_down);

  return g_test_run ();
}
