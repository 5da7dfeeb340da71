/* test-dispatcher-reentrancy.c: FluidDispatcher and FluidAsyncDispatcher
 * called back by their own handlers and destroy notifies
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-dispatcher-common.h"

/* Re-entrancy: user code (destroy notifies, handlers) may call back into the
 * dispatcher; it never runs while the handler table is half-changed. */

typedef enum
{
  HOOK_NOTHING,
  HOOK_UNREGISTER,
  HOOK_REGISTER,
  HOOK_DISPATCH,
  HOOK_COUNT,
} HookAction;

typedef struct
{
  GString         *log;
  const char      *name;
  FluidDispatcher *dispatcher;
  HookAction       on_call;
  HookAction       on_destroy;
  const char      *event;
  guint            count;
} Hook;

static void hook_handler (const GValue *message,
                          gpointer      user_data);
static void hook_destroy (gpointer      user_data);

static Hook *
hook_new (GString         *log,
          const char      *name,
          FluidDispatcher *dispatcher)
{
  Hook *hook = g_new0 (Hook, 1);

  hook->log = log;
  hook->name = name;
  hook->dispatcher = dispatcher;
  return hook;
}

static gboolean
hook_register (Hook       *hook,
               const char *event)
{
  return fluid_dispatcher_register_handler (hook->dispatcher, event, hook_handler,
                                            hook, hook_destroy);
}

/* Does @action on @hook's event; @from tells who does it, for the log. */
static void
hook_act (Hook       *hook,
          HookAction  action,
          const char *from)
{
  switch (action)
    {
    case HOOK_NOTHING:
      break;
    case HOOK_UNREGISTER:
      g_string_append_printf (hook->log, "%s %s unregisters %s:%d;", from, hook->name,
                              hook->event,
                              fluid_dispatcher_unregister_handler (hook->dispatcher, hook->event));
      break;
    case HOOK_REGISTER:
      g_string_append_printf (hook->log, "%s %s registers %s;", from, hook->name, hook->event);
      hook_register (hook_new (hook->log, "late", hook->dispatcher), hook->event);
      break;
    case HOOK_DISPATCH:
      {
        g_auto(GValue) message = G_VALUE_INIT;

        g_string_append_printf (hook->log, "%s %s dispatches %s;", from, hook->name, hook->event);
        set_string (&message, hook->event);
        g_string_append_printf (hook->log, "dispatched %u;",
                                fluid_dispatcher_dispatch (hook->dispatcher, &message));
      }
      break;
    case HOOK_COUNT:
      g_string_append_printf (hook->log, "%s %s counts %s:%u;", from, hook->name, hook->event,
                              fluid_dispatcher_get_n_handlers (hook->dispatcher, hook->event));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
hook_handler (const GValue *message,
              gpointer      user_data)
{
  Hook *hook = user_data;

  g_string_append_printf (hook->log, "%s:%s;", hook->name, g_value_get_string (message));
  hook->count++;
  hook_act (hook, hook->on_call, "handler");
  /* The hook is still valid after what it did. */
  g_string_append_printf (hook->log, "%s done %u;", hook->name, hook->count);
}

static void
hook_destroy (gpointer user_data)
{
  Hook *hook = user_data;

  g_string_append_printf (hook->log, "destroy %s;", hook->name);
  hook_act (hook, hook->on_destroy, "destroy");
  g_free (hook);
}

static guint
dispatch_string (FluidDispatcher *dispatcher,
                 const char      *text)
{
  g_auto(GValue) message = G_VALUE_INIT;

  set_string (&message, text);
  return fluid_dispatcher_dispatch (dispatcher, &message);
}

/* Replacing a handler whose destroy notify unregisters the same event: the
 * replacement is in the table when the notify runs, and is what it
 * unregisters. */
static void
test_dispatcher_destroy_unregisters_on_replace (void)
{
  FluidDispatcher *dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  Hook *first = hook_new (log, "first", dispatcher);

  first->on_destroy = HOOK_UNREGISTER;
  first->event = "a";
  g_assert_false (hook_register (first, "a"));
  g_assert_true (hook_register (hook_new (log, "second", dispatcher), "a"));
  g_assert_cmpstr (log->str, ==, "destroy first;destroy second;destroy first unregisters a:1;");
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "a"), ==, 0);
  g_assert_cmpuint (dispatch_string (dispatcher, "a"), ==, 0);

  /* With a tag, among other handlers of the type. */
  g_string_truncate (log, 0);
  hook_register (hook_new (log, "plain", dispatcher), "b");
  first = hook_new (log, "first", dispatcher);
  first->on_destroy = HOOK_UNREGISTER;
  first->event = "b.t";
  hook_register (first, "b.t");
  hook_register (hook_new (log, "after", dispatcher), "b.u");
  g_assert_true (hook_register (hook_new (log, "second", dispatcher), "b.t"));
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "b"), ==, 2);
  g_assert_cmpuint (dispatch_string (dispatcher, "b"), ==, 2);
  g_assert_cmpstr (log->str, ==,
                   "destroy first;destroy second;destroy first unregisters b.t:1;"
                   "plain:b;plain done 1;after:b;after done 1;");

  g_string_truncate (log, 0);
  g_object_unref (dispatcher);
  g_assert_cmpstr (log->str, ==, "destroy plain;destroy after;");
}

