"""Module-level patterns compiled on first use (``multus_forensics.lazyre``): every one the
package defines compiles, a stand-in answers as its compiled pattern does, and importing the
classifier compiles none of them."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

import multus_forensics
from multus_forensics.lazyre import LazyPattern, lazy, lazy_regex


def _stand_ins(value: Any, depth: int = 0) -> Iterator[LazyPattern]:
    if isinstance(value, LazyPattern):
        yield value
    elif depth < 3 and isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _stand_ins(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in (*value.keys(), *value.values()):
            yield from _stand_ins(item, depth + 1)


def _package_stand_ins() -> dict[str, LazyPattern]:
    """Every module's stand-ins (a file walk: ``formats`` is a namespace package, which
    ``pkgutil.walk_packages`` does not enter)."""
    found: dict[str, LazyPattern] = {}
    root = Path(multus_forensics.__file__).parent
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        module = importlib.import_module(".".join(p for p in parts if p != "__init__"))
        for name, value in vars(module).items():
            for i, stand_in in enumerate(_stand_ins(value)):
                found.setdefault(f"{module.__name__}.{name}[{i}]", stand_in)
    return found


def test_every_lazy_pattern_the_package_defines_compiles() -> None:
    stand_ins = _package_stand_ins()
    assert len(stand_ins) > 150  # the package's module-level patterns
    for where, stand_in in stand_ins.items():
        compiled = stand_in.compiled()
        assert isinstance(compiled, re.Pattern | regex.Pattern), where
        assert stand_in.pattern == compiled.pattern, where


def test_importing_the_classifier_and_the_formats_compiles_no_module_pattern() -> None:
    code = (
        "import multus_forensics.classify, multus_forensics.pipeline\n"
        "import multus_forensics.formats.kubelet.journald as j\n"
        "from multus_forensics.lazyre import LazyPattern\n"
        "import gc\n"
        "made = [o for o in gc.get_objects() if isinstance(o, LazyPattern)]\n"
        "print(len(made), sum('_compiled' in o.__dict__ for o in made))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    made, compiled = map(int, done.stdout.split())
    assert made > 50
    assert compiled == 0


_TEXT = st.text(alphabet="ab-_ 0123456789xyzABC\n", max_size=30)
_PATTERNS = st.sampled_from(
    [r"a+b", r"(?P<n>\d+)-(?P<m>[a-z]+)", r"^x|y$", r"\bAB?C\b", r"(?i)abc"]
)


@given(pattern=_PATTERNS, text=_TEXT)
def test_a_stand_in_answers_as_its_compiled_pattern(pattern: str, text: str) -> None:
    for make, compile_ in ((lazy, re.compile), (lazy_regex, regex.compile)):
        stand_in, compiled = make(pattern, re.MULTILINE), compile_(pattern, re.MULTILINE)
        m, n = stand_in.search(text), compiled.search(text)
        assert (m and (m.span(), m.groups())) == (n and (n.span(), n.groups()))
        assert stand_in.sub("<>", text) == compiled.sub("<>", text)
        assert stand_in.findall(text) == compiled.findall(text)
        assert [x.span() for x in stand_in.finditer(text)] == [
            x.span() for x in compiled.finditer(text)
        ]
        assert stand_in.split(text) == compiled.split(text)
        assert stand_in.groupindex == compiled.groupindex
        assert (stand_in.pattern, stand_in.flags) == (compiled.pattern, compiled.flags)


def test_a_stand_in_of_bytes_matches_bytes() -> None:
    stand_in = lazy(rb"(?P<k>\w+)=(?P<v>\d+)")
    m = stand_in.match(b"answer=42")
    assert m is not None
    assert m["v"] == b"42"


def test_a_bad_pattern_fails_on_first_use_with_the_compilers_error() -> None:
    stand_in = lazy("(unclosed")
    with pytest.raises(re.error, match=r"missing \)"):
        stand_in.search("x")


def test_no_module_compiles_a_pattern_at_import() -> None:
    """A module-level ``re.compile``/``regex.compile`` (also inside a module-level tuple or
    comprehension) would be paid by every command again: they go through :func:`lazy`."""
    root = Path(multus_forensics.__file__).parent
    eager = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for statement in tree.body:
            if not isinstance(statement, ast.Assign | ast.AnnAssign) or statement.value is None:
                continue
            for node in ast.walk(statement.value):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "compile"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in ("re", "regex")
                ):
                    eager.append(f"{path.relative_to(root)}:{node.lineno}")
    assert eager == []
