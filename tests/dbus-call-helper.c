/* dbus-call-helper.c: a D-Bus client of test-dbus, run as another user
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * dbus-call-helper ADDRESS DESTINATION PATH
 *
 * Connects to the bus at ADDRESS, and prints one line for each of: the
 * call of org.gnome.Fluid.Worker1.Stop on PATH of DESTINATION ("ok", or
 * the name of the D-Bus error), and the property Name ("name NAME", or
 * the error). Links with GIO alone: it is exec'd as a user who may read
 * nothing of the build tree but this program.
 */

#include <gio/gio.h>

#include <stdio.h>

static void
say_error (const char *what,
           GError     *error)
{
  g_autofree char *name = g_dbus_error_get_remote_error (error);

  printf ("%s error %s\n", what, name != NULL ? name : error->message);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (argc != 4)
    {
      fprintf (stderr, "Usage: %s ADDRESS DESTINATION PATH\n", argv[0]);
      return 64;
    }

  connection = g_dbus_connection_new_for_address_sync (argv[1],
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  if (connection == NULL)
    {
      printf ("connect error %s\n", error->message);
      return 1;
    }

  reply = g_dbus_connection_call_sync (connection, argv[2], argv[3], "org.gnome.Fluid.Worker1",
                                       "Stop", NULL, G_VARIANT_TYPE_UNIT,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    say_error ("Stop", error);
  else
    printf ("Stop ok\n");
  g_clear_pointer (&reply, g_variant_unref);
  g_clear_error (&error);

  reply = g_dbus_connection_call_sync (connection, argv[2], argv[3],
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.gnome.Fluid.Worker1", "Name"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  if (reply == NULL)
    say_error ("Name", error);
  else
    {
      g_autoptr(GVariant) value = NULL;

      g_variant_get (reply, "(v)", &value);
      printf ("Name %s\n", g_variant_get_string (value, NULL));
    }
  fflush (stdout);
  return 0;
}
