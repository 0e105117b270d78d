"""Inputs that are not logs at all: source code, scripts, notebooks, images.

A folder handed to ``parse`` often holds more than logs (the generator script next to its
samples, a must-gather's binaries). Such a file is read and accounted (its lines count as
unparsed) but never parsed, and never handed to the classifier as raw lines: a Python script's
``raise ValueError(...)`` is not an error a node logged. Only an explicit ``format=`` overrides
this. Text files with no known shape (a ticket paste) are *not* caught here: they still reach
the classifier as raw lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from multus_forensics.lazyre import lazy

#: file name suffixes of source code, notebooks and binary documents (never a node's log)
CODE_SUFFIXES: Final[dict[str, str]] = {
    ".py": "Python source", ".pyc": "Python bytecode", ".ipynb": "Jupyter notebook",
    ".go": "Go source", ".c": "C source", ".h": "C header", ".cc": "C++ source",
    ".cpp": "C++ source", ".rs": "Rust source", ".java": "Java source",
    ".js": "JavaScript source", ".ts": "TypeScript source", ".rb": "Ruby source",
    ".pl": "Perl source", ".php": "PHP source", ".sh": "shell script", ".bash": "shell script",
    ".ps1": "PowerShell script", ".png": "image", ".jpg": "image", ".jpeg": "image",
    ".gif": "image", ".pdf": "PDF document", ".so": "shared library", ".whl": "Python wheel",
    ".parquet": "Parquet file",
}  # fmt: skip
#: what to do instead, for a suffix that holds data this project writes itself
HINTS: Final[dict[str, str]] = {
    ".parquet": "events written by parse -o? load them with multus_forensics.scan_events",
}
#: lines that only program text has (definitions, imports, block openers and closers)
_CODE_LINE: Final = lazy(
    r"\s*(?:def |class |import |from [\w.]+ import |return\b|#include\b|package \w|func |"
    r"@\w+|elif\b|else:|try:|except\b|(?:if|for|while|with) .*:$|[})\]];?,?$|.*\{$)"
)
#: share of the head that must look like program text
CODE_SHARE: Final = 0.4


def by_name(name: str, head: Sequence[str]) -> str | None:
    """Why ``name`` (or a ``#!`` first line) says the input is not a log, or None."""
    base = name.rsplit("/", 1)[-1].rsplit("!", 1)[-1].lower()
    dot = base.rfind(".")
    if dot > 0 and (what := CODE_SUFFIXES.get(base[dot:])) is not None:
        hint = HINTS.get(base[dot:])
        return f"{what} ({base[dot:]} file{'; ' + hint if hint else ''})"
    if head and head[0].startswith("#!/"):
        return "a script (starts with #!)"
    return None


def by_content(head: Sequence[str]) -> str | None:
    """Why the first lines of an input no format recognised read as program text, or None."""
    if len(head) >= 5 and sum(1 for h in head if _CODE_LINE.match(h)) >= CODE_SHARE * len(head):
        return "program text (definitions, imports and block lines)"
    return None
