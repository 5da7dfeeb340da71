/* fluid-clock.c: the timers of a main context, one GSource for all
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-clock-private.h"

#include <math.h>

/* Every sleep and every stopping grace period needs a deadline. A timeout
 * GSource for each would cost an allocation, a lock of the context and a
 * wake-up of its poll per sleep, and GMainContext prepares and checks every
 * attached source at every iteration: thousands of sleeping workers made
 * each iteration linear in their number. Instead, the timers of one context
 * belong to one FluidClock source.
 *
 * The timers whose deadlines fall in one tick of FLUID_CLOCK_RESOLUTION_US
 * share a bucket: a FIFO, found through a hash table, that fires at the
 * latest of their deadlines, so that none fires early. The buckets, not the
 * timers, sit in a binary min-heap. Arming or disarming a timer is then an
 * append or an unlink, whatever the number of timers; the heap only changes
 * when a tick gets its first timer or loses its last. Timers due at once (a
 * stop ends every sleep) go to a FIFO of their own.
 *
 * The clock tells its context when it is due from its prepare and check
 * functions, not with g_source_set_ready_time(): that call writes to the
 * context's wake-up file descriptor every time, even from the thread that
 * is dispatching the context and will prepare it again anyway, and a ready
 * time left in the past while a timer's callback runs a nested main loop
 * made that loop spin. Timers are armed and disarmed only on the thread
 * that owns the context, which is then not blocked in its poll: nothing
 * needs waking.
 *
 * Threads: the table of clocks is under clocks_lock; everything else in a
 * clock belongs to the thread that owns its context. A clock lives as long
 * as its context holds it and every armed timer holds a reference. */

/* A timer fires at most this late (µs): coarse enough for the workers of a
 * group, started within milliseconds of each other, to share a few
 * buckets; fine beside GLib's timeouts (1 ms). */
#define FLUID_CLOCK_RESOLUTION_US 100

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
  guint64        next_serial;
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

  bucket->deadline = MAX (bucket->deadline, deadline);
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
}

/* The earliest deadline, 0 when a timer is due at once, -1 without timers. */
static gint64
fluid_clock_next_deadline (FluidClock *clock)
{
  if (clock->due.length > 0)
    return 0;
  return clock->len > 0 ? clock->heap[0]->deadline : -1;
}

static gboolean
fluid_clock_prepare (GSource *source,
                     gint    *timeout)
{
  FluidClock *clock = (FluidClock *) source;
  gint64 deadline = fluid_clock_next_deadline (clock);
  gint64 now;

  *timeout = -1;
  if (deadline < 0)
    return FALSE;
  now = g_source_get_time (source);
  if (deadline <= now)
    {
      *timeout = 0;
      return TRUE;
    }
  /* Rounded up, as GLib does for ready times: never early. */
  *timeout = (int) MIN ((deadline - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

static gboolean
fluid_clock_check (GSource *source)
{
  FluidClock *clock = (FluidClock *) source;
  gint64 deadline = fluid_clock_next_deadline (clock);

  return deadline >= 0 && deadline <= g_source_get_time (source);
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
  while ((timer = fluid_clock_next_due (clock, now, serial_limit)) != NULL)
    {
      /* Disarmed before its callback: a nested main loop in the callback
       * sees only the timers still armed. */
      fluid_timer_disarm (timer);
      timer->func (timer->data);
    }
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
  .prepare = fluid_clock_prepare,
  .check = fluid_clock_check,
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
FluidClock *
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

void
fluid_clock_unref (FluidClock *clock)
{
  g_source_unref (&clock->source);
}

GMainContext *
fluid_clock_get_context (FluidClock *clock)
{
  return clock->context;
}

/* FALSE once the context was freed: a new clock is needed for a context
 * at the same address. */
gboolean
fluid_clock_is_attached (FluidClock *clock)
{
  return !g_source_is_destroyed (&clock->source);
}

void
fluid_timer_init (FluidTimer     *timer,
                  FluidTimerFunc  func,
                  gpointer        data)
{
  timer->func = func;
  timer->data = data;
}

void
fluid_timer_disarm (FluidTimer *timer)
{
  FluidClock *clock = timer->clock;
  FluidBucket *bucket = timer->bucket;

  if (clock == NULL)
    return;

  timer->clock = NULL;
  timer->bucket = NULL;
  if (bucket == NULL)
    g_queue_unlink (&clock->due, &timer->link);
  else
    {
      g_queue_unlink (&bucket->timers, &timer->link);
      if (bucket->timers.length == 0)
        fluid_clock_remove_bucket (clock, bucket);
    }
  g_source_unref (&clock->source);
}

/* Arms @timer on @clock for @deadline (monotonic µs; 0: the next dispatch),
 * disarming it first if it was armed. On the thread that owns the clock's
 * context. */
void
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
    g_queue_push_tail_link (&clock->due, &timer->link);
  else
    {
      timer->bucket = fluid_clock_get_bucket (clock, deadline);
      g_queue_push_tail_link (&timer->bucket->timers, &timer->link);
    }
}

/* Arms @timer for @deadline on the clock of @context, which the armed
 * timer holds (see fluid_timer_arm()). On the thread that owns @context. */
void
fluid_timer_arm_on_context (FluidTimer   *timer,
                            GMainContext *context,
                            gint64        deadline)
{
  FluidClock *clock = fluid_clock_get (context);

  fluid_timer_arm (timer, clock, deadline);
  fluid_clock_unref (clock);
}

/* The deadline @seconds from now, in monotonic µs; never "at once". */
gint64
fluid_deadline_in (double seconds)
{
  gint64 now = g_get_monotonic_time ();
  double us = ceil (seconds * G_USEC_PER_SEC);

  if (us >= (double) (G_MAXINT64 - now))
    return G_MAXINT64;
  return MAX (now + (gint64) us, 1);
}
