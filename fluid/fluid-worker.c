/* fluid-worker.c: the abstract worker and its lifecycle
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-worker-private.h"
#include "fluid-enums.h"
#include "fluid-worker-function.h"

#include <errno.h>
#include <math.h>

/**
 * SECTION:fluid-worker
 * @short_description: A long-running asynchronous job with a managed lifecycle
 * @title: FluidWorker
 * @see_also: #FluidWorkerFunction
 *
 * A #FluidWorker is a long-running job driven by a #GMainContext. Subclasses
 * implement the asynchronous virtual method `run`, which loops while
 * fluid_worker_is_running() returns %TRUE.
 *
 * fluid_worker_startup_async() starts the worker on the thread-default main
 * context of the calling thread: the state goes from
 * %FLUID_WORKER_STATE_INIT to %FLUID_WORKER_STATE_RUNNING, then `on_startup`,
 * `run` and `on_shutdown` are called in turn. fluid_worker_gracefully_stop()
 * asks `run` to return (state %FLUID_WORKER_STATE_STOPPING);
 * fluid_worker_shutdown_async() does the same and, when the worker has not
 * stopped within its #FluidWorker:stopping-grace-period, cancels it (state
 * %FLUID_WORKER_STATE_FORCE_STOPPED). fluid_worker_wait_for_shutdown_async()
 * waits for the end without asking for it.
 *
 * A worker that loops with fluid_worker_sleep_async() between iterations
 * stops as soon as a graceful stop is requested, not after its sleep.
 *
 * While it has started and not yet stopped, a worker holds a reference on
 * itself, so that its owner may drop its own.
 *
 * The worker logs in the `Fluid` domain: "NAME started running" and "NAME
 * stopped running: REASON" at debug level after a normal shutdown, the latter
 * as a message when the worker failed or was forced, together with "NAME
 * forced shutdown".
 */

enum
{
  PROP_0,
  PROP_NAME,
  PROP_STOPPING_GRACE_PERIOD,
  PROP_STATE,
  N_PROPS
};

enum
{
  SIGNAL_STARTED,
  SIGNAL_STOPPING,
  SIGNAL_STOPPED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Timers: one GSource per main context
 *
 * Every sleep and every stopping grace period needs a deadline. A timeout
 * GSource for each would cost an allocation, a lock of the context and a
 * wake-up of its poll per sleep, and GMainContext prepares and checks every
 * attached source at every iteration: thousands of sleeping workers made
 * each iteration linear in their number. Instead, the timers of one context
 * belong to one FluidClock source, whose ready time is the earliest
 * deadline.
 *
 * The timers whose deadlines fall in one tick of FLUID_CLOCK_RESOLUTION_US
 * share a bucket: a FIFO, found through a hash table, that fires at the
 * latest of their deadlines, so that none fires early. The buckets, not the
 * timers, sit in a binary min-heap. Arming or disarming a timer is then an
 * append or an unlink, whatever the number of timers; the heap only changes
 * when a tick gets its first timer or loses its last, and it holds as many
 * buckets as there are distinct ticks (a few dozen when thousands of
 * workers sleep the same heartbeat). Arming a timer later than the earliest
 * deadline touches neither the context nor its poll. Timers due at once (a
 * stop ends every sleep) go to a FIFO of their own.
 *
 * A clock is found through a table of contexts, and lives as long as its
 * context holds it; the timers armed on it hold references of their own.
 * Everything else happens on the thread that owns the context. */

/* A timer fires at most this late (µs): coarse enough for the workers of a
 * group, started within milliseconds of each other, to share a few
 * buckets; fine beside GLib's timeouts (1 ms). A lone timer fires on time. */
#define FLUID_CLOCK_RESOLUTION_US 100

typedef struct _FluidTimer FluidTimer;
typedef struct _FluidClock FluidClock;
typedef struct _FluidBucket FluidBucket;

typedef void (* FluidTimerFunc) (gpointer data);

struct _FluidTimer
{
  FluidClock     *clock;      /* the clock it is armed on, or NULL */
  FluidBucket    *bucket;     /* its bucket; NULL when due at once */
  FluidTimerFunc  func;
  gpointer        data;
  guint64         serial;     /* the order in which timers were armed */
  GList           link;       /* in bucket->timers or clock->due */
};

struct _FluidBucket
{
  gint64         tick;        /* monotonic time, µs, of the tick's start */
  gint64         deadline;    /* the latest deadline of its timers */
  GQueue         timers;      /* in the order armed */
  guint          index;       /* in clock->heap */
};

struct _FluidClock
{
  GSource        source;
  GMainContext  *context;     /* the key in the table; not a reference */
  FluidBucket  **heap;        /* min-heap on tick, so on deadline too */
  guint          len;
  guint          size;
  GHashTable    *buckets;     /* &bucket->tick → bucket */
  GQueue         due;         /* the timers due at once, in the order armed */
  guint          dispatching;
  guint64        next_serial;
  gint64         ready_time;
};

static GMutex      clocks_lock;
static GHashTable *clocks;

static inline void
fluid_clock_place (FluidClock  *clock,
                   FluidBucket *bucket,
                   guint        index)
{
  clock->heap[index] = bucket;
  bucket->index = index;
}

static void
fluid_clock_sift_up (FluidClock *clock,
                     guint       index)
{
  FluidBucket *bucket = clock->heap[index];

  while (index > 0)
    {
      guint parent = (index - 1) / 2;

      if (bucket->tick >= clock->heap[parent]->tick)
        break;
      fluid_clock_place (clock, clock->heap[parent], index);
      index = parent;
    }
  fluid_clock_place (clock, bucket, index);
}

static void
fluid_clock_sift_down (FluidClock *clock,
                       guint       index)
{
  FluidBucket *bucket = clock->heap[index];

  for (;;)
    {
      guint child = 2 * index + 1;

      if (child >= clock->len)
        break;
      if (child + 1 < clock->len && clock->heap[child + 1]->tick < clock->heap[child]->tick)
        child++;
      if (clock->heap[child]->tick >= bucket->tick)
        break;
      fluid_clock_place (clock, clock->heap[child], index);
      index = child;
    }
  fluid_clock_place (clock, bucket, index);
}

/* Sets the source's ready time to the earliest deadline. Only when it
 * changes: g_source_set_ready_time() wakes the context's poll up. */
static void
fluid_clock_update (FluidClock *clock)
{
  gint64 ready_time;

  if (clock->dispatching > 0)
    return;

  if (clock->due.length > 0)
    ready_time = 0;
  else
    ready_time = clock->len > 0 ? clock->heap[0]->deadline : -1;
  if (ready_time != clock->ready_time)
    {
      clock->ready_time = ready_time;
      g_source_set_ready_time (&clock->source, ready_time);
    }
}

/* The bucket of @deadline, created if need be, fires at @deadline or
 * later. */
static FluidBucket *
fluid_clock_get_bucket (FluidClock *clock,
                        gint64      deadline)
{
  gint64 tick = deadline - deadline % FLUID_CLOCK_RESOLUTION_US;
  FluidBucket *bucket = g_hash_table_lookup (clock->buckets, &tick);

  if (bucket == NULL)
    {
      bucket = g_new0 (FluidBucket, 1);
      bucket->tick = tick;
      g_hash_table_insert (clock->buckets, &bucket->tick, bucket);

      if (clock->len == clock->size)
        {
          clock->size = MAX (16, clock->size * 2);
          clock->heap = g_renew (FluidBucket *, clock->heap, clock->size);
        }
      fluid_clock_place (clock, bucket, clock->len++);
      fluid_clock_sift_up (clock, bucket->index);
    }

  if (deadline > bucket->deadline)
    {
      bucket->deadline = deadline;
      if (bucket->index == 0)
        fluid_clock_update (clock);
    }

  return bucket;
}

/* Takes the empty @bucket out of the heap and frees it. */
static void
fluid_clock_remove_bucket (FluidClock  *clock,
                           FluidBucket *bucket)
{
  guint index = bucket->index;
  FluidBucket *last = clock->heap[--clock->len];

  g_hash_table_remove (clock->buckets, &bucket->tick);
  g_free (bucket);

  if (index < clock->len)
    {
      fluid_clock_place (clock, last, index);
      fluid_clock_sift_down (clock, index);
      fluid_clock_sift_up (clock, last->index);
    }
  if (clock->len == 0)
    {
      g_clear_pointer (&clock->heap, g_free);
      clock->size = 0;
    }
  if (index == 0)
    fluid_clock_update (clock);
}

static void
fluid_timer_disarm (FluidTimer *timer)
{
  FluidClock *clock = timer->clock;
  FluidBucket *bucket = timer->bucket;

  if (clock == NULL)
    return;

  timer->clock = NULL;
  timer->bucket = NULL;
  if (bucket == NULL)
    {
      g_queue_unlink (&clock->due, &timer->link);
      if (clock->due.length == 0)
        fluid_clock_update (clock);
    }
  else
    {
      g_queue_unlink (&bucket->timers, &timer->link);
      if (bucket->timers.length == 0)
        fluid_clock_remove_bucket (clock, bucket);
    }
  g_source_unref (&clock->source);
}

/* Arms @timer on @clock for @deadline (0: the next dispatch), disarming it
 * first if it was armed. */
static void
fluid_timer_arm (FluidTimer *timer,
                 FluidClock *clock,
                 gint64      deadline)
{
  /* Referenced first: it may be the clock @timer is armed on. */
  g_source_ref (&clock->source);
  fluid_timer_disarm (timer);

  timer->clock = clock;
  timer->serial = clock->next_serial++;
  timer->link.data = timer;
  if (deadline == 0)
    {
      g_queue_push_tail_link (&clock->due, &timer->link);
      if (clock->due.length == 1)
        fluid_clock_update (clock);
    }
  else
    {
      timer->bucket = fluid_clock_get_bucket (clock, deadline);
      g_queue_push_tail_link (&timer->bucket->timers, &timer->link);
    }
}

/* The next timer to fire now, or NULL: the timers due at once first, then
 * those of the earliest bucket, if it is due. Timers armed during this
 * dispatch (@serial_limit and later) wait for the next one, so that a worker
 * sleeping 0 s in a loop cannot starve the context. */
static FluidTimer *
fluid_clock_next_due (FluidClock *clock,
                      gint64      now,
                      guint64     serial_limit)
{
  FluidTimer *timer;

  if (clock->due.length > 0)
    {
      timer = clock->due.head->data;
      if (timer->serial < serial_limit)
        return timer;
    }
  if (clock->len > 0 && clock->heap[0]->deadline <= now)
    {
      timer = clock->heap[0]->timers.head->data;
      if (timer->serial < serial_limit)
        return timer;
    }
  return NULL;
}

static gboolean
fluid_clock_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  FluidClock *clock = (FluidClock *) source;
  gint64 now = g_source_get_time (source);
  guint64 serial_limit = clock->next_serial;
  FluidTimer *timer;