/* A destroy notify that registers a new handler for the same event, when
 * its handler is replaced or unregistered. */
static void
test_dispatcher_destroy_registers (void)
{
  FluidDispatcher *dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  Hook *first = hook_new (log, "first", dispatcher);

  first->on_destroy = HOOK_REGISTER;
  first->event = "a";
  hook_register (first, "a");
  g_assert_true (hook_register (hook_new (log, "second", dispatcher), "a"));
  /* The late handler replaced the second. */
  g_assert_cmpstr (log->str, ==, "destroy first;destroy first registers a;destroy second;");
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "a"), ==, 1);
  g_assert_cmpuint (dispatch_string (dispatcher, "a"), ==, 1);
  g_assert_cmpstr (log->str, ==,
                   "destroy first;destroy first registers a;destroy second;late:a;late done 1;");

  g_string_truncate (log, 0);
  first = hook_new (log, "first", dispatcher);
  first->on_destroy = HOOK_REGISTER;
  first->event = "b";
  hook_register (first, "b");
  g_assert_true (fluid_dispatcher_unregister_handler (dispatcher, "b"));
  g_assert_cmpstr (log->str, ==, "destroy first;destroy first registers b;");
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "b"), ==, 1);

  g_string_truncate (log, 0);
  g_object_unref (dispatcher);
  g_assert_cmpstr (log->str, ==, "destroy late;destroy late;");
}

/* Handlers that unregister themselves, or other handlers, during a
 * dispatch: every handler registered when the dispatch began is called,
 * with its data still valid, and is freed once the dispatch is over. */
static void
test_dispatcher_unregister_during_dispatch (void)
{
  /* Freed after the dispatcher, whose destroy notifies write to it. */
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(FluidDispatcher) dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  Hook *self_remover = hook_new (log, "self", dispatcher);
  Hook *other_remover = hook_new (log, "other", dispatcher);

  self_remover->on_call = HOOK_UNREGISTER;
  self_remover->event = "a";
  hook_register (self_remover, "a");
  other_remover->on_call = HOOK_UNREGISTER;
  other_remover->event = "a.victim";
  hook_register (other_remover, "a.other");
  hook_register (hook_new (log, "victim", dispatcher), "a.victim");

  g_assert_cmpuint (dispatch_string (dispatcher, "a"), ==, 3);
  g_assert_cmpstr (log->str, ==,
                   "self:a;handler self unregisters a:1;self done 1;"
                   "other:a;handler other unregisters a.victim:1;other done 1;"
                   "victim:a;victim done 1;"
                   "destroy self;destroy victim;");
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "a"), ==, 1);

  /* A handler registered during a dispatch is not called by it; one
   * replaced during it is, and its replacement is not. */
  g_string_truncate (log, 0);
  other_remover->on_call = HOOK_REGISTER;
  other_remover->event = "a.other";
  g_assert_cmpuint (dispatch_string (dispatcher, "a"), ==, 1);
  g_assert_cmpstr (log->str, ==,
                   "other:a;handler other registers a.other;other done 2;destroy other;");
  g_string_truncate (log, 0);
  g_assert_cmpuint (dispatch_string (dispatcher, "a"), ==, 1);
  g_assert_cmpstr (log->str, ==, "late:a;late done 1;");
}

