/* fluid-dbus-skeleton.c: one D-Bus interface of an exported worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-dbus.h"
#include "fluid-dbus-skeleton-private.h"
#include "fluid-worker-private.h"
#include "fluid-queue-consumer-private.h"
#include "fluid-workers.h"
#include "fluid-metrics.h"
#include "fluid-enums.h"
#include "fluid-tsan-private.h"

#include <string.h>

/* The introspection files, as installed, compiled into the library. */
static const char * const fluid_dbus_interface_resources[FLUID_DBUS_N_KINDS] = {
  "/org/gnome/Fluid/dbus/dbus/" FLUID_DBUS_WORKER_INTERFACE ".xml",
  "/org/gnome/Fluid/dbus/dbus/" FLUID_DBUS_CONSUMER_INTERFACE ".xml",
  "/org/gnome/Fluid/dbus/dbus/" FLUID_DBUS_WORKERS_INTERFACE ".xml",
};

/* See fluid-dbus-skeleton-private.h. */
GDBusInterfaceInfo *
fluid_dbus_load_interface_info (const char *resource)
{
  g_autoptr(GBytes) xml = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GError) error = NULL;
  GDBusInterfaceInfo *info;

  /* Resources are NUL-terminated. */
  xml = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_assert_no_error (error);
  node = g_dbus_node_info_new_for_xml (g_bytes_get_data (xml, NULL), &error);
  g_assert_no_error (error);
  g_assert (node->interfaces != NULL && node->interfaces[0] != NULL);
  info = g_dbus_interface_info_ref (node->interfaces[0]);
  g_dbus_interface_info_cache_build (info);
  return info;
}

static GDBusInterfaceInfo *
fluid_dbus_get_interface_info (FluidDBusKind kind)
{
  static GDBusInterfaceInfo *infos[FLUID_DBUS_N_KINDS];
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      for (guint i = 0; i < FLUID_DBUS_N_KINDS; i++)
        infos[i] = fluid_dbus_load_interface_info (fluid_dbus_interface_resources[i]);
      g_once_init_leave (&initialized, 1);
    }
  return infos[kind];
}

/* The interface skeleton: see fluid-dbus-skeleton-private.h. */

struct _FluidDBusSkeleton
{
  GDBusInterfaceSkeleton  parent_instance;
  FluidDBusKind           kind;
  FluidWorker            *worker;      /* a reference */
  FluidWorker            *root;        /* the worker exported: a reference */
  FluidDBusNode          *node;        /* the node owns the skeleton */

  /* FLUID_DBUS_CONSUMER: the counters as last emitted, and the source
   * that emits them, at most every FLUID_DBUS_COUNTERS_INTERVAL. */
  FluidQueueCounters      counters;
  GSource                *throttle;
  gint64                  last_emission;
};

typedef struct
{
  GDBusInterfaceSkeletonClass parent_class;
} FluidDBusSkeletonClass;

#define FLUID_DBUS_COUNTERS_INTERVAL (G_USEC_PER_SEC / 10)

static GType fluid_dbus_skeleton_get_type (void);

G_DEFINE_TYPE (FluidDBusSkeleton, fluid_dbus_skeleton, G_TYPE_DBUS_INTERFACE_SKELETON)

#define FLUID_DBUS_SKELETON(obj) ((FluidDBusSkeleton *) (obj))

/* See fluid-dbus-skeleton-private.h. */
const char *
fluid_dbus_enum_nick (GType type,
                      int   value)
{
  GEnumClass *enum_class = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value (enum_class, value);

  /* The class stays: the property of that enum holds it too. */
  g_type_class_unref (enum_class);
  return enum_value != NULL ? enum_value->value_nick : "unknown";
}

/* The value of the property @name, NULL if there is none; @counters, of
 * a consumer, read by the caller. */
