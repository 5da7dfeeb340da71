/* test-dispatcher-common.h: helpers shared by test-dispatcher and
 * test-dispatcher-reentrancy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-test-utils.h"

G_BEGIN_DECLS

/* Initializes @value as a G_TYPE_STRING holding @text. */
void          set_string                         (GValue                *value,
                                                  const char            *text);

/* Dispatches the string @text on @dispatcher, iterating the thread-default
 * context until the dispatch completes; returns its handler count. */
guint         dispatch_and_wait                  (FluidAsyncDispatcher  *dispatcher,
                                                  const char            *text,
                                                  GError               **error);

G_END_DECLS
