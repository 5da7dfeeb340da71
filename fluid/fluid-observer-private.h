/* fluid-observer-private.h: telling others of a worker's changes of state
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _FluidObserver FluidObserver;

typedef void (* FluidObserverFunc) (GObject  *subject,
                                    guint     event,
                                    gpointer  user_data);

/* The bit of @event in a mask of the events an observer wants. */
#define FLUID_OBSERVER_EVENT(event) (1u << (event))
#define FLUID_OBSERVER_ALL_EVENTS   (~0u)

FluidObserver *fluid_observer_new    (GMainContext      *context,
                                      guint              events,
                                      FluidObserverFunc  func,
                                      gpointer           user_data);
FluidObserver *fluid_observer_ref    (FluidObserver     *observer);
void           fluid_observer_unref  (FluidObserver     *observer);
void           fluid_observer_cancel (FluidObserver     *observer);
gboolean       fluid_observer_has_context (FluidObserver *observer);
gboolean       fluid_observer_is_delivering (void);
void           fluid_observer_notify (FluidObserver     *observer,
                                      GObject           *subject,
                                      GMainContext      *subject_context,
                                      guint              event);

G_END_DECLS
