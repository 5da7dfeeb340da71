#!/usr/bin/env python3
# vala-c-check.py: the C that valac writes for Vala programs against the
# VAPIs compiles with the diagnostics that GCC 14 makes errors.
#
#   vala-c-check.py --vapidir DIR [--pkg PKG]... --cc CC [ARG]... -- FILE.vala...
#
# Meson compiles the C of a Vala target with -w, which silences every
# warning and every -Werror=... with them: a VAPI whose callbacks do not
# match the C typedefs builds there and fails under GCC 14, which refuses
# incompatible pointer types by default. So this compiles each file
# itself: valac -C against the VAPI folder given (and nothing else: its
# .deps files must name what the VAPIs need), then the C compiler with
#
#   -Werror=incompatible-pointer-types -Werror=int-conversion
#   -Werror=implicit-function-declaration -Werror=implicit-int
#
# (the errors of GCC 14), and every other warning GCC gives by default
# shown. Any error, or any warning but one, fails:
#
# - "passing argument N of 'F' discards 'const' qualifier" in a delegate
#   wrapper valac writes around a lambda or a method (its name ends with
#   the C name of the delegate, _fluid_message_func...): the wrapper has
#   the callback's C type, const GValue *, as the VAPI says, and calls the
#   lambda, whose parameter valac 0.56 declares GValue *, without a cast
#   (valaccodedelegatemodule.vala casts generic parameters only). No VAPI
#   can change that; it is a warning, not an error, in GCC 14 too.
#
# Each file is compiled in a folder of its own under a temporary folder;
# PKG_CONFIG_PATH (the build tree's meson-uninstalled) gives valac the
# version it checks `since` against, and the C compiler its flags.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import argparse
import os
import re
import subprocess
import sys
import tempfile

GCC14_ERRORS = [
    "-Werror=incompatible-pointer-types",
    "-Werror=int-conversion",
    "-Werror=implicit-function-declaration",
    "-Werror=implicit-int",
]

DIAGNOSTIC = re.compile(r"^(?P<where>[^:\s]+:\d+:\d+): (?P<kind>warning|error): (?P<text>.*)$")
IN_FUNCTION = re.compile(r"^[^:\s]+: In function ‘(?P<name>[^’]+)’:$")
DISCARDS_CONST = re.compile(
    r"^passing argument \d+ of ‘[^’]+’ discards ‘const’ qualifier from pointer target type "
    r"\[-Wdiscarded-qualifiers\]$")


def delegate_wrapper_suffixes(vapis):
    """The C names of the delegates of the VAPIs, lower case: valac names a
    wrapper of a lambda or method for delegate D _TARGET_d_c_name."""
    suffixes = set()
    for vapi in vapis:
        namespace = None
        with open(vapi, encoding="utf-8") as f:
            for line in f:
                m = re.search(r"lower_case_cprefix = \"([a-z_]+)\"", line)
                if m and line.lstrip().startswith("[CCode") and "gir_namespace" in line:
                    namespace = m.group(1)
                m = re.search(r"public delegate \S+ (\w+) \(", line)
                if m and namespace is not None:
                    name = re.sub(r"(?<!^)(?=[A-Z])", "_", m.group(1)).lower()
                    suffixes.add(f"_{namespace}{name}")
    return tuple(sorted(suffixes))


def allowed(function, text, wrapper_suffixes):
    return (function is not None and function.endswith(wrapper_suffixes)
            and DISCARDS_CONST.match(text) is not None)


def check(source, args, workdir, wrapper_suffixes):
    """Returns the diagnostics that fail source, as lines to print, and the
    number of warnings allowed."""
    name = os.path.splitext(os.path.basename(source))[0]
    outdir = os.path.join(workdir, name)
    os.makedirs(outdir)
    valac = ["valac", "-C", "--target-glib=2.74", "-d", outdir,
             "--basedir", os.path.dirname(os.path.abspath(source))]
    for vapidir in args.vapidir:
        valac += ["--vapidir", vapidir]
    for pkg in args.pkg:
        valac += ["--pkg", pkg]
    result = subprocess.run(valac + [source], capture_output=True, text=True)
    if result.returncode != 0:
        return [f"{source}: valac failed:", result.stdout + result.stderr], 0
    c_file = os.path.join(outdir, name + ".c")
    cflags = subprocess.run(["pkg-config", "--cflags", "gio-2.0"] + args.pkg,
                            capture_output=True, text=True, check=True).stdout.split()
    compile_c = args.cc + ["-std=gnu11", "-c", "-o", os.devnull] + GCC14_ERRORS + cflags
    result = subprocess.run(compile_c + [c_file], capture_output=True, text=True,
                            env=dict(os.environ, LC_ALL="C.UTF-8"))
    failures = []
    n_allowed = 0
    function = None
    for line in result.stderr.splitlines():
        m = IN_FUNCTION.match(line)
        if m:
            function = m.group("name")
            continue
        m = DIAGNOSTIC.match(line)
        if m is None:
            continue
        if m.group("kind") == "warning" and allowed(function, m.group("text"), wrapper_suffixes):
            n_allowed += 1
            continue
        failures.append(f"{source}: in {function}: {line}")
    if result.returncode != 0 and not failures:
        failures.append(f"{source}: the C compiler failed:\n{result.stderr}")
    return failures, n_allowed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vapidir", action="append", default=[])
    parser.add_argument("--pkg", action="append", default=[])
    parser.add_argument("--cc", nargs="+", required=True)
    parser.add_argument("sources", nargs="+")
    args = parser.parse_args()

    vapis = [os.path.join(d, p + ".vapi") for d in args.vapidir for p in args.pkg
             if os.path.exists(os.path.join(d, p + ".vapi"))]
    wrapper_suffixes = delegate_wrapper_suffixes(vapis)
    if not wrapper_suffixes:
        sys.exit(f"no delegate found in {vapis}")

    failures = []
    with tempfile.TemporaryDirectory(prefix="vala-c-check-") as workdir:
        for source in args.sources:
            found, n_allowed = check(source, args, workdir, wrapper_suffixes)
            note = f" ({n_allowed} const discarded in valac's delegate wrappers)" if n_allowed else ""
            print(f"{'FAIL' if found else 'ok'}: {source}{note}")
            failures += found
    for line in failures:
        print(line)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
