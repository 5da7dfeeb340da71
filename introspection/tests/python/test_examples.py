# test_examples.py: the Python examples and snippets of the project
#
# Every Python program of examples/, every Python block of README.md and
# every Python program quoted by the book (doc/*.xml.in) asks
# gi.require_version() for each namespace it imports before importing it,
# so that PyGObject prints no PyGIWarning. The asyncio examples run with
# every warning an error and are held to their output; the other examples
# run as tests of their own (examples/meson.build), under the same
# warning filters.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import ast
import html
import os
import re
import subprocess
import sys
import unittest

SOURCE_ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLES = os.path.join(SOURCE_ROOT, "examples")

# Every warning is an error, but ImportWarning: PyGObject 3.42's importer
# raises one on Python 3.11 for each namespace ("DynamicImporter.exec_module()
# not found"), whatever the program does.
WARNINGS_ARE_ERRORS = ["-W", "error::Warning", "-W", "ignore::ImportWarning"]

# Loaded by gi itself: importing them never warns.
PRELOADED = {"GLib", "GObject"}


def python_files():
    for folder in (EXAMPLES, os.path.join(EXAMPLES, "asyncio")):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py") and not name.startswith("test-"):
                yield os.path.join(folder, name)


def readme_blocks():
    with open(os.path.join(SOURCE_ROOT, "README.md"), encoding="utf-8") as readme:
        text = readme.read()
    return re.findall(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def book_blocks():
    """The Python programs the chapters hold themselves (those quoted from
    examples/ are @NAME@ here, and checked as files)."""
    doc = os.path.join(SOURCE_ROOT, "doc")
    for name in sorted(os.listdir(doc)):
        if not name.endswith(".xml.in"):
            continue
        with open(os.path.join(doc, name), encoding="utf-8") as chapter:
            text = chapter.read()
        for block in re.findall(r'<programlisting language="python">(.*?)</programlisting>',
                                text, re.DOTALL):
            if not re.fullmatch(r"@[A-Z0-9_]+@", block.strip()):
                yield name, html.unescape(block)


def unversioned_imports(source):
    """The gi.repository namespaces @source imports before it asked
    gi.require_version() for them, in order of appearance."""
    tree = compile(source, "<example>", "exec",
                   flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    required = set()
    missing = []
    for node in sorted(ast.walk(tree), key=lambda n: (getattr(n, "lineno", 0),
                                                      getattr(n, "col_offset", 0))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "require_version" and node.args \
                and isinstance(node.args[0], ast.Constant):
            required.add(node.args[0].value)
            continue
        namespaces = []
        if isinstance(node, ast.ImportFrom) and node.module == "gi.repository":
            namespaces = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gi.repository."):
            namespaces = [node.module.split(".")[2]]
        elif isinstance(node, ast.Import):
            namespaces = [alias.name.split(".")[2] for alias in node.names
                          if alias.name.startswith("gi.repository.")]
        missing += [n for n in namespaces if n not in required and n not in PRELOADED]
    return missing


class TestVersionsRequired(unittest.TestCase):
    def test_the_rule_itself(self):
        self.assertEqual(unversioned_imports("from gi.repository import Fluid, GLib\n"),
                         ["Fluid"])
        self.assertEqual(unversioned_imports("from gi.repository.Fluid import Worker\n"),
                         ["Fluid"])
        self.assertEqual(unversioned_imports(
            "import gi\ngi.require_version('Fluid', '1.0')\n"
            "from gi.repository import Fluid, FluidRedis\n"), ["FluidRedis"])
        self.assertEqual(unversioned_imports(
            "import gi\ngi.require_version('Gtk', '4.0')\nimport gi.repository.Gtk\n"), [])

    def test_examples(self):
        files = list(python_files())
        self.assertIn(os.path.join(EXAMPLES, "asyncio", "countdown.py"), files)
        for path in files:
            with self.subTest(os.path.relpath(path, SOURCE_ROOT)):
                with open(path, encoding="utf-8") as program:
                    self.assertEqual(unversioned_imports(program.read()), [])

    def test_readme(self):
        blocks = readme_blocks()
        self.assertTrue(blocks, "README.md has a Python block")
        for i, block in enumerate(blocks):
            with self.subTest(block=i):
                self.assertEqual(unversioned_imports(block), [])

    def test_book(self):
        blocks = list(book_blocks())
        self.assertTrue(blocks, "the book holds Python programs of its own")
        for chapter, block in blocks:
            with self.subTest(chapter):
                self.assertEqual(unversioned_imports(block), [])


# What each asyncio example prints.
EXPECTED_OUTPUT = {
    "countdown.py": [
        "countdown is init",
        "countdown: 3 (running)",
        "countdown: 2 (running)",
        "countdown: 1 (running)",
        "countdown: 0 (running)",
        "countdown is stopped",
    ],
    "dispatch_by_type.py": [
        "int: 12 squared is 144",
        "int message: 1 handler(s)",
        "str: 'hello' has 5 characters",
        "str: HELLO!",
        "str message: 2 handler(s)",
        "float message: 0 handler(s)",
        "list message: 0 handler(s)",
    ],
    "word_counter.py": [
        "4 lines, 25 words",
        "the: 5",
        "round: 4",
        "goes: 3",
    ],
    "ledger.py": [
        "deposit of 120: balance 120",
        "withdrawal of 45: balance 75",
        "deposit of 30: balance 105",
        "audit: 1 entry left in the queue",
        "final balance 105, 5 entries processed",
    ],
}


class TestAsyncioExamples(unittest.TestCase):
    def test_each_runs_without_a_warning(self):
        for name, expected in EXPECTED_OUTPUT.items():
            with self.subTest(name):
                completed = subprocess.run(
                    [sys.executable, *WARNINGS_ARE_ERRORS,
                     os.path.join(EXAMPLES, "asyncio", name)],
                    capture_output=True, text=True, timeout=60, check=False)
                self.assertEqual(completed.returncode, 0, completed.stderr)
                self.assertNotIn("Warning", completed.stderr)
                self.assertEqual(completed.stdout.splitlines(), expected)

    def test_every_asyncio_example_is_run(self):
        present = {name for name in os.listdir(os.path.join(EXAMPLES, "asyncio"))
                   if name.endswith(".py")}
        self.assertEqual(present, set(EXPECTED_OUTPUT))

    def test_a_warning_fails_the_run(self):
        # The filters catch what the examples must not print.
        completed = subprocess.run(
            [sys.executable, *WARNINGS_ARE_ERRORS, "-c", "from gi.repository import Fluid"],
            capture_output=True, text=True, timeout=60, check=False)
        self.assertNotEqual(completed.returncode, 0)
        self.assertIn("PyGIWarning", completed.stderr)


if __name__ == "__main__":
    unittest.main()