static GVariant *
fluid_dbus_skeleton_get_value (FluidDBusSkeleton        *self,
                               const char               *name,
                               const FluidQueueCounters *counters)
{
  FluidWorker *worker = self->worker;

  if (self->kind == FLUID_DBUS_WORKER)
    {
      if (g_str_equal (name, "Name"))
        return g_variant_new_string (fluid_worker_get_name (worker));
      if (g_str_equal (name, "State"))
        return g_variant_new_string (fluid_dbus_enum_nick (FLUID_TYPE_WORKER_STATE, fluid_worker_get_state (worker)));
      if (g_str_equal (name, "ExitCode"))
        return g_variant_new_int32 (fluid_worker_get_exit_code (worker));
      if (g_str_equal (name, "StopReason"))
        {
          const char *reason = fluid_worker_get_stop_reason (worker);

          return g_variant_new_string (reason != NULL ? reason : "");
        }
      return NULL;
    }

  if (self->kind == FLUID_DBUS_WORKERS)
    {
      if (g_str_equal (name, "RestartStrategy"))
        return g_variant_new_string (fluid_dbus_enum_nick (FLUID_TYPE_RESTART_STRATEGY,
                                                           fluid_workers_get_restart_strategy (FLUID_WORKERS (worker))));
      if (g_str_equal (name, "Restarts"))
        return fluid_dbus_node_get_restarts (self->node);
      return NULL;
    }

  if (g_str_equal (name, "QueueSize"))
    return g_variant_new_uint32 (counters->queue_size);
  if (g_str_equal (name, "Processed"))
    return g_variant_new_uint64 (counters->processed);
  if (g_str_equal (name, "Failed"))
    return g_variant_new_uint64 (counters->failed);
  if (g_str_equal (name, "Discarded"))
    return g_variant_new_uint64 (counters->discarded);
  return NULL;
}

static void
fluid_dbus_skeleton_read_counters (FluidDBusSkeleton  *self,
                                   FluidQueueCounters *counters)
{
  if (self->kind == FLUID_DBUS_CONSUMER)
    fluid_queue_consumer_read_counters (FLUID_QUEUE_CONSUMER (self->worker), counters);
  else
    memset (counters, 0, sizeof *counters);
}

