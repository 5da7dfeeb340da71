/* fluid-message-queue.c: a thread-safe queue of messages, in priority
 * lanes, with the producers and getters that wait on it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-message-queue-private.h"
#include "fluid-clock-private.h"
#include "fluid-pending-private.h"
#include "fluid-tsan-private.h"

/* A FluidMessageQueue is what a queue consumer is fed through: any thread
 * pushes, one reader takes (a pump on the consumer's context, the
 * consumer's threads, or the calls waiting for a message), and it counts
 * how every message ended.
 *
 * Lanes. Each message has a priority, a G_PRIORITY_* value: the queue
 * keeps a FIFO lane per priority queued, in an array sorted by priority,
 * and takes from the lowest first, first come first served within a lane.
 * The lane of G_PRIORITY_DEFAULT, the one fluid_queue_consumer_send()
 * uses, is always there and found without a search; another is found by
 * a binary search, and dropped once empty, so that the array holds only
 * the priorities queued now.
 *
 * Cost model. A push is an O(1) append under the lock (O(log lanes) for a
 * priority other than the default); its message is made by the caller,
 * outside the lock. A reader takes whole lanes at once:
 * fluid_message_queue_steal() moves each lane it takes whole into the
 * reader's batch in O(1), so that a million messages change hands under
 * one lock held for a few pointer writes, and the reader tells how the
 * previous batch ended (a FluidMessageTally) under that same lock. The
 * messages of a batch still count as queued (@lent) until the reader
 * starts each, an atomic decrement, so that the size producers wait on
 * never runs ahead of the consumer. Closing takes the lanes in O(lanes),
 * and the messages are freed outside the lock: a producer never waits
 * for a discard, however large.
 *
 * Whether a message is still queued (fluid_message_queue_remove()) is
 * known in O(1) without touching the messages a steal moves: a lane has
 * an epoch, drawn from a counter of the queue that never repeats and
 * renewed whenever the lane is taken whole; a message records its lane's
 * epoch when it enters the lane, and 0 when it leaves alone.
 *
 * Waiters. Producers waiting for room (fluid_message_queue_send(), under
 * @max_size) queue in order of arrival and are let in wherever a message
 * leaves the queue; each completes its GTask on its own context, or fails
 * with the close's error. Getters (fluid_message_queue_get(): a call that
 * waits for one message, with a timeout and a cancellable) queue on the
 * reader's context, which serves them when it is woken. The reader is
 * woken through the function it set, once per arming: a reader that found
 * nothing to take arms the wake-up, and the next message to arrive
 * disarms it and calls the function. The counters wake their watcher the
 * same way, once until it has read them; nobody watching, a change costs
 * an atomic read.
 *
 * Counting. By default the reader's tallies are the counters, and what a
 * close or a push to a closed queue drops is discarded. An owner that
 * decides how each message ended by itself (a job worker, whose jobs end
 * exactly once whoever ends them: their function, a cancellation, a stop)
 * sets @owner_counts: the reader's tallies and the drops then only settle
 * what the reader holds (@out), and the owner counts each outcome with
 * fluid_message_queue_count().
 *
 * Threads and locks. @lock guards the fields so marked. It is a leaf: no
 * callback is called, no message freed, no task completed and no other
 * lock taken while it is held; the functions that take messages out
 * return them, or free them, once it is released. The atomics are read
 * without it. The getters belong to the thread of the reader's context,
 * and are never touched under @lock but for the messages handed to them
 * at a stop, which that same thread does. */

typedef struct
{
  int               priority;
  guint64           epoch;
  FluidMessageList  messages;
} FluidLane;

struct _FluidMessageQueue
{
  GMutex                 lock;

  /* Under @lock. */
  GPtrArray             *lanes;          /* of FluidLane *, lowest priority first */
  FluidLane             *default_lane;   /* G_PRIORITY_DEFAULT's, always in @lanes */
  guint64                epochs;         /* the last epoch given to a lane */
  guint                  length;         /* of the lanes together */
  guint                  out;            /* taken by the reader, not told back */
  guint                  limit;          /* how many more may be taken; G_MAXUINT: no limit */
  guint                  max_size;       /* for try_push and send; 0: none */
  guint64                processed;
  guint64                failed;
  guint64                discarded;
  guint64                cancelled;
  gboolean               owner_counts;   /* set before any push, then constant */
  gboolean               closed;
  GError                *close_error;    /* what senders get once closed */
  gboolean               reader_armed;
  FluidMessageQueueFunc  reader_wake;
  gpointer               reader_data;
  GQueue                 senders;        /* of FluidSender, in order of arrival */

  /* Atomic: written under @lock (@lent by the reader too), read without
   * it. */
  int                    lent;           /* stolen and not started: still queued */
  int                    head_priority;  /* of the next message; G_MAXINT: none */
  int                    n_senders;
  int                    watched;
  int                    changed;
  int                    recalled;       /* a stop wants the messages taken and not started back */

