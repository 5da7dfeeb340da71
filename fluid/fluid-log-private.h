/* fluid-log-private.h: how the library logs what happens to a worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "fluid-worker.h"

G_BEGIN_DECLS

/* Logs "NAME message" in the Fluid domain with g_log_structured(), with the
 * field FLUID_WORKER holding @worker_name; not even formatted when GLib's
 * default writer would drop it (thousands of workers start and stop at
 * once, and their debug lines are usually dropped). The _valist form
 * serves callers that take a format of their own. */
void fluid_log_worker (const char     *worker_name,
                       GLogLevelFlags  level,
                       const char     *format,
                       ...) G_GNUC_PRINTF (3, 4);
void fluid_log_worker_valist (const char     *worker_name,
                              GLogLevelFlags  level,
                              const char     *format,
                              va_list         args) G_GNUC_PRINTF (3, 0);

/* The lifecycle events, each with its MESSAGE_ID (see fluid-log.c). */
typedef enum
{
  FLUID_LOG_EVENT_STARTED,
  FLUID_LOG_EVENT_STOPPING,
  FLUID_LOG_EVENT_STOPPED,
  FLUID_LOG_EVENT_RESTARTED,
  FLUID_LOG_EVENT_FAILED,
} FluidLogEvent;

/* Logs @event of the worker @worker_name as fluid_log_worker() does, with
 * the fields FLUID_STATE (the nick of @state), FLUID_EXIT_CODE and
 * FLUID_STOP_REASON (@stop_reason, or empty) and the event's MESSAGE_ID:
 * at debug level, a failure at warning level. Any thread. */
void fluid_log_event  (FluidLogEvent     event,
                       const char       *worker_name,
                       FluidWorkerState  state,
                       int               exit_code,
                       const char       *stop_reason,
                       const char       *format,
                       ...) G_GNUC_PRINTF (6, 7);

G_END_DECLS
