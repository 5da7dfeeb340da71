/* fluid-log.c: how the library logs what happens to a worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-log-private.h"
#include "fluid-enums.h"

/* Any thread: GLib's structured logging is. */
void
fluid_log_worker_valist (const char     *worker_name,
                         GLogLevelFlags  level,
                         const char     *format,
                         va_list         args)
{
  g_autofree char *message = NULL;

  if (g_log_writer_default_would_drop (level, G_LOG_DOMAIN))
    return;

  message = g_strdup_vprintf (format, args);
  g_log_structured (G_LOG_DOMAIN, level,
                    "FLUID_WORKER", worker_name,
                    "MESSAGE", "%s %s", worker_name, message);
}

void
fluid_log_worker (const char     *worker_name,
                  GLogLevelFlags  level,
                  const char     *format,
                  ...)
{
  va_list args;

  va_start (args, format);
  fluid_log_worker_valist (worker_name, level, format, args);
  va_end (args);
}

/* The MESSAGE_ID of each event, as journald's catalog has them (32
 * lowercase hex digits), fixed for ever: `journalctl MESSAGE_ID=…` finds
 * every start, stop or failure of every libfluid-glib worker. */
static const char * const fluid_log_event_ids[] = {
  [FLUID_LOG_EVENT_STARTED]   = "45232e25757046e09e4882a2afbad471",
  [FLUID_LOG_EVENT_STOPPING]  = "ee68eab2a4e44cbb88a930451bf706a3",
  [FLUID_LOG_EVENT_STOPPED]   = "ca03daadbd8c4ca6a8237cdcb50c17e3",
  [FLUID_LOG_EVENT_RESTARTED] = "d92d177dfa424e59bb0a3317ff579722",
  [FLUID_LOG_EVENT_FAILED]    = "933c09f3f4ee4d628d23fd41256a92bb",
};

/* Any thread. */
void
fluid_log_event (FluidLogEvent     event,
                 const char       *worker_name,
                 FluidWorkerState  state,
                 int               exit_code,
                 const char       *stop_reason,
                 const char       *format,
                 ...)
{
  GLogLevelFlags level = event == FLUID_LOG_EVENT_FAILED ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_DEBUG;
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;
  char exit_code_text[16];
  GEnumValue *state_value;
  va_list args;

  if (g_log_writer_default_would_drop (level, G_LOG_DOMAIN))
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  message = g_strdup_printf ("%s %s", worker_name, text);
  g_snprintf (exit_code_text, sizeof exit_code_text, "%d", exit_code);
  state_value = g_enum_get_value (g_type_class_peek (FLUID_TYPE_WORKER_STATE), state);

  {
    const GLogField fields[] = {
      { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
      { "PRIORITY", level == G_LOG_LEVEL_WARNING ? "4" : "7", -1 },
      { "MESSAGE", message, -1 },
      { "MESSAGE_ID", fluid_log_event_ids[event], -1 },
      { "FLUID_WORKER", worker_name, -1 },
      { "FLUID_STATE", state_value != NULL ? state_value->value_nick : "", -1 },
      { "FLUID_EXIT_CODE", exit_code_text, -1 },
      { "FLUID_STOP_REASON", stop_reason != NULL ? stop_reason : "", -1 },
    };

    g_log_structured_array (level, fields, G_N_ELEMENTS (fields));
  }
}