/* A handler that dispatches again, on the same dispatcher. */
static void
test_dispatcher_reentrant_dispatch (void)
{
  /* Freed after the dispatcher, whose destroy notifies write to it. */
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(FluidDispatcher) dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  Hook *outer = hook_new (log, "outer", dispatcher);
  Hook *inner = hook_new (log, "inner", dispatcher);

  outer->on_call = HOOK_DISPATCH;
  outer->event = "b";
  hook_register (outer, "a");
  inner->on_call = HOOK_UNREGISTER;
  inner->event = "a";
  hook_register (inner, "b");
  hook_register (hook_new (log, "last", dispatcher), "a.last");

  g_assert_cmpuint (dispatch_string (dispatcher, "a"), ==, 2);
  g_assert_cmpstr (log->str, ==,
                   "outer:a;handler outer dispatches b;"
                   "inner:b;handler inner unregisters a:1;inner done 1;dispatched 1;"
                   "outer done 1;last:a;last done 1;destroy outer;");
  g_assert_cmpuint (fluid_dispatcher_get_n_handlers (dispatcher, "a"), ==, 1);
}

/* Dropping the last reference to a dispatcher: destroy notifies see an
 * empty, usable dispatcher, and what they register is freed too. */
static void
test_dispatcher_finalize_reentrant (void)
{
  FluidDispatcher *dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  Hook *counter = hook_new (log, "counter", dispatcher);
  Hook *registrar = hook_new (log, "registrar", dispatcher);

  counter->on_destroy = HOOK_COUNT;
  counter->event = "b";
  hook_register (counter, "a");
  registrar->on_destroy = HOOK_REGISTER;
  registrar->event = "c";
  hook_register (registrar, "b");

  g_object_unref (dispatcher);
  g_assert_true (g_str_has_prefix (log->str, "destroy "));
  g_assert_nonnull (strstr (log->str, "destroy counter;destroy counter counts b:0;"));
  g_assert_nonnull (strstr (log->str, "destroy registrar;destroy registrar registers c;"));
  g_assert_true (g_str_has_suffix (log->str, "destroy late;"));
}

static void
unref_destroy (gpointer user_data)
{
  g_object_unref (user_data);
}

static void
noop_handler (const GValue *message,
              gpointer      user_data)
{
}

/* A destroy notify that drops the last reference to the dispatcher, when
 * its handler is unregistered or replaced. */
static void
test_dispatcher_destroy_finalizes (void)
{
  FluidDispatcher *dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  GWeakRef weak;

  g_weak_ref_init (&weak, dispatcher);
  fluid_dispatcher_register_handler (dispatcher, "a", noop_handler, dispatcher, unref_destroy);
  hook_register (hook_new (log, "other", dispatcher), "b");
  /* Only the handler keeps the dispatcher now. */
  g_assert_true (fluid_dispatcher_unregister_handler (dispatcher, "a"));
  g_assert_null (g_weak_ref_get (&weak));
  g_assert_cmpstr (log->str, ==, "destroy other;");

  dispatcher = fluid_dispatcher_new (NULL, NULL, NULL);
  g_weak_ref_set (&weak, dispatcher);
  fluid_dispatcher_register_handler (dispatcher, "a", noop_handler, dispatcher, unref_destroy);
  g_assert_true (hook_register (hook_new (log, "replacement", dispatcher), "a"));
  g_assert_null (g_weak_ref_get (&weak));
  g_assert_cmpstr (log->str, ==, "destroy other;destroy replacement;");
  g_weak_ref_clear (&weak);
}

/* The same, with asynchronous handlers. */

typedef struct
{
  GString              *log;
  const char           *name;
  FluidAsyncDispatcher *dispatcher;
  HookAction            on_call;
  HookAction            on_destroy;
  const char           *event;
  gboolean              later;
  guint                 count;
} AsyncHook;

typedef struct
{
  AsyncHook *hook;
  GTask     *task;
} AsyncHookCall;

static void async_hook_handler (const GValue *message,
                                GTask        *task,
                                gpointer      user_data);
static void async_hook_destroy (gpointer      user_data);

static AsyncHook *
async_hook_new (GString              *log,
                const char           *name,
                FluidAsyncDispatcher *dispatcher)
{
  AsyncHook *hook = g_new0 (AsyncHook, 1);

  hook->log = log;
  hook->name = name;
  hook->dispatcher = dispatcher;
  return hook;
}

static gboolean
async_hook_register (AsyncHook  *hook,
                     const char *event)
{
  return fluid_async_dispatcher_register_handler (hook->dispatcher, event, async_hook_handler,
                                                  hook, async_hook_destroy);
}