  g_source_ref (source);
  clock->dispatching++;
  while ((timer = fluid_clock_next_due (clock, now, serial_limit)) != NULL)
    {
      fluid_timer_disarm (timer);
      timer->func (timer->data);
    }
  clock->dispatching--;
  fluid_clock_update (clock);
  g_source_unref (source);

  return G_SOURCE_CONTINUE;
}

static void
fluid_clock_finalize (GSource *source)
{
  FluidClock *clock = (FluidClock *) source;

  /* Every armed timer holds a reference: none is left. */
  g_assert (clock->len == 0 && clock->due.length == 0);
  g_clear_pointer (&clock->buckets, g_hash_table_unref);
  g_clear_pointer (&clock->heap, g_free);
}

static GSourceFuncs fluid_clock_funcs = {
  .dispatch = fluid_clock_dispatch,
  .finalize = fluid_clock_finalize,
};

static gboolean
fluid_clock_never_called (gpointer user_data)
{
  g_assert_not_reached ();
  return G_SOURCE_CONTINUE;
}

/* The notify of the source's callback, called when the source is
 * destroyed, which its context does when it is freed: a new context may
 * then get the same address. */
static void
fluid_clock_destroyed (gpointer user_data)
{
  FluidClock *clock = user_data;

  g_mutex_lock (&clocks_lock);
  if (g_hash_table_lookup (clocks, clock->context) == clock)
    g_hash_table_remove (clocks, clock->context);
  g_mutex_unlock (&clocks_lock);
}

/* The clock of @context, created on first use. Returns a new reference. */
static FluidClock *
fluid_clock_get (GMainContext *context)
{
  FluidClock *clock;

  g_mutex_lock (&clocks_lock);
  if (clocks == NULL)
    clocks = g_hash_table_new (NULL, NULL);
  clock = g_hash_table_lookup (clocks, context);
  if (clock != NULL)
    g_source_ref (&clock->source);
  else
    {
      clock = (FluidClock *) g_source_new (&fluid_clock_funcs, sizeof (FluidClock));
      clock->context = context;
      clock->ready_time = -1;
      clock->buckets = g_hash_table_new (g_int64_hash, g_int64_equal);
      g_source_set_static_name (&clock->source, "[fluid] worker timers");
      /* Timers fire in nested main loops too, as timeout sources do. */
      g_source_set_can_recurse (&clock->source, TRUE);
      g_source_set_callback (&clock->source, fluid_clock_never_called,
                             clock, fluid_clock_destroyed);
      g_source_attach (&clock->source, context);
      g_hash_table_insert (clocks, context, clock);
    }
  g_mutex_unlock (&clocks_lock);

  return clock;
}

/* The deadline @seconds from now, in monotonic µs; never "at once". */
static gint64
fluid_deadline_in (double seconds)
{
  gint64 now = g_get_monotonic_time ();
  double us = ceil (seconds * G_USEC_PER_SEC);

  if (us >= (double) (G_MAXINT64 - now))
    return G_MAXINT64;
  return MAX (now + (gint64) us, 1);
}

