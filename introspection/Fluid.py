# Fluid.py: the PyGObject override of libfluid-glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Python conveniences for libfluid-glib (gi.repository.Fluid)."""
