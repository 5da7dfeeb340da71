/* test-worker-common.c: helpers shared by test-worker and test-worker-stops
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-worker-common.h"

static void
recorder_state_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  Recorder *recorder = user_data;
  FluidWorkerState state = fluid_worker_get_state (FLUID_WORKER (object));

  g_array_append_val (recorder->states, state);
  recorder->signal_thread = g_thread_self ();
}

static void
recorder_started_cb (FluidWorker *worker,
                     gpointer     user_data)
{
  Recorder *recorder = user_data;

  g_assert_true (fluid_worker_is_running (worker));
  g_string_append (recorder->events, "started;");
}

static void
recorder_stopping_cb (FluidWorker *worker,
                      gpointer     user_data)
{
  Recorder *recorder = user_data;

  g_assert_true (fluid_worker_is_stopping (worker));
  g_string_append (recorder->events, "stopping;");
}

static void
recorder_stopped_cb (FluidWorker *worker,
                     const char  *reason,
                     int          exit_code,
                     gpointer     user_data)
{
  Recorder *recorder = user_data;

  g_assert_true (fluid_worker_is_stopped (worker));
  g_string_append (recorder->events, "stopped;");
  recorder->stopped_count++;
  recorder->exit_code = exit_code;
  g_free (recorder->reason);
  recorder->reason = g_strdup (reason);
}

void
recorder_watch (Recorder    *recorder,
                FluidWorker *worker)
{
  recorder->events = g_string_new (NULL);
  recorder->states = g_array_new (FALSE, FALSE, sizeof (FluidWorkerState));
  recorder->exit_code = -1;
  g_signal_connect (worker, "notify::state", G_CALLBACK (recorder_state_cb), recorder);
  g_signal_connect (worker, "started", G_CALLBACK (recorder_started_cb), recorder);
  g_signal_connect (worker, "stopping", G_CALLBACK (recorder_stopping_cb), recorder);
  g_signal_connect (worker, "stopped", G_CALLBACK (recorder_stopped_cb), recorder);
}

void
recorder_clear (Recorder *recorder)
{
  g_string_free (recorder->events, TRUE);
  g_array_unref (recorder->states);
  g_free (recorder->reason);
}

void
assert_states (Recorder               *recorder,
               const FluidWorkerState *expected,
               guint                   n_expected)
{
  g_assert_cmpuint (recorder->states->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    g_assert_cmpint (g_array_index (recorder->states, FluidWorkerState, i), ==, expected[i]);
}