/* A task of the worker's that completes on a lifecycle event: a
 * wait_for_shutdown/shutdown waiter, or a sleep (from
 * fluid_worker_sleep_async() with a task, or from fluid_worker_sleep_full()
 * with a function). It sits in one of the worker's queues through its
 * embedded link, and a sleep in its context's clock through its embedded
 * timer, so that it costs one allocation. */
typedef struct
{
  FluidTimer            timer;
  GList                 link;
  GQueue               *queue;
  GTask                *task;
  GSource              *cancel_source;
  FluidWorker          *worker;
  FluidWorkerSleepFunc  func;
  gpointer              func_data;
  /* What the timer reports when it fires: TRUE when the sleep elapsed,
   * FALSE once a graceful stop woke it. */
  gboolean              elapsed;
} FluidPending;

typedef struct
{
  char             *name;
  char             *stop_reason;
  double            grace_period;
  FluidWorkerState  state;
  guint             name_is_interned : 1;
  /* Set once the worker has stopped: from then on a late completion of
   * on_startup, run or on_shutdown is logged and dropped. */
  guint             finished : 1;

  /* Read with atomics: fluid_worker_gracefully_stop() may come from any
   * thread. @thread is the one that started the worker, set before
   * @context. */
  GMainContext     *context;
  GThread          *thread;
  GCancellable     *cancellable;
  GError           *error;

  /* The timers of the worker's context (see FluidClock), and the stopping
   * grace period, armed there by a shutdown request. */
  FluidClock       *clock;
  FluidTimer        grace_timer;

  GQueue            waiters;
  GQueue            sleepers;

  /* A group watching this worker: told of the end after ::stopped. */
  FluidWorkerStoppedFunc  supervisor_func;
  gpointer                supervisor_data;
} FluidWorkerPrivate;

/**
 * FluidWorker:
 *
 * The abstract base of every worker; its fields are private.
 */
G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (FluidWorker, fluid_worker, G_TYPE_OBJECT)

/**
 * fluid_worker_error_quark:
 *
 * The quark of the %FLUID_WORKER_ERROR domain.
 *
 * Returns: the error domain of worker errors
 */
G_DEFINE_QUARK (fluid-worker-error-quark, fluid_worker_error)

static void fluid_worker_begin_run      (FluidWorker *self);
static void fluid_worker_begin_shutdown (FluidWorker *self);

/* Pending tasks */

static FluidPending *
fluid_pending_take (FluidPending *pending)
{
  g_queue_unlink (pending->queue, &pending->link);
  fluid_timer_disarm (&pending->timer);
  if (pending->cancel_source != NULL)
    {
      g_source_destroy (pending->cancel_source);
      g_clear_pointer (&pending->cancel_source, g_source_unref);
    }
  return pending;
}

/* Completes @pending with @error (taken) if set, else with @value. */
static void
fluid_pending_complete (FluidPending *pending,
                        gboolean      value,
                        GError       *error)
{
  GTask *task = fluid_pending_take (pending)->task;
  FluidWorkerSleepFunc func = pending->func;
  FluidWorker *worker = pending->worker;
  gpointer func_data = pending->func_data;

  g_free (pending);
  if (task != NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, value);
      g_object_unref (task);
    }
  else
    {
      func (worker, value, error, func_data);
      g_clear_error (&error);
    }
}

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

/* A sleep's timer fired: its time elapsed, or a graceful stop woke it. */
static void
fluid_pending_timer_cb (gpointer data)
{
  FluidPending *pending = data;

  fluid_pending_complete (pending, pending->elapsed, NULL);
}

/* Takes ownership of @task, if any. */
static FluidPending *
fluid_pending_add (GQueue       *queue,
                   GTask        *task,
                   GCancellable *cancellable)
{
  FluidPending *pending = g_new0 (FluidPending, 1);

  pending->link.data = pending;
  pending->queue = queue;
  pending->task = task;
  pending->timer.func = fluid_pending_timer_cb;
  pending->timer.data = pending;
  g_queue_push_tail_link (queue, &pending->link);

  if (cancellable != NULL)
    {
      pending->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (pending->cancel_source,
                             G_SOURCE_FUNC (fluid_pending_cancelled_cb),
                             pending, NULL);
      g_source_set_priority (pending->cancel_source, g_task_get_priority (task));
      g_source_attach (pending->cancel_source, g_task_get_context (task));
    }

  return pending;
}

/* A graceful stop: every sleep completes with FALSE, not here but at the
 * next dispatch of its clock, all of them in that one dispatch. */
static void
fluid_pending_queue_wake_soon (GQueue *queue)
{
  for (GList *l = queue->head; l != NULL; l = l->next)
    {
      FluidPending *pending = l->data;

      if (pending->elapsed && pending->timer.clock != NULL)
        {
          pending->elapsed = FALSE;
          fluid_timer_arm (&pending->timer, pending->timer.clock, 0);
        }
    }
}

static void
fluid_pending_queue_wake (GQueue   *queue,
                          gboolean  value)
{
  while (queue->head != NULL)
    fluid_pending_complete (queue->head->data, value, NULL);
}

static void
fluid_pending_queue_cancel (GQueue *queue)
{
  while (queue->head != NULL)
    fluid_pending_complete (queue->head->data, FALSE,
                            g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 "The worker was forced to stop"));
}

/* Names and grace periods */

/* fluid_worker_name_from_type_name:
 * @type_name: a GType name, such as `MySimpleWorker`
 *
 * The snake_case of @type_name: `MySimpleWorker` → `my_simple_worker`,
 * `HTTPWorker` → `http_worker`. What bindings put in front of the class
 * name (`__main__+` for PyGObject, `Gjs_` for GJS) is left out.
 *
 * Returns: (transfer full): the name
 */
