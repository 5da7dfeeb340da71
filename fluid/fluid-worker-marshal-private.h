/* fluid-worker-marshal-private.h: the marshallers of FluidWorker::stopped
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* VOID:STRING,INT, generic and va_list. */
void fluid_marshal_stopped  (GClosure     *closure,
                             GValue       *return_value,
                             guint         n_param_values,
                             const GValue *param_values,
                             gpointer      invocation_hint,
                             gpointer      marshal_data);
void fluid_marshal_stoppedv (GClosure     *closure,
                             GValue       *return_value,
                             gpointer      instance,
                             va_list       args,
                             gpointer      marshal_data,
                             int           n_params,
                             GType        *param_types);

G_END_DECLS
