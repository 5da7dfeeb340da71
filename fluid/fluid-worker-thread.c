/* fluid-worker-thread.c: the thread of a threaded function worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-worker-thread-private.h"
#include "fluid-worker-private.h"
#include "fluid-clock-private.h"
#include "fluid-parse-private.h"
#include "fluid-tsan-private.h"

#include <string.h>

/* A FluidWorkerThread is shared by two threads: the worker's context,
 * which makes it and holds the handle until the run completes, and the
 * body's thread. It is reference counted, so that whichever lets go last
 * frees it and neither waits for the other.
 *
 * What the body's thread holds, from its start until it has posted its
 * end to the worker's context (and so for as long as a body that ignores
 * its cancellable is stuck):
 *
 *  - a reference on this struct: the lock and condition a stop signals,
 *    the function, its data and the worker's cancellable;
 *  - a reference on the worker, which keeps the worker's data alive as
 *    well: the destroy notify of the function's data runs when the worker
 *    is finalized, so never under a body still running;
 *  - a reference on the worker's GMainContext, where it posts its end.
 *
 * It never drops the worker on its own thread: that reference goes with
 * the end it posts, which the worker's context dispatches. A worker whose
 * body is stuck is therefore finalized once the body returned, on its
 * context, and its finalize has no thread to wait for.
 *
 * Nothing on the worker's context ever waits for the thread: the run
 * completes when the end is dispatched, and the GThread is then unreffed
 * without g_thread_join(), which detaches it; the thread, past its loop,
 * exits on its own. */
struct _FluidWorkerThread
{
  gint                    ref_count;    /* atomic */

  /* Set before the thread starts, then constant. */
  double                  heartbeat;
  FluidThreadWorkerFunc   func;
  gpointer                user_data;
  FluidWorkerThreadDone   done;
  GCancellable           *cancellable;  /* the worker's own */

  /* The body's thread's references, given to its end. */
  FluidWorker            *worker;
  GMainContext           *context;

  /* Under @lock; @cond is signalled when @stop is set. */
  GMutex                  lock;
  GCond                   cond;
  gboolean                stop;

  /* The end: written by the body's thread before it sets @ended, read on
   * the worker's context once it saw @ended set. The atomic is the
   * happens-before edge ThreadSanitizer sees: the locks of the GSource
   * that carries the end are GLib's, invisible to it. */
  gboolean                failed;
  GError                 *error;
  gint                    ended;        /* atomic */

  /* The worker's context's. */
  GThread                *thread;
};

/* The FluidWorkerThread whose body the calling thread runs, if any. */
static GPrivate fluid_worker_thread_current;

static FluidWorkerThread *
fluid_worker_thread_ref (FluidWorkerThread *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

/* Any thread. */
static void
fluid_worker_thread_unref (FluidWorkerThread *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;

  /* Set only if the end never reached the worker's context (a context
   * destroyed with the end still queued). */
  g_clear_object (&self->worker);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->thread, g_thread_unref);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->error);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* The worker's context: the loop has ended. */
static gboolean
fluid_worker_thread_end_cb (gpointer user_data)
{
  FluidWorkerThread *self = user_data;
  FluidWorker *worker;
  GError *error;

  g_assert (g_atomic_int_get (&self->ended));

  worker = g_steal_pointer (&self->worker);
  error = g_steal_pointer (&self->error);
  if (self->failed && error == NULL)
    error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                         "the function of %s failed without an error",
                         fluid_worker_get_name (worker));
  self->done (worker, error);
  /* The body's thread's reference: dropped here, on the worker's context. */
  g_object_unref (worker);
  return G_SOURCE_REMOVE;
}

/* The body's thread: posts the end to the worker's context, giving it the
 * thread's references. @error is taken. */
static void
fluid_worker_thread_end (FluidWorkerThread *self,
                         gboolean           failed,
                         GError            *error)
{
  GMainContext *context = g_steal_pointer (&self->context);
  GSource *source;

  self->failed = failed;
  self->error = error;
  g_atomic_int_set (&self->ended, TRUE);

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, fluid_worker_thread_end_cb, self,
                         (GDestroyNotify) fluid_worker_thread_unref);
  g_source_set_static_name (source, "[fluid] worker thread end");
  g_source_attach (source, context);
  g_source_unref (source);
  /* @self may be gone: the end may have been dispatched already. */
  g_main_context_unref (context);
}

