"""Module-level regular expressions compiled on first use, not at import.

A command reads a handful of lines with a few of the package's ~200 module-level patterns, but
importing the modules that hold them compiled every one: about a tenth of what ``diagnose`` of a
5-line file executes besides ``import polars`` (the ``re`` and ``regex`` compilers are Python
code). :func:`lazy` and :func:`lazy_regex` return a stand-in that compiles on its first
attribute access and then keeps the compiled pattern's methods and attributes as its own, so
every later ``P.search(...)`` is the compiled pattern's bound method found in one dict lookup.

A stand-in is not a ``Pattern`` instance: use it through its methods and attributes
(``search``, ``sub``, ``pattern``...), never as an argument of ``re.sub(P, ...)`` or an
``isinstance`` test. ``tests/test_lazyre.py`` compiles every stand-in the package defines, so
a bad pattern still fails the suite instead of a user's run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, AnyStr, cast

if TYPE_CHECKING:
    import regex

#: what a stand-in copies from the compiled pattern on first use (every public name of both
#: ``re.Pattern`` and ``regex.Pattern`` that code reads)
_SHARED: tuple[str, ...] = (
    "search",
    "match",
    "fullmatch",
    "sub",
    "subn",
    "split",
    "findall",
    "finditer",
    "scanner",
    "flags",
    "groups",
    "groupindex",
)


class LazyPattern:
    """A pattern compiled by ``make()`` on first use (see the module docstring)."""

    def __init__(self, make: Callable[[], Any], pattern: str | bytes) -> None:
        self._make = make
        #: known without compiling: module code builds other patterns and polars expressions
        #: from it at import
        self.pattern = pattern

    def compiled(self) -> Any:
        """The compiled pattern, compiling it now if need be (its attributes become ours)."""
        found = self.__dict__.get("_compiled")
        if found is None:
            found = self._make()
            for name in _SHARED:
                if hasattr(found, name):
                    self.__dict__[name] = getattr(found, name)
            self.__dict__["_compiled"] = found
        return found

    def __getattr__(self, name: str) -> Any:
        # only called for names not yet in the instance dict: the first use of each
        if name.startswith("__") or name in ("_make", "_compiled"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"lazy({self.compiled()!r})"


def lazy(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, compiled on first use."""
    return cast("re.Pattern[AnyStr]", LazyPattern(partial(re.compile, pattern, flags), pattern))


def _regex_compile(pattern: str, flags: int) -> Any:
    import regex

    return regex.compile(pattern, flags)


def lazy_regex(pattern: str, flags: int = 0) -> regex.Pattern[str]:
    """``regex.compile(pattern, flags)``, compiled on first use."""
    return cast("regex.Pattern[str]", LazyPattern(partial(_regex_compile, pattern, flags), pattern))
