#!/bin/sh
# screenshot-gtk-workers.sh BUILDDIR: takes doc/images/gtk-workers.png, the
# window of examples/gtk-workers.c as the book shows it, under Xvfb: the
# example runs for a few seconds (some children have been restarted by
# then), and ImageMagick's import takes the screen where the window is.
#
#   xvfb-run -a -s '-screen 0 640x480x24' dbus-run-session -- \
#     doc/screenshot-gtk-workers.sh _build
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
builddir=$(cd "${1:-_build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export GTK_A11Y=none NO_AT_BRIDGE=1 LD_LIBRARY_PATH="$builddir/fluid"
"$builddir/examples/gtk-workers" &
example=$!
sleep 5
# The window is at the top left, at its default size.
import -window root -crop 360x220+0+0 +repage "$here/images/gtk-workers.png"
kill "$example"
