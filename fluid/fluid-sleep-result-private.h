/* fluid-sleep-result-private.h: the GAsyncResult of a worker's sleep
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FLUID_TYPE_SLEEP_RESULT (fluid_sleep_result_get_type ())
G_DECLARE_FINAL_TYPE (FluidSleepResult, fluid_sleep_result, FLUID, SLEEP_RESULT, GObject)

FluidSleepResult *fluid_sleep_result_new       (GObject           *source_object,
                                                gpointer           source_tag,
                                                gpointer           user_data,
                                                gboolean           value,
                                                GError            *error);
gboolean          fluid_sleep_result_propagate (FluidSleepResult  *self,
                                                GError           **error);

G_END_DECLS