char *
fluid_worker_name_from_type_name (const char *type_name)
{
  const char *start = type_name;
  GString *name = g_string_new (NULL);

  for (const char *p = type_name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      start = p + 1;
  if (g_str_has_prefix (start, "Gjs_"))
    start += strlen ("Gjs_");

  for (const char *p = start; *p != '\0'; p++)
    {
      gboolean after_word = p > start && (g_ascii_islower (p[-1]) || g_ascii_isdigit (p[-1]));
      gboolean ends_acronym = p > start && g_ascii_isupper (p[-1]) && g_ascii_islower (p[1]);

      if (g_ascii_isupper (*p) && (after_word || ends_acronym) &&
          name->len > 0 && name->str[name->len - 1] != '_')
        g_string_append_c (name, '_');
      g_string_append_c (name, g_ascii_tolower (*p));
    }

  return g_string_free (name, FALSE);
}

/* Parses a grace period: a finite non-negative number of seconds written in
 * the C locale, with optional surrounding white space. */
gboolean
fluid_parse_grace_period (const char *text,
                          double     *out_seconds)
{
  char *end = NULL;
  double seconds;

  if (text == NULL)
    return FALSE;

  errno = 0;
  seconds = g_ascii_strtod (text, &end);
  if (end == text || errno != 0)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  if (*end != '\0' || !isfinite (seconds) || seconds < 0)
    return FALSE;

  *out_seconds = seconds;
  return TRUE;
}

/* The default grace period of new workers, read from the environment. A bad
 * value is reported once, not once per worker. */
static double
fluid_worker_default_grace_period (void)
{
  static GMutex lock;
  static char *last_text;
  static double last_value;
  const char *text = g_getenv ("FLUID_STOPPING_GRACE_PERIOD");
  double value;

  if (text == NULL || *text == '\0')
    return FLUID_DEFAULT_STOPPING_GRACE_PERIOD;

  g_mutex_lock (&lock);
  if (g_strcmp0 (text, last_text) != 0)
    {
      if (!fluid_parse_grace_period (text, &last_value))
        {
          g_warning ("Ignoring FLUID_STOPPING_GRACE_PERIOD=“%s”: not a non-negative "
                     "number of seconds; using %g",
                     text, FLUID_DEFAULT_STOPPING_GRACE_PERIOD);
          last_value = FLUID_DEFAULT_STOPPING_GRACE_PERIOD;
        }
      g_free (last_text);
      last_text = g_strdup (text);
    }
  value = last_value;
  g_mutex_unlock (&lock);

  return value;
}

/* State */

static void
fluid_worker_set_state (FluidWorker      *self,
                        FluidWorkerState  state)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (priv->state == state)
    return;

  priv->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
fluid_worker_return_outcome (FluidWorker *self,
                             GTask       *task)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (priv->error != NULL)
    g_task_return_error (task, g_error_copy (priv->error));
  else
    g_task_return_boolean (task, TRUE);
}

/* Ends the lifecycle, once: sets the final state, logs, emits ::stopped,
 * completes the waiters and drops the reference taken at startup.
 * @error is taken. */
static void
fluid_worker_finish (FluidWorker *self,
                     int          exit_code,
                     GError      *error)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);
  g_autofree char *reason = NULL;

  g_assert (!priv->finished);
  priv->finished = TRUE;

  fluid_timer_disarm (&priv->grace_timer);

  if (exit_code == FLUID_EXIT_CODE_FORCED)
    {
      g_message ("%s forced shutdown", priv->name);
      /* Anything run completes because of this is dropped: finished is set. */
      /* NULL if nobody asked for it: fluid_worker_get_cancellable() then
       * creates it cancelled. */
      if (priv->cancellable != NULL)
        g_cancellable_cancel (priv->cancellable);
      reason = g_strdup ("forced shutdown");
    }
  else if (error != NULL)
    reason = g_strdup (error->message);
  else
    reason = g_strdup (priv->stop_reason != NULL ? priv->stop_reason : "normal shutdown");

  priv->error = error;
  fluid_worker_set_state (self, exit_code == FLUID_EXIT_CODE_FORCED
                                ? FLUID_WORKER_STATE_FORCE_STOPPED
                                : FLUID_WORKER_STATE_STOPPED);

  if (exit_code == FLUID_EXIT_CODE_NORMAL)
    g_debug ("%s stopped running: %s", priv->name, reason);
  else
    g_message ("%s stopped running: %s", priv->name, reason);

  if (exit_code == FLUID_EXIT_CODE_FORCED)
    fluid_pending_queue_cancel (&priv->sleepers);
  else
    fluid_pending_queue_wake (&priv->sleepers, FALSE);

  g_signal_emit (self, signals[SIGNAL_STOPPED], 0, reason, exit_code);

  if (priv->supervisor_func != NULL)
    priv->supervisor_func (self, reason, exit_code, priv->supervisor_data);

  while (priv->waiters.head != NULL)
    {
      FluidPending *pending = fluid_pending_take (priv->waiters.head->data);
      GTask *task = pending->task;

      g_free (pending);
      fluid_worker_return_outcome (self, task);
      g_object_unref (task);
    }

  /* The reference taken by fluid_worker_startup_async(); @self may go. */
  g_object_unref (self);
}

/* Reports a phase of the lifecycle that completed after the worker was
 * forced to stop. @error is taken. */
static void
fluid_worker_drop_late_completion (FluidWorker *self,
                                   const char  *phase,
                                   GError      *error)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("%s: %s was cancelled by the forced shutdown", priv->name, phase);
  else
    g_message ("%s: %s completed after the forced shutdown (%s); result dropped",
               priv->name, phase, error != NULL ? error->message : "no error");
  g_clear_error (&error);
}

/* The phases of the lifecycle: on_startup, run, on_shutdown */

static gboolean
fluid_worker_takes_phase_result (FluidWorker  *self,
                                 const char   *phase,
                                 gboolean      ok,
                                 GError       *error)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (priv->finished)
    {
      fluid_worker_drop_late_completion (self, phase, error);
      return FALSE;
    }
  if (!ok)
    {
      if (error == NULL)
        error = g_error_new (FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                             "%s failed without an error", phase);
      fluid_worker_finish (self, FLUID_EXIT_CODE_ERROR, error);
      return FALSE;
    }
  return TRUE;
}

static void
fluid_worker_on_shutdown_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(FluidWorker) self = user_data;
  GError *error = NULL;
  gboolean ok = FLUID_WORKER_GET_CLASS (self)->on_shutdown_finish (self, result, &error);

  if (fluid_worker_takes_phase_result (self, "on_shutdown", ok, error))
    fluid_worker_finish (self, FLUID_EXIT_CODE_NORMAL, NULL);
}

static void
fluid_worker_run_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FluidWorker) self = user_data;
  GError *error = NULL;
  gboolean ok = FLUID_WORKER_GET_CLASS (self)->run_finish (self, result, &error);

  if (fluid_worker_takes_phase_result (self, "run", ok, error))
    fluid_worker_begin_shutdown (self);
}

static void
fluid_worker_on_startup_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(FluidWorker) self = user_data;
  GError *error = NULL;
  gboolean ok = FLUID_WORKER_GET_CLASS (self)->on_startup_finish (self, result, &error);

  if (fluid_worker_takes_phase_result (self, "on_startup", ok, error))
    fluid_worker_begin_run (self);
}

