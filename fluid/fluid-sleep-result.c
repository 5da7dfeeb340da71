/* fluid-sleep-result.c: the GAsyncResult of a worker's sleep
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-sleep-result-private.h"

/* A worker that loops on fluid_worker_sleep_async() makes one result per
 * sleep. A GTask costs several times a plain GObject to make and to
 * complete (its context, its cancellation, its completion in idle
 * sources), and the worker already does what a GTask would: it completes
 * the sleep from a dispatch of the caller's context, never inside the call.
 * This result is only what GAsyncResult asks for: the source object, the
 * user data, a tag, and the outcome that fluid_worker_sleep_finish()
 * propagates. Made once the sleep is over, on that context's thread. */

struct _FluidSleepResult
{
  GObject   parent_instance;

  GObject  *source_object;
  gpointer  source_tag;
  gpointer  user_data;
  gboolean  value;
  GError   *error;
};

static void fluid_sleep_result_async_result_init (GAsyncResultIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FluidSleepResult, fluid_sleep_result, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT,
                                                      fluid_sleep_result_async_result_init))

static gpointer
fluid_sleep_result_get_user_data (GAsyncResult *result)
{
  return FLUID_SLEEP_RESULT (result)->user_data;
}

static GObject *
fluid_sleep_result_get_source_object (GAsyncResult *result)
{
  FluidSleepResult *self = FLUID_SLEEP_RESULT (result);

  return self->source_object != NULL ? g_object_ref (self->source_object) : NULL;
}

static gboolean
fluid_sleep_result_is_tagged (GAsyncResult *result,
                              gpointer      source_tag)
{
  return FLUID_SLEEP_RESULT (result)->source_tag == source_tag;
}

static void
fluid_sleep_result_async_result_init (GAsyncResultIface *iface)
{
  iface->get_user_data = fluid_sleep_result_get_user_data;
  iface->get_source_object = fluid_sleep_result_get_source_object;
  iface->is_tagged = fluid_sleep_result_is_tagged;
}

static void
fluid_sleep_result_finalize (GObject *object)
{
  FluidSleepResult *self = FLUID_SLEEP_RESULT (object);

  g_clear_object (&self->source_object);
  g_clear_error (&self->error);

  /* Not fluid_sleep_result_parent_class: results are finalized on any
   * worker's thread, and sanitizers do not see the type system's locks
   * that order that static's first write with them. */
  G_OBJECT_CLASS (g_type_class_peek (G_TYPE_OBJECT))->finalize (object);
}

static void
fluid_sleep_result_class_init (FluidSleepResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fluid_sleep_result_finalize;
}

static void
fluid_sleep_result_init (FluidSleepResult *self)
{
}

/* @error is taken. */
FluidSleepResult *
fluid_sleep_result_new (GObject  *source_object,
                        gpointer  source_tag,
                        gpointer  user_data,
                        gboolean  value,
                        GError   *error)
{
  FluidSleepResult *self = g_object_new (FLUID_TYPE_SLEEP_RESULT, NULL);

  self->source_object = g_object_ref (source_object);
  self->source_tag = source_tag;
  self->user_data = user_data;
  self->value = value;
  self->error = error;
  return self;
}

/* The outcome, once: a second call finds no error to give. */
gboolean
fluid_sleep_result_propagate (FluidSleepResult  *self,
                              GError           **error)
{
  if (self->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->error));
      return FALSE;
    }
  return self->value;
}