/* On every connection the skeleton is exported on. */
/* See fluid-dbus-skeleton-private.h. */
void
fluid_dbus_emit_properties_changed (GDBusInterfaceSkeleton *skeleton,
                                    const char             *interface_name,
                                    GVariant               *changed)
{
  g_autoptr(GVariant) parameters = NULL;
  GList *connections;

  parameters = g_variant_ref_sink (g_variant_new ("(s@a{sv}@as)", interface_name, changed,
                                                  g_variant_new_strv (NULL, 0)));
  connections = g_dbus_interface_skeleton_get_connections (skeleton);
  for (GList *l = connections; l != NULL; l = l->next)
    {
      g_autoptr(GError) error = NULL;

      if (!g_dbus_connection_emit_signal (l->data, NULL,
                                          g_dbus_interface_skeleton_get_object_path (skeleton),
                                          "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                          parameters, &error))
        g_debug ("PropertiesChanged of %s at %s not emitted: %s", interface_name,
                 g_dbus_interface_skeleton_get_object_path (skeleton), error->message);
    }
  g_list_free_full (connections, g_object_unref);
}

void
fluid_dbus_skeleton_emit_changed (FluidDBusSkeleton *self,
                                  GVariant          *changed)
{
  fluid_dbus_emit_properties_changed (G_DBUS_INTERFACE_SKELETON (self),
                                      fluid_dbus_get_interface_info (self->kind)->name, changed);
}

void
fluid_dbus_skeleton_emit_properties (FluidDBusSkeleton *self,
                                     const char        *first_name,
                                     ...)
{
  g_auto(GVariantBuilder) changed = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  FluidQueueCounters counters;
  va_list names;

  fluid_dbus_skeleton_read_counters (self, &counters);
  va_start (names, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (names, const char *))
    g_variant_builder_add (&changed, "{sv}", name,
                           fluid_dbus_skeleton_get_value (self, name, &counters));
  va_end (names);
  fluid_dbus_skeleton_emit_changed (self, g_variant_builder_end (&changed));
}

/* Emits the counters that changed since the last emission, if any. */
void
fluid_dbus_skeleton_emit_counters (FluidDBusSkeleton *self)
{
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (self->worker);
  FluidQueueCounters counters;
  g_auto(GVariantBuilder) changed = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  gboolean any = FALSE;

  g_source_set_ready_time (self->throttle, -1);
  fluid_queue_consumer_counters_seen (consumer);
  fluid_queue_consumer_read_counters (consumer, &counters);

#define FLUID_DBUS_CHANGED(field, property) \
  if (counters.field != self->counters.field) \
    { \
      g_variant_builder_add (&changed, "{sv}", property, \
                             fluid_dbus_skeleton_get_value (self, property, &counters)); \
      any = TRUE; \
    }
  FLUID_DBUS_CHANGED (queue_size, "QueueSize")
  FLUID_DBUS_CHANGED (processed, "Processed")
  FLUID_DBUS_CHANGED (failed, "Failed")
  FLUID_DBUS_CHANGED (discarded, "Discarded")
#undef FLUID_DBUS_CHANGED

  if (!any)
    return;
  self->counters = counters;
  self->last_emission = g_get_monotonic_time ();
  fluid_dbus_skeleton_emit_changed (self, g_variant_builder_end (&changed));
}

static gboolean
fluid_dbus_throttle_dispatch (GSource     *source,
                              GSourceFunc  callback,
                              gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs fluid_dbus_throttle_funcs = {
  NULL, NULL, fluid_dbus_throttle_dispatch, NULL, NULL, NULL,
};

static gboolean
fluid_dbus_throttle_cb (gpointer user_data)
{
  fluid_dbus_skeleton_emit_counters (user_data);
  return G_SOURCE_CONTINUE;
}

/* A counter of the consumer changed: emitted once the interval since the
 * last emission has passed. On the consumer's context. */
static void
fluid_dbus_counters_changed_cb (FluidQueueConsumer *consumer,
                                gpointer            user_data)
{
  FluidDBusSkeleton *self = user_data;

  if (g_source_get_ready_time (self->throttle) != -1)
    return;
  g_source_set_ready_time (self->throttle, self->last_emission + FLUID_DBUS_COUNTERS_INTERVAL);
}

void
fluid_dbus_skeleton_watch_counters (FluidDBusSkeleton *self,
                                    GMainContext      *context)
{
  FluidQueueConsumer *consumer = FLUID_QUEUE_CONSUMER (self->worker);

  fluid_dbus_skeleton_read_counters (self, &self->counters);
  self->throttle = g_source_new (&fluid_dbus_throttle_funcs, sizeof (GSource));
  g_source_set_callback (self->throttle, fluid_dbus_throttle_cb, self, NULL);
  g_source_set_static_name (self->throttle, "[fluid] D-Bus counters");
  g_source_attach (self->throttle, context);
  fluid_queue_consumer_watch_counters (consumer, fluid_dbus_counters_changed_cb, self);
}

void
fluid_dbus_skeleton_unwatch_counters (FluidDBusSkeleton *self)
{
  if (self->throttle == NULL)
    return;
  fluid_queue_consumer_unwatch_counters (FLUID_QUEUE_CONSUMER (self->worker),
                                         fluid_dbus_counters_changed_cb, self);
  g_source_destroy (self->throttle);
  g_clear_pointer (&self->throttle, g_source_unref);
}

/* Method calls
 *
 * A call is answered on the context of the export, where it arrived, at
 * once (Stop) or once the worker has done what it asks (Shutdown,
 * GetStatus), after a round trip to the bus for the caller's uid unless
 * it is known. Until it is answered, it is in @fluid_dbus_calls, so that
 * fluid_worker_run_main() knows which replies are still to come before
 * the process may end (fluid_dbus_skeleton_owes_replies()). */
typedef struct
{
  GList                  link;        /* in fluid_dbus_calls */
  FluidDBusSkeleton     *skeleton;    /* a reference */
  GDBusMethodInvocation *invocation;  /* until it is returned */
} FluidDBusCall;

/* The calls in progress, of every export on every context: few at any
 * time. Exports may live on several threads' contexts, hence the lock,
 * which is held for nothing else (and nothing is called under it but
 * atomic reads of the workers' state and context). */
static GMutex fluid_dbus_calls_lock;
static GQueue fluid_dbus_calls = G_QUEUE_INIT;

static FluidDBusCall *
fluid_dbus_call_new (FluidDBusSkeleton     *skeleton,
                     GDBusMethodInvocation *invocation)
{
  FluidDBusCall *call = g_new0 (FluidDBusCall, 1);

  call->link.data = call;
  call->skeleton = g_object_ref (skeleton);
  call->invocation = invocation;
  fluid_mutex_lock (&fluid_dbus_calls_lock);
  g_queue_push_tail_link (&fluid_dbus_calls, &call->link);
  fluid_mutex_unlock (&fluid_dbus_calls_lock);
  return call;
}

/* Once the call is answered. */
static void
fluid_dbus_call_free (FluidDBusCall *call)
{
  fluid_mutex_lock (&fluid_dbus_calls_lock);
  g_queue_unlink (&fluid_dbus_calls, &call->link);
  fluid_mutex_unlock (&fluid_dbus_calls_lock);
  g_object_unref (call->skeleton);
  g_free (call);
}

/* A call to a worker that runs on @context and has stopped: its answer
 * comes from @context, soon (the round trip for the caller's uid, a
 * status, the end of a shutdown that is over). Calls to workers still
 * running are not owed: a Shutdown() of another worker may wait for
 * ever. Any thread. */
gboolean
fluid_dbus_skeleton_owes_replies (GMainContext *context)
{
  gboolean owed = FALSE;

  fluid_mutex_lock (&fluid_dbus_calls_lock);
  for (GList *l = fluid_dbus_calls.head; l != NULL && !owed; l = l->next)
    {
      FluidWorker *worker = ((FluidDBusCall *) l->data)->skeleton->worker;

      owed = fluid_worker_get_context (worker) == context && fluid_worker_is_stopped (worker);
    }
  fluid_mutex_unlock (&fluid_dbus_calls_lock);
  return owed;
}

static void
fluid_dbus_shutdown_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  FluidDBusCall *call = user_data;
  FluidWorker *worker = FLUID_WORKER (source);

  /* A worker that failed failed: its exit code says so. */
  fluid_worker_shutdown_finish (worker, result, NULL);
  g_dbus_method_invocation_return_value (call->invocation,
                                         g_variant_new ("(i)", fluid_worker_get_exit_code (worker)));
  fluid_dbus_call_free (call);
}

static void
fluid_dbus_status_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  FluidDBusCall *call = user_data;
  g_autoptr(GVariant) status = NULL;
  GError *error = NULL;

  status = fluid_worker_status_finish (FLUID_WORKER (source), result, &error);
  if (status == NULL)
    g_dbus_method_invocation_take_error (call->invocation, error);
  else
    g_dbus_method_invocation_return_value (call->invocation, g_variant_new ("(@a{sv})", status));
  fluid_dbus_call_free (call);
}

/* The call was authorized. */
static void
fluid_dbus_call_run (FluidDBusCall *call)
{
  FluidWorker *worker = call->skeleton->worker;
  const char *method = g_dbus_method_invocation_get_method_name (call->invocation);

  if (g_str_equal (method, "Stop"))
    {
      /* Answered before the stop is asked for: the reply is queued on the
       * connection before anything the stop leads to, the end of the
       * worker, of its group and of the process included. Nothing for a
       * worker that has not started: it would only be marked, for a
       * group. */
      g_dbus_method_invocation_return_value (call->invocation, NULL);
      if (fluid_worker_has_started (worker))
        fluid_worker_gracefully_stop (worker);
      fluid_dbus_call_free (call);
    }
  else if (g_str_equal (method, "Shutdown"))
    fluid_worker_shutdown_async (worker, NULL, fluid_dbus_shutdown_cb, call);
  else if (g_str_equal (method, "GetStatus"))
    fluid_worker_status_async (worker, NULL, fluid_dbus_status_cb, call);
  else if (g_str_equal (method, "GetMetrics"))
    {
      /* On the worker's context, as the collection is. */
      g_autofree char *metrics = fluid_worker_collect_metrics (worker);

      g_dbus_method_invocation_return_value (call->invocation, g_variant_new ("(s)", metrics));
      fluid_dbus_call_free (call);
    }
  else
    {
      /* GDBus checks calls against the interface: not reached. */
      g_dbus_method_invocation_return_error (call->invocation, G_DBUS_ERROR,
                                             G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "No method %s", method);
      fluid_dbus_call_free (call);
    }
}

static void
fluid_dbus_call_authorize (FluidDBusCall *call,
                           guint          caller_uid)
{
  FluidDBusSkeleton *skeleton = call->skeleton;

  if (!fluid_worker_authorize (skeleton->root, skeleton->worker, call->invocation, caller_uid))
    {
      g_dbus_method_invocation_return_dbus_error (call->invocation,
                                                  "org.freedesktop.DBus.Error.AccessDenied",
                                                  "Not allowed to control this worker");
      fluid_dbus_call_free (call);
      return;
    }
  fluid_dbus_call_run (call);
}

/* The uids of the callers, by unique name, per connection: a unique name
 * is never given to another connection of the bus, so what the bus said
 * stays true. A new method call from a known caller then needs no round
 * trip to the bus. Bounded: emptied when full. Exports on one connection
 * may live on several threads' contexts, hence the lock. */
#define FLUID_DBUS_UID_CACHE_SIZE 256

static GMutex fluid_dbus_uid_cache_lock;

static GHashTable *
fluid_dbus_uid_cache_get_locked (GDBusConnection *connection)
{
  static GQuark quark;
  GHashTable *cache;

  if (quark == 0)
    quark = g_quark_from_static_string ("fluid-dbus-uid-cache");
  cache = g_object_get_qdata (G_OBJECT (connection), quark);
  if (cache == NULL)
    {
      cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_object_set_qdata_full (G_OBJECT (connection), quark, cache,
                               (GDestroyNotify) g_hash_table_unref);
    }
  return cache;
}

static gboolean
fluid_dbus_uid_cache_lookup (GDBusConnection *connection,
                             const char      *sender,
                             guint           *uid)
{
  gpointer value = NULL;
  gboolean found;

  fluid_mutex_lock (&fluid_dbus_uid_cache_lock);
  found = g_hash_table_lookup_extended (fluid_dbus_uid_cache_get_locked (connection), sender,
                                        NULL, &value);
  fluid_mutex_unlock (&fluid_dbus_uid_cache_lock);
  *uid = GPOINTER_TO_UINT (value);
  return found;
}

static void
fluid_dbus_uid_cache_insert (GDBusConnection *connection,
                             const char      *sender,
                             guint            uid)
{
  GHashTable *cache;

  fluid_mutex_lock (&fluid_dbus_uid_cache_lock);
  cache = fluid_dbus_uid_cache_get_locked (connection);
  if (g_hash_table_size (cache) >= FLUID_DBUS_UID_CACHE_SIZE)
    g_hash_table_remove_all (cache);
  g_hash_table_insert (cache, g_strdup (sender), GUINT_TO_POINTER (uid));
  fluid_mutex_unlock (&fluid_dbus_uid_cache_lock);
}

static void
fluid_dbus_caller_uid_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  FluidDBusCall *call = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 uid = G_MAXUINT32;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply != NULL)
    {
      g_variant_get (reply, "(u)", &uid);
      fluid_dbus_uid_cache_insert (G_DBUS_CONNECTION (source),
                                   g_dbus_method_invocation_get_sender (call->invocation), uid);
    }
  else
    g_debug ("The user of %s is not known: %s",
             g_dbus_method_invocation_get_sender (call->invocation), error->message);
  fluid_dbus_call_authorize (call, uid);
}

