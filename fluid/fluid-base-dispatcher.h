/* fluid-base-dispatcher.h: the handler table shared by the dispatchers
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
 * FLUID_TYPE_BASE_DISPATCHER:
 *
 * The #GType of #FluidBaseDispatcher.
 *
 * Since: 1.2
 */
#define FLUID_TYPE_BASE_DISPATCHER (fluid_base_dispatcher_get_type ())

/**
 * FluidBaseDispatcher:
 *
 * The abstract base of #FluidDispatcher and #FluidAsyncDispatcher; its
 * fields are private.
 *
 * Since: 1.2
 */
FLUID_AVAILABLE_IN_1_2
G_DECLARE_DERIVABLE_TYPE (FluidBaseDispatcher, fluid_base_dispatcher,
                          FLUID, BASE_DISPATCHER, GObject)

/**
 * FluidEventTypeFunc:
 * @dispatcher: the dispatcher
 * @message: the message
 * @user_data: the data given with the function
 *
 * Maps a message to its event type.
 *
 * Since 1.2, @dispatcher is a #FluidBaseDispatcher: the #FluidDispatcher or
 * #FluidAsyncDispatcher the function was given to.
 *
 * Returns: (transfer full) (nullable): the event type of @message, or
 *   %NULL when no handler is to be called
 *
 * Since: 1.0
 */
typedef char *(* FluidEventTypeFunc) (FluidBaseDispatcher *dispatcher,
                                      const GValue        *message,
                                      gpointer             user_data);

/**
 * FluidBaseDispatcherClass:
 * @parent_class: the parent class
 * @event_type: maps a message to its event type; see
 *   fluid_base_dispatcher_get_event_type()
 *
 * The class structure of #FluidBaseDispatcher.
 *
 * Since: 1.2
 */
struct _FluidBaseDispatcherClass
{
  GObjectClass parent_class;

  char *(* event_type) (FluidBaseDispatcher *self,
                        const GValue        *message);

  /*< private >*/
  gpointer padding[8];
};

FLUID_AVAILABLE_IN_1_2
char     *fluid_base_dispatcher_get_event_type     (FluidBaseDispatcher *self,
                                                    const GValue        *message) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
gboolean  fluid_base_dispatcher_unregister_handler (FluidBaseDispatcher *self,
                                                    const char          *event);
FLUID_AVAILABLE_IN_1_2
guint     fluid_base_dispatcher_get_n_handlers     (FluidBaseDispatcher *self,
                                                    const char          *event_type);

G_END_DECLS
