/* fluid-base-dispatcher-private.h: what the dispatchers share about handlers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-base-dispatcher.h"

G_BEGIN_DECLS

/* A registered handler; reference counted so that a dispatch in progress
 * survives its unregistration. @func is a FluidHandlerFunc or a
 * FluidAsyncHandlerFunc, as the subclass that registered it knows. */
typedef struct
{
  gatomicrefcount  ref_count;
  char            *tag;
  GCallback        func;
  gpointer         user_data;
  GDestroyNotify   destroy;
} FluidHandler;

FluidHandler *fluid_handler_ref                              (FluidHandler        *handler);
void          fluid_handler_unref                            (FluidHandler        *handler);

/* The function of the default event_type; @destroy frees @user_data when
 * it is replaced or the dispatcher finalized. */
void          fluid_base_dispatcher_set_event_type_func      (FluidBaseDispatcher *self,
                                                              FluidEventTypeFunc   func,
                                                              gpointer             user_data,
                                                              GDestroyNotify       destroy);

/* Registers @func for @event, replacing the handler of the same type and
 * tag in place; TRUE if one was replaced. An event with an empty type is
 * refused with a critical, and @user_data freed. The replaced handler's
 * destroy notify runs once the new handler is in the table. */
gboolean      fluid_base_dispatcher_add_handler              (FluidBaseDispatcher *self,
                                                              const char          *event,
                                                              GCallback            func,
                                                              gpointer             user_data,
                                                              GDestroyNotify       destroy);

/* The handlers for @message, in the order they were registered, each
 * referenced (the array frees them); NULL when there is none. */
GPtrArray    *fluid_base_dispatcher_get_message_handlers     (FluidBaseDispatcher *self,
                                                              const GValue        *message);

G_END_DECLS