static void
fluid_dbus_method_call (GDBusConnection       *connection,
                        const char            *sender,
                        const char            *object_path,
                        const char            *interface_name,
                        const char            *method_name,
                        GVariant              *parameters,
                        GDBusMethodInvocation *invocation,
                        gpointer               user_data)
{
  FluidDBusCall *call = fluid_dbus_call_new (FLUID_DBUS_SKELETON (user_data), invocation);
  guint cached_uid;

  /* On a peer-to-peer connection, the peer; on a bus, the bus knows. */
  if (sender == NULL)
    {
      GCredentials *credentials = g_dbus_connection_get_peer_credentials (connection);
      uid_t uid = credentials != NULL ? g_credentials_get_unix_user (credentials, NULL) : (uid_t) -1;

      fluid_dbus_call_authorize (call, uid != (uid_t) -1 ? (guint) uid : G_MAXUINT);
      return;
    }
  if (fluid_dbus_uid_cache_lookup (connection, sender, &cached_uid))
    {
      fluid_dbus_call_authorize (call, cached_uid);
      return;
    }

  g_dbus_connection_call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixUser",
                          g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, fluid_dbus_caller_uid_cb, call);
}

static GVariant *
fluid_dbus_get_property (GDBusConnection  *connection,
                         const char       *sender,
                         const char       *object_path,
                         const char       *interface_name,
                         const char       *property_name,
                         GError          **error,
                         gpointer          user_data)
{
  FluidDBusSkeleton *self = user_data;
  FluidQueueCounters counters;
  GVariant *value;

  fluid_dbus_skeleton_read_counters (self, &counters);
  value = fluid_dbus_skeleton_get_value (self, property_name, &counters);
  if (value == NULL)
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
                 "No property %s in %s", property_name, interface_name);
  return value;
}

