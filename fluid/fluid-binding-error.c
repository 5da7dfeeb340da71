/* fluid-binding-error.c: errors that carry a language binding's own object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-binding-error.h"

#include "fluid-tsan-private.h"

/**
 * SECTION:fluid-binding-error
 * @short_description: Errors that carry a language binding's own object
 * @title: FluidBindingError
 * @see_also: fluid_worker_fail()
 *
 * Code of a language binding that the library calls (a `run`, a message
 * handler) fails by raising its own kind of error, a Python exception for
 * example. It reaches the library as a #GError, is copied from a task to
 * the message that failed and from there to its worker, and comes back
 * out of fluid_worker_wait_for_shutdown_finish(), where the binding wants
 * to raise the object that was raised, not one made from its text.
 *
 * A binding registers its object as a #GValue with
 * fluid_binding_error_register(), which returns a code of its own, and
 * makes its #GError with %FLUID_BINDING_ERROR and that code (through its
 * usual conversion of an error object: only the domain and the code
 * matter). Every error of that code, every copy of it included, keeps the
 * value; fluid_binding_error_get_value() gives it back from any of them;
 * when the last one is freed, the value is freed too. Two failures with the
 * same message never meet, and nothing is kept for a failure that no error
 * names any longer.
 *
 * |[<!-- language="C" -->
 * int code = fluid_binding_error_register (&exception_value);
 * g_task_return_new_error_literal (task, FLUID_BINDING_ERROR, code,
 *                                  "ValueError: no such order");
 * ...
 * const GValue *raised = fluid_binding_error_get_value (error);   // NULL if none
 * ]|
 *
 * Since: 1.2
 */

/* %FLUID_BINDING_ERROR is an extended error domain (g_error_domain_register):
 * each error of it has a private pointer to the FluidBindingFailure its code
 * names, taken when the error is made (GLib calls init with the domain and
 * the code set, for g_error_new*() and g_error_copy() alike), dropped when it
 * is freed. A failure is counted once per error that points to it, plus once
 * for its registration until the first error is made: that one takes the
 * registration's count over, so that a binding may register, then make its
 * error through a conversion that knows nothing of the value.
 *
 * @failures maps the codes still named (or not yet claimed) to their
 * failure; @failures_lock guards it, @last_code and every count. It is never
 * held while a value is copied or freed: a binding's value may take a lock
 * of its own to be freed (Python's GIL), and its thread may be waiting for
 * this one. Errors are made and freed on any thread, rarely: a plain lock is
 * enough. */

typedef struct
{
  int      code;
  guint    ref_count;   /* guarded by failures_lock */
  gboolean unclaimed;   /* guarded by failures_lock: no error made yet */
  GValue   value;       /* set once, before it is shared */
} FluidBindingFailure;

typedef struct
{
  FluidBindingFailure *failure;   /* NULL: a code that names nothing */
} FluidBindingErrorPrivate;

static GMutex      failures_lock;
static GHashTable *failures;      /* int code → FluidBindingFailure */
static int         last_code;

/* Where g_error_domain_register() keeps a domain's private data: just before
 * the #GError, aligned as G_DEFINE_EXTENDED_ERROR() computes it. (That macro
 * would register the domain under another name, with an init function that
 * is not given the error, whose code is needed here.) */
static FluidBindingErrorPrivate *
fluid_binding_error_get_private (const GError *error)
{
  const gsize alignment = 2 * sizeof (gsize);
  const gsize offset = (sizeof (FluidBindingErrorPrivate) + (alignment - 1)) & -alignment;

  /* Through gpointer: GLib aligned the block, which guint8 * does not say. */
  return (FluidBindingErrorPrivate *) (gpointer) (((guint8 *) error) - offset);
}

static FluidBindingFailure *
fluid_binding_failure_ref (FluidBindingFailure *failure)
{
  if (failure == NULL)
    return NULL;

  fluid_mutex_lock (&failures_lock);
  failure->ref_count++;
  fluid_mutex_unlock (&failures_lock);

  return failure;
}

/* Drops one count of @failure; frees it after the last. */
static void
fluid_binding_failure_unref (FluidBindingFailure *failure)
{
  gboolean last;

  if (failure == NULL)
    return;

  fluid_mutex_lock (&failures_lock);
  last = --failure->ref_count == 0;
  if (last)
    g_hash_table_remove (failures, GINT_TO_POINTER (failure->code));
  fluid_mutex_unlock (&failures_lock);

  if (last)
    {
      g_value_unset (&failure->value);
      g_free (failure);
    }
}

