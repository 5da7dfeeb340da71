/* fluid-worker-cancellable.c: a worker's own cancellable
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-worker-cancellable-private.h"
#include "fluid-tsan-private.h"

/* The cancellable that fluid_worker_get_cancellable() returns: a
 * GCancellable whose class handler of ::cancelled tells the worker, so
 * that the sleeps given it end without a GSource each and without a
 * closure per worker. @worker is cleared when the worker is disposed;
 * @lock orders that with a cancellation from another thread. */

typedef struct
{
  GCancellable              parent_instance;
  GMutex                    lock;
  GObject                  *worker;       /* not a reference: see above */
  FluidWorkerCancelledFunc  cancelled;
} FluidWorkerCancellable;

typedef struct
{
  GCancellableClass parent_class;
} FluidWorkerCancellableClass;

static GType fluid_worker_cancellable_get_type (void);

G_DEFINE_FINAL_TYPE (FluidWorkerCancellable, fluid_worker_cancellable, G_TYPE_CANCELLABLE)

/* Any thread: the cancelling one. */
static void
fluid_worker_cancellable_cancelled (GCancellable *cancellable)
{
  FluidWorkerCancellable *self = (FluidWorkerCancellable *) cancellable;
  GObject *worker;

  fluid_mutex_lock (&self->lock);
  worker = self->worker != NULL ? g_object_ref (self->worker) : NULL;
  fluid_mutex_unlock (&self->lock);

  if (worker != NULL)
    {
      self->cancelled (worker);
      g_object_unref (worker);
    }
}

static void
fluid_worker_cancellable_finalize (GObject *object)
{
  g_mutex_clear (&((FluidWorkerCancellable *) object)->lock);
  /* As FluidSleepResult: no read of the parent_class static, written
   * under the type system's locks that sanitizers do not see. */
  G_OBJECT_CLASS (g_type_class_peek (G_TYPE_CANCELLABLE))->finalize (object);
}

static void
fluid_worker_cancellable_class_init (FluidWorkerCancellableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fluid_worker_cancellable_finalize;
  G_CANCELLABLE_CLASS (klass)->cancelled = fluid_worker_cancellable_cancelled;
}

static void
fluid_worker_cancellable_init (FluidWorkerCancellable *self)
{
  g_mutex_init (&self->lock);
}

GCancellable *
fluid_worker_cancellable_new (GObject                  *worker,
                              FluidWorkerCancelledFunc  cancelled)
{
  FluidWorkerCancellable *self = g_object_new (fluid_worker_cancellable_get_type (), NULL);

  self->worker = worker;
  self->cancelled = cancelled;
  return G_CANCELLABLE (self);
}

void
fluid_worker_cancellable_forget (GCancellable *cancellable)
{
  FluidWorkerCancellable *self = (FluidWorkerCancellable *) cancellable;

  fluid_mutex_lock (&self->lock);
  self->worker = NULL;
  fluid_mutex_unlock (&self->lock);
}
