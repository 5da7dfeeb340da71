/* fluid-observer.c: telling others of a worker's changes of state
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-observer-private.h"

/* An observer is told of the events of a subject (a worker's changes of
 * state) on its own main context: at once when that is the subject's
 * context, else through an idle source attached to it. A group learns of
 * its children this way whichever thread runs them, and a consumer of its
 * own stop.
 *
 * Deliveries on one thread never nest: an event raised while an observer
 * runs on that thread (a group stopping its child, whose stop tells the
 * group's own parent...) waits in the thread's queue until that observer
 * returns, and the outermost delivery runs the queue. A tree of groups
 * 20 000 deep stops with a constant stack, and an observer never runs in
 * the middle of another.
 *
 * Threads: @context, @func and @user_data never change; @cancelled is
 * read and written with atomics, set on the observer's own thread (or
 * before anything can be delivered), so an event in flight when it is set
 * is dropped on arrival. */

struct _FluidObserver
{
  int                ref_count;   /* atomic, with the inline g_atomic_int_*()
                                   * that sanitizers see */
  int                cancelled;   /* atomic */
  GMainContext      *context;     /* NULL: the subject's context */
  guint              events;      /* FLUID_OBSERVER_EVENT() of those it wants */
  FluidObserverFunc  func;
  gpointer           user_data;
};

typedef struct
{
  GList          link;
  FluidObserver *observer;
  GObject       *subject;
  guint          event;
  /* Set last, with a barrier, read first by the thread it is posted to:
   * GLib's locks order the two threads too, but sanitizers do not see
   * them. */
  gpointer       published;
} FluidDelivery;

typedef struct
{
  GQueue   queue;
  gboolean running;
} FluidDeliveryQueue;

static void
fluid_delivery_queue_free (gpointer data)
{
  FluidDeliveryQueue *deliveries = data;

  g_assert (deliveries->queue.length == 0);
  g_free (deliveries);
}

static GPrivate delivery_queue = G_PRIVATE_INIT (fluid_delivery_queue_free);

FluidObserver *
fluid_observer_new (GMainContext      *context,
                    guint              events,
                    FluidObserverFunc  func,
                    gpointer           user_data)
{
  FluidObserver *observer = g_new0 (FluidObserver, 1);

  observer->ref_count = 1;
  observer->context = context != NULL ? g_main_context_ref (context) : NULL;
  observer->events = events;
  observer->func = func;
  observer->user_data = user_data;
  return observer;
}

FluidObserver *
fluid_observer_ref (FluidObserver *observer)
{
  g_atomic_int_inc (&observer->ref_count);
  return observer;
}

void
fluid_observer_unref (FluidObserver *observer)
{
  if (!g_atomic_int_dec_and_test (&observer->ref_count))
    return;
  g_clear_pointer (&observer->context, g_main_context_unref);
  g_free (observer);
}

/* Whether the observer is told on a context of its own, rather than on
 * its subject's. */
gboolean
fluid_observer_has_context (FluidObserver *observer)
{
  return observer->context != NULL;
}

/* No event is delivered once this returns on the observer's thread. */
void
fluid_observer_cancel (FluidObserver *observer)
{
  g_atomic_int_set (&observer->cancelled, TRUE);
}

static FluidDelivery *
fluid_delivery_new (FluidObserver *observer,
                    GObject       *subject,
                    guint          event)
{
  FluidDelivery *delivery = g_new0 (FluidDelivery, 1);

  delivery->link.data = delivery;
  delivery->observer = fluid_observer_ref (observer);
  delivery->subject = g_object_ref (subject);
  delivery->event = event;
  g_atomic_pointer_set (&delivery->published, delivery);
  return delivery;
}

static void
fluid_delivery_free (FluidDelivery *delivery)
{
  delivery = g_atomic_pointer_get (&delivery->published);
  fluid_observer_unref (delivery->observer);
  g_object_unref (delivery->subject);
  g_free (delivery);
}

static FluidDeliveryQueue *
fluid_delivery_queue_get (void)
{
  FluidDeliveryQueue *deliveries = g_private_get (&delivery_queue);

  if (deliveries == NULL)
    {
      deliveries = g_new0 (FluidDeliveryQueue, 1);
      g_private_set (&delivery_queue, deliveries);
    }
  return deliveries;
}

/* Whether an observer runs further up this thread's stack: what is told
 * now waits for it. */
gboolean
fluid_observer_is_delivering (void)
{
  FluidDeliveryQueue *deliveries = g_private_get (&delivery_queue);

  return deliveries != NULL && deliveries->running;
}

/* Runs what was queued while an observer ran, in order. */
static void
fluid_delivery_queue_drain (FluidDeliveryQueue *deliveries)
{
  GList *link;

  while ((link = g_queue_pop_head_link (&deliveries->queue)) != NULL)
    {
      FluidDelivery *next = link->data;
      FluidObserver *observer = next->observer;

      if (!g_atomic_int_get (&observer->cancelled))
        observer->func (next->subject, next->event, observer->user_data);
      fluid_delivery_free (next);
    }
}

/* Tells @observer of @event of @subject on this thread: at once when no
 * other delivery runs further up the stack, else after it, from the
 * thread's queue. */
static void
fluid_delivery_run (FluidObserver *observer,
                    GObject       *subject,
                    guint          event)
{
  FluidDeliveryQueue *deliveries = fluid_delivery_queue_get ();

  if (deliveries->running)
    {
      FluidDelivery *delivery = fluid_delivery_new (observer, subject, event);

      g_queue_push_tail_link (&deliveries->queue, &delivery->link);
      return;
    }

  deliveries->running = TRUE;
  /* The common case, without a copy: the caller holds @observer and
   * @subject for the time of the call. */
  if (!g_atomic_int_get (&observer->cancelled))
    observer->func (subject, event, observer->user_data);
  fluid_delivery_queue_drain (deliveries);
  deliveries->running = FALSE;
}

/* The source keeps its delivery, freed with the source even when it
 * never dispatches (its context went away). */
static gboolean
fluid_delivery_dispatch_cb (gpointer user_data)
{
  FluidDelivery *delivery = g_atomic_pointer_get (&((FluidDelivery *) user_data)->published);

  fluid_delivery_run (delivery->observer, delivery->subject, delivery->event);
  return G_SOURCE_REMOVE;
}

/* Tells @observer of @event of @subject. Called on the thread of
 * @subject_context, the subject's context. */
void
fluid_observer_notify (FluidObserver *observer,
                       GObject       *subject,
                       GMainContext  *subject_context,
                       guint          event)
{
  FluidDelivery *delivery;
  GSource *source;

  /* Events nobody wants cost nothing: no delivery, no queue. */
  if ((observer->events & FLUID_OBSERVER_EVENT (event)) == 0 ||
      g_atomic_int_get (&observer->cancelled))
    return;

  if (observer->context == NULL || observer->context == subject_context)
    {
      fluid_delivery_run (observer, subject, event);
      return;
    }

  delivery = fluid_delivery_new (observer, subject, event);
  /* Events of one subject reach the observer in order: idle sources of
   * one priority dispatch in the order they were attached. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, fluid_delivery_dispatch_cb, delivery,
                         (GDestroyNotify) fluid_delivery_free);
  g_source_set_static_name (source, "[fluid] worker state change");
  g_source_attach (source, observer->context);
  g_source_unref (source);
}