static void fluid_worker_real_on_startup_async (FluidWorker         *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
static void fluid_worker_real_on_shutdown_async (FluidWorker         *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);

/* The no-op hooks are skipped rather than called, which spares a GTask and
 * a main-loop iteration per worker: starting thousands of workers is common. */
static void
fluid_worker_begin_startup (FluidWorker *self)
{
  FluidWorkerClass *klass = FLUID_WORKER_GET_CLASS (self);

  if (klass->on_startup_async == fluid_worker_real_on_startup_async)
    fluid_worker_begin_run (self);
  else
    klass->on_startup_async (self, fluid_worker_get_cancellable (self),
                             fluid_worker_on_startup_cb, g_object_ref (self));
}

static void
fluid_worker_begin_run (FluidWorker *self)
{
  /* The library's own final FluidWorkerFunction runs without a GTask and
   * without the worker's cancellable, which its sleeps do not need: both
   * would be most of the cost of starting an idle worker. It reports
   * through fluid_worker_run_done(). */
  if (G_OBJECT_TYPE (self) == FLUID_TYPE_WORKER_FUNCTION)
    {
      fluid_worker_function_run_direct (FLUID_WORKER_FUNCTION (self));
      return;
    }

  FLUID_WORKER_GET_CLASS (self)->run_async (self, fluid_worker_get_cancellable (self),
                                            fluid_worker_run_cb, g_object_ref (self));
}

static void
fluid_worker_begin_shutdown (FluidWorker *self)
{
  FluidWorkerClass *klass = FLUID_WORKER_GET_CLASS (self);

  if (klass->on_shutdown_async == fluid_worker_real_on_shutdown_async)
    fluid_worker_finish (self, FLUID_EXIT_CODE_NORMAL, NULL);
  else
    klass->on_shutdown_async (self, fluid_worker_get_cancellable (self),
                              fluid_worker_on_shutdown_cb, g_object_ref (self));
}

static void
fluid_worker_grace_period_expired_cb (gpointer user_data)
{
  fluid_worker_finish (user_data, FLUID_EXIT_CODE_FORCED, NULL);
}

/* The clock of @context, which is the worker's own but for sleeps made
 * before startup or on another thread-default context. Borrowed: the
 * worker keeps the last one it used. */
static FluidClock *
fluid_worker_get_clock (FluidWorker  *self,
                        GMainContext *context)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (priv->clock == NULL || priv->clock->context != context ||
      g_source_is_destroyed (&priv->clock->source))
    {
      FluidClock *clock = fluid_clock_get (context);

      if (priv->clock != NULL)
        g_source_unref (&priv->clock->source);
      priv->clock = clock;
    }
  return priv->clock;
}

static void
fluid_worker_arm_grace_timer (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (priv->grace_timer.clock != NULL || priv->finished)
    return;

  /* The worker holds itself alive until it finishes, and finishing disarms
   * the timer, so the timer needs no reference of its own. */
  priv->grace_timer.func = fluid_worker_grace_period_expired_cb;
  priv->grace_timer.data = self;
  fluid_timer_arm (&priv->grace_timer, fluid_worker_get_clock (self, priv->context),
                   fluid_deadline_in (priv->grace_period));
}

/* Default virtual methods */

static void
fluid_worker_real_noop_async (FluidWorker         *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data,
                              gpointer             source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_name (task, "[fluid] worker default hook");
  g_task_return_boolean (task, TRUE);
}

static void
fluid_worker_real_on_startup_async (FluidWorker         *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  fluid_worker_real_noop_async (self, cancellable, callback, user_data,
                                fluid_worker_real_on_startup_async);
}

static void
fluid_worker_real_on_shutdown_async (FluidWorker         *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  fluid_worker_real_noop_async (self, cancellable, callback, user_data,
                                fluid_worker_real_on_shutdown_async);
}

static gboolean
fluid_worker_real_boolean_finish (FluidWorker   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fluid_worker_real_run_async (FluidWorker         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, fluid_worker_real_run_async);
  g_task_set_name (task, "[fluid] worker run");
  g_task_return_new_error (task, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_FAILED,
                           "%s does not implement FluidWorker.run_async",
                           G_OBJECT_TYPE_NAME (self));
}

static void
fluid_worker_real_gracefully_stop (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (priv->state != FLUID_WORKER_STATE_RUNNING)
    return;

  fluid_worker_set_state (self, FLUID_WORKER_STATE_STOPPING);
  g_signal_emit (self, signals[SIGNAL_STOPPING], 0);
  fluid_pending_queue_wake_soon (&priv->sleepers);
}

static void
fluid_worker_real_status_async (FluidWorker         *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  g_task_set_source_tag (task, fluid_worker_real_status_async);
  g_task_set_name (task, "[fluid] worker status");
  g_variant_dict_insert (&dict, "running", "b", fluid_worker_is_running (self));
  g_variant_dict_insert (&dict, "stopping", "b", fluid_worker_is_stopping (self));
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_dict_end (&dict)),
                         (GDestroyNotify) g_variant_unref);
}

