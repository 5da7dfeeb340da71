/* fluid-async-dispatcher.h: a dispatcher of asynchronous handlers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <gio/gio.h>

#include <fluid/fluid-base-dispatcher.h>

G_BEGIN_DECLS

/**
 * FLUID_TYPE_ASYNC_DISPATCHER:
 *
 * The #GType of #FluidAsyncDispatcher.
 *
 * Since: 1.0
 */
#define FLUID_TYPE_ASYNC_DISPATCHER (fluid_async_dispatcher_get_type ())

/**
 * FluidAsyncDispatcher:
 *
 * A dispatcher whose handlers complete asynchronously; its fields are private.
 *
 * Since: 1.0
 */
FLUID_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (FluidAsyncDispatcher, fluid_async_dispatcher,
                          FLUID, ASYNC_DISPATCHER, FluidBaseDispatcher)

/**
 * FluidAsyncHandlerFunc:
 * @message: the message, valid until @task completes
 * @task: the task to complete, now or later, with
 *   g_task_return_boolean() (%TRUE) or g_task_return_error(); take a
 *   reference on it to complete it later
 * @user_data: the data given with the handler
 *
 * An asynchronous handler of a #FluidAsyncDispatcher.
 *
 * Since: 1.0
 */
typedef void (* FluidAsyncHandlerFunc) (const GValue *message,
                                        GTask        *task,
                                        gpointer      user_data);

/**
 * FluidAsyncDispatcherClass:
 * @parent_class: the parent class; its `event_type` virtual method maps a
 *   message to its event type
 *
 * The class structure of #FluidAsyncDispatcher.
 *
 * Since: 1.0
 */
struct _FluidAsyncDispatcherClass
{
  FluidBaseDispatcherClass parent_class;

  /*< private >*/
  gpointer padding[8];
};

FLUID_AVAILABLE_IN_1_0
FluidAsyncDispatcher *fluid_async_dispatcher_new              (FluidEventTypeFunc      func,
                                                               gpointer                user_data,
                                                               GDestroyNotify          destroy) G_GNUC_WARN_UNUSED_RESULT;
FLUID_AVAILABLE_IN_1_0
gboolean              fluid_async_dispatcher_register_handler (FluidAsyncDispatcher   *self,
                                                               const char             *event,
                                                               FluidAsyncHandlerFunc   func,
                                                               gpointer                user_data,
                                                               GDestroyNotify          destroy);
FLUID_AVAILABLE_IN_1_0
void                  fluid_async_dispatcher_dispatch_async   (FluidAsyncDispatcher   *self,
                                                               const GValue           *message,
                                                               GCancellable           *cancellable,
                                                               GAsyncReadyCallback     callback,
                                                               gpointer                user_data);
FLUID_AVAILABLE_IN_1_0
guint                 fluid_async_dispatcher_dispatch_finish  (FluidAsyncDispatcher   *self,
                                                               GAsyncResult           *result,
                                                               GError                **error);

G_END_DECLS
