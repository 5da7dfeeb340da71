/* fluid-pending.c: operations that wait for a lifecycle event
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-pending-private.h"

/* Waiters, sleepers and message getters share this: each is an entry in a
 * queue of its owner, completed by a lifecycle event (the end of the
 * worker, a stop, a message), by its deadline on the context's clock, or
 * by its cancellable. Whichever comes first takes it out of everything
 * else before any user code runs, so that a callback that adds, completes
 * or cancels other entries finds the queue whole. */

static gboolean
fluid_pending_cancelled_cb (GCancellable *cancellable,
                            gpointer      user_data)
{
  FluidPending *pending = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  fluid_pending_complete (pending, FALSE, error);

  return G_SOURCE_REMOVE;
}

static void
fluid_pending_timer_cb (gpointer data)
{
  FluidPending *pending = data;

  fluid_pending_complete (pending, pending->timer_value, g_steal_pointer (&pending->timer_error));
}

/* Adds a pending operation of @size bytes (at least a FluidPending) to
 * @queue, completed by @func; @task (taken), if any, is kept for @func
 * and its priority given to the cancellation. @cancellable, if any, completes it with G_IO_ERROR_CANCELLED
 * from a dispatch of @context. */
FluidPending *
fluid_pending_add (GQueue           *queue,
                   gsize             size,
                   GTask            *task,
                   GCancellable     *cancellable,
                   GMainContext     *context,
                   FluidPendingFunc  func,
                   gpointer          data)
{
  FluidPending *pending;

  g_assert (size >= sizeof (FluidPending));
  g_assert (func != NULL);

  pending = g_malloc0 (size);
  pending->link.data = pending;
  pending->queue = queue;
  pending->task = task;
  pending->func = func;
  pending->data = data;
  fluid_timer_init (&pending->timer, fluid_pending_timer_cb, pending);
  g_queue_push_tail_link (queue, &pending->link);

  if (cancellable != NULL)
    {
      pending->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (pending->cancel_source,
                             G_SOURCE_FUNC (fluid_pending_cancelled_cb),
                             pending, NULL);
      if (task != NULL)
        g_source_set_priority (pending->cancel_source, g_task_get_priority (task));
      g_source_set_static_name (pending->cancel_source, "[fluid] pending cancelled");
      g_source_attach (pending->cancel_source, context);
    }

  return pending;
}

/* Completes @pending with @timer_value at @deadline (0: at the next
 * dispatch of @clock). */
void
fluid_pending_arm (FluidPending *pending,
                   FluidClock   *clock,
                   gint64        deadline,
                   gboolean      timer_value)
{
  pending->timer_value = timer_value;
  fluid_timer_arm (&pending->timer, clock, deadline);
}

/* Completes @pending with @error (taken) at the next dispatch of @clock,
 * not from within the caller. */
void
fluid_pending_fail_soon (FluidPending *pending,
                         FluidClock   *clock,
                         GError       *error)
{
  g_clear_error (&pending->timer_error);
  pending->timer_error = error;
  fluid_pending_arm (pending, clock, 0, FALSE);
}

/* Takes @pending out of its queue, its clock and its cancellable, then
 * completes and frees it. @error is taken. */
void
fluid_pending_complete (FluidPending *pending,
                        gboolean      value,
                        GError       *error)
{
  g_queue_unlink (pending->queue, &pending->link);
  fluid_timer_disarm (&pending->timer);
  if (pending->cancel_source != NULL)
    {
      g_source_destroy (pending->cancel_source);
      g_clear_pointer (&pending->cancel_source, g_source_unref);
    }

  g_clear_error (&pending->timer_error);
  pending->func (pending, value, error);
  g_clear_object (&pending->task);
  g_free (pending);
}

/* Completes every entry of @queue, with a copy of @error when set, else
 * with @value; entries added meanwhile are completed too. */
void
fluid_pending_queue_complete (GQueue       *queue,
                              gboolean      value,
                              const GError *error)
{
  while (queue->head != NULL)
    fluid_pending_complete (queue->head->data, value,
                            error != NULL ? g_error_copy (error) : NULL);
}

/* A graceful stop: every entry that waits for its deadline completes with
 * FALSE, not here, but in the next dispatch of its clock, all of them in
 * that one dispatch. */
void
fluid_pending_queue_wake_soon (GQueue *queue)
{
  for (GList *l = queue->head; l != NULL; l = l->next)
    {
      FluidPending *pending = l->data;

      if (pending->timer_value && fluid_timer_is_armed (&pending->timer))
        fluid_pending_arm (pending, pending->timer.clock, 0, FALSE);
    }
}