static GVariant *
fluid_worker_real_status_finish (FluidWorker   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static guint
fluid_worker_real_get_num_workers (FluidWorker *self)
{
  return 1;
}

/* GObject */

static void
fluid_worker_constructed (GObject *object)
{
  FluidWorker *self = FLUID_WORKER (object);
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  G_OBJECT_CLASS (fluid_worker_parent_class)->constructed (object);

  if (priv->name == NULL || *priv->name == '\0')
    {
      /* Interned: thousands of workers of one class share one default name. */
      g_autofree char *name = fluid_worker_name_from_type_name (G_OBJECT_TYPE_NAME (self));

      g_free (priv->name);
      priv->name = (char *) g_intern_string (name);
      priv->name_is_interned = TRUE;
    }
}

static void
fluid_worker_finalize (GObject *object)
{
  FluidWorker *self = FLUID_WORKER (object);
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  g_assert (priv->waiters.length == 0);
  g_assert (priv->sleepers.length == 0);
  g_assert (priv->grace_timer.clock == NULL);

  if (!priv->name_is_interned)
    g_free (priv->name);
  g_free (priv->stop_reason);
  g_clear_object (&priv->cancellable);
  g_clear_error (&priv->error);
  g_clear_pointer (&priv->context, g_main_context_unref);
  g_clear_pointer (&priv->thread, g_thread_unref);
  if (priv->clock != NULL)
    g_source_unref (&priv->clock->source);

  G_OBJECT_CLASS (fluid_worker_parent_class)->finalize (object);
}

static void
fluid_worker_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FluidWorker *self = FLUID_WORKER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, fluid_worker_get_name (self));
      break;

    case PROP_STOPPING_GRACE_PERIOD:
      g_value_set_double (value, fluid_worker_get_stopping_grace_period (self));
      break;

    case PROP_STATE:
      g_value_set_enum (value, fluid_worker_get_state (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_worker_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FluidWorker *self = FLUID_WORKER (object);
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (priv->name);
      priv->name = g_value_dup_string (value);
      break;

    case PROP_STOPPING_GRACE_PERIOD:
      /* The default, -1, keeps what fluid_worker_init() read from the
       * environment; GParamSpecDouble refuses NaN and other negatives. */
      if (g_value_get_double (value) >= 0)
        priv->grace_period = g_value_get_double (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fluid_worker_class_init (FluidWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = fluid_worker_constructed;
  object_class->finalize = fluid_worker_finalize;
  object_class->get_property = fluid_worker_get_property;
  object_class->set_property = fluid_worker_set_property;

  klass->run_async = fluid_worker_real_run_async;
  klass->run_finish = fluid_worker_real_boolean_finish;
  klass->on_startup_async = fluid_worker_real_on_startup_async;
  klass->on_startup_finish = fluid_worker_real_boolean_finish;
  klass->on_shutdown_async = fluid_worker_real_on_shutdown_async;
  klass->on_shutdown_finish = fluid_worker_real_boolean_finish;
  klass->gracefully_stop = fluid_worker_real_gracefully_stop;
  klass->status_async = fluid_worker_real_status_async;
  klass->status_finish = fluid_worker_real_status_finish;
  klass->get_num_workers = fluid_worker_real_get_num_workers;

  /**
   * FluidWorker:name:
   *
   * The name of the worker, used in logs and in the status of a group.
   * When unset or empty, it is the snake_case of the GType name:
   * `MySimpleWorker` is named `my_simple_worker`.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", "Name", "The name of the worker",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorker:stopping-grace-period:
   *
   * How many seconds fluid_worker_shutdown_async() waits for a graceful stop
   * before it forces the worker to stop. When unset (or set to -1, the
   * default), it is the value of the environment variable
   * `FLUID_STOPPING_GRACE_PERIOD`, else 10 seconds. Reading the property
   * gives the grace period in force.
   */
  properties[PROP_STOPPING_GRACE_PERIOD] =
    g_param_spec_double ("stopping-grace-period", "Stopping grace period",
                         "Seconds a graceful stop may take before it is forced",
                         -1.0, G_MAXDOUBLE, -1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * FluidWorker:state:
   *
   * The lifecycle state of the worker. Every change is notified once.
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", "State", "The state of the worker",
                       FLUID_TYPE_WORKER_STATE, FLUID_WORKER_STATE_INIT,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FluidWorker::started:
   * @self: the worker
   *
   * Emitted once the worker is %FLUID_WORKER_STATE_RUNNING, before
   * `on_startup` and `run` are called.
   */
  signals[SIGNAL_STARTED] =
    g_signal_new ("started",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * FluidWorker::stopping:
   * @self: the worker
   *
   * Emitted when a graceful stop moves the worker from
   * %FLUID_WORKER_STATE_RUNNING to %FLUID_WORKER_STATE_STOPPING.
   */
  signals[SIGNAL_STOPPING] =
    g_signal_new ("stopping",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * FluidWorker::stopped:
   * @self: the worker
   * @reason: why it stopped: "normal shutdown", "forced shutdown" or the
   *   message of the error `run` failed with
   * @exit_code: %FLUID_EXIT_CODE_NORMAL, %FLUID_EXIT_CODE_FORCED or
   *   %FLUID_EXIT_CODE_ERROR
   *
   * Emitted once, after the worker stopped and before the pending
   * fluid_worker_wait_for_shutdown_async() and fluid_worker_shutdown_async()
   * complete. Its class handler is the `after_shutdown` virtual method.
   */
  signals[SIGNAL_STOPPED] =
    g_signal_new ("stopped",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (FluidWorkerClass, after_shutdown),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT);
}

static void
fluid_worker_init (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  priv->state = FLUID_WORKER_STATE_INIT;
  priv->grace_period = fluid_worker_default_grace_period ();
}

/* Accessors */

/**
 * fluid_worker_get_name:
 * @self: a #FluidWorker
 *
 * Gets the name of the worker.
 *
 * Returns: (transfer none): the name
 */
const char *
fluid_worker_get_name (FluidWorker *self)
{
  FluidWorkerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);

  priv = fluid_worker_get_instance_private (self);

  return priv->name;
}

/**
 * fluid_worker_get_state:
 * @self: a #FluidWorker
 *
 * Gets the lifecycle state of the worker.
 *
 * Returns: the state
 */
FluidWorkerState
fluid_worker_get_state (FluidWorker *self)
{
  FluidWorkerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_WORKER (self), FLUID_WORKER_STATE_INIT);

  priv = fluid_worker_get_instance_private (self);

  return priv->state;
}

/**
 * fluid_worker_get_stopping_grace_period:
 * @self: a #FluidWorker
 *
 * Gets the number of seconds a shutdown waits before it forces the worker
 * to stop.
 *
 * Returns: the grace period, in seconds
 */
double
fluid_worker_get_stopping_grace_period (FluidWorker *self)
{
  FluidWorkerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_WORKER (self), 0.0);

  priv = fluid_worker_get_instance_private (self);

  return priv->grace_period;
}

/**
 * fluid_worker_get_num_workers:
 * @self: a #FluidWorker
 *
 * Gets the number of workers @self stands for: 1 for a worker, the number of
 * children for a group.
 *
 * Returns: the number of workers
 */
guint
fluid_worker_get_num_workers (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), 0);

  return FLUID_WORKER_GET_CLASS (self)->get_num_workers (self);
}

/**
 * fluid_worker_get_cancellable:
 * @self: a #FluidWorker
 *
 * Gets the cancellable of the worker, cancelled when the worker is forced
 * to stop. `run` receives it; pass it on to what `run` waits for.
 *
 * Returns: (transfer none): the worker's cancellable
 */
GCancellable *
fluid_worker_get_cancellable (FluidWorker *self)
{
  FluidWorkerPrivate *priv;

  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);

  priv = fluid_worker_get_instance_private (self);

  /* Created on first use: most workers never need one. One created after
   * a forced stop is cancelled already. */
  if (g_atomic_pointer_get (&priv->cancellable) == NULL)
    {
      GCancellable *cancellable = g_cancellable_new ();

      if (priv->state == FLUID_WORKER_STATE_FORCE_STOPPED)
        g_cancellable_cancel (cancellable);
      if (!g_atomic_pointer_compare_and_exchange (&priv->cancellable, NULL, cancellable))
        g_object_unref (cancellable);
    }
  return priv->cancellable;
}

/**
 * fluid_worker_has_started:
 * @self: a #FluidWorker
 *
 * Whether the worker has been started, that is its state is not
 * %FLUID_WORKER_STATE_INIT.
 *
 * Returns: %TRUE if the worker has started
 */
gboolean
fluid_worker_has_started (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);

  return fluid_worker_get_state (self) != FLUID_WORKER_STATE_INIT;
}

/**
 * fluid_worker_is_running:
 * @self: a #FluidWorker
 *
 * Whether the worker is %FLUID_WORKER_STATE_RUNNING. `run` loops while this
 * is %TRUE.
 *
 * Returns: %TRUE if the worker runs
 */
gboolean
fluid_worker_is_running (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);

  return fluid_worker_get_state (self) == FLUID_WORKER_STATE_RUNNING;
}

/**
 * fluid_worker_is_stopping:
 * @self: a #FluidWorker
 *
 * Whether a graceful stop was requested and the worker has not stopped yet.
 *
 * Returns: %TRUE if the worker is %FLUID_WORKER_STATE_STOPPING
 */
gboolean
fluid_worker_is_stopping (FluidWorker *self)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);

  return fluid_worker_get_state (self) == FLUID_WORKER_STATE_STOPPING;
}

/**
 * fluid_worker_is_stopped:
 * @self: a #FluidWorker
 *
 * Whether the worker has stopped, normally or by force.
 *
 * Returns: %TRUE if the worker is %FLUID_WORKER_STATE_STOPPED or
 *   %FLUID_WORKER_STATE_FORCE_STOPPED
 */
gboolean
fluid_worker_is_stopped (FluidWorker *self)
{
  FluidWorkerState state;

  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);

  state = fluid_worker_get_state (self);
  return state == FLUID_WORKER_STATE_STOPPED || state == FLUID_WORKER_STATE_FORCE_STOPPED;
}

