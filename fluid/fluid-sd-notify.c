/* fluid-sd-notify.c: telling systemd how a daemon is doing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-sd-notify-private.h"

#include <string.h>
#include <unistd.h>

/* The notification protocol of systemd (sd_notify(3)), without libsystemd:
 * each notification is one datagram of "VARIABLE=value" lines sent to the
 * unix socket named by NOTIFY_SOCKET, a path or, when it starts with '@',
 * a name in the abstract namespace. The socket is non-blocking: a service
 * manager that does not read never stalls the daemon, and a notification
 * it had no room for is dropped (and logged at debug level), as
 * libsystemd's would time out. A daemon that is not under systemd, or is
 * under one whose socket went away, runs exactly as without: every error
 * is logged at debug level, never fatal. */

struct _FluidSdNotify
{
  GSocket        *socket;
  GSocketAddress *address;
  char           *name;           /* NOTIFY_SOCKET, for the logs */
  guint64         watchdog_usec;  /* 0: no watchdog */
  GSource        *watchdog_source;
};

/* WATCHDOG_USEC, when it is meant for this process. */
static guint64
fluid_sd_notify_parse_watchdog (const char *watchdog_usec,
                                const char *watchdog_pid)
{
  guint64 usec = 0;
  guint64 pid = 0;
  g_autoptr(GError) error = NULL;

  if (watchdog_usec == NULL || *watchdog_usec == '\0')
    return 0;
  if (!g_ascii_string_to_unsigned (watchdog_usec, 10, 0, G_MAXUINT64, &usec, &error))
    {
      g_debug ("WATCHDOG_USEC=%s ignored: %s", watchdog_usec, error->message);
      return 0;
    }
  if (watchdog_pid != NULL && *watchdog_pid != '\0')
    {
      if (!g_ascii_string_to_unsigned (watchdog_pid, 10, 1, G_MAXINT, &pid, &error))
        {
          g_debug ("WATCHDOG_PID=%s ignored: %s", watchdog_pid, error->message);
          return 0;
        }
      /* The watchdog of another process of the service. */
      if (pid != (guint64) getpid ())
        return 0;
    }
  return usec;
}

FluidSdNotify *
fluid_sd_notify_new (const char *notify_socket,
                     const char *watchdog_usec,
                     const char *watchdog_pid)
{
  FluidSdNotify *self;
  g_autoptr(GSocket) socket = NULL;
  GSocketAddress *address;
  g_autoptr(GError) error = NULL;

  if (notify_socket == NULL || *notify_socket == '\0')
    return NULL;

  if (notify_socket[0] == '@')
    {
      if (!g_unix_socket_address_abstract_names_supported ())
        {
          g_debug ("NOTIFY_SOCKET=%s ignored: no abstract socket names here", notify_socket);
          return NULL;
        }
      address = g_unix_socket_address_new_with_type (notify_socket + 1, -1,
                                                     G_UNIX_SOCKET_ADDRESS_ABSTRACT);
    }
  else if (notify_socket[0] == '/')
    address = g_unix_socket_address_new (notify_socket);
  else
    {
      g_debug ("NOTIFY_SOCKET=%s ignored: neither a path nor an abstract name", notify_socket);
      return NULL;
    }

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_DEFAULT, &error);
  if (socket == NULL)
    {
      g_debug ("NOTIFY_SOCKET=%s ignored: %s", notify_socket, error->message);
      g_object_unref (address);
      return NULL;
    }
  g_socket_set_blocking (socket, FALSE);

  self = g_new0 (FluidSdNotify, 1);
  self->socket = g_steal_pointer (&socket);
  self->address = address;
  self->name = g_strdup (notify_socket);
  self->watchdog_usec = fluid_sd_notify_parse_watchdog (watchdog_usec, watchdog_pid);
  return self;
}

FluidSdNotify *
fluid_sd_notify_new_from_environment (void)
{
  return fluid_sd_notify_new (g_getenv ("NOTIFY_SOCKET"), g_getenv ("WATCHDOG_USEC"),
                              g_getenv ("WATCHDOG_PID"));
}

void
fluid_sd_notify_free (FluidSdNotify *self)
{
  if (self == NULL)
    return;
  fluid_sd_notify_stop_watchdog (self);
  g_clear_object (&self->socket);
  g_clear_object (&self->address);
  g_free (self->name);
  g_free (self);
}

gboolean
fluid_sd_notify_send (FluidSdNotify *self,
                      const char    *state)
{
  g_autoptr(GError) error = NULL;
  gssize sent;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (state != NULL, FALSE);

  sent = g_socket_send_to (self->socket, self->address, state, strlen (state), NULL, &error);
  if (sent < 0)
    {
      g_debug ("Could not send %s to NOTIFY_SOCKET=%s: %s", state, self->name, error->message);
      return FALSE;
    }
  return TRUE;
}

guint64
fluid_sd_notify_get_watchdog_usec (FluidSdNotify *self)
{
  return self->watchdog_usec;
}

static gboolean
fluid_sd_notify_watchdog_cb (gpointer user_data)
{
  fluid_sd_notify_send (user_data, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

void
fluid_sd_notify_start_watchdog (FluidSdNotify *self,
                                GMainContext  *context)
{
  guint64 interval_ms;

  if (self->watchdog_usec == 0 || self->watchdog_source != NULL)
    return;

  /* Half the period, as sd_watchdog_enabled(3) advises; at least a
   * millisecond, so that a tiny period never spins the context. */
  interval_ms = MAX (self->watchdog_usec / 2 / 1000, 1);
  self->watchdog_source = g_timeout_source_new ((guint) MIN (interval_ms, G_MAXUINT));
  g_source_set_callback (self->watchdog_source, fluid_sd_notify_watchdog_cb, self, NULL);
  g_source_set_static_name (self->watchdog_source, "[fluid] systemd watchdog");
  g_source_attach (self->watchdog_source, context);
}

void
fluid_sd_notify_stop_watchdog (FluidSdNotify *self)
{
  if (self->watchdog_source == NULL)
    return;
  g_source_destroy (self->watchdog_source);
  g_clear_pointer (&self->watchdog_source, g_source_unref);
}
