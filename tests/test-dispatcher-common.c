/* test-dispatcher-common.c: helpers shared by test-dispatcher and
 * test-dispatcher-reentrancy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-dispatcher-common.h"

void
set_string (GValue     *value,
            const char *text)
{
  g_value_init (value, G_TYPE_STRING);
  g_value_set_string (value, text);
}

guint
dispatch_and_wait (FluidAsyncDispatcher  *dispatcher,
                   const char            *text,
                   GError               **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_auto(GValue) message = G_VALUE_INIT;

  set_string (&message, text);
  fluid_async_dispatcher_dispatch_async (dispatcher, &message, NULL,
                                         fluid_test_store_result_cb, &result);
  fluid_test_wait_until (result != NULL);
  return fluid_async_dispatcher_dispatch_finish (dispatcher, result, error);
}
