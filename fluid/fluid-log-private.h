/* fluid-log-private.h: how the library logs what happens to a worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Logs "NAME message" in the Fluid domain with g_log_structured(), with the
 * field FLUID_WORKER holding @worker_name; not even formatted when GLib's
 * default writer would drop it (thousands of workers start and stop at
 * once, and their debug lines are usually dropped). */
void fluid_log_worker (const char     *worker_name,
                       GLogLevelFlags  level,
                       const char     *format,
                       ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
