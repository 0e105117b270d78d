"""A tiny HTML builder that escapes by default, so no log text can become markup.

Every value interpolated into a page goes through :func:`h`, which escapes ``str`` (and anything
else, via ``str()``) unless it is already :class:`Markup` built by these helpers. There is no way
to mark a log-derived string safe without escaping it first; the only raw strings are literals in
this package (tag names, CSS, the page skeleton).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Final

_VOID: Final = frozenset({"img", "meta", "br", "hr", "col"})


class Markup(str):
    """A string that is already HTML (built by :func:`tag`, :func:`join` or escaping)."""

    __slots__ = ()


_EMPTY: Final = Markup("")


def h(value: object) -> Markup:
    """``value`` as HTML: escaped text, or itself if it is already :class:`Markup`.

    ``html.escape(text, quote=True)``'s replacements in its order, written out: a page escapes
    hundreds of thousands of cells, and the call through ``html.escape`` was a third of it."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return _EMPTY
    text = value if type(value) is str else str(value)
    return Markup(
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def join(parts: Iterable[object], sep: str = "") -> Markup:
    """Concatenate parts, escaping those that are not :class:`Markup`."""
    return Markup(h(sep).join(h(p) for p in parts))


def tag(name: str, *children: object, **attrs: object) -> Markup:
    """``<name attrs>children</name>``; attribute values and text children are escaped.

    Attribute names come from Python keywords (``class_`` for ``class``, ``data_x`` for
    ``data-x``); ``None``/``False`` values drop the attribute, ``True`` writes it bare.
    """
    out = [f"<{name}"]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        attr = key.rstrip("_").replace("_", "-")
        out.append(f" {attr}" if value is True else f' {attr}="{h(value)}"')
    out.append(">")
    if name in _VOID:
        return Markup("".join(out))
    out.append(join(children))
    out.append(f"</{name}>")
    return Markup("".join(out))


def table(
    headers: Iterable[str],
    rows: Iterable[Iterable[object]],
    *,
    class_: str | None = None,
    numeric: Collection[int] = (),
) -> Markup:
    """A table with a header row; cells are escaped unless they are :class:`Markup`.

    Columns whose index is in ``numeric`` are right-aligned (``class="num"``).
    """
    head = tag("thead", tag("tr", *(tag("th", c) for c in headers)))
    # the cells are most of a page's tags: each written by one format, as ``tag`` writes it
    body = "".join(
        "<tr>"
        + "".join((_NUM_CELL if i in numeric else _CELL).format(h(c)) for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return tag("table", head, Markup(f"<tbody>{body}</tbody>"), class_=class_)


_CELL: Final = "<td>{}</td>"
_NUM_CELL: Final = '<td class="num">{}</td>'
