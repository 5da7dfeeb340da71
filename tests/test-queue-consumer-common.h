/* test-queue-consumer-common.h: helpers shared by the tests of queue
 * consumers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fluid-test-utils.h"

G_BEGIN_DECLS

/* Sends @value to @consumer as a G_TYPE_INT message. */
void          send_int                           (FluidQueueConsumer *consumer,
                                                  int                 value);

/* A notify handler that counts its emissions in the guint * user data. */
void          count_notify_cb                    (GObject            *object,
                                                  GParamSpec         *pspec,
                                                  gpointer            user_data);

G_END_DECLS
