/* fluid-metrics.h: a worker's metrics, in Prometheus' text format
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <fluid/fluid-worker.h>

G_BEGIN_DECLS

/**
 * FluidMetricsFormat:
 * @FLUID_METRICS_FORMAT_PROMETHEUS: Prometheus' text exposition format,
 *   version 0.0.4 (`text/plain; version=0.0.4`)
 * @FLUID_METRICS_FORMAT_OPENMETRICS: OpenMetrics 1.0.0
 *   (`application/openmetrics-text; version=1.0.0`), ended by `# EOF`
 *
 * The formats fluid_worker_collect_metrics_full() writes.
 *
 * Since: 1.2
 */
typedef enum
{
  FLUID_METRICS_FORMAT_PROMETHEUS,
  FLUID_METRICS_FORMAT_OPENMETRICS,
} FluidMetricsFormat;

/**
 * FLUID_TYPE_METRICS_FORMAT:
 *
 * The #GType of #FluidMetricsFormat.
 *
 * Since: 1.2
 */
#define FLUID_TYPE_METRICS_FORMAT (fluid_metrics_format_get_type ())
FLUID_AVAILABLE_IN_1_2
GType fluid_metrics_format_get_type (void) G_GNUC_CONST;

FLUID_AVAILABLE_IN_1_2
void      fluid_metrics_add                   (FluidMetrics       *self,
                                               const char         *name,
                                               const char         *path,
                                               const char         *label,
                                               const char         *label_value,
                                               double              value);
FLUID_AVAILABLE_IN_1_2
void      fluid_metrics_add_worker            (FluidMetrics       *self,
                                               FluidWorker        *worker,
                                               const char         *path);

FLUID_AVAILABLE_IN_1_2
char     *fluid_worker_collect_metrics        (FluidWorker        *self) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
char     *fluid_worker_collect_metrics_full   (FluidWorker        *self,
                                               FluidMetricsFormat  format) G_GNUC_WARN_UNUSED_RESULT;

FLUID_AVAILABLE_IN_1_2
gboolean  fluid_worker_serve_metrics          (FluidWorker        *self,
                                               const char         *address,
                                               GError            **error);
FLUID_AVAILABLE_IN_1_2
char     *fluid_worker_get_metrics_address    (FluidWorker        *self) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_2
void      fluid_worker_stop_serving_metrics   (FluidWorker        *self);

G_END_DECLS