  /* Set at creation. */
  FluidMessageQueueFunc  changed_func;
  gpointer               changed_data;

  /* The thread of the getters' context. */
  GQueue                 getters;        /* of FluidGetter, in order */
};

/* Lanes; all under the lock */

static FluidLane *
fluid_lane_new (FluidMessageQueue *self,
                int                priority)
{
  FluidLane *lane = g_new0 (FluidLane, 1);

  lane->priority = priority;
  lane->epoch = ++self->epochs;
  return lane;
}

static void
fluid_lane_free (gpointer data)
{
  FluidLane *lane = data;

  fluid_message_list_free (&lane->messages);
  g_free (lane);
}

/* Where the lane of @priority is in @lanes, or would be inserted. */
static guint
fluid_message_queue_lane_index_locked (FluidMessageQueue *self,
                                       int                priority,
                                       gboolean          *found)
{
  guint low = 0, high = self->lanes->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;
      FluidLane *lane = g_ptr_array_index (self->lanes, middle);

      if (lane->priority < priority)
        low = middle + 1;
      else
        high = middle;
    }
  *found = low < self->lanes->len &&
           ((FluidLane *) g_ptr_array_index (self->lanes, low))->priority == priority;
  return low;
}

/* The lane of @priority; made when @make is set, else NULL if none. */
static FluidLane *
fluid_message_queue_lane_locked (FluidMessageQueue *self,
                                 int                priority,
                                 gboolean           make)
{
  gboolean found;
  guint index;
  FluidLane *lane;

  if (G_LIKELY (priority == G_PRIORITY_DEFAULT))
    return self->default_lane;

  index = fluid_message_queue_lane_index_locked (self, priority, &found);
  if (found)
    return g_ptr_array_index (self->lanes, index);
  if (!make)
    return NULL;
  lane = fluid_lane_new (self, priority);
  g_ptr_array_insert (self->lanes, index, lane);
  return lane;
}

/* Drops the empty lanes but the default one, and publishes the priority
 * of the next message: none once a stop limits the taking, when what the
 * reader took runs as it took it. O(lanes). */
static void
fluid_message_queue_tidy_locked (FluidMessageQueue *self)
{
  int head = G_MAXINT;

  for (guint i = 0; i < self->lanes->len;)
    {
      FluidLane *lane = g_ptr_array_index (self->lanes, i);

      if (lane->messages.length > 0)
        {
          head = MIN (head, lane->priority);
          i++;
        }
      else if (lane != self->default_lane)
        g_ptr_array_remove_index (self->lanes, i);
      else
        i++;
    }
  g_atomic_int_set (&self->head_priority, self->limit == G_MAXUINT ? head : G_MAXINT);
}

static void
fluid_message_queue_enqueue_locked (FluidMessageQueue *self,
                                    FluidMessage      *message)
{
  FluidLane *lane = fluid_message_queue_lane_locked (self, message->priority, TRUE);

  message->epoch = lane->epoch;
  fluid_message_list_push (&lane->messages, message);
  self->length++;
  if (message->priority < g_atomic_int_get (&self->head_priority) && self->limit == G_MAXUINT)
    g_atomic_int_set (&self->head_priority, message->priority);
}

/* Moves up to @n messages, in the order they are to be taken, to the end
 * of @taken; a lane taken whole moves in O(1). Counts them against the
 * limit. */
static guint
fluid_message_queue_take_locked (FluidMessageQueue *self,
                                 guint              n,
                                 FluidMessageList  *taken)
{
  guint total = 0;

  if (self->closed)
    return 0;
  n = MIN (n, self->limit);
  for (guint i = 0; i < self->lanes->len && total < n; i++)
    {
      FluidLane *lane = g_ptr_array_index (self->lanes, i);

      if (lane->messages.length == 0)
        continue;
      if (lane->messages.length <= n - total)
        {
          total += lane->messages.length;
          fluid_message_list_append_list (taken, &lane->messages);
          lane->epoch = ++self->epochs;
          continue;
        }
      while (total < n)
        {
          FluidMessage *message = fluid_message_list_pop (&lane->messages);

          message->epoch = 0;
          fluid_message_list_push (taken, message);
          total++;
        }
    }
  if (total == 0)
    return 0;

  self->length -= total;
  if (self->limit != G_MAXUINT)
    self->limit -= total;
  fluid_message_queue_tidy_locked (self);
  return total;
}

static gboolean
fluid_message_queue_has_room_locked (FluidMessageQueue *self)
{
  return self->max_size == 0 ||
         self->length + (guint) MAX (g_atomic_int_get (&self->lent), 0) < self->max_size;
}

/* The reader's wake-up, if armed: disarmed, to be called once the lock is
 * released. */
static FluidMessageQueueFunc
fluid_message_queue_disarm_locked (FluidMessageQueue *self,
                                   gpointer          *data)
{
  if (!self->reader_armed)
    return NULL;
  self->reader_armed = FALSE;
  *data = self->reader_data;
  return self->reader_wake;
}

