/* test-watchdog.c: watchdog periods and grace periods at their limits
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Periods of years, or of G_MAXDOUBLE seconds, are integers of no type:
 * the library must handle them without an overflow (the sanitizer stage
 * runs this suite under UBSan), and refuse what is not a number of
 * seconds.
 */

#include "fluid-test-utils.h"

#include <math.h>

static void
tick (FluidWorker *worker,
      gpointer     user_data)
{
  guint *ticks = user_data;

  ++*ticks;
}

/* A huge watchdog watches, and never fires within the test. */
static void
test_watchdog_huge_period (void)
{
  const double periods[] = { 1e9, 1e300, G_MAXDOUBLE };

  for (guint i = 0; i < G_N_ELEMENTS (periods); i++)
    {
      guint ticks = 0;
      g_autoptr(FluidWorker) worker = fluid_worker_function_new (0.001, tick, &ticks, NULL);
      g_autoptr(GError) error = NULL;

      fluid_worker_set_watchdog (worker, periods[i]);
      g_assert_cmpfloat (fluid_worker_get_watchdog (worker), ==, periods[i]);
      fluid_worker_startup_async (worker, NULL, NULL, NULL);
      fluid_test_wait_until (ticks >= 3);
      g_assert_true (fluid_worker_is_running (worker));
      g_assert_true (fluid_test_shutdown (worker, &error));
      g_assert_no_error (error);
      g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);
    }
}

/* Infinity, NaN and negatives are refused, and the watchdog stays. */
static void
test_watchdog_bad_periods (void)
{
  const double bad[] = { INFINITY, -INFINITY, NAN, -1 };
  g_autoptr(FluidWorker) worker = fluid_worker_function_new (1, tick, NULL, NULL);

  fluid_worker_set_watchdog (worker, 5);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_expect_message ("Fluid", G_LOG_LEVEL_CRITICAL, "*fluid_worker_set_watchdog*");
      fluid_worker_set_watchdog (worker, bad[i]);
      g_test_assert_expected_messages ();
      g_assert_cmpfloat (fluid_worker_get_watchdog (worker), ==, 5);
    }
}

/* A huge grace period is armed without an overflow, and a graceful stop
 * does not wait for it. */
static void
test_grace_period_huge (void)
{
  guint ticks = 0;
  g_autoptr(FluidWorker) worker = fluid_worker_function_new (0.001, tick, &ticks, NULL);
  g_autoptr(GError) error = NULL;

  fluid_worker_set_stopping_grace_period (worker, G_MAXDOUBLE);
  fluid_worker_startup_async (worker, NULL, NULL, NULL);
  fluid_test_wait_until (ticks >= 1);
  g_assert_true (fluid_test_shutdown (worker, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fluid_worker_get_exit_code (worker), ==, FLUID_EXIT_CODE_NORMAL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/watchdog/huge-period", test_watchdog_huge_period);
  g_test_add_func ("/watchdog/bad-periods", test_watchdog_bad_periods);
  g_test_add_func ("/watchdog/huge-grace-period", test_grace_period_huge);

  return g_test_run ();
}
