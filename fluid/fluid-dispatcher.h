/* fluid-dispatcher.h: handlers of messages keyed by event type and tag
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <glib-object.h>

#include <fluid/fluid-version.h>

G_BEGIN_DECLS

/**
 * FLUID_TYPE_DISPATCHER:
 *
 * The #GType of #FluidDispatcher.
 */
#define FLUID_TYPE_DISPATCHER (fluid_dispatcher_get_type ())

/**
 * FluidDispatcher:
 *
 * Holds message handlers keyed by event type and tag; its fields are private.
 */
FLUID_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (FluidDispatcher, fluid_dispatcher, FLUID, DISPATCHER, GObject)

/**
 * FluidEventTypeFunc:
 * @dispatcher: the #FluidDispatcher
 * @message: the message
 * @user_data: the data given with the function
 *
 * Maps a message to its event type.
 *
 * Returns: (transfer full) (nullable): the event type of @message, or
 *   %NULL when no handler is to be called
 */
typedef char *(* FluidEventTypeFunc) (FluidDispatcher *dispatcher,
                                      const GValue    *message,
                                      gpointer         user_data);

/**
 * FluidHandlerFunc:
 * @message: the message
 * @user_data: the data given with the handler
 *
 * A handler of a #FluidDispatcher.
 */
typedef void (* FluidHandlerFunc) (const GValue *message,
                                   gpointer      user_data);

/**
 * FluidDispatcherClass:
 * @parent_class: the parent class
 * @event_type: maps a message to its event type (transfer full, nullable).
 *   The default calls the #FluidEventTypeFunc given to
 *   fluid_dispatcher_new(); without one, a string message is its own event
 *   type, and any other message's event type is the name of its #GType.
 *
 * The class structure of #FluidDispatcher.
 */
struct _FluidDispatcherClass
{
  GObjectClass parent_class;

  char *(* event_type) (FluidDispatcher *self,
                        const GValue    *message);

  /*< private >*/
  gpointer padding[12];
};

FLUID_AVAILABLE_IN_1_0
FluidDispatcher *fluid_dispatcher_new                (FluidEventTypeFunc   func,
                                                      gpointer             user_data,
                                                      GDestroyNotify       destroy) G_GNUC_WARN_UNUSED_RESULT;

FLUID_AVAILABLE_IN_1_0
char            *fluid_dispatcher_get_event_type     (FluidDispatcher     *self,
                                                      const GValue        *message) G_GNUC_WARN_UNUSED_RESULT;

FLUID_AVAILABLE_IN_1_0
gboolean         fluid_dispatcher_register_handler   (FluidDispatcher     *self,
                                                      const char          *event,
                                                      FluidHandlerFunc     func,
                                                      gpointer             user_data,
                                                      GDestroyNotify       destroy);
FLUID_AVAILABLE_IN_1_0
gboolean         fluid_dispatcher_unregister_handler (FluidDispatcher     *self,
                                                      const char          *event);
FLUID_AVAILABLE_IN_1_0
guint            fluid_dispatcher_get_n_handlers     (FluidDispatcher     *self,
                                                      const char          *event_type);
FLUID_AVAILABLE_IN_1_0
guint            fluid_dispatcher_dispatch           (FluidDispatcher     *self,
                                                      const GValue        *message);

G_END_DECLS
