/* fluid-worker-marshal.c: the marshallers of FluidWorker::stopped
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluid-worker-marshal-private.h"

/* The marshallers of ::stopped, VOID:STRING,INT. Its class handler, the
 * after_shutdown virtual method, runs for every worker that stops, and a
 * group of 10 000 workers stops in one burst: GLib's generic marshallers
 * would prepare and make a libffi call each time. Any thread: the one
 * that emits. */
typedef void (*FluidStoppedFunc) (gpointer    data1,
                                  const char *reason,
                                  int         exit_code,
                                  gpointer    data2);

void
fluid_marshal_stopped (GClosure     *closure,
                       GValue       *return_value,
                       guint         n_param_values,
                       const GValue *param_values,
                       gpointer      invocation_hint,
                       gpointer      marshal_data)
{
  GCClosure *cclosure = (GCClosure *) closure;
  FluidStoppedFunc callback;
  gpointer data1;
  gpointer data2;

  g_return_if_fail (n_param_values == 3);

  if (G_CCLOSURE_SWAP_DATA (closure))
    {
      data1 = closure->data;
      data2 = g_value_peek_pointer (param_values + 0);
    }
  else
    {
      data1 = g_value_peek_pointer (param_values + 0);
      data2 = closure->data;
    }
  callback = (FluidStoppedFunc) (marshal_data != NULL ? marshal_data : cclosure->callback);
  callback (data1,
            g_value_get_string (param_values + 1),
            g_value_get_int (param_values + 2),
            data2);
}

/* The reason is copied, as GLib's marshallers copy a string that is not of
 * static scope: a handler that runs a main loop may see the worker
 * restarted, which frees it. */
void
fluid_marshal_stoppedv (GClosure *closure,
                        GValue   *return_value,
                        gpointer  instance,
                        va_list   args,
                        gpointer  marshal_data,
                        int       n_params,
                        GType    *param_types)
{
  GCClosure *cclosure = (GCClosure *) closure;
  FluidStoppedFunc callback;
  g_autofree char *reason = NULL;
  gpointer data1;
  gpointer data2;
  int exit_code;
  va_list args_copy;

  va_copy (args_copy, args);
  reason = g_strdup (va_arg (args_copy, const char *));
  exit_code = va_arg (args_copy, int);
  va_end (args_copy);

  if (G_CCLOSURE_SWAP_DATA (closure))
    {
      data1 = closure->data;
      data2 = instance;
    }
  else
    {
      data1 = instance;
      data2 = closure->data;
    }
  callback = (FluidStoppedFunc) (marshal_data != NULL ? marshal_data : cclosure->callback);
  callback (data1, reason, exit_code, data2);
}
