/* fluid-dbus-jobs.c: the org.gnome.Fluid.Jobs1 interface of an exported
 * job worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-dbus.h"
#include "fluid-clock-private.h"
#include "fluid-dbus-jobs-private.h"
#include "fluid-dbus-skeleton-private.h"
#include "fluid-queue-consumer-private.h"
#include "fluid-worker-private.h"

/* The jobs of an exported FluidJobWorker: three counters read from the
 * worker when asked for, and emitted when they change as the consumer's
 * counters are (the worker's counters watch tells, this emits at most
 * every FLUID_DBUS_JOBS_INTERVAL what changed since its last emission),
 * and ListJobs(), read from the worker's list model. A node of the export
 * (fluid-dbus-node.c) makes one for a job worker, beside the worker's
 * and the consumer's interfaces.
 *
 * Threads: everything happens on the worker's context, the export's. */

#define FLUID_DBUS_JOBS_INTERVAL (G_USEC_PER_SEC / 10)

typedef struct
{
  guint   queued;
  guint   running;
  guint64 cancelled;
} FluidDBusJobsCounters;

typedef struct
{
  GDBusInterfaceSkeleton  parent_instance;
  FluidJobWorker         *worker;      /* a reference */
  gboolean                watching;
  FluidDBusJobsCounters   emitted;     /* as last emitted */
  FluidTimer              throttle;    /* armed while an emission waits */
  gint64                  last_emission;
} FluidDBusJobs;

typedef struct
{
  GDBusInterfaceSkeletonClass parent_class;
} FluidDBusJobsClass;

static GType fluid_dbus_jobs_get_type (void);

G_DEFINE_TYPE (FluidDBusJobs, fluid_dbus_jobs, G_TYPE_DBUS_INTERFACE_SKELETON)

#define FLUID_DBUS_JOBS(obj) ((FluidDBusJobs *) (obj))

static GDBusInterfaceInfo *
fluid_dbus_jobs_get_interface_info (void)
{
  static GDBusInterfaceInfo *info;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      info = fluid_dbus_load_interface_info ("/org/gnome/Fluid/dbus/dbus/" FLUID_DBUS_JOBS_INTERFACE ".xml");
      g_once_init_leave (&initialized, 1);
    }
  return info;
}

static void
fluid_dbus_jobs_read (FluidDBusJobs         *self,
                      FluidDBusJobsCounters *counters)
{
  counters->queued = fluid_queue_consumer_get_queue_size (FLUID_QUEUE_CONSUMER (self->worker));
  counters->running = fluid_job_worker_get_running (self->worker);
  counters->cancelled = fluid_job_worker_get_cancelled (self->worker);
}

static GVariant *
fluid_dbus_jobs_value (const FluidDBusJobsCounters *counters,
                       const char                  *name)
{
  if (g_str_equal (name, "Queued"))
    return g_variant_new_uint32 (counters->queued);
  if (g_str_equal (name, "Running"))
    return g_variant_new_uint32 (counters->running);
  if (g_str_equal (name, "Cancelled"))
    return g_variant_new_uint64 (counters->cancelled);
  return NULL;
}

/* Emits the counters that changed since the last emission, if any. */
static void
fluid_dbus_jobs_emit (FluidDBusJobs *self)
{
  g_auto(GVariantBuilder) changed = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  FluidDBusJobsCounters counters;

  self->last_emission = g_get_monotonic_time ();
  fluid_queue_consumer_counters_seen (FLUID_QUEUE_CONSUMER (self->worker));
  fluid_dbus_jobs_read (self, &counters);
  if (counters.queued == self->emitted.queued && counters.running == self->emitted.running &&
      counters.cancelled == self->emitted.cancelled)
    return;
  if (counters.queued != self->emitted.queued)
    g_variant_builder_add (&changed, "{sv}", "Queued", fluid_dbus_jobs_value (&counters, "Queued"));
  if (counters.running != self->emitted.running)
    g_variant_builder_add (&changed, "{sv}", "Running", fluid_dbus_jobs_value (&counters, "Running"));
  if (counters.cancelled != self->emitted.cancelled)
    g_variant_builder_add (&changed, "{sv}", "Cancelled", fluid_dbus_jobs_value (&counters, "Cancelled"));
  self->emitted = counters;
  fluid_dbus_emit_properties_changed (G_DBUS_INTERFACE_SKELETON (self), FLUID_DBUS_JOBS_INTERFACE,
                                      g_variant_builder_end (&changed));
}

static void
fluid_dbus_jobs_throttle_cb (gpointer data)
{
  fluid_dbus_jobs_emit (data);
}

/* A counter changed: emitted once the interval since the last emission
 * has passed. */
static void
fluid_dbus_jobs_changed_cb (FluidQueueConsumer *consumer,
                            gpointer            user_data)
{
  FluidDBusJobs *self = user_data;
  gint64 due = self->last_emission + FLUID_DBUS_JOBS_INTERVAL;

  if (fluid_timer_is_armed (&self->throttle))
    return;
  if (due <= g_get_monotonic_time ())
    {
      fluid_dbus_jobs_emit (self);
      return;
    }
  /* On the clock of the context the consumer tells its counters on (its
   * worker's), as its counter properties' timer: the thread's default
   * may be another, or NULL for the same. */
  fluid_timer_arm_on_context (&self->throttle, fluid_worker_get_context (FLUID_WORKER (self->worker)),
                              due);
}