static gboolean
async_unregister (FluidAsyncDispatcher *dispatcher,
                  const char           *event)
{
  return fluid_base_dispatcher_unregister_handler (FLUID_BASE_DISPATCHER (dispatcher), event);
}

static guint
async_n_handlers (FluidAsyncDispatcher *dispatcher,
                  const char           *event)
{
  return fluid_base_dispatcher_get_n_handlers (FLUID_BASE_DISPATCHER (dispatcher), event);
}

static void
async_hook_complete (AsyncHook *hook,
                     GTask     *task)
{
  /* The hook is still valid when its task completes. */
  g_string_append_printf (hook->log, "%s done %u;", hook->name, hook->count);
  g_task_return_boolean (task, TRUE);
}

static gboolean
async_hook_complete_cb (gpointer user_data)
{
  AsyncHookCall *call = user_data;

  async_hook_complete (call->hook, call->task);
  g_object_unref (call->task);
  g_free (call);
  return G_SOURCE_REMOVE;
}

static void
async_hook_dispatched_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  AsyncHookCall *call = user_data;
  g_autoptr(GError) error = NULL;
  guint count;

  count = fluid_async_dispatcher_dispatch_finish (FLUID_ASYNC_DISPATCHER (source), result, &error);
  g_assert_no_error (error);
  g_string_append_printf (call->hook->log, "dispatched %u;", count);
  async_hook_complete_cb (call);
}