/* Counters */

/* A counter changed: tells the watcher, once until it reads them again.
 * Without the lock; any thread (an owner whose own counters changed). */
void
fluid_message_queue_changed (FluidMessageQueue *self)
{
  if (G_LIKELY (!g_atomic_int_get (&self->watched)) || g_atomic_int_get (&self->changed))
    return;
  if (g_atomic_int_compare_and_exchange (&self->changed, FALSE, TRUE))
    self->changed_func (self->changed_data);
}

/* Folds @tally into the counters and zeroes it; returns whether anything
 * was told. */
static gboolean
fluid_message_queue_tally_locked (FluidMessageQueue *self,
                                  FluidMessageTally *tally)
{
  guint64 told;

  if (tally == NULL)
    return FALSE;
  told = tally->processed + tally->failed + tally->discarded + tally->cancelled;
  if (told == 0)
    return FALSE;
  if (!self->owner_counts)
    {
      self->processed += tally->processed;
      self->failed += tally->failed;
      self->discarded += tally->discarded;
      self->cancelled += tally->cancelled;
    }
  self->out -= (guint) MIN (told, self->out);
  *tally = (FluidMessageTally) { 0, 0, 0, 0 };
  return !self->owner_counts;
}

/* Senders: waiting for room */

typedef struct
{
  GList              link;          /* in @senders, under the lock */
  FluidMessageQueue *queue;
  GTask             *task;
  FluidMessage      *message;       /* taken by the queue when let in */
  GCancellable      *cancellable;   /* the task's */
  gulong             cancelled_id;
  gboolean           waiting;       /* in @senders; under the lock */
} FluidSender;

/* Completes @sender, out of the queue and the lock: with success when its
 * message was taken, else with @error (taken), the message freed. */
static void
fluid_sender_complete (FluidSender *sender,
                       GError      *error)
{
  GTask *task = sender->task;

  /* Waits for a handler running on another thread, which found @sender
   * out of the queue and does nothing. */
  if (sender->cancelled_id != 0)
    g_cancellable_disconnect (sender->cancellable, sender->cancelled_id);
  g_clear_pointer (&sender->message, fluid_message_free);
  g_free (sender);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
fluid_message_queue_unlink_sender_locked (FluidMessageQueue *self,
                                          FluidSender       *sender)
{
  g_queue_unlink (&self->senders, &sender->link);
  sender->waiting = FALSE;
  g_atomic_int_add (&self->n_senders, -1);
}

/* Room may have appeared: lets in the senders it has room for, in order,
 * and completes them. Any thread, without the lock. */
static void
fluid_message_queue_admit (FluidMessageQueue *self)
{
  GQueue admitted = G_QUEUE_INIT;
  FluidMessageQueueFunc wake;
  gpointer wake_data = NULL;

  /* The common case, without a lock: nobody waits. */
  if (G_LIKELY (g_atomic_int_get (&self->n_senders) == 0))
    return;

  fluid_mutex_lock (&self->lock);
  while (self->senders.head != NULL && !self->closed && fluid_message_queue_has_room_locked (self))
    {
      FluidSender *sender = self->senders.head->data;

      fluid_message_queue_unlink_sender_locked (self, sender);
      fluid_message_queue_enqueue_locked (self, g_steal_pointer (&sender->message));
      g_queue_push_tail_link (&admitted, &sender->link);
    }
  wake = admitted.length > 0 ? fluid_message_queue_disarm_locked (self, &wake_data) : NULL;
  fluid_mutex_unlock (&self->lock);

  if (wake != NULL)
    wake (wake_data);
  if (admitted.length > 0)
    fluid_message_queue_changed (self);
  while (admitted.head != NULL)
    fluid_sender_complete (g_queue_pop_head_link (&admitted)->data, NULL);
}

/* The size went down: the watcher and the senders hear of it. */
static void
fluid_message_queue_size_changed (FluidMessageQueue *self)
{
  fluid_message_queue_changed (self);
  fluid_message_queue_admit (self);
}

static gboolean
fluid_sender_cancelled_idle_cb (gpointer user_data)
{
  fluid_sender_complete (user_data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                         "Operation was cancelled"));
  return G_SOURCE_REMOVE;
}

/* Any thread, possibly inside g_cancellable_connect(): takes @sender out
 * of the queue if it still waits, and completes it from its context:
 * there, g_cancellable_disconnect() may be called, which it may not be
 * inside this handler. */
static void
fluid_sender_cancelled_cb (GCancellable *cancellable,
                           gpointer      user_data)
{
  FluidSender *sender = user_data;
  FluidMessageQueue *self = sender->queue;
  gboolean mine = FALSE;

  fluid_mutex_lock (&self->lock);
  if (sender->waiting)
    {
      fluid_message_queue_unlink_sender_locked (self, sender);
      mine = TRUE;
    }
  fluid_mutex_unlock (&self->lock);

  /* Always from a later dispatch: not g_main_context_invoke(), which
   * calls at once on the context's own thread. */
  if (mine)
    {
      g_autoptr(GSource) idle = g_idle_source_new ();

      g_source_set_static_name (idle, "[fluid] cancelled send");
      g_source_set_callback (idle, fluid_sender_cancelled_idle_cb, sender, NULL);
      g_source_attach (idle, g_task_get_context (sender->task));
    }
}

