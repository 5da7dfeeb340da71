/* fluid-clock-private.h: the timers of a main context, one GSource for all
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FluidClock  FluidClock;
typedef struct _FluidBucket FluidBucket;
typedef struct _FluidTimer  FluidTimer;

typedef void (* FluidTimerFunc) (gpointer data);

/* A timer, embedded in whatever it times. Every field is owned by the
 * thread that owns the clock's context. */
struct _FluidTimer
{
  FluidClock     *clock;      /* the clock it is armed on, or NULL */
  FluidBucket    *bucket;     /* its bucket; NULL when due at once */
  FluidTimerFunc  func;
  gpointer        data;
  guint64         serial;     /* the order in which timers were armed */
  GList           link;       /* in bucket->timers or clock->due */
};

FluidClock *fluid_clock_get        (GMainContext *context);
void        fluid_clock_unref      (FluidClock   *clock);
GMainContext *fluid_clock_get_context (FluidClock *clock);
gboolean    fluid_clock_is_attached (FluidClock  *clock);

void        fluid_timer_init       (FluidTimer     *timer,
                                    FluidTimerFunc  func,
                                    gpointer        data);
void        fluid_timer_arm        (FluidTimer     *timer,
                                    FluidClock     *clock,
                                    gint64          deadline);
void        fluid_timer_arm_on_context (FluidTimer   *timer,
                                        GMainContext *context,
                                        gint64        deadline);
void        fluid_timer_disarm     (FluidTimer     *timer);

static inline gboolean
fluid_timer_is_armed (const FluidTimer *timer)
{
  return timer->clock != NULL;
}

gint64      fluid_deadline_in      (double          seconds);

G_END_DECLS