/* GDBusInterfaceSkeleton */

static GDBusInterfaceInfo *
fluid_dbus_skeleton_get_info (GDBusInterfaceSkeleton *skeleton)
{
  return fluid_dbus_get_interface_info (FLUID_DBUS_SKELETON (skeleton)->kind);
}

static GDBusInterfaceVTable *
fluid_dbus_skeleton_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  static GDBusInterfaceVTable vtable = {
    fluid_dbus_method_call,
    fluid_dbus_get_property,
    NULL,
  };

  return &vtable;
}

static GVariant *
fluid_dbus_skeleton_get_properties (GDBusInterfaceSkeleton *skeleton)
{
  FluidDBusSkeleton *self = FLUID_DBUS_SKELETON (skeleton);
  GDBusInterfaceInfo *info = fluid_dbus_get_interface_info (self->kind);
  GVariantBuilder builder;
  FluidQueueCounters counters;

  fluid_dbus_skeleton_read_counters (self, &counters);
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; info->properties != NULL && info->properties[i] != NULL; i++)
    {
      const char *name = info->properties[i]->name;

      g_variant_builder_add (&builder, "{sv}", name,
                             fluid_dbus_skeleton_get_value (self, name, &counters));
    }
  return g_variant_builder_end (&builder);
}

static void
fluid_dbus_skeleton_flush (GDBusInterfaceSkeleton *skeleton)
{
  FluidDBusSkeleton *self = FLUID_DBUS_SKELETON (skeleton);

  if (self->throttle != NULL)
    fluid_dbus_skeleton_emit_counters (self);
}

