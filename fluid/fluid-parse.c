/* fluid-parse.c: names and numbers read from users
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-parse-private.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* fluid_worker_name_from_type_name:
 * @type_name: a GType name, such as `MySimpleWorker`
 *
 * The snake_case of @type_name: `MySimpleWorker` → `my_simple_worker`,
 * `HTTPWorker` → `http_worker`. What bindings put in front of the class
 * name (`__main__+` for PyGObject, `Gjs_` for GJS) is left out.
 *
 * Returns: (transfer full): the name
 */
char *
fluid_worker_name_from_type_name (const char *type_name)
{
  const char *start = type_name;
  GString *name = g_string_new (NULL);

  for (const char *p = type_name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      start = p + 1;
  if (g_str_has_prefix (start, "Gjs_"))
    start += strlen ("Gjs_");

  for (const char *p = start; *p != '\0'; p++)
    {
      gboolean after_word = p > start && (g_ascii_islower (p[-1]) || g_ascii_isdigit (p[-1]));
      gboolean ends_acronym = p > start && g_ascii_isupper (p[-1]) && g_ascii_islower (p[1]);

      if (g_ascii_isupper (*p) && (after_word || ends_acronym) &&
          name->len > 0 && name->str[name->len - 1] != '_')
        g_string_append_c (name, '_');
      g_string_append_c (name, g_ascii_tolower (*p));
    }

  return g_string_free (name, FALSE);
}

/* fluid_thread_name:
 * @worker_name: a worker's name, UTF-8
 *
 * The name of a thread of the worker: its name cut to the 15 bytes Linux
 * keeps of a thread's name (16 with the NUL), on a character boundary, so
 * that a debugger or `top -H` never shows half a character.
 *
 * Returns: (transfer full): the name
 */
char *
fluid_thread_name (const char *worker_name)
{
  gsize cut = strlen (worker_name);

  if (cut <= 15)
    return g_strdup (worker_name);

  /* Back to the first byte of the character that byte 15 is in. */
  cut = 15;
  while (cut > 0 && ((guchar) worker_name[cut] & 0xC0) == 0x80)
    cut--;
  return g_strndup (worker_name, cut);
}

/* Parses a grace period: a finite non-negative number of seconds written in
 * the C locale, with optional surrounding white space. */
gboolean
fluid_parse_grace_period (const char *text,
                          double     *out_seconds)
{
  char *end = NULL;
  double seconds;

  if (text == NULL)
    return FALSE;

  errno = 0;
  seconds = g_ascii_strtod (text, &end);
  if (end == text || errno != 0)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  if (*end != '\0' || !isfinite (seconds) || seconds < 0)
    return FALSE;

  *out_seconds = seconds;
  return TRUE;
}

/* The default grace period of new workers, read from the environment. A bad
 * value is reported once, not once per worker. */
double
fluid_default_grace_period (void)
{
  static GMutex lock;
  static char *last_text;
  static double last_value;
  const char *text = g_getenv ("FLUID_STOPPING_GRACE_PERIOD");
  double value;

  if (text == NULL || *text == '\0')
    return FLUID_DEFAULT_STOPPING_GRACE_PERIOD;

  g_mutex_lock (&lock);
  if (g_strcmp0 (text, last_text) != 0)
    {
      if (!fluid_parse_grace_period (text, &last_value))
        {
          g_warning ("Ignoring FLUID_STOPPING_GRACE_PERIOD=“%s”: not a non-negative "
                     "number of seconds; using %g",
                     text, FLUID_DEFAULT_STOPPING_GRACE_PERIOD);
          last_value = FLUID_DEFAULT_STOPPING_GRACE_PERIOD;
        }
      g_free (last_text);
      last_text = g_strdup (text);
    }
  value = last_value;
  g_mutex_unlock (&lock);

  return value;
}