static void
async_hook_act (AsyncHook  *hook,
                HookAction  action,
                const char *from,
                GTask      *task)
{
  switch (action)
    {
    case HOOK_NOTHING:
      break;
    case HOOK_UNREGISTER:
      g_string_append_printf (hook->log, "%s %s unregisters %s:%d;", from, hook->name,
                              hook->event, async_unregister (hook->dispatcher, hook->event));
      break;
    case HOOK_REGISTER:
      g_string_append_printf (hook->log, "%s %s registers %s;", from, hook->name, hook->event);
      async_hook_register (async_hook_new (hook->log, "late", hook->dispatcher), hook->event);
      break;
    case HOOK_DISPATCH:
      {
        g_auto(GValue) message = G_VALUE_INIT;
        AsyncHookCall *call = g_new0 (AsyncHookCall, 1);

        /* The handler completes when this dispatch does. */
        g_string_append_printf (hook->log, "%s %s dispatches %s;", from, hook->name, hook->event);
        call->hook = hook;
        call->task = g_object_ref (task);
        set_string (&message, hook->event);
        fluid_async_dispatcher_dispatch_async (hook->dispatcher, &message, NULL,
                                               async_hook_dispatched_cb, call);
      }
      break;
    case HOOK_COUNT:
      g_string_append_printf (hook->log, "%s %s counts %s:%u;", from, hook->name, hook->event,
                              async_n_handlers (hook->dispatcher, hook->event));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
async_hook_handler (const GValue *message,
                    GTask        *task,
                    gpointer      user_data)
{
  AsyncHook *hook = user_data;

  g_string_append_printf (hook->log, "%s:%s;", hook->name, g_value_get_string (message));
  hook->count++;
  async_hook_act (hook, hook->on_call, "handler", task);
  if (hook->on_call == HOOK_DISPATCH)
    return;
  if (hook->later)
    {
      AsyncHookCall *call = g_new0 (AsyncHookCall, 1);

      call->hook = hook;
      call->task = g_object_ref (task);
      g_idle_add (async_hook_complete_cb, call);
    }
  else
    {
      async_hook_complete (hook, task);
    }
}

static void
async_hook_destroy (gpointer user_data)
{
  AsyncHook *hook = user_data;

  g_string_append_printf (hook->log, "destroy %s;", hook->name);
  async_hook_act (hook, hook->on_destroy, "destroy", NULL);
  g_free (hook);
}

/* Asserts that @log has @first, then @second. */
static void
assert_in_order (GString    *log,
                 const char *first,
                 const char *second)
{
  const char *at_first = strstr (log->str, first);
  const char *at_second = strstr (log->str, second);

  if (at_first == NULL || at_second == NULL || at_first >= at_second)
    g_error ("expected “%s” before “%s” in “%s”", first, second, log->str);
}

static void
test_async_dispatcher_destroy_unregisters_on_replace (void)
{
  FluidAsyncDispatcher *dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  AsyncHook *first = async_hook_new (log, "first", dispatcher);

  first->on_destroy = HOOK_UNREGISTER;
  first->event = "a.t";
  async_hook_register (async_hook_new (log, "plain", dispatcher), "a");
  g_assert_false (async_hook_register (first, "a.t"));
  g_assert_true (async_hook_register (async_hook_new (log, "second", dispatcher), "a.t"));
  g_assert_cmpstr (log->str, ==, "destroy first;destroy second;destroy first unregisters a.t:1;");
  g_assert_cmpuint (async_n_handlers (dispatcher, "a"), ==, 1);
  g_string_truncate (log, 0);
  g_assert_cmpuint (dispatch_and_wait (dispatcher, "a", &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (log->str, ==, "plain:a;plain done 1;");

  g_string_truncate (log, 0);
  g_object_unref (dispatcher);
  g_assert_cmpstr (log->str, ==, "destroy plain;");
}

static void
test_async_dispatcher_destroy_registers (void)
{
  FluidAsyncDispatcher *dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  AsyncHook *first = async_hook_new (log, "first", dispatcher);

  first->on_destroy = HOOK_REGISTER;
  first->event = "a";
  async_hook_register (first, "a");
  g_assert_true (async_hook_register (async_hook_new (log, "second", dispatcher), "a"));
  g_assert_cmpstr (log->str, ==, "destroy first;destroy first registers a;destroy second;");
  g_assert_cmpuint (async_n_handlers (dispatcher, "a"), ==, 1);
  g_string_truncate (log, 0);
  g_assert_cmpuint (dispatch_and_wait (dispatcher, "a", &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (log->str, ==, "late:a;late done 1;");

  g_string_truncate (log, 0);
  first = async_hook_new (log, "first", dispatcher);
  first->on_destroy = HOOK_REGISTER;
  first->event = "b";
  async_hook_register (first, "b");
  g_assert_true (async_unregister (dispatcher, "b"));
  g_assert_cmpstr (log->str, ==, "destroy first;destroy first registers b;");
  g_assert_cmpuint (async_n_handlers (dispatcher, "b"), ==, 1);

  g_string_truncate (log, 0);
  g_object_unref (dispatcher);
  g_assert_cmpstr (log->str, ==, "destroy late;destroy late;");
}

/* Every handler registered when the dispatch began is started; the data of
 * a handler unregistered meanwhile is freed once its task has completed. */
static void
test_async_dispatcher_unregister_during_dispatch (void)
{
  /* Freed after the dispatcher, whose destroy notifies write to it. */
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  AsyncHook *self_remover = async_hook_new (log, "self", dispatcher);
  AsyncHook *other_remover = async_hook_new (log, "other", dispatcher);
  AsyncHook *victim = async_hook_new (log, "victim", dispatcher);

  self_remover->on_call = HOOK_UNREGISTER;
  self_remover->event = "a";
  self_remover->later = TRUE;
  async_hook_register (self_remover, "a");
  other_remover->on_call = HOOK_UNREGISTER;
  other_remover->event = "a.victim";
  async_hook_register (other_remover, "a.other");
  victim->later = TRUE;
  async_hook_register (victim, "a.victim");

  g_assert_cmpuint (dispatch_and_wait (dispatcher, "a", &error), ==, 3);
  g_assert_no_error (error);
  assert_in_order (log, "self:a;handler self unregisters a:1;", "other:a;");
  assert_in_order (log, "other:a;handler other unregisters a.victim:1;other done 1;", "victim:a;");
  assert_in_order (log, "self done 1;", "destroy self;");
  assert_in_order (log, "victim done 1;", "destroy victim;");
  g_assert_null (strstr (log->str, "destroy other;"));
  g_assert_cmpuint (async_n_handlers (dispatcher, "a"), ==, 1);

  /* A handler registered during a dispatch is not started by it. */
  g_string_truncate (log, 0);
  other_remover->on_call = HOOK_REGISTER;
  other_remover->event = "a.other";
  g_assert_cmpuint (dispatch_and_wait (dispatcher, "a", &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (log->str, ==,
                   "other:a;handler other registers a.other;other done 2;destroy other;");
  g_string_truncate (log, 0);
  g_assert_cmpuint (dispatch_and_wait (dispatcher, "a", &error), ==, 1);
  g_assert_cmpstr (log->str, ==, "late:a;late done 1;");
}

/* A handler that dispatches again on the same dispatcher, and completes
 * when that dispatch does. */
static void
test_async_dispatcher_reentrant_dispatch (void)
{
  /* Freed after the dispatcher, whose destroy notifies write to it. */
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(FluidAsyncDispatcher) dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  AsyncHook *outer = async_hook_new (log, "outer", dispatcher);
  AsyncHook *inner = async_hook_new (log, "inner", dispatcher);

  outer->on_call = HOOK_DISPATCH;
  outer->event = "b";
  async_hook_register (outer, "a");
  inner->on_call = HOOK_UNREGISTER;
  inner->event = "a";
  inner->later = TRUE;
  async_hook_register (inner, "b");

  g_assert_cmpuint (dispatch_and_wait (dispatcher, "a", &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (log->str, ==,
                   "outer:a;handler outer dispatches b;"
                   "inner:b;handler inner unregisters a:1;"
                   "inner done 1;dispatched 1;outer done 1;destroy outer;");
  g_assert_cmpuint (async_n_handlers (dispatcher, "a"), ==, 0);
}

static void
test_async_dispatcher_finalize_reentrant (void)
{
  FluidAsyncDispatcher *dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  AsyncHook *counter = async_hook_new (log, "counter", dispatcher);
  AsyncHook *registrar = async_hook_new (log, "registrar", dispatcher);

  counter->on_destroy = HOOK_COUNT;
  counter->event = "b";
  async_hook_register (counter, "a");
  registrar->on_destroy = HOOK_REGISTER;
  registrar->event = "c";
  async_hook_register (registrar, "b");

  g_object_unref (dispatcher);
  g_assert_nonnull (strstr (log->str, "destroy counter;destroy counter counts b:0;"));
  g_assert_nonnull (strstr (log->str, "destroy registrar;destroy registrar registers c;"));
  g_assert_true (g_str_has_suffix (log->str, "destroy late;"));
}

static void
noop_async_handler (const GValue *message,
                    GTask        *task,
                    gpointer      user_data)
{
  g_task_return_boolean (task, TRUE);
}

static void
test_async_dispatcher_destroy_finalizes (void)
{
  FluidAsyncDispatcher *dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  GWeakRef weak;

  g_weak_ref_init (&weak, dispatcher);
  fluid_async_dispatcher_register_handler (dispatcher, "a", noop_async_handler, dispatcher,
                                           unref_destroy);
  async_hook_register (async_hook_new (log, "other", dispatcher), "b");
  g_assert_true (async_unregister (dispatcher, "a"));
  g_assert_null (g_weak_ref_get (&weak));
  g_assert_cmpstr (log->str, ==, "destroy other;");

  dispatcher = fluid_async_dispatcher_new (NULL, NULL, NULL);
  g_weak_ref_set (&weak, dispatcher);
  fluid_async_dispatcher_register_handler (dispatcher, "a", noop_async_handler, dispatcher,
                                           unref_destroy);
  g_assert_true (async_hook_register (async_hook_new (log, "replacement", dispatcher), "a"));
  g_assert_null (g_weak_ref_get (&weak));
  g_assert_cmpstr (log->str, ==, "destroy other;destroy replacement;");
  g_weak_ref_clear (&weak);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dispatcher/destroy-unregisters-on-replace",
                   test_dispatcher_destroy_unregisters_on_replace);
  g_test_add_func ("/dispatcher/destroy-registers", test_dispatcher_destroy_registers);
  g_test_add_func ("/dispatcher/unregister-during-dispatch",
                   test_dispatcher_unregister_during_dispatch);
  g_test_add_func ("/dispatcher/reentrant-dispatch", test_dispatcher_reentrant_dispatch);
  g_test_add_func ("/dispatcher/finalize-reentrant", test_dispatcher_finalize_reentrant);
  g_test_add_func ("/dispatcher/destroy-finalizes", test_dispatcher_destroy_finalizes);
  g_test_add_func ("/async-dispatcher/destroy-unregisters-on-replace",
                   test_async_dispatcher_destroy_unregisters_on_replace);
  g_test_add_func ("/async-dispatcher/destroy-registers", test_async_dispatcher_destroy_registers);
  g_test_add_func ("/async-dispatcher/unregister-during-dispatch",
                   test_async_dispatcher_unregister_during_dispatch);
  g_test_add_func ("/async-dispatcher/reentrant-dispatch",
                   test_async_dispatcher_reentrant_dispatch);
  g_test_add_func ("/async-dispatcher/finalize-reentrant",
                   test_async_dispatcher_finalize_reentrant);
  g_test_add_func ("/async-dispatcher/destroy-finalizes",
                   test_async_dispatcher_destroy_finalizes);

  return g_test_run ();
}
