/* fluid.h: the single public header of libfluid-glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define __FLUID_H_INSIDE__

#include <gio/gio.h>

#include <fluid/fluid-version.h>
#include <fluid/fluid-enums.h>
#include <fluid/fluid-worker.h>
#include <fluid/fluid-worker-function.h>
#include <fluid/fluid-queue-consumer.h>
#include <fluid/fluid-queue-consumer-worker.h>
#include <fluid/fluid-workers.h>
#include <fluid/fluid-event.h>
#include <fluid/fluid-base-dispatcher.h>
#include <fluid/fluid-dispatcher.h>
#include <fluid/fluid-async-dispatcher.h>
#include <fluid/fluid-async-consumer.h>
#include <fluid/fluid-task-worker.h>
#include <fluid/fluid-run-main.h>
#include <fluid/fluid-dbus.h>
#include <fluid/fluid-binding-error.h>
#include <fluid/fluid-metrics.h>
#include <fluid/fluid-job.h>
#include <fluid/fluid-job-worker.h>

#undef __FLUID_H_INSIDE__
