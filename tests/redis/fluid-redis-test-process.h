/* fluid-redis-test-process.h: redis-consumer-helper processes, watched
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A redis-consumer-helper process consuming the stream "jobs" in group
 * "workers"; its output is read on the thread-default context. */
typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  GCancellable     *cancellable;
  gboolean          ready;
  gboolean          eof;
  gboolean          done;     /* printed "done N" */
  GHashTable       *handled;  /* ids */
  GHashTable       *data;     /* the "data" fields */
  GHashTable       *holding;  /* ids held (--hang) */
  guint             duplicates;
  gint64            last_handled_time;
} FluidTestProcess;

FluidTestProcess *fluid_test_process_new  (const char         *uri,
                                           const char         *consumer,
                                           const char * const *extra_args);
/* The same for another stream. */
FluidTestProcess *fluid_test_process_new_for_stream (const char         *uri,
                                                     const char         *stream,
                                                     const char         *consumer,
                                                     const char * const *extra_args);
/* Sends @signal and waits; returns the exit status (or 128 + signal). */
int               fluid_test_process_stop (FluidTestProcess   *process,
                                           int                 signal);
void              fluid_test_process_free (FluidTestProcess   *process);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidTestProcess, fluid_test_process_free)

G_END_DECLS
