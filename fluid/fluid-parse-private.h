/* fluid-parse-private.h: names and numbers read from users
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The default grace period, when neither the property nor the
 * FLUID_STOPPING_GRACE_PERIOD environment variable sets one. */
#define FLUID_DEFAULT_STOPPING_GRACE_PERIOD 10.0

gboolean  fluid_parse_grace_period          (const char *text,
                                             double     *out_seconds);
double    fluid_default_grace_period        (void);
char     *fluid_worker_name_from_type_name  (const char *type_name);
char     *fluid_thread_name                 (const char *worker_name);

G_END_DECLS
