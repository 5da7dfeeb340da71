/* fluid-dispatcher-private.h: what the dispatchers share about handlers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-dispatcher.h"

G_BEGIN_DECLS

/* A registered handler; reference counted so that a dispatch in progress
 * survives its unregistration. */
typedef struct
{
  gatomicrefcount  ref_count;
  char            *tag;
  GCallback        func;
  gboolean         is_async;
  gpointer         user_data;
  GDestroyNotify   destroy;
} FluidHandler;

FluidHandler *fluid_handler_ref                   (FluidHandler       *handler);
void       fluid_handler_unref                    (FluidHandler       *handler);

void       fluid_dispatcher_set_event_type_func   (FluidDispatcher    *self,
                                                   FluidEventTypeFunc  func,
                                                   gpointer            user_data,
                                                   GDestroyNotify      destroy);

/* Registers @func, of the kind @is_async says. */
gboolean   fluid_dispatcher_add_handler           (FluidDispatcher    *self,
                                                   const char         *event,
                                                   GCallback           func,
                                                   gboolean            is_async,
                                                   gpointer            user_data,
                                                   GDestroyNotify      destroy);

/* The handlers for @message, in the order they were registered, each
 * referenced (the array frees them); NULL when there is none. */
GPtrArray *fluid_dispatcher_get_message_handlers  (FluidDispatcher    *self,
                                                   const GValue       *message);

G_END_DECLS
