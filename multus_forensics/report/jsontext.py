"""``json.dumps(value, indent=2, ensure_ascii=False)``, written without the generator chain.

With ``indent`` set, the standard library encodes in pure Python, one generator per container:
the JSON report of a node holds every row of every timeline table (millions of values), and
that encoder was most of the report's cost in that format. :func:`dumps_indented` writes the
same text (same separators, key conversions, float spellings and string escapes: the C
``encode_basestring``) into one list; anything it does not know is handed to :func:`json.dumps`,
so an unserialisable value fails with the standard library's own error.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C escaper when built
from typing import Any

_INF = float("inf")


def _float(value: float) -> str:
    """As ``json`` spells a float (``allow_nan=True``)."""
    if value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return float.__repr__(value)


def _key(key: object) -> str:
    """A dict key as ``json`` converts it (``skipkeys=False``)."""
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def dumps_indented(value: Any, indent: int = 2, *, jsonable: bool = False) -> str:
    """``json.dumps(value, indent=indent, ensure_ascii=False)``, the same text, faster.

    ``jsonable``: ``value`` as ``report.data._jsonable`` would first make it (any mapping a
    dict with ``str(key)`` keys, tuples lists, dates ISO strings), without that copy of every
    row of every table."""
    from collections.abc import Mapping
    from datetime import date

    out: list[str] = []
    append = out.append
    pads = ["\n"]

    def pad(level: int) -> str:
        while len(pads) <= level:
            pads.append("\n" + " " * (indent * len(pads)))
        return pads[level]

    def write(o: Any, level: int) -> None:
        if isinstance(o, str):
            append(encode_basestring(o))
        elif o is None:
            append("null")
        elif o is True:
            append("true")
        elif o is False:
            append("false")
        elif isinstance(o, int):
            append(int.__repr__(o))
        elif isinstance(o, float):
            append(_float(o))
        elif isinstance(o, list | tuple):
            if not o:
                append("[]")
                return
            inner = pad(level + 1)
            sep = "," + inner
            append("[" + inner)
            first = True
            for item in o:
                if not first:
                    append(sep)
                first = False
                write(item, level + 1)
            append(pad(level) + "]")
        elif isinstance(o, dict) or (jsonable and isinstance(o, Mapping)):
            if not o:
                append("{}")
                return
            if jsonable and not all(type(k) is str for k in o):
                o = {str(k): item for k, item in o.items()}  # as _jsonable: later key wins
            inner = pad(level + 1)
            sep = "," + inner
            append("{" + inner)
            first = True
            for k, item in o.items():
                if not first:
                    append(sep)
                first = False
                append(encode_basestring(k if jsonable else _key(k)) + ": ")
                write(item, level + 1)
            append(pad(level) + "}")
        elif jsonable and isinstance(o, date):  # a datetime too
            append(encode_basestring(o.isoformat()))
        else:  # not JSON: the standard library's own error (or its own spelling)
            append(json.dumps(o, indent=indent, ensure_ascii=False))

    write(value, 0)
    return "".join(out)