/* Graceful stop */

static gboolean
fluid_worker_gracefully_stop_cb (gpointer user_data)
{
  FluidWorker *self = user_data;

  FLUID_WORKER_GET_CLASS (self)->gracefully_stop (self);
  return G_SOURCE_REMOVE;
}

/**
 * fluid_worker_gracefully_stop:
 * @self: a #FluidWorker
 *
 * Asks a running worker to stop: its state becomes
 * %FLUID_WORKER_STATE_STOPPING, #FluidWorker::stopping is emitted and
 * fluid_worker_sleep_async() calls in progress complete at once. It does not
 * wait for the worker to stop: use fluid_worker_wait_for_shutdown_async() for
 * that. A worker that is not running is left as it is; in particular a
 * request made before fluid_worker_startup_async() is not remembered.
 *
 * This function is thread-safe: called from another thread, it wakes the
 * worker's main context and makes the request there.
 */
void
fluid_worker_gracefully_stop (FluidWorker *self)
{
  FluidWorkerPrivate *priv;
  GMainContext *context;

  g_return_if_fail (FLUID_IS_WORKER (self));

  priv = fluid_worker_get_instance_private (self);

  /* No context: the worker has not started, and there is nothing to stop.
   * Returning here, rather than calling the virtual method, keeps a call
   * from another thread away from a state that startup may be changing. */
  context = g_atomic_pointer_get (&priv->context);
  if (context == NULL)
    return;

  /* Runs at once on the thread that iterates the context, or on the
   * worker's own thread when no other thread holds the context. Any other
   * thread goes through the context, even one whose default context is the
   * worker's (the global default): g_main_context_invoke() would run the
   * request, and the signals of the state change, on that thread. */
  if (g_main_context_is_owner (context))
    {
      FLUID_WORKER_GET_CLASS (self)->gracefully_stop (self);
    }
  else if (g_atomic_pointer_get (&priv->thread) == g_thread_self () &&
           g_main_context_acquire (context))
    {
      FLUID_WORKER_GET_CLASS (self)->gracefully_stop (self);
      g_main_context_release (context);
    }
  else
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, fluid_worker_gracefully_stop_cb,
                             g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[fluid] gracefully stop");
      g_source_attach (source, context);
      g_source_unref (source);
    }
}

/* Startup, shutdown, waiting */

/* Moves a worker in INIT to RUNNING and calls on_startup and run;
 * @task, if any, is completed once it runs. */
static void
fluid_worker_start_running (FluidWorker *self,
                            GTask       *task)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  g_assert (priv->state == FLUID_WORKER_STATE_INIT);

  g_atomic_pointer_set (&priv->thread, g_thread_ref (g_thread_self ()));
  g_atomic_pointer_set (&priv->context, g_main_context_ref_thread_default ());

  /* Dropped by fluid_worker_finish(). */
  g_object_ref (self);

  fluid_worker_set_state (self, FLUID_WORKER_STATE_RUNNING);
  g_debug ("%s started running", priv->name);
  g_signal_emit (self, signals[SIGNAL_STARTED], 0);
  if (task != NULL)
    g_task_return_boolean (task, TRUE);

  fluid_worker_begin_startup (self);
}

/**
 * fluid_worker_startup_async:
 * @self: a #FluidWorker
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the worker is running
 * @user_data: (closure): data for @callback
 *
 * Starts the worker on the thread-default main context of the calling
 * thread: its state becomes %FLUID_WORKER_STATE_RUNNING,
 * #FluidWorker::started is emitted, then `on_startup` and `run` are called.
 * The operation completes once the worker runs; it fails with
 * %FLUID_WORKER_ERROR_ALREADY_STARTED when the worker has started before.
 */
void
fluid_worker_startup_async (FluidWorker         *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  FluidWorkerPrivate *priv;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = fluid_worker_get_instance_private (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_worker_startup_async);
  g_task_set_name (task, "[fluid] worker startup");

  if (g_task_return_error_if_cancelled (task))
    return;

  if (priv->state != FLUID_WORKER_STATE_INIT)
    {
      g_task_return_new_error (task, FLUID_WORKER_ERROR, FLUID_WORKER_ERROR_ALREADY_STARTED,
                               "Worker %s has already started", priv->name);
      return;
    }

  fluid_worker_start_running (self, task);
}

/**
 * fluid_worker_startup_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_startup_async().
 *
 * Returns: %TRUE if the worker was started
 */
gboolean
fluid_worker_startup_finish (FluidWorker   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fluid_worker_startup_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Completes @task now if the worker never started or has stopped; else
 * queues it for the end of the lifecycle. Takes @task. */
static void
fluid_worker_add_waiter (FluidWorker  *self,
                         GTask        *task,
                         GCancellable *cancellable)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (priv->state == FLUID_WORKER_STATE_INIT)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
  else if (priv->finished)
    {
      fluid_worker_return_outcome (self, task);
      g_object_unref (task);
    }
  else
    fluid_pending_add (&priv->waiters, task, cancellable);
}

/**
 * fluid_worker_wait_for_shutdown_async:
 * @self: a #FluidWorker
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the worker has stopped
 * @user_data: (closure): data for @callback
 *
 * Waits for the worker to stop, without asking it to. Completes at once for
 * a worker that never started or has stopped already.
 */
void
fluid_worker_wait_for_shutdown_async (FluidWorker         *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_worker_wait_for_shutdown_async);
  g_task_set_name (task, "[fluid] worker wait for shutdown");

  fluid_worker_add_waiter (self, task, cancellable);
}

/**
 * fluid_worker_wait_for_shutdown_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_wait_for_shutdown_async(). When `run` failed, this
 * fails with a copy of its error.
 *
 * Returns: %TRUE if the worker stopped without an error (or never started)
 */