static void
fluid_dbus_jobs_method_call (GDBusConnection       *connection,
                             const char            *sender,
                             const char            *object_path,
                             const char            *interface_name,
                             const char            *method_name,
                             GVariant              *parameters,
                             GDBusMethodInvocation *invocation,
                             gpointer               user_data)
{
  FluidDBusJobs *self = user_data;
  GListModel *jobs = fluid_job_worker_get_jobs (self->worker);
  g_auto(GVariantBuilder) list = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(tsdsi)"));
  guint n_jobs = g_list_model_get_n_items (jobs);

  /* GDBus checks calls against the interface: ListJobs() alone. */
  for (guint i = 0; i < n_jobs; i++)
    {
      g_autoptr(FluidJob) job = g_list_model_get_item (jobs, i);
      const char *text = fluid_job_get_progress_text (job);

      g_variant_builder_add (&list, "(tsdsi)", fluid_job_get_id (job),
                             fluid_dbus_enum_nick (FLUID_TYPE_JOB_STATE, fluid_job_get_state (job)),
                             fluid_job_get_progress (job), text != NULL ? text : "",
                             fluid_job_get_priority (job));
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(tsdsi))", &list));
}

static GVariant *
fluid_dbus_jobs_get_property (GDBusConnection  *connection,
                              const char       *sender,
                              const char       *object_path,
                              const char       *interface_name,
                              const char       *property_name,
                              GError          **error,
                              gpointer          user_data)
{
  FluidDBusJobsCounters counters;

  fluid_dbus_jobs_read (user_data, &counters);
  return fluid_dbus_jobs_value (&counters, property_name);
}

static GDBusInterfaceInfo *
fluid_dbus_jobs_get_info (GDBusInterfaceSkeleton *skeleton)
{
  return fluid_dbus_jobs_get_interface_info ();
}

static GDBusInterfaceVTable *
fluid_dbus_jobs_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  static GDBusInterfaceVTable vtable = {
    fluid_dbus_jobs_method_call,
    fluid_dbus_jobs_get_property,
    NULL,
    { NULL },
  };

  return &vtable;
}

static GVariant *
fluid_dbus_jobs_get_properties (GDBusInterfaceSkeleton *skeleton)
{
  g_auto(GVariantBuilder) properties = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  FluidDBusJobsCounters counters;
  const char *names[] = { "Queued", "Running", "Cancelled" };

  fluid_dbus_jobs_read (FLUID_DBUS_JOBS (skeleton), &counters);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_variant_builder_add (&properties, "{sv}", names[i], fluid_dbus_jobs_value (&counters, names[i]));
  return g_variant_builder_end (&properties);
}

static void
fluid_dbus_jobs_flush (GDBusInterfaceSkeleton *skeleton)
{
}

static void
fluid_dbus_jobs_finalize (GObject *object)
{
  FluidDBusJobs *self = FLUID_DBUS_JOBS (object);

  g_assert (!self->watching);
  g_object_unref (self->worker);

  G_OBJECT_CLASS (fluid_dbus_jobs_parent_class)->finalize (object);
}

static void
fluid_dbus_jobs_class_init (FluidDBusJobsClass *klass)
{
  GDBusInterfaceSkeletonClass *skeleton_class = G_DBUS_INTERFACE_SKELETON_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = fluid_dbus_jobs_finalize;
  skeleton_class->get_info = fluid_dbus_jobs_get_info;
  skeleton_class->get_vtable = fluid_dbus_jobs_get_vtable;
  skeleton_class->get_properties = fluid_dbus_jobs_get_properties;
  skeleton_class->flush = fluid_dbus_jobs_flush;
}

static void
fluid_dbus_jobs_init (FluidDBusJobs *self)
{
  fluid_timer_init (&self->throttle, fluid_dbus_jobs_throttle_cb, self);
}

GDBusInterfaceSkeleton *
fluid_dbus_jobs_new (FluidJobWorker *worker)
{
  FluidDBusJobs *self = g_object_new (fluid_dbus_jobs_get_type (), NULL);

  self->worker = g_object_ref (worker);
  fluid_dbus_jobs_read (self, &self->emitted);
  fluid_queue_consumer_watch_counters (FLUID_QUEUE_CONSUMER (worker), fluid_dbus_jobs_changed_cb, self);
  self->watching = TRUE;
  return G_DBUS_INTERFACE_SKELETON (self);
}

void
fluid_dbus_jobs_unwatch (GDBusInterfaceSkeleton *skeleton)
{
  FluidDBusJobs *self = FLUID_DBUS_JOBS (skeleton);

  if (!self->watching)
    return;
  self->watching = FALSE;
  fluid_queue_consumer_unwatch_counters (FLUID_QUEUE_CONSUMER (self->worker), fluid_dbus_jobs_changed_cb, self);
  fluid_timer_disarm (&self->throttle);
}