/* The body's thread, under the lock: sleeps the heartbeat, or until a
 * stop. */
static void
fluid_worker_thread_sleep (FluidWorkerThread *self)
{
  gint64 deadline;

  if (self->heartbeat <= 0)
    return;

  deadline = fluid_deadline_in (self->heartbeat);
  while (!self->stop)
    {
      gboolean signalled = TRUE;

      /* GCond releases and takes the lock again: tell ThreadSanitizer. */
      fluid_tsan_release (&self->lock);
      if (deadline == G_MAXINT64)
        g_cond_wait (&self->cond, &self->lock);
      else
        signalled = g_cond_wait_until (&self->cond, &self->lock, deadline);
      fluid_tsan_acquire (&self->lock);
      if (!signalled)
        break;
    }
}

static gpointer
fluid_worker_thread_main (gpointer data)
{
  FluidWorkerThread *self = data;
  GError *error = NULL;
  gboolean failed = FALSE;

  g_private_set (&fluid_worker_thread_current, self);
  fluid_mutex_lock (&self->lock);
  while (!self->stop)
    {
      fluid_mutex_unlock (&self->lock);
      failed = !self->func (self->worker, self->cancellable, self->user_data, &error);
      if (!failed)
        {
          if (G_UNLIKELY (error != NULL))
            {
              g_critical ("The function of %s returned TRUE with an error set: %s",
                          fluid_worker_get_name (self->worker), error->message);
              g_clear_error (&error);
            }
          fluid_worker_feed_watchdog (self->worker);
        }
      fluid_mutex_lock (&self->lock);
      if (failed)
        break;
      fluid_worker_thread_sleep (self);
    }
  fluid_mutex_unlock (&self->lock);
  g_private_set (&fluid_worker_thread_current, NULL);

  fluid_worker_thread_end (self, failed, error);
  return NULL;
}

FluidWorkerThread *
fluid_worker_thread_start (FluidWorker            *worker,
                           double                  heartbeat,
                           FluidThreadWorkerFunc   func,
                           gpointer                user_data,
                           FluidWorkerThreadDone   done,
                           GError                **error)
{
  FluidWorkerThread *self = g_new0 (FluidWorkerThread, 1);
  g_autofree char *name = fluid_thread_name (fluid_worker_get_name (worker));

  self->ref_count = 1;
  self->heartbeat = heartbeat;
  self->func = func;
  self->user_data = user_data;
  self->done = done;
  self->cancellable = g_object_ref (fluid_worker_get_cancellable (worker));
  self->worker = g_object_ref (worker);
  self->context = g_main_context_ref (fluid_worker_get_context (worker));
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);

  self->thread = g_thread_try_new (name, fluid_worker_thread_main,
                                   fluid_worker_thread_ref (self), error);
  if (self->thread == NULL)
    {
      /* The thread's reference, then ours. */
      fluid_worker_thread_unref (self);
      fluid_worker_thread_unref (self);
      return NULL;
    }
  return self;
}

void
fluid_worker_thread_stop (FluidWorkerThread *self)
{
  fluid_mutex_lock (&self->lock);
  self->stop = TRUE;
  g_cond_signal (&self->cond);
  fluid_mutex_unlock (&self->lock);
}

void
fluid_worker_thread_release (FluidWorkerThread *self)
{
  fluid_worker_thread_stop (self);
  /* Never g_thread_join(): unreffing a thread nobody joined detaches it. */
  g_clear_pointer (&self->thread, g_thread_unref);
  fluid_worker_thread_unref (self);
}

/* A body that asks its own worker to stop (gracefully, or failing it) is
 * not called again: the loop ends now, without waiting for the request to
 * reach the worker's context. Any thread; nothing unless it is the body's
 * thread of @worker. */
void
fluid_worker_thread_stop_own (FluidWorker *worker)
{
  FluidWorkerThread *self = g_private_get (&fluid_worker_thread_current);

  if (self != NULL && self->worker == worker)
    fluid_worker_thread_stop (self);
}