gboolean
fluid_worker_wait_for_shutdown_finish (FluidWorker   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        fluid_worker_wait_for_shutdown_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * fluid_worker_shutdown_async:
 * @self: a #FluidWorker
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the worker has stopped
 * @user_data: (closure): data for @callback
 *
 * Stops the worker: asks for a graceful stop, and when the worker has not
 * stopped after #FluidWorker:stopping-grace-period seconds, cancels it and
 * moves it to %FLUID_WORKER_STATE_FORCE_STOPPED. Completes when the worker
 * has stopped, at once for a worker that never started.
 *
 * Cancelling @cancellable abandons the wait, not the stop.
 */
void
fluid_worker_shutdown_async (FluidWorker         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  FluidWorkerPrivate *priv;
  GTask *task;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = fluid_worker_get_instance_private (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_worker_shutdown_async);
  g_task_set_name (task, "[fluid] worker shutdown");

  if (priv->state == FLUID_WORKER_STATE_INIT || priv->finished)
    {
      fluid_worker_add_waiter (self, task, cancellable);
      return;
    }

  /* Keep @self while the stop request runs: it may finish the worker. */
  g_object_ref (self);
  fluid_worker_add_waiter (self, task, cancellable);
  FLUID_WORKER_GET_CLASS (self)->gracefully_stop (self);
  fluid_worker_arm_grace_timer (self);
  g_object_unref (self);
}

/**
 * fluid_worker_shutdown_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_shutdown_async(). A forced stop is a success; when
 * `run` failed, this fails with a copy of its error.
 *
 * Returns: %TRUE if the worker stopped without an error (or never started)
 */
gboolean
fluid_worker_shutdown_finish (FluidWorker   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fluid_worker_shutdown_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * fluid_worker_status_async:
 * @self: a #FluidWorker
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the status
 * @user_data: (closure): data for @callback
 *
 * Collects the status of the worker: a `a{sv}` dictionary with at least the
 * booleans `running` and `stopping`. Subclasses add their own keys; a group
 * maps each child's name to the child's status.
 */
void
fluid_worker_status_async (FluidWorker         *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  FLUID_WORKER_GET_CLASS (self)->status_async (self, cancellable, callback, user_data);
}

/**
 * fluid_worker_status_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_status_async().
 *
 * Returns: (transfer full) (nullable): the status, a `a{sv}` #GVariant, or
 *   %NULL on error
 */
GVariant *
fluid_worker_status_finish (FluidWorker   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  return FLUID_WORKER_GET_CLASS (self)->status_finish (self, result, error);
}

/* Sleep */

/**
 * fluid_worker_sleep_async:
 * @self: a #FluidWorker
 * @seconds: how long to sleep, in seconds (not negative)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the sleep is over
 * @user_data: (closure): data for @callback
 *
 * Sleeps for @seconds, or less when the worker is asked to stop: the sleep
 * completes at once when a graceful stop is requested or the worker is
 * already stopping, and fails with %G_IO_ERROR_CANCELLED when the worker is
 * forced to stop or @cancellable is cancelled. A worker that sleeps between
 * iterations of `run` with this function therefore stops at once.
 */
void
fluid_worker_sleep_async (FluidWorker         *self,
                          double               seconds,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  FluidWorkerPrivate *priv;
  FluidPending *pending;
  GTask *task;

  g_return_if_fail (FLUID_IS_WORKER (self));
  g_return_if_fail (!isnan (seconds) && seconds >= 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = fluid_worker_get_instance_private (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fluid_worker_sleep_async);
  g_task_set_name (task, "[fluid] worker sleep");

  if (priv->state == FLUID_WORKER_STATE_FORCE_STOPPED)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "The worker was forced to stop");
  else if (priv->state == FLUID_WORKER_STATE_STOPPING || priv->state == FLUID_WORKER_STATE_STOPPED)
    g_task_return_boolean (task, FALSE);
  else if (!g_task_return_error_if_cancelled (task))
    {
      /* The worker's own cancellable is cancelled only by a forced stop,
       * which fails every sleeper itself: no need to watch it. */
      pending = fluid_pending_add (&priv->sleepers, task,
                                   cancellable != priv->cancellable ? cancellable : NULL);
      pending->elapsed = TRUE;
      fluid_timer_arm (&pending->timer, fluid_worker_get_clock (self, g_task_get_context (task)),
                       fluid_deadline_in (seconds));
      return;
    }

  g_object_unref (task);
}

/**
 * fluid_worker_sleep_finish:
 * @self: a #FluidWorker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes fluid_worker_sleep_async().
 *
 * Returns: %TRUE if the whole sleep elapsed, %FALSE if it was cut short by a
 *   graceful stop (with @error unset) or failed (with @error set)
 */
gboolean
fluid_worker_sleep_finish (FluidWorker   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (FLUID_IS_WORKER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fluid_worker_sleep_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Private API */

/* How a run started by fluid_worker_function_run_direct() ends: like the
 * completion of run_async(). @error is taken. */
void
fluid_worker_run_done (FluidWorker *self,
                       GError      *error)
{
  g_object_ref (self);
  if (fluid_worker_takes_phase_result (self, "run", error == NULL, error))
    fluid_worker_begin_shutdown (self);
  g_object_unref (self);
}

/* fluid_worker_sleep_async() without a task, for the library's own workers:
 * @func is called with TRUE once @seconds elapsed, with FALSE (at the next
 * dispatch of the context) when a graceful stop comes first, and with
 * G_IO_ERROR_CANCELLED from within a forced stop. Called on the worker's
 * context while it runs or stops, before it has stopped. */
void
fluid_worker_sleep_full (FluidWorker          *self,
                         double                seconds,
                         FluidWorkerSleepFunc  func,
                         gpointer              user_data)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);
  FluidPending *pending;
  gboolean running = priv->state == FLUID_WORKER_STATE_RUNNING;

  g_return_if_fail (priv->context != NULL && !priv->finished);

  pending = fluid_pending_add (&priv->sleepers, NULL, NULL);
  pending->worker = self;
  pending->func = func;
  pending->func_data = user_data;
  pending->elapsed = running;
  fluid_timer_arm (&pending->timer, fluid_worker_get_clock (self, priv->context),
                   running ? fluid_deadline_in (seconds) : 0);
}

/* The context the worker runs on, or NULL before startup. */
GMainContext *
fluid_worker_get_context (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  return g_atomic_pointer_get (&priv->context);
}

/* The reason reported by a normal shutdown of a worker that stopped for a
 * cause of its own, such as a group whose child stopped. */
void
fluid_worker_set_stop_reason (FluidWorker *self,
                              const char  *reason)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  g_free (priv->stop_reason);
  priv->stop_reason = g_strdup (reason);
}

/* Starts a worker in INIT as fluid_worker_startup_async() does, without a
 * task to complete: for groups that start thousands of children. */
void
fluid_worker_start (FluidWorker *self)
{
  fluid_worker_start_running (self, NULL);
}

/* Asks the worker to stop and arms its grace timer, as
 * fluid_worker_shutdown_async() does, without a task to complete. Called on
 * the worker's context. */
void
fluid_worker_request_shutdown (FluidWorker *self)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (priv->state == FLUID_WORKER_STATE_INIT || priv->finished)
    return;

  g_object_ref (self);
  FLUID_WORKER_GET_CLASS (self)->gracefully_stop (self);
  fluid_worker_arm_grace_timer (self);
  g_object_unref (self);
}

/* Sets the one supervisor of the worker, told of the end of the worker
 * right after ::stopped is emitted; FALSE if another one is set. Pass a NULL
 * @func to clear it. */
gboolean
fluid_worker_set_supervisor (FluidWorker            *self,
                             FluidWorkerStoppedFunc  func,
                             gpointer                user_data)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  if (func != NULL && priv->supervisor_func != NULL)
    return FALSE;

  priv->supervisor_func = func;
  priv->supervisor_data = user_data;
  return TRUE;
}

/* Whether @user_data is the supervisor of the worker. */
gboolean
fluid_worker_is_supervised_by (FluidWorker *self,
                               gpointer     user_data)
{
  FluidWorkerPrivate *priv = fluid_worker_get_instance_private (self);

  return priv->supervisor_func != NULL && priv->supervisor_data == user_data;
}