static void
fluid_dbus_skeleton_finalize (GObject *object)
{
  FluidDBusSkeleton *self = FLUID_DBUS_SKELETON (object);

  g_assert (self->throttle == NULL);
  g_clear_object (&self->worker);
  g_clear_object (&self->root);

  G_OBJECT_CLASS (fluid_dbus_skeleton_parent_class)->finalize (object);
}

static void
fluid_dbus_skeleton_class_init (FluidDBusSkeletonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GDBusInterfaceSkeletonClass *skeleton_class = G_DBUS_INTERFACE_SKELETON_CLASS (klass);

  object_class->finalize = fluid_dbus_skeleton_finalize;
  skeleton_class->get_info = fluid_dbus_skeleton_get_info;
  skeleton_class->get_vtable = fluid_dbus_skeleton_get_vtable;
  skeleton_class->get_properties = fluid_dbus_skeleton_get_properties;
  skeleton_class->flush = fluid_dbus_skeleton_flush;
}

static void
fluid_dbus_skeleton_init (FluidDBusSkeleton *self)
{
}

FluidDBusSkeleton *
fluid_dbus_skeleton_new (FluidDBusKind  kind,
                         FluidWorker   *worker,
                         FluidWorker   *root,
                         FluidDBusNode *node)
{
  FluidDBusSkeleton *self = g_object_new (fluid_dbus_skeleton_get_type (), NULL);

  self->kind = kind;
  self->worker = g_object_ref (worker);
  self->root = g_object_ref (root);
  self->node = node;
  return self;
}

