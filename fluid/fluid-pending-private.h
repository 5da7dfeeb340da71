/* fluid-pending-private.h: operations that wait for a lifecycle event
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "fluid-clock-private.h"

G_BEGIN_DECLS

typedef struct _FluidPending FluidPending;

/* Completes @pending, which is already out of its queue, disarmed and
 * about to be freed: with @error (taken) when set, else with @value. */
typedef void (* FluidPendingFunc) (FluidPending *pending,
                                   gboolean      value,
                                   GError       *error);

/* A waiting operation: a wait for shutdown, a sleep, a wait for a message.
 * It sits in its owner's queue through its embedded link and, when it has
 * a deadline, in its context's clock through its embedded timer, so that
 * it costs one allocation. Owners may embed it at the start of a larger
 * struct. Every field belongs to the thread of the owner's context. */
struct _FluidPending
{
  FluidTimer        timer;
  GList             link;
  GQueue           *queue;
  GTask            *task;           /* for func, if any; unreferenced after it */
  FluidPendingFunc  func;
  gpointer          data;           /* for func's use */
  GSource          *cancel_source;
  /* What the timer completes with instead of @timer_value, when set:
   * taken. */
  GError           *timer_error;
  /* What the timer completes with: TRUE when a sleep elapsed, FALSE once
   * a graceful stop woke it. */
  gboolean          timer_value;
  /* Watches its owner's own cancellable, which the owner watches once for
   * all its pending operations rather than with a GSource each. */
  gboolean          on_owner_cancellable;
};

FluidPending *fluid_pending_add            (GQueue           *queue,
                                            gsize             size,
                                            GTask            *task,
                                            GCancellable     *cancellable,
                                            GMainContext     *context,
                                            FluidPendingFunc  func,
                                            gpointer          data);
void          fluid_pending_arm            (FluidPending     *pending,
                                            FluidClock       *clock,
                                            gint64            deadline,
                                            gboolean          timer_value);
void          fluid_pending_fail_soon      (FluidPending     *pending,
                                            FluidClock       *clock,
                                            GError           *error);
void          fluid_pending_complete       (FluidPending     *pending,
                                            gboolean          value,
                                            GError           *error);

void          fluid_pending_queue_complete (GQueue           *queue,
                                            gboolean          value,
                                            const GError     *error);
void          fluid_pending_queue_wake_soon (GQueue          *queue);

G_END_DECLS
