/* fluid-sd-notify-private.h: telling systemd how a daemon is doing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _FluidSdNotify FluidSdNotify;

/* A notifier for the socket @notify_socket (the value of NOTIFY_SOCKET: a
 * path, or an abstract name when it starts with '@'), with a watchdog of
 * @watchdog_usec microseconds (WATCHDOG_USEC) when @watchdog_pid
 * (WATCHDOG_PID) is NULL or this process's id. NULL when @notify_socket is
 * NULL, empty or of a kind this does not speak (vsock:). Nothing here is
 * ever fatal: what is wrong is logged at debug level. */
FluidSdNotify *fluid_sd_notify_new                 (const char    *notify_socket,
                                                    const char    *watchdog_usec,
                                                    const char    *watchdog_pid);
/* The same from this process's environment. */
FluidSdNotify *fluid_sd_notify_new_from_environment (void);
void           fluid_sd_notify_free                (FluidSdNotify *self);

/* Sends @state ("READY=1") as one datagram, without blocking; FALSE (and a
 * debug line) when it could not be sent. */
gboolean       fluid_sd_notify_send                (FluidSdNotify *self,
                                                    const char    *state);

/* The watchdog period asked for, in microseconds; 0 when none. */
guint64        fluid_sd_notify_get_watchdog_usec   (FluidSdNotify *self);

/* Sends WATCHDOG=1 every half watchdog period from a source on @context,
 * until fluid_sd_notify_stop_watchdog() or the notifier is freed; does
 * nothing without a watchdog, or when already started. */
void           fluid_sd_notify_start_watchdog      (FluidSdNotify *self,
                                                    GMainContext  *context);
void           fluid_sd_notify_stop_watchdog       (FluidSdNotify *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FluidSdNotify, fluid_sd_notify_free)

G_END_DECLS
