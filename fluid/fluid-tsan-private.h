/* fluid-tsan-private.h: tell ThreadSanitizer about the locks GLib takes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

/* GLib's GMutex is futex-based and the system GLib is not instrumented, so
 * ThreadSanitizer cannot see the happens-before edges of a GMutex and
 * reports the data it protects as racy. In TSan builds these
 * wrappers declare the lock's acquire and release; elsewhere they are the
 * plain GLib calls. */

#if defined (__SANITIZE_THREAD__)
# define FLUID_HAVE_TSAN 1
#elif defined (__has_feature)
# if __has_feature (thread_sanitizer)
#  define FLUID_HAVE_TSAN 1
# endif
#endif

#ifdef FLUID_HAVE_TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
# define fluid_tsan_acquire(addr) __tsan_acquire ((void *) (addr))
# define fluid_tsan_release(addr) __tsan_release ((void *) (addr))
#else
# define fluid_tsan_acquire(addr) G_STMT_START { (void) (addr); } G_STMT_END
# define fluid_tsan_release(addr) G_STMT_START { (void) (addr); } G_STMT_END
#endif

static inline void
fluid_mutex_lock (GMutex *mutex)
{
  g_mutex_lock (mutex);
  fluid_tsan_acquire (mutex);
}

static inline void
fluid_mutex_unlock (GMutex *mutex)
{
  fluid_tsan_release (mutex);
  g_mutex_unlock (mutex);
}
