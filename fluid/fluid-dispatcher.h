/* fluid-dispatcher.h: a dispatcher of synchronous handlers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <glib-object.h>

#include <fluid/fluid-version.h>
#include <fluid/fluid-base-dispatcher.h>

G_BEGIN_DECLS

/**
 * FLUID_TYPE_DISPATCHER:
 *
 * The #GType of #FluidDispatcher.
 *
 * Since: 1.0
 */
#define FLUID_TYPE_DISPATCHER (fluid_dispatcher_get_type ())

/**
 * FluidDispatcher:
 *
 * A dispatcher of synchronous handlers; its fields are private.
 *
 * Since: 1.0
 */
FLUID_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (FluidDispatcher, fluid_dispatcher, FLUID, DISPATCHER, FluidBaseDispatcher)

/**
 * FluidHandlerFunc:
 * @message: the message
 * @user_data: the data given with the handler
 *
 * A handler of a #FluidDispatcher.
 *
 * Since: 1.0
 */
typedef void (* FluidHandlerFunc) (const GValue *message,
                                   gpointer      user_data);

/**
 * FluidDispatcherClass:
 * @parent_class: the parent class; its `event_type` virtual method maps a
 *   message to its event type
 *
 * The class structure of #FluidDispatcher.
 *
 * Since: 1.0
 */
struct _FluidDispatcherClass
{
  FluidBaseDispatcherClass parent_class;

  /*< private >*/
  gpointer padding[8];
};

FLUID_AVAILABLE_IN_1_0
FluidDispatcher *fluid_dispatcher_new                (FluidEventTypeFunc   func,
                                                      gpointer             user_data,
                                                      GDestroyNotify       destroy) G_GNUC_WARN_UNUSED_RESULT;

FLUID_AVAILABLE_IN_1_0
gboolean         fluid_dispatcher_register_handler   (FluidDispatcher     *self,
                                                      const char          *event,
                                                      FluidHandlerFunc     func,
                                                      gpointer             user_data,
                                                      GDestroyNotify       destroy);
FLUID_AVAILABLE_IN_1_0
guint            fluid_dispatcher_dispatch           (FluidDispatcher     *self,
                                                      const GValue        *message);

/* The names of 1.0, for FluidBaseDispatcher's methods. */
FLUID_AVAILABLE_IN_1_0
char            *fluid_dispatcher_get_event_type     (FluidDispatcher     *self,
                                                      const GValue        *message) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
gboolean         fluid_dispatcher_unregister_handler (FluidDispatcher     *self,
                                                      const char          *event);
FLUID_AVAILABLE_IN_1_0
guint            fluid_dispatcher_get_n_handlers     (FluidDispatcher     *self,
                                                      const char          *event_type);

G_END_DECLS
