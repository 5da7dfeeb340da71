/* hello.c: a first program against an installed libfluid-glib.
 *
 * A worker that says hello three times, a third of a second apart, then
 * stops itself gracefully. Build and run it as the chapter "Installing and
 * building against libfluid-glib" says:
 *
 *   cc hello.c -o hello $(pkg-config --cflags --libs fluid-glib-1.0)
 *   ./hello
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fluid/fluid.h>

#if !FLUID_CHECK_VERSION (1, 2, 0)
#error "this program needs libfluid-glib 1.2.0 or newer"
#endif

static void
say_hello (FluidWorker *worker,
           gpointer     user_data)
{
  guint *count = user_data;

  g_print ("Hello %u from %s\n", ++*count, fluid_worker_get_name (worker));
  if (*count == 3)
    fluid_worker_gracefully_stop (worker);
}

int
main (void)
{
  guint count = 0;
  g_autoptr(FluidWorker) worker =
    fluid_worker_function_new_named ("hello", 0.3, say_hello, &count, NULL);

  g_print ("libfluid-glib %s\n", FLUID_VERSION_S);
  /* Starts the worker, iterates the main context until it stopped, and
   * returns its exit code: 0 for a graceful stop. */
  return fluid_worker_run_main (worker);
}