static void
fluid_binding_error_init (GError *error)
{
  FluidBindingErrorPrivate *priv = fluid_binding_error_get_private (error);
  FluidBindingFailure *failure;

  fluid_mutex_lock (&failures_lock);
  failure = failures != NULL ?
    g_hash_table_lookup (failures, GINT_TO_POINTER (error->code)) : NULL;
  if (failure != NULL && failure->unclaimed)
    failure->unclaimed = FALSE;
  else if (failure != NULL)
    failure->ref_count++;
  fluid_mutex_unlock (&failures_lock);

  priv->failure = failure;
}

/* GLib made @dest with fluid_binding_error_init() first, which found the
 * failure that @src keeps named: nothing to do. Unless @src was made with a
 * code that named nothing then and was minted again since: a copy names
 * what its original names. */
static void
fluid_binding_error_copy (const GError *src,
                          GError       *dest)
{
  FluidBindingErrorPrivate *src_priv = fluid_binding_error_get_private (src);
  FluidBindingErrorPrivate *dest_priv = fluid_binding_error_get_private (dest);

  if (dest_priv->failure == src_priv->failure)
    return;

  fluid_binding_failure_unref (dest_priv->failure);
  dest_priv->failure = fluid_binding_failure_ref (src_priv->failure);
}

static void
fluid_binding_error_clear (GError *error)
{
  FluidBindingErrorPrivate *priv = fluid_binding_error_get_private (error);

  fluid_binding_failure_unref (g_steal_pointer (&priv->failure));
}

/**
 * fluid_binding_error_quark:
 *
 * The quark of the %FLUID_BINDING_ERROR domain. Name the domain through it
 * (or the macro), never by its string alone: it registers the domain, which
 * must be done before the first error of it is made.
 *
 * Returns: the error domain of failures of a binding's code
 *
 * Since: 1.2
 */
GQuark
fluid_binding_error_quark (void)
{
  static gsize quark;

  if (g_once_init_enter (&quark))
    {
      GQuark domain = g_error_domain_register_static ("fluid-binding-error-quark",
                                                      sizeof (FluidBindingErrorPrivate),
                                                      fluid_binding_error_init,
                                                      fluid_binding_error_copy,
                                                      fluid_binding_error_clear);

      g_once_init_leave (&quark, domain);
    }

  return (GQuark) quark;
}

/**
 * fluid_binding_error_register:
 * @value: the binding's object for one failure
 *
 * Keeps a copy of @value under a new code of the %FLUID_BINDING_ERROR
 * domain, for the binding to make its #GError with. The first error made
 * with that code takes the copy over, and every copy of that error keeps
 * it: fluid_binding_error_get_value() gives it back from any of them. Once
 * the last of them is freed, so is the copy, and the code may be minted
 * again.
 *
 * Make that first error at once: until then, the copy is kept. Thread-safe.
 *
 * Returns: the code, greater than zero, which no other failure has
 *
 * Since: 1.2
 */
int
fluid_binding_error_register (const GValue *value)
{
  FluidBindingFailure *failure;
  int code;

  g_return_val_if_fail (G_IS_VALUE (value), 0);

  (void) fluid_binding_error_quark ();

  failure = g_new0 (FluidBindingFailure, 1);
  failure->ref_count = 1;
  failure->unclaimed = TRUE;
  g_value_init (&failure->value, G_VALUE_TYPE (value));
  g_value_copy (value, &failure->value);

  /* Once in the table, the failure is an error's to free. */
  fluid_mutex_lock (&failures_lock);
  if (failures == NULL)
    failures = g_hash_table_new (NULL, NULL);
  do
    last_code = last_code == G_MAXINT ? 1 : last_code + 1;
  while (g_hash_table_contains (failures, GINT_TO_POINTER (last_code)));
  code = failure->code = last_code;
  g_hash_table_insert (failures, GINT_TO_POINTER (code), failure);
  fluid_mutex_unlock (&failures_lock);

  return code;
}

/**
 * fluid_binding_error_get_value:
 * @error: an error
 *
 * Gives back the object of the failure @error names, as the binding
 * registered it with fluid_binding_error_register(). Thread-safe.
 *
 * Returns: (transfer none) (nullable): the object, which @error keeps (valid
 *   while @error is), or %NULL if @error is not of the %FLUID_BINDING_ERROR
 *   domain or names no failure (any longer)
 *
 * Since: 1.2
 */
const GValue *
fluid_binding_error_get_value (const GError *error)
{
  FluidBindingErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != FLUID_BINDING_ERROR)
    return NULL;

  /* @error keeps its failure, and the failure's value never changes. */
  priv = fluid_binding_error_get_private (error);

  return priv->failure != NULL ? &priv->failure->value : NULL;
}
