/* test-worker-common.h: helpers shared by test-worker and test-worker-stops
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-test-utils.h"

G_BEGIN_DECLS

/* Records what a worker emits, in order. */
typedef struct
{
  GString *events;
  GArray  *states;
  GThread *signal_thread;
  guint    stopped_count;
  int      exit_code;
  char    *reason;
} Recorder;

/* Starts recording the signals and state changes of @worker. */
void          recorder_watch                     (Recorder               *recorder,
                                                  FluidWorker            *worker);
void          recorder_clear                     (Recorder               *recorder);
/* Asserts that the recorded states are @expected. */
void          assert_states                      (Recorder               *recorder,
                                                  const FluidWorkerState *expected,
                                                  guint                   n_expected);

G_END_DECLS
