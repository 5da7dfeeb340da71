/* fluid-binding-error.h: errors that carry a language binding's own object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (__FLUID_H_INSIDE__) && !defined (FLUID_COMPILATION)
#error "Only <fluid/fluid.h> can be included directly."
#endif

#include <glib-object.h>

#include <fluid/fluid-version.h>

G_BEGIN_DECLS

/**
 * FLUID_BINDING_ERROR:
 *
 * The error domain of failures of a language binding's code, an exception
 * for example. Its codes are minted, not enumerated: each one comes from
 * fluid_binding_error_register() for one failure, and names the binding's
 * own object for it as long as an error of that code exists.
 *
 * Since: 1.2
 */
#define FLUID_BINDING_ERROR (fluid_binding_error_quark ())

/* Left out of the GIR: g-ir-scanner misnames the member of a one-member
 * enumeration, and bindings use the codes they mint. */
/**
 * FluidBindingError: (skip)
 * @FLUID_BINDING_ERROR_FAILED: a failure that names no object. Every other
 *   code is minted by fluid_binding_error_register(), which never returns
 *   this one.
 *
 * The one code of the %FLUID_BINDING_ERROR domain that is not minted.
 *
 * Since: 1.2
 */
typedef enum
{
  FLUID_BINDING_ERROR_FAILED,
} FluidBindingError;

FLUID_AVAILABLE_IN_1_2
GQuark        fluid_binding_error_quark     (void);

FLUID_AVAILABLE_IN_1_2
int           fluid_binding_error_register  (const GValue *value);

FLUID_AVAILABLE_IN_1_2
const GValue *fluid_binding_error_get_value (const GError *error);

G_END_DECLS
