/* fuzz-event.c: libFuzzer target for fluid_event_new_from_string
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-event.h"

#include <gio/gio.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  /* The string up to its first NUL, as a C caller would pass it. */
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(FluidEvent) event = NULL;
  g_autoptr(FluidEvent) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *string = NULL;
  const char *dot;

  event = fluid_event_new_from_string (text, &error);

  /* An event XOR an error. */
  if (event == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      /* Only an empty type is refused. */
      g_assert_true (*text == '\0' || *text == '.');
      return 0;
    }
  g_assert_no_error (error);

  /* The type is the text before the first dot, the tag all after it. */
  g_assert_nonnull (event->type);
  g_assert_nonnull (event->tag);
  g_assert_cmpstr (event->type, !=, "");
  g_assert_null (strchr (event->type, '.'));
  dot = strchr (text, '.');
  g_assert_cmpuint (strlen (event->type), ==, dot != NULL ? (gsize) (dot - text) : strlen (text));
  g_assert_cmpstr (event->tag, ==, dot != NULL ? dot + 1 : "");

  /* It round-trips: the string parses back into an equal event, and is the
   * text itself unless its first dot is its last character ("type." is
   * "type"). */
  string = fluid_event_to_string (event);
  again = fluid_event_new_from_string (string, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_true (fluid_event_equal (event, again));
  if (dot == NULL || dot[1] != '\0')
    g_assert_cmpstr (string, ==, text);
  else
    g_assert_cmpstr (string, ==, event->type);

  return 0;
}
