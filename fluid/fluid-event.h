/* fluid-event.h: the event a dispatcher's handler is registered for
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

#define FLUID_TYPE_EVENT (fluid_event_get_type ())

typedef struct _FluidEvent FluidEvent;

/**
 * FluidEvent:
 * @type: the event type, never empty
 * @tag: the tag, the empty string when there is none
 *
 * An event: a type, and a tag that tells apart several handlers of one
 * type. Its string form is `"type"` or `"type.tag"`.
 *
 * Since: 1.0
 */
struct _FluidEvent
{
  char *type;
  char *tag;
};

FLUID_AVAILABLE_IN_1_0
GType       fluid_event_get_type        (void) G_GNUC_CONST;

FLUID_AVAILABLE_IN_1_0
FluidEvent *fluid_event_new             (const char        *type,
                                         const char        *tag) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
FluidEvent *fluid_event_new_from_string (const char        *event,
                                         GError           **error) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
FluidEvent *fluid_event_copy            (const FluidEvent  *event) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
void        fluid_event_free            (FluidEvent        *event);
FLUID_AVAILABLE_IN_1_0
char       *fluid_event_to_string       (const FluidEvent  *event) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
gboolean    fluid_event_equal           (const FluidEvent  *a,
                                         const FluidEvent  *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidEvent, fluid_event_free)

G_END_DECLS
