/* test-fluidctl-output.c: fluidctl's status as a person reads it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fluidctl_format_status() on values of every GVariant type a status may
 * hold, without a bus: linked with fluidctl's objects.
 */

#include "fluidctl-output.h"

#include <string.h>

/* A worker "w" at /w, running, with @stop_reason. */
static FluidctlNode *
node_new (const char *stop_reason)
{
  FluidctlNode *node = g_new0 (FluidctlNode, 1);
  g_autoptr(GVariantDict) worker = g_variant_dict_new (NULL);

  g_variant_dict_insert (worker, "Name", "s", "w");
  g_variant_dict_insert (worker, "State", "s", "running");
  g_variant_dict_insert (worker, "ExitCode", "i", -1);
  g_variant_dict_insert (worker, "StopReason", "s", stop_reason);
  node->path = g_strdup ("/w");
  node->worker = g_variant_ref_sink (g_variant_dict_end (worker));
  node->children = g_ptr_array_new_with_free_func ((GDestroyNotify) fluidctl_node_free);
  return node;
}

static char *
format_status (const char *status_text)
{
  g_autoptr(FluidctlNode) node = node_new ("");
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GError) error = NULL;

  status = g_variant_parse (G_VARIANT_TYPE_VARDICT, status_text, NULL, NULL, &error);
  g_assert_no_error (error);
  return fluidctl_format_status (node, status);
}

/* Numbers, strings and booleans as themselves, never GVariant text. */
static void
test_fluidctl_output_scalars (void)
{
  g_autofree char *out = NULL;

  out = format_status ("{'b': <true>, 'n': <false>, 'y': <byte 7>, 'i16': <int16 -3>, "
                       "'u16': <uint16 3>, 'i32': <int32 -5>, 'u32': <uint32 5>, "
                       "'i64': <int64 -9000000000>, 't': <uint64 18446744073709551615>, "
                       "'d': <2.5>, 'h': <handle 4>, 's': <'it is \"so\"'>, "
                       "'o': <objectpath '/a/b'>, 'g': <signature 'a{sv}'>, "
                       "'boxed': <<<uint32 8>>>}");
  g_assert_cmpstr (out, ==,
                   "w /w\n"
                   "       State: running\n"
                   "   Exit code: -\n"
                   "      Status:\n"
                   "        b: yes\n"
                   "        boxed: 8\n"
                   "        d: 2.5\n"
                   "        g: a{sv}\n"
                   "        h: 4\n"
                   "        i16: -3\n"
                   "        i32: -5\n"
                   "        i64: -9000000000\n"
                   "        n: no\n"
                   "        o: /a/b\n"
                   "        s: it is \"so\"\n"
                   "        t: 18446744073709551615\n"
                   "        u16: 3\n"
                   "        u32: 5\n"
                   "        y: 7\n");
}

/* Lists on one line; nothing as "-"; dictionaries below their key, after
 * the values beside them. */
static void
test_fluidctl_output_containers (void)
{
  g_autofree char *out = NULL;

  out = format_status ("{'children': <{'b': <{'running': <true>}>, 'a': <{'x': <uint32 1>}>, "
                       "             'restarts': <uint32 2>}>, "
                       "'names': <['x', 'y']>, 'none': <@as []>, 'pair': <(1, 'one')>, "
                       "'maybe': <@ms nothing>, 'just': <@ms 'here'>, "
                       "'empty': <@a{sv} {}>, 'by_number': <{1: 'one', 2: 'two'}>, "
                       "'blank': <''>}");
  g_assert_cmpstr (out, ==,
                   "w /w\n"
                   "       State: running\n"
                   "   Exit code: -\n"
                   "      Status:\n"
                   "        blank:\n"
                   "        empty: -\n"
                   "        just: here\n"
                   "        maybe: -\n"
                   "        names: x, y\n"
                   "        none: -\n"
                   "        pair: 1, one\n"
                   "        by_number:\n"
                   "          1: one\n"
                   "          2: two\n"
                   "        children:\n"
                   "          restarts: 2\n"
                   "          a:\n"
                   "            x: 1\n"
                   "          b:\n"
                   "            running: yes\n");
}

/* Lines of a value aligned under its first; a terminal's control
 * characters never reach it. */
static void
test_fluidctl_output_text (void)
{
  g_autoptr(FluidctlNode) node = node_new ("failed:\nno such file");
  g_autoptr(GVariant) status = NULL;
  g_autofree char *out = NULL;

  status = g_variant_parse (G_VARIANT_TYPE_VARDICT,
                            "{'log': <'one\\ntwo'>, 'red': <'\\u001b[31mred'>}",
                            NULL, NULL, NULL);
  g_assert_nonnull (status);
  out = fluidctl_format_status (node, status);
  g_assert_cmpstr (out, ==,
                   "w /w\n"
                   "       State: running\n"
                   "   Exit code: -\n"
                   " Stop reason: failed:\n"
                   "              no such file\n"
                   "      Status:\n"
                   "        log: one\n"
                   "          two\n"
                   "        red: \xef\xbf\xbd[31mred\n");

  /* No status (refused): the properties only. */
  g_free (out);
  out = fluidctl_format_status (node, NULL);
  g_assert_null (strstr (out, "Status"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fluidctl-output/scalars", test_fluidctl_output_scalars);
  g_test_add_func ("/fluidctl-output/containers", test_fluidctl_output_containers);
  g_test_add_func ("/fluidctl-output/text", test_fluidctl_output_text);

  return g_test_run ();
}
