/* fluid-dbus-private.h: what run_main needs of the D-Bus export
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-worker.h"

G_BEGIN_DECLS

/* For fluid_worker_run_main(), once its worker has stopped: iterates the
 * thread-default main context until what the exports made on it owe
 * their connections is out. First the method calls that reached the
 * process before the end are dispatched (a round trip to each bus), and
 * the calls in progress to their workers that have stopped are answered
 * (a Shutdown() that returns the exit code, a Stop() waiting for the
 * caller's uid); then every message queued on their connections is
 * written (g_dbus_connection_flush()), so that the process may end at
 * once. Returns at once when nothing was exported here; gives up when
 * @cancellable is cancelled or after @timeout_msec, so that a bus that
 * answers or reads no more never holds the caller; a connection that is
 * closed is not waited for. */
void  fluid_dbus_drain             (GCancellable     *cancellable,
                                    guint             timeout_msec);

G_END_DECLS