/* Producers */

FluidMessageQueue *
fluid_message_queue_new (FluidMessageQueueFunc changed,
                         gpointer              user_data)
{
  FluidMessageQueue *self = g_new0 (FluidMessageQueue, 1);

  g_mutex_init (&self->lock);
  self->lanes = g_ptr_array_new_with_free_func (fluid_lane_free);
  self->default_lane = fluid_lane_new (self, G_PRIORITY_DEFAULT);
  g_ptr_array_add (self->lanes, self->default_lane);
  self->limit = G_MAXUINT;
  self->head_priority = G_MAXINT;
  self->changed_func = changed;
  self->changed_data = user_data;
  return self;
}

/* Nothing may use the queue any more: no getter waits (each holds its
 * owner), and no sender (each holds its task's source object, the owner
 * too). */
void
fluid_message_queue_free (FluidMessageQueue *self)
{
  g_assert (self->getters.length == 0);
  g_assert (self->senders.length == 0);

  g_ptr_array_unref (self->lanes);
  g_clear_error (&self->close_error);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* Queues @message, which it takes, at its priority, and wakes the reader
 * if it waits. A closed queue frees the message and counts it as
 * discarded: FALSE. Any thread. */
gboolean
fluid_message_queue_push (FluidMessageQueue *self,
                          FluidMessage      *message)
{
  FluidMessageQueueFunc wake = NULL;
  gpointer wake_data = NULL;
  gboolean closed;

  fluid_mutex_lock (&self->lock);
  closed = self->closed;
  if (closed && !self->owner_counts)
    self->discarded++;
  else
    {
      fluid_message_queue_enqueue_locked (self, message);
      wake = fluid_message_queue_disarm_locked (self, &wake_data);
    }
  fluid_mutex_unlock (&self->lock);

  if (closed)
    fluid_message_free (message);
  if (wake != NULL)
    wake (wake_data);
  fluid_message_queue_changed (self);
  return !closed;
}

/* Queues @message, which it takes then, unless the queue is closed or
 * full (senders waiting before it included): FALSE, and @message is the
 * caller's still. Any thread. */
gboolean
fluid_message_queue_try_push (FluidMessageQueue *self,
                              FluidMessage      *message)
{
  FluidMessageQueueFunc wake = NULL;
  gpointer wake_data = NULL;

  fluid_mutex_lock (&self->lock);
  if (self->closed || self->senders.head != NULL || !fluid_message_queue_has_room_locked (self))
    {
      fluid_mutex_unlock (&self->lock);
      return FALSE;
    }
  fluid_message_queue_enqueue_locked (self, message);
  wake = fluid_message_queue_disarm_locked (self, &wake_data);
  fluid_mutex_unlock (&self->lock);

  if (wake != NULL)
    wake (wake_data);
  fluid_message_queue_changed (self);
  return TRUE;
}

/* Queues @message (taken) as soon as there is room, after the senders
 * waiting before it, then completes @task (taken) with TRUE; or fails it
 * with a copy of the close's error when the queue closes first, or with
 * G_IO_ERROR_CANCELLED when its cancellable is cancelled first (the
 * message is then freed, not counted). Any thread; @task completes on its
 * own context. */
void
fluid_message_queue_send (FluidMessageQueue *self,
                          FluidMessage      *message,
                          GTask             *task)
{
  FluidSender *sender = g_new0 (FluidSender, 1);
  FluidMessageQueueFunc wake = NULL;
  gpointer wake_data = NULL;
  GError *error = NULL;

  sender->link.data = sender;
  sender->queue = self;
  sender->task = task;
  sender->message = message;
  sender->cancellable = g_task_get_cancellable (task);

  /* Connected before the sender can be seen in the queue, so that whoever
   * takes it out can disconnect it; a cancellation meanwhile finds it not
   * waiting and does nothing, and is caught below. 0 when it was
   * cancelled already: the handler ran, and is not connected. */
  if (sender->cancellable != NULL)
    sender->cancelled_id = g_cancellable_connect (sender->cancellable,
                                                  G_CALLBACK (fluid_sender_cancelled_cb),
                                                  sender, NULL);

  fluid_mutex_lock (&self->lock);
  if (self->closed)
    error = g_error_copy (self->close_error);
  else if (g_cancellable_is_cancelled (sender->cancellable))
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  else if (self->senders.head == NULL && fluid_message_queue_has_room_locked (self))
    {
      fluid_message_queue_enqueue_locked (self, g_steal_pointer (&sender->message));
      wake = fluid_message_queue_disarm_locked (self, &wake_data);
    }
  else
    {
      sender->waiting = TRUE;
      g_queue_push_tail_link (&self->senders, &sender->link);
      g_atomic_int_inc (&self->n_senders);
      fluid_mutex_unlock (&self->lock);
      return;
    }
  fluid_mutex_unlock (&self->lock);

  if (wake != NULL)
    wake (wake_data);
  if (error == NULL)
    fluid_message_queue_changed (self);
  fluid_sender_complete (sender, error);
}

guint
fluid_message_queue_get_max_size (FluidMessageQueue *self)
{
  guint max_size;

  fluid_mutex_lock (&self->lock);
  max_size = self->max_size;
  fluid_mutex_unlock (&self->lock);
  return max_size;
}

/* Sets the bound of try_push and send, 0 for none, letting in the senders
 * a larger one has room for. Returns whether it changed. Any thread. */
gboolean
fluid_message_queue_set_max_size (FluidMessageQueue *self,
                                  guint              max_size)
{
  gboolean changed;

  fluid_mutex_lock (&self->lock);
  changed = self->max_size != max_size;
  self->max_size = max_size;
  fluid_mutex_unlock (&self->lock);

  if (changed)
    fluid_message_queue_admit (self);
  return changed;
}

/* Takers */

/* Sets the function that wakes the reader, from the thread of the push,
 * once per arming (see fluid_message_queue_steal()). @user_data must live
 * as long as the queue. */
void
fluid_message_queue_set_reader (FluidMessageQueue     *self,
                                FluidMessageQueueFunc  wake,
                                gpointer               user_data)
{
  fluid_mutex_lock (&self->lock);
  self->reader_wake = wake;
  self->reader_data = user_data;
  self->reader_armed = FALSE;
  fluid_mutex_unlock (&self->lock);
}

/* Takes up to @max messages, and at most 1/@share of those queued (plus
 * one), in the order they are to be taken, to the end of @batch; tells
 * @tally, if any, under the same lock. The messages taken count as
 * queued until fluid_message_queue_start() is called for each, and as the
 * reader's until their outcome is told (fluid_message_queue_tally()) or
 * they are put back. As @arm says, the reader is woken when a message
 * arrives. @left, if any, receives how many are left to take. The
 * reader's thread. */
guint
fluid_message_queue_steal (FluidMessageQueue    *self,
                           guint                 max,
                           guint                 share,
                           FluidMessageQueueArm  arm,
                           FluidMessageTally    *tally,
                           FluidMessageList     *batch,
                           guint                *left)
{
  FluidMessageList taken = FLUID_MESSAGE_LIST_INIT;
  gboolean told;
  guint n;

  fluid_mutex_lock (&self->lock);
  told = fluid_message_queue_tally_locked (self, tally);
  n = fluid_message_queue_take_locked (self, MIN (max, self->length / MAX (share, 1) + 1), &taken);
  self->out += n;
  g_atomic_int_add (&self->lent, (int) n);
  if (!self->closed && ((arm == FLUID_MESSAGE_QUEUE_ARM_IF_NONE && n == 0) ||
                        (arm == FLUID_MESSAGE_QUEUE_ARM_IF_EMPTY && self->length == 0)))
    self->reader_armed = TRUE;
  if (left != NULL)
    *left = self->closed ? 0 : MIN (self->length, self->limit);
  fluid_mutex_unlock (&self->lock);

  fluid_message_list_append_list (batch, &taken);
  if (told)
    fluid_message_queue_changed (self);
  return n;
}

/* The reader starts @n messages of a batch, or drops them without running
 * them: they no longer count as queued. A pump starts its messages one at
 * a time; a thread, a whole share as it takes it, rather than write to one
 * cache line the other threads write to for every message. The reader's
 * thread, without the lock. */
void
fluid_message_queue_start (FluidMessageQueue *self,
                           guint              n)
{
  g_atomic_int_add (&self->lent, -(int) n);
  /* What the size going down wakes: rarely anything; a watcher already
   * told of a change is not told again before it reads the counters. */
  if (G_UNLIKELY ((g_atomic_int_get (&self->watched) && !g_atomic_int_get (&self->changed)) ||
                  g_atomic_int_get (&self->n_senders)))
    fluid_message_queue_size_changed (self);
}

/* Whether a message queued now runs before one of @priority: the reader
 * then puts its batch back, and takes again. Never once a stop limits the
 * taking. An atomic read. */
gboolean
fluid_message_queue_preempts (FluidMessageQueue *self,
                              int                priority)
{
  return g_atomic_int_get (&self->head_priority) < priority;
}

/* Whether a stop wants the messages the reader took and has not started
 * back (fluid_message_queue_stop_taking() without drain, or the close).
 * An atomic read. */
gboolean
fluid_message_queue_recalled (FluidMessageQueue *self)
{
  return g_atomic_int_get (&self->recalled);
}

/* Puts the messages of @batch, taken and not run, back in front of their
 * lanes, in order, and tells @tally; a closed queue counts them as
 * discarded, and frees them. @started: whether they were started (see
 * fluid_message_queue_start()). The reader's thread. */
void
fluid_message_queue_put_back (FluidMessageQueue *self,
                              FluidMessageList  *batch,
                              gboolean           started,
                              FluidMessageTally *tally)
{
  FluidMessageList dropped = FLUID_MESSAGE_LIST_INIT;
  FluidMessageQueueFunc wake = NULL;
  gpointer wake_data = NULL;
  guint n = batch->length;

  fluid_mutex_lock (&self->lock);
  fluid_message_queue_tally_locked (self, tally);
  self->out -= MIN (n, self->out);
  if (self->closed)
    {
      if (!self->owner_counts)
        self->discarded += n;
      dropped = fluid_message_list_steal (batch);
    }
  else
    {
      /* From the last, each to the front of its lane. */
      while (batch->tail != NULL)
        {
          FluidMessage *message = batch->tail;
          FluidLane *lane = fluid_message_queue_lane_locked (self, message->priority, TRUE);

          fluid_message_list_unlink (batch, message);
          message->epoch = lane->epoch;
          fluid_message_list_push_head (&lane->messages, message);
        }
      self->length += n;
      if (!started)
        g_atomic_int_add (&self->lent, -(int) n);
      fluid_message_queue_tidy_locked (self);
      if (n > 0)
        wake = fluid_message_queue_disarm_locked (self, &wake_data);
    }
  fluid_mutex_unlock (&self->lock);

  fluid_message_list_free (&dropped);
  if (wake != NULL)
    wake (wake_data);
  fluid_message_queue_changed (self);
}

/* Tells how messages the reader took ended; zeroes @tally. Any thread. */
void
fluid_message_queue_tally (FluidMessageQueue *self,
                           FluidMessageTally *tally)
{
  gboolean told;

  if (tally->processed + tally->failed + tally->discarded + tally->cancelled == 0)
    return;

  fluid_mutex_lock (&self->lock);
  told = fluid_message_queue_tally_locked (self, tally);
  fluid_mutex_unlock (&self->lock);

  if (told)
    fluid_message_queue_changed (self);
}

/* Whether a steal would take a message now. Any thread. */
gboolean
fluid_message_queue_can_take (FluidMessageQueue *self)
{
  gboolean can_take;

  fluid_mutex_lock (&self->lock);
  can_take = !self->closed && self->limit > 0 && self->length > 0;
  fluid_mutex_unlock (&self->lock);
  return can_take;
}

/* The owner */

/* Takes @message out of the queue if it is still queued there (not taken,
 * not put back elsewhere): then it is the caller's, counted nowhere, and
 * TRUE. O(1) for the default priority, O(log lanes) otherwise. Any
 * thread. */
gboolean
fluid_message_queue_remove (FluidMessageQueue *self,
                            FluidMessage      *message)
{
  FluidLane *lane;
  gboolean removed = FALSE;

  fluid_mutex_lock (&self->lock);
  lane = self->closed ? NULL : fluid_message_queue_lane_locked (self, message->priority, FALSE);
  if (lane != NULL && message->epoch == lane->epoch)
    {
      fluid_message_list_unlink (&lane->messages, message);
      message->epoch = 0;
      self->length--;
      fluid_message_queue_tidy_locked (self);
      removed = TRUE;
    }
  fluid_mutex_unlock (&self->lock);

  if (removed)
    fluid_message_queue_size_changed (self);
  return removed;
}

/* Calls @func for each queued message, in the order they will be taken,
 * under the lock. The messages the reader has taken are not queued. Any
 * thread. */
void
fluid_message_queue_foreach (FluidMessageQueue            *self,
                             FluidMessageQueueForeachFunc  func,
                             gpointer                      user_data)
{
  fluid_mutex_lock (&self->lock);
  for (guint i = 0; i < self->lanes->len; i++)
    {
      FluidLane *lane = g_ptr_array_index (self->lanes, i);

      for (FluidMessage *message = lane->messages.head; message != NULL; message = message->next)
        func (message, user_data);
    }
  fluid_mutex_unlock (&self->lock);
}

static guint
fluid_message_queue_size_locked (FluidMessageQueue *self)
{
  if (self->closed)
    return 0;
  return self->length + (guint) MAX (g_atomic_int_get (&self->lent), 0);
}

/* The messages queued, those taken in a batch and not started included.
 * Any thread. */
guint
fluid_message_queue_get_size (FluidMessageQueue *self)
{
  guint size;

  fluid_mutex_lock (&self->lock);
  size = fluid_message_queue_size_locked (self);
  fluid_mutex_unlock (&self->lock);
  return size;
}

guint64
fluid_message_queue_get_discarded (FluidMessageQueue *self)
{
  guint64 discarded;

  fluid_mutex_lock (&self->lock);
  discarded = self->discarded;
  fluid_mutex_unlock (&self->lock);
  return discarded;
}

/* Whether nothing is queued and the reader holds nothing whose outcome is
 * untold: for the watchdog, a consumer waiting rather than starved. */
gboolean
fluid_message_queue_is_idle (FluidMessageQueue *self)
{
  gboolean idle;

  fluid_mutex_lock (&self->lock);
  idle = self->length == 0 && self->out == 0;
  fluid_mutex_unlock (&self->lock);
  return idle;
}

void
fluid_message_queue_read_counters (FluidMessageQueue    *self,
                                   FluidMessageCounters *counters)
{
  fluid_mutex_lock (&self->lock);
  counters->size = fluid_message_queue_size_locked (self);
  counters->processed = self->processed;
  counters->failed = self->failed;
  counters->discarded = self->discarded;
  counters->cancelled = self->cancelled;
  fluid_mutex_unlock (&self->lock);
}

/* The owner counts the outcome of every message itself from now on (see
 * the top of this file). Before any message is queued. */
void
fluid_message_queue_set_owner_counts (FluidMessageQueue *self)
{
  fluid_mutex_lock (&self->lock);
  self->owner_counts = TRUE;
  fluid_mutex_unlock (&self->lock);
}

/* The owner tells how messages ended: added to the counters, and the
 * watcher told. Any thread. */
void
fluid_message_queue_count (FluidMessageQueue       *self,
                           const FluidMessageTally *outcomes)
{
  fluid_mutex_lock (&self->lock);
  self->processed += outcomes->processed;
  self->failed += outcomes->failed;
  self->discarded += outcomes->discarded;
  self->cancelled += outcomes->cancelled;
  fluid_mutex_unlock (&self->lock);

  fluid_message_queue_changed (self);
}

/* Whether the counters are watched; the next change tells the watcher. */
void
fluid_message_queue_watch (FluidMessageQueue *self,
                           gboolean           watched)
{
  g_atomic_int_set (&self->changed, FALSE);
  g_atomic_int_set (&self->watched, watched);
}

/* The watcher is told again of the next change. It calls this before it
 * reads the counters: a change made while it reads them tells it again. */
void
fluid_message_queue_counters_seen (FluidMessageQueue *self)
{
  g_atomic_int_set (&self->changed, FALSE);
}

typedef struct
{
  FluidPending  pending;    /* first; pending->data is the queue */
  /* What it completes with: set just before, or at a stop (see
   * fluid_message_queue_stop_taking()). */
  FluidMessage *message;
} FluidGetter;

/* A graceful stop: from now on, as many messages as are queued now may be
 * taken when @drain is set (in the order of the lanes: one of a higher
 * priority queued meanwhile goes first), then none. Without it, none, but that the getters
 * waiting now take one each of those queued now, as a receiver that was
 * waiting has it already (they complete when next served), and the
 * messages the reader took and has not started are recalled. The
 * getters' thread. */
void
fluid_message_queue_stop_taking (FluidMessageQueue *self,
                                 gboolean           drain)
{
  guint handed = 0;

  fluid_mutex_lock (&self->lock);
  if (drain)
    self->limit = MIN (self->limit, self->length);
  else
    {
      for (GList *l = self->getters.head; l != NULL; l = l->next)
        {
          FluidGetter *getter = l->data;
          FluidMessageList one = FLUID_MESSAGE_LIST_INIT;

          if (getter->message != NULL)
            continue;
          if (fluid_message_queue_take_locked (self, 1, &one) == 0)
            break;
          getter->message = one.head;
          handed++;
        }
      self->limit = 0;
      g_atomic_int_set (&self->recalled, TRUE);
    }
  self->reader_armed = FALSE;
  fluid_message_queue_tidy_locked (self);
  fluid_mutex_unlock (&self->lock);

  if (handed > 0)
    fluid_message_queue_size_changed (self);
}

/* Closes the queue: whatever is queued is counted as discarded, under the
 * same lock, and returned for the caller to free; from now on a push is
 * discarded, nothing is taken, and the size is 0. The waiting senders
 * fail with a copy of @error, as later ones will; their messages were not
 * taken, and are not counted. Any thread; once. */
FluidMessageList
fluid_message_queue_close (FluidMessageQueue *self,
                           const GError      *error)
{
  FluidMessageList dropped = FLUID_MESSAGE_LIST_INIT;
  GQueue senders;

  fluid_mutex_lock (&self->lock);
  if (self->closed)
    {
      fluid_mutex_unlock (&self->lock);
      g_return_val_if_reached (dropped);
    }
  for (guint i = 0; i < self->lanes->len; i++)
    {
      FluidLane *lane = g_ptr_array_index (self->lanes, i);

      fluid_message_list_append_list (&dropped, &lane->messages);
      lane->epoch = ++self->epochs;
    }
  fluid_message_queue_tidy_locked (self);
  self->closed = TRUE;
  self->close_error = g_error_copy (error);
  if (!self->owner_counts)
    self->discarded += dropped.length;
  self->length = 0;
  self->out = 0;
  self->limit = 0;
  g_atomic_int_set (&self->lent, 0);
  g_atomic_int_set (&self->recalled, TRUE);
  self->reader_armed = FALSE;
  senders = self->senders;
  g_queue_init (&self->senders);
  for (GList *l = senders.head; l != NULL; l = l->next)
    ((FluidSender *) l->data)->waiting = FALSE;
  g_atomic_int_set (&self->n_senders, 0);
  fluid_mutex_unlock (&self->lock);

  while (senders.head != NULL)
    fluid_sender_complete (g_queue_pop_head_link (&senders)->data, g_error_copy (error));
  fluid_message_queue_changed (self);
  return dropped;
}

gboolean
fluid_message_queue_is_closed (FluidMessageQueue *self)
{
  gboolean closed;

  fluid_mutex_lock (&self->lock);
  closed = self->closed;
  fluid_mutex_unlock (&self->lock);
  return closed;
}

/* Getters */

static void
fluid_boxed_value_free (gpointer data)
{
  g_boxed_free (G_TYPE_VALUE, data);
}

static void
fluid_getter_complete (FluidPending *pending,
                       gboolean      value,
                       GError       *error)
{
  FluidGetter *getter = (FluidGetter *) pending;
  FluidMessageQueue *self = pending->data;

  if (error != NULL)
    {
      /* A cancelled call drops the message it was handed. */
      if (getter->message != NULL)
        {
          FluidMessageTally tally = { 0, 0, 1, 0 };

          fluid_message_queue_tally (self, &tally);
          fluid_message_free (g_steal_pointer (&getter->message));
        }
      g_task_return_error (pending->task, error);
    }
  else
    g_task_return_pointer (pending->task,
                           getter->message != NULL ? fluid_message_free_to_value (getter->message) : NULL,
                           fluid_boxed_value_free);
}

/* What a getter gets now: a message, or NULL with *wait set when it is to
 * wait for one (the reader's wake-up is then armed), or NULL with *wait
 * unset when no message may be taken any more. */
static FluidMessage *
fluid_message_queue_take_for_getter (FluidMessageQueue *self,
                                     gboolean          *wait)
{
  FluidMessageList one = FLUID_MESSAGE_LIST_INIT;

  fluid_mutex_lock (&self->lock);
  fluid_message_queue_take_locked (self, 1, &one);
  *wait = one.head == NULL && !self->closed && self->limit == G_MAXUINT;
  if (*wait)
    self->reader_armed = TRUE;
  fluid_mutex_unlock (&self->lock);

  if (one.head != NULL)
    fluid_message_queue_size_changed (self);
  return one.head;
}

/* Waits up to @timeout seconds (negative: without limit) for a message
 * and completes @task (taken) with a GValue (to free with g_boxed_free()),
 * or NULL on timeout and when no message may be taken any more; or with
 * G_IO_ERROR_CANCELLED. Earlier calls are served first. On the reader's
 * context, which @task's is. */
void
fluid_message_queue_get (FluidMessageQueue *self,
                         GTask             *task,
                         double             timeout)
{
  GMainContext *context = g_task_get_context (task);
  FluidGetter *getter;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  if (self->getters.length == 0)
    {
      gboolean wait;
      FluidMessage *message = fluid_message_queue_take_for_getter (self, &wait);

      if (!wait || timeout == 0)
        {
          g_task_return_pointer (task, message != NULL ? fluid_message_free_to_value (message) : NULL,
                                 fluid_boxed_value_free);
          g_object_unref (task);
          return;
        }
    }
  else if (timeout == 0)
    {
      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
      return;
    }

  getter = (FluidGetter *) fluid_pending_add (&self->getters, sizeof (FluidGetter), task,
                                              g_task_get_cancellable (task), context,
                                              fluid_getter_complete, self);
  if (timeout > 0)
    {
      FluidClock *clock = fluid_clock_get (context);

      /* The armed timer holds the clock. */
      fluid_pending_arm (&getter->pending, clock, fluid_deadline_in (timeout), FALSE);
      fluid_clock_unref (clock);
    }
}

/* Serves the waiting getters, in order, with the messages that may be
 * taken; with NULL once none may be. Returns how many got a message. The
 * getters' thread. */
guint
fluid_message_queue_serve_getters (FluidMessageQueue *self)
{
  guint served = 0;

  while (self->getters.head != NULL)
    {
      FluidGetter *getter = self->getters.head->data;

      if (getter->message == NULL)
        {
          gboolean wait;
          FluidMessage *message = fluid_message_queue_take_for_getter (self, &wait);

          if (wait)
            break;
          getter->message = message;
        }
      if (getter->message != NULL)
        served++;
      fluid_pending_complete (&getter->pending, TRUE, NULL);
    }
  return served;
}

gboolean
fluid_message_queue_has_getters (FluidMessageQueue *self)
{
  return self->getters.length > 0;
}
