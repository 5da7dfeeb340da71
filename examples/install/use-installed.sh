#!/bin/sh
# use-installed.sh PREFIX: a new user's first session with libfluid-glib
# installed under PREFIX (meson setup --prefix=PREFIX, meson install), as
# the chapter "Installing and building against libfluid-glib" tells it:
# hello.c with pkg-config, hello.py with Debian's python3 and in a
# virtualenv, hello.js with GJS, and hello.vala with valac. The tests run
# it against a fresh install; each program checks its own output.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
prefix=${1:-/usr/local}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Where Meson installed the library: PREFIX/lib/<multiarch> on Debian.
libdir=$prefix/lib/$(gcc -dumpmachine)

# C: pkg-config finds PREFIX/lib/<multiarch>/pkgconfig by itself for
# /usr and /usr/local, not for another prefix; and the dynamic linker needs
# to be told of a prefix it does not search.
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cc "$here/hello.c" -o hello $(pkg-config --cflags --libs fluid-glib-1.0)
./hello >c.out
grep "^Hello 3 from hello$" c.out

# Python and GJS load the typelib, which only the prefix of
# gobject-introspection itself (/usr) is searched for.
export GI_TYPELIB_PATH="$libdir/girepository-1.0${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}"

# Python: the override is installed in a folder that Debian's python3
# searches for /usr and /usr/local (dist-packages), and in
# PREFIX/lib/python3.X/site-packages for any other prefix.
site=$(/usr/bin/python3 -c 'import sysconfig, sys; print(sysconfig.get_path("purelib", "posix_prefix", vars={"base": sys.argv[1]}))' "$prefix")
if [ -d "$site/gi/overrides" ]; then
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
/usr/bin/python3 "$here/hello.py" >py.out 2>py.err || { cat py.err; exit 1; }
grep "^Hello 3 from hello$" py.out
! grep Warning py.err

# A virtualenv sees PyGObject (Debian's python3-gi) only with the system's
# site packages.
/usr/bin/python3 -m venv --system-site-packages venv
venv/bin/python "$here/hello.py" >venv.out 2>venv.err || { cat venv.err; exit 1; }
grep "^Hello 3 from hello$" venv.out
! grep Warning venv.err

# GJS: the helper, fluid.js, is found in PREFIX/share through XDG_DATA_DIRS.
export XDG_DATA_DIRS="$prefix/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
gjs -m "$here/hello.js" >js.out
grep "^Hello 3 from hello$" js.out

# Vala: the VAPI is in PREFIX/share/vala/vapi, which valac searches through
# XDG_DATA_DIRS; --pkg also checks the version pkg-config reports.
valac --pkg fluid-glib-1.0 "$here/hello.vala" -o hello-vala
dbus-run-session -- ./hello-vala >vala.out
grep " three$" vala.out
# The C that valac writes against the installed VAPI, with the errors of
# GCC 14 (valac's own build prints no warning): hello.vala and a program
# that gives every callback type a lambda and a method.
/usr/bin/python3 "$here/../../introspection/tests/vala-c-check.py" \
  --vapidir "$prefix/share/vala/vapi" --pkg fluid-glib-1.0 --cc cc -- \
  "$here/hello.vala" "$here/../../introspection/tests/vala/test-callbacks.vala"
echo "use-installed: C, Python, a virtualenv, GJS and Vala work under $prefix"
