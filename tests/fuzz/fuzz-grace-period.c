/* fuzz-grace-period.c: libFuzzer target for FLUID_STOPPING_GRACE_PERIOD parsing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-parse-private.h"

#include <math.h>

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  double seconds = -1;

  if (fluid_parse_grace_period (text, &seconds))
    {
      /* What is accepted is a usable grace period. */
      g_assert_true (isfinite (seconds));
      g_assert_cmpfloat (seconds, >=, 0);
    }
  else
    g_assert_cmpfloat (seconds, ==, -1);

  return 0;
}
