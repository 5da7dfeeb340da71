/* fluid-log.c: how the library logs what happens to a worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-log-private.h"

/* Any thread: GLib's structured logging is. */
void
fluid_log_worker (const char     *worker_name,
                  GLogLevelFlags  level,
                  const char     *format,
                  ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (g_log_writer_default_would_drop (level, G_LOG_DOMAIN))
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_log_structured (G_LOG_DOMAIN, level,
                    "FLUID_WORKER", worker_name,
                    "MESSAGE", "%s %s", worker_name, message);
}
