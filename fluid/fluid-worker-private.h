/* fluid-worker-private.h: what the library's own classes share about workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker.h"
#include "fluid-worker-function.h"

G_BEGIN_DECLS

/* The default grace period, when neither the property nor the
 * FLUID_STOPPING_GRACE_PERIOD environment variable sets one. */
#define FLUID_DEFAULT_STOPPING_GRACE_PERIOD 10.0

gboolean      fluid_parse_grace_period     (const char  *text,
                                            double      *out_seconds);

char         *fluid_worker_name_from_type_name (const char *type_name);

GMainContext *fluid_worker_get_context     (FluidWorker *self);

void          fluid_worker_set_stop_reason (FluidWorker *self,
                                            const char  *reason);

typedef void (* FluidWorkerStoppedFunc) (FluidWorker *worker,
                                         const char  *reason,
                                         int          exit_code,
                                         gpointer     user_data);

void          fluid_worker_start             (FluidWorker *self);
void          fluid_worker_request_shutdown  (FluidWorker *self);
gboolean      fluid_worker_set_supervisor    (FluidWorker            *self,
                                              FluidWorkerStoppedFunc  func,
                                              gpointer                user_data);
gboolean      fluid_worker_is_supervised_by  (FluidWorker *self,
                                              gpointer     user_data);

typedef void (* FluidWorkerSleepFunc) (FluidWorker  *worker,
                                       gboolean      elapsed,
                                       const GError *error,
                                       gpointer      user_data);

void          fluid_worker_sleep_full        (FluidWorker          *self,
                                              double                seconds,
                                              FluidWorkerSleepFunc  func,
                                              gpointer              user_data);

void          fluid_worker_run_done          (FluidWorker *self,
                                              GError      *error);

void          fluid_worker_function_run_direct (FluidWorkerFunction *self);

G_END_DECLS
